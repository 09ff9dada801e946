/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * host-address.c: destination hosts (see host-address.h).
 *
 * The value comes from the network and goes to a sink's "host" property,
 * where anything the element cannot use is silently a destination that
 * receives nothing: udpsink resolves in its own thread, reports no error
 * and the gateway reports "playing". So the check is exact and says which
 * rule failed, and the shape decides which rules apply: a colon means an
 * IPv6 address (or a port, refused), only digits and dots an IPv4
 * address, anything else a host name.
 */
#include "host-address.h"

#include <gio/gio.h>
#include <stdarg.h>
#include <string.h>

#include "gateway-error.h"
#include "untrusted.h"

#define LABEL_MAX_LENGTH 63
/* The longest IPv6 text form, INET6_ADDRSTRLEN without its NUL. */
#define IPV6_MAX_LENGTH 45

static gboolean refuse (GError **error, GatewayError code, const gchar *host,
    const gchar *format, ...) G_GNUC_PRINTF (4, 5);

/* Always FALSE: "QUOTED is not a host: REASON". */
static gboolean
refuse (GError **error, GatewayError code, const gchar *host,
    const gchar *format, ...)
{
  g_autofree gchar *quoted = gateway_quote_untrusted (host);
  g_autofree gchar *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, GATEWAY_ERROR, code, "%s is not a host: %s", quoted,
      reason);
  return FALSE;
}

static gboolean
is_all (const gchar *s, gsize len, const gchar *chars)
{
  gsize i;

  for (i = 0; i < len; i++) {
    if (!strchr (chars, s[i]))
      return FALSE;
  }
  return len > 0;
}

/* An address literal of @family as inet_pton() reads it, not unspecified. */
static gboolean
check_address (const gchar *host, GSocketFamily family, const gchar *what,
    GError **error)
{
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (host);

  if (!address || g_inet_address_get_family (address) != family)
    return refuse (error, GATEWAY_ERROR_PATTERN, host, "not %s", what);
  if (g_inet_address_get_is_any (address))
    return refuse (error, GATEWAY_ERROR_PATTERN, host,
        "the unspecified address sends nowhere");
  return TRUE;
}

static gboolean
check_ipv6 (const gchar *host, gsize len, GError **error)
{
  const gchar *colon = strchr (host, ':');

  /* One colon: a host and a port, never an IPv6 address (it has two). */
  if (!strchr (colon + 1, ':'))
    return refuse (error, GATEWAY_ERROR_PATTERN, host,
        "a port is not part of a host (the port has a param of its own)");
  if (strchr (host, '%'))
    return refuse (error, GATEWAY_ERROR_PATTERN, host,
        "an IPv6 zone (%%...) is not accepted");
  if (host[0] == '[')
    return refuse (error, GATEWAY_ERROR_PATTERN, host,
        "an IPv6 address is given without brackets (and without a port)");
  if (len > IPV6_MAX_LENGTH || !is_all (host, len, "0123456789abcdefABCDEF:."))
    return refuse (error, GATEWAY_ERROR_PATTERN, host, "not an IPv6 address");
  return check_address (host, G_SOCKET_FAMILY_IPV6, "an IPv6 address", error);
}

/* RFC 1123 labels; the all-digits case never reaches here as a whole. */
static gboolean
check_name (const gchar *host, GError **error)
{
  const gchar *label = host;
  guint n = 1;

  for (;;) {
    gsize len = strcspn (label, ".");
    gsize i;

    if (len == 0)
      return refuse (error, GATEWAY_ERROR_PATTERN, host,
          "label %u is empty (a leading, trailing or doubled dot)", n);
    if (len > LABEL_MAX_LENGTH)
      return refuse (error, GATEWAY_ERROR_OUT_OF_BOUNDS, host,
          "label %u is %" G_GSIZE_FORMAT " bytes, longer than %d", n, len,
          LABEL_MAX_LENGTH);
    for (i = 0; i < len; i++) {
      if (!g_ascii_isalnum (label[i]) && label[i] != '-')
        return refuse (error, GATEWAY_ERROR_PATTERN, host,
            "label %u holds a character other than A-Z a-z 0-9 -", n);
    }
    if (label[0] == '-' || label[len - 1] == '-')
      return refuse (error, GATEWAY_ERROR_PATTERN, host,
          "label %u starts or ends with \"-\"", n);
    if (label[len] == '\0') {
      if (is_all (label, len, "0123456789"))
        return refuse (error, GATEWAY_ERROR_PATTERN, host,
            "the last label is all digits");
      return TRUE;
    }
    label += len + 1;
    n++;
  }
}

/**
 * gateway_host_address_check:
 * @host: a candidate destination host, from the network
 * @error: return location for a #GATEWAY_ERROR
 *
 * Accepts an IPv4 dotted quad, an IPv6 address without brackets or zone,
 * or an RFC 1123 host name, and nothing else; the unspecified addresses
 * (0.0.0.0, ::) are refused, multicast ones accepted. Names are not
 * resolved.
 *
 * Returns: %TRUE when @host is one of those
 */
gboolean
gateway_host_address_check (const gchar *host, GError **error)
{
  gsize len;

  g_return_val_if_fail (host != NULL, FALSE);

  len = strlen (host);
  if (len == 0)
    return refuse (error, GATEWAY_ERROR_PATTERN, host, "empty");
  if (len > GATEWAY_HOST_MAX_LENGTH)
    return refuse (error, GATEWAY_ERROR_OUT_OF_BOUNDS, host,
        "%" G_GSIZE_FORMAT " bytes, longer than %d", len,
        GATEWAY_HOST_MAX_LENGTH);
  if (strchr (host, ':'))
    return check_ipv6 (host, len, error);
  /* Empty labels are reported as such, whatever the rest looks like. */
  if (is_all (host, len, "0123456789.") && host[0] != '.'
      && host[len - 1] != '.' && !strstr (host, ".."))
    return check_address (host, G_SOCKET_FAMILY_IPV4,
        "an IPv4 address (four parts 0 to 255 without leading zeros), and a "
        "name's last label cannot be all digits",
        error);
  return check_name (host, error);
}

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-redact.c: keeps secrets out of log lines.
 */
#include "realtime-redact.h"

#include <string.h>

#define MASK "***"

static const gchar *const secret_keys[]
    = { "apikey", "access_token", "token", "x-api-key", NULL };

/* Compares a parameter name as it appears in the URL, so "ApiKey" and a
 * percent-encoded "api%6Bey" are both caught. */
static gboolean
is_secret_key (const gchar *key, gsize len)
{
  gchar *raw = g_strndup (key, len);
  gchar *decoded = g_uri_unescape_string (raw, NULL);
  const gchar *name = decoded ? decoded : raw;
  gboolean found = FALSE;
  guint i;

  for (i = 0; secret_keys[i] && !found; i++)
    found = g_ascii_strcasecmp (name, secret_keys[i]) == 0;
  g_free (decoded);
  g_free (raw);
  return found;
}

/* Appends the "k=v&k=v" parameters in [p, end) to @out with secret values
 * masked. A value runs to the next '&' or '#', or @end. */
static void
append_params (GString *out, const gchar *p, const gchar *end)
{
  while (p < end) {
    const gchar *param_end = p;
    const gchar *eq;

    while (param_end < end && *param_end != '&' && *param_end != '#')
      param_end++;
    eq = memchr (p, '=', param_end - p);
    if (eq && is_secret_key (p, eq - p)) {
      g_string_append_len (out, p, eq + 1 - p);
      g_string_append (out, MASK);
    } else {
      g_string_append_len (out, p, param_end - p);
    }
    p = param_end;
    if (p < end) {
      /* The separator itself, then the next parameter. */
      g_string_append_c (out, *p);
      p++;
    }
  }
}

/**
 * realtime_redact_url:
 * @url: (nullable): a URL
 *
 * Masks the values of "apikey", "access_token", "token" and "x-api-key"
 * parameters (names compared case-insensitively) in the query and in the
 * fragment, where OAuth puts tokens too, and drops any userinfo.
 *
 * Returns: (transfer full) (nullable): the redacted copy, %NULL only for
 *   %NULL input.
 */
gchar *
realtime_redact_url (const gchar *url)
{
  GString *out;
  const gchar *p, *end, *scheme_end, *authority_end, *at;

  if (!url)
    return NULL;

  out = g_string_sized_new (strlen (url));
  p = url;
  end = url + strlen (url);

  scheme_end = strstr (url, "://");
  if (scheme_end && scheme_end < url + strcspn (url, "/?#")) {
    p = scheme_end + 3;
    g_string_append_len (out, url, p - url);
    authority_end = p + strcspn (p, "/?#");
    /* The last '@' ends the userinfo: a password may contain '@'. */
    at = g_strrstr_len (p, authority_end - p, "@");
    if (at)
      p = at + 1;
  }

  {
    const gchar *query = p + strcspn (p, "?#");

    g_string_append_len (out, p, query - p);
    p = query;
  }
  if (p < end) {
    /* From the '?' (or a '#' with no query) to the end is one parameter
       * list: append_params() steps over the '#' into the fragment. */
    g_string_append_c (out, *p);
    append_params (out, p + 1, end);
  }
  return g_string_free (out, FALSE);
}

/**
 * realtime_redact_text:
 * @text: (nullable): a text, such as a log message
 * @secrets: (nullable) (array zero-terminated=1): the secrets to mask
 *
 * Masks every occurrence of each non-empty secret. Where secrets overlap,
 * the longest one matching at a position wins, so a secret that extends
 * another is masked whole.
 *
 * Returns: (transfer full) (nullable): the redacted copy, %NULL only for
 *   %NULL input.
 */
gchar *
realtime_redact_text (const gchar *text, const gchar *const *secrets)
{
  GString *out;
  const gchar *p;

  if (!text)
    return NULL;
  if (!secrets || !secrets[0])
    return g_strdup (text);

  out = g_string_sized_new (strlen (text));
  p = text;
  while (*p) {
    gsize best = 0;
    guint i;

    for (i = 0; secrets[i]; i++) {
      gsize n = strlen (secrets[i]);

      if (n > best && strncmp (p, secrets[i], n) == 0)
        best = n;
    }
    if (best) {
      g_string_append (out, MASK);
      p += best;
    } else {
      g_string_append_c (out, *p);
      p++;
    }
  }
  return g_string_free (out, FALSE);
}

gchar *
realtime_escape_untrusted (const gchar *text, gsize max)
{
  GString *out = g_string_new (NULL);
  const guchar *p;

  for (p = (const guchar *)(text ? text : ""); *p; p++) {
    gchar piece[8];

    if (*p == '"' || *p == '\\')
      g_snprintf (piece, sizeof piece, "\\%c", *p);
    else if (*p < 0x20 || *p >= 0x7f)
      g_snprintf (piece, sizeof piece, "\\x%02x", *p);
    else
      g_snprintf (piece, sizeof piece, "%c", *p);
    if (out->len + strlen (piece) > max) {
      g_string_append (out, "...");
      break;
    }
    g_string_append (out, piece);
  }
  return g_string_free (out, FALSE);
}

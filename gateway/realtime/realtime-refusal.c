/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-refusal.c: the server's refusals, by kind. The join codes are
 * those of Supabase Realtime's realtime_channel.ex (a reason is
 * "Code: message"); a code this table does not know is treated as a
 * glitch (LOST), so a new server code never stops a robot for good.
 */
#include "realtime-refusal.h"

#include <libsoup/soup.h>
#include <string.h>

/**
 * realtime_refusal_from_http_status:
 * @status: the handshake's HTTP status, 0 when there was none
 *
 * Returns: the kind of failure a refused handshake is.
 */
RealtimeFailureKind
realtime_refusal_from_http_status (guint status)
{
  switch (status) {
    case 401: /* bad key or token */
    case 403: /* realtime disabled for the project */
    case 404: /* no such project */
      return REALTIME_FAILURE_REFUSED;
    case 429: /* too many users or joins */
      return REALTIME_FAILURE_RATE_LIMITED;
    case 503:
      return REALTIME_FAILURE_UNAVAILABLE;
    default:
      return REALTIME_FAILURE_LOST;
  }
}

/**
 * realtime_refusal_parse_retry_after:
 * @value: (nullable): the header's value
 * @now_unix_us: the wall clock now, in µs since the epoch (an HTTP date
 *   is a wall-clock time)
 *
 * Returns: how long the server asked us to wait, in ms (at most a day);
 *   0 for no header, an unparsable one or a date in the past.
 */
guint
realtime_refusal_parse_retry_after (const gchar *value, gint64 now_unix_us)
{
  const guint64 day_ms = 24 * 3600 * 1000;
  g_autofree gchar *text = NULL;
  guint64 seconds;
  gchar *end = NULL;

  if (!value)
    return 0;
  text = g_strstrip (g_strdup (value));
  if (g_ascii_isdigit (*text)) {
    seconds = g_ascii_strtoull (text, &end, 10);
    if (*end != '\0')
      return 0;
    return seconds >= day_ms / 1000 ? (guint)day_ms : (guint)(seconds * 1000);
  } else {
    g_autoptr (GDateTime) when = soup_date_time_new_from_http_string (text);
    gint64 ms;

    if (!when)
      return 0;
    /* Rounded up: never sooner than the date. */
    ms = (g_date_time_to_unix (when) * G_USEC_PER_SEC - now_unix_us + 999)
        / 1000;
    return ms <= 0 ? 0 : (guint)MIN ((guint64)ms, day_ms);
  }
}

static const struct
{
  const gchar *code;
  RealtimeFailureKind kind;
} join_codes[] = {
  /* The operator must fix a key, a token, a policy or the project. */
  { "Unauthorized", REALTIME_FAILURE_REFUSED },
  { "InvalidJWTToken", REALTIME_FAILURE_REFUSED },
  { "MalformedJWT", REALTIME_FAILURE_REFUSED },
  { "JwtSignatureError", REALTIME_FAILURE_REFUSED },
  { "JwtSignerError", REALTIME_FAILURE_REFUSED },
  { "TenantNotFound", REALTIME_FAILURE_REFUSED },
  { "RealtimeDisabledForTenant", REALTIME_FAILURE_REFUSED },
  { "PrivateOnly", REALTIME_FAILURE_REFUSED },
  { "TopicNameRequired", REALTIME_FAILURE_REFUSED },
  { "InvalidJoinPayload", REALTIME_FAILURE_REFUSED },
  /* The project is over one of its limits. */
  { "ClientJoinRateLimitReached", REALTIME_FAILURE_RATE_LIMITED },
  { "ChannelRateLimitReached", REALTIME_FAILURE_RATE_LIMITED },
  { "ConnectionRateLimitReached", REALTIME_FAILURE_RATE_LIMITED },
  { "DatabaseConnectionRateLimitReached", REALTIME_FAILURE_RATE_LIMITED },
  /* The server or the project's database is short of something. */
  { "IncreaseConnectionPool", REALTIME_FAILURE_UNAVAILABLE },
  { "DatabaseLackOfConnections", REALTIME_FAILURE_UNAVAILABLE },
  { "RealtimeRestarting", REALTIME_FAILURE_UNAVAILABLE },
  { "UnableToConnectToProject", REALTIME_FAILURE_UNAVAILABLE },
  { "InitializingProjectConnection", REALTIME_FAILURE_UNAVAILABLE },
  { "TimeoutOnRpcCall", REALTIME_FAILURE_UNAVAILABLE },
  { "ErrorOnRpcCall", REALTIME_FAILURE_UNAVAILABLE },
};

/**
 * realtime_refusal_from_join_reason:
 * @reason: (nullable): the "reason" of a join's error reply
 *
 * Returns: the kind of failure the refused join is.
 */
RealtimeFailureKind
realtime_refusal_from_join_reason (const gchar *reason)
{
  gsize len;
  guint i;

  if (!reason)
    return REALTIME_FAILURE_LOST;
  if (realtime_refusal_is_token_expired (reason))
    return REALTIME_FAILURE_TOKEN_EXPIRED;
  len = strcspn (reason, ":");
  for (i = 0; i < G_N_ELEMENTS (join_codes); i++)
    if (strlen (join_codes[i].code) == len
        && strncmp (reason, join_codes[i].code, len) == 0)
      return join_codes[i].kind;
  return REALTIME_FAILURE_LOST;
}

/* Case-insensitive: is @needle in @text? */
static gboolean
contains (const gchar *text, const gchar *needle)
{
  gsize n = strlen (needle);
  gsize len, i;

  if (!text)
    return FALSE;
  len = strlen (text);
  for (i = 0; i + n <= len; i++)
    if (g_ascii_strncasecmp (text + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}

/**
 * realtime_refusal_from_system_message:
 * @text: (nullable): the "message" of a system error (its shutdown
 *   reasons in realtime_channel.ex)
 *
 * Returns: the kind of failure the channel's end is.
 */
RealtimeFailureKind
realtime_refusal_from_system_message (const gchar *text)
{
  if (realtime_refusal_is_token_expired (text))
    return REALTIME_FAILURE_TOKEN_EXPIRED;
  if (contains (text, "no longer have permission")
      || contains (text, "are required in JWT")
      || contains (text, "not a valid JWT") || contains (text, "JWT signer"))
    return REALTIME_FAILURE_REFUSED;
  if (contains (text, "too many") || contains (text, "rate limit"))
    return REALTIME_FAILURE_RATE_LIMITED;
  if (contains (text, "unable to connect to the project database")
      || contains (text, "request timeout"))
    return REALTIME_FAILURE_UNAVAILABLE;
  return REALTIME_FAILURE_LOST;
}

/**
 * realtime_refusal_is_token_expired:
 * @text: (nullable): a join reason or a system message
 *
 * The server says "Token has expired N seconds ago" (a join's
 * InvalidJWTToken, or the system message that ends a joined channel).
 *
 * Returns: %TRUE when @text says the access token has expired.
 */
gboolean
realtime_refusal_is_token_expired (const gchar *text)
{
  return contains (text, "token has expired");
}

/**
 * realtime_failure_kind_to_string:
 * @kind: a failure kind
 *
 * Returns: a stable word for @kind, for log lines and tests.
 */
const gchar *
realtime_failure_kind_to_string (RealtimeFailureKind kind)
{
  switch (kind) {
    case REALTIME_FAILURE_LOST:
      return "lost";
    case REALTIME_FAILURE_RATE_LIMITED:
      return "rate-limited";
    case REALTIME_FAILURE_UNAVAILABLE:
      return "unavailable";
    case REALTIME_FAILURE_REFUSED:
      return "refused";
    case REALTIME_FAILURE_TOKEN_EXPIRED:
      return "token-expired";
    case REALTIME_FAILURE_OFFLINE:
      return "offline";
  }
  return "unknown";
}

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-refusals.c: rows 17 to 20 of README's Reliability table, against
 * the local realtime server: a connect that hangs (connect-timeout),
 * Retry-After on 429 and 503, each refusal kind (handshake 401, 403, 404;
 * joins refused as Unauthorized, ClientJoinRateLimitReached,
 * ChannelRateLimitReached, IncreaseConnectionPool) retried with its
 * kind's delay and its log line, and an expired token with and without a
 * newer one in the watched file; and row 21's offline kind: the robot's
 * own network down (a test resolver), retried on the short offline
 * ladder, while a refused connection stays "lost".
 *
 * The delays are checked against the reconnect policy itself, not against
 * numbers copied here: a fresh policy with the client's bounds, sampled
 * over many seeds, gives the range a first failure of each kind may wait.
 */
#include "test-util.h"

#include "realtime-channel.h"
#include "realtime-client.h"
#include "realtime-settings.h"
#include "realtime-token-watch.h"
#include "realtime-refusal.h"
#include "reconnect-policy.h"
#include "rt-server.h"

#include <libsoup/soup.h>
#include <string.h>

#define BACKOFF_MIN 5
#define BACKOFF_MAX 800
/* Room for a loaded machine on top of a delay: bounded, generous. */
#define SLACK_MS 2500
/* A GLib timeout may fire up to a millisecond early against µs clocks. */
#define EARLY_MS 10

static RtServer *server;
static gchar *work_dir;

static void
setup (void)
{
  GError *error = NULL;

  server = rt_server_new (0, RT_TEST_API_KEY, &error);
  g_assert_no_error (error);
  work_dir = rt_test_make_tmp_dir ("rt-refusals-XXXXXX");
  rt_test_clear_logs ();
}

static void
teardown (void)
{
  g_clear_pointer (&server, rt_server_free);
  rt_test_run_for (20);
  rt_test_clear_tmp_dir (&work_dir);
}

static RealtimeClient *
new_client_for (RtServer *s, guint backoff_max)
{
  return g_object_new (REALTIME_TYPE_CLIENT, "url", rt_server_get_url (s),
      "api-key", RT_TEST_API_KEY, "heartbeat-interval", 1000, "join-timeout",
      2000, "backoff-min", BACKOFF_MIN, "backoff-max", backoff_max, NULL);
}

static RealtimeClient *
new_client (void)
{
  return new_client_for (server, BACKOFF_MAX);
}

static gboolean
is_joined (RealtimeChannel *ch)
{
  return realtime_channel_get_state (ch) == REALTIME_CHANNEL_STATE_JOINED;
}

static gboolean
is_state (RealtimeClient *c, RealtimeClientState state)
{
  return realtime_client_get_state (c) == state;
}

/* The range of delays a fresh policy (the client's bounds) gives the first
 * failure of @kind, over many seeds. */
static void
policy_range (RealtimeFailureKind kind, guint cap, guint retry_after_ms,
    guint *lo, guint *hi)
{
  guint32 seed;

  *lo = G_MAXUINT;
  *hi = 0;
  for (seed = 1; seed <= 500; seed++) {
    RealtimeReconnectPolicy p;
    guint d;

    realtime_reconnect_policy_init (&p, BACKOFF_MIN, cap);
    realtime_reconnect_policy_set_seed (&p, seed);
    d = realtime_reconnect_policy_next (&p, kind, retry_after_ms);
    realtime_reconnect_policy_clear (&p);
    *lo = MIN (*lo, d);
    *hi = MAX (*hi, d);
  }
}

static gint64
upgrade_time (guint i)
{
  GArray *times = rt_server_get_upgrade_times (server);

  return i < times->len ? g_array_index (times, gint64, i) : 0;
}

static guint
n_upgrades (void)
{
  return rt_server_get_upgrade_times (server)->len;
}

/* Time of the @n-th phx_join on @topic the server received, or 0. */
static gint64
join_time (const gchar *topic, guint n)
{
  GPtrArray *frames = rt_server_get_frames (server);
  guint i, seen = 0;

  for (i = 0; i < frames->len; i++) {
    RtServerFrame *fr = g_ptr_array_index (frames, i);

    if (g_strcmp0 (fr->event, "phx_join") == 0
        && g_strcmp0 (fr->topic, topic) == 0 && seen++ == n)
      return fr->time_us;
  }
  return 0;
}

/* Fails unless @gap_ms is a delay of @kind (plus the time to get there). */
static void
check_gap (const gchar *what, gint64 gap_ms, RealtimeFailureKind kind)
{
  guint lo, hi;

  policy_range (kind, BACKOFF_MAX, 0, &lo, &hi);
  fail_unless (gap_ms + EARLY_MS >= lo && gap_ms <= (gint64)hi + SLACK_MS,
      "%s: retried after %" G_GINT64_FORMAT " ms, the policy says %u to %u ms",
      what, gap_ms, lo, hi);
}

/* The refusal was logged with what the operator must fix. */
static void
check_logged (const gchar *what, RealtimeFailureKind kind)
{
  fail_unless (rt_test_count_logs (realtime_failure_kind_describe (kind)) >= 1,
      "%s: no log line says \"%s\"", what,
      realtime_failure_kind_describe (kind));
}

/* The classification alone: statuses, Retry-After, the service's join
 * reasons and system messages. */
GST_START_TEST (test_classification)
{
  static const struct
  {
    const gchar *reason;
    RealtimeFailureKind kind;
  } reasons[] = {
    { "Unauthorized: You do not have permissions to read from this Channel "
      "topic: x",
        REALTIME_FAILURE_REFUSED },
    { "InvalidJWTToken: Token has expired 12 seconds ago",
        REALTIME_FAILURE_TOKEN_EXPIRED },
    { "InvalidJWTToken: Fields `role` and `exp` are required in JWT",
        REALTIME_FAILURE_REFUSED },
    { "MalformedJWT: The token provided is not a valid JWT",
        REALTIME_FAILURE_REFUSED },
    { "TenantNotFound: Tenant with the given ID does not exist",
        REALTIME_FAILURE_REFUSED },
    { "ClientJoinRateLimitReached: Too many joins per second",
        REALTIME_FAILURE_RATE_LIMITED },
    { "ChannelRateLimitReached: Too many channels",
        REALTIME_FAILURE_RATE_LIMITED },
    { "ConnectionRateLimitReached: Too many connected users",
        REALTIME_FAILURE_RATE_LIMITED },
    { "IncreaseConnectionPool: Please increase your connection pool size",
        REALTIME_FAILURE_UNAVAILABLE },
    { "RealtimeRestarting: Realtime is restarting, please standby",
        REALTIME_FAILURE_UNAVAILABLE },
    { "UnknownErrorOnChannel: boom", REALTIME_FAILURE_LOST },
    { "Unauthorizedish", REALTIME_FAILURE_LOST },
    { "", REALTIME_FAILURE_LOST },
    { NULL, REALTIME_FAILURE_LOST },
  };
  g_autoptr (GDateTime) when = g_date_time_new_from_unix_utc (1000000);
  g_autofree gchar *date = soup_date_time_to_string (when, SOUP_DATE_HTTP);
  guint i;

  fail_unless_equals_int (realtime_refusal_from_http_status (401),
      REALTIME_FAILURE_REFUSED);
  fail_unless_equals_int (realtime_refusal_from_http_status (403),
      REALTIME_FAILURE_REFUSED);
  fail_unless_equals_int (realtime_refusal_from_http_status (404),
      REALTIME_FAILURE_REFUSED);
  fail_unless_equals_int (realtime_refusal_from_http_status (429),
      REALTIME_FAILURE_RATE_LIMITED);
  fail_unless_equals_int (realtime_refusal_from_http_status (503),
      REALTIME_FAILURE_UNAVAILABLE);
  fail_unless_equals_int (realtime_refusal_from_http_status (500),
      REALTIME_FAILURE_LOST);
  fail_unless_equals_int (realtime_refusal_from_http_status (0),
      REALTIME_FAILURE_LOST);

  fail_unless_equals_int (realtime_refusal_parse_retry_after ("120", 0),
      120000);
  fail_unless_equals_int (realtime_refusal_parse_retry_after (" 0 ", 0), 0);
  fail_unless_equals_int (realtime_refusal_parse_retry_after (NULL, 0), 0);
  fail_unless_equals_int (realtime_refusal_parse_retry_after ("soon", 0), 0);
  fail_unless_equals_int (realtime_refusal_parse_retry_after ("-5", 0), 0);
  fail_unless_equals_int (realtime_refusal_parse_retry_after ("12x", 0), 0);
  /* Far too long: a day at most. */
  fail_unless_equals_int (realtime_refusal_parse_retry_after ("9999999999", 0),
      24 * 3600 * 1000);
  /* A date: from now, rounded up; in the past: 0. */
  fail_unless_equals_int (realtime_refusal_parse_retry_after (date,
                              (gint64)(1000000 - 5) * G_USEC_PER_SEC),
      5000);
  fail_unless_equals_int (realtime_refusal_parse_retry_after (date,
                              (gint64)(1000000 - 5) * G_USEC_PER_SEC + 1),
      5000);
  fail_unless_equals_int (realtime_refusal_parse_retry_after (date,
                              (gint64)(1000000 + 1) * G_USEC_PER_SEC),
      0);

  for (i = 0; i < G_N_ELEMENTS (reasons); i++)
    fail_unless_equals_int (realtime_refusal_from_join_reason (
                                reasons[i].reason),
        reasons[i].kind);

  fail_unless_equals_int (realtime_refusal_from_system_message (
                              "Token has expired 3 seconds ago"),
      REALTIME_FAILURE_TOKEN_EXPIRED);
  fail_unless_equals_int (realtime_refusal_from_system_message (
                              "You no longer have permission to read from "
                              "this Channel topic: x"),
      REALTIME_FAILURE_REFUSED);
  fail_unless_equals_int (realtime_refusal_from_system_message (
                              "Too many messages per second"),
      REALTIME_FAILURE_RATE_LIMITED);
  fail_unless_equals_int (realtime_refusal_from_system_message (
                              "Realtime was unable to connect to the project "
                              "database"),
      REALTIME_FAILURE_UNAVAILABLE);
  fail_unless_equals_int (realtime_refusal_from_system_message ("whatever"),
      REALTIME_FAILURE_LOST);
}

GST_END_TEST;

/* Row 17: the server accepts TCP and never answers the upgrade; the
 * attempt is abandoned at connect-timeout, the next one joins. */
static void
hang_recovers (RtServer *s, const gchar *ca_file)
{
  RealtimeClient *c
      = g_object_new (REALTIME_TYPE_CLIENT, "url", rt_server_get_url (s),
          "api-key", RT_TEST_API_KEY, "ca-file", ca_file, "connect-timeout",
          700, "backoff-min", BACKOFF_MIN, "backoff-max", 50, NULL);
  RealtimeChannel *ch = realtime_client_channel (c, "hang");
  RealtimeClientStats stats;
  gint64 t0, took_ms;
  guint lo, hi;

  rt_server_hang_upgrades (s, 1);
  realtime_channel_subscribe (ch);
  t0 = g_get_monotonic_time ();
  realtime_client_connect (c);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 700 + 50 + SLACK_MS),
      "not joined within connect-timeout + backoff (+ slack)");
  took_ms = (g_get_monotonic_time () - t0) / 1000;
  policy_range (REALTIME_FAILURE_LOST, 50, 0, &lo, &hi);
  fail_unless (took_ms + EARLY_MS >= 700,
      "joined after %" G_GINT64_FORMAT " ms: the hung attempt was not it",
      took_ms);
  fail_unless (took_ms <= 700 + hi + SLACK_MS,
      "joined after %" G_GINT64_FORMAT " ms", took_ms);
  fail_unless_equals_int (rt_server_get_n_hung (s), 1);
  realtime_client_get_stats (c, &stats);
  fail_unless_equals_int (stats.connect_timeouts, 1);
  fail_unless (rt_test_count_logs ("connect-timeout (700 ms) reached") >= 1);
  g_object_unref (c);
}

GST_START_TEST (test_hanging_upgrade_recovered)
{
  hang_recovers (server, NULL);
}

GST_END_TEST;

/* The same with TLS: the handshake itself hangs. */
GST_START_TEST (test_hanging_tls_handshake_recovered)
{
  GError *error = NULL;
  g_autofree gchar *cert = rt_test_tls_file ("server.pem");
  g_autofree gchar *key = rt_test_tls_file ("server-key.pem");
  g_autofree gchar *ca = rt_test_tls_file ("ca.pem");
  RtServer *tls;

  fail_unless (g_tls_backend_supports_tls (g_tls_backend_get_default ()),
      "GIO has no TLS backend: install glib-networking");
  tls = rt_server_new_tls (0, RT_TEST_API_KEY, cert, key, &error);
  g_assert_no_error (error);
  hang_recovers (tls, ca);
  rt_server_free (tls);
}

GST_END_TEST;

/* Row 18: no attempt before Retry-After; refused at @status with
 * @retry_after, the client must wait @wait_ms at least. */
static gint64
gap_after_refusal (guint status, const gchar *retry_after, guint backoff_max)
{
  RealtimeClient *c = new_client_for (server, backoff_max);
  RealtimeChannel *ch = realtime_client_channel (c, "later");
  gint64 gap;

  rt_server_refuse_upgrades_retry_after (server, status, 1, retry_after);
  realtime_channel_subscribe (ch);
  realtime_client_connect (c);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), backoff_max + SLACK_MS + 1000),
      "never joined after the refusal");
  fail_unless_equals_int (n_upgrades (), 2);
  gap = (upgrade_time (1) - upgrade_time (0)) / 1000;
  g_object_unref (c);
  return gap;
}

GST_START_TEST (test_retry_after_seconds_429)
{
  gint64 gap = gap_after_refusal (429, "2", 4000);

  fail_unless (gap + EARLY_MS >= 2000,
      "retried %" G_GINT64_FORMAT " ms after a 429 with Retry-After: 2", gap);
  check_logged ("429", REALTIME_FAILURE_RATE_LIMITED);
  fail_unless (rt_test_count_logs ("Retry-After 2000 ms") >= 1);
}

GST_END_TEST;

/* An HTTP date: wall-clock time, whole seconds. */
GST_START_TEST (test_retry_after_http_date_503)
{
  RealtimeClient *c = new_client_for (server, 4000);
  RealtimeChannel *ch = realtime_client_channel (c, "date");
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr (GDateTime) when = g_date_time_add_seconds (now, 3);
  g_autofree gchar *date = soup_date_time_to_string (when, SOUP_DATE_HTTP);
  gint64 refused_real, refused_mono, due_us;

  rt_server_refuse_upgrades_retry_after (server, 503, 1, date);
  realtime_channel_subscribe (ch);
  realtime_client_connect (c);
  fail_unless (RT_WAIT_UNTIL (n_upgrades () == 1
                       && is_state (c, REALTIME_CLIENT_STATE_DISCONNECTED),
                   3000),
      "the refusal never came");
  refused_real = g_get_real_time ();
  refused_mono = g_get_monotonic_time ();
  due_us = g_date_time_to_unix (when) * G_USEC_PER_SEC - refused_real;
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 4000 + SLACK_MS + 1000),
      "never joined after the date");
  fail_unless (upgrade_time (1) - refused_mono + EARLY_MS * 1000 >= due_us,
      "retried %" G_GINT64_FORMAT " ms before the Retry-After date",
      (due_us - (upgrade_time (1) - refused_mono)) / 1000);
  check_logged ("503", REALTIME_FAILURE_UNAVAILABLE);
  g_object_unref (c);
}

GST_END_TEST;

/* A Retry-After beyond backoff-max is capped by it. */
GST_START_TEST (test_retry_after_capped)
{
  gint64 gap = gap_after_refusal (429, "3600", 600);

  fail_unless (gap <= 600 + SLACK_MS,
      "retried %" G_GINT64_FORMAT " ms after, backoff-max is 600 ms", gap);
}

GST_END_TEST;

/* Row 19, handshake refusals: the gap is the kind's, the log line names
 * the status and what to fix. */
static void
handshake_refused (guint status, RealtimeFailureKind kind)
{
  RealtimeClient *c = new_client ();
  RealtimeChannel *ch = realtime_client_channel (c, "hs");
  g_autofree gchar *what = g_strdup_printf ("HTTP %u", status);
  g_autofree gchar *line
      = g_strdup_printf ("handshake refused with HTTP %u", status);
  g_autofree gchar *tag
      = g_strdup_printf ("[%s]", realtime_failure_kind_to_string (kind));

  rt_test_clear_logs ();
  rt_server_refuse_upgrades (server, status, 1);
  realtime_channel_subscribe (ch);
  realtime_client_connect (c);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), BACKOFF_MAX + SLACK_MS + 1000),
      "%s: never joined", what);
  fail_unless_equals_int (n_upgrades (), 2);
  check_gap (what, (upgrade_time (1) - upgrade_time (0)) / 1000, kind);
  check_logged (what, kind);
  /* Once per occurrence. */
  fail_unless (rt_test_count_logs (line) >= 1);
  fail_unless_equals_int (rt_test_count_logs (tag), 1);
  g_object_unref (c);
}

GST_START_TEST (test_handshake_401_refused)
{
  handshake_refused (401, REALTIME_FAILURE_REFUSED);
}

GST_END_TEST;

GST_START_TEST (test_handshake_403_refused)
{
  handshake_refused (403, REALTIME_FAILURE_REFUSED);
}

GST_END_TEST;

GST_START_TEST (test_handshake_404_refused)
{
  handshake_refused (404, REALTIME_FAILURE_REFUSED);
}

GST_END_TEST;

/* Refused again and again: attempts over a window stay at the cap's
 * rate, never the ladder's. */
GST_START_TEST (test_refusals_stay_at_the_cap)
{
  RealtimeClient *c = new_client ();
  guint lo, hi, n, most;

  policy_range (REALTIME_FAILURE_REFUSED, BACKOFF_MAX, 0, &lo, &hi);
  rt_server_refuse_upgrades (server, 401, 1000);
  realtime_client_connect (c);
  rt_test_run_for (3000);
  n = n_upgrades ();
  most = 3000 / MAX (lo, 1) + 1;
  fail_unless (n >= 2 && n <= most,
      "%u attempts in 3 s; at the cap (%u to %u ms) at most %u", n, lo, hi,
      most);
  fail_unless (rt_test_count_logs ("HTTP 401") >= n - 1);
  g_object_unref (c);
}

GST_END_TEST;

/* Row 19, join refusals with the service's reasons (realtime_channel.ex). */
static void
join_refused (const gchar *reason, RealtimeFailureKind kind,
    gboolean drops_socket)
{
  RealtimeClient *c = new_client ();
  RealtimeChannel *ch = realtime_client_channel (c, "jr");
  g_autofree gchar *code = g_strndup (reason, strcspn (reason, ":"));
  gint64 gap;

  rt_test_clear_logs ();
  rt_server_reject_joins (server, "realtime:jr", 1, reason);
  realtime_channel_subscribe (ch);
  realtime_client_connect (c);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), BACKOFF_MAX + SLACK_MS + 1000),
      "%s: never joined", code);
  fail_unless (join_time ("realtime:jr", 1) != 0);
  gap = (join_time ("realtime:jr", 1) - join_time ("realtime:jr", 0)) / 1000;
  if (drops_socket) {
    /* The server dropped the socket: the reconnect waited as the refusal
     * says, then the channel rejoined at once. */
    fail_unless_equals_int (n_upgrades (), 2);
    check_gap (code, (upgrade_time (1) - join_time ("realtime:jr", 0)) / 1000,
        kind);
  } else {
    fail_unless_equals_int (n_upgrades (), 1);
    check_gap (code, gap, kind);
  }
  check_logged (code, kind);
  fail_unless (rt_test_count_logs (code) >= 1);
  g_object_unref (c);
}

GST_START_TEST (test_join_unauthorized)
{
  join_refused ("Unauthorized: You do not have permissions to read from this "
                "Channel topic: jr",
      REALTIME_FAILURE_REFUSED, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_join_client_join_rate_limit)
{
  join_refused ("ClientJoinRateLimitReached: Too many joins per second",
      REALTIME_FAILURE_RATE_LIMITED, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_join_channel_rate_limit)
{
  join_refused ("ChannelRateLimitReached: Too many channels",
      REALTIME_FAILURE_RATE_LIMITED, FALSE);
}

GST_END_TEST;

GST_START_TEST (test_join_increase_connection_pool)
{
  join_refused ("IncreaseConnectionPool: Please increase your connection "
                "pool size",
      REALTIME_FAILURE_UNAVAILABLE, FALSE);
}

GST_END_TEST;

/* What bench/fleet assumes of the client: an open socket is not a
 * success, so every ClientJoinRateLimitReached after the first, before
 * any join, waits as a repeated rate limit does (at the cap), not as a
 * first one (which may be anywhere in [0, cap]: three in a row all at
 * the cap by chance is 1 in 8). */
GST_START_TEST (test_repeated_rate_limit_waits_at_the_cap)
{
  RealtimeClient *c = new_client ();
  RealtimeChannel *ch = realtime_client_channel (c, "rl");
  guint lo = G_MAXUINT, hi = 0, i;
  guint32 seed;
  gint64 gap;

  /* The range of a second rate limit in a row, from the policy itself. */
  for (seed = 1; seed <= 500; seed++) {
    RealtimeReconnectPolicy p;
    guint d;

    realtime_reconnect_policy_init (&p, BACKOFF_MIN, BACKOFF_MAX);
    realtime_reconnect_policy_set_seed (&p, seed);
    realtime_reconnect_policy_next (&p, REALTIME_FAILURE_RATE_LIMITED, 0);
    d = realtime_reconnect_policy_next (&p, REALTIME_FAILURE_RATE_LIMITED, 0);
    realtime_reconnect_policy_clear (&p);
    lo = MIN (lo, d);
    hi = MAX (hi, d);
  }
  fail_unless (lo >= BACKOFF_MAX / 2, "the policy's second rate limit: %u ms",
      lo);

  rt_server_reject_joins (server, "realtime:rl", 4,
      "ClientJoinRateLimitReached: Too many joins per second");
  realtime_channel_subscribe (ch);
  realtime_client_connect (c);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch),
                   4 * BACKOFF_MAX + SLACK_MS + 1000),
      "never joined");
  /* Each refusal dropped the socket. */
  fail_unless_equals_int (n_upgrades (), 5);
  for (i = 1; i < 4; i++) {
    gap = (upgrade_time (i + 1) - join_time ("realtime:rl", i)) / 1000;
    fail_unless (gap + EARLY_MS >= lo && gap <= (gint64)hi + SLACK_MS,
        "reconnected %" G_GINT64_FORMAT " ms after refusal %u, the policy "
        "says %u to %u ms",
        gap, i + 1, lo, hi);
  }
  g_object_unref (c);
}

GST_END_TEST;

/* A join refused for an expired JWT, with no newer token known (no token
 * file here): retried at the cap, the log line says to renew the token. */
GST_START_TEST (test_join_expired_jwt)
{
  join_refused ("InvalidJWTToken: Token has expired 12 seconds ago",
      REALTIME_FAILURE_TOKEN_EXPIRED, FALSE);
}

GST_END_TEST;

/* Row 20: a client whose token comes from a watched file. */
typedef struct
{
  RealtimeClient *client;
  RealtimeTokenWatch *watch;
  RealtimeChannel *channel;
  gchar *token_path;
} Watched;

static void
watched_join (Watched *w, guint backoff_max)
{
  GError *error = NULL;
  RealtimeSettings s;

  realtime_settings_init (&s);
  s.url = g_strdup (rt_server_get_url (server));
  s.api_key = g_strdup (RT_TEST_API_KEY);
  rt_test_write_file (work_dir, "token", RT_TEST_TOKEN "\n");
  s.access_token_file = g_build_filename (work_dir, "token", NULL);
  s.backoff_min_ms = BACKOFF_MIN;
  s.backoff_max_ms = backoff_max;
  s.heartbeat_interval_ms = 1000;
  w->client = realtime_settings_make_client (&s, &error);
  g_assert_no_error (error);
  w->token_path = g_strdup (s.access_token_file);
  w->watch = realtime_token_watch_new (w->client, w->token_path);
  w->channel = realtime_client_channel (w->client, "tok");
  realtime_channel_subscribe (w->channel);
  realtime_client_connect (w->client);
  fail_unless (RT_WAIT_UNTIL (is_joined (w->channel), 3000), "never joined");
  realtime_settings_clear (&s);
}

static void
watched_free (Watched *w)
{
  realtime_token_watch_free (w->watch);
  realtime_client_disconnect (w->client);
  g_object_unref (w->client);
  g_free (w->token_path);
}

static gboolean
last_token_is (const gchar *token)
{
  return g_strcmp0 (rt_server_get_last_access_token (server, "realtime:tok"),
             token)
      == 0;
}

/* No newer token: the channel retries at the kind's delay (the server
 * refuses the old token again) and says that the token expired; once the
 * file has a new one, the channel joins with it. */
GST_START_TEST (test_token_expired_without_new_token)
{
  Watched w = { 0 };
  guint lo, hi, joins;
  gint64 expired_at, gap;

  watched_join (&w, 2000);
  rt_test_clear_logs ();
  expired_at = g_get_monotonic_time ();
  rt_server_expire_token (server, RT_TEST_TOKEN);
  fail_unless (RT_WAIT_UNTIL (realtime_channel_get_state (w.channel)
                       == REALTIME_CHANNEL_STATE_ERRORED,
                   3000),
      "the channel did not notice the expiry");
  fail_unless (RT_WAIT_UNTIL (join_time ("realtime:tok", 2) != 0,
                   2 * 2000 + SLACK_MS),
      "no retry");
  policy_range (REALTIME_FAILURE_TOKEN_EXPIRED, 2000, 0, &lo, &hi);
  gap = (join_time ("realtime:tok", 1) - expired_at) / 1000;
  fail_unless (gap + EARLY_MS >= lo && gap <= (gint64)hi + SLACK_MS,
      "first rejoin %" G_GINT64_FORMAT " ms after the expiry, the policy says "
      "%u to %u ms",
      gap, lo, hi);
  fail_if (is_joined (w.channel), "joined with the expired token");
  fail_unless (rt_test_count_logs ("Token has expired") >= 1);
  check_logged ("expired token", REALTIME_FAILURE_TOKEN_EXPIRED);
  fail_unless_equals_int (realtime_client_get_state (w.client),
      REALTIME_CLIENT_STATE_CONNECTED);

  /* The file is renewed: joined with the new token. */
  joins = rt_server_count_frames (server, "realtime:tok", "phx_join");
  rt_test_write_file (work_dir, "token", RT_TEST_TOKEN2 "\n");
  fail_unless (RT_WAIT_UNTIL (is_joined (w.channel), 3000),
      "not joined after the token file was renewed");
  fail_unless (last_token_is (RT_TEST_TOKEN2));
  fail_unless (
      rt_server_count_frames (server, "realtime:tok", "phx_join") > joins);
  watched_free (&w);
}

GST_END_TEST;

/* The join itself is refused for an expired JWT while the watched file
 * already holds a newer token (written within the watch's debounce, so
 * not yet read): the refusal makes the channel read it, and the rejoin
 * carries it at once rather than at the cap. */
GST_START_TEST (test_join_expired_jwt_rereads_the_file)
{
  Watched w = { 0 };
  guint lo, hi, joins;
  gint64 refused_at, took_ms;

  watched_join (&w, 5000);
  policy_range (REALTIME_FAILURE_TOKEN_EXPIRED, 5000, 0, &lo, &hi);
  joins = rt_server_count_frames (server, "realtime:tok", "phx_join");
  rt_test_clear_logs ();
  rt_server_reject_joins (server, "realtime:tok", 1,
      "InvalidJWTToken: Token has expired 3 seconds ago");
  rt_test_write_file (work_dir, "token", RT_TEST_TOKEN2 "\n");
  refused_at = g_get_monotonic_time ();
  /* The server's channel crashed: the channel rejoins, with the old
   * token, and that join is refused as expired. */
  rt_server_send_phx_error (server, "realtime:tok");
  fail_unless (RT_WAIT_UNTIL (join_time ("realtime:tok", joins + 1) != 0
                       && is_joined (w.channel),
                   lo + SLACK_MS),
      "not rejoined with the file's newer token");
  took_ms = (join_time ("realtime:tok", joins + 1) - refused_at) / 1000;
  fail_unless (took_ms < lo,
      "rejoined %" G_GINT64_FORMAT " ms after the refusal: at the cap (%u ms "
      "and more), not at once",
      took_ms, lo);
  fail_unless (last_token_is (RT_TEST_TOKEN2));
  fail_unless (rt_test_count_logs ("Token has expired") >= 1,
      "the refusal was not logged");
  watched_free (&w);
}

GST_END_TEST;

/* A newer token is in the file already (not yet read: the expiry comes
 * within the watch's debounce): the rejoin carries it at once, not at
 * the cap, and no warning about an expired token is needed. */
GST_START_TEST (test_token_expired_with_new_token)
{
  Watched w = { 0 };
  guint lo, hi;
  gint64 expired_at, took_ms;

  watched_join (&w, 5000);
  policy_range (REALTIME_FAILURE_TOKEN_EXPIRED, 5000, 0, &lo, &hi);
  rt_test_clear_logs ();
  rt_test_write_file (work_dir, "token", RT_TEST_TOKEN2 "\n");
  expired_at = g_get_monotonic_time ();
  rt_server_expire_token (server, RT_TEST_TOKEN);
  fail_unless (RT_WAIT_UNTIL (join_time ("realtime:tok", 1) != 0
                       && is_joined (w.channel),
                   lo + SLACK_MS),
      "not rejoined with the new token");
  took_ms = (join_time ("realtime:tok", 1) - expired_at) / 1000;
  fail_unless (took_ms < lo,
      "rejoined %" G_GINT64_FORMAT " ms after the expiry: at the cap (%u ms "
      "and more), not at once",
      took_ms, lo);
  fail_unless (last_token_is (RT_TEST_TOKEN2));
  fail_unless_equals_int (rt_test_count_logs (realtime_failure_kind_describe (
                              REALTIME_FAILURE_TOKEN_EXPIRED)),
      0);
  watched_free (&w);
}

GST_END_TEST;

/* --- offline: the robot's own network is down --- */

/* A resolver standing in for the robot's own network: while offline,
 * every name fails to resolve (as with no link: G_RESOLVER_ERROR); once
 * online, "robot-offline.invalid" resolves to 127.0.0.1, where the local
 * server listens. Each attempt's lookup time is kept. */
typedef struct
{
  GResolver parent;
  gboolean online;
  /* The lookup never answers (until cancelled): no TCP ever starts. */
  gboolean hang;
  GArray *lookups; /* gint64, monotonic µs */
} TestResolver;

typedef struct
{
  GResolverClass parent_class;
} TestResolverClass;

static GType test_resolver_get_type (void);
G_DEFINE_TYPE (TestResolver, test_resolver, G_TYPE_RESOLVER)

static GList *
test_resolver_lookup (TestResolver *self, const gchar *name,
    GResolverNameLookupFlags flags, GError **error)
{
  /* One attempt may look up IPv4 and IPv6 apart: count it once. */
  if (flags != G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY) {
    gint64 now = g_get_monotonic_time ();
    g_array_append_val (self->lookups, now);
  }
  if (!self->online || g_strcmp0 (name, "robot-offline.invalid") != 0) {
    g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
        "Error resolving \"%s\": no network (test)", name);
    return NULL;
  }
  if (flags == G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY) {
    g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
        "no IPv6 address for \"%s\" (test)", name);
    return NULL;
  }
  return g_list_prepend (NULL,
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4));
}

static GList *
test_resolver_lookup_by_name (GResolver *resolver, const gchar *name,
    GCancellable *cancellable, GError **error)
{
  return test_resolver_lookup ((TestResolver *)resolver, name,
      G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT, error);
}

static GList *
test_resolver_lookup_by_name_with_flags (GResolver *resolver, const gchar *name,
    GResolverNameLookupFlags flags, GCancellable *cancellable, GError **error)
{
  return test_resolver_lookup ((TestResolver *)resolver, name, flags, error);
}

static void
on_lookup_cancelled (GCancellable *cancellable, gpointer data)
{
  g_task_return_error_if_cancelled (G_TASK (data));
}

static void
test_resolver_lookup_by_name_with_flags_async (GResolver *resolver,
    const gchar *name, GResolverNameLookupFlags flags,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (resolver, cancellable, callback, user_data);
  GError *error = NULL;
  GList *addrs;

  if (((TestResolver *)resolver)->hang) {
    gint64 now = g_get_monotonic_time ();

    if (flags != G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY)
      g_array_append_val (((TestResolver *)resolver)->lookups, now);
    /* Answers only when the attempt is abandoned. */
    if (cancellable)
      g_cancellable_connect (cancellable, G_CALLBACK (on_lookup_cancelled),
          task, g_object_unref);
    else
      g_object_unref (task);
    return;
  }
  addrs = test_resolver_lookup ((TestResolver *)resolver, name, flags, &error);

  if (addrs)
    g_task_return_pointer (task, addrs,
        (GDestroyNotify)g_resolver_free_addresses);
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

static void
test_resolver_lookup_by_name_async (GResolver *resolver, const gchar *name,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  test_resolver_lookup_by_name_with_flags_async (resolver, name,
      G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT, cancellable, callback, user_data);
}

static GList *
test_resolver_lookup_by_name_finish (GResolver *resolver, GAsyncResult *result,
    GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_resolver_finalize (GObject *object)
{
  g_array_unref (((TestResolver *)object)->lookups);
  G_OBJECT_CLASS (test_resolver_parent_class)->finalize (object);
}

static void
test_resolver_init (TestResolver *self)
{
  self->lookups = g_array_new (FALSE, FALSE, sizeof (gint64));
}

static void
test_resolver_class_init (TestResolverClass *klass)
{
  GResolverClass *rc = G_RESOLVER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = test_resolver_finalize;
  rc->lookup_by_name = test_resolver_lookup_by_name;
  rc->lookup_by_name_async = test_resolver_lookup_by_name_async;
  rc->lookup_by_name_finish = test_resolver_lookup_by_name_finish;
  rc->lookup_by_name_with_flags = test_resolver_lookup_by_name_with_flags;
  rc->lookup_by_name_with_flags_async
      = test_resolver_lookup_by_name_with_flags_async;
  rc->lookup_by_name_with_flags_finish = test_resolver_lookup_by_name_finish;
}

#define OFFLINE_MIN 100
#define OFFLINE_FLEET_MAX 30000

/* The range of delays the policy gives the @step-th offline failure in a
 * row (0: the first), over many seeds. */
static void
offline_range (guint step, guint *lo, guint *hi)
{
  guint32 seed;

  *lo = G_MAXUINT;
  *hi = 0;
  for (seed = 1; seed <= 500; seed++) {
    RealtimeReconnectPolicy p;
    guint d = 0, i;

    realtime_reconnect_policy_init (&p, OFFLINE_MIN, OFFLINE_FLEET_MAX);
    realtime_reconnect_policy_set_seed (&p, seed);
    for (i = 0; i <= step; i++)
      d = realtime_reconnect_policy_next (&p, REALTIME_FAILURE_OFFLINE, 0);
    realtime_reconnect_policy_clear (&p);
    *lo = MIN (*lo, d);
    *hi = MAX (*hi, d);
  }
}

static guint
n_lookups (TestResolver *r)
{
  return r->lookups->len;
}

/* The robot's own network is down (its name lookups fail): the client
 * retries on the offline ladder, each delay the policy's for that step
 * and never near the fleet window (backoff-max 30 s), and joins within
 * the ladder's short cap once the network is back. */
GST_START_TEST (test_offline_retries_on_the_short_ladder)
{
  TestResolver *resolver = g_object_new (test_resolver_get_type (), NULL);
  GResolver *saved = g_resolver_get_default ();
  RealtimeClient *c;
  RealtimeChannel *ch;
  g_autofree gchar *url = g_strdup_printf ("http://robot-offline.invalid:%u",
      rt_server_get_port (server));
  RealtimeClientStats stats;
  guint i, lo, hi;
  gint64 online_at, took;

  g_resolver_set_default (G_RESOLVER (resolver));
  c = g_object_new (REALTIME_TYPE_CLIENT, "url", url, "api-key",
      RT_TEST_API_KEY, "heartbeat-interval", 1000, "join-timeout", 2000,
      "backoff-min", OFFLINE_MIN, "backoff-max", OFFLINE_FLEET_MAX, NULL);
  ch = realtime_client_channel (c, "offline");
  realtime_channel_subscribe (ch);
  realtime_client_connect (c);

  /* Six attempts: five offline delays, 100 ms doubling, well under 4 s. */
  fail_unless (RT_WAIT_UNTIL (n_lookups (resolver) >= 6, 4000 + SLACK_MS),
      "only %u attempts while offline", n_lookups (resolver));
  for (i = 0; i < 5; i++) {
    gint64 gap = (g_array_index (resolver->lookups, gint64, i + 1)
                     - g_array_index (resolver->lookups, gint64, i))
        / 1000;

    offline_range (i, &lo, &hi);
    fail_unless (hi <= REALTIME_OFFLINE_MAX_MS);
    fail_unless (gap + EARLY_MS >= lo && gap <= (gint64)hi + SLACK_MS,
        "offline retry %u came %" G_GINT64_FORMAT " ms after the previous "
        "one, the policy says %u to %u ms",
        i + 1, gap, lo, hi);
  }
  fail_unless_equals_int (n_upgrades (), 0);
  fail_unless (rt_test_count_logs ("[offline]") >= 5,
      "the offline failures were not logged as such");
  fail_if (is_joined (ch));

  /* The network is back: joined within the ladder's cap, not the fleet
   * window's. */
  online_at = g_get_monotonic_time ();
  resolver->online = TRUE;
  fail_unless (RT_WAIT_UNTIL (is_joined (ch),
                   REALTIME_OFFLINE_MAX_MS + SLACK_MS),
      "not joined within the offline cap once the network was back");
  took = (g_get_monotonic_time () - online_at) / 1000;
  fail_unless (took <= REALTIME_OFFLINE_MAX_MS + SLACK_MS);
  realtime_client_get_stats (c, &stats);
  fail_unless (stats.reconnects >= 6);
  fail_unless_equals_int (stats.connects, 1);

  realtime_client_disconnect (c);
  g_object_unref (c);
  g_resolver_set_default (saved);
  g_object_unref (saved);
  g_object_unref (resolver);
}

GST_END_TEST;

/* A connect that times out before TCP is up (here the name lookup never
 * answers) is offline too: connect-timeout abandons each attempt and the
 * next one comes on the offline ladder, not over the fleet window. */
GST_START_TEST (test_connect_timeout_before_tcp_is_offline)
{
  TestResolver *resolver = g_object_new (test_resolver_get_type (), NULL);
  GResolver *saved = g_resolver_get_default ();
  RealtimeClient *c;
  g_autofree gchar *url = g_strdup_printf ("http://robot-offline.invalid:%u",
      rt_server_get_port (server));
  RealtimeClientStats stats;
  guint i, lo, hi;

  resolver->hang = TRUE;
  g_resolver_set_default (G_RESOLVER (resolver));
  c = g_object_new (REALTIME_TYPE_CLIENT, "url", url, "api-key",
      RT_TEST_API_KEY, "connect-timeout", 300, "backoff-min", OFFLINE_MIN,
      "backoff-max", OFFLINE_FLEET_MAX, NULL);
  realtime_client_connect (c);
  fail_unless (RT_WAIT_UNTIL (n_lookups (resolver) >= 4,
                   4 * 300 + 1500 + SLACK_MS),
      "only %u attempts", n_lookups (resolver));
  for (i = 0; i < 3; i++) {
    /* Each gap: the connect-timeout, then the offline step's delay. */
    gint64 gap = (g_array_index (resolver->lookups, gint64, i + 1)
                     - g_array_index (resolver->lookups, gint64, i))
        / 1000;

    offline_range (i, &lo, &hi);
    fail_unless (gap + EARLY_MS >= 300 + lo
            && gap <= 300 + (gint64)hi + SLACK_MS,
        "attempt %u came %" G_GINT64_FORMAT " ms after the previous one, "
        "expected 300 ms plus %u to %u ms",
        i + 2, gap, lo, hi);
  }
  realtime_client_get_stats (c, &stats);
  fail_unless (stats.connect_timeouts >= 3);
  fail_unless (rt_test_count_logs ("[offline]") >= 3,
      "the timeouts were not classified offline");
  fail_unless_equals_int (n_upgrades (), 0);
  realtime_client_disconnect (c);
  g_object_unref (c);
  rt_test_run_for (20);
  g_resolver_set_default (saved);
  g_object_unref (saved);
  g_object_unref (resolver);
}

GST_END_TEST;

/* A refused TCP connection is not offline: a host answered (the server's
 * machine is up, its service is not), so the normal rules apply (quick
 * retry, then the fleet window), not the offline ladder. */
GST_START_TEST (test_connection_refused_is_not_offline)
{
  guint port = rt_test_free_port ();
  g_autofree gchar *url = g_strdup_printf ("http://127.0.0.1:%u", port);
  RealtimeClient *c;
  RealtimeClientStats stats;

  c = g_object_new (REALTIME_TYPE_CLIENT, "url", url, "api-key",
      RT_TEST_API_KEY, "backoff-min", OFFLINE_MIN, "backoff-max",
      OFFLINE_FLEET_MAX, NULL);
  realtime_client_connect (c);
  /* The first failure (never joined) is retried within backoff-min, the
   * second is scheduled over the fleet window. */
  fail_unless (RT_WAIT_UNTIL ((realtime_client_get_stats (c, &stats),
                                  stats.reconnects >= 2),
                   OFFLINE_MIN + SLACK_MS),
      "the refused connect was not retried");
  fail_unless (rt_test_count_logs ("connect failed") >= 2);
  fail_unless_equals_int (rt_test_count_logs ("[offline]"), 0);
  realtime_client_disconnect (c);
  g_object_unref (c);
}

GST_END_TEST;

static Suite *
refusals_suite (void)
{
  Suite *s = suite_create ("refusals");
  TCase *tc = tcase_create ("refusals");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_classification);
  tcase_add_test (tc, test_hanging_upgrade_recovered);
  tcase_add_test (tc, test_hanging_tls_handshake_recovered);
  tcase_add_test (tc, test_retry_after_seconds_429);
  tcase_add_test (tc, test_retry_after_http_date_503);
  tcase_add_test (tc, test_retry_after_capped);
  tcase_add_test (tc, test_handshake_401_refused);
  tcase_add_test (tc, test_handshake_403_refused);
  tcase_add_test (tc, test_handshake_404_refused);
  tcase_add_test (tc, test_refusals_stay_at_the_cap);
  tcase_add_test (tc, test_join_unauthorized);
  tcase_add_test (tc, test_join_client_join_rate_limit);
  tcase_add_test (tc, test_join_channel_rate_limit);
  tcase_add_test (tc, test_join_increase_connection_pool);
  tcase_add_test (tc, test_repeated_rate_limit_waits_at_the_cap);
  tcase_add_test (tc, test_join_expired_jwt);
  tcase_add_test (tc, test_join_expired_jwt_rereads_the_file);
  tcase_add_test (tc, test_token_expired_without_new_token);
  tcase_add_test (tc, test_token_expired_with_new_token);
  tcase_add_test (tc, test_offline_retries_on_the_short_ladder);
  tcase_add_test (tc, test_connect_timeout_before_tcp_is_offline);
  tcase_add_test (tc, test_connection_refused_is_not_offline);
  return s;
}

RT_TEST_MAIN (refusals)

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-settings.c: the one connection setup (RealtimeSettings ->
 * RealtimeClient) and the watched access-token file (RealtimeTokenWatch):
 * every setting reaches the client, every bad value is refused with a
 * message naming it and no secret, and a renewed token reaches the joined
 * channel.
 */
#include "test-util.h"

#include "gateway-config.h"
#include "realtime-channel.h"
#include "realtime-client.h"
#include "realtime-settings.h"
#include "realtime-token-watch.h"
#include "rt-server.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

static RtServer *server;
static gchar *work_dir;

static void
setup (void)
{
  GError *error = NULL;

  server = rt_server_new (0, RT_TEST_API_KEY, &error);
  g_assert_no_error (error);
  work_dir = rt_test_make_tmp_dir ("rt-settings-XXXXXX");
  rt_test_clear_logs ();
}

static void
teardown (void)
{
  g_clear_pointer (&server, rt_server_free);
  rt_test_run_for (20);
  rt_test_clear_tmp_dir (&work_dir);
}

/* Writes @contents to @name in the work directory (atomically: a new file
 * renamed over the old one) and returns its path. */
static gchar *
write_file (const gchar *name, const gchar *contents)
{
  rt_test_write_file (work_dir, name, contents);
  return g_build_filename (work_dir, name, NULL);
}

/* Rewrites @path in place (truncate, then write), as editors and `echo >`
 * do. */
static void
rewrite_in_place (const gchar *path, const gchar *contents)
{
  FILE *f = fopen (path, "w");

  fail_unless (f != NULL, "cannot open %s", path);
  fputs (contents, f);
  fclose (f);
}

static gboolean
is_joined (RealtimeChannel *ch)
{
  return realtime_channel_get_state (ch) == REALTIME_CHANNEL_STATE_JOINED;
}

static gboolean
token_is (const gchar *topic, const gchar *token)
{
  return g_strcmp0 (rt_server_get_last_access_token (server, topic), token)
      == 0;
}

/* Settings for the test server: the key from a file, fast times. */
static void
base_settings (RealtimeSettings *s)
{
  realtime_settings_init (s);
  s->url = g_strdup (rt_server_get_url (server));
  s->api_key_file = write_file ("key", RT_TEST_API_KEY "\n");
  s->heartbeat_interval_ms = 200;
  s->join_timeout_ms = 500;
  s->backoff_min_ms = 5;
  s->backoff_max_ms = 50;
}

GST_START_TEST (test_defaults)
{
  RealtimeSettings s;

  realtime_settings_init (&s);
  fail_unless (s.url == NULL && s.api_key == NULL && s.api_key_file == NULL
      && s.access_token_file == NULL && s.ca_file == NULL);
  fail_unless (!s.api_key_in_header);
  fail_unless_equals_int (s.vsn, REALTIME_VSN_2_0_0);
  fail_unless_equals_int (s.heartbeat_interval_ms,
      REALTIME_DEFAULT_HEARTBEAT_INTERVAL);
  fail_unless_equals_int (s.heartbeat_timeout_ms, 0);
  fail_unless_equals_int (s.connect_timeout_ms,
      REALTIME_DEFAULT_CONNECT_TIMEOUT);
  fail_unless (REALTIME_DEFAULT_CONNECT_TIMEOUT <= 10000);
  fail_unless_equals_int (s.join_timeout_ms, REALTIME_DEFAULT_JOIN_TIMEOUT);
  fail_unless_equals_int (s.backoff_min_ms, REALTIME_DEFAULT_BACKOFF_MIN);
  fail_unless_equals_int (s.backoff_max_ms, REALTIME_DEFAULT_BACKOFF_MAX);
  fail_unless_equals_int (s.max_message_size,
      REALTIME_DEFAULT_MAX_MESSAGE_SIZE);
  s.api_key = g_strdup (RT_TEST_API_KEY);
  s.url = g_strdup ("http://127.0.0.1:1");
  realtime_settings_clear (&s);
  fail_unless (s.url == NULL && s.api_key == NULL);
  /* Twice is harmless. */
  realtime_settings_clear (&s);
}

GST_END_TEST;

/* Every setting, none at its default, reaches the client: over TLS with
 * the test CA (so ca-file is used), the key in a header, vsn 1.0.0 and
 * the access token in the join. */
GST_START_TEST (test_every_setting_reaches_client)
{
  GError *error = NULL;
  g_autofree gchar *cert = rt_test_tls_file ("server.pem");
  g_autofree gchar *key = rt_test_tls_file ("server-key.pem");
  RtServer *tls_server;
  RealtimeSettings s;
  RealtimeClient *client;
  RealtimeChannel *ch;
  g_autofree gchar *url = NULL, *ca = NULL, *proxy = NULL;
  gboolean in_header;
  RealtimeVsn vsn;
  guint interval, timeout, connect, join, bmin, bmax, size;

  fail_unless (g_tls_backend_supports_tls (g_tls_backend_get_default ()),
      "GIO has no TLS backend: install glib-networking");
  tls_server = rt_server_new_tls (0, RT_TEST_API_KEY, cert, key, &error);
  g_assert_no_error (error);

  realtime_settings_init (&s);
  s.url = g_strdup (rt_server_get_url (tls_server));
  s.api_key_file = write_file ("key", RT_TEST_API_KEY "\n");
  s.api_key_in_header = TRUE;
  s.access_token_file = write_file ("token", RT_TEST_TOKEN "\n");
  s.ca_file = rt_test_tls_file ("ca.pem");
  s.proxy = g_strdup ("direct"); /* test-proxy.c shows a proxy used */
  s.vsn = REALTIME_VSN_1_0_0;
  s.heartbeat_interval_ms = 1234;
  s.heartbeat_timeout_ms = 2345;
  s.connect_timeout_ms = 4567;
  s.join_timeout_ms = 3456;
  s.backoff_min_ms = 45;
  s.backoff_max_ms = 5678;
  s.max_message_size = 4096;

  client = realtime_settings_make_client (&s, &error);
  g_assert_no_error (error);
  fail_unless_equals_int (realtime_client_get_state (client),
      REALTIME_CLIENT_STATE_DISCONNECTED);
  g_object_get (client, "url", &url, "ca-file", &ca, "api-key-in-header",
      &in_header, "vsn", &vsn, "heartbeat-interval", &interval,
      "heartbeat-timeout", &timeout, "connect-timeout", &connect,
      "join-timeout", &join, "backoff-min", &bmin, "backoff-max", &bmax,
      "max-message-size", &size, "proxy", &proxy, NULL);
  fail_unless_equals_string (url, s.url);
  fail_unless_equals_string (proxy, "direct");
  fail_unless_equals_string (ca, s.ca_file);
  fail_unless (in_header);
  fail_unless_equals_int (vsn, REALTIME_VSN_1_0_0);
  fail_unless_equals_int (interval, 1234);
  fail_unless_equals_int (timeout, 2345);
  fail_unless_equals_int (connect, 4567);
  fail_unless_equals_int (join, 3456);
  fail_unless_equals_int (bmin, 45);
  fail_unless_equals_int (bmax, 5678);
  fail_unless_equals_int (size, 4096);

  /* The key (write-only) and the token are proven by the server. */
  ch = realtime_client_channel (client, "settings");
  realtime_channel_subscribe (ch);
  realtime_client_connect (client);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 5000), "never joined");
  fail_unless_equals_string (rt_server_get_last_access_token (tls_server,
                                 "realtime:settings"),
      RT_TEST_TOKEN);
  fail_unless_equals_int (rt_server_count_frames (tls_server,
                              "realtime:settings", "phx_join"),
      1);

  realtime_client_disconnect (client);
  g_object_unref (client);
  realtime_settings_clear (&s);
  rt_server_free (tls_server);
  rt_test_run_for (20);
}

GST_END_TEST;

/* The key may be given directly (the element's api-key property). */
GST_START_TEST (test_api_key_directly)
{
  GError *error = NULL;
  RealtimeSettings s;
  RealtimeClient *client;
  RealtimeChannel *ch;

  base_settings (&s);
  g_clear_pointer (&s.api_key_file, g_free);
  s.api_key = g_strdup (RT_TEST_API_KEY);
  client = realtime_settings_make_client (&s, &error);
  g_assert_no_error (error);
  ch = realtime_client_channel (client, "direct");
  realtime_channel_subscribe (ch);
  realtime_client_connect (client);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 3000), "never joined");
  realtime_client_disconnect (client);
  g_object_unref (client);
  realtime_settings_clear (&s);
}

GST_END_TEST;

typedef enum
{
  BAD_NO_URL,
  BAD_URL_SCHEME,
  BAD_URL_WITH_KEY,
  BAD_VSN,
  BAD_BOTH_KEYS,
  BAD_KEY_FILE_MISSING,
  BAD_KEY_FILE_EMPTY,
  BAD_TOKEN_FILE_MISSING,
  BAD_TOKEN_FILE_TWO_WORDS,
  BAD_CA_FILE_MISSING,
  BAD_CA_FILE_DIR,
  BAD_HEARTBEAT_INTERVAL_ZERO,
  BAD_HEARTBEAT_INTERVAL_HUGE,
  BAD_HEARTBEAT_TIMEOUT_HUGE,
  BAD_CONNECT_TIMEOUT_ZERO,
  BAD_JOIN_TIMEOUT_ZERO,
  BAD_BACKOFF_MIN_ZERO,
  BAD_BACKOFF_MAX_ZERO,
  BAD_BACKOFF_MIN_ABOVE_MAX,
  BAD_MAX_MESSAGE_SIZE_SMALL,
  BAD_MAX_MESSAGE_SIZE_LARGE,
  N_BAD
} Bad;

/* Spoils one setting of @s; returns the name the message must start
 * with. */
static const gchar *
spoil (RealtimeSettings *s, Bad bad)
{
  switch (bad) {
    case BAD_NO_URL:
      g_clear_pointer (&s->url, g_free);
      return "url";
    case BAD_URL_SCHEME:
      g_free (s->url);
      s->url = g_strdup ("ftp://127.0.0.1/");
      return "url";
    case BAD_URL_WITH_KEY:
      g_free (s->url);
      s->url = g_strdup ("http://[broken/?apikey=" RT_TEST_API_KEY);
      return "url";
    case BAD_VSN:
      s->vsn = (RealtimeVsn)7;
      return "vsn";
    case BAD_BOTH_KEYS:
      s->api_key = g_strdup (RT_TEST_API_KEY);
      return "api-key";
    case BAD_KEY_FILE_MISSING:
      g_free (s->api_key_file);
      s->api_key_file = g_build_filename (work_dir, "nope", NULL);
      return "api-key-file";
    case BAD_KEY_FILE_EMPTY:
      g_free (s->api_key_file);
      s->api_key_file = write_file ("empty", "\n");
      return "api-key-file";
    case BAD_TOKEN_FILE_MISSING:
      s->access_token_file = g_build_filename (work_dir, "nope", NULL);
      return "access-token-file";
    case BAD_TOKEN_FILE_TWO_WORDS:
      s->access_token_file
          = write_file ("token2", RT_TEST_TOKEN " " RT_TEST_TOKEN2 "\n");
      return "access-token-file";
    case BAD_CA_FILE_MISSING:
      s->ca_file = g_build_filename (work_dir, "nope.pem", NULL);
      return "ca-file";
    case BAD_CA_FILE_DIR:
      s->ca_file = g_strdup (work_dir);
      return "ca-file";
    case BAD_HEARTBEAT_INTERVAL_ZERO:
      s->heartbeat_interval_ms = 0;
      return "heartbeat-interval";
    case BAD_HEARTBEAT_INTERVAL_HUGE:
      s->heartbeat_interval_ms = G_MAXUINT;
      return "heartbeat-interval";
    case BAD_HEARTBEAT_TIMEOUT_HUGE:
      s->heartbeat_timeout_ms = (guint)G_MAXINT + 1;
      return "heartbeat-timeout";
    case BAD_CONNECT_TIMEOUT_ZERO:
      s->connect_timeout_ms = 0;
      return "connect-timeout";
    case BAD_JOIN_TIMEOUT_ZERO:
      s->join_timeout_ms = 0;
      return "join-timeout";
    case BAD_BACKOFF_MIN_ZERO:
      s->backoff_min_ms = 0;
      return "backoff-min";
    case BAD_BACKOFF_MAX_ZERO:
      s->backoff_max_ms = 0;
      return "backoff-max";
    case BAD_BACKOFF_MIN_ABOVE_MAX:
      s->backoff_min_ms = 2000;
      s->backoff_max_ms = 1000;
      return "backoff-min";
    case BAD_MAX_MESSAGE_SIZE_SMALL:
      s->max_message_size = 1023;
      return "max-message-size";
    case BAD_MAX_MESSAGE_SIZE_LARGE:
      s->max_message_size = 64 * 1024 * 1024 + 1;
      return "max-message-size";
    case N_BAD:
      break;
  }
  g_assert_not_reached ();
}

/* Each bad value is refused on its own, with a message that starts with
 * the setting's name and holds neither the key nor the token. */
GST_START_TEST (test_bad_values_refused)
{
  guint bad;

  for (bad = 0; bad < N_BAD; bad++) {
    GError *error = NULL;
    RealtimeSettings s;
    RealtimeClient *client;
    const gchar *name;
    g_autofree gchar *prefix = NULL;

    base_settings (&s);
    /* The token file is valid unless spoilt: its contents are a secret
     * that must not reach a message either. */
    if (bad != BAD_TOKEN_FILE_MISSING && bad != BAD_TOKEN_FILE_TWO_WORDS)
      s.access_token_file = write_file ("token", RT_TEST_TOKEN "\n");
    name = spoil (&s, bad);
    client = realtime_settings_make_client (&s, &error);
    fail_unless (client == NULL, "case %u (%s) accepted", bad, name);
    fail_unless (error != NULL, "case %u (%s): no error", bad, name);
    prefix = g_strconcat (name, bad == BAD_BOTH_KEYS ? " " : ": ", NULL);
    fail_unless (g_str_has_prefix (error->message, prefix),
        "case %u: \"%s\" does not name %s", bad, error->message, name);
    fail_if (strstr (error->message, RT_TEST_API_KEY) != NULL,
        "case %u: the key is in the message", bad);
    fail_if (strstr (error->message, RT_TEST_TOKEN) != NULL,
        "case %u: the token is in the message", bad);
    fail_if (strstr (error->message, RT_TEST_TOKEN2) != NULL,
        "case %u: the token is in the message", bad);
    g_clear_error (&error);
    realtime_settings_clear (&s);
  }
}

GST_END_TEST;

/* The daemon's [realtime] connect-timeout, in seconds like the other
 * times; 0 is refused. */
GST_START_TEST (test_config_connect_timeout)
{
  g_autofree gchar *path = NULL;
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GatewayConfig) config = NULL;

  g_free (write_file ("apikey", RT_TEST_API_KEY "\n"));
  path = write_file ("gateway.conf",
      "[realtime]\nurl=http://127.0.0.1:4000\napi-key-file=apikey\n"
      "channel=c\nconnect-timeout=2.5\n[gateway]\nid=r\n");
  config = gateway_config_load (path, problems);
  fail_unless (config != NULL, "refused: %s",
      problems->len ? (gchar *)g_ptr_array_index (problems, 0) : "?");
  fail_unless_equals_int (config->realtime.connect_timeout_ms, 2500);
  g_clear_pointer (&config, gateway_config_free);

  g_free (path);
  path = write_file ("gateway.conf",
      "[realtime]\nurl=http://127.0.0.1:4000\napi-key-file=apikey\n"
      "channel=c\nconnect-timeout=0\n[gateway]\nid=r\n");
  config = gateway_config_load (path, problems);
  fail_unless (config == NULL);
  fail_unless (problems->len >= 1
      && strstr (g_ptr_array_index (problems, 0), "connect-timeout"));
}

GST_END_TEST;

/* The bounds are the client's property ranges, at both ends. */
GST_START_TEST (test_bounds_inclusive)
{
  GError *error = NULL;
  RealtimeSettings s;
  RealtimeClient *client;

  base_settings (&s);
  s.heartbeat_interval_ms = 1;
  s.heartbeat_timeout_ms = G_MAXINT;
  s.connect_timeout_ms = 1;
  s.join_timeout_ms = 1;
  s.backoff_min_ms = 7;
  s.backoff_max_ms = 7;
  s.max_message_size = 1024;
  client = realtime_settings_make_client (&s, &error);
  g_assert_no_error (error);
  g_object_unref (client);
  s.max_message_size = 64 * 1024 * 1024;
  client = realtime_settings_make_client (&s, &error);
  g_assert_no_error (error);
  g_object_unref (client);
  realtime_settings_clear (&s);
}

GST_END_TEST;

/* A renewed token (written as a new file renamed over the old one, then
 * rewritten in place) reaches the joined channel; an emptied file keeps
 * the current token, which the next join still carries. */
GST_START_TEST (test_token_watch_pushes_renewed_token)
{
  GError *error = NULL;
  RealtimeSettings s;
  RealtimeClient *client;
  RealtimeChannel *ch;
  RealtimeTokenWatch *watch;
  g_autofree gchar *path = NULL;
  guint joins;

  base_settings (&s);
  s.access_token_file = write_file ("token", RT_TEST_TOKEN "\n");
  path = g_strdup (s.access_token_file);
  client = realtime_settings_make_client (&s, &error);
  g_assert_no_error (error);
  watch = realtime_token_watch_new (client, path);
  ch = realtime_client_channel (client, "watch");
  realtime_channel_subscribe (ch);
  realtime_client_connect (client);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 3000), "never joined");
  fail_unless (token_is ("realtime:watch", RT_TEST_TOKEN));

  g_free (write_file ("token", RT_TEST_TOKEN2 "\n"));
  fail_unless (RT_WAIT_UNTIL (token_is ("realtime:watch", RT_TEST_TOKEN2),
                   3000),
      "the renamed-in token never reached the channel");
  fail_unless (
      rt_server_count_frames (server, "realtime:watch", "access_token") >= 1);

  rewrite_in_place (path, RT_TEST_TOKEN "\n");
  fail_unless (RT_WAIT_UNTIL (token_is ("realtime:watch", RT_TEST_TOKEN), 3000),
      "the token rewritten in place never reached the channel");

  rt_test_clear_logs ();
  rewrite_in_place (path, "");
  fail_unless (RT_WAIT_UNTIL (rt_test_count_logs ("keeping the current "
                                                  "token")
                       > 0,
                   3000),
      "an emptied token file was not reported");
  fail_unless (token_is ("realtime:watch", RT_TEST_TOKEN));

  /* The kept token is the one the next join carries. */
  joins = rt_server_count_frames (server, "realtime:watch", "phx_join");
  realtime_client_reconnect (client);
  fail_unless (RT_WAIT_UNTIL (rt_server_count_frames (server, "realtime:watch",
                                  "phx_join")
                           > joins
                       && is_joined (ch),
                   3000),
      "never rejoined");
  fail_unless (token_is ("realtime:watch", RT_TEST_TOKEN));

  realtime_token_watch_free (watch);
  realtime_client_disconnect (client);
  g_object_unref (client);
  realtime_settings_clear (&s);
}

GST_END_TEST;

/* Freed with a reload pending: nothing of it stays attached and the
 * token is not read any more. */
GST_START_TEST (test_token_watch_free_leaves_nothing)
{
  GError *error = NULL;
  RealtimeSettings s;
  RealtimeClient *client;
  RealtimeTokenWatch *watch;
  g_autofree gchar *path = NULL;
  guint before;

  base_settings (&s);
  s.access_token_file = write_file ("token", RT_TEST_TOKEN "\n");
  path = g_strdup (s.access_token_file);
  client = realtime_settings_make_client (&s, &error);
  g_assert_no_error (error);
  rt_test_run_for (20);
  before = rt_test_count_sources ();
  watch = realtime_token_watch_new (client, path);
  rewrite_in_place (path, RT_TEST_TOKEN2 "\n");
  /* The change is seen (a reload is armed) before the watch goes. */
  fail_unless (RT_WAIT_UNTIL (rt_test_count_sources () > before, 3000));
  rt_test_clear_logs ();
  realtime_token_watch_free (watch);
  rt_test_run_for (300);
  fail_unless_equals_int (rt_test_count_logs ("access token reloaded"), 0);
  fail_unless_equals_int (rt_test_count_sources (), before);

  g_object_unref (client);
  realtime_settings_clear (&s);
}

GST_END_TEST;

/* A token file that appears after the watch started (a renewal service
 * that starts later) is picked up when it is created. */
GST_START_TEST (test_token_watch_file_created_later)
{
  GError *error = NULL;
  RealtimeSettings s;
  RealtimeClient *client;
  RealtimeChannel *ch;
  RealtimeTokenWatch *watch;
  g_autofree gchar *path = g_build_filename (work_dir, "later", NULL);

  base_settings (&s);
  client = realtime_settings_make_client (&s, &error);
  g_assert_no_error (error);
  watch = realtime_token_watch_new (client, path);
  ch = realtime_client_channel (client, "later");
  realtime_channel_subscribe (ch);
  realtime_client_connect (client);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 3000), "never joined");
  fail_unless (
      rt_server_get_last_access_token (server, "realtime:later") == NULL);

  g_free (write_file ("later", RT_TEST_TOKEN2 "\n"));
  fail_unless (RT_WAIT_UNTIL (token_is ("realtime:later", RT_TEST_TOKEN2),
                   3000),
      "the created token file never reached the channel");

  realtime_token_watch_free (watch);
  realtime_client_disconnect (client);
  g_object_unref (client);
  realtime_settings_clear (&s);
}

GST_END_TEST;

static Suite *
settings_suite (void)
{
  Suite *s = suite_create ("settings");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_defaults);
  tcase_add_test (tc, test_every_setting_reaches_client);
  tcase_add_test (tc, test_api_key_directly);
  tcase_add_test (tc, test_bad_values_refused);
  tcase_add_test (tc, test_bounds_inclusive);
  tcase_add_test (tc, test_config_connect_timeout);
  tcase_add_test (tc, test_token_watch_pushes_renewed_token);
  tcase_add_test (tc, test_token_watch_free_leaves_nothing);
  tcase_add_test (tc, test_token_watch_file_created_later);
  return s;
}

RT_TEST_MAIN (settings)

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-tls.c: the client against a local TLS realtime endpoint whose
 * certificate comes from a private test CA (tests/data/tls/, see
 * make-certs.sh there): refused by default with a clear error and never
 * joined; joined with "ca-file" set to that CA; refused with another CA or
 * a name the certificate does not hold; and the same through
 * `realtime-gateway listen --ca-file`.
 *
 * Environment:
 *   RT_TEST_DATA_DIR  tests/data of the source tree (default: found from
 *                     this file's path)
 *   RT_GATEWAY_BIN    the realtime-gateway program (default:
 *                     ../gateway/realtime-gateway next to this test)
 */
#include "test-util.h"

#include "gateway-process.h"
#include "realtime-channel.h"
#include "realtime-client.h"
#include "rt-server.h"

#include <glib/gstdio.h>
#include <string.h>

static RtServer *server;
static gchar *tls_dir;

static gchar *
tls_file (const gchar *name)
{
  return g_build_filename (tls_dir, name, NULL);
}

static void
find_tls_dir (void)
{
  const gchar *env = g_getenv ("RT_TEST_DATA_DIR");
  g_autofree gchar *src_dir = NULL;
  g_autofree gchar *dir = NULL;

  if (tls_dir)
    return;
  if (env && *env) {
    dir = g_build_filename (env, "tls", NULL);
  } else {
    /* __FILE__ is the path the compiler was given, relative to the build
     * directory meson runs the tests from, or absolute. */
    src_dir = g_path_get_dirname (__FILE__);
    dir = g_build_filename (src_dir, "data", "tls", NULL);
  }
  /* Absolute, so the tests of relative paths can change directory. */
  tls_dir = g_canonicalize_filename (dir, NULL);
  if (!g_file_test (tls_dir, G_FILE_TEST_IS_DIR))
    g_error ("TLS test data not found at %s: set RT_TEST_DATA_DIR to "
             "tests/data of the source tree",
        tls_dir);
}

static void
setup (void)
{
  GError *error = NULL;
  g_autofree gchar *cert = NULL;
  g_autofree gchar *key = NULL;

  find_tls_dir ();
  fail_unless (g_tls_backend_supports_tls (g_tls_backend_get_default ()),
      "GIO has no TLS backend: install glib-networking");
  cert = tls_file ("server.pem");
  key = tls_file ("server-key.pem");
  server = rt_server_new_tls (0, RT_TEST_API_KEY, cert, key, &error);
  g_assert_no_error (error);
  fail_unless (g_str_has_prefix (rt_server_get_url (server),
                   "https://127.0.0.1:"),
      "unexpected URL %s", rt_server_get_url (server));
  rt_test_clear_logs ();
}

static void
teardown (void)
{
  g_clear_pointer (&server, rt_server_free);
  rt_test_run_for (20);
}

/* Every state change of a client, as "state (reason)". */
typedef struct
{
  GPtrArray *states;
} Watch;

static void
on_state (RealtimeClient *client, RealtimeClientState state,
    const gchar *reason, gpointer data)
{
  Watch *w = data;

  g_ptr_array_add (w->states,
      g_strdup_printf ("%s (%s)", realtime_client_state_to_string (state),
          reason));
}

static gboolean
any_contains (GPtrArray *lines, const gchar *needle)
{
  guint i;

  for (i = 0; i < lines->len; i++) {
    g_autofree gchar *lower = g_ascii_strdown (lines->pdata[i], -1);

    if (strstr (lower, needle))
      return TRUE;
  }
  return FALSE;
}

static gchar *
join_lines (GPtrArray *lines)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < lines->len; i++)
    g_string_append_printf (s, "%s%s", i ? "; " : "", (gchar *)lines->pdata[i]);
  return g_string_free (s, FALSE);
}

static RealtimeClient *
new_client (const gchar *url, const gchar *ca_name, RealtimeVsn vsn)
{
  g_autofree gchar *ca = ca_name ? tls_file (ca_name) : NULL;

  return g_object_new (REALTIME_TYPE_CLIENT, "url", url, "api-key",
      RT_TEST_API_KEY, "vsn", vsn, "ca-file", ca, "heartbeat-interval", 500,
      "join-timeout", 1000, "backoff-min", 20, "backoff-max", 200, NULL);
}

static gboolean
is_joined (RealtimeChannel *ch)
{
  return realtime_channel_get_state (ch) == REALTIME_CHANNEL_STATE_JOINED;
}

static void
collect (RealtimeChannel *ch, const gchar *event, JsonNode *payload,
    gpointer data)
{
  GPtrArray *got = data;
  g_autofree gchar *json = json_to_string (payload, FALSE);

  g_ptr_array_add (got, g_strdup_printf ("%s %s", event, json));
}

static guint
count_prefixed (GPtrArray *lines, const gchar *prefix)
{
  guint i, n = 0;

  for (i = 0; i < lines->len; i++)
    n += g_str_has_prefix (lines->pdata[i], prefix);
  return n;
}

/* Connects a client that must be refused: through three connection
 * attempts (at most 30 s, a fraction of that unless under valgrind) it
 * never joins, the server never sees a WebSocket, and the client says why,
 * naming the certificate, in a state-changed reason and in a log line. */
static void
assert_refused (const gchar *url, const gchar *ca_name)
{
  RealtimeClient *client = new_client (url, ca_name, REALTIME_VSN_2_0_0);
  RealtimeChannel *ch = realtime_client_channel (client, "tls-refused");
  Watch w = { g_ptr_array_new_with_free_func (g_free) };
  RealtimeClientStats stats;
  g_autofree gchar *states = NULL;
  gboolean ever_joined = FALSE;
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_signal_connect (client, "state-changed", G_CALLBACK (on_state), &w);
  realtime_channel_subscribe (ch);
  realtime_client_connect (client);
  while (g_get_monotonic_time () < end
      && count_prefixed (w.states, "disconnected") < 3) {
    rt_test_iterate (20);
    ever_joined |= is_joined (ch);
  }
  states = join_lines (w.states);
  realtime_client_get_stats (client, &stats);

  fail_if (ever_joined, "joined over an untrusted certificate");
  fail_unless_equals_int (stats.connects, 0);
  fail_unless_equals_int (rt_server_get_n_accepted (server), 0);
  fail_unless_equals_int (rt_server_count_members (server,
                              "realtime:tls-refused"),
      0);
  /* It keeps trying (a certificate can be fixed on the server side)... */
  fail_unless (count_prefixed (w.states, "disconnected") >= 3,
      "not three failed attempts in 30 s: %s", states);
  /* ...and says what is wrong. */
  fail_unless (any_contains (w.states, "certificate"),
      "no state-changed reason names the certificate: %s", states);
  fail_unless (rt_test_count_logs ("certificate") > 0,
      "no log line names the certificate");

  /* The handler's data lives on this stack: the client may outlive it. */
  g_signal_handlers_disconnect_by_data (client, &w);
  g_object_unref (client);
  g_ptr_array_unref (w.states);
}

GST_START_TEST (test_self_signed_refused_by_default)
{
  /* No "ca-file": the system CAs, which do not hold the test CA. */
  assert_refused (rt_server_get_url (server), NULL);
}

GST_END_TEST;

GST_START_TEST (test_wrong_ca_refused)
{
  assert_refused (rt_server_get_url (server), "other-ca.pem");
}

GST_END_TEST;

/* The right CA does not excuse a certificate issued for another name: the
 * server certificate holds 127.0.0.1, ::1 and localhost, not 127.0.0.2. */
GST_START_TEST (test_right_ca_wrong_name_refused)
{
  GError *error = NULL;
  g_autofree gchar *cert = tls_file ("server.pem");
  g_autofree gchar *key = tls_file ("server-key.pem");

  g_clear_pointer (&server, rt_server_free);
  server
      = rt_server_new_full ("127.0.0.2", 0, RT_TEST_API_KEY, cert, key, &error);
  g_assert_no_error (error);
  fail_unless (
      g_str_has_prefix (rt_server_get_url (server), "https://127.0.0.2:"));
  assert_refused (rt_server_get_url (server), "ca.pem");
}

GST_END_TEST;

static void
broadcast_both_ways (RealtimeVsn vsn)
{
  RealtimeClient *client
      = new_client (rt_server_get_url (server), "ca.pem", vsn);
  RealtimeChannel *ch = realtime_client_channel (client, "tls-robot");
  GPtrArray *got = g_ptr_array_new_with_free_func (g_free);
  JsonNode *payload = json_from_string ("{\"n\":2}", NULL);
  RealtimeClientStats stats;

  g_signal_connect (ch, "broadcast", G_CALLBACK (collect), got);
  realtime_channel_subscribe (ch);
  realtime_client_connect (client);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 5000),
      "never joined over TLS with the test CA");
  fail_unless_equals_int (rt_server_count_members (server,
                              "realtime:tls-robot"),
      1);

  /* Server to client. */
  rt_server_broadcast (server, "realtime:tls-robot", "start",
      "{\"pipeline\":\"cam\"}");
  fail_unless (RT_WAIT_UNTIL (got->len == 1, 3000));
  fail_unless_equals_string (g_ptr_array_index (got, 0),
      "start {\"pipeline\":\"cam\"}");

  /* Client to server. */
  realtime_channel_send_broadcast (ch, "state", payload, NULL, NULL, NULL);
  fail_unless (RT_WAIT_UNTIL (rt_server_count_frames (server,
                                  "realtime:tls-robot", "broadcast")
          == 1,
      3000));

  realtime_client_get_stats (client, &stats);
  fail_unless_equals_int (stats.connects, 1);
  fail_unless_equals_int (rt_test_count_logs ("certificate"), 0);

  json_node_unref (payload);
  g_signal_handlers_disconnect_by_data (ch, got);
  g_ptr_array_unref (got);
  g_object_unref (client);
}

GST_START_TEST (test_ca_file_joins_and_broadcasts_v2)
{
  broadcast_both_ways (REALTIME_VSN_2_0_0);
}

GST_END_TEST;

GST_START_TEST (test_ca_file_joins_and_broadcasts_v1)
{
  broadcast_both_ways (REALTIME_VSN_1_0_0);
}

GST_END_TEST;

/* "ca-file" as an operator types it: relative to the working directory.
 * (GTlsFileDatabase takes only absolute paths: given a relative one it
 * warns and then trusts nothing.) */
GST_START_TEST (test_ca_file_relative_path)
{
  g_autofree gchar *cwd = g_get_current_dir ();
  RealtimeClient *client;
  RealtimeChannel *ch;

  fail_unless (g_chdir (tls_dir) == 0);
  client = g_object_new (REALTIME_TYPE_CLIENT, "url",
      rt_server_get_url (server), "api-key", RT_TEST_API_KEY, "ca-file",
      "ca.pem", "backoff-min", 20, "backoff-max", 200, NULL);
  ch = realtime_client_channel (client, "tls-relative");
  realtime_channel_subscribe (ch);
  realtime_client_connect (client);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 5000),
      "never joined with \"ca-file\" given as a relative path");
  g_object_unref (client);
  fail_unless (g_chdir (cwd) == 0);
}

GST_END_TEST;

/* A dropped TLS connection is reconnected (a new handshake) and rejoined. */
GST_START_TEST (test_reconnects_over_tls)
{
  RealtimeClient *client
      = new_client (rt_server_get_url (server), "ca.pem", REALTIME_VSN_2_0_0);
  RealtimeChannel *ch = realtime_client_channel (client, "tls-again");
  GPtrArray *got = g_ptr_array_new_with_free_func (g_free);
  RealtimeClientStats stats;
  guint i;

  g_signal_connect (ch, "broadcast", G_CALLBACK (collect), got);
  realtime_channel_subscribe (ch);
  realtime_client_connect (client);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 5000));
  for (i = 0; i < 3; i++) {
    rt_server_drop_all (server);
    fail_unless (RT_WAIT_UNTIL (!is_joined (ch), 3000));
    fail_unless (RT_WAIT_UNTIL (is_joined (ch)
                         && rt_server_count_members (server,
                                "realtime:tls-again")
                             == 1,
                     5000),
        "not rejoined after drop %u", i + 1);
  }
  rt_server_broadcast (server, "realtime:tls-again", "ping", "{}");
  fail_unless (RT_WAIT_UNTIL (got->len == 1, 3000));
  rt_test_run_for (200);
  fail_unless_equals_int (got->len, 1);
  realtime_client_get_stats (client, &stats);
  fail_unless_equals_int (stats.connects, 4);
  g_signal_handlers_disconnect_by_data (ch, got);
  g_ptr_array_unref (got);
  g_object_unref (client);
}

GST_END_TEST;

/* --- the command-line front end ----------------------------------------- */

/* Starts `realtime-gateway listen` in @gp, the key in a file (never on a
 * command line); @ca_name is a file of the TLS data directory, passed by
 * its absolute path, or with @relative copied into the child's working
 * directory and passed by its bare name. */
static void
cli_start (RtGatewayProcess *gp, const gchar *channel, const gchar *ca_name,
    gboolean relative)
{
  g_autofree gchar *key = rt_gateway_process_path (gp, "apikey");
  g_autofree gchar *ca = NULL;
  g_autoptr (GPtrArray) args = g_ptr_array_new ();

  if (ca_name && relative) {
    g_autofree gchar *source = tls_file (ca_name);
    g_autofree gchar *text = NULL;
    GError *error = NULL;

    fail_unless (g_file_get_contents (source, &text, NULL, &error), "%s: %s",
        source, error ? error->message : "");
    rt_gateway_process_write_file (gp, ca_name, text);
    ca = g_strdup (ca_name);
  } else if (ca_name) {
    ca = tls_file (ca_name);
  }
  g_ptr_array_add (args, (gpointer) "listen");
  g_ptr_array_add (args, (gpointer) "--url");
  g_ptr_array_add (args, (gpointer)rt_server_get_url (server));
  g_ptr_array_add (args, (gpointer) "--api-key-file");
  g_ptr_array_add (args, key);
  g_ptr_array_add (args, (gpointer) "--channel");
  g_ptr_array_add (args, (gpointer)channel);
  g_ptr_array_add (args, (gpointer) "--heartbeat-interval");
  g_ptr_array_add (args, (gpointer) "1");
  g_ptr_array_add (args, (gpointer) "--backoff-min");
  g_ptr_array_add (args, (gpointer) "0.05");
  g_ptr_array_add (args, (gpointer) "--backoff-max");
  g_ptr_array_add (args, (gpointer) "0.3");
  if (ca) {
    g_ptr_array_add (args, (gpointer) "--ca-file");
    g_ptr_array_add (args, ca);
  }
  g_ptr_array_add (args, NULL);
  rt_gateway_process_setenv (gp, "REALTIME_API_KEY", NULL);
  /* Warnings only: the refusal itself must name the certificate. */
  rt_gateway_process_setenv (gp, "G_MESSAGES_DEBUG", NULL);
  rt_gateway_process_spawnv (gp, (const gchar *const *)args->pdata);
}

static void
cli_stop (RtGatewayProcess *gp)
{
  fail_unless (rt_gateway_process_stop (gp, 5000),
      "listen did not exit within 5 s of SIGTERM");
}

static void
cli_listens (gboolean relative)
{
  g_autoptr (RtGatewayProcess) gp = rt_gateway_process_new ("tls-cli");
  GPtrArray *lines = rt_gateway_process_get_stdout_lines (gp);

  cli_start (gp, "tls-cli", "ca.pem", relative);
  RT_GATEWAY_FAIL_UNLESS (gp,
      RT_WAIT_UNTIL (rt_server_count_members (server, "realtime:tls-cli") == 1,
          10000),
      "listen --ca-file never joined");
  rt_server_broadcast (server, "realtime:tls-cli", "start",
      "{\"pipeline\":\"cam\"}");
  RT_GATEWAY_FAIL_UNLESS (gp, RT_WAIT_UNTIL (lines->len == 1, 5000),
      "listen printed nothing");
  fail_unless_equals_string (g_ptr_array_index (lines, 0),
      "{\"event\":\"start\",\"payload\":{\"pipeline\":\"cam\"}}");
  cli_stop (gp);
}

GST_START_TEST (test_cli_ca_file_listens)
{
  cli_listens (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_cli_relative_ca_file_listens)
{
  cli_listens (TRUE);
}

GST_END_TEST;

static void
assert_cli_refused (const gchar *ca_name)
{
  g_autoptr (RtGatewayProcess) gp = rt_gateway_process_new ("tls-cli");
  g_autofree gchar *err = NULL;
  g_autofree gchar *lower = NULL;
  gint64 end = g_get_monotonic_time () + 2500 * 1000;

  cli_start (gp, "tls-cli-refused", ca_name, FALSE);
  while (g_get_monotonic_time () < end) {
    rt_test_iterate (20);
    fail_unless_equals_int (rt_server_count_members (server,
                                "realtime:tls-cli-refused"),
        0);
  }
  fail_unless_equals_int (rt_server_get_n_accepted (server), 0);
  fail_unless (rt_gateway_process_is_running (gp),
      "listen exited instead of retrying");
  err = rt_gateway_process_read_log (gp);
  lower = g_ascii_strdown (err, -1);
  fail_unless (strstr (lower, "certificate") != NULL,
      "listen's stderr does not name the certificate: %s", err);
  fail_unless_equals_int (rt_gateway_process_get_stdout_lines (gp)->len, 0);
  cli_stop (gp);
}

GST_START_TEST (test_cli_refuses_self_signed_by_default)
{
  assert_cli_refused (NULL);
}

GST_END_TEST;

GST_START_TEST (test_cli_refuses_wrong_ca)
{
  assert_cli_refused ("other-ca.pem");
}

GST_END_TEST;

static Suite *
tls_suite (void)
{
  Suite *s = suite_create ("tls");
  TCase *tc = tcase_create ("client");
  TCase *cli = tcase_create ("cli");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_self_signed_refused_by_default);
  tcase_add_test (tc, test_wrong_ca_refused);
  tcase_add_test (tc, test_right_ca_wrong_name_refused);
  tcase_add_test (tc, test_ca_file_joins_and_broadcasts_v2);
  tcase_add_test (tc, test_ca_file_joins_and_broadcasts_v1);
  tcase_add_test (tc, test_ca_file_relative_path);
  tcase_add_test (tc, test_reconnects_over_tls);

  tcase_add_checked_fixture (cli, setup, teardown);
  tcase_set_timeout (cli, 60);
  suite_add_tcase (s, cli);
  tcase_add_test (cli, test_cli_ca_file_listens);
  tcase_add_test (cli, test_cli_relative_ca_file_listens);
  tcase_add_test (cli, test_cli_refuses_self_signed_by_default);
  tcase_add_test (cli, test_cli_refuses_wrong_ca);
  return s;
}

RT_TEST_MAIN (tls);

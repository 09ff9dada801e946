/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-daemon.c: "realtime-gateway run" end to end. The daemon runs as a
 * real process (gateway-process.h) against the in-process local realtime
 * server; the test is the operator, sending requests as the REST endpoint
 * would and reading the "pipeline_state" replies the server received
 * (reply-collector.h). Real pipelines, real files, real signals.
 */
#include "test-util.h"

#include "gateway-process.h"
#include "pipeline-def.h"
#include "reply-collector.h"
#include "rt-server.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#define CHANNEL "robot-test"
#define TOPIC "realtime:" CHANNEL

typedef struct
{
  RtServer *server;
  RtGatewayProcess *gp;
  gchar *recordings;
  RtReplyCollector *replies;
} Fixture;

static Fixture f;

static const gchar *file_pipeline
    = "[pipeline]\n"
      "description=videotestsrc is-live=true name=src ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! videoconvert ! "
      "video/x-raw,format=I420 ! x264enc name=enc tune=zerolatency "
      "speed-preset=ultrafast key-int-max=15 "
      "! h264parse ! mp4mux ! filesink name=sink "
      "location=${RECORDINGS_DIR}/default.mp4\n"
      "stop-timeout=5\n"
      "default-ttl=60\nmax-ttl=60\n"
      "[param:file]\n"
      "element=sink\nproperty=location\ntype=string\n"
      "pattern=[A-Za-z0-9][A-Za-z0-9_-]{0,63}\nmax-length=64\n"
      "prefix=${RECORDINGS_DIR}/\nsuffix=.mp4\n"
      "[param:bitrate]\n"
      "element=enc\nproperty=bitrate\ntype=uint\nmin=100\nmax=5000\n"
      "[param:pattern]\n"
      "element=src\nproperty=pattern\ntype=enum\nvalues=smpte;ball;snow\n";

static const gchar *fast_pipeline
    = "[pipeline]\n"
      "description=videotestsrc is-live=true name=src ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! fakesink name=sink\n"
      "stop-timeout=2\n"
      "default-ttl=30\nmax-ttl=30\n";

static const gchar *fail_pipeline
    = "[pipeline]\n"
      "description=filesrc location=/nonexistent/realtime-gateway-test ! "
      "fakesink\n"
      "restart=on-failure\nrestart-backoff-min=0.05\nrestart-backoff-max=0.1\n"
      "max-restarts=2\n";

static const gchar *silent_pipeline
    = "[pipeline]\n"
      "description=videotestsrc is-live=true ! valve drop=true ! "
      "fakesink async=false\n"
      "start-timeout=0.5\n";

static void
write_pipeline (const gchar *name, const gchar *text)
{
  g_autofree gchar *file = g_strdup_printf ("pipelines/%s.pipeline", name);

  rt_gateway_process_write_file (f.gp, file, text);
}

static void
write_config (const gchar *extra_realtime, const gchar *extra_gateway)
{
  rt_gateway_process_write_config (f.gp, rt_server_get_url (f.server), CHANNEL,
      extra_realtime, extra_gateway);
}

static void
dump_log (void)
{
  rt_gateway_process_dump_log (f.gp);
}

static gboolean
daemon_joined (void)
{
  return rt_server_count_members (f.server, TOPIC) >= 1;
}

static void
setup (void)
{
  GError *error = NULL;

  memset (&f, 0, sizeof f);
  f.server = rt_server_new (0, RT_TEST_API_KEY, &error);
  g_assert_no_error (error);
  f.gp = rt_gateway_process_new ("daemon");
  f.recordings = rt_gateway_process_path (f.gp, "recordings");
  write_pipeline ("file", file_pipeline);
  write_pipeline ("fast", fast_pipeline);
  write_pipeline ("fail", fail_pipeline);
  write_pipeline ("silent", silent_pipeline);
  f.replies = rt_reply_collector_new (f.server, TOPIC, NULL);
}

static void
teardown (void)
{
  if (rt_gateway_process_is_running (f.gp))
    dump_log ();
  g_clear_pointer (&f.gp, rt_gateway_process_free);
  g_clear_pointer (&f.replies, rt_reply_collector_free);
  g_clear_pointer (&f.server, rt_server_free);
  g_free (f.recordings);
  rt_test_run_for (20);
}

static void
run_daemon (void)
{
  write_config (NULL, NULL);
  rt_gateway_process_run (f.gp);
  if (!RT_WAIT_UNTIL (daemon_joined () || !rt_gateway_process_is_running (f.gp),
          15000)
      || !daemon_joined ()) {
    dump_log ();
    fail ("the daemon never joined the channel");
  }
}

static void
request (const gchar *event, const gchar *json)
{
  rt_server_broadcast (f.server, TOPIC, event, json);
}

/* The index of the first reply at or after @from matching, or -1. */
static gint
find_reply (guint from, const gchar *pipeline, const gchar *state,
    const gchar *request_id)
{
  return rt_reply_collector_find (f.replies, from, pipeline, state, request_id);
}

static const RtReply *
wait_reply (const gchar *pipeline, const gchar *state, const gchar *request_id,
    guint timeout_ms)
{
  const RtReply *r = rt_reply_collector_wait (f.replies, pipeline, state,
      request_id, timeout_ms);

  if (!r) {
    g_autofree gchar *seen
        = rt_replies_describe (rt_reply_collector_get_replies (f.replies), 0,
            20);
    dump_log ();
    fail ("no %s reply for %s (request %s); seen: %s", state, pipeline,
        request_id ? request_id : "-", seen);
  }
  return r;
}

static gchar *
discover_duration (const gchar *path)
{
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  const gchar *argv[] = { "gst-discoverer-1.0", path, NULL };
  gchar *line;
  gint status;

  fail_unless (g_spawn_sync (NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH,
      NULL, NULL, &out, &err, &status, NULL));
  line = strstr (out, "Duration: ");
  if (!line) {
    g_printerr ("gst-discoverer-1.0 %s:\n%s%s\n", path, out, err);
    dump_log ();
    return NULL;
  }
  return g_strndup (line + 10, strcspn (line + 10, "\n"));
}

static gdouble
duration_seconds (const gchar *text)
{
  guint h, m;
  gdouble s;

  if (!text || sscanf (text, "%u:%u:%lf", &h, &m, &s) != 3)
    return -1;
  return h * 3600 + m * 60 + s;
}

GST_START_TEST (test_start_playing_stop_finalises_mp4)
{
  g_autofree gchar *path = NULL;
  g_autofree gchar *duration = NULL;
  const RtReply *playing;
  gint64 t0;
  gdouble d;

  run_daemon ();
  request ("start",
      "{\"pipeline\":\"file\",\"request_id\":\"r1\","
      "\"params\":{\"file\":\"clip-1\",\"bitrate\":800}}");
  wait_reply ("file", "starting", "r1", 5000);
  playing = wait_reply ("file", "playing", "r1", 10000);
  t0 = g_get_monotonic_time ();
  {
    JsonObject *params = json_object_get_object_member (json_node_get_object (
                                                            playing->payload),
        "params");
    fail_unless_equals_string (json_object_get_string_member (params, "file"),
        "clip-1");
    fail_unless_equals_int (json_object_get_int_member (params, "bitrate"),
        800);
  }
  rt_test_run_for (2000);
  request ("stop", "{\"pipeline\":\"file\",\"request_id\":\"r2\"}");
  wait_reply ("file", "stopping", "r2", 5000);
  wait_reply ("file", "stopped", "r2", 10000);
  d = (g_get_monotonic_time () - t0) / 1e6;

  path = g_build_filename (f.recordings, "clip-1.mp4", NULL);
  fail_unless (g_file_test (path, G_FILE_TEST_EXISTS), "no %s", path);
  duration = discover_duration (path);
  fail_unless (duration != NULL,
      "gst-discoverer found no duration: the "
      "file was not finalised");
  /* Recorded from start to stop: about the time it played. */
  fail_unless (duration_seconds (duration) > 1.5
          && duration_seconds (duration) < d + 1.0,
      "duration %s after %.1f s", duration, d);

  /* Idempotent: stopping a stopped pipeline says stopped. */
  request ("stop", "{\"pipeline\":\"file\",\"request_id\":\"r3\"}");
  wait_reply ("file", "stopped", "r3", 5000);
}

GST_END_TEST;

GST_START_TEST (test_bad_requests_rejected)
{
  static const struct
  {
    const gchar *event, *json, *id, *reason;
  } bad[] = {
    { "start", "{\"pipeline\":\"nope\",\"request_id\":\"b1\"}", "b1",
        "unknown pipeline" },
    { "start",
        "{\"pipeline\":\"file\",\"request_id\":\"b2\","
        "\"params\":{\"volume\":3}}",
        "b2", "volume" },
    { "start",
        "{\"pipeline\":\"file\",\"request_id\":\"b3\","
        "\"params\":{\"bitrate\":\"fast\"}}",
        "b3", "bitrate" },
    { "start",
        "{\"pipeline\":\"file\",\"request_id\":\"b4\","
        "\"params\":{\"bitrate\":99999}}",
        "b4", "bitrate" },
    { "start",
        "{\"pipeline\":\"file\",\"request_id\":\"b5\","
        "\"params\":{\"file\":\"x ! filesink location=/tmp/pwned\"}}",
        "b5", "file" },
    { "start",
        "{\"pipeline\":\"file\",\"request_id\":\"b6\","
        "\"params\":{\"file\":\"a\\\"b\"}}",
        "b6", "file" },
    { "start",
        "{\"pipeline\":\"file\",\"request_id\":\"b7\","
        "\"params\":{\"file\":\"a\\nb\"}}",
        "b7", "file" },
    { "start",
        "{\"pipeline\":\"file\",\"request_id\":\"b8\","
        "\"params\":{\"file\":\"../../etc/x\"}}",
        "b8", "file" },
    { "start",
        "{\"pipeline\":\"file\",\"request_id\":\"b9\","
        "\"params\":{\"pattern\":\"zebra\"}}",
        "b9", "pattern" },
    { "start", "{\"pipeline\":\"fast\",\"request_id\":\"b10\",\"ttl\":600}",
        "b10", "max-ttl" },
    { "start",
        "{\"pipeline\":\"file\",\"request_id\":\"b11\","
        "\"params\":[1,2]}",
        "b11", NULL },
    { "renew", "{\"pipeline\":\"file\",\"request_id\":\"b12\",\"ttl\":10}",
        "b12", NULL },
    { "stop", "{\"pipeline\":\"../file\",\"request_id\":\"b13\"}", "b13",
        NULL },
  };
  guint i;

  run_daemon ();
  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    const RtReply *r;
    request (bad[i].event, bad[i].json);
    r = wait_reply (NULL, "failed", bad[i].id, 5000);
    fail_unless (r->error != NULL, "no reason for %s", bad[i].id);
    if (bad[i].reason)
      fail_unless (strstr (r->error, bad[i].reason) != NULL,
          "reason for %s: %s", bad[i].id, r->error);
  }
  /* Nothing started, nothing written. */
  fail_unless_equals_int (find_reply (0, NULL, "starting", NULL), -1);
  fail_unless_equals_int (find_reply (0, NULL, "playing", NULL), -1);
  fail_if (g_file_test ("/tmp/pwned", G_FILE_TEST_EXISTS));
  {
    g_autoptr (GDir) d = g_dir_open (f.recordings, 0, NULL);
    fail_unless (d == NULL || g_dir_read_name (d) == NULL,
        "a file was written");
  }
  /* The daemon is alive and still answers. */
  request ("status", "{\"request_id\":\"s1\"}");
  wait_reply ("fast", "stopped", "s1", 5000);
  wait_reply ("file", "stopped", "s1", 5000);
  wait_reply ("fail", "stopped", "s1", 5000);
  wait_reply ("silent", "stopped", "s1", 5000);
}

GST_END_TEST;

GST_START_TEST (test_lease_expires_and_renew_extends)
{
  gint64 t0;

  run_daemon ();
  request ("start",
      "{\"pipeline\":\"fast\",\"request_id\":\"l1\","
      "\"ttl\":2}");
  wait_reply ("fast", "playing", "l1", 5000);
  t0 = g_get_monotonic_time ();
  rt_test_run_for (1200);
  request ("renew",
      "{\"pipeline\":\"fast\",\"request_id\":\"l2\","
      "\"ttl\":2}");
  wait_reply ("fast", "playing", "l2", 3000);
  {
    const RtReply *r = wait_reply ("fast", "stopped", NULL, 5000);
    gdouble lived = (g_get_monotonic_time () - t0) / 1e6;
    fail_unless_equals_string (r->error, "lease expired");
    /* Renewed at 1.2 s for 2 s more: not before 3 s. */
    fail_unless (lived >= 2.9, "stopped after %.2f s", lived);
  }
}

GST_END_TEST;

/* Leases by default: the shipped test-pattern-rtp-raw, a network sender,
 * has default-ttl=60 and max-ttl=3600 (checked on the file as shipped). A
 * minute per run is too long for this suite, so the daemon runs the
 * test's own copy of that file with only default-ttl lowered to 3 s: a
 * start without ttl stops with "lease expired" after its default lease,
 * and renewals every 1.5 s (default-ttl / 2, what a dashboard does every
 * 30 s) keep it playing past that lease. */
#define LEASED "test-pattern-rtp-raw"

GST_START_TEST (test_shipped_network_pipeline_lease_by_default)
{
  const gchar *dir = g_getenv ("RT_PIPELINES_DIR");
  g_autofree gchar *path = NULL;
  g_autoptr (PipelineDef) def = NULL;
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree gchar *copy = NULL;
  const RtReply *r;
  gint64 t0;
  gdouble lived;
  guint i, stops;

  fail_unless (dir != NULL, "RT_PIPELINES_DIR is not set");
  path = g_build_filename (dir, LEASED ".pipeline", NULL);
  def = pipeline_def_load (path, NULL, FALSE, NULL);
  fail_unless (def != NULL, "%s does not load", path);
  fail_unless_equals_int (def->default_ttl_s, 60);
  fail_unless_equals_int (def->max_ttl_s, 3600);
  fail_unless (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL));
  g_key_file_set_value (kf, "pipeline", "default-ttl", "3");
  copy = g_key_file_to_data (kf, NULL, NULL);
  write_pipeline (LEASED, copy);
  run_daemon ();

  /* Nobody renews: stopped by itself after the default lease. */
  t0 = g_get_monotonic_time ();
  request ("start", "{\"pipeline\":\"" LEASED "\",\"request_id\":\"n1\"}");
  wait_reply (LEASED, "playing", "n1", 10000);
  r = wait_reply (LEASED, "stopped", NULL, 10000);
  lived = (g_get_monotonic_time () - t0) / 1e6;
  fail_unless_equals_string (r->error, "lease expired");
  fail_unless (lived >= 2.95, "stopped after %.2f s", lived);

  /* Renewed every default-ttl / 2: still playing at twice the lease. */
  stops = rt_reply_collector_count (f.replies, LEASED, "stopped", NULL);
  request ("start", "{\"pipeline\":\"" LEASED "\",\"request_id\":\"n2\"}");
  wait_reply (LEASED, "playing", "n2", 10000);
  for (i = 1; i <= 4; i++) {
    g_autofree gchar *id = g_strdup_printf ("n2-renew-%u", i);
    g_autofree gchar *renew
        = g_strdup_printf ("{\"pipeline\":\"" LEASED
                           "\",\"request_id\":\"%s\",\"ttl\":3}",
            id);

    rt_test_run_for (1500);
    request ("renew", renew);
    wait_reply (LEASED, "playing", id, 5000);
  }
  fail_unless_equals_int (rt_reply_collector_count (f.replies, LEASED,
                              "stopped", NULL),
      stops);
  request ("status", "{\"pipeline\":\"" LEASED "\",\"request_id\":\"n3\"}");
  wait_reply (LEASED, "playing", "n3", 5000);
  request ("stop", "{\"pipeline\":\"" LEASED "\",\"request_id\":\"n4\"}");
  r = wait_reply (LEASED, "stopped", "n4", 10000);
  fail_unless (r->error == NULL, "stopped with %s", r->error);
}

GST_END_TEST;

/* A minimal RTSP server taking what rtspclientsink publishes (RECORD over
 * TCP, interleaved): every request is answered 200 with its CSeq (SETUP
 * with its own Transport and a session, OPTIONS with the methods), and
 * interleaved data is read and dropped. Each connection is served by a
 * thread of its own (blocking reads); it ends when the client closes. */
typedef struct
{
  GSocketService *service;
  guint port;
} FakeRtsp;

/* RECORD requests answered (atomic): not in FakeRtsp, which a worker
 * thread must never outlive. */
static gint fake_rtsp_records;

static void
fake_rtsp_reply (GOutputStream *out, const gchar *method, const gchar *cseq,
    const gchar *transport)
{
  g_autoptr (GString) r = g_string_new ("RTSP/1.0 200 OK\r\n");

  g_string_append_printf (r, "CSeq: %s\r\n", cseq ? cseq : "0");
  if (g_str_equal (method, "OPTIONS"))
    g_string_append (r,
        "Public: OPTIONS, ANNOUNCE, SETUP, RECORD, PAUSE, "
        "TEARDOWN, GET_PARAMETER, SET_PARAMETER\r\n");
  if (g_str_equal (method, "SETUP") && transport)
    g_string_append_printf (r, "Transport: %s\r\n", transport);
  if (!g_str_equal (method, "OPTIONS") && !g_str_equal (method, "ANNOUNCE"))
    g_string_append (r, "Session: 5eed1f3d;timeout=60\r\n");
  g_string_append (r, "Content-Length: 0\r\n\r\n");
  g_output_stream_write_all (out, r->str, r->len, NULL, NULL, NULL);
}

static gboolean
fake_rtsp_run (GThreadedSocketService *service, GSocketConnection *conn,
    GObject *source, gpointer user_data)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  g_autoptr (GDataInputStream) in = g_data_input_stream_new (
      g_io_stream_get_input_stream (G_IO_STREAM (conn)));

  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  g_data_input_stream_set_byte_order (in, G_DATA_STREAM_BYTE_ORDER_BIG_ENDIAN);
  for (;;) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *rest = NULL, *method = NULL, *cseq = NULL;
    g_autofree gchar *transport = NULL;
    gsize body = 0;
    guchar c = g_data_input_stream_read_byte (in, NULL, &error);

    if (error)
      break;
    if (c == '$') {
      guint16 len;

      /* Interleaved data: channel, length, bytes. */
      g_data_input_stream_read_byte (in, NULL, &error);
      len = error ? 0 : g_data_input_stream_read_uint16 (in, NULL, &error);
      if (error
          || g_input_stream_skip (G_INPUT_STREAM (in), len, NULL, NULL) != len)
        break;
      continue;
    }
    rest = g_data_input_stream_read_line (in, NULL, NULL, &error);
    if (!rest)
      break;
    method = g_strdup_printf ("%c%.*s", c, (gint)strcspn (rest, " "), rest);
    for (;;) {
      g_autofree gchar *line
          = g_data_input_stream_read_line (in, NULL, NULL, &error);

      if (!line || !*line)
        break;
      if (g_ascii_strncasecmp (line, "CSeq:", 5) == 0)
        cseq = g_strstrip (g_strdup (line + 5));
      else if (g_ascii_strncasecmp (line, "Transport:", 10) == 0)
        transport = g_strstrip (g_strdup (line + 10));
      else if (g_ascii_strncasecmp (line, "Content-Length:", 15) == 0)
        body = g_ascii_strtoull (line + 15, NULL, 10);
    }
    if (error
        || (body > 0
            && g_input_stream_skip (G_INPUT_STREAM (in), body, NULL, NULL)
                != (gssize)body))
      break;
    fake_rtsp_reply (out, method, cseq, transport);
    if (g_str_equal (method, "RECORD"))
      g_atomic_int_inc (&fake_rtsp_records);
    if (g_str_equal (method, "TEARDOWN"))
      break;
  }
  return TRUE;
}

static FakeRtsp *
fake_rtsp_new (void)
{
  FakeRtsp *rtsp = g_new0 (FakeRtsp, 1);

  g_atomic_int_set (&fake_rtsp_records, 0);
  rtsp->service = g_threaded_socket_service_new (8);
  rtsp->port = rt_test_listen_loopback (G_SOCKET_LISTENER (rtsp->service));
  g_signal_connect (rtsp->service, "run", G_CALLBACK (fake_rtsp_run), NULL);
  g_socket_service_start (rtsp->service);
  return rtsp;
}

/* After the daemon is gone (its connections closed, the threads done). */
static void
fake_rtsp_free (FakeRtsp *rtsp)
{
  g_socket_service_stop (rtsp->service);
  g_socket_listener_close (G_SOCKET_LISTENER (rtsp->service));
  g_object_unref (rtsp->service);
  g_free (rtsp);
}

/* The lease the test gives the shipped network definitions instead of
 * their 60 s, and how many renewals (one a second) keep them past it. */
#define LEASE_S 6
#define RENEWALS 9

/* The shipped definitions with no lease: they write to the robot's own
 * disk, nothing over the network. Any other is a network sender. */
static const gchar *const local_only[] = { "test-pattern-file", NULL };

/* Leases by default, on every shipped network definition: each shipped
 * file has default-ttl=60 and max-ttl=3600 as shipped; the daemon runs
 * each one as shipped with only these changed, all at once: default-ttl
 * lowered to LEASE_S (a minute per definition is too long for this suite),
 * the camera (v4l2src, its device param) replaced by videotestsrc (no
 * camera here), and the destinations given as start params where they
 * must be free (UDP and SRT ports, the RTSP server above). A start without
 * ttl, never renewed, ends in "stopped" with "lease expired" after LEASE_S
 * and no sooner, for every one of them; renewed, every one keeps playing
 * past it. */
GST_START_TEST (test_every_shipped_network_pipeline_stops_by_itself)
{
  const gchar *dir = g_getenv ("RT_PIPELINES_DIR");
  g_autoptr (GDir) d = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) t0 = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GPtrArray) files
      = g_ptr_array_new_with_free_func ((GDestroyNotify)g_key_file_unref);
  g_autoptr (GPtrArray) starts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) watched = g_ptr_array_new_with_free_func (g_free);
  guint k, from;
  FakeRtsp *rtsp = fake_rtsp_new ();
  const gchar *file;
  guint i, n_camera = 0;

  fail_unless (dir != NULL, "RT_PIPELINES_DIR is not set");
  d = g_dir_open (dir, 0, NULL);
  fail_unless (d != NULL, "cannot read %s", dir);
  while ((file = g_dir_read_name (d))) {
    g_autofree gchar *path = g_build_filename (dir, file, NULL);
    g_autofree gchar *name = NULL;
    g_autofree gchar *desc = NULL;
    g_autofree gchar *copy = NULL;
    g_autofree gchar *output = NULL;
    GKeyFile *kf = g_key_file_new ();

    if (!g_str_has_suffix (file, ".pipeline")) {
      g_key_file_unref (kf);
      continue;
    }
    name = g_strndup (file, strlen (file) - strlen (".pipeline"));
    if (g_strv_contains (local_only, name)) {
      g_key_file_unref (kf);
      continue;
    }
    fail_unless (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL),
        "%s does not load", path);
    /* As shipped. */
    fail_unless_equals_int (g_key_file_get_integer (kf, "pipeline",
                                "default-ttl", NULL),
        60);
    fail_unless_equals_int (g_key_file_get_integer (kf, "pipeline", "max-ttl",
                                NULL),
        3600);
    /* output=webrtc: watched, not started; its sessions' leases are
     * test-webrtc's. Here: a start is refused with the reason. */
    output = g_key_file_get_value (kf, "pipeline", "output", NULL);
    if (g_strcmp0 (output, "webrtc") == 0) {
      copy = g_key_file_to_data (kf, NULL, NULL);
      write_pipeline (name, copy);
      g_ptr_array_add (watched, g_steal_pointer (&name));
      g_key_file_unref (kf);
      continue;
    }
    g_key_file_set_integer (kf, "pipeline", "default-ttl", LEASE_S);
    desc = g_key_file_get_value (kf, "pipeline", "description", NULL);
    if (g_str_has_prefix (desc, "v4l2src name=src device=/dev/video0 ")) {
      g_autofree gchar *swapped = g_strconcat ("videotestsrc is-live=true "
                                               "name=src ",
          desc + strlen ("v4l2src name=src device=/dev/video0 "), NULL);

      g_key_file_set_value (kf, "pipeline", "description", swapped);
      fail_unless (g_key_file_remove_group (kf, "param:device", NULL));
      n_camera++;
    }
    copy = g_key_file_to_data (kf, NULL, NULL);
    write_pipeline (name, copy);
    g_ptr_array_add (names, g_steal_pointer (&name));
    g_ptr_array_add (files, kf);
  }
  /* The five of today at least: a new one is taken in by itself. */
  fail_unless (names->len >= 5, "%u shipped network definitions", names->len);
  fail_unless (n_camera >= 3, "%u camera definitions", n_camera);
  fail_unless (watched->len >= 2, "%u shipped WebRTC definitions",
      watched->len);
  run_daemon ();

  for (i = 0; i < watched->len; i++) {
    const gchar *name = g_ptr_array_index (watched, i);
    g_autofree gchar *id = g_strdup_printf ("s-%s", name);
    g_autofree gchar *json
        = g_strdup_printf ("{\"pipeline\":\"%s\",\"request_id\":\"%s\"}", name,
            id);
    const RtReply *r;

    request ("start", json);
    r = wait_reply (name, "failed", id, 10000);
    fail_unless (r->error && strstr (r->error, "watch"),
        "%s: a start answered %s", name, r->error);
  }

  for (i = 0; i < names->len; i++) {
    const gchar *name = g_ptr_array_index (names, i);
    GKeyFile *kf = g_ptr_array_index (files, i);
    g_autofree gchar *params = NULL;
    g_autofree gchar *json = NULL;
    const gchar *size = "";
    gint64 now;

    /* Destinations that must be free here, where the definition has them
     * (a WebRTC definition has none: its viewers call in). */
    /* The smallest size a camera definition offers: seven encoders start
     * at once on a machine that may be busy. */
    if (g_key_file_has_group (kf, "param:resolution"))
      size = ",\"resolution\":\"video/x-raw,width=640,height=480\"";
    if (g_key_file_has_group (kf, "param:uri"))
      params = g_strdup_printf ("{\"uri\":\"srt://:%u\"%s}",
          rt_test_free_port (), size);
    else if (g_key_file_has_group (kf, "param:location"))
      params
          = g_strdup_printf ("{\"location\":\"rtsp://127.0.0.1:%u/robot\"%s}",
              rtsp->port, size);
    else if (g_key_file_has_group (kf, "param:port"))
      params = g_strdup_printf ("{\"port\":%u%s}", rt_test_free_port (), size);
    else
      params = g_strdup_printf ("{%s}", *size ? size + 1 : "");
    json = g_strdup_printf ("{\"pipeline\":\"%s\",\"request_id\":\"v-%s\","
                            "\"params\":%s}",
        name, name, params);
    request ("start", json);
    now = g_get_monotonic_time ();
    g_array_append_val (t0, now);
    g_ptr_array_add (starts, g_steal_pointer (&params));
  }
  for (i = 0; i < names->len; i++) {
    const gchar *name = g_ptr_array_index (names, i);
    g_autofree gchar *id = g_strdup_printf ("v-%s", name);
    const RtReply *r;
    gdouble lived;

    wait_reply (name, "playing", id, 30000);
    r = wait_reply (name, "stopped", NULL, 30000);
    lived = (g_get_monotonic_time () - g_array_index (t0, gint64, i)) / 1e6;
    fail_unless_equals_string (r->error, "lease expired");
    fail_unless (lived >= LEASE_S - 0.05, "%s stopped after %.2f s", name,
        lived);
    g_message ("%s: a start without ttl stopped by itself (lease expired) "
               "after %.2f s",
        name, lived);
  }
  fail_unless (g_atomic_int_get (&fake_rtsp_records) >= 1,
      "the RTSP definition never recorded");

  /* And renewed, each keeps playing past its lease: started again, then
   * renewed every second for LEASE_S more (a dashboard renews at half the
   * lease; a second here leaves the rest as slack for a loaded machine),
   * from right after the start (a starting pipeline can be renewed), for
   * longer than the lease. */
  rt_reply_collector_poll (f.replies);
  from = rt_reply_collector_get_replies (f.replies)->len;
  for (i = 0; i < names->len; i++) {
    const gchar *name = g_ptr_array_index (names, i);
    g_autofree gchar *json = g_strdup_printf ("{\"pipeline\":\"%s\",\"request_"
                                              "id\":\"w-%s\",\"params\":%s}",
        name, name, (const gchar *)g_ptr_array_index (starts, i));

    request ("start", json);
  }
  for (k = 1; k <= RENEWALS; k++) {
    for (i = 0; i < names->len; i++) {
      const gchar *name = g_ptr_array_index (names, i);
      g_autofree gchar *json
          = g_strdup_printf ("{\"pipeline\":\"%s\",\"request_id\":\"w%u-%s\","
                             "\"ttl\":%u}",
              name, k, name, LEASE_S);

      request ("renew", json);
    }
    rt_test_run_for (1000);
  }
  for (i = 0; i < names->len; i++) {
    const gchar *name = g_ptr_array_index (names, i);
    g_autofree gchar *id = g_strdup_printf ("w%u-%s", RENEWALS, name);
    g_autofree gchar *status
        = g_strdup_printf ("{\"pipeline\":\"%s\",\"request_id\":\"ws-%s\"}",
            name, name);
    g_autofree gchar *ws = g_strdup_printf ("ws-%s", name);

    /* The last renew was answered as renews are (the state), none was
     * refused, nothing stopped it, and it still plays. */
    fail_unless (rt_reply_collector_wait_from (f.replies, from, name, NULL, id,
                     10000)
            != NULL,
        "%s: the last renew was not answered", name);
    fail_unless_equals_int (rt_reply_collector_find (f.replies, from, name,
                                "failed", NULL),
        -1);
    fail_unless_equals_int (rt_reply_collector_find (f.replies, from, name,
                                "stopped", NULL),
        -1);
    request ("status", status);
    wait_reply (name, "playing", ws, 10000);
  }
  rt_gateway_process_stop (f.gp, 15000);
  fake_rtsp_free (rtsp);
}

GST_END_TEST;

GST_START_TEST (test_failing_pipeline_restarts_then_gives_up)
{
  const RtReply *r;

  run_daemon ();
  request ("start", "{\"pipeline\":\"fail\",\"request_id\":\"f1\"}");
  wait_reply ("fail", "failed", "f1", 5000);
  /* max-restarts=2: three failed runs in all, then it stays failed. */
  fail_unless (RT_WAIT_UNTIL (rt_reply_collector_count (f.replies, "fail",
                                  "failed", NULL)
                       >= 3,
                   10000),
      "only %u failures",
      rt_reply_collector_count (f.replies, "fail", "failed", NULL));
  rt_test_run_for (1000);
  fail_unless_equals_int (rt_reply_collector_count (f.replies, "fail", "failed",
                              NULL),
      3);
  r = wait_reply ("fail", "failed", "f1", 100);
  fail_unless (strstr (r->error, "filesrc") != NULL,
      "error without the element: %s", r->error);
}

GST_END_TEST;

GST_START_TEST (test_start_timeout_fails)
{
  const RtReply *r;

  run_daemon ();
  request ("start", "{\"pipeline\":\"silent\",\"request_id\":\"t1\"}");
  r = wait_reply ("silent", "failed", NULL, 5000);
  fail_unless (r->error != NULL);
  fail_unless_equals_int (find_reply (0, "silent", "playing", NULL), -1);
}

GST_END_TEST;

GST_START_TEST (test_stop_during_start)
{
  run_daemon ();
  request ("start", "{\"pipeline\":\"file\",\"request_id\":\"d1\"}");
  request ("stop", "{\"pipeline\":\"file\",\"request_id\":\"d2\"}");
  wait_reply ("file", "stopped", "d2", 10000);
  rt_test_run_for (500);
  request ("status", "{\"pipeline\":\"file\",\"request_id\":\"d3\"}");
  wait_reply ("file", "stopped", "d3", 5000);
}

GST_END_TEST;

GST_START_TEST (test_storm_ends_in_last_state)
{
  guint i;
  gint64 t0 = g_get_monotonic_time ();

  run_daemon ();
  for (i = 0; i < 200; i++) {
    g_autofree gchar *json = g_strdup_printf ("{\"pipeline\":\"fast\","
                                              "\"request_id\":\"s%u\"}",
        i);
    request (i % 2 ? "stop" : "start", json);
    /* 200 requests within a second. */
    rt_test_iterate (1);
  }
  fail_unless ((g_get_monotonic_time () - t0) / 1000 < 1500);
  /* The last request (s199) was a stop. */
  wait_reply ("fast", "stopped", "s199", 20000);
  for (i = 0; i < 200; i++) {
    g_autofree gchar *id = g_strdup_printf ("s%u", i);
    fail_unless (RT_WAIT_UNTIL (find_reply (0, "fast", NULL, id) >= 0, 5000),
        "request %s never answered", id);
  }
  rt_test_run_for (500);
  request ("status", "{\"pipeline\":\"fast\",\"request_id\":\"after\"}");
  wait_reply ("fast", "stopped", "after", 5000);
  fail_unless (rt_gateway_process_is_running (f.gp), "the daemon died");
}

GST_END_TEST;

GST_START_TEST (test_hup_reloads_definitions)
{
  run_daemon ();
  request ("start", "{\"pipeline\":\"fast\",\"request_id\":\"h1\"}");
  wait_reply ("fast", "playing", "h1", 5000);
  write_pipeline ("extra", fast_pipeline);
  rt_gateway_process_signal (f.gp, SIGHUP);
  fail_unless (RT_WAIT_UNTIL (({
    request ("status",
        "{\"pipeline\":\"extra\","
        "\"request_id\":\"h2\"}");
    rt_test_run_for (200);
    find_reply (0, "extra", "stopped", "h2") >= 0;
  }),
      5000));
  /* The running pipeline kept running through the reload. */
  request ("status", "{\"pipeline\":\"fast\",\"request_id\":\"h3\"}");
  wait_reply ("fast", "playing", "h3", 5000);
  fail_unless_equals_int (find_reply (0, "fast", "stopped", NULL), -1);
}

GST_END_TEST;

/* The first start after launch, and after a HUP that changed nothing,
 * finds the warm pipeline primed: the daemon joins once the preparation
 * ended (warm-ready.c), and a reload keeps a definition whose file did not
 * change (a new runner would prime again, and a start meanwhile ends its
 * priming: "not primed (a start came first)"). */
GST_START_TEST (test_warm_primed_before_join_and_kept_by_hup)
{
  g_autofree gchar *warm
      = g_strdup_printf ("[pipeline]\nwarm=true\ndescription=videotestsrc "
                         "is-live=true ! "
                         "video/x-raw,width=320,height=240,framerate=30/1 ! "
                         "x264enc "
                         "tune=zerolatency speed-preset=ultrafast ! rtph264pay "
                         "! udpsink "
                         "host=127.0.0.1 port=%u sync=false async=false\n",
          rt_test_free_port ());

  write_pipeline ("warm", warm);
  run_daemon ();
  fail_unless_equals_int (rt_gateway_process_count_log (f.gp,
                              "1 warm pipeline prepared; joining"),
      1);
  request ("start", "{\"pipeline\":\"warm\",\"request_id\":\"p1\"}");
  wait_reply ("warm", "playing", "p1", 10000);
  request ("stop", "{\"pipeline\":\"warm\",\"request_id\":\"p2\"}");
  wait_reply ("warm", "stopped", "p2", 10000);

  rt_gateway_process_signal (f.gp, SIGHUP);
  fail_unless (rt_gateway_process_wait_log (f.gp, "reloaded", 5000));
  request ("start", "{\"pipeline\":\"warm\",\"request_id\":\"p3\"}");
  wait_reply ("warm", "playing", "p3", 10000);
  fail_unless_equals_int (rt_gateway_process_count_log (f.gp, "not primed"), 0);
}

GST_END_TEST;

GST_START_TEST (test_term_finalises_file_and_exits_zero)
{
  g_autofree gchar *path = NULL;
  g_autofree gchar *duration = NULL;

  run_daemon ();
  request ("start",
      "{\"pipeline\":\"file\",\"request_id\":\"x1\","
      "\"params\":{\"file\":\"term\"}}");
  wait_reply ("file", "playing", "x1", 10000);
  rt_test_run_for (1500);
  rt_gateway_process_signal (f.gp, SIGTERM);
  fail_unless (rt_gateway_process_wait_exit (f.gp, 15000),
      "the daemon did not exit");
  fail_unless_equals_int (rt_gateway_process_get_exit_status (f.gp), 0);
  path = g_build_filename (f.recordings, "term.mp4", NULL);
  duration = discover_duration (path);
  fail_unless (duration_seconds (duration) > 1.0, "duration %s", duration);
  /* It reported the stop and left the channel. */
  wait_reply ("file", "stopped", NULL, 1000);
  fail_unless (
      RT_WAIT_UNTIL (rt_server_count_members (f.server, TOPIC) == 0, 2000));
}

GST_END_TEST;

/* Its EOS waits behind a second per queued buffer: a stop takes its whole
 * stop-timeout. */
static const gchar *slow_pipeline
    = "[pipeline]\n"
      "description=videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! queue ! "
      "identity sleep-time=1000000 ! fakesink\n"
      "stop-timeout=20\n";

/* A first stop signal begins the graceful stop (EOS, bounded wait); a
 * second one, TERM or INT, exits at once. */
static void
check_second_signal_exits_at_once (gint first_signal, gint second_signal)
{
  gint64 t0;

  write_pipeline ("slow", slow_pipeline);
  run_daemon ();
  request ("start", "{\"pipeline\":\"slow\",\"request_id\":\"q1\"}");
  wait_reply ("slow", "playing", "q1", 5000);
  rt_gateway_process_signal (f.gp, first_signal);
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      rt_gateway_process_wait_log (f.gp, "every pipeline gets EOS", 5000),
      "no stop began");
  t0 = g_get_monotonic_time ();
  rt_gateway_process_signal (f.gp, second_signal);
  RT_GATEWAY_FAIL_UNLESS (f.gp, rt_gateway_process_wait_exit (f.gp, 5000),
      "the daemon did not exit on the second stop signal");
  fail_unless ((g_get_monotonic_time () - t0) / 1000 < 3000);
  fail_unless_equals_int (rt_gateway_process_get_exit_status (f.gp), 1);
  fail_unless (rt_gateway_process_count_log (f.gp, "second stop signal") == 1);
}

GST_START_TEST (test_second_term_exits_at_once)
{
  check_second_signal_exits_at_once (SIGTERM, SIGTERM);
}

GST_END_TEST;

GST_START_TEST (test_second_int_exits_at_once)
{
  check_second_signal_exits_at_once (SIGINT, SIGINT);
}

GST_END_TEST;

/* What the daemon told systemd: the datagrams on a NOTIFY_SOCKET of the
 * test's, one "KEY=VALUE" message each. */
typedef struct
{
  GSocket *socket;
  GPtrArray *messages; /* gchar* */
} Notifications;

static Notifications *
notifications_new (void)
{
  Notifications *n = g_new0 (Notifications, 1);
  g_autofree gchar *path = rt_gateway_process_path (f.gp, "notify");
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (path);
  GError *error = NULL;

  n->socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  g_socket_bind (n->socket, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (n->socket, FALSE);
  n->messages = g_ptr_array_new_with_free_func (g_free);
  rt_gateway_process_setenv (f.gp, "NOTIFY_SOCKET", path);
  return n;
}

static void
notifications_free (Notifications *n)
{
  g_object_unref (n->socket);
  g_ptr_array_unref (n->messages);
  g_free (n);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Notifications, notifications_free)

/* Whether a message equal to @text (or starting with it, when it ends in
 * '*') arrived. */
static gboolean
notified (Notifications *n, const gchar *text)
{
  gchar buf[1024];
  gssize len;
  gsize match_len = strlen (text);
  gboolean prefix = match_len > 0 && text[match_len - 1] == '*';
  guint i;

  while (
      (len = g_socket_receive (n->socket, buf, sizeof buf - 1, NULL, NULL)) > 0)
    g_ptr_array_add (n->messages, g_strndup (buf, len));
  for (i = 0; i < n->messages->len; i++) {
    const gchar *m = g_ptr_array_index (n->messages, i);
    if (prefix ? strncmp (m, text, match_len - 1) == 0 : strcmp (m, text) == 0)
      return TRUE;
  }
  return FALSE;
}

GST_START_TEST (test_systemd_notifications)
{
  g_autoptr (Notifications) n = NULL;

  if (g_strcmp0 (g_getenv ("RT_GATEWAY_SYSTEMD"), "1") != 0) {
    g_printerr ("built without libsystemd: nothing is sent, nothing to "
                "check\n");
    return;
  }
  n = notifications_new ();
  run_daemon ();
  fail_unless (RT_WAIT_UNTIL (notified (n, "READY=1"), 5000));
  fail_unless (
      RT_WAIT_UNTIL (notified (n,
                         "STATUS=connected, channel joined, 0 of 4 pipelines "
                         "playing"),
          5000));
  request ("start", "{\"pipeline\":\"fast\",\"request_id\":\"n1\"}");
  wait_reply ("fast", "playing", "n1", 5000);
  fail_unless (
      RT_WAIT_UNTIL (notified (n,
                         "STATUS=connected, channel joined, 1 of 4 pipelines "
                         "playing"),
          5000));
  rt_gateway_process_signal (f.gp, SIGHUP);
  fail_unless (RT_WAIT_UNTIL (notified (n, "RELOADING=1"), 5000));
  rt_gateway_process_signal (f.gp, SIGTERM);
  fail_unless (RT_WAIT_UNTIL (notified (n, "STOPPING=1"), 5000));
  fail_unless (RT_WAIT_UNTIL (notified (n, "STATUS=stopping; *"), 5000));
  fail_unless (rt_gateway_process_wait_exit (f.gp, 10000));
  fail_unless_equals_int (rt_gateway_process_get_exit_status (f.gp), 0);
}

GST_END_TEST;

/* `run` keeps transparent huge pages off (gateway/daemon/main.c): libx264
 * asks for them on its large buffers, and a huge page is resident whole
 * however little of it is written (6.4 MiB of a warm 720p encoder). */
GST_START_TEST (test_run_without_transparent_huge_pages)
{
  g_autofree gchar *path = NULL;
  g_autofree gchar *status = NULL;

  run_daemon ();
  path = g_strdup_printf ("/proc/%s/status",
      g_subprocess_get_identifier (rt_gateway_process_get_subprocess (f.gp)));
  fail_unless (g_file_get_contents (path, &status, NULL, NULL));
  if (strstr (status, "\nTHP_enabled:") == NULL) {
    g_printerr ("no THP_enabled in /proc/PID/status (Linux < 5.0): "
                "nothing to check\n");
    return;
  }
  fail_unless (strstr (status, "\nTHP_enabled:\t0\n") != NULL, "%s", status);
}

GST_END_TEST;

GST_START_TEST (test_token_file_rotation_reaches_server)
{
  write_config ("access-token-file=token\n", NULL);
  rt_gateway_process_run (f.gp);
  fail_unless (RT_WAIT_UNTIL (daemon_joined (), 15000));
  fail_unless_equals_string (rt_server_get_last_access_token (f.server, TOPIC),
      RT_TEST_TOKEN);
  /* Replaced atomically, as a token refresher would. */
  rt_gateway_process_write_file (f.gp, "token.new", RT_TEST_TOKEN2 "\n");
  {
    g_autofree gchar *tmp = rt_gateway_process_path (f.gp, "token.new");
    g_autofree gchar *token = rt_gateway_process_path (f.gp, "token");
    g_rename (tmp, token);
  }
  fail_unless (
      RT_WAIT_UNTIL (g_strcmp0 (rt_server_get_last_access_token (f.server,
                                    TOPIC),
                         RT_TEST_TOKEN2)
              == 0,
          5000));
  fail_unless (rt_server_count_frames (f.server, TOPIC, "access_token") >= 1);
}

GST_END_TEST;

static gchar *
http_get (const gchar *path, guint *status)
{
  return rt_gateway_process_http_get (f.gp, path, status);
}

static gdouble
metric (const gchar *name)
{
  return rt_gateway_process_metric (f.gp, name);
}

GST_START_TEST (test_healthz_and_metrics)
{
  g_autofree gchar *body = NULL;
  guint status = 0;

  run_daemon ();
  /* The server has the daemon as a member a moment before the daemon has
   * read the join reply. */
  fail_unless (RT_WAIT_UNTIL (({
    g_clear_pointer (&body, g_free);
    body = http_get ("/healthz", &status);
    status == 200;
  }),
                   5000),
      "healthz said %u", status);
  fail_unless (strstr (body, "\"channel\":\"joined\"") != NULL, "%s", body);
  g_clear_pointer (&body, g_free);
  body = http_get ("/metrics", &status);
  fail_unless_equals_int (status, 200);
  fail_unless_equals_int (metric ("gateway_pipeline_state{pipeline=\"fast\","
                                  "state=\"playing\"}"),
      0);
  fail_unless (metric ("realtime_joins_total") >= 1);
  g_clear_pointer (&body, g_free);

  request ("start", "{\"pipeline\":\"fast\",\"request_id\":\"m1\"}");
  wait_reply ("fast", "playing", "m1", 5000);
  fail_unless_equals_int (metric ("gateway_pipeline_state{pipeline=\"fast\","
                                  "state=\"playing\"}"),
      1);
  fail_unless_equals_int (metric ("gateway_pipeline_starts_total{pipeline="
                                  "\"fast\"}"),
      1);
  fail_unless (
      metric ("gateway_pipeline_first_buffer_seconds{pipeline=\"fast\"}") > 0);
  fail_unless (metric ("gateway_requests_total") >= 1);

  /* Unreachable server: not joined, so not healthy. */
  rt_server_refuse_upgrades (f.server, 503, 1000);
  rt_server_drop_all (f.server);
  fail_unless (RT_WAIT_UNTIL (({
    g_clear_pointer (&body, g_free);
    body = http_get ("/healthz", &status);
    status == 503;
  }),
                   5000),
      "healthz stayed %u", status);
  rt_server_refuse_upgrades (f.server, 0, 0);
  fail_unless (RT_WAIT_UNTIL (({
    g_clear_pointer (&body, g_free);
    body = http_get ("/healthz", &status);
    status == 200;
  }),
      5000));
  fail_unless (metric ("realtime_reconnects_total") >= 1);
}

GST_END_TEST;

/* check-config: one clear line per problem, non-zero exit. */
static gint
check_config (const gchar *config_text, gchar **output)
{
  rt_gateway_process_write_file (f.gp, "gateway.conf", config_text);
  return rt_gateway_process_check_config (f.gp, NULL, output) == 0 ? 0 : 1;
}

GST_START_TEST (test_check_config_catches_errors)
{
  g_autofree gchar *good = NULL;
  gchar *err = NULL;
  static const struct
  {
    const gchar *config;
    const gchar *expect;
  } bad[] = {
    { "[realtime]\nchannel=x\napi-key-file=apikey\n"
      "[gateway]\npipelines-dirs=pipelines\n",
        "[realtime] url: missing" },
    { "[realtime]\nurl=ftp://x\nchannel=x\napi-key-file=apikey\n"
      "[gateway]\npipelines-dirs=pipelines\n",
        "[realtime] url:" },
    { "[realtime]\nurl=http://127.0.0.1:1\nchannel=x\n"
      "api-key-file=missing-key\n[gateway]\npipelines-dirs=pipelines\n",
        "api-key-file" },
    { "[realtime]\nurl=http://127.0.0.1:1\nchannel=x\napi-key-file=apikey\n"
      "vsn=3.0\n[gateway]\npipelines-dirs=pipelines\n",
        "[realtime] vsn" },
    { "[realtime]\nurl=http://127.0.0.1:1\nchannel=x\napi-key-file=apikey\n"
      "heartbeat-interval=soon\n[gateway]\npipelines-dirs=pipelines\n",
        "heartbeat-interval" },
    { "[realtime]\nurl=http://127.0.0.1:1\nchannel=x\napi-key-file=apikey\n"
      "hartbeat=1\n[gateway]\npipelines-dirs=pipelines\n",
        "hartbeat: unknown key" },
    { "[realtime]\nurl=http://127.0.0.1:1\nchannel=x\napi-key-file=apikey\n"
      "[gateway]\npipelines-dirs=pipelines\nmetrics-address=nowhere\n",
        "metrics-address" },
    { "[realtime]\nurl=http://127.0.0.1:1\nchannel=x\napi-key-file=apikey\n"
      "[gateway]\npipelines-dirs=pipelines\n[events]\nstart=stop\n",
        "[events]" },
    { "[realtime]\nurl=http://127.0.0.1:1\nchannel=x\napi-key-file=apikey\n"
      "[gateway]\npipelines-dirs=pipelines\n",
        "broken.pipeline" },
  };
  guint i;

  good = g_strdup_printf (
      "[realtime]\nurl=http://127.0.0.1:1\nchannel=x\n"
      "api-key-file=apikey\n[gateway]\npipelines-dirs=pipelines\n"
      "recordings-dir=recordings\n");
  fail_unless_equals_int (check_config (good, &err), 0);
  g_free (err);

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    if (g_str_equal (bad[i].expect, "broken.pipeline"))
      write_pipeline ("broken",
          "[pipeline]\n"
          "description=videotestsrc ! nosuchelement ! fakesink\n");
    fail_unless_equals_int (check_config (bad[i].config, &err), 1);
    fail_unless (strstr (err, bad[i].expect) != NULL,
        "case %u: expected \"%s\" in:\n%s", i, bad[i].expect, err);
    g_free (err);
  }
  /* run refuses to start on the same errors. */
  rt_gateway_process_run (f.gp);
  fail_unless (rt_gateway_process_wait_exit (f.gp, 10000));
  fail_unless (rt_gateway_process_get_exit_status (f.gp) > 0);
  fail_unless (rt_gateway_process_count_log (f.gp, "not starting") >= 1);
}

GST_END_TEST;

/* Joined on a connection accepted after @accepted, the old one closed
 * (while it closes the server still counts its member). */
static gboolean
rejoined_after (guint accepted)
{
  return rt_server_get_n_accepted (f.server) > accepted
      && rt_server_get_n_connections (f.server) == 1
      && rt_server_count_members (f.server, TOPIC) == 1;
}

GST_START_TEST (test_usr1_reconnects_and_rejoins)
{
  guint accepted;

  run_daemon ();
  accepted = rt_server_get_n_accepted (f.server);
  rt_gateway_process_signal (f.gp, SIGUSR1);
  fail_unless (RT_WAIT_UNTIL (rejoined_after (accepted), 5000));
  /* And it still answers on the new connection. */
  request ("status", "{\"pipeline\":\"fast\",\"request_id\":\"u1\"}");
  wait_reply ("fast", "stopped", "u1", 5000);
}

GST_END_TEST;

/* The meta of the n-th presence track the daemon sent, or NULL. */
static JsonObject *
presence_track (guint n, gint64 *time_us)
{
  GPtrArray *frames = rt_server_get_frames (f.server);
  guint i, seen = 0;

  for (i = 0; i < frames->len; i++) {
    RtServerFrame *fr = g_ptr_array_index (frames, i);
    JsonObject *o;
    if (g_strcmp0 (fr->event, "presence") != 0
        || g_strcmp0 (fr->topic, TOPIC) != 0)
      continue;
    o = json_node_get_object (fr->payload);
    if (g_strcmp0 (json_object_get_string_member_with_default (o, "event", ""),
            "track")
        != 0)
      continue;
    if (seen++ == n) {
      if (time_us)
        *time_us = fr->time_us;
      return json_object_get_object_member (o, "payload");
    }
  }
  return NULL;
}

GST_START_TEST (test_presence_tracks_pipeline_states)
{
  JsonObject *meta;
  gint64 t1, t2;

  write_config (NULL, "presence=true\n");
  rt_gateway_process_run (f.gp);
  fail_unless (RT_WAIT_UNTIL (presence_track (0, &t1) != NULL, 15000));
  meta = presence_track (0, NULL);
  fail_unless_equals_string (json_object_get_string_member (meta, "id"),
      "test-robot");
  fail_unless_equals_string (json_object_get_string_member (json_object_get_object_member (meta,
                                                                "pipelines"),
                                 "fast"),
      "stopped");

  request ("start", "{\"pipeline\":\"fast\",\"request_id\":\"p1\"}");
  wait_reply ("fast", "playing", "p1", 5000);
  /* Updated, but not faster than 5 calls per 30 s. */
  fail_unless (RT_WAIT_UNTIL (presence_track (1, &t2) != NULL, 10000));
  fail_unless ((t2 - t1) / 1000 >= 6000,
      "tracked again after %" G_GINT64_FORMAT " ms", (t2 - t1) / 1000);
  meta = presence_track (1, NULL);
  fail_unless_equals_string (json_object_get_string_member (json_object_get_object_member (meta,
                                                                "pipelines"),
                                 "fast"),
      "playing");
}

GST_END_TEST;

/* Waits for the log line that ends a reload (either way) after @before
 * such lines. */
static void
wait_reload (const gchar *outcome, guint before)
{
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      RT_WAIT_UNTIL (rt_gateway_process_count_log (f.gp, outcome) > before,
          5000),
      "no \"%s\" after SIGHUP", outcome);
}

static const gchar *capped_pipeline
    = "[pipeline]\n"
      "description=videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! fakesink\n"
      "stop-timeout=2\n"
      "default-ttl=10\nmax-ttl=10\n";

/* HUP: a definition with problems keeps the whole old set (the log says
 * which file and why); a changed definition applies from the next start,
 * not to the run in progress; a removed one keeps running until stopped,
 * then is unknown. */
GST_START_TEST (test_hup_broken_changed_and_removed_definitions)
{
  guint n;
  const RtReply *r;

  write_pipeline ("gone", fast_pipeline);
  run_daemon ();
  request ("start", "{\"pipeline\":\"fast\",\"request_id\":\"a1\",\"ttl\":20}");
  wait_reply ("fast", "playing", "a1", 5000);
  request ("start", "{\"pipeline\":\"gone\",\"request_id\":\"a2\"}");
  wait_reply ("gone", "playing", "a2", 5000);

  /* A broken file next to a good new one and a changed one: refused. */
  write_pipeline ("broken",
      "[pipeline]\ndescription=videotestsrc ! nosuchelement ! fakesink\n");
  write_pipeline ("newone", fast_pipeline);
  write_pipeline ("fast", capped_pipeline);
  n = rt_gateway_process_count_log (f.gp, "reload refused");
  rt_gateway_process_signal (f.gp, SIGHUP);
  wait_reload ("reload refused", n);
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      rt_gateway_process_count_log (f.gp, "broken.pipeline") >= 1
          && rt_gateway_process_count_log (f.gp, "nosuchelement") >= 1,
      "the log does not say which definition is broken, and why");
  request ("status", "{\"pipeline\":\"newone\",\"request_id\":\"a3\"}");
  r = wait_reply ("newone", "failed", "a3", 5000);
  fail_unless (strstr (r->error, "unknown pipeline") != NULL, "%s", r->error);
  request ("status", "{\"pipeline\":\"fast\",\"request_id\":\"a4\"}");
  wait_reply ("fast", "playing", "a4", 5000);

  /* Fixed: the new set is taken, "gone" removed from it. */
  {
    g_autofree gchar *broken
        = rt_gateway_process_path (f.gp, "pipelines/broken.pipeline");
    g_autofree gchar *gone
        = rt_gateway_process_path (f.gp, "pipelines/gone.pipeline");
    fail_unless (g_unlink (broken) == 0 && g_unlink (gone) == 0);
  }
  n = rt_gateway_process_count_log (f.gp, "reloaded");
  rt_gateway_process_signal (f.gp, SIGHUP);
  wait_reload ("reloaded", n);
  request ("status", "{\"pipeline\":\"newone\",\"request_id\":\"a5\"}");
  wait_reply ("newone", "stopped", "a5", 5000);

  /* The changed definition: the run in progress kept the old one ... */
  request ("status", "{\"pipeline\":\"fast\",\"request_id\":\"a6\"}");
  wait_reply ("fast", "playing", "a6", 5000);
  fail_unless_equals_int (find_reply (0, "fast", "stopped", NULL), -1);
  /* ... the next start has the new one (max-ttl=10). */
  request ("stop", "{\"pipeline\":\"fast\",\"request_id\":\"a7\"}");
  wait_reply ("fast", "stopped", "a7", 10000);
  request ("start", "{\"pipeline\":\"fast\",\"request_id\":\"a8\",\"ttl\":20}");
  r = wait_reply ("fast", "failed", "a8", 5000);
  fail_unless (strstr (r->error, "max-ttl") != NULL, "%s", r->error);
  request ("start", "{\"pipeline\":\"fast\",\"request_id\":\"a9\",\"ttl\":5}");
  wait_reply ("fast", "playing", "a9", 5000);

  /* The removed definition: its run goes on, answering status and stop as
   * before, until it is stopped; then it is unknown. */
  request ("status", "{\"pipeline\":\"gone\",\"request_id\":\"a10\"}");
  wait_reply ("gone", "playing", "a10", 5000);
  fail_unless_equals_int (find_reply (0, "gone", "stopped", NULL), -1);
  request ("stop", "{\"pipeline\":\"gone\",\"request_id\":\"a11\"}");
  wait_reply ("gone", "stopped", "a11", 10000);
  request ("start", "{\"pipeline\":\"gone\",\"request_id\":\"a12\"}");
  r = wait_reply ("gone", "failed", "a12", 5000);
  fail_unless (strstr (r->error, "unknown pipeline") != NULL, "%s", r->error);
}

GST_END_TEST;

/* [events]: every event under its configured name, the replies under the
 * configured reply name; the default names are not listened to. */
GST_START_TEST (test_renamed_events)
{
  g_autoptr (RtReplyCollector) renamed
      = rt_reply_collector_new (f.server, TOPIC, "cam_state");
  const RtReply *r;

  write_config (NULL,
      "[events]\nstart=cam_go\nstop=cam_halt\nrenew=cam_extend\n"
      "status=cam_report\nreply=cam_state\n");
  rt_gateway_process_run (f.gp);
  RT_GATEWAY_FAIL_UNLESS (f.gp, RT_WAIT_UNTIL (daemon_joined (), 15000),
      "the daemon never joined");

  /* The default names: nothing happens, nothing is answered. */
  request ("start", "{\"pipeline\":\"fast\",\"request_id\":\"d1\"}");
  request ("status", "{\"request_id\":\"d2\"}");
  request ("stop", "{\"pipeline\":\"fast\",\"request_id\":\"d3\"}");
  request ("renew", "{\"pipeline\":\"fast\",\"request_id\":\"d4\",\"ttl\":5}");

  request ("cam_report", "{\"pipeline\":\"fast\",\"request_id\":\"e1\"}");
  r = rt_reply_collector_wait (renamed, "fast", "stopped", "e1", 5000);
  RT_GATEWAY_FAIL_UNLESS (f.gp, r != NULL, "no answer to the renamed status");
  request ("cam_go", "{\"pipeline\":\"fast\",\"request_id\":\"e2\",\"ttl\":3}");
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      rt_reply_collector_wait (renamed, "fast", "playing", "e2", 5000) != NULL,
      "no answer to the renamed start");
  request ("cam_extend",
      "{\"pipeline\":\"fast\",\"request_id\":\"e3\",\"ttl\":30}");
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      rt_reply_collector_wait (renamed, "fast", "playing", "e3", 5000) != NULL,
      "no answer to the renamed renew");
  /* Renewed: the 3 s lease did not end it. */
  rt_test_run_for (3500);
  fail_unless_equals_int (rt_reply_collector_count (renamed, "fast", "stopped",
                              NULL),
      1);
  request ("cam_halt", "{\"pipeline\":\"fast\",\"request_id\":\"e4\"}");
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      rt_reply_collector_wait (renamed, "fast", "stopped", "e4", 10000) != NULL,
      "no answer to the renamed stop");

  /* Nothing ever under the default reply name, nothing for d1..d4. */
  rt_reply_collector_poll (f.replies);
  fail_unless_equals_int (rt_reply_collector_get_replies (f.replies)->len, 0);
  fail_unless_equals_int (rt_reply_collector_count (renamed, NULL, NULL, "d1")
          + rt_reply_collector_count (renamed, NULL, NULL, "d2")
          + rt_reply_collector_count (renamed, NULL, NULL, "d3")
          + rt_reply_collector_count (renamed, NULL, NULL, "d4"),
      0);
  fail_unless_equals_int (rt_server_count_frames (f.server, TOPIC,
                              "pipeline_state"),
      0);
}

GST_END_TEST;

/* Every series README lists under "Signals, systemd, metrics". */
static const gchar *const readme_series[] = { "realtime_connected",
  "realtime_channel_joined", "realtime_connects_total",
  "realtime_reconnects_total", "realtime_joins_total",
  "realtime_channel_errors_total", "realtime_heartbeats_sent_total",
  "realtime_heartbeats_ok_total", "realtime_heartbeat_timeouts_total",
  "realtime_heartbeat_rtt_seconds", "realtime_frames_received_total",
  "realtime_frames_sent_total", "realtime_frames_dropped_total",
  "gateway_requests_total", "gateway_requests_rejected_total",
  "gateway_outbound_rate_limit", "gateway_outbound_messages_total",
  "gateway_outbound_answers_total", "gateway_outbound_answers_coalesced_total",
  "gateway_outbound_delayed_total", "gateway_outbound_wait_seconds_total",
  "gateway_outbound_pending", "process_resident_memory_bytes",
  "process_open_fds", "process_threads", "gateway_main_loop_sources",
  "gateway_pipeline_state{pipeline=\"fast\",state=\"stopped\"}",
  "gateway_pipeline_starts_total{pipeline=\"fast\"}",
  "gateway_pipeline_failures_total{pipeline=\"fast\"}",
  "gateway_pipeline_restarts_total{pipeline=\"fast\"}",
  "gateway_pipeline_first_buffer_seconds{pipeline=\"fast\"}", NULL };

/* Waits until @name is above @floor; fails with both values otherwise. */
#define WAIT_METRIC_ABOVE(name, floor, timeout_ms)                             \
  G_STMT_START                                                                 \
  {                                                                            \
    gdouble _floor = (floor);                                                  \
    RT_GATEWAY_FAIL_UNLESS (f.gp,                                              \
        RT_WAIT_UNTIL (metric (name) > _floor, timeout_ms),                    \
        "%s stayed at %g (not above %g)", name, metric (name), _floor);        \
  }                                                                            \
  G_STMT_END

/* Every listed series is there, and the connection's counters move when
 * their event happens. */
GST_START_TEST (test_metrics_connection_series_move)
{
  guint i;
  gdouble v;

  run_daemon ();
  WAIT_METRIC_ABOVE ("realtime_channel_joined", 0, 5000);
  for (i = 0; readme_series[i]; i++)
    RT_GATEWAY_FAIL_UNLESS (f.gp, metric (readme_series[i]) >= 0,
        "%s missing from /metrics", readme_series[i]);
  fail_unless_equals_int (metric ("realtime_connected"), 1);
  fail_unless (metric ("process_resident_memory_bytes") > 1e6);
  fail_unless (metric ("process_open_fds") > 3);
  fail_unless (metric ("process_threads") >= 1);
  fail_unless (metric ("gateway_main_loop_sources") >= 1);

  /* Heartbeats sent and answered. */
  v = metric ("realtime_heartbeats_ok_total");
  WAIT_METRIC_ABOVE ("realtime_heartbeats_ok_total", v, 5000);
  fail_unless (metric ("realtime_heartbeats_sent_total")
      >= metric ("realtime_heartbeats_ok_total"));

  /* A request: frames received and sent, requests counted. */
  v = metric ("gateway_requests_total");
  {
    gdouble rx = metric ("realtime_frames_received_total");
    gdouble tx = metric ("realtime_frames_sent_total");
    request ("status", "{\"pipeline\":\"fast\",\"request_id\":\"m1\"}");
    wait_reply ("fast", "stopped", "m1", 5000);
    WAIT_METRIC_ABOVE ("realtime_frames_received_total", rx, 5000);
    WAIT_METRIC_ABOVE ("realtime_frames_sent_total", tx, 5000);
    WAIT_METRIC_ABOVE ("gateway_requests_total", v, 5000);
  }
  v = metric ("gateway_requests_rejected_total");
  request ("start", "{\"pipeline\":\"nope\",\"request_id\":\"m2\"}");
  wait_reply ("nope", "failed", "m2", 5000);
  WAIT_METRIC_ABOVE ("gateway_requests_rejected_total", v, 5000);

  /* The round trip follows the server's reply delay. */
  rt_server_set_reply_delay (f.server, 300);
  WAIT_METRIC_ABOVE ("realtime_heartbeat_rtt_seconds", 0.25, 6000);
  rt_server_set_reply_delay (f.server, 0);
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      RT_WAIT_UNTIL (metric ("realtime_heartbeat_rtt_seconds") < 0.25, 6000),
      "rtt stayed %g", metric ("realtime_heartbeat_rtt_seconds"));

  /* Frames it cannot use are dropped and counted. */
  v = metric ("realtime_frames_dropped_total");
  rt_server_send_garbage (f.server);
  WAIT_METRIC_ABOVE ("realtime_frames_dropped_total", v, 5000);

  /* A channel error, then a rejoin. */
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      RT_WAIT_UNTIL (daemon_joined ()
              && metric ("realtime_channel_joined") == 1,
          10000),
      "not joined after the garbage");
  v = metric ("realtime_channel_errors_total");
  {
    gdouble joins = metric ("realtime_joins_total");
    rt_server_send_phx_error (f.server, TOPIC);
    WAIT_METRIC_ABOVE ("realtime_channel_errors_total", v, 5000);
    WAIT_METRIC_ABOVE ("realtime_joins_total", joins, 10000);
  }

  /* Unanswered heartbeats time out; the connection is replaced. */
  v = metric ("realtime_heartbeat_timeouts_total");
  {
    gdouble connects = metric ("realtime_connects_total");
    gdouble reconnects = metric ("realtime_reconnects_total");
    rt_server_set_answer_heartbeats (f.server, FALSE);
    WAIT_METRIC_ABOVE ("realtime_heartbeat_timeouts_total", v, 8000);
    rt_server_set_answer_heartbeats (f.server, TRUE);
    WAIT_METRIC_ABOVE ("realtime_reconnects_total", reconnects, 8000);
    WAIT_METRIC_ABOVE ("realtime_connects_total", connects, 8000);
  }
  WAIT_METRIC_ABOVE ("realtime_channel_joined", 0, 10000);
}

GST_END_TEST;

/* The per-pipeline series move with their pipeline's runs. */
GST_START_TEST (test_metrics_pipeline_series_move)
{
  run_daemon ();
  fail_unless_equals_int (metric ("gateway_pipeline_failures_total{pipeline="
                                  "\"fail\"}"),
      0);
  fail_unless_equals_int (metric ("gateway_pipeline_restarts_total{pipeline="
                                  "\"fail\"}"),
      0);
  fail_unless_equals_int (metric ("gateway_pipeline_first_buffer_seconds{"
                                  "pipeline=\"fast\"}"),
      0);
  request ("start", "{\"pipeline\":\"fast\",\"request_id\":\"p1\"}");
  wait_reply ("fast", "playing", "p1", 5000);
  fail_unless_equals_int (metric ("gateway_pipeline_starts_total{pipeline="
                                  "\"fast\"}"),
      1);
  fail_unless_equals_int (metric ("gateway_pipeline_state{pipeline=\"fast\","
                                  "state=\"playing\"}"),
      1);
  fail_unless_equals_int (metric ("gateway_pipeline_state{pipeline=\"fast\","
                                  "state=\"stopped\"}"),
      0);
  fail_unless (
      metric ("gateway_pipeline_first_buffer_seconds{pipeline=\"fast\"}") > 0);

  /* max-restarts=2: three failed runs, two restarts. */
  request ("start", "{\"pipeline\":\"fail\",\"request_id\":\"p2\"}");
  /* Counted by the metric: under the outbound budget, failed answers
   * within a second may be coalesced with the restarts' starting. */
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      RT_WAIT_UNTIL (metric ("gateway_pipeline_failures_total{pipeline="
                             "\"fail\"}")
              >= 3,
          10000),
      "the failing pipeline did not fail three times");
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      RT_WAIT_UNTIL (metric ("gateway_pipeline_failures_total{pipeline="
                             "\"fail\"}")
              == 3,
          5000),
      "failures_total %g",
      metric ("gateway_pipeline_failures_total{pipeline="
              "\"fail\"}"));
  fail_unless_equals_int (metric ("gateway_pipeline_restarts_total{pipeline="
                                  "\"fail\"}"),
      2);
  fail_unless_equals_int (metric ("gateway_pipeline_state{pipeline=\"fail\","
                                  "state=\"failed\"}"),
      1);
  fail_unless_equals_int (metric ("gateway_pipeline_starts_total{pipeline="
                                  "\"fail\"}"),
      0);
}

GST_END_TEST;

/* The connection the @n-th presence track came on, or 0. */
static guint
presence_track_conn (guint n)
{
  GPtrArray *frames = rt_server_get_frames (f.server);
  guint i, seen = 0;

  for (i = 0; i < frames->len; i++) {
    RtServerFrame *fr = g_ptr_array_index (frames, i);
    if (g_strcmp0 (fr->event, "presence") != 0
        || g_strcmp0 (fr->topic, TOPIC) != 0
        || g_strcmp0 (json_object_get_string_member_with_default (json_node_get_object (
                                                                      fr->payload),
                          "event", ""),
               "track")
            != 0)
      continue;
    if (seen++ == n)
      return fr->conn_id;
  }
  return 0;
}

/* A new connection starts with an empty presence: after a reconnect (asked
 * by USR1, or forced by the server dropping the socket) the gateway tracks
 * itself again, on the new connection. */
GST_START_TEST (test_presence_tracked_again_after_reconnect)
{
  guint accepted;

  write_config (NULL, "presence=true\n");
  rt_gateway_process_run (f.gp);
  RT_GATEWAY_FAIL_UNLESS (f.gp, RT_WAIT_UNTIL (presence_track_conn (0), 15000),
      "never tracked");

  accepted = rt_server_get_n_accepted (f.server);
  rt_gateway_process_signal (f.gp, SIGUSR1);
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      RT_WAIT_UNTIL (presence_track_conn (1) > accepted, 10000),
      "not tracked again after USR1 (track 2 on conn %u, accepted before %u)",
      presence_track_conn (1), accepted);

  accepted = rt_server_get_n_accepted (f.server);
  rt_server_drop_all (f.server);
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      RT_WAIT_UNTIL (presence_track_conn (2) > accepted, 10000),
      "not tracked again after a dropped socket (track 3 on conn %u, "
      "accepted before %u)",
      presence_track_conn (2), accepted);
  fail_unless (rejoined_after (accepted));
}

GST_END_TEST;

/* The restart delays the daemon logged for @pipeline, in order. */
static GArray *
logged_restart_delays (const gchar *pipeline)
{
  g_autofree gchar *log = rt_gateway_process_read_log (f.gp);
  g_autofree gchar *needle = g_strdup_printf ("%s: restarting in ", pipeline);
  GArray *delays = g_array_new (FALSE, FALSE, sizeof (guint));
  const gchar *p = log;

  while ((p = strstr (p, needle))) {
    guint ms, k;
    p += strlen (needle);
    if (sscanf (p, "%u ms (restart %u", &ms, &k) == 2) {
      fail_unless_equals_int (k, delays->len + 1);
      g_array_append_val (delays, ms);
    }
  }
  return delays;
}

/* Times (us) at which the server got the replies of @pipeline in @state. */
static GArray *
reply_times (const gchar *pipeline, const gchar *state)
{
  GPtrArray *all = rt_reply_collector_get_replies (f.replies);
  GArray *times = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint i;

  for (i = 0; i < all->len; i++) {
    RtReply *r = g_ptr_array_index (all, i);
    if (g_strcmp0 (r->pipeline, pipeline) == 0
        && g_strcmp0 (r->state, state) == 0)
      g_array_append_val (times, r->time_us);
  }
  return times;
}

/* restart=on-failure at the daemon, end to end: six pipelines whose source
 * fails at once, started together. The delays each waited are drawn from a
 * ceiling that doubles from restart-backoff-min (100 ms) up to
 * restart-backoff-max, never below the minimum, differ between pipelines
 * (jitter, so a fixed or plain doubling schedule fails here), are really
 * waited, and stop after max-restarts. */
GST_START_TEST (test_restart_delays_grow_jittered_and_stop)
{
  enum
  {
    N = 6,
    MAX_RESTARTS = 5,
    MIN_MS = 100,
    MAX_MS = 1600
  };
  guint i, k, n_distinct = 0, above_second_ceiling = 0, below_ceiling = 0;
  guint first_k3 = 0;
  gboolean have_first = FALSE;

  for (i = 0; i < N; i++) {
    g_autofree gchar *name = g_strdup_printf ("rf%u", i);
    g_autofree gchar *def
        = g_strdup_printf ("[pipeline]\n"
                           "description=filesrc "
                           "location=/nonexistent/rt-restart-%u ! fakesink\n"
                           "restart=on-failure\nrestart-backoff-min=%g\n"
                           "restart-backoff-max=%g\nmax-restarts=%u\n",
            i, MIN_MS / 1000.0, MAX_MS / 1000.0, MAX_RESTARTS);
    write_pipeline (name, def);
  }
  /* The times of every transition's answer are measured: an outbound
   * budget that these 72 answers never reach, so none is coalesced. */
  write_config (NULL, "send-rate=1000\nsend-burst=1000\n");
  rt_gateway_process_run (f.gp);
  RT_GATEWAY_FAIL_UNLESS (f.gp, RT_WAIT_UNTIL (daemon_joined (), 15000),
      "the daemon never joined the channel");
  for (i = 0; i < N; i++) {
    g_autofree gchar *json
        = g_strdup_printf ("{\"pipeline\":\"rf%u\",\"request_id\":\"x%u\"}", i,
            i);
    request ("start", json);
  }
  for (i = 0; i < N; i++) {
    g_autofree gchar *name = g_strdup_printf ("rf%u", i);
    RT_GATEWAY_FAIL_UNLESS (f.gp,
        RT_WAIT_UNTIL (rt_reply_collector_count (f.replies, name, "failed",
                           NULL)
                == MAX_RESTARTS + 1,
            20000),
        "%s failed %u times", name,
        rt_reply_collector_count (f.replies, name, "failed", NULL));
  }
  /* Given up: no restart after the last failure, even past the longest
   * delay another restart could have had. */
  rt_test_run_for (MAX_MS + 400);
  for (i = 0; i < N; i++) {
    g_autofree gchar *name = g_strdup_printf ("rf%u", i);
    g_autofree gchar *restarts
        = g_strdup_printf ("gateway_pipeline_restarts_total{pipeline=\"%s\"}",
            name);
    g_autoptr (GArray) delays = logged_restart_delays (name);
    g_autoptr (GArray) failed = reply_times (name, "failed");
    g_autoptr (GArray) starting = reply_times (name, "starting");

    fail_unless_equals_int (failed->len, MAX_RESTARTS + 1);
    fail_unless_equals_int (starting->len, MAX_RESTARTS + 1);
    RT_GATEWAY_FAIL_UNLESS (f.gp, delays->len == MAX_RESTARTS,
        "%s: %u restart delays logged", name, delays->len);
    fail_unless_equals_int (metric (restarts), MAX_RESTARTS);
    for (k = 0; k < MAX_RESTARTS; k++) {
      guint d = g_array_index (delays, guint, k);
      guint ceiling = MIN ((guint)MAX_MS, (guint)MIN_MS << k);
      /* Waited from the failure to the restart's "starting". */
      gint64 waited_ms = (g_array_index (starting, gint64, k + 1)
                             - g_array_index (failed, gint64, k))
          / 1000;

      fail_unless (d >= MIN_MS && d <= ceiling,
          "%s restart %u: %u ms outside [%u, %u]", name, k + 1, d, MIN_MS,
          ceiling);
      fail_unless (waited_ms >= (gint64)d - 30,
          "%s restart %u: logged %u ms, came after %" G_GINT64_FORMAT " ms",
          name, k + 1, d, waited_ms);
      if (k >= 2) {
        if (d > 2 * MIN_MS)
          above_second_ceiling++;
        if (d < ceiling)
          below_ceiling++;
        if (!have_first) {
          first_k3 = d;
          have_first = TRUE;
        } else if (d != first_k3) {
          n_distinct++;
        }
      }
    }
  }
  /* The ceiling grew: some later delay is beyond what the second restart
   * could draw (all six pipelines within 2 x min by chance: < 1e-10). */
  fail_unless (above_second_ceiling > 0,
      "no delay from the third restart on exceeded %u ms", 2 * MIN_MS);
  /* Jittered: not the ceiling itself every time, not one value for all. */
  fail_unless (below_ceiling > 0, "every delay was its ceiling");
  fail_unless (n_distinct > 0, "every pipeline waited %u ms", first_k3);
  fail_unless (rt_gateway_process_count_log (f.gp,
                   "giving up after 5 "
                   "restarts")
      == N);
}

GST_END_TEST;

/* The messages the daemon sent on the channel (broadcasts and presence),
 * as the times the server received them. */
static GArray *
outbound_times (guint *n_presence)
{
  GPtrArray *frames = rt_server_get_frames (f.server);
  GArray *times = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint i;

  *n_presence = 0;
  for (i = 0; i < frames->len; i++) {
    RtServerFrame *fr = g_ptr_array_index (frames, i);
    gboolean presence = g_strcmp0 (fr->event, "presence") == 0;

    if (g_strcmp0 (fr->topic, TOPIC) != 0
        || (!presence && g_strcmp0 (fr->event, "broadcast") != 0))
      continue;
    g_array_append_val (times, fr->time_us);
    *n_presence += presence;
  }
  return times;
}

/* When the daemon sent each message on the channel, by its own clock:
 * the answer queue logs one line per message as it leaves ("outbound:
 * message N sent"), stamped HH:MM:SS.mmm by GLib's log writer. As
 * microseconds since midnight (a flood does not straddle it). */
static GArray *
daemon_send_times (void)
{
  g_autofree gchar *log = rt_gateway_process_read_log (f.gp);
  g_auto (GStrv) lines = g_strsplit (log ? log : "", "\n", -1);
  GArray *times = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint i;

  for (i = 0; lines[i]; i++) {
    const gchar *stamp = strstr (lines[i], "-DEBUG: ");
    guint h, m, s, ms;
    gint64 t;

    if (!stamp || !strstr (lines[i], ": outbound: message ")
        || sscanf (stamp + 8, "%u:%u:%u.%u", &h, &m, &s, &ms) != 4)
      continue;
    t = (((gint64)h * 60 + m) * 60 + s) * G_USEC_PER_SEC + ms * 1000;
    g_array_append_val (times, t);
  }
  return times;
}

/* The most of @times (in order) within any one second. */
static guint
max_per_second (GArray *times)
{
  guint i, j = 0, most = 0;

  for (i = 0; i < times->len; i++) {
    gint64 t = g_array_index (times, gint64, i);
    while (g_array_index (times, gint64, j) <= t - G_USEC_PER_SEC)
      j++;
    most = MAX (most, i - j + 1);
  }
  return most;
}

static void
string_free (gpointer s)
{
  g_string_free (s, TRUE);
}

/* request_id -> the states of the replies that answered it, in order
 * ("starting,playing"), across every reply's request_ids. */
static GHashTable *
answers_by_request (void)
{
  GHashTable *by_id
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, string_free);
  GPtrArray *all;
  guint i, k;

  rt_reply_collector_poll (f.replies);
  all = rt_reply_collector_get_replies (f.replies);
  for (i = 0; i < all->len; i++) {
    RtReply *r = g_ptr_array_index (all, i);

    for (k = 0; r->request_ids && r->request_ids[k]; k++) {
      GString *s = g_hash_table_lookup (by_id, r->request_ids[k]);
      if (!s) {
        s = g_string_new (NULL);
        g_hash_table_insert (by_id, g_strdup (r->request_ids[k]), s);
      }
      g_string_append_printf (s, "%s%s", s->len ? "," : "", r->state);
    }
  }
  return by_id;
}

#define FLOOD_N 500
#define FLOOD_PIPELINES 3

/* The last reply on @pipeline's state that is no rejection. */
static const RtReply *
last_state_reply (const gchar *pipeline)
{
  GPtrArray *all = rt_reply_collector_get_replies (f.replies);
  guint i;

  for (i = all->len; i > 0; i--) {
    RtReply *r = g_ptr_array_index (all, i - 1);
    if (g_strcmp0 (r->pipeline, pipeline) == 0
        && g_strcmp0 (r->state, "failed") != 0)
      return r;
  }
  return NULL;
}

/* Every request answered, and each pipeline's last answer the state its
 * last request asked for, carrying that request. */
static gboolean
flood_settled (const gchar *const *expected, const guint *last_id)
{
  g_autoptr (GHashTable) answers = answers_by_request ();
  guint i, p;

  for (i = 0; i < FLOOD_N; i++) {
    g_autofree gchar *id = g_strdup_printf ("f%u", i);
    if (!g_hash_table_contains (answers, id))
      return FALSE;
  }
  for (p = 0; p < FLOOD_PIPELINES; p++) {
    g_autofree gchar *name = g_strdup_printf ("fl%u", p);
    g_autofree gchar *id = g_strdup_printf ("f%u", last_id[p]);
    const RtReply *r = last_state_reply (name);

    if (!r || g_strcmp0 (r->state, expected[p]) != 0 || !r->request_ids
        || !g_strv_contains ((const gchar *const *)r->request_ids, id))
      return FALSE;
  }
  return TRUE;
}

/* The outbound budget (the default: 10 messages per second, burst 3,
 * presence included), end to end: 500 requests in one second, start and
 * stop alternating on three pipelines, one in fifty refused. The daemon
 * never sends more than 10 messages in any second (the times it logs as
 * each message leaves, stamped to the millisecond), and what the server
 * receives agrees: its frames from the daemon, over their whole span, are
 * within the budget (the server's reading times jitter with the load of
 * the machine, so a one-second window there would be dishonest: a second
 * of delay is allowed for). Every request is answered, once (a start or stop
 * answered starting or stopping is answered again with its outcome, as
 * without a budget), some answers are coalesced (one message carrying
 * several request_ids), each pipeline ends in the state its last request
 * asked for, and it all shows in /metrics. Every wait is on a condition
 * with a bound; nothing depends on how fast the machine is. */
GST_START_TEST (test_flood_answered_within_the_budget)
{
  static const gchar *const flood_pipeline
      = "[pipeline]\n"
        "description=videotestsrc is-live=true ! "
        "video/x-raw,width=64,height=48,framerate=30/1 ! fakesink\n"
        "stop-timeout=2\n";
  const gchar *expected[FLOOD_PIPELINES] = { NULL, NULL, NULL };
  guint last_id[FLOOD_PIPELINES] = { 0, 0, 0 };
  guint n_valid[FLOOD_PIPELINES] = { 0, 0, 0 };
  g_autoptr (GHashTable) answers = NULL;
  g_autoptr (GArray) times = NULL;
  g_autoptr (GArray) sent = NULL;
  GPtrArray *all;
  guint i, p, n_presence, most, most_sent, n_coalesced = 0, n_ids = 0;
  gdouble span;
  gint64 t0;

  for (p = 0; p < FLOOD_PIPELINES; p++) {
    g_autofree gchar *name = g_strdup_printf ("fl%u", p);
    write_pipeline (name, flood_pipeline);
  }
  write_config (NULL, "presence=true\n");
  rt_gateway_process_run (f.gp);
  RT_GATEWAY_FAIL_UNLESS (f.gp, RT_WAIT_UNTIL (daemon_joined (), 15000),
      "the daemon never joined the channel");

  t0 = g_get_monotonic_time ();
  for (i = 0; i < FLOOD_N; i++) {
    g_autofree gchar *json = NULL;
    gboolean bad = i % 50 == 25;
    gboolean start = n_valid[i % FLOOD_PIPELINES] % 2 == 0;

    p = i % FLOOD_PIPELINES;
    json = g_strdup_printf ("{\"pipeline\":\"fl%u\",\"request_id\":\"f%u\"%s}",
        p, i, bad ? ",\"params\":{\"nope\":1}" : "");
    request (bad || start ? "start" : "stop", json);
    if (!bad) {
      n_valid[p]++;
      expected[p] = start ? "playing" : "stopped";
      last_id[p] = i;
    }
    /* 500 in one second, the server reading the daemon meanwhile. */
    while (g_get_monotonic_time () < t0 + (gint64)(i + 1) * 2000)
      rt_test_iterate (1);
  }
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      RT_WAIT_UNTIL (flood_settled (expected, last_id), 60000),
      "the flood did not settle: %s",
      rt_replies_describe (rt_reply_collector_get_replies (f.replies), 0, 60));
  /* Nothing more to come (an older state, say). */
  rt_test_run_for (1500);
  fail_unless (flood_settled (expected, last_id));

  times = outbound_times (&n_presence);
  most = max_per_second (times);
  sent = daemon_send_times ();
  most_sent = max_per_second (sent);
  span = times->len ? (g_array_index (times, gint64, times->len - 1)
                          - g_array_index (times, gint64, 0))
          / 1e6
                    : 0;
  all = rt_reply_collector_get_replies (f.replies);
  for (i = 0; i < all->len; i++) {
    RtReply *r = g_ptr_array_index (all, i);
    guint n = r->request_ids ? g_strv_length (r->request_ids) : 0;

    n_ids += n;
    n_coalesced += n > 1;
  }
  g_message ("flood: %u messages (%u presence) for %u requests over %.2f s; "
             "at most %u in one second as sent, %u as received; %u messages "
             "carried %u request_ids, %u of them several",
      times->len, n_presence, FLOOD_N, span, most_sent, most, all->len, n_ids,
      n_coalesced);
  /* The daemon's own account is complete: a line for every message the
   * server received (more lines only if a frame was lost on the way). */
  RT_GATEWAY_FAIL_UNLESS (f.gp, sent->len >= times->len && sent->len > 0,
      "the daemon logged %u messages sent, the server received %u", sent->len,
      times->len);
  RT_GATEWAY_FAIL_UNLESS (f.gp, most_sent <= 10,
      "%u messages sent within one second, the budget is 10", most_sent);
  /* As received, over the whole span: rate x span plus the burst, with a
   * second of the server's own reading delays allowed for (without a
   * budget, 500 requests answer with 500 messages and more in a second). */
  RT_GATEWAY_FAIL_UNLESS (f.gp, times->len <= 10 * (span + 1) + 3,
      "%u messages received over %.2f s, the budget is 10 a second", times->len,
      span);
  fail_unless (n_presence >= 1, "presence never tracked");
  /* Coalesced: fewer messages than answers, some carrying several. */
  RT_GATEWAY_FAIL_UNLESS (f.gp, n_coalesced > 0 && n_ids > all->len,
      "no answer coalesced: %u messages carried %u request_ids", all->len,
      n_ids);

  answers = answers_by_request ();
  for (i = 0; i < FLOOD_N; i++) {
    g_autofree gchar *id = g_strdup_printf ("f%u", i);
    GString *s = g_hash_table_lookup (answers, id);
    const gchar *states = s->str;

    if (i % 50 == 25) {
      fail_unless_equals_string (states, "failed");
      continue;
    }
    /* Once; again only when the request was still being served (its
     * answer was starting or stopping) and its outcome came, which may
     * have been coalesced with a later request's state. */
    fail_unless (!strchr (states, ',')
            || ((g_str_has_prefix (states, "starting,")
                    || g_str_has_prefix (states, "stopping,"))
                && !strchr (strchr (states, ',') + 1, ',')),
        "request %s answered %s", id, states);
  }
  for (p = 0; p < FLOOD_PIPELINES; p++) {
    g_autofree gchar *series
        = g_strdup_printf ("gateway_pipeline_state{pipeline=\"fl%u\",state=\"%"
                           "s\"}",
            p, expected[p]);
    fail_unless_equals_int (metric (series), 1);
  }
  fail_unless (metric ("gateway_outbound_answers_coalesced_total") > 0);
  fail_unless (metric ("gateway_outbound_delayed_total") > 0);
  fail_unless (metric ("gateway_outbound_wait_seconds_total") > 0);
  fail_unless_equals_int (metric ("gateway_outbound_rate_limit"), 10);
  fail_unless_equals_int (metric ("gateway_outbound_pending"), 0);
  fail_unless (metric ("gateway_outbound_messages_total") >= times->len);
}

GST_END_TEST;

/* [realtime] private=true: the join carries the access token, which the
 * server must have authorised for the topic; without it the server's
 * refusal is logged with its reason, and the join is retried. */
GST_START_TEST (test_private_channel_join)
{
  write_config ("private=true\naccess-token-file=token\n", NULL);
  rt_gateway_process_run (f.gp);
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      rt_gateway_process_wait_log (f.gp,
          "Unauthorized: You do not have permissions to read from this "
          "Channel topic: " CHANNEL,
          15000),
      "the refusal's reason is not in the log");
  fail_unless_equals_int (rt_server_count_members (f.server, TOPIC), 0);
  {
    guint status = 0;
    g_autofree gchar *body = http_get ("/healthz", &status);
    fail_unless_equals_int (status, 503);
  }

  /* Authorised: the next attempt joins, and requests are answered. */
  rt_server_authorise_token (f.server, TOPIC, RT_TEST_TOKEN);
  RT_GATEWAY_FAIL_UNLESS (f.gp, RT_WAIT_UNTIL (daemon_joined (), 15000),
      "never joined once the token was authorised");
  request ("status", "{\"pipeline\":\"fast\",\"request_id\":\"v1\"}");
  wait_reply ("fast", "stopped", "v1", 5000);
}

GST_END_TEST;

/* Without an access-token file the join carries no token: the server
 * checks the API key, which is not authorised here. */
GST_START_TEST (test_private_channel_without_token_refused)
{
  rt_server_authorise_token (f.server, TOPIC, RT_TEST_TOKEN);
  write_config ("private=true\n", NULL);
  rt_gateway_process_run (f.gp);
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      rt_gateway_process_wait_log (f.gp,
          "join rejected: Unauthorized: You do not have permissions to "
          "read from this Channel topic: " CHANNEL,
          15000),
      "the refusal's reason is not in the log");
  rt_test_run_for (1500);
  fail_unless_equals_int (rt_server_count_members (f.server, TOPIC), 0);
  fail_unless (rt_gateway_process_is_running (f.gp));
}

GST_END_TEST;

static Suite *
daemon_suite (void)
{
  Suite *s = suite_create ("daemon");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_start_playing_stop_finalises_mp4);
  tcase_add_test (tc, test_bad_requests_rejected);
  tcase_add_test (tc, test_lease_expires_and_renew_extends);
  tcase_add_test (tc, test_shipped_network_pipeline_lease_by_default);
  tcase_add_test (tc, test_every_shipped_network_pipeline_stops_by_itself);
  tcase_add_test (tc, test_failing_pipeline_restarts_then_gives_up);
  tcase_add_test (tc, test_start_timeout_fails);
  tcase_add_test (tc, test_stop_during_start);
  tcase_add_test (tc, test_storm_ends_in_last_state);
  tcase_add_test (tc, test_hup_reloads_definitions);
  tcase_add_test (tc, test_warm_primed_before_join_and_kept_by_hup);
  tcase_add_test (tc, test_term_finalises_file_and_exits_zero);
  tcase_add_test (tc, test_second_term_exits_at_once);
  tcase_add_test (tc, test_second_int_exits_at_once);
  tcase_add_test (tc, test_systemd_notifications);
  tcase_add_test (tc, test_run_without_transparent_huge_pages);
  tcase_add_test (tc, test_token_file_rotation_reaches_server);
  tcase_add_test (tc, test_healthz_and_metrics);
  tcase_add_test (tc, test_check_config_catches_errors);
  tcase_add_test (tc, test_usr1_reconnects_and_rejoins);
  tcase_add_test (tc, test_presence_tracks_pipeline_states);
  tcase_add_test (tc, test_hup_broken_changed_and_removed_definitions);
  tcase_add_test (tc, test_renamed_events);
  tcase_add_test (tc, test_metrics_connection_series_move);
  tcase_add_test (tc, test_metrics_pipeline_series_move);
  tcase_add_test (tc, test_presence_tracked_again_after_reconnect);
  tcase_add_test (tc, test_restart_delays_grow_jittered_and_stop);
  tcase_add_test (tc, test_flood_answered_within_the_budget);
  tcase_add_test (tc, test_private_channel_join);
  tcase_add_test (tc, test_private_channel_without_token_refused);
  return s;
}

RT_TEST_MAIN (daemon);

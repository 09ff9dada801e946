/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-support.c: the shared test support of tests/support/ does what its
 * headers promise, since the suites' checks rest on it: the fake camera
 * counts opens and closes at READY <-> PAUSED and fails, errs, ends and
 * blocks on demand; the reply collector sees pipeline_state broadcasts
 * (and nothing else) across a clear of the server's frames; the gateway
 * process runs check-config in its directory.
 */
#include "test-util.h"

#include "fake-camera.h"
#include "gateway-process.h"
#include "realtime-channel.h"
#include "realtime-client.h"
#include "reply-collector.h"
#include "rt-server.h"

#include <string.h>

#define CHANNEL "support-test"
#define TOPIC "realtime:" CHANNEL

/* --- the fake camera ---------------------------------------------------- */

static GstElement *
camera_pipeline (const gchar *camera)
{
  g_autofree gchar *text
      = g_strdup_printf ("%s ! fakesink name=sink sync=false", camera);
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (text, &error);

  fail_unless (pipeline != NULL, "%s: %s", text,
      error ? error->message : "no pipeline");
  return pipeline;
}

/* The next error, EOS or nothing within @timeout_ms. */
static GstMessageType
wait_end (GstElement *pipeline, guint timeout_ms)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, timeout_ms * GST_MSECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  GstMessageType type = msg ? GST_MESSAGE_TYPE (msg) : GST_MESSAGE_UNKNOWN;

  if (msg)
    gst_message_unref (msg);
  return type;
}

GST_START_TEST (test_camera_counts_opens_and_closes)
{
  GstElement *pipeline;

  rt_fake_camera_reset ();
  pipeline = camera_pipeline ("rtfakecamera level=7 label=hello");
  fail_unless_equals_int (rt_fake_camera_get_instances (), 1);
  fail_unless_equals_int (rt_fake_camera_get_sets ("level"), 1);
  {
    g_autofree gchar *level = rt_fake_camera_dup_last_value ("level");
    g_autofree gchar *label = rt_fake_camera_dup_last_value ("label");
    g_autofree gchar *never = rt_fake_camera_dup_last_value ("location");

    fail_unless_equals_string (level, "7");
    fail_unless_equals_string (label, "hello");
    fail_unless (never == NULL);
  }
  /* READY: the device is not open yet. */
  gst_element_set_state (pipeline, GST_STATE_READY);
  fail_unless_equals_int (rt_fake_camera_get_opens (), 0);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_ASYNC);
  fail_unless_equals_int (gst_element_get_state (pipeline, NULL, NULL,
                              5 * GST_SECOND),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (rt_fake_camera_get_opens (), 1);
  fail_unless_equals_int (rt_fake_camera_get_open_now (), 1);
  gst_element_set_state (pipeline, GST_STATE_READY);
  fail_unless_equals_int (rt_fake_camera_get_closes (), 1);
  fail_unless_equals_int (rt_fake_camera_get_open_now (), 0);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  fail_unless_equals_int (rt_fake_camera_get_instances (), 0);
  rt_fake_camera_reset ();
  fail_unless_equals_int (rt_fake_camera_get_opens (), 0);
  fail_unless_equals_int (rt_fake_camera_get_sets ("level"), 0);
}

GST_END_TEST;

GST_START_TEST (test_camera_fail_open_is_busy)
{
  GstElement *pipeline = camera_pipeline ("rtfakecamera fail-open=true");
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  GError *error = NULL;

  rt_fake_camera_reset ();
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &error, NULL);
  fail_unless (
      g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_BUSY));
  g_error_free (error);
  gst_message_unref (msg);
  fail_unless_equals_int (rt_fake_camera_get_opens (), 0);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless_equals_int (rt_fake_camera_get_closes (), 0);
  fail_unless_equals_int (rt_fake_camera_get_open_now (), 0);
  gst_object_unref (pipeline);
}

GST_END_TEST;

GST_START_TEST (test_camera_error_after_and_eos_after)
{
  GstElement *pipeline = camera_pipeline ("rtfakecamera error-after=3");

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  fail_unless_equals_int (wait_end (pipeline, 5000), GST_MESSAGE_ERROR);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);

  pipeline = camera_pipeline ("rtfakecamera is-live=false num-buffers=3");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  fail_unless_equals_int (wait_end (pipeline, 5000), GST_MESSAGE_EOS);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static GstPadProbeReturn
count_buffer (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  g_atomic_int_inc ((gint *)data);
  return GST_PAD_PROBE_OK;
}

/* A blocked camera gives nothing, and still stops promptly. */
GST_START_TEST (test_camera_block)
{
  GstElement *pipeline = camera_pipeline ("rtfakecamera block=true name=cam");
  GstElement *cam = gst_bin_get_by_name (GST_BIN (pipeline), "cam");
  GstPad *pad = gst_element_get_static_pad (cam, "src");
  gint n_buffers = 0;
  gint64 t0;

  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &n_buffers,
      NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  fail_unless (RT_WAIT_UNTIL (rt_fake_camera_get_open_now () == 1, 5000));
  rt_test_run_for (300);
  fail_unless_equals_int (g_atomic_int_get (&n_buffers), 0);
  t0 = g_get_monotonic_time ();
  gst_element_set_state (pipeline, GST_STATE_NULL);
  fail_unless (g_get_monotonic_time () - t0 < G_USEC_PER_SEC);
  fail_unless_equals_int (rt_fake_camera_get_open_now (), 0);
  gst_object_unref (pad);
  gst_object_unref (cam);
  gst_object_unref (pipeline);
}

GST_END_TEST;

/* --- the reply collector ------------------------------------------------ */

static void
send (RealtimeChannel *ch, const gchar *event, const gchar *json)
{
  GError *error = NULL;
  JsonNode *payload = json_from_string (json, &error);

  g_assert_no_error (error);
  realtime_channel_send_broadcast (ch, event, payload, NULL, NULL, NULL);
  json_node_unref (payload);
}

GST_START_TEST (test_collector_sees_replies_across_a_clear)
{
  GError *error = NULL;
  g_autoptr (RtServer) server = rt_server_new (0, RT_TEST_API_KEY, &error);
  g_autoptr (RtReplyCollector) c = NULL;
  RealtimeClient *client;
  RealtimeChannel *ch;
  const RtReply *r;

  g_assert_no_error (error);
  c = rt_reply_collector_new (server, TOPIC, NULL);
  client = g_object_new (REALTIME_TYPE_CLIENT, "url",
      rt_server_get_url (server), "api-key", RT_TEST_API_KEY, NULL);
  ch = realtime_client_channel (client, CHANNEL);
  realtime_channel_subscribe (ch);
  realtime_client_connect (client);
  fail_unless (RT_WAIT_UNTIL (realtime_channel_get_state (ch)
          == REALTIME_CHANNEL_STATE_JOINED,
      5000));

  send (ch, "pipeline_state",
      "{\"pipeline\":\"cam\",\"state\":\"starting\",\"request_id\":\"a\","
      "\"request_ids\":[\"a\"],\"error\":null,\"params\":{}}");
  send (ch, "other_event",
      "{\"pipeline\":\"cam\",\"state\":\"playing\",\"request_id\":\"a\"}");
  r = rt_reply_collector_wait (c, "cam", "starting", "a", 5000);
  fail_unless (r != NULL);
  fail_unless_equals_string (r->topic, TOPIC);
  fail_unless (r->error == NULL);
  rt_test_run_for (100);
  fail_unless_equals_int (rt_reply_collector_count (c, NULL, NULL, NULL), 1);

  /* Polled, then the server forgets its frames: what follows is read. */
  rt_server_clear_frames (server);
  send (ch, "pipeline_state",
      "{\"pipeline\":\"cam\",\"state\":\"failed\",\"request_id\":\"b\","
      "\"request_ids\":[\"b\"],\"error\":\"no\",\"params\":{}}");
  r = rt_reply_collector_wait_from (c, 1, NULL, "failed", NULL, 5000);
  fail_unless (r != NULL);
  fail_unless_equals_string (r->error, "no");
  fail_unless_equals_string (r->request_id, "b");
  fail_unless_equals_int (rt_reply_collector_count (c, "cam", NULL, NULL), 2);
  fail_unless_equals_int (rt_reply_collector_find (c, 0, NULL, NULL, "b"), 1);
  fail_unless (rt_reply_collector_wait (c, NULL, "playing", NULL, 200) == NULL);
  {
    g_autofree gchar *text
        = rt_replies_describe (rt_reply_collector_get_replies (c), 0, 5);

    fail_unless (strstr (text, "[failed pipeline=cam request_id=b error=no]"),
        "%s", text);
  }
  rt_reply_collector_clear (c);
  fail_unless_equals_int (rt_reply_collector_get_replies (c)->len, 0);

  realtime_client_disconnect (client);
  g_object_unref (client);
  rt_test_run_for (20);
}

GST_END_TEST;

/* --- the gateway process ------------------------------------------------ */

static const gchar *fast_pipeline
    = "[pipeline]\n"
      "description=videotestsrc is-live=true ! fakesink\n";

GST_START_TEST (test_gateway_process_check_config)
{
  g_autoptr (RtGatewayProcess) gp = rt_gateway_process_new ("support");
  g_autofree gchar *out = NULL;
  g_autofree gchar *key = rt_gateway_process_path (gp, "apikey");
  g_autofree gchar *text = NULL;

  fail_unless (g_file_get_contents (key, &text, NULL, NULL));
  fail_unless_equals_string (text, RT_TEST_API_KEY "\n");
  rt_gateway_process_write_file (gp, "pipelines/fast.pipeline", fast_pipeline);
  rt_gateway_process_write_config (gp, "http://127.0.0.1:9", CHANNEL, NULL,
      "id=support-robot\n");
  fail_unless (rt_gateway_process_check_config (gp, NULL, &out) == 0, "%s",
      out);
  g_clear_pointer (&out, g_free);
  rt_gateway_process_write_config (gp, "http://127.0.0.1:9", CHANNEL,
      "backoff-min=soon\n", NULL);
  fail_if (rt_gateway_process_check_config (gp, NULL, &out) == 0);
  fail_unless (strstr (out, "backoff-min") != NULL, "%s", out);
}

GST_END_TEST;

/* run, a log line, a signal, a bounded stop. */
GST_START_TEST (test_gateway_process_runs_and_stops)
{
  GError *error = NULL;
  g_autoptr (RtServer) server = rt_server_new (0, RT_TEST_API_KEY, &error);
  g_autoptr (RtGatewayProcess) gp = rt_gateway_process_new ("support");

  g_assert_no_error (error);
  rt_gateway_process_write_file (gp, "pipelines/fast.pipeline", fast_pipeline);
  rt_gateway_process_write_config (gp, rt_server_get_url (server), CHANNEL,
      NULL, NULL);
  rt_gateway_process_run (gp);
  RT_GATEWAY_FAIL_UNLESS (gp,
      RT_WAIT_UNTIL (rt_server_count_members (server, TOPIC) == 1
              || !rt_gateway_process_is_running (gp),
          15000)
          && rt_gateway_process_is_running (gp),
      "the daemon never joined");
  fail_unless (rt_gateway_process_is_running (gp));
  RT_GATEWAY_FAIL_UNLESS (gp,
      RT_WAIT_UNTIL (rt_gateway_process_metric (gp, "realtime_channel_joined")
              == 1,
          5000),
      "no metrics");
  fail_unless (rt_gateway_process_stop (gp, 15000));
  fail_unless_equals_int (rt_gateway_process_get_exit_status (gp), 0);
  fail_unless (rt_gateway_process_count_log (gp, RT_TEST_API_KEY) == 0);
}

GST_END_TEST;

static Suite *
support_suite (void)
{
  Suite *s = suite_create ("support");
  TCase *camera = tcase_create ("fake-camera");
  TCase *replies = tcase_create ("reply-collector");
  TCase *process = tcase_create ("gateway-process");

  rt_fake_camera_register ();
  suite_add_tcase (s, camera);
  tcase_add_test (camera, test_camera_counts_opens_and_closes);
  tcase_add_test (camera, test_camera_fail_open_is_busy);
  tcase_add_test (camera, test_camera_error_after_and_eos_after);
  tcase_add_test (camera, test_camera_block);
  suite_add_tcase (s, replies);
  tcase_add_test (replies, test_collector_sees_replies_across_a_clear);
  suite_add_tcase (s, process);
  tcase_add_test (process, test_gateway_process_check_config);
  tcase_add_test (process, test_gateway_process_runs_and_stops);
  return s;
}

RT_TEST_MAIN (support);

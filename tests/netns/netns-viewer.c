/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * netns-viewer.c: a standalone WebRTC viewer for the network-namespace
 * suite (tests/netns/test-netns.sh, scenario "webrtc"). It does what a
 * browser's page does, from another namespace than the robot's: joins
 * the channel on the realtime server (as a client of its own, so the
 * signalling crosses the wire), asks to watch a pipeline, answers the
 * robot's offer with the tests' in-process viewer (support/webrtc-viewer.h:
 * a webrtcbin that decodes and counts frames), trades candidates, and
 * renews its lease.
 *
 * Prints one line per event on stdout, for the script to time-stamp:
 *   joined
 *   state STATE [ERROR]        each session_state of its session
 *   frames N                   decoded frames so far, once a second
 * and ends the session (unwatch) on SIGTERM or SIGINT, or after --seconds.
 *
 * Usage: netns-viewer --url URL --api-key-file FILE --channel NAME
 *          --pipeline NAME [--session ID] [--seconds N]
 */
#include "realtime-channel.h"
#include "realtime-client.h"
#include "webrtc-viewer.h"

#include <glib-unix.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#define LEASE_S 60
#define RENEW_S 20

typedef struct
{
  GMainLoop *loop;
  RealtimeChannel *channel;
  RtWebrtcViewer *viewer;
  const gchar *session;
  const gchar *pipeline;
  gboolean watched;
  gboolean offered;
  gboolean answered;
  guint ticks; /* 50 ms polls */
} Viewer;

static void
send_payload (Viewer *v, const gchar *event, JsonBuilder *b)
{
  g_autoptr (JsonNode) root = json_builder_get_root (b);

  realtime_channel_send_broadcast (v->channel, event, root, NULL, NULL, NULL);
}

/* {"session_id": ..., then the caller's members; closed by the caller. */
static JsonBuilder *
begin_payload (Viewer *v)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "session_id");
  json_builder_add_string_value (b, v->session);
  return b;
}

static void
send_watch (Viewer *v, const gchar *event)
{
  g_autoptr (JsonBuilder) b = begin_payload (v);

  if (g_str_equal (event, "watch")) {
    json_builder_set_member_name (b, "pipeline");
    json_builder_add_string_value (b, v->pipeline);
  }
  json_builder_set_member_name (b, "ttl");
  json_builder_add_int_value (b, LEASE_S);
  json_builder_end_object (b);
  send_payload (v, event, b);
}

static const gchar *
member_string (JsonObject *o, const gchar *name)
{
  JsonNode *n = json_object_get_member (o, name);

  return n && JSON_NODE_HOLDS_VALUE (n)
          && json_node_get_value_type (n) == G_TYPE_STRING
      ? json_node_get_string (n)
      : NULL;
}

static void
on_broadcast (RealtimeChannel *channel, const gchar *event, JsonNode *payload,
    gpointer user_data)
{
  Viewer *v = user_data;
  JsonObject *o;

  if (!JSON_NODE_HOLDS_OBJECT (payload))
    return;
  o = json_node_get_object (payload);
  if (g_strcmp0 (member_string (o, "session_id"), v->session) != 0)
    return;
  if (g_str_equal (event, "offer") && !v->offered && member_string (o, "sdp")) {
    v->offered = TRUE;
    rt_webrtc_viewer_set_offer (v->viewer, member_string (o, "sdp"));
  } else if (g_str_equal (event, "candidates")
      && json_object_has_member (o, "candidates")) {
    JsonArray *array = json_object_get_array_member (o, "candidates");
    guint i;

    for (i = 0; array && i < json_array_get_length (array); i++) {
      JsonObject *c = json_array_get_object_element (array, i);

      if (c && member_string (c, "candidate"))
        rt_webrtc_viewer_add_candidate (v->viewer,
            (guint)json_object_get_int_member (c, "sdpMLineIndex"),
            member_string (c, "candidate"));
    }
  } else if (g_str_equal (event, "session_state")) {
    const gchar *error = member_string (o, "error");

    printf ("state %s%s%s\n", member_string (o, "state"), error ? " " : "",
        error ? error : "");
    fflush (stdout);
  }
}

static void
on_channel_state (RealtimeChannel *channel, RealtimeChannelState state,
    const gchar *reason, gpointer user_data)
{
  Viewer *v = user_data;

  if (state != REALTIME_CHANNEL_STATE_JOINED || v->watched)
    return;
  v->watched = TRUE;
  printf ("joined\n");
  fflush (stdout);
  send_watch (v, "watch");
}

/* Every 50 ms: the answer once made, the local candidates as they come;
 * every second the frame count; a renewal every RENEW_S. */
static gboolean
on_tick (gpointer data)
{
  Viewer *v = data;
  g_autofree gchar *mine = NULL;

  if (v->offered && !v->answered) {
    g_autofree gchar *sdp = rt_webrtc_viewer_dup_answer (v->viewer);

    if (sdp) {
      g_autoptr (JsonBuilder) b = begin_payload (v);

      json_builder_set_member_name (b, "sdp");
      json_builder_add_string_value (b, sdp);
      json_builder_end_object (b);
      send_payload (v, "answer", b);
      v->answered = TRUE;
    }
  }
  if (v->answered && (mine = rt_webrtc_viewer_take_candidates (v->viewer))) {
    g_autoptr (JsonParser) parser = json_parser_new ();
    g_autoptr (JsonBuilder) b = begin_payload (v);

    g_assert_true (json_parser_load_from_data (parser, mine, -1, NULL));
    json_builder_set_member_name (b, "candidates");
    json_builder_add_value (b, json_node_copy (json_parser_get_root (parser)));
    json_builder_end_object (b);
    send_payload (v, "candidates", b);
  }
  v->ticks++;
  if (v->ticks % 20 == 0) {
    printf ("frames %u\n", rt_webrtc_viewer_get_frames (v->viewer));
    fflush (stdout);
  }
  if (v->watched && v->ticks % (RENEW_S * 20) == 0)
    send_watch (v, "watch_renew");
  return G_SOURCE_CONTINUE;
}

static void
on_flushed (GObject *client, GAsyncResult *result, gpointer data)
{
  realtime_client_flush_finish (REALTIME_CLIENT (client), result, NULL);
  g_main_loop_quit (data);
}

static gboolean
on_quit (gpointer data)
{
  g_main_loop_quit (((Viewer *)data)->loop);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  g_autofree gchar *url = NULL, *key_file = NULL, *channel_name = NULL;
  g_autofree gchar *pipeline = NULL, *session = NULL, *key = NULL;
  gint seconds = 0;
  GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &url, "realtime server", "URL" },
    { "api-key-file", 0, 0, G_OPTION_ARG_FILENAME, &key_file, "API key",
        "FILE" },
    { "channel", 0, 0, G_OPTION_ARG_STRING, &channel_name, "channel", "NAME" },
    { "pipeline", 0, 0, G_OPTION_ARG_STRING, &pipeline, "pipeline to watch",
        "NAME" },
    { "session", 0, 0, G_OPTION_ARG_STRING, &session, "session id", "ID" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "stop after (0: never)",
        "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("- WebRTC viewer");
  g_autoptr (GError) error = NULL;
  g_autoptr (RealtimeClient) client = NULL;
  Viewer v = { 0 };

  gst_init (&argc, &argv);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || !url || !key_file
      || !channel_name || !pipeline) {
    g_printerr ("netns-viewer: %s\n",
        error ? error->message
              : "--url, --api-key-file, --channel and --pipeline are needed");
    return 2;
  }
  if (!g_file_get_contents (key_file, &key, NULL, &error)) {
    g_printerr ("netns-viewer: %s\n", error->message);
    return 2;
  }
  g_strstrip (key);

  v.loop = g_main_loop_new (NULL, FALSE);
  v.session = session ? session : "netns-viewer-1";
  v.pipeline = pipeline;
  v.viewer = rt_webrtc_viewer_new (NULL, FALSE);
  client = g_object_new (REALTIME_TYPE_CLIENT, "url", url, "api-key", key,
      "heartbeat-interval", 5000, "heartbeat-timeout", 15000, "backoff-min",
      200, "backoff-max", 2000, NULL);
  v.channel = realtime_client_channel (client, channel_name);
  g_signal_connect (v.channel, "state-changed", G_CALLBACK (on_channel_state),
      &v);
  g_signal_connect (v.channel, "broadcast", G_CALLBACK (on_broadcast), &v);
  realtime_channel_subscribe (v.channel);
  realtime_client_connect (client);

  g_timeout_add (50, on_tick, &v);
  g_unix_signal_add (SIGTERM, on_quit, &v);
  g_unix_signal_add (SIGINT, on_quit, &v);
  if (seconds > 0)
    g_timeout_add_seconds ((guint)seconds, on_quit, &v);
  g_main_loop_run (v.loop);

  /* The end of the session, flushed to the server (at most 3 s). */
  if (v.watched) {
    g_autoptr (JsonBuilder) b = begin_payload (&v);

    json_builder_end_object (b);
    send_payload (&v, "unwatch", b);
    realtime_client_flush_async (client, 3000, NULL, on_flushed, v.loop);
    g_main_loop_run (v.loop);
  }
  printf ("frames %u\n", rt_webrtc_viewer_get_frames (v.viewer));
  rt_webrtc_viewer_free (v.viewer);
  realtime_client_disconnect (client);
  g_main_loop_unref (v.loop);
  return 0;
}

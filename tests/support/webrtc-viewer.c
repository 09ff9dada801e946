/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-viewer.c: the tests' in-process WebRTC viewer (see
 * webrtc-viewer.h).
 */
#include "webrtc-viewer.h"

#include <gst/sdp/sdp.h>
#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>
#include <json-glib/json-glib.h>
#include <string.h>

struct _RtWebrtcViewer
{
  GstElement *pipeline;
  GstElement *webrtcbin; /* owned by the pipeline */

  GMutex lock;
  gchar *answer; /* lock */
  GPtrArray *candidates; /* lock; JsonNode* not yet taken */
  GstPad *sink_pad; /* lock; the counting sink's pad, once linked */
  gchar *caps; /* lock */
  gint frames; /* atomic */
};

/* The decoded frames, counted where they end. */
static GstPadProbeReturn
count_frame (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  RtWebrtcViewer *v = user_data;

  g_atomic_int_inc (&v->frames);
  return GST_PAD_PROBE_OK;
}

/* Streaming thread: decodebin found the decoder. */
static void
on_decoded_pad (GstElement *decodebin, GstPad *pad, gpointer user_data)
{
  RtWebrtcViewer *v = user_data;
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  g_autoptr (GstPad) sink_pad = NULL;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);

  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (v->pipeline), sink);
  sink_pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (sink_pad, GST_PAD_PROBE_TYPE_BUFFER, count_frame, v, NULL);
  gst_pad_link (pad, sink_pad);
  gst_element_sync_state_with_parent (sink);
  g_mutex_lock (&v->lock);
  g_clear_object (&v->sink_pad);
  v->sink_pad = gst_object_ref (sink_pad);
  g_free (v->caps);
  v->caps = caps ? gst_caps_to_string (caps) : NULL;
  g_mutex_unlock (&v->lock);
}

/* Streaming thread: the robot's media arrived. */
static void
on_incoming_pad (GstElement *webrtcbin, GstPad *pad, gpointer user_data)
{
  RtWebrtcViewer *v = user_data;
  GstElement *decodebin;
  g_autoptr (GstPad) sink_pad = NULL;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  decodebin = gst_element_factory_make ("decodebin", NULL);
  g_signal_connect (decodebin, "pad-added", G_CALLBACK (on_decoded_pad), v);
  gst_bin_add (GST_BIN (v->pipeline), decodebin);
  gst_element_sync_state_with_parent (decodebin);
  sink_pad = gst_element_get_static_pad (decodebin, "sink");
  gst_pad_link (pad, sink_pad);
}

static void
on_ice_candidate (GstElement *webrtcbin, guint mline, const gchar *candidate,
    gpointer user_data)
{
  RtWebrtcViewer *v = user_data;
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "candidate", candidate);
  json_object_set_int_member (object, "sdpMLineIndex", mline);
  g_mutex_lock (&v->lock);
  g_ptr_array_add (v->candidates,
      json_node_init_object (json_node_alloc (), object));
  g_mutex_unlock (&v->lock);
  json_object_unref (object);
}

static void
on_answer_created (GstPromise *promise, gpointer user_data)
{
  RtWebrtcViewer *v = user_data;
  GstWebRTCSessionDescription *answer = NULL;
  const GstStructure *reply;

  g_assert_cmpint (gst_promise_wait (promise), ==, GST_PROMISE_RESULT_REPLIED);
  reply = gst_promise_get_reply (promise);
  g_assert_true (gst_structure_get (reply, "answer",
      GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &answer, NULL));
  gst_promise_unref (promise);
  g_signal_emit_by_name (v->webrtcbin, "set-local-description", answer, NULL);
  g_mutex_lock (&v->lock);
  v->answer = gst_sdp_message_as_text (answer->sdp);
  g_mutex_unlock (&v->lock);
  gst_webrtc_session_description_free (answer);
}

/* As browsers do: a receiver report every second or so (libwebrtc's
 * video interval), not every 5 s (rtpsession's default), so the robot
 * hears of loss as soon as a browser would tell it. The session exists
 * once the offer is set (bundled: session 0). */
static void
report_every_second (GstElement *webrtcbin)
{
  g_autoptr (GstElement) rtpbin
      = gst_bin_get_by_name (GST_BIN (webrtcbin), "rtpbin");
  g_autoptr (GstElement) session = NULL;

  if (rtpbin)
    g_signal_emit_by_name (rtpbin, "get-session", 0, &session);
  if (session)
    g_object_set (session, "rtcp-min-interval", (guint64)GST_SECOND, NULL);
}

static void
on_offer_set (GstPromise *promise, gpointer user_data)
{
  RtWebrtcViewer *v = user_data;

  gst_promise_unref (promise);
  report_every_second (v->webrtcbin);
  g_signal_emit_by_name (v->webrtcbin, "create-answer", NULL,
      gst_promise_new_with_change_func (on_answer_created, v, NULL));
}

/* As browsers do: a lost packet is asked again (RTCP NACK). */
static void
on_new_transceiver (GstElement *webrtcbin, GstWebRTCRTPTransceiver *trans,
    gpointer user_data)
{
  g_object_set (trans, "do-nack", TRUE, NULL);
}

/**
 * rt_webrtc_viewer_new:
 * @turn_uri: (nullable): a TURN server with its credentials
 * @relay_only: relayed candidates only
 *
 * Returns: (transfer full): a viewer, its pipeline playing
 */
RtWebrtcViewer *
rt_webrtc_viewer_new (const gchar *turn_uri, gboolean relay_only)
{
  RtWebrtcViewer *v = g_new0 (RtWebrtcViewer, 1);

  g_mutex_init (&v->lock);
  v->candidates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)json_node_unref);
  v->pipeline = gst_pipeline_new ("viewer");
  v->webrtcbin = gst_element_factory_make ("webrtcbin", "viewer-webrtcbin");
  g_assert_nonnull (v->webrtcbin);
  g_object_set (v->webrtcbin, "bundle-policy",
      GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  if (turn_uri)
    g_object_set (v->webrtcbin, "turn-server", turn_uri, NULL);
  if (relay_only)
    g_object_set (v->webrtcbin, "ice-transport-policy",
        GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY, NULL);
  g_signal_connect (v->webrtcbin, "on-new-transceiver",
      G_CALLBACK (on_new_transceiver), NULL);
  g_signal_connect (v->webrtcbin, "pad-added", G_CALLBACK (on_incoming_pad), v);
  g_signal_connect (v->webrtcbin, "on-ice-candidate",
      G_CALLBACK (on_ice_candidate), v);
  /* No UPnP probing on loopback (libgupnp keeps what it finds). */
  {
    GObject *ice = NULL, *agent = NULL;

    g_object_get (v->webrtcbin, "ice-agent", &ice, NULL);
    if (ice && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
      g_object_get (ice, "agent", &agent, NULL);
    if (agent)
      g_object_set (agent, "upnp", FALSE, NULL);
    g_clear_object (&agent);
    g_clear_object (&ice);
  }
  gst_bin_add (GST_BIN (v->pipeline), v->webrtcbin);
  g_assert_cmpint (gst_element_set_state (v->pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  return v;
}

/**
 * rt_webrtc_viewer_free:
 * @viewer: (nullable): a viewer
 */
void
rt_webrtc_viewer_free (RtWebrtcViewer *v)
{
  if (!v)
    return;
  gst_element_set_state (v->pipeline, GST_STATE_NULL);
  gst_object_unref (v->pipeline);
  g_clear_object (&v->sink_pad);
  g_ptr_array_unref (v->candidates);
  g_free (v->answer);
  g_free (v->caps);
  g_mutex_clear (&v->lock);
  g_free (v);
}

void
rt_webrtc_viewer_set_offer (RtWebrtcViewer *v, const gchar *sdp)
{
  GstSDPMessage *msg = NULL;
  GstWebRTCSessionDescription *offer;

  g_assert_cmpint (gst_sdp_message_new (&msg), ==, GST_SDP_OK);
  g_assert_cmpint (gst_sdp_message_parse_buffer ((const guint8 *)sdp,
                       strlen (sdp), msg),
      ==, GST_SDP_OK);
  offer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, msg);
  g_signal_emit_by_name (v->webrtcbin, "set-remote-description", offer,
      gst_promise_new_with_change_func (on_offer_set, v, NULL));
  gst_webrtc_session_description_free (offer);
}

gchar *
rt_webrtc_viewer_dup_answer (RtWebrtcViewer *v)
{
  gchar *answer;

  g_mutex_lock (&v->lock);
  answer = g_strdup (v->answer);
  g_mutex_unlock (&v->lock);
  return answer;
}

void
rt_webrtc_viewer_add_candidate (RtWebrtcViewer *v, guint mline,
    const gchar *candidate)
{
  g_signal_emit_by_name (v->webrtcbin, "add-ice-candidate", mline, candidate);
}

gchar *
rt_webrtc_viewer_take_candidates (RtWebrtcViewer *v)
{
  g_autoptr (JsonArray) array = json_array_new ();
  g_autoptr (JsonNode) node = NULL;
  guint i;

  g_mutex_lock (&v->lock);
  for (i = 0; i < v->candidates->len; i++)
    json_array_add_element (array,
        json_node_ref (g_ptr_array_index (v->candidates, i)));
  g_ptr_array_set_size (v->candidates, 0);
  g_mutex_unlock (&v->lock);
  if (json_array_get_length (array) == 0)
    return NULL;
  node = json_node_init_array (json_node_alloc (), array);
  return json_to_string (node, FALSE);
}

guint
rt_webrtc_viewer_get_frames (RtWebrtcViewer *v)
{
  return (guint)g_atomic_int_get (&v->frames);
}

void
rt_webrtc_viewer_request_key_unit (RtWebrtcViewer *v)
{
  GstPad *pad;

  g_mutex_lock (&v->lock);
  pad = v->sink_pad ? gst_object_ref (v->sink_pad) : NULL;
  g_mutex_unlock (&v->lock);
  if (!pad)
    return;
  gst_pad_push_event (pad,
      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE,
          0));
  gst_object_unref (pad);
}

gchar *
rt_webrtc_viewer_dup_caps (RtWebrtcViewer *v)
{
  gchar *caps;

  g_mutex_lock (&v->lock);
  caps = g_strdup (v->caps);
  g_mutex_unlock (&v->lock);
  return caps;
}

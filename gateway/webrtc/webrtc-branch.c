/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-branch.c: one viewer's queue and webrtcbin (see webrtc-branch.h).
 */
#include "webrtc-branch.h"

#include "gateway-error.h"

#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>

struct _WebrtcBranch
{
  GstBin parent;

  GstElement *queue; /* owned by the bin */
  GstElement *webrtcbin; /* owned by the bin */
  GstPad *webrtc_sink; /* owned by the webrtcbin: its requested sink pad */
  GstPad *ghost; /* owned by the bin */
  GstElement *tee; /* ref; set while attached */
  GstPad *tee_pad; /* ref; the tee's request pad while attached */
};

enum
{
  SIGNAL_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (WebrtcBranch, webrtc_branch, GST_TYPE_BIN);

/* Any thread: the children's errors end the viewer's session, not the
 * pipeline, so they stop here. */
static void
webrtc_branch_handle_message (GstBin *bin, GstMessage *msg)
{
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    g_autoptr (GError) error = NULL;
    g_autofree gchar *message = NULL;

    gst_message_parse_error (msg, &error, NULL);
    message = g_strdup_printf ("%s: %s", GST_MESSAGE_SRC_NAME (msg),
        error->message);
    g_signal_emit (bin, signals[SIGNAL_ERROR], 0, message);
    gst_message_unref (msg);
    return;
  }
  GST_BIN_CLASS (webrtc_branch_parent_class)->handle_message (bin, msg);
}

/**
 * webrtc_branch_new:
 * @name: the element name (the session's)
 * @queue_ms: the longest the viewer's queue holds before dropping
 * @encoding: (transfer full) (nullable): the viewer's own encoding, from
 *   the queue's media to the webrtcbin's
 * @error: where a missing element is reported
 *
 * Returns: (transfer full) (nullable): a branch, not attached
 */
WebrtcBranch *
webrtc_branch_new (const gchar *name, guint queue_ms, GstElement *encoding,
    GError **error)
{
  WebrtcBranch *self;
  g_autoptr (GstPad) queue_sink = NULL;
  g_autoptr (GstPad) media_src = NULL;
  g_autoptr (GstPad) webrtc_sink = NULL;
  GstWebRTCRTPTransceiver *trans = NULL;

  self = g_object_new (WEBRTC_TYPE_BRANCH, "name", name, NULL);
  gst_object_ref_sink (self);
  self->queue = gst_element_factory_make ("queue", "queue");
  self->webrtcbin = gst_element_factory_make ("webrtcbin", "webrtcbin");
  if (!self->queue || !self->webrtcbin) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PIPELINE,
        "no %s element (gstreamer1.0-plugins-bad and gstreamer1.0-nice "
        "installed?)",
        self->queue ? "webrtcbin" : "queue");
    /* Not in the bin yet: floating references of our own. */
    if (self->queue)
      gst_object_unref (gst_object_ref_sink (self->queue));
    if (self->webrtcbin)
      gst_object_unref (gst_object_ref_sink (self->webrtcbin));
    if (encoding)
      gst_object_unref (gst_object_ref_sink (encoding));
    gst_object_unref (self);
    return NULL;
  }
  /* Dropping the oldest RTP packets of a viewer that cannot keep up costs
   * that viewer a key-unit request; blocking would stall everyone. */
  g_object_set (self->queue, "leaky", 2, "max-size-buffers", 0,
      "max-size-bytes", 0, "max-size-time", (guint64)queue_ms * GST_MSECOND,
      NULL);
  g_object_set (self->webrtcbin, "bundle-policy",
      GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  gst_bin_add_many (GST_BIN (self), self->queue, self->webrtcbin, NULL);
  if (encoding) {
    /* The bin holds it from here: one owner, gone with the branch. */
    gst_bin_add (GST_BIN (self), encoding);
    gst_object_unref (encoding);
    if (!gst_element_link (self->queue, encoding)) {
      g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PIPELINE,
          "cannot link the viewer queue to the viewer's encoder");
      gst_object_unref (self);
      return NULL;
    }
  }

  media_src
      = gst_element_get_static_pad (encoding ? encoding : self->queue, "src");
  webrtc_sink = gst_element_request_pad_simple (self->webrtcbin, "sink_%u");
  if (!webrtc_sink
      || gst_pad_link (media_src, webrtc_sink) != GST_PAD_LINK_OK) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PIPELINE,
        "cannot link the viewer %s to webrtcbin",
        encoding ? "encoder" : "queue");
    gst_object_unref (self);
    return NULL;
  }
  self->webrtc_sink = webrtc_sink;
  /* A viewer only receives; NACKed packets are retransmitted. */
  g_object_get (webrtc_sink, "transceiver", &trans, NULL);
  if (trans) {
    g_object_set (trans, "direction",
        GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, "do-nack", TRUE, NULL);
    gst_object_unref (trans);
  }

  queue_sink = gst_element_get_static_pad (self->queue, "sink");
  self->ghost = gst_ghost_pad_new ("sink", queue_sink);
  gst_element_add_pad (GST_ELEMENT (self), self->ghost);
  return self;
}

/**
 * webrtc_branch_get_webrtcbin:
 * @branch: a branch
 *
 * Returns: (transfer none): its webrtcbin
 */
GstElement *
webrtc_branch_get_webrtcbin (WebrtcBranch *self)
{
  g_return_val_if_fail (WEBRTC_IS_BRANCH (self), NULL);
  return self->webrtcbin;
}

static void teardown (GstElement *element, gpointer user_data);

/**
 * webrtc_branch_attach:
 * @branch: a branch, not attached
 * @tee: the tee of a running pipeline
 *
 * Returns: %TRUE when the branch is beside @tee, linked and started
 */
gboolean
webrtc_branch_attach (WebrtcBranch *self, GstElement *tee)
{
  g_autoptr (GstObject) bin = gst_object_get_parent (GST_OBJECT (tee));
  GstPad *tee_pad;

  g_return_val_if_fail (WEBRTC_IS_BRANCH (self), FALSE);
  g_return_val_if_fail (self->tee_pad == NULL, FALSE);

  /* Beside the tee: a link across bins would need ghost pads. */
  if (!bin || !gst_bin_add (GST_BIN (bin), GST_ELEMENT (self)))
    return FALSE;
  /* Running before it is linked: a buffer the tee pushes into a pad that
   * is not active yet returns FLUSHING, and the tee hands that upstream,
   * which pauses the encoder's streaming thread for good. */
  if (!gst_element_sync_state_with_parent (GST_ELEMENT (self))) {
    gst_element_set_locked_state (GST_ELEMENT (self), TRUE);
    gst_element_call_async (GST_ELEMENT (self), teardown, NULL, NULL);
    return FALSE;
  }
  tee_pad = gst_element_request_pad_simple (tee, "src_%u");
  if (!tee_pad || gst_pad_link (tee_pad, self->ghost) != GST_PAD_LINK_OK) {
    if (tee_pad) {
      gst_element_release_request_pad (tee, tee_pad);
      gst_object_unref (tee_pad);
    }
    gst_element_set_locked_state (GST_ELEMENT (self), TRUE);
    gst_element_call_async (GST_ELEMENT (self), teardown, NULL, NULL);
    return FALSE;
  }
  self->tee = gst_object_ref (tee);
  self->tee_pad = tee_pad;
  return TRUE;
}

/* A GStreamer pool thread: the state change that may take a while (ICE
 * agent, DTLS) happens here, never on the main loop. */
static void
teardown (GstElement *element, gpointer user_data)
{
  GstObject *parent = gst_object_get_parent (GST_OBJECT (element));

  gst_element_set_state (element, GST_STATE_NULL);
  if (parent) {
    gst_bin_remove (GST_BIN (parent), element);
    gst_object_unref (parent);
  }
}

/**
 * webrtc_branch_detach:
 * @branch: an attached branch
 *
 * Unlinks @branch from the tee now; it is set to NULL and removed from
 * its pipeline on another thread.
 */
void
webrtc_branch_detach (WebrtcBranch *self)
{
  g_return_if_fail (WEBRTC_IS_BRANCH (self));

  if (!self->tee_pad)
    return;
  /* The pipeline's own state changes leave it alone from now on. */
  gst_element_set_locked_state (GST_ELEMENT (self), TRUE);
  gst_pad_unlink (self->tee_pad, self->ghost);
  gst_element_release_request_pad (self->tee, self->tee_pad);
  gst_clear_object (&self->tee_pad);
  gst_clear_object (&self->tee);
  gst_element_call_async (GST_ELEMENT (self), teardown, NULL, NULL);
}

/**
 * webrtc_branch_get_key_unit_pad:
 * @branch: a branch
 *
 * Returns: (transfer none): the webrtcbin's sink pad, by which key-unit
 *   requests leave towards the encoder
 */
GstPad *
webrtc_branch_get_key_unit_pad (WebrtcBranch *self)
{
  g_return_val_if_fail (WEBRTC_IS_BRANCH (self), NULL);
  return self->webrtc_sink;
}

/**
 * webrtc_branch_request_key_unit:
 * @branch: an attached branch
 *
 * Sends an upstream force-key-unit event (all headers) from the
 * webrtcbin's sink pad towards the encoder: the branch's own, or the
 * shared one across the tee.
 */
void
webrtc_branch_request_key_unit (WebrtcBranch *self)
{
  g_return_if_fail (WEBRTC_IS_BRANCH (self));

  if (!self->tee_pad)
    return;
  gst_pad_push_event (self->webrtc_sink,
      gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE,
          0));
}

static void
webrtc_branch_dispose (GObject *object)
{
  WebrtcBranch *self = WEBRTC_BRANCH (object);

  gst_clear_object (&self->tee_pad);
  gst_clear_object (&self->tee);
  G_OBJECT_CLASS (webrtc_branch_parent_class)->dispose (object);
}

static void
webrtc_branch_init (WebrtcBranch *self)
{
}

static void
webrtc_branch_class_init (WebrtcBranchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);

  object_class->dispose = webrtc_branch_dispose;
  bin_class->handle_message = webrtc_branch_handle_message;

  signals[SIGNAL_ERROR] = g_signal_new ("error", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

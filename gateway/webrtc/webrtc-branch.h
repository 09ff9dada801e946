/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-branch.h: one viewer's branch of a WebRTC pipeline, a bin of
 *
 *   queue (leaky downstream, bounded in time) [! ENCODING] ! webrtcbin
 *
 * fed by a request pad of the pipeline's tee; ENCODING (the viewer's own
 * encoder, with encoder-per-viewer: webrtc-pipeline.h) is owned by the
 * branch and goes with it. The leaky queue is what
 * keeps one slow viewer from stalling the others and the camera. The bin
 * keeps its children's errors to itself (a viewer's DTLS or ICE error
 * ends that viewer's session, never the pipeline): they are handed to
 * the "error" signal instead of the pipeline's bus.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define WEBRTC_TYPE_BRANCH (webrtc_branch_get_type ())
G_DECLARE_FINAL_TYPE (WebrtcBranch, webrtc_branch, WEBRTC, BRANCH, GstBin)

/* Signals:
 *   "error" (const gchar *message): an element inside posted an ERROR;
 *       emitted on the posting thread (often a streaming thread), once
 *       per error.
 */

/* A branch named @name whose queue holds at most @queue_ms of media,
 * with @encoding (nullable, transfer full: one input, one output) between
 * the queue and the webrtcbin. The webrtcbin has its sink pad requested
 * (so its transceiver exists, set to send only, with NACK retransmission)
 * and is not started.
 * Returns: (transfer full) (nullable): %NULL when webrtcbin is missing or
 * @encoding does not link (then @encoding is dropped). */
WebrtcBranch *webrtc_branch_new (const gchar *name, guint queue_ms,
    GstElement *encoding, GError **error);

/* The branch's webrtcbin (transfer none). */
GstElement *webrtc_branch_get_webrtcbin (WebrtcBranch *branch);

/* The pad key-unit requests leave the webrtcbin by towards the encoder
 * (the shared one through the tee, or the branch's own): the webrtcbin's
 * sink pad (transfer none). */
GstPad *webrtc_branch_get_key_unit_pad (WebrtcBranch *branch);

/* Main thread: adds the branch to the bin of @tee (a running pipeline's),
 * links it to a new request pad of @tee and brings it to the bin's
 * state. FALSE (and nothing added) when a step fails. */
gboolean webrtc_branch_attach (WebrtcBranch *branch, GstElement *tee);

/* Main thread, after a successful attach: unlinks the branch from the
 * tee at once (it gets no more media) and, on a GStreamer pool thread,
 * sets it to NULL and removes it from its pipeline. Never blocks. */
void webrtc_branch_detach (WebrtcBranch *branch);

/* Asks the encoder for a key unit (with SPS/PPS) from the key-unit pad:
 * the request reaches the branch's own encoder, or crosses the tee to the
 * shared one. */
void webrtc_branch_request_key_unit (WebrtcBranch *branch);

G_END_DECLS

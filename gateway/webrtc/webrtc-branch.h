/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-branch.h: one viewer's branch of a WebRTC pipeline, a bin of
 *
 *   queue (leaky downstream, bounded in time) ! webrtcbin
 *
 * fed by a request pad of the pipeline's tee. The leaky queue is what
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

/* A branch named @name whose queue holds at most @queue_ms of media.
 * The webrtcbin has its sink pad requested (so its transceiver exists,
 * set to send only, with NACK retransmission) and is not started.
 * Returns: (transfer full) (nullable): %NULL when webrtcbin is missing. */
WebrtcBranch *
webrtc_branch_new (const gchar *name, guint queue_ms, GError **error);

/* The branch's webrtcbin (transfer none). */
GstElement *webrtc_branch_get_webrtcbin (WebrtcBranch *branch);

/* Main thread: adds the branch to the bin of @tee (a running pipeline's),
 * links it to a new request pad of @tee and brings it to the bin's
 * state. FALSE (and nothing added) when a step fails. */
gboolean webrtc_branch_attach (WebrtcBranch *branch, GstElement *tee);

/* Main thread, after a successful attach: unlinks the branch from the
 * tee at once (it gets no more media) and, on a GStreamer pool thread,
 * sets it to NULL and removes it from its pipeline. Never blocks. */
void webrtc_branch_detach (WebrtcBranch *branch);

/* Asks the encoder for a key unit (with SPS/PPS) from the branch's input:
 * the request crosses the tee upstream. */
void webrtc_branch_request_key_unit (WebrtcBranch *branch);

G_END_DECLS

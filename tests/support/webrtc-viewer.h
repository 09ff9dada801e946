/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-viewer.h: an in-process WebRTC viewer for the tests, what a
 * browser does with the robot's offer: a webrtcbin of its own (the
 * answerer) in a pipeline of its own, whose incoming video is decoded
 * (decodebin: rtph264depay and an H.264 decoder, or the VP8 one) and
 * counted frame by frame. It speaks no signalling itself: the test
 * carries the offer, the answer and the candidates through the local
 * realtime server, as a browser's page would.
 *
 * webrtcbin calls back on its own threads; everything here is guarded,
 * and the calls below may be made from the test's thread at any time.
 */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _RtWebrtcViewer RtWebrtcViewer;

/* A viewer; @turn_uri (nullable) is "turn://user:pass@host:port" and,
 * with @relay_only, ICE uses relayed candidates only. The pipeline runs
 * (PLAYING) from here on. */
RtWebrtcViewer *
rt_webrtc_viewer_new (const gchar *turn_uri, gboolean relay_only);
void rt_webrtc_viewer_free (RtWebrtcViewer *viewer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtWebrtcViewer, rt_webrtc_viewer_free)

/* The robot's offer: set as the remote description; the answer follows. */
void rt_webrtc_viewer_set_offer (RtWebrtcViewer *viewer, const gchar *sdp);
/* The answer's SDP text once made, else NULL (transfer full). */
gchar *rt_webrtc_viewer_dup_answer (RtWebrtcViewer *viewer);
/* A remote candidate from the robot. */
void rt_webrtc_viewer_add_candidate (RtWebrtcViewer *viewer, guint mline,
    const gchar *candidate);
/* The local candidates gathered since the last call, as the JSON text of
 * an array [{"candidate":..,"sdpMLineIndex":..}, ...] (transfer full),
 * or NULL when there is none. */
gchar *rt_webrtc_viewer_take_candidates (RtWebrtcViewer *viewer);

/* Video frames decoded so far. */
guint rt_webrtc_viewer_get_frames (RtWebrtcViewer *viewer);
/* Asks the robot for a key frame as a browser does on picture loss: an
 * upstream force-key-unit from the decoder, which the RTP session sends
 * as RTCP PLI. */
void rt_webrtc_viewer_request_key_unit (RtWebrtcViewer *viewer);
/* The caps decoded (transfer full), NULL before the first frame. */
gchar *rt_webrtc_viewer_dup_caps (RtWebrtcViewer *viewer);

G_END_DECLS

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-pipeline.h: the GstPipeline of an "output=webrtc" definition.
 *
 *   DESCRIPTION (its one unlinked src pad: raw video)
 *     ! videoconvert ! queue (leaky, 3 frames) ! ENCODER ! parser
 *     ! payloader (pt 96; H.264: config-interval=-1, SPS/PPS before every
 *       IDR; profile-level-id 42e01f declared)
 *     ! tee name=webrtc-tee
 *         ! queue ! fakesink name=webrtc-idle   (always: the run's first
 *                                               buffer, and no viewer)
 *         ! one viewer branch per session      (webrtc-branch.h)
 *
 * A viewer's picture-loss or FIR request leaves its webrtcbin as an
 * upstream force-key-unit event, crosses the tee and reaches the
 * encoder.
 *
 * With [webrtc] encoder-per-viewer=true the tee carries raw video and each
 * viewer has an encoding of its own in its branch:
 *
 *   DESCRIPTION ! videoconvert ! tee name=webrtc-tee
 *     ! queue ! fakesink name=webrtc-idle
 *     ! per session: queue (leaky) ! ENCODING ! webrtcbin
 *
 *   ENCODING: a bin named "encoding" of videoconvert ! ENCODER ! parser
 *     ! payloader (as above), built by webrtc_pipeline_build_encoding()
 *
 * and a viewer's key-unit requests reach its own encoder only. Nothing
 * here comes from the network: the description and the encoder text are
 * the definition's.
 */
#pragma once

#include <gst/gst.h>

#include "pipeline-def.h"

G_BEGIN_DECLS

#define WEBRTC_PIPELINE_TEE "webrtc-tee"
#define WEBRTC_PIPELINE_IDLE_SINK "webrtc-idle"
#define WEBRTC_PIPELINE_PAYLOADER "webrtc-pay"
#define WEBRTC_PIPELINE_ENCODING "encoding"

/* Builds (does not start) the pipeline of @def, which must have a WebRTC
 * output. Returns: (transfer floating): as gst_parse_launch() does, or
 * %NULL with a GATEWAY_ERROR_DEFINITION error saying what is wrong. */
GstElement *webrtc_pipeline_build (const PipelineDef *def, GError **error);

/* The tee of a pipeline built above (transfer full), or %NULL. */
GstElement *webrtc_pipeline_get_tee (GstElement *pipeline);

/* One viewer's encoding with encoder-per-viewer (raw video in, RTP out),
 * not started. Returns: (transfer full): the bin, or %NULL with a
 * GATEWAY_ERROR_DEFINITION error. */
GstElement *
webrtc_pipeline_build_encoding (const WebrtcOutputDef *out, GError **error);

/* Sets @kbps on the element named "encoder" in @bin (a pipeline, or a
 * viewer's branch), in its kind's unit. FALSE when there is none of a kind
 * the bitrate rule knows (x264enc, openh264enc, vp8enc). */
gboolean webrtc_pipeline_set_encoder_bitrate (GstBin *bin, guint kbps);

G_END_DECLS

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-output-def.h: the WebRTC output of a pipeline definition. A
 * definition with "output=webrtc" in [pipeline] has a description that
 * ends with one unlinked src pad carrying raw video (the encoder's
 * input); the gateway adds the rest (webrtc-pipeline.h) and one
 * webrtcbin per viewer session. Its [webrtc] group:
 *
 *   [webrtc]
 *   codec=h264            h264 (constrained baseline, profile-level-id
 *                         42e01f, what every browser decodes) | vp8
 *   encoder=...           gst-launch text of the encoder (trusted: it is
 *                         the definition's, never a request's); default
 *                         x264enc or vp8enc tuned for low latency, named
 *                         "encoder" so that params can target it
 *   bitrate=1500          kbit/s of the default encoder, and where the
 *                         adaptation starts
 *   min-bitrate=300       kbit/s: the adaptation never goes below (default
 *                         bitrate / 5, at least 50)
 *   max-bitrate=1500      kbit/s: nor above (default: bitrate). The rule
 *                         is webrtc-bitrate.h's; it drives the element
 *                         named "encoder" (x264enc, openh264enc, vp8enc);
 *                         min-bitrate=max-bitrate turns it off
 *   max-viewers=4         sessions at once (1..32); one more is answered
 *                         "failed", "too many viewers"
 *   viewer-queue=200      milliseconds of RTP a viewer's leaky queue
 *                         holds before it drops (a slow viewer never
 *                         stalls the others or the camera)
 *   encoder-per-viewer=false
 *                         false: one encoder for every viewer, at the
 *                         slowest watching viewer's target; true: each
 *                         viewer session gets its own encoder (the same
 *                         encoder text) at its own target, and its own
 *                         key units; the tee then carries raw video and
 *                         a viewer's queue holds raw frames. Costs one
 *                         encoder's CPU per viewer; no param can target
 *                         the encoder (it exists only per session)
 */
#pragma once

#include <glib.h>

#include "key-file-loader.h"

G_BEGIN_DECLS

typedef enum
{
  WEBRTC_CODEC_H264,
  WEBRTC_CODEC_VP8,
} WebrtcCodec;

/* "h264", "vp8" */
const gchar *webrtc_codec_to_string (WebrtcCodec codec);

#define WEBRTC_OUTPUT_GROUP "webrtc"
#define WEBRTC_OUTPUT_DEFAULT_BITRATE_KBPS 1500
#define WEBRTC_OUTPUT_DEFAULT_MAX_VIEWERS 4
#define WEBRTC_OUTPUT_MAX_VIEWERS_LIMIT 32
#define WEBRTC_OUTPUT_DEFAULT_QUEUE_MS 200

typedef struct
{
  WebrtcCodec codec;
  gchar *encoder; /* nullable: the codec's default encoder */
  guint bitrate_kbps;
  guint min_bitrate_kbps;
  guint max_bitrate_kbps;
  guint max_viewers;
  guint viewer_queue_ms;
  gboolean encoder_per_viewer;
} WebrtcOutputDef;

/* Every default. */
WebrtcOutputDef *webrtc_output_def_new (void);
void webrtc_output_def_free (WebrtcOutputDef *out);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WebrtcOutputDef, webrtc_output_def_free)

/* Reads the [webrtc] group of @loader's file (absent: every default);
 * problems go to the loader. Never NULL. */
WebrtcOutputDef *webrtc_output_def_load (KeyFileLoader *loader);

/* The encoder text the pipeline is built with: the definition's own, or
 * the codec's default at its bitrate (transfer full). */
gchar *webrtc_output_def_dup_encoder (const WebrtcOutputDef *out);

G_END_DECLS

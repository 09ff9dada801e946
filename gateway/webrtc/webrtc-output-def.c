/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-output-def.c: the [webrtc] group of a pipeline definition (see
 * webrtc-output-def.h).
 */
#include "webrtc-output-def.h"

#include <string.h>

static const gchar *const webrtc_keys[]
    = { "codec", "encoder", "bitrate", "min-bitrate", "max-bitrate",
        "max-viewers", "viewer-queue", "encoder-per-viewer", NULL };

/* Low latency first: no B-frames or look-ahead, a key frame at least every
 * 10 s at 30 fps (a viewer's PLI asks for one sooner). Level 3.1 keeps the
 * stream within what profile-level-id 42e01f declares. */
#define DEFAULT_H264_ENCODER                                                   \
  "x264enc name=encoder tune=zerolatency speed-preset=ultrafast "              \
  "key-int-max=300 bitrate=%u ! "                                              \
  "video/x-h264,profile=constrained-baseline,level=(string)3.1"
#define DEFAULT_VP8_ENCODER                                                    \
  "vp8enc name=encoder deadline=1 cpu-used=8 lag-in-frames=0 "                 \
  "keyframe-max-dist=300 end-usage=cbr error-resilient=partitions "            \
  "target-bitrate=%u"

/**
 * webrtc_codec_to_string:
 * @codec: a codec
 *
 * Returns: its name in definitions and messages ("h264", "vp8")
 */
const gchar *
webrtc_codec_to_string (WebrtcCodec codec)
{
  return codec == WEBRTC_CODEC_VP8 ? "vp8" : "h264";
}

/**
 * webrtc_output_def_new:
 *
 * Returns: (transfer full): a WebRTC output with every default
 */
WebrtcOutputDef *
webrtc_output_def_new (void)
{
  WebrtcOutputDef *out = g_new0 (WebrtcOutputDef, 1);

  out->codec = WEBRTC_CODEC_H264;
  out->bitrate_kbps = WEBRTC_OUTPUT_DEFAULT_BITRATE_KBPS;
  out->min_bitrate_kbps = MAX (50, out->bitrate_kbps / 5);
  out->max_bitrate_kbps = out->bitrate_kbps;
  out->max_viewers = WEBRTC_OUTPUT_DEFAULT_MAX_VIEWERS;
  out->viewer_queue_ms = WEBRTC_OUTPUT_DEFAULT_QUEUE_MS;
  return out;
}

/**
 * webrtc_output_def_free:
 * @out: (nullable): a WebRTC output
 */
void
webrtc_output_def_free (WebrtcOutputDef *out)
{
  if (!out)
    return;
  g_free (out->encoder);
  g_free (out);
}

/**
 * webrtc_output_def_load:
 * @loader: the definition file being loaded
 *
 * Reads the [webrtc] group; unknown keys, an unknown codec and values out
 * of bounds are reported to @loader, and the default is kept for them.
 *
 * Returns: (transfer full): the output, never %NULL
 */
WebrtcOutputDef *
webrtc_output_def_load (KeyFileLoader *l)
{
  WebrtcOutputDef *out = webrtc_output_def_new ();
  g_autofree gchar *codec = NULL;

  key_file_loader_check_keys (l, WEBRTC_OUTPUT_GROUP, webrtc_keys);
  codec = key_file_loader_get_value (l, WEBRTC_OUTPUT_GROUP, "codec");
  if (!codec || strcmp (codec, "h264") == 0)
    out->codec = WEBRTC_CODEC_H264;
  else if (strcmp (codec, "vp8") == 0)
    out->codec = WEBRTC_CODEC_VP8;
  else
    key_file_loader_problem (l, WEBRTC_OUTPUT_GROUP, "codec",
        "unknown codec \"%s\" (h264 or vp8)", codec);
  out->encoder
      = key_file_loader_get_string (l, WEBRTC_OUTPUT_GROUP, "encoder", FALSE);
  key_file_loader_get_uint (l, WEBRTC_OUTPUT_GROUP, "bitrate", 50, 100000,
      &out->bitrate_kbps);
  out->min_bitrate_kbps = MAX (50, out->bitrate_kbps / 5);
  out->max_bitrate_kbps = out->bitrate_kbps;
  key_file_loader_get_uint (l, WEBRTC_OUTPUT_GROUP, "min-bitrate", 50, 100000,
      &out->min_bitrate_kbps);
  key_file_loader_get_uint (l, WEBRTC_OUTPUT_GROUP, "max-bitrate", 50, 100000,
      &out->max_bitrate_kbps);
  if (out->min_bitrate_kbps > out->bitrate_kbps
      || out->bitrate_kbps > out->max_bitrate_kbps)
    key_file_loader_problem (l, WEBRTC_OUTPUT_GROUP, "bitrate",
        "min-bitrate %u <= bitrate %u <= max-bitrate %u does not hold",
        out->min_bitrate_kbps, out->bitrate_kbps, out->max_bitrate_kbps);
  key_file_loader_get_uint (l, WEBRTC_OUTPUT_GROUP, "max-viewers", 1,
      WEBRTC_OUTPUT_MAX_VIEWERS_LIMIT, &out->max_viewers);
  key_file_loader_get_uint (l, WEBRTC_OUTPUT_GROUP, "viewer-queue", 20, 10000,
      &out->viewer_queue_ms);
  key_file_loader_get_bool (l, WEBRTC_OUTPUT_GROUP, "encoder-per-viewer",
      &out->encoder_per_viewer);
  return out;
}

/**
 * webrtc_output_def_dup_encoder:
 * @out: a WebRTC output
 *
 * Returns: (transfer full): the gst-launch text of the encoder
 */
gchar *
webrtc_output_def_dup_encoder (const WebrtcOutputDef *out)
{
  if (out->encoder)
    return g_strdup (out->encoder);
  if (out->codec == WEBRTC_CODEC_VP8)
    return g_strdup_printf (DEFAULT_VP8_ENCODER, out->bitrate_kbps * 1000);
  return g_strdup_printf (DEFAULT_H264_ENCODER, out->bitrate_kbps);
}

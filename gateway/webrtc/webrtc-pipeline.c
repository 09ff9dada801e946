/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-pipeline.c: builds the pipeline of an "output=webrtc" definition
 * (see webrtc-pipeline.h).
 */
#include "webrtc-pipeline.h"

#include "gateway-error.h"

/* What every browser decodes: constrained baseline, level 3.1. x264 marks
 * such a stream 42c01f; the constraint_set2 bit browsers expect changes
 * nothing in the stream. */
#define H264_PROFILE_LEVEL_ID "42e01f"
#define RTP_PAYLOAD_TYPE 96

/* The part after the encoder, for @codec: constant text. */
static const gchar *
payloader_text (WebrtcCodec codec)
{
  if (codec == WEBRTC_CODEC_VP8)
    return "rtpvp8pay name=" WEBRTC_PIPELINE_PAYLOADER
           " pt=96 mtu=1200 picture-id-mode=15-bit";
  return "h264parse ! rtph264pay name=" WEBRTC_PIPELINE_PAYLOADER
         " pt=96 mtu=1200 config-interval=-1 aggregate-mode=zero-latency ! "
         "capssetter join=true replace=false "
         "caps=\"application/"
         "x-rtp,profile-level-id=(string)" H264_PROFILE_LEVEL_ID "\"";
}

static guint
count_pads (GstElement *element, GstPadDirection direction)
{
  return direction == GST_PAD_SRC ? element->numsrcpads : element->numsinkpads;
}

/* The source part: the description as a bin whose one unlinked src pad is
 * ghosted. */
static GstElement *
build_source (const PipelineDef *def, GError **error)
{
  g_autoptr (GError) local = NULL;
  GstElement *bin;

  bin = gst_parse_bin_from_description_full (def->description, TRUE, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, &local);
  if (!bin) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION, "%s",
        local->message);
    return NULL;
  }
  gst_object_ref_sink (bin);
  if (count_pads (bin, GST_PAD_SRC) != 1 || count_pads (bin, GST_PAD_SINK)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
        "with output=webrtc the description must end with one unlinked src "
        "pad (raw video, the encoder's input) and have no unlinked sink pad; "
        "it has %u and %u",
        count_pads (bin, GST_PAD_SRC), count_pads (bin, GST_PAD_SINK));
    gst_object_unref (bin);
    return NULL;
  }
  gst_object_set_name (GST_OBJECT (bin), "webrtc-source");
  return bin;
}

/* Parses @text (trusted: the definition's encoder and constants) as a bin
 * with one input and one output named @name; @encoder is the encoder text
 * for the messages. */
static GstElement *
parse_chain (const gchar *text, const gchar *encoder, const gchar *name,
    guint src_pads, GError **error)
{
  g_autoptr (GError) local = NULL;
  GstElement *bin;

  bin = gst_parse_bin_from_description_full (text, TRUE, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, &local);
  if (!bin) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
        "[webrtc] encoder \"%s\" does not build: %s", encoder, local->message);
    return NULL;
  }
  gst_object_ref_sink (bin);
  if (count_pads (bin, GST_PAD_SINK) != 1
      || count_pads (bin, GST_PAD_SRC) != src_pads) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
        "[webrtc] encoder \"%s\" must be a chain with one input and one "
        "output",
        encoder);
    gst_object_unref (bin);
    return NULL;
  }
  gst_object_set_name (GST_OBJECT (bin), name);
  return bin;
}

/* The output part: the encoding (shared) and the tee, or with
 * encoder-per-viewer the tee of raw video alone. */
static GstElement *
build_output (const WebrtcOutputDef *out, GError **error)
{
  g_autofree gchar *encoder = webrtc_output_def_dup_encoder (out);
  g_autofree gchar *text = NULL;

  if (out->encoder_per_viewer) {
    /* The viewers' encoders are built per session: one is built here and
     * dropped, so that a definition whose encoder cannot build fails now,
     * not at the first watch. */
    GstElement *probe = webrtc_pipeline_build_encoding (out, error);

    if (!probe)
      return NULL;
    gst_object_unref (probe);
    text = g_strdup (
        "videoconvert ! tee name=" WEBRTC_PIPELINE_TEE
        " allow-not-linked=true ! queue ! fakesink "
        "name=" WEBRTC_PIPELINE_IDLE_SINK " sync=false async=false");
  } else {
    text = g_strdup_printf ("videoconvert ! queue max-size-buffers=3 "
                            "max-size-bytes=0 max-size-time=0 "
                            "leaky=downstream ! %s ! %s ! tee "
                            "name=" WEBRTC_PIPELINE_TEE
                            " allow-not-linked=true ! queue ! fakesink "
                            "name=" WEBRTC_PIPELINE_IDLE_SINK
                            " sync=false async=false",
        encoder, payloader_text (out->codec));
  }
  return parse_chain (text, encoder, "webrtc-output", 0, error);
}

/**
 * webrtc_pipeline_build_encoding:
 * @out: a WebRTC output with encoder-per-viewer
 * @error: where a problem of the definition goes
 *
 * Returns: (transfer full) (nullable): one viewer's encoding, a bin
 *   named "encoding" from raw video to RTP (see webrtc-pipeline.h)
 */
GstElement *
webrtc_pipeline_build_encoding (const WebrtcOutputDef *out, GError **error)
{
  g_autofree gchar *encoder = webrtc_output_def_dup_encoder (out);
  g_autofree gchar *text = g_strdup_printf ("videoconvert ! %s ! %s", encoder,
      payloader_text (out->codec));

  return parse_chain (text, encoder, WEBRTC_PIPELINE_ENCODING, 1, error);
}

/**
 * webrtc_pipeline_set_encoder_bitrate:
 * @bin: a pipeline, or one viewer's branch
 * @kbps: the bitrate
 *
 * Sets @kbps on the element named "encoder" in @bin (recursively), in the
 * unit of its kind.
 *
 * Returns: %FALSE when there is no such element of a kind the bitrate rule
 *   knows (x264enc, openh264enc, vp8enc)
 */
gboolean
webrtc_pipeline_set_encoder_bitrate (GstBin *bin, guint kbps)
{
  g_autoptr (GstElement) encoder = gst_bin_get_by_name (bin, "encoder");
  GstElementFactory *factory
      = encoder ? gst_element_get_factory (encoder) : NULL;
  const gchar *kind;

  if (!factory)
    return FALSE;
  kind = GST_OBJECT_NAME (factory);
  if (g_str_equal (kind, "x264enc"))
    g_object_set (encoder, "bitrate", kbps, NULL);
  else if (g_str_equal (kind, "openh264enc"))
    g_object_set (encoder, "bitrate", kbps * 1000, NULL);
  else if (g_str_equal (kind, "vp8enc"))
    g_object_set (encoder, "target-bitrate", (gint)(kbps * 1000), NULL);
  else
    return FALSE;
  return TRUE;
}

/**
 * webrtc_pipeline_build:
 * @def: a definition with a WebRTC output (def->webrtc set)
 * @error: where a problem of the definition goes
 *
 * Builds the source from the description and the encoder, payloader and
 * tee after it (see webrtc-pipeline.h). Nothing is started.
 *
 * Returns: (transfer floating) (nullable): the pipeline, named after @def
 */
GstElement *
webrtc_pipeline_build (const PipelineDef *def, GError **error)
{
  GstElement *source, *output, *pipeline;

  g_return_val_if_fail (def != NULL && def->webrtc != NULL, NULL);

  source = build_source (def, error);
  if (!source)
    return NULL;
  output = build_output (def->webrtc, error);
  if (!output) {
    gst_object_unref (source);
    return NULL;
  }
  pipeline = gst_pipeline_new (def->name);
  gst_bin_add_many (GST_BIN (pipeline), source, output, NULL);
  /* The bins took their own references. */
  gst_object_unref (source);
  gst_object_unref (output);
  if (!gst_element_link (source, output)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
        "the description's output cannot feed the encoder (not raw video?)");
    gst_object_unref (gst_object_ref_sink (pipeline));
    return NULL;
  }
  return pipeline;
}

/**
 * webrtc_pipeline_get_tee:
 * @pipeline: a pipeline made by webrtc_pipeline_build()
 *
 * Returns: (transfer full) (nullable): its tee
 */
GstElement *
webrtc_pipeline_get_tee (GstElement *pipeline)
{
  g_return_val_if_fail (GST_IS_BIN (pipeline), NULL);
  return gst_bin_get_by_name (GST_BIN (pipeline), WEBRTC_PIPELINE_TEE);
}

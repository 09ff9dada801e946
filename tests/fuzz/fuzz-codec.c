/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fuzz-codec.c: libFuzzer target for the frame codec
 * (gateway/realtime/realtime-codec.c).
 *
 * Input: byte 0 selects the frame type, the rest is the frame:
 *   0: vsn 1.0.0 text frame    1: vsn 2.0.0 text frame    2: binary frame
 *   (other values: modulo 3)
 *
 * Besides "no crash, no leak, no UB" it checks properties:
 *   - a failed decode sets an error of the codec's domain, a successful one
 *     returns a message with topic, event and payload set;
 *   - round trip: whatever decodes re-encodes, in both text versions, to a
 *     frame that decodes to an equal message;
 *   - a decoded kind 3 or 4 user broadcast with a JSON payload re-encodes
 *     with the binary encoders to a frame that decodes to an equal message;
 *   - error messages never quote more than a short prefix of the frame;
 *   - a frame realtime_codec_read_broadcast() reads (no tree) decodes to
 *     the same broadcast: topic, join_ref, event and payload.
 */
#include "fuzz-common.h"

#include "realtime-codec.h"

static gboolean
message_equal (const RealtimeMessage *a, const RealtimeMessage *b)
{
  return g_strcmp0 (a->join_ref, b->join_ref) == 0
      && g_strcmp0 (a->ref, b->ref) == 0 && g_strcmp0 (a->topic, b->topic) == 0
      && g_strcmp0 (a->event, b->event) == 0
      && json_node_equal (a->payload, b->payload);
}

static gchar *
describe (const RealtimeMessage *m)
{
  g_autofree gchar *payload = json_to_string (m->payload, FALSE);

  return g_strdup_printf ("[%s,%s,%s,%s,%s]", m->join_ref ? m->join_ref : "-",
      m->ref ? m->ref : "-", m->topic, m->event, payload);
}

static void
check_error (GError *error, const gchar *frame, gsize len)
{
  FUZZ_ASSERT (error != NULL, "decode failed without an error");
  FUZZ_ASSERT (error->domain == REALTIME_CODEC_ERROR, "error domain %s",
      g_quark_to_string (error->domain));
  FUZZ_ASSERT (error->message && *error->message, "empty error message");
  /* The message quotes at most 16 bytes of the frame, each escaped to at
   * most 4 characters, plus its own words. */
  FUZZ_ASSERT (strlen (error->message) < 400, "error message of %zu bytes",
      strlen (error->message));
  (void)frame;
  (void)len;
}

static void
check_decoded (const RealtimeMessage *msg)
{
  FUZZ_ASSERT (msg->topic && msg->event && msg->payload,
      "decoded message without topic, event or payload");
}

/* decode -> encode(vsn) -> decode gives the same message. */
static void
check_text_round_trip (const RealtimeMessage *msg, RealtimeVsn vsn)
{
  g_autofree gchar *text = realtime_codec_encode (vsn, msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (RealtimeMessage) again = NULL;

  FUZZ_ASSERT (text != NULL, "encode returned NULL");
  again = realtime_codec_decode_text (vsn, text, strlen (text), &error);
  if (!again) {
    g_autofree gchar *d = describe (msg);
    FUZZ_ASSERT (FALSE,
        "vsn %s: re-encoded frame does not decode: %s\n"
        "message: %s\nframe: %s",
        realtime_vsn_to_string (vsn), error->message, d, text);
  }
  if (!message_equal (msg, again)) {
    g_autofree gchar *d1 = describe (msg);
    g_autofree gchar *d2 = describe (again);
    FUZZ_ASSERT (FALSE,
        "vsn %s: round trip changed the message\n"
        "before: %s\nafter:  %s\nframe: %s",
        realtime_vsn_to_string (vsn), d1, d2, text);
  }
}

/* JSON text of @node for the binary encoders, which take text. json-glib
 * 1.6 writes some values as text that is not JSON (U+001F raw inside a
 * string, 1e21 as "1e+21.0"); the codec's own text encoder repairs that
 * (check_text_round_trip holds it to it), and this does the same so the
 * binary encoders are judged on valid JSON. */
static gchar *
to_json (JsonNode *node)
{
  g_autofree gchar *raw = json_to_string (node, FALSE);
  GString *out = g_string_new (NULL);
  gboolean in_string = FALSE;
  const gchar *p;

  for (p = raw; *p; p++) {
    guchar c = *p;

    if (in_string) {
      if (c == '\\' && p[1]) {
        g_string_append_c (out, c);
        g_string_append_c (out, *++p);
        continue;
      }
      if (c == '"')
        in_string = FALSE;
      if (c < 0x20)
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_c (out, c);
      continue;
    }
    if (c == '"')
      in_string = TRUE;
    g_string_append_c (out, c);
    if ((c == 'e' || c == 'E')
        && (g_ascii_isdigit (p[1]) || p[1] == '+' || p[1] == '-')) {
      if (p[1] == '+' || p[1] == '-')
        g_string_append_c (out, *++p);
      while (g_ascii_isdigit (p[1]))
        g_string_append_c (out, *++p);
      if (p[1] == '.' && p[2] == '0' && !g_ascii_isdigit (p[3]))
        p += 2;
    }
  }
  return g_string_free (out, FALSE);
}

/* A kind 3/4 user broadcast with a JSON payload, re-encoded by the binary
 * encoders, decodes to the same message (when the fields still fit). */
static void
check_binary_round_trip (const RealtimeMessage *msg, guint8 kind)
{
  JsonObject *obj;
  JsonNode *inner, *meta;
  const gchar *user_event;
  g_autofree gchar *payload_json = NULL;
  g_autofree gchar *meta_json = NULL;
  g_autoptr (GBytes) frame = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (RealtimeMessage) again = NULL;
  gsize len;
  const guint8 *data;

  FUZZ_ASSERT (JSON_NODE_HOLDS_OBJECT (msg->payload),
      "user broadcast payload is not an object");
  obj = json_node_get_object (msg->payload);
  if (json_object_has_member (obj, "encoding"))
    return; /* raw bytes: no JSON encoder for them */
  user_event = json_object_get_string_member (obj, "event");
  inner = json_object_get_member (obj, "payload");
  meta = json_object_get_member (obj, "meta");
  FUZZ_ASSERT (user_event && inner, "user broadcast without event/payload");
  payload_json = to_json (inner);
  if (meta)
    meta_json = to_json (meta);

  if (kind == REALTIME_BINARY_USER_BROADCAST_PUSH) {
    if (meta)
      return; /* the push encoder writes no metadata */
    frame = realtime_codec_encode_user_broadcast_push (msg->join_ref, msg->ref,
        msg->topic, user_event, payload_json, &error);
  } else {
    frame = realtime_codec_encode_user_broadcast (msg->topic, user_event,
        meta_json, payload_json, &error);
  }
  if (!frame) {
    /* Re-serialised metadata may outgrow its one-byte length. */
    FUZZ_ASSERT (g_error_matches (error, REALTIME_CODEC_ERROR,
                     REALTIME_CODEC_ERROR_TOO_LARGE),
        "encoder refused a decoded message: %s", error->message);
    return;
  }
  data = g_bytes_get_data (frame, &len);
  again = realtime_codec_decode_binary (data, len, &error);
  FUZZ_ASSERT (again != NULL, "re-encoded kind %u does not decode: %s", kind,
      error ? error->message : "?");
  if (!message_equal (msg, again)) {
    g_autofree gchar *d1 = describe (msg);
    g_autofree gchar *d2 = describe (again);
    FUZZ_ASSERT (FALSE,
        "kind %u round trip changed the message\n"
        "before: %s\nafter:  %s",
        kind, d1, d2);
  }
}

/* What the tree-less reader takes, the decoder delivers the same. */
static void
check_read_broadcast (RealtimeVsn vsn, gboolean binary, const void *frame,
    gsize size, const RealtimeMessage *msg)
{
  g_autoptr (RealtimeBroadcast) b
      = realtime_codec_read_broadcast (vsn, binary, frame, size);
  g_autoptr (JsonNode) tree = NULL;
  JsonObject *wrapper;
  JsonNode *inner;

  if (!b)
    return;
  FUZZ_ASSERT (msg != NULL, "a broadcast read that does not decode");
  FUZZ_ASSERT (g_strcmp0 (msg->event, "broadcast") == 0
          && g_strcmp0 (msg->topic, b->topic) == 0
          && g_strcmp0 (msg->join_ref, b->join_ref) == 0
          && JSON_NODE_HOLDS_OBJECT (msg->payload),
      "a broadcast read with another envelope than decoded");
  wrapper = json_node_get_object (msg->payload);
  FUZZ_ASSERT (g_strcmp0 (json_object_get_string_member_with_default (wrapper,
                              "event", NULL),
                   b->event)
          == 0,
      "a broadcast read with another event than decoded");
  inner = json_object_get_member (wrapper, "payload");
  tree = realtime_broadcast_dup_payload (b);
  FUZZ_ASSERT (inner ? json_node_equal (tree, inner)
                     : JSON_NODE_HOLDS_NULL (tree),
      "a broadcast read with another payload than decoded");
  FUZZ_ASSERT (strlen (b->payload_json) == b->payload_json_len,
      "payload text length");
}

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init_logging ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (RealtimeMessage) msg = NULL;
  guint8 selector;

  if (size < 1)
    return 0;
  selector = data[0] % 3;
  data++;
  size--;

  if (selector < 2) {
    RealtimeVsn vsn = selector == 0 ? REALTIME_VSN_1_0_0 : REALTIME_VSN_2_0_0;
    /* Not NUL-terminated on purpose: the codec takes a length. A heap
     * copy of exactly @size bytes lets ASan catch a read past it. */
    gchar *frame = g_memdup2 (data, size);

    msg = realtime_codec_decode_text (vsn, frame, size, &error);
    if (!msg)
      check_error (error, frame, size);
    check_read_broadcast (vsn, FALSE, frame, size, msg);
    g_free (frame);
  } else {
    guint8 *frame = g_memdup2 (data, size);

    msg = realtime_codec_decode_binary (frame, size, &error);
    if (!msg)
      check_error (error, NULL, 0);
    else if (size > 0
        && (frame[0] == REALTIME_BINARY_USER_BROADCAST_PUSH
            || frame[0] == REALTIME_BINARY_USER_BROADCAST))
      check_binary_round_trip (msg, frame[0]);
    check_read_broadcast (REALTIME_VSN_2_0_0, TRUE, frame, size, msg);
    g_free (frame);
  }

  if (msg) {
    check_decoded (msg);
    check_text_round_trip (msg, REALTIME_VSN_1_0_0);
    check_text_round_trip (msg, REALTIME_VSN_2_0_0);
  }
  return 0;
}

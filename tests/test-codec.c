/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-codec.c: the Phoenix / Supabase Realtime frame codec, on the exact
 * wire shapes of the Supabase Realtime protocol and on hostile input.
 */
#include "test-util.h"

#include <malloc.h>
#include <string.h>

#include "realtime-codec.h"

static gchar *
to_json (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

static void
assert_payload (const RealtimeMessage *msg, const gchar *expected)
{
  JsonNode *want = rt_test_json (expected);

  if (!json_node_equal (want, msg->payload)) {
    gchar *got = to_json (msg->payload);

    fail ("payload %s, expected %s", got, expected);
    g_free (got);
  }
  json_node_unref (want);
}

static RealtimeMessage *
decode_text_ok (RealtimeVsn vsn, const gchar *text)
{
  GError *error = NULL;
  RealtimeMessage *msg;

  msg = realtime_codec_decode_text (vsn, text, strlen (text), &error);
  g_assert_no_error (error);
  fail_unless (msg != NULL);
  return msg;
}

static void
assert_text_error (RealtimeVsn vsn, const gchar *data, gsize len)
{
  GError *error = NULL;
  RealtimeMessage *msg;

  msg = realtime_codec_decode_text (vsn, data, len, &error);
  fail_unless (msg == NULL, "decoded bad frame of %" G_GSIZE_FORMAT " bytes",
      len);
  g_assert_error (error, REALTIME_CODEC_ERROR, REALTIME_CODEC_ERROR_MALFORMED);
  g_error_free (error);
}

/* Refused by a guard: @code, and its short reason. */
static void
assert_text_refused (RealtimeVsn vsn, const gchar *data, gsize len, gint code)
{
  GError *error = NULL;
  RealtimeMessage *msg;

  msg = realtime_codec_decode_text (vsn, data, len, &error);
  fail_unless (msg == NULL,
      "decoded refused frame of %" G_GSIZE_FORMAT " bytes", len);
  g_assert_error (error, REALTIME_CODEC_ERROR, code);
  fail_unless (realtime_codec_error_reason (error) != NULL);
  g_error_free (error);
}

static RealtimeMessage *
decode_binary_ok (const guint8 *data, gsize len)
{
  GError *error = NULL;
  RealtimeMessage *msg;

  msg = realtime_codec_decode_binary (data, len, &error);
  g_assert_no_error (error);
  fail_unless (msg != NULL);
  return msg;
}

static void
assert_binary_error (const guint8 *data, gsize len, gint code)
{
  GError *error = NULL;
  RealtimeMessage *msg;

  msg = realtime_codec_decode_binary (data, len, &error);
  fail_unless (msg == NULL,
      "decoded bad binary frame of %" G_GSIZE_FORMAT " bytes", len);
  g_assert_error (error, REALTIME_CODEC_ERROR, code);
  g_error_free (error);
}

/* Builds a binary frame from a header and the concatenated fields. */
static GBytes *
frame (const guint8 *header, gsize header_len, const gchar *body)
{
  GByteArray *arr = g_byte_array_new ();

  g_byte_array_append (arr, header, header_len);
  g_byte_array_append (arr, (const guint8 *)body, strlen (body));
  return g_byte_array_free_to_bytes (arr);
}

GST_START_TEST (test_vsn_strings)
{
  RealtimeVsn vsn = REALTIME_VSN_1_0_0;
  GEnumClass *klass;

  fail_unless_equals_string (realtime_vsn_to_string (REALTIME_VSN_1_0_0),
      "1.0.0");
  fail_unless_equals_string (realtime_vsn_to_string (REALTIME_VSN_2_0_0),
      "2.0.0");
  fail_unless (realtime_vsn_from_string ("2.0.0", &vsn));
  fail_unless_equals_int (vsn, REALTIME_VSN_2_0_0);
  fail_unless (realtime_vsn_from_string ("1.0.0", &vsn));
  fail_unless_equals_int (vsn, REALTIME_VSN_1_0_0);
  fail_if (realtime_vsn_from_string ("3.0.0", &vsn));
  fail_if (realtime_vsn_from_string ("", &vsn));
  fail_if (realtime_vsn_from_string (NULL, &vsn));
  fail_unless_equals_int (vsn, REALTIME_VSN_1_0_0);

  klass = g_type_class_ref (REALTIME_TYPE_VSN);
  fail_unless_equals_string (g_enum_get_value (klass, REALTIME_VSN_2_0_0)
                                 ->value_nick,
      "2.0.0");
  g_type_class_unref (klass);
}

GST_END_TEST;

GST_START_TEST (test_v2_heartbeat_wire_text)
{
  RealtimeMessage *msg
      = realtime_message_new (NULL, "42", "phoenix", "heartbeat", NULL);
  gchar *text = realtime_codec_encode (REALTIME_VSN_2_0_0, msg);

  fail_unless_equals_string (text,
      "[null,\"42\",\"phoenix\",\"heartbeat\",{}]");
  g_free (text);
  realtime_message_free (msg);
}

GST_END_TEST;

GST_START_TEST (test_v2_join_wire_text)
{
  JsonNode *payload = rt_test_json ("{\"config\":{\"broadcast\":{\"ack\":false,"
                                    "\"self\":false},\"private\":false}}");
  RealtimeMessage *msg
      = realtime_message_new ("1", "1", "realtime:T", "phx_join", payload);
  gchar *text = realtime_codec_encode (REALTIME_VSN_2_0_0, msg);

  fail_unless_equals_string (text,
      "[\"1\",\"1\",\"realtime:T\",\"phx_join\","
      "{\"config\":{\"broadcast\":{\"ack\":false,\"self\":false},"
      "\"private\":false}}]");
  g_free (text);
  realtime_message_free (msg);
  json_node_unref (payload);
}

GST_END_TEST;

GST_START_TEST (test_v1_join_wire_text)
{
  JsonNode *payload = rt_test_json ("{\"config\":{\"private\":false}}");
  RealtimeMessage *msg = realtime_message_new ("3", "3", "realtime:robot-1",
      "phx_join", payload);
  gchar *text = realtime_codec_encode (REALTIME_VSN_1_0_0, msg);

  fail_unless_equals_string (text,
      "{\"topic\":\"realtime:robot-1\","
      "\"event\":\"phx_join\",\"payload\":{\"config\":{\"private\":false}},"
      "\"ref\":\"3\",\"join_ref\":\"3\"}");
  g_free (text);
  realtime_message_free (msg);
  json_node_unref (payload);
}

GST_END_TEST;

GST_START_TEST (test_v1_always_writes_ref)
{
  RealtimeMessage *msg
      = realtime_message_new (NULL, NULL, "phoenix", "heartbeat", NULL);
  gchar *text = realtime_codec_encode (REALTIME_VSN_1_0_0, msg);

  /* The server drops v1 frames without "ref"; join_ref is optional. */
  fail_unless_equals_string (text,
      "{\"topic\":\"phoenix\","
      "\"event\":\"heartbeat\",\"payload\":{},\"ref\":null}");
  g_free (text);
  realtime_message_free (msg);
}

GST_END_TEST;

GST_START_TEST (test_encode_escapes_controls)
{
  JsonNode *payload = rt_test_json ("{\"k\\u001f\":\"\\u0001\\u001f\\n\"}");
  RealtimeMessage *msg
      = realtime_message_new (NULL, NULL, "t\x1f", "e", payload);
  gchar *text = realtime_codec_encode (REALTIME_VSN_2_0_0, msg);

  /* json-glib 1.6 alone writes U+001F raw, which is not JSON. */
  fail_unless_equals_string (text,
      "[null,null,\"t\\u001f\",\"e\","
      "{\"k\\u001f\":\"\\u0001\\u001f\\n\"}]");
  g_free (text);
  realtime_message_free (msg);
  json_node_unref (payload);
}

GST_END_TEST;

static void
round_trip (RealtimeVsn vsn, const gchar *join_ref, const gchar *ref,
    const gchar *topic, const gchar *event, const gchar *payload_json)
{
  JsonNode *payload = rt_test_json (payload_json);
  RealtimeMessage *msg
      = realtime_message_new (join_ref, ref, topic, event, payload);
  gchar *text = realtime_codec_encode (vsn, msg);
  RealtimeMessage *back = decode_text_ok (vsn, text);

  fail_unless_equals_string (back->join_ref, join_ref);
  fail_unless_equals_string (back->ref, ref);
  fail_unless_equals_string (back->topic, topic);
  fail_unless_equals_string (back->event, event);
  assert_payload (back, payload_json);

  g_free (text);
  realtime_message_free (back);
  realtime_message_free (msg);
  json_node_unref (payload);
}

GST_START_TEST (test_round_trip_both_vsns)
{
  static const gchar *payloads[] = {
    "{}",
    "{\"type\":\"broadcast\",\"event\":\"start\",\"payload\":{\"a\":[1,2.5,"
    "{\"b\":[null,true,false,\"x\"]}],\"n\":-3}}",
    "{\"text\":\"h\\u00e9llo w\xc3\xb6rld \xe2\x82\xac \xf0\x9f\x98\x80\","
    "\"esc\":\"quote\\\" backslash\\\\ nl\\n tab\\t\"}",
    "[1,[2,[3,[4,[5]]]]]",
    "\"just a string\"",
    "null",
  };
  RealtimeVsn vsns[] = { REALTIME_VSN_1_0_0, REALTIME_VSN_2_0_0 };
  guint v, i;

  for (v = 0; v < G_N_ELEMENTS (vsns); v++) {
    for (i = 0; i < G_N_ELEMENTS (payloads); i++) {
      round_trip (vsns[v], NULL, NULL, "realtime:robot-1", "broadcast",
          payloads[i]);
      round_trip (vsns[v], "1", "7", "realtime:robot-1", "broadcast",
          payloads[i]);
      round_trip (vsns[v], NULL, "8",
          "realtime:r\xc3\xb6"
          "bot",
          "\xe2\x82\xac", payloads[i]);
    }
  }
}

GST_END_TEST;

GST_START_TEST (test_message_copy)
{
  JsonNode *payload = rt_test_json ("{\"a\":1}");
  RealtimeMessage *msg = realtime_message_new ("1", "2", "t", "e", payload);
  RealtimeMessage *copy;

  /* The payload is not taken: the caller still owns its reference. */
  json_node_unref (payload);
  copy = realtime_message_copy (msg);
  realtime_message_free (msg);
  fail_unless_equals_string (copy->join_ref, "1");
  fail_unless_equals_string (copy->ref, "2");
  fail_unless_equals_string (copy->topic, "t");
  fail_unless_equals_string (copy->event, "e");
  assert_payload (copy, "{\"a\":1}");
  realtime_message_free (copy);
  fail_unless (realtime_message_copy (NULL) == NULL);
  realtime_message_free (NULL);
}

GST_END_TEST;

GST_START_TEST (test_decode_reply_any_key_order)
{
  RealtimeMessage *msg;

  /* What the real server sends: keys sorted. */
  msg = decode_text_ok (REALTIME_VSN_2_0_0,
      "[null,\"5\",\"phoenix\","
      "\"phx_reply\",{\"response\":{},\"status\":\"ok\"}]");
  fail_unless (msg->join_ref == NULL);
  fail_unless_equals_string (msg->ref, "5");
  fail_unless_equals_string (msg->topic, "phoenix");
  fail_unless_equals_string (msg->event, "phx_reply");
  assert_payload (msg, "{\"status\":\"ok\",\"response\":{}}");
  realtime_message_free (msg);

  msg = decode_text_ok (REALTIME_VSN_1_0_0,
      "{\"ref\":\"5\",\"payload\":"
      "{\"status\":\"ok\",\"response\":{\"postgres_changes\":[]}},"
      "\"event\":\"phx_reply\",\"topic\":\"realtime:T\"}");
  fail_unless (msg->join_ref == NULL);
  fail_unless_equals_string (msg->ref, "5");
  fail_unless_equals_string (msg->topic, "realtime:T");
  fail_unless_equals_string (msg->event, "phx_reply");
  assert_payload (msg,
      "{\"response\":{\"postgres_changes\":[]},"
      "\"status\":\"ok\"}");
  realtime_message_free (msg);

  msg = decode_text_ok (REALTIME_VSN_1_0_0,
      " {\"join_ref\":\"1\","
      "\"event\":\"phx_close\",\"topic\":\"realtime:T\",\"ref\":\"1\","
      "\"payload\":{}} \n");
  fail_unless_equals_string (msg->join_ref, "1");
  fail_unless_equals_string (msg->ref, "1");
  realtime_message_free (msg);
}

GST_END_TEST;

GST_START_TEST (test_decode_v1_lenient_fields)
{
  RealtimeMessage *msg;

  /* No payload, no ref: an empty object and NULL. */
  msg = decode_text_ok (REALTIME_VSN_1_0_0,
      "{\"topic\":\"realtime:T\",\"event\":\"presence_diff\"}");
  fail_unless (msg->ref == NULL);
  fail_unless (msg->join_ref == NULL);
  assert_payload (msg, "{}");
  realtime_message_free (msg);

  /* Numeric refs become strings. */
  msg = decode_text_ok (REALTIME_VSN_1_0_0,
      "{\"topic\":\"t\",\"event\":\"e\","
      "\"payload\":{},\"ref\":12,\"join_ref\":null}");
  fail_unless_equals_string (msg->ref, "12");
  fail_unless (msg->join_ref == NULL);
  realtime_message_free (msg);

  msg = decode_text_ok (REALTIME_VSN_2_0_0, "[3,4,\"t\",\"e\",{}]");
  fail_unless_equals_string (msg->join_ref, "3");
  fail_unless_equals_string (msg->ref, "4");
  realtime_message_free (msg);
}

GST_END_TEST;

GST_START_TEST (test_decode_v2_rest_broadcast)
{
  RealtimeMessage *msg = decode_text_ok (REALTIME_VSN_2_0_0,
      "[null,null,\"realtime:T\",\"broadcast\",{\"event\":\"start\","
      "\"payload\":{\"x\":1},\"type\":\"broadcast\"}]");

  fail_unless (msg->join_ref == NULL);
  fail_unless (msg->ref == NULL);
  fail_unless_equals_string (msg->event, "broadcast");
  assert_payload (msg,
      "{\"type\":\"broadcast\",\"event\":\"start\","
      "\"payload\":{\"x\":1}}");
  /* Decoded payloads are mutable: a consumer may annotate them. */
  json_object_set_int_member (json_node_get_object (msg->payload), "seen", 1);
  realtime_message_free (msg);
}

GST_END_TEST;

GST_START_TEST (test_binary_push_kind0)
{
  static const guint8 header[] = { 0, 1, 10, 5 };
  GBytes *bytes
      = frame (header, sizeof (header), "7realtime:Tstart{\"go\":true}");
  RealtimeMessage *msg = decode_binary_ok (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));

  fail_unless_equals_string (msg->join_ref, "7");
  fail_unless (msg->ref == NULL);
  fail_unless_equals_string (msg->topic, "realtime:T");
  fail_unless_equals_string (msg->event, "start");
  assert_payload (msg, "{\"go\":true}");
  realtime_message_free (msg);
  g_bytes_unref (bytes);
}

GST_END_TEST;

GST_START_TEST (test_binary_reply_kind1)
{
  /* kind, jrl, rl, tl, sl, join_ref, ref, topic, status, data */
  static const guint8 header[] = { 1, 1, 2, 10, 2 };
  GBytes *bytes = frame (header, sizeof (header),
      "112realtime:Tok{\"postgres_changes\":[]}");
  RealtimeMessage *msg = decode_binary_ok (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));

  fail_unless_equals_string (msg->join_ref, "1");
  fail_unless_equals_string (msg->ref, "12");
  fail_unless_equals_string (msg->topic, "realtime:T");
  fail_unless_equals_string (msg->event, "phx_reply");
  assert_payload (msg,
      "{\"status\":\"ok\",\"response\":"
      "{\"postgres_changes\":[]}}");
  realtime_message_free (msg);
  g_bytes_unref (bytes);
}

GST_END_TEST;

GST_START_TEST (test_binary_reply_kind1_no_join_ref)
{
  /* A heartbeat reply: empty join_ref becomes NULL as in text frames. */
  static const guint8 header[] = { 1, 0, 1, 7, 5 };
  GBytes *bytes = frame (header, sizeof (header),
      "9phoenixerror{\"reason\":\"unmatched topic\"}");
  RealtimeMessage *msg = decode_binary_ok (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));

  fail_unless (msg->join_ref == NULL);
  fail_unless_equals_string (msg->ref, "9");
  assert_payload (msg,
      "{\"status\":\"error\",\"response\":"
      "{\"reason\":\"unmatched topic\"}}");
  realtime_message_free (msg);
  g_bytes_unref (bytes);
}

GST_END_TEST;

GST_START_TEST (test_binary_broadcast_kind2)
{
  /* kind, tl, el, topic, event, data */
  static const guint8 header[] = { 2, 10, 14 };
  GBytes *bytes = frame (header, sizeof (header),
      "realtime:Tpresence_state{\"u1\":{\"metas\":[]}}");
  RealtimeMessage *msg = decode_binary_ok (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));

  fail_unless (msg->join_ref == NULL);
  fail_unless (msg->ref == NULL);
  fail_unless_equals_string (msg->topic, "realtime:T");
  fail_unless_equals_string (msg->event, "presence_state");
  assert_payload (msg, "{\"u1\":{\"metas\":[]}}");
  realtime_message_free (msg);
  g_bytes_unref (bytes);
}

GST_END_TEST;

GST_START_TEST (test_binary_user_broadcast_kind4)
{
  /* kind, tl, uel, ml, enc, topic, user_event, meta, payload */
  static const guint8 header[] = { 4, 16, 5, 0, 1 };
  GBytes *bytes = frame (header, sizeof (header),
      "realtime:robot-1start{\"speed\":2,\"tags\":[\"a\"]}");
  RealtimeMessage *msg = decode_binary_ok (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));

  fail_unless (msg->join_ref == NULL);
  fail_unless (msg->ref == NULL);
  fail_unless_equals_string (msg->topic, "realtime:robot-1");
  fail_unless_equals_string (msg->event, "broadcast");
  assert_payload (msg,
      "{\"type\":\"broadcast\",\"event\":\"start\","
      "\"payload\":{\"speed\":2,\"tags\":[\"a\"]}}");
  fail_if (
      json_object_has_member (json_node_get_object (msg->payload), "meta"));
  realtime_message_free (msg);
  g_bytes_unref (bytes);
}

GST_END_TEST;

GST_START_TEST (test_binary_user_broadcast_kind4_meta)
{
  static const guint8 header[] = { 4, 10, 4, 29, 1 };
  GBytes *bytes = frame (header, sizeof (header),
      "realtime:Tstop{\"id\":\"abc\",\"replayed\":false}{}");
  RealtimeMessage *msg = decode_binary_ok (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));

  assert_payload (msg,
      "{\"type\":\"broadcast\",\"event\":\"stop\","
      "\"payload\":{},\"meta\":{\"id\":\"abc\",\"replayed\":false}}");
  realtime_message_free (msg);
  g_bytes_unref (bytes);
}

GST_END_TEST;

GST_START_TEST (test_binary_user_broadcast_kind4_raw)
{
  static const guint8 bytes[]
      = { 4, 1, 3, 0, 0, 'T', 'r', 'a', 'w', 0x00, 0xff, 0x10, '{' };
  RealtimeMessage *msg = decode_binary_ok (bytes, sizeof (bytes));
  gchar *b64 = g_base64_encode (bytes + 9, 4);
  gchar *expected = g_strdup_printf ("{\"type\":\"broadcast\","
                                     "\"event\":\"raw\",\"payload\":\"%s\","
                                     "\"encoding\":\"base64\"}",
      b64);

  assert_payload (msg, expected);
  realtime_message_free (msg);
  g_free (expected);
  g_free (b64);
}

GST_END_TEST;

GST_START_TEST (test_binary_kind3_encoder_layout)
{
  GError *error = NULL;
  GBytes *bytes = realtime_codec_encode_user_broadcast_push ("1", "23",
      "realtime:T", "start", "{\"a\":1}", &error);
  static const guint8 header[] = { 3, 1, 2, 10, 5, 0, 1 };
  const guint8 *data;
  gsize len;

  g_assert_no_error (error);
  data = g_bytes_get_data (bytes, &len);
  fail_unless_equals_int (len, sizeof (header) + 1 + 2 + 10 + 5 + 7);
  fail_unless (memcmp (data, header, sizeof (header)) == 0);
  fail_unless (memcmp (data + sizeof (header), "123realtime:Tstart{\"a\":1}",
                   len - sizeof (header))
      == 0);
  g_bytes_unref (bytes);
}

GST_END_TEST;

GST_START_TEST (test_binary_kind3_round_trip)
{
  GError *error = NULL;
  GBytes *bytes
      = realtime_codec_encode_user_broadcast_push ("4", "9", "realtime:robot-1",
          "st\xc3\xa4rt", "{\"n\":[1,{\"b\":\"\xe2\x82\xac\"}]}", &error);
  RealtimeMessage *msg;

  g_assert_no_error (error);
  msg = decode_binary_ok (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));
  fail_unless_equals_string (msg->join_ref, "4");
  fail_unless_equals_string (msg->ref, "9");
  fail_unless_equals_string (msg->topic, "realtime:robot-1");
  fail_unless_equals_string (msg->event, "broadcast");
  assert_payload (msg,
      "{\"type\":\"broadcast\",\"event\":\"st\xc3\xa4rt\","
      "\"payload\":{\"n\":[1,{\"b\":\"\xe2\x82\xac\"}]}}");
  realtime_message_free (msg);
  g_bytes_unref (bytes);

  /* Without refs, as realtime-js sends them before a join. */
  bytes = realtime_codec_encode_user_broadcast_push (NULL, NULL, "t", "e", "[]",
      &error);
  g_assert_no_error (error);
  msg = decode_binary_ok (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));
  fail_unless (msg->join_ref == NULL);
  fail_unless (msg->ref == NULL);
  realtime_message_free (msg);
  g_bytes_unref (bytes);
}

GST_END_TEST;

GST_START_TEST (test_binary_kind4_round_trip)
{
  GError *error = NULL;
  GBytes *bytes = realtime_codec_encode_user_broadcast ("realtime:T", "stop",
      "{\"id\":\"m1\"}", "{\"why\":\"done\"}", &error);
  RealtimeMessage *msg;

  g_assert_no_error (error);
  msg = decode_binary_ok (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));
  fail_unless_equals_string (msg->topic, "realtime:T");
  fail_unless_equals_string (msg->event, "broadcast");
  assert_payload (msg,
      "{\"type\":\"broadcast\",\"event\":\"stop\","
      "\"payload\":{\"why\":\"done\"},\"meta\":{\"id\":\"m1\"}}");
  realtime_message_free (msg);
  g_bytes_unref (bytes);

  bytes = realtime_codec_encode_user_broadcast ("realtime:T", "stop", NULL,
      "{}", &error);
  g_assert_no_error (error);
  fail_unless_equals_int (((const guint8 *)g_bytes_get_data (bytes, NULL))[3],
      0);
  msg = decode_binary_ok (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));
  assert_payload (msg,
      "{\"type\":\"broadcast\",\"event\":\"stop\","
      "\"payload\":{}}");
  realtime_message_free (msg);
  g_bytes_unref (bytes);
}

GST_END_TEST;

GST_START_TEST (test_binary_encoders_too_large)
{
  GError *error = NULL;
  gchar *big = g_strnfill (256, 'x');
  gchar *max = g_strnfill (255, 'y');
  GBytes *bytes;
  RealtimeMessage *msg;

  fail_unless (realtime_codec_encode_user_broadcast_push (big, "1", "t", "e",
                   "{}", &error)
      == NULL);
  g_assert_error (error, REALTIME_CODEC_ERROR, REALTIME_CODEC_ERROR_TOO_LARGE);
  g_clear_error (&error);
  fail_unless (realtime_codec_encode_user_broadcast_push ("1", big, "t", "e",
                   "{}", &error)
      == NULL);
  g_assert_error (error, REALTIME_CODEC_ERROR, REALTIME_CODEC_ERROR_TOO_LARGE);
  g_clear_error (&error);
  fail_unless (realtime_codec_encode_user_broadcast_push ("1", "1", big, "e",
                   "{}", &error)
      == NULL);
  g_assert_error (error, REALTIME_CODEC_ERROR, REALTIME_CODEC_ERROR_TOO_LARGE);
  g_clear_error (&error);
  fail_unless (realtime_codec_encode_user_broadcast_push ("1", "1", "t", big,
                   "{}", &error)
      == NULL);
  g_assert_error (error, REALTIME_CODEC_ERROR, REALTIME_CODEC_ERROR_TOO_LARGE);
  g_clear_error (&error);
  fail_unless (
      realtime_codec_encode_user_broadcast (big, "e", NULL, "{}", &error)
      == NULL);
  g_assert_error (error, REALTIME_CODEC_ERROR, REALTIME_CODEC_ERROR_TOO_LARGE);
  g_clear_error (&error);
  fail_unless (
      realtime_codec_encode_user_broadcast ("t", big, NULL, "{}", &error)
      == NULL);
  g_assert_error (error, REALTIME_CODEC_ERROR, REALTIME_CODEC_ERROR_TOO_LARGE);
  g_clear_error (&error);

  /* 255 bytes is the largest a length byte holds, and fits. */
  bytes = realtime_codec_encode_user_broadcast (max, max, NULL, "{}", &error);
  g_assert_no_error (error);
  msg = decode_binary_ok (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));
  fail_unless_equals_string (msg->topic, max);
  realtime_message_free (msg);
  g_bytes_unref (bytes);

  /* The payload is not length-limited, but must be JSON. */
  fail_unless (
      realtime_codec_encode_user_broadcast ("t", "e", NULL, "{x", &error)
      == NULL);
  g_assert_error (error, REALTIME_CODEC_ERROR, REALTIME_CODEC_ERROR_MALFORMED);
  g_clear_error (&error);

  g_free (big);
  g_free (max);
}

GST_END_TEST;

GST_START_TEST (test_text_hostile)
{
  static const gchar *v1_bad[] = {
    "",
    " ",
    "not json",
    "{",
    "}",
    "[]",
    "null",
    "42",
    "\"str\"",
    "{\"topic\":1,\"event\":\"e\",\"ref\":null}",
    "{\"event\":\"e\",\"ref\":null}",
    "{\"topic\":\"t\",\"ref\":null}",
    "{\"topic\":\"t\",\"event\":null,\"ref\":null}",
    "{\"topic\":\"t\",\"event\":[],\"ref\":null}",
    "{\"topic\":\"t\",\"event\":\"e\",\"ref\":{}}",
    "{\"topic\":\"t\",\"event\":\"e\",\"ref\":true}",
    "{\"topic\":\"t\",\"event\":\"e\",\"ref\":1.5}",
    "{\"topic\":\"t\",\"event\":\"e\",\"join_ref\":[]}",
    "{\"topic\":\"t\",\"event\":\"e\",\"payload\":{}",
    "{\"topic\":\"t\",\"event\":\"e\"} {}",
    "{\"topic\":\"t\",\"event\":\"e\"},",
    "/* c */ {\"topic\":\"t\",\"event\":\"e\"}",
    "{'topic':'t','event':'e'}",
    "{topic:\"t\",event:\"e\"}",
    "{\"topic\":\"t\",\"event\":\"e\",\"payload\":[1,]}",
    "{\"topic\":\"t\",\"event\":\"e\",\"payload\":01}",
    "{\"topic\":\"t\",\"event\":\"e\",\"payload\":\"\\x41\"}",
    "{\"topic\":\"t\",\"event\":\"e\",\"payload\":\"tab\there\"}",
    "{\"topic\":\"t\xff\",\"event\":\"e\"}",
    "{\"topic\":\"t\xc0\xaf\",\"event\":\"e\"}",
    "[null,null,\"t\",\"e\",{}]",
  };
  static const gchar *v2_bad[] = {
    "",
    "[",
    "{}",
    "[null,null,\"t\",\"e\"]",
    "[null,null,\"t\",\"e\",{},{}]",
    "[null,null,1,\"e\",{}]",
    "[null,null,\"t\",2,{}]",
    "[null,null,null,\"e\",{}]",
    "[{},null,\"t\",\"e\",{}]",
    "[null,false,\"t\",\"e\",{}]",
    "[null,null,\"t\",\"e\",{}",
    "[null,null,\"t\",\"e\",{}]]",
    "[null,null,\"t\xed\xa0\x80\",\"e\",{}]",
    "{\"topic\":\"t\",\"event\":\"e\",\"ref\":null}",
  };
  const gchar with_nul[] = "[null,null,\"t\",\"e\",{}]\0garbage";
  guint i;

  for (i = 0; i < G_N_ELEMENTS (v1_bad); i++)
    assert_text_error (REALTIME_VSN_1_0_0, v1_bad[i], strlen (v1_bad[i]));
  for (i = 0; i < G_N_ELEMENTS (v2_bad); i++)
    assert_text_error (REALTIME_VSN_2_0_0, v2_bad[i], strlen (v2_bad[i]));
  assert_text_error (REALTIME_VSN_2_0_0, with_nul, sizeof (with_nul) - 1);
  assert_text_error (REALTIME_VSN_2_0_0, NULL, 0);
}

GST_END_TEST;

static gchar *
nested (gchar open, gchar close, guint depth, const gchar *inner)
{
  GString *s = g_string_new ("[null,null,\"t\",\"e\",");
  guint i;

  for (i = 0; i < depth; i++) {
    g_string_append_c (s, open);
    if (open == '{')
      g_string_append (s, "\"k\":");
  }
  g_string_append (s, inner);
  for (i = 0; i < depth; i++)
    g_string_append_c (s, close);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

GST_START_TEST (test_text_deep_nesting)
{
  gchar *text;
  gchar *brackets;
  RealtimeMessage *msg;

  /* Would overflow the stack of a recursive parser. */
  text = g_strnfill (100000, '[');
  assert_text_refused (REALTIME_VSN_2_0_0, text, strlen (text),
      REALTIME_CODEC_ERROR_TOO_DEEP);
  assert_text_refused (REALTIME_VSN_1_0_0, text, strlen (text),
      REALTIME_CODEC_ERROR_TOO_DEEP);
  g_free (text);
  text = nested ('[', ']', 100000, "1");
  assert_text_refused (REALTIME_VSN_2_0_0, text, strlen (text),
      REALTIME_CODEC_ERROR_TOO_DEEP);
  g_free (text);
  text = nested ('{', '}', 100000, "1");
  assert_text_refused (REALTIME_VSN_2_0_0, text, strlen (text),
      REALTIME_CODEC_ERROR_TOO_DEEP);
  g_free (text);

  /* Just over and just under the limit of 64 levels, the frame counted. */
  text = nested ('[', ']', 64, "1");
  assert_text_refused (REALTIME_VSN_2_0_0, text, strlen (text),
      REALTIME_CODEC_ERROR_TOO_DEEP);
  g_free (text);
  text = nested ('[', ']', 63, "1");
  msg = decode_text_ok (REALTIME_VSN_2_0_0, text);
  realtime_message_free (msg);
  g_free (text);

  /* Brackets inside strings are not nesting. */
  brackets = g_strnfill (100000, '[');
  text = g_strdup_printf ("[null,null,\"t\",\"e\",{\"s\":\"%s\\\"[\"}]",
      brackets);
  msg = decode_text_ok (REALTIME_VSN_2_0_0, text);
  fail_unless_equals_int (strlen (
                              json_object_get_string_member (json_node_get_object (
                                                                 msg->payload),
                                  "s")),
      100002);
  realtime_message_free (msg);
  g_free (text);
  g_free (brackets);
}

GST_END_TEST;

GST_START_TEST (test_text_huge_strings)
{
  gsize n = 4 * 1024 * 1024;
  gchar *big = g_strnfill (n, 'a');
  gchar *text;
  RealtimeMessage *msg;

  /* Text frames carry no length bytes: a big string is legal... */
  text = g_strdup_printf ("[null,null,\"%s\",\"e\",{\"s\":\"%s\"}]", big, big);
  msg = decode_text_ok (REALTIME_VSN_2_0_0, text);
  fail_unless_equals_int (strlen (msg->topic), n);
  realtime_message_free (msg);
  g_free (text);

  /* ...but one left open fails cleanly, and the error quotes only a
   * short prefix of the frame. */
  text = g_strdup_printf ("[null,null,\"t\",\"e\",{\"s\":\"%s", big);
  {
    GError *error = NULL;

    msg = realtime_codec_decode_text (REALTIME_VSN_2_0_0, text, strlen (text),
        &error);
    fail_unless (msg == NULL);
    g_assert_error (error, REALTIME_CODEC_ERROR,
        REALTIME_CODEC_ERROR_MALFORMED);
    fail_unless (strlen (error->message) < 200, "%s", error->message);
    g_error_free (error);
  }
  g_free (text);
  g_free (big);
}

GST_END_TEST;

GST_START_TEST (test_error_does_not_echo_secrets)
{
  GError *error = NULL;
  const gchar *frames[] = {
    "[\"" RT_TEST_TOKEN "\",null,\"t\",\"e\",{}",
    "{\"access_token\":\"" RT_TEST_TOKEN "\"}",
    "{\"topic\":\"t\",\"event\":\"e\",\"payload\":{\"access_token\":"
    "\"" RT_TEST_TOKEN "\"},\"ref\":[]}",
    "\x01\x02\"\\\n" RT_TEST_API_KEY,
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (frames); i++) {
    fail_unless (realtime_codec_decode_text (REALTIME_VSN_1_0_0, frames[i],
                     strlen (frames[i]), &error)
        == NULL);
    fail_unless (error != NULL);
    fail_if (strstr (error->message, "5ecret"), "%s", error->message);
    /* The quoted prefix is escaped: no raw control characters. */
    fail_if (strchr (error->message, '\n'), "%s", error->message);
    fail_if (strchr (error->message, '\x01'), "%s", error->message);
    g_clear_error (&error);
  }
}

GST_END_TEST;

/* Valid frames of every binary kind, all with JSON data, so no proper
 * prefix of any of them is a valid frame. */
static GPtrArray *
valid_binary_frames (void)
{
  GPtrArray *frames
      = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  static const guint8 h0[] = { 0, 1, 1, 1 };
  static const guint8 h1[] = { 1, 1, 1, 1, 2 };
  static const guint8 h2[] = { 2, 1, 1 };
  static const guint8 h4[] = { 4, 1, 1, 2, 1 };

  g_ptr_array_add (frames, frame (h0, sizeof (h0), "jte{\"a\":1}"));
  g_ptr_array_add (frames, frame (h1, sizeof (h1), "jrtok{\"a\":[]}"));
  g_ptr_array_add (frames, frame (h2, sizeof (h2), "te{\"a\":\"b\"}"));
  g_ptr_array_add (frames,
      realtime_codec_encode_user_broadcast_push ("1", "2", "realtime:T",
          "start", "{\"x\":[1,2,{\"y\":null}]}", NULL));
  g_ptr_array_add (frames, frame (h4, sizeof (h4), "te{}{\"p\":1}"));
  return frames;
}

GST_START_TEST (test_binary_truncated_every_length)
{
  GPtrArray *frames = valid_binary_frames ();
  guint i;
  gsize n;

  for (i = 0; i < frames->len; i++) {
    gsize len;
    const guint8 *data = g_bytes_get_data (g_ptr_array_index (frames, i), &len);
    RealtimeMessage *msg = decode_binary_ok (data, len);

    realtime_message_free (msg);
    for (n = 0; n < len; n++) {
      /* A copy of exactly n bytes, so valgrind sees any over-read. */
      guint8 *copy = g_memdup2 (data, n);

      assert_binary_error (copy, n, REALTIME_CODEC_ERROR_MALFORMED);
      g_free (copy);
    }
  }
  g_ptr_array_unref (frames);
}

GST_END_TEST;

GST_START_TEST (test_binary_lengths_past_end)
{
  static const guint8 f0[] = { 0, 255, 1, 1, 'a', 'b', 'c', '{', '}' };
  static const guint8 f1[] = { 1, 1, 1, 1, 200, 'j', 'r', 't', 'o', 'k' };
  static const guint8 f2[] = { 2, 3, 250, 't', 'o', 'p', 'e' };
  static const guint8 f3[] = { 3, 0, 0, 1, 1, 255, 1, 't', 'e', '{', '}' };
  static const guint8 f4[] = { 4, 1, 1, 255, 1, 't', 'e', '{', '}' };
  static const guint8 f4b[] = { 4, 255, 255, 255, 1 };

  assert_binary_error (f0, sizeof (f0), REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (f1, sizeof (f1), REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (f2, sizeof (f2), REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (f3, sizeof (f3), REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (f4, sizeof (f4), REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (f4b, sizeof (f4b), REALTIME_CODEC_ERROR_MALFORMED);
}

GST_END_TEST;

GST_START_TEST (test_binary_unknown_kind)
{
  static const guint8 k5[] = { 5, 1, 1, 't', 'e', '{', '}' };
  static const guint8 k255[] = { 255 };

  assert_binary_error (k5, sizeof (k5), REALTIME_CODEC_ERROR_UNSUPPORTED);
  assert_binary_error (k255, sizeof (k255), REALTIME_CODEC_ERROR_UNSUPPORTED);
  assert_binary_error (k255, 0, REALTIME_CODEC_ERROR_MALFORMED);
}

GST_END_TEST;

GST_START_TEST (test_binary_bad_content)
{
  /* Invalid UTF-8 in each string field. */
  static const guint8 topic[] = { 2, 1, 1, 0xff, 'e', '{', '}' };
  static const guint8 event[] = { 4, 1, 1, 0, 1, 't', 0xc0, '{', '}' };
  static const guint8 status[] = { 1, 0, 0, 1, 2, 't', 'o', 0x80, '{', '}' };
  static const guint8 join_ref[] = { 0, 1, 1, 1, 0xfe, 't', 'e', '{', '}' };
  static const guint8 ref[] = { 3, 0, 1, 1, 1, 0, 1, 0xed, 't', 'e', '{', '}' };
  static const guint8 nul[] = { 2, 2, 1, 't', 0, 'e', '{', '}' };
  /* Bad JSON data, meta and encoding. */
  static const guint8 data[] = { 2, 1, 1, 't', 'e', '{' };
  static const guint8 empty_data[] = { 2, 1, 1, 't', 'e' };
  static const guint8 bad_utf8_data[] = { 2, 1, 1, 't', 'e', '"', 0xff, '"' };
  static const guint8 meta[] = { 4, 1, 1, 2, 1, 't', 'e', '{', '[', '{', '}' };
  static const guint8 enc[] = { 4, 1, 1, 0, 2, 't', 'e', '{', '}' };
  static const guint8 enc3[] = { 3, 0, 0, 1, 1, 0, 7, 't', 'e', '{', '}' };
  static const guint8 trailing[] = { 2, 1, 1, 't', 'e', '{', '}', '{', '}' };

  assert_binary_error (topic, sizeof (topic), REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (event, sizeof (event), REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (status, sizeof (status), REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (join_ref, sizeof (join_ref),
      REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (ref, sizeof (ref), REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (nul, sizeof (nul), REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (data, sizeof (data), REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (empty_data, sizeof (empty_data),
      REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (bad_utf8_data, sizeof (bad_utf8_data),
      REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (meta, sizeof (meta), REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (enc, sizeof (enc), REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (enc3, sizeof (enc3), REALTIME_CODEC_ERROR_MALFORMED);
  assert_binary_error (trailing, sizeof (trailing),
      REALTIME_CODEC_ERROR_MALFORMED);
}

GST_END_TEST;

GST_START_TEST (test_binary_deep_nesting)
{
  GByteArray *arr = g_byte_array_new ();
  static const guint8 header[] = { 4, 1, 1, 0, 1, 't', 'e' };
  gchar *deep = g_strnfill (100000, '[');

  g_byte_array_append (arr, header, sizeof (header));
  g_byte_array_append (arr, (const guint8 *)deep, strlen (deep));
  assert_binary_error (arr->data, arr->len, REALTIME_CODEC_ERROR_TOO_DEEP);
  g_byte_array_unref (arr);
  g_free (deep);
}

GST_END_TEST;

/* If a frame decodes, the message must encode to a frame that decodes to
 * the same message: what the gateway relays stays valid. */
static void
check_reencodes (const RealtimeMessage *msg)
{
  RealtimeVsn vsn;

  for (vsn = REALTIME_VSN_1_0_0; vsn <= REALTIME_VSN_2_0_0; vsn++) {
    GError *error = NULL;
    gchar *text = realtime_codec_encode (vsn, msg);
    RealtimeMessage *back
        = realtime_codec_decode_text (vsn, text, strlen (text), &error);

    g_assert_no_error (error);
    fail_unless_equals_string (back->topic, msg->topic);
    fail_unless_equals_string (back->event, msg->event);
    fail_unless_equals_string (back->ref, msg->ref);
    fail_unless (json_node_equal (back->payload, msg->payload));
    realtime_message_free (back);
    g_free (text);
  }
}

static void
mutate (GRand *rand, GByteArray *buf)
{
  guint n = g_rand_int_range (rand, 1, 4);
  guint i;

  for (i = 0; i < n; i++) {
    guint op = g_rand_int_range (rand, 0, 6);
    guint pos = buf->len ? g_rand_int_range (rand, 0, buf->len) : 0;
    static const guint8 interesting[] = { 0, 1, 2, 3, 4, 5, 0x7f, 0x80, 0xc0,
      0xff, '[', ']', '{', '}', '"', '\\', ',', ':', '0', 'e', '-', 'n' };

    switch (op) {
      case 0: /* flip a bit */
        if (buf->len)
          buf->data[pos] ^= 1 << g_rand_int_range (rand, 0, 8);
        break;
      case 1: /* set an interesting byte */
        if (buf->len)
          buf->data[pos] = interesting[g_rand_int_range (rand, 0,
              G_N_ELEMENTS (interesting))];
        break;
      case 2: /* insert a byte */
      {
        g_byte_array_set_size (buf, buf->len + 1);
        memmove (buf->data + pos + 1, buf->data + pos, buf->len - pos - 1);
        buf->data[pos] = g_rand_int_range (rand, 0, 256);
      } break;
      case 3: /* delete a byte */
        if (buf->len)
          g_byte_array_remove_index (buf, pos);
        break;
      case 4: /* truncate */
        g_byte_array_set_size (buf, pos);
        break;
      default: /* random length byte */
        if (buf->len > 1)
          buf->data[g_rand_int_range (rand, 0, MIN (buf->len, 7))]
              = g_rand_int_range (rand, 0, 256);
        break;
    }
  }
}

GST_START_TEST (test_random_mutations)
{
  static const gchar *texts[] = {
    "[null,\"1\",\"phoenix\",\"heartbeat\",{}]",
    "[\"1\",\"1\",\"realtime:T\",\"phx_reply\",{\"response\":"
    "{\"postgres_changes\":[]},\"status\":\"ok\"}]",
    "[null,null,\"realtime:T\",\"broadcast\",{\"event\":\"start\","
    "\"payload\":{\"a\":[1,2.5e3,-0.5,true,false,null,\"\\u00e9\"]},"
    "\"type\":\"broadcast\"}]",
    "{\"topic\":\"realtime:T\",\"event\":\"phx_reply\",\"payload\":"
    "{\"status\":\"ok\",\"response\":{}},\"ref\":\"2\",\"join_ref\":\"1\"}",
  };
  GPtrArray *binaries = valid_binary_frames ();
  GRand *rand = g_rand_new_with_seed (20260821);
  guint iter, decoded = 0;

  for (iter = 0; iter < 20000; iter++) {
    GByteArray *buf = g_byte_array_new ();
    gboolean binary = iter % 2;
    RealtimeMessage *msg;
    GError *error = NULL;
    guint8 *exact;

    if (binary) {
      gsize len;
      const guint8 *data
          = g_bytes_get_data (g_ptr_array_index (binaries,
                                  g_rand_int_range (rand, 0, binaries->len)),
              &len);

      g_byte_array_append (buf, data, len);
    } else {
      const gchar *t = texts[g_rand_int_range (rand, 0, G_N_ELEMENTS (texts))];

      g_byte_array_append (buf, (const guint8 *)t, strlen (t));
    }
    mutate (rand, buf);
    /* An exact-size copy, so valgrind catches any over-read. */
    exact = g_memdup2 (buf->data, buf->len);

    if (binary)
      msg = realtime_codec_decode_binary (exact, buf->len, &error);
    else
      msg = realtime_codec_decode_text (iter % 4 == 0 ? REALTIME_VSN_2_0_0
                                                      : REALTIME_VSN_1_0_0,
          (const gchar *)exact, buf->len, &error);
    fail_unless ((msg == NULL) == (error != NULL));
    if (msg) {
      decoded++;
      check_reencodes (msg);
      realtime_message_free (msg);
    } else {
      fail_unless (error->domain == REALTIME_CODEC_ERROR);
      g_error_free (error);
    }
    g_free (exact);
    g_byte_array_unref (buf);
  }
  /* The mutations must leave some frames valid, or the loop tests only the
   * first check. */
  fail_unless (decoded > 100, "only %u mutated frames decoded", decoded);
  g_rand_free (rand);
  g_ptr_array_unref (binaries);
}

GST_END_TEST;

/* json-glib would cut "a\u0000b" to "a": such frames are refused, while
 * other escapes still decode. */
GST_START_TEST (test_nul_escape_refused)
{
  static const gchar bad[]
      = "[null,null,\"realtime:t\",\"broadcast\",{\"event\":\"a\\u0000b\"}]";
  static const gchar good[]
      = "[null,null,\"realtime:t\",\"broadcast\",{\"event\":\"a\\u0041b\"}]";
  GError *error = NULL;
  RealtimeMessage *msg;

  msg = realtime_codec_decode_text (REALTIME_VSN_2_0_0, bad, strlen (bad),
      &error);
  fail_unless (msg == NULL);
  fail_unless (g_error_matches (error, REALTIME_CODEC_ERROR,
      REALTIME_CODEC_ERROR_NUL_CHARACTER));
  fail_unless_equals_string (realtime_codec_error_reason (error),
      "NUL character in a string");
  g_clear_error (&error);

  msg = realtime_codec_decode_text (REALTIME_VSN_2_0_0, good, strlen (good),
      &error);
  g_assert_no_error (error);
  fail_unless_equals_string (json_object_get_string_member (json_node_get_object (
                                                                msg->payload),
                                 "event"),
      "aAb");
  realtime_message_free (msg);
}

GST_END_TEST;

/* An object or array with more than 4096 members is refused before
 * json-glib builds it: bounded memory per frame. */
GST_START_TEST (test_too_many_members_refused)
{
  GString *ok = g_string_new ("[null,null,\"realtime:t\",\"x\",{");
  GString *bad;
  GError *error = NULL;
  RealtimeMessage *msg;
  guint i;

  for (i = 0; i < 4096; i++)
    g_string_append_printf (ok, "%s\"k%u\":0", i ? "," : "", i);
  bad = g_string_new (ok->str);
  g_string_append (ok, "}]");
  g_string_append (bad, ",\"k4096\":0}]");

  msg = realtime_codec_decode_text (REALTIME_VSN_2_0_0, ok->str, ok->len,
      &error);
  g_assert_no_error (error);
  realtime_message_free (msg);
  msg = realtime_codec_decode_text (REALTIME_VSN_2_0_0, bad->str, bad->len,
      &error);
  fail_unless (msg == NULL);
  fail_unless (g_error_matches (error, REALTIME_CODEC_ERROR,
      REALTIME_CODEC_ERROR_TOO_MANY_MEMBERS));
  fail_unless_equals_string (realtime_codec_error_reason (error),
      "too many members");
  g_clear_error (&error);
  g_string_free (ok, TRUE);
  g_string_free (bad, TRUE);
}

GST_END_TEST;

/* Every guard's refusal has its own code and short, stable reason, in
 * text frames of both versions and in binary payloads; plain syntax
 * errors are no refusal. */
GST_START_TEST (test_refusal_reasons)
{
  static const struct
  {
    const gchar *payload;
    gint code;
    const gchar *reason;
  } cases[] = {
    { "{\"s\":\"a\\u0000b\"}", REALTIME_CODEC_ERROR_NUL_CHARACTER,
        "NUL character in a string" },
    { "{\"s\":\"\\ud800\"}", REALTIME_CODEC_ERROR_INVALID_ESCAPE,
        "invalid escape" },
    { "{\"s\":\"\\udc00\"}", REALTIME_CODEC_ERROR_INVALID_ESCAPE,
        "invalid escape" },
    { "{\"s\":\"\\ud800\\u0041\"}", REALTIME_CODEC_ERROR_INVALID_ESCAPE,
        "invalid escape" },
    { "{\"ttl\":18446744073709552000}",
        REALTIME_CODEC_ERROR_NUMBER_OUT_OF_RANGE, "number out of range" },
    { "{\"port\":1e999}", REALTIME_CODEC_ERROR_NUMBER_OUT_OF_RANGE,
        "number out of range" },
    { "{\"port\":-1e999}", REALTIME_CODEC_ERROR_NUMBER_OUT_OF_RANGE,
        "number out of range" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *v2
        = g_strdup_printf ("[null,null,\"realtime:t\","
                           "\"broadcast\",{\"event\":\"start\","
                           "\"payload\":%s}]",
            cases[i].payload);
    g_autofree gchar *v1
        = g_strdup_printf ("{\"topic\":\"realtime:t\",\"event\":\"broadcast\","
                           "\"payload\":{\"event\":\"start\",\"payload\":%s},"
                           "\"ref\":null}",
            cases[i].payload);
    g_autoptr (GByteArray) bin = g_byte_array_new ();
    static const guint8 header[]
        = { 4, 1, 5, 0, 1, 't', 's', 't', 'a', 'r', 't' };
    GError *error = NULL;

    assert_text_refused (REALTIME_VSN_2_0_0, v2, strlen (v2), cases[i].code);
    assert_text_refused (REALTIME_VSN_1_0_0, v1, strlen (v1), cases[i].code);
    realtime_codec_decode_text (REALTIME_VSN_2_0_0, v2, strlen (v2), &error);
    fail_unless_equals_string (realtime_codec_error_reason (error),
        cases[i].reason);
    g_clear_error (&error);

    g_byte_array_append (bin, header, sizeof header);
    g_byte_array_append (bin, (const guint8 *)cases[i].payload,
        strlen (cases[i].payload));
    assert_binary_error (bin->data, bin->len, cases[i].code);
  }

  /* Syntax is not a refusal, nor is any other codec error. */
  {
    GError *error = NULL;

    realtime_codec_decode_text (REALTIME_VSN_2_0_0, "[1,", 3, &error);
    g_assert_error (error, REALTIME_CODEC_ERROR,
        REALTIME_CODEC_ERROR_MALFORMED);
    fail_unless (realtime_codec_error_reason (error) == NULL);
    g_clear_error (&error);
    g_set_error_literal (&error, G_IO_ERROR, REALTIME_CODEC_ERROR_TOO_DEEP,
        "x");
    fail_unless (realtime_codec_error_reason (error) == NULL);
    g_clear_error (&error);
    fail_unless (realtime_codec_error_reason (NULL) == NULL);
  }
}

GST_END_TEST;

static RealtimeRefusedBroadcast *
peek (RealtimeVsn vsn, const gchar *text)
{
  return realtime_codec_peek_refused (vsn, FALSE, text, strlen (text), "why");
}

static void
assert_peeked (RealtimeRefusedBroadcast *r, const gchar *topic,
    const gchar *event, const gchar *request_id, const gchar *pipeline)
{
  fail_unless (r != NULL, "nothing read");
  fail_unless_equals_string (r->topic, topic);
  fail_unless_equals_string (r->event, event);
  fail_unless_equals_string (r->request_id, request_id);
  fail_unless_equals_string (r->pipeline, pipeline);
  fail_unless_equals_string (r->reason, "why");
  realtime_refused_broadcast_free (r);
}

/* The envelope of a refused broadcast is read whatever the refused part
 * is, in both text versions (members in any order) and binary kinds 2 and
 * 4; request_id and pipeline only when plain strings. */
GST_START_TEST (test_peek_refused_envelope)
{
  GString *deep = g_string_new ("[null,null,\"realtime:t\",\"broadcast\","
                                "{\"event\":\"start\",\"payload\":{"
                                "\"request_id\":\"r1\",\"params\":");
  RealtimeRefusedBroadcast *r;
  guint i;

  assert_peeked (peek (REALTIME_VSN_2_0_0,
                     "[null,null,\"realtime:t\",\"broadcast\",{\"type\":"
                     "\"broadcast\",\"event\":\"start\",\"payload\":{"
                     "\"pipeline\":\"cam\",\"x\":\"a\\u0000\",\"request_id\":"
                     "\"r1\"}}]"),
      "realtime:t", "start", "r1", "cam");
  /* vsn 1.0.0 as the service writes it: keys sorted, topic last. */
  assert_peeked (peek (REALTIME_VSN_1_0_0,
                     "{\"event\":\"broadcast\",\"payload\":{\"event\":\"stop\","
                     "\"payload\":{\"request_id\":\"r2\",\"ttl\":1e999},"
                     "\"type\":\"broadcast\"},\"ref\":null,\"topic\":"
                     "\"realtime:t\"}"),
      "realtime:t", "stop", "r2", NULL);
  /* Unreadable: escaped, not a string, refused itself, too long. */
  assert_peeked (peek (REALTIME_VSN_2_0_0,
                     "[null,null,\"realtime:t\",\"broadcast\",{\"event\":"
                     "\"start\",\"payload\":{\"request_id\":\"a\\u0000b\","
                     "\"pipeline\":[\"cam\"]}}]"),
      "realtime:t", "start", NULL, NULL);
  assert_peeked (peek (REALTIME_VSN_2_0_0,
                     "[null,null,\"realtime:t\",\"broadcast\",{\"event\":"
                     "\"start\",\"payload\":{\"request_id\":"
                     "18446744073709552000,\"pipeline\":\"c\\\"am\"}}]"),
      "realtime:t", "start", NULL, NULL);
  assert_peeked (peek (REALTIME_VSN_2_0_0,
                     "[null,null,\"realtime:t\",\"broadcast\",{\"event\":"
                     "\"start\",\"payload\":{\"request_id\":\"\xc3\xa9\"}}]"),
      "realtime:t", "start", NULL, NULL);
  /* The last of duplicate members wins, as in json-glib. */
  assert_peeked (peek (REALTIME_VSN_2_0_0,
                     "[null,null,\"realtime:t\",\"broadcast\",{\"event\":"
                     "\"start\",\"payload\":{\"request_id\":\"r1\","
                     "\"request_id\":\"r2\",\"pipeline\":\"a\",\"pipeline\":"
                     "7}}]"),
      "realtime:t", "start", "r2", NULL);
  /* Brackets and quotes inside strings are not structure. */
  assert_peeked (peek (REALTIME_VSN_2_0_0,
                     "[null,null,\"realtime:t\",\"broadcast\",{\"event\":"
                     "\"start\",\"payload\":{\"a\":\"]}\\\"[{\",\"b\":[[{}],"
                     "{\"request_id\":\"inner\"}],\"request_id\":\"r3\"}}]"),
      "realtime:t", "start", "r3", NULL);

  /* Deeper than anything decodes: read in one pass, request_id and all. */
  for (i = 0; i < 200000; i++)
    g_string_append (deep, "{\"a\":[");
  g_string_append (deep, "0");
  for (i = 0; i < 200000; i++)
    g_string_append (deep, "]}");
  g_string_append (deep, ",\"pipeline\":\"cam\"}}]");
  {
    struct mallinfo2 before = mallinfo2 (), after;

    r = realtime_codec_peek_refused (REALTIME_VSN_2_0_0, FALSE, deep->str,
        deep->len, "why");
    after = mallinfo2 ();
    /* A few short strings, nothing that grows with the frame. */
    fail_unless (after.uordblks < before.uordblks + 4096,
        "peeking a %" G_GSIZE_FORMAT " byte frame kept %" G_GSIZE_FORMAT
        " bytes",
        deep->len, (gsize)(after.uordblks - before.uordblks));
    assert_peeked (r, "realtime:t", "start", "r1", "cam");
  }
  /* Cut short: what was read before counts. */
  g_string_truncate (deep, deep->len / 2);
  assert_peeked (peek (REALTIME_VSN_2_0_0, deep->str), "realtime:t", "start",
      "r1", NULL);
  g_string_free (deep, TRUE);
}

GST_END_TEST;

/* Binary kind 4 carries topic and event in its header, the request as
 * its payload; kind 2 carries a broadcast payload like a text frame. */
GST_START_TEST (test_peek_refused_binary)
{
  static const guint8 kind4[] = { 4, 10, 5, 0, 1, 'r', 'e', 'a', 'l', 't', 'i',
    'm', 'e', ':', 't', 's', 't', 'a', 'r', 't' };
  static const guint8 kind4_raw[] = { 4, 10, 4, 0, 0, 'r', 'e', 'a', 'l', 't',
    'i', 'm', 'e', ':', 't', 's', 't', 'o', 'p', '{' };
  static const guint8 kind2[] = { 2, 10, 9, 'r', 'e', 'a', 'l', 't', 'i', 'm',
    'e', ':', 't', 'b', 'r', 'o', 'a', 'd', 'c', 'a', 's', 't' };
  static const gchar request[]
      = "{\"request_id\":\"b1\",\"params\":{\"port\":1e999}}";
  static const gchar broadcast[] = "{\"event\":\"renew\",\"payload\":{"
                                   "\"request_id\":\"b2\",\"pipeline\":\"p\","
                                   "\"ttl\":-1e999}}";
  g_autoptr (GByteArray) f4 = g_byte_array_new ();
  g_autoptr (GByteArray) f2 = g_byte_array_new ();
  RealtimeRefusedBroadcast *r;

  g_byte_array_append (f4, kind4, sizeof kind4);
  g_byte_array_append (f4, (const guint8 *)request, strlen (request));
  r = realtime_codec_peek_refused (REALTIME_VSN_2_0_0, TRUE, f4->data, f4->len,
      "why");
  assert_peeked (r, "realtime:t", "start", "b1", NULL);

  r = realtime_codec_peek_refused (REALTIME_VSN_2_0_0, TRUE, kind4_raw,
      sizeof kind4_raw, "why");
  assert_peeked (r, "realtime:t", "stop", NULL, NULL);

  g_byte_array_append (f2, kind2, sizeof kind2);
  g_byte_array_append (f2, (const guint8 *)broadcast, strlen (broadcast));
  r = realtime_codec_peek_refused (REALTIME_VSN_2_0_0, TRUE, f2->data, f2->len,
      "why");
  assert_peeked (r, "realtime:t", "renew", "b2", "p");

  /* Lengths past the end, other kinds: nothing. */
  fail_unless (
      realtime_codec_peek_refused (REALTIME_VSN_2_0_0, TRUE, kind4, 8, "why")
      == NULL);
  fail_unless (realtime_codec_peek_refused (REALTIME_VSN_2_0_0, TRUE,
                   (const guint8[]){ 1, 0, 0, 1, 2, 'o', 'k' }, 7, "why")
      == NULL);
  fail_unless (
      realtime_codec_peek_refused (REALTIME_VSN_2_0_0, TRUE, "", 0, "why")
      == NULL);
}

GST_END_TEST;

/* No envelope, no report: not a broadcast, or no readable topic or
 * broadcast event. */
GST_START_TEST (test_peek_refused_needs_envelope)
{
  static const gchar *frames[] = {
    "",
    "garbage",
    "[null,\"1\",\"realtime:t\",\"phx_reply\",{\"status\":\"ok\","
    "\"response\":{\"x\":1e999}}]",
    "[null,null,\"realtime:t\",\"broadcast\",{\"payload\":{}}]",
    "[null,null,\"realtime:t\",\"broadcast\",{\"event\":\"st\\u0061rt\"}]",
    "[null,null,\"realtime:\\u0074\",\"broadcast\",{\"event\":\"start\"}]",
    "[null,null,17,\"broadcast\",{\"event\":\"start\"}]",
    "[null,null,\"realtime:t\",\"broadcast\",{\"event\":[\"start\"]}]",
    "{\"event\":\"broadcast\",\"payload\":{\"event\":\"start\"}}",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (frames); i++) {
    fail_unless (peek (REALTIME_VSN_2_0_0, frames[i]) == NULL, "frame %u", i);
    fail_unless (peek (REALTIME_VSN_1_0_0, frames[i]) == NULL, "frame %u", i);
  }
  /* The join_ref is read, for the channel's stale guard. */
  {
    g_autoptr (RealtimeRefusedBroadcast) r = peek (REALTIME_VSN_2_0_0,
        "[\"7\",null,\"realtime:t\",\"broadcast\",{\"event\":\"start\"}]");

    fail_unless (r != NULL);
    fail_unless_equals_string (r->join_ref, "7");
  }
}

GST_END_TEST;

/* The decoder builds its trees itself (issue 13: no JsonParser per
 * message): for every shape it must build what json-glib's parser builds
 * from the same text, as a text frame's payload and inside a binary
 * frame, where a slice is followed by more bytes (a number meta right
 * before the payload). */
static const gchar *const tree_corpus[] = {
  "{}",
  "[]",
  "0",
  "-0",
  "7",
  "-7",
  "9223372036854775807",
  "-9223372036854775808",
  "1.5",
  "-0.0",
  "1e3",
  "1E-3",
  "2.5e+10",
  "123456789012345678",
  "0.1",
  "true",
  "false",
  "null",
  "\"\"",
  "\"plain\"",
  "\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t\"",
  "\"\\u00e9\\u20ac\\ud83d\\ude00 \\u001f\"",
  "\"raw \xc3\xa9 \xf0\x9f\x98\x80\"",
  "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
  "{\"dup\":1,\"x\":2,\"dup\":3}",
  " { \"ws\" : [ 1 , 2 ] } ",
  "[[[[[[[[]]]]]]]]",
  "[{\"\":\"\"},{\"k\\u0041\":\"v\"}]",
  "{\"seq\":12,\"t\":34567890123}",
  "[1,-2,3.25,-4e-2,\"5\"]",
};

GST_START_TEST (test_builder_matches_json_glib)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (tree_corpus); i++) {
    const gchar *text = tree_corpus[i];
    g_autoptr (JsonNode) want_node = rt_test_json (text);
    g_autofree gchar *want = to_json (want_node);
    g_autofree gchar *frame
        = g_strdup_printf ("[null,null,\"t\",\"e\",%s]", text);
    g_autoptr (GError) error = NULL;
    g_autoptr (RealtimeMessage) msg = NULL;
    g_autoptr (RealtimeMessage) bin_msg = NULL;
    g_autoptr (GBytes) bin = NULL;
    g_autofree gchar *got = NULL;
    g_autofree gchar *got_bin = NULL;
    g_autofree gchar *got_meta = NULL;

    msg = realtime_codec_decode_text (REALTIME_VSN_2_0_0, frame, strlen (frame),
        &error);
    g_assert_no_error (error);
    got = to_json (msg->payload);
    fail_unless_equals_string (got, want);
    fail_unless_equals_int (JSON_NODE_TYPE (msg->payload),
        JSON_NODE_TYPE (want_node));
    if (JSON_NODE_HOLDS_VALUE (want_node))
      fail_unless_equals_int (json_node_get_value_type (msg->payload),
          json_node_get_value_type (want_node));

    /* kind 4, the text as payload and a number as meta right before it */
    bin = realtime_codec_encode_user_broadcast ("t", "e", "5", text, &error);
    g_assert_no_error (error);
    bin_msg = realtime_codec_decode_binary (g_bytes_get_data (bin, NULL),
        g_bytes_get_size (bin), &error);
    g_assert_no_error (error);
    got_bin = to_json (
        json_object_get_member (json_node_get_object (bin_msg->payload),
            "payload"));
    fail_unless_equals_string (got_bin, want);
    got_meta = to_json (
        json_object_get_member (json_node_get_object (bin_msg->payload),
            "meta"));
    fail_unless_equals_string (got_meta, "5");
  }
}
GST_END_TEST;

/* The serializer (frames and listen's lines) writes what json-glib's
 * generator writes wherever that is valid JSON, and what it writes reads
 * back to the same tree. */
GST_START_TEST (test_serializer_matches_json_glib)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (tree_corpus); i++) {
    g_autoptr (JsonNode) node = rt_test_json (tree_corpus[i]);
    g_autofree gchar *want = to_json (node);
    g_autoptr (GString) got = g_string_new (NULL);
    g_autoptr (JsonNode) back = NULL;
    g_autofree gchar *again = NULL;

    realtime_codec_append_json (got, node);
    /* json-glib 1.6 writes U+001F raw: the one case it is not JSON. */
    if (!strstr (tree_corpus[i], "001f"))
      fail_unless_equals_string (got->str, want);
    back = rt_test_json (got->str);
    again = to_json (back);
    fail_unless_equals_string (again, want);
  }
  {
    g_autoptr (GString) out = g_string_new (NULL);
    g_autoptr (JsonNode) big = json_node_init_double (json_node_alloc (), 1e21);
    g_autoptr (JsonNode) inf
        = json_node_init_double (json_node_alloc (), 1.0 / 0.0);

    realtime_codec_append_json (out, big);
    g_string_append_c (out, ' ');
    realtime_codec_append_json (out, inf);
    g_string_append_c (out, ' ');
    realtime_codec_append_json_string (out, "a\x01\x1f\"");
    g_string_append_c (out, ' ');
    realtime_codec_append_json (out, NULL);
    fail_unless_equals_string (out->str,
        "1e+21 null \"a\\u0001\\u001f\\\"\" null");
  }
}
GST_END_TEST;

/* realtime_codec_read_broadcast() (issue 13: broadcasts without a tree)
 * agrees with the decoders: when it reads a frame, the decoder delivers
 * the same broadcast (topic, join_ref, the wrapper's event, the payload's
 * tree); a frame the decoder refuses or maps otherwise it leaves to them.
 * Returns whether it read the frame. */
static gboolean
read_agrees (RealtimeVsn vsn, gboolean binary, const guint8 *data, gsize len)
{
  g_autoptr (RealtimeBroadcast) b
      = realtime_codec_read_broadcast (vsn, binary, data, len);
  g_autoptr (RealtimeMessage) msg = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) tree = NULL;
  g_autoptr (JsonNode) reparsed = NULL;
  g_autofree gchar *want = NULL;
  g_autofree gchar *got = NULL;
  g_autofree gchar *again = NULL;
  JsonObject *wrapper;
  JsonNode *inner;

  msg = binary
      ? realtime_codec_decode_binary (data, len, &error)
      : realtime_codec_decode_text (vsn, (const gchar *)data, len, &error);
  if (!b)
    return FALSE;
  fail_unless (msg != NULL, "read a frame the decoder refuses: %s",
      error->message);
  fail_unless_equals_string (msg->event, "broadcast");
  fail_unless_equals_string (b->topic, msg->topic);
  fail_unless (g_strcmp0 (b->join_ref, msg->join_ref) == 0,
      "join_ref %s, decoded %s", b->join_ref, msg->join_ref);
  fail_unless (JSON_NODE_HOLDS_OBJECT (msg->payload));
  wrapper = json_node_get_object (msg->payload);
  fail_unless_equals_string (b->event,
      json_object_get_string_member_with_default (wrapper, "event", NULL));
  inner = json_object_get_member (wrapper, "payload");
  want = inner ? to_json (inner) : g_strdup ("null");
  tree = realtime_broadcast_dup_payload (b);
  got = to_json (tree);
  fail_unless_equals_string (got, want);
  if (inner) {
    fail_unless_equals_int (JSON_NODE_TYPE (tree), JSON_NODE_TYPE (inner));
    if (JSON_NODE_HOLDS_VALUE (inner))
      fail_unless_equals_int (json_node_get_value_type (tree),
          json_node_get_value_type (inner));
  }
  /* The text itself is JSON of the same value. */
  fail_unless_equals_int (strlen (b->payload_json), b->payload_json_len);
  reparsed = rt_test_json (b->payload_json);
  again = to_json (reparsed);
  fail_unless_equals_string (again, want);
  return TRUE;
}

static gboolean
read_text_agrees (RealtimeVsn vsn, const gchar *text)
{
  return read_agrees (vsn, FALSE, (const guint8 *)text, strlen (text));
}

/* The payload text as it came, whitespace between tokens removed. */
static void
assert_read_payload (RealtimeVsn vsn, gboolean binary, const guint8 *data,
    gsize len, const gchar *payload_json)
{
  g_autoptr (RealtimeBroadcast) b
      = realtime_codec_read_broadcast (vsn, binary, data, len);

  fail_unless (b != NULL);
  fail_unless_equals_string (b->payload_json, payload_json);
}

GST_START_TEST (test_read_broadcast_matches_decode)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (tree_corpus); i++) {
    const gchar *text = tree_corpus[i];
    const gchar *compact
        = text[0] == ' ' ? "{\"ws\":[1,2]}" : text; /* the one with spaces */
    g_autofree gchar *v2
        = g_strdup_printf ("[\"1\",\"2\",\"realtime:t\",\"broadcast\",{"
                           "\"type\":\"broadcast\","
                           "\"event\":\"st\\u0061rt\",\"payload\":%s}]",
            text);
    g_autofree gchar *v2_ws
        = g_strdup_printf (" [ null , null , \"realtime:t\" , \"broadcast\" , "
                           "{ \"payload\" : "
                           "%s , \"event\" : \"e\" , \"type\" : \"broadcast\" "
                           "} ] ",
            text);
    g_autofree gchar *v1
        = g_strdup_printf ("{\"payload\":{\"event\":\"e\",\"payload\":%s,"
                           "\"type\":\"broadcast\"},"
                           "\"ref\":null,\"event\":\"broadcast\",\"join_ref\":"
                           "\"7\","
                           "\"topic\":\"realtime:t\"}",
            text);
    g_autoptr (GBytes) kind4 = NULL;
    g_autoptr (GByteArray) kind2 = g_byte_array_new ();
    g_autofree gchar *wrapper
        = g_strdup_printf ("{\"type\":\"broadcast\",\"event\":\"e\","
                           "\"payload\":%s}",
            text);
    static const guint8 h2[] = { 2, 10, 9 };

    fail_unless (read_text_agrees (REALTIME_VSN_2_0_0, v2), "%s", v2);
    assert_read_payload (REALTIME_VSN_2_0_0, FALSE, (const guint8 *)v2,
        strlen (v2), compact);
    fail_unless (read_text_agrees (REALTIME_VSN_2_0_0, v2_ws), "%s", v2_ws);
    assert_read_payload (REALTIME_VSN_2_0_0, FALSE, (const guint8 *)v2_ws,
        strlen (v2_ws), compact);
    fail_unless (read_text_agrees (REALTIME_VSN_1_0_0, v1), "%s", v1);
    assert_read_payload (REALTIME_VSN_1_0_0, FALSE, (const guint8 *)v1,
        strlen (v1), compact);

    kind4 = realtime_codec_encode_user_broadcast ("realtime:t", "e", "{}", text,
        NULL);
    fail_unless (read_agrees (REALTIME_VSN_2_0_0, TRUE,
        g_bytes_get_data (kind4, NULL), g_bytes_get_size (kind4)));
    assert_read_payload (REALTIME_VSN_2_0_0, TRUE,
        g_bytes_get_data (kind4, NULL), g_bytes_get_size (kind4), compact);

    g_byte_array_append (kind2, h2, sizeof h2);
    g_byte_array_append (kind2, (const guint8 *)"realtime:tbroadcast", 19);
    g_byte_array_append (kind2, (const guint8 *)wrapper, strlen (wrapper));
    fail_unless (
        read_agrees (REALTIME_VSN_2_0_0, TRUE, kind2->data, kind2->len));
    assert_read_payload (REALTIME_VSN_2_0_0, TRUE, kind2->data, kind2->len,
        compact);
  }
  {
    /* A raw kind 4 payload: its base64 as a JSON string. */
    static const guint8 raw[]
        = { 4, 1, 3, 0, 0, 'T', 'r', 'a', 'w', 0x00, 0xff, 0x10, '{' };
    g_autofree gchar *b64 = g_base64_encode (raw + 9, 4);
    g_autofree gchar *want = g_strdup_printf ("\"%s\"", b64);

    fail_unless (read_agrees (REALTIME_VSN_2_0_0, TRUE, raw, sizeof raw));
    assert_read_payload (REALTIME_VSN_2_0_0, TRUE, raw, sizeof raw, want);
  }
  /* No payload member: null. */
  {
    const gchar *none = "[null,null,\"t\",\"broadcast\",{\"event\":\"e\"}]";

    fail_unless (read_text_agrees (REALTIME_VSN_2_0_0, none));
    assert_read_payload (REALTIME_VSN_2_0_0, FALSE, (const guint8 *)none,
        strlen (none), "null");
  }
  /* A repeated member: the last one, as json-glib keeps it. */
  fail_unless (read_text_agrees (REALTIME_VSN_2_0_0,
      "[null,null,\"t\",\"broadcast\",{\"event\":\"a\",\"payload\":1,"
      "\"event\":\"b\",\"payload\":[2]}]"));
}
GST_END_TEST;

/* What the reader leaves to the decoders: other events, the shapes they
 * map or drop, and every frame a guard refuses (the refusal itself, with
 * its reason, comes from the decoder as before). */
GST_START_TEST (test_read_broadcast_leaves_the_rest)
{
  static const gchar *const v2_left[] = {
    "[null,\"1\",\"phoenix\",\"heartbeat\",{}]",
    "[\"1\",\"1\",\"realtime:t\",\"phx_reply\",{\"status\":\"ok\","
    "\"response\":{}}]",
    "[1,null,\"t\",\"broadcast\",{\"event\":\"e\",\"payload\":1}]",
    "[null,{},\"t\",\"broadcast\",{\"event\":\"e\",\"payload\":1}]",
    "[null,null,\"t\",\"broadcast\",\"x\"]",
    "[null,null,\"t\",\"broadcast\",{\"event\":1,\"payload\":1}]",
    "[null,null,\"t\",\"broadcast\",{\"payload\":1}]",
    "[null,null,\"t\",\"broadcast\",{\"event\":\"e\"},1]",
    /* keys the reader compares as written: an escaped one is the
     * decoder's (it reads "\u0065vent" as "event") */
    "[null,null,\"t\",\"broadcast\",{\"\\u0065vent\":\"e\",\"payload\":1}]",
    "[null,null,\"t\",\"broadcast\",{\"event\":\"e\",\"p\\u0061yload\":1}]",
    "[null,null,\"t\",\"broadcast\"]",
    "[]",
    "{}",
    "\"broadcast\"",
    /* refused by a guard */
    "[null,null,\"t\",\"broadcast\",{\"event\":\"e\",\"payload\":\"a\\u0000\"}"
    "]",
    "[null,null,\"t\",\"broadcast\",{\"event\":\"e\",\"payload\":\"\\ud800\"}]",
    "[null,null,\"t\",\"broadcast\",{\"event\":\"e\",\"payload\":1e999}]",
    "[null,null,\"t\",\"broadcast\",{\"event\":\"e\","
    "\"payload\":99999999999999999999}]",
    "[null,null,\"t\",\"broadcast\",{\"event\":\"e\",\"payload\":[1,]}]",
  };
  static const gchar *const v1_left[] = {
    "{\"topic\":\"t\",\"event\":\"broadcast\",\"ref\":1,"
    "\"payload\":{\"event\":\"e\"}}",
    "{\"topic\":\"t\",\"event\":\"broadcast\",\"ref\":[],"
    "\"payload\":{\"event\":\"e\"}}",
    "{\"topic\":\"t\",\"event\":\"broadcast\"}",
    "{\"event\":\"broadcast\",\"payload\":{\"event\":\"e\"}}",
    "{\"topic\":\"t\",\"event\":\"phx_close\",\"payload\":{}}",
    "{\"topic\":\"t\",\"\\u0065vent\":\"broadcast\","
    "\"payload\":{\"event\":\"e\"}}",
    /* the members of another object are not the wrapper's */
    "{\"topic\":\"t\",\"x\":{\"event\":\"e\",\"payload\":1},"
    "\"event\":\"broadcast\",\"payload\":{\"type\":\"broadcast\"}}",
  };
  g_autofree gchar *opens = g_strnfill (63, '[');
  g_autofree gchar *closes = g_strnfill (63, ']');
  g_autofree gchar *deep = NULL;
  g_autoptr (GString) wide = g_string_new (
      "[null,null,\"t\",\"broadcast\",{\"event\":\"e\",\"payload\":[");
  g_autoptr (GPtrArray) binaries = valid_binary_frames ();
  static const guint8 bad_encoding[] = { 4, 1, 1, 0, 2, 't', 'e', '{', '}' };
  static const guint8 bad_utf8[] = { 4, 1, 1, 0, 1, 0xff, 'e', '{', '}' };
  static const guint8 nul_payload[]
      = { 4, 1, 1, 0, 1, 't', 'e', '"', '\\', 'u', '0', '0', '0', '0', '"' };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (v2_left); i++)
    fail_if (read_text_agrees (REALTIME_VSN_2_0_0, v2_left[i]), "read %s",
        v2_left[i]);
  for (i = 0; i < G_N_ELEMENTS (v1_left); i++)
    fail_if (read_text_agrees (REALTIME_VSN_1_0_0, v1_left[i]), "read %s",
        v1_left[i]);
  /* 64 levels at most: the frame's array and the wrapper are two. */
  deep = g_strdup_printf ("[null,null,\"t\",\"broadcast\",{\"event\":\"e\","
                          "\"payload\":%s1%s}]",
      opens, closes);
  fail_if (read_text_agrees (REALTIME_VSN_2_0_0, deep));
  assert_text_refused (REALTIME_VSN_2_0_0, deep, strlen (deep),
      REALTIME_CODEC_ERROR_TOO_DEEP);
  for (i = 0; i < 4097; i++)
    g_string_append (wide, i ? ",0" : "0");
  g_string_append (wide, "]}]");
  fail_if (read_text_agrees (REALTIME_VSN_2_0_0, wide->str));
  assert_text_refused (REALTIME_VSN_2_0_0, wide->str, wide->len,
      REALTIME_CODEC_ERROR_TOO_MANY_MEMBERS);
  /* Binary: kinds 0, 1 and 3 are no broadcast of a server; a bad encoding,
   * bad UTF-8 or a refused payload are the decoder's to report. */
  for (i = 0; i < binaries->len; i++) {
    gsize len;
    const guint8 *data = g_bytes_get_data (binaries->pdata[i], &len);

    fail_unless (
        read_agrees (REALTIME_VSN_2_0_0, TRUE, data, len) == (data[0] == 4));
    fail_if (
        realtime_codec_read_broadcast (REALTIME_VSN_1_0_0, TRUE, data, len));
  }
  fail_if (read_agrees (REALTIME_VSN_2_0_0, TRUE, bad_encoding,
      sizeof bad_encoding));
  fail_if (read_agrees (REALTIME_VSN_2_0_0, TRUE, bad_utf8, sizeof bad_utf8));
  fail_if (
      read_agrees (REALTIME_VSN_2_0_0, TRUE, nul_payload, sizeof nul_payload));
  assert_binary_error (nul_payload, sizeof nul_payload,
      REALTIME_CODEC_ERROR_NUL_CHARACTER);
}
GST_END_TEST;

/* Mutated broadcast frames: whatever the reader takes, the decoder
 * delivers the same (an exact-size copy, for valgrind). */
GST_START_TEST (test_read_broadcast_mutations)
{
  static const gchar *const texts[] = {
    "[\"1\",null,\"realtime:T\",\"broadcast\",{\"event\":\"start\","
    "\"payload\":{\"a\":[1,2.5e3,-0.5,true,false,null,\"\\u00e9\"]},"
    "\"type\":\"broadcast\"}]",
    "{\"topic\":\"realtime:T\",\"event\":\"broadcast\",\"payload\":"
    "{\"type\":\"broadcast\",\"event\":\"e\",\"payload\":{ \"k\" : [ 1 ] }},"
    "\"ref\":\"2\",\"join_ref\":\"1\"}",
  };
  g_autoptr (GPtrArray) binaries = valid_binary_frames ();
  GRand *rand = g_rand_new_with_seed (20261202);
  guint iter, read = 0;

  for (iter = 0; iter < 20000; iter++) {
    g_autoptr (GByteArray) buf = g_byte_array_new ();
    gboolean binary = iter % 3 == 0;
    RealtimeVsn vsn = REALTIME_VSN_2_0_0;
    g_autofree guint8 *exact = NULL;

    if (binary) {
      gsize len;
      const guint8 *data = g_bytes_get_data (binaries->pdata[4], &len);

      g_byte_array_append (buf, data, len);
    } else {
      guint t = g_rand_int_range (rand, 0, G_N_ELEMENTS (texts));

      vsn = t == 0 ? REALTIME_VSN_2_0_0 : REALTIME_VSN_1_0_0;
      g_byte_array_append (buf, (const guint8 *)texts[t], strlen (texts[t]));
    }
    mutate (rand, buf);
    exact = g_memdup2 (buf->data, buf->len);
    if (read_agrees (vsn, binary, exact, buf->len))
      read++;
  }
  fail_unless (read > 100, "only %u mutated frames read", read);
  g_rand_free (rand);
}
GST_END_TEST;

static Suite *
codec_suite (void)
{
  Suite *s = suite_create ("codec");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_nul_escape_refused);
  tcase_add_test (tc, test_too_many_members_refused);
  tcase_add_test (tc, test_refusal_reasons);
  tcase_add_test (tc, test_peek_refused_envelope);
  tcase_add_test (tc, test_peek_refused_binary);
  tcase_add_test (tc, test_peek_refused_needs_envelope);
  tcase_add_test (tc, test_vsn_strings);
  tcase_add_test (tc, test_v2_heartbeat_wire_text);
  tcase_add_test (tc, test_v2_join_wire_text);
  tcase_add_test (tc, test_v1_join_wire_text);
  tcase_add_test (tc, test_v1_always_writes_ref);
  tcase_add_test (tc, test_encode_escapes_controls);
  tcase_add_test (tc, test_round_trip_both_vsns);
  tcase_add_test (tc, test_message_copy);
  tcase_add_test (tc, test_decode_reply_any_key_order);
  tcase_add_test (tc, test_decode_v1_lenient_fields);
  tcase_add_test (tc, test_decode_v2_rest_broadcast);
  tcase_add_test (tc, test_binary_push_kind0);
  tcase_add_test (tc, test_binary_reply_kind1);
  tcase_add_test (tc, test_binary_reply_kind1_no_join_ref);
  tcase_add_test (tc, test_binary_broadcast_kind2);
  tcase_add_test (tc, test_binary_user_broadcast_kind4);
  tcase_add_test (tc, test_binary_user_broadcast_kind4_meta);
  tcase_add_test (tc, test_binary_user_broadcast_kind4_raw);
  tcase_add_test (tc, test_binary_kind3_encoder_layout);
  tcase_add_test (tc, test_binary_kind3_round_trip);
  tcase_add_test (tc, test_binary_kind4_round_trip);
  tcase_add_test (tc, test_binary_encoders_too_large);
  tcase_add_test (tc, test_text_hostile);
  tcase_add_test (tc, test_text_deep_nesting);
  tcase_add_test (tc, test_text_huge_strings);
  tcase_add_test (tc, test_error_does_not_echo_secrets);
  tcase_add_test (tc, test_binary_truncated_every_length);
  tcase_add_test (tc, test_binary_lengths_past_end);
  tcase_add_test (tc, test_binary_unknown_kind);
  tcase_add_test (tc, test_binary_bad_content);
  tcase_add_test (tc, test_binary_deep_nesting);
  tcase_add_test (tc, test_random_mutations);
  tcase_add_test (tc, test_builder_matches_json_glib);
  tcase_add_test (tc, test_serializer_matches_json_glib);
  tcase_add_test (tc, test_read_broadcast_matches_decode);
  tcase_add_test (tc, test_read_broadcast_leaves_the_rest);
  tcase_add_test (tc, test_read_broadcast_mutations);
  return s;
}

RT_TEST_MAIN (codec);

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-fuzz-regressions.c: one test per bug the libFuzzer targets of
 * tests/fuzz/ found, built from the reproducer (kept in the seed corpus as
 * tests/fuzz/corpus/<target>/regress-*), so the gcc build of CI checks them
 * even where clang is not installed.
 *
 * Environment: RT_GATEWAY_BIN, the realtime-gateway program (default:
 * ../gateway/realtime-gateway next to this test), for check-config.
 */
#include "test-util.h"

#include "gateway-process.h"
#include "pipeline-def.h"
#include "realtime-codec.h"

#include <malloc.h>
#include <string.h>

/* Every string in @node (keys too) is valid UTF-8. */
static gboolean
all_utf8 (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node)) {
    JsonObject *object = json_node_get_object (node);
    g_autoptr (GList) names = json_object_get_members (object);
    GList *l;

    for (l = names; l; l = l->next)
      if (!g_utf8_validate (l->data, -1, NULL)
          || !all_utf8 (json_object_get_member (object, l->data)))
        return FALSE;
    return TRUE;
  }
  if (JSON_NODE_HOLDS_ARRAY (node)) {
    JsonArray *array = json_node_get_array (node);
    guint i;

    for (i = 0; i < json_array_get_length (array); i++)
      if (!all_utf8 (json_array_get_element (array, i)))
        return FALSE;
    return TRUE;
  }
  if (JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_utf8_validate (json_node_get_string (node), -1, NULL);
  return TRUE;
}

static RealtimeMessage *
decode (RealtimeVsn vsn, const gchar *text, GError **error)
{
  return realtime_codec_decode_text (vsn, text, strlen (text), error);
}

/* decode -> encode -> decode gives the same message, in both versions. */
static void
assert_round_trip (const RealtimeMessage *msg)
{
  guint v;

  for (v = 0; v < 2; v++) {
    RealtimeVsn vsn = v ? REALTIME_VSN_2_0_0 : REALTIME_VSN_1_0_0;
    g_autofree gchar *text = realtime_codec_encode (vsn, msg);
    GError *error = NULL;
    g_autoptr (RealtimeMessage) again = decode (vsn, text, &error);

    fail_unless (again != NULL,
        "vsn %s: the encoder wrote a frame its "
        "decoder refuses: %s",
        realtime_vsn_to_string (vsn), error ? error->message : "?");
    fail_unless (json_node_equal (msg->payload, again->payload),
        "vsn %s: the payload changed on a round trip",
        realtime_vsn_to_string (vsn));
  }
}

/* fuzz-codec regress-lone-surrogate: "\ud800" followed by a character that
 * does not start a low surrogate passed the codec's JSON scanner, and
 * json-glib 1.6 decoded it to the CESU-8 bytes ED A0 80 (invalid UTF-8),
 * silently dropping the next character. The message then held a string
 * that is not UTF-8 (which GLib string functions, GRegex and the JSON
 * generator assume), and its re-encoded frame was refused by the codec
 * itself. A lone surrogate escape must be refused (as an invalid escape,
 * whose sender is still answered). */
GST_START_TEST (test_codec_lone_surrogate_refused)
{
  static const gchar *const frames[] = {
    "[null,null,\"t\",\"e\",{\"s\":\"\\ud8006\"}]",
    "[null,null,\"t\",\"e\",{\"s\":\"\\udc00x\"}]",
    "[null,null,\"realtime:\\ud800a\",\"e\",{}]",
    "[null,null,\"t\",\"e\\udbff \",{}]",
    "[null,null,\"t\",\"e\",{\"\\udfffk\":1}]",
    "[null,null,\"t\",\"e\",[\"\\ud800\\u0041\"]]",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (frames); i++) {
    GError *error = NULL;
    g_autoptr (RealtimeMessage) msg
        = decode (REALTIME_VSN_2_0_0, frames[i], &error);

    if (msg) {
      fail_unless (g_utf8_validate (msg->topic, -1, NULL)
              && g_utf8_validate (msg->event, -1, NULL)
              && all_utf8 (msg->payload),
          "frame %u decoded to a message holding invalid UTF-8", i);
      fail ("frame %u with a lone surrogate escape was accepted", i);
    }
    fail_unless (g_error_matches (error, REALTIME_CODEC_ERROR,
                     REALTIME_CODEC_ERROR_INVALID_ESCAPE),
        "frame %u: %s", i, error ? error->message : "no error");
    g_clear_error (&error);
  }
}

GST_END_TEST;

/* The same bytes inside a binary user broadcast's JSON payload. */
GST_START_TEST (test_codec_lone_surrogate_in_binary_refused)
{
  static const gchar payload[] = "{\"s\":\"\\ud800x\"}";
  GByteArray *frame = g_byte_array_new ();
  static const guint8 header[] = { 4, 1, 1, 0, 1, 't', 'e' };
  GError *error = NULL;
  RealtimeMessage *msg;

  g_byte_array_append (frame, header, sizeof header);
  g_byte_array_append (frame, (const guint8 *)payload, strlen (payload));
  msg = realtime_codec_decode_binary (frame->data, frame->len, &error);
  if (msg) {
    fail_unless (all_utf8 (msg->payload),
        "kind 4 decoded to a payload holding invalid UTF-8");
    realtime_message_free (msg);
    fail ("kind 4 with a lone surrogate escape was accepted");
  }
  fail_unless (g_error_matches (error, REALTIME_CODEC_ERROR,
      REALTIME_CODEC_ERROR_INVALID_ESCAPE));
  g_clear_error (&error);
  g_byte_array_unref (frame);
}

GST_END_TEST;

/* fuzz-codec regress-surrogate-leak (found by fuzz-request through a param
 * name): a malformed surrogate pair ("\ud800\u0041") passed the codec's
 * scanner and reached json-glib 1.6, whose parser leaks its string buffer
 * (about 150 bytes) on that error. Every such frame from the network
 * leaked: a hostile channel member could grow a robot's memory without
 * bound. Refusing the frame before json-glib sees it stops the leak. */
GST_START_TEST (test_codec_malformed_surrogate_does_not_leak)
{
  static const gchar frame[]
      = "[null,null,\"t\",\"e\",{\"a\\ud800\\u0041\":1}]";
  struct mallinfo2 before = { 0 }, after;
  guint i;

  for (i = 0; i < 20200; i++) {
    GError *error = NULL;
    RealtimeMessage *msg = decode (REALTIME_VSN_2_0_0, frame, &error);

    fail_if (msg != NULL, "a malformed surrogate pair was accepted");
    g_clear_error (&error);
    /* The first runs fill caches (types, quarks, slices). */
    if (i == 199)
      before = mallinfo2 ();
  }
  after = mallinfo2 ();
  /* 20000 leaks of ~150 bytes would be ~3 MB. */
  fail_unless (after.uordblks < before.uordblks + 256 * 1024,
      "decoding 20000 refused frames kept %" G_GSIZE_FORMAT " bytes",
      (gsize)(after.uordblks - before.uordblks));
}

GST_END_TEST;

/* Surrogate pairs are characters: they still decode, to 4-byte UTF-8. */
GST_START_TEST (test_codec_surrogate_pair_accepted)
{
  GError *error = NULL;
  g_autoptr (RealtimeMessage) msg = decode (REALTIME_VSN_2_0_0,
      "[null,null,\"t\",\"e\",{\"s\":\"\\ud83d\\ude00\",\"t\":\"\\u00e9\"}]",
      &error);

  g_assert_no_error (error);
  fail_unless_equals_string (json_object_get_string_member (json_node_get_object (
                                                                msg->payload),
                                 "s"),
      "\xf0\x9f\x98\x80");
  fail_unless_equals_string (json_object_get_string_member (json_node_get_object (
                                                                msg->payload),
                                 "t"),
      "\xc3\xa9");
  assert_round_trip (msg);
}

GST_END_TEST;

/* fuzz-codec regress-exponent: json-glib 1.6 writes a double as "%.17g" and
 * appends ".0" when that has no '.', so 1e98 (and every integral double of
 * 1e17 and up whose digits fit one) came out as "1e+98.0": not JSON. The
 * codec accepted such a number, and its encoder then wrote a frame that
 * the server (and the codec) refuse: a pipeline_state reply, or any
 * broadcast carrying such a number, would be dropped as malformed. */
GST_START_TEST (test_codec_large_double_round_trips)
{
  static const gchar *const numbers[] = { "1e98", "1e21", "1E17", "-3e300",
    "1e+22", "2e17", "1.5e300", "100000000000000000000.0", "1e-7", "-0.0" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (numbers); i++) {
    g_autofree gchar *text
        = g_strdup_printf ("[null,null,\"t\",\"e\",{\"n\":%s,\"a\":[%s]}]",
            numbers[i], numbers[i]);
    GError *error = NULL;
    g_autoptr (RealtimeMessage) msg = decode (REALTIME_VSN_2_0_0, text, &error);

    g_assert_no_error (error);
    assert_round_trip (msg);
  }
}

GST_END_TEST;

/* The same for a payload built in code, as replies are. */
GST_START_TEST (test_codec_encodes_large_double_as_json)
{
  JsonObject *object = json_object_new ();
  JsonNode *payload = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (RealtimeMessage) msg = NULL;
  g_autofree gchar *text = NULL;
  g_autoptr (JsonNode) parsed = NULL;

  json_object_set_double_member (object, "gain", 1e21);
  json_object_set_double_member (object, "tiny", 5e-324);
  json_object_set_string_member (object, "note", "1e+21.0 in a string stays");
  json_node_take_object (payload, object);
  msg = realtime_message_new (NULL, "1", "realtime:t", "broadcast", payload);
  json_node_unref (payload);

  text = realtime_codec_encode (REALTIME_VSN_1_0_0, msg);
  parsed = json_from_string (text, NULL);
  fail_unless (parsed != NULL, "not JSON: %s", text);
  fail_unless (strstr (text, "1e+21.0 in a string stays") != NULL,
      "the repair touched a string: %s", text);
  assert_round_trip (msg);
}

GST_END_TEST;

/* Writes @contents to a new file @name in a new temporary directory. */
static gchar *
temp_file (const gchar *name, const gchar *contents)
{
  GError *error = NULL;
  g_autofree gchar *dir = g_dir_make_tmp ("rt-fuzz-reg-XXXXXX", &error);

  g_assert_no_error (error);
  rt_test_write_file (dir, name, contents);
  return g_build_filename (dir, name, NULL);
}

static void
remove_temp_file (gchar *path)
{
  g_autofree gchar *dir = g_path_get_dirname (path);

  rt_test_rm_rf (dir);
  g_free (path);
}

/* Every problem is one line, naming the file (the contract of
 * pipeline-def.h and gateway-config.h): check-config prints one per line
 * and operators count them. */
static void
assert_one_line_each (GPtrArray *problems, const gchar *path)
{
  guint i;

  fail_unless (problems->len > 0);
  for (i = 0; i < problems->len; i++) {
    const gchar *line = g_ptr_array_index (problems, i);

    fail_unless (g_str_has_prefix (line, path), "does not name %s: %s", path,
        line);
    fail_if (strchr (line, '\n') || strchr (line, '\r'),
        "problem %u spans several lines: %s", i, line);
    fail_unless (g_utf8_validate (line, -1, NULL), "problem %u is not UTF-8",
        i);
  }
}

/* fuzz-pipeline-def regress-newline-in-problem: GKeyFile unescapes "\n" in a
 * value; the message about a bad variable name quoted it back raw, so one
 * problem became two lines (the second one not naming the file). */
GST_START_TEST (test_pipeline_def_problem_is_one_line)
{
  static const gchar *const files[] = {
    "[pipeline]\ndescription=fakesrc ! ${A\\nB} ! fakesink\n",
    "[pipeline]\ndescription=fakesrc ! ${\\r\\n} ! fakesink\n",
    "[pipeline]\ndescription=\xff\xfe ! fakesink\n",
    "[pipeline]\ndescription=x\nrestart=a\\nb\nwarm=\\t\n",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (files); i++) {
    gchar *path = temp_file ("bad.pipeline", files[i]);
    g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
    PipelineDef *def = pipeline_def_load (path, NULL, FALSE, problems);

    fail_if (def != NULL, "file %u loaded", i);
    assert_one_line_each (problems, path);
    remove_temp_file (path);
  }
}

GST_END_TEST;

/* fuzz-config regress-newline-in-problem: the same in the daemon's
 * configuration, through GLib's own error message for a bad address.
 * gateway-config.c is linked into the program only, so this runs
 * `realtime-gateway check-config`. */
GST_START_TEST (test_config_problem_is_one_line)
{
  g_autoptr (RtGatewayProcess) gp = rt_gateway_process_new ("fuzz-reg");
  const gchar *path = rt_gateway_process_get_config_path (gp);
  g_autofree gchar *out = NULL;
  g_auto (GStrv) lines = NULL;
  guint i, n = 0;

  rt_gateway_process_write_file (gp, "gateway.conf",
      "[realtime]\nurl=http://127.0.0.1:4000\napi-key-file=apikey\n"
      "channel=robot-1\n[gateway]\nrecordings-dir=/tmp/rec\n"
      "metrics-address=[::1]:91\\n87\nid=a\\nb\n");
  /* Problems go to stderr, the summary too; read both. */
  fail_if (rt_gateway_process_check_config (gp, NULL, &out) == 0,
      "check-config accepted the file");
  lines = g_strsplit (out, "\n", -1);
  for (i = 0; lines[i]; i++) {
    if (!*lines[i]
        || g_regex_match_simple ("^[0-9]+ problems? found$", lines[i], 0, 0))
      continue;
    fail_unless (g_str_has_prefix (lines[i], path),
        "check-config line %u does not name the file: %s", i, lines[i]);
    n++;
  }
  fail_unless (n > 0, "no problem printed: %s", out);
}

GST_END_TEST;

static Suite *
fuzz_regressions_suite (void)
{
  Suite *s = suite_create ("fuzz-regressions");
  TCase *tc = tcase_create ("codec");
  TCase *files = tcase_create ("files");

  suite_add_tcase (s, files);
  tcase_add_test (files, test_pipeline_def_problem_is_one_line);
  tcase_add_test (files, test_config_problem_is_one_line);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_codec_lone_surrogate_refused);
  tcase_add_test (tc, test_codec_lone_surrogate_in_binary_refused);
  tcase_add_test (tc, test_codec_malformed_surrogate_does_not_leak);
  tcase_add_test (tc, test_codec_surrogate_pair_accepted);
  tcase_add_test (tc, test_codec_large_double_round_trips);
  tcase_add_test (tc, test_codec_encodes_large_double_as_json);
  return s;
}

RT_TEST_MAIN (fuzz_regressions);

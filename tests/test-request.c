/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-request.c: the event contract on the channel. Every field rule of
 * start, stop, renew and status, hostile payloads, the request_id carried
 * back on rejections, and the exact shape of pipeline_state.
 */
#include "test-util.h"

#include <string.h>

#include "request.h"

static GatewayRequest *
parse_ok (GatewayRequestKind kind, const gchar *text)
{
  g_autoptr (JsonNode) node = rt_test_json (text);
  gchar *request_id = (gchar *)"untouched";
  GError *error = NULL;
  GatewayRequest *request;

  request = gateway_request_parse (kind, node, &request_id, &error);
  fail_unless (request != NULL, "%s refused: %s", text,
      error ? error->message : "?");
  g_assert_no_error (error);
  fail_unless (request_id == NULL);
  fail_unless_equals_int (request->kind, kind);
  return request;
}

/* Parses @text, which must be refused with @code and a message holding
 * @expected; returns the request_id carried out (or NULL). */
static gchar *
parse_refused (GatewayRequestKind kind, const gchar *text, gint code,
    const gchar *expected)
{
  g_autoptr (JsonNode) node = rt_test_json (text);
  gchar *request_id = (gchar *)"untouched";
  GError *error = NULL;
  GatewayRequest *request;

  request = gateway_request_parse (kind, node, &request_id, &error);
  fail_unless (request == NULL, "%s accepted", text);
  g_assert_error (error, GATEWAY_ERROR, code);
  if (expected)
    fail_unless (strstr (error->message, expected) != NULL,
        "error \"%s\" lacks \"%s\"", error->message, expected);
  fail_if (strpbrk (error->message, "\n\r"), "raw newline in %s",
      error->message);
  fail_unless (strlen (error->message) < 200, "long message %s",
      error->message);
  g_error_free (error);
  return request_id;
}

static void
assert_refused (GatewayRequestKind kind, const gchar *text, gint code,
    const gchar *expected)
{
  g_free (parse_refused (kind, text, code, expected));
}

GST_START_TEST (test_kind_names)
{
  fail_unless_equals_string (gateway_request_kind_to_string (
                                 GATEWAY_REQUEST_START),
      "start");
  fail_unless_equals_string (gateway_request_kind_to_string (
                                 GATEWAY_REQUEST_STOP),
      "stop");
  fail_unless_equals_string (gateway_request_kind_to_string (
                                 GATEWAY_REQUEST_RENEW),
      "renew");
  fail_unless_equals_string (gateway_request_kind_to_string (
                                 GATEWAY_REQUEST_STATUS),
      "status");
}

GST_END_TEST;

GST_START_TEST (test_start_full)
{
  g_autoptr (GatewayRequest) r = parse_ok (GATEWAY_REQUEST_START,
      "{\"pipeline\":\"front\",\"params\":{\"bitrate\":2500},"
      "\"request_id\":\"r1\",\"ttl\":60,\"extra\":[1,2,3]}");
  g_autoptr (JsonNode) want = rt_test_json ("{\"bitrate\":2500}");

  fail_unless_equals_string (r->pipeline, "front");
  fail_unless_equals_string (r->request_id, "r1");
  fail_unless_equals_int64 (r->ttl_s, 60);
  fail_unless (json_node_equal (r->params, want));
}

GST_END_TEST;

GST_START_TEST (test_start_minimal)
{
  g_autoptr (GatewayRequest) r
      = parse_ok (GATEWAY_REQUEST_START, "{\"pipeline\":\"test-pattern_1\"}");
  g_autoptr (GatewayRequest) n = parse_ok (GATEWAY_REQUEST_START,
      "{\"pipeline\":\"a\",\"params\":null,\"request_id\":null,"
      "\"ttl\":null}");

  fail_unless_equals_string (r->pipeline, "test-pattern_1");
  fail_unless (r->request_id == NULL);
  fail_unless_equals_int64 (r->ttl_s, -1);
  fail_unless (r->params == NULL);
  fail_unless (n->request_id == NULL);
  fail_unless_equals_int64 (n->ttl_s, -1);
  fail_unless (n->params == NULL);
}

GST_END_TEST;

GST_START_TEST (test_params_are_a_copy)
{
  g_autoptr (JsonNode) node = rt_test_json ("{\"pipeline\":\"a\","
                                            "\"params\":{\"x\":1}}");
  g_autoptr (GatewayRequest) r
      = gateway_request_parse (GATEWAY_REQUEST_START, node, NULL, NULL);

  fail_unless (r != NULL);
  json_object_set_int_member (json_object_get_object_member (json_node_get_object (
                                                                 node),
                                  "params"),
      "x", 2);
  fail_unless_equals_int64 (json_object_get_int_member (json_node_get_object (
                                                            r->params),
                                "x"),
      1);
}

GST_END_TEST;

GST_START_TEST (test_stop_renew_status)
{
  g_autoptr (GatewayRequest) stop = parse_ok (GATEWAY_REQUEST_STOP,
      "{\"pipeline\":\"front\",\"request_id\":\"r2\",\"ttl\":\"ignored\","
      "\"params\":7}");
  g_autoptr (GatewayRequest) renew = parse_ok (GATEWAY_REQUEST_RENEW,
      "{\"pipeline\":\"front\",\"ttl\":86400}");
  g_autoptr (GatewayRequest) status
      = parse_ok (GATEWAY_REQUEST_STATUS, "{\"request_id\":\"r3\"}");
  g_autoptr (GatewayRequest) status_one
      = parse_ok (GATEWAY_REQUEST_STATUS, "{\"pipeline\":\"front\"}");
  g_autoptr (GatewayRequest) status_empty
      = parse_ok (GATEWAY_REQUEST_STATUS, "{}");

  fail_unless_equals_string (stop->pipeline, "front");
  fail_unless_equals_string (stop->request_id, "r2");
  /* Members a kind does not use are ignored, whatever they hold. */
  fail_unless_equals_int64 (stop->ttl_s, -1);
  fail_unless (stop->params == NULL);
  fail_unless_equals_int64 (renew->ttl_s, 86400);
  fail_unless (status->pipeline == NULL);
  fail_unless_equals_string (status->request_id, "r3");
  fail_unless_equals_string (status_one->pipeline, "front");
  fail_unless (status_empty->pipeline == NULL);
}

GST_END_TEST;

GST_START_TEST (test_payload_must_be_object)
{
  const gchar *payloads[] = {
    "[]",
    "null",
    "\"start\"",
    "42",
    "true",
    "[{\"pipeline\":\"a\"}]",
  };
  GError *error = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (payloads); i++)
    assert_refused (GATEWAY_REQUEST_START, payloads[i],
        GATEWAY_ERROR_INVALID_REQUEST, "must be a JSON object");
  fail_if (gateway_request_parse (GATEWAY_REQUEST_STOP, NULL, NULL, &error));
  g_assert_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST);
  g_clear_error (&error);
}

GST_END_TEST;

GST_START_TEST (test_pipeline_rules)
{
  const gchar *bad_names[] = {
    "\"../front\"",
    "\"front cam\"",
    "\"a!b\"",
    "\"\"",
    "\"a/b\"",
    "\"front\\n\"",
    "\"fr\\u00f6nt\"",
    "\"a.b\"",
    "\"x ! filesink location=/tmp/pwned\"",
  };
  g_autofree gchar *name64 = g_strnfill (64, 'n');
  g_autofree gchar *name65 = g_strnfill (65, 'n');
  g_autofree gchar *ok64 = g_strdup_printf ("{\"pipeline\":\"%s\"}", name64);
  g_autofree gchar *bad65 = g_strdup_printf ("{\"pipeline\":\"%s\"}", name65);
  g_autoptr (GatewayRequest) r = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad_names); i++) {
    g_autofree gchar *text
        = g_strdup_printf ("{\"pipeline\":%s}", bad_names[i]);

    assert_refused (GATEWAY_REQUEST_START, text, GATEWAY_ERROR_PATTERN,
        "\"pipeline\" must be 1 to 64 of");
    assert_refused (GATEWAY_REQUEST_STATUS, text, GATEWAY_ERROR_PATTERN, NULL);
  }
  r = parse_ok (GATEWAY_REQUEST_STOP, ok64);
  fail_unless_equals_string (r->pipeline, name64);
  assert_refused (GATEWAY_REQUEST_STOP, bad65, GATEWAY_ERROR_PATTERN, NULL);

  assert_refused (GATEWAY_REQUEST_START, "{}", GATEWAY_ERROR_INVALID_REQUEST,
      "missing \"pipeline\"");
  assert_refused (GATEWAY_REQUEST_STOP, "{\"pipeline\":null}",
      GATEWAY_ERROR_INVALID_REQUEST, "missing \"pipeline\"");
  assert_refused (GATEWAY_REQUEST_RENEW, "{\"ttl\":5}",
      GATEWAY_ERROR_INVALID_REQUEST, NULL);
  assert_refused (GATEWAY_REQUEST_START, "{\"pipeline\":42}",
      GATEWAY_ERROR_BAD_TYPE,
      "\"pipeline\" must be a string, got an "
      "integer");
  assert_refused (GATEWAY_REQUEST_START, "{\"pipeline\":[\"a\"]}",
      GATEWAY_ERROR_BAD_TYPE, "got an array");
  assert_refused (GATEWAY_REQUEST_START, "{\"pipeline\":{\"a\":1}}",
      GATEWAY_ERROR_BAD_TYPE, "got an object");
}

GST_END_TEST;

GST_START_TEST (test_request_id_rules)
{
  g_autofree gchar *id128 = g_strnfill (128, 'i');
  g_autofree gchar *id129 = g_strnfill (129, 'i');
  g_autofree gchar *ok = g_strdup_printf ("{\"pipeline\":\"a\","
                                          "\"request_id\":\"%s\"}",
      id128);
  g_autofree gchar *long_id = g_strdup_printf ("{\"pipeline\":\"a\","
                                               "\"request_id\":\"%s\"}",
      id129);
  const gchar *bad_ids[] = {
    "\"\"",
    "\"a\\nb\"",
    "\"tab\\there\"",
    "\"del\\u007f\"",
    "\"\\u202eevil\"",
    "\"caf\\u00e9\"",
    "\"\\ud83d\\ude00\"",
  };
  g_autoptr (GatewayRequest) r = NULL;
  g_autoptr (GatewayRequest) punct = NULL;
  guint i;

  r = parse_ok (GATEWAY_REQUEST_START, ok);
  fail_unless_equals_string (r->request_id, id128);
  punct = parse_ok (GATEWAY_REQUEST_START,
      "{\"pipeline\":\"a\","
      "\"request_id\":\" !~{}\\\"\\\\ op-1 \"}");
  fail_unless_equals_string (punct->request_id, " !~{}\"\\ op-1 ");

  assert_refused (GATEWAY_REQUEST_START, long_id, GATEWAY_ERROR_PATTERN,
      "\"request_id\" must be 1 to 128 printable ASCII characters");
  for (i = 0; i < G_N_ELEMENTS (bad_ids); i++) {
    g_autofree gchar *text = g_strdup_printf ("{\"pipeline\":\"a\","
                                              "\"request_id\":%s}",
        bad_ids[i]);
    g_autofree gchar *carried = NULL;
    g_autoptr (JsonNode) node = NULL;

    /* json-glib may refuse some escapes (lone surrogates) itself. */
    node = json_from_string (text, NULL);
    if (!node)
      continue;
    carried = parse_refused (GATEWAY_REQUEST_STOP, text, GATEWAY_ERROR_PATTERN,
        "printable ASCII");
    fail_unless (carried == NULL, "bad id carried out: %s", carried);
  }
  assert_refused (GATEWAY_REQUEST_START,
      "{\"pipeline\":\"a\","
      "\"request_id\":7}",
      GATEWAY_ERROR_BAD_TYPE,
      "\"request_id\" must be a string, got an integer");
  assert_refused (GATEWAY_REQUEST_STATUS, "{\"request_id\":{}}",
      GATEWAY_ERROR_BAD_TYPE, NULL);
}

GST_END_TEST;

GST_START_TEST (test_request_id_carried_on_error)
{
  g_autofree gchar *a = parse_refused (GATEWAY_REQUEST_START,
      "{\"pipeline\":\"../x\",\"request_id\":\"r9\"}", GATEWAY_ERROR_PATTERN,
      NULL);
  g_autofree gchar *b = parse_refused (GATEWAY_REQUEST_RENEW,
      "{\"pipeline\":\"x\",\"request_id\":\"r10\"}",
      GATEWAY_ERROR_INVALID_REQUEST, "missing \"ttl\"");
  g_autofree gchar *c = parse_refused (GATEWAY_REQUEST_START,
      "{\"pipeline\":\"x\",\"request_id\":\"r11\",\"params\":[]}",
      GATEWAY_ERROR_BAD_TYPE, NULL);
  g_autofree gchar *d = parse_refused (GATEWAY_REQUEST_START,
      "{\"request_id\":\"r12\",\"ttl\":0}", GATEWAY_ERROR_INVALID_REQUEST,
      NULL);
  g_autofree gchar *e = parse_refused (GATEWAY_REQUEST_START, "[\"r13\"]",
      GATEWAY_ERROR_INVALID_REQUEST, NULL);
  g_autoptr (JsonNode) node
      = rt_test_json ("{\"pipeline\":7,\"request_id\":\"r\"}");
  GError *error = NULL;

  fail_unless_equals_string (a, "r9");
  fail_unless_equals_string (b, "r10");
  fail_unless_equals_string (c, "r11");
  fail_unless_equals_string (d, "r12");
  fail_unless (e == NULL);
  /* Without a place to put it, nothing leaks. */
  fail_if (gateway_request_parse (GATEWAY_REQUEST_START, node, NULL, &error));
  g_clear_error (&error);
}

GST_END_TEST;

GST_START_TEST (test_ttl_rules)
{
  g_autoptr (GatewayRequest) one
      = parse_ok (GATEWAY_REQUEST_START, "{\"pipeline\":\"a\",\"ttl\":1}");

  fail_unless_equals_int64 (one->ttl_s, 1);
  assert_refused (GATEWAY_REQUEST_START, "{\"pipeline\":\"a\",\"ttl\":0}",
      GATEWAY_ERROR_OUT_OF_BOUNDS, "\"ttl\" 0 is out of range 1..86400");
  assert_refused (GATEWAY_REQUEST_START, "{\"pipeline\":\"a\",\"ttl\":-5}",
      GATEWAY_ERROR_OUT_OF_BOUNDS, "-5");
  assert_refused (GATEWAY_REQUEST_RENEW, "{\"pipeline\":\"a\",\"ttl\":86401}",
      GATEWAY_ERROR_OUT_OF_BOUNDS, NULL);
  assert_refused (GATEWAY_REQUEST_RENEW,
      "{\"pipeline\":\"a\",\"ttl\":9223372036854775807}",
      GATEWAY_ERROR_OUT_OF_BOUNDS, NULL);
  assert_refused (GATEWAY_REQUEST_RENEW,
      "{\"pipeline\":\"a\",\"ttl\":-9223372036854775808}",
      GATEWAY_ERROR_OUT_OF_BOUNDS, NULL);
  assert_refused (GATEWAY_REQUEST_START, "{\"pipeline\":\"a\",\"ttl\":1e308}",
      GATEWAY_ERROR_BAD_TYPE,
      "\"ttl\" must be an integer number of seconds, got a fractional");
  assert_refused (GATEWAY_REQUEST_START, "{\"pipeline\":\"a\",\"ttl\":60.0}",
      GATEWAY_ERROR_BAD_TYPE, NULL);
  assert_refused (GATEWAY_REQUEST_START, "{\"pipeline\":\"a\",\"ttl\":\"60\"}",
      GATEWAY_ERROR_BAD_TYPE, NULL);
  assert_refused (GATEWAY_REQUEST_RENEW, "{\"pipeline\":\"a\",\"ttl\":true}",
      GATEWAY_ERROR_BAD_TYPE, NULL);
  assert_refused (GATEWAY_REQUEST_RENEW, "{\"pipeline\":\"a\",\"ttl\":null}",
      GATEWAY_ERROR_INVALID_REQUEST, "missing \"ttl\"");
  assert_refused (GATEWAY_REQUEST_RENEW, "{\"pipeline\":\"a\"}",
      GATEWAY_ERROR_INVALID_REQUEST, "missing \"ttl\"");
}

GST_END_TEST;

GST_START_TEST (test_params_rules)
{
  GString *text = g_string_new ("{\"pipeline\":\"a\",\"params\":{");
  g_autoptr (GatewayRequest) r64 = NULL;
  g_autoptr (GatewayRequest) empty = NULL;
  g_autofree gchar *t64 = NULL;
  guint i;

  for (i = 0; i < 64; i++)
    g_string_append_printf (text, "%s\"p%u\":%u", i ? "," : "", i, i);
  t64 = g_strdup_printf ("%s}}", text->str);
  r64 = parse_ok (GATEWAY_REQUEST_START, t64);
  fail_unless_equals_int (json_object_get_size (
                              json_node_get_object (r64->params)),
      64);
  g_string_append (text, ",\"p64\":64}}");
  assert_refused (GATEWAY_REQUEST_START, text->str, GATEWAY_ERROR_OUT_OF_BOUNDS,
      "\"params\" has 65 members, more than 64");
  g_string_free (text, TRUE);

  empty = parse_ok (GATEWAY_REQUEST_START,
      "{\"pipeline\":\"a\","
      "\"params\":{}}");
  fail_unless (empty->params != NULL);
  assert_refused (GATEWAY_REQUEST_START,
      "{\"pipeline\":\"a\","
      "\"params\":[1]}",
      GATEWAY_ERROR_BAD_TYPE, "\"params\" must be an object, got an array");
  assert_refused (GATEWAY_REQUEST_START,
      "{\"pipeline\":\"a\","
      "\"params\":\"bitrate=1\"}",
      GATEWAY_ERROR_BAD_TYPE, NULL);
  assert_refused (GATEWAY_REQUEST_START,
      "{\"pipeline\":\"a\","
      "\"params\":3}",
      GATEWAY_ERROR_BAD_TYPE, NULL);
}

GST_END_TEST;

GST_START_TEST (test_deep_nesting_in_ignored_member)
{
  GString *text = g_string_new ("{\"pipeline\":\"a\",\"junk\":");
  g_autoptr (GatewayRequest) r = NULL;
  guint i;

  for (i = 0; i < 60; i++)
    g_string_append_c (text, '[');
  for (i = 0; i < 60; i++)
    g_string_append_c (text, ']');
  g_string_append_c (text, '}');
  r = parse_ok (GATEWAY_REQUEST_START, text->str);
  fail_unless_equals_string (r->pipeline, "a");
  g_string_free (text, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_error_quotes_are_short)
{
  g_autofree gchar *evil = g_strnfill (5000, 'A');
  g_autofree gchar *text = g_strdup_printf ("{\"pipeline\":\"x %s\"}", evil);
  g_autoptr (JsonNode) node = rt_test_json (text);
  GError *error = NULL;

  fail_if (gateway_request_parse (GATEWAY_REQUEST_START, node, NULL, &error));
  fail_unless (strlen (error->message) < 120, "%s", error->message);
  fail_unless (strstr (error->message, "...\"") != NULL, "%s", error->message);
  g_clear_error (&error);
}

GST_END_TEST;

static void
assert_payload (JsonNode *node, const gchar *expected)
{
  g_autofree gchar *text = json_to_string (node, FALSE);

  fail_unless_equals_string (text, expected);
}

GST_START_TEST (test_state_payload_exact)
{
  g_autoptr (JsonNode) params
      = rt_test_json ("{\"bitrate\":2500,\"pattern\":\"ball\"}");
  g_autoptr (JsonNode) full = gateway_state_payload_new ("front", "playing",
      (const gchar *[]){ "r1", NULL }, NULL, params);
  g_autoptr (JsonNode) failed = gateway_state_payload_new ("front", "failed",
      NULL, "param \"bitrate\": 99999 is above the maximum 8000", NULL);
  g_autoptr (JsonNode) nothing
      = gateway_state_payload_new (NULL, "failed", NULL, NULL, NULL);
  g_autoptr (JsonNode) coalesced = gateway_state_payload_new ("front",
      "stopped", (const gchar *[]){ "r1", "r2", "r3", NULL }, NULL, NULL);

  assert_payload (full,
      "{\"pipeline\":\"front\",\"state\":\"playing\","
      "\"request_id\":\"r1\",\"request_ids\":[\"r1\"],\"error\":null,"
      "\"params\":{\"bitrate\":2500,\"pattern\":\"ball\"}}");
  assert_payload (failed,
      "{\"pipeline\":\"front\",\"state\":\"failed\","
      "\"request_id\":null,\"request_ids\":[],"
      "\"error\":\"param \\\"bitrate\\\": 99999 is above the maximum 8000\","
      "\"params\":{}}");
  assert_payload (nothing,
      "{\"pipeline\":null,\"state\":\"failed\","
      "\"request_id\":null,\"request_ids\":[],\"error\":null,"
      "\"params\":{}}");
  /* Coalesced answers: request_id is the last of request_ids. */
  assert_payload (coalesced,
      "{\"pipeline\":\"front\",\"state\":\"stopped\","
      "\"request_id\":\"r3\",\"request_ids\":[\"r1\",\"r2\",\"r3\"],"
      "\"error\":null,\"params\":{}}");
  /* The caller's params are not taken over. */
  json_object_set_int_member (json_node_get_object (params), "bitrate", 1);
  fail_unless_equals_int64 (json_object_get_int_member (
                                json_object_get_object_member (json_node_get_object (
                                                                   full),
                                    "params"),
                                "bitrate"),
      2500);
}

GST_END_TEST;

static Suite *
request_suite (void)
{
  Suite *s = suite_create ("request");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_kind_names);
  tcase_add_test (tc, test_start_full);
  tcase_add_test (tc, test_start_minimal);
  tcase_add_test (tc, test_params_are_a_copy);
  tcase_add_test (tc, test_stop_renew_status);
  tcase_add_test (tc, test_payload_must_be_object);
  tcase_add_test (tc, test_pipeline_rules);
  tcase_add_test (tc, test_request_id_rules);
  tcase_add_test (tc, test_request_id_carried_on_error);
  tcase_add_test (tc, test_ttl_rules);
  tcase_add_test (tc, test_params_rules);
  tcase_add_test (tc, test_deep_nesting_in_ignored_member);
  tcase_add_test (tc, test_error_quotes_are_short);
  tcase_add_test (tc, test_state_payload_exact);
  return s;
}

RT_TEST_MAIN (request);

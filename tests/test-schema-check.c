/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-schema-check.c: the contract's schemas and the validator that holds
 * the suites to them (tests/support/schema-check.h).
 *
 * - each keyword of the validator accepts what it should and refuses what
 *   it should; a keyword it does not know is an error of the schema;
 * - every schema of docs/schema is understood in full, every example of
 *   docs/schema/examples matches its schema, every JSON example of
 *   docs/CONTRACT.md is one of those files and every file is shown there;
 * - the schemas refuse the drifts a reply or a request could make;
 * - a reply (or presence track) that drifts from its schema fails the test
 *   that receives it through the reply collector: shown by running this
 *   suite as a child on a drifted payload, which must fail, and on a good
 *   one, which must pass.
 */
#include "test-util.h"

#include "realtime-channel.h"
#include "realtime-client.h"
#include "reply-collector.h"
#include "rt-server.h"
#include "schema-check.h"

#include <string.h>

#define CHANNEL "schema-test"
#define TOPIC "realtime:" CHANNEL

static JsonNode *
parse (const gchar *json)
{
  GError *error = NULL;
  JsonNode *node = json_from_string (json, &error);

  fail_unless (node != NULL, "not JSON: %s: %s", json,
      error ? error->message : "empty");
  return node;
}

/* Validates @instance against the inline @schema; a refusal must be a
 * mismatch, never a schema error. */
static void
expect (const gchar *schema, const gchar *instance, gboolean valid)
{
  g_autoptr (JsonNode) s = parse (schema);
  g_autoptr (JsonNode) i = parse (instance);
  g_autoptr (GError) error = NULL;
  gboolean ok = rt_schema_validate (s, i, &error);

  if (valid) {
    fail_unless (ok, "%s should match %s: %s", instance, schema,
        error->message);
    return;
  }
  fail_if (ok, "%s should not match %s", instance, schema);
  fail_unless (g_error_matches (error, RT_SCHEMA_ERROR,
                   RT_SCHEMA_ERROR_MISMATCH),
      "%s against %s: not a mismatch: %s", instance, schema, error->message);
}

#define GOOD(schema, instance) expect (schema, instance, TRUE)
#define BAD(schema, instance) expect (schema, instance, FALSE)

/* @schema is refused as a schema: by validation and by the static check. */
static void
expect_schema_error (const gchar *schema, const gchar *instance,
    const gchar *reason)
{
  g_autoptr (JsonNode) s = parse (schema);
  g_autoptr (JsonNode) i = parse (instance);
  g_autoptr (RtSchemaSet) set = rt_schema_set_new (NULL);
  g_autoptr (GError) error = NULL;

  fail_if (rt_schema_validate (s, i, &error), "%s accepted as a schema",
      schema);
  fail_unless (g_error_matches (error, RT_SCHEMA_ERROR, RT_SCHEMA_ERROR_SCHEMA),
      "%s: %s", schema, error->message);
  fail_unless (strstr (error->message, reason), "%s: \"%s\" not in: %s", schema,
      reason, error->message);
  g_clear_error (&error);
  rt_schema_set_add (set, "s.json", s);
  fail_if (rt_schema_set_check (set, "s.json", &error),
      "%s passed the static check", schema);
  fail_unless (g_error_matches (error, RT_SCHEMA_ERROR, RT_SCHEMA_ERROR_SCHEMA),
      "%s: %s", schema, error->message);
}

/* --- each keyword -------------------------------------------------------- */

GST_START_TEST (test_type)
{
  GOOD ("{\"type\":\"string\"}", "\"a\"");
  BAD ("{\"type\":\"string\"}", "1");
  GOOD ("{\"type\":\"integer\"}", "3");
  GOOD ("{\"type\":\"integer\"}", "-3.0");
  BAD ("{\"type\":\"integer\"}", "3.5");
  BAD ("{\"type\":\"integer\"}", "\"3\"");
  GOOD ("{\"type\":\"number\"}", "3.5");
  GOOD ("{\"type\":\"number\"}", "3");
  BAD ("{\"type\":\"number\"}", "true");
  GOOD ("{\"type\":\"null\"}", "null");
  BAD ("{\"type\":\"null\"}", "0");
  GOOD ("{\"type\":\"boolean\"}", "false");
  BAD ("{\"type\":\"boolean\"}", "\"false\"");
  GOOD ("{\"type\":\"object\"}", "{}");
  BAD ("{\"type\":\"object\"}", "[]");
  GOOD ("{\"type\":\"array\"}", "[]");
  BAD ("{\"type\":\"array\"}", "{}");
  GOOD ("{\"type\":[\"string\",\"null\"]}", "\"x\"");
  GOOD ("{\"type\":[\"string\",\"null\"]}", "null");
  BAD ("{\"type\":[\"string\",\"null\"]}", "1");
}

GST_END_TEST;

GST_START_TEST (test_properties_required_additional)
{
  const gchar *closed = "{\"properties\":{\"a\":{\"type\":\"integer\"}},"
                        "\"required\":[\"a\"],\"additionalProperties\":false}";
  const gchar *typed = "{\"properties\":{\"a\":true},"
                       "\"additionalProperties\":{\"type\":\"string\"}}";
  const gchar *open = "{\"properties\":{\"a\":{\"type\":\"integer\"}}}";

  GOOD (closed, "{\"a\":1}");
  BAD (closed, "{}");
  BAD (closed, "{\"a\":\"x\"}");
  BAD (closed, "{\"a\":1,\"b\":2}");
  /* Object keywords say nothing about other types. */
  GOOD (closed, "\"not an object\"");
  GOOD (typed, "{\"a\":1,\"x\":\"y\"}");
  BAD (typed, "{\"a\":1,\"x\":2}");
  GOOD (open, "{\"b\":[1]}");
  BAD (open, "{\"a\":null}");
}

GST_END_TEST;

GST_START_TEST (test_property_names_and_counts)
{
  const gchar *schema = "{\"propertyNames\":{\"pattern\":\"^[a-z]{1,3}$\"},"
                        "\"minProperties\":1,\"maxProperties\":2}";

  GOOD (schema, "{\"a\":1}");
  GOOD (schema, "{\"a\":1,\"bcd\":2}");
  BAD (schema, "{}");
  BAD (schema, "{\"a\":1,\"b\":2,\"c\":3}");
  BAD (schema, "{\"A\":1}");
  BAD (schema, "{\"abcd\":1}");
}

GST_END_TEST;

GST_START_TEST (test_enum_and_const)
{
  const gchar *e = "{\"enum\":[\"a\",1,null,{\"k\":[1],\"l\":true}]}";

  GOOD (e, "\"a\"");
  GOOD (e, "1");
  GOOD (e, "1.0");
  GOOD (e, "null");
  GOOD (e, "{\"l\":true,\"k\":[1]}");
  BAD (e, "\"b\"");
  BAD (e, "2");
  BAD (e, "{\"k\":[2],\"l\":true}");
  BAD (e, "{\"k\":[1]}");
  GOOD ("{\"const\":\"failed\"}", "\"failed\"");
  BAD ("{\"const\":\"failed\"}", "\"Failed\"");
  BAD ("{\"const\":null}", "false");
}

GST_END_TEST;

GST_START_TEST (test_minimum_and_maximum)
{
  const gchar *ttl = "{\"minimum\":1,\"maximum\":86400}";

  GOOD (ttl, "1");
  GOOD (ttl, "86400");
  GOOD (ttl, "1.5");
  BAD (ttl, "0");
  BAD (ttl, "-1");
  BAD (ttl, "0.5");
  BAD (ttl, "86401");
  BAD (ttl, "86400.5");
  BAD (ttl, "9223372036854775807");
  GOOD (ttl, "\"not a number\"");
  GOOD ("{\"minimum\":-0.5}", "-0.5");
  BAD ("{\"maximum\":0.25}", "0.3");
}

GST_END_TEST;

GST_START_TEST (test_string_lengths)
{
  const gchar *schema = "{\"minLength\":2,\"maxLength\":3}";

  GOOD (schema, "\"ab\"");
  GOOD (schema, "\"abc\"");
  /* Characters, not bytes: two of two bytes each. */
  GOOD (schema, "\"\\u00e9\\u00e9\"");
  BAD (schema, "\"a\"");
  BAD (schema, "\"abcd\"");
  BAD (schema, "\"\\u00e9\\u00e9\\u00e9\\u00e9\"");
  GOOD (schema, "7");
}

GST_END_TEST;

GST_START_TEST (test_pattern)
{
  const gchar *printable = "{\"pattern\":\"^[ -~]+$\"}";

  GOOD (printable, "\"r1 ~x\"");
  BAD (printable, "\"\"");
  BAD (printable, "\"a\\u0001b\"");
  /* "$" is the very end, as in ECMAScript: not before a final newline. */
  BAD (printable, "\"abc\\n\"");
  BAD (printable, "\"\\u00e9\"");
  /* Unanchored unless the pattern says so. */
  GOOD ("{\"pattern\":\"b\"}", "\"abc\"");
  BAD ("{\"pattern\":\"b\"}", "\"xyz\"");
  /* Code points, not bytes. */
  GOOD ("{\"pattern\":\"^.$\"}", "\"\\u00e9\"");
  GOOD (printable, "12");
}

GST_END_TEST;

GST_START_TEST (test_items)
{
  const gchar *schema
      = "{\"items\":{\"type\":\"string\"},\"minItems\":1,\"maxItems\":2}";

  GOOD (schema, "[\"a\"]");
  GOOD (schema, "[\"a\",\"b\"]");
  BAD (schema, "[]");
  BAD (schema, "[\"a\",\"b\",\"c\"]");
  BAD (schema, "[\"a\",1]");
  GOOD (schema, "{}");
}

GST_END_TEST;

GST_START_TEST (test_any_one_all_of)
{
  const gchar *any = "{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]}";
  const gchar *one = "{\"oneOf\":[{\"type\":\"integer\"},{\"type\":\"number\"},"
                     "{\"type\":\"null\"}]}";
  const gchar *all = "{\"allOf\":[{\"minimum\":1},{\"maximum\":2}]}";
  g_autoptr (JsonNode) s = parse (one);
  g_autoptr (JsonNode) i = parse ("\"x\"");
  g_autoptr (GError) error = NULL;

  GOOD (any, "\"x\"");
  GOOD (any, "null");
  BAD (any, "1");
  /* 1 is an integer and a number: two matches are one too many. */
  BAD (one, "1");
  GOOD (one, "1.5");
  GOOD (one, "null");
  BAD (one, "\"x\"");
  GOOD (all, "1.5");
  BAD (all, "3");
  BAD (all, "0");
  /* The message says why each branch failed. */
  fail_if (rt_schema_validate (s, i, &error));
  fail_unless (strstr (error->message, "none of the 3 schemas of oneOf")
          && strstr (error->message, "[0]") && strstr (error->message, "[2]"),
      "%s", error->message);
}

GST_END_TEST;

GST_START_TEST (test_ref)
{
  const gchar *local
      = "{\"$defs\":{\"id\":{\"type\":\"string\"},\"a/b~c\":{\"const\":1}},"
        "\"properties\":{\"x\":{\"$ref\":\"#/$defs/id\"},"
        "\"y\":{\"$ref\":\"#/$defs/a~1b~0c\"}}}";
  g_autoptr (RtSchemaSet) set = rt_schema_set_new (NULL);
  g_autoptr (JsonNode) a = parse ("{\"$ref\":\"b.json#/$defs/m\"}");
  g_autoptr (JsonNode) b = parse ("{\"$defs\":{\"n\":{\"type\":\"integer\"},"
                                  "\"m\":{\"$ref\":\"#/$defs/n\"}}}");
  g_autoptr (JsonNode) one = parse ("1");
  g_autoptr (JsonNode) text = parse ("\"x\"");
  g_autoptr (GError) error = NULL;

  GOOD (local, "{\"x\":\"s\",\"y\":1}");
  BAD (local, "{\"x\":1}");
  BAD (local, "{\"y\":2}");
  /* Into another document, whose own "#/..." stay within it. */
  rt_schema_set_add (set, "a.json", a);
  rt_schema_set_add (set, "b.json", b);
  fail_unless (rt_schema_set_has (set, "b.json"));
  fail_if (rt_schema_set_has (set, "c.json"));
  fail_unless (rt_schema_set_check (set, "a.json", &error), "%s",
      error->message);
  fail_unless (rt_schema_set_validate (set, "a.json", one, &error), "%s",
      error->message);
  fail_if (rt_schema_set_validate (set, "a.json", text, &error));
  fail_unless (g_error_matches (error, RT_SCHEMA_ERROR,
                   RT_SCHEMA_ERROR_MISMATCH),
      "%s", error->message);
  fail_unless (strstr (error->message, "b.json#/$defs/n/type"), "%s",
      error->message);
}

GST_END_TEST;

GST_START_TEST (test_boolean_schemas)
{
  GOOD ("true", "{\"anything\":[1]}");
  BAD ("false", "null");
  BAD ("{\"properties\":{\"a\":false}}", "{\"a\":1}");
  GOOD ("{\"properties\":{\"a\":false}}", "{\"b\":1}");
}

GST_END_TEST;

GST_START_TEST (test_schema_errors)
{
  g_autoptr (RtSchemaSet) set = rt_schema_set_new (NULL);
  g_autoptr (JsonNode) deep
      = parse ("{\"properties\":{\"a\":{\"format\":\"email\"}}}");
  g_autoptr (JsonNode) cycle
      = parse ("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}},"
               "\"$ref\":\"#/$defs/a\"}");
  g_autoptr (JsonNode) empty = parse ("{}");
  g_autoptr (GError) error = NULL;

  /* Never silently ignored: a keyword the validator does not know. */
  expect_schema_error ("{\"format\":\"email\"}", "\"x\"", "not supported");
  expect_schema_error ("{\"if\":true}", "1", "not supported");
  expect_schema_error ("{\"type\":\"text\"}", "1", "unknown type");
  expect_schema_error ("{\"type\":[]}", "1", "type must be");
  expect_schema_error ("{\"minLength\":-1}", "\"x\"", "non-negative");
  expect_schema_error ("{\"maxItems\":1.5}", "[]", "non-negative");
  expect_schema_error ("{\"minimum\":\"1\"}", "1", "must be a number");
  expect_schema_error ("{\"pattern\":\"(\"}", "\"x\"", "does not compile");
  expect_schema_error ("{\"required\":[1]}", "{}", "array of strings");
  expect_schema_error ("{\"enum\":[]}", "1", "non-empty");
  expect_schema_error ("{\"anyOf\":[1]}", "1", "not a schema");
  expect_schema_error ("{\"properties\":[]}", "{}", "must be an object");
  expect_schema_error ("{\"$ref\":\"#/$defs/missing\"}", "1",
      "resolves to nothing");
  expect_schema_error ("{\"$ref\":\"other.json\"}", "1", "other.json");
  expect_schema_error ("{\"$ref\":\"#x\"}", "1", "JSON pointer");
  expect_schema_error ("[]", "1", "object or a boolean");

  /* Not reached by this instance, but found by the static check. */
  rt_schema_set_add (set, "deep.json", deep);
  fail_unless (rt_schema_set_validate (set, "deep.json", empty, &error), "%s",
      error->message);
  fail_if (rt_schema_set_check (set, "deep.json", &error));
  fail_unless (strstr (error->message, "#/properties/a/format"), "%s",
      error->message);
  g_clear_error (&error);

  /* A $ref cycle ends in an error, not a crash. */
  rt_schema_set_add (set, "cycle.json", cycle);
  fail_unless (rt_schema_set_check (set, "cycle.json", &error), "%s",
      error->message);
  fail_if (rt_schema_set_validate (set, "cycle.json", empty, &error));
  fail_unless (g_error_matches (error, RT_SCHEMA_ERROR, RT_SCHEMA_ERROR_SCHEMA),
      "%s", error->message);
}

GST_END_TEST;

GST_START_TEST (test_error_names_the_place)
{
  g_autoptr (JsonNode) s = parse ("{\"properties\":{\"a\":{\"items\":{"
                                  "\"properties\":{\"b/c\":{\"type\":"
                                  "\"integer\"}}}}}}");
  g_autoptr (JsonNode) i = parse ("{\"a\":[{\"b/c\":1},{\"b/c\":\"x\"}]}");
  g_autoptr (GError) error = NULL;

  fail_if (rt_schema_validate (s, i, &error));
  fail_unless (strstr (error->message,
                   "at /a/1/b~1c: string where the type "
                   "is \"integer\""),
      "%s", error->message);
  fail_unless (strstr (error->message,
                   "#/properties/a/items/properties/b~1c/type"),
      "%s", error->message);
}

GST_END_TEST;

/* --- the repository's schemas and examples ------------------------------ */

/* The names of the *.json files of @dir, sorted. */
static GPtrArray *
list_json (const gchar *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const gchar *name;

  fail_unless (d != NULL, "cannot read %s", dir);
  while ((name = g_dir_read_name (d)))
    if (g_str_has_suffix (name, ".json"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc)g_strcmp0);
  return names;
}

/* "pipeline_state.json" for "pipeline_state.coalesced.json". */
static gchar *
schema_of_example (const gchar *example)
{
  return g_strdup_printf ("%.*s.json", (gint)strcspn (example, "."), example);
}

static JsonNode *
read_example (const gchar *name)
{
  g_autofree gchar *path
      = g_build_filename (RT_SCHEMA_DIR, "examples", name, NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  GError *error = NULL;

  fail_unless (json_parser_load_from_file (parser, path, &error), "%s: %s",
      path, error ? error->message : "");
  return json_parser_steal_root (parser);
}

GST_START_TEST (test_repository_schemas_are_understood)
{
  g_autoptr (GPtrArray) names = list_json (RT_SCHEMA_DIR);
  static const gchar *const messages[]
      = { "common.json", "start.json", "stop.json", "renew.json", "status.json",
          "pipeline_state.json", "presence.json", NULL };
  guint i;

  for (i = 0; messages[i]; i++)
    fail_unless (g_ptr_array_find_with_equal_func (names, messages[i],
                     g_str_equal, NULL),
        "docs/schema/%s is missing", messages[i]);
  for (i = 0; i < names->len; i++) {
    g_autoptr (GError) error = NULL;
    const gchar *name = g_ptr_array_index (names, i);

    fail_unless (rt_schema_set_check (rt_schema_set_get_default (), name,
                     &error),
        "docs/schema/%s: %s", name, error ? error->message : "");
  }
}

GST_END_TEST;

GST_START_TEST (test_repository_examples_match)
{
  g_autofree gchar *dir = g_build_filename (RT_SCHEMA_DIR, "examples", NULL);
  g_autoptr (GPtrArray) names = list_json (dir);
  guint i;

  fail_unless (names->len >= 10, "only %u examples", names->len);
  for (i = 0; i < names->len; i++) {
    const gchar *name = g_ptr_array_index (names, i);
    g_autofree gchar *schema = schema_of_example (name);
    g_autoptr (JsonNode) example = read_example (name);
    g_autoptr (GError) error = NULL;

    fail_unless (rt_schema_set_validate (rt_schema_set_get_default (), schema,
                     example, &error),
        "examples/%s: %s", name, error ? error->message : "");
  }
}

GST_END_TEST;

/* Every ```json block of docs/CONTRACT.md, parsed. */
static GPtrArray *
contract_json_blocks (void)
{
  g_autofree gchar *path
      = g_build_filename (RT_SCHEMA_DIR, "..", "CONTRACT.md", NULL);
  g_autofree gchar *text = NULL;
  g_auto (GStrv) lines = NULL;
  GPtrArray *blocks
      = g_ptr_array_new_with_free_func ((GDestroyNotify)json_node_unref);
  GString *block = NULL;
  guint i;

  fail_unless (g_file_get_contents (path, &text, NULL, NULL), "cannot read %s",
      path);
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i]; i++) {
    if (!block && g_str_equal (g_strstrip (lines[i]), "```json")) {
      block = g_string_new (NULL);
    } else if (block && g_str_equal (g_strstrip (lines[i]), "```")) {
      g_ptr_array_add (blocks, parse (block->str));
      g_string_free (block, TRUE);
      block = NULL;
    } else if (block) {
      g_string_append_printf (block, "%s\n", lines[i]);
    }
  }
  fail_if (block != NULL, "docs/CONTRACT.md: a ```json block is not closed");
  return blocks;
}

GST_START_TEST (test_contract_examples_are_the_files)
{
  g_autofree gchar *dir = g_build_filename (RT_SCHEMA_DIR, "examples", NULL);
  g_autoptr (GPtrArray) names = list_json (dir);
  g_autoptr (GPtrArray) blocks = contract_json_blocks ();
  g_autoptr (GPtrArray) examples
      = g_ptr_array_new_with_free_func ((GDestroyNotify)json_node_unref);
  guint i, j;

  for (i = 0; i < names->len; i++)
    g_ptr_array_add (examples, read_example (g_ptr_array_index (names, i)));
  for (i = 0; i < blocks->len; i++) {
    JsonNode *block = g_ptr_array_index (blocks, i);
    g_autofree gchar *json = json_to_string (block, FALSE);

    for (j = 0; j < examples->len; j++)
      if (json_node_equal (block, g_ptr_array_index (examples, j)))
        break;
    fail_unless (j < examples->len,
        "docs/CONTRACT.md: the JSON example %s is none of "
        "docs/schema/examples/*.json",
        json);
  }
  for (j = 0; j < examples->len; j++) {
    for (i = 0; i < blocks->len; i++)
      if (json_node_equal (g_ptr_array_index (blocks, i),
              g_ptr_array_index (examples, j)))
        break;
    fail_unless (i < blocks->len,
        "docs/schema/examples/%s is not shown in docs/CONTRACT.md",
        (const gchar *)g_ptr_array_index (names, j));
  }
}

GST_END_TEST;

static void
expect_doc (const gchar *schema, const gchar *instance, gboolean valid)
{
  g_autoptr (JsonNode) i = parse (instance);
  g_autoptr (GError) error = NULL;
  gboolean ok = rt_schema_set_validate (rt_schema_set_get_default (), schema, i,
      &error);

  if (valid)
    fail_unless (ok, "%s should match %s: %s", instance, schema,
        error->message);
  else
    fail_unless (!ok && error->code == RT_SCHEMA_ERROR_MISMATCH,
        "%s should not match %s%s%s", instance, schema, ok ? "" : ": ",
        ok ? "" : error->message);
}

#define STATE_OK                                                               \
  "\"pipeline\":\"cam\",\"state\":\"playing\",\"request_id\":\"r1\","          \
  "\"request_ids\":[\"r1\"],\"error\":null"

GST_START_TEST (test_schemas_refuse_drift)
{
  g_autofree gchar *long_id = g_strnfill (129, 'x');
  g_autofree gchar *max_id = g_strnfill (128, 'x');
  g_autofree gchar *too_long
      = g_strdup_printf ("{\"pipeline\":\"cam\","
                         "\"state\":\"failed\","
                         "\"request_id\":\"%s\","
                         "\"request_ids\":[\"%s\"],"
                         "\"error\":\"x\",\"params\":{}}",
          long_id, long_id);
  g_autofree gchar *longest
      = g_strdup_printf ("{\"request_id\":\"%s\"}", max_id);
  g_autoptr (GString) params
      = g_string_new ("{\"pipeline\":\"cam\",\"params\":{");
  guint i;

  expect_doc ("pipeline_state.json", "{" STATE_OK ",\"params\":{}}", TRUE);
  expect_doc ("pipeline_state.json",
      "{" STATE_OK ",\"params\":{\"a\":1,\"b\":1.5,\"c\":true,\"d\":\"x\"}}",
      TRUE);
  /* A member missing, one too many, a state or a type that drifted. */
  expect_doc ("pipeline_state.json",
      "{\"pipeline\":\"cam\",\"state\":\"playing\",\"request_id\":\"r1\","
      "\"error\":null,\"params\":{}}",
      FALSE);
  expect_doc ("pipeline_state.json",
      "{" STATE_OK ",\"params\":{},\"lease\":60}", FALSE);
  expect_doc ("pipeline_state.json",
      "{\"pipeline\":\"cam\",\"state\":\"running\",\"request_id\":null,"
      "\"request_ids\":[],\"error\":null,\"params\":{}}",
      FALSE);
  expect_doc ("pipeline_state.json",
      "{\"pipeline\":\"cam\",\"state\":\"failed\",\"request_id\":null,"
      "\"request_ids\":[],\"error\":\"\",\"params\":{}}",
      FALSE);
  expect_doc ("pipeline_state.json",
      "{\"pipeline\":\"cam\",\"state\":\"failed\",\"request_id\":null,"
      "\"request_ids\":null,\"error\":\"x\",\"params\":{}}",
      FALSE);
  expect_doc ("pipeline_state.json", "{" STATE_OK ",\"params\":null}", FALSE);
  expect_doc ("pipeline_state.json", "{" STATE_OK ",\"params\":{\"a\":{}}}",
      FALSE);
  expect_doc ("pipeline_state.json",
      "{\"pipeline\":\"../cam\",\"state\":\"playing\",\"request_id\":null,"
      "\"request_ids\":[],\"error\":null,\"params\":{}}",
      FALSE);
  expect_doc ("pipeline_state.json", too_long, FALSE);
  expect_doc ("pipeline_state.json",
      "{\"pipeline\":\"cam\",\"state\":\"failed\",\"request_id\":\"a\\nb\","
      "\"request_ids\":[\"a\\nb\"],\"error\":\"x\",\"params\":{}}",
      FALSE);

  /* Requests: what the gateway refuses, the schemas refuse. */
  expect_doc ("status.json", longest, TRUE);
  expect_doc ("start.json", "{\"pipeline\":\"cam\",\"ttl\":null}", TRUE);
  expect_doc ("start.json", "{\"pipeline\":\"cam\",\"ttl\":0}", FALSE);
  expect_doc ("start.json", "{\"pipeline\":\"cam\",\"ttl\":86401}", FALSE);
  expect_doc ("start.json", "{\"pipeline\":\"cam\",\"ttl\":\"60\"}", FALSE);
  expect_doc ("start.json", "{\"pipeline\":\"cam\",\"params\":[1]}", FALSE);
  expect_doc ("start.json", "{\"pipeline\":\"cam\",\"params\":{\"a\":null}}",
      FALSE);
  expect_doc ("start.json", "{\"pipeline\":\"a b\"}", FALSE);
  expect_doc ("start.json", "[]", FALSE);
  expect_doc ("renew.json", "{\"pipeline\":\"cam\"}", FALSE);
  expect_doc ("renew.json", "{\"pipeline\":\"cam\",\"ttl\":null}", FALSE);
  expect_doc ("stop.json", "{\"pipeline\":\"cam\",\"request_id\":42}", FALSE);
  expect_doc ("status.json", "{\"request_id\":\"\"}", FALSE);
  for (i = 0; i < 65; i++)
    g_string_append_printf (params, "%s\"p%u\":1", i ? "," : "", i);
  g_string_append (params, "}}");
  expect_doc ("start.json", params->str, FALSE);

  /* Presence. */
  expect_doc ("presence.json",
      "{\"id\":\"r\",\"version\":\"0.1.0\",\"pipelines\":{},"
      "\"phx_ref\":\"F1\"}",
      TRUE);
  expect_doc ("presence.json",
      "{\"id\":\"r\",\"version\":\"0.1.0\",\"pipelines\":{\"cam\":\"on\"}}",
      FALSE);
  expect_doc ("presence.json",
      "{\"id\":\"r\\\"\",\"version\":\"0.1.0\",\"pipelines\":{}}", FALSE);
  expect_doc ("presence.json", "{\"id\":\"r\",\"pipelines\":{}}", FALSE);
}

GST_END_TEST;

/* --- a drifted reply fails the test that receives it --------------------- */

/* The child: joins the channel, sends what RT_SCHEMA_CHILD says
 * ("reply:JSON" as a pipeline_state broadcast, "presence:JSON" as a
 * presence track) and reads it through a reply collector. */
GST_START_TEST (test_child_receives)
{
  const gchar *what = g_getenv ("RT_SCHEMA_CHILD");
  gboolean presence = g_str_has_prefix (what, "presence:");
  g_autoptr (JsonNode) payload = parse (strchr (what, ':') + 1);
  GError *error = NULL;
  g_autoptr (RtServer) server = rt_server_new (0, RT_TEST_API_KEY, &error);
  g_autoptr (RtReplyCollector) c = NULL;
  RealtimeClient *client;
  RealtimeChannel *ch;

  g_assert_no_error (error);
  c = rt_reply_collector_new (server, TOPIC, NULL);
  client = g_object_new (REALTIME_TYPE_CLIENT, "url",
      rt_server_get_url (server), "api-key", RT_TEST_API_KEY, NULL);
  ch = realtime_client_channel (client, CHANNEL);
  if (presence)
    g_object_set (ch, "presence-key", "child", NULL);
  realtime_channel_subscribe (ch);
  realtime_client_connect (client);
  fail_unless (RT_WAIT_UNTIL (realtime_channel_get_state (ch)
          == REALTIME_CHANNEL_STATE_JOINED,
      10000));
  if (presence) {
    realtime_channel_track (ch, payload);
    fail_unless (
        RT_WAIT_UNTIL (rt_server_count_frames (server, TOPIC, "presence") > 0,
            10000));
    rt_reply_collector_poll (c);
  } else {
    realtime_channel_send_broadcast (ch, "pipeline_state", payload, NULL, NULL,
        NULL);
    fail_unless (rt_reply_collector_wait (c, NULL, NULL, NULL, 10000) != NULL);
  }
  g_print ("child: received and accepted\n");
  realtime_client_disconnect (client);
  g_object_unref (client);
  rt_test_run_for (20);
}

GST_END_TEST;

/* Runs this suite's child on @what; returns its output, *@ok its success. */
static gchar *
run_child (const gchar *what, gboolean *ok)
{
  g_autofree gchar *self = g_file_read_link ("/proc/self/exe", NULL);
  gchar *argv[] = { self, NULL };
  g_auto (GStrv) env = g_get_environ ();
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  GError *error = NULL;
  gint status = 0;

  fail_unless (self != NULL);
  env = g_environ_setenv (env, "RT_SCHEMA_CHILD", what, TRUE);
  env = g_environ_unsetenv (env, "GST_CHECKS");
  env = g_environ_unsetenv (env, "CK_RUN_CASE");
  env = g_environ_unsetenv (env, "CK_RUN_SUITE");
  fail_unless (g_spawn_sync (NULL, argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out,
                   &err, &status, &error),
      "%s", error ? error->message : "");
  *ok = g_spawn_check_wait_status (status, NULL);
  return g_strconcat (out, err, NULL);
}

#define GOOD_REPLY                                                             \
  "{\"pipeline\":\"cam\",\"state\":\"playing\",\"request_id\":\"r1\","         \
  "\"request_ids\":[\"r1\"],\"error\":null,\"params\":{}}"

GST_START_TEST (test_drifted_reply_fails_the_test)
{
  gboolean ok;
  g_autofree gchar *good = run_child ("reply:" GOOD_REPLY, &ok);
  g_autofree gchar *drifted = NULL;

  fail_unless (ok, "the child failed on a good reply:\n%s", good);
  fail_unless (strstr (good, "child: received and accepted"), "%s", good);

  /* The same without request_ids: the test receiving it fails, saying why. */
  drifted = run_child ("reply:{\"pipeline\":\"cam\",\"state\":\"playing\","
                       "\"request_id\":\"r1\",\"error\":null,\"params\":{}}",
      &ok);
  fail_if (ok, "the child passed on a drifted reply:\n%s", drifted);
  fail_unless (strstr (drifted,
                   "does not match "
                   "docs/schema/pipeline_state.json")
          && strstr (drifted, "\"request_ids\" is missing"),
      "%s", drifted);
  fail_if (strstr (drifted, "child: received and accepted"), "%s", drifted);
}

GST_END_TEST;

GST_START_TEST (test_drifted_presence_fails_the_test)
{
  gboolean ok;
  g_autofree gchar *good = run_child ("presence:{\"id\":\"robot\",\"version\":"
                                      "\"0.1.0\",\"pipelines\":{\"cam\":"
                                      "\"stopped\"}}",
      &ok);
  g_autofree gchar *drifted = NULL;

  fail_unless (ok, "the child failed on a good presence:\n%s", good);
  drifted = run_child ("presence:{\"id\":\"robot\",\"version\":\"0.1.0\","
                       "\"pipelines\":{\"cam\":\"idle\"}}",
      &ok);
  fail_if (ok, "the child passed on a drifted presence:\n%s", drifted);
  fail_unless (strstr (drifted, "does not match docs/schema/presence.json")
          && strstr (drifted, "/pipelines/cam"),
      "%s", drifted);
}

GST_END_TEST;

static Suite *
schema_check_suite (void)
{
  Suite *s = suite_create ("schema-check");
  TCase *keywords = tcase_create ("keywords");
  TCase *docs = tcase_create ("docs");
  TCase *collector = tcase_create ("collector");

  if (g_getenv ("RT_SCHEMA_CHILD")) {
    TCase *child = tcase_create ("child");

    suite_add_tcase (s, child);
    tcase_add_test (child, test_child_receives);
    return s;
  }
  suite_add_tcase (s, keywords);
  tcase_add_test (keywords, test_type);
  tcase_add_test (keywords, test_properties_required_additional);
  tcase_add_test (keywords, test_property_names_and_counts);
  tcase_add_test (keywords, test_enum_and_const);
  tcase_add_test (keywords, test_minimum_and_maximum);
  tcase_add_test (keywords, test_string_lengths);
  tcase_add_test (keywords, test_pattern);
  tcase_add_test (keywords, test_items);
  tcase_add_test (keywords, test_any_one_all_of);
  tcase_add_test (keywords, test_ref);
  tcase_add_test (keywords, test_boolean_schemas);
  tcase_add_test (keywords, test_schema_errors);
  tcase_add_test (keywords, test_error_names_the_place);
  suite_add_tcase (s, docs);
  tcase_add_test (docs, test_repository_schemas_are_understood);
  tcase_add_test (docs, test_repository_examples_match);
  tcase_add_test (docs, test_contract_examples_are_the_files);
  tcase_add_test (docs, test_schemas_refuse_drift);
  suite_add_tcase (s, collector);
  tcase_add_test (collector, test_drifted_reply_fails_the_test);
  tcase_add_test (collector, test_drifted_presence_fails_the_test);
  return s;
}

RT_TEST_MAIN (schema_check);

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-params.c: typed request parameters. Values from the network must
 * match their declaration exactly (type, bounds, choices, length, pattern)
 * and reach the pipeline only as properties set through the property's own
 * GParamSpec; declarations are checked as strictly as values, against real
 * elements.
 */
#include "test-util.h"

#include <math.h>
#include <string.h>

#include "params.h"

static GKeyFile *
key_file (const gchar *text)
{
  GKeyFile *kf = g_key_file_new ();
  GError *error = NULL;

  g_key_file_load_from_data (kf, text, -1, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  return kf;
}

/* The declaration in the first group of @text. */
static GatewayParam *
param_new (const gchar *text)
{
  g_autoptr (GKeyFile) kf = key_file (text);
  g_autofree gchar *group = g_key_file_get_start_group (kf);
  GError *error = NULL;
  GatewayParam *param;

  param = gateway_param_new_from_key_file (kf, group, &error);
  g_assert_no_error (error);
  g_assert_nonnull (param);
  return param;
}

/* The error message for the first group of @text, which must be refused. */
static gchar *
param_error (const gchar *text)
{
  g_autoptr (GKeyFile) kf = key_file (text);
  g_autofree gchar *group = g_key_file_get_start_group (kf);
  GError *error = NULL;
  GatewayParam *param;
  gchar *message;

  param = gateway_param_new_from_key_file (kf, group, &error);
  fail_unless (param == NULL, "declaration accepted:\n%s", text);
  g_assert_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION);
  message = g_strdup (error->message);
  g_error_free (error);
  return message;
}

static void
assert_declaration_refused (const gchar *text, const gchar *expected)
{
  g_autofree gchar *message = param_error (text);

  fail_unless (strstr (message, expected) != NULL, "error \"%s\" lacks \"%s\"",
      message, expected);
}

/* Validates @text (JSON) and returns the value, which must be accepted. */
static void
assert_valid (const GatewayParam *param, const gchar *text, GValue *value)
{
  g_autoptr (JsonNode) node = rt_test_json (text);
  GError *error = NULL;

  fail_unless (gateway_param_validate (param, node, value, &error),
      "%s refused: %s", text, error ? error->message : "?");
  g_assert_no_error (error);
  fail_unless (G_VALUE_HOLDS (value, gateway_param_value_type (param)));
}

static void
assert_accepts (const GatewayParam *param, const gchar *text)
{
  g_auto (GValue) value = G_VALUE_INIT;

  assert_valid (param, text, &value);
}

static void
assert_node_refused (const GatewayParam *param, JsonNode *node, gint code,
    const gchar *expected)
{
  g_auto (GValue) value = G_VALUE_INIT;
  GError *error = NULL;

  fail_if (gateway_param_validate (param, node, &value, &error),
      "value accepted");
  fail_if (G_IS_VALUE (&value), "value set on error");
  g_assert_error (error, GATEWAY_ERROR, code);
  if (expected)
    fail_unless (strstr (error->message, expected) != NULL,
        "error \"%s\" lacks \"%s\"", error->message, expected);
  /* Never a raw control character from the network in a message. */
  fail_if (strpbrk (error->message, "\n\r\t"), "raw control in \"%s\"",
      error->message);
  fail_unless (strlen (error->message) < 200, "long message: %s",
      error->message);
  g_error_free (error);
}

static void
assert_refused (const GatewayParam *param, const gchar *text, gint code,
    const gchar *expected)
{
  g_autoptr (JsonNode) node = rt_test_json (text);

  assert_node_refused (param, node, code, expected);
}

#define BITRATE_UINT                                                           \
  "[param:bitrate]\nelement=enc\nproperty=bitrate\ntype=uint\n"                \
  "min=100\nmax=8000\ndefault=2500\n"

#define FILE_STRING                                                            \
  "[param:file]\nelement=sink\nproperty=location\ntype=string\n"               \
  "pattern=^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$\nmax-length=64\n"                  \
  "prefix=/rec/\nsuffix=.mp4\n"

#define PATTERN_ENUM                                                           \
  "[param:pattern]\nelement=src\nproperty=pattern\ntype=enum\n"                \
  "values=smpte;ball;snow;black\ndefault=smpte\n"

GST_START_TEST (test_declaration_fields)
{
  g_autoptr (GatewayParam) p
      = param_new (BITRATE_UINT "description=encoder bitrate in kbit/s\n");
  g_autoptr (GatewayParam) s = param_new (FILE_STRING);
  g_autoptr (GatewayParam) e = param_new (PATTERN_ENUM);

  fail_unless_equals_string (p->name, "bitrate");
  fail_unless_equals_string (p->element, "enc");
  fail_unless_equals_string (p->property, "bitrate");
  fail_unless_equals_int (p->type, GATEWAY_PARAM_UINT);
  fail_unless_equals_int64 (p->min_int, 100);
  fail_unless_equals_int64 (p->max_int, 8000);
  fail_unless (p->has_default);
  fail_unless_equals_uint64 (g_value_get_uint64 (&p->default_value), 2500);
  fail_unless_equals_string (p->description, "encoder bitrate in kbit/s");
  fail_unless (gateway_param_value_type (p) == G_TYPE_UINT64);

  fail_unless_equals_int (s->max_length, 64);
  fail_unless_equals_string (s->prefix, "/rec/");
  fail_unless_equals_string (s->suffix, ".mp4");
  fail_unless (s->pattern != NULL);
  fail_if (s->has_default);
  fail_unless (gateway_param_value_type (s) == G_TYPE_STRING);

  fail_unless_equals_int (g_strv_length (e->choices), 4);
  fail_unless_equals_string (g_value_get_string (&e->default_value), "smpte");
}

GST_END_TEST;

GST_START_TEST (test_declaration_defaults)
{
  g_autoptr (GatewayParam) i = param_new ("[param:n]\nelement=e\n"
                                          "property=p\ntype=int\n");
  g_autoptr (GatewayParam) u = param_new ("[param:n]\nelement=e\n"
                                          "property=p\ntype=uint\n");
  g_autoptr (GatewayParam) d = param_new ("[param:n]\nelement=e\n"
                                          "property=p\ntype=double\n");
  g_autoptr (GatewayParam) s = param_new ("[param:n]\nelement=e\n"
                                          "property=p\ntype=string\n");

  fail_unless_equals_int64 (i->min_int, G_MININT64);
  fail_unless_equals_int64 (i->max_int, G_MAXINT64);
  fail_unless_equals_int64 (u->min_int, 0);
  fail_unless_equals_int64 (u->max_int, G_MAXINT64);
  fail_unless (d->min_double == -G_MAXDOUBLE && d->max_double == G_MAXDOUBLE);
  fail_unless_equals_int (s->max_length, 256);
  fail_unless (s->pattern == NULL);
}

GST_END_TEST;

GST_START_TEST (test_type_names)
{
  fail_unless_equals_string (gateway_param_type_to_string (GATEWAY_PARAM_INT),
      "int");
  fail_unless_equals_string (gateway_param_type_to_string (GATEWAY_PARAM_UINT),
      "uint");
  fail_unless_equals_string (gateway_param_type_to_string (
                                 GATEWAY_PARAM_DOUBLE),
      "double");
  fail_unless_equals_string (gateway_param_type_to_string (
                                 GATEWAY_PARAM_BOOLEAN),
      "boolean");
  fail_unless_equals_string (gateway_param_type_to_string (GATEWAY_PARAM_ENUM),
      "enum");
  fail_unless_equals_string (gateway_param_type_to_string (
                                 GATEWAY_PARAM_STRING),
      "string");
  fail_unless_equals_string (gateway_param_type_to_string (GATEWAY_PARAM_HOST),
      "host");
}

GST_END_TEST;

GST_START_TEST (test_declaration_errors_name_the_key)
{
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\ntype=int\n"
                              "maximum=5\n",
      "[param:b] maximum: unknown key");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\n",
      "[param:b] type: missing");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\n"
                              "type=integer\n",
      "[param:b] type: unknown type \"integer\"");
  assert_declaration_refused ("[param:b]\nproperty=p\ntype=int\n",
      "[param:b] element: missing");
  assert_declaration_refused ("[param:b]\nelement=e\ntype=int\n",
      "[param:b] property: missing");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\ntype=int\n"
                              "min=10\nmax=5\n",
      "[param:b] min: 10 is above max 5");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\ntype=int\n"
                              "min=1.5\n",
      "[param:b] min:");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\ntype=int\n"
                              "max=99999999999999999999\n",
      "[param:b] max:");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\ntype=uint\n"
                              "min=-1\n",
      "[param:b] min:");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\n"
                              "type=double\nmax=inf\n",
      "[param:b] max:");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\n"
                              "type=double\nmin=2.5\nmax=1\n",
      "[param:b] min: 2.5 is above max 1");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\n"
                              "type=string\npattern=([a-z\n",
      "[param:b] pattern:");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\n"
                              "type=string\nmax-length=5000\n",
      "[param:b] max-length:");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\n"
                              "type=string\nmax-length=0\n",
      "[param:b] max-length:");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\ntype=int\n"
                              "pattern=^[0-9]+$\n",
      "[param:b] pattern: not used with type=int");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\n"
                              "type=string\nmin=1\n",
      "[param:b] min: not used with type=string");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\ntype=enum\n",
      "[param:b] values: missing");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\ntype=enum\n"
                              "values=a;a\n",
      "[param:b] values: \"a\" is listed twice");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\ntype=int\n"
                              "min=1\nmax=10\ndefault=11\n",
      "[param:b] default: 11 is above the maximum 10");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\n"
                              "type=boolean\ndefault=yes\n",
      "[param:b] default:");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\ntype=enum\n"
                              "values=a;b\ndefault=c\n",
      "[param:b] default: \"c\" is not one of");
  assert_declaration_refused ("[param:b]\nelement=e\nproperty=p\n"
                              "type=string\npattern=^[a-z]+$\ndefault=A\n",
      "[param:b] default: \"A\" does not match the pattern");
  assert_declaration_refused ("[param:bad name]\nelement=e\nproperty=p\n"
                              "type=int\n",
      "[param:bad name] the name must be");
  /* A host is a host: no pattern, length or prefix to widen or wrap it. */
  assert_declaration_refused ("[param:h]\nelement=e\nproperty=p\ntype=host\n"
                              "pattern=^.*$\n",
      "[param:h] pattern: not used with type=host");
  assert_declaration_refused ("[param:h]\nelement=e\nproperty=p\ntype=host\n"
                              "max-length=300\n",
      "[param:h] max-length: not used with type=host");
  assert_declaration_refused ("[param:h]\nelement=e\nproperty=p\ntype=host\n"
                              "prefix=x\n",
      "[param:h] prefix: not used with type=host");
  assert_declaration_refused ("[param:h]\nelement=e\nproperty=p\ntype=host\n"
                              "default=0.0.0.0\n",
      "[param:h] default: \"0.0.0.0\" is not a host: the unspecified");
  assert_declaration_refused ("[param:h]\nelement=e\nproperty=p\ntype=host\n"
                              "default=10.0.0.1:5000\n",
      "[param:h] default: \"10.0.0.1:5000\" is not a host: a port");
}

GST_END_TEST;

GST_START_TEST (test_declaration_reports_every_problem)
{
  g_autofree gchar *message
      = param_error ("[param:b]\nelement=e\n"
                     "property=p\ntype=int\nminimum=1\nmin=x\npattern=a\n");
  g_auto (GStrv) lines = g_strsplit (message, "\n", -1);

  fail_unless_equals_int (g_strv_length (lines), 3);
  fail_unless (strstr (message, "[param:b] minimum: unknown key"));
  fail_unless (strstr (message, "[param:b] min: \"x\""));
  fail_unless (strstr (message, "[param:b] pattern: not used"));
}

GST_END_TEST;

GST_START_TEST (test_int_accepts_integers_within_bounds)
{
  g_autoptr (GatewayParam) p
      = param_new ("[param:n]\nelement=e\n"
                   "property=p\ntype=int\nmin=-10\nmax=10\n");
  g_auto (GValue) v = G_VALUE_INIT;

  assert_valid (p, "-10", &v);
  fail_unless_equals_int64 (g_value_get_int64 (&v), -10);
  assert_accepts (p, "10");
  assert_accepts (p, "0");
  assert_accepts (p, "-0");
}

GST_END_TEST;

GST_START_TEST (test_int_refuses_other_json_types)
{
  g_autoptr (GatewayParam) p
      = param_new ("[param:n]\nelement=e\n"
                   "property=p\ntype=int\nmin=-10\nmax=10\n");

  assert_refused (p, "1.5", GATEWAY_ERROR_BAD_TYPE,
      "param \"n\": expected an integer, got a fractional number");
  assert_refused (p, "3.0", GATEWAY_ERROR_BAD_TYPE, "expected an integer");
  assert_refused (p, "1e0", GATEWAY_ERROR_BAD_TYPE, "expected an integer");
  assert_refused (p, "true", GATEWAY_ERROR_BAD_TYPE, "got a boolean");
  assert_refused (p, "\"3\"", GATEWAY_ERROR_BAD_TYPE, "got a string");
  assert_refused (p, "null", GATEWAY_ERROR_BAD_TYPE, "got null");
  assert_refused (p, "[3]", GATEWAY_ERROR_BAD_TYPE, "got an array");
  assert_refused (p, "{\"v\":3}", GATEWAY_ERROR_BAD_TYPE, "got an object");
  assert_node_refused (p, NULL, GATEWAY_ERROR_BAD_TYPE, "got null");
}

GST_END_TEST;

GST_START_TEST (test_int_bounds_are_inclusive)
{
  g_autoptr (GatewayParam) p = param_new (BITRATE_UINT);
  g_autoptr (GatewayParam) i
      = param_new ("[param:n]\nelement=e\n"
                   "property=p\ntype=int\nmin=-10\nmax=10\n");
  g_auto (GValue) v = G_VALUE_INIT;

  assert_valid (p, "100", &v);
  fail_unless_equals_uint64 (g_value_get_uint64 (&v), 100);
  assert_accepts (p, "8000");
  assert_refused (p, "99", GATEWAY_ERROR_OUT_OF_BOUNDS,
      "param \"bitrate\": 99 is below the minimum 100");
  assert_refused (p, "99999", GATEWAY_ERROR_OUT_OF_BOUNDS,
      "param \"bitrate\": 99999 is above the maximum 8000");
  assert_refused (p, "9223372036854775807", GATEWAY_ERROR_OUT_OF_BOUNDS,
      "above the maximum");
  assert_refused (i, "-11", GATEWAY_ERROR_OUT_OF_BOUNDS,
      "-11 is below the minimum -10");
  assert_refused (i, "-9223372036854775808", GATEWAY_ERROR_OUT_OF_BOUNDS,
      "below the minimum");
}

GST_END_TEST;

GST_START_TEST (test_uint_refuses_negative)
{
  g_autoptr (GatewayParam) p = param_new ("[param:n]\nelement=e\n"
                                          "property=p\ntype=uint\n");

  assert_accepts (p, "0");
  assert_accepts (p, "9223372036854775807");
  assert_refused (p, "-1", GATEWAY_ERROR_OUT_OF_BOUNDS,
      "-1 is below the minimum 0");
}

GST_END_TEST;

GST_START_TEST (test_double_accepts_numbers)
{
  g_autoptr (GatewayParam) p
      = param_new ("[param:gain]\nelement=e\n"
                   "property=p\ntype=double\nmin=-1.5\nmax=2.5\n");
  g_auto (GValue) a = G_VALUE_INIT;
  g_auto (GValue) b = G_VALUE_INIT;

  assert_valid (p, "2", &a);
  fail_unless (g_value_get_double (&a) == 2.0);
  assert_valid (p, "-1.5", &b);
  fail_unless (g_value_get_double (&b) == -1.5);
  assert_accepts (p, "2.5");
  assert_accepts (p, "0.25e1");
  assert_refused (p, "2.5000001", GATEWAY_ERROR_OUT_OF_BOUNDS,
      "above the maximum 2.5");
  assert_refused (p, "-2", GATEWAY_ERROR_OUT_OF_BOUNDS,
      "-2 is below the minimum -1.5");
  assert_refused (p, "1e308", GATEWAY_ERROR_OUT_OF_BOUNDS, "above");
  assert_refused (p, "\"1\"", GATEWAY_ERROR_BAD_TYPE, "expected a number");
  assert_refused (p, "false", GATEWAY_ERROR_BAD_TYPE, "expected a number");
}

GST_END_TEST;

GST_START_TEST (test_double_refuses_nan_and_infinity)
{
  g_autoptr (GatewayParam) p = param_new ("[param:gain]\nelement=e\n"
                                          "property=p\ntype=double\n");
  g_autoptr (JsonNode) nan_node = json_node_new (JSON_NODE_VALUE);
  g_autoptr (JsonNode) inf_node = json_node_new (JSON_NODE_VALUE);

  /* JSON text cannot spell them, but a lenient parser can produce them
   * (json-glib turns 1e400 into infinity). */
  json_node_set_double (nan_node, NAN);
  json_node_set_double (inf_node, INFINITY);
  assert_node_refused (p, nan_node, GATEWAY_ERROR_BAD_TYPE, "finite");
  assert_node_refused (p, inf_node, GATEWAY_ERROR_BAD_TYPE, "finite");
  assert_refused (p, "-1e400", GATEWAY_ERROR_BAD_TYPE, "finite");
  assert_accepts (p, "1e308");
}

GST_END_TEST;

GST_START_TEST (test_boolean_only_true_or_false)
{
  g_autoptr (GatewayParam) p
      = param_new ("[param:live]\nelement=e\n"
                   "property=p\ntype=boolean\ndefault=false\n");
  g_auto (GValue) v = G_VALUE_INIT;

  assert_valid (p, "true", &v);
  fail_unless (g_value_get_boolean (&v));
  assert_accepts (p, "false");
  fail_if (g_value_get_boolean (&p->default_value));
  assert_refused (p, "1", GATEWAY_ERROR_BAD_TYPE, "expected true or false");
  assert_refused (p, "0", GATEWAY_ERROR_BAD_TYPE, NULL);
  assert_refused (p, "\"true\"", GATEWAY_ERROR_BAD_TYPE, NULL);
  assert_refused (p, "null", GATEWAY_ERROR_BAD_TYPE, NULL);
}

GST_END_TEST;

GST_START_TEST (test_enum_only_declared_choices)
{
  g_autoptr (GatewayParam) p = param_new (PATTERN_ENUM);
  g_auto (GValue) v = G_VALUE_INIT;

  assert_valid (p, "\"ball\"", &v);
  fail_unless_equals_string (g_value_get_string (&v), "ball");
  assert_accepts (p, "\"black\"");
  assert_refused (p, "\"Ball\"", GATEWAY_ERROR_PATTERN,
      "param \"pattern\": \"Ball\" is not one of: smpte, ball, snow, black");
  assert_refused (p, "\"ball \"", GATEWAY_ERROR_PATTERN, NULL);
  /* A valid nick of the enum that the file did not offer. */
  assert_refused (p, "\"zone-plate\"", GATEWAY_ERROR_PATTERN, NULL);
  assert_refused (p, "\"\"", GATEWAY_ERROR_PATTERN, NULL);
  assert_refused (p, "1", GATEWAY_ERROR_BAD_TYPE, "expected a string");
}

GST_END_TEST;

GST_START_TEST (test_string_pattern_must_match_in_full)
{
  g_autoptr (GatewayParam) p = param_new (FILE_STRING);
  g_auto (GValue) v = G_VALUE_INIT;

  assert_valid (p, "\"clip-1_a\"", &v);
  fail_unless_equals_string (g_value_get_string (&v), "clip-1_a");
  assert_accepts (p, "\"a\"");
  assert_refused (p, "\"x ! filesink location=/tmp/pwned\"",
      GATEWAY_ERROR_PATTERN, "param \"file\": \"x ! filesink location=/t");
  assert_refused (p, "\"clip\\\" ! fakesink\"", GATEWAY_ERROR_PATTERN,
      "does not match the pattern");
  assert_refused (p, "\"a'b\"", GATEWAY_ERROR_PATTERN, NULL);
  assert_refused (p, "\"../../etc/passwd\"", GATEWAY_ERROR_PATTERN, NULL);
  assert_refused (p, "\"a/b\"", GATEWAY_ERROR_PATTERN, NULL);
  assert_refused (p, "\"-a\"", GATEWAY_ERROR_PATTERN, NULL);
  assert_refused (p, "\"\"", GATEWAY_ERROR_PATTERN, NULL);
  assert_refused (p, "\"clip ok\"", GATEWAY_ERROR_PATTERN, NULL);
  /* $ in the file's pattern would match before a final newline. */
  assert_refused (p, "\"clip\\n\"", GATEWAY_ERROR_PATTERN, "control character");
  assert_refused (p, "\"clip\\nx\"", GATEWAY_ERROR_PATTERN, NULL);
  assert_refused (p, "42", GATEWAY_ERROR_BAD_TYPE, "expected a string");
}

GST_END_TEST;

GST_START_TEST (test_string_pattern_alternation_still_full)
{
  /* An alternation at the top level must not anchor only one side. */
  g_autoptr (GatewayParam) p
      = param_new ("[param:s]\nelement=e\n"
                   "property=p\ntype=string\npattern=a|ab\n");

  assert_accepts (p, "\"a\"");
  assert_accepts (p, "\"ab\"");
  assert_refused (p, "\"abc\"", GATEWAY_ERROR_PATTERN, NULL);
  assert_refused (p, "\"xab\"", GATEWAY_ERROR_PATTERN, NULL);
}

GST_END_TEST;

GST_START_TEST (test_string_refuses_control_characters)
{
  g_autoptr (GatewayParam) p = param_new ("[param:s]\nelement=e\n"
                                          "property=p\ntype=string\n");
  const gchar *refused[] = {
    "\"a\\nb\"",
    "\"a\\rb\"",
    "\"a\\tb\"",
    "\"\\u0001\"",
    "\"a\\u001fb\"",
    "\"a\\u007fb\"",
    "\"a\\u0085b\"",
  };
  guint i;

  assert_accepts (p, "\"h\\u00e9llo w\\u00f6rld\"");
  assert_accepts (p, "\"plain text, with punctuation!\"");
  for (i = 0; i < G_N_ELEMENTS (refused); i++)
    assert_refused (p, refused[i], GATEWAY_ERROR_PATTERN, "control character");
}

GST_END_TEST;

GST_START_TEST (test_string_refuses_invalid_utf8)
{
  g_autoptr (GatewayParam) p = param_new ("[param:s]\nelement=e\n"
                                          "property=p\ntype=string\n");
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_VALUE);

  json_node_set_string (node, "a\xff\xfe");
  assert_node_refused (p, node, GATEWAY_ERROR_PATTERN, "UTF-8");
}

GST_END_TEST;

GST_START_TEST (test_string_length_in_bytes)
{
  g_autoptr (GatewayParam) p = param_new (FILE_STRING);
  g_autoptr (GatewayParam) d = param_new ("[param:s]\nelement=e\n"
                                          "property=p\ntype=string\n");
  g_autofree gchar *a64 = g_strnfill (64, 'a');
  g_autofree gchar *a65 = g_strnfill (65, 'a');
  g_autofree gchar *j64 = g_strdup_printf ("\"%s\"", a64);
  g_autofree gchar *j65 = g_strdup_printf ("\"%s\"", a65);
  g_autofree gchar *b256 = g_strnfill (256, 'b');
  g_autofree gchar *b257 = g_strnfill (257, 'b');
  g_autofree gchar *j256 = g_strdup_printf ("\"%s\"", b256);
  g_autofree gchar *j257 = g_strdup_printf ("\"%s\"", b257);

  assert_accepts (p, j64);
  assert_refused (p, j65, GATEWAY_ERROR_OUT_OF_BOUNDS,
      "65 bytes is longer than the maximum 64");
  assert_accepts (d, j256);
  assert_refused (d, j257, GATEWAY_ERROR_OUT_OF_BOUNDS, "maximum 256");
  /* 2 characters, 4 bytes. */
  {
    g_autoptr (GatewayParam) small
        = param_new ("[param:s]\nelement=e\n"
                     "property=p\ntype=string\nmax-length=3\n");

    assert_refused (small, "\"\\u00e9\\u00e9\"", GATEWAY_ERROR_OUT_OF_BOUNDS,
        NULL);
  }
}

GST_END_TEST;

GST_START_TEST (test_error_quotes_short_escaped_prefix)
{
  g_autoptr (GatewayParam) p
      = param_new ("[param:file]\nelement=e\n"
                   "property=p\ntype=string\npattern=^[a-z]+$\n");
  g_autoptr (GatewayParam) e = param_new (PATTERN_ENUM);
  g_autoptr (JsonNode) node
      = rt_test_json ("\"\\u202egnp.exe ! filesink "
                      "location=/etc/shadow secret-secret-secret-secret\"");
  g_auto (GValue) v = G_VALUE_INIT;
  GError *error = NULL;

  fail_if (gateway_param_validate (p, node, &v, &error));
  /* The right-to-left override arrives escaped, and the tail (where a
   * secret could sit) is cut. */
  fail_unless (strstr (error->message, "\\xe2\\x80\\xae") != NULL, "%s",
      error->message);
  fail_unless (strstr (error->message, "...\"") != NULL, "%s", error->message);
  fail_if (strstr (error->message, "secret") != NULL, "%s", error->message);
  g_clear_error (&error);

  g_value_unset (&v);
  g_clear_pointer (&node, json_node_unref);
  node = rt_test_json ("\"a\\\"b\\\\c\\u0007d\"");
  fail_if (gateway_param_validate (e, node, &v, &error));
  fail_unless (strstr (error->message, "\"a\\\"b\\\\c\\x07d\"") != NULL, "%s",
      error->message);
  g_clear_error (&error);
}

GST_END_TEST;

static GPtrArray *
declarations (void)
{
  GPtrArray *params
      = g_ptr_array_new_with_free_func ((GDestroyNotify)gateway_param_free);

  g_ptr_array_add (params, param_new (BITRATE_UINT));
  g_ptr_array_add (params, param_new (FILE_STRING));
  g_ptr_array_add (params, param_new (PATTERN_ENUM));
  g_ptr_array_add (params,
      param_new ("[param:gain]\nelement=e\n"
                 "property=p\ntype=double\n"));
  g_ptr_array_add (params,
      param_new ("[param:live]\nelement=e\n"
                 "property=p\ntype=boolean\n"));
  return params;
}

static void
assert_request_refused (GPtrArray *params, const gchar *text, gint code,
    const gchar *expected)
{
  g_autoptr (JsonNode) node = rt_test_json (text);
  GError *error = NULL;
  GHashTable *values;

  values = gateway_params_validate_request (params, node, &error);
  fail_unless (values == NULL, "%s accepted", text);
  g_assert_error (error, GATEWAY_ERROR, code);
  if (expected)
    fail_unless (strstr (error->message, expected) != NULL,
        "error \"%s\" lacks \"%s\"", error->message, expected);
  g_error_free (error);
}

#define HOST_PARAM "[param:host]\nelement=sink\nproperty=host\ntype=host\n"

GST_START_TEST (test_host_accepts_addresses_and_names)
{
  g_autoptr (GatewayParam) p = param_new (HOST_PARAM "default=127.0.0.1\n");
  g_autofree gchar *label63 = g_strnfill (63, 'a');
  g_autofree gchar *name253 = NULL;
  g_autofree gchar *json253 = NULL;
  g_autofree gchar *json63 = g_strdup_printf ("\"%s.example\"", label63);
  static const gchar *const good[]
      = { "\"127.0.0.1\"", "\"192.168.1.20\"", "\"255.255.255.255\"",
          /* Multicast groups: RTP to a group is a normal setup. */
          "\"239.1.2.3\"", "\"ff02::1\"", "\"::1\"", "\"2001:db8::5\"",
          "\"2001:DB8:0:0:0:0:0:5\"", "\"::ffff:192.0.2.1\"", "\"localhost\"",
          "\"relay\"", "\"relay.example.com\"", "\"a-b.c0\"", "\"1.2.3.a\"",
          "\"0a.example\"", "\"xn--bcher-kva.example\"",
          "\"RELAY.Example.COM\"", NULL };
  guint i;

  fail_unless_equals_int (p->type, GATEWAY_PARAM_HOST);
  fail_unless (gateway_param_value_type (p) == G_TYPE_STRING);
  fail_unless_equals_string (g_value_get_string (&p->default_value),
      "127.0.0.1");
  for (i = 0; good[i]; i++)
    assert_accepts (p, good[i]);
  assert_accepts (p, json63);

  /* 253 bytes in all: 63 + 1 + 63 + 1 + 63 + 1 + 61. */
  name253
      = g_strdup_printf ("%s.%s.%s.%.61s", label63, label63, label63, label63);
  fail_unless_equals_int (strlen (name253), 253);
  json253 = g_strdup_printf ("\"%s\"", name253);
  assert_accepts (p, json253);
}

GST_END_TEST;

GST_START_TEST (test_host_refuses_what_is_not_a_host)
{
  g_autoptr (GatewayParam) p = param_new (HOST_PARAM);
  g_autofree gchar *label63 = g_strnfill (63, 'a');
  g_autofree gchar *label64 = g_strnfill (64, 'a');
  g_autofree gchar *json254 = g_strdup_printf ("\"%s.%s.%s.%.62s\"", label63,
      label63, label63, label63);
  g_autofree gchar *json64 = g_strdup_printf ("\"%s.example\"", label64);
  /* One label of 253 characters: the whole name's bound, but a label's is
   * 63 (alone, and as the first label of a name). */
  g_autofree gchar *label253 = g_strnfill (253, 'a');
  g_autofree gchar *json_label253 = g_strdup_printf ("\"%s\"", label253);
  g_autofree gchar *json_label253_name
      = g_strdup_printf ("\"%.249s.com\"", label253);
  static const struct
  {
    const gchar *json, *reason;
  } bad[] = {
    { "\"..\"", "label 1 is empty" },
    { "\"a..b\"", "label 2 is empty" },
    { "\".a\"", "label 1 is empty" },
    { "\"relay.example.com.\"", "label 4 is empty" },
    { "\"\"", "empty" },
    /* Valid IPv6 and IPv4 literals, but they send nowhere. */
    { "\"::\"", "the unspecified address sends nowhere" },
    { "\"0:0:0:0:0:0:0:0\"", "the unspecified address" },
    { "\"0.0.0.0\"", "the unspecified address sends nowhere" },
    /* Digits and dots are an IPv4 address or nothing. */
    { "\"1.2.3.4.5\"", "not an IPv4 address" },
    { "\"1.2.3\"", "not an IPv4 address" },
    { "\"256.1.1.1\"", "not an IPv4 address" },
    { "\"01.2.3.4\"", "not an IPv4 address" },
    { "\"123\"", "not an IPv4 address" },
    { "\"a.123\"", "the last label is all digits" },
    { "\"127.0.0.1:5002\"", "a port is not part of a host" },
    { "\"relay.example.com:80\"", "a port is not part of a host" },
    { "\"[::1]\"", "without brackets" },
    { "\"[::1]:5000\"", "without brackets" },
    { "\"fe80::1%eth0\"", "zone" },
    { "\"2001:db8::g\"", "not an IPv6 address" },
    { "\"1:2:3:4:5:6:7:8:9\"", "not an IPv6 address" },
    { "\"-relay.example\"", "label 1 starts or ends with \"-\"" },
    { "\"relay-.example\"", "label 1 starts or ends with \"-\"" },
    { "\"a_b.example\"", "label 1 holds a character" },
    { "\"a b\"", "label 1 holds a character" },
    { "\"relay.example.com/x\"", "label 3 holds a character" },
    { "\"rtsp://relay\"", "port" },
    { "\"10.0.0.1 \"", "label 4 holds a character" },
    { "\"a\\nb\"", "label 1 holds a character" },
    { "\"\\u00e9.example\"", "label 1 holds a character" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    assert_refused (p, bad[i].json, GATEWAY_ERROR_PATTERN, bad[i].reason);
  /* The message names the param and quotes the value. */
  assert_refused (p, "\"1.2.3.4.5\"", GATEWAY_ERROR_PATTERN,
      "param \"host\": \"1.2.3.4.5\" is not a host");
  assert_refused (p, json64, GATEWAY_ERROR_OUT_OF_BOUNDS,
      "label 1 is 64 bytes, longer than 63");
  assert_refused (p, json_label253, GATEWAY_ERROR_OUT_OF_BOUNDS,
      "label 1 is 253 bytes, longer than 63");
  assert_refused (p, json_label253_name, GATEWAY_ERROR_OUT_OF_BOUNDS,
      "label 1 is 249 bytes, longer than 63");
  assert_refused (p, json254, GATEWAY_ERROR_OUT_OF_BOUNDS,
      "254 bytes, longer than 253");
  assert_refused (p, "42", GATEWAY_ERROR_BAD_TYPE, "expected a string");
  assert_refused (p, "[\"10.0.0.1\"]", GATEWAY_ERROR_BAD_TYPE, NULL);
}

GST_END_TEST;

GST_START_TEST (test_request_values)
{
  g_autoptr (GPtrArray) params = declarations ();
  g_autoptr (JsonNode) node
      = rt_test_json ("{\"bitrate\":3000,\"file\":\"clip\","
                      "\"pattern\":\"ball\",\"gain\":1.5,\"live\":true}");
  g_autoptr (GHashTable) values = NULL;
  GError *error = NULL;
  const GValue *v;

  values = gateway_params_validate_request (params, node, &error);
  g_assert_no_error (error);
  fail_unless_equals_int (g_hash_table_size (values), 5);
  v = g_hash_table_lookup (values, "bitrate");
  fail_unless (G_VALUE_HOLDS_UINT64 (v));
  fail_unless_equals_uint64 (g_value_get_uint64 (v), 3000);
  v = g_hash_table_lookup (values, "file");
  fail_unless_equals_string (g_value_get_string (v), "clip");
  v = g_hash_table_lookup (values, "gain");
  fail_unless (g_value_get_double (v) == 1.5);
  v = g_hash_table_lookup (values, "live");
  fail_unless (g_value_get_boolean (v));
}

GST_END_TEST;

GST_START_TEST (test_request_without_params)
{
  g_autoptr (GPtrArray) params = declarations ();
  g_autoptr (JsonNode) null_node = rt_test_json ("null");
  g_autoptr (JsonNode) empty = rt_test_json ("{}");
  g_autoptr (GHashTable) a = NULL;
  g_autoptr (GHashTable) b = NULL;
  g_autoptr (GHashTable) c = NULL;
  GError *error = NULL;

  a = gateway_params_validate_request (params, NULL, &error);
  g_assert_no_error (error);
  b = gateway_params_validate_request (params, null_node, &error);
  g_assert_no_error (error);
  c = gateway_params_validate_request (params, empty, &error);
  g_assert_no_error (error);
  fail_unless_equals_int (g_hash_table_size (a), 0);
  fail_unless_equals_int (g_hash_table_size (b), 0);
  fail_unless_equals_int (g_hash_table_size (c), 0);
}

GST_END_TEST;

GST_START_TEST (test_request_refusals)
{
  g_autoptr (GPtrArray) params = declarations ();
  g_autoptr (GPtrArray) none = g_ptr_array_new ();

  assert_request_refused (params, "{\"bitrat\":3000}",
      GATEWAY_ERROR_UNKNOWN_PARAM,
      "unknown param \"bitrat\" (known: bitrate, file, pattern, gain, live)");
  assert_request_refused (none, "{\"x\":1}", GATEWAY_ERROR_UNKNOWN_PARAM,
      "this pipeline takes none");
  assert_request_refused (params, "{\"bitrate\":3000,\"file\":\"a b\"}",
      GATEWAY_ERROR_PATTERN, "param \"file\"");
  assert_request_refused (params, "{\"bitrate\":\"3000\"}",
      GATEWAY_ERROR_BAD_TYPE, NULL);
  assert_request_refused (params, "{\"bitrate\":1e308}", GATEWAY_ERROR_BAD_TYPE,
      NULL);
  assert_request_refused (params, "{\"bitrate\":99999}",
      GATEWAY_ERROR_OUT_OF_BOUNDS, NULL);
  assert_request_refused (params, "[1]", GATEWAY_ERROR_INVALID_REQUEST,
      "params must be an object");
  assert_request_refused (params, "\"bitrate=1\"",
      GATEWAY_ERROR_INVALID_REQUEST, NULL);
  assert_request_refused (params, "{\"a\\nb\":1}", GATEWAY_ERROR_UNKNOWN_PARAM,
      "\"a\\nb\"");
}

GST_END_TEST;

GST_START_TEST (test_values_json_equal_copy)
{
  g_autoptr (GPtrArray) params = declarations ();
  g_autoptr (JsonNode) node
      = rt_test_json ("{\"pattern\":\"ball\",\"bitrate\":3000,"
                      "\"gain\":0.5,\"live\":false,\"file\":\"x\"}");
  g_autoptr (JsonNode) other = rt_test_json ("{\"pattern\":\"ball\","
                                             "\"bitrate\":3001}");
  g_autoptr (GHashTable) values = NULL;
  g_autoptr (GHashTable) copy = NULL;
  g_autoptr (GHashTable) diff = NULL;
  g_autoptr (GHashTable) empty = NULL;
  g_autoptr (JsonNode) out = NULL;
  g_autoptr (JsonNode) out_empty = NULL;
  g_autofree gchar *text = NULL;
  g_autofree gchar *text_empty = NULL;

  values = gateway_params_validate_request (params, node, NULL);
  diff = gateway_params_validate_request (params, other, NULL);
  copy = gateway_params_values_copy (values);
  empty = gateway_params_values_copy (NULL);

  out = gateway_params_values_to_json (values);
  text = json_to_string (out, FALSE);
  fail_unless_equals_string (text,
      "{\"bitrate\":3000,\"file\":\"x\","
      "\"gain\":0.5,\"live\":false,\"pattern\":\"ball\"}");
  out_empty = gateway_params_values_to_json (NULL);
  text_empty = json_to_string (out_empty, FALSE);
  fail_unless_equals_string (text_empty, "{}");

  fail_unless (gateway_params_values_equal (values, copy));
  fail_unless (gateway_params_values_equal (copy, values));
  fail_if (gateway_params_values_equal (values, diff));
  fail_if (gateway_params_values_equal (values, empty));
  fail_unless (gateway_params_values_equal (NULL, empty));
  fail_unless (gateway_params_values_equal (NULL, NULL));
  g_hash_table_remove (copy, "gain");
  fail_if (gateway_params_values_equal (values, copy));
}

GST_END_TEST;

/* Pipelines for the apply tests: real elements, never started. */
static GstBin *
launch (const gchar *description)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);

  g_assert_no_error (error);
  fail_unless (GST_IS_BIN (pipeline));
  return GST_BIN (pipeline);
}

static void
apply_json (const GatewayParam *param, GstBin *bin, const gchar *text)
{
  g_auto (GValue) value = G_VALUE_INIT;
  GError *error = NULL;

  assert_valid (param, text, &value);
  fail_unless (gateway_param_apply (param, bin, &value, &error), "%s",
      error ? error->message : "?");
  g_assert_no_error (error);
}

static void
assert_target_ok (const GatewayParam *param, GstBin *bin)
{
  GError *error = NULL;

  fail_unless (gateway_param_check_target (param, bin, &error), "%s",
      error ? error->message : "?");
  g_assert_no_error (error);
}

static void
assert_target_refused (const gchar *decl, GstBin *bin, const gchar *expected)
{
  g_autoptr (GatewayParam) param = param_new (decl);
  GError *error = NULL;

  fail_if (gateway_param_check_target (param, bin, &error), "accepted:\n%s",
      decl);
  g_assert_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION);
  fail_unless (strstr (error->message, expected) != NULL,
      "error \"%s\" lacks \"%s\"", error->message, expected);
  g_error_free (error);
}

#define VIDEO_PIPELINE                                                         \
  "videotestsrc name=src ! capsfilter name=caps ! x264enc name=enc ! "         \
  "h264parse ! mp4mux ! filesink name=sink location=/tmp/unused.mp4"

GST_START_TEST (test_apply_enum_by_nick)
{
  g_autoptr (GstBin) bin = launch (VIDEO_PIPELINE);
  g_autoptr (GatewayParam) p = param_new (PATTERN_ENUM);
  g_autoptr (GstElement) src = gst_bin_get_by_name (bin, "src");
  gint pattern;

  assert_target_ok (p, bin);
  apply_json (p, bin, "\"ball\"");
  g_object_get (src, "pattern", &pattern, NULL);
  fail_unless_equals_int (pattern, 18); /* GST_VIDEO_TEST_SRC_BALL */
  apply_json (p, bin, "\"smpte\"");
  g_object_get (src, "pattern", &pattern, NULL);
  fail_unless_equals_int (pattern, 0);
}

GST_END_TEST;

GST_START_TEST (test_apply_enum_by_value_name)
{
  g_autoptr (GstBin) bin = launch (VIDEO_PIPELINE);
  g_autoptr (GatewayParam) p = param_new (
      "[param:pattern]\nelement=src\n"
      "property=pattern\ntype=enum\nvalues=Random (television snow)\n");
  g_autoptr (GstElement) src = gst_bin_get_by_name (bin, "src");
  gint pattern;

  assert_target_ok (p, bin);
  apply_json (p, bin, "\"Random (television snow)\"");
  g_object_get (src, "pattern", &pattern, NULL);
  fail_unless_equals_int (pattern, 1);
}

GST_END_TEST;

GST_START_TEST (test_apply_uint_to_encoder)
{
  g_autoptr (GstBin) bin = launch (VIDEO_PIPELINE);
  g_autoptr (GatewayParam) p = param_new (BITRATE_UINT);
  g_autoptr (GstElement) enc = gst_bin_get_by_name (bin, "enc");
  guint bitrate;

  assert_target_ok (p, bin);
  apply_json (p, bin, "4321");
  g_object_get (enc, "bitrate", &bitrate, NULL);
  fail_unless_equals_int (bitrate, 4321);
  fail_unless (gateway_param_apply (p, bin, &p->default_value, NULL));
  g_object_get (enc, "bitrate", &bitrate, NULL);
  fail_unless_equals_int (bitrate, 2500);
}

GST_END_TEST;

GST_START_TEST (test_apply_udpsink_host_port)
{
  g_autoptr (GstBin) bin
      = launch ("videotestsrc ! rtpvrawpay ! "
                "udpsink name=sink host=127.0.0.1 port=5000");
  g_autoptr (GatewayParam) host = param_new (HOST_PARAM);
  g_autoptr (GatewayParam) port
      = param_new ("[param:port]\nelement=sink\n"
                   "property=port\ntype=int\nmin=1\nmax=65535\n");
  g_autoptr (GstElement) sink = gst_bin_get_by_name (bin, "sink");
  g_autofree gchar *h = NULL;
  gint p;

  assert_target_ok (host, bin);
  assert_target_ok (port, bin);
  apply_json (host, bin, "\"10.0.0.7\"");
  apply_json (port, bin, "6000");
  g_object_get (sink, "host", &h, "port", &p, NULL);
  fail_unless_equals_string (h, "10.0.0.7");
  fail_unless_equals_int (p, 6000);
  g_clear_pointer (&h, g_free);
  apply_json (host, bin, "\"ff02::1\"");
  g_object_get (sink, "host", &h, NULL);
  fail_unless_equals_string (h, "ff02::1");
}

GST_END_TEST;

GST_START_TEST (test_apply_string_with_prefix_suffix)
{
  g_autoptr (GstBin) bin = launch (VIDEO_PIPELINE);
  g_autoptr (GatewayParam) p = param_new (FILE_STRING);
  g_autoptr (GstElement) sink = gst_bin_get_by_name (bin, "sink");
  g_autofree gchar *location = NULL;

  assert_target_ok (p, bin);
  apply_json (p, bin, "\"take-2\"");
  g_object_get (sink, "location", &location, NULL);
  fail_unless_equals_string (location, "/rec/take-2.mp4");
}

GST_END_TEST;

GST_START_TEST (test_apply_caps_through_enum)
{
  g_autoptr (GstBin) bin = launch (VIDEO_PIPELINE);
  g_autoptr (GatewayParam) p
      = param_new ("[param:resolution]\n"
                   "element=caps\nproperty=caps\ntype=enum\n"
                   "values=video/x-raw,width=640,height=360;"
                   "video/x-raw,width=1280,height=720,framerate=30/1\n");
  g_autoptr (GstElement) caps = gst_bin_get_by_name (bin, "caps");
  g_autoptr (GstCaps) got = NULL;
  g_autoptr (GstCaps) want
      = gst_caps_from_string ("video/x-raw,"
                              "width=1280,height=720,framerate=30/1");

  assert_target_ok (p, bin);
  apply_json (p, bin, "\"video/x-raw,width=1280,height=720,framerate=30/1\"");
  g_object_get (caps, "caps", &got, NULL);
  fail_unless (gst_caps_is_equal (got, want));
}

GST_END_TEST;

GST_START_TEST (test_apply_boolean_and_double)
{
  g_autoptr (GstBin) bin = launch ("audiotestsrc name=src ! "
                                   "volume name=vol ! fakesink");
  g_autoptr (GatewayParam) live
      = param_new ("[param:live]\nelement=src\n"
                   "property=is-live\ntype=boolean\n");
  g_autoptr (GatewayParam) vol
      = param_new ("[param:volume]\nelement=vol\n"
                   "property=volume\ntype=double\nmin=0\nmax=2\n");
  g_autoptr (GatewayParam) freq
      = param_new ("[param:freq]\nelement=src\n"
                   "property=freq\ntype=int\nmin=20\nmax=20000\n");
  g_autoptr (GstElement) src = gst_bin_get_by_name (bin, "src");
  g_autoptr (GstElement) v = gst_bin_get_by_name (bin, "vol");
  gboolean is_live;
  gdouble volume, f;

  assert_target_ok (live, bin);
  assert_target_ok (vol, bin);
  assert_target_ok (freq, bin);
  apply_json (live, bin, "true");
  apply_json (vol, bin, "1.25");
  apply_json (freq, bin, "440");
  g_object_get (src, "is-live", &is_live, "freq", &f, NULL);
  g_object_get (v, "volume", &volume, NULL);
  fail_unless (is_live);
  fail_unless (volume == 1.25);
  fail_unless (f == 440.0);
}

GST_END_TEST;

GST_START_TEST (test_apply_in_nested_bin)
{
  g_autoptr (GstBin) bin = launch ("bin. ( videotestsrc name=src ) ! "
                                   "fakesink");
  g_autoptr (GatewayParam) p = param_new (PATTERN_ENUM);

  assert_target_ok (p, bin);
  apply_json (p, bin, "\"snow\"");
}

GST_END_TEST;

GST_START_TEST (test_apply_refuses_property_range)
{
  g_autoptr (GstBin) bin = launch (VIDEO_PIPELINE);
  /* Wider than x264enc's 1..2048000: check_target says so, and apply
   * refuses rather than clamps if it is used anyway. */
  g_autoptr (GatewayParam) p
      = param_new ("[param:bitrate]\nelement=enc\n"
                   "property=bitrate\ntype=uint\nmax=99999999\n");
  g_autoptr (GstElement) enc = gst_bin_get_by_name (bin, "enc");
  g_auto (GValue) value = G_VALUE_INIT;
  GError *error = NULL;
  guint before, after;

  g_object_get (enc, "bitrate", &before, NULL);
  assert_valid (p, "3000000", &value);
  fail_if (gateway_param_apply (p, bin, &value, &error));
  g_assert_error (error, GATEWAY_ERROR, GATEWAY_ERROR_OUT_OF_BOUNDS);
  fail_unless (strstr (error->message,
                   "param \"bitrate\": 3000000 is out of "
                   "the property's range 1..2048000")
          != NULL,
      "%s", error->message);
  g_clear_error (&error);
  g_value_unset (&value);
  assert_valid (p, "0", &value);
  fail_if (gateway_param_apply (p, bin, &value, &error));
  g_assert_error (error, GATEWAY_ERROR, GATEWAY_ERROR_OUT_OF_BOUNDS);
  g_clear_error (&error);
  g_object_get (enc, "bitrate", &after, NULL);
  fail_unless_equals_int (before, after);

  assert_target_refused ("[param:bitrate]\nelement=enc\nproperty=bitrate\n"
                         "type=uint\nmax=99999999\n",
      bin, "[param:bitrate] min: 0 is below enc.bitrate's minimum 1");
  assert_target_refused ("[param:bitrate]\nelement=enc\nproperty=bitrate\n"
                         "type=uint\nmin=1\nmax=99999999\n",
      bin,
      "[param:bitrate] max: 99999999 is above enc.bitrate's maximum 2048000");
}

GST_END_TEST;

GST_START_TEST (test_apply_refuses_undeclared_value)
{
  g_autoptr (GstBin) bin = launch (VIDEO_PIPELINE);
  g_autoptr (GatewayParam) p = param_new (FILE_STRING);
  g_autoptr (GatewayParam) e = param_new (PATTERN_ENUM);
  g_autoptr (GstElement) sink = gst_bin_get_by_name (bin, "sink");
  g_auto (GValue) s = G_VALUE_INIT;
  g_auto (GValue) i = G_VALUE_INIT;
  g_autofree gchar *location = NULL;
  GError *error = NULL;

  /* A value that skipped validation still never reaches the property. */
  g_value_init (&s, G_TYPE_STRING);
  g_value_set_string (&s, "../../etc/passwd");
  fail_if (gateway_param_apply (p, bin, &s, &error));
  g_assert_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PATTERN);
  g_clear_error (&error);
  g_value_set_string (&s, "zone-plate");
  fail_if (gateway_param_apply (e, bin, &s, &error));
  g_assert_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PATTERN);
  g_clear_error (&error);
  g_value_init (&i, G_TYPE_INT);
  g_value_set_int (&i, 3);
  fail_if (gateway_param_apply (p, bin, &i, &error));
  g_assert_error (error, GATEWAY_ERROR, GATEWAY_ERROR_BAD_TYPE);
  g_clear_error (&error);
  g_object_get (sink, "location", &location, NULL);
  fail_unless_equals_string (location, "/tmp/unused.mp4");
}

GST_END_TEST;

GST_START_TEST (test_check_target_errors)
{
  g_autoptr (GstBin) bin
      = launch (VIDEO_PIPELINE " videotestsrc ! "
                               "fakesink name=fake udpsink name=udp");

  assert_target_refused ("[param:p]\nelement=nope\nproperty=pattern\n"
                         "type=enum\nvalues=ball\n",
      bin, "[param:p] element: no element named \"nope\"");
  assert_target_refused ("[param:p]\nelement=src\nproperty=patern\n"
                         "type=enum\nvalues=ball\n",
      bin, "[param:p] property: src (videotestsrc) has no property \"patern\"");
  assert_target_refused ("[param:p]\nelement=fake\nproperty=last-sample\n"
                         "type=string\n",
      bin,
      "[param:p] property: fake.last-sample is "
      "read-only");
  assert_target_refused ("[param:p]\nelement=src\nproperty=pattern\n"
                         "type=enum\nvalues=ball;sparkles\n",
      bin,
      "[param:p] values: \"sparkles\" is not a value of "
      "GstVideoTestSrcPattern");
  assert_target_refused ("[param:p]\nelement=udp\nproperty=port\n"
                         "type=string\n",
      bin,
      "[param:p] type: type=string cannot set "
      "udp.port, a property of type gint");
  assert_target_refused ("[param:p]\nelement=udp\nproperty=host\n"
                         "type=int\n",
      bin, "[param:p] type:");
  assert_target_refused ("[param:p]\nelement=src\nproperty=is-live\n"
                         "type=int\n",
      bin, "[param:p] type:");
  assert_target_refused ("[param:p]\nelement=src\nproperty=pattern\n"
                         "type=string\n",
      bin, "(use type=enum)");
  assert_target_refused ("[param:p]\nelement=caps\nproperty=caps\n"
                         "type=string\n",
      bin, "(use type=enum)");
  assert_target_refused ("[param:p]\nelement=caps\nproperty=caps\n"
                         "type=enum\nvalues=video/x-raw;not caps at all,,\n",
      bin, "[param:p] values: \"not caps at all,,\" is not valid caps");
  assert_target_refused ("[param:p]\nelement=udp\nproperty=port\n"
                         "type=int\n",
      bin, "[param:p] min:");
  assert_target_refused ("[param:p]\nelement=udp\nproperty=port\n"
                         "type=int\nmin=0\nmax=70000\n",
      bin, "[param:p] max:");
  assert_target_refused ("[param:p]\nelement=udp\nproperty=port\n"
                         "type=double\n",
      bin, "[param:p] type:");
  assert_target_refused ("[param:p]\nelement=udp\nproperty=port\n"
                         "type=host\n",
      bin, "[param:p] type: type=host cannot set udp.port");
}

GST_END_TEST;

static Suite *
params_suite (void)
{
  Suite *s = suite_create ("params");
  TCase *decl = tcase_create ("declaration");
  TCase *validate = tcase_create ("validate");
  TCase *apply = tcase_create ("apply");

  suite_add_tcase (s, decl);
  tcase_add_test (decl, test_declaration_fields);
  tcase_add_test (decl, test_declaration_defaults);
  tcase_add_test (decl, test_type_names);
  tcase_add_test (decl, test_declaration_errors_name_the_key);
  tcase_add_test (decl, test_declaration_reports_every_problem);

  suite_add_tcase (s, validate);
  tcase_add_test (validate, test_int_accepts_integers_within_bounds);
  tcase_add_test (validate, test_int_refuses_other_json_types);
  tcase_add_test (validate, test_int_bounds_are_inclusive);
  tcase_add_test (validate, test_uint_refuses_negative);
  tcase_add_test (validate, test_double_accepts_numbers);
  tcase_add_test (validate, test_double_refuses_nan_and_infinity);
  tcase_add_test (validate, test_boolean_only_true_or_false);
  tcase_add_test (validate, test_enum_only_declared_choices);
  tcase_add_test (validate, test_string_pattern_must_match_in_full);
  tcase_add_test (validate, test_string_pattern_alternation_still_full);
  tcase_add_test (validate, test_string_refuses_control_characters);
  tcase_add_test (validate, test_string_refuses_invalid_utf8);
  tcase_add_test (validate, test_string_length_in_bytes);
  tcase_add_test (validate, test_error_quotes_short_escaped_prefix);
  tcase_add_test (validate, test_host_accepts_addresses_and_names);
  tcase_add_test (validate, test_host_refuses_what_is_not_a_host);
  tcase_add_test (validate, test_request_values);
  tcase_add_test (validate, test_request_without_params);
  tcase_add_test (validate, test_request_refusals);
  tcase_add_test (validate, test_values_json_equal_copy);

  suite_add_tcase (s, apply);
  tcase_add_test (apply, test_apply_enum_by_nick);
  tcase_add_test (apply, test_apply_enum_by_value_name);
  tcase_add_test (apply, test_apply_uint_to_encoder);
  tcase_add_test (apply, test_apply_udpsink_host_port);
  tcase_add_test (apply, test_apply_string_with_prefix_suffix);
  tcase_add_test (apply, test_apply_caps_through_enum);
  tcase_add_test (apply, test_apply_boolean_and_double);
  tcase_add_test (apply, test_apply_in_nested_bin);
  tcase_add_test (apply, test_apply_refuses_property_range);
  tcase_add_test (apply, test_apply_refuses_undeclared_value);
  tcase_add_test (apply, test_check_target_errors);
  return s;
}

RT_TEST_MAIN (params);

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * params.c: typed request parameters (see params.h).
 *
 * Values arrive from the network, so every check is exact: a JSON integer
 * for int and uint (never 1.5, never "3", never true), finite numbers only,
 * strings of bounded length, valid UTF-8 without control characters and
 * matching their whole pattern. Messages quote at most a short, escaped
 * prefix of what was received. Declarations come from trusted files but
 * are checked as strictly, each problem reported with its group and key,
 * because a typo that silently widens a bound is a hole.
 */
#include "params.h"
#include "host-address.h"
#include "untrusted.h"

#include <math.h>
#include <string.h>

#define DEFAULT_MAX_LENGTH 256
#define MAX_MAX_LENGTH 4096

/* Longest escaped piece of network input an error message may quote. */

/* Param names travel in JSON and logs: keep them as tame as pipeline
 * names. */
#define PARAM_NAME_MAX 64

#define GROUP_PREFIX "param:"

static const gchar *const known_keys[]
    = { "element", "property", "type", "min", "max", "values", "pattern",
        "max-length", "prefix", "suffix", "default", "description", NULL };

/**
 * gateway_param_type_to_string:
 * @type: a parameter type
 *
 * Returns: the name of @type as written in a definition file ("int",
 *   "uint", "double", "boolean", "enum", "string", "host").
 */
const gchar *
gateway_param_type_to_string (GatewayParamType type)
{
  switch (type) {
    case GATEWAY_PARAM_INT:
      return "int";
    case GATEWAY_PARAM_UINT:
      return "uint";
    case GATEWAY_PARAM_DOUBLE:
      return "double";
    case GATEWAY_PARAM_BOOLEAN:
      return "boolean";
    case GATEWAY_PARAM_ENUM:
      return "enum";
    case GATEWAY_PARAM_STRING:
      return "string";
    case GATEWAY_PARAM_HOST:
      return "host";
  }
  return "unknown";
}

static gboolean
param_type_from_string (const gchar *str, GatewayParamType *type)
{
  GatewayParamType t;

  for (t = GATEWAY_PARAM_INT; t <= GATEWAY_PARAM_HOST; t++) {
    if (g_strcmp0 (str, gateway_param_type_to_string (t)) == 0) {
      *type = t;
      return TRUE;
    }
  }
  return FALSE;
}

/**
 * gateway_param_value_type:
 * @param: a declared parameter
 *
 * Returns: the #GType of values validated for @param: gint64 (int),
 *   guint64 (uint), gdouble, gboolean, or a string (enum, string and
 *   host).
 */
GType
gateway_param_value_type (const GatewayParam *param)
{
  switch (param->type) {
    case GATEWAY_PARAM_INT:
      return G_TYPE_INT64;
    case GATEWAY_PARAM_UINT:
      return G_TYPE_UINT64;
    case GATEWAY_PARAM_DOUBLE:
      return G_TYPE_DOUBLE;
    case GATEWAY_PARAM_BOOLEAN:
      return G_TYPE_BOOLEAN;
    case GATEWAY_PARAM_ENUM:
    case GATEWAY_PARAM_STRING:
    case GATEWAY_PARAM_HOST:
      return G_TYPE_STRING;
  }
  g_return_val_if_reached (G_TYPE_INVALID);
}

static gchar *
format_double (gdouble d)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (g_ascii_dtostr (buf, sizeof buf, d));
}

static gboolean
name_is_valid (const gchar *name)
{
  gsize len = strlen (name);
  gsize i;

  if (len < 1 || len > PARAM_NAME_MAX)
    return FALSE;
  for (i = 0; i < len; i++) {
    if (!g_ascii_isalnum (name[i]) && name[i] != '_' && name[i] != '-')
      return FALSE;
  }
  return TRUE;
}

/* One line per problem, "[group] key: message", so a definition file with
 * three mistakes gets three lines instead of a fix-and-retry loop. */
typedef struct
{
  const gchar *group;
  GString *lines;
} Problems;

static void problem (Problems *p, const gchar *key, const gchar *format, ...)
    G_GNUC_PRINTF (3, 4);

static void
problem (Problems *p, const gchar *key, const gchar *format, ...)
{
  va_list args;

  if (p->lines->len > 0)
    g_string_append_c (p->lines, '\n');
  if (key)
    g_string_append_printf (p->lines, "[%s] %s: ", p->group, key);
  else
    g_string_append_printf (p->lines, "[%s] ", p->group);
  va_start (args, format);
  g_string_append_vprintf (p->lines, format, args);
  va_end (args);
}

static gboolean
problems_to_error (Problems *p, GError **error)
{
  if (p->lines->len == 0)
    return TRUE;
  g_set_error_literal (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
      p->lines->str);
  return FALSE;
}

/* The raw text of @key with surrounding blanks removed, or NULL. */
static gchar *
get_raw (GKeyFile *kf, const gchar *group, const gchar *key)
{
  gchar *raw = g_key_file_get_value (kf, group, key, NULL);

  return raw ? g_strstrip (raw) : NULL;
}

static gboolean
parse_int (const gchar *text, gboolean is_unsigned, gint64 *out)
{
  if (is_unsigned) {
    guint64 u;

    if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &u, NULL))
      return FALSE;
    *out = (gint64)u;
    return TRUE;
  }
  return g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, out, NULL);
}

static gboolean
parse_double (const gchar *text, gdouble *out)
{
  gchar *end = NULL;
  gdouble d;

  if (*text == '\0')
    return FALSE;
  d = g_ascii_strtod (text, &end);
  if (*end != '\0' || !isfinite (d))
    return FALSE;
  *out = d;
  return TRUE;
}

/* Reads a string key, reporting bad escapes; NULL when absent or bad. */
static gchar *
get_string (GKeyFile *kf, Problems *p, const gchar *key)
{
  g_autoptr (GError) error = NULL;
  gchar *s;

  if (!g_key_file_has_key (kf, p->group, key, NULL))
    return NULL;
  s = g_key_file_get_string (kf, p->group, key, &error);
  if (!s)
    problem (p, key, "%s", error->message);
  return s;
}

static gboolean
validate_value (const GatewayParam *param, const GValue *value, GError **error);

static void
parse_bounds (GatewayParam *param, GKeyFile *kf, Problems *p)
{
  g_autofree gchar *min = get_raw (kf, p->group, "min");
  g_autofree gchar *max = get_raw (kf, p->group, "max");

  if (param->type == GATEWAY_PARAM_DOUBLE) {
    param->min_double = -G_MAXDOUBLE;
    param->max_double = G_MAXDOUBLE;
    if (min && !parse_double (min, &param->min_double))
      problem (p, "min", "\"%s\" is not a finite number", min);
    if (max && !parse_double (max, &param->max_double))
      problem (p, "max", "\"%s\" is not a finite number", max);
    if (param->min_double > param->max_double)
      problem (p, "min", "%s is above max %s", min, max);
    return;
  }

  param->min_int = param->type == GATEWAY_PARAM_UINT ? 0 : G_MININT64;
  param->max_int = G_MAXINT64;
  if (param->type == GATEWAY_PARAM_UINT) {
    if (min && !parse_int (min, TRUE, &param->min_int))
      problem (p, "min", "\"%s\" is not an integer in 0..%" G_GINT64_FORMAT,
          min, G_MAXINT64);
    if (max && !parse_int (max, TRUE, &param->max_int))
      problem (p, "max", "\"%s\" is not an integer in 0..%" G_GINT64_FORMAT,
          max, G_MAXINT64);
  } else {
    if (min && !parse_int (min, FALSE, &param->min_int))
      problem (p, "min", "\"%s\" is not a 64-bit integer", min);
    if (max && !parse_int (max, FALSE, &param->max_int))
      problem (p, "max", "\"%s\" is not a 64-bit integer", max);
  }
  if (param->min_int > param->max_int)
    problem (p, "min", "%" G_GINT64_FORMAT " is above max %" G_GINT64_FORMAT,
        param->min_int, param->max_int);
}

static void
parse_choices (GatewayParam *param, GKeyFile *kf, Problems *p)
{
  g_autoptr (GError) error = NULL;
  guint i, j;

  if (!g_key_file_has_key (kf, p->group, "values", NULL)) {
    problem (p, "values", "missing: an enum needs its allowed values");
    return;
  }
  param->choices
      = g_key_file_get_string_list (kf, p->group, "values", NULL, &error);
  if (!param->choices) {
    problem (p, "values", "%s", error->message);
    return;
  }
  if (!param->choices[0])
    problem (p, "values", "empty: an enum needs at least one value");
  for (i = 0; param->choices[i]; i++) {
    if (param->choices[i][0] == '\0')
      problem (p, "values", "value %u is empty", i + 1);
    for (j = 0; j < i; j++) {
      if (strcmp (param->choices[i], param->choices[j]) == 0)
        problem (p, "values", "\"%s\" is listed twice", param->choices[i]);
    }
  }
}

static void
parse_string_rules (GatewayParam *param, GKeyFile *kf, Problems *p)
{
  g_autofree gchar *max_length = get_raw (kf, p->group, "max-length");
  g_autofree gchar *pattern = get_string (kf, p, "pattern");

  param->max_length = DEFAULT_MAX_LENGTH;
  if (max_length) {
    guint64 n;

    if (g_ascii_string_to_unsigned (max_length, 10, 1, MAX_MAX_LENGTH, &n,
            NULL))
      param->max_length = n;
    else
      problem (p, "max-length", "\"%s\" is not an integer in 1..%d", max_length,
          MAX_MAX_LENGTH);
  }

  if (pattern) {
    g_autoptr (GError) error = NULL;
    g_autoptr (GRegex) plain = NULL;

    /* Compiled alone first so the file's author sees offsets in their own
     * text; then wrapped, so every use is a full match. */
    plain = g_regex_new (pattern, 0, 0, &error);
    if (!plain) {
      problem (p, "pattern", "%s", error->message);
    } else {
      g_autofree gchar *full = g_strdup_printf ("\\A(?:%s)\\z", pattern);

      param->pattern = g_regex_new (full, G_REGEX_ANCHORED, 0, &error);
      if (!param->pattern)
        problem (p, "pattern", "%s", error->message);
    }
  }

  param->prefix = get_string (kf, p, "prefix");
  param->suffix = get_string (kf, p, "suffix");
}

static void
parse_default (GatewayParam *param, GKeyFile *kf, Problems *p)
{
  g_autofree gchar *raw = get_raw (kf, p->group, "default");
  g_auto (GValue) value = G_VALUE_INIT;
  g_autoptr (GError) error = NULL;
  gboolean ok = TRUE;

  if (!raw)
    return;

  g_value_init (&value, gateway_param_value_type (param));
  switch (param->type) {
    case GATEWAY_PARAM_INT:
    case GATEWAY_PARAM_UINT: {
      gint64 v;

      ok = parse_int (raw, param->type == GATEWAY_PARAM_UINT, &v);
      if (!ok)
        problem (p, "default", "\"%s\" is not an integer", raw);
      else if (param->type == GATEWAY_PARAM_UINT)
        g_value_set_uint64 (&value, (guint64)v);
      else
        g_value_set_int64 (&value, v);
      break;
    }
    case GATEWAY_PARAM_DOUBLE: {
      gdouble d;

      ok = parse_double (raw, &d);
      if (!ok)
        problem (p, "default", "\"%s\" is not a finite number", raw);
      else
        g_value_set_double (&value, d);
      break;
    }
    case GATEWAY_PARAM_BOOLEAN:
      /* Only the JSON spellings, as a request would send them. */
      ok = strcmp (raw, "true") == 0 || strcmp (raw, "false") == 0;
      if (!ok)
        problem (p, "default", "\"%s\" is not true or false", raw);
      else
        g_value_set_boolean (&value, strcmp (raw, "true") == 0);
      break;
    case GATEWAY_PARAM_ENUM:
    case GATEWAY_PARAM_STRING:
    case GATEWAY_PARAM_HOST: {
      gchar *s = get_string (kf, p, "default");

      ok = s != NULL;
      if (ok)
        g_value_take_string (&value, s);
      break;
    }
  }
  if (!ok)
    return;

  /* Skipped when the rules themselves are broken: their own lines say so,
   * and a default checked against a half-parsed rule says nothing. */
  if (p->lines->len > 0)
    return;
  if (!validate_value (param, &value, &error)) {
    problem (p, "default", "%s", error->message);
    return;
  }
  g_value_init (&param->default_value, G_VALUE_TYPE (&value));
  g_value_copy (&value, &param->default_value);
  param->has_default = TRUE;
}

/* Keys that only make sense for some types: one given for another type is
 * a mistake (a "pattern" on an int would otherwise protect nothing). */
static void
check_keys_for_type (GatewayParam *param, GKeyFile *kf, Problems *p)
{
  static const struct
  {
    const gchar *key;
    guint types;
  } rules[] = {
    { "min",
        1 << GATEWAY_PARAM_INT | 1 << GATEWAY_PARAM_UINT
            | 1 << GATEWAY_PARAM_DOUBLE },
    { "max",
        1 << GATEWAY_PARAM_INT | 1 << GATEWAY_PARAM_UINT
            | 1 << GATEWAY_PARAM_DOUBLE },
    { "values", 1 << GATEWAY_PARAM_ENUM },
    { "pattern", 1 << GATEWAY_PARAM_STRING },
    { "max-length", 1 << GATEWAY_PARAM_STRING },
    { "prefix", 1 << GATEWAY_PARAM_STRING },
    { "suffix", 1 << GATEWAY_PARAM_STRING },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (rules); i++) {
    if ((rules[i].types & (1u << param->type)) == 0
        && g_key_file_has_key (kf, p->group, rules[i].key, NULL))
      problem (p, rules[i].key, "not used with type=%s",
          gateway_param_type_to_string (param->type));
  }
}

/**
 * gateway_param_new_from_key_file:
 * @kf: a loaded definition file
 * @group: the group to read, "param:NAME"
 * @error: return location for a %GATEWAY_ERROR_DEFINITION error
 *
 * Parses and checks one parameter declaration: required keys, unknown
 * keys, keys that do not apply to the type, numbers, bounds, the pattern
 * and the default (validated like a request value). The error message has
 * one line per problem, each "[GROUP] KEY: message".
 *
 * Returns: (transfer full) (nullable): the declaration, or %NULL on error
 */
GatewayParam *
gateway_param_new_from_key_file (GKeyFile *kf, const gchar *group,
    GError **error)
{
  g_autoptr (GatewayParam) param = g_new0 (GatewayParam, 1);
  g_autoptr (GString) lines = g_string_new (NULL);
  g_auto (GStrv) keys = NULL;
  g_autofree gchar *type = NULL;
  Problems p = { group, lines };
  guint i;

  g_return_val_if_fail (kf != NULL, NULL);
  g_return_val_if_fail (group != NULL, NULL);

  if (!g_str_has_prefix (group, GROUP_PREFIX)) {
    problem (&p, NULL, "not a param group (\"" GROUP_PREFIX "NAME\")");
    problems_to_error (&p, error);
    return NULL;
  }
  param->name = g_strdup (group + strlen (GROUP_PREFIX));
  if (!name_is_valid (param->name))
    problem (&p, NULL, "the name must be 1 to %d of A-Z a-z 0-9 _ -",
        PARAM_NAME_MAX);

  keys = g_key_file_get_keys (kf, group, NULL, NULL);
  for (i = 0; keys && keys[i]; i++) {
    if (!g_strv_contains (known_keys, keys[i])) {
      g_autofree gchar *known = g_strjoinv (", ", (gchar **)known_keys);

      problem (&p, keys[i], "unknown key (known: %s)", known);
    }
  }

  param->element = get_string (kf, &p, "element");
  if (!param->element && !g_key_file_has_key (kf, group, "element", NULL))
    problem (&p, "element", "missing: the name of the target element");
  else if (param->element && param->element[0] == '\0')
    problem (&p, "element", "empty");
  param->property = get_string (kf, &p, "property");
  if (!param->property && !g_key_file_has_key (kf, group, "property", NULL))
    problem (&p, "property", "missing: the property to set");
  else if (param->property && param->property[0] == '\0')
    problem (&p, "property", "empty");
  param->description = get_string (kf, &p, "description");

  type = get_raw (kf, group, "type");
  if (!type) {
    problem (&p, "type",
        "missing: int, uint, double, boolean, enum, string or "
        "host");
    problems_to_error (&p, error);
    return NULL;
  }
  if (!param_type_from_string (type, &param->type)) {
    problem (&p, "type",
        "unknown type \"%s\" (int, uint, double, boolean, "
        "enum, string or host)",
        type);
    problems_to_error (&p, error);
    return NULL;
  }

  check_keys_for_type (param, kf, &p);
  switch (param->type) {
    case GATEWAY_PARAM_INT:
    case GATEWAY_PARAM_UINT:
    case GATEWAY_PARAM_DOUBLE:
      parse_bounds (param, kf, &p);
      break;
    case GATEWAY_PARAM_ENUM:
      parse_choices (param, kf, &p);
      break;
    case GATEWAY_PARAM_STRING:
      parse_string_rules (param, kf, &p);
      break;
    case GATEWAY_PARAM_BOOLEAN:
    case GATEWAY_PARAM_HOST:
      break;
  }
  parse_default (param, kf, &p);

  if (!problems_to_error (&p, error))
    return NULL;
  return g_steal_pointer (&param);
}

/**
 * gateway_param_free:
 * @param: (nullable): a declaration
 *
 * Frees @param and everything it holds.
 */
void
gateway_param_free (GatewayParam *param)
{
  if (!param)
    return;
  g_free (param->name);
  g_free (param->element);
  g_free (param->property);
  g_strfreev (param->choices);
  g_clear_pointer (&param->pattern, g_regex_unref);
  g_free (param->prefix);
  g_free (param->suffix);
  if (G_IS_VALUE (&param->default_value))
    g_value_unset (&param->default_value);
  g_free (param->description);
  g_free (param);
}

static gboolean
is_choice (const GatewayParam *param, const gchar *str)
{
  return param->choices
      && g_strv_contains ((const gchar *const *)param->choices, str);
}

static gboolean
validate_string (const GatewayParam *param, const gchar *str, GError **error)
{
  gsize len = strlen (str);
  const gchar *p;
  g_autoptr (GMatchInfo) match = NULL;
  gint end = -1;

  if (len > param->max_length) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_OUT_OF_BOUNDS,
        "%" G_GSIZE_FORMAT " bytes is longer than the maximum %u", len,
        param->max_length);
    return FALSE;
  }
  if (!g_utf8_validate (str, len, NULL)) {
    g_set_error_literal (error, GATEWAY_ERROR, GATEWAY_ERROR_PATTERN,
        "not valid UTF-8");
    return FALSE;
  }
  /* C0, DEL and C1 controls: nothing a property value needs, and each can
   * split a log line or a path in surprising ways. */
  for (p = str; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
      g_autofree gchar *quoted = gateway_quote_untrusted (str);

      g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PATTERN,
          "%s holds a control character", quoted);
      return FALSE;
    }
  }
  if (!param->pattern)
    return TRUE;

  /* The regex is anchored at both ends already; the end position is
   * checked too so no pattern, however written, can match a prefix. */
  if (!g_regex_match_full (param->pattern, str, len, 0, G_REGEX_MATCH_ANCHORED,
          &match, NULL)
      || !g_match_info_fetch_pos (match, 0, NULL, &end) || (gsize)end != len) {
    g_autofree gchar *quoted = gateway_quote_untrusted (str);

    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PATTERN,
        "%s does not match the pattern", quoted);
    return FALSE;
  }
  return TRUE;
}

/* Checks a value already of gateway_param_value_type(): the part of the
 * rules that does not depend on where the value came from (a request or a
 * default in the file). Messages name the value, not the param. */
static gboolean
validate_value (const GatewayParam *param, const GValue *value, GError **error)
{
  g_return_val_if_fail (G_VALUE_HOLDS (value, gateway_param_value_type (param)),
      FALSE);

  switch (param->type) {
    case GATEWAY_PARAM_INT: {
      gint64 v = g_value_get_int64 (value);

      if (v < param->min_int) {
        g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_OUT_OF_BOUNDS,
            "%" G_GINT64_FORMAT " is below the minimum %" G_GINT64_FORMAT, v,
            param->min_int);
        return FALSE;
      }
      if (v > param->max_int) {
        g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_OUT_OF_BOUNDS,
            "%" G_GINT64_FORMAT " is above the maximum %" G_GINT64_FORMAT, v,
            param->max_int);
        return FALSE;
      }
      return TRUE;
    }
    case GATEWAY_PARAM_UINT: {
      guint64 v = g_value_get_uint64 (value);

      if (v < (guint64)param->min_int) {
        g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_OUT_OF_BOUNDS,
            "%" G_GUINT64_FORMAT " is below the minimum %" G_GINT64_FORMAT, v,
            param->min_int);
        return FALSE;
      }
      if (v > (guint64)param->max_int) {
        g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_OUT_OF_BOUNDS,
            "%" G_GUINT64_FORMAT " is above the maximum %" G_GINT64_FORMAT, v,
            param->max_int);
        return FALSE;
      }
      return TRUE;
    }
    case GATEWAY_PARAM_DOUBLE: {
      gdouble v = g_value_get_double (value);

      if (!isfinite (v)) {
        g_set_error_literal (error, GATEWAY_ERROR, GATEWAY_ERROR_BAD_TYPE,
            "not a finite number");
        return FALSE;
      }
      if (v < param->min_double || v > param->max_double) {
        g_autofree gchar *got = format_double (v);
        g_autofree gchar *bound = format_double (
            v < param->min_double ? param->min_double : param->max_double);

        g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_OUT_OF_BOUNDS,
            "%s is %s the %s %s", got,
            v < param->min_double ? "below" : "above",
            v < param->min_double ? "minimum" : "maximum", bound);
        return FALSE;
      }
      return TRUE;
    }
    case GATEWAY_PARAM_BOOLEAN:
      return TRUE;
    case GATEWAY_PARAM_ENUM: {
      const gchar *str = g_value_get_string (value);

      if (!str || !is_choice (param, str)) {
        g_autofree gchar *quoted = gateway_quote_untrusted (str ? str : "");
        g_autofree gchar *choices = param->choices
            ? g_strjoinv (", ", param->choices)
            : g_strdup ("");

        g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PATTERN,
            "%s is not one of: %s", quoted, choices);
        return FALSE;
      }
      return TRUE;
    }
    case GATEWAY_PARAM_STRING: {
      const gchar *str = g_value_get_string (value);

      if (!str) {
        g_set_error_literal (error, GATEWAY_ERROR, GATEWAY_ERROR_BAD_TYPE,
            "no string");
        return FALSE;
      }
      return validate_string (param, str, error);
    }
    case GATEWAY_PARAM_HOST: {
      const gchar *str = g_value_get_string (value);

      if (!str) {
        g_set_error_literal (error, GATEWAY_ERROR, GATEWAY_ERROR_BAD_TYPE,
            "no string");
        return FALSE;
      }
      return gateway_host_address_check (str, error);
    }
  }
  g_return_val_if_reached (FALSE);
}

/**
 * gateway_param_validate:
 * @param: a declared parameter
 * @node: (nullable): the JSON value from a request
 * @value: (out caller-allocates): a zeroed #GValue
 * @error: return location for a %GATEWAY_ERROR_BAD_TYPE,
 *   %GATEWAY_ERROR_OUT_OF_BOUNDS or %GATEWAY_ERROR_PATTERN error
 *
 * Checks @node against @param: its JSON type exactly (integers only for
 * int and uint, integer or fractional numbers for double, true/false for
 * boolean, strings for enum, string and host), then bounds, choices,
 * length, encoding and pattern, or for host gateway_host_address_check().
 * Messages start with `param "NAME": `.
 *
 * Returns: %TRUE with @value holding the value as
 *   gateway_param_value_type(); %FALSE with @value left unset
 */
gboolean
gateway_param_validate (const GatewayParam *param, JsonNode *node,
    GValue *value, GError **error)
{
  const gchar *expected = NULL;
  g_autoptr (GError) local = NULL;

  g_return_val_if_fail (param != NULL, FALSE);
  g_return_val_if_fail (value != NULL && !G_IS_VALUE (value), FALSE);

  switch (param->type) {
    case GATEWAY_PARAM_INT:
    case GATEWAY_PARAM_UINT:
      if (!gateway_json_holds (node, G_TYPE_INT64)) {
        expected = "an integer";
        break;
      }
      if (param->type == GATEWAY_PARAM_INT) {
        g_value_init (value, G_TYPE_INT64);
        g_value_set_int64 (value, json_node_get_int (node));
      } else if (json_node_get_int (node) < 0) {
        g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_OUT_OF_BOUNDS,
            "param \"%s\": %" G_GINT64_FORMAT
            " is below the minimum %" G_GINT64_FORMAT,
            param->name, json_node_get_int (node), param->min_int);
        return FALSE;
      } else {
        g_value_init (value, G_TYPE_UINT64);
        g_value_set_uint64 (value, (guint64)json_node_get_int (node));
      }
      break;
    case GATEWAY_PARAM_DOUBLE:
      if (gateway_json_holds (node, G_TYPE_INT64)) {
        g_value_init (value, G_TYPE_DOUBLE);
        g_value_set_double (value, (gdouble)json_node_get_int (node));
      } else if (gateway_json_holds (node, G_TYPE_DOUBLE)) {
        g_value_init (value, G_TYPE_DOUBLE);
        g_value_set_double (value, json_node_get_double (node));
      } else {
        expected = "a number";
      }
      break;
    case GATEWAY_PARAM_BOOLEAN:
      if (!gateway_json_holds (node, G_TYPE_BOOLEAN)) {
        expected = "true or false";
        break;
      }
      g_value_init (value, G_TYPE_BOOLEAN);
      g_value_set_boolean (value, json_node_get_boolean (node));
      break;
    case GATEWAY_PARAM_ENUM:
    case GATEWAY_PARAM_STRING:
    case GATEWAY_PARAM_HOST:
      if (!gateway_json_holds (node, G_TYPE_STRING)) {
        expected = "a string";
        break;
      }
      g_value_init (value, G_TYPE_STRING);
      g_value_set_string (value, json_node_get_string (node));
      break;
  }

  if (expected) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_BAD_TYPE,
        "param \"%s\": expected %s, got %s", param->name, expected,
        gateway_json_kind (node));
    return FALSE;
  }
  if (!validate_value (param, value, &local)) {
    g_value_unset (value);
    g_propagate_prefixed_error (error, g_steal_pointer (&local),
        "param \"%s\": ", param->name);
    return FALSE;
  }
  return TRUE;
}

/* The integer range of an integer property, widened to gint64 (values are
 * never above G_MAXINT64, so clamping a guint64 maximum loses nothing). */
static gboolean
pspec_int_range (GParamSpec *pspec, gint64 *lo, gint64 *hi)
{
  if (G_IS_PARAM_SPEC_CHAR (pspec)) {
    *lo = G_PARAM_SPEC_CHAR (pspec)->minimum;
    *hi = G_PARAM_SPEC_CHAR (pspec)->maximum;
  } else if (G_IS_PARAM_SPEC_UCHAR (pspec)) {
    *lo = G_PARAM_SPEC_UCHAR (pspec)->minimum;
    *hi = G_PARAM_SPEC_UCHAR (pspec)->maximum;
  } else if (G_IS_PARAM_SPEC_INT (pspec)) {
    *lo = G_PARAM_SPEC_INT (pspec)->minimum;
    *hi = G_PARAM_SPEC_INT (pspec)->maximum;
  } else if (G_IS_PARAM_SPEC_UINT (pspec)) {
    *lo = G_PARAM_SPEC_UINT (pspec)->minimum;
    *hi = G_PARAM_SPEC_UINT (pspec)->maximum;
  } else if (G_IS_PARAM_SPEC_LONG (pspec)) {
    *lo = G_PARAM_SPEC_LONG (pspec)->minimum;
    *hi = G_PARAM_SPEC_LONG (pspec)->maximum;
  } else if (G_IS_PARAM_SPEC_ULONG (pspec)) {
    *lo = (gint64)MIN (G_PARAM_SPEC_ULONG (pspec)->minimum, (gulong)G_MAXINT64);
    *hi = (gint64)MIN (G_PARAM_SPEC_ULONG (pspec)->maximum, (gulong)G_MAXINT64);
  } else if (G_IS_PARAM_SPEC_INT64 (pspec)) {
    *lo = G_PARAM_SPEC_INT64 (pspec)->minimum;
    *hi = G_PARAM_SPEC_INT64 (pspec)->maximum;
  } else if (G_IS_PARAM_SPEC_UINT64 (pspec)) {
    *lo = (gint64)MIN (G_PARAM_SPEC_UINT64 (pspec)->minimum,
        (guint64)G_MAXINT64);
    *hi = (gint64)MIN (G_PARAM_SPEC_UINT64 (pspec)->maximum,
        (guint64)G_MAXINT64);
  } else {
    return FALSE;
  }
  return TRUE;
}

static gboolean
pspec_double_range (GParamSpec *pspec, gdouble *lo, gdouble *hi)
{
  if (G_IS_PARAM_SPEC_FLOAT (pspec)) {
    *lo = G_PARAM_SPEC_FLOAT (pspec)->minimum;
    *hi = G_PARAM_SPEC_FLOAT (pspec)->maximum;
  } else if (G_IS_PARAM_SPEC_DOUBLE (pspec)) {
    *lo = G_PARAM_SPEC_DOUBLE (pspec)->minimum;
    *hi = G_PARAM_SPEC_DOUBLE (pspec)->maximum;
  } else {
    return FALSE;
  }
  return TRUE;
}

static gboolean
pspec_is_caps (GParamSpec *pspec)
{
  return G_IS_PARAM_SPEC_BOXED (pspec)
      && G_PARAM_SPEC_VALUE_TYPE (pspec) == GST_TYPE_CAPS;
}

/* Whether the declared type can ever be set on @pspec. Caps are only
 * reachable through enum: the network picks one of the file's caps
 * strings, it never writes caps itself. */
static gboolean
check_compatible (const GatewayParam *param, GParamSpec *pspec, GError **error)
{
  gint64 ilo, ihi;
  gdouble dlo, dhi;
  gboolean ok = FALSE;

  if (!(pspec->flags & G_PARAM_WRITABLE)
      || (pspec->flags & G_PARAM_CONSTRUCT_ONLY)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION, "%s.%s is %s",
        param->element, param->property,
        (pspec->flags & G_PARAM_WRITABLE) ? "construct-only" : "read-only");
    return FALSE;
  }

  switch (param->type) {
    case GATEWAY_PARAM_INT:
    case GATEWAY_PARAM_UINT:
      ok = pspec_int_range (pspec, &ilo, &ihi)
          || pspec_double_range (pspec, &dlo, &dhi);
      break;
    case GATEWAY_PARAM_DOUBLE:
      ok = pspec_double_range (pspec, &dlo, &dhi);
      break;
    case GATEWAY_PARAM_BOOLEAN:
      ok = G_IS_PARAM_SPEC_BOOLEAN (pspec);
      break;
    case GATEWAY_PARAM_ENUM:
      ok = G_IS_PARAM_SPEC_ENUM (pspec) || G_IS_PARAM_SPEC_STRING (pspec)
          || pspec_is_caps (pspec);
      break;
    case GATEWAY_PARAM_STRING:
    case GATEWAY_PARAM_HOST:
      ok = G_IS_PARAM_SPEC_STRING (pspec);
      break;
  }
  if (!ok) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
        "type=%s cannot set %s.%s, a property of type %s%s",
        gateway_param_type_to_string (param->type), param->element,
        param->property, g_type_name (G_PARAM_SPEC_VALUE_TYPE (pspec)),
        G_IS_PARAM_SPEC_ENUM (pspec) || pspec_is_caps (pspec)
            ? " (use type=enum)"
            : "");
    return FALSE;
  }
  return TRUE;
}

/* Converts a validated value to the property's type in @out (zeroed);
 * nothing is set on any object here, so check_target can dry-run it. */
static gboolean
convert_value (const GatewayParam *param, GParamSpec *pspec,
    const GValue *value, GValue *out, GError **error)
{
  GType ptype = G_PARAM_SPEC_VALUE_TYPE (pspec);
  gint64 ilo, ihi;
  gdouble dlo, dhi;
  g_auto (GValue) tmp = G_VALUE_INIT;

  g_value_init (&tmp, ptype);

  switch (param->type) {
    case GATEWAY_PARAM_INT:
    case GATEWAY_PARAM_UINT: {
      gint64 v;

      if (G_VALUE_HOLDS_UINT64 (value)) {
        if (g_value_get_uint64 (value) > G_MAXINT64)
          goto out_of_range;
        v = (gint64)g_value_get_uint64 (value);
      } else {
        v = g_value_get_int64 (value);
      }
      if (pspec_int_range (pspec, &ilo, &ihi)) {
        if (v < ilo || v > ihi) {
          g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_OUT_OF_BOUNDS,
              "%" G_GINT64_FORMAT
              " is out of the property's range %" G_GINT64_FORMAT
              "..%" G_GINT64_FORMAT,
              v, ilo, ihi);
          return FALSE;
        }
        switch (G_TYPE_FUNDAMENTAL (ptype)) {
          case G_TYPE_CHAR:
            g_value_set_schar (&tmp, (gint8)v);
            break;
          case G_TYPE_UCHAR:
            g_value_set_uchar (&tmp, (guchar)v);
            break;
          case G_TYPE_INT:
            g_value_set_int (&tmp, (gint)v);
            break;
          case G_TYPE_UINT:
            g_value_set_uint (&tmp, (guint)v);
            break;
          case G_TYPE_LONG:
            g_value_set_long (&tmp, (glong)v);
            break;
          case G_TYPE_ULONG:
            g_value_set_ulong (&tmp, (gulong)v);
            break;
          case G_TYPE_INT64:
            g_value_set_int64 (&tmp, v);
            break;
          case G_TYPE_UINT64:
            g_value_set_uint64 (&tmp, (guint64)v);
            break;
          default:
            goto incompatible;
        }
      } else if (pspec_double_range (pspec, &dlo, &dhi)) {
        if ((gdouble)v < dlo || (gdouble)v > dhi)
          goto out_of_range;
        if (G_IS_PARAM_SPEC_FLOAT (pspec))
          g_value_set_float (&tmp, (gfloat)v);
        else
          g_value_set_double (&tmp, (gdouble)v);
      } else {
        goto incompatible;
      }
      break;
    }
    case GATEWAY_PARAM_DOUBLE: {
      gdouble v = g_value_get_double (value);

      if (!pspec_double_range (pspec, &dlo, &dhi))
        goto incompatible;
      if (v < dlo || v > dhi)
        goto out_of_range;
      if (G_IS_PARAM_SPEC_FLOAT (pspec))
        g_value_set_float (&tmp, (gfloat)v);
      else
        g_value_set_double (&tmp, v);
      break;
    }
    case GATEWAY_PARAM_BOOLEAN:
      if (!G_IS_PARAM_SPEC_BOOLEAN (pspec))
        goto incompatible;
      g_value_set_boolean (&tmp, g_value_get_boolean (value));
      break;
    case GATEWAY_PARAM_ENUM:
    case GATEWAY_PARAM_STRING:
    case GATEWAY_PARAM_HOST: {
      const gchar *str = g_value_get_string (value);

      if (G_IS_PARAM_SPEC_ENUM (pspec) && param->type == GATEWAY_PARAM_ENUM) {
        GEnumClass *klass = G_PARAM_SPEC_ENUM (pspec)->enum_class;
        GEnumValue *ev = g_enum_get_value_by_nick (klass, str);

        if (!ev)
          ev = g_enum_get_value_by_name (klass, str);
        if (!ev) {
          g_autofree gchar *quoted = gateway_quote_untrusted (str);

          g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PATTERN,
              "%s is not a value of %s", quoted, g_type_name (ptype));
          return FALSE;
        }
        g_value_set_enum (&tmp, ev->value);
      } else if (G_IS_PARAM_SPEC_STRING (pspec)) {
        if (param->type == GATEWAY_PARAM_STRING)
          g_value_take_string (&tmp,
              g_strconcat (param->prefix ? param->prefix : "", str,
                  param->suffix ? param->suffix : "", NULL));
        else
          g_value_set_string (&tmp, str);
      } else if (pspec_is_caps (pspec) && param->type == GATEWAY_PARAM_ENUM) {
        GstCaps *caps = gst_caps_from_string (str);

        if (!caps) {
          g_autofree gchar *quoted = gateway_quote_untrusted (str);

          g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PATTERN,
              "%s is not valid caps", quoted);
          return FALSE;
        }
        g_value_take_boxed (&tmp, caps);
      } else {
        goto incompatible;
      }
      break;
    }
  }

  /* The property's own rules, which may be stricter than its declared
   * range; validate modifies, so it runs on the converted copy and any
   * change means the value is refused, never silently clamped. */
  if (g_param_value_validate (pspec, &tmp))
    goto out_of_range;

  g_value_init (out, ptype);
  g_value_copy (&tmp, out);
  return TRUE;

out_of_range:
  g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_OUT_OF_BOUNDS,
      "the value is out of the property's range");
  return FALSE;

incompatible:
  g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
      "type=%s cannot set a property of type %s",
      gateway_param_type_to_string (param->type), g_type_name (ptype));
  return FALSE;
}

/* The target element (owned) and its property, or an error saying which
 * part of the binding is missing and which key names it. */
static GstElement *
find_target (const GatewayParam *param, GstBin *bin, GParamSpec **pspec,
    const gchar **key, GError **error)
{
  GstElement *element = gst_bin_get_by_name (bin, param->element);

  if (!element) {
    *key = "element";
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
        "no element named \"%s\" in the pipeline", param->element);
    return NULL;
  }
  *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (element),
      param->property);
  if (!*pspec) {
    GstElementFactory *factory = gst_element_get_factory (element);

    *key = "property";
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
        "%s (%s) has no property \"%s\"", param->element,
        factory ? GST_OBJECT_NAME (factory) : G_OBJECT_TYPE_NAME (element),
        param->property);
    gst_object_unref (element);
    return NULL;
  }
  return element;
}

/**
 * gateway_param_check_target:
 * @param: a declared parameter
 * @bin: the parsed pipeline
 * @error: return location for a %GATEWAY_ERROR_DEFINITION error
 *
 * Checks that @param can be applied to @bin: the element exists (searched
 * recursively), has the property, the property is writable after
 * construction, the declared type can set it, declared integer and double
 * bounds lie within the property's range, every enum choice converts
 * (a nick or name of an enum property, valid caps for a caps property),
 * and the default converts. The message has one line per problem, each
 * "[param:NAME] KEY: message".
 *
 * Returns: %TRUE when every value @param accepts can be set
 */
gboolean
gateway_param_check_target (const GatewayParam *param, GstBin *bin,
    GError **error)
{
  g_autofree gchar *group = NULL;
  g_autoptr (GString) lines = g_string_new (NULL);
  g_autoptr (GError) local = NULL;
  g_autoptr (GstElement) element = NULL;
  GParamSpec *pspec = NULL;
  const gchar *key = NULL;
  Problems p;
  gint64 ilo, ihi;
  gdouble dlo, dhi;
  guint i;

  g_return_val_if_fail (param != NULL, FALSE);
  g_return_val_if_fail (GST_IS_BIN (bin), FALSE);

  group = g_strconcat (GROUP_PREFIX, param->name, NULL);
  p.group = group;
  p.lines = lines;

  element = find_target (param, bin, &pspec, &key, &local);
  if (!element) {
    problem (&p, key, "%s", local->message);
    return problems_to_error (&p, error);
  }
  if (!check_compatible (param, pspec, &local)) {
    problem (&p,
        (pspec->flags & G_PARAM_WRITABLE)
                && !(pspec->flags & G_PARAM_CONSTRUCT_ONLY)
            ? "type"
            : "property",
        "%s", local->message);
    return problems_to_error (&p, error);
  }

  /* The declared bounds must lie inside the property's, so a value the
   * request validation accepts can never be refused later at start. */
  if ((param->type == GATEWAY_PARAM_INT || param->type == GATEWAY_PARAM_UINT)
      && pspec_int_range (pspec, &ilo, &ihi)) {
    if (param->min_int < ilo)
      problem (&p, "min",
          "%" G_GINT64_FORMAT " is below %s.%s's minimum %" G_GINT64_FORMAT
          " (set min)",
          param->min_int, param->element, param->property, ilo);
    if (param->max_int > ihi)
      problem (&p, "max",
          "%" G_GINT64_FORMAT " is above %s.%s's maximum %" G_GINT64_FORMAT
          " (set max)",
          param->max_int, param->element, param->property, ihi);
  } else if (pspec_double_range (pspec, &dlo, &dhi)) {
    gboolean is_int = param->type != GATEWAY_PARAM_DOUBLE;
    gdouble lo = is_int ? (gdouble)param->min_int : param->min_double;
    gdouble hi = is_int ? (gdouble)param->max_int : param->max_double;

    if (lo < dlo) {
      g_autofree gchar *a = format_double (lo);
      g_autofree gchar *b = format_double (dlo);

      problem (&p, "min", "%s is below %s.%s's minimum %s (set min)", a,
          param->element, param->property, b);
    }
    if (hi > dhi) {
      g_autofree gchar *a = format_double (hi);
      g_autofree gchar *b = format_double (dhi);

      problem (&p, "max", "%s is above %s.%s's maximum %s (set max)", a,
          param->element, param->property, b);
    }
  }

  for (i = 0;
       param->type == GATEWAY_PARAM_ENUM && param->choices && param->choices[i];
       i++) {
    g_auto (GValue) in = G_VALUE_INIT;
    g_auto (GValue) out = G_VALUE_INIT;

    g_value_init (&in, G_TYPE_STRING);
    g_value_set_static_string (&in, param->choices[i]);
    g_clear_error (&local);
    if (!convert_value (param, pspec, &in, &out, &local))
      problem (&p, "values", "%s", local->message);
  }

  if (param->has_default) {
    g_auto (GValue) out = G_VALUE_INIT;

    g_clear_error (&local);
    if (!convert_value (param, pspec, &param->default_value, &out, &local))
      problem (&p, "default", "%s", local->message);
  }

  return problems_to_error (&p, error);
}

/**
 * gateway_param_apply:
 * @param: a declared parameter
 * @bin: the parsed pipeline
 * @value: a value from gateway_param_validate() or @param's default
 * @error: return location for an error
 *
 * Sets @value on the target property, converted with the property's own
 * #GParamSpec: numbers to its numeric type, enum choices through the enum's
 * nicks and names (or gst_caps_from_string() for a caps property), strings
 * with the declared prefix and suffix around them. @value is checked
 * against @param once more, so only declared values ever reach a
 * property.
 *
 * Returns: %TRUE when set; %FALSE, setting nothing, when the value or the
 *   target is refused
 */
gboolean
gateway_param_apply (const GatewayParam *param, GstBin *bin,
    const GValue *value, GError **error)
{
  g_autoptr (GstElement) element = NULL;
  g_autoptr (GError) local = NULL;
  g_auto (GValue) out = G_VALUE_INIT;
  GParamSpec *pspec = NULL;
  const gchar *key = NULL;

  g_return_val_if_fail (param != NULL, FALSE);
  g_return_val_if_fail (GST_IS_BIN (bin), FALSE);
  g_return_val_if_fail (G_IS_VALUE (value), FALSE);

  if (!G_VALUE_HOLDS (value, gateway_param_value_type (param))) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_BAD_TYPE,
        "param \"%s\": a %s value cannot be a %s", param->name,
        G_VALUE_TYPE_NAME (value), gateway_param_type_to_string (param->type));
    return FALSE;
  }
  element = find_target (param, bin, &pspec, &key, &local);
  if (!element || !validate_value (param, value, &local)
      || !check_compatible (param, pspec, &local)
      || !convert_value (param, pspec, value, &out, &local)) {
    g_propagate_prefixed_error (error, g_steal_pointer (&local),
        "param \"%s\": ", param->name);
    return FALSE;
  }
  g_object_set_property (G_OBJECT (element), param->property, &out);
  return TRUE;
}

static void
value_free (gpointer data)
{
  GValue *value = data;

  g_value_unset (value);
  g_free (value);
}

static GHashTable *
values_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, value_free);
}

static const GatewayParam *
find_param (GPtrArray *params, const gchar *name)
{
  guint i;

  for (i = 0; params && i < params->len; i++) {
    const GatewayParam *param = g_ptr_array_index (params, i);

    if (strcmp (param->name, name) == 0)
      return param;
  }
  return NULL;
}

/**
 * gateway_params_validate_request:
 * @params: (element-type GatewayParam) (nullable): the declarations
 * @request: (nullable): the request's "params" member
 * @error: return location for a #GATEWAY_ERROR error
 *
 * Validates every member of @request (gateway_param_validate()). Fails on
 * the first problem: a non-object (%GATEWAY_ERROR_INVALID_REQUEST), a name
 * not declared (%GATEWAY_ERROR_UNKNOWN_PARAM, the message lists the
 * declared ones) or a bad value. Defaults are not filled in.
 *
 * Returns: (transfer full) (element-type utf8 GValue) (nullable): name ->
 *   GValue* for every param given, %NULL on error
 */
GHashTable *
gateway_params_validate_request (GPtrArray *params, JsonNode *request,
    GError **error)
{
  g_autoptr (GHashTable) values = values_new ();
  g_autoptr (GList) members = NULL;
  JsonObject *object;
  GList *l;

  if (!request || JSON_NODE_HOLDS_NULL (request))
    return g_steal_pointer (&values);
  if (!JSON_NODE_HOLDS_OBJECT (request)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "params must be an object, got %s", gateway_json_kind (request));
    return NULL;
  }

  object = json_node_get_object (request);
  members = json_object_get_members (object);
  for (l = members; l; l = l->next) {
    const gchar *name = l->data;
    const GatewayParam *param = find_param (params, name);
    GValue *value;

    if (!param) {
      g_autofree gchar *quoted = gateway_quote_untrusted (name);
      g_autoptr (GString) known = g_string_new (NULL);
      guint i;

      for (i = 0; params && i < params->len; i++) {
        const GatewayParam *p = g_ptr_array_index (params, i);

        g_string_append_printf (known, "%s%s", i ? ", " : "", p->name);
      }
      g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_UNKNOWN_PARAM,
          "unknown param %s (%s%s)", quoted,
          known->len ? "known: " : "this pipeline takes none", known->str);
      return NULL;
    }

    value = g_new0 (GValue, 1);
    if (!gateway_param_validate (param, json_object_get_member (object, name),
            value, error)) {
      g_free (value);
      return NULL;
    }
    g_hash_table_replace (values, g_strdup (name), value);
  }
  return g_steal_pointer (&values);
}

static gint
compare_names (gconstpointer a, gconstpointer b, gpointer user_data)
{
  return strcmp (*(const gchar *const *)a, *(const gchar *const *)b);
}

/**
 * gateway_params_values_to_json:
 * @values: (element-type utf8 GValue) (nullable): validated values
 *
 * Returns: (transfer full): a JSON object with one member per value,
 *   sorted by name so replies are stable
 */
JsonNode *
gateway_params_values_to_json (GHashTable *values)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autofree gpointer *names = NULL;
  guint n = 0, i;

  json_builder_begin_object (builder);
  if (values) {
    names = g_hash_table_get_keys_as_array (values, &n);
    g_qsort_with_data (names, n, sizeof (gpointer), compare_names, NULL);
  }
  for (i = 0; i < n; i++) {
    const GValue *value = g_hash_table_lookup (values, names[i]);

    json_builder_set_member_name (builder, names[i]);
    if (G_VALUE_HOLDS_INT64 (value))
      json_builder_add_int_value (builder, g_value_get_int64 (value));
    else if (G_VALUE_HOLDS_UINT64 (value))
      json_builder_add_int_value (builder,
          (gint64)MIN (g_value_get_uint64 (value), (guint64)G_MAXINT64));
    else if (G_VALUE_HOLDS_DOUBLE (value))
      json_builder_add_double_value (builder, g_value_get_double (value));
    else if (G_VALUE_HOLDS_BOOLEAN (value))
      json_builder_add_boolean_value (builder, g_value_get_boolean (value));
    else if (G_VALUE_HOLDS_STRING (value))
      json_builder_add_string_value (builder, g_value_get_string (value));
    else
      json_builder_add_null_value (builder);
  }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/**
 * gateway_param_value_equal:
 * @a: (nullable): a validated (param-typed) value
 * @b: (nullable): a validated (param-typed) value
 *
 * Compares two values the way params are compared everywhere (a repeated
 * start, a warm pipeline's changed param): same type and same value,
 * booleans by truth (any non-zero gboolean is TRUE). %NULL stands for "no
 * value" and equals only %NULL.
 *
 * Returns: %TRUE when @a and @b are equal
 */
gboolean
gateway_param_value_equal (const GValue *a, const GValue *b)
{
  if (!a || !b)
    return a == b;
  if (G_VALUE_TYPE (a) != G_VALUE_TYPE (b))
    return FALSE;
  if (G_VALUE_HOLDS_INT64 (a))
    return g_value_get_int64 (a) == g_value_get_int64 (b);
  if (G_VALUE_HOLDS_UINT64 (a))
    return g_value_get_uint64 (a) == g_value_get_uint64 (b);
  if (G_VALUE_HOLDS_DOUBLE (a))
    return g_value_get_double (a) == g_value_get_double (b);
  if (G_VALUE_HOLDS_BOOLEAN (a))
    return !g_value_get_boolean (a) == !g_value_get_boolean (b);
  if (G_VALUE_HOLDS_STRING (a))
    return g_strcmp0 (g_value_get_string (a), g_value_get_string (b)) == 0;
  return FALSE;
}

/**
 * gateway_params_values_equal:
 * @a: (element-type utf8 GValue) (nullable): validated values
 * @b: (element-type utf8 GValue) (nullable): validated values
 *
 * A %NULL table equals an empty one.
 *
 * Returns: %TRUE when @a and @b hold the same names with equal values of
 *   the same type
 */
gboolean
gateway_params_values_equal (GHashTable *a, GHashTable *b)
{
  GHashTableIter iter;
  gpointer name, value;

  if ((a ? g_hash_table_size (a) : 0) != (b ? g_hash_table_size (b) : 0))
    return FALSE;
  if (!a || !b)
    return TRUE;
  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &name, &value)) {
    const GValue *other = g_hash_table_lookup (b, name);

    if (!other || !gateway_param_value_equal (value, other))
      return FALSE;
  }
  return TRUE;
}

/**
 * gateway_params_values_copy:
 * @values: (element-type utf8 GValue) (nullable): validated values
 *
 * Returns: (transfer full) (element-type utf8 GValue): a new table with
 *   copies of @values' names and values (empty when @values is %NULL)
 */
GHashTable *
gateway_params_values_copy (GHashTable *values)
{
  GHashTable *copy = values_new ();
  GHashTableIter iter;
  gpointer name, value;

  if (!values)
    return copy;
  g_hash_table_iter_init (&iter, values);
  while (g_hash_table_iter_next (&iter, &name, &value)) {
    GValue *v = g_new0 (GValue, 1);

    g_value_init (v, G_VALUE_TYPE (value));
    g_value_copy (value, v);
    g_hash_table_insert (copy, g_strdup (name), v);
  }
  return copy;
}

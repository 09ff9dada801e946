/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * schema-check.c: the JSON Schema subset of schema-check.h.
 *
 * One function knows the keywords and the shape of their values
 * (check_keyword), used both by the static check of a whole schema and at
 * each step of a validation, so a keyword is never applied unchecked nor
 * silently skipped. Validation stops at the first mismatch, except in
 * anyOf and oneOf, whose message lists why each branch failed.
 */
#include "schema-check.h"

#include <math.h>
#include <string.h>

/* Deeper than any schema of the project needs; stops $ref cycles. */
#define MAX_DEPTH 64
/* Longest piece of an instance quoted in a message, in bytes. */
#define QUOTE_MAX 80

/**
 * rt_schema_error_quark:
 *
 * Returns: the domain of #RtSchemaError
 */
GQuark
rt_schema_error_quark (void)
{
  return g_quark_from_static_string ("rt-schema-error-quark");
}

struct _RtSchemaSet
{
  GMutex lock; /* the set may be shared by the threads of a test */
  gchar *dir; /* nullable */
  GHashTable *docs; /* name -> JsonNode* (a document's root) */
  GHashTable *regexes; /* pattern -> GRegex* */
};

/* Where a schema node is: its document (for "#..." references) and its
 * JSON pointer in it (for messages). */
typedef struct
{
  const gchar *doc;
  JsonNode *root;
} Doc;

typedef struct
{
  RtSchemaSet *set;
  guint depth;
  GHashTable *checked; /* static check: "doc#pointer" already walked */
} Ctx;

static const gchar *const annotations[]
    = { "$schema", "$id", "$comment", "$defs", "title", "description",
        "examples", "default", "deprecated", "readOnly", "writeOnly", NULL };

static const gchar *const type_names[] = { "null", "boolean", "object", "array",
  "number", "integer", "string", NULL };

/* --- helpers ------------------------------------------------------------ */

static GType
value_type (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node)
                                      : G_TYPE_INVALID;
}

static gboolean
is_number (JsonNode *node)
{
  GType t = value_type (node);

  return t == G_TYPE_INT64 || t == G_TYPE_DOUBLE;
}

static gboolean
is_integer (JsonNode *node)
{
  gdouble d;

  if (value_type (node) == G_TYPE_INT64)
    return TRUE;
  if (value_type (node) != G_TYPE_DOUBLE)
    return FALSE;
  d = json_node_get_double (node);
  return isfinite (d) && floor (d) == d;
}

static gboolean
is_string (JsonNode *node)
{
  return value_type (node) == G_TYPE_STRING;
}

static gdouble
as_double (JsonNode *node)
{
  return value_type (node) == G_TYPE_INT64 ? (gdouble)json_node_get_int (node)
                                           : json_node_get_double (node);
}

/* <0, 0, >0 as @a is below, equal to or above @b (both numbers). */
static gint
compare_numbers (JsonNode *a, JsonNode *b)
{
  gdouble x, y;

  if (value_type (a) == G_TYPE_INT64 && value_type (b) == G_TYPE_INT64) {
    gint64 i = json_node_get_int (a), j = json_node_get_int (b);

    return i < j ? -1 : i > j;
  }
  x = as_double (a);
  y = as_double (b);
  return x < y ? -1 : x > y;
}

/* The JSON type name of @node ("integer" for numbers without fraction). */
static const gchar *
kind_of (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_OBJECT:
      return "object";
    case JSON_NODE_ARRAY:
      return "array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
      break;
  }
  if (value_type (node) == G_TYPE_BOOLEAN)
    return "boolean";
  if (value_type (node) == G_TYPE_STRING)
    return "string";
  return is_integer (node) ? "integer" : "number";
}

static gboolean
has_type (JsonNode *node, const gchar *type)
{
  if (g_str_equal (type, "number"))
    return is_number (node);
  if (g_str_equal (type, "integer"))
    return is_integer (node);
  return g_str_equal (type, kind_of (node));
}

/* @node as compact JSON, cut after QUOTE_MAX bytes. */
static gchar *
quote (JsonNode *node)
{
  g_autofree gchar *json = json_to_string (node, FALSE);

  if (strlen (json) <= QUOTE_MAX)
    return g_steal_pointer (&json);
  return g_strdup_printf ("%.*s...", QUOTE_MAX, json);
}

/* @base + "/" + @token, escaped as a JSON pointer token. */
static gchar *
pointer_append (const gchar *base, const gchar *token)
{
  GString *s = g_string_new (base);
  const gchar *p;

  g_string_append_c (s, '/');
  for (p = token; *p; p++) {
    if (*p == '~')
      g_string_append (s, "~0");
    else if (*p == '/')
      g_string_append (s, "~1");
    else
      g_string_append_c (s, *p);
  }
  return g_string_free (s, FALSE);
}

static gchar *
pointer_append_index (const gchar *base, guint i)
{
  return g_strdup_printf ("%s/%u", base, i);
}

static gboolean mismatch (GError **error, const gchar *ipath, const Doc *doc,
    const gchar *spath, const gchar *format, ...) G_GNUC_PRINTF (5, 6);
static gboolean schema_error (GError **error, const Doc *doc,
    const gchar *spath, const gchar *format, ...) G_GNUC_PRINTF (4, 5);

/* Always FALSE: @error says where the instance and the schema part. */
static gboolean
mismatch (GError **error, const gchar *ipath, const Doc *doc,
    const gchar *spath, const gchar *format, ...)
{
  g_autofree gchar *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, RT_SCHEMA_ERROR, RT_SCHEMA_ERROR_MISMATCH,
      "at %s: %s (%s#%s)", *ipath ? ipath : "/", what, doc->doc, spath);
  return FALSE;
}

/* Always FALSE: @error says what is wrong with the schema, and where. */
static gboolean
schema_error (GError **error, const Doc *doc, const gchar *spath,
    const gchar *format, ...)
{
  g_autofree gchar *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, RT_SCHEMA_ERROR, RT_SCHEMA_ERROR_SCHEMA, "%s#%s: %s",
      doc->doc, spath, what);
  return FALSE;
}

/* --- documents and references ------------------------------------------ */

/* The root of document @name, loaded from the directory at first use. */
static JsonNode *
load_doc (RtSchemaSet *set, const gchar *name, GError **error)
{
  g_autoptr (JsonParser) parser = NULL;
  g_autofree gchar *path = NULL;
  JsonNode *root = g_hash_table_lookup (set->docs, name);

  if (root)
    return root;
  /* A plain file name of the directory, nothing else. */
  if (!set->dir || !*name || name[0] == '.' || strchr (name, '/')) {
    g_set_error (error, RT_SCHEMA_ERROR, RT_SCHEMA_ERROR_FILE,
        "no schema document \"%s\"%s%s", name, set->dir ? " in " : "",
        set->dir ? set->dir : "");
    return NULL;
  }
  path = g_build_filename (set->dir, name, NULL);
  parser = json_parser_new ();
  if (!json_parser_load_from_file (parser, path, error)) {
    g_prefix_error (error, "schema %s: ", path);
    if (error && *error) {
      (*error)->domain = RT_SCHEMA_ERROR;
      (*error)->code = RT_SCHEMA_ERROR_FILE;
    }
    return NULL;
  }
  root = json_parser_steal_root (parser);
  g_hash_table_insert (set->docs, g_strdup (name), root);
  return root;
}

/* Resolves @ref, seen in @from: the target schema and its document. */
static JsonNode *
resolve (Ctx *ctx, const Doc *from, const gchar *spath, const gchar *ref,
    Doc *to, gchar **to_path, GError **error)
{
  const gchar *hash = strchr (ref, '#');
  g_autofree gchar *file = hash ? g_strndup (ref, hash - ref) : g_strdup (ref);
  const gchar *fragment = hash ? hash + 1 : "";
  g_auto (GStrv) tokens = NULL;
  JsonNode *node;
  guint i;

  if (*file) {
    gpointer key, value;

    if (!load_doc (ctx->set, file, error)) {
      g_prefix_error (error, "%s#%s: $ref \"%s\": ", from->doc, spath, ref);
      if (error && *error)
        (*error)->code = RT_SCHEMA_ERROR_SCHEMA;
      return NULL;
    }
    /* The name the set owns, so that @to outlives @file. */
    g_hash_table_lookup_extended (ctx->set->docs, file, &key, &value);
    to->doc = key;
    to->root = value;
  } else {
    *to = *from;
  }
  if (*fragment && *fragment != '/') {
    schema_error (error, from, spath,
        "$ref \"%s\": only JSON pointer fragments (#/...) are supported", ref);
    return NULL;
  }
  node = to->root;
  tokens = g_strsplit (fragment, "/", -1);
  /* tokens[0] is the empty piece before the first '/'. */
  for (i = 1; *fragment && tokens[i] && node; i++) {
    g_autofree gchar *t0 = NULL;
    g_autofree gchar *token = NULL;
    g_auto (GStrv) parts = g_strsplit (tokens[i], "~1", -1);

    t0 = g_strjoinv ("/", parts);
    g_strfreev (parts);
    parts = g_strsplit (t0, "~0", -1);
    token = g_strjoinv ("~", parts);
    if (JSON_NODE_HOLDS_OBJECT (node)) {
      node = json_object_get_member (json_node_get_object (node), token);
    } else if (JSON_NODE_HOLDS_ARRAY (node)) {
      JsonArray *a = json_node_get_array (node);
      gchar *end = NULL;
      guint64 index = g_ascii_strtoull (token, &end, 10);

      node = *token && end && !*end && index < json_array_get_length (a)
          ? json_array_get_element (a, (guint)index)
          : NULL;
    } else {
      node = NULL;
    }
  }
  if (!node) {
    schema_error (error, from, spath, "$ref \"%s\" resolves to nothing", ref);
    return NULL;
  }
  *to_path = g_strdup (fragment);
  return node;
}

static GRegex *
get_regex (RtSchemaSet *set, const gchar *pattern, GError **error)
{
  GRegex *regex = g_hash_table_lookup (set->regexes, pattern);

  if (regex)
    return regex;
  /* ECMAScript, which JSON Schema follows: "$" only at the very end. */
  regex = g_regex_new (pattern, G_REGEX_DOLLAR_ENDONLY, 0, error);
  if (regex)
    g_hash_table_insert (set->regexes, g_strdup (pattern), regex);
  return regex;
}

/* --- keywords ----------------------------------------------------------- */

static gboolean
is_schema (JsonNode *node)
{
  return JSON_NODE_HOLDS_OBJECT (node) || value_type (node) == G_TYPE_BOOLEAN;
}

static gboolean
is_count (JsonNode *node)
{
  return is_integer (node) && as_double (node) >= 0;
}

/* Whether the keyword @name with @value is known and well formed (without
 * looking into subschemas). */
static gboolean
check_keyword (Ctx *ctx, const Doc *doc, const gchar *spath, const gchar *name,
    JsonNode *value, GError **error)
{
  static const gchar *const counts[] = { "minLength", "maxLength", "minItems",
    "maxItems", "minProperties", "maxProperties", NULL };
  static const gchar *const lists[] = { "allOf", "anyOf", "oneOf", NULL };
  static const gchar *const subschemas[]
      = { "additionalProperties", "items", "propertyNames", NULL };
  g_autoptr (GError) local = NULL;
  guint i, n;

  if (g_strv_contains (annotations, name)) {
    if (g_str_equal (name, "$defs") && !JSON_NODE_HOLDS_OBJECT (value))
      return schema_error (error, doc, spath, "$defs must be an object");
    return TRUE;
  }
  if (g_strv_contains (counts, name)) {
    if (!is_count (value))
      return schema_error (error, doc, spath,
          "%s must be a non-negative integer", name);
    return TRUE;
  }
  if (g_strv_contains (lists, name)) {
    JsonArray *a
        = JSON_NODE_HOLDS_ARRAY (value) ? json_node_get_array (value) : NULL;

    if (!a || json_array_get_length (a) == 0)
      return schema_error (error, doc, spath,
          "%s must be a non-empty array of schemas", name);
    for (i = 0; i < json_array_get_length (a); i++)
      if (!is_schema (json_array_get_element (a, i)))
        return schema_error (error, doc, spath, "%s/%u is not a schema", name,
            i);
    return TRUE;
  }
  if (g_strv_contains (subschemas, name)) {
    if (!is_schema (value))
      return schema_error (error, doc, spath, "%s must be a schema", name);
    return TRUE;
  }
  if (g_str_equal (name, "type")) {
    if (is_string (value)) {
      if (!g_strv_contains (type_names, json_node_get_string (value)))
        return schema_error (error, doc, spath, "unknown type \"%s\"",
            json_node_get_string (value));
      return TRUE;
    }
    if (!JSON_NODE_HOLDS_ARRAY (value)
        || json_array_get_length (json_node_get_array (value)) == 0)
      return schema_error (error, doc, spath,
          "type must be a type name or a non-empty array of them");
    n = json_array_get_length (json_node_get_array (value));
    for (i = 0; i < n; i++) {
      JsonNode *t = json_array_get_element (json_node_get_array (value), i);

      if (!is_string (t)
          || !g_strv_contains (type_names, json_node_get_string (t)))
        return schema_error (error, doc, spath, "type/%u is not a type name",
            i);
    }
    return TRUE;
  }
  if (g_str_equal (name, "properties")) {
    g_autoptr (GList) members = NULL;
    GList *l;

    if (!JSON_NODE_HOLDS_OBJECT (value))
      return schema_error (error, doc, spath, "properties must be an object");
    members = json_object_get_members (json_node_get_object (value));
    for (l = members; l; l = l->next)
      if (!is_schema (
              json_object_get_member (json_node_get_object (value), l->data)))
        return schema_error (error, doc, spath, "properties/%s is not a schema",
            (const gchar *)l->data);
    return TRUE;
  }
  if (g_str_equal (name, "required")) {
    JsonArray *a
        = JSON_NODE_HOLDS_ARRAY (value) ? json_node_get_array (value) : NULL;

    for (i = 0; a && i < json_array_get_length (a); i++)
      if (!is_string (json_array_get_element (a, i)))
        a = NULL;
    if (!a)
      return schema_error (error, doc, spath,
          "required must be an array of strings");
    return TRUE;
  }
  if (g_str_equal (name, "enum")) {
    if (!JSON_NODE_HOLDS_ARRAY (value)
        || json_array_get_length (json_node_get_array (value)) == 0)
      return schema_error (error, doc, spath, "enum must be a non-empty array");
    return TRUE;
  }
  if (g_str_equal (name, "const"))
    return TRUE;
  if (g_str_equal (name, "minimum") || g_str_equal (name, "maximum")) {
    if (!is_number (value))
      return schema_error (error, doc, spath, "%s must be a number", name);
    return TRUE;
  }
  if (g_str_equal (name, "pattern")) {
    if (!is_string (value))
      return schema_error (error, doc, spath, "pattern must be a string");
    if (!get_regex (ctx->set, json_node_get_string (value), &local))
      return schema_error (error, doc, spath, "pattern does not compile: %s",
          local->message);
    return TRUE;
  }
  if (g_str_equal (name, "$ref")) {
    if (!is_string (value))
      return schema_error (error, doc, spath, "$ref must be a string");
    return TRUE;
  }
  return schema_error (error, doc, spath,
      "keyword \"%s\" is not supported by tests/support/schema-check.c", name);
}

/* --- the static check of a schema --------------------------------------- */

static gboolean check_schema (Ctx *ctx, const Doc *doc, JsonNode *schema,
    const gchar *spath, GError **error);

static gboolean
check_member_schemas (Ctx *ctx, const Doc *doc, JsonNode *object,
    const gchar *spath, GError **error)
{
  g_autoptr (GList) members
      = json_object_get_members (json_node_get_object (object));
  GList *l;

  for (l = members; l; l = l->next) {
    g_autofree gchar *sub = pointer_append (spath, l->data);

    if (!check_schema (ctx, doc,
            json_object_get_member (json_node_get_object (object), l->data),
            sub, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
check_schema (Ctx *ctx, const Doc *doc, JsonNode *schema, const gchar *spath,
    GError **error)
{
  g_autoptr (GList) members = NULL;
  JsonObject *o;
  GList *l;

  if (value_type (schema) == G_TYPE_BOOLEAN)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (schema))
    return schema_error (error, doc, spath,
        "a schema must be an object or a "
        "boolean");
  if (++ctx->depth > MAX_DEPTH) {
    ctx->depth--;
    return schema_error (error, doc, spath, "nested deeper than %d", MAX_DEPTH);
  }
  o = json_node_get_object (schema);
  members = json_object_get_members (o);
  for (l = members; l; l = l->next) {
    const gchar *name = l->data;
    JsonNode *value = json_object_get_member (o, name);
    g_autofree gchar *sub = pointer_append (spath, name);
    gboolean ok = check_keyword (ctx, doc, sub, name, value, error);

    if (ok && (g_str_equal (name, "$defs") || g_str_equal (name, "properties")))
      ok = check_member_schemas (ctx, doc, value, sub, error);
    else if (ok
        && (g_str_equal (name, "additionalProperties")
            || g_str_equal (name, "items")
            || g_str_equal (name, "propertyNames")))
      ok = check_schema (ctx, doc, value, sub, error);
    else if (ok
        && (g_str_equal (name, "allOf") || g_str_equal (name, "anyOf")
            || g_str_equal (name, "oneOf"))) {
      JsonArray *a = json_node_get_array (value);
      guint i;

      for (i = 0; ok && i < json_array_get_length (a); i++) {
        g_autofree gchar *item = pointer_append_index (sub, i);

        ok = check_schema (ctx, doc, json_array_get_element (a, i), item,
            error);
      }
    } else if (ok && g_str_equal (name, "$ref")) {
      Doc to;
      g_autofree gchar *to_path = NULL;
      JsonNode *target = resolve (ctx, doc, sub, json_node_get_string (value),
          &to, &to_path, error);
      g_autofree gchar *key
          = target ? g_strdup_printf ("%s#%s", to.doc, to_path) : NULL;

      ok = target != NULL;
      if (ok && !g_hash_table_contains (ctx->checked, key)) {
        g_hash_table_add (ctx->checked, g_steal_pointer (&key));
        ok = check_schema (ctx, &to, target, to_path, error);
      }
    }
    if (!ok) {
      ctx->depth--;
      return FALSE;
    }
  }
  ctx->depth--;
  return TRUE;
}

/* --- validation --------------------------------------------------------- */

static gboolean validate (Ctx *ctx, const Doc *doc, JsonNode *schema,
    const gchar *spath, JsonNode *inst, const gchar *ipath, GError **error);

/* anyOf (@one FALSE) or oneOf (@one TRUE). */
static gboolean
validate_alternatives (Ctx *ctx, const Doc *doc, JsonArray *branches,
    const gchar *spath, const gchar *keyword, gboolean one, JsonNode *inst,
    const gchar *ipath, GError **error)
{
  g_autoptr (GString) why = g_string_new (NULL);
  guint i, n = json_array_get_length (branches), matched = 0, first = 0;

  for (i = 0; i < n; i++) {
    g_autoptr (GError) local = NULL;
    g_autofree gchar *sub = pointer_append_index (spath, i);

    if (validate (ctx, doc, json_array_get_element (branches, i), sub, inst,
            ipath, &local)) {
      if (matched++ == 0)
        first = i;
      else if (one)
        return mismatch (error, ipath, doc, spath,
            "matches schemas %u and %u of oneOf; exactly one must match", first,
            i);
      if (!one)
        return TRUE;
      continue;
    }
    if (local->code != RT_SCHEMA_ERROR_MISMATCH) {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
    g_string_append_printf (why, "%s[%u] %s", i ? "; " : "", i, local->message);
  }
  if (matched == 1)
    return TRUE;
  return mismatch (error, ipath, doc, spath,
      "matches none of the %u schemas "
      "of %s: %s",
      n, keyword, why->str);
}

static gboolean
validate_object (Ctx *ctx, const Doc *doc, JsonObject *schema,
    const gchar *spath, const gchar *name, JsonNode *value, JsonObject *inst,
    const gchar *ipath, GError **error)
{
  g_autofree gchar *sub = pointer_append (spath, name);
  g_autoptr (GList) members = json_object_get_members (inst);
  guint size = json_object_get_size (inst);
  GList *l;

  if (g_str_equal (name, "required")) {
    JsonArray *a = json_node_get_array (value);
    guint i;

    for (i = 0; i < json_array_get_length (a); i++) {
      const gchar *member
          = json_node_get_string (json_array_get_element (a, i));

      if (!json_object_has_member (inst, member))
        return mismatch (error, ipath, doc, sub,
            "the required member \"%s\" is missing", member);
    }
  } else if (g_str_equal (name, "properties")) {
    JsonObject *props = json_node_get_object (value);

    for (l = members; l; l = l->next) {
      JsonNode *s = json_object_get_member (props, l->data);
      g_autofree gchar *ssub = NULL;
      g_autofree gchar *isub = NULL;

      if (!s)
        continue;
      ssub = pointer_append (sub, l->data);
      isub = pointer_append (ipath, l->data);
      if (!validate (ctx, doc, s, ssub, json_object_get_member (inst, l->data),
              isub, error))
        return FALSE;
    }
  } else if (g_str_equal (name, "additionalProperties")) {
    JsonNode *props = json_object_get_member (schema, "properties");

    for (l = members; l; l = l->next) {
      g_autofree gchar *isub = NULL;

      if (props && JSON_NODE_HOLDS_OBJECT (props)
          && json_object_has_member (json_node_get_object (props), l->data))
        continue;
      if (value_type (value) == G_TYPE_BOOLEAN
          && !json_node_get_boolean (value))
        return mismatch (error, ipath, doc, sub,
            "the member \"%s\" is not allowed", (const gchar *)l->data);
      isub = pointer_append (ipath, l->data);
      if (!validate (ctx, doc, value, sub,
              json_object_get_member (inst, l->data), isub, error))
        return FALSE;
    }
  } else if (g_str_equal (name, "propertyNames")) {
    for (l = members; l; l = l->next) {
      g_autoptr (JsonNode) key
          = json_node_init_string (json_node_alloc (), l->data);
      g_autofree gchar *isub = pointer_append (ipath, l->data);

      if (!validate (ctx, doc, value, sub, key, isub, error)) {
        g_prefix_error (error, "member name: ");
        return FALSE;
      }
    }
  } else if (g_str_equal (name, "minProperties")) {
    if (size < as_double (value))
      return mismatch (error, ipath, doc, sub,
          "%u members, fewer than %" G_GINT64_FORMAT, size,
          (gint64)as_double (value));
  } else if (g_str_equal (name, "maxProperties")) {
    if (size > as_double (value))
      return mismatch (error, ipath, doc, sub,
          "%u members, more than %" G_GINT64_FORMAT, size,
          (gint64)as_double (value));
  }
  return TRUE;
}

static gboolean
validate_array (Ctx *ctx, const Doc *doc, const gchar *spath, const gchar *name,
    JsonNode *value, JsonArray *inst, const gchar *ipath, GError **error)
{
  g_autofree gchar *sub = pointer_append (spath, name);
  guint i, n = json_array_get_length (inst);

  if (g_str_equal (name, "items")) {
    for (i = 0; i < n; i++) {
      g_autofree gchar *isub = pointer_append_index (ipath, i);

      if (!validate (ctx, doc, value, sub, json_array_get_element (inst, i),
              isub, error))
        return FALSE;
    }
  } else if (g_str_equal (name, "minItems")) {
    if (n < as_double (value))
      return mismatch (error, ipath, doc, sub,
          "%u items, fewer than %" G_GINT64_FORMAT, n,
          (gint64)as_double (value));
  } else if (g_str_equal (name, "maxItems")) {
    if (n > as_double (value))
      return mismatch (error, ipath, doc, sub,
          "%u items, more than %" G_GINT64_FORMAT, n,
          (gint64)as_double (value));
  }
  return TRUE;
}

static gboolean
validate_string (Ctx *ctx, const Doc *doc, const gchar *spath,
    const gchar *name, JsonNode *value, JsonNode *inst, const gchar *ipath,
    GError **error)
{
  g_autofree gchar *sub = pointer_append (spath, name);
  const gchar *str = json_node_get_string (inst);
  glong len = g_utf8_strlen (str, -1);

  if (g_str_equal (name, "minLength") && len < as_double (value)) {
    g_autofree gchar *q = quote (inst);

    return mismatch (error, ipath, doc, sub,
        "%s is %ld characters, fewer than %" G_GINT64_FORMAT, q, len,
        (gint64)as_double (value));
  }
  if (g_str_equal (name, "maxLength") && len > as_double (value)) {
    g_autofree gchar *q = quote (inst);

    return mismatch (error, ipath, doc, sub,
        "%s is %ld characters, more than %" G_GINT64_FORMAT, q, len,
        (gint64)as_double (value));
  }
  if (g_str_equal (name, "pattern")) {
    /* Compiled (and cached) by check_keyword. */
    GRegex *regex
        = g_hash_table_lookup (ctx->set->regexes, json_node_get_string (value));

    if (!g_regex_match (regex, str, 0, NULL)) {
      g_autofree gchar *q = quote (inst);

      return mismatch (error, ipath, doc, sub, "%s does not match %s", q,
          json_node_get_string (value));
    }
  }
  return TRUE;
}

/* One keyword, already checked by check_keyword. */
static gboolean
validate_keyword (Ctx *ctx, const Doc *doc, JsonObject *schema,
    const gchar *spath, const gchar *name, JsonNode *value, JsonNode *inst,
    const gchar *ipath, GError **error)
{
  g_autofree gchar *sub = pointer_append (spath, name);

  if (g_strv_contains (annotations, name))
    return TRUE;
  if (g_str_equal (name, "type")) {
    guint i, n;

    if (is_string (value)) {
      if (has_type (inst, json_node_get_string (value)))
        return TRUE;
    } else {
      n = json_array_get_length (json_node_get_array (value));
      for (i = 0; i < n; i++)
        if (has_type (inst,
                json_node_get_string (
                    json_array_get_element (json_node_get_array (value), i))))
          return TRUE;
    }
    {
      g_autofree gchar *want = json_to_string (value, FALSE);

      return mismatch (error, ipath, doc, sub, "%s where the type is %s",
          kind_of (inst), want);
    }
  }
  if (g_str_equal (name, "enum")) {
    JsonArray *a = json_node_get_array (value);
    guint i;

    for (i = 0; i < json_array_get_length (a); i++)
      if (json_node_equal (json_array_get_element (a, i), inst))
        return TRUE;
    {
      g_autofree gchar *q = quote (inst);

      return mismatch (error, ipath, doc, sub, "%s is not one of the enum", q);
    }
  }
  if (g_str_equal (name, "const")) {
    g_autofree gchar *q = NULL;
    g_autofree gchar *want = NULL;

    if (json_node_equal (value, inst))
      return TRUE;
    q = quote (inst);
    want = quote (value);
    return mismatch (error, ipath, doc, sub, "%s is not %s", q, want);
  }
  if (g_str_equal (name, "minimum") || g_str_equal (name, "maximum")) {
    gint c;
    g_autofree gchar *q = NULL;
    g_autofree gchar *bound = NULL;

    if (!is_number (inst))
      return TRUE;
    c = compare_numbers (inst, value);
    if (g_str_equal (name, "minimum") ? c >= 0 : c <= 0)
      return TRUE;
    q = quote (inst);
    bound = quote (value);
    return mismatch (error, ipath, doc, sub, "%s is %s the %s %s", q,
        c < 0 ? "below" : "above", name, bound);
  }
  if (g_str_equal (name, "allOf") || g_str_equal (name, "anyOf")
      || g_str_equal (name, "oneOf")) {
    JsonArray *a = json_node_get_array (value);
    guint i;

    if (!g_str_equal (name, "allOf"))
      return validate_alternatives (ctx, doc, a, sub, name,
          g_str_equal (name, "oneOf"), inst, ipath, error);
    for (i = 0; i < json_array_get_length (a); i++) {
      g_autofree gchar *item = pointer_append_index (sub, i);

      if (!validate (ctx, doc, json_array_get_element (a, i), item, inst, ipath,
              error))
        return FALSE;
    }
    return TRUE;
  }
  if (g_str_equal (name, "$ref")) {
    Doc to;
    g_autofree gchar *to_path = NULL;
    JsonNode *target = resolve (ctx, doc, sub, json_node_get_string (value),
        &to, &to_path, error);

    return target && validate (ctx, &to, target, to_path, inst, ipath, error);
  }
  if (JSON_NODE_HOLDS_OBJECT (inst))
    return validate_object (ctx, doc, schema, spath, name, value,
        json_node_get_object (inst), ipath, error);
  if (JSON_NODE_HOLDS_ARRAY (inst))
    return validate_array (ctx, doc, spath, name, value,
        json_node_get_array (inst), ipath, error);
  if (is_string (inst))
    return validate_string (ctx, doc, spath, name, value, inst, ipath, error);
  return TRUE;
}

static gboolean
validate (Ctx *ctx, const Doc *doc, JsonNode *schema, const gchar *spath,
    JsonNode *inst, const gchar *ipath, GError **error)
{
  g_autoptr (GList) members = NULL;
  JsonObject *o;
  GList *l;
  gboolean ok = TRUE;

  if (value_type (schema) == G_TYPE_BOOLEAN) {
    if (json_node_get_boolean (schema))
      return TRUE;
    return mismatch (error, ipath, doc, spath, "nothing is allowed here");
  }
  if (!JSON_NODE_HOLDS_OBJECT (schema))
    return schema_error (error, doc, spath,
        "a schema must be an object or a "
        "boolean");
  if (ctx->depth >= MAX_DEPTH)
    return schema_error (error, doc, spath,
        "validation nested deeper than %d (a $ref cycle?)", MAX_DEPTH);
  ctx->depth++;
  o = json_node_get_object (schema);
  members = json_object_get_members (o);
  for (l = members; ok && l; l = l->next) {
    const gchar *name = l->data;
    JsonNode *value = json_object_get_member (o, name);
    g_autofree gchar *sub = pointer_append (spath, name);

    ok = check_keyword (ctx, doc, sub, name, value, error)
        && validate_keyword (ctx, doc, o, spath, name, value, inst, ipath,
            error);
  }
  ctx->depth--;
  return ok;
}

/* --- the set ------------------------------------------------------------ */

/**
 * rt_schema_set_new:
 * @dir: (nullable): the directory of the schema files
 *
 * Returns: (transfer full): an empty set reading @dir on demand
 */
RtSchemaSet *
rt_schema_set_new (const gchar *dir)
{
  RtSchemaSet *set = g_new0 (RtSchemaSet, 1);

  g_mutex_init (&set->lock);
  set->dir = g_strdup (dir);
  set->docs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify)json_node_unref);
  set->regexes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify)g_regex_unref);
  return set;
}

/**
 * rt_schema_set_free:
 * @set: (nullable): a set
 *
 * Frees @set and every document it loaded.
 */
void
rt_schema_set_free (RtSchemaSet *set)
{
  if (!set)
    return;
  g_hash_table_unref (set->docs);
  g_hash_table_unref (set->regexes);
  g_free (set->dir);
  g_mutex_clear (&set->lock);
  g_free (set);
}

/**
 * rt_schema_set_get_default:
 *
 * Returns: (transfer none): the set of the repository's docs/schema
 */
RtSchemaSet *
rt_schema_set_get_default (void)
{
  static RtSchemaSet *set;

  if (g_once_init_enter (&set))
    g_once_init_leave (&set, rt_schema_set_new (RT_SCHEMA_DIR));
  return set;
}

/**
 * rt_schema_set_get_dir:
 * @set: a set
 *
 * Returns: (nullable): the directory @set reads
 */
const gchar *
rt_schema_set_get_dir (RtSchemaSet *set)
{
  return set->dir;
}

/**
 * rt_schema_set_add:
 * @set: a set
 * @name: the document's name, as a file name would be
 * @schema: the document's root (a reference is taken)
 *
 * Adds @schema as the document @name, replacing one of that name.
 */
void
rt_schema_set_add (RtSchemaSet *set, const gchar *name, JsonNode *schema)
{
  g_mutex_lock (&set->lock);
  g_hash_table_replace (set->docs, g_strdup (name), json_node_ref (schema));
  g_mutex_unlock (&set->lock);
}

/**
 * rt_schema_set_has:
 * @set: a set
 * @name: a document name
 *
 * Returns: %TRUE when the document @name is loaded or is a file of the
 *   set's directory
 */
gboolean
rt_schema_set_has (RtSchemaSet *set, const gchar *name)
{
  g_autofree gchar *path = NULL;
  gboolean found;

  g_mutex_lock (&set->lock);
  found = g_hash_table_contains (set->docs, name);
  g_mutex_unlock (&set->lock);
  if (found || !set->dir || strchr (name, '/') || name[0] == '.')
    return found;
  path = g_build_filename (set->dir, name, NULL);
  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

/* The document @name as a Doc whose name the set owns. */
static gboolean
get_doc (RtSchemaSet *set, const gchar *name, Doc *doc, GError **error)
{
  gpointer key, value;

  if (!load_doc (set, name, error))
    return FALSE;
  g_hash_table_lookup_extended (set->docs, name, &key, &value);
  doc->doc = key;
  doc->root = value;
  return TRUE;
}

/**
 * rt_schema_set_check:
 * @set: a set
 * @name: a document name
 * @error: return location for an %RT_SCHEMA_ERROR_SCHEMA or
 *   %RT_SCHEMA_ERROR_FILE error
 *
 * Checks every subschema of the document @name (see schema-check.h).
 *
 * Returns: %TRUE when this validator understands the whole document
 */
gboolean
rt_schema_set_check (RtSchemaSet *set, const gchar *name, GError **error)
{
  Ctx ctx = { set, 0, NULL };
  Doc doc;
  gboolean ok;

  g_mutex_lock (&set->lock);
  ctx.checked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ok = get_doc (set, name, &doc, error)
      && check_schema (&ctx, &doc, doc.root, "", error);
  g_hash_table_unref (ctx.checked);
  g_mutex_unlock (&set->lock);
  return ok;
}

/**
 * rt_schema_set_validate:
 * @set: a set
 * @name: the document to validate against ("pipeline_state.json")
 * @instance: the JSON to validate
 * @error: return location for an #RT_SCHEMA_ERROR error
 *
 * Returns: %TRUE when @instance matches; %FALSE with
 *   %RT_SCHEMA_ERROR_MISMATCH when it does not, or another code when the
 *   schema is missing, broken or uses an unsupported keyword
 */
gboolean
rt_schema_set_validate (RtSchemaSet *set, const gchar *name, JsonNode *instance,
    GError **error)
{
  Ctx ctx = { set, 0, NULL };
  Doc doc;
  gboolean ok;

  g_return_val_if_fail (instance != NULL, FALSE);

  g_mutex_lock (&set->lock);
  ok = get_doc (set, name, &doc, error)
      && validate (&ctx, &doc, doc.root, "", instance, "", error);
  g_mutex_unlock (&set->lock);
  return ok;
}

/**
 * rt_schema_validate:
 * @schema: a schema whose references stay within itself
 * @instance: the JSON to validate
 * @error: return location for an #RT_SCHEMA_ERROR error
 *
 * Returns: %TRUE when @instance matches @schema
 */
gboolean
rt_schema_validate (JsonNode *schema, JsonNode *instance, GError **error)
{
  g_autoptr (RtSchemaSet) set = rt_schema_set_new (NULL);

  rt_schema_set_add (set, "(inline)", schema);
  return rt_schema_set_validate (set, "(inline)", instance, error);
}

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * describe.c: the robot's catalog (see describe.h), built from the
 * pipeline definitions the router holds. Only trusted configuration goes
 * in; the request supplies nothing but its request_id.
 */
#include "describe.h"
#include "host-address.h"
#include "request.h"

#include <string.h>

/* Sink factories by the kind of output they make. */
static const struct
{
  const gchar *factory;
  const gchar *kind;
} sinks[] = {
  { "filesink", GATEWAY_OUTPUT_FILE },
  { "splitmuxsink", GATEWAY_OUTPUT_FILE },
  { "multifilesink", GATEWAY_OUTPUT_FILE },
  { "udpsink", GATEWAY_OUTPUT_RTP },
  { "multiudpsink", GATEWAY_OUTPUT_RTP },
  { "rtpsink", GATEWAY_OUTPUT_RTP },
  { "srtsink", GATEWAY_OUTPUT_SRT },
  { "srtclientsink", GATEWAY_OUTPUT_SRT },
  { "srtserversink", GATEWAY_OUTPUT_SRT },
  { "rtspclientsink", GATEWAY_OUTPUT_RTSP },
  { "webrtcbin", GATEWAY_OUTPUT_WEBRTC },
  { "webrtcsink", GATEWAY_OUTPUT_WEBRTC },
  { "whipsink", GATEWAY_OUTPUT_WEBRTC },
  { "whipclientsink", GATEWAY_OUTPUT_WEBRTC },
};

static const gchar *
kind_of_factory (const gchar *token, gsize len)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (sinks); i++)
    if (strlen (sinks[i].factory) == len
        && strncmp (sinks[i].factory, token, len) == 0)
      return sinks[i].kind;
  return NULL;
}

static void
add_kind (GPtrArray *kinds, const gchar *kind)
{
  guint i;

  for (i = 0; i < kinds->len; i++)
    if (g_ptr_array_index (kinds, i) == kind)
      return;
  g_ptr_array_add (kinds, (gpointer)kind);
}

/**
 * gateway_describe_outputs:
 * @def: a pipeline definition
 *
 * Finds the sinks that @def's description names: its words, in
 * gst-launch syntax (separated by blanks, "!" and brackets, quoted text
 * skipped), compared with the sink factories of each kind of output; and
 * WebRTC last for a definition with output=webrtc.
 *
 * Returns: (transfer container): the kinds (static strings, see
 *   describe.h), NULL-terminated, possibly empty
 */
const gchar **
gateway_describe_outputs (const PipelineDef *def)
{
  GPtrArray *kinds = g_ptr_array_new ();
  const gchar *p = def->description ? def->description : "";
  const gchar *start = NULL;
  gboolean quoted = FALSE;

  for (;; p++) {
    gboolean separator = *p == '\0' || g_ascii_isspace (*p) || *p == '!'
        || *p == '(' || *p == ')';

    if (*p == '"' && (start == NULL || p[-1] != '\\'))
      quoted = !quoted;
    if (!quoted && separator) {
      if (start) {
        const gchar *kind = kind_of_factory (start, p - start);
        if (kind)
          add_kind (kinds, kind);
      }
      start = NULL;
    } else if (!start) {
      start = p;
    }
    if (*p == '\0')
      break;
  }
  /* output=webrtc: the gateway adds the sending part itself. */
  if (def->webrtc)
    add_kind (kinds, GATEWAY_OUTPUT_WEBRTC);
  g_ptr_array_add (kinds, NULL);
  return (const gchar **)g_ptr_array_free (kinds, FALSE);
}

/* @param's default, as its JSON value (the same conversion as replies). */
static JsonNode *
default_to_json (const GatewayParam *param)
{
  g_autoptr (GHashTable) one = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (JsonNode) object = NULL;

  g_hash_table_insert (one, param->name, (gpointer)&param->default_value);
  object = gateway_params_values_to_json (one);
  return json_object_dup_member (json_node_get_object (object), param->name);
}

/* min/max of a numeric param: JSON null where the definition gave no
 * bound (the type's own limit, which JSON numbers cannot all carry). */
static void
add_bounds (JsonBuilder *b, const GatewayParam *param)
{
  gboolean dbl = param->type == GATEWAY_PARAM_DOUBLE;

  json_builder_set_member_name (b, "min");
  if (dbl && param->min_double != -G_MAXDOUBLE)
    json_builder_add_double_value (b, param->min_double);
  else if (!dbl && param->min_int != G_MININT64)
    json_builder_add_int_value (b, param->min_int);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "max");
  if (dbl && param->max_double != G_MAXDOUBLE)
    json_builder_add_double_value (b, param->max_double);
  else if (!dbl && param->max_int != G_MAXINT64)
    json_builder_add_int_value (b, param->max_int);
  else
    json_builder_add_null_value (b);
}

/* A string member, JSON null when @value is NULL. */
static void
add_nullable (JsonBuilder *b, const gchar *name, const gchar *value)
{
  json_builder_set_member_name (b, name);
  if (value)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

/* The declared pattern as written in the definition: the compiled one is
 * wrapped as \A(?:...)\z (params.c). */
static gchar *
dup_pattern (const GatewayParam *param)
{
  const gchar *full = g_regex_get_pattern (param->pattern);
  gsize len = strlen (full);

  if (g_str_has_prefix (full, "\\A(?:") && g_str_has_suffix (full, ")\\z")
      && len >= 8)
    return g_strndup (full + 5, len - 8);
  return g_strdup (full);
}

static void
add_param (JsonBuilder *b, const GatewayParam *param)
{
  g_autofree gchar *pattern = NULL;
  guint i;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, param->name);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, gateway_param_type_to_string (param->type));
  add_nullable (b, "description", param->description);
  switch (param->type) {
    case GATEWAY_PARAM_INT:
    case GATEWAY_PARAM_UINT:
    case GATEWAY_PARAM_DOUBLE:
      add_bounds (b, param);
      break;
    case GATEWAY_PARAM_ENUM:
      json_builder_set_member_name (b, "values");
      json_builder_begin_array (b);
      for (i = 0; param->choices && param->choices[i]; i++)
        json_builder_add_string_value (b, param->choices[i]);
      json_builder_end_array (b);
      break;
    case GATEWAY_PARAM_STRING:
      json_builder_set_member_name (b, "max_length");
      json_builder_add_int_value (b, param->max_length);
      pattern = param->pattern ? dup_pattern (param) : NULL;
      add_nullable (b, "pattern", pattern);
      break;
    case GATEWAY_PARAM_HOST:
      json_builder_set_member_name (b, "max_length");
      json_builder_add_int_value (b, GATEWAY_HOST_MAX_LENGTH);
      break;
    case GATEWAY_PARAM_BOOLEAN:
      break;
  }
  json_builder_set_member_name (b, "default");
  if (param->has_default)
    json_builder_add_value (b, default_to_json (param));
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
}

/**
 * gateway_describe_pipeline:
 * @def: a pipeline definition
 *
 * Returns: (transfer full): @def's catalog entry: name, summary (or
 *   null), outputs, control ("watch" for an output=webrtc definition,
 *   which viewers watch; "start" for every other, driven by start, stop
 *   and renew), lease {default_ttl (null: none), max_ttl (the
 *   definition's, else the contract's limit)} and params in file order
 */
JsonNode *
gateway_describe_pipeline (const PipelineDef *def)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autofree const gchar **outputs = gateway_describe_outputs (def);
  guint i;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, def->name);
  add_nullable (b, "summary", def->summary);
  json_builder_set_member_name (b, "outputs");
  json_builder_begin_array (b);
  for (i = 0; outputs[i]; i++)
    json_builder_add_string_value (b, outputs[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "control");
  json_builder_add_string_value (b, def->webrtc ? "watch" : "start");

  json_builder_set_member_name (b, "lease");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "default_ttl");
  if (def->default_ttl_s > 0)
    json_builder_add_int_value (b, def->default_ttl_s);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "max_ttl");
  json_builder_add_int_value (b,
      def->max_ttl_s > 0 ? MIN (def->max_ttl_s, GATEWAY_TTL_MAX_S)
                         : GATEWAY_TTL_MAX_S);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "params");
  json_builder_begin_array (b);
  for (i = 0; def->params && i < def->params->len; i++)
    add_param (b, g_ptr_array_index (def->params, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/**
 * gateway_catalog_new:
 * @id: (nullable): the robot's id (the presence key)
 * @request_id: (nullable): the describe request answered
 * @defs: (element-type PipelineDef): the pipelines, in the order given
 *
 * Returns: (transfer full): the "catalog" payload: id, version (this
 *   build's), request_id and pipelines (gateway_describe_pipeline())
 */
JsonNode *
gateway_catalog_new (const gchar *id, const gchar *request_id, GPtrArray *defs)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  guint i;

  json_builder_begin_object (b);
  add_nullable (b, "id", id);
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  add_nullable (b, "request_id", request_id);
  json_builder_set_member_name (b, "pipelines");
  json_builder_begin_array (b);
  for (i = 0; i < defs->len; i++)
    json_builder_add_value (b,
        gateway_describe_pipeline (g_ptr_array_index (defs, i)));
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

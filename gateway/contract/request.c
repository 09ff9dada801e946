/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * request.c: the event contract on the channel (see request.h).
 *
 * Payloads come from anyone who can broadcast on the channel. Each member
 * is looked up by name and checked for its exact JSON type and bounds; the
 * payload is never walked, so its depth costs nothing here. request_id is
 * read first, so that even a rejection can carry it back to the sender.
 */
#include "request.h"
#include "untrusted.h"

#include <string.h>

#include "pipeline-def.h"

/* Longest escaped piece of network input an error message may quote. */

/**
 * gateway_request_kind_to_string:
 * @kind: a request kind
 *
 * Returns: the default event name of @kind: "start", "stop", "renew" or
 *   "status"
 */
const gchar *
gateway_request_kind_to_string (GatewayRequestKind kind)
{
  switch (kind) {
    case GATEWAY_REQUEST_START:
      return "start";
    case GATEWAY_REQUEST_STOP:
      return "stop";
    case GATEWAY_REQUEST_RENEW:
      return "renew";
    case GATEWAY_REQUEST_STATUS:
      return "status";
    case GATEWAY_REQUEST_DESCRIBE:
      return "describe";
  }
  return "unknown";
}

/* The member @name, or NULL when absent or JSON null: optional members
 * may be sent as null by clients that serialise every field. */
static JsonNode *
member (JsonObject *object, const gchar *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node && !JSON_NODE_HOLDS_NULL (node) ? node : NULL;
}

/* What gateway_request_id_is_valid() accepts, for error messages. */
#define REQUEST_ID_RULE                                                        \
  "1 to " G_STRINGIFY (GATEWAY_REQUEST_ID_MAX) " printable ASCII characters"

/**
 * gateway_request_id_is_valid:
 * @id: a request_id read from a payload
 *
 * Returns: %TRUE when @id is 1 to %GATEWAY_REQUEST_ID_MAX printable ASCII
 *   characters, the only request_id an answer ever carries back
 */
gboolean
gateway_request_id_is_valid (const gchar *id)
{
  gsize i;

  g_return_val_if_fail (id != NULL, FALSE);

  for (i = 0; id[i]; i++) {
    if (i >= GATEWAY_REQUEST_ID_MAX || (guchar)id[i] < 0x20
        || (guchar)id[i] > 0x7e)
      return FALSE;
  }
  return i > 0;
}

/* The string member @name, checked by @is_valid, whose @rule says what a
 * valid value is: %TRUE with *@out a copy (%NULL when absent), else
 * %FALSE with @error set. */
static gboolean
parse_string_member (JsonObject *object, const gchar *name,
    gboolean (*is_valid) (const gchar *), const gchar *rule, gchar **out,
    GError **error)
{
  JsonNode *node = member (object, name);
  const gchar *value;

  if (!node)
    return TRUE;
  if (!gateway_json_holds (node, G_TYPE_STRING)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_BAD_TYPE,
        "\"%s\" must be a string, got %s", name, gateway_json_kind (node));
    return FALSE;
  }
  value = json_node_get_string (node);
  if (!is_valid (value)) {
    g_autofree gchar *quoted = gateway_quote_untrusted (value);

    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PATTERN,
        "\"%s\" must be %s, got %s", name, rule, quoted);
    return FALSE;
  }
  *out = g_strdup (value);
  return TRUE;
}

static gboolean
parse_request_id (JsonObject *object, GatewayRequest *request, GError **error)
{
  return parse_string_member (object, "request_id", gateway_request_id_is_valid,
      REQUEST_ID_RULE, &request->request_id, error);
}

static gboolean
parse_pipeline (JsonObject *object, GatewayRequest *request, GError **error)
{
  if (!parse_string_member (object, "pipeline", pipeline_def_name_is_valid,
          "1 to 64 of A-Z a-z 0-9 _ -", &request->pipeline, error))
    return FALSE;
  if (!request->pipeline && request->kind != GATEWAY_REQUEST_STATUS
      && request->kind != GATEWAY_REQUEST_DESCRIBE) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "missing \"pipeline\"");
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_ttl (JsonObject *object, GatewayRequest *request, GError **error)
{
  JsonNode *node = member (object, "ttl");
  gint64 ttl;

  request->ttl_s = -1;
  if (request->kind != GATEWAY_REQUEST_START
      && request->kind != GATEWAY_REQUEST_RENEW)
    return TRUE;
  if (!node) {
    if (request->kind != GATEWAY_REQUEST_RENEW)
      return TRUE;
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "missing \"ttl\": a renew needs the new lease in seconds");
    return FALSE;
  }
  if (!gateway_json_holds (node, G_TYPE_INT64)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_BAD_TYPE,
        "\"ttl\" must be an integer number of seconds, got %s",
        gateway_json_kind (node));
    return FALSE;
  }
  ttl = json_node_get_int (node);
  if (ttl < 1 || ttl > GATEWAY_TTL_MAX_S) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_OUT_OF_BOUNDS,
        "\"ttl\" %" G_GINT64_FORMAT " is out of range 1..%d", ttl,
        GATEWAY_TTL_MAX_S);
    return FALSE;
  }
  request->ttl_s = ttl;
  return TRUE;
}

/* A fresh node of @src's type: values copied, containers empty. */
static JsonNode *
copy_shell (JsonNode *src)
{
  JsonNode *dst;

  switch (JSON_NODE_TYPE (src)) {
    case JSON_NODE_OBJECT:
      dst = json_node_new (JSON_NODE_OBJECT);
      json_node_take_object (dst, json_object_new ());
      return dst;
    case JSON_NODE_ARRAY:
      dst = json_node_new (JSON_NODE_ARRAY);
      json_node_take_array (dst, json_array_new ());
      return dst;
    case JSON_NODE_NULL:
      return json_node_new (JSON_NODE_NULL);
    case JSON_NODE_VALUE:
      break;
  }
  dst = json_node_alloc ();
  switch (json_node_get_value_type (src)) {
    case G_TYPE_INT64:
      return json_node_init_int (dst, json_node_get_int (src));
    case G_TYPE_DOUBLE:
      return json_node_init_double (dst, json_node_get_double (src));
    case G_TYPE_BOOLEAN:
      return json_node_init_boolean (dst, json_node_get_boolean (src));
    case G_TYPE_STRING:
      return json_node_init_string (dst, json_node_get_string (src));
    default:
      return json_node_init_null (dst);
  }
}

/* A deep copy of @src. json_node_copy() shares containers (and values),
 * so a caller changing its payload afterwards would change ours; and the
 * copy walks with a queue, not recursion, whatever the depth. */
static JsonNode *
deep_copy (JsonNode *src)
{
  JsonNode *root = copy_shell (src);
  GQueue work = G_QUEUE_INIT;

  g_queue_push_tail (&work, src);
  g_queue_push_tail (&work, root);
  while (!g_queue_is_empty (&work)) {
    JsonNode *from = g_queue_pop_head (&work);
    JsonNode *to = g_queue_pop_head (&work);

    if (JSON_NODE_HOLDS_OBJECT (from)) {
      JsonObject *object = json_node_get_object (from);
      g_autoptr (GList) names = json_object_get_members (object);
      GList *l;

      for (l = names; l; l = l->next) {
        JsonNode *child = json_object_get_member (object, l->data);
        JsonNode *copy = copy_shell (child);

        json_object_set_member (json_node_get_object (to), l->data, copy);
        g_queue_push_tail (&work, child);
        g_queue_push_tail (&work, copy);
      }
    } else if (JSON_NODE_HOLDS_ARRAY (from)) {
      JsonArray *array = json_node_get_array (from);
      guint i, n = json_array_get_length (array);

      for (i = 0; i < n; i++) {
        JsonNode *child = json_array_get_element (array, i);
        JsonNode *copy = copy_shell (child);

        json_array_add_element (json_node_get_array (to), copy);
        g_queue_push_tail (&work, child);
        g_queue_push_tail (&work, copy);
      }
    }
  }
  return root;
}

static gboolean
parse_params (JsonObject *object, GatewayRequest *request, GError **error)
{
  JsonNode *node = member (object, "params");
  guint n;

  if (request->kind != GATEWAY_REQUEST_START || !node)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_BAD_TYPE,
        "\"params\" must be an object, got %s", gateway_json_kind (node));
    return FALSE;
  }
  n = json_object_get_size (json_node_get_object (node));
  if (n > GATEWAY_PARAMS_MAX) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_OUT_OF_BOUNDS,
        "\"params\" has %u members, more than %d", n, GATEWAY_PARAMS_MAX);
    return FALSE;
  }
  /* A copy: the request outlives the frame it came in. */
  request->params = deep_copy (node);
  return TRUE;
}

/**
 * gateway_request_parse:
 * @kind: which event the payload came with
 * @payload: the broadcast's payload
 * @request_id_out: (out) (optional) (nullable): on error, the request_id
 *   when it could be read (%NULL otherwise, and on success)
 * @error: return location for a #GATEWAY_ERROR error
 *
 * Checks the payload's shape and bounds (see request.h) without touching
 * anything else: which pipelines exist and which params they take are the
 * router's business.
 *
 * Returns: (transfer full) (nullable): the request, or %NULL on error
 */
GatewayRequest *
gateway_request_parse (GatewayRequestKind kind, JsonNode *payload,
    gchar **request_id_out, GError **error)
{
  g_autoptr (GatewayRequest) request = g_new0 (GatewayRequest, 1);
  JsonObject *object;

  if (request_id_out)
    *request_id_out = NULL;
  request->kind = kind;
  request->ttl_s = -1;

  if (!payload || !JSON_NODE_HOLDS_OBJECT (payload)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "the payload of %s must be a JSON object, got %s",
        gateway_request_kind_to_string (kind),
        payload ? gateway_json_kind (payload) : "nothing");
    return NULL;
  }
  object = json_node_get_object (payload);

  if (!parse_request_id (object, request, error))
    return NULL;
  if (!parse_pipeline (object, request, error)
      || !parse_ttl (object, request, error)
      || !parse_params (object, request, error)) {
    if (request_id_out)
      *request_id_out = g_steal_pointer (&request->request_id);
    return NULL;
  }
  return g_steal_pointer (&request);
}

/**
 * gateway_request_free:
 * @request: (nullable): a request
 *
 * Frees @request and everything it holds.
 */
void
gateway_request_free (GatewayRequest *request)
{
  if (!request)
    return;
  g_free (request->pipeline);
  g_free (request->request_id);
  g_clear_pointer (&request->params, json_node_unref);
  g_free (request);
}

/**
 * gateway_json_add_string_or_null:
 * @builder: a builder inside an object
 * @name: the member's name
 * @value: (nullable): its value; %NULL adds JSON null
 *
 * Adds a string member, or null: every payload the gateway sends writes
 * its optional members this way (answers here, WebRTC messages too).
 */
void
gateway_json_add_string_or_null (JsonBuilder *builder, const gchar *name,
    const gchar *value)
{
  json_builder_set_member_name (builder, name);
  if (value)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/**
 * gateway_state_payload_new:
 * @pipeline: (nullable): the pipeline's name (JSON null when the request
 *   named none that could be read)
 * @state: "starting", "playing", "stopping", "stopped" or "failed"
 * @request_ids: (nullable) (array zero-terminated=1): the requests this
 *   message answers, in order; %NULL or empty when it answers none
 * @error: (nullable): the reason, for failed (and unrequested stops)
 * @params: (nullable) (transfer none): the params in effect, a JSON object
 *
 * One message may answer several requests when answers were coalesced
 * under the outbound budget (answer-queue.h).
 *
 * Returns: (transfer full): the "pipeline_state" payload with exactly the
 *   members pipeline, state, request_id (the last of @request_ids, or
 *   null), request_ids (an array, maybe empty), error and params
 */
JsonNode *
gateway_state_payload_new (const gchar *pipeline, const gchar *state,
    const gchar *const *request_ids, const gchar *error, JsonNode *params)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  const gchar *last = NULL;
  guint i;

  g_return_val_if_fail (state != NULL, NULL);

  json_builder_begin_object (builder);
  gateway_json_add_string_or_null (builder, "pipeline", pipeline);
  gateway_json_add_string_or_null (builder, "state", state);
  for (i = 0; request_ids && request_ids[i]; i++)
    last = request_ids[i];
  gateway_json_add_string_or_null (builder, "request_id", last);
  json_builder_set_member_name (builder, "request_ids");
  json_builder_begin_array (builder);
  for (i = 0; request_ids && request_ids[i]; i++)
    json_builder_add_string_value (builder, request_ids[i]);
  json_builder_end_array (builder);
  gateway_json_add_string_or_null (builder, "error", error);
  json_builder_set_member_name (builder, "params");
  if (params && JSON_NODE_HOLDS_OBJECT (params)) {
    json_builder_add_value (builder, deep_copy (params));
  } else {
    json_builder_begin_object (builder);
    json_builder_end_object (builder);
  }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

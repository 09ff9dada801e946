/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fuzz-request.c: libFuzzer target for what the daemon does with a
 * broadcast payload from the channel: gateway_request_parse() for each
 * kind, then gateway_params_validate_request() against a fixed set of
 * declared params, then the pipeline_state reply built from the result.
 *
 * Input: byte 0 selects the kind (0 start, 1 stop, 2 renew, 3 status,
 * 4 describe; other values modulo GATEWAY_REQUEST_N_KINDS below), the
 * rest is the payload as JSON text. It reaches
 * the request code the way the daemon gets it: as the JSON payload of a
 * binary kind 4 user broadcast, decoded by the frame codec (so its depth
 * and UTF-8 checks apply, as they do on the network).
 *
 * Properties checked besides "no crash, no leak, no UB":
 *   - a rejection is a GATEWAY_ERROR with a short message; a request_id
 *     handed back with it is valid;
 *   - an accepted request holds what request.h promises (valid pipeline
 *     name, ttl in range, request_id printable, params an object);
 *   - validated params obey their declaration, survive values_copy /
 *     values_equal, and the JSON they are echoed as validates again to
 *     equal values;
 *   - every pipeline_state reply (for success and for the rejection)
 *     encodes to a frame that decodes again to the same message;
 *   - a payload the codec refuses with a reason (NUL, lone surrogate,
 *     number out of range, too deep, too many members) still yields the
 *     refused broadcast the router answers: its topic and event read back
 *     exactly, its request_id and pipeline plain or absent.
 */
#include "fuzz-common.h"

#include "host-address.h"
#include "params.h"
#include "pipeline-def.h"
#include "realtime-codec.h"
#include "request.h"

/* Declared params of the fuzzed pipeline: every type, with bounds,
 * choices, a pattern, prefix and suffix. */
static const gchar DECLS[] = "[param:bitrate]\n"
                             "element=enc\n"
                             "property=bitrate\n"
                             "type=uint\n"
                             "min=100\n"
                             "max=8000\n"
                             "default=2500\n"
                             "[param:pattern]\n"
                             "element=src\n"
                             "property=pattern\n"
                             "type=enum\n"
                             "values=smpte;ball;snow\n"
                             "[param:name]\n"
                             "element=sink\n"
                             "property=location\n"
                             "type=string\n"
                             "pattern=[a-z0-9_]+\n"
                             "max-length=64\n"
                             "prefix=/var/lib/realtime-gateway/recordings/\n"
                             "suffix=.mp4\n"
                             "[param:label]\n"
                             "element=overlay\n"
                             "property=text\n"
                             "type=string\n"
                             "max-length=128\n"
                             "[param:gain]\n"
                             "element=vol\n"
                             "property=volume\n"
                             "type=double\n"
                             "min=-1.5\n"
                             "max=1000000\n"
                             "[param:flag]\n"
                             "element=src\n"
                             "property=is-live\n"
                             "type=boolean\n"
                             "[param:offset]\n"
                             "element=src\n"
                             "property=timestamp-offset\n"
                             "type=int\n"
                             "min=-1000000\n"
                             "max=1000000\n";

static GPtrArray *decls;

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_auto (GStrv) groups = NULL;
  GError *error = NULL;
  guint i;

  fuzz_init_logging ();
  if (!g_key_file_load_from_data (kf, DECLS, -1, G_KEY_FILE_NONE, &error))
    g_error ("declarations: %s", error->message);
  decls = g_ptr_array_new_with_free_func ((GDestroyNotify)gateway_param_free);
  groups = g_key_file_get_groups (kf, NULL);
  for (i = 0; groups[i]; i++) {
    GatewayParam *param
        = gateway_param_new_from_key_file (kf, groups[i], &error);

    if (!param)
      g_error ("declaration %s: %s", groups[i], error->message);
    g_ptr_array_add (decls, param);
  }
  return 0;
}

static gboolean
request_id_ok (const gchar *id)
{
  gsize i;

  for (i = 0; id[i]; i++)
    if (i >= GATEWAY_REQUEST_ID_MAX || (guchar)id[i] < 0x20
        || (guchar)id[i] > 0x7e)
      return FALSE;
  return i > 0;
}

static gboolean
message_equal (const RealtimeMessage *a, const RealtimeMessage *b)
{
  return g_strcmp0 (a->join_ref, b->join_ref) == 0
      && g_strcmp0 (a->ref, b->ref) == 0 && g_strcmp0 (a->topic, b->topic) == 0
      && g_strcmp0 (a->event, b->event) == 0
      && json_node_equal (a->payload, b->payload);
}

/* The reply goes out as a text frame in both versions: it must decode. */
static void
check_reply (JsonNode *payload)
{
  g_autoptr (RealtimeMessage) msg
      = realtime_message_new ("1", "7", "realtime:robot", "broadcast", NULL);
  JsonObject *wrapper = json_object_new ();
  guint v;

  json_object_set_string_member (wrapper, "type", "broadcast");
  json_object_set_string_member (wrapper, "event", "pipeline_state");
  json_object_set_member (wrapper, "payload", json_node_ref (payload));
  json_node_unref (msg->payload);
  msg->payload = json_node_init_object (json_node_alloc (), wrapper);
  json_object_unref (wrapper);

  for (v = 0; v < 2; v++) {
    RealtimeVsn vsn = v ? REALTIME_VSN_2_0_0 : REALTIME_VSN_1_0_0;
    g_autofree gchar *text = realtime_codec_encode (vsn, msg);
    g_autoptr (GError) error = NULL;
    g_autoptr (RealtimeMessage) again
        = realtime_codec_decode_text (vsn, text, strlen (text), &error);

    FUZZ_ASSERT (again != NULL, "pipeline_state reply does not decode: %s\n%s",
        error ? error->message : "?", text);
    FUZZ_ASSERT (message_equal (msg, again),
        "pipeline_state reply changed on the wire: %s", text);
  }
}

static const GatewayParam *
find_decl (const gchar *name)
{
  guint i;

  for (i = 0; i < decls->len; i++) {
    const GatewayParam *p = g_ptr_array_index (decls, i);

    if (g_strcmp0 (p->name, name) == 0)
      return p;
  }
  return NULL;
}

/* Each validated value obeys its declaration. */
static void
check_values (GHashTable *values)
{
  GHashTableIter iter;
  gpointer key, val;

  g_hash_table_iter_init (&iter, values);
  while (g_hash_table_iter_next (&iter, &key, &val)) {
    const GatewayParam *p = find_decl (key);
    const GValue *v = val;

    FUZZ_ASSERT (p != NULL, "undeclared param %s accepted", (gchar *)key);
    FUZZ_ASSERT (G_VALUE_HOLDS (v, gateway_param_value_type (p)),
        "param %s holds a %s", p->name, G_VALUE_TYPE_NAME (v));
    switch (p->type) {
      case GATEWAY_PARAM_INT:
        FUZZ_ASSERT (g_value_get_int64 (v) >= p->min_int
                && g_value_get_int64 (v) <= p->max_int,
            "%s out of bounds", p->name);
        break;
      case GATEWAY_PARAM_UINT:
        FUZZ_ASSERT (g_value_get_uint64 (v) >= (guint64)p->min_int
                && g_value_get_uint64 (v) <= (guint64)p->max_int,
            "%s out of bounds", p->name);
        break;
      case GATEWAY_PARAM_DOUBLE:
        FUZZ_ASSERT (g_value_get_double (v) >= p->min_double
                && g_value_get_double (v) <= p->max_double,
            "%s out of bounds", p->name);
        break;
      case GATEWAY_PARAM_BOOLEAN:
        break;
      case GATEWAY_PARAM_ENUM:
        FUZZ_ASSERT (g_strv_contains ((const gchar *const *)p->choices,
                         g_value_get_string (v)),
            "%s: not a choice", p->name);
        break;
      case GATEWAY_PARAM_STRING: {
        const gchar *s = g_value_get_string (v);
        const gchar *c;

        FUZZ_ASSERT (strlen (s) <= p->max_length, "%s too long", p->name);
        FUZZ_ASSERT (g_utf8_validate (s, -1, NULL), "%s not UTF-8", p->name);
        for (c = s; *c; c = g_utf8_next_char (c)) {
          gunichar u = g_utf8_get_char (c);

          FUZZ_ASSERT (u >= 0x20 && !(u >= 0x7f && u <= 0x9f),
              "%s holds control character U+%04X", p->name, u);
        }
        if (p->pattern) {
          FUZZ_ASSERT (strstr (s, "..") == NULL && strchr (s, '/') == NULL,
              "%s: a path piece passed the pattern: %s", p->name, s);
        }
        break;
      }
      case GATEWAY_PARAM_HOST:
        FUZZ_ASSERT (gateway_host_address_check (g_value_get_string (v), NULL),
            "%s: not a host", p->name);
        break;
    }
  }
}

static void
check_params (GatewayRequest *request)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) values = NULL;
  g_autoptr (GHashTable) copy = NULL;
  g_autoptr (GHashTable) again = NULL;
  g_autoptr (JsonNode) echoed = NULL;
  g_autoptr (JsonNode) reply = NULL;

  values = gateway_params_validate_request (decls, request->params, &error);
  if (!values) {
    FUZZ_ASSERT (error && error->domain == GATEWAY_ERROR,
        "params rejected without a GATEWAY_ERROR");
    FUZZ_ASSERT (strlen (error->message) < 512, "%zu-byte error message",
        strlen (error->message));
    reply = gateway_state_payload_new (request->pipeline, "failed",
        (const gchar *[]){ request->request_id, NULL }, error->message, NULL);
    check_reply (reply);
    return;
  }
  check_values (values);
  copy = gateway_params_values_copy (values);
  FUZZ_ASSERT (gateway_params_values_equal (values, copy),
      "values differ from their copy");

  /* What the reply echoes is itself a valid request. */
  echoed = gateway_params_values_to_json (values);
  again = gateway_params_validate_request (decls, echoed, &error);
  if (!again) {
    g_autofree gchar *text = json_to_string (echoed, FALSE);
    FUZZ_ASSERT (FALSE, "echoed params do not validate: %s\n%s", error->message,
        text);
  }
  FUZZ_ASSERT (gateway_params_values_equal (values, again),
      "echoed params validate to other values");

  reply = gateway_state_payload_new (request->pipeline, "starting",
      (const gchar *[]){ request->request_id, NULL }, NULL, echoed);
  check_reply (reply);
}

/* Every kind of request.h: start, stop, renew, status, describe. */
#define GATEWAY_REQUEST_N_KINDS (GATEWAY_REQUEST_DESCRIBE + 1)

/* A plain string as realtime_codec_peek_refused() promises: printable
 * ASCII, short. */
static gboolean
plain_ok (const gchar *s)
{
  const gchar *p;

  if (strlen (s) > REALTIME_CODEC_PEEK_STRING_MAX)
    return FALSE;
  for (p = s; *p; p++)
    if (*p < 0x20 || *p > 0x7e)
      return FALSE;
  return TRUE;
}

/* A frame the codec refused: when it says why (a guard, not a syntax
 * error), the envelope of this kind 4 broadcast, which is well formed by
 * construction, reads back whatever the payload holds. */
static void
check_refused (GByteArray *frame, const gchar *topic, const gchar *event,
    const GError *error)
{
  const gchar *reason = realtime_codec_error_reason (error);
  g_autoptr (RealtimeRefusedBroadcast) refused = NULL;

  FUZZ_ASSERT (error != NULL, "frame refused without an error");
  if (!reason)
    return;
  refused = realtime_codec_peek_refused (REALTIME_VSN_2_0_0, TRUE, frame->data,
      frame->len, reason);
  FUZZ_ASSERT (refused != NULL, "refused (%s) but its envelope unread", reason);
  FUZZ_ASSERT (g_strcmp0 (refused->topic, topic) == 0, "topic read as %s",
      refused->topic);
  FUZZ_ASSERT (g_strcmp0 (refused->event, event) == 0, "event read as %s",
      refused->event);
  FUZZ_ASSERT (g_strcmp0 (refused->reason, reason) == 0, "reason changed");
  FUZZ_ASSERT (!refused->request_id || plain_ok (refused->request_id),
      "request_id read from a refused frame is not plain");
  FUZZ_ASSERT (!refused->pipeline || plain_ok (refused->pipeline),
      "pipeline read from a refused frame is not plain");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const gchar topic[] = "realtime:robot";
  GatewayRequestKind kind;
  const gchar *event;
  g_autoptr (GByteArray) frame = NULL;
  g_autoptr (RealtimeMessage) msg = NULL;
  g_autoptr (GatewayRequest) request = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *request_id = NULL;
  JsonNode *payload;
  guint8 header[5];

  if (size < 1)
    return 0;
  kind = (GatewayRequestKind)(data[0] % GATEWAY_REQUEST_N_KINDS);
  data++;
  size--;
  event = gateway_request_kind_to_string (kind);

  /* As a kind 4 frame: 4, topic len, event len, meta len, encoding. */
  header[0] = 4;
  header[1] = sizeof topic - 1;
  header[2] = strlen (event);
  header[3] = 0;
  header[4] = 1;
  frame = g_byte_array_sized_new (sizeof header + 32 + size);
  g_byte_array_append (frame, header, sizeof header);
  g_byte_array_append (frame, (const guint8 *)topic, sizeof topic - 1);
  g_byte_array_append (frame, (const guint8 *)event, strlen (event));
  g_byte_array_append (frame, data, size);
  msg = realtime_codec_decode_binary (frame->data, frame->len, &error);
  if (!msg) {
    /* The codec's business (fuzz-codec), except that a refusal with a
     * reason must still reach the router as an answerable request. */
    check_refused (frame, topic, event, error);
    return 0;
  }
  payload
      = json_object_get_member (json_node_get_object (msg->payload), "payload");
  FUZZ_ASSERT (payload != NULL, "decoded broadcast without a payload");

  request = gateway_request_parse (kind, payload, &request_id, &error);
  if (!request) {
    g_autoptr (JsonNode) reply = NULL;

    FUZZ_ASSERT (error && error->domain == GATEWAY_ERROR,
        "request rejected without a GATEWAY_ERROR");
    FUZZ_ASSERT (strlen (error->message) < 512, "%zu-byte error message",
        strlen (error->message));
    FUZZ_ASSERT (!request_id || request_id_ok (request_id),
        "an invalid request_id handed back with a rejection");
    reply = gateway_state_payload_new (NULL, "failed",
        (const gchar *[]){ request_id, NULL }, error->message, NULL);
    check_reply (reply);
    return 0;
  }
  FUZZ_ASSERT (!request_id, "request_id_out set on success");
  FUZZ_ASSERT (request->kind == kind, "kind changed");
  FUZZ_ASSERT (request->pipeline || kind == GATEWAY_REQUEST_STATUS
          || kind == GATEWAY_REQUEST_DESCRIBE,
      "accepted without a pipeline");
  FUZZ_ASSERT (!request->pipeline
          || pipeline_def_name_is_valid (request->pipeline),
      "invalid pipeline name accepted");
  FUZZ_ASSERT (!request->request_id || request_id_ok (request->request_id),
      "invalid request_id accepted");
  FUZZ_ASSERT (request->ttl_s == -1
          || (request->ttl_s >= 1 && request->ttl_s <= GATEWAY_TTL_MAX_S),
      "ttl %" G_GINT64_FORMAT " accepted", request->ttl_s);
  FUZZ_ASSERT (kind != GATEWAY_REQUEST_RENEW || request->ttl_s > 0,
      "renew without a ttl accepted");
  FUZZ_ASSERT (!request->params
          || (kind == GATEWAY_REQUEST_START
              && JSON_NODE_HOLDS_OBJECT (request->params)
              && json_object_get_size (json_node_get_object (request->params))
                  <= GATEWAY_PARAMS_MAX),
      "bad params accepted");

  if (kind == GATEWAY_REQUEST_START)
    check_params (request);
  return 0;
}

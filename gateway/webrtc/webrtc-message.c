/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-message.c: checking inbound WebRTC signalling payloads and
 * building outbound ones (see webrtc-message.h).
 *
 * As for the other requests (request.c), members are looked up by name
 * and checked for their exact JSON type and bounds; session_id and
 * request_id are read first so that even a rejection can carry them. The
 * common members (request_id, pipeline, params, ttl of a watch) are
 * request.c's: one set of rules for every request.
 */
#include "webrtc-message.h"

#include "gateway-error.h"
#include "request.h"
#include "untrusted.h"

#include <string.h>

/**
 * webrtc_message_kind_to_string:
 * @kind: a message kind
 *
 * Returns: the default event name of @kind
 */
const gchar *
webrtc_message_kind_to_string (WebrtcMessageKind kind)
{
  switch (kind) {
    case WEBRTC_MESSAGE_WATCH:
      return "watch";
    case WEBRTC_MESSAGE_ANSWER:
      return "answer";
    case WEBRTC_MESSAGE_CANDIDATES:
      return "candidates";
    case WEBRTC_MESSAGE_UNWATCH:
      return "unwatch";
    case WEBRTC_MESSAGE_RENEW:
      return "watch_renew";
  }
  return "unknown";
}

/**
 * webrtc_session_id_is_valid:
 * @id: (nullable): a candidate session id
 *
 * Returns: %TRUE when @id is 8 to 64 of [A-Za-z0-9_-]
 */
gboolean
webrtc_session_id_is_valid (const gchar *id)
{
  gsize i;

  if (!id)
    return FALSE;
  for (i = 0; id[i]; i++) {
    if (i >= WEBRTC_SESSION_ID_MAX)
      return FALSE;
    if (!g_ascii_isalnum (id[i]) && id[i] != '_' && id[i] != '-')
      return FALSE;
  }
  return i >= WEBRTC_SESSION_ID_MIN;
}

static void
candidate_free (gpointer data)
{
  WebrtcCandidate *c = data;

  g_free (c->candidate);
  g_free (c->ufrag);
  g_free (c);
}

/**
 * webrtc_message_free:
 * @message: (nullable): a message
 */
void
webrtc_message_free (WebrtcMessage *m)
{
  if (!m)
    return;
  g_free (m->session_id);
  g_free (m->request_id);
  g_free (m->pipeline);
  g_clear_pointer (&m->params, json_node_unref);
  g_clear_pointer (&m->sdp, gst_sdp_message_free);
  g_free (m->ice_ufrag);
  g_clear_pointer (&m->candidates, g_ptr_array_unref);
  g_free (m);
}

/* The member @name, or NULL when absent or JSON null. */
static JsonNode *
member (JsonObject *object, const gchar *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node && !JSON_NODE_HOLDS_NULL (node) ? node : NULL;
}

/* A string member of at most @max bytes, printable ASCII only (with
 * @lines, also CR and LF): NULL and @error when not. */
static const gchar *
get_text (JsonObject *object, const gchar *name, gsize max, gboolean lines,
    GError **error)
{
  JsonNode *node = member (object, name);
  const gchar *text;
  gsize i;

  if (!node) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "missing \"%s\"", name);
    return NULL;
  }
  if (!gateway_json_holds (node, G_TYPE_STRING)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "\"%s\" must be a string, got %s", name, gateway_json_kind (node));
    return NULL;
  }
  text = json_node_get_string (node);
  for (i = 0; text[i]; i++) {
    guchar c = text[i];

    if (i >= max) {
      g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
          "\"%s\" is longer than %" G_GSIZE_FORMAT " bytes", name, max);
      return NULL;
    }
    if ((c < 0x20 || c > 0x7e) && !(lines && (c == '\r' || c == '\n'))) {
      g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
          "\"%s\" holds a byte 0x%02x that it may not", name, c);
      return NULL;
    }
  }
  return text;
}

/* An integer member in [@min, @max]. */
static gboolean
get_int (JsonObject *object, const gchar *name, gint64 min, gint64 max,
    gint64 *out, GError **error)
{
  JsonNode *node = member (object, name);

  if (!node) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "missing \"%s\"", name);
    return FALSE;
  }
  if (!gateway_json_holds (node, G_TYPE_INT64)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "\"%s\" must be an integer, got %s", name, gateway_json_kind (node));
    return FALSE;
  }
  *out = json_node_get_int (node);
  if (*out < min || *out > max) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "\"%s\" must be in %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT, name, min,
        max);
    return FALSE;
  }
  return TRUE;
}

/* An attribute of the session or, failing that, of any media. */
static const gchar *
sdp_attribute (const GstSDPMessage *sdp, const gchar *key)
{
  const gchar *value = gst_sdp_message_get_attribute_val (sdp, key);
  guint i;

  for (i = 0; !value && i < gst_sdp_message_medias_len (sdp); i++)
    value = gst_sdp_media_get_attribute_val (gst_sdp_message_get_media (sdp, i),
        key);
  return value;
}

/* The SDP answer: GStreamer's SDP parser, then what a WebRTC answer
 * cannot do without. */
static gboolean
parse_answer (JsonObject *object, WebrtcMessage *m, GError **error)
{
  const gchar *text = get_text (object, "sdp", WEBRTC_SDP_MAX, TRUE, error);
  const gchar *ufrag;

  if (!text)
    return FALSE;
  if (!g_str_has_prefix (text, "v=0")) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "\"sdp\" is not an SDP (no \"v=0\" first)");
    return FALSE;
  }
  gst_sdp_message_new (&m->sdp);
  if (gst_sdp_message_parse_buffer ((const guint8 *)text, strlen (text), m->sdp)
      != GST_SDP_OK) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "\"sdp\" does not parse as an SDP");
    return FALSE;
  }
  if (gst_sdp_message_medias_len (m->sdp) < 1
      || gst_sdp_message_medias_len (m->sdp) > WEBRTC_MLINE_MAX + 1) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "\"sdp\" has %u media sections (1..%d)",
        gst_sdp_message_medias_len (m->sdp), WEBRTC_MLINE_MAX + 1);
    return FALSE;
  }
  ufrag = sdp_attribute (m->sdp, "ice-ufrag");
  if (!ufrag || !*ufrag || !sdp_attribute (m->sdp, "ice-pwd")) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "\"sdp\" has no ICE credentials (a=ice-ufrag, a=ice-pwd)");
    return FALSE;
  }
  if (!sdp_attribute (m->sdp, "fingerprint")) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "\"sdp\" has no DTLS fingerprint (a=fingerprint)");
    return FALSE;
  }
  m->ice_ufrag = g_strdup (ufrag);
  return TRUE;
}

static gboolean
parse_candidate (JsonNode *node, guint index, WebrtcMessage *m, GError **error)
{
  g_autoptr (GError) local = NULL;
  WebrtcCandidate *c;
  JsonObject *object;
  const gchar *text, *ufrag = NULL;
  gint64 mline;

  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "candidates[%u] must be an object, got %s", index,
        gateway_json_kind (node));
    return FALSE;
  }
  object = json_node_get_object (node);
  text = get_text (object, "candidate", WEBRTC_CANDIDATE_MAX, FALSE, &local);
  if (text && *text && !g_str_has_prefix (text, "candidate:")) {
    g_set_error (&local, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "\"candidate\" does not start with \"candidate:\"");
    text = NULL;
  }
  if (text
      && !get_int (object, "sdpMLineIndex", 0, WEBRTC_MLINE_MAX, &mline,
          &local))
    text = NULL;
  if (text && member (object, "usernameFragment"))
    ufrag = get_text (object, "usernameFragment", 256, FALSE, &local);
  if (!text || (member (object, "usernameFragment") && !ufrag)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "candidates[%u]: %s", index, local->message);
    return FALSE;
  }
  /* An empty candidate is the browser's end-of-candidates: nothing to
   * add. */
  if (!*text)
    return TRUE;
  c = g_new0 (WebrtcCandidate, 1);
  c->mline = (guint)mline;
  c->candidate = g_strdup (text);
  c->ufrag = g_strdup (ufrag);
  g_ptr_array_add (m->candidates, c);
  return TRUE;
}

static gboolean
parse_candidates (JsonObject *object, WebrtcMessage *m, GError **error)
{
  JsonNode *node = member (object, "candidates");
  JsonArray *array;
  guint i, n;

  if (!node || !JSON_NODE_HOLDS_ARRAY (node)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "\"candidates\" must be an array, got %s",
        node ? gateway_json_kind (node) : "nothing");
    return FALSE;
  }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  if (n > WEBRTC_CANDIDATES_PER_BATCH_MAX) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "%u candidates in one message (at most %d)", n,
        WEBRTC_CANDIDATES_PER_BATCH_MAX);
    return FALSE;
  }
  m->candidates = g_ptr_array_new_with_free_func (candidate_free);
  for (i = 0; i < n; i++)
    if (!parse_candidate (json_array_get_element (array, i), i, m, error))
      return FALSE;
  return TRUE;
}

/* The members shared with the other requests, by request.c's rules: a
 * watch's pipeline, params and ttl, and every message's request_id. */
static gboolean
parse_common (WebrtcMessageKind kind, JsonNode *payload, WebrtcMessage *m,
    GError **error)
{
  g_autoptr (GatewayRequest) req = NULL;
  g_autoptr (GError) local = NULL;

  req = gateway_request_parse (kind == WEBRTC_MESSAGE_WATCH
          ? GATEWAY_REQUEST_START
          : GATEWAY_REQUEST_STATUS,
      payload, &m->request_id, &local);
  if (!req) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST, "%s",
        local->message);
    return FALSE;
  }
  m->request_id = g_steal_pointer (&req->request_id);
  if (kind == WEBRTC_MESSAGE_WATCH) {
    m->pipeline = g_steal_pointer (&req->pipeline);
    m->params = g_steal_pointer (&req->params);
    m->ttl_s = req->ttl_s;
  }
  return TRUE;
}

/**
 * webrtc_message_parse:
 * @kind: which event the payload came with
 * @payload: (nullable): the broadcast's payload
 * @session_id_out: (out) (optional) (nullable): on error, the session id
 *   when it could be read
 * @request_id_out: (out) (optional) (nullable): on error, the request_id
 *   when it could be read
 * @error: return location for a #GATEWAY_ERROR error
 *
 * Checks the payload's shape and bounds (see webrtc-message.h).
 *
 * Returns: (transfer full) (nullable): the message, or %NULL on error
 */
WebrtcMessage *
webrtc_message_parse (WebrtcMessageKind kind, JsonNode *payload,
    gchar **session_id_out, gchar **request_id_out, GError **error)
{
  g_autoptr (WebrtcMessage) m = g_new0 (WebrtcMessage, 1);
  JsonObject *object;
  JsonNode *node;
  gboolean ok;

  if (session_id_out)
    *session_id_out = NULL;
  if (request_id_out)
    *request_id_out = NULL;
  m->kind = kind;
  m->ttl_s = -1;

  if (!payload || !JSON_NODE_HOLDS_OBJECT (payload)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "the payload of %s must be a JSON object, got %s",
        webrtc_message_kind_to_string (kind),
        payload ? gateway_json_kind (payload) : "nothing");
    return NULL;
  }
  object = json_node_get_object (payload);

  node = member (object, "session_id");
  if (!node || !gateway_json_holds (node, G_TYPE_STRING)
      || !webrtc_session_id_is_valid (json_node_get_string (node))) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "\"session_id\" must be %d to %d of A-Z a-z 0-9 _ -, got %s",
        WEBRTC_SESSION_ID_MIN, WEBRTC_SESSION_ID_MAX,
        node ? gateway_json_kind (node) : "nothing");
    /* The request_id may still be readable. */
    parse_common (WEBRTC_MESSAGE_UNWATCH, payload, m, NULL);
    if (request_id_out)
      *request_id_out = g_steal_pointer (&m->request_id);
    return NULL;
  }
  m->session_id = g_strdup (json_node_get_string (node));

  ok = parse_common (kind, payload, m, error);
  if (ok) {
    switch (kind) {
      case WEBRTC_MESSAGE_ANSWER:
        ok = parse_answer (object, m, error);
        break;
      case WEBRTC_MESSAGE_CANDIDATES:
        ok = parse_candidates (object, m, error);
        break;
      case WEBRTC_MESSAGE_RENEW:
        ok = get_int (object, "ttl", 1, GATEWAY_TTL_MAX_S, &m->ttl_s, error);
        break;
      case WEBRTC_MESSAGE_WATCH:
      case WEBRTC_MESSAGE_UNWATCH:
        break;
    }
  }
  if (!ok) {
    if (session_id_out)
      *session_id_out = g_steal_pointer (&m->session_id);
    if (request_id_out)
      *request_id_out = g_steal_pointer (&m->request_id);
    return NULL;
  }
  return g_steal_pointer (&m);
}

static JsonNode *
finish (JsonBuilder *builder)
{
  JsonNode *node;

  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  g_object_unref (builder);
  return node;
}

/**
 * webrtc_offer_payload_new:
 * @session_id: the session
 * @pipeline: its pipeline
 * @sdp: the offer's SDP text
 *
 * Returns: (transfer full): {"session_id","pipeline","type":"offer","sdp"}
 */
JsonNode *
webrtc_offer_payload_new (const gchar *session_id, const gchar *pipeline,
    const gchar *sdp)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  gateway_json_add_string_or_null (b, "session_id", session_id);
  gateway_json_add_string_or_null (b, "pipeline", pipeline);
  gateway_json_add_string_or_null (b, "type", "offer");
  gateway_json_add_string_or_null (b, "sdp", sdp);
  return finish (b);
}

/**
 * webrtc_candidates_payload_new:
 * @session_id: the session
 * @candidates: (element-type JsonNode): candidate objects, copied
 *
 * Returns: (transfer full): {"session_id","candidates":[...]}
 */
JsonNode *
webrtc_candidates_payload_new (const gchar *session_id, GPtrArray *candidates)
{
  JsonBuilder *b = json_builder_new ();
  guint i;

  json_builder_begin_object (b);
  gateway_json_add_string_or_null (b, "session_id", session_id);
  json_builder_set_member_name (b, "candidates");
  json_builder_begin_array (b);
  for (i = 0; i < candidates->len; i++)
    json_builder_add_value (b,
        json_node_copy (g_ptr_array_index (candidates, i)));
  json_builder_end_array (b);
  return finish (b);
}

/**
 * webrtc_session_payload_new:
 * @session_id: (nullable): the session (%NULL when it could not be read)
 * @pipeline: (nullable): its pipeline
 * @state: "offering", "connecting", "watching", "ended" or "failed"
 * @request_id: (nullable): the message being answered
 * @error: (nullable): why the message was refused or the session ended
 *
 * Returns: (transfer full):
 *   {"session_id","pipeline","state","request_id","error"}
 */
JsonNode *
webrtc_session_payload_new (const gchar *session_id, const gchar *pipeline,
    const gchar *state, const gchar *request_id, const gchar *error)
{
  JsonBuilder *b = json_builder_new ();

  json_builder_begin_object (b);
  gateway_json_add_string_or_null (b, "session_id", session_id);
  gateway_json_add_string_or_null (b, "pipeline", pipeline);
  gateway_json_add_string_or_null (b, "state", state);
  gateway_json_add_string_or_null (b, "request_id", request_id);
  gateway_json_add_string_or_null (b, "error", error);
  return finish (b);
}

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * reply-collector.c: replies read off the local server's frames
 * (reply-collector.h), each held to its schema in docs/schema.
 */
#include "reply-collector.h"

#include "schema-check.h"
#include "test-util.h"

#include <string.h>

struct _RtReplyCollector
{
  RtServer *server;
  gchar *topic; /* nullable: any */
  gchar *event;
  gchar *schema; /* the docs/schema file every reply must match */
  GPtrArray *replies; /* RtReply* */
  /* Where the last poll stopped in the server's frames: their number and
   * the last one read, to notice rt_server_clear_frames(). */
  guint n_read;
  gconstpointer last_frame;
  gint64 last_time_us;
};

static void
reply_free (RtReply *r)
{
  g_free (r->topic);
  g_free (r->event);
  g_free (r->pipeline);
  g_free (r->state);
  g_free (r->request_id);
  g_strfreev (r->request_ids);
  g_free (r->error);
  if (r->payload)
    json_node_unref (r->payload);
  g_free (r);
}

static gchar *
dup_string_member (JsonObject *o, const gchar *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (!n || !JSON_NODE_HOLDS_VALUE (n)
      || json_node_get_value_type (n) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (n));
}

/* The strings of the array member @name (others skipped), or NULL when
 * it is not an array. */
static gchar **
dup_string_array_member (JsonObject *o, const gchar *name)
{
  JsonNode *n = json_object_get_member (o, name);
  GPtrArray *out;
  JsonArray *a;
  guint i;

  if (!n || !JSON_NODE_HOLDS_ARRAY (n))
    return NULL;
  a = json_node_get_array (n);
  out = g_ptr_array_new ();
  for (i = 0; i < json_array_get_length (a); i++) {
    JsonNode *e = json_array_get_element (a, i);
    if (JSON_NODE_HOLDS_VALUE (e)
        && json_node_get_value_type (e) == G_TYPE_STRING)
      g_ptr_array_add (out, g_strdup (json_node_get_string (e)));
  }
  g_ptr_array_add (out, NULL);
  return (gchar **)g_ptr_array_free (out, FALSE);
}

/* Fails the running test when @payload, a @what seen in @frame, does not
 * match the schema file @schema: the contract of docs/CONTRACT.md. */
static void
check_contract (const gchar *schema, const gchar *what,
    const RtServerFrame *frame, JsonNode *payload)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *json = NULL;

  if (rt_schema_set_validate (rt_schema_set_get_default (), schema, payload,
          &error))
    return;
  json = json_to_string (payload, FALSE);
  ck_abort_msg ("a %s on %s (connection %u) does not match docs/schema/%s: "
                "%s; payload: %.400s",
      what, frame->topic, frame->conn_id, schema, error->message, json);
}

/* A presence track in @frame is held to docs/schema/presence.json. */
static void
check_presence (RtReplyCollector *c, const RtServerFrame *frame)
{
  g_autofree gchar *event = NULL;
  JsonObject *outer;
  JsonNode *meta;

  if (g_strcmp0 (frame->event, "presence") != 0 || !frame->payload
      || !JSON_NODE_HOLDS_OBJECT (frame->payload)
      || (c->topic && g_strcmp0 (frame->topic, c->topic) != 0))
    return;
  outer = json_node_get_object (frame->payload);
  meta = json_object_get_member (outer, "payload");
  event = dup_string_member (outer, "event");
  if (g_strcmp0 (event, "track") != 0 || !meta)
    return;
  check_contract ("presence.json", "presence track", frame, meta);
}

/* The schema of the messages of @event: the one named for it, else
 * pipeline_state's (a reply event renamed by [events] reply= or the
 * element's reply-event). */
static gchar *
schema_for_event (const gchar *event)
{
  g_autofree gchar *named = g_strconcat (event, ".json", NULL);

  if (rt_schema_set_has (rt_schema_set_get_default (), named))
    return g_steal_pointer (&named);
  return g_strdup ("pipeline_state.json");
}

/* The reply in @frame, or NULL when it is not a broadcast of our event. */
static RtReply *
reply_from_frame (RtReplyCollector *c, const RtServerFrame *frame)
{
  JsonObject *outer, *inner;
  JsonNode *node;
  RtReply *r;
  gchar *json;

  if (g_strcmp0 (frame->event, "broadcast") != 0 || !frame->payload
      || !JSON_NODE_HOLDS_OBJECT (frame->payload)
      || (c->topic && g_strcmp0 (frame->topic, c->topic) != 0))
    return NULL;
  outer = json_node_get_object (frame->payload);
  node = json_object_get_member (outer, "event");
  if (!node || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING
      || g_strcmp0 (json_node_get_string (node), c->event) != 0)
    return NULL;
  node = json_object_get_member (outer, "payload");
  if (!node)
    return NULL;
  check_contract (c->schema, c->event, frame, node);
  r = g_new0 (RtReply, 1);
  r->topic = g_strdup (frame->topic);
  r->event = g_strdup (c->event);
  r->payload = json_node_copy (node);
  if (JSON_NODE_HOLDS_OBJECT (node)) {
    inner = json_node_get_object (node);
    r->pipeline = dup_string_member (inner, "pipeline");
    r->state = dup_string_member (inner, "state");
    r->request_id = dup_string_member (inner, "request_id");
    r->request_ids = dup_string_array_member (inner, "request_ids");
    r->error = dup_string_member (inner, "error");
  }
  json = json_to_string (node, FALSE);
  r->size = strlen (json);
  g_free (json);
  r->conn_id = frame->conn_id;
  r->time_us = frame->time_us;
  return r;
}

RtReplyCollector *
rt_reply_collector_new (RtServer *server, const gchar *topic,
    const gchar *event)
{
  RtReplyCollector *c = g_new0 (RtReplyCollector, 1);
  GPtrArray *frames = rt_server_get_frames (server);

  c->server = server;
  c->topic = g_strdup (topic);
  c->event = g_strdup (event ? event : "pipeline_state");
  c->schema = schema_for_event (c->event);
  c->replies = g_ptr_array_new_with_free_func ((GDestroyNotify)reply_free);
  /* From now on: what the server already holds is not ours. */
  c->n_read = frames->len;
  if (frames->len) {
    RtServerFrame *f = g_ptr_array_index (frames, frames->len - 1);

    c->last_frame = f;
    c->last_time_us = f->time_us;
  }
  return c;
}

void
rt_reply_collector_free (RtReplyCollector *c)
{
  if (!c)
    return;
  g_ptr_array_unref (c->replies);
  g_free (c->topic);
  g_free (c->event);
  g_free (c->schema);
  g_free (c);
}

void
rt_reply_collector_poll (RtReplyCollector *c)
{
  GPtrArray *frames = rt_server_get_frames (c->server);
  guint i;

  /* Cleared since the last poll: the frames there now are all new. */
  if (c->n_read > 0) {
    RtServerFrame *f = c->n_read <= frames->len
        ? g_ptr_array_index (frames, c->n_read - 1)
        : NULL;

    if (!f || (gconstpointer)f != c->last_frame
        || f->time_us != c->last_time_us)
      c->n_read = 0;
  }
  for (i = c->n_read; i < frames->len; i++) {
    RtReply *r = reply_from_frame (c, g_ptr_array_index (frames, i));

    if (r)
      g_ptr_array_add (c->replies, r);
    else
      check_presence (c, g_ptr_array_index (frames, i));
  }
  c->n_read = frames->len;
  if (frames->len) {
    RtServerFrame *f = g_ptr_array_index (frames, frames->len - 1);

    c->last_frame = f;
    c->last_time_us = f->time_us;
  }
}

GPtrArray *
rt_reply_collector_get_replies (RtReplyCollector *c)
{
  rt_reply_collector_poll (c);
  return c->replies;
}

void
rt_reply_collector_clear (RtReplyCollector *c)
{
  rt_reply_collector_poll (c);
  g_ptr_array_set_size (c->replies, 0);
}

static gboolean
matches (const RtReply *r, const gchar *pipeline, const gchar *state,
    const gchar *request_id)
{
  return (!pipeline || g_strcmp0 (r->pipeline, pipeline) == 0)
      && (!state || g_strcmp0 (r->state, state) == 0)
      && (!request_id || g_strcmp0 (r->request_id, request_id) == 0
          || (r->request_ids
              && g_strv_contains ((const gchar *const *)r->request_ids,
                  request_id)));
}

guint
rt_reply_collector_count (RtReplyCollector *c, const gchar *pipeline,
    const gchar *state, const gchar *request_id)
{
  guint i, n = 0;

  rt_reply_collector_poll (c);
  for (i = 0; i < c->replies->len; i++)
    if (matches (g_ptr_array_index (c->replies, i), pipeline, state,
            request_id))
      n++;
  return n;
}

gint
rt_reply_collector_find (RtReplyCollector *c, guint from, const gchar *pipeline,
    const gchar *state, const gchar *request_id)
{
  guint i;

  rt_reply_collector_poll (c);
  for (i = from; i < c->replies->len; i++)
    if (matches (g_ptr_array_index (c->replies, i), pipeline, state,
            request_id))
      return (gint)i;
  return -1;
}

const RtReply *
rt_reply_collector_wait_from (RtReplyCollector *c, guint from,
    const gchar *pipeline, const gchar *state, const gchar *request_id,
    guint timeout_ms)
{
  gint i = -1;

  if (!RT_WAIT_UNTIL ((i = rt_reply_collector_find (c, from, pipeline, state,
                           request_id))
              >= 0,
          timeout_ms))
    return NULL;
  return g_ptr_array_index (c->replies, i);
}

const RtReply *
rt_reply_collector_wait (RtReplyCollector *c, const gchar *pipeline,
    const gchar *state, const gchar *request_id, guint timeout_ms)
{
  return rt_reply_collector_wait_from (c, 0, pipeline, state, request_id,
      timeout_ms);
}

gchar *
rt_replies_describe (GPtrArray *replies, guint from, guint max)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = from; i < replies->len && i - from < max; i++) {
    RtReply *r = g_ptr_array_index (replies, i);

    g_string_append_printf (s, "%s[%s pipeline=%s request_id=%s error=%.200s",
        i > from ? " " : "", r->state ? r->state : "null",
        r->pipeline ? r->pipeline : "null",
        r->request_id ? r->request_id : "null", r->error ? r->error : "null");
    if (r->request_ids && g_strv_length (r->request_ids) > 1)
      g_string_append_printf (s, " request_ids=%u",
          g_strv_length (r->request_ids));
    g_string_append_c (s, ']');
  }
  if (replies->len > from + max)
    g_string_append_printf (s, " ... (%u replies)", replies->len - from);
  if (replies->len <= from)
    g_string_append (s, "no reply");
  return g_string_free (s, FALSE);
}

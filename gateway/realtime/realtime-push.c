/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "owned-source.h"
#include "realtime-private.h"

struct _RealtimePush
{
  gchar *event;
  JsonNode *payload;
  guint timeout_ms;
  RealtimePushReplyFunc func;
  gpointer user_data;

  gchar *ref; /* of the current attempt */
  GSource *timeout_source; /* of the current attempt */
};

RealtimePush *
realtime_push_new (const gchar *event, JsonNode *payload, guint timeout_ms,
    RealtimePushReplyFunc func, gpointer user_data)
{
  RealtimePush *push = g_new0 (RealtimePush, 1);

  push->event = g_strdup (event);
  push->payload = payload ? payload : json_node_new (JSON_NODE_OBJECT);
  if (JSON_NODE_HOLDS_OBJECT (push->payload)
      && json_node_get_object (push->payload) == NULL)
    json_node_take_object (push->payload, json_object_new ());
  push->timeout_ms = timeout_ms;
  push->func = func;
  push->user_data = user_data;
  return push;
}

void
realtime_push_free (RealtimePush *push)
{
  if (!push)
    return;
  owned_source_clear (&push->timeout_source);
  g_free (push->event);
  g_free (push->ref);
  json_node_unref (push->payload);
  g_free (push);
}

const gchar *
realtime_push_get_event (RealtimePush *push)
{
  return push->event;
}

const gchar *
realtime_push_get_ref (RealtimePush *push)
{
  return push->ref;
}

JsonNode *
realtime_push_get_payload (RealtimePush *push)
{
  return push->payload;
}

gpointer
realtime_push_get_user_data (RealtimePush *push)
{
  return push->user_data;
}

gboolean
realtime_push_awaits_reply (RealtimePush *push)
{
  return push->timeout_source != NULL;
}

static gboolean
on_timeout (gpointer data)
{
  RealtimePush *push = data;
  g_autoptr (JsonNode) null = json_node_new (JSON_NODE_NULL);

  /* Drop our pointer first: the callback may free the push. */
  g_clear_pointer (&push->timeout_source, g_source_unref);
  if (push->func)
    push->func (push, REALTIME_PUSH_TIMEOUT, null, push->user_data);
  return G_SOURCE_REMOVE;
}

static gboolean
send_attempt (RealtimePush *push, RealtimeClient *client, const gchar *topic,
    const gchar *join_ref, gboolean as_join)
{
  RealtimeMessage msg;

  owned_source_clear (&push->timeout_source);
  if (!_realtime_client_is_connected (client))
    return FALSE;

  g_free (push->ref);
  push->ref = _realtime_client_next_ref (client);
  /* Borrowed fields: encoding needs no copy of the payload. */
  msg.join_ref = (gchar *)(as_join ? push->ref : join_ref);
  msg.ref = push->ref;
  msg.topic = (gchar *)topic;
  msg.event = push->event;
  msg.payload = push->payload;
  if (!_realtime_client_send (client, &msg))
    return FALSE;
  if (push->timeout_ms > 0)
    push->timeout_source
        = owned_source_timeout_attach (_realtime_client_get_context (client),
            push->timeout_ms, on_timeout, push);
  return TRUE;
}

gboolean
realtime_push_send (RealtimePush *push, RealtimeClient *client,
    const gchar *topic, const gchar *join_ref)
{
  return send_attempt (push, client, topic, join_ref, FALSE);
}

gboolean
realtime_push_send_as_join (RealtimePush *push, RealtimeClient *client,
    const gchar *topic)
{
  return send_attempt (push, client, topic, NULL, TRUE);
}

void
realtime_push_reply (RealtimePush *push, RealtimePushStatus status,
    JsonNode *response)
{
  g_autoptr (JsonNode) null = NULL;

  owned_source_clear (&push->timeout_source);
  if (!response)
    response = null = json_node_new (JSON_NODE_NULL);
  if (push->func)
    push->func (push, status, response, push->user_data);
}

void
realtime_push_cancel (RealtimePush *push)
{
  owned_source_clear (&push->timeout_source);
}

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-channel.c: one topic and its join state machine.
 *
 * A channel is "wanted" from subscribe() to unsubscribe(). While wanted it
 * is joined whenever the socket is open: a join counts only on the server's
 * ok reply to that join's ref; an error reply, no reply within join-timeout,
 * phx_error, phx_close or a system error make it ERRORED and a rejoin is
 * scheduled by the reconnect policy, by the kind of the failure (a refused
 * join by its reason; an expired token at the cap unless a newer token is
 * known, which is then used at once). A lost socket makes it ERRORED and the
 * client's next open rejoins it at once. Every push carries the current
 * join_ref, and (vsn 2.0.0) messages stamped with an older one are dropped.
 */
#include "owned-source.h"
#include "realtime-private.h"
#include "realtime-redact.h"
#include "realtime-refusal.h"
#include "reconnect-policy.h"

#include <string.h>

struct _RealtimeChannel
{
  GObject parent;

  RealtimeClient *client; /* unowned: the client owns us */
  gchar *name;
  gchar *topic;
  gboolean private_;
  gboolean broadcast_self;
  gboolean broadcast_ack;
  gchar *presence_key;

  RealtimeChannelState state;
  gboolean wanted;
  guint joins;

  gchar *join_ref; /* of the current (or last) join */
  RealtimePush *join_push;
  RealtimePush *leave_push;
  GSource *rejoin_source;
  RealtimeReconnectPolicy rejoin_policy;
  /* The client's token generation this channel last gave the server (in
   * its join or an access_token push). */
  guint token_generation;
  /* Ended or refused because the token expired, waiting for a newer one:
   * a new token rejoins at once. */
  gboolean token_expired;

  /* Pushes sent and awaiting a reply (RealtimePush*). */
  GList *in_flight;
  /* Pushes waiting for the join (RealtimePush*), oldest first. */
  GQueue buffer;
  guint dropped;
};

enum
{
  PROP_0,
  PROP_NAME,
  PROP_TOPIC,
  PROP_PRIVATE,
  PROP_BROADCAST_SELF,
  PROP_BROADCAST_ACK,
  PROP_PRESENCE_KEY,
  PROP_STATE,
  PROP_JOINS,
  N_PROPS
};

enum
{
  SIGNAL_STATE_CHANGED,
  SIGNAL_BROADCAST,
  SIGNAL_BROADCAST_JSON,
  SIGNAL_BROADCAST_REFUSED,
  SIGNAL_PRESENCE,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_TYPE (RealtimeChannel, realtime_channel, G_TYPE_OBJECT);

G_DEFINE_ENUM_TYPE (RealtimeChannelState, realtime_channel_state,
    G_DEFINE_ENUM_VALUE (REALTIME_CHANNEL_STATE_CLOSED, "closed"),
    G_DEFINE_ENUM_VALUE (REALTIME_CHANNEL_STATE_JOINING, "joining"),
    G_DEFINE_ENUM_VALUE (REALTIME_CHANNEL_STATE_JOINED, "joined"),
    G_DEFINE_ENUM_VALUE (REALTIME_CHANNEL_STATE_ERRORED, "errored"),
    G_DEFINE_ENUM_VALUE (REALTIME_CHANNEL_STATE_LEAVING, "leaving"));

const gchar *
realtime_channel_state_to_string (RealtimeChannelState state)
{
  switch (state) {
    case REALTIME_CHANNEL_STATE_CLOSED:
      return "closed";
    case REALTIME_CHANNEL_STATE_JOINING:
      return "joining";
    case REALTIME_CHANNEL_STATE_JOINED:
      return "joined";
    case REALTIME_CHANNEL_STATE_ERRORED:
      return "errored";
    case REALTIME_CHANNEL_STATE_LEAVING:
      return "leaving";
  }
  return "unknown";
}

/* A queued or in-flight broadcast: the task completes it. */
typedef struct
{
  RealtimeChannel *channel;
  GTask *task; /* nullable */
} SendData;

static void set_state (RealtimeChannel *self, RealtimeChannelState state,
    const gchar *reason);
static void send_join (RealtimeChannel *self);
static void flush_buffer (RealtimeChannel *self);

/* The one place that changes state: logs it with its reason. */
static void
set_state (RealtimeChannel *self, RealtimeChannelState state,
    const gchar *reason)
{
  if (self->state == state)
    return;
  g_info ("channel %s: %s -> %s (%s)", self->topic,
      realtime_channel_state_to_string (self->state),
      realtime_channel_state_to_string (state), reason);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, state, reason);
}

static void
send_data_fail (SendData *sd, GQuark domain, gint code, const gchar *message)
{
  if (sd->task) {
    g_task_return_new_error (sd->task, domain, code, "%s", message);
    g_clear_object (&sd->task);
  }
  g_free (sd);
}

static void
send_data_ok (SendData *sd)
{
  if (sd->task) {
    g_task_return_boolean (sd->task, TRUE);
    g_clear_object (&sd->task);
  }
  g_free (sd);
}

static void
fail_in_flight (RealtimeChannel *self, gint code, const gchar *message)
{
  GList *list = g_steal_pointer (&self->in_flight);
  GList *l;

  for (l = list; l; l = l->next) {
    RealtimePush *push = l->data;
    SendData *sd = realtime_push_get_user_data (push);

    realtime_push_cancel (push);
    if (sd)
      send_data_fail (sd, REALTIME_ERROR, code, message);
    realtime_push_free (push);
  }
  g_list_free (list);
}

static void
clear_buffer (RealtimeChannel *self, gint code, const gchar *message)
{
  RealtimePush *push;

  while ((push = g_queue_pop_head (&self->buffer))) {
    SendData *sd = realtime_push_get_user_data (push);
    if (sd)
      send_data_fail (sd, REALTIME_ERROR, code, message);
    realtime_push_free (push);
  }
}

static void
clear_join (RealtimeChannel *self)
{
  g_clear_pointer (&self->join_push, realtime_push_free);
}

static gboolean
on_rejoin (gpointer data)
{
  RealtimeChannel *self = data;

  g_clear_pointer (&self->rejoin_source, g_source_unref);
  if (self->wanted && self->client
      && _realtime_client_is_connected (self->client))
    send_join (self);
  return G_SOURCE_REMOVE;
}

/* Asks the policy when to rejoin after a failure of @kind, not before
 * @not_before_ms, and says so: a refusal once, with what the operator
 * must fix (@reason says what happened). */
static void
schedule_rejoin_after (RealtimeChannel *self, RealtimeFailureKind kind,
    guint not_before_ms, const gchar *reason)
{
  guint delay;

  owned_source_clear (&self->rejoin_source);
  if (!self->wanted || !self->client)
    return;
  delay = realtime_reconnect_policy_next (&self->rejoin_policy, kind,
      not_before_ms);
  if (kind == REALTIME_FAILURE_LOST)
    g_info ("channel %s: rejoin in %u ms", self->topic, delay);
  else
    g_log (G_LOG_DOMAIN,
        kind == REALTIME_FAILURE_REFUSED
                || kind == REALTIME_FAILURE_TOKEN_EXPIRED
            ? G_LOG_LEVEL_WARNING
            : G_LOG_LEVEL_MESSAGE,
        "channel %s: %s [%s]: %s; rejoining in %u ms", self->topic, reason,
        realtime_failure_kind_to_string (kind),
        realtime_failure_kind_describe (kind), delay);
  self->rejoin_source
      = owned_source_timeout_attach (_realtime_client_get_context (
                                         self->client),
          delay, on_rejoin, self);
}

static void
schedule_rejoin (RealtimeChannel *self, RealtimeFailureKind kind,
    const gchar *reason)
{
  schedule_rejoin_after (self, kind, 0, reason);
}

/* The server said the access token expired (a refused join, or the
 * system message that ends a joined channel); the channel is ERRORED and
 * wanted. Whoever watches the token file is asked for a newer token: with
 * one, the channel rejoins with it at once (_realtime_channel_token_changed);
 * without, it retries at the cap and says what to do. */
static void
token_expired (RealtimeChannel *self, const gchar *reason)
{
  self->token_expired = TRUE;
  _realtime_client_token_expired (self->client);
  if (!self->token_expired || !self->wanted || !self->client)
    return; /* rejoining with the newer token already, or gone */
  if (_realtime_client_get_token_generation (self->client)
      != self->token_generation) {
    /* A newer token, but no socket to rejoin on yet. */
    g_message ("channel %s: %s; a newer access token is set and will be "
               "used to rejoin",
        self->topic, reason);
    self->token_expired = FALSE;
    schedule_rejoin (self, REALTIME_FAILURE_LOST, reason);
    return;
  }
  schedule_rejoin (self, REALTIME_FAILURE_TOKEN_EXPIRED, reason);
}

static void
on_join_reply (RealtimePush *push, RealtimePushStatus status,
    JsonNode *response, gpointer user_data)
{
  RealtimeChannel *self = user_data;
  g_autofree gchar *reason = NULL;
  RealtimeFailureKind kind = REALTIME_FAILURE_LOST;
  gboolean drops_socket = FALSE;

  if (status == REALTIME_PUSH_OK) {
    /* The join is done: a later reply with its ref is not about it. */
    clear_join (self);
    self->joins++;
    self->token_expired = FALSE;
    realtime_reconnect_policy_succeeded (&self->rejoin_policy);
    set_state (self, REALTIME_CHANNEL_STATE_JOINED, "join acknowledged");
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_JOINS]);
    if (self->client)
      _realtime_client_channel_joined (self->client);
    flush_buffer (self);
    return;
  }

  if (status == REALTIME_PUSH_TIMEOUT) {
    /* The server may have joined us and lost the reply: leave that join
     * (a stale join_ref is ignored by the server) before trying anew. */
    if (self->client && _realtime_client_is_connected (self->client)) {
      g_autoptr (RealtimeMessage) leave = NULL;
      g_autofree gchar *ref = _realtime_client_next_ref (self->client);

      leave = realtime_message_new (self->join_ref, ref, self->topic,
          "phx_leave", NULL);
      _realtime_client_send (self->client, leave);
    }
    reason = g_strdup ("join timed out");
  } else {
    JsonNode *r = NULL;
    g_autofree gchar *safe = NULL;

    if (response && JSON_NODE_HOLDS_OBJECT (response))
      r = json_object_get_member (json_node_get_object (response), "reason");
    if (r && JSON_NODE_HOLDS_VALUE (r)
        && json_node_get_value_type (r) == G_TYPE_STRING) {
      kind = realtime_refusal_from_join_reason (json_node_get_string (r));
      drops_socket = g_str_has_prefix (json_node_get_string (r),
          "ClientJoinRateLimitReached");
      reason = g_strdup_printf ("join rejected: %s",
          (safe = realtime_escape_untrusted (json_node_get_string (r), 200)));
    } else {
      reason = g_strdup ("join rejected");
    }
  }
  clear_join (self);
  set_state (self, REALTIME_CHANNEL_STATE_ERRORED, reason);
  if (!self->client)
    return;
  /* The server drops the socket after some refusals (join rate). */
  _realtime_client_join_refused (self->client, kind);
  if (kind == REALTIME_FAILURE_TOKEN_EXPIRED)
    token_expired (self, reason);
  else if (drops_socket)
    /* The server drops the socket right after this reply: the client's
     * reconnect, spread by the same rules, brings the rejoin. A rejoin on
     * this socket before it goes would be one more join over the rate;
     * should the socket stay, rejoin at the cap. */
    schedule_rejoin_after (self, kind, self->rejoin_policy.backoff.cap_ms / 2,
        reason);
  else
    schedule_rejoin (self, kind, reason);
}

static JsonNode *
build_join_payload (RealtimeChannel *self)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const gchar *token
      = self->client ? _realtime_client_get_access_token (self->client) : NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "config");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "broadcast");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ack");
  json_builder_add_boolean_value (b, self->broadcast_ack);
  json_builder_set_member_name (b, "self");
  json_builder_add_boolean_value (b, self->broadcast_self);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "presence");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "key");
  json_builder_add_string_value (b,
      self->presence_key ? self->presence_key : "");
  json_builder_set_member_name (b, "enabled");
  json_builder_add_boolean_value (b, self->presence_key && *self->presence_key);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "postgres_changes");
  json_builder_begin_array (b);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "private");
  json_builder_add_boolean_value (b, self->private_);
  json_builder_end_object (b);
  if (token) {
    json_builder_set_member_name (b, "access_token");
    json_builder_add_string_value (b, token);
  }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
send_join (RealtimeChannel *self)
{
  owned_source_clear (&self->rejoin_source);
  clear_join (self);
  if (!self->client || !_realtime_client_is_connected (self->client))
    return;

  self->token_generation = _realtime_client_get_token_generation (self->client);
  self->join_push = realtime_push_new ("phx_join", build_join_payload (self),
      _realtime_client_get_join_timeout (self->client), on_join_reply, self);
  set_state (self, REALTIME_CHANNEL_STATE_JOINING, "join sent");
  /* The join's ref becomes the join_ref that stamps every later push. */
  if (!realtime_push_send_as_join (self->join_push, self->client,
          self->topic)) {
    clear_join (self);
    set_state (self, REALTIME_CHANNEL_STATE_ERRORED, "socket not open");
    return;
  }
  g_free (self->join_ref);
  self->join_ref = g_strdup (realtime_push_get_ref (self->join_push));
}

static void
on_leave_reply (RealtimePush *push, RealtimePushStatus status,
    JsonNode *response, gpointer user_data)
{
  RealtimeChannel *self = user_data;

  g_clear_pointer (&self->leave_push, realtime_push_free);
  if (self->state == REALTIME_CHANNEL_STATE_LEAVING) {
    set_state (self, REALTIME_CHANNEL_STATE_CLOSED,
        status == REALTIME_PUSH_TIMEOUT ? "leave timed out" : "left");
    if (self->wanted)
      send_join (self);
  }
}

void
realtime_channel_subscribe (RealtimeChannel *self)
{
  g_return_if_fail (REALTIME_IS_CHANNEL (self));

  self->wanted = TRUE;
  switch (self->state) {
    case REALTIME_CHANNEL_STATE_JOINING:
    case REALTIME_CHANNEL_STATE_JOINED:
    case REALTIME_CHANNEL_STATE_LEAVING:
      /* Already on its way (a leave in progress rejoins when done). */
      return;
    case REALTIME_CHANNEL_STATE_ERRORED:
      if (self->rejoin_source)
        return;
      break;
    case REALTIME_CHANNEL_STATE_CLOSED:
      break;
  }
  realtime_reconnect_policy_succeeded (&self->rejoin_policy);
  if (self->client && _realtime_client_is_connected (self->client))
    send_join (self);
}

void
realtime_channel_unsubscribe (RealtimeChannel *self)
{
  g_return_if_fail (REALTIME_IS_CHANNEL (self));

  self->wanted = FALSE;
  owned_source_clear (&self->rejoin_source);
  clear_buffer (self, REALTIME_ERROR_CLOSED, "channel unsubscribed");

  if ((self->state == REALTIME_CHANNEL_STATE_JOINED
          || self->state == REALTIME_CHANNEL_STATE_JOINING)
      && self->client && _realtime_client_is_connected (self->client)) {
    clear_join (self);
    fail_in_flight (self, REALTIME_ERROR_CLOSED, "channel unsubscribed");
    g_clear_pointer (&self->leave_push, realtime_push_free);
    self->leave_push = realtime_push_new ("phx_leave", NULL,
        _realtime_client_get_join_timeout (self->client), on_leave_reply, self);
    set_state (self, REALTIME_CHANNEL_STATE_LEAVING, "unsubscribe");
    if (!realtime_push_send (self->leave_push, self->client, self->topic,
            self->join_ref)) {
      g_clear_pointer (&self->leave_push, realtime_push_free);
      set_state (self, REALTIME_CHANNEL_STATE_CLOSED, "unsubscribe");
    }
    return;
  }
  clear_join (self);
  fail_in_flight (self, REALTIME_ERROR_CLOSED, "channel unsubscribed");
  if (self->state != REALTIME_CHANNEL_STATE_LEAVING)
    set_state (self, REALTIME_CHANNEL_STATE_CLOSED, "unsubscribe");
}

static void
on_send_reply (RealtimePush *push, RealtimePushStatus status,
    JsonNode *response, gpointer user_data)
{
  SendData *sd = user_data;
  RealtimeChannel *self = sd->channel;

  self->in_flight = g_list_remove (self->in_flight, push);
  if (status == REALTIME_PUSH_OK) {
    send_data_ok (sd);
  } else if (status == REALTIME_PUSH_TIMEOUT) {
    send_data_fail (sd, REALTIME_ERROR, REALTIME_ERROR_TIMEOUT,
        "no reply from the server in time");
  } else {
    g_autofree gchar *text = NULL;
    g_autofree gchar *msg = NULL;

    if (response && JSON_NODE_HOLDS_VALUE (response)
        && json_node_get_value_type (response) == G_TYPE_STRING)
      text = realtime_escape_untrusted (json_node_get_string (response), 200);
    else if (response && JSON_NODE_HOLDS_OBJECT (response)
        && json_object_has_member (json_node_get_object (response), "reason"))
      text
          = realtime_escape_untrusted (json_object_get_string_member_with_default (json_node_get_object (
                                                                                       response),
                                           "reason", "error"),
              200);
    msg = g_strdup_printf ("rejected by the server: %s", text ? text : "error");
    send_data_fail (sd, REALTIME_ERROR, REALTIME_ERROR_REJECTED, msg);
  }
  realtime_push_free (push);
}

/* Sends one push now; the channel is joined and the socket open. */
static void
send_now (RealtimeChannel *self, RealtimePush *push)
{
  SendData *sd = realtime_push_get_user_data (push);
  gboolean awaits = self->broadcast_ack
      || g_strcmp0 (realtime_push_get_event (push), "broadcast") != 0;

  if (!realtime_push_send (push, self->client, self->topic, self->join_ref)) {
    /* The socket went away between checks: keep it for the next join. */
    g_queue_push_head (&self->buffer, push);
    return;
  }
  if (awaits && realtime_push_awaits_reply (push)) {
    self->in_flight = g_list_prepend (self->in_flight, push);
    return;
  }
  /* Fire and forget: handed to the socket is all that can be known. */
  realtime_push_cancel (push);
  if (sd)
    send_data_ok (sd);
  realtime_push_free (push);
}

static void
flush_buffer (RealtimeChannel *self)
{
  guint n = g_queue_get_length (&self->buffer);

  if (n > 0)
    g_info ("channel %s: sending %u buffered pushes", self->topic, n);
  while (self->state == REALTIME_CHANNEL_STATE_JOINED && n-- > 0) {
    RealtimePush *push = g_queue_pop_head (&self->buffer);
    send_now (self, push);
  }
}

static void
enqueue (RealtimeChannel *self, RealtimePush *push)
{
  guint max = self->client
      ? _realtime_client_get_push_buffer_size (self->client)
      : REALTIME_DEFAULT_PUSH_BUFFER_SIZE;

  if (self->state == REALTIME_CHANNEL_STATE_JOINED && self->client
      && _realtime_client_is_connected (self->client)
      && g_queue_is_empty (&self->buffer)) {
    send_now (self, push);
    return;
  }
  g_queue_push_tail (&self->buffer, push);
  while (g_queue_get_length (&self->buffer) > MAX (max, 1)) {
    RealtimePush *old = g_queue_pop_head (&self->buffer);
    SendData *sd = realtime_push_get_user_data (old);

    self->dropped++;
    g_warning ("channel %s: push buffer full (%u): dropped the oldest "
               "buffered %s push",
        self->topic, max, realtime_push_get_event (old));
    if (sd)
      send_data_fail (sd, REALTIME_ERROR, REALTIME_ERROR_TOO_LARGE,
          "dropped: the push buffer was full");
    realtime_push_free (old);
  }
}

void
realtime_channel_send_broadcast (RealtimeChannel *self, const gchar *event,
    JsonNode *payload, GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  SendData *sd;
  RealtimePush *push;

  g_return_if_fail (REALTIME_IS_CHANNEL (self));
  g_return_if_fail (event != NULL);

  sd = g_new0 (SendData, 1);
  sd->channel = self;
  sd->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (sd->task, realtime_channel_send_broadcast);

  if (!self->wanted && self->state == REALTIME_CHANNEL_STATE_CLOSED
      && !self->client) {
    send_data_fail (sd, REALTIME_ERROR, REALTIME_ERROR_CLOSED,
        "channel is detached");
    return;
  }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "broadcast");
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, event);
  json_builder_set_member_name (b, "payload");
  if (payload)
    json_builder_add_value (b, json_node_copy (payload));
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);

  push = realtime_push_new ("broadcast", json_builder_get_root (b),
      self->client ? _realtime_client_get_join_timeout (self->client)
                   : REALTIME_DEFAULT_JOIN_TIMEOUT,
      on_send_reply, sd);
  enqueue (self, push);
}

gboolean
realtime_channel_send_broadcast_finish (RealtimeChannel *self,
    GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
send_presence (RealtimeChannel *self, const gchar *what, JsonNode *meta)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  SendData *sd = g_new0 (SendData, 1);

  sd->channel = self;
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "presence");
  json_builder_set_member_name (b, "event");
  json_builder_add_string_value (b, what);
  if (meta) {
    json_builder_set_member_name (b, "payload");
    json_builder_add_value (b, json_node_copy (meta));
  }
  json_builder_end_object (b);
  enqueue (self,
      realtime_push_new ("presence", json_builder_get_root (b),
          self->client ? _realtime_client_get_join_timeout (self->client)
                       : REALTIME_DEFAULT_JOIN_TIMEOUT,
          on_send_reply, sd));
}

void
realtime_channel_track (RealtimeChannel *self, JsonNode *meta)
{
  g_return_if_fail (REALTIME_IS_CHANNEL (self));
  send_presence (self, "track", meta);
}

void
realtime_channel_untrack (RealtimeChannel *self)
{
  g_return_if_fail (REALTIME_IS_CHANNEL (self));
  send_presence (self, "untrack", NULL);
}

RealtimeChannelState
realtime_channel_get_state (RealtimeChannel *self)
{
  g_return_val_if_fail (REALTIME_IS_CHANNEL (self),
      REALTIME_CHANNEL_STATE_CLOSED);
  return self->state;
}

const gchar *
realtime_channel_get_name (RealtimeChannel *self)
{
  g_return_val_if_fail (REALTIME_IS_CHANNEL (self), NULL);
  return self->name;
}

const gchar *
realtime_channel_get_topic (RealtimeChannel *self)
{
  g_return_val_if_fail (REALTIME_IS_CHANNEL (self), NULL);
  return self->topic;
}

/* --- messages from the client --- */

static RealtimePush *
take_in_flight (RealtimeChannel *self, const gchar *ref)
{
  GList *l;

  for (l = self->in_flight; l; l = l->next)
    if (g_strcmp0 (realtime_push_get_ref (l->data), ref) == 0)
      return l->data;
  return NULL;
}

static void
handle_reply (RealtimeChannel *self, const RealtimeMessage *msg)
{
  JsonObject *obj = JSON_NODE_HOLDS_OBJECT (msg->payload)
      ? json_node_get_object (msg->payload)
      : NULL;
  const gchar *status = NULL;
  JsonNode *response = NULL;
  RealtimePushStatus st;
  RealtimePush *push;

  if (!msg->ref) {
    _realtime_client_count_dropped (self->client);
    return;
  }
  if (obj) {
    status = json_object_get_string_member_with_default (obj, "status", NULL);
    response = json_object_get_member (obj, "response");
  }
  st = g_strcmp0 (status, "ok") == 0 ? REALTIME_PUSH_OK : REALTIME_PUSH_ERROR;

  if (self->join_push
      && g_strcmp0 (realtime_push_get_ref (self->join_push), msg->ref) == 0) {
    realtime_push_reply (self->join_push, st, response);
    return;
  }
  if (self->leave_push
      && g_strcmp0 (realtime_push_get_ref (self->leave_push), msg->ref) == 0) {
    realtime_push_reply (self->leave_push, st, response);
    return;
  }
  push = take_in_flight (self, msg->ref);
  if (push) {
    realtime_push_reply (push, st, response);
    return;
  }
  g_debug ("channel %s: reply to unknown ref %s ignored", self->topic,
      msg->ref);
}

/* phx_close and phx_error name the join they are about: in vsn 2.0.0 in
 * join_ref, in vsn 1.0.0 (no join_ref from the server) in ref. */
static gboolean
is_current_join (RealtimeChannel *self, const RealtimeMessage *msg)
{
  const gchar *jr = msg->join_ref ? msg->join_ref : msg->ref;

  return jr == NULL || g_strcmp0 (jr, self->join_ref) == 0;
}

/* The server ended the channel (phx_close, a system error); @kind says
 * when to rejoin. */
static void
server_ended_channel (RealtimeChannel *self, RealtimeFailureKind kind,
    const gchar *reason)
{
  clear_join (self);
  fail_in_flight (self, REALTIME_ERROR_CLOSED, reason);
  if (self->state == REALTIME_CHANNEL_STATE_LEAVING) {
    g_clear_pointer (&self->leave_push, realtime_push_free);
    set_state (self, REALTIME_CHANNEL_STATE_CLOSED, "left");
    if (self->wanted)
      send_join (self);
    return;
  }
  if (self->wanted) {
    set_state (self, REALTIME_CHANNEL_STATE_ERRORED, reason);
    if (kind == REALTIME_FAILURE_TOKEN_EXPIRED && self->client)
      token_expired (self, reason);
    else
      schedule_rejoin (self, kind, reason);
  } else {
    set_state (self, REALTIME_CHANNEL_STATE_CLOSED, reason);
  }
}

/* Whether @signal has a handler, whatever its detail: one look (and one
 * lock). A handler of another detail makes work for nothing, never a
 * broadcast missed. (g_signal_has_handler_pending() with a detail finds
 * only the handlers of that detail in glib 2.74, not the undetailed.) */
static gboolean
has_handler (RealtimeChannel *self, guint signal)
{
  return g_signal_handler_find (self, G_SIGNAL_MATCH_ID, signals[signal], 0,
             NULL, NULL, NULL)
      != 0;
}

static void
handle_broadcast (RealtimeChannel *self, const RealtimeMessage *msg)
{
  JsonObject *obj;
  const gchar *event;
  JsonNode *payload;
  g_autoptr (JsonNode) null = NULL;
  GQuark detail;

  if (!JSON_NODE_HOLDS_OBJECT (msg->payload)) {
    _realtime_client_count_dropped (self->client);
    g_message ("channel %s: broadcast without an object payload dropped",
        self->topic);
    return;
  }
  obj = json_node_get_object (msg->payload);
  event = json_object_get_string_member_with_default (obj, "event", NULL);
  if (!event || !json_object_has_member (obj, "event")) {
    _realtime_client_count_dropped (self->client);
    g_message ("channel %s: broadcast without an event name dropped",
        self->topic);
    return;
  }
  payload = json_object_get_member (obj, "payload");
  if (!payload)
    payload = null = json_node_new (JSON_NODE_NULL);

  /* try_string: names from the network must not grow the quark table; a
   * detail nobody connected to has no quark, and only undetailed handlers
   * need to run. */
  detail = g_quark_try_string (event);
  g_signal_emit (self, signals[SIGNAL_BROADCAST], detail, event, payload);
  /* A frame the codec could not read as a plain broadcast (a numeric ref,
   * kind 3): its text written from the tree. */
  if (has_handler (self, SIGNAL_BROADCAST_JSON)) {
    g_autoptr (GString) json = g_string_sized_new (128);

    realtime_codec_append_json (json, payload);
    g_signal_emit (self, signals[SIGNAL_BROADCAST_JSON], detail, event,
        json->str);
  }
}

/* A broadcast read without a tree (realtime_codec_read_broadcast()): the
 * guards of _realtime_channel_handle_message() and handle_broadcast(), the
 * tree built only when "broadcast" has a handler for it. */
void
_realtime_channel_handle_broadcast (RealtimeChannel *self,
    const RealtimeBroadcast *broadcast)
{
  g_autoptr (RealtimeChannel) hold = g_object_ref (self);
  GQuark detail;

  if (broadcast->join_ref
      && g_strcmp0 (broadcast->join_ref, self->join_ref) != 0) {
    g_debug ("channel %s: broadcast for stale join_ref %s dropped", self->topic,
        broadcast->join_ref);
    _realtime_client_count_dropped (self->client);
    return;
  }
  if (self->state != REALTIME_CHANNEL_STATE_JOINED
      && self->state != REALTIME_CHANNEL_STATE_JOINING) {
    _realtime_client_count_dropped (self->client);
    return;
  }
  /* try_string: see handle_broadcast(). */
  detail = g_quark_try_string (broadcast->event);
  if (has_handler (self, SIGNAL_BROADCAST)) {
    g_autoptr (JsonNode) payload = realtime_broadcast_dup_payload (broadcast);

    g_signal_emit (self, signals[SIGNAL_BROADCAST], detail, broadcast->event,
        payload);
  }
  g_signal_emit (self, signals[SIGNAL_BROADCAST_JSON], detail, broadcast->event,
      broadcast->payload_json);
}

void
_realtime_channel_handle_message (RealtimeChannel *self,
    const RealtimeMessage *msg)
{
  g_autoptr (RealtimeChannel) hold = g_object_ref (self);

  if (g_strcmp0 (msg->event, "phx_reply") == 0) {
    /* Replies carry the join_ref of the push they answer; an old join's
     * reply for an in-flight push can only match its own ref. */
    handle_reply (self, msg);
    return;
  }

  /* Stale guard (vsn 2.0.0): a message of an older join is not ours. */
  if (msg->join_ref && g_strcmp0 (msg->join_ref, self->join_ref) != 0) {
    g_debug ("channel %s: %s for stale join_ref %s dropped", self->topic,
        msg->event, msg->join_ref);
    _realtime_client_count_dropped (self->client);
    return;
  }

  if (g_strcmp0 (msg->event, "phx_error") == 0) {
    JsonObject *obj = JSON_NODE_HOLDS_OBJECT (msg->payload)
        ? json_node_get_object (msg->payload)
        : NULL;
    const gchar *why = obj
        ? json_object_get_string_member_with_default (obj, "reason", NULL)
        : NULL;

    if (!is_current_join (self, msg)
        || (self->state != REALTIME_CHANNEL_STATE_JOINED
            && self->state != REALTIME_CHANNEL_STATE_JOINING))
      return;
    g_message ("channel %s: server reported a channel error", self->topic);
    clear_join (self);
    fail_in_flight (self, REALTIME_ERROR_DISCONNECTED, "channel error");
    set_state (self, REALTIME_CHANNEL_STATE_ERRORED, "phx_error from server");
    if (realtime_refusal_is_token_expired (why) && self->wanted
        && self->client) {
      g_autofree gchar *safe = realtime_escape_untrusted (why, 200);
      g_autofree gchar *reason
          = g_strdup_printf ("phx_error from server: %s", safe);
      token_expired (self, reason);
    } else {
      schedule_rejoin (self, REALTIME_FAILURE_LOST, "phx_error from server");
    }
  } else if (g_strcmp0 (msg->event, "phx_close") == 0) {
    if (!is_current_join (self, msg))
      return;
    if (self->state == REALTIME_CHANNEL_STATE_CLOSED
        || self->state == REALTIME_CHANNEL_STATE_ERRORED)
      return;
    server_ended_channel (self, REALTIME_FAILURE_LOST, "closed by server");
  } else if (g_strcmp0 (msg->event, "system") == 0) {
    JsonObject *obj = JSON_NODE_HOLDS_OBJECT (msg->payload)
        ? json_node_get_object (msg->payload)
        : NULL;
    const gchar *status = obj
        ? json_object_get_string_member_with_default (obj, "status", "")
        : "";
    const gchar *text = obj
        ? json_object_get_string_member_with_default (obj, "message", "")
        : "";

    if (g_strcmp0 (status, "error") == 0) {
      g_autofree gchar *safe = NULL;
      g_autofree gchar *reason
          = g_strdup_printf ("system error from server: %s",
              (safe = realtime_escape_untrusted (text, 200)));
      RealtimeFailureKind kind = realtime_refusal_from_system_message (text);

      /* A refusal is logged with what to fix when the rejoin is set. */
      if (kind == REALTIME_FAILURE_LOST || !self->wanted)
        g_message ("channel %s: %s", self->topic, reason);
      if (self->state == REALTIME_CHANNEL_STATE_JOINED
          || self->state == REALTIME_CHANNEL_STATE_JOINING)
        server_ended_channel (self, kind, reason);
    } else {
      g_autofree gchar *safe_text = realtime_escape_untrusted (text, 200);
      g_debug ("channel %s: system message: %s", self->topic, safe_text);
    }
  } else if (g_strcmp0 (msg->event, "broadcast") == 0) {
    if (self->state != REALTIME_CHANNEL_STATE_JOINED
        && self->state != REALTIME_CHANNEL_STATE_JOINING) {
      _realtime_client_count_dropped (self->client);
      return;
    }
    handle_broadcast (self, msg);
  } else if (g_strcmp0 (msg->event, "presence_state") == 0
      || g_strcmp0 (msg->event, "presence_diff") == 0) {
    g_signal_emit (self, signals[SIGNAL_PRESENCE], 0, msg->event, msg->payload);
  } else {
    g_autofree gchar *safe_event = realtime_escape_untrusted (msg->event, 64);
    g_debug ("channel %s: event %s ignored", self->topic, safe_event);
  }
}

/* A broadcast the client could not decode, reported as far as it could be
 * read: emitted like a broadcast would have been (same stale and state
 * guards), so that a request still gets its answer. */
void
_realtime_channel_handle_refused (RealtimeChannel *self,
    const RealtimeRefusedBroadcast *refused)
{
  g_autoptr (RealtimeChannel) hold = g_object_ref (self);

  if (refused->join_ref && g_strcmp0 (refused->join_ref, self->join_ref) != 0) {
    g_debug ("channel %s: refused broadcast for stale join_ref %s dropped",
        self->topic, refused->join_ref);
    return;
  }
  if (self->state != REALTIME_CHANNEL_STATE_JOINED
      && self->state != REALTIME_CHANNEL_STATE_JOINING)
    return;
  /* try_string: see handle_broadcast(). */
  g_signal_emit (self, signals[SIGNAL_BROADCAST_REFUSED],
      g_quark_try_string (refused->event), refused->event, refused->request_id,
      refused->reason, refused->pipeline);
}

void
_realtime_channel_socket_opened (RealtimeChannel *self)
{
  /* A fresh socket: rejoin at once. The ladder goes on (it starts over
   * at a join): the socket's own reconnect has already waited as the last
   * failure asked. */
  if (self->wanted && self->state != REALTIME_CHANNEL_STATE_JOINING
      && self->state != REALTIME_CHANNEL_STATE_JOINED)
    send_join (self);
}

void
_realtime_channel_socket_closed (RealtimeChannel *self, const gchar *reason)
{
  g_autofree gchar *why = g_strdup_printf ("connection lost: %s", reason);

  owned_source_clear (&self->rejoin_source);
  clear_join (self);
  g_clear_pointer (&self->leave_push, realtime_push_free);
  fail_in_flight (self, REALTIME_ERROR_DISCONNECTED, why);
  switch (self->state) {
    case REALTIME_CHANNEL_STATE_JOINED:
    case REALTIME_CHANNEL_STATE_JOINING:
    case REALTIME_CHANNEL_STATE_ERRORED:
      set_state (self,
          self->wanted ? REALTIME_CHANNEL_STATE_ERRORED
                       : REALTIME_CHANNEL_STATE_CLOSED,
          why);
      break;
    case REALTIME_CHANNEL_STATE_LEAVING:
      set_state (self, REALTIME_CHANNEL_STATE_CLOSED, why);
      break;
    case REALTIME_CHANNEL_STATE_CLOSED:
      break;
  }
}

void
_realtime_channel_token_changed (RealtimeChannel *self)
{
  const gchar *token;
  g_autoptr (JsonBuilder) b = NULL;
  RealtimePush *push;

  /* Waiting at the cap for a token newer than the expired one: here it
   * is, rejoin with it now. */
  if (self->token_expired && self->wanted
      && self->state == REALTIME_CHANNEL_STATE_ERRORED && self->client) {
    self->token_expired = FALSE;
    if (_realtime_client_is_connected (self->client)) {
      g_message ("channel %s: a newer access token is set: rejoining with "
                 "it now",
          self->topic);
      send_join (self);
    } else {
      owned_source_clear (&self->rejoin_source);
    }
    return;
  }
  /* Later joins build their payload from the client's token; joined
   * channels are told now. */
  if (self->state != REALTIME_CHANNEL_STATE_JOINED || !self->client
      || !_realtime_client_is_connected (self->client))
    return;
  token = _realtime_client_get_access_token (self->client);
  if (!token)
    return;
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "access_token");
  json_builder_add_string_value (b, token);
  json_builder_end_object (b);
  push = realtime_push_new ("access_token", json_builder_get_root (b), 0, NULL,
      NULL);
  if (realtime_push_send (push, self->client, self->topic, self->join_ref))
    self->token_generation
        = _realtime_client_get_token_generation (self->client);
  realtime_push_free (push);
  g_info ("channel %s: access token pushed", self->topic);
}

RealtimeChannel *
_realtime_channel_new (RealtimeClient *client, const gchar *name)
{
  RealtimeChannel *self
      = g_object_new (REALTIME_TYPE_CHANNEL, "name", name, NULL);
  guint min_ms, max_ms;

  self->client = client;
  _realtime_client_get_backoff (client, &min_ms, &max_ms);
  realtime_reconnect_policy_set_bounds (&self->rejoin_policy, min_ms, max_ms);
  return self;
}

void
_realtime_channel_detach (RealtimeChannel *self)
{
  self->wanted = FALSE;
  owned_source_clear (&self->rejoin_source);
  clear_join (self);
  g_clear_pointer (&self->leave_push, realtime_push_free);
  fail_in_flight (self, REALTIME_ERROR_CLOSED, "channel removed");
  clear_buffer (self, REALTIME_ERROR_CLOSED, "channel removed");
  set_state (self, REALTIME_CHANNEL_STATE_CLOSED, "removed");
  self->client = NULL;
}

/* --- GObject --- */

static void
realtime_channel_init (RealtimeChannel *self)
{
  self->state = REALTIME_CHANNEL_STATE_CLOSED;
  self->presence_key = g_strdup ("");
  g_queue_init (&self->buffer);
  realtime_reconnect_policy_init (&self->rejoin_policy,
      REALTIME_DEFAULT_BACKOFF_MIN, REALTIME_DEFAULT_BACKOFF_MAX);
}

static void
realtime_channel_dispose (GObject *object)
{
  RealtimeChannel *self = REALTIME_CHANNEL (object);

  owned_source_clear (&self->rejoin_source);
  clear_join (self);
  g_clear_pointer (&self->leave_push, realtime_push_free);
  fail_in_flight (self, REALTIME_ERROR_CLOSED, "channel disposed");
  clear_buffer (self, REALTIME_ERROR_CLOSED, "channel disposed");
  self->client = NULL;
  G_OBJECT_CLASS (realtime_channel_parent_class)->dispose (object);
}

static void
realtime_channel_finalize (GObject *object)
{
  RealtimeChannel *self = REALTIME_CHANNEL (object);

  realtime_reconnect_policy_clear (&self->rejoin_policy);
  g_free (self->name);
  g_free (self->topic);
  g_free (self->presence_key);
  g_free (self->join_ref);
  G_OBJECT_CLASS (realtime_channel_parent_class)->finalize (object);
}

static void
realtime_channel_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec)
{
  RealtimeChannel *self = REALTIME_CHANNEL (object);

  switch (prop_id) {
    case PROP_NAME:
      g_free (self->name);
      self->name = g_value_dup_string (value);
      g_free (self->topic);
      self->topic
          = g_strconcat ("realtime:", self->name ? self->name : "", NULL);
      break;
    case PROP_PRIVATE:
      self->private_ = g_value_get_boolean (value);
      break;
    case PROP_BROADCAST_SELF:
      self->broadcast_self = g_value_get_boolean (value);
      break;
    case PROP_BROADCAST_ACK:
      self->broadcast_ack = g_value_get_boolean (value);
      break;
    case PROP_PRESENCE_KEY:
      g_free (self->presence_key);
      self->presence_key = g_strdup (
          g_value_get_string (value) ? g_value_get_string (value) : "");
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
realtime_channel_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  RealtimeChannel *self = REALTIME_CHANNEL (object);

  switch (prop_id) {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_TOPIC:
      g_value_set_string (value, self->topic);
      break;
    case PROP_PRIVATE:
      g_value_set_boolean (value, self->private_);
      break;
    case PROP_BROADCAST_SELF:
      g_value_set_boolean (value, self->broadcast_self);
      break;
    case PROP_BROADCAST_ACK:
      g_value_set_boolean (value, self->broadcast_ack);
      break;
    case PROP_PRESENCE_KEY:
      g_value_set_string (value, self->presence_key);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_JOINS:
      g_value_set_uint (value, self->joins);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
realtime_channel_class_init (RealtimeChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = realtime_channel_dispose;
  object_class->finalize = realtime_channel_finalize;
  object_class->set_property = realtime_channel_set_property;
  object_class->get_property = realtime_channel_get_property;

  props[PROP_NAME] = g_param_spec_string ("name", "Name",
      "Channel name, without the realtime: prefix", NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  props[PROP_TOPIC] = g_param_spec_string ("topic", "Topic",
      "Phoenix topic (realtime:<name>)", NULL,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_PRIVATE] = g_param_spec_boolean ("private", "Private",
      "Join as a private channel (RLS-authorised)", FALSE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  props[PROP_BROADCAST_SELF] = g_param_spec_boolean ("broadcast-self",
      "Broadcast self", "Receive the broadcasts this client sends", FALSE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  props[PROP_BROADCAST_ACK] = g_param_spec_boolean ("broadcast-ack",
      "Broadcast ack", "Ask the server to acknowledge every broadcast", FALSE,
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  props[PROP_PRESENCE_KEY] = g_param_spec_string ("presence-key",
      "Presence key", "Presence key (empty: presence disabled)", "",
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  props[PROP_STATE] = g_param_spec_enum ("state", "State",
      "Join state of the channel", REALTIME_TYPE_CHANNEL_STATE,
      REALTIME_CHANNEL_STATE_CLOSED, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_JOINS]
      = g_param_spec_uint ("joins", "Joins", "Number of acknowledged joins", 0,
          G_MAXUINT, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /**
   * RealtimeChannel::state-changed:
   * @state: the new #RealtimeChannelState
   * @reason: why it changed
   */
  signals[SIGNAL_STATE_CHANGED] = g_signal_new ("state-changed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, REALTIME_TYPE_CHANNEL_STATE, G_TYPE_STRING);

  /**
   * RealtimeChannel::broadcast:
   * @event: the broadcast event name (also the signal detail)
   * @payload: the broadcast payload
   */
  signals[SIGNAL_BROADCAST] = g_signal_new ("broadcast",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0, NULL,
      NULL, _realtime_marshal_VOID__STRING_BOXED, G_TYPE_NONE, 2,
      G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
      JSON_TYPE_NODE | G_SIGNAL_TYPE_STATIC_SCOPE);
  /* Per message: a direct call, no libffi, no copy of the event or of the
   * payload (the channel holds both for the whole emission; a handler that
   * keeps the node takes its own reference). */
  g_signal_set_va_marshaller (signals[SIGNAL_BROADCAST],
      G_TYPE_FROM_CLASS (klass), _realtime_marshal_VOID__STRING_BOXEDv);

  /**
   * RealtimeChannel::broadcast-json:
   * @event: the broadcast event name (also the signal detail)
   * @json: the broadcast payload as compact JSON text
   *
   * Emitted for every broadcast after "broadcast", with the payload as it
   * came (whitespace between tokens removed). Connecting only to this
   * signal spares the channel the payload's tree.
   */
  signals[SIGNAL_BROADCAST_JSON] = g_signal_new ("broadcast-json",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0, NULL,
      NULL, _realtime_marshal_VOID__STRING_STRING, G_TYPE_NONE, 2,
      G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
      G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  g_signal_set_va_marshaller (signals[SIGNAL_BROADCAST_JSON],
      G_TYPE_FROM_CLASS (klass), _realtime_marshal_VOID__STRING_STRINGv);

  /**
   * RealtimeChannel::broadcast-refused:
   * @event: the broadcast event name (also the signal detail)
   * @request_id: (nullable): the payload's "request_id" when it could be
   *   read as a plain string (realtime_codec_peek_refused())
   * @reason: why the broadcast was refused, short and stable ("nested too
   *   deep", "message too large (N bytes, limit M)"...)
   * @pipeline: (nullable): the payload's "pipeline", read likewise
   *
   * A broadcast on this topic that was not delivered: the codec refused its
   * payload, or it was above the client's max-message-size. Emitted instead
   * of #RealtimeChannel::broadcast, so that its sender can be answered.
   */
  signals[SIGNAL_BROADCAST_REFUSED] = g_signal_new ("broadcast-refused",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0, NULL,
      NULL, NULL, G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
      G_TYPE_STRING);

  /**
   * RealtimeChannel::presence:
   * @event: "presence_state" or "presence_diff"
   * @payload: the presence payload
   */
  signals[SIGNAL_PRESENCE]
      = g_signal_new ("presence", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
          0, NULL, NULL, _realtime_marshal_VOID__STRING_BOXED, G_TYPE_NONE, 2,
          G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
          JSON_TYPE_NODE | G_SIGNAL_TYPE_STATIC_SCOPE);
  g_signal_set_va_marshaller (signals[SIGNAL_PRESENCE],
      G_TYPE_FROM_CLASS (klass), _realtime_marshal_VOID__STRING_BOXEDv);
}

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * answer-queue.c: lanes of waiting messages served round-robin under the
 * outbound budget (see answer-queue.h).
 *
 * A lane is a FIFO of items; the lanes with something waiting form a ring.
 * A turn takes the ring's head lane, sends its first item and puts the
 * lane back at the tail if it still holds any: with N lanes waiting each
 * gets one message in N. Pushing always goes through the ring, so a
 * message never overtakes one already waiting.
 */
#include "answer-queue.h"
#include "owned-source.h"
#include "request.h"

#include <string.h>

/* Built into the core library (log domain "realtime"); this part belongs
 * to the gateway component. */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "gateway"

typedef enum
{
  ITEM_STATE, /* a pipeline's state answers, coalesced */
  ITEM_FAILURE, /* rejections of one pipeline and reason, coalesced */
  ITEM_MESSAGE, /* one message of its own */
  ITEM_LATEST, /* one call at the lane's turn */
} ItemKind;

typedef struct
{
  ItemKind kind;
  gint64 since_us; /* first queued, on the budget's clock */

  /* STATE and FAILURE: the answer, and the request_ids it carries in the
   * order of their latest answer; @id_set holds the same strings. */
  gchar *pipeline; /* nullable */
  gchar *state;
  gchar *error; /* nullable; the reason of a FAILURE */
  JsonNode *params; /* nullable */
  GPtrArray *ids;
  GHashTable *id_set;

  /* MESSAGE */
  gchar *event;
  JsonNode *payload;

  /* LATEST */
  GatewayAnswerLatestFunc func;
  gpointer func_data;
} Item;

typedef struct
{
  gchar *key; /* "p:" pipeline lane, "f:" for no pipeline of ours, "x:" named */
  GQueue items; /* Item* */
  guint n_reasons; /* FAILURE items waiting */
  gboolean in_ring;
} Lane;

struct _GatewayAnswerQueue
{
  GMainContext *context;
  SendBudget *budget;
  gchar *reply_event;
  GatewayAnswerSendFunc send;
  gpointer send_data;
  GatewayAnswerDrainedFunc drained;
  gpointer drained_data;

  GHashTable *lanes; /* key -> Lane*, only lanes holding items */
  GQueue ring; /* Lane*, each lane holding items once */
  GSource *timer; /* owned: the next token is due */
  gboolean open;
  gboolean flushing;

  GatewayAnswerQueueStats stats;
};

static void
item_free (Item *item)
{
  g_free (item->pipeline);
  g_free (item->state);
  g_free (item->error);
  g_clear_pointer (&item->params, json_node_unref);
  g_clear_pointer (&item->id_set, g_hash_table_unref);
  g_clear_pointer (&item->ids, g_ptr_array_unref);
  g_free (item->event);
  g_clear_pointer (&item->payload, json_node_unref);
  g_free (item);
}

static void
lane_free (gpointer data)
{
  Lane *lane = data;

  g_queue_clear_full (&lane->items, (GDestroyNotify)item_free);
  g_free (lane->key);
  g_free (lane);
}

static Item *
item_new (GatewayAnswerQueue *q, ItemKind kind)
{
  Item *item = g_new0 (Item, 1);

  item->kind = kind;
  item->since_us = send_budget_now (q->budget);
  if (kind == ITEM_STATE || kind == ITEM_FAILURE) {
    item->ids = g_ptr_array_new_with_free_func (g_free);
    item->id_set = g_hash_table_new (g_str_hash, g_str_equal);
  }
  return item;
}

/* Adds @id (nullable: nothing) at the end of @item's request_ids; one
 * already there moves to the end, still once. */
static void
item_add_id (Item *item, const gchar *id)
{
  gchar *copy;
  guint index;

  if (!id)
    return;
  copy = g_hash_table_lookup (item->id_set, id);
  if (copy && g_ptr_array_find (item->ids, copy, &index)) {
    g_ptr_array_add (item->ids, g_ptr_array_steal_index (item->ids, index));
    return;
  }
  copy = g_strdup (id);
  g_ptr_array_add (item->ids, copy);
  g_hash_table_add (item->id_set, copy);
}

static Lane *
lane_get (GatewayAnswerQueue *q, const gchar *prefix, const gchar *name)
{
  g_autofree gchar *key = g_strconcat (prefix, name ? name : "", NULL);
  Lane *lane = g_hash_table_lookup (q->lanes, key);

  if (!lane) {
    lane = g_new0 (Lane, 1);
    lane->key = g_steal_pointer (&key);
    g_hash_table_insert (q->lanes, lane->key, lane);
  }
  return lane;
}

/* Queues @item at the end of @lane, and the lane in the ring. */
static void
lane_push (GatewayAnswerQueue *q, Lane *lane, Item *item)
{
  g_queue_push_tail (&lane->items, item);
  q->stats.pending++;
  if (item->kind == ITEM_FAILURE)
    lane->n_reasons++;
  if (!lane->in_ring) {
    lane->in_ring = TRUE;
    g_queue_push_tail (&q->ring, lane);
  }
}

/* The waiting item of @lane that @match accepts, or NULL. */
static Item *
lane_find (Lane *lane, gboolean (*match) (Item *, gconstpointer),
    gconstpointer data)
{
  GList *l;

  for (l = lane->items.head; l; l = l->next)
    if (match (l->data, data))
      return l->data;
  return NULL;
}

static gboolean
is_state (Item *item, gconstpointer data)
{
  return item->kind == ITEM_STATE;
}

typedef struct
{
  const gchar *pipeline;
  const gchar *reason;
} FailureKey;

static gboolean
is_failure (Item *item, gconstpointer data)
{
  const FailureKey *key = data;

  return item->kind == ITEM_FAILURE
      && g_strcmp0 (item->pipeline, key->pipeline) == 0
      && g_strcmp0 (item->error, key->reason) == 0;
}

static gboolean
is_latest (Item *item, gconstpointer data)
{
  return item->kind == ITEM_LATEST;
}

static void set_timer (GatewayAnswerQueue *q);

/* The payload of a STATE or FAILURE item, with its first @n ids. */
static JsonNode *
answer_payload (Item *item, guint n)
{
  g_autofree const gchar **ids = g_new0 (const gchar *, n + 1);
  guint i;

  for (i = 0; i < n; i++)
    ids[i] = g_ptr_array_index (item->ids, i);
  return gateway_state_payload_new (item->pipeline, item->state, ids,
      item->error, item->params);
}

/* Sends @lane's first item (or its first GATEWAY_ANSWER_IDS_MAX ids): TRUE
 * when the item is done. */
static gboolean
send_item (GatewayAnswerQueue *q, Item *item)
{
  g_autoptr (JsonNode) payload = NULL;
  guint n, i;

  switch (item->kind) {
    case ITEM_STATE:
    case ITEM_FAILURE:
      n = MIN (item->ids->len, GATEWAY_ANSWER_IDS_MAX);
      payload = answer_payload (item, n);
      if (item->ids->len > 1)
        g_info ("pipeline %s: %s sent for %u requests",
            item->pipeline ? item->pipeline : "(none)", item->state, n);
      q->send (q->reply_event, payload, q->send_data);
      if (n == item->ids->len)
        return TRUE;
      /* The rest go in the next turn, with whatever state is latest. */
      for (i = 0; i < n; i++)
        g_hash_table_remove (item->id_set, g_ptr_array_index (item->ids, i));
      g_ptr_array_remove_range (item->ids, 0, n);
      return FALSE;
    case ITEM_MESSAGE:
      q->send (item->event, item->payload, q->send_data);
      return TRUE;
    case ITEM_LATEST:
      item->func (item->func_data);
      return TRUE;
  }
  return TRUE;
}

/* One turn: the ring's head lane sends one message. */
static void
take_turn (GatewayAnswerQueue *q)
{
  Lane *lane = g_queue_pop_head (&q->ring);
  Item *item = g_queue_peek_head (&lane->items);
  gint64 waited = send_budget_now (q->budget) - item->since_us;

  q->stats.messages++;
  if (waited > 0) {
    q->stats.delayed++;
    q->stats.wait_seconds += waited / (gdouble)G_USEC_PER_SEC;
  }
  /* One line per message on the channel, at the moment it leaves (the
   * daemon's suite checks the budget on these times). */
  g_debug ("outbound: message %" G_GUINT64_FORMAT " sent from lane %s after "
           "%.3f s",
      q->stats.messages, lane->key, MAX (waited, 0) / (gdouble)G_USEC_PER_SEC);
  if (send_item (q, item)) {
    g_queue_pop_head (&lane->items);
    q->stats.pending--;
    if (item->kind == ITEM_FAILURE)
      lane->n_reasons--;
    item_free (item);
  } else {
    item->since_us = send_budget_now (q->budget);
  }
  if (g_queue_is_empty (&lane->items)) {
    lane->in_ring = FALSE;
    g_hash_table_remove (q->lanes, lane->key);
  } else {
    g_queue_push_tail (&q->ring, lane);
  }
}

/**
 * gateway_answer_queue_flush:
 * @queue: a queue
 *
 * Sends what waits, as far as the budget allows now, lanes taking turns;
 * sets the timer for the next token when something is left.
 */
void
gateway_answer_queue_flush (GatewayAnswerQueue *q)
{
  gboolean sent = FALSE;

  /* A send may push (its handler answering): the loop below takes it. */
  if (q->flushing)
    return;
  q->flushing = TRUE;
  owned_source_clear (&q->timer);
  while (
      q->open && !g_queue_is_empty (&q->ring) && send_budget_take (q->budget)) {
    take_turn (q);
    sent = TRUE;
  }
  q->flushing = FALSE;
  if (q->open && !g_queue_is_empty (&q->ring))
    set_timer (q);
  else if (sent && g_queue_is_empty (&q->ring) && q->drained)
    q->drained (q->drained_data);
}

static gboolean
on_timer (gpointer data)
{
  GatewayAnswerQueue *q = data;

  owned_source_clear (&q->timer);
  gateway_answer_queue_flush (q);
  return G_SOURCE_REMOVE;
}

static void
set_timer (GatewayAnswerQueue *q)
{
  gint64 wait_us = send_budget_wait_us (q->budget);

  owned_source_clear (&q->timer);
  /* Rounded up: a timer a hair early would find no token yet. */
  q->timer = owned_source_timeout_attach (q->context,
      (guint)MAX ((wait_us + 999) / 1000, 1), on_timer, q);
}

/**
 * gateway_answer_queue_push_state:
 * @queue: a queue
 * @pipeline: the pipeline's name
 * @state: its state ("starting", "playing", ...)
 * @request_id: (nullable): the request answered
 * @error: (nullable): the reason, for failed (and unasked stops)
 * @params: (nullable) (transfer none): the params in effect
 *
 * Answers with @pipeline's state: at once when the budget allows and
 * nothing waits ahead, else coalesced with the lane's waiting state.
 */
void
gateway_answer_queue_push_state (GatewayAnswerQueue *q, const gchar *pipeline,
    const gchar *state, const gchar *request_id, const gchar *error,
    JsonNode *params)
{
  Lane *lane;
  Item *item;

  g_return_if_fail (q != NULL && pipeline != NULL && state != NULL);

  q->stats.answers++;
  lane = lane_get (q, "p:", pipeline);
  item = lane_find (lane, is_state, NULL);
  if (item) {
    q->stats.coalesced++;
  } else {
    item = item_new (q, ITEM_STATE);
    item->pipeline = g_strdup (pipeline);
    lane_push (q, lane, item);
  }
  /* The latest state wins; the request_ids add up. */
  g_free (item->state);
  item->state = g_strdup (state);
  g_free (item->error);
  item->error = g_strdup (error);
  g_clear_pointer (&item->params, json_node_unref);
  item->params = params ? json_node_copy (params) : NULL;
  item_add_id (item, request_id);
  gateway_answer_queue_flush (q);
}

/**
 * gateway_answer_queue_push_failure:
 * @queue: a queue
 * @lane: (nullable): the lane, a pipeline of ours; %NULL for the shared
 *   lane of requests for no pipeline of ours
 * @pipeline: (nullable): the pipeline the answer names
 * @request_id: (nullable): the request rejected
 * @reason: why
 *
 * Answers "failed" with @reason: at once when the budget allows, else
 * coalesced with the waiting rejections of the same pipeline and reason.
 */
void
gateway_answer_queue_push_failure (GatewayAnswerQueue *q,
    const gchar *lane_name, const gchar *pipeline, const gchar *request_id,
    const gchar *reason)
{
  FailureKey key = { pipeline, reason };
  Lane *lane;
  Item *item;

  g_return_if_fail (q != NULL && reason != NULL);

  q->stats.answers++;
  lane = lane_name ? lane_get (q, "p:", lane_name) : lane_get (q, "f:", NULL);
  item = lane_find (lane, is_failure, &key);
  if (!item && lane->n_reasons >= GATEWAY_ANSWER_REASONS_MAX) {
    /* Bounded: a flood of distinct reasons shares one. */
    key.pipeline = NULL;
    key.reason = GATEWAY_ANSWER_REASON_NOT_KEPT;
    item = lane_find (lane, is_failure, &key);
  }
  if (item) {
    q->stats.coalesced++;
  } else {
    item = item_new (q, ITEM_FAILURE);
    item->pipeline = g_strdup (key.pipeline);
    item->state = g_strdup ("failed");
    item->error = g_strdup (key.reason);
    lane_push (q, lane, item);
  }
  item_add_id (item, request_id);
  gateway_answer_queue_flush (q);
}

/**
 * gateway_answer_queue_push_message:
 * @queue: a queue
 * @lane: the lane's name
 * @event: the broadcast's event
 * @payload: (transfer none): its payload, copied
 *
 * Sends one message of its own, after those waiting in @lane.
 */
void
gateway_answer_queue_push_message (GatewayAnswerQueue *q, const gchar *lane,
    const gchar *event, JsonNode *payload)
{
  Item *item;

  g_return_if_fail (q != NULL && lane != NULL && event != NULL);

  item = item_new (q, ITEM_MESSAGE);
  item->event = g_strdup (event);
  item->payload = payload ? json_node_copy (payload) : NULL;
  lane_push (q, lane_get (q, "x:", lane), item);
  gateway_answer_queue_flush (q);
}

/**
 * gateway_answer_queue_push_latest:
 * @queue: a queue
 * @lane: the lane's name (one caller's)
 * @func: sends the newest state, one message, when called
 * @user_data: (closure): for @func
 *
 * Asks for one call of @func at @lane's turn (at once when the budget
 * allows); while one is pending a second ask changes nothing, so a
 * waiting update is replaced by the newest.
 */
void
gateway_answer_queue_push_latest (GatewayAnswerQueue *q, const gchar *lane_name,
    GatewayAnswerLatestFunc func, gpointer user_data)
{
  Lane *lane;
  Item *item;

  g_return_if_fail (q != NULL && lane_name != NULL && func != NULL);

  lane = lane_get (q, "x:", lane_name);
  item = lane_find (lane, is_latest, NULL);
  if (!item) {
    item = item_new (q, ITEM_LATEST);
    lane_push (q, lane, item);
  }
  item->func = func;
  item->func_data = user_data;
  gateway_answer_queue_flush (q);
}

/**
 * gateway_answer_queue_cancel:
 * @queue: a queue
 * @lane: a lane's name
 *
 * Forgets what waits in the lane @lane (push_message, push_latest).
 */
void
gateway_answer_queue_cancel (GatewayAnswerQueue *q, const gchar *lane_name)
{
  g_autofree gchar *key = g_strconcat ("x:", lane_name, NULL);
  Lane *lane;

  g_return_if_fail (q != NULL && lane_name != NULL);

  lane = g_hash_table_lookup (q->lanes, key);
  if (!lane)
    return;
  q->stats.pending -= g_queue_get_length (&lane->items);
  if (lane->in_ring)
    g_queue_remove (&q->ring, lane);
  g_hash_table_remove (q->lanes, key);
}

/**
 * gateway_answer_queue_new:
 * @context: (nullable): where the flush timer runs
 * @budget: (transfer full): the channel's outbound budget
 * @reply_event: the event of answers ("pipeline_state")
 * @send: sends one message
 * @user_data: (closure): for @send
 *
 * Returns: (transfer full): an empty, open queue
 */
GatewayAnswerQueue *
gateway_answer_queue_new (GMainContext *context, SendBudget *budget,
    const gchar *reply_event, GatewayAnswerSendFunc send, gpointer user_data)
{
  GatewayAnswerQueue *q;

  g_return_val_if_fail (budget != NULL && reply_event != NULL, NULL);
  g_return_val_if_fail (send != NULL, NULL);

  q = g_new0 (GatewayAnswerQueue, 1);
  q->context = context ? g_main_context_ref (context) : NULL;
  q->budget = budget;
  q->reply_event = g_strdup (reply_event);
  q->send = send;
  q->send_data = user_data;
  q->lanes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, lane_free);
  q->open = TRUE;
  return q;
}

/**
 * gateway_answer_queue_free:
 * @queue: (nullable): a queue
 *
 * Frees @queue; what waits is dropped unsent.
 */
void
gateway_answer_queue_free (GatewayAnswerQueue *q)
{
  if (!q)
    return;
  owned_source_clear (&q->timer);
  if (q->stats.pending > 0)
    g_message ("outbound: %u waiting messages dropped", q->stats.pending);
  g_queue_clear (&q->ring);
  g_hash_table_unref (q->lanes);
  send_budget_free (q->budget);
  g_free (q->reply_event);
  if (q->context)
    g_main_context_unref (q->context);
  g_free (q);
}

/**
 * gateway_answer_queue_get_budget:
 * @queue: a queue
 *
 * Returns: (transfer none): its budget
 */
SendBudget *
gateway_answer_queue_get_budget (GatewayAnswerQueue *q)
{
  return q->budget;
}

/**
 * gateway_answer_queue_set_budget:
 * @queue: a queue
 * @budget: (transfer full): the new budget
 *
 * Replaces the budget; what waits goes by the new one.
 */
void
gateway_answer_queue_set_budget (GatewayAnswerQueue *q, SendBudget *budget)
{
  g_return_if_fail (q != NULL && budget != NULL);

  send_budget_free (q->budget);
  q->budget = budget;
  gateway_answer_queue_flush (q);
}

/**
 * gateway_answer_queue_set_open:
 * @queue: a queue
 * @open: whether messages may be sent (the channel is joined)
 *
 * Closed, everything waits (and answers keep coalescing); opening sends
 * what the budget allows at once.
 */
void
gateway_answer_queue_set_open (GatewayAnswerQueue *q, gboolean open)
{
  g_return_if_fail (q != NULL);

  if (q->open == open)
    return;
  q->open = open;
  if (open)
    gateway_answer_queue_flush (q);
  else
    owned_source_clear (&q->timer);
}

/**
 * gateway_answer_queue_is_open:
 * @queue: a queue
 *
 * Returns: whether messages may be sent
 */
gboolean
gateway_answer_queue_is_open (GatewayAnswerQueue *q)
{
  return q->open;
}

/**
 * gateway_answer_queue_set_drained_func:
 * @queue: a queue
 * @func: (nullable): called when the last waiting message was sent
 * @user_data: (closure): for @func
 */
void
gateway_answer_queue_set_drained_func (GatewayAnswerQueue *q,
    GatewayAnswerDrainedFunc func, gpointer user_data)
{
  q->drained = func;
  q->drained_data = user_data;
}

/**
 * gateway_answer_queue_get_stats:
 * @queue: a queue
 * @stats: (out caller-allocates): the counters
 */
void
gateway_answer_queue_get_stats (GatewayAnswerQueue *q,
    GatewayAnswerQueueStats *stats)
{
  *stats = q->stats;
}

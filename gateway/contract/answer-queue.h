/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * answer-queue.h: what the gateway sends on its channel, kept under the
 * channel's outbound budget (send-budget.h). Everything outbound goes
 * through here: "pipeline_state" answers, other messages (catalogs) and
 * presence.
 *
 * A message goes at once when the budget has a token and nothing waits
 * ahead of it; otherwise it waits in its lane, and the lanes take turns
 * (round-robin), one message per turn, as tokens come. While it waits:
 *
 *   - a pipeline's state answers coalesce into one: the latest state,
 *     error and params, with every request_id answered so far, each once,
 *     in the order of their latest answer ("request_id" is the last);
 *     so no state is ever sent after a newer one of the same pipeline;
 *   - rejections coalesce with those of the same pipeline and reason; a
 *     lane keeps at most GATEWAY_ANSWER_REASONS_MAX different reasons
 *     waiting, the rest share one reason saying theirs was not kept;
 *   - a latest lane (presence) holds at most one pending send, made with
 *     the newest state when its turn comes;
 *   - other messages wait in order.
 *
 * No answer is lost and none is sent twice: every request_id pushed goes
 * out in exactly one message per state pushed for it. A message carries
 * at most GATEWAY_ANSWER_IDS_MAX request_ids (the rest go in the next).
 * While closed (the channel is not joined) nothing is sent and answers
 * keep coalescing.
 *
 * Runs on one GMainContext: a timer (an owned GSource) flushes when the
 * next token is due.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "send-budget.h"

G_BEGIN_DECLS

#define GATEWAY_ANSWER_IDS_MAX 256
#define GATEWAY_ANSWER_REASONS_MAX 16
/* The reason of rejections beyond GATEWAY_ANSWER_REASONS_MAX waiting. */
#define GATEWAY_ANSWER_REASON_NOT_KEPT                                         \
  "rejected; the reason was not kept: too many different rejections were "     \
  "waiting for the outbound budget"

typedef struct _GatewayAnswerQueue GatewayAnswerQueue;

/* Sends @payload (transfer none) as a broadcast of @event now. */
typedef void (*GatewayAnswerSendFunc) (const gchar *event, JsonNode *payload,
    gpointer user_data);
/* A latest lane's turn: sends the newest state now (one message). */
typedef void (*GatewayAnswerLatestFunc) (gpointer user_data);
/* Everything waiting was sent. */
typedef void (*GatewayAnswerDrainedFunc) (gpointer user_data);

typedef struct
{
  guint64 messages; /* sent through the budget, presence included */
  guint64 answers; /* state answers and rejections pushed */
  guint64 coalesced; /* answers that joined a waiting message */
  guint64 delayed; /* messages that waited for their turn */
  gdouble wait_seconds; /* summed over messages: first queued to sent */
  guint pending; /* messages waiting now */
} GatewayAnswerQueueStats;

/* @budget: taken; @context: where the flush timer runs (%NULL: the global
 * default); @reply_event: the event of state answers and rejections;
 * @send: sends one message. Open at creation. */
GatewayAnswerQueue *
gateway_answer_queue_new (GMainContext *context, SendBudget *budget,
    const gchar *reply_event, GatewayAnswerSendFunc send, gpointer user_data);
/* Drops what waits, unsent. */
void gateway_answer_queue_free (GatewayAnswerQueue *queue);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GatewayAnswerQueue, gateway_answer_queue_free)

SendBudget *gateway_answer_queue_get_budget (GatewayAnswerQueue *queue);
/* Replaces the budget (taken); what waits goes by the new one. */
void
gateway_answer_queue_set_budget (GatewayAnswerQueue *queue, SendBudget *budget);

/* Closed: nothing is sent (the channel cannot take it). Opening sends
 * what the budget allows at once. */
void gateway_answer_queue_set_open (GatewayAnswerQueue *queue, gboolean open);
gboolean gateway_answer_queue_is_open (GatewayAnswerQueue *queue);

/* A pipeline's state (@request_id nullable: a change nobody asked for),
 * in the lane of @pipeline; @params (transfer none) nullable. */
void gateway_answer_queue_push_state (GatewayAnswerQueue *queue,
    const gchar *pipeline, const gchar *state, const gchar *request_id,
    const gchar *error, JsonNode *params);
/* A rejection ("failed" with @reason, empty params) naming @pipeline
 * (nullable), in @lane (nullable: the lane of requests for no pipeline of
 * ours, so that names made up by a sender share one turn). */
void
gateway_answer_queue_push_failure (GatewayAnswerQueue *queue, const gchar *lane,
    const gchar *pipeline, const gchar *request_id, const gchar *reason);
/* A message of its own (@payload copied), after those already waiting in
 * @lane. Lanes named here never meet pipeline lanes. */
void gateway_answer_queue_push_message (GatewayAnswerQueue *queue,
    const gchar *lane, const gchar *event, JsonNode *payload);
/* Asks for one call of @func at @lane's turn; a call already pending
 * stays the one (it sends the newest state when it runs). */
void gateway_answer_queue_push_latest (GatewayAnswerQueue *queue,
    const gchar *lane, GatewayAnswerLatestFunc func, gpointer user_data);
/* Forgets what waits in the lane named @lane (push_message, push_latest). */
void gateway_answer_queue_cancel (GatewayAnswerQueue *queue, const gchar *lane);

/* Sends what the budget allows now, and sets the timer for the rest (the
 * timer calls it; tests with their own clock call it too). */
void gateway_answer_queue_flush (GatewayAnswerQueue *queue);

/* Called whenever the queue has just sent its last waiting message. */
void gateway_answer_queue_set_drained_func (GatewayAnswerQueue *queue,
    GatewayAnswerDrainedFunc func, gpointer user_data);

void gateway_answer_queue_get_stats (GatewayAnswerQueue *queue,
    GatewayAnswerQueueStats *stats);

G_END_DECLS

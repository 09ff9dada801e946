/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-send-budget.c: the outbound budget (send-budget.h) and the answer
 * queue that spends it (answer-queue.h), on a fake clock. The budget: its
 * burst, its rate, never more than the rate in any one-second window,
 * exact waits. The queue: answers at once while the budget allows, then
 * coalesced per pipeline with every request_id answered exactly once and
 * no state sent after a newer one, pipelines served round-robin, bounded
 * rejections, presence as one pending update, nothing sent while closed.
 */
#include "test-util.h"

#include "answer-queue.h"
#include "gateway-config.h"
#include "send-budget.h"

#include <stdlib.h>
#include <string.h>

#define SECOND G_USEC_PER_SEC

static gint64 now_us;

static gint64
fake_clock (gpointer user_data)
{
  return now_us;
}

static SendBudget *
budget_new (guint rate, guint burst)
{
  SendBudget *b = send_budget_new (rate, burst);

  now_us = 1000 * SECOND;
  send_budget_set_clock (b, fake_clock, NULL);
  return b;
}

/* Fails unless no one-second window [t, t + 1 s) of @times (sorted) holds
 * more than @rate of them. */
static void
assert_window (GArray *times, guint rate)
{
  guint i, j = 0;

  for (i = 0; i < times->len; i++) {
    gint64 t = g_array_index (times, gint64, i);
    while (g_array_index (times, gint64, j) <= t - SECOND)
      j++;
    fail_unless (i - j + 1 <= rate,
        "%u messages within one second (at %" G_GINT64_FORMAT
        " us), the rate is %u",
        i - j + 1, t, rate);
  }
}

/* Tries to send every @step_us for @duration_us; the send times. */
static GArray *
drive (SendBudget *b, gint64 step_us, gint64 duration_us)
{
  GArray *times = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 end = now_us + duration_us;

  for (; now_us < end; now_us += step_us)
    while (send_budget_take (b))
      g_array_append_val (times, now_us);
  return times;
}

GST_START_TEST (test_budget_burst_then_rate)
{
  g_autoptr (SendBudget) b = budget_new (10, 3);
  guint i;

  /* Full at start: the burst at once, then one token per 100 ms. */
  for (i = 0; i < 3; i++)
    fail_unless (send_budget_take (b), "burst token %u refused", i);
  fail_if (send_budget_take (b), "a fourth message back to back");
  fail_unless_equals_int64 (send_budget_wait_us (b), 100000);
  now_us += 99999;
  fail_if (send_budget_take (b), "a token before its time");
  fail_unless_equals_int64 (send_budget_wait_us (b), 1);
  now_us += 1;
  fail_unless_equals_int64 (send_budget_wait_us (b), 0);
  fail_unless (send_budget_take (b));
  fail_if (send_budget_take (b));
  /* After a quiet spell the bucket is full again, and no fuller. */
  now_us += 60 * SECOND;
  for (i = 0; i < 3; i++)
    fail_unless (send_budget_take (b), "burst token %u refused", i);
  fail_if (send_budget_take (b), "more than the burst after a quiet spell");
}

GST_END_TEST;

GST_START_TEST (test_budget_never_above_rate_in_any_second)
{
  static const guint cases[][2]
      = { { 10, 3 }, { 10, 10 }, { 1, 1 }, { 7, 7 }, { 3, 2 }, { 500, 50 } };
  guint c;

  for (c = 0; c < G_N_ELEMENTS (cases); c++) {
    guint rate = cases[c][0], burst = cases[c][1];
    g_autoptr (SendBudget) b = budget_new (rate, burst);
    g_autoptr (GArray) times = drive (b, 250, 20 * SECOND);

    assert_window (times, rate);
    /* And it is a rate, not a trickle: all of it over 20 s (the burst's
     * head start is taken back by the window). */
    fail_unless (times->len >= 20 * rate - 1 && times->len <= 20 * rate,
        "rate %u burst %u: %u messages in 20 s", rate, burst, times->len);
  }
}

GST_END_TEST;

GST_START_TEST (test_budget_window_holds_a_full_burst)
{
  /* A bucket alone would let 10 + 9 through in the first second. */
  g_autoptr (SendBudget) b = budget_new (10, 10);
  g_autoptr (GArray) times = drive (b, 1000, 999 * 1000);

  fail_unless_equals_int (times->len, 10);
  fail_unless_equals_int64 (send_budget_wait_us (b), 1000);
  now_us += 1000;
  fail_unless (send_budget_take (b));
}

GST_END_TEST;

GST_START_TEST (test_budget_bounds)
{
  g_autoptr (SendBudget) zero = send_budget_new (0, 0);
  g_autoptr (SendBudget) big = send_budget_new (G_MAXUINT, G_MAXUINT);
  g_autoptr (SendBudget) b = send_budget_new (5, 9);

  fail_unless_equals_int (send_budget_get_rate (zero), 1);
  fail_unless_equals_int (send_budget_get_burst (zero), 1);
  fail_unless_equals_int (send_budget_get_rate (big), SEND_BUDGET_RATE_MAX);
  fail_unless_equals_int (send_budget_get_burst (b), 5);
}

GST_END_TEST;

/* --- the queue --- */

typedef struct
{
  gchar *event;
  gchar *pipeline;
  gchar *state;
  gchar *request_id;
  gchar **request_ids;
  gchar *error;
  gint64 time_us;
} Sent;

static void
sent_free (gpointer data)
{
  Sent *s = data;

  g_free (s->event);
  g_free (s->pipeline);
  g_free (s->state);
  g_free (s->request_id);
  g_strfreev (s->request_ids);
  g_free (s->error);
  g_free (s);
}

static GPtrArray *sent;
static GMainContext *context;
static guint latest_calls;

static const gchar *
string_or_null (JsonObject *o, const gchar *name)
{
  return json_object_get_null_member (o, name)
      ? NULL
      : json_object_get_string_member (o, name);
}

static void
record (const gchar *event, JsonNode *payload, gpointer user_data)
{
  Sent *s = g_new0 (Sent, 1);
  JsonObject *o = json_node_get_object (payload);

  s->event = g_strdup (event);
  s->time_us = now_us;
  if (json_object_has_member (o, "request_ids")) {
    JsonArray *a = json_object_get_array_member (o, "request_ids");
    guint i, n = json_array_get_length (a);

    s->pipeline = g_strdup (string_or_null (o, "pipeline"));
    s->state = g_strdup (json_object_get_string_member (o, "state"));
    s->request_id = g_strdup (string_or_null (o, "request_id"));
    s->error = g_strdup (string_or_null (o, "error"));
    s->request_ids = g_new0 (gchar *, n + 1);
    for (i = 0; i < n; i++)
      s->request_ids[i] = g_strdup (json_array_get_string_element (a, i));
    /* The agreed shape: request_id is the last of request_ids. */
    fail_unless_equals_string (s->request_id, n ? s->request_ids[n - 1] : NULL);
  }
  g_ptr_array_add (sent, s);
}

static void
on_latest (gpointer user_data)
{
  g_autoptr (JsonNode) meta = json_from_string ("{}", NULL);

  latest_calls++;
  record ("presence", meta, NULL);
}

static GatewayAnswerQueue *
queue_new (guint rate, guint burst)
{
  sent = g_ptr_array_new_with_free_func (sent_free);
  context = g_main_context_new ();
  latest_calls = 0;
  /* The timer is attached to a context nobody runs: the test flushes. */
  return gateway_answer_queue_new (context, budget_new (rate, burst),
      "pipeline_state", record, NULL);
}

static void
queue_free (GatewayAnswerQueue *q)
{
  gateway_answer_queue_free (q);
  g_clear_pointer (&sent, g_ptr_array_unref);
  g_clear_pointer (&context, g_main_context_unref);
}

/* Advances the fake clock to the next token and flushes, until nothing
 * waits; the number of messages sent meanwhile. */
static guint
drain (GatewayAnswerQueue *q)
{
  GatewayAnswerQueueStats st;
  guint before = sent->len;

  for (;;) {
    gateway_answer_queue_get_stats (q, &st);
    if (st.pending == 0)
      break;
    now_us
        += MAX (send_budget_wait_us (gateway_answer_queue_get_budget (q)), 1);
    gateway_answer_queue_flush (q);
  }
  return sent->len - before;
}

static Sent *
sent_at (guint i)
{
  return g_ptr_array_index (sent, i);
}

static void
assert_ids (Sent *s, const gchar *const *expected)
{
  g_autofree gchar *got = g_strjoinv (",", s->request_ids);
  g_autofree gchar *want = g_strjoinv (",", (gchar **)expected);

  fail_unless_equals_string (got, want);
}

GST_START_TEST (test_queue_coalesces_a_pipeline)
{
  GatewayAnswerQueue *q = queue_new (1, 1);
  GatewayAnswerQueueStats st;

  gateway_answer_queue_push_state (q, "front", "starting", "r1", NULL, NULL);
  /* Within the budget: at once, alone. */
  fail_unless_equals_int (sent->len, 1);
  assert_ids (sent_at (0), (const gchar *[]){ "r1", NULL });
  gateway_answer_queue_push_state (q, "front", "stopping", "r2", NULL, NULL);
  gateway_answer_queue_push_state (q, "front", "starting", "r3", NULL, NULL);
  gateway_answer_queue_push_state (q, "front", "playing", "r3", NULL, NULL);
  gateway_answer_queue_push_state (q, "front", "stopped", "r4", "lease expired",
      NULL);
  gateway_answer_queue_push_state (q, "front", "starting", NULL, NULL, NULL);
  fail_unless_equals_int (sent->len, 1);
  gateway_answer_queue_get_stats (q, &st);
  fail_unless_equals_int (st.pending, 1);

  fail_unless_equals_int (drain (q), 1);
  /* One message: the latest state, its error (none) and every request. */
  fail_unless_equals_string (sent_at (1)->state, "starting");
  fail_unless_equals_string (sent_at (1)->error, NULL);
  assert_ids (sent_at (1), (const gchar *[]){ "r2", "r3", "r4", NULL });
  fail_unless_equals_int64 (sent_at (1)->time_us - sent_at (0)->time_us,
      SECOND);
  gateway_answer_queue_get_stats (q, &st);
  fail_unless_equals_int (st.messages, 2);
  fail_unless_equals_int (st.answers, 6);
  fail_unless_equals_int (st.coalesced, 4);
  fail_unless_equals_int (st.delayed, 1);
  fail_unless (st.wait_seconds >= 0.999 && st.wait_seconds <= 1.001,
      "waited %f s", st.wait_seconds);
  queue_free (q);
}

GST_END_TEST;

GST_START_TEST (test_queue_request_answered_again_moves_last)
{
  GatewayAnswerQueue *q = queue_new (1, 1);

  gateway_answer_queue_push_state (q, "front", "playing", "s0", NULL, NULL);
  gateway_answer_queue_push_state (q, "front", "starting", "r1", NULL, NULL);
  gateway_answer_queue_push_state (q, "front", "starting", "s1", NULL, NULL);
  gateway_answer_queue_push_state (q, "front", "playing", "r1", NULL, NULL);
  drain (q);
  /* r1 once, last: the request the latest state serves. */
  assert_ids (sent_at (1), (const gchar *[]){ "s1", "r1", NULL });
  fail_unless_equals_string (sent_at (1)->request_id, "r1");
  queue_free (q);
}

GST_END_TEST;

/* A random storm on three pipelines, flushed at random moments: every
 * request_id goes out exactly once, each pipeline's states go out in the
 * order they were pushed (a subsequence: nothing older after newer), the
 * last state pushed is the last sent, and the budget holds. */
GST_START_TEST (test_queue_storm_exactly_once_in_order)
{
  static const gchar *const pipelines[] = { "a", "b", "c" };
  static const gchar *const states[]
      = { "starting", "playing", "stopping", "stopped", "failed" };
  GatewayAnswerQueue *q = queue_new (10, 3);
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240611);
  g_autoptr (GHashTable) pushed_seq = g_hash_table_new_full (g_str_hash,
      g_str_equal, g_free, NULL); /* "pipeline/state#n" -> index */
  g_autoptr (GHashTable) answered
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  gchar *last_state[3] = { NULL, NULL, NULL };
  guint n_pushed[3] = { 0, 0, 0 };
  gint last_seen[3] = { -1, -1, -1 };
  guint i, p;

  for (i = 0; i < 500; i++) {
    g_autofree gchar *id = g_strdup_printf ("r%u", i);
    const gchar *state = states[g_rand_int_range (rand, 0, 5)];
    g_autofree gchar *key = NULL;

    p = g_rand_int_range (rand, 0, 3);
    /* The state is tagged with its push order, to check the order. */
    key = g_strdup_printf ("%s#%u", state, n_pushed[p]++);
    g_free (last_state[p]);
    last_state[p] = g_strdup (key);
    gateway_answer_queue_push_state (q, pipelines[p], key, id, NULL, NULL);
    /* 500 requests in about 2 s, flushed whenever a timer would. */
    now_us += g_rand_int_range (rand, 0, 8000);
    if (g_rand_boolean (rand))
      gateway_answer_queue_flush (q);
  }
  drain (q);

  for (i = 0; i < sent->len; i++) {
    Sent *s = sent_at (i);
    const gchar *hash = strchr (s->state, '#');
    gint seq = atoi (hash + 1);
    guint k;

    g_array_append_val (times, s->time_us);
    for (p = 0; g_strcmp0 (pipelines[p], s->pipeline) != 0; p++)
      ;
    fail_unless (seq > last_seen[p], "pipeline %s: state #%d sent after #%d",
        s->pipeline, seq, last_seen[p]);
    last_seen[p] = seq;
    for (k = 0; s->request_ids[k]; k++) {
      fail_if (g_hash_table_contains (answered, s->request_ids[k]),
          "%s answered twice", s->request_ids[k]);
      g_hash_table_add (answered, g_strdup (s->request_ids[k]));
    }
  }
  fail_unless_equals_int (g_hash_table_size (answered), 500);
  for (p = 0; p < 3; p++) {
    Sent *last = NULL;
    for (i = 0; i < sent->len; i++)
      if (g_strcmp0 (sent_at (i)->pipeline, pipelines[p]) == 0)
        last = sent_at (i);
    fail_unless_equals_string (last->state, last_state[p]);
    g_free (last_state[p]);
  }
  assert_window (times, 10);
  /* Coalesced: far fewer messages than answers. */
  fail_unless (sent->len < 60, "%u messages for 500 answers", sent->len);
  queue_free (q);
}

GST_END_TEST;

GST_START_TEST (test_queue_pipelines_take_turns)
{
  GatewayAnswerQueue *q = queue_new (1, 1);
  guint i, round;

  /* Spend the token, then keep pipeline a busier than b and c. */
  gateway_answer_queue_push_state (q, "z", "playing", "z0", NULL, NULL);
  gateway_answer_queue_push_state (q, "a", "playing", "a0", NULL, NULL);
  gateway_answer_queue_push_state (q, "b", "playing", "b0", NULL, NULL);
  gateway_answer_queue_push_state (q, "c", "playing", "c0", NULL, NULL);
  for (round = 1; round <= 4; round++) {
    for (i = 0; i < 3; i++) {
      g_autofree gchar *a = g_strdup_printf ("a%u", round);
      g_autofree gchar *b = g_strdup_printf ("b%u", round);
      g_autofree gchar *c = g_strdup_printf ("c%u", round);

      /* a keeps asking; b and c once a round. */
      gateway_answer_queue_push_state (q, "a", "stopping", a, NULL, NULL);
      if (i == 0) {
        gateway_answer_queue_push_state (q, "b", "stopping", b, NULL, NULL);
        gateway_answer_queue_push_state (q, "c", "stopping", c, NULL, NULL);
      }
      now_us += SECOND;
      gateway_answer_queue_flush (q);
    }
  }
  drain (q);
  /* Once all three wait, they take turns in the order they started
   * waiting: a, b, c, a, b, c ... */
  for (i = 1; i < sent->len; i++) {
    static const gchar *const order[] = { "a", "b", "c" };
    fail_unless_equals_string (sent_at (i)->pipeline, order[(i - 1) % 3]);
  }
  queue_free (q);
}

GST_END_TEST;

GST_START_TEST (test_queue_rejections_coalesce_by_reason_and_stay_bounded)
{
  GatewayAnswerQueue *q = queue_new (1, 1);
  GatewayAnswerQueueStats st;
  guint i, n_not_kept = 0;
  g_autoptr (GHashTable) answered
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  gateway_answer_queue_push_state (q, "front", "playing", "p0", NULL, NULL);
  /* Made-up pipeline names share one lane; reasons coalesce. */
  for (i = 0; i < 40; i++) {
    g_autofree gchar *id = g_strdup_printf ("x%u", i);
    g_autofree gchar *reason = g_strdup_printf ("reason %u", i % 2);

    gateway_answer_queue_push_failure (q, NULL, "nosuch", id, reason);
  }
  /* Too many different reasons waiting: the rest share one. */
  for (i = 0; i < 100; i++) {
    g_autofree gchar *id = g_strdup_printf ("h%u", i);
    g_autofree gchar *reason = g_strdup_printf ("hostile %u", i);
    g_autofree gchar *name = g_strdup_printf ("made-up-%u", i);

    gateway_answer_queue_push_failure (q, NULL, name, id, reason);
  }
  /* A real pipeline's answer is not stuck behind them. */
  gateway_answer_queue_push_state (q, "front", "stopped", "p1", NULL, NULL);
  gateway_answer_queue_get_stats (q, &st);
  fail_unless_equals_int (st.pending, 1 + GATEWAY_ANSWER_REASONS_MAX + 1);
  now_us += SECOND;
  gateway_answer_queue_flush (q);
  now_us += SECOND;
  gateway_answer_queue_flush (q);
  fail_unless_equals_string (sent_at (2)->pipeline, "front");
  drain (q);

  for (i = 1; i < sent->len; i++) {
    Sent *s = sent_at (i);
    guint k;

    fail_unless_equals_string (s->event, "pipeline_state");
    if (g_strcmp0 (s->pipeline, "front") == 0)
      continue;
    fail_unless_equals_string (s->state, "failed");
    if (g_strcmp0 (s->error, GATEWAY_ANSWER_REASON_NOT_KEPT) == 0) {
      n_not_kept++;
      fail_unless_equals_string (s->pipeline, NULL);
    }
    for (k = 0; s->request_ids[k]; k++) {
      fail_if (g_hash_table_contains (answered, s->request_ids[k]));
      g_hash_table_add (answered, g_strdup (s->request_ids[k]));
    }
  }
  fail_unless_equals_int (g_hash_table_size (answered), 140);
  fail_unless_equals_int (n_not_kept, 1);
  /* 2 coalesced reasons, 14 hostile ones kept, the shared one, front. */
  fail_unless_equals_int (sent->len, 1 + 2 + 14 + 1 + 1);
  queue_free (q);
}

GST_END_TEST;

GST_START_TEST (test_queue_splits_too_many_ids)
{
  GatewayAnswerQueue *q = queue_new (1, 1);
  guint i;

  gateway_answer_queue_push_state (q, "front", "playing", "first", NULL, NULL);
  for (i = 0; i < GATEWAY_ANSWER_IDS_MAX + 44; i++) {
    g_autofree gchar *id = g_strdup_printf ("r%u", i);
    gateway_answer_queue_push_state (q, "front", "stopped", id, NULL, NULL);
  }
  fail_unless_equals_int (drain (q), 2);
  fail_unless_equals_int (g_strv_length (sent_at (1)->request_ids),
      GATEWAY_ANSWER_IDS_MAX);
  fail_unless_equals_string (sent_at (1)->request_ids[0], "r0");
  fail_unless_equals_int (g_strv_length (sent_at (2)->request_ids), 44);
  fail_unless_equals_string (sent_at (2)->request_id, "r299");
  queue_free (q);
}

GST_END_TEST;

GST_START_TEST (test_queue_closed_holds_then_sends)
{
  GatewayAnswerQueue *q = queue_new (10, 3);

  gateway_answer_queue_set_open (q, FALSE);
  gateway_answer_queue_push_state (q, "front", "starting", "r1", NULL, NULL);
  gateway_answer_queue_push_state (q, "front", "playing", "r1", NULL, NULL);
  gateway_answer_queue_push_state (q, "back", "stopped", "r2", NULL, NULL);
  now_us += 10 * SECOND;
  gateway_answer_queue_flush (q);
  fail_unless_equals_int (sent->len, 0);
  gateway_answer_queue_set_open (q, TRUE);
  fail_unless_equals_int (sent->len, 2);
  fail_unless_equals_string (sent_at (0)->state, "playing");
  assert_ids (sent_at (0), (const gchar *[]){ "r1", NULL });
  fail_unless_equals_string (sent_at (1)->pipeline, "back");
  queue_free (q);
}

GST_END_TEST;

static guint drained;

static void
on_drained (gpointer user_data)
{
  drained++;
}

GST_START_TEST (test_queue_presence_and_messages_share_the_budget)
{
  GatewayAnswerQueue *q = queue_new (2, 1);
  g_autoptr (JsonNode) catalog = json_from_string ("{\"robot\":\"r\"}", NULL);
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  guint i;

  drained = 0;
  gateway_answer_queue_set_drained_func (q, on_drained, NULL);
  gateway_answer_queue_push_state (q, "front", "playing", "r1", NULL, NULL);
  fail_unless_equals_int (drained, 1);
  /* Presence asked three times while waiting: one update. */
  gateway_answer_queue_push_latest (q, "presence", on_latest, NULL);
  gateway_answer_queue_push_latest (q, "presence", on_latest, NULL);
  gateway_answer_queue_push_message (q, "catalog", "catalog", catalog);
  gateway_answer_queue_push_message (q, "catalog", "catalog", catalog);
  gateway_answer_queue_push_latest (q, "presence", on_latest, NULL);
  gateway_answer_queue_push_state (q, "front", "stopped", "r2", NULL, NULL);
  fail_unless_equals_int (drain (q), 4);
  fail_unless_equals_int (latest_calls, 1);
  fail_unless_equals_int (drained, 2);
  fail_unless_equals_string (sent_at (1)->event, "presence");
  fail_unless_equals_string (sent_at (2)->event, "catalog");
  fail_unless_equals_string (sent_at (3)->event, "pipeline_state");
  fail_unless_equals_string (sent_at (4)->event, "catalog");
  for (i = 0; i < sent->len; i++)
    g_array_append_val (times, sent_at (i)->time_us);
  assert_window (times, 2);
  /* A cancelled update never calls back. */
  gateway_answer_queue_push_state (q, "front", "playing", "r3", NULL, NULL);
  gateway_answer_queue_push_latest (q, "presence", on_latest, NULL);
  gateway_answer_queue_cancel (q, "presence");
  drain (q);
  fail_unless_equals_int (latest_calls, 1);
  queue_free (q);
}

GST_END_TEST;

GST_START_TEST (test_queue_timer_flushes_on_the_real_clock)
{
  /* The real clock and a running context: the owned timer sends. */
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  GatewayAnswerQueue *q;
  guint i;

  sent = g_ptr_array_new_with_free_func (sent_free);
  q = gateway_answer_queue_new (ctx, send_budget_new (20, 1), "pipeline_state",
      record, NULL);
  for (i = 0; i < 3; i++) {
    g_autofree gchar *pipeline = g_strdup_printf ("p%u", i);
    gateway_answer_queue_push_state (q, pipeline, "playing", "r", NULL, NULL);
  }
  fail_unless_equals_int (sent->len, 1);
  g_main_context_push_thread_default (ctx);
  fail_unless (RT_WAIT_UNTIL (sent->len == 3, 5000));
  g_main_context_pop_thread_default (ctx);
  gateway_answer_queue_free (q);
  g_clear_pointer (&sent, g_ptr_array_unref);
}

GST_END_TEST;

/* The daemon's [gateway] send-rate and send-burst: defaults, bounds, a
 * burst above the rate refused, a default burst lowered to a low rate. */
GST_START_TEST (test_config_keys)
{
  static const struct
  {
    const gchar *keys;
    guint rate, burst;
    const gchar *refused; /* the key the problem names, or NULL */
  } cases[] = {
    { "", SEND_BUDGET_DEFAULT_RATE, SEND_BUDGET_DEFAULT_BURST, NULL },
    { "send-rate=500\nsend-burst=50\n", 500, 50, NULL },
    { "send-rate=2\n", 2, 2, NULL },
    { "send-rate=1\nsend-burst=1\n", 1, 1, NULL },
    { "send-rate=5\nsend-burst=9\n", 0, 0, "send-burst" },
    { "send-rate=0\n", 0, 0, "send-rate" },
    { "send-rate=10001\n", 0, 0, "send-rate" },
    { "send-burst=0\n", 0, 0, "send-burst" },
  };
  g_autofree gchar *dir = g_dir_make_tmp ("rtg-budget-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "gateway.conf", NULL);
  guint i;

  rt_test_write_file (dir, "apikey", RT_TEST_API_KEY "\n");
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
    g_autoptr (GatewayConfig) config = NULL;
    g_autofree gchar *text = g_strconcat ("[realtime]\n"
                                          "url=http://127.0.0.1:4000\n"
                                          "api-key-file=apikey\nchannel=c\n"
                                          "[gateway]\nid=r\n",
        cases[i].keys, NULL);

    rt_test_write_file (dir, "gateway.conf", text);
    config = gateway_config_load (path, problems);
    if (cases[i].refused) {
      fail_unless (config == NULL, "case %u accepted", i);
      fail_unless (problems->len == 1
              && strstr (g_ptr_array_index (problems, 0), cases[i].refused),
          "case %u: %s", i,
          problems->len ? (gchar *)g_ptr_array_index (problems, 0) : "none");
      continue;
    }
    fail_unless (config != NULL, "case %u refused: %s", i,
        problems->len ? (gchar *)g_ptr_array_index (problems, 0) : "?");
    fail_unless_equals_int (config->send_rate, cases[i].rate);
    fail_unless_equals_int (config->send_burst, cases[i].burst);
  }
  rt_test_rm_rf (dir);
}

GST_END_TEST;

static Suite *
send_budget_suite (void)
{
  Suite *s = suite_create ("send-budget");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_budget_burst_then_rate);
  tcase_add_test (tc, test_budget_never_above_rate_in_any_second);
  tcase_add_test (tc, test_budget_window_holds_a_full_burst);
  tcase_add_test (tc, test_budget_bounds);
  tcase_add_test (tc, test_queue_coalesces_a_pipeline);
  tcase_add_test (tc, test_queue_request_answered_again_moves_last);
  tcase_add_test (tc, test_queue_storm_exactly_once_in_order);
  tcase_add_test (tc, test_queue_pipelines_take_turns);
  tcase_add_test (tc,
      test_queue_rejections_coalesce_by_reason_and_stay_bounded);
  tcase_add_test (tc, test_queue_splits_too_many_ids);
  tcase_add_test (tc, test_queue_closed_holds_then_sends);
  tcase_add_test (tc, test_queue_presence_and_messages_share_the_budget);
  tcase_add_test (tc, test_queue_timer_flushes_on_the_real_clock);
  tcase_add_test (tc, test_config_keys);
  return s;
}

RT_TEST_MAIN (send_budget);

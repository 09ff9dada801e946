/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * send-budget.c: the token bucket of send-budget.h, kept as a theoretical
 * arrival time (the generic cell rate algorithm: the same bucket in one
 * number, without fractional tokens), plus the send times of the last
 * @rate messages for the one-second window.
 */
#include "send-budget.h"

#define SECOND_US G_GINT64_CONSTANT (1000000)

struct _SendBudget
{
  guint rate;
  guint burst;
  gint64 interval_us; /* one token's worth of time */
  gint64 tat_us; /* when the bucket is full again, minus a burst */
  gboolean started; /* tat_us is meaningful */

  /* The last @rate send times, oldest at @head once @n == @rate. */
  gint64 *sent_us;
  guint head;
  guint n;

  SendBudgetClock clock;
  gpointer clock_data;
};

static gint64
monotonic_clock (gpointer user_data)
{
  return g_get_monotonic_time ();
}

/**
 * send_budget_new:
 * @rate: messages per second, 1..%SEND_BUDGET_RATE_MAX (clamped)
 * @burst: messages back to back, 1..@rate (clamped)
 *
 * Returns: (transfer full): a full budget on the monotonic clock
 */
SendBudget *
send_budget_new (guint rate, guint burst)
{
  SendBudget *b = g_new0 (SendBudget, 1);

  b->rate = CLAMP (rate, 1, SEND_BUDGET_RATE_MAX);
  b->burst = CLAMP (burst, 1, b->rate);
  /* Rounded up: never a hair faster than @rate. */
  b->interval_us = (SECOND_US + b->rate - 1) / b->rate;
  b->sent_us = g_new0 (gint64, b->rate);
  b->clock = monotonic_clock;
  return b;
}

/**
 * send_budget_free:
 * @budget: (nullable): a budget
 */
void
send_budget_free (SendBudget *b)
{
  if (!b)
    return;
  g_free (b->sent_us);
  g_free (b);
}

/**
 * send_budget_set_clock:
 * @budget: a budget
 * @clock: returns now in microseconds, monotonic
 * @user_data: (closure): for @clock
 *
 * Replaces the clock (for tests) and fills the budget again.
 */
void
send_budget_set_clock (SendBudget *b, SendBudgetClock clock, gpointer user_data)
{
  g_return_if_fail (b != NULL && clock != NULL);

  b->clock = clock;
  b->clock_data = user_data;
  b->started = FALSE;
  b->head = b->n = 0;
}

/**
 * send_budget_get_rate:
 * @budget: a budget
 *
 * Returns: the messages allowed in any one-second window
 */
guint
send_budget_get_rate (SendBudget *b)
{
  return b->rate;
}

/**
 * send_budget_get_burst:
 * @budget: a budget
 *
 * Returns: the messages allowed back to back
 */
guint
send_budget_get_burst (SendBudget *b)
{
  return b->burst;
}

/**
 * send_budget_now:
 * @budget: a budget
 *
 * Returns: now on the budget's clock, in microseconds
 */
gint64
send_budget_now (SendBudget *b)
{
  return b->clock (b->clock_data);
}

/* Microseconds from @now until a token is there: the later of the bucket
 * (tat - (burst - 1) intervals) and the window (the oldest of the last
 * @rate sends a second old). */
static gint64
wait_at (SendBudget *b, gint64 now)
{
  gint64 wait = 0;

  if (b->started)
    wait = b->tat_us - (gint64)(b->burst - 1) * b->interval_us - now;
  if (b->n == b->rate)
    wait = MAX (wait, b->sent_us[b->head] + SECOND_US - now);
  return MAX (wait, 0);
}

/**
 * send_budget_wait_us:
 * @budget: a budget
 *
 * Returns: microseconds until send_budget_take() can succeed; 0 when it
 *   can now
 */
gint64
send_budget_wait_us (SendBudget *b)
{
  g_return_val_if_fail (b != NULL, 0);

  return wait_at (b, send_budget_now (b));
}

/**
 * send_budget_take:
 * @budget: a budget
 *
 * Takes a token if one is there now.
 *
 * Returns: %TRUE when a message may be sent now (the token is spent),
 *   %FALSE when it must wait send_budget_wait_us()
 */
gboolean
send_budget_take (SendBudget *b)
{
  gint64 now;

  g_return_val_if_fail (b != NULL, FALSE);

  now = send_budget_now (b);
  if (wait_at (b, now) > 0)
    return FALSE;
  b->tat_us = (b->started ? MAX (b->tat_us, now) : now) + b->interval_us;
  b->started = TRUE;
  if (b->n == b->rate) {
    b->sent_us[b->head] = now;
    b->head = (b->head + 1) % b->rate;
  } else {
    b->sent_us[(b->head + b->n) % b->rate] = now;
    b->n++;
  }
  return TRUE;
}

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * send-budget.h: the outbound budget of one channel, a token bucket. Every
 * message the gateway sends on its channel (answers, catalogs, presence)
 * takes a token first. Two promises, whatever the traffic:
 *
 *   - at most @rate messages in any one-second window;
 *   - at most @burst of them back to back: the bucket holds @burst tokens
 *     and gains one every 1/@rate s.
 *
 * A token bucket alone lets @burst + @rate - 1 messages through in one
 * second, so the budget also remembers when its last @rate messages left
 * and holds the next one until the oldest is a second old.
 *
 * Pure logic: no GSource, no I/O; time comes from a clock that tests
 * replace.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Ten messages per second per robot: a fleet of eight robots answering a
 * flood at full budget together stays under a Free project's 100 with 20
 * left for dashboards (README, "Outbound budget"). */
#define SEND_BUDGET_DEFAULT_RATE 10
#define SEND_BUDGET_DEFAULT_BURST 3
/* A Team or Enterprise project's whole allowance (2,500) with room. */
#define SEND_BUDGET_RATE_MAX 10000

/* Microseconds on a monotonic clock. */
typedef gint64 (*SendBudgetClock) (gpointer user_data);

typedef struct _SendBudget SendBudget;

/* @rate: 1..SEND_BUDGET_RATE_MAX messages per second; @burst: 1..@rate
 * (clamped). Full at creation. Its clock is g_get_monotonic_time(). */
SendBudget *send_budget_new (guint rate, guint burst);
void send_budget_free (SendBudget *budget);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SendBudget, send_budget_free)

/* Replaces the clock (tests); the budget starts full again. */
void send_budget_set_clock (SendBudget *budget, SendBudgetClock clock,
    gpointer user_data);

guint send_budget_get_rate (SendBudget *budget);
guint send_budget_get_burst (SendBudget *budget);
/* Now on the budget's clock, in microseconds. */
gint64 send_budget_now (SendBudget *budget);

/* Takes a token when one is there now: TRUE means the message may go. */
gboolean send_budget_take (SendBudget *budget);
/* Microseconds until send_budget_take() can succeed; 0: now. */
gint64 send_budget_wait_us (SendBudget *budget);

G_END_DECLS

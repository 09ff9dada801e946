/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-backoff.c: capped exponential backoff with full jitter, including
 * the fleet property that motivates it: clients that lost the same server
 * at the same moment must not come back in lockstep.
 */
#include "test-util.h"

#include "backoff.h"
#include "reconnect-policy.h"

#include <string.h>

#define FLEET 100

static guint
expected_ceiling (guint base, guint cap, guint n)
{
  guint64 c = n < 32 ? (guint64)base << n : G_MAXUINT64;

  return (guint)MIN (c, (guint64)cap);
}

GST_START_TEST (test_sequence_shape)
{
  RealtimeBackoff b;
  guint n, prev_ceiling = 0;

  realtime_backoff_init (&b, 1000, 30000);
  realtime_backoff_set_seed (&b, 1234);
  for (n = 0; n < 20; n++) {
    guint ceiling = realtime_backoff_peek_ceiling (&b);
    guint delay;

    fail_unless_equals_int (ceiling, expected_ceiling (1000, 30000, n));
    /* Ceilings double from the base until they stop at the cap. */
    if (n == 0) {
      fail_unless_equals_int (ceiling, 1000);
    } else {
      fail_unless_equals_int (ceiling, MIN (prev_ceiling * 2, 30000));
    }
    delay = realtime_backoff_next (&b);
    fail_unless (delay <= ceiling, "delay %u over ceiling %u", delay, ceiling);
    prev_ceiling = ceiling;
  }
  fail_unless_equals_int (b.attempt, 20);
  realtime_backoff_clear (&b);
}

GST_END_TEST;

GST_START_TEST (test_seed_is_reproducible)
{
  RealtimeBackoff a, b;
  guint n;

  realtime_backoff_init (&a, 500, 60000);
  realtime_backoff_init (&b, 500, 60000);
  realtime_backoff_set_seed (&a, 99);
  realtime_backoff_set_seed (&b, 99);
  for (n = 0; n < 30; n++)
    fail_unless_equals_int (realtime_backoff_next (&a),
        realtime_backoff_next (&b));
  realtime_backoff_clear (&a);
  realtime_backoff_clear (&b);
}

GST_END_TEST;

GST_START_TEST (test_full_jitter_covers_range)
{
  RealtimeBackoff b;
  guint i, min = G_MAXUINT, max = 0;
  gdouble sum = 0;

  /* At the cap, delays must use the whole of [0, cap], not cluster near
   * the ceiling as "equal jitter" or a fixed ladder would. */
  realtime_backoff_init (&b, 1000, 30000);
  realtime_backoff_set_seed (&b, 7);
  for (i = 0; i < 2000; i++) {
    guint d;

    b.attempt = 10;
    d = realtime_backoff_next (&b);
    fail_unless (d <= 30000);
    min = MIN (min, d);
    max = MAX (max, d);
    sum += d;
  }
  fail_unless (min < 1000, "min %u", min);
  fail_unless (max > 29000, "max %u", max);
  fail_unless (ABS (sum / 2000 - 15000) < 1500, "mean %f", sum / 2000);
  realtime_backoff_clear (&b);
}

GST_END_TEST;

GST_START_TEST (test_reset_restarts_at_base)
{
  RealtimeBackoff b;
  guint i;

  realtime_backoff_init (&b, 250, 8000);
  for (i = 0; i < 7; i++)
    realtime_backoff_next (&b);
  fail_unless_equals_int (realtime_backoff_peek_ceiling (&b), 8000);
  realtime_backoff_reset (&b);
  fail_unless_equals_int (b.attempt, 0);
  fail_unless_equals_int (realtime_backoff_peek_ceiling (&b), 250);
  fail_unless (realtime_backoff_next (&b) <= 250);
  fail_unless_equals_int (realtime_backoff_peek_ceiling (&b), 500);
  realtime_backoff_clear (&b);
}

GST_END_TEST;

GST_START_TEST (test_overflow_safe)
{
  RealtimeBackoff b;
  guint i;

  /* With a cap that never clamps, base * 2^n overflows 32 bits at n = 22:
   * the ceiling must saturate at the cap, never wrap to something small. */
  realtime_backoff_init (&b, 1000, G_MAXUINT);
  for (i = 0; i < 100; i++) {
    guint ceiling = realtime_backoff_peek_ceiling (&b);

    fail_unless_equals_int64 (ceiling, expected_ceiling (1000, G_MAXUINT, i));
    fail_unless (ceiling >= MIN (1000u << MIN (i, 21u), G_MAXUINT));
    fail_unless (realtime_backoff_next (&b) <= ceiling);
  }
  fail_unless_equals_int64 (realtime_backoff_peek_ceiling (&b), G_MAXUINT);
  realtime_backoff_clear (&b);

  realtime_backoff_init (&b, G_MAXUINT, G_MAXUINT);
  for (i = 0; i < 100; i++)
    realtime_backoff_next (&b);
  fail_unless_equals_int64 (realtime_backoff_peek_ceiling (&b), G_MAXUINT);
  realtime_backoff_clear (&b);

  /* The attempt counter itself saturates. */
  realtime_backoff_init (&b, 1000, 30000);
  b.attempt = G_MAXUINT - 1;
  realtime_backoff_next (&b);
  realtime_backoff_next (&b);
  realtime_backoff_next (&b);
  fail_unless_equals_int64 (b.attempt, G_MAXUINT);
  fail_unless_equals_int (realtime_backoff_peek_ceiling (&b), 30000);
  realtime_backoff_clear (&b);
}

GST_END_TEST;

GST_START_TEST (test_at_cap_in_range)
{
  RealtimeBackoff b;
  guint i, min = G_MAXUINT, max = 0;

  realtime_backoff_init (&b, 1000, 30000);
  realtime_backoff_set_seed (&b, 3);
  for (i = 0; i < 2000; i++) {
    guint d = realtime_backoff_at_cap (&b);

    fail_unless (d >= 15000 && d <= 30000, "at_cap gave %u", d);
    min = MIN (min, d);
    max = MAX (max, d);
  }
  fail_unless (min < 15500 && max > 29500, "range %u..%u", min, max);
  /* It does not count as an attempt. */
  fail_unless_equals_int (b.attempt, 0);
  realtime_backoff_clear (&b);

  realtime_backoff_init (&b, 0, 0);
  fail_unless_equals_int (realtime_backoff_at_cap (&b), 0);
  fail_unless_equals_int (realtime_backoff_next (&b), 0);
  realtime_backoff_clear (&b);

  realtime_backoff_init (&b, 1, 1);
  for (i = 0; i < 20; i++)
    fail_unless (realtime_backoff_at_cap (&b) <= 1);
  realtime_backoff_clear (&b);

  realtime_backoff_init (&b, 1, G_MAXUINT);
  for (i = 0; i < 20; i++)
    fail_unless (realtime_backoff_at_cap (&b) >= G_MAXUINT / 2);
  realtime_backoff_clear (&b);
}

GST_END_TEST;

GST_START_TEST (test_clear_is_idempotent)
{
  RealtimeBackoff b;

  realtime_backoff_init (&b, 1000, 30000);
  realtime_backoff_clear (&b);
  fail_unless (b.rand == NULL);
  realtime_backoff_clear (&b);
  /* A cleared backoff still works rather than crashing. */
  fail_unless (realtime_backoff_next (&b) <= 1000);
  realtime_backoff_clear (&b);
}

GST_END_TEST;

/* Draws, for a fleet of independently created backoffs, the delay of
 * attempt @n after a shared outage, and checks they are spread out. */
static void
check_fleet_spread (guint n, guint min_range, gdouble min_stddev)
{
  RealtimeBackoff fleet[FLEET];
  GHashTable *distinct = g_hash_table_new (NULL, NULL);
  guint i, j, min = G_MAXUINT, max = 0, ceiling = 0;
  gdouble sum = 0, sum_sq = 0, mean, variance;

  /* Default seeding, as 100 clients in separate processes would have. */
  for (i = 0; i < FLEET; i++)
    realtime_backoff_init (&fleet[i], 1000, 30000);

  for (i = 0; i < FLEET; i++) {
    guint d = 0;

    for (j = 0; j <= n; j++) {
      ceiling = realtime_backoff_peek_ceiling (&fleet[i]);
      d = realtime_backoff_next (&fleet[i]);
    }
    fail_unless (d <= ceiling);
    g_hash_table_add (distinct, GUINT_TO_POINTER (d + 1));
    min = MIN (min, d);
    max = MAX (max, d);
    sum += d;
    sum_sq += (gdouble)d * d;
  }
  mean = sum / FLEET;
  variance = sum_sq / FLEET - mean * mean;

  fail_unless (g_hash_table_size (distinct) >= 50,
      "attempt %u: only %u distinct delays in a fleet of %d", n,
      g_hash_table_size (distinct), FLEET);
  fail_unless (max - min >= min_range, "attempt %u: all delays within %u ms", n,
      max - min);
  /* Compared squared, so the test needs no libm. */
  fail_unless (variance >= min_stddev * min_stddev,
      "attempt %u: variance %.0f ms^2", n, variance);

  for (i = 0; i < FLEET; i++)
    realtime_backoff_clear (&fleet[i]);
  g_hash_table_unref (distinct);
}

GST_START_TEST (test_fleet_first_attempt_spread)
{
  /* Uniform on [0, 1000]: stddev is about 289 ms. */
  check_fleet_spread (0, 500, 150);
}

GST_END_TEST;

GST_START_TEST (test_fleet_fifth_attempt_spread)
{
  /* Uniform on [0, 16000]: stddev is about 4600 ms. */
  check_fleet_spread (4, 8000, 2500);
}

GST_END_TEST;

/* Draws @n delays for @kind from a fresh policy (one failure each, the
 * policy reset in between when @fresh), checking each within [lo, hi]. */
static void
check_kind_range (RealtimeFailureKind kind, guint retry_after, guint lo,
    guint hi, gboolean fresh)
{
  RealtimeReconnectPolicy p;
  guint i, min = G_MAXUINT, max = 0;

  realtime_reconnect_policy_init (&p, 1000, 30000);
  realtime_reconnect_policy_set_seed (&p, 42);
  for (i = 0; i < 500; i++) {
    guint d;

    if (fresh)
      realtime_reconnect_policy_succeeded (&p);
    d = realtime_reconnect_policy_next (&p, kind, retry_after);
    fail_unless (d >= lo && d <= hi, "%s: delay %u outside [%u, %u]",
        realtime_failure_kind_describe (kind), d, lo, hi);
    min = MIN (min, d);
    max = MAX (max, d);
  }
  /* Jittered: the draws use the range, not one value (unless Retry-After
   * is what decides). */
  if (hi > lo && retry_after == 0)
    fail_unless (max - min >= (hi - lo) / 2, "%s: delays only %u..%u",
        realtime_failure_kind_describe (kind), min, max);
  realtime_reconnect_policy_clear (&p);
}

GST_START_TEST (test_policy_first_loss_is_fast)
{
  /* A robot that was joined and lost its own link retries within the
   * base: the single robot is back in about a second. */
  check_kind_range (REALTIME_FAILURE_LOST, 0, 0, 1000, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_policy_refusals_at_cap)
{
  /* Refusals an operator must fix and an expired token wait at the cap,
   * jittered over its upper half, from the first failure on. */
  check_kind_range (REALTIME_FAILURE_REFUSED, 0, 15000, 30000, TRUE);
  check_kind_range (REALTIME_FAILURE_REFUSED, 0, 15000, 30000, FALSE);
  check_kind_range (REALTIME_FAILURE_TOKEN_EXPIRED, 0, 15000, 30000, TRUE);
  check_kind_range (REALTIME_FAILURE_TOKEN_EXPIRED, 0, 15000, 30000, FALSE);
}

GST_END_TEST;

/* The delay of the @n-th consecutive failure of @kinds[0..n], for a fleet
 * of FLEET robots seeded apart: each must lie in [lo, hi], and together
 * they must fill it (mean near the middle, both ends reached). */
static void
check_fleet_step (const RealtimeFailureKind *kinds, guint n, guint lo, guint hi)
{
  guint i, j, min = G_MAXUINT, max = 0;
  gdouble sum = 0, mid = (lo + hi) / 2.0;

  for (i = 0; i < FLEET * 10; i++) {
    RealtimeReconnectPolicy p;
    guint d = 0;

    realtime_reconnect_policy_init (&p, 1000, 30000);
    realtime_reconnect_policy_set_seed (&p, 1000 + i);
    for (j = 0; j <= n; j++)
      d = realtime_reconnect_policy_next (&p, kinds[j], 0);
    fail_unless (d >= lo && d <= hi, "failure %u: %u outside [%u, %u]", n, d,
        lo, hi);
    min = MIN (min, d);
    max = MAX (max, d);
    sum += d;
    realtime_reconnect_policy_clear (&p);
  }
  fail_unless (min < lo + (hi - lo) / 20 && max > hi - (hi - lo) / 20,
      "failure %u: only %u..%u of [%u, %u]", n, min, max, lo, hi);
  fail_unless (ABS (sum / (FLEET * 10) - mid) < (hi - lo) / 10.0 + 1,
      "failure %u: mean %.0f, not near %.0f", n, sum / (FLEET * 10), mid);
}

GST_START_TEST (test_policy_lost_sequence)
{
  const RealtimeFailureKind lost[]
      = { REALTIME_FAILURE_LOST, REALTIME_FAILURE_LOST, REALTIME_FAILURE_LOST,
          REALTIME_FAILURE_LOST, REALTIME_FAILURE_LOST };

  /* The lost link retries at once (within the base) ... */
  check_fleet_step (lost, 0, 0, 1000);
  /* ... a failed retry spreads the fleet over the whole window ... */
  check_fleet_step (lost, 1, 0, 30000);
  /* ... and each robot then keeps its place, retrying just under the
   * cap: a fleet that lost the server returns at an even rate. */
  check_fleet_step (lost, 2, 29000, 30000);
  check_fleet_step (lost, 4, 29000, 30000);
}

GST_END_TEST;

GST_START_TEST (test_policy_unavailable_and_rate_limit_spread)
{
  const RealtimeFailureKind unavailable[] = { REALTIME_FAILURE_UNAVAILABLE,
    REALTIME_FAILURE_UNAVAILABLE, REALTIME_FAILURE_UNAVAILABLE };
  const RealtimeFailureKind rate[]
      = { REALTIME_FAILURE_LOST, REALTIME_FAILURE_RATE_LIMITED,
          REALTIME_FAILURE_RATE_LIMITED, REALTIME_FAILURE_RATE_LIMITED };
  const RealtimeFailureKind spread_then_rate[]
      = { REALTIME_FAILURE_LOST, REALTIME_FAILURE_LOST, REALTIME_FAILURE_LOST,
          REALTIME_FAILURE_RATE_LIMITED };

  /* An overloaded server gets no quick retry: the window at once. */
  check_fleet_step (unavailable, 0, 0, 30000);
  check_fleet_step (unavailable, 1, 29000, 30000);
  /* The first rate limit (after the quick retry of a short blip) spreads
   * the refused robots over the whole window; another one waits at the
   * cap. */
  check_fleet_step (rate, 1, 0, 30000);
  check_fleet_step (rate, 2, 15000, 30000);
  check_fleet_step (rate, 3, 15000, 30000);
  /* A robot already holding its place that meets a rate limit is moved
   * to a new one over the window. */
  check_fleet_step (spread_then_rate, 3, 0, 30000);
}

GST_END_TEST;

/* The robot's own network is down (no name resolution, no route, no TCP):
 * a short ladder of its own, [h/2, h] with h doubling from the base up to
 * REALTIME_OFFLINE_MAX_MS, and the fleet window is left alone. */
GST_START_TEST (test_policy_offline_ladder)
{
  const RealtimeFailureKind offline[]
      = { REALTIME_FAILURE_OFFLINE, REALTIME_FAILURE_OFFLINE,
          REALTIME_FAILURE_OFFLINE, REALTIME_FAILURE_OFFLINE,
          REALTIME_FAILURE_OFFLINE, REALTIME_FAILURE_OFFLINE,
          REALTIME_FAILURE_OFFLINE, REALTIME_FAILURE_OFFLINE };
  /* Own link lost: the quick retry, then offline attempts, then the link
   * is back but the server is not: the fleet window, spread once. */
  const RealtimeFailureKind lost_offline_lost[] = { REALTIME_FAILURE_LOST,
    REALTIME_FAILURE_OFFLINE, REALTIME_FAILURE_OFFLINE,
    REALTIME_FAILURE_OFFLINE, REALTIME_FAILURE_LOST, REALTIME_FAILURE_LOST };
  /* Already keeping its place in the fleet's stream, then its own link
   * goes: the offline ladder starts over at the base. */
  const RealtimeFailureKind window_then_offline[]
      = { REALTIME_FAILURE_LOST, REALTIME_FAILURE_LOST, REALTIME_FAILURE_LOST,
          REALTIME_FAILURE_OFFLINE, REALTIME_FAILURE_OFFLINE };
  /* A carrier's outage ends for the whole fleet at once: the project's
   * rate limit still spreads it. */
  const RealtimeFailureKind offline_then_rate[] = { REALTIME_FAILURE_LOST,
    REALTIME_FAILURE_OFFLINE, REALTIME_FAILURE_OFFLINE,
    REALTIME_FAILURE_RATE_LIMITED, REALTIME_FAILURE_RATE_LIMITED };

  fail_unless (REALTIME_OFFLINE_MAX_MS < 30000 / 2);
  check_fleet_step (offline, 0, 500, 1000);
  check_fleet_step (offline, 1, 1000, 2000);
  check_fleet_step (offline, 2, REALTIME_OFFLINE_MAX_MS / 2,
      REALTIME_OFFLINE_MAX_MS);
  check_fleet_step (offline, 3, REALTIME_OFFLINE_MAX_MS / 2,
      REALTIME_OFFLINE_MAX_MS);
  check_fleet_step (offline, 7, REALTIME_OFFLINE_MAX_MS / 2,
      REALTIME_OFFLINE_MAX_MS);

  check_fleet_step (lost_offline_lost, 3, 2000, 4000);
  check_fleet_step (lost_offline_lost, 4, 0, 30000);
  check_fleet_step (lost_offline_lost, 5, 29000, 30000);

  check_fleet_step (window_then_offline, 3, 500, 1000);
  check_fleet_step (window_then_offline, 4, 1000, 2000);

  check_fleet_step (offline_then_rate, 3, 0, 30000);
  check_fleet_step (offline_then_rate, 4, 15000, 30000);
}

GST_END_TEST;

/* The offline ladder within small bounds: never above backoff-max, never
 * below half of backoff-min's first step. */
GST_START_TEST (test_policy_offline_within_bounds)
{
  RealtimeReconnectPolicy p;
  guint i;

  realtime_reconnect_policy_init (&p, 250, 1500);
  realtime_reconnect_policy_set_seed (&p, 3);
  for (i = 0; i < 200; i++) {
    guint d = realtime_reconnect_policy_next (&p, REALTIME_FAILURE_OFFLINE, 0);

    fail_unless (d >= 125 && d <= 1500, "offline delay %u", d);
  }
  /* backoff-min above the offline ceiling: the ladder stays at it. */
  realtime_reconnect_policy_set_bounds (&p, 8000, 30000);
  realtime_reconnect_policy_succeeded (&p);
  for (i = 0; i < 50; i++) {
    guint d = realtime_reconnect_policy_next (&p, REALTIME_FAILURE_OFFLINE, 0);

    fail_unless (d >= 4000 && d <= 8000, "offline delay %u", d);
  }
  realtime_reconnect_policy_clear (&p);
}

GST_END_TEST;

GST_START_TEST (test_policy_success_starts_over)
{
  RealtimeReconnectPolicy p;
  guint i;

  realtime_reconnect_policy_init (&p, 1000, 30000);
  realtime_reconnect_policy_set_seed (&p, 77);
  for (i = 0; i < 200; i++) {
    guint j;

    /* A few failures of any kind, then success: the next loss is quick
     * again. */
    for (j = 0; j < i % 6; j++)
      realtime_reconnect_policy_next (&p, j % 6, 0);
    realtime_reconnect_policy_succeeded (&p);
    fail_unless_equals_int (p.failures, 0);
    fail_unless (
        realtime_reconnect_policy_next (&p, REALTIME_FAILURE_LOST, 0) <= 1000);
    realtime_reconnect_policy_succeeded (&p);
  }
  realtime_reconnect_policy_clear (&p);
}

GST_END_TEST;

GST_START_TEST (test_policy_retry_after_spread)
{
  RealtimeReconnectPolicy p;
  guint i, at_floor = 0, min = G_MAXUINT, max = 0;

  /* 300 robots all told "Retry-After: 10" on their first 503: none comes
   * back before 10 s, and they do not all come back at 10 s. */
  for (i = 0; i < 300; i++) {
    guint d;

    realtime_reconnect_policy_init (&p, 1000, 30000);
    realtime_reconnect_policy_set_seed (&p, 500 + i);
    d = realtime_reconnect_policy_next (&p, REALTIME_FAILURE_UNAVAILABLE,
        10000);
    fail_unless (d >= 10000 && d <= 30000, "delay %u", d);
    at_floor += d < 10100;
    min = MIN (min, d);
    max = MAX (max, d);
    realtime_reconnect_policy_clear (&p);
  }
  fail_unless (at_floor < 15, "%u of 300 at Retry-After itself", at_floor);
  fail_unless (max - min > 15000, "only %u..%u", min, max);
}

GST_END_TEST;

GST_START_TEST (test_policy_retry_after)
{
  RealtimeFailureKind kinds[] = { REALTIME_FAILURE_LOST,
    REALTIME_FAILURE_RATE_LIMITED, REALTIME_FAILURE_UNAVAILABLE,
    REALTIME_FAILURE_REFUSED, REALTIME_FAILURE_TOKEN_EXPIRED };
  guint k;

  for (k = 0; k < G_N_ELEMENTS (kinds); k++) {
    /* Never sooner than Retry-After ... */
    check_kind_range (kinds[k], 12000, 12000, 30000, TRUE);
    check_kind_range (kinds[k], 12000, 12000, 30000, FALSE);
    /* ... which the cap caps: a Retry-After of an hour waits the cap. */
    check_kind_range (kinds[k], 3600 * 1000, 30000, 30000, TRUE);
    check_kind_range (kinds[k], 3600 * 1000, 30000, 30000, FALSE);
  }
}

GST_END_TEST;

GST_START_TEST (test_policy_never_above_cap)
{
  RealtimeReconnectPolicy p;
  guint i;

  realtime_reconnect_policy_init (&p, 250, 4000);
  realtime_reconnect_policy_set_seed (&p, 9);
  for (i = 0; i < 5000; i++) {
    RealtimeFailureKind kind = g_random_int_range (0, 6);

    fail_unless (realtime_reconnect_policy_next (&p, kind,
                     g_random_boolean () ? g_random_int_range (0, 9000) : 0)
        <= 4000);
    if (i % 97 == 0)
      realtime_reconnect_policy_succeeded (&p);
  }
  /* New bounds apply to the next delay. */
  realtime_reconnect_policy_set_bounds (&p, 100, 700);
  for (i = 0; i < 500; i++)
    fail_unless (
        realtime_reconnect_policy_next (&p, REALTIME_FAILURE_LOST, 0) <= 700);
  realtime_reconnect_policy_succeeded (&p);
  fail_unless (
      realtime_reconnect_policy_next (&p, REALTIME_FAILURE_LOST, 0) <= 100);
  realtime_reconnect_policy_clear (&p);
  realtime_reconnect_policy_clear (&p);
}

GST_END_TEST;

GST_START_TEST (test_policy_reproducible)
{
  RealtimeReconnectPolicy a, b;
  guint i;

  realtime_reconnect_policy_init (&a, 1000, 30000);
  realtime_reconnect_policy_init (&b, 1000, 30000);
  realtime_reconnect_policy_set_seed (&a, 5);
  realtime_reconnect_policy_set_seed (&b, 5);
  for (i = 0; i < 200; i++) {
    RealtimeFailureKind kind = i % 6;

    fail_unless_equals_int (realtime_reconnect_policy_next (&a, kind, 0),
        realtime_reconnect_policy_next (&b, kind, 0));
  }
  realtime_reconnect_policy_clear (&a);
  realtime_reconnect_policy_clear (&b);
}

GST_END_TEST;

GST_START_TEST (test_policy_describe)
{
  guint k, j;

  for (k = 0; k <= REALTIME_FAILURE_OFFLINE; k++) {
    const gchar *d = realtime_failure_kind_describe (k);

    fail_unless (d != NULL && strlen (d) > 10);
    for (j = 0; j < k; j++)
      fail_unless (g_strcmp0 (d, realtime_failure_kind_describe (j)) != 0);
  }
  /* The ones an operator must act on say what to fix. */
  fail_unless (
      strstr (realtime_failure_kind_describe (REALTIME_FAILURE_REFUSED), "key")
      != NULL);
  fail_unless (
      strstr (realtime_failure_kind_describe (REALTIME_FAILURE_TOKEN_EXPIRED),
          "token")
      != NULL);
}

GST_END_TEST;

static Suite *
backoff_suite (void)
{
  Suite *s = suite_create ("backoff");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_sequence_shape);
  tcase_add_test (tc, test_seed_is_reproducible);
  tcase_add_test (tc, test_full_jitter_covers_range);
  tcase_add_test (tc, test_reset_restarts_at_base);
  tcase_add_test (tc, test_overflow_safe);
  tcase_add_test (tc, test_at_cap_in_range);
  tcase_add_test (tc, test_clear_is_idempotent);
  tcase_add_test (tc, test_fleet_first_attempt_spread);
  tcase_add_test (tc, test_fleet_fifth_attempt_spread);
  tcase_add_test (tc, test_policy_first_loss_is_fast);
  tcase_add_test (tc, test_policy_refusals_at_cap);
  tcase_add_test (tc, test_policy_retry_after);
  tcase_add_test (tc, test_policy_lost_sequence);
  tcase_add_test (tc, test_policy_unavailable_and_rate_limit_spread);
  tcase_add_test (tc, test_policy_offline_ladder);
  tcase_add_test (tc, test_policy_offline_within_bounds);
  tcase_add_test (tc, test_policy_success_starts_over);
  tcase_add_test (tc, test_policy_retry_after_spread);
  tcase_add_test (tc, test_policy_never_above_cap);
  tcase_add_test (tc, test_policy_reproducible);
  tcase_add_test (tc, test_policy_describe);
  return s;
}

RT_TEST_MAIN (backoff);

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-backoff.c: capped exponential backoff with full jitter, including
 * the fleet property that motivates it: clients that lost the same server
 * at the same moment must not come back in lockstep.
 */
#include "test-util.h"

#include "backoff.h"

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
  return s;
}

RT_TEST_MAIN (backoff);

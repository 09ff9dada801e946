/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * backoff.c: capped exponential backoff with full jitter.
 */
#include "backoff.h"

/**
 * realtime_backoff_init:
 * @backoff: the backoff to set up (uninitialised or cleared)
 * @base_ms: ceiling of the first delay
 * @cap_ms: largest ceiling
 *
 * Sets up @backoff at attempt 0 with its own random source. The source is
 * seeded from the global generator rather than a constant so that many
 * clients started together (or in one process) draw different delays.
 */
void
realtime_backoff_init (RealtimeBackoff *backoff, guint base_ms, guint cap_ms)
{
  g_return_if_fail (backoff != NULL);

  backoff->base_ms = base_ms;
  backoff->cap_ms = cap_ms;
  backoff->attempt = 0;
  backoff->rand = g_rand_new_with_seed (g_random_int ());
}

/**
 * realtime_backoff_set_seed:
 * @backoff: an initialised backoff
 * @seed: the seed
 *
 * Makes the delays of @backoff reproducible; for tests only.
 */
void
realtime_backoff_set_seed (RealtimeBackoff *backoff, guint32 seed)
{
  g_return_if_fail (backoff != NULL);

  if (backoff->rand)
    g_rand_set_seed (backoff->rand, seed);
  else
    backoff->rand = g_rand_new_with_seed (seed);
}

/**
 * realtime_backoff_clear:
 * @backoff: a backoff
 *
 * Frees what realtime_backoff_init() allocated. Safe to call twice.
 */
void
realtime_backoff_clear (RealtimeBackoff *backoff)
{
  g_return_if_fail (backoff != NULL);

  g_clear_pointer (&backoff->rand, g_rand_free);
  backoff->attempt = 0;
}

/**
 * realtime_backoff_peek_ceiling:
 * @backoff: a backoff
 *
 * Returns: min (cap, base * 2^attempt), the largest delay the next call to
 *   realtime_backoff_next() can return.
 */
guint
realtime_backoff_peek_ceiling (const RealtimeBackoff *backoff)
{
  guint64 ceiling;

  g_return_val_if_fail (backoff != NULL, 0);

  /* base fits in 32 bits, so shifting by less than 32 cannot overflow 64;
   * past that the ceiling is the cap anyway unless base is 0. */
  if (backoff->base_ms == 0)
    return 0;
  if (backoff->attempt >= 32)
    return backoff->cap_ms;
  ceiling = (guint64)backoff->base_ms << backoff->attempt;
  return (guint)MIN (ceiling, (guint64)backoff->cap_ms);
}

/* Uniform in [0, bound], 64 random bits so the modulo bias is negligible
 * for any 32-bit bound. */
static guint
draw (RealtimeBackoff *backoff, guint bound)
{
  guint64 r;

  if (!backoff->rand)
    backoff->rand = g_rand_new_with_seed (g_random_int ());
  r = ((guint64)g_rand_int (backoff->rand) << 32) | g_rand_int (backoff->rand);
  return (guint)(r % ((guint64)bound + 1));
}

/**
 * realtime_backoff_next:
 * @backoff: a backoff
 *
 * Returns: the next delay in ms, uniform in [0, ceiling]; advances the
 *   attempt counter.
 */
guint
realtime_backoff_next (RealtimeBackoff *backoff)
{
  guint delay;

  g_return_val_if_fail (backoff != NULL, 0);

  delay = draw (backoff, realtime_backoff_peek_ceiling (backoff));
  if (backoff->attempt < G_MAXUINT)
    backoff->attempt++;
  return delay;
}

/**
 * realtime_backoff_at_cap:
 * @backoff: a backoff
 *
 * For failures that should wait long whatever the attempt (a 429, a
 * refused handshake): at least half the cap, so a fleet does not hammer a
 * server that asked it to slow down, still jittered so it does not return
 * in lockstep. Does not advance the attempt counter.
 *
 * Returns: a delay in ms, uniform in [cap/2, cap].
 */
guint
realtime_backoff_at_cap (RealtimeBackoff *backoff)
{
  guint low;

  g_return_val_if_fail (backoff != NULL, 0);

  low = backoff->cap_ms / 2;
  return low + draw (backoff, backoff->cap_ms - low);
}

/**
 * realtime_backoff_draw:
 * @backoff: a backoff
 * @low: smallest delay
 * @high: largest delay (raised to @low if below it)
 *
 * Draws from the jitter source of @backoff without advancing the attempt
 * counter, for rules that pick their own window.
 *
 * Returns: a delay in ms, uniform in [low, high].
 */
guint
realtime_backoff_draw (RealtimeBackoff *backoff, guint low, guint high)
{
  g_return_val_if_fail (backoff != NULL, 0);

  if (high <= low)
    return low;
  return low + draw (backoff, high - low);
}

/**
 * realtime_backoff_reset:
 * @backoff: a backoff
 *
 * Starts again from the base delay, after a success.
 */
void
realtime_backoff_reset (RealtimeBackoff *backoff)
{
  g_return_if_fail (backoff != NULL);

  backoff->attempt = 0;
}

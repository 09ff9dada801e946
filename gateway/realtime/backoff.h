/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * backoff.h: capped exponential backoff with full jitter.
 *
 * The n-th delay (n counted from 0 since the last reset) is drawn uniformly
 * from [0, min (cap, base * 2^n)] ("full jitter"), so a fleet that lost the
 * same server at the same moment does not come back in lockstep.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint base_ms;
  guint cap_ms;
  guint attempt;
  GRand *rand;
} RealtimeBackoff;

void
realtime_backoff_init (RealtimeBackoff *backoff, guint base_ms, guint cap_ms);
/* Seeds the jitter source; for tests only. */
void realtime_backoff_set_seed (RealtimeBackoff *backoff, guint32 seed);
void realtime_backoff_clear (RealtimeBackoff *backoff);
/* Upper bound of the next delay, without drawing it. */
guint realtime_backoff_peek_ceiling (const RealtimeBackoff *backoff);
/* Draws the next delay in ms and advances the attempt counter. */
guint realtime_backoff_next (RealtimeBackoff *backoff);
/* A delay drawn from [cap/2, cap], for failures that retry at the cap. */
guint realtime_backoff_at_cap (RealtimeBackoff *backoff);
/* A delay drawn uniformly from [low, high] (high raised to low if below);
 * does not advance the attempt counter. */
guint realtime_backoff_draw (RealtimeBackoff *backoff, guint low, guint high);
void realtime_backoff_reset (RealtimeBackoff *backoff);

G_END_DECLS

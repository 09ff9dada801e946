/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * reconnect-policy.c: when to try again after a connection or a join
 * failed, by the kind of failure (see reconnect-policy.h for the rules).
 */
#include "reconnect-policy.h"

/**
 * realtime_reconnect_policy_init:
 * @policy: the policy to set up (uninitialised or cleared)
 * @base_ms: backoff-min, the ceiling of the first delay
 * @cap_ms: backoff-max, the largest delay
 *
 * Sets up @policy with no failure counted and its own random source.
 */
void
realtime_reconnect_policy_init (RealtimeReconnectPolicy *policy, guint base_ms,
    guint cap_ms)
{
  g_return_if_fail (policy != NULL);

  realtime_backoff_init (&policy->backoff, base_ms, MAX (cap_ms, base_ms));
  policy->failures = 0;
  policy->window_ms = 0;
  policy->rate_limited = FALSE;
  policy->offline = 0;
}

/**
 * realtime_reconnect_policy_clear:
 * @policy: a policy
 *
 * Frees what realtime_reconnect_policy_init() allocated. Safe to call
 * twice.
 */
void
realtime_reconnect_policy_clear (RealtimeReconnectPolicy *policy)
{
  g_return_if_fail (policy != NULL);

  realtime_backoff_clear (&policy->backoff);
  policy->failures = 0;
  policy->window_ms = 0;
  policy->rate_limited = FALSE;
  policy->offline = 0;
}

/**
 * realtime_reconnect_policy_set_seed:
 * @policy: an initialised policy
 * @seed: the seed
 *
 * Makes the delays of @policy reproducible (tests, the fleet simulation).
 */
void
realtime_reconnect_policy_set_seed (RealtimeReconnectPolicy *policy,
    guint32 seed)
{
  g_return_if_fail (policy != NULL);

  realtime_backoff_set_seed (&policy->backoff, seed);
}

/**
 * realtime_reconnect_policy_set_bounds:
 * @policy: an initialised policy
 * @base_ms: the new backoff-min
 * @cap_ms: the new backoff-max (raised to @base_ms if below it)
 *
 * Changes base and cap, for properties set after construction. The
 * failures counted so far are kept.
 */
void
realtime_reconnect_policy_set_bounds (RealtimeReconnectPolicy *policy,
    guint base_ms, guint cap_ms)
{
  g_return_if_fail (policy != NULL);

  policy->backoff.base_ms = base_ms;
  policy->backoff.cap_ms = MAX (cap_ms, base_ms);
  policy->window_ms = MIN (policy->window_ms, policy->backoff.cap_ms);
}

/**
 * realtime_reconnect_policy_next:
 * @policy: a policy
 * @kind: what failed
 * @retry_after_ms: the server's Retry-After in ms, 0 if none
 *
 * Counts a failure and draws the delay before the next attempt, uniformly
 * from a range the rules pick (reconnect-policy.h, docs/FLEET.md):
 * [0, base] for the first loss of a joined link; [0, cap] once when the
 * quick retry failed too, or on 503, or on a first rate limit; then
 * [cap - base, cap], keeping the robot's place in the fleet's stream;
 * [cap/2, cap] for refusals, an expired token and a repeated rate limit;
 * [h/2, h] for an offline attempt, h = base doubling per consecutive
 * offline failure up to REALTIME_OFFLINE_MAX_MS (never above the cap),
 * without advancing the fleet window.
 * Retry-After (capped by the cap) raises the low end of the range, so a
 * fleet told to come back in 10 s does not all come back at 10 s.
 *
 * Returns: the delay in ms before the next attempt, never above the cap
 *   and never below min (Retry-After, cap).
 */
guint
realtime_reconnect_policy_next (RealtimeReconnectPolicy *policy,
    RealtimeFailureKind kind, guint retry_after_ms)
{
  RealtimeBackoff *b;
  guint cap, base, low, high;

  g_return_val_if_fail (policy != NULL, 0);

  b = &policy->backoff;
  cap = b->cap_ms;
  base = MIN (b->base_ms, cap);
  if (kind != REALTIME_FAILURE_OFFLINE)
    policy->offline = 0;
  switch (kind) {
    case REALTIME_FAILURE_LOST:
    case REALTIME_FAILURE_UNAVAILABLE:
      if (kind == REALTIME_FAILURE_LOST && policy->failures == 0) {
        /* Joined until now: most likely the robot's own link. */
        low = 0;
        high = base;
      } else if (policy->window_ms == 0) {
        /* The quick retry failed too (or the server says it is
         * overloaded): the server may be gone for the whole fleet.
         * Spread over the whole window once ... */
        policy->window_ms = cap;
        low = 0;
        high = cap;
      } else {
        /* ... then keep that place in the fleet's stream: every retry
         * just under the cap, so a returning fleet arrives at an even
         * rate of about robots / cap. */
        low = cap - base;
        high = cap;
      }
      break;
    case REALTIME_FAILURE_RATE_LIMITED:
      /* The project is over its limit: many robots came at once. The
       * first refusal spreads over the whole window (the server already
       * held the join for its error sleep); another one waits at the
       * cap. */
      if (!policy->rate_limited) {
        policy->window_ms = cap;
        policy->rate_limited = TRUE;
        low = 0;
      } else {
        low = cap / 2;
      }
      high = cap;
      break;
    case REALTIME_FAILURE_OFFLINE: {
      /* No server saw the attempt: the robot's own network is down.
       * A short ladder of its own, [h/2, h] with h doubling from the base
       * up to a few seconds; the fleet window is not advanced, so once a
       * connect reaches the server the rules above apply as before. */
      guint top = MAX (MIN ((guint)REALTIME_OFFLINE_MAX_MS, cap), base);
      guint step = MIN (policy->offline, 16u);

      high = (guint)MIN ((guint64)MAX (base, 1u) << step, (guint64)top);
      low = high / 2;
      if (policy->offline < G_MAXUINT)
        policy->offline++;
      break;
    }
    case REALTIME_FAILURE_REFUSED:
    case REALTIME_FAILURE_TOKEN_EXPIRED:
    default:
      /* An operator must fix something: at the cap, jittered. */
      low = cap / 2;
      high = cap;
      break;
  }
  low = MAX (low, MIN (retry_after_ms, cap));
  if (policy->failures < G_MAXUINT)
    policy->failures++;
  return realtime_backoff_draw (b, low, MAX (high, low));
}

/**
 * realtime_reconnect_policy_succeeded:
 * @policy: a policy
 *
 * The socket is up and the channel joined: the next failure is the first
 * again, retried within the base.
 */
void
realtime_reconnect_policy_succeeded (RealtimeReconnectPolicy *policy)
{
  g_return_if_fail (policy != NULL);

  realtime_backoff_reset (&policy->backoff);
  policy->failures = 0;
  policy->window_ms = 0;
  policy->rate_limited = FALSE;
  policy->offline = 0;
}

/**
 * realtime_failure_kind_describe:
 * @kind: a failure kind
 *
 * Returns: a short, operator-facing description of @kind for log lines.
 */
const gchar *
realtime_failure_kind_describe (RealtimeFailureKind kind)
{
  switch (kind) {
    case REALTIME_FAILURE_LOST:
      return "the link was lost or the connection failed";
    case REALTIME_FAILURE_RATE_LIMITED:
      return "the project's rate limit was reached (joins, channels or "
             "connections per second): raise the plan's limit or spread "
             "the fleet with a larger backoff-max";
    case REALTIME_FAILURE_UNAVAILABLE:
      return "the server or the project's database is overloaded or "
             "unavailable: if it lasts, check the project's status and "
             "raise its database connection pool (IncreaseConnectionPool)";
    case REALTIME_FAILURE_REFUSED:
      return "the server refused the key, token or project: check the API "
             "key, the access token, the project URL and that Realtime is "
             "enabled";
    case REALTIME_FAILURE_TOKEN_EXPIRED:
      return "the access token expired and no newer token is known: write "
             "a fresh token to the token file";
    case REALTIME_FAILURE_OFFLINE:
      return "the robot's own network is down (no name resolution, no "
             "route, or no TCP connection): retrying on the short offline "
             "ladder";
  }
  return "unknown failure";
}

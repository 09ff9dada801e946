/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * reconnect-policy.h: when to try again after a connection or a join
 * failed, by the kind of failure. Pure: no timers, no I/O, no clock; the
 * caller (RealtimeClient for the socket, RealtimeChannel for the join, the
 * fleet simulation in bench/) asks for a delay and arms its own timer, so
 * the simulation runs the very rules the robots run.
 *
 * The rules (docs/FLEET.md shows why, bench/fleet measures them): a link
 * that was joined retries within backoff-min (the robot's own link, most
 * likely); if that retry fails too, the robot may be one of a fleet that
 * lost the server together, so it draws its next attempt once from the
 * whole window [0, backoff-max] and then keeps that place, retrying every
 * backoff-max less up to backoff-min: a returning fleet arrives at about
 * robots / backoff-max per second, whatever the outage's length. A first
 * rate limit spreads over [0, backoff-max], a repeated one and every
 * refusal an operator must fix wait [backoff-max / 2, backoff-max].
 * An attempt that never reached a server (offline: no name resolution,
 * no route, no TCP) waits [h/2, h] with h = backoff-min doubling up to
 * REALTIME_OFFLINE_MAX_MS, and leaves the fleet window alone, so a robot
 * whose own link comes back rejoins within a few seconds.
 */
#pragma once

#include <glib.h>

#include "backoff.h"

G_BEGIN_DECLS

typedef enum
{
  /* The link was lost after being up (own 4G link, server gone, heartbeat
   * timeout), or a connect attempt failed at TCP, TLS or the upgrade or
   * hit the connect timeout. Quick retry, then the fleet window. */
  REALTIME_FAILURE_LOST = 0,
  /* 429 on the handshake, ClientJoinRateLimitReached,
   * ChannelRateLimitReached: the project is over a limit. The first one
   * spreads over the window, a repeated one waits at the cap. */
  REALTIME_FAILURE_RATE_LIMITED,
  /* 503 on the handshake, IncreaseConnectionPool, other server-side
   * overload: no quick retry, the fleet window at once. */
  REALTIME_FAILURE_UNAVAILABLE,
  /* 401, 403, 404 on the handshake, join "Unauthorized" and other
   * refusals an operator must fix: retried at the cap, jittered. */
  REALTIME_FAILURE_REFUSED,
  /* The channel's token expired ("Token has expired") and no newer token
   * is known: retried at the cap, jittered. */
  REALTIME_FAILURE_TOKEN_EXPIRED,
  /* The robot's own network is down: the name did not resolve, the
   * network or host is unreachable, or the connect timed out before TCP
   * was up. No server saw the attempt, so it stays on a short jittered
   * ladder of its own (from backoff-min up to
   * REALTIME_OFFLINE_MAX_MS) and does not advance the fleet window.
   * A refused TCP connection is not offline: a host answered. */
  REALTIME_FAILURE_OFFLINE,
} RealtimeFailureKind;

/* The ceiling of the offline ladder (lowered to backoff-max if that is
 * smaller, raised to backoff-min if that is larger). */
#define REALTIME_OFFLINE_MAX_MS 4000

typedef struct
{
  RealtimeBackoff backoff;
  /* Consecutive failures since the last success. */
  guint failures;
  /* Rules' private state: the window the retries were spread over
   * (0 until the first spread), whether a rate limit was met since. */
  guint window_ms;
  gboolean rate_limited;
  /* Consecutive offline failures: the step on the offline ladder. */
  guint offline;
} RealtimeReconnectPolicy;

/* @base_ms, @cap_ms: backoff-min and backoff-max. */
void realtime_reconnect_policy_init (RealtimeReconnectPolicy *policy,
    guint base_ms, guint cap_ms);
void realtime_reconnect_policy_clear (RealtimeReconnectPolicy *policy);
/* Seeds the jitter source (tests and the simulation). */
void realtime_reconnect_policy_set_seed (RealtimeReconnectPolicy *policy,
    guint32 seed);
/* Changes base and cap (properties set after construction). */
void realtime_reconnect_policy_set_bounds (RealtimeReconnectPolicy *policy,
    guint base_ms, guint cap_ms);

/* An attempt failed or an established link was lost.
 * @retry_after_ms: the server's Retry-After in ms (429, 503), 0 if none;
 * the delay returned is never below it and never above the cap (a
 * Retry-After above the cap is capped). It raises the low end of the
 * rule's range rather than replacing the draw, so robots told the same
 * Retry-After still come back spread out.
 * Returns: the delay in ms before the next attempt. */
guint realtime_reconnect_policy_next (RealtimeReconnectPolicy *policy,
    RealtimeFailureKind kind, guint retry_after_ms);

/* The attempt succeeded (the socket is up and the channel joined): the
 * ladder starts over. */
void realtime_reconnect_policy_succeeded (RealtimeReconnectPolicy *policy);

/* A short, operator-facing description of @kind for log lines ("the
 * project's join rate limit", "the access token was refused: check the
 * key and token", ...). */
const gchar *realtime_failure_kind_describe (RealtimeFailureKind kind);

G_END_DECLS

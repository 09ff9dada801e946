/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-refusal.h: what the server's refusals mean. Maps a handshake's
 * HTTP status, its Retry-After header and a join's error reason (the
 * codes of Supabase Realtime's realtime_channel.ex, "Code: message") to
 * the RealtimeFailureKind that decides when to try again. Pure: no I/O,
 * no clock of its own.
 */
#pragma once

#include <glib.h>

#include "reconnect-policy.h"

G_BEGIN_DECLS

/* 401, 403, 404 -> REFUSED; 429 -> RATE_LIMITED; 503 -> UNAVAILABLE;
 * anything else (500, 502, no HTTP answer at all: 0) -> LOST. */
RealtimeFailureKind realtime_refusal_from_http_status (guint status);

/* A Retry-After header value, delta-seconds ("120") or an HTTP date,
 * as milliseconds from @now_unix_us (wall clock, µs); 0 when @value is
 * %NULL, unparsable or in the past. */
guint
realtime_refusal_parse_retry_after (const gchar *value, gint64 now_unix_us);

/* The kind of a join error reason, by its code: Unauthorized and the JWT
 * codes -> REFUSED, InvalidJWTToken "Token has expired" -> TOKEN_EXPIRED,
 * ClientJoinRateLimitReached, ChannelRateLimitReached,
 * ConnectionRateLimitReached -> RATE_LIMITED, IncreaseConnectionPool and
 * the other server-side shortages -> UNAVAILABLE; anything else (a
 * timeout, an unknown code, %NULL) -> LOST. */
RealtimeFailureKind realtime_refusal_from_join_reason (const gchar *reason);

/* The kind of the system error that ends a joined channel, by its
 * message: an expired token -> TOKEN_EXPIRED, lost permission or missing
 * claims -> REFUSED, "Too many ..." and rate limits -> RATE_LIMITED, the
 * database out of reach -> UNAVAILABLE, else LOST. */
RealtimeFailureKind realtime_refusal_from_system_message (const gchar *text);

/* TRUE when the server's @text (a join reason or a system message) says
 * that the access token has expired. */
gboolean realtime_refusal_is_token_expired (const gchar *text);

/* "lost", "rate-limited", "unavailable", "refused", "token-expired",
 * "offline": a stable word for log lines and tests. */
const gchar *realtime_failure_kind_to_string (RealtimeFailureKind kind);

G_END_DECLS

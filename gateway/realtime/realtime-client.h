/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-client.h: a Supabase Realtime (Phoenix Channels) client that owns
 * one WebSocket and keeps it, and every channel on it, alive.
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "realtime-codec.h"

G_BEGIN_DECLS

typedef struct _RealtimeChannel RealtimeChannel;

typedef enum
{
  REALTIME_CLIENT_STATE_DISCONNECTED,
  REALTIME_CLIENT_STATE_CONNECTING,
  REALTIME_CLIENT_STATE_CONNECTED,
} RealtimeClientState;

#define REALTIME_TYPE_CLIENT_STATE (realtime_client_state_get_type ())
GType realtime_client_state_get_type (void);
const gchar *realtime_client_state_to_string (RealtimeClientState state);

typedef enum
{
  REALTIME_HEARTBEAT_SENT,
  REALTIME_HEARTBEAT_OK,
  REALTIME_HEARTBEAT_TIMEOUT,
} RealtimeHeartbeatStatus;

#define REALTIME_TYPE_HEARTBEAT_STATUS (realtime_heartbeat_status_get_type ())
GType realtime_heartbeat_status_get_type (void);
const gchar *realtime_heartbeat_status_to_string (RealtimeHeartbeatStatus s);

#define REALTIME_ERROR (realtime_error_quark ())
GQuark realtime_error_quark (void);

typedef enum
{
  REALTIME_ERROR_INVALID_ARGUMENT,
  REALTIME_ERROR_CONFIG, /* 401/403/404 at the handshake */
  REALTIME_ERROR_REJECTED, /* an error reply from the server */
  REALTIME_ERROR_TIMEOUT, /* no reply in time */
  REALTIME_ERROR_DISCONNECTED, /* the socket went away first */
  REALTIME_ERROR_CLOSED, /* the channel or client was closed */
  REALTIME_ERROR_TOO_LARGE,
} RealtimeError;

/* Defaults, all times in milliseconds. */
#define REALTIME_DEFAULT_HEARTBEAT_INTERVAL 25000
#define REALTIME_DEFAULT_CONNECT_TIMEOUT 10000
#define REALTIME_DEFAULT_JOIN_TIMEOUT 10000
#define REALTIME_DEFAULT_BACKOFF_MIN 1000
#define REALTIME_DEFAULT_BACKOFF_MAX 30000
#define REALTIME_DEFAULT_MAX_MESSAGE_SIZE (1024 * 1024)
#define REALTIME_DEFAULT_PUSH_BUFFER_SIZE 100

#define REALTIME_TYPE_CLIENT (realtime_client_get_type ())
G_DECLARE_FINAL_TYPE (RealtimeClient, realtime_client, REALTIME, CLIENT,
    GObject)

/*
 * Properties (all settable with g_object_new / g_object_set):
 *   "url"                 string, construct-only: https://<ref>.supabase.co,
 *                         http://host:port, or a full ws(s):// URL; the
 *                         path /realtime/v1/websocket is appended unless the
 *                         URL already ends in /websocket
 *   "api-key"             string, write-only: never readable, never logged
 *   "api-key-in-header"   boolean (FALSE): send the key only as "apikey" and
 *                         "x-api-key" headers instead of the query parameter
 *   "access-token"        string, write-only: user JWT for joins
 *   "vsn"                 RealtimeVsn (2.0.0)
 *   "ca-file"             string: PEM file of trusted CAs (else system CAs)
 *   "proxy"               string, construct-only: proxy URL (http://host:port
 *                         or socks5://...; credentials as user:password@
 *                         are used, never logged); unset: https_proxy (wss)
 *                         or http_proxy (ws), then all_proxy, from the
 *                         environment, with no_proxy honoured; none of them:
 *                         no proxy, and GIO's proxy modules are never
 *                         loaded; "direct": never a proxy. An unusable URL
 *                         keeps the client from connecting at all.
 *   "heartbeat-interval"  uint ms (25000)
 *   "heartbeat-timeout"   uint ms (0 = same as the interval); a
 *                         heartbeat unanswered this long closes the socket
 *                         unless bytes arrived on it meanwhile (a large
 *                         frame still arriving on a slow link)
 *   "connect-timeout"     uint ms (10000): TCP connect, TLS handshake and
 *                         WebSocket upgrade together; past it the attempt
 *                         is abandoned and the backoff continues
 *   "join-timeout"        uint ms (10000)
 *   "backoff-min"         uint ms (1000)
 *   "backoff-max"         uint ms (30000)
 *   "max-message-size"    uint bytes (1 MiB)
 *   "push-buffer-size"    uint messages per channel (100)
 *   "state"               RealtimeClientState, read-only
 *
 * Signals:
 *   "state-changed" (RealtimeClientState state, const gchar *reason)
 *   "heartbeat" (RealtimeHeartbeatStatus status, gdouble rtt_ms): rtt is 0
 *       for SENT, the round trip for OK, the time waited for TIMEOUT
 *   "token-expired" (): the server said that the access token expired; a
 *       handler may set a newer one (realtime_client_set_access_token())
 *       before the channel decides how soon to rejoin. RealtimeTokenWatch
 *       re-reads its file here.
 *
 * Reconnects and rejoins follow RealtimeReconnectPolicy (reconnect-policy.h)
 * by the kind of each failure: handshake 401/403/404 and join refusals an
 * operator must fix at the cap, 429/503 no sooner than their Retry-After
 * (capped by backoff-max), rate limits and server shortages by their own
 * rules, everything else on the normal ladder. Each refusal is logged once,
 * with what to fix.
 */

RealtimeClient *realtime_client_new (const gchar *url, const gchar *api_key);
/* Checks a value for the "proxy" property: %NULL, empty, "direct" or a
 * usable proxy URL. The error names the setting, never the credentials. */
gboolean realtime_client_check_proxy (const gchar *proxy, GError **error);

/* Starts connecting (and keeps reconnecting until disconnect()). */
void realtime_client_connect (RealtimeClient *client);
/* Closes the socket and stops reconnecting; channels keep their wish to be
 * joined and rejoin on the next connect(). */
void realtime_client_disconnect (RealtimeClient *client);
/* Drops the current connection as if the link died and reconnects at once
 * (SIGUSR1 in the daemon). */
void realtime_client_reconnect (RealtimeClient *client);

RealtimeClientState realtime_client_get_state (RealtimeClient *client);

/* Returns the channel for @name (topic "realtime:<name>"), creating it on
 * first use: calling it again with the same name returns the same object.
 * Returns: (transfer none): owned by the client until remove_channel(). */
RealtimeChannel *
realtime_client_channel (RealtimeClient *client, const gchar *name);
/* Leaves the channel (if joined) and forgets it; the object may outlive
 * this call if the caller holds a reference, but it is detached. */
void realtime_client_remove_channel (RealtimeClient *client,
    RealtimeChannel *channel);
/* Returns: (transfer container): the channels, in creation order. */
GPtrArray *realtime_client_get_channels (RealtimeClient *client);

/* Updates the join payload of every channel and pushes "access_token" to
 * every joined channel. %NULL clears the token. */
void
realtime_client_set_access_token (RealtimeClient *client, const gchar *token);

/* Counters for stats and tests. */
typedef struct
{
  guint connects; /* successful WebSocket handshakes */
  guint reconnects; /* connection attempts scheduled after a loss */
  guint heartbeats_sent;
  guint heartbeats_ok;
  guint heartbeat_timeouts;
  guint frames_received;
  guint frames_sent;
  guint frames_dropped; /* malformed, unknown, oversized, stale */
  gdouble last_rtt_ms;
  guint connect_timeouts; /* attempts abandoned at connect-timeout */
  guint refusals; /* handshakes refused (401/403/404/429/503) */
  guint heartbeats_late; /* unanswered in time, but bytes were arriving */
} RealtimeClientStats;

void
realtime_client_get_stats (RealtimeClient *client, RealtimeClientStats *stats);

/* Sends a heartbeat now unless one is pending. Its reply proves that the
 * server has read every frame written before it. */
void realtime_client_heartbeat_now (RealtimeClient *client);

/* "Flush, then leave": completes once the server has read everything sent
 * so far (a heartbeat's reply proves it, the socket being ordered), or
 * after @timeout_ms (0: no deadline of its own), or at once when not
 * connected, or when the connection ends first. TRUE when proven; else
 * FALSE with a REALTIME_ERROR (TIMEOUT, DISCONNECTED) or
 * G_IO_ERROR_CANCELLED. Used before a disconnect so that a last report is
 * not lost. */
void realtime_client_flush_async (RealtimeClient *client, guint timeout_ms,
    GCancellable *cancellable, GAsyncReadyCallback callback,
    gpointer user_data);
gboolean realtime_client_flush_finish (RealtimeClient *client,
    GAsyncResult *result, GError **error);

/* Builds the WebSocket URL from a project URL or a ws(s) URL; with
 * @api_key non-%NULL the key goes in the query (never log the result). */
gchar *realtime_build_websocket_url (const gchar *url, RealtimeVsn vsn,
    const gchar *api_key, GError **error);

/* The URL the client dials, with secrets redacted. */
gchar *realtime_client_dup_redacted_url (RealtimeClient *client);

G_END_DECLS

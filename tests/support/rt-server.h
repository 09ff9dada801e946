/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * rt-server.h: the local realtime test server. A SoupServer that speaks the
 * Supabase Realtime protocol on loopback, with fault
 * injection for tests. It runs on the thread-default GMainContext at
 * creation; tests drive it in-process on the same context as the client.
 *
 * It does not share the client's codec: it frames and parses messages on
 * its own so a codec bug cannot hide behind a matching server bug.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _RtServer RtServer;

/* One frame the server received from a client, decoded. */
typedef struct
{
  guint conn_id; /* increasing per accepted WebSocket */
  gchar *vsn; /* "1.0.0" or "2.0.0" */
  gboolean binary; /* arrived as a binary frame (kind 3) */
  gchar *join_ref; /* nullable */
  gchar *ref; /* nullable */
  gchar *topic;
  gchar *event; /* for kind 3: "broadcast" */
  JsonNode *payload; /* for kind 3: {"type":"broadcast","event","payload"} */
  gint64 time_us; /* g_get_monotonic_time () at receipt */
} RtServerFrame;

/* Creates a server on 127.0.0.1 (port 0 picks a free one) that accepts
 * @api_key (as "apikey" query parameter or "x-api-key" header; %NULL
 * accepts any). */
RtServer *rt_server_new (guint port, const gchar *api_key, GError **error);
/* The same over TLS: every accepted connection is wrapped in a
 * GTlsServerConnection presenting the certificate of @cert_pem_file (with
 * the private key in @key_pem_file; both PEM, may be the same file), and
 * rt_server_get_url() returns "https://127.0.0.1:PORT". Needs
 * glib-networking. */
RtServer *rt_server_new_tls (guint port, const gchar *api_key,
    const gchar *cert_pem_file, const gchar *key_pem_file, GError **error);
/* Either of the above on @address, an IPv4 or IPv6 literal (%NULL:
 * 127.0.0.1; "0.0.0.0" or "::" listen on every address): plain when
 * @cert_pem_file is %NULL. The URL names @address (IPv6 in brackets). */
RtServer *
rt_server_new_full (const gchar *address, guint port, const gchar *api_key,
    const gchar *cert_pem_file, const gchar *key_pem_file, GError **error);
void rt_server_free (RtServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtServer, rt_server_free)

guint rt_server_get_port (RtServer *server);
/* "http://127.0.0.1:PORT", or https and the listening address (see
 * rt_server_new_full()); the client appends /realtime/v1/websocket. */
const gchar *rt_server_get_url (RtServer *server);

/* --- observation --- */
guint rt_server_get_n_connections (RtServer *server); /* open now */
guint rt_server_get_n_accepted (RtServer *server); /* ever */
/* Every frame received, in order. Transfer none, valid until the next main
 * loop iteration that receives a frame or until rt_server_clear_frames(). */
GPtrArray *rt_server_get_frames (RtServer *server);
void rt_server_clear_frames (RtServer *server);
/* Number of frames received with this event (and topic, if non-NULL). */
guint rt_server_count_frames (RtServer *server, const gchar *topic,
    const gchar *event);
/* Number of clients currently joined on topic ("realtime:<name>"). */
guint rt_server_count_members (RtServer *server, const gchar *topic);
/* Last access_token seen for topic, in a join payload or an access_token
 * push. Transfer none, nullable. */
const gchar *
rt_server_get_last_access_token (RtServer *server, const gchar *topic);

/* --- acting as the rest of the world --- */
/* Fans a broadcast out to every member of topic as the REST endpoint would:
 * v1 members get a JSON text frame, v2 members a binary kind 4 frame.
 * @payload_json is JSON text. */
void rt_server_broadcast (RtServer *server, const gchar *topic,
    const gchar *event, const gchar *payload_json);
/* The same with @payload_json sent verbatim, never parsed: JSON json-glib
 * cannot read (a lone surrogate escape) or would change (\u0000) reaches
 * v2 members in a kind 4 frame and v1 members in a text frame written as
 * the service writes it (keys sorted, topic last). */
void rt_server_broadcast_raw (RtServer *server, const gchar *topic,
    const gchar *event, const gchar *payload_json);

/* --- fault injection --- */
/* Closes every socket's transport without a close frame. */
void rt_server_drop_all (RtServer *server);
/* Closes every socket with a close frame (code 1000 or as given). */
void rt_server_close_all (RtServer *server, gushort code);
/* When FALSE, heartbeats are read but never answered; sockets stay open. */
void rt_server_set_answer_heartbeats (RtServer *server, gboolean answer);
/* The next @n phx_join requests get {"status":"error","response":
 * {"reason": reason}}. When @topic is non-NULL only joins on that topic
 * count. A reason starting "ClientJoinRateLimitReached" also closes the
 * socket after the reply, as the service does. */
void rt_server_reject_joins (RtServer *server, const gchar *topic, guint n,
    const gchar *reason);
/* The next @n phx_join requests (on @topic, or any when NULL) get no reply
 * and no membership. */
void rt_server_swallow_joins (RtServer *server, const gchar *topic, guint n);
/* Delays every reply by @ms (0 turns it off). */
void rt_server_set_reply_delay (RtServer *server, guint ms);
/* Sends garbage to every client: invalid JSON, wrong types, missing fields,
 * unknown binary kinds, truncated binary frames. */
void rt_server_send_garbage (RtServer *server);
/* Sends one text frame of @size bytes (valid JSON) to every client. */
void rt_server_send_oversized (RtServer *server, gsize size);
/* Sends @text as one text frame, verbatim, to every client: for frames
 * the server would never send on its own (stale join_refs, odd shapes). */
void rt_server_send_raw_text (RtServer *server, const gchar *text);
/* Sends phx_error (with the member's join_ref) on topic to its members. */
void rt_server_send_phx_error (RtServer *server, const gchar *topic);
/* Sends phx_close on topic to its members and removes their membership. */
void rt_server_send_phx_close (RtServer *server, const gchar *topic);
/* Sends a system error {"extension":"system","status":"error",...} then
 * phx_close, as the server does on token expiry. */
void rt_server_send_system_error (RtServer *server, const gchar *topic,
    const gchar *message);
/* --- private channels ---
 * As the service checks them: a phx_join whose config has "private": true
 * is accepted only when its access_token (or, without one, the API key the
 * socket presented) is read-authorised for the topic; otherwise it gets
 * {"status":"error","response":{"reason":"Unauthorized: You do not have
 * permissions to read from this Channel topic: <name>"}} (name without
 * "realtime:") and no membership. An access_token push on a joined private
 * channel with a token not authorised gets a system error with the same
 * words (without "Unauthorized: "), then phx_close. No token is authorised
 * for any topic until this says so (public joins are never checked). */
void rt_server_authorise_token (RtServer *server, const gchar *topic,
    const gchar *token);

/* Refuses the next @n WebSocket upgrades with HTTP @status (401, 429, 500,
 * ...) and body {"error": "..."}; @n == 0 stops refusing. */
void rt_server_refuse_upgrades (RtServer *server, guint status, guint n);
/* The same with a "Retry-After: @retry_after" header (seconds or an HTTP
 * date, verbatim; %NULL: none). */
void rt_server_refuse_upgrades_retry_after (RtServer *server, guint status,
    guint n, const gchar *retry_after);
/* The next @n accepted TCP connections are held open and never answered:
 * no TLS handshake, no upgrade reply (a connect that hangs). */
void rt_server_hang_upgrades (RtServer *server, guint n);
/* Connections held by rt_server_hang_upgrades() so far. */
guint rt_server_get_n_hung (RtServer *server);
/* g_get_monotonic_time() of every WebSocket upgrade request that reached
 * the server (refused or accepted; hung ones never do), in order.
 * Transfer none. */
GArray *rt_server_get_upgrade_times (RtServer *server);

/* The access token @token expires now, as the service handles it: every
 * channel joined with it (or given it by an access_token push) gets a
 * system error "Token has expired N seconds ago" then phx_close; later
 * joins with it are refused with "InvalidJWTToken: Token has expired N
 * seconds ago", and a push of it closes the channel the same way. */
void rt_server_expire_token (RtServer *server, const gchar *token);

/* Sends every member of @topic one broadcast @event whose payload is
 * {"data": "xxx..."} of @payload_size characters, written onto the socket
 * in pieces over @duration_ms (a slow downlink); frames the server sends
 * that connection meanwhile (heartbeat replies, ...) wait behind it. */
void rt_server_drip_broadcast (RtServer *server, const gchar *topic,
    const gchar *event, gsize payload_size, guint duration_ms);

/* The presence state of @topic as a new client would get it
 * (key -> {"metas": [...]}). Transfer full. */
JsonNode *rt_server_dup_presence_state (RtServer *server, const gchar *topic);

G_END_DECLS

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-client.c: the socket. One WebSocket at a time, owned by a
 * connection-scoped struct that also owns its heartbeat and everything else
 * that must die with it. State machine: DISCONNECTED -> CONNECTING ->
 * CONNECTED -> DISCONNECTED on any loss, with a reconnect scheduled by
 * the reconnect policy, by the kind of the failure, until disconnect().
 */
#include "link-bytes.h"
#include "owned-source.h"
#include "realtime-private.h"
#include "realtime-redact.h"
#include "realtime-refusal.h"
#include "reconnect-policy.h"
#include "secret-file.h"

#include <libsoup/soup.h>
#include <string.h>

typedef struct
{
  RealtimeClient *client; /* unowned: the client frees us */
  guint id;
  GCancellable *cancellable;
  SoupMessage *msg; /* the handshake */
  GSource *connect_timeout_source; /* armed until the socket is open */
  SoupWebsocketConnection *ws;
  gulong message_id;
  gulong closed_id;
  gulong error_id;
  GSource *heartbeat_source; /* repeating, every heartbeat-interval */
  GSource *heartbeat_timeout_source; /* armed per heartbeat sent */
  gchar *pending_heartbeat_ref;
  gint64 heartbeat_sent_us;
  /* Bytes received on the socket when the pending heartbeat went out, or
   * at its last check: more since means the link is alive. */
  guint64 heartbeat_bytes;
  gboolean heartbeat_bytes_known;
  gchar *error_reason; /* why libsoup is about to close, if it said */
  /* A join on this connection was refused and none joined since: if the
   * server then drops the socket (it does on ClientJoinRateLimitReached),
   * the reconnect waits as that refusal says. */
  gboolean refused;
  RealtimeFailureKind refusal;
  /* TCP reached a host (the server or the proxy): from then on a failure
   * or a timeout is the server's, not the robot's own network. */
  gboolean tcp_up;
  gulong network_event_id;
} Connection;

struct _RealtimeClient
{
  GObject parent;

  GMainContext *context;
  SoupSession *session;

  /* configuration */
  gchar *url;
  gchar *api_key; /* secret */
  gchar *access_token; /* secret */
  gboolean api_key_in_header;
  RealtimeVsn vsn;
  gchar *ca_file;
  gchar *proxy; /* NULL: from the environment; "direct": none */
  guint heartbeat_interval;
  guint heartbeat_timeout;
  guint connect_timeout;
  guint join_timeout;
  guint backoff_min;
  guint backoff_max;
  guint max_message_size;
  guint push_buffer_size;

  /* state */
  RealtimeClientState state;
  gboolean wanted; /* connect() called and not disconnect() */
  Connection *conn; /* NULL while DISCONNECTED */
  guint next_conn_id;
  guint64 next_ref;
  GSource *reconnect_source;
  RealtimeReconnectPolicy policy;
  guint token_generation; /* bumped by every new access token */
  gchar *ca_file_error; /* set when ca-file cannot be used: never connect */
  gchar *proxy_error; /* set when the proxy cannot be used: never connect */
  gchar *proxy_user; /* secret: credentials of the proxy URL, if any */
  gchar *proxy_password; /* secret */

  GPtrArray *channels; /* RealtimeChannel*, owned, creation order */
  GHashTable *topics; /* topic -> RealtimeChannel* (unowned) */

  RealtimeClientStats stats;
};

enum
{
  PROP_0,
  PROP_URL,
  PROP_API_KEY,
  PROP_API_KEY_IN_HEADER,
  PROP_ACCESS_TOKEN,
  PROP_VSN,
  PROP_CA_FILE,
  PROP_PROXY,
  PROP_HEARTBEAT_INTERVAL,
  PROP_HEARTBEAT_TIMEOUT,
  PROP_CONNECT_TIMEOUT,
  PROP_JOIN_TIMEOUT,
  PROP_BACKOFF_MIN,
  PROP_BACKOFF_MAX,
  PROP_MAX_MESSAGE_SIZE,
  PROP_PUSH_BUFFER_SIZE,
  PROP_STATE,
  N_PROPS
};

enum
{
  SIGNAL_STATE_CHANGED,
  SIGNAL_HEARTBEAT,
  SIGNAL_TOKEN_EXPIRED,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_TYPE (RealtimeClient, realtime_client, G_TYPE_OBJECT);

G_DEFINE_ENUM_TYPE (RealtimeClientState, realtime_client_state,
    G_DEFINE_ENUM_VALUE (REALTIME_CLIENT_STATE_DISCONNECTED, "disconnected"),
    G_DEFINE_ENUM_VALUE (REALTIME_CLIENT_STATE_CONNECTING, "connecting"),
    G_DEFINE_ENUM_VALUE (REALTIME_CLIENT_STATE_CONNECTED, "connected"));

G_DEFINE_ENUM_TYPE (RealtimeHeartbeatStatus, realtime_heartbeat_status,
    G_DEFINE_ENUM_VALUE (REALTIME_HEARTBEAT_SENT, "sent"),
    G_DEFINE_ENUM_VALUE (REALTIME_HEARTBEAT_OK, "ok"),
    G_DEFINE_ENUM_VALUE (REALTIME_HEARTBEAT_TIMEOUT, "timeout"));

/* clang-format off */
G_DEFINE_QUARK (realtime-error-quark, realtime_error)
/* clang-format on */

const gchar *
realtime_client_state_to_string (RealtimeClientState state)
{
  switch (state) {
    case REALTIME_CLIENT_STATE_DISCONNECTED:
      return "disconnected";
    case REALTIME_CLIENT_STATE_CONNECTING:
      return "connecting";
    case REALTIME_CLIENT_STATE_CONNECTED:
      return "connected";
  }
  return "unknown";
}

const gchar *
realtime_heartbeat_status_to_string (RealtimeHeartbeatStatus s)
{
  switch (s) {
    case REALTIME_HEARTBEAT_SENT:
      return "sent";
    case REALTIME_HEARTBEAT_OK:
      return "ok";
    case REALTIME_HEARTBEAT_TIMEOUT:
      return "timeout";
  }
  return "unknown";
}

/* --- URL --- */

/**
 * realtime_build_websocket_url:
 * @url: a project URL (https://<ref>.supabase.co), an http(s) base, or a
 *   full ws(s) URL
 * @vsn: protocol version to ask for
 * @api_key: (nullable): put in the query as "apikey" when non-%NULL
 * @error: set on an unusable URL
 *
 * Returns: (transfer full): the WebSocket URL. It holds the key when
 * @api_key is given: never log it, use realtime_redact_url().
 */
gchar *
realtime_build_websocket_url (const gchar *url, RealtimeVsn vsn,
    const gchar *api_key, GError **error)
{
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (GString) path = NULL;
  g_autoptr (GString) query = g_string_new (NULL);
  const gchar *scheme;
  const gchar *ws_scheme;
  const gchar *old_query;

  if (!url || !*url) {
    g_set_error (error, REALTIME_ERROR, REALTIME_ERROR_INVALID_ARGUMENT,
        "no realtime URL given");
    return NULL;
  }
  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED_QUERY, &local);
  if (!uri) {
    g_autofree gchar *safe = realtime_redact_url (url);
    g_set_error (error, REALTIME_ERROR, REALTIME_ERROR_INVALID_ARGUMENT,
        "invalid realtime URL \"%s\"", safe);
    return NULL;
  }
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "https") == 0
      || g_ascii_strcasecmp (scheme, "wss") == 0)
    ws_scheme = "wss";
  else if (g_ascii_strcasecmp (scheme, "http") == 0
      || g_ascii_strcasecmp (scheme, "ws") == 0)
    ws_scheme = "ws";
  else {
    g_set_error (error, REALTIME_ERROR, REALTIME_ERROR_INVALID_ARGUMENT,
        "unsupported URL scheme \"%s\" (use https, http, wss or ws)", scheme);
    return NULL;
  }
  if (!g_uri_get_host (uri) || !*g_uri_get_host (uri)) {
    g_set_error (error, REALTIME_ERROR, REALTIME_ERROR_INVALID_ARGUMENT,
        "the realtime URL has no host");
    return NULL;
  }

  path = g_string_new (g_uri_get_path (uri));
  while (path->len > 0 && path->str[path->len - 1] == '/')
    g_string_truncate (path, path->len - 1);
  if (g_str_has_suffix (path->str, "/websocket"))
    ;
  else if (g_str_has_suffix (path->str, "/realtime/v1"))
    g_string_append (path, "/websocket");
  else
    g_string_append (path, "/realtime/v1/websocket");

  /* Keep unrelated query parameters, replace ours. */
  old_query = g_uri_get_query (uri);
  if (old_query) {
    g_auto (GStrv) parts = g_strsplit (old_query, "&", -1);
    guint i;
    for (i = 0; parts[i]; i++) {
      if (!*parts[i] || g_str_has_prefix (parts[i], "vsn=")
          || g_ascii_strncasecmp (parts[i], "apikey=", 7) == 0)
        continue;
      g_string_append_printf (query, "%s%s", query->len ? "&" : "", parts[i]);
    }
  }
  if (api_key) {
    g_autofree gchar *esc = g_uri_escape_string (api_key, NULL, FALSE);
    g_string_append_printf (query, "%sapikey=%s", query->len ? "&" : "", esc);
  }
  g_string_append_printf (query, "%svsn=%s", query->len ? "&" : "",
      realtime_vsn_to_string (vsn));

  return g_uri_join (G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_ENCODED_PATH,
      ws_scheme, NULL, g_uri_get_host (uri), g_uri_get_port (uri), path->str,
      query->str, NULL);
}

gchar *
realtime_client_dup_redacted_url (RealtimeClient *self)
{
  g_autofree gchar *url = realtime_build_websocket_url (self->url, self->vsn,
      self->api_key_in_header ? NULL : "***", NULL);
  return url ? realtime_redact_url (url) : g_strdup ("(invalid URL)");
}

/* --- state --- */

static void
set_state (RealtimeClient *self, RealtimeClientState state, const gchar *reason)
{
  if (self->state == state)
    return;
  g_info ("client: %s -> %s (%s)",
      realtime_client_state_to_string (self->state),
      realtime_client_state_to_string (state), reason);
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, state, reason);
}

static void start_connect (RealtimeClient *self);

static void
connection_free (Connection *conn)
{
  if (!conn)
    return;
  g_cancellable_cancel (conn->cancellable);
  g_clear_object (&conn->cancellable);
  owned_source_clear (&conn->connect_timeout_source);
  owned_source_clear (&conn->heartbeat_source);
  owned_source_clear (&conn->heartbeat_timeout_source);
  if (conn->ws) {
    g_clear_signal_handler (&conn->message_id, conn->ws);
    g_clear_signal_handler (&conn->closed_id, conn->ws);
    g_clear_signal_handler (&conn->error_id, conn->ws);
    /* Best effort close frame; never wait for the handshake to finish: on
     * a half-open link it would hang. Dropping our reference closes the
     * transport. */
    if (soup_websocket_connection_get_state (conn->ws)
        == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (conn->ws, SOUP_WEBSOCKET_CLOSE_NORMAL,
          NULL);
    {
      GIOStream *io = soup_websocket_connection_get_io_stream (conn->ws);
      if (io && !g_io_stream_is_closed (io))
        g_io_stream_close (io, NULL, NULL);
    }
    g_clear_object (&conn->ws);
  }
  if (conn->msg)
    g_clear_signal_handler (&conn->network_event_id, conn->msg);
  g_clear_object (&conn->msg);
  g_free (conn->pending_heartbeat_ref);
  g_free (conn->error_reason);
  g_free (conn);
}

static gboolean
on_reconnect (gpointer data)
{
  RealtimeClient *self = data;

  g_clear_pointer (&self->reconnect_source, g_source_unref);
  if (self->wanted && !self->conn)
    start_connect (self);
  return G_SOURCE_REMOVE;
}

/* Asks the policy when to try again after a failure of @kind, and says
 * so: a refusal once, at warning level when the operator must act, with
 * what to fix (@reason says what happened). */
static void
schedule_reconnect (RealtimeClient *self, RealtimeFailureKind kind,
    guint retry_after_ms, const gchar *reason)
{
  guint delay;

  owned_source_clear (&self->reconnect_source);
  if (!self->wanted)
    return;
  delay = realtime_reconnect_policy_next (&self->policy, kind, retry_after_ms);
  self->stats.reconnects++;
  if (kind == REALTIME_FAILURE_LOST)
    g_info ("client: reconnecting in %u ms", delay);
  else
    g_log (G_LOG_DOMAIN,
        kind == REALTIME_FAILURE_REFUSED ? G_LOG_LEVEL_WARNING
                                         : G_LOG_LEVEL_MESSAGE,
        "client: %s [%s]: %s; reconnecting in %u ms", reason,
        realtime_failure_kind_to_string (kind),
        realtime_failure_kind_describe (kind), delay);
  self->reconnect_source
      = owned_source_timeout_attach (self->context, delay, on_reconnect, self);
}

/* Every end of a connection or of an attempt comes through here, whatever
 * its cause: @kind and @retry_after_ms say when to try again. */
static void
connection_failed (RealtimeClient *self, RealtimeFailureKind kind,
    guint retry_after_ms, const gchar *reason)
{
  g_autoptr (RealtimeClient) hold = g_object_ref (self);
  guint i;

  /* Dropped right after a refused join: wait as the refusal says. */
  if (kind == REALTIME_FAILURE_LOST && self->conn && self->conn->refused)
    kind = self->conn->refusal;
  g_clear_pointer (&self->conn, connection_free);
  set_state (self, REALTIME_CLIENT_STATE_DISCONNECTED, reason);
  for (i = 0; i < self->channels->len; i++)
    _realtime_channel_socket_closed (g_ptr_array_index (self->channels, i),
        reason);
  schedule_reconnect (self, kind, retry_after_ms, reason);
}

/* Failures that say the robot's own network is down: no name
 * resolution, no route to the network or the host. Connection refused
 * is not one of them: a host answered, so it is the server's (LOST). */
static gboolean
error_is_offline (const GError *error)
{
  if (!error)
    return FALSE;
  if (error->domain == G_RESOLVER_ERROR)
    return error->code == G_RESOLVER_ERROR_NOT_FOUND
        || error->code == G_RESOLVER_ERROR_TEMPORARY_FAILURE;
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE);
}

static void
on_network_event (SoupMessage *msg, GSocketClientEvent event,
    GIOStream *connection, gpointer user_data)
{
  Connection *conn = user_data;

  if (event == G_SOCKET_CLIENT_CONNECTED)
    conn->tcp_up = TRUE;
}

static void
connection_lost (RealtimeClient *self, const gchar *reason)
{
  connection_failed (self, REALTIME_FAILURE_LOST, 0, reason);
}

/* --- heartbeat --- */

/* Bytes received on the connection's TCP socket so far; FALSE when that
 * cannot be known. */
static gboolean
link_bytes (Connection *conn, guint64 *bytes)
{
  return conn->ws
      && link_bytes_received (soup_websocket_connection_get_io_stream (
                                  conn->ws),
          bytes);
}

/* A heartbeat's reply can queue behind a large frame still arriving on a
 * slow downlink: bytes received since the heartbeat went out (or since the
 * last check) prove that the link is alive, so the wait goes on. */
static gboolean
link_still_receiving (RealtimeClient *self, Connection *conn, gdouble waited)
{
  guint64 now;

  if (!conn->heartbeat_bytes_known || !link_bytes (conn, &now)
      || now <= conn->heartbeat_bytes)
    return FALSE;
  self->stats.heartbeats_late++;
  g_info ("client: heartbeat %s unanswered after %.0f ms, but "
          "%" G_GUINT64_FORMAT
          " bytes arrived meanwhile: the link is alive, still waiting",
      conn->pending_heartbeat_ref, waited, now - conn->heartbeat_bytes);
  conn->heartbeat_bytes = now;
  return TRUE;
}

/* Returns: TRUE when the connection was dropped. */
static gboolean
heartbeat_timed_out (RealtimeClient *self)
{
  Connection *conn = self->conn;
  gdouble waited = (g_get_monotonic_time () - conn->heartbeat_sent_us) / 1000.0;

  if (link_still_receiving (self, conn, waited))
    return FALSE;
  self->stats.heartbeat_timeouts++;
  g_message ("client: heartbeat %s unanswered after %.0f ms: the link is "
             "dead, reconnecting",
      conn->pending_heartbeat_ref, waited);
  g_signal_emit (self, signals[SIGNAL_HEARTBEAT], 0, REALTIME_HEARTBEAT_TIMEOUT,
      waited);
  /* The signal handler may have disconnected us. */
  if (self->conn == conn)
    connection_lost (self, "heartbeat timeout");
  return TRUE;
}

static guint
heartbeat_timeout_ms (RealtimeClient *self)
{
  return self->heartbeat_timeout ? self->heartbeat_timeout
                                 : self->heartbeat_interval;
}

static gboolean
on_heartbeat_timeout (gpointer data)
{
  RealtimeClient *self = data;
  Connection *conn = self->conn;

  g_clear_pointer (&conn->heartbeat_timeout_source, g_source_unref);
  if (!heartbeat_timed_out (self))
    conn->heartbeat_timeout_source = owned_source_timeout_attach (self->context,
        heartbeat_timeout_ms (self), on_heartbeat_timeout, self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_heartbeat_tick (gpointer data)
{
  RealtimeClient *self = data;
  Connection *conn = self->conn;
  g_autoptr (RealtimeMessage) msg = NULL;
  guint timeout;

  if (conn->pending_heartbeat_ref) {
    /* A timeout longer than the interval (a slow, lossy link) has its own
     * timer running: wait for it, without piling up heartbeats. */
    if (conn->heartbeat_timeout_source)
      return G_SOURCE_CONTINUE;
    /* Still unanswered at the next tick: dead, unless still receiving
     * (then the source lives on, else it was destroyed with conn). */
    heartbeat_timed_out (self);
    return G_SOURCE_CONTINUE;
  }

  conn->pending_heartbeat_ref = _realtime_client_next_ref (self);
  conn->heartbeat_sent_us = g_get_monotonic_time ();
  conn->heartbeat_bytes_known = link_bytes (conn, &conn->heartbeat_bytes);
  msg = realtime_message_new (NULL, conn->pending_heartbeat_ref, "phoenix",
      "heartbeat", NULL);
  _realtime_client_send (self, msg);
  self->stats.heartbeats_sent++;
  timeout = heartbeat_timeout_ms (self);
  if (timeout != self->heartbeat_interval)
    conn->heartbeat_timeout_source = owned_source_timeout_attach (self->context,
        timeout, on_heartbeat_timeout, self);
  g_debug ("client: heartbeat %s sent", conn->pending_heartbeat_ref);
  g_signal_emit (self, signals[SIGNAL_HEARTBEAT], 0, REALTIME_HEARTBEAT_SENT,
      0.0);
  return G_SOURCE_CONTINUE;
}

static void
handle_heartbeat_reply (RealtimeClient *self, const RealtimeMessage *msg)
{
  Connection *conn = self->conn;
  gdouble rtt;

  if (!conn->pending_heartbeat_ref || !msg->ref
      || strcmp (msg->ref, conn->pending_heartbeat_ref) != 0) {
    g_debug ("client: reply on phoenix for unknown ref ignored");
    return;
  }
  rtt = (g_get_monotonic_time () - conn->heartbeat_sent_us) / 1000.0;
  g_clear_pointer (&conn->pending_heartbeat_ref, g_free);
  owned_source_clear (&conn->heartbeat_timeout_source);
  self->stats.heartbeats_ok++;
  self->stats.last_rtt_ms = rtt;
  g_debug ("client: heartbeat answered in %.1f ms", rtt);
  g_signal_emit (self, signals[SIGNAL_HEARTBEAT], 0, REALTIME_HEARTBEAT_OK,
      rtt);
}

/* --- socket events --- */

/* The hosted service relays broadcasts of up to 3,000 KB: frames up to
 * this size, envelope included, are read (and above max-message-size
 * refused without closing the socket, so no broadcaster can force a
 * reconnect); only a larger frame, which the service could never have
 * relayed, closes it. */
#define FRAME_LIMIT (3 * 1024 * 1024 + 64 * 1024)

/* The socket's limit: libsoup closes it on a larger frame, before reading
 * it. */
static guint
frame_limit (RealtimeClient *self)
{
  return MAX (FRAME_LIMIT, self->max_message_size);
}

static void
dispatch (RealtimeClient *self, RealtimeMessage *msg)
{
  RealtimeChannel *channel;

  if (g_strcmp0 (msg->topic, "phoenix") == 0) {
    if (g_strcmp0 (msg->event, "phx_reply") == 0)
      handle_heartbeat_reply (self, msg);
    return;
  }
  channel = g_hash_table_lookup (self->topics, msg->topic);
  if (!channel) {
    g_debug ("client: %s on unknown topic dropped", msg->event);
    self->stats.frames_dropped++;
    return;
  }
  _realtime_channel_handle_message (channel, msg);
}

/* Broadcasts, most of the traffic, are read without a tree (the channel
 * builds one only for a "broadcast" handler). Returns FALSE for any other
 * frame, or one the codec refuses: the decoders then take it. */
static gboolean
dispatch_broadcast (RealtimeClient *self, gint type, gconstpointer data,
    gsize size)
{
  g_autoptr (RealtimeBroadcast) broadcast = NULL;
  RealtimeChannel *channel;

  broadcast = realtime_codec_read_broadcast (self->vsn,
      type != SOUP_WEBSOCKET_DATA_TEXT, data, size);
  if (!broadcast)
    return FALSE;
  if (strcmp (broadcast->topic, "phoenix") == 0)
    return TRUE;
  channel = g_hash_table_lookup (self->topics, broadcast->topic);
  if (!channel) {
    g_debug ("client: broadcast on unknown topic dropped");
    self->stats.frames_dropped++;
    return TRUE;
  }
  _realtime_channel_handle_broadcast (channel, broadcast);
  return TRUE;
}

/* What a frame that is not delivered becomes: when it is a broadcast on
 * a topic of ours (read by realtime_codec_peek_refused(), without decoding
 * it), its channel reports it refused for @reason, so that a request is
 * still answered. Returns the channel's topic, or %NULL when the frame is
 * dropped unreported; *@refused receives what was read. */
static RealtimeChannel *
refused_channel (RealtimeClient *self, gint type, gconstpointer data,
    gsize size, const gchar *reason, RealtimeRefusedBroadcast **refused)
{
  if (type != SOUP_WEBSOCKET_DATA_TEXT && self->vsn != REALTIME_VSN_2_0_0)
    return NULL;
  *refused = realtime_codec_peek_refused (self->vsn,
      type != SOUP_WEBSOCKET_DATA_TEXT, data, size, reason);
  return *refused ? g_hash_table_lookup (self->topics, (*refused)->topic)
                  : NULL;
}

/* A frame above max-message-size but within the socket's limit: never
 * decoded (memory stays bounded by the one frame libsoup holds), only its
 * envelope read; the socket stays up. */
static void
refuse_too_large (RealtimeClient *self, gint type, gconstpointer data,
    gsize size)
{
  g_autoptr (RealtimeRefusedBroadcast) refused = NULL;
  g_autofree gchar *reason
      = g_strdup_printf ("message too large (%" G_GSIZE_FORMAT
                         " bytes, limit %u)",
          size, self->max_message_size);
  RealtimeChannel *channel
      = refused_channel (self, type, data, size, reason, &refused);

  self->stats.frames_dropped++;
  if (channel) {
    g_autofree gchar *event = realtime_escape_untrusted (refused->event, 64);
    g_message ("client: frame of %" G_GSIZE_FORMAT " bytes is above "
               "max-message-size (%u): not processed; broadcast \"%s\" on "
               "%s reported refused (a request is answered), socket kept",
        size, self->max_message_size, event, refused->topic);
    _realtime_channel_handle_refused (channel, refused);
  } else {
    g_message ("client: frame of %" G_GSIZE_FORMAT " bytes is above "
               "max-message-size (%u): dropped (no broadcast on a topic of "
               "ours could be read in it), socket kept",
        size, self->max_message_size);
  }
}

static void
on_ws_message (SoupWebsocketConnection *ws, gint type, GBytes *message,
    gpointer user_data)
{
  RealtimeClient *self = user_data;
  g_autoptr (RealtimeMessage) msg = NULL;
  g_autoptr (RealtimeRefusedBroadcast) refused = NULL;
  g_autoptr (GError) error = NULL;
  RealtimeChannel *channel = NULL;
  const gchar *reason;
  gsize size;
  gconstpointer data = g_bytes_get_data (message, &size);
  g_autoptr (RealtimeClient) hold = g_object_ref (self);

  self->stats.frames_received++;
  if (size > self->max_message_size) {
    refuse_too_large (self, type, data, size);
    return;
  }
  if (dispatch_broadcast (self, type, data, size))
    return;
  if (type == SOUP_WEBSOCKET_DATA_TEXT)
    msg = realtime_codec_decode_text (self->vsn, data, size, &error);
  else if (self->vsn == REALTIME_VSN_2_0_0)
    msg = realtime_codec_decode_binary (data, size, &error);
  else
    g_set_error (&error, REALTIME_CODEC_ERROR, REALTIME_CODEC_ERROR_UNSUPPORTED,
        "binary frame on a vsn 1.0.0 socket");

  if (!msg) {
    self->stats.frames_dropped++;
    reason = realtime_codec_error_reason (error);
    if (reason)
      channel = refused_channel (self, type, data, size, reason, &refused);
    g_message ("client: undecodable frame of %" G_GSIZE_FORMAT
               " bytes dropped (%u so far)%s: %s",
        size, self->stats.frames_dropped,
        channel ? ", reported to its channel as a refused broadcast" : "",
        error->message);
    if (channel)
      _realtime_channel_handle_refused (channel, refused);
    return;
  }
  dispatch (self, msg);
}

static void
on_ws_error (SoupWebsocketConnection *ws, GError *error, gpointer user_data)
{
  RealtimeClient *self = user_data;

  if (g_error_matches (error, SOUP_WEBSOCKET_ERROR,
          SOUP_WEBSOCKET_CLOSE_TOO_BIG)) {
    /* libsoup refuses the frame and drops the socket without reading it,
     * so memory stays bounded by the frame limit. */
    self->stats.frames_dropped++;
    g_message ("client: the server sent a frame above %u bytes, more than "
               "the service relays: refused, reconnecting",
        frame_limit (self));
    g_free (self->conn->error_reason);
    self->conn->error_reason = g_strdup ("frame above the socket's limit");
    return;
  }
  g_message ("client: websocket error: %s", error->message);
  if (!self->conn->error_reason)
    self->conn->error_reason = g_strdup (error->message);
}

static void
on_ws_closed (SoupWebsocketConnection *ws, gpointer user_data)
{
  RealtimeClient *self = user_data;
  gushort code = soup_websocket_connection_get_close_code (ws);
  const gchar *data = soup_websocket_connection_get_close_data (ws);
  g_autofree gchar *reason = NULL;

  if (self->conn->error_reason) {
    reason = g_strdup (self->conn->error_reason);
  } else if (code != 0) {
    g_autofree gchar *safe = realtime_escape_untrusted (data, 100);
    reason = g_strdup_printf ("closed by server (code %u%s%s)", code,
        *safe ? ": " : "", safe);
  } else {
    reason = g_strdup ("connection closed");
  }
  g_message ("client: %s", reason);
  connection_lost (self, reason);
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr (RealtimeClient) self = g_weak_ref_get (weak);
  g_autoptr (GError) error = NULL;
  SoupWebsocketConnection *ws;
  Connection *conn;
  guint i;

  g_weak_ref_clear (weak);
  g_free (weak);

  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
      &error);
  if (!self || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_clear_object (&ws);
    return;
  }
  conn = self->conn;
  if (!conn || !conn->msg || conn->ws) {
    g_clear_object (&ws);
    return;
  }

  if (!ws) {
    guint status = soup_message_get_status (conn->msg);
    g_autofree gchar *safe = realtime_client_dup_redacted_url (self);
    g_autofree gchar *reason = NULL;
    RealtimeFailureKind kind = realtime_refusal_from_http_status (status);
    guint retry_after_ms = 0;

    if (kind != REALTIME_FAILURE_LOST) {
      const gchar *header = NULL;
      g_autofree gchar *wait = NULL;

      self->stats.refusals++;
      if (kind == REALTIME_FAILURE_RATE_LIMITED
          || kind == REALTIME_FAILURE_UNAVAILABLE) {
        header
            = soup_message_headers_get_one (soup_message_get_response_headers (
                                                conn->msg),
                "Retry-After");
        retry_after_ms
            = realtime_refusal_parse_retry_after (header, g_get_real_time ());
      }
      if (retry_after_ms > 0)
        wait = g_strdup_printf (", Retry-After %u ms", retry_after_ms);
      else if (header) {
        g_autofree gchar *text = realtime_escape_untrusted (header, 40);
        wait = g_strdup_printf (", Retry-After \"%s\" unusable or past", text);
      }
      /* Logged once, with what to fix, when the reconnect is scheduled. */
      reason = g_strdup_printf ("handshake refused with HTTP %u by %s%s",
          status, safe, wait ? wait : "");
      connection_failed (self, kind, retry_after_ms, reason);
      return;
    } else if (status >= 100) {
      reason = g_strdup_printf ("handshake failed with HTTP %u", status);
      g_message ("client: %s by %s", reason, safe);
    } else if (soup_message_get_tls_peer_certificate_errors (conn->msg) != 0) {
      GTlsCertificateFlags flags
          = soup_message_get_tls_peer_certificate_errors (conn->msg);
      g_autoptr (GString) why = g_string_new (NULL);
      GFlagsClass *fc = g_type_class_ref (G_TYPE_TLS_CERTIFICATE_FLAGS);
      guint f;

      for (f = 0; f < fc->n_values; f++)
        if (flags & fc->values[f].value)
          g_string_append_printf (why, "%s%s", why->len ? ", " : "",
              fc->values[f].value_nick);
      g_type_class_unref (fc);
      /* Like a bad key: it will not heal by itself. */
      reason = g_strdup_printf ("TLS certificate of %s not trusted (%s): set "
                                "ca-file to the CA that signed it",
          safe, why->str);
      connection_failed (self, REALTIME_FAILURE_REFUSED, 0, reason);
      return;
    } else {
      g_autofree gchar *text = realtime_redact_text (error->message,
          (const gchar *[]){ self->api_key, self->access_token, NULL });
      reason = g_strdup_printf ("connect failed: %s", text);
      g_message ("client: %s (%s)", reason, safe);
      /* No server saw it: the robot's own network (offline ladder). */
      if (!conn->tcp_up && error_is_offline (error)) {
        connection_failed (self, REALTIME_FAILURE_OFFLINE, 0, reason);
        return;
      }
    }
    connection_lost (self, reason);
    return;
  }

  owned_source_clear (&conn->connect_timeout_source);
  conn->ws = ws;
  soup_websocket_connection_set_max_incoming_payload_size (ws,
      frame_limit (self));
  /* Liveness is the Phoenix heartbeat with its reply timeout; libsoup's
   * pings have no pong timeout. */
  soup_websocket_connection_set_keepalive_interval (ws, 0);
  conn->message_id
      = g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), self);
  conn->closed_id
      = g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), self);
  conn->error_id
      = g_signal_connect (ws, "error", G_CALLBACK (on_ws_error), self);
  /* Heartbeat state belongs to this connection and starts fresh. */
  conn->heartbeat_source = owned_source_timeout_attach (self->context,
      self->heartbeat_interval, on_heartbeat_tick, self);
  self->stats.connects++;

  set_state (self, REALTIME_CLIENT_STATE_CONNECTED, "websocket open");
  {
    gboolean any_wanted = FALSE;
    /* Channels may be removed by handlers: walk a copy. */
    g_autoptr (GPtrArray) copy = realtime_client_get_channels (self);
    for (i = 0; i < copy->len && self->conn == conn; i++) {
      RealtimeChannel *ch = g_ptr_array_index (copy, i);
      _realtime_channel_socket_opened (ch);
      if (realtime_channel_get_state (ch) == REALTIME_CHANNEL_STATE_JOINING)
        any_wanted = TRUE;
    }
    if (!any_wanted)
      realtime_reconnect_policy_succeeded (&self->policy);
  }
}

static gboolean
on_connect_timeout (gpointer data)
{
  RealtimeClient *self = data;
  g_autofree gchar *safe = realtime_client_dup_redacted_url (self);
  g_autofree gchar *reason = NULL;

  g_clear_pointer (&self->conn->connect_timeout_source, g_source_unref);
  self->stats.connect_timeouts++;
  reason = g_strdup_printf ("connect-timeout (%u ms) reached before the "
                            "websocket to %s was open: attempt abandoned",
      self->connect_timeout, safe);
  g_message ("client: %s", reason);
  /* Freeing the connection cancels the handshake. Timed out before TCP
   * was up: no server saw it, the robot's own network (offline ladder);
   * after TCP: the server's. */
  connection_failed (self,
      self->conn->tcp_up ? REALTIME_FAILURE_LOST : REALTIME_FAILURE_OFFLINE, 0,
      reason);
  return G_SOURCE_REMOVE;
}

/* The proxy asked for credentials (407): those of the proxy URL, once
 * per attempt; a second ask means they were refused. */
static gboolean
on_proxy_authenticate (SoupMessage *msg, SoupAuth *auth, gboolean retrying,
    gpointer user_data)
{
  RealtimeClient *self = user_data;

  if (!soup_auth_is_for_proxy (auth))
    return FALSE;
  if (retrying) {
    g_message ("client: the proxy refused its credentials");
    return FALSE;
  }
  soup_auth_authenticate (auth, self->proxy_user, self->proxy_password);
  return TRUE;
}

static void
start_connect (RealtimeClient *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *url = NULL;
  g_autofree gchar *safe = NULL;
  Connection *conn;
  GWeakRef *weak;

  g_return_if_fail (self->conn == NULL);

  if (self->ca_file_error || self->proxy_error) {
    const gchar *why
        = self->ca_file_error ? self->ca_file_error : self->proxy_error;

    set_state (self, REALTIME_CLIENT_STATE_DISCONNECTED, why);
    schedule_reconnect (self, REALTIME_FAILURE_REFUSED, 0, why);
    return;
  }
  url = realtime_build_websocket_url (self->url, self->vsn,
      self->api_key_in_header ? NULL : self->api_key, &error);
  if (!url) {
    set_state (self, REALTIME_CLIENT_STATE_DISCONNECTED, error->message);
    schedule_reconnect (self, REALTIME_FAILURE_REFUSED, 0, error->message);
    return;
  }

  conn = g_new0 (Connection, 1);
  conn->client = self;
  conn->id = ++self->next_conn_id;
  conn->cancellable = g_cancellable_new ();
  conn->msg = soup_message_new ("GET", url);
  if (!conn->msg) {
    g_object_unref (conn->cancellable);
    g_free (conn);
    schedule_reconnect (self, REALTIME_FAILURE_REFUSED, 0,
        "the realtime URL is not usable");
    return;
  }
  if (self->api_key_in_header && self->api_key) {
    SoupMessageHeaders *h = soup_message_get_request_headers (conn->msg);
    soup_message_headers_replace (h, "apikey", self->api_key);
    soup_message_headers_replace (h, "x-api-key", self->api_key);
  }
  conn->network_event_id = g_signal_connect (conn->msg, "network-event",
      G_CALLBACK (on_network_event), conn);
  if (self->proxy_user)
    g_signal_connect (conn->msg, "authenticate",
        G_CALLBACK (on_proxy_authenticate), self);
  self->conn = conn;

  safe = realtime_redact_url (url);
  g_info ("client: connecting to %s (attempt %u)", safe, conn->id);
  set_state (self, REALTIME_CLIENT_STATE_CONNECTING, "connecting");
  /* TCP, TLS and the upgrade together; libsoup's own limits are longer. */
  conn->connect_timeout_source = owned_source_timeout_attach (self->context,
      self->connect_timeout, on_connect_timeout, self);

  weak = g_new0 (GWeakRef, 1);
  g_weak_ref_init (weak, self);
  g_main_context_push_thread_default (self->context);
  soup_session_websocket_connect_async (self->session, conn->msg, NULL, NULL,
      G_PRIORITY_DEFAULT, conn->cancellable, on_connected, weak);
  g_main_context_pop_thread_default (self->context);
}

/* --- public API --- */

RealtimeClient *
realtime_client_new (const gchar *url, const gchar *api_key)
{
  return g_object_new (REALTIME_TYPE_CLIENT, "url", url, "api-key", api_key,
      NULL);
}

void
realtime_client_connect (RealtimeClient *self)
{
  g_return_if_fail (REALTIME_IS_CLIENT (self));

  self->wanted = TRUE;
  if (!self->conn && !self->reconnect_source)
    start_connect (self);
}

void
realtime_client_disconnect (RealtimeClient *self)
{
  guint i;

  g_return_if_fail (REALTIME_IS_CLIENT (self));

  self->wanted = FALSE;
  owned_source_clear (&self->reconnect_source);
  realtime_reconnect_policy_succeeded (&self->policy);
  if (!self->conn)
    return;
  g_clear_pointer (&self->conn, connection_free);
  set_state (self, REALTIME_CLIENT_STATE_DISCONNECTED, "disconnect requested");
  for (i = 0; i < self->channels->len; i++)
    _realtime_channel_socket_closed (g_ptr_array_index (self->channels, i),
        "disconnect requested");
}

void
realtime_client_reconnect (RealtimeClient *self)
{
  g_return_if_fail (REALTIME_IS_CLIENT (self));

  self->wanted = TRUE;
  if (self->conn) {
    g_autoptr (RealtimeClient) hold = g_object_ref (self);
    guint i;

    g_clear_pointer (&self->conn, connection_free);
    set_state (self, REALTIME_CLIENT_STATE_DISCONNECTED, "reconnect requested");
    for (i = 0; i < self->channels->len; i++)
      _realtime_channel_socket_closed (g_ptr_array_index (self->channels, i),
          "reconnect requested");
  }
  owned_source_clear (&self->reconnect_source);
  if (self->wanted && !self->conn)
    start_connect (self);
}

void
realtime_client_heartbeat_now (RealtimeClient *self)
{
  g_return_if_fail (REALTIME_IS_CLIENT (self));

  if (!_realtime_client_is_connected (self)
      || self->conn->pending_heartbeat_ref)
    return;
  on_heartbeat_tick (self);
}

/* --- flush --- */

/* One "flush, then leave": the task's data. Every handler and source is
 * owned here and goes in flush_teardown(). */
typedef struct
{
  RealtimeClient *client; /* unowned: the task's source object holds it */
  guint timeout_ms;
  gulong heartbeat_id;
  gulong state_id;
  GSource *timeout_source;
  GSource *cancel_source;
  /* The heartbeats_ok count that proves the flush: set when the first
   * heartbeat after the start goes out (0 until then). One already
   * pending at the start was written before the last frames: its reply
   * proves nothing about them. Counts, not flags, because one reply may
   * be reported to a flush after another flush sent the next heartbeat. */
  guint proof_ok;
  GError *error; /* the result, once known: NULL is TRUE */
  GSource *return_source; /* carries the result to the caller */
} Flush;

static void
flush_teardown (Flush *flush)
{
  g_clear_signal_handler (&flush->heartbeat_id, flush->client);
  g_clear_signal_handler (&flush->state_id, flush->client);
  owned_source_clear (&flush->timeout_source);
  owned_source_clear (&flush->cancel_source);
}

static void
flush_free (gpointer data)
{
  Flush *flush = data;

  flush_teardown (flush);
  owned_source_clear (&flush->return_source);
  g_clear_error (&flush->error);
  g_free (flush);
}

static gboolean
on_flush_return (gpointer data)
{
  GTask *task = data;
  Flush *flush = g_task_get_task_data (task);

  g_clear_pointer (&flush->return_source, g_source_unref);
  if (flush->error)
    g_task_return_error (task, g_steal_pointer (&flush->error));
  else
    g_task_return_boolean (task, TRUE);
  /* The reference the flush held since realtime_client_flush_async(). */
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

/* Ends the flush with @error (taken; NULL: proven). The result goes out
 * from an idle, so that the caller's callback never runs inside a signal
 * of the client or of its socket: it may well disconnect or drop the
 * client. */
static void
flush_complete (GTask *task, GError *error)
{
  Flush *flush = g_task_get_task_data (task);

  flush_teardown (flush);
  flush->error = error;
  flush->return_source = owned_source_idle_attach (g_task_get_context (task),
      G_PRIORITY_DEFAULT_IDLE, on_flush_return, task, NULL);
}

static void
on_flush_heartbeat (RealtimeClient *self, RealtimeHeartbeatStatus status,
    gdouble rtt_ms, gpointer user_data)
{
  GTask *task = user_data;
  Flush *flush = g_task_get_task_data (task);

  switch (status) {
    case REALTIME_HEARTBEAT_SENT:
      if (flush->proof_ok == 0)
        flush->proof_ok = self->stats.heartbeats_ok + 1;
      break;
    case REALTIME_HEARTBEAT_OK:
      if (flush->proof_ok != 0
          && self->stats.heartbeats_ok >= flush->proof_ok) {
        g_debug ("client: flushed, the server read everything sent");
        flush_complete (task, NULL);
      } else {
        /* The reply to the heartbeat pending at the start: send ours
         * (unless another flush just did). */
        realtime_client_heartbeat_now (self);
      }
      break;
    case REALTIME_HEARTBEAT_TIMEOUT:
      /* The connection is dropped next, which completes the flush. */
      break;
  }
}

static void
on_flush_state (RealtimeClient *self, RealtimeClientState state,
    const gchar *reason, gpointer user_data)
{
  if (state == REALTIME_CLIENT_STATE_CONNECTED)
    return;
  flush_complete (user_data,
      g_error_new (REALTIME_ERROR, REALTIME_ERROR_DISCONNECTED,
          "the connection ended before the server "
          "confirmed the last frames (%s)",
          reason));
}

static gboolean
on_flush_timeout (gpointer data)
{
  GTask *task = data;
  Flush *flush = g_task_get_task_data (task);

  g_clear_pointer (&flush->timeout_source, g_source_unref);
  flush_complete (task,
      g_error_new (REALTIME_ERROR, REALTIME_ERROR_TIMEOUT,
          "the server did not confirm the last frames within %u ms",
          flush->timeout_ms));
  return G_SOURCE_REMOVE;
}

static gboolean
on_flush_cancelled (GCancellable *cancellable, gpointer data)
{
  GTask *task = data;
  Flush *flush = g_task_get_task_data (task);

  g_clear_pointer (&flush->cancel_source, g_source_unref);
  flush_complete (task,
      g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "flush cancelled"));
  return G_SOURCE_REMOVE;
}

/**
 * realtime_client_flush_async:
 * @self: the client
 * @timeout_ms: how long to wait for the proof; 0 waits as long as the
 *   connection lives (a missed heartbeat ends it)
 * @cancellable: (nullable): cancels the wait
 * @callback: called on the thread-default main context of this call
 * @user_data: for @callback
 *
 * "Flush, then leave": sends a heartbeat (after the one pending, if any:
 * that one was written before the last frames) and completes when its
 * reply arrives, which proves that the server has read every frame sent
 * before. Call it, on the client's context, after the last report and
 * before realtime_client_disconnect().
 */
void
realtime_client_flush_async (RealtimeClient *self, guint timeout_ms,
    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  Flush *flush;

  g_return_if_fail (REALTIME_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, realtime_client_flush_async);
  if (!_realtime_client_is_connected (self)) {
    /* Returned from an idle: the caller never sees its callback run
     * inside this call. */
    g_task_return_new_error (task, REALTIME_ERROR, REALTIME_ERROR_DISCONNECTED,
        "not connected: nothing can be confirmed");
    g_object_unref (task);
    return;
  }
  flush = g_new0 (Flush, 1);
  flush->client = self;
  flush->timeout_ms = timeout_ms;
  g_task_set_task_data (task, flush, flush_free);

  /* The task's own reference is kept until flush_complete(). */
  flush->heartbeat_id = g_signal_connect (self, "heartbeat",
      G_CALLBACK (on_flush_heartbeat), task);
  flush->state_id = g_signal_connect (self, "state-changed",
      G_CALLBACK (on_flush_state), task);
  if (timeout_ms > 0)
    flush->timeout_source = owned_source_timeout_attach (self->context,
        timeout_ms, on_flush_timeout, task);
  if (cancellable) {
    flush->cancel_source = g_cancellable_source_new (cancellable);
    g_source_set_callback (flush->cancel_source,
        (GSourceFunc)(void (*) (void))on_flush_cancelled, task, NULL);
    g_source_attach (flush->cancel_source, self->context);
  }
  /* Sends now (and arms through the "sent" report) unless one is
   * pending; then the pending reply sends ours. */
  realtime_client_heartbeat_now (self);
}

/**
 * realtime_client_flush_finish:
 * @self: the client
 * @result: the result given to the callback
 * @error: REALTIME_ERROR_DISCONNECTED (not connected, or the connection
 *   ended first), REALTIME_ERROR_TIMEOUT, or G_IO_ERROR_CANCELLED
 *
 * Returns: %TRUE when the server confirmed every frame sent before the
 * flush; %FALSE with @error set otherwise.
 */
gboolean
realtime_client_flush_finish (RealtimeClient *self, GAsyncResult *result,
    GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result,
                            realtime_client_flush_async),
      FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

RealtimeClientState
realtime_client_get_state (RealtimeClient *self)
{
  g_return_val_if_fail (REALTIME_IS_CLIENT (self),
      REALTIME_CLIENT_STATE_DISCONNECTED);
  return self->state;
}

RealtimeChannel *
realtime_client_channel (RealtimeClient *self, const gchar *name)
{
  g_autofree gchar *topic = NULL;
  RealtimeChannel *channel;

  g_return_val_if_fail (REALTIME_IS_CLIENT (self), NULL);
  g_return_val_if_fail (name != NULL && *name != '\0', NULL);

  topic = g_strconcat ("realtime:", name, NULL);
  channel = g_hash_table_lookup (self->topics, topic);
  if (channel)
    return channel;
  channel = _realtime_channel_new (self, name);
  g_ptr_array_add (self->channels, channel);
  g_hash_table_insert (self->topics,
      g_strdup (realtime_channel_get_topic (channel)), channel);
  return channel;
}

void
realtime_client_remove_channel (RealtimeClient *self, RealtimeChannel *channel)
{
  g_return_if_fail (REALTIME_IS_CLIENT (self));
  g_return_if_fail (REALTIME_IS_CHANNEL (channel));

  if (!g_ptr_array_find (self->channels, channel, NULL))
    return;
  realtime_channel_unsubscribe (channel);
  g_hash_table_remove (self->topics, realtime_channel_get_topic (channel));
  g_object_ref (channel);
  g_ptr_array_remove (self->channels, channel);
  _realtime_channel_detach (channel);
  g_object_unref (channel);
}

GPtrArray *
realtime_client_get_channels (RealtimeClient *self)
{
  GPtrArray *copy;
  guint i;

  g_return_val_if_fail (REALTIME_IS_CLIENT (self), NULL);
  copy = g_ptr_array_new_full (self->channels->len, g_object_unref);
  for (i = 0; i < self->channels->len; i++)
    g_ptr_array_add (copy,
        g_object_ref (g_ptr_array_index (self->channels, i)));
  return copy;
}

void
realtime_client_set_access_token (RealtimeClient *self, const gchar *token)
{
  guint i;

  g_return_if_fail (REALTIME_IS_CLIENT (self));

  if (g_strcmp0 (token, self->access_token) == 0)
    return;
  gateway_secret_free (self->access_token);
  self->access_token = g_strdup (token);
  self->token_generation++;
  g_info ("client: access token %s", token ? "updated" : "cleared");
  for (i = 0; i < self->channels->len; i++)
    _realtime_channel_token_changed (g_ptr_array_index (self->channels, i));
}

void
realtime_client_get_stats (RealtimeClient *self, RealtimeClientStats *stats)
{
  g_return_if_fail (REALTIME_IS_CLIENT (self));
  *stats = self->stats;
}

/* --- private, for channels and pushes --- */

GMainContext *
_realtime_client_get_context (RealtimeClient *self)
{
  return self->context;
}

gchar *
_realtime_client_next_ref (RealtimeClient *self)
{
  return g_strdup_printf ("%" G_GUINT64_FORMAT, ++self->next_ref);
}

gboolean
_realtime_client_is_connected (RealtimeClient *self)
{
  return self->state == REALTIME_CLIENT_STATE_CONNECTED && self->conn
      && self->conn->ws;
}

gboolean
_realtime_client_send (RealtimeClient *self, const RealtimeMessage *msg)
{
  g_autofree gchar *text = NULL;

  if (!_realtime_client_is_connected (self)
      || soup_websocket_connection_get_state (self->conn->ws)
          != SOUP_WEBSOCKET_STATE_OPEN)
    return FALSE;
  text = realtime_codec_encode (self->vsn, msg);
  /* Payloads may hold tokens: log only the envelope. */
  g_debug ("client: send %s on %s ref %s", msg->event, msg->topic,
      msg->ref ? msg->ref : "null");
  soup_websocket_connection_send_text (self->conn->ws, text);
  self->stats.frames_sent++;
  return TRUE;
}

RealtimeVsn
_realtime_client_get_vsn (RealtimeClient *self)
{
  return self->vsn;
}

guint
_realtime_client_get_join_timeout (RealtimeClient *self)
{
  return self->join_timeout;
}

guint
_realtime_client_get_push_buffer_size (RealtimeClient *self)
{
  return self->push_buffer_size;
}

void
_realtime_client_get_backoff (RealtimeClient *self, guint *min_ms,
    guint *max_ms)
{
  *min_ms = self->backoff_min;
  *max_ms = self->backoff_max;
}

const gchar *
_realtime_client_get_access_token (RealtimeClient *self)
{
  return self->access_token;
}

void
_realtime_client_channel_joined (RealtimeClient *self)
{
  realtime_reconnect_policy_succeeded (&self->policy);
  if (self->conn)
    self->conn->refused = FALSE;
}

void
_realtime_client_join_refused (RealtimeClient *self, RealtimeFailureKind kind)
{
  if (!self->conn || kind == REALTIME_FAILURE_LOST)
    return;
  self->conn->refused = TRUE;
  self->conn->refusal = kind;
}

guint
_realtime_client_get_token_generation (RealtimeClient *self)
{
  return self->token_generation;
}

void
_realtime_client_token_expired (RealtimeClient *self)
{
  g_signal_emit (self, signals[SIGNAL_TOKEN_EXPIRED], 0);
}

void
_realtime_client_count_dropped (RealtimeClient *self)
{
  if (self)
    self->stats.frames_dropped++;
}

/* --- GObject --- */

static void
realtime_client_init (RealtimeClient *self)
{
  self->vsn = REALTIME_VSN_2_0_0;
  self->heartbeat_interval = REALTIME_DEFAULT_HEARTBEAT_INTERVAL;
  self->connect_timeout = REALTIME_DEFAULT_CONNECT_TIMEOUT;
  self->join_timeout = REALTIME_DEFAULT_JOIN_TIMEOUT;
  self->backoff_min = REALTIME_DEFAULT_BACKOFF_MIN;
  self->backoff_max = REALTIME_DEFAULT_BACKOFF_MAX;
  realtime_reconnect_policy_init (&self->policy, self->backoff_min,
      self->backoff_max);
  self->max_message_size = REALTIME_DEFAULT_MAX_MESSAGE_SIZE;
  self->push_buffer_size = REALTIME_DEFAULT_PUSH_BUFFER_SIZE;
  self->channels = g_ptr_array_new_with_free_func (g_object_unref);
  self->topics = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->context = g_main_context_ref_thread_default ();
}

/* --- proxy --- */

/* The value of the first of @names set to something in the environment;
 * *@which receives its name. */
static const gchar *
env_first (const gchar *const *names, const gchar **which)
{
  for (; *names; names++) {
    const gchar *value = g_getenv (*names);

    if (value && *value) {
      *which = *names;
      return value;
    }
  }
  return NULL;
}

/* What of a proxy URL may be logged: scheme, host and port, never the
 * credentials it may carry. */
static gchar *
proxy_display (GUri *uri)
{
  gint port = g_uri_get_port (uri);

  if (port > 0)
    return g_strdup_printf ("%s://%s:%d", g_uri_get_scheme (uri),
        g_uri_get_host (uri), port);
  return g_strdup_printf ("%s://%s", g_uri_get_scheme (uri),
      g_uri_get_host (uri));
}

/* A proxy URL GIO can use: http (CONNECT for wss, absolute requests for
 * ws), socks, socks4, socks4a or socks5, with a host; "host:port" alone
 * means http, as for curl. */
static gchar *
normalize_proxy (const gchar *text, gchar **display, GError **error)
{
  static const gchar *const schemes[]
      = { "http", "socks", "socks4", "socks4a", "socks5", NULL };
  g_autofree gchar *full = strstr (text, "://")
      ? g_strdup (text)
      : g_strconcat ("http://", text, NULL);
  g_autoptr (GUri) uri = g_uri_parse (full, G_URI_FLAGS_NONE, NULL);

  if (!uri || !g_uri_get_host (uri) || !*g_uri_get_host (uri)
      || !g_strv_contains (schemes, g_uri_get_scheme (uri))) {
    g_set_error_literal (error, REALTIME_ERROR, REALTIME_ERROR_INVALID_ARGUMENT,
        "not a proxy URL of the form http://host:port (schemes: http, "
        "socks, socks4, socks4a, socks5)");
    return NULL;
  }
  *display = proxy_display (uri);
  return g_steal_pointer (&full);
}

gboolean
realtime_client_check_proxy (const gchar *proxy, GError **error)
{
  g_autofree gchar *display = NULL;
  g_autoptr (GError) local = NULL;
  gchar *url;

  if (!proxy || !*proxy || g_ascii_strcasecmp (proxy, "direct") == 0)
    return TRUE;
  url = normalize_proxy (proxy, &display, &local);
  if (!url) {
    g_set_error (error, REALTIME_ERROR, REALTIME_ERROR_INVALID_ARGUMENT,
        "proxy: %s", local->message);
    return FALSE;
  }
  gateway_secret_free (url);
  return TRUE;
}

/* The proxy resolver of the session, or %NULL for none: the "proxy"
 * property when set ("direct": never one), else the environment
 * (https_proxy or HTTPS_PROXY for wss, http_proxy for ws, then all_proxy
 * or ALL_PROXY; no_proxy or NO_PROXY lists the hosts reached directly).
 * Without any, libsoup gets no resolver at all: GIO's default one would
 * load its proxy modules (libproxy, and libstdc++ with it, the GNOME
 * module and dconf) into every process for nothing. On an unusable proxy
 * URL, sets self->proxy_error: the client then never connects, rather
 * than connect around the proxy the operator asked for. */
static GProxyResolver *
make_proxy_resolver (RealtimeClient *self)
{
  static const gchar *const secure_names[]
      = { "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", NULL };
  /* Not HTTP_PROXY: a CGI program's environment may carry a client's
   * "Proxy:" header under that name (httpoxy). */
  static const gchar *const plain_names[]
      = { "http_proxy", "all_proxy", "ALL_PROXY", NULL };
  static const gchar *const no_proxy_names[] = { "no_proxy", "NO_PROXY", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree gchar *display = NULL;
  g_autofree gchar *url = NULL;
  g_auto (GStrv) ignore = NULL;
  const gchar *source = "the proxy setting";
  const gchar *text = self->proxy;
  const gchar *no_proxy, *no_proxy_name;
  gboolean secure = self->url
      && (g_ascii_strncasecmp (self->url, "https:", 6) == 0
          || g_ascii_strncasecmp (self->url, "wss:", 4) == 0);

  if (text && g_ascii_strcasecmp (text, "direct") == 0)
    return NULL;
  if (!text || !*text)
    text = env_first (secure ? secure_names : plain_names, &source);
  if (!text)
    return NULL;
  url = normalize_proxy (text, &display, &error);
  if (!url) {
    self->proxy_error = g_strdup_printf ("proxy from %s not usable: %s", source,
        error->message);
    g_warning ("client: %s; not connecting", self->proxy_error);
    return NULL;
  }
  no_proxy = env_first (no_proxy_names, &no_proxy_name);
  if (no_proxy) {
    g_auto (GStrv) parts = g_strsplit (no_proxy, ",", -1);
    g_autoptr (GPtrArray) hosts = g_ptr_array_new_with_free_func (g_free);
    guint i;

    for (i = 0; parts[i]; i++) {
      g_strstrip (parts[i]);
      if (strcmp (parts[i], "*") == 0) {
        g_info ("client: no_proxy is \"*\": no proxy");
        return NULL;
      }
      if (*parts[i])
        g_ptr_array_add (hosts, g_strdup (parts[i]));
    }
    g_ptr_array_add (hosts, NULL);
    ignore = (GStrv)g_ptr_array_free (g_steal_pointer (&hosts), FALSE);
  }
  {
    /* Credentials are answered from on_proxy_authenticate(), not left in
     * the URL: libsoup 3.2 would send its second CONNECT (the one with
     * them) to the proxy's own address. */
    g_autoptr (GUri) uri = g_uri_parse (url, G_URI_FLAGS_HAS_PASSWORD, NULL);

    if (uri && g_uri_get_user (uri) && *g_uri_get_user (uri)) {
      self->proxy_user = g_uri_unescape_string (g_uri_get_user (uri), NULL);
      self->proxy_password = g_uri_get_password (uri)
          ? g_uri_unescape_string (g_uri_get_password (uri), NULL)
          : g_strdup ("");
      gateway_secret_free (url);
      url = g_uri_join (G_URI_FLAGS_NONE, g_uri_get_scheme (uri), NULL,
          g_uri_get_host (uri), g_uri_get_port (uri), "", NULL, NULL);
    }
  }
  g_info ("client: connecting through the proxy %s (from %s%s)", display,
      source, self->proxy_user ? ", with credentials" : "");
  return g_simple_proxy_resolver_new (url, ignore);
}

static void
realtime_client_constructed (GObject *object)
{
  RealtimeClient *self = REALTIME_CLIENT (object);
  g_autoptr (GProxyResolver) resolver = NULL;

  G_OBJECT_CLASS (realtime_client_parent_class)->constructed (object);

  resolver = make_proxy_resolver (self);
  g_main_context_push_thread_default (self->context);
  /* No I/O timeout of libsoup's own (its default is 60 s): connect-timeout
   * bounds an attempt, the heartbeat an open socket. The proxy resolver is
   * always given, %NULL included, so that libsoup never asks GIO for its
   * default one. */
  self->session = soup_session_new_with_options ("timeout", 0, "idle-timeout",
      60, "proxy-resolver", resolver, NULL);
  g_main_context_pop_thread_default (self->context);
  if (self->ca_file) {
    g_autoptr (GError) error = NULL;
    /* GTlsFileDatabase takes absolute paths only: a relative one gives a
     * database that trusts nothing. */
    g_autofree gchar *ca_path = g_canonicalize_filename (self->ca_file, NULL);
    g_autoptr (GTlsDatabase) db = g_tls_file_database_new (ca_path, &error);
    if (db) {
      soup_session_set_tls_database (self->session, db);
    } else {
      /* Fail closed: falling back to the system CAs would trust what the
       * operator meant to exclude. */
      self->ca_file_error = g_strdup_printf ("CA file %s not usable: %s",
          self->ca_file, error->message);
      g_warning ("client: %s; not connecting", self->ca_file_error);
    }
  }
}

static void
realtime_client_dispose (GObject *object)
{
  RealtimeClient *self = REALTIME_CLIENT (object);

  self->wanted = FALSE;
  owned_source_clear (&self->reconnect_source);
  g_clear_pointer (&self->conn, connection_free);
  if (self->channels) {
    guint i;
    for (i = 0; i < self->channels->len; i++)
      _realtime_channel_detach (g_ptr_array_index (self->channels, i));
    g_ptr_array_set_size (self->channels, 0);
  }
  if (self->topics)
    g_hash_table_remove_all (self->topics);
  if (self->session) {
    soup_session_abort (self->session);
    g_clear_object (&self->session);
  }
  G_OBJECT_CLASS (realtime_client_parent_class)->dispose (object);
}

static void
realtime_client_finalize (GObject *object)
{
  RealtimeClient *self = REALTIME_CLIENT (object);

  realtime_reconnect_policy_clear (&self->policy);
  g_clear_pointer (&self->channels, g_ptr_array_unref);
  g_clear_pointer (&self->topics, g_hash_table_unref);
  g_free (self->url);
  gateway_secret_free (self->api_key);
  gateway_secret_free (self->access_token);
  g_free (self->ca_file);
  g_free (self->ca_file_error);
  g_free (self->proxy);
  g_free (self->proxy_error);
  gateway_secret_free (self->proxy_user);
  gateway_secret_free (self->proxy_password);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (realtime_client_parent_class)->finalize (object);
}

static void
realtime_client_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec)
{
  RealtimeClient *self = REALTIME_CLIENT (object);

  switch (prop_id) {
    case PROP_URL:
      g_free (self->url);
      self->url = g_value_dup_string (value);
      break;
    case PROP_API_KEY:
      gateway_secret_free (self->api_key);
      self->api_key = g_value_dup_string (value);
      break;
    case PROP_API_KEY_IN_HEADER:
      self->api_key_in_header = g_value_get_boolean (value);
      break;
    case PROP_ACCESS_TOKEN:
      realtime_client_set_access_token (self, g_value_get_string (value));
      break;
    case PROP_VSN:
      self->vsn = g_value_get_enum (value);
      break;
    case PROP_CA_FILE:
      g_free (self->ca_file);
      self->ca_file = g_value_dup_string (value);
      break;
    case PROP_PROXY:
      g_free (self->proxy);
      self->proxy = g_value_dup_string (value);
      break;
    case PROP_HEARTBEAT_INTERVAL:
      self->heartbeat_interval = g_value_get_uint (value);
      break;
    case PROP_HEARTBEAT_TIMEOUT:
      self->heartbeat_timeout = g_value_get_uint (value);
      break;
    case PROP_JOIN_TIMEOUT:
      self->join_timeout = g_value_get_uint (value);
      break;
    case PROP_CONNECT_TIMEOUT:
      self->connect_timeout = g_value_get_uint (value);
      break;
    case PROP_BACKOFF_MIN:
      self->backoff_min = g_value_get_uint (value);
      realtime_reconnect_policy_set_bounds (&self->policy, self->backoff_min,
          self->backoff_max);
      break;
    case PROP_BACKOFF_MAX:
      self->backoff_max = g_value_get_uint (value);
      realtime_reconnect_policy_set_bounds (&self->policy, self->backoff_min,
          self->backoff_max);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      self->max_message_size = g_value_get_uint (value);
      if (self->conn && self->conn->ws)
        soup_websocket_connection_set_max_incoming_payload_size (self->conn->ws,
            frame_limit (self));
      break;
    case PROP_PUSH_BUFFER_SIZE:
      self->push_buffer_size = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
realtime_client_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  RealtimeClient *self = REALTIME_CLIENT (object);

  switch (prop_id) {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_API_KEY_IN_HEADER:
      g_value_set_boolean (value, self->api_key_in_header);
      break;
    case PROP_VSN:
      g_value_set_enum (value, self->vsn);
      break;
    case PROP_CA_FILE:
      g_value_set_string (value, self->ca_file);
      break;
    case PROP_PROXY:
      g_value_set_string (value, self->proxy);
      break;
    case PROP_HEARTBEAT_INTERVAL:
      g_value_set_uint (value, self->heartbeat_interval);
      break;
    case PROP_HEARTBEAT_TIMEOUT:
      g_value_set_uint (value, self->heartbeat_timeout);
      break;
    case PROP_JOIN_TIMEOUT:
      g_value_set_uint (value, self->join_timeout);
      break;
    case PROP_CONNECT_TIMEOUT:
      g_value_set_uint (value, self->connect_timeout);
      break;
    case PROP_BACKOFF_MIN:
      g_value_set_uint (value, self->backoff_min);
      break;
    case PROP_BACKOFF_MAX:
      g_value_set_uint (value, self->backoff_max);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      g_value_set_uint (value, self->max_message_size);
      break;
    case PROP_PUSH_BUFFER_SIZE:
      g_value_set_uint (value, self->push_buffer_size);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
realtime_client_class_init (RealtimeClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->constructed = realtime_client_constructed;
  object_class->dispose = realtime_client_dispose;
  object_class->finalize = realtime_client_finalize;
  object_class->set_property = realtime_client_set_property;
  object_class->get_property = realtime_client_get_property;

  props[PROP_URL] = g_param_spec_string ("url", "URL",
      "Project URL (https://<ref>.supabase.co) or full ws(s):// URL", NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  props[PROP_API_KEY] = g_param_spec_string ("api-key", "API key",
      "Project API key (write-only, never logged)", NULL,
      G_PARAM_WRITABLE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  props[PROP_API_KEY_IN_HEADER]
      = g_param_spec_boolean ("api-key-in-header", "API key in header",
          "Send the key as apikey and x-api-key headers, not in the URL", FALSE,
          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  props[PROP_ACCESS_TOKEN] = g_param_spec_string ("access-token",
      "Access token", "User JWT sent with joins (write-only, never logged)",
      NULL, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);
  props[PROP_VSN] = g_param_spec_enum ("vsn", "Protocol version",
      "Serializer version", REALTIME_TYPE_VSN, REALTIME_VSN_2_0_0,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  props[PROP_CA_FILE] = g_param_spec_string ("ca-file", "CA file",
      "PEM file of trusted CA certificates (default: the system's)", NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  props[PROP_PROXY] = g_param_spec_string ("proxy", "Proxy",
      "Proxy URL (http://host:port, socks5://host:port); unset: https_proxy, "
      "http_proxy or all_proxy from the environment, else none; \"direct\": "
      "never a proxy",
      NULL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  props[PROP_HEARTBEAT_INTERVAL] = g_param_spec_uint ("heartbeat-interval",
      "Heartbeat interval", "Milliseconds between heartbeats", 1, G_MAXINT,
      REALTIME_DEFAULT_HEARTBEAT_INTERVAL, rw);
  props[PROP_HEARTBEAT_TIMEOUT]
      = g_param_spec_uint ("heartbeat-timeout", "Heartbeat timeout",
          "Milliseconds a heartbeat may stay unanswered (0: the interval)", 0,
          G_MAXINT, 0, rw);
  props[PROP_CONNECT_TIMEOUT]
      = g_param_spec_uint ("connect-timeout", "Connect timeout",
          "Milliseconds for TCP connect, TLS handshake and WebSocket upgrade "
          "together; past it the attempt is abandoned and retried",
          1, G_MAXINT, REALTIME_DEFAULT_CONNECT_TIMEOUT, rw);
  props[PROP_JOIN_TIMEOUT] = g_param_spec_uint ("join-timeout", "Join timeout",
      "Milliseconds to wait for a join or push reply", 1, G_MAXINT,
      REALTIME_DEFAULT_JOIN_TIMEOUT, rw);
  props[PROP_BACKOFF_MIN] = g_param_spec_uint ("backoff-min", "Backoff min",
      "Base of the reconnect backoff in milliseconds", 1, G_MAXINT,
      REALTIME_DEFAULT_BACKOFF_MIN, rw);
  props[PROP_BACKOFF_MAX] = g_param_spec_uint ("backoff-max", "Backoff max",
      "Cap of the reconnect backoff in milliseconds", 1, G_MAXINT,
      REALTIME_DEFAULT_BACKOFF_MAX, rw);
  props[PROP_MAX_MESSAGE_SIZE] = g_param_spec_uint ("max-message-size",
      "Max message size",
      "Largest message processed, in bytes; larger ones (up to the socket's "
      "limit of at least 3 MiB + 64 KiB) are refused without closing it",
      1024, 64 * 1024 * 1024, REALTIME_DEFAULT_MAX_MESSAGE_SIZE, rw);
  props[PROP_PUSH_BUFFER_SIZE]
      = g_param_spec_uint ("push-buffer-size", "Push buffer size",
          "Pushes kept per channel while not joined (oldest dropped)", 1,
          1000000, REALTIME_DEFAULT_PUSH_BUFFER_SIZE, rw);
  props[PROP_STATE] = g_param_spec_enum ("state", "State", "Connection state",
      REALTIME_TYPE_CLIENT_STATE, REALTIME_CLIENT_STATE_DISCONNECTED,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /**
   * RealtimeClient::state-changed:
   * @state: the new #RealtimeClientState
   * @reason: why
   */
  signals[SIGNAL_STATE_CHANGED] = g_signal_new ("state-changed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, REALTIME_TYPE_CLIENT_STATE, G_TYPE_STRING);

  /**
   * RealtimeClient::heartbeat:
   * @status: sent, ok or timeout
   * @rtt_ms: round trip (ok) or time waited (timeout), in milliseconds
   */
  signals[SIGNAL_HEARTBEAT] = g_signal_new ("heartbeat",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, REALTIME_TYPE_HEARTBEAT_STATUS, G_TYPE_DOUBLE);

  /**
   * RealtimeClient::token-expired:
   *
   * The server ended a channel, or refused a join, because the access
   * token expired. A handler may set a newer token at once
   * (RealtimeTokenWatch re-reads its file); the channel then rejoins with
   * it, or, when the token is still the expired one, retries at the cap.
   */
  signals[SIGNAL_TOKEN_EXPIRED]
      = g_signal_new ("token-expired", G_TYPE_FROM_CLASS (klass),
          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

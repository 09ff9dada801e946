/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * rt-server.c: the local realtime test server (see rt-server.h).
 *
 * Everything here runs on the GMainContext that was thread-default when the
 * server was created. Framing is written out by hand on purpose: it must
 * not share code with gateway/realtime/realtime-codec.c.
 *
 * Nothing that came from a client payload is ever logged: payloads carry
 * access tokens, and URLs carry the API key.
 */
#include "rt-server.h"

#include <gio/gnetworking.h>
#include <libsoup/soup.h>
#include <string.h>

#define WS_PATH "/realtime/v1/websocket"
#define WS_PATH_DIRECT "/socket/websocket"
#define API_PATH "/realtime/v1/api/broadcast"
#define API_PATH_DIRECT "/api/broadcast"
#define TOPIC_PREFIX "realtime:"

/* Well above the real server's 5 MB max_frame_size so that tests of the
 * client's own limits are not cut short by ours. */
#define MAX_INCOMING_PAYLOAD (8 * 1024 * 1024)

enum
{
  KIND_USER_BROADCAST_PUSH = 3,
  KIND_USER_BROADCAST = 4,
};

enum
{
  ENC_RAW = 0,
  ENC_JSON = 1,
};

typedef enum
{
  JOIN_FAULT_REJECT,
  JOIN_FAULT_SWALLOW,
} JoinFaultKind;

typedef struct
{
  JoinFaultKind kind;
  gchar *topic; /* NULL: any topic */
  guint remaining;
  gchar *reason; /* reject only */
} JoinFault;

/* One joined topic of one connection. */
typedef struct
{
  gchar *topic;
  gchar *join_ref;
  gboolean self;
  gboolean ack;
  gboolean private_channel;
  gboolean presence_enabled;
  gchar *presence_key;
  JsonNode *presence_meta; /* NULL until tracked */
  gchar *access_token; /* of the join, or the last access_token push */
} Member;

typedef struct
{
  RtServer *server;
  guint id;
  gboolean v2;
  SoupWebsocketConnection *ws;
  GHashTable *members; /* topic -> Member */
  gchar *api_key; /* as presented at the upgrade; nullable */
  /* While a frame drips out (rt_server_drip_broadcast), every other frame
   * waits here (OutFrame), in order; NULL otherwise. */
  GPtrArray *held;
} Conn;

/* Frames queued for one connection as the answer to one client frame, so a
 * reply delay keeps them together and in order. */
typedef struct
{
  GPtrArray *frames; /* OutFrame */
} Outbox;

typedef struct
{
  gboolean binary;
  GBytes *bytes; /* text frames include a trailing NUL */
} OutFrame;

typedef struct
{
  RtServer *server;
  guint conn_id;
  GPtrArray *frames; /* OutFrame */
  GSource *source;
} DelayedReply;

/* How v2 members receive a fan-out broadcast. */
typedef enum
{
  V2_AS_KIND4,
  V2_AS_TEXT,
} V2Form;

/* One broadcast to fan out. */
typedef struct
{
  const gchar *topic;
  /* Full payload {"event","payload","type"} for JSON text frames; NULL when
   * it cannot be shown as JSON (raw bytes), then v1 members get nothing. */
  JsonNode *text_payload;
  V2Form v2_form;
  /* For kind 4 frames. */
  const gchar *user_event;
  guint8 encoding;
  const guint8 *data;
  gsize data_len;
  /* Who gets it. */
  Conn *sender; /* nullable */
  gboolean to_sender;
  gint private_filter; /* -1: any, else only members with private == it */
} Broadcast;

struct _RtServer
{
  GMainContext *context;
  SoupServer *soup;
  /* Accepting ourselves and handing streams to soup_server_accept_iostream
   * works around libsoup 3.2's SoupListener, which leaks every accepted
   * GSocket (and soup_server_get_uris its cached address): the suites run
   * under valgrind. */
  GSocket *listen_socket;
  GSource *listen_source;
  /* Set for a TLS server: accepted connections are wrapped with it. */
  GTlsCertificate *tls_certificate;
  GList *handshakes; /* Handshake, in progress */
  gchar *api_key;
  guint port;
  gchar *url;

  GList *conns; /* Conn, newest first */
  guint next_conn_id;
  guint n_accepted;
  GPtrArray *frames; /* RtServerFrame */
  GHashTable *access_tokens; /* topic -> token */
  GHashTable *authorised; /* "topic\ntoken" of private channels */

  gboolean answer_heartbeats;
  GList *join_faults; /* JoinFault */
  guint reply_delay_ms;
  GList *delayed; /* DelayedReply */
  guint refuse_status;
  guint refuse_remaining;
  gchar *refuse_retry_after; /* nullable: the refusals' Retry-After */
  guint64 presence_ref_counter;

  guint hang_remaining;
  GList *hung; /* GIOStream: accepted, never answered */
  GArray *upgrade_times; /* gint64, monotonic µs of every upgrade request */
  GHashTable *expired_tokens; /* token -> gint64 real time of expiry (µs) */
  GList *laters; /* Later: sources acting on one connection afterwards */
};

/* Something to do on one connection after the current frame's answer went
 * out: drop it (ClientJoinRateLimitReached), or write the next piece of a
 * dripping frame. */
typedef struct
{
  RtServer *server;
  guint conn_id;
  GSource *source;
  GCancellable *cancellable; /* of a piece being written */
  GBytes *drip; /* the whole frame, header included; NULL: a disconnect */
  gsize offset;
  gsize piece;
  guint pause_ms;
  gboolean orphaned; /* freed while a write ran: that write frees it */
} Later;

/* ---------------------------------------------------------------------- */
/* small helpers */

static void
rt_server_frame_free (RtServerFrame *frame)
{
  if (!frame)
    return;
  g_free (frame->vsn);
  g_free (frame->join_ref);
  g_free (frame->ref);
  g_free (frame->topic);
  g_free (frame->event);
  if (frame->payload)
    json_node_unref (frame->payload);
  g_free (frame);
}

static void
join_fault_free (JoinFault *fault)
{
  g_free (fault->topic);
  g_free (fault->reason);
  g_free (fault);
}

static void
member_free (Member *member)
{
  g_free (member->topic);
  g_free (member->join_ref);
  g_free (member->presence_key);
  if (member->presence_meta)
    json_node_unref (member->presence_meta);
  g_free (member->access_token);
  g_free (member);
}

static void
out_frame_free (OutFrame *frame)
{
  g_bytes_unref (frame->bytes);
  g_free (frame);
}

static GPtrArray *
out_frames_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)out_frame_free);
}

static void
delayed_reply_free (DelayedReply *delayed)
{
  if (delayed->source) {
    g_source_destroy (delayed->source);
    g_source_unref (delayed->source);
  }
  g_ptr_array_unref (delayed->frames);
  g_free (delayed);
}

static JsonNode *
parse_json (const gchar *data, gssize len)
{
  JsonParser *parser = json_parser_new_immutable ();
  JsonNode *root = NULL;

  if (json_parser_load_from_data (parser, data, len, NULL)
      && json_parser_get_root (parser))
    root = json_node_ref (json_parser_get_root (parser));
  g_object_unref (parser);
  return root;
}

static gchar *
node_to_string (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

static JsonNode *
empty_object_node (void)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, json_object_new ());
  return node;
}

static JsonNode *
object_node (JsonObject *object)
{
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  return node;
}

static void
set_string_or_null (JsonObject *object, const gchar *key, const gchar *value)
{
  if (value)
    json_object_set_string_member (object, key, value);
  else
    json_object_set_null_member (object, key);
}

static void
add_string_or_null (JsonArray *array, const gchar *value)
{
  if (value)
    json_array_add_string_element (array, value);
  else
    json_array_add_null_element (array);
}

/* Refs may be strings, null or (from sloppy clients) integers. Anything
 * else makes the frame malformed. */
static gboolean
ref_from_node (JsonNode *node, gchar **out)
{
  *out = NULL;
  if (!node || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  switch (json_node_get_value_type (node)) {
    case G_TYPE_STRING:
      *out = g_strdup (json_node_get_string (node));
      return TRUE;
    case G_TYPE_INT64:
      *out = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      return TRUE;
    default:
      return FALSE;
  }
}

static const gchar *
string_from_node (JsonNode *node)
{
  if (!node || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
object_member (JsonObject *object, const gchar *key)
{
  JsonNode *node;

  if (!object)
    return NULL;
  node = json_object_get_member (object, key);
  if (!node || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

static const gchar *
string_member (JsonObject *object, const gchar *key)
{
  if (!object)
    return NULL;
  return string_from_node (json_object_get_member (object, key));
}

/* The server accepts booleans as JSON booleans or "true"/"false" strings. */
static gboolean
bool_member (JsonObject *object, const gchar *key, gboolean fallback)
{
  JsonNode *node;
  const gchar *text;

  if (!object)
    return fallback;
  node = json_object_get_member (object, key);
  if (!node || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  if (json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    return json_node_get_boolean (node);
  text = string_from_node (node);
  if (g_strcmp0 (text, "true") == 0)
    return TRUE;
  if (g_strcmp0 (text, "false") == 0)
    return FALSE;
  return fallback;
}

static const gchar *
topic_name (const gchar *topic)
{
  if (g_str_has_prefix (topic, TOPIC_PREFIX))
    return topic + strlen (TOPIC_PREFIX);
  return topic;
}

/* ---------------------------------------------------------------------- */
/* encoding server -> client */

/* Key order follows the real server, which sorts object keys. */
static gchar *
encode_text (gboolean v2, const gchar *join_ref, const gchar *ref,
    const gchar *topic, const gchar *event, JsonNode *payload)
{
  JsonNode *root;
  gchar *text;

  if (v2) {
    JsonArray *array = json_array_new ();

    add_string_or_null (array, join_ref);
    add_string_or_null (array, ref);
    json_array_add_string_element (array, topic);
    json_array_add_string_element (array, event);
    json_array_add_element (array, json_node_copy (payload));
    root = json_node_new (JSON_NODE_ARRAY);
    json_node_take_array (root, array);
  } else {
    JsonObject *object = json_object_new ();

    /* vsn 1.0.0 never carries join_ref from the server. */
    json_object_set_string_member (object, "event", event);
    json_object_set_member (object, "payload", json_node_copy (payload));
    set_string_or_null (object, "ref", ref);
    json_object_set_string_member (object, "topic", topic);
    root = object_node (object);
  }
  text = node_to_string (root);
  json_node_unref (root);
  return text;
}

static GBytes *
encode_kind4 (const gchar *topic, const gchar *event, const gchar *meta,
    guint8 encoding, const guint8 *data, gsize len)
{
  gsize tl = strlen (topic), el = strlen (event), ml = strlen (meta);
  GByteArray *out;
  guint8 header[5];

  if (tl > 255 || el > 255 || ml > 255)
    return NULL;
  header[0] = KIND_USER_BROADCAST;
  header[1] = tl;
  header[2] = el;
  header[3] = ml;
  header[4] = encoding;
  out = g_byte_array_sized_new (5 + tl + el + ml + len);
  g_byte_array_append (out, header, 5);
  g_byte_array_append (out, (const guint8 *)topic, tl);
  g_byte_array_append (out, (const guint8 *)event, el);
  g_byte_array_append (out, (const guint8 *)meta, ml);
  if (len)
    g_byte_array_append (out, data, len);
  return g_byte_array_free_to_bytes (out);
}

static JsonNode *
reply_payload (const gchar *status, JsonNode *response)
{
  JsonObject *object = json_object_new ();

  json_object_set_member (object, "response",
      response ? response : empty_object_node ());
  json_object_set_string_member (object, "status", status);
  return object_node (object);
}

static JsonNode *
reason_node (const gchar *reason)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "reason", reason);
  return object_node (object);
}

/* ---------------------------------------------------------------------- */
/* sending */

static gboolean
conn_is_open (Conn *conn)
{
  return conn->ws
      && soup_websocket_connection_get_state (conn->ws)
      == SOUP_WEBSOCKET_STATE_OPEN;
}

static void outbox_add (GPtrArray *frames, gboolean binary, GBytes *bytes);

static void
conn_send_bytes (Conn *conn, gboolean binary, GBytes *bytes)
{
  gsize len;
  gconstpointer data = g_bytes_get_data (bytes, &len);

  if (!conn_is_open (conn))
    return;
  if (conn->held) {
    /* Behind the frame still dripping out, as on a slow downlink. */
    outbox_add (conn->held, binary, g_bytes_ref (bytes));
    return;
  }
  if (binary)
    soup_websocket_connection_send_binary (conn->ws, data, len);
  else
    soup_websocket_connection_send_text (conn->ws, data);
}

static void
conn_send_text (Conn *conn, gchar *text /* transfer full */)
{
  GBytes *bytes = g_bytes_new_take (text, strlen (text) + 1);

  conn_send_bytes (conn, FALSE, bytes);
  g_bytes_unref (bytes);
}

static void
outbox_add (GPtrArray *frames, gboolean binary, GBytes *bytes)
{
  OutFrame *frame = g_new0 (OutFrame, 1);

  frame->binary = binary;
  frame->bytes = bytes;
  g_ptr_array_add (frames, frame);
}

static void
outbox_add_text (GPtrArray *frames, gchar *text /* transfer full */)
{
  outbox_add (frames, FALSE, g_bytes_new_take (text, strlen (text) + 1));
}

static void
outbox_add_message (Outbox *outbox, Conn *conn, const gchar *join_ref,
    const gchar *ref, const gchar *topic, const gchar *event,
    JsonNode *payload /* transfer full */)
{
  outbox_add_text (outbox->frames,
      encode_text (conn->v2, join_ref, ref, topic, event, payload));
  json_node_unref (payload);
}

static void
outbox_add_reply (Outbox *outbox, Conn *conn, const gchar *join_ref,
    const gchar *ref, const gchar *topic, const gchar *status,
    JsonNode *response /* transfer full, nullable */)
{
  outbox_add_message (outbox, conn, join_ref, ref, topic, "phx_reply",
      reply_payload (status, response));
}

static Conn *
find_conn (RtServer *server, guint conn_id)
{
  GList *l;

  for (l = server->conns; l; l = l->next) {
    Conn *conn = l->data;
    if (conn->id == conn_id)
      return conn;
  }
  return NULL;
}

static void
send_frames (Conn *conn, GPtrArray *frames)
{
  guint i;

  for (i = 0; i < frames->len; i++) {
    OutFrame *frame = g_ptr_array_index (frames, i);
    conn_send_bytes (conn, frame->binary, frame->bytes);
  }
}

static gboolean
delayed_reply_fire (gpointer user_data)
{
  DelayedReply *delayed = user_data;
  RtServer *server = delayed->server;
  Conn *conn = find_conn (server, delayed->conn_id);

  if (conn)
    send_frames (conn, delayed->frames);
  else
    g_debug ("conn %u: gone before its delayed reply was due",
        delayed->conn_id);
  server->delayed = g_list_remove (server->delayed, delayed);
  /* The main loop holds its own reference while dispatching. */
  g_source_unref (delayed->source);
  delayed->source = NULL;
  delayed_reply_free (delayed);
  return G_SOURCE_REMOVE;
}

static void
outbox_flush (Outbox *outbox, Conn *conn)
{
  RtServer *server = conn->server;
  DelayedReply *delayed;

  if (outbox->frames->len == 0)
    return;
  if (server->reply_delay_ms == 0) {
    send_frames (conn, outbox->frames);
    return;
  }
  delayed = g_new0 (DelayedReply, 1);
  delayed->server = server;
  delayed->conn_id = conn->id;
  delayed->frames = g_ptr_array_ref (outbox->frames);
  delayed->source = g_timeout_source_new (server->reply_delay_ms);
  g_source_set_callback (delayed->source, delayed_reply_fire, delayed, NULL);
  g_source_attach (delayed->source, server->context);
  server->delayed = g_list_prepend (server->delayed, delayed);
}

/* ---------------------------------------------------------------------- */
/* fan-out */

static void
fan_out (RtServer *server, const Broadcast *b)
{
  GList *l;
  gchar *v1_text = NULL, *v2_text = NULL;
  GBytes *kind4 = NULL;
  guint n = 0;

  for (l = server->conns; l; l = l->next) {
    Conn *conn = l->data;
    Member *member = g_hash_table_lookup (conn->members, b->topic);

    if (!member)
      continue;
    if (conn == b->sender && !b->to_sender)
      continue;
    if (b->private_filter >= 0
        && member->private_channel != (gboolean)b->private_filter)
      continue;

    if (!conn->v2) {
      /* v1 cannot carry raw bytes: the real server drops them. */
      if (!b->text_payload)
        continue;
      if (!v1_text)
        v1_text = encode_text (FALSE, NULL, NULL, b->topic, "broadcast",
            b->text_payload);
      conn_send_text (conn, g_strdup (v1_text));
    } else if (b->v2_form == V2_AS_TEXT) {
      if (!v2_text)
        v2_text = encode_text (TRUE, NULL, NULL, b->topic, "broadcast",
            b->text_payload);
      conn_send_text (conn, g_strdup (v2_text));
    } else {
      if (!kind4)
        kind4 = encode_kind4 (b->topic, b->user_event, "{}", b->encoding,
            b->data, b->data_len);
      if (!kind4) {
        g_warning ("broadcast on %s: topic or event longer than 255 bytes, "
                   "cannot frame it as binary; not sent",
            b->topic);
        break;
      }
      conn_send_bytes (conn, TRUE, kind4);
    }
    n++;
  }
  g_debug ("broadcast on %s fanned out to %u member(s)", b->topic, n);
  g_free (v1_text);
  g_free (v2_text);
  if (kind4)
    g_bytes_unref (kind4);
}

static JsonNode *
broadcast_text_payload (const gchar *event, JsonNode *payload)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "event", event);
  json_object_set_member (object, "payload", json_node_copy (payload));
  json_object_set_string_member (object, "type", "broadcast");
  return object_node (object);
}

/* ---------------------------------------------------------------------- */
/* presence */

static void
add_metas (JsonObject *state, const gchar *key, JsonNode *meta)
{
  JsonObject *entry = object_member (state, key);
  JsonNode *metas;

  if (!entry) {
    entry = json_object_new ();
    json_object_set_array_member (entry, "metas", json_array_new ());
    json_object_set_object_member (state, key, entry);
  }
  metas = json_object_get_member (entry, "metas");
  json_array_add_element (json_node_get_array (metas), json_node_copy (meta));
}

static JsonNode *
presence_state (RtServer *server, const gchar *topic)
{
  JsonObject *state = json_object_new ();
  GList *l;

  for (l = server->conns; l; l = l->next) {
    Conn *conn = l->data;
    Member *member = g_hash_table_lookup (conn->members, topic);

    if (member && member->presence_meta)
      add_metas (state, member->presence_key, member->presence_meta);
  }
  return object_node (state);
}

/* Sends presence_diff to every member of the topic except @skip (which
 * gets it through its outbox, after its reply). */
static JsonNode *
presence_diff (const gchar *key, JsonNode *join_meta, JsonNode *leave_meta)
{
  JsonObject *diff = json_object_new ();
  JsonObject *joins = json_object_new ();
  JsonObject *leaves = json_object_new ();

  if (join_meta)
    add_metas (joins, key, join_meta);
  if (leave_meta)
    add_metas (leaves, key, leave_meta);
  json_object_set_object_member (diff, "joins", joins);
  json_object_set_object_member (diff, "leaves", leaves);
  return object_node (diff);
}

static void
send_presence_diff (RtServer *server, const gchar *topic, Conn *skip,
    JsonNode *diff)
{
  GList *l;

  for (l = server->conns; l; l = l->next) {
    Conn *conn = l->data;
    Member *member = g_hash_table_lookup (conn->members, topic);

    if (!member || conn == skip)
      continue;
    conn_send_text (conn,
        encode_text (conn->v2, member->join_ref, NULL, topic, "presence_diff",
            diff));
  }
}

/* Removes a membership; tells the others if it was tracked. */
static void
conn_remove_member (Conn *conn, const gchar *topic)
{
  Member *member = g_hash_table_lookup (conn->members, topic);

  if (!member)
    return;
  g_hash_table_steal (conn->members, topic);
  if (member->presence_meta) {
    JsonNode *diff
        = presence_diff (member->presence_key, NULL, member->presence_meta);
    send_presence_diff (conn->server, topic, conn, diff);
    json_node_unref (diff);
  }
  member_free (member);
}

/* ---------------------------------------------------------------------- */
/* private channels */

static gboolean
token_authorised (RtServer *server, const gchar *topic, const gchar *token)
{
  gchar *key;
  gboolean ok;

  if (!token)
    return FALSE;
  key = g_strconcat (topic, "\n", token, NULL);
  ok = g_hash_table_contains (server->authorised, key);
  g_free (key);
  return ok;
}

/* The service's words, naming the channel without its "realtime:". */
static gchar *
unauthorised_reason (const gchar *topic)
{
  return g_strdup_printf ("Unauthorized: You do not have permissions to read "
                          "from this Channel topic: %s",
      topic_name (topic));
}

/* ---------------------------------------------------------------------- */
/* later, on one connection */

static void
later_free (Later *later)
{
  if (later->source) {
    g_source_destroy (later->source);
    g_clear_pointer (&later->source, g_source_unref);
  }
  if (later->cancellable && !later->orphaned) {
    /* A write still running uses the frame: it finishes (cancelled) and
     * frees the rest. */
    later->orphaned = TRUE;
    g_cancellable_cancel (later->cancellable);
    return;
  }
  g_clear_object (&later->cancellable);
  if (later->drip)
    g_bytes_unref (later->drip);
  g_free (later);
}

static void
later_done (Later *later)
{
  later->server->laters = g_list_remove (later->server->laters, later);
  later_free (later);
}

static void
later_arm (Later *later, guint ms, GSourceFunc func)
{
  if (later->source) {
    g_source_destroy (later->source);
    g_source_unref (later->source);
  }
  later->source = g_timeout_source_new (ms);
  g_source_set_callback (later->source, func, later, NULL);
  g_source_attach (later->source, later->server->context);
}

static Later *
later_new (RtServer *server, Conn *conn)
{
  Later *later = g_new0 (Later, 1);

  later->server = server;
  later->conn_id = conn->id;
  server->laters = g_list_prepend (server->laters, later);
  return later;
}

static gboolean
on_disconnect_due (gpointer data)
{
  Later *later = data;
  Conn *conn = find_conn (later->server, later->conn_id);

  if (conn && conn_is_open (conn)) {
    g_message ("conn %u: disconnected after a join over the join rate",
        conn->id);
    soup_websocket_connection_close (conn->ws, SOUP_WEBSOCKET_CLOSE_NORMAL,
        NULL);
  }
  later_done (later);
  return G_SOURCE_REMOVE;
}

/* As the service does on ClientJoinRateLimitReached: the socket goes,
 * after the join's error reply. */
static void
disconnect_soon (Conn *conn)
{
  Later *later = later_new (conn->server, conn);

  later_arm (later, conn->server->reply_delay_ms + 20, on_disconnect_due);
}

/* The service's words for an expired token ("Token has expired N seconds
 * ago"), or NULL when @token has not expired. */
static gchar *
expired_message (RtServer *server, const gchar *token)
{
  gpointer when;

  if (!token
      || !g_hash_table_lookup_extended (server->expired_tokens, token, NULL,
          &when))
    return NULL;
  return g_strdup_printf ("Token has expired %" G_GINT64_FORMAT " seconds ago",
      (g_get_real_time () - *(gint64 *)when) / G_USEC_PER_SEC);
}

/* Ends a joined channel as the service's shutdown_response does: a system
 * error with @message, then phx_close; through @outbox, or at once. */
static void
shutdown_member (Conn *conn, const gchar *topic, const gchar *message,
    Outbox *outbox)
{
  Member *member = g_hash_table_lookup (conn->members, topic);
  JsonObject *object = json_object_new ();
  JsonNode *system, *close;

  json_object_set_string_member (object, "channel", topic_name (topic));
  json_object_set_string_member (object, "extension", "system");
  json_object_set_string_member (object, "message", message);
  json_object_set_string_member (object, "status", "error");
  system = object_node (object);
  close = empty_object_node ();
  if (outbox) {
    outbox_add_text (outbox->frames,
        encode_text (conn->v2, member->join_ref, NULL, topic, "system",
            system));
    outbox_add_text (outbox->frames,
        encode_text (conn->v2, member->join_ref, member->join_ref, topic,
            "phx_close", close));
  } else {
    conn_send_text (conn,
        encode_text (conn->v2, member->join_ref, NULL, topic, "system",
            system));
    conn_send_text (conn,
        encode_text (conn->v2, member->join_ref, member->join_ref, topic,
            "phx_close", close));
  }
  json_node_unref (system);
  json_node_unref (close);
  conn_remove_member (conn, topic);
}

/* ---------------------------------------------------------------------- */
/* handling client frames */

static JoinFault *
take_join_fault (RtServer *server, const gchar *topic)
{
  GList *l;

  for (l = server->join_faults; l; l = l->next) {
    JoinFault *fault = l->data;

    if (fault->remaining == 0)
      continue;
    if (fault->topic && g_strcmp0 (fault->topic, topic) != 0)
      continue;
    fault->remaining--;
    return fault;
  }
  return NULL;
}

static void
handle_join (Conn *conn, RtServerFrame *frame, Outbox *outbox)
{
  RtServer *server = conn->server;
  JsonObject *payload = JSON_NODE_HOLDS_OBJECT (frame->payload)
      ? json_node_get_object (frame->payload)
      : NULL;
  JsonObject *config = object_member (payload, "config");
  JsonObject *broadcast = object_member (config, "broadcast");
  JsonObject *presence = object_member (config, "presence");
  const gchar *token = string_member (payload, "access_token");
  JoinFault *fault;
  Member *old, *member;
  gchar *old_join_ref = NULL;

  if (!g_str_has_prefix (frame->topic, TOPIC_PREFIX)) {
    g_message ("conn %u: join on %s refused: not a realtime: topic", conn->id,
        frame->topic);
    outbox_add_reply (outbox, conn, frame->join_ref, frame->ref, frame->topic,
        "error", reason_node ("unmatched topic"));
    return;
  }
  if (*topic_name (frame->topic) == '\0') {
    g_message ("conn %u: join refused: empty topic name", conn->id);
    outbox_add_reply (outbox, conn, frame->join_ref, frame->ref, frame->topic,
        "error",
        reason_node ("TopicNameRequired: You must provide a topic "
                     "name"));
    return;
  }

  fault = take_join_fault (server, frame->topic);
  if (fault && fault->kind == JOIN_FAULT_SWALLOW) {
    g_message ("conn %u: join on %s swallowed (fault injection), %u left",
        conn->id, frame->topic, fault->remaining);
    return;
  }
  if (fault && fault->kind == JOIN_FAULT_REJECT) {
    g_message ("conn %u: join on %s rejected (fault injection), %u left",
        conn->id, frame->topic, fault->remaining);
    outbox_add_reply (outbox, conn, frame->join_ref, frame->ref, frame->topic,
        "error", reason_node (fault->reason));
    if (g_str_has_prefix (fault->reason, "ClientJoinRateLimitReached"))
      disconnect_soon (conn);
    return;
  }

  {
    gchar *expired = expired_message (server, token);

    if (expired) {
      gchar *reason = g_strconcat ("InvalidJWTToken: ", expired, NULL);

      g_message ("conn %u: join on %s refused: expired access token", conn->id,
          frame->topic);
      outbox_add_reply (outbox, conn, frame->join_ref, frame->ref, frame->topic,
          "error", reason_node (reason));
      g_free (reason);
      g_free (expired);
      return;
    }
  }

  if (token)
    g_hash_table_replace (server->access_tokens, g_strdup (frame->topic),
        g_strdup (token));

  /* As the service does: a private join is read-authorised for the join's
   * access_token or, without one, for the API key of the socket. */
  if (bool_member (config, "private", FALSE)
      && !token_authorised (server, frame->topic,
          token ? token : conn->api_key)) {
    gchar *reason = unauthorised_reason (frame->topic);

    g_message ("conn %u: private join on %s refused: %s not authorised",
        conn->id, frame->topic, token ? "access token" : "API key");
    outbox_add_reply (outbox, conn, frame->join_ref, frame->ref, frame->topic,
        "error", reason_node (reason));
    g_free (reason);
    return;
  }

  old = g_hash_table_lookup (conn->members, frame->topic);
  if (old) {
    g_message ("conn %u: duplicate join on %s closes the old channel", conn->id,
        frame->topic);
    old_join_ref = g_strdup (old->join_ref);
    conn_remove_member (conn, frame->topic);
  }

  member = g_new0 (Member, 1);
  member->topic = g_strdup (frame->topic);
  member->join_ref = g_strdup (frame->join_ref);
  member->self = bool_member (broadcast, "self", FALSE);
  member->ack = bool_member (broadcast, "ack", FALSE);
  member->private_channel = bool_member (config, "private", FALSE);
  member->presence_enabled = bool_member (presence, "enabled", FALSE);
  member->access_token = g_strdup (token);
  member->presence_key = g_strdup (string_member (presence, "key"));
  if (!member->presence_key || !*member->presence_key) {
    g_free (member->presence_key);
    member->presence_key = g_uuid_string_random ();
  }
  g_hash_table_replace (conn->members, member->topic, member);
  g_message ("conn %u: joined %s (self=%d ack=%d private=%d presence=%d)",
      conn->id, frame->topic, member->self, member->ack,
      member->private_channel, member->presence_enabled);

  {
    JsonObject *response = json_object_new ();

    json_object_set_array_member (response, "postgres_changes",
        json_array_new ());
    outbox_add_reply (outbox, conn, frame->join_ref, frame->ref, frame->topic,
        "ok", object_node (response));
  }
  /* As Phoenix does it: the new join's reply first, then the close of the
   * old channel, which the client tells apart by join_ref. */
  if (old_join_ref) {
    outbox_add_message (outbox, conn, old_join_ref, old_join_ref, frame->topic,
        "phx_close", empty_object_node ());
    g_free (old_join_ref);
  }
  if (member->presence_enabled)
    outbox_add_message (outbox, conn, member->join_ref, NULL, frame->topic,
        "presence_state", presence_state (server, frame->topic));
}

static void
handle_leave (Conn *conn, Member *member, RtServerFrame *frame, Outbox *outbox)
{
  gchar *join_ref;

  if (frame->join_ref && g_strcmp0 (frame->join_ref, member->join_ref) != 0) {
    g_debug ("conn %u: leave of %s with a stale join_ref ignored", conn->id,
        frame->topic);
    return;
  }
  join_ref = g_strdup (member->join_ref);
  outbox_add_reply (outbox, conn, join_ref, frame->ref, frame->topic, "ok",
      NULL);
  outbox_add_message (outbox, conn, join_ref, join_ref, frame->topic,
      "phx_close", empty_object_node ());
  conn_remove_member (conn, frame->topic);
  g_message ("conn %u: left %s", conn->id, frame->topic);
  g_free (join_ref);
}

static void
handle_text_broadcast (Conn *conn, Member *member, RtServerFrame *frame,
    Outbox *outbox)
{
  Broadcast b = { 0 };

  b.topic = frame->topic;
  b.text_payload = frame->payload;
  b.v2_form = V2_AS_TEXT;
  b.sender = conn;
  b.to_sender = member->self;
  b.private_filter = member->private_channel;
  fan_out (conn->server, &b);
  if (member->ack)
    outbox_add_reply (outbox, conn, frame->join_ref, frame->ref, frame->topic,
        "ok", NULL);
}

static void
handle_presence (Conn *conn, Member *member, RtServerFrame *frame,
    Outbox *outbox)
{
  RtServer *server = conn->server;
  JsonObject *payload = JSON_NODE_HOLDS_OBJECT (frame->payload)
      ? json_node_get_object (frame->payload)
      : NULL;
  const gchar *event = string_member (payload, "event");
  JsonNode *diff = NULL;
  gboolean first = !member->presence_enabled;

  if (g_strcmp0 (event, "track") == 0) {
    JsonObject *meta = object_member (payload, "payload");
    JsonObject *copy = json_object_new ();
    JsonNode *new_meta;
    GList *members, *l;
    gchar *phx_ref;

    if (meta) {
      members = json_object_get_members (meta);
      for (l = members; l; l = l->next)
        json_object_set_member (copy, l->data,
            json_node_copy (json_object_get_member (meta, l->data)));
      g_list_free (members);
    }
    phx_ref = g_strdup_printf ("F%" G_GUINT64_FORMAT,
        ++server->presence_ref_counter);
    json_object_set_string_member (copy, "phx_ref", phx_ref);
    g_free (phx_ref);
    new_meta = object_node (copy);
    diff
        = presence_diff (member->presence_key, new_meta, member->presence_meta);
    if (member->presence_meta)
      json_node_unref (member->presence_meta);
    member->presence_meta = new_meta;
  } else if (g_strcmp0 (event, "untrack") == 0) {
    if (member->presence_meta) {
      diff = presence_diff (member->presence_key, NULL, member->presence_meta);
      json_node_unref (member->presence_meta);
      member->presence_meta = NULL;
    }
  } else {
    outbox_add_reply (outbox, conn, frame->join_ref, frame->ref, frame->topic,
        "error", reason_node ("unknown presence event"));
    return;
  }

  member->presence_enabled = TRUE;
  outbox_add_reply (outbox, conn, frame->join_ref, frame->ref, frame->topic,
      "ok", NULL);
  if (first)
    outbox_add_message (outbox, conn, member->join_ref, NULL, frame->topic,
        "presence_state", presence_state (server, frame->topic));
  if (diff) {
    outbox_add_message (outbox, conn, member->join_ref, NULL, frame->topic,
        "presence_diff", json_node_ref (diff));
    send_presence_diff (server, frame->topic, conn, diff);
    json_node_unref (diff);
  }
}

static void
handle_frame (Conn *conn, RtServerFrame *frame, Outbox *outbox)
{
  RtServer *server = conn->server;
  Member *member;

  if (g_strcmp0 (frame->topic, "phoenix") == 0
      && g_strcmp0 (frame->event, "heartbeat") == 0) {
    if (server->answer_heartbeats)
      outbox_add_reply (outbox, conn, frame->join_ref, frame->ref, "phoenix",
          "ok", NULL);
    else
      g_debug ("conn %u: heartbeat left unanswered", conn->id);
    return;
  }

  if (g_strcmp0 (frame->event, "phx_join") == 0) {
    handle_join (conn, frame, outbox);
    return;
  }

  member = g_hash_table_lookup (conn->members, frame->topic);
  if (!member) {
    g_debug ("conn %u: %s on unjoined topic %s", conn->id, frame->event,
        frame->topic);
    outbox_add_reply (outbox, conn, frame->join_ref, frame->ref, frame->topic,
        "error", reason_node ("unmatched topic"));
    return;
  }

  if (g_strcmp0 (frame->event, "phx_leave") == 0) {
    handle_leave (conn, member, frame, outbox);
  } else if (g_strcmp0 (frame->event, "broadcast") == 0) {
    handle_text_broadcast (conn, member, frame, outbox);
  } else if (g_strcmp0 (frame->event, "access_token") == 0) {
    JsonObject *payload = JSON_NODE_HOLDS_OBJECT (frame->payload)
        ? json_node_get_object (frame->payload)
        : NULL;
    const gchar *token = string_member (payload, "access_token");

    gchar *expired = expired_message (server, token);

    if (token) {
      g_hash_table_replace (server->access_tokens, g_strdup (frame->topic),
          g_strdup (token));
      g_free (member->access_token);
      member->access_token = g_strdup (token);
    }
    g_debug ("conn %u: access token %s for %s", conn->id,
        token ? "updated" : "missing", frame->topic);
    if (expired) {
      g_message ("conn %u: expired access token pushed on %s: closing the "
                 "channel",
          conn->id, frame->topic);
      shutdown_member (conn, frame->topic, expired, outbox);
      g_free (expired);
      return;
    }
    /* A private channel is read-authorised anew for the new token; when it
     * may not read any more, the service shuts the channel down. */
    if (token && member->private_channel
        && !token_authorised (server, frame->topic, token)) {
      gchar *message = g_strdup_printf ("You do not have permissions to read "
                                        "from this Channel topic: %s",
          topic_name (frame->topic));
      JsonObject *object = json_object_new ();
      gchar *join_ref = g_strdup (member->join_ref);

      g_message ("conn %u: access token not authorised for private %s: "
                 "closing the channel",
          conn->id, frame->topic);
      json_object_set_string_member (object, "channel",
          topic_name (frame->topic));
      json_object_set_string_member (object, "extension", "system");
      json_object_set_string_member (object, "message", message);
      json_object_set_string_member (object, "status", "error");
      outbox_add_message (outbox, conn, join_ref, NULL, frame->topic, "system",
          object_node (object));
      outbox_add_message (outbox, conn, join_ref, join_ref, frame->topic,
          "phx_close", empty_object_node ());
      conn_remove_member (conn, frame->topic);
      g_free (join_ref);
      g_free (message);
      return;
    }
    outbox_add_reply (outbox, conn, frame->join_ref, frame->ref, frame->topic,
        "ok", NULL);
  } else if (g_strcmp0 (frame->event, "presence") == 0) {
    handle_presence (conn, member, frame, outbox);
  } else {
    g_debug ("conn %u: event %s on %s ignored", conn->id, frame->event,
        frame->topic);
  }
}

/* ---------------------------------------------------------------------- */
/* decoding client -> server */

static RtServerFrame *
frame_new (Conn *conn, gboolean binary)
{
  RtServerFrame *frame = g_new0 (RtServerFrame, 1);

  frame->conn_id = conn->id;
  frame->vsn = g_strdup (conn->v2 ? "2.0.0" : "1.0.0");
  frame->binary = binary;
  frame->time_us = g_get_monotonic_time ();
  return frame;
}

static RtServerFrame *
decode_v1 (Conn *conn, JsonNode *root, const gchar **why)
{
  JsonObject *object;
  RtServerFrame *frame;
  const gchar *topic, *event;
  gchar *ref = NULL, *join_ref = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (root)) {
    *why = "not a JSON object";
    return NULL;
  }
  object = json_node_get_object (root);
  /* Phoenix Message.from_map! needs all four keys; "ref" may be null. */
  if (!json_object_has_member (object, "ref")) {
    *why = "missing key \"ref\"";
    return NULL;
  }
  if (!json_object_has_member (object, "payload")) {
    *why = "missing key \"payload\"";
    return NULL;
  }
  topic = string_member (object, "topic");
  event = string_member (object, "event");
  if (!topic || !event) {
    *why = "topic or event missing or not a string";
    return NULL;
  }
  if (!ref_from_node (json_object_get_member (object, "ref"), &ref)
      || !ref_from_node (json_object_get_member (object, "join_ref"),
          &join_ref)) {
    g_free (ref);
    *why = "ref or join_ref of the wrong type";
    return NULL;
  }
  frame = frame_new (conn, FALSE);
  frame->topic = g_strdup (topic);
  frame->event = g_strdup (event);
  frame->ref = ref;
  frame->join_ref = join_ref;
  frame->payload = json_node_copy (json_object_get_member (object, "payload"));
  return frame;
}

static RtServerFrame *
decode_v2 (Conn *conn, JsonNode *root, const gchar **why)
{
  JsonArray *array;
  RtServerFrame *frame;
  const gchar *topic, *event;
  gchar *ref = NULL, *join_ref = NULL;

  if (!JSON_NODE_HOLDS_ARRAY (root)
      || json_array_get_length (json_node_get_array (root)) != 5) {
    *why = "not a JSON array of 5 elements";
    return NULL;
  }
  array = json_node_get_array (root);
  topic = string_from_node (json_array_get_element (array, 2));
  event = string_from_node (json_array_get_element (array, 3));
  if (!topic || !event) {
    *why = "topic or event not a string";
    return NULL;
  }
  if (!ref_from_node (json_array_get_element (array, 0), &join_ref)
      || !ref_from_node (json_array_get_element (array, 1), &ref)) {
    g_free (join_ref);
    *why = "ref or join_ref of the wrong type";
    return NULL;
  }
  frame = frame_new (conn, FALSE);
  frame->topic = g_strdup (topic);
  frame->event = g_strdup (event);
  frame->ref = ref;
  frame->join_ref = join_ref;
  frame->payload = json_node_copy (json_array_get_element (array, 4));
  return frame;
}

/* Parsed kind 3 parts that the frame record does not keep verbatim. */
typedef struct
{
  gchar *user_event;
  guint8 encoding;
  const guint8 *data;
  gsize data_len;
} Kind3;

static RtServerFrame *
decode_kind3 (Conn *conn, const guint8 *data, gsize len, Kind3 *k3,
    const gchar **why)
{
  gsize jrl, rl, tl, uel, ml, need;
  const guint8 *p;
  RtServerFrame *frame;
  JsonNode *payload = NULL;
  JsonObject *object;

  if (len < 7) {
    *why = "kind 3 header truncated";
    return NULL;
  }
  jrl = data[1];
  rl = data[2];
  tl = data[3];
  uel = data[4];
  ml = data[5];
  k3->encoding = data[6];
  need = 7 + jrl + rl + tl + uel + ml;
  if (len < need) {
    *why = "kind 3 lengths run past the end";
    return NULL;
  }
  if (tl == 0 || uel == 0) {
    *why = "kind 3 with an empty topic or event";
    return NULL;
  }
  if (k3->encoding != ENC_JSON && k3->encoding != ENC_RAW) {
    *why = "kind 3 with an unknown encoding";
    return NULL;
  }
  p = data + 7;
  k3->data = data + need;
  k3->data_len = len - need;
  if (k3->encoding == ENC_JSON) {
    payload = parse_json ((const gchar *)k3->data, k3->data_len);
    if (!payload) {
      *why = "kind 3 payload is not JSON";
      return NULL;
    }
  } else {
    gchar *b64 = g_base64_encode (k3->data, k3->data_len);

    /* Raw bytes are recorded as base64 so tests can still compare them. */
    payload = json_node_new (JSON_NODE_VALUE);
    json_node_set_string (payload, b64);
    g_free (b64);
  }

  frame = frame_new (conn, TRUE);
  frame->join_ref = jrl ? g_strndup ((const gchar *)p, jrl) : NULL;
  p += jrl;
  frame->ref = rl ? g_strndup ((const gchar *)p, rl) : NULL;
  p += rl;
  frame->topic = g_strndup ((const gchar *)p, tl);
  p += tl;
  k3->user_event = g_strndup ((const gchar *)p, uel);
  frame->event = g_strdup ("broadcast");

  object = json_object_new ();
  json_object_set_string_member (object, "event", k3->user_event);
  json_object_set_member (object, "payload", payload);
  json_object_set_string_member (object, "type", "broadcast");
  frame->payload = object_node (object);
  return frame;
}

static void
handle_kind3 (Conn *conn, RtServerFrame *frame, const Kind3 *k3, Outbox *outbox)
{
  Member *member = g_hash_table_lookup (conn->members, frame->topic);
  Broadcast b = { 0 };

  if (!member) {
    outbox_add_reply (outbox, conn, frame->join_ref, frame->ref, frame->topic,
        "error", reason_node ("unmatched topic"));
    return;
  }
  b.topic = frame->topic;
  b.text_payload = k3->encoding == ENC_JSON ? frame->payload : NULL;
  b.v2_form = V2_AS_KIND4;
  b.user_event = k3->user_event;
  b.encoding = k3->encoding;
  b.data = k3->data;
  b.data_len = k3->data_len;
  b.sender = conn;
  b.to_sender = member->self;
  b.private_filter = member->private_channel;
  fan_out (conn->server, &b);
  if (member->ack)
    outbox_add_reply (outbox, conn, frame->join_ref, frame->ref, frame->topic,
        "ok", NULL);
}

static void
on_ws_message (SoupWebsocketConnection *ws, gint type, GBytes *message,
    gpointer user_data)
{
  Conn *conn = user_data;
  RtServer *server = conn->server;
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);
  const gchar *why = NULL;
  RtServerFrame *frame = NULL;
  Kind3 k3 = { 0 };
  Outbox outbox;
  guint conn_id = conn->id;

  if (type == SOUP_WEBSOCKET_DATA_TEXT) {
    JsonNode *root = parse_json ((const gchar *)data, len);

    if (!root)
      why = "invalid JSON";
    else if (conn->v2)
      frame = decode_v2 (conn, root, &why);
    else
      frame = decode_v1 (conn, root, &why);
    if (root)
      json_node_unref (root);
  } else if (len == 0) {
    why = "empty binary frame";
  } else if (data[0] == KIND_USER_BROADCAST_PUSH) {
    frame = decode_kind3 (conn, data, len, &k3, &why);
  } else {
    why = "unsupported binary kind";
  }

  if (!frame) {
    /* Like the real server: log MalformedWebSocketMessage, drop, go on. */
    g_warning ("conn %u: malformed %s frame of %" G_GSIZE_FORMAT
               " bytes dropped: %s",
        conn_id, type == SOUP_WEBSOCKET_DATA_TEXT ? "text" : "binary", len,
        why);
    g_free (k3.user_event);
    return;
  }

  g_debug ("conn %u: received %s on %s (ref %s)", conn_id, frame->event,
      frame->topic, frame->ref ? frame->ref : "null");
  g_ptr_array_add (server->frames, frame);

  outbox.frames = out_frames_new ();
  if (frame->binary)
    handle_kind3 (conn, frame, &k3, &outbox);
  else
    handle_frame (conn, frame, &outbox);
  /* A handler may only touch other connections; this one is still here. */
  outbox_flush (&outbox, conn);
  g_ptr_array_unref (outbox.frames);
  g_free (k3.user_event);
}

/* ---------------------------------------------------------------------- */
/* connections */

static void
conn_free (Conn *conn)
{
  GList *topics, *l;

  /* Others see tracked presences leave. */
  topics = g_hash_table_get_keys (conn->members);
  for (l = topics; l; l = l->next) {
    gchar *topic = g_strdup (l->data);
    conn_remove_member (conn, topic);
    g_free (topic);
  }
  g_list_free (topics);
  g_hash_table_unref (conn->members);
  g_free (conn->api_key);
  if (conn->held)
    g_ptr_array_unref (conn->held);
  if (conn->ws) {
    g_signal_handlers_disconnect_by_data (conn->ws, conn);
    g_object_unref (conn->ws);
  }
  g_free (conn);
}

static void
on_ws_closed (SoupWebsocketConnection *ws, gpointer user_data)
{
  Conn *conn = user_data;
  RtServer *server = conn->server;

  g_message ("conn %u: closed (code %u)", conn->id,
      soup_websocket_connection_get_close_code (ws));
  server->conns = g_list_remove (server->conns, conn);
  conn_free (conn);
}

static void
on_ws_error (SoupWebsocketConnection *ws, GError *error, gpointer user_data)
{
  Conn *conn = user_data;

  g_debug ("conn %u: websocket error: %s", conn->id, error->message);
}

static void
websocket_cb (SoupServer *soup, SoupServerMessage *msg, const char *path,
    SoupWebsocketConnection *ws, gpointer user_data)
{
  RtServer *server = user_data;
  GUri *uri = soup_server_message_get_uri (msg);
  const gchar *query = g_uri_get_query (uri);
  GHashTable *params = NULL;
  const gchar *vsn = NULL;
  Conn *conn;

  if (query)
    params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  if (params)
    vsn = g_hash_table_lookup (params, "vsn");

  conn = g_new0 (Conn, 1);
  /* The gate read the header before the query; so does this. */
  conn->api_key = g_strdup (
      soup_message_headers_get_one (soup_server_message_get_request_headers (
                                        msg),
          "x-api-key"));
  if (!conn->api_key && params)
    conn->api_key = g_strdup (g_hash_table_lookup (params, "apikey"));
  conn->server = server;
  conn->id = ++server->next_conn_id;
  conn->v2 = g_strcmp0 (vsn, "2.0.0") == 0;
  conn->ws = g_object_ref (ws);
  conn->members = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify)member_free);
  server->n_accepted++;
  server->conns = g_list_prepend (server->conns, conn);
  if (params)
    g_hash_table_unref (params);

  soup_websocket_connection_set_max_incoming_payload_size (ws,
      MAX_INCOMING_PAYLOAD);
  g_signal_connect (ws, "message", G_CALLBACK (on_ws_message), conn);
  g_signal_connect (ws, "closed", G_CALLBACK (on_ws_closed), conn);
  g_signal_connect (ws, "error", G_CALLBACK (on_ws_error), conn);

  g_message ("conn %u: accepted on %s, vsn %s", conn->id, path,
      conn->v2 ? "2.0.0" : "1.0.0");
}

static void
set_json_response (SoupServerMessage *msg, guint status, const gchar *key,
    const gchar *text)
{
  JsonObject *object = json_object_new ();
  JsonNode *node;
  gchar *body;

  json_object_set_string_member (object, key, text);
  node = object_node (object);
  body = node_to_string (node);
  json_node_unref (node);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
      body, strlen (body));
}

/* Runs before libsoup's own WebSocket handshake: a status set here stops
 * the upgrade. */
static void
websocket_gate_cb (SoupServer *soup, SoupServerMessage *msg, const char *path,
    GHashTable *query, gpointer user_data)
{
  RtServer *server = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const gchar *vsn = query ? g_hash_table_lookup (query, "vsn") : NULL;
  const gchar *key;
  gboolean upgrade
      = soup_message_headers_header_contains (headers, "Upgrade", "websocket");

  if (upgrade) {
    gint64 now = g_get_monotonic_time ();

    g_array_append_val (server->upgrade_times, now);
  }
  if (server->refuse_remaining > 0 && upgrade) {
    server->refuse_remaining--;
    g_message ("upgrade on %s refused with %u%s%s (fault injection), %u left",
        path, server->refuse_status,
        server->refuse_retry_after ? ", Retry-After " : "",
        server->refuse_retry_after ? server->refuse_retry_after : "",
        server->refuse_remaining);
    set_json_response (msg, server->refuse_status, "error",
        "refused by test server");
    if (server->refuse_retry_after)
      soup_message_headers_replace (soup_server_message_get_response_headers (
                                        msg),
          "Retry-After", server->refuse_retry_after);
    return;
  }

  if (vsn && strcmp (vsn, "1.0.0") != 0 && strcmp (vsn, "2.0.0") != 0) {
    g_message ("upgrade on %s refused: unsupported vsn", path);
    set_json_response (msg, SOUP_STATUS_BAD_REQUEST, "error",
        "Unsupported serializer version");
    return;
  }

  if (server->api_key) {
    /* The real server reads the x-api-key header before the query. */
    key = soup_message_headers_get_one (headers, "x-api-key");
    if (!key && query)
      key = g_hash_table_lookup (query, "apikey");
    if (g_strcmp0 (key, server->api_key) != 0) {
      g_message ("upgrade on %s refused: %s API key", path,
          key ? "wrong" : "no");
      set_json_response (msg, SOUP_STATUS_UNAUTHORIZED, "error",
          "Unauthorized: invalid or missing API key");
      return;
    }
  }
}

/* ---------------------------------------------------------------------- */
/* REST */

static gboolean
rest_authorized (RtServer *server, SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const gchar *auth, *apikey;

  if (!server->api_key)
    return TRUE;
  auth = soup_message_headers_get_one (headers, "Authorization");
  if (auth && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0
      && strcmp (auth + 7, server->api_key) == 0)
    return TRUE;
  apikey = soup_message_headers_get_one (headers, "apikey");
  return g_strcmp0 (apikey, server->api_key) == 0;
}

static GBytes *
request_body (SoupServerMessage *msg)
{
  return soup_message_body_flatten (soup_server_message_get_request_body (msg));
}

static void
rest_batch (RtServer *server, SoupServerMessage *msg)
{
  GBytes *body = request_body (msg);
  gsize len;
  const gchar *data = g_bytes_get_data (body, &len);
  JsonNode *root = parse_json (data, len);
  JsonArray *messages = NULL;
  guint i, n;

  if (root && JSON_NODE_HOLDS_OBJECT (root)) {
    JsonNode *node
        = json_object_get_member (json_node_get_object (root), "messages");
    if (node && JSON_NODE_HOLDS_ARRAY (node))
      messages = json_node_get_array (node);
  }
  if (!messages || json_array_get_length (messages) == 0) {
    set_json_response (msg, 422, "message",
        "body must be {\"messages\":[...]}");
    goto out;
  }

  /* Validate all before sending any, as the changeset does. */
  n = json_array_get_length (messages);
  for (i = 0; i < n; i++) {
    JsonNode *node = json_array_get_element (messages, i);
    JsonObject *m
        = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
    JsonNode *payload = m ? json_object_get_member (m, "payload") : NULL;

    if (!m || !string_member (m, "topic") || !*string_member (m, "topic")
        || !string_member (m, "event") || !payload
        || !JSON_NODE_HOLDS_OBJECT (payload)) {
      set_json_response (msg, 422, "message",
          "each message needs topic, event and an object payload");
      goto out;
    }
  }

  for (i = 0; i < n; i++) {
    JsonObject *m = json_array_get_object_element (messages, i);
    gchar *topic = g_strconcat (TOPIC_PREFIX, string_member (m, "topic"), NULL);
    JsonNode *text = broadcast_text_payload (string_member (m, "event"),
        json_object_get_member (m, "payload"));
    Broadcast b = { 0 };

    b.topic = topic;
    b.text_payload = text;
    /* Batch broadcasts reach v2 sockets as text arrays. */
    b.v2_form = V2_AS_TEXT;
    b.private_filter = bool_member (m, "private", FALSE);
    fan_out (server, &b);
    json_node_unref (text);
    g_free (topic);
  }
  g_message ("REST batch broadcast of %u message(s) accepted", n);
  soup_server_message_set_status (msg, SOUP_STATUS_ACCEPTED, NULL);

out:
  if (root)
    json_node_unref (root);
  g_bytes_unref (body);
}

static void
rest_single (RtServer *server, SoupServerMessage *msg, const gchar *rest,
    GHashTable *query)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const gchar *content_type
      = soup_message_headers_get_content_type (headers, NULL);
  gchar **parts = g_strsplit (rest, "/", -1);
  GBytes *body = NULL;
  JsonNode *json = NULL, *text = NULL;
  gchar *topic = NULL;
  gboolean is_json;
  Broadcast b = { 0 };
  gsize len;
  const guint8 *data;

  /* rest is "<topic>/events/<event>" */
  if (g_strv_length (parts) != 3 || !*parts[0]
      || strcmp (parts[1], "events") != 0 || !*parts[2]) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    goto out;
  }
  is_json = g_strcmp0 (content_type, "application/json") == 0;
  if (!is_json && g_strcmp0 (content_type, "application/octet-stream") != 0) {
    set_json_response (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, "message",
        "content type must be application/json or application/octet-stream");
    goto out;
  }
  body = request_body (msg);
  data = g_bytes_get_data (body, &len);
  if (is_json) {
    json = parse_json ((const gchar *)data, len);
    if (!json) {
      set_json_response (msg, 422, "message", "body is not JSON");
      goto out;
    }
    text = broadcast_text_payload (parts[2], json);
  }

  topic = g_strconcat (TOPIC_PREFIX, parts[0], NULL);
  b.topic = topic;
  b.text_payload = text;
  b.v2_form = V2_AS_KIND4;
  b.user_event = parts[2];
  b.encoding = is_json ? ENC_JSON : ENC_RAW;
  b.data = data;
  b.data_len = len;
  b.private_filter = query
      && g_strcmp0 (g_hash_table_lookup (query, "private"), "true") == 0;
  fan_out (server, &b);
  g_message ("REST single broadcast on %s accepted", topic);
  soup_server_message_set_status (msg, SOUP_STATUS_ACCEPTED, NULL);

out:
  if (json)
    json_node_unref (json);
  if (text)
    json_node_unref (text);
  if (body)
    g_bytes_unref (body);
  g_free (topic);
  g_strfreev (parts);
}

static void
rest_cb (SoupServer *soup, SoupServerMessage *msg, const char *path,
    GHashTable *query, gpointer user_data)
{
  RtServer *server = user_data;
  const gchar *rest;

  if (g_str_has_prefix (path, API_PATH))
    rest = path + strlen (API_PATH);
  else
    rest = path + strlen (API_PATH_DIRECT);

  if (strcmp (soup_server_message_get_method (msg), SOUP_METHOD_POST) != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    return;
  }
  if (!rest_authorized (server, msg)) {
    g_message ("REST request on %s refused: unauthorized", path);
    set_json_response (msg, SOUP_STATUS_UNAUTHORIZED, "message",
        "Unauthorized");
    return;
  }
  if (*rest == '\0')
    rest_batch (server, msg);
  else if (*rest == '/')
    rest_single (server, msg, rest + 1, query);
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

/* ---------------------------------------------------------------------- */
/* listening */

/* Longest a client may take to complete a TLS handshake. */
#define TLS_HANDSHAKE_TIMEOUT_S 10

/* One accepted TLS connection until its handshake is done. The handshake
 * is run here, with a cancellable, rather than left to libsoup's first
 * read: glib-networking's close of a connection whose handshake is still
 * running waits for that handshake, so soup_server_disconnect() would
 * block forever on a client that (in the same thread) refused the
 * certificate and has not closed its socket yet. */
typedef struct
{
  RtServer *server; /* NULL once the server is gone */
  GIOStream *tls;
  GSocketAddress *local, *remote;
  GCancellable *cancellable;
  GSource *timeout;
} Handshake;

static void
handshake_free (Handshake *h)
{
  if (h->timeout) {
    g_source_destroy (h->timeout);
    g_source_unref (h->timeout);
  }
  g_clear_object (&h->tls);
  g_clear_object (&h->local);
  g_clear_object (&h->remote);
  g_clear_object (&h->cancellable);
  g_free (h);
}

static gboolean
handshake_timed_out (gpointer data)
{
  Handshake *h = data;

  g_message ("TLS handshake not done within %d s: dropping the connection",
      TLS_HANDSHAKE_TIMEOUT_S);
  g_cancellable_cancel (h->cancellable);
  return G_SOURCE_CONTINUE; /* destroyed with the handshake */
}

static void
handshake_done (GObject *source, GAsyncResult *result, gpointer data)
{
  Handshake *h = data;
  RtServer *server = h->server;
  GError *error = NULL;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result,
          &error)) {
    /* Expected whenever a client refuses the certificate. */
    if (server)
      g_message ("TLS handshake failed: %s", error->message);
    g_clear_error (&error);
    g_io_stream_close (h->tls, NULL, NULL);
  } else if (server
      && !soup_server_accept_iostream (server->soup, h->tls, h->local,
          h->remote, &error)) {
    g_warning ("cannot serve an accepted TLS connection: %s", error->message);
    g_clear_error (&error);
  }
  if (server)
    server->handshakes = g_list_remove (server->handshakes, h);
  handshake_free (h);
}

static void
start_handshake (RtServer *server, GSocketConnection *connection,
    GSocketAddress *local, GSocketAddress *remote)
{
  GError *error = NULL;
  GIOStream *tls = g_tls_server_connection_new (G_IO_STREAM (connection),
      server->tls_certificate, &error);
  Handshake *h;

  if (!tls) {
    g_warning ("cannot start TLS on an accepted connection: %s",
        error->message);
    g_error_free (error);
    g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
    return;
  }
  h = g_new0 (Handshake, 1);
  h->server = server;
  h->tls = tls;
  h->local = local ? g_object_ref (local) : NULL;
  h->remote = remote ? g_object_ref (remote) : NULL;
  h->cancellable = g_cancellable_new ();
  h->timeout = g_timeout_source_new_seconds (TLS_HANDSHAKE_TIMEOUT_S);
  g_source_set_callback (h->timeout, handshake_timed_out, h, NULL);
  g_source_attach (h->timeout, server->context);
  server->handshakes = g_list_prepend (server->handshakes, h);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
      h->cancellable, handshake_done, h);
}

static gboolean
on_incoming (GSocket *listen_socket, GIOCondition condition, gpointer user_data)
{
  RtServer *server = user_data;
  GError *error = NULL;
  GSocket *socket = g_socket_accept (listen_socket, NULL, &error);
  GSocketConnection *connection;
  GSocketAddress *local, *remote;

  if (!socket) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
      g_warning ("accept failed: %s; still listening", error->message);
    g_error_free (error);
    return G_SOURCE_CONTINUE;
  }
  /* Replies are small frames; Nagle would hold them back. */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  connection = g_socket_connection_factory_create_connection (socket);
  if (server->hang_remaining > 0) {
    /* Accepted, then never a byte back: no TLS, no upgrade answer. */
    server->hang_remaining--;
    g_message ("connection accepted and left hanging (fault injection), %u "
               "left",
        server->hang_remaining);
    server->hung = g_list_prepend (server->hung, connection);
    g_object_unref (socket);
    return G_SOURCE_CONTINUE;
  }
  local = g_socket_get_local_address (socket, NULL);
  remote = g_socket_get_remote_address (socket, NULL);
  if (server->tls_certificate) {
    start_handshake (server, connection, local, remote);
  } else if (!soup_server_accept_iostream (server->soup,
                 G_IO_STREAM (connection), local, remote, &error)) {
    g_warning ("cannot serve an accepted connection: %s", error->message);
    g_error_free (error);
  }
  g_clear_object (&local);
  g_clear_object (&remote);
  g_object_unref (connection);
  g_object_unref (socket);
  return G_SOURCE_CONTINUE;
}

static gboolean
start_listening (RtServer *server, GInetAddress *inet, guint port,
    GError **error)
{
  GSocketAddress *address = g_inet_socket_address_new (inet, port);
  GSocketAddress *bound = NULL;
  gboolean ok;

  /* Bound with SO_REUSEADDR (allow_reuse below), so a server restarted on
   * the same port does not wait for the old connections' TIME_WAIT. */
  server->listen_socket = g_socket_new (g_inet_address_get_family (inet),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  ok = server->listen_socket
      && g_socket_bind (server->listen_socket, address, TRUE, error)
      && g_socket_listen (server->listen_socket, error)
      && (bound = g_socket_get_local_address (server->listen_socket, error));
  if (ok) {
    server->port
        = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
    server->listen_source
        = g_socket_create_source (server->listen_socket, G_IO_IN, NULL);
    g_source_set_callback (server->listen_source, G_SOURCE_FUNC (on_incoming),
        server, NULL);
    g_source_attach (server->listen_source, server->context);
  }
  g_clear_object (&bound);
  g_object_unref (address);
  return ok;
}

static void
stop_listening (RtServer *server)
{
  if (server->listen_source) {
    g_source_destroy (server->listen_source);
    g_clear_pointer (&server->listen_source, g_source_unref);
  }
  if (server->listen_socket) {
    g_socket_close (server->listen_socket, NULL);
    g_clear_object (&server->listen_socket);
  }
}

/* libsoup 3.2 keeps an HTTP connection open after a response only while
 * the SoupServer has a listener of its own (request_finished() checks
 * priv->listeners); ours accepts itself (see listen_socket), so every
 * REST call paid a new TCP connection, which a client keeping its
 * connection alive (as the real server allows) does not. A listener on a
 * loopback port nobody is told of restores keep-alive; it never accepts,
 * so SoupListener's leak of accepted sockets does not apply. Best effort:
 * without it, connections close after each response as before. */
static void
keep_connections_alive (RtServer *server)
{
  g_autoptr (GInetAddress) loopback
      = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4,
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL);

  if (!socket || !g_socket_bind (socket, any, FALSE, NULL)
      || !g_socket_listen (socket, NULL)
      || !soup_server_listen_socket (server->soup, socket, 0, NULL))
    g_message ("REST connections close after each response (no keep-alive)");
}

/* ---------------------------------------------------------------------- */
/* public API */

RtServer *
rt_server_new (guint port, const gchar *api_key, GError **error)
{
  return rt_server_new_full (NULL, port, api_key, NULL, NULL, error);
}

RtServer *
rt_server_new_tls (guint port, const gchar *api_key, const gchar *cert_pem_file,
    const gchar *key_pem_file, GError **error)
{
  g_return_val_if_fail (cert_pem_file != NULL, NULL);
  g_return_val_if_fail (key_pem_file != NULL, NULL);

  return rt_server_new_full (NULL, port, api_key, cert_pem_file, key_pem_file,
      error);
}

RtServer *
rt_server_new_full (const gchar *address, guint port, const gchar *api_key,
    const gchar *cert_pem_file, const gchar *key_pem_file, GError **error)
{
  RtServer *server;
  GInetAddress *inet;
  GTlsCertificate *certificate = NULL;
  gchar *host;

  g_return_val_if_fail (port <= 65535, NULL);
  g_return_val_if_fail ((cert_pem_file == NULL) == (key_pem_file == NULL),
      NULL);

  inet = address ? g_inet_address_new_from_string (address)
                 : g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  if (!inet) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "\"%s\" is not an IPv4 or IPv6 address", address);
    return NULL;
  }
  if (cert_pem_file) {
    certificate
        = g_tls_certificate_new_from_files (cert_pem_file, key_pem_file, error);
    if (!certificate) {
      g_prefix_error (error, "TLS certificate %s / key %s: ", cert_pem_file,
          key_pem_file);
      g_object_unref (inet);
      return NULL;
    }
  }

  server = g_new0 (RtServer, 1);
  server->tls_certificate = certificate;

  server->context = g_main_context_ref_thread_default ();
  server->api_key = g_strdup (api_key);
  server->answer_heartbeats = TRUE;
  server->frames
      = g_ptr_array_new_with_free_func ((GDestroyNotify)rt_server_frame_free);
  server->access_tokens
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  server->authorised
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  server->upgrade_times = g_array_new (FALSE, FALSE, sizeof (gint64));
  server->expired_tokens
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  server->soup = soup_server_new ("server-header", "rt-server ", NULL);

  soup_server_add_handler (server->soup, WS_PATH, websocket_gate_cb, server,
      NULL);
  soup_server_add_handler (server->soup, WS_PATH_DIRECT, websocket_gate_cb,
      server, NULL);
  soup_server_add_websocket_handler (server->soup, WS_PATH, NULL, NULL,
      websocket_cb, server, NULL);
  soup_server_add_websocket_handler (server->soup, WS_PATH_DIRECT, NULL, NULL,
      websocket_cb, server, NULL);
  soup_server_add_handler (server->soup, API_PATH, rest_cb, server, NULL);
  soup_server_add_handler (server->soup, API_PATH_DIRECT, rest_cb, server,
      NULL);

  if (!start_listening (server, inet, port, error)) {
    g_object_unref (inet);
    rt_server_free (server);
    return NULL;
  }
  keep_connections_alive (server);
  host = g_inet_address_to_string (inet);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6) {
    gchar *bracketed = g_strdup_printf ("[%s]", host);

    g_free (host);
    host = bracketed;
  }
  server->url = g_strdup_printf ("%s://%s:%u", certificate ? "https" : "http",
      host, server->port);
  g_free (host);
  g_object_unref (inet);
  g_message ("listening on %s (API key %s)", server->url,
      api_key ? "required" : "not checked");
  return server;
}

void
rt_server_free (RtServer *server)
{
  if (!server)
    return;

  stop_listening (server);
  /* Handshakes still running finish (cancelled) on the context later and
   * free themselves; they must not touch the server any more. */
  while (server->handshakes) {
    Handshake *h = server->handshakes->data;

    server->handshakes
        = g_list_delete_link (server->handshakes, server->handshakes);
    h->server = NULL;
    g_cancellable_cancel (h->cancellable);
  }
  g_list_free_full (server->delayed, (GDestroyNotify)delayed_reply_free);
  server->delayed = NULL;
  g_list_free_full (server->laters, (GDestroyNotify)later_free);
  server->laters = NULL;
  while (server->hung) {
    GIOStream *stream = server->hung->data;

    server->hung = g_list_delete_link (server->hung, server->hung);
    g_io_stream_close (stream, NULL, NULL);
    g_object_unref (stream);
  }

  while (server->conns) {
    Conn *conn = server->conns->data;

    server->conns = g_list_delete_link (server->conns, server->conns);
    g_signal_handlers_disconnect_by_data (conn->ws, conn);
    /* No close handshake: it would leave timeouts behind on the context. */
    if (soup_websocket_connection_get_state (conn->ws)
        != SOUP_WEBSOCKET_STATE_CLOSED)
      g_io_stream_close (soup_websocket_connection_get_io_stream (conn->ws),
          NULL, NULL);
    conn_free (conn);
  }

  if (server->soup) {
    soup_server_disconnect (server->soup);
    g_object_unref (server->soup);
  }
  g_list_free_full (server->join_faults, (GDestroyNotify)join_fault_free);
  g_ptr_array_unref (server->frames);
  g_hash_table_unref (server->access_tokens);
  g_hash_table_unref (server->authorised);
  g_array_unref (server->upgrade_times);
  g_hash_table_unref (server->expired_tokens);
  g_free (server->refuse_retry_after);
  g_clear_object (&server->tls_certificate);
  g_main_context_unref (server->context);
  g_free (server->api_key);
  g_free (server->url);
  g_free (server);
}

guint
rt_server_get_port (RtServer *server)
{
  return server->port;
}

const gchar *
rt_server_get_url (RtServer *server)
{
  return server->url;
}

guint
rt_server_get_n_connections (RtServer *server)
{
  return g_list_length (server->conns);
}

guint
rt_server_get_n_accepted (RtServer *server)
{
  return server->n_accepted;
}

GPtrArray *
rt_server_get_frames (RtServer *server)
{
  return server->frames;
}

void
rt_server_clear_frames (RtServer *server)
{
  g_ptr_array_set_size (server->frames, 0);
}

guint
rt_server_count_frames (RtServer *server, const gchar *topic,
    const gchar *event)
{
  guint i, n = 0;

  for (i = 0; i < server->frames->len; i++) {
    RtServerFrame *frame = g_ptr_array_index (server->frames, i);

    if (event && g_strcmp0 (frame->event, event) != 0)
      continue;
    if (topic && g_strcmp0 (frame->topic, topic) != 0)
      continue;
    n++;
  }
  return n;
}

guint
rt_server_count_members (RtServer *server, const gchar *topic)
{
  GList *l;
  guint n = 0;

  for (l = server->conns; l; l = l->next) {
    Conn *conn = l->data;
    if (g_hash_table_contains (conn->members, topic))
      n++;
  }
  return n;
}

const gchar *
rt_server_get_last_access_token (RtServer *server, const gchar *topic)
{
  return g_hash_table_lookup (server->access_tokens, topic);
}

void
rt_server_broadcast (RtServer *server, const gchar *topic, const gchar *event,
    const gchar *payload_json)
{
  JsonNode *payload = parse_json (payload_json, -1);
  JsonNode *text;
  Broadcast b = { 0 };

  g_return_if_fail (payload != NULL);
  text = broadcast_text_payload (event, payload);
  b.topic = topic;
  b.text_payload = text;
  b.v2_form = V2_AS_KIND4;
  b.user_event = event;
  b.encoding = ENC_JSON;
  b.data = (const guint8 *)payload_json;
  b.data_len = strlen (payload_json);
  b.private_filter = -1;
  fan_out (server, &b);
  json_node_unref (text);
  json_node_unref (payload);
}

/* A JSON string literal of @text. */
static gchar *
json_quote (const gchar *text)
{
  JsonNode *node = json_node_init_string (json_node_alloc (), text);
  gchar *quoted = json_to_string (node, FALSE);

  json_node_unref (node);
  return quoted;
}

void
rt_server_broadcast_raw (RtServer *server, const gchar *topic,
    const gchar *event, const gchar *payload_json)
{
  GBytes *kind4 = encode_kind4 (topic, event, "{}", ENC_JSON,
      (const guint8 *)payload_json, strlen (payload_json));
  gchar *qtopic = json_quote (topic), *qevent = json_quote (event);
  GList *l;

  g_return_if_fail (kind4 != NULL);
  for (l = server->conns; l; l = l->next) {
    Conn *conn = l->data;

    if (!g_hash_table_contains (conn->members, topic))
      continue;
    if (conn->v2)
      conn_send_bytes (conn, TRUE, kind4);
    else
      conn_send_text (conn,
          g_strdup_printf ("{\"event\":\"broadcast\",\"payload\":{\"event\":"
                           "%s,\"payload\":%s,\"type\":\"broadcast\"},"
                           "\"ref\":null,\"topic\":%s}",
              qevent, payload_json, qtopic));
  }
  g_bytes_unref (kind4);
  g_free (qtopic);
  g_free (qevent);
}

void
rt_server_drop_all (RtServer *server)
{
  GList *l;

  g_message ("dropping %u connection(s) without a close frame",
      g_list_length (server->conns));
  /* The "closed" handlers run later, from the connections' own sources. */
  for (l = server->conns; l; l = l->next) {
    Conn *conn = l->data;
    g_io_stream_close (soup_websocket_connection_get_io_stream (conn->ws), NULL,
        NULL);
  }
}

void
rt_server_close_all (RtServer *server, gushort code)
{
  GList *l, *copy = g_list_copy (server->conns);

  if (code == 0)
    code = SOUP_WEBSOCKET_CLOSE_NORMAL;
  g_message ("closing %u connection(s) with code %u", g_list_length (copy),
      code);
  for (l = copy; l; l = l->next) {
    Conn *conn = l->data;

    if (conn_is_open (conn))
      soup_websocket_connection_close (conn->ws, code, NULL);
  }
  g_list_free (copy);
}

void
rt_server_set_answer_heartbeats (RtServer *server, gboolean answer)
{
  server->answer_heartbeats = answer;
}

static void
add_join_fault (RtServer *server, JoinFaultKind kind, const gchar *topic,
    guint n, const gchar *reason)
{
  JoinFault *fault = g_new0 (JoinFault, 1);

  fault->kind = kind;
  fault->topic = g_strdup (topic);
  fault->remaining = n;
  fault->reason = g_strdup (reason ? reason : "Unknown Error on Channel");
  server->join_faults = g_list_append (server->join_faults, fault);
}

void
rt_server_reject_joins (RtServer *server, const gchar *topic, guint n,
    const gchar *reason)
{
  add_join_fault (server, JOIN_FAULT_REJECT, topic, n, reason);
}

void
rt_server_swallow_joins (RtServer *server, const gchar *topic, guint n)
{
  add_join_fault (server, JOIN_FAULT_SWALLOW, topic, n, NULL);
}

void
rt_server_set_reply_delay (RtServer *server, guint ms)
{
  server->reply_delay_ms = ms;
}

void
rt_server_send_garbage (RtServer *server)
{
  static const gchar *texts[] = {
    "{not json",
    "",
    "42",
    "\"a string\"",
    "null",
    "[1,2,3]",
    "[null,null,\"realtime:garbage\",\"broadcast\"]",
    "[null,null,\"realtime:garbage\",\"broadcast\",{},\"extra\"]",
    "[null,null,17,\"broadcast\",{}]",
    "[null,null,\"realtime:garbage\",{},{}]",
    "{\"event\":\"broadcast\",\"payload\":{},\"ref\":null}",
    "{\"topic\":17,\"event\":\"broadcast\",\"payload\":{},\"ref\":null}",
    "{\"topic\":\"realtime:garbage\",\"event\":[],\"payload\":{},\"ref\":5.5}",
    "{\"topic\":\"realtime:garbage\",\"event\":\"phx_reply\","
    "\"payload\":\"not an object\",\"ref\":\"garbage-1\"}",
    "{\"topic\":\"realtime:garbage\",\"event\":\"broadcast\","
    "\"payload\":{\"type\":\"broadcast\",\"event\":17},\"ref\":null}",
  };
  /* kind 9; kind 4 cut inside the header; kind 4 whose lengths point past
   * the end; kind 4 with a JSON encoding but a payload that is not JSON. */
  static const guint8 kind9[] = { 9, 1, 2, 3 };
  static const guint8 kind4_short[] = { 4, 16, 5 };
  static const guint8 kind4_past_end[] = { 4, 200, 200, 200, 1, 'r', 'e' };
  static const guint8 kind4_bad_json[] = { 4, 10, 1, 2, 1, 'r', 'e', 'a', 'l',
    't', 'i', 'm', 'e', ':', 'g', 'e', '{', '}', '{', 'x' };
  static const guint8 empty[] = { 0 };
  GList *l;

  g_message ("sending garbage to %u connection(s)",
      g_list_length (server->conns));
  for (l = server->conns; l; l = l->next) {
    Conn *conn = l->data;
    guint i;

    if (!conn_is_open (conn))
      continue;
    for (i = 0; i < G_N_ELEMENTS (texts); i++)
      soup_websocket_connection_send_text (conn->ws, texts[i]);
    soup_websocket_connection_send_binary (conn->ws, kind9, sizeof kind9);
    soup_websocket_connection_send_binary (conn->ws, kind4_short,
        sizeof kind4_short);
    soup_websocket_connection_send_binary (conn->ws, kind4_past_end,
        sizeof kind4_past_end);
    soup_websocket_connection_send_binary (conn->ws, kind4_bad_json,
        sizeof kind4_bad_json);
    soup_websocket_connection_send_binary (conn->ws, empty, 0);
  }
}

void
rt_server_send_oversized (RtServer *server, gsize size)
{
  GList *l;

  for (l = server->conns; l; l = l->next) {
    Conn *conn = l->data;
    const gchar *head = conn->v2
        ? "[null,null,\"realtime:oversized\",\"broadcast\",{\"event\":"
          "\"oversized\",\"payload\":{\"data\":\""
        : "{\"event\":\"broadcast\",\"payload\":{\"event\":"
          "\"oversized\","
          "\"payload\":{\"data\":\"";
    const gchar *tail = conn->v2 ? "\"},\"type\":\"broadcast\"}]"
                                 : "\"},\"type\":\"broadcast\"},\"ref\":null,"
                                   "\"topic\":\"realtime:oversized\"}";
    gsize fixed = strlen (head) + strlen (tail);
    gsize fill = size > fixed ? size - fixed : 0;
    GString *text;

    if (!conn_is_open (conn))
      continue;
    text = g_string_sized_new (fixed + fill + 1);
    g_string_append (text, head);
    memset (text->str + text->len, 'x', fill);
    g_string_set_size (text, text->len + fill);
    g_string_append (text, tail);
    g_message ("conn %u: sending a %" G_GSIZE_FORMAT "-byte text frame",
        conn->id, text->len);
    conn_send_text (conn, g_string_free (text, FALSE));
  }
}

static void
send_to_members (RtServer *server, const gchar *topic, const gchar *event,
    JsonNode *payload, gboolean remove)
{
  GList *l;

  for (l = server->conns; l; l = l->next) {
    Conn *conn = l->data;
    Member *member = g_hash_table_lookup (conn->members, topic);

    if (!member)
      continue;
    conn_send_text (conn,
        encode_text (conn->v2, member->join_ref, member->join_ref, topic, event,
            payload));
    if (remove)
      conn_remove_member (conn, topic);
  }
}

void
rt_server_send_raw_text (RtServer *server, const gchar *text)
{
  GList *l;

  for (l = server->conns; l; l = l->next) {
    Conn *conn = l->data;

    if (conn_is_open (conn))
      conn_send_text (conn, g_strdup (text));
  }
}

void
rt_server_send_phx_error (RtServer *server, const gchar *topic)
{
  JsonNode *payload = reason_node ("channel_crash");

  g_message ("sending phx_error on %s to %u member(s)", topic,
      rt_server_count_members (server, topic));
  /* The crashed channel process is gone on the real server too. */
  send_to_members (server, topic, "phx_error", payload, TRUE);
  json_node_unref (payload);
}

void
rt_server_send_phx_close (RtServer *server, const gchar *topic)
{
  JsonNode *payload = empty_object_node ();

  g_message ("sending phx_close on %s to %u member(s)", topic,
      rt_server_count_members (server, topic));
  send_to_members (server, topic, "phx_close", payload, TRUE);
  json_node_unref (payload);
}

void
rt_server_send_system_error (RtServer *server, const gchar *topic,
    const gchar *message)
{
  JsonObject *object = json_object_new ();
  JsonNode *payload, *close_payload = empty_object_node ();
  GList *l;

  json_object_set_string_member (object, "channel", topic_name (topic));
  json_object_set_string_member (object, "extension", "system");
  json_object_set_string_member (object, "message", message);
  json_object_set_string_member (object, "status", "error");
  payload = object_node (object);

  g_message ("sending system error then phx_close on %s to %u member(s)", topic,
      rt_server_count_members (server, topic));
  for (l = server->conns; l; l = l->next) {
    Conn *conn = l->data;
    Member *member = g_hash_table_lookup (conn->members, topic);

    if (!member)
      continue;
    conn_send_text (conn,
        encode_text (conn->v2, member->join_ref, NULL, topic, "system",
            payload));
    conn_send_text (conn,
        encode_text (conn->v2, member->join_ref, member->join_ref, topic,
            "phx_close", close_payload));
    conn_remove_member (conn, topic);
  }
  json_node_unref (payload);
  json_node_unref (close_payload);
}

void
rt_server_refuse_upgrades (RtServer *server, guint status, guint n)
{
  rt_server_refuse_upgrades_retry_after (server, status, n, NULL);
}

void
rt_server_refuse_upgrades_retry_after (RtServer *server, guint status, guint n,
    const gchar *retry_after)
{
  server->refuse_status = status;
  server->refuse_remaining = n;
  g_free (server->refuse_retry_after);
  server->refuse_retry_after = g_strdup (retry_after);
}

void
rt_server_hang_upgrades (RtServer *server, guint n)
{
  server->hang_remaining = n;
}

guint
rt_server_get_n_hung (RtServer *server)
{
  return g_list_length (server->hung);
}

GArray *
rt_server_get_upgrade_times (RtServer *server)
{
  return server->upgrade_times;
}

void
rt_server_expire_token (RtServer *server, const gchar *token)
{
  gint64 *when = g_new (gint64, 1);
  GList *l;

  g_return_if_fail (token != NULL);

  *when = g_get_real_time ();
  g_hash_table_replace (server->expired_tokens, g_strdup (token), when);
  for (l = server->conns; l; l = l->next) {
    Conn *conn = l->data;
    GList *topics = g_hash_table_get_keys (conn->members), *t;

    for (t = topics; t; t = t->next) {
      gchar *topic = g_strdup (t->data);
      Member *member = g_hash_table_lookup (conn->members, topic);
      gchar *message = expired_message (server, member->access_token);

      if (message && conn_is_open (conn)) {
        g_message ("conn %u: access token on %s expired: closing the channel",
            conn->id, topic);
        shutdown_member (conn, topic, message, NULL);
      }
      g_free (message);
      g_free (topic);
    }
    g_list_free (topics);
  }
}

JsonNode *
rt_server_dup_presence_state (RtServer *server, const gchar *topic)
{
  return presence_state (server, topic);
}

/* One piece of a dripping frame written: the next after a pause, or, at
 * the end, the frames held back meanwhile. */
static gboolean on_drip_due (gpointer data);

static void
on_drip_written (GObject *source, GAsyncResult *result, gpointer data)
{
  Later *later = data;
  GError *error = NULL;
  gsize written = 0;
  gboolean ok = g_output_stream_write_all_finish (G_OUTPUT_STREAM (source),
      result, &written, &error);
  Conn *conn;

  if (later->orphaned) {
    /* The server or the connection went away meanwhile. */
    g_clear_error (&error);
    later_free (later);
    return;
  }
  g_clear_object (&later->cancellable);
  conn = find_conn (later->server, later->conn_id);
  if (!ok || !conn) {
    g_message ("conn %u: dripping frame abandoned: %s", later->conn_id,
        error ? error->message : "connection gone");
    g_clear_error (&error);
    later_done (later);
    return;
  }
  later->offset += written;
  if (later->offset < g_bytes_get_size (later->drip)) {
    later_arm (later, later->pause_ms, on_drip_due);
    return;
  }
  g_message ("conn %u: dripping frame of %" G_GSIZE_FORMAT " bytes done",
      conn->id, later->offset);
  {
    GPtrArray *held = conn->held;

    conn->held = NULL;
    send_frames (conn, held);
    g_ptr_array_unref (held);
  }
  later_done (later);
}

static gboolean
on_drip_due (gpointer data)
{
  Later *later = data;
  Conn *conn = find_conn (later->server, later->conn_id);
  gsize size = g_bytes_get_size (later->drip);
  const guint8 *bytes = g_bytes_get_data (later->drip, NULL);

  g_clear_pointer (&later->source, g_source_unref);
  if (!conn || !conn_is_open (conn)) {
    later_done (later);
    return G_SOURCE_REMOVE;
  }
  later->cancellable = g_cancellable_new ();
  g_output_stream_write_all_async (g_io_stream_get_output_stream (
                                       soup_websocket_connection_get_io_stream (
                                           conn->ws)),
      bytes + later->offset, MIN (later->piece, size - later->offset),
      G_PRIORITY_DEFAULT, later->cancellable, on_drip_written, later);
  return G_SOURCE_REMOVE;
}

/* An unmasked server text frame (RFC 6455 5.2) around @text. */
static GBytes *
text_frame (const gchar *text)
{
  gsize len = strlen (text);
  GByteArray *frame = g_byte_array_sized_new (len + 10);
  guint8 head[10];
  guint n = 0, i;

  head[n++] = 0x81; /* FIN, text */
  if (len < 126) {
    head[n++] = (guint8)len;
  } else if (len < 65536) {
    head[n++] = 126;
    head[n++] = (guint8)(len >> 8);
    head[n++] = (guint8)len;
  } else {
    head[n++] = 127;
    for (i = 0; i < 8; i++)
      head[n++] = (guint8)((guint64)len >> (56 - 8 * i));
  }
  g_byte_array_append (frame, head, n);
  g_byte_array_append (frame, (const guint8 *)text, len);
  return g_byte_array_free_to_bytes (frame);
}

void
rt_server_drip_broadcast (RtServer *server, const gchar *topic,
    const gchar *event, gsize payload_size, guint duration_ms)
{
  GList *l;

  for (l = server->conns; l; l = l->next) {
    Conn *conn = l->data;
    Member *member = g_hash_table_lookup (conn->members, topic);
    JsonObject *inner = json_object_new ();
    JsonNode *payload, *node;
    gchar *fill, *text;
    Later *later;
    guint pieces = MAX (duration_ms / 50, 1);

    if (!member || !conn_is_open (conn) || conn->held) {
      json_object_unref (inner);
      continue;
    }
    fill = g_malloc (payload_size + 1);
    memset (fill, 'x', payload_size);
    fill[payload_size] = '\0';
    json_object_set_string_member (inner, "data", fill);
    g_free (fill);
    node = object_node (inner);
    payload = broadcast_text_payload (event, node);
    json_node_unref (node);
    text = encode_text (conn->v2, NULL, NULL, topic, "broadcast", payload);
    json_node_unref (payload);

    later = later_new (server, conn);
    later->drip = text_frame (text);
    g_free (text);
    later->piece = (g_bytes_get_size (later->drip) + pieces - 1) / pieces;
    later->pause_ms = MAX (duration_ms / pieces, 1);
    conn->held = out_frames_new ();
    g_message ("conn %u: dripping a %" G_GSIZE_FORMAT "-byte broadcast frame "
               "over %u ms in %u pieces",
        conn->id, g_bytes_get_size (later->drip), duration_ms, pieces);
    /* After what libsoup has queued already went out. */
    later_arm (later, 20, on_drip_due);
  }
}

void
rt_server_authorise_token (RtServer *server, const gchar *topic,
    const gchar *token)
{
  g_return_if_fail (topic != NULL && token != NULL);

  g_hash_table_add (server->authorised, g_strconcat (topic, "\n", token, NULL));
}

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-server.c: the local realtime test server, driven by a raw libsoup
 * WebSocket client. The project's own client is deliberately not used:
 * these tests pin the server to the protocol the official clients speak, so the client suites can
 * trust it.
 */
#include "test-util.h"
#include "rt-server.h"

#include <libsoup/soup.h>
#include <string.h>

#define WAIT_MS 3000
/* How long "nothing happens" is watched for. */
#define QUIET_MS 400

/* ---------------------------------------------------------------------- */
/* a raw WebSocket client */

typedef struct
{
  SoupSession *session;
  SoupMessage *msg;
  SoupWebsocketConnection *ws;
  gboolean v2;
  GError *error;
  gboolean done;
  gboolean closed;
  GPtrArray *texts; /* gchar * */
  GPtrArray *binaries; /* GBytes */
} Client;

static void
on_client_message (SoupWebsocketConnection *ws, gint type, GBytes *message,
    gpointer user_data)
{
  Client *c = user_data;
  gsize len;
  const gchar *data = g_bytes_get_data (message, &len);

  if (type == SOUP_WEBSOCKET_DATA_TEXT)
    g_ptr_array_add (c->texts, g_strndup (data, len));
  else
    g_ptr_array_add (c->binaries, g_bytes_ref (message));
}

static void
on_client_closed (SoupWebsocketConnection *ws, gpointer user_data)
{
  Client *c = user_data;

  c->closed = TRUE;
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Client *c = user_data;

  c->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
      &c->error);
  if (c->ws) {
    soup_websocket_connection_set_max_incoming_payload_size (c->ws,
        16 * 1024 * 1024);
    g_signal_connect (c->ws, "message", G_CALLBACK (on_client_message), c);
    g_signal_connect (c->ws, "closed", G_CALLBACK (on_client_closed), c);
  }
  c->done = TRUE;
}

/* Dials @path?@query; @header_key, if set, goes in x-api-key. Returns once
 * the handshake finished either way. */
static Client *
client_dial (RtServer *server, const gchar *path, const gchar *query,
    const gchar *header_key)
{
  Client *c = g_new0 (Client, 1);
  gchar *url = g_strdup_printf ("%s%s%s%s", rt_server_get_url (server), path,
      query ? "?" : "", query ? query : "");

  c->v2 = query && strstr (query, "vsn=2.0.0") != NULL;
  c->texts = g_ptr_array_new_with_free_func (g_free);
  c->binaries = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  /* No proxy lookup: libproxy is slow and noisy under valgrind. */
  c->session = soup_session_new_with_options ("proxy-resolver", NULL, NULL);
  c->msg = soup_message_new (SOUP_METHOD_GET, url);
  g_free (url);
  if (header_key)
    soup_message_headers_append (soup_message_get_request_headers (c->msg),
        "x-api-key", header_key);
  soup_session_websocket_connect_async (c->session, c->msg, NULL, NULL,
      G_PRIORITY_DEFAULT, NULL, on_connected, c);
  fail_unless (RT_WAIT_UNTIL (c->done, WAIT_MS), "handshake never finished");
  return c;
}

static Client *
client_connect (RtServer *server, const gchar *vsn)
{
  gchar *query = g_strdup_printf ("apikey=%s&vsn=%s", RT_TEST_API_KEY, vsn);
  Client *c = client_dial (server, "/realtime/v1/websocket", query, NULL);

  g_free (query);
  fail_unless (c->ws != NULL, "connect failed: %s",
      c->error ? c->error->message : "?");
  return c;
}

static void
client_free (Client *c)
{
  if (c->ws) {
    if (soup_websocket_connection_get_state (c->ws)
        == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (c->ws, SOUP_WEBSOCKET_CLOSE_NORMAL,
          NULL);
    RT_WAIT_UNTIL (c->closed, WAIT_MS);
    g_signal_handlers_disconnect_by_data (c->ws, c);
    g_object_unref (c->ws);
  }
  g_clear_error (&c->error);
  g_object_unref (c->msg);
  g_object_unref (c->session);
  g_ptr_array_unref (c->texts);
  g_ptr_array_unref (c->binaries);
  g_free (c);
}

static void
client_send (Client *c, const gchar *text)
{
  soup_websocket_connection_send_text (c->ws, text);
}

static void
client_send_binary (Client *c, const guint8 *data, gsize len)
{
  soup_websocket_connection_send_binary (c->ws, data, len);
}

/* One received text frame, decoded by hand for either vsn. */
typedef struct
{
  JsonNode *root;
  gboolean has_join_ref;
  const gchar *join_ref;
  const gchar *ref;
  const gchar *topic;
  const gchar *event;
  JsonNode *payload;
} Msg;

static const gchar *
nullable_string (JsonNode *node)
{
  if (!node || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return json_node_get_string (node);
}

static gboolean
msg_parse (Msg *m, const gchar *text, gboolean v2)
{
  memset (m, 0, sizeof *m);
  m->root = json_from_string (text, NULL);
  if (!m->root)
    return FALSE;
  if (v2) {
    JsonArray *a;

    if (!JSON_NODE_HOLDS_ARRAY (m->root)
        || json_array_get_length (json_node_get_array (m->root)) != 5)
      return FALSE;
    a = json_node_get_array (m->root);
    m->has_join_ref = TRUE;
    m->join_ref = nullable_string (json_array_get_element (a, 0));
    m->ref = nullable_string (json_array_get_element (a, 1));
    m->topic = json_array_get_string_element (a, 2);
    m->event = json_array_get_string_element (a, 3);
    m->payload = json_array_get_element (a, 4);
  } else {
    JsonObject *o;

    if (!JSON_NODE_HOLDS_OBJECT (m->root))
      return FALSE;
    o = json_node_get_object (m->root);
    m->has_join_ref = json_object_has_member (o, "join_ref");
    m->join_ref = nullable_string (json_object_get_member (o, "join_ref"));
    m->ref = nullable_string (json_object_get_member (o, "ref"));
    m->topic = json_object_get_string_member (o, "topic");
    m->event = json_object_get_string_member (o, "event");
    m->payload = json_object_get_member (o, "payload");
  }
  return TRUE;
}

static void
msg_clear (Msg *m)
{
  if (m->root)
    json_node_unref (m->root);
  memset (m, 0, sizeof *m);
}

static gboolean
find_msg (Client *c, const gchar *event, const gchar *ref, Msg *out)
{
  guint i;

  for (i = 0; i < c->texts->len; i++) {
    Msg m;

    if (msg_parse (&m, g_ptr_array_index (c->texts, i), c->v2)
        && g_strcmp0 (m.event, event) == 0
        && (!ref || g_strcmp0 (m.ref, ref) == 0)) {
      *out = m;
      return TRUE;
    }
    msg_clear (&m);
  }
  return FALSE;
}

/* Waits for a message with @event (and @ref when non-NULL). */
static void
wait_msg (Client *c, const gchar *event, const gchar *ref, Msg *out)
{
  gint64 end = g_get_monotonic_time () + WAIT_MS * 1000;
  gboolean found;

  memset (out, 0, sizeof *out);
  while (
      !(found = find_msg (c, event, ref, out)) && g_get_monotonic_time () < end)
    rt_test_iterate (20);
  fail_unless (found, "no %s with ref %s arrived", event, ref ? ref : "*");
}

static gboolean
has_msg (Client *c, const gchar *event, const gchar *ref)
{
  Msg m;
  gboolean found = find_msg (c, event, ref, &m);

  if (found)
    msg_clear (&m);
  return found;
}

static const gchar *
reply_status (Msg *m)
{
  return json_object_get_string_member (json_node_get_object (m->payload),
      "status");
}

static JsonObject *
reply_response (Msg *m)
{
  return json_object_get_object_member (json_node_get_object (m->payload),
      "response");
}

static void
send_msg (Client *c, const gchar *join_ref, const gchar *ref,
    const gchar *topic, const gchar *event, const gchar *payload)
{
  gchar *text;

  if (c->v2)
    text = g_strdup_printf ("[%s%s%s,%s%s%s,\"%s\",\"%s\",%s]",
        join_ref ? "\"" : "", join_ref ? join_ref : "null",
        join_ref ? "\"" : "", ref ? "\"" : "", ref ? ref : "null",
        ref ? "\"" : "", topic, event, payload);
  else
    text = g_strdup_printf ("{\"topic\":\"%s\",\"event\":\"%s\","
                            "\"payload\":%s,\"ref\":%s%s%s%s%s%s}",
        topic, event, payload, ref ? "\"" : "", ref ? ref : "null",
        ref ? "\"" : "", join_ref ? ",\"join_ref\":\"" : "",
        join_ref ? join_ref : "", join_ref ? "\"" : "");
  client_send (c, text);
  g_free (text);
}

/* Joins @topic with @config (JSON) using join_ref = ref = @ref and waits
 * for the ok reply. */
static void
join (Client *c, const gchar *topic, const gchar *config, const gchar *ref)
{
  gchar *payload = g_strdup_printf ("{\"config\":%s}",
      config ? config
             : "{\"broadcast\":{\"ack\":false,\"self\":false},"
               "\"presence\":{\"key\":\"\",\"enabled\":false},"
               "\"postgres_changes\":[],\"private\":false}");
  Msg m;

  send_msg (c, ref, ref, topic, "phx_join", payload);
  g_free (payload);
  wait_msg (c, "phx_reply", ref, &m);
  fail_unless_equals_string (reply_status (&m), "ok");
  msg_clear (&m);
}

static RtServer *
server_new (void)
{
  GError *error = NULL;
  RtServer *server = rt_server_new (0, RT_TEST_API_KEY, &error);

  fail_unless (server != NULL, "server failed: %s",
      error ? error->message : "?");
  fail_unless (rt_server_get_port (server) > 0);
  return server;
}

/* Builds a kind 3 frame as realtime-js sends it. */
static GBytes *
kind3 (const gchar *join_ref, const gchar *ref, const gchar *topic,
    const gchar *event, const gchar *payload_json)
{
  GByteArray *b = g_byte_array_new ();
  guint8 header[7];

  header[0] = 3;
  header[1] = strlen (join_ref);
  header[2] = strlen (ref);
  header[3] = strlen (topic);
  header[4] = strlen (event);
  header[5] = 0;
  header[6] = 1;
  g_byte_array_append (b, header, 7);
  g_byte_array_append (b, (const guint8 *)join_ref, strlen (join_ref));
  g_byte_array_append (b, (const guint8 *)ref, strlen (ref));
  g_byte_array_append (b, (const guint8 *)topic, strlen (topic));
  g_byte_array_append (b, (const guint8 *)event, strlen (event));
  g_byte_array_append (b, (const guint8 *)payload_json, strlen (payload_json));
  return g_byte_array_free_to_bytes (b);
}

/* Checks a kind 4 frame field by field. */
static void
assert_kind4 (GBytes *bytes, const gchar *topic, const gchar *event,
    const gchar *payload_json)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (bytes, &len);
  gsize tl = strlen (topic), el = strlen (event), ml;
  gchar *payload;
  JsonNode *got, *want;

  fail_unless (len >= 5);
  fail_unless_equals_int (d[0], 4);
  fail_unless_equals_int (d[1], tl);
  fail_unless_equals_int (d[2], el);
  ml = d[3];
  fail_unless_equals_int (d[4], 1);
  fail_unless (len >= 5 + tl + el + ml);
  fail_unless (memcmp (d + 5, topic, tl) == 0);
  fail_unless (memcmp (d + 5 + tl, event, el) == 0);
  payload
      = g_strndup ((const gchar *)d + 5 + tl + el + ml, len - 5 - tl - el - ml);
  got = json_from_string (payload, NULL);
  want = json_from_string (payload_json, NULL);
  fail_unless (got && json_node_equal (got, want), "payload %s", payload);
  json_node_unref (got);
  json_node_unref (want);
  g_free (payload);
}

/* Checks a JSON broadcast payload {"event","payload","type"}. */
static void
assert_broadcast_payload (JsonNode *payload, const gchar *event,
    const gchar *inner_json)
{
  JsonObject *o = json_node_get_object (payload);
  JsonNode *want = json_from_string (inner_json, NULL);

  fail_unless_equals_string (json_object_get_string_member (o, "type"),
      "broadcast");
  fail_unless_equals_string (json_object_get_string_member (o, "event"), event);
  fail_unless (json_node_equal (json_object_get_member (o, "payload"), want));
  json_node_unref (want);
}

/* ---------------------------------------------------------------------- */
/* REST helper */

typedef struct
{
  gboolean done;
  GBytes *body;
} RestResult;

static void
on_rest_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RestResult *r = user_data;

  r->body
      = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  r->done = TRUE;
}

/* POSTs @body and returns the status; @auth is "apikey" or "bearer". */
static guint
rest_post (RtServer *server, const gchar *path, const gchar *content_type,
    const gchar *body, const gchar *auth, const gchar *key, gchar **body_out)
{
  SoupSession *session
      = soup_session_new_with_options ("proxy-resolver", NULL, NULL);
  gchar *url = g_strdup_printf ("%s%s", rt_server_get_url (server), path);
  SoupMessage *msg = soup_message_new (SOUP_METHOD_POST, url);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  GBytes *bytes = g_bytes_new (body, strlen (body));
  RestResult r = { 0 };
  guint status;

  if (g_strcmp0 (auth, "bearer") == 0) {
    gchar *value = g_strdup_printf ("Bearer %s", key);
    soup_message_headers_append (headers, "Authorization", value);
    g_free (value);
  } else if (auth) {
    soup_message_headers_append (headers, "apikey", key);
  }
  soup_message_set_request_body_from_bytes (msg, content_type, bytes);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL,
      on_rest_done, &r);
  fail_unless (RT_WAIT_UNTIL (r.done, WAIT_MS));
  status = soup_message_get_status (msg);
  if (body_out)
    *body_out = r.body
        ? g_strndup (g_bytes_get_data (r.body, NULL), g_bytes_get_size (r.body))
        : NULL;
  if (r.body)
    g_bytes_unref (r.body);
  g_bytes_unref (bytes);
  g_object_unref (msg);
  g_object_unref (session);
  g_free (url);
  return status;
}

/* ---------------------------------------------------------------------- */
/* handshake */

GST_START_TEST (test_handshake_wrong_key_gets_401)
{
  RtServer *server = server_new ();
  Client *c = client_dial (server, "/realtime/v1/websocket",
      "apikey=wrong-key&vsn=1.0.0", NULL);

  fail_unless (c->ws == NULL);
  fail_unless_equals_int (soup_message_get_status (c->msg), 401);
  fail_unless_equals_int (rt_server_get_n_accepted (server), 0);
  client_free (c);

  c = client_dial (server, "/realtime/v1/websocket", "vsn=1.0.0", NULL);
  fail_unless_equals_int (soup_message_get_status (c->msg), 401);
  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_handshake_header_key_accepted)
{
  RtServer *server = server_new ();
  Client *c
      = client_dial (server, "/socket/websocket", "vsn=2.0.0", RT_TEST_API_KEY);

  fail_unless (c->ws != NULL);
  fail_unless (
      RT_WAIT_UNTIL (rt_server_get_n_connections (server) == 1, WAIT_MS));
  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_handshake_bad_vsn_gets_400)
{
  RtServer *server = server_new ();
  gchar *query = g_strdup_printf ("apikey=%s&vsn=3.0.0", RT_TEST_API_KEY);
  Client *c = client_dial (server, "/realtime/v1/websocket", query, NULL);

  fail_unless (c->ws == NULL);
  fail_unless_equals_int (soup_message_get_status (c->msg), 400);
  fail_unless_equals_int (rt_server_get_n_accepted (server), 0);
  client_free (c);
  g_free (query);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_handshake_refused_429_then_accepted)
{
  RtServer *server = server_new ();
  Client *c;

  rt_server_refuse_upgrades (server, 429, 2);
  c = client_dial (server, "/realtime/v1/websocket",
      "apikey=" RT_TEST_API_KEY "&vsn=1.0.0", NULL);
  fail_unless_equals_int (soup_message_get_status (c->msg), 429);
  client_free (c);
  c = client_dial (server, "/realtime/v1/websocket",
      "apikey=" RT_TEST_API_KEY "&vsn=1.0.0", NULL);
  fail_unless_equals_int (soup_message_get_status (c->msg), 429);
  client_free (c);

  c = client_connect (server, "1.0.0");
  fail_unless_equals_int (rt_server_get_n_accepted (server), 1);
  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

/* ---------------------------------------------------------------------- */
/* join and heartbeat */

GST_START_TEST (test_join_reply_v1)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "1.0.0");
  JsonNode *root;
  JsonObject *o, *payload, *response;

  send_msg (c, "1", "1", "realtime:robot-1", "phx_join",
      "{\"config\":{\"broadcast\":{\"self\":false}}}");
  fail_unless (RT_WAIT_UNTIL (c->texts->len == 1, WAIT_MS));
  root = json_from_string (g_ptr_array_index (c->texts, 0), NULL);
  o = json_node_get_object (root);
  /* v1 server messages carry exactly topic, event, payload, ref. */
  fail_unless_equals_int (json_object_get_size (o), 4);
  fail_if (json_object_has_member (o, "join_ref"));
  fail_unless_equals_string (json_object_get_string_member (o, "topic"),
      "realtime:robot-1");
  fail_unless_equals_string (json_object_get_string_member (o, "event"),
      "phx_reply");
  fail_unless_equals_string (json_object_get_string_member (o, "ref"), "1");
  payload = json_object_get_object_member (o, "payload");
  fail_unless_equals_string (json_object_get_string_member (payload, "status"),
      "ok");
  response = json_object_get_object_member (payload, "response");
  fail_unless_equals_int (json_array_get_length (
                              json_object_get_array_member (response,
                                  "postgres_changes")),
      0);
  json_node_unref (root);
  fail_unless_equals_int (rt_server_count_members (server, "realtime:robot-1"),
      1);

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_join_reply_v2)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "2.0.0");

  client_send (c,
      "[\"3\",\"3\",\"realtime:robot-1\",\"phx_join\","
      "{\"config\":{\"broadcast\":{\"ack\":false,\"self\":false},"
      "\"presence\":{\"key\":\"\",\"enabled\":false},"
      "\"postgres_changes\":[],\"private\":false}}]");
  fail_unless (RT_WAIT_UNTIL (c->texts->len == 1, WAIT_MS));
  /* Keys sorted as the real server encodes them. */
  fail_unless_equals_string (g_ptr_array_index (c->texts, 0),
      "[\"3\",\"3\",\"realtime:robot-1\",\"phx_reply\","
      "{\"response\":{\"postgres_changes\":[]},\"status\":\"ok\"}]");
  fail_unless_equals_int (rt_server_count_frames (server, "realtime:robot-1",
                              "phx_join"),
      1);

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_join_bad_topics_get_errors)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "2.0.0");
  Msg m;

  send_msg (c, "1", "1", "realtime:", "phx_join", "{}");
  wait_msg (c, "phx_reply", "1", &m);
  fail_unless_equals_string (reply_status (&m), "error");
  fail_unless (
      g_str_has_prefix (json_object_get_string_member (reply_response (&m),
                            "reason"),
          "TopicNameRequired"));
  msg_clear (&m);

  send_msg (c, "2", "2", "room:lobby", "phx_join", "{}");
  wait_msg (c, "phx_reply", "2", &m);
  fail_unless_equals_string (reply_status (&m), "error");
  msg_clear (&m);
  fail_unless_equals_int (rt_server_count_members (server, "room:lobby"), 0);

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_heartbeat_reply)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "2.0.0");

  client_send (c, "[null,\"7\",\"phoenix\",\"heartbeat\",{}]");
  fail_unless (RT_WAIT_UNTIL (c->texts->len == 1, WAIT_MS));
  fail_unless_equals_string (g_ptr_array_index (c->texts, 0),
      "[null,\"7\",\"phoenix\",\"phx_reply\","
      "{\"response\":{},\"status\":\"ok\"}]");

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_heartbeat_unanswered_when_disabled)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "1.0.0");

  rt_server_set_answer_heartbeats (server, FALSE);
  send_msg (c, NULL, "5", "phoenix", "heartbeat", "{}");
  fail_unless (
      RT_WAIT_UNTIL (rt_server_count_frames (server, "phoenix", "heartbeat")
              == 1,
          WAIT_MS));
  rt_test_run_for (QUIET_MS);
  fail_unless_equals_int (c->texts->len, 0);
  fail_if (c->closed);

  rt_server_set_answer_heartbeats (server, TRUE);
  send_msg (c, NULL, "6", "phoenix", "heartbeat", "{}");
  fail_unless (RT_WAIT_UNTIL (has_msg (c, "phx_reply", "6"), WAIT_MS));

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_v1_frame_without_ref_dropped)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "1.0.0");

  client_send (c,
      "{\"topic\":\"phoenix\",\"event\":\"heartbeat\","
      "\"payload\":{}}");
  rt_test_run_for (QUIET_MS);
  fail_unless_equals_int (c->texts->len, 0);
  fail_unless_equals_int (rt_server_get_frames (server)->len, 0);

  client_send (c,
      "{\"topic\":\"phoenix\",\"event\":\"heartbeat\","
      "\"payload\":{},\"ref\":null}");
  fail_unless (RT_WAIT_UNTIL (c->texts->len == 1, WAIT_MS));
  fail_unless_equals_int (rt_server_get_frames (server)->len, 1);

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_unjoined_topic_gets_unmatched)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "2.0.0");
  Msg m;

  send_msg (c, "1", "2", "realtime:nowhere", "broadcast",
      "{\"type\":\"broadcast\",\"event\":\"x\",\"payload\":{}}");
  wait_msg (c, "phx_reply", "2", &m);
  fail_unless_equals_string (reply_status (&m), "error");
  fail_unless_equals_string (json_object_get_string_member (reply_response (&m),
                                 "reason"),
      "unmatched topic");
  msg_clear (&m);

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_leave_replies_then_closes)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "2.0.0");
  Msg m;

  join (c, "realtime:room", NULL, "1");
  send_msg (c, "1", "2", "realtime:room", "phx_leave", "{}");
  wait_msg (c, "phx_close", NULL, &m);
  fail_unless_equals_string (m.join_ref, "1");
  fail_unless_equals_string (m.ref, "1");
  msg_clear (&m);
  fail_unless (RT_WAIT_UNTIL (c->texts->len == 3, WAIT_MS));
  /* The ok reply comes first. */
  fail_unless (msg_parse (&m, g_ptr_array_index (c->texts, 1), TRUE));
  fail_unless_equals_string (m.event, "phx_reply");
  fail_unless_equals_string (m.ref, "2");
  fail_unless_equals_string (reply_status (&m), "ok");
  msg_clear (&m);
  fail_unless_equals_int (rt_server_count_members (server, "realtime:room"), 0);

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_duplicate_join_closes_old_join_ref)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "2.0.0");
  Msg m;

  join (c, "realtime:room", NULL, "1");
  join (c, "realtime:room", NULL, "2");
  wait_msg (c, "phx_close", NULL, &m);
  fail_unless_equals_string (m.join_ref, "1");
  fail_unless_equals_string (m.ref, "1");
  msg_clear (&m);
  fail_unless_equals_int (rt_server_count_members (server, "realtime:room"), 1);

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_access_token_remembered)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "1.0.0");

  send_msg (c, "1", "1", "realtime:room", "phx_join",
      "{\"config\":{},\"access_token\":\"" RT_TEST_TOKEN "\"}");
  fail_unless (RT_WAIT_UNTIL (has_msg (c, "phx_reply", "1"), WAIT_MS));
  fail_unless_equals_string (rt_server_get_last_access_token (server,
                                 "realtime:room"),
      RT_TEST_TOKEN);

  send_msg (c, "1", "2", "realtime:room", "access_token",
      "{\"access_token\":\"" RT_TEST_TOKEN2 "\"}");
  fail_unless (RT_WAIT_UNTIL (has_msg (c, "phx_reply", "2"), WAIT_MS));
  fail_unless_equals_string (rt_server_get_last_access_token (server,
                                 "realtime:room"),
      RT_TEST_TOKEN2);
  fail_unless (rt_server_get_last_access_token (server, "realtime:x") == NULL);

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

/* ---------------------------------------------------------------------- */
/* broadcast */

GST_START_TEST (test_kind3_reaches_v2_as_kind4_and_v1_as_json)
{
  RtServer *server = server_new ();
  Client *sender = client_connect (server, "2.0.0");
  Client *v2 = client_connect (server, "2.0.0");
  Client *v1 = client_connect (server, "1.0.0");
  GBytes *frame;
  Msg m;
  RtServerFrame *rec;

  join (sender, "realtime:robot-1", NULL, "1");
  join (v2, "realtime:robot-1", NULL, "1");
  join (v1, "realtime:robot-1", NULL, "1");

  frame = kind3 ("1", "2", "realtime:robot-1", "start", "{\"speed\":3}");
  client_send_binary (sender, g_bytes_get_data (frame, NULL),
      g_bytes_get_size (frame));
  g_bytes_unref (frame);

  fail_unless (RT_WAIT_UNTIL (v2->binaries->len == 1, WAIT_MS));
  assert_kind4 (g_ptr_array_index (v2->binaries, 0), "realtime:robot-1",
      "start", "{\"speed\":3}");

  wait_msg (v1, "broadcast", NULL, &m);
  fail_unless_equals_string (m.topic, "realtime:robot-1");
  fail_unless (m.ref == NULL);
  assert_broadcast_payload (m.payload, "start", "{\"speed\":3}");
  msg_clear (&m);

  rec = g_ptr_array_index (rt_server_get_frames (server),
      rt_server_get_frames (server)->len - 1);
  fail_unless (rec->binary);
  fail_unless_equals_string (rec->event, "broadcast");
  fail_unless_equals_string (rec->ref, "2");
  fail_unless_equals_string (rec->vsn, "2.0.0");
  fail_unless_equals_int (rt_server_count_frames (server, "realtime:robot-1",
                              "broadcast"),
      1);

  client_free (sender);
  client_free (v2);
  client_free (v1);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_v1_text_broadcast_reaches_v2_as_text_array)
{
  RtServer *server = server_new ();
  Client *sender = client_connect (server, "1.0.0");
  Client *v2 = client_connect (server, "2.0.0");
  Msg m;

  join (sender, "realtime:robot-1", NULL, "1");
  join (v2, "realtime:robot-1", NULL, "1");
  send_msg (sender, "1", "2", "realtime:robot-1", "broadcast",
      "{\"type\":\"broadcast\",\"event\":\"stop\",\"payload\":{\"a\":1}}");

  /* Text broadcasts reach v2 sockets as text arrays. */
  wait_msg (v2, "broadcast", NULL, &m);
  fail_unless (m.join_ref == NULL && m.ref == NULL);
  fail_unless_equals_string (m.topic, "realtime:robot-1");
  assert_broadcast_payload (m.payload, "stop", "{\"a\":1}");
  msg_clear (&m);
  fail_unless_equals_int (v2->binaries->len, 0);

  client_free (sender);
  client_free (v2);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_self_false_means_no_echo)
{
  RtServer *server = server_new ();
  Client *quiet = client_connect (server, "1.0.0");
  Client *loud = client_connect (server, "1.0.0");

  join (quiet, "realtime:room", "{\"broadcast\":{\"self\":false}}", "1");
  join (loud, "realtime:room", "{\"broadcast\":{\"self\":\"true\"}}", "1");

  send_msg (quiet, "1", "2", "realtime:room", "broadcast",
      "{\"type\":\"broadcast\",\"event\":\"a\",\"payload\":{}}");
  fail_unless (RT_WAIT_UNTIL (has_msg (loud, "broadcast", NULL), WAIT_MS));
  rt_test_run_for (QUIET_MS);
  fail_if (has_msg (quiet, "broadcast", NULL));

  send_msg (loud, "1", "2", "realtime:room", "broadcast",
      "{\"type\":\"broadcast\",\"event\":\"b\",\"payload\":{}}");
  fail_unless (RT_WAIT_UNTIL (has_msg (quiet, "broadcast", NULL), WAIT_MS));
  /* loud now holds its echo as well as quiet's message. */
  fail_unless (RT_WAIT_UNTIL (loud->texts->len == 3, WAIT_MS));

  client_free (quiet);
  client_free (loud);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_ack_reply_only_with_ack)
{
  RtServer *server = server_new ();
  Client *acked = client_connect (server, "2.0.0");
  Client *plain = client_connect (server, "2.0.0");
  GBytes *frame;
  Msg m;

  join (acked, "realtime:room", "{\"broadcast\":{\"ack\":true}}", "1");
  join (plain, "realtime:room", NULL, "1");

  send_msg (acked, "1", "2", "realtime:room", "broadcast",
      "{\"type\":\"broadcast\",\"event\":\"a\",\"payload\":{}}");
  wait_msg (acked, "phx_reply", "2", &m);
  fail_unless_equals_string (reply_status (&m), "ok");
  fail_unless_equals_int (json_object_get_size (reply_response (&m)), 0);
  msg_clear (&m);

  frame = kind3 ("1", "3", "realtime:room", "b", "{}");
  client_send_binary (acked, g_bytes_get_data (frame, NULL),
      g_bytes_get_size (frame));
  g_bytes_unref (frame);
  wait_msg (acked, "phx_reply", "3", &m);
  msg_clear (&m);

  send_msg (plain, "1", "2", "realtime:room", "broadcast",
      "{\"type\":\"broadcast\",\"event\":\"a\",\"payload\":{}}");
  fail_unless (RT_WAIT_UNTIL (acked->texts->len == 4, WAIT_MS));
  rt_test_run_for (QUIET_MS);
  fail_if (has_msg (plain, "phx_reply", "2"));

  client_free (acked);
  client_free (plain);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_in_process_broadcast_kind4_and_json)
{
  RtServer *server = server_new ();
  Client *v2 = client_connect (server, "2.0.0");
  Client *v1 = client_connect (server, "1.0.0");
  Msg m;

  join (v2, "realtime:robot-1", NULL, "1");
  join (v1, "realtime:robot-1", NULL, "1");
  rt_server_broadcast (server, "realtime:robot-1", "start", "{\"x\":[1,2]}");

  fail_unless (RT_WAIT_UNTIL (v2->binaries->len == 1, WAIT_MS));
  assert_kind4 (g_ptr_array_index (v2->binaries, 0), "realtime:robot-1",
      "start", "{\"x\":[1,2]}");
  wait_msg (v1, "broadcast", NULL, &m);
  assert_broadcast_payload (m.payload, "start", "{\"x\":[1,2]}");
  msg_clear (&m);

  client_free (v2);
  client_free (v1);
  rt_server_free (server);
}

GST_END_TEST;

/* ---------------------------------------------------------------------- */
/* REST */

GST_START_TEST (test_rest_batch_delivers)
{
  RtServer *server = server_new ();
  Client *v2 = client_connect (server, "2.0.0");
  Client *v1 = client_connect (server, "1.0.0");
  gchar *body = NULL;
  Msg m;

  join (v2, "realtime:robot-1", NULL, "1");
  join (v1, "realtime:robot-1", NULL, "1");

  fail_unless_equals_int (rest_post (server, "/realtime/v1/api/broadcast",
                              "application/json",
                              "{\"messages\":[{\"topic\":\"robot-1\","
                              "\"event\":\"start\",\"payload\":{\"v\":1},"
                              "\"private\":false}]}",
                              "bearer", RT_TEST_API_KEY, &body),
      202);
  fail_unless (body == NULL || *body == '\0');
  g_free (body);

  wait_msg (v2, "broadcast", NULL, &m);
  fail_unless (m.join_ref == NULL && m.ref == NULL);
  assert_broadcast_payload (m.payload, "start", "{\"v\":1}");
  msg_clear (&m);
  wait_msg (v1, "broadcast", NULL, &m);
  assert_broadcast_payload (m.payload, "start", "{\"v\":1}");
  msg_clear (&m);

  fail_unless_equals_int (rest_post (server, "/realtime/v1/api/broadcast",
                              "application/json",
                              "{\"messages\":[{\"topic\":\"robot-1\","
                              "\"event\":\"stop\",\"payload\":{}}]}",
                              "apikey", RT_TEST_API_KEY, NULL),
      202);
  fail_unless (RT_WAIT_UNTIL (v1->texts->len == 3, WAIT_MS));

  client_free (v2);
  client_free (v1);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_rest_batch_refuses_bad_key_and_body)
{
  RtServer *server = server_new ();
  gchar *body = NULL;

  fail_unless_equals_int (rest_post (server, "/realtime/v1/api/broadcast",
                              "application/json", "{\"messages\":[]}", "apikey",
                              "wrong", &body),
      401);
  fail_unless_equals_string (body, "{\"message\":\"Unauthorized\"}");
  g_free (body);
  fail_unless_equals_int (rest_post (server, "/realtime/v1/api/broadcast",
                              "application/json", "{\"messages\":[]}", NULL,
                              NULL, NULL),
      401);
  fail_unless_equals_int (rest_post (server, "/realtime/v1/api/broadcast",
                              "application/json",
                              "{\"messages\":[{\"topic\":\"t\"}]}", "apikey",
                              RT_TEST_API_KEY, NULL),
      422);
  fail_unless_equals_int (rest_post (server, "/realtime/v1/api/broadcast",
                              "application/json", "not json", "apikey",
                              RT_TEST_API_KEY, NULL),
      422);

  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_rest_single_sends_kind4)
{
  RtServer *server = server_new ();
  Client *v2 = client_connect (server, "2.0.0");

  join (v2, "realtime:robot-1", NULL, "1");
  fail_unless_equals_int (rest_post (server,
                              "/realtime/v1/api/broadcast/robot-1/events/start",
                              "text/plain", "{}", "apikey", RT_TEST_API_KEY,
                              NULL),
      415);
  fail_unless_equals_int (rest_post (server,
                              "/realtime/v1/api/broadcast/robot-1/events/start",
                              "application/json", "{\"go\":true}", "apikey",
                              RT_TEST_API_KEY, NULL),
      202);
  fail_unless (RT_WAIT_UNTIL (v2->binaries->len == 1, WAIT_MS));
  assert_kind4 (g_ptr_array_index (v2->binaries, 0), "realtime:robot-1",
      "start", "{\"go\":true}");

  client_free (v2);
  rt_server_free (server);
}

GST_END_TEST;

/* ---------------------------------------------------------------------- */
/* fault injection */

GST_START_TEST (test_reject_joins)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "2.0.0");
  Msg m;

  rt_server_reject_joins (server, "realtime:a", 1, "Unauthorized: nope");
  send_msg (c, "1", "1", "realtime:b", "phx_join", "{}");
  wait_msg (c, "phx_reply", "1", &m);
  fail_unless_equals_string (reply_status (&m), "ok");
  msg_clear (&m);

  send_msg (c, "2", "2", "realtime:a", "phx_join", "{}");
  wait_msg (c, "phx_reply", "2", &m);
  fail_unless_equals_string (reply_status (&m), "error");
  fail_unless_equals_string (json_object_get_string_member (reply_response (&m),
                                 "reason"),
      "Unauthorized: nope");
  msg_clear (&m);
  fail_unless_equals_int (rt_server_count_members (server, "realtime:a"), 0);

  join (c, "realtime:a", NULL, "3");
  fail_unless_equals_int (rt_server_count_members (server, "realtime:a"), 1);

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

#define PRIVATE_CONFIG "{\"config\":{\"private\":true}"

/* A private join needs a token read-authorised for the topic: the join's
 * access_token, else the socket's API key. Refusals carry the service's
 * reason and leave no membership; a public join is never checked. */
GST_START_TEST (test_private_channel_needs_an_authorised_token)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "2.0.0");
  Msg m;

  rt_server_authorise_token (server, "realtime:vault", RT_TEST_TOKEN);

  /* No token: the API key is not authorised. */
  send_msg (c, "1", "1", "realtime:vault", "phx_join", PRIVATE_CONFIG "}");
  wait_msg (c, "phx_reply", "1", &m);
  fail_unless_equals_string (reply_status (&m), "error");
  fail_unless_equals_string (json_object_get_string_member (reply_response (&m),
                                 "reason"),
      "Unauthorized: You do not have permissions to read from this Channel "
      "topic: vault");
  msg_clear (&m);
  fail_unless_equals_int (rt_server_count_members (server, "realtime:vault"),
      0);

  /* A token authorised for another topic only. */
  send_msg (c, "2", "2", "realtime:other", "phx_join",
      PRIVATE_CONFIG ",\"access_token\":\"" RT_TEST_TOKEN "\"}");
  wait_msg (c, "phx_reply", "2", &m);
  fail_unless_equals_string (reply_status (&m), "error");
  fail_unless (
      strstr (json_object_get_string_member (reply_response (&m), "reason"),
          "topic: other")
      != NULL);
  msg_clear (&m);

  /* The same topic public: not checked. */
  join (c, "realtime:other", NULL, "3");

  /* The authorised token. */
  send_msg (c, "4", "4", "realtime:vault", "phx_join",
      PRIVATE_CONFIG ",\"access_token\":\"" RT_TEST_TOKEN "\"}");
  wait_msg (c, "phx_reply", "4", &m);
  fail_unless_equals_string (reply_status (&m), "ok");
  msg_clear (&m);
  fail_unless_equals_int (rt_server_count_members (server, "realtime:vault"),
      1);

  /* A pushed token that may not read closes the channel. */
  send_msg (c, "4", "5", "realtime:vault", "access_token",
      "{\"access_token\":\"" RT_TEST_TOKEN2 "\"}");
  wait_msg (c, "system", NULL, &m);
  fail_unless_equals_string (json_object_get_string_member (json_node_get_object (
                                                                m.payload),
                                 "message"),
      "You do not have permissions to read from this Channel topic: vault");
  msg_clear (&m);
  wait_msg (c, "phx_close", "4", &m);
  msg_clear (&m);
  fail_unless_equals_int (rt_server_count_members (server, "realtime:vault"),
      0);

  client_free (c);

  /* The API key itself may be authorised (a policy for the anon role). */
  rt_server_authorise_token (server, "realtime:vault", RT_TEST_API_KEY);
  c = client_connect (server, "1.0.0");
  join (c, "realtime:vault", "{\"private\":true}", "1");
  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_swallow_joins)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "1.0.0");

  rt_server_swallow_joins (server, NULL, 1);
  send_msg (c, "1", "1", "realtime:a", "phx_join", "{}");
  fail_unless (
      RT_WAIT_UNTIL (rt_server_count_frames (server, NULL, "phx_join") == 1,
          WAIT_MS));
  rt_test_run_for (QUIET_MS);
  fail_unless_equals_int (c->texts->len, 0);
  fail_unless_equals_int (rt_server_count_members (server, "realtime:a"), 0);

  join (c, "realtime:a", NULL, "2");

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_reply_delay)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "2.0.0");
  gint64 start;

  rt_server_set_reply_delay (server, 300);
  start = g_get_monotonic_time ();
  client_send (c, "[null,\"1\",\"phoenix\",\"heartbeat\",{}]");
  fail_unless (RT_WAIT_UNTIL (c->texts->len == 1, WAIT_MS));
  fail_unless (g_get_monotonic_time () - start >= 290 * 1000);

  /* A reply still pending when the server goes must not outlive it. */
  client_send (c, "[null,\"2\",\"phoenix\",\"heartbeat\",{}]");
  fail_unless (
      RT_WAIT_UNTIL (rt_server_get_frames (server)->len == 2, WAIT_MS));
  rt_server_free (server);
  rt_test_run_for (QUIET_MS);
  fail_unless_equals_int (c->texts->len, 1);
  client_free (c);
}

GST_END_TEST;

GST_START_TEST (test_drop_all_closes_client_socket)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "1.0.0");

  fail_unless (
      RT_WAIT_UNTIL (rt_server_get_n_connections (server) == 1, WAIT_MS));
  rt_server_drop_all (server);
  fail_unless (RT_WAIT_UNTIL (c->closed, WAIT_MS));
  /* No close frame was sent. */
  fail_if (soup_websocket_connection_get_close_code (c->ws)
      == SOUP_WEBSOCKET_CLOSE_NORMAL);
  fail_unless (
      RT_WAIT_UNTIL (rt_server_get_n_connections (server) == 0, WAIT_MS));
  fail_unless_equals_int (rt_server_get_n_accepted (server), 1);

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_close_all_sends_code)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "2.0.0");

  rt_server_close_all (server, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  fail_unless (RT_WAIT_UNTIL (c->closed, WAIT_MS));
  fail_unless_equals_int (soup_websocket_connection_get_close_code (c->ws),
      SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  fail_unless (
      RT_WAIT_UNTIL (rt_server_get_n_connections (server) == 0, WAIT_MS));

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_client_garbage_does_not_crash_server)
{
  static const gchar *texts[] = {
    "{not json",
    "",
    "42",
    "[1,2]",
    "[null,null,17,\"x\",{}]",
    "{\"topic\":5,\"event\":\"x\",\"payload\":{},\"ref\":null}",
    "[null,{},\"phoenix\",\"heartbeat\",{}]",
  };
  static const guint8 kind9[] = { 9, 0, 0 };
  static const guint8 kind3_short[] = { 3, 1, 1 };
  static const guint8 kind3_past_end[] = { 3, 200, 200, 200, 200, 200, 1 };
  static const guint8 kind3_bad_json[] = { 3, 1, 1, 10, 1, 0, 1, '1', '2', 'r',
    'e', 'a', 'l', 't', 'i', 'm', 'e', ':', 'g', 'e', '{', 'x' };
  RtServer *server = server_new ();
  Client *c = client_connect (server, "2.0.0");
  guint i;

  for (i = 0; i < G_N_ELEMENTS (texts); i++)
    client_send (c, texts[i]);
  client_send_binary (c, kind9, sizeof kind9);
  client_send_binary (c, kind3_short, sizeof kind3_short);
  client_send_binary (c, kind3_past_end, sizeof kind3_past_end);
  client_send_binary (c, kind3_bad_json, sizeof kind3_bad_json);
  client_send (c, "[null,\"9\",\"phoenix\",\"heartbeat\",{}]");

  fail_unless (RT_WAIT_UNTIL (has_msg (c, "phx_reply", "9"), WAIT_MS));
  /* Only the one well-formed frame was recorded. */
  fail_unless_equals_int (rt_server_get_frames (server)->len, 1);
  fail_unless (rt_test_count_logs ("malformed") >= G_N_ELEMENTS (texts) + 4);
  fail_if (c->closed);

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_server_garbage_and_oversized_reach_client)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "1.0.0");
  const gchar *big;
  JsonNode *node;

  rt_server_send_garbage (server);
  fail_unless (RT_WAIT_UNTIL (c->texts->len + c->binaries->len >= 10, WAIT_MS));
  rt_test_run_for (100);
  fail_if (c->closed);

  g_ptr_array_set_size (c->texts, 0);
  rt_server_send_oversized (server, 2 * 1024 * 1024);
  fail_unless (RT_WAIT_UNTIL (c->texts->len == 1, WAIT_MS));
  big = g_ptr_array_index (c->texts, 0);
  fail_unless_equals_int (strlen (big), 2 * 1024 * 1024);
  node = json_from_string (big, NULL);
  fail_unless (node != NULL);
  json_node_unref (node);

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_phx_error_and_system_error)
{
  RtServer *server = server_new ();
  Client *c = client_connect (server, "2.0.0");
  JsonObject *o;
  Msg m;

  join (c, "realtime:a", NULL, "1");
  join (c, "realtime:b", NULL, "2");

  rt_server_send_phx_error (server, "realtime:a");
  wait_msg (c, "phx_error", NULL, &m);
  fail_unless_equals_string (m.join_ref, "1");
  fail_unless_equals_string (m.ref, "1");
  msg_clear (&m);

  rt_server_send_system_error (server, "realtime:b", "Token has expired");
  wait_msg (c, "system", NULL, &m);
  o = json_node_get_object (m.payload);
  fail_unless_equals_string (json_object_get_string_member (o, "channel"), "b");
  fail_unless_equals_string (json_object_get_string_member (o, "extension"),
      "system");
  fail_unless_equals_string (json_object_get_string_member (o, "status"),
      "error");
  fail_unless_equals_string (json_object_get_string_member (o, "message"),
      "Token has expired");
  msg_clear (&m);
  wait_msg (c, "phx_close", "2", &m);
  msg_clear (&m);
  fail_unless_equals_int (rt_server_count_members (server, "realtime:b"), 0);

  client_free (c);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_presence_track)
{
  RtServer *server = server_new ();
  Client *tracker = client_connect (server, "2.0.0");
  Client *other = client_connect (server, "1.0.0");
  Msg m;

  join (tracker, "realtime:room", "{\"presence\":{\"key\":\"robot\"}}", "1");
  join (other, "realtime:room", "{\"presence\":{\"enabled\":true}}", "1");
  send_msg (tracker, "1", "2", "realtime:room", "presence",
      "{\"type\":\"presence\",\"event\":\"track\",\"payload\":{\"on\":1}}");
  wait_msg (tracker, "phx_reply", "2", &m);
  fail_unless_equals_string (reply_status (&m), "ok");
  msg_clear (&m);
  fail_unless (
      RT_WAIT_UNTIL (has_msg (tracker, "presence_state", NULL), WAIT_MS));
  wait_msg (other, "presence_diff", NULL, &m);
  fail_unless (
      json_object_has_member (json_object_get_object_member (json_node_get_object (
                                                                 m.payload),
                                  "joins"),
          "robot"));
  msg_clear (&m);

  send_msg (tracker, "1", "3", "realtime:room", "presence",
      "{\"type\":\"presence\",\"event\":\"untrack\"}");
  wait_msg (tracker, "phx_reply", "3", &m);
  msg_clear (&m);
  fail_unless (RT_WAIT_UNTIL (other->texts->len == 4, WAIT_MS));

  client_free (tracker);
  client_free (other);
  rt_server_free (server);
}

GST_END_TEST;

GST_START_TEST (test_free_leaves_no_sources)
{
  guint before = rt_test_count_sources ();
  RtServer *server = server_new ();
  Client *c = client_connect (server, "2.0.0");

  join (c, "realtime:a", NULL, "1");
  rt_server_set_reply_delay (server, 5000);
  client_send (c, "[null,\"2\",\"phoenix\",\"heartbeat\",{}]");
  fail_unless (
      RT_WAIT_UNTIL (rt_server_get_frames (server)->len == 2, WAIT_MS));
  client_free (c);
  rt_server_free (server);
  rt_test_run_for (100);
  fail_unless_equals_int (rt_test_count_sources (), before);
}

GST_END_TEST;

static Suite *
server_suite (void)
{
  Suite *s = suite_create ("server");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_handshake_wrong_key_gets_401);
  tcase_add_test (tc, test_handshake_header_key_accepted);
  tcase_add_test (tc, test_handshake_bad_vsn_gets_400);
  tcase_add_test (tc, test_handshake_refused_429_then_accepted);
  tcase_add_test (tc, test_join_reply_v1);
  tcase_add_test (tc, test_join_reply_v2);
  tcase_add_test (tc, test_join_bad_topics_get_errors);
  tcase_add_test (tc, test_heartbeat_reply);
  tcase_add_test (tc, test_heartbeat_unanswered_when_disabled);
  tcase_add_test (tc, test_v1_frame_without_ref_dropped);
  tcase_add_test (tc, test_unjoined_topic_gets_unmatched);
  tcase_add_test (tc, test_leave_replies_then_closes);
  tcase_add_test (tc, test_duplicate_join_closes_old_join_ref);
  tcase_add_test (tc, test_access_token_remembered);
  tcase_add_test (tc, test_kind3_reaches_v2_as_kind4_and_v1_as_json);
  tcase_add_test (tc, test_v1_text_broadcast_reaches_v2_as_text_array);
  tcase_add_test (tc, test_self_false_means_no_echo);
  tcase_add_test (tc, test_ack_reply_only_with_ack);
  tcase_add_test (tc, test_in_process_broadcast_kind4_and_json);
  tcase_add_test (tc, test_rest_batch_delivers);
  tcase_add_test (tc, test_rest_batch_refuses_bad_key_and_body);
  tcase_add_test (tc, test_rest_single_sends_kind4);
  tcase_add_test (tc, test_reject_joins);
  tcase_add_test (tc, test_swallow_joins);
  tcase_add_test (tc, test_private_channel_needs_an_authorised_token);
  tcase_add_test (tc, test_reply_delay);
  tcase_add_test (tc, test_drop_all_closes_client_socket);
  tcase_add_test (tc, test_close_all_sends_code);
  tcase_add_test (tc, test_client_garbage_does_not_crash_server);
  tcase_add_test (tc, test_server_garbage_and_oversized_reach_client);
  tcase_add_test (tc, test_phx_error_and_system_error);
  tcase_add_test (tc, test_presence_track);
  tcase_add_test (tc, test_free_leaves_no_sources);
  return s;
}

RT_TEST_MAIN (server);

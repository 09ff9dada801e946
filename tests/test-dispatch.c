/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-dispatch.c: the client's per-message path (issue 13) under
 * coalesced frames. The local server queues a whole flood of broadcasts
 * before the client's main context runs once, so the client reads them
 * many frames per socket read (libsoup reads 1 KiB at a time and hands on
 * every complete frame in it): every broadcast must reach the "broadcast"
 * handler exactly once, in order, with its payload intact, for binary
 * kind 4 frames (vsn 2.0.0) and JSON text frames (vsn 1.0.0), with frames
 * the codec refuses in the middle of the flood; and to "broadcast-json"
 * (what listen prints) likewise, each right after its "broadcast". Also:
 * the payload handed to the handler is the message's own (no copy per
 * handler) and stays valid for the whole emission; "broadcast-json"
 * carries the payload as it came, whitespace between tokens removed, with
 * or without "broadcast" handlers, detailed or not.
 */
#include "test-util.h"

#include "realtime-channel.h"
#include "realtime-client.h"
#include "realtime-codec.h"
#include "rt-server.h"

#include <string.h>

#define N_FLOOD 3000

static RtServer *server;

static void
setup (void)
{
  GError *error = NULL;

  server = rt_server_new (0, RT_TEST_API_KEY, &error);
  g_assert_no_error (error);
  rt_test_clear_logs ();
}

static void
teardown (void)
{
  g_clear_pointer (&server, rt_server_free);
  rt_test_run_for (20);
}

typedef struct
{
  GArray *seqs; /* gint64 "seq" of every broadcast received, in order */
  GPtrArray *texts; /* "s" of every broadcast received */
  GPtrArray *jsons; /* "broadcast-json" text of every broadcast received */
  guint refused;
} Got;

#define GOT_INIT                                                               \
  {                                                                            \
    g_array_new (FALSE, FALSE, sizeof (gint64)),                               \
        g_ptr_array_new_with_free_func (g_free),                               \
        g_ptr_array_new_with_free_func (g_free), 0                             \
  }

static void
got_clear (Got *got)
{
  g_array_unref (got->seqs);
  g_ptr_array_unref (got->texts);
  g_ptr_array_unref (got->jsons);
}

static void
on_broadcast (RealtimeChannel *ch, const gchar *event, JsonNode *payload,
    gpointer data)
{
  Got *got = data;
  JsonObject *obj;
  gint64 seq;

  fail_unless_equals_string (event, "flood");
  fail_unless (JSON_NODE_HOLDS_OBJECT (payload));
  obj = json_node_get_object (payload);
  seq = json_object_get_int_member (obj, "seq");
  g_array_append_val (got->seqs, seq);
  g_ptr_array_add (got->texts,
      g_strdup (json_object_get_string_member_with_default (obj, "s", "")));
}

/* Right after its "broadcast": one text per broadcast already seen. */
static void
on_broadcast_json (RealtimeChannel *ch, const gchar *event, const gchar *json,
    gpointer data)
{
  Got *got = data;

  fail_unless_equals_string (event, "flood");
  fail_unless_equals_int (got->jsons->len + 1, got->seqs->len);
  g_ptr_array_add (got->jsons, g_strdup (json));
}

static void
on_refused (RealtimeChannel *ch, const gchar *event, const gchar *request_id,
    const gchar *reason, const gchar *pipeline, gpointer data)
{
  ((Got *)data)->refused++;
}

static RealtimeClient *
joined_client (RealtimeVsn vsn, const gchar *name, Got *got)
{
  RealtimeClient *client = g_object_new (REALTIME_TYPE_CLIENT, "url",
      rt_server_get_url (server), "api-key", RT_TEST_API_KEY, "vsn", vsn,
      "heartbeat-interval", 60000, NULL);
  RealtimeChannel *ch = realtime_client_channel (client, name);

  g_signal_connect (ch, "broadcast", G_CALLBACK (on_broadcast), got);
  g_signal_connect (ch, "broadcast-json", G_CALLBACK (on_broadcast_json), got);
  g_signal_connect (ch, "broadcast-refused", G_CALLBACK (on_refused), got);
  realtime_channel_subscribe (ch);
  realtime_client_connect (client);
  fail_unless (RT_WAIT_UNTIL (realtime_channel_get_state (ch)
                       == REALTIME_CHANNEL_STATE_JOINED,
                   5000),
      "not joined");
  return client;
}

/* The text each broadcast carries: escapes, non-ASCII and a surrogate
 * pair, so that an unescaping slip shows. */
static gchar *
expected_text (guint i)
{
  return g_strdup_printf ("n\xc3\xa9 %u \"q\" \\ \xf0\x9f\x98\x80 /", i);
}

static void
flood_and_check (RealtimeVsn vsn)
{
  Got got = GOT_INIT;
  g_autofree gchar *name
      = g_strdup_printf ("flood-%s", realtime_vsn_to_string (vsn));
  g_autofree gchar *topic = g_strconcat ("realtime:", name, NULL);
  RealtimeClient *client = joined_client (vsn, name, &got);
  guint i, refusals = 0;

  /* All of it queued (and written as far as the socket takes it) before
   * the client reads anything: it reads the frames coalesced. Every 500th
   * is one the codec refuses (a \u0000 in a string), which must neither
   * be delivered nor disturb its neighbours. */
  for (i = 0; i < N_FLOOD; i++) {
    g_autofree gchar *text = expected_text (i);
    g_autoptr (GString) payload = g_string_new (NULL);

    g_string_append_printf (payload, "{\"seq\":%u,\"s\":", i);
    realtime_codec_append_json_string (payload, text);
    g_string_append (payload, ",\"nested\":[1,2.5,{\"a\":null,\"b\":true}]}");
    rt_server_broadcast (server, topic, "flood", payload->str);
    if (i % 500 == 250) {
      rt_server_broadcast_raw (server, topic, "flood",
          "{\"seq\":-1,\"s\":\"a\\u0000b\"}");
      refusals++;
    }
  }
  fail_unless (RT_WAIT_UNTIL (got.seqs->len >= N_FLOOD
                       && got.refused >= refusals,
                   20000),
      "%u of %u broadcasts, %u of %u refusals", got.seqs->len, N_FLOOD,
      got.refused, refusals);
  rt_test_run_for (100);
  fail_unless_equals_int (got.seqs->len, N_FLOOD);
  fail_unless_equals_int (got.jsons->len, N_FLOOD);
  fail_unless_equals_int (got.refused, refusals);
  for (i = 0; i < N_FLOOD; i++) {
    g_autofree gchar *text = expected_text (i);
    g_autoptr (JsonNode) node = json_from_string (got.jsons->pdata[i], NULL);
    JsonObject *obj;

    fail_unless (node && JSON_NODE_HOLDS_OBJECT (node), "not JSON: %s",
        (gchar *)got.jsons->pdata[i]);
    obj = json_node_get_object (node);
    fail_unless (json_object_get_int_member (obj, "seq") == (gint64)i,
        "broadcast-json %u out of order or repeated: %s", i,
        (gchar *)got.jsons->pdata[i]);
    fail_unless_equals_string (json_object_get_string_member (obj, "s"), text);

    fail_unless (g_array_index (got.seqs, gint64, i) == (gint64)i,
        "broadcast %u out of order or repeated: got seq %" G_GINT64_FORMAT, i,
        g_array_index (got.seqs, gint64, i));
    fail_unless_equals_string (got.texts->pdata[i], text);
  }
  g_signal_handlers_disconnect_by_data (realtime_client_channel (client, name),
      &got);
  g_object_unref (client);
  got_clear (&got);
}

GST_START_TEST (test_coalesced_binary_in_order_once)
{
  flood_and_check (REALTIME_VSN_2_0_0);
}
GST_END_TEST;

GST_START_TEST (test_coalesced_text_in_order_once)
{
  flood_and_check (REALTIME_VSN_1_0_0);
}
GST_END_TEST;

/* Two handlers see the same node, the message's own, valid throughout the
 * emission; a handler that keeps it takes a reference. */
typedef struct
{
  JsonNode *seen[2];
  JsonNode *kept;
} Seen;

static void
first_handler (RealtimeChannel *ch, const gchar *event, JsonNode *payload,
    gpointer data)
{
  Seen *s = data;

  s->seen[0] = payload;
  s->kept = json_node_ref (payload);
}

static void
second_handler (RealtimeChannel *ch, const gchar *event, JsonNode *payload,
    gpointer data)
{
  Seen *s = data;

  s->seen[1] = payload;
  fail_unless_equals_int (json_object_get_int_member (json_node_get_object (
                                                          payload),
                              "v"),
      7);
}

GST_START_TEST (test_handlers_share_the_payload)
{
  Seen s = { { NULL, NULL }, NULL };
  Got unused = GOT_INIT;
  RealtimeClient *client = joined_client (REALTIME_VSN_2_0_0, "share", &unused);
  RealtimeChannel *ch = realtime_client_channel (client, "share");

  g_signal_handlers_disconnect_by_data (ch, &unused);
  g_signal_connect (ch, "broadcast", G_CALLBACK (first_handler), &s);
  g_signal_connect (ch, "broadcast::other", G_CALLBACK (second_handler), &s);
  rt_server_broadcast (server, "realtime:share", "other", "{\"v\":7}");
  fail_unless (RT_WAIT_UNTIL (s.seen[1] != NULL, 5000));
  fail_unless (s.seen[0] == s.seen[1], "each handler got its own copy");
  /* The message is gone; the reference taken keeps the node. */
  fail_unless_equals_int (json_object_get_int_member (json_node_get_object (
                                                          s.kept),
                              "v"),
      7);
  json_node_unref (s.kept);
  g_signal_handlers_disconnect_by_data (ch, &s);
  g_object_unref (client);
  got_clear (&unused);
}
GST_END_TEST;

/* "broadcast-json" alone (listen: no tree), and next to detailed and
 * undetailed "broadcast" handlers: every broadcast reaches each handler
 * once, "broadcast" first; the text is the payload as it came minus the
 * whitespace between tokens (strings and numbers untouched). */
static void
log_json (RealtimeChannel *ch, const gchar *event, const gchar *json,
    gpointer data)
{
  g_ptr_array_add (data, g_strdup_printf ("json %s %s", event, json));
}

static void
log_tree (RealtimeChannel *ch, const gchar *event, JsonNode *payload,
    gpointer data)
{
  g_autofree gchar *text = json_to_string (payload, FALSE);

  g_ptr_array_add (data, g_strdup_printf ("tree %s %s", event, text));
}

static void
json_only_and_mixed (RealtimeVsn vsn)
{
  Got unused = GOT_INIT;
  g_autofree gchar *name
      = g_strdup_printf ("mixed-%s", realtime_vsn_to_string (vsn));
  g_autofree gchar *topic = g_strconcat ("realtime:", name, NULL);
  RealtimeClient *client = joined_client (vsn, name, &unused);
  RealtimeChannel *ch = realtime_client_channel (client, name);
  g_autoptr (GPtrArray) log = g_ptr_array_new_with_free_func (g_free);
  static const gchar *const expected[] = {
    "json first {\"a\":[1,2.50],\"s\":\"\\u00e9 x \"}",
    "tree second {\"n\":1}",
    "json second {\"n\":1}",
    "tree third null",
    "tree third null",
    "json third null",
  };
  guint i;

  g_signal_handlers_disconnect_by_data (ch, &unused);
  g_signal_connect (ch, "broadcast-json", G_CALLBACK (log_json), log);
  rt_server_broadcast_raw (server, topic, "first",
      " { \"a\" : [ 1 , 2.50 ] ,\n \"s\" : \"\\u00e9 x \" } ");
  fail_unless (RT_WAIT_UNTIL (log->len == 1, 5000));
  g_signal_connect (ch, "broadcast", G_CALLBACK (log_tree), log);
  rt_server_broadcast (server, topic, "second", "{\"n\":1}");
  fail_unless (RT_WAIT_UNTIL (log->len == 3, 5000));
  g_signal_connect (ch, "broadcast::third", G_CALLBACK (log_tree), log);
  rt_server_broadcast (server, topic, "third", "null");
  fail_unless (RT_WAIT_UNTIL (log->len == 6, 5000));
  rt_test_run_for (100);
  fail_unless_equals_int (log->len, G_N_ELEMENTS (expected));
  for (i = 0; i < G_N_ELEMENTS (expected); i++)
    fail_unless_equals_string (log->pdata[i], expected[i]);
  g_signal_handlers_disconnect_by_data (ch, log);
  g_object_unref (client);
  got_clear (&unused);
}

GST_START_TEST (test_broadcast_json_binary)
{
  json_only_and_mixed (REALTIME_VSN_2_0_0);
}
GST_END_TEST;

GST_START_TEST (test_broadcast_json_text)
{
  json_only_and_mixed (REALTIME_VSN_1_0_0);
}
GST_END_TEST;

static Suite *
dispatch_suite (void)
{
  Suite *s = suite_create ("dispatch");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_coalesced_binary_in_order_once);
  tcase_add_test (tc, test_coalesced_text_in_order_once);
  tcase_add_test (tc, test_handlers_share_the_payload);
  tcase_add_test (tc, test_broadcast_json_binary);
  tcase_add_test (tc, test_broadcast_json_text);
  suite_add_tcase (s, tc);
  return s;
}

RT_TEST_MAIN (dispatch)

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-client.c: RealtimeClient and RealtimeChannel behaviour beyond the
 * reliability rows: URLs and keys, both protocol versions end to end,
 * acknowledgements, heartbeat reporting, handshake failures, teardown.
 */
#include "test-util.h"

#include "realtime-channel.h"
#include "realtime-client.h"
#include "reconnect-policy.h"
#include "rt-server.h"

#include <malloc.h>
#include <string.h>

static RtServer *server;

static void
setup (void)
{
  GError *error = NULL;

  server = rt_server_new (0, RT_TEST_API_KEY, &error);
  g_assert_no_error (error);
}

static void
teardown (void)
{
  g_clear_pointer (&server, rt_server_free);
  rt_test_run_for (20);
}

static RealtimeClient *
new_client (RealtimeVsn vsn)
{
  return g_object_new (REALTIME_TYPE_CLIENT, "url", rt_server_get_url (server),
      "api-key", RT_TEST_API_KEY, "vsn", vsn, "heartbeat-interval", 200,
      "join-timeout", 300, "backoff-min", 5, "backoff-max", 50, NULL);
}

static gboolean
is_joined (RealtimeChannel *ch)
{
  return realtime_channel_get_state (ch) == REALTIME_CHANNEL_STATE_JOINED;
}

static RealtimeChannel *
join (RealtimeClient *client, const gchar *name)
{
  RealtimeChannel *ch = realtime_client_channel (client, name);

  realtime_channel_subscribe (ch);
  realtime_client_connect (client);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 3000), "%s never joined", name);
  return ch;
}

static void
collect (RealtimeChannel *ch, const gchar *event, JsonNode *payload,
    gpointer data)
{
  GPtrArray *got = data;
  g_autofree gchar *json = json_to_string (payload, FALSE);

  g_ptr_array_add (got, g_strdup_printf ("%s %s", event, json));
}

GST_START_TEST (test_url_building)
{
  GError *error = NULL;
  gchar *url;

  url = realtime_build_websocket_url ("https://abcd.supabase.co",
      REALTIME_VSN_2_0_0, "KEY", &error);
  fail_unless_equals_string (url,
      "wss://abcd.supabase.co/realtime/v1/websocket?apikey=KEY&vsn=2.0.0");
  g_free (url);

  url = realtime_build_websocket_url ("http://127.0.0.1:4000/",
      REALTIME_VSN_1_0_0, NULL, &error);
  fail_unless_equals_string (url,
      "ws://127.0.0.1:4000/realtime/v1/websocket?vsn=1.0.0");
  g_free (url);

  url = realtime_build_websocket_url ("wss://h.example/realtime/v1/"
                                      "websocket?log_level=info&vsn=1.0.0",
      REALTIME_VSN_2_0_0, "a b", &error);
  fail_unless_equals_string (url,
      "wss://h.example/realtime/v1/websocket?log_level=info&apikey=a%20b&"
      "vsn=2.0.0");
  g_free (url);

  url = realtime_build_websocket_url ("https://h.example/realtime/v1",
      REALTIME_VSN_2_0_0, NULL, &error);
  fail_unless_equals_string (url,
      "wss://h.example/realtime/v1/websocket?vsn=2.0.0");
  g_free (url);

  fail_if (realtime_build_websocket_url ("ftp://x", REALTIME_VSN_2_0_0, NULL,
      &error));
  fail_unless (
      g_error_matches (error, REALTIME_ERROR, REALTIME_ERROR_INVALID_ARGUMENT));
  fail_unless (strstr (error->message, "ftp") != NULL);
  g_clear_error (&error);
  fail_if (realtime_build_websocket_url ("not a url", REALTIME_VSN_2_0_0, NULL,
      &error));
  g_clear_error (&error);
  fail_if (realtime_build_websocket_url ("", REALTIME_VSN_2_0_0, NULL, &error));
  g_clear_error (&error);
}

GST_END_TEST;

/* Both versions end to end, in both directions, v1 <-> v2. */
GST_START_TEST (test_broadcast_between_vsns)
{
  RealtimeClient *c1 = new_client (REALTIME_VSN_1_0_0);
  RealtimeClient *c2 = new_client (REALTIME_VSN_2_0_0);
  GPtrArray *got1 = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *got2 = g_ptr_array_new_with_free_func (g_free);
  RealtimeChannel *ch1 = join (c1, "mix");
  RealtimeChannel *ch2 = join (c2, "mix");
  g_autoptr (JsonNode) p1
      = json_from_string ("{\"from\":\"v1\",\"n\":1}", NULL);
  g_autoptr (JsonNode) p2 = json_from_string ("{\"from\":\"v2\",\"u\":"
                                              "\"\\u00e9\\u2603\"}",
      NULL);

  g_signal_connect (ch1, "broadcast", G_CALLBACK (collect), got1);
  g_signal_connect (ch2, "broadcast", G_CALLBACK (collect), got2);
  realtime_channel_send_broadcast (ch1, "start", p1, NULL, NULL, NULL);
  realtime_channel_send_broadcast (ch2, "stop", p2, NULL, NULL, NULL);
  fail_unless (RT_WAIT_UNTIL (got1->len == 1 && got2->len == 1, 3000));
  fail_unless_equals_string (g_ptr_array_index (got2, 0),
      "start {\"from\":\"v1\",\"n\":1}");
  fail_unless_equals_string (g_ptr_array_index (got1, 0),
      "stop {\"from\":\"v2\",\"u\":\"\u00e9\u2603\"}");
  /* self:false: nobody got their own message. */
  rt_test_run_for (100);
  fail_unless_equals_int (got1->len, 1);
  fail_unless_equals_int (got2->len, 1);

  /* The REST-like fan-out reaches both (kind 4 binary to v2). */
  rt_server_broadcast (server, "realtime:mix", "status", "{\"r\":3}");
  fail_unless (RT_WAIT_UNTIL (got1->len == 2 && got2->len == 2, 3000));
  fail_unless_equals_string (g_ptr_array_index (got1, 1), "status {\"r\":3}");
  fail_unless_equals_string (g_ptr_array_index (got2, 1), "status {\"r\":3}");

  g_ptr_array_unref (got1);
  g_ptr_array_unref (got2);
  g_object_unref (c1);
  g_object_unref (c2);
}

GST_END_TEST;

GST_START_TEST (test_broadcast_self)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
  RealtimeChannel *ch = realtime_client_channel (c, "selfie");
  GPtrArray *got = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (JsonNode) p = json_from_string ("{}", NULL);

  g_object_set (ch, "broadcast-self", TRUE, NULL);
  join (c, "selfie");
  g_signal_connect (ch, "broadcast", G_CALLBACK (collect), got);
  realtime_channel_send_broadcast (ch, "echo", p, NULL, NULL, NULL);
  fail_unless (RT_WAIT_UNTIL (got->len == 1, 3000));
  fail_unless_equals_string (g_ptr_array_index (got, 0), "echo {}");
  g_ptr_array_unref (got);
  g_object_unref (c);
}

GST_END_TEST;

/* Detailed handlers see only their event. */
GST_START_TEST (test_broadcast_detail)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
  RealtimeChannel *ch = join (c, "detail");
  GPtrArray *starts = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *all = g_ptr_array_new_with_free_func (g_free);

  g_signal_connect (ch, "broadcast::start", G_CALLBACK (collect), starts);
  g_signal_connect (ch, "broadcast", G_CALLBACK (collect), all);
  rt_server_broadcast (server, "realtime:detail", "stop", "{}");
  rt_server_broadcast (server, "realtime:detail", "start", "{\"a\":1}");
  rt_server_broadcast (server, "realtime:detail", "never-seen-name-1234",
      "null");
  fail_unless (RT_WAIT_UNTIL (all->len == 3, 3000));
  fail_unless_equals_int (starts->len, 1);
  fail_unless_equals_string (g_ptr_array_index (starts, 0), "start {\"a\":1}");
  /* A name nobody connected to does not become a quark. */
  fail_unless (g_quark_try_string ("never-seen-name-1234") == 0);
  g_ptr_array_unref (starts);
  g_ptr_array_unref (all);
  g_object_unref (c);
}

GST_END_TEST;

typedef struct
{
  gboolean done;
  gboolean ok;
  GError *error;
} SendResult;

static void
on_sent (GObject *source, GAsyncResult *res, gpointer data)
{
  SendResult *r = data;

  r->ok = realtime_channel_send_broadcast_finish (REALTIME_CHANNEL (source),
      res, &r->error);
  r->done = TRUE;
}

GST_START_TEST (test_broadcast_ack)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
  RealtimeChannel *ch = realtime_client_channel (c, "acked");
  g_autoptr (JsonNode) p = json_from_string ("{\"x\":1}", NULL);
  SendResult r = { 0 };

  g_object_set (ch, "broadcast-ack", TRUE, NULL);
  join (c, "acked");
  realtime_channel_send_broadcast (ch, "e", p, NULL, on_sent, &r);
  fail_unless (RT_WAIT_UNTIL (r.done, 3000));
  fail_unless (r.ok);
  fail_unless_equals_int (rt_server_count_frames (server, "realtime:acked",
                              "broadcast"),
      1);

  /* No reply within the timeout: a timeout error, not success. */
  memset (&r, 0, sizeof r);
  rt_server_set_reply_delay (server, 2000);
  realtime_channel_send_broadcast (ch, "e", p, NULL, on_sent, &r);
  fail_unless (RT_WAIT_UNTIL (r.done, 3000));
  fail_if (r.ok);
  fail_unless (
      g_error_matches (r.error, REALTIME_ERROR, REALTIME_ERROR_TIMEOUT));
  g_clear_error (&r.error);
  rt_server_set_reply_delay (server, 0);
  g_object_unref (c);
}

GST_END_TEST;

typedef struct
{
  guint sent, ok, timeout;
  gdouble last_ok_rtt, timeout_waited;
  gint64 first_sent_us, timeout_us;
} Beats;

static void
on_beat (RealtimeClient *c, RealtimeHeartbeatStatus status, gdouble rtt,
    gpointer data)
{
  Beats *b = data;

  switch (status) {
    case REALTIME_HEARTBEAT_SENT:
      if (!b->sent++)
        b->first_sent_us = g_get_monotonic_time ();
      break;
    case REALTIME_HEARTBEAT_OK:
      b->ok++;
      b->last_ok_rtt = rtt;
      break;
    case REALTIME_HEARTBEAT_TIMEOUT:
      if (!b->timeout++) {
        b->timeout_waited = rtt;
        b->timeout_us = g_get_monotonic_time ();
      }
      break;
  }
}

GST_START_TEST (test_heartbeat_signal_reports_rtt)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
  Beats b = { 0 };
  RealtimeClientStats st;

  g_object_set (c, "heartbeat-interval", 30, NULL);
  g_signal_connect (c, "heartbeat", G_CALLBACK (on_beat), &b);
  realtime_client_connect (c);
  fail_unless (RT_WAIT_UNTIL (b.ok >= 3, 3000));
  fail_unless (b.sent >= b.ok);
  fail_unless (b.last_ok_rtt > 0 && b.last_ok_rtt < 1000);
  realtime_client_get_stats (c, &st);
  fail_unless (st.last_rtt_ms > 0);
  fail_unless_equals_int (b.timeout, 0);
  g_object_unref (c);
}

GST_END_TEST;

/* A heartbeat-timeout shorter than the interval notices a dead link
 * sooner than the interval would. */
GST_START_TEST (test_heartbeat_timeout_shorter_than_interval)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
  Beats b = { 0 };

  g_object_set (c, "heartbeat-interval", 400, "heartbeat-timeout", 60, NULL);
  g_signal_connect (c, "heartbeat", G_CALLBACK (on_beat), &b);
  rt_server_set_answer_heartbeats (server, FALSE);
  realtime_client_connect (c);
  fail_unless (RT_WAIT_UNTIL (b.timeout >= 1, 3000));
  /* Declared dead about 60 ms after the heartbeat, not at the next tick. */
  fail_unless (b.timeout_waited >= 55 && b.timeout_waited < 300,
      "waited %.0f ms", b.timeout_waited);
  fail_unless ((b.timeout_us - b.first_sent_us) / 1000 < 300);
  g_object_unref (c);
}

GST_END_TEST;

/* A timeout longer than the interval is honoured for a slow link: one
 * heartbeat pending, declared dead at the timeout, not at the next tick. */
GST_START_TEST (test_heartbeat_timeout_longer_than_interval)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
  Beats b = { 0 };

  g_object_set (c, "heartbeat-interval", 80, "heartbeat-timeout", 600, NULL);
  g_signal_connect (c, "heartbeat", G_CALLBACK (on_beat), &b);
  rt_server_set_answer_heartbeats (server, FALSE);
  realtime_client_connect (c);
  fail_unless (RT_WAIT_UNTIL (b.timeout >= 1, 3000));
  fail_unless (b.timeout_waited >= 590 && b.timeout_waited < 900,
      "waited %.0f ms", b.timeout_waited);
  /* No pile-up: one heartbeat sent before the timeout. */
  fail_unless_equals_int (b.sent, 1);
  g_object_unref (c);
}

GST_END_TEST;

/* The "10 forced reconnects with a broadcast received after each",
 * on both versions. */
static void
reconnects_with_broadcasts (RealtimeVsn vsn)
{
  RealtimeClient *c = new_client (vsn);
  RealtimeChannel *ch = join (c, "ten");
  GPtrArray *got = g_ptr_array_new_with_free_func (g_free);
  guint i;

  g_signal_connect (ch, "broadcast", G_CALLBACK (collect), got);
  for (i = 0; i < 10; i++) {
    guint joins, accepted = rt_server_get_n_accepted (server);
    g_autofree gchar *json = g_strdup_printf ("{\"i\":%u}", i);

    g_object_get (ch, "joins", &joins, NULL);
    if (i % 2)
      rt_server_drop_all (server);
    else
      rt_server_close_all (server, 1001);
    fail_unless (RT_WAIT_UNTIL (rt_server_get_n_accepted (server) > accepted
            && is_joined (ch),
        3000));
    rt_server_broadcast (server, "realtime:ten", "tick", json);
    fail_unless (RT_WAIT_UNTIL (got->len == i + 1, 3000), "broadcast %u lost",
        i);
  }
  for (i = 0; i < 10; i++) {
    g_autofree gchar *want = g_strdup_printf ("tick {\"i\":%u}", i);
    fail_unless_equals_string (g_ptr_array_index (got, i), want);
  }
  g_ptr_array_unref (got);
  g_object_unref (c);
}

GST_START_TEST (test_ten_reconnects_v2)
{
  reconnects_with_broadcasts (REALTIME_VSN_2_0_0);
}

GST_END_TEST;

GST_START_TEST (test_ten_reconnects_v1)
{
  reconnects_with_broadcasts (REALTIME_VSN_1_0_0);
}

GST_END_TEST;

/* Handshake failures: 401 is a refusal retried at the cap (every kind:
 * test-refusals.c); 500 backs off normally. */
static gint64
second_attempt_gap_ms (guint status)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
  gint64 t0, t1;

  g_object_set (c, "backoff-min", 5, "backoff-max", 600, NULL);
  rt_server_refuse_upgrades (server, status, 1);
  realtime_client_connect (c);
  fail_unless (RT_WAIT_UNTIL (realtime_client_get_state (c)
          == REALTIME_CLIENT_STATE_DISCONNECTED,
      3000));
  t0 = g_get_monotonic_time ();
  fail_unless (RT_WAIT_UNTIL (realtime_client_get_state (c)
          == REALTIME_CLIENT_STATE_CONNECTED,
      3000));
  t1 = g_get_monotonic_time ();
  g_object_unref (c);
  return (t1 - t0) / 1000;
}

GST_START_TEST (test_handshake_401_is_config_error_at_cap)
{
  gint64 gap;

  rt_test_clear_logs ();
  gap = second_attempt_gap_ms (401);
  /* At the cap: drawn from [300, 600] ms. */
  fail_unless (gap >= 280, "retried after %" G_GINT64_FORMAT " ms", gap);
  fail_unless (rt_test_count_logs (
                   realtime_failure_kind_describe (REALTIME_FAILURE_REFUSED))
      >= 1);
  fail_unless (rt_test_count_logs ("HTTP 401") >= 1);
}

GST_END_TEST;

GST_START_TEST (test_handshake_500_backs_off_normally)
{
  gint64 gap = second_attempt_gap_ms (500);

  /* First delay drawn from [0, 5] ms, plus the handshake. */
  fail_unless (gap < 250, "retried after %" G_GINT64_FORMAT " ms", gap);
}

GST_END_TEST;

GST_START_TEST (test_wrong_key_never_connects)
{
  RealtimeClient *c
      = g_object_new (REALTIME_TYPE_CLIENT, "url", rt_server_get_url (server),
          "api-key", "wrong-key", "backoff-min", 5, "backoff-max", 20, NULL);

  realtime_client_connect (c);
  rt_test_run_for (200);
  fail_unless (
      realtime_client_get_state (c) != REALTIME_CLIENT_STATE_CONNECTED);
  fail_unless_equals_int (rt_server_get_n_connections (server), 0);
  g_object_unref (c);
}

GST_END_TEST;

GST_START_TEST (test_api_key_in_header)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
  g_autofree gchar *url = NULL;

  g_object_set (c, "api-key-in-header", TRUE, NULL);
  url = realtime_client_dup_redacted_url (c);
  fail_if (strstr (url, "apikey"), "key in the URL: %s", url);
  join (c, "hdr");
  g_object_unref (c);
}

GST_END_TEST;

/* Disconnect stops everything; dispose leaves no source behind, even in
 * the middle of connecting or backing off. */
GST_START_TEST (test_disconnect_stops_reconnecting)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
  guint accepted;

  join (c, "bye");
  realtime_client_disconnect (c);
  fail_unless_equals_int (realtime_client_get_state (c),
      REALTIME_CLIENT_STATE_DISCONNECTED);
  accepted = rt_server_get_n_accepted (server);
  rt_test_run_for (300);
  fail_unless_equals_int (rt_server_get_n_accepted (server), accepted);
  fail_unless (RT_WAIT_UNTIL (rt_server_get_n_connections (server) == 0, 2000));
  /* connect() again rejoins the wanted channel. */
  realtime_client_connect (c);
  fail_unless (
      RT_WAIT_UNTIL (is_joined (realtime_client_channel (c, "bye")), 3000));
  g_object_unref (c);
}

GST_END_TEST;

GST_START_TEST (test_dispose_leaves_no_sources)
{
  guint base, i;

  rt_test_run_for (20);
  base = rt_test_count_sources ();
  for (i = 0; i < 3; i++) {
    RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
    RealtimeChannel *ch = realtime_client_channel (c, "d");
    realtime_channel_subscribe (ch);
    realtime_client_connect (c);
    if (i == 1) {
      fail_unless (RT_WAIT_UNTIL (is_joined (ch), 3000));
    } else if (i == 2) {
      /* Backing off after a refused handshake. */
      g_object_set (c, "backoff-min", 5000, "backoff-max", 5000, NULL);
      rt_server_refuse_upgrades (server, 503, 1);
      realtime_client_reconnect (c);
      fail_unless (RT_WAIT_UNTIL (realtime_client_get_state (c)
              == REALTIME_CLIENT_STATE_DISCONNECTED,
          3000));
    }
    /* i == 0: still connecting. */
    g_object_unref (c);
    rt_test_run_for (50);
    fail_unless (RT_WAIT_UNTIL (rt_test_count_sources () <= base, 2000),
        "%u sources left after dispose %u (base %u)", rt_test_count_sources (),
        i, base);
  }
  fail_unless (RT_WAIT_UNTIL (rt_server_get_n_connections (server) == 0, 2000));
}

GST_END_TEST;

GST_START_TEST (test_forced_reconnect_rejoins)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
  RealtimeChannel *ch = join (c, "usr1");
  guint accepted = rt_server_get_n_accepted (server);
  guint joins;

  realtime_client_reconnect (c);
  fail_unless (RT_WAIT_UNTIL (rt_server_get_n_accepted (server) > accepted
          && is_joined (ch),
      3000));
  g_object_get (ch, "joins", &joins, NULL);
  fail_unless_equals_int (joins, 2);
  fail_unless (RT_WAIT_UNTIL (rt_server_get_n_connections (server) == 1, 2000));
  g_object_unref (c);
}

GST_END_TEST;

static void
on_presence (RealtimeChannel *ch, const gchar *event, JsonNode *payload,
    gpointer data)
{
  GPtrArray *got = data;
  g_ptr_array_add (got, g_strdup (event));
}

GST_START_TEST (test_presence_track)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
  RealtimeChannel *ch = realtime_client_channel (c, "pres");
  GPtrArray *got = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (JsonNode) meta = json_from_string ("{\"robot\":\"r7\"}", NULL);

  g_object_set (ch, "presence-key", "r7", NULL);
  g_signal_connect (ch, "presence", G_CALLBACK (on_presence), got);
  join (c, "pres");
  realtime_channel_track (ch, meta);
  fail_unless (RT_WAIT_UNTIL (rt_server_count_frames (server, "realtime:pres",
                                  "presence")
              == 1
          && got->len >= 1,
      3000));
  realtime_channel_untrack (ch);
  fail_unless (RT_WAIT_UNTIL (rt_server_count_frames (server, "realtime:pres",
                                  "presence")
          == 2,
      3000));
  g_ptr_array_unref (got);
  g_object_unref (c);
}

GST_END_TEST;

/* Every push carries the current join_ref. */
GST_START_TEST (test_pushes_carry_current_join_ref)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
  RealtimeChannel *ch = join (c, "jr");
  g_autoptr (JsonNode) p = json_from_string ("{}", NULL);
  GPtrArray *frames;
  const gchar *join_ref = NULL;
  guint i, checked = 0;

  rt_server_drop_all (server);
  fail_unless (
      RT_WAIT_UNTIL (rt_server_get_n_accepted (server) == 2 && is_joined (ch),
          3000));
  realtime_channel_send_broadcast (ch, "e", p, NULL, NULL, NULL);
  realtime_client_set_access_token (c, RT_TEST_TOKEN);
  fail_unless (RT_WAIT_UNTIL (rt_server_count_frames (server, "realtime:jr",
                                  "access_token")
              == 1
          && rt_server_count_frames (server, "realtime:jr", "broadcast") == 1,
      3000));
  frames = rt_server_get_frames (server);
  for (i = 0; i < frames->len; i++) {
    RtServerFrame *fr = g_ptr_array_index (frames, i);
    if (g_strcmp0 (fr->topic, "realtime:jr") != 0)
      continue;
    if (g_strcmp0 (fr->event, "phx_join") == 0) {
      join_ref = fr->join_ref;
      fail_unless_equals_string (fr->join_ref, fr->ref);
    } else {
      fail_unless_equals_string (fr->join_ref, join_ref);
      checked++;
    }
  }
  fail_unless_equals_int (checked, 2);
  g_object_unref (c);
}

GST_END_TEST;

/* vsn 2.0.0: messages stamped with an older join_ref are not ours. */
GST_START_TEST (test_stale_join_ref_dropped)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
  RealtimeChannel *ch = join (c, "stale");
  GPtrArray *got = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *frames = rt_server_get_frames (server);
  g_autofree gchar *join_ref = NULL;
  g_autofree gchar *frame = NULL;
  RealtimeClientStats before, after;
  guint i;

  for (i = 0; i < frames->len; i++) {
    RtServerFrame *fr = g_ptr_array_index (frames, i);
    if (g_strcmp0 (fr->event, "phx_join") == 0)
      join_ref = g_strdup (fr->join_ref);
  }
  fail_unless (join_ref != NULL);
  g_signal_connect (ch, "broadcast", G_CALLBACK (collect), got);
  realtime_client_get_stats (c, &before);

  /* An old join's close and broadcast are ignored... */
  rt_server_send_raw_text (server,
      "[\"0\",\"0\",\"realtime:stale\","
      "\"phx_close\",{}]");
  rt_server_send_raw_text (server,
      "[\"0\",null,\"realtime:stale\","
      "\"broadcast\",{\"type\":\"broadcast\",\"event\":\"old\","
      "\"payload\":{}}]");
  /* ... while the current join's and unstamped ones count. */
  rt_server_send_raw_text (server,
      "[null,null,\"realtime:stale\","
      "\"broadcast\",{\"type\":\"broadcast\",\"event\":\"new\","
      "\"payload\":{}}]");
  fail_unless (RT_WAIT_UNTIL (got->len == 1, 2000));
  fail_unless_equals_string (g_ptr_array_index (got, 0), "new {}");
  fail_unless (is_joined (ch));
  realtime_client_get_stats (c, &after);
  fail_unless_equals_int (after.frames_dropped, before.frames_dropped + 2);

  frame = g_strdup_printf ("[\"%s\",\"%s\",\"realtime:stale\","
                           "\"phx_close\",{}]",
      join_ref, join_ref);
  rt_server_send_raw_text (server, frame);
  fail_unless (RT_WAIT_UNTIL (!is_joined (ch), 2000));
  /* Still wanted: it comes back. */
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 3000));
  g_ptr_array_unref (got);
  g_object_unref (c);
}

GST_END_TEST;

/* "broadcast-refused": "EVENT REQUEST_ID PIPELINE: REASON". */
static void
collect_refused (RealtimeChannel *ch, const gchar *event,
    const gchar *request_id, const gchar *reason, const gchar *pipeline,
    gpointer data)
{
  GPtrArray *got = data;

  g_ptr_array_add (got,
      g_strdup_printf ("%s %s %s: %s", event, request_id ? request_id : "-",
          pipeline ? pipeline : "-", reason));
}

static gchar *
nested_payload (const gchar *head, guint depth)
{
  GString *s = g_string_new (head);
  guint i;

  for (i = 0; i < depth; i++)
    g_string_append_c (s, '[');
  for (i = 0; i < depth; i++)
    g_string_append_c (s, ']');
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

static gchar *
wide_payload (const gchar *head, guint members)
{
  GString *s = g_string_new (head);
  guint i;

  for (i = 0; i < members; i++)
    g_string_append (s, i ? ",0" : "0");
  g_string_append (s, "]}");
  return g_string_free (s, FALSE);
}

/* A payload the codec refuses is never a "broadcast", but its envelope
 * reaches "broadcast-refused" (detailed by event) with the reason and the
 * request_id and pipeline when readable; a stale one is dropped. */
GST_START_TEST (test_broadcast_refused_signal)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
  RealtimeChannel *ch = join (c, "refused");
  GPtrArray *got = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *refused = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *starts = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *deep = nested_payload ("{\"request_id\":\"r4\",\"a\":", 65);
  g_autofree gchar *wide = wide_payload ("{\"pipeline\":\"cam\",\"a\":[", 4097);
  RealtimeClientStats before, after;

  g_signal_connect (ch, "broadcast", G_CALLBACK (collect), got);
  g_signal_connect (ch, "broadcast-refused", G_CALLBACK (collect_refused),
      refused);
  g_signal_connect (ch, "broadcast-refused::start",
      G_CALLBACK (collect_refused), starts);
  realtime_client_get_stats (c, &before);

  rt_server_broadcast_raw (server, "realtime:refused", "start",
      "{\"request_id\":\"r1\",\"pipeline\":\"cam\",\"params\":{\"s\":"
      "\"a\\u0000b\"}}");
  rt_server_broadcast_raw (server, "realtime:refused", "stop",
      "{\"pipeline\":\"cam\",\"request_id\":\"x\\ud800\"}");
  rt_server_broadcast_raw (server, "realtime:refused", "renew",
      "{\"request_id\":\"r3\",\"ttl\":18446744073709552000}");
  rt_server_broadcast_raw (server, "realtime:refused", "status", deep);
  rt_server_broadcast_raw (server, "realtime:refused", "start", wide);
  /* An older join's: not ours. */
  rt_server_send_raw_text (server,
      "[\"0\",null,\"realtime:refused\",\"broadcast\",{\"event\":\"start\","
      "\"payload\":{\"x\":1e999}}]");
  rt_server_broadcast (server, "realtime:refused", "after", "{}");
  fail_unless (RT_WAIT_UNTIL (got->len == 1, 3000));
  fail_unless_equals_int (refused->len, 5);
  fail_unless_equals_string (g_ptr_array_index (refused, 0),
      "start r1 cam: NUL character in a string");
  fail_unless_equals_string (g_ptr_array_index (refused, 1),
      "stop - cam: invalid escape");
  fail_unless_equals_string (g_ptr_array_index (refused, 2),
      "renew r3 -: number out of range");
  fail_unless_equals_string (g_ptr_array_index (refused, 3),
      "status r4 -: nested too deep");
  fail_unless_equals_string (g_ptr_array_index (refused, 4),
      "start - cam: too many members");
  fail_unless_equals_int (starts->len, 2);
  fail_unless_equals_string (g_ptr_array_index (got, 0), "after {}");
  realtime_client_get_stats (c, &after);
  fail_unless_equals_int (after.frames_dropped, before.frames_dropped + 6);
  fail_unless (is_joined (ch));
  g_ptr_array_unref (got);
  g_ptr_array_unref (refused);
  g_ptr_array_unref (starts);
  g_object_unref (c);
}

GST_END_TEST;

/* vsn 1.0.0 text frames as the service writes them (keys sorted, topic
 * last) are read too. */
GST_START_TEST (test_broadcast_refused_signal_v1)
{
  RealtimeClient *c = new_client (REALTIME_VSN_1_0_0);
  RealtimeChannel *ch = join (c, "refused1");
  GPtrArray *refused = g_ptr_array_new_with_free_func (g_free);

  g_signal_connect (ch, "broadcast-refused", G_CALLBACK (collect_refused),
      refused);
  rt_server_send_raw_text (server,
      "{\"event\":\"broadcast\",\"payload\":{\"event\":\"start\",\"payload\":"
      "{\"port\":-1e999,\"request_id\":\"v1\"},\"type\":\"broadcast\"},"
      "\"ref\":null,\"topic\":\"realtime:refused1\"}");
  /* Another topic, and a refused message that is no broadcast: nothing. */
  rt_server_send_raw_text (server,
      "{\"event\":\"broadcast\",\"payload\":{\"event\":\"start\",\"payload\":"
      "{\"port\":-1e999}},\"ref\":null,\"topic\":\"realtime:other\"}");
  rt_server_send_raw_text (server,
      "{\"event\":\"phx_reply\",\"payload\":{\"status\":\"ok\",\"response\":"
      "{\"a\":\"\\u0000\"}},\"ref\":\"1\",\"topic\":\"realtime:refused1\"}");
  fail_unless (RT_WAIT_UNTIL (refused->len == 1, 3000));
  rt_test_run_for (100);
  fail_unless_equals_int (refused->len, 1);
  fail_unless_equals_string (g_ptr_array_index (refused, 0),
      "start v1 -: number out of range");
  g_ptr_array_unref (refused);
  g_object_unref (c);
}

GST_END_TEST;

/* {"request_id": ID, "data": "xxx..."} of @size bytes. */
static gchar *
big_payload (const gchar *request_id, gsize size)
{
  g_autofree gchar *head
      = g_strdup_printf ("{\"request_id\":\"%s\",\"data\":\"", request_id);
  GString *s = g_string_sized_new (size + 1);

  g_string_append (s, head);
  while (s->len + 2 < size)
    g_string_append_c (s, 'x');
  g_string_append (s, "\"}");
  return g_string_free (s, FALSE);
}

/* Bytes of heap this process has allocated and not freed (glibc's
 * mallinfo2: small blocks in use plus mmapped ones). In-process, VmRSS also
 * carries what the server thread's copies left in glibc's arenas, which
 * moves with the machine's load; the heap in use does not. */
static gsize
heap_in_use (void)
{
  struct mallinfo2 mi = mallinfo2 ();

  return mi.uordblks + mi.hblkhd;
}

/* Broadcasts up to the service's largest (3,000 KB) above max-message-size
 * are refused with a reason on the same socket; a larger frame, which the
 * service could never relay, is the only one that closes it; and
 * max-message-size still says what is processed. Both versions. */
GST_START_TEST (test_oversized_broadcast_refused_socket_kept)
{
  RealtimeVsn vsn;

  for (vsn = REALTIME_VSN_1_0_0; vsn <= REALTIME_VSN_2_0_0; vsn++) {
    RealtimeClient *c = new_client (vsn);
    g_autofree gchar *name
        = g_strdup_printf ("big%s", realtime_vsn_to_string (vsn));
    g_autofree gchar *topic = g_strconcat ("realtime:", name, NULL);
    RealtimeChannel *ch = join (c, name);
    GPtrArray *got = g_ptr_array_new_with_free_func (g_free);
    GPtrArray *refused = g_ptr_array_new_with_free_func (g_free);
    g_autofree gchar *p15 = big_payload ("big-1", 1500 * 1000);
    g_autofree gchar *p29 = big_payload ("big-2", 2900 * 1000);
    g_autofree gchar *p4 = big_payload ("big-3", 4000 * 1000);
    RealtimeClientStats before, after;
    guint accepted = rt_server_get_n_accepted (server);
    const gchar *r;

    g_signal_connect (ch, "broadcast", G_CALLBACK (collect), got);
    g_signal_connect (ch, "broadcast-refused", G_CALLBACK (collect_refused),
        refused);
    realtime_client_get_stats (c, &before);
    rt_test_clear_logs ();
    rt_server_broadcast (server, topic, "start", p15);
    rt_server_broadcast (server, topic, "stop", p29);
    rt_server_broadcast (server, topic, "after", "{}");
    fail_unless (RT_WAIT_UNTIL (got->len == 1, 10000), "vsn %s",
        realtime_vsn_to_string (vsn));
    fail_unless_equals_int (refused->len, 2);
    r = g_ptr_array_index (refused, 0);
    fail_unless (g_str_has_prefix (r, "start big-1 -: message too large (15")
            && g_str_has_suffix (r, " bytes, limit 1048576)"),
        "%s", r);
    r = g_ptr_array_index (refused, 1);
    fail_unless (g_str_has_prefix (r, "stop big-2 -: message too large (29"),
        "%s", r);
    fail_unless (rt_test_count_logs ("max-message-size") >= 2);
    realtime_client_get_stats (c, &after);
    fail_unless_equals_int (after.reconnects, before.reconnects);
    fail_unless_equals_int (after.connects, before.connects);
    fail_unless_equals_int (rt_server_get_n_accepted (server), accepted);
    fail_unless (is_joined (ch));

    /* Processed when max-message-size allows it. */
    g_object_set (c, "max-message-size", 3 * 1024 * 1024, NULL);
    rt_server_broadcast (server, topic, "stop", p29);
    fail_unless (RT_WAIT_UNTIL (got->len == 2, 10000));
    fail_unless (g_str_has_prefix (g_ptr_array_index (got, 1),
        "stop {\"request_id\":\"big-2\""));
    g_object_set (c, "max-message-size", 1024 * 1024, NULL);

    /* Above the socket's limit: closed, and the client comes back. */
    rt_server_broadcast (server, topic, "start", p4);
    fail_unless (RT_WAIT_UNTIL ((realtime_client_get_stats (c, &after),
                                    after.reconnects > before.reconnects)
                         && is_joined (ch),
                     10000),
        "a 4 MB frame did not close the socket");
    fail_unless_equals_int (rt_server_get_n_accepted (server), accepted + 1);
    fail_unless_equals_int (refused->len, 2);
    g_ptr_array_unref (got);
    g_ptr_array_unref (refused);
    g_object_unref (c);
  }
}

GST_END_TEST;

/* Refusing large broadcasts costs one frame at a time: after 20 of 2.9 MB
 * the process (client and in-process server) holds no more than a few
 * frames' worth above what it held before. */
GST_START_TEST (test_oversized_broadcasts_memory_bounded)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
  RealtimeChannel *ch = join (c, "bigmem");
  GPtrArray *refused = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *payload = big_payload ("mem", 2900 * 1000);
  GPtrArray *got = g_ptr_array_new_with_free_func (g_free);
  RealtimeClientStats before, after;
  gsize heap0, heap1;
  guint i;

  g_signal_connect (ch, "broadcast-refused", G_CALLBACK (collect_refused),
      refused);
  g_signal_connect (ch, "broadcast", G_CALLBACK (collect), got);
  realtime_client_get_stats (c, &before);
  heap0 = heap_in_use ();
  for (i = 0; i < 20; i++) {
    rt_server_broadcast (server, "realtime:bigmem", "start", payload);
    fail_unless (RT_WAIT_UNTIL (refused->len == i + 1, 10000), "frame %u", i);
  }
  /* A small broadcast received after them: the server has sent every big
   * frame and the client has let go of the last one. */
  rt_server_broadcast (server, "realtime:bigmem", "mark", "{}");
  fail_unless (RT_WAIT_UNTIL (got->len == 1, 10000));
  heap1 = heap_in_use ();
  g_print ("20 refused 2.9 MB broadcasts: heap in use %.1f -> %.1f MiB\n",
      heap0 / 1048576.0, heap1 / 1048576.0);
  /* libsoup keeps its read buffer at its largest (one frame rounded up to a
   * power of two, 4 MiB), once; nothing grows with the number of frames. */
  fail_unless (heap1 < heap0 + 4.5 * 1048576,
      "the heap in use grew by %.1f MiB over 20 refused 2.9 MB broadcasts",
      ((gdouble)heap1 - heap0) / 1048576.0);
  g_ptr_array_unref (got);
  realtime_client_get_stats (c, &after);
  fail_unless_equals_int (after.reconnects, before.reconnects);
  fail_unless (is_joined (ch));
  g_ptr_array_unref (refused);
  g_object_unref (c);
}

GST_END_TEST;

/* An unusable ca-file fails closed: no falling back to the system CAs. */
static void
collect_reason (RealtimeClient *c, RealtimeClientState state,
    const gchar *reason, gpointer data)
{
  g_ptr_array_add (data, g_strdup (reason));
}

GST_START_TEST (test_unusable_ca_file_never_connects)
{
  GPtrArray *reasons = g_ptr_array_new_with_free_func (g_free);
  RealtimeClient *c;

  rt_test_clear_logs ();
  c = g_object_new (REALTIME_TYPE_CLIENT, "url", rt_server_get_url (server),
      "api-key", RT_TEST_API_KEY, "ca-file", "/nonexistent/ca.pem",
      "backoff-min", 5, "backoff-max", 20, NULL);

  g_signal_connect (c, "state-changed", G_CALLBACK (collect_reason), reasons);
  realtime_client_connect (c);
  rt_test_run_for (200);
  fail_unless_equals_int (rt_server_get_n_accepted (server), 0);
  fail_unless_equals_int (realtime_client_get_state (c),
      REALTIME_CLIENT_STATE_DISCONNECTED);
  fail_unless (
      rt_test_count_logs ("CA file /nonexistent/ca.pem not usable") >= 1);
  g_object_unref (c);
  g_ptr_array_unref (reasons);
}

GST_END_TEST;

/* --- flush, then leave --- */

typedef struct
{
  gboolean done;
  gboolean ok;
  GError *error;
  guint broadcasts_read; /* by the server when the flush completed */
  guint heartbeats_ok; /* the client's count then */
} Flushed;

static void
on_flushed (GObject *source, GAsyncResult *res, gpointer data)
{
  Flushed *f = data;
  RealtimeClientStats st;

  fail_if (f->done, "completed twice");
  f->ok
      = realtime_client_flush_finish (REALTIME_CLIENT (source), res, &f->error);
  f->broadcasts_read = rt_server_count_frames (server, NULL, "broadcast");
  realtime_client_get_stats (REALTIME_CLIENT (source), &st);
  f->heartbeats_ok = st.heartbeats_ok;
  f->done = TRUE;
}

/* The flush completed with FALSE and this error. */
static void
assert_flush_failed (Flushed *f, GQuark domain, gint code)
{
  fail_unless (f->done);
  fail_if (f->ok);
  fail_unless (g_error_matches (f->error, domain, code), "flush error: %s",
      f->error ? f->error->message : "none");
  g_clear_error (&f->error);
}

/* A client joined on "flush" whose own heartbeats never get in the way. */
static RealtimeClient *
flush_client (RealtimeChannel **ch)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);

  g_object_set (c, "heartbeat-interval", 20000, NULL);
  *ch = join (c, "flush");
  return c;
}

/* TRUE once the server has read the last frame sent: the broadcast sent
 * just before the flush is there when it completes. */
GST_START_TEST (test_flush_after_server_read)
{
  RealtimeChannel *ch;
  RealtimeClient *c = flush_client (&ch);
  g_autoptr (JsonNode) p = json_from_string ("{\"last\":true}", NULL);
  Flushed f = { 0 };

  realtime_channel_send_broadcast (ch, "report", p, NULL, NULL, NULL);
  realtime_client_flush_async (c, 3000, NULL, on_flushed, &f);
  fail_unless (RT_WAIT_UNTIL (f.done, 3000));
  g_assert_no_error (f.error);
  fail_unless (f.ok);
  fail_unless_equals_int (f.broadcasts_read, 1);
  g_object_unref (c);
}

GST_END_TEST;

/* A heartbeat pending when the flush starts was written before the last
 * frames: its reply is not the proof, the next heartbeat's is. Two
 * flushes started together both wait for that next one. */
GST_START_TEST (test_flush_ignores_pending_heartbeat)
{
  RealtimeChannel *ch;
  RealtimeClient *c = flush_client (&ch);
  g_autoptr (JsonNode) p = json_from_string ("{}", NULL);
  Flushed f1 = { 0 }, f2 = { 0 };
  RealtimeClientStats st;

  rt_server_set_reply_delay (server, 150);
  realtime_client_heartbeat_now (c);
  realtime_client_get_stats (c, &st);
  realtime_channel_send_broadcast (ch, "report", p, NULL, NULL, NULL);
  realtime_client_flush_async (c, 3000, NULL, on_flushed, &f1);
  realtime_client_flush_async (c, 3000, NULL, on_flushed, &f2);
  fail_unless (RT_WAIT_UNTIL (f1.done && f2.done, 3000));
  fail_unless (f1.ok && f2.ok);
  fail_unless_equals_int (f1.heartbeats_ok, st.heartbeats_ok + 2);
  fail_unless_equals_int (f2.heartbeats_ok, st.heartbeats_ok + 2);
  rt_server_set_reply_delay (server, 0);
  g_object_unref (c);
}

GST_END_TEST;

/* Not connected: FALSE at once, but never inside the call. */
GST_START_TEST (test_flush_not_connected)
{
  RealtimeClient *c = new_client (REALTIME_VSN_2_0_0);
  Flushed f = { 0 };

  realtime_client_flush_async (c, 3000, NULL, on_flushed, &f);
  fail_if (f.done, "completed inside the call");
  fail_unless (RT_WAIT_UNTIL (f.done, 500));
  assert_flush_failed (&f, REALTIME_ERROR, REALTIME_ERROR_DISCONNECTED);
  g_object_unref (c);
}

GST_END_TEST;

/* No heartbeat reply: FALSE at the timeout, the connection kept, and
 * nothing of the flush left attached. */
GST_START_TEST (test_flush_timeout)
{
  RealtimeChannel *ch;
  RealtimeClient *c = flush_client (&ch);
  Flushed f = { 0 };
  gint64 start;
  guint base;

  rt_test_run_for (20);
  base = rt_test_count_sources ();
  rt_server_set_answer_heartbeats (server, FALSE);
  start = g_get_monotonic_time ();
  realtime_client_flush_async (c, 200, NULL, on_flushed, &f);
  fail_unless (RT_WAIT_UNTIL (f.done, 3000));
  fail_unless ((g_get_monotonic_time () - start) / 1000 >= 190);
  assert_flush_failed (&f, REALTIME_ERROR, REALTIME_ERROR_TIMEOUT);
  fail_unless_equals_int (realtime_client_get_state (c),
      REALTIME_CLIENT_STATE_CONNECTED);
  fail_unless (RT_WAIT_UNTIL (rt_test_count_sources () <= base, 1000),
      "%u sources, %u before", rt_test_count_sources (), base);
  g_object_unref (c);
}

GST_END_TEST;

/* The client disconnects (or the link drops) while waiting: FALSE then,
 * not at the timeout. */
GST_START_TEST (test_flush_disconnected_meanwhile)
{
  RealtimeChannel *ch;
  RealtimeClient *c = flush_client (&ch);
  Flushed f = { 0 };

  rt_server_set_answer_heartbeats (server, FALSE);
  realtime_client_flush_async (c, 10000, NULL, on_flushed, &f);
  rt_test_run_for (50);
  fail_if (f.done);
  realtime_client_disconnect (c);
  fail_unless (RT_WAIT_UNTIL (f.done, 500));
  assert_flush_failed (&f, REALTIME_ERROR, REALTIME_ERROR_DISCONNECTED);

  memset (&f, 0, sizeof f);
  realtime_client_connect (c);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 3000));
  realtime_client_flush_async (c, 10000, NULL, on_flushed, &f);
  rt_server_drop_all (server);
  fail_unless (RT_WAIT_UNTIL (f.done, 3000));
  assert_flush_failed (&f, REALTIME_ERROR, REALTIME_ERROR_DISCONNECTED);
  g_object_unref (c);
}

GST_END_TEST;

GST_START_TEST (test_flush_cancelled)
{
  RealtimeChannel *ch;
  RealtimeClient *c = flush_client (&ch);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Flushed f = { 0 };

  rt_server_set_answer_heartbeats (server, FALSE);
  realtime_client_flush_async (c, 10000, cancellable, on_flushed, &f);
  rt_test_run_for (50);
  g_cancellable_cancel (cancellable);
  fail_unless (RT_WAIT_UNTIL (f.done, 500));
  assert_flush_failed (&f, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_object_unref (c);
}

GST_END_TEST;

static Suite *
client_suite (void)
{
  Suite *s = suite_create ("client");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_url_building);
  tcase_add_test (tc, test_broadcast_between_vsns);
  tcase_add_test (tc, test_broadcast_self);
  tcase_add_test (tc, test_broadcast_detail);
  tcase_add_test (tc, test_broadcast_ack);
  tcase_add_test (tc, test_heartbeat_signal_reports_rtt);
  tcase_add_test (tc, test_heartbeat_timeout_shorter_than_interval);
  tcase_add_test (tc, test_heartbeat_timeout_longer_than_interval);
  tcase_add_test (tc, test_ten_reconnects_v2);
  tcase_add_test (tc, test_ten_reconnects_v1);
  tcase_add_test (tc, test_handshake_401_is_config_error_at_cap);
  tcase_add_test (tc, test_handshake_500_backs_off_normally);
  tcase_add_test (tc, test_wrong_key_never_connects);
  tcase_add_test (tc, test_api_key_in_header);
  tcase_add_test (tc, test_disconnect_stops_reconnecting);
  tcase_add_test (tc, test_dispose_leaves_no_sources);
  tcase_add_test (tc, test_forced_reconnect_rejoins);
  tcase_add_test (tc, test_presence_track);
  tcase_add_test (tc, test_pushes_carry_current_join_ref);
  tcase_add_test (tc, test_stale_join_ref_dropped);
  tcase_add_test (tc, test_broadcast_refused_signal);
  tcase_add_test (tc, test_broadcast_refused_signal_v1);
  tcase_add_test (tc, test_oversized_broadcast_refused_socket_kept);
  tcase_add_test (tc, test_oversized_broadcasts_memory_bounded);
  tcase_add_test (tc, test_unusable_ca_file_never_connects);
  tcase_add_test (tc, test_flush_after_server_read);
  tcase_add_test (tc, test_flush_ignores_pending_heartbeat);
  tcase_add_test (tc, test_flush_not_connected);
  tcase_add_test (tc, test_flush_timeout);
  tcase_add_test (tc, test_flush_disconnected_meanwhile);
  tcase_add_test (tc, test_flush_cancelled);
  return s;
}

RT_TEST_MAIN (client);

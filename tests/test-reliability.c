/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-reliability.c: one test per failure class of README's Reliability table, each
 * against the local realtime server over loopback, with fault injection,
 * and each failing when its rule breaks.
 */
#include "test-util.h"

#include "gateway-process.h"
#include "realtime-channel.h"
#include "realtime-client.h"
#include "rt-server.h"

#include <string.h>

typedef struct
{
  RtServer *server;
  RealtimeClient *client;
  GPtrArray *channel_states; /* "topic:state:reason" */
  GPtrArray *heartbeats; /* RealtimeHeartbeatStatus as pointers */
  guint broadcasts;
  guint starts;
} Fixture;

static Fixture f;

static void
on_channel_state (RealtimeChannel *ch, RealtimeChannelState state,
    const gchar *reason, gpointer data)
{
  g_ptr_array_add (f.channel_states,
      g_strdup_printf ("%s:%s:%s", realtime_channel_get_name (ch),
          realtime_channel_state_to_string (state), reason));
}

static void
on_heartbeat (RealtimeClient *c, RealtimeHeartbeatStatus status, gdouble rtt,
    gpointer data)
{
  g_ptr_array_add (f.heartbeats, GUINT_TO_POINTER (status + 1));
}

static void
on_any_broadcast (RealtimeChannel *ch, const gchar *event, JsonNode *payload,
    gpointer data)
{
  f.broadcasts++;
}

static void
on_start (RealtimeChannel *ch, const gchar *event, JsonNode *payload,
    gpointer data)
{
  f.starts++;
}

static void
setup_with_vsn (RealtimeVsn vsn)
{
  GError *error = NULL;

  memset (&f, 0, sizeof f);
  f.server = rt_server_new (0, RT_TEST_API_KEY, &error);
  g_assert_no_error (error);
  f.client
      = g_object_new (REALTIME_TYPE_CLIENT, "url", rt_server_get_url (f.server),
          "api-key", RT_TEST_API_KEY, "vsn", vsn, "heartbeat-interval", 200,
          "join-timeout", 300, "backoff-min", 5, "backoff-max", 50, NULL);
  f.channel_states = g_ptr_array_new_with_free_func (g_free);
  f.heartbeats = g_ptr_array_new ();
  g_signal_connect (f.client, "heartbeat", G_CALLBACK (on_heartbeat), NULL);
}

static void
setup (void)
{
  setup_with_vsn (REALTIME_VSN_2_0_0);
}

static void
teardown (void)
{
  realtime_client_disconnect (f.client);
  g_clear_object (&f.client);
  g_clear_pointer (&f.server, rt_server_free);
  g_ptr_array_unref (f.channel_states);
  g_ptr_array_unref (f.heartbeats);
  /* Let cancelled operations finish so nothing outlives the test. */
  rt_test_run_for (20);
}

static RealtimeChannel *
add_channel (const gchar *name)
{
  RealtimeChannel *ch = realtime_client_channel (f.client, name);

  g_signal_connect (ch, "state-changed", G_CALLBACK (on_channel_state), NULL);
  g_signal_connect (ch, "broadcast", G_CALLBACK (on_any_broadcast), NULL);
  g_signal_connect (ch, "broadcast::start", G_CALLBACK (on_start), NULL);
  return ch;
}

static guint
joins_of (RealtimeChannel *ch)
{
  guint joins;

  g_object_get (ch, "joins", &joins, NULL);
  return joins;
}

static gboolean
is_joined (RealtimeChannel *ch)
{
  return realtime_channel_get_state (ch) == REALTIME_CHANNEL_STATE_JOINED;
}

static RealtimeChannel *
connect_and_join (const gchar *name)
{
  RealtimeChannel *ch = add_channel (name);

  realtime_channel_subscribe (ch);
  realtime_client_connect (f.client);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 5000), "channel never joined");
  return ch;
}

static guint
count_states (const gchar *needle)
{
  guint i, n = 0;

  for (i = 0; i < f.channel_states->len; i++)
    if (strstr (g_ptr_array_index (f.channel_states, i), needle))
      n++;
  return n;
}

/* Heartbeat frames received from connection @conn_id (0: any). */
static guint
heartbeats_on (guint conn_id, gint64 *times, guint max_times)
{
  GPtrArray *frames = rt_server_get_frames (f.server);
  guint i, n = 0;

  for (i = 0; i < frames->len; i++) {
    RtServerFrame *fr = g_ptr_array_index (frames, i);
    if (g_strcmp0 (fr->event, "heartbeat") == 0
        && g_strcmp0 (fr->topic, "phoenix") == 0
        && (conn_id == 0 || fr->conn_id == conn_id)) {
      if (times && n < max_times)
        times[n] = fr->time_us;
      n++;
    }
  }
  return n;
}

static guint
last_conn_id (void)
{
  return rt_server_get_n_accepted (f.server);
}

/* Drops every socket and waits for the client to be back and joined. */
static void
force_reconnect_and_rejoin (RealtimeChannel *ch)
{
  guint accepted = rt_server_get_n_accepted (f.server);
  guint joins = joins_of (ch);

  rt_server_drop_all (f.server);
  fail_unless (RT_WAIT_UNTIL (rt_server_get_n_accepted (f.server) > accepted
                       && joins_of (ch) > joins && is_joined (ch),
                   5000),
      "no reconnect and rejoin after a drop");
}

/* Row 1: the heartbeat is a repeating source, not one-shot. */
GST_START_TEST (test_rel01_heartbeat_repeats)
{
  gint64 t[6];
  guint i;

  g_object_set (f.client, "heartbeat-interval", 50, NULL);
  realtime_client_connect (f.client);
  fail_unless (RT_WAIT_UNTIL (heartbeats_on (0, NULL, 0) >= 6, 3000));
  heartbeats_on (0, t, 6);
  for (i = 1; i < 6; i++) {
    gint64 gap_ms = (t[i] - t[i - 1]) / 1000;
    /* At the configured interval: never faster, not wildly slower. */
    fail_unless (gap_ms >= 40 && gap_ms <= 400,
        "gap %" G_GINT64_FORMAT " ms between heartbeats %u and %u", gap_ms,
        i - 1, i);
  }
  /* Each has its own ref, and all were answered. */
  fail_unless (RT_WAIT_UNTIL (f.heartbeats->len >= 12, 1000));
  {
    RealtimeClientStats st;
    realtime_client_get_stats (f.client, &st);
    fail_unless (st.heartbeats_ok >= 5);
    fail_unless_equals_int (st.heartbeat_timeouts, 0);
  }
}

GST_END_TEST;

/* Row 2: a heartbeat source is created on every connect. */
GST_START_TEST (test_rel02_heartbeat_survives_reconnects)
{
  RealtimeChannel *ch;
  guint i;

  g_object_set (f.client, "heartbeat-interval", 40, NULL);
  ch = connect_and_join ("hb");
  for (i = 0; i < 10; i++) {
    guint conn;

    force_reconnect_and_rejoin (ch);
    conn = last_conn_id ();
    fail_unless (RT_WAIT_UNTIL (heartbeats_on (conn, NULL, 0) >= 2, 2000),
        "no heartbeats on connection %u after reconnect %u", conn, i + 1);
  }
  /* And exactly one heartbeat stream: at 40 ms over ~100 ms there can be
   * no more than a few per connection, never twice the rate. */
  {
    guint before = heartbeats_on (last_conn_id (), NULL, 0);
    rt_test_run_for (400);
    fail_unless (heartbeats_on (last_conn_id (), NULL, 0) - before <= 12);
  }
}

GST_END_TEST;

/* Row 3: an unanswered heartbeat is noticed within two intervals. */
GST_START_TEST (test_rel03_half_open_link_detected)
{
  RealtimeChannel *ch;
  gint64 start;
  guint accepted;
  RealtimeClientStats st;

  ch = connect_and_join ("halfopen");
  accepted = rt_server_get_n_accepted (f.server);
  rt_server_set_answer_heartbeats (f.server, FALSE);
  start = g_get_monotonic_time ();
  fail_unless (RT_WAIT_UNTIL (rt_server_get_n_accepted (f.server) > accepted,
                   3000),
      "the client never gave up on the silent socket");
  /* Interval 200 ms: detected within 2 intervals plus connect slack. */
  fail_unless ((g_get_monotonic_time () - start) / 1000 <= 2 * 200 + 250,
      "took %" G_GINT64_FORMAT " ms", (g_get_monotonic_time () - start) / 1000);
  realtime_client_get_stats (f.client, &st);
  fail_unless (st.heartbeat_timeouts >= 1);
  fail_unless (g_ptr_array_find (f.heartbeats,
      GUINT_TO_POINTER (REALTIME_HEARTBEAT_TIMEOUT + 1), NULL));

  rt_server_set_answer_heartbeats (f.server, TRUE);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch) && joins_of (ch) >= 2, 3000));
  fail_unless (count_states ("halfopen:errored:connection lost: heartbeat "
                             "timeout")
      >= 1);
  /* And it stays up once heartbeats are answered again. */
  accepted = rt_server_get_n_accepted (f.server);
  rt_test_run_for (700);
  fail_unless_equals_int (rt_server_get_n_accepted (f.server), accepted);
}

GST_END_TEST;

/* Row 4: subscribe is idempotent and rejoin works. */
GST_START_TEST (test_rel04_subscribe_idempotent)
{
  RealtimeChannel *ch = add_channel ("idem");
  guint i;

  realtime_client_connect (f.client);
  for (i = 0; i < 10; i++)
    realtime_channel_subscribe (ch);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 3000));
  for (i = 0; i < 10; i++)
    realtime_channel_subscribe (ch);
  rt_test_run_for (100);
  fail_unless_equals_int (rt_server_count_frames (f.server, "realtime:idem",
                              "phx_join"),
      1);
  /* Asking again for the same name gives the same channel. */
  fail_unless (realtime_client_channel (f.client, "idem") == ch);

  force_reconnect_and_rejoin (ch);
  fail_unless_equals_int (rt_server_count_frames (f.server, "realtime:idem",
                              "phx_join"),
      2);
  fail_unless_equals_int (rt_server_count_members (f.server, "realtime:idem"),
      1);
}

GST_END_TEST;

/* Row 5a: an error reply is never "joined"; it is retried. */
GST_START_TEST (test_rel05_join_rejected_never_joined)
{
  RealtimeChannel *ch = add_channel ("rej");

  rt_server_reject_joins (f.server, "realtime:rej", 2,
      "Unauthorized: You do not have permissions to read from this Channel "
      "topic: rej");
  realtime_channel_subscribe (ch);
  realtime_client_connect (f.client);
  fail_unless (RT_WAIT_UNTIL (count_states ("rej:errored:join rejected: "
                                            "Unauthorized")
          >= 1,
      3000));
  fail_if (is_joined (ch));
  fail_unless_equals_int (count_states ("rej:joined"), 0);
  /* Retried on schedule until the server accepts. */
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 3000));
  fail_unless_equals_int (count_states ("rej:errored:join rejected"), 2);
  fail_unless_equals_int (rt_server_count_frames (f.server, "realtime:rej",
                              "phx_join"),
      3);
  fail_unless_equals_int (count_states ("rej:joined"), 1);
}

GST_END_TEST;

/* Row 5b: no reply means a timeout, never "joined"; it is retried. */
GST_START_TEST (test_rel05_join_unanswered_times_out)
{
  RealtimeChannel *ch = add_channel ("swallow");
  gint64 start;

  rt_server_swallow_joins (f.server, "realtime:swallow", 1);
  realtime_channel_subscribe (ch);
  realtime_client_connect (f.client);
  start = g_get_monotonic_time ();
  fail_unless (
      RT_WAIT_UNTIL (count_states ("swallow:errored:join timed out") >= 1,
          3000));
  /* Not before the join timeout (300 ms). */
  fail_unless ((g_get_monotonic_time () - start) / 1000 >= 250);
  fail_unless_equals_int (count_states ("swallow:joined"), 0);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 3000));
  fail_unless_equals_int (rt_server_count_frames (f.server, "realtime:swallow",
                              "phx_join"),
      2);
  /* The timed-out join was left, so the server holds one membership. */
  fail_unless_equals_int (rt_server_count_members (f.server,
                              "realtime:swallow"),
      1);
  /* The retried join's own timeout was disarmed by its reply. */
  rt_test_run_for (500);
  fail_unless (is_joined (ch));
  fail_unless_equals_int (count_states ("swallow:errored"), 1);
}

GST_END_TEST;

/* Row 6: every channel's rejoin is tracked and retried. */
GST_START_TEST (test_rel06_rejoin_all_channels_tracked)
{
  RealtimeChannel *a = add_channel ("a");
  RealtimeChannel *b = add_channel ("b");
  RealtimeChannel *c = add_channel ("c");
  guint accepted;

  realtime_channel_subscribe (a);
  realtime_channel_subscribe (b);
  realtime_channel_subscribe (c);
  realtime_client_connect (f.client);
  fail_unless (
      RT_WAIT_UNTIL (is_joined (a) && is_joined (b) && is_joined (c), 3000));

  accepted = rt_server_get_n_accepted (f.server);
  rt_server_reject_joins (f.server, "realtime:b", 1, "RealtimeRestarting");
  rt_server_drop_all (f.server);
  fail_unless (
      RT_WAIT_UNTIL (rt_server_get_n_accepted (f.server) > accepted, 3000));
  fail_unless (RT_WAIT_UNTIL (count_states ("b:errored:join rejected: "
                                            "RealtimeRestarting")
          == 1,
      3000));
  fail_unless (
      RT_WAIT_UNTIL (is_joined (a) && is_joined (b) && is_joined (c), 3000));

  f.broadcasts = 0;
  rt_server_broadcast (f.server, "realtime:a", "ping", "{\"n\":1}");
  rt_server_broadcast (f.server, "realtime:b", "ping", "{\"n\":2}");
  rt_server_broadcast (f.server, "realtime:c", "ping", "{\"n\":3}");
  fail_unless (RT_WAIT_UNTIL (f.broadcasts == 3, 2000));
}

GST_END_TEST;

/* Row 7: handlers are not re-added by reconnects. */
GST_START_TEST (test_rel07_handlers_run_once_after_100_reconnects)
{
  RealtimeChannel *ch;
  guint i;

  g_object_set (f.client, "backoff-min", 1, "backoff-max", 5, NULL);
  ch = connect_and_join ("once");
  for (i = 0; i < 100; i++)
    force_reconnect_and_rejoin (ch);
  f.broadcasts = f.starts = 0;
  rt_server_broadcast (f.server, "realtime:once", "start", "{}");
  fail_unless (RT_WAIT_UNTIL (f.broadcasts >= 1, 2000));
  rt_test_run_for (100);
  fail_unless_equals_int (f.broadcasts, 1);
  fail_unless_equals_int (f.starts, 1);
}

GST_END_TEST;

/* Row 8: nothing owned by a connection outlives it. Run with
 * RT_RECONNECT_CYCLES=1000 under valgrind in CI. */
GST_START_TEST (test_reconnect_cycles_no_leak)
{
  RealtimeChannel *ch;
  const gchar *env = g_getenv ("RT_RECONNECT_CYCLES");
  guint cycles = env ? (guint)g_ascii_strtoull (env, NULL, 10) : 100;
  guint i, sources_warm = 0, sources_end;

  g_object_set (f.client, "backoff-min", 1, "backoff-max", 5, NULL);
  ch = connect_and_join ("leak");
  for (i = 0; i < cycles; i++) {
    force_reconnect_and_rejoin (ch);
    if (i == 4) {
      rt_test_run_for (20);
      sources_warm = rt_test_count_sources ();
    }
  }
  rt_test_run_for (20);
  sources_end = rt_test_count_sources ();
  GST_INFO ("%u cycles: live GSources %u after warm-up, %u at the end", cycles,
      sources_warm, sources_end);
  g_print ("reconnect cycles: %u, live GSources after warm-up %u, at end %u\n",
      cycles, sources_warm, sources_end);
  fail_unless (sources_end <= sources_warm + 1,
      "live GSources grew from %u to %u", sources_warm, sources_end);
}

GST_END_TEST;

/* Row 9: leave clears state; handlers are not duplicated. */
GST_START_TEST (test_rel09_unsubscribe_then_subscribe)
{
  RealtimeChannel *ch = connect_and_join ("cycle");

  realtime_channel_unsubscribe (ch);
  fail_unless (RT_WAIT_UNTIL (realtime_channel_get_state (ch)
          == REALTIME_CHANNEL_STATE_CLOSED,
      2000));
  fail_unless (
      RT_WAIT_UNTIL (rt_server_count_members (f.server, "realtime:cycle") == 0,
          2000));
  fail_unless_equals_int (rt_server_count_frames (f.server, "realtime:cycle",
                              "phx_leave"),
      1);

  realtime_channel_subscribe (ch);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 2000));
  fail_unless_equals_int (rt_server_count_frames (f.server, "realtime:cycle",
                              "phx_join"),
      2);
  fail_unless_equals_int (rt_server_count_members (f.server, "realtime:cycle"),
      1);

  f.broadcasts = 0;
  rt_server_broadcast (f.server, "realtime:cycle", "x", "{}");
  fail_unless (RT_WAIT_UNTIL (f.broadcasts >= 1, 2000));
  rt_test_run_for (100);
  fail_unless_equals_int (f.broadcasts, 1);

  /* Removing the channel detaches it: a new one starts clean. */
  realtime_client_remove_channel (f.client, ch);
  fail_unless (
      RT_WAIT_UNTIL (rt_server_count_members (f.server, "realtime:cycle") == 0,
          2000));
  ch = realtime_client_channel (f.client, "cycle");
  fail_unless_equals_int (realtime_channel_get_state (ch),
      REALTIME_CHANNEL_STATE_CLOSED);
  fail_unless_equals_int (joins_of (ch), 0);
}

GST_END_TEST;

/* Row 10: reconnects back off exponentially with jitter up to the cap. */
typedef struct
{
  gint64 dropped_at;
  gint64 connecting_at;
} Spread;

static void
on_spread_state (RealtimeClient *c, RealtimeClientState state,
    const gchar *reason, gpointer data)
{
  Spread *s = data;

  if (state == REALTIME_CLIENT_STATE_CONNECTING && s->dropped_at
      && !s->connecting_at)
    s->connecting_at = g_get_monotonic_time ();
}

static gboolean
all_connected (RealtimeClient **clients, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    if (realtime_client_get_state (clients[i])
        != REALTIME_CLIENT_STATE_CONNECTED)
      return FALSE;
  return TRUE;
}

static gboolean
all_reconnecting (Spread *s, guint n)
{
  guint i;

  for (i = 0; i < n; i++)
    if (!s[i].connecting_at)
      return FALSE;
  return TRUE;
}

GST_START_TEST (test_rel10_fleet_reconnects_spread_out)
{
  enum
  {
    N = 100
  };
  RealtimeClient *clients[N];
  Spread spread[N];
  gint64 now, min = G_MAXINT64, max = 0;
  GHashTable *buckets = g_hash_table_new (NULL, NULL);
  guint i;

  memset (spread, 0, sizeof spread);
  for (i = 0; i < N; i++) {
    clients[i] = g_object_new (REALTIME_TYPE_CLIENT, "url",
        rt_server_get_url (f.server), "api-key", RT_TEST_API_KEY, "backoff-min",
        1000, "backoff-max", 30000, NULL);
    g_signal_connect (clients[i], "state-changed", G_CALLBACK (on_spread_state),
        &spread[i]);
    realtime_client_connect (clients[i]);
  }
  fail_unless (RT_WAIT_UNTIL (all_connected (clients, N), 10000));

  now = g_get_monotonic_time ();
  for (i = 0; i < N; i++)
    spread[i].dropped_at = now;
  rt_server_drop_all (f.server);
  /* First delays are drawn from [0, 1000] ms. */
  fail_unless (RT_WAIT_UNTIL (all_reconnecting (spread, N), 5000));
  for (i = 0; i < N; i++) {
    gint64 d = (spread[i].connecting_at - now) / 1000;
    min = MIN (min, d);
    max = MAX (max, d);
    g_hash_table_add (buckets, GINT_TO_POINTER ((gint)(d / 50)));
  }
  g_print ("100 clients: first reconnect between %" G_GINT64_FORMAT
           " and %" G_GINT64_FORMAT " ms, %u distinct 50 ms buckets\n",
      min, max, g_hash_table_size (buckets));
  /* Lockstep would put them all in one bucket. */
  fail_unless (max - min >= 500, "spread only %" G_GINT64_FORMAT " ms",
      max - min);
  fail_unless (g_hash_table_size (buckets) >= 10);
  fail_unless (max <= 1000 + 500);

  g_hash_table_unref (buckets);
  for (i = 0; i < N; i++) {
    realtime_client_disconnect (clients[i]);
    g_object_unref (clients[i]);
  }
}

GST_END_TEST;

/* Row 10 with the real handshake failures: delays grow, capped. */
GST_START_TEST (test_rel10_backoff_grows_to_cap)
{
  gint64 times[10];
  guint i, n = 0;
  RealtimeClientStats st;

  g_object_set (f.client, "backoff-min", 20, "backoff-max", 160, NULL);
  rt_server_refuse_upgrades (f.server, 500, 8);
  realtime_client_connect (f.client);
  /* Time each attempt: 8 refused, the 9th accepted. */
  while (n < 9
      && RT_WAIT_UNTIL (realtime_client_get_state (f.client)
              == REALTIME_CLIENT_STATE_CONNECTING,
          2000)) {
    times[n++] = g_get_monotonic_time ();
    if (!RT_WAIT_UNTIL (realtime_client_get_state (f.client)
                != REALTIME_CLIENT_STATE_CONNECTING,
            2000))
      break;
    if (realtime_client_get_state (f.client) == REALTIME_CLIENT_STATE_CONNECTED)
      break;
  }
  fail_unless (n >= 9, "only %u attempts", n);
  /* Not a hot loop: eight jittered delays with these ceilings sum to about
   * 470 ms on average; 100 ms is over three deviations below that. */
  fail_unless ((times[n - 1] - times[0]) / 1000 >= 100,
      "8 retries in %" G_GINT64_FORMAT " ms", (times[n - 1] - times[0]) / 1000);
  /* Every gap stays under its ceiling (20, 40, 80, 160, 160 ...) plus the
   * handshake time: capped, never a fixed ladder beyond the cap. */
  for (i = 1; i < n; i++) {
    gint64 gap = (times[i] - times[i - 1]) / 1000;
    guint ceiling = MIN (160u, 20u << MIN (i - 1, 10u));
    fail_unless (gap <= ceiling + 150,
        "gap %u = %" G_GINT64_FORMAT " ms over ceiling %u", i, gap, ceiling);
  }
  fail_unless (RT_WAIT_UNTIL (realtime_client_get_state (f.client)
          == REALTIME_CLIENT_STATE_CONNECTED,
      3000));
  realtime_client_get_stats (f.client, &st);
  fail_unless (st.reconnects >= 8);
}

GST_END_TEST;

/* Row 11: a frame above max-message-size is refused with a log line and
 * the socket kept; only a frame above the socket's limit (3 MiB + 64 KiB,
 * more than the service relays) drops the link, and the client recovers. */
GST_START_TEST (test_rel11_oversized_frame_refused)
{
  RealtimeChannel *ch;
  guint accepted;

  g_object_set (f.client, "max-message-size", 64 * 1024, NULL);
  ch = connect_and_join ("big");
  accepted = rt_server_get_n_accepted (f.server);
  rt_test_clear_logs ();
  rt_server_send_oversized (f.server, 512 * 1024);
  fail_unless (RT_WAIT_UNTIL (rt_test_count_logs ("max-message-size") >= 1,
                   3000),
      "no log line about the oversized frame");
  /* Still receiving afterwards, on the same socket. */
  f.broadcasts = 0;
  rt_server_broadcast (f.server, "realtime:big", "after", "{}");
  fail_unless (RT_WAIT_UNTIL (f.broadcasts == 1, 3000));
  fail_unless_equals_int (rt_server_get_n_accepted (f.server), accepted);
  fail_unless (is_joined (ch));

  rt_server_send_oversized (f.server, 4 * 1024 * 1024);
  fail_unless (RT_WAIT_UNTIL (rt_server_get_n_accepted (f.server) > accepted
                       && is_joined (ch),
                   5000),
      "no reconnect after a frame above the socket's limit");
  f.broadcasts = 0;
  rt_server_broadcast (f.server, "realtime:big", "after", "{}");
  fail_unless (RT_WAIT_UNTIL (f.broadcasts == 1, 3000));
}

GST_END_TEST;

/* Row 12: garbage is counted and dropped; the subscription survives. */
static void
garbage_survived (void)
{
  RealtimeChannel *ch;
  guint accepted;
  RealtimeClientStats before, after;

  ch = connect_and_join ("garbage");
  accepted = rt_server_get_n_accepted (f.server);
  realtime_client_get_stats (f.client, &before);
  rt_server_send_garbage (f.server);
  fail_unless (
      RT_WAIT_UNTIL ((realtime_client_get_stats (f.client, &after),
                         after.frames_dropped >= before.frames_dropped + 5),
          3000));
  fail_unless (is_joined (ch));
  fail_unless_equals_int (rt_server_get_n_accepted (f.server), accepted);
  f.broadcasts = 0;
  rt_server_broadcast (f.server, "realtime:garbage", "after", "{}");
  fail_unless (RT_WAIT_UNTIL (f.broadcasts == 1, 3000));
  fail_unless_equals_int (rt_server_get_n_accepted (f.server), accepted);
}

GST_START_TEST (test_rel12_garbage_dropped_v2)
{
  garbage_survived ();
}

GST_END_TEST;

GST_START_TEST (test_rel12_garbage_dropped_v1)
{
  teardown ();
  setup_with_vsn (REALTIME_VSN_1_0_0);
  garbage_survived ();
}

GST_END_TEST;

/* Row 13: secrets never reach a log line. The log writer aborts on one;
 * this test makes the client log everything it can. */
GST_START_TEST (test_rel13_secrets_never_logged)
{
  RealtimeChannel *ch;

  rt_test_clear_logs ();
  realtime_client_set_access_token (f.client, RT_TEST_TOKEN);
  rt_server_refuse_upgrades (f.server, 401, 1);
  ch = connect_and_join ("secret");
  realtime_client_set_access_token (f.client, RT_TEST_TOKEN2);
  rt_server_send_garbage (f.server);
  force_reconnect_and_rejoin (ch);
  rt_server_send_system_error (f.server, "realtime:secret",
      "Token has expired 0 seconds ago");
  fail_unless (RT_WAIT_UNTIL (joins_of (ch) >= 3 && is_joined (ch), 3000));
  {
    g_autofree gchar *url = realtime_client_dup_redacted_url (f.client);
    fail_if (strstr (url, RT_TEST_API_KEY));
    fail_unless (strstr (url, "apikey=***") != NULL);
  }
  /* The check was not vacuous: the client did log, URLs included. */
  fail_unless (rt_test_count_logs ("realtime:") > 0);
  fail_unless (rt_test_count_logs ("apikey=***") >= 1);
  fail_unless (rt_test_count_logs ("HTTP 401") >= 1);
  fail_unless_equals_int (rt_test_count_logs (RT_TEST_API_KEY), 0);
  fail_unless_equals_int (rt_test_count_logs (RT_TEST_TOKEN), 0);
  fail_unless_equals_int (rt_test_count_logs (RT_TEST_TOKEN2), 0);
}

GST_END_TEST;

/* Row 14: a rotated token reaches joined channels and later joins. */
GST_START_TEST (test_rel14_token_rotation_applied)
{
  RealtimeChannel *a, *b;
  GPtrArray *frames;
  const gchar *last_join_token = NULL;
  guint i;

  realtime_client_set_access_token (f.client, RT_TEST_TOKEN);
  a = add_channel ("ta");
  b = add_channel ("tb");
  realtime_channel_subscribe (a);
  realtime_channel_subscribe (b);
  realtime_client_connect (f.client);
  fail_unless (RT_WAIT_UNTIL (is_joined (a) && is_joined (b), 3000));
  fail_unless_equals_string (rt_server_get_last_access_token (f.server,
                                 "realtime:ta"),
      RT_TEST_TOKEN);

  realtime_client_set_access_token (f.client, RT_TEST_TOKEN2);
  fail_unless (RT_WAIT_UNTIL (rt_server_count_frames (f.server, "realtime:ta",
                                  "access_token")
              == 1
          && rt_server_count_frames (f.server, "realtime:tb", "access_token")
              == 1,
      2000));
  fail_unless_equals_string (rt_server_get_last_access_token (f.server,
                                 "realtime:ta"),
      RT_TEST_TOKEN2);
  fail_unless_equals_string (rt_server_get_last_access_token (f.server,
                                 "realtime:tb"),
      RT_TEST_TOKEN2);

  force_reconnect_and_rejoin (a);
  fail_unless (RT_WAIT_UNTIL (is_joined (b), 2000));
  frames = rt_server_get_frames (f.server);
  for (i = 0; i < frames->len; i++) {
    RtServerFrame *fr = g_ptr_array_index (frames, i);
    if (g_strcmp0 (fr->event, "phx_join") == 0
        && g_strcmp0 (fr->topic, "realtime:tb") == 0)
      last_join_token
          = json_object_get_string_member_with_default (json_node_get_object (
                                                            fr->payload),
              "access_token", NULL);
  }
  fail_unless_equals_string (last_join_token, RT_TEST_TOKEN2);
}

GST_END_TEST;

/* Row 15: pushes while offline are buffered, bounded, sent in order. */
static void
on_send_done (GObject *source, GAsyncResult *res, gpointer data)
{
  GPtrArray *results = data;
  GError *error = NULL;

  if (realtime_channel_send_broadcast_finish (REALTIME_CHANNEL (source), res,
          &error))
    g_ptr_array_add (results, g_strdup ("ok"));
  else
    g_ptr_array_add (results, g_strdup (error->message));
  g_clear_error (&error);
}

static void
go_offline (RealtimeChannel *ch)
{
  rt_server_refuse_upgrades (f.server, 503, 3);
  rt_server_drop_all (f.server);
  fail_unless (RT_WAIT_UNTIL (!is_joined (ch), 2000));
}

static GPtrArray *
sent_broadcast_numbers (const gchar *topic)
{
  GPtrArray *frames = rt_server_get_frames (f.server);
  GPtrArray *out = g_ptr_array_new ();
  guint i;

  for (i = 0; i < frames->len; i++) {
    RtServerFrame *fr = g_ptr_array_index (frames, i);
    JsonObject *o, *inner;
    if (g_strcmp0 (fr->event, "broadcast") != 0
        || g_strcmp0 (fr->topic, topic) != 0)
      continue;
    o = json_node_get_object (fr->payload);
    inner = json_object_get_object_member (o, "payload");
    g_ptr_array_add (out,
        GINT_TO_POINTER ((gint)json_object_get_int_member (inner, "n")));
  }
  return out;
}

GST_START_TEST (test_rel15_offline_pushes_in_order)
{
  RealtimeChannel *ch = connect_and_join ("buf");
  GPtrArray *results = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *got;
  guint i;

  go_offline (ch);
  for (i = 0; i < 5; i++) {
    g_autofree gchar *json = g_strdup_printf ("{\"n\":%u}", i);
    g_autoptr (JsonNode) p = json_from_string (json, NULL);
    realtime_channel_send_broadcast (ch, "seq", p, NULL, on_send_done, results);
  }
  fail_unless_equals_int (results->len, 0);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 5000));
  fail_unless (RT_WAIT_UNTIL (results->len == 5, 3000));
  fail_unless (RT_WAIT_UNTIL (rt_server_count_frames (f.server, "realtime:buf",
                                  "broadcast")
          == 5,
      3000));
  got = sent_broadcast_numbers ("realtime:buf");
  fail_unless_equals_int (got->len, 5);
  for (i = 0; i < 5; i++)
    fail_unless_equals_int (GPOINTER_TO_INT (g_ptr_array_index (got, i)), i);
  g_ptr_array_unref (got);
  g_ptr_array_unref (results);
}

GST_END_TEST;

GST_START_TEST (test_rel15_offline_buffer_overflow_drops_oldest)
{
  RealtimeChannel *ch;
  GPtrArray *results = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *got;
  guint i, ok = 0;

  g_object_set (f.client, "push-buffer-size", 3, NULL);
  ch = connect_and_join ("ovf");
  go_offline (ch);
  rt_test_clear_logs ();
  for (i = 0; i < 5; i++) {
    g_autofree gchar *json = g_strdup_printf ("{\"n\":%u}", i);
    g_autoptr (JsonNode) p = json_from_string (json, NULL);
    realtime_channel_send_broadcast (ch, "seq", p, NULL, on_send_done, results);
  }
  /* The two oldest fail at once, with a log line each. */
  fail_unless (RT_WAIT_UNTIL (results->len == 2, 1000));
  fail_unless_equals_int (rt_test_count_logs ("push buffer full"), 2);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 5000));
  fail_unless (RT_WAIT_UNTIL (results->len == 5, 3000));
  for (i = 0; i < results->len; i++)
    ok += g_strcmp0 (g_ptr_array_index (results, i), "ok") == 0;
  fail_unless_equals_int (ok, 3);
  fail_unless (RT_WAIT_UNTIL (rt_server_count_frames (f.server, "realtime:ovf",
                                  "broadcast")
          == 3,
      3000));
  got = sent_broadcast_numbers ("realtime:ovf");
  fail_unless_equals_int (got->len, 3);
  for (i = 0; i < 3; i++)
    fail_unless_equals_int (GPOINTER_TO_INT (g_ptr_array_index (got, i)),
        i + 2);
  g_ptr_array_unref (got);
  g_ptr_array_unref (results);
}

GST_END_TEST;

/* Row 16: phx_error, phx_close and system errors rejoin. */
static void
server_ends_channel_then_rejoin (void (*fault) (RtServer *, const gchar *),
    const gchar *name)
{
  g_autofree gchar *topic = g_strconcat ("realtime:", name, NULL);
  RealtimeChannel *ch = connect_and_join (name);
  guint joins = joins_of (ch);

  fault (f.server, topic);
  fail_unless (RT_WAIT_UNTIL (realtime_channel_get_state (ch)
              == REALTIME_CHANNEL_STATE_ERRORED
          || joins_of (ch) > joins,
      2000));
  fail_unless (
      RT_WAIT_UNTIL (is_joined (ch) && joins_of (ch) == joins + 1, 3000));
  f.broadcasts = 0;
  rt_server_broadcast (f.server, topic, "again", "{}");
  fail_unless (RT_WAIT_UNTIL (f.broadcasts == 1, 2000));
}

static void
system_error (RtServer *server, const gchar *topic)
{
  rt_server_send_system_error (server, topic, "Too many messages per second");
}

GST_START_TEST (test_rel16_phx_error_rejoins)
{
  server_ends_channel_then_rejoin (rt_server_send_phx_error, "perr");
  fail_unless (count_states ("perr:errored:phx_error") == 1);
}

GST_END_TEST;

GST_START_TEST (test_rel16_phx_close_resubscribes)
{
  server_ends_channel_then_rejoin (rt_server_send_phx_close, "pclose");
  fail_unless (count_states ("pclose:errored:closed by server") == 1);
}

GST_END_TEST;

GST_START_TEST (test_rel16_system_error_resubscribes)
{
  server_ends_channel_then_rejoin (system_error, "psys");
  fail_unless (count_states ("psys:errored:system error from server: Too "
                             "many messages per second")
      == 1);
}

GST_END_TEST;

GST_START_TEST (test_rel16_v1_phx_error_rejoins)
{
  teardown ();
  setup_with_vsn (REALTIME_VSN_1_0_0);
  server_ends_channel_then_rejoin (rt_server_send_phx_error, "perr1");
}

GST_END_TEST;

static guint
heartbeats_ok (void)
{
  RealtimeClientStats stats;

  realtime_client_get_stats (f.client, &stats);
  return stats.heartbeats_ok;
}

/* Liveness counts bytes: a 256 KiB broadcast dripping in over 5 s holds
 * the heartbeat's reply back behind it (as a slow downlink does), with a
 * heartbeat interval and timeout of 0.5 s. The bytes arriving prove the
 * link alive: the socket stays, the broadcast arrives once. */
GST_START_TEST (test_slow_large_frame_keeps_the_socket)
{
  RealtimeChannel *ch;
  RealtimeClientStats stats;
  guint accepted, ok;

  g_object_set (f.client, "heartbeat-interval", 500, "heartbeat-timeout", 500,
      NULL);
  ch = connect_and_join ("drip");
  accepted = rt_server_get_n_accepted (f.server);
  /* A heartbeat exchange first, so the link is known to answer. */
  fail_unless (RT_WAIT_UNTIL (f.heartbeats->len >= 2, 3000));
  rt_server_drip_broadcast (f.server, "realtime:drip", "big", 256 * 1024, 5000);
  fail_unless (RT_WAIT_UNTIL (f.broadcasts >= 1, 20000),
      "the dripping broadcast never arrived");
  /* And the link goes on: answered heartbeats after it. */
  ok = heartbeats_ok ();
  fail_unless (RT_WAIT_UNTIL (heartbeats_ok () > ok, 3000),
      "no heartbeat answered after the large frame");
  rt_test_run_for (300);
  realtime_client_get_stats (f.client, &stats);
  fail_unless_equals_int (f.broadcasts, 1);
  fail_unless_equals_int (stats.heartbeat_timeouts, 0);
  fail_unless_equals_int (rt_server_get_n_accepted (f.server), accepted);
  fail_unless (is_joined (ch));
  /* The reply was late: the bytes, not the reply, kept the link. */
  fail_unless (stats.heartbeats_late >= 1, "no heartbeat was ever late");
}

GST_END_TEST;

/* Presence after every rejoin, end to end with the daemon: the server's
 * presence state shows the robot again after a forced reconnect and after
 * a channel-level rejoin (phx_error, the socket staying up). */
#define PRESENCE_CHANNEL "robot-presence"
#define PRESENCE_TOPIC "realtime:" PRESENCE_CHANNEL
#define PRESENCE_ID "test-robot"

static gboolean
robot_present (void)
{
  g_autoptr (JsonNode) state
      = rt_server_dup_presence_state (f.server, PRESENCE_TOPIC);
  JsonObject *all = json_node_get_object (state);
  JsonObject *entry = json_object_has_member (all, PRESENCE_ID)
      ? json_object_get_object_member (all, PRESENCE_ID)
      : NULL;
  JsonArray *metas = entry && json_object_has_member (entry, "metas")
      ? json_object_get_array_member (entry, "metas")
      : NULL;

  return metas && json_array_get_length (metas) == 1;
}

static gboolean
present_on_new_join (guint joins_before)
{
  return rt_server_count_frames (f.server, PRESENCE_TOPIC, "phx_join")
      > joins_before
      && rt_server_count_members (f.server, PRESENCE_TOPIC) == 1
      && robot_present ();
}

GST_START_TEST (test_presence_after_every_rejoin)
{
  g_autoptr (RtGatewayProcess) gp = rt_gateway_process_new ("presence");
  guint joins, accepted;

  rt_gateway_process_write_file (gp, "pipelines/fast.pipeline",
      "[pipeline]\ndescription=videotestsrc is-live=true ! fakesink\n");
  rt_gateway_process_write_config (gp, rt_server_get_url (f.server),
      PRESENCE_CHANNEL, NULL, "presence=true\n");
  rt_gateway_process_run (gp);
  RT_GATEWAY_FAIL_UNLESS (gp, RT_WAIT_UNTIL (robot_present (), 15000),
      "never present");

  /* A forced reconnect (SIGUSR1): a new socket, an empty presence. */
  joins = rt_server_count_frames (f.server, PRESENCE_TOPIC, "phx_join");
  accepted = rt_server_get_n_accepted (f.server);
  rt_gateway_process_signal (gp, SIGUSR1);
  RT_GATEWAY_FAIL_UNLESS (gp,
      RT_WAIT_UNTIL (rt_server_get_n_accepted (f.server) > accepted
              && present_on_new_join (joins),
          10000),
      "not present again after a reconnect");

  /* A channel-level rejoin: the server's channel crashed, the socket
   * stays. */
  joins = rt_server_count_frames (f.server, PRESENCE_TOPIC, "phx_join");
  accepted = rt_server_get_n_accepted (f.server);
  rt_server_send_phx_error (f.server, PRESENCE_TOPIC);
  fail_if (robot_present (), "the crashed channel kept its presence");
  RT_GATEWAY_FAIL_UNLESS (gp,
      RT_WAIT_UNTIL (present_on_new_join (joins), 10000),
      "not present again after a rejoin on phx_error");
  fail_unless_equals_int (rt_server_get_n_accepted (f.server), accepted);
}

GST_END_TEST;

static Suite *
reliability_suite (void)
{
  Suite *s = suite_create ("reliability");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_rel01_heartbeat_repeats);
  tcase_add_test (tc, test_rel02_heartbeat_survives_reconnects);
  tcase_add_test (tc, test_rel03_half_open_link_detected);
  tcase_add_test (tc, test_rel04_subscribe_idempotent);
  tcase_add_test (tc, test_rel05_join_rejected_never_joined);
  tcase_add_test (tc, test_rel05_join_unanswered_times_out);
  tcase_add_test (tc, test_rel06_rejoin_all_channels_tracked);
  tcase_add_test (tc, test_rel07_handlers_run_once_after_100_reconnects);
  tcase_add_test (tc, test_reconnect_cycles_no_leak);
  tcase_add_test (tc, test_rel09_unsubscribe_then_subscribe);
  tcase_add_test (tc, test_rel10_fleet_reconnects_spread_out);
  tcase_add_test (tc, test_rel10_backoff_grows_to_cap);
  tcase_add_test (tc, test_rel11_oversized_frame_refused);
  tcase_add_test (tc, test_rel12_garbage_dropped_v2);
  tcase_add_test (tc, test_rel12_garbage_dropped_v1);
  tcase_add_test (tc, test_rel13_secrets_never_logged);
  tcase_add_test (tc, test_rel14_token_rotation_applied);
  tcase_add_test (tc, test_rel15_offline_pushes_in_order);
  tcase_add_test (tc, test_rel15_offline_buffer_overflow_drops_oldest);
  tcase_add_test (tc, test_rel16_phx_error_rejoins);
  tcase_add_test (tc, test_rel16_phx_close_resubscribes);
  tcase_add_test (tc, test_rel16_system_error_resubscribes);
  tcase_add_test (tc, test_rel16_v1_phx_error_rejoins);
  tcase_add_test (tc, test_slow_large_frame_keeps_the_socket);
  tcase_add_test (tc, test_presence_after_every_rejoin);
  return s;
}

RT_TEST_MAIN (reliability);

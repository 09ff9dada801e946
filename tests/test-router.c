/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-router.c: the router both front ends run, on a real channel of the
 * local realtime server, with controllers over the fake runner (auto
 * mode: every start plays, every stop stops). The test is the REST
 * endpoint: it broadcasts requests through the server and reads the
 * replies the server received. Event names, addressing, the max-ttl
 * check, request ids on every answer and pipelines added from outside.
 */
#include "test-util.h"

#include "fake-runner.h"
#include "realtime-client.h"
#include "reply-collector.h"
#include "router.h"
#include "rt-server.h"

#include <string.h>

#define CHANNEL "router-test"
#define TOPIC "realtime:" CHANNEL

typedef struct
{
  RtServer *server;
  RealtimeClient *client;
  RealtimeChannel *channel;
  GatewayRouter *router;
  RtReplyCollector *replies;
  GPtrArray *controllers; /* OnDemandController* */
  GPtrArray *runners; /* RtFakeRunner*, in the order of controllers */
} Fixture;

static Fixture f;

static void
setup (void)
{
  GError *error = NULL;

  memset (&f, 0, sizeof f);
  f.server = rt_server_new (0, RT_TEST_API_KEY, &error);
  g_assert_no_error (error);
  f.client = g_object_new (REALTIME_TYPE_CLIENT, "url",
      rt_server_get_url (f.server), "api-key", RT_TEST_API_KEY,
      "heartbeat-interval", 1000, "backoff-min", 10, "backoff-max", 100, NULL);
  f.channel = realtime_client_channel (f.client, CHANNEL);
  f.controllers = g_ptr_array_new_with_free_func (g_object_unref);
  f.runners = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
teardown (void)
{
  g_clear_object (&f.router);
  g_ptr_array_unref (f.controllers);
  g_ptr_array_unref (f.runners);
  g_clear_pointer (&f.replies, rt_reply_collector_free);
  realtime_client_disconnect (f.client);
  g_clear_object (&f.client);
  g_clear_pointer (&f.server, rt_server_free);
  rt_test_run_for (20);
}

/* The router on the channel, joined; replies collected under @reply. */
static const GatewayEventNames default_events = GATEWAY_EVENT_NAMES_DEFAULT;

static void
start_router (const GatewayEventNames *events)
{
  f.router = gateway_router_new (f.channel, events);
  f.replies = rt_reply_collector_new (f.server, TOPIC, events->reply);
  realtime_channel_subscribe (f.channel);
  realtime_client_connect (f.client);
  fail_unless (RT_WAIT_UNTIL (realtime_channel_get_state (f.channel)
          == REALTIME_CHANNEL_STATE_JOINED,
      5000));
}

/* A pipeline @name over a fake runner in auto mode, added to the router;
 * its runner. */
static RtFakeRunner *
add_pipeline (const gchar *name, guint max_ttl_s)
{
  g_autoptr (PipelineDef) def = pipeline_def_new (name);
  RtFakeRunner *runner = rt_fake_runner_new ();
  OnDemandController *ctl;

  def->max_ttl_s = max_ttl_s;
  rt_fake_runner_set_auto (runner, TRUE);
  ctl = on_demand_controller_new (def, ON_DEMAND_RUNNER (runner));
  gateway_router_add_controller (f.router, ctl);
  g_ptr_array_add (f.controllers, ctl);
  g_ptr_array_add (f.runners, runner);
  return runner;
}

static void
request (const gchar *event, const gchar *json)
{
  rt_server_broadcast (f.server, TOPIC, event, json);
}

static const RtReply *
wait_reply (const gchar *pipeline, const gchar *state, const gchar *id)
{
  const RtReply *r
      = rt_reply_collector_wait (f.replies, pipeline, state, id, 5000);

  if (!r) {
    g_autofree gchar *seen
        = rt_replies_describe (rt_reply_collector_get_replies (f.replies), 0,
            20);
    fail ("no %s reply for %s (request %s); seen: %s", state,
        pipeline ? pipeline : "any pipeline", id ? id : "-", seen);
  }
  return r;
}

static guint
count_replies (const gchar *id)
{
  rt_reply_collector_poll (f.replies);
  return rt_reply_collector_count (f.replies, NULL, NULL, id);
}

GST_START_TEST (test_renamed_events_end_to_end)
{
  GatewayEventNames events = { "go", "halt", "extend", "ask", "robot_state" };
  g_autoptr (RtReplyCollector) default_replies = NULL;
  RtFakeRunner *runner;

  start_router (&events);
  default_replies = rt_reply_collector_new (f.server, TOPIC, NULL);
  runner = add_pipeline ("cam", 0);

  request ("go", "{\"pipeline\":\"cam\",\"request_id\":\"e1\"}");
  wait_reply ("cam", "starting", "e1");
  wait_reply ("cam", "playing", "e1");
  request ("extend", "{\"pipeline\":\"cam\",\"ttl\":10,\"request_id\":\"e2\"}");
  wait_reply ("cam", "playing", "e2");
  /* The default names mean nothing now. */
  request ("stop", "{\"pipeline\":\"cam\",\"request_id\":\"x1\"}");
  request ("status", "{\"request_id\":\"x2\"}");
  request ("ask", "{\"request_id\":\"e3\"}");
  wait_reply ("cam", "playing", "e3");
  fail_unless_equals_int (count_replies ("x1"), 0);
  fail_unless_equals_int (count_replies ("x2"), 0);
  fail_unless_equals_int (rt_fake_runner_get_stop_count (runner), 0);

  request ("halt", "{\"pipeline\":\"cam\",\"request_id\":\"e4\"}");
  /* Four answers in a second spent the outbound budget's burst: stopping
   * and stopped may be coalesced into one answer, the latest state. */
  wait_reply ("cam", "stopped", "e4");
  fail_unless_equals_int (rt_fake_runner_get_stop_count (runner), 1);
  /* Every reply went out under the renamed reply event, none under the
   * default one. */
  rt_reply_collector_poll (default_replies);
  fail_unless_equals_int (rt_reply_collector_get_replies (default_replies)->len,
      0);
}

GST_END_TEST;

GST_START_TEST (test_default_pipeline_addressing)
{
  RtFakeRunner *runner;

  start_router (&default_events);
  runner = add_pipeline ("cam", 0);
  gateway_router_set_default_pipeline (f.router, "cam");

  /* No "pipeline" (or null): for the default one. */
  request ("start", "{\"request_id\":\"d1\"}");
  wait_reply ("cam", "playing", "d1");
  /* Another pipeline's requests get no answer at all, and touch nothing:
   * checked once the answer to a later request is in. */
  request ("stop", "{\"pipeline\":\"other\",\"request_id\":\"d2\"}");
  request ("status", "{\"pipeline\":\"other\",\"request_id\":\"d3\"}");
  request ("renew", "{\"pipeline\":\"other\",\"ttl\":5,\"request_id\":\"d4\"}");
  request ("status", "{\"request_id\":\"d5\"}");
  wait_reply ("cam", "playing", "d5");
  fail_unless_equals_int (count_replies ("d2"), 0);
  fail_unless_equals_int (count_replies ("d3"), 0);
  fail_unless_equals_int (count_replies ("d4"), 0);
  fail_unless_equals_int (rt_fake_runner_get_stop_count (runner), 0);
  /* Naming it works too; a null pipeline is no pipeline. */
  request ("status", "{\"pipeline\":\"cam\",\"request_id\":\"d6\"}");
  wait_reply ("cam", "playing", "d6");
  request ("stop", "{\"pipeline\":null,\"request_id\":\"d7\"}");
  wait_reply ("cam", "stopped", "d7");

  /* Back to the daemon's addressing: unknown names are answered. */
  gateway_router_set_default_pipeline (f.router, NULL);
  request ("start", "{\"pipeline\":\"other\",\"request_id\":\"d8\"}");
  fail_unless (
      strstr (wait_reply ("other", "failed", "d8")->error, "unknown pipeline")
      != NULL);
  request ("start", "{\"request_id\":\"d9\"}");
  fail_unless (
      strstr (wait_reply (NULL, "failed", "d9")->error, "pipeline") != NULL);
  fail_unless_equals_int (rt_fake_runner_get_start_count (runner), 1);
}

GST_END_TEST;

GST_START_TEST (test_max_ttl_refused_with_reason)
{
  RtFakeRunner *runner;
  const RtReply *r;

  start_router (&default_events);
  runner = add_pipeline ("cam", 30);

  request ("start", "{\"pipeline\":\"cam\",\"ttl\":600,\"request_id\":\"t1\"}");
  r = wait_reply ("cam", "failed", "t1");
  fail_unless_equals_string (r->error,
      "ttl 600 is above the pipeline's max-ttl 30");
  fail_unless_equals_int (rt_fake_runner_get_start_count (runner), 0);

  request ("start", "{\"pipeline\":\"cam\",\"ttl\":30,\"request_id\":\"t2\"}");
  wait_reply ("cam", "playing", "t2");
  request ("renew", "{\"pipeline\":\"cam\",\"ttl\":31,\"request_id\":\"t3\"}");
  r = wait_reply ("cam", "failed", "t3");
  fail_unless_equals_string (r->error,
      "ttl 31 is above the pipeline's max-ttl 30");
  /* The refusal touched nothing: still playing, renewable in bounds. */
  request ("renew", "{\"pipeline\":\"cam\",\"ttl\":20,\"request_id\":\"t4\"}");
  wait_reply ("cam", "playing", "t4");
  fail_unless_equals_int (rt_fake_runner_get_start_count (runner), 1);
  fail_unless_equals_int (rt_fake_runner_get_stop_count (runner), 0);
}

GST_END_TEST;

GST_START_TEST (test_every_request_answered_with_its_request_id)
{
  /* Each is sent once the one before was answered: @state is its answer
   * (for status without a pipeline, the "cam" line). */
  static const struct
  {
    const gchar *event, *json, *id, *state;
  } requests[] = {
    { "start", "{\"pipeline\":\"cam\",\"request_id\":\"a1\"}", "a1",
        "playing" },
    { "start", "{\"pipeline\":\"cam\",\"request_id\":\"a2\"}", "a2",
        "playing" },
    { "renew", "{\"pipeline\":\"cam\",\"ttl\":5,\"request_id\":\"a3\"}", "a3",
        "playing" },
    { "status", "{\"pipeline\":\"cam\",\"request_id\":\"a4\"}", "a4",
        "playing" },
    { "status", "{\"request_id\":\"a5\"}", "a5", "playing" },
    { "stop", "{\"pipeline\":\"cam\",\"request_id\":\"a6\"}", "a6", "stopped" },
    { "stop", "{\"pipeline\":\"cam\",\"request_id\":\"a7\"}", "a7", "stopped" },
    /* Refused from here on, each with a reason. */
    { "renew", "{\"pipeline\":\"cam\",\"ttl\":5,\"request_id\":\"a8\"}", "a8",
        "failed" },
    { "start", "{\"pipeline\":\"nope\",\"request_id\":\"a9\"}", "a9",
        "failed" },
    { "start", "{\"pipeline\":\"cam\",\"params\":[1],\"request_id\":\"a10\"}",
        "a10", "failed" },
    { "start",
        "{\"pipeline\":\"cam\",\"params\":{\"x\":1},"
        "\"request_id\":\"a11\"}",
        "a11", "failed" },
    { "renew", "{\"pipeline\":\"cam\",\"request_id\":\"a12\"}", "a12",
        "failed" },
    { "stop", "{\"pipeline\":\"../cam\",\"request_id\":\"a13\"}", "a13",
        "failed" },
    { "start", "{\"pipeline\":\"cam\",\"ttl\":\"soon\",\"request_id\":\"a14\"}",
        "a14", "failed" },
  };
  const guint first_refused = 7;
  GatewayRouterStats stats;
  guint i;

  start_router (&default_events);
  add_pipeline ("cam", 0);
  add_pipeline ("mic", 0);

  for (i = 0; i < G_N_ELEMENTS (requests); i++) {
    const RtReply *r;

    request (requests[i].event, requests[i].json);
    r = wait_reply (i < first_refused ? "cam" : NULL, requests[i].state,
        requests[i].id);
    if (i >= first_refused)
      fail_unless (r->error && *r->error, "no reason for %s", requests[i].id);
  }
  /* Status without a pipeline answers for each. */
  wait_reply ("mic", "stopped", "a5");
  fail_unless_equals_int (count_replies ("a5"), 2);
  gateway_router_get_stats (f.router, &stats);
  fail_unless_equals_int (stats.requests, G_N_ELEMENTS (requests));
  fail_unless_equals_int (stats.rejected,
      G_N_ELEMENTS (requests) - first_refused);
}

GST_END_TEST;

/* A payload the client's codec refuses never becomes a request, yet its
 * sender still gets exactly one answer: "failed" with the codec's reason,
 * and the request_id when it could be read (null otherwise). Each case is
 * sent verbatim (a binary broadcast), then a marker whose answer closes
 * the case: the replies between are the case's. */
typedef struct
{
  const gchar *event;
  gchar *json;
  const gchar *id; /* NULL: the answer carries request_id null */
  const gchar *reason; /* NULL: no answer at all */
} Refusal;

static GString *
nested_array (const gchar *prefix, guint depth, const gchar *suffix)
{
  GString *s = g_string_new (prefix);
  guint i;

  for (i = 0; i < depth; i++)
    g_string_append_c (s, '[');
  for (i = 0; i < depth; i++)
    g_string_append_c (s, ']');
  g_string_append (s, suffix);
  return s;
}

GST_START_TEST (test_codec_refusals_answered_once)
{
  GString *members = g_string_new ("{\"request_id\":\"m1\",\"x\":[0");
  GString *large
      = g_string_new ("{\"pipeline\":\"cam\",\"request_id\":\"l1\",\"j\":\"");
  Refusal cases[] = {
    { "start",
        g_strdup ("{\"pipeline\":\"cam\",\"request_id\":\"n1\","
                  "\"params\":{\"x\":\"a\\u0000b\"}}"),
        "n1", "NUL character in a string" },
    { "start", g_strdup ("{\"pipeline\":\"cam\",\"request_id\":\"\\u0000\"}"),
        NULL, "NUL character in a string" },
    { "stop",
        g_strdup ("{\"pipeline\":\"cam\",\"request_id\":\"e1\","
                  "\"note\":\"\\ud800\"}"),
        "e1", "invalid escape" },
    { "stop", g_strdup ("{\"pipeline\":\"cam\",\"request_id\":\"\\udc00\"}"),
        NULL, "invalid escape" },
    { "renew",
        g_strdup ("{\"pipeline\":\"cam\",\"request_id\":\"r1\","
                  "\"ttl\":18446744073709552000}"),
        "r1", "number out of range" },
    { "start",
        g_strdup ("{\"pipeline\":\"cam\",\"request_id\":\"r2\","
                  "\"params\":{\"port\":1e999}}"),
        "r2", "number out of range" },
    { "status", g_strdup ("{\"x\":-1e999}"), NULL, "number out of range" },
    { "describe", g_strdup ("{\"request_id\":\"r3\",\"x\":\"\\u0000\"}"), "r3",
        "NUL character in a string" },
    { "status",
        g_string_free (nested_array ("{\"request_id\":\"d1\",\"x\":", 65, "}"),
            FALSE),
        "d1", "nested too deep" },
    { "stop",
        g_string_free (nested_array ("{\"pipeline\":\"cam\",\"request_id\":",
                           10000, "}"),
            FALSE),
        NULL, "nested too deep" },
    { "status", NULL, "m1", "too many members" },
    { "start", NULL, "l1", "message too large" },
    /* Not a request event: nothing, whatever it holds. */
    { "evil",
        g_strdup ("{\"pipeline\":\"cam\",\"request_id\":\"u1\","
                  "\"x\":\"\\u0000\"}"),
        "u1", NULL },
  };
  GPtrArray *all;
  guint i, k;

  for (i = 0; i < 4096; i++)
    g_string_append (members, ",0");
  g_string_append (members, "]}");
  cases[10].json = g_string_free (members, FALSE);
  for (i = 0; i < 1200 * 1000; i++)
    g_string_append_c (large, 'x');
  g_string_append (large, "\"}");
  cases[11].json = g_string_free (large, FALSE);

  start_router (&default_events);
  /* The answers, not the outbound budget, are under test here. */
  gateway_router_set_send_budget (f.router, 1000, 1000);
  add_pipeline ("cam", 0);

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    const Refusal *c = &cases[i];
    g_autofree gchar *mark = g_strdup_printf ("mark-%u", i);
    g_autofree gchar *mark_json
        = g_strdup_printf ("{\"pipeline\":\"cam\",\"request_id\":\"%s\"}",
            mark);
    guint from, n = 0;
    const RtReply *m, *r = NULL;

    rt_reply_collector_poll (f.replies);
    from = rt_reply_collector_get_replies (f.replies)->len;
    rt_server_broadcast_raw (f.server, TOPIC, c->event, c->json);
    request ("status", mark_json);
    m = rt_reply_collector_wait_from (f.replies, from, "cam", NULL, mark, 5000);
    fail_unless (m != NULL, "case %u (%s): the marker was not answered", i,
        c->event);
    all = rt_reply_collector_get_replies (f.replies);
    for (k = from; k < all->len && g_ptr_array_index (all, k) != m; k++) {
      r = g_ptr_array_index (all, k);
      n++;
    }
    if (!c->reason) {
      fail_unless_equals_int (n, 0);
      continue;
    }
    fail_unless_equals_int (n, 1);
    fail_unless_equals_string (r->state, "failed");
    fail_unless (r->error && strstr (r->error, c->reason),
        "case %u: reason \"%s\", expected \"%s\"", i, r->error, c->reason);
    fail_unless_equals_string (r->request_id, c->id);
    if (c->id) {
      fail_unless (r->request_ids && r->request_ids[0] && !r->request_ids[1]);
      fail_unless_equals_string (r->request_ids[0], c->id);
    } else {
      fail_unless (!r->request_ids || !r->request_ids[0],
          "case %u: request_ids not empty", i);
    }
  }
  /* Still joined, and the pipeline untouched. */
  fail_unless_equals_int (realtime_channel_get_state (f.channel),
      REALTIME_CHANNEL_STATE_JOINED);
  fail_unless_equals_int (rt_fake_runner_get_start_count (
                              g_ptr_array_index (f.runners, 0)),
      0);
  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    g_free (cases[i].json);
}

GST_END_TEST;

static void
on_pipelines_changed (GatewayRouter *router, gpointer user_data)
{
  (*(guint *)user_data)++;
}

GST_START_TEST (test_add_controller)
{
  g_autoptr (GPtrArray) pipelines = NULL;
  g_autoptr (GHashTable) defs = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, (GDestroyNotify)pipeline_def_unref);
  RtFakeRunner *front, *back;
  guint changed = 0;
  gulong id;

  start_router (&default_events);
  id = g_signal_connect (f.router, "pipelines-changed",
      G_CALLBACK (on_pipelines_changed), &changed);
  back = add_pipeline ("back", 0);
  front = add_pipeline ("front", 0);
  fail_unless_equals_int (changed, 2);
  pipelines = gateway_router_get_pipelines (f.router);
  fail_unless_equals_int (pipelines->len, 2);
  fail_unless (
      g_ptr_array_index (pipelines, 0) == g_ptr_array_index (f.controllers, 0));
  fail_unless (
      g_ptr_array_index (pipelines, 1) == g_ptr_array_index (f.controllers, 1));

  /* Requests reach the pipeline they name, and only it. */
  request ("start", "{\"pipeline\":\"front\",\"request_id\":\"c1\"}");
  wait_reply ("front", "playing", "c1");
  fail_unless_equals_int (rt_fake_runner_get_start_count (front), 1);
  fail_unless_equals_int (rt_fake_runner_get_start_count (back), 0);
  fail_unless (
      on_demand_controller_get_state (g_ptr_array_index (f.controllers, 1))
      == ON_DEMAND_STATE_PLAYING);

  /* Definitions installed later neither drop nor replace them. */
  gateway_router_set_definitions (f.router, defs);
  g_clear_pointer (&pipelines, g_ptr_array_unref);
  pipelines = gateway_router_get_pipelines (f.router);
  fail_unless_equals_int (pipelines->len, 2);
  request ("status", "{\"request_id\":\"c2\"}");
  wait_reply ("front", "playing", "c2");
  wait_reply ("back", "stopped", "c2");
  g_signal_handler_disconnect (f.router, id);
}

GST_END_TEST;

static Suite *
router_suite (void)
{
  Suite *s = suite_create ("router");
  TCase *tc = tcase_create ("general");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_renamed_events_end_to_end);
  tcase_add_test (tc, test_default_pipeline_addressing);
  tcase_add_test (tc, test_max_ttl_refused_with_reason);
  tcase_add_test (tc, test_every_request_answered_with_its_request_id);
  tcase_add_test (tc, test_codec_refusals_answered_once);
  tcase_add_test (tc, test_add_controller);
  return s;
}

RT_TEST_MAIN (router);

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-describe.c: the "describe" request and its "catalog" answer
 * (describe.h). The catalog of definitions loaded from files as the
 * daemon loads them: kinds of output, lease bounds, every param with its
 * type, bounds, choices, pattern and default, and nothing private (no
 * description, element, property, prefix or suffix). Then the router on a
 * real channel of the local realtime server, in the daemon's addressing
 * (its id, every pipeline or one, unknown pipelines and bad requests
 * answered, renamed events) and in realtimesrc's (its own name as id,
 * other injectors' pipelines ignored).
 */
#include "test-util.h"

#include "describe.h"
#include "fake-runner.h"
#include "realtime-client.h"
#include "reply-collector.h"
#include "request.h"
#include "router.h"
#include "rt-server.h"

#include <string.h>

#define CHANNEL "describe-test"
#define TOPIC "realtime:" CHANNEL

static const gchar *const test_vars[]
    = { "RECORDINGS_DIR=/srv/secret-rec", NULL };

#define RTP_DEF                                                                \
  "[pipeline]\n"                                                               \
  "description=videotestsrc name=src ! x264enc name=enc ! rtph264pay ! "       \
  "udpsink name=sink host=127.0.0.1 port=5000\n"                               \
  "summary=test pattern over RTP\n"                                            \
  "default-ttl=60\n"                                                           \
  "max-ttl=3600\n"                                                             \
  "[param:bitrate]\n"                                                          \
  "element=enc\nproperty=bitrate\ntype=uint\nmin=100\nmax=8000\n"              \
  "default=2000\ndescription=kbit/s\n"                                         \
  "[param:offset]\n"                                                           \
  "element=src\nproperty=horizontal-speed\ntype=int\nmin=-10\n"                \
  "[param:gain]\n"                                                             \
  "element=src\nproperty=foreground-color\ntype=double\nmax=2.5\n"             \
  "default=1.5\n"                                                              \
  "[param:pattern]\n"                                                          \
  "element=src\nproperty=pattern\ntype=enum\nvalues=smpte;ball;snow\n"         \
  "default=ball\n"                                                             \
  "[param:live]\n"                                                             \
  "element=src\nproperty=is-live\ntype=boolean\ndefault=true\n"                \
  "[param:host]\n"                                                             \
  "element=sink\nproperty=host\ntype=host\ndefault=127.0.0.1\n"

#define FILE_DEF                                                               \
  "[pipeline]\n"                                                               \
  "description=videotestsrc ! x264enc ! mp4mux ! filesink name=sink "          \
  "location=${RECORDINGS_DIR}/x.mp4\n"                                         \
  "[param:file]\n"                                                             \
  "element=sink\nproperty=location\ntype=string\n"                             \
  "pattern=^[a-z][a-z0-9-]{0,31}$\nmax-length=32\n"                            \
  "prefix=${RECORDINGS_DIR}/\nsuffix=.mp4\n"

static gchar *tmp_dir;

static PipelineDef *
load_def (const gchar *name, const gchar *text)
{
  g_autofree gchar *file = g_strconcat (name, ".pipeline", NULL);
  g_autofree gchar *path = g_build_filename (tmp_dir, file, NULL);
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  PipelineDef *def;

  rt_test_write_file (tmp_dir, file, text);
  def = pipeline_def_load (path, test_vars, FALSE, problems);
  fail_unless (def != NULL, "%s: %s", name,
      problems->len ? (gchar *)g_ptr_array_index (problems, 0) : "?");
  return def;
}

static void
setup_dir (void)
{
  tmp_dir = g_dir_make_tmp ("rt-describe-XXXXXX", NULL);
  fail_unless (tmp_dir != NULL);
}

static void
teardown_dir (void)
{
  rt_test_rm_rf (tmp_dir);
  g_clear_pointer (&tmp_dir, g_free);
}

/* The outputs of a definition whose description is @description. */
static gchar *
outputs_of (const gchar *description)
{
  g_autoptr (PipelineDef) def = pipeline_def_new ("p");
  g_autofree const gchar **kinds = NULL;

  def->description = g_strdup (description);
  kinds = gateway_describe_outputs (def);
  return g_strjoinv (",", (gchar **)kinds);
}

#define assert_outputs(description, expected)                                  \
  G_STMT_START                                                                 \
  {                                                                            \
    g_autofree gchar *_got = outputs_of (description);                         \
    fail_unless_equals_string (_got, expected);                                \
  }                                                                            \
  G_STMT_END

GST_START_TEST (test_outputs_from_the_description)
{
  assert_outputs ("videotestsrc ! x264enc ! rtph264pay ! udpsink host=h",
      "rtp");
  assert_outputs ("v4l2src ! x264enc ! mpegtsmux ! srtsink uri=srt://:8888",
      "srt");
  assert_outputs ("v4l2src ! x264enc ! h264parse ! rtspclientsink "
                  "location=rtsp://h/p",
      "rtsp");
  assert_outputs ("videotestsrc ! x264enc ! mp4mux ! filesink location=/x",
      "file");
  assert_outputs ("videotestsrc ! vp8enc ! rtpvp8pay ! webrtcbin name=w",
      "webrtc");
  /* Several, in order, each once; quoted text and property values are
   * not element names; bins in brackets are looked into. */
  assert_outputs ("videotestsrc ! tee name=t t. ! queue ! filesink "
                  "location=\"a udpsink b\" t. ! queue ! ( srtsink ) "
                  "t. ! queue ! filesink",
      "file,srt");
  assert_outputs ("videotestsrc is-live=true", "");
  {
    /* output=webrtc: the gateway adds webrtcbin, the description has none. */
    g_autoptr (PipelineDef) def = load_def ("watch",
        "[pipeline]\noutput=webrtc\n"
        "description=videotestsrc is-live=true ! videoconvert\n");
    g_autofree const gchar **kinds = gateway_describe_outputs (def);
    g_autoptr (JsonNode) entry = gateway_describe_pipeline (def);

    fail_unless (kinds[0] && g_str_equal (kinds[0], "webrtc") && !kinds[1]);
    /* Watched by viewers, not started: the console offers Watch only. */
    fail_unless_equals_string (json_object_get_string_member (json_node_get_object (
                                                                  entry),
                                   "control"),
        "watch");
  }
  assert_outputs ("videotestsrc name=udpsink-x ! fakesink", "");
}

GST_END_TEST;

static JsonObject *
param_at (JsonObject *pipeline, guint i)
{
  JsonArray *params = json_object_get_array_member (pipeline, "params");

  fail_unless (i < json_array_get_length (params));
  return json_array_get_object_element (params, i);
}

GST_START_TEST (test_catalog_of_a_definition)
{
  g_autoptr (PipelineDef) def = load_def ("cam", RTP_DEF);
  g_autoptr (JsonNode) node = gateway_describe_pipeline (def);
  JsonObject *p = json_node_get_object (node);
  JsonObject *lease = json_object_get_object_member (p, "lease");
  JsonObject *q;
  JsonArray *values;

  fail_unless_equals_string (json_object_get_string_member (p, "name"), "cam");
  fail_unless_equals_string (json_object_get_string_member (p, "summary"),
      "test pattern over RTP");
  fail_unless_equals_int (json_array_get_length (
                              json_object_get_array_member (p, "outputs")),
      1);
  fail_unless_equals_string (json_array_get_string_element (json_object_get_array_member (p,
                                                                "outputs"),
                                 0),
      "rtp");
  fail_unless_equals_string (json_object_get_string_member (p, "control"),
      "start");
  fail_unless_equals_int (json_object_get_int_member (lease, "default_ttl"),
      60);
  fail_unless_equals_int (json_object_get_int_member (lease, "max_ttl"), 3600);
  fail_unless_equals_int (json_array_get_length (
                              json_object_get_array_member (p, "params")),
      6);

  /* In file order, each with exactly what its type declares. */
  q = param_at (p, 0);
  fail_unless_equals_string (json_object_get_string_member (q, "name"),
      "bitrate");
  fail_unless_equals_string (json_object_get_string_member (q, "type"), "uint");
  fail_unless_equals_int (json_object_get_int_member (q, "min"), 100);
  fail_unless_equals_int (json_object_get_int_member (q, "max"), 8000);
  fail_unless_equals_int (json_object_get_int_member (q, "default"), 2000);
  fail_unless_equals_string (json_object_get_string_member (q, "description"),
      "kbit/s");

  q = param_at (p, 1);
  fail_unless_equals_string (json_object_get_string_member (q, "type"), "int");
  fail_unless_equals_int (json_object_get_int_member (q, "min"), -10);
  /* No declared bound, no default, no description: null. */
  fail_unless (json_object_get_null_member (q, "max"));
  fail_unless (json_object_get_null_member (q, "default"));
  fail_unless (json_object_get_null_member (q, "description"));

  q = param_at (p, 2);
  fail_unless_equals_string (json_object_get_string_member (q, "type"),
      "double");
  fail_unless (json_object_get_null_member (q, "min"));
  fail_unless (json_object_get_double_member (q, "max") == 2.5);
  fail_unless (json_object_get_double_member (q, "default") == 1.5);

  q = param_at (p, 3);
  fail_unless_equals_string (json_object_get_string_member (q, "type"), "enum");
  values = json_object_get_array_member (q, "values");
  fail_unless_equals_int (json_array_get_length (values), 3);
  fail_unless_equals_string (json_array_get_string_element (values, 0),
      "smpte");
  fail_unless_equals_string (json_array_get_string_element (values, 2), "snow");
  fail_unless_equals_string (json_object_get_string_member (q, "default"),
      "ball");

  q = param_at (p, 4);
  fail_unless_equals_string (json_object_get_string_member (q, "type"),
      "boolean");
  fail_unless (json_object_get_boolean_member (q, "default"));
  fail_if (json_object_has_member (q, "min"));

  q = param_at (p, 5);
  fail_unless_equals_string (json_object_get_string_member (q, "type"), "host");
  fail_unless_equals_int (json_object_get_int_member (q, "max_length"), 253);
  fail_unless_equals_string (json_object_get_string_member (q, "default"),
      "127.0.0.1");
}

GST_END_TEST;

GST_START_TEST (test_catalog_keeps_the_definition_private)
{
  g_autoptr (PipelineDef) def = load_def ("rec", FILE_DEF);
  g_autoptr (JsonNode) node = gateway_describe_pipeline (def);
  g_autofree gchar *text = json_to_string (node, FALSE);
  JsonObject *p = json_node_get_object (node);
  JsonObject *lease = json_object_get_object_member (p, "lease");
  JsonObject *q = param_at (p, 0);

  /* The pattern as declared (not as compiled), the length bound. */
  fail_unless_equals_string (json_object_get_string_member (q, "type"),
      "string");
  fail_unless_equals_string (json_object_get_string_member (q, "pattern"),
      "^[a-z][a-z0-9-]{0,31}$");
  fail_unless_equals_int (json_object_get_int_member (q, "max_length"), 32);
  /* No lease by default, and the contract's own bound for ttl. */
  fail_unless (json_object_get_null_member (lease, "default_ttl"));
  fail_unless_equals_int (json_object_get_int_member (lease, "max_ttl"),
      GATEWAY_TTL_MAX_S);
  fail_unless (json_object_get_null_member (p, "summary"));
  /* Nothing of the description, the target or the directory. */
  fail_unless (strstr (text, "secret-rec") == NULL, "%s", text);
  fail_unless (strstr (text, "filesink") == NULL, "%s", text);
  fail_unless (strstr (text, "location") == NULL, "%s", text);
  fail_unless (strstr (text, ".mp4") == NULL, "%s", text);
  fail_unless (strstr (text, "\"element\"") == NULL, "%s", text);
}

GST_END_TEST;

/* --- the router on a real channel ---------------------------------------- */

typedef struct
{
  RtServer *server;
  RealtimeClient *client;
  RealtimeChannel *channel;
  GatewayRouter *router;
  RtReplyCollector *catalogs;
  RtReplyCollector *states;
} Fixture;

static Fixture f;

static void
setup (void)
{
  GError *error = NULL;

  setup_dir ();
  memset (&f, 0, sizeof f);
  f.server = rt_server_new (0, RT_TEST_API_KEY, &error);
  g_assert_no_error (error);
  f.client = g_object_new (REALTIME_TYPE_CLIENT, "url",
      rt_server_get_url (f.server), "api-key", RT_TEST_API_KEY,
      "heartbeat-interval", 1000, "backoff-min", 10, "backoff-max", 100, NULL);
  f.channel = realtime_client_channel (f.client, CHANNEL);
}

static void
teardown (void)
{
  g_clear_object (&f.router);
  g_clear_pointer (&f.catalogs, rt_reply_collector_free);
  g_clear_pointer (&f.states, rt_reply_collector_free);
  realtime_client_disconnect (f.client);
  g_clear_object (&f.client);
  g_clear_pointer (&f.server, rt_server_free);
  rt_test_run_for (20);
  teardown_dir ();
}

static void
start_router (const GatewayEventNames *events)
{
  f.router = gateway_router_new (f.channel, events);
  /* Held to docs/schema/catalog.json on the way. */
  f.catalogs = rt_reply_collector_new (f.server, TOPIC, "catalog");
  f.states = rt_reply_collector_new (f.server, TOPIC, events->reply);
  realtime_channel_subscribe (f.channel);
  realtime_client_connect (f.client);
  fail_unless (RT_WAIT_UNTIL (realtime_channel_get_state (f.channel)
          == REALTIME_CHANNEL_STATE_JOINED,
      5000));
}

/* The daemon's pipelines: "cam" and "rec" from definition files. */
static void
install_definitions (void)
{
  g_autoptr (GHashTable) defs = g_hash_table_new_full (g_str_hash, g_str_equal,
      NULL, (GDestroyNotify)pipeline_def_unref);
  PipelineDef *cam = load_def ("cam", RTP_DEF);
  PipelineDef *rec = load_def ("rec", FILE_DEF);

  g_hash_table_insert (defs, cam->name, cam);
  g_hash_table_insert (defs, rec->name, rec);
  gateway_router_set_definitions (f.router, defs);
}

static JsonObject *
wait_catalog (const gchar *request_id)
{
  const RtReply *r
      = rt_reply_collector_wait (f.catalogs, NULL, NULL, request_id, 5000);

  fail_unless (r != NULL, "no catalog for request %s", request_id);
  return json_node_get_object (r->payload);
}

static const gchar *
pipeline_name_at (JsonObject *catalog, guint i)
{
  JsonArray *pipelines = json_object_get_array_member (catalog, "pipelines");

  return json_object_get_string_member (json_array_get_object_element (pipelines,
                                            i),
      "name");
}

static guint
n_pipelines (JsonObject *catalog)
{
  return json_array_get_length (
      json_object_get_array_member (catalog, "pipelines"));
}

GST_START_TEST (test_daemon_answers_describe_with_its_catalog)
{
  const GatewayEventNames events = GATEWAY_EVENT_NAMES_DEFAULT;
  JsonObject *c;
  const RtReply *r;

  start_router (&events);
  install_definitions ();
  gateway_router_set_id (f.router, "robot-7");

  rt_server_broadcast (f.server, TOPIC, "describe", "{\"request_id\":\"d1\"}");
  c = wait_catalog ("d1");
  fail_unless_equals_string (json_object_get_string_member (c, "id"),
      "robot-7");
  fail_unless (g_ascii_isdigit (*json_object_get_string_member (c, "version")));
  /* Every pipeline, sorted by name. */
  fail_unless_equals_int (n_pipelines (c), 2);
  fail_unless_equals_string (pipeline_name_at (c, 0), "cam");
  fail_unless_equals_string (pipeline_name_at (c, 1), "rec");

  /* One named pipeline: its entry only. */
  rt_server_broadcast (f.server, TOPIC, "describe",
      "{\"pipeline\":\"rec\",\"request_id\":\"d2\"}");
  c = wait_catalog ("d2");
  fail_unless_equals_int (n_pipelines (c), 1);
  fail_unless_equals_string (pipeline_name_at (c, 0), "rec");

  /* An unknown pipeline and a bad request: a failed pipeline_state with
   * the reason, as for every request, and no catalog. */
  rt_server_broadcast (f.server, TOPIC, "describe",
      "{\"pipeline\":\"nope\",\"request_id\":\"d3\"}");
  r = rt_reply_collector_wait (f.states, "nope", "failed", "d3", 5000);
  fail_unless (r != NULL && strstr (r->error, "unknown pipeline"));
  rt_server_broadcast (f.server, TOPIC, "describe",
      "{\"pipeline\":7,\"request_id\":\"d4\"}");
  r = rt_reply_collector_wait (f.states, NULL, "failed", "d4", 5000);
  fail_unless (r != NULL && strstr (r->error, "\"pipeline\""));
  /* Without a request_id: answered all the same (request_id null). */
  rt_server_broadcast (f.server, TOPIC, "describe", "{}");
  fail_unless (
      RT_WAIT_UNTIL (rt_reply_collector_count (f.catalogs, NULL, NULL, NULL)
              == 3,
          5000));
  fail_unless_equals_int (rt_reply_collector_count (f.catalogs, NULL, NULL,
                              "d3"),
      0);
  fail_unless_equals_int (rt_reply_collector_count (f.catalogs, NULL, NULL,
                              "d4"),
      0);
}

GST_END_TEST;

/* Broadcasts of @event the server received for @request_id. */
static guint
count_broadcasts (const gchar *event, const gchar *request_id)
{
  GPtrArray *frames = rt_server_get_frames (f.server);
  guint i, n = 0;

  for (i = 0; i < frames->len; i++) {
    const RtServerFrame *fr = g_ptr_array_index (frames, i);
    JsonObject *outer, *inner;

    if (g_strcmp0 (fr->event, "broadcast") != 0 || !fr->payload
        || !JSON_NODE_HOLDS_OBJECT (fr->payload))
      continue;
    outer = json_node_get_object (fr->payload);
    inner = json_object_get_object_member (outer, "payload");
    if (g_strcmp0 (json_object_get_string_member_with_default (outer, "event",
                       NULL),
            event)
            == 0
        && inner
        && g_strcmp0 (json_object_get_string_member_with_default (inner,
                          "request_id", NULL),
               request_id)
            == 0)
      n++;
  }
  return n;
}

GST_START_TEST (test_renamed_describe_events)
{
  GatewayEventNames events = GATEWAY_EVENT_NAMES_DEFAULT;

  events.describe = "menu";
  events.catalog = "menu_card";
  start_router (&events);
  install_definitions ();

  rt_server_broadcast (f.server, TOPIC, "describe", "{\"request_id\":\"n1\"}");
  rt_server_broadcast (f.server, TOPIC, "menu", "{\"request_id\":\"n2\"}");
  fail_unless (RT_WAIT_UNTIL (count_broadcasts ("menu_card", "n2") == 1, 5000));
  /* The default names are nobody's now: no answer to n1, no "catalog". */
  fail_unless_equals_int (count_broadcasts ("menu_card", "n1"), 0);
  fail_unless_equals_int (rt_reply_collector_count (f.catalogs, NULL, NULL,
                              NULL),
      0);
}

GST_END_TEST;

GST_START_TEST (test_realtimesrc_addressing)
{
  const GatewayEventNames events = GATEWAY_EVENT_NAMES_DEFAULT;
  g_autoptr (PipelineDef) def = pipeline_def_new ("front");
  g_autoptr (RtFakeRunner) runner = rt_fake_runner_new ();
  g_autoptr (OnDemandController) ctl = NULL;
  g_autoptr (PipelineDef) file_def = load_def ("params", FILE_DEF);
  JsonObject *c, *p;

  /* As realtimesrc makes it: a definition filled from properties, its
   * params from a params file, the element's name as default pipeline. */
  def->description = g_strdup ("v4l2src device=/dev/video0");
  def->default_ttl_s = 30;
  g_ptr_array_unref (def->params);
  def->params = g_ptr_array_ref (file_def->params);
  start_router (&events);
  ctl = on_demand_controller_new (def, ON_DEMAND_RUNNER (runner));
  gateway_router_add_controller (f.router, ctl);
  gateway_router_set_default_pipeline (f.router, "front");

  rt_server_broadcast (f.server, TOPIC, "describe",
      "{\"pipeline\":\"back\",\"request_id\":\"s1\"}");
  rt_server_broadcast (f.server, TOPIC, "describe", "{\"request_id\":\"s2\"}");
  c = wait_catalog ("s2");
  /* Its name is its id; another injector's pipeline is not answered. */
  fail_unless_equals_string (json_object_get_string_member (c, "id"), "front");
  fail_unless_equals_int (n_pipelines (c), 1);
  p = json_array_get_object_element (json_object_get_array_member (c,
                                         "pipelines"),
      0);
  fail_unless_equals_int (json_array_get_length (
                              json_object_get_array_member (p, "outputs")),
      0);
  fail_unless_equals_int (json_object_get_int_member (json_object_get_object_member (p,
                                                          "lease"),
                              "default_ttl"),
      30);
  fail_unless_equals_string (json_object_get_string_member (param_at (p, 0),
                                 "name"),
      "file");
  fail_unless_equals_int (rt_reply_collector_count (f.catalogs, NULL, NULL,
                              "s1"),
      0);
  fail_unless_equals_int (rt_reply_collector_count (f.states, NULL, NULL, "s1"),
      0);
}

GST_END_TEST;

static Suite *
describe_suite (void)
{
  Suite *s = suite_create ("describe");
  TCase *unit = tcase_create ("catalog");
  TCase *tc = tcase_create ("router");

  suite_add_tcase (s, unit);
  tcase_add_checked_fixture (unit, setup_dir, teardown_dir);
  tcase_add_test (unit, test_outputs_from_the_description);
  tcase_add_test (unit, test_catalog_of_a_definition);
  tcase_add_test (unit, test_catalog_keeps_the_definition_private);
  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_daemon_answers_describe_with_its_catalog);
  tcase_add_test (tc, test_renamed_describe_events);
  tcase_add_test (tc, test_realtimesrc_addressing);
  return s;
}

RT_TEST_MAIN (describe)

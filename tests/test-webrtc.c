/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-webrtc.c: WebRTC viewing signalled over the channel, end to end.
 * The robot side is the core as the daemon runs it (client, channel,
 * router with pipeline definitions, the WebRTC signalling listener) on the
 * local realtime server; the viewer is a second webrtcbin in this process
 * (support/webrtc-viewer.h) whose page is the test: it broadcasts watch,
 * answer and candidates through the server and reads the robot's offer,
 * candidates and session states from the frames the server received.
 * Media is real (x264enc, webrtcbin, libnice on this host) and counted
 * as decoded frames.
 */
#include "test-util.h"

#include "fake-camera.h"
#include "gateway-process.h"
#include "pipeline-runner.h"
#include "realtime-client.h"
#include "reply-collector.h"
#include "router.h"
#include "rt-server.h"
#include "turn-server.h"
#include "webrtc-signalling.h"
#include "webrtc-viewer.h"

#include <string.h>

#define CHANNEL "webrtc-test"
#define TOPIC "realtime:" CHANNEL
/* Bounded waits: 20 s, or RT_WEBRTC_WAIT_MS (longer under valgrind). */
static guint
wait_ms (void)
{
  const gchar *env = g_getenv ("RT_WEBRTC_WAIT_MS");

  return env ? (guint)g_ascii_strtoull (env, NULL, 10) : 20000;
}
#define WAIT_MS wait_ms ()

/* Key frames only when asked (a new viewer, a PLI): 16x16 frames at 50
 * fps from the fake camera. */
#define CAM_DEF                                                                \
  "[pipeline]\n"                                                               \
  "description=rtfakecamera name=src\n"                                        \
  "output=webrtc\n"                                                            \
  "start-timeout=20\n"                                                         \
  "[webrtc]\n"                                                                 \
  "encoder=x264enc name=encoder tune=zerolatency speed-preset=ultrafast "      \
  "key-int-max=100000 ! video/x-h264,profile=constrained-baseline,"            \
  "level=(string)3.1\n"                                                        \
  "max-viewers=2\n"
/* The same with an encoder per viewer (bitrate 1500, min 300). */
#define OWN_DEF CAM_DEF "encoder-per-viewer=true\n"
/* A source that never produces: the pipeline never plays, so a session
 * on it never gets an offer. */
#define STUCK_DEF                                                              \
  "[pipeline]\n"                                                               \
  "description=rtfakecamera name=src block=true\n"                             \
  "output=webrtc\n"                                                            \
  "start-timeout=60\n"
/* The declared alternative: VP8 with the default encoder. */
#define VP8_DEF                                                                \
  "[pipeline]\n"                                                               \
  "description=rtfakecamera name=src\n"                                        \
  "output=webrtc\n"                                                            \
  "start-timeout=20\n"                                                         \
  "[webrtc]\n"                                                                 \
  "codec=vp8\n"                                                                \
  "bitrate=300\n"
#define PLAIN_DEF                                                              \
  "[pipeline]\n"                                                               \
  "description=rtfakecamera name=src ! fakesink\n"

typedef struct
{
  RtServer *server;
  RealtimeClient *client;
  RealtimeChannel *channel;
  GatewayRouter *router;
  WebrtcSignalling *signalling;
  RtReplyCollector *states; /* session_state */
  RtReplyCollector *offers;
  RtReplyCollector *candidates;
  RtReplyCollector *pipeline_states; /* the daemon's pipeline_state */
  RtGatewayProcess *gp; /* the daemon, for its tests */
  gchar *dir;
} Fixture;

static Fixture f;

/* A viewer and the signalling its page would do. */
typedef struct
{
  const gchar *id;
  RtWebrtcViewer *viewer;
  guint next_candidates; /* robot candidates replies already used */
  gboolean answered;
} Peer;

static void
setup (void)
{
  GError *error = NULL;

  memset (&f, 0, sizeof f);
  rt_fake_camera_register ();
  rt_fake_camera_reset ();
  f.server = rt_server_new (0, RT_TEST_API_KEY, &error);
  g_assert_no_error (error);
  f.client = g_object_new (REALTIME_TYPE_CLIENT, "url",
      rt_server_get_url (f.server), "api-key", RT_TEST_API_KEY,
      "heartbeat-interval", 5000, "backoff-min", 10, "backoff-max", 100, NULL);
  f.channel = realtime_client_channel (f.client, CHANNEL);
  f.states = rt_reply_collector_new (f.server, TOPIC, "session_state");
  f.offers = rt_reply_collector_new (f.server, TOPIC, "offer");
  f.candidates = rt_reply_collector_new (f.server, TOPIC, "candidates");
  f.pipeline_states
      = rt_reply_collector_new (f.server, TOPIC, "pipeline_state");
  f.dir = g_dir_make_tmp ("test-webrtc-XXXXXX", &error);
  g_assert_no_error (error);
  rt_test_write_file (f.dir, "cam.pipeline", CAM_DEF);
  rt_test_write_file (f.dir, "stuck.pipeline", STUCK_DEF);
  rt_test_write_file (f.dir, "plain.pipeline", PLAIN_DEF);
  rt_test_write_file (f.dir, "vp8.pipeline", VP8_DEF);
  rt_test_write_file (f.dir, "own.pipeline", OWN_DEF);
}

static void
teardown (void)
{
  g_clear_object (&f.signalling);
  if (f.router) {
    gateway_router_shutdown (f.router, NULL, NULL);
    RT_WAIT_UNTIL (rt_fake_camera_get_open_now () == 0, WAIT_MS);
  }
  g_clear_object (&f.router);
  if (f.gp && rt_gateway_process_is_running (f.gp))
    rt_gateway_process_dump_log (f.gp);
  g_clear_pointer (&f.gp, rt_gateway_process_free);
  rt_reply_collector_free (f.pipeline_states);
  rt_reply_collector_free (f.states);
  rt_reply_collector_free (f.offers);
  rt_reply_collector_free (f.candidates);
  realtime_client_disconnect (f.client);
  g_clear_object (&f.client);
  g_clear_pointer (&f.server, rt_server_free);
  rt_test_rm_rf (f.dir);
  g_free (f.dir);
  rt_test_run_for (50);
}

/* The robot: router with the definitions, signalling with @settings
 * (NULL: defaults), joined. */
static void
start_robot (const WebrtcSettings *settings)
{
  const GatewayEventNames events = GATEWAY_EVENT_NAMES_DEFAULT;
  const gchar *dirs[] = { f.dir, NULL };
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) defs = NULL;
  WebrtcSettings defaults;

  defs = pipeline_def_load_dirs (dirs, NULL, TRUE, problems);
  if (problems->len > 0)
    fail ("definition problem: %s", (gchar *)problems->pdata[0]);
  f.router = gateway_router_new (f.channel, &events);
  gateway_router_set_definitions (f.router, defs);
  webrtc_settings_init (&defaults);
  f.signalling = webrtc_signalling_new (f.channel, f.router,
      settings ? settings : &defaults);
  webrtc_settings_clear (&defaults);
  realtime_channel_subscribe (f.channel);
  realtime_client_connect (f.client);
  fail_unless (RT_WAIT_UNTIL (realtime_channel_get_state (f.channel)
          == REALTIME_CHANNEL_STATE_JOINED,
      5000));
}

static void
send_event (const gchar *event, const gchar *json)
{
  rt_server_broadcast (f.server, TOPIC, event, json);
}

static const gchar *
payload_string (const RtReply *r, const gchar *name)
{
  JsonObject *o = json_node_get_object (r->payload);
  JsonNode *n = json_object_get_member (o, name);

  return n && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_string (n) : NULL;
}

/* The first collected reply at or after @from for @session (and @state
 * and @request_id when not NULL), or NULL. */
static const RtReply *
find_reply (RtReplyCollector *c, guint from, const gchar *session,
    const gchar *state, const gchar *request_id)
{
  GPtrArray *all;
  guint i;

  rt_reply_collector_poll (c);
  all = rt_reply_collector_get_replies (c);
  for (i = from; i < all->len; i++) {
    const RtReply *r = g_ptr_array_index (all, i);

    if (g_strcmp0 (payload_string (r, "session_id"), session) != 0)
      continue;
    if (state && g_strcmp0 (r->state, state) != 0)
      continue;
    if (request_id && g_strcmp0 (r->request_id, request_id) != 0)
      continue;
    return r;
  }
  return NULL;
}

static gchar *
describe_states (void)
{
  return rt_replies_describe (rt_reply_collector_get_replies (f.states), 0, 40);
}

/* Waits for a session_state of @session; fails the test without one. */
static const RtReply *
wait_state (const gchar *session, const gchar *state, const gchar *request_id)
{
  const RtReply *r = NULL;

  if (!RT_WAIT_UNTIL ((r = find_reply (f.states, 0, session, state, request_id))
              != NULL,
          WAIT_MS)) {
    g_autofree gchar *seen = describe_states ();
    fail ("no %s state for session %s (request %s); seen: %s", state,
        session ? session : "(null)", request_id ? request_id : "-", seen);
  }
  return r;
}

/* The answer to a message sent now: the first state for @session with
 * @request_id. */
static const RtReply *
wait_answer (const gchar *session, const gchar *request_id)
{
  return wait_state (session, NULL, request_id);
}

static void
watch (const gchar *session, const gchar *pipeline, const gchar *request_id)
{
  g_autofree gchar *json
      = g_strdup_printf ("{\"session_id\":\"%s\",\"pipeline\":\"%s\",\"request_"
                         "id\":\"%s\"}",
          session, pipeline, request_id);

  send_event ("watch", json);
}

static void
send_answer (const gchar *session, const gchar *sdp, const gchar *request_id)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gchar *json = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "session_id");
  json_builder_add_string_value (b, session);
  json_builder_set_member_name (b, "sdp");
  json_builder_add_string_value (b, sdp);
  json_builder_set_member_name (b, "request_id");
  json_builder_add_string_value (b, request_id);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json = json_to_string (root, FALSE);
  send_event ("answer", json);
}

/* One round of the page's work: the offer to the viewer, the viewer's
 * answer to the robot, candidates both ways. Returns TRUE (for use in
 * RT_WAIT_UNTIL conditions). */
static gboolean
pump (Peer *p)
{
  GPtrArray *all;
  g_autofree gchar *mine = NULL;
  guint i;

  if (!p->answered) {
    const RtReply *offer = find_reply (f.offers, 0, p->id, NULL, NULL);
    g_autofree gchar *answer = NULL;

    if (!offer)
      return TRUE;
    if (!(answer = rt_webrtc_viewer_dup_answer (p->viewer))) {
      static GHashTable *offered = NULL;

      if (!offered)
        offered = g_hash_table_new (g_direct_hash, g_direct_equal);
      if (!g_hash_table_contains (offered, p->viewer)) {
        g_hash_table_add (offered, p->viewer);
        rt_webrtc_viewer_set_offer (p->viewer, payload_string (offer, "sdp"));
      }
      return TRUE;
    }
    send_answer (p->id, answer, "a-1");
    p->answered = TRUE;
  }
  rt_reply_collector_poll (f.candidates);
  all = rt_reply_collector_get_replies (f.candidates);
  for (i = p->next_candidates; i < all->len; i++) {
    const RtReply *r = g_ptr_array_index (all, i);
    JsonArray *array;
    guint j;

    if (g_strcmp0 (payload_string (r, "session_id"), p->id) != 0)
      continue;
    array = json_object_get_array_member (json_node_get_object (r->payload),
        "candidates");
    for (j = 0; j < json_array_get_length (array); j++) {
      JsonObject *c = json_array_get_object_element (array, j);

      rt_webrtc_viewer_add_candidate (p->viewer,
          json_object_get_int_member (c, "sdpMLineIndex"),
          json_object_get_string_member (c, "candidate"));
    }
  }
  p->next_candidates = all->len;
  mine = rt_webrtc_viewer_take_candidates (p->viewer);
  if (mine) {
    g_autofree gchar *json
        = g_strdup_printf ("{\"session_id\":\"%s\",\"candidates\":%s}", p->id,
            mine);
    send_event ("candidates", json);
  }
  return TRUE;
}

/* Watches @pipeline as @p until "watching" and decoded frames. */
static void
connect_peer (Peer *p, const gchar *pipeline, const gchar *turn_uri,
    gboolean relay_only)
{
  gint64 t0;

  p->viewer = rt_webrtc_viewer_new (turn_uri, relay_only);
  t0 = g_get_monotonic_time ();
  watch (p->id, pipeline, "w-1");
  wait_state (p->id, "offering", "w-1");
  if (!RT_WAIT_UNTIL (pump (p)
              && find_reply (f.states, 0, p->id, "watching", NULL),
          WAIT_MS)) {
    g_autofree gchar *seen = describe_states ();
    fail ("session %s never watching; seen: %s", p->id, seen);
  }
  fail_unless (RT_WAIT_UNTIL (pump (p)
                       && rt_webrtc_viewer_get_frames (p->viewer) >= 1,
                   WAIT_MS),
      "session %s: no frame decoded", p->id);
  /* A figure, not an assertion (polled every 20 ms). */
  g_message ("session %s: first decoded frame %.0f ms after the watch "
             "request",
      p->id, (g_get_monotonic_time () - t0) / 1000.0);
  fail_unless (RT_WAIT_UNTIL (pump (p)
                       && rt_webrtc_viewer_get_frames (p->viewer) >= 10,
                   WAIT_MS),
      "session %s: %u frames decoded", p->id,
      rt_webrtc_viewer_get_frames (p->viewer));
}

static void
unwatch (const gchar *session, const gchar *request_id)
{
  g_autofree gchar *json
      = g_strdup_printf ("{\"session_id\":\"%s\",\"request_id\":\"%s\"}",
          session, request_id);

  send_event ("unwatch", json);
}

static OnDemandController *
controller (const gchar *name)
{
  g_autoptr (GPtrArray) all = gateway_router_get_pipelines (f.router);
  guint i;

  for (i = 0; i < all->len; i++)
    if (g_strcmp0 (on_demand_controller_get_name (all->pdata[i]), name) == 0)
      return all->pdata[i]; /* the router keeps it */
  return NULL;
}

/* The running GstPipeline of @name (transfer full), or NULL. */
static GstElement *
robot_pipeline (const gchar *name)
{
  GstElement *pipeline = NULL;

  g_object_get (on_demand_controller_get_runner (controller (name)), "pipeline",
      &pipeline, NULL);
  return pipeline;
}

static GstPadProbeReturn
count_key_frames (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  if (!GST_BUFFER_FLAG_IS_SET (GST_PAD_PROBE_INFO_BUFFER (info),
          GST_BUFFER_FLAG_DELTA_UNIT))
    g_atomic_int_inc ((gint *)user_data);
  return GST_PAD_PROBE_OK;
}

static gint key_frames;

GST_START_TEST (test_watch_media_pli_unwatch_releases_camera)
{
  Peer p = { "viewer-one-1" };
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) encoder = NULL;
  g_autoptr (GstPad) enc_src = NULL;
  g_autofree gchar *caps = NULL;
  WebrtcSessionStats stats;
  WebrtcSession *session;
  const RtReply *offer;
  guint frames, requests;
  gint keys;

  start_robot (NULL);
  connect_peer (&p, "cam", NULL, FALSE);

  /* The offer: H.264 constrained baseline as browsers expect it. */
  offer = find_reply (f.offers, 0, p.id, NULL, NULL);
  fail_unless (strstr (payload_string (offer, "sdp"), "H264/90000") != NULL);
  fail_unless (strstr (payload_string (offer, "sdp"), "profile-level-id=42e01f")
      != NULL);
  fail_unless_equals_string (payload_string (offer, "pipeline"), "cam");
  caps = rt_webrtc_viewer_dup_caps (p.viewer);
  fail_unless (caps && g_str_has_prefix (caps, "video/x-raw"), "%s", caps);
  /* Candidates went out in batches, not one broadcast each. */
  fail_unless (rt_reply_collector_get_replies (f.candidates)->len >= 1);
  fail_unless_equals_int (rt_fake_camera_get_open_now (), 1);

  /* A picture-loss request from the viewer reaches the encoder as a
   * force-key-unit and a key frame comes out, although the encoder makes
   * none on its own (key-int-max=100000). */
  pipeline = robot_pipeline ("cam");
  encoder = gst_bin_get_by_name (GST_BIN (pipeline), "encoder");
  enc_src = gst_element_get_static_pad (encoder, "src");
  g_atomic_int_set (&key_frames, 0);
  gst_pad_add_probe (enc_src, GST_PAD_PROBE_TYPE_BUFFER, count_key_frames,
      &key_frames, NULL);
  frames = rt_webrtc_viewer_get_frames (p.viewer);
  fail_unless (
      RT_WAIT_UNTIL (rt_webrtc_viewer_get_frames (p.viewer) >= frames + 25,
          WAIT_MS));
  session = webrtc_signalling_get_session (f.signalling, p.id);
  webrtc_session_get_stats (session, &stats);
  requests = stats.key_unit_requests;
  keys = g_atomic_int_get (&key_frames);
  rt_webrtc_viewer_request_key_unit (p.viewer);
  fail_unless (RT_WAIT_UNTIL ((webrtc_session_get_stats (session, &stats),
                                  stats.key_unit_requests > requests),
                   WAIT_MS),
      "no key-unit request reached the branch");
  fail_unless (RT_WAIT_UNTIL (g_atomic_int_get (&key_frames) > keys, WAIT_MS),
      "no key frame after the PLI");
  frames = rt_webrtc_viewer_get_frames (p.viewer);
  fail_unless (
      RT_WAIT_UNTIL (rt_webrtc_viewer_get_frames (p.viewer) >= frames + 10,
          WAIT_MS));

  /* The end of the only session releases the camera. */
  unwatch (p.id, "u-1");
  wait_state (p.id, "ended", "u-1");
  fail_unless (RT_WAIT_UNTIL (rt_fake_camera_get_open_now () == 0, WAIT_MS),
      "the camera is still open");
  fail_unless (
      RT_WAIT_UNTIL (on_demand_controller_get_state (controller ("cam"))
              == ON_DEMAND_STATE_STOPPED,
          WAIT_MS));
  fail_unless_equals_int (webrtc_signalling_count_sessions (f.signalling, NULL),
      0);
  /* Idempotent: unwatching again answers the same. */
  unwatch (p.id, "u-2");
  fail_unless_equals_string (wait_answer (p.id, "u-2")->state, "ended");
  rt_webrtc_viewer_free (p.viewer);
}

GST_END_TEST;

static GstPadProbeReturn
block_forever (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_two_viewers_one_blocked_and_too_many)
{
  Peer a = { "viewer-aaaa-1" };
  Peer b = { "viewer-bbbb-1" };
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) branch = NULL;
  g_autoptr (GstElement) queue = NULL;
  g_autoptr (GstPad) queue_src = NULL;
  guint frames_a, frames_b;
  const RtReply *r;

  start_robot (NULL);
  connect_peer (&a, "cam", NULL, FALSE);
  connect_peer (&b, "cam", NULL, FALSE);
  fail_unless_equals_int (rt_fake_camera_get_opens (), 1);

  /* max-viewers=2: a third is refused, touching nothing. */
  watch ("viewer-cccc-1", "cam", "w-3");
  r = wait_answer ("viewer-cccc-1", "w-3");
  fail_unless_equals_string (r->state, "failed");
  fail_unless_equals_string (r->error, "too many viewers");

  /* B's branch stops taking media (a viewer that cannot keep up): its
   * leaky queue drops, and A goes on. */
  pipeline = robot_pipeline ("cam");
  branch = gst_bin_get_by_name (GST_BIN (pipeline), "viewer-viewer-bbbb-1");
  fail_unless (branch != NULL);
  queue = gst_bin_get_by_name (GST_BIN (branch), "queue");
  queue_src = gst_element_get_static_pad (queue, "src");
  gst_pad_add_probe (queue_src, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM,
      block_forever, NULL, NULL);
  frames_a = rt_webrtc_viewer_get_frames (a.viewer);
  fail_unless (RT_WAIT_UNTIL (pump (&a)
                       && rt_webrtc_viewer_get_frames (a.viewer)
                           >= frames_a + 100,
                   WAIT_MS),
      "viewer A stalled behind the blocked viewer B (%u frames)",
      rt_webrtc_viewer_get_frames (a.viewer) - frames_a);
  frames_b = rt_webrtc_viewer_get_frames (b.viewer);
  rt_test_run_for (300);
  fail_unless (rt_webrtc_viewer_get_frames (b.viewer) <= frames_b + 5);

  /* One leaving keeps the camera for the other; the last one releases
   * it. */
  unwatch (b.id, "u-b");
  wait_state (b.id, "ended", "u-b");
  frames_a = rt_webrtc_viewer_get_frames (a.viewer);
  fail_unless (
      RT_WAIT_UNTIL (rt_webrtc_viewer_get_frames (a.viewer) >= frames_a + 25,
          WAIT_MS));
  fail_unless_equals_int (rt_fake_camera_get_open_now (), 1);
  unwatch (a.id, "u-a");
  wait_state (a.id, "ended", "u-a");
  fail_unless (RT_WAIT_UNTIL (rt_fake_camera_get_open_now () == 0, WAIT_MS));
  rt_webrtc_viewer_free (a.viewer);
  rt_webrtc_viewer_free (b.viewer);
}

GST_END_TEST;

/* Loss on the robot's side of one session: every 3rd packet its
 * webrtcbin hands to the network is dropped (after SRTP, before ICE), as a
 * lossy link would. */
static gint drop_counter;
static gboolean drop_on;

static GstPadProbeReturn
drop_some (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  if (g_atomic_int_get (&drop_on)
      && g_atomic_int_add (&drop_counter, 1) % 3 == 0)
    return GST_PAD_PROBE_DROP;
  return GST_PAD_PROBE_OK;
}

static gboolean
is_nicesink (const GValue *value, gpointer user_data)
{
  GstElement *e = g_value_get_object (value);
  GstElementFactory *factory = gst_element_get_factory (e);

  return !(factory && g_str_equal (GST_OBJECT_NAME (factory), "nicesink")
      && !g_object_get_data (G_OBJECT (e), "rt-probed"));
}

/* Adds drop_some() on the sink pad of @session's nicesink. */
static void
add_loss (const gchar *pipeline_name, const gchar *session)
{
  g_autoptr (GstElement) pipeline = robot_pipeline (pipeline_name);
  g_autofree gchar *name = g_strdup_printf ("viewer-%s", session);
  g_autoptr (GstElement) branch
      = gst_bin_get_by_name (GST_BIN (pipeline), name);
  g_autoptr (GstIterator) it = NULL;
  g_autoptr (GstPad) sink = NULL;
  GValue found = G_VALUE_INIT;
  guint n = 0;

  fail_unless (branch != NULL);
  it = gst_bin_iterate_recurse (GST_BIN (branch));
  /* The RTP one and (with rtcp-mux, unused) the RTCP one. */
  while (
      gst_iterator_find_custom (it, (GCompareFunc)is_nicesink, &found, NULL)) {
    GstElement *sinkelem = g_value_get_object (&found);

    g_object_set_data (G_OBJECT (sinkelem), "rt-probed", GINT_TO_POINTER (1));
    sink = gst_element_get_static_pad (sinkelem, "sink");
    gst_pad_add_probe (sink,
        GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST, drop_some,
        NULL, NULL);
    g_clear_object (&sink);
    n++;
    g_value_unset (&found);
    gst_iterator_resync (it);
  }
  fail_unless (n > 0, "no nicesink in the session's branch");
}

static guint
encoder_bitrate (const gchar *pipeline_name)
{
  g_autoptr (GstElement) pipeline = robot_pipeline (pipeline_name);
  g_autoptr (GstElement) encoder
      = gst_bin_get_by_name (GST_BIN (pipeline), "encoder");
  guint kbps = 0;

  g_object_get (encoder, "bitrate", &kbps, NULL);
  return kbps;
}

static WebrtcSessionStats
session_stats (const gchar *id)
{
  WebrtcSessionStats st = { 0 };
  WebrtcSession *session = webrtc_signalling_get_session (f.signalling, id);

  if (session)
    webrtc_session_get_stats (session, &st);
  return st;
}

/* Whether the target of @id is above the lowest seen so far (*@low,
 * updated). */
static gboolean
climbed (const gchar *id, guint *low)
{
  guint now = session_stats (id).target_kbps;

  *low = MIN (*low, now);
  return now > *low;
}

/* 33 % loss on the robot's side: the viewer's receiver reports say so,
 * the session's target and the encoder's bitrate step down within a few
 * seconds (not below min-bitrate) while media keeps flowing; once the
 * loss ends they climb back. The figures show in a status answer. */
GST_START_TEST (test_bitrate_follows_loss)
{
  Peer p = { "lossy-viewer-1" };
  WebrtcSessionStats st;
  const RtReply *r;
  JsonObject *stats;
  guint frames, low;

  start_robot (NULL);
  connect_peer (&p, "cam", NULL, FALSE);
  /* The first reports: no loss, the target is the definition's bitrate
   * (1500 kbit/s, min 300, max 1500). */
  fail_unless (RT_WAIT_UNTIL (pump (&p) && session_stats (p.id).have_report,
                   WAIT_MS),
      "no receiver report in the session's figures");
  st = session_stats (p.id);
  fail_unless_equals_int (st.target_kbps, 1500);

  g_atomic_int_set (&drop_on, TRUE);
  add_loss ("cam", p.id);
  fail_unless (RT_WAIT_UNTIL (pump (&p)
                       && session_stats (p.id).target_kbps <= 1500 * 0.7,
                   WAIT_MS),
      "the target did not step down under loss (loss %f, target %u, %d "
      "packets seen by the loss probe, %u NACKs)",
      session_stats (p.id).fraction_lost, session_stats (p.id).target_kbps,
      g_atomic_int_get (&drop_counter), session_stats (p.id).nack_count);
  st = session_stats (p.id);
  fail_unless (st.target_kbps >= 300);
  fail_unless_equals_int (encoder_bitrate ("cam"), st.target_kbps);
  frames = rt_webrtc_viewer_get_frames (p.viewer);
  fail_unless (RT_WAIT_UNTIL (pump (&p)
                       && rt_webrtc_viewer_get_frames (p.viewer) >= frames + 20,
                   WAIT_MS),
      "media stopped under loss");

  /* A status answer carries the figures. */
  send_event ("status", "{\"request_id\":\"s-1\"}");
  r = wait_answer (p.id, "s-1");
  fail_unless_equals_string (r->state, "watching");
  stats = json_object_get_object_member (json_node_get_object (r->payload),
      "stats");
  fail_unless (stats != NULL);
  fail_unless (json_object_get_int_member (stats, "target_kbps") < 1500);
  fail_unless (json_object_get_int_member (stats, "bitrate_kbps") > 0);
  fail_unless (json_object_get_int_member (stats, "nack_count") > 0);

  /* The loss ends: back up, from the lowest target (the reports of the
   * last lossy seconds may still take it down first). */
  g_atomic_int_set (&drop_on, FALSE);
  low = session_stats (p.id).target_kbps;
  fail_unless (RT_WAIT_UNTIL (pump (&p) && climbed (p.id, &low), WAIT_MS),
      "the target did not climb back (loss %f, target %u, lowest %u)",
      session_stats (p.id).fraction_lost, session_stats (p.id).target_kbps,
      low);
  fail_unless (RT_WAIT_UNTIL (encoder_bitrate ("cam") > low, WAIT_MS));

  unwatch (p.id, "u-1");
  wait_state (p.id, "ended", "u-1");
  fail_unless (RT_WAIT_UNTIL (rt_fake_camera_get_open_now () == 0, WAIT_MS));
  rt_webrtc_viewer_free (p.viewer);
}

GST_END_TEST;

/* The element named "encoder" in @session's branch of @pipeline_name
 * (transfer full), or NULL. */
static GstElement *
own_encoder (const gchar *pipeline_name, const gchar *session)
{
  g_autoptr (GstElement) pipeline = robot_pipeline (pipeline_name);
  g_autofree gchar *name = g_strdup_printf ("viewer-%s", session);
  g_autoptr (GstElement) branch
      = pipeline ? gst_bin_get_by_name (GST_BIN (pipeline), name) : NULL;

  return branch ? gst_bin_get_by_name (GST_BIN (branch), "encoder") : NULL;
}

static guint
own_encoder_bitrate (const gchar *session)
{
  g_autoptr (GstElement) encoder = own_encoder ("own", session);
  guint kbps = 0;

  if (encoder)
    g_object_get (encoder, "bitrate", &kbps, NULL);
  return kbps;
}

static gint key_frames_b;

static void
count_if_x264enc (const GValue *value, gpointer user_data)
{
  GstElementFactory *factory
      = gst_element_get_factory (g_value_get_object (value));

  if (factory && g_str_equal (GST_OBJECT_NAME (factory), "x264enc"))
    (*(guint *)user_data)++;
}

static guint
count_x264enc (GstBin *bin)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_recurse (bin);
  guint n = 0;

  while (
      gst_iterator_foreach (it, count_if_x264enc, &n) == GST_ITERATOR_RESYNC) {
    n = 0;
    gst_iterator_resync (it);
  }
  return n;
}

/* encoder-per-viewer=true: two viewers, each with its own encoder in its
 * branch and none shared; each decodes. A PLI from A gets a key frame
 * from A's encoder only; a new target for A moves A's encoder and leaves
 * B's at 1500. A leaving releases its encoder and B goes on; B leaving
 * releases the camera. (The rule stepping a target under loss is
 * test_bitrate_follows_loss's.) */
GST_START_TEST (test_encoder_per_viewer)
{
  Peer a = { "own-viewer-a" };
  Peer b = { "own-viewer-b" };
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstPad) src_a = NULL;
  g_autoptr (GstPad) src_b = NULL;
  GstElement *enc_a, *enc_b;
  gpointer gone_a;
  guint frames, requests_b;
  gint keys_a, keys_b;

  start_robot (NULL);
  connect_peer (&a, "own", NULL, FALSE);
  connect_peer (&b, "own", NULL, FALSE);
  fail_unless_equals_int (rt_fake_camera_get_opens (), 1);

  /* One encoder per branch, none before the tee: two x264enc in all. */
  pipeline = robot_pipeline ("own");
  fail_unless_equals_int (count_x264enc (GST_BIN (pipeline)), 2);
  enc_a = own_encoder ("own", a.id);
  enc_b = own_encoder ("own", b.id);
  fail_unless (enc_a != NULL && enc_b != NULL && enc_a != enc_b);

  /* A's picture-loss request reaches A's encoder (no key frame on its
   * own: key-int-max=100000), and B's encoder makes no key frame that B
   * did not ask for. */
  src_a = gst_element_get_static_pad (enc_a, "src");
  src_b = gst_element_get_static_pad (enc_b, "src");
  g_atomic_int_set (&key_frames, 0);
  g_atomic_int_set (&key_frames_b, 0);
  gst_pad_add_probe (src_a, GST_PAD_PROBE_TYPE_BUFFER, count_key_frames,
      &key_frames, NULL);
  gst_pad_add_probe (src_b, GST_PAD_PROBE_TYPE_BUFFER, count_key_frames,
      &key_frames_b, NULL);
  frames = rt_webrtc_viewer_get_frames (a.viewer);
  fail_unless (RT_WAIT_UNTIL (pump (&a) && pump (&b)
          && rt_webrtc_viewer_get_frames (a.viewer) >= frames + 25,
      WAIT_MS));
  requests_b = session_stats (b.id).key_unit_requests;
  keys_a = g_atomic_int_get (&key_frames);
  keys_b = g_atomic_int_get (&key_frames_b);
  rt_webrtc_viewer_request_key_unit (a.viewer);
  fail_unless (RT_WAIT_UNTIL (pump (&a) && pump (&b)
                       && g_atomic_int_get (&key_frames) > keys_a,
                   WAIT_MS),
      "no key frame from A's encoder after A's PLI");
  frames = rt_webrtc_viewer_get_frames (a.viewer);
  fail_unless (RT_WAIT_UNTIL (pump (&a) && pump (&b)
          && rt_webrtc_viewer_get_frames (a.viewer) >= frames + 10,
      WAIT_MS));
  if (session_stats (b.id).key_unit_requests == requests_b)
    fail_unless_equals_int (g_atomic_int_get (&key_frames_b), keys_b);

  /* A's target changes (through the rule's bounds, as its link's loss
   * would step it): A's encoder follows at the next figures, B's stays at
   * the definition's bitrate. */
  fail_unless (RT_WAIT_UNTIL (pump (&a) && pump (&b)
                       && own_encoder_bitrate (a.id) == 1500
                       && own_encoder_bitrate (b.id) == 1500,
                   WAIT_MS),
      "encoders at %u and %u, not the definition's 1500",
      own_encoder_bitrate (a.id), own_encoder_bitrate (b.id));
  webrtc_session_set_bitrate_bounds (webrtc_signalling_get_session (f.signalling,
                                         a.id),
      600, 300, 600);
  fail_unless_equals_int (session_stats (a.id).target_kbps, 600);
  fail_unless (RT_WAIT_UNTIL (pump (&a) && pump (&b)
                       && own_encoder_bitrate (a.id) == 600,
                   WAIT_MS),
      "A's encoder at %u, A's target %u", own_encoder_bitrate (a.id),
      session_stats (a.id).target_kbps);
  fail_unless_equals_int (session_stats (b.id).target_kbps, 1500);
  fail_unless_equals_int (own_encoder_bitrate (b.id), 1500);
  frames = rt_webrtc_viewer_get_frames (b.viewer);
  fail_unless (RT_WAIT_UNTIL (pump (&a) && pump (&b)
          && rt_webrtc_viewer_get_frames (b.viewer) >= frames + 25,
      WAIT_MS));
  fail_unless_equals_int (own_encoder_bitrate (b.id), 1500);

  /* A leaves: its branch and its encoder go (nobody else holds it), B
   * goes on, the camera stays open. */
  gst_clear_object (&src_a);
  gone_a = enc_a;
  g_object_add_weak_pointer (G_OBJECT (enc_a), &gone_a);
  gst_object_unref (enc_a);
  unwatch (a.id, "u-a");
  wait_state (a.id, "ended", "u-a");
  fail_unless (RT_WAIT_UNTIL (g_atomic_pointer_get (&gone_a) == NULL, WAIT_MS),
      "A's encoder outlived its branch");
  frames = rt_webrtc_viewer_get_frames (b.viewer);
  fail_unless (RT_WAIT_UNTIL (pump (&b)
                       && rt_webrtc_viewer_get_frames (b.viewer) >= frames + 25,
                   WAIT_MS),
      "B stopped when A left");
  fail_unless_equals_int (rt_fake_camera_get_open_now (), 1);

  /* B leaves: the source is released. */
  gst_clear_object (&src_b);
  gst_object_unref (enc_b);
  unwatch (b.id, "u-b");
  wait_state (b.id, "ended", "u-b");
  fail_unless (RT_WAIT_UNTIL (rt_fake_camera_get_open_now () == 0, WAIT_MS),
      "the camera is still open");
  fail_unless (
      RT_WAIT_UNTIL (on_demand_controller_get_state (controller ("own"))
              == ON_DEMAND_STATE_STOPPED,
          WAIT_MS));
  rt_webrtc_viewer_free (a.viewer);
  rt_webrtc_viewer_free (b.viewer);
}

GST_END_TEST;

/* Sends @event with @json and returns the error of the answer to
 * @request_id for @session (NULL: the answer has no session_id). */
static const RtReply *
ask (const gchar *event, const gchar *json, const gchar *session,
    const gchar *request_id)
{
  send_event (event, json);
  return wait_answer (session, request_id);
}

static void
assert_refused (const RtReply *r, const gchar *state, const gchar *words)
{
  fail_unless (r->error != NULL, "no reason given");
  fail_unless (strstr (r->error, words) != NULL, "reason \"%s\" lacks \"%s\"",
      r->error, words);
  if (state)
    fail_unless_equals_string (r->state, state);
}

GST_START_TEST (test_hostile_signalling_answered_with_reasons)
{
  Peer p = { "viewer-good-1" };
  g_autofree gchar *big = NULL;
  g_autofree gchar *json = NULL;
  GString *flood;
  guint i;

  start_robot (NULL);

  /* Shapes and ids. */
  assert_refused (ask ("watch", "[1,2]", NULL, NULL), "failed",
      "must be a JSON object");
  assert_refused (ask ("watch",
                      "{\"session_id\":\"short\",\"pipeline\":\"cam\","
                      "\"request_id\":\"h1\"}",
                      NULL, "h1"),
      "failed", "session_id");
  assert_refused (ask ("watch",
                      "{\"session_id\":\"hostile-0001\",\"pipeline\":\"nope\","
                      "\"request_id\":\"h2\"}",
                      "hostile-0001", "h2"),
      "failed", "unknown pipeline");
  assert_refused (ask ("watch",
                      "{\"session_id\":\"hostile-0002\",\"pipeline\":\"plain\","
                      "\"request_id\":\"h3\"}",
                      "hostile-0002", "h3"),
      "failed", "no WebRTC output");
  assert_refused (ask ("watch",
                      "{\"session_id\":\"hostile-0003\",\"pipeline\":\"cam\","
                      "\"params\":{\"x\":1},\"request_id\":\"h4\"}",
                      "hostile-0003", "h4"),
      "failed", "x");

  /* Unknown sessions. */
  assert_refused (ask ("answer",
                      "{\"session_id\":\"nobody-00001\",\"sdp\":\"v=0\\r\\n\","
                      "\"request_id\":\"h5\"}",
                      "nobody-00001", "h5"),
      NULL, "");
  assert_refused (ask ("candidates",
                      "{\"session_id\":\"nobody-00001\",\"candidates\":[],"
                      "\"request_id\":\"h6\"}",
                      "nobody-00001", "h6"),
      "ended", "unknown session");
  assert_refused (ask ("watch_renew",
                      "{\"session_id\":\"nobody-00001\",\"ttl\":5,"
                      "\"request_id\":\"h7\"}",
                      "nobody-00001", "h7"),
      "ended", "unknown session");

  /* A session that has no offer yet (its pipeline never plays): an
   * answer and candidates are refused, the session stays. */
  watch ("stuck-000001", "stuck", "h8");
  wait_state ("stuck-000001", "offering", "h8");
  assert_refused (ask ("answer",
                      "{\"session_id\":\"stuck-000001\",\"sdp\":\"v=0\\r\\n"
                      "o=- 1 1 IN IP4 0.0.0.0\\r\\ns=-\\r\\nt=0 0\\r\\n"
                      "a=ice-ufrag:abcd\\r\\na=ice-pwd:"
                      "abcdefghijklmnopqrstuv\\r\\na=fingerprint:sha-256 "
                      "00:11\\r\\nm=video 9 UDP/TLS/RTP/SAVPF 96\\r\\n"
                      "c=IN IP4 0.0.0.0\\r\\n\",\"request_id\":\"h9\"}",
                      "stuck-000001", "h9"),
      "offering", "no offer to answer yet");
  assert_refused (ask ("candidates",
                      "{\"session_id\":\"stuck-000001\",\"candidates\":[{"
                      "\"candidate\":\"candidate:1 1 UDP 1 127.0.0.1 9 typ "
                      "host\",\"sdpMLineIndex\":0}],\"request_id\":\"h10\"}",
                      "stuck-000001", "h10"),
      "offering", "before the answer");
  /* Malformed and oversized SDP. */
  assert_refused (ask ("answer",
                      "{\"session_id\":\"stuck-000001\",\"sdp\":\"hello\","
                      "\"request_id\":\"h11\"}",
                      "stuck-000001", "h11"),
      "offering", "not an SDP");
  assert_refused (ask ("answer",
                      "{\"session_id\":\"stuck-000001\",\"sdp\":\"v=0\\r\\n"
                      "m=video 9 UDP/TLS/RTP/SAVPF 96\\r\\n\","
                      "\"request_id\":\"h12\"}",
                      "stuck-000001", "h12"),
      "offering", "no ICE credentials");
  assert_refused (ask ("answer",
                      "{\"session_id\":\"stuck-000001\",\"sdp\":\"v=0\\u0001"
                      "\",\"request_id\":\"h13\"}",
                      "stuck-000001", "h13"),
      "offering", "byte 0x01");
  big = g_strnfill (20000, 'a');
  json = g_strdup_printf ("{\"session_id\":\"stuck-000001\",\"sdp\":\"v=0\\r\\n"
                          "a=%s\",\"request_id\":\"h14\"}",
      big);
  assert_refused (ask ("answer", json, "stuck-000001", "h14"), "offering",
      "longer than");
  /* A flood in one message. */
  flood = g_string_new ("{\"session_id\":\"stuck-000001\",\"request_id\":"
                        "\"h15\",\"candidates\":[");
  for (i = 0; i < 33; i++)
    g_string_append_printf (flood,
        "%s{\"candidate\":\"candidate:%u 1 UDP 1 127.0.0.1 9 typ host\","
        "\"sdpMLineIndex\":0}",
        i ? "," : "", i);
  g_string_append (flood, "]}");
  assert_refused (ask ("candidates", flood->str, "stuck-000001", "h15"),
      "offering", "33 candidates");
  g_string_free (flood, TRUE);

  /* A connected session: candidates of another ICE session, for a media
   * section that does not exist, and more than a session may have. */
  connect_peer (&p, "cam", NULL, FALSE);
  assert_refused (ask ("candidates",
                      "{\"session_id\":\"viewer-good-1\",\"candidates\":[{"
                      "\"candidate\":\"candidate:1 1 UDP 1 127.0.0.1 9 typ "
                      "host\",\"sdpMLineIndex\":0,\"usernameFragment\":"
                      "\"someone-else\"}],\"request_id\":\"h16\"}",
                      "viewer-good-1", "h16"),
      "watching", "another ICE session");
  assert_refused (ask ("candidates",
                      "{\"session_id\":\"viewer-good-1\",\"candidates\":[{"
                      "\"candidate\":\"candidate:1 1 UDP 1 127.0.0.1 9 typ "
                      "host\",\"sdpMLineIndex\":3}],\"request_id\":\"h17\"}",
                      "viewer-good-1", "h17"),
      "watching", "does not exist");
  {
    WebrtcSessionStats stats;
    guint sizes[3];

    /* Up to the session's bound (its own viewer's candidates count), then
     * one more is refused. */
    webrtc_session_get_stats (webrtc_signalling_get_session (f.signalling,
                                  p.id),
        &stats);
    fail_unless (stats.remote_candidates <= 32);
    sizes[0] = 32;
    sizes[1] = WEBRTC_REMOTE_CANDIDATES_MAX - 32 - stats.remote_candidates;
    sizes[2] = 1;
    for (i = 0; i < 3; i++) {
      g_autofree gchar *rid = g_strdup_printf ("f%u", i);
      const RtReply *r;
      guint j;

      flood = g_string_new (NULL);
      g_string_append_printf (flood,
          "{\"session_id\":\"viewer-good-1\",\"request_id\":\"%s\","
          "\"candidates\":[",
          rid);
      for (j = 0; j < sizes[i]; j++)
        g_string_append_printf (flood,
            "%s{\"candidate\":\"candidate:%u 1 UDP 1 127.0.0.1 9 typ "
            "host\",\"sdpMLineIndex\":0}",
            j ? "," : "", 100 + i * 32 + j);
      g_string_append (flood, "]}");
      r = ask ("candidates", flood->str, "viewer-good-1", rid);
      g_string_free (flood, TRUE);
      if (i < 2)
        fail_unless (r->error == NULL, "batch %u refused: %s", i, r->error);
      else
        assert_refused (r, "watching", "too many candidates");
    }
  }
  /* Media still flows after all that. */
  i = rt_webrtc_viewer_get_frames (p.viewer);
  fail_unless (RT_WAIT_UNTIL (rt_webrtc_viewer_get_frames (p.viewer) >= i + 25,
      WAIT_MS));
  /* A repeated watch of a live session is answered with its state and
   * makes no second session. */
  watch (p.id, "cam", "h18");
  fail_unless_equals_string (wait_answer (p.id, "h18")->state, "watching");
  fail_unless_equals_int (webrtc_signalling_count_sessions (f.signalling,
                              "cam"),
      1);
  unwatch (p.id, "h19");
  wait_state (p.id, "ended", "h19");
  unwatch ("stuck-000001", "h20");
  wait_state ("stuck-000001", "ended", "h20");
  /* Both sources released, the one that never produced too. (The test
   * must not end before: GST_END_TEST joins every streaming thread, and a
   * pipeline still stopping needs this main loop to finish.) */
  fail_unless (RT_WAIT_UNTIL (rt_fake_camera_get_open_now () == 0, WAIT_MS),
      "%d camera(s) still open", rt_fake_camera_get_open_now ());
  fail_unless (
      RT_WAIT_UNTIL (on_demand_controller_get_state (controller ("stuck"))
                  == ON_DEMAND_STATE_STOPPED
              && on_demand_controller_get_state (controller ("cam"))
                  == ON_DEMAND_STATE_STOPPED,
          WAIT_MS));
  rt_webrtc_viewer_free (p.viewer);
}

GST_END_TEST;

GST_START_TEST (test_lease_expires_without_renew)
{
  g_autofree gchar *json = NULL;

  start_robot (NULL);
  send_event ("watch",
      "{\"session_id\":\"leased-0001\",\"pipeline\":\"cam\","
      "\"ttl\":2,\"request_id\":\"l1\"}");
  wait_state ("leased-0001", "offering", "l1");
  fail_unless (RT_WAIT_UNTIL (rt_fake_camera_get_open_now () == 1, WAIT_MS));
  /* A renew extends it once... */
  send_event ("watch_renew",
      "{\"session_id\":\"leased-0001\",\"ttl\":3,\"request_id\":\"l2\"}");
  fail_unless_equals_string (wait_answer ("leased-0001", "l2")->state,
      "offering");
  /* ...and without another, it ends and the camera is released. */
  fail_unless_equals_string (wait_state ("leased-0001", "ended", NULL)->error,
      "lease expired");
  fail_unless (RT_WAIT_UNTIL (rt_fake_camera_get_open_now () == 0, WAIT_MS));
}

GST_END_TEST;

/* The real daemon with the shipped test-pattern-webrtc definition and
 * @extra_gateway in its configuration ("[webrtc]" lines allowed), joined
 * on the local server. */
static void
start_daemon_with (const gchar *extra_gateway, const gchar *turn_credentials);

static void
start_daemon (const gchar *extra_gateway)
{
  start_daemon_with (extra_gateway, NULL);
}

/* As start_daemon(), with a "turn-credentials" file holding
 * @turn_credentials (nullable) in the daemon's directory. */
static void
start_daemon_with (const gchar *extra_gateway, const gchar *turn_credentials)
{
  const gchar *dir = g_getenv ("RT_PIPELINES_DIR");
  g_autofree gchar *path = NULL;
  g_autofree gchar *text = NULL;
  g_autoptr (GError) error = NULL;

  fail_unless (dir != NULL, "RT_PIPELINES_DIR is not set");
  path = g_build_filename (dir, "test-pattern-webrtc.pipeline", NULL);
  fail_unless (g_file_get_contents (path, &text, NULL, &error), "%s: %s", path,
      error ? error->message : "");
  f.gp = rt_gateway_process_new ("webrtc");
  if (turn_credentials)
    rt_gateway_process_write_file (f.gp, "turn-credentials", turn_credentials);
  rt_gateway_process_write_file (f.gp, "pipelines/test-pattern-webrtc.pipeline",
      text);
  rt_gateway_process_write_config (f.gp, rt_server_get_url (f.server), CHANNEL,
      NULL, extra_gateway);
  rt_gateway_process_run (f.gp);
  if (!RT_WAIT_UNTIL (rt_server_count_members (f.server, TOPIC) >= 1
              || !rt_gateway_process_is_running (f.gp),
          15000)
      || rt_server_count_members (f.server, TOPIC) < 1) {
    rt_gateway_process_dump_log (f.gp);
    fail ("the daemon never joined the channel");
  }
}

/* The first pipeline_state of @pipeline in @state, or NULL. */
static const RtReply *
find_pipeline_state (const gchar *pipeline, const gchar *state)
{
  GPtrArray *all;
  guint i;

  rt_reply_collector_poll (f.pipeline_states);
  all = rt_reply_collector_get_replies (f.pipeline_states);
  for (i = 0; i < all->len; i++) {
    const RtReply *r = g_ptr_array_index (all, i);

    if (g_strcmp0 (payload_string (r, "pipeline"), pipeline) == 0
        && g_strcmp0 (r->state, state) == 0)
      return r;
  }
  return NULL;
}

/* The daemon as shipped: a viewer watches test-pattern-webrtc through the
 * channel and decodes frames; the configuration's max-viewers bounds the
 * sessions; the end of the session stops the pipeline and releases the
 * source; TERM ends cleanly. */
GST_START_TEST (test_daemon_watch_shipped_definition)
{
  Peer p = { "daemon-viewer-1" };
  const RtReply *offer, *r;
  g_autofree gchar *caps = NULL;

  start_daemon ("[webrtc]\nmax-viewers=1\nconnect-timeout=15\n");
  connect_peer (&p, "test-pattern-webrtc", NULL, FALSE);

  offer = find_reply (f.offers, 0, p.id, NULL, NULL);
  fail_unless (strstr (payload_string (offer, "sdp"), "profile-level-id=42e01f")
      != NULL);
  caps = rt_webrtc_viewer_dup_caps (p.viewer);
  fail_unless (caps && strstr (caps, "width=(int)640") != NULL, "%s", caps);
  fail_unless (find_pipeline_state ("test-pattern-webrtc", "playing") != NULL);

  /* /metrics shows the session and its link. */
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      RT_WAIT_UNTIL (pump (&p)
              && rt_gateway_process_metric (f.gp,
                     "gateway_webrtc_session_state{pipeline=\"test-pattern-"
                     "webrtc\",session=\"daemon-viewer-1\",state=\"watching\"}")
                  == 1
              && rt_gateway_process_metric (f.gp,
                     "gateway_webrtc_session_sent_bitrate_bps{pipeline=\"test-"
                     "pattern-webrtc\",session=\"daemon-viewer-1\"}")
                  > 0,
          WAIT_MS),
      "no watching session with a bitrate on /metrics");
  fail_unless (
      rt_gateway_process_metric (f.gp, "gateway_webrtc_sessions_total") >= 1);

  /* max-viewers=1 in the configuration, below the definition's 4. */
  watch ("daemon-viewer-2", "test-pattern-webrtc", "w-2");
  r = wait_answer ("daemon-viewer-2", "w-2");
  fail_unless_equals_string (r->state, "failed");
  fail_unless_equals_string (r->error, "too many viewers");

  unwatch (p.id, "u-1");
  wait_state (p.id, "ended", "u-1");
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      RT_WAIT_UNTIL (find_pipeline_state ("test-pattern-webrtc", "stopped")
              != NULL,
          WAIT_MS),
      "the pipeline did not stop after its last viewer");
  RT_GATEWAY_FAIL_UNLESS (f.gp,
      rt_gateway_process_wait_log (f.gp,
          "test-pattern-webrtc: phase stopping -> idle (released)", WAIT_MS),
      "the source was not released");
  rt_webrtc_viewer_free (p.viewer);
  RT_GATEWAY_FAIL_UNLESS (f.gp, rt_gateway_process_stop (f.gp, 15000),
      "the daemon did not stop on TERM");
  fail_unless_equals_int (rt_gateway_process_get_exit_status (f.gp), 0);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* TURN: coturn on loopback, both sides relay only */

#define TURN_USER "robot-1"
#define TURN_PASSWORD "turn-Secret-42"

static RtTurnServer *
start_turn (void)
{
  g_autoptr (GError) error = NULL;
  RtTurnServer *turn;

  fail_unless (rt_turn_server_available (),
      "coturn (/usr/bin/turnserver) is not installed: scripts/deps.sh "
      "installs it");
  turn = rt_turn_server_new (TURN_USER, TURN_PASSWORD, &error);
  fail_unless (turn != NULL, "coturn: %s", error ? error->message : "");
  return turn;
}

/* The viewer's TURN URI with the credentials (as a browser's iceServers
 * entry would carry them). */
static gchar *
viewer_turn_uri (RtTurnServer *turn)
{
  return g_strdup_printf ("turn://%s:%s@127.0.0.1:%u", TURN_USER, TURN_PASSWORD,
      rt_turn_server_get_port (turn));
}

/* Robot settings: relay only through @turn over UDP or TCP, with the
 * credentials read from a file as the daemon does. */
static void
relay_settings (WebrtcSettings *settings, RtTurnServer *turn, gboolean tcp,
    const gchar *credentials)
{
  g_autoptr (GError) error = NULL;
  gchar *servers[2] = { NULL, NULL };

  webrtc_settings_init (settings);
  servers[0] = rt_turn_server_dup_uri (turn, tcp);
  settings->turn_servers = g_strdupv (servers);
  g_free (servers[0]);
  rt_test_write_file (f.dir, "turn-credentials", credentials);
  settings->turn_credentials_file
      = g_build_filename (f.dir, "turn-credentials", NULL);
  fail_unless (webrtc_settings_read_credentials (settings, &error), "%s",
      error ? error->message : "");
  settings->relay_only = TRUE;
  settings->connect_timeout_ms = 8000;
}

/* Every candidate the robot sent for @session is a relayed one. */
static guint
count_robot_candidates (const gchar *session, gboolean relay)
{
  GPtrArray *all;
  guint i, j, n = 0;

  rt_reply_collector_poll (f.candidates);
  all = rt_reply_collector_get_replies (f.candidates);
  for (i = 0; i < all->len; i++) {
    const RtReply *r = g_ptr_array_index (all, i);
    JsonArray *array;

    if (g_strcmp0 (payload_string (r, "session_id"), session) != 0)
      continue;
    array = json_object_get_array_member (json_node_get_object (r->payload),
        "candidates");
    for (j = 0; j < json_array_get_length (array); j++) {
      const gchar *c
          = json_object_get_string_member (json_array_get_object_element (array,
                                               j),
              "candidate");

      if ((strstr (c, " typ relay") != NULL) == relay)
        n++;
    }
  }
  return n;
}

static void
watch_through_turn (gboolean robot_tcp)
{
  g_autoptr (RtTurnServer) turn = start_turn ();
  g_autofree gchar *uri = viewer_turn_uri (turn);
  Peer p = { robot_tcp ? "relayed-tcp-1" : "relayed-udp-1" };
  WebrtcSettings settings;

  relay_settings (&settings, turn, robot_tcp, TURN_USER ":" TURN_PASSWORD "\n");
  start_robot (&settings);
  webrtc_settings_clear (&settings);
  connect_peer (&p, "cam", uri, TRUE);

  /* Media went through the relay: both sides allocated on coturn, and the
   * robot offered relayed candidates only. */
  fail_unless_equals_int (count_robot_candidates (p.id, FALSE), 0);
  fail_unless (count_robot_candidates (p.id, TRUE) >= 1);
  fail_unless (rt_turn_server_count_allocations (turn) >= 2,
      "%u allocations on coturn", rt_turn_server_count_allocations (turn));
  unwatch (p.id, "u-1");
  wait_state (p.id, "ended", "u-1");
  fail_unless (RT_WAIT_UNTIL (rt_fake_camera_get_open_now () == 0, WAIT_MS));
  rt_webrtc_viewer_free (p.viewer);
}

GST_START_TEST (test_turn_udp_relay_only_both_sides)
{
  watch_through_turn (FALSE);
}

GST_END_TEST;

GST_START_TEST (test_turn_tcp_relay_only_both_sides)
{
  watch_through_turn (TRUE);
}

GST_END_TEST;

/* The robot's TURN credentials are wrong and it may use relays only: no
 * candidate can ever pair, and the session ends "failed" with the reason
 * (after connect-timeout), releasing the camera. */
GST_START_TEST (test_turn_wrong_credentials_fail_with_reason)
{
  g_autoptr (RtTurnServer) turn = start_turn ();
  g_autofree gchar *uri = viewer_turn_uri (turn);
  Peer p = { "wrong-creds-1" };
  WebrtcSettings settings;
  const RtReply *r;

  relay_settings (&settings, turn, FALSE, TURN_USER ":not-the-password\n");
  settings.connect_timeout_ms = 4000;
  start_robot (&settings);
  webrtc_settings_clear (&settings);
  p.viewer = rt_webrtc_viewer_new (uri, TRUE);
  watch (p.id, "cam", "w-1");
  wait_state (p.id, "offering", "w-1");
  if (!RT_WAIT_UNTIL (pump (&p)
              && find_reply (f.states, 0, p.id, "failed", NULL) != NULL,
          WAIT_MS)) {
    g_autofree gchar *seen = describe_states ();
    fail ("session %s never failed; seen: %s", p.id, seen);
  }
  r = find_reply (f.states, 0, p.id, "failed", NULL);
  assert_refused (r, "failed", "ICE failure");
  fail_unless (strstr (r->error, "TURN") != NULL, "%s", r->error);
  fail_unless (find_reply (f.states, 0, p.id, "watching", NULL) == NULL);
  fail_unless_equals_int (rt_webrtc_viewer_get_frames (p.viewer), 0);
  fail_unless_equals_int (count_robot_candidates (p.id, TRUE), 0);
  fail_unless (RT_WAIT_UNTIL (rt_fake_camera_get_open_now () == 0, WAIT_MS));
  rt_webrtc_viewer_free (p.viewer);
}

GST_END_TEST;

/* The daemon configured for TURN only (over TCP here, the viewer over
 * UDP), with the credentials in a file: media flows through coturn, and
 * the password is nowhere in the daemon's log (every level) or in what
 * check-config prints. */
GST_START_TEST (test_daemon_relay_only_credentials_never_logged)
{
  g_autoptr (RtTurnServer) turn = start_turn ();
  g_autofree gchar *uri = viewer_turn_uri (turn);
  g_autofree gchar *robot_uri = rt_turn_server_dup_uri (turn, TRUE);
  g_autofree gchar *extra = NULL;
  g_autofree gchar *log = NULL;
  g_autofree gchar *output = NULL;
  Peer p = { "daemon-relayed-1" };

  extra = g_strdup_printf ("[webrtc]\nturn-servers=%s\n"
                           "turn-credentials-file=turn-credentials\n"
                           "relay-only=true\nconnect-timeout=15\n",
      robot_uri);
  start_daemon_with (extra, TURN_USER ":" TURN_PASSWORD "\n");
  connect_peer (&p, "test-pattern-webrtc", uri, TRUE);
  fail_unless_equals_int (count_robot_candidates (p.id, FALSE), 0);
  fail_unless (count_robot_candidates (p.id, TRUE) >= 1);
  fail_unless (rt_turn_server_count_allocations (turn) >= 2,
      "%u allocations on coturn", rt_turn_server_count_allocations (turn));
  unwatch (p.id, "u-1");
  wait_state (p.id, "ended", "u-1");
  rt_webrtc_viewer_free (p.viewer);
  RT_GATEWAY_FAIL_UNLESS (f.gp, rt_gateway_process_stop (f.gp, 15000),
      "the daemon did not stop on TERM");

  fail_unless_equals_int (rt_gateway_process_check_config (f.gp, NULL, &output),
      0);
  log = rt_gateway_process_read_log (f.gp);
  fail_unless (strstr (log, "webrtc") != NULL, "the log is empty?");
  fail_unless (strstr (log, TURN_PASSWORD) == NULL,
      "the TURN password is in the daemon's log");
  fail_unless (strstr (output, TURN_PASSWORD) == NULL,
      "check-config printed the TURN password");
}

GST_END_TEST;

/* The rule of webrtc-bitrate.h, step by step. */
GST_START_TEST (test_bitrate_rule)
{
  WebrtcBitrate b;
  guint i;

  webrtc_bitrate_init (&b, 5000, 300, 1500);
  fail_unless_equals_int (b.target_kbps, 1500); /* clamped */
  /* One lossy report is not sustained loss; two are. */
  fail_if (webrtc_bitrate_report (&b, 0.08, 0.1));
  fail_unless (webrtc_bitrate_report (&b, 0.08, 0.1));
  fail_unless_equals_int (b.target_kbps, 1050);
  /* A neutral report (2..3 %) restarts the count. */
  fail_if (webrtc_bitrate_report (&b, 0.08, 0.1));
  fail_if (webrtc_bitrate_report (&b, 0.025, 0.1));
  fail_if (webrtc_bitrate_report (&b, 0.08, 0.1));
  fail_unless (webrtc_bitrate_report (&b, 0.05, 0.1));
  fail_unless_equals_int (b.target_kbps, 735);
  /* Never below min-bitrate. */
  for (i = 0; i < 20; i++)
    webrtc_bitrate_report (&b, 0.5, 0.1);
  fail_unless_equals_int (b.target_kbps, 300);
  /* Three clean reports step up by 15 %; a long RTT is not clean. */
  fail_if (webrtc_bitrate_report (&b, 0.0, 0.1));
  fail_if (webrtc_bitrate_report (&b, 0.0, 0.1));
  fail_if (webrtc_bitrate_report (&b, 0.0, 0.9));
  fail_if (webrtc_bitrate_report (&b, 0.0, -1));
  fail_if (webrtc_bitrate_report (&b, 0.0, -1));
  fail_unless (webrtc_bitrate_report (&b, 0.01, -1));
  fail_unless_equals_int (b.target_kbps, 345);
  /* Never above max-bitrate. */
  for (i = 0; i < 100; i++)
    webrtc_bitrate_report (&b, 0.0, 0.05);
  fail_unless_equals_int (b.target_kbps, 1500);
  fail_unless (b.steps_down >= 3 && b.steps_up >= 1);
}

GST_END_TEST;

/* Retransmission requests count as loss only while the viewer's reports
 * show loss: requests for late packets alone (a jitter buffer's timers on
 * a clean link) neither keep a target at the floor nor push it down. */
GST_START_TEST (test_bitrate_late_requests)
{
  WebrtcBitrate b;
  guint i;

  webrtc_bitrate_init (&b, 200, 200, 1000);
  /* The start of a session: no loss yet, whatever the viewer says. */
  for (i = 0; i < WEBRTC_BITRATE_START_SAMPLES; i++)
    fail_unless (webrtc_bitrate_sample_loss (&b, 0.5, 0.9, TRUE) == 0.0);
  /* A clean link: 6 % of the packets asked again, none ever lost. */
  for (i = 0; i < 3; i++)
    fail_unless (webrtc_bitrate_sample_loss (&b, 0.0, 0.06, FALSE) == 0.0);
  for (i = 0; i < 3; i++)
    webrtc_bitrate_report (&b, webrtc_bitrate_sample_loss (&b, 0, 0.06, FALSE),
        0.01);
  fail_unless_equals_int (b.target_kbps, 229);

  /* Real loss: a report whose cumulative count grew, or whose fraction
   * lost is above zero, makes the requests count, and for
   * WEBRTC_BITRATE_EVIDENCE_SAMPLES samples after the last such report. */
  fail_unless (webrtc_bitrate_sample_loss (&b, 0.0, 0.06, TRUE) == 0.06);
  for (i = 1; i < WEBRTC_BITRATE_EVIDENCE_SAMPLES; i++)
    fail_unless (webrtc_bitrate_sample_loss (&b, 0.0, 0.06, FALSE) == 0.06);
  fail_unless (webrtc_bitrate_sample_loss (&b, 0.0, 0.06, FALSE) == 0.0);
  fail_unless (webrtc_bitrate_sample_loss (&b, 0.01, 0.06, FALSE) == 0.06);
  /* Too many requests for late packets alone. */
  for (i = 0; i < WEBRTC_BITRATE_EVIDENCE_SAMPLES; i++)
    webrtc_bitrate_sample_loss (&b, 0.0, 0.06, FALSE);
  fail_unless (webrtc_bitrate_sample_loss (&b, 0.0, 0.06, FALSE) == 0.0);
  fail_unless (webrtc_bitrate_sample_loss (&b, 0.0, 0.2, FALSE) == 0.2);
  /* The report's figure when larger; never above 1. */
  fail_unless (webrtc_bitrate_sample_loss (&b, 0.09, 0.06, FALSE) == 0.09);
  fail_unless (webrtc_bitrate_sample_loss (&b, 0.0, 3.0, TRUE) == 1.0);
}

GST_END_TEST;

/* Watch/unwatch cycles (RT_WEBRTC_CYCLES, default 3; scripts/test runs
 * 100 under valgrind): each one starts the pipeline, builds a viewer
 * branch and its offer, then ends the session and releases the camera;
 * every tenth one connects a viewer and gets media first. Nothing may
 * accumulate: sessions, slots, branches. */
GST_START_TEST (test_watch_unwatch_cycles_no_leak)
{
  const gchar *env = g_getenv ("RT_WEBRTC_CYCLES");
  guint cycles = env ? (guint)g_ascii_strtoull (env, NULL, 10) : 3;
  WebrtcSettings settings;
  guint i;

  /* Connecting takes longer under valgrind: as long as the waits. */
  webrtc_settings_init (&settings);
  settings.connect_timeout_ms = WAIT_MS;
  start_robot (&settings);
  webrtc_settings_clear (&settings);
  for (i = 0; i < cycles; i++) {
    g_autofree gchar *id = g_strdup_printf ("cycle-%06u", i);
    g_autofree gchar *rid = g_strdup_printf ("u-%u", i);

    if (i % 10 == 0) {
      Peer p = { id };

      connect_peer (&p, "cam", NULL, FALSE);
      unwatch (id, rid);
      wait_state (id, "ended", rid);
      rt_webrtc_viewer_free (p.viewer);
    } else {
      watch (id, "cam", "w-1");
      fail_unless (RT_WAIT_UNTIL (find_reply (f.offers, 0, id, NULL, NULL)
                           != NULL,
                       WAIT_MS),
          "cycle %u: no offer", i);
      unwatch (id, rid);
      wait_state (id, "ended", rid);
    }
    fail_unless (RT_WAIT_UNTIL (rt_fake_camera_get_open_now () == 0
                         && on_demand_controller_get_state (controller ("cam"))
                             == ON_DEMAND_STATE_STOPPED,
                     WAIT_MS),
        "cycle %u: the camera is still open", i);
    fail_unless_equals_int (webrtc_signalling_count_sessions (f.signalling,
                                NULL),
        0);
  }
  g_message ("%u watch/unwatch cycles", cycles);
}

GST_END_TEST;

/* codec=vp8: the offer declares VP8 only and the viewer decodes it. */
GST_START_TEST (test_vp8_alternative)
{
  Peer p = { "vp8-viewer-1" };
  const RtReply *offer;
  const gchar *sdp;

  start_robot (NULL);
  connect_peer (&p, "vp8", NULL, FALSE);
  offer = find_reply (f.offers, 0, p.id, NULL, NULL);
  sdp = payload_string (offer, "sdp");
  fail_unless (strstr (sdp, "VP8/90000") != NULL, "%s", sdp);
  fail_unless (strstr (sdp, "H264") == NULL, "%s", sdp);
  unwatch (p.id, "u-1");
  wait_state (p.id, "ended", "u-1");
  fail_unless (RT_WAIT_UNTIL (rt_fake_camera_get_open_now () == 0, WAIT_MS));
  rt_webrtc_viewer_free (p.viewer);
}

GST_END_TEST;

static Suite *
webrtc_suite (void)
{
  Suite *s = suite_create ("webrtc");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 180);
  tcase_add_test (tc, test_watch_media_pli_unwatch_releases_camera);
  tcase_add_test (tc, test_two_viewers_one_blocked_and_too_many);
  tcase_add_test (tc, test_hostile_signalling_answered_with_reasons);
  tcase_add_test (tc, test_lease_expires_without_renew);
  tcase_add_test (tc, test_bitrate_follows_loss);
  tcase_add_test (tc, test_encoder_per_viewer);
  tcase_add_test (tc, test_vp8_alternative);
  tcase_add_test (tc, test_bitrate_rule);
  tcase_add_test (tc, test_bitrate_late_requests);
  tcase_add_test (tc, test_watch_unwatch_cycles_no_leak);

  tc = tcase_create ("daemon");
  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 180);
  tcase_add_test (tc, test_daemon_watch_shipped_definition);

  tc = tcase_create ("turn");
  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_set_timeout (tc, 180);
  tcase_add_test (tc, test_turn_udp_relay_only_both_sides);
  tcase_add_test (tc, test_turn_tcp_relay_only_both_sides);
  tcase_add_test (tc, test_turn_wrong_credentials_fail_with_reason);
  tcase_add_test (tc, test_daemon_relay_only_credentials_never_logged);
  return s;
}

RT_TEST_MAIN (webrtc)

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-ondemand.c: the daemon's GstPipeline runner (pipeline-runner.c),
 * through the controller, with real GStreamer pipelines: the first
 * buffer at a sink, params set as properties (defaults, description
 * values, warm READY or via NULL), EOS on stop (MP4 files
 * gst-discoverer can read), devices released before "stopped", bus
 * errors and unexpected EOS, bounded drains, a stuck state change, dispose
 * that never blocks, and start/stop cycles that leave nothing behind. The
 * lifecycle policy itself is test-controller.c's.
 */
#include "test-util.h"

#include "fake-camera.h"
#include "ondemand-controller.h"
#include "pipeline-runner.h"
#include "state-recorder.h"

#include <glib/gstdio.h>
#include <gst/base/gstbasesink.h>
#include <gst/video/video.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_FAKESINK "videotestsrc is-live=true name=src ! fakesink name=sink"
#define SMALL_CAPS "video/x-raw,format=I420,width=320,height=240,framerate=30/1"

/* ------------------------------------------------------------------ */
/* A sink whose stop (PAUSED -> READY) blocks until the test releases it
 * (block-stop: a device that hangs in its state change), or whose render
 * blocks from the second buffer on until it is unlocked (block-render: a
 * network sink that sent one packet and cannot deliver any more, holding
 * up its streaming thread). */

#define OD_TYPE_STUCK_SINK (od_stuck_sink_get_type ())
G_DECLARE_FINAL_TYPE (OdStuckSink, od_stuck_sink, OD, STUCK_SINK, GstBaseSink)

struct _OdStuckSink
{
  GstBaseSink parent;
  gboolean block_stop;
  gboolean block_render;
  guint rendered;
  GMutex lock;
  GCond cond;
  gboolean unlocked;
};

enum
{
  STUCK_PROP_0,
  STUCK_PROP_BLOCK_STOP,
  STUCK_PROP_BLOCK_RENDER,
};

G_DEFINE_TYPE (OdStuckSink, od_stuck_sink, GST_TYPE_BASE_SINK);

static GMutex stuck_lock;
static GCond stuck_cond;
static gboolean stuck_released;
static gint stuck_blocked;
static gint stuck_alive;

static GstStaticPadTemplate stuck_sink_template
    = GST_STATIC_PAD_TEMPLATE ("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
        GST_STATIC_CAPS_ANY);

static gboolean
od_stuck_sink_stop (GstBaseSink *sink)
{
  if (OD_STUCK_SINK (sink)->block_stop) {
    g_mutex_lock (&stuck_lock);
    g_atomic_int_inc (&stuck_blocked);
    while (!stuck_released)
      g_cond_wait (&stuck_cond, &stuck_lock);
    g_mutex_unlock (&stuck_lock);
  }
  return TRUE;
}

static GstFlowReturn
od_stuck_sink_render (GstBaseSink *sink, GstBuffer *buffer)
{
  OdStuckSink *self = OD_STUCK_SINK (sink);

  if (!self->block_render || self->rendered++ == 0)
    return GST_FLOW_OK;
  g_mutex_lock (&self->lock);
  while (!self->unlocked)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
  return GST_FLOW_FLUSHING;
}

static gboolean
od_stuck_sink_unlock (GstBaseSink *sink)
{
  OdStuckSink *self = OD_STUCK_SINK (sink);

  g_mutex_lock (&self->lock);
  self->unlocked = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
od_stuck_sink_unlock_stop (GstBaseSink *sink)
{
  OdStuckSink *self = OD_STUCK_SINK (sink);

  g_mutex_lock (&self->lock);
  self->unlocked = FALSE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static void
od_stuck_sink_set_property (GObject *object, guint prop_id, const GValue *value,
    GParamSpec *pspec)
{
  OdStuckSink *self = OD_STUCK_SINK (object);

  if (prop_id == STUCK_PROP_BLOCK_STOP)
    self->block_stop = g_value_get_boolean (value);
  else
    self->block_render = g_value_get_boolean (value);
}

static void
od_stuck_sink_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  OdStuckSink *self = OD_STUCK_SINK (object);

  g_value_set_boolean (value,
      prop_id == STUCK_PROP_BLOCK_STOP ? self->block_stop : self->block_render);
}

static void
od_stuck_sink_finalize (GObject *object)
{
  OdStuckSink *self = OD_STUCK_SINK (object);

  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_atomic_int_dec_and_test (&stuck_alive);
  G_OBJECT_CLASS (od_stuck_sink_parent_class)->finalize (object);
}

static void
od_stuck_sink_class_init (OdStuckSinkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *sink_class = GST_BASE_SINK_CLASS (klass);

  object_class->set_property = od_stuck_sink_set_property;
  object_class->get_property = od_stuck_sink_get_property;
  object_class->finalize = od_stuck_sink_finalize;
  g_object_class_install_property (object_class, STUCK_PROP_BLOCK_STOP,
      g_param_spec_boolean ("block-stop", "Block stop",
          "Block in stop until the test releases it", FALSE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (object_class, STUCK_PROP_BLOCK_RENDER,
      g_param_spec_boolean ("block-render", "Block render",
          "Block in render until unlocked", FALSE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  gst_element_class_set_static_metadata (element_class, "Stuck sink", "Sink",
      "Hangs in its stop or its render", "tests");
  gst_element_class_add_static_pad_template (element_class,
      &stuck_sink_template);
  sink_class->stop = od_stuck_sink_stop;
  sink_class->render = od_stuck_sink_render;
  sink_class->unlock = od_stuck_sink_unlock;
  sink_class->unlock_stop = od_stuck_sink_unlock_stop;
}

static void
od_stuck_sink_init (OdStuckSink *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_atomic_int_inc (&stuck_alive);
}

static void
register_stuck_sink (void)
{
  fail_unless (gst_element_register (NULL, "odstucksink", GST_RANK_NONE,
      OD_TYPE_STUCK_SINK));
}

/* ------------------------------------------------------------------ */
/* Helpers */

/* sample: rtfakecamera devices open when it was reported */
typedef RtStateEvent Event;

typedef struct
{
  gchar *dir;
  PipelineDef *def;
  OnDemandPipelineRunner *runner;
  OnDemandController *ctl;
  GPtrArray *events; /* Event* */
} Fixture;

/* An empty temporary directory for the definition and its output. */
static void
fixture_init_dir (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  memset (f, 0, sizeof (*f));
  f->dir = g_dir_make_tmp ("ondemand-XXXXXX", &error);
  fail_unless (f->dir != NULL, "tmp dir: %s", error ? error->message : "");
  f->events = rt_state_events_new ();
}

/* Writes front.pipeline with @body (the [pipeline] group header is
 * added) and loads it. */
static void
fixture_load (Fixture *f, const gchar *body)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *path = g_build_filename (f->dir, "front.pipeline", NULL);
  g_autofree gchar *text = g_strdup_printf ("[pipeline]\n%s\n", body);

  fail_unless (g_file_set_contents (path, text, -1, &error));
  f->def = pipeline_def_load (path, NULL, FALSE, problems);
  if (!f->def) {
    guint i;

    for (i = 0; i < problems->len; i++)
      g_printerr ("%s\n", (gchar *)g_ptr_array_index (problems, i));
    fail ("the test's pipeline definition does not load");
  }
}

static void
fixture_init (Fixture *f, const gchar *body)
{
  fixture_init_dir (f);
  fixture_load (f, body);
}

static void
fixture_create (Fixture *f)
{
  f->runner = on_demand_pipeline_runner_new (f->def);
  f->ctl = on_demand_controller_new (f->def, ON_DEMAND_RUNNER (f->runner));
  rt_state_recorder_attach (f->ctl, f->events, rt_fake_camera_get_open_now);
}

static void
fixture_clear (Fixture *f)
{
  GDir *dir;
  const gchar *name;

  g_clear_object (&f->ctl);
  g_clear_object (&f->runner);
  g_clear_pointer (&f->def, pipeline_def_unref);
  g_clear_pointer (&f->events, g_ptr_array_unref);
  dir = g_dir_open (f->dir, 0, NULL);
  while (dir && (name = g_dir_read_name (dir))) {
    g_autofree gchar *path = g_build_filename (f->dir, name, NULL);
    g_unlink (path);
  }
  if (dir)
    g_dir_close (dir);
  g_rmdir (f->dir);
  g_clear_pointer (&f->dir, g_free);
}

static GHashTable *
params_new (Fixture *f, const gchar *json)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = json_from_string (json, &error);
  GHashTable *values;

  fail_unless (node != NULL, "%s", error ? error->message : "");
  values = gateway_params_validate_request (f->def->params, node, &error);
  fail_unless (values != NULL, "params %s: %s", json,
      error ? error->message : "");
  return values;
}

static void
start (Fixture *f, const gchar *json, guint ttl, const gchar *request_id)
{
  g_autoptr (GHashTable) values = json ? params_new (f, json) : NULL;

  on_demand_controller_start (f->ctl, values, ttl, request_id);
}

static OnDemandState
state_of (Fixture *f)
{
  return on_demand_controller_get_state (f->ctl);
}

static Event *
last_event (Fixture *f)
{
  fail_unless (f->events->len > 0);
  return g_ptr_array_index (f->events, f->events->len - 1);
}

static guint
count_events (Fixture *f, OnDemandState state, const gchar *request_id)
{
  guint i, n = 0;

  for (i = 0; i < f->events->len; i++) {
    Event *e = g_ptr_array_index (f->events, i);

    if (e->state == state && g_strcmp0 (e->request_id, request_id) == 0)
      n++;
  }
  return n;
}

static guint
count_state (Fixture *f, OnDemandState state)
{
  guint i, n = 0;

  for (i = 0; i < f->events->len; i++)
    if (((Event *)g_ptr_array_index (f->events, i))->state == state)
      n++;
  return n;
}

static gboolean
wait_state (Fixture *f, OnDemandState state, guint timeout_ms)
{
  return RT_WAIT_UNTIL (state_of (f) == state, timeout_ms);
}

static GstElement *
dup_gst_pipeline (Fixture *f)
{
  GstElement *pipeline = NULL;

  g_object_get (f->runner, "pipeline", &pipeline, NULL);
  return pipeline;
}

static GstElement *
dup_element (Fixture *f, const gchar *name)
{
  g_autoptr (GstElement) pipeline = dup_gst_pipeline (f);

  fail_unless (pipeline != NULL, "no pipeline");
  return gst_bin_get_by_name (GST_BIN (pipeline), name);
}

static gint
element_int (Fixture *f, const gchar *element, const gchar *property)
{
  g_autoptr (GstElement) e = dup_element (f, element);
  gint value = 0;

  fail_unless (e != NULL);
  g_object_get (e, property, &value, NULL);
  return value;
}

static gboolean
gst_state_is (GstElement *element, GstState state)
{
  GstState current;

  GST_OBJECT_LOCK (element);
  current = GST_STATE (element);
  GST_OBJECT_UNLOCK (element);
  return current == state;
}

/* Duration in seconds as gst-discoverer-1.0 reports it, -1 when it could
 * not read the file. */
static gdouble
discover_duration (const gchar *path)
{
  const gchar *argv[] = { "timeout", "30", "gst-discoverer-1.0", path, NULL };
  g_autofree gchar *out = NULL;
  g_autofree gchar *err = NULL;
  g_autoptr (GRegex) regex = NULL;
  g_autoptr (GMatchInfo) match = NULL;
  gint status = 0;
  gdouble seconds = -1;

  fail_unless (g_spawn_sync (NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH,
      NULL, NULL, &out, &err, &status, NULL));
  regex = g_regex_new ("Duration: (\\d+):(\\d+):(\\d+\\.\\d+)", 0, 0, NULL);
  if (g_regex_match (regex, out, 0, &match)) {
    g_autofree gchar *h = g_match_info_fetch (match, 1);
    g_autofree gchar *m = g_match_info_fetch (match, 2);
    g_autofree gchar *s = g_match_info_fetch (match, 3);

    seconds = atoi (h) * 3600 + atoi (m) * 60 + g_ascii_strtod (s, NULL);
  } else {
    g_printerr ("gst-discoverer-1.0 %s:\n%s\n%s\n", path, out, err);
  }
  return seconds;
}

static guint
count_threads (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  fail_unless (dir != NULL);
  while (g_dir_read_name (dir))
    n++;
  g_dir_close (dir);
  return n;
}

static gchar *
mp4_body (Fixture *f, const gchar *extra)
{
  return g_strdup_printf ("description=videotestsrc is-live=true ! "
                          "%s ! x264enc tune=zerolatency "
                          "speed-preset=ultrafast ! "
                          "video/x-h264,profile=constrained-baseline ! "
                          "mp4mux ! "
                          "filesink name=sink location=%s/out.mp4\n"
                          "stop-timeout=5\n%s",
      SMALL_CAPS, f->dir, extra);
}

/* The MP4 recorded by @f, whose run was reported playing at
 * @playing_us and stopped at @stop_us, is complete and as long as that. */
static void
check_mp4 (Fixture *f, gint64 playing_us, gint64 stop_us)
{
  g_autofree gchar *path = g_build_filename (f->dir, "out.mp4", NULL);
  gdouble played = (stop_us - playing_us) / 1e6;
  gdouble duration = discover_duration (path);

  fail_unless (duration > 0, "%s unreadable: not finalised", path);
  g_message ("%s lasts %.3f s, played %.3f s", path, duration, played);
  fail_unless (ABS (duration - played) < 0.5,
      "file lasts %.3f s, played %.3f s", duration, played);
}

/* ------------------------------------------------------------------ */
/* Starting and stopping */

GST_START_TEST (test_start_reports_playing_at_first_buffer)
{
  Fixture f;
  OnDemandStats stats;
  Event *e;

  fixture_init (&f, "description=" LIVE_FAKESINK);
  fixture_create (&f);
  fail_unless_equals_int (state_of (&f), ON_DEMAND_STATE_STOPPED);

  start (&f, NULL, 0, "r1");
  /* Answered before start() returns. */
  fail_unless_equals_int (f.events->len, 1);
  e = last_event (&f);
  fail_unless_equals_int (e->state, ON_DEMAND_STATE_STARTING);
  fail_unless_equals_string (e->request_id, "r1");
  fail_unless (e->error == NULL);

  fail_unless (wait_state (&f, ON_DEMAND_STATE_PLAYING, 10000));
  e = last_event (&f);
  fail_unless_equals_string (e->request_id, "r1");
  on_demand_controller_get_stats (f.ctl, &stats);
  fail_unless_equals_int (stats.starts, 1);
  fail_unless_equals_int (stats.failures, 0);
  fail_unless (stats.last_time_to_first_buffer_ms > 0);

  on_demand_controller_stop (f.ctl, "r2");
  e = last_event (&f);
  fail_unless_equals_int (e->state, ON_DEMAND_STATE_STOPPING);
  fail_unless_equals_string (e->request_id, "r2");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_STOPPED, 10000));
  e = last_event (&f);
  fail_unless_equals_string (e->request_id, "r2");
  fail_unless (e->error == NULL);
  fail_unless_equals_int (f.events->len, 4);
  /* Not warm: the pipeline is gone, and with it any device it held. */
  {
    g_autoptr (GstElement) pipeline = dup_gst_pipeline (&f);
    fail_unless (pipeline == NULL);
  }
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_stop_finalises_mp4)
{
  Fixture f;
  g_autofree gchar *body = NULL;
  gint64 playing_us, stop_us;

  fixture_init_dir (&f);
  body = mp4_body (&f, "");
  fixture_load (&f, body);
  fixture_create (&f);

  start (&f, NULL, 0, "r1");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_PLAYING, 20000));
  playing_us = g_get_monotonic_time ();
  rt_test_run_for (2000);
  stop_us = g_get_monotonic_time ();
  on_demand_controller_stop (f.ctl, "r2");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_STOPPED, 20000));
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_FAILED), 0);
  check_mp4 (&f, playing_us, stop_us);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_params_set_as_properties)
{
  Fixture f;
  OnDemandStats stats;

  fixture_init (&f,
      "description=" LIVE_FAKESINK "\n"
      "[param:speed]\nelement=src\nproperty=horizontal-speed\n"
      "type=int\nmin=-100\nmax=100\n");
  fixture_create (&f);

  start (&f, "{\"speed\": 10}", 0, "r1");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_PLAYING, 10000));
  fail_unless_equals_int (element_int (&f, "src", "horizontal-speed"), 10);

  start (&f, "{\"speed\": 30}", 0, "r2");
  fail_unless_equals_int (last_event (&f)->state, ON_DEMAND_STATE_STARTING);
  fail_unless_equals_string (last_event (&f)->request_id, "r2");
  fail_unless (
      RT_WAIT_UNTIL (count_events (&f, ON_DEMAND_STATE_PLAYING, "r2") == 1,
          10000));
  fail_unless_equals_int (element_int (&f, "src", "horizontal-speed"), 30);
  on_demand_controller_get_stats (f.ctl, &stats);
  fail_unless_equals_int (stats.starts, 2);
  fail_unless_equals_int (stats.failures, 0);
  /* The restart is the client's "starting" then "playing", never a
   * "stopped" in between. */
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_STOPPED), 0);
  {
    g_autoptr (JsonNode) json = on_demand_controller_dup_params_json (f.ctl);
    g_autofree gchar *text = json_to_string (json, FALSE);
    fail_unless_equals_string (text, "{\"speed\":30}");
  }

  on_demand_controller_stop (f.ctl, "r3");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_STOPPED, 10000));
  fixture_clear (&f);
}

GST_END_TEST;

static gint
enum_value (Fixture *f, const gchar *element, const gchar *property,
    const gchar *nick)
{
  g_autoptr (GstElement) e = dup_element (f, element);
  GParamSpec *pspec
      = g_object_class_find_property (G_OBJECT_GET_CLASS (e), property);
  GEnumClass *klass = g_type_class_ref (pspec->value_type);
  GEnumValue *v = g_enum_get_value_by_nick (klass, nick);
  gint value;

  fail_unless (v != NULL);
  value = v->value;
  g_type_class_unref (klass);
  return value;
}

GST_START_TEST (test_warm_restores_defaults_and_description_values)
{
  Fixture f;
  g_autoptr (GstElement) before = NULL;
  g_autoptr (GstElement) after = NULL;

  fixture_init (&f,
      "description=videotestsrc is-live=true name=src pattern=ball "
      "horizontal-speed=2 ! fakesink async=false\n"
      "warm=true\n"
      "[param:pattern]\nelement=src\nproperty=pattern\ntype=enum\n"
      "values=smpte;snow;ball\n"
      "[param:speed]\nelement=src\nproperty=horizontal-speed\n"
      "type=int\nmin=-100\nmax=100\ndefault=5\n");
  fixture_create (&f);

  start (&f, "{\"pattern\": \"snow\", \"speed\": 20}", 0, "r1");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_PLAYING, 10000));
  before = dup_gst_pipeline (&f);
  fail_unless_equals_int (element_int (&f, "src", "pattern"),
      enum_value (&f, "src", "pattern", "snow"));
  fail_unless_equals_int (element_int (&f, "src", "horizontal-speed"), 20);

  on_demand_controller_stop (f.ctl, "r2");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_STOPPED, 10000));
  /* Warm: kept, parsed, PLAYING, with its source in NULL. */
  after = dup_gst_pipeline (&f);
  fail_unless (after == before);
  fail_unless (gst_state_is (after, GST_STATE_PLAYING));
  {
    g_autoptr (GstElement) src = dup_element (&f, "src");
    fail_unless (gst_state_is (src, GST_STATE_NULL));
  }
  gst_clear_object (&after);

  /* Left out: the declared default, else the description's own value,
   * never the previous run's. */
  start (&f, NULL, 0, "r3");
  fail_unless (
      RT_WAIT_UNTIL (count_events (&f, ON_DEMAND_STATE_PLAYING, "r3") == 1,
          10000));
  after = dup_gst_pipeline (&f);
  fail_unless (after == before);
  fail_unless_equals_int (element_int (&f, "src", "pattern"),
      enum_value (&f, "src", "pattern", "ball"));
  fail_unless_equals_int (element_int (&f, "src", "horizontal-speed"), 5);

  on_demand_controller_stop (f.ctl, "r4");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_STOPPED, 10000));
  fixture_clear (&f);
}

GST_END_TEST;

static GstPadProbeReturn
count_key_unit_requests (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  if (gst_video_event_is_force_key_unit (event))
    g_atomic_int_inc ((gint *)user_data);
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_start_requests_a_key_unit)
{
  Fixture f;
  g_autoptr (GstElement) src = NULL;
  g_autoptr (GstPad) pad = NULL;
  gint requests = 0;

  fixture_init (&f, "description=" LIVE_FAKESINK "\nwarm=true\n");
  fixture_create (&f);
  start (&f, NULL, 0, "r1");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_PLAYING, 10000));
  on_demand_controller_stop (f.ctl, "r2");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_STOPPED, 10000));

  /* The warm pipeline is kept: watch what reaches the source upstream. */
  src = dup_element (&f, "src");
  pad = gst_element_get_static_pad (src, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      count_key_unit_requests, &requests, NULL);
  start (&f, NULL, 0, "r3");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_PLAYING, 10000));
  fail_unless (RT_WAIT_UNTIL (g_atomic_int_get (&requests) >= 1, 5000));

  on_demand_controller_stop (f.ctl, "r4");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_STOPPED, 10000));
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_stop_during_start)
{
  Fixture f;
  OnDemandStats stats;

  fixture_init (&f, "description=" LIVE_FAKESINK);
  fixture_create (&f);

  /* The start's state change is still on its worker thread. */
  start (&f, NULL, 0, "r1");
  on_demand_controller_stop (f.ctl, "r2");
  fail_unless_equals_int (last_event (&f)->state, ON_DEMAND_STATE_STOPPING);
  fail_unless (wait_state (&f, ON_DEMAND_STATE_STOPPED, 10000));
  fail_unless_equals_int (f.events->len, 3);
  fail_unless_equals_string (last_event (&f)->request_id, "r2");
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_PLAYING), 0);
  on_demand_controller_get_stats (f.ctl, &stats);
  fail_unless_equals_int (stats.starts, 0);
  fixture_clear (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Params */

GST_START_TEST (test_param_binding_error_reports_failed)
{
  Fixture f;

  fixture_init (&f,
      "description=" LIVE_FAKESINK "\n"
      "[param:speed]\nelement=nosuch\nproperty=horizontal-speed\n"
      "type=int\nmin=-100\nmax=100\n");
  fixture_create (&f);
  start (&f, NULL, 0, "r1");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_FAILED, 10000));
  fail_unless_equals_string (last_event (&f)->request_id, "r1");
  fail_unless_equals_string (last_event (&f)->error,
      "param \"speed\": no element named \"nosuch\" in the pipeline");
  fixture_clear (&f);
}

GST_END_TEST;

/* The way back up from NULL: the way down is not posted (a pipeline
 * flushes its bus in NULL). */
static void
count_null_to_ready (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  GstState old_state, new_state;

  if (!GST_IS_PIPELINE (GST_MESSAGE_SRC (msg)))
    return;
  gst_message_parse_state_changed (msg, &old_state, &new_state, NULL);
  if (old_state == GST_STATE_NULL && new_state == GST_STATE_READY)
    g_atomic_int_inc ((gint *)user_data);
}

static void
run_once (Fixture *f, const gchar *json, const gchar *id)
{
  g_autofree gchar *stop_id = g_strdup_printf ("%s-stop", id);

  start (f, json, 0, id);
  fail_unless (RT_WAIT_UNTIL (count_events (f, ON_DEMAND_STATE_PLAYING, id)
                       == 1,
                   10000),
      "%s not playing", id);
  on_demand_controller_stop (f->ctl, stop_id);
  fail_unless (RT_WAIT_UNTIL (count_events (f, ON_DEMAND_STATE_STOPPED, stop_id)
                       == 1,
                   10000),
      "%s not stopped", id);
}

GST_START_TEST (test_warm_takes_params_live_or_via_null)
{
  Fixture f;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autofree gchar *level = NULL;
  gint via_null = 0;

  /* The camera comes and goes (in NULL when params are set: anything
   * goes); the queue's max-size-buffers may change while PLAYING; the
   * sink's max-lateness declares no such thing, so the warm part drops to
   * NULL to take a new one. */
  fixture_init (&f,
      "description=rtfakecamera name=cam ! queue name=q ! "
      "fakesink name=sink async=false\n"
      "warm=true\n"
      "[param:level]\nelement=cam\nproperty=level\ntype=int\n"
      "min=0\nmax=1000\n"
      "[param:buffers]\nelement=q\nproperty=max-size-buffers\ntype=uint\n"
      "min=1\nmax=100\n"
      "[param:lateness]\nelement=sink\nproperty=max-lateness\ntype=int\n"
      "min=-1\nmax=1000000\n");
  fixture_create (&f);
  /* Parsed at construction, before any start. */
  pipeline = dup_gst_pipeline (&f);
  fail_unless (pipeline != NULL);
  bus = gst_element_get_bus (pipeline);
  gst_bus_enable_sync_message_emission (bus);
  g_signal_connect (bus, "sync-message::state-changed",
      G_CALLBACK (count_null_to_ready), &via_null);
  /* The preparation brought it up once. */
  fail_unless (RT_WAIT_UNTIL (gst_state_is (pipeline, GST_STATE_PLAYING)
          && rt_fake_camera_get_open_now () == 0,
      10000));

  /* lateness has no default: its first value is news. */
  run_once (&f, "{\"level\": 1, \"buffers\": 5, \"lateness\": -1}", "r1");
  fail_unless (gst_state_is (pipeline, GST_STATE_PLAYING));
  g_atomic_int_set (&via_null, 0);

  /* The camera's level and the queue's size changed: set live. */
  run_once (&f, "{\"level\": 2, \"buffers\": 7, \"lateness\": -1}", "r2");
  fail_unless_equals_int (g_atomic_int_get (&via_null), 0);
  fail_unless_equals_int (element_int (&f, "q", "max-size-buffers"), 7);
  level = rt_fake_camera_dup_last_value ("level");
  fail_unless_equals_string (level, "2");

  /* The sink's max-lateness changed: through NULL. */
  run_once (&f, "{\"level\": 2, \"buffers\": 7, \"lateness\": 5}", "r3");
  fail_unless_equals_int (g_atomic_int_get (&via_null), 1);
  {
    g_autoptr (GstElement) sink = dup_element (&f, "sink");
    gint64 lateness = 0;

    g_object_get (sink, "max-lateness", &lateness, NULL);
    fail_unless_equals_int64 (lateness, 5);
  }
  {
    g_autoptr (GstElement) same = dup_gst_pipeline (&f);
    fail_unless (same == pipeline, "the warm pipeline was parsed again");
  }
  fail_unless (gst_state_is (pipeline, GST_STATE_PLAYING));
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_FAILED), 0);
  g_signal_handlers_disconnect_by_data (bus, &via_null);
  gst_bus_disable_sync_message_emission (bus);
  fixture_clear (&f);
}

GST_END_TEST;

static gboolean
runner_primed (Fixture *f)
{
  gboolean primed = FALSE;

  g_object_get (f->runner, "primed", &primed, NULL);
  return primed;
}

/* A camera that holds its device from READY up, as v4l2src does: the warm
 * design keeps everything after it PLAYING, and the camera itself in NULL
 * between runs, so the device is closed whenever nothing is asked for;
 * the priming run at construction feeds the warm part from a stand-in and
 * never opens it. */
GST_START_TEST (test_warm_camera_closed_between_runs)
{
  Fixture f;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) cam = NULL;
  guint i;

  rt_fake_camera_reset ();
  fixture_init (&f,
      "description=rtfakecamera name=cam open-in-ready=true ! "
      "videoconvert ! fakesink async=false\n"
      "warm=true\n");
  fixture_create (&f);
  /* Primed at construction without the camera. */
  fail_unless (RT_WAIT_UNTIL (runner_primed (&f), 10000));
  fail_unless_equals_int (rt_fake_camera_get_opens (), 0);
  pipeline = dup_gst_pipeline (&f);
  cam = dup_element (&f, "cam");

  for (i = 0; i < 3; i++) {
    g_autofree gchar *id = g_strdup_printf ("r%u", i);
    g_autofree gchar *stop_id = g_strdup_printf ("r%u-stop", i);
    Event *e;

    start (&f, NULL, 0, id);
    fail_unless (
        RT_WAIT_UNTIL (count_events (&f, ON_DEMAND_STATE_PLAYING, id) == 1,
            10000));
    e = last_event (&f);
    fail_unless_equals_int (e->sample, 1);
    on_demand_controller_stop (f.ctl, stop_id);
    fail_unless (
        RT_WAIT_UNTIL (count_events (&f, ON_DEMAND_STATE_STOPPED, stop_id) == 1,
            10000));
    /* Closed before "stopped" was reported, and still closed. */
    e = last_event (&f);
    fail_unless_equals_int (e->sample, 0);
    fail_unless_equals_int (rt_fake_camera_get_open_now (), 0);
    fail_unless_equals_int (rt_fake_camera_get_closes (), i + 1);
    /* While the rest stays warm. */
    fail_unless (gst_state_is (pipeline, GST_STATE_PLAYING));
    fail_unless (gst_state_is (cam, GST_STATE_NULL));
    {
      g_autoptr (GstElement) same = dup_gst_pipeline (&f);
      fail_unless (same == pipeline);
    }
  }
  fail_unless_equals_int (rt_fake_camera_get_opens (), 3);
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_FAILED), 0);
  gst_clear_object (&cam);
  gst_clear_object (&pipeline);
  g_clear_object (&f.ctl);
  g_clear_object (&f.runner);
  fail_unless (RT_WAIT_UNTIL (rt_fake_camera_get_instances () == 0, 5000));
  fixture_clear (&f);
}

GST_END_TEST;

/* Loading a warm definition, and loading it again (the daemon makes a new
 * runner per definition at start-up and at each SIGHUP), primes the warm
 * part without opening the camera: only a start does, once per run. */
GST_START_TEST (test_warm_load_and_reload_leave_camera_closed)
{
  Fixture f;
  guint i;

  rt_fake_camera_reset ();
  fixture_init (&f,
      "description=rtfakecamera name=cam open-in-ready=true ! "
      "videoconvert ! fakesink async=false\n"
      "warm=true\n");
  for (i = 0; i < 2; i++) {
    if (i > 0) {
      /* The reload: the old runner goes, a new one is made. */
      g_clear_object (&f.ctl);
      g_clear_object (&f.runner);
    }
    fixture_create (&f);
    fail_unless (RT_WAIT_UNTIL (runner_primed (&f), 10000));
    fail_unless_equals_int (rt_fake_camera_get_opens (), 0);
    fail_unless_equals_int (rt_fake_camera_get_open_now (), 0);
  }
  run_once (&f, NULL, "r1");
  fail_unless_equals_int (rt_fake_camera_get_opens (), 1);
  fail_unless_equals_int (rt_fake_camera_get_open_now (), 0);
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_FAILED), 0);
  fixture_clear (&f);
}

GST_END_TEST;

/* The shipped camera-rtp definition, its camera swapped for the fake one
 * in v4l2src's open-at-READY mode (and its device param dropped, the one
 * the fake camera has no property for): warm as shipped, the camera is
 * closed between runs while the encoder part stays PLAYING. */
GST_START_TEST (test_shipped_camera_rtp_closes_camera_between_runs)
{
  g_autofree gchar *dir = rt_test_shipped_pipelines_dir ();
  g_autofree gchar *path = g_build_filename (dir, "camera-rtp.pipeline", NULL);
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) loopback
      = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) cam = NULL;
  g_autofree gchar *json = NULL;
  g_autofree gchar *description = NULL;
  gchar **parts;
  Fixture f;
  guint i;

  rt_fake_camera_reset ();
  fixture_init_dir (&f);
  f.def = pipeline_def_load (path, NULL, FALSE, problems);
  fail_unless (f.def != NULL, "%s does not load", path);
  fail_unless (f.def->warm, "camera-rtp is shipped warm");
  parts = g_strsplit (f.def->description, "v4l2src name=src device=/dev/video0",
      2);
  fail_unless (g_strv_length (parts) == 2, "no v4l2src in %s",
      f.def->description);
  description = g_strjoinv ("rtfakecamera name=src open-in-ready=true", parts);
  g_strfreev (parts);
  g_free (f.def->description);
  f.def->description = g_steal_pointer (&description);
  for (i = 0; i < f.def->params->len; i++)
    if (g_str_equal (((GatewayParam *)g_ptr_array_index (f.def->params, i))
                         ->name,
            "device"))
      g_ptr_array_remove_index (f.def->params, i--);

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, NULL);
  fail_unless (socket != NULL);
  fail_unless (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  json = g_strdup_printf ("{\"port\": %u, \"framerate\": 25}",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  fixture_create (&f);
  /* Primed at construction without the camera. */
  fail_unless (RT_WAIT_UNTIL (runner_primed (&f), 20000));
  fail_unless_equals_int (rt_fake_camera_get_opens (), 0);
  pipeline = dup_gst_pipeline (&f);
  cam = dup_element (&f, "src");
  for (i = 0; i < 2; i++) {
    g_autofree gchar *id = g_strdup_printf ("r%u", i);
    g_autofree gchar *stop_id = g_strdup_printf ("r%u-stop", i);

    start (&f, json, 0, id);
    fail_unless (
        RT_WAIT_UNTIL (count_events (&f, ON_DEMAND_STATE_PLAYING, id) == 1,
            20000));
    fail_unless_equals_int (last_event (&f)->sample, 1);
    /* The first packet is on the socket already. */
    fail_unless (g_socket_condition_check (socket, G_IO_IN) & G_IO_IN);
    on_demand_controller_stop (f.ctl, stop_id);
    fail_unless (
        RT_WAIT_UNTIL (count_events (&f, ON_DEMAND_STATE_STOPPED, stop_id) == 1,
            20000));
    fail_unless_equals_int (last_event (&f)->sample, 0);
    fail_unless_equals_int (rt_fake_camera_get_open_now (), 0);
    fail_unless (gst_state_is (pipeline, GST_STATE_PLAYING));
    fail_unless (gst_state_is (cam, GST_STATE_NULL));
  }
  fail_unless_equals_int (rt_fake_camera_get_opens (), 2);
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_FAILED), 0);
  gst_clear_object (&cam);
  gst_clear_object (&pipeline);
  fixture_clear (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* "playing" after the first packet left, and a key unit first */

typedef struct
{
  GSocket *socket;
  guint playing;
  guint early; /* "playing" reports with no datagram waiting */
} PacketCheck;

static void
on_state_check_packet (OnDemandController *ctl, OnDemandState state,
    const gchar *request_id, const gchar *error, gpointer user_data)
{
  PacketCheck *check = user_data;
  gchar buf[2048];

  if (state != ON_DEMAND_STATE_PLAYING)
    return;
  check->playing++;
  /* Loopback delivers within sendmsg(): sent means queued here. */
  if (g_socket_receive_with_blocking (check->socket, buf, sizeof (buf), FALSE,
          NULL, NULL)
      <= 0)
    check->early++;
}

static void
drain_socket (GSocket *socket)
{
  gchar buf[2048];

  while (g_socket_receive_with_blocking (socket, buf, sizeof (buf), FALSE, NULL,
             NULL)
      > 0)
    ;
}

static void
check_playing_after_first_packet (const gchar *extra)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GInetAddress) loopback
      = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autofree gchar *body = NULL;
  PacketCheck check = { 0 };
  Fixture f;
  guint16 port;
  guint i;

  check.socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
      G_SOCKET_PROTOCOL_UDP, &error);
  fail_unless (check.socket != NULL);
  fail_unless (g_socket_bind (check.socket, any, FALSE, &error));
  bound = g_socket_get_local_address (check.socket, &error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  body = g_strdup_printf ("description=videotestsrc is-live=true ! " SMALL_CAPS
                          " ! rtpvrawpay ! udpsink name=sink sync=true "
                          "ts-offset=100000000 async=false "
                          "host=127.0.0.1 port=%u\n%s",
      port, extra);
  /* The sink holds each buffer 100 ms (ts-offset) before it sends it:
   * "playing" must wait for that. */
  fixture_init (&f, body);
  fixture_create (&f);
  g_signal_connect (f.ctl, "state-changed", G_CALLBACK (on_state_check_packet),
      &check);
  for (i = 0; i < 3; i++) {
    g_autofree gchar *id = g_strdup_printf ("r%u", i);

    /* Nothing is sent while stopped (nor while priming). */
    drain_socket (check.socket);
    run_once (&f, NULL, id);
    rt_test_run_for (50);
  }
  fail_unless_equals_int (check.playing, 3);
  fail_unless_equals_int (check.early, 0);
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_FAILED), 0);
  g_signal_handlers_disconnect_by_data (f.ctl, &check);
  fixture_clear (&f);
  g_object_unref (check.socket);
}

GST_START_TEST (test_playing_after_first_packet_left)
{
  check_playing_after_first_packet ("");
  check_playing_after_first_packet ("warm=true\n");
}

GST_END_TEST;

typedef struct
{
  gint armed; /* atomic: the next buffer is a run's first */
  gint first_delta; /* atomic: a run's first buffer was a delta unit */
  gint firsts; /* atomic */
  gint backwards; /* atomic: a run's first PTS not after the last one */
  GstClockTime last_pts; /* streaming thread */
} KeyCheck;

static GstPadProbeReturn
check_key_unit (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  KeyCheck *check = user_data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

  if (g_atomic_int_compare_and_exchange (&check->armed, TRUE, FALSE)) {
    g_atomic_int_inc (&check->firsts);
    if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
      g_atomic_int_inc (&check->first_delta);
    if (GST_CLOCK_TIME_IS_VALID (check->last_pts)
        && GST_BUFFER_PTS (buffer) <= check->last_pts)
      g_atomic_int_inc (&check->backwards);
  }
  check->last_pts = GST_BUFFER_PTS (buffer);
  return GST_PAD_PROBE_OK;
}

/* The warm encoder is never closed, so each run starts inside its GOP:
 * the start asks it for a key unit, and timestamps go on. */
GST_START_TEST (test_warm_encoder_starts_with_key_unit)
{
  Fixture f;
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstElement) enc = NULL;
  g_autoptr (GstPad) pad = NULL;
  KeyCheck check = { 0 };
  guint i;

  check.last_pts = GST_CLOCK_TIME_NONE;
  fixture_init (&f,
      "description=videotestsrc is-live=true ! " SMALL_CAPS " ! "
      "x264enc name=enc tune=zerolatency speed-preset=ultrafast "
      "key-int-max=1000 ! fakesink name=sink async=false\n"
      "warm=true\n");
  fixture_create (&f);
  sink = dup_element (&f, "sink");
  enc = dup_element (&f, "enc");
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, check_key_unit, &check,
      NULL);
  for (i = 0; i < 3; i++) {
    g_autofree gchar *id = g_strdup_printf ("r%u", i);

    g_atomic_int_set (&check.armed, TRUE);
    run_once (&f, NULL, id);
    /* The encoder stays PLAYING between runs. */
    fail_unless (gst_state_is (enc, GST_STATE_PLAYING));
  }
  fail_unless_equals_int (g_atomic_int_get (&check.firsts), 3);
  fail_unless_equals_int (g_atomic_int_get (&check.first_delta), 0);
  fail_unless_equals_int (g_atomic_int_get (&check.backwards), 0);
  fixture_clear (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Devices, bus errors */

GST_START_TEST (test_device_released_before_stopped)
{
  Fixture f;
  Event *e;

  rt_fake_camera_reset ();
  fixture_init (&f, "description=rtfakecamera name=cam ! fakesink\n");
  fixture_create (&f);
  start (&f, NULL, 0, "r1");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_PLAYING, 10000));
  fail_unless_equals_int (rt_fake_camera_get_open_now (), 1);
  on_demand_controller_stop (f.ctl, "r2");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_STOPPED, 10000));
  /* Closed, and the element gone, before "stopped" was reported: a
   * client may start another pipeline on the same device at once. */
  e = last_event (&f);
  fail_unless_equals_int (e->sample, 0);
  fail_unless_equals_int (rt_fake_camera_get_instances (), 0);
  fail_unless_equals_int (rt_fake_camera_get_closes (), 1);
  g_clear_object (&f.ctl);
  g_clear_object (&f.runner);

  /* Warm: kept in READY, where the device is closed too. */
  fixture_load (&f,
      "description=rtfakecamera name=cam ! fakesink\n"
      "warm=true\n");
  fixture_create (&f);
  start (&f, NULL, 0, "r3");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_PLAYING, 10000));
  on_demand_controller_stop (f.ctl, "r4");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_STOPPED, 10000));
  fail_unless_equals_int (last_event (&f)->sample, 0);
  fail_unless_equals_int (rt_fake_camera_get_instances (), 1);
  fixture_clear (&f);
  fail_unless (RT_WAIT_UNTIL (rt_fake_camera_get_instances () == 0, 5000));
}

GST_END_TEST;

GST_START_TEST (test_bus_error_names_the_element)
{
  Fixture f;

  fixture_init (&f,
      "description=rtfakecamera name=cam error-after=5 ! fakesink\n");
  fixture_create (&f);
  start (&f, NULL, 0, "r1");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_FAILED, 10000));
  fail_unless_equals_int (count_events (&f, ON_DEMAND_STATE_PLAYING, "r1"), 1);
  fail_unless_equals_string (last_event (&f)->request_id, "r1");
  fail_unless_equals_string (last_event (&f)->error,
      "cam: Camera failed (on purpose)");
  g_clear_object (&f.ctl);
  g_clear_object (&f.runner);

  /* While the start's state change runs: the element's own message, not
   * "state change failed". */
  fixture_load (&f,
      "description=rtfakecamera name=cam fail-open=true ! "
      "fakesink\n");
  fixture_create (&f);
  start (&f, NULL, 0, "r2");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_FAILED, 10000));
  fail_unless_equals_string (last_event (&f)->error,
      "cam: Device is busy (on purpose)");
  fail_unless_equals_int (count_events (&f, ON_DEMAND_STATE_FAILED, "r2"), 1);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_parse_error_reports_failed)
{
  Fixture f;

  fixture_init (&f, "description=od-no-such-element ! fakesink\n");
  fixture_create (&f);
  start (&f, NULL, 0, "r1");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_FAILED, 10000));
  fail_unless_equals_string (last_event (&f)->request_id, "r1");
  fail_unless (strstr (last_event (&f)->error, "od-no-such-element"),
      "error: %s", last_event (&f)->error);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_end_by_itself_is_a_failure)
{
  Fixture f;

  fixture_init (&f,
      "description=videotestsrc is-live=true num-buffers=10 "
      "! fakesink\n");
  fixture_create (&f);
  start (&f, NULL, 0, "r1");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_FAILED, 10000));
  fail_unless_equals_int (count_events (&f, ON_DEMAND_STATE_PLAYING, "r1"), 1);
  fail_unless_equals_string (last_event (&f)->error, "ended by itself (EOS)");
  fixture_clear (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Bounded stops, stuck state changes, shutdown, dispose */

GST_START_TEST (test_stop_while_waiting_for_first_buffer)
{
  Fixture f;
  g_autoptr (GstElement) pipeline = NULL;
  gint64 t0;

  /* Never produces; the EOS does not get through the valve either, so
   * the stop is bounded by stop-timeout. */
  fixture_init (&f,
      "description=videotestsrc is-live=true ! valve drop=true "
      "! fakesink async=false\n"
      "start-timeout=30\nstop-timeout=0.5\n");
  fixture_create (&f);
  start (&f, NULL, 0, "r1");
  pipeline = dup_gst_pipeline (&f);
  fail_unless (
      RT_WAIT_UNTIL (gst_state_is (pipeline, GST_STATE_PLAYING), 10000));
  gst_clear_object (&pipeline);

  t0 = g_get_monotonic_time ();
  on_demand_controller_stop (f.ctl, "r2");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_STOPPED, 10000));
  fail_unless (g_get_monotonic_time () - t0 < 3 * G_TIME_SPAN_SECOND);
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_FAILED), 0);
  fail_unless_equals_string (last_event (&f)->request_id, "r2");
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_stop_with_blocked_sink_is_bounded)
{
  Fixture f;
  gint64 t0;

  /* The EOS cannot get past a sink that does not deliver; after
   * stop-timeout the sinks are flushed and the pipeline torn down. */
  register_stuck_sink ();
  fixture_init (&f,
      "description=videotestsrc is-live=true ! "
      "odstucksink block-render=true\nstop-timeout=0.5\n");
  fixture_create (&f);
  start (&f, NULL, 0, "r1");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_PLAYING, 10000));
  /* Let the streaming thread get stuck in render. */
  rt_test_run_for (200);
  t0 = g_get_monotonic_time ();
  on_demand_controller_stop (f.ctl, "r2");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_STOPPED, 10000));
  fail_unless (g_get_monotonic_time () - t0 < 3 * G_TIME_SPAN_SECOND);
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_FAILED), 0);
  fail_unless (RT_WAIT_UNTIL (g_atomic_int_get (&stuck_alive) == 0, 5000));
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_stuck_state_change_is_abandoned)
{
  Fixture f;

  register_stuck_sink ();
  stuck_released = FALSE;
  fixture_init (&f,
      "description=videotestsrc is-live=true ! "
      "odstucksink block-stop=true\nstop-timeout=0.5\n");
  fixture_create (&f);
  g_object_set (f.ctl, "state-change-grace", 300, NULL);

  start (&f, NULL, 0, "r1");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_PLAYING, 10000));
  on_demand_controller_stop (f.ctl, "r2");
  /* The main loop keeps running (RT_WAIT_UNTIL iterates it) while the
   * worker hangs in the sink's stop. */
  fail_unless (wait_state (&f, ON_DEMAND_STATE_FAILED, 5000));
  fail_unless (g_atomic_int_get (&stuck_blocked) == 1);
  fail_unless_equals_string (last_event (&f)->error, "stuck in state change");
  fail_unless_equals_string (last_event (&f)->request_id, "r2");

  /* A new start builds a fresh pipeline. */
  start (&f, NULL, 0, "r3");
  fail_unless (
      RT_WAIT_UNTIL (count_events (&f, ON_DEMAND_STATE_PLAYING, "r3") == 1,
          10000));
  fail_unless_equals_int (g_atomic_int_get (&stuck_alive), 2);

  /* The device comes back: the abandoned worker finishes, and drops the
   * old pipeline. */
  g_mutex_lock (&stuck_lock);
  stuck_released = TRUE;
  g_cond_broadcast (&stuck_cond);
  g_mutex_unlock (&stuck_lock);
  fail_unless (RT_WAIT_UNTIL (g_atomic_int_get (&stuck_alive) == 1, 5000));

  on_demand_controller_stop (f.ctl, "r4");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_STOPPED, 10000));
  fail_unless (RT_WAIT_UNTIL (g_atomic_int_get (&stuck_alive) == 0, 5000));
  fixture_clear (&f);
}

GST_END_TEST;

static void
on_shut (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  gint *done = user_data;

  fail_unless (
      on_demand_controller_shutdown_finish (ON_DEMAND_CONTROLLER (source),
          result, &error));
  *done = 1;
}

GST_START_TEST (test_shutdown_finalises_file)
{
  Fixture f;
  g_autofree gchar *body = NULL;
  gint done = 0;
  gint64 playing_us, stop_us;
  guint n;

  fixture_init_dir (&f);
  body = mp4_body (&f, "warm=true\n");
  fixture_load (&f, body);
  fixture_create (&f);

  start (&f, NULL, 60, "r1");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_PLAYING, 20000));
  playing_us = g_get_monotonic_time ();
  rt_test_run_for (1500);
  stop_us = g_get_monotonic_time ();
  on_demand_controller_shutdown (f.ctl, on_shut, &done);
  fail_unless (RT_WAIT_UNTIL (done, 20000));
  fail_unless_equals_int (state_of (&f), ON_DEMAND_STATE_STOPPED);
  fail_unless (last_event (&f)->request_id == NULL);
  check_mp4 (&f, playing_us, stop_us);
  /* Even a warm pipeline is gone, and requests change nothing now. */
  {
    g_autoptr (GstElement) pipeline = dup_gst_pipeline (&f);
    fail_unless (pipeline == NULL);
  }
  n = f.events->len;
  start (&f, NULL, 0, "r2");
  fail_unless_equals_int (f.events->len, n + 1);
  fail_unless_equals_string (last_event (&f)->error, "shutting down");
  rt_test_run_for (200);
  fail_unless_equals_int (state_of (&f), ON_DEMAND_STATE_STOPPED);
  fixture_clear (&f);
}

GST_END_TEST;

static void
pipeline_gone (gpointer data, GObject *where_the_object_was)
{
  *(gint *)data = 1;
}

GST_START_TEST (test_dispose_while_playing)
{
  Fixture f;
  GstElement *pipeline;
  guint sources;
  gint gone = 0;

  fixture_init (&f, "description=" LIVE_FAKESINK);
  sources = rt_test_count_sources ();
  fixture_create (&f);
  start (&f, NULL, 60, "r1");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_PLAYING, 10000));
  pipeline = dup_gst_pipeline (&f);
  g_object_weak_ref (G_OBJECT (pipeline), pipeline_gone, &gone);
  gst_object_unref (pipeline);

  /* Disposing never blocks; the pipeline goes to NULL on a thread. */
  g_clear_object (&f.ctl);
  g_clear_object (&f.runner);
  fail_unless (RT_WAIT_UNTIL (gone, 5000));
  fail_unless_equals_int (rt_test_count_sources (), sources);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_dispose_during_transitions)
{
  Fixture f;
  GstElement *pipeline;
  guint sources;
  gint gone = 0;

  fixture_init (&f, "description=" LIVE_FAKESINK);
  sources = rt_test_count_sources ();

  /* While the start's state change is on its thread. */
  fixture_create (&f);
  start (&f, NULL, 0, "r1");
  pipeline = dup_gst_pipeline (&f);
  fail_unless (pipeline != NULL);
  g_object_weak_ref (G_OBJECT (pipeline), pipeline_gone, &gone);
  gst_object_unref (pipeline);
  g_clear_object (&f.ctl);
  g_clear_object (&f.runner);
  fail_unless (RT_WAIT_UNTIL (gone, 5000));
  fail_unless_equals_int (rt_test_count_sources (), sources);

  /* While a stop waits for its EOS. */
  gone = 0;
  fixture_create (&f);
  start (&f, NULL, 0, "r2");
  fail_unless (wait_state (&f, ON_DEMAND_STATE_PLAYING, 10000));
  pipeline = dup_gst_pipeline (&f);
  g_object_weak_ref (G_OBJECT (pipeline), pipeline_gone, &gone);
  gst_object_unref (pipeline);
  on_demand_controller_stop (f.ctl, "r3");
  g_clear_object (&f.ctl);
  g_clear_object (&f.runner);
  fail_unless (RT_WAIT_UNTIL (gone, 5000));
  fail_unless_equals_int (rt_test_count_sources (), sources);
  fixture_clear (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Cycles (CI runs this one under valgrind with RT_ONDEMAND_CYCLES=500) */

/* warm: 0 cold, 1 warm but not split (fakesink async=true: parsed, NULL
 * between runs), 2 warm split (the source comes and goes). */
static void
cycles (gint warm, guint n)
{
  Fixture f;
  guint sources_before = rt_test_count_sources ();
  guint sources = 0, threads = 0, i;

  fixture_init (&f,
      warm == 2  ? "description=videotestsrc is-live=true name=src ! "
                   "fakesink name=sink async=false\nwarm=true\n"
          : warm ? "description=" LIVE_FAKESINK "\nwarm=true\n"
                 : "description=" LIVE_FAKESINK "\n");
  fixture_create (&f);
  for (i = 0; i < n; i++) {
    gchar id[16];

    g_snprintf (id, sizeof (id), "s%u", i);
    start (&f, NULL, 0, id);
    fail_unless (RT_WAIT_UNTIL (count_events (&f, ON_DEMAND_STATE_PLAYING, id)
                         == 1,
                     20000),
        "cycle %u: not playing", i);
    g_snprintf (id, sizeof (id), "t%u", i);
    on_demand_controller_stop (f.ctl, id);
    fail_unless (RT_WAIT_UNTIL (count_events (&f, ON_DEMAND_STATE_STOPPED, id)
                         == 1,
                     20000),
        "cycle %u: not stopped", i);
    fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_FAILED), 0);
    /* The counts after the first cycles (pools, caches warmed up) are the
     * reference; later cycles must not add to them. */
    if (i == MIN (2, n - 1)) {
      sources = rt_test_count_sources ();
      threads = count_threads ();
    } else if (i > 2) {
      fail_unless_equals_int (rt_test_count_sources (), sources);
    }
    /* Keeps valgrind's "still reachable" flat across cycles too. */
    g_ptr_array_set_size (f.events, 0);
    rt_test_clear_logs ();
  }
  /* GStreamer's and GLib's thread pools keep a few idle threads around;
   * a thread per cycle would be far above that. */
  fail_unless (RT_WAIT_UNTIL (count_threads () <= threads + 3, 20000),
      "%u threads after %u cycles, %u after the first ones", count_threads (),
      n, threads);
  g_clear_object (&f.ctl);
  g_clear_object (&f.runner);
  fail_unless_equals_int (rt_test_count_sources (), sources_before);
  fixture_clear (&f);
}

GST_START_TEST (test_start_stop_cycles_no_leak)
{
  const gchar *env = g_getenv ("RT_ONDEMAND_CYCLES");
  guint n = env ? (guint)g_ascii_strtoull (env, NULL, 10) : 20;

  if (n == 0)
    n = 20;
  cycles (0, n);
  cycles (1, n);
  cycles (2, n);
}

GST_END_TEST;

static Suite *
ondemand_suite (void)
{
  Suite *s = suite_create ("ondemand");
  TCase *tc = tcase_create ("general");

  rt_fake_camera_register ();
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_start_reports_playing_at_first_buffer);
  tcase_add_test (tc, test_stop_finalises_mp4);
  tcase_add_test (tc, test_params_set_as_properties);
  tcase_add_test (tc, test_warm_restores_defaults_and_description_values);
  tcase_add_test (tc, test_start_requests_a_key_unit);
  tcase_add_test (tc, test_stop_during_start);
  tcase_add_test (tc, test_param_binding_error_reports_failed);
  tcase_add_test (tc, test_warm_takes_params_live_or_via_null);
  tcase_add_test (tc, test_warm_camera_closed_between_runs);
  tcase_add_test (tc, test_warm_load_and_reload_leave_camera_closed);
  tcase_add_test (tc, test_shipped_camera_rtp_closes_camera_between_runs);
  tcase_add_test (tc, test_playing_after_first_packet_left);
  tcase_add_test (tc, test_warm_encoder_starts_with_key_unit);
  tcase_add_test (tc, test_device_released_before_stopped);
  tcase_add_test (tc, test_bus_error_names_the_element);
  tcase_add_test (tc, test_parse_error_reports_failed);
  tcase_add_test (tc, test_end_by_itself_is_a_failure);
  tcase_add_test (tc, test_stop_while_waiting_for_first_buffer);
  tcase_add_test (tc, test_stop_with_blocked_sink_is_bounded);
  tcase_add_test (tc, test_stuck_state_change_is_abandoned);
  tcase_add_test (tc, test_shutdown_finalises_file);
  tcase_add_test (tc, test_dispose_while_playing);
  tcase_add_test (tc, test_dispose_during_transitions);
  tcase_add_test (tc, test_start_stop_cycles_no_leak);
  return s;
}

RT_TEST_MAIN (ondemand)

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-realtimesrc.c: what only the realtimesrc element does, against the
 * local realtime server on loopback: properties (and that they reach the
 * core: event names, max-ttl, restart policy, token file, heartbeat
 * timeout), state changes, the camera released while stopped, timestamps
 * across cycles, EOS, idle frames (their rate; through an encoder and a
 * payloader and back to live), bus messages, the ghost pad, secrets,
 * one copy of every GType, no leaks. The lifecycle policy itself is tested
 * once, against a fake runner, by tests/test-controller.c.
 *
 * The element's realtime client runs on its own thread and context; the
 * server runs on this thread's default context, so every wait iterates it
 * (RT_WAIT_UNTIL).
 */
#include "test-util.h"

#include "fake-camera.h"
#include "ondemand-controller.h"
#include "realtime-client.h"
#include "reply-collector.h"
#include "rt-server.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/check/gstharness.h>
#include <string.h>

#define CHANNEL "cam-test"
#define TOPIC "realtime:" CHANNEL

/* ---------------------------------------------------------------------- */
/* fixture */

static RtServer *server;
static RtReplyCollector *replies;
static gchar *work_dir;
static gchar *key_file;

static void
setup (void)
{
  GError *error = NULL;

  server = rt_server_new (0, RT_TEST_API_KEY, &error);
  g_assert_no_error (error);
  replies = rt_reply_collector_new (server, TOPIC, NULL);
  work_dir = g_dir_make_tmp ("rt-elements-XXXXXX", &error);
  g_assert_no_error (error);
  key_file = g_build_filename (work_dir, "key", NULL);
  fail_unless (g_file_set_contents (key_file, RT_TEST_API_KEY "\n", -1, NULL));
}

static void
remove_dir (const gchar *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir))) {
    gchar *file = g_build_filename (path, name, NULL);
    g_unlink (file);
    g_free (file);
  }
  if (dir)
    g_dir_close (dir);
  g_rmdir (path);
}

static void
teardown (void)
{
  g_clear_pointer (&replies, rt_reply_collector_free);
  g_clear_pointer (&server, rt_server_free);
  rt_test_run_for (20);
  remove_dir (work_dir);
  g_clear_pointer (&work_dir, g_free);
  g_clear_pointer (&key_file, g_free);
}

static gchar *
write_file (const gchar *name, const gchar *contents)
{
  gchar *path = g_build_filename (work_dir, name, NULL);

  fail_unless (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

/* A realtimesrc for the fixture's server, fast timers, owned (not
 * floating). */
static GstElement *
new_src (const gchar *source)
{
  GstElement *src = gst_element_factory_make ("realtimesrc", "cam");

  fail_unless (src != NULL, "realtimesrc not found: GST_PLUGIN_PATH?");
  gst_object_ref_sink (src);
  g_object_set (src, "url", rt_server_get_url (server), "api-key-file",
      key_file, "channel", CHANNEL, "heartbeat-interval", 500, "join-timeout",
      1000, "backoff-min", 10, "backoff-max", 200, "source",
      source ? source : "rtfakecamera name=fake", NULL);
  return src;
}

/* Bus messages the element posted, as seen so far. */
typedef struct
{
  GstBus *bus;
  GPtrArray *source_states; /* "realtime-state" what=source, in order */
  GPtrArray *broadcasts; /* "realtime-broadcast" event names */
  guint warnings;
  guint errors;
  GString *warning_texts; /* every warning, one per line */
} Watch;

static Watch *
watch_new (GstElement *element)
{
  Watch *w = g_new0 (Watch, 1);

  w->bus = gst_bus_new ();
  gst_element_set_bus (element, w->bus);
  w->source_states = g_ptr_array_new_with_free_func (g_free);
  w->broadcasts = g_ptr_array_new_with_free_func (g_free);
  w->warning_texts = g_string_new (NULL);
  return w;
}

static void
watch_free (Watch *w)
{
  gst_bus_set_flushing (w->bus, TRUE);
  gst_object_unref (w->bus);
  g_ptr_array_unref (w->source_states);
  g_ptr_array_unref (w->broadcasts);
  g_string_free (w->warning_texts, TRUE);
  g_free (w);
}

static void
watch_poll (Watch *w)
{
  GstMessage *msg;

  while ((msg = gst_bus_pop (w->bus))) {
    const GstStructure *s = gst_message_get_structure (msg);

    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_WARNING: {
        GError *err = NULL;

        gst_message_parse_warning (msg, &err, NULL);
        w->warnings++;
        g_string_append_printf (w->warning_texts, "%s\n", err->message);
        g_error_free (err);
        break;
      }
      case GST_MESSAGE_ERROR:
        w->errors++;
        break;
      case GST_MESSAGE_ELEMENT:
        if (gst_structure_has_name (s, "realtime-state")
            && g_strcmp0 (gst_structure_get_string (s, "what"), "source") == 0)
          g_ptr_array_add (w->source_states,
              g_strdup (gst_structure_get_string (s, "state")));
        else if (gst_structure_has_name (s, "realtime-broadcast"))
          g_ptr_array_add (w->broadcasts,
              g_strdup (gst_structure_get_string (s, "event")));
        break;
      default:
        break;
    }
    gst_message_unref (msg);
  }
}

/* Fakes alive, once the messages on the bus (which hold references to
 * their sources) have been taken off it. */
static gint
alive_fakes (Watch *w)
{
  watch_poll (w);
  return rt_fake_camera_get_instances ();
}

static guint
count_strings (GPtrArray *array, const gchar *str)
{
  guint i, n = 0;

  for (i = 0; i < array->len; i++)
    if (g_strcmp0 (g_ptr_array_index (array, i), str) == 0)
      n++;
  return n;
}

static guint
watch_count_state (Watch *w, const gchar *state)
{
  watch_poll (w);
  return count_strings (w->source_states, state);
}

/* Replies naming "cam" with @state (and @request_id when non-NULL), as
 * the server received them; the error of the last one goes to
 * @error_out. */
static guint
count_reports (const gchar *state, const gchar *request_id, gchar **error_out)
{
  guint n = rt_reply_collector_count (replies, "cam", state, request_id);
  GPtrArray *all = rt_reply_collector_get_replies (replies);
  gint i;

  for (i = (gint)all->len - 1; error_out && n && i >= 0; i--) {
    const RtReply *r = g_ptr_array_index (all, i);

    if (g_strcmp0 (r->pipeline, "cam") == 0 && g_strcmp0 (r->state, state) == 0
        && (!request_id || g_strcmp0 (r->request_id, request_id) == 0)) {
      g_free (*error_out);
      *error_out = g_strdup (r->error);
      break;
    }
  }
  return n;
}

static void
broadcast (const gchar *event, const gchar *payload)
{
  rt_server_broadcast (server, TOPIC, event, payload);
}

static GstHarness *
start_harness (GstElement *src)
{
  GstHarness *h = gst_harness_new_with_element (src, NULL, "src");

  /* Live sources wait on the clock: a real one. */
  gst_harness_use_systemclock (h);
  gst_harness_play (h);
  return h;
}

typedef struct
{
  GstElement *element;
  GstStateChangeReturn ret;
  gint done;
} NullJob;

static gpointer
set_null_thread (gpointer data)
{
  NullJob *job = data;

  job->ret = gst_element_set_state (job->element, GST_STATE_NULL);
  g_atomic_int_set (&job->done, 1);
  return NULL;
}

/* Takes @element to NULL from another thread while this one keeps serving
 * the server (as it would in its own process), and checks that it came
 * back within a second. */
static void
set_null_promptly (GstElement *element)
{
  NullJob job = { element, GST_STATE_CHANGE_FAILURE, 0 };
  gint64 t0 = g_get_monotonic_time (), took;
  GThread *thread = g_thread_new ("set-null", set_null_thread, &job);

  RT_WAIT_UNTIL (g_atomic_int_get (&job.done), 10000);
  g_thread_join (thread);
  took = (g_get_monotonic_time () - t0) / 1000;
  GST_INFO ("NULL took %" G_GINT64_FORMAT " ms", took);
  fail_unless_equals_int (job.ret, GST_STATE_CHANGE_SUCCESS);
  fail_unless (took < 1000, "NULL took %" G_GINT64_FORMAT " ms", took);
}

/* Takes the element to NULL, promptly, and tears the harness down. */
static void
stop_harness (GstHarness *h, GstElement *src)
{
  set_null_promptly (src);
  gst_harness_teardown (h);
}

/* Not RT_WAIT_UNTIL: it evaluates its condition once more at the end. */
static GstBuffer *
pull_buffer (GstHarness *h, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;
  GstBuffer *buf;

  while (!(buf = gst_harness_try_pull (h)) && g_get_monotonic_time () < end)
    rt_test_iterate (10);
  return buf;
}

static void
drain_buffers (GstHarness *h)
{
  GstBuffer *buf;

  while ((buf = gst_harness_try_pull (h)))
    gst_buffer_unref (buf);
}

static gchar *
get_stats_string (GstElement *src, const gchar *field)
{
  GstStructure *stats = NULL;
  gchar *value;

  g_object_get (src, "stats", &stats, NULL);
  value = g_strdup (gst_structure_get_string (stats, field));
  gst_structure_free (stats);
  return value;
}

static guint
get_stats_uint (GstElement *src, const gchar *field)
{
  GstStructure *stats = NULL;
  guint value = 0;

  g_object_get (src, "stats", &stats, NULL);
  fail_unless (gst_structure_get_uint (stats, field, &value));
  gst_structure_free (stats);
  return value;
}

static gchar *
thread_names (void)
{
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  GString *names = g_string_new (NULL);
  const gchar *tid;

  while (dir && (tid = g_dir_read_name (dir))) {
    gchar *path = g_strdup_printf ("/proc/self/task/%s/comm", tid);
    gchar *comm = NULL;

    if (g_file_get_contents (path, &comm, NULL, NULL))
      g_string_append_printf (names, "%s ", g_strstrip (comm));
    g_free (comm);
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
  return g_string_free (names, FALSE);
}

/* Threads of this process, less GLib's process-wide singletons, which
 * start once on first use and live forever ("gmain": GIO's worker
 * context, "pool-spawner": the thread pools' spawner, "gdbus"). */
static guint
count_threads (void)
{
  static const gchar *singletons[] = { "gmain", "pool-spawner", "gdbus" };
  GDir *dir = g_dir_open ("/proc/self/task", 0, NULL);
  const gchar *tid;
  guint n = 0, i;

  while (dir && (tid = g_dir_read_name (dir))) {
    gchar *path = g_strdup_printf ("/proc/self/task/%s/comm", tid);
    gchar *comm = NULL;
    gboolean singleton = FALSE;

    if (g_file_get_contents (path, &comm, NULL, NULL)) {
      g_strstrip (comm);
      for (i = 0; i < G_N_ELEMENTS (singletons); i++)
        singleton |= strcmp (comm, singletons[i]) == 0;
    }
    n += singleton ? 0 : 1;
    g_free (comm);
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
  return n;
}

/* Thread pools keep idle workers for a while: stops them and waits until
 * the count is at most @at_most (G_MAXUINT: until it settles). */
static guint
settled_threads (guint at_most)
{
  gint64 end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  guint n, prev = G_MAXUINT;

  do {
    g_thread_pool_stop_unused_threads ();
    rt_test_run_for (100);
    n = count_threads ();
    if (n <= at_most || (at_most == G_MAXUINT && n == prev))
      break;
    prev = n;
  } while (g_get_monotonic_time () < end);
  return n;
}

static gboolean
source_is (GstElement *src, const gchar *state)
{
  gchar *s = get_stats_string (src, "source-state");
  gboolean is = g_strcmp0 (s, state) == 0;

  g_free (s);
  return is;
}

static gboolean
channel_joined (GstElement *src)
{
  gchar *s = get_stats_string (src, "channel-state");
  gboolean joined = g_strcmp0 (s, "joined") == 0;

  g_free (s);
  return joined;
}

/* Waits for @src's own join: the server may still count an element of
 * the same test that has just left. */
static void
wait_joined_element (GstElement *src)
{
  fail_unless (RT_WAIT_UNTIL (channel_joined (src)
                       && rt_server_count_members (server, TOPIC) == 1,
                   5000),
      "realtimesrc never joined " TOPIC);
}

#define wait_joined() wait_joined_element (src)

/* ---------------------------------------------------------------------- */
/* tests */

GST_START_TEST (test_no_buffers_before_start)
{
  GstElement *src = new_src (NULL);
  Watch *w = watch_new (src);
  GstHarness *h = start_harness (src);

  wait_joined ();
  rt_test_run_for (500);
  fail_unless (gst_harness_try_pull (h) == NULL);
  fail_unless_equals_int (rt_fake_camera_get_opens (), 0);
  fail_unless (source_is (src, "stopped"));
  fail_unless_equals_int (GST_BIN_NUMCHILDREN (src), 0);
  fail_unless (GST_STATE (src) == GST_STATE_PLAYING);

  stop_harness (h, src);
  watch_free (w);
  gst_object_unref (src);
}

GST_END_TEST;

GST_START_TEST (test_buffers_after_start)
{
  GstElement *src = new_src (NULL);
  Watch *w = watch_new (src);
  GstHarness *h = start_harness (src);
  GstBuffer *buf;
  gint64 t0;

  wait_joined ();
  t0 = g_get_monotonic_time ();
  broadcast ("start", "{\"request_id\":\"r1\"}");
  buf = pull_buffer (h, 3000);
  fail_unless (buf != NULL, "no buffer within 3 s of the start");
  GST_INFO ("first buffer %" G_GINT64_FORMAT " ms after the start",
      (g_get_monotonic_time () - t0) / 1000);
  fail_unless (GST_BUFFER_PTS_IS_VALID (buf));
  fail_unless_equals_int (gst_buffer_get_size (buf), 16 * 16);
  gst_buffer_unref (buf);

  fail_unless (
      RT_WAIT_UNTIL (count_reports ("playing", "r1", NULL) == 1, 3000));
  fail_unless_equals_int (count_reports ("starting", "r1", NULL), 1);
  fail_unless (RT_WAIT_UNTIL (watch_count_state (w, "playing") == 1, 3000));
  fail_unless_equals_int (count_strings (w->broadcasts, "start"), 1);
  fail_unless_equals_int (get_stats_uint (src, "starts"), 1);
  fail_unless_equals_int (w->errors, 0);

  stop_harness (h, src);
  watch_free (w);
  gst_object_unref (src);
}

GST_END_TEST;

static void
track_inner (GstBin *bin, GstElement *element, gpointer data)
{
  GPtrArray *refs = data;
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, element);
  g_ptr_array_add (refs, ref);
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static guint
count_alive (GPtrArray *refs)
{
  guint i, n = 0;

  for (i = 0; i < refs->len; i++) {
    GObject *o = g_weak_ref_get (g_ptr_array_index (refs, i));
    if (o) {
      n++;
      g_object_unref (o);
    }
  }
  return n;
}

GST_START_TEST (test_stop_releases_the_source)
{
  GstElement *src = new_src (NULL);
  Watch *w = watch_new (src);
  GstHarness *h = start_harness (src);
  GPtrArray *inner = g_ptr_array_new_with_free_func (weak_ref_free);
  GstBuffer *buf;

  g_signal_connect (src, "element-added", G_CALLBACK (track_inner), inner);
  wait_joined ();
  broadcast ("start", "{\"request_id\":\"r1\"}");
  buf = pull_buffer (h, 3000);
  fail_unless (buf != NULL);
  gst_buffer_unref (buf);
  fail_unless_equals_int (alive_fakes (w), 1);
  fail_unless_equals_int (rt_fake_camera_get_opens (), 1);
  fail_unless_equals_int (count_alive (inner), 1);

  broadcast ("stop", "{\"request_id\":\"r2\"}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("stopped", "r2", NULL) == 1, 3000));
  fail_unless_equals_int (count_reports ("stopping", "r2", NULL), 1);
  /* Closed, finalized, out of the bin. */
  fail_unless_equals_int (rt_fake_camera_get_closes (), 1);
  fail_unless_equals_int (alive_fakes (w), 0);
  fail_unless_equals_int (count_alive (inner), 0);
  fail_unless_equals_int (GST_BIN_NUMCHILDREN (src), 0);

  /* Nothing after the stop; downstream still linked and PLAYING. */
  drain_buffers (h);
  rt_test_run_for (300);
  fail_unless (gst_harness_try_pull (h) == NULL);
  fail_unless (GST_STATE (src) == GST_STATE_PLAYING);
  fail_unless (gst_pad_is_linked (GST_PAD (GST_ELEMENT (src)->srcpads->data)));
  fail_unless_equals_int (get_stats_uint (src, "stops"), 1);

  /* A stop while stopped is answered "stopped" and changes nothing. */
  broadcast ("stop", "{\"request_id\":\"r3\"}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("stopped", "r3", NULL) == 1, 3000));
  fail_unless_equals_int (get_stats_uint (src, "stops"), 1);

  g_signal_handlers_disconnect_by_data (src, inner);
  stop_harness (h, src);
  g_ptr_array_unref (inner);
  watch_free (w);
  gst_object_unref (src);
}

GST_END_TEST;

/* Runs @cycles start/stop cycles, checking the timestamps across them and
 * that each stop leaves nothing behind. */
static void
run_cycles (guint cycles, gboolean check_threads)
{
  GstElement *src = new_src (NULL);
  Watch *w = watch_new (src);
  GstHarness *h = start_harness (src);
  GstClockTime last_pts = GST_CLOCK_TIME_NONE;
  guint threads_before = 0, i;
  gint opens0 = rt_fake_camera_get_opens ();
  gint closes0 = rt_fake_camera_get_closes ();

  wait_joined ();
  for (i = 0; i < cycles; i++) {
    gchar *start_id = g_strdup_printf ("{\"request_id\":\"s%u\"}", i);
    gchar *stop_id = g_strdup_printf ("{\"request_id\":\"t%u\"}", i);
    GstBuffer *buf;
    guint n = 0;

    broadcast ("start", start_id);
    /* Reported playing first: a buffer still in flight from the previous
     * run must not pass for this one's (slow runs under valgrind). */
    fail_unless (RT_WAIT_UNTIL (watch_count_state (w, "playing") == i + 1,
                     3000),
        "cycle %u never played", i);
    /* A few buffers each time, strictly after everything before. */
    while (n < 3 && (buf = pull_buffer (h, 3000))) {
      if (GST_CLOCK_TIME_IS_VALID (last_pts))
        fail_unless (GST_BUFFER_PTS (buf) > last_pts,
            "cycle %u: pts %" GST_TIME_FORMAT " after %" GST_TIME_FORMAT, i,
            GST_TIME_ARGS (GST_BUFFER_PTS (buf)), GST_TIME_ARGS (last_pts));
      last_pts = GST_BUFFER_PTS (buf);
      gst_buffer_unref (buf);
      n++;
    }
    fail_unless_equals_int (n, 3);
    broadcast ("stop", stop_id);
    fail_unless (RT_WAIT_UNTIL (watch_count_state (w, "stopped") == i + 1,
                     3000),
        "cycle %u never stopped", i);
    fail_unless_equals_int (alive_fakes (w), 0);
    fail_unless_equals_int (GST_BIN_NUMCHILDREN (src), 0);
    /* Buffers pushed before the stop took effect are still older. */
    while ((buf = gst_harness_try_pull (h))) {
      fail_unless (GST_BUFFER_PTS (buf) > last_pts);
      last_pts = GST_BUFFER_PTS (buf);
      gst_buffer_unref (buf);
    }
    if (check_threads && i == 0)
      threads_before = settled_threads (G_MAXUINT);
    g_free (start_id);
    g_free (stop_id);
  }
  fail_unless_equals_int (rt_fake_camera_get_opens () - opens0, cycles);
  fail_unless_equals_int (rt_fake_camera_get_closes () - closes0, cycles);
  fail_unless_equals_int (g_list_length (GST_ELEMENT (src)->pads), 1);
  fail_unless_equals_int (watch_count_state (w, "playing"), cycles);
  fail_unless_equals_int (get_stats_uint (src, "starts"), cycles);
  fail_unless_equals_int (get_stats_uint (src, "stops"), cycles);
  fail_unless_equals_int (w->errors, 0);
  if (check_threads) {
    guint threads_after = settled_threads (threads_before);

    fail_unless (threads_after <= threads_before,
        "%u threads after %u cycles, %u after the first", threads_after, cycles,
        threads_before);
  }

  stop_harness (h, src);
  watch_free (w);
  gst_object_unref (src);
}

GST_START_TEST (test_start_stop_cycles)
{
  run_cycles (50, TRUE);
}

GST_END_TEST;

/* Run under valgrind by CI with RT_SRC_CYCLES=200. */
GST_START_TEST (test_start_stop_cycles_no_leak)
{
  const gchar *env = g_getenv ("RT_SRC_CYCLES");
  guint cycles = env ? (guint)g_ascii_strtoull (env, NULL, 10) : 20;

  run_cycles (MAX (cycles, 1), FALSE);
}

GST_END_TEST;

/* Each element gets its own threads and leaves none behind, whole. */
GST_START_TEST (test_no_thread_left_behind)
{
  guint before, after, i;

  /* Warm up: the first run starts process-wide helper threads. */
  run_cycles (1, FALSE);
  before = settled_threads (G_MAXUINT);
  for (i = 0; i < 3; i++)
    run_cycles (2, FALSE);
  after = settled_threads (before);
  fail_unless (after <= before, "%u threads before, %u after", before, after);
}

GST_END_TEST;

GST_START_TEST (test_server_drop_keeps_buffers_flowing)
{
  GstElement *src = new_src (NULL);
  Watch *w = watch_new (src);
  GstHarness *h = start_harness (src);
  GstClockTime last = GST_CLOCK_TIME_NONE, max_gap = 0;
  GstBuffer *buf;
  gint64 end;
  guint joins_before, n = 0;

  wait_joined ();
  broadcast ("start", "{}");
  buf = pull_buffer (h, 3000);
  fail_unless (buf != NULL);
  last = GST_BUFFER_PTS (buf);
  gst_buffer_unref (buf);
  joins_before = get_stats_uint (src, "joins");

  rt_server_drop_all (server);
  end = g_get_monotonic_time () + 1500 * 1000;
  while (g_get_monotonic_time () < end) {
    rt_test_iterate (10);
    while ((buf = gst_harness_try_pull (h))) {
      max_gap = MAX (max_gap, GST_BUFFER_PTS (buf) - last);
      last = GST_BUFFER_PTS (buf);
      gst_buffer_unref (buf);
      n++;
    }
  }
  /* 50 frames a second, uninterrupted: about 75 in 1.5 s. */
  fail_unless (n > 50, "only %u buffers in 1.5 s after the drop", n);
  fail_unless (max_gap <= 3 * RT_FAKE_CAMERA_FRAME_DURATION,
      "a gap of %" GST_TIME_FORMAT, GST_TIME_ARGS (max_gap));

  fail_unless (RT_WAIT_UNTIL (get_stats_uint (src, "joins") > joins_before
                       && rt_server_count_members (server, TOPIC) == 1,
                   5000),
      "the channel never rejoined");
  fail_unless (source_is (src, "playing"));
  fail_unless_equals_int (w->errors, 0);
  /* The rejoined channel still serves requests. */
  broadcast ("stop", "{\"request_id\":\"after-drop\"}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("stopped", "after-drop", NULL) == 1, 3000));

  stop_harness (h, src);
  watch_free (w);
  gst_object_unref (src);
}

GST_END_TEST;

static guint
unused_port (void)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0);
  GSocketAddress *bound;
  guint port;

  fail_unless (g_socket_bind (s, addr, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);
  g_socket_close (s, NULL);
  g_object_unref (s);
  return port;
}

/* A listener that completes TCP handshakes (the kernel does) but never
 * reads or answers: a connection attempt hangs. */
static GSocket *
silent_listener (guint *port)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0);
  GSocketAddress *bound;

  fail_unless (g_socket_bind (s, addr, FALSE, NULL));
  fail_unless (g_socket_listen (s, NULL));
  bound = g_socket_get_local_address (s, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);
  return s;
}

static gboolean
connection_is (GstElement *src, const gchar *state)
{
  gchar *s = get_stats_string (src, "connection-state");
  gboolean is = g_strcmp0 (s, state) == 0;

  g_free (s);
  return is;
}

static void
check_prompt_null (const gchar *url, const gchar *wait_for_state)
{
  GstElement *src = new_src (NULL);
  Watch *w = watch_new (src);
  GstHarness *h;
  guint threads_before;

  threads_before = settled_threads (G_MAXUINT);
  g_object_set (src, "url", url, "backoff-min", 60000, "backoff-max", 60000,
      NULL);
  h = start_harness (src);
  fail_unless (RT_WAIT_UNTIL (connection_is (src, wait_for_state), 5000),
      "never %s", wait_for_state);
  if (g_strcmp0 (wait_for_state, "disconnected") == 0)
    fail_unless (RT_WAIT_UNTIL ((watch_poll (w), w->warnings > 0), 3000),
        "a refused connection was not warned");
  /* stop_harness fails unless NULL returns within a second. */
  stop_harness (h, src);
  watch_poll (w);
  fail_unless_equals_int (w->errors, 0);
  watch_free (w);
  gst_object_unref (src);
  {
    guint after = settled_threads (threads_before);
    gchar *names = thread_names ();

    fail_unless (after <= threads_before, "%u threads before, %u after: %s",
        threads_before, after, names);
    g_free (names);
  }
}

GST_START_TEST (test_null_while_backing_off_is_prompt)
{
  gchar *url = g_strdup_printf ("http://127.0.0.1:%u", unused_port ());

  /* Refused, then waiting up to a minute for the next attempt. */
  check_prompt_null (url, "disconnected");
  g_free (url);
}

GST_END_TEST;

GST_START_TEST (test_null_while_connecting_is_prompt)
{
  guint port;
  GSocket *listener = silent_listener (&port);
  gchar *url = g_strdup_printf ("http://127.0.0.1:%u", port);

  /* The handshake never completes. */
  check_prompt_null (url, "connecting");
  g_free (url);
  g_socket_close (listener, NULL);
  g_object_unref (listener);
}

GST_END_TEST;

static const gchar *params_key_file = "[param:level]\n"
                                      "element=fake\n"
                                      "property=level\n"
                                      "type=int\n"
                                      "min=0\n"
                                      "max=100\n"
                                      "default=7\n"
                                      "description=brightness\n"
                                      "\n"
                                      "[param:label]\n"
                                      "element=fake\n"
                                      "property=label\n"
                                      "type=string\n"
                                      "pattern=^[a-z]+$\n"
                                      "max-length=16\n";

static gint
fake_level (void)
{
  g_autofree gchar *level = rt_fake_camera_dup_last_value ("level");

  return level ? atoi (level) : -1;
}

GST_START_TEST (test_params_reach_the_inner_element)
{
  GstElement *src = new_src (NULL);
  gchar *params = write_file ("cam.params", params_key_file);
  Watch *w;
  GstHarness *h;
  GstBuffer *buf;
  gchar *label;

  g_object_set (src, "params-file", params, NULL);
  w = watch_new (src);
  h = start_harness (src);
  wait_joined ();

  broadcast ("start",
      "{\"request_id\":\"p1\",\"params\":"
      "{\"level\":42,\"label\":\"front\"}}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("playing", "p1", NULL) == 1, 3000));
  fail_unless_equals_int (fake_level (), 42);
  label = rt_fake_camera_dup_last_value ("label");
  fail_unless_equals_string (label, "front");
  g_free (label);
  buf = pull_buffer (h, 3000);
  fail_unless (buf != NULL);
  gst_buffer_unref (buf);

  /* Same params again: a no-op answered "playing". */
  broadcast ("start",
      "{\"request_id\":\"p2\",\"params\":"
      "{\"level\":42,\"label\":\"front\"}}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("playing", "p2", NULL) == 1, 3000));
  fail_unless_equals_int (rt_fake_camera_get_opens (), 1);

  /* Other params rebuild the source; left-out ones get their default. */
  broadcast ("start",
      "{\"request_id\":\"p3\",\"params\":{\"label\":\"rear\"}}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("playing", "p3", NULL) == 1, 3000));
  fail_unless_equals_int (fake_level (), 7);
  label = rt_fake_camera_dup_last_value ("label");
  fail_unless_equals_string (label, "rear");
  g_free (label);
  fail_unless_equals_int (rt_fake_camera_get_opens (), 2);
  fail_unless_equals_int (alive_fakes (w), 1);

  stop_harness (h, src);
  watch_free (w);
  gst_object_unref (src);
  g_free (params);
}

GST_END_TEST;

GST_START_TEST (test_requests_for_other_pipelines_are_ignored)
{
  GstElement *src = new_src (NULL);
  Watch *w = watch_new (src);
  GstHarness *h = start_harness (src);

  wait_joined ();
  broadcast ("start", "{\"pipeline\":\"other\",\"request_id\":\"o1\"}");
  broadcast ("status", "{\"request_id\":\"o2\"}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("stopped", "o2", NULL) == 1, 3000));
  fail_unless_equals_int (count_reports ("starting", "o1", NULL), 0);
  fail_unless_equals_int (count_reports ("failed", "o1", NULL), 0);
  fail_unless_equals_int (rt_fake_camera_get_opens (), 0);
  /* Addressed by name, it starts. */
  broadcast ("start", "{\"pipeline\":\"cam\",\"request_id\":\"o3\"}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("playing", "o3", NULL) == 1, 3000));
  broadcast ("status", "{\"pipeline\":\"cam\",\"request_id\":\"o4\"}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("playing", "o4", NULL) == 1, 3000));

  stop_harness (h, src);
  watch_free (w);
  gst_object_unref (src);
}

GST_END_TEST;

static GstPadProbeReturn
collect_events (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    GstCaps *caps;
    GstCaps **last = data;

    gst_event_parse_caps (event, &caps);
    gst_caps_replace (last, caps);
  }
  return GST_PAD_PROBE_OK;
}

/* What passed a pad, in order: for each buffer, the stream it belongs to
 * (stream-start events seen so far: 1 is the first), its size, and its
 * PTS or, for RTP, its RTP timestamp. */
typedef struct
{
  guint stream;
  gsize size;
  guint64 ts;
} Record;

typedef struct
{
  GMutex lock;
  gboolean rtp;
  gboolean drop; /* buffers stop here (nothing queues up) */
  guint streams;
  GArray *records;
} PadLog;

static void
pad_log_add (PadLog *log, GstBuffer *buf)
{
  Record r = { log->streams, gst_buffer_get_size (buf), GST_BUFFER_PTS (buf) };
  guint8 header[8];

  if (log->rtp && gst_buffer_extract (buf, 0, header, 8) == 8)
    r.ts = GST_READ_UINT32_BE (header + 4);
  g_array_append_val (log->records, r);
}

static GstPadProbeReturn
pad_log_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  PadLog *log = data;
  guint i;

  g_mutex_lock (&log->lock);
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info))
        == GST_EVENT_STREAM_START)
      log->streams++;
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST (info);

    for (i = 0; i < gst_buffer_list_length (list); i++)
      pad_log_add (log, gst_buffer_list_get (list, i));
  } else {
    pad_log_add (log, GST_PAD_PROBE_INFO_BUFFER (info));
  }
  g_mutex_unlock (&log->lock);
  return log->drop && !(info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM)
      ? GST_PAD_PROBE_DROP
      : GST_PAD_PROBE_OK;
}

static PadLog *
pad_log_new (GstPad *pad, gboolean rtp, gboolean drop)
{
  PadLog *log = g_new0 (PadLog, 1);

  g_mutex_init (&log->lock);
  log->rtp = rtp;
  log->drop = drop;
  log->records = g_array_new (FALSE, FALSE, sizeof (Record));
  gst_pad_add_probe (pad,
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST
          | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      pad_log_probe, log, NULL);
  return log;
}

/* Once the pad is gone. */
static void
pad_log_free (PadLog *log)
{
  g_array_unref (log->records);
  g_mutex_clear (&log->lock);
  g_free (log);
}

/* Buffers of @stream so far; the span of their timestamps to @span. */
static guint
pad_log_count (PadLog *log, guint stream, guint64 *span)
{
  guint64 first = 0, last = 0;
  guint i, n = 0;

  g_mutex_lock (&log->lock);
  for (i = 0; i < log->records->len; i++) {
    const Record *r = &g_array_index (log->records, Record, i);

    if (r->stream != stream)
      continue;
    first = n++ ? first : r->ts;
    last = r->ts;
  }
  g_mutex_unlock (&log->lock);
  if (span)
    *span = last - first;
  return n;
}

/* Fails unless the timestamps never go back (RTP ones modulo 2^32) and
 * never jump by more than @max_gap. */
static void
pad_log_check_continuous (PadLog *log, const gchar *what, guint64 max_gap)
{
  guint i;

  g_mutex_lock (&log->lock);
  for (i = 1; i < log->records->len; i++) {
    const Record *a = &g_array_index (log->records, Record, i - 1);
    const Record *b = &g_array_index (log->records, Record, i);
    gint64 d
        = log->rtp ? (gint32)(guint32)(b->ts - a->ts) : (gint64)(b->ts - a->ts);

    fail_unless (d >= 0 && (guint64)d <= max_gap,
        "%s: %" G_GUINT64_FORMAT " (stream %u) after %" G_GUINT64_FORMAT
        " (stream %u)",
        what, b->ts, b->stream, a->ts, a->stream);
  }
  g_mutex_unlock (&log->lock);
}

/* idle=black at @idle_fps/1 after the 50/1 camera: by their PTS, black
 * frames of the camera's size come at min (idle-framerate, 50/1), after
 * the camera's last frame, under the caps downstream already has. */
static void
check_black_rate (gint idle_fps, gint expected_fps)
{
  GstElement *src = new_src (NULL);
  GstCaps *last_caps = NULL,
          *fake_caps = gst_caps_from_string (RT_FAKE_CAMERA_CAPS);
  guint64 span = 0, min_gap = G_MAXUINT64, live_end = 0, prev = 0;
  const guint64 one_s = GST_SECOND;
  GstHarness *h;
  PadLog *log;
  Watch *w;
  guint i, n = 0;

  g_object_set (src, "idle", 1, "idle-framerate", idle_fps, 1, NULL);
  w = watch_new (src);
  h = start_harness (src);
  gst_pad_add_probe (h->sinkpad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      collect_events, &last_caps, NULL);
  log = pad_log_new (h->sinkpad, FALSE, TRUE);

  /* Before any start: black at whatever downstream takes (stream 1). */
  fail_unless (RT_WAIT_UNTIL (pad_log_count (log, 1, NULL) > 0, 3000),
      "no black frame before the first start");
  wait_joined ();
  broadcast ("start", "{}");
  fail_unless (RT_WAIT_UNTIL (pad_log_count (log, 2, NULL) >= 3, 3000));
  fail_unless (gst_caps_is_equal (last_caps, fake_caps));
  broadcast ("stop", "{}");
  fail_unless (RT_WAIT_UNTIL (source_is (src, "stopped"), 3000));

  /* Stopped (stream 3): a second of running time of black frames. */
  fail_unless (RT_WAIT_UNTIL (pad_log_count (log, 3, &span) >= 2
                       && span >= GST_SECOND,
                   5000),
      "black frames did not span a second of running time");
  g_mutex_lock (&log->lock);
  for (i = 0; i < log->records->len; i++) {
    const Record *r = &g_array_index (log->records, Record, i);

    if (r->stream == 2)
      live_end = r->ts;
    if (r->stream != 3)
      continue;
    fail_unless_equals_int (r->size, 16 * 16);
    fail_unless (r->ts >= live_end,
        "black at %" GST_TIME_FORMAT
        " before the camera's last frame at %" GST_TIME_FORMAT,
        GST_TIME_ARGS (r->ts), GST_TIME_ARGS (live_end));
    if (n++)
      min_gap = MIN (min_gap, r->ts - prev);
    prev = r->ts;
  }
  g_mutex_unlock (&log->lock);
  pad_log_count (log, 3, &span);
  GST_INFO ("idle-framerate %d/1: %u black frames over %" GST_TIME_FORMAT
            ", closest %" GST_TIME_FORMAT " apart",
      idle_fps, n, GST_TIME_ARGS (span), GST_TIME_ARGS (min_gap));
  /* Never faster than the rate (to the microsecond of rounding)... */
  fail_unless (min_gap + GST_USECOND >= one_s / expected_fps,
      "black frames %" GST_TIME_FORMAT " apart", GST_TIME_ARGS (min_gap));
  fail_unless ((n - 1) * one_s <= span * expected_fps + GST_MSECOND,
      "%u black frames over %" GST_TIME_FORMAT, n, GST_TIME_ARGS (span));
  /* ...and not much slower either. */
  fail_unless ((n - 1) * one_s * 10 >= span * expected_fps * 9,
      "%u black frames over %" GST_TIME_FORMAT, n, GST_TIME_ARGS (span));
  /* The caps stay the camera's: its framerate is the ceiling. */
  fail_unless (gst_caps_is_equal (last_caps, fake_caps));
  fail_unless_equals_int (alive_fakes (w), 0);
  fail_unless_equals_int (w->warnings, 0);
  fail_unless_equals_int (w->errors, 0);

  stop_harness (h, src);
  pad_log_free (log);
  gst_caps_unref (fake_caps);
  gst_clear_caps (&last_caps);
  watch_free (w);
  gst_object_unref (src);
}

GST_START_TEST (test_idle_black_frames_while_stopped)
{
  check_black_rate (10, 10);
}

GST_END_TEST;

GST_START_TEST (test_idle_black_never_above_the_negotiated_rate)
{
  check_black_rate (200, 50);
}

GST_END_TEST;

/* idle=black ahead of an encoder and an RTP payloader: black, start,
 * stop (black), start again. Timestamps into the encoder and RTP
 * timestamps out of the payloader run on across the four streams; the
 * encoder works in each; nothing posts an error. */
GST_START_TEST (test_black_then_live_through_encoder_and_payloader)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = new_src (NULL), *tail, *e;
  GError *error = NULL;
  PadLog *raw, *encoded, *rtp;
  GstMessage *msg;
  GstBus *bus;
  GstPad *pad;
  guint phase, errors = 0;

  g_object_set (src, "idle", 1, NULL);
  tail
      = gst_parse_bin_from_description ("videoconvert ! x264enc name=enc "
                                        "tune=zerolatency "
                                        "speed-preset=ultrafast key-int-max=10 "
                                        "! rtph264pay name=pay ! "
                                        "fakesink name=sink async=false",
          TRUE, &error);
  g_assert_no_error (error);
  gst_bin_add_many (GST_BIN (pipeline), src, tail, NULL);
  fail_unless (gst_element_link (src, tail));
  e = gst_bin_get_by_name (GST_BIN (tail), "enc");
  pad = gst_element_get_static_pad (e, "sink");
  raw = pad_log_new (pad, FALSE, FALSE);
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (e, "src");
  encoded = pad_log_new (pad, FALSE, FALSE);
  gst_object_unref (pad);
  gst_object_unref (e);
  e = gst_bin_get_by_name (GST_BIN (tail), "sink");
  pad = gst_element_get_static_pad (e, "sink");
  rtp = pad_log_new (pad, TRUE, FALSE);
  gst_object_unref (pad);
  gst_object_unref (e);

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE);
  /* Black before any start is stream 1; then start, stop, start. */
  fail_unless (RT_WAIT_UNTIL (pad_log_count (encoded, 1, NULL) >= 3, 5000),
      "no black frame encoded before the first start");
  wait_joined ();
  for (phase = 2; phase <= 4; phase++) {
    broadcast (phase == 3 ? "stop" : "start", "{}");
    fail_unless (RT_WAIT_UNTIL (pad_log_count (encoded, phase, NULL) >= 3
                         && pad_log_count (rtp, phase, NULL) >= 3,
                     5000),
        "phase %u: nothing encoded and payloaded", phase);
  }
  set_null_promptly (pipeline);

  pad_log_check_continuous (raw, "PTS into the encoder", 2 * GST_SECOND);
  pad_log_check_continuous (rtp, "RTP timestamps", 2 * 90000);
  bus = gst_element_get_bus (pipeline);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR))) {
    GST_ERROR ("%" GST_PTR_FORMAT, msg);
    errors++;
    gst_message_unref (msg);
  }
  fail_unless_equals_int (errors, 0);

  gst_object_unref (bus);
  gst_object_unref (pipeline);
  gst_object_unref (src);
  pad_log_free (raw);
  pad_log_free (encoded);
  pad_log_free (rtp);
}

GST_END_TEST;

static gboolean
harness_got_eos (GstHarness *h)
{
  GstEvent *ev;
  gboolean eos = FALSE;

  while ((ev = gst_harness_try_pull_event (h))) {
    if (GST_EVENT_TYPE (ev) == GST_EVENT_EOS)
      eos = TRUE;
    gst_event_unref (ev);
  }
  return eos;
}

/* Not RT_WAIT_UNTIL: harness_got_eos() takes the events off the queue. */
static gboolean
wait_for_eos (GstHarness *h, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)timeout_ms * 1000;
  gboolean eos = FALSE;

  while (!eos && g_get_monotonic_time () < end) {
    rt_test_iterate (10);
    eos = harness_got_eos (h);
  }
  return eos;
}

GST_START_TEST (test_inner_error_is_a_warning)
{
  GstElement *src = new_src ("rtfakecamera name=fake error-after=5");
  Watch *w = watch_new (src);
  GstHarness *h = start_harness (src);
  gchar *error = NULL, *last_error;

  wait_joined ();
  broadcast ("start", "{\"request_id\":\"e1\"}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("failed", NULL, &error) == 1, 3000));
  fail_unless (error && strstr (error, "on purpose"), "reason: %s", error);
  g_free (error);
  fail_unless (RT_WAIT_UNTIL ((watch_poll (w), w->warnings >= 1), 3000));
  fail_unless_equals_int (w->errors, 0);
  fail_unless (strstr (w->warning_texts->str, "on purpose") != NULL,
      "warnings: %s", w->warning_texts->str);
  fail_unless (GST_STATE (src) == GST_STATE_PLAYING);
  /* Released right after the failure is reported. */
  fail_unless (RT_WAIT_UNTIL (alive_fakes (w) == 0, 3000));
  fail_unless_equals_int (get_stats_uint (src, "failures"), 1);
  last_error = get_stats_string (src, "last-error");
  fail_unless (strstr (last_error, "on purpose") != NULL);
  g_free (last_error);
  /* No EOS got out: downstream can carry on with the next start. */
  fail_if (harness_got_eos (h));
  drain_buffers (h);

  /* Waits for the next start, which works (and fails again). */
  rt_test_run_for (300);
  fail_unless_equals_int (rt_fake_camera_get_opens (), 1);
  broadcast ("start", "{\"request_id\":\"e2\"}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("playing", "e2", NULL) == 1, 3000));

  stop_harness (h, src);
  watch_free (w);
  gst_object_unref (src);
}

GST_END_TEST;

GST_START_TEST (test_inner_eos_does_not_end_the_stream)
{
  GstElement *src = new_src ("rtfakecamera name=fake num-buffers=3");
  Watch *w = watch_new (src);
  GstHarness *h = start_harness (src);
  gchar *error = NULL;

  wait_joined ();
  broadcast ("start", "{}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("failed", NULL, &error) == 1, 3000));
  fail_unless (error && strstr (error, "end of stream"), "reason: %s", error);
  g_free (error);
  fail_if (harness_got_eos (h));
  fail_unless (RT_WAIT_UNTIL (alive_fakes (w) == 0, 3000));
  watch_poll (w);
  fail_unless_equals_int (w->errors, 0);

  stop_harness (h, src);
  watch_free (w);
  gst_object_unref (src);
}

GST_END_TEST;

GST_START_TEST (test_refusing_source_fails_the_start)
{
  GstElement *src = new_src ("rtfakecamera name=fake fail-open=true");
  Watch *w = watch_new (src);
  GstHarness *h = start_harness (src);
  gchar *error = NULL;

  wait_joined ();
  broadcast ("start", "{\"request_id\":\"f1\"}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("failed", "f1", &error) == 1, 3000));
  fail_unless (error && strstr (error, "busy"), "reason: %s", error);
  g_free (error);
  fail_unless_equals_int (alive_fakes (w), 0);
  watch_poll (w);
  fail_unless_equals_int (w->errors, 0);
  fail_unless (w->warnings >= 1);
  fail_unless (GST_STATE (src) == GST_STATE_PLAYING);

  stop_harness (h, src);
  watch_free (w);
  gst_object_unref (src);
}

GST_END_TEST;

/* A real pipeline: buffers carry the pipeline's running time, started
 * long after the pipeline, live or not. */
static GstPadProbeReturn
record_running_time (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstClockTime *out = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstEvent *seg_event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  const GstSegment *segment;

  if (!seg_event)
    return GST_PAD_PROBE_OK;
  gst_event_parse_segment (seg_event, &segment);
  if (!GST_CLOCK_TIME_IS_VALID (*out))
    *out = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf));
  gst_event_unref (seg_event);
  return GST_PAD_PROBE_OK;
}

static void
check_running_time (const gchar *source)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = new_src (source);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstClockTime first_rt = GST_CLOCK_TIME_NONE, start_rt;
  GstClock *clock;
  GstPad *pad;

  g_object_set (sink, "sync", TRUE, "async", FALSE, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  fail_unless (gst_element_link (src, sink));
  pad = gst_element_get_static_pad (sink, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, record_running_time,
      &first_rt, NULL);
  gst_object_unref (pad);

  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE);
  wait_joined ();
  rt_test_run_for (700);
  clock = gst_pipeline_get_clock (GST_PIPELINE (pipeline));
  start_rt = gst_clock_get_time (clock)
      - gst_element_get_base_time (GST_ELEMENT (pipeline));
  broadcast ("start", "{}");
  fail_unless (RT_WAIT_UNTIL (GST_CLOCK_TIME_IS_VALID (first_rt), 3000));
  GST_INFO ("%s: started at %" GST_TIME_FORMAT
            ", first buffer at %" GST_TIME_FORMAT,
      source, GST_TIME_ARGS (start_rt), GST_TIME_ARGS (first_rt));
  fail_unless (first_rt >= start_rt,
      "first buffer at %" GST_TIME_FORMAT
      " before the start at %" GST_TIME_FORMAT,
      GST_TIME_ARGS (first_rt), GST_TIME_ARGS (start_rt));
  fail_unless (first_rt < start_rt + GST_SECOND);

  set_null_promptly (pipeline);
  gst_object_unref (clock);
  gst_object_unref (src);
  gst_object_unref (pipeline);
}

GST_START_TEST (test_live_source_in_pipeline_running_time)
{
  check_running_time ("rtfakecamera name=fake");
}

GST_END_TEST;

GST_START_TEST (test_non_live_source_is_aligned_to_running_time)
{
  check_running_time ("rtfakecamera name=fake is-live=false");
}

GST_END_TEST;

GST_START_TEST (test_videotestsrc_default_source)
{
  GstElement *src = new_src (NULL);
  GstHarness *h;
  GstBuffer *buf;

  /* The default description, small. */
  g_object_set (src, "source", NULL, NULL);
  h = start_harness (src);
  gst_harness_set_sink_caps_str (h,
      "video/x-raw,format=I420,width=64,height=48,framerate=30/1");
  wait_joined ();
  broadcast ("start", "{}");
  buf = pull_buffer (h, 3000);
  fail_unless (buf != NULL);
  gst_buffer_unref (buf);
  broadcast ("stop", "{}");
  fail_unless (RT_WAIT_UNTIL (source_is (src, "stopped"), 3000));
  broadcast ("start", "{}");
  buf = pull_buffer (h, 3000);
  fail_unless (buf != NULL);
  gst_buffer_unref (buf);

  stop_harness (h, src);
  gst_object_unref (src);
}

GST_END_TEST;

static void
expect_config_error (GstElement *src, const gchar *what)
{
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;

  gst_element_set_bus (src, bus);
  fail_unless_equals_int (gst_element_set_state (src, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no error message", what);
  gst_message_unref (msg);
  gst_element_set_state (src, GST_STATE_NULL);
  gst_element_set_bus (src, NULL);
  gst_object_unref (bus);
}

GST_START_TEST (test_configuration_errors_fail_the_state_change)
{
  GstElement *src;
  gchar *bad_params;

  src = new_src (NULL);
  g_object_set (src, "url", NULL, NULL);
  expect_config_error (src, "no url");
  gst_object_unref (src);

  src = new_src (NULL);
  g_object_set (src, "channel", NULL, NULL);
  expect_config_error (src, "no channel");
  gst_object_unref (src);

  src = new_src ("nosuchelement ! fakesrc");
  expect_config_error (src, "bad description");
  gst_object_unref (src);

  src = new_src ("rtfakecamera ! capsfilter ! fakesink");
  expect_config_error (src, "no source pad");
  gst_object_unref (src);

  src = new_src (NULL);
  g_object_set (src, "api-key-file", "/nonexistent/key", NULL);
  expect_config_error (src, "missing key file");
  gst_object_unref (src);

  bad_params = write_file ("bad.params",
      "[param:zoom]\nelement=fake\nproperty=zoom\ntype=int\n");
  src = new_src (NULL);
  g_object_set (src, "params-file", bad_params, NULL);
  expect_config_error (src, "param without a target property");
  gst_object_unref (src);
  g_free (bad_params);

  fail_unless_equals_int (rt_fake_camera_get_instances (), 0);
}

GST_END_TEST;

GST_START_TEST (test_secrets_stay_secret)
{
  GstElement *src = new_src (NULL);
  GParamSpec *pspec;
  Watch *w;
  GstHarness *h;
  GstStructure *stats = NULL;
  gchar *str;

  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (src), "api-key");
  fail_unless (pspec != NULL);
  fail_if (pspec->flags & G_PARAM_READABLE);

  /* The key given directly, and the server refusing it. */
  g_object_set (src, "api-key-file", NULL, "api-key", RT_TEST_API_KEY, "url",
      rt_server_get_url (server), NULL);
  rt_server_refuse_upgrades (server, 401, 2);
  w = watch_new (src);
  h = start_harness (src);
  wait_joined ();
  broadcast ("start", "{}");
  fail_unless (RT_WAIT_UNTIL (source_is (src, "playing"), 3000));

  g_object_get (src, "stats", &stats, NULL);
  str = gst_structure_to_string (stats);
  fail_if (strstr (str, RT_TEST_API_KEY) != NULL);
  g_free (str);
  gst_structure_free (stats);
  watch_poll (w);
  fail_unless (w->warnings >= 1, "the refused upgrades were not warned");
  fail_if (strstr (w->warning_texts->str, RT_TEST_API_KEY));

  stop_harness (h, src);
  watch_free (w);
  gst_object_unref (src);
}

GST_END_TEST;

GST_START_TEST (test_shutdown_reports_stopped)
{
  GstElement *src = new_src (NULL);
  Watch *w = watch_new (src);
  GstHarness *h = start_harness (src);
  gchar *error = NULL;

  wait_joined ();
  broadcast ("start", "{\"request_id\":\"d1\"}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("playing", "d1", NULL) == 1, 3000));
  /* The pipeline goes away while streaming: the dashboard hears of it. */
  stop_harness (h, src);
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("stopped", NULL, &error) == 1, 3000));
  /* A stop nobody asked for says why. */
  fail_unless (error && *error, "stopped at shutdown without a reason");
  g_free (error);
  fail_unless_equals_int (alive_fakes (w), 0);
  fail_unless_equals_int (rt_fake_camera_get_closes (), 1);

  watch_free (w);
  gst_object_unref (src);
}

GST_END_TEST;

GST_START_TEST (test_pause_and_resume)
{
  GstElement *src = new_src (NULL);
  Watch *w = watch_new (src);
  GstHarness *h = start_harness (src);
  GstBuffer *buf;
  GstClockTime before;

  wait_joined ();
  broadcast ("start", "{}");
  buf = pull_buffer (h, 3000);
  fail_unless (buf != NULL);
  gst_buffer_unref (buf);

  /* Live: PAUSED does not preroll, and nothing flows. */
  fail_unless_equals_int (gst_element_set_state (src, GST_STATE_PAUSED),
      GST_STATE_CHANGE_NO_PREROLL);
  rt_test_run_for (100);
  drain_buffers (h);
  rt_test_run_for (200);
  buf = gst_harness_try_pull (h);
  fail_unless (buf == NULL, "a buffer while PAUSED");
  fail_unless (source_is (src, "playing"));

  before = gst_clock_get_time (GST_ELEMENT_CLOCK (src))
      - gst_element_get_base_time (src);
  fail_unless_equals_int (gst_element_set_state (src, GST_STATE_PLAYING),
      GST_STATE_CHANGE_SUCCESS);
  buf = pull_buffer (h, 3000);
  fail_unless (buf != NULL, "no buffer after resuming");
  /* Still in running time after the pause. */
  fail_unless (GST_BUFFER_PTS (buf) + GST_SECOND > before);
  gst_buffer_unref (buf);
  fail_unless_equals_int (rt_fake_camera_get_opens (), 1);

  stop_harness (h, src);
  watch_free (w);
  gst_object_unref (src);
}

GST_END_TEST;

/* gst-launch-1.0 -e sends EOS on Ctrl-C and waits for it at the sinks. */
GST_START_TEST (test_eos_from_the_application_while_stopped)
{
  GstElement *src = new_src (NULL);
  Watch *w = watch_new (src);
  GstHarness *h = start_harness (src);

  wait_joined ();
  fail_unless (gst_element_send_event (src, gst_event_new_eos ()));
  fail_unless (wait_for_eos (h, 3000), "no EOS downstream");
  stop_harness (h, src);
  watch_free (w);
  gst_object_unref (src);
}

GST_END_TEST;

GST_START_TEST (test_eos_from_the_application_while_started)
{
  GstElement *src = new_src (NULL);
  Watch *w = watch_new (src);
  GstHarness *h = start_harness (src);
  GstBuffer *buf;

  wait_joined ();
  broadcast ("start", "{}");
  buf = pull_buffer (h, 3000);
  fail_unless (buf != NULL);
  gst_buffer_unref (buf);

  /* Through the source, after its last buffer, and not a failure. */
  fail_unless (gst_element_send_event (src, gst_event_new_eos ()));
  fail_unless (wait_for_eos (h, 3000), "no EOS downstream");
  drain_buffers (h);
  rt_test_run_for (200);
  fail_unless (gst_harness_try_pull (h) == NULL);
  fail_unless_equals_int (get_stats_uint (src, "failures"), 0);

  /* The pipeline is ending: a start is refused. */
  broadcast ("start", "{\"request_id\":\"late\",\"params\":{}}");
  broadcast ("stop", "{\"request_id\":\"stop-late\"}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("stopped", "stop-late", NULL) == 1, 3000));
  broadcast ("start", "{\"request_id\":\"late2\"}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("failed", "late2", NULL) == 1, 3000));
  fail_unless_equals_int (alive_fakes (w), 0);

  stop_harness (h, src);
  watch_free (w);
  gst_object_unref (src);
}

GST_END_TEST;

/* ---------------------------------------------------------------------- */
/* the element behaves like the daemon where they share a concept */

GST_START_TEST (test_max_ttl_refused_with_the_daemons_reason)
{
  GstElement *src = new_src (NULL);
  GstHarness *h;
  gchar *error = NULL;

  g_object_set (src, "max-ttl", 60, "default-ttl", 30, NULL);
  h = start_harness (src);
  wait_joined ();
  broadcast ("start", "{\"request_id\":\"m1\",\"ttl\":120}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("failed", "m1", &error) == 1, 3000));
  fail_unless (error && strstr (error, "max-ttl 60"), "reason: %s", error);
  g_clear_pointer (&error, g_free);
  fail_unless_equals_int (rt_fake_camera_get_opens (), 0);
  /* Within the bound it starts, and a renew beyond it is refused too. */
  broadcast ("start", "{\"request_id\":\"m2\",\"ttl\":60}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("playing", "m2", NULL) == 1, 3000));
  broadcast ("renew", "{\"request_id\":\"m3\",\"ttl\":61}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("failed", "m3", &error) == 1, 3000));
  fail_unless (error && strstr (error, "max-ttl 60"), "reason: %s", error);
  g_free (error);
  fail_unless (source_is (src, "playing"));

  stop_harness (h, src);
  gst_object_unref (src);
}

GST_END_TEST;

/* Leases by default: a start without ttl on an element left at its
 * defaults ends by itself after default-ttl (60 s: the property's default,
 * as the shipped network definitions), back to idle with "lease expired",
 * and no sooner. The renewal side is test-daemon's. */
static gboolean
drained_until_stopped (GstHarness *h)
{
  drain_buffers (h);
  return count_reports ("stopped", NULL, NULL) > 0;
}

GST_START_TEST (test_default_lease_ends_a_start_without_ttl)
{
  GstElement *src = new_src (NULL);
  GParamSpec *pspec
      = g_object_class_find_property (G_OBJECT_GET_CLASS (src), "default-ttl");
  GstHarness *h;
  gchar *error = NULL;
  guint ttl = 0;
  gint64 t0;
  gdouble lived;

  fail_unless_equals_int (G_PARAM_SPEC_UINT (pspec)->default_value, 60);
  g_object_get (src, "default-ttl", &ttl, NULL);
  fail_unless_equals_int (ttl, 60);
  h = start_harness (src);
  wait_joined ();
  broadcast ("start", "{\"request_id\":\"d1\"}");
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("playing", "d1", NULL) == 1, 5000));
  t0 = g_get_monotonic_time ();
  fail_unless (RT_WAIT_UNTIL (drained_until_stopped (h), 90000),
      "still running 90 s after a start without ttl");
  lived = (g_get_monotonic_time () - t0) / 1e6;
  fail_unless_equals_int (count_reports ("stopped", NULL, &error), 1);
  fail_unless_equals_string (error, "lease expired");
  g_free (error);
  fail_unless (lived >= 59.0, "stopped after %.1f s", lived);
  fail_unless (RT_WAIT_UNTIL (source_is (src, "stopped"), 5000));
  fail_unless_equals_int (rt_fake_camera_get_opens (),
      rt_fake_camera_get_closes ());

  stop_harness (h, src);
  gst_object_unref (src);
}

GST_END_TEST;

GST_START_TEST (test_renamed_events)
{
  GstElement *src = new_src (NULL);
  RtReplyCollector *renamed
      = rt_reply_collector_new (server, TOPIC, "cam_state");
  gchar *name = NULL;
  GstHarness *h;
  GstBuffer *buf;

  g_object_set (src, "start-event", "go", "stop-event", "halt", "renew-event",
      "extend", "status-event", "ask", "reply-event", "cam_state", NULL);
  g_object_get (src, "renew-event", &name, NULL);
  fail_unless_equals_string (name, "extend");
  g_free (name);
  h = start_harness (src);
  wait_joined ();

  /* The daemon's default names mean nothing here now. */
  broadcast ("start", "{\"request_id\":\"n0\"}");
  rt_test_run_for (300);
  fail_unless_equals_int (rt_fake_camera_get_opens (), 0);
  fail_unless (gst_harness_try_pull (h) == NULL);
  broadcast ("go", "{\"request_id\":\"n1\",\"ttl\":30}");
  fail_unless (rt_reply_collector_wait (renamed, "cam", "playing", "n1", 3000));
  /* The renamed start runs the camera: frames downstream. */
  buf = pull_buffer (h, 3000);
  fail_unless (buf != NULL, "no frame after the renamed start");
  gst_buffer_unref (buf);
  broadcast ("extend", "{\"request_id\":\"n2\",\"ttl\":30}");
  fail_unless (rt_reply_collector_wait (renamed, "cam", "playing", "n2", 3000));
  /* A default stop is ignored: the status after it still says playing. */
  broadcast ("stop", "{\"request_id\":\"n5\"}");
  broadcast ("ask", "{\"request_id\":\"n3\"}");
  fail_unless (rt_reply_collector_wait (renamed, "cam", "playing", "n3", 3000));
  fail_unless_equals_int (rt_fake_camera_get_open_now (), 1);
  broadcast ("halt", "{\"request_id\":\"n4\"}");
  fail_unless (rt_reply_collector_wait (renamed, "cam", "stopped", "n4", 3000));
  /* The renamed stop released the camera. */
  fail_unless (RT_WAIT_UNTIL (rt_fake_camera_get_open_now () == 0, 3000));
  fail_unless_equals_int (rt_fake_camera_get_closes (), 1);
  fail_unless_equals_int (rt_reply_collector_count (renamed, NULL, NULL, "n0"),
      0);
  fail_unless_equals_int (rt_reply_collector_count (renamed, NULL, NULL, "n5"),
      0);
  /* Nothing on the default reply event. */
  fail_unless_equals_int (count_reports (NULL, NULL, NULL), 0);
  fail_unless_equals_int (rt_fake_camera_get_opens (), 1);

  stop_harness (h, src);
  rt_reply_collector_free (renamed);
  gst_object_unref (src);
}

GST_END_TEST;

/* A camera that never opens fails every start: restarts come after
 * jittered delays between restart-backoff-min and the growing ceiling
 * (capped), and stop after max-restarts in a row. */
GST_START_TEST (test_restarts_jittered_capped_and_limited)
{
  /* The ceilings of the delays, and what a plain doubling would give. */
  static const guint lockstep[] = { 100, 200, 400, 800, 800 };
  GstElement *src = new_src ("rtfakecamera name=fake fail-open=true");
  GPtrArray *all;
  gint64 failed_at = 0;
  guint i, n = 0, off_lockstep = 0;
  GstHarness *h;
  guint delays[8];

  /* The restart policy is under test, not the outbound budget: with the
   * default 10 a second, a restart's "starting" and its "failed" would
   * coalesce into one message and the replies' times would be the
   * budget's. */
  g_object_set (src, "restart", 1, "restart-backoff-min", 100,
      "restart-backoff-max", 800, "max-restarts", 5, "send-rate", 1000,
      "send-burst", 1000, NULL);
  h = start_harness (src);
  wait_joined ();
  broadcast ("start", "{\"request_id\":\"j1\"}");
  /* 1 start and 5 restarts, each failing. */
  fail_unless (RT_WAIT_UNTIL (count_reports ("failed", NULL, NULL) == 6, 8000),
      "%u failures", count_reports ("failed", NULL, NULL));
  rt_test_run_for (1500);
  fail_unless_equals_int (count_reports ("failed", NULL, NULL), 6);
  fail_unless_equals_int (count_reports ("starting", NULL, NULL), 6);
  fail_unless_equals_int (get_stats_uint (src, "restarts"), 5);
  fail_unless (source_is (src, "failed"));

  /* The delays, from each failure to the next start. */
  all = rt_reply_collector_get_replies (replies);
  for (i = 0; i < all->len; i++) {
    const RtReply *r = g_ptr_array_index (all, i);

    if (g_strcmp0 (r->state, "failed") == 0)
      failed_at = r->time_us;
    else if (g_strcmp0 (r->state, "starting") == 0 && failed_at && n < 8)
      delays[n++] = (guint)((r->time_us - failed_at) / 1000);
  }
  fail_unless_equals_int (n, 5);
  for (i = 0; i < n; i++) {
    GST_INFO ("restart %u after %u ms (ceiling %u)", i, delays[i], lockstep[i]);
    fail_unless (delays[i] + 20 >= 100, "restart %u after %u ms", i, delays[i]);
    fail_unless (delays[i] <= lockstep[i] + 250, "restart %u after %u ms", i,
        delays[i]);
    if (delays[i] + 30 < lockstep[i])
      off_lockstep++;
  }
  fail_unless (off_lockstep > 0, "the delays doubled in lockstep");

  stop_harness (h, src);
  gst_object_unref (src);
}

GST_END_TEST;

GST_START_TEST (test_replaced_token_file_reaches_the_channel)
{
  GstElement *src = new_src (NULL);
  gchar *token = write_file ("token", RT_TEST_TOKEN "\n");
  GstHarness *h;

  g_object_set (src, "access-token-file", token, NULL);
  h = start_harness (src);
  wait_joined ();
  fail_unless_equals_string (rt_server_get_last_access_token (server, TOPIC),
      RT_TEST_TOKEN);
  /* Renewed by another process: written aside, then renamed over. */
  g_free (write_file ("token", RT_TEST_TOKEN2 "\n"));
  fail_unless (RT_WAIT_UNTIL (g_strcmp0 (rt_server_get_last_access_token (server,
                                             TOPIC),
                                  RT_TEST_TOKEN2)
                       == 0,
                   5000),
      "the new token never reached the channel");
  fail_unless (rt_server_count_frames (server, TOPIC, "access_token") >= 1);

  stop_harness (h, src);
  gst_object_unref (src);
  g_free (token);
}

GST_END_TEST;

/* Heartbeats go unanswered: the client gives up after heartbeat-timeout,
 * not after the interval, then reconnects. */
GST_START_TEST (test_heartbeat_timeout_honoured)
{
  GstElement *src = new_src (NULL);
  GstHarness *h;
  gint64 t0, took;

  g_object_set (src, "heartbeat-interval", 200, "heartbeat-timeout", 1200,
      NULL);
  h = start_harness (src);
  wait_joined ();
  rt_server_set_answer_heartbeats (server, FALSE);
  t0 = g_get_monotonic_time ();
  fail_unless (
      RT_WAIT_UNTIL (get_stats_uint (src, "heartbeat-timeouts") >= 1, 5000));
  took = (g_get_monotonic_time () - t0) / 1000;
  GST_INFO ("heartbeat timeout after %" G_GINT64_FORMAT " ms", took);
  fail_unless (took >= 1100, "gave up after %" G_GINT64_FORMAT " ms", took);
  fail_unless (took <= 2500, "gave up after %" G_GINT64_FORMAT " ms", took);
  rt_server_set_answer_heartbeats (server, TRUE);
  fail_unless (RT_WAIT_UNTIL (get_stats_uint (src, "reconnects") >= 1
                       && channel_joined (src),
                   5000),
      "never reconnected");

  stop_harness (h, src);
  gst_object_unref (src);
}

GST_END_TEST;

/* The test links the core library and loads the plugin, which links the
 * same one: one copy of every GType, and vsn's nicks on a launch line. */
GST_START_TEST (test_one_gtype_copy)
{
  GstElement *src = new_src (NULL);
  GParamSpec *pspec
      = g_object_class_find_property (G_OBJECT_GET_CLASS (src), "vsn");
  GstElement *parsed;
  GstHarness *h;
  gint vsn = -1;

  fail_unless (pspec != NULL);
  fail_unless (G_PARAM_SPEC_VALUE_TYPE (pspec) == REALTIME_TYPE_VSN);
  fail_unless (g_type_from_name ("GstRealtimeSrcVsn") == 0);
  parsed = gst_parse_launch ("realtimesrc vsn=1.0.0 ! fakesink", NULL);
  fail_unless (parsed != NULL);
  gst_object_unref (parsed);
  gst_util_set_object_arg (G_OBJECT (src), "vsn", "1.0.0");
  g_object_get (src, "vsn", &vsn, NULL);
  fail_unless_equals_int (vsn, REALTIME_VSN_1_0_0);
  gst_util_set_object_arg (G_OBJECT (src), "vsn", "2.0.0");

  h = start_harness (src);
  wait_joined ();
  /* The element made its client: the type it used is ours. */
  fail_unless (g_type_from_name ("RealtimeClient") == REALTIME_TYPE_CLIENT);
  fail_unless (
      g_type_from_name ("OnDemandController") == ON_DEMAND_TYPE_CONTROLLER);

  stop_harness (h, src);
  gst_object_unref (src);
}

GST_END_TEST;

/* "v4l2src ! video/x-raw,width=640" as people write it. */
GST_START_TEST (test_source_ending_in_caps)
{
  GstElement *src
      = new_src ("rtfakecamera name=fake ! video/x-raw,format=GRAY8,width=16");
  GstHarness *h = start_harness (src);
  GstBuffer *buf;

  wait_joined ();
  broadcast ("start", "{\"request_id\":\"c1\"}");
  buf = pull_buffer (h, 3000);
  fail_unless (buf != NULL, "no buffer from a source ending in caps");
  gst_buffer_unref (buf);
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("playing", "c1", NULL) == 1, 3000));

  stop_harness (h, src);
  gst_object_unref (src);

  /* Caps the camera cannot meet fail the state change, with GStreamer's
   * reason. */
  src = new_src ("rtfakecamera name=fake ! video/x-raw,width=640");
  expect_config_error (src, "caps the source cannot produce");
  gst_object_unref (src);
}

GST_END_TEST;

/* private=true: refused with the server's reason (a warning, last-error)
 * while the join has no token the server authorised for the topic; with
 * access-token-file naming an authorised token it joins and starts. */
GST_START_TEST (test_private_channel)
{
  static const gchar *reason = "Unauthorized: You do not have permissions to "
                               "read from this Channel topic: " CHANNEL;
  GstElement *src = new_src (NULL);
  Watch *w = watch_new (src);
  GstHarness *h;
  gchar *token_file = write_file ("token", RT_TEST_TOKEN "\n");
  gchar *last_error;
  GstBuffer *buf;

  rt_server_authorise_token (server, TOPIC, RT_TEST_TOKEN);
  g_object_set (src, "private", TRUE, NULL);
  h = start_harness (src);
  fail_unless (RT_WAIT_UNTIL (({
    watch_poll (w);
    strstr (w->warning_texts->str, reason) != NULL;
  }),
                   5000),
      "no warning with the server's reason; warnings: %s",
      w->warning_texts->str);
  last_error = get_stats_string (src, "last-error");
  fail_unless (strstr (last_error, reason) != NULL, "last-error: %s",
      last_error);
  g_free (last_error);
  fail_unless_equals_int (rt_server_count_members (server, TOPIC), 0);
  fail_if (channel_joined (src));
  stop_harness (h, src);
  watch_free (w);
  gst_object_unref (src);

  src = new_src (NULL);
  g_object_set (src, "private", TRUE, "access-token-file", token_file, NULL);
  h = start_harness (src);
  wait_joined ();
  fail_unless_equals_string (rt_server_get_last_access_token (server, TOPIC),
      RT_TEST_TOKEN);
  broadcast ("start", "{\"request_id\":\"pv1\"}");
  buf = pull_buffer (h, 3000);
  fail_unless (buf != NULL, "no buffer on the private channel");
  gst_buffer_unref (buf);
  fail_unless (
      RT_WAIT_UNTIL (count_reports ("playing", "pv1", NULL) == 1, 3000));
  stop_harness (h, src);
  gst_object_unref (src);
  g_free (token_file);
}

GST_END_TEST;

static void
checked_setup (void)
{
  rt_fake_camera_reset ();
  setup ();
}

static void
checked_teardown (void)
{
  teardown ();
  fail_unless_equals_int (rt_fake_camera_get_instances (), 0);
}

static Suite *
realtimesrc_suite (void)
{
  Suite *s = suite_create ("realtimesrc");
  TCase *tc = tcase_create ("general");

  rt_fake_camera_register ();
  tcase_add_checked_fixture (tc, checked_setup, checked_teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_no_buffers_before_start);
  tcase_add_test (tc, test_buffers_after_start);
  tcase_add_test (tc, test_stop_releases_the_source);
  tcase_add_test (tc, test_start_stop_cycles);
  tcase_add_test (tc, test_start_stop_cycles_no_leak);
  tcase_add_test (tc, test_no_thread_left_behind);
  tcase_add_test (tc, test_server_drop_keeps_buffers_flowing);
  tcase_add_test (tc, test_null_while_backing_off_is_prompt);
  tcase_add_test (tc, test_null_while_connecting_is_prompt);
  tcase_add_test (tc, test_params_reach_the_inner_element);
  tcase_add_test (tc, test_requests_for_other_pipelines_are_ignored);
  tcase_add_test (tc, test_idle_black_frames_while_stopped);
  tcase_add_test (tc, test_idle_black_never_above_the_negotiated_rate);
  tcase_add_test (tc, test_black_then_live_through_encoder_and_payloader);
  tcase_add_test (tc, test_inner_error_is_a_warning);
  tcase_add_test (tc, test_inner_eos_does_not_end_the_stream);
  tcase_add_test (tc, test_refusing_source_fails_the_start);
  tcase_add_test (tc, test_live_source_in_pipeline_running_time);
  tcase_add_test (tc, test_non_live_source_is_aligned_to_running_time);
  tcase_add_test (tc, test_videotestsrc_default_source);
  tcase_add_test (tc, test_configuration_errors_fail_the_state_change);
  tcase_add_test (tc, test_secrets_stay_secret);
  tcase_add_test (tc, test_shutdown_reports_stopped);
  tcase_add_test (tc, test_pause_and_resume);
  tcase_add_test (tc, test_eos_from_the_application_while_stopped);
  tcase_add_test (tc, test_eos_from_the_application_while_started);
  tcase_add_test (tc, test_max_ttl_refused_with_the_daemons_reason);
  tcase_add_test (tc, test_default_lease_ends_a_start_without_ttl);
  tcase_add_test (tc, test_renamed_events);
  tcase_add_test (tc, test_restarts_jittered_capped_and_limited);
  tcase_add_test (tc, test_replaced_token_file_reaches_the_channel);
  tcase_add_test (tc, test_heartbeat_timeout_honoured);
  tcase_add_test (tc, test_one_gtype_copy);
  tcase_add_test (tc, test_source_ending_in_caps);
  tcase_add_test (tc, test_private_channel);
  return s;
}

RT_TEST_MAIN (realtimesrc)

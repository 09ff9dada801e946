/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gstrealtimebranch.c: the bin-branch runner of realtimesrc, idle=black
 * included. The controller's calls queue jobs for one worker thread, which
 * alone changes the bin's children; streaming threads only queue
 * notifications for the controller's context.
 */
#include "gstrealtimebranch.h"

#include <gst/base/base.h>

#include "gateway-error.h"
#include "params.h"

GST_DEBUG_CATEGORY_STATIC (gst_realtime_branch_debug);
#define GST_CAT_DEFAULT gst_realtime_branch_debug

/* Marks our children, so that an error message finds its branch. */
typedef struct
{
  GstRealtimeBranch *self; /* not owned: close() removes every branch */
  GstElement *element; /* the branch itself, not owned */
  gboolean idle;
  guint run;
  gint epoch;
} BranchTag;

typedef enum
{
  /* For the worker. */
  JOB_START,
  JOB_STOP,
  JOB_SHOW_IDLE,
  /* Notifications, for the controller's context. */
  JOB_START_DONE,
  JOB_FIRST_BUFFER,
  JOB_RUN_FAILED,
  JOB_STOP_DONE,
} JobKind;

typedef struct
{
  GstRealtimeBranch *self; /* owned by notifications only */
  JobKind kind;
  gint epoch;
  guint run;
  GHashTable *values;
  gboolean drain; /* stop: asked to; stop-done: did */
  guint drain_timeout_ms;
  gchar *text; /* an error or a reason */
  gint64 time_us;
} Job;

struct _GstRealtimeBranch
{
  GObject parent;

  GstBin *bin; /* not owned, outlives close() */
  GstPad *ghost;
  gchar *description;
  GPtrArray *params;
  GMainContext *context;
  GThreadPool *pool;
  gint idle_fps_n, idle_fps_d; /* 0: no idle branch */
  gboolean idle_warned;

  /* Atomic. abandon() moves the epoch on: older notifications are
   * dropped. */
  gint epoch;
  gint ending;
  gint closed;

  /* The worker's alone (and close()'s, once the worker is gone). */
  GstElement *inner;
  GstElement *idle_bin;

  /* Shared with streaming threads. */
  GMutex lock;
  GCond cond;
  GstElement *draining; /* the inner bin being drained */
  gboolean drained;
};

static void gst_realtime_branch_runner_init (OnDemandRunnerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (GstRealtimeBranch, gst_realtime_branch, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (ON_DEMAND_TYPE_RUNNER,
        gst_realtime_branch_runner_init));

static GQuark tag_quark;

static void
job_free (Job *job)
{
  g_clear_object (&job->self);
  g_clear_pointer (&job->values, g_hash_table_unref);
  g_free (job->text);
  g_free (job);
}

static Job *
job_new (JobKind kind, gint epoch, guint run, const gchar *text)
{
  Job *job = g_new0 (Job, 1);

  job->kind = kind;
  job->epoch = epoch;
  job->run = run;
  job->text = g_strdup (text);
  job->time_us = g_get_monotonic_time ();
  return job;
}

static gboolean
dispatch_notice (gpointer data)
{
  Job *n = data;
  OnDemandRunner *runner = ON_DEMAND_RUNNER (n->self);

  if (g_atomic_int_get (&n->self->closed)
      || n->epoch != g_atomic_int_get (&n->self->epoch))
    return G_SOURCE_REMOVE;
  if (n->kind == JOB_START_DONE)
    on_demand_runner_emit_start_done (runner, n->run, n->text);
  else if (n->kind == JOB_FIRST_BUFFER)
    on_demand_runner_emit_first_buffer (runner, n->run, n->time_us);
  else if (n->kind == JOB_RUN_FAILED)
    on_demand_runner_emit_run_failed (runner, n->run, n->text);
  else
    on_demand_runner_emit_stop_done (runner, n->drain, TRUE, n->text);
  return G_SOURCE_REMOVE;
}

/* Any thread. Equal priorities dispatch in order: the contract's order. */
static void
notify (GstRealtimeBranch *self, Job *n)
{
  GSource *source = g_idle_source_new ();

  n->self = g_object_ref (self);
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, dispatch_notice, n, (GDestroyNotify)job_free);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* Whether the description's last segment ("!" inside quotes aside) is
 * caps such as "video/x-raw,width=640": element names have no '/'. */
static gboolean
ends_in_caps (const gchar *description)
{
  const gchar *p, *last = description;
  gchar quote = 0;

  for (p = description; *p; p++) {
    if (*p == '\\' && p[1])
      p++;
    else if (quote && *p == quote)
      quote = 0;
    else if (!quote && (*p == '"' || *p == '\''))
      quote = *p;
    else if (!quote && *p == '!')
      last = p + 1;
  }
  while (g_ascii_isspace (*last))
    last++;
  if (!g_ascii_isalpha (*last))
    return FALSE;
  while (g_ascii_isalnum (*last) || *last == '-' || *last == '_')
    last++;
  return *last == '/';
}

static GstElement *
parse (const gchar *description, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree gchar *text = NULL;
  GstElement *bin;
  GstPad *pad;

  /* GStreamer's parser needs an element after caps. */
  if (ends_in_caps (description))
    text = g_strconcat (description, " ! capsfilter", NULL);
  bin = gst_parse_bin_from_description_full (text ? text : description, TRUE,
      NULL, GST_PARSE_FLAG_FATAL_ERRORS, &local);
  if (!bin) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PIPELINE,
        "source \"%s\" does not build: %s", description, local->message);
    return NULL;
  }
  gst_object_ref_sink (bin);
  pad = gst_element_get_static_pad (bin, "src");
  if (!pad) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PIPELINE,
        "source \"%s\" has no unlinked source pad", description);
    gst_object_unref (bin);
    return NULL;
  }
  gst_object_unref (pad);
  return bin;
}

/* Every declared param gets the request's value, else its default; the
 * others keep the description's own value (the bin is new). */
static GstElement *
build_inner (GstRealtimeBranch *self, GHashTable *values, GError **error)
{
  GstElement *bin = parse (self->description, error);
  guint i;

  for (i = 0; bin && i < self->params->len; i++) {
    const GatewayParam *param = g_ptr_array_index (self->params, i);
    const GValue *value
        = values ? g_hash_table_lookup (values, param->name) : NULL;

    if (!value && param->has_default)
      value = &param->default_value;
    if (value && !gateway_param_apply (param, GST_BIN (bin), value, error))
      gst_clear_object (&bin);
  }
  return bin;
}

static BranchTag *
tag_branch (GstRealtimeBranch *self, GstElement *branch, gboolean idle,
    guint run, gint epoch)
{
  BranchTag *tag = g_new0 (BranchTag, 1);

  tag->self = self;
  tag->element = branch;
  tag->idle = idle;
  tag->run = run;
  tag->epoch = epoch;
  g_object_set_qdata_full (G_OBJECT (branch), tag_quark, tag, g_free);
  return tag;
}

static void
check_live (const GValue *item, gpointer user_data)
{
  GstElement *e = g_value_get_object (item);

  if (GST_IS_BASE_SRC (e) && !gst_base_src_is_live (GST_BASE_SRC (e)))
    *(gboolean *)user_data = FALSE;
}

static GstPadProbeReturn
first_buffer_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  BranchTag *tag = user_data;

  notify (tag->self, job_new (JOB_FIRST_BUFFER, tag->epoch, tag->run, NULL));
  return GST_PAD_PROBE_REMOVE;
}

/* The inner source's EOS ends the drain of a stop, or, unasked for, fails
 * the run; it goes downstream only after the application's EOS. */
static GstPadProbeReturn
eos_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  BranchTag *tag = user_data;
  GstRealtimeBranch *self = tag->self;
  gboolean drain;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&self->lock);
  drain = self->draining == tag->element;
  self->drained |= drain;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  if (g_atomic_int_get (&self->ending))
    return GST_PAD_PROBE_OK;
  if (!drain)
    notify (self,
        job_new (JOB_RUN_FAILED, tag->epoch, tag->run,
            "the source ended (end of stream)"));
  return GST_PAD_PROBE_DROP;
}

/* The branch in @slot to NULL (devices released), unlinked, removed. */
static void
remove_branch (GstRealtimeBranch *self, GstElement **slot)
{
  GstElement *branch = g_steal_pointer (slot);
  GstPad *target;

  if (!branch)
    return;
  GST_DEBUG_OBJECT (self->bin, "removing %" GST_PTR_FORMAT, branch);
  gst_element_set_state (branch, GST_STATE_NULL);
  target = gst_ghost_pad_get_target (GST_GHOST_PAD (self->ghost));
  if (target && GST_OBJECT_PARENT (target) == GST_OBJECT_CAST (branch))
    gst_ghost_pad_set_target (GST_GHOST_PAD (self->ghost), NULL);
  gst_clear_object (&target);
  gst_bin_remove (self->bin, branch);
  gst_object_unref (branch);
}

/* Adds @branch (owned) to the bin (its clock and base time), points the
 * ghost pad at it and brings it to the bin's state, again if a state change
 * raced. On failure nothing is left and the reason is returned. */
static const gchar *
attach_branch (GstRealtimeBranch *self, GstElement *branch, GstElement **slot)
{
  GstPad *pad = gst_element_get_static_pad (branch, "src");
  gboolean linked;
  GstState target;
  guint tries;

  if (!gst_bin_add (self->bin, branch)) {
    gst_object_unref (pad);
    gst_object_unref (branch);
    return "could not add the source to the bin";
  }
  *slot = branch;
  linked = gst_ghost_pad_set_target (GST_GHOST_PAD (self->ghost), pad);
  gst_object_unref (pad);
  if (!linked) {
    remove_branch (self, slot);
    return "could not link the source to the ghost pad";
  }
  for (tries = 0; tries < 3; tries++) {
    GST_OBJECT_LOCK (self->bin);
    target = GST_STATE_TARGET (self->bin);
    GST_OBJECT_UNLOCK (self->bin);
    if (!gst_element_sync_state_with_parent (branch)) {
      remove_branch (self, slot);
      return "the source refused to change state";
    }
    if (target == GST_STATE_TARGET (self->bin))
      break;
  }
  return NULL;
}

/* idle=black: the black source may run below the negotiated rate but
 * announces the caps downstream negotiated last (@data: those, then the
 * produced ones), a ceiling, so a stop renegotiates nothing; caps queries
 * are answered here, not by downstream, which may insist on the full rate. */
static GstPadProbeReturn
idle_caps_probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GPtrArray *caps = data;
  GstCaps *announced = g_ptr_array_index (caps, 0), *filter, *result;
  GstCaps *produced = g_ptr_array_index (caps, 1);
  GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
      gst_event_unref (event);
      GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_caps (announced);
    }
  } else if (GST_QUERY_TYPE (query) == GST_QUERY_CAPS) {
    gst_query_parse_caps (query, &filter);
    result = filter ? gst_caps_intersect (filter, produced)
                    : gst_caps_ref (produced);
    gst_query_set_caps_result (query, result);
    gst_caps_unref (result);
    return GST_PAD_PROBE_HANDLED;
  } else if (GST_QUERY_TYPE (query) == GST_QUERY_ACCEPT_CAPS) {
    gst_query_parse_accept_caps (query, &filter);
    gst_query_set_accept_caps_result (query,
        gst_caps_can_intersect (filter, produced));
    return GST_PAD_PROBE_HANDLED;
  }
  return GST_PAD_PROBE_OK;
}

static void
warn_idle (GstRealtimeBranch *self, const gchar *why)
{
  if (!self->idle_warned)
    GST_ELEMENT_WARNING (self->bin, CORE, NEGOTIATION,
        ("idle=black cannot produce black frames: %s", why),
        ("Downstream gets nothing while the source is stopped."));
  self->idle_warned = TRUE;
}

/* Black frames at the last caps, at idle-framerate or theirs if lower. */
static void
show_idle (GstRealtimeBranch *self)
{
  GstCaps *last, *produced, *possible;
  const gchar *problem = NULL;
  GstElement *bin, *e;
  GPtrArray *caps;
  GstPad *pad;
  guint i;
  gint n, d;

  if (self->inner || self->idle_bin || !self->idle_fps_n
      || g_atomic_int_get (&self->ending) || g_atomic_int_get (&self->closed))
    return;
  bin = gst_parse_bin_from_description ("videotestsrc name=black "
                                        "pattern=black is-live=true ! "
                                        "capsfilter name=filter",
      TRUE, NULL);
  if (!bin) {
    warn_idle (self, "videotestsrc (gst-plugins-base) is missing");
    return;
  }
  gst_object_ref_sink (bin);
  gst_object_set_name (GST_OBJECT (bin), "idle");
  last = gst_pad_get_current_caps (self->ghost);
  produced
      = last ? gst_caps_copy (last) : gst_caps_new_empty_simple ("video/x-raw");
  for (i = 0; i < gst_caps_get_size (produced); i++) {
    GstStructure *s = gst_caps_get_structure (produced, i);

    if (!gst_structure_get_fraction (s, "framerate", &n, &d) || n <= 0
        || gst_util_fraction_compare (n, d, self->idle_fps_n, self->idle_fps_d)
            >= 0)
      gst_structure_set (s, "framerate", GST_TYPE_FRACTION, self->idle_fps_n,
          self->idle_fps_d, NULL);
  }
  /* Raw video in system memory, of a format videotestsrc knows. */
  e = gst_bin_get_by_name (GST_BIN (bin), "black");
  pad = gst_element_get_static_pad (e, "src");
  possible = gst_pad_query_caps (pad, NULL);
  if (!gst_caps_can_intersect (produced, possible))
    problem = "videotestsrc cannot produce the source's caps";
  gst_object_unref (pad);
  gst_object_unref (e);
  e = gst_bin_get_by_name (GST_BIN (bin), "filter");
  g_object_set (e, "caps", produced, NULL);
  gst_object_unref (e);
  if (last) {
    caps = g_ptr_array_new_with_free_func ((GDestroyNotify)gst_caps_unref);
    g_ptr_array_add (caps, gst_caps_ref (last));
    g_ptr_array_add (caps, gst_caps_ref (produced));
    pad = gst_element_get_static_pad (bin, "src");
    gst_pad_add_probe (pad,
        GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM
            | GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
        idle_caps_probe, caps, (GDestroyNotify)g_ptr_array_unref);
    gst_object_unref (pad);
  }
  gst_caps_unref (possible);
  gst_caps_unref (produced);
  gst_clear_caps (&last);
  if (problem) {
    gst_object_unref (bin);
  } else {
    tag_branch (self, bin, TRUE, 0, 0);
    problem = attach_branch (self, bin, &self->idle_bin);
  }
  if (problem)
    warn_idle (self, problem);
}

/* A live source timestamps in running time already; a non-live one starts
 * at zero, so its running time is moved to now. */
static void
align_non_live (GstRealtimeBranch *self, GstElement *inner, GstPad *pad)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (inner));
  GstClock *clock = gst_element_get_clock (GST_ELEMENT_CAST (self->bin));
  gboolean live = TRUE;

  gst_iterator_foreach (it, check_live, &live);
  gst_iterator_free (it);
  if (!live && clock && GST_STATE (self->bin) == GST_STATE_PLAYING) {
    GstClockTime now = gst_clock_get_time (clock);
    GstClockTime base = gst_element_get_base_time (GST_ELEMENT (self->bin));

    GST_DEBUG_OBJECT (self->bin, "non-live source: offset %" GST_TIME_FORMAT,
        GST_TIME_ARGS (now - base));
    if (now > base)
      gst_pad_set_offset (pad, (gint64)(now - base));
  }
  gst_clear_object (&clock);
}

static void
do_start (GstRealtimeBranch *self, Job *job)
{
  g_autoptr (GError) error = NULL;
  const gchar *problem = NULL;
  GstElement *inner = NULL;
  BranchTag *tag;
  GstPad *pad;

  /* Left over by an abandoned run. */
  remove_branch (self, &self->inner);

  if (g_atomic_int_get (&self->ending))
    problem = "the pipeline is ending (end of stream)";
  else if (!(inner = build_inner (self, job->values, &error)))
    problem = error->message;
  if (inner) {
    gst_object_set_name (GST_OBJECT (inner), "source");
    tag = tag_branch (self, inner, FALSE, job->run, job->epoch);
    pad = gst_element_get_static_pad (inner, "src");
    gst_pad_add_probe (pad,
        GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
        first_buffer_probe, tag, NULL);
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, eos_probe, tag,
        NULL);
    align_non_live (self, inner, pad);
    gst_object_unref (pad);
    remove_branch (self, &self->idle_bin);
    problem = attach_branch (self, inner, &self->inner);
  }
  /* An error the source posted (a run-failed before this) tells more. */
  if (problem) {
    GST_WARNING_OBJECT (self->bin, "run %u: the start failed: %s", job->run,
        problem);
    show_idle (self);
  }
  notify (self, job_new (JOB_START_DONE, job->epoch, job->run, problem));
}

/* EOS into the inner source, and wait at most @timeout_ms for it at the
 * output; a source that is not PLAYING (at shutdown) cannot drain. */
static gboolean
drain (GstRealtimeBranch *self, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  gboolean drained;

  /* After the application's EOS there is nothing more to drain. */
  if (GST_STATE (self->inner) != GST_STATE_PLAYING
      || g_atomic_int_get (&self->ending))
    return FALSE;
  g_mutex_lock (&self->lock);
  self->draining = self->inner;
  self->drained = FALSE;
  g_mutex_unlock (&self->lock);
  gst_element_send_event (self->inner, gst_event_new_eos ());
  g_mutex_lock (&self->lock);
  while (!self->drained && self->draining
      && g_cond_wait_until (&self->cond, &self->lock, end))
    ;
  drained = self->drained;
  self->draining = NULL;
  g_mutex_unlock (&self->lock);
  return drained;
}

static void
do_stop (GstRealtimeBranch *self, Job *job)
{
  Job *done = job_new (JOB_STOP_DONE, job->epoch, 0, NULL);

  if (self->inner) {
    done->drain = job->drain && drain (self, job->drain_timeout_ms);
    remove_branch (self, &self->inner);
    /* The source may have gone before passing the application's EOS on. */
    if (g_atomic_int_get (&self->ending))
      gst_pad_push_event (self->ghost, gst_event_new_eos ());
  }
  show_idle (self);
  notify (self, done);
}

static void
worker (gpointer data, gpointer user_data)
{
  Job *job = data;
  GstRealtimeBranch *self = user_data;

  /* Queued before close(): nothing is built any more. */
  if (g_atomic_int_get (&self->closed))
    ;
  else if (job->kind == JOB_START)
    do_start (self, job);
  else if (job->kind == JOB_STOP)
    do_stop (self, job);
  else if (job->kind == JOB_SHOW_IDLE)
    show_idle (self);
  job_free (job);
}

static void
push_job (GstRealtimeBranch *self, Job *job)
{
  job->epoch = g_atomic_int_get (&self->epoch);
  if (!self->pool || !g_thread_pool_push (self->pool, job, NULL))
    job_free (job);
}

static void
branch_start (OnDemandRunner *runner, guint run, GHashTable *values)
{
  Job *job = job_new (JOB_START, 0, run, NULL);

  job->values = values ? gateway_params_values_copy (values) : NULL;
  push_job (GST_REALTIME_BRANCH (runner), job);
}

/* Nothing is kept warm: a stopped camera is a released camera. */
static void
branch_stop (OnDemandRunner *runner, gboolean drain, guint drain_timeout_ms,
    gboolean keep_warm)
{
  Job *job = job_new (JOB_STOP, 0, 0, NULL);

  job->drain = drain;
  job->drain_timeout_ms = drain_timeout_ms;
  push_job (GST_REALTIME_BRANCH (runner), job);
}

/* The operation in flight goes on, unheard; the next start cleans up. */
static void
branch_abandon (OnDemandRunner *runner)
{
  GstRealtimeBranch *self = GST_REALTIME_BRANCH (runner);

  g_atomic_int_inc (&self->epoch);
  g_mutex_lock (&self->lock);
  self->draining = NULL;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
gst_realtime_branch_runner_init (OnDemandRunnerInterface *iface)
{
  iface->start = branch_start;
  iface->stop = branch_stop;
  iface->abandon = branch_abandon;
}

GstRealtimeBranch *
gst_realtime_branch_new (GstBin *bin, GstPad *ghost, const gchar *description,
    GPtrArray *params, GError **error)
{
  GstElement *parsed = parse (description, error);
  GstRealtimeBranch *self;
  gboolean ok = parsed != NULL;
  guint i;

  /* Once here, so that a typo fails the state change, not every start. */
  for (i = 0; ok && i < params->len; i++)
    ok = gateway_param_check_target (g_ptr_array_index (params, i),
        GST_BIN (parsed), error);
  gst_clear_object (&parsed);
  if (!ok)
    return NULL;
  self = g_object_new (GST_TYPE_REALTIME_BRANCH, NULL);
  self->bin = bin;
  self->ghost = gst_object_ref (ghost);
  self->description = g_strdup (description);
  self->params = g_ptr_array_ref (params);
  self->pool = g_thread_pool_new (worker, self, 1, FALSE, error);
  if (!self->pool)
    g_clear_object (&self);
  return self;
}

void
gst_realtime_branch_show_idle (GstRealtimeBranch *self, gint fps_n, gint fps_d)
{
  self->idle_fps_n = fps_n;
  self->idle_fps_d = fps_d;
  push_job (self, job_new (JOB_SHOW_IDLE, 0, 0, NULL));
}

void
gst_realtime_branch_set_ending (GstRealtimeBranch *self)
{
  g_atomic_int_set (&self->ending, 1);
}

gboolean
gst_realtime_branch_handle_error (GstRealtimeBranch *self, GstObject *source,
    const gchar *reason)
{
  GstObject *cur = source ? gst_object_ref (source) : NULL;
  BranchTag *tag = NULL;

  while (cur) {
    GstObject *parent = gst_object_get_parent (cur);

    if (parent == GST_OBJECT_CAST (self->bin))
      tag = g_object_get_qdata (G_OBJECT (cur), tag_quark);
    gst_object_unref (cur);
    cur = parent;
    if (tag || parent == GST_OBJECT_CAST (self->bin))
      gst_clear_object (&cur);
  }
  if (!tag || tag->self != self)
    return FALSE;
  /* Idle frames that fail stop; the next start removes them. */
  if (tag->idle)
    return TRUE;
  notify (self, job_new (JOB_RUN_FAILED, tag->epoch, tag->run, reason));
  return TRUE;
}

void
gst_realtime_branch_close (GstRealtimeBranch *self)
{
  g_atomic_int_set (&self->closed, 1);
  branch_abandon (ON_DEMAND_RUNNER (self));
  if (self->pool)
    g_thread_pool_free (g_steal_pointer (&self->pool), FALSE, TRUE);
  remove_branch (self, &self->inner);
  remove_branch (self, &self->idle_bin);
}

static void
gst_realtime_branch_init (GstRealtimeBranch *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->context = g_main_context_ref_thread_default ();
}

static void
gst_realtime_branch_finalize (GObject *object)
{
  GstRealtimeBranch *self = GST_REALTIME_BRANCH (object);

  gst_realtime_branch_close (self);
  gst_clear_object (&self->ghost);
  g_free (self->description);
  g_clear_pointer (&self->params, g_ptr_array_unref);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (gst_realtime_branch_parent_class)->finalize (object);
}

static void
gst_realtime_branch_class_init (GstRealtimeBranchClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gst_realtime_branch_finalize;
  tag_quark = g_quark_from_static_string ("gst-realtime-branch");
  GST_DEBUG_CATEGORY_INIT (gst_realtime_branch_debug, "realtimebranch", 0,
      "realtimesrc's inner source runner");
}

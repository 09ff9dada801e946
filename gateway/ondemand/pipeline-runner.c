/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * pipeline-runner.c: the daemon's OnDemandRunner, a GstPipeline parsed
 * from a PipelineDef's description.
 *
 * Threads. The runner's methods, its bus watch and its notifications run
 * on the GMainContext that was the thread-default one at construction
 * (the controller's). The "ops" do not: a start op (params, PLAYING,
 * key-unit request) or a stop op (EOS, wait for it, READY or NULL,
 * unref) runs on a thread of its own, and the controller never asks for
 * a second op while one is in flight, so state changes of one pipeline
 * never overlap and none ever runs on the main loop or on a streaming
 * thread. The op's result comes back to the main context as an idle
 * source owned by the Instance. abandon() lets an op go: its thread keeps
 * its own reference to the pipeline, sets it to NULL and drops it
 * whenever it returns, and the next start parses a fresh pipeline (a
 * device the stuck one still holds may then report busy). The EOS of a
 * stop is sent to the sources from GStreamer's thread pool, never to the
 * pipeline and never while a state change runs (see op_drain()).
 *
 * Streaming threads only touch two atomics and post one application
 * message: the first-buffer probe on every sink pad posts
 * "ondemand-first-buffer" (with the run it belongs to) on the pipeline's
 * bus, so it reaches the main context in order with the errors and EOS of
 * the same run, through the one bus watch.
 *
 * Dispose never blocks: a running op finishes on its own thread and
 * cleans up, and a pipeline left in READY or PLAYING is set to NULL on a
 * short-lived thread.
 *
 * Choices the header leaves open:
 * - the description is parsed at the first start (construction cannot
 *   report a parse error); a parse error, or a param that cannot be bound
 *   or applied, is the "start-done" error of that run;
 * - a warm pipeline takes params in READY, except that it drops to NULL
 *   first when a param changes whose property does not declare itself
 *   mutable in READY (GST_PARAM_MUTABLE_*): device and location
 *   properties are only read when the element opens;
 * - an ERROR while stopping ends the drain (the EOS will not come); an
 *   EOS nobody asked for is a "run-failed", "ended by itself (EOS)".
 */
#include "pipeline-runner.h"
#include "gateway-error.h"
#include "owned-source.h"
#include "params.h"
#include "webrtc-pipeline.h"

#include <gst/video/video.h>

/* The library is built with the realtime client's log domain; on-demand
 * pipelines belong to the gateway component. */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "gateway"

#define FIRST_BUFFER_MESSAGE "ondemand-first-buffer"

/* The binding of one declared param to its parsed element. */
typedef struct
{
  GstElement *element; /* owned by the pipeline */
  GParamSpec *pspec; /* owned by the element's class */
  GValue original; /* the property right after parsing (unset: unreadable) */
  GValue last; /* param-typed value of the last run; unset: the original */
} ParamTarget;

/* Where the EOS of a stop op is: it is sent from GStreamer's thread pool
 * (see send_eos_to_sources), and no state change may start while it is
 * being sent. */
typedef enum
{
  EOS_NONE,
  EOS_PENDING, /* queued, not started */
  EOS_SENDING, /* in gst_element_send_event() */
  EOS_SENT,
  EOS_CANCELLED, /* the op went on before it started: do not send */
} EosJob;

/* One parsed GstPipeline and everything attached to it. Shared by the
 * runner and the op threads (reference counted); the main thread abandons
 * it (owner = NULL) when the runner no longer wants it, after which only
 * the last op thread, or a teardown thread, touches the pipeline. */
typedef struct
{
  gint ref_count; /* atomic */

  GMutex lock;
  GCond cond; /* signalled when drained, abandoned, or the EOS was sent */
  OnDemandPipelineRunner *owner; /* lock; written on the main thread only */
  gboolean worker_running; /* lock */
  GSource *done_source; /* lock; the op result on its way to the owner */
  gboolean drained; /* lock; EOS or ERROR seen while draining */
  GstElement *pipeline; /* lock for the pointer; NULL once released */

  GMainContext *context;
  gchar *name;
  PipelineDef *def;
  GSource *bus_watch; /* main thread only */
  GPtrArray *sink_pads; /* GstPad*, each with a probe */
  GArray *probe_ids; /* gulong, parallel to sink_pads */
  ParamTarget *targets; /* def->params->len */

  EosJob eos_job; /* lock; the EOS sent for the stop op in flight */
  gint first_buffer_armed; /* atomic: cleared by the first buffer of a run */
  gint run_id; /* atomic: the run the armed flag belongs to */
} Instance;

typedef enum
{
  OP_START,
  OP_STOP,
} OpKind;

typedef struct
{
  OpKind kind;
  Instance *inst; /* owned; NULL for an op with nothing to act on */
  /* OP_START */
  guint run;
  gboolean via_null; /* a warm pipeline drops to NULL to take a param */
  GHashTable *values; /* the run's params (name -> GValue*) */
  /* OP_STOP */
  gboolean drain;
  guint drain_timeout_ms;
  GstState target;
  /* results, written by the op thread */
  gboolean drained;
  gboolean released; /* the pipeline went to NULL and was unreffed */
  gchar *error;
} Op;

struct _OnDemandPipelineRunner
{
  GObject parent;

  GMainContext *context;
  PipelineDef *def;
  Instance *inst; /* owned; NULL when nothing is parsed */
  Op *op; /* the op in flight, or NULL */
  GSource *idle_source; /* the result of an op with no Instance */
  guint run; /* the run of the last start() */
  gboolean running; /* between start() and stop() */
};

enum
{
  PROP_0,
  PROP_PIPELINE,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
on_demand_pipeline_runner_iface_init (OnDemandRunnerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (OnDemandPipelineRunner, on_demand_pipeline_runner,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (ON_DEMAND_TYPE_RUNNER,
        on_demand_pipeline_runner_iface_init));

/* ------------------------------------------------------------------ */
/* Instance: a parsed pipeline */

static Instance *
instance_ref (Instance *inst)
{
  g_atomic_int_inc (&inst->ref_count);
  return inst;
}

/* Any thread; the pipeline must be in NULL. */
static void
instance_release_pipeline (Instance *inst)
{
  GstElement *pipeline;
  guint i;

  g_mutex_lock (&inst->lock);
  pipeline = g_steal_pointer (&inst->pipeline);
  g_mutex_unlock (&inst->lock);
  if (!pipeline)
    return;

  for (i = 0; i < inst->sink_pads->len; i++)
    gst_pad_remove_probe (g_ptr_array_index (inst->sink_pads, i),
        g_array_index (inst->probe_ids, gulong, i));
  g_ptr_array_set_size (inst->sink_pads, 0);
  g_array_set_size (inst->probe_ids, 0);
  for (i = 0; inst->targets && i < inst->def->params->len; i++)
    inst->targets[i].element = NULL;
  gst_object_unref (pipeline);
}

static void
instance_unref (Instance *inst)
{
  guint i;

  if (!g_atomic_int_dec_and_test (&inst->ref_count))
    return;

  /* The bus watch was destroyed by instance_abandon() on the main
   * thread, and the pipeline set to NULL by whoever ran last. */
  g_warn_if_fail (inst->bus_watch == NULL);
  g_warn_if_fail (inst->done_source == NULL);
  instance_release_pipeline (inst);
  for (i = 0; inst->targets && i < inst->def->params->len; i++) {
    if (G_IS_VALUE (&inst->targets[i].original))
      g_value_unset (&inst->targets[i].original);
    if (G_IS_VALUE (&inst->targets[i].last))
      g_value_unset (&inst->targets[i].last);
  }
  g_free (inst->targets);
  g_ptr_array_unref (inst->sink_pads);
  g_array_unref (inst->probe_ids);
  pipeline_def_unref (inst->def);
  g_main_context_unref (inst->context);
  g_free (inst->name);
  g_mutex_clear (&inst->lock);
  g_cond_clear (&inst->cond);
  g_free (inst);
}

/* Streaming thread: the first buffer of a run reaching any sink. */
static GstPadProbeReturn
first_buffer_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Instance *inst = user_data;

  if (g_atomic_int_compare_and_exchange (&inst->first_buffer_armed, TRUE,
          FALSE)) {
    /* inst->pipeline is stable here: it is only released in NULL, when
     * no streaming thread runs. */
    GstStructure *s = gst_structure_new (FIRST_BUFFER_MESSAGE, "run",
        G_TYPE_INT, g_atomic_int_get (&inst->run_id), "time", G_TYPE_INT64,
        g_get_monotonic_time (), NULL);

    gst_element_post_message (inst->pipeline,
        gst_message_new_application (GST_OBJECT (inst->pipeline), s));
  }
  return GST_PAD_PROBE_OK;
}

static gboolean
add_sink_pad (GstElement *element, GstPad *pad, gpointer user_data)
{
  GPtrArray *pads = user_data;

  g_ptr_array_add (pads, gst_object_ref (pad));
  return TRUE;
}

static void collect_sink_pads (GstBin *bin, GPtrArray *pads);

static void
add_sink_pads_of (const GValue *item, gpointer user_data)
{
  GPtrArray *pads = user_data;
  GstElement *element = g_value_get_object (item);
  guint before = pads->len;

  gst_element_foreach_sink_pad (element, add_sink_pad, pads);
  if (pads->len == before && GST_IS_BIN (element))
    collect_sink_pads (GST_BIN (element), pads);
}

/* Sink pads of every sink of @bin: a sink bin counts with its own (ghost)
 * sink pads, which see every buffer entering it, and is searched inside
 * only when it has none. */
static void
collect_sink_pads (GstBin *bin, GPtrArray *pads)
{
  GstIterator *it = gst_bin_iterate_sinks (bin);
  guint first = pads->len;

  while (gst_iterator_foreach (it, add_sink_pads_of, pads)
      == GST_ITERATOR_RESYNC) {
    g_ptr_array_set_size (pads, first);
    gst_iterator_resync (it);
  }
  gst_iterator_free (it);
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer user_data);

/* Main thread: parses the description, binds the params, records the
 * properties' own values, probes the sinks and watches the bus. */
static Instance *
instance_new (OnDemandPipelineRunner *self, GError **error)
{
  PipelineDef *def = self->def;
  g_autoptr (GError) local = NULL;
  g_autoptr (GstBus) bus = NULL;
  Instance *inst;
  GstElement *parsed;
  guint i;

  parsed = def->webrtc ? webrtc_pipeline_build (def, &local)
                       : gst_parse_launch_full (def->description, NULL,
                           GST_PARSE_FLAG_FATAL_ERRORS, &local);
  if (!parsed) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PIPELINE,
        "cannot parse the description: %s", local->message);
    return NULL;
  }
  /* A single element comes back bare; its bus and clock need a pipeline. */
  if (!GST_IS_PIPELINE (parsed)) {
    GstElement *pipeline = gst_pipeline_new (NULL);

    gst_bin_add (GST_BIN (pipeline), parsed);
    parsed = pipeline;
  }
  gst_object_set_name (GST_OBJECT (parsed), def->name);

  inst = g_new0 (Instance, 1);
  inst->ref_count = 1;
  g_mutex_init (&inst->lock);
  g_cond_init (&inst->cond);
  inst->owner = self;
  inst->pipeline = gst_object_ref_sink (parsed);
  inst->context = g_main_context_ref (self->context);
  inst->name = g_strdup (def->name);
  inst->def = pipeline_def_ref (def);
  inst->sink_pads = g_ptr_array_new_with_free_func (gst_object_unref);
  inst->probe_ids = g_array_new (FALSE, FALSE, sizeof (gulong));
  inst->targets = g_new0 (ParamTarget, def->params->len);

  for (i = 0; i < def->params->len; i++) {
    const GatewayParam *param = g_ptr_array_index (def->params, i);
    ParamTarget *t = &inst->targets[i];
    GstElement *element
        = gst_bin_get_by_name (GST_BIN (inst->pipeline), param->element);

    if (!element) {
      g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
          "param \"%s\": no element named \"%s\" in the pipeline", param->name,
          param->element);
      goto fail;
    }
    /* The bin keeps the element alive as long as the pipeline lives. */
    t->element = element;
    gst_object_unref (element);
    t->pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (element),
        param->property);
    if (!t->pspec || !(t->pspec->flags & G_PARAM_WRITABLE)
        || (t->pspec->flags & G_PARAM_CONSTRUCT_ONLY)) {
      g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
          "param \"%s\": %s has no writable property \"%s\"", param->name,
          param->element, param->property);
      goto fail;
    }
    /* Recorded so that a run without this param gets the description's
     * value back, not whatever an earlier run set. */
    if (t->pspec->flags & G_PARAM_READABLE) {
      g_value_init (&t->original, t->pspec->value_type);
      g_object_get_property (G_OBJECT (element), param->property, &t->original);
    }
  }

  collect_sink_pads (GST_BIN (inst->pipeline), inst->sink_pads);
  if (inst->sink_pads->len == 0) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
        "the pipeline has no sink pad to watch for the first buffer");
    goto fail;
  }
  for (i = 0; i < inst->sink_pads->len; i++) {
    gulong id = gst_pad_add_probe (g_ptr_array_index (inst->sink_pads, i),
        GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
        first_buffer_probe, inst, NULL);

    g_array_append_val (inst->probe_ids, id);
  }

  bus = gst_element_get_bus (inst->pipeline);
  inst->bus_watch = gst_bus_create_watch (bus);
  g_source_set_callback (inst->bus_watch, G_SOURCE_FUNC (on_bus_message), inst,
      NULL);
  g_source_attach (inst->bus_watch, self->context);
  return inst;

fail:
  inst->owner = NULL;
  instance_unref (inst);
  return NULL;
}

/* Any thread, no op running on @inst (or the op's own thread, once
 * abandoned): NULL, then release. The one teardown of a pipeline nobody
 * wants any more. */
static void
instance_teardown (Instance *inst)
{
  GstElement *pipeline;

  g_mutex_lock (&inst->lock);
  pipeline = inst->pipeline ? gst_object_ref (inst->pipeline) : NULL;
  g_mutex_unlock (&inst->lock);
  if (pipeline) {
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (pipeline);
  }
  instance_release_pipeline (inst);
}

static gpointer
teardown_thread (gpointer data)
{
  Instance *inst = data;

  instance_teardown (inst);
  instance_unref (inst);
  return NULL;
}

static void
spawn (const gchar *name, GThreadFunc func, gpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *thread_name = g_strdup_printf ("od-%s", name);
  GThread *thread = g_thread_try_new (thread_name, func, data, &error);

  if (thread) {
    g_thread_unref (thread);
    return;
  }
  /* Only under resource exhaustion; blocking beats leaking the pipeline
   * in a state other than NULL. */
  g_warning ("%s: cannot start a worker thread (%s); running the state "
             "change on the main loop",
      name, error->message);
  func (data);
}

/* Main thread: the object lets go of @inst (consuming the caller's
 * reference). Its bus watch and pending op result go now; a running op
 * cleans up on its own thread; an idle pipeline not in NULL is set to
 * NULL on a teardown thread. */
static void
instance_abandon (Instance *inst)
{
  GSource *done;
  GstElement *pipeline;
  gboolean running;

  g_mutex_lock (&inst->lock);
  inst->owner = NULL;
  done = g_steal_pointer (&inst->done_source);
  running = inst->worker_running;
  pipeline = inst->pipeline ? gst_object_ref (inst->pipeline) : NULL;
  /* An op waiting for EOS stops waiting: nobody wants its result. */
  g_cond_broadcast (&inst->cond);
  g_mutex_unlock (&inst->lock);

  owned_source_clear (&inst->bus_watch);
  /* Destroying the result frees the finished op (and its reference). */
  owned_source_clear (&done);

  if (!running && pipeline) {
    GstState state, pending;

    GST_OBJECT_LOCK (pipeline);
    state = GST_STATE (pipeline);
    pending = GST_STATE_PENDING (pipeline);
    GST_OBJECT_UNLOCK (pipeline);
    if (state != GST_STATE_NULL || pending != GST_STATE_VOID_PENDING)
      spawn (inst->name, teardown_thread, instance_ref (inst));
  }
  gst_clear_object (&pipeline);
  instance_unref (inst);
}

/* ------------------------------------------------------------------ */
/* Ops: the only code that changes the state of a pipeline */

static void
op_free (gpointer data)
{
  Op *op = data;

  if (op->inst)
    instance_unref (op->inst);
  g_clear_pointer (&op->values, g_hash_table_unref);
  g_free (op->error);
  g_free (op);
}

/* Op thread, pipeline in NULL or READY: every declared param gets the
 * request's value, else its default, else the description's own value. */
static gboolean
op_apply_params (Op *op)
{
  Instance *inst = op->inst;
  PipelineDef *def = inst->def;
  guint i;

  for (i = 0; i < def->params->len; i++) {
    const GatewayParam *param = g_ptr_array_index (def->params, i);
    const ParamTarget *t = &inst->targets[i];
    const GValue *value = g_hash_table_lookup (op->values, param->name);
    g_autoptr (GError) error = NULL;

    if (!value && param->has_default)
      value = &param->default_value;
    if (value) {
      if (!gateway_param_apply (param, GST_BIN (inst->pipeline), value,
              &error)) {
        op->error = g_strdup (error->message);
        return FALSE;
      }
    } else if (G_IS_VALUE (&t->original)) {
      g_object_set_property (G_OBJECT (t->element), param->property,
          &t->original);
    }
  }
  return TRUE;
}

static void
op_run_start (Op *op)
{
  Instance *inst = op->inst;
  GstElement *pipeline = inst->pipeline;
  guint i;

  if (op->via_null
      && gst_element_set_state (pipeline, GST_STATE_NULL)
          == GST_STATE_CHANGE_FAILURE) {
    op->error = g_strdup ("state change to NULL failed");
    return;
  }
  if (!op_apply_params (op))
    return;
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE) {
    op->error = g_strdup ("state change to PLAYING failed");
    return;
  }
  /* So that an encoder's first output, the first thing a viewer can
   * decode, is a key unit (harmless without an encoder). */
  for (i = 0; i < inst->sink_pads->len; i++)
    gst_pad_push_event (g_ptr_array_index (inst->sink_pads, i),
        gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE,
            0));
}

/* GStreamer's thread pool (gst_element_call_async): EOS to every source
 * of the pipeline, as GstBin does, but without holding the pipeline's
 * state lock. Sent to the pipeline itself, a live source that is still
 * prerolling deadlocks: basesrc waits for its streaming thread, which
 * waits in the sink for PLAYING, which needs the pipeline's state lock.
 * It runs off the op thread because basesrc blocks here for as long as
 * its streaming thread is blocked downstream, and the drain must stay
 * bounded by stop-timeout. */
static void
send_eos_to (const GValue *item, gpointer user_data)
{
  gboolean *sent = user_data;

  gst_element_send_event (g_value_get_object (item), gst_event_new_eos ());
  *sent = TRUE;
}

static void
send_eos_to_sources (GstElement *pipeline, gpointer user_data)
{
  Instance *inst = user_data;
  GstIterator *it;
  gboolean sent = FALSE;

  g_mutex_lock (&inst->lock);
  if (inst->eos_job != EOS_PENDING) {
    /* Too late: the op went on, and an EOS marked on a source now could
     * end a warm pipeline's next run at once. */
    g_mutex_unlock (&inst->lock);
    return;
  }
  inst->eos_job = EOS_SENDING;
  g_mutex_unlock (&inst->lock);

  it = gst_bin_iterate_sources (GST_BIN (pipeline));
  /* Resynced only while elements are added or removed; sending twice is
   * harmless. */
  while (gst_iterator_foreach (it, send_eos_to, &sent) == GST_ITERATOR_RESYNC)
    gst_iterator_resync (it);
  gst_iterator_free (it);
  if (!sent)
    gst_element_send_event (pipeline, gst_event_new_eos ());

  g_mutex_lock (&inst->lock);
  inst->eos_job = EOS_SENT;
  g_cond_broadcast (&inst->cond);
  g_mutex_unlock (&inst->lock);
}

static void
flush_sinks (Instance *inst)
{
  guint i;

  for (i = 0; i < inst->sink_pads->len; i++)
    gst_pad_send_event (g_ptr_array_index (inst->sink_pads, i),
        gst_event_new_flush_start ());
}

/* Op thread: EOS into the sources, then wait for it (or an ERROR) to come
 * out at the sinks, or for the deadline, or for the object to abandon
 * us. Returns with the EOS no longer being sent: a state change while a
 * source is inside send_event() deadlocks (the sinks go to PAUSED first
 * and park the streaming thread in preroll, holding the stream lock that
 * basesrc waits for while it holds its state lock, which the state change
 * needs next). */
static void
op_drain (Op *op)
{
  Instance *inst = op->inst;
  gint64 deadline = g_get_monotonic_time ()
      + (gint64)op->drain_timeout_ms * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&inst->lock);
  inst->eos_job = EOS_PENDING;
  g_mutex_unlock (&inst->lock);
  gst_element_call_async (inst->pipeline, send_eos_to_sources,
      instance_ref (inst), (GDestroyNotify)instance_unref);

  g_mutex_lock (&inst->lock);
  while (!inst->drained && inst->owner)
    if (!g_cond_wait_until (&inst->cond, &inst->lock, deadline))
      break;
  op->drained = inst->drained;
  if (inst->eos_job == EOS_PENDING)
    inst->eos_job = EOS_CANCELLED;
  if (inst->eos_job == EOS_SENDING && !op->drained) {
    /* Still sending, so a streaming thread is blocked downstream (a sink
     * that cannot deliver, a full queue): flushing the sinks unblocks it,
     * then basesrc takes its EOS and returns. */
    g_mutex_unlock (&inst->lock);
    flush_sinks (inst);
    g_mutex_lock (&inst->lock);
  }
  while (inst->eos_job == EOS_SENDING)
    g_cond_wait (&inst->cond, &inst->lock);
  inst->eos_job = EOS_NONE;
  g_mutex_unlock (&inst->lock);
}

static void
op_run_stop (Op *op)
{
  Instance *inst = op->inst;
  GstElement *pipeline = inst->pipeline;

  /* EOS lets muxers finalise their files; the main thread's bus watch
   * tells op_drain() when it came out at the sinks. */
  if (op->drain)
    op_drain (op);

  if (gst_element_set_state (pipeline, op->target) == GST_STATE_CHANGE_FAILURE
      && op->target != GST_STATE_NULL) {
    op->error = g_strdup_printf ("state change to %s failed",
        gst_element_state_get_name (op->target));
    op->target = GST_STATE_NULL;
    gst_element_set_state (pipeline, GST_STATE_NULL);
  }
  if (op->target == GST_STATE_NULL) {
    /* Dropped here, off the main loop, so that the elements (and the
     * device they hold) are gone before "stopped" is reported. */
    instance_release_pipeline (inst);
    op->released = TRUE;
  }
}

static gboolean on_op_done (gpointer data);

static gpointer
op_thread (gpointer data)
{
  Op *op = data;
  Instance *inst = op->inst;
  gboolean orphan;

  if (op->kind == OP_START)
    op_run_start (op);
  else
    op_run_stop (op);

  g_mutex_lock (&inst->lock);
  orphan = inst->owner == NULL;
  if (!orphan) {
    inst->done_source = owned_source_idle_attach (inst->context,
        G_PRIORITY_DEFAULT, on_op_done, op, op_free);
  }
  inst->worker_running = FALSE;
  g_mutex_unlock (&inst->lock);

  if (orphan) {
    /* Abandoned while we ran (stuck, or the object went away): nobody
     * else will ever touch this pipeline. */
    if (!op->released)
      instance_teardown (inst);
    g_debug ("%s: abandoned state change returned; pipeline released",
        inst->name);
    op_free (op);
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* The runner's side: dispatching ops, watching the bus, notifying */

static void
dispatch_op (OnDemandPipelineRunner *self, Op *op)
{
  Instance *inst = op->inst;

  g_assert (self->op == NULL);
  g_mutex_lock (&inst->lock);
  inst->worker_running = TRUE;
  inst->drained = FALSE;
  g_mutex_unlock (&inst->lock);
  self->op = op;
  spawn (inst->name, op_thread, op);
}

static gboolean on_idle_op_done (gpointer data);

/* An op with nothing to act on (a parse error, a stop with nothing
 * built) completes from an idle source, never inside the call that asked
 * for it. */
static void
complete_later (OnDemandPipelineRunner *self, Op *op)
{
  g_assert (self->op == NULL && self->idle_source == NULL);
  self->op = op;
  self->idle_source = owned_source_idle_attach (self->context,
      G_PRIORITY_DEFAULT, on_idle_op_done, self, NULL);
}

static void
drop_instance (OnDemandPipelineRunner *self)
{
  if (self->inst)
    instance_abandon (g_steal_pointer (&self->inst));
}

static void
signal_drained (Instance *inst)
{
  g_mutex_lock (&inst->lock);
  inst->drained = TRUE;
  g_cond_broadcast (&inst->cond);
  g_mutex_unlock (&inst->lock);
}

static gboolean
stop_in_flight (OnDemandPipelineRunner *self)
{
  return self->op && self->op->kind == OP_STOP;
}

/* Main thread. The notifications' handlers may drop the last reference
 * to the runner: it is held until the message is handled. */
static void
handle_message (OnDemandPipelineRunner *self, GstMessage *msg)
{
  g_autoptr (OnDemandPipelineRunner) hold = g_object_ref (self);
  OnDemandRunner *runner = ON_DEMAND_RUNNER (self);

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_APPLICATION: {
      const GstStructure *s = gst_message_get_structure (msg);
      gint run = 0;
      gint64 time_us = 0;

      if (!gst_structure_has_name (s, FIRST_BUFFER_MESSAGE))
        break;
      gst_structure_get_int (s, "run", &run);
      gst_structure_get_int64 (s, "time", &time_us);
      if (self->running && (guint)run == self->run)
        on_demand_runner_emit_first_buffer (runner, self->run, time_us);
      break;
    }
    case GST_MESSAGE_ERROR: {
      g_autoptr (GError) error = NULL;
      g_autofree gchar *debug = NULL;
      g_autofree gchar *reason = NULL;

      gst_message_parse_error (msg, &error, &debug);
      reason = g_strdup_printf ("%s: %s", GST_MESSAGE_SRC_NAME (msg),
          error->message);
      g_debug ("%s: error details: %s", self->def->name,
          debug ? debug : "none");
      if (stop_in_flight (self)) {
        g_message ("%s: %s while stopping; going on to tear down",
            self->def->name, reason);
        signal_drained (self->inst);
      } else if (self->running) {
        on_demand_runner_emit_run_failed (runner, self->run, reason);
      } else {
        g_message ("%s: %s while idle", self->def->name, reason);
      }
      break;
    }
    case GST_MESSAGE_EOS:
      if (stop_in_flight (self))
        signal_drained (self->inst);
      else if (self->running)
        on_demand_runner_emit_run_failed (runner, self->run,
            "ended by itself (EOS)");
      break;
    case GST_MESSAGE_WARNING: {
      g_autoptr (GError) error = NULL;

      gst_message_parse_warning (msg, &error, NULL);
      g_message ("%s: warning from %s: %s", self->def->name,
          GST_MESSAGE_SRC_NAME (msg), error->message);
      break;
    }
    default:
      break;
  }
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  Instance *inst = user_data;
  /* owner is only written on this thread. */
  OnDemandPipelineRunner *self = inst->owner;

  if (self && self->inst == inst)
    handle_message (self, msg);
  return G_SOURCE_CONTINUE;
}

/* Handles what the pipeline posted while the op ran before the op's
 * result (the bus watch takes one message per dispatch): an element's
 * ERROR behind a failed state change, so that the "run-failed" carrying
 * the element's own message comes before "start-done"; the first buffer;
 * and, for a warm pipeline back in READY, anything late from the run
 * that ended. */
static void
drain_bus (OnDemandPipelineRunner *self, Instance *inst)
{
  g_autoptr (GstBus) bus = NULL;
  GstMessage *msg;

  if (!inst->pipeline)
    return;
  bus = gst_element_get_bus (inst->pipeline);
  while (self->inst == inst && (msg = gst_bus_pop (bus))) {
    handle_message (self, msg);
    gst_message_unref (msg);
  }
}

/* Main thread: @op (still owned by the caller) returned; the runner is
 * consistent before the notification, whose handler may call back in or
 * drop the last reference to the runner (held until we return). */
static void
finish_op (OnDemandPipelineRunner *self, Op *op)
{
  g_autoptr (OnDemandPipelineRunner) hold = g_object_ref (self);
  OnDemandRunner *runner = ON_DEMAND_RUNNER (self);

  if (op->inst)
    drain_bus (self, op->inst);
  if (self->op != op)
    return; /* abandoned by a handler meanwhile */
  self->op = NULL;
  if (op->kind == OP_START) {
    on_demand_runner_emit_start_done (runner, op->run, op->error);
    return;
  }
  if (op->released)
    drop_instance (self);
  on_demand_runner_emit_stop_done (runner, op->drained, op->released,
      op->error);
}

static gboolean
on_op_done (gpointer data)
{
  Op *op = data;
  Instance *inst = op->inst;
  OnDemandPipelineRunner *self;

  g_mutex_lock (&inst->lock);
  g_clear_pointer (&inst->done_source, g_source_unref);
  self = inst->owner;
  g_mutex_unlock (&inst->lock);

  if (self && self->op == op)
    finish_op (self, op);
  return G_SOURCE_REMOVE;
}

static gboolean
on_idle_op_done (gpointer data)
{
  OnDemandPipelineRunner *self = data;
  Op *op = self->op;

  owned_source_clear (&self->idle_source);
  finish_op (self, op);
  op_free (op);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------ */
/* OnDemandRunner */

static void
runner_start (OnDemandRunner *runner, guint run, GHashTable *values)
{
  OnDemandPipelineRunner *self = ON_DEMAND_PIPELINE_RUNNER (runner);
  PipelineDef *def = self->def;
  Instance *inst;
  Op *op;
  gboolean in_ready = FALSE;
  guint i;

  g_return_if_fail (self->op == NULL && !self->running);

  self->run = run;
  self->running = TRUE;
  op = g_new0 (Op, 1);
  op->kind = OP_START;
  op->run = run;

  if (!self->inst) {
    g_autoptr (GError) error = NULL;

    self->inst = instance_new (self, &error);
    if (!self->inst) {
      op->error = g_strdup (error->message);
      complete_later (self, op);
      return;
    }
  } else {
    GstElement *pipeline = self->inst->pipeline;

    GST_OBJECT_LOCK (pipeline);
    in_ready = GST_STATE (pipeline) == GST_STATE_READY;
    GST_OBJECT_UNLOCK (pipeline);
  }
  inst = self->inst;
  g_atomic_int_set (&inst->run_id, (gint)run);
  g_atomic_int_set (&inst->first_buffer_armed, TRUE);

  op->inst = instance_ref (inst);
  op->values = gateway_params_values_copy (values);

  /* A property that does not say it may change in READY (most device
   * and location properties) is only trusted to take effect in NULL: a
   * warm pipeline drops to NULL when such a param changes. */
  for (i = 0; i < def->params->len; i++) {
    const GatewayParam *param = g_ptr_array_index (def->params, i);
    ParamTarget *t = &inst->targets[i];
    const GValue *value = g_hash_table_lookup (op->values, param->name);

    if (!value && param->has_default)
      value = &param->default_value;
    if (in_ready
        && !gateway_param_value_equal (value,
            G_IS_VALUE (&t->last) ? &t->last : NULL)
        && !(t->pspec->flags
            & (GST_PARAM_MUTABLE_READY | GST_PARAM_MUTABLE_PAUSED
                | GST_PARAM_MUTABLE_PLAYING)))
      op->via_null = TRUE;
    if (G_IS_VALUE (&t->last))
      g_value_unset (&t->last);
    if (value) {
      g_value_init (&t->last, G_VALUE_TYPE (value));
      g_value_copy (value, &t->last);
    }
  }
  g_debug ("%s: run %u: %s", def->name, run,
      op->via_null ? "params, via NULL, then PLAYING" : "params, PLAYING");
  dispatch_op (self, op);
}

static void
runner_stop (OnDemandRunner *runner, gboolean drain, guint drain_timeout_ms,
    gboolean keep_warm)
{
  OnDemandPipelineRunner *self = ON_DEMAND_PIPELINE_RUNNER (runner);
  Op *op;

  g_return_if_fail (self->op == NULL);

  self->running = FALSE;
  op = g_new0 (Op, 1);
  op->kind = OP_STOP;
  if (!self->inst) {
    /* Nothing was built (the start failed to parse): nothing to drain
     * or release. */
    op->drained = TRUE;
    op->released = TRUE;
    complete_later (self, op);
    return;
  }
  op->inst = instance_ref (self->inst);
  op->drain = drain;
  op->drain_timeout_ms = drain_timeout_ms;
  op->target = keep_warm ? GST_STATE_READY : GST_STATE_NULL;
  g_debug ("%s: stop: %s, then %s", self->def->name, drain ? "EOS" : "no EOS",
      keep_warm ? "READY" : "NULL");
  dispatch_op (self, op);
}

static void
runner_abandon (OnDemandRunner *runner)
{
  OnDemandPipelineRunner *self = ON_DEMAND_PIPELINE_RUNNER (runner);

  self->running = FALSE;
  if (self->idle_source) {
    owned_source_clear (&self->idle_source);
    g_clear_pointer (&self->op, op_free);
  }
  /* An op on its thread is freed by that thread (or by its result
   * source, which instance_abandon() destroys). */
  self->op = NULL;
  drop_instance (self);
}

static void
on_demand_pipeline_runner_iface_init (OnDemandRunnerInterface *iface)
{
  iface->start = runner_start;
  iface->stop = runner_stop;
  iface->abandon = runner_abandon;
}

/**
 * on_demand_pipeline_runner_new:
 * @def: the pipeline definition (a reference is taken)
 *
 * Creates a runner driven by the thread-default #GMainContext, which
 * must be the controller's. Nothing is parsed yet: the description is
 * parsed at the first start.
 *
 * Returns: (transfer full): a new #OnDemandPipelineRunner
 */
OnDemandPipelineRunner *
on_demand_pipeline_runner_new (PipelineDef *def)
{
  OnDemandPipelineRunner *self;

  g_return_val_if_fail (def != NULL, NULL);

  self = g_object_new (ON_DEMAND_TYPE_PIPELINE_RUNNER, NULL);
  self->def = pipeline_def_ref (def);
  return self;
}

/* ------------------------------------------------------------------ */
/* GObject */

static void
on_demand_pipeline_runner_get_property (GObject *object, guint prop_id,
    GValue *value, GParamSpec *pspec)
{
  OnDemandPipelineRunner *self = ON_DEMAND_PIPELINE_RUNNER (object);

  switch (prop_id) {
    case PROP_PIPELINE:
      if (self->inst) {
        g_mutex_lock (&self->inst->lock);
        g_value_set_object (value, self->inst->pipeline);
        g_mutex_unlock (&self->inst->lock);
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
on_demand_pipeline_runner_init (OnDemandPipelineRunner *self)
{
  self->context = g_main_context_ref_thread_default ();
}

/* Never blocks: see the top of this file. */
static void
on_demand_pipeline_runner_dispose (GObject *object)
{
  runner_abandon (ON_DEMAND_RUNNER (object));

  G_OBJECT_CLASS (on_demand_pipeline_runner_parent_class)->dispose (object);
}

static void
on_demand_pipeline_runner_finalize (GObject *object)
{
  OnDemandPipelineRunner *self = ON_DEMAND_PIPELINE_RUNNER (object);

  g_clear_pointer (&self->def, pipeline_def_unref);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (on_demand_pipeline_runner_parent_class)->finalize (object);
}

static void
on_demand_pipeline_runner_class_init (OnDemandPipelineRunnerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = on_demand_pipeline_runner_get_property;
  object_class->dispose = on_demand_pipeline_runner_dispose;
  object_class->finalize = on_demand_pipeline_runner_finalize;

  /**
   * OnDemandPipelineRunner:pipeline:
   *
   * The parsed #GstPipeline of the current run (or the warm one kept in
   * READY), %NULL when none. For diagnostics and tests: reading its
   * properties is fine, changing its state is not.
   */
  props[PROP_PIPELINE] = g_param_spec_object ("pipeline", "Pipeline",
      "The current GstPipeline, if any", GST_TYPE_ELEMENT,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, props);
}

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ondemand-controller.c: one named pipeline, started and stopped on request.
 *
 * Three things are kept apart:
 *
 * - the wish: run (with params, a lease and the request being served) or
 *   stop. Requests only change the wish and are answered at once, so a
 *   storm of requests costs nothing and only the last one counts;
 * - the phase: what the engine is doing with the GstPipeline right now
 *   (IDLE, BACKOFF, STARTING, WAITING, PLAYING, STOPPING). converge()
 *   moves it towards the wish after every event;
 * - the reported state (the header's OnDemandState), changed only by
 *   report(), which queues a "state-changed" emission.
 *
 * Threads. Everything here runs on the GMainContext that was the
 * thread-default one at construction, except the "ops": a start op
 * (params, PLAYING, key-unit request) or a stop op (EOS, wait for it,
 * READY or NULL, unref). Each op runs on a thread of its own, and at most
 * one op per GstPipeline is in flight (phases STARTING and STOPPING), so
 * state changes of one pipeline never overlap and none ever runs on the
 * main loop or on a streaming thread. The op's result comes back to the
 * main context as an idle source owned by the Instance. An op that does
 * not return within its timeout plus "state-change-grace" is abandoned:
 * its thread keeps its own reference to the pipeline, sets it to NULL and
 * drops it whenever it returns, while this object reports failed ("stuck
 * in state change") and may build a fresh pipeline for the next start (a
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
 * Signals are queued and emitted by flush_reports() at the end of every
 * entry point (request, bus message, timer, op result), once the state
 * machine is consistent: a handler may call back into this object, or
 * drop the last reference to it, without finding it half-way through a
 * transition.
 *
 * Dispose never blocks: it destroys its sources and abandons the
 * Instance; a running op finishes on its own thread and cleans up, and a
 * pipeline left in READY or PLAYING is set to NULL on a short-lived
 * thread. Use on_demand_controller_shutdown() first to finalise files.
 *
 * Choices the header leaves open:
 * - a warm definition is parsed at its first start (construction cannot
 *   report a parse error), then kept in READY; after a failure it is
 *   dropped and parsed again at the next start;
 * - an EOS nobody asked for (the pipeline ended by itself) is a failure,
 *   "ended by itself (EOS)": the pipeline is not doing what it was asked
 *   to, and the restart policy decides;
 * - a stop during a start waits for the start's state change, then takes
 *   the normal stop path (EOS, bounded by stop-timeout, then NULL); a
 *   failed run is torn down without EOS;
 * - restart delays are drawn with full jitter from the growing ceiling
 *   (restart-backoff-min doubling up to restart-backoff-max) and are never
 *   shorter than restart-backoff-min; a run that reaches playing, or an
 *   explicit start, resets the count;
 * - a start while playing with other params is reported "starting" (then
 *   "playing"), never "stopped" in between;
 * - a warm pipeline takes params in READY, except that it drops to NULL
 *   first when a param changes whose property does not declare itself
 *   mutable in READY (GST_PARAM_MUTABLE_*): device and location
 *   properties are only read when the element opens.
 */
#include "ondemand-controller.h"
#include "backoff.h"

#include <gst/video/video.h>
#include <string.h>

/* The library is built with the realtime client's log domain; on-demand
 * pipelines belong to the gateway component (STYLE.md). */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "gateway"

#define DEFAULT_STATE_CHANGE_GRACE_MS 5000
#define FIRST_BUFFER_MESSAGE "ondemand-first-buffer"

/* What the engine is doing. An op is in flight exactly in STARTING and
 * STOPPING. */
typedef enum
{
  PHASE_IDLE, /* nothing running; pipeline NULL, absent, or READY (warm) */
  PHASE_BACKOFF, /* idle after a failure, a restart timer armed */
  PHASE_STARTING, /* start op in flight: params, PLAYING, key unit */
  PHASE_WAITING, /* PLAYING requested, waiting for the first buffer */
  PHASE_PLAYING, /* a buffer reached a sink */
  PHASE_STOPPING, /* stop op in flight: EOS, wait, READY or NULL */
} Phase;

static const gchar *const phase_names[]
    = { "idle", "backoff", "starting", "waiting", "playing", "stopping" };

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
 * object and the op threads (reference counted); the main thread abandons
 * it (owner = NULL) when the object no longer wants it, after which only
 * the last op thread, or a teardown thread, touches the pipeline. */
typedef struct
{
  gint ref_count; /* atomic */

  GMutex lock;
  GCond cond; /* signalled when drained, abandoned, or the EOS was sent */
  OnDemandController *owner; /* lock; written on the main thread only */
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
  Instance *inst; /* owned */
  /* OP_START */
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

typedef struct
{
  OnDemandState state;
  gchar *request_id;
  gchar *error;
} Report;

struct _OnDemandController
{
  GObject parent;

  GMainContext *context;
  PipelineDef *def;
  guint grace_ms;

  /* the wish */
  gboolean wish_run;
  GHashTable *params; /* wished (and last) params; never NULL */
  gchar *request_id; /* the request being served, NULL for our own */
  gchar *stop_reason; /* why we stop when nobody asked ("lease expired") */
  gboolean shutting_down;

  /* the engine */
  Phase phase;
  Instance *inst; /* owned; NULL when nothing is parsed */
  Op *op; /* the op in flight (owned by its thread), or NULL */
  guint run_id;
  GHashTable *run_params; /* params of the current run */
  gboolean run_failed; /* this run failed; tear down, no EOS */
  gint64 run_started_us;
  gint64 run_first_buffer_us; /* 0 until a buffer reached a sink */
  guint restarts_in_row; /* restarts since a run last reached playing */
  RealtimeBackoff backoff;

  /* timers, each cleared in one place (clear_source) */
  GSource *start_source; /* start-timeout of the run */
  GSource *stuck_source; /* bound of the op in flight */
  GSource *lease_source;
  GSource *backoff_source;
  gint64 lease_deadline_us;

  /* the report */
  OnDemandState state;
  GQueue reports; /* Report*, emitted by flush_reports() */
  gboolean flushing;
  GPtrArray *shutdown_tasks; /* GTask*, completed by flush_reports() */
  gboolean shutdown_done;
  gchar *shutdown_error;

  OnDemandStats stats;
};

enum
{
  PROP_0,
  PROP_PIPELINE,
  PROP_STATE_CHANGE_GRACE,
  PROP_RESTART_PENDING,
  N_PROPS
};

enum
{
  SIGNAL_STATE_CHANGED,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_TYPE (OnDemandController, on_demand_controller, G_TYPE_OBJECT);

G_DEFINE_ENUM_TYPE (OnDemandState, on_demand_state,
    G_DEFINE_ENUM_VALUE (ON_DEMAND_STATE_STOPPED, "stopped"),
    G_DEFINE_ENUM_VALUE (ON_DEMAND_STATE_STARTING, "starting"),
    G_DEFINE_ENUM_VALUE (ON_DEMAND_STATE_PLAYING, "playing"),
    G_DEFINE_ENUM_VALUE (ON_DEMAND_STATE_STOPPING, "stopping"),
    G_DEFINE_ENUM_VALUE (ON_DEMAND_STATE_FAILED, "failed"));

static void converge (OnDemandController *self);

/**
 * on_demand_state_to_string:
 * @state: a state
 *
 * Returns: the name of @state as it appears on the channel: "stopped",
 *   "starting", "playing", "stopping" or "failed"
 */
const gchar *
on_demand_state_to_string (OnDemandState state)
{
  switch (state) {
    case ON_DEMAND_STATE_STOPPED:
      return "stopped";
    case ON_DEMAND_STATE_STARTING:
      return "starting";
    case ON_DEMAND_STATE_PLAYING:
      return "playing";
    case ON_DEMAND_STATE_STOPPING:
      return "stopping";
    case ON_DEMAND_STATE_FAILED:
      return "failed";
  }
  return "unknown";
}

/* ------------------------------------------------------------------ */
/* Small helpers */

static void
clear_source (GSource **source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

static GSource *
add_timeout (OnDemandController *self, guint ms, GSourceFunc func)
{
  GSource *source = g_timeout_source_new (ms);

  /* Unowned self: every timer is destroyed in dispose. */
  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  return source;
}

static void
set_string (gchar **field, const gchar *value)
{
  gchar *copy = g_strdup (value);

  g_free (*field);
  *field = copy;
}

static gchar *
format_duration (guint ms)
{
  if (ms % 1000 == 0)
    return g_strdup_printf ("%u s", ms / 1000);
  return g_strdup_printf ("%u ms", ms);
}

/* Equality of validated (param-typed) values; NULL stands for "the
 * description's own value". */
static gboolean
param_value_equal (const GValue *a, const GValue *b)
{
  if (!a || !b)
    return a == b;
  if (G_VALUE_TYPE (a) != G_VALUE_TYPE (b))
    return FALSE;
  if (G_VALUE_HOLDS_INT64 (a))
    return g_value_get_int64 (a) == g_value_get_int64 (b);
  if (G_VALUE_HOLDS_UINT64 (a))
    return g_value_get_uint64 (a) == g_value_get_uint64 (b);
  if (G_VALUE_HOLDS_DOUBLE (a))
    return g_value_get_double (a) == g_value_get_double (b);
  if (G_VALUE_HOLDS_BOOLEAN (a))
    return g_value_get_boolean (a) == g_value_get_boolean (b);
  if (G_VALUE_HOLDS_STRING (a))
    return g_strcmp0 (g_value_get_string (a), g_value_get_string (b)) == 0;
  return FALSE;
}

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

/* Sink pads of every sink of @bin: a sink bin counts with its own (ghost)
 * sink pads, which see every buffer entering it, and is searched inside
 * only when it has none. */
static void
collect_sink_pads (GstBin *bin, GPtrArray *pads)
{
  GstIterator *it = gst_bin_iterate_sinks (bin);
  GValue item = G_VALUE_INIT;
  guint first = pads->len;
  gboolean done = FALSE;

  while (!done) {
    switch (gst_iterator_next (it, &item)) {
      case GST_ITERATOR_OK: {
        GstElement *element = g_value_get_object (&item);
        guint before = pads->len;

        gst_element_foreach_sink_pad (element, add_sink_pad, pads);
        if (pads->len == before && GST_IS_BIN (element))
          collect_sink_pads (GST_BIN (element), pads);
        g_value_reset (&item);
        break;
      }
      case GST_ITERATOR_RESYNC:
        g_ptr_array_set_size (pads, first);
        gst_iterator_resync (it);
        break;
      default:
        done = TRUE;
        break;
    }
  }
  g_value_unset (&item);
  gst_iterator_free (it);
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer user_data);

/* Main thread: parses the description, binds the params, records the
 * properties' own values, probes the sinks and watches the bus. */
static Instance *
instance_new (OnDemandController *self, GError **error)
{
  PipelineDef *def = self->def;
  g_autoptr (GError) local = NULL;
  g_autoptr (GstBus) bus = NULL;
  Instance *inst;
  GstElement *parsed;
  guint i;

  parsed = gst_parse_launch_full (def->description, NULL,
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

/* Any thread, no op running on @inst: NULL, then unref. */
static gpointer
teardown_thread (gpointer data)
{
  Instance *inst = data;
  GstElement *pipeline;

  g_mutex_lock (&inst->lock);
  pipeline = inst->pipeline ? gst_object_ref (inst->pipeline) : NULL;
  g_mutex_unlock (&inst->lock);
  if (pipeline) {
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (pipeline);
  }
  instance_release_pipeline (inst);
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

  clear_source (&inst->bus_watch);
  /* Destroying the result frees the finished op (and its reference). */
  clear_source (&done);

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
send_eos_to_sources (GstElement *pipeline, gpointer user_data)
{
  Instance *inst = user_data;
  GstIterator *it;
  GValue item = G_VALUE_INIT;
  gboolean done = FALSE, sent = FALSE;

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
  while (!done) {
    switch (gst_iterator_next (it, &item)) {
      case GST_ITERATOR_OK:
        gst_element_send_event (g_value_get_object (&item),
            gst_event_new_eos ());
        sent = TRUE;
        g_value_reset (&item);
        break;
      case GST_ITERATOR_RESYNC:
        /* Only while elements are added or removed; sending twice is
         * harmless. */
        gst_iterator_resync (it);
        break;
      default:
        done = TRUE;
        break;
    }
  }
  g_value_unset (&item);
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
    inst->done_source = g_idle_source_new ();
    g_source_set_priority (inst->done_source, G_PRIORITY_DEFAULT);
    g_source_set_callback (inst->done_source, on_op_done, op, op_free);
    g_source_attach (inst->done_source, inst->context);
  }
  inst->worker_running = FALSE;
  g_mutex_unlock (&inst->lock);

  if (orphan) {
    /* Abandoned while we ran (stuck, or the object went away): nobody
     * else will ever touch this pipeline. */
    if (!op->released) {
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
    g_debug ("%s: abandoned state change returned; pipeline released",
        inst->name);
    op_free (op);
  }
  return NULL;
}

static void on_stuck (OnDemandController *self);

static gboolean
on_stuck_timeout (gpointer data)
{
  on_stuck (data);
  return G_SOURCE_REMOVE;
}

static void
dispatch_op (OnDemandController *self, Op *op, guint bound_ms)
{
  Instance *inst = self->inst;

  g_assert (self->op == NULL);
  g_mutex_lock (&inst->lock);
  inst->worker_running = TRUE;
  inst->drained = FALSE;
  g_mutex_unlock (&inst->lock);
  self->op = op;
  self->stuck_source
      = add_timeout (self, bound_ms + self->grace_ms, on_stuck_timeout);
  spawn (inst->name, op_thread, op);
}

/* ------------------------------------------------------------------ */
/* Reports */

static void
report_free (gpointer data)
{
  Report *r = data;

  g_free (r->request_id);
  g_free (r->error);
  g_free (r);
}

/* Sets the reported state and queues its "state-changed" emission. */
static void
report (OnDemandController *self, OnDemandState state, const gchar *request_id,
    const gchar *error)
{
  Report *r = g_new0 (Report, 1);

  r->state = state;
  r->request_id = g_strdup (request_id);
  r->error = g_strdup (error);
  if (state == ON_DEMAND_STATE_FAILED)
    g_warning ("%s: failed%s%s: %s", self->def->name,
        request_id ? ", request " : "", request_id ? request_id : "",
        error ? error : "unknown reason");
  else
    g_message ("%s: %s%s%s%s%s", self->def->name,
        on_demand_state_to_string (state), request_id ? ", request " : "",
        request_id ? request_id : "", error ? ": " : "", error ? error : "");
  self->state = state;
  g_queue_push_tail (&self->reports, r);
}

/* Emits the queued reports and completes finished shutdowns. Called at
 * the end of every entry point, when the state machine is consistent;
 * handlers may call back in (their reports are emitted by this same loop,
 * in order) or drop the last reference (we hold our own meanwhile). */
static void
flush_reports (OnDemandController *self)
{
  if (self->flushing)
    return;
  self->flushing = TRUE;
  g_object_ref (self);
  for (;;) {
    Report *r = g_queue_pop_head (&self->reports);

    if (r) {
      g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, r->state,
          r->request_id, r->error);
      report_free (r);
      continue;
    }
    if (self->shutdown_done && self->shutdown_tasks->len > 0) {
      g_autoptr (GTask) task
          = g_ptr_array_steal_index (self->shutdown_tasks, 0);

      if (self->shutdown_error)
        g_task_return_new_error (task, GATEWAY_ERROR, GATEWAY_ERROR_TIMEOUT,
            "%s: %s", self->def->name, self->shutdown_error);
      else
        g_task_return_boolean (task, TRUE);
      continue;
    }
    break;
  }
  self->flushing = FALSE;
  g_object_unref (self);
}

/* ------------------------------------------------------------------ */
/* The engine */

static void
set_phase (OnDemandController *self, Phase phase, const gchar *why)
{
  g_debug ("%s: phase %s -> %s (%s)", self->def->name, phase_names[self->phase],
      phase_names[phase], why);
  self->phase = phase;
}

/* Whether the current run is what is wished for. */
static gboolean
wish_matches_run (OnDemandController *self)
{
  return self->wish_run && !self->shutting_down && self->run_params
      && gateway_params_values_equal (self->params, self->run_params);
}

static void
drop_instance (OnDemandController *self)
{
  if (self->inst)
    instance_abandon (g_steal_pointer (&self->inst));
}

/* Stop path, from WAITING, PLAYING or (warm shutdown) IDLE. With @drain,
 * EOS first, bounded by stop-timeout. A warm pipeline goes back to READY
 * unless the run failed or we are shutting down. */
static void
begin_stop (OnDemandController *self, gboolean drain)
{
  Op *op = g_new0 (Op, 1);

  clear_source (&self->start_source);
  op->kind = OP_STOP;
  op->inst = instance_ref (self->inst);
  op->drain = drain;
  op->drain_timeout_ms = self->def->stop_timeout_ms;
  op->target = self->def->warm && !self->run_failed && !self->shutting_down
      ? GST_STATE_READY
      : GST_STATE_NULL;
  set_phase (self, PHASE_STOPPING, drain ? "EOS, then tear down" : "tear down");
  dispatch_op (self, op, drain ? self->def->stop_timeout_ms : 0);
}

/* A run failed: report it (unless nobody wants this run any more), then
 * tear down without EOS. In STARTING the op is still running: its result
 * does the teardown. */
static void
fail_run (OnDemandController *self, const gchar *reason)
{
  g_assert (self->phase == PHASE_STARTING || self->phase == PHASE_WAITING
      || self->phase == PHASE_PLAYING);

  clear_source (&self->start_source);
  if (self->run_failed)
    return;
  self->run_failed = TRUE;
  if (wish_matches_run (self)) {
    self->stats.failures++;
    report (self, ON_DEMAND_STATE_FAILED, self->request_id, reason);
  } else {
    g_message ("%s: %s while stopping or restarting; carrying on",
        self->def->name, reason);
  }
  if (self->phase != PHASE_STARTING)
    begin_stop (self, FALSE);
}

static gboolean
on_start_timeout (gpointer data)
{
  OnDemandController *self = data;
  g_autofree gchar *limit = format_duration (self->def->start_timeout_ms);
  g_autofree gchar *reason = g_strdup_printf ("no buffer within %s", limit);

  clear_source (&self->start_source);
  fail_run (self, reason);
  flush_reports (self);
  return G_SOURCE_REMOVE;
}

/* Start path, from IDLE: parse unless a warm pipeline is kept, then the
 * start op. The reported state is already "starting". */
static void
begin_start (OnDemandController *self)
{
  PipelineDef *def = self->def;
  Instance *inst;
  Op *op;
  gboolean in_ready = FALSE;
  guint i;

  g_assert (self->phase == PHASE_IDLE && self->op == NULL);

  self->run_started_us = g_get_monotonic_time ();
  if (!self->inst) {
    g_autoptr (GError) error = NULL;

    self->inst = instance_new (self, &error);
    if (!self->inst) {
      self->stats.failures++;
      report (self, ON_DEMAND_STATE_FAILED, self->request_id, error->message);
      converge (self);
      return;
    }
  } else {
    GstElement *pipeline = self->inst->pipeline;

    GST_OBJECT_LOCK (pipeline);
    in_ready = GST_STATE (pipeline) == GST_STATE_READY;
    GST_OBJECT_UNLOCK (pipeline);
  }
  inst = self->inst;

  self->run_id++;
  g_clear_pointer (&self->run_params, g_hash_table_unref);
  self->run_params = gateway_params_values_copy (self->params);
  self->run_failed = FALSE;
  self->run_first_buffer_us = 0;
  g_atomic_int_set (&inst->run_id, (gint)self->run_id);
  g_atomic_int_set (&inst->first_buffer_armed, TRUE);

  op = g_new0 (Op, 1);
  op->kind = OP_START;
  op->inst = instance_ref (inst);
  op->values = gateway_params_values_copy (self->run_params);

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
        && !param_value_equal (value, G_IS_VALUE (&t->last) ? &t->last : NULL)
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

  set_phase (self, PHASE_STARTING,
      op->via_null ? "params, via NULL, then PLAYING" : "params, PLAYING");
  self->start_source
      = add_timeout (self, def->start_timeout_ms, on_start_timeout);
  dispatch_op (self, op, def->start_timeout_ms);
}

static void
reached_playing (OnDemandController *self)
{
  clear_source (&self->start_source);
  set_phase (self, PHASE_PLAYING, "first buffer at a sink");
  self->stats.starts++;
  self->stats.last_time_to_first_buffer_ms
      = (self->run_first_buffer_us - self->run_started_us) / 1000.0;
  self->restarts_in_row = 0;
  realtime_backoff_reset (&self->backoff);
  g_info ("%s: first buffer after %.1f ms", self->def->name,
      self->stats.last_time_to_first_buffer_ms);
  report (self, ON_DEMAND_STATE_PLAYING, self->request_id, NULL);
}

static gboolean
on_backoff_timeout (gpointer data)
{
  OnDemandController *self = data;

  clear_source (&self->backoff_source);
  set_phase (self, PHASE_IDLE, "restart");
  self->stats.restarts++;
  set_string (&self->request_id, NULL);
  report (self, ON_DEMAND_STATE_STARTING, NULL, NULL);
  converge (self);
  flush_reports (self);
  return G_SOURCE_REMOVE;
}

/* Idle after a failure while still wished to run: the restart policy. */
static void
decide_restart (OnDemandController *self)
{
  PipelineDef *def = self->def;

  if (def->restart == PIPELINE_RESTART_ON_FAILURE
      && self->restarts_in_row < def->max_restarts) {
    /* Full jitter up to the growing ceiling, but never sooner than
     * restart-backoff-min. */
    guint delay = MAX (realtime_backoff_next (&self->backoff),
        def->restart_backoff_min_ms);

    self->restarts_in_row++;
    g_message ("%s: restarting in %u ms (restart %u of at most %u)", def->name,
        delay, self->restarts_in_row, def->max_restarts);
    set_phase (self, PHASE_BACKOFF, "restart policy");
    self->backoff_source = add_timeout (self, delay, on_backoff_timeout);
    return;
  }
  if (def->restart == PIPELINE_RESTART_ON_FAILURE)
    g_warning ("%s: giving up after %u restarts; staying failed until the "
               "next start",
        def->name, self->restarts_in_row);
  else
    g_message ("%s: restart policy is never; staying failed until the next "
               "start",
        def->name);
  self->wish_run = FALSE;
  clear_source (&self->lease_source);
  self->lease_deadline_us = 0;
}

/* Moves the engine one step towards the wish; called after every event.
 * Does nothing while an op is in flight: its result calls back here. */
static void
converge (OnDemandController *self)
{
  switch (self->phase) {
    case PHASE_IDLE:
      if (!self->wish_run && self->state == ON_DEMAND_STATE_STOPPING) {
        report (self, ON_DEMAND_STATE_STOPPED, self->request_id,
            self->stop_reason);
        set_string (&self->stop_reason, NULL);
      }
      if (self->shutting_down) {
        if (self->inst)
          begin_stop (self, FALSE);
        else
          self->shutdown_done = TRUE;
      } else if (self->wish_run) {
        if (self->state == ON_DEMAND_STATE_FAILED)
          decide_restart (self);
        else
          begin_start (self);
      }
      break;
    case PHASE_WAITING:
    case PHASE_PLAYING:
      if (!wish_matches_run (self))
        begin_stop (self, TRUE);
      break;
    case PHASE_BACKOFF:
    case PHASE_STARTING:
    case PHASE_STOPPING:
      break;
  }
}

static void
signal_drained (Instance *inst)
{
  g_mutex_lock (&inst->lock);
  inst->drained = TRUE;
  g_cond_broadcast (&inst->cond);
  g_mutex_unlock (&inst->lock);
}

static void
on_first_buffer (OnDemandController *self, const GstStructure *s)
{
  gint run = 0;
  gint64 time_us = 0;

  gst_structure_get_int (s, "run", &run);
  gst_structure_get_int64 (s, "time", &time_us);
  if ((guint)run != self->run_id || self->run_failed
      || self->run_first_buffer_us)
    return;
  if (self->phase == PHASE_STARTING) {
    /* The start op has not returned yet; its result decides. */
    self->run_first_buffer_us = time_us;
  } else if (self->phase == PHASE_WAITING) {
    self->run_first_buffer_us = time_us;
    reached_playing (self);
  }
}

static void
handle_message (OnDemandController *self, GstMessage *msg)
{
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_APPLICATION: {
      const GstStructure *s = gst_message_get_structure (msg);

      if (gst_structure_has_name (s, FIRST_BUFFER_MESSAGE))
        on_first_buffer (self, s);
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
      if (self->phase == PHASE_STOPPING) {
        g_message ("%s: %s while stopping; going on to tear down",
            self->def->name, reason);
        signal_drained (self->inst);
      } else if (self->phase == PHASE_STARTING || self->phase == PHASE_WAITING
          || self->phase == PHASE_PLAYING) {
        fail_run (self, reason);
      } else {
        g_message ("%s: %s while idle", self->def->name, reason);
      }
      break;
    }
    case GST_MESSAGE_EOS:
      if (self->phase == PHASE_STOPPING)
        signal_drained (self->inst);
      else if (self->phase == PHASE_STARTING || self->phase == PHASE_WAITING
          || self->phase == PHASE_PLAYING)
        fail_run (self, "ended by itself (EOS)");
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
  OnDemandController *self = inst->owner;

  if (!self || self->inst != inst)
    return G_SOURCE_CONTINUE;
  g_object_ref (self);
  handle_message (self, msg);
  flush_reports (self);
  g_object_unref (self);
  return G_SOURCE_CONTINUE;
}

/* Handles what the pipeline posted while the op ran before the op's
 * result (the bus watch takes one message per dispatch): an element's
 * ERROR behind a failed state change, so the failure carries the
 * element's own message; the first buffer; and, for a warm pipeline
 * back in READY, anything late from the run that ended, so that it is
 * never taken for news of the next run. */
static void
drain_bus (OnDemandController *self, Instance *inst)
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

static void
start_op_done (OnDemandController *self, Op *op)
{
  drain_bus (self, op->inst);
  self->op = NULL;
  clear_source (&self->stuck_source);

  if (!self->run_failed && op->error)
    fail_run (self, op->error);
  if (self->run_failed) {
    begin_stop (self, FALSE);
    return;
  }
  set_phase (self, PHASE_WAITING, "PLAYING requested");
  if (self->run_first_buffer_us && wish_matches_run (self))
    reached_playing (self);
  converge (self);
}

static void
stop_op_done (OnDemandController *self, Op *op)
{
  drain_bus (self, op->inst);
  self->op = NULL;
  clear_source (&self->stuck_source);
  if (op->drain && !op->drained)
    g_warning ("%s: no EOS within %u ms; forced to %s", self->def->name,
        op->drain_timeout_ms, gst_element_state_get_name (op->target));
  if (op->error)
    g_warning ("%s: %s; forced to NULL", self->def->name, op->error);
  if (op->released)
    drop_instance (self);
  set_phase (self, PHASE_IDLE,
      op->released ? "NULL, released" : "READY, kept warm");
  converge (self);
}

static gboolean
on_op_done (gpointer data)
{
  Op *op = data;
  Instance *inst = op->inst;
  OnDemandController *self;

  g_mutex_lock (&inst->lock);
  g_clear_pointer (&inst->done_source, g_source_unref);
  self = inst->owner;
  g_mutex_unlock (&inst->lock);

  if (!self || self->op != op)
    return G_SOURCE_REMOVE;
  g_object_ref (self);
  if (op->kind == OP_START)
    start_op_done (self, op);
  else
    stop_op_done (self, op);
  flush_reports (self);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* An op did not return within its bound: let it go. */
static void
on_stuck (OnDemandController *self)
{
  clear_source (&self->stuck_source);
  g_warning ("%s: a state change did not return within %u ms of its "
             "timeout; abandoning the pipeline to its worker thread (a "
             "device it holds may report busy until it returns)",
      self->def->name, self->grace_ms);
  self->op = NULL;
  clear_source (&self->start_source);
  drop_instance (self);
  set_phase (self, PHASE_IDLE, "stuck");
  self->stats.failures++;
  report (self, ON_DEMAND_STATE_FAILED, self->request_id,
      "stuck in state change");
  if (self->shutting_down)
    set_string (&self->shutdown_error, "stuck in state change");
  converge (self);
  flush_reports (self);
}

/* ------------------------------------------------------------------ */
/* Leases */

static gboolean
on_lease_expired (gpointer data)
{
  OnDemandController *self = data;

  clear_source (&self->lease_source);
  self->lease_deadline_us = 0;
  if (!self->wish_run)
    return G_SOURCE_REMOVE;

  g_message ("%s: lease expired; stopping", self->def->name);
  self->wish_run = FALSE;
  set_string (&self->request_id, NULL);
  set_string (&self->stop_reason, "lease expired");
  if (self->phase == PHASE_BACKOFF || self->phase == PHASE_IDLE) {
    clear_source (&self->backoff_source);
    set_phase (self, PHASE_IDLE, "lease expired");
    report (self, ON_DEMAND_STATE_STOPPED, NULL, self->stop_reason);
    set_string (&self->stop_reason, NULL);
  } else {
    report (self, ON_DEMAND_STATE_STOPPING, NULL, NULL);
    converge (self);
  }
  flush_reports (self);
  return G_SOURCE_REMOVE;
}

static void
set_lease (OnDemandController *self, guint ttl_s)
{
  PipelineDef *def = self->def;

  clear_source (&self->lease_source);
  self->lease_deadline_us = 0;
  if (ttl_s == 0)
    ttl_s = def->default_ttl_s;
  /* The router refuses larger leases; this only keeps a caller that
   * skipped it within the definition. */
  if (def->max_ttl_s > 0 && ttl_s > def->max_ttl_s) {
    g_message ("%s: lease of %u s capped at max-ttl %u s", def->name, ttl_s,
        def->max_ttl_s);
    ttl_s = def->max_ttl_s;
  }
  if (ttl_s == 0)
    return;
  self->lease_deadline_us
      = g_get_monotonic_time () + (gint64)ttl_s * G_TIME_SPAN_SECOND;
  self->lease_source = add_timeout (self, ttl_s * 1000, on_lease_expired);
}

/* ------------------------------------------------------------------ */
/* Public API */

/**
 * on_demand_controller_new:
 * @def: the pipeline definition (a reference is taken)
 *
 * Creates a stopped pipeline driven by the thread-default #GMainContext;
 * call every function of this object from that context's thread. Nothing
 * is parsed yet: the description is parsed at the first start (and, for a
 * warm definition, kept in READY from then on), so problems show as a
 * "failed" report of that start.
 *
 * Returns: (transfer full): a new #OnDemandController
 */
OnDemandController *
on_demand_controller_new (PipelineDef *def)
{
  OnDemandController *self;

  g_return_val_if_fail (def != NULL, NULL);

  self = g_object_new (ON_DEMAND_TYPE_CONTROLLER, NULL);
  self->def = pipeline_def_ref (def);
  realtime_backoff_init (&self->backoff, def->restart_backoff_min_ms,
      def->restart_backoff_max_ms);
  return self;
}

/**
 * on_demand_controller_get_name:
 * @self: an #OnDemandController
 *
 * Returns: the name of the pipeline (its definition's file name)
 */
const gchar *
on_demand_controller_get_name (OnDemandController *self)
{
  g_return_val_if_fail (ON_DEMAND_IS_CONTROLLER (self), NULL);

  return self->def->name;
}

/**
 * on_demand_controller_get_def:
 * @self: an #OnDemandController
 *
 * Returns: (transfer none): the definition this pipeline was built from
 */
PipelineDef *
on_demand_controller_get_def (OnDemandController *self)
{
  g_return_val_if_fail (ON_DEMAND_IS_CONTROLLER (self), NULL);

  return self->def;
}

/**
 * on_demand_controller_get_state:
 * @self: an #OnDemandController
 *
 * Returns: the state last reported (inside a "state-changed" handler this
 *   may already be ahead of the emission being handled)
 */
OnDemandState
on_demand_controller_get_state (OnDemandController *self)
{
  g_return_val_if_fail (ON_DEMAND_IS_CONTROLLER (self), ON_DEMAND_STATE_STOPPED);

  return self->state;
}

/**
 * on_demand_controller_start:
 * @self: an #OnDemandController
 * @params: (nullable) (element-type utf8 GValue): validated params
 *   (gateway_params_validate_request()), copied
 * @ttl_s: lease in seconds, 0 for the definition's default-ttl (capped at
 *   its max-ttl)
 * @request_id: (nullable): the request being served
 *
 * Wishes the pipeline to run with @params and answers at once through
 * "state-changed" with @request_id: "starting" when accepted (also while
 * a stop or a restart is still under way: the start follows it), or
 * "playing"/"starting" again when already running or starting with equal
 * params (no restart). Other params while running restart the pipeline
 * (EOS, teardown, start with the new ones). A start while failed (even
 * with a restart pending) starts at once with a fresh restart count.
 * Every start sets the lease anew from @ttl_s.
 */
void
on_demand_controller_start (OnDemandController *self, GHashTable *params,
    guint ttl_s, const gchar *request_id)
{
  GHashTable *wanted;

  g_return_if_fail (ON_DEMAND_IS_CONTROLLER (self));

  if (self->shutting_down) {
    g_message ("%s: start refused: shutting down", self->def->name);
    report (self, self->state, request_id, "shutting down");
    flush_reports (self);
    return;
  }

  set_lease (self, ttl_s);
  wanted = gateway_params_values_copy (params);
  if (self->wish_run && gateway_params_values_equal (self->params, wanted)) {
    g_hash_table_unref (wanted);
    set_string (&self->request_id, request_id);
    if (self->state == ON_DEMAND_STATE_FAILED) {
      self->restarts_in_row = 0;
      realtime_backoff_reset (&self->backoff);
      if (self->phase == PHASE_BACKOFF) {
        clear_source (&self->backoff_source);
        set_phase (self, PHASE_IDLE, "start request");
      }
      report (self, ON_DEMAND_STATE_STARTING, request_id, NULL);
      converge (self);
    } else {
      /* Already starting or playing with these params. */
      report (self, self->state, request_id, NULL);
    }
    flush_reports (self);
    return;
  }

  g_hash_table_unref (self->params);
  self->params = wanted;
  self->wish_run = TRUE;
  set_string (&self->request_id, request_id);
  set_string (&self->stop_reason, NULL);
  self->restarts_in_row = 0;
  realtime_backoff_reset (&self->backoff);
  if (self->phase == PHASE_BACKOFF) {
    clear_source (&self->backoff_source);
    set_phase (self, PHASE_IDLE, "start request");
  }
  report (self, ON_DEMAND_STATE_STARTING, request_id, NULL);
  converge (self);
  flush_reports (self);
}

/**
 * on_demand_controller_stop:
 * @self: an #OnDemandController
 * @request_id: (nullable): the request being served
 *
 * Wishes the pipeline stopped and answers at once through "state-changed"
 * with @request_id: "stopping" (then "stopped" once the pipeline is in
 * NULL, or READY when warm, and released), or "stopped" when nothing
 * runs. Stopping a failed pipeline clears the failure ("stopped").
 */
void
on_demand_controller_stop (OnDemandController *self, const gchar *request_id)
{
  g_return_if_fail (ON_DEMAND_IS_CONTROLLER (self));

  if (self->shutting_down) {
    report (self, self->state, request_id, NULL);
    flush_reports (self);
    return;
  }

  clear_source (&self->lease_source);
  self->lease_deadline_us = 0;
  if (!self->wish_run) {
    if (self->state == ON_DEMAND_STATE_STOPPED) {
      report (self, ON_DEMAND_STATE_STOPPED, request_id, NULL);
    } else if (self->phase == PHASE_IDLE) {
      /* failed, given up: acknowledge and clear the failure */
      set_string (&self->request_id, request_id);
      report (self, ON_DEMAND_STATE_STOPPED, request_id, NULL);
    } else {
      /* a stop, or a failure's teardown, is under way */
      set_string (&self->request_id, request_id);
      set_string (&self->stop_reason, NULL);
      report (self, ON_DEMAND_STATE_STOPPING, request_id, NULL);
    }
    flush_reports (self);
    return;
  }

  self->wish_run = FALSE;
  set_string (&self->request_id, request_id);
  set_string (&self->stop_reason, NULL);
  if (self->phase == PHASE_BACKOFF || self->phase == PHASE_IDLE) {
    clear_source (&self->backoff_source);
    set_phase (self, PHASE_IDLE, "stop request");
    report (self, ON_DEMAND_STATE_STOPPED, request_id, NULL);
  } else {
    report (self, ON_DEMAND_STATE_STOPPING, request_id, NULL);
    converge (self);
  }
  flush_reports (self);
}

/**
 * on_demand_controller_renew:
 * @self: an #OnDemandController
 * @ttl_s: new lease in seconds from now, 0 for the definition's
 *   default-ttl (capped at its max-ttl; 0 then means no lease)
 * @error: return location for a %GATEWAY_ERROR_INVALID_REQUEST error
 *
 * Extends the lease of a starting or playing pipeline.
 *
 * Returns: %TRUE when renewed; %FALSE when the pipeline is not starting
 *   or playing
 */
gboolean
on_demand_controller_renew (OnDemandController *self, guint ttl_s, GError **error)
{
  g_return_val_if_fail (ON_DEMAND_IS_CONTROLLER (self), FALSE);

  if (self->shutting_down || !self->wish_run
      || (self->state != ON_DEMAND_STATE_STARTING
          && self->state != ON_DEMAND_STATE_PLAYING)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "pipeline %s is %s: nothing to renew", self->def->name,
        on_demand_state_to_string (self->state));
    return FALSE;
  }
  set_lease (self, ttl_s);
  return TRUE;
}

/**
 * on_demand_controller_dup_params_json:
 * @self: an #OnDemandController
 *
 * Returns: (transfer full): the params of the latest start request (those
 *   of the current run, or of the last one), as a JSON object; params
 *   left out (defaults, description values) are not listed
 */
JsonNode *
on_demand_controller_dup_params_json (OnDemandController *self)
{
  g_return_val_if_fail (ON_DEMAND_IS_CONTROLLER (self), NULL);

  return gateway_params_values_to_json (self->params);
}

/**
 * on_demand_controller_get_lease_remaining:
 * @self: an #OnDemandController
 *
 * Returns: whole seconds of lease left (rounded up), 0 without a lease
 */
guint
on_demand_controller_get_lease_remaining (OnDemandController *self)
{
  gint64 left;

  g_return_val_if_fail (ON_DEMAND_IS_CONTROLLER (self), 0);

  if (!self->lease_source)
    return 0;
  left = self->lease_deadline_us - g_get_monotonic_time ();
  if (left <= 0)
    return 0;
  return (guint)((left + G_TIME_SPAN_SECOND - 1) / G_TIME_SPAN_SECOND);
}

/**
 * on_demand_controller_get_stats:
 * @self: an #OnDemandController
 * @stats: (out caller-allocates): the counters
 *
 * Fills @stats: runs that reached playing, failures reported (bus errors,
 * start timeouts, unexpected EOS, stuck state changes, parse errors),
 * restarts made by the restart policy, and the time from the start of the
 * last run that reached playing to its first buffer at a sink.
 */
void
on_demand_controller_get_stats (OnDemandController *self, OnDemandStats *stats)
{
  g_return_if_fail (ON_DEMAND_IS_CONTROLLER (self));
  g_return_if_fail (stats != NULL);

  *stats = self->stats;
}

/**
 * on_demand_controller_shutdown:
 * @self: an #OnDemandController
 * @callback: called on the object's main context when done
 * @user_data: data for @callback
 *
 * Stops the pipeline the way a stop request does (EOS bounded by
 * stop-timeout, so files are finalised, then NULL), drops a warm pipeline
 * too, cancels the lease and any pending restart, then calls @callback.
 * Reports "stopping" and "stopped" (without request id) when it was
 * running. From then on requests are answered with the current state and
 * change nothing. May be called more than once; each callback is called.
 */
void
on_demand_controller_shutdown (OnDemandController *self,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (ON_DEMAND_IS_CONTROLLER (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, on_demand_controller_shutdown);
  g_ptr_array_add (self->shutdown_tasks, task);
  if (!self->shutting_down) {
    g_message ("%s: shutting down", self->def->name);
    self->shutting_down = TRUE;
    clear_source (&self->lease_source);
    self->lease_deadline_us = 0;
    if (self->phase == PHASE_BACKOFF) {
      clear_source (&self->backoff_source);
      set_phase (self, PHASE_IDLE, "shutdown");
    }
    if (self->wish_run) {
      self->wish_run = FALSE;
      set_string (&self->request_id, NULL);
      if (self->state == ON_DEMAND_STATE_STARTING
          || self->state == ON_DEMAND_STATE_PLAYING)
        report (self, ON_DEMAND_STATE_STOPPING, NULL, NULL);
    }
    converge (self);
  }
  flush_reports (self);
}

/**
 * on_demand_controller_shutdown_finish:
 * @self: an #OnDemandController
 * @result: the result passed to the callback
 * @error: return location for a %GATEWAY_ERROR_TIMEOUT error
 *
 * Returns: %TRUE when everything reached NULL; %FALSE when a state change
 *   was stuck and had to be abandoned to its worker thread
 */
gboolean
on_demand_controller_shutdown_finish (OnDemandController *self,
    GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */
/* GObject */

static void
on_demand_controller_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  OnDemandController *self = ON_DEMAND_CONTROLLER (object);

  switch (prop_id) {
    case PROP_PIPELINE:
      if (self->inst) {
        g_mutex_lock (&self->inst->lock);
        g_value_set_object (value, self->inst->pipeline);
        g_mutex_unlock (&self->inst->lock);
      }
      break;
    case PROP_STATE_CHANGE_GRACE:
      g_value_set_uint (value, self->grace_ms);
      break;
    case PROP_RESTART_PENDING:
      g_value_set_boolean (value, self->phase == PHASE_BACKOFF);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
on_demand_controller_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec)
{
  OnDemandController *self = ON_DEMAND_CONTROLLER (object);

  switch (prop_id) {
    case PROP_STATE_CHANGE_GRACE:
      self->grace_ms = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
on_demand_controller_init (OnDemandController *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->grace_ms = DEFAULT_STATE_CHANGE_GRACE_MS;
  self->params = gateway_params_values_copy (NULL);
  self->state = ON_DEMAND_STATE_STOPPED;
  self->phase = PHASE_IDLE;
  g_queue_init (&self->reports);
  self->shutdown_tasks = g_ptr_array_new_with_free_func (g_object_unref);
}

/* Never blocks: see the top of this file. */
static void
on_demand_controller_dispose (GObject *object)
{
  OnDemandController *self = ON_DEMAND_CONTROLLER (object);

  clear_source (&self->start_source);
  clear_source (&self->stuck_source);
  clear_source (&self->lease_source);
  clear_source (&self->backoff_source);
  self->op = NULL;
  drop_instance (self);
  g_queue_clear_full (&self->reports, report_free);

  G_OBJECT_CLASS (on_demand_controller_parent_class)->dispose (object);
}

static void
on_demand_controller_finalize (GObject *object)
{
  OnDemandController *self = ON_DEMAND_CONTROLLER (object);

  g_clear_pointer (&self->params, g_hash_table_unref);
  g_clear_pointer (&self->run_params, g_hash_table_unref);
  g_free (self->request_id);
  g_free (self->stop_reason);
  g_free (self->shutdown_error);
  g_ptr_array_unref (self->shutdown_tasks);
  realtime_backoff_clear (&self->backoff);
  g_clear_pointer (&self->def, pipeline_def_unref);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (on_demand_controller_parent_class)->finalize (object);
}

static void
on_demand_controller_class_init (OnDemandControllerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = on_demand_controller_get_property;
  object_class->set_property = on_demand_controller_set_property;
  object_class->dispose = on_demand_controller_dispose;
  object_class->finalize = on_demand_controller_finalize;

  /**
   * OnDemandController:pipeline:
   *
   * The parsed #GstPipeline of the current run (or the warm one kept in
   * READY), %NULL when none. For diagnostics and tests: reading its
   * properties is fine, changing its state is not.
   */
  props[PROP_PIPELINE] = g_param_spec_object ("pipeline", "Pipeline",
      "The current GstPipeline, if any", GST_TYPE_ELEMENT,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * OnDemandController:state-change-grace:
   *
   * Milliseconds a state change may take beyond its own bound (the
   * start-timeout for a start, the stop-timeout for a stop's EOS wait,
   * nothing for a teardown) before it is declared stuck: the pipeline is
   * then abandoned to its worker thread and "failed" ("stuck in state
   * change") is reported.
   */
  props[PROP_STATE_CHANGE_GRACE]
      = g_param_spec_uint ("state-change-grace", "State change grace",
          "Extra milliseconds before a state change is "
          "declared stuck",
          0, G_MAXINT, DEFAULT_STATE_CHANGE_GRACE_MS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * OnDemandController:restart-pending:
   *
   * %TRUE while the pipeline is failed and the restart policy has a
   * restart scheduled: "failed" is then not final, and replacing the
   * object would cancel the restart.
   */
  props[PROP_RESTART_PENDING] = g_param_spec_boolean ("restart-pending",
      "Restart pending", "A restart after a failure is scheduled", FALSE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, props);

  /**
   * OnDemandController::state-changed:
   * @self: the pipeline
   * @state: the reported #OnDemandState
   * @request_id: (nullable): the request being served; %NULL for what
   *   the object does by itself (restarts, lease expiry, shutdown)
   * @error: (nullable): the reason, for "failed", and for "stopped" when
   *   nobody asked ("lease expired"); %NULL otherwise
   *
   * Emitted on every transition and on every answer to a request, from
   * the object's main context, never while the object is half-way through
   * a transition (handlers may call back in or drop their reference).
   */
  signals[SIGNAL_STATE_CHANGED] = g_signal_new ("state-changed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 3, ON_DEMAND_TYPE_STATE, G_TYPE_STRING, G_TYPE_STRING);
}

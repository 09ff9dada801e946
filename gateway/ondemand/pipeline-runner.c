/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * pipeline-runner.c: the daemon's OnDemandRunner, a GstPipeline parsed
 * from a PipelineDef's description.
 *
 * Threads. The runner's methods, its bus watch and its notifications run
 * on the GMainContext that was the thread-default one at construction
 * (the controller's). The "ops" do not: a start op (params, PLAYING,
 * key-unit request), a stop op (EOS, wait for it, NULL, unref) or the
 * prepare op of a warm runner runs on a worker thread (GLib's shared
 * pool, see spawn()), and the
 * controller never asks for a second op while one is in flight (a start
 * asked for during the prepare op waits for it here), so state changes of
 * one pipeline never overlap and none ever runs on the main loop or on a
 * streaming thread. The op's result comes back to the main context as an
 * idle source owned by the Instance. abandon() lets an op go: its thread
 * keeps its own reference to the pipeline, sets it to NULL and drops it
 * whenever it returns, and the next start parses a fresh pipeline (a
 * device the stuck one still holds may then report busy). The EOS of a
 * stop is sent to the sources from GStreamer's thread pool, never to the
 * pipeline and never while a state change runs (see op_drain()).
 *
 * Warm (def->warm). The description is parsed when the runner is made,
 * at load and after a reload, not at the first start. When the pipeline
 * can be split at its sources (every top-level source a live GstBaseSrc
 * whose src pads are always pads linked at parse time, no sink with
 * async=true), the sources are locked in NULL and everything downstream
 * goes to PLAYING and stays there: converters keep their setup, an
 * encoder its open encoder (x264enc closes it in READY), udpsink its
 * socket. The prepare op then primes it with one run whose buffers are
 * dropped at the sinks (nothing leaves), so that caps, allocation and the
 * encoder are settled before the first start; that run comes from
 * stand-ins of the sources (a live videotestsrc or audiotestsrc with the
 * caps the source may send there), never from the sources themselves, so
 * a camera is not opened at load or at reload. A start (or stop) asked
 * for while priming ends the priming at once. A start sets params, asks
 * for a key unit (kept by the warm encoder for its next frame), then
 * brings the sources to PLAYING with the pipeline's clock and base time:
 * a live source timestamps in the running time, which went on meanwhile,
 * so timestamps and RTP times continue. A stop sends EOS into the sources
 * and drops it at their pads (the warm part never ends; a muxer would
 * never finalise a file), then sets them to NULL, which closes a device
 * (v4l2src holds it from READY). A pipeline that cannot be split stays
 * parsed, in NULL between runs.
 *
 * Streaming threads only touch atomics, a mutex-guarded flag or two, and
 * post application messages: the first-buffer probe on every sink pad
 * arms an IDLE probe on the pad pushing that buffer, which fires when the
 * push returns, after the sink rendered (sent) it, and posts
 * "ondemand-first-buffer" (with the run it belongs to) on the pipeline's
 * bus, so "playing" never comes before the first packet left and reaches
 * the main context in order with the errors and EOS of the same run,
 * through the one bus watch. A split source's EOS is posted as
 * "ondemand-source-eos".
 *
 * Dispose never blocks: a running op finishes on its own thread and
 * cleans up, and a pipeline left in PLAYING (warm) is set to NULL on a
 * short-lived thread.
 *
 * Choices the header leaves open:
 * - a cold description is parsed at the first start; a parse error (cold
 *   or warm), or a param that cannot be bound or applied, is the
 *   "start-done" error of that run;
 * - a split warm pipeline sets params on the PLAYING warm part, except
 *   that it drops to NULL first when a param changes whose property does
 *   not take effect while PLAYING (GST_PARAM_MUTABLE_PLAYING, or udpsink
 *   host/port and videorate rates, known to); params on the sources are
 *   set while they are in NULL;
 * - an ERROR while stopping ends the drain (the EOS will not come); an
 *   EOS nobody asked for is a "run-failed", "ended by itself (EOS)".
 */
#include "pipeline-runner.h"
#include "gateway-error.h"
#include "owned-source.h"
#include "params.h"
#include "webrtc-pipeline.h"

#include <gst/base/gstbasesink.h>
#include <gst/base/gstbasesrc.h>
#include <gst/video/video.h>

/* The library is built with the realtime client's log domain; on-demand
 * pipelines belong to the gateway component. */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "gateway"

#define FIRST_BUFFER_MESSAGE "ondemand-first-buffer"
#define SOURCE_EOS_MESSAGE "ondemand-source-eos"
/* Buffers a warm pipeline's priming run lets reach its sinks (dropped
 * there), about a second of video: after a few frames only, x264 still
 * spends several times its usual time on the next key frame (measured:
 * 20-40 ms against 3-5 ms at 720p), which would be the first start's
 * cost. A slow source stops priming at PRIME_ENOUGH_MS once a buffer
 * came. */
#define PRIME_BUFFERS 30
#define PRIME_ENOUGH_MS 1500

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

  /* Warm split (see "Warm" at the top): the sources, locked in NULL
   * between runs, while everything downstream of them stays PLAYING. */
  gboolean split;
  GPtrArray *sources; /* GstElement*, locked state */
  GPtrArray *source_pads; /* GstPad*, their src pads, each with a probe */
  GArray *source_probe_ids; /* gulong, parallel to source_pads */
  gint source_eos; /* atomic: EOS seen at the boundary in this stop */
  gint priming; /* atomic: buffers at the sinks are dropped */
  guint primed; /* lock: buffers that reached a sink while priming */
  gboolean prime_failed; /* lock: an ERROR came while priming */
  gboolean prime_cut; /* lock: a start (or stop) came: priming ends now */
} Instance;

typedef enum
{
  OP_START,
  OP_STOP,
  OP_PREPARE, /* at construction of a warm runner: no notification */
} OpKind;

typedef struct
{
  OpKind kind;
  Instance *inst; /* owned; NULL for an op with nothing to act on */
  /* OP_START */
  guint run;
  gboolean via_null; /* a warm pipeline drops to NULL to take a param */
  gboolean bring_up; /* split: the warm part goes to PLAYING first */
  GHashTable *values; /* the run's params (name -> GValue*) */
  /* OP_STOP */
  gboolean drain;
  guint drain_timeout_ms;
  gboolean keep; /* warm: the instance is kept (split: PLAYING) */
  /* OP_PREPARE */
  guint prime_timeout_ms;
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
  /* A start or stop asked for while the OP_PREPARE ran: done after it. */
  gboolean pending_start;
  GHashTable *pending_values;
  gboolean pending_stop;
  gboolean pending_drain;
  guint pending_drain_timeout_ms;
  gboolean pending_keep_warm;
  gboolean primed; /* a warm preparation primed the pipeline */
};

enum
{
  PROP_0,
  PROP_PIPELINE,
  PROP_PRIMED,
  PROP_PREPARING,
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
  for (i = 0; i < inst->source_pads->len; i++)
    gst_pad_remove_probe (g_ptr_array_index (inst->source_pads, i),
        g_array_index (inst->source_probe_ids, gulong, i));
  g_ptr_array_set_size (inst->source_pads, 0);
  g_array_set_size (inst->source_probe_ids, 0);
  g_ptr_array_set_size (inst->sources, 0);
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
  g_ptr_array_unref (inst->sources);
  g_ptr_array_unref (inst->source_pads);
  g_array_unref (inst->source_probe_ids);
  pipeline_def_unref (inst->def);
  g_main_context_unref (inst->context);
  g_free (inst->name);
  g_mutex_clear (&inst->lock);
  g_cond_clear (&inst->cond);
  g_free (inst);
}

typedef struct
{
  GstElement *pipeline; /* not owned: alive while its pads push */
  gint run;
} SentProbe;

static void
post_first_buffer (GstElement *pipeline, gint run)
{
  GstStructure *s = gst_structure_new (FIRST_BUFFER_MESSAGE, "run", G_TYPE_INT,
      run, "time", G_TYPE_INT64, g_get_monotonic_time (), NULL);

  gst_element_post_message (pipeline,
      gst_message_new_application (GST_OBJECT (pipeline), s));
}

/* Streaming thread: the push of the run's first buffer into a sink
 * returned, so the sink rendered it (a network sink has sent it). */
static GstPadProbeReturn
first_buffer_sent_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  SentProbe *sent = user_data;

  post_first_buffer (sent->pipeline, sent->run);
  return GST_PAD_PROBE_REMOVE;
}

/* Streaming thread: the first buffer of a run reaching any sink. "playing"
 * must not come before it left, so the news is posted when the push that
 * carries it returns: an IDLE probe on the pad that pushes it, which is
 * busy now (its `using` count holds until the sink's chain returns), so
 * the probe fires then, on this thread. While priming, buffers are
 * dropped here: nothing leaves. */
static GstPadProbeReturn
first_buffer_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Instance *inst = user_data;

  if (g_atomic_int_get (&inst->priming)) {
    g_mutex_lock (&inst->lock);
    inst->primed++;
    g_cond_broadcast (&inst->cond);
    g_mutex_unlock (&inst->lock);
    return GST_PAD_PROBE_DROP;
  }
  if (g_atomic_int_compare_and_exchange (&inst->first_buffer_armed, TRUE,
          FALSE)) {
    /* inst->pipeline is stable here: it is only released in NULL, when
     * no streaming thread runs. */
    gint run = g_atomic_int_get (&inst->run_id);
    GstPad *peer = gst_pad_get_peer (pad);

    if (peer) {
      SentProbe *sent = g_new0 (SentProbe, 1);

      sent->pipeline = inst->pipeline;
      sent->run = run;
      gst_pad_add_probe (peer, GST_PAD_PROBE_TYPE_IDLE, first_buffer_sent_probe,
          sent, g_free);
      gst_object_unref (peer);
    } else {
      post_first_buffer (inst->pipeline, run);
    }
  }
  return GST_PAD_PROBE_OK;
}

/* Streaming thread: a split source's EOS stops at the boundary, so the
 * warm part never ends. Asked for (a stop's drain), it is counted; not
 * asked for, the main thread hears of it and fails the run. */
static GstPadProbeReturn
source_eos_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  Instance *inst = user_data;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;
  if ((guint)g_atomic_int_add (&inst->source_eos, 1) + 1
      >= inst->sources->len) {
    g_mutex_lock (&inst->lock);
    inst->drained = TRUE;
    g_cond_broadcast (&inst->cond);
    g_mutex_unlock (&inst->lock);
  }
  gst_element_post_message (inst->pipeline,
      gst_message_new_application (GST_OBJECT (inst->pipeline),
          gst_structure_new (SOURCE_EOS_MESSAGE, "run", G_TYPE_INT,
              g_atomic_int_get (&inst->run_id), NULL)));
  return GST_PAD_PROBE_DROP;
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

static void
add_element (const GValue *item, gpointer user_data)
{
  g_ptr_array_add (user_data, g_value_dup_object (item));
}

/* The direct children of @bin that @it iterates (sources or sinks). */
static GPtrArray *
collect_elements (GstIterator *it)
{
  GPtrArray *elements = g_ptr_array_new_with_free_func (gst_object_unref);

  while (
      gst_iterator_foreach (it, add_element, elements) == GST_ITERATOR_RESYNC) {
    g_ptr_array_set_size (elements, 0);
    gst_iterator_resync (it);
  }
  gst_iterator_free (it);
  return elements;
}

/* Whether @source can come and go under a PLAYING pipeline: a live
 * GstBaseSrc (it timestamps in the pipeline's running time, and a device
 * it opens is opened in its own state change) whose src pads are all
 * "always" pads, linked now (nothing to relink when it starts again). */
static gboolean
source_can_split (GstElement *source, GPtrArray *pads, const gchar **why)
{
  GstIterator *it;
  g_autoptr (GPtrArray) found = g_ptr_array_new ();
  GValue item = G_VALUE_INIT;
  guint i;

  if (!GST_IS_BASE_SRC (source)
      || !gst_base_src_is_live (GST_BASE_SRC (source))) {
    *why = "a source is not a live GstBaseSrc";
    return FALSE;
  }
  it = gst_element_iterate_src_pads (source);
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    GstPad *pad = g_value_get_object (&item);
    GstPadTemplate *templ = gst_pad_get_pad_template (pad);
    gboolean ok = gst_pad_is_linked (pad) && templ
        && GST_PAD_TEMPLATE_PRESENCE (templ) == GST_PAD_ALWAYS;

    gst_clear_object (&templ);
    if (ok)
      g_ptr_array_add (found, gst_object_ref (pad));
    else
      *why = "a source pad is not an always pad linked at parse time";
    g_value_reset (&item);
    if (!ok)
      break;
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  if (*why || found->len == 0) {
    if (!*why)
      *why = "a source has no src pad";
    for (i = 0; i < found->len; i++)
      gst_object_unref (g_ptr_array_index (found, i));
    return FALSE;
  }
  for (i = 0; i < found->len; i++)
    g_ptr_array_add (pads, g_ptr_array_index (found, i));
  return TRUE;
}

/* Main thread, at parse time of a warm definition: can the sources come
 * and go while the rest stays PLAYING? Every top-level source must
 * (source_can_split), and no sink may wait for preroll (async=true would
 * hold a PLAYING pipeline without data in PAUSED). */
static gboolean
find_split (Instance *inst, const gchar **why)
{
  g_autoptr (GPtrArray) sources
      = collect_elements (gst_bin_iterate_sources (GST_BIN (inst->pipeline)));
  g_autoptr (GPtrArray) sinks
      = collect_elements (gst_bin_iterate_sinks (GST_BIN (inst->pipeline)));
  g_autoptr (GPtrArray) pads
      = g_ptr_array_new_with_free_func (gst_object_unref);
  guint i;

  *why = NULL;
  if (sources->len == 0) {
    *why = "no source element";
    return FALSE;
  }
  for (i = 0; i < sinks->len; i++) {
    GObject *sink = g_ptr_array_index (sinks, i);
    gboolean async = FALSE;

    if (g_object_class_find_property (G_OBJECT_GET_CLASS (sink), "async"))
      g_object_get (sink, "async", &async, NULL);
    if (async) {
      *why = "a sink has async=true";
      return FALSE;
    }
  }
  for (i = 0; i < sources->len; i++)
    if (!source_can_split (g_ptr_array_index (sources, i), pads, why))
      return FALSE;

  for (i = 0; i < sources->len; i++) {
    GstElement *source = g_ptr_array_index (sources, i);

    gst_element_set_locked_state (source, TRUE);
    g_ptr_array_add (inst->sources, gst_object_ref (source));
  }
  for (i = 0; i < pads->len; i++) {
    GstPad *pad = g_ptr_array_index (pads, i);
    gulong id = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
        source_eos_probe, inst, NULL);

    g_ptr_array_add (inst->source_pads, gst_object_ref (pad));
    g_array_append_val (inst->source_probe_ids, id);
  }
  return TRUE;
}

static gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer user_data);

/* Any thread (the poster's): only what handle_message() reads reaches the
 * bus, and the pipeline's own state changes (a diagnostic for tests). A
 * start posts a dozen others (the elements' state changes, stream status,
 * stream start, latency), each of which woke the main loop, and on a busy
 * machine took the CPU from the threads starting the stream. */
static GstBusSyncReply
bus_filter (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_APPLICATION:
    case GST_MESSAGE_ERROR:
    case GST_MESSAGE_EOS:
    case GST_MESSAGE_WARNING:
      return GST_BUS_PASS;
    case GST_MESSAGE_STATE_CHANGED:
      if (GST_IS_PIPELINE (GST_MESSAGE_SRC (msg)))
        return GST_BUS_PASS;
      break;
    default:
      break;
  }
  /* A dropped message is the handler's to free. */
  gst_message_unref (msg);
  return GST_BUS_DROP;
}

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
  inst->sources = g_ptr_array_new_with_free_func (gst_object_unref);
  inst->source_pads = g_ptr_array_new_with_free_func (gst_object_unref);
  inst->source_probe_ids = g_array_new (FALSE, FALSE, sizeof (gulong));

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

  if (def->warm && !def->webrtc) {
    const gchar *why = NULL;

    inst->split = find_split (inst, &why);
    if (inst->split)
      g_debug ("%s: warm: %u source(s) come and go, the rest stays PLAYING",
          def->name, inst->sources->len);
    else
      g_message ("%s: warm: kept parsed, in NULL between runs (%s)", def->name,
          why);
  }

  bus = gst_element_get_bus (inst->pipeline);
  gst_bus_set_sync_handler (bus, bus_filter, NULL, NULL);
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

/* Op thread: the split sources to NULL (a device they opened is closed
 * when this returns); the warm part is left as it is. */
static void
stop_sources (Instance *inst)
{
  guint i;

  for (i = 0; i < inst->sources->len; i++)
    gst_element_set_state (g_ptr_array_index (inst->sources, i),
        GST_STATE_NULL);
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
    /* Locked sources are not taken down by their pipeline. */
    stop_sources (inst);
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

typedef struct
{
  GThreadFunc func;
  gpointer data;
} Job;

static void
run_job (gpointer data, gpointer unused)
{
  Job *job = data;

  job->func (job->data);
  g_free (job);
}

/* Ops and teardowns run on GLib's shared threads (a pool without a bound,
 * so a stuck op never holds up another): a start reuses a waiting thread
 * instead of creating one (measured: 0.2-0.4 ms of a warm start on a busy
 * machine). */
static void
spawn (const gchar *name, GThreadFunc func, gpointer data)
{
  static GThreadPool *pool;
  g_autoptr (GError) error = NULL;
  Job *job = g_new0 (Job, 1);

  if (g_once_init_enter (&pool))
    g_once_init_leave (&pool,
        g_thread_pool_new (run_job, NULL, -1, FALSE, NULL));
  job->func = func;
  job->data = data;
  /* Only under resource exhaustion; the job stays queued and runs on the
   * next thread the pool gets. */
  if (!g_thread_pool_push (pool, job, &error))
    g_warning ("%s: cannot start a worker thread (%s); the state change "
               "waits for one",
        name, error->message);
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

/* Op thread, the warm part PLAYING: the split sources join it with its
 * clock and base time (a live source then timestamps in the pipeline's
 * running time, continuing the earlier runs'), then the pipeline is told
 * to compute its latency again. */
static gboolean
start_sources (Op *op)
{
  Instance *inst = op->inst;
  GstElement *pipeline = inst->pipeline;
  GstClock *clock = gst_element_get_clock (pipeline);
  GstClockTime base = gst_element_get_base_time (pipeline);
  guint i;

  for (i = 0; i < inst->sources->len; i++) {
    GstElement *source = g_ptr_array_index (inst->sources, i);

    if (clock)
      gst_element_set_clock (source, clock);
    gst_element_set_base_time (source, base);
    gst_element_set_start_time (source, GST_CLOCK_TIME_NONE);
    if (gst_element_set_state (source, GST_STATE_PLAYING)
        == GST_STATE_CHANGE_FAILURE) {
      op->error = g_strdup_printf ("%s: state change to PLAYING failed",
          GST_ELEMENT_NAME (source));
      gst_clear_object (&clock);
      stop_sources (inst);
      return FALSE;
    }
  }
  gst_clear_object (&clock);
  gst_element_post_message (pipeline,
      gst_message_new_latency (GST_OBJECT (pipeline)));
  return TRUE;
}

/* So that an encoder's first output, the first thing a viewer can
 * decode, is a key unit (harmless without an encoder). */
static void
request_key_unit (Instance *inst)
{
  guint i;

  for (i = 0; i < inst->sink_pads->len; i++)
    gst_pad_push_event (g_ptr_array_index (inst->sink_pads, i),
        gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE, TRUE,
            0));
}

/* Op thread, split: the warm part to PLAYING (sources stay NULL). */
static gboolean
bring_up (Op *op)
{
  if (gst_element_set_state (op->inst->pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE) {
    op->error = g_strdup ("state change to PLAYING failed");
    return FALSE;
  }
  return TRUE;
}

/* A stand-in for a split source while priming: a live test source of the
 * media the source's pad may send downstream (its template caps as the
 * element it feeds accepts them), through a capsfilter of those caps, so
 * that the warm part negotiates what a run will bring it. */
typedef struct
{
  GstElement *bin; /* owned; in the pipeline while priming */
  GstPad *source_pad; /* owned: the real source's pad, unlinked meanwhile */
  GstPad *peer; /* owned: what it feeds */
} StandIn;

static void
stand_in_free (gpointer data)
{
  StandIn *in = data;

  gst_clear_object (&in->bin);
  gst_clear_object (&in->source_pad);
  gst_clear_object (&in->peer);
  g_free (in);
}

/* Op thread: a bin "videotestsrc|audiotestsrc is-live=true ! capsfilter"
 * for what @source_pad may send into @peer, or NULL when that is neither
 * raw video nor raw audio (such a source is not primed). */
static GstElement *
stand_in_new (GstPad *source_pad, GstPad *peer)
{
  g_autoptr (GstCaps) templ = gst_pad_get_pad_template_caps (source_pad);
  g_autoptr (GstCaps) allowed = gst_pad_query_caps (peer, templ);
  g_autoptr (GstPad) src = NULL;
  const gchar *factory;
  GstElement *bin, *test, *filter;

  if (gst_caps_is_empty (allowed) || gst_caps_is_any (allowed))
    return NULL;
  if (gst_structure_has_name (gst_caps_get_structure (allowed, 0),
          "video/x-raw"))
    factory = "videotestsrc";
  else if (gst_structure_has_name (gst_caps_get_structure (allowed, 0),
               "audio/x-raw"))
    factory = "audiotestsrc";
  else
    return NULL;
  test = gst_element_factory_make (factory, NULL);
  filter = gst_element_factory_make ("capsfilter", NULL);
  if (!test || !filter) {
    gst_clear_object (&test);
    gst_clear_object (&filter);
    return NULL;
  }
  g_object_set (test, "is-live", TRUE, NULL);
  g_object_set (filter, "caps", allowed, NULL);
  bin = gst_bin_new (NULL);
  gst_bin_add_many (GST_BIN (bin), test, filter, NULL);
  if (!gst_element_link (test, filter)) {
    gst_object_unref (gst_object_ref_sink (bin));
    return NULL;
  }
  src = gst_element_get_static_pad (filter, "src");
  gst_element_add_pad (bin, gst_ghost_pad_new ("src", src));
  return gst_object_ref_sink (bin);
}

/* Op thread, the warm part PLAYING: each split source's place taken by a
 * stand-in, started on the pipeline's clock. The real sources stay in
 * NULL: a camera is never opened before a start. */
static GPtrArray *
stand_ins_start (Instance *inst)
{
  GPtrArray *ins = g_ptr_array_new_with_free_func (stand_in_free);
  GstClock *clock = gst_element_get_clock (inst->pipeline);
  GstClockTime base = gst_element_get_base_time (inst->pipeline);
  guint i;

  for (i = 0; i < inst->source_pads->len; i++) {
    GstPad *pad = g_ptr_array_index (inst->source_pads, i);
    g_autoptr (GstPad) peer = gst_pad_get_peer (pad);
    g_autoptr (GstPad) ghost = NULL;
    StandIn *in;
    GstElement *bin = peer ? stand_in_new (pad, peer) : NULL;

    if (!bin) {
      g_message ("%s: warm: nothing to prime %s:%s with", inst->name,
          GST_DEBUG_PAD_NAME (pad));
      continue;
    }
    in = g_new0 (StandIn, 1);
    in->bin = bin;
    in->source_pad = gst_object_ref (pad);
    in->peer = g_steal_pointer (&peer);
    gst_pad_unlink (pad, in->peer);
    gst_element_set_locked_state (bin, TRUE);
    /* Not floating: the pipeline takes a reference of its own. */
    gst_bin_add (GST_BIN (inst->pipeline), bin);
    ghost = gst_element_get_static_pad (bin, "src");
    if (gst_pad_link (ghost, in->peer) != GST_PAD_LINK_OK) {
      g_message ("%s: warm: cannot link a stand-in for %s:%s", inst->name,
          GST_DEBUG_PAD_NAME (pad));
      gst_bin_remove (GST_BIN (inst->pipeline), bin);
      gst_pad_link_full (pad, in->peer, GST_PAD_LINK_CHECK_NOTHING);
      stand_in_free (in);
      continue;
    }
    g_ptr_array_add (ins, in);
    if (clock)
      gst_element_set_clock (bin, clock);
    gst_element_set_base_time (bin, base);
    gst_element_set_start_time (bin, GST_CLOCK_TIME_NONE);
    gst_element_set_state (bin, GST_STATE_PLAYING);
  }
  gst_clear_object (&clock);
  return ins;
}

/* Op thread: the stand-ins go, the real sources are linked back. */
static void
stand_ins_stop (Instance *inst, GPtrArray *ins)
{
  guint i;

  for (i = 0; i < ins->len; i++) {
    StandIn *in = g_ptr_array_index (ins, i);
    g_autoptr (GstPad) ghost = gst_element_get_static_pad (in->bin, "src");

    gst_element_set_state (in->bin, GST_STATE_NULL);
    gst_pad_unlink (ghost, in->peer);
    gst_bin_remove (GST_BIN (inst->pipeline), in->bin);
    gst_pad_link_full (in->source_pad, in->peer, GST_PAD_LINK_CHECK_NOTHING);
  }
}

/* Op thread, split, at construction: the warm part to PLAYING, then one
 * run from stand-ins of the sources (stand_ins_start) whose buffers are
 * dropped at the sinks (nothing leaves), so that negotiation, allocation
 * and encoders are done before the first start. A start (or stop) asked
 * for meanwhile ends it at once. */
static void
op_run_prepare (Op *op)
{
  Instance *inst = op->inst;
  gint64 now = g_get_monotonic_time ();
  gint64 deadline
      = now + (gint64)op->prime_timeout_ms * G_TIME_SPAN_MILLISECOND;
  gint64 enough = now + (gint64)PRIME_ENOUGH_MS * G_TIME_SPAN_MILLISECOND;
  g_autoptr (GPtrArray) ins = NULL;

  if (!bring_up (op) || !op_apply_params (op))
    return;
  g_mutex_lock (&inst->lock);
  inst->primed = 0;
  inst->prime_failed = FALSE;
  g_mutex_unlock (&inst->lock);
  g_atomic_int_set (&inst->priming, TRUE);
  ins = stand_ins_start (inst);
  g_mutex_lock (&inst->lock);
  /* Each wait ends at its own bound: start-timeout for the first buffer,
   * PRIME_ENOUGH_MS once one came. */
  while (ins->len > 0 && inst->primed < PRIME_BUFFERS && !inst->prime_failed
      && !inst->prime_cut && inst->owner)
    if (!g_cond_wait_until (&inst->cond, &inst->lock,
            inst->primed ? MIN (enough, deadline) : deadline))
      break;
  if (ins->len == 0)
    op->error = g_strdup ("no source to stand in for");
  else if (!inst->primed)
    op->error = g_strdup (inst->prime_failed ? "an error while priming"
            : inst->prime_cut                ? "a start came first"
                                             : "no buffer while priming");
  g_mutex_unlock (&inst->lock);
  stand_ins_stop (inst, ins);
  g_atomic_int_set (&inst->priming, FALSE);
}

static void
op_run_start (Op *op)
{
  Instance *inst = op->inst;
  GstElement *pipeline = inst->pipeline;

  if (inst->split) {
    if (op->via_null
        && gst_element_set_state (pipeline, GST_STATE_NULL)
            == GST_STATE_CHANGE_FAILURE) {
      op->error = g_strdup ("state change to NULL failed");
      return;
    }
    if (!op_apply_params (op))
      return;
    if ((op->via_null || op->bring_up) && !bring_up (op))
      return;
    /* Before any data: the warm encoder keeps it for the next frame. */
    request_key_unit (inst);
    start_sources (op);
    return;
  }

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
  request_key_unit (inst);
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
  GstElement *element = g_value_get_object (item);
  gboolean *sent = user_data;
  gboolean fed;

  /* gst_bin_iterate_sources() also yields a bin that merely contains a
   * source but is fed from upstream: a WebRTC viewer's branch, whose
   * webrtcbin holds libnice's nicesrc. EOS sent there went into the
   * branch's sink pad and into nicesrc, which, not yet streaming, kept
   * it as basesrc's pending EOS until its finalize, which does not free
   * it (one event lost per stop under valgrind). Only elements without
   * sink pads are the pipeline's sources. */
  GST_OBJECT_LOCK (element);
  fed = element->numsinkpads > 0;
  GST_OBJECT_UNLOCK (element);
  if (fed)
    return;
  gst_element_send_event (element, gst_event_new_eos ());
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
 * needs next). Returns TRUE when it had to flush the sinks. */
static gboolean
op_drain (Op *op)
{
  Instance *inst = op->inst;
  gboolean flushed = FALSE;
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
    flushed = TRUE;
    g_mutex_lock (&inst->lock);
  }
  while (inst->eos_job == EOS_SENDING)
    g_cond_wait (&inst->cond, &inst->lock);
  inst->eos_job = EOS_NONE;
  g_mutex_unlock (&inst->lock);
  return flushed;
}

static void
op_run_stop (Op *op)
{
  Instance *inst = op->inst;
  GstElement *pipeline = inst->pipeline;
  gboolean flushed = FALSE;
  guint i;

  /* EOS lets muxers finalise their files; the main thread's bus watch
   * tells op_drain() when it came out at the sinks (split: the boundary
   * probe, when it reached the end of the sources). */
  g_atomic_int_set (&inst->source_eos, 0);
  if (op->drain)
    flushed = op_drain (op);

  if (inst->split) {
    /* The sources close their devices; the warm part stays PLAYING,
     * unflushed again if the drain had to flush it. */
    stop_sources (inst);
    for (i = 0; flushed && i < inst->sink_pads->len; i++)
      gst_pad_send_event (g_ptr_array_index (inst->sink_pads, i),
          gst_event_new_flush_stop (FALSE));
  }
  if (!op->keep || !inst->split) {
    /* Not warm: NULL and release; warm without a split: NULL, kept
     * parsed. */
    gst_element_set_state (pipeline, GST_STATE_NULL);
  }
  if (!op->keep) {
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
  else if (op->kind == OP_PREPARE)
    op_run_prepare (op);
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

static void
cut_priming (Instance *inst)
{
  g_mutex_lock (&inst->lock);
  inst->prime_cut = TRUE;
  g_cond_broadcast (&inst->cond);
  g_mutex_unlock (&inst->lock);
}

static gboolean
stop_in_flight (OnDemandPipelineRunner *self)
{
  return self->op && self->op->kind == OP_STOP;
}

static gboolean
prepare_in_flight (OnDemandPipelineRunner *self)
{
  return self->op && self->op->kind == OP_PREPARE;
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

      if (gst_structure_has_name (s, SOURCE_EOS_MESSAGE)) {
        gst_structure_get_int (s, "run", &run);
        if (self->running && (guint)run == self->run && !stop_in_flight (self))
          on_demand_runner_emit_run_failed (runner, self->run,
              "ended by itself (EOS)");
        break;
      }
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
      } else if (prepare_in_flight (self)) {
        g_message ("%s: %s while preparing the warm pipeline", self->def->name,
            reason);
        g_mutex_lock (&self->inst->lock);
        self->inst->prime_failed = TRUE;
        g_cond_broadcast (&self->inst->cond);
        g_mutex_unlock (&self->inst->lock);
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

static void run_pending (OnDemandPipelineRunner *self);

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
  if (op->kind == OP_PREPARE) {
    if (op->error)
      g_message ("%s: warm pipeline not primed (%s); the first start "
                 "negotiates",
          self->def->name, op->error);
    else
      g_debug ("%s: warm pipeline prepared", self->def->name);
    if (!op->error) {
      self->primed = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PRIMED]);
    }
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_PREPARING]);
    run_pending (self);
    return;
  }
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

/* Whether setting @pspec on @element takes effect while it is PLAYING
 * (no data flowing: the split sources are in NULL). Its own flags say so,
 * or it is one of a few known to: udpsink's destination (multiudpsink
 * replaces its client), videorate's rates (it renegotiates). */
static gboolean
takes_effect_live (GstElement *element, GParamSpec *pspec)
{
  GType udp = g_type_from_name ("GstMultiUDPSink");
  GType rate = g_type_from_name ("GstVideoRate");

  if (pspec->flags & GST_PARAM_MUTABLE_PLAYING)
    return TRUE;
  if (udp && g_type_is_a (G_OBJECT_TYPE (element), udp))
    return g_str_equal (pspec->name, "host")
        || g_str_equal (pspec->name, "port");
  if (rate && g_type_is_a (G_OBJECT_TYPE (element), rate))
    return g_str_equal (pspec->name, "max-rate")
        || g_str_equal (pspec->name, "drop-only");
  return FALSE;
}

static gboolean
is_split_source (Instance *inst, GstElement *element)
{
  guint i;

  for (i = 0; i < inst->sources->len; i++)
    if (g_ptr_array_index (inst->sources, i) == element)
      return TRUE;
  return FALSE;
}

/* Main thread: records @values (with defaults) as the last applied, and
 * says whether a warm pipeline must go through NULL to take them: a
 * changed param on an element of the PLAYING warm part whose property
 * does not take effect live. */
static gboolean
record_params (OnDemandPipelineRunner *self, Instance *inst, GHashTable *values,
    gboolean live)
{
  PipelineDef *def = self->def;
  gboolean via_null = FALSE;
  guint i;

  for (i = 0; i < def->params->len; i++) {
    const GatewayParam *param = g_ptr_array_index (def->params, i);
    ParamTarget *t = &inst->targets[i];
    const GValue *value = g_hash_table_lookup (values, param->name);

    if (!value && param->has_default)
      value = &param->default_value;
    if (live && !is_split_source (inst, t->element)
        && !gateway_param_value_equal (value,
            G_IS_VALUE (&t->last) ? &t->last : NULL)
        && !takes_effect_live (t->element, t->pspec))
      via_null = TRUE;
    if (G_IS_VALUE (&t->last))
      g_value_unset (&t->last);
    if (value) {
      g_value_init (&t->last, G_VALUE_TYPE (value));
      g_value_copy (value, &t->last);
    }
  }
  return via_null;
}

static void
runner_start (OnDemandRunner *runner, guint run, GHashTable *values)
{
  OnDemandPipelineRunner *self = ON_DEMAND_PIPELINE_RUNNER (runner);
  PipelineDef *def = self->def;
  Instance *inst;
  Op *op;
  gboolean live = FALSE;

  if (prepare_in_flight (self) && !self->running) {
    /* Done as soon as the preparation returns, which ends its priming
     * now. */
    cut_priming (self->inst);
    self->run = run;
    self->running = TRUE;
    self->pending_start = TRUE;
    g_clear_pointer (&self->pending_values, g_hash_table_unref);
    self->pending_values = values ? gateway_params_values_copy (values) : NULL;
    return;
  }
  g_return_if_fail (self->op == NULL);

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
  }
  inst = self->inst;
  if (inst->split) {
    GstElement *pipeline = inst->pipeline;

    GST_OBJECT_LOCK (pipeline);
    live = GST_STATE (pipeline) == GST_STATE_PLAYING;
    GST_OBJECT_UNLOCK (pipeline);
    op->bring_up = !live;
  }
  g_atomic_int_set (&inst->run_id, (gint)run);
  g_atomic_int_set (&inst->first_buffer_armed, TRUE);

  op->inst = instance_ref (inst);
  op->values = values ? gateway_params_values_copy (values)
                      : gateway_params_values_copy (NULL);
  op->via_null = record_params (self, inst, op->values, live);
  g_debug ("%s: run %u: %s", def->name, run,
      op->via_null      ? "params, via NULL, then PLAYING"
          : inst->split ? "params, sources to PLAYING"
                        : "params, PLAYING");
  dispatch_op (self, op);
}

static void
runner_stop (OnDemandRunner *runner, gboolean drain, guint drain_timeout_ms,
    gboolean keep_warm)
{
  OnDemandPipelineRunner *self = ON_DEMAND_PIPELINE_RUNNER (runner);
  Op *op;

  if (prepare_in_flight (self) && !self->running) {
    /* A warm preparation let go (shutdown): after it returns. */
    cut_priming (self->inst);
    self->pending_stop = TRUE;
    self->pending_drain = drain;
    self->pending_drain_timeout_ms = drain_timeout_ms;
    self->pending_keep_warm = keep_warm;
    return;
  }
  g_return_if_fail (self->op == NULL);

  /* Nothing runs when a preparation is stopped: nothing to drain. */
  if (!self->running)
    drain = FALSE;
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
  op->keep = keep_warm;
  g_debug ("%s: stop: %s, then %s", self->def->name, drain ? "EOS" : "no EOS",
      !keep_warm              ? "NULL"
          : self->inst->split ? "sources to NULL"
                              : "NULL, kept parsed");
  dispatch_op (self, op);
}

/* Main thread: what was asked for while the preparation ran. */
static void
run_pending (OnDemandPipelineRunner *self)
{
  if (self->pending_start) {
    g_autoptr (GHashTable) values = g_steal_pointer (&self->pending_values);

    self->pending_start = FALSE;
    self->running = FALSE;
    runner_start (ON_DEMAND_RUNNER (self), self->run, values);
  } else if (self->pending_stop) {
    self->pending_stop = FALSE;
    runner_stop (ON_DEMAND_RUNNER (self), self->pending_drain,
        self->pending_drain_timeout_ms, self->pending_keep_warm);
  }
}

/* Main thread, at construction of a warm runner: parse now, and for a
 * split pipeline bring the warm part up and prime it on an op thread. A
 * parse error is left for the first start to report. */
static void
prepare (OnDemandPipelineRunner *self)
{
  g_autoptr (GError) error = NULL;
  Op *op;

  self->inst = instance_new (self, &error);
  if (!self->inst) {
    g_message ("%s: warm: %s (reported at start)", self->def->name,
        error->message);
    return;
  }
  if (!self->inst->split)
    return;
  op = g_new0 (Op, 1);
  op->kind = OP_PREPARE;
  op->inst = instance_ref (self->inst);
  op->values = gateway_params_values_copy (NULL);
  op->prime_timeout_ms = self->def->start_timeout_ms;
  record_params (self, self->inst, op->values, FALSE);
  dispatch_op (self, op);
}

static void
runner_abandon (OnDemandRunner *runner)
{
  OnDemandPipelineRunner *self = ON_DEMAND_PIPELINE_RUNNER (runner);

  self->running = FALSE;
  self->pending_start = FALSE;
  self->pending_stop = FALSE;
  g_clear_pointer (&self->pending_values, g_hash_table_unref);
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
 * must be the controller's. A cold definition is parsed at the first
 * start; a warm one now, and brought up and primed on a worker thread
 * (see "Warm" at the top of pipeline-runner.c).
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
  if (def->warm)
    prepare (self);
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
    case PROP_PRIMED:
      g_value_set_boolean (value, self->primed);
      break;
    case PROP_PREPARING:
      g_value_set_boolean (value, prepare_in_flight (self));
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

  /**
   * OnDemandPipelineRunner:primed:
   *
   * %TRUE once the preparation of a warm pipeline split at its sources
   * ran the warm part from stand-ins of the sources (the sources
   * themselves untouched); %FALSE before, or when it could not (the
   * first start then negotiates). For diagnostics and tests.
   */
  props[PROP_PRIMED] = g_param_spec_boolean ("primed", "Primed",
      "Whether the warm pipeline was primed", FALSE,
      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * OnDemandPipelineRunner:preparing:
   *
   * %TRUE while the preparation of a warm pipeline (parse, bring up,
   * prime) is under way; notified when it ends, primed or not. The
   * daemon joins its channel once no runner is preparing, so the first
   * start finds the pipeline warm.
   */
  props[PROP_PREPARING] = g_param_spec_boolean ("preparing", "Preparing",
      "Whether the warm pipeline's preparation is under way", FALSE,
      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, props);
}

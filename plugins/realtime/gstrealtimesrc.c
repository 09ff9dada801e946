/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gstrealtimesrc.c: realtimesrc, an adapter over the gateway core. Its
 * properties fill the core's structs (RealtimeSettings, PipelineDef,
 * GatewayEventNames); the router and an on-demand controller run on the
 * element's control thread over the bin-branch runner (gstrealtimebranch.c).
 * What is here: properties, state changes, EOS, bus messages, the ghost pad.
 */

/**
 * SECTION:element-realtimesrc
 * @title: realtimesrc
 * @see_also: autovideosrc, proxysrc, videotestsrc
 *
 * realtimesrc joins a Supabase Realtime channel and runs its inner source
 * (#GstRealtimeSrc:source, by default `videotestsrc is-live=true`) only
 * between `start` and `stop` broadcasts on it, answering every request as
 * the realtime-gateway daemon does (the same code: params, leases,
 * restarts, `pipeline_state` replies). While stopped the inner source is
 * in NULL and out of the bin, so a camera is released; downstream stays
 * PLAYING and sees nothing, or, with `idle=black`, black frames under the
 * caps it already has, at #GstRealtimeSrc:idle-framerate or the negotiated
 * framerate when lower, never faster. The client runs on a thread of the
 * element, so no main loop is needed, and a network outage is a warning,
 * never an error. The element answers to its own name and to requests
 * without "pipeline". The inner source gets the bin's clock and base time,
 * so timestamps stay continuous across cycles, black frames included.
 * Messages: `realtime-broadcast` (`event`, `payload`) and `realtime-state`
 * (`what`, `state`, `reason`). README.md, "The realtimesrc element", has
 * the details.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 realtimesrc name=cam url=https://<ref>.supabase.co \
 *     api-key-file=/run/credentials/key channel=robot-7 \
 *     source="v4l2src ! video/x-raw,width=640" ! videoconvert ! \
 *     x264enc tune=zerolatency ! rtph264pay ! udpsink host=10.0.0.2
 * ]| Video flows only between `start` and `stop` broadcasts on robot-7.
 */

#include "gstrealtimeelements.h"

#include <string.h>

#include "gstrealtimebranch.h"
#include "ondemand-controller.h"
#include "pipeline-def.h"
#include "realtime-channel.h"
#include "realtime-settings.h"
#include "realtime-token-watch.h"
#include "request.h"
#include "router.h"
#include "secret-file.h"

GST_DEBUG_CATEGORY_STATIC (gst_realtime_src_debug);
#define GST_CAT_DEFAULT gst_realtime_src_debug

typedef enum
{
  GST_REALTIME_SRC_IDLE_NOTHING,
  GST_REALTIME_SRC_IDLE_BLACK,
} GstRealtimeSrcIdle;

static GType gst_realtime_src_idle_get_type (void);
G_DEFINE_ENUM_TYPE (GstRealtimeSrcIdle, gst_realtime_src_idle,
    G_DEFINE_ENUM_VALUE (GST_REALTIME_SRC_IDLE_NOTHING, "nothing"),
    G_DEFINE_ENUM_VALUE (GST_REALTIME_SRC_IDLE_BLACK, "black"));

/* PipelineRestartPolicy has no GType of its own. */
static GType gst_realtime_src_restart_get_type (void);
G_DEFINE_ENUM_TYPE (GstRealtimeSrcRestart, gst_realtime_src_restart,
    G_DEFINE_ENUM_VALUE (PIPELINE_RESTART_NEVER, "never"),
    G_DEFINE_ENUM_VALUE (PIPELINE_RESTART_ON_FAILURE, "on-failure"));

#define DEFAULT_SOURCE "videotestsrc is-live=true"
#define DEFAULT_IDLE_FPS_N 5
#define DEFAULT_IDLE_FPS_D 1
/* A start without ttl ends (back to idle) after a minute unless renewed, as
 * the shipped network definitions do: a vanished operator stops streaming. */
#define DEFAULT_TTL_S 60
#define FAREWELL_TIMEOUT_MS 400 /* for the server to confirm the last reply */
#define SHUTDOWN_GRACE_MS 2000 /* beyond stop-timeout, for the router */
#define MAX_DRAIN_ITERATIONS 1000 /* callbacks run as the thread ends */
#define FALLBACK_PIPELINE_NAME "realtimesrc" /* for invalid element names */

/* Properties with code of their own; the others are fields (below). */
enum
{
  PROP_0,
  PROP_API_KEY,
  PROP_RESTART_ON_ERROR,
  PROP_IDLE_FRAMERATE,
  PROP_STATS,
  PROP_FIELDS,
  MAX_PROPS = PROP_FIELDS + 40
};

#define GST_TYPE_REALTIME_SRC (gst_realtime_src_get_type ())
G_DECLARE_FINAL_TYPE (GstRealtimeSrc, gst_realtime_src, GST, REALTIME_SRC,
    GstBin)

/* The control thread's: made with its context as the thread-default one,
 * touched on that thread only. */
typedef struct
{
  GstRealtimeSrc *self;
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;

  RealtimeClient *client;
  RealtimeChannel *channel; /* the client's */
  RealtimeTokenWatch *token_watch;
  GatewayRouter *router;
  OnDemandController *controller;
  GstRealtimeBranch *branch;
  guint stop_timeout_ms;
  OnDemandState source;
  guint stops;
  gboolean connection_trouble; /* warned for the current failure streak */
  gboolean channel_trouble;
} Control;

struct _GstRealtimeSrc
{
  GstBin parent;

  GstPad *srcpad;

  /* Properties, under the object lock, in the core's own structs. */
  RealtimeSettings settings;
  PipelineDef *def; /* description = source; name and params at start */
  GatewayEventNames events; /* owned strings */
  guint send_rate, send_burst; /* the outbound budget (send-budget.h) */
  gchar *channel;
  gboolean private_channel;
  gchar *params_file;
  GstRealtimeSrcIdle idle;
  gint idle_fps_n, idle_fps_d;

  /* Under the object lock: what the stats property shows. */
  GstStructure *stats;
  /* READY->PAUSED to PAUSED->READY, under the object lock: streaming
   * threads take its branch. */
  Control *control;
};

#define gst_realtime_src_parent_class parent_class
G_DEFINE_TYPE (GstRealtimeSrc, gst_realtime_src, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (realtimesrc, "realtimesrc", GST_RANK_NONE,
    GST_TYPE_REALTIME_SRC);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static void
set_string (gchar **field, const gchar *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

static void
post_state_message (GstRealtimeSrc *self, const gchar *what, const gchar *state,
    const gchar *reason)
{
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self),
          gst_structure_new ("realtime-state", "what", G_TYPE_STRING, what,
              "state", G_TYPE_STRING, state, "reason", G_TYPE_STRING,
              reason ? reason : "", NULL)));
}

/* Sets fields of the stats (as gst_structure_set). */
static void
set_stats (GstRealtimeSrc *self, const gchar *field, ...)
{
  va_list args;

  va_start (args, field);
  GST_OBJECT_LOCK (self);
  gst_structure_set_valist (self->stats, field, args);
  GST_OBJECT_UNLOCK (self);
  va_end (args);
}

static void
reset_stats (GstRealtimeSrc *self)
{
  GstStructure *stats = gst_structure_new ("application/x-realtimesrc-stats",
      "connection-state", G_TYPE_STRING, "disconnected", "channel-state",
      G_TYPE_STRING, "closed", "source-state", G_TYPE_STRING, "stopped",
      "reconnects", G_TYPE_UINT, 0, "joins", G_TYPE_UINT, 0, "heartbeats",
      G_TYPE_UINT, 0, "heartbeat-timeouts", G_TYPE_UINT, 0, "last-rtt-ms",
      G_TYPE_DOUBLE, 0.0, "starts", G_TYPE_UINT, 0, "stops", G_TYPE_UINT, 0,
      "failures", G_TYPE_UINT, 0, "restarts", G_TYPE_UINT, 0, "last-error",
      G_TYPE_STRING, "", NULL);

  GST_OBJECT_LOCK (self);
  if (self->stats)
    gst_structure_free (self->stats);
  self->stats = stats;
  GST_OBJECT_UNLOCK (self);
}

static void
update_client_stats (Control *ctl)
{
  RealtimeClientStats cs;
  guint joins = 0;

  realtime_client_get_stats (ctl->client, &cs);
  g_object_get (ctl->channel, "joins", &joins, NULL);
  set_stats (ctl->self, "reconnects", G_TYPE_UINT, cs.reconnects, "heartbeats",
      G_TYPE_UINT, cs.heartbeats_ok, "heartbeat-timeouts", G_TYPE_UINT,
      cs.heartbeat_timeouts, "last-rtt-ms", G_TYPE_DOUBLE, cs.last_rtt_ms,
      "joins", G_TYPE_UINT, joins, NULL);
}

static void
on_source_state_changed (OnDemandController *controller, OnDemandState state,
    const gchar *request_id, const gchar *error, gpointer user_data)
{
  Control *ctl = user_data;
  GstRealtimeSrc *self = ctl->self;
  OnDemandState before;
  OnDemandStats runs;

  GST_INFO_OBJECT (self, "source %s%s%s", on_demand_state_to_string (state),
      error ? ": " : "", error ? error : "");
  before = ctl->source;
  ctl->source = state;
  if (state == ON_DEMAND_STATE_STOPPED && before == ON_DEMAND_STATE_STOPPING)
    ctl->stops++;
  on_demand_controller_get_stats (controller, &runs);
  set_stats (self, "source-state", G_TYPE_STRING,
      on_demand_state_to_string (state), "starts", G_TYPE_UINT, runs.starts,
      "stops", G_TYPE_UINT, ctl->stops, "failures", G_TYPE_UINT, runs.failures,
      "restarts", G_TYPE_UINT, runs.restarts, NULL);
  post_state_message (self, "source", on_demand_state_to_string (state), error);

  if (state == ON_DEMAND_STATE_PLAYING && before != ON_DEMAND_STATE_PLAYING) {
    /* The new source may add latency the pipeline has not seen yet. */
    gst_element_post_message (GST_ELEMENT_CAST (self),
        gst_message_new_latency (GST_OBJECT_CAST (self)));
  } else if (state == ON_DEMAND_STATE_FAILED && error) {
    set_stats (self, "last-error", G_TYPE_STRING, error, NULL);
    GST_ELEMENT_WARNING (self, RESOURCE, READ, ("The source failed: %s", error),
        ("The source was torn down."));
  }
}

static void
on_broadcast (RealtimeChannel *channel, const gchar *event, JsonNode *payload,
    gpointer user_data)
{
  Control *ctl = user_data;
  g_autofree gchar *json = json_to_string (payload, FALSE);

  gst_element_post_message (GST_ELEMENT_CAST (ctl->self),
      gst_message_new_element (GST_OBJECT_CAST (ctl->self),
          gst_structure_new ("realtime-broadcast", "event", G_TYPE_STRING,
              event, "payload", G_TYPE_STRING, json, NULL)));
}

/* Connection or channel: stats, a message, a warning once per streak. */
static void
report_link (Control *ctl, const gchar *what, const gchar *state,
    const gchar *reason, gboolean up, gboolean down, gboolean *trouble)
{
  GstRealtimeSrc *self = ctl->self;

  GST_INFO_OBJECT (self, "%s %s (%s)", what, state, reason ? reason : "");
  set_stats (self,
      strcmp (what, "channel") ? "connection-state" : "channel-state",
      G_TYPE_STRING, state, NULL);
  update_client_stats (ctl);
  post_state_message (self, what, state, reason);
  if (up) {
    *trouble = FALSE;
  } else if (down && !*trouble) {
    *trouble = TRUE;
    set_stats (self, "last-error", G_TYPE_STRING, reason ? reason : "", NULL);
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("Realtime %s lost or refused: %s", what, reason ? reason : ""),
        ("Retrying with backoff; video keeps flowing."));
  }
}

static void
on_client_state_changed (RealtimeClient *client, RealtimeClientState state,
    const gchar *reason, gpointer user_data)
{
  Control *ctl = user_data;

  report_link (ctl, "connection", realtime_client_state_to_string (state),
      reason, state == REALTIME_CLIENT_STATE_CONNECTED,
      state == REALTIME_CLIENT_STATE_DISCONNECTED, &ctl->connection_trouble);
}

static void
on_channel_state_changed (RealtimeChannel *channel, RealtimeChannelState state,
    const gchar *reason, gpointer user_data)
{
  Control *ctl = user_data;

  report_link (ctl, "channel", realtime_channel_state_to_string (state), reason,
      state == REALTIME_CHANNEL_STATE_JOINED,
      state == REALTIME_CHANNEL_STATE_ERRORED, &ctl->channel_trouble);
}

static void
on_async_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **)user_data = g_object_ref (result);
}

/* Iterates the control context until *@result is set or @timeout_ms. */
static void
wait_async (Control *ctl, GAsyncResult **result, guint timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;

  while (!*result && g_get_monotonic_time () < end)
    g_main_context_iteration (ctl->context, TRUE);
}

/* Stops the source (the dashboard hears of it), makes sure the server read
 * the last reply, then lets go of everything. */
static void
control_shutdown (Control *ctl)
{
  g_autoptr (GAsyncResult) stopped = NULL;
  g_autoptr (GAsyncResult) flushed = NULL;

  gateway_router_shutdown (ctl->router, on_async_done, &stopped);
  wait_async (ctl, &stopped, ctl->stop_timeout_ms + SHUTDOWN_GRACE_MS);
  if (stopped)
    gateway_router_shutdown_finish (ctl->router, stopped, NULL);
  if (realtime_channel_get_state (ctl->channel)
      == REALTIME_CHANNEL_STATE_JOINED) {
    realtime_client_flush_async (ctl->client, FAREWELL_TIMEOUT_MS, NULL,
        on_async_done, &flushed);
    wait_async (ctl, &flushed, FAREWELL_TIMEOUT_MS + SHUTDOWN_GRACE_MS);
    if (flushed)
      realtime_client_flush_finish (ctl->client, flushed, NULL);
  }
  GST_DEBUG_OBJECT (ctl->self, "farewell %s",
      flushed ? "sent" : "not needed or not confirmed");

  g_signal_handlers_disconnect_by_data (ctl->controller, ctl);
  g_signal_handlers_disconnect_by_data (ctl->channel, ctl);
  g_signal_handlers_disconnect_by_data (ctl->client, ctl);
  g_clear_pointer (&ctl->token_watch, realtime_token_watch_free);
  realtime_client_disconnect (ctl->client);
  gst_realtime_branch_close (ctl->branch);
}

static gpointer
control_thread (gpointer data)
{
  Control *ctl = data;
  guint i;

  g_main_context_push_thread_default (ctl->context);
  realtime_channel_subscribe (ctl->channel);
  realtime_client_connect (ctl->client);
  if (ctl->self->idle == GST_REALTIME_SRC_IDLE_BLACK)
    gst_realtime_branch_show_idle (ctl->branch, ctl->self->idle_fps_n,
        ctl->self->idle_fps_d);
  g_main_loop_run (ctl->loop);
  control_shutdown (ctl);
  /* Let cancelled operations finish so that nothing they hold leaks. */
  for (i = 0; i < MAX_DRAIN_ITERATIONS; i++)
    if (!g_main_context_iteration (ctl->context, FALSE))
      break;
  g_main_context_pop_thread_default (ctl->context);
  return NULL;
}

static void
control_free (Control *ctl)
{
  g_clear_object (&ctl->router);
  g_clear_object (&ctl->controller);
  if (ctl->branch)
    gst_realtime_branch_close (ctl->branch);
  g_clear_object (&ctl->branch);
  ctl->channel = NULL;
  g_clear_object (&ctl->client);
  g_clear_pointer (&ctl->loop, g_main_loop_unref);
  /* Destroys notifications posted after the loop ended, undispatched. */
  g_clear_pointer (&ctl->context, g_main_context_unref);
  g_free (ctl);
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

/* Quits the control thread and joins it (bounded by stop-timeout). */
static void
control_stop (GstRealtimeSrc *self)
{
  Control *ctl;
  GSource *source;

  /* Kept until joined: late inner errors must still find the branch. */
  GST_OBJECT_LOCK (self);
  ctl = self->control;
  GST_OBJECT_UNLOCK (self);
  if (!ctl)
    return;

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, quit_loop, g_main_loop_ref (ctl->loop),
      (GDestroyNotify)g_main_loop_unref);
  g_source_attach (source, ctl->context);
  g_source_unref (source);
  g_thread_join (ctl->thread);
  GST_DEBUG_OBJECT (self, "realtime thread joined");
  GST_OBJECT_LOCK (self);
  self->control = NULL;
  GST_OBJECT_UNLOCK (self);
  control_free (ctl);
}

/* Makes runner, client, router and controller on the control context, or
 * posts an error. The definition is ours alone until PAUSED->READY. */
static Control *
control_new (GstRealtimeSrc *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) params = NULL;
  g_autofree gchar *name = gst_object_get_name (GST_OBJECT (self));
  Control *ctl = g_new0 (Control, 1);
  const gchar *what = "No channel set";
  PipelineDef *def = self->def;

  ctl->self = self;
  ctl->context = g_main_context_new ();
  ctl->loop = g_main_loop_new (ctl->context, FALSE);
  if (!pipeline_def_name_is_valid (name))
    set_string (&name, FALLBACK_PIPELINE_NAME);
  g_main_context_push_thread_default (ctl->context);
  GST_OBJECT_LOCK (self);
  if (!self->channel || !*self->channel)
    g_set_error_literal (&error, GATEWAY_ERROR, GATEWAY_ERROR_CONFIG,
        "Set channel to the realtime channel to join.");
  else if (!self->params_file)
    params
        = g_ptr_array_new_with_free_func ((GDestroyNotify)gateway_param_free);
  else if (!(params = pipeline_def_load_params (self->params_file, &error)))
    what = "Unusable params-file";
  if (params) {
    what = "Unusable source or params-file";
    set_string (&def->name, name);
    g_clear_pointer (&def->params, g_ptr_array_unref);
    def->params = g_ptr_array_ref (params);
    ctl->stop_timeout_ms = def->stop_timeout_ms;
    ctl->branch = gst_realtime_branch_new (GST_BIN (self), self->srcpad,
        def->description, params, &error);
  }
  if (ctl->branch) {
    what = "Unusable realtime settings";
    ctl->client = realtime_settings_make_client (&self->settings, &error);
  }
  if (ctl->client) {
    ctl->channel = realtime_client_channel (ctl->client, self->channel);
    g_object_set (ctl->channel, "private", self->private_channel, NULL);
    /* Before the router's: the message precedes the reply. */
    g_signal_connect (ctl->channel, "broadcast", G_CALLBACK (on_broadcast),
        ctl);
    if (self->settings.access_token_file)
      ctl->token_watch = realtime_token_watch_new (ctl->client,
          self->settings.access_token_file);
    ctl->router = gateway_router_new (ctl->channel, &self->events);
    gateway_router_set_send_budget (ctl->router, self->send_rate,
        self->send_burst);
  }
  GST_OBJECT_UNLOCK (self);
  if (ctl->client) {
    ctl->controller
        = on_demand_controller_new (def, ON_DEMAND_RUNNER (ctl->branch));
    gateway_router_add_controller (ctl->router, ctl->controller);
    gateway_router_set_default_pipeline (ctl->router, name);
    g_signal_connect (ctl->client, "state-changed",
        G_CALLBACK (on_client_state_changed), ctl);
    g_signal_connect_swapped (ctl->client, "heartbeat",
        G_CALLBACK (update_client_stats), ctl);
    g_signal_connect (ctl->channel, "state-changed",
        G_CALLBACK (on_channel_state_changed), ctl);
    g_signal_connect (ctl->controller, "state-changed",
        G_CALLBACK (on_source_state_changed), ctl);
  }
  g_main_context_pop_thread_default (ctl->context);
  if (!ctl->client) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", what),
        ("%s", error->message));
    control_free (ctl);
    return NULL;
  }
  GST_INFO_OBJECT (self, "configured: pipeline name %s, %u param(s)", name,
      params->len);
  return ctl;
}

static gboolean
control_start (GstRealtimeSrc *self)
{
  g_autoptr (GError) error = NULL;
  Control *ctl = control_new (self);

  if (!ctl)
    return FALSE;
  reset_stats (self);
  ctl->thread = g_thread_try_new ("realtimesrc", control_thread, ctl, &error);
  if (ctl->thread) {
    GST_OBJECT_LOCK (self);
    self->control = ctl;
    GST_OBJECT_UNLOCK (self);
    return TRUE;
  }
  control_free (ctl);
  GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
      ("Could not start the realtime thread"), ("%s", error->message));
  return FALSE;
}

static GstRealtimeBranch *
dup_branch (GstRealtimeSrc *self)
{
  GstRealtimeBranch *branch;

  GST_OBJECT_LOCK (self);
  branch = self->control ? g_object_ref (self->control->branch) : NULL;
  GST_OBJECT_UNLOCK (self);
  return branch;
}

static GstStateChangeReturn
gst_realtime_src_change_state (GstElement *element, GstStateChange transition)
{
  GstRealtimeSrc *self = GST_REALTIME_SRC (element);
  GstStateChangeReturn ret;

  /* First, so that nothing adds a branch while the bin goes down. */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    control_stop (self);

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!control_start (self))
        return GST_STATE_CHANGE_FAILURE;
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      set_stats (self, "connection-state", G_TYPE_STRING, "disconnected",
          "channel-state", G_TYPE_STRING, "closed", "source-state",
          G_TYPE_STRING, "stopped", NULL);
      break;
    default:
      break;
  }
  return ret;
}

/* The application's EOS goes through what feeds the ghost pad, or out. */
static gboolean
gst_realtime_src_send_event (GstElement *element, GstEvent *event)
{
  GstRealtimeSrc *self = GST_REALTIME_SRC (element);
  GstRealtimeBranch *runner = dup_branch (self);
  GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (self->srcpad));
  GstObject *branch = target ? gst_object_get_parent (GST_OBJECT (target)) : 0;
  gboolean sent;

  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS) {
    sent = GST_ELEMENT_CLASS (parent_class)->send_event (element, event);
    event = NULL;
  } else {
    GST_INFO_OBJECT (self, "EOS from the application");
    if (runner)
      gst_realtime_branch_set_ending (runner);
    sent = branch
        && gst_element_send_event (GST_ELEMENT (branch), gst_event_ref (event));
    if (!sent)
      sent = gst_pad_push_event (self->srcpad, gst_event_ref (event));
  }
  g_clear_object (&runner);
  gst_clear_object (&target);
  gst_clear_object (&branch);
  if (event)
    gst_event_unref (event);
  return sent;
}

/* An inner source error is a warning; the runner tears the source down. */
static void
gst_realtime_src_handle_message (GstBin *bin, GstMessage *message)
{
  GstRealtimeBranch *runner = dup_branch (GST_REALTIME_SRC (bin));
  GError *err = NULL;
  gchar *debug = NULL, *reason;
  GstMessage *warning;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR && runner) {
    gst_message_parse_error (message, &err, &debug);
    reason = g_strdup_printf ("%s: %s", GST_MESSAGE_SRC_NAME (message),
        err->message);
    if (gst_realtime_branch_handle_error (runner, GST_MESSAGE_SRC (message),
            reason)) {
      GST_WARNING_OBJECT (bin, "source error, torn down: %s", reason);
      warning = gst_message_new_warning (GST_MESSAGE_SRC (message), err, debug);
      gst_message_unref (message);
      message = warning;
    }
    g_error_free (err);
    g_free (debug);
    g_free (reason);
  }
  g_clear_object (&runner);
  GST_BIN_CLASS (parent_class)->handle_message (bin, message);
}

/* Unfed, the ghost pad still answers as the live source it is. */
static gboolean
gst_realtime_src_src_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (pad));

  if (target) {
    gst_object_unref (target);
    return gst_pad_query_default (pad, parent, query);
  }
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_LATENCY:
      gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
      return TRUE;
    case GST_QUERY_CAPS: {
      GstCaps *filter;

      gst_query_parse_caps (query, &filter);
      gst_query_set_caps_result (query, filter ? filter : GST_CAPS_ANY);
      return TRUE;
    }
    default:
      return FALSE;
  }
}

/* Where the other properties live: settings, definition or element. */
typedef enum
{
  IN_SETTINGS = 1,
  IN_DEF,
  IN_SELF,
} Home;

static struct
{
  Home home;
  gsize offset;
} fields[MAX_PROPS];
static GParamSpec *properties[MAX_PROPS];
static guint n_props = PROP_FIELDS;

#define SETTING(m) IN_SETTINGS, G_STRUCT_OFFSET (RealtimeSettings, m)
#define DEF(m) IN_DEF, G_STRUCT_OFFSET (PipelineDef, m)
#define SELF(m) IN_SELF, G_STRUCT_OFFSET (GstRealtimeSrc, m)
#define RW                                                                     \
  (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY)

static void
add_field (Home home, gsize offset, GParamSpec *pspec)
{
  g_assert (n_props < MAX_PROPS);
  fields[n_props].home = home;
  fields[n_props].offset = offset;
  properties[n_props++] = pspec;
}

static void
add_string (Home home, gsize offset, const gchar *name, const gchar *blurb,
    const gchar *def)
{
  add_field (home, offset, g_param_spec_string (name, name, blurb, def, RW));
}

static void
add_uint (Home home, gsize offset, const gchar *name, const gchar *blurb,
    guint min, guint max, guint def)
{
  add_field (home, offset,
      g_param_spec_uint (name, name, blurb, min, max, def, RW));
}

static gpointer
field_of (GstRealtimeSrc *self, guint prop_id)
{
  guint8 *base = fields[prop_id].home == IN_SETTINGS ? (guint8 *)&self->settings
      : fields[prop_id].home == IN_DEF               ? (guint8 *)self->def
                                                     : (guint8 *)self;

  return base + fields[prop_id].offset;
}

static gboolean
refuse_when_running (GstRealtimeSrc *self, GParamSpec *pspec)
{
  gboolean running;

  GST_OBJECT_LOCK (self);
  running = GST_STATE (self) > GST_STATE_READY
      || GST_STATE_TARGET (self) > GST_STATE_READY;
  GST_OBJECT_UNLOCK (self);
  if (running)
    GST_WARNING_OBJECT (self, "%s can only be changed in NULL or READY",
        pspec->name);
  return running;
}

static void
gst_realtime_src_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec)
{
  GstRealtimeSrc *self = GST_REALTIME_SRC (object);
  const gchar *str;
  gpointer field;

  if (refuse_when_running (self, pspec))
    return;
  GST_OBJECT_LOCK (self);
  field = field_of (self, prop_id);
  if (prop_id == PROP_API_KEY) {
    gateway_secret_free (self->settings.api_key);
    self->settings.api_key = g_value_dup_string (value);
  } else if (prop_id == PROP_RESTART_ON_ERROR) {
    self->def->restart = g_value_get_boolean (value)
        ? PIPELINE_RESTART_ON_FAILURE
        : PIPELINE_RESTART_NEVER;
  } else if (prop_id == PROP_IDLE_FRAMERATE) {
    self->idle_fps_n = gst_value_get_fraction_numerator (value);
    self->idle_fps_d = gst_value_get_fraction_denominator (value);
  } else if (G_VALUE_HOLDS_STRING (value)) {
    /* NULL or empty restores the default (source, event names). */
    str = g_value_get_string (value);
    set_string (field,
        str && *str ? str : G_PARAM_SPEC_STRING (pspec)->default_value);
  } else if (G_VALUE_HOLDS_UINT (value)) {
    *(guint *)field = g_value_get_uint (value);
  } else if (G_VALUE_HOLDS_BOOLEAN (value)) {
    *(gboolean *)field = g_value_get_boolean (value);
  } else {
    *(gint *)field = g_value_get_enum (value);
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_realtime_src_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstRealtimeSrc *self = GST_REALTIME_SRC (object);
  gpointer field;

  GST_OBJECT_LOCK (self);
  field = field_of (self, prop_id);
  if (prop_id == PROP_RESTART_ON_ERROR)
    g_value_set_boolean (value,
        self->def->restart == PIPELINE_RESTART_ON_FAILURE);
  else if (prop_id == PROP_IDLE_FRAMERATE)
    gst_value_set_fraction (value, self->idle_fps_n, self->idle_fps_d);
  else if (prop_id == PROP_STATS)
    g_value_set_boxed (value, self->stats);
  else if (G_VALUE_HOLDS_STRING (value))
    g_value_set_string (value, *(gchar **)field);
  else if (G_VALUE_HOLDS_UINT (value))
    g_value_set_uint (value, *(guint *)field);
  else if (G_VALUE_HOLDS_BOOLEAN (value))
    g_value_set_boolean (value, *(gboolean *)field);
  else
    g_value_set_enum (value, *(gint *)field);
  GST_OBJECT_UNLOCK (self);
}

static void
gst_realtime_src_init (GstRealtimeSrc *self)
{
  GstPadTemplate *templ = gst_static_pad_template_get (&src_template);
  guint i;

  self->srcpad = gst_ghost_pad_new_no_target_from_template ("src", templ);
  gst_object_unref (templ);
  gst_pad_set_query_function (self->srcpad, gst_realtime_src_src_query);
  gst_element_add_pad (GST_ELEMENT_CAST (self), self->srcpad);

  /* The defaults are the core's, except for strings the pspecs give. */
  realtime_settings_init (&self->settings);
  self->def = pipeline_def_new (FALLBACK_PIPELINE_NAME);
  self->def->default_ttl_s = DEFAULT_TTL_S;
  for (i = PROP_FIELDS; i < n_props; i++)
    if (G_IS_PARAM_SPEC_STRING (properties[i]))
      set_string (field_of (self, i),
          G_PARAM_SPEC_STRING (properties[i])->default_value);
  self->idle_fps_n = DEFAULT_IDLE_FPS_N;
  self->idle_fps_d = DEFAULT_IDLE_FPS_D;
  self->send_rate = SEND_BUDGET_DEFAULT_RATE;
  self->send_burst = SEND_BUDGET_DEFAULT_BURST;
  reset_stats (self);

  /* A source, whatever the children say. */
  gst_bin_set_suppressed_flags (GST_BIN (self),
      GST_ELEMENT_FLAG_SOURCE | GST_ELEMENT_FLAG_SINK);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

static void
gst_realtime_src_dispose (GObject *object)
{
  /* Only reached in NULL, but an application may drop us in READY. */
  control_stop (GST_REALTIME_SRC (object));
  G_OBJECT_CLASS (parent_class)->dispose (object);
}

static void
gst_realtime_src_finalize (GObject *object)
{
  GstRealtimeSrc *self = GST_REALTIME_SRC (object);
  guint i;

  for (i = PROP_FIELDS; i < n_props; i++)
    if (G_IS_PARAM_SPEC_STRING (properties[i]))
      set_string (field_of (self, i), NULL);
  realtime_settings_clear (&self->settings);
  pipeline_def_unref (self->def);
  gst_structure_free (self->stats);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_realtime_src_class_init (GstRealtimeSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GatewayEventNames events = GATEWAY_EVENT_NAMES_DEFAULT;
  g_autoptr (PipelineDef) def = pipeline_def_new (FALLBACK_PIPELINE_NAME);
  guint i;

  GST_DEBUG_CATEGORY_INIT (gst_realtime_src_debug, "realtimesrc", 0,
      "Source bin driven by a Supabase Realtime channel");
  gobject_class->set_property = gst_realtime_src_set_property;
  gobject_class->get_property = gst_realtime_src_get_property;
  gobject_class->dispose = gst_realtime_src_dispose;
  gobject_class->finalize = gst_realtime_src_finalize;

  /* The connection: RealtimeSettings, the daemon's [realtime] group. */
  properties[PROP_API_KEY] = g_param_spec_string ("api-key", "api-key",
      "API key; write-only: never readable, logged or posted", NULL,
      G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  add_string (SETTING (url), "url", "Project, http(s) or ws(s) URL", NULL);
  add_string (SETTING (api_key_file), "api-key-file",
      "File holding the API key", NULL);
  add_field (SETTING (api_key_in_header),
      g_param_spec_boolean ("api-key-in-header", "api-key-in-header",
          "Send the API key in a header, not the URL", FALSE, RW));
  add_string (SETTING (access_token_file), "access-token-file",
      "File holding the access token (JWT), watched", NULL);
  add_string (SETTING (ca_file), "ca-file", "PEM file of trusted CAs", NULL);
  add_field (SETTING (vsn),
      g_param_spec_enum ("vsn", "vsn", "Phoenix serializer version",
          REALTIME_TYPE_VSN, REALTIME_VSN_2_0_0, RW));
  add_uint (SETTING (heartbeat_interval_ms), "heartbeat-interval",
      "Heartbeat interval, ms", 1, G_MAXINT,
      REALTIME_DEFAULT_HEARTBEAT_INTERVAL);
  add_uint (SETTING (heartbeat_timeout_ms), "heartbeat-timeout",
      "Unanswered heartbeat timeout, ms (0: the interval)", 0, G_MAXINT, 0);
  add_uint (SETTING (connect_timeout_ms), "connect-timeout",
      "TCP+TLS+upgrade timeout, ms", 1, G_MAXINT,
      REALTIME_DEFAULT_CONNECT_TIMEOUT);
  add_uint (SETTING (backoff_min_ms), "backoff-min", "Reconnect backoff, ms", 1,
      G_MAXINT, REALTIME_DEFAULT_BACKOFF_MIN);
  add_uint (SETTING (backoff_max_ms), "backoff-max", "Cap of backoff-min, ms",
      1, G_MAXINT, REALTIME_DEFAULT_BACKOFF_MAX);
  add_uint (SETTING (join_timeout_ms), "join-timeout", "Join timeout, ms", 1,
      G_MAXINT, REALTIME_DEFAULT_JOIN_TIMEOUT);
  add_uint (SETTING (max_message_size), "max-message-size",
      "Largest frame accepted, bytes", 1024, 64 * 1024 * 1024,
      REALTIME_DEFAULT_MAX_MESSAGE_SIZE);
  add_string (SELF (channel), "channel", "Channel to join", NULL);
  add_field (SELF (private_channel),
      g_param_spec_boolean ("private", "private", "Join as a private channel",
          FALSE, RW));

  /* The pipeline: PipelineDef, a .pipeline file's [pipeline] group. */
  add_string (DEF (description), "source",
      "Inner source, a bin description (may end in caps)", DEFAULT_SOURCE);
  add_string (SELF (params_file), "params-file",
      "Key file declaring the params of starts", NULL);
  add_uint (DEF (start_timeout_ms), "start-timeout",
      "Start to first buffer, ms", 1, 3600000, def->start_timeout_ms);
  add_uint (DEF (stop_timeout_ms), "stop-timeout", "EOS drain on stop, ms", 1,
      3600000, def->stop_timeout_ms);
  add_uint (DEF (default_ttl_s), "default-ttl",
      "Lease of a start without ttl, s (0: none)", 0, GATEWAY_TTL_MAX_S,
      DEFAULT_TTL_S);
  add_uint (DEF (max_ttl_s), "max-ttl", "Longest lease allowed, s (0: any)", 0,
      GATEWAY_TTL_MAX_S, 0);
  add_field (DEF (restart),
      g_param_spec_enum ("restart", "restart", "Restart a failed source",
          gst_realtime_src_restart_get_type (), PIPELINE_RESTART_NEVER, RW));
  /* Aliases kept for existing launch lines. */
  properties[PROP_RESTART_ON_ERROR] = g_param_spec_boolean ("restart-on-error",
      "restart-on-error", "Alias: true is restart=on-failure", FALSE, RW);
  add_uint (DEF (restart_backoff_min_ms), "restart-delay",
      "Alias of restart-backoff-min", 0, 3600000, def->restart_backoff_min_ms);
  add_uint (DEF (restart_backoff_min_ms), "restart-backoff-min",
      "Restart backoff, ms", 0, 3600000, def->restart_backoff_min_ms);
  add_uint (DEF (restart_backoff_max_ms), "restart-backoff-max",
      "Cap of restart-backoff-min, ms", 1, 3600000,
      def->restart_backoff_max_ms);
  add_uint (DEF (max_restarts), "max-restarts", "Restarts in a row, at most", 0,
      G_MAXINT, def->max_restarts);

  /* The requests: GatewayEventNames, the daemon's [events] group. */
  add_string (SELF (events.start), "start-event", "Start event", events.start);
  add_string (SELF (events.stop), "stop-event", "Stop event", events.stop);
  add_string (SELF (events.renew), "renew-event", "Renew event", events.renew);
  add_string (SELF (events.status), "status-event", "Status event",
      events.status);
  add_string (SELF (events.reply), "reply-event", "Reply event", events.reply);
  add_uint (SELF (send_rate), "send-rate", "Messages per second sent, at most",
      1, SEND_BUDGET_RATE_MAX, SEND_BUDGET_DEFAULT_RATE);
  add_uint (SELF (send_burst), "send-burst", "Of them back to back (<= rate)",
      1, SEND_BUDGET_RATE_MAX, SEND_BUDGET_DEFAULT_BURST);
  add_string (SELF (events.describe), "describe-event", "Describe event",
      events.describe);
  add_string (SELF (events.catalog), "catalog-event", "Describe's answer",
      events.catalog);

  /* While stopped; and the stats (fields: README.md). */
  add_field (SELF (idle),
      g_param_spec_enum ("idle", "idle", "What downstream sees while stopped",
          gst_realtime_src_idle_get_type (), GST_REALTIME_SRC_IDLE_NOTHING,
          RW));
  properties[PROP_IDLE_FRAMERATE]
      = gst_param_spec_fraction ("idle-framerate", "idle-framerate",
          "Rate of the black frames (the negotiated one when lower)", 1, 1000,
          1000, 1, DEFAULT_IDLE_FPS_N, DEFAULT_IDLE_FPS_D, RW);
  properties[PROP_STATS]
      = g_param_spec_boxed ("stats", "stats", "State and counters",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  for (i = 1; i < n_props; i++)
    if (properties[i])
      g_object_class_install_property (gobject_class, i, properties[i]);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Realtime-controlled source", "Source/Video/Network",
      "Runs its inner source between start and stop broadcasts on a "
      "Supabase Realtime channel",
      "realtime-gateway developers");
  element_class->change_state
      = GST_DEBUG_FUNCPTR (gst_realtime_src_change_state);
  element_class->send_event = GST_DEBUG_FUNCPTR (gst_realtime_src_send_event);
  GST_BIN_CLASS (klass)->handle_message
      = GST_DEBUG_FUNCPTR (gst_realtime_src_handle_message);
  gst_type_mark_as_plugin_api (gst_realtime_src_idle_get_type (), 0);
  gst_type_mark_as_plugin_api (gst_realtime_src_restart_get_type (), 0);
}

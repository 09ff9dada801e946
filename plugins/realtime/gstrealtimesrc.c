/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gstrealtimesrc.c: a live source bin whose inner source runs only between
 * "start" and "stop" broadcasts on a Supabase Realtime channel.
 */

/**
 * SECTION:element-realtimesrc
 * @title: realtimesrc
 * @see_also: autovideosrc, proxysrc, videotestsrc
 *
 * realtimesrc joins a Supabase Realtime channel and runs its inner source
 * (the #GstRealtimeSrc:source bin description, by default
 * `videotestsrc is-live=true`) only between a `start` and a `stop`
 * broadcast on that channel. While stopped the inner source is in NULL and
 * out of the bin, so a camera is released; downstream stays linked and
 * PLAYING, and sees nothing (`idle=nothing`) or black frames at the last
 * negotiated caps and a low rate (`idle=black`).
 *
 * The realtime client runs on a thread of the element with its own
 * GMainContext, so no application main loop is needed (gst-launch-1.0 runs
 * none). It connects when the element goes to PAUSED and disconnects when
 * it goes back to READY; that returns promptly even while connecting or
 * waiting to reconnect. A network outage is reported as a warning and never
 * tears the pipeline down: the client reconnects with a capped, jittered
 * backoff and rejoins the channel.
 *
 * ## Requests on the channel
 *
 * The payloads are those of the realtime-gateway daemon, so one dashboard
 * drives both:
 *
 * - `start` `{"pipeline": "cam", "params": {"bitrate": 2500}, "request_id":
 *   "r1", "ttl": 60}`: builds the inner source, applies the params and sets
 *   it to the state of the bin. A start while running with the same params
 *   changes nothing; with other params the source is rebuilt.
 * - `stop` `{"pipeline": "cam", "request_id": "r2"}`
 * - `renew` `{"pipeline": "cam", "ttl": 60}`: extends the lease of a start
 *   that carried a ttl; without a renewal the source stops itself when the
 *   lease runs out ("lease expired").
 * - `status` `{"request_id": "r3"}`
 *
 * The element answers to its own name (`name=cam`) and to requests without
 * a "pipeline" member; requests for other names are ignored, since other
 * injectors may share the channel. The event names of start and stop are
 * properties; renew and status are fixed.
 *
 * Every request is answered with a `pipeline_state` broadcast
 * `{"pipeline", "state", "request_id", "error", "params"}` where state is
 * `starting`, `playing` (at the first buffer out of the inner source),
 * `stopping`, `stopped` or `failed` (bad request or params, a description
 * that does not build, an inner error, no buffer within
 * #GstRealtimeSrc:start-timeout, the inner source ending).
 *
 * ## Params
 *
 * Nothing received is ever pipeline text. Request params are declared in a
 * key file named by #GstRealtimeSrc:params-file, one `[param:NAME]` group
 * each (other groups are ignored, so a daemon `.pipeline` file serves too),
 * bound to a property of a named element of the source description:
 *
 * |[
 * [param:pattern]
 * element=cam
 * property=pattern
 * type=enum
 * values=smpte;ball;snow
 * default=smpte
 * ]|
 *
 * Keys: element, property, type (int, uint, double, boolean, enum, string),
 * min, max, values, pattern, max-length, prefix, suffix, default,
 * description. Values are checked against the declaration and set with the
 * property's own type after parsing; params a request leaves out get their
 * declared default, or the description's own value. A request with an
 * unknown param or a bad value is answered `failed` with the reason, and
 * changes nothing.
 *
 * ## Timing
 *
 * The inner source gets the clock and base time of the bin when it is
 * added, so a live source (v4l2src, `videotestsrc is-live=true`, ...)
 * timestamps its buffers in the running time of the outer pipeline, and
 * timestamps stay continuous across any number of start/stop cycles. A
 * non-live source (one whose GstBaseSrc is not live) starts at zero each
 * time: its source pad gets an offset of the running time at start, so it
 * lines up as well (it runs as fast as downstream takes it). Each start
 * sends a new stream-start, caps and segment; downstream keeps the caps of
 * the last run while stopped, and equal caps on the next start renegotiate
 * nothing.
 *
 * An EOS sent to the element (gst-launch-1.0 -e on Ctrl-C, so that muxers
 * finalise their files) goes downstream through the running source after
 * its last buffer, or at once while stopped; starts are refused after it.
 * The inner source's own EOS never goes downstream: it is a failure.
 *
 * The description's last unlinked source pad is the output; end it with an
 * element (`capsfilter caps=video/x-raw,width=640`), not bare caps, and put
 * no sink in it.
 *
 * ## Messages
 *
 * Element messages on the bus:
 *
 * - `realtime-broadcast`: every broadcast received on the channel:
 *   `event` (string), `payload` (string, the payload as JSON).
 * - `realtime-state`: every change of the connection, the channel or the
 *   inner source: `what` (string: `connection`, `channel`, `source`),
 *   `state` (string: `disconnected`, `connecting`, `connected`; `closed`,
 *   `joining`, `joined`, `errored`, `leaving`; `stopped`, `starting`,
 *   `playing`, `stopping`, `failed`), `reason` (string, may be empty).
 *
 * Warnings (never errors) for realtime trouble (the first failure of a
 * streak of connection attempts or joins) and for inner source errors,
 * which tear the inner source down; it stays down until the next start,
 * or restarts after #GstRealtimeSrc:restart-delay with
 * #GstRealtimeSrc:restart-on-error. A latency message is posted whenever
 * a started source delivers its first buffer.
 *
 * Secrets: the API key and access token come from files
 * (#GstRealtimeSrc:api-key-file, #GstRealtimeSrc:access-token-file; a bare
 * name is looked up in `$CREDENTIALS_DIRECTORY` first). They never appear
 * in logs, messages or #GstRealtimeSrc:stats. The #GstRealtimeSrc:api-key
 * property exists for applications; on a command line it is visible to
 * every user of the machine.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 realtimesrc name=cam url=https://<ref>.supabase.co \
 *     api-key-file=/run/credentials/key channel=robot-7 \
 *     source="v4l2src device=/dev/video0 ! videoconvert" ! \
 *     x264enc tune=zerolatency ! rtph264pay ! udpsink host=10.0.0.2 port=5000
 * ]| Video flows only between `start` and `stop` broadcasts on robot-7.
 * |[
 * gst-launch-1.0 -m realtimesrc url=http://127.0.0.1:4000 channel=demo \
 *     idle=black ! videoconvert ! autovideosink
 * ]| Shows the test pattern while started and black frames while stopped,
 * printing every realtime message.
 */

#include "gstrealtimeelements.h"

#include <gst/base/base.h>
#include <string.h>

#include "params.h"
#include "pipeline-def.h"
#include "realtime-channel.h"
#include "realtime-client.h"
#include "realtime-redact.h"
#include "request.h"
#include "secret-file.h"

GST_DEBUG_CATEGORY_STATIC (gst_realtime_src_debug);
#define GST_CAT_DEFAULT gst_realtime_src_debug

/* --- enums ------------------------------------------------------------- */

typedef enum
{
  GST_REALTIME_SRC_IDLE_NOTHING,
  GST_REALTIME_SRC_IDLE_BLACK,
} GstRealtimeSrcIdle;

#define GST_TYPE_REALTIME_SRC_IDLE (gst_realtime_src_idle_get_type ())
static GType
gst_realtime_src_idle_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { GST_REALTIME_SRC_IDLE_NOTHING,
        "No buffers while stopped; the pipeline stays PLAYING", "nothing" },
    { GST_REALTIME_SRC_IDLE_BLACK,
        "Black frames at the last negotiated caps and the idle framerate",
        "black" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstRealtimeSrcIdle", values));
  return type;
}

/* Our own enum type rather than the client's: a process that links the
 * gateway library itself registers that one. */
typedef enum
{
  GST_REALTIME_SRC_VSN_1_0_0,
  GST_REALTIME_SRC_VSN_2_0_0,
} GstRealtimeSrcVsn;

#define GST_TYPE_REALTIME_SRC_VSN (gst_realtime_src_vsn_get_type ())
static GType
gst_realtime_src_vsn_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { GST_REALTIME_SRC_VSN_1_0_0, "Phoenix serializer 1.0.0 (JSON objects)",
        "1.0.0" },
    { GST_REALTIME_SRC_VSN_2_0_0,
        "Phoenix serializer 2.0.0 (JSON arrays, binary broadcasts)", "2.0.0" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
        g_enum_register_static ("GstRealtimeSrcVsn", values));
  return type;
}

/* The inner source's life, as reported in "pipeline_state". */
typedef enum
{
  RUN_STOPPED,
  RUN_STARTING,
  RUN_PLAYING,
  RUN_STOPPING,
  RUN_FAILED,
} RunState;

static const gchar *
run_state_to_string (RunState state)
{
  switch (state) {
    case RUN_STOPPED:
      return "stopped";
    case RUN_STARTING:
      return "starting";
    case RUN_PLAYING:
      return "playing";
    case RUN_STOPPING:
      return "stopping";
    case RUN_FAILED:
      return "failed";
  }
  return "unknown";
}

/* --- defaults ---------------------------------------------------------- */

#define DEFAULT_URL NULL
#define DEFAULT_API_KEY_FILE NULL
#define DEFAULT_ACCESS_TOKEN_FILE NULL
#define DEFAULT_CA_FILE NULL
#define DEFAULT_CHANNEL NULL
#define DEFAULT_PRIVATE FALSE
#define DEFAULT_VSN GST_REALTIME_SRC_VSN_2_0_0
#define DEFAULT_SOURCE "videotestsrc is-live=true"
#define DEFAULT_PARAMS_FILE NULL
#define DEFAULT_START_EVENT "start"
#define DEFAULT_STOP_EVENT "stop"
#define DEFAULT_HEARTBEAT_INTERVAL REALTIME_DEFAULT_HEARTBEAT_INTERVAL
#define DEFAULT_BACKOFF_MIN REALTIME_DEFAULT_BACKOFF_MIN
#define DEFAULT_BACKOFF_MAX REALTIME_DEFAULT_BACKOFF_MAX
#define DEFAULT_JOIN_TIMEOUT REALTIME_DEFAULT_JOIN_TIMEOUT
#define DEFAULT_MAX_MESSAGE_SIZE REALTIME_DEFAULT_MAX_MESSAGE_SIZE
#define DEFAULT_IDLE GST_REALTIME_SRC_IDLE_NOTHING
#define DEFAULT_IDLE_FPS_N 5
#define DEFAULT_IDLE_FPS_D 1
#define DEFAULT_RESTART_ON_ERROR FALSE
#define DEFAULT_RESTART_DELAY 1000
#define DEFAULT_START_TIMEOUT 10000

/* Restarts after repeated failures back off up to this. */
#define RESTART_DELAY_CAP_MS 30000
/* How long a shutdown waits for the server to confirm the last report. */
#define FAREWELL_TIMEOUT_MS 400
/* Pending callbacks run when the control thread ends, at most this many. */
#define MAX_DRAIN_ITERATIONS 1000

/* The pipeline name used when the element's name is not a valid one. */
#define FALLBACK_PIPELINE_NAME "realtimesrc"

enum
{
  PROP_0,
  PROP_URL,
  PROP_API_KEY,
  PROP_API_KEY_FILE,
  PROP_ACCESS_TOKEN_FILE,
  PROP_CA_FILE,
  PROP_CHANNEL,
  PROP_PRIVATE,
  PROP_VSN,
  PROP_SOURCE,
  PROP_PARAMS_FILE,
  PROP_START_EVENT,
  PROP_STOP_EVENT,
  PROP_HEARTBEAT_INTERVAL,
  PROP_BACKOFF_MIN,
  PROP_BACKOFF_MAX,
  PROP_JOIN_TIMEOUT,
  PROP_MAX_MESSAGE_SIZE,
  PROP_IDLE,
  PROP_IDLE_FRAMERATE,
  PROP_RESTART_ON_ERROR,
  PROP_RESTART_DELAY,
  PROP_START_TIMEOUT,
  PROP_STATS,
};

/* --- structures -------------------------------------------------------- */

/* A snapshot of the properties, taken on READY->PAUSED and immutable until
 * PAUSED->READY frees it, so the control thread reads it without locks. */
typedef struct
{
  gchar *url;
  gchar *api_key; /* secret */
  gchar *access_token; /* secret */
  gchar *ca_file;
  gchar *channel;
  gboolean private_channel;
  RealtimeVsn vsn;
  gchar *source;
  GPtrArray *params; /* GatewayParam* */
  gchar *pipeline_name;
  gchar *start_event;
  gchar *stop_event;
  guint heartbeat_interval;
  guint backoff_min;
  guint backoff_max;
  guint join_timeout;
  guint max_message_size;
  GstRealtimeSrcIdle idle;
  gint idle_fps_n, idle_fps_d;
  gboolean restart_on_error;
  guint restart_delay;
  guint start_timeout;
  /* The secrets and their URL-escaped forms, for redaction. */
  gchar **secrets;
} Config;

/* What the stats property shows. */
typedef struct
{
  RealtimeClientState connection;
  RealtimeChannelState channel;
  RunState source;
  guint reconnects;
  guint joins;
  guint heartbeats;
  guint heartbeat_timeouts;
  gdouble last_rtt_ms;
  guint starts;
  guint stops;
  guint failures;
  guint restarts;
  gchar *last_error;
  /* The first error the inner source posted in this run: more to the
   * point than the fallbacks that follow it. */
  gchar *run_first_error;
} Status;

typedef enum
{
  BRANCH_INNER,
  BRANCH_IDLE,
} BranchKind;

/* Identifies a branch (a child bin feeding the ghost pad) to the code that
 * runs in its streaming threads, which must not read the element's fields. */
typedef struct
{
  BranchKind kind;
  guint generation;
} BranchTag;

typedef struct _Control Control;

#define GST_TYPE_REALTIME_SRC (gst_realtime_src_get_type ())
G_DECLARE_FINAL_TYPE (GstRealtimeSrc, gst_realtime_src, GST, REALTIME_SRC,
    GstBin)

/* The control thread: a GMainContext of its own that drives the realtime
 * client, serves requests and starts and stops the inner source. Everything
 * below @loop is touched on that thread only. */
struct _Control
{
  GstRealtimeSrc *self;
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;

  RealtimeClient *client;
  RealtimeChannel *channel;
  gboolean shutting_down; /* no idle branch any more */
  gboolean connection_trouble; /* warned for the current failure streak */
  gboolean channel_trouble;

  RunState run_state;
  guint next_generation;
  guint live_generation; /* of the running inner source, 0 when none */
  GHashTable *run_params; /* of the current or last run; may be NULL */
  gchar *serving_request_id; /* the request a report answers, or NULL */
  gchar *run_error; /* why the last run failed */
  guint restart_attempt;
  GSource *start_timeout_source;
  GSource *restart_source;
  GSource *lease_source;
};

struct _GstRealtimeSrc
{
  GstBin parent;

  GstPad *srcpad;

  /* Properties, under the object lock. */
  gchar *url;
  gchar *api_key; /* secret: write-only, never logged */
  gchar *api_key_file;
  gchar *access_token_file;
  gchar *ca_file;
  gchar *channel;
  gboolean private_channel;
  GstRealtimeSrcVsn vsn;
  gchar *source;
  gchar *params_file;
  gchar *start_event;
  gchar *stop_event;
  guint heartbeat_interval;
  guint backoff_min;
  guint backoff_max;
  guint join_timeout;
  guint max_message_size;
  GstRealtimeSrcIdle idle;
  gint idle_fps_n, idle_fps_d;
  gboolean restart_on_error;
  guint restart_delay;
  guint start_timeout;

  /* Under the object lock. */
  Status status;

  /* READY->PAUSED to PAUSED->READY. */
  Config *config;
  /* Under the object lock: streaming threads read it to post events. */
  Control *control;

  /* The branches. While the control thread runs only it touches them;
   * change_state does before it starts and after it has been joined. */
  GstElement *inner;
  GstElement *idle_branch;
  gboolean idle_warned;

  /* Atomic: the application sent EOS (gst-launch-1.0 -e on Ctrl-C). From
   * then on the inner source's EOS goes downstream and nothing restarts. */
  gint eos_requested;
};

#define gst_realtime_src_parent_class parent_class
G_DEFINE_TYPE (GstRealtimeSrc, gst_realtime_src, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (realtimesrc, "realtimesrc", GST_RANK_NONE,
    GST_TYPE_REALTIME_SRC);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static GQuark branch_quark;

/* --- small helpers ----------------------------------------------------- */

static void
config_free (Config *cfg)
{
  if (!cfg)
    return;
  g_free (cfg->url);
  gateway_secret_free (cfg->api_key);
  gateway_secret_free (cfg->access_token);
  g_free (cfg->ca_file);
  g_free (cfg->channel);
  g_free (cfg->source);
  g_clear_pointer (&cfg->params, g_ptr_array_unref);
  g_free (cfg->pipeline_name);
  g_free (cfg->start_event);
  g_free (cfg->stop_event);
  if (cfg->secrets) {
    gchar **s;
    for (s = cfg->secrets; *s; s++)
      gateway_secret_free (g_steal_pointer (s));
    g_free (cfg->secrets);
  }
  g_free (cfg);
}

/* Returns @text with every secret of the configuration replaced by "***";
 * everything that leaves the element as text goes through here. */
static gchar *
redact (GstRealtimeSrc *self, const gchar *text)
{
  if (!text)
    return g_strdup ("");
  if (!self->config || !self->config->secrets)
    return g_strdup (text);
  return realtime_redact_text (text,
      (const gchar *const *)self->config->secrets);
}

static void
post_element_message (GstRealtimeSrc *self, GstStructure *s)
{
  gst_element_post_message (GST_ELEMENT_CAST (self),
      gst_message_new_element (GST_OBJECT_CAST (self), s));
}

static void
post_state_message (GstRealtimeSrc *self, const gchar *what, const gchar *state,
    const gchar *reason)
{
  post_element_message (self,
      gst_structure_new ("realtime-state", "what", G_TYPE_STRING, what, "state",
          G_TYPE_STRING, state, "reason", G_TYPE_STRING, reason ? reason : "",
          NULL));
}

static void
set_last_error (GstRealtimeSrc *self, const gchar *reason)
{
  GST_OBJECT_LOCK (self);
  g_free (self->status.last_error);
  self->status.last_error = g_strdup (reason);
  GST_OBJECT_UNLOCK (self);
}

/* Attaches @func to @context; never runs it in the calling thread. */
static void
run_on_context (GMainContext *context, gint priority, GSourceFunc func,
    gpointer data, GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, priority);
  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, context);
  g_source_unref (source);
}

static GSource *
add_timeout (GMainContext *context, guint ms, GSourceFunc func, gpointer data)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, context);
  return source;
}

static void
clear_source (GSource **source)
{
  if (*source) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

/* --- events from streaming threads to the control thread ---------------- */

typedef enum
{
  BRANCH_EVENT_FIRST_BUFFER,
  BRANCH_EVENT_EOS,
  BRANCH_EVENT_ERROR,
} BranchEventKind;

typedef struct
{
  Control *ctl;
  BranchTag tag;
  BranchEventKind kind;
  gchar *reason;
} BranchEvent;

static void
branch_event_free (gpointer data)
{
  BranchEvent *ev = data;

  g_free (ev->reason);
  g_free (ev);
}

static gboolean control_on_branch_event (gpointer data);

/* Called from streaming threads (and from any thread posting a message):
 * hands the event to the control thread, if it runs. The context's last
 * reference is dropped only after the thread was joined, which destroys
 * undispatched events, so @ctl is valid whenever one is dispatched. */
static void
notify_control (GstRealtimeSrc *self, const BranchTag *tag,
    BranchEventKind kind, const gchar *reason)
{
  GMainContext *context = NULL;
  BranchEvent *ev = NULL;

  GST_OBJECT_LOCK (self);
  if (self->control) {
    context = g_main_context_ref (self->control->context);
    ev = g_new0 (BranchEvent, 1);
    ev->ctl = self->control;
  }
  GST_OBJECT_UNLOCK (self);
  if (!context)
    return;

  ev->tag = *tag;
  ev->kind = kind;
  ev->reason = g_strdup (reason);
  run_on_context (context, G_PRIORITY_DEFAULT, control_on_branch_event, ev,
      branch_event_free);
  g_main_context_unref (context);
}

/* Finds which branch of ours @object belongs to. */
static gboolean
find_branch (GstRealtimeSrc *self, GstObject *object, BranchTag *out)
{
  GstObject *cur = object ? gst_object_ref (object) : NULL;

  while (cur) {
    GstObject *parent = gst_object_get_parent (cur);

    if (parent == GST_OBJECT_CAST (self)) {
      BranchTag *tag = g_object_get_qdata (G_OBJECT (cur), branch_quark);

      gst_object_unref (parent);
      gst_object_unref (cur);
      if (!tag)
        return FALSE;
      *out = *tag;
      return TRUE;
    }
    gst_object_unref (cur);
    cur = parent;
  }
  return FALSE;
}

typedef struct
{
  GstRealtimeSrc *self;
  BranchTag tag;
} ProbeData;

static GstPadProbeReturn
first_buffer_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  ProbeData *pd = user_data;

  notify_control (pd->self, &pd->tag, BRANCH_EVENT_FIRST_BUFFER, NULL);
  return GST_PAD_PROBE_REMOVE;
}

/* The inner source ending must not end the outer stream: EOS stays here
 * and the control thread decides what happens next. */
static GstPadProbeReturn
eos_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  ProbeData *pd = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS
      || g_atomic_int_get (&pd->self->eos_requested))
    return GST_PAD_PROBE_OK;
  notify_control (pd->self, &pd->tag, BRANCH_EVENT_EOS, "end of stream");
  return GST_PAD_PROBE_DROP;
}

/* --- branches ---------------------------------------------------------- */

static gboolean
branch_is_live (GstElement *branch)
{
  GstIterator *it = gst_bin_iterate_recurse (GST_BIN (branch));
  GValue item = G_VALUE_INIT;
  gboolean live = TRUE, done = FALSE;

  while (!done) {
    switch (gst_iterator_next (it, &item)) {
      case GST_ITERATOR_OK: {
        GstElement *e = g_value_get_object (&item);

        if (GST_IS_BASE_SRC (e) && !gst_base_src_is_live (GST_BASE_SRC (e)))
          live = FALSE;
        g_value_reset (&item);
        break;
      }
      case GST_ITERATOR_RESYNC:
        live = TRUE;
        gst_iterator_resync (it);
        break;
      default:
        done = TRUE;
        break;
    }
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return live;
}

/* Brings @branch to the state of the bin, again if the bin's target moved
 * meanwhile (a state change of the pipeline racing with a start). */
static gboolean
sync_branch_state (GstRealtimeSrc *self, GstElement *branch)
{
  guint tries;

  for (tries = 0; tries < 3; tries++) {
    GstState target;

    GST_OBJECT_LOCK (self);
    target = GST_STATE_TARGET (self);
    GST_OBJECT_UNLOCK (self);
    if (!gst_element_sync_state_with_parent (branch))
      return FALSE;
    GST_OBJECT_LOCK (self);
    if (GST_STATE_TARGET (self) == target) {
      GST_OBJECT_UNLOCK (self);
      return TRUE;
    }
    GST_OBJECT_UNLOCK (self);
  }
  return TRUE;
}

static void
tag_branch (GstElement *branch, BranchKind kind, guint generation)
{
  BranchTag *tag = g_new0 (BranchTag, 1);

  tag->kind = kind;
  tag->generation = generation;
  g_object_set_qdata_full (G_OBJECT (branch), branch_quark, tag, g_free);
}

/* Adds @branch (a floating or owned bin with a "src" pad) to the bin,
 * points the ghost pad at it and starts it. On failure nothing is left. */
static gboolean
attach_branch (GstRealtimeSrc *self, GstElement *branch, GstElement **slot,
    GError **error)
{
  GstPad *pad = gst_element_get_static_pad (branch, "src");

  *slot = branch;
  if (!gst_bin_add (GST_BIN (self), branch)) {
    *slot = NULL;
    gst_object_unref (pad);
    gst_object_unref (branch);
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PIPELINE,
        "could not add the source to the bin");
    return FALSE;
  }
  if (!gst_ghost_pad_set_target (GST_GHOST_PAD (self->srcpad), pad)) {
    gst_object_unref (pad);
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PIPELINE,
        "could not link the source to the ghost pad");
    goto remove;
  }
  gst_object_unref (pad);
  if (!sync_branch_state (self, branch)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PIPELINE,
        "the source refused to change state");
    goto remove;
  }
  return TRUE;

remove : {
  GstElement *b = g_steal_pointer (slot);

  gst_element_set_state (b, GST_STATE_NULL);
  gst_ghost_pad_set_target (GST_GHOST_PAD (self->srcpad), NULL);
  gst_bin_remove (GST_BIN (self), b);
  gst_object_unref (b);
  return FALSE;
}
}

/* Sets the branch in @slot to NULL (releasing its devices), unlinks and
 * removes it. Never from a streaming thread: NULL joins them. */
static void
remove_branch (GstRealtimeSrc *self, GstElement **slot)
{
  GstElement *branch = g_steal_pointer (slot);
  GstPad *target;

  if (!branch)
    return;
  GST_DEBUG_OBJECT (self, "removing %" GST_PTR_FORMAT, branch);
  gst_element_set_state (branch, GST_STATE_NULL);
  target = gst_ghost_pad_get_target (GST_GHOST_PAD (self->srcpad));
  if (target) {
    if (GST_OBJECT_PARENT (target) == GST_OBJECT_CAST (branch))
      gst_ghost_pad_set_target (GST_GHOST_PAD (self->srcpad), NULL);
    gst_object_unref (target);
  }
  gst_bin_remove (GST_BIN (self), branch);
  gst_object_unref (branch);
}

/* Builds the inner source from the description, with @values (validated
 * request params) and declared defaults applied. */
static GstElement *
build_inner (GstRealtimeSrc *self, GHashTable *values, GError **error)
{
  Config *cfg = self->config;
  g_autoptr (GError) parse_error = NULL;
  GstElement *bin;
  GstPad *pad;
  guint i;

  bin = gst_parse_bin_from_description_full (cfg->source, TRUE, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, &parse_error);
  if (!bin) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PIPELINE,
        "the source description does not build: %s", parse_error->message);
    return NULL;
  }
  gst_object_ref_sink (bin);
  pad = gst_element_get_static_pad (bin, "src");
  if (!pad) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PIPELINE,
        "the source description has no unlinked source pad");
    gst_object_unref (bin);
    return NULL;
  }
  gst_object_unref (pad);

  for (i = 0; i < cfg->params->len; i++) {
    const GatewayParam *param = g_ptr_array_index (cfg->params, i);
    const GValue *value
        = values ? g_hash_table_lookup (values, param->name) : NULL;

    if (!value && param->has_default)
      value = &param->default_value;
    if (value && !gateway_param_apply (param, GST_BIN (bin), value, error)) {
      gst_object_unref (bin);
      return NULL;
    }
  }
  return bin;
}

static ProbeData *
probe_data_new (GstRealtimeSrc *self, BranchKind kind, guint generation)
{
  ProbeData *pd = g_new0 (ProbeData, 1);

  pd->self = self;
  pd->tag.kind = kind;
  pd->tag.generation = generation;
  return pd;
}

/* Builds and starts the inner source. On failure, @retryable says whether
 * trying again may help: a description or params that do not build will
 * not build next time either; a device that refused may come back. */
static gboolean
start_inner (GstRealtimeSrc *self, GHashTable *values, guint generation,
    gboolean *retryable, GError **error)
{
  GstElement *inner;
  GstPad *pad;

  g_return_val_if_fail (self->inner == NULL, FALSE);

  *retryable = FALSE;
  inner = build_inner (self, values, error);
  if (!inner)
    return FALSE;
  *retryable = TRUE;
  gst_object_set_name (GST_OBJECT (inner), "source");
  tag_branch (inner, BRANCH_INNER, generation);

  pad = gst_element_get_static_pad (inner, "src");
  gst_pad_add_probe (pad,
      GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
      first_buffer_probe, probe_data_new (self, BRANCH_INNER, generation),
      g_free);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, eos_probe,
      probe_data_new (self, BRANCH_INNER, generation), g_free);

  /* A live source timestamps in running time already; a non-live one
   * starts at zero, so its running time is moved to now. */
  if (!branch_is_live (inner)) {
    GstClock *clock = gst_element_get_clock (GST_ELEMENT_CAST (self));

    if (clock && GST_STATE (self) == GST_STATE_PLAYING) {
      GstClockTime now = gst_clock_get_time (clock);
      GstClockTime base = gst_element_get_base_time (GST_ELEMENT_CAST (self));

      if (now > base) {
        GST_DEBUG_OBJECT (self, "non-live source: offset %" GST_TIME_FORMAT,
            GST_TIME_ARGS (now - base));
        gst_pad_set_offset (pad, (gint64)(now - base));
      }
    }
    if (clock)
      gst_object_unref (clock);
  }
  gst_object_unref (pad);

  return attach_branch (self, inner, &self->inner, error);
}

static void
stop_inner (GstRealtimeSrc *self)
{
  remove_branch (self, &self->inner);
}

typedef struct
{
  GstCaps *announced; /* the caps downstream negotiated last */
  GstCaps *produced; /* the same at the idle framerate */
} IdleCaps;

static void
idle_caps_free (gpointer data)
{
  IdleCaps *ic = data;

  gst_caps_unref (ic->announced);
  gst_caps_unref (ic->produced);
  g_free (ic);
}

/* The black source runs at a low rate but announces the caps downstream
 * already has, so stopping renegotiates nothing. It is answered about caps
 * here instead of asking downstream, which may insist on the full rate. */
static GstPadProbeReturn
idle_caps_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  IdleCaps *ic = user_data;

  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);

    if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
      gst_event_unref (event);
      GST_PAD_PROBE_INFO_DATA (info) = gst_event_new_caps (ic->announced);
    }
    return GST_PAD_PROBE_OK;
  }
  if (info->type & GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM) {
    GstQuery *query = GST_PAD_PROBE_INFO_QUERY (info);

    switch (GST_QUERY_TYPE (query)) {
      case GST_QUERY_CAPS: {
        GstCaps *filter, *result;

        gst_query_parse_caps (query, &filter);
        result = filter ? gst_caps_intersect_full (filter, ic->produced,
                     GST_CAPS_INTERSECT_FIRST)
                        : gst_caps_ref (ic->produced);
        gst_query_set_caps_result (query, result);
        gst_caps_unref (result);
        return GST_PAD_PROBE_HANDLED;
      }
      case GST_QUERY_ACCEPT_CAPS: {
        GstCaps *caps;

        gst_query_parse_accept_caps (query, &caps);
        gst_query_set_accept_caps_result (query,
            gst_caps_can_intersect (caps, ic->produced));
        return GST_PAD_PROBE_HANDLED;
      }
      default:
        break;
    }
  }
  return GST_PAD_PROBE_OK;
}

static gboolean
caps_are_system_raw_video (const GstCaps *caps)
{
  guint i;

  if (gst_caps_is_empty (caps) || gst_caps_is_any (caps))
    return FALSE;
  for (i = 0; i < gst_caps_get_size (caps); i++) {
    GstCapsFeatures *f = gst_caps_get_features (caps, i);

    if (!gst_structure_has_name (gst_caps_get_structure (caps, i),
            "video/x-raw"))
      return FALSE;
    if (f && !gst_caps_features_is_any (f)
        && !gst_caps_features_is_equal (f,
            GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY))
      return FALSE;
  }
  return TRUE;
}

/* @last at the idle framerate, or no faster than @last already is. */
static GstCaps *
make_idle_caps (const GstCaps *last, gint fps_n, gint fps_d)
{
  GstCaps *caps
      = last ? gst_caps_copy (last) : gst_caps_new_empty_simple ("video/x-raw");
  guint i;

  for (i = 0; i < gst_caps_get_size (caps); i++) {
    GstStructure *s = gst_caps_get_structure (caps, i);
    gint n, d;

    if (gst_structure_get_fraction (s, "framerate", &n, &d) && n > 0
        && gst_util_fraction_compare (n, d, fps_n, fps_d) < 0)
      continue;
    gst_structure_set (s, "framerate", GST_TYPE_FRACTION, fps_n, fps_d, NULL);
  }
  return caps;
}

static void
warn_idle_once (GstRealtimeSrc *self, const gchar *why)
{
  if (self->idle_warned)
    return;
  self->idle_warned = TRUE;
  GST_ELEMENT_WARNING (self, CORE, NEGOTIATION,
      ("idle=black cannot produce black frames: %s", why),
      ("Downstream gets nothing while the source is stopped."));
}

static void
start_idle (GstRealtimeSrc *self)
{
  Config *cfg = self->config;
  g_autoptr (GError) error = NULL;
  GstElementFactory *factory;
  GstElement *bin, *src, *filter;
  GstCaps *last, *produced, *template_caps = NULL;
  GstPad *pad, *ghost;
  gboolean usable;

  if (!cfg || cfg->idle != GST_REALTIME_SRC_IDLE_BLACK || self->idle_branch)
    return;

  last = gst_pad_get_current_caps (self->srcpad);
  if (last && !caps_are_system_raw_video (last)) {
    g_autofree gchar *str = gst_caps_to_string (last);

    warn_idle_once (self, "the source's caps are not raw video in memory");
    GST_DEBUG_OBJECT (self, "no black frames for %s", str);
    gst_caps_unref (last);
    return;
  }
  factory = gst_element_factory_find ("videotestsrc");
  if (!factory) {
    warn_idle_once (self, "videotestsrc (gst-plugins-base) is missing");
    gst_clear_caps (&last);
    return;
  }
  produced = make_idle_caps (last, cfg->idle_fps_n, cfg->idle_fps_d);
  {
    const GList *l;

    for (l = gst_element_factory_get_static_pad_templates (factory); l;
         l = l->next) {
      GstStaticPadTemplate *t = l->data;

      if (t->direction == GST_PAD_SRC)
        template_caps = gst_static_caps_get (&t->static_caps);
    }
  }
  usable = template_caps && gst_caps_can_intersect (produced, template_caps);
  gst_clear_caps (&template_caps);
  gst_object_unref (factory);
  if (!usable) {
    warn_idle_once (self, "videotestsrc cannot produce the source's format");
    gst_caps_unref (produced);
    gst_clear_caps (&last);
    return;
  }

  bin = gst_bin_new ("idle");
  src = gst_element_factory_make ("videotestsrc", NULL);
  filter = gst_element_factory_make ("capsfilter", NULL);
  gst_util_set_object_arg (G_OBJECT (src), "pattern", "black");
  g_object_set (src, "is-live", TRUE, NULL);
  g_object_set (filter, "caps", produced, NULL);
  gst_bin_add_many (GST_BIN (bin), src, filter, NULL);
  gst_element_link (src, filter);
  pad = gst_element_get_static_pad (filter, "src");
  ghost = gst_ghost_pad_new ("src", pad);
  gst_object_unref (pad);
  gst_element_add_pad (bin, ghost);
  if (last) {
    IdleCaps *ic = g_new0 (IdleCaps, 1);

    ic->announced = gst_caps_ref (last);
    ic->produced = gst_caps_ref (produced);
    gst_pad_add_probe (ghost,
        GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM
            | GST_PAD_PROBE_TYPE_QUERY_DOWNSTREAM,
        idle_caps_probe, ic, idle_caps_free);
  }
  gst_caps_unref (produced);
  gst_clear_caps (&last);
  tag_branch (bin, BRANCH_IDLE, 0);
  gst_object_ref_sink (bin);

  if (!attach_branch (self, bin, &self->idle_branch, &error))
    warn_idle_once (self, error->message);
}

static void
stop_idle (GstRealtimeSrc *self)
{
  remove_branch (self, &self->idle_branch);
}

/* --- the ghost pad ----------------------------------------------------- */

/* While nothing feeds the ghost pad it still answers as the live source it
 * is, so downstream's latency query succeeds before the first start. */
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
      GstCaps *filter, *caps;

      gst_query_parse_caps (query, &filter);
      caps = gst_pad_get_pad_template_caps (pad);
      if (filter) {
        GstCaps *tmp
            = gst_caps_intersect_full (filter, caps, GST_CAPS_INTERSECT_FIRST);
        gst_caps_unref (caps);
        caps = tmp;
      }
      gst_query_set_caps_result (query, caps);
      gst_caps_unref (caps);
      return TRUE;
    }
    default:
      return FALSE;
  }
}

/* --- the stats property ------------------------------------------------ */

/* Called with the object lock. */
static GstStructure *
dup_stats (GstRealtimeSrc *self)
{
  const Status *st = &self->status;

  return gst_structure_new ("application/x-realtimesrc-stats",
      "connection-state", G_TYPE_STRING,
      realtime_client_state_to_string (st->connection), "channel-state",
      G_TYPE_STRING, realtime_channel_state_to_string (st->channel),
      "source-state", G_TYPE_STRING, run_state_to_string (st->source),
      "reconnects", G_TYPE_UINT, st->reconnects, "joins", G_TYPE_UINT,
      st->joins, "heartbeats", G_TYPE_UINT, st->heartbeats,
      "heartbeat-timeouts", G_TYPE_UINT, st->heartbeat_timeouts, "last-rtt-ms",
      G_TYPE_DOUBLE, st->last_rtt_ms, "starts", G_TYPE_UINT, st->starts,
      "stops", G_TYPE_UINT, st->stops, "failures", G_TYPE_UINT, st->failures,
      "restarts", G_TYPE_UINT, st->restarts, "last-error", G_TYPE_STRING,
      st->last_error ? st->last_error : "", NULL);
}

static void
reset_status (GstRealtimeSrc *self)
{
  GST_OBJECT_LOCK (self);
  g_free (self->status.last_error);
  g_free (self->status.run_first_error);
  memset (&self->status, 0, sizeof (self->status));
  self->status.connection = REALTIME_CLIENT_STATE_DISCONNECTED;
  self->status.channel = REALTIME_CHANNEL_STATE_CLOSED;
  self->status.source = RUN_STOPPED;
  GST_OBJECT_UNLOCK (self);
}

/* --- control thread: reports ------------------------------------------- */

static void
send_report (Control *ctl, const gchar *state, const gchar *request_id,
    const gchar *error, GHashTable *values)
{
  GstRealtimeSrc *self = ctl->self;
  g_autoptr (JsonNode) params = NULL;
  g_autoptr (JsonNode) payload = NULL;
  g_autofree gchar *safe_error = error ? redact (self, error) : NULL;

  if (!ctl->channel)
    return;
  params = gateway_params_values_to_json (values);
  payload = gateway_state_payload_new (self->config->pipeline_name, state,
      request_id, safe_error, params);
  GST_DEBUG_OBJECT (self, "reporting %s (request %s)", state,
      request_id ? request_id : "none");
  realtime_channel_send_broadcast (ctl->channel, "pipeline_state", payload,
      NULL, NULL, NULL);
}

/* A report on the source, with the params of its current or last run. */
static void
control_send_state (Control *ctl, const gchar *state, const gchar *request_id,
    const gchar *error)
{
  send_report (ctl, state, request_id, error, ctl->run_params);
}

/* A request refused: "failed" with the reason, and no params, since it
 * changed nothing. */
static void
control_send_rejection (Control *ctl, const gchar *request_id,
    const gchar *error)
{
  send_report (ctl, "failed", request_id, error, NULL);
}

/* The one place the source's state changes: logs, updates the stats,
 * posts a message and reports on the channel. */
static void
control_set_run_state (Control *ctl, RunState state, const gchar *reason)
{
  GstRealtimeSrc *self = ctl->self;
  g_autofree gchar *safe = redact (self, reason);

  GST_INFO_OBJECT (self, "source: %s -> %s%s%s",
      run_state_to_string (ctl->run_state), run_state_to_string (state),
      *safe ? ": " : "", safe);
  ctl->run_state = state;
  GST_OBJECT_LOCK (self);
  self->status.source = state;
  GST_OBJECT_UNLOCK (self);
  post_state_message (self, "source", run_state_to_string (state), safe);
  control_send_state (ctl, run_state_to_string (state), ctl->serving_request_id,
      reason);
}

static void
control_set_serving (Control *ctl, const gchar *request_id)
{
  g_free (ctl->serving_request_id);
  ctl->serving_request_id = g_strdup (request_id);
}

/* --- control thread: running the inner source -------------------------- */

static gboolean control_on_start_timeout (gpointer data);
static gboolean control_on_restart (gpointer data);
static gboolean control_on_lease_expired (gpointer data);

static void
control_set_lease (Control *ctl, gint64 ttl_s)
{
  if (ttl_s <= 0)
    return;
  clear_source (&ctl->lease_source);
  ctl->lease_source = add_timeout (ctl->context, (guint)(ttl_s * 1000),
      control_on_lease_expired, ctl);
}

static gboolean
is_running (Control *ctl)
{
  return ctl->run_state == RUN_STARTING || ctl->run_state == RUN_PLAYING;
}

/* Tears the inner source down and shows the idle branch instead. After
 * an EOS from the application, the EOS takes its place: the source may
 * have gone before passing it on. */
static void
control_teardown (Control *ctl)
{
  GstRealtimeSrc *self = ctl->self;

  clear_source (&ctl->start_timeout_source);
  ctl->live_generation = 0;
  stop_inner (self);
  if (g_atomic_int_get (&self->eos_requested))
    gst_pad_push_event (self->srcpad, gst_event_new_eos ());
  else if (!ctl->shutting_down)
    start_idle (self);
}

static void
control_fail (Control *ctl, const gchar *reason, gboolean may_restart)
{
  GstRealtimeSrc *self = ctl->self;
  Config *cfg = self->config;

  control_teardown (ctl);
  g_free (ctl->run_error);
  ctl->run_error = g_strdup (reason);
  set_last_error (self, reason);
  GST_OBJECT_LOCK (self);
  self->status.failures++;
  GST_OBJECT_UNLOCK (self);
  control_set_run_state (ctl, RUN_FAILED, reason);
  control_set_serving (ctl, NULL);

  if (may_restart && cfg->restart_on_error) {
    guint shift = MIN (ctl->restart_attempt, 16);
    guint64 delay = (guint64)cfg->restart_delay << shift;

    delay = MIN (delay, MAX (RESTART_DELAY_CAP_MS, cfg->restart_delay));
    ctl->restart_attempt++;
    GST_INFO_OBJECT (self,
        "restarting the source in %" G_GUINT64_FORMAT " ms (attempt %u)", delay,
        ctl->restart_attempt);
    clear_source (&ctl->restart_source);
    ctl->restart_source
        = add_timeout (ctl->context, (guint)delay, control_on_restart, ctl);
  } else {
    /* Nothing will run again until a start: no lease to expire. */
    clear_source (&ctl->lease_source);
  }
}

/* Starts a run with @values (taken; may be NULL). */
static void
control_run (Control *ctl, GHashTable *values)
{
  GstRealtimeSrc *self = ctl->self;
  Config *cfg = self->config;
  g_autoptr (GError) error = NULL;
  guint generation;
  gboolean retryable;

  if (ctl->run_params != values) {
    g_clear_pointer (&ctl->run_params, g_hash_table_unref);
    ctl->run_params = values;
  }
  g_clear_pointer (&ctl->run_error, g_free);
  control_set_run_state (ctl, RUN_STARTING, NULL);

  stop_idle (self);
  generation = ++ctl->next_generation;
  GST_OBJECT_LOCK (self);
  g_clear_pointer (&self->status.run_first_error, g_free);
  GST_OBJECT_UNLOCK (self);
  if (!start_inner (self, ctl->run_params, generation, &retryable, &error)) {
    g_autofree gchar *reason = NULL;

    /* An error message the source posted says more than a refused state
     * change. */
    GST_OBJECT_LOCK (self);
    if (self->status.run_first_error)
      reason = g_strdup_printf ("%s (%s)", error->message,
          self->status.run_first_error);
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "start failed: %s",
        reason ? reason : error->message);
    control_fail (ctl, reason ? reason : error->message, retryable);
    return;
  }
  ctl->live_generation = generation;
  if (cfg->start_timeout > 0)
    ctl->start_timeout_source = add_timeout (ctl->context, cfg->start_timeout,
        control_on_start_timeout, ctl);
}

static void
control_stop_run (Control *ctl, const gchar *reason)
{
  GstRealtimeSrc *self = ctl->self;

  clear_source (&ctl->restart_source);
  clear_source (&ctl->lease_source);
  ctl->restart_attempt = 0;
  if (ctl->run_state == RUN_STOPPED) {
    control_send_state (ctl, "stopped", ctl->serving_request_id, reason);
    return;
  }
  if (!is_running (ctl)) {
    /* Failed, perhaps waiting to restart: nothing runs, it just stops. */
    control_set_run_state (ctl, RUN_STOPPED, reason);
    return;
  }
  control_set_run_state (ctl, RUN_STOPPING, reason);
  control_teardown (ctl);
  GST_OBJECT_LOCK (self);
  self->status.stops++;
  GST_OBJECT_UNLOCK (self);
  control_set_run_state (ctl, RUN_STOPPED, reason);
}

static gboolean
control_on_start_timeout (gpointer data)
{
  Control *ctl = data;
  g_autofree gchar *reason
      = g_strdup_printf ("no buffer within %u ms of the start",
          ctl->self->config->start_timeout);

  g_clear_pointer (&ctl->start_timeout_source, g_source_unref);
  GST_WARNING_OBJECT (ctl->self, "%s", reason);
  GST_ELEMENT_WARNING (ctl->self, RESOURCE, READ, ("%s", reason),
      ("The source was torn down."));
  control_fail (ctl, reason, TRUE);
  return G_SOURCE_REMOVE;
}

static gboolean
control_on_restart (gpointer data)
{
  Control *ctl = data;
  GstRealtimeSrc *self = ctl->self;

  g_clear_pointer (&ctl->restart_source, g_source_unref);
  if (g_atomic_int_get (&self->eos_requested))
    return G_SOURCE_REMOVE;
  GST_OBJECT_LOCK (self);
  self->status.restarts++;
  GST_OBJECT_UNLOCK (self);
  control_set_serving (ctl, NULL);
  control_run (ctl, ctl->run_params);
  return G_SOURCE_REMOVE;
}

static gboolean
control_on_lease_expired (gpointer data)
{
  Control *ctl = data;

  g_clear_pointer (&ctl->lease_source, g_source_unref);
  GST_INFO_OBJECT (ctl->self, "the lease expired");
  control_set_serving (ctl, NULL);
  control_stop_run (ctl, "lease expired");
  return G_SOURCE_REMOVE;
}

static gboolean
control_on_branch_event (gpointer data)
{
  BranchEvent *ev = data;
  Control *ctl = ev->ctl;
  GstRealtimeSrc *self = ctl->self;

  if (ev->tag.kind == BRANCH_IDLE) {
    /* Black frames failed (downstream refused them): do without. */
    if (ev->kind == BRANCH_EVENT_ERROR && self->idle_branch) {
      stop_idle (self);
      warn_idle_once (self, ev->reason);
    }
    return G_SOURCE_REMOVE;
  }
  if (ev->tag.generation != ctl->live_generation || !is_running (ctl))
    return G_SOURCE_REMOVE;

  switch (ev->kind) {
    case BRANCH_EVENT_FIRST_BUFFER:
      if (ctl->run_state != RUN_STARTING)
        break;
      clear_source (&ctl->start_timeout_source);
      ctl->restart_attempt = 0;
      GST_OBJECT_LOCK (self);
      self->status.starts++;
      GST_OBJECT_UNLOCK (self);
      control_set_run_state (ctl, RUN_PLAYING, NULL);
      control_set_serving (ctl, NULL);
      /* The new source may add latency the pipeline has not seen yet. */
      gst_element_post_message (GST_ELEMENT_CAST (self),
          gst_message_new_latency (GST_OBJECT_CAST (self)));
      break;
    case BRANCH_EVENT_EOS:
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
          ("The source ended (end of stream)"), ("The source was torn down."));
      control_fail (ctl, "the source ended (end of stream)", TRUE);
      break;
    case BRANCH_EVENT_ERROR:
      control_fail (ctl, ev->reason, TRUE);
      break;
  }
  return G_SOURCE_REMOVE;
}

/* --- control thread: requests ------------------------------------------ */

/* A request without "pipeline" is for us: a copy of @payload naming us. */
static JsonNode *
address_payload (JsonNode *payload, const gchar *name)
{
  JsonObject *in, *out;
  JsonNode *node, *member;
  GList *members, *l;

  if (!payload || !JSON_NODE_HOLDS_OBJECT (payload))
    return payload ? json_node_ref (payload) : NULL;
  in = json_node_get_object (payload);
  member = json_object_get_member (in, "pipeline");
  if (member && !JSON_NODE_HOLDS_NULL (member))
    return json_node_ref (payload);

  out = json_object_new ();
  members = json_object_get_members (in);
  for (l = members; l; l = l->next)
    json_object_set_member (out, l->data,
        json_node_copy (json_object_get_member (in, l->data)));
  g_list_free (members);
  json_object_set_string_member (out, "pipeline", name);
  node = json_node_init_object (json_node_alloc (), out);
  json_object_unref (out);
  return node;
}

static void
control_handle_start (Control *ctl, GatewayRequest *req)
{
  GstRealtimeSrc *self = ctl->self;
  g_autoptr (GError) error = NULL;
  GHashTable *values;

  if (g_atomic_int_get (&self->eos_requested)) {
    control_send_rejection (ctl, req->request_id,
        "the pipeline is ending (end of stream)");
    return;
  }
  values = gateway_params_validate_request (self->config->params, req->params,
      &error);
  if (!values) {
    GST_INFO_OBJECT (self, "start rejected: %s", error->message);
    set_last_error (self, error->message);
    control_send_rejection (ctl, req->request_id, error->message);
    return;
  }
  if (is_running (ctl) && ctl->run_params
      && gateway_params_values_equal (values, ctl->run_params)) {
    g_hash_table_unref (values);
    control_set_lease (ctl, req->ttl_s);
    control_send_state (ctl, run_state_to_string (ctl->run_state),
        req->request_id, NULL);
    return;
  }
  clear_source (&ctl->restart_source);
  clear_source (&ctl->lease_source);
  ctl->restart_attempt = 0;
  if (is_running (ctl)) {
    GST_INFO_OBJECT (self, "restarting the source with other params");
    control_teardown (ctl);
  }
  control_set_serving (ctl, req->request_id);
  control_set_lease (ctl, req->ttl_s);
  control_run (ctl, values);
}

static void
control_handle_request (Control *ctl, GatewayRequestKind kind,
    JsonNode *payload)
{
  GstRealtimeSrc *self = ctl->self;
  const gchar *name = self->config->pipeline_name;
  g_autoptr (JsonNode) addressed = NULL;
  g_autoptr (GatewayRequest) req = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *request_id = NULL;

  addressed = kind == GATEWAY_REQUEST_STATUS ? json_node_ref (payload)
                                             : address_payload (payload, name);
  req = gateway_request_parse (kind, addressed, &request_id, &error);
  if (!req) {
    GST_INFO_OBJECT (self, "%s request rejected: %s",
        gateway_request_kind_to_string (kind), error->message);
    control_send_rejection (ctl, request_id, error->message);
    return;
  }
  if (req->pipeline && strcmp (req->pipeline, name) != 0) {
    GST_DEBUG_OBJECT (self, "%s request for another pipeline, ignored",
        gateway_request_kind_to_string (kind));
    return;
  }
  GST_INFO_OBJECT (self, "%s request (request_id %s)",
      gateway_request_kind_to_string (kind),
      req->request_id ? req->request_id : "none");

  switch (kind) {
    case GATEWAY_REQUEST_START:
      control_handle_start (ctl, req);
      break;
    case GATEWAY_REQUEST_STOP:
      control_set_serving (ctl, req->request_id);
      control_stop_run (ctl, NULL);
      control_set_serving (ctl, NULL);
      break;
    case GATEWAY_REQUEST_RENEW:
      if (is_running (ctl) && ctl->lease_source) {
        control_set_lease (ctl, req->ttl_s);
        control_send_state (ctl, run_state_to_string (ctl->run_state),
            req->request_id, NULL);
      } else {
        control_send_rejection (ctl, req->request_id,
            is_running (ctl) ? "the source runs without a lease"
                             : "the source is not running");
      }
      break;
    case GATEWAY_REQUEST_STATUS:
      control_send_state (ctl, run_state_to_string (ctl->run_state),
          req->request_id,
          ctl->run_state == RUN_FAILED ? ctl->run_error : NULL);
      break;
  }
}

/* --- control thread: the realtime client ------------------------------- */

static void
on_broadcast (RealtimeChannel *channel, const gchar *event, JsonNode *payload,
    gpointer user_data)
{
  Control *ctl = user_data;
  Config *cfg = ctl->self->config;
  g_autofree gchar *json = json_to_string (payload, FALSE);

  post_element_message (ctl->self,
      gst_structure_new ("realtime-broadcast", "event", G_TYPE_STRING, event,
          "payload", G_TYPE_STRING, json, NULL));

  if (g_strcmp0 (event, cfg->start_event) == 0)
    control_handle_request (ctl, GATEWAY_REQUEST_START, payload);
  else if (g_strcmp0 (event, cfg->stop_event) == 0)
    control_handle_request (ctl, GATEWAY_REQUEST_STOP, payload);
  else if (g_strcmp0 (event, "renew") == 0)
    control_handle_request (ctl, GATEWAY_REQUEST_RENEW, payload);
  else if (g_strcmp0 (event, "status") == 0)
    control_handle_request (ctl, GATEWAY_REQUEST_STATUS, payload);
}

static void
update_client_stats (Control *ctl)
{
  GstRealtimeSrc *self = ctl->self;
  RealtimeClientStats cs;
  guint joins = 0;

  realtime_client_get_stats (ctl->client, &cs);
  g_object_get (ctl->channel, "joins", &joins, NULL);
  GST_OBJECT_LOCK (self);
  self->status.reconnects = cs.reconnects;
  self->status.heartbeats = cs.heartbeats_ok;
  self->status.heartbeat_timeouts = cs.heartbeat_timeouts;
  self->status.last_rtt_ms = cs.last_rtt_ms;
  self->status.joins = joins;
  GST_OBJECT_UNLOCK (self);
}

static void
on_client_state_changed (RealtimeClient *client, RealtimeClientState state,
    const gchar *reason, gpointer user_data)
{
  Control *ctl = user_data;
  GstRealtimeSrc *self = ctl->self;
  g_autofree gchar *safe = redact (self, reason);

  GST_INFO_OBJECT (self, "connection %s (%s)",
      realtime_client_state_to_string (state), safe);
  GST_OBJECT_LOCK (self);
  self->status.connection = state;
  GST_OBJECT_UNLOCK (self);
  update_client_stats (ctl);
  post_state_message (self, "connection",
      realtime_client_state_to_string (state), safe);

  if (state == REALTIME_CLIENT_STATE_CONNECTED) {
    ctl->connection_trouble = FALSE;
  } else if (state == REALTIME_CLIENT_STATE_DISCONNECTED
      && !ctl->connection_trouble) {
    /* Once per streak of failed attempts: the messages tell the rest. */
    ctl->connection_trouble = TRUE;
    set_last_error (self, safe);
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("Realtime connection lost or refused: %s", safe),
        ("Reconnecting with backoff; video keeps flowing."));
  }
}

static void
on_channel_state_changed (RealtimeChannel *channel, RealtimeChannelState state,
    const gchar *reason, gpointer user_data)
{
  Control *ctl = user_data;
  GstRealtimeSrc *self = ctl->self;
  g_autofree gchar *safe = redact (self, reason);

  GST_INFO_OBJECT (self, "channel %s (%s)",
      realtime_channel_state_to_string (state), safe);
  GST_OBJECT_LOCK (self);
  self->status.channel = state;
  GST_OBJECT_UNLOCK (self);
  update_client_stats (ctl);
  post_state_message (self, "channel", realtime_channel_state_to_string (state),
      safe);

  if (state == REALTIME_CHANNEL_STATE_JOINED) {
    ctl->channel_trouble = FALSE;
  } else if (state == REALTIME_CHANNEL_STATE_ERRORED && !ctl->channel_trouble) {
    ctl->channel_trouble = TRUE;
    set_last_error (self, safe);
    GST_ELEMENT_WARNING (self, RESOURCE, READ,
        ("Could not join realtime channel %s: %s", self->config->channel, safe),
        ("Rejoining with backoff."));
  }
}

static void
on_heartbeat (RealtimeClient *client, RealtimeHeartbeatStatus status,
    gdouble rtt_ms, gpointer user_data)
{
  Control *ctl = user_data;

  if (status != REALTIME_HEARTBEAT_SENT)
    update_client_stats (ctl);
}

static void
control_connect (Control *ctl)
{
  Config *cfg = ctl->self->config;

  ctl->client = g_object_new (REALTIME_TYPE_CLIENT, "url", cfg->url, "api-key",
      cfg->api_key, "vsn", cfg->vsn, "ca-file", cfg->ca_file,
      "heartbeat-interval", cfg->heartbeat_interval, "join-timeout",
      cfg->join_timeout, "backoff-min", cfg->backoff_min, "backoff-max",
      cfg->backoff_max, "max-message-size", cfg->max_message_size, NULL);
  if (cfg->access_token)
    realtime_client_set_access_token (ctl->client, cfg->access_token);
  ctl->channel = realtime_client_channel (ctl->client, cfg->channel);
  g_object_set (ctl->channel, "private", cfg->private_channel, NULL);

  g_signal_connect (ctl->client, "state-changed",
      G_CALLBACK (on_client_state_changed), ctl);
  g_signal_connect (ctl->client, "heartbeat", G_CALLBACK (on_heartbeat), ctl);
  g_signal_connect (ctl->channel, "state-changed",
      G_CALLBACK (on_channel_state_changed), ctl);
  g_signal_connect (ctl->channel, "broadcast", G_CALLBACK (on_broadcast), ctl);

  realtime_channel_subscribe (ctl->channel);
  realtime_client_connect (ctl->client);
}

static void
control_disconnect (Control *ctl)
{
  clear_source (&ctl->start_timeout_source);
  clear_source (&ctl->restart_source);
  clear_source (&ctl->lease_source);
  g_signal_handlers_disconnect_by_data (ctl->channel, ctl);
  g_signal_handlers_disconnect_by_data (ctl->client, ctl);
  realtime_client_disconnect (ctl->client);
  /* The channel belongs to the client and goes with it. */
  ctl->channel = NULL;
  g_clear_object (&ctl->client);
}

typedef struct
{
  guint answers;
  gboolean timed_out;
} Farewell;

static void
on_farewell_heartbeat (RealtimeClient *client, RealtimeHeartbeatStatus status,
    gdouble rtt_ms, gpointer user_data)
{
  Farewell *fw = user_data;

  if (status == REALTIME_HEARTBEAT_OK) {
    fw->answers++;
    /* The answer may be to a heartbeat sent before the report. */
    realtime_client_heartbeat_now (client);
  }
}

static gboolean
on_farewell_timeout (gpointer data)
{
  ((Farewell *)data)->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Shutting down while the source runs: stop it here and tell the channel,
 * so that a dashboard does not show it playing forever. The report is
 * only queued on the socket; two heartbeat answers after it prove that the
 * server read it, waited for at most FAREWELL_TIMEOUT_MS. */
static void
control_farewell (Control *ctl)
{
  Farewell fw = { 0 };
  GSource *timeout;
  gulong id;

  ctl->shutting_down = TRUE;
  if (!is_running (ctl) && !ctl->restart_source)
    return;
  control_set_serving (ctl, NULL);
  control_stop_run (ctl, "realtimesrc shut down");
  if (realtime_channel_get_state (ctl->channel)
      != REALTIME_CHANNEL_STATE_JOINED)
    return;

  id = g_signal_connect (ctl->client, "heartbeat",
      G_CALLBACK (on_farewell_heartbeat), &fw);
  timeout = add_timeout (ctl->context, FAREWELL_TIMEOUT_MS, on_farewell_timeout,
      &fw);
  realtime_client_heartbeat_now (ctl->client);
  while (fw.answers < 2 && !fw.timed_out)
    g_main_context_iteration (ctl->context, TRUE);
  clear_source (&timeout);
  g_signal_handler_disconnect (ctl->client, id);
  GST_DEBUG_OBJECT (ctl->self, "farewell %s",
      fw.answers >= 2 ? "delivered" : "not confirmed in time");
}

static gpointer
control_thread (gpointer data)
{
  Control *ctl = data;
  guint i;

  /* Everything the client creates attaches to this context. */
  g_main_context_push_thread_default (ctl->context);
  control_connect (ctl);
  g_main_loop_run (ctl->loop);
  control_farewell (ctl);
  control_disconnect (ctl);
  /* Let cancelled operations finish so that nothing they hold leaks. */
  for (i = 0; i < MAX_DRAIN_ITERATIONS; i++)
    if (!g_main_context_iteration (ctl->context, FALSE))
      break;
  g_main_context_pop_thread_default (ctl->context);
  return NULL;
}

static gboolean
quit_loop (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

static gboolean
control_start (GstRealtimeSrc *self)
{
  g_autoptr (GError) error = NULL;
  Control *ctl = g_new0 (Control, 1);

  ctl->self = self;
  ctl->context = g_main_context_new ();
  ctl->loop = g_main_loop_new (ctl->context, FALSE);
  ctl->run_state = RUN_STOPPED;
  GST_OBJECT_LOCK (self);
  self->control = ctl;
  GST_OBJECT_UNLOCK (self);

  ctl->thread = g_thread_try_new ("realtimesrc", control_thread, ctl, &error);
  if (!ctl->thread) {
    GST_OBJECT_LOCK (self);
    self->control = NULL;
    GST_OBJECT_UNLOCK (self);
    g_main_loop_unref (ctl->loop);
    g_main_context_unref (ctl->context);
    g_free (ctl);
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Could not start the realtime thread"), ("%s", error->message));
    return FALSE;
  }
  return TRUE;
}

/* Quits the control thread's loop and joins it. Bounded: the client
 * cancels what it has under way when it goes away. */
static void
control_stop (GstRealtimeSrc *self)
{
  Control *ctl;

  GST_OBJECT_LOCK (self);
  ctl = g_steal_pointer (&self->control);
  GST_OBJECT_UNLOCK (self);
  if (!ctl)
    return;

  run_on_context (ctl->context, G_PRIORITY_HIGH, quit_loop,
      g_main_loop_ref (ctl->loop), (GDestroyNotify)g_main_loop_unref);
  g_thread_join (ctl->thread);
  GST_DEBUG_OBJECT (self, "realtime thread joined");

  g_main_loop_unref (ctl->loop);
  /* Destroys events posted after the loop ended, undispatched. */
  g_main_context_unref (ctl->context);
  g_clear_pointer (&ctl->run_params, g_hash_table_unref);
  g_free (ctl->serving_request_id);
  g_free (ctl->run_error);
  g_free (ctl);
}

/* --- configuration (READY->PAUSED) ------------------------------------- */

static GPtrArray *
load_params (const gchar *path, GError **error)
{
  g_autoptr (GPtrArray) params
      = g_ptr_array_new_with_free_func ((GDestroyNotify)gateway_param_free);
  g_autoptr (GKeyFile) kf = NULL;
  g_auto (GStrv) groups = NULL;
  g_autoptr (GError) local = NULL;
  guint i;

  if (!path)
    return g_steal_pointer (&params);
  kf = g_key_file_new ();
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &local)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_CONFIG,
        "params-file %s: %s", path, local->message);
    return NULL;
  }
  groups = g_key_file_get_groups (kf, NULL);
  for (i = 0; groups[i]; i++) {
    GatewayParam *param;

    if (!g_str_has_prefix (groups[i], "param:"))
      continue;
    param = gateway_param_new_from_key_file (kf, groups[i], &local);
    if (!param) {
      g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_CONFIG,
          "params-file %s: %s", path, local->message);
      return NULL;
    }
    g_ptr_array_add (params, param);
  }
  return g_steal_pointer (&params);
}

/* Parses the description once, so that a typo fails the state change
 * instead of every start, and checks every param's target. */
static gboolean
check_source (Config *cfg, GError **error)
{
  g_autoptr (GError) local = NULL;
  GstElement *bin;
  GstPad *pad;
  guint i;

  bin = gst_parse_bin_from_description_full (cfg->source, TRUE, NULL,
      GST_PARSE_FLAG_FATAL_ERRORS, &local);
  if (!bin) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_CONFIG,
        "source \"%s\" does not build: %s", cfg->source, local->message);
    return FALSE;
  }
  gst_object_ref_sink (bin);
  pad = gst_element_get_static_pad (bin, "src");
  if (!pad) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_CONFIG,
        "source \"%s\" has no unlinked source pad", cfg->source);
    gst_object_unref (bin);
    return FALSE;
  }
  gst_object_unref (pad);
  for (i = 0; i < cfg->params->len; i++) {
    if (!gateway_param_check_target (g_ptr_array_index (cfg->params, i),
            GST_BIN (bin), &local)) {
      g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_CONFIG,
          "params-file: %s", local->message);
      gst_object_unref (bin);
      return FALSE;
    }
  }
  gst_object_unref (bin);
  return TRUE;
}

static void
add_secret (GPtrArray *secrets, const gchar *secret)
{
  gchar *escaped;

  if (!secret || !*secret)
    return;
  g_ptr_array_add (secrets, g_strdup (secret));
  escaped = g_uri_escape_string (secret, NULL, FALSE);
  if (strcmp (escaped, secret) != 0)
    g_ptr_array_add (secrets, escaped);
  else
    gateway_secret_free (escaped);
}

static RealtimeVsn
to_realtime_vsn (GstRealtimeSrcVsn vsn)
{
  return vsn == GST_REALTIME_SRC_VSN_1_0_0 ? REALTIME_VSN_1_0_0
                                           : REALTIME_VSN_2_0_0;
}

/* Takes the snapshot of the properties the run uses and checks it; on
 * failure posts an error and returns FALSE. */
static gboolean
gst_realtime_src_configure (GstRealtimeSrc *self)
{
  Config *cfg = g_new0 (Config, 1);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *api_key_file = NULL, *token_file = NULL;
  g_autofree gchar *params_file = NULL, *ws_url = NULL;
  g_autofree gchar *name = NULL;
  GPtrArray *secrets;
  gboolean both_keys;

  GST_OBJECT_LOCK (self);
  cfg->url = g_strdup (self->url);
  cfg->api_key = g_strdup (self->api_key);
  api_key_file = g_strdup (self->api_key_file);
  token_file = g_strdup (self->access_token_file);
  cfg->ca_file = g_strdup (self->ca_file);
  cfg->channel = g_strdup (self->channel);
  cfg->private_channel = self->private_channel;
  cfg->vsn = to_realtime_vsn (self->vsn);
  cfg->source = g_strdup (self->source);
  params_file = g_strdup (self->params_file);
  cfg->start_event = g_strdup (self->start_event);
  cfg->stop_event = g_strdup (self->stop_event);
  cfg->heartbeat_interval = self->heartbeat_interval;
  cfg->backoff_min = self->backoff_min;
  cfg->backoff_max = MAX (self->backoff_max, self->backoff_min);
  cfg->join_timeout = self->join_timeout;
  cfg->max_message_size = self->max_message_size;
  cfg->idle = self->idle;
  cfg->idle_fps_n = self->idle_fps_n;
  cfg->idle_fps_d = self->idle_fps_d;
  cfg->restart_on_error = self->restart_on_error;
  cfg->restart_delay = self->restart_delay;
  cfg->start_timeout = self->start_timeout;
  GST_OBJECT_UNLOCK (self);

  name = gst_object_get_name (GST_OBJECT (self));
  cfg->pipeline_name = pipeline_def_name_is_valid (name)
      ? g_strdup (name)
      : g_strdup (FALLBACK_PIPELINE_NAME);

  if (!cfg->url || !*cfg->url) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("No url set"),
        ("Set url to the Supabase project URL or a ws(s):// URL."));
    goto fail;
  }
  if (!cfg->channel || !*cfg->channel) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("No channel set"), (NULL));
    goto fail;
  }
  both_keys = cfg->api_key && api_key_file;
  if (both_keys) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Both api-key and api-key-file are set"), ("Set only one."));
    goto fail;
  }
  if (api_key_file) {
    cfg->api_key = gateway_secret_file_read (api_key_file, &error);
    if (!cfg->api_key) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Cannot read api-key-file"), ("%s", error->message));
      goto fail;
    }
  }
  if (token_file) {
    cfg->access_token = gateway_secret_file_read (token_file, &error);
    if (!cfg->access_token) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Cannot read access-token-file"), ("%s", error->message));
      goto fail;
    }
  }
  secrets = g_ptr_array_new ();
  add_secret (secrets, cfg->api_key);
  add_secret (secrets, cfg->access_token);
  g_ptr_array_add (secrets, NULL);
  cfg->secrets = (gchar **)g_ptr_array_free (secrets, FALSE);

  /* The URL alone: a key must never end up in this error. */
  ws_url = realtime_build_websocket_url (cfg->url, cfg->vsn, NULL, &error);
  if (!ws_url) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("Unusable url"),
        ("%s", error->message));
    goto fail;
  }

  cfg->params = load_params (params_file, &error);
  if (!cfg->params || !check_source (cfg, &error)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Unusable source or params-file"), ("%s", error->message));
    goto fail;
  }

  self->config = cfg;
  self->idle_warned = FALSE;
  g_atomic_int_set (&self->eos_requested, 0);
  reset_status (self);
  {
    g_autofree gchar *safe = realtime_redact_url (cfg->url);

    GST_INFO_OBJECT (self,
        "configured: %s channel %s, pipeline name %s, "
        "%u param(s)",
        safe, cfg->channel, cfg->pipeline_name, cfg->params->len);
  }
  return TRUE;

fail:
  config_free (cfg);
  return FALSE;
}

/* --- GstElement -------------------------------------------------------- */

static GstStateChangeReturn
gst_realtime_src_change_state (GstElement *element, GstStateChange transition)
{
  GstRealtimeSrc *self = GST_REALTIME_SRC (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!gst_realtime_src_configure (self))
        return GST_STATE_CHANGE_FAILURE;
      start_idle (self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* First, so that nothing adds a branch while the bin goes down. */
      control_stop (self);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    if (transition == GST_STATE_CHANGE_READY_TO_PAUSED) {
      stop_idle (self);
      g_clear_pointer (&self->config, config_free);
    }
    return ret;
  }

  switch (transition) {
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!control_start (self)) {
        stop_idle (self);
        g_clear_pointer (&self->config, config_free);
        return GST_STATE_CHANGE_FAILURE;
      }
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      ret = GST_STATE_CHANGE_NO_PREROLL;
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      stop_inner (self);
      stop_idle (self);
      g_clear_pointer (&self->config, config_free);
      GST_OBJECT_LOCK (self);
      self->status.source = RUN_STOPPED;
      self->status.connection = REALTIME_CLIENT_STATE_DISCONNECTED;
      self->status.channel = REALTIME_CHANNEL_STATE_CLOSED;
      GST_OBJECT_UNLOCK (self);
      break;
    default:
      break;
  }
  return ret;
}

/* An EOS from the application (gst-launch-1.0 -e on Ctrl-C) must reach
 * downstream so that muxers finalise. It goes through whatever feeds the
 * ghost pad, after that branch's last buffer; or straight out when
 * nothing does, or when the branch cannot take it. */
static gboolean
gst_realtime_src_send_event (GstElement *element, GstEvent *event)
{
  GstRealtimeSrc *self = GST_REALTIME_SRC (element);
  guint32 seqnum = gst_event_get_seqnum (event);
  GstObject *branch = NULL;
  GstPad *target;
  GstEvent *eos;

  if (GST_EVENT_TYPE (event) != GST_EVENT_EOS)
    return GST_ELEMENT_CLASS (parent_class)->send_event (element, event);

  GST_INFO_OBJECT (self, "EOS from the application");
  g_atomic_int_set (&self->eos_requested, 1);
  target = gst_ghost_pad_get_target (GST_GHOST_PAD (self->srcpad));
  if (target) {
    branch = gst_object_get_parent (GST_OBJECT (target));
    gst_object_unref (target);
  }
  if (branch) {
    gboolean sent = gst_element_send_event (GST_ELEMENT (branch), event);

    gst_object_unref (branch);
    if (sent)
      return TRUE;
  } else {
    gst_event_unref (event);
  }
  eos = gst_event_new_eos ();
  gst_event_set_seqnum (eos, seqnum);
  return gst_pad_push_event (self->srcpad, eos);
}

/* An inner source error is a warning: the source is torn down (on the
 * control thread, not this streaming thread) and the pipeline lives on. */
static void
gst_realtime_src_handle_message (GstBin *bin, GstMessage *message)
{
  GstRealtimeSrc *self = GST_REALTIME_SRC (bin);
  BranchTag tag;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR
      && find_branch (self, GST_MESSAGE_SRC (message), &tag)) {
    GError *err = NULL;
    gchar *debug = NULL, *reason, *note;
    GstMessage *warning;

    gst_message_parse_error (message, &err, &debug);
    reason = g_strdup_printf ("%s: %s", GST_MESSAGE_SRC_NAME (message),
        err->message);
    GST_WARNING_OBJECT (self, "%s source error: %s",
        tag.kind == BRANCH_IDLE ? "idle" : "inner", reason);
    GST_OBJECT_LOCK (self);
    if (tag.kind == BRANCH_INNER) {
      if (!self->status.run_first_error)
        self->status.run_first_error = g_strdup (reason);
      g_free (self->status.last_error);
      self->status.last_error = g_strdup (reason);
    }
    GST_OBJECT_UNLOCK (self);

    note = g_strdup_printf ("%s%s(realtimesrc: the %s source is torn down)",
        debug ? debug : "", debug ? "\n" : "",
        tag.kind == BRANCH_IDLE ? "idle" : "inner");
    warning = gst_message_new_warning (GST_MESSAGE_SRC (message), err, note);
    gst_message_unref (message);
    GST_BIN_CLASS (parent_class)->handle_message (bin, warning);
    notify_control (self, &tag, BRANCH_EVENT_ERROR, reason);

    g_error_free (err);
    g_free (debug);
    g_free (note);
    g_free (reason);
    return;
  }
  GST_BIN_CLASS (parent_class)->handle_message (bin, message);
}

/* --- GObject ----------------------------------------------------------- */

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

  if (prop_id != PROP_STATS && refuse_when_running (self, pspec))
    return;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_URL:
      g_free (self->url);
      self->url = g_value_dup_string (value);
      break;
    case PROP_API_KEY:
      gateway_secret_free (self->api_key);
      self->api_key = g_value_dup_string (value);
      break;
    case PROP_API_KEY_FILE:
      g_free (self->api_key_file);
      self->api_key_file = g_value_dup_string (value);
      break;
    case PROP_ACCESS_TOKEN_FILE:
      g_free (self->access_token_file);
      self->access_token_file = g_value_dup_string (value);
      break;
    case PROP_CA_FILE:
      g_free (self->ca_file);
      self->ca_file = g_value_dup_string (value);
      break;
    case PROP_CHANNEL:
      g_free (self->channel);
      self->channel = g_value_dup_string (value);
      break;
    case PROP_PRIVATE:
      self->private_channel = g_value_get_boolean (value);
      break;
    case PROP_VSN:
      self->vsn = g_value_get_enum (value);
      break;
    case PROP_SOURCE:
      g_free (self->source);
      self->source = g_value_dup_string (value);
      if (!self->source)
        self->source = g_strdup (DEFAULT_SOURCE);
      break;
    case PROP_PARAMS_FILE:
      g_free (self->params_file);
      self->params_file = g_value_dup_string (value);
      break;
    case PROP_START_EVENT:
      g_free (self->start_event);
      self->start_event = g_value_dup_string (value);
      if (!self->start_event || !*self->start_event) {
        g_free (self->start_event);
        self->start_event = g_strdup (DEFAULT_START_EVENT);
      }
      break;
    case PROP_STOP_EVENT:
      g_free (self->stop_event);
      self->stop_event = g_value_dup_string (value);
      if (!self->stop_event || !*self->stop_event) {
        g_free (self->stop_event);
        self->stop_event = g_strdup (DEFAULT_STOP_EVENT);
      }
      break;
    case PROP_HEARTBEAT_INTERVAL:
      self->heartbeat_interval = g_value_get_uint (value);
      break;
    case PROP_BACKOFF_MIN:
      self->backoff_min = g_value_get_uint (value);
      break;
    case PROP_BACKOFF_MAX:
      self->backoff_max = g_value_get_uint (value);
      break;
    case PROP_JOIN_TIMEOUT:
      self->join_timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      self->max_message_size = g_value_get_uint (value);
      break;
    case PROP_IDLE:
      self->idle = g_value_get_enum (value);
      break;
    case PROP_IDLE_FRAMERATE:
      self->idle_fps_n = gst_value_get_fraction_numerator (value);
      self->idle_fps_d = gst_value_get_fraction_denominator (value);
      break;
    case PROP_RESTART_ON_ERROR:
      self->restart_on_error = g_value_get_boolean (value);
      break;
    case PROP_RESTART_DELAY:
      self->restart_delay = g_value_get_uint (value);
      break;
    case PROP_START_TIMEOUT:
      self->start_timeout = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_realtime_src_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstRealtimeSrc *self = GST_REALTIME_SRC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_API_KEY_FILE:
      g_value_set_string (value, self->api_key_file);
      break;
    case PROP_ACCESS_TOKEN_FILE:
      g_value_set_string (value, self->access_token_file);
      break;
    case PROP_CA_FILE:
      g_value_set_string (value, self->ca_file);
      break;
    case PROP_CHANNEL:
      g_value_set_string (value, self->channel);
      break;
    case PROP_PRIVATE:
      g_value_set_boolean (value, self->private_channel);
      break;
    case PROP_VSN:
      g_value_set_enum (value, self->vsn);
      break;
    case PROP_SOURCE:
      g_value_set_string (value, self->source);
      break;
    case PROP_PARAMS_FILE:
      g_value_set_string (value, self->params_file);
      break;
    case PROP_START_EVENT:
      g_value_set_string (value, self->start_event);
      break;
    case PROP_STOP_EVENT:
      g_value_set_string (value, self->stop_event);
      break;
    case PROP_HEARTBEAT_INTERVAL:
      g_value_set_uint (value, self->heartbeat_interval);
      break;
    case PROP_BACKOFF_MIN:
      g_value_set_uint (value, self->backoff_min);
      break;
    case PROP_BACKOFF_MAX:
      g_value_set_uint (value, self->backoff_max);
      break;
    case PROP_JOIN_TIMEOUT:
      g_value_set_uint (value, self->join_timeout);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      g_value_set_uint (value, self->max_message_size);
      break;
    case PROP_IDLE:
      g_value_set_enum (value, self->idle);
      break;
    case PROP_IDLE_FRAMERATE:
      gst_value_set_fraction (value, self->idle_fps_n, self->idle_fps_d);
      break;
    case PROP_RESTART_ON_ERROR:
      g_value_set_boolean (value, self->restart_on_error);
      break;
    case PROP_RESTART_DELAY:
      g_value_set_uint (value, self->restart_delay);
      break;
    case PROP_START_TIMEOUT:
      g_value_set_uint (value, self->start_timeout);
      break;
    case PROP_STATS:
      g_value_take_boxed (value, dup_stats (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_realtime_src_init (GstRealtimeSrc *self)
{
  GstPadTemplate *templ = gst_static_pad_template_get (&src_template);

  self->srcpad = gst_ghost_pad_new_no_target_from_template ("src", templ);
  gst_object_unref (templ);
  gst_pad_set_query_function (self->srcpad, gst_realtime_src_src_query);
  gst_element_add_pad (GST_ELEMENT_CAST (self), self->srcpad);

  self->private_channel = DEFAULT_PRIVATE;
  self->vsn = DEFAULT_VSN;
  self->source = g_strdup (DEFAULT_SOURCE);
  self->start_event = g_strdup (DEFAULT_START_EVENT);
  self->stop_event = g_strdup (DEFAULT_STOP_EVENT);
  self->heartbeat_interval = DEFAULT_HEARTBEAT_INTERVAL;
  self->backoff_min = DEFAULT_BACKOFF_MIN;
  self->backoff_max = DEFAULT_BACKOFF_MAX;
  self->join_timeout = DEFAULT_JOIN_TIMEOUT;
  self->max_message_size = DEFAULT_MAX_MESSAGE_SIZE;
  self->idle = DEFAULT_IDLE;
  self->idle_fps_n = DEFAULT_IDLE_FPS_N;
  self->idle_fps_d = DEFAULT_IDLE_FPS_D;
  self->restart_on_error = DEFAULT_RESTART_ON_ERROR;
  self->restart_delay = DEFAULT_RESTART_DELAY;
  self->start_timeout = DEFAULT_START_TIMEOUT;
  reset_status (self);

  /* A source, whatever the children say. */
  gst_bin_set_suppressed_flags (GST_BIN (self),
      GST_ELEMENT_FLAG_SOURCE | GST_ELEMENT_FLAG_SINK);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SOURCE);
}

static void
gst_realtime_src_dispose (GObject *object)
{
  GstRealtimeSrc *self = GST_REALTIME_SRC (object);

  /* Only reached in NULL, but an application may drop us in READY. */
  control_stop (self);
  stop_inner (self);
  stop_idle (self);
  G_OBJECT_CLASS (parent_class)->dispose (object);
}

static void
gst_realtime_src_finalize (GObject *object)
{
  GstRealtimeSrc *self = GST_REALTIME_SRC (object);

  g_free (self->url);
  gateway_secret_free (self->api_key);
  g_free (self->api_key_file);
  g_free (self->access_token_file);
  g_free (self->ca_file);
  g_free (self->channel);
  g_free (self->source);
  g_free (self->params_file);
  g_free (self->start_event);
  g_free (self->stop_event);
  g_free (self->status.last_error);
  g_free (self->status.run_first_error);
  config_free (self->config);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_realtime_src_class_init (GstRealtimeSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);
  const GParamFlags rw_ready
      = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY;

  GST_DEBUG_CATEGORY_INIT (gst_realtime_src_debug, "realtimesrc", 0,
      "Source bin driven by a Supabase Realtime channel");
  branch_quark = g_quark_from_static_string ("gst-realtime-src-branch");

  gobject_class->set_property = gst_realtime_src_set_property;
  gobject_class->get_property = gst_realtime_src_get_property;
  gobject_class->dispose = gst_realtime_src_dispose;
  gobject_class->finalize = gst_realtime_src_finalize;

  /**
   * GstRealtimeSrc:url:
   *
   * The Supabase project URL (`https://<ref>.supabase.co`), an
   * `http(s)://host:port` of a self-hosted or local server, or a full
   * `ws(s)://.../websocket` URL. `/realtime/v1/websocket` is appended
   * unless the URL ends in `/websocket`. Keep keys out of it: use
   * #GstRealtimeSrc:api-key-file.
   */
  g_object_class_install_property (gobject_class, PROP_URL,
      g_param_spec_string ("url", "URL",
          "Supabase project URL, http(s)://host:port or ws(s):// URL of the "
          "realtime server",
          DEFAULT_URL, rw_ready));

  /**
   * GstRealtimeSrc:api-key:
   *
   * The API key (anon or service key), for applications. Write-only: it is
   * never readable, logged or posted. Prefer #GstRealtimeSrc:api-key-file
   * on command lines. Set at most one of the two.
   */
  g_object_class_install_property (gobject_class, PROP_API_KEY,
      g_param_spec_string ("api-key", "API key",
          "API key (write-only; prefer api-key-file on command lines)", NULL,
          G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  /**
   * GstRealtimeSrc:api-key-file:
   *
   * A file holding the API key, read on READY->PAUSED: surrounding
   * whitespace is trimmed; an empty, multi-word or oversized file is an
   * error. A bare name (no '/') is looked up in `$CREDENTIALS_DIRECTORY`
   * first (systemd `LoadCredential=`).
   */
  g_object_class_install_property (gobject_class, PROP_API_KEY_FILE,
      g_param_spec_string ("api-key-file", "API key file",
          "File holding the API key (a bare name is looked up in "
          "$CREDENTIALS_DIRECTORY first)",
          DEFAULT_API_KEY_FILE, rw_ready));

  /**
   * GstRealtimeSrc:access-token-file:
   *
   * A file holding a user JWT sent with the join, for private channels and
   * row level security. Read like #GstRealtimeSrc:api-key-file.
   */
  g_object_class_install_property (gobject_class, PROP_ACCESS_TOKEN_FILE,
      g_param_spec_string ("access-token-file", "Access token file",
          "File holding the user access token (JWT) sent with joins",
          DEFAULT_ACCESS_TOKEN_FILE, rw_ready));

  g_object_class_install_property (gobject_class, PROP_CA_FILE,
      g_param_spec_string ("ca-file", "CA file",
          "PEM file of trusted certificate authorities (default: the "
          "system's)",
          DEFAULT_CA_FILE, rw_ready));

  g_object_class_install_property (gobject_class, PROP_CHANNEL,
      g_param_spec_string ("channel", "Channel",
          "Realtime channel to join (without the \"realtime:\" prefix)",
          DEFAULT_CHANNEL, rw_ready));

  g_object_class_install_property (gobject_class, PROP_PRIVATE,
      g_param_spec_boolean ("private", "Private",
          "Join the channel as a private channel (needs an access token "
          "allowed by the project's policies)",
          DEFAULT_PRIVATE, rw_ready));

  g_object_class_install_property (gobject_class, PROP_VSN,
      g_param_spec_enum ("vsn", "Protocol version",
          "Phoenix serializer version spoken with the server",
          GST_TYPE_REALTIME_SRC_VSN, DEFAULT_VSN, rw_ready));

  /**
   * GstRealtimeSrc:source:
   *
   * The inner source as a bin description, built on every start. Its
   * unlinked source pad is the output; name the elements that params
   * address (`v4l2src name=cam ! videoconvert`). It should be live; it must
   * not contain a sink and must not end in bare caps (use
   * `capsfilter caps=...`).
   */
  g_object_class_install_property (gobject_class, PROP_SOURCE,
      g_param_spec_string ("source", "Source",
          "Bin description of the inner source, built on each start",
          DEFAULT_SOURCE, rw_ready | GST_PARAM_DOC_SHOW_DEFAULT));

  /**
   * GstRealtimeSrc:params-file:
   *
   * A key file declaring the params a start request may carry, one
   * `[param:NAME]` group each (see the element description); other groups
   * are ignored, so a daemon `.pipeline` file can be used. Without it,
   * starts with params are refused.
   */
  g_object_class_install_property (gobject_class, PROP_PARAMS_FILE,
      g_param_spec_string ("params-file", "Params file",
          "Key file declaring the typed params of start requests, "
          "[param:NAME] groups bound to named elements of source",
          DEFAULT_PARAMS_FILE, rw_ready));

  g_object_class_install_property (gobject_class, PROP_START_EVENT,
      g_param_spec_string ("start-event", "Start event",
          "Broadcast event that starts the inner source", DEFAULT_START_EVENT,
          rw_ready | GST_PARAM_DOC_SHOW_DEFAULT));

  g_object_class_install_property (gobject_class, PROP_STOP_EVENT,
      g_param_spec_string ("stop-event", "Stop event",
          "Broadcast event that stops the inner source", DEFAULT_STOP_EVENT,
          rw_ready | GST_PARAM_DOC_SHOW_DEFAULT));

  g_object_class_install_property (gobject_class, PROP_HEARTBEAT_INTERVAL,
      g_param_spec_uint ("heartbeat-interval", "Heartbeat interval",
          "Milliseconds between heartbeats; one unanswered at the next tick "
          "means the link is dead",
          1, G_MAXINT, DEFAULT_HEARTBEAT_INTERVAL, rw_ready));

  g_object_class_install_property (gobject_class, PROP_BACKOFF_MIN,
      g_param_spec_uint ("backoff-min", "Reconnect backoff min",
          "Base of the capped, jittered reconnect backoff in milliseconds", 1,
          G_MAXINT, DEFAULT_BACKOFF_MIN, rw_ready));

  g_object_class_install_property (gobject_class, PROP_BACKOFF_MAX,
      g_param_spec_uint ("backoff-max", "Reconnect backoff max",
          "Cap of the reconnect backoff in milliseconds", 1, G_MAXINT,
          DEFAULT_BACKOFF_MAX, rw_ready));

  g_object_class_install_property (gobject_class, PROP_JOIN_TIMEOUT,
      g_param_spec_uint ("join-timeout", "Join timeout",
          "Milliseconds to wait for the reply to a join before retrying", 1,
          G_MAXINT, DEFAULT_JOIN_TIMEOUT, rw_ready));

  g_object_class_install_property (gobject_class, PROP_MAX_MESSAGE_SIZE,
      g_param_spec_uint ("max-message-size", "Max message size",
          "Largest realtime frame accepted, in bytes", 1024, 64 * 1024 * 1024,
          DEFAULT_MAX_MESSAGE_SIZE, rw_ready));

  /**
   * GstRealtimeSrc:idle:
   *
   * What downstream sees while the inner source is stopped: nothing (the
   * live pipeline stays PLAYING), or black frames at the last negotiated
   * caps, produced at #GstRealtimeSrc:idle-framerate, so that receivers
   * and encoders keep running. Black frames need raw video in system
   * memory; before the first start they are negotiated with downstream.
   */
  g_object_class_install_property (gobject_class, PROP_IDLE,
      g_param_spec_enum ("idle", "Idle", "What downstream sees while stopped",
          GST_TYPE_REALTIME_SRC_IDLE, DEFAULT_IDLE, rw_ready));

  g_object_class_install_property (gobject_class, PROP_IDLE_FRAMERATE,
      gst_param_spec_fraction ("idle-framerate", "Idle framerate",
          "Rate of the black frames of idle=black (never above the "
          "negotiated rate)",
          1, 1000, 1000, 1, DEFAULT_IDLE_FPS_N, DEFAULT_IDLE_FPS_D, rw_ready));

  /**
   * GstRealtimeSrc:restart-on-error:
   *
   * Whether an inner source that failed (an error, no first buffer within
   * #GstRealtimeSrc:start-timeout, or the end of its stream) is restarted
   * with the same params after #GstRealtimeSrc:restart-delay, doubling up
   * to 30 s while failures repeat. Without it the source stays down until
   * the next start. Params or a description that do not build are never
   * retried.
   */
  g_object_class_install_property (gobject_class, PROP_RESTART_ON_ERROR,
      g_param_spec_boolean ("restart-on-error", "Restart on error",
          "Restart a failed inner source instead of waiting for the next "
          "start",
          DEFAULT_RESTART_ON_ERROR, rw_ready));

  g_object_class_install_property (gobject_class, PROP_RESTART_DELAY,
      g_param_spec_uint ("restart-delay", "Restart delay",
          "Milliseconds before the first restart of a failed source "
          "(doubles while failures repeat, up to 30 s)",
          1, 3600000, DEFAULT_RESTART_DELAY, rw_ready));

  g_object_class_install_property (gobject_class, PROP_START_TIMEOUT,
      g_param_spec_uint ("start-timeout", "Start timeout",
          "Milliseconds from a start to the first buffer before the start "
          "counts as failed (0: wait forever)",
          0, 3600000, DEFAULT_START_TIMEOUT, rw_ready));

  /**
   * GstRealtimeSrc:stats:
   *
   * A snapshot of the element's state and counters, in a structure named
   * `application/x-realtimesrc-stats`:
   *
   * - connection-state (string): disconnected, connecting, connected
   * - channel-state (string): closed, joining, joined, errored, leaving
   * - source-state (string): stopped, starting, playing, stopping, failed
   * - reconnects (uint): connection attempts scheduled after a loss
   * - joins (uint): successful joins of the channel
   * - heartbeats (uint): heartbeats answered
   * - heartbeat-timeouts (uint): heartbeats left unanswered
   * - last-rtt-ms (double): round trip of the last heartbeat
   * - starts (uint): runs of the inner source that delivered a buffer
   * - stops (uint): runs stopped on request or lease expiry
   * - failures (uint): runs that failed
   * - restarts (uint): restarts after failures (restart-on-error)
   * - last-error (string): the last failure or realtime trouble, or ""
   *
   * Counters start from zero on READY->PAUSED.
   */
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Connection, channel and source state and counters",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "Realtime-controlled source", "Source/Video/Network",
      "Runs its inner source between start and stop broadcasts on a "
      "Supabase Realtime channel",
      "realtime-gateway developers");

  element_class->change_state
      = GST_DEBUG_FUNCPTR (gst_realtime_src_change_state);
  element_class->send_event = GST_DEBUG_FUNCPTR (gst_realtime_src_send_event);
  bin_class->handle_message
      = GST_DEBUG_FUNCPTR (gst_realtime_src_handle_message);

  gst_type_mark_as_plugin_api (GST_TYPE_REALTIME_SRC_IDLE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_REALTIME_SRC_VSN, 0);
}

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-signalling.c: WebRTC viewing over the channel (see
 * webrtc-signalling.h).
 *
 * Per pipeline, a Slot ties the sessions to the pipeline's controller:
 * it exists while the pipeline has sessions, and for one more turn of
 * the main loop after the last one ends, when the stop is asked for (from
 * an idle source, never inside a controller's or a session's signal).
 *
 * Answers: each inbound message gets exactly one "session_state"
 * broadcast carrying its request_id. A transition that happens while a
 * message is being handled is reported by that answer; one that happens
 * on its own (watching, failures, lease expiry, the pipeline stopping) is
 * broadcast without a request_id.
 */
#include "webrtc-signalling.h"

#include "answer-queue.h"
#include "gateway-error.h"
#include "owned-source.h"
#include "params.h"
#include "pipeline-runner.h"
#include "request.h"
#include "untrusted.h"
#include "webrtc-message.h"
#include "webrtc-pipeline.h"

#include <math.h>
#include <string.h>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "gateway"

#define RATE_WINDOW_US (10 * G_TIME_SPAN_SECOND)
/* The pipeline's own lease outlives its sessions' by this much: a session
 * whose lease runs out ends "lease expired" before the pipeline stops. */
#define LEASE_MARGIN_S 5

typedef struct _Slot Slot;

struct _Slot
{
  WebrtcSignalling *owner;
  gchar *name;
  OnDemandController *controller;
  gulong state_id;
  GPtrArray *sessions; /* WebrtcSession*, live */
  GHashTable *values; /* nullable: the params the pipeline runs with */
  gboolean started; /* we asked it to start and not yet to stop */
  GSource *stop_source;
  guint target_kbps; /* the shared encoder's bitrate we set last; 0:
                      * untouched (encoder-per-viewer: the sessions') */
};

typedef struct
{
  gchar *pipeline;
  WebrtcSessionState state;
  gchar *error;
} Ended;

typedef struct
{
  gint64 window_start_us;
  guint count;
} Rate;

struct _WebrtcSignalling
{
  GObject parent;

  GMainContext *context;
  RealtimeChannel *channel;
  gulong broadcast_id;
  GatewayRouter *router;
  WebrtcSettings settings;

  GHashTable *sessions; /* id -> WebrtcSession* (ref), live */
  GHashTable *rates; /* id -> Rate*, live sessions */
  GHashTable *ended; /* id -> Ended* */
  GQueue ended_order; /* ids, oldest first (the keys of ended) */
  GHashTable *slots; /* pipeline name -> Slot* */
  WebrtcSession *answering; /* its transitions go in the answer */
  gboolean shutting_down;
  gchar *status_event; /* the router's "status": answered per session too */

  WebrtcSignallingStats stats;
};

enum
{
  SIGNAL_SESSIONS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (WebrtcSignalling, webrtc_signalling, G_TYPE_OBJECT);

/* ------------------------------------------------------------------ */
/* Outbound */

/* The one way out: every WebRTC broadcast leaves here, through the
 * router's outbound queue, so that it counts in the robot's budget
 * (send-rate) with the answers and presence. Each session has a lane of
 * its own: its messages keep their order, and no session holds up
 * another's or a pipeline's answers. */
static void
send (WebrtcSignalling *self, const gchar *event, JsonNode *payload)
{
  JsonObject *o = json_node_get_object (payload);
  JsonNode *id = json_object_get_member (o, "session_id");
  g_autofree gchar *lane = g_strdup_printf ("webrtc:%s",
      id && JSON_NODE_HOLDS_VALUE (id) ? json_node_get_string (id) : "");

  gateway_answer_queue_push_message (gateway_router_get_outbound (self->router),
      lane, event, payload);
}

static void
send_state (WebrtcSignalling *self, const gchar *session_id,
    const gchar *pipeline, const gchar *state, const gchar *request_id,
    const gchar *error)
{
  g_autoptr (JsonNode) payload = webrtc_session_payload_new (session_id,
      pipeline, state, request_id, error);

  send (self, self->settings.events.session, payload);
}

/* Answers a message about @session with its state; @error (nullable) is
 * why the message was refused. */
static void
answer_session (WebrtcSignalling *self, WebrtcSession *session,
    const gchar *request_id, const gchar *error)
{
  const gchar *reason = error
      ? error
      : (webrtc_session_is_final (session) ? webrtc_session_get_error (session)
                                           : NULL);

  send_state (self, webrtc_session_get_id (session),
      webrtc_session_get_pipeline (session),
      webrtc_session_state_to_string (webrtc_session_get_state (session)),
      request_id, reason);
}

static void
reject (WebrtcSignalling *self, const gchar *session_id, const gchar *pipeline,
    const gchar *state, const gchar *request_id, const gchar *reason)
{
  self->stats.rejected++;
  g_message ("webrtc: message for session %s refused: %s",
      session_id ? session_id : "(none)", reason);
  send_state (self, session_id, pipeline, state, request_id, reason);
}

/* ------------------------------------------------------------------ */
/* Slots: a pipeline and its sessions */

static void
on_controller_state (OnDemandController *controller, OnDemandState state,
    const gchar *request_id, const gchar *error, gpointer user_data);

static void
slot_free (gpointer data)
{
  Slot *slot = data;

  owned_source_clear (&slot->stop_source);
  g_clear_signal_handler (&slot->state_id, slot->controller);
  g_clear_object (&slot->controller);
  g_ptr_array_unref (slot->sessions);
  g_clear_pointer (&slot->values, g_hash_table_unref);
  g_free (slot->name);
  g_free (slot);
}

static OnDemandController *
find_controller (WebrtcSignalling *self, const gchar *name)
{
  g_autoptr (GPtrArray) all = gateway_router_get_pipelines (self->router);
  guint i;

  for (i = 0; i < all->len; i++) {
    OnDemandController *c = g_ptr_array_index (all, i);

    if (g_strcmp0 (on_demand_controller_get_name (c), name) == 0)
      return g_object_ref (c);
  }
  return NULL;
}

static Slot *
slot_new (WebrtcSignalling *self, OnDemandController *controller)
{
  Slot *slot = g_new0 (Slot, 1);

  slot->owner = self;
  slot->name = g_strdup (on_demand_controller_get_name (controller));
  slot->controller = g_object_ref (controller);
  slot->sessions = g_ptr_array_new_with_free_func (g_object_unref);
  slot->state_id = g_signal_connect (controller, "state-changed",
      G_CALLBACK (on_controller_state), slot);
  g_hash_table_insert (self->slots, g_strdup (slot->name), slot);
  return slot;
}

/* The last session is gone: stop what we started, then forget the slot. */
static gboolean
on_slot_idle (gpointer data)
{
  Slot *slot = data;
  WebrtcSignalling *self = slot->owner;

  owned_source_clear (&slot->stop_source);
  if (slot->sessions->len > 0)
    return G_SOURCE_REMOVE;
  if (slot->started) {
    g_info ("webrtc: pipeline %s: no viewer left, stopping it", slot->name);
    slot->started = FALSE;
    on_demand_controller_stop (slot->controller, NULL);
  }
  g_hash_table_remove (self->slots, slot->name);
  return G_SOURCE_REMOVE;
}

/* The running GstPipeline of @slot (transfer full), or NULL. */
static GstElement *
slot_pipeline (Slot *slot)
{
  OnDemandRunner *runner = on_demand_controller_get_runner (slot->controller);
  GstElement *pipeline = NULL;

  if (ON_DEMAND_IS_PIPELINE_RUNNER (runner))
    g_object_get (runner, "pipeline", &pipeline, NULL);
  return pipeline;
}

/* Sets @kbps on the pipeline's element named "encoder"; FALSE when there
 * is no encoder the rule knows. */
static gboolean
set_encoder_bitrate (Slot *slot, guint kbps)
{
  g_autoptr (GstElement) pipeline = slot_pipeline (slot);

  return pipeline
      && webrtc_pipeline_set_encoder_bitrate (GST_BIN (pipeline), kbps);
}

/* encoder-per-viewer: each watching session's own encoder follows its own
 * target, and no other. */
static void
slot_update_own_bitrates (Slot *slot)
{
  guint i;

  for (i = 0; i < slot->sessions->len; i++) {
    WebrtcSession *session = slot->sessions->pdata[i];
    WebrtcSessionStats st;

    if (webrtc_session_get_state (session) != WEBRTC_SESSION_WATCHING)
      continue;
    webrtc_session_get_stats (session, &st);
    if (st.target_kbps == 0
        || st.target_kbps == webrtc_session_get_encoder_bitrate (session))
      continue;
    if (!webrtc_session_set_encoder_bitrate (session, st.target_kbps)) {
      g_debug ("webrtc: session %s: no encoder named \"encoder\" that the "
               "bitrate rule knows; bitrate left alone",
          webrtc_session_get_id (session));
      continue;
    }
    g_message ("webrtc: pipeline %s: session %s: its encoder's bitrate set "
               "to %u kbit/s",
        slot->name, webrtc_session_get_id (session), st.target_kbps);
  }
}

/* The pipeline's target: the lowest of its watching sessions' (the
 * slowest viewer within bounds decides; webrtc-bitrate.h). */
static void
slot_update_bitrate (WebrtcSignalling *self, Slot *slot)
{
  PipelineDef *def = on_demand_controller_get_def (slot->controller);
  guint target = 0, i;

  if (!def->webrtc)
    return;
  if (def->webrtc->encoder_per_viewer) {
    slot_update_own_bitrates (slot);
    return;
  }
  for (i = 0; i < slot->sessions->len; i++) {
    WebrtcSession *session = slot->sessions->pdata[i];
    WebrtcSessionStats st;

    if (webrtc_session_get_state (session) != WEBRTC_SESSION_WATCHING)
      continue;
    webrtc_session_get_stats (session, &st);
    if (st.target_kbps > 0 && (target == 0 || st.target_kbps < target))
      target = st.target_kbps;
  }
  if (target == 0 || target == slot->target_kbps)
    return;
  if (!set_encoder_bitrate (slot, target)) {
    g_debug ("webrtc: pipeline %s: no encoder named \"encoder\" that the "
             "bitrate rule knows; bitrate left alone",
        slot->name);
    return;
  }
  g_message ("webrtc: pipeline %s: encoder bitrate set to %u kbit/s "
             "(the slowest viewer's target)",
      slot->name, target);
  slot->target_kbps = target;
}

static void
on_session_stats (WebrtcSession *session, gpointer user_data)
{
  WebrtcSignalling *self = user_data;
  Slot *slot = g_hash_table_lookup (self->slots,
      webrtc_session_get_pipeline (session));

  if (slot)
    slot_update_bitrate (self, slot);
}

static void
attach_session (WebrtcSignalling *self, Slot *slot, WebrtcSession *session)
{
  OnDemandRunner *runner = on_demand_controller_get_runner (slot->controller);
  PipelineDef *def = on_demand_controller_get_def (slot->controller);
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstElement) tee = NULL;
  g_autoptr (GError) error = NULL;
  GstElement *encoding = NULL;

  if (webrtc_session_is_attached (session) || webrtc_session_is_final (session))
    return;
  if (ON_DEMAND_IS_PIPELINE_RUNNER (runner))
    g_object_get (runner, "pipeline", &pipeline, NULL);
  tee = pipeline ? webrtc_pipeline_get_tee (pipeline) : NULL;
  if (!tee) {
    webrtc_session_end (session, WEBRTC_SESSION_FAILED,
        "the pipeline runs without a WebRTC output");
    return;
  }
  /* A new viewer starts where the encoder is now: the shared one's
   * bitrate, or its own encoder's first. */
  if (def->webrtc->encoder_per_viewer) {
    encoding = webrtc_pipeline_build_encoding (def->webrtc, &error);
    if (!encoding) {
      webrtc_session_end (session, WEBRTC_SESSION_FAILED, error->message);
      return;
    }
  }
  webrtc_session_set_bitrate_bounds (session,
      slot->target_kbps && !encoding ? slot->target_kbps
                                     : def->webrtc->bitrate_kbps,
      def->webrtc->min_bitrate_kbps, def->webrtc->max_bitrate_kbps);
  /* The branch owns the encoding from here, also when attach fails. */
  if (!webrtc_session_attach (session, tee, def->webrtc->viewer_queue_ms,
          encoding, &error))
    webrtc_session_end (session, WEBRTC_SESSION_FAILED, error->message);
}

/* The pipeline's controller changed state: sessions follow it. */
static void
on_controller_state (OnDemandController *controller, OnDemandState state,
    const gchar *request_id, const gchar *error, gpointer user_data)
{
  Slot *slot = user_data;
  WebrtcSignalling *self = slot->owner;
  g_autoptr (GPtrArray) sessions
      = g_ptr_array_new_with_free_func (g_object_unref);
  guint i;

  /* Ending a session changes slot->sessions: walk a copy. */
  for (i = 0; i < slot->sessions->len; i++)
    g_ptr_array_add (sessions, g_object_ref (slot->sessions->pdata[i]));
  for (i = 0; i < sessions->len; i++) {
    WebrtcSession *session = g_ptr_array_index (sessions, i);
    g_autofree gchar *reason = NULL;

    switch (state) {
      case ON_DEMAND_STATE_PLAYING:
        attach_session (self, slot, session);
        break;
      case ON_DEMAND_STATE_FAILED:
        reason = g_strdup_printf ("pipeline failed: %s",
            error ? error : "no reason given");
        webrtc_session_end (session, WEBRTC_SESSION_FAILED, reason);
        break;
      case ON_DEMAND_STATE_STOPPING:
      case ON_DEMAND_STATE_STOPPED:
        /* Sessions still waiting for the start keep waiting: a stop we
         * asked for before they came is followed by their start. */
        if (webrtc_session_is_attached (session)) {
          reason = g_strdup_printf ("pipeline stopped%s%s", error ? ": " : "",
              error ? error : "");
          webrtc_session_end (session, WEBRTC_SESSION_ENDED, reason);
        }
        break;
      case ON_DEMAND_STATE_STARTING:
        break;
    }
  }
  /* A new run starts from the definition's encoder. */
  if (state != ON_DEMAND_STATE_PLAYING)
    slot->target_kbps = 0;
  if (state == ON_DEMAND_STATE_FAILED)
    slot->started = FALSE;
}

/* The pipeline's lease (its definition's default-ttl, like every network
 * output's) follows its sessions': extended to the longest of theirs,
 * never shortened. Sessions end by their own leases; the pipeline's is the
 * backstop. */
static void
slot_sync_lease (Slot *slot)
{
  guint want = 0, i;
  OnDemandState state = on_demand_controller_get_state (slot->controller);

  if (state != ON_DEMAND_STATE_STARTING && state != ON_DEMAND_STATE_PLAYING)
    return;
  for (i = 0; i < slot->sessions->len; i++)
    want = MAX (want,
        webrtc_session_get_lease_remaining (slot->sessions->pdata[i]));
  if (want == 0)
    return;
  want += LEASE_MARGIN_S;
  if (on_demand_controller_get_lease_remaining (slot->controller) < want)
    on_demand_controller_renew (slot->controller, want, NULL);
}

/* ------------------------------------------------------------------ */
/* Sessions */

static void
remember_ended (WebrtcSignalling *self, WebrtcSession *session)
{
  const gchar *id = webrtc_session_get_id (session);
  gchar *key = NULL;
  Ended *e;

  if (g_hash_table_contains (self->ended, id))
    return;
  e = g_new0 (Ended, 1);
  e->pipeline = g_strdup (webrtc_session_get_pipeline (session));
  e->state = webrtc_session_get_state (session);
  e->error = g_strdup (webrtc_session_get_error (session));
  /* The queue holds the table's own key, freed with its entry. */
  key = g_strdup (id);
  g_hash_table_insert (self->ended, key, e);
  g_queue_push_tail (&self->ended_order, key);
  while (g_queue_get_length (&self->ended_order) > WEBRTC_ENDED_REMEMBERED)
    g_hash_table_remove (self->ended, g_queue_pop_head (&self->ended_order));
}

static void
ended_free (gpointer data)
{
  Ended *e = data;

  g_free (e->pipeline);
  g_free (e->error);
  g_free (e);
}

static void
on_session_offer (WebrtcSession *session, const gchar *sdp, gpointer user_data)
{
  WebrtcSignalling *self = user_data;
  g_autoptr (JsonNode) payload
      = webrtc_offer_payload_new (webrtc_session_get_id (session),
          webrtc_session_get_pipeline (session), sdp);

  send (self, self->settings.events.offer, payload);
}

static void
on_session_candidates (WebrtcSession *session, JsonNode *payload,
    gpointer user_data)
{
  WebrtcSignalling *self = user_data;

  send (self, self->settings.events.candidates, payload);
}

/* A final session leaves the tables; its slot stops the pipeline when it
 * was the last one. */
static void
session_finished (WebrtcSignalling *self, WebrtcSession *session)
{
  g_autoptr (WebrtcSession) hold = g_object_ref (session);
  const gchar *id = webrtc_session_get_id (session);
  Slot *slot = g_hash_table_lookup (self->slots,
      webrtc_session_get_pipeline (session));

  if (webrtc_session_get_state (session) == WEBRTC_SESSION_FAILED)
    self->stats.failed++;
  g_signal_handlers_disconnect_by_data (session, self);
  remember_ended (self, session);
  g_hash_table_remove (self->rates, id);
  g_hash_table_remove (self->sessions, id);
  if (slot) {
    g_ptr_array_remove (slot->sessions, session);
    /* The slowest viewer may have left: the others decide now. */
    slot_update_bitrate (self, slot);
    if (slot->sessions->len == 0 && !slot->stop_source)
      slot->stop_source = owned_source_idle_attach (self->context,
          G_PRIORITY_DEFAULT, on_slot_idle, slot, NULL);
  }
}

static void
on_session_state (WebrtcSession *session, gint state, const gchar *error,
    gpointer user_data)
{
  WebrtcSignalling *self = user_data;

  if (state == WEBRTC_SESSION_WATCHING)
    self->stats.watching++;
  /* A transition caused by the message being handled goes out in its
   * answer. */
  if (session != self->answering)
    send_state (self, webrtc_session_get_id (session),
        webrtc_session_get_pipeline (session),
        webrtc_session_state_to_string (state), NULL, error);
  if (webrtc_session_is_final (session))
    session_finished (self, session);
  g_signal_emit (self, signals[SIGNAL_SESSIONS_CHANGED], 0);
}

/* FALSE when the session sent too many messages in the current window. */
static gboolean
rate_ok (WebrtcSignalling *self, const gchar *id)
{
  Rate *rate = g_hash_table_lookup (self->rates, id);
  gint64 now = g_get_monotonic_time ();

  if (!rate)
    return TRUE;
  if (now - rate->window_start_us > RATE_WINDOW_US) {
    rate->window_start_us = now;
    rate->count = 0;
  }
  return ++rate->count <= WEBRTC_SESSION_MESSAGES_PER_WINDOW;
}

/* ------------------------------------------------------------------ */
/* Inbound messages */

static gboolean
params_match (PipelineDef *def, GHashTable *a, GHashTable *b)
{
  guint i;

  for (i = 0; i < def->params->len; i++) {
    const GatewayParam *param = g_ptr_array_index (def->params, i);
    const GValue *va = g_hash_table_lookup (a, param->name);
    const GValue *vb = g_hash_table_lookup (b, param->name);

    if (!va && param->has_default)
      va = &param->default_value;
    if (!vb && param->has_default)
      vb = &param->default_value;
    if (!gateway_param_value_equal (va, vb))
      return FALSE;
  }
  return TRUE;
}

/* The definition's bound, lowered by the configuration's. */
static guint
max_viewers (WebrtcSignalling *self, PipelineDef *def)
{
  guint n = def->webrtc->max_viewers;

  if (self->settings.max_viewers > 0)
    n = MIN (n, self->settings.max_viewers);
  return n;
}

static void
handle_watch (WebrtcSignalling *self, WebrtcMessage *m)
{
  g_autoptr (OnDemandController) controller = NULL;
  g_autoptr (GHashTable) values = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (WebrtcSession) session = NULL;
  WebrtcSession *existing;
  PipelineDef *def;
  Ended *ended;
  Slot *slot;
  OnDemandState state;
  guint ttl_s;

  existing = g_hash_table_lookup (self->sessions, m->session_id);
  if (existing) {
    if (g_strcmp0 (webrtc_session_get_pipeline (existing), m->pipeline) != 0) {
      reject (self, m->session_id, m->pipeline, "failed", m->request_id,
          "session id already in use for another pipeline");
      return;
    }
    /* The same watch again: its answer, and the offer once more if the
     * viewer may have missed it. */
    answer_session (self, existing, m->request_id, NULL);
    if (webrtc_session_get_state (existing) == WEBRTC_SESSION_OFFERING
        && webrtc_session_get_offer (existing))
      on_session_offer (existing, webrtc_session_get_offer (existing), self);
    return;
  }
  ended = g_hash_table_lookup (self->ended, m->session_id);
  if (ended) {
    send_state (self, m->session_id, ended->pipeline,
        webrtc_session_state_to_string (ended->state), m->request_id,
        ended->error);
    return;
  }
  if (self->shutting_down) {
    reject (self, m->session_id, m->pipeline, "failed", m->request_id,
        "the gateway is shutting down");
    return;
  }
  controller = find_controller (self, m->pipeline);
  if (!controller) {
    reject (self, m->session_id, m->pipeline, "failed", m->request_id,
        "unknown pipeline");
    return;
  }
  def = on_demand_controller_get_def (controller);
  if (!def->webrtc) {
    reject (self, m->session_id, m->pipeline, "failed", m->request_id,
        "the pipeline has no WebRTC output");
    return;
  }
  ttl_s = m->ttl_s > 0 ? (guint)m->ttl_s : self->settings.default_ttl_s;
  if (ttl_s > self->settings.max_ttl_s) {
    g_autofree gchar *reason
        = g_strdup_printf ("ttl %u is above the longest lease, %u", ttl_s,
            self->settings.max_ttl_s);
    reject (self, m->session_id, m->pipeline, "failed", m->request_id, reason);
    return;
  }
  values = gateway_params_validate_request (def->params, m->params, &error);
  if (!values) {
    reject (self, m->session_id, m->pipeline, "failed", m->request_id,
        error->message);
    return;
  }
  slot = g_hash_table_lookup (self->slots, m->pipeline);
  if (slot && slot->controller != controller) {
    /* The definition was reloaded since: the old slot is going away. */
    reject (self, m->session_id, m->pipeline, "failed", m->request_id,
        "the pipeline is being reloaded; try again");
    return;
  }
  if (slot && slot->sessions->len >= max_viewers (self, def)) {
    reject (self, m->session_id, m->pipeline, "failed", m->request_id,
        "too many viewers");
    return;
  }
  if (slot && slot->values && slot->sessions->len > 0
      && !params_match (def, slot->values, values)) {
    reject (self, m->session_id, m->pipeline, "failed", m->request_id,
        "the pipeline is running for other viewers with other params");
    return;
  }
  if (!slot)
    slot = slot_new (self, controller);
  owned_source_clear (&slot->stop_source);

  session = webrtc_session_new (m->session_id, m->pipeline, &self->settings);
  g_signal_connect (session, "offer", G_CALLBACK (on_session_offer), self);
  g_signal_connect (session, "candidates", G_CALLBACK (on_session_candidates),
      self);
  g_signal_connect (session, "state-changed", G_CALLBACK (on_session_state),
      self);
  g_signal_connect (session, "stats-updated", G_CALLBACK (on_session_stats),
      self);
  webrtc_session_set_lease (session, ttl_s);
  g_hash_table_insert (self->sessions, g_strdup (m->session_id),
      g_object_ref (session));
  g_hash_table_insert (self->rates, g_strdup (m->session_id), g_new0 (Rate, 1));
  g_ptr_array_add (slot->sessions, g_object_ref (session));
  self->stats.sessions++;
  g_message ("webrtc: session %s watches %s (lease %u s)", m->session_id,
      m->pipeline, ttl_s);
  answer_session (self, session, m->request_id, NULL);

  if (slot->sessions->len == 1) {
    g_clear_pointer (&slot->values, g_hash_table_unref);
    slot->values = gateway_params_values_copy (values);
  }
  state = on_demand_controller_get_state (controller);
  if (state == ON_DEMAND_STATE_PLAYING) {
    slot_sync_lease (slot);
    attach_session (self, slot, session);
  } else if (state != ON_DEMAND_STATE_STARTING) {
    /* Stopped, failed, or stopping after the last viewer: this start
     * is the wish that counts. */
    slot->started = TRUE;
    on_demand_controller_start (controller, values, ttl_s + LEASE_MARGIN_S,
        NULL);
  } else {
    slot_sync_lease (slot);
  }
  g_signal_emit (self, signals[SIGNAL_SESSIONS_CHANGED], 0);
}

static void
handle_for_session (WebrtcSignalling *self, WebrtcMessage *m,
    WebrtcSession *session)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = TRUE;

  switch (m->kind) {
    case WEBRTC_MESSAGE_ANSWER:
      ok = webrtc_session_set_answer (session, g_steal_pointer (&m->sdp),
          m->ice_ufrag, &error);
      break;
    case WEBRTC_MESSAGE_CANDIDATES:
      ok = webrtc_session_add_candidates (session, m->candidates, &error);
      break;
    case WEBRTC_MESSAGE_RENEW:
      if ((guint64)m->ttl_s > self->settings.max_ttl_s) {
        g_set_error (&error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
            "ttl %" G_GINT64_FORMAT " is above the longest lease, %u", m->ttl_s,
            self->settings.max_ttl_s);
        ok = FALSE;
      } else {
        Slot *slot = g_hash_table_lookup (self->slots,
            webrtc_session_get_pipeline (session));

        webrtc_session_set_lease (session, (guint)m->ttl_s);
        if (slot)
          slot_sync_lease (slot);
      }
      break;
    case WEBRTC_MESSAGE_UNWATCH:
      webrtc_session_end (session, WEBRTC_SESSION_ENDED, NULL);
      break;
    case WEBRTC_MESSAGE_WATCH:
      g_assert_not_reached ();
  }
  if (!ok) {
    self->stats.rejected++;
    g_message ("webrtc: %s for session %s refused: %s",
        webrtc_message_kind_to_string (m->kind), m->session_id, error->message);
  }
  answer_session (self, session, m->request_id, ok ? NULL : error->message);
}

static gboolean
event_kind (WebrtcSignalling *self, const gchar *event, WebrtcMessageKind *kind)
{
  const WebrtcEventNames *ev = &self->settings.events;

  if (g_strcmp0 (event, ev->watch) == 0)
    *kind = WEBRTC_MESSAGE_WATCH;
  else if (g_strcmp0 (event, ev->answer) == 0)
    *kind = WEBRTC_MESSAGE_ANSWER;
  else if (g_strcmp0 (event, ev->candidates) == 0)
    *kind = WEBRTC_MESSAGE_CANDIDATES;
  else if (g_strcmp0 (event, ev->unwatch) == 0)
    *kind = WEBRTC_MESSAGE_UNWATCH;
  else if (g_strcmp0 (event, ev->renew) == 0)
    *kind = WEBRTC_MESSAGE_RENEW;
  else
    return FALSE;
  return TRUE;
}

/**
 * webrtc_session_dup_stats_json:
 * @session: a live session
 *
 * Returns: (transfer full): the session's figures as a JSON object
 *   (docs/schema/session_state.json, "stats")
 */
JsonNode *
webrtc_session_dup_stats_json (WebrtcSession *session)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  WebrtcSessionStats st;

  webrtc_session_get_stats (session, &st);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "rtt_ms");
  if (st.rtt_s >= 0)
    json_builder_add_int_value (b, (gint64)(st.rtt_s * 1000 + 0.5));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "fraction_lost");
  if (st.have_report)
    json_builder_add_double_value (b, st.fraction_lost);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "packets_lost");
  json_builder_add_int_value (b, st.packets_lost);
  json_builder_set_member_name (b, "packets_sent");
  json_builder_add_int_value (b, (gint64)st.packets_sent);
  json_builder_set_member_name (b, "bitrate_kbps");
  json_builder_add_int_value (b, st.bitrate_kbps);
  json_builder_set_member_name (b, "target_kbps");
  json_builder_add_int_value (b, st.target_kbps);
  json_builder_set_member_name (b, "nack_count");
  json_builder_add_int_value (b, st.nack_count);
  json_builder_set_member_name (b, "pli_count");
  json_builder_add_int_value (b, st.pli_count);
  json_builder_set_member_name (b, "fir_count");
  json_builder_add_int_value (b, st.fir_count);
  json_builder_set_member_name (b, "key_unit_requests");
  json_builder_add_int_value (b, st.key_unit_requests);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* "status" (the router answers it for the pipelines): one session_state
 * per live session, with its figures, carrying the request's id. A status
 * the router refuses is left to its answer. */
static void
answer_status (WebrtcSignalling *self, JsonNode *payload)
{
  g_autoptr (GatewayRequest) req = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *request_id = NULL;
  g_autoptr (GList) sessions = NULL;
  GList *l;

  req = gateway_request_parse (GATEWAY_REQUEST_STATUS, payload, &request_id,
      &error);
  if (!req)
    return;
  sessions = g_hash_table_get_values (self->sessions);
  for (l = sessions; l; l = l->next) {
    WebrtcSession *session = l->data;
    g_autoptr (JsonNode) out = NULL;
    g_autoptr (JsonNode) stats = NULL;

    if (req->pipeline
        && g_strcmp0 (req->pipeline, webrtc_session_get_pipeline (session))
            != 0)
      continue;
    out = webrtc_session_payload_new (webrtc_session_get_id (session),
        webrtc_session_get_pipeline (session),
        webrtc_session_state_to_string (webrtc_session_get_state (session)),
        req->request_id, NULL);
    stats = webrtc_session_dup_stats_json (session);
    json_object_set_member (json_node_get_object (out), "stats",
        g_steal_pointer (&stats));
    send (self, self->settings.events.session, out);
  }
}

static void
on_broadcast (RealtimeChannel *channel, const gchar *event, JsonNode *payload,
    gpointer user_data)
{
  WebrtcSignalling *self = user_data;
  g_autoptr (WebrtcMessage) m = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *session_id = NULL;
  g_autofree gchar *request_id = NULL;
  g_autoptr (WebrtcSignalling) hold = NULL;
  WebrtcMessageKind kind;
  WebrtcSession *session;
  Ended *ended;

  if (g_strcmp0 (event, self->status_event) == 0) {
    answer_status (self, payload);
    return;
  }
  if (!event_kind (self, event, &kind))
    return;
  hold = g_object_ref (self);
  self->stats.messages++;
  m = webrtc_message_parse (kind, payload, &session_id, &request_id, &error);
  if (!m) {
    session
        = session_id ? g_hash_table_lookup (self->sessions, session_id) : NULL;
    if (session) {
      self->stats.rejected++;
      g_message ("webrtc: %s for session %s refused: %s",
          webrtc_message_kind_to_string (kind), session_id, error->message);
      answer_session (self, session, request_id, error->message);
    } else {
      reject (self, session_id, NULL, "failed", request_id, error->message);
    }
    return;
  }
  if (kind == WEBRTC_MESSAGE_WATCH) {
    handle_watch (self, m);
    return;
  }
  session = g_hash_table_lookup (self->sessions, m->session_id);
  if (!session) {
    ended = g_hash_table_lookup (self->ended, m->session_id);
    if (ended && kind == WEBRTC_MESSAGE_UNWATCH)
      send_state (self, m->session_id, ended->pipeline,
          webrtc_session_state_to_string (ended->state), m->request_id,
          ended->error);
    else if (ended)
      reject (self, m->session_id, ended->pipeline,
          webrtc_session_state_to_string (ended->state), m->request_id,
          "the session has ended");
    else
      /* Nothing to end or to fail: a session that does not exist. */
      reject (self, m->session_id, NULL, "ended", m->request_id,
          "unknown session");
    return;
  }
  if (!rate_ok (self, m->session_id)) {
    self->stats.rejected++;
    answer_session (self, session, m->request_id,
        "too many messages for this session; slow down");
    return;
  }
  g_object_ref (session);
  self->answering = session;
  handle_for_session (self, m, session);
  self->answering = NULL;
  g_object_unref (session);
}

/* ------------------------------------------------------------------ */
/* Public */

guint
webrtc_signalling_count_sessions (WebrtcSignalling *self, const gchar *pipeline)
{
  GHashTableIter it;
  gpointer value;
  guint n = 0;

  g_return_val_if_fail (WEBRTC_IS_SIGNALLING (self), 0);
  g_hash_table_iter_init (&it, self->sessions);
  while (g_hash_table_iter_next (&it, NULL, &value))
    if (!pipeline
        || g_strcmp0 (webrtc_session_get_pipeline (value), pipeline) == 0)
      n++;
  return n;
}

WebrtcSession *
webrtc_signalling_get_session (WebrtcSignalling *self, const gchar *session_id)
{
  g_return_val_if_fail (WEBRTC_IS_SIGNALLING (self), NULL);
  return g_hash_table_lookup (self->sessions, session_id);
}

/* One per-session gauge or counter: # HELP, # TYPE, a line per session. */
static void
session_metric (GString *out, GList *sessions, const gchar *name,
    const gchar *type, const gchar *help, gint which)
{
  GList *l;

  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
      type);
  for (l = sessions; l; l = l->next) {
    WebrtcSessionStats st;
    gdouble v = 0;

    webrtc_session_get_stats (l->data, &st);
    switch (which) {
      case 0:
        v = st.rtt_s >= 0 ? st.rtt_s : NAN;
        break;
      case 1:
        v = st.bitrate_kbps * 1000.0;
        break;
      case 2:
        v = st.target_kbps * 1000.0;
        break;
      case 3:
        v = st.packets_lost;
        break;
      case 4:
        v = st.nack_count;
        break;
      case 5:
        v = st.pli_count + st.fir_count;
        break;
      case 6:
        v = st.fraction_lost;
        break;
    }
    g_string_append_printf (out, "%s{pipeline=\"%s\",session=\"%s\"} %.17g\n",
        name, webrtc_session_get_pipeline (l->data),
        webrtc_session_get_id (l->data), v);
  }
}

/**
 * webrtc_signalling_render_metrics:
 * @signalling: a signalling listener
 *
 * Returns: (transfer full): Prometheus text: the signalling counters, each
 *   live session's state and link figures (session ids are the viewers'
 *   own, validated: [A-Za-z0-9_-] only)
 */
gchar *
webrtc_signalling_render_metrics (WebrtcSignalling *self)
{
  static const WebrtcSessionState states[] = { WEBRTC_SESSION_OFFERING,
    WEBRTC_SESSION_CONNECTING, WEBRTC_SESSION_WATCHING };
  GString *out = g_string_new (NULL);
  g_autoptr (GList) sessions = NULL;
  GList *l;
  guint i;

  g_return_val_if_fail (WEBRTC_IS_SIGNALLING (self), NULL);
#define COUNTER(name, help, value)                                             \
  g_string_append_printf (out,                                                 \
      "# HELP " name " " help "\n# TYPE " name " counter\n" name " %u\n",      \
      value)
  COUNTER ("gateway_webrtc_messages_total",
      "WebRTC signalling messages received", self->stats.messages);
  COUNTER ("gateway_webrtc_messages_refused_total",
      "WebRTC signalling messages refused with a reason", self->stats.rejected);
  COUNTER ("gateway_webrtc_sessions_total", "WebRTC viewer sessions accepted",
      self->stats.sessions);
  COUNTER ("gateway_webrtc_sessions_watching_total",
      "WebRTC viewer sessions that reached watching", self->stats.watching);
  COUNTER ("gateway_webrtc_sessions_failed_total",
      "WebRTC viewer sessions that ended failed", self->stats.failed);
#undef COUNTER
  sessions = g_hash_table_get_values (self->sessions);
  g_string_append (out,
      "# HELP gateway_webrtc_session_state 1 for the state each live viewer "
      "session is in\n# TYPE gateway_webrtc_session_state gauge\n");
  for (l = sessions; l; l = l->next)
    for (i = 0; i < G_N_ELEMENTS (states); i++)
      g_string_append_printf (out,
          "gateway_webrtc_session_state{pipeline=\"%s\",session=\"%s\","
          "state=\"%s\"} %d\n",
          webrtc_session_get_pipeline (l->data),
          webrtc_session_get_id (l->data),
          webrtc_session_state_to_string (states[i]),
          webrtc_session_get_state (l->data) == states[i]);
  session_metric (out, sessions, "gateway_webrtc_session_rtt_seconds", "gauge",
      "Round-trip time from the viewer's RTCP receiver reports (NaN: none yet)",
      0);
  session_metric (out, sessions, "gateway_webrtc_session_sent_bitrate_bps",
      "gauge", "Bitrate sent to the viewer over the last second", 1);
  session_metric (out, sessions, "gateway_webrtc_session_target_bitrate_bps",
      "gauge", "The bitrate rule's target for the viewer", 2);
  session_metric (out, sessions, "gateway_webrtc_session_packets_lost", "gauge",
      "Packets lost, as the viewer reports them", 3);
  session_metric (out, sessions, "gateway_webrtc_session_fraction_lost",
      "gauge", "Fraction lost in the viewer's last receiver report", 6);
  session_metric (out, sessions, "gateway_webrtc_session_nacks_total",
      "counter", "NACKs received from the viewer", 4);
  session_metric (out, sessions,
      "gateway_webrtc_session_key_unit_requests_total", "counter",
      "Picture-loss and full-intra requests received from the viewer", 5);
  return g_string_free (out, FALSE);
}

/**
 * webrtc_signalling_set_status_event:
 * @signalling: a signalling listener
 * @event: the name of the router's status request ("status")
 */
void
webrtc_signalling_set_status_event (WebrtcSignalling *self, const gchar *event)
{
  g_return_if_fail (WEBRTC_IS_SIGNALLING (self));
  g_free (self->status_event);
  self->status_event = g_strdup (event);
}

void
webrtc_signalling_get_stats (WebrtcSignalling *self,
    WebrtcSignallingStats *stats)
{
  *stats = self->stats;
}

static void
end_all (WebrtcSignalling *self, const gchar *reason)
{
  g_autoptr (GList) sessions = g_hash_table_get_values (self->sessions);
  GList *l;

  for (l = sessions; l; l = l->next)
    g_object_ref (l->data);
  for (l = sessions; l; l = l->next) {
    webrtc_session_end (l->data, WEBRTC_SESSION_ENDED, reason);
    g_object_unref (l->data);
  }
}

/**
 * webrtc_signalling_shutdown:
 * @signalling: a signalling listener
 *
 * Ends every session; later watches are refused.
 */
void
webrtc_signalling_shutdown (WebrtcSignalling *self)
{
  g_return_if_fail (WEBRTC_IS_SIGNALLING (self));
  self->shutting_down = TRUE;
  end_all (self, "the gateway is shutting down");
}

/**
 * webrtc_signalling_new:
 * @channel: the channel messages arrive on and answers leave by
 * @router: whose pipelines sessions watch
 * @settings: (transfer none): copied
 *
 * Returns: (transfer full): a listener, driven by the thread-default
 *   GMainContext
 */
WebrtcSignalling *
webrtc_signalling_new (RealtimeChannel *channel, GatewayRouter *router,
    const WebrtcSettings *settings)
{
  WebrtcSignalling *self;

  g_return_val_if_fail (REALTIME_IS_CHANNEL (channel), NULL);
  g_return_val_if_fail (GATEWAY_IS_ROUTER (router), NULL);
  g_return_val_if_fail (settings != NULL, NULL);

  /* Before the first ICE agent exists. */
  webrtc_settings_hide_ice_secrets ();
  self = g_object_new (WEBRTC_TYPE_SIGNALLING, NULL);
  self->channel = g_object_ref (channel);
  self->router = g_object_ref (router);
  webrtc_settings_copy (&self->settings, settings);
  self->broadcast_id = g_signal_connect (channel, "broadcast",
      G_CALLBACK (on_broadcast), self);
  return self;
}

static void
webrtc_signalling_init (WebrtcSignalling *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->status_event = g_strdup ("status");
  self->sessions
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->rates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->ended
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, ended_free);
  g_queue_init (&self->ended_order);
  self->slots
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, slot_free);
}

static void
webrtc_signalling_dispose (GObject *object)
{
  WebrtcSignalling *self = WEBRTC_SIGNALLING (object);

  if (self->channel)
    g_clear_signal_handler (&self->broadcast_id, self->channel);
  if (self->sessions) {
    self->shutting_down = TRUE;
    end_all (self, "the gateway is shutting down");
  }
  /* The stops the slots would ask for on their idle: asked now. */
  if (self->slots) {
    GHashTableIter it;
    gpointer value;

    g_hash_table_iter_init (&it, self->slots);
    while (g_hash_table_iter_next (&it, NULL, &value)) {
      Slot *slot = value;

      if (slot->started && slot->sessions->len == 0) {
        slot->started = FALSE;
        on_demand_controller_stop (slot->controller, NULL);
      }
    }
    g_hash_table_remove_all (self->slots);
  }
  g_clear_object (&self->router);
  g_clear_object (&self->channel);
  G_OBJECT_CLASS (webrtc_signalling_parent_class)->dispose (object);
}

static void
webrtc_signalling_finalize (GObject *object)
{
  WebrtcSignalling *self = WEBRTC_SIGNALLING (object);

  g_hash_table_unref (self->sessions);
  g_hash_table_unref (self->rates);
  /* The queue's ids are the table's keys. */
  g_queue_clear (&self->ended_order);
  g_hash_table_unref (self->ended);
  g_hash_table_unref (self->slots);
  webrtc_settings_clear (&self->settings);
  g_free (self->status_event);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (webrtc_signalling_parent_class)->finalize (object);
}

static void
webrtc_signalling_class_init (WebrtcSignallingClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = webrtc_signalling_dispose;
  object_class->finalize = webrtc_signalling_finalize;

  signals[SIGNAL_SESSIONS_CHANGED]
      = g_signal_new ("sessions-changed", G_TYPE_FROM_CLASS (klass),
          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

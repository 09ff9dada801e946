/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * router.c: the event contract (README, Events) between the channel and the
 * pipelines. Everything received is checked (request.c, params.c) before
 * any pipeline is touched; nothing received is ever pipeline text.
 */
#include "router.h"
#include "pipeline-runner.h"

/* Built into the core library (log domain "realtime"); this part belongs
 * to the gateway component. */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "gateway"

#include "answer-queue.h"
#include "describe.h"
#include "request.h"
#include "untrusted.h"

#include <string.h>

typedef struct
{
  OnDemandController *pipeline;
  gulong state_id;
  PipelineDef *pending_def; /* replaces the pipeline once it is stopped */
  gboolean removed; /* dropped once it is stopped */
  gboolean added; /* made elsewhere: definitions never replace it */
} Entry;

struct _GatewayRouter
{
  GObject parent;

  GMainContext *context; /* thread-default at construction */
  RealtimeChannel *channel;
  gulong broadcast_id;
  gulong broadcast_refused_id;
  gulong channel_state_id;
  /* Every message sent on the channel goes through it: the budget. */
  GatewayAnswerQueue *outbound;
  gchar *ev_start, *ev_stop, *ev_renew, *ev_status, *ev_reply;
  gchar *ev_describe, *ev_catalog, *id;
  gchar *default_pipeline; /* nullable: see set_default_pipeline */

  GHashTable *entries; /* name -> Entry* */
  gboolean shutting_down;
  GTask *shutdown_task;
  guint shutdown_pending;
  gboolean shutdown_draining; /* pipelines done; last answers still queued */

  GatewayRouterStats stats;
};

enum
{
  SIGNAL_PIPELINES_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (GatewayRouter, gateway_router, G_TYPE_OBJECT);

/* Answers with a pipeline's state, through the outbound budget: coalesced
 * with the pipeline's waiting answer when requests outrun it. */
static void
send_reply (GatewayRouter *self, const gchar *pipeline, const gchar *state,
    const gchar *request_id, const gchar *error, JsonNode *params)
{
  g_message ("pipeline %s: %s%s%s%s%s", pipeline, state,
      request_id ? " request " : "", request_id ? request_id : "",
      error ? ": " : "", error ? error : "");
  gateway_answer_queue_push_state (self->outbound, pipeline, state, request_id,
      error, params);
}

/* A rejection, coalesced with those of the same pipeline and reason. Names
 * that are no pipeline of ours share one lane, so made-up names cannot
 * crowd out the real pipelines' answers. */
static void
reject (GatewayRouter *self, const gchar *pipeline, const gchar *request_id,
    const gchar *reason)
{
  gboolean ours = pipeline && g_hash_table_contains (self->entries, pipeline);

  self->stats.rejected++;
  g_message ("router: request %s rejected: %s",
      request_id ? request_id : "(no request_id)", reason);
  gateway_answer_queue_push_failure (self->outbound, ours ? pipeline : NULL,
      pipeline, request_id, reason);
}

/* The queue's way out: one broadcast on the channel, now. */
static void
send_now (const gchar *event, JsonNode *payload, gpointer user_data)
{
  GatewayRouter *self = user_data;

  realtime_channel_send_broadcast (self->channel, event, payload, NULL, NULL,
      NULL);
}

static void
entry_free (gpointer data)
{
  Entry *e = data;

  g_clear_signal_handler (&e->state_id, e->pipeline);
  g_clear_object (&e->pipeline);
  g_clear_pointer (&e->pending_def, pipeline_def_unref);
  g_free (e);
}

static gboolean
is_idle (OnDemandState state)
{
  return state == ON_DEMAND_STATE_STOPPED || state == ON_DEMAND_STATE_FAILED;
}

/* Idle and not about to restart by its policy: safe to replace. */
static gboolean
is_replaceable (OnDemandController *pipeline)
{
  return is_idle (on_demand_controller_get_state (pipeline))
      && on_demand_controller_get_phase (pipeline) == ON_DEMAND_PHASE_IDLE;
}

static void
on_pipeline_state (OnDemandController *pipeline, OnDemandState state,
    const gchar *request_id, const gchar *error, gpointer user_data);

/* Takes @e's controller into the router: its reports become replies. */
static Entry *
entry_watch (GatewayRouter *self, Entry *e)
{
  e->state_id = g_signal_connect (e->pipeline, "state-changed",
      G_CALLBACK (on_pipeline_state), self);
  return e;
}

static Entry *
entry_new (GatewayRouter *self, PipelineDef *def)
{
  Entry *e = g_new0 (Entry, 1);
  g_autoptr (OnDemandPipelineRunner) runner
      = on_demand_pipeline_runner_new (def);

  e->pipeline = on_demand_controller_new (def, ON_DEMAND_RUNNER (runner));
  return entry_watch (self, e);
}

/* A stopped pipeline picks up a reload that waited for it. */
static void
apply_pending (GatewayRouter *self, const gchar *name)
{
  Entry *e = g_hash_table_lookup (self->entries, name);

  if (!e || !is_replaceable (e->pipeline))
    return;
  if (e->removed) {
    g_info ("router: pipeline %s removed by the reload", name);
    g_hash_table_remove (self->entries, name);
  } else if (e->pending_def) {
    g_autoptr (PipelineDef) def = g_steal_pointer (&e->pending_def);
    g_info ("router: pipeline %s definition reloaded", name);
    g_hash_table_replace (self->entries, g_strdup (name),
        entry_new (self, def));
  } else {
    return;
  }
  g_signal_emit (self, signals[SIGNAL_PIPELINES_CHANGED], 0);
}

static gboolean
apply_pending_idle (gpointer data)
{
  GatewayRouter *self = data;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter it;
  gpointer key, value;
  guint i;

  g_hash_table_iter_init (&it, self->entries);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    Entry *e = value;
    if (e->removed || e->pending_def)
      g_ptr_array_add (names, g_strdup (key));
  }
  for (i = 0; i < names->len; i++)
    apply_pending (self, g_ptr_array_index (names, i));
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
on_pipeline_state (OnDemandController *pipeline, OnDemandState state,
    const gchar *request_id, const gchar *error, gpointer user_data)
{
  GatewayRouter *self = user_data;
  g_autoptr (JsonNode) params = on_demand_controller_dup_params_json (pipeline);
  Entry *e;

  send_reply (self, on_demand_controller_get_name (pipeline),
      on_demand_state_to_string (state), request_id, error, params);
  g_signal_emit (self, signals[SIGNAL_PIPELINES_CHANGED], 0);
  /* Replacing the pipeline inside its own signal emission would free it
   * under its feet: do it from the main loop. */
  e = g_hash_table_lookup (self->entries,
      on_demand_controller_get_name (pipeline));
  if (is_idle (state) && e && (e->removed || e->pending_def)) {
    g_autoptr (GSource) idle = g_idle_source_new ();
    g_source_set_callback (idle, apply_pending_idle, g_object_ref (self), NULL);
    g_source_attach (idle, self->context);
  }
}

/* The one max-ttl check, for start and renew: FALSE (and the request
 * rejected with the reason) when @ttl_s is above the definition's bound. */
static gboolean
check_ttl (GatewayRouter *self, GatewayRequest *req, PipelineDef *def)
{
  g_autofree gchar *msg = NULL;

  if (def->max_ttl_s == 0 || req->ttl_s <= 0
      || (guint64)req->ttl_s <= def->max_ttl_s)
    return TRUE;
  msg = g_strdup_printf ("ttl %" G_GINT64_FORMAT
                         " is above the pipeline's max-ttl %u",
      req->ttl_s, def->max_ttl_s);
  reject (self, req->pipeline, req->request_id, msg);
  return FALSE;
}

/* Answers @request_id with the pipeline's current state and params. */
static void
reply_current (GatewayRouter *self, OnDemandController *pipeline,
    const gchar *request_id)
{
  g_autoptr (JsonNode) params = on_demand_controller_dup_params_json (pipeline);

  send_reply (self, on_demand_controller_get_name (pipeline),
      on_demand_state_to_string (on_demand_controller_get_state (pipeline)),
      request_id, NULL, params);
}

static void
handle_start (GatewayRouter *self, GatewayRequest *req, Entry *e)
{
  PipelineDef *def = on_demand_controller_get_def (e->pipeline);
  g_autoptr (GHashTable) values = NULL;
  g_autoptr (GError) error = NULL;

  /* output=webrtc: its viewers' sessions start and stop it (watch). */
  if (def->webrtc) {
    reject (self, req->pipeline, req->request_id,
        "watched, not started: a viewer sends watch (output=webrtc)");
    return;
  }
  if (!check_ttl (self, req, def))
    return;
  values = gateway_params_validate_request (def->params, req->params, &error);
  if (!values) {
    reject (self, req->pipeline, req->request_id, error->message);
    return;
  }
  on_demand_controller_start (e->pipeline, values,
      req->ttl_s > 0 ? (guint)req->ttl_s : 0, req->request_id);
}

static void
handle_renew (GatewayRouter *self, GatewayRequest *req, Entry *e)
{
  g_autoptr (GError) error = NULL;

  if (!check_ttl (self, req, on_demand_controller_get_def (e->pipeline)))
    return;
  if (!on_demand_controller_renew (e->pipeline, (guint)req->ttl_s, &error)) {
    reject (self, req->pipeline, req->request_id, error->message);
    return;
  }
  reply_current (self, e->pipeline, req->request_id);
}

static void
handle_status (GatewayRouter *self, GatewayRequest *req, Entry *e)
{
  g_autoptr (GPtrArray) all = NULL;
  guint i;

  if (e) {
    reply_current (self, e->pipeline, req->request_id);
    return;
  }
  all = gateway_router_get_pipelines (self);
  for (i = 0; i < all->len; i++)
    reply_current (self, g_ptr_array_index (all, i), req->request_id);
}

/* The catalog of @e's pipeline, or of every pipeline (describe.h). */
static void
handle_describe (GatewayRouter *self, GatewayRequest *req, Entry *e)
{
  g_autoptr (GPtrArray) all = e ? NULL : gateway_router_get_pipelines (self);
  g_autoptr (GPtrArray) defs = g_ptr_array_new ();
  g_autoptr (JsonNode) catalog = NULL;
  guint i;

  if (e)
    g_ptr_array_add (defs, on_demand_controller_get_def (e->pipeline));
  for (i = 0; all && i < all->len; i++)
    g_ptr_array_add (defs,
        on_demand_controller_get_def (g_ptr_array_index (all, i)));
  catalog = gateway_catalog_new (self->id ? self->id : self->default_pipeline,
      req->request_id, defs);
  g_message ("catalog of %u pipelines%s%s", defs->len,
      req->request_id ? " request " : "",
      req->request_id ? req->request_id : "");
  gateway_answer_queue_push_message (self->outbound, "catalog",
      self->ev_catalog, catalog);
}

/* realtimesrc's addressing: a copy of @payload naming @name when it names
 * no pipeline (absent or null), @payload itself otherwise. The payload is
 * shared with other handlers: it is copied, never changed. */
static JsonNode *
address_payload (JsonNode *payload, const gchar *name)
{
  JsonObject *in, *out;
  JsonNode *member, *node;
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
on_broadcast (RealtimeChannel *channel, const gchar *event, JsonNode *payload,
    gpointer user_data)
{
  GatewayRouter *self = user_data;
  g_autoptr (GatewayRequest) req = NULL;
  g_autoptr (JsonNode) addressed = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *request_id = NULL;
  GatewayRequestKind kind;
  Entry *e = NULL;

  if (g_strcmp0 (event, self->ev_start) == 0)
    kind = GATEWAY_REQUEST_START;
  else if (g_strcmp0 (event, self->ev_stop) == 0)
    kind = GATEWAY_REQUEST_STOP;
  else if (g_strcmp0 (event, self->ev_renew) == 0)
    kind = GATEWAY_REQUEST_RENEW;
  else if (g_strcmp0 (event, self->ev_status) == 0)
    kind = GATEWAY_REQUEST_STATUS;
  else if (g_strcmp0 (event, self->ev_describe) == 0)
    kind = GATEWAY_REQUEST_DESCRIBE;
  else {
    g_autofree gchar *safe = gateway_quote_untrusted (event);
    g_debug ("router: event %s is not for us", safe);
    return;
  }

  /* Status without a pipeline stays a question to every pipeline. */
  addressed = self->default_pipeline && kind != GATEWAY_REQUEST_STATUS
          && kind != GATEWAY_REQUEST_DESCRIBE
      ? address_payload (payload, self->default_pipeline)
      : (payload ? json_node_ref (payload) : NULL);
  req = gateway_request_parse (kind, addressed, &request_id, &error);
  if (!req) {
    self->stats.requests++;
    /* With a default pipeline (realtimesrc) the answer names it. */
    reject (self, self->default_pipeline, request_id, error->message);
    return;
  }
  if (req->pipeline) {
    /* A reload waiting for this pipeline to stop applies before its next
     * request, not at the next idle (which may come after it). */
    apply_pending (self, req->pipeline);
    e = g_hash_table_lookup (self->entries, req->pipeline);
    /* Removed by a reload but still running: it answers until it has
     * stopped; only a new start finds it unknown. */
    if (e && e->removed && kind == GATEWAY_REQUEST_START)
      e = NULL;
    if (!e && self->default_pipeline) {
      /* Other injectors may share the channel: not ours, not answered. */
      g_debug ("router: %s request for pipeline %s, not ours: ignored",
          gateway_request_kind_to_string (kind), req->pipeline);
      return;
    }
  }
  self->stats.requests++;
  g_info ("router: %s %s%s%s", gateway_request_kind_to_string (kind),
      req->pipeline ? req->pipeline : "(all)",
      req->request_id ? " request " : "",
      req->request_id ? req->request_id : "");
  if (self->shutting_down) {
    reject (self, req->pipeline, req->request_id,
        "the gateway is shutting down");
    return;
  }
  if (req->pipeline && !e) {
    reject (self, req->pipeline, req->request_id, "unknown pipeline");
    return;
  }
  switch (kind) {
    case GATEWAY_REQUEST_START:
      handle_start (self, req, e);
      break;
    case GATEWAY_REQUEST_STOP:
      on_demand_controller_stop (e->pipeline, req->request_id);
      break;
    case GATEWAY_REQUEST_RENEW:
      handle_renew (self, req, e);
      break;
    case GATEWAY_REQUEST_STATUS:
      handle_status (self, req, e);
      break;
    case GATEWAY_REQUEST_DESCRIBE:
      handle_describe (self, req, e);
      break;
  }
}

/* A broadcast the client refused before it was a request (the codec's
 * guards, or above max-message-size): a request event still gets exactly
 * one answer, "failed" with the reason, carrying what could be read of it.
 * Unknown events stay unanswered, as in on_broadcast(). */
static void
on_broadcast_refused (RealtimeChannel *channel, const gchar *event,
    const gchar *request_id, const gchar *reason, const gchar *pipeline,
    gpointer user_data)
{
  GatewayRouter *self = user_data;
  const gchar *requests[] = { self->ev_start, self->ev_stop, self->ev_renew,
    self->ev_status, self->ev_describe };
  const gchar *name = self->default_pipeline;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (requests); i++)
    if (g_strcmp0 (event, requests[i]) == 0)
      break;
  if (i == G_N_ELEMENTS (requests)) {
    g_autofree gchar *safe = gateway_quote_untrusted (event);
    g_debug ("router: refused event %s is not for us", safe);
    return;
  }
  if (request_id && !gateway_request_id_is_valid (request_id))
    request_id = NULL;
  if (pipeline && pipeline_def_name_is_valid (pipeline)) {
    if (self->default_pipeline
        && !g_hash_table_contains (self->entries, pipeline)) {
      /* Other injectors may share the channel: not ours, not answered. */
      g_debug ("router: refused request for pipeline %s, not ours: ignored",
          pipeline);
      return;
    }
    name = pipeline;
  }
  self->stats.requests++;
  reject (self, name, request_id, reason);
}

/**
 * gateway_router_add_controller:
 * @router: a router
 * @controller: a pipeline made elsewhere (a reference is taken)
 *
 * Adds @controller under its name, which must be new; definitions
 * installed later never replace or drop it.
 */
void
gateway_router_add_controller (GatewayRouter *self,
    OnDemandController *controller)
{
  const gchar *name;
  Entry *e;

  g_return_if_fail (GATEWAY_IS_ROUTER (self));
  g_return_if_fail (ON_DEMAND_IS_CONTROLLER (controller));
  name = on_demand_controller_get_name (controller);
  g_return_if_fail (!g_hash_table_contains (self->entries, name));

  e = g_new0 (Entry, 1);
  e->pipeline = g_object_ref (controller);
  e->added = TRUE;
  g_hash_table_insert (self->entries, g_strdup (name), entry_watch (self, e));
  g_signal_emit (self, signals[SIGNAL_PIPELINES_CHANGED], 0);
}

/**
 * gateway_router_set_default_pipeline:
 * @router: a router
 * @name: (nullable): the pipeline that requests without one are for
 *
 * Switches to realtimesrc's addressing (see router.h); %NULL restores the
 * daemon's, where a request for an unknown pipeline is answered with
 * "unknown pipeline".
 */
void
gateway_router_set_default_pipeline (GatewayRouter *self, const gchar *name)
{
  g_return_if_fail (GATEWAY_IS_ROUTER (self));

  g_free (self->default_pipeline);
  self->default_pipeline = g_strdup (name);
}

/**
 * gateway_router_set_id:
 * @router: a router
 * @id: (nullable): the robot's id, as its presence key
 *
 * Names the robot in "catalog" answers (router.h).
 */
void
gateway_router_set_id (GatewayRouter *self, const gchar *id)
{
  g_return_if_fail (GATEWAY_IS_ROUTER (self));

  g_free (self->id);
  self->id = g_strdup (id);
}

/**
 * gateway_router_set_definitions:
 * @router: a router
 * @definitions: name -> PipelineDef* (transfer none)
 *
 * Installs pipeline definitions (see router.h); pipelines added with
 * gateway_router_add_controller() are left alone.
 */
void
gateway_router_set_definitions (GatewayRouter *self, GHashTable *defs)
{
  GHashTableIter it;
  gpointer key, value;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  guint i;

  g_return_if_fail (GATEWAY_IS_ROUTER (self));

  /* Gone from the new set: drop now if idle, else once stopped. */
  g_hash_table_iter_init (&it, self->entries);
  while (g_hash_table_iter_next (&it, &key, &value))
    if (!((Entry *)value)->added && !g_hash_table_contains (defs, key))
      g_ptr_array_add (names, g_strdup (key));
  for (i = 0; i < names->len; i++) {
    Entry *e
        = g_hash_table_lookup (self->entries, g_ptr_array_index (names, i));
    e->removed = TRUE;
    g_clear_pointer (&e->pending_def, pipeline_def_unref);
    apply_pending (self, g_ptr_array_index (names, i));
  }

  g_hash_table_iter_init (&it, defs);
  while (g_hash_table_iter_next (&it, &key, &value)) {
    Entry *e = g_hash_table_lookup (self->entries, key);
    if (!e) {
      g_hash_table_insert (self->entries, g_strdup (key),
          entry_new (self, value));
      continue;
    }
    if (e->added) {
      g_warning ("router: definition %s ignored: a pipeline of that name "
                 "was added by the front end",
          (const gchar *)key);
      continue;
    }
    e->removed = FALSE;
    g_clear_pointer (&e->pending_def, pipeline_def_unref);
    /* The same file with the same variables: the pipeline stays as it
     * is (a warm one stays primed, a running one is not restarted). */
    if (pipeline_def_same_source (on_demand_controller_get_def (e->pipeline),
            value)) {
      g_debug ("router: pipeline %s unchanged by the reload",
          (const gchar *)key);
      continue;
    }
    e->pending_def = pipeline_def_ref (value);
    apply_pending (self, key);
  }
  g_signal_emit (self, signals[SIGNAL_PIPELINES_CHANGED], 0);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (on_demand_controller_get_name (*(OnDemandController **)a),
      on_demand_controller_get_name (*(OnDemandController **)b));
}

GPtrArray *
gateway_router_get_pipelines (GatewayRouter *self)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, self->entries);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Entry *e = value;
    if (!e->removed)
      g_ptr_array_add (out, g_object_ref (e->pipeline));
  }
  g_ptr_array_sort (out, compare_names);
  return out;
}

void
gateway_router_get_stats (GatewayRouter *self, GatewayRouterStats *stats)
{
  *stats = self->stats;
}

/* Completes the shutdown once the last answers have left: sent, or
 * unsendable because the channel is not joined. */
static void
shutdown_when_sent (GatewayRouter *self)
{
  GatewayAnswerQueueStats st;
  GTask *task;

  gateway_answer_queue_get_stats (self->outbound, &st);
  self->shutdown_draining
      = st.pending > 0 && gateway_answer_queue_is_open (self->outbound);
  if (self->shutdown_draining || !self->shutdown_task)
    return;
  task = g_steal_pointer (&self->shutdown_task);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
on_outbound_drained (gpointer user_data)
{
  GatewayRouter *self = user_data;

  if (self->shutdown_draining)
    shutdown_when_sent (self);
}

static void
on_channel_state (RealtimeChannel *channel, RealtimeChannelState state,
    const gchar *reason, gpointer user_data)
{
  GatewayRouter *self = user_data;

  /* Only a joined channel sends; meanwhile answers wait and coalesce. */
  gateway_answer_queue_set_open (self->outbound,
      state == REALTIME_CHANNEL_STATE_JOINED);
  if (self->shutdown_draining)
    shutdown_when_sent (self);
}

static void
on_pipeline_shut (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GatewayRouter *self = user_data;

  on_demand_controller_shutdown_finish (ON_DEMAND_CONTROLLER (source), result,
      NULL);
  if (--self->shutdown_pending == 0)
    shutdown_when_sent (self);
  g_object_unref (self);
}

void
gateway_router_shutdown (GatewayRouter *self, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  GHashTableIter it;
  gpointer value;

  self->shutting_down = TRUE;
  if (self->shutdown_task) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
        "already shutting down");
    g_object_unref (task);
    return;
  }
  self->shutdown_task = task;
  self->shutdown_pending = 1; /* held until every pipeline is asked */
  g_hash_table_iter_init (&it, self->entries);
  while (g_hash_table_iter_next (&it, NULL, &value)) {
    Entry *e = value;
    self->shutdown_pending++;
    on_demand_controller_shutdown (e->pipeline, on_pipeline_shut,
        g_object_ref (self));
  }
  if (--self->shutdown_pending == 0)
    shutdown_when_sent (self);
}

gboolean
gateway_router_shutdown_finish (GatewayRouter *self, GAsyncResult *result,
    GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * gateway_router_new:
 * @channel: the channel requests arrive on and replies leave by
 * @events: the event names (copied); GATEWAY_EVENT_NAMES_DEFAULT has the
 *   daemon's defaults
 *
 * Returns: (transfer full): a router without pipelines, driven by the
 *   thread-default GMainContext
 */
GatewayRouter *
gateway_router_new (RealtimeChannel *channel, const GatewayEventNames *events)
{
  GatewayRouter *self;

  g_return_val_if_fail (REALTIME_IS_CHANNEL (channel), NULL);
  g_return_val_if_fail (events != NULL, NULL);
  self = g_object_new (GATEWAY_TYPE_ROUTER, NULL);
  self->context = g_main_context_ref_thread_default ();
  self->channel = g_object_ref (channel);
  self->ev_start = g_strdup (events->start);
  self->ev_stop = g_strdup (events->stop);
  self->ev_renew = g_strdup (events->renew);
  self->ev_status = g_strdup (events->status);
  self->ev_reply = g_strdup (events->reply);
  self->ev_describe
      = g_strdup (events->describe ? events->describe : "describe");
  self->ev_catalog = g_strdup (events->catalog ? events->catalog : "catalog");
  self->outbound = gateway_answer_queue_new (self->context,
      send_budget_new (SEND_BUDGET_DEFAULT_RATE, SEND_BUDGET_DEFAULT_BURST),
      self->ev_reply, send_now, self);
  gateway_answer_queue_set_drained_func (self->outbound, on_outbound_drained,
      self);
  gateway_answer_queue_set_open (self->outbound,
      realtime_channel_get_state (channel) == REALTIME_CHANNEL_STATE_JOINED);
  self->channel_state_id = g_signal_connect (channel, "state-changed",
      G_CALLBACK (on_channel_state), self);
  self->broadcast_id = g_signal_connect (channel, "broadcast",
      G_CALLBACK (on_broadcast), self);
  self->broadcast_refused_id = g_signal_connect (channel, "broadcast-refused",
      G_CALLBACK (on_broadcast_refused), self);
  return self;
}

/**
 * gateway_router_set_send_budget:
 * @router: a router
 * @rate: messages per second on the channel, at most, in any one-second
 *   window (1..%SEND_BUDGET_RATE_MAX)
 * @burst: how many of them may leave back to back (1..@rate)
 *
 * Sets the channel's outbound budget (send-budget.h); the default is
 * %SEND_BUDGET_DEFAULT_RATE with a burst of %SEND_BUDGET_DEFAULT_BURST.
 */
void
gateway_router_set_send_budget (GatewayRouter *self, guint rate, guint burst)
{
  g_return_if_fail (GATEWAY_IS_ROUTER (self));

  gateway_answer_queue_set_budget (self->outbound,
      send_budget_new (rate, burst));
}

/**
 * gateway_router_get_outbound:
 * @router: a router
 *
 * Returns: (transfer none): the queue every message on the channel goes
 *   through (presence too), under the outbound budget
 */
GatewayAnswerQueue *
gateway_router_get_outbound (GatewayRouter *self)
{
  g_return_val_if_fail (GATEWAY_IS_ROUTER (self), NULL);
  return self->outbound;
}

static void
gateway_router_init (GatewayRouter *self)
{
  self->entries
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, entry_free);
}

static void
gateway_router_dispose (GObject *object)
{
  GatewayRouter *self = GATEWAY_ROUTER (object);

  if (self->channel) {
    g_clear_signal_handler (&self->broadcast_id, self->channel);
    g_clear_signal_handler (&self->broadcast_refused_id, self->channel);
    g_clear_signal_handler (&self->channel_state_id, self->channel);
  }
  if (self->entries)
    g_hash_table_remove_all (self->entries);
  /* Before the channel: what still waits cannot be sent any more. */
  g_clear_pointer (&self->outbound, gateway_answer_queue_free);
  g_clear_object (&self->channel);
  G_OBJECT_CLASS (gateway_router_parent_class)->dispose (object);
}

static void
gateway_router_finalize (GObject *object)
{
  GatewayRouter *self = GATEWAY_ROUTER (object);

  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_free (self->ev_start);
  g_free (self->ev_stop);
  g_free (self->ev_renew);
  g_free (self->ev_status);
  g_free (self->ev_reply);
  g_free (self->ev_describe);
  g_free (self->ev_catalog);
  g_free (self->id);
  g_free (self->default_pipeline);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (gateway_router_parent_class)->finalize (object);
}

static void
gateway_router_class_init (GatewayRouterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = gateway_router_dispose;
  object_class->finalize = gateway_router_finalize;

  signals[SIGNAL_PIPELINES_CHANGED]
      = g_signal_new ("pipelines-changed", G_TYPE_FROM_CLASS (klass),
          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

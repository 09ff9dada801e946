/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * router.c: the event contract of DESIGN.md between the channel and the
 * pipelines. Everything received is checked (request.c, params.c) before
 * any pipeline is touched; nothing received is ever pipeline text.
 */
#include "router.h"

/* Built into the core library (log domain "realtime"); this part belongs
 * to the gateway component (STYLE.md). */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "gateway"

#include "request.h"
#include "untrusted.h"

#include <string.h>

typedef struct
{
  OnDemandController *pipeline;
  gulong state_id;
  PipelineDef *pending_def; /* replaces the pipeline once it is stopped */
  gboolean removed; /* dropped once it is stopped */
} Entry;

struct _GatewayRouter
{
  GObject parent;

  RealtimeChannel *channel;
  gulong broadcast_id;
  gchar *ev_start, *ev_stop, *ev_renew, *ev_status, *ev_reply;

  GHashTable *entries; /* name -> Entry* */
  gboolean shutting_down;
  GTask *shutdown_task;
  guint shutdown_pending;

  GatewayRouterStats stats;
};

enum
{
  SIGNAL_PIPELINES_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (GatewayRouter, gateway_router, G_TYPE_OBJECT);

static void
send_reply (GatewayRouter *self, const gchar *pipeline, const gchar *state,
    const gchar *request_id, const gchar *error, JsonNode *params)
{
  g_autoptr (JsonNode) payload
      = gateway_state_payload_new (pipeline, state, request_id, error, params);

  g_message ("pipeline %s: %s%s%s%s%s", pipeline ? pipeline : "(none)", state,
      request_id ? " request " : "", request_id ? request_id : "",
      error ? ": " : "", error ? error : "");
  realtime_channel_send_broadcast (self->channel, self->ev_reply, payload, NULL,
      NULL, NULL);
}

static void
reject (GatewayRouter *self, const gchar *pipeline, const gchar *request_id,
    const gchar *reason)
{
  self->stats.rejected++;
  g_message ("router: request %s rejected: %s",
      request_id ? request_id : "(no request_id)", reason);
  send_reply (self, pipeline, "failed", request_id, reason, NULL);
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
  gboolean restart_pending = FALSE;

  if (!is_idle (on_demand_controller_get_state (pipeline)))
    return FALSE;
  g_object_get (pipeline, "restart-pending", &restart_pending, NULL);
  return !restart_pending;
}

static void on_pipeline_state (OnDemandController *pipeline, OnDemandState state,
    const gchar *request_id, const gchar *error, gpointer user_data);

static Entry *
entry_new (GatewayRouter *self, PipelineDef *def)
{
  Entry *e = g_new0 (Entry, 1);

  e->pipeline = on_demand_controller_new (def);
  e->state_id = g_signal_connect (e->pipeline, "state-changed",
      G_CALLBACK (on_pipeline_state), self);
  return e;
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

  send_reply (self, on_demand_controller_get_name (pipeline),
      on_demand_state_to_string (state), request_id, error, params);
  g_signal_emit (self, signals[SIGNAL_PIPELINES_CHANGED], 0);
  /* Replacing the pipeline inside its own signal emission would free it
   * under its feet: do it from the main loop. */
  if (is_idle (state))
    g_idle_add (apply_pending_idle, g_object_ref (self));
}

static void
handle_start (GatewayRouter *self, GatewayRequest *req, Entry *e)
{
  PipelineDef *def = on_demand_controller_get_def (e->pipeline);
  g_autoptr (GHashTable) values = NULL;
  g_autoptr (GError) error = NULL;
  guint ttl = 0;

  if (req->ttl_s > 0) {
    if (def->max_ttl_s > 0 && (guint64)req->ttl_s > def->max_ttl_s) {
      g_autofree gchar *msg
          = g_strdup_printf ("ttl %" G_GINT64_FORMAT
                             " is above the pipeline's max-ttl %u",
              req->ttl_s, def->max_ttl_s);
      reject (self, req->pipeline, req->request_id, msg);
      return;
    }
    ttl = (guint)req->ttl_s;
  }
  values = gateway_params_validate_request (def->params, req->params, &error);
  if (!values) {
    reject (self, req->pipeline, req->request_id, error->message);
    return;
  }
  on_demand_controller_start (e->pipeline, values, ttl, req->request_id);
}

static void
handle_renew (GatewayRouter *self, GatewayRequest *req, Entry *e)
{
  PipelineDef *def = on_demand_controller_get_def (e->pipeline);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) params = NULL;

  if (def->max_ttl_s > 0 && (guint64)req->ttl_s > def->max_ttl_s) {
    g_autofree gchar *msg
        = g_strdup_printf ("ttl %" G_GINT64_FORMAT
                           " is above the pipeline's max-ttl %u",
            req->ttl_s, def->max_ttl_s);
    reject (self, req->pipeline, req->request_id, msg);
    return;
  }
  if (!on_demand_controller_renew (e->pipeline, (guint)req->ttl_s, &error)) {
    reject (self, req->pipeline, req->request_id, error->message);
    return;
  }
  params = on_demand_controller_dup_params_json (e->pipeline);
  send_reply (self, req->pipeline,
      on_demand_state_to_string (on_demand_controller_get_state (e->pipeline)),
      req->request_id, NULL, params);
}

static void
reply_status (GatewayRouter *self, Entry *e, const gchar *request_id)
{
  g_autoptr (JsonNode) params
      = on_demand_controller_dup_params_json (e->pipeline);

  send_reply (self, on_demand_controller_get_name (e->pipeline),
      on_demand_state_to_string (on_demand_controller_get_state (e->pipeline)),
      request_id, NULL, params);
}

static void
handle_status (GatewayRouter *self, GatewayRequest *req)
{
  g_autoptr (GPtrArray) all = NULL;
  guint i;

  if (req->pipeline) {
    Entry *e = g_hash_table_lookup (self->entries, req->pipeline);
    if (!e || e->removed) {
      reject (self, req->pipeline, req->request_id, "unknown pipeline");
      return;
    }
    reply_status (self, e, req->request_id);
    return;
  }
  all = gateway_router_get_pipelines (self);
  for (i = 0; i < all->len; i++) {
    Entry *e = g_hash_table_lookup (self->entries,
        on_demand_controller_get_name (g_ptr_array_index (all, i)));
    reply_status (self, e, req->request_id);
  }
}

static void
on_broadcast (RealtimeChannel *channel, const gchar *event, JsonNode *payload,
    gpointer user_data)
{
  GatewayRouter *self = user_data;
  g_autoptr (GatewayRequest) req = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *request_id = NULL;
  GatewayRequestKind kind;
  Entry *e;

  if (g_strcmp0 (event, self->ev_start) == 0)
    kind = GATEWAY_REQUEST_START;
  else if (g_strcmp0 (event, self->ev_stop) == 0)
    kind = GATEWAY_REQUEST_STOP;
  else if (g_strcmp0 (event, self->ev_renew) == 0)
    kind = GATEWAY_REQUEST_RENEW;
  else if (g_strcmp0 (event, self->ev_status) == 0)
    kind = GATEWAY_REQUEST_STATUS;
  else {
    g_autofree gchar *safe = gateway_quote_untrusted (event);
    g_debug ("router: event %s is not for us", safe);
    return;
  }

  self->stats.requests++;
  req = gateway_request_parse (kind, payload, &request_id, &error);
  if (!req) {
    reject (self, NULL, request_id, error->message);
    return;
  }
  g_info ("router: %s %s%s%s", gateway_request_kind_to_string (kind),
      req->pipeline ? req->pipeline : "(all)",
      req->request_id ? " request " : "",
      req->request_id ? req->request_id : "");
  if (self->shutting_down) {
    reject (self, req->pipeline, req->request_id,
        "the gateway is shutting "
        "down");
    return;
  }
  if (kind == GATEWAY_REQUEST_STATUS) {
    handle_status (self, req);
    return;
  }
  e = g_hash_table_lookup (self->entries, req->pipeline);
  if (!e || e->removed) {
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
      break;
  }
}

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
    if (!g_hash_table_contains (defs, key))
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
    e->removed = FALSE;
    g_clear_pointer (&e->pending_def, pipeline_def_unref);
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

static void
on_pipeline_shut (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GatewayRouter *self = user_data;

  on_demand_controller_shutdown_finish (ON_DEMAND_CONTROLLER (source), result,
      NULL);
  if (--self->shutdown_pending == 0 && self->shutdown_task) {
    GTask *task = g_steal_pointer (&self->shutdown_task);
    g_task_return_boolean (task, TRUE);
    g_object_unref (task);
  }
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
  if (--self->shutdown_pending == 0) {
    GTask *t = g_steal_pointer (&self->shutdown_task);
    g_task_return_boolean (t, TRUE);
    g_object_unref (t);
  }
}

gboolean
gateway_router_shutdown_finish (GatewayRouter *self, GAsyncResult *result,
    GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

GatewayRouter *
gateway_router_new (RealtimeChannel *channel, const GatewayConfig *config)
{
  GatewayRouter *self = g_object_new (GATEWAY_TYPE_ROUTER, NULL);

  self->channel = g_object_ref (channel);
  self->ev_start = g_strdup (config->ev_start);
  self->ev_stop = g_strdup (config->ev_stop);
  self->ev_renew = g_strdup (config->ev_renew);
  self->ev_status = g_strdup (config->ev_status);
  self->ev_reply = g_strdup (config->ev_reply);
  self->broadcast_id = g_signal_connect (channel, "broadcast",
      G_CALLBACK (on_broadcast), self);
  return self;
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

  if (self->channel)
    g_clear_signal_handler (&self->broadcast_id, self->channel);
  g_clear_object (&self->channel);
  if (self->entries)
    g_hash_table_remove_all (self->entries);
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

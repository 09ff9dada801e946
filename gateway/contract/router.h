/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * router.h: turns start/stop/renew/status broadcasts on the channel into
 * requests on named OnDemandControllers and answers every request with a
 * "pipeline_state" broadcast carrying its request_id. Bad requests are
 * rejected with a reason and touch nothing.
 */
#pragma once

#include <glib-object.h>

#include "answer-queue.h"
#include "ondemand-controller.h"
#include "realtime-channel.h"

G_BEGIN_DECLS

#define GATEWAY_TYPE_ROUTER (gateway_router_get_type ())
G_DECLARE_FINAL_TYPE (GatewayRouter, gateway_router, GATEWAY, ROUTER, GObject)

/* Signals:
 *   "pipelines-changed" (): a pipeline's state changed, or the set of
 *       pipelines did (for status lines, presence and metrics). */

/* The event names on the channel (the [events] group of the daemon's
 * configuration, the *-event properties of realtimesrc). */
typedef struct
{
  const gchar *start; /* "start" */
  const gchar *stop; /* "stop" */
  const gchar *renew; /* "renew" */
  const gchar *status; /* "status" */
  const gchar *reply; /* "pipeline_state" */
  const gchar *describe; /* "describe" (NULL: the default) */
  const gchar *catalog; /* "catalog", describe's answer (NULL: the default) */
} GatewayEventNames;

#define GATEWAY_EVENT_NAMES_DEFAULT                                            \
  {                                                                            \
    "start", "stop", "renew", "status", "pipeline_state", "describe",          \
        "catalog"                                                              \
  }

/* Runs on the thread-default GMainContext at construction (the channel's).
 * @events: copied. */
GatewayRouter *
gateway_router_new (RealtimeChannel *channel, const GatewayEventNames *events);

/* Adds one pipeline made elsewhere (realtimesrc: a controller over its
 * bin-branch runner); a reference is taken. Its name must be unique. */
void gateway_router_add_controller (GatewayRouter *router,
    OnDemandController *controller);

/* realtimesrc's addressing: requests without "pipeline" (or with null) go
 * to @name, and requests naming a pipeline the router does not have are
 * ignored without an answer (other injectors may share the channel)
 * instead of being answered "unknown pipeline". NULL restores the
 * default. */
void
gateway_router_set_default_pipeline (GatewayRouter *router, const gchar *name);

/* The robot's id in "catalog" answers (the daemon's presence key); without
 * one, the default pipeline's name (realtimesrc), else JSON null. */
void gateway_router_set_id (GatewayRouter *router, const gchar *id);

/* Installs pipeline definitions (name -> PipelineDef*, transfer none):
 * new names are added; a changed or removed definition replaces or drops a
 * stopped pipeline at once and a running one when it next stops. */
void
gateway_router_set_definitions (GatewayRouter *router, GHashTable *definitions);

/* Returns: (transfer container): the pipelines, sorted by name. */
GPtrArray *gateway_router_get_pipelines (GatewayRouter *router);

/* The channel's outbound budget (send-budget.h): at most @rate messages in
 * any second, @burst back to back; every answer, catalog and presence
 * update goes through gateway_router_get_outbound(). */
void
gateway_router_set_send_budget (GatewayRouter *router, guint rate, guint burst);
GatewayAnswerQueue *gateway_router_get_outbound (GatewayRouter *router);

typedef struct
{
  guint requests;
  guint rejected;
} GatewayRouterStats;

void
gateway_router_get_stats (GatewayRouter *router, GatewayRouterStats *stats);

/* Stops every pipeline (EOS, bounded by each stop-timeout), then
 * completes. Requests arriving meanwhile are rejected. */
void gateway_router_shutdown (GatewayRouter *router,
    GAsyncReadyCallback callback, gpointer user_data);
gboolean gateway_router_shutdown_finish (GatewayRouter *router,
    GAsyncResult *result, GError **error);

G_END_DECLS

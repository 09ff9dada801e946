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

#include "gateway-config.h"
#include "ondemand-controller.h"
#include "realtime-channel.h"

G_BEGIN_DECLS

#define GATEWAY_TYPE_ROUTER (gateway_router_get_type ())
G_DECLARE_FINAL_TYPE (GatewayRouter, gateway_router, GATEWAY, ROUTER,
    GObject)

/* Signals:
 *   "pipelines-changed" (): a pipeline's state changed, or the set of
 *       pipelines did (for status lines, presence and metrics). */

GatewayRouter *gateway_router_new (RealtimeChannel *channel,
    const GatewayConfig *config);

/* Installs pipeline definitions (name -> PipelineDef*, transfer none):
 * new names are added; a changed or removed definition replaces or drops a
 * stopped pipeline at once and a running one when it next stops. */
void gateway_router_set_definitions (GatewayRouter *router,
    GHashTable *definitions);

/* Returns: (transfer container): the pipelines, sorted by name. */
GPtrArray *gateway_router_get_pipelines (GatewayRouter *router);

typedef struct
{
  guint requests;
  guint rejected;
} GatewayRouterStats;

void gateway_router_get_stats (GatewayRouter *router,
    GatewayRouterStats *stats);

/* Stops every pipeline (EOS, bounded by each stop-timeout), then
 * completes. Requests arriving meanwhile are rejected. */
void gateway_router_shutdown (GatewayRouter *router,
    GAsyncReadyCallback callback, gpointer user_data);
gboolean gateway_router_shutdown_finish (GatewayRouter *router,
    GAsyncResult *result, GError **error);

G_END_DECLS

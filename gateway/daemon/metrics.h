/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * metrics.h: GET /healthz (200 when the channel is joined, 503 otherwise,
 * with a JSON body) and GET /metrics (Prometheus text format) on a loopback
 * address by default.
 */
#pragma once

#include "realtime-channel.h"
#include "realtime-client.h"
#include "router.h"
#include "webrtc-signalling.h"

G_BEGIN_DECLS

typedef struct _GatewayMetrics GatewayMetrics;

/* @address: "IP:PORT" (port 0 picks a free one). */
GatewayMetrics *
gateway_metrics_new (const gchar *address, RealtimeClient *client,
    RealtimeChannel *channel, GatewayRouter *router, GError **error);
void gateway_metrics_free (GatewayMetrics *metrics);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GatewayMetrics, gateway_metrics_free)

/* The port actually bound. */
guint gateway_metrics_get_port (GatewayMetrics *metrics);

/* Serves the WebRTC viewer sessions' series of @signalling
 * (webrtc_signalling_render_metrics) after the others; NULL drops them. */
void gateway_metrics_set_webrtc (GatewayMetrics *metrics,
    WebrtcSignalling *signalling);

/* The Prometheus text, as served (for tests and logs). */
gchar *gateway_metrics_render (GatewayMetrics *metrics);

G_END_DECLS

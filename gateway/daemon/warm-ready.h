/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * warm-ready.h: waits for the warm pipelines' preparation (parse, bring
 * up, prime: pipeline-runner.c "Warm") before the daemon joins its
 * channel, so the first start after launch finds them as warm as every
 * later one. Bounded: past the timeout the daemon joins anyway, and a
 * start during a preparation still works (it is only slower).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GatewayWarmReady GatewayWarmReady;

/* @waited: how many runners were preparing when the wait began;
 * @timed_out: TRUE when the bound ended the wait. */
typedef void (*GatewayWarmReadyFunc) (guint waited, gboolean timed_out,
    gpointer user_data);

/* Watches the runners of @controllers (OnDemandController*) that are
 * preparing. @func is called once from the thread-default main context:
 * when none is preparing any more, or after @timeout_ms; at once (from an
 * idle source) when none was. Nothing is called after the wait is freed. */
GatewayWarmReady *gateway_warm_ready_new (GPtrArray *controllers,
    guint timeout_ms, GatewayWarmReadyFunc func, gpointer user_data);
void gateway_warm_ready_free (GatewayWarmReady *wait);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (GatewayWarmReady, gateway_warm_ready_free)

G_END_DECLS

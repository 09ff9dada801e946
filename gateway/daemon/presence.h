/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * presence.h: the daemon on the channel's presence list. Once the channel
 * is joined, and again whenever a pipeline's state changes, it tracks
 * {"id", "version", "pipelines": {name: state}} under the presence key
 * @id, coalescing updates so as to stay under the server's limit of 5
 * presence calls per 30 s.
 */
#pragma once

#include "realtime-channel.h"
#include "router.h"

G_BEGIN_DECLS

typedef struct _GatewayPresence GatewayPresence;

/* Sets @channel's presence key to @id (call it before subscribing);
 * references to @channel and @router are taken. Its timer runs on the
 * global default GMainContext (the daemon's main loop). */
GatewayPresence *gateway_presence_new (RealtimeChannel *channel,
    GatewayRouter *router, const gchar *id);
/* Stops: the pending track, if any, goes with it. */
void gateway_presence_free (GatewayPresence *presence);

/* The channel was joined: the server forgot us, track at once. */
void gateway_presence_joined (GatewayPresence *presence);
/* A pipeline's state changed: track again within the rate limit. */
void gateway_presence_changed (GatewayPresence *presence);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GatewayPresence, gateway_presence_free)

G_END_DECLS

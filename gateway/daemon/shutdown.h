/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * shutdown.h: the daemon's orderly exit (SIGTERM, SIGINT). Every pipeline
 * gets EOS and stops (files are finalised), the last replies go out, the
 * channel is left, the client flushes (the server has read everything)
 * and disconnects. The whole is bounded: past the longest stop-timeout
 * plus margins it gives up and says so.
 */
#pragma once

#include "realtime-channel.h"
#include "realtime-client.h"
#include "router.h"

G_BEGIN_DECLS

typedef struct _GatewayShutdown GatewayShutdown;

/* @exit_code: 0 after an orderly exit, 1 when the bound was hit or the
 * exit was hurried (gateway_shutdown_now()). */
typedef void (*GatewayShutdownDone) (gint exit_code, gpointer user_data);

/* Starts the exit on the global default GMainContext (the daemon's main
 * loop); references to @client, @channel and @router are taken. @done is
 * called once, after the client was disconnected, unless the shutdown is
 * freed first. */
GatewayShutdown *
gateway_shutdown_start (RealtimeClient *client, RealtimeChannel *channel,
    GatewayRouter *router, GatewayShutdownDone done, gpointer user_data);
/* Ends at once (a second stop signal): disconnects and calls @done with
 * 1, unless it was already called. */
void gateway_shutdown_now (GatewayShutdown *shutdown);
/* Drops whatever is still in flight; @done is not called any more. */
void gateway_shutdown_free (GatewayShutdown *shutdown);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GatewayShutdown, gateway_shutdown_free)

G_END_DECLS

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * sd-notify.h: what the daemon tells systemd (Type=notify). READY=1 once
 * the channel is joined, or after 30 s without a join (a robot booting
 * without a link must not be killed by the start timeout), a STATUS= line
 * on every change of the connection, the channel or the pipelines,
 * WATCHDOG=1 at half the unit's WatchdogSec, and RELOADING=1 / STOPPING=1
 * when the daemon says so. Built without libsystemd, it sends nothing.
 */
#pragma once

#include "realtime-channel.h"
#include "realtime-client.h"
#include "router.h"

G_BEGIN_DECLS

typedef struct _GatewaySdNotify GatewaySdNotify;

/* Reports on @client, @channel and @router (references are taken): starts
 * the ready timer and the watchdog on the global default GMainContext
 * (the daemon's main loop) and sends a first STATUS= line. */
GatewaySdNotify *gateway_sd_notify_new (RealtimeClient *client,
    RealtimeChannel *channel, GatewayRouter *router);
/* Stops: the timers go with it. */
void gateway_sd_notify_free (GatewaySdNotify *notify);

/* Sends the STATUS= line for the current states: call it on every change
 * of the connection, the channel or the pipelines. */
void gateway_sd_notify_status (GatewaySdNotify *notify);
/* The channel was joined: READY=1, unless already sent. */
void gateway_sd_notify_joined (GatewaySdNotify *notify);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GatewaySdNotify, gateway_sd_notify_free)

/* RELOADING=1: pipeline definitions are being reloaded. */
void gateway_sd_notify_reloading (GatewaySdNotify *notify);
/* READY=1 after a reload. */
void gateway_sd_notify_reloaded (GatewaySdNotify *notify);
/* STOPPING=1, and STATUS= lines say "stopping" from now on. */
void gateway_sd_notify_stopping (GatewaySdNotify *notify);

G_END_DECLS

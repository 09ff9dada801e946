/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * sd-notify.c: systemd notifications (sd_notify(3)) for the daemon.
 */
#include "sd-notify.h"

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

/* Ready without a join after this long; STATUS= says what is missing. */
#define READY_WITHOUT_JOIN_MS 30000

struct _GatewaySdNotify
{
  RealtimeClient *client; /* owned */
  RealtimeChannel *channel; /* owned */
  GatewayRouter *router; /* owned */
  guint ready_timer_id; /* READY=1 not sent yet */
  guint watchdog_id; /* 0: the unit has no watchdog */
  gboolean ready_sent;
  gboolean stopping;
};

static void
notify_send (const gchar *state)
{
#ifdef HAVE_LIBSYSTEMD
  sd_notify (0, state);
#else
  (void)state;
#endif
}

/**
 * gateway_sd_notify_status:
 * @notify: a notifier
 *
 * Sends "STATUS=[stopping; ]CONNECTION, channel CHANNEL, N of M pipelines
 * playing".
 */
void
gateway_sd_notify_status (GatewaySdNotify *n)
{
  g_autoptr (GPtrArray) pipelines = gateway_router_get_pipelines (n->router);
  g_autofree gchar *status = NULL;
  guint playing = 0, i;

  for (i = 0; i < pipelines->len; i++)
    if (on_demand_controller_get_state (g_ptr_array_index (pipelines, i))
        == ON_DEMAND_STATE_PLAYING)
      playing++;
  status
      = g_strdup_printf ("STATUS=%s%s, channel %s, %u of %u pipelines playing",
          n->stopping ? "stopping; " : "",
          realtime_client_state_to_string (
              realtime_client_get_state (n->client)),
          realtime_channel_state_to_string (
              realtime_channel_get_state (n->channel)),
          playing, pipelines->len);
  notify_send (status);
}

/**
 * gateway_sd_notify_joined:
 * @notify: a notifier
 *
 * Sends READY=1 if it was not sent yet (the ready timer goes).
 */
void
gateway_sd_notify_joined (GatewaySdNotify *n)
{
  g_clear_handle_id (&n->ready_timer_id, g_source_remove);
  if (n->ready_sent)
    return;
  n->ready_sent = TRUE;
  notify_send ("READY=1");
}

static gboolean
on_ready_timer (gpointer data)
{
  GatewaySdNotify *n = data;

  n->ready_timer_id = 0;
  g_message ("not joined after %d s: reporting ready and still trying",
      READY_WITHOUT_JOIN_MS / 1000);
  gateway_sd_notify_joined (n);
  return G_SOURCE_REMOVE;
}

static gboolean
on_watchdog (gpointer data)
{
  notify_send ("WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

/**
 * gateway_sd_notify_new:
 * @client: the daemon's client (a reference is taken)
 * @channel: its channel (a reference is taken)
 * @router: its router (a reference is taken)
 *
 * Returns: (transfer full): the notifier
 */
GatewaySdNotify *
gateway_sd_notify_new (RealtimeClient *client, RealtimeChannel *channel,
    GatewayRouter *router)
{
  GatewaySdNotify *n = g_new0 (GatewaySdNotify, 1);
#ifdef HAVE_LIBSYSTEMD
  uint64_t watchdog_usec = 0;
#endif

  n->client = g_object_ref (client);
  n->channel = g_object_ref (channel);
  n->router = g_object_ref (router);
  n->ready_timer_id = g_timeout_add (READY_WITHOUT_JOIN_MS, on_ready_timer, n);
#ifdef HAVE_LIBSYSTEMD
  if (sd_watchdog_enabled (0, &watchdog_usec) > 0 && watchdog_usec > 0)
    n->watchdog_id
        = g_timeout_add (MAX (watchdog_usec / 2000, 1), on_watchdog, n);
#else
  (void)on_watchdog;
#endif
  gateway_sd_notify_status (n);
  return n;
}

/**
 * gateway_sd_notify_free:
 * @notify: (nullable): a notifier
 *
 * Stops notifying (systemd sees the process end by itself).
 */
void
gateway_sd_notify_free (GatewaySdNotify *n)
{
  if (!n)
    return;
  g_clear_handle_id (&n->ready_timer_id, g_source_remove);
  g_clear_handle_id (&n->watchdog_id, g_source_remove);
  g_clear_object (&n->client);
  g_clear_object (&n->channel);
  g_clear_object (&n->router);
  g_free (n);
}

/**
 * gateway_sd_notify_reloading:
 * @notify: a notifier
 *
 * Says RELOADING=1; follow with gateway_sd_notify_reloaded().
 */
void
gateway_sd_notify_reloading (GatewaySdNotify *n)
{
  notify_send ("RELOADING=1");
}

/**
 * gateway_sd_notify_reloaded:
 * @notify: a notifier
 *
 * Says READY=1: the reload is over, whatever its outcome.
 */
void
gateway_sd_notify_reloaded (GatewaySdNotify *n)
{
  notify_send ("READY=1");
}

/**
 * gateway_sd_notify_stopping:
 * @notify: a notifier
 *
 * Says STOPPING=1 and a STATUS= line saying "stopping".
 */
void
gateway_sd_notify_stopping (GatewaySdNotify *n)
{
  n->stopping = TRUE;
  notify_send ("STOPPING=1");
  gateway_sd_notify_status (n);
}

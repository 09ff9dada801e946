/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * daemon.c: "realtime-gateway run" (the on-robot service), as wiring.
 *
 * One main loop drives everything: the realtime client, the router and its
 * pipelines (whose blocking state changes run on their own workers), the
 * metrics endpoint (metrics.c), presence (presence.c), systemd
 * notifications (sd-notify.c), the watched access-token file
 * (RealtimeTokenWatch) and signals: TERM/INT stop every pipeline with EOS,
 * leave and exit 0 (shutdown.c); HUP reloads pipeline definitions; USR1
 * reconnects. What "run" checks before starting is check-config.c's.
 * Definitions with output=webrtc are watched through WebRTC viewer
 * sessions signalled on the same channel (webrtc-signalling.h), with the
 * [webrtc] settings of the configuration.
 */
#include <glib.h>

#include "daemon.h"

#include "check-config.h"
#include "metrics.h"
#include "pipeline-def.h"
#include "presence.h"
#include "realtime-token-watch.h"
#include "router.h"
#include "sd-notify.h"
#include "shutdown.h"
#include "warm-ready.h"
#include "webrtc-signalling.h"

#include <errno.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <string.h>

typedef struct
{
  GMainLoop *loop;
  GatewayConfig *config;
  gchar **vars;
  RealtimeClient *client;
  RealtimeChannel *channel; /* the client's */
  GatewayRouter *router;
  WebrtcSignalling *webrtc; /* viewer sessions of output=webrtc pipelines */

  GatewayMetrics *metrics; /* nullable: off */
  RealtimeTokenWatch *token_watch; /* nullable: no access-token file */
  GatewayPresence *presence; /* nullable: off */
  GatewaySdNotify *notify;
  GatewayShutdown *shutdown; /* nullable: not stopping */
  GatewayWarmReady *warm_ready; /* nullable: joined, or never waited */

  /* Every handler and source of run: cleared in daemon_clear(). */
  guint signal_ids[4];
  gulong client_state_id;
  gulong channel_state_id;
  gulong pipelines_changed_id;

  gint exit_code;
} Daemon;

static void
on_client_state (RealtimeClient *client, RealtimeClientState state,
    const gchar *reason, gpointer user_data)
{
  Daemon *d = user_data;

  g_message ("connection %s (%s)", realtime_client_state_to_string (state),
      reason);
  gateway_sd_notify_status (d->notify);
}

static void
on_channel_state (RealtimeChannel *channel, RealtimeChannelState state,
    const gchar *reason, gpointer user_data)
{
  Daemon *d = user_data;

  g_message ("channel %s %s (%s)", realtime_channel_get_topic (channel),
      realtime_channel_state_to_string (state), reason);
  if (state == REALTIME_CHANNEL_STATE_JOINED) {
    gateway_sd_notify_joined (d->notify);
    if (d->presence)
      gateway_presence_joined (d->presence);
  }
  gateway_sd_notify_status (d->notify);
}

static void
on_pipelines_changed (GatewayRouter *router, gpointer user_data)
{
  Daemon *d = user_data;

  gateway_sd_notify_status (d->notify);
  if (d->presence)
    gateway_presence_changed (d->presence);
}

static void
on_shutdown_done (gint exit_code, gpointer user_data)
{
  Daemon *d = user_data;

  d->exit_code = exit_code;
  g_main_loop_quit (d->loop);
}

static gboolean
on_stop_signal (gpointer data)
{
  Daemon *d = data;

  if (d->shutdown) {
    gateway_shutdown_now (d->shutdown);
    return G_SOURCE_CONTINUE;
  }
  gateway_sd_notify_stopping (d->notify);
  /* Viewers first: each is told "ended", and no new one comes. */
  webrtc_signalling_shutdown (d->webrtc);
  d->shutdown = gateway_shutdown_start (d->client, d->channel, d->router,
      on_shutdown_done, d);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_reload_signal (gpointer data)
{
  Daemon *d = data;
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) defs = NULL;
  guint i;

  if (d->shutdown)
    return G_SOURCE_CONTINUE;
  gateway_sd_notify_reloading (d->notify);
  defs
      = pipeline_def_load_dirs ((const gchar *const *)d->config->pipelines_dirs,
          (const gchar *const *)d->vars, TRUE, problems);
  if (problems->len > 0 || !defs) {
    for (i = 0; i < problems->len; i++)
      g_warning ("reload: %s", (gchar *)g_ptr_array_index (problems, i));
    g_warning ("reload refused: keeping the pipeline definitions in use");
  } else {
    gateway_router_set_definitions (d->router, defs);
    g_message ("reloaded %u pipeline definitions", g_hash_table_size (defs));
  }
  gateway_sd_notify_reloaded (d->notify);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_reconnect_signal (gpointer data)
{
  Daemon *d = data;

  g_message ("SIGUSR1: reconnecting");
  realtime_client_reconnect (d->client);
  return G_SOURCE_CONTINUE;
}

/* In the order that leaves nothing able to call into a freed object: the
 * sources and handlers first (every part drops its own), then the
 * connection (its state changes reach no handler any more), then the
 * router and its pipelines, then the client. */
static void
daemon_clear (Daemon *d)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (d->signal_ids); i++)
    if (d->signal_ids[i])
      g_source_remove (d->signal_ids[i]);
  memset (d->signal_ids, 0, sizeof d->signal_ids);
  g_clear_pointer (&d->warm_ready, gateway_warm_ready_free);
  if (d->client)
    g_clear_signal_handler (&d->client_state_id, d->client);
  if (d->channel)
    g_clear_signal_handler (&d->channel_state_id, d->channel);
  if (d->router)
    g_clear_signal_handler (&d->pipelines_changed_id, d->router);
  g_clear_pointer (&d->shutdown, gateway_shutdown_free);
  g_clear_pointer (&d->presence, gateway_presence_free);
  g_clear_pointer (&d->notify, gateway_sd_notify_free);
  g_clear_pointer (&d->metrics, gateway_metrics_free);
  g_clear_pointer (&d->token_watch, realtime_token_watch_free);

  if (d->client)
    realtime_client_disconnect (d->client);
  /* Before the router: it ends its sessions and stops what they started. */
  g_clear_object (&d->webrtc);
  g_clear_object (&d->router);
  d->channel = NULL;
  g_clear_object (&d->client);
  g_clear_pointer (&d->config, gateway_config_free);
  g_clear_pointer (&d->vars, g_strfreev);
  g_clear_pointer (&d->loop, g_main_loop_unref);
}

/* The bound of the wait for warm pipelines before the first join: a
 * preparation is bounded by its definition's start-timeout (10 s by
 * default); past this the daemon joins anyway. */
#define WARM_READY_TIMEOUT_MS 15000

/* The warm pipelines are primed (or the bound passed): join now, so the
 * first start finds them warm (warm-ready.h). */
static void
on_warm_ready (guint waited, gboolean timed_out, gpointer user_data)
{
  Daemon *d = user_data;

  g_clear_pointer (&d->warm_ready, gateway_warm_ready_free);
  if (waited > 0)
    g_message ("%u warm pipeline%s %s; joining", waited, waited == 1 ? "" : "s",
        timed_out ? "still preparing after the bound" : "prepared");
  if (d->shutdown)
    return;
  realtime_channel_subscribe (d->channel);
  realtime_client_connect (d->client);
}

/* Builds the running daemon from what passed the checks (taken). FALSE
 * after printing why it cannot run. */
static gboolean
daemon_setup (Daemon *d, GatewayCheckedConfig *checked)
{
  GatewayConfig *config;
  g_autoptr (GError) error = NULL;
  GatewayEventNames events;

  d->config = config = g_steal_pointer (&checked->config);
  d->vars = g_steal_pointer (&checked->vars);
  d->client = g_steal_pointer (&checked->client);
  if (g_mkdir_with_parents (config->recordings_dir, 0750) != 0)
    g_warning ("recordings-dir %s: cannot create it (%s): recordings will "
               "fail",
        config->recordings_dir, g_strerror (errno));

  d->loop = g_main_loop_new (NULL, FALSE);
  if (config->realtime.access_token_file)
    d->token_watch = realtime_token_watch_new (d->client,
        config->realtime.access_token_file);
  d->channel = realtime_client_channel (d->client, config->channel);
  g_object_set (d->channel, "private", config->private_, NULL);

  events = (GatewayEventNames){ config->ev_start, config->ev_stop,
    config->ev_renew, config->ev_status, config->ev_reply, config->ev_describe,
    config->ev_catalog };
  d->router = gateway_router_new (d->channel, &events);
  gateway_router_set_send_budget (d->router, config->send_rate,
      config->send_burst);
  gateway_router_set_id (d->router, config->id);
  gateway_router_set_definitions (d->router, checked->defs);
  d->webrtc = webrtc_signalling_new (d->channel, d->router, &config->webrtc);
  webrtc_signalling_set_status_event (d->webrtc, config->ev_status);
  /* Server URIs carry no credentials (check-config refuses them). */
  g_message ("webrtc: STUN %s, %u TURN server%s%s, max-viewers %u per "
             "pipeline%s",
      config->webrtc.stun_server ? config->webrtc.stun_server : "none",
      config->webrtc.turn_servers ? g_strv_length (config->webrtc.turn_servers)
                                  : 0,
      config->webrtc.turn_servers
              && g_strv_length (config->webrtc.turn_servers) == 1
          ? ""
          : "s",
      config->webrtc.relay_only ? " (relay only)" : "",
      config->webrtc.max_viewers,
      config->webrtc.max_viewers ? "" : " (each definition's own)");

  if (config->presence)
    d->presence = gateway_presence_new (d->channel, d->router, config->id);
  d->notify = gateway_sd_notify_new (d->client, d->channel, d->router);
  d->client_state_id = g_signal_connect (d->client, "state-changed",
      G_CALLBACK (on_client_state), d);
  d->channel_state_id = g_signal_connect (d->channel, "state-changed",
      G_CALLBACK (on_channel_state), d);
  d->pipelines_changed_id = g_signal_connect (d->router, "pipelines-changed",
      G_CALLBACK (on_pipelines_changed), d);
  if (config->metrics_address) {
    d->metrics = gateway_metrics_new (config->metrics_address, d->client,
        d->channel, d->router, &error);
    if (!d->metrics) {
      g_printerr ("realtime-gateway: metrics-address %s: %s\n",
          config->metrics_address, error->message);
      return FALSE;
    }
    gateway_metrics_set_webrtc (d->metrics, d->webrtc);
  }
  d->signal_ids[0] = g_unix_signal_add (SIGTERM, on_stop_signal, d);
  d->signal_ids[1] = g_unix_signal_add (SIGINT, on_stop_signal, d);
  d->signal_ids[2] = g_unix_signal_add (SIGHUP, on_reload_signal, d);
  d->signal_ids[3] = g_unix_signal_add (SIGUSR1, on_reconnect_signal, d);
  return TRUE;
}

/**
 * gateway_daemon_run:
 * @argc: from the command's argument vector
 * @argv: the command's arguments
 *
 * Returns: the exit status: 0 after an orderly stop, 1 when the checks
 *   failed or the stop was not orderly, 2 for bad arguments
 */
int
gateway_daemon_run (int argc, char **argv)
{
  g_autofree gchar *path = NULL;
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *safe_url = NULL;
  GatewayCheckedConfig checked;
  Daemon d = { 0 };
  guint n_pipelines;

  if (!gateway_parse_config_option (argc, argv, "run - the on-robot service",
          &path))
    return 2;
  gst_init (NULL, NULL);
  if (!gateway_check_config_load (path, &checked, problems)) {
    gateway_print_problems (problems);
    g_printerr ("realtime-gateway: not starting\n");
    return 1;
  }
  n_pipelines = g_hash_table_size (checked.defs);
  if (!daemon_setup (&d, &checked)) {
    gateway_checked_config_clear (&checked);
    daemon_clear (&d);
    return 1;
  }
  gateway_checked_config_clear (&checked);

  safe_url = realtime_client_dup_redacted_url (d.client);
  g_message ("realtime-gateway %s: channel realtime:%s, %u pipelines, "
             "connecting to %s",
      PACKAGE_VERSION, d.config->channel, n_pipelines, safe_url);
  {
    g_autoptr (GPtrArray) pipelines = gateway_router_get_pipelines (d.router);

    d.warm_ready = gateway_warm_ready_new (pipelines, WARM_READY_TIMEOUT_MS,
        on_warm_ready, &d);
  }
  g_main_loop_run (d.loop);

  g_message ("stopped");
  daemon_clear (&d);
  return d.exit_code;
}

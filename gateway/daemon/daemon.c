/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * daemon.c: "realtime-gateway run" (the on-robot service) and
 * "realtime-gateway check-config".
 *
 * One main loop drives everything: the realtime client, the router and its
 * pipelines (whose blocking state changes run on their own workers), the
 * metrics endpoint, signals (TERM/INT: stop every pipeline with EOS, leave,
 * exit 0; HUP: reload pipeline definitions; USR1: reconnect), the watched
 * access-token file and systemd notifications.
 */
#include <glib.h>

#include "daemon.h"

#include "gateway-config.h"
#include "metrics.h"
#include "pipeline-def.h"
#include "realtime-redact.h"
#include "router.h"
#include "secret-file.h"

#include <errno.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <string.h>
#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

/* Ready without a join after this long: a robot booting without a link
 * must not be killed by systemd's start timeout; STATUS= says what is
 * missing. */
#define READY_WITHOUT_JOIN_MS 30000
/* The server closes a channel past 5 presence calls per 30 s. */
#define PRESENCE_MIN_INTERVAL_MS 6500
#define LEAVE_WAIT_MS 1500

typedef struct
{
  GMainLoop *loop;
  GatewayConfig *config;
  gchar **vars;
  RealtimeClient *client;
  RealtimeChannel *channel;
  GatewayRouter *router;
  GatewayMetrics *metrics;

  GFileMonitor *token_monitor;
  GSource *token_debounce;

  guint signal_ids[4];
  GSource *ready_source;
  GSource *watchdog_source;
  GSource *presence_source;
  gint64 last_track_us;
  gboolean ready_notified;

  gboolean stopping;
  GSource *stop_deadline;
  GSource *leave_wait;
  gulong leave_state_id;
  gulong leave_heartbeat_id;
  gint exit_code;
} Daemon;

static void
notify (const gchar *state)
{
#ifdef HAVE_LIBSYSTEMD
  sd_notify (0, state);
#else
  (void) state;
#endif
}

static void
update_status (Daemon *d)
{
  g_autoptr (GPtrArray) pipelines = gateway_router_get_pipelines (d->router);
  g_autofree gchar *status = NULL;
  guint playing = 0, i;

  for (i = 0; i < pipelines->len; i++)
    if (on_demand_controller_get_state (g_ptr_array_index (pipelines, i)) ==
        ON_DEMAND_STATE_PLAYING)
      playing++;
  status = g_strdup_printf ("STATUS=%s%s, channel %s, %u of %u pipelines "
      "playing", d->stopping ? "stopping; " : "",
      realtime_client_state_to_string (realtime_client_get_state
          (d->client)), realtime_channel_state_to_string
      (realtime_channel_get_state (d->channel)), playing, pipelines->len);
  notify (status);
}

/* --- presence --- */

static JsonNode *
presence_meta (Daemon *d)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GPtrArray) pipelines = gateway_router_get_pipelines (d->router);
  guint i;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, d->config->id);
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_set_member_name (b, "pipelines");
  json_builder_begin_object (b);
  for (i = 0; i < pipelines->len; i++) {
    OnDemandController *p = g_ptr_array_index (pipelines, i);
    json_builder_set_member_name (b, on_demand_controller_get_name (p));
    json_builder_add_string_value (b, on_demand_state_to_string
        (on_demand_controller_get_state (p)));
  }
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static gboolean
on_presence_due (gpointer data)
{
  Daemon *d = data;
  g_autoptr (JsonNode) meta = NULL;

  g_clear_pointer (&d->presence_source, g_source_unref);
  if (realtime_channel_get_state (d->channel) !=
      REALTIME_CHANNEL_STATE_JOINED)
    return G_SOURCE_REMOVE;
  meta = presence_meta (d);
  realtime_channel_track (d->channel, meta);
  d->last_track_us = g_get_monotonic_time ();
  return G_SOURCE_REMOVE;
}

/* Coalesces presence updates within the server's rate limit. */
static void
schedule_presence (Daemon *d, gboolean fresh_join)
{
  gint64 since_ms;
  guint delay = 0;

  if (!d->config->presence || d->presence_source)
    return;
  since_ms = (g_get_monotonic_time () - d->last_track_us) / 1000;
  if (!fresh_join && d->last_track_us && since_ms < PRESENCE_MIN_INTERVAL_MS)
    delay = PRESENCE_MIN_INTERVAL_MS - since_ms;
  d->presence_source = g_timeout_source_new (delay);
  g_source_set_callback (d->presence_source, on_presence_due, d, NULL);
  g_source_attach (d->presence_source, NULL);
}

/* --- state --- */

static void
on_client_state (RealtimeClient *client, RealtimeClientState state,
    const gchar *reason, gpointer user_data)
{
  Daemon *d = user_data;

  g_message ("connection %s (%s)", realtime_client_state_to_string (state),
      reason);
  update_status (d);
}

static void
notify_ready (Daemon *d)
{
  if (d->ready_notified)
    return;
  d->ready_notified = TRUE;
  notify ("READY=1");
}

static gboolean
on_ready_timeout (gpointer data)
{
  Daemon *d = data;

  g_clear_pointer (&d->ready_source, g_source_unref);
  g_message ("not joined after %d s: reporting ready and still trying",
      READY_WITHOUT_JOIN_MS / 1000);
  notify_ready (d);
  return G_SOURCE_REMOVE;
}

static void
on_channel_state (RealtimeChannel *channel, RealtimeChannelState state,
    const gchar *reason, gpointer user_data)
{
  Daemon *d = user_data;

  g_message ("channel %s %s (%s)", realtime_channel_get_topic (channel),
      realtime_channel_state_to_string (state), reason);
  if (state == REALTIME_CHANNEL_STATE_JOINED) {
    notify_ready (d);
    schedule_presence (d, TRUE);
  }
  update_status (d);
}

static void
on_pipelines_changed (GatewayRouter *router, gpointer user_data)
{
  Daemon *d = user_data;

  update_status (d);
  schedule_presence (d, FALSE);
}

static gboolean
on_watchdog (gpointer data)
{
  notify ("WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

/* --- access token file --- */

static gboolean
load_token (Daemon *d, gboolean initial)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GatewaySecret) token = NULL;

  token = gateway_secret_file_read (d->config->access_token_file, &error);
  if (!token) {
    if (initial)
      g_warning ("access-token-file: %s", error->message);
    else
      g_warning ("access-token-file: %s; keeping the current token",
          error->message);
    return FALSE;
  }
  realtime_client_set_access_token (d->client, token);
  if (!initial)
    g_message ("access token reloaded from %s", d->config->access_token_file);
  return TRUE;
}

static gboolean
on_token_debounced (gpointer data)
{
  Daemon *d = data;

  g_clear_pointer (&d->token_debounce, g_source_unref);
  load_token (d, FALSE);
  return G_SOURCE_REMOVE;
}

static void
on_token_file_changed (GFileMonitor *monitor, GFile *file, GFile *other,
    GFileMonitorEvent event, gpointer user_data)
{
  Daemon *d = user_data;

  switch (event) {
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
    case G_FILE_MONITOR_EVENT_RENAMED:
    case G_FILE_MONITOR_EVENT_CHANGED:
      break;
    default:
      return;
  }
  /* Writers save in several steps; read once they are done. */
  if (d->token_debounce) {
    g_source_destroy (d->token_debounce);
    g_source_unref (d->token_debounce);
  }
  d->token_debounce = g_timeout_source_new (100);
  g_source_set_callback (d->token_debounce, on_token_debounced, d, NULL);
  g_source_attach (d->token_debounce, NULL);
}

/* --- stopping --- */

static void
finish (Daemon *d)
{
  if (d->leave_wait) {
    g_source_destroy (d->leave_wait);
    g_clear_pointer (&d->leave_wait, g_source_unref);
  }
  g_clear_signal_handler (&d->leave_state_id, d->channel);
  g_clear_signal_handler (&d->leave_heartbeat_id, d->client);
  realtime_client_disconnect (d->client);
  g_main_loop_quit (d->loop);
}

static gboolean
on_leave_wait_over (gpointer data)
{
  Daemon *d = data;

  g_clear_pointer (&d->leave_wait, g_source_unref);
  g_message ("no reply to the leave in time: closing anyway");
  finish (d);
  return G_SOURCE_REMOVE;
}

static void
on_leave_heartbeat (RealtimeClient *client, RealtimeHeartbeatStatus status,
    gdouble rtt, gpointer user_data)
{
  if (status == REALTIME_HEARTBEAT_OK)
    finish (user_data);
}

static void
on_leave_state (RealtimeChannel *channel, RealtimeChannelState state,
    const gchar *reason, gpointer user_data)
{
  Daemon *d = user_data;

  if (state != REALTIME_CHANNEL_STATE_CLOSED)
    return;
  /* The last pipeline_state replies went out before the leave; a heartbeat
   * answered after them proves the server read them all. */
  if (realtime_client_get_state (d->client) ==
      REALTIME_CLIENT_STATE_CONNECTED) {
    g_clear_signal_handler (&d->leave_state_id, d->channel);
    d->leave_heartbeat_id = g_signal_connect (d->client, "heartbeat",
        G_CALLBACK (on_leave_heartbeat), d);
    realtime_client_heartbeat_now (d->client);
  } else {
    finish (d);
  }
}

static void
on_router_shut (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Daemon *d = user_data;

  gateway_router_shutdown_finish (GATEWAY_ROUTER (source), result, NULL);
  g_message ("every pipeline stopped; leaving the channel");
  if (realtime_channel_get_state (d->channel) !=
      REALTIME_CHANNEL_STATE_JOINED) {
    finish (d);
    return;
  }
  d->leave_state_id = g_signal_connect (d->channel, "state-changed",
      G_CALLBACK (on_leave_state), d);
  d->leave_wait = g_timeout_source_new (LEAVE_WAIT_MS);
  g_source_set_callback (d->leave_wait, on_leave_wait_over, d, NULL);
  g_source_attach (d->leave_wait, NULL);
  realtime_channel_unsubscribe (d->channel);
}

static gboolean
on_stop_deadline (gpointer data)
{
  Daemon *d = data;

  g_clear_pointer (&d->stop_deadline, g_source_unref);
  g_warning ("pipelines did not stop in time: exiting anyway");
  d->exit_code = 1;
  finish (d);
  return G_SOURCE_REMOVE;
}

static guint
longest_stop_timeout (Daemon *d)
{
  g_autoptr (GPtrArray) pipelines = gateway_router_get_pipelines (d->router);
  guint longest = 0, i;

  for (i = 0; i < pipelines->len; i++) {
    PipelineDef *def =
        on_demand_controller_get_def (g_ptr_array_index (pipelines, i));
    longest = MAX (longest, def->stop_timeout_ms);
  }
  return longest;
}

static gboolean
on_stop_signal (gpointer data)
{
  Daemon *d = data;

  if (d->stopping) {
    g_warning ("second stop signal: exiting without waiting");
    d->exit_code = 1;
    finish (d);
    return G_SOURCE_CONTINUE;
  }
  d->stopping = TRUE;
  notify ("STOPPING=1");
  update_status (d);
  g_message ("stopping: every pipeline gets EOS");
  /* Bounded: the longest EOS wait, the NULL after it, and the leave. */
  d->stop_deadline = g_timeout_source_new (longest_stop_timeout (d) + 5000 +
      LEAVE_WAIT_MS);
  g_source_set_callback (d->stop_deadline, on_stop_deadline, d, NULL);
  g_source_attach (d->stop_deadline, NULL);
  gateway_router_shutdown (d->router, on_router_shut, d);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_reload_signal (gpointer data)
{
  Daemon *d = data;
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) defs = NULL;
  guint i;

  if (d->stopping)
    return G_SOURCE_CONTINUE;
  notify ("RELOADING=1");
  defs = pipeline_def_load_dirs ((const gchar * const *)
      d->config->pipelines_dirs, (const gchar * const *) d->vars, TRUE,
      problems);
  if (problems->len > 0 || !defs) {
    for (i = 0; i < problems->len; i++)
      g_warning ("reload: %s", (gchar *) g_ptr_array_index (problems, i));
    g_warning ("reload refused: keeping the pipeline definitions in use");
  } else {
    gateway_router_set_definitions (d->router, defs);
    g_message ("reloaded %u pipeline definitions", g_hash_table_size (defs));
  }
  notify ("READY=1");
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

/* --- setup --- */

static gboolean
parse_config_option (int argc, char **argv, const gchar *what,
    gchar **config_path)
{
  g_autoptr (GOptionContext) ctx = g_option_context_new (what);
  g_autoptr (GError) error = NULL;
  g_autofree gchar *path = NULL;
  gboolean verbose = FALSE;
  GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &path,
        "Configuration file (default " PKGSYSCONFDIR "/gateway.conf)", "FILE"},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
        "Log debug messages (secrets are never logged)", NULL},
    {NULL}
  };

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("realtime-gateway: %s\n", error->message);
    return FALSE;
  }
  if (argc > 1) {
    g_printerr ("realtime-gateway: unexpected argument \"%s\"\n", argv[1]);
    return FALSE;
  }
  if (verbose)
    g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  *config_path = path ? g_steal_pointer (&path) :
      g_build_filename (PKGSYSCONFDIR, "gateway.conf", NULL);
  return TRUE;
}

/* Everything check-config checks and run refuses to start on. */
static GHashTable *
check_everything (const gchar *path, GatewayConfig **config_out,
    gchar ***vars_out, GPtrArray *problems)
{
  g_autoptr (GatewayConfig) config = gateway_config_load (path, problems);
  g_auto (GStrv) vars = NULL;
  g_autoptr (GHashTable) defs = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GatewaySecret) key = NULL;

  if (!config)
    return NULL;
  key = gateway_secret_file_read (config->api_key_file, &error);
  if (!key) {
    g_ptr_array_add (problems, g_strdup_printf ("%s: [realtime] "
            "api-key-file: %s", config->path, error->message));
    g_clear_error (&error);
  }
  if (config->access_token_file) {
    g_autoptr (GatewaySecret) token =
        gateway_secret_file_read (config->access_token_file, &error);
    if (!token) {
      g_ptr_array_add (problems, g_strdup_printf ("%s: [realtime] "
              "access-token-file: %s", config->path, error->message));
      g_clear_error (&error);
    }
  }
  if (g_file_test (config->recordings_dir, G_FILE_TEST_EXISTS)
      && !g_file_test (config->recordings_dir, G_FILE_TEST_IS_DIR))
    g_ptr_array_add (problems, g_strdup_printf ("%s: [gateway] "
            "recordings-dir: %s is not a directory", config->path,
            config->recordings_dir));
  vars = gateway_config_pipeline_vars (config);
  defs = pipeline_def_load_dirs ((const gchar * const *)
      config->pipelines_dirs, (const gchar * const *) vars, TRUE, problems);
  if (defs && g_hash_table_size (defs) == 0)
    g_ptr_array_add (problems, g_strdup_printf ("%s: [gateway] "
            "pipelines-dirs: no *.pipeline file found", config->path));
  if (problems->len > 0)
    return NULL;
  *config_out = g_steal_pointer (&config);
  *vars_out = g_steal_pointer (&vars);
  return g_steal_pointer (&defs);
}

static void
print_problems (GPtrArray *problems)
{
  guint i;

  for (i = 0; i < problems->len; i++)
    g_printerr ("%s\n", (gchar *) g_ptr_array_index (problems, i));
  g_printerr ("%u problem%s found\n", problems->len,
      problems->len == 1 ? "" : "s");
}

int
gateway_daemon_check_config (int argc, char **argv)
{
  g_autofree gchar *path = NULL;
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GatewayConfig) config = NULL;
  g_autoptr (GHashTable) defs = NULL;
  g_auto (GStrv) vars = NULL;
  g_autoptr (GList) names = NULL;
  GList *l;

  if (!parse_config_option (argc, argv, "check-config - check the "
          "configuration and every pipeline definition", &path))
    return 2;
  gst_init (NULL, NULL);
  defs = check_everything (path, &config, &vars, problems);
  if (!defs) {
    print_problems (problems);
    return 1;
  }
  names = g_list_sort (g_hash_table_get_keys (defs), (GCompareFunc) strcmp);
  g_print ("%s: OK, channel realtime:%s, %u pipelines:", config->path,
      config->channel, g_hash_table_size (defs));
  for (l = names; l; l = l->next)
    g_print (" %s", (gchar *) l->data);
  g_print ("\n");
  return 0;
}

static void
daemon_clear (Daemon *d)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (d->signal_ids); i++)
    if (d->signal_ids[i])
      g_source_remove (d->signal_ids[i]);
  if (d->ready_source) {
    g_source_destroy (d->ready_source);
    g_clear_pointer (&d->ready_source, g_source_unref);
  }
  if (d->watchdog_source) {
    g_source_destroy (d->watchdog_source);
    g_clear_pointer (&d->watchdog_source, g_source_unref);
  }
  if (d->presence_source) {
    g_source_destroy (d->presence_source);
    g_clear_pointer (&d->presence_source, g_source_unref);
  }
  if (d->token_debounce) {
    g_source_destroy (d->token_debounce);
    g_clear_pointer (&d->token_debounce, g_source_unref);
  }
  if (d->stop_deadline) {
    g_source_destroy (d->stop_deadline);
    g_clear_pointer (&d->stop_deadline, g_source_unref);
  }
  if (d->token_monitor) {
    g_file_monitor_cancel (d->token_monitor);
    g_clear_object (&d->token_monitor);
  }
  g_clear_pointer (&d->metrics, gateway_metrics_free);
  g_clear_object (&d->router);
  if (d->client)
    realtime_client_disconnect (d->client);
  d->channel = NULL;
  g_clear_object (&d->client);
  g_clear_pointer (&d->config, gateway_config_free);
  g_clear_pointer (&d->vars, g_strfreev);
  g_clear_pointer (&d->loop, g_main_loop_unref);
}

int
gateway_daemon_run (int argc, char **argv)
{
  g_autofree gchar *path = NULL;
  g_autoptr (GPtrArray) problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) defs = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GatewaySecret) key = NULL;
  Daemon d = { 0 };
#ifdef HAVE_LIBSYSTEMD
  uint64_t watchdog_usec = 0;
#endif

  if (!parse_config_option (argc, argv, "run - the on-robot service", &path))
    return 2;
  gst_init (NULL, NULL);
  defs = check_everything (path, &d.config, &d.vars, problems);
  if (!defs) {
    print_problems (problems);
    g_printerr ("realtime-gateway: not starting\n");
    return 1;
  }
  if (g_mkdir_with_parents (d.config->recordings_dir, 0750) != 0)
    g_warning ("recordings-dir %s: cannot create it: %s",
        d.config->recordings_dir, g_strerror (errno));

  key = gateway_secret_file_read (d.config->api_key_file, &error);
  if (!key) {
    g_printerr ("realtime-gateway: %s\n", error->message);
    daemon_clear (&d);
    return 1;
  }
  d.loop = g_main_loop_new (NULL, FALSE);
  d.client = g_object_new (REALTIME_TYPE_CLIENT, "url", d.config->url,
      "api-key", key, "api-key-in-header", d.config->api_key_in_header,
      "vsn", d.config->vsn, "ca-file", d.config->ca_file,
      "heartbeat-interval", d.config->heartbeat_interval_ms,
      "heartbeat-timeout", d.config->heartbeat_timeout_ms,
      "join-timeout", d.config->join_timeout_ms,
      "backoff-min", d.config->backoff_min_ms,
      "backoff-max", d.config->backoff_max_ms,
      "max-message-size", d.config->max_message_size, NULL);
  g_clear_pointer (&key, gateway_secret_free);
  if (d.config->access_token_file) {
    g_autoptr (GFile) file = g_file_new_for_path (d.config->access_token_file);
    load_token (&d, TRUE);
    d.token_monitor = g_file_monitor_file (file, G_FILE_MONITOR_WATCH_MOVES,
        NULL, &error);
    if (d.token_monitor)
      g_signal_connect (d.token_monitor, "changed",
          G_CALLBACK (on_token_file_changed), &d);
    else {
      g_warning ("access-token-file: cannot watch %s: %s",
          d.config->access_token_file, error->message);
      g_clear_error (&error);
    }
  }
  d.channel = realtime_client_channel (d.client, d.config->channel);
  g_object_set (d.channel, "private", d.config->private_, NULL);
  if (d.config->presence)
    g_object_set (d.channel, "presence-key", d.config->id, NULL);
  d.router = gateway_router_new (d.channel, d.config);
  gateway_router_set_definitions (d.router, defs);
  g_signal_connect (d.client, "state-changed", G_CALLBACK (on_client_state),
      &d);
  g_signal_connect (d.channel, "state-changed",
      G_CALLBACK (on_channel_state), &d);
  g_signal_connect (d.router, "pipelines-changed",
      G_CALLBACK (on_pipelines_changed), &d);

  if (d.config->metrics_address) {
    d.metrics = gateway_metrics_new (d.config->metrics_address, d.client,
        d.channel, d.router, &error);
    if (!d.metrics) {
      g_printerr ("realtime-gateway: metrics-address %s: %s\n",
          d.config->metrics_address, error->message);
      daemon_clear (&d);
      return 1;
    }
  }

  d.signal_ids[0] = g_unix_signal_add (SIGTERM, on_stop_signal, &d);
  d.signal_ids[1] = g_unix_signal_add (SIGINT, on_stop_signal, &d);
  d.signal_ids[2] = g_unix_signal_add (SIGHUP, on_reload_signal, &d);
  d.signal_ids[3] = g_unix_signal_add (SIGUSR1, on_reconnect_signal, &d);
#ifdef HAVE_LIBSYSTEMD
  if (sd_watchdog_enabled (0, &watchdog_usec) > 0 && watchdog_usec > 0) {
    d.watchdog_source = g_timeout_source_new (MAX (watchdog_usec / 2000, 1));
    g_source_set_callback (d.watchdog_source, on_watchdog, &d, NULL);
    g_source_attach (d.watchdog_source, NULL);
  }
#else
  (void) on_watchdog;
#endif

  {
    g_autofree gchar *safe_url = realtime_redact_url (d.config->url);
    g_message ("realtime-gateway %s: channel realtime:%s, %u pipelines, "
        "connecting to %s", PACKAGE_VERSION, d.config->channel,
        g_hash_table_size (defs), safe_url);
  }
  d.ready_source = g_timeout_source_new (READY_WITHOUT_JOIN_MS);
  g_source_set_callback (d.ready_source, on_ready_timeout, &d, NULL);
  g_source_attach (d.ready_source, NULL);
  realtime_channel_subscribe (d.channel);
  realtime_client_connect (d.client);
  update_status (&d);
  g_main_loop_run (d.loop);

  g_message ("stopped");
  {
    gint code = d.exit_code;
    daemon_clear (&d);
    return code;
  }
}

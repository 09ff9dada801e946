/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gateway-config.c: loads and checks config/gateway.conf. Unknown groups
 * and keys are problems too: a typo must not pass silently.
 */
#include "gateway-config.h"

/* Built into the core library (log domain "realtime"); this part belongs
 * to the gateway component. */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "gateway"

#include <string.h>

#include "key-file-loader.h"
#include "send-budget.h"

/**
 * gateway_config_resolve_file:
 * @config: the configuration (its directory)
 * @name: a file name as written in the configuration
 * @credential: a bare name (no '/') is looked up in
 *   $CREDENTIALS_DIRECTORY first (systemd's LoadCredential=)
 *
 * Returns: (transfer full): an absolute path: @name itself when absolute,
 *   else relative to the configuration's directory
 */
gchar *
gateway_config_resolve_file (const GatewayConfig *config, const gchar *name,
    gboolean credential)
{
  const gchar *creds = g_getenv ("CREDENTIALS_DIRECTORY");

  if (g_path_is_absolute (name))
    return g_strdup (name);
  /* A bare name is a systemd credential first (LoadCredential=). */
  if (credential && !strchr (name, '/') && creds && *creds) {
    g_autofree gchar *candidate = g_build_filename (creds, name, NULL);
    if (g_file_test (candidate, G_FILE_TEST_EXISTS))
      return g_steal_pointer (&candidate);
  }
  return g_build_filename (config->dir, name, NULL);
}

static gboolean
event_name_ok (const gchar *name)
{
  const gchar *p;

  if (!name || !*name || strlen (name) > 64)
    return FALSE;
  for (p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '.')
      return FALSE;
  return TRUE;
}

static const gchar *const known_groups[]
    = { "realtime", "gateway", "events", WEBRTC_SETTINGS_GROUP, NULL };

static const gchar *const realtime_keys[]
    = { "url", "api-key-file", "access-token-file", "api-key-in-header",
        "ca-file", "channel", "private", "vsn", "heartbeat-interval",
        "heartbeat-timeout", "connect-timeout", "join-timeout", "backoff-min",
        "backoff-max", "max-message-size", "proxy", NULL };

static const gchar *const gateway_keys[]
    = { "id", "pipelines-dirs", "recordings-dir", "presence", "metrics-address",
        "send-rate", "send-burst", NULL };

static const gchar *const event_keys[] = { "start", "stop", "renew", "status",
  "reply", "describe", "catalog", NULL };

/* A file named by the key, resolved, or NULL when the key is not set. */
static gchar *
get_file (KeyFileLoader *l, GatewayConfig *c, const gchar *key,
    gboolean required, gboolean credential)
{
  g_autofree gchar *name
      = key_file_loader_get_string (l, "realtime", key, required);

  return name ? gateway_config_resolve_file (c, name, credential) : NULL;
}

/* [realtime]: the connection settings and the channel. */
static void
load_realtime (KeyFileLoader *l, GatewayConfig *c)
{
  RealtimeSettings *rt = &c->realtime;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *vsn = NULL;

  rt->url = key_file_loader_get_string (l, "realtime", "url", TRUE);
  if (rt->url) {
    g_autofree gchar *ws = realtime_build_websocket_url (rt->url,
        REALTIME_VSN_2_0_0, NULL, &error);
    if (!ws) {
      key_file_loader_problem (l, "realtime", "url", "%s", error->message);
      g_clear_error (&error);
    }
  }
  rt->api_key_file = get_file (l, c, "api-key-file", TRUE, TRUE);
  rt->access_token_file = get_file (l, c, "access-token-file", FALSE, TRUE);
  key_file_loader_get_bool (l, "realtime", "api-key-in-header",
      &rt->api_key_in_header);
  rt->ca_file = get_file (l, c, "ca-file", FALSE, FALSE);
  if (rt->ca_file && !g_file_test (rt->ca_file, G_FILE_TEST_IS_REGULAR))
    key_file_loader_problem (l, "realtime", "ca-file",
        "%s is not a readable file", rt->ca_file);

  c->channel = key_file_loader_get_string (l, "realtime", "channel", TRUE);
  if (c->channel && (strlen (c->channel) > 200 || strchr (c->channel, ':')))
    key_file_loader_problem (l, "realtime", "channel",
        "a channel name has at most 200 characters and no ':' (the topic is "
        "realtime:<channel>)");
  key_file_loader_get_bool (l, "realtime", "private", &c->private_);

  vsn = key_file_loader_get_value (l, "realtime", "vsn");
  if (vsn && !realtime_vsn_from_string (vsn, &rt->vsn)) {
    key_file_loader_problem (l, "realtime", "vsn",
        "\"%s\" is not 1.0.0 or 2.0.0", vsn);
    rt->vsn = REALTIME_VSN_2_0_0;
  }
  key_file_loader_get_seconds (l, "realtime", "heartbeat-interval", 1,
      &rt->heartbeat_interval_ms);
  key_file_loader_get_seconds (l, "realtime", "heartbeat-timeout", 0,
      &rt->heartbeat_timeout_ms);
  key_file_loader_get_seconds (l, "realtime", "connect-timeout", 1,
      &rt->connect_timeout_ms);
  key_file_loader_get_seconds (l, "realtime", "join-timeout", 1,
      &rt->join_timeout_ms);
  key_file_loader_get_seconds (l, "realtime", "backoff-min", 1,
      &rt->backoff_min_ms);
  key_file_loader_get_seconds (l, "realtime", "backoff-max", 1,
      &rt->backoff_max_ms);
  if (rt->backoff_min_ms > rt->backoff_max_ms)
    key_file_loader_problem (l, "realtime", "backoff-min",
        "is above backoff-max");
  key_file_loader_get_uint (l, "realtime", "max-message-size", 1024,
      64 * 1024 * 1024, &rt->max_message_size);
  /* A proxy URL may carry credentials: checked by the connection setup,
   * never printed here. */
  rt->proxy = key_file_loader_get_string (l, "realtime", "proxy", FALSE);
}

static gchar **
load_pipelines_dirs (KeyFileLoader *l, GatewayConfig *c)
{
  g_auto (GStrv) dirs = NULL;
  GPtrArray *out;
  guint i;

  if (!g_key_file_has_key (l->key_file, "gateway", "pipelines-dirs", NULL)) {
    out = g_ptr_array_new ();
    g_ptr_array_add (out, g_build_filename (PKGDATADIR, "pipelines", NULL));
    g_ptr_array_add (out,
        g_build_filename (PKGSYSCONFDIR, "pipelines.d", NULL));
    g_ptr_array_add (out, NULL);
    return (gchar **)g_ptr_array_free (out, FALSE);
  }
  dirs = g_key_file_get_string_list (l->key_file, "gateway", "pipelines-dirs",
      NULL, NULL);
  out = g_ptr_array_new ();
  for (i = 0; dirs && dirs[i]; i++) {
    g_strstrip (dirs[i]);
    if (*dirs[i])
      g_ptr_array_add (out, gateway_config_resolve_file (c, dirs[i], FALSE));
  }
  if (out->len == 0)
    key_file_loader_problem (l, "gateway", "pipelines-dirs",
        "no directory given");
  g_ptr_array_add (out, NULL);
  return (gchar **)g_ptr_array_free (out, FALSE);
}

/* [gateway] */
static void
load_gateway (KeyFileLoader *l, GatewayConfig *c)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *recordings = NULL;

  c->id = key_file_loader_get_string (l, "gateway", "id", FALSE);
  if (!c->id)
    c->id = g_strdup (g_get_host_name ());
  if (strlen (c->id) > 64 || strpbrk (c->id, "\"\\\n\r\t"))
    key_file_loader_problem (l, "gateway", "id",
        "at most 64 printable characters");
  c->pipelines_dirs = load_pipelines_dirs (l, c);
  recordings
      = key_file_loader_get_string (l, "gateway", "recordings-dir", FALSE);
  c->recordings_dir = gateway_config_resolve_file (c,
      recordings ? recordings : "/var/lib/realtime-gateway/recordings", FALSE);
  key_file_loader_get_bool (l, "gateway", "presence", &c->presence);
  /* The outbound budget (send-budget.h); the burst is at most the rate. */
  c->send_rate = SEND_BUDGET_DEFAULT_RATE;
  c->send_burst = SEND_BUDGET_DEFAULT_BURST;
  key_file_loader_get_uint (l, "gateway", "send-rate", 1, SEND_BUDGET_RATE_MAX,
      &c->send_rate);
  if (!key_file_loader_get_uint (l, "gateway", "send-burst", 1,
          SEND_BUDGET_RATE_MAX, &c->send_burst))
    c->send_burst = MIN (c->send_burst, c->send_rate);
  else if (c->send_burst > c->send_rate)
    key_file_loader_problem (l, "gateway", "send-burst",
        "%u is above send-rate %u", c->send_burst, c->send_rate);
  c->metrics_address
      = key_file_loader_get_string (l, "gateway", "metrics-address", FALSE);
  if (c->metrics_address) {
    g_autoptr (GSocketConnectable) addr
        = g_network_address_parse (c->metrics_address, 0, &error);
    if (!addr)
      key_file_loader_problem (l, "gateway", "metrics-address",
          "%s (expected HOST:PORT)", error->message);
    else if (g_network_address_get_port (G_NETWORK_ADDRESS (addr)) == 0)
      key_file_loader_problem (l, "gateway", "metrics-address",
          "no port (expected HOST:PORT)");
  }
}

static gchar *
get_event (KeyFileLoader *l, const gchar *key, const gchar *def)
{
  gchar *name = key_file_loader_get_string (l, "events", key, FALSE);

  return name ? name : g_strdup (def);
}

/* [events] */
static void
load_events (KeyFileLoader *l, GatewayConfig *c)
{
  const gchar *names[G_N_ELEMENTS (event_keys) - 1];
  guint i, j;

  c->ev_start = get_event (l, "start", "start");
  c->ev_stop = get_event (l, "stop", "stop");
  c->ev_renew = get_event (l, "renew", "renew");
  c->ev_status = get_event (l, "status", "status");
  c->ev_reply = get_event (l, "reply", "pipeline_state");
  c->ev_describe = get_event (l, "describe", "describe");
  c->ev_catalog = get_event (l, "catalog", "catalog");
  names[0] = c->ev_start;
  names[1] = c->ev_stop;
  names[2] = c->ev_renew;
  names[3] = c->ev_status;
  names[4] = c->ev_reply;
  names[5] = c->ev_describe;
  names[6] = c->ev_catalog;
  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    if (!event_name_ok (names[i]))
      key_file_loader_problem (l, "events", event_keys[i],
          "\"%s\" is not an event name (1 to 64 of A-Z a-z 0-9 _ - .)",
          names[i]);
    for (j = 0; j < i; j++)
      if (g_strcmp0 (names[i], names[j]) == 0)
        key_file_loader_problem (l, "events", event_keys[i], "same as %s",
            event_keys[j]);
  }
}

/* [webrtc]: its event names must not repeat those of [events]. */
static void
load_webrtc (KeyFileLoader *l, GatewayConfig *c)
{
  const gchar *taken[] = { c->ev_start, c->ev_stop, c->ev_renew, c->ev_status,
    c->ev_reply, c->ev_describe, c->ev_catalog, NULL };
  gchar *file;

  webrtc_settings_load (l, &c->webrtc, taken);
  if (c->webrtc.turn_credentials_file) {
    file = gateway_config_resolve_file (c, c->webrtc.turn_credentials_file,
        TRUE);
    g_free (c->webrtc.turn_credentials_file);
    c->webrtc.turn_credentials_file = file;
  }
}

/**
 * gateway_config_load:
 * @path: the configuration file
 * @problems: (element-type utf8) (nullable): where each problem is appended
 *   as one line "PATH: [group] key: message"
 *
 * Reads and checks the whole file, reporting every problem, not only the
 * first. Files it names are resolved (gateway_config_resolve_file()), not
 * read.
 *
 * Returns: (transfer full) (nullable): the configuration, or %NULL when
 *   there was any problem
 */
GatewayConfig *
gateway_config_load (const gchar *path, GPtrArray *problems)
{
  g_auto (KeyFileLoader) l = { 0 };
  g_autoptr (GatewayConfig) c = g_new0 (GatewayConfig, 1);

  g_return_val_if_fail (path != NULL, NULL);

  realtime_settings_init (&c->realtime);
  webrtc_settings_init (&c->webrtc);
  if (g_path_is_absolute (path)) {
    c->path = g_strdup (path);
  } else {
    g_autofree gchar *cwd = g_get_current_dir ();
    c->path = g_build_filename (cwd, path, NULL);
  }
  c->dir = g_path_get_dirname (c->path);

  key_file_loader_init (&l, path, problems);
  if (!key_file_loader_load (&l))
    return NULL;
  key_file_loader_check_groups (&l, known_groups);
  key_file_loader_require_group (&l, "realtime");
  key_file_loader_check_keys (&l, "realtime", realtime_keys);
  key_file_loader_check_keys (&l, "gateway", gateway_keys);
  key_file_loader_check_keys (&l, "events", event_keys);

  load_realtime (&l, c);
  load_gateway (&l, c);
  load_events (&l, c);
  load_webrtc (&l, c);

  if (l.n_problems > 0)
    return NULL;
  return g_steal_pointer (&c);
}

/**
 * gateway_config_free:
 * @config: (nullable): a configuration
 */
void
gateway_config_free (GatewayConfig *c)
{
  if (!c)
    return;
  g_free (c->path);
  g_free (c->dir);
  realtime_settings_clear (&c->realtime);
  g_free (c->channel);
  g_free (c->id);
  g_strfreev (c->pipelines_dirs);
  g_free (c->recordings_dir);
  g_free (c->metrics_address);
  g_free (c->ev_start);
  g_free (c->ev_stop);
  g_free (c->ev_renew);
  g_free (c->ev_status);
  g_free (c->ev_reply);
  g_free (c->ev_describe);
  g_free (c->ev_catalog);
  webrtc_settings_clear (&c->webrtc);
  g_free (c);
}

/**
 * gateway_config_pipeline_vars:
 * @config: a configuration
 *
 * Returns: (transfer full) (array zero-terminated=1): the "NAME=value"
 *   variables pipeline definitions may use (RECORDINGS_DIR), for
 *   pipeline_def_load()
 */
gchar **
gateway_config_pipeline_vars (const GatewayConfig *c)
{
  gchar **vars = g_new0 (gchar *, 2);

  vars[0] = g_strconcat ("RECORDINGS_DIR=", c->recordings_dir, NULL);
  return vars;
}

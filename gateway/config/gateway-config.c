/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gateway-config.c: loads and checks config/gateway.conf. Unknown groups
 * and keys are problems too: a typo must not pass silently.
 */
#include "gateway-config.h"

/* Built into the core library (log domain "realtime"); this part belongs
 * to the gateway component (STYLE.md). */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "gateway"

#include "realtime-client.h"

#include <string.h>

typedef struct
{
  GKeyFile *kf;
  const gchar *path;
  GPtrArray *problems;
  guint n_problems;
} Loader;

static void
problem (Loader *l, const gchar *group, const gchar *key, const gchar *fmt,
    ...) G_GNUC_PRINTF (4, 5);

/* A problem is one line: a control character from the file (say a
 * newline, which GKeyFile unescapes from \n in a value, quoted back in a
 * message) is written as \xNN, and bytes that are not UTF-8 as U+FFFD. */
static gchar *
one_line (const gchar *text)
{
  g_autofree gchar *valid = g_utf8_make_valid (text, -1);
  GString *out = g_string_sized_new (strlen (valid));
  const gchar *p;

  for (p = valid; *p; p++) {
    if ((guchar)*p < 0x20 || *p == 0x7f)
      g_string_append_printf (out, "\\x%02x", (guchar)*p);
    else
      g_string_append_c (out, *p);
  }
  return g_string_free (out, FALSE);
}

static void
problem (Loader *l, const gchar *group, const gchar *key, const gchar *fmt,
    ...)
{
  va_list ap;
  g_autofree gchar *raw = NULL;
  g_autofree gchar *msg = NULL;

  va_start (ap, fmt);
  raw = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  msg = one_line (raw);
  l->n_problems++;
  if (group && key)
    g_ptr_array_add (l->problems, g_strdup_printf ("%s: [%s] %s: %s",
            l->path, group, key, msg));
  else if (group)
    g_ptr_array_add (l->problems, g_strdup_printf ("%s: [%s]: %s", l->path,
            group, msg));
  else
    g_ptr_array_add (l->problems, g_strdup_printf ("%s: %s", l->path, msg));
}

static gchar *
get_string (Loader *l, const gchar *group, const gchar *key,
    const gchar *def, gboolean required)
{
  g_autoptr (GError) error = NULL;
  gchar *value;

  if (!g_key_file_has_key (l->kf, group, key, NULL)) {
    if (required)
      problem (l, group, key, "missing");
    return g_strdup (def);
  }
  value = g_key_file_get_string (l->kf, group, key, &error);
  if (!value) {
    problem (l, group, key, "%s", error->message);
    return g_strdup (def);
  }
  g_strstrip (value);
  if (!*value) {
    g_free (value);
    if (required)
      problem (l, group, key, "empty");
    return g_strdup (def);
  }
  return value;
}

static gboolean
get_bool (Loader *l, const gchar *group, const gchar *key, gboolean def)
{
  g_autofree gchar *s = get_string (l, group, key, NULL, FALSE);

  if (!s)
    return def;
  if (g_ascii_strcasecmp (s, "true") == 0 || strcmp (s, "1") == 0
      || g_ascii_strcasecmp (s, "yes") == 0)
    return TRUE;
  if (g_ascii_strcasecmp (s, "false") == 0 || strcmp (s, "0") == 0
      || g_ascii_strcasecmp (s, "no") == 0)
    return FALSE;
  problem (l, group, key, "\"%s\" is not true or false", s);
  return def;
}

/* Seconds with fractions, stored in milliseconds. */
static guint
get_seconds (Loader *l, const gchar *group, const gchar *key, guint def_ms,
    gboolean zero_ok)
{
  g_autofree gchar *s = get_string (l, group, key, NULL, FALSE);
  gchar *end = NULL;
  gdouble v;

  if (!s)
    return def_ms;
  v = g_ascii_strtod (s, &end);
  if (end == s || *end != '\0' || v != v) {
    problem (l, group, key, "\"%s\" is not a number of seconds", s);
    return def_ms;
  }
  if (v < 0 || (!zero_ok && v < 0.001) || v > 86400) {
    problem (l, group, key, "%s is out of range (%s to 86400 seconds)", s,
        zero_ok ? "0" : "0.001");
    return def_ms;
  }
  return (guint) (v * 1000.0 + 0.5);
}

static guint
get_uint (Loader *l, const gchar *group, const gchar *key, guint def,
    guint min, guint max)
{
  g_autofree gchar *s = get_string (l, group, key, NULL, FALSE);
  guint64 v;

  if (!s)
    return def;
  if (!g_ascii_string_to_unsigned (s, 10, min, max, &v, NULL)) {
    problem (l, group, key, "\"%s\" is not a whole number from %u to %u", s,
        min, max);
    return def;
  }
  return (guint) v;
}

static void
check_known_keys (Loader *l, const gchar *group, const gchar *const *known)
{
  g_auto (GStrv) keys = g_key_file_get_keys (l->kf, group, NULL, NULL);
  guint i;

  for (i = 0; keys && keys[i]; i++)
    if (!g_strv_contains (known, keys[i]))
      problem (l, group, keys[i], "unknown key");
}

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

GatewayConfig *
gateway_config_load (const gchar *path, GPtrArray *problems)
{
  static const gchar *const realtime_keys[] = { "url", "api-key-file",
    "access-token-file", "api-key-in-header", "ca-file", "channel", "private",
    "vsn", "heartbeat-interval", "heartbeat-timeout", "join-timeout",
    "backoff-min", "backoff-max", "max-message-size", NULL
  };
  static const gchar *const gateway_keys[] = { "id", "pipelines-dirs",
    "recordings-dir", "presence", "metrics-address", NULL
  };
  static const gchar *const event_keys[] = { "start", "stop", "renew",
    "status", "reply", NULL
  };
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GatewayConfig) c = g_new0 (GatewayConfig, 1);
  g_autofree gchar *abs = NULL;
  g_autofree gchar *s = NULL;
  g_auto (GStrv) groups = NULL;
  Loader l = { kf, path, problems, 0 };
  guint i;

  if (g_path_is_absolute (path)) {
    abs = g_strdup (path);
  } else {
    g_autofree gchar *cwd = g_get_current_dir ();
    abs = g_build_filename (cwd, path, NULL);
  }
  c->path = g_strdup (abs);
  c->dir = g_path_get_dirname (abs);

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error)) {
    problem (&l, NULL, NULL, "%s", error->message);
    return NULL;
  }

  groups = g_key_file_get_groups (kf, NULL);
  for (i = 0; groups[i]; i++)
    if (strcmp (groups[i], "realtime") != 0
        && strcmp (groups[i], "gateway") != 0
        && strcmp (groups[i], "events") != 0)
      problem (&l, groups[i], NULL, "unknown group");
  if (!g_key_file_has_group (kf, "realtime"))
    problem (&l, "realtime", NULL, "missing");
  check_known_keys (&l, "realtime", realtime_keys);
  check_known_keys (&l, "gateway", gateway_keys);
  check_known_keys (&l, "events", event_keys);

  /* [realtime] */
  c->url = get_string (&l, "realtime", "url", NULL, TRUE);
  if (c->url) {
    g_autofree gchar *ws = realtime_build_websocket_url (c->url,
        REALTIME_VSN_2_0_0, NULL, &error);
    if (!ws) {
      problem (&l, "realtime", "url", "%s", error->message);
      g_clear_error (&error);
    }
  }
  s = get_string (&l, "realtime", "api-key-file", NULL, TRUE);
  if (s)
    c->api_key_file = gateway_config_resolve_file (c, s, TRUE);
  g_clear_pointer (&s, g_free);
  s = get_string (&l, "realtime", "access-token-file", NULL, FALSE);
  if (s)
    c->access_token_file = gateway_config_resolve_file (c, s, TRUE);
  g_clear_pointer (&s, g_free);
  c->api_key_in_header = get_bool (&l, "realtime", "api-key-in-header",
      FALSE);
  s = get_string (&l, "realtime", "ca-file", NULL, FALSE);
  if (s) {
    c->ca_file = gateway_config_resolve_file (c, s, FALSE);
    if (!g_file_test (c->ca_file, G_FILE_TEST_IS_REGULAR))
      problem (&l, "realtime", "ca-file", "%s is not a readable file",
          c->ca_file);
  }
  g_clear_pointer (&s, g_free);
  c->channel = get_string (&l, "realtime", "channel", NULL, TRUE);
  if (c->channel && (strlen (c->channel) > 200 || strchr (c->channel, ':')))
    problem (&l, "realtime", "channel", "a channel name has at most 200 "
        "characters and no ':' (the topic is realtime:<channel>)");
  c->private_ = get_bool (&l, "realtime", "private", FALSE);
  s = get_string (&l, "realtime", "vsn", "2.0.0", FALSE);
  if (!realtime_vsn_from_string (s, &c->vsn)) {
    problem (&l, "realtime", "vsn", "\"%s\" is not 1.0.0 or 2.0.0", s);
    c->vsn = REALTIME_VSN_2_0_0;
  }
  g_clear_pointer (&s, g_free);
  c->heartbeat_interval_ms = get_seconds (&l, "realtime",
      "heartbeat-interval", REALTIME_DEFAULT_HEARTBEAT_INTERVAL, FALSE);
  c->heartbeat_timeout_ms = get_seconds (&l, "realtime", "heartbeat-timeout",
      0, TRUE);
  c->join_timeout_ms = get_seconds (&l, "realtime", "join-timeout",
      REALTIME_DEFAULT_JOIN_TIMEOUT, FALSE);
  c->backoff_min_ms = get_seconds (&l, "realtime", "backoff-min",
      REALTIME_DEFAULT_BACKOFF_MIN, FALSE);
  c->backoff_max_ms = get_seconds (&l, "realtime", "backoff-max",
      REALTIME_DEFAULT_BACKOFF_MAX, FALSE);
  if (c->backoff_min_ms > c->backoff_max_ms)
    problem (&l, "realtime", "backoff-min", "is above backoff-max");
  c->max_message_size = get_uint (&l, "realtime", "max-message-size",
      REALTIME_DEFAULT_MAX_MESSAGE_SIZE, 1024, 64 * 1024 * 1024);

  /* [gateway] */
  c->id = get_string (&l, "gateway", "id", g_get_host_name (), FALSE);
  if (c->id && (strlen (c->id) > 64 || strpbrk (c->id, "\"\\\n\r\t")))
    problem (&l, "gateway", "id", "at most 64 printable characters");
  if (g_key_file_has_key (kf, "gateway", "pipelines-dirs", NULL)) {
    g_auto (GStrv) dirs = g_key_file_get_string_list (kf, "gateway",
        "pipelines-dirs", NULL, NULL);
    GPtrArray *out = g_ptr_array_new ();
    for (i = 0; dirs && dirs[i]; i++) {
      g_strstrip (dirs[i]);
      if (*dirs[i])
        g_ptr_array_add (out, gateway_config_resolve_file (c, dirs[i],
                FALSE));
    }
    g_ptr_array_add (out, NULL);
    c->pipelines_dirs = (gchar **) g_ptr_array_free (out, FALSE);
  } else {
    c->pipelines_dirs = g_new0 (gchar *, 3);
    c->pipelines_dirs[0] = g_build_filename (PKGDATADIR, "pipelines", NULL);
    c->pipelines_dirs[1] = g_build_filename (PKGSYSCONFDIR, "pipelines.d",
        NULL);
  }
  if (!c->pipelines_dirs[0])
    problem (&l, "gateway", "pipelines-dirs", "no directory given");
  s = get_string (&l, "gateway", "recordings-dir",
      "/var/lib/realtime-gateway/recordings", FALSE);
  c->recordings_dir = gateway_config_resolve_file (c, s, FALSE);
  g_clear_pointer (&s, g_free);
  c->presence = get_bool (&l, "gateway", "presence", FALSE);
  c->metrics_address = get_string (&l, "gateway", "metrics-address", NULL,
      FALSE);
  if (c->metrics_address) {
    g_autoptr (GSocketConnectable) addr =
        g_network_address_parse (c->metrics_address, 0, &error);
    if (!addr) {
      problem (&l, "gateway", "metrics-address", "%s (expected HOST:PORT)",
          error->message);
      g_clear_error (&error);
    } else if (g_network_address_get_port (G_NETWORK_ADDRESS (addr)) == 0) {
      problem (&l, "gateway", "metrics-address", "no port (expected "
          "HOST:PORT)");
    }
  }

  /* [events] */
  c->ev_start = get_string (&l, "events", "start", "start", FALSE);
  c->ev_stop = get_string (&l, "events", "stop", "stop", FALSE);
  c->ev_renew = get_string (&l, "events", "renew", "renew", FALSE);
  c->ev_status = get_string (&l, "events", "status", "status", FALSE);
  c->ev_reply = get_string (&l, "events", "reply", "pipeline_state", FALSE);
  {
    const gchar *names[] = { c->ev_start, c->ev_stop, c->ev_renew,
      c->ev_status, c->ev_reply
    };
    for (i = 0; i < G_N_ELEMENTS (names); i++) {
      guint j;
      if (!event_name_ok (names[i]))
        problem (&l, "events", event_keys[i], "\"%s\" is not an event name "
            "(1 to 64 of A-Z a-z 0-9 _ - .)", names[i]);
      for (j = 0; j < i; j++)
        if (g_strcmp0 (names[i], names[j]) == 0)
          problem (&l, "events", event_keys[i], "same as %s",
              event_keys[j]);
    }
  }

  if (l.n_problems > 0)
    return NULL;
  return g_steal_pointer (&c);
}

void
gateway_config_free (GatewayConfig *c)
{
  if (!c)
    return;
  g_free (c->path);
  g_free (c->dir);
  g_free (c->url);
  g_free (c->api_key_file);
  g_free (c->access_token_file);
  g_free (c->ca_file);
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
  g_free (c);
}

gchar **
gateway_config_pipeline_vars (const GatewayConfig *c)
{
  gchar **vars = g_new0 (gchar *, 2);

  vars[0] = g_strconcat ("RECORDINGS_DIR=", c->recordings_dir, NULL);
  return vars;
}

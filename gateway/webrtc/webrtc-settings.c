/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-settings.c: NAT traversal, timeouts, leases and event names of
 * the WebRTC viewer sessions (see webrtc-settings.h).
 */
#include "webrtc-settings.h"

#include "gateway-error.h"
#include "secret-file.h"

#include <gst/webrtc/webrtc.h>
#include <string.h>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "gateway"

static const gchar *const webrtc_keys[] = { "stun-server", "turn-servers",
  "turn-credentials-file", "relay-only", "connect-timeout", "max-viewers",
  "default-ttl", "max-ttl", "watch-event", "answer-event", "candidates-event",
  "unwatch-event", "renew-event", "offer-event", "session-event", NULL };

/* Event keys and their defaults, in the order of WebrtcEventNames. */
static const struct
{
  const gchar *key;
  const gchar *name;
} event_defaults[] = {
  { "watch-event", "watch" },
  { "answer-event", "answer" },
  { "candidates-event", "candidates" },
  { "unwatch-event", "unwatch" },
  { "renew-event", "watch_renew" },
  { "offer-event", "offer" },
  { "session-event", "session_state" },
};

static gchar **
event_slot (WebrtcEventNames *events, guint i)
{
  gchar **slots[] = { &events->watch, &events->answer, &events->candidates,
    &events->unwatch, &events->renew, &events->offer, &events->session };

  return slots[i];
}

/**
 * webrtc_settings_init:
 * @settings: settings to fill with every default
 */
void
webrtc_settings_init (WebrtcSettings *s)
{
  guint i;

  memset (s, 0, sizeof *s);
  s->connect_timeout_ms = WEBRTC_DEFAULT_CONNECT_TIMEOUT_MS;
  s->default_ttl_s = WEBRTC_DEFAULT_TTL_S;
  s->max_ttl_s = WEBRTC_DEFAULT_MAX_TTL_S;
  for (i = 0; i < G_N_ELEMENTS (event_defaults); i++)
    *event_slot (&s->events, i) = g_strdup (event_defaults[i].name);
}

/**
 * webrtc_settings_clear:
 * @settings: settings; the credentials are overwritten before being freed
 */
void
webrtc_settings_clear (WebrtcSettings *s)
{
  guint i;

  g_free (s->stun_server);
  g_strfreev (s->turn_servers);
  g_free (s->turn_credentials_file);
  gateway_secret_free (s->turn_username);
  gateway_secret_free (s->turn_password);
  for (i = 0; i < G_N_ELEMENTS (event_defaults); i++)
    g_free (*event_slot (&s->events, i));
  memset (s, 0, sizeof *s);
}

/**
 * webrtc_settings_copy:
 * @dest: settings to overwrite (not initialised)
 * @src: settings to copy, credentials included
 */
void
webrtc_settings_copy (WebrtcSettings *dest, const WebrtcSettings *src)
{
  guint i;

  *dest = *src;
  dest->stun_server = g_strdup (src->stun_server);
  dest->turn_servers = g_strdupv (src->turn_servers);
  dest->turn_credentials_file = g_strdup (src->turn_credentials_file);
  dest->turn_username = g_strdup (src->turn_username);
  dest->turn_password = g_strdup (src->turn_password);
  for (i = 0; i < G_N_ELEMENTS (event_defaults); i++)
    *event_slot (&dest->events, i)
        = g_strdup (*event_slot ((WebrtcEventNames *)&src->events, i));
}

/**
 * webrtc_settings_check_server:
 * @uri: a server URI from the configuration
 * @turn: a TURN server (else STUN)
 * @error: where the problem is described
 *
 * Returns: %TRUE when @uri is stun://HOST:PORT (@turn %FALSE), or
 *   turn://HOST:PORT, turn://HOST:PORT?transport=udp|tcp or
 *   turns://HOST:PORT (TLS), with no user info
 */
gboolean
webrtc_settings_check_server (const gchar *uri, gboolean turn, GError **error)
{
  g_autoptr (GUri) parsed = NULL;
  g_autoptr (GError) local = NULL;
  const gchar *scheme, *query;

  parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, &local);
  if (!parsed) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
        "not a URI: %s", local->message);
    return FALSE;
  }
  scheme = g_uri_get_scheme (parsed);
  if (turn ? (strcmp (scheme, "turn") != 0 && strcmp (scheme, "turns") != 0)
           : strcmp (scheme, "stun") != 0) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
        "the scheme must be %s", turn ? "turn:// or turns://" : "stun://");
    return FALSE;
  }
  if (g_uri_get_userinfo (parsed)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
        "credentials do not belong in the URI: put them in "
        "turn-credentials-file");
    return FALSE;
  }
  if (!g_uri_get_host (parsed) || !*g_uri_get_host (parsed)
      || g_uri_get_port (parsed) <= 0) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
        "expected %s://HOST:PORT", scheme);
    return FALSE;
  }
  query = g_uri_get_query (parsed);
  if (query
      && !(strcmp (scheme, "turn") == 0
          && (strcmp (query, "transport=udp") == 0
              || strcmp (query, "transport=tcp") == 0))) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
        "the only query allowed is ?transport=udp or ?transport=tcp on "
        "turn://");
    return FALSE;
  }
  if ((g_uri_get_path (parsed) && *g_uri_get_path (parsed))
      || g_uri_get_fragment (parsed)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
        "expected %s://HOST:PORT with nothing after it", scheme);
    return FALSE;
  }
  return TRUE;
}

/**
 * webrtc_settings_load:
 * @loader: the configuration file being loaded
 * @settings: initialised settings to fill
 * @taken: (nullable) (array zero-terminated=1): event names used elsewhere
 *
 * Reads the [webrtc] group, reporting every problem to @loader.
 */
void
webrtc_settings_load (KeyFileLoader *l, WebrtcSettings *s,
    const gchar *const *taken)
{
  const gchar *group = WEBRTC_SETTINGS_GROUP;
  g_autoptr (GError) error = NULL;
  guint i, j;

  key_file_loader_check_keys (l, group, webrtc_keys);
  s->stun_server = key_file_loader_get_string (l, group, "stun-server", FALSE);
  if (s->stun_server
      && !webrtc_settings_check_server (s->stun_server, FALSE, &error)) {
    key_file_loader_problem (l, group, "stun-server", "%s", error->message);
    g_clear_error (&error);
  }
  if (g_key_file_has_key (l->key_file, group, "turn-servers", NULL)) {
    g_auto (GStrv) list = g_key_file_get_string_list (l->key_file, group,
        "turn-servers", NULL, NULL);
    GPtrArray *out = g_ptr_array_new ();

    for (i = 0; list && list[i]; i++) {
      g_strstrip (list[i]);
      if (!*list[i])
        continue;
      if (!webrtc_settings_check_server (list[i], TRUE, &error)) {
        key_file_loader_problem (l, group, "turn-servers", "\"%s\": %s",
            list[i], error->message);
        g_clear_error (&error);
      }
      g_ptr_array_add (out, g_strdup (list[i]));
    }
    g_ptr_array_add (out, NULL);
    s->turn_servers = (gchar **)g_ptr_array_free (out, FALSE);
  }
  s->turn_credentials_file
      = key_file_loader_get_string (l, group, "turn-credentials-file", FALSE);
  if (s->turn_servers && s->turn_servers[0] && !s->turn_credentials_file)
    key_file_loader_problem (l, group, "turn-credentials-file",
        "missing: TURN servers need credentials (a file holding "
        "username:password)");
  key_file_loader_get_bool (l, group, "relay-only", &s->relay_only);
  if (s->relay_only && !(s->turn_servers && s->turn_servers[0]))
    key_file_loader_problem (l, group, "relay-only",
        "true without turn-servers: no session could ever connect");
  key_file_loader_get_seconds (l, group, "connect-timeout", 1000,
      &s->connect_timeout_ms);
  key_file_loader_get_uint (l, group, "max-viewers", 0, 32, &s->max_viewers);
  key_file_loader_get_uint (l, group, "default-ttl", 1, 86400,
      &s->default_ttl_s);
  key_file_loader_get_uint (l, group, "max-ttl", 1, 86400, &s->max_ttl_s);
  if (s->default_ttl_s > s->max_ttl_s)
    key_file_loader_problem (l, group, "default-ttl", "%u exceeds max-ttl %u",
        s->default_ttl_s, s->max_ttl_s);

  for (i = 0; i < G_N_ELEMENTS (event_defaults); i++) {
    gchar **slot = event_slot (&s->events, i);
    gchar *name
        = key_file_loader_get_string (l, group, event_defaults[i].key, FALSE);
    const gchar *p;

    if (name) {
      g_free (*slot);
      *slot = name;
    }
    for (p = *slot; *p; p++)
      if (!g_ascii_isalnum (*p) && *p != '_' && *p != '-' && *p != '.')
        break;
    if (*p || strlen (*slot) > 64) {
      key_file_loader_problem (l, group, event_defaults[i].key,
          "\"%s\" is not an event name (1 to 64 of A-Z a-z 0-9 _ - .)", *slot);
      continue;
    }
    for (j = 0; j < i; j++)
      if (strcmp (*slot, *event_slot (&s->events, j)) == 0)
        key_file_loader_problem (l, group, event_defaults[i].key, "same as %s",
            event_defaults[j].key);
    for (j = 0; taken && taken[j]; j++)
      if (strcmp (*slot, taken[j]) == 0)
        key_file_loader_problem (l, group, event_defaults[i].key,
            "\"%s\" is already an event of [events]", *slot);
  }
}

/**
 * webrtc_settings_read_credentials:
 * @settings: settings whose turn_credentials_file is resolved
 * @error: where a problem is described (naming the file, never its
 *   contents)
 *
 * Returns: %TRUE when the credentials were read, or there is no file
 */
gboolean
webrtc_settings_read_credentials (WebrtcSettings *s, GError **error)
{
  g_autoptr (GatewaySecret) secret = NULL;
  const gchar *colon;

  if (!s->turn_credentials_file)
    return TRUE;
  secret = gateway_secret_file_read (s->turn_credentials_file, error);
  if (!secret)
    return FALSE;
  colon = strchr (secret, ':');
  if (!colon || colon == secret || !colon[1] || strchr (secret, '%')) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_DEFINITION,
        "%s: expected one line \"username:password\" (no '%%')",
        s->turn_credentials_file);
    return FALSE;
  }
  gateway_secret_free (s->turn_username);
  gateway_secret_free (s->turn_password);
  s->turn_username = g_strndup (secret, colon - secret);
  s->turn_password = g_strdup (colon + 1);
  return TRUE;
}

/* turn[s]://USER:PASS@HOST:PORT[?...] from a configured URI: a secret. */
static gchar *
turn_uri_with_credentials (const WebrtcSettings *s, const gchar *uri)
{
  const gchar *rest = strstr (uri, "://");
  g_autofree gchar *user = NULL;
  g_autofree gchar *pass = NULL;
  gchar *out;

  if (!rest || !s->turn_username || !s->turn_password)
    return g_strdup (uri);
  user = g_uri_escape_string (s->turn_username, NULL, FALSE);
  pass = g_uri_escape_string (s->turn_password, NULL, FALSE);
  out = g_strdup_printf ("%.*s://%s:%s@%s", (gint)(rest - uri), uri, user, pass,
      rest + 3);
  memset (pass, 0, strlen (pass));
  memset (user, 0, strlen (user));
  return out;
}

/**
 * webrtc_settings_apply:
 * @settings: the settings
 * @webrtcbin: a webrtcbin in NULL
 *
 * Sets the STUN server, adds every TURN server with the credentials, and
 * with relay-only restricts ICE to relayed candidates.
 */
void
webrtc_settings_apply (const WebrtcSettings *s, GstElement *webrtcbin)
{
  guint i;

  if (s->stun_server)
    g_object_set (webrtcbin, "stun-server", s->stun_server, NULL);
  for (i = 0; s->turn_servers && s->turn_servers[i]; i++) {
    g_autoptr (GatewaySecret) uri
        = turn_uri_with_credentials (s, s->turn_servers[i]);
    gboolean added = FALSE;

    g_signal_emit_by_name (webrtcbin, "add-turn-server", uri, &added);
    if (!added)
      /* The configured URI carries no credentials: safe to log. */
      g_warning ("webrtc: TURN server %s refused by webrtcbin; sessions go "
                 "on without it",
          s->turn_servers[i]);
  }
  g_object_set (webrtcbin, "ice-transport-policy",
      s->relay_only ? GST_WEBRTC_ICE_TRANSPORT_POLICY_RELAY
                    : GST_WEBRTC_ICE_TRANSPORT_POLICY_ALL,
      NULL);
}

/* libnice's thread or any: g_log handlers may run anywhere. */
static void
drop_secret_lines (const gchar *domain, GLogLevelFlags level,
    const gchar *message, gpointer user_data)
{
  /* "added relay server [...] with user/pass : USER -- PASSWORD" */
  if (message
      && (strstr (message, "user/pass") || strstr (message, "password")))
    return;
  g_log_default_handler (domain, level, message, NULL);
}

/**
 * webrtc_settings_hide_ice_secrets:
 *
 * Keeps TURN credentials out of libnice's debug lines (see the header).
 */
void
webrtc_settings_hide_ice_secrets (void)
{
  static gsize done;

  if (g_once_init_enter (&done)) {
    g_log_set_handler ("libnice",
        G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
        drop_secret_lines, NULL);
    g_once_init_leave (&done, 1);
  }
}

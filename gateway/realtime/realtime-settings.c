/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-settings.c: connection settings -> RealtimeClient. Every check
 * runs before the client exists, so a refused setting leaves nothing
 * behind; the bounds are the client's own property ranges, read from its
 * GParamSpecs, so the two can never disagree.
 */
#include "realtime-settings.h"

#include "secret-file.h"

#include <glib/gstdio.h>
#include <unistd.h>

/**
 * realtime_settings_init:
 * @settings: the settings to fill
 *
 * Sets every field to its default: no URL, no key, no files, vsn 2.0.0,
 * the client's default times and sizes (REALTIME_DEFAULT_*).
 */
void
realtime_settings_init (RealtimeSettings *settings)
{
  g_return_if_fail (settings != NULL);

  *settings = (RealtimeSettings){
    .vsn = REALTIME_VSN_2_0_0,
    .heartbeat_interval_ms = REALTIME_DEFAULT_HEARTBEAT_INTERVAL,
    .heartbeat_timeout_ms = 0,
    .connect_timeout_ms = REALTIME_DEFAULT_CONNECT_TIMEOUT,
    .join_timeout_ms = REALTIME_DEFAULT_JOIN_TIMEOUT,
    .backoff_min_ms = REALTIME_DEFAULT_BACKOFF_MIN,
    .backoff_max_ms = REALTIME_DEFAULT_BACKOFF_MAX,
    .max_message_size = REALTIME_DEFAULT_MAX_MESSAGE_SIZE,
  };
}

/**
 * realtime_settings_clear:
 * @settings: the settings to empty
 *
 * Frees the strings (the API key overwritten first) and sets them to
 * %NULL; the numbers are left as they are. Safe to call twice.
 */
void
realtime_settings_clear (RealtimeSettings *settings)
{
  g_return_if_fail (settings != NULL);

  g_clear_pointer (&settings->url, g_free);
  g_clear_pointer (&settings->api_key_file, g_free);
  g_clear_pointer (&settings->api_key, gateway_secret_free);
  g_clear_pointer (&settings->access_token_file, g_free);
  g_clear_pointer (&settings->ca_file, g_free);
  /* may hold proxy credentials */
  g_clear_pointer (&settings->proxy, gateway_secret_free);
}

/* Checks @value against the range of the client's property @name (which
 * is also the setting's name as users write it). */
static gboolean
check_range (const gchar *name, guint value, const gchar *unit, GError **error)
{
  g_autoptr (GTypeClass) klass = g_type_class_ref (REALTIME_TYPE_CLIENT);
  GParamSpecUInt *spec = G_PARAM_SPEC_UINT (
      g_object_class_find_property (G_OBJECT_CLASS (klass), name));

  if (value >= spec->minimum && value <= spec->maximum)
    return TRUE;
  g_set_error (error, REALTIME_ERROR, REALTIME_ERROR_INVALID_ARGUMENT,
      "%s: %u %s is out of range (%u to %u %s)", name, value, unit,
      spec->minimum, spec->maximum, unit);
  return FALSE;
}

static gboolean
check_settings (const RealtimeSettings *s, GError **error)
{
  g_autofree gchar *ws_url = NULL;

  /* The URL alone, without the key: the error must never hold a secret. */
  ws_url = realtime_build_websocket_url (s->url, s->vsn, NULL, error);
  if (!ws_url) {
    g_prefix_error (error, "url: ");
    return FALSE;
  }
  if (s->vsn != REALTIME_VSN_1_0_0 && s->vsn != REALTIME_VSN_2_0_0) {
    g_set_error (error, REALTIME_ERROR, REALTIME_ERROR_INVALID_ARGUMENT,
        "vsn: %d is not 1.0.0 or 2.0.0", (gint)s->vsn);
    return FALSE;
  }
  if (s->api_key_file && s->api_key) {
    g_set_error (error, REALTIME_ERROR, REALTIME_ERROR_INVALID_ARGUMENT,
        "api-key and api-key-file are both set: set only one");
    return FALSE;
  }
  if (s->ca_file
      && (!g_file_test (s->ca_file, G_FILE_TEST_IS_REGULAR)
          || g_access (s->ca_file, R_OK) != 0)) {
    g_set_error (error, REALTIME_ERROR, REALTIME_ERROR_INVALID_ARGUMENT,
        "ca-file: %s is not a readable file", s->ca_file);
    return FALSE;
  }
  if (!realtime_client_check_proxy (s->proxy, error))
    return FALSE;
  if (!check_range ("heartbeat-interval", s->heartbeat_interval_ms, "ms", error)
      || !check_range ("heartbeat-timeout", s->heartbeat_timeout_ms, "ms",
          error)
      || !check_range ("connect-timeout", s->connect_timeout_ms, "ms", error)
      || !check_range ("join-timeout", s->join_timeout_ms, "ms", error)
      || !check_range ("backoff-min", s->backoff_min_ms, "ms", error)
      || !check_range ("backoff-max", s->backoff_max_ms, "ms", error)
      || !check_range ("max-message-size", s->max_message_size, "bytes", error))
    return FALSE;
  if (s->backoff_min_ms > s->backoff_max_ms) {
    g_set_error (error, REALTIME_ERROR, REALTIME_ERROR_INVALID_ARGUMENT,
        "backoff-min: %u ms is above backoff-max (%u ms)", s->backoff_min_ms,
        s->backoff_max_ms);
    return FALSE;
  }
  return TRUE;
}

/* Reads the secret in @path; errors name @setting and the file, never
 * the contents (gateway_secret_file_read promises the latter). */
static gchar *
read_secret (const gchar *setting, const gchar *path, GError **error)
{
  gchar *secret = gateway_secret_file_read (path, error);

  if (!secret)
    g_prefix_error (error, "%s: ", setting);
  return secret;
}

/**
 * realtime_settings_make_client:
 * @settings: the settings
 * @error: set when a setting is refused
 *
 * Checks @settings and makes a client, not connected. The API key comes
 * from api_key_file when set (else api_key; setting both is refused), the
 * access token from access_token_file (set on the client: watch the file
 * with RealtimeTokenWatch to follow its renewals). Every refusal is
 * REALTIME_ERROR_INVALID_ARGUMENT or the file's GFileError, its message
 * starting with the setting's name ("heartbeat-interval: ..."), never a
 * secret.
 *
 * Returns: (transfer full) (nullable): the client, or %NULL with @error set.
 */
RealtimeClient *
realtime_settings_make_client (const RealtimeSettings *settings, GError **error)
{
  g_autoptr (GatewaySecret) key = NULL;
  g_autoptr (GatewaySecret) token = NULL;
  RealtimeClient *client;

  g_return_val_if_fail (settings != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_settings (settings, error))
    return NULL;
  if (settings->api_key_file) {
    key = read_secret ("api-key-file", settings->api_key_file, error);
    if (!key)
      return NULL;
  } else if (settings->api_key && *settings->api_key) {
    key = g_strdup (settings->api_key);
  }
  if (settings->access_token_file) {
    token
        = read_secret ("access-token-file", settings->access_token_file, error);
    if (!token)
      return NULL;
  }

  client = g_object_new (REALTIME_TYPE_CLIENT, "url", settings->url, "api-key",
      key, "api-key-in-header", settings->api_key_in_header, "vsn",
      settings->vsn, "ca-file", settings->ca_file, "proxy", settings->proxy,
      "heartbeat-interval", settings->heartbeat_interval_ms,
      "heartbeat-timeout", settings->heartbeat_timeout_ms, "connect-timeout",
      settings->connect_timeout_ms, "join-timeout", settings->join_timeout_ms,
      "backoff-min", settings->backoff_min_ms, "backoff-max",
      settings->backoff_max_ms, "max-message-size", settings->max_message_size,
      NULL);
  if (token)
    realtime_client_set_access_token (client, token);
  return client;
}

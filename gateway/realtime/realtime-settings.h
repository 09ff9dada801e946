/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-settings.h: the connection settings every front end has (the
 * daemon's [realtime] group, the CLI's options, realtimesrc's properties)
 * and the one place that turns them into a RealtimeClient: secrets read
 * from files, the URL checked, every bound checked with a message a user
 * can act on.
 */
#pragma once

#include "realtime-client.h"

G_BEGIN_DECLS

typedef struct
{
  gchar *url; /* project URL or ws(s):// URL */
  gchar *api_key_file; /* resolved by gateway_secret_file_read */
  gchar *api_key; /* a secret; set this or api_key_file, not both */
  gboolean api_key_in_header;
  gchar *access_token_file; /* nullable; watch it with RealtimeTokenWatch */
  gchar *ca_file; /* nullable: system CAs */
  /* nullable: https_proxy/http_proxy/all_proxy from the environment, else
   * none; "direct": never a proxy (see the client's "proxy") */
  gchar *proxy;
  RealtimeVsn vsn;
  guint heartbeat_interval_ms;
  guint heartbeat_timeout_ms; /* 0: the interval */
  guint connect_timeout_ms; /* TCP + TLS + upgrade */
  guint join_timeout_ms;
  guint backoff_min_ms;
  guint backoff_max_ms;
  guint max_message_size;
} RealtimeSettings;

/* Every field to its default (REALTIME_DEFAULT_*, vsn 2.0.0). */
void realtime_settings_init (RealtimeSettings *settings);
/* Frees the strings (the key overwritten first). */
void realtime_settings_clear (RealtimeSettings *settings);

/* Checks @settings and makes a client (not connected): the API key read
 * from its file, the access token from its file (set on the client), the
 * URL, the CA file and every bound checked. Errors are
 * REALTIME_ERROR_INVALID_ARGUMENT (or the file's error) naming the setting
 * as a user wrote it, never a secret. */
RealtimeClient *realtime_settings_make_client (const RealtimeSettings *settings,
    GError **error);

G_END_DECLS

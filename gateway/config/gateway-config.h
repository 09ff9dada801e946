/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gateway-config.h: the daemon's configuration file (config/gateway.conf
 * documents every key). Secrets are not in it: it names the files that
 * hold them.
 */
#pragma once

#include <glib.h>

#include "realtime-settings.h"
#include "webrtc-settings.h"

G_BEGIN_DECLS

typedef struct
{
  gchar *path;
  gchar *dir; /* of the file: relative paths are relative to it */

  /* [realtime]: the connection (api_key_file, access_token_file and
   * ca_file resolved; api_key never set), and the channel joined on it */
  RealtimeSettings realtime;
  gchar *channel;
  gboolean private_;

  /* [gateway] */
  gchar *id;
  gchar **pipelines_dirs; /* resolved */
  gchar *recordings_dir; /* resolved */
  gboolean presence;
  gchar *metrics_address; /* nullable: off */
  guint send_rate; /* messages per second on the channel, at most */
  guint send_burst; /* of them back to back */

  /* [events] */
  gchar *ev_start;
  gchar *ev_stop;
  gchar *ev_renew;
  gchar *ev_status;
  gchar *ev_reply;
  gchar *ev_describe;
  gchar *ev_catalog; /* describe's answer */

  /* [webrtc]: viewer sessions of output=webrtc definitions (STUN/TURN,
   * relay-only, limits, event names); turn_credentials_file resolved,
   * not read (webrtc_settings_read_credentials()) */
  WebrtcSettings webrtc;
} GatewayConfig;

/* Loads @path. Every problem is appended to @problems as one line
 * "PATH: [group] key: message"; returns NULL when there was any. Secret
 * files are resolved (a bare name: $CREDENTIALS_DIRECTORY first, then the
 * configuration's directory) but not read. */
GatewayConfig *gateway_config_load (const gchar *path, GPtrArray *problems);
void gateway_config_free (GatewayConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GatewayConfig, gateway_config_free)

/* "RECORDINGS_DIR=..." and the like, for pipeline_def_load. */
gchar **gateway_config_pipeline_vars (const GatewayConfig *config);

/* Resolves a file named in the configuration, as for secrets. */
gchar *gateway_config_resolve_file (const GatewayConfig *config,
    const gchar *name, gboolean credential);

G_END_DECLS

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * check-config.h: "realtime-gateway check-config", and the checks "run"
 * refuses to start on: the configuration, the connection settings (the
 * secrets they name are read, never shown), the recordings directory and
 * every pipeline definition.
 */
#pragma once

#include "gateway-config.h"
#include "realtime-client.h"

G_BEGIN_DECLS

/* What passed every check. */
typedef struct
{
  GatewayConfig *config;
  gchar **vars; /* RECORDINGS_DIR=... for the pipeline definitions */
  GHashTable *defs; /* name -> PipelineDef* */
  RealtimeClient *client; /* made from [realtime]; not connected */
} GatewayCheckedConfig;

/* Parses the options of "run" and "check-config" (--config, --verbose and
 * GStreamer's); @what is the command's one-line summary. FALSE after
 * printing the reason. */
gboolean gateway_parse_config_option (int argc, char **argv, const gchar *what,
    gchar **config_path);

/* Runs every check on the configuration at @path. Every problem is
 * appended to @problems as one line "PATH: [group] key: message"; FALSE
 * when there was any, and @checked is left empty. */
gboolean gateway_check_config_load (const gchar *path,
    GatewayCheckedConfig *checked, GPtrArray *problems);
/* Frees what @checked still holds (fields set to NULL may have been taken
 * by the caller). */
void gateway_checked_config_clear (GatewayCheckedConfig *checked);

/* Prints @problems and their count to stderr. */
void gateway_print_problems (GPtrArray *problems);

/* The "check-config" command; its exit status. */
int gateway_daemon_check_config (int argc, char **argv);

G_END_DECLS

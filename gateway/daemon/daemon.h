/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * daemon.h: the "run" and "check-config" subcommands.
 */
#pragma once

G_BEGIN_DECLS

int gateway_daemon_run (int argc, char **argv);
int gateway_daemon_check_config (int argc, char **argv);

G_END_DECLS

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * daemon.h: the "run" subcommand (check-config.h has "check-config").
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int gateway_daemon_run (int argc, char **argv);

G_END_DECLS

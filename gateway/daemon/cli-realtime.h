/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * cli-realtime.h: the "listen" and "send" subcommands.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int realtime_cli_listen (int argc, char **argv);
int realtime_cli_send (int argc, char **argv);

G_END_DECLS

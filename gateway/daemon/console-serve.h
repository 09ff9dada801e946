/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * console-serve.h: the "console" subcommand, which serves the operator's
 * console (console/ in the source tree, PKGDATADIR/console installed).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int gateway_console_serve (int argc, char **argv);

G_END_DECLS

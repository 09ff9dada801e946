/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * turn-server.h: a real TURN server for the tests: Debian's coturn
 * (/usr/bin/turnserver) started on 127.0.0.1 with one long-term
 * credential, TURN over UDP and TCP on one port, relaying on loopback
 * (--allow-loopback-peers: test only). Stopped (SIGTERM, then waited
 * for) when freed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RtTurnServer RtTurnServer;

/* TRUE when coturn is installed. */
gboolean rt_turn_server_available (void);

/* Starts coturn with the credential @user:@password and waits (bounded)
 * until it accepts TCP connections. NULL with @error when it cannot. */
RtTurnServer *
rt_turn_server_new (const gchar *user, const gchar *password, GError **error);
void rt_turn_server_free (RtTurnServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtTurnServer, rt_turn_server_free)

guint rt_turn_server_get_port (RtTurnServer *server);
/* "turn://127.0.0.1:PORT" (no credentials; @tcp adds ?transport=tcp). */
gchar *rt_turn_server_dup_uri (RtTurnServer *server, gboolean tcp);
/* Allocations the server logged so far (its log lines saying so). */
guint rt_turn_server_count_allocations (RtTurnServer *server);

G_END_DECLS

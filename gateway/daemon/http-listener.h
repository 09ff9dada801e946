/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * http-listener.h: a listening TCP socket whose connections are handed to
 * a SoupServer with soup_server_accept_iostream(). libsoup 3.2's own
 * listener leaks every accepted socket, so a long-running server accepts
 * for itself. The one listener of the project's HTTP servers: the console
 * (console-serve.c) and the metrics endpoint (metrics.c).
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef struct _GatewayHttpListener GatewayHttpListener;

/* Listens on @address, "IP:PORT" (port 0 picks a free one), on the
 * thread-default main context, serving every connection with @server (a
 * reference is taken). @what names the server in log lines. */
GatewayHttpListener *gateway_http_listener_new (SoupServer *server,
    const gchar *address, const gchar *what, GError **error);
void gateway_http_listener_free (GatewayHttpListener *listener);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GatewayHttpListener, gateway_http_listener_free)

/* The address and port actually bound. */
const gchar *gateway_http_listener_get_host (GatewayHttpListener *listener);
guint gateway_http_listener_get_port (GatewayHttpListener *listener);

G_END_DECLS

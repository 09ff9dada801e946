/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * http-listener.c: see http-listener.h.
 */
#include "http-listener.h"
#include "owned-source.h"

struct _GatewayHttpListener
{
  GMainContext *context;
  SoupServer *server;
  GSocket *socket;
  GSource *source;
  gchar *host;
  guint port;
  gchar *what;
};

static gboolean
on_incoming (GSocket *listen_socket, GIOCondition condition, gpointer user_data)
{
  GatewayHttpListener *l = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = g_socket_accept (listen_socket, NULL, &error);
  g_autoptr (GSocketConnection) connection = NULL;
  g_autoptr (GSocketAddress) local = NULL;
  g_autoptr (GSocketAddress) remote = NULL;

  if (!socket) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
      g_message ("%s: accept failed: %s; still listening", l->what,
          error->message);
    return G_SOURCE_CONTINUE;
  }
  connection = g_socket_connection_factory_create_connection (socket);
  local = g_socket_get_local_address (socket, NULL);
  remote = g_socket_get_remote_address (socket, NULL);
  if (!soup_server_accept_iostream (l->server, G_IO_STREAM (connection), local,
          remote, &error))
    g_message ("%s: cannot serve a connection: %s; still listening", l->what,
        error->message);
  return G_SOURCE_CONTINUE;
}

/**
 * gateway_http_listener_new:
 * @server: the server that answers requests
 * @address: "IP:PORT"; the host must be an IP address
 * @what: the server's name in log lines
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the listener, accepting, or %NULL
 *   when @address is not usable
 */
GatewayHttpListener *
gateway_http_listener_new (SoupServer *server, const gchar *address,
    const gchar *what, GError **error)
{
  g_autoptr (GSocketConnectable) parsed = NULL;
  g_autoptr (GSocketAddress) sockaddr = NULL;
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GatewayHttpListener) l = NULL;
  const gchar *host;

  parsed = g_network_address_parse (address, 0, error);
  if (!parsed)
    return NULL;
  host = g_network_address_get_hostname (G_NETWORK_ADDRESS (parsed));
  sockaddr = g_inet_socket_address_new_from_string (host,
      g_network_address_get_port (G_NETWORK_ADDRESS (parsed)));
  if (!sockaddr) {
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "the host must be an IP address");
    return NULL;
  }
  l = g_new0 (GatewayHttpListener, 1);
  l->context = g_main_context_ref_thread_default ();
  l->server = g_object_ref (server);
  l->what = g_strdup (what);
  l->host = g_strdup (host);
  l->socket = g_socket_new (g_socket_address_get_family (sockaddr),
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  if (!l->socket || !g_socket_bind (l->socket, sockaddr, TRUE, error)
      || !g_socket_listen (l->socket, error)
      || !(bound = g_socket_get_local_address (l->socket, error)))
    return NULL;
  l->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  l->source = g_socket_create_source (l->socket, G_IO_IN, NULL);
  g_source_set_callback (l->source, G_SOURCE_FUNC (on_incoming), l, NULL);
  g_source_attach (l->source, l->context);
  return g_steal_pointer (&l);
}

/**
 * gateway_http_listener_free:
 * @listener: (nullable): a listener
 *
 * Stops listening and disconnects the server's clients.
 */
void
gateway_http_listener_free (GatewayHttpListener *l)
{
  if (!l)
    return;
  owned_source_clear (&l->source);
  if (l->socket) {
    g_socket_close (l->socket, NULL);
    g_clear_object (&l->socket);
  }
  if (l->server) {
    soup_server_disconnect (l->server);
    g_clear_object (&l->server);
  }
  g_free (l->host);
  g_free (l->what);
  g_main_context_unref (l->context);
  g_free (l);
}

/**
 * gateway_http_listener_get_host:
 * @listener: a listener
 *
 * Returns: the IP address listened on, as given
 */
const gchar *
gateway_http_listener_get_host (GatewayHttpListener *l)
{
  return l->host;
}

/**
 * gateway_http_listener_get_port:
 * @listener: a listener
 *
 * Returns: the port bound (the chosen one when 0 was asked for)
 */
guint
gateway_http_listener_get_port (GatewayHttpListener *l)
{
  return l->port;
}

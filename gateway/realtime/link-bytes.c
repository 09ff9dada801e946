/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * link-bytes.c: TCP_INFO's tcpi_bytes_received (Linux 4.1 and later) on
 * the socket under a stream. glibc's <netinet/tcp.h> stops before that
 * field, hence the kernel's header, kept alone in this file.
 */
#include "link-bytes.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

/* Wrappers name what they wrap "base-io-stream" (GTlsConnection) or
 * "base-iostream" (libsoup's SoupIOStream). */
static GIOStream *
dup_base_stream (GIOStream *stream)
{
  static const gchar *const names[] = { "base-io-stream", "base-iostream" };
  GObjectClass *klass = G_OBJECT_GET_CLASS (stream);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    GParamSpec *pspec = g_object_class_find_property (klass, names[i]);
    GIOStream *base = NULL;

    if (pspec && g_type_is_a (pspec->value_type, G_TYPE_IO_STREAM)
        && (pspec->flags & G_PARAM_READABLE)) {
      g_object_get (stream, names[i], &base, NULL);
      return base;
    }
  }
  return NULL;
}

/**
 * link_bytes_received:
 * @stream: a connection's stream (a GSocketConnection, or wrappers of one)
 * @bytes: (out): bytes received on its TCP socket so far
 *
 * Returns: %TRUE when @bytes was set.
 */
gboolean
link_bytes_received (GIOStream *stream, guint64 *bytes)
{
  g_autoptr (GIOStream) current = NULL;
  struct tcp_info info;
  socklen_t len = sizeof info;
  guint depth;

  g_return_val_if_fail (bytes != NULL, FALSE);

  if (!stream)
    return FALSE;
  current = g_object_ref (stream);
  /* A few wrappers at most: bounded, in case of a loop. */
  for (depth = 0; depth < 8 && !G_IS_SOCKET_CONNECTION (current); depth++) {
    GIOStream *base = dup_base_stream (current);

    if (!base)
      return FALSE;
    g_object_unref (current);
    current = base;
  }
  if (!G_IS_SOCKET_CONNECTION (current))
    return FALSE;

  memset (&info, 0, sizeof info);
  if (getsockopt (g_socket_get_fd (g_socket_connection_get_socket (
                      G_SOCKET_CONNECTION (current))),
          IPPROTO_TCP, TCP_INFO, &info, &len)
      != 0)
    return FALSE;
  /* An older kernel fills less than the field. */
  if (len < offsetof (struct tcp_info, tcpi_bytes_received)
          + sizeof info.tcpi_bytes_received)
    return FALSE;
  *bytes = info.tcpi_bytes_received;
  return TRUE;
}

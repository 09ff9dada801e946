/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * link-bytes.h: how many bytes a connection's TCP socket has received so
 * far, read from the kernel (TCP_INFO), below every buffer of TLS and
 * WebSocket. A link that is still receiving is alive even when no whole
 * message has arrived yet (a large frame on a slow downlink).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Finds the GSocket under @stream (through SoupIOStream wrappers and a
 * GTlsConnection's base stream) and reads its received-bytes count.
 * Returns: FALSE when it cannot be known (no socket found, not TCP, a
 * kernel without the counter). */
gboolean link_bytes_received (GIOStream *stream, guint64 *bytes);

G_END_DECLS

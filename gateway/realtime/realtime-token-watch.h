/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-token-watch.h: watches an access-token file (a JWT that some
 * other process renews) and gives every new token to a RealtimeClient at
 * once, which pushes it to the joined channels and uses it for every later
 * join. A file that becomes unreadable or empty keeps the current token
 * and says so in the log (never the token). Runs on the thread-default
 * GMainContext at construction; changes are debounced briefly so that a
 * file written in several steps is read once. When the server says the
 * token expired (the client's "token-expired"), the file is read at once,
 * so a channel rejoins with a renewed token or knows there is none.
 */
#pragma once

#include "realtime-client.h"

G_BEGIN_DECLS

typedef struct _RealtimeTokenWatch RealtimeTokenWatch;

/* Starts watching @path (resolved as secret files are) for @client (a
 * reference is taken). The caller has already set the first token. */
RealtimeTokenWatch *
realtime_token_watch_new (RealtimeClient *client, const gchar *path);
/* Stops watching: every source and handler goes with it. */
void realtime_token_watch_free (RealtimeTokenWatch *watch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RealtimeTokenWatch, realtime_token_watch_free)

G_END_DECLS

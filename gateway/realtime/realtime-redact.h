/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-redact.h: keeps secrets out of log lines.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Returns a copy of @url with the value of every "apikey", "access_token",
 * "token" and "x-api-key" query parameter replaced by "***" and any
 * user:password userinfo removed. Never returns %NULL for non-%NULL input. */
gchar *realtime_redact_url (const gchar *url);

/* Returns a copy of @text with every occurrence of each non-empty string in
 * the %NULL-terminated @secrets replaced by "***". */
gchar *realtime_redact_text (const gchar *text, const gchar *const *secrets);

/* Returns @text (received from the network) safe for one log line or
 * state reason: control characters, quotes, backslashes and non-ASCII
 * bytes escaped (\xNN), cut after @max bytes with "...". Never lets a
 * newline forge a log line or a bidi control reorder one. */
gchar *realtime_escape_untrusted (const gchar *text, gsize max);

G_END_DECLS

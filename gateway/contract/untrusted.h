/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * untrusted.h: describing values received from the network in error
 * messages without echoing them: short, escaped, never more than a prefix.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Longest quoted prefix of a network string in a message, in bytes. */
#define GATEWAY_QUOTE_MAX 40

/* "..." around @str escaped (quotes, backslashes, control and non-ASCII
 * bytes as \xNN) and cut after GATEWAY_QUOTE_MAX bytes. */
gchar *gateway_quote_untrusted (const gchar *str);

/* "null", "an object", "an integer", ... for "expected X, got Y". */
const gchar *gateway_json_kind (JsonNode *node);

/* TRUE when @node (may be NULL) is a value of @type. */
gboolean gateway_json_holds (JsonNode *node, GType type);

G_END_DECLS

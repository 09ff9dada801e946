/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "untrusted.h"

#include <string.h>

gchar *
gateway_quote_untrusted (const gchar *str)
{
  GString *out = g_string_new ("\"");
  const guchar *p;

  for (p = (const guchar *)str; *p; p++) {
    gchar piece[8];

    if (*p == '"' || *p == '\\')
      g_snprintf (piece, sizeof piece, "\\%c", *p);
    else if (*p == '\n')
      g_strlcpy (piece, "\\n", sizeof piece);
    else if (*p == '\r')
      g_strlcpy (piece, "\\r", sizeof piece);
    else if (*p == '\t')
      g_strlcpy (piece, "\\t", sizeof piece);
    else if (*p < 0x20 || *p >= 0x7f)
      g_snprintf (piece, sizeof piece, "\\x%02x", *p);
    else
      g_snprintf (piece, sizeof piece, "%c", *p);

    if (out->len - 1 + strlen (piece) > GATEWAY_QUOTE_MAX) {
      g_string_append (out, "...");
      break;
    }
    g_string_append (out, piece);
  }
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

const gchar *
gateway_json_kind (JsonNode *node)
{
  if (!node || JSON_NODE_HOLDS_NULL (node))
    return "null";
  if (JSON_NODE_HOLDS_OBJECT (node))
    return "an object";
  if (JSON_NODE_HOLDS_ARRAY (node))
    return "an array";
  switch (json_node_get_value_type (node)) {
    case G_TYPE_INT64:
      return "an integer";
    case G_TYPE_DOUBLE:
      return "a fractional number";
    case G_TYPE_BOOLEAN:
      return "a boolean";
    case G_TYPE_STRING:
      return "a string";
    default:
      return "an unknown value";
  }
}

gboolean
gateway_json_holds (JsonNode *node, GType type)
{
  return node && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == type;
}

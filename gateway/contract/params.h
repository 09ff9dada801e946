/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * params.h: typed request parameters. A pipeline definition declares each
 * parameter a request may carry in a [param:NAME] group, bound to
 * element-name.property of the parsed pipeline. Values from the network are
 * checked against the declaration (type, bounds, choices, pattern, length)
 * and then set with the property's own GParamSpec after parsing: nothing
 * received is ever pipeline text.
 *
 * Key file form:
 *   [param:bitrate]
 *   element=enc            element name in the description (name=enc)
 *   property=bitrate       property of that element
 *   type=uint              int | uint | double | boolean | enum | string
 *                          | host
 *   min=100                int, uint, double: inclusive bounds
 *   max=8000
 *   values=smpte;ball      enum: the allowed strings (set with the
 *                          property's own enum nicks or a string property)
 *   pattern=^[a-z]+$       string: must match in full (GRegex)
 *   max-length=64          string: bytes, default 256, at most 4096
 *   prefix=/var/lib/x/     string: added around the validated value before
 *   suffix=.mp4            it is set (the pattern applies to the value)
 *   default=2500           used when a request leaves it out; without a
 *                          default the description's own value is used
 *   description=...        one line for operators
 *
 * type=host takes none of the type-specific keys: its value must be an IP
 * address or an RFC 1123 host name and nothing else (host-address.h: no
 * port, no brackets, no zone, not 0.0.0.0 or ::), set on a string
 * property such as udpsink's "host".
 */
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "gateway-error.h"

G_BEGIN_DECLS

typedef enum
{
  GATEWAY_PARAM_INT,
  GATEWAY_PARAM_UINT,
  GATEWAY_PARAM_DOUBLE,
  GATEWAY_PARAM_BOOLEAN,
  GATEWAY_PARAM_ENUM,
  GATEWAY_PARAM_STRING,
  GATEWAY_PARAM_HOST, /* a string that is an IP literal or host name */
} GatewayParamType;

const gchar *gateway_param_type_to_string (GatewayParamType type);

typedef struct
{
  gchar *name;
  gchar *element;
  gchar *property;
  GatewayParamType type;
  gint64 min_int, max_int; /* int and uint */
  gdouble min_double, max_double;
  gchar **choices; /* enum */
  GRegex *pattern; /* string, anchored at both ends */
  guint max_length; /* string */
  gchar *prefix, *suffix; /* string */
  gboolean has_default;
  GValue default_value; /* of the param's value type, see below */
  gchar *description;
} GatewayParam;

/* The GType of validated values: gint64 (int), guint64 (uint), gdouble,
 * gboolean, gchararray (enum, string and host, the value as sent). */
GType gateway_param_value_type (const GatewayParam *param);

/* Parses the group "param:NAME" of @kf. Errors say which key is wrong. */
GatewayParam *gateway_param_new_from_key_file (GKeyFile *kf, const gchar *group,
    GError **error);
void gateway_param_free (GatewayParam *param);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GatewayParam, gateway_param_free)

/* Checks that the target element exists in @bin, has the property, that it
 * is writable, and that the declared type can be set on it (and, for enum
 * properties, that every choice is a nick or name of the enum, and that the
 * default validates). */
gboolean gateway_param_check_target (const GatewayParam *param, GstBin *bin,
    GError **error);

/* Validates one JSON value from a request. On success @value (zeroed) is
 * initialised to gateway_param_value_type() and holds the value. */
gboolean gateway_param_validate (const GatewayParam *param, JsonNode *node,
    GValue *value, GError **error);

/* Sets a validated @value on the target property of @bin's element,
 * converted with the property's own GParamSpec (prefix/suffix added for
 * strings). Fails, setting nothing, when the property refuses the value. */
gboolean gateway_param_apply (const GatewayParam *param, GstBin *bin,
    const GValue *value, GError **error);

/* A request's "params" object against the declarations @params
 * (GatewayParam*): unknown names, wrong types and bad values are errors.
 * @request may be NULL or JSON null (no params). Returns a table name ->
 * GValue* (owned) with every given param; declared defaults are NOT
 * filled in (on_demand_controller applies them). */
GHashTable *gateway_params_validate_request (GPtrArray *params,
    JsonNode *request, GError **error);

/* The validated values as a JSON object (for pipeline_state replies).
 * @values may be NULL (empty object). */
JsonNode *gateway_params_values_to_json (GHashTable *values);

/* TRUE when @a and @b (validated values, either may be NULL for "no
 * value") have the same type and value; booleans compare by truth. The one
 * equality of param values: tables, warm pipelines and restarts use it. */
gboolean gateway_param_value_equal (const GValue *a, const GValue *b);

/* TRUE when both tables hold the same names with equal values
 * (gateway_param_value_equal). */
gboolean gateway_params_values_equal (GHashTable *a, GHashTable *b);

/* A new table name -> GValue* with copies of @values' entries. */
GHashTable *gateway_params_values_copy (GHashTable *values);

G_END_DECLS

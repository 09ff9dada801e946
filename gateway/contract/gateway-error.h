/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gateway-error.h: the error domain of the gateway (requests, parameters,
 * pipeline definitions, configuration). Messages are meant for operators:
 * they say what is wrong with which name, never echo more than a short,
 * escaped piece of network input, and never hold a secret.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GATEWAY_ERROR (gateway_error_quark ())
GQuark gateway_error_quark (void);

typedef enum
{
  GATEWAY_ERROR_INVALID_REQUEST, /* payload of the wrong shape */
  GATEWAY_ERROR_UNKNOWN_PIPELINE,
  GATEWAY_ERROR_UNKNOWN_PARAM,
  GATEWAY_ERROR_BAD_TYPE, /* a value of the wrong JSON type */
  GATEWAY_ERROR_OUT_OF_BOUNDS, /* number out of range, string too long */
  GATEWAY_ERROR_PATTERN, /* string not matching its pattern / choices */
  GATEWAY_ERROR_DEFINITION, /* a pipeline file is wrong */
  GATEWAY_ERROR_CONFIG, /* the configuration is wrong */
  GATEWAY_ERROR_PIPELINE, /* GStreamer refused: parse, state change, bus */
  GATEWAY_ERROR_TIMEOUT,
} GatewayError;

G_END_DECLS

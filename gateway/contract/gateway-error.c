/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gateway-error.c: the error domain of the gateway.
 */
#include "gateway-error.h"

/**
 * gateway_error_quark:
 *
 * Returns: the error domain of requests, parameters, pipeline definitions
 * and configuration (#GatewayError codes).
 */
/* clang-format off */
G_DEFINE_QUARK (gateway-error-quark, gateway_error)
/* clang-format on */

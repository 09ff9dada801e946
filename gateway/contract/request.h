/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * request.h: the event contract on the channel (README, Events). Inbound
 * broadcast payloads become GatewayRequest after checking their shape and
 * bounds; outbound "pipeline_state" payloads are built here. Shared by the
 * daemon and realtimesrc so one dashboard handles both.
 *
 *   start  {"pipeline","params"?,"request_id"?,"ttl"?}
 *   stop   {"pipeline","request_id"?}
 *   renew  {"pipeline","ttl","request_id"?}
 *   status {"request_id"?}                      (pipeline optional)
 *   describe {"request_id"?}                    (pipeline optional)
 *   pipeline_state {"pipeline","state","request_id","request_ids","error",
 *                   "params"}
 */
#pragma once

#include <json-glib/json-glib.h>

#include "gateway-error.h"

G_BEGIN_DECLS

typedef enum
{
  GATEWAY_REQUEST_START,
  GATEWAY_REQUEST_STOP,
  GATEWAY_REQUEST_RENEW,
  GATEWAY_REQUEST_STATUS,
  GATEWAY_REQUEST_DESCRIBE, /* the catalog: describe.h */
} GatewayRequestKind;

const gchar *gateway_request_kind_to_string (GatewayRequestKind kind);

#define GATEWAY_REQUEST_ID_MAX 128
#define GATEWAY_TTL_MAX_S 86400
#define GATEWAY_PARAMS_MAX 64

typedef struct
{
  GatewayRequestKind kind;
  gchar *pipeline; /* NULL only for status without one */
  gchar *request_id; /* nullable */
  gint64 ttl_s; /* -1: not given */
  JsonNode *params; /* nullable; a JSON object when set */
} GatewayRequest;

/* Checks the payload of a broadcast: an object; "pipeline" a valid
 * pipeline name (required except for status); "request_id" a string of
 * 1..128 printable ASCII characters, or absent/null; "ttl" an integer in
 * 1..86400 (start, renew; required for renew); "params" an object of at
 * most 64 members (start only); unknown top-level members are ignored.
 * On error, @request_id_out (if given) receives the request_id when it
 * could be read, so the rejection can still carry it. */
/* 1..128 printable ASCII characters: the request_ids a request may carry
 * and an answer echoes. */
gboolean gateway_request_id_is_valid (const gchar *id);

GatewayRequest *gateway_request_parse (GatewayRequestKind kind,
    JsonNode *payload, gchar **request_id_out, GError **error);
void gateway_request_free (GatewayRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GatewayRequest, gateway_request_free)

/* A string member, or JSON null when @value is NULL (request.c). */
void gateway_json_add_string_or_null (JsonBuilder *builder, const gchar *name,
    const gchar *value);

/* {"pipeline","state","request_id","request_ids","error","params"}:
 * @request_ids is NULL-terminated (NULL or empty: answers none; several
 * when answers were coalesced), "request_id" is its last element (JSON
 * null when empty); @error may be NULL (JSON null); @params (transfer
 * none) may be NULL (empty object). One request: (const gchar *[]){ id,
 * NULL }, which answers none when id is NULL. */
JsonNode *gateway_state_payload_new (const gchar *pipeline, const gchar *state,
    const gchar *const *request_ids, const gchar *error, JsonNode *params);

G_END_DECLS

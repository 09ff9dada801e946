/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * describe.h: the robot's catalog, the answer to a "describe" request
 * (docs/CONTRACT.md, "describe"; docs/schema/catalog.json). Everything a
 * dashboard needs to build a start form without reading the robot's
 * files: each pipeline's name, summary, kind of output, lease bounds and
 * every declared param with its type, bounds, choices, pattern and
 * default. Nothing private leaves: no pipeline description, no element or
 * property names, no prefix or suffix of string params.
 *
 *   catalog {"id","version","request_id","pipelines":[
 *              {"name","summary","outputs":[...],
 *               "lease":{"default_ttl","max_ttl"},
 *               "params":[{"name","type","description",...}]}]}
 */
#pragma once

#include <json-glib/json-glib.h>

#include "pipeline-def.h"

G_BEGIN_DECLS

/* The kinds of output a definition can have, in the catalog's words. */
#define GATEWAY_OUTPUT_FILE "file"
#define GATEWAY_OUTPUT_RTP "rtp"
#define GATEWAY_OUTPUT_SRT "srt"
#define GATEWAY_OUTPUT_RTSP "rtsp"
#define GATEWAY_OUTPUT_WEBRTC "webrtc"

/* The distinct kinds of output of @def, in the order its description
 * names their sinks: a NULL-terminated array of static strings (free the
 * array only, with g_free), empty when it names no known sink (a
 * realtimesrc's source: its output is the application's). */
const gchar **gateway_describe_outputs (const PipelineDef *def);

/* One pipeline's entry of the catalog (see above). */
JsonNode *gateway_describe_pipeline (const PipelineDef *def);

/* The "catalog" payload: @id (nullable: JSON null) is the robot's id, the
 * presence key; @request_id (nullable) the request answered; @defs
 * (PipelineDef*, transfer none) the pipelines, in the order given. */
JsonNode *
gateway_catalog_new (const gchar *id, const gchar *request_id, GPtrArray *defs);

G_END_DECLS

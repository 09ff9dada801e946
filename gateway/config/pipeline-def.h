/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * pipeline-def.h: a pipeline definition file (pipelines/NAME.pipeline, a
 * GKeyFile). The pipeline's name is the file name without ".pipeline".
 *
 *   [pipeline]
 *   description=videotestsrc is-live=true name=src ! ... ! filesink name=sink
 *   summary=one line shown by status and check-config
 *   start-timeout=10        seconds to the first buffer at a sink (else failed)
 *   stop-timeout=5          seconds to wait for EOS (or ERROR) before NULL
 *   default-ttl=0           lease in seconds when a start has none (0: none)
 *   max-ttl=0               longest lease a start may ask for (0: no limit)
 *   restart=never           never | on-failure
 *   restart-backoff-min=1   seconds, capped jittered backoff between restarts
 *   restart-backoff-max=30
 *   max-restarts=5          restarts after failures before giving up
 *   warm=false              parse at load, and keep everything after
 *                           the sources PLAYING between runs (only the
 *                           sources stop, so a camera is closed); see
 *                           pipeline-runner.c, "Warm"
 *   output=sink             sink: the description ends in its own sink;
 *                           webrtc: it ends with one unlinked src pad of
 *                           raw video, and the gateway adds the encoder
 *                           and one webrtcbin per viewer session
 *                           ([webrtc] group: webrtc-output-def.h)
 *
 *   [param:NAME]            see params.h
 *
 * The description may use ${VAR} for variables the daemon configuration
 * defines (for example ${RECORDINGS_DIR}); they are substituted when the
 * file is loaded, from trusted configuration only. An unknown variable is
 * an error.
 */
#pragma once

#include <gst/gst.h>

#include "params.h"
#include "webrtc-output-def.h"

G_BEGIN_DECLS

typedef enum
{
  PIPELINE_RESTART_NEVER,
  PIPELINE_RESTART_ON_FAILURE,
} PipelineRestartPolicy;

typedef struct
{
  gint ref_count;
  gchar *name;
  gchar *path;
  gchar *description; /* variables substituted */
  gchar *summary;
  guint start_timeout_ms;
  guint stop_timeout_ms;
  guint default_ttl_s;
  guint max_ttl_s;
  PipelineRestartPolicy restart;
  guint restart_backoff_min_ms;
  guint restart_backoff_max_ms;
  guint max_restarts;
  gboolean warm;
  GPtrArray *params; /* GatewayParam*, in file order */
  WebrtcOutputDef *webrtc; /* nullable: output=webrtc */
  /* SHA-256 of what the definition was made from (the file as parsed and
   * the variables), NULL when not loaded from a file: a reload keeps a
   * pipeline whose digest did not change (router.c). */
  gchar *digest;
} PipelineDef;

/* TRUE when @a and @b were loaded from the same text with the same
 * variables (both have a digest and they are equal). */
gboolean pipeline_def_same_source (const PipelineDef *a, const PipelineDef *b);

#define PIPELINE_DEF_DEFAULT_START_TIMEOUT_MS 10000
#define PIPELINE_DEF_DEFAULT_STOP_TIMEOUT_MS 5000

/* Loads @path, substituting @vars (NULL-terminated "NAME=value" pairs, may
 * be NULL). Every problem found is appended to @problems as one line
 * "PATH: [group] key: message" (or "PATH: message"); returns NULL when
 * there was any. With @check_elements the description is parsed and every
 * param's target checked (gateway_param_check_target). */
PipelineDef *pipeline_def_load (const gchar *path, const gchar *const *vars,
    gboolean check_elements, GPtrArray *problems);

/* Loads every *.pipeline file in @dirs, in order; a later directory's file
 * of the same name replaces an earlier one. Returns name -> PipelineDef*
 * (owned); problems as above. */
GHashTable *pipeline_def_load_dirs (const gchar *const *dirs,
    const gchar *const *vars, gboolean check_elements, GPtrArray *problems);

/* A definition with every default and no description and no params, for
 * front ends that fill the fields themselves (realtimesrc, tests). */
PipelineDef *pipeline_def_new (const gchar *name);

/* Loads only the [param:NAME] groups of @path (other groups are ignored,
 * so a daemon .pipeline file serves too): GatewayParam* in file order
 * (owned). On problems, NULL and an error listing each one ("PATH: [group]
 * key: message", one per line). */
GPtrArray *pipeline_def_load_params (const gchar *path, GError **error);

PipelineDef *pipeline_def_ref (PipelineDef *def);
void pipeline_def_unref (PipelineDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PipelineDef, pipeline_def_unref)

/* The declared param named @name, or NULL. */
const GatewayParam *
pipeline_def_find_param (const PipelineDef *def, const gchar *name);

/* A valid pipeline name: 1 to 64 of [A-Za-z0-9_-]. */
gboolean pipeline_def_name_is_valid (const gchar *name);

G_END_DECLS

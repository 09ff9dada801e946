/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * pipeline-runner.h: the OnDemandRunner of the daemon. It parses a
 * PipelineDef's description into a GstPipeline (at the first start; when
 * the definition is warm, once, when the runner is made, and then only
 * the sources come and go while the rest stays PLAYING, primed at load),
 * applies request params as properties of named elements (never as
 * pipeline text), sets PLAYING and asks encoders for a key unit, and
 * notices the first buffer leaving a sink. Stop: EOS into the sources,
 * wait for it (bounded), then NULL (warm: the sources only), which
 * releases the device. State changes run on worker threads, never on the
 * main loop or a streaming thread.
 */
#pragma once

#include <gst/gst.h>

#include "ondemand-runner.h"
#include "pipeline-def.h"

G_BEGIN_DECLS

#define ON_DEMAND_TYPE_PIPELINE_RUNNER (on_demand_pipeline_runner_get_type ())
G_DECLARE_FINAL_TYPE (OnDemandPipelineRunner, on_demand_pipeline_runner,
    ON_DEMAND, PIPELINE_RUNNER, GObject)

/* Properties:
 *   "pipeline" (GstElement*, read): the current GstPipeline, for
 *       diagnostics and tests (reading properties is fine, changing its
 *       state is not). */

OnDemandPipelineRunner *on_demand_pipeline_runner_new (PipelineDef *def);

G_END_DECLS

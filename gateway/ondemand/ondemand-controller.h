/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ondemand-controller.h: the lifecycle of one named on-demand pipeline,
 * the same for the daemon and for realtimesrc. It decides, and makes no
 * GStreamer call; an OnDemandRunner (ondemand-runner.h) carries it out.
 *
 * Start: the wish becomes "run with these params"; "starting" is reported
 * and the runner starts a run; "playing" is reported at the run's first
 * buffer; no buffer within start-timeout is a failure. Stop: the runner
 * drains (EOS, bounded by stop-timeout) and releases; only then is
 * "stopped" reported and may a new run begin. A failure is reported with
 * its reason and handled by the restart policy (capped, jittered backoff,
 * at most max-restarts in a row; phase RESTART_PENDING meanwhile). A lease
 * (ttl) stops the pipeline with reason "lease expired" unless renewed.
 *
 * All requests return at once and are driven by the thread-default
 * GMainContext at construction; requests arriving during a transition
 * update the wish, and only the last wish counts (a storm ends in the
 * state the last request asked for).
 */
#pragma once

#include <glib-object.h>
#include <gst/gst.h>

#include "ondemand-runner.h"
#include "pipeline-def.h"

G_BEGIN_DECLS

typedef enum
{
  ON_DEMAND_STATE_STOPPED,
  ON_DEMAND_STATE_STARTING,
  ON_DEMAND_STATE_PLAYING,
  ON_DEMAND_STATE_STOPPING,
  ON_DEMAND_STATE_FAILED,
} OnDemandState;

#define ON_DEMAND_TYPE_STATE (on_demand_state_get_type ())
GType on_demand_state_get_type (void);
/* "stopped", "starting", "playing", "stopping", "failed" */
const gchar *on_demand_state_to_string (OnDemandState state);

#define ON_DEMAND_TYPE_CONTROLLER (on_demand_controller_get_type ())
G_DECLARE_FINAL_TYPE (OnDemandController, on_demand_controller, ON_DEMAND,
    CONTROLLER, GObject)

/*
 * Signals:
 *   "state-changed" (OnDemandState state, const gchar *request_id,
 *       const gchar *error): every transition, and every answer to a
 *       request that changes nothing (start while playing with the same
 *       params: "playing"; stop while stopped: "stopped"); @request_id is
 *       the request being served (NULL for restarts and leases), @error the
 *       reason for failed, and for stopped when not asked for (for example
 *       "lease expired"); NULL otherwise.
 */

/* What the controller is doing; RESTART_PENDING is "failed" with a
 * restart scheduled by the policy. */
typedef enum
{
  ON_DEMAND_PHASE_IDLE,
  ON_DEMAND_PHASE_RESTART_PENDING,
  ON_DEMAND_PHASE_STARTING, /* the runner's start operation in flight */
  ON_DEMAND_PHASE_WAITING, /* started, waiting for the first buffer */
  ON_DEMAND_PHASE_PLAYING,
  ON_DEMAND_PHASE_STOPPING, /* the runner's stop operation in flight */
} OnDemandPhase;

#define ON_DEMAND_TYPE_PHASE (on_demand_phase_get_type ())
GType on_demand_phase_get_type (void);
const gchar *on_demand_phase_to_string (OnDemandPhase phase);

/* @def: the policy (timeouts, leases, restart) and the declared params;
 * @runner: carries it out (a reference is taken). */
OnDemandController *
on_demand_controller_new (PipelineDef *def, OnDemandRunner *runner);
OnDemandRunner *on_demand_controller_get_runner (OnDemandController *self);
OnDemandPhase on_demand_controller_get_phase (OnDemandController *self);

const gchar *on_demand_controller_get_name (OnDemandController *self);
PipelineDef *on_demand_controller_get_def (OnDemandController *self);
OnDemandState on_demand_controller_get_state (OnDemandController *self);

/* @params: validated values (gateway_params_validate_request), copied;
 * may be NULL. @ttl_s: lease, 0 for the definition's default-ttl. Starting
 * while playing with equal params reports "playing" again; with other
 * params it restarts with the new ones. */
void on_demand_controller_start (OnDemandController *self, GHashTable *params,
    guint ttl_s, const gchar *request_id);
void
on_demand_controller_stop (OnDemandController *self, const gchar *request_id);
/* Extends the lease of a running pipeline; FALSE with an error when it is
 * not starting or playing. */
gboolean on_demand_controller_renew (OnDemandController *self, guint ttl_s,
    GError **error);

/* The params of the current (or last) run, as JSON (transfer full). */
JsonNode *on_demand_controller_dup_params_json (OnDemandController *self);

/* Seconds of lease left, 0 when there is no lease. */
guint on_demand_controller_get_lease_remaining (OnDemandController *self);

typedef struct
{
  guint starts; /* runs that reached playing */
  guint failures;
  guint restarts;
  gdouble last_time_to_first_buffer_ms;
} OnDemandStats;

void
on_demand_controller_get_stats (OnDemandController *self, OnDemandStats *stats);

/* Stops (EOS, bounded by stop-timeout) and tears down everything, then
 * calls @callback on the main context; used at exit and on removal. After
 * this the object accepts no request. */
void on_demand_controller_shutdown (OnDemandController *self,
    GAsyncReadyCallback callback, gpointer user_data);
gboolean on_demand_controller_shutdown_finish (OnDemandController *self,
    GAsyncResult *result, GError **error);

G_END_DECLS

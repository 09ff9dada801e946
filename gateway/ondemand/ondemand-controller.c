/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ondemand-controller.c: the lifecycle of one named pipeline, started and
 * stopped on request. It decides; an OnDemandRunner carries it out, and
 * no GStreamer call is made here.
 *
 * Three things are kept apart:
 *
 * - the wish: run (with params, a lease and the request being served) or
 *   stop. Requests only change the wish and are answered at once, so a
 *   storm of requests costs nothing and only the last one counts;
 * - the phase (OnDemandPhase): what the runner is doing for us right now
 *   (IDLE, RESTART_PENDING, STARTING, WAITING, PLAYING, STOPPING).
 *   converge() moves it towards the wish after every event;
 * - the reported state (OnDemandState), changed only by report(), which
 *   queues a "state-changed" emission.
 *
 * The runner has at most one operation in flight, exactly in the phases
 * STARTING (start() called, its "start-done" not yet seen) and STOPPING
 * (stop() called, its "stop-done" not yet seen). Each operation is bounded:
 * the start by start-timeout, the stop's drain by stop-timeout, plus
 * "state-change-grace"; past that the runner is told to abandon it and
 * "failed" ("stuck in state change") is reported. Every run has a number,
 * given to start() and carried by the run's notifications: a notification
 * of another run is late news and is ignored.
 *
 * Signals are queued and emitted by flush_reports() at the end of every
 * entry point (request, runner notification, timer), once the state
 * machine is consistent: a handler may call back into this object, or
 * drop the last reference to it, without finding it half-way through a
 * transition.
 *
 * Dispose never blocks: it destroys its timers and tells the runner to
 * abandon whatever it holds. Use on_demand_controller_shutdown() first to
 * finalise files.
 *
 * Choices the header leaves open:
 * - every started run is stopped through the runner, even one whose
 *   start failed (the runner releases what the start left behind);
 * - a stop during a start waits for "start-done", then takes the normal
 *   stop path (drain, bounded by stop-timeout, then release); a failed run
 *   is stopped without a drain, and never kept warm;
 * - restart delays are drawn with full jitter from the growing ceiling
 *   (restart-backoff-min doubling up to restart-backoff-max) and are never
 *   shorter than restart-backoff-min; a run that reaches playing, or an
 *   explicit start, resets the count;
 * - a start while playing with other params is reported "starting" (then
 *   "playing"), never "stopped" in between.
 */
#include "ondemand-controller.h"
#include "backoff.h"
#include "gateway-error.h"
#include "owned-source.h"
#include "params.h"

/* The library is built with the realtime client's log domain; on-demand
 * pipelines belong to the gateway component. */
#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "gateway"

#define DEFAULT_STATE_CHANGE_GRACE_MS 5000

typedef struct
{
  OnDemandState state;
  gchar *request_id;
  gchar *error;
} Report;

struct _OnDemandController
{
  GObject parent;

  GMainContext *context;
  PipelineDef *def;
  OnDemandRunner *runner;
  gulong runner_handlers[4];
  guint grace_ms;

  /* the wish */
  gboolean wish_run;
  GHashTable *params; /* wished (and last) params; never NULL */
  gchar *request_id; /* the request being served, NULL for our own */
  gchar *stop_reason; /* why we stop when nobody asked ("lease expired") */
  gboolean shutting_down;

  /* the runner */
  OnDemandPhase phase;
  gboolean prepared; /* IDLE: the runner keeps a warm preparation */
  gboolean stop_drain; /* the stop in flight drains */
  guint run_id;
  GHashTable *run_params; /* params of the current run */
  gboolean run_failed; /* this run failed; stop it without drain */
  gint64 run_started_us;
  gint64 run_first_buffer_us; /* 0 until the first buffer */
  guint restarts_in_row; /* restarts since a run last reached playing */
  guint restart_delay_ms; /* of the pending restart */
  RealtimeBackoff backoff;

  /* timers, each cleared in one place (owned_source_clear) */
  GSource *start_source; /* start-timeout of the run */
  GSource *stuck_source; /* bound of the operation in flight */
  GSource *lease_source;
  GSource *restart_source;
  gint64 lease_deadline_us;

  /* the report */
  OnDemandState state;
  GQueue reports; /* Report*, emitted by flush_reports() */
  gboolean flushing;
  GPtrArray *shutdown_tasks; /* GTask*, completed by flush_reports() */
  gboolean shutdown_done;
  gchar *shutdown_error;

  OnDemandStats stats;
};

enum
{
  PROP_0,
  PROP_STATE_CHANGE_GRACE,
  PROP_RESTART_PENDING,
  PROP_RESTART_DELAY,
  N_PROPS
};

enum
{
  SIGNAL_STATE_CHANGED,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_TYPE (OnDemandController, on_demand_controller, G_TYPE_OBJECT);

G_DEFINE_ENUM_TYPE (OnDemandState, on_demand_state,
    G_DEFINE_ENUM_VALUE (ON_DEMAND_STATE_STOPPED, "stopped"),
    G_DEFINE_ENUM_VALUE (ON_DEMAND_STATE_STARTING, "starting"),
    G_DEFINE_ENUM_VALUE (ON_DEMAND_STATE_PLAYING, "playing"),
    G_DEFINE_ENUM_VALUE (ON_DEMAND_STATE_STOPPING, "stopping"),
    G_DEFINE_ENUM_VALUE (ON_DEMAND_STATE_FAILED, "failed"));

G_DEFINE_ENUM_TYPE (OnDemandPhase, on_demand_phase,
    G_DEFINE_ENUM_VALUE (ON_DEMAND_PHASE_IDLE, "idle"),
    G_DEFINE_ENUM_VALUE (ON_DEMAND_PHASE_RESTART_PENDING, "restart-pending"),
    G_DEFINE_ENUM_VALUE (ON_DEMAND_PHASE_STARTING, "starting"),
    G_DEFINE_ENUM_VALUE (ON_DEMAND_PHASE_WAITING, "waiting"),
    G_DEFINE_ENUM_VALUE (ON_DEMAND_PHASE_PLAYING, "playing"),
    G_DEFINE_ENUM_VALUE (ON_DEMAND_PHASE_STOPPING, "stopping"));

static void converge (OnDemandController *self);

/**
 * on_demand_state_to_string:
 * @state: a state
 *
 * Returns: the name of @state as it appears on the channel: "stopped",
 *   "starting", "playing", "stopping" or "failed"
 */
const gchar *
on_demand_state_to_string (OnDemandState state)
{
  switch (state) {
    case ON_DEMAND_STATE_STOPPED:
      return "stopped";
    case ON_DEMAND_STATE_STARTING:
      return "starting";
    case ON_DEMAND_STATE_PLAYING:
      return "playing";
    case ON_DEMAND_STATE_STOPPING:
      return "stopping";
    case ON_DEMAND_STATE_FAILED:
      return "failed";
  }
  return "unknown";
}

/**
 * on_demand_phase_to_string:
 * @phase: a phase
 *
 * Returns: the name of @phase, for logs and diagnostics: "idle",
 *   "restart-pending", "starting", "waiting", "playing" or "stopping"
 */
const gchar *
on_demand_phase_to_string (OnDemandPhase phase)
{
  switch (phase) {
    case ON_DEMAND_PHASE_IDLE:
      return "idle";
    case ON_DEMAND_PHASE_RESTART_PENDING:
      return "restart-pending";
    case ON_DEMAND_PHASE_STARTING:
      return "starting";
    case ON_DEMAND_PHASE_WAITING:
      return "waiting";
    case ON_DEMAND_PHASE_PLAYING:
      return "playing";
    case ON_DEMAND_PHASE_STOPPING:
      return "stopping";
  }
  return "unknown";
}

/* ------------------------------------------------------------------ */
/* Small helpers */

/* Unowned self: every timer is destroyed in dispose. */
static GSource *
add_timeout (OnDemandController *self, guint ms, GSourceFunc func)
{
  return owned_source_timeout_attach (self->context, ms, func, self);
}

static void
set_string (gchar **field, const gchar *value)
{
  gchar *copy = g_strdup (value);

  g_free (*field);
  *field = copy;
}

static gchar *
format_duration (guint ms)
{
  if (ms % 1000 == 0)
    return g_strdup_printf ("%u s", ms / 1000);
  return g_strdup_printf ("%u ms", ms);
}

/* ------------------------------------------------------------------ */
/* Reports */

static void
report_free (gpointer data)
{
  Report *r = data;

  g_free (r->request_id);
  g_free (r->error);
  g_free (r);
}

/* Logged when emitted, not when queued: a start's "starting" is queued
 * before the runner is asked to start, and the log line (a write that
 * wakes whoever reads the log) waits until the pipeline is on its way. */
static void
log_report (OnDemandController *self, const Report *r)
{
  if (r->state == ON_DEMAND_STATE_FAILED)
    g_warning ("%s: failed%s%s: %s", self->def->name,
        r->request_id ? ", request " : "", r->request_id ? r->request_id : "",
        r->error ? r->error : "unknown reason");
  else
    g_message ("%s: %s%s%s%s%s", self->def->name,
        on_demand_state_to_string (r->state), r->request_id ? ", request " : "",
        r->request_id ? r->request_id : "", r->error ? ": " : "",
        r->error ? r->error : "");
}

/* Sets the reported state and queues its "state-changed" emission. */
static void
report (OnDemandController *self, OnDemandState state, const gchar *request_id,
    const gchar *error)
{
  Report *r = g_new0 (Report, 1);

  r->state = state;
  r->request_id = g_strdup (request_id);
  r->error = g_strdup (error);
  self->state = state;
  g_queue_push_tail (&self->reports, r);
}

/* Emits the queued reports and completes finished shutdowns. Called at
 * the end of every entry point, when the state machine is consistent;
 * handlers may call back in (their reports are emitted by this same loop,
 * in order) or drop the last reference (we hold our own meanwhile). */
static void
flush_reports (OnDemandController *self)
{
  if (self->flushing)
    return;
  self->flushing = TRUE;
  g_object_ref (self);
  for (;;) {
    Report *r = g_queue_pop_head (&self->reports);

    if (r) {
      log_report (self, r);
      g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, r->state,
          r->request_id, r->error);
      report_free (r);
      continue;
    }
    if (self->shutdown_done && self->shutdown_tasks->len > 0) {
      g_autoptr (GTask) task
          = g_ptr_array_steal_index (self->shutdown_tasks, 0);

      if (self->shutdown_error)
        g_task_return_new_error (task, GATEWAY_ERROR, GATEWAY_ERROR_TIMEOUT,
            "%s: %s", self->def->name, self->shutdown_error);
      else
        g_task_return_boolean (task, TRUE);
      continue;
    }
    break;
  }
  self->flushing = FALSE;
  g_object_unref (self);
}

/* ------------------------------------------------------------------ */
/* The lifecycle */

/* The one place the phase changes. */
static void
set_phase (OnDemandController *self, OnDemandPhase phase, const gchar *why)
{
  g_debug ("%s: phase %s -> %s (%s)", self->def->name,
      on_demand_phase_to_string (self->phase),
      on_demand_phase_to_string (phase), why);
  self->phase = phase;
}

/* Whether the current run is what is wished for. */
static gboolean
wish_matches_run (OnDemandController *self)
{
  return self->wish_run && !self->shutting_down && self->run_params
      && gateway_params_values_equal (self->params, self->run_params);
}

static gboolean on_stuck_timeout (gpointer data);

/* Arms the bound of the runner operation just started. */
static void
arm_stuck (OnDemandController *self, guint bound_ms)
{
  g_assert (self->stuck_source == NULL);
  self->stuck_source
      = add_timeout (self, bound_ms + self->grace_ms, on_stuck_timeout);
}

/* Stop path, from WAITING, PLAYING, STARTING once its "start-done" came,
 * or (shutdown of a warm preparation) IDLE. With @drain, EOS first,
 * bounded by stop-timeout. A warm definition stays prepared unless the
 * run failed or we are shutting down. */
static void
begin_stop (OnDemandController *self, gboolean drain)
{
  gboolean keep_warm
      = self->def->warm && !self->run_failed && !self->shutting_down;

  owned_source_clear (&self->start_source);
  self->stop_drain = drain;
  self->prepared = FALSE;
  set_phase (self, ON_DEMAND_PHASE_STOPPING,
      drain ? "drain, then release" : "release");
  arm_stuck (self, drain ? self->def->stop_timeout_ms : 0);
  on_demand_runner_stop (self->runner, drain, self->def->stop_timeout_ms,
      keep_warm);
}

/* A run failed: report it (unless nobody wants this run any more), then
 * stop it without a drain. In STARTING the start is still in flight:
 * its "start-done" does the stop. */
static void
fail_run (OnDemandController *self, const gchar *reason)
{
  g_assert (self->phase == ON_DEMAND_PHASE_STARTING
      || self->phase == ON_DEMAND_PHASE_WAITING
      || self->phase == ON_DEMAND_PHASE_PLAYING);

  owned_source_clear (&self->start_source);
  if (self->run_failed)
    return;
  self->run_failed = TRUE;
  if (wish_matches_run (self)) {
    self->stats.failures++;
    report (self, ON_DEMAND_STATE_FAILED, self->request_id, reason);
  } else {
    g_message ("%s: %s while stopping or restarting; carrying on",
        self->def->name, reason);
  }
  if (self->phase != ON_DEMAND_PHASE_STARTING)
    begin_stop (self, FALSE);
}

static gboolean
on_start_timeout (gpointer data)
{
  OnDemandController *self = data;
  g_autofree gchar *limit = format_duration (self->def->start_timeout_ms);
  g_autofree gchar *reason = g_strdup_printf ("no buffer within %s", limit);

  owned_source_clear (&self->start_source);
  fail_run (self, reason);
  flush_reports (self);
  return G_SOURCE_REMOVE;
}

/* Start path, from IDLE: a new run. The reported state is already
 * "starting". */
static void
begin_start (OnDemandController *self)
{
  g_assert (self->phase == ON_DEMAND_PHASE_IDLE);

  self->run_id++;
  g_clear_pointer (&self->run_params, g_hash_table_unref);
  self->run_params = gateway_params_values_copy (self->params);
  self->run_failed = FALSE;
  self->run_first_buffer_us = 0;
  self->run_started_us = g_get_monotonic_time ();
  self->prepared = FALSE;

  set_phase (self, ON_DEMAND_PHASE_STARTING, "run");
  self->start_source
      = add_timeout (self, self->def->start_timeout_ms, on_start_timeout);
  arm_stuck (self, self->def->start_timeout_ms);
  on_demand_runner_start (self->runner, self->run_id, self->run_params);
}

static void
reached_playing (OnDemandController *self)
{
  owned_source_clear (&self->start_source);
  set_phase (self, ON_DEMAND_PHASE_PLAYING, "first buffer");
  self->stats.starts++;
  self->stats.last_time_to_first_buffer_ms
      = (self->run_first_buffer_us - self->run_started_us) / 1000.0;
  self->restarts_in_row = 0;
  realtime_backoff_reset (&self->backoff);
  g_info ("%s: first buffer after %.1f ms", self->def->name,
      self->stats.last_time_to_first_buffer_ms);
  report (self, ON_DEMAND_STATE_PLAYING, self->request_id, NULL);
}

/* Leaves RESTART_PENDING without restarting (a request came). */
static void
cancel_restart (OnDemandController *self, const gchar *why)
{
  if (self->phase != ON_DEMAND_PHASE_RESTART_PENDING)
    return;
  owned_source_clear (&self->restart_source);
  self->restart_delay_ms = 0;
  set_phase (self, ON_DEMAND_PHASE_IDLE, why);
}

static gboolean
on_restart_timeout (gpointer data)
{
  OnDemandController *self = data;

  owned_source_clear (&self->restart_source);
  self->restart_delay_ms = 0;
  set_phase (self, ON_DEMAND_PHASE_IDLE, "restart");
  self->stats.restarts++;
  set_string (&self->request_id, NULL);
  report (self, ON_DEMAND_STATE_STARTING, NULL, NULL);
  converge (self);
  flush_reports (self);
  return G_SOURCE_REMOVE;
}

/* Idle after a failure while still wished to run: the restart policy. */
static void
decide_restart (OnDemandController *self)
{
  PipelineDef *def = self->def;

  if (def->restart == PIPELINE_RESTART_ON_FAILURE
      && self->restarts_in_row < def->max_restarts) {
    /* Full jitter up to the growing ceiling, so that pipelines that
     * failed together do not restart in lockstep, but never sooner than
     * restart-backoff-min (drawn once: MAX() evaluates twice). */
    guint delay = realtime_backoff_next (&self->backoff);

    delay = MAX (delay, def->restart_backoff_min_ms);

    self->restarts_in_row++;
    self->restart_delay_ms = delay;
    g_message ("%s: restarting in %u ms (restart %u of at most %u)", def->name,
        delay, self->restarts_in_row, def->max_restarts);
    set_phase (self, ON_DEMAND_PHASE_RESTART_PENDING, "restart policy");
    self->restart_source = add_timeout (self, delay, on_restart_timeout);
    return;
  }
  if (def->restart == PIPELINE_RESTART_ON_FAILURE)
    g_warning ("%s: giving up after %u restarts; staying failed until the "
               "next start",
        def->name, self->restarts_in_row);
  else
    g_message ("%s: restart policy is never; staying failed until the next "
               "start",
        def->name);
  self->wish_run = FALSE;
  owned_source_clear (&self->lease_source);
  self->lease_deadline_us = 0;
}

/* Moves the lifecycle one step towards the wish; called after every
 * event. Does nothing while a runner operation is in flight: its
 * notification calls back here. */
static void
converge (OnDemandController *self)
{
  switch (self->phase) {
    case ON_DEMAND_PHASE_IDLE:
      if (!self->wish_run && self->state == ON_DEMAND_STATE_STOPPING) {
        report (self, ON_DEMAND_STATE_STOPPED, self->request_id,
            self->stop_reason);
        set_string (&self->stop_reason, NULL);
      }
      if (self->shutting_down) {
        if (self->prepared)
          begin_stop (self, FALSE);
        else
          self->shutdown_done = TRUE;
      } else if (self->wish_run) {
        if (self->state == ON_DEMAND_STATE_FAILED)
          decide_restart (self);
        else
          begin_start (self);
      }
      break;
    case ON_DEMAND_PHASE_WAITING:
    case ON_DEMAND_PHASE_PLAYING:
      if (!wish_matches_run (self))
        begin_stop (self, TRUE);
      break;
    case ON_DEMAND_PHASE_RESTART_PENDING:
    case ON_DEMAND_PHASE_STARTING:
    case ON_DEMAND_PHASE_STOPPING:
      break;
  }
}

/* ------------------------------------------------------------------ */
/* The runner's notifications */

static void
on_start_done (OnDemandRunner *runner, guint run, const gchar *error,
    gpointer user_data)
{
  OnDemandController *self = user_data;

  if (run != self->run_id || self->phase != ON_DEMAND_PHASE_STARTING) {
    g_debug ("%s: start of run %u done (current run %u, phase %s); ignored",
        self->def->name, run, self->run_id,
        on_demand_phase_to_string (self->phase));
    return;
  }
  g_object_ref (self);
  owned_source_clear (&self->stuck_source);
  if (!self->run_failed && error)
    fail_run (self, error);
  if (self->run_failed) {
    begin_stop (self, FALSE);
  } else {
    set_phase (self, ON_DEMAND_PHASE_WAITING, "started");
    if (self->run_first_buffer_us && wish_matches_run (self))
      reached_playing (self);
    converge (self);
  }
  flush_reports (self);
  g_object_unref (self);
}

static void
on_first_buffer (OnDemandRunner *runner, guint run, gint64 monotonic_us,
    gpointer user_data)
{
  OnDemandController *self = user_data;

  if (run != self->run_id || self->run_failed || self->run_first_buffer_us)
    return;
  if (self->phase == ON_DEMAND_PHASE_STARTING) {
    /* The start has not returned yet; its "start-done" decides. */
    self->run_first_buffer_us = monotonic_us;
  } else if (self->phase == ON_DEMAND_PHASE_WAITING) {
    g_object_ref (self);
    self->run_first_buffer_us = monotonic_us;
    reached_playing (self);
    flush_reports (self);
    g_object_unref (self);
  }
}

static void
on_run_failed (OnDemandRunner *runner, guint run, const gchar *reason,
    gpointer user_data)
{
  OnDemandController *self = user_data;

  if (run != self->run_id) {
    g_debug ("%s: %s, from run %u (current run %u); ignored", self->def->name,
        reason, run, self->run_id);
    return;
  }
  if (self->phase != ON_DEMAND_PHASE_STARTING
      && self->phase != ON_DEMAND_PHASE_WAITING
      && self->phase != ON_DEMAND_PHASE_PLAYING) {
    g_message ("%s: %s while %s; carrying on", self->def->name, reason,
        on_demand_phase_to_string (self->phase));
    return;
  }
  g_object_ref (self);
  fail_run (self, reason);
  flush_reports (self);
  g_object_unref (self);
}

static void
on_stop_done (OnDemandRunner *runner, gboolean drained, gboolean released,
    const gchar *error, gpointer user_data)
{
  OnDemandController *self = user_data;

  if (self->phase != ON_DEMAND_PHASE_STOPPING) {
    g_debug ("%s: stop done while %s; ignored", self->def->name,
        on_demand_phase_to_string (self->phase));
    return;
  }
  g_object_ref (self);
  owned_source_clear (&self->stuck_source);
  if (self->stop_drain && !drained)
    g_warning ("%s: not drained (no EOS at the output within %u ms, or none "
               "could be sent); %s without it",
        self->def->name, self->def->stop_timeout_ms,
        released ? "released" : "kept warm");
  if (error)
    g_warning ("%s: %s while stopping; %s", self->def->name, error,
        released ? "released" : "kept warm");
  self->prepared = !released;
  set_phase (self, ON_DEMAND_PHASE_IDLE, released ? "released" : "kept warm");
  converge (self);
  flush_reports (self);
  g_object_unref (self);
}

/* A runner operation did not return within its bound: let it go. */
static gboolean
on_stuck_timeout (gpointer data)
{
  OnDemandController *self = data;

  owned_source_clear (&self->stuck_source);
  g_warning ("%s: a state change did not return within %u ms of its "
             "timeout; abandoning it (a device it holds may report busy "
             "until it returns)",
      self->def->name, self->grace_ms);
  owned_source_clear (&self->start_source);
  on_demand_runner_abandon (self->runner);
  self->prepared = FALSE;
  set_phase (self, ON_DEMAND_PHASE_IDLE, "stuck");
  self->stats.failures++;
  report (self, ON_DEMAND_STATE_FAILED, self->request_id,
      "stuck in state change");
  if (self->shutting_down)
    set_string (&self->shutdown_error, "stuck in state change");
  converge (self);
  flush_reports (self);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------ */
/* Leases */

static gboolean
on_lease_expired (gpointer data)
{
  OnDemandController *self = data;

  owned_source_clear (&self->lease_source);
  self->lease_deadline_us = 0;
  if (!self->wish_run)
    return G_SOURCE_REMOVE;

  g_message ("%s: lease expired; stopping", self->def->name);
  self->wish_run = FALSE;
  set_string (&self->request_id, NULL);
  set_string (&self->stop_reason, "lease expired");
  if (self->phase == ON_DEMAND_PHASE_RESTART_PENDING
      || self->phase == ON_DEMAND_PHASE_IDLE) {
    cancel_restart (self, "lease expired");
    report (self, ON_DEMAND_STATE_STOPPED, NULL, self->stop_reason);
    set_string (&self->stop_reason, NULL);
  } else {
    report (self, ON_DEMAND_STATE_STOPPING, NULL, NULL);
    converge (self);
  }
  flush_reports (self);
  return G_SOURCE_REMOVE;
}

static void
set_lease (OnDemandController *self, guint ttl_s)
{
  PipelineDef *def = self->def;

  owned_source_clear (&self->lease_source);
  self->lease_deadline_us = 0;
  if (ttl_s == 0)
    ttl_s = def->default_ttl_s;
  /* The router refuses larger leases; this only keeps a caller that
   * skipped it within the definition. */
  if (def->max_ttl_s > 0 && ttl_s > def->max_ttl_s) {
    g_message ("%s: lease of %u s capped at max-ttl %u s", def->name, ttl_s,
        def->max_ttl_s);
    ttl_s = def->max_ttl_s;
  }
  if (ttl_s == 0)
    return;
  self->lease_deadline_us
      = g_get_monotonic_time () + (gint64)ttl_s * G_TIME_SPAN_SECOND;
  self->lease_source = add_timeout (self, ttl_s * 1000, on_lease_expired);
}

/* ------------------------------------------------------------------ */
/* Public API */

/**
 * on_demand_controller_new:
 * @def: the pipeline definition (a reference is taken)
 * @runner: what carries out the decisions (a reference is taken); made
 *   on the same thread-default #GMainContext
 *
 * Creates a stopped pipeline driven by the thread-default #GMainContext;
 * call every function of this object from that context's thread. Nothing
 * is built yet: the runner builds at the first start, so problems show as
 * a "failed" report of that start.
 *
 * Returns: (transfer full): a new #OnDemandController
 */
OnDemandController *
on_demand_controller_new (PipelineDef *def, OnDemandRunner *runner)
{
  OnDemandController *self;

  g_return_val_if_fail (def != NULL, NULL);
  g_return_val_if_fail (ON_DEMAND_IS_RUNNER (runner), NULL);

  self = g_object_new (ON_DEMAND_TYPE_CONTROLLER, NULL);
  self->def = pipeline_def_ref (def);
  self->runner = g_object_ref (runner);
  self->runner_handlers[0] = g_signal_connect (runner, "start-done",
      G_CALLBACK (on_start_done), self);
  self->runner_handlers[1] = g_signal_connect (runner, "first-buffer",
      G_CALLBACK (on_first_buffer), self);
  self->runner_handlers[2] = g_signal_connect (runner, "run-failed",
      G_CALLBACK (on_run_failed), self);
  self->runner_handlers[3]
      = g_signal_connect (runner, "stop-done", G_CALLBACK (on_stop_done), self);
  realtime_backoff_init (&self->backoff, def->restart_backoff_min_ms,
      def->restart_backoff_max_ms);
  return self;
}

/**
 * on_demand_controller_get_runner:
 * @self: an #OnDemandController
 *
 * Returns: (transfer none): the runner that carries out this controller's
 *   decisions
 */
OnDemandRunner *
on_demand_controller_get_runner (OnDemandController *self)
{
  g_return_val_if_fail (ON_DEMAND_IS_CONTROLLER (self), NULL);

  return self->runner;
}

/**
 * on_demand_controller_get_phase:
 * @self: an #OnDemandController
 *
 * Returns: what the controller is doing now; %ON_DEMAND_PHASE_RESTART_PENDING
 *   while failed with a restart scheduled
 */
OnDemandPhase
on_demand_controller_get_phase (OnDemandController *self)
{
  g_return_val_if_fail (ON_DEMAND_IS_CONTROLLER (self), ON_DEMAND_PHASE_IDLE);

  return self->phase;
}

/**
 * on_demand_controller_get_name:
 * @self: an #OnDemandController
 *
 * Returns: the name of the pipeline (its definition's file name)
 */
const gchar *
on_demand_controller_get_name (OnDemandController *self)
{
  g_return_val_if_fail (ON_DEMAND_IS_CONTROLLER (self), NULL);

  return self->def->name;
}

/**
 * on_demand_controller_get_def:
 * @self: an #OnDemandController
 *
 * Returns: (transfer none): the definition this pipeline was built from
 */
PipelineDef *
on_demand_controller_get_def (OnDemandController *self)
{
  g_return_val_if_fail (ON_DEMAND_IS_CONTROLLER (self), NULL);

  return self->def;
}

/**
 * on_demand_controller_get_state:
 * @self: an #OnDemandController
 *
 * Returns: the state last reported (inside a "state-changed" handler this
 *   may already be ahead of the emission being handled)
 */
OnDemandState
on_demand_controller_get_state (OnDemandController *self)
{
  g_return_val_if_fail (ON_DEMAND_IS_CONTROLLER (self),
      ON_DEMAND_STATE_STOPPED);

  return self->state;
}

/**
 * on_demand_controller_start:
 * @self: an #OnDemandController
 * @params: (nullable) (element-type utf8 GValue): validated params
 *   (gateway_params_validate_request()), copied
 * @ttl_s: lease in seconds, 0 for the definition's default-ttl (capped at
 *   its max-ttl)
 * @request_id: (nullable): the request being served
 *
 * Wishes the pipeline to run with @params and answers at once through
 * "state-changed" with @request_id: "starting" when accepted (also while
 * a stop or a restart is still under way: the start follows it), or
 * "playing"/"starting" again when already running or starting with equal
 * params (no restart). Other params while running restart the pipeline
 * (EOS, teardown, start with the new ones). A start while failed (even
 * with a restart pending) starts at once with a fresh restart count.
 * Every start sets the lease anew from @ttl_s.
 */
void
on_demand_controller_start (OnDemandController *self, GHashTable *params,
    guint ttl_s, const gchar *request_id)
{
  GHashTable *wanted;

  g_return_if_fail (ON_DEMAND_IS_CONTROLLER (self));

  if (self->shutting_down) {
    g_message ("%s: start refused: shutting down", self->def->name);
    report (self, self->state, request_id, "shutting down");
    flush_reports (self);
    return;
  }

  set_lease (self, ttl_s);
  wanted = gateway_params_values_copy (params);
  if (self->wish_run && gateway_params_values_equal (self->params, wanted)) {
    g_hash_table_unref (wanted);
    set_string (&self->request_id, request_id);
    if (self->state == ON_DEMAND_STATE_FAILED) {
      self->restarts_in_row = 0;
      realtime_backoff_reset (&self->backoff);
      cancel_restart (self, "start request");
      report (self, ON_DEMAND_STATE_STARTING, request_id, NULL);
      converge (self);
    } else {
      /* Already starting or playing with these params. */
      report (self, self->state, request_id, NULL);
    }
    flush_reports (self);
    return;
  }

  g_hash_table_unref (self->params);
  self->params = wanted;
  self->wish_run = TRUE;
  set_string (&self->request_id, request_id);
  set_string (&self->stop_reason, NULL);
  self->restarts_in_row = 0;
  realtime_backoff_reset (&self->backoff);
  cancel_restart (self, "start request");
  report (self, ON_DEMAND_STATE_STARTING, request_id, NULL);
  converge (self);
  flush_reports (self);
}

/**
 * on_demand_controller_stop:
 * @self: an #OnDemandController
 * @request_id: (nullable): the request being served
 *
 * Wishes the pipeline stopped and answers at once through "state-changed"
 * with @request_id: "stopping" (then "stopped" once the runner drained
 * the run and released it, the device too, or kept it warm), or
 * "stopped" when nothing runs. Stopping a failed pipeline clears the
 * failure ("stopped").
 */
void
on_demand_controller_stop (OnDemandController *self, const gchar *request_id)
{
  g_return_if_fail (ON_DEMAND_IS_CONTROLLER (self));

  if (self->shutting_down) {
    report (self, self->state, request_id, NULL);
    flush_reports (self);
    return;
  }

  owned_source_clear (&self->lease_source);
  self->lease_deadline_us = 0;
  if (!self->wish_run) {
    if (self->state == ON_DEMAND_STATE_STOPPED) {
      report (self, ON_DEMAND_STATE_STOPPED, request_id, NULL);
    } else if (self->phase == ON_DEMAND_PHASE_IDLE) {
      /* failed, given up: acknowledge and clear the failure */
      set_string (&self->request_id, request_id);
      report (self, ON_DEMAND_STATE_STOPPED, request_id, NULL);
    } else {
      /* a stop, or a failure's teardown, is under way */
      set_string (&self->request_id, request_id);
      set_string (&self->stop_reason, NULL);
      report (self, ON_DEMAND_STATE_STOPPING, request_id, NULL);
    }
    flush_reports (self);
    return;
  }

  self->wish_run = FALSE;
  set_string (&self->request_id, request_id);
  set_string (&self->stop_reason, NULL);
  if (self->phase == ON_DEMAND_PHASE_RESTART_PENDING
      || self->phase == ON_DEMAND_PHASE_IDLE) {
    cancel_restart (self, "stop request");
    report (self, ON_DEMAND_STATE_STOPPED, request_id, NULL);
  } else {
    report (self, ON_DEMAND_STATE_STOPPING, request_id, NULL);
    converge (self);
  }
  flush_reports (self);
}

/**
 * on_demand_controller_renew:
 * @self: an #OnDemandController
 * @ttl_s: new lease in seconds from now, 0 for the definition's
 *   default-ttl (capped at its max-ttl; 0 then means no lease)
 * @error: return location for a %GATEWAY_ERROR_INVALID_REQUEST error
 *
 * Extends the lease of a starting or playing pipeline.
 *
 * Returns: %TRUE when renewed; %FALSE when the pipeline is not starting
 *   or playing
 */
gboolean
on_demand_controller_renew (OnDemandController *self, guint ttl_s,
    GError **error)
{
  g_return_val_if_fail (ON_DEMAND_IS_CONTROLLER (self), FALSE);

  if (self->shutting_down || !self->wish_run
      || (self->state != ON_DEMAND_STATE_STARTING
          && self->state != ON_DEMAND_STATE_PLAYING)) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "pipeline %s is %s: nothing to renew", self->def->name,
        on_demand_state_to_string (self->state));
    return FALSE;
  }
  set_lease (self, ttl_s);
  return TRUE;
}

/**
 * on_demand_controller_dup_params_json:
 * @self: an #OnDemandController
 *
 * Returns: (transfer full): the params of the latest start request (those
 *   of the current run, or of the last one), as a JSON object; params
 *   left out (defaults, description values) are not listed
 */
JsonNode *
on_demand_controller_dup_params_json (OnDemandController *self)
{
  g_return_val_if_fail (ON_DEMAND_IS_CONTROLLER (self), NULL);

  return gateway_params_values_to_json (self->params);
}

/**
 * on_demand_controller_get_lease_remaining:
 * @self: an #OnDemandController
 *
 * Returns: whole seconds of lease left (rounded up), 0 without a lease
 */
guint
on_demand_controller_get_lease_remaining (OnDemandController *self)
{
  gint64 left;

  g_return_val_if_fail (ON_DEMAND_IS_CONTROLLER (self), 0);

  if (!self->lease_source)
    return 0;
  left = self->lease_deadline_us - g_get_monotonic_time ();
  if (left <= 0)
    return 0;
  return (guint)((left + G_TIME_SPAN_SECOND - 1) / G_TIME_SPAN_SECOND);
}

/**
 * on_demand_controller_get_stats:
 * @self: an #OnDemandController
 * @stats: (out caller-allocates): the counters
 *
 * Fills @stats: runs that reached playing, failures reported (run errors,
 * start timeouts, unexpected EOS, stuck state changes, parse errors),
 * restarts made by the restart policy, and the time from the start of the
 * last run that reached playing to its first buffer at a sink.
 */
void
on_demand_controller_get_stats (OnDemandController *self, OnDemandStats *stats)
{
  g_return_if_fail (ON_DEMAND_IS_CONTROLLER (self));
  g_return_if_fail (stats != NULL);

  *stats = self->stats;
}

/**
 * on_demand_controller_shutdown:
 * @self: an #OnDemandController
 * @callback: called on the object's main context when done
 * @user_data: data for @callback
 *
 * Stops the pipeline the way a stop request does (a drain bounded by
 * stop-timeout, so files are finalised, then release), releases a warm
 * preparation too, cancels the lease and any pending restart, then calls
 * @callback.
 * Reports "stopping" and "stopped" (without request id, with the reason
 * "shutting down") when it was
 * running. From then on requests are answered with the current state and
 * change nothing. May be called more than once; each callback is called.
 */
void
on_demand_controller_shutdown (OnDemandController *self,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (ON_DEMAND_IS_CONTROLLER (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, on_demand_controller_shutdown);
  g_ptr_array_add (self->shutdown_tasks, task);
  if (!self->shutting_down) {
    g_message ("%s: shutting down", self->def->name);
    self->shutting_down = TRUE;
    owned_source_clear (&self->lease_source);
    self->lease_deadline_us = 0;
    cancel_restart (self, "shutdown");
    if (self->wish_run) {
      self->wish_run = FALSE;
      set_string (&self->request_id, NULL);
      /* Nobody asked for this stop: "stopped" says why. */
      set_string (&self->stop_reason, "shutting down");
      if (self->state == ON_DEMAND_STATE_STARTING
          || self->state == ON_DEMAND_STATE_PLAYING)
        report (self, ON_DEMAND_STATE_STOPPING, NULL, NULL);
    }
    converge (self);
  }
  flush_reports (self);
}

/**
 * on_demand_controller_shutdown_finish:
 * @self: an #OnDemandController
 * @result: the result passed to the callback
 * @error: return location for a %GATEWAY_ERROR_TIMEOUT error
 *
 * Returns: %TRUE when everything was released; %FALSE when a runner
 *   operation was stuck and had to be abandoned
 */
gboolean
on_demand_controller_shutdown_finish (OnDemandController *self,
    GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------ */
/* GObject */

static void
on_demand_controller_get_property (GObject *object, guint prop_id,
    GValue *value, GParamSpec *pspec)
{
  OnDemandController *self = ON_DEMAND_CONTROLLER (object);

  switch (prop_id) {
    case PROP_STATE_CHANGE_GRACE:
      g_value_set_uint (value, self->grace_ms);
      break;
    case PROP_RESTART_PENDING:
      g_value_set_boolean (value,
          self->phase == ON_DEMAND_PHASE_RESTART_PENDING);
      break;
    case PROP_RESTART_DELAY:
      g_value_set_uint (value, self->restart_delay_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
on_demand_controller_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec)
{
  OnDemandController *self = ON_DEMAND_CONTROLLER (object);

  switch (prop_id) {
    case PROP_STATE_CHANGE_GRACE:
      self->grace_ms = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
on_demand_controller_init (OnDemandController *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->grace_ms = DEFAULT_STATE_CHANGE_GRACE_MS;
  self->params = gateway_params_values_copy (NULL);
  self->state = ON_DEMAND_STATE_STOPPED;
  self->phase = ON_DEMAND_PHASE_IDLE;
  g_queue_init (&self->reports);
  self->shutdown_tasks = g_ptr_array_new_with_free_func (g_object_unref);
}

/* Never blocks: see the top of this file. */
static void
on_demand_controller_dispose (GObject *object)
{
  OnDemandController *self = ON_DEMAND_CONTROLLER (object);
  guint i;

  owned_source_clear (&self->start_source);
  owned_source_clear (&self->stuck_source);
  owned_source_clear (&self->lease_source);
  owned_source_clear (&self->restart_source);
  if (self->runner) {
    for (i = 0; i < G_N_ELEMENTS (self->runner_handlers); i++)
      g_clear_signal_handler (&self->runner_handlers[i], self->runner);
    /* Whatever the runner holds for us (a run, an operation in flight, a
     * warm preparation) goes, without waiting. */
    if ((self->phase != ON_DEMAND_PHASE_IDLE
            && self->phase != ON_DEMAND_PHASE_RESTART_PENDING)
        || self->prepared)
      on_demand_runner_abandon (self->runner);
    self->prepared = FALSE;
    g_clear_object (&self->runner);
  }
  g_queue_clear_full (&self->reports, report_free);

  G_OBJECT_CLASS (on_demand_controller_parent_class)->dispose (object);
}

static void
on_demand_controller_finalize (GObject *object)
{
  OnDemandController *self = ON_DEMAND_CONTROLLER (object);

  g_clear_pointer (&self->params, g_hash_table_unref);
  g_clear_pointer (&self->run_params, g_hash_table_unref);
  g_free (self->request_id);
  g_free (self->stop_reason);
  g_free (self->shutdown_error);
  g_ptr_array_unref (self->shutdown_tasks);
  realtime_backoff_clear (&self->backoff);
  g_clear_pointer (&self->def, pipeline_def_unref);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (on_demand_controller_parent_class)->finalize (object);
}

static void
on_demand_controller_class_init (OnDemandControllerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = on_demand_controller_get_property;
  object_class->set_property = on_demand_controller_set_property;
  object_class->dispose = on_demand_controller_dispose;
  object_class->finalize = on_demand_controller_finalize;

  /**
   * OnDemandController:state-change-grace:
   *
   * Milliseconds a runner operation may take beyond its own bound (the
   * start-timeout for a start, the stop-timeout for a stop's drain,
   * nothing for a release) before it is declared stuck: the runner is
   * then told to abandon it and "failed" ("stuck in state change") is
   * reported.
   */
  props[PROP_STATE_CHANGE_GRACE]
      = g_param_spec_uint ("state-change-grace", "State change grace",
          "Extra milliseconds before a state change is "
          "declared stuck",
          0, G_MAXINT, DEFAULT_STATE_CHANGE_GRACE_MS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);

  /**
   * OnDemandController:restart-pending:
   *
   * %TRUE in phase %ON_DEMAND_PHASE_RESTART_PENDING: the pipeline is
   * failed and the restart policy has a restart scheduled, so "failed" is
   * not final, and replacing the object would cancel the restart.
   */
  props[PROP_RESTART_PENDING] = g_param_spec_boolean ("restart-pending",
      "Restart pending", "A restart after a failure is scheduled", FALSE,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * OnDemandController:restart-delay:
   *
   * Milliseconds between the failure and the scheduled restart, as drawn
   * by the restart policy (jittered, within restart-backoff-min and
   * restart-backoff-max); 0 when no restart is pending.
   */
  props[PROP_RESTART_DELAY] = g_param_spec_uint ("restart-delay",
      "Restart delay", "Delay of the scheduled restart in ms", 0, G_MAXUINT, 0,
      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, props);

  /**
   * OnDemandController::state-changed:
   * @self: the pipeline
   * @state: the reported #OnDemandState
   * @request_id: (nullable): the request being served; %NULL for what
   *   the object does by itself (restarts, lease expiry, shutdown)
   * @error: (nullable): the reason, for "failed", and for "stopped" when
   *   nobody asked ("lease expired"); %NULL otherwise
   *
   * Emitted on every transition and on every answer to a request, from
   * the object's main context, never while the object is half-way through
   * a transition (handlers may call back in or drop their reference).
   */
  signals[SIGNAL_STATE_CHANGED] = g_signal_new ("state-changed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 3, ON_DEMAND_TYPE_STATE, G_TYPE_STRING, G_TYPE_STRING);
}

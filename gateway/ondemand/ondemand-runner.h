/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ondemand-runner.h: what carries out an OnDemandController's decisions on
 * media. The controller (ondemand-controller.h) decides: wish, phase,
 * report, lease, start timeout, restart policy; it makes no GStreamer call.
 * A runner does: it builds and starts a run, stops it (with or without a
 * drain), and tells the controller what happened. Two runners exist: the
 * GstPipeline runner of the daemon (pipeline-runner.h) and the bin-branch
 * runner of realtimesrc (plugins/realtime/gstrealtimebranch.h).
 *
 * Contract, for every runner:
 * - Methods are called on the controller's GMainContext (the thread-default
 *   one when the runner was made) and return at once; blocking work (state
 *   changes) happens elsewhere.
 * - The controller calls start() only when no operation is in flight and
 *   nothing runs; stop() only when a run was started (its "start-done"
 *   seen) or something is prepared (warm) and no operation is in flight.
 *   A runner of a warm definition may prepare itself when it is made
 *   (the daemon's parses and primes at load); that preparation is the
 *   runner's own until a run ends kept warm: a start() arriving while it
 *   is under way waits inside the runner, and dispose lets it go.
 * - Notifications are signals emitted on the controller's context, never
 *   from a streaming thread, in this order for a run: any "run-failed"
 *   posted before the start operation returned, then exactly one
 *   "start-done"; "first-buffer" at most once (possibly before
 *   "start-done"); "run-failed" any number of times; after stop(), exactly
 *   one "stop-done". Notifications carry the @run number given to start()
 *   so that a late one from an earlier run is never taken for news of the
 *   current one.
 * - abandon(): the operation in flight did not return within its bound.
 *   The runner lets go of it and of everything prepared, without
 *   blocking, and emits nothing more for it; the next start() builds anew.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define ON_DEMAND_TYPE_RUNNER (on_demand_runner_get_type ())
G_DECLARE_INTERFACE (OnDemandRunner, on_demand_runner, ON_DEMAND, RUNNER,
    GObject)

struct _OnDemandRunnerInterface
{
  GTypeInterface parent_iface;

  /* Builds (or reuses what is prepared) and starts run @run with @values
   * (validated params, name -> GValue*, transfer none: copy what is
   * kept). Params a request left out get their declared default, or the
   * description's own value. */
  void (*start) (OnDemandRunner *runner, guint run, GHashTable *values);
  /* Ends the run: with @drain, EOS first and wait for it at most
   * @drain_timeout_ms; then release everything (the device too), or,
   * with @keep_warm, stay prepared for a fast next start. */
  void (*stop) (OnDemandRunner *runner, gboolean drain, guint drain_timeout_ms,
      gboolean keep_warm);
  /* Lets go of the operation in flight and of everything prepared. */
  void (*abandon) (OnDemandRunner *runner);
};

void
on_demand_runner_start (OnDemandRunner *runner, guint run, GHashTable *values);
void on_demand_runner_stop (OnDemandRunner *runner, gboolean drain,
    guint drain_timeout_ms, gboolean keep_warm);
void on_demand_runner_abandon (OnDemandRunner *runner);

/* For implementations: emit the notifications of the contract above.
 *   "start-done"   (guint run, const gchar *error): the start operation
 *                  returned; @error (nullable) says why it failed (parse
 *                  error, param not applied, state change failed).
 *   "first-buffer" (guint run, gint64 monotonic_us): the first buffer of
 *                  the run left the runner's output (reached a sink).
 *   "run-failed"   (guint run, const gchar *reason): an error or an EOS
 *                  nobody asked for, while starting or running.
 *   "stop-done"    (gboolean drained, gboolean released,
 *                  const gchar *error): the stop operation returned;
 *                  @drained when the EOS came out in time, @released when
 *                  nothing is kept (not warm), @error (nullable) when a
 *                  state change failed on the way. */
void on_demand_runner_emit_start_done (OnDemandRunner *runner, guint run,
    const gchar *error);
void on_demand_runner_emit_first_buffer (OnDemandRunner *runner, guint run,
    gint64 monotonic_us);
void on_demand_runner_emit_run_failed (OnDemandRunner *runner, guint run,
    const gchar *reason);
void on_demand_runner_emit_stop_done (OnDemandRunner *runner, gboolean drained,
    gboolean released, const gchar *error);

G_END_DECLS

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ondemand-runner.c: the OnDemandRunner interface, its four signals, and
 * the wrappers the controller and the runners call (see
 * ondemand-runner.h for the contract).
 */
#include "ondemand-runner.h"

enum
{
  SIGNAL_START_DONE,
  SIGNAL_FIRST_BUFFER,
  SIGNAL_RUN_FAILED,
  SIGNAL_STOP_DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_INTERFACE (OnDemandRunner, on_demand_runner, G_TYPE_OBJECT);

static void
on_demand_runner_default_init (OnDemandRunnerInterface *iface)
{
  /**
   * OnDemandRunner::start-done:
   * @runner: the runner
   * @run: the run given to start()
   * @error: (nullable): why the start failed; %NULL when it worked
   *
   * The start operation of @run returned.
   */
  signals[SIGNAL_START_DONE] = g_signal_new ("start-done",
      G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);

  /**
   * OnDemandRunner::first-buffer:
   * @runner: the runner
   * @run: the run the buffer belongs to
   * @monotonic_us: when it left the runner's output (g_get_monotonic_time())
   *
   * The first buffer of @run left the runner's output.
   */
  signals[SIGNAL_FIRST_BUFFER] = g_signal_new ("first-buffer",
      G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_INT64);

  /**
   * OnDemandRunner::run-failed:
   * @runner: the runner
   * @run: the run that failed
   * @reason: what happened (an element's error, an EOS nobody asked for)
   */
  signals[SIGNAL_RUN_FAILED] = g_signal_new ("run-failed",
      G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);

  /**
   * OnDemandRunner::stop-done:
   * @runner: the runner
   * @drained: the EOS came out in time
   * @released: nothing is kept (not warm)
   * @error: (nullable): a state change that failed on the way
   *
   * The stop operation returned.
   */
  signals[SIGNAL_STOP_DONE] = g_signal_new ("stop-done",
      G_TYPE_FROM_INTERFACE (iface), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 3, G_TYPE_BOOLEAN, G_TYPE_BOOLEAN, G_TYPE_STRING);
}

/**
 * on_demand_runner_start:
 * @runner: an #OnDemandRunner
 * @run: the number of the run, carried back by its notifications
 * @values: (element-type utf8 GValue): validated params, transfer none
 *
 * Builds (or reuses what is prepared) and starts run @run; returns at
 * once, "start-done" tells how it went.
 */
void
on_demand_runner_start (OnDemandRunner *runner, guint run, GHashTable *values)
{
  g_return_if_fail (ON_DEMAND_IS_RUNNER (runner));

  ON_DEMAND_RUNNER_GET_IFACE (runner)->start (runner, run, values);
}

/**
 * on_demand_runner_stop:
 * @runner: an #OnDemandRunner
 * @drain: send EOS first and wait for it
 * @drain_timeout_ms: the longest wait for the EOS
 * @keep_warm: stay prepared for a fast next start instead of releasing
 *
 * Ends the run (or drops what is prepared); returns at once, "stop-done"
 * tells how it went.
 */
void
on_demand_runner_stop (OnDemandRunner *runner, gboolean drain,
    guint drain_timeout_ms, gboolean keep_warm)
{
  g_return_if_fail (ON_DEMAND_IS_RUNNER (runner));

  ON_DEMAND_RUNNER_GET_IFACE (runner)->stop (runner, drain, drain_timeout_ms,
      keep_warm);
}

/**
 * on_demand_runner_abandon:
 * @runner: an #OnDemandRunner
 *
 * Lets go of the operation in flight and of everything prepared, without
 * blocking; nothing more is emitted for that operation.
 */
void
on_demand_runner_abandon (OnDemandRunner *runner)
{
  g_return_if_fail (ON_DEMAND_IS_RUNNER (runner));

  ON_DEMAND_RUNNER_GET_IFACE (runner)->abandon (runner);
}

/**
 * on_demand_runner_emit_start_done:
 * @runner: an #OnDemandRunner
 * @run: the run whose start operation returned
 * @error: (nullable): why it failed
 *
 * Emits "start-done"; for implementations, on the controller's context.
 */
void
on_demand_runner_emit_start_done (OnDemandRunner *runner, guint run,
    const gchar *error)
{
  g_signal_emit (runner, signals[SIGNAL_START_DONE], 0, run, error);
}

/**
 * on_demand_runner_emit_first_buffer:
 * @runner: an #OnDemandRunner
 * @run: the run the buffer belongs to
 * @monotonic_us: when it left the runner's output
 *
 * Emits "first-buffer"; for implementations, on the controller's context.
 */
void
on_demand_runner_emit_first_buffer (OnDemandRunner *runner, guint run,
    gint64 monotonic_us)
{
  g_signal_emit (runner, signals[SIGNAL_FIRST_BUFFER], 0, run, monotonic_us);
}

/**
 * on_demand_runner_emit_run_failed:
 * @runner: an #OnDemandRunner
 * @run: the run that failed
 * @reason: what happened
 *
 * Emits "run-failed"; for implementations, on the controller's context.
 */
void
on_demand_runner_emit_run_failed (OnDemandRunner *runner, guint run,
    const gchar *reason)
{
  g_signal_emit (runner, signals[SIGNAL_RUN_FAILED], 0, run, reason);
}

/**
 * on_demand_runner_emit_stop_done:
 * @runner: an #OnDemandRunner
 * @drained: the EOS came out in time
 * @released: nothing is kept
 * @error: (nullable): a state change that failed on the way
 *
 * Emits "stop-done"; for implementations, on the controller's context.
 */
void
on_demand_runner_emit_stop_done (OnDemandRunner *runner, gboolean drained,
    gboolean released, const gchar *error)
{
  g_signal_emit (runner, signals[SIGNAL_STOP_DONE], 0, drained, released,
      error);
}

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fake-runner.c: see fake-runner.h.
 */
#include "fake-runner.h"

#include "params.h"

struct _RtFakeRunner
{
  GObject parent;

  GMainContext *context;
  gboolean automatic;
  GSource *auto_source; /* the pending automatic answer */

  guint starts;
  guint stops;
  guint abandons;
  guint run;
  GHashTable *values;
  gboolean stop_drain;
  guint stop_drain_timeout_ms;
  gboolean stop_keep_warm;
  gboolean starting;
  gboolean stopping;
};

static void rt_fake_runner_iface_init (OnDemandRunnerInterface *iface);

G_DEFINE_TYPE_WITH_CODE (RtFakeRunner, rt_fake_runner, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE (ON_DEMAND_TYPE_RUNNER, rt_fake_runner_iface_init));

static gboolean
on_auto (gpointer data)
{
  RtFakeRunner *self = data;

  g_clear_pointer (&self->auto_source, g_source_unref);
  g_object_ref (self);
  if (self->starting) {
    guint run = self->run;

    rt_fake_runner_finish_start (self, NULL);
    /* The handler may have stopped the run meanwhile. */
    if (self->run == run && !self->stopping)
      on_demand_runner_emit_first_buffer (ON_DEMAND_RUNNER (self), run,
          g_get_monotonic_time ());
  } else if (self->stopping) {
    rt_fake_runner_finish_stop (self, self->stop_drain, !self->stop_keep_warm);
  }
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_auto (RtFakeRunner *self)
{
  if (!self->automatic || self->auto_source)
    return;
  self->auto_source = g_idle_source_new ();
  g_source_set_callback (self->auto_source, on_auto, self, NULL);
  g_source_attach (self->auto_source, self->context);
}

static void
fake_start (OnDemandRunner *runner, guint run, GHashTable *values)
{
  RtFakeRunner *self = RT_FAKE_RUNNER (runner);

  g_assert_false (self->starting);
  g_assert_false (self->stopping);
  self->starts++;
  self->run = run;
  g_clear_pointer (&self->values, g_hash_table_unref);
  self->values = gateway_params_values_copy (values);
  self->starting = TRUE;
  schedule_auto (self);
}

static void
fake_stop (OnDemandRunner *runner, gboolean drain, guint drain_timeout_ms,
    gboolean keep_warm)
{
  RtFakeRunner *self = RT_FAKE_RUNNER (runner);

  g_assert_false (self->starting);
  g_assert_false (self->stopping);
  self->stops++;
  self->stop_drain = drain;
  self->stop_drain_timeout_ms = drain_timeout_ms;
  self->stop_keep_warm = keep_warm;
  self->stopping = TRUE;
  schedule_auto (self);
}

static void
fake_abandon (OnDemandRunner *runner)
{
  RtFakeRunner *self = RT_FAKE_RUNNER (runner);

  self->abandons++;
  self->starting = FALSE;
  self->stopping = FALSE;
  if (self->auto_source) {
    g_source_destroy (self->auto_source);
    g_clear_pointer (&self->auto_source, g_source_unref);
  }
}

static void
rt_fake_runner_iface_init (OnDemandRunnerInterface *iface)
{
  iface->start = fake_start;
  iface->stop = fake_stop;
  iface->abandon = fake_abandon;
}

static void
rt_fake_runner_init (RtFakeRunner *self)
{
  self->context = g_main_context_ref_thread_default ();
}

static void
rt_fake_runner_dispose (GObject *object)
{
  RtFakeRunner *self = RT_FAKE_RUNNER (object);

  if (self->auto_source) {
    g_source_destroy (self->auto_source);
    g_clear_pointer (&self->auto_source, g_source_unref);
  }
  G_OBJECT_CLASS (rt_fake_runner_parent_class)->dispose (object);
}

static void
rt_fake_runner_finalize (GObject *object)
{
  RtFakeRunner *self = RT_FAKE_RUNNER (object);

  g_clear_pointer (&self->values, g_hash_table_unref);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (rt_fake_runner_parent_class)->finalize (object);
}

static void
rt_fake_runner_class_init (RtFakeRunnerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rt_fake_runner_dispose;
  object_class->finalize = rt_fake_runner_finalize;
}

/**
 * rt_fake_runner_new:
 *
 * Returns: (transfer full): a runner that waits for the test (not in
 *   auto mode)
 */
RtFakeRunner *
rt_fake_runner_new (void)
{
  return g_object_new (RT_TYPE_FAKE_RUNNER, NULL);
}

/**
 * rt_fake_runner_set_auto:
 * @self: a fake runner
 * @automatic: whether to answer by itself
 *
 * Turns auto mode on or off; turned on while a start or stop is pending,
 * that one is answered too.
 */
void
rt_fake_runner_set_auto (RtFakeRunner *self, gboolean automatic)
{
  self->automatic = automatic;
  if (automatic && (self->starting || self->stopping))
    schedule_auto (self);
}

/** rt_fake_runner_get_start_count: Returns: start() calls so far */
guint
rt_fake_runner_get_start_count (RtFakeRunner *self)
{
  return self->starts;
}

/** rt_fake_runner_get_stop_count: Returns: stop() calls so far */
guint
rt_fake_runner_get_stop_count (RtFakeRunner *self)
{
  return self->stops;
}

/** rt_fake_runner_get_abandon_count: Returns: abandon() calls so far */
guint
rt_fake_runner_get_abandon_count (RtFakeRunner *self)
{
  return self->abandons;
}

/** rt_fake_runner_get_run: Returns: the run number of the last start() */
guint
rt_fake_runner_get_run (RtFakeRunner *self)
{
  return self->run;
}

/**
 * rt_fake_runner_get_values:
 * Returns: (transfer none) (nullable): the values of the last start()
 */
GHashTable *
rt_fake_runner_get_values (RtFakeRunner *self)
{
  return self->values;
}

/**
 * rt_fake_runner_get_value:
 * Returns: (transfer none) (nullable): the value @name of the last start()
 */
const GValue *
rt_fake_runner_get_value (RtFakeRunner *self, const gchar *name)
{
  return self->values ? g_hash_table_lookup (self->values, name) : NULL;
}

/** rt_fake_runner_get_stop_drain: Returns: @drain of the last stop() */
gboolean
rt_fake_runner_get_stop_drain (RtFakeRunner *self)
{
  return self->stop_drain;
}

/**
 * rt_fake_runner_get_stop_drain_timeout:
 * Returns: @drain_timeout_ms of the last stop()
 */
guint
rt_fake_runner_get_stop_drain_timeout (RtFakeRunner *self)
{
  return self->stop_drain_timeout_ms;
}

/** rt_fake_runner_get_stop_keep_warm: Returns: @keep_warm of the last stop() */
gboolean
rt_fake_runner_get_stop_keep_warm (RtFakeRunner *self)
{
  return self->stop_keep_warm;
}

/** rt_fake_runner_is_starting: Returns: whether a start() awaits its end */
gboolean
rt_fake_runner_is_starting (RtFakeRunner *self)
{
  return self->starting;
}

/** rt_fake_runner_is_stopping: Returns: whether a stop() awaits its end */
gboolean
rt_fake_runner_is_stopping (RtFakeRunner *self)
{
  return self->stopping;
}

/**
 * rt_fake_runner_finish_start:
 * @self: a fake runner with a start() pending
 * @error: (nullable): why the start failed, NULL when it worked
 *
 * Emits "start-done" for the last run.
 */
void
rt_fake_runner_finish_start (RtFakeRunner *self, const gchar *error)
{
  g_assert_true (self->starting);
  self->starting = FALSE;
  on_demand_runner_emit_start_done (ON_DEMAND_RUNNER (self), self->run, error);
}

/**
 * rt_fake_runner_first_buffer:
 * @self: a fake runner
 *
 * Emits "first-buffer" for the last run, now.
 */
void
rt_fake_runner_first_buffer (RtFakeRunner *self)
{
  on_demand_runner_emit_first_buffer (ON_DEMAND_RUNNER (self), self->run,
      g_get_monotonic_time ());
}

/**
 * rt_fake_runner_fail:
 * @self: a fake runner
 * @reason: what went wrong
 *
 * Emits "run-failed" for the last run.
 */
void
rt_fake_runner_fail (RtFakeRunner *self, const gchar *reason)
{
  on_demand_runner_emit_run_failed (ON_DEMAND_RUNNER (self), self->run, reason);
}

/**
 * rt_fake_runner_finish_stop:
 * @self: a fake runner with a stop() pending
 * @drained: whether the EOS came out in time
 * @released: whether nothing is kept (not warm)
 *
 * Emits "stop-done" (without error).
 */
void
rt_fake_runner_finish_stop (RtFakeRunner *self, gboolean drained,
    gboolean released)
{
  g_assert_true (self->stopping);
  self->stopping = FALSE;
  on_demand_runner_emit_stop_done (ON_DEMAND_RUNNER (self), drained, released,
      NULL);
}

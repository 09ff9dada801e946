/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-controller.c: the lifecycle policy of OnDemandController, the one
 * the daemon and realtimesrc share, against a fake runner the test drives
 * by hand: reports, idempotent requests, param restarts, stop during
 * start, storms, start timeouts, the restart policy (jittered, bounded,
 * max-restarts), leases, shutdown, stuck operations, late notifications
 * and warm preparations.
 */
#include "test-util.h"

#include "fake-runner.h"
#include "ondemand-controller.h"
#include "state-recorder.h"

#include <string.h>

typedef RtStateEvent Event;

typedef struct
{
  PipelineDef *def;
  RtFakeRunner *runner;
  OnDemandController *ctl;
  GPtrArray *events; /* Event* */
} Fixture;

/* A definition whose timeouts never fire unless a test shortens them. */
static void
fixture_init (Fixture *f)
{
  memset (f, 0, sizeof (*f));
  f->def = pipeline_def_new ("front");
  f->def->start_timeout_ms = 10000;
  f->def->stop_timeout_ms = 100;
  f->events = rt_state_events_new ();
}

static void
fixture_create (Fixture *f)
{
  f->runner = rt_fake_runner_new ();
  f->ctl = on_demand_controller_new (f->def, ON_DEMAND_RUNNER (f->runner));
  rt_state_recorder_attach (f->ctl, f->events, NULL);
}

static void
fixture_clear (Fixture *f)
{
  g_clear_object (&f->ctl);
  g_clear_object (&f->runner);
  g_clear_pointer (&f->def, pipeline_def_unref);
  g_clear_pointer (&f->events, g_ptr_array_unref);
}

static GHashTable *
values_int (const gchar *name, gint64 v)
{
  GHashTable *values = gateway_params_values_copy (NULL);
  GValue *value = g_new0 (GValue, 1);

  g_value_init (value, G_TYPE_INT64);
  g_value_set_int64 (value, v);
  g_hash_table_insert (values, g_strdup (name), value);
  return values;
}

static void
start_speed (Fixture *f, gint64 speed, const gchar *request_id)
{
  g_autoptr (GHashTable) values = values_int ("speed", speed);

  on_demand_controller_start (f->ctl, values, 0, request_id);
}

static void
start (Fixture *f, guint ttl_s, const gchar *request_id)
{
  on_demand_controller_start (f->ctl, NULL, ttl_s, request_id);
}

static void
stop (Fixture *f, const gchar *request_id)
{
  on_demand_controller_stop (f->ctl, request_id);
}

static OnDemandState
state_of (Fixture *f)
{
  return on_demand_controller_get_state (f->ctl);
}

static OnDemandPhase
phase_of (Fixture *f)
{
  return on_demand_controller_get_phase (f->ctl);
}

static Event *
last_event (Fixture *f)
{
  fail_unless (f->events->len > 0);
  return g_ptr_array_index (f->events, f->events->len - 1);
}

static void
check_last (Fixture *f, OnDemandState state, const gchar *request_id,
    const gchar *error)
{
  Event *e = last_event (f);

  fail_unless_equals_string (on_demand_state_to_string (e->state),
      on_demand_state_to_string (state));
  fail_unless_equals_string (e->request_id, request_id);
  fail_unless_equals_string (e->error, error);
}

static guint
count_state (Fixture *f, OnDemandState state)
{
  guint i, n = 0;

  for (i = 0; i < f->events->len; i++)
    if (((Event *)g_ptr_array_index (f->events, i))->state == state)
      n++;
  return n;
}

static gboolean
answered (Fixture *f, const gchar *request_id)
{
  guint i;

  for (i = 0; i < f->events->len; i++)
    if (g_strcmp0 (((Event *)g_ptr_array_index (f->events, i))->request_id,
            request_id)
        == 0)
      return TRUE;
  return FALSE;
}

static gboolean
restart_pending (Fixture *f)
{
  gboolean pending = FALSE;

  g_object_get (f->ctl, "restart-pending", &pending, NULL);
  return pending;
}

static guint
restart_delay (Fixture *f)
{
  guint delay = 0;

  g_object_get (f->ctl, "restart-delay", &delay, NULL);
  return delay;
}

/* Start (without params) and drive the fake runner to playing. */
static void
start_playing (Fixture *f, const gchar *request_id)
{
  start (f, 0, request_id);
  rt_fake_runner_finish_start (f->runner, NULL);
  rt_fake_runner_first_buffer (f->runner);
  fail_unless_equals_int (phase_of (f), ON_DEMAND_PHASE_PLAYING);
}

/* ------------------------------------------------------------------ */
/* Starting and stopping */

GST_START_TEST (test_start_reports_playing_at_first_buffer)
{
  Fixture f;
  OnDemandStats stats;

  fixture_init (&f);
  fixture_create (&f);
  fail_unless_equals_int (state_of (&f), ON_DEMAND_STATE_STOPPED);
  fail_unless_equals_int (phase_of (&f), ON_DEMAND_PHASE_IDLE);

  start_speed (&f, 10, "r1");
  /* Answered before start() returns; the runner is asked for run 1. */
  fail_unless_equals_int (f.events->len, 1);
  check_last (&f, ON_DEMAND_STATE_STARTING, "r1", NULL);
  fail_unless_equals_int (rt_fake_runner_get_start_count (f.runner), 1);
  fail_unless_equals_int (rt_fake_runner_get_run (f.runner), 1);
  fail_unless_equals_int (g_value_get_int64 (
                              rt_fake_runner_get_value (f.runner, "speed")),
      10);
  fail_unless_equals_int (phase_of (&f), ON_DEMAND_PHASE_STARTING);

  /* Started is not playing: that takes a buffer. */
  rt_fake_runner_finish_start (f.runner, NULL);
  fail_unless_equals_int (phase_of (&f), ON_DEMAND_PHASE_WAITING);
  fail_unless_equals_int (f.events->len, 1);
  rt_fake_runner_first_buffer (f.runner);
  fail_unless_equals_int (phase_of (&f), ON_DEMAND_PHASE_PLAYING);
  check_last (&f, ON_DEMAND_STATE_PLAYING, "r1", NULL);
  on_demand_controller_get_stats (f.ctl, &stats);
  fail_unless_equals_int (stats.starts, 1);
  fail_unless_equals_int (stats.failures, 0);
  fail_unless (stats.last_time_to_first_buffer_ms >= 0);

  /* Stop: drained, then released, then "stopped". */
  stop (&f, "r2");
  check_last (&f, ON_DEMAND_STATE_STOPPING, "r2", NULL);
  fail_unless_equals_int (rt_fake_runner_get_stop_count (f.runner), 1);
  fail_unless (rt_fake_runner_get_stop_drain (f.runner));
  fail_unless_equals_int (rt_fake_runner_get_stop_drain_timeout (f.runner),
      f.def->stop_timeout_ms);
  fail_if (rt_fake_runner_get_stop_keep_warm (f.runner));
  fail_unless_equals_int (phase_of (&f), ON_DEMAND_PHASE_STOPPING);
  rt_fake_runner_finish_stop (f.runner, TRUE, TRUE);
  check_last (&f, ON_DEMAND_STATE_STOPPED, "r2", NULL);
  fail_unless_equals_int (f.events->len, 4);
  fail_unless_equals_int (phase_of (&f), ON_DEMAND_PHASE_IDLE);

  /* Stopping what is stopped answers "stopped", nothing more. */
  stop (&f, "r3");
  check_last (&f, ON_DEMAND_STATE_STOPPED, "r3", NULL);
  fail_unless_equals_int (rt_fake_runner_get_stop_count (f.runner), 1);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_first_buffer_before_start_done)
{
  Fixture f;

  fixture_init (&f);
  fixture_create (&f);
  start (&f, 0, "r1");
  /* The runner saw a buffer before its start operation returned:
   * "playing" waits for "start-done", and comes at once with it. */
  rt_fake_runner_first_buffer (f.runner);
  fail_unless_equals_int (f.events->len, 1);
  rt_fake_runner_finish_start (f.runner, NULL);
  check_last (&f, ON_DEMAND_STATE_PLAYING, "r1", NULL);
  fail_unless_equals_int (phase_of (&f), ON_DEMAND_PHASE_PLAYING);
  /* A second first buffer is no news. */
  rt_fake_runner_first_buffer (f.runner);
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_PLAYING), 1);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_start_with_equal_params_answers_again)
{
  Fixture f;
  OnDemandStats stats;

  fixture_init (&f);
  fixture_create (&f);

  start_speed (&f, 10, "r1");
  /* While starting: "starting" again, no second run. */
  start_speed (&f, 10, "r2");
  check_last (&f, ON_DEMAND_STATE_STARTING, "r2", NULL);
  fail_unless_equals_int (rt_fake_runner_get_start_count (f.runner), 1);

  rt_fake_runner_finish_start (f.runner, NULL);
  rt_fake_runner_first_buffer (f.runner);
  /* Served for the latest request. */
  check_last (&f, ON_DEMAND_STATE_PLAYING, "r2", NULL);

  /* While playing: "playing" again, nothing restarted or stopped. */
  start_speed (&f, 10, "r3");
  check_last (&f, ON_DEMAND_STATE_PLAYING, "r3", NULL);
  fail_unless_equals_int (rt_fake_runner_get_start_count (f.runner), 1);
  fail_unless_equals_int (rt_fake_runner_get_stop_count (f.runner), 0);
  on_demand_controller_get_stats (f.ctl, &stats);
  fail_unless_equals_int (stats.starts, 1);
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_STARTING), 2);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_start_with_other_params_restarts)
{
  Fixture f;
  OnDemandStats stats;

  fixture_init (&f);
  fixture_create (&f);

  start_speed (&f, 10, "r1");
  rt_fake_runner_finish_start (f.runner, NULL);
  rt_fake_runner_first_buffer (f.runner);

  start_speed (&f, 30, "r2");
  check_last (&f, ON_DEMAND_STATE_STARTING, "r2", NULL);
  /* The running one is drained and stopped first. */
  fail_unless_equals_int (rt_fake_runner_get_stop_count (f.runner), 1);
  fail_unless (rt_fake_runner_get_stop_drain (f.runner));
  fail_unless_equals_int (rt_fake_runner_get_start_count (f.runner), 1);
  rt_fake_runner_finish_stop (f.runner, TRUE, TRUE);
  fail_unless_equals_int (rt_fake_runner_get_start_count (f.runner), 2);
  fail_unless_equals_int (rt_fake_runner_get_run (f.runner), 2);
  fail_unless_equals_int (g_value_get_int64 (
                              rt_fake_runner_get_value (f.runner, "speed")),
      30);
  rt_fake_runner_finish_start (f.runner, NULL);
  rt_fake_runner_first_buffer (f.runner);
  check_last (&f, ON_DEMAND_STATE_PLAYING, "r2", NULL);

  /* The client sees "starting" then "playing", never "stopped". */
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_STOPPED), 0);
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_STOPPING), 0);
  on_demand_controller_get_stats (f.ctl, &stats);
  fail_unless_equals_int (stats.starts, 2);
  {
    g_autoptr (JsonNode) json = on_demand_controller_dup_params_json (f.ctl);
    g_autofree gchar *text = json_to_string (json, FALSE);
    fail_unless_equals_string (text, "{\"speed\":30}");
  }
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_stop_during_start_waits_then_drains)
{
  Fixture f;
  OnDemandStats stats;

  fixture_init (&f);
  fixture_create (&f);

  start (&f, 0, "r1");
  stop (&f, "r2");
  check_last (&f, ON_DEMAND_STATE_STOPPING, "r2", NULL);
  /* Nothing is asked of the runner while its start is in flight. */
  fail_unless_equals_int (rt_fake_runner_get_stop_count (f.runner), 0);
  rt_fake_runner_first_buffer (f.runner);
  rt_fake_runner_finish_start (f.runner, NULL);
  /* Then the normal stop path, with a drain. */
  fail_unless_equals_int (rt_fake_runner_get_stop_count (f.runner), 1);
  fail_unless (rt_fake_runner_get_stop_drain (f.runner));
  rt_fake_runner_finish_stop (f.runner, TRUE, TRUE);
  check_last (&f, ON_DEMAND_STATE_STOPPED, "r2", NULL);
  fail_unless_equals_int (f.events->len, 3);
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_PLAYING), 0);
  on_demand_controller_get_stats (f.ctl, &stats);
  fail_unless_equals_int (stats.starts, 0);
  fixture_clear (&f);
}

GST_END_TEST;

static void
storm (gboolean warm, guint requests)
{
  Fixture f;
  OnDemandState last;
  gchar id[16];
  guint i, n;

  fixture_init (&f);
  f.def->warm = warm;
  fixture_create (&f);
  rt_fake_runner_set_auto (f.runner, TRUE);

  for (i = 0; i < requests; i++) {
    g_snprintf (id, sizeof (id), "r%u", i);
    if (i % 2 == 0)
      start (&f, 0, id);
    else
      stop (&f, id);
    /* Let some operations finish in the middle of the storm. */
    if (i % 7 == 0)
      rt_test_iterate (0);
  }
  /* Every request answered at once, with its own id. */
  for (i = 0; i < requests; i++) {
    g_snprintf (id, sizeof (id), "r%u", i);
    fail_unless (answered (&f, id), "%s not answered", id);
  }
  last = requests % 2 ? ON_DEMAND_STATE_PLAYING : ON_DEMAND_STATE_STOPPED;
  fail_unless (RT_WAIT_UNTIL (state_of (&f) == last
          && (phase_of (&f) == ON_DEMAND_PHASE_IDLE
              || phase_of (&f) == ON_DEMAND_PHASE_PLAYING),
      5000));
  g_snprintf (id, sizeof (id), "r%u", requests - 1);
  check_last (&f, last, id, NULL);
  /* Settled: nothing more happens. */
  n = f.events->len;
  rt_test_run_for (100);
  fail_unless_equals_int (f.events->len, n);
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_FAILED), 0);
  fixture_clear (&f);
}

GST_START_TEST (test_storm_ends_in_last_wish)
{
  storm (FALSE, 200);
  storm (FALSE, 201);
  storm (TRUE, 200);
  storm (TRUE, 201);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Failures and the restart policy */

GST_START_TEST (test_start_timeout_fails)
{
  Fixture f;
  OnDemandStats stats;

  fixture_init (&f);
  f.def->start_timeout_ms = 50;
  fixture_create (&f);

  start (&f, 0, "r1");
  rt_fake_runner_finish_start (f.runner, NULL);
  fail_unless (RT_WAIT_UNTIL (state_of (&f) == ON_DEMAND_STATE_FAILED, 5000));
  check_last (&f, ON_DEMAND_STATE_FAILED, "r1", "no buffer within 50 ms");
  /* A failed run is released without a drain, and never kept warm. */
  fail_unless_equals_int (rt_fake_runner_get_stop_count (f.runner), 1);
  fail_if (rt_fake_runner_get_stop_drain (f.runner));
  fail_if (rt_fake_runner_get_stop_keep_warm (f.runner));
  rt_fake_runner_finish_stop (f.runner, FALSE, TRUE);
  /* restart=never: stays failed. */
  fail_unless_equals_int (phase_of (&f), ON_DEMAND_PHASE_IDLE);
  fail_if (restart_pending (&f));
  on_demand_controller_get_stats (f.ctl, &stats);
  fail_unless_equals_int (stats.failures, 1);
  fail_unless_equals_int (stats.starts, 0);

  /* A stop clears the failure. */
  stop (&f, "r2");
  check_last (&f, ON_DEMAND_STATE_STOPPED, "r2", NULL);

  /* Whole seconds are said in seconds. */
  g_clear_object (&f.ctl);
  g_clear_object (&f.runner);
  f.def->start_timeout_ms = 1000;
  fixture_create (&f);
  start (&f, 0, "r3");
  fail_unless (RT_WAIT_UNTIL (state_of (&f) == ON_DEMAND_STATE_FAILED, 5000));
  check_last (&f, ON_DEMAND_STATE_FAILED, "r3", "no buffer within 1 s");
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_start_error_fails)
{
  Fixture f;

  fixture_init (&f);
  fixture_create (&f);
  start (&f, 0, "r1");
  /* A start that did not work (a parse error, a param not applied). */
  rt_fake_runner_finish_start (f.runner, "cannot parse the description");
  check_last (&f, ON_DEMAND_STATE_FAILED, "r1", "cannot parse the description");
  fail_unless_equals_int (rt_fake_runner_get_stop_count (f.runner), 1);
  fail_if (rt_fake_runner_get_stop_drain (f.runner));
  rt_fake_runner_finish_stop (f.runner, FALSE, TRUE);

  /* A failure posted before the start returned wins over start-done's. */
  start (&f, 0, "r2");
  rt_fake_runner_fail (f.runner, "src: Resource not found.");
  rt_fake_runner_finish_start (f.runner, "state change to PLAYING failed");
  check_last (&f, ON_DEMAND_STATE_FAILED, "r2", "src: Resource not found.");
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_FAILED), 2);
  fixture_clear (&f);
}

GST_END_TEST;

/* Fails the current run of @f (started, first buffer or not) and lets the
 * runner release it. */
static void
fail_run (Fixture *f, const gchar *reason)
{
  if (rt_fake_runner_is_starting (f->runner))
    rt_fake_runner_finish_start (f->runner, NULL);
  rt_fake_runner_fail (f->runner, reason);
  fail_unless (rt_fake_runner_is_stopping (f->runner));
  fail_if (rt_fake_runner_get_stop_drain (f->runner));
  rt_fake_runner_finish_stop (f->runner, FALSE, TRUE);
}

GST_START_TEST (test_restarts_jittered_bounded_and_limited)
{
  enum
  {
    N = 6,
    MAX_RESTARTS = 4
  };
  Fixture f[N];
  guint delays[N][MAX_RESTARTS];
  guint i, k, distinct;

  for (i = 0; i < N; i++) {
    fixture_init (&f[i]);
    f[i].def->restart = PIPELINE_RESTART_ON_FAILURE;
    f[i].def->max_restarts = MAX_RESTARTS;
    f[i].def->restart_backoff_min_ms = 10;
    f[i].def->restart_backoff_max_ms = 60;
    fixture_create (&f[i]);
    start (&f[i], 0, "r1");
  }
  /* The same failures at the same moment, MAX_RESTARTS times. */
  for (k = 0; k < MAX_RESTARTS; k++) {
    for (i = 0; i < N; i++) {
      fail_run (&f[i], "boom");
      check_last (&f[i], ON_DEMAND_STATE_FAILED, k == 0 ? "r1" : NULL, "boom");
      fail_unless_equals_int (phase_of (&f[i]),
          ON_DEMAND_PHASE_RESTART_PENDING);
      fail_unless (restart_pending (&f[i]));
      delays[i][k] = restart_delay (&f[i]);
      /* Never below the minimum, never above the maximum. */
      fail_unless (delays[i][k] >= 10 && delays[i][k] <= 60, "delay %u",
          delays[i][k]);
    }
    for (i = 0; i < N; i++) {
      fail_unless (RT_WAIT_UNTIL (rt_fake_runner_get_start_count (f[i].runner)
                           == k + 2,
                       2000),
          "restart %u of %u did not come", k + 1, i);
      /* The restart is our own: no request id. */
      check_last (&f[i], ON_DEMAND_STATE_STARTING, NULL, NULL);
      fail_if (restart_pending (&f[i]));
    }
  }
  /* Jittered: the pipelines did not all wait the same from the second
   * restart on (the ceiling then exceeds the minimum). */
  for (k = 1; k < MAX_RESTARTS; k++) {
    for (i = 1, distinct = 0; i < N; i++)
      if (delays[i][k] != delays[0][k])
        distinct++;
    fail_unless (distinct > 0, "restart %u: all %u waited %u ms", k + 1, N,
        delays[0][k]);
  }
  /* The last allowed restart fails too: given up, stays failed. */
  for (i = 0; i < N; i++) {
    OnDemandStats stats;

    fail_run (&f[i], "boom");
    fail_unless_equals_int (phase_of (&f[i]), ON_DEMAND_PHASE_IDLE);
    fail_if (restart_pending (&f[i]));
    fail_unless_equals_int (restart_delay (&f[i]), 0);
    on_demand_controller_get_stats (f[i].ctl, &stats);
    fail_unless_equals_int (stats.failures, MAX_RESTARTS + 1);
    fail_unless_equals_int (stats.restarts, MAX_RESTARTS);
  }
  rt_test_run_for (150);
  for (i = 0; i < N; i++) {
    fail_unless_equals_int (rt_fake_runner_get_start_count (f[i].runner),
        MAX_RESTARTS + 1);
    fail_unless_equals_int (state_of (&f[i]), ON_DEMAND_STATE_FAILED);
    fixture_clear (&f[i]);
  }
}

GST_END_TEST;

GST_START_TEST (test_explicit_start_resets_restart_count)
{
  Fixture f;

  fixture_init (&f);
  f.def->restart = PIPELINE_RESTART_ON_FAILURE;
  f.def->max_restarts = 1;
  f.def->restart_backoff_min_ms = 10;
  f.def->restart_backoff_max_ms = 20;
  fixture_create (&f);

  start (&f, 0, "r1");
  fail_run (&f, "boom");
  fail_unless (
      RT_WAIT_UNTIL (rt_fake_runner_get_start_count (f.runner) == 2, 2000));
  fail_run (&f, "boom");
  /* Given up. */
  fail_if (restart_pending (&f));

  /* A new start is a new chance, with a fresh restart count. */
  start (&f, 0, "r2");
  check_last (&f, ON_DEMAND_STATE_STARTING, "r2", NULL);
  fail_unless_equals_int (rt_fake_runner_get_start_count (f.runner), 3);
  fail_run (&f, "boom");
  check_last (&f, ON_DEMAND_STATE_FAILED, "r2", "boom");
  fail_unless (restart_pending (&f));

  /* A start while a restart is pending starts at once. */
  f.def->restart_backoff_min_ms = 60000;
  start (&f, 0, "r3");
  check_last (&f, ON_DEMAND_STATE_STARTING, "r3", NULL);
  fail_if (restart_pending (&f));
  fail_unless_equals_int (rt_fake_runner_get_start_count (f.runner), 4);
  fail_unless_equals_int (phase_of (&f), ON_DEMAND_PHASE_STARTING);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_never_policy_stays_failed)
{
  Fixture f;
  OnDemandStats stats;
  guint n;

  fixture_init (&f);
  f.def->restart = PIPELINE_RESTART_NEVER;
  f.def->restart_backoff_min_ms = 10;
  fixture_create (&f);

  start_playing (&f, "r1");
  rt_fake_runner_fail (f.runner, "src: gone");
  check_last (&f, ON_DEMAND_STATE_FAILED, "r1", "src: gone");
  /* Failures while the failed run is released are not news. */
  rt_fake_runner_fail (f.runner, "src: gone again");
  rt_fake_runner_finish_stop (f.runner, FALSE, TRUE);
  n = f.events->len;
  rt_test_run_for (100);
  fail_unless_equals_int (f.events->len, n);
  fail_unless_equals_int (rt_fake_runner_get_start_count (f.runner), 1);
  fail_if (restart_pending (&f));
  fail_unless_equals_int (state_of (&f), ON_DEMAND_STATE_FAILED);
  on_demand_controller_get_stats (f.ctl, &stats);
  fail_unless_equals_int (stats.failures, 1);
  fail_unless_equals_int (stats.restarts, 0);
  fixture_clear (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Leases */

GST_START_TEST (test_lease_expiry_stops)
{
  Fixture f;

  fixture_init (&f);
  fixture_create (&f);
  rt_fake_runner_set_auto (f.runner, TRUE);
  start (&f, 1, "r1");
  fail_unless_equals_int (on_demand_controller_get_lease_remaining (f.ctl), 1);
  fail_unless (RT_WAIT_UNTIL (state_of (&f) == ON_DEMAND_STATE_PLAYING, 1000));
  fail_unless (RT_WAIT_UNTIL (state_of (&f) == ON_DEMAND_STATE_STOPPED, 3000));
  check_last (&f, ON_DEMAND_STATE_STOPPED, NULL, "lease expired");
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_STOPPING), 1);
  fail_unless (rt_fake_runner_get_stop_drain (f.runner));
  fail_unless_equals_int (on_demand_controller_get_lease_remaining (f.ctl), 0);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_renew_extends_lease)
{
  Fixture f;
  g_autoptr (GError) error = NULL;
  gint64 t0, renewed;

  fixture_init (&f);
  f.def->max_ttl_s = 3;
  fixture_create (&f);
  rt_fake_runner_set_auto (f.runner, TRUE);

  /* Nothing to renew yet. */
  fail_if (on_demand_controller_renew (f.ctl, 2, &error));
  fail_unless (
      g_error_matches (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST));
  g_clear_error (&error);

  start (&f, 1, "r1");
  t0 = g_get_monotonic_time ();
  fail_unless (RT_WAIT_UNTIL (state_of (&f) == ON_DEMAND_STATE_PLAYING, 1000));
  fail_unless (on_demand_controller_renew (f.ctl, 2, &error));
  renewed = g_get_monotonic_time ();
  fail_unless_equals_int (on_demand_controller_get_lease_remaining (f.ctl), 2);
  /* Past the first lease: still playing. */
  fail_if (RT_WAIT_UNTIL (state_of (&f) != ON_DEMAND_STATE_PLAYING,
      1200 - (g_get_monotonic_time () - t0) / 1000));
  fail_unless (RT_WAIT_UNTIL (state_of (&f) == ON_DEMAND_STATE_STOPPED, 3000));
  fail_unless (g_get_monotonic_time () - renewed >= 2 * G_TIME_SPAN_SECOND);
  check_last (&f, ON_DEMAND_STATE_STOPPED, NULL, "lease expired");

  /* A lease above max-ttl is capped (the router refuses it first). */
  start (&f, 100, "r2");
  fail_unless_equals_int (on_demand_controller_get_lease_remaining (f.ctl), 3);
  stop (&f, "r3");
  fail_unless_equals_int (on_demand_controller_get_lease_remaining (f.ctl), 0);
  fail_unless (RT_WAIT_UNTIL (state_of (&f) == ON_DEMAND_STATE_STOPPED, 1000));
  fail_if (on_demand_controller_renew (f.ctl, 2, &error));
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_default_ttl_when_none_asked)
{
  Fixture f;

  fixture_init (&f);
  f.def->default_ttl_s = 1;
  fixture_create (&f);
  rt_fake_runner_set_auto (f.runner, TRUE);

  start (&f, 0, "r1");
  fail_unless_equals_int (on_demand_controller_get_lease_remaining (f.ctl), 1);
  fail_unless (RT_WAIT_UNTIL (state_of (&f) == ON_DEMAND_STATE_STOPPED
          && count_state (&f, ON_DEMAND_STATE_PLAYING) == 1,
      3000));
  check_last (&f, ON_DEMAND_STATE_STOPPED, NULL, "lease expired");

  /* Without default-ttl, no lease. */
  f.def->default_ttl_s = 0;
  start (&f, 0, "r2");
  fail_unless_equals_int (on_demand_controller_get_lease_remaining (f.ctl), 0);
  fixture_clear (&f);
}

GST_END_TEST;

/* ------------------------------------------------------------------ */
/* Shutdown, stuck operations, late notifications, warm */

static void
on_shut (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError **error = user_data;

  if (!on_demand_controller_shutdown_finish (ON_DEMAND_CONTROLLER (source),
          result, error)
      && !*error)
    fail ("shutdown failed without an error");
  if (!*error)
    *error = g_error_new_literal (GATEWAY_ERROR, 0, "done");
}

/* Whether shutdown completed (with "done" when it succeeded). */
#define SHUT_OK(e) ((e) && g_strcmp0 ((e)->message, "done") == 0)

GST_START_TEST (test_shutdown_drains_and_completes)
{
  Fixture f;
  g_autoptr (GError) shut = NULL;
  guint n;

  fixture_init (&f);
  f.def->warm = TRUE;
  fixture_create (&f);
  start_playing (&f, "r1");

  on_demand_controller_shutdown (f.ctl, on_shut, &shut);
  check_last (&f, ON_DEMAND_STATE_STOPPING, NULL, NULL);
  /* Drained, and released even though the definition is warm. */
  fail_unless (rt_fake_runner_get_stop_drain (f.runner));
  fail_if (rt_fake_runner_get_stop_keep_warm (f.runner));
  rt_test_run_for (20);
  fail_unless (shut == NULL);
  rt_fake_runner_finish_stop (f.runner, TRUE, TRUE);
  fail_unless (RT_WAIT_UNTIL (shut != NULL, 1000));
  fail_unless (SHUT_OK (shut), "%s", shut->message);
  /* Nobody asked for this stop: the report says why. */
  check_last (&f, ON_DEMAND_STATE_STOPPED, NULL, "shutting down");

  /* Requests change nothing now. */
  n = f.events->len;
  start (&f, 0, "r2");
  fail_unless_equals_int (f.events->len, n + 1);
  check_last (&f, ON_DEMAND_STATE_STOPPED, "r2", "shutting down");
  fail_unless_equals_int (rt_fake_runner_get_start_count (f.runner), 1);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_shutdown_when_idle_warm_or_failed)
{
  Fixture f;
  g_autoptr (GError) shut = NULL;
  guint n;

  /* Never started: done at once, nothing reported, nothing asked. */
  fixture_init (&f);
  f.def->warm = TRUE;
  f.def->restart = PIPELINE_RESTART_ON_FAILURE;
  f.def->restart_backoff_min_ms = 60000;
  fixture_create (&f);
  on_demand_controller_shutdown (f.ctl, on_shut, &shut);
  fail_unless (RT_WAIT_UNTIL (shut != NULL, 1000));
  fail_unless (SHUT_OK (shut));
  fail_unless_equals_int (f.events->len, 0);
  fail_unless_equals_int (rt_fake_runner_get_stop_count (f.runner), 0);
  g_clear_object (&f.ctl);
  g_clear_object (&f.runner);
  g_clear_error (&shut);

  /* Stopped but kept warm: the preparation is released, no drain. */
  fixture_create (&f);
  start_playing (&f, "r1");
  stop (&f, "r2");
  fail_unless (rt_fake_runner_get_stop_keep_warm (f.runner));
  rt_fake_runner_finish_stop (f.runner, TRUE, FALSE);
  check_last (&f, ON_DEMAND_STATE_STOPPED, "r2", NULL);
  n = f.events->len;
  on_demand_controller_shutdown (f.ctl, on_shut, &shut);
  fail_unless_equals_int (rt_fake_runner_get_stop_count (f.runner), 2);
  fail_if (rt_fake_runner_get_stop_drain (f.runner));
  fail_if (rt_fake_runner_get_stop_keep_warm (f.runner));
  rt_fake_runner_finish_stop (f.runner, FALSE, TRUE);
  fail_unless (RT_WAIT_UNTIL (shut != NULL, 1000));
  fail_unless (SHUT_OK (shut));
  fail_unless_equals_int (f.events->len, n);
  g_clear_object (&f.ctl);
  g_clear_object (&f.runner);
  g_clear_error (&shut);

  /* Failed, with a restart scheduled: the restart is cancelled. */
  fixture_create (&f);
  start (&f, 0, "r1");
  fail_run (&f, "boom");
  fail_unless (restart_pending (&f));
  n = f.events->len;
  on_demand_controller_shutdown (f.ctl, on_shut, &shut);
  fail_unless (RT_WAIT_UNTIL (shut != NULL, 1000));
  fail_unless (SHUT_OK (shut));
  fail_if (restart_pending (&f));
  fail_unless_equals_int (f.events->len, n);
  fail_unless_equals_int (state_of (&f), ON_DEMAND_STATE_FAILED);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_stuck_operation_is_abandoned)
{
  Fixture f;
  g_autoptr (GError) shut = NULL;

  fixture_init (&f);
  f.def->stop_timeout_ms = 40;
  fixture_create (&f);
  g_object_set (f.ctl, "state-change-grace", 30, NULL);

  start_playing (&f, "r1");
  stop (&f, "r2");
  /* The runner never answers the stop: past stop-timeout plus the
   * grace, it is told to let go, and the failure is reported. */
  fail_unless (RT_WAIT_UNTIL (state_of (&f) == ON_DEMAND_STATE_FAILED, 2000));
  fail_unless_equals_int (rt_fake_runner_get_abandon_count (f.runner), 1);
  check_last (&f, ON_DEMAND_STATE_FAILED, "r2", "stuck in state change");
  fail_unless_equals_int (phase_of (&f), ON_DEMAND_PHASE_IDLE);

  /* A new start starts afresh. */
  start (&f, 0, "r3");
  fail_unless_equals_int (rt_fake_runner_get_start_count (f.runner), 2);
  rt_fake_runner_finish_start (f.runner, NULL);
  rt_fake_runner_first_buffer (f.runner);
  check_last (&f, ON_DEMAND_STATE_PLAYING, "r3", NULL);

  /* Stuck during shutdown: shutdown completes, with an error. */
  on_demand_controller_shutdown (f.ctl, on_shut, &shut);
  fail_unless (RT_WAIT_UNTIL (shut != NULL, 2000));
  fail_if (SHUT_OK (shut));
  fail_unless (strstr (shut->message, "stuck in state change") != NULL, "%s",
      shut->message);
  fail_unless_equals_int (rt_fake_runner_get_abandon_count (f.runner), 2);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_late_notifications_are_ignored)
{
  Fixture f;
  OnDemandRunner *runner;
  OnDemandStats stats;

  fixture_init (&f);
  fixture_create (&f);
  runner = ON_DEMAND_RUNNER (f.runner);

  start_playing (&f, "r1");
  stop (&f, "r2");
  rt_fake_runner_finish_stop (f.runner, TRUE, TRUE);
  start (&f, 0, "r3");
  fail_unless_equals_int (rt_fake_runner_get_run (f.runner), 2);

  /* News of run 1 while run 2 starts. */
  on_demand_runner_emit_first_buffer (runner, 1, g_get_monotonic_time ());
  on_demand_runner_emit_run_failed (runner, 1, "src: old error");
  on_demand_runner_emit_start_done (runner, 1, "old start");
  fail_unless_equals_int (phase_of (&f), ON_DEMAND_PHASE_STARTING);
  check_last (&f, ON_DEMAND_STATE_STARTING, "r3", NULL);

  rt_fake_runner_finish_start (f.runner, NULL);
  on_demand_runner_emit_first_buffer (runner, 1, g_get_monotonic_time ());
  fail_unless_equals_int (phase_of (&f), ON_DEMAND_PHASE_WAITING);
  rt_fake_runner_first_buffer (f.runner);
  check_last (&f, ON_DEMAND_STATE_PLAYING, "r3", NULL);
  on_demand_runner_emit_run_failed (runner, 1, "src: old error");
  fail_unless_equals_int (phase_of (&f), ON_DEMAND_PHASE_PLAYING);
  /* A stop-done nobody asked for. */
  on_demand_runner_emit_stop_done (runner, TRUE, TRUE, NULL);
  fail_unless_equals_int (phase_of (&f), ON_DEMAND_PHASE_PLAYING);
  fail_unless_equals_int (count_state (&f, ON_DEMAND_STATE_FAILED), 0);
  on_demand_controller_get_stats (f.ctl, &stats);
  fail_unless_equals_int (stats.failures, 0);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_warm_kept_unless_failed)
{
  Fixture f;

  fixture_init (&f);
  f.def->warm = TRUE;
  fixture_create (&f);

  start_playing (&f, "r1");
  stop (&f, "r2");
  fail_unless (rt_fake_runner_get_stop_keep_warm (f.runner));
  rt_fake_runner_finish_stop (f.runner, TRUE, FALSE);
  check_last (&f, ON_DEMAND_STATE_STOPPED, "r2", NULL);

  /* The next run reuses the preparation; a failed one is not kept. */
  start_playing (&f, "r3");
  rt_fake_runner_fail (f.runner, "src: gone");
  fail_unless_equals_int (rt_fake_runner_get_stop_count (f.runner), 2);
  fail_if (rt_fake_runner_get_stop_keep_warm (f.runner));
  fail_if (rt_fake_runner_get_stop_drain (f.runner));
  rt_fake_runner_finish_stop (f.runner, FALSE, TRUE);

  /* Not warm: never kept. */
  g_clear_object (&f.ctl);
  g_clear_object (&f.runner);
  f.def->warm = FALSE;
  fixture_create (&f);
  start_playing (&f, "r4");
  stop (&f, "r5");
  fail_if (rt_fake_runner_get_stop_keep_warm (f.runner));
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_dispose_abandons_the_run)
{
  Fixture f;
  RtFakeRunner *runner;

  fixture_init (&f);
  fixture_create (&f);
  runner = g_object_ref (f.runner);

  /* Idle: nothing to let go. */
  g_clear_object (&f.ctl);
  fail_unless_equals_int (rt_fake_runner_get_abandon_count (runner), 0);

  /* Playing: the run is let go, without waiting. */
  f.ctl = on_demand_controller_new (f.def, ON_DEMAND_RUNNER (runner));
  start (&f, 0, "r1");
  rt_fake_runner_finish_start (runner, NULL);
  g_clear_object (&f.ctl);
  fail_unless_equals_int (rt_fake_runner_get_abandon_count (runner), 1);
  /* And nothing listens any more. */
  on_demand_runner_emit_first_buffer (ON_DEMAND_RUNNER (runner), 1, 0);
  g_object_unref (runner);
  fixture_clear (&f);
}

GST_END_TEST;

GST_START_TEST (test_phase_names)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (ON_DEMAND_TYPE_PHASE);

  fail_unless_equals_string (on_demand_phase_to_string (
                                 ON_DEMAND_PHASE_RESTART_PENDING),
      "restart-pending");
  fail_unless_equals_string (on_demand_phase_to_string (ON_DEMAND_PHASE_IDLE),
      "idle");
  fail_unless_equals_string (g_enum_get_value (klass, ON_DEMAND_PHASE_WAITING)
                                 ->value_nick,
      "waiting");
  fail_unless_equals_int (klass->n_values, 6);
}

GST_END_TEST;

static Suite *
controller_suite (void)
{
  Suite *s = suite_create ("controller");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_start_reports_playing_at_first_buffer);
  tcase_add_test (tc, test_first_buffer_before_start_done);
  tcase_add_test (tc, test_start_with_equal_params_answers_again);
  tcase_add_test (tc, test_start_with_other_params_restarts);
  tcase_add_test (tc, test_stop_during_start_waits_then_drains);
  tcase_add_test (tc, test_storm_ends_in_last_wish);
  tcase_add_test (tc, test_start_timeout_fails);
  tcase_add_test (tc, test_start_error_fails);
  tcase_add_test (tc, test_restarts_jittered_bounded_and_limited);
  tcase_add_test (tc, test_explicit_start_resets_restart_count);
  tcase_add_test (tc, test_never_policy_stays_failed);
  tcase_add_test (tc, test_lease_expiry_stops);
  tcase_add_test (tc, test_renew_extends_lease);
  tcase_add_test (tc, test_default_ttl_when_none_asked);
  tcase_add_test (tc, test_shutdown_drains_and_completes);
  tcase_add_test (tc, test_shutdown_when_idle_warm_or_failed);
  tcase_add_test (tc, test_stuck_operation_is_abandoned);
  tcase_add_test (tc, test_late_notifications_are_ignored);
  tcase_add_test (tc, test_warm_kept_unless_failed);
  tcase_add_test (tc, test_dispose_abandons_the_run);
  tcase_add_test (tc, test_phase_names);
  return s;
}

RT_TEST_MAIN (controller)

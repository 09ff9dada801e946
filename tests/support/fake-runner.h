/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fake-runner.h: an OnDemandRunner for tests. It records what the
 * controller asks of it (starts, stops, abandons, with their arguments)
 * and emits a notification only when the test says so, so that a test
 * drives every interleaving by hand. In auto mode it answers by itself
 * instead (start-done and first buffer, or stop-done, from an idle
 * source), for tests that only need a runner that works.
 */
#pragma once

#include "ondemand-runner.h"

G_BEGIN_DECLS

#define RT_TYPE_FAKE_RUNNER (rt_fake_runner_get_type ())
G_DECLARE_FINAL_TYPE (RtFakeRunner, rt_fake_runner, RT, FAKE_RUNNER, GObject)

RtFakeRunner *rt_fake_runner_new (void);

/* Auto mode: every start() is followed by "start-done" (no error) and
 * "first-buffer", every stop() by "stop-done" (drained when asked to
 * drain, released unless kept warm), each from an idle source on the
 * thread-default context of construction. */
void rt_fake_runner_set_auto (RtFakeRunner *self, gboolean automatic);

/* What was asked. */
guint rt_fake_runner_get_start_count (RtFakeRunner *self);
guint rt_fake_runner_get_stop_count (RtFakeRunner *self);
guint rt_fake_runner_get_abandon_count (RtFakeRunner *self);
/* The run number of the last start(), 0 before any. */
guint rt_fake_runner_get_run (RtFakeRunner *self);
/* The values of the last start() (a copy; name -> GValue*), NULL before
 * any; a value by name, NULL when the start did not carry it. */
GHashTable *rt_fake_runner_get_values (RtFakeRunner *self);
const GValue *rt_fake_runner_get_value (RtFakeRunner *self, const gchar *name);
/* The arguments of the last stop(). */
gboolean rt_fake_runner_get_stop_drain (RtFakeRunner *self);
guint rt_fake_runner_get_stop_drain_timeout (RtFakeRunner *self);
gboolean rt_fake_runner_get_stop_keep_warm (RtFakeRunner *self);
/* Whether a start() or a stop() was called and not yet finished (by the
 * calls below, or by auto mode); abandon() clears both. */
gboolean rt_fake_runner_is_starting (RtFakeRunner *self);
gboolean rt_fake_runner_is_stopping (RtFakeRunner *self);

/* Notifications for the last run (the test decides when). Each emits at
 * once, on the calling thread. */
void rt_fake_runner_finish_start (RtFakeRunner *self, const gchar *error);
void rt_fake_runner_first_buffer (RtFakeRunner *self);
void rt_fake_runner_fail (RtFakeRunner *self, const gchar *reason);
void rt_fake_runner_finish_stop (RtFakeRunner *self, gboolean drained,
    gboolean released);

G_END_DECLS

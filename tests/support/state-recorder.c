/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * state-recorder.c: see state-recorder.h.
 */
#include "state-recorder.h"

typedef struct
{
  GPtrArray *events; /* a reference */
  RtStateSampler sampler;
} Recorder;

static void
state_event_free (gpointer data)
{
  RtStateEvent *e = data;

  g_free (e->request_id);
  g_free (e->error);
  g_free (e);
}

GPtrArray *
rt_state_events_new (void)
{
  return g_ptr_array_new_with_free_func (state_event_free);
}

static void
recorder_free (gpointer data, GClosure *closure)
{
  Recorder *r = data;

  g_ptr_array_unref (r->events);
  g_free (r);
}

static void
on_state_changed (OnDemandController *controller, OnDemandState state,
    const gchar *request_id, const gchar *error, gpointer user_data)
{
  Recorder *r = user_data;
  RtStateEvent *e = g_new0 (RtStateEvent, 1);

  e->state = state;
  e->request_id = g_strdup (request_id);
  e->error = g_strdup (error);
  e->sample = r->sampler ? r->sampler () : 0;
  g_ptr_array_add (r->events, e);
}

void
rt_state_recorder_attach (OnDemandController *controller, GPtrArray *events,
    RtStateSampler sampler)
{
  Recorder *r = g_new0 (Recorder, 1);

  r->events = g_ptr_array_ref (events);
  r->sampler = sampler;
  g_signal_connect_data (controller, "state-changed",
      G_CALLBACK (on_state_changed), r, recorder_free, 0);
}

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * state-recorder.h: records every "state-changed" report of an
 * OnDemandController, for the suites that drive one directly (controller,
 * ondemand).
 */
#pragma once

#include "ondemand-controller.h"

G_BEGIN_DECLS

typedef struct
{
  OnDemandState state;
  gchar *request_id; /* nullable */
  gchar *error; /* nullable */
  gint sample; /* what the sampler returned at the emission, else 0 */
} RtStateEvent;

/* Called at each emission, for what must be read at that moment (for
 * example how many fake camera devices are open). */
typedef gint (*RtStateSampler) (void);

/* An empty array for rt_state_recorder_attach (RtStateEvent*, owned). */
GPtrArray *rt_state_events_new (void);

/* Appends one RtStateEvent to @events (a reference is taken) for every
 * "state-changed" of @controller, for as long as the controller lives.
 * @sampler may be NULL. */
void rt_state_recorder_attach (OnDemandController *controller,
    GPtrArray *events, RtStateSampler sampler);

G_END_DECLS

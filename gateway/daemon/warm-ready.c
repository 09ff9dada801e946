/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * warm-ready.c: the wait for warm pipelines before joining (see
 * warm-ready.h).
 */
#include "warm-ready.h"

#include "ondemand-controller.h"
#include "owned-source.h"
#include "pipeline-runner.h"

typedef struct
{
  GatewayWarmReady *wait; /* the owner */
  GObject *runner; /* owned */
  gulong notify_id;
} Watched;

struct _GatewayWarmReady
{
  GArray *watched; /* Watched */
  guint waited;
  guint left;
  GSource *source; /* owned: the timeout, or the idle of an empty wait */
  GatewayWarmReadyFunc func;
  gpointer user_data;
  gboolean done;
};

static void
watched_clear (Watched *w)
{
  if (w->runner) {
    g_clear_signal_handler (&w->notify_id, w->runner);
    g_clear_object (&w->runner);
  }
}

static void
finish (GatewayWarmReady *self, gboolean timed_out)
{
  guint i;

  if (self->done)
    return;
  self->done = TRUE;
  owned_source_clear (&self->source);
  for (i = 0; i < self->watched->len; i++)
    watched_clear (&g_array_index (self->watched, Watched, i));
  self->func (self->waited, timed_out, self->user_data);
}

static void
on_preparing (GObject *runner, GParamSpec *pspec, gpointer user_data)
{
  Watched *w = user_data;
  GatewayWarmReady *self = w->wait;
  gboolean preparing = TRUE;

  g_object_get (runner, "preparing", &preparing, NULL);
  if (preparing)
    return;
  g_clear_signal_handler (&w->notify_id, runner);
  if (self->left > 0 && --self->left == 0)
    finish (self, FALSE);
}

static gboolean
on_timeout (gpointer data)
{
  GatewayWarmReady *self = data;

  g_clear_pointer (&self->source, g_source_unref);
  finish (self, self->left > 0);
  return G_SOURCE_REMOVE;
}

/**
 * gateway_warm_ready_new:
 * @controllers: (element-type OnDemandController): the pipelines
 * @timeout_ms: the bound of the wait
 * @func: called once, when the wait ends
 * @user_data: for @func
 *
 * Returns: (transfer full): the wait, freed with gateway_warm_ready_free()
 */
GatewayWarmReady *
gateway_warm_ready_new (GPtrArray *controllers, guint timeout_ms,
    GatewayWarmReadyFunc func, gpointer user_data)
{
  GatewayWarmReady *self = g_new0 (GatewayWarmReady, 1);
  guint i;

  self->func = func;
  self->user_data = user_data;
  /* Sized up front: the handlers point into the array. */
  self->watched
      = g_array_sized_new (FALSE, TRUE, sizeof (Watched), controllers->len);
  for (i = 0; i < controllers->len; i++) {
    OnDemandRunner *runner
        = on_demand_controller_get_runner (g_ptr_array_index (controllers, i));
    gboolean preparing = FALSE;
    Watched *w;

    if (!ON_DEMAND_IS_PIPELINE_RUNNER (runner))
      continue;
    g_object_get (runner, "preparing", &preparing, NULL);
    if (!preparing)
      continue;
    g_array_set_size (self->watched, self->watched->len + 1);
    w = &g_array_index (self->watched, Watched, self->watched->len - 1);
    w->wait = self;
    w->runner = g_object_ref (G_OBJECT (runner));
    w->notify_id = g_signal_connect (runner, "notify::preparing",
        G_CALLBACK (on_preparing), w);
  }
  self->waited = self->left = self->watched->len;
  /* An empty wait ends from the main loop too: one way for the caller. */
  self->source
      = owned_source_timeout_attach (g_main_context_get_thread_default (),
          self->left ? timeout_ms : 0, on_timeout, self);
  return self;
}

/**
 * gateway_warm_ready_free:
 * @wait: (nullable): a wait
 *
 * Ends @wait without calling its function.
 */
void
gateway_warm_ready_free (GatewayWarmReady *self)
{
  guint i;

  if (!self)
    return;
  owned_source_clear (&self->source);
  for (i = 0; i < self->watched->len; i++)
    watched_clear (&g_array_index (self->watched, Watched, i));
  g_array_unref (self->watched);
  g_free (self);
}

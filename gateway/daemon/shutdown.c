/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * shutdown.c: stop the pipelines, leave, flush, disconnect. The steps are
 * asynchronous; a callback may arrive after the shutdown was freed (the
 * router's shutdown has no cancellable), so the state is reference
 * counted: each pending step holds a reference, and a freed shutdown only
 * lets go of it.
 */
#include "shutdown.h"

/* How long the server has to prove it read everything (the flush). */
#define FLUSH_WAIT_MS 1500
/* Beyond the longest stop-timeout: the NULL state after the EOS. */
#define STOP_MARGIN_MS 5000

struct _GatewayShutdown
{
  GatewayShutdownDone done;
  gpointer user_data;
  gboolean finished; /* done was called, or the shutdown was freed */
  RealtimeClient *client; /* owned */
  RealtimeChannel *channel; /* owned */
  GatewayRouter *router; /* owned */
  guint deadline_id;
  GCancellable *flush_cancellable; /* owned, nullable: flushing */
};

/* Everything in flight, in one place. */
static void
stop_steps (GatewayShutdown *s)
{
  g_clear_handle_id (&s->deadline_id, g_source_remove);
  if (s->flush_cancellable)
    g_cancellable_cancel (s->flush_cancellable);
  g_clear_object (&s->flush_cancellable);
}

static void
shutdown_clear (gpointer data)
{
  GatewayShutdown *s = data;

  g_clear_object (&s->client);
  g_clear_object (&s->channel);
  g_clear_object (&s->router);
}

static GatewayShutdown *
shutdown_ref (GatewayShutdown *s)
{
  return g_rc_box_acquire (s);
}

static void
shutdown_unref (GatewayShutdown *s)
{
  g_rc_box_release_full (s, shutdown_clear);
}

static void
finish (GatewayShutdown *s, gint exit_code)
{
  if (s->finished)
    return;
  s->finished = TRUE;
  stop_steps (s);
  realtime_client_disconnect (s->client);
  s->done (exit_code, s->user_data);
}

static void
on_flushed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  GatewayShutdown *s;

  /* Cancelled: @user_data may be gone. */
  if (!realtime_client_flush_finish (REALTIME_CLIENT (source), result, &error)
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  s = user_data;
  if (error)
    g_message ("leaving without proof that the server read the last "
               "replies: %s",
        error->message);
  finish (s, 0);
}

/* Every pipeline has stopped and said so. The leave goes out after the
 * last replies, and a heartbeat after the leave: its answer proves that
 * the server read them all (one ordered socket). */
static void
on_router_shut (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GatewayShutdown *s = user_data;

  gateway_router_shutdown_finish (GATEWAY_ROUTER (source), result, NULL);
  if (!s->finished) {
    g_message ("every pipeline stopped; leaving the channel");
    realtime_channel_unsubscribe (s->channel);
    s->flush_cancellable = g_cancellable_new ();
    realtime_client_flush_async (s->client, FLUSH_WAIT_MS, s->flush_cancellable,
        on_flushed, s);
  }
  shutdown_unref (s);
}

static gboolean
on_deadline (gpointer data)
{
  GatewayShutdown *s = data;

  s->deadline_id = 0;
  g_warning ("pipelines did not stop in time: exiting anyway");
  finish (s, 1);
  return G_SOURCE_REMOVE;
}

static guint
longest_stop_timeout (GatewayRouter *router)
{
  g_autoptr (GPtrArray) pipelines = gateway_router_get_pipelines (router);
  guint longest = 0, i;

  for (i = 0; i < pipelines->len; i++) {
    PipelineDef *def
        = on_demand_controller_get_def (g_ptr_array_index (pipelines, i));
    longest = MAX (longest, def->stop_timeout_ms);
  }
  return longest;
}

/**
 * gateway_shutdown_start:
 * @client: the daemon's client (a reference is taken)
 * @channel: its channel (a reference is taken)
 * @router: its router (a reference is taken)
 * @done: called once the client is disconnected
 * @user_data: for @done
 *
 * Returns: (transfer full): the shutdown under way
 */
GatewayShutdown *
gateway_shutdown_start (RealtimeClient *client, RealtimeChannel *channel,
    GatewayRouter *router, GatewayShutdownDone done, gpointer user_data)
{
  GatewayShutdown *s = g_rc_box_new0 (GatewayShutdown);

  s->client = g_object_ref (client);
  s->channel = g_object_ref (channel);
  s->router = g_object_ref (router);
  s->done = done;
  s->user_data = user_data;
  g_message ("stopping: every pipeline gets EOS");
  /* Bounded: the longest EOS wait, the NULL after it, and the flush. */
  s->deadline_id = g_timeout_add (longest_stop_timeout (router) + STOP_MARGIN_MS
          + FLUSH_WAIT_MS,
      on_deadline, s);
  gateway_router_shutdown (router, on_router_shut, shutdown_ref (s));
  return s;
}

/**
 * gateway_shutdown_now:
 * @shutdown: a shutdown under way
 *
 * Gives up waiting: disconnects and reports exit code 1.
 */
void
gateway_shutdown_now (GatewayShutdown *s)
{
  if (s->finished)
    return;
  g_warning ("second stop signal: exiting without waiting");
  finish (s, 1);
}

/**
 * gateway_shutdown_free:
 * @shutdown: (nullable): a shutdown
 *
 * Stops every step in flight; the done callback is not called any more.
 */
void
gateway_shutdown_free (GatewayShutdown *s)
{
  if (!s)
    return;
  s->finished = TRUE;
  stop_steps (s);
  shutdown_unref (s);
}

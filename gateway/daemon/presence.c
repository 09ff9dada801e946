/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * presence.c: presence tracking, rate-limited. A join tracks at once (the
 * server forgot us); a state change waits until the last track is at least
 * PRESENCE_MIN_INTERVAL_MS old, and changes meanwhile share that one
 * track. A track due then goes through the channel's outbound budget
 * (the router's queue): while it waits for a token it stays one track,
 * made with the newest states when it leaves.
 */
#include "presence.h"

/* The server closes a channel past 5 presence calls per 30 s. */
#define PRESENCE_MIN_INTERVAL_MS 6500
/* Our lane in the router's outbound queue. */
#define PRESENCE_LANE "presence"

struct _GatewayPresence
{
  RealtimeChannel *channel; /* owned */
  GatewayRouter *router; /* owned */
  gchar *id;
  guint due_id; /* a track is scheduled */
  gint64 last_track_us; /* 0: never tracked */
};

static JsonNode *
presence_meta (GatewayPresence *p)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (GPtrArray) pipelines = gateway_router_get_pipelines (p->router);
  guint i;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, p->id);
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_set_member_name (b, "pipelines");
  json_builder_begin_object (b);
  for (i = 0; i < pipelines->len; i++) {
    OnDemandController *c = g_ptr_array_index (pipelines, i);
    json_builder_set_member_name (b, on_demand_controller_get_name (c));
    json_builder_add_string_value (b,
        on_demand_state_to_string (on_demand_controller_get_state (c)));
  }
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* Our turn in the outbound budget: one track, with the newest states. */
static void
send_track (gpointer data)
{
  GatewayPresence *p = data;
  g_autoptr (JsonNode) meta = NULL;

  /* Not joined: the next join tracks. */
  if (realtime_channel_get_state (p->channel) != REALTIME_CHANNEL_STATE_JOINED)
    return;
  meta = presence_meta (p);
  realtime_channel_track (p->channel, meta);
  p->last_track_us = g_get_monotonic_time ();
}

static gboolean
on_due (gpointer data)
{
  GatewayPresence *p = data;

  p->due_id = 0;
  gateway_answer_queue_push_latest (gateway_router_get_outbound (p->router),
      PRESENCE_LANE, send_track, p);
  return G_SOURCE_REMOVE;
}

static void
schedule (GatewayPresence *p, gboolean fresh_join)
{
  gint64 since_ms;
  guint delay = 0;

  if (p->due_id)
    return;
  since_ms = (g_get_monotonic_time () - p->last_track_us) / 1000;
  if (!fresh_join && p->last_track_us && since_ms < PRESENCE_MIN_INTERVAL_MS)
    delay = PRESENCE_MIN_INTERVAL_MS - since_ms;
  p->due_id = g_timeout_add (delay, on_due, p);
}

/**
 * gateway_presence_new:
 * @channel: the channel to be present on (a reference is taken)
 * @router: whose pipelines are reported (a reference is taken)
 * @id: the gateway's id, the presence key
 *
 * Returns: (transfer full): the presence; nothing is tracked before
 *   gateway_presence_joined()
 */
GatewayPresence *
gateway_presence_new (RealtimeChannel *channel, GatewayRouter *router,
    const gchar *id)
{
  GatewayPresence *p = g_new0 (GatewayPresence, 1);

  p->channel = g_object_ref (channel);
  p->router = g_object_ref (router);
  p->id = g_strdup (id);
  g_object_set (channel, "presence-key", id, NULL);
  return p;
}

/**
 * gateway_presence_free:
 * @presence: (nullable): a presence
 *
 * Stops tracking (what the server has stays until the channel is left).
 */
void
gateway_presence_free (GatewayPresence *p)
{
  if (!p)
    return;
  g_clear_handle_id (&p->due_id, g_source_remove);
  /* A track waiting for the budget must not call us back. */
  if (gateway_router_get_outbound (p->router))
    gateway_answer_queue_cancel (gateway_router_get_outbound (p->router),
        PRESENCE_LANE);
  g_clear_object (&p->channel);
  g_clear_object (&p->router);
  g_free (p->id);
  g_free (p);
}

/**
 * gateway_presence_joined:
 * @presence: a presence
 *
 * Tracks at once (a join starts with an empty presence).
 */
void
gateway_presence_joined (GatewayPresence *p)
{
  schedule (p, TRUE);
}

/**
 * gateway_presence_changed:
 * @presence: a presence
 *
 * Tracks the new pipeline states, no sooner than the rate limit allows;
 * changes meanwhile share one track.
 */
void
gateway_presence_changed (GatewayPresence *p)
{
  schedule (p, FALSE);
}

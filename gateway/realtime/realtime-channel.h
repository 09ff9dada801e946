/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-channel.h: one topic on a RealtimeClient and its join state
 * machine (closed, joining, joined, errored, leaving).
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "realtime-client.h"

G_BEGIN_DECLS

typedef enum
{
  REALTIME_CHANNEL_STATE_CLOSED,
  REALTIME_CHANNEL_STATE_JOINING,
  REALTIME_CHANNEL_STATE_JOINED,
  REALTIME_CHANNEL_STATE_ERRORED,
  REALTIME_CHANNEL_STATE_LEAVING,
} RealtimeChannelState;

#define REALTIME_TYPE_CHANNEL_STATE (realtime_channel_state_get_type ())
GType realtime_channel_state_get_type (void);
const gchar *realtime_channel_state_to_string (RealtimeChannelState state);

#define REALTIME_TYPE_CHANNEL (realtime_channel_get_type ())
G_DECLARE_FINAL_TYPE (RealtimeChannel, realtime_channel, REALTIME, CHANNEL,
    GObject)

/*
 * Properties:
 *   "name"            string, construct-only (without "realtime:")
 *   "topic"           string, read-only ("realtime:<name>")
 *   "private"         boolean (FALSE)
 *   "broadcast-self"  boolean (FALSE): receive own broadcasts
 *   "broadcast-ack"   boolean (FALSE): server acknowledges broadcasts
 *   "presence-key"    string ("")
 *   "state"           RealtimeChannelState, read-only
 *   "joins"           uint, read-only: successful joins so far
 * Configuration changes apply on the next join.
 *
 * Signals:
 *   "state-changed" (RealtimeChannelState state, const gchar *reason)
 *   "broadcast" (detailed by the broadcast event name, so
 *       "broadcast::start" sees only "start"):
 *       (const gchar *event, JsonNode *payload); payload is the broadcast's
 *       inner payload (JSON null when absent)
 *   "broadcast-json" (detailed like "broadcast"): (const gchar *event,
 *       const gchar *json); the same broadcasts, emitted after "broadcast",
 *       with the payload as compact JSON text: as it came, whitespace
 *       between tokens removed (see #RealtimeBroadcast). No tree is built
 *       for a broadcast nobody connected to "broadcast" for: a consumer
 *       that only passes payloads on (listen) pays no JSON tree
 *   "broadcast-refused" (detailed like "broadcast"): (const gchar *event,
 *       const gchar *request_id, const gchar *reason,
 *       const gchar *pipeline); a broadcast that was not delivered because
 *       the codec refused its payload (realtime_codec_error_reason()) or it
 *       was above max-message-size; request_id and pipeline are the
 *       payload's members when they could be read as plain strings, else
 *       NULL
 *   "presence" (const gchar *event, JsonNode *payload): presence_state and
 *       presence_diff
 */

/* Asks for the channel to be joined, now and after every reconnect, until
 * unsubscribe(). Idempotent: a second call while joining or joined sends
 * nothing. */
void realtime_channel_subscribe (RealtimeChannel *channel);
/* Leaves (phx_leave when joined) and stops rejoining. */
void realtime_channel_unsubscribe (RealtimeChannel *channel);

RealtimeChannelState realtime_channel_get_state (RealtimeChannel *channel);
const gchar *realtime_channel_get_name (RealtimeChannel *channel);
const gchar *realtime_channel_get_topic (RealtimeChannel *channel);

/* Sends a broadcast. While the channel is not joined the push waits in a
 * bounded buffer (oldest dropped, with a log line) and goes out in order
 * after the join. With "broadcast-ack" the callback completes on the
 * server's reply (or fails on error reply or join-timeout); without it,
 * it completes when the frame is handed to the socket. @callback may be
 * %NULL. @payload is not taken. */
void realtime_channel_send_broadcast (RealtimeChannel *channel,
    const gchar *event, JsonNode *payload, GCancellable *cancellable,
    GAsyncReadyCallback callback, gpointer user_data);
gboolean realtime_channel_send_broadcast_finish (RealtimeChannel *channel,
    GAsyncResult *result, GError **error);

/* Presence: track (@meta is an object) or untrack. */
void realtime_channel_track (RealtimeChannel *channel, JsonNode *meta);
void realtime_channel_untrack (RealtimeChannel *channel);

G_END_DECLS

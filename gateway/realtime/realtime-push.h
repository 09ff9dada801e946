/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-push.h: one request on a channel and its reply or timeout.
 * Every send attempt gets a fresh ref and its own timeout; a reply or a
 * cancel disarms it, so a late timeout can never fire after success.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _RealtimeClient RealtimeClient;
typedef struct _RealtimePush RealtimePush;

typedef enum
{
  REALTIME_PUSH_OK,
  REALTIME_PUSH_ERROR,
  REALTIME_PUSH_TIMEOUT,
} RealtimePushStatus;

/* @response is the reply's "response" member (JSON null on timeout). */
typedef void (*RealtimePushReplyFunc) (RealtimePush *push,
    RealtimePushStatus status, JsonNode *response, gpointer user_data);

/* @payload: (transfer full). @timeout_ms 0 means no reply is awaited. */
RealtimePush *realtime_push_new (const gchar *event, JsonNode *payload,
    guint timeout_ms, RealtimePushReplyFunc func, gpointer user_data);
void realtime_push_free (RealtimePush *push);

const gchar *realtime_push_get_event (RealtimePush *push);
const gchar *realtime_push_get_ref (RealtimePush *push);
JsonNode *realtime_push_get_payload (RealtimePush *push);
gpointer realtime_push_get_user_data (RealtimePush *push);
gboolean realtime_push_awaits_reply (RealtimePush *push);

/* Sends with a fresh ref and (re)arms the timeout. FALSE when the client
 * has no open socket (nothing armed then). */
gboolean realtime_push_send (RealtimePush *push, RealtimeClient *client,
    const gchar *topic, const gchar *join_ref);
/* Sends a join: its fresh ref is also its join_ref. */
gboolean realtime_push_send_as_join (RealtimePush *push, RealtimeClient *client,
    const gchar *topic);
/* Delivers a reply: disarms the timeout and calls the callback. */
void realtime_push_reply (RealtimePush *push, RealtimePushStatus status,
    JsonNode *response);
/* Disarms the timeout without calling the callback. */
void realtime_push_cancel (RealtimePush *push);

G_END_DECLS

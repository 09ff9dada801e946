/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-private.h: what the client, its channels and their pushes tell
 * each other. Not for applications.
 */
#pragma once

#include "realtime-client.h"
#include "realtime-channel.h"
#include "realtime-push.h"
#include "reconnect-policy.h"

G_BEGIN_DECLS

/* Client, for its channels and pushes. */
GMainContext *_realtime_client_get_context (RealtimeClient *client);
gchar *_realtime_client_next_ref (RealtimeClient *client);
gboolean _realtime_client_is_connected (RealtimeClient *client);
/* Encodes and writes one message; FALSE when there is no open socket. */
gboolean
_realtime_client_send (RealtimeClient *client, const RealtimeMessage *msg);
RealtimeVsn _realtime_client_get_vsn (RealtimeClient *client);
guint _realtime_client_get_join_timeout (RealtimeClient *client);
guint _realtime_client_get_push_buffer_size (RealtimeClient *client);
void _realtime_client_get_backoff (RealtimeClient *client, guint *min_ms,
    guint *max_ms);
/* Transfer none; nullable. Never log it. */
const gchar *_realtime_client_get_access_token (RealtimeClient *client);
/* A channel joined: the reconnect schedule starts over. */
void _realtime_client_channel_joined (RealtimeClient *client);
/* A join on the current connection was refused (@kind): if the server
 * drops the socket next, the reconnect waits as @kind says. */
void _realtime_client_join_refused (RealtimeClient *client,
    RealtimeFailureKind kind);
/* Bumped by every change of the access token: a channel compares it with
 * the one it joined with to know whether a newer token exists. */
guint _realtime_client_get_token_generation (RealtimeClient *client);
/* Emits "token-expired", so that a newer token can be set now. */
void _realtime_client_token_expired (RealtimeClient *client);
void _realtime_client_count_dropped (RealtimeClient *client);

/* Marshallers of the channel's signals, in realtime-marshal.c:
 * VOID:STRING,BOXED ("broadcast", "presence") and VOID:STRING,STRING
 * ("broadcast-json"); no libffi, no copies of arguments declared
 * G_SIGNAL_TYPE_STATIC_SCOPE. */
void _realtime_marshal_VOID__STRING_BOXED (GClosure *closure,
    GValue *return_value, guint n_param_values, const GValue *param_values,
    gpointer invocation_hint, gpointer marshal_data);
void _realtime_marshal_VOID__STRING_BOXEDv (GClosure *closure,
    GValue *return_value, gpointer instance, va_list args,
    gpointer marshal_data, int n_params, GType *param_types);
void _realtime_marshal_VOID__STRING_STRING (GClosure *closure,
    GValue *return_value, guint n_param_values, const GValue *param_values,
    gpointer invocation_hint, gpointer marshal_data);
void _realtime_marshal_VOID__STRING_STRINGv (GClosure *closure,
    GValue *return_value, gpointer instance, va_list args,
    gpointer marshal_data, int n_params, GType *param_types);

/* Channel, for its client. */
RealtimeChannel *
_realtime_channel_new (RealtimeClient *client, const gchar *name);
void _realtime_channel_detach (RealtimeChannel *channel);
void _realtime_channel_handle_message (RealtimeChannel *channel,
    const RealtimeMessage *msg);
/* A broadcast read without a tree: "broadcast" (the tree built when it
 * has a handler), then "broadcast-json". */
void _realtime_channel_handle_broadcast (RealtimeChannel *channel,
    const RealtimeBroadcast *broadcast);
/* A broadcast the client refused: "broadcast-refused". */
void _realtime_channel_handle_refused (RealtimeChannel *channel,
    const RealtimeRefusedBroadcast *refused);
void _realtime_channel_socket_opened (RealtimeChannel *channel);
void
_realtime_channel_socket_closed (RealtimeChannel *channel, const gchar *reason);
void _realtime_channel_token_changed (RealtimeChannel *channel);

G_END_DECLS

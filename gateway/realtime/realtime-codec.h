/* realtime-gateway
 * Copyright (C) 2026 realtime-gateway developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-codec.h: Phoenix / Supabase Realtime frame codec.
 *
 * vsn 1.0.0: text frames, one JSON object
 *   {"join_ref"?, "ref", "topic", "event", "payload"}; "ref" is always
 *   written (null when unset) because the server drops frames without it.
 * vsn 2.0.0: text frames, one JSON array
 *   [join_ref, ref, topic, event, payload], plus binary frames whose first
 *   byte is the kind (the binary serializer of vsn 2.0.0): decoded kinds are 1 (reply),
 *   2 (broadcast) and 4 (user broadcast); kinds 0 and 3 (client to server)
 *   are encoded by realtime_codec_encode_user_broadcast_push() for tests and
 *   tools, and decoded by realtime_codec_decode_binary() so a local server
 *   can read them.
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  REALTIME_VSN_1_0_0,
  REALTIME_VSN_2_0_0,
} RealtimeVsn;

#define REALTIME_TYPE_VSN (realtime_vsn_get_type ())
GType realtime_vsn_get_type (void);

const gchar *realtime_vsn_to_string (RealtimeVsn vsn);
gboolean realtime_vsn_from_string (const gchar *str, RealtimeVsn *vsn);

/* Binary frame kinds of vsn 2.0.0. */
typedef enum
{
  REALTIME_BINARY_PUSH = 0,
  REALTIME_BINARY_REPLY = 1,
  REALTIME_BINARY_BROADCAST = 2,
  REALTIME_BINARY_USER_BROADCAST_PUSH = 3,
  REALTIME_BINARY_USER_BROADCAST = 4,
} RealtimeBinaryKind;

#define REALTIME_CODEC_ERROR (realtime_codec_error_quark ())
GQuark realtime_codec_error_quark (void);

/* The last five codes are refusals: valid JSON that a guard refuses
 * because it could not be delivered intact or at a bounded cost. The frame
 * is never built into a tree; realtime_codec_error_reason() says why in a
 * few stable words and realtime_codec_peek_refused() reads what it can of
 * its envelope, so that a refused request can still be answered. */
typedef enum
{
  REALTIME_CODEC_ERROR_MALFORMED, /* not JSON, wrong shape, bad lengths */
  REALTIME_CODEC_ERROR_UNSUPPORTED, /* unknown binary kind */
  REALTIME_CODEC_ERROR_TOO_LARGE, /* a field over its limit */
  REALTIME_CODEC_ERROR_TOO_DEEP, /* nesting above 64 levels */
  REALTIME_CODEC_ERROR_TOO_MANY_MEMBERS, /* an object or array above 4096 */
  REALTIME_CODEC_ERROR_NUMBER_OUT_OF_RANGE, /* beyond int64 or double */
  REALTIME_CODEC_ERROR_NUL_CHARACTER, /* a \u0000 escape */
  REALTIME_CODEC_ERROR_INVALID_ESCAPE, /* a lone or malformed surrogate */
} RealtimeCodecError;

/* Returns the short, stable reason of a refusal ("nested too deep", "too
 * many members", "number out of range", "NUL character in a string",
 * "invalid escape"), or %NULL when @error is no refusal of the codec. */
const gchar *realtime_codec_error_reason (const GError *error);

/**
 * RealtimeMessage:
 * @join_ref: (nullable): the join reference, or %NULL
 * @ref: (nullable): the message reference, or %NULL
 * @topic: the topic, never %NULL after a successful decode
 * @event: the event, never %NULL after a successful decode
 * @payload: the payload, never %NULL after a successful decode (an empty
 *   object when the frame carried none)
 *
 * One Phoenix message. For decoded binary frames the fields are mapped to the
 * shape a text frame of the same message would have: a reply (kind 1) becomes
 * event "phx_reply" with payload {"status", "response"}; a user broadcast
 * (kind 4) becomes event "broadcast" with payload
 * {"type":"broadcast","event","payload","meta"?}. A raw (non-JSON) user
 * broadcast payload is delivered as a JSON string holding its base64 encoding
 * and "encoding":"base64" is added to the broadcast payload object.
 */
typedef struct
{
  gchar *join_ref;
  gchar *ref;
  gchar *topic;
  gchar *event;
  JsonNode *payload;
} RealtimeMessage;

/* Copies every argument (@payload too: transfer none); a %NULL @payload
 * becomes an empty object. */
RealtimeMessage *realtime_message_new (const gchar *join_ref, const gchar *ref,
    const gchar *topic, const gchar *event, JsonNode *payload);
RealtimeMessage *realtime_message_copy (const RealtimeMessage *msg);
void realtime_message_free (RealtimeMessage *msg);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RealtimeMessage, realtime_message_free)

/* Appends @node (nullable: null) as compact JSON: what json-glib's
 * generator writes, but always valid JSON (control characters escaped,
 * exponents without ".0", non-finite doubles as null). */
void realtime_codec_append_json (GString *out, JsonNode *node);
/* Appends @str as a JSON string literal. */
void realtime_codec_append_json_string (GString *out, const gchar *str);

/* Encodes @msg as a text frame of @vsn. Returns a NUL-terminated string. */
gchar *realtime_codec_encode (RealtimeVsn vsn, const RealtimeMessage *msg);

/* Decodes one text frame of @vsn. @len is the frame length in bytes. */
RealtimeMessage *realtime_codec_decode_text (RealtimeVsn vsn, const gchar *data,
    gsize len, GError **error);

/* Decodes one binary frame (vsn 2.0.0 only): kinds 0 to 4. */
RealtimeMessage *
realtime_codec_decode_binary (const guint8 *data, gsize len, GError **error);

/**
 * RealtimeBroadcast:
 * @join_ref: (nullable): the frame's join_ref (text frames), or %NULL
 * @topic: the topic
 * @event: the broadcast's own event (the wrapper's "event", e.g. "start")
 * @payload_json: the broadcast's payload as compact JSON text,
 *   NUL-terminated: the bytes as they came, minus the whitespace between
 *   tokens (strings and numbers exactly as sent); "null" when the
 *   broadcast has none; a raw (base64) kind 4 payload as a JSON string
 * @payload_json_len: its length in bytes
 *
 * A broadcast read by realtime_codec_read_broadcast(), without a tree;
 * realtime_broadcast_dup_payload() builds the payload's tree when a
 * consumer needs one. Only the codec makes these: the payload text is
 * trusted to be the checked JSON of a frame.
 */
typedef struct
{
  const gchar *join_ref;
  const gchar *topic;
  const gchar *event;
  const gchar *payload_json;
  gsize payload_json_len;
} RealtimeBroadcast;

RealtimeBroadcast *realtime_codec_read_broadcast (RealtimeVsn vsn,
    gboolean binary, gconstpointer data, gsize len);
JsonNode *realtime_broadcast_dup_payload (const RealtimeBroadcast *broadcast);
void realtime_broadcast_free (RealtimeBroadcast *broadcast);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RealtimeBroadcast, realtime_broadcast_free)

/**
 * RealtimeRefusedBroadcast:
 * @join_ref: (nullable): the frame's join_ref, when a plain string
 * @topic: the frame's topic
 * @event: the broadcast's own event (the inner "event", e.g. "start")
 * @request_id: (nullable): the broadcast payload's "request_id", when a
 *   plain string (see realtime_codec_peek_refused())
 * @pipeline: (nullable): the broadcast payload's "pipeline", likewise
 * @reason: why the frame was refused
 *
 * What could be read of a broadcast that was not decoded: refused by a
 * guard of the codec, or too large to be processed.
 */
typedef struct
{
  gchar *join_ref;
  gchar *topic;
  gchar *event;
  gchar *request_id;
  gchar *pipeline;
  gchar *reason;
} RealtimeRefusedBroadcast;

void realtime_refused_broadcast_free (RealtimeRefusedBroadcast *refused);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RealtimeRefusedBroadcast,
    realtime_refused_broadcast_free)

/* Longest string realtime_codec_peek_refused() copies out of a frame. */
#define REALTIME_CODEC_PEEK_STRING_MAX 255

/* Reads the envelope of a broadcast frame (text of @vsn, or binary kind 2
 * or 4 when @binary) without decoding it: one linear pass, no tree, a few
 * short copies. Strings are taken only when plain: no escape, printable
 * ASCII, at most REALTIME_CODEC_PEEK_STRING_MAX bytes. Returns %NULL when
 * the frame is no broadcast whose topic and event can be read so. */
RealtimeRefusedBroadcast *realtime_codec_peek_refused (RealtimeVsn vsn,
    gboolean binary, gconstpointer data, gsize len, const gchar *reason);

/* Encodes a kind 3 user broadcast push (what realtime-js sends for
 * channel.send()). @payload_json is the JSON text of the payload.
 * Fails when a string field is longer than 255 bytes. */
GBytes *realtime_codec_encode_user_broadcast_push (const gchar *join_ref,
    const gchar *ref, const gchar *topic, const gchar *user_event,
    const gchar *payload_json, GError **error);

/* Encodes a kind 4 user broadcast (server to client), JSON encoded payload.
 * @meta_json may be %NULL. */
GBytes *realtime_codec_encode_user_broadcast (const gchar *topic,
    const gchar *user_event, const gchar *meta_json, const gchar *payload_json,
    GError **error);

G_END_DECLS

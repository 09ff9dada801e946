/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-message.h: the WebRTC signalling messages on the channel
 * (docs/CONTRACT.md, "WebRTC viewing"). Inbound payloads are checked for
 * shape and bounds here; outbound payloads are built here.
 *
 * Inbound (viewer -> robot):
 *   watch       {"session_id","pipeline","params"?,"ttl"?,"request_id"?}
 *   answer      {"session_id","sdp","request_id"?}
 *   candidates  {"session_id","candidates":[{"candidate","sdpMLineIndex",
 *                "sdpMid"?,"usernameFragment"?}, ...],"request_id"?}
 *   unwatch     {"session_id","request_id"?}
 *   watch_renew {"session_id","ttl","request_id"?}
 * Outbound (robot -> viewer):
 *   offer         {"session_id","pipeline","type":"offer","sdp"}
 *   candidates    {"session_id","candidates":[{"candidate","sdpMLineIndex"}]}
 *   session_state {"session_id","pipeline","state","request_id","error"}
 *
 * A session id is the viewer's own random id: 8 to 64 of [A-Za-z0-9_-].
 * An SDP answer is at most 16 KiB of printable ASCII lines, parsed with
 * GStreamer's SDP library and never used as anything but an SDP; it must
 * carry ICE credentials and a DTLS fingerprint. A candidates batch holds
 * at most 32 candidates of at most 512 bytes, each "candidate:...".
 */
#pragma once

#include <gst/sdp/sdp.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define WEBRTC_SESSION_ID_MIN 8
#define WEBRTC_SESSION_ID_MAX 64
#define WEBRTC_SDP_MAX 16384
#define WEBRTC_CANDIDATES_PER_BATCH_MAX 32
#define WEBRTC_CANDIDATE_MAX 512
#define WEBRTC_MLINE_MAX 15

typedef enum
{
  WEBRTC_MESSAGE_WATCH,
  WEBRTC_MESSAGE_ANSWER,
  WEBRTC_MESSAGE_CANDIDATES,
  WEBRTC_MESSAGE_UNWATCH,
  WEBRTC_MESSAGE_RENEW,
} WebrtcMessageKind;

/* "watch", "answer", "candidates", "unwatch", "watch_renew" */
const gchar *webrtc_message_kind_to_string (WebrtcMessageKind kind);

typedef struct
{
  guint mline;
  gchar *candidate; /* "candidate:..." */
  gchar *ufrag; /* nullable: usernameFragment */
} WebrtcCandidate;

typedef struct
{
  WebrtcMessageKind kind;
  gchar *session_id;
  gchar *request_id; /* nullable */
  /* watch */
  gchar *pipeline;
  JsonNode *params; /* nullable; an object */
  gint64 ttl_s; /* watch, renew; -1: not given */
  /* answer */
  GstSDPMessage *sdp;
  gchar *ice_ufrag; /* the answer's a=ice-ufrag */
  /* candidates */
  GPtrArray *candidates; /* WebrtcCandidate* */
} WebrtcMessage;

/* A valid session id (see above). */
gboolean webrtc_session_id_is_valid (const gchar *id);

/* Checks @payload as a message of @kind. On error, @session_id_out and
 * @request_id_out (if given) receive the ids when they could be read, so
 * that the answer can still carry them. */
WebrtcMessage *webrtc_message_parse (WebrtcMessageKind kind, JsonNode *payload,
    gchar **session_id_out, gchar **request_id_out, GError **error);
void webrtc_message_free (WebrtcMessage *message);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WebrtcMessage, webrtc_message_free)

/* Outbound payloads (transfer full). @request_id, @error may be NULL. */
JsonNode *webrtc_offer_payload_new (const gchar *session_id,
    const gchar *pipeline, const gchar *sdp);
/* @candidates: JsonNode* objects {"candidate","sdpMLineIndex"} (copied). */
JsonNode *
webrtc_candidates_payload_new (const gchar *session_id, GPtrArray *candidates);
JsonNode *
webrtc_session_payload_new (const gchar *session_id, const gchar *pipeline,
    const gchar *state, const gchar *request_id, const gchar *error);

G_END_DECLS

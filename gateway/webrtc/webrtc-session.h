/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-session.h: one viewer's WebRTC session on a running pipeline.
 *
 * States (reported on the channel as "session_state"):
 *   offering    accepted; the offer is being made or waits for an answer
 *   connecting  the answer is set; ICE and DTLS are under way
 *   watching    connected: media flows to the viewer
 *   ended       unwatched, lease expired, or the pipeline stopped (final)
 *   failed      with a reason: ICE failure, DTLS failure, no connection
 *               within connect-timeout, the answer refused... (final)
 *
 * The session owns its branch (webrtc-branch.h) from attach to the end.
 * webrtcbin calls back on its own threads; every such callback comes
 * back to the main context (the one current at construction) as an idle
 * source holding a reference, and nothing of the session's state is
 * touched elsewhere.
 */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <json-glib/json-glib.h>

#include "webrtc-bitrate.h"
#include "webrtc-settings.h"

G_BEGIN_DECLS

typedef enum
{
  WEBRTC_SESSION_OFFERING,
  WEBRTC_SESSION_CONNECTING,
  WEBRTC_SESSION_WATCHING,
  WEBRTC_SESSION_ENDED,
  WEBRTC_SESSION_FAILED,
} WebrtcSessionState;

/* "offering", "connecting", "watching", "ended", "failed" */
const gchar *webrtc_session_state_to_string (WebrtcSessionState state);

/* Remote candidates one session accepts in all (a flood is refused). */
#define WEBRTC_REMOTE_CANDIDATES_MAX 64

#define WEBRTC_TYPE_SESSION (webrtc_session_get_type ())
G_DECLARE_FINAL_TYPE (WebrtcSession, webrtc_session, WEBRTC, SESSION, GObject)

/* Signals (main context):
 *   "offer" (const gchar *sdp): the offer to send to the viewer
 *   "candidates" (JsonNode *payload): a batch of local candidates, the
 *       whole outbound payload
 *   "state-changed" (WebrtcSessionState state, const gchar *error): a
 *       transition; after ENDED or FAILED nothing more is emitted
 *   "stats-updated" (): new link figures (webrtc_session_get_stats()),
 *       once a second while watching
 */

/* How often the link figures are read (webrtcbin "get-stats"). */
#define WEBRTC_STATS_INTERVAL_MS 1000

/* @settings: borrowed, must outlive the session. */
WebrtcSession *webrtc_session_new (const gchar *id, const gchar *pipeline,
    const WebrtcSettings *settings);

const gchar *webrtc_session_get_id (WebrtcSession *session);
const gchar *webrtc_session_get_pipeline (WebrtcSession *session);
WebrtcSessionState webrtc_session_get_state (WebrtcSession *session);
/* The reason of the last transition or refusal (nullable). */
const gchar *webrtc_session_get_error (WebrtcSession *session);
gboolean webrtc_session_is_final (WebrtcSession *session);
/* The offer once made (nullable). */
const gchar *webrtc_session_get_offer (WebrtcSession *session);
/* Whether attach() succeeded. */
gboolean webrtc_session_is_attached (WebrtcSession *session);

/* Builds the branch (queue, @encoding when not NULL, webrtcbin with the
 * NAT settings), adds it behind @tee (a running pipeline's), and starts
 * the offer and the connect timeout. @encoding (transfer full): the
 * viewer's own encoder with encoder-per-viewer (webrtc-pipeline.h), owned
 * by the branch from here and released with it. FALSE with @error when
 * the branch cannot be built or attached (the caller ends the session). */
gboolean webrtc_session_attach (WebrtcSession *session, GstElement *tee,
    guint queue_ms, GstElement *encoding, GError **error);

/* The viewer's answer (@sdp taken, @ufrag its a=ice-ufrag). Refused with
 * a reason before the offer went out or after another answer (the same
 * answer again is accepted and changes nothing). */
gboolean webrtc_session_set_answer (WebrtcSession *session, GstSDPMessage *sdp,
    const gchar *ufrag, GError **error);

/* Remote candidates (WebrtcCandidate*). Refused with a reason before the
 * answer, for another ICE username fragment, or beyond
 * WEBRTC_REMOTE_CANDIDATES_MAX in all. */
gboolean webrtc_session_add_candidates (WebrtcSession *session,
    GPtrArray *candidates, GError **error);

/* (Re)arms the lease: the session ends ("lease expired") @ttl_s seconds
 * from now. */
void webrtc_session_set_lease (WebrtcSession *session, guint ttl_s);
guint webrtc_session_get_lease_remaining (WebrtcSession *session);

/* Asks the encoder for a key unit for this viewer: its own encoder with
 * encoder-per-viewer, else the shared one. */
void webrtc_session_request_key_unit (WebrtcSession *session);

/* Ends the session (ENDED or FAILED with @reason) and lets go of its
 * branch; nothing when already final. */
void webrtc_session_end (WebrtcSession *session, WebrtcSessionState state,
    const gchar *reason);

typedef struct
{
  guint local_candidates;
  guint remote_candidates;
  guint key_unit_requests; /* force-key-unit events sent towards the encoder */
  /* From webrtcbin's statistics (RTCP receiver reports and the RTP
   * session), updated once a second while watching: */
  gboolean have_report; /* a receiver report came: loss and RTT known */
  gdouble rtt_s; /* round-trip time; negative: unknown */
  gdouble fraction_lost; /* of the last receiver report, 0..1 */
  gint64 packets_lost; /* cumulative, as the viewer reports it */
  guint64 packets_sent;
  guint64 bytes_sent;
  guint bitrate_kbps; /* sent over the last interval */
  guint nack_count; /* NACKs received */
  guint pli_count; /* picture-loss requests received */
  guint fir_count; /* full-intra requests received */
  guint target_kbps; /* the bitrate rule's target for this viewer */
} WebrtcSessionStats;

/* Starts this session's bitrate rule (webrtc-bitrate.h); without it the
 * target stays 0 (no adaptation). */
void webrtc_session_set_bitrate_bounds (WebrtcSession *session,
    guint start_kbps, guint min_kbps, guint max_kbps);

void
webrtc_session_get_stats (WebrtcSession *session, WebrtcSessionStats *stats);

/* With encoder-per-viewer: sets the bitrate of the session's own encoder
 * (nothing when unchanged); FALSE when it has none the rule knows. */
gboolean
webrtc_session_set_encoder_bitrate (WebrtcSession *session, guint kbps);
/* The bitrate last set on its own encoder, kbit/s (0: none). */
guint webrtc_session_get_encoder_bitrate (WebrtcSession *session);

G_END_DECLS

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-signalling.h: WebRTC viewing signalled over the robot's own
 * channel. A listener on the channel's "broadcast" signal (beside the
 * router, which it leaves alone) turns watch / answer / candidates /
 * unwatch / watch_renew broadcasts into viewer sessions
 * (webrtc-session.h) on the pipelines of the router whose definitions
 * have a WebRTC output, and answers every one of them with a
 * "session_state" broadcast.
 *
 * The source runs while at least one session wants it, through the
 * pipeline's OnDemandController like any start and stop: the first
 * session of a pipeline starts it (with that session's params; later
 * sessions must ask for the same), sessions are attached once it plays,
 * and the last one ending stops it (device released). A pipeline that
 * stops or fails ends its sessions with the reason.
 *
 * Every message is checked (webrtc-message.h) and idempotent per session
 * id: a repeated watch, answer or unwatch changes nothing and is answered
 * with the session's state; the ids of recently ended sessions are
 * remembered and answered with how they ended.
 */
#pragma once

#include <glib-object.h>

#include "realtime-channel.h"
#include "router.h"
#include "webrtc-session.h"
#include "webrtc-settings.h"

G_BEGIN_DECLS

#define WEBRTC_TYPE_SIGNALLING (webrtc_signalling_get_type ())
G_DECLARE_FINAL_TYPE (WebrtcSignalling, webrtc_signalling, WEBRTC, SIGNALLING,
    GObject)

/* Signals:
 *   "sessions-changed" (): a session began, changed state or ended. */

/* Messages one session may send per RATE_WINDOW (10 s); more are refused
 * with a reason. */
#define WEBRTC_SESSION_MESSAGES_PER_WINDOW 60
/* Ended sessions whose ids are remembered for idempotent answers. */
#define WEBRTC_ENDED_REMEMBERED 256

/* Runs on the thread-default GMainContext at construction (the
 * channel's). @settings: copied. */
WebrtcSignalling *webrtc_signalling_new (RealtimeChannel *channel,
    GatewayRouter *router, const WebrtcSettings *settings);

/* Sessions alive now (not ended or failed), for @pipeline or all (NULL). */
guint webrtc_signalling_count_sessions (WebrtcSignalling *self,
    const gchar *pipeline);

/* A live session (transfer none), or NULL. */
WebrtcSession *
webrtc_signalling_get_session (WebrtcSignalling *self, const gchar *session_id);

typedef struct
{
  guint messages; /* inbound signalling messages */
  guint rejected; /* of which refused */
  guint sessions; /* sessions accepted */
  guint watching; /* sessions that reached "watching" */
  guint failed; /* sessions that ended failed */
} WebrtcSignallingStats;

void webrtc_signalling_get_stats (WebrtcSignalling *self,
    WebrtcSignallingStats *stats);

/* The name of the router's status request (default "status"): each live
 * session answers it with a "session_state" carrying "stats". */
void
webrtc_signalling_set_status_event (WebrtcSignalling *self, const gchar *event);

/* A session's figures as the "stats" object of a session_state (transfer
 * full). */
JsonNode *webrtc_session_dup_stats_json (WebrtcSession *session);

/* Prometheus text lines (with # HELP and # TYPE) of every live session
 * and of the signalling counters, for /metrics (transfer full). */
gchar *webrtc_signalling_render_metrics (WebrtcSignalling *self);

/* Ends every session ("ended", "the gateway is shutting down"); later
 * watches are refused. */
void webrtc_signalling_shutdown (WebrtcSignalling *self);

G_END_DECLS

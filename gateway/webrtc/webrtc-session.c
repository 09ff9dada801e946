/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-session.c: one viewer's session (see webrtc-session.h).
 *
 * The offer: webrtcbin asks for negotiation once its sink pad is linked
 * and it starts; the offer is created and set as the local description
 * on webrtcbin's thread, and its text comes back to the main context to
 * be sent. Local candidates come back one by one and leave in batches
 * (at most one batch per CANDIDATE_BATCH_MS, or at once when 32 are
 * waiting or gathering is complete), never before the offer.
 */
#include "webrtc-session.h"

#include "gateway-error.h"
#include "owned-source.h"
#include "untrusted.h"
#include "webrtc-branch.h"
#include "webrtc-pipeline.h"
#include "webrtc-message.h"

#include <gst/video/video.h>
#include <gst/webrtc/webrtc.h>
#include <math.h>
#include <string.h>

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "gateway"

#define CANDIDATE_BATCH_MS 100

typedef enum
{
  EVENT_OFFER, /* text: the SDP; NULL with error set: offer failed */
  EVENT_CANDIDATE, /* text, mline */
  EVENT_GATHERING_DONE,
  EVENT_REMOTE_SET, /* error: the answer was refused */
  EVENT_CONNECTION, /* a connection state changed: read them */
  EVENT_BRANCH_ERROR, /* error */
  EVENT_STATS, /* sample */
} EventKind;

/* What one "get-stats" reply says about the one video stream. */
typedef struct
{
  gboolean have_outbound;
  guint64 bytes_sent, packets_sent;
  guint nack_count, pli_count, fir_count;
  gboolean have_report;
  gdouble rtt_s, fraction_lost;
  gint64 packets_lost;
} Sample;

typedef struct
{
  WebrtcSession *session; /* a reference */
  EventKind kind;
  gchar *text;
  gchar *error;
  guint mline;
  Sample sample;
} Event;

struct _WebrtcSession
{
  GObject parent;

  GMainContext *context;
  gchar *id;
  gchar *pipeline;
  const WebrtcSettings *settings;

  WebrtcSessionState state;
  gchar *error;
  gchar *offer;
  gchar *remote_ufrag; /* of the accepted answer */
  gint offer_requested; /* atomic: negotiation starts once */

  WebrtcBranch *branch; /* set between attach and the end */
  gulong probe_id; /* on the branch's key-unit pad, while attached */
  guint encoder_kbps; /* its own encoder's bitrate we set last; 0: none */
  GstElement *webrtcbin; /* a reference, kept to finalize */
  GPtrArray *pending_candidates; /* JsonNode*, not sent yet */
  gboolean gathering_done;

  GSource *flush_source;
  GSource *lease_source;
  GSource *connect_source;
  GSource *stats_source; /* while attached */
  gint stats_in_flight; /* atomic: a get-stats promise is pending */
  gint64 last_sample_us; /* when bytes_sent was last read */
  gint64 lease_end_us;
  WebrtcBitrate bitrate;
  gboolean bitrate_on;
  GstElement *rtxsend; /* nullable: webrtcbin's retransmitter, once found */
  guint rtx_requests; /* its num-rtx-requests at the last sample */

  WebrtcSessionStats stats;
  gint key_unit_requests; /* atomic: counted on a streaming thread */
};

enum
{
  SIGNAL_OFFER,
  SIGNAL_CANDIDATES,
  SIGNAL_STATE_CHANGED,
  SIGNAL_STATS_UPDATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_TYPE (WebrtcSession, webrtc_session, G_TYPE_OBJECT);

/**
 * webrtc_session_state_to_string:
 * @state: a session state
 *
 * Returns: its name on the channel
 */
const gchar *
webrtc_session_state_to_string (WebrtcSessionState state)
{
  switch (state) {
    case WEBRTC_SESSION_OFFERING:
      return "offering";
    case WEBRTC_SESSION_CONNECTING:
      return "connecting";
    case WEBRTC_SESSION_WATCHING:
      return "watching";
    case WEBRTC_SESSION_ENDED:
      return "ended";
    case WEBRTC_SESSION_FAILED:
      return "failed";
  }
  return "unknown";
}

static gboolean
is_final (WebrtcSessionState state)
{
  return state == WEBRTC_SESSION_ENDED || state == WEBRTC_SESSION_FAILED;
}

/* ------------------------------------------------------------------ */
/* From webrtcbin's threads to the main context */

static void
event_free (gpointer data)
{
  Event *ev = data;

  g_object_unref (ev->session);
  g_free (ev->text);
  g_free (ev->error);
  g_free (ev);
}

static gboolean dispatch_event (gpointer data);

/* Any thread. Always through an idle source, never run here: a thread
 * that finds the context free would otherwise run the handler itself. */
static void
post_event (WebrtcSession *self, EventKind kind, const gchar *text,
    const gchar *error, guint mline)
{
  Event *ev = g_new0 (Event, 1);
  GSource *source = g_idle_source_new ();

  ev->session = g_object_ref (self);
  ev->kind = kind;
  ev->text = g_strdup (text);
  ev->error = g_strdup (error);
  ev->mline = mline;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, dispatch_event, ev, event_free);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* A field of a stats structure as a number, whatever its integer or
 * floating type; FALSE when absent. */
static gboolean
get_number (const GstStructure *s, const gchar *field, gdouble *out)
{
  const GValue *v = gst_structure_get_value (s, field);
  GValue d = G_VALUE_INIT;

  if (!v)
    return FALSE;
  g_value_init (&d, G_TYPE_DOUBLE);
  if (!g_value_type_transformable (G_VALUE_TYPE (v), G_TYPE_DOUBLE)
      || !g_value_transform (v, &d)) {
    g_value_unset (&d);
    return FALSE;
  }
  *out = g_value_get_double (&d);
  g_value_unset (&d);
  return TRUE;
}

static gboolean
read_stat (GQuark field, const GValue *value, gpointer user_data)
{
  Sample *sample = user_data;
  const GstStructure *s;
  GstWebRTCStatsType type;
  gdouble x;

  if (!GST_VALUE_HOLDS_STRUCTURE (value))
    return TRUE;
  s = gst_value_get_structure (value);
  if (!gst_structure_get_enum (s, "type", GST_TYPE_WEBRTC_STATS_TYPE,
          (gint *)&type))
    return TRUE;
  if (type == GST_WEBRTC_STATS_OUTBOUND_RTP) {
    sample->have_outbound = TRUE;
    if (get_number (s, "bytes-sent", &x))
      sample->bytes_sent += (guint64)x;
    if (get_number (s, "packets-sent", &x))
      sample->packets_sent += (guint64)x;
    if (get_number (s, "nack-count", &x))
      sample->nack_count += (guint)x;
    if (get_number (s, "pli-count", &x))
      sample->pli_count += (guint)x;
    if (get_number (s, "fir-count", &x))
      sample->fir_count += (guint)x;
  } else if (type == GST_WEBRTC_STATS_REMOTE_INBOUND_RTP) {
    /* RTX has a stream of its own: the media stream's report counts, the
     * worst one when there are several. */
    if (get_number (s, "fraction-lost", &x)) {
      sample->fraction_lost
          = sample->have_report ? MAX (sample->fraction_lost, x) : x;
      sample->have_report = TRUE;
    }
    if (get_number (s, "round-trip-time", &x) && x > 0)
      sample->rtt_s = MAX (sample->rtt_s, x);
    if (get_number (s, "packets-lost", &x))
      sample->packets_lost = MAX (sample->packets_lost, (gint64)x);
  }
  return TRUE;
}

/* webrtcbin's thread: the "get-stats" promise. */
static void
on_stats (GstPromise *promise, gpointer user_data)
{
  WebrtcSession *self = user_data;
  const GstStructure *reply = NULL;
  Event *ev;
  GSource *source;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  ev = g_new0 (Event, 1);
  ev->session = g_object_ref (self);
  ev->kind = EVENT_STATS;
  ev->sample.rtt_s = -1;
  if (reply)
    gst_structure_foreach (reply, read_stat, &ev->sample);
  gst_promise_unref (promise);
  source = g_idle_source_new ();
  g_source_set_callback (source, dispatch_event, ev, event_free);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* webrtcbin's thread: the offer's promise. */
static void
on_offer_created (GstPromise *promise, gpointer user_data)
{
  WebrtcSession *self = user_data;
  GstWebRTCSessionDescription *offer = NULL;
  const GstStructure *reply;
  g_autofree gchar *text = NULL;

  if (gst_promise_wait (promise) != GST_PROMISE_RESULT_REPLIED
      || !(reply = gst_promise_get_reply (promise))
      || !gst_structure_get (reply, "offer",
          GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL)) {
    post_event (self, EVENT_OFFER, NULL, "webrtcbin made no offer", 0);
    gst_promise_unref (promise);
    return;
  }
  gst_promise_unref (promise);
  /* Queued on webrtcbin's own operation queue: an answer set later comes
   * after it. */
  g_signal_emit_by_name (self->webrtcbin, "set-local-description", offer, NULL);
  text = gst_sdp_message_as_text (offer->sdp);
  gst_webrtc_session_description_free (offer);
  post_event (self, EVENT_OFFER, text, NULL, 0);
}

/* webrtcbin's thread. */
static void
on_negotiation_needed (GstElement *webrtcbin, gpointer user_data)
{
  WebrtcSession *self = user_data;
  GstPromise *promise;

  if (!g_atomic_int_compare_and_exchange (&self->offer_requested, FALSE, TRUE))
    return;
  promise = gst_promise_new_with_change_func (on_offer_created,
      g_object_ref (self), g_object_unref);
  g_signal_emit_by_name (webrtcbin, "create-offer", NULL, promise);
}

/* webrtcbin's thread. */
static void
on_ice_candidate (GstElement *webrtcbin, guint mline, const gchar *candidate,
    gpointer user_data)
{
  post_event (user_data, EVENT_CANDIDATE, candidate, NULL, mline);
}

/* Any thread. */
static void
on_gathering_state (GObject *webrtcbin, GParamSpec *pspec, gpointer user_data)
{
  GstWebRTCICEGatheringState state;

  g_object_get (webrtcbin, "ice-gathering-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    post_event (user_data, EVENT_GATHERING_DONE, NULL, NULL, 0);
}

/* Any thread. */
static void
on_connection_state (GObject *webrtcbin, GParamSpec *pspec, gpointer user_data)
{
  post_event (user_data, EVENT_CONNECTION, NULL, NULL, 0);
}

/* Any thread: an error inside the branch. */
static void
on_branch_error (WebrtcBranch *branch, const gchar *message, gpointer user_data)
{
  post_event (user_data, EVENT_BRANCH_ERROR, NULL, message, 0);
}

/* webrtcbin's thread: the answer was applied, or refused. */
static void
on_remote_set (GstPromise *promise, gpointer user_data)
{
  WebrtcSession *self = user_data;
  const GstStructure *reply = NULL;
  GError *error = NULL;

  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  if (reply && gst_structure_has_field (reply, "error")) {
    gst_structure_get (reply, "error", G_TYPE_ERROR, &error, NULL);
    post_event (self, EVENT_REMOTE_SET, NULL,
        error ? error->message : "refused", 0);
    g_clear_error (&error);
  } else {
    post_event (self, EVENT_REMOTE_SET, NULL, NULL, 0);
  }
  gst_promise_unref (promise);
}

/* Any streaming thread: a key-unit request leaving the branch towards the
 * encoder (a viewer's PLI or FIR, or ours). */
static GstPadProbeReturn
count_key_unit_requests (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  WebrtcSession *self = user_data;

  if (gst_video_event_is_force_key_unit (GST_PAD_PROBE_INFO_EVENT (info)))
    g_atomic_int_inc (&self->key_unit_requests);
  return GST_PAD_PROBE_OK;
}

/* ------------------------------------------------------------------ */
/* Main context */

static void
unref_closure_data (gpointer data, GClosure *closure)
{
  g_object_unref (data);
}

static void
connect_ref (gpointer instance, const gchar *signal, GCallback callback,
    WebrtcSession *self)
{
  g_signal_connect_data (instance, signal, callback, g_object_ref (self),
      unref_closure_data, 0);
}

/* Disconnects everything attach() connected (dropping the references the
 * handlers hold) and detaches the branch from the pipeline. */
static void
let_go_of_branch (WebrtcSession *self)
{
  if (!self->branch)
    return;
  g_signal_handlers_disconnect_by_data (self->webrtcbin, self);
  g_signal_handlers_disconnect_by_data (self->branch, self);
  if (self->probe_id)
    gst_pad_remove_probe (webrtc_branch_get_key_unit_pad (self->branch),
        self->probe_id);
  self->probe_id = 0;
  webrtc_branch_detach (self->branch);
  g_clear_object (&self->branch);
}

static void
set_state (WebrtcSession *self, WebrtcSessionState state, const gchar *error)
{
  g_autoptr (WebrtcSession) hold = g_object_ref (self);

  if (is_final (self->state) || (self->state == state && !error))
    return;
  g_message ("webrtc session %s (%s): %s -> %s%s%s", self->id, self->pipeline,
      webrtc_session_state_to_string (self->state),
      webrtc_session_state_to_string (state), error ? ": " : "",
      error ? error : "");
  self->state = state;
  g_free (self->error);
  self->error = g_strdup (error);
  if (is_final (state)) {
    owned_source_clear (&self->flush_source);
    owned_source_clear (&self->lease_source);
    owned_source_clear (&self->connect_source);
    owned_source_clear (&self->stats_source);
    let_go_of_branch (self);
    g_ptr_array_set_size (self->pending_candidates, 0);
  }
  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, state, error);
}

static void
flush_candidates (WebrtcSession *self)
{
  g_autoptr (JsonNode) payload = NULL;

  owned_source_clear (&self->flush_source);
  if (!self->offer || self->pending_candidates->len == 0
      || is_final (self->state))
    return;
  payload = webrtc_candidates_payload_new (self->id, self->pending_candidates);
  self->stats.local_candidates += self->pending_candidates->len;
  g_ptr_array_set_size (self->pending_candidates, 0);
  g_signal_emit (self, signals[SIGNAL_CANDIDATES], 0, payload);
}

static gboolean
on_flush_timeout (gpointer data)
{
  flush_candidates (data);
  return G_SOURCE_REMOVE;
}

static void
queue_candidate (WebrtcSession *self, const gchar *candidate, guint mline)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_init_object (json_node_alloc (), object);

  json_object_set_string_member (object, "candidate", candidate);
  json_object_set_int_member (object, "sdpMLineIndex", mline);
  json_object_unref (object);
  g_ptr_array_add (self->pending_candidates, node);
  if (self->pending_candidates->len >= WEBRTC_CANDIDATES_PER_BATCH_MAX)
    flush_candidates (self);
  else if (!self->flush_source && self->offer)
    self->flush_source = owned_source_timeout_attach (self->context,
        CANDIDATE_BATCH_MS, on_flush_timeout, self);
}

/* Reads both connection states and moves on: connected is "watching";
 * ICE failed is an ICE failure; the whole connection failed with ICE up
 * is a DTLS failure. */
static void
check_connection (WebrtcSession *self)
{
  GstWebRTCICEConnectionState ice;
  GstWebRTCPeerConnectionState pc;

  g_object_get (self->webrtcbin, "ice-connection-state", &ice,
      "connection-state", &pc, NULL);
  if (ice == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED) {
    set_state (self, WEBRTC_SESSION_FAILED, "ICE failure");
  } else if (pc == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
    set_state (self, WEBRTC_SESSION_FAILED, "DTLS failure");
  } else if (pc == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED
      && self->state == WEBRTC_SESSION_CONNECTING) {
    owned_source_clear (&self->connect_source);
    set_state (self, WEBRTC_SESSION_WATCHING, NULL);
    /* Whatever went before DTLS was up never reached the viewer. */
    webrtc_session_request_key_unit (self);
  }
}

static gint
is_rtxsend (gconstpointer data, gconstpointer user_data)
{
  GstElementFactory *factory
      = gst_element_get_factory (g_value_get_object ((const GValue *)data));

  return factory && g_str_equal (GST_OBJECT_NAME (factory), "rtprtxsend") ? 0
                                                                          : 1;
}

/* webrtcbin's retransmitter (transfer full), or NULL before negotiation
 * made it. */
static GstElement *
find_rtxsend (GstElement *webrtcbin)
{
  g_autoptr (GstIterator) it = gst_bin_iterate_recurse (GST_BIN (webrtcbin));
  GValue found = G_VALUE_INIT;
  GstElement *element = NULL;

  if (gst_iterator_find_custom (it, is_rtxsend, &found, NULL)) {
    element = g_value_dup_object (&found);
    g_value_unset (&found);
  }
  return element;
}

/* A get-stats reply: the figures, and a step of the bitrate rule. */
static void
take_sample (WebrtcSession *self, const Sample *sample)
{
  gint64 now = g_get_monotonic_time ();
  WebrtcSessionStats *st = &self->stats;
  gdouble nack_loss = 0;
  gboolean have_loss = FALSE, lost_grew;

  g_atomic_int_set (&self->stats_in_flight, FALSE);
  if (!sample->have_outbound)
    return;
  if (self->last_sample_us && now > self->last_sample_us
      && sample->bytes_sent >= st->bytes_sent)
    st->bitrate_kbps = (guint)((sample->bytes_sent - st->bytes_sent) * 8000.0
        / (now - self->last_sample_us));
  /* Loss before repair: packets the viewer asked again (one
   * retransmission request per lost packet, counted by webrtcbin's
   * rtprtxsend) per packet sent over the interval. Receiver reports count
   * a packet repaired by a retransmission as received, so they alone see
   * little loss when NACK works, and some receivers report seldom. But a
   * jitter buffer also asks for packets that are merely late, so the
   * requests count only as webrtc_bitrate_sample_loss() allows. */
  if (!self->rtxsend && self->webrtcbin)
    self->rtxsend = find_rtxsend (self->webrtcbin);
  if (self->rtxsend) {
    guint requests = 0;

    g_object_get (self->rtxsend, "num-rtx-requests", &requests, NULL);
    if (self->last_sample_us && sample->packets_sent > st->packets_sent
        && requests >= self->rtx_requests) {
      nack_loss = (gdouble)(requests - self->rtx_requests)
          / (sample->packets_sent - st->packets_sent);
      have_loss = TRUE;
    }
    self->rtx_requests = requests;
  }
  /* What the viewer says it lost: its cumulative count grew, or it asked
   * for a key frame (a picture it could not decode). */
  lost_grew = (sample->have_report
                  && MAX (sample->packets_lost, 0) > st->packets_lost)
      || sample->pli_count + sample->fir_count > st->pli_count + st->fir_count;
  self->last_sample_us = now;
  st->bytes_sent = sample->bytes_sent;
  st->packets_sent = sample->packets_sent;
  st->nack_count = sample->nack_count;
  st->pli_count = sample->pli_count;
  st->fir_count = sample->fir_count;
  if (sample->have_report || have_loss) {
    st->have_report = TRUE;
    st->fraction_lost = webrtc_bitrate_sample_loss (&self->bitrate,
        sample->have_report ? sample->fraction_lost : 0, nack_loss, lost_grew);
    g_debug ("webrtc session %s: loss %.3f (report %.3f, packets lost "
             "%" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT ", NACKed %.3f, "
             "PLI %u)",
        self->id, st->fraction_lost,
        sample->have_report ? sample->fraction_lost : NAN, st->packets_lost,
        sample->packets_lost, nack_loss, sample->pli_count);
    /* Negative when retransmissions arrived twice. */
    if (sample->have_report)
      st->packets_lost = MAX (sample->packets_lost, 0);
    if (sample->rtt_s >= 0)
      st->rtt_s = sample->rtt_s;
    if (self->bitrate_on && self->state == WEBRTC_SESSION_WATCHING
        && webrtc_bitrate_report (&self->bitrate, st->fraction_lost,
            st->rtt_s)) {
      g_message ("webrtc session %s (%s): target bitrate %u kbit/s (loss "
                 "%.1f %%, rtt %.0f ms)",
          self->id, self->pipeline, self->bitrate.target_kbps,
          st->fraction_lost * 100, st->rtt_s >= 0 ? st->rtt_s * 1000 : NAN);
    }
  }
  st->target_kbps = self->bitrate_on ? self->bitrate.target_kbps : 0;
  g_signal_emit (self, signals[SIGNAL_STATS_UPDATED], 0);
}

static gboolean
on_stats_tick (gpointer data)
{
  WebrtcSession *self = data;
  GstPromise *promise;

  if (!self->webrtcbin || self->state != WEBRTC_SESSION_WATCHING
      || !g_atomic_int_compare_and_exchange (&self->stats_in_flight, FALSE,
          TRUE))
    return G_SOURCE_CONTINUE;
  promise = gst_promise_new_with_change_func (on_stats, g_object_ref (self),
      g_object_unref);
  g_signal_emit_by_name (self->webrtcbin, "get-stats", NULL, promise);
  return G_SOURCE_CONTINUE;
}

static gboolean
dispatch_event (gpointer data)
{
  Event *ev = data;
  WebrtcSession *self = ev->session;

  if (is_final (self->state))
    return G_SOURCE_REMOVE;
  switch (ev->kind) {
    case EVENT_OFFER:
      if (!ev->text) {
        set_state (self, WEBRTC_SESSION_FAILED, ev->error);
        break;
      }
      self->offer = g_steal_pointer (&ev->text);
      g_signal_emit (self, signals[SIGNAL_OFFER], 0, self->offer);
      if (self->pending_candidates->len > 0 && !self->flush_source)
        self->flush_source = owned_source_timeout_attach (self->context,
            CANDIDATE_BATCH_MS, on_flush_timeout, self);
      break;
    case EVENT_CANDIDATE:
      queue_candidate (self, ev->text, ev->mline);
      break;
    case EVENT_GATHERING_DONE:
      self->gathering_done = TRUE;
      flush_candidates (self);
      break;
    case EVENT_REMOTE_SET:
      if (ev->error) {
        g_autofree gchar *reason
            = g_strdup_printf ("answer refused by webrtcbin: %s", ev->error);
        set_state (self, WEBRTC_SESSION_FAILED, reason);
      } else {
        check_connection (self);
      }
      break;
    case EVENT_CONNECTION:
      check_connection (self);
      break;
    case EVENT_STATS:
      take_sample (self, &ev->sample);
      break;
    case EVENT_BRANCH_ERROR: {
      g_autofree gchar *reason = g_strdup_printf ("%s: %s",
          strstr (ev->error, "dtls") ? "DTLS failure" : "media error",
          ev->error);
      set_state (self, WEBRTC_SESSION_FAILED, reason);
      break;
    }
  }
  return G_SOURCE_REMOVE;
}

static gboolean
on_connect_timeout (gpointer data)
{
  WebrtcSession *self = data;
  GstWebRTCICEConnectionState ice;
  g_autofree gchar *reason = NULL;

  owned_source_clear (&self->connect_source);
  g_object_get (self->webrtcbin, "ice-connection-state", &ice, NULL);
  if (ice == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED
      || ice == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED)
    reason = g_strdup_printf ("DTLS failure: no DTLS connection within %g s",
        self->settings->connect_timeout_ms / 1000.0);
  else
    reason = g_strdup_printf ("ICE failure: no connection within %g s%s",
        self->settings->connect_timeout_ms / 1000.0,
        self->settings->relay_only
            ? " (relay only: check the TURN servers and their credentials)"
            : "");
  set_state (self, WEBRTC_SESSION_FAILED, reason);
  return G_SOURCE_REMOVE;
}

static gboolean
on_lease_expired (gpointer data)
{
  WebrtcSession *self = data;

  owned_source_clear (&self->lease_source);
  set_state (self, WEBRTC_SESSION_ENDED, "lease expired");
  return G_SOURCE_REMOVE;
}

/* No UPnP port mapping: behind a carrier NAT there is no router to ask,
 * the probing only delays gathering, and libgupnp keeps what it found
 * for the life of the process. STUN and TURN do the traversal. */
static void
no_upnp (GstElement *webrtcbin)
{
  g_autoptr (GObject) ice = NULL;
  g_autoptr (GObject) agent = NULL;

  g_object_get (webrtcbin, "ice-agent", &ice, NULL);
  if (!ice || !g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    return;
  g_object_get (ice, "agent", &agent, NULL);
  if (agent
      && g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "upnp"))
    g_object_set (agent, "upnp", FALSE, NULL);
}

/**
 * webrtc_session_attach:
 * @session: a session in "offering", not attached
 * @tee: the tee of the running pipeline
 * @queue_ms: the viewer queue's bound
 * @encoding: (transfer full) (nullable): the viewer's own encoding
 *   (encoder-per-viewer), owned by its branch from here
 * @error: why the branch could not be added
 *
 * Returns: %TRUE when the branch is running and negotiation has begun
 */
gboolean
webrtc_session_attach (WebrtcSession *self, GstElement *tee, guint queue_ms,
    GstElement *encoding, GError **error)
{
  g_autofree gchar *name = NULL;
  WebrtcBranch *branch;

  g_return_val_if_fail (WEBRTC_IS_SESSION (self), FALSE);
  g_return_val_if_fail (self->branch == NULL && !is_final (self->state), FALSE);

  name = g_strdup_printf ("viewer-%s", self->id);
  branch = webrtc_branch_new (name, queue_ms, encoding, error);
  if (!branch)
    return FALSE;
  self->webrtcbin = gst_object_ref (webrtc_branch_get_webrtcbin (branch));
  webrtc_settings_apply (self->settings, self->webrtcbin);
  no_upnp (self->webrtcbin);
  /* Before the branch leaves NULL, or the offer has no media. Each
   * handler holds a reference, dropped when it is disconnected at the
   * end: a callback running on webrtcbin's thread meanwhile is safe. */
  connect_ref (self->webrtcbin, "on-negotiation-needed",
      G_CALLBACK (on_negotiation_needed), self);
  connect_ref (self->webrtcbin, "on-ice-candidate",
      G_CALLBACK (on_ice_candidate), self);
  connect_ref (self->webrtcbin, "notify::ice-gathering-state",
      G_CALLBACK (on_gathering_state), self);
  connect_ref (self->webrtcbin, "notify::ice-connection-state",
      G_CALLBACK (on_connection_state), self);
  connect_ref (self->webrtcbin, "notify::connection-state",
      G_CALLBACK (on_connection_state), self);
  connect_ref (branch, "error", G_CALLBACK (on_branch_error), self);
  self->probe_id = gst_pad_add_probe (webrtc_branch_get_key_unit_pad (branch),
      GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, count_key_unit_requests,
      g_object_ref (self), g_object_unref);

  if (!webrtc_branch_attach (branch, tee)) {
    self->branch = branch;
    let_go_of_branch (self);
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_PIPELINE,
        "cannot add the viewer's branch to the running pipeline");
    return FALSE;
  }
  self->branch = branch;
  self->connect_source = owned_source_timeout_attach (self->context,
      self->settings->connect_timeout_ms, on_connect_timeout, self);
  self->stats_source = owned_source_timeout_attach (self->context,
      WEBRTC_STATS_INTERVAL_MS, on_stats_tick, self);
  /* The first frame this viewer can decode comes at once. */
  webrtc_session_request_key_unit (self);
  return TRUE;
}

/**
 * webrtc_session_set_answer:
 * @session: a session
 * @sdp: (transfer full): the viewer's answer, parsed
 * @ufrag: its ICE username fragment
 * @error: why the answer is refused
 *
 * Returns: %TRUE when the answer was handed to webrtcbin (or is the one
 *   already set)
 */
gboolean
webrtc_session_set_answer (WebrtcSession *self, GstSDPMessage *sdp,
    const gchar *ufrag, GError **error)
{
  GstWebRTCSessionDescription *desc;
  GstPromise *promise;

  g_return_val_if_fail (WEBRTC_IS_SESSION (self), FALSE);

  if (self->remote_ufrag) {
    gst_sdp_message_free (sdp);
    if (strcmp (self->remote_ufrag, ufrag) == 0)
      return TRUE;
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "the session already has another answer");
    return FALSE;
  }
  if (is_final (self->state) || !self->offer) {
    gst_sdp_message_free (sdp);
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "no offer to answer yet");
    return FALSE;
  }
  self->remote_ufrag = g_strdup (ufrag);
  desc = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  promise = gst_promise_new_with_change_func (on_remote_set,
      g_object_ref (self), g_object_unref);
  g_signal_emit_by_name (self->webrtcbin, "set-remote-description", desc,
      promise);
  gst_webrtc_session_description_free (desc);
  set_state (self, WEBRTC_SESSION_CONNECTING, NULL);
  return TRUE;
}

/**
 * webrtc_session_add_candidates:
 * @session: a session
 * @candidates: (element-type WebrtcCandidate): the viewer's candidates
 * @error: why they are refused
 *
 * Returns: %TRUE when every candidate was handed to webrtcbin
 */
gboolean
webrtc_session_add_candidates (WebrtcSession *self, GPtrArray *candidates,
    GError **error)
{
  guint i;

  g_return_val_if_fail (WEBRTC_IS_SESSION (self), FALSE);

  if (is_final (self->state) || !self->remote_ufrag) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "candidates before the answer");
    return FALSE;
  }
  for (i = 0; i < candidates->len; i++) {
    const WebrtcCandidate *c = g_ptr_array_index (candidates, i);

    if (c->ufrag && strcmp (c->ufrag, self->remote_ufrag) != 0) {
      g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
          "candidates[%u] belongs to another ICE session (usernameFragment "
          "is not the answer's)",
          i);
      return FALSE;
    }
    /* Only the one media section of the offer exists. */
    if (c->mline != 0) {
      g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
          "candidates[%u]: sdpMLineIndex %u does not exist (0 only)", i,
          c->mline);
      return FALSE;
    }
  }
  if (self->stats.remote_candidates + candidates->len
      > WEBRTC_REMOTE_CANDIDATES_MAX) {
    g_set_error (error, GATEWAY_ERROR, GATEWAY_ERROR_INVALID_REQUEST,
        "too many candidates for one session (at most %d)",
        WEBRTC_REMOTE_CANDIDATES_MAX);
    return FALSE;
  }
  for (i = 0; i < candidates->len; i++) {
    const WebrtcCandidate *c = g_ptr_array_index (candidates, i);

    g_signal_emit_by_name (self->webrtcbin, "add-ice-candidate", c->mline,
        c->candidate);
  }
  self->stats.remote_candidates += candidates->len;
  return TRUE;
}

/**
 * webrtc_session_set_lease:
 * @session: a session
 * @ttl_s: seconds from now
 */
void
webrtc_session_set_lease (WebrtcSession *self, guint ttl_s)
{
  g_return_if_fail (WEBRTC_IS_SESSION (self));

  if (is_final (self->state))
    return;
  owned_source_clear (&self->lease_source);
  self->lease_end_us
      = g_get_monotonic_time () + (gint64)ttl_s * G_TIME_SPAN_SECOND;
  self->lease_source = owned_source_timeout_attach (self->context, ttl_s * 1000,
      on_lease_expired, self);
}

/**
 * webrtc_session_get_lease_remaining:
 * @session: a session
 *
 * Returns: whole seconds left of the lease (0 once final)
 */
guint
webrtc_session_get_lease_remaining (WebrtcSession *self)
{
  gint64 left;

  if (!self->lease_source)
    return 0;
  left = self->lease_end_us - g_get_monotonic_time ();
  return left > 0
      ? (guint)((left + G_TIME_SPAN_SECOND - 1) / G_TIME_SPAN_SECOND)
      : 0;
}

/**
 * webrtc_session_request_key_unit:
 * @session: an attached session
 */
void
webrtc_session_request_key_unit (WebrtcSession *self)
{
  g_return_if_fail (WEBRTC_IS_SESSION (self));

  if (self->branch)
    webrtc_branch_request_key_unit (self->branch);
}

/**
 * webrtc_session_set_encoder_bitrate:
 * @session: a session
 * @kbps: the bitrate
 *
 * Sets @kbps on the session's own encoder (encoder-per-viewer); nothing
 * when it is what was set last.
 *
 * Returns: %FALSE when the session has no encoder of its own of a kind
 *   the bitrate rule knows
 */
gboolean
webrtc_session_set_encoder_bitrate (WebrtcSession *self, guint kbps)
{
  g_return_val_if_fail (WEBRTC_IS_SESSION (self), FALSE);

  if (!self->branch)
    return FALSE;
  if (kbps == self->encoder_kbps)
    return TRUE;
  if (!webrtc_pipeline_set_encoder_bitrate (GST_BIN (self->branch), kbps))
    return FALSE;
  self->encoder_kbps = kbps;
  return TRUE;
}

/**
 * webrtc_session_get_encoder_bitrate:
 * @session: a session
 *
 * Returns: the bitrate last set on its own encoder (kbit/s), 0 if none
 */
guint
webrtc_session_get_encoder_bitrate (WebrtcSession *self)
{
  g_return_val_if_fail (WEBRTC_IS_SESSION (self), 0);
  return self->encoder_kbps;
}

/**
 * webrtc_session_end:
 * @session: a session
 * @state: %WEBRTC_SESSION_ENDED or %WEBRTC_SESSION_FAILED
 * @reason: (nullable): why
 */
void
webrtc_session_end (WebrtcSession *self, WebrtcSessionState state,
    const gchar *reason)
{
  g_return_if_fail (WEBRTC_IS_SESSION (self));
  g_return_if_fail (is_final (state));

  set_state (self, state, reason);
}

/**
 * webrtc_session_set_bitrate_bounds:
 * @session: a session
 * @start_kbps: the first target
 * @min_kbps: the lowest
 * @max_kbps: the highest
 */
void
webrtc_session_set_bitrate_bounds (WebrtcSession *self, guint start_kbps,
    guint min_kbps, guint max_kbps)
{
  g_return_if_fail (WEBRTC_IS_SESSION (self));

  webrtc_bitrate_init (&self->bitrate, start_kbps, min_kbps, max_kbps);
  self->bitrate_on = TRUE;
  self->stats.target_kbps = self->bitrate.target_kbps;
}

/**
 * webrtc_session_get_stats:
 * @session: a session
 * @stats: (out caller-allocates): its figures
 */
void
webrtc_session_get_stats (WebrtcSession *self, WebrtcSessionStats *stats)
{
  *stats = self->stats;
  stats->key_unit_requests = g_atomic_int_get (&self->key_unit_requests);
}

const gchar *
webrtc_session_get_id (WebrtcSession *self)
{
  return self->id;
}

const gchar *
webrtc_session_get_pipeline (WebrtcSession *self)
{
  return self->pipeline;
}

WebrtcSessionState
webrtc_session_get_state (WebrtcSession *self)
{
  return self->state;
}

const gchar *
webrtc_session_get_error (WebrtcSession *self)
{
  return self->error;
}

gboolean
webrtc_session_is_final (WebrtcSession *self)
{
  return is_final (self->state);
}

const gchar *
webrtc_session_get_offer (WebrtcSession *self)
{
  return self->offer;
}

gboolean
webrtc_session_is_attached (WebrtcSession *self)
{
  return self->branch != NULL;
}

/**
 * webrtc_session_new:
 * @id: the viewer's session id (valid)
 * @pipeline: the pipeline it watches
 * @settings: (transfer none): NAT traversal and timeouts; must outlive
 *   the session
 *
 * Returns: (transfer full): a session in "offering", not attached
 */
WebrtcSession *
webrtc_session_new (const gchar *id, const gchar *pipeline,
    const WebrtcSettings *settings)
{
  WebrtcSession *self = g_object_new (WEBRTC_TYPE_SESSION, NULL);

  self->id = g_strdup (id);
  self->pipeline = g_strdup (pipeline);
  self->settings = settings;
  return self;
}

static void
webrtc_session_init (WebrtcSession *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->state = WEBRTC_SESSION_OFFERING;
  self->stats.rtt_s = -1;
  self->pending_candidates
      = g_ptr_array_new_with_free_func ((GDestroyNotify)json_node_unref);
}

static void
webrtc_session_dispose (GObject *object)
{
  WebrtcSession *self = WEBRTC_SESSION (object);

  owned_source_clear (&self->flush_source);
  owned_source_clear (&self->lease_source);
  owned_source_clear (&self->connect_source);
  owned_source_clear (&self->stats_source);
  let_go_of_branch (self);
  G_OBJECT_CLASS (webrtc_session_parent_class)->dispose (object);
}

static void
webrtc_session_finalize (GObject *object)
{
  WebrtcSession *self = WEBRTC_SESSION (object);

  gst_clear_object (&self->rtxsend);
  gst_clear_object (&self->webrtcbin);
  g_ptr_array_unref (self->pending_candidates);
  g_free (self->id);
  g_free (self->pipeline);
  g_free (self->error);
  g_free (self->offer);
  g_free (self->remote_ufrag);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (webrtc_session_parent_class)->finalize (object);
}

static void
webrtc_session_class_init (WebrtcSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = webrtc_session_dispose;
  object_class->finalize = webrtc_session_finalize;

  signals[SIGNAL_OFFER] = g_signal_new ("offer", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_CANDIDATES] = g_signal_new ("candidates",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, JSON_TYPE_NODE);
  signals[SIGNAL_STATS_UPDATED]
      = g_signal_new ("stats-updated", G_TYPE_FROM_CLASS (klass),
          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_STATE_CHANGED] = g_signal_new ("state-changed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
}

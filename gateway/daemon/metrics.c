/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * metrics.c: a tiny HTTP endpoint for health checks and Prometheus.
 */
#include "metrics.h"
#include "http-listener.h"

#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct _GatewayMetrics
{
  GMainContext *context;
  SoupServer *soup;
  /* Accepts for the server (http-listener.h: libsoup 3.2's own listener
   * leaks every accepted socket, and a scraper every 15 s would grow the
   * daemon for ever). */
  GatewayHttpListener *listener;

  RealtimeClient *client;
  RealtimeChannel *channel;
  GatewayRouter *router;
  WebrtcSignalling *webrtc; /* nullable */
  gulong channel_state_id;
  guint channel_errors;
};

static void
on_channel_state (RealtimeChannel *channel, RealtimeChannelState state,
    const gchar *reason, gpointer user_data)
{
  GatewayMetrics *m = user_data;

  if (state == REALTIME_CHANNEL_STATE_ERRORED)
    m->channel_errors++;
}

static void
metric (GString *out, const gchar *name, const gchar *type, const gchar *help,
    gdouble value)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name,
      help, name, type, name, value);
}

/* Live sources on the main context: source ids are never reused while
 * the context lives, so probe every id handed out so far. Cheap enough
 * for a scrape (a few thousand lookups), and what the soak test watches
 * for leaked timers. */
static guint
count_sources (GMainContext *context)
{
  GSource *marker = g_idle_source_new ();
  guint top = g_source_attach (marker, context);
  guint id, n = 0;

  g_source_destroy (marker);
  g_source_unref (marker);
  for (id = 1; id < top; id++)
    if (g_main_context_find_source_by_id (context, id))
      n++;
  return n;
}

static guint
count_dir_entries (const gchar *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  return n;
}

static gdouble
resident_bytes (void)
{
  g_autofree gchar *statm = NULL;
  guint64 size = 0, resident = 0;

  if (!g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL)
      || sscanf (statm, "%" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &size,
             &resident)
          != 2)
    return -1;
  return (gdouble)resident * sysconf (_SC_PAGESIZE);
}

gchar *
gateway_metrics_render (GatewayMetrics *m)
{
  GString *out = g_string_new (NULL);
  RealtimeClientStats cs;
  GatewayRouterStats rs;
  GatewayAnswerQueueStats os;
  GatewayAnswerQueue *outbound = gateway_router_get_outbound (m->router);
  g_autoptr (GPtrArray) pipelines = gateway_router_get_pipelines (m->router);
  guint joins, i;
  static const OnDemandState states[] = { ON_DEMAND_STATE_STOPPED,
    ON_DEMAND_STATE_STARTING, ON_DEMAND_STATE_PLAYING, ON_DEMAND_STATE_STOPPING,
    ON_DEMAND_STATE_FAILED };

  realtime_client_get_stats (m->client, &cs);
  gateway_router_get_stats (m->router, &rs);
  gateway_answer_queue_get_stats (outbound, &os);
  g_object_get (m->channel, "joins", &joins, NULL);

  metric (out, "realtime_connected", "gauge", "1 when the WebSocket is open",
      realtime_client_get_state (m->client) == REALTIME_CLIENT_STATE_CONNECTED);
  metric (out, "realtime_channel_joined", "gauge",
      "1 when the channel is joined",
      realtime_channel_get_state (m->channel) == REALTIME_CHANNEL_STATE_JOINED);
  metric (out, "realtime_connects_total", "counter",
      "WebSocket handshakes that succeeded", cs.connects);
  metric (out, "realtime_reconnects_total", "counter",
      "Reconnects scheduled after a loss", cs.reconnects);
  metric (out, "realtime_joins_total", "counter",
      "Joins acknowledged by the server", joins);
  metric (out, "realtime_channel_errors_total", "counter",
      "Join failures and channel losses", m->channel_errors);
  metric (out, "realtime_heartbeats_sent_total", "counter", "Heartbeats sent",
      cs.heartbeats_sent);
  metric (out, "realtime_heartbeats_ok_total", "counter", "Heartbeats answered",
      cs.heartbeats_ok);
  metric (out, "realtime_heartbeat_timeouts_total", "counter",
      "Heartbeats unanswered in time", cs.heartbeat_timeouts);
  metric (out, "realtime_heartbeat_rtt_seconds", "gauge",
      "Round trip of the last answered heartbeat", cs.last_rtt_ms / 1000.0);
  metric (out, "realtime_frames_received_total", "counter", "Frames received",
      cs.frames_received);
  metric (out, "realtime_frames_sent_total", "counter", "Frames sent",
      cs.frames_sent);
  metric (out, "realtime_frames_dropped_total", "counter",
      "Frames dropped: malformed, oversized, stale or unknown",
      cs.frames_dropped);
  metric (out, "process_resident_memory_bytes", "gauge", "Resident set size",
      resident_bytes ());
  metric (out, "process_open_fds", "gauge", "Open file descriptors",
      count_dir_entries ("/proc/self/fd"));
  metric (out, "process_threads", "gauge", "Threads",
      count_dir_entries ("/proc/self/task"));
  metric (out, "gateway_main_loop_sources", "gauge",
      "GSources attached to the main loop", count_sources (m->context));
  metric (out, "gateway_requests_total", "counter",
      "Requests received on the channel", rs.requests);
  metric (out, "gateway_requests_rejected_total", "counter",
      "Requests rejected with a reason", rs.rejected);
  /* The outbound budget (send-rate, send-burst): answer-queue.h. */
  metric (out, "gateway_outbound_rate_limit", "gauge",
      "Messages per second the channel may carry (send-rate)",
      send_budget_get_rate (gateway_answer_queue_get_budget (outbound)));
  metric (out, "gateway_outbound_messages_total", "counter",
      "Messages sent on the channel: answers, catalogs and presence",
      os.messages);
  metric (out, "gateway_outbound_answers_total", "counter",
      "Answers to send: pipeline states and rejections", os.answers);
  metric (out, "gateway_outbound_answers_coalesced_total", "counter",
      "Answers that joined a message already waiting for the budget",
      os.coalesced);
  metric (out, "gateway_outbound_delayed_total", "counter",
      "Messages that waited for the budget (or for the join)", os.delayed);
  metric (out, "gateway_outbound_wait_seconds_total", "counter",
      "Time messages waited to be sent, summed", os.wait_seconds);
  metric (out, "gateway_outbound_pending", "gauge",
      "Messages waiting for the budget now", os.pending);

  g_string_append (out,
      "# HELP gateway_pipeline_state 1 for the state "
      "each pipeline is in\n# TYPE gateway_pipeline_state gauge\n");
  for (i = 0; i < pipelines->len; i++) {
    OnDemandController *p = g_ptr_array_index (pipelines, i);
    guint s;
    for (s = 0; s < G_N_ELEMENTS (states); s++)
      g_string_append_printf (out,
          "gateway_pipeline_state{pipeline=\"%s\",state=\"%s\"} %d\n",
          on_demand_controller_get_name (p),
          on_demand_state_to_string (states[s]),
          on_demand_controller_get_state (p) == states[s]);
  }
#define PER_PIPELINE(name, type, help, field)                                  \
  g_string_append (out,                                                        \
      "# HELP " name " " help "\n# TYPE " name " " type "\n");                 \
  for (i = 0; i < pipelines->len; i++) {                                       \
    OnDemandController *p = g_ptr_array_index (pipelines, i);                  \
    OnDemandStats st;                                                          \
    on_demand_controller_get_stats (p, &st);                                   \
    g_string_append_printf (out, name "{pipeline=\"%s\"} %.17g\n",             \
        on_demand_controller_get_name (p), (gdouble)(field));                  \
  }
  PER_PIPELINE ("gateway_pipeline_starts_total", "counter",
      "Runs that reached playing", st.starts);
  PER_PIPELINE ("gateway_pipeline_failures_total", "counter",
      "Runs that failed", st.failures);
  PER_PIPELINE ("gateway_pipeline_restarts_total", "counter",
      "Restarts by the restart policy", st.restarts);
  PER_PIPELINE ("gateway_pipeline_first_buffer_seconds", "gauge",
      "Time from start to the first buffer at a sink, last run",
      st.last_time_to_first_buffer_ms / 1000.0);
#undef PER_PIPELINE
  if (m->webrtc) {
    g_autofree gchar *webrtc = webrtc_signalling_render_metrics (m->webrtc);

    g_string_append (out, webrtc);
  }
  return g_string_free (out, FALSE);
}

static void
handle (SoupServer *server, SoupServerMessage *msg, const char *path,
    GHashTable *query, gpointer user_data)
{
  GatewayMetrics *m = user_data;

  if (soup_server_message_get_method (msg) != SOUP_METHOD_GET
      && soup_server_message_get_method (msg) != SOUP_METHOD_HEAD) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    return;
  }
  if (g_strcmp0 (path, "/healthz") == 0) {
    gboolean joined = realtime_channel_get_state (m->channel)
        == REALTIME_CHANNEL_STATE_JOINED;
    g_autofree gchar *body
        = g_strdup_printf ("{\"status\":\"%s\","
                           "\"connection\":\"%s\",\"channel\":\"%s\",\"topic\":"
                           "\"%s\"}\n",
            joined ? "ok" : "unavailable",
            realtime_client_state_to_string (
                realtime_client_get_state (m->client)),
            realtime_channel_state_to_string (
                realtime_channel_get_state (m->channel)),
            realtime_channel_get_topic (m->channel));
    soup_server_message_set_status (msg,
        joined ? SOUP_STATUS_OK : SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
        body, strlen (body));
  } else if (g_strcmp0 (path, "/metrics") == 0) {
    g_autofree gchar *body = gateway_metrics_render (m);
    soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    soup_server_message_set_response (msg,
        "text/plain; version=0.0.4; charset=utf-8", SOUP_MEMORY_COPY, body,
        strlen (body));
  } else {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
  }
}

/**
 * gateway_metrics_new:
 * @address: "IP:PORT" (port 0 picks a free one)
 * @client: the realtime client whose figures are served
 * @channel: the gateway's channel
 * @router: the router whose requests, answers and pipelines are counted
 * @error: return location for an error
 *
 * Serves GET /healthz and GET /metrics on @address, on the thread-default
 * main context, until freed.
 *
 * Returns: (transfer full) (nullable): the endpoint, or %NULL when
 *   @address is not usable
 */
GatewayMetrics *
gateway_metrics_new (const gchar *address, RealtimeClient *client,
    RealtimeChannel *channel, GatewayRouter *router, GError **error)
{
  g_autoptr (GatewayMetrics) m = g_new0 (GatewayMetrics, 1);

  m->context = g_main_context_ref_thread_default ();
  m->client = g_object_ref (client);
  m->channel = g_object_ref (channel);
  m->router = g_object_ref (router);
  m->channel_state_id = g_signal_connect (channel, "state-changed",
      G_CALLBACK (on_channel_state), m);
  m->soup = soup_server_new ("server-header", "realtime-gateway ", NULL);
  soup_server_add_handler (m->soup, NULL, handle, m, NULL);
  /* The caller names metrics-address in its message. */
  m->listener = gateway_http_listener_new (m->soup, address, "metrics", error);
  if (!m->listener)
    return NULL;
  g_info ("metrics: serving /healthz and /metrics on %s:%u",
      gateway_http_listener_get_host (m->listener),
      gateway_http_listener_get_port (m->listener));
  return g_steal_pointer (&m);
}

/**
 * gateway_metrics_get_port:
 * @metrics: an endpoint
 *
 * Returns: the port bound (the chosen one when 0 was asked for)
 */
guint
gateway_metrics_get_port (GatewayMetrics *m)
{
  return gateway_http_listener_get_port (m->listener);
}

/**
 * gateway_metrics_set_webrtc:
 * @metrics: an endpoint
 * @signalling: (nullable): the daemon's WebRTC signalling (a reference is
 *   kept), or %NULL
 *
 * Appends the WebRTC sessions' series to what /metrics serves.
 */
void
gateway_metrics_set_webrtc (GatewayMetrics *m, WebrtcSignalling *signalling)
{
  g_set_object (&m->webrtc, signalling);
}

/**
 * gateway_metrics_free:
 * @metrics: (nullable): an endpoint
 *
 * Stops serving and disconnects the scrapers.
 */
void
gateway_metrics_free (GatewayMetrics *m)
{
  if (!m)
    return;
  /* The listener first: it disconnects the server's clients. */
  g_clear_pointer (&m->listener, gateway_http_listener_free);
  g_clear_object (&m->soup);
  if (m->channel)
    g_clear_signal_handler (&m->channel_state_id, m->channel);
  g_clear_object (&m->channel);
  g_clear_object (&m->client);
  g_clear_object (&m->router);
  g_clear_object (&m->webrtc);
  g_main_context_unref (m->context);
  g_free (m);
}

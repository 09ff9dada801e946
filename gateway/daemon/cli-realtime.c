/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * cli-realtime.c: "realtime-gateway listen" prints every broadcast of a
 * channel as one JSON line; "realtime-gateway send" sends one broadcast.
 * Operators script against both: flags, output and exit codes are stable.
 */
#include "cli-realtime.h"

#include "realtime-channel.h"
#include "realtime-client.h"
#include "realtime-settings.h"
#include "realtime-token-watch.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define EXIT_USAGE 2
/* Enough for a cancelled flush to report; bounded all the same. */
#define DRAIN_ITERATIONS 100

typedef struct
{
  gchar *url;
  gchar *api_key_file;
  gchar *access_token_file;
  gchar *ca_file;
  gboolean api_key_in_header;
  gchar *channel;
  gboolean private_;
  gchar *vsn;
  gdouble heartbeat_interval;
  gdouble heartbeat_timeout;
  gdouble connect_timeout;
  gdouble join_timeout;
  gdouble backoff_min;
  gdouble backoff_max;
  gint64 max_message_size;
  gboolean verbose;
  /* send */
  gchar *event;
  gchar *payload;
  gboolean ack;
} Options;

#define NOT_GIVEN_BYTES G_MININT64

/* Numbers not given stay NAN (or NOT_GIVEN_BYTES): the settings' defaults
 * apply. */
static void
options_init (Options *o)
{
  *o = (Options){
    .heartbeat_interval = NAN,
    .heartbeat_timeout = NAN,
    .connect_timeout = NAN,
    .join_timeout = NAN,
    .backoff_min = NAN,
    .backoff_max = NAN,
    .max_message_size = NOT_GIVEN_BYTES,
  };
}

static void
options_clear (Options *o)
{
  g_free (o->url);
  g_free (o->api_key_file);
  g_free (o->access_token_file);
  g_free (o->ca_file);
  g_free (o->channel);
  g_free (o->vsn);
  g_free (o->event);
  g_free (o->payload);
}

/* A seconds option to milliseconds; NAN: not given. The bounds are the
 * settings' own: here only what cannot become milliseconds is refused. */
static gboolean
seconds_to_ms (const gchar *name, gdouble seconds, guint *ms, GError **error)
{
  gdouble v = seconds * 1000.0 + 0.5;

  if (isnan (seconds))
    return TRUE;
  if (!(seconds >= 0) || isinf (seconds)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--%s must be a number of seconds, not %g", name, seconds);
    return FALSE;
  }
  *ms = v >= (gdouble)G_MAXUINT ? G_MAXUINT : (guint)v;
  /* A positive value below a millisecond means "as short as possible". */
  if (*ms == 0 && seconds > 0)
    *ms = 1;
  return TRUE;
}

static gboolean
parse_options (int argc, char **argv, const gchar *what, gboolean is_send,
    Options *o, GError **error)
{
  g_autoptr (GOptionContext) ctx = NULL;
  GOptionEntry common[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &o->url,
        "Project URL (https://<ref>.supabase.co) or ws(s):// URL", "URL" },
    { "api-key-file", 0, 0, G_OPTION_ARG_FILENAME, &o->api_key_file,
        "File holding the API key (else $REALTIME_API_KEY)", "FILE" },
    { "access-token-file", 0, 0, G_OPTION_ARG_FILENAME, &o->access_token_file,
        "File holding a user JWT sent with joins (watched: a renewed token "
        "is used at once)",
        "FILE" },
    { "api-key-in-header", 0, 0, G_OPTION_ARG_NONE, &o->api_key_in_header,
        "Send the API key as apikey/x-api-key headers, not in the URL", NULL },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &o->ca_file,
        "PEM file of CA certificates to trust (default: the system's)",
        "FILE" },
    { "channel", 0, 0, G_OPTION_ARG_STRING, &o->channel,
        "Channel name (topic realtime:NAME)", "NAME" },
    { "private", 0, 0, G_OPTION_ARG_NONE, &o->private_,
        "Join as a private channel", NULL },
    { "vsn", 0, 0, G_OPTION_ARG_STRING, &o->vsn,
        "Protocol version 1.0.0 or 2.0.0 (default 2.0.0)", "VSN" },
    { "heartbeat-interval", 0, 0, G_OPTION_ARG_DOUBLE, &o->heartbeat_interval,
        "Seconds between heartbeats (default 25)", "SECONDS" },
    { "heartbeat-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o->heartbeat_timeout,
        "Seconds a heartbeat may go unanswered (default: the interval)",
        "SECONDS" },
    { "connect-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o->connect_timeout,
        "Seconds for TCP, TLS and the WebSocket upgrade together (default "
        "10)",
        "SECONDS" },
    { "join-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &o->join_timeout,
        "Seconds to wait for a join reply (default 10)", "SECONDS" },
    { "backoff-min", 0, 0, G_OPTION_ARG_DOUBLE, &o->backoff_min,
        "Base reconnect delay in seconds (default 1)", "SECONDS" },
    { "backoff-max", 0, 0, G_OPTION_ARG_DOUBLE, &o->backoff_max,
        "Largest reconnect delay in seconds (default 30)", "SECONDS" },
    { "max-message-size", 0, 0, G_OPTION_ARG_INT64, &o->max_message_size,
        "Largest frame accepted in bytes (default 1048576)", "BYTES" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose,
        "Log debug messages (secrets are never logged)", NULL },
    { NULL }
  };
  GOptionEntry send_entries[]
      = { { "event", 0, 0, G_OPTION_ARG_STRING, &o->event,
              "Broadcast event name", "NAME" },
          { "payload", 0, 0, G_OPTION_ARG_STRING, &o->payload,
              "Broadcast payload, JSON (default {})", "JSON" },
          { "ack", 0, 0, G_OPTION_ARG_NONE, &o->ack,
              "Wait for the server's acknowledgement", NULL },
          { NULL } };

  options_init (o);
  ctx = g_option_context_new (what);
  g_option_context_add_main_entries (ctx, common, NULL);
  if (is_send)
    g_option_context_add_main_entries (ctx, send_entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, error))
    return FALSE;
  if (argc > 1) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "unexpected argument \"%s\"", argv[1]);
    return FALSE;
  }
  if (!o->url) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "--url is required");
    return FALSE;
  }
  if (!o->channel || !*o->channel) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "--channel is required");
    return FALSE;
  }
  if (is_send && (!o->event || !*o->event)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
        "--event is required");
    return FALSE;
  }
  return TRUE;
}

static RealtimeClient *
make_client (Options *o, GError **error)
{
  RealtimeSettings settings;
  RealtimeClient *client = NULL;
  const gchar *env_key = g_getenv ("REALTIME_API_KEY");

  realtime_settings_init (&settings);
  settings.url = g_strdup (o->url);
  settings.api_key_file = g_strdup (o->api_key_file);
  if (!o->api_key_file && env_key && *env_key)
    settings.api_key = g_strdup (env_key);
  settings.api_key_in_header = o->api_key_in_header;
  settings.access_token_file = g_strdup (o->access_token_file);
  settings.ca_file = g_strdup (o->ca_file);
  if (o->vsn && !realtime_vsn_from_string (o->vsn, &settings.vsn)) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--vsn must be 1.0.0 or 2.0.0, not \"%s\"", o->vsn);
    goto out;
  }
  if (!seconds_to_ms ("heartbeat-interval", o->heartbeat_interval,
          &settings.heartbeat_interval_ms, error)
      || !seconds_to_ms ("heartbeat-timeout", o->heartbeat_timeout,
          &settings.heartbeat_timeout_ms, error)
      || !seconds_to_ms ("connect-timeout", o->connect_timeout,
          &settings.connect_timeout_ms, error)
      || !seconds_to_ms ("join-timeout", o->join_timeout,
          &settings.join_timeout_ms, error)
      || !seconds_to_ms ("backoff-min", o->backoff_min,
          &settings.backoff_min_ms, error)
      || !seconds_to_ms ("backoff-max", o->backoff_max,
          &settings.backoff_max_ms, error))
    goto out;
  /* A default backoff-min above a given --backoff-max follows it. */
  if (isnan (o->backoff_min) && !isnan (o->backoff_max))
    settings.backoff_min_ms
        = MIN (settings.backoff_min_ms, settings.backoff_max_ms);
  if (o->max_message_size >= 0)
    settings.max_message_size = (guint)MIN (o->max_message_size, G_MAXUINT);
  else if (o->max_message_size != NOT_GIVEN_BYTES) {
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
        "--max-message-size must be a number of bytes");
    goto out;
  }
  /* Its messages start with the setting's name, which is the option's. */
  client = realtime_settings_make_client (&settings, error);
  if (!client)
    g_prefix_error (error, "--");

out:
  realtime_settings_clear (&settings);
  return client;
}

static void
on_client_state (RealtimeClient *client, RealtimeClientState state,
    const gchar *reason, gpointer user_data)
{
  g_printerr ("client %s (%s)\n", realtime_client_state_to_string (state),
      reason);
}

static void
on_channel_state (RealtimeChannel *channel, RealtimeChannelState state,
    const gchar *reason, gpointer user_data)
{
  g_printerr ("channel %s %s (%s)\n", realtime_channel_get_topic (channel),
      realtime_channel_state_to_string (state), reason);
}

/* Flushes listen's lines once the main loop has handled what was ready. */
static gboolean
flush_broadcast_lines (gpointer data)
{
  guint *pending = data;

  *pending = 0;
  fflush (stdout);
  return G_SOURCE_REMOVE;
}

/* One line {"event":E,"payload":P} per broadcast, built in one reused
 * buffer from the payload's JSON text ("broadcast-json": the payload as it
 * came, whitespace between tokens removed; no tree is built). The lines
 * of one burst (the frames one read of the socket delivered, handled in
 * one main-loop iteration) leave in stdout's buffer and are flushed by an
 * idle source at the default priority before the loop waits again: a lone
 * broadcast is printed at once, a flood costs one write per burst (or per
 * 4 KiB), not per line. */
static void
on_broadcast (RealtimeChannel *channel, const gchar *event, const gchar *json,
    gpointer user_data)
{
  static GString *line;
  static guint flush_id;

  if (!line)
    line = g_string_sized_new (256);
  g_string_assign (line, "{\"event\":");
  realtime_codec_append_json_string (line, event);
  g_string_append (line, ",\"payload\":");
  g_string_append (line, json);
  g_string_append (line, "}\n");
  fwrite (line->str, 1, line->len, stdout);
  if (line->allocated_len > 64 * 1024) {
    g_string_free (line, TRUE);
    line = NULL;
  }
  if (!flush_id)
    flush_id = g_idle_add_full (G_PRIORITY_DEFAULT, flush_broadcast_lines,
        &flush_id, NULL);
}

static gboolean
on_quit_signal (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

/* Parses the options of the command @cmd (described by @summary) and
 * makes its client, to be followed by options_clear(); on a usage error,
 * %NULL with the reason printed and @o cleared. */
static RealtimeClient *
start_command (int argc, char **argv, const gchar *cmd, const gchar *summary,
    gboolean is_send, Options *o)
{
  g_autoptr (GError) error = NULL;
  RealtimeClient *client = NULL;

  if (parse_options (argc, argv, summary, is_send, o, &error)) {
    if (o->verbose)
      g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
    client = make_client (o, &error);
  }
  if (!client) {
    g_printerr ("realtime-gateway %s: %s\n", cmd, error->message);
    options_clear (o);
  }
  return client;
}

/* The channel of the options, its state changes printed as the client's
 * are. */
static RealtimeChannel *
open_channel (RealtimeClient *client, const Options *o)
{
  RealtimeChannel *channel;

  g_signal_connect (client, "state-changed", G_CALLBACK (on_client_state),
      NULL);
  channel = realtime_client_channel (client, o->channel);
  g_object_set (channel, "private", o->private_, NULL);
  g_signal_connect (channel, "state-changed", G_CALLBACK (on_channel_state),
      NULL);
  return channel;
}

/* The access-token file followed as the daemon follows it: a renewed
 * token is pushed to the channel and used by every later join, and read
 * at once when the server says the token expired. %NULL without a file. */
static RealtimeTokenWatch *
watch_token_file (RealtimeClient *client, const Options *o)
{
  return o->access_token_file
      ? realtime_token_watch_new (client, o->access_token_file)
      : NULL;
}

/* Runs @loop until it quits, or SIGINT or SIGTERM arrives. */
static void
run_until_signal (GMainLoop *loop)
{
  guint sig_int = g_unix_signal_add (SIGINT, on_quit_signal, loop);
  guint sig_term = g_unix_signal_add (SIGTERM, on_quit_signal, loop);

  g_main_loop_run (loop);
  g_source_remove (sig_int);
  g_source_remove (sig_term);
}

int
realtime_cli_listen (int argc, char **argv)
{
  Options o;
  g_autoptr (RealtimeClient) client = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  RealtimeTokenWatch *watch;
  RealtimeChannel *channel;

  client = start_command (argc, argv, "listen",
      "listen - print the broadcasts of a channel", FALSE, &o);
  if (!client)
    return EXIT_USAGE;

  loop = g_main_loop_new (NULL, FALSE);
  watch = watch_token_file (client, &o);
  channel = open_channel (client, &o);
  g_signal_connect (channel, "broadcast-json", G_CALLBACK (on_broadcast), NULL);
  realtime_channel_subscribe (channel);
  realtime_client_connect (client);

  run_until_signal (loop);

  realtime_token_watch_free (watch);
  realtime_channel_unsubscribe (channel);
  realtime_client_disconnect (client);
  options_clear (&o);
  return 0;
}

typedef struct
{
  GMainLoop *loop;
  RealtimeClient *client;
  RealtimeChannel *channel;
  Options *o;
  JsonNode *payload;
  gboolean sent; /* send_broadcast issued */
  gboolean done;
  gboolean synced; /* flushed after the send */
  GCancellable *cancellable; /* of the flush, when the loop ends first */
  GError *error;
} SendState;

static void
on_flushed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SendState *st = user_data;
  g_autoptr (GError) error = NULL;

  st->synced
      = realtime_client_flush_finish (REALTIME_CLIENT (source), result, &error);
  /* Cancelled: the send ended first, and says why. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (!st->synced && !st->error)
    st->error = g_error_new (REALTIME_ERROR, REALTIME_ERROR_TIMEOUT,
        "the broadcast was sent but its delivery is not confirmed: %s",
        error->message);
  g_main_loop_quit (st->loop);
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SendState *st = user_data;
  guint join_timeout;

  if (!realtime_channel_send_broadcast_finish (REALTIME_CHANNEL (source),
          result, &st->error)) {
    g_main_loop_quit (st->loop);
    return;
  }
  st->done = TRUE;
  if (st->o->ack) {
    g_main_loop_quit (st->loop);
    return;
  }
  /* Without an ack, "flush, then leave" proves that the server has read
   * the broadcast before we close. */
  g_object_get (st->client, "join-timeout", &join_timeout, NULL);
  realtime_client_flush_async (st->client, join_timeout, st->cancellable,
      on_flushed, st);
}

static void
on_send_channel_state (RealtimeChannel *channel, RealtimeChannelState state,
    const gchar *reason, gpointer user_data)
{
  SendState *st = user_data;

  if (state == REALTIME_CHANNEL_STATE_JOINED && !st->sent) {
    st->sent = TRUE;
    realtime_channel_send_broadcast (channel, st->o->event, st->payload, NULL,
        on_sent, st);
  }
}

static gboolean
on_send_deadline (gpointer data)
{
  SendState *st = data;

  if (!st->error)
    g_set_error (&st->error, REALTIME_ERROR, REALTIME_ERROR_TIMEOUT,
        st->sent ? "no acknowledgement in time"
                 : "the channel was not joined in time");
  g_main_loop_quit (st->loop);
  return G_SOURCE_REMOVE;
}

int
realtime_cli_send (int argc, char **argv)
{
  Options o;
  g_autoptr (GError) error = NULL;
  g_autoptr (RealtimeClient) client = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (JsonNode) payload = NULL;
  SendState st = { 0 };
  RealtimeTokenWatch *watch;
  guint deadline, join_timeout, i;
  int ret = 0;

  client = start_command (argc, argv, "send",
      "send - send one broadcast on a channel", TRUE, &o);
  if (!client)
    return EXIT_USAGE;
  payload = json_from_string (o.payload ? o.payload : "{}", &error);
  if (!payload) {
    g_printerr ("realtime-gateway send: --payload is not JSON: %s\n",
        error ? error->message : "empty");
    options_clear (&o);
    return EXIT_USAGE;
  }

  loop = g_main_loop_new (NULL, FALSE);
  watch = watch_token_file (client, &o);
  st.loop = loop;
  st.client = client;
  st.o = &o;
  st.payload = payload;
  st.cancellable = g_cancellable_new ();
  st.channel = open_channel (client, &o);
  g_object_set (st.channel, "broadcast-ack", o.ack, NULL);
  g_signal_connect (st.channel, "state-changed",
      G_CALLBACK (on_send_channel_state), &st);
  realtime_channel_subscribe (st.channel);
  realtime_client_connect (client);

  /* Bounded: three join timeouts cover a reconnect and a retried join. */
  g_object_get (client, "join-timeout", &join_timeout, NULL);
  deadline = g_timeout_add (MIN ((guint64)join_timeout * 3, G_MAXUINT),
      on_send_deadline, &st);
  run_until_signal (loop);
  if (g_main_context_find_source_by_id (NULL, deadline))
    g_source_remove (deadline);
  /* A flush still running (deadline, signal) ends here and reports. */
  g_cancellable_cancel (st.cancellable);
  for (i = 0; i < DRAIN_ITERATIONS; i++)
    if (!g_main_context_iteration (NULL, FALSE))
      break;

  if (st.error) {
    g_printerr ("realtime-gateway send: %s\n", st.error->message);
    ret = 1;
  } else if (!st.done || (!o.ack && !st.synced)) {
    g_printerr ("realtime-gateway send: interrupted before the broadcast "
                "was delivered\n");
    ret = 1;
  } else {
    g_printerr ("sent %s on realtime:%s%s\n", o.event, o.channel,
        o.ack ? " (acknowledged)" : "");
  }
  g_clear_error (&st.error);
  realtime_token_watch_free (watch);
  realtime_channel_unsubscribe (st.channel);
  realtime_client_disconnect (client);
  g_clear_object (&st.cancellable);
  options_clear (&o);
  return ret;
}

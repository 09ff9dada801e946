/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * bench-server.c: the local realtime test server (tests/support/rt-server.c,
 * the same code as build/tests/realtime-server) with a line-based control
 * channel on stdin, for bench/run. Benchmark-only: nothing in the project
 * links it.
 *
 *   bench-server [--port N] [--api-key-file FILE]
 *
 * Prints "listening on http://127.0.0.1:PORT" once bound, then answers each
 * command on stdin with one line on stdout:
 *
 *   members TOPIC                 -> "members N"   (clients joined on TOPIC)
 *   flood TOPIC EVENT N [FORM [WRITES]]
 *                                 -> "flooded N US" after queueing N
 *                                    broadcasts {"seq":i,"t":T} in one go
 *                                    (T: CLOCK_MONOTONIC microseconds when
 *                                    the broadcast was made, US: time spent
 *                                    queueing). FORM: "binary" (default:
 *                                    kind 4 frames to vsn 2.0.0 members) or
 *                                    "text" (JSON text frames, as the
 *                                    service sends a broadcast it relays as
 *                                    text). WRITES: "each" (default: one
 *                                    libsoup send per frame, which libsoup
 *                                    writes one frame per socket write) or
 *                                    "one" (every frame of the flood built
 *                                    first, then handed to the socket in one
 *                                    write: the client reads them coalesced,
 *                                    many frames per read; "flooded" comes
 *                                    once the write completed)
 *   paced TOPIC EVENT N MS        -> "paced N" after N broadcasts MS apart
 *   quit                          -> exits
 *
 * Broadcasts go through the server's own fan-out: v2 members get binary
 * kind 4 frames (or v2 text frames with FORM "text"), v1 members JSON
 * text, as from the REST endpoint of the hosted service. The REST endpoint
 * itself (POST /realtime/v1/api/broadcast) works as in the standalone
 * server. Frames the server records for the test suites are cleared every
 * second so that a long run does not grow the server.
 *
 * The server's code is included here, not linked (bench/run compiles this
 * file alone): the "one write" flood needs its connections, which
 * rt-server.h does not show, and the suites' server stays as it is.
 */
#include "rt-server.c"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  RtServer *server;
  GMainLoop *loop;
  GString *inbuf;
  /* paced run */
  gchar *paced_topic;
  gchar *paced_event;
  guint paced_left;
  guint paced_seq;
  guint paced_n;
  guint paced_id;
} Bench;

static GLogWriterOutput
quiet_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
    gpointer user_data)
{
  /* The server logs every REST call and connection: on stderr that would
   * cost the server time the clients are measured against. Keep warnings. */
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
    return g_log_writer_standard_streams (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static void say (const gchar *format, ...) G_GNUC_PRINTF (1, 2);

static void
say (const gchar *format, ...)
{
  va_list args;

  va_start (args, format);
  vprintf (format, args);
  va_end (args);
  putchar ('\n');
  fflush (stdout);
}

static void
make_payload (gchar *payload, gsize size, guint seq)
{
  g_snprintf (payload, size, "{\"seq\":%u,\"t\":%" G_GINT64_FORMAT "}", seq,
      g_get_monotonic_time ());
}

/* One broadcast through the server's fan-out (libsoup queues one frame per
 * member and writes it on its own). */
static void
send_one (Bench *b, const gchar *topic, const gchar *event, guint seq,
    gboolean text)
{
  gchar payload[96];
  JsonNode *node, *full;
  Broadcast bc = { 0 };

  make_payload (payload, sizeof payload, seq);
  if (!text) {
    rt_server_broadcast (b->server, topic, event, payload);
    return;
  }
  node = parse_json (payload, -1);
  full = broadcast_text_payload (event, node);
  bc.topic = topic;
  bc.text_payload = full;
  bc.v2_form = V2_AS_TEXT;
  bc.private_filter = -1;
  fan_out (b->server, &bc);
  json_node_unref (full);
  json_node_unref (node);
}

/* An unmasked server frame (RFC 6455 5.2) of @len bytes at @data. */
static void
append_ws_frame (GByteArray *out, gboolean binary, const guint8 *data,
    gsize len)
{
  guint8 head[10];
  guint n = 0, i;

  head[n++] = binary ? 0x82 : 0x81;
  if (len < 126) {
    head[n++] = (guint8)len;
  } else if (len < 65536) {
    head[n++] = 126;
    head[n++] = (guint8)(len >> 8);
    head[n++] = (guint8)len;
  } else {
    head[n++] = 127;
    for (i = 0; i < 8; i++)
      head[n++] = (guint8)((guint64)len >> (56 - 8 * i));
  }
  g_byte_array_append (out, head, n);
  g_byte_array_append (out, data, len);
}

typedef struct
{
  Bench *bench;
  RtServer *server;
  guint conn_id;
  GBytes *bytes;
  guint n;
  gint64 t0;
  guint *pending; /* writes of this flood still running */
} OneWrite;

static void
on_one_write_done (GObject *source, GAsyncResult *result, gpointer data)
{
  OneWrite *w = data;
  GError *error = NULL;
  Conn *conn;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL,
          &error)) {
    g_printerr ("bench-server: flood write failed: %s\n", error->message);
    g_error_free (error);
  }
  conn = find_conn (w->server, w->conn_id);
  if (conn && conn->held) {
    /* Frames made meanwhile (heartbeat replies) go out after it. */
    GPtrArray *held = conn->held;

    conn->held = NULL;
    send_frames (conn, held);
    g_ptr_array_unref (held);
  }
  if (--*w->pending == 0) {
    say ("flooded %u %" G_GINT64_FORMAT, w->n, g_get_monotonic_time () - w->t0);
    g_free (w->pending);
  }
  g_bytes_unref (w->bytes);
  g_free (w);
}

/* Every frame of the flood built first, then written to each member's
 * socket in one write, behind nothing: what libsoup had queued for that
 * connection went out before (it writes a queued frame at once unless the
 * socket is full, which an idle benchmark connection is not), and frames
 * made while the write runs wait in conn->held, as behind a dripping
 * frame. */
static void
flood_one_write (Bench *b, const gchar *topic, const gchar *event, guint n,
    gboolean text)
{
  RtServer *server = b->server;
  gint64 t0 = g_get_monotonic_time ();
  guint *pending = g_new0 (guint, 1);
  GList *l;

  *pending = 1; /* released below, once every write has started */
  for (l = server->conns; l; l = l->next) {
    Conn *conn = l->data;
    GByteArray *all;
    OneWrite *w;
    guint i;

    if (!g_hash_table_lookup (conn->members, topic) || !conn_is_open (conn)
        || conn->held)
      continue;
    all = g_byte_array_sized_new (n * 96);
    for (i = 0; i < n; i++) {
      gchar payload[96];

      make_payload (payload, sizeof payload, i);
      if (!text && conn->v2) {
        GBytes *kind4 = encode_kind4 (topic, event, "{}", ENC_JSON,
            (const guint8 *)payload, strlen (payload));
        gsize len;
        const guint8 *d = g_bytes_get_data (kind4, &len);

        append_ws_frame (all, TRUE, d, len);
        g_bytes_unref (kind4);
      } else {
        JsonNode *node = parse_json (payload, -1);
        JsonNode *full = broadcast_text_payload (event, node);
        gchar *frame
            = encode_text (conn->v2, NULL, NULL, topic, "broadcast", full);

        append_ws_frame (all, FALSE, (const guint8 *)frame, strlen (frame));
        g_free (frame);
        json_node_unref (full);
        json_node_unref (node);
      }
    }
    w = g_new0 (OneWrite, 1);
    w->bench = b;
    w->server = server;
    w->conn_id = conn->id;
    w->bytes = g_byte_array_free_to_bytes (all);
    w->n = n;
    w->t0 = t0;
    w->pending = pending;
    ++*pending;
    conn->held = out_frames_new ();
    g_output_stream_write_all_async (g_io_stream_get_output_stream (
                                         soup_websocket_connection_get_io_stream (
                                             conn->ws)),
        g_bytes_get_data (w->bytes, NULL), g_bytes_get_size (w->bytes),
        G_PRIORITY_DEFAULT, NULL, on_one_write_done, w);
  }
  if (--*pending == 0) {
    say ("flooded %u %" G_GINT64_FORMAT, n, g_get_monotonic_time () - t0);
    g_free (pending);
  }
}

static gboolean
on_paced_tick (gpointer data)
{
  Bench *b = data;

  send_one (b, b->paced_topic, b->paced_event, b->paced_seq++, FALSE);
  if (--b->paced_left > 0)
    return G_SOURCE_CONTINUE;
  b->paced_id = 0;
  say ("paced %u", b->paced_n);
  return G_SOURCE_REMOVE;
}

static void
command (Bench *b, const gchar *line)
{
  g_auto (GStrv) argv = g_strsplit_set (line, " \t", -1);
  guint argc = g_strv_length (argv);

  if (argc == 0 || argv[0][0] == '\0')
    return;
  if (strcmp (argv[0], "members") == 0 && argc == 2) {
    say ("members %u", rt_server_count_members (b->server, argv[1]));
  } else if (strcmp (argv[0], "flood") == 0 && argc >= 4 && argc <= 6
      && (argc < 5 || !strcmp (argv[4], "binary") || !strcmp (argv[4], "text"))
      && (argc < 6 || !strcmp (argv[5], "each") || !strcmp (argv[5], "one"))) {
    guint n = (guint)g_ascii_strtoull (argv[3], NULL, 10), i;
    gboolean text = argc >= 5 && strcmp (argv[4], "text") == 0;
    gint64 t0 = g_get_monotonic_time ();

    if (argc == 6 && strcmp (argv[5], "one") == 0) {
      flood_one_write (b, argv[1], argv[2], n, text);
      return;
    }
    for (i = 0; i < n; i++)
      send_one (b, argv[1], argv[2], i, text);
    say ("flooded %u %" G_GINT64_FORMAT, n, g_get_monotonic_time () - t0);
  } else if (strcmp (argv[0], "paced") == 0 && argc == 5 && !b->paced_id) {
    guint ms = (guint)g_ascii_strtoull (argv[4], NULL, 10);

    g_free (b->paced_topic);
    g_free (b->paced_event);
    b->paced_topic = g_strdup (argv[1]);
    b->paced_event = g_strdup (argv[2]);
    b->paced_n = b->paced_left = (guint)g_ascii_strtoull (argv[3], NULL, 10);
    b->paced_seq = 0;
    if (b->paced_n == 0) {
      say ("paced 0");
      return;
    }
    b->paced_id = g_timeout_add (MAX (ms, 1), on_paced_tick, b);
  } else if (strcmp (argv[0], "quit") == 0) {
    g_main_loop_quit (b->loop);
  } else {
    say ("error unknown command");
  }
}

static gboolean
on_stdin (gint fd, GIOCondition condition, gpointer data)
{
  Bench *b = data;
  gchar buf[4096];
  gssize n = read (fd, buf, sizeof buf);
  gchar *nl;

  if (n <= 0) {
    /* The harness went away: never outlive it. */
    g_main_loop_quit (b->loop);
    return G_SOURCE_REMOVE;
  }
  g_string_append_len (b->inbuf, buf, n);
  while ((nl = memchr (b->inbuf->str, '\n', b->inbuf->len))) {
    gchar *line = g_strndup (b->inbuf->str, nl - b->inbuf->str);

    g_string_erase (b->inbuf, 0, nl - b->inbuf->str + 1);
    command (b, g_strstrip (line));
    g_free (line);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_clear_frames (gpointer data)
{
  Bench *b = data;

  rt_server_clear_frames (b->server);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_signal (gpointer data)
{
  g_main_loop_quit (((Bench *)data)->loop);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  gint port = 0;
  gchar *key_file = NULL;
  gchar *api_key = NULL;
  gboolean verbose = FALSE;
  GOptionEntry entries[] = { { "port", 'p', 0, G_OPTION_ARG_INT, &port,
                                 "Port (0: a free one)", "N" },
    { "api-key-file", 'k', 0, G_OPTION_ARG_FILENAME, &key_file,
        "File holding the API key", "FILE" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Server logs", NULL },
    { NULL } };
  GOptionContext *options;
  GError *error = NULL;
  Bench b = { 0 };

  options = g_option_context_new ("- realtime test server for benchmarks");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  g_option_context_free (options);
  if (verbose)
    g_log_writer_default_set_use_stderr (TRUE);
  else
    g_log_set_writer_func (quiet_writer, NULL, NULL);

  if (key_file) {
    if (!g_file_get_contents (key_file, &api_key, NULL, &error)) {
      g_printerr ("%s\n", error->message);
      return 2;
    }
    g_strstrip (api_key);
  }

  b.server = rt_server_new ((guint)port, api_key, &error);
  if (!b.server) {
    g_printerr ("cannot listen on port %d: %s\n", port, error->message);
    return 1;
  }
  b.loop = g_main_loop_new (NULL, FALSE);
  b.inbuf = g_string_new (NULL);
  g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, &b);
  g_timeout_add_seconds (1, on_clear_frames, &b);
  g_unix_signal_add (SIGINT, on_signal, &b);
  g_unix_signal_add (SIGTERM, on_signal, &b);

  say ("listening on %s", rt_server_get_url (b.server));
  g_main_loop_run (b.loop);

  rt_server_free (b.server);
  g_main_loop_unref (b.loop);
  g_string_free (b.inbuf, TRUE);
  g_free (b.paced_topic);
  g_free (b.paced_event);
  g_free (api_key);
  g_free (key_file);
  return 0;
}

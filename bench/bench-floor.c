/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * bench-floor.c: the floor of the dispatch benchmark. The least a client
 * on the same stack can do: libsoup 3 WebSocket, one phx_join, and for
 * every user broadcast, binary (kind 4) or a vsn 2.0.0 text frame
 * [null,null,TOPIC,"broadcast",{"event":E,"payload":P,...}] as the local
 * server writes it, one line {"event":E,"payload":P} written to stdout,
 * the payload bytes copied as they came (no JSON parsing: the text frame's
 * payload is found by counting brackets; no heartbeat, no reconnect, no
 * state machine). What the gateway
 * adds on top of this is the gateway's own cost; what this shows is the
 * cost of the machine, the server, libsoup and the pipe to the harness.
 * Benchmark-only: nothing in the project links it.
 *
 *   bench-floor --url ws://127.0.0.1:PORT/realtime/v1/websocket?apikey=K&vsn=2.0.0
 *               --channel NAME [--batch]
 *
 * --batch: lines go out as `realtime-gateway listen` writes them, through
 * stdout's buffer flushed once per main-loop iteration (one write per
 * burst of frames read, not per line): the floor for a client that
 * batches its output the same way.
 *
 * stderr: "channel realtime:NAME joined" when the join is acknowledged.
 */
#include <glib-unix.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void write_all (const gchar *data, gsize len);

typedef struct
{
  GMainLoop *loop;
  gchar *topic;
  SoupWebsocketConnection *ws;
  GString *line;
  gboolean batch;
  guint flush_id;
} Floor;

static gboolean
flush_lines (gpointer data)
{
  Floor *f = data;

  f->flush_id = 0;
  fflush (stdout);
  return G_SOURCE_REMOVE;
}

static void
emit_line (Floor *f)
{
  if (!f->batch) {
    write_all (f->line->str, f->line->len);
    return;
  }
  fwrite (f->line->str, 1, f->line->len, stdout);
  if (!f->flush_id)
    f->flush_id = g_idle_add_full (G_PRIORITY_DEFAULT, flush_lines, f, NULL);
}

static void
write_all (const gchar *data, gsize len)
{
  while (len > 0) {
    gssize n = write (STDOUT_FILENO, data, len);

    if (n <= 0)
      return;
    data += n;
    len -= (gsize)n;
  }
}

static void
on_message (SoupWebsocketConnection *ws, gint type, GBytes *message,
    gpointer user_data)
{
  Floor *f = user_data;
  gsize len;
  const guint8 *d = g_bytes_get_data (message, &len);
  const gchar *b;

  if (type == SOUP_WEBSOCKET_DATA_BINARY) {
    gsize tl, el, ml, off;

    if (len < 5 || d[0] != 4)
      return;
    tl = d[1];
    el = d[2];
    ml = d[3];
    off = 5 + tl + el + ml;
    if (off > len)
      return;
    g_string_truncate (f->line, 0);
    g_string_append (f->line, "{\"event\":\"");
    g_string_append_len (f->line, (const gchar *)d + 5 + tl, el);
    g_string_append (f->line, "\",\"payload\":");
    g_string_append_len (f->line, (const gchar *)d + off, len - off);
    g_string_append (f->line, "}\n");
    emit_line (f);
  } else if (len > 2 && d[0] == '['
      && (b = g_strstr_len ((const gchar *)d, len,
              ",\"broadcast\",{\"event\":\""))) {
    const gchar *end = (const gchar *)d + len, *ev, *ev_end, *p, *start;
    gint depth = 0;

    ev = b + strlen (",\"broadcast\",{\"event\":\"");
    ev_end = memchr (ev, '"', end - ev);
    if (!ev_end || !(p = g_strstr_len (ev_end, end - ev_end, "\"payload\":")))
      return;
    start = p += strlen ("\"payload\":");
    /* the payload's extent: brackets counted outside strings */
    for (; p < end; p++) {
      if (*p == '"') {
        for (p++; p < end && *p != '"'; p++)
          if (*p == '\\')
            p++;
      } else if (*p == '{' || *p == '[') {
        depth++;
      } else if (*p == '}' || *p == ']') {
        if (--depth == 0) {
          p++;
          break;
        }
      } else if (depth == 0 && *p == ',') {
        break;
      }
    }
    g_string_truncate (f->line, 0);
    g_string_append (f->line, "{\"event\":\"");
    g_string_append_len (f->line, ev, ev_end - ev);
    g_string_append (f->line, "\",\"payload\":");
    g_string_append_len (f->line, start, p - start);
    g_string_append (f->line, "}\n");
    emit_line (f);
  } else {
    gchar *text = g_strndup ((const gchar *)d, len);

    if (strstr (text, "\"phx_reply\"") && strstr (text, "\"ok\"")
        && strstr (text, f->topic))
      g_printerr ("channel %s joined\n", f->topic);
    g_free (text);
  }
}

static void
on_closed (SoupWebsocketConnection *ws, gpointer user_data)
{
  g_main_loop_quit (((Floor *)user_data)->loop);
}

static void
on_connected (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Floor *f = user_data;
  GError *error = NULL;
  gchar *join;

  f->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
      &error);
  if (!f->ws) {
    g_printerr ("connect failed: %s\n", error->message);
    g_error_free (error);
    g_main_loop_quit (f->loop);
    return;
  }
  soup_websocket_connection_set_max_incoming_payload_size (f->ws, 0);
  g_signal_connect (f->ws, "message", G_CALLBACK (on_message), f);
  g_signal_connect (f->ws, "closed", G_CALLBACK (on_closed), f);
  join = g_strdup_printf ("[\"1\",\"1\",\"%s\",\"phx_join\",{\"config\":"
                          "{\"broadcast\":{\"self\":false,\"ack\":false},"
                          "\"presence\":{\"key\":\"\"},"
                          "\"private\":false}}]",
      f->topic);
  soup_websocket_connection_send_text (f->ws, join);
  g_free (join);
}

static gboolean
on_signal (gpointer data)
{
  g_main_loop_quit (((Floor *)data)->loop);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  gchar *url = NULL, *channel = NULL;
  Floor f = { 0 };
  GOptionEntry entries[]
      = { { "url", 0, 0, G_OPTION_ARG_STRING, &url, "WebSocket URL", "URL" },
          { "channel", 0, 0, G_OPTION_ARG_STRING, &channel, "Channel", "NAME" },
          { "batch", 0, 0, G_OPTION_ARG_NONE, &f.batch,
              "Flush stdout once per main-loop iteration", NULL },
          { NULL } };
  GOptionContext *options = g_option_context_new ("- dispatch floor");
  GError *error = NULL;
  SoupSession *session;
  SoupMessage *msg;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) || !url
      || !channel) {
    g_printerr ("usage: bench-floor --url WS_URL --channel NAME\n");
    return 2;
  }
  g_option_context_free (options);
  f.loop = g_main_loop_new (NULL, FALSE);
  f.topic = g_strconcat ("realtime:", channel, NULL);
  f.line = g_string_new (NULL);
  session = soup_session_new ();
  msg = soup_message_new ("GET", url);
  if (!msg) {
    g_printerr ("bad URL\n");
    return 2;
  }
  soup_session_websocket_connect_async (session, msg, NULL, NULL,
      G_PRIORITY_DEFAULT, NULL, on_connected, &f);
  g_unix_signal_add (SIGINT, on_signal, &f);
  g_unix_signal_add (SIGTERM, on_signal, &f);
  g_main_loop_run (f.loop);
  if (f.ws) {
    if (soup_websocket_connection_get_state (f.ws) == SOUP_WEBSOCKET_STATE_OPEN)
      soup_websocket_connection_close (f.ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
    g_object_unref (f.ws);
  }
  g_object_unref (msg);
  g_object_unref (session);
  g_string_free (f.line, TRUE);
  g_main_loop_unref (f.loop);
  g_free (f.topic);
  g_free (url);
  g_free (channel);
  return 0;
}

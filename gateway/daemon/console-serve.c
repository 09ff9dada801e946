/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * console-serve.c: "realtime-gateway console [--listen ADDR:PORT]" serves
 * the operator's console, a static page, on an operator's machine
 * (127.0.0.1:8913 by default) and prints its URL. GET and HEAD of files
 * under the console's directory only: nothing else is read, nothing is
 * listed, and the page itself connects to the realtime project from the
 * browser. It runs until SIGINT or SIGTERM.
 */
#include "console-serve.h"
#include "http-listener.h"

#include <glib-unix.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LISTEN "127.0.0.1:8913"
#define MAX_FILE_SIZE (8 * 1024 * 1024)

/* The page may connect to any realtime project (ws, wss, and http(s) for
 * realtime-js's REST fallback) but loads nothing from anywhere else. */
#define CONTENT_SECURITY_POLICY                                                \
  "default-src 'self'; connect-src 'self' ws: wss: http: https:; "             \
  "img-src 'self' data:; media-src 'self' blob:; frame-ancestors 'none'"

static const struct
{
  const gchar *suffix;
  const gchar *type;
} content_types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".json", "application/json" },
  { ".png", "image/png" },
  { ".svg", "image/svg+xml" },
  { ".txt", "text/plain; charset=utf-8" },
};

static const gchar *
content_type (const gchar *path)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (content_types); i++)
    if (g_str_has_suffix (path, content_types[i].suffix))
      return content_types[i].type;
  return NULL;
}

/* What the page is made of; anything else in its directory (a source
 * tree's package.json and node_modules) is not served. */
static const gchar *const served[]
    = { "index.html", "style.css", "src", "vendor", NULL };

/* The file under @root that @path names, or NULL: each segment must be a
 * plain name (no "..", no hidden files), the first one part of the page,
 * the type one the page uses, and the real file (links resolved) still
 * under @root. */
static gchar *
resolve (const gchar *root, const gchar *path)
{
  g_auto (GStrv) segments = NULL;
  g_autofree gchar *joined = NULL;
  g_autofree gchar *real = NULL;
  guint i;

  if (!path || path[0] != '/')
    return NULL;
  if (g_str_has_suffix (path, "/"))
    joined = g_strconcat (path, "index.html", NULL);
  else
    joined = g_strdup (path);
  segments = g_strsplit (joined + 1, "/", -1);
  for (i = 0; segments[i]; i++)
    if (segments[i][0] == '\0' || segments[i][0] == '.'
        || strchr (segments[i], '\\'))
      return NULL;
  if (!content_type (joined)
      || !g_strv_contains ((const gchar *const *)served, segments[0]))
    return NULL;
  g_free (joined);
  joined = g_strdup (root);
  for (i = 0; segments[i]; i++) {
    gchar *next = g_build_filename (joined, segments[i], NULL);
    g_free (joined);
    joined = next;
  }
  real = realpath (joined, NULL);
  if (!real || !g_str_has_prefix (real, root) || real[strlen (root)] != '/')
    return NULL;
  return g_steal_pointer (&real);
}

static void
handle (SoupServer *server, SoupServerMessage *msg, const char *path,
    GHashTable *query, gpointer user_data)
{
  const gchar *root = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree gchar *file = NULL;
  g_autofree gchar *contents = NULL;
  gsize length = 0;

  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    soup_message_headers_append (headers, "Allow", "GET, HEAD");
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    return;
  }
  file = resolve (root, path);
  if (!file || !g_file_test (file, G_FILE_TEST_IS_REGULAR)
      || !g_file_get_contents (file, &contents, &length, NULL)
      || length > MAX_FILE_SIZE) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  soup_message_headers_append (headers, "Cache-Control", "no-cache");
  soup_message_headers_append (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_append (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_append (headers, "Content-Security-Policy",
      CONTENT_SECURITY_POLICY);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, content_type (file), SOUP_MEMORY_TAKE,
      g_steal_pointer (&contents), length);
}

static gboolean
on_signal (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
is_loopback (const gchar *host)
{
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (host);

  return address && g_inet_address_get_is_loopback (address);
}

/**
 * gateway_console_serve:
 * @argc: from the command's argument vector
 * @argv: the command's arguments
 *
 * Returns: the exit status: 0 after SIGINT or SIGTERM, 1 when the page or
 *   the address cannot be used, 2 for bad arguments
 */
int
gateway_console_serve (int argc, char **argv)
{
  g_autofree gchar *listen = NULL;
  g_autofree gchar *root_arg = NULL;
  g_autofree gchar *project = NULL;
  g_autofree gchar *channels = NULL;
  g_autofree gchar *root = NULL;
  g_autofree gchar *index = NULL;
  g_autofree gchar *fragment = NULL;
  g_autoptr (GOptionContext) ctx
      = g_option_context_new ("- serve the operator's console");
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (GatewayHttpListener) listener = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  const gchar *host;
  guint sig_int, sig_term;
  GOptionEntry entries[] = { { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
                                 "Address to serve on (default " DEFAULT_LISTEN
                                 "; port 0 picks one)",
                                 "IP:PORT" },
    { "root", 0, 0, G_OPTION_ARG_FILENAME, &root_arg,
        "The console's files (default " PKGDATADIR "/console)", "DIR" },
    { "project-url", 0, 0, G_OPTION_ARG_STRING, &project,
        "Fill in this project URL in the printed link", "URL" },
    { "channels", 0, 0, G_OPTION_ARG_STRING, &channels,
        "Fill in these channels (comma-separated) in the printed link",
        "LIST" },
    { NULL } };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("realtime-gateway: %s\n", error->message);
    return 2;
  }
  if (argc > 1) {
    g_printerr ("realtime-gateway: unexpected argument \"%s\"\n", argv[1]);
    return 2;
  }
  root = realpath (root_arg ? root_arg : PKGDATADIR "/console", NULL);
  index = root ? g_build_filename (root, "index.html", NULL) : NULL;
  if (!index || !g_file_test (index, G_FILE_TEST_IS_REGULAR)) {
    g_printerr ("realtime-gateway: no console page in %s (index.html "
                "missing): not serving\n",
        root_arg ? root_arg : PKGDATADIR "/console");
    return 1;
  }

  loop = g_main_loop_new (NULL, FALSE);
  server = soup_server_new ("server-header", "realtime-gateway-console ", NULL);
  soup_server_add_handler (server, NULL, handle, root, NULL);
  listener = gateway_http_listener_new (server,
      listen ? listen : DEFAULT_LISTEN, "console", &error);
  if (!listener) {
    g_printerr ("realtime-gateway: --listen %s: %s\n",
        listen ? listen : DEFAULT_LISTEN, error->message);
    return 1;
  }
  host = gateway_http_listener_get_host (listener);
  if (!is_loopback (host))
    g_warning ("console: serving on %s, not a loopback address: anyone who "
               "can reach it can load the page (it holds no secret)",
        host);
  if (project || channels) {
    g_autofree gchar *u
        = g_uri_escape_string (project ? project : "", NULL, FALSE);
    g_autofree gchar *c
        = g_uri_escape_string (channels ? channels : "", ",", FALSE);
    fragment = g_strdup_printf ("#url=%s&channels=%s", u, c);
  }
  printf ("console at http://%s%s%s:%u/%s\n", strchr (host, ':') ? "[" : "",
      host, strchr (host, ':') ? "]" : "",
      gateway_http_listener_get_port (listener), fragment ? fragment : "");
  fflush (stdout);
  g_message ("console: serving %s on %s:%u until SIGINT or SIGTERM", root, host,
      gateway_http_listener_get_port (listener));

  sig_int = g_unix_signal_add (SIGINT, on_signal, loop);
  sig_term = g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);
  g_source_remove (sig_int);
  g_source_remove (sig_term);
  g_message ("console: stopped");
  return 0;
}

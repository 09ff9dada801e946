/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-server.c: the local realtime test server as a program, for the
 * demo, the interop test and trying things by hand.
 *
 *   realtime-server [--listen ADDRESS] [--port N] [--api-key-file FILE]
 *                   [--tls-cert FILE --tls-key FILE] [--verbose]
 *
 * --listen takes an IPv4 or IPv6 address (default 127.0.0.1; 0.0.0.0 for
 * every address, as the network-namespace tests need). With --tls-cert and
 * --tls-key (PEM files) it serves https/wss only.
 *
 * The key comes from --api-key-file, else from $REALTIME_API_KEY; without
 * either, any key is accepted. Prints one line "listening on URL" once the
 * socket is bound, so a parent process can read the port from it.
 */
#include "rt-server.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static gboolean
on_signal (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_message ("signal received, shutting down");
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

static gchar *
read_key_file (const gchar *path, GError **error)
{
  gchar *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;
  g_strstrip (contents);
  if (*contents == '\0') {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "API key file %s is empty", path);
    g_free (contents);
    return NULL;
  }
  return contents;
}

int
main (int argc, char **argv)
{
  gint port = 0;
  gchar *key_file = NULL;
  gchar *listen_address = NULL;
  gchar *tls_cert = NULL;
  gchar *tls_key = NULL;
  gboolean verbose = FALSE;
  GOptionEntry entries[]
      = { { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen_address,
              "Address to listen on (default 127.0.0.1)", "ADDRESS" },
          { "port", 'p', 0, G_OPTION_ARG_INT, &port,
              "Port to listen on (0 picks a free one)", "N" },
          { "api-key-file", 'k', 0, G_OPTION_ARG_FILENAME, &key_file,
              "File holding the API key clients must present", "FILE" },
          { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert,
              "Serve TLS with this PEM certificate (needs --tls-key)", "FILE" },
          { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key,
              "PEM private key of --tls-cert", "FILE" },
          { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose,
              "Log every frame (never its payload)", NULL },
          { NULL } };
  GOptionContext *options;
  GError *error = NULL;
  gchar *api_key = NULL;
  RtServer *server;
  GMainLoop *loop;
  guint sigint_id, sigterm_id;

  options = g_option_context_new ("- local Supabase Realtime test server");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    g_error_free (error);
    g_option_context_free (options);
    return 2;
  }
  g_option_context_free (options);

  if (port < 0 || port > 65535) {
    g_printerr ("--port must be between 0 and 65535\n");
    return 2;
  }
  if ((tls_cert == NULL) != (tls_key == NULL)) {
    g_printerr ("--tls-cert and --tls-key go together\n");
    return 2;
  }
  /* stdout carries only the "listening on" line a parent process reads;
   * GLib would print debug and info lines there. */
  g_log_writer_default_set_use_stderr (TRUE);
  /* Set before anything logs: the default writer reads it on each call. */
  if (verbose)
    g_setenv ("G_MESSAGES_DEBUG", "rt-server", TRUE);

  if (key_file) {
    api_key = read_key_file (key_file, &error);
    if (!api_key) {
      g_printerr ("%s\n", error->message);
      g_error_free (error);
      g_free (key_file);
      return 2;
    }
  } else if (g_getenv ("REALTIME_API_KEY") && *g_getenv ("REALTIME_API_KEY")) {
    api_key = g_strdup (g_getenv ("REALTIME_API_KEY"));
  }
  g_free (key_file);

  server = rt_server_new_full (listen_address, port, api_key, tls_cert, tls_key,
      &error);
  g_free (tls_cert);
  g_free (tls_key);
  if (!server) {
    g_printerr ("cannot listen on %s port %d: %s\n",
        listen_address ? listen_address : "127.0.0.1", port, error->message);
    g_error_free (error);
    g_free (listen_address);
    g_free (api_key);
    return 1;
  }
  g_free (listen_address);

  printf ("listening on %s\n", rt_server_get_url (server));
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, on_signal, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  rt_server_free (server);
  g_main_loop_unref (loop);
  g_free (api_key);
  return 0;
}

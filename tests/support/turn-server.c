/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * turn-server.c: coturn for the tests (see turn-server.h).
 */
#include "turn-server.h"

#include "test-util.h"

#include <gio/gio.h>
#include <signal.h>
#include <string.h>

#define TURNSERVER "/usr/bin/turnserver"

struct _RtTurnServer
{
  GSubprocess *process;
  gchar *dir;
  gchar *log_path;
  guint port;
};

gboolean
rt_turn_server_available (void)
{
  return g_file_test (TURNSERVER, G_FILE_TEST_IS_EXECUTABLE);
}

static gboolean
accepts (guint port)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) conn = NULL;

  g_socket_client_set_timeout (client, 1);
  conn
      = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);
  return conn != NULL;
}

RtTurnServer *
rt_turn_server_new (const gchar *user, const gchar *password, GError **error)
{
  RtTurnServer *s = g_new0 (RtTurnServer, 1);
  g_autofree gchar *port = NULL;
  g_autofree gchar *cred = g_strdup_printf ("%s:%s", user, password);
  g_autofree gchar *pid = NULL;
  g_autofree gchar *db = NULL;

  s->dir = g_dir_make_tmp ("rt-turn-XXXXXX", error);
  if (!s->dir) {
    g_free (s);
    return NULL;
  }
  s->port = rt_test_free_port ();
  port = g_strdup_printf ("%u", s->port);
  s->log_path = g_build_filename (s->dir, "turn.log", NULL);
  pid = g_build_filename (s->dir, "turn.pid", NULL);
  db = g_build_filename (s->dir, "turndb", NULL);
  s->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
          | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
      error, TURNSERVER, "-n", "--no-cli", "--listening-ip=127.0.0.1",
      "--relay-ip=127.0.0.1", "--listening-port", port, "--lt-cred-mech",
      "--user", cred, "--realm=rtg.test", "--allow-loopback-peers", "--no-tls",
      "--no-dtls", "--no-software-attribute", "--verbose", "--simple-log",
      "--log-file", s->log_path, "--pidfile", pid, "--db", db, NULL);
  if (!s->process) {
    rt_turn_server_free (s);
    return NULL;
  }
  if (!RT_WAIT_UNTIL (accepts (s->port), 10000)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
        "coturn did not listen on 127.0.0.1:%u within 10 s", s->port);
    rt_turn_server_free (s);
    return NULL;
  }
  return s;
}

void
rt_turn_server_free (RtTurnServer *s)
{
  if (!s)
    return;
  if (s->process) {
    g_subprocess_send_signal (s->process, SIGTERM);
    g_subprocess_wait (s->process, NULL, NULL);
    g_object_unref (s->process);
  }
  if (s->dir)
    rt_test_rm_rf (s->dir);
  g_free (s->dir);
  g_free (s->log_path);
  g_free (s);
}

guint
rt_turn_server_get_port (RtTurnServer *s)
{
  return s->port;
}

gchar *
rt_turn_server_dup_uri (RtTurnServer *s, gboolean tcp)
{
  return g_strdup_printf ("turn://127.0.0.1:%u%s", s->port,
      tcp ? "?transport=tcp" : "");
}

guint
rt_turn_server_count_allocations (RtTurnServer *s)
{
  g_autofree gchar *log = NULL;
  const gchar *p;
  guint n = 0;

  if (!g_file_get_contents (s->log_path, &log, NULL, NULL))
    return 0;
  for (p = log; (p = strstr (p, "ALLOCATE processed, success")); p++)
    n++;
  return n;
}

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * test-proxy.c: the client's proxy (issue 13). Without a proxy configured
 * the client connects directly and GIO's proxy modules (libproxy, and
 * libstdc++ with it) are never loaded; with one configured, through the
 * "proxy" property or the environment (https_proxy for wss, http_proxy
 * for ws, all_proxy), the connection goes through it: a tiny HTTP proxy on
 * loopback in this file (CONNECT tunnels, as for wss, and absolute-form
 * requests, as libsoup sends plain ws) counts what it relays. no_proxy and
 * "direct" bypass it; an unusable proxy URL keeps the client from
 * connecting at all rather than around the proxy.
 */
#include "test-util.h"

#include "realtime-channel.h"
#include "realtime-client.h"
#include "rt-server.h"

#include <stdlib.h>
#include <string.h>

/* --- a tiny HTTP proxy on loopback: one thread per direction --- */

typedef struct
{
  GSocketListener *listener;
  GCancellable *cancellable;
  GThread *thread;
  guint16 port;
  gchar *url; /* http://127.0.0.1:PORT */
  gint connects; /* CONNECT requests relayed (atomic) */
  gint absolutes; /* absolute-form requests relayed (atomic) */
  GMutex lock;
  gchar *last_target; /* host:port of the last request */
  gchar *last_head; /* the request head, as received */
  gchar *basic; /* when set, "Proxy-Authorization: Basic <this>" required */
  gint challenges; /* 407 answers sent (atomic) */
} TestProxy;

typedef struct
{
  GIOStream *from;
  GIOStream *to;
} Pipe;

static gpointer
pipe_thread (gpointer data)
{
  Pipe *p = data;
  guint8 buf[16384];
  gssize n;

  while ((n = g_input_stream_read (g_io_stream_get_input_stream (p->from), buf,
              sizeof buf, NULL, NULL))
      > 0)
    if (!g_output_stream_write_all (g_io_stream_get_output_stream (p->to), buf,
            n, NULL, NULL, NULL))
      break;
  /* One side ended: end both, so the other direction's read returns. */
  g_io_stream_close (p->to, NULL, NULL);
  g_io_stream_close (p->from, NULL, NULL);
  g_object_unref (p->from);
  g_object_unref (p->to);
  g_free (p);
  return NULL;
}

static void
splice_both (GIOStream *a, GIOStream *b)
{
  Pipe *ab = g_new0 (Pipe, 1), *ba = g_new0 (Pipe, 1);

  ab->from = g_object_ref (a);
  ab->to = g_object_ref (b);
  ba->from = g_object_ref (b);
  ba->to = g_object_ref (a);
  g_thread_unref (g_thread_new ("proxy-ab", pipe_thread, ab));
  g_thread_unref (g_thread_new ("proxy-ba", pipe_thread, ba));
}

/* Reads the request head, byte by byte (a test: small and simple), up to
 * and including the blank line. */
static gchar *
read_head (GIOStream *conn)
{
  GString *head = g_string_new (NULL);
  gchar c;

  while (head->len < 16384
      && g_input_stream_read (g_io_stream_get_input_stream (conn), &c, 1, NULL,
             NULL)
          == 1) {
    g_string_append_c (head, c);
    if (g_str_has_suffix (head->str, "\r\n\r\n"))
      return g_string_free (head, FALSE);
  }
  g_string_free (head, TRUE);
  return NULL;
}

typedef struct
{
  TestProxy *proxy;
  GSocketConnection *conn;
} Client;

static gpointer
client_thread (gpointer data)
{
  Client *c = data;
  TestProxy *proxy = c->proxy;
  GIOStream *down = G_IO_STREAM (c->conn);
  g_autofree gchar *head = NULL;
  g_auto (GStrv) words = NULL;
  g_autofree gchar *target = NULL;
  g_autofree gchar *forward = NULL;
  g_autoptr (GSocketClient) sc = g_socket_client_new ();
  g_autoptr (GSocketConnection) up = NULL;
  gboolean is_connect;
  gchar *eol;

  g_free (c);
  /* Requests without the credentials asked for get a 407 challenge; the
   * client answers on the same connection. */
  for (;;) {
    g_autofree gchar *want = NULL;
    const gchar *challenge = "HTTP/1.1 407 Proxy Authentication Required\r\n"
                             "Proxy-Authenticate: Basic realm=\"test\"\r\n"
                             "Content-Length: 0\r\n\r\n";

    g_free (head);
    head = read_head (down);
    if (!head)
      goto out;
    if (!proxy->basic)
      break;
    want = g_strdup_printf ("\r\nProxy-Authorization: Basic %s\r\n",
        proxy->basic);
    if (strstr (head, want))
      break;
    g_atomic_int_inc (&proxy->challenges);
    if (!g_output_stream_write_all (g_io_stream_get_output_stream (down),
            challenge, strlen (challenge), NULL, NULL, NULL))
      goto out;
  }
  eol = strstr (head, "\r\n");
  *eol = '\0';
  words = g_strsplit (head, " ", 3);
  *eol = '\r';
  if (g_strv_length (words) != 3)
    goto out;
  is_connect = strcmp (words[0], "CONNECT") == 0;
  if (is_connect) {
    target = g_strdup (words[1]);
  } else if (g_str_has_prefix (words[1], "http://")
      || g_str_has_prefix (words[1], "ws://")) {
    /* GET ws://host:port/path HTTP/1.1 -> GET /path HTTP/1.1: libsoup
     * writes a plain ws:// upgrade to an HTTP proxy in absolute form with
     * the ws scheme (a proxy that only knows http:// refuses it; wss goes
     * through CONNECT). */
    const gchar *hostport = strstr (words[1], "://") + 3;
    const gchar *path = strchr (hostport, '/');

    if (!path)
      goto out;
    target = g_strndup (hostport, path - hostport);
    /* the request line rebuilt, then the rest of the head verbatim */
    forward = g_strdup_printf ("%s %s %.*s%s", words[0], path,
        (int)strcspn (words[2], "\r"), words[2], eol);
  } else {
    goto out;
  }
  g_mutex_lock (&proxy->lock);
  g_free (proxy->last_target);
  proxy->last_target = g_strdup (target);
  g_free (proxy->last_head);
  proxy->last_head = g_strdup (head);
  g_mutex_unlock (&proxy->lock);

  up = g_socket_client_connect_to_host (sc, target, 80, NULL, NULL);
  if (!up) {
    const gchar *no = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n";
    g_output_stream_write_all (g_io_stream_get_output_stream (down), no,
        strlen (no), NULL, NULL, NULL);
    goto out;
  }
  if (is_connect) {
    const gchar *ok = "HTTP/1.1 200 Connection established\r\n\r\n";

    g_atomic_int_inc (&proxy->connects);
    if (!g_output_stream_write_all (g_io_stream_get_output_stream (down), ok,
            strlen (ok), NULL, NULL, NULL))
      goto out;
  } else {
    g_atomic_int_inc (&proxy->absolutes);
    if (!g_output_stream_write_all (g_io_stream_get_output_stream (
                                        G_IO_STREAM (up)),
            forward, strlen (forward), NULL, NULL, NULL))
      goto out;
  }
  splice_both (down, G_IO_STREAM (up));
out:
  g_object_unref (down);
  return NULL;
}

static gpointer
accept_thread (gpointer data)
{
  TestProxy *proxy = data;
  GSocketConnection *conn;

  while ((conn = g_socket_listener_accept (proxy->listener, NULL,
              proxy->cancellable, NULL))) {
    Client *c = g_new0 (Client, 1);

    c->proxy = proxy;
    c->conn = conn;
    g_thread_unref (g_thread_new ("proxy-client", client_thread, c));
  }
  return NULL;
}

static TestProxy *
test_proxy_new (void)
{
  TestProxy *proxy = g_new0 (TestProxy, 1);

  g_mutex_init (&proxy->lock);
  proxy->listener = g_socket_listener_new ();
  proxy->cancellable = g_cancellable_new ();
  proxy->port = rt_test_listen_loopback (proxy->listener);
  proxy->url = g_strdup_printf ("http://127.0.0.1:%u", proxy->port);
  proxy->thread = g_thread_new ("proxy-accept", accept_thread, proxy);
  return proxy;
}

static void
test_proxy_free (TestProxy *proxy)
{
  g_cancellable_cancel (proxy->cancellable);
  g_thread_join (proxy->thread);
  g_socket_listener_close (proxy->listener);
  g_object_unref (proxy->listener);
  g_object_unref (proxy->cancellable);
  /* Relay threads end with their sockets; they hold no pointer to us. */
  g_free (proxy->last_target);
  g_free (proxy->last_head);
  g_free (proxy->basic);
  g_free (proxy->url);
  g_mutex_clear (&proxy->lock);
  g_free (proxy);
}

static gchar *
proxy_dup_target (TestProxy *proxy)
{
  gchar *t;

  g_mutex_lock (&proxy->lock);
  t = g_strdup (proxy->last_target);
  g_mutex_unlock (&proxy->lock);
  return t;
}

/* --- the client --- */

static RtServer *server;
static TestProxy *proxy;

static void
clear_proxy_env (void)
{
  static const gchar *const names[]
      = { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
          "ALL_PROXY", "no_proxy", "NO_PROXY", NULL };
  guint i;

  for (i = 0; names[i]; i++)
    g_unsetenv (names[i]);
}

static void
setup (void)
{
  GError *error = NULL;

  clear_proxy_env ();
  server = rt_server_new (0, RT_TEST_API_KEY, &error);
  g_assert_no_error (error);
  proxy = test_proxy_new ();
  rt_test_clear_logs ();
}

static void
setup_tls (void)
{
  GError *error = NULL;
  g_autofree gchar *cert = rt_test_tls_file ("server.pem");
  g_autofree gchar *key = rt_test_tls_file ("server-key.pem");

  clear_proxy_env ();
  fail_unless (g_tls_backend_supports_tls (g_tls_backend_get_default ()),
      "GIO has no TLS backend: install glib-networking");
  server = rt_server_new_tls (0, RT_TEST_API_KEY, cert, key, &error);
  g_assert_no_error (error);
  proxy = test_proxy_new ();
  rt_test_clear_logs ();
}

static void
teardown (void)
{
  g_clear_pointer (&server, rt_server_free);
  rt_test_run_for (20);
  g_clear_pointer (&proxy, test_proxy_free);
  clear_proxy_env ();
}

static RealtimeClient *
new_client (const gchar *url, const gchar *proxy_setting)
{
  g_autofree gchar *ca
      = g_str_has_prefix (url, "https:") ? rt_test_tls_file ("ca.pem") : NULL;

  return g_object_new (REALTIME_TYPE_CLIENT, "url", url, "api-key",
      RT_TEST_API_KEY, "ca-file", ca, "proxy", proxy_setting,
      "heartbeat-interval", 500, "join-timeout", 1000, "backoff-min", 20,
      "backoff-max", 200, NULL);
}

static gboolean
is_joined (RealtimeChannel *ch)
{
  return realtime_channel_get_state (ch) == REALTIME_CHANNEL_STATE_JOINED;
}

static void
count_broadcast (RealtimeChannel *ch, const gchar *event, JsonNode *payload,
    gpointer data)
{
  (*(guint *)data)++;
}

/* Joins "proxied" through @client and receives one broadcast on it, with
 * bounded waits. */
static void
join_and_receive (RealtimeClient *client)
{
  RealtimeChannel *ch = realtime_client_channel (client, "proxied");
  guint got = 0;

  g_signal_connect (ch, "broadcast", G_CALLBACK (count_broadcast), &got);
  realtime_channel_subscribe (ch);
  realtime_client_connect (client);
  fail_unless (RT_WAIT_UNTIL (is_joined (ch), 10000), "never joined");
  rt_server_broadcast (server, "realtime:proxied", "hello", "{\"n\":1}");
  fail_unless (RT_WAIT_UNTIL (got == 1, 5000), "broadcast not received");
  g_signal_handlers_disconnect_by_data (ch, &got);
}

static gboolean
maps_contain (const gchar *needle)
{
  g_autofree gchar *maps = NULL;

  fail_unless (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  return strstr (maps, needle) != NULL;
}

static gchar *
server_hostport (void)
{
  return g_strdup_printf ("127.0.0.1:%u", rt_server_get_port (server));
}

GST_START_TEST (test_no_proxy_direct_and_no_modules)
{
  RealtimeClient *client = new_client (rt_server_get_url (server), NULL);

  join_and_receive (client);
  fail_unless_equals_int (g_atomic_int_get (&proxy->connects)
          + g_atomic_int_get (&proxy->absolutes),
      0);
  /* GIO's default resolver was never asked for: none of its proxy modules
   * (libproxy is C++) is in the process. */
  fail_if (maps_contain ("libgiolibproxy"), "libgiolibproxy was loaded");
  fail_if (maps_contain ("libgiognomeproxy"), "libgiognomeproxy was loaded");
  fail_if (maps_contain ("libproxy.so"), "libproxy was loaded");
  g_object_unref (client);
}
GST_END_TEST;

GST_START_TEST (test_setting_proxy_plain)
{
  RealtimeClient *client = new_client (rt_server_get_url (server), proxy->url);
  g_autofree gchar *target = NULL;
  g_autofree gchar *expected = server_hostport ();

  join_and_receive (client);
  /* libsoup sends a plain ws:// upgrade to an HTTP proxy in absolute
   * form. */
  fail_unless_equals_int (g_atomic_int_get (&proxy->absolutes), 1);
  target = proxy_dup_target (proxy);
  fail_unless_equals_string (target, expected);
  fail_unless_equals_int (rt_server_get_n_accepted (server), 1);
  /* Logged without anything but scheme, host and port. */
  fail_unless (rt_test_count_logs (proxy->url) > 0, "proxy not logged");
  g_object_unref (client);
}
GST_END_TEST;

GST_START_TEST (test_env_proxy_tls_connect)
{
  /* wss: https_proxy, through a CONNECT tunnel; credentials in the URL
   * are never logged. */
  g_autofree gchar *with_user
      = g_strdup_printf ("http://user:pr0xy-5ecret@127.0.0.1:%u", proxy->port);
  RealtimeClient *client;
  g_autofree gchar *target = NULL;
  g_autofree gchar *expected = server_hostport ();
  g_autofree gchar *head = NULL;

  /* base64 ("user:pr0xy-5ecret") */
  proxy->basic = g_strdup ("dXNlcjpwcjB4eS01ZWNyZXQ=");
  g_setenv ("https_proxy", with_user, TRUE);
  g_setenv ("http_proxy", "http://127.0.0.1:1", TRUE); /* not for wss */
  client = new_client (rt_server_get_url (server), NULL);
  join_and_receive (client);
  fail_unless_equals_int (g_atomic_int_get (&proxy->connects), 1);
  target = proxy_dup_target (proxy);
  fail_unless_equals_string (target, expected);
  g_mutex_lock (&proxy->lock);
  head = g_strdup (proxy->last_head);
  g_mutex_unlock (&proxy->lock);
  /* The proxy challenged, and the credentials of the URL answered. */
  fail_unless (g_atomic_int_get (&proxy->challenges) >= 1);
  fail_unless (g_str_has_prefix (head, "CONNECT "), "not a CONNECT");
  fail_unless_equals_int (rt_test_count_logs ("pr0xy-5ecret"), 0);
  fail_unless (rt_test_count_logs ("from https_proxy") > 0,
      "the proxy's source not logged");
  g_object_unref (client);
}
GST_END_TEST;

GST_START_TEST (test_env_all_proxy_plain)
{
  RealtimeClient *client;

  g_setenv ("all_proxy", proxy->url, TRUE);
  g_setenv ("https_proxy", "http://127.0.0.1:1", TRUE); /* not for ws */
  client = new_client (rt_server_get_url (server), NULL);
  join_and_receive (client);
  fail_unless_equals_int (g_atomic_int_get (&proxy->absolutes), 1);
  g_object_unref (client);
}
GST_END_TEST;

GST_START_TEST (test_no_proxy_and_direct_bypass)
{
  RealtimeClient *client;

  /* no_proxy names the server: direct. */
  g_setenv ("http_proxy", proxy->url, TRUE);
  g_setenv ("no_proxy", "example.org, 127.0.0.1", TRUE);
  client = new_client (rt_server_get_url (server), NULL);
  join_and_receive (client);
  g_object_unref (client);
  /* "direct" wins over the environment. */
  g_unsetenv ("no_proxy");
  client = new_client (rt_server_get_url (server), "direct");
  join_and_receive (client);
  g_object_unref (client);
  fail_unless_equals_int (g_atomic_int_get (&proxy->connects)
          + g_atomic_int_get (&proxy->absolutes),
      0);
  fail_unless_equals_int (rt_server_get_n_accepted (server), 2);
}
GST_END_TEST;

static void
on_state (RealtimeClient *client, RealtimeClientState state,
    const gchar *reason, gpointer data)
{
  GPtrArray *states = data;

  g_ptr_array_add (states, g_strdup (reason));
}

GST_START_TEST (test_unusable_proxy_never_connects)
{
  RealtimeClient *client
      = new_client (rt_server_get_url (server), "ftp://127.0.0.1:21");
  RealtimeChannel *ch = realtime_client_channel (client, "proxied");
  GPtrArray *states = g_ptr_array_new_with_free_func (g_free);
  guint i, proxy_reasons = 0;

  g_signal_connect (client, "state-changed", G_CALLBACK (on_state), states);
  realtime_channel_subscribe (ch);
  realtime_client_connect (client);
  /* It does not go around the proxy: no socket reaches the server while it
   * keeps retrying (an operator can fix the setting), and it says why. */
  fail_unless (RT_WAIT_UNTIL (rt_test_count_logs ("proxy") >= 2, 5000),
      "the unusable proxy was not logged");
  rt_test_run_for (500);
  fail_if (is_joined (ch));
  fail_unless_equals_int (rt_server_get_n_accepted (server), 0);
  fail_unless (rt_test_count_logs ("not usable") > 0, "not logged");
  for (i = 0; i < states->len; i++)
    proxy_reasons += strstr (states->pdata[i], "connect") != NULL;
  fail_unless_equals_int (proxy_reasons, 0);
  g_signal_handlers_disconnect_by_data (client, states);
  g_object_unref (client);
  g_ptr_array_unref (states);
}
GST_END_TEST;

/* What settings check before a client exists: the same rule. */
GST_START_TEST (test_check_proxy)
{
  GError *error = NULL;

  fail_unless (realtime_client_check_proxy (NULL, NULL));
  fail_unless (realtime_client_check_proxy ("", NULL));
  fail_unless (realtime_client_check_proxy ("direct", NULL));
  fail_unless (realtime_client_check_proxy ("proxy.example:3128", NULL));
  fail_unless (realtime_client_check_proxy ("socks5://127.0.0.1:1080", NULL));
  fail_unless (realtime_client_check_proxy ("http://u:p@h:1", NULL));
  fail_if (realtime_client_check_proxy ("ftp://u:s3cret@h:21", &error));
  fail_unless (g_str_has_prefix (error->message, "proxy: "), "%s",
      error->message);
  fail_if (strstr (error->message, "s3cret"), "credentials in the error");
  g_clear_error (&error);
  fail_if (realtime_client_check_proxy ("http://", &error));
  g_clear_error (&error);
}
GST_END_TEST;

static Suite *
proxy_suite (void)
{
  Suite *s = suite_create ("proxy");
  TCase *tc = tcase_create ("plain");
  TCase *tls = tcase_create ("tls");

  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_no_proxy_direct_and_no_modules);
  tcase_add_test (tc, test_setting_proxy_plain);
  tcase_add_test (tc, test_env_all_proxy_plain);
  tcase_add_test (tc, test_no_proxy_and_direct_bypass);
  tcase_add_test (tc, test_unusable_proxy_never_connects);
  tcase_add_test (tc, test_check_proxy);
  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tls, setup_tls, teardown);
  tcase_add_test (tls, test_env_proxy_tls_connect);
  suite_add_tcase (s, tls);
  return s;
}

RT_TEST_MAIN (proxy)

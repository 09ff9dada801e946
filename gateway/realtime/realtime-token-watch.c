/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-token-watch.c: an access-token file followed with a
 * GFileMonitor. Writers save in several steps (truncate, write, or a
 * temporary file renamed over the old one), so every event restarts a
 * short timer and the file is read once it has been quiet. When the server
 * says the token expired, the file is read at once: a renewal the monitor
 * missed (or that is still being debounced) is not waited for.
 */
#include "realtime-token-watch.h"

#include "owned-source.h"
#include "realtime-private.h"
#include "secret-file.h"

#define DEBOUNCE_MS 100

struct _RealtimeTokenWatch
{
  RealtimeClient *client; /* owned */
  gchar *path; /* resolved */
  GMainContext *context; /* owned: where the timer runs */
  GFileMonitor *monitor; /* owned, nullable: the file could not be watched */
  gulong changed_id;
  gulong expired_id; /* the client's "token-expired" */
  GSource *debounce; /* owned, nullable: armed by a change */
};

static void
reload (RealtimeTokenWatch *watch)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GatewaySecret) token = NULL;
  guint generation;

  token = gateway_secret_file_read (watch->path, &error);
  if (!token) {
    /* The message names the file, never its contents. */
    g_warning ("access-token-file: %s; keeping the current token",
        error->message);
    return;
  }
  generation = _realtime_client_get_token_generation (watch->client);
  realtime_client_set_access_token (watch->client, token);
  if (_realtime_client_get_token_generation (watch->client) != generation)
    g_message ("access token reloaded from %s", watch->path);
  else
    g_info ("access-token-file %s holds the token already in use", watch->path);
}

static void
on_token_expired (RealtimeClient *client, gpointer user_data)
{
  RealtimeTokenWatch *watch = user_data;

  owned_source_clear (&watch->debounce);
  reload (watch);
}

static gboolean
on_debounced (gpointer data)
{
  RealtimeTokenWatch *watch = data;

  g_clear_pointer (&watch->debounce, g_source_unref);
  reload (watch);
  return G_SOURCE_REMOVE;
}

static void
on_file_changed (GFileMonitor *monitor, GFile *file, GFile *other,
    GFileMonitorEvent event, gpointer user_data)
{
  RealtimeTokenWatch *watch = user_data;

  switch (event) {
    case G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT:
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
    case G_FILE_MONITOR_EVENT_RENAMED:
    case G_FILE_MONITOR_EVENT_CHANGED:
      break;
    default:
      return;
  }
  owned_source_clear (&watch->debounce);
  watch->debounce = owned_source_timeout_attach (watch->context, DEBOUNCE_MS,
      on_debounced, watch);
}

/**
 * realtime_token_watch_new:
 * @client: the client that gets every new token (a reference is taken)
 * @path: the access-token file, resolved as secret files are
 *
 * Starts watching @path on the thread-default main context. The caller
 * has already set the first token (realtime_settings_make_client() does).
 * When the file cannot be watched, that is logged and the current token
 * stays; the watch is returned all the same.
 *
 * Returns: (transfer full): the watch; free it with
 * realtime_token_watch_free().
 */
RealtimeTokenWatch *
realtime_token_watch_new (RealtimeClient *client, const gchar *path)
{
  RealtimeTokenWatch *watch;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (REALTIME_IS_CLIENT (client), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  watch = g_new0 (RealtimeTokenWatch, 1);
  watch->client = g_object_ref (client);
  watch->path = gateway_secret_file_resolve (path);
  watch->context = g_main_context_ref_thread_default ();
  file = g_file_new_for_path (watch->path);
  /* WATCH_MOVES: a token renewed by renaming a new file over the old one
   * arrives as RENAMED or MOVED_IN, not as a change. */
  watch->monitor
      = g_file_monitor_file (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (watch->monitor)
    watch->changed_id = g_signal_connect (watch->monitor, "changed",
        G_CALLBACK (on_file_changed), watch);
  else
    g_warning ("access-token-file: cannot watch %s: %s; a renewed token "
               "is read only when the server says the token expired",
        watch->path, error->message);
  watch->expired_id = g_signal_connect (client, "token-expired",
      G_CALLBACK (on_token_expired), watch);
  return watch;
}

/**
 * realtime_token_watch_free:
 * @watch: (nullable): the watch
 *
 * Stops watching: the monitor, its handler and a pending reload go with
 * it, and the client's reference is dropped.
 */
void
realtime_token_watch_free (RealtimeTokenWatch *watch)
{
  if (!watch)
    return;
  if (watch->monitor) {
    g_clear_signal_handler (&watch->changed_id, watch->monitor);
    g_file_monitor_cancel (watch->monitor);
    g_clear_object (&watch->monitor);
  }
  g_clear_signal_handler (&watch->expired_id, watch->client);
  owned_source_clear (&watch->debounce);
  g_main_context_unref (watch->context);
  g_clear_object (&watch->client);
  g_free (watch->path);
  g_free (watch);
}

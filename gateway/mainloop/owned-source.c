/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * owned-source.c: attaching a timeout or an idle callback to a context
 * and clearing it again, for sources kept in a struct field (see
 * owned-source.h).
 */
#include "owned-source.h"

/**
 * owned_source_timeout_attach:
 * @context: (nullable): where @func runs; %NULL for the global default
 * @ms: the interval in milliseconds
 * @func: the callback; G_SOURCE_REMOVE makes it one-shot
 * @data: (closure): passed to @func, not owned
 *
 * Returns: (transfer full): the attached source; clear it with
 *   owned_source_clear().
 */
GSource *
owned_source_timeout_attach (GMainContext *context, guint ms, GSourceFunc func,
    gpointer data)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, context);
  return source;
}

/**
 * owned_source_idle_attach:
 * @context: (nullable): where @func runs; %NULL for the global default
 * @priority: the source's priority, e.g. %G_PRIORITY_DEFAULT_IDLE
 * @func: the callback
 * @data: (closure): passed to @func
 * @notify: (nullable): frees @data when the source goes
 *
 * Returns: (transfer full): the attached source; clear it with
 *   owned_source_clear().
 */
GSource *
owned_source_idle_attach (GMainContext *context, gint priority,
    GSourceFunc func, gpointer data, GDestroyNotify notify)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, priority);
  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, context);
  return source;
}

/**
 * owned_source_clear:
 * @source: (inout) (nullable): the field holding a source, or %NULL
 *
 * Destroys the source in *@source, if any, drops the field's reference
 * and sets the field to %NULL.
 */
void
owned_source_clear (GSource **source)
{
  if (*source) {
    g_source_destroy (*source);
    g_clear_pointer (source, g_source_unref);
  }
}

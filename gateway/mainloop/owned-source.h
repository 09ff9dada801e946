/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * owned-source.h: a GSource attached to a GMainContext and owned by one
 * struct field, which holds the reference and is the one place that
 * destroys it. Shared by every room of the core.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

GSource *owned_source_timeout_attach (GMainContext *context, guint ms,
    GSourceFunc func, gpointer data);
GSource *owned_source_idle_attach (GMainContext *context, gint priority,
    GSourceFunc func, gpointer data, GDestroyNotify notify);
void owned_source_clear (GSource **source);

G_END_DECLS

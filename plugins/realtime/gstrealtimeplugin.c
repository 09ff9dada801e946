/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gstrealtimeplugin.c: the "realtime" plugin: realtimesrc, a live source
 * bin started and stopped by broadcasts on a Supabase Realtime channel.
 */
#include "gstrealtimeelements.h"

static gboolean
plugin_init (GstPlugin *plugin)
{
  return GST_ELEMENT_REGISTER (realtimesrc, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, realtime,
    "Video sources started and stopped from a Supabase Realtime channel",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gstrealtimeelements.h: the elements of the "realtime" plugin.
 */
#pragma once

#include <gst/gst.h>

GST_ELEMENT_REGISTER_DECLARE (realtimesrc);

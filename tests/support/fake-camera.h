/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fake-camera.h: "rtfakecamera", a GstPushSrc that behaves like a camera
 * for the tests. It opens its "device" in GstBaseSrc::start and closes it
 * in stop (READY <-> PAUSED; with open-in-ready NULL <-> READY, as
 * v4l2src does), and counts both process-wide,
 * so a test sees whether a source it never holds (one realtimesrc builds
 * from its "source" string, one a daemon pipeline parses) was opened and
 * released. Its faults are properties, settable from a launch string:
 *
 *   is-live      (boolean, TRUE) live: frame n is pushed at the end of its
 *                [n*d, (n+1)*d) of running time on the pipeline clock, like
 *                a camera; not live: as fast as downstream takes them
 *   fail-open    (boolean, FALSE) start fails with RESOURCE/BUSY "Device is
 *                busy (on purpose)", like a camera another process holds
 *   error-after  (int, -1) after this many frames, post RESOURCE/READ
 *                "Camera failed (on purpose)" and return GST_FLOW_ERROR
 *                (-1: never)
 *   num-buffers  (GstBaseSrc's own) end with EOS after this many frames
 *   block        (boolean, FALSE) never produce a frame: create waits until
 *                the source is unlocked (flush or stop), like a camera
 *                that hangs
 *   open-in-ready (boolean, FALSE) hold the device from NULL -> READY to
 *                READY -> NULL instead (v4l2src's way): a pipeline kept in
 *                READY keeps it open
 *
 * and targets for params, each recorded process-wide when set (see
 * rt_fake_camera_get_sets()): "level" (int 0..1000, 0), "label" (string),
 * "pattern" (string, "smpte"), "bitrate" (uint 1.., 2000) and "location"
 * (string): the names of the shipped test-pattern-file definition's params.
 *
 * Frames are GRAY8 16x16 at 50/1 (RT_FAKE_CAMERA_CAPS), byte value the frame
 * number modulo 256, PTS n * RT_FAKE_CAMERA_FRAME_DURATION from the first
 * frame's running time (live) or from 0 (not live), OFFSET n; the latency
 * query answers one frame.
 */
#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define RT_FAKE_CAMERA_CAPS                                                    \
  "video/x-raw, format=(string)GRAY8, width=(int)16, height=(int)16, "         \
  "framerate=(fraction)50/1, pixel-aspect-ratio=(fraction)1/1, "               \
  "interlace-mode=(string)progressive"
#define RT_FAKE_CAMERA_FRAME_DURATION (GST_SECOND / 50)

#define RT_TYPE_FAKE_CAMERA (rt_fake_camera_get_type ())
G_DECLARE_FINAL_TYPE (RtFakeCamera, rt_fake_camera, RT, FAKE_CAMERA, GstPushSrc)

/* Registers the element factory "rtfakecamera" in this process (no plugin
 * file; gst_parse and realtimesrc's "source" find it by name). Safe to
 * call more than once, and outside a test (while building the suite);
 * aborts if GStreamer refuses. */
void rt_fake_camera_register (void);

/* Process-wide counts, safe from any thread. */
/* Instances alive now (constructed, not yet finalized). */
gint rt_fake_camera_get_instances (void);
/* Successful opens (start) and closes (stop of an open device) since the
 * last rt_fake_camera_reset(). */
gint rt_fake_camera_get_opens (void);
gint rt_fake_camera_get_closes (void);
/* Instances whose device is open now (started and not yet stopped). */
gint rt_fake_camera_get_open_now (void);
/* Times @property (a params target above) was set on any instance since
 * the last reset. */
guint rt_fake_camera_get_sets (const gchar *property);
/* The last value set to @property on any instance since the last reset, as
 * text ("42", "smpte"); %NULL when never set (or set to %NULL). */
gchar *rt_fake_camera_dup_last_value (const gchar *property);
/* Zeroes opens, closes and the params record; instances and open_now
 * describe the present and are left alone. Call it in a fixture's setup. */
void rt_fake_camera_reset (void);

G_END_DECLS

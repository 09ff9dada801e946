/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * gstrealtimebranch.h: the bin-branch runner of realtimesrc, an
 * OnDemandRunner (ondemand-runner.h). A run is an inner source bin built
 * from a description, added to the element's bin (so it gets the bin's
 * clock and base time) and fed to its ghost "src" pad; while nothing runs,
 * black frames may take its place (idle=black). Every change of the
 * bin's children happens on one worker thread of the runner: never on a
 * streaming thread, never on the controller's context.
 */
#pragma once

#include <gst/gst.h>

#include "ondemand-runner.h"

G_BEGIN_DECLS

#define GST_TYPE_REALTIME_BRANCH (gst_realtime_branch_get_type ())
G_DECLARE_FINAL_TYPE (GstRealtimeBranch, gst_realtime_branch, GST,
    REALTIME_BRANCH, GObject)

/* A runner feeding @ghost (a ghost pad of @bin, which must outlive
 * gst_realtime_branch_close()) with @description and @params
 * (GatewayParam*, a reference is taken), both checked here: a description
 * that does not build or a param without its target is an error. A
 * description may end in caps as people write them ("v4l2src !
 * video/x-raw,width=640"): a capsfilter is put after them. Notifications go
 * to the caller's thread-default context. */
GstRealtimeBranch *gst_realtime_branch_new (GstBin *bin, GstPad *ghost,
    const gchar *description, GPtrArray *params, GError **error);

/* Shows black frames while nothing runs, from now on: the last caps, at
 * @fps_n/@fps_d or their rate when lower; a warning if none can be made. */
void
gst_realtime_branch_show_idle (GstRealtimeBranch *self, gint fps_n, gint fps_d);

/* The application sent EOS (any thread): from now on the inner source's
 * EOS goes downstream, no idle frames are shown, starts fail, and a run
 * that stops is followed by an EOS on the ghost pad. */
void gst_realtime_branch_set_ending (GstRealtimeBranch *self);

/* An error message from @source (any thread: the bin's handle_message):
 * TRUE when it comes from one of the runner's branches; the run fails
 * ("run-failed" with @reason) or the idle frames stop. */
gboolean gst_realtime_branch_handle_error (GstRealtimeBranch *self,
    GstObject *source, const gchar *reason);

/* Waits for the operation in flight, then removes every branch (NULL
 * first: a camera is released); nothing is notified any more. */
void gst_realtime_branch_close (GstRealtimeBranch *self);

G_END_DECLS

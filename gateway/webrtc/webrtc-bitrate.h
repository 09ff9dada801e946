/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-bitrate.h: the rule the encoder's bitrate follows, per viewer
 * session, from the viewer's RTCP receiver reports (as webrtcbin's
 * "get-stats" gives them: fraction lost, round-trip time) and its
 * retransmission requests, once a second. No GStreamer here: a pure
 * state machine.
 *
 * Each second's loss (webrtc_bitrate_sample_loss()) is the larger of the
 * last receiver report's fraction lost and the retransmission requests
 * (NACKed packets) per packet sent over the second. A receiver also asks
 * for packets that are merely late (a jitter buffer's NACK for an
 * expected packet whose timer ran out): on a clean link, in bursts of up
 * to about 10 % of a second's packets on a loaded host, or a steady one or
 * two a second, which at a low bitrate alone is above 2 % and would keep
 * the target from climbing back. Late packets arrive and are never
 * counted lost, so the requests count only
 *   - within 15 s (WEBRTC_BITRATE_EVIDENCE_SAMPLES) of a sign of loss
 *     from the viewer: a report with a fraction lost above zero or a
 *     cumulative packets-lost grown since the previous second, or a
 *     key-frame request (PLI, FIR: a picture it could not decode).
 *     Retransmissions repair most loss before a report is made, so at
 *     5 % loss such a sign comes only every few seconds; or
 *   - when they are 15 % of the packets or more
 *     (WEBRTC_BITRATE_REQUESTS_ALONE), more than lateness explains (a
 *     viewer close by may repair everything before it reports, or report
 *     seldom: its reports then show no loss).
 * The first 3 s of a session (WEBRTC_BITRATE_START_SAMPLES) count as no
 * loss: a viewer that starts asks for the packets before its first one
 * and for a key frame.
 * The requests undercount the loss (a request lost on the way back is
 * never seen; retransmissions are among the packets sent): 5 % loss each
 * way reads as about 4 % a second, give or take 1.5 at 1000 kbit/s. So
 * "bad" starts at 3 %, for 5 % loss to be judged bad nearly every second.
 *
 * Per session, each report is
 *   bad   when the loss is >= 3 % (WEBRTC_BITRATE_LOSS_HIGH),
 *   good  when it is < 2 % (LOSS_LOW) and the round-trip time is below
 *         750 ms (RTT_HIGH; an unknown RTT counts as below),
 *   else neutral (and the counts of bad and good reports in a row restart).
 * Two bad reports in a row (sustained loss, 2 s) step the session's target
 * down to 70 % (never below the definition's min-bitrate); then again
 * after every two more. Three good reports in a row step it up by 15 %
 * (never above max-bitrate); then again after every three more. So a
 * session at 2000 kbit/s under steady 5 % loss reaches 1400 within 2 s,
 * 980 within 4 s; once the loss clears it climbs back by 15 % every 3 s.
 *
 * With several viewers of one encoder the pipeline's target is the lowest
 * of its watching sessions' targets: the slowest viewer that is still
 * within bounds decides (a session pinned at min-bitrate cannot push the
 * others lower than that). With [webrtc] encoder-per-viewer=true each
 * session has an encoder of its own, which runs at that session's target
 * alone: a slow viewer lowers no one else's bitrate.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WEBRTC_BITRATE_LOSS_HIGH 0.03
#define WEBRTC_BITRATE_LOSS_LOW 0.02
#define WEBRTC_BITRATE_RTT_HIGH_S 0.75
#define WEBRTC_BITRATE_BAD_REPORTS 2
#define WEBRTC_BITRATE_GOOD_REPORTS 3
#define WEBRTC_BITRATE_DOWN 0.70
#define WEBRTC_BITRATE_UP 1.15
#define WEBRTC_BITRATE_EVIDENCE_SAMPLES 15
#define WEBRTC_BITRATE_REQUESTS_ALONE 0.15
#define WEBRTC_BITRATE_START_SAMPLES 3

typedef struct
{
  guint target_kbps;
  guint min_kbps;
  guint max_kbps;
  guint bad_in_row;
  guint good_in_row;
  guint evidence_left; /* samples during which requests count as loss */
  guint samples; /* taken so far, up to START_SAMPLES */
  guint steps_down; /* since the start, for figures and tests */
  guint steps_up;
} WebrtcBitrate;

/* Starts at @start_kbps, clamped to [@min_kbps, @max_kbps]. */
void webrtc_bitrate_init (WebrtcBitrate *b, guint start_kbps, guint min_kbps,
    guint max_kbps);

/* The loss one sample (one a second) stands for, see above:
 * @fraction_lost from the last receiver report (0 without one),
 * @nack_loss the retransmission requests per packet sent since the
 * previous sample, @lost_grew whether the viewer showed loss since the
 * previous sample (its cumulative packets-lost grew, or it asked for a
 * key frame). */
gdouble webrtc_bitrate_sample_loss (WebrtcBitrate *b, gdouble fraction_lost,
    gdouble nack_loss, gboolean lost_grew);

/* One receiver report: @fraction_lost 0..1, @rtt_s seconds (negative:
 * unknown). Returns TRUE when the target changed. */
gboolean
webrtc_bitrate_report (WebrtcBitrate *b, gdouble fraction_lost, gdouble rtt_s);

G_END_DECLS

/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * webrtc-bitrate.c: the bitrate rule (see webrtc-bitrate.h).
 */
#include "webrtc-bitrate.h"

static guint
clamp (const WebrtcBitrate *b, gdouble kbps)
{
  if (kbps < b->min_kbps)
    return b->min_kbps;
  if (kbps > b->max_kbps)
    return b->max_kbps;
  return (guint)kbps;
}

/**
 * webrtc_bitrate_init:
 * @b: the rule's state
 * @start_kbps: the first target
 * @min_kbps: the lowest target
 * @max_kbps: the highest target
 */
void
webrtc_bitrate_init (WebrtcBitrate *b, guint start_kbps, guint min_kbps,
    guint max_kbps)
{
  b->min_kbps = MIN (min_kbps, max_kbps);
  b->max_kbps = max_kbps;
  b->target_kbps = clamp (b, start_kbps);
  b->bad_in_row = b->good_in_row = 0;
  b->evidence_left = b->samples = 0;
  b->steps_down = b->steps_up = 0;
}

/**
 * webrtc_bitrate_sample_loss:
 * @b: the rule's state
 * @fraction_lost: from the last receiver report, 0..1 (0 without one)
 * @nack_loss: retransmission requests per packet sent since the last sample
 * @lost_grew: whether the viewer showed loss meanwhile (its cumulative
 *   packets-lost grew, or it asked for a key frame)
 *
 * Returns: the loss the sample stands for, 0..1
 */
gdouble
webrtc_bitrate_sample_loss (WebrtcBitrate *b, gdouble fraction_lost,
    gdouble nack_loss, gboolean lost_grew)
{
  gdouble loss = MAX (fraction_lost, 0);

  if (b->samples < WEBRTC_BITRATE_START_SAMPLES) {
    b->samples++;
    return 0;
  }
  /* Requests for packets the viewer never counted lost may have been for
   * late ones: they count only close to a report that shows loss, or when
   * they are too many for that. */
  if (lost_grew || loss > 0)
    b->evidence_left = WEBRTC_BITRATE_EVIDENCE_SAMPLES;
  else if (b->evidence_left > 0)
    b->evidence_left--;
  if (b->evidence_left > 0 || nack_loss >= WEBRTC_BITRATE_REQUESTS_ALONE)
    loss = MAX (loss, MIN (nack_loss, 1.0));
  return loss;
}

/**
 * webrtc_bitrate_report:
 * @b: the rule's state
 * @fraction_lost: from the latest receiver report, 0..1
 * @rtt_s: round-trip time in seconds, negative when unknown
 *
 * Returns: %TRUE when the target changed
 */
gboolean
webrtc_bitrate_report (WebrtcBitrate *b, gdouble fraction_lost, gdouble rtt_s)
{
  guint before = b->target_kbps;

  if (fraction_lost >= WEBRTC_BITRATE_LOSS_HIGH) {
    b->good_in_row = 0;
    if (++b->bad_in_row >= WEBRTC_BITRATE_BAD_REPORTS) {
      b->bad_in_row = 0;
      b->target_kbps = clamp (b, b->target_kbps * WEBRTC_BITRATE_DOWN);
      if (b->target_kbps != before)
        b->steps_down++;
    }
  } else if (fraction_lost < WEBRTC_BITRATE_LOSS_LOW
      && rtt_s < WEBRTC_BITRATE_RTT_HIGH_S) {
    b->bad_in_row = 0;
    if (++b->good_in_row >= WEBRTC_BITRATE_GOOD_REPORTS) {
      b->good_in_row = 0;
      /* At least 1 kbit/s up: 15 % of a tiny target rounds to nothing. */
      b->target_kbps = clamp (b,
          MAX (b->target_kbps * WEBRTC_BITRATE_UP, b->target_kbps + 1.0));
      if (b->target_kbps != before)
        b->steps_up++;
    }
  } else {
    b->bad_in_row = b->good_in_row = 0;
  }
  return b->target_kbps != before;
}

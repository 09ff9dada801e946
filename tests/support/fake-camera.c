/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * fake-camera.c: "rtfakecamera" (fake-camera.h).
 */
#include "fake-camera.h"

struct _RtFakeCamera
{
  GstPushSrc parent;
  gboolean live;
  gboolean fail_open;
  gint error_after;
  gboolean block;
  gboolean open_in_ready;
  gint level;
  gchar *label;
  gchar *pattern;
  guint bitrate;
  gchar *location;
  /* streaming state */
  gboolean open; /* device opened by start, not yet closed */
  guint64 n;
  GstClockTime start_rt;
  /* under the object lock */
  GstClockID clock_id;
  gboolean flushing;
  GCond unlocked;
};

G_DEFINE_TYPE (RtFakeCamera, rt_fake_camera, GST_TYPE_PUSH_SRC);

enum
{
  PROP_0,
  PROP_IS_LIVE,
  PROP_FAIL_OPEN,
  PROP_ERROR_AFTER,
  PROP_BLOCK,
  PROP_OPEN_IN_READY,
  /* params targets, recorded in `sets` and `last` */
  PROP_LEVEL,
  PROP_LABEL,
  PROP_PATTERN,
  PROP_BITRATE,
  PROP_LOCATION,
};

/* Process-wide record. */
static gint instances;
static gint opens;
static gint closes;
static gint open_now;
static GMutex record_lock;
static GHashTable *sets; /* property name -> count, under record_lock */
static GHashTable *last; /* property name -> last value text */

static void
record_set (const gchar *property, const GValue *value)
{
  gchar *text = NULL;

  if (G_VALUE_HOLDS_STRING (value))
    text = g_value_dup_string (value);
  else {
    GValue s = G_VALUE_INIT;

    g_value_init (&s, G_TYPE_STRING);
    if (g_value_transform (value, &s))
      text = g_value_dup_string (&s);
    g_value_unset (&s);
  }
  g_mutex_lock (&record_lock);
  if (!sets) {
    sets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    last = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  }
  g_hash_table_insert (sets, g_strdup (property),
      GUINT_TO_POINTER (
          GPOINTER_TO_UINT (g_hash_table_lookup (sets, property)) + 1));
  g_hash_table_insert (last, g_strdup (property), text);
  g_mutex_unlock (&record_lock);
}

static void
rt_fake_camera_set_property (GObject *object, guint id, const GValue *value,
    GParamSpec *pspec)
{
  RtFakeCamera *self = RT_FAKE_CAMERA (object);

  switch (id) {
    case PROP_IS_LIVE:
      self->live = g_value_get_boolean (value);
      gst_base_src_set_live (GST_BASE_SRC (self), self->live);
      return;
    case PROP_FAIL_OPEN:
      self->fail_open = g_value_get_boolean (value);
      return;
    case PROP_ERROR_AFTER:
      self->error_after = g_value_get_int (value);
      return;
    case PROP_BLOCK:
      self->block = g_value_get_boolean (value);
      return;
    case PROP_OPEN_IN_READY:
      self->open_in_ready = g_value_get_boolean (value);
      return;
    case PROP_LEVEL:
      self->level = g_value_get_int (value);
      break;
    case PROP_LABEL:
      g_free (self->label);
      self->label = g_value_dup_string (value);
      break;
    case PROP_PATTERN:
      g_free (self->pattern);
      self->pattern = g_value_dup_string (value);
      break;
    case PROP_BITRATE:
      self->bitrate = g_value_get_uint (value);
      break;
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
      return;
  }
  record_set (pspec->name, value);
}

static void
rt_fake_camera_get_property (GObject *object, guint id, GValue *value,
    GParamSpec *pspec)
{
  RtFakeCamera *self = RT_FAKE_CAMERA (object);

  switch (id) {
    case PROP_IS_LIVE:
      g_value_set_boolean (value, self->live);
      break;
    case PROP_FAIL_OPEN:
      g_value_set_boolean (value, self->fail_open);
      break;
    case PROP_ERROR_AFTER:
      g_value_set_int (value, self->error_after);
      break;
    case PROP_BLOCK:
      g_value_set_boolean (value, self->block);
      break;
    case PROP_OPEN_IN_READY:
      g_value_set_boolean (value, self->open_in_ready);
      break;
    case PROP_LEVEL:
      g_value_set_int (value, self->level);
      break;
    case PROP_LABEL:
      g_value_set_string (value, self->label);
      break;
    case PROP_PATTERN:
      g_value_set_string (value, self->pattern);
      break;
    case PROP_BITRATE:
      g_value_set_uint (value, self->bitrate);
      break;
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
  }
}

static gboolean
open_device (RtFakeCamera *self)
{
  if (self->fail_open) {
    GST_ELEMENT_ERROR (self, RESOURCE, BUSY, ("Device is busy (on purpose)"),
        (NULL));
    return FALSE;
  }
  self->open = TRUE;
  g_atomic_int_inc (&opens);
  g_atomic_int_inc (&open_now);
  return TRUE;
}

static void
close_device (RtFakeCamera *self)
{
  if (self->open) {
    self->open = FALSE;
    g_atomic_int_inc (&closes);
    g_atomic_int_add (&open_now, -1);
  }
}

static gboolean
rt_fake_camera_start (GstBaseSrc *bsrc)
{
  RtFakeCamera *self = RT_FAKE_CAMERA (bsrc);

  self->n = 0;
  return self->open_in_ready || open_device (self);
}

static gboolean
rt_fake_camera_stop (GstBaseSrc *bsrc)
{
  RtFakeCamera *self = RT_FAKE_CAMERA (bsrc);

  if (!self->open_in_ready)
    close_device (self);
  return TRUE;
}

/* open-in-ready: the device is held from NULL -> READY to READY -> NULL,
 * as v4l2src holds its device. */
static GstStateChangeReturn
rt_fake_camera_change_state (GstElement *element, GstStateChange transition)
{
  RtFakeCamera *self = RT_FAKE_CAMERA (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_NULL_TO_READY && self->open_in_ready
      && !open_device (self))
    return GST_STATE_CHANGE_FAILURE;
  ret = GST_ELEMENT_CLASS (rt_fake_camera_parent_class)
            ->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL
      || (ret == GST_STATE_CHANGE_FAILURE
          && transition == GST_STATE_CHANGE_NULL_TO_READY))
    close_device (self);
  return ret;
}

static gboolean
rt_fake_camera_unlock (GstBaseSrc *bsrc)
{
  RtFakeCamera *self = RT_FAKE_CAMERA (bsrc);

  GST_OBJECT_LOCK (self);
  self->flushing = TRUE;
  if (self->clock_id)
    gst_clock_id_unschedule (self->clock_id);
  g_cond_broadcast (&self->unlocked);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
rt_fake_camera_unlock_stop (GstBaseSrc *bsrc)
{
  RtFakeCamera *self = RT_FAKE_CAMERA (bsrc);

  GST_OBJECT_LOCK (self);
  self->flushing = FALSE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
rt_fake_camera_query (GstBaseSrc *bsrc, GstQuery *query)
{
  RtFakeCamera *self = RT_FAKE_CAMERA (bsrc);

  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gst_query_set_latency (query, self->live, RT_FAKE_CAMERA_FRAME_DURATION,
        RT_FAKE_CAMERA_FRAME_DURATION);
    return TRUE;
  }
  return GST_BASE_SRC_CLASS (rt_fake_camera_parent_class)->query (bsrc, query);
}

/* Waits on the pipeline clock until the end of frame n's interval; FALSE
 * when unlocked (flushing) meanwhile. */
static gboolean
wait_frame_end (RtFakeCamera *self, GstClockTime *pts)
{
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (self));
  GstClockTime base = gst_element_get_base_time (GST_ELEMENT (self));
  GstClockReturn ret;

  if (!clock)
    return FALSE;
  if (self->n == 0)
    self->start_rt = gst_clock_get_time (clock) - base;
  *pts = self->start_rt + self->n * RT_FAKE_CAMERA_FRAME_DURATION;
  GST_OBJECT_LOCK (self);
  if (self->flushing) {
    GST_OBJECT_UNLOCK (self);
    gst_object_unref (clock);
    return FALSE;
  }
  self->clock_id = gst_clock_new_single_shot_id (clock,
      base + *pts + RT_FAKE_CAMERA_FRAME_DURATION);
  GST_OBJECT_UNLOCK (self);
  ret = gst_clock_id_wait (self->clock_id, NULL);
  GST_OBJECT_LOCK (self);
  gst_clock_id_unref (self->clock_id);
  self->clock_id = NULL;
  GST_OBJECT_UNLOCK (self);
  gst_object_unref (clock);
  return ret != GST_CLOCK_UNSCHEDULED;
}

static GstFlowReturn
rt_fake_camera_create (GstPushSrc *psrc, GstBuffer **out)
{
  RtFakeCamera *self = RT_FAKE_CAMERA (psrc);
  GstClockTime pts;
  GstBuffer *buf;

  if (self->block) {
    GST_OBJECT_LOCK (self);
    while (!self->flushing)
      g_cond_wait (&self->unlocked, GST_OBJECT_GET_LOCK (self));
    GST_OBJECT_UNLOCK (self);
    return GST_FLOW_FLUSHING;
  }
  if (self->error_after >= 0 && self->n >= (guint64)self->error_after) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ, ("Camera failed (on purpose)"),
        ("after %d frames", self->error_after));
    return GST_FLOW_ERROR;
  }
  if (self->live) {
    if (!wait_frame_end (self, &pts))
      return GST_FLOW_FLUSHING;
  } else {
    pts = self->n * RT_FAKE_CAMERA_FRAME_DURATION;
  }
  buf = gst_buffer_new_allocate (NULL, 16 * 16, NULL);
  gst_buffer_memset (buf, 0, (guint8)self->n, 16 * 16);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = RT_FAKE_CAMERA_FRAME_DURATION;
  GST_BUFFER_OFFSET (buf) = self->n++;
  *out = buf;
  return GST_FLOW_OK;
}

static void
rt_fake_camera_finalize (GObject *object)
{
  RtFakeCamera *self = RT_FAKE_CAMERA (object);

  g_free (self->label);
  g_free (self->pattern);
  g_free (self->location);
  g_cond_clear (&self->unlocked);
  g_atomic_int_add (&instances, -1);
  G_OBJECT_CLASS (rt_fake_camera_parent_class)->finalize (object);
}

static void
rt_fake_camera_class_init (RtFakeCameraClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
      GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (RT_FAKE_CAMERA_CAPS));
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->set_property = rt_fake_camera_set_property;
  object_class->get_property = rt_fake_camera_get_property;
  object_class->finalize = rt_fake_camera_finalize;
  g_object_class_install_property (object_class, PROP_IS_LIVE,
      g_param_spec_boolean ("is-live", "Is live", "Live source", TRUE, rw));
  g_object_class_install_property (object_class, PROP_FAIL_OPEN,
      g_param_spec_boolean ("fail-open", "Fail open",
          "Refuse to open the device, as when it is busy", FALSE, rw));
  g_object_class_install_property (object_class, PROP_ERROR_AFTER,
      g_param_spec_int ("error-after", "Error after",
          "Post an error after this many frames (-1: never)", -1, G_MAXINT, -1,
          rw));
  g_object_class_install_property (object_class, PROP_BLOCK,
      g_param_spec_boolean ("block", "Block",
          "Produce no frame: wait until unlocked", FALSE, rw));
  g_object_class_install_property (object_class, PROP_OPEN_IN_READY,
      g_param_spec_boolean ("open-in-ready", "Open in READY",
          "Hold the device from NULL to READY up, as v4l2src does", FALSE, rw));
  g_object_class_install_property (object_class, PROP_LEVEL,
      g_param_spec_int ("level", "Level", "A params target", 0, 1000, 0, rw));
  g_object_class_install_property (object_class, PROP_LABEL,
      g_param_spec_string ("label", "Label", "A params target", NULL, rw));
  g_object_class_install_property (object_class, PROP_PATTERN,
      g_param_spec_string ("pattern", "Pattern", "A params target", "smpte",
          rw));
  g_object_class_install_property (object_class, PROP_BITRATE,
      g_param_spec_uint ("bitrate", "Bitrate", "A params target (kbit/s)", 1,
          G_MAXUINT, 2000, rw));
  g_object_class_install_property (object_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location", "A params target", NULL,
          rw));
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "Fake camera",
      "Source/Video", "Counts opens and closes of its device; faults on demand",
      "realtime-gateway tests");
  element_class->change_state = rt_fake_camera_change_state;
  basesrc_class->start = rt_fake_camera_start;
  basesrc_class->stop = rt_fake_camera_stop;
  basesrc_class->unlock = rt_fake_camera_unlock;
  basesrc_class->unlock_stop = rt_fake_camera_unlock_stop;
  basesrc_class->query = rt_fake_camera_query;
  GST_PUSH_SRC_CLASS (klass)->create = rt_fake_camera_create;
}

static void
rt_fake_camera_init (RtFakeCamera *self)
{
  g_atomic_int_inc (&instances);
  self->live = TRUE;
  self->error_after = -1;
  self->pattern = g_strdup ("smpte");
  self->bitrate = 2000;
  g_cond_init (&self->unlocked);
  gst_base_src_set_live (GST_BASE_SRC (self), TRUE);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
}

void
rt_fake_camera_register (void)
{
  static gsize done;

  if (g_once_init_enter (&done)) {
    /* Called while building a suite too, outside any test: no check
     * assertion here. */
    if (!gst_element_register (NULL, "rtfakecamera", GST_RANK_NONE,
            RT_TYPE_FAKE_CAMERA))
      g_error ("cannot register the element rtfakecamera");
    g_once_init_leave (&done, 1);
  }
}

gint
rt_fake_camera_get_instances (void)
{
  return g_atomic_int_get (&instances);
}

gint
rt_fake_camera_get_opens (void)
{
  return g_atomic_int_get (&opens);
}

gint
rt_fake_camera_get_closes (void)
{
  return g_atomic_int_get (&closes);
}

gint
rt_fake_camera_get_open_now (void)
{
  return g_atomic_int_get (&open_now);
}

guint
rt_fake_camera_get_sets (const gchar *property)
{
  guint n;

  g_mutex_lock (&record_lock);
  n = sets ? GPOINTER_TO_UINT (g_hash_table_lookup (sets, property)) : 0;
  g_mutex_unlock (&record_lock);
  return n;
}

gchar *
rt_fake_camera_dup_last_value (const gchar *property)
{
  gchar *value;

  g_mutex_lock (&record_lock);
  value = last ? g_strdup (g_hash_table_lookup (last, property)) : NULL;
  g_mutex_unlock (&record_lock);
  return value;
}

void
rt_fake_camera_reset (void)
{
  g_atomic_int_set (&opens, 0);
  g_atomic_int_set (&closes, 0);
  g_mutex_lock (&record_lock);
  if (sets) {
    g_hash_table_remove_all (sets);
    g_hash_table_remove_all (last);
  }
  g_mutex_unlock (&record_lock);
}

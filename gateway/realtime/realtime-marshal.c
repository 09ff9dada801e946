/* realtime-gateway
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-marshal.c: the C marshallers of the channel's signals
 * (realtime-channel.c), written as glib-genmarshal would write them, so
 * that an emission calls its handler directly instead of going through
 * g_cclosure_marshal_generic and libffi (issue 13's dispatch path).
 */
#include "realtime-private.h"

/* Marshallers of the channel's (event, JsonNode) signals, "broadcast" and
 * "presence": what glib-genmarshal would write for VOID:STRING,BOXED, so
 * that an emission calls its handler directly instead of through
 * g_cclosure_marshal_generic and libffi. With the arguments declared
 * G_SIGNAL_TYPE_STATIC_SCOPE (the channel holds the message for the whole
 * emission) neither the event nor the node is copied. */

typedef void (*StringBoxedFunc) (gpointer instance, const gchar *arg1,
    gpointer arg2, gpointer data);

void
_realtime_marshal_VOID__STRING_BOXED (GClosure *closure, GValue *return_value,
    guint n_param_values, const GValue *param_values, gpointer invocation_hint,
    gpointer marshal_data)
{
  GCClosure *cc = (GCClosure *)closure;
  gpointer data1, data2;
  StringBoxedFunc callback;

  g_return_if_fail (n_param_values == 3);

  if (G_CCLOSURE_SWAP_DATA (closure)) {
    data1 = closure->data;
    data2 = g_value_peek_pointer (param_values + 0);
  } else {
    data1 = g_value_peek_pointer (param_values + 0);
    data2 = closure->data;
  }
  callback = (StringBoxedFunc)(marshal_data ? marshal_data : cc->callback);
  callback (data1, g_value_get_string (param_values + 1),
      g_value_get_boxed (param_values + 2), data2);
}

void
_realtime_marshal_VOID__STRING_BOXEDv (GClosure *closure, GValue *return_value,
    gpointer instance, va_list args, gpointer marshal_data, int n_params,
    GType *param_types)
{
  GCClosure *cc = (GCClosure *)closure;
  gpointer data1, data2;
  StringBoxedFunc callback;
  const gchar *arg0;
  gpointer arg1;
  va_list copy;

  G_VA_COPY (copy, args);
  arg0 = va_arg (copy, const gchar *);
  if (!(param_types[0] & G_SIGNAL_TYPE_STATIC_SCOPE) && arg0)
    arg0 = g_strdup (arg0);
  arg1 = va_arg (copy, gpointer);
  if (!(param_types[1] & G_SIGNAL_TYPE_STATIC_SCOPE) && arg1)
    arg1 = g_boxed_copy (param_types[1] & ~G_SIGNAL_TYPE_STATIC_SCOPE, arg1);
  va_end (copy);

  if (G_CCLOSURE_SWAP_DATA (closure)) {
    data1 = closure->data;
    data2 = instance;
  } else {
    data1 = instance;
    data2 = closure->data;
  }
  callback = (StringBoxedFunc)(marshal_data ? marshal_data : cc->callback);
  callback (data1, arg0, arg1, data2);
  if (!(param_types[0] & G_SIGNAL_TYPE_STATIC_SCOPE) && arg0)
    g_free ((gchar *)arg0);
  if (!(param_types[1] & G_SIGNAL_TYPE_STATIC_SCOPE) && arg1)
    g_boxed_free (param_types[1] & ~G_SIGNAL_TYPE_STATIC_SCOPE, arg1);
}

/* Marshallers of "broadcast-json" (VOID:STRING,STRING, both arguments
 * G_SIGNAL_TYPE_STATIC_SCOPE: the channel holds them for the emission),
 * as those of "broadcast" above: a direct call, no libffi,
 * no copies. */

typedef void (*StringStringFunc) (gpointer instance, const gchar *arg1,
    const gchar *arg2, gpointer data);

void
_realtime_marshal_VOID__STRING_STRING (GClosure *closure, GValue *return_value,
    guint n_param_values, const GValue *param_values, gpointer invocation_hint,
    gpointer marshal_data)
{
  GCClosure *cc = (GCClosure *)closure;
  gpointer data1, data2;
  StringStringFunc callback;

  g_return_if_fail (n_param_values == 3);

  if (G_CCLOSURE_SWAP_DATA (closure)) {
    data1 = closure->data;
    data2 = g_value_peek_pointer (param_values + 0);
  } else {
    data1 = g_value_peek_pointer (param_values + 0);
    data2 = closure->data;
  }
  callback = (StringStringFunc)(marshal_data ? marshal_data : cc->callback);
  callback (data1, g_value_get_string (param_values + 1),
      g_value_get_string (param_values + 2), data2);
}

void
_realtime_marshal_VOID__STRING_STRINGv (GClosure *closure, GValue *return_value,
    gpointer instance, va_list args, gpointer marshal_data, int n_params,
    GType *param_types)
{
  GCClosure *cc = (GCClosure *)closure;
  gpointer data1, data2;
  StringStringFunc callback;
  const gchar *arg0, *arg1;
  va_list copy;

  G_VA_COPY (copy, args);
  arg0 = va_arg (copy, const gchar *);
  arg1 = va_arg (copy, const gchar *);
  va_end (copy);

  if (G_CCLOSURE_SWAP_DATA (closure)) {
    data1 = closure->data;
    data2 = instance;
  } else {
    data1 = instance;
    data2 = closure->data;
  }
  callback = (StringStringFunc)(marshal_data ? marshal_data : cc->callback);
  callback (data1, arg0, arg1, data2);
}

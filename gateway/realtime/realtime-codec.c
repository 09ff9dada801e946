/* realtime-gateway
 * Copyright (C) 2026 realtime-gateway developers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * realtime-codec.c: Phoenix / Supabase Realtime frame codec.
 *
 * Every input is hostile: frames come off the network, so each length is
 * checked against the buffer before it is used, JSON text is checked by a
 * strict, depth-bounded scanner before json-glib (whose parser is recursive
 * and lenient) ever sees it, and error messages quote at most a short,
 * escaped prefix of the frame so a token in a payload never reaches a log.
 */
#include "realtime-codec.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

/* Deepest nesting accepted in a text frame, counting the frame's own array
 * or object as level 1. JSON found inside binary frames is held to the same
 * bound once mapped into a message, so anything decoded re-encodes to a
 * frame that decodes again. */
#define MAX_DEPTH 64

/* Every length in a binary frame is one byte. */
#define MAX_FIELD_LEN 255

/* How much of a bad text frame an error message may quote. */
#define ERROR_PREFIX_LEN 16

G_DEFINE_ENUM_TYPE (RealtimeVsn, realtime_vsn,
    G_DEFINE_ENUM_VALUE (REALTIME_VSN_1_0_0, "1.0.0"),
    G_DEFINE_ENUM_VALUE (REALTIME_VSN_2_0_0, "2.0.0"))

/**
 * realtime_codec_error_quark:
 *
 * Returns: the error domain of the frame codec.
 */
/* clang-format off */
G_DEFINE_QUARK (realtime-codec-error-quark, realtime_codec_error)
/* clang-format on */

/**
 * realtime_vsn_to_string:
 * @vsn: a protocol version
 *
 * Returns: the value of the "vsn" URL parameter for @vsn, e.g. "2.0.0".
 */
const gchar *
realtime_vsn_to_string (RealtimeVsn vsn)
{
  switch (vsn) {
    case REALTIME_VSN_1_0_0:
      return "1.0.0";
    case REALTIME_VSN_2_0_0:
      return "2.0.0";
  }
  return "unknown";
}

/**
 * realtime_vsn_from_string:
 * @str: (nullable): "1.0.0" or "2.0.0"
 * @vsn: (out) (optional): where to store the version
 *
 * Returns: %TRUE if @str names a version this codec speaks.
 */
gboolean
realtime_vsn_from_string (const gchar *str, RealtimeVsn *vsn)
{
  RealtimeVsn v;

  if (g_strcmp0 (str, "1.0.0") == 0)
    v = REALTIME_VSN_1_0_0;
  else if (g_strcmp0 (str, "2.0.0") == 0)
    v = REALTIME_VSN_2_0_0;
  else
    return FALSE;
  if (vsn)
    *vsn = v;
  return TRUE;
}

/* Wraps @obj in a node, taking the caller's reference. */
static JsonNode *
object_node_take (JsonObject *obj)
{
  JsonNode *node = json_node_init_object (json_node_alloc (), obj);

  json_object_unref (obj);
  return node;
}

/**
 * realtime_message_new:
 * @join_ref: (nullable): the join reference
 * @ref: (nullable): the message reference
 * @topic: the topic
 * @event: the event
 * @payload: (nullable) (transfer none): the payload; %NULL means an empty
 *   object
 *
 * The payload is copied with json_node_copy(), which shares its object or
 * array with @payload rather than duplicating the tree.
 *
 * Returns: (transfer full): a new message holding copies of every argument.
 */
RealtimeMessage *
realtime_message_new (const gchar *join_ref, const gchar *ref,
    const gchar *topic, const gchar *event, JsonNode *payload)
{
  RealtimeMessage *msg = g_new0 (RealtimeMessage, 1);

  msg->join_ref = g_strdup (join_ref);
  msg->ref = g_strdup (ref);
  msg->topic = g_strdup (topic);
  msg->event = g_strdup (event);
  if (payload)
    msg->payload = json_node_copy (payload);
  else
    msg->payload = object_node_take (json_object_new ());
  return msg;
}

/**
 * realtime_message_copy:
 * @msg: (nullable): a message
 *
 * Returns: (transfer full) (nullable): a copy of @msg.
 */
RealtimeMessage *
realtime_message_copy (const RealtimeMessage *msg)
{
  if (!msg)
    return NULL;
  return realtime_message_new (msg->join_ref, msg->ref, msg->topic, msg->event,
      msg->payload);
}

/**
 * realtime_message_free:
 * @msg: (nullable): a message
 *
 * Frees @msg and everything it holds.
 */
void
realtime_message_free (RealtimeMessage *msg)
{
  if (!msg)
    return;
  g_free (msg->join_ref);
  g_free (msg->ref);
  g_free (msg->topic);
  g_free (msg->event);
  g_clear_pointer (&msg->payload, json_node_unref);
  g_free (msg);
}

/* Error helpers */

static gchar *
escape_prefix (const gchar *data, gsize len)
{
  GString *s = g_string_new (NULL);
  gsize n = MIN (len, ERROR_PREFIX_LEN);
  gsize i;

  for (i = 0; i < n; i++) {
    guchar c = data[i];

    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
      g_string_append_c (s, c);
    else
      g_string_append_printf (s, "\\x%02x", c);
  }
  if (len > n)
    g_string_append (s, "...");
  return g_string_free (s, FALSE);
}

/* Sets @error and, for text frames (@data non-%NULL), names the frame by a
 * short escaped prefix: enough to recognise it, too short to leak a token. */
static void
set_error (GError **error, RealtimeCodecError code, const gchar *data,
    gsize len, const gchar *format, ...) G_GNUC_PRINTF (5, 6);

static void
set_error (GError **error, RealtimeCodecError code, const gchar *data,
    gsize len, const gchar *format, ...)
{
  va_list args;
  gchar *what;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  if (data) {
    gchar *prefix = escape_prefix (data, len);

    g_set_error (error, REALTIME_CODEC_ERROR, code,
        "%s (frame of %" G_GSIZE_FORMAT " bytes starting \"%s\")", what, len,
        prefix);
    g_free (prefix);
  } else {
    g_set_error_literal (error, REALTIME_CODEC_ERROR, code, what);
  }
  g_free (what);
}

/* Refusals: valid JSON a guard refuses, and their short, stable reasons,
 * which go back to the sender in the answer to a refused request. */
static const struct
{
  RealtimeCodecError code;
  const gchar *reason;
} refusals[] = {
  { REALTIME_CODEC_ERROR_TOO_DEEP, "nested too deep" },
  { REALTIME_CODEC_ERROR_TOO_MANY_MEMBERS, "too many members" },
  { REALTIME_CODEC_ERROR_NUMBER_OUT_OF_RANGE, "number out of range" },
  { REALTIME_CODEC_ERROR_NUL_CHARACTER, "NUL character in a string" },
  { REALTIME_CODEC_ERROR_INVALID_ESCAPE, "invalid escape" },
};

static const gchar *
refusal_reason (RealtimeCodecError code)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (refusals); i++)
    if (refusals[i].code == code)
      return refusals[i].reason;
  return NULL;
}

/**
 * realtime_codec_error_reason:
 * @error: (nullable): an error from a decode
 *
 * Returns: (nullable): the short, stable reason of a refusal (valid JSON
 *   refused by a guard: "nested too deep", "too many members", "number out
 *   of range", "NUL character in a string" or "invalid escape"), or %NULL
 *   when @error is not one
 */
const gchar *
realtime_codec_error_reason (const GError *error)
{
  if (!error || error->domain != REALTIME_CODEC_ERROR)
    return NULL;
  return refusal_reason (error->code);
}

/* Strict JSON scanner (RFC 8259). Recursion is bounded by MAX_DEPTH, so
 * the stack use is bounded whatever the input. UTF-8 is checked before. */

typedef struct _JsonScan
{
  const guchar *p;
  const guchar *end;
  guint max_depth;
  /* Why scanning failed: MALFORMED for plain syntax, else a refusal. */
  RealtimeCodecError refusal;
  /* Whitespace was skipped between tokens somewhere. */
  gboolean saw_ws;
  /* Copy mode (scan_compact()): the text scanned so far minus the
   * whitespace between tokens is out[0..out_len) plus [run, p). */
  gchar *out;
  gsize out_len;
  const guchar *run;
  /* Capture (realtime_codec_read_broadcast()): called for each member of
   * the containers at depths 1 and 2 once its value is scanned, with its
   * key (at its opening quote; %NULL in an array) and its value, from
   * @value to s->p. */
  void (*member) (struct _JsonScan *s, guint depth, const guchar *key,
      const guchar *value);
  gpointer capture;
} JsonScan;

static gboolean scan_value (JsonScan *s, guint depth);

static inline gboolean
is_json_ws (guchar c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
scan_ws_run (JsonScan *s)
{
  const guchar *start = s->p;

  while (s->p < s->end && is_json_ws (*s->p))
    s->p++;
  s->saw_ws = TRUE;
  if (s->out) {
    memcpy (s->out + s->out_len, s->run, start - s->run);
    s->out_len += start - s->run;
    s->run = s->p;
  }
}

/* Called between every two tokens; most frames have no whitespace. */
static inline void
scan_ws (JsonScan *s)
{
  if (G_UNLIKELY (s->p < s->end && is_json_ws (*s->p)))
    scan_ws_run (s);
}

static gboolean
scan_literal (JsonScan *s, const gchar *word)
{
  gsize n = strlen (word);

  if ((gsize)(s->end - s->p) < n || memcmp (s->p, word, n) != 0)
    return FALSE;
  s->p += n;
  return TRUE;
}

static gboolean
scan_digits (JsonScan *s)
{
  const guchar *start = s->p;

  while (s->p < s->end && g_ascii_isdigit (*s->p))
    s->p++;
  return s->p > start;
}

/* json-glib wraps integers beyond 64 bits (99999999999999999999 becomes
 * -1) and writes an infinite double as "inf.0", so a number it cannot
 * hold would be corrupted, or re-encoded as invalid JSON: refuse it. */
static gboolean
number_in_range (const guchar *start, const guchar *end, gboolean is_integer)
{
  gsize n = end - start;
  gchar *text;
  gboolean ok;

  /* Shorter numbers always fit: 18 digits in an int64, no exponent and
   * fewer than 308 digits in a double. */
  if (is_integer
          ? n <= 18
          : n < 300 && !memchr (start, 'e', n) && !memchr (start, 'E', n))
    return TRUE;
  text = g_strndup ((const gchar *)start, n);
  if (is_integer)
    ok = g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, NULL,
        NULL);
  else
    ok = isfinite (g_ascii_strtod (text, NULL));
  g_free (text);
  return ok;
}

static gboolean
scan_number (JsonScan *s)
{
  const guchar *start = s->p;
  gboolean is_integer = TRUE;

  if (s->p < s->end && *s->p == '-')
    s->p++;
  if (s->p < s->end && *s->p == '0')
    s->p++;
  else if (!scan_digits (s))
    return FALSE;
  if (s->p < s->end && *s->p == '.') {
    is_integer = FALSE;
    s->p++;
    if (!scan_digits (s))
      return FALSE;
  }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
    is_integer = FALSE;
    s->p++;
    if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
      s->p++;
    if (!scan_digits (s))
      return FALSE;
  }
  if (!number_in_range (start, s->p, is_integer)) {
    s->refusal = REALTIME_CODEC_ERROR_NUMBER_OUT_OF_RANGE;
    s->p = start;
    return FALSE;
  }
  return TRUE;
}

/* Reads the four hex digits of a \\u escape at s->p. */
static gboolean
scan_hex4 (JsonScan *s, gunichar *out)
{
  gint i;

  *out = 0;
  for (i = 0; i < 4; i++, s->p++) {
    if (s->p >= s->end || !g_ascii_isxdigit (*s->p))
      return FALSE;
    *out = (*out << 4) | g_ascii_xdigit_value (*s->p);
  }
  return TRUE;
}

static gboolean
scan_string (JsonScan *s)
{
  if (s->p >= s->end || *s->p != '"')
    return FALSE;
  s->p++;
  while (s->p < s->end) {
    guchar c = *s->p++;

    if (c == '"')
      return TRUE;
    if (c < 0x20)
      return FALSE;
    if (c == '\\') {
      if (s->p >= s->end)
        return FALSE;
      c = *s->p++;
      if (c == 'u') {
        gunichar u, low;

        if (!scan_hex4 (s, &u))
          return FALSE;
        /* json-glib cuts strings at \u0000: "a\u0000b" would reach a
         * handler as "a". Refuse it rather than deliver a changed value. */
        if (u == 0) {
          s->refusal = REALTIME_CODEC_ERROR_NUL_CHARACTER;
          return FALSE;
        }
        /* json-glib 1.6 turns a lone surrogate into invalid UTF-8 (and
         * drops the character after it), and leaks memory on a malformed
         * pair: only a high surrogate followed by an escaped low one is a
         * character. */
        if (u >= 0xdc00 && u <= 0xdfff) {
          s->refusal = REALTIME_CODEC_ERROR_INVALID_ESCAPE;
          return FALSE;
        }
        if (u >= 0xd800 && u <= 0xdbff) {
          if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u') {
            s->refusal = REALTIME_CODEC_ERROR_INVALID_ESCAPE;
            return FALSE;
          }
          s->p += 2;
          if (!scan_hex4 (s, &low))
            return FALSE;
          if (low < 0xdc00 || low > 0xdfff) {
            s->refusal = REALTIME_CODEC_ERROR_INVALID_ESCAPE;
            return FALSE;
          }
        }
      } else if (!strchr ("\"\\/bfnrt", c) || c == '\0') {
        return FALSE;
      }
    }
  }
  return FALSE;
}

/* Members of one JSON object or array accepted from the network. */
#define REALTIME_CODEC_MAX_MEMBERS 4096

static gboolean
scan_container (JsonScan *s, guint depth, gboolean is_object)
{
  guchar close = is_object ? '}' : ']';
  guint members = 0;

  if (depth > s->max_depth) {
    s->refusal = REALTIME_CODEC_ERROR_TOO_DEEP;
    return FALSE;
  }
  s->p++;
  scan_ws (s);
  if (s->p < s->end && *s->p == close) {
    s->p++;
    return TRUE;
  }
  for (;;) {
    const guchar *key = NULL, *value;

    if (is_object) {
      key = s->p;
      if (!scan_string (s))
        return FALSE;
      scan_ws (s);
      if (s->p >= s->end || *s->p != ':')
        return FALSE;
      s->p++;
      scan_ws (s);
    }
    /* json-glib builds the whole tree before anyone can check it: a frame
     * of 90k tiny members would cost tens of MiB of heap per frame. */
    if (++members > REALTIME_CODEC_MAX_MEMBERS) {
      s->refusal = REALTIME_CODEC_ERROR_TOO_MANY_MEMBERS;
      return FALSE;
    }
    value = s->p;
    if (!scan_value (s, depth))
      return FALSE;
    if (G_UNLIKELY (s->member != NULL) && depth <= 2)
      s->member (s, depth, key, value);
    scan_ws (s);
    if (s->p >= s->end)
      return FALSE;
    if (*s->p == close) {
      s->p++;
      return TRUE;
    }
    if (*s->p != ',')
      return FALSE;
    s->p++;
    scan_ws (s);
  }
}

static gboolean
scan_value (JsonScan *s, guint depth)
{
  if (s->p >= s->end)
    return FALSE;
  switch (*s->p) {
    case '{':
      return scan_container (s, depth + 1, TRUE);
    case '[':
      return scan_container (s, depth + 1, FALSE);
    case '"':
      return scan_string (s);
    case 't':
      return scan_literal (s, "true");
    case 'f':
      return scan_literal (s, "false");
    case 'n':
      return scan_literal (s, "null");
    default:
      return scan_number (s);
  }
}

/* Checks that @data is exactly one JSON value nested at most @max_depth
 * levels. @what names the JSON for the error ("frame", "payload"...);
 * @frame/@frame_len is the text frame to quote, or %NULL for binary.
 * @saw_ws (nullable) says whether whitespace lay between tokens;
 * @capture (nullable) brings a member hook (JsonScan.member). */
static gboolean
check_json_full (const gchar *data, gsize len, guint max_depth,
    const gchar *what, const gchar *frame, gsize frame_len, gboolean *saw_ws,
    const JsonScan *capture, GError **error)
{
  JsonScan s = { .p = (const guchar *)data,
    .end = (const guchar *)data + len,
    .max_depth = max_depth,
    .refusal = REALTIME_CODEC_ERROR_MALFORMED,
    .member = capture ? capture->member : NULL,
    .capture = capture ? capture->capture : NULL };
  const gchar *reason;

  if (len > G_MAXSSIZE || !g_utf8_validate (data, (gssize)len, NULL)) {
    set_error (error, REALTIME_CODEC_ERROR_MALFORMED, frame, frame_len,
        "%s is not valid UTF-8", what);
    return FALSE;
  }
  scan_ws (&s);
  if (scan_value (&s, 0)) {
    scan_ws (&s);
    if (s.p == s.end) {
      if (saw_ws)
        *saw_ws = s.saw_ws;
      return TRUE;
    }
  }
  reason = refusal_reason (s.refusal);
  if (reason)
    set_error (error, s.refusal, frame, frame_len,
        "%s refused: %s (at byte %" G_GSIZE_FORMAT ")", what, reason,
        (gsize)(s.p - (const guchar *)data));
  else
    set_error (error, REALTIME_CODEC_ERROR_MALFORMED, frame, frame_len,
        "%s is not valid JSON (at byte %" G_GSIZE_FORMAT ")", what,
        (gsize)(s.p - (const guchar *)data));
  return FALSE;
}

static gboolean
check_json (const gchar *data, gsize len, guint max_depth, const gchar *what,
    const gchar *frame, gsize frame_len, GError **error)
{
  return check_json_full (data, len, max_depth, what, frame, frame_len, NULL,
      NULL, error);
}

/* Tree builder: JSON text the scanner above accepted becomes json-glib
 * nodes in one more linear pass, with the tree json-glib's own parser
 * would build (objects keep their members in order, the last of a
 * repeated name wins in its first place; integers are G_TYPE_INT64,
 * anything with a fraction or an exponent a double). It replaces
 * JsonParser, whose object, scanner and token machinery cost more per
 * message than the tree itself. Only ever run on text check_json()
 * accepted: it trusts the syntax, the depth bound and the escapes, so it
 * has no error path. Recursion is bounded by the same max depth. */

typedef struct
{
  const guchar *p;
  const guchar *end; /* a slice of a binary frame: more bytes may follow */
  GString *buf; /* unescaped strings */
} JsonBuild;

static JsonNode *build_value (JsonBuild *b);

static void
build_ws (JsonBuild *b)
{
  while (b->p < b->end
      && (*b->p == ' ' || *b->p == '\t' || *b->p == '\n' || *b->p == '\r'))
    b->p++;
}

static guint
build_hex4 (const guchar *p)
{
  guint v = 0, i;

  for (i = 0; i < 4; i++)
    v = (v << 4) | (guint)g_ascii_xdigit_value (p[i]);
  return v;
}

/* The string at the cursor, unescaped into b->buf (NUL-terminated). */
static const gchar *
build_string (JsonBuild *b)
{
  const guchar *run;

  g_string_truncate (b->buf, 0);
  run = ++b->p; /* the opening quote */
  for (;;) {
    guchar c = *b->p;

    if (c == '"')
      break;
    if (c != '\\') {
      b->p++;
      continue;
    }
    g_string_append_len (b->buf, (const gchar *)run, b->p - run);
    c = b->p[1];
    b->p += 2;
    switch (c) {
      case 'b':
        g_string_append_c (b->buf, '\b');
        break;
      case 'f':
        g_string_append_c (b->buf, '\f');
        break;
      case 'n':
        g_string_append_c (b->buf, '\n');
        break;
      case 'r':
        g_string_append_c (b->buf, '\r');
        break;
      case 't':
        g_string_append_c (b->buf, '\t');
        break;
      case 'u': {
        gunichar u = build_hex4 (b->p);

        b->p += 4;
        /* A high surrogate: the scanner checked that an escaped low one
         * follows. */
        if (u >= 0xd800 && u <= 0xdbff) {
          u = 0x10000 + ((u - 0xd800) << 10) + (build_hex4 (b->p + 2) - 0xdc00);
          b->p += 6;
        }
        g_string_append_unichar (b->buf, u);
        break;
      }
      default: /* " \ / */
        g_string_append_c (b->buf, (gchar)c);
        break;
    }
    run = b->p;
  }
  g_string_append_len (b->buf, (const gchar *)run, b->p - run);
  b->p++; /* the closing quote */
  return b->buf->str;
}

static JsonNode *
build_number (JsonBuild *b)
{
  const guchar *start = b->p;
  gboolean is_integer = TRUE;
  gchar small[32];
  gchar *text;
  JsonNode *node;
  gsize n;

  while (b->p < b->end
      && (g_ascii_isdigit (*b->p) || *b->p == '-' || *b->p == '+'
          || *b->p == '.' || *b->p == 'e' || *b->p == 'E')) {
    if (*b->p == '.' || *b->p == 'e' || *b->p == 'E')
      is_integer = FALSE;
    b->p++;
  }
  n = b->p - start;
  /* The input need not be NUL-terminated after the number. */
  text = n < sizeof small ? small : g_malloc (n + 1);
  memcpy (text, start, n);
  text[n] = '\0';
  if (is_integer)
    node = json_node_init_int (json_node_alloc (),
        g_ascii_strtoll (text, NULL, 10));
  else
    node = json_node_init_double (json_node_alloc (),
        g_ascii_strtod (text, NULL));
  if (text != small)
    g_free (text);
  return node;
}

static JsonNode *
build_object (JsonBuild *b)
{
  JsonObject *obj = json_object_new ();

  b->p++;
  build_ws (b);
  if (*b->p == '}') {
    b->p++;
    return object_node_take (obj);
  }
  for (;;) {
    gchar *name;
    JsonNode *value;

    name = g_strdup (build_string (b));
    build_ws (b);
    b->p++; /* ':' */
    build_ws (b);
    value = build_value (b);
    json_object_set_member (obj, name, value);
    g_free (name);
    build_ws (b);
    if (*b->p++ == '}')
      return object_node_take (obj);
    build_ws (b); /* after ',' */
  }
}

static JsonNode *
build_array (JsonBuild *b)
{
  JsonArray *arr = json_array_new ();
  JsonNode *node;

  b->p++;
  build_ws (b);
  if (*b->p == ']') {
    b->p++;
  } else {
    for (;;) {
      json_array_add_element (arr, build_value (b));
      build_ws (b);
      if (*b->p++ == ']')
        break;
      build_ws (b);
    }
  }
  node = json_node_init_array (json_node_alloc (), arr);
  json_array_unref (arr);
  return node;
}

static JsonNode *
build_value (JsonBuild *b)
{
  switch (*b->p) {
    case '{':
      return build_object (b);
    case '[':
      return build_array (b);
    case '"':
      return json_node_init_string (json_node_alloc (), build_string (b));
    case 't':
      b->p += 4;
      return json_node_init_boolean (json_node_alloc (), TRUE);
    case 'f':
      b->p += 5;
      return json_node_init_boolean (json_node_alloc (), FALSE);
    case 'n':
      b->p += 4;
      return json_node_init_null (json_node_alloc ());
    default:
      return build_number (b);
  }
}

static void
build_buf_free (gpointer buf)
{
  g_string_free (buf, TRUE);
}

/* One buffer per thread for unescaped strings, kept between calls. */
static GPrivate build_buf_key = G_PRIVATE_INIT (build_buf_free);

static void
build_begin (JsonBuild *b, const gchar *data, gsize len)
{
  b->p = (const guchar *)data;
  b->end = b->p + len;
  b->buf = g_private_get (&build_buf_key);
  if (!b->buf) {
    b->buf = g_string_sized_new (256);
    g_private_set (&build_buf_key, b->buf);
  }
}

static void
build_end (JsonBuild *b)
{
  /* A large string once must not keep its buffer. */
  if (b->buf->allocated_len > 64 * 1024)
    g_private_replace (&build_buf_key, g_string_sized_new (256));
}

static JsonNode *
parse_json (const gchar *data, gsize len, guint max_depth, const gchar *what,
    const gchar *frame, gsize frame_len, GError **error)
{
  JsonBuild b;
  JsonNode *root;

  if (!check_json (data, len, max_depth, what, frame, frame_len, error))
    return NULL;
  build_begin (&b, data, len);
  build_ws (&b);
  root = build_value (&b);
  build_end (&b);
  return root;
}

/* vsn 2.0.0 text frames, the common case: [join_ref, ref, topic, event,
 * payload] with strings or nulls for the first four. Checked like any
 * frame, then only the payload is built into a tree and the four strings
 * are taken as they are, without the array, its four nodes and their
 * copies. Returns %NULL for any other shape, which the general path then
 * decodes (or refuses) as before. */
static RealtimeMessage *
decode_v2_checked (const gchar *data, gsize len)
{
  gchar *fields[4] = { NULL, NULL, NULL, NULL };
  RealtimeMessage *msg = NULL;
  JsonBuild b;
  guint i;

  build_begin (&b, data, len);
  build_ws (&b);
  if (b.p >= b.end || *b.p != '[')
    goto out;
  b.p++;
  for (i = 0; i < 4; i++) {
    build_ws (&b);
    if (b.p < b.end && *b.p == '"')
      fields[i] = g_strdup (build_string (&b));
    else if (b.p < b.end && *b.p == 'n')
      b.p += 4;
    else
      goto out;
    build_ws (&b);
    if (b.p >= b.end || *b.p != ',')
      goto out;
    b.p++;
  }
  if (!fields[2] || !fields[3])
    goto out;
  build_ws (&b);
  msg = g_new0 (RealtimeMessage, 1);
  msg->payload = build_value (&b);
  build_ws (&b);
  if (b.p >= b.end || *b.p != ']') {
    g_clear_pointer (&msg->payload, json_node_unref);
    g_clear_pointer (&msg, g_free);
    goto out;
  }
  msg->join_ref = g_steal_pointer (&fields[0]);
  msg->ref = g_steal_pointer (&fields[1]);
  msg->topic = g_steal_pointer (&fields[2]);
  msg->event = g_steal_pointer (&fields[3]);
out:
  for (i = 0; i < 4; i++)
    g_free (fields[i]);
  build_end (&b);
  return msg;
}

/* Text frames */

/* Serializer: compact JSON straight into a GString, without a
 * JsonGenerator (an object per call) or the builder tree the encoder
 * used to make. It writes what json-glib's generator writes, without its
 * two faults: U+001F and every other control character is escaped, and a
 * double with an exponent is written as JSON ("1e+21", never "1e+21.0").
 * A double that is not finite (only an application can build one: the
 * decoder refuses them) is written as null. Depth: the nodes' own; every
 * tree the decoder builds is bounded by MAX_DEPTH. */

/**
 * realtime_codec_append_json_string:
 * @out: where to append
 * @str: a UTF-8 string
 *
 * Appends @str as a JSON string literal (quotes, escapes).
 */
void
realtime_codec_append_json_string (GString *out, const gchar *str)
{
  static const gchar hex[] = "0123456789abcdef";
  const gchar *run = str, *p;

  g_string_append_c (out, '"');
  for (p = str; *p; p++) {
    guchar c = (guchar)*p;
    const gchar *esc;

    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    g_string_append_len (out, run, p - run);
    run = p + 1;
    switch (c) {
      case '"':
        esc = "\\\"";
        break;
      case '\\':
        esc = "\\\\";
        break;
      case '\b':
        esc = "\\b";
        break;
      case '\f':
        esc = "\\f";
        break;
      case '\n':
        esc = "\\n";
        break;
      case '\r':
        esc = "\\r";
        break;
      case '\t':
        esc = "\\t";
        break;
      default: {
        gchar u[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };

        g_string_append_len (out, u, 6);
        continue;
      }
    }
    g_string_append (out, esc);
  }
  g_string_append_len (out, run, p - run);
  g_string_append_c (out, '"');
}

/* printf's machinery is most of the cost of a small integer. */
static void
append_json_int (GString *out, gint64 v)
{
  gchar buf[24];
  gchar *p = buf + sizeof buf;
  guint64 u = v < 0 ? (guint64)0 - (guint64)v : (guint64)v;

  do {
    *--p = (gchar)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0)
    *--p = '-';
  g_string_append_len (out, p, buf + sizeof buf - p);
}

static void
append_json_double (GString *out, gdouble d)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (d)) {
    g_string_append (out, "null");
    return;
  }
  g_ascii_formatd (buf, sizeof buf, "%.17g", d);
  g_string_append (out, buf);
  /* As json-glib: a double stays a double when read back. */
  if (!strpbrk (buf, ".eE"))
    g_string_append (out, ".0");
}

/**
 * realtime_codec_append_json:
 * @out: where to append
 * @node: (nullable): a JSON node; %NULL is written as null
 *
 * Appends @node as compact JSON text (members in their order, no
 * whitespace), as json-glib's generator writes it, but valid JSON in
 * every case: control characters escaped, exponents without ".0", a
 * double that is not finite as null.
 */
void
realtime_codec_append_json (GString *out, JsonNode *node)
{
  g_return_if_fail (out != NULL);

  if (!node) {
    g_string_append (out, "null");
    return;
  }
  switch (JSON_NODE_TYPE (node)) {
    case JSON_NODE_OBJECT: {
      JsonObjectIter iter;
      const gchar *name;
      JsonNode *member;
      gboolean first = TRUE;

      g_string_append_c (out, '{');
      json_object_iter_init_ordered (&iter, json_node_get_object (node));
      while (json_object_iter_next_ordered (&iter, &name, &member)) {
        if (!first)
          g_string_append_c (out, ',');
        first = FALSE;
        realtime_codec_append_json_string (out, name);
        g_string_append_c (out, ':');
        realtime_codec_append_json (out, member);
      }
      g_string_append_c (out, '}');
      break;
    }
    case JSON_NODE_ARRAY: {
      JsonArray *arr = json_node_get_array (node);
      guint i, n = json_array_get_length (arr);

      g_string_append_c (out, '[');
      for (i = 0; i < n; i++) {
        if (i)
          g_string_append_c (out, ',');
        realtime_codec_append_json (out, json_array_get_element (arr, i));
      }
      g_string_append_c (out, ']');
      break;
    }
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      break;
    case JSON_NODE_VALUE:
    default:
      switch (json_node_get_value_type (node)) {
        case G_TYPE_INT64:
          append_json_int (out, json_node_get_int (node));
          break;
        case G_TYPE_DOUBLE:
          append_json_double (out, json_node_get_double (node));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (out,
              json_node_get_boolean (node) ? "true" : "false");
          break;
        case G_TYPE_STRING:
          realtime_codec_append_json_string (out, json_node_get_string (node));
          break;
        default:
          g_string_append (out, "null");
          break;
      }
      break;
  }
}

static void
append_string_or_null (GString *out, const gchar *str)
{
  if (str)
    realtime_codec_append_json_string (out, str);
  else
    g_string_append (out, "null");
}

static void
append_payload (GString *out, JsonNode *payload)
{
  if (payload)
    realtime_codec_append_json (out, payload);
  else
    g_string_append (out, "{}");
}

/**
 * realtime_codec_encode:
 * @vsn: the protocol version of the socket
 * @msg: the message
 *
 * Encodes @msg as one text frame. In vsn 1.0.0 "ref" is always written,
 * as null when unset, because the server drops frames without it; a %NULL
 * payload is written as an empty object.
 *
 * Returns: (transfer full): the frame text, NUL-terminated.
 */
gchar *
realtime_codec_encode (RealtimeVsn vsn, const RealtimeMessage *msg)
{
  GString *out;

  g_return_val_if_fail (msg != NULL, NULL);

  out = g_string_sized_new (128);
  if (vsn == REALTIME_VSN_1_0_0) {
    g_string_append (out, "{\"topic\":");
    append_string_or_null (out, msg->topic);
    g_string_append (out, ",\"event\":");
    append_string_or_null (out, msg->event);
    g_string_append (out, ",\"payload\":");
    append_payload (out, msg->payload);
    g_string_append (out, ",\"ref\":");
    append_string_or_null (out, msg->ref);
    if (msg->join_ref) {
      g_string_append (out, ",\"join_ref\":");
      realtime_codec_append_json_string (out, msg->join_ref);
    }
    g_string_append_c (out, '}');
  } else {
    g_string_append_c (out, '[');
    append_string_or_null (out, msg->join_ref);
    g_string_append_c (out, ',');
    append_string_or_null (out, msg->ref);
    g_string_append_c (out, ',');
    append_string_or_null (out, msg->topic);
    g_string_append_c (out, ',');
    append_string_or_null (out, msg->event);
    g_string_append_c (out, ',');
    append_payload (out, msg->payload);
    g_string_append_c (out, ']');
  }
  return g_string_free (out, FALSE);
}

/* A ref is a string or null; integers are accepted because some clients
 * (and older servers) count refs as numbers. */
static gboolean
get_ref (JsonNode *node, const gchar *name, gchar **out, const gchar *frame,
    gsize frame_len, GError **error)
{
  *out = NULL;
  if (!node || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (node)) {
    GType type = json_node_get_value_type (node);

    if (type == G_TYPE_STRING) {
      *out = g_strdup (json_node_get_string (node));
      return TRUE;
    }
    if (type == G_TYPE_INT64) {
      *out = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      return TRUE;
    }
  }
  set_error (error, REALTIME_CODEC_ERROR_MALFORMED, frame, frame_len,
      "%s is not a string or null", name);
  return FALSE;
}

static const gchar *
get_string (JsonNode *node, const gchar *name, const gchar *frame,
    gsize frame_len, GError **error)
{
  if (node && JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  set_error (error, REALTIME_CODEC_ERROR_MALFORMED, frame, frame_len,
      "%s is %s, not a string", name, node ? "of the wrong type" : "missing");
  return NULL;
}

static RealtimeMessage *
decode_fields (JsonNode *join_ref_node, JsonNode *ref_node,
    JsonNode *topic_node, JsonNode *event_node, JsonNode *payload,
    const gchar *frame, gsize frame_len, GError **error)
{
  g_autofree gchar *join_ref = NULL;
  g_autofree gchar *ref = NULL;
  const gchar *topic, *event;

  if (!(topic = get_string (topic_node, "topic", frame, frame_len, error)))
    return NULL;
  if (!(event = get_string (event_node, "event", frame, frame_len, error)))
    return NULL;
  if (!get_ref (join_ref_node, "join_ref", &join_ref, frame, frame_len, error)
      || !get_ref (ref_node, "ref", &ref, frame, frame_len, error))
    return NULL;
  return realtime_message_new (join_ref, ref, topic, event, payload);
}

/**
 * realtime_codec_decode_text:
 * @vsn: the protocol version of the socket
 * @data: the frame, not necessarily NUL-terminated
 * @len: its length in bytes
 * @error: return location for a %REALTIME_CODEC_ERROR
 *
 * Decodes one text frame: an object in vsn 1.0.0, a five-element array in
 * vsn 2.0.0. Object keys may come in any order.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error set.
 */
RealtimeMessage *
realtime_codec_decode_text (RealtimeVsn vsn, const gchar *data, gsize len,
    GError **error)
{
  JsonNode *root;
  RealtimeMessage *msg = NULL;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (!data)
    data = "";
  if (vsn == REALTIME_VSN_2_0_0) {
    if (!check_json (data, len, MAX_DEPTH, "frame", data, len, error))
      return NULL;
    msg = decode_v2_checked (data, len);
    if (msg)
      return msg;
  }
  root = parse_json (data, len, MAX_DEPTH, "frame", data, len, error);
  if (!root)
    return NULL;

  if (vsn == REALTIME_VSN_1_0_0) {
    JsonObject *obj;

    if (!JSON_NODE_HOLDS_OBJECT (root)) {
      set_error (error, REALTIME_CODEC_ERROR_MALFORMED, data, len,
          "vsn 1.0.0 frame is not a JSON object");
      goto out;
    }
    obj = json_node_get_object (root);
    msg = decode_fields (json_object_get_member (obj, "join_ref"),
        json_object_get_member (obj, "ref"),
        json_object_get_member (obj, "topic"),
        json_object_get_member (obj, "event"),
        json_object_get_member (obj, "payload"), data, len, error);
  } else {
    JsonArray *arr;

    if (!JSON_NODE_HOLDS_ARRAY (root)) {
      set_error (error, REALTIME_CODEC_ERROR_MALFORMED, data, len,
          "vsn 2.0.0 text frame is not a JSON array");
      goto out;
    }
    arr = json_node_get_array (root);
    if (json_array_get_length (arr) != 5) {
      set_error (error, REALTIME_CODEC_ERROR_MALFORMED, data, len,
          "vsn 2.0.0 text frame has %u elements, not 5",
          json_array_get_length (arr));
      goto out;
    }
    msg = decode_fields (json_array_get_element (arr, 0),
        json_array_get_element (arr, 1), json_array_get_element (arr, 2),
        json_array_get_element (arr, 3), json_array_get_element (arr, 4), data,
        len, error);
  }

out:
  json_node_unref (root);
  return msg;
}

/* Binary frames */

typedef struct
{
  const guint8 *p;
  gsize len;
} Slice;

/* Splits a binary frame whose header is the kind byte, @n_lens length
 * bytes and @n_extra other bytes into @n_lens fields and the trailing data,
 * checking every length against the buffer. */
static gboolean
split_frame (const guint8 *data, gsize len, guint n_lens, guint n_extra,
    Slice *fields, Slice *rest, GError **error)
{
  gsize header = 1 + n_lens + n_extra;
  gsize pos;
  guint i;

  if (len < header) {
    set_error (error, REALTIME_CODEC_ERROR_MALFORMED, NULL, 0,
        "binary frame of kind %u truncated: %" G_GSIZE_FORMAT
        " bytes, its header needs %" G_GSIZE_FORMAT,
        data[0], len, header);
    return FALSE;
  }
  pos = header;
  for (i = 0; i < n_lens; i++) {
    gsize n = data[1 + i];

    if (n > len - pos) {
      set_error (error, REALTIME_CODEC_ERROR_MALFORMED, NULL, 0,
          "binary frame of kind %u truncated: field %u of %" G_GSIZE_FORMAT
          " bytes at offset %" G_GSIZE_FORMAT
          " runs past its end at %" G_GSIZE_FORMAT,
          data[0], i, n, pos, len);
      return FALSE;
    }
    fields[i].p = data + pos;
    fields[i].len = n;
    pos += n;
  }
  rest->p = data + pos;
  rest->len = len - pos;
  return TRUE;
}

static gchar *
slice_to_string (const Slice *slice, const gchar *name, GError **error)
{
  if (!g_utf8_validate ((const gchar *)slice->p, (gssize)slice->len, NULL)) {
    set_error (error, REALTIME_CODEC_ERROR_MALFORMED, NULL, 0,
        "binary frame field %s is not valid UTF-8", name);
    return NULL;
  }
  return g_strndup ((const gchar *)slice->p, slice->len);
}

/* Like slice_to_string() for fields that may be absent (empty), which
 * makes %NULL a valid result: success is the return value instead. */
static gboolean
slice_to_ref (const Slice *slice, const gchar *name, gchar **out,
    GError **error)
{
  *out = NULL;
  if (slice->len == 0)
    return TRUE;
  *out = slice_to_string (slice, name, error);
  return *out != NULL;
}

static JsonNode *
slice_to_json (const Slice *slice, guint max_depth, const gchar *name,
    GError **error)
{
  return parse_json ((const gchar *)slice->p, slice->len, max_depth, name, NULL,
      0, error);
}

/* The broadcast payload a text frame would carry for a kind 3 or 4 user
 * broadcast, as realtime-js builds it. */
static JsonNode *
user_broadcast_payload (const gchar *user_event, const Slice *meta,
    guint8 encoding, const Slice *payload, GError **error)
{
  JsonObject *obj;
  JsonNode *inner, *meta_node = NULL;

  if (encoding > 1) {
    set_error (error, REALTIME_CODEC_ERROR_MALFORMED, NULL, 0,
        "binary user broadcast has unknown payload encoding %u", encoding);
    return NULL;
  }
  if (meta->len > 0
      && !(meta_node = slice_to_json (meta, MAX_DEPTH - 2, "meta", error)))
    return NULL;
  if (encoding == 1) {
    inner = slice_to_json (payload, MAX_DEPTH - 2, "payload", error);
    if (!inner) {
      g_clear_pointer (&meta_node, json_node_unref);
      return NULL;
    }
  } else {
    gchar *b64 = g_base64_encode (payload->p, payload->len);

    inner = json_node_init_string (json_node_alloc (), b64);
    g_free (b64);
  }

  obj = json_object_new ();
  json_object_set_string_member (obj, "type", "broadcast");
  json_object_set_string_member (obj, "event", user_event);
  json_object_set_member (obj, "payload", inner);
  if (meta_node)
    json_object_set_member (obj, "meta", meta_node);
  if (encoding == 0)
    json_object_set_string_member (obj, "encoding", "base64");
  return object_node_take (obj);
}

/* What follows the topic and the event (or status) in a binary frame. */
typedef enum
{
  BODY_PAYLOAD, /* the payload's JSON */
  BODY_REPLY, /* the response's JSON, under a status */
  BODY_USER_BROADCAST, /* a meta field, the encoding byte, the payload */
} BinaryBody;

/* The layout of one kind of binary frame: the fields named by its length
 * bytes are join_ref (when it has one), ref (when it has one), topic,
 * event or status, and meta (user broadcasts). */
typedef struct
{
  gboolean has_join_ref;
  gboolean has_ref;
  BinaryBody body;
} BinaryLayout;

static const BinaryLayout binary_layouts[] = {
  [REALTIME_BINARY_PUSH] = { TRUE, FALSE, BODY_PAYLOAD },
  [REALTIME_BINARY_REPLY] = { TRUE, TRUE, BODY_REPLY },
  [REALTIME_BINARY_BROADCAST] = { FALSE, FALSE, BODY_PAYLOAD },
  [REALTIME_BINARY_USER_BROADCAST_PUSH] = { TRUE, TRUE, BODY_USER_BROADCAST },
  [REALTIME_BINARY_USER_BROADCAST] = { FALSE, FALSE, BODY_USER_BROADCAST },
};

/* The payload a text frame would carry for a reply: the status and the
 * response. */
static JsonNode *
reply_payload (const gchar *status, const Slice *response, GError **error)
{
  JsonObject *obj;
  JsonNode *node = slice_to_json (response, MAX_DEPTH - 2, "response", error);

  if (!node)
    return NULL;
  obj = json_object_new ();
  json_object_set_string_member (obj, "status", status);
  json_object_set_member (obj, "response", node);
  return object_node_take (obj);
}

/* Decodes a frame of the kind @layout describes into the message a text
 * frame would carry. */
static RealtimeMessage *
decode_binary (const BinaryLayout *layout, const guint8 *data, gsize len,
    GError **error)
{
  gboolean user = layout->body == BODY_USER_BROADCAST;
  guint n_lens = (layout->has_join_ref ? 1 : 0) + (layout->has_ref ? 1 : 0) + 2
      + (user ? 1 : 0);
  Slice f[5], rest;
  g_autofree gchar *join_ref = NULL;
  g_autofree gchar *ref = NULL;
  g_autofree gchar *topic = NULL;
  g_autofree gchar *event_or_status = NULL;
  const gchar *event;
  JsonNode *payload;
  RealtimeMessage *msg;
  guint i = 0;

  /* A user broadcast has one more header byte: the payload's encoding. */
  if (!split_frame (data, len, n_lens, user ? 1 : 0, f, &rest, error)
      || (layout->has_join_ref
          && !slice_to_ref (&f[i++], "join_ref", &join_ref, error))
      || (layout->has_ref && !slice_to_ref (&f[i++], "ref", &ref, error))
      || !(topic = slice_to_string (&f[i++], "topic", error))
      || !(event_or_status = slice_to_string (&f[i++],
               layout->body == BODY_REPLY ? "status" : "event", error)))
    return NULL;

  switch (layout->body) {
    case BODY_PAYLOAD:
      event = event_or_status;
      payload = slice_to_json (&rest, MAX_DEPTH - 1, "payload", error);
      break;
    case BODY_REPLY:
      event = "phx_reply";
      payload = reply_payload (event_or_status, &rest, error);
      break;
    case BODY_USER_BROADCAST:
    default:
      event = "broadcast";
      payload = user_broadcast_payload (event_or_status, &f[i],
          data[1 + n_lens], &rest, error);
      break;
  }
  if (!payload)
    return NULL;
  /* Everything here is fresh: taken, not copied. */
  msg = g_new0 (RealtimeMessage, 1);
  msg->join_ref = g_steal_pointer (&join_ref);
  msg->ref = g_steal_pointer (&ref);
  msg->topic = g_steal_pointer (&topic);
  msg->event = event == event_or_status ? g_steal_pointer (&event_or_status)
                                        : g_strdup (event);
  msg->payload = payload;
  return msg;
}

/**
 * realtime_codec_decode_binary:
 * @data: the frame
 * @len: its length in bytes
 * @error: return location for a %REALTIME_CODEC_ERROR
 *
 * Decodes one vsn 2.0.0 binary frame of kind 0 to 4 into the message a
 * text frame would carry (see #RealtimeMessage). Empty join_ref and ref
 * fields become %NULL.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error set
 *   (%REALTIME_CODEC_ERROR_UNSUPPORTED for an unknown kind).
 */
RealtimeMessage *
realtime_codec_decode_binary (const guint8 *data, gsize len, GError **error)
{
  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len == 0) {
    set_error (error, REALTIME_CODEC_ERROR_MALFORMED, NULL, 0,
        "empty binary frame");
    return NULL;
  }
  if (data[0] >= G_N_ELEMENTS (binary_layouts)) {
    set_error (error, REALTIME_CODEC_ERROR_UNSUPPORTED, NULL, 0,
        "binary frame of unknown kind %u (%" G_GSIZE_FORMAT " bytes)", data[0],
        len);
    return NULL;
  }
  return decode_binary (&binary_layouts[data[0]], data, len, error);
}

/* Broadcasts read without a tree
 *
 * Broadcasts are most of what a channel receives, and most of their
 * consumers only pass the payload on (listen prints it). For them a
 * broadcast frame is checked exactly as realtime_codec_decode_text() and
 * realtime_codec_decode_binary() check it (the same scanner, guards and
 * limits), and the scanner reports in the same pass where the topic, the
 * join_ref, the broadcast's own event and its payload lie. The
 * payload is kept as JSON text, as it came minus the whitespace between
 * tokens, and becomes a tree only for a handler that asks for one
 * (realtime_broadcast_dup_payload(): the tree the decoder would build).
 * Anything else (other events, the shapes the general path maps, refuses
 * or drops: numeric refs, a wrapper that is no object or has no string
 * event, kinds 0, 1 and 3) is left to the decoders, which decide as they
 * always did. */

/* Writes the checked JSON value [@start, @end) to @out minus the
 * whitespace between its tokens (a copy when @saw_ws says it has none);
 * returns the length written, at most @end - @start. */
static gsize
scan_compact (const guchar *start, const guchar *end, gboolean saw_ws,
    gchar *out)
{
  JsonScan s = { .p = start,
    .end = end,
    .max_depth = MAX_DEPTH,
    .out = out,
    .run = start };

  if (!saw_ws) {
    memcpy (out, start, end - start);
    return end - start;
  }
  scan_value (&s, 0);
  memcpy (out + s.out_len, s.run, s.p - s.run);
  return s.out_len + (s.p - s.run);
}

/* The message and its strings, in one block. */
typedef struct
{
  RealtimeBroadcast pub;
  gchar *w; /* next free byte of the strings that follow */
} BroadcastBlock;

static BroadcastBlock *
broadcast_block_new (gsize cap)
{
  BroadcastBlock *bb = g_malloc (sizeof *bb + cap);

  memset (&bb->pub, 0, sizeof bb->pub);
  bb->w = (gchar *)(bb + 1);
  return bb;
}

static const gchar *
broadcast_block_put (BroadcastBlock *bb, const void *str, gsize n)
{
  gchar *s = bb->w;

  memcpy (s, str, n);
  s[n] = '\0';
  bb->w += n + 1;
  return s;
}

/* The payload from checked JSON at @at (absent: null). */
static void
broadcast_block_put_payload (BroadcastBlock *bb, const Slice *at,
    gboolean saw_ws)
{
  gsize n;

  if (!at->p) {
    bb->pub.payload_json = broadcast_block_put (bb, "null", 4);
    bb->pub.payload_json_len = 4;
    return;
  }
  n = scan_compact (at->p, at->p + at->len, saw_ws, bb->w);
  bb->w[n] = '\0';
  bb->pub.payload_json = bb->w;
  bb->pub.payload_json_len = n;
  bb->w += n + 1;
}

/* What the scanner reports of a broadcast frame (JsonScan.member), in
 * the one pass that checks it: the members of the frame's own container
 * (depth 1) and of the broadcast's wrapper {"type","event","payload"}
 * (depth 2 in a text frame, 1 in a kind 2 frame). Of a repeated member the
 * last counts, as json-glib keeps it. Keys are compared as written: a key
 * with an escape where one counts leaves the frame to the decoder. */
typedef enum
{
  CAPTURE_V1, /* {"topic","event","payload":wrapper,"join_ref","ref"} */
  CAPTURE_V2, /* [join_ref, ref, topic, event, wrapper] */
  CAPTURE_WRAPPER, /* the wrapper itself (kind 2) */
} CaptureKind;

enum
{
  TOP_JOIN_REF,
  TOP_REF,
  TOP_TOPIC,
  TOP_EVENT,
  TOP_PAYLOAD,
  N_TOP
};

typedef struct
{
  CaptureKind kind;
  gboolean bad; /* a shape only the decoder may judge */
  guint n_top; /* members of the frame's container */
  Slice top[N_TOP];
  Slice pending[2]; /* event, payload of the last depth 2 object */
  gboolean pending_bad;
  Slice wrapper[2]; /* event, payload of the wrapper */
  gboolean wrapper_bad;
} Capture;

/* The key at @key (its opening quote; the key, ':' and whitespace lie
 * before @value) is @name, written without escapes. */
static gboolean
key_is (const guchar *key, const guchar *value, const gchar *name)
{
  gsize n = strlen (name);

  return (gsize)(value - key) >= n + 2 && memcmp (key + 1, name, n) == 0
      && key[n + 1] == '"';
}

static gboolean
key_has_escape (const guchar *key, const guchar *value)
{
  return memchr (key + 1, '\\', value - key - 1) != NULL;
}

static void
capture_wrapper_member (gboolean *bad, Slice *out, const guchar *key,
    const guchar *value, const guchar *end)
{
  if (!key)
    return;
  if (key_has_escape (key, value))
    *bad = TRUE;
  else if (key_is (key, value, "event"))
    out[0] = (Slice){ value, end - value };
  else if (key_is (key, value, "payload"))
    out[1] = (Slice){ value, end - value };
}

static void
capture_member (JsonScan *s, guint depth, const guchar *key,
    const guchar *value)
{
  static const gchar *const v1_names[N_TOP]
      = { "join_ref", "ref", "topic", "event", "payload" };
  Capture *c = s->capture;
  Slice here = { value, s->p - value };
  guint i;

  if (c->kind == CAPTURE_WRAPPER) {
    if (depth == 1)
      capture_wrapper_member (&c->wrapper_bad, c->wrapper, key, value, s->p);
    return;
  }
  if (depth == 2) {
    capture_wrapper_member (&c->pending_bad, c->pending, key, value, s->p);
    return;
  }
  /* depth 1: the depth 2 members of its value, if any, came just before */
  if (c->kind == CAPTURE_V2) {
    i = c->n_top++;
    if (i < N_TOP)
      c->top[i] = here;
  } else if (!key || key_has_escape (key, value)) {
    c->bad = TRUE;
    i = N_TOP;
  } else {
    for (i = 0; i < N_TOP && !key_is (key, value, v1_names[i]); i++)
      ;
    if (i < N_TOP)
      c->top[i] = here;
  }
  if (i == TOP_PAYLOAD) {
    memcpy (c->wrapper, c->pending, sizeof c->wrapper);
    c->wrapper_bad = c->pending_bad;
  }
  memset (c->pending, 0, sizeof c->pending);
  c->pending_bad = FALSE;
}

static gboolean
is_string_at (const Slice *at)
{
  return at->p && *at->p == '"';
}

/* A join_ref or ref the fast path takes as it is: a string, null or
 * absent (a number is left to the general path, which writes it out). */
static gboolean
is_plain_ref_at (const Slice *at)
{
  return !at->p || *at->p == '"' || *at->p == 'n';
}

/* The event "broadcast", written without escapes. */
static gboolean
is_broadcast_at (const Slice *at)
{
  return at->len == 11 && memcmp (at->p, "\"broadcast\"", 11) == 0;
}

/* The string value at @at of checked text, unescaped. */
static const gchar *
broadcast_block_put_string (BroadcastBlock *bb, JsonBuild *b, const Slice *at)
{
  b->p = at->p;
  build_string (b);
  return broadcast_block_put (bb, b->buf->str, b->buf->len);
}

/* The wrapper's event and payload. FALSE when the wrapper is no object or
 * its event no string (the general path drops those with a message). */
static gboolean
take_wrapper (BroadcastBlock *bb, JsonBuild *b, const Capture *c,
    const Slice *at, gboolean saw_ws)
{
  if (!at->p || *at->p != '{' || c->wrapper_bad
      || !is_string_at (&c->wrapper[0]))
    return FALSE;
  bb->pub.event = broadcast_block_put_string (bb, b, &c->wrapper[0]);
  broadcast_block_put_payload (bb, &c->wrapper[1], saw_ws);
  return TRUE;
}

static RealtimeBroadcast *
read_text (RealtimeVsn vsn, const gchar *data, gsize len)
{
  Capture c = { vsn == REALTIME_VSN_2_0_0 ? CAPTURE_V2 : CAPTURE_V1 };
  JsonScan hook = { .member = capture_member, .capture = &c };
  const Slice *top = c.top;
  BroadcastBlock *bb = NULL;
  JsonBuild b;
  gboolean ok;
  gboolean saw_ws = FALSE;

  if (!check_json_full (data, len, MAX_DEPTH, "frame", NULL, 0, &saw_ws, &hook,
          NULL)
      || c.bad)
    return NULL;
  build_begin (&b, data, len);
  build_ws (&b);
  if (vsn == REALTIME_VSN_2_0_0)
    ok = *b.p == '[' && c.n_top == N_TOP;
  else
    ok = *b.p == '{';
  ok = ok && is_plain_ref_at (&top[TOP_JOIN_REF])
      && is_plain_ref_at (&top[TOP_REF]) && is_string_at (&top[TOP_TOPIC])
      && is_broadcast_at (&top[TOP_EVENT]);
  if (ok) {
    /* Unescaping never lengthens a string; the strings taken are disjoint
     * parts of the frame; a NUL after each, and "null" for no payload. */
    bb = broadcast_block_new (len + 16);
    if (take_wrapper (bb, &b, &c, &top[TOP_PAYLOAD], saw_ws)) {
      bb->pub.topic = broadcast_block_put_string (bb, &b, &top[TOP_TOPIC]);
      if (is_string_at (&top[TOP_JOIN_REF]))
        bb->pub.join_ref
            = broadcast_block_put_string (bb, &b, &top[TOP_JOIN_REF]);
    } else {
      g_clear_pointer (&bb, g_free);
    }
  }
  build_end (&b);
  return (RealtimeBroadcast *)bb;
}

static gboolean
slice_is_utf8 (const Slice *slice)
{
  return g_utf8_validate ((const gchar *)slice->p, (gssize)slice->len, NULL);
}

/* Kind 4 (user broadcast: topic, event, meta, encoding, payload) and
 * kind 2 (topic, event "broadcast", the wrapper's JSON). */
static RealtimeBroadcast *
read_binary (const guint8 *data, gsize len)
{
  BroadcastBlock *bb = NULL;
  Slice f[3], rest;
  gboolean saw_ws = FALSE;

  if (data[0] == REALTIME_BINARY_USER_BROADCAST) {
    guint8 encoding;

    if (!split_frame (data, len, 3, 1, f, &rest, NULL) || !slice_is_utf8 (&f[0])
        || !slice_is_utf8 (&f[1]))
      return NULL;
    encoding = data[4];
    if (encoding > 1
        || (f[2].len > 0
            && !check_json ((const gchar *)f[2].p, f[2].len, MAX_DEPTH - 2,
                "meta", NULL, 0, NULL))
        || (encoding == 1
            && !check_json_full ((const gchar *)rest.p, rest.len, MAX_DEPTH - 2,
                "payload", NULL, 0, &saw_ws, NULL, NULL)))
      return NULL;
    bb = broadcast_block_new (
        f[0].len + f[1].len + rest.len + (rest.len / 3 + 1) * 4 + 16);
    bb->pub.topic = broadcast_block_put (bb, f[0].p, f[0].len);
    bb->pub.event = broadcast_block_put (bb, f[1].p, f[1].len);
    if (encoding == 1) {
      JsonBuild b = { .p = rest.p, .end = rest.p + rest.len };
      Slice value;

      /* The value without the whitespace around it. */
      build_ws (&b);
      while (b.end > b.p && g_ascii_isspace (b.end[-1]))
        b.end--;
      value.p = b.p;
      value.len = b.end - b.p;
      broadcast_block_put_payload (bb, &value, saw_ws);
    } else {
      /* A raw payload: the JSON string of its base64 encoding. */
      g_autofree gchar *b64 = g_base64_encode (rest.p, rest.len);
      gsize n = strlen (b64);

      bb->w[0] = '"';
      memcpy (bb->w + 1, b64, n);
      bb->w[n + 1] = '"';
      bb->w[n + 2] = '\0';
      bb->pub.payload_json = bb->w;
      bb->pub.payload_json_len = n + 2;
    }
    return (RealtimeBroadcast *)bb;
  }
  if (data[0] == REALTIME_BINARY_BROADCAST) {
    Capture c = { CAPTURE_WRAPPER };
    JsonScan hook = { .member = capture_member, .capture = &c };
    JsonBuild b;
    Slice all;
    gboolean ok;

    if (!split_frame (data, len, 2, 0, f, &rest, NULL) || !slice_is_utf8 (&f[0])
        || f[1].len != strlen ("broadcast")
        || memcmp (f[1].p, "broadcast", f[1].len) != 0
        || !check_json_full ((const gchar *)rest.p, rest.len, MAX_DEPTH - 1,
            "payload", NULL, 0, &saw_ws, &hook, NULL))
      return NULL;
    bb = broadcast_block_new (f[0].len + rest.len + 16);
    build_begin (&b, (const gchar *)rest.p, rest.len);
    build_ws (&b);
    all.p = b.p;
    all.len = b.end - b.p;
    ok = take_wrapper (bb, &b, &c, &all, saw_ws);
    build_end (&b);
    if (!ok) {
      g_free (bb);
      return NULL;
    }
    bb->pub.topic = broadcast_block_put (bb, f[0].p, f[0].len);
    return (RealtimeBroadcast *)bb;
  }
  return NULL;
}

/**
 * realtime_codec_read_broadcast:
 * @vsn: the protocol version of the socket
 * @binary: whether the frame came as a binary frame (vsn 2.0.0 only)
 * @data: the frame, not necessarily NUL-terminated
 * @len: its length in bytes
 *
 * Reads a broadcast frame without building a tree: a text frame of @vsn
 * whose event is "broadcast", or a binary frame of kind 4 (or kind 2 of
 * event "broadcast"), checked as the decoders check it. The payload is
 * kept as JSON text (see #RealtimeBroadcast).
 *
 * Returns: (transfer full) (nullable): the broadcast, or %NULL when the
 *   frame is anything else or is refused: then realtime_codec_decode_text()
 *   or realtime_codec_decode_binary() decides what it is, or why not.
 */
RealtimeBroadcast *
realtime_codec_read_broadcast (RealtimeVsn vsn, gboolean binary,
    gconstpointer data, gsize len)
{
  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len == 0)
    return NULL;
  if (binary)
    return vsn == REALTIME_VSN_2_0_0 ? read_binary (data, len) : NULL;
  return read_text (vsn, data, len);
}

/**
 * realtime_broadcast_dup_payload:
 * @broadcast: a broadcast read by realtime_codec_read_broadcast()
 *
 * Returns: (transfer full): the payload's tree, the one
 *   realtime_codec_decode_text() would have built for it.
 */
JsonNode *
realtime_broadcast_dup_payload (const RealtimeBroadcast *broadcast)
{
  JsonBuild b;
  JsonNode *node;

  g_return_val_if_fail (broadcast != NULL, NULL);

  /* Checked text (the frame's), only whitespace taken out. */
  build_begin (&b, broadcast->payload_json, broadcast->payload_json_len);
  node = build_value (&b);
  build_end (&b);
  return node;
}

/**
 * realtime_broadcast_free:
 * @broadcast: (nullable): a broadcast
 */
void
realtime_broadcast_free (RealtimeBroadcast *broadcast)
{
  g_free (broadcast);
}

/* Envelopes of refused broadcasts
 *
 * A frame a guard refused (or too large to process) is never built into a
 * tree, but its sender deserves an answer: one linear pass over the bytes
 * finds the topic, the broadcast's event and two members of its payload.
 * Nothing recurses and nothing grows with the input: values off the path
 * to those members are skipped by counting brackets, and the only copies
 * are of a few short plain strings. The whole frame is walked because
 * members may come in any order (the service writes vsn 1.0.0 frames with
 * "topic" last). */

typedef struct
{
  const guchar *p;
  const guchar *end;
  gchar *frame_event; /* "broadcast" for a broadcast */
  RealtimeRefusedBroadcast *out;
} Peek;

/* A string at the cursor, not copied: plain when it holds no escape and
 * only printable ASCII. */
typedef struct
{
  const guchar *start;
  gsize len;
  gboolean plain;
} PeekString;

/* Reads the value of the member @key (the cursor is on it). */
typedef gboolean (*PeekMemberFunc) (Peek *k, const PeekString *key);

static void
peek_ws (Peek *k)
{
  while (k->p < k->end
      && (*k->p == ' ' || *k->p == '\t' || *k->p == '\n' || *k->p == '\r'))
    k->p++;
}

static gboolean
peek_char (Peek *k, guchar c)
{
  peek_ws (k);
  if (k->p >= k->end || *k->p != c)
    return FALSE;
  k->p++;
  return TRUE;
}

static gboolean
peek_string (Peek *k, PeekString *str)
{
  peek_ws (k);
  if (k->p >= k->end || *k->p != '"')
    return FALSE;
  str->start = ++k->p;
  str->plain = TRUE;
  while (k->p < k->end && *k->p != '"') {
    if (*k->p == '\\') {
      str->plain = FALSE;
      k->p++;
    } else if (*k->p < 0x20 || *k->p > 0x7e) {
      str->plain = FALSE;
    }
    if (k->p < k->end)
      k->p++;
  }
  if (k->p >= k->end)
    return FALSE;
  str->len = k->p - str->start;
  k->p++;
  return TRUE;
}

static gboolean
peek_string_is (const PeekString *str, const gchar *word)
{
  return str->plain && str->len == strlen (word)
      && memcmp (str->start, word, str->len) == 0;
}

/* A copy of @str when it is plain and short, else %NULL. */
static gchar *
peek_string_dup (const guchar *start, gsize len, gboolean plain)
{
  gsize i;

  if (!plain || len > REALTIME_CODEC_PEEK_STRING_MAX)
    return NULL;
  for (i = 0; i < len; i++)
    if (start[i] < 0x20 || start[i] > 0x7e)
      return NULL;
  return g_strndup ((const gchar *)start, len);
}

static gboolean
peek_is_scalar (guchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '+' || c == '.';
}

/* Skips one value of any depth, counting brackets rather than
 * recursing. */
static gboolean
peek_skip (Peek *k)
{
  gsize depth = 0;
  PeekString str;

  do {
    peek_ws (k);
    if (k->p >= k->end)
      return FALSE;
    switch (*k->p) {
      case '"':
        if (!peek_string (k, &str))
          return FALSE;
        break;
      case '{':
      case '[':
        depth++;
        k->p++;
        break;
      case '}':
      case ']':
        if (depth-- == 0)
          return FALSE;
        k->p++;
        break;
      case ',':
      case ':':
        if (depth == 0)
          return FALSE;
        k->p++;
        break;
      default:
        if (!peek_is_scalar (*k->p))
          return FALSE;
        while (k->p < k->end && peek_is_scalar (*k->p))
          k->p++;
        break;
    }
  } while (depth > 0);
  return TRUE;
}

/* A plain string value becomes *@out, anything else %NULL (and is
 * skipped): the last occurrence of a member wins, as in json-glib. */
static gboolean
peek_string_value (Peek *k, gchar **out)
{
  PeekString str;

  g_clear_pointer (out, g_free);
  peek_ws (k);
  if (k->p >= k->end || *k->p != '"')
    return peek_skip (k);
  if (!peek_string (k, &str))
    return FALSE;
  *out = peek_string_dup (str.start, str.len, str.plain);
  return TRUE;
}

/* Hands each member of the object at the cursor to @func; any other value
 * is skipped. */
static gboolean
peek_object (Peek *k, PeekMemberFunc func)
{
  PeekString key;

  peek_ws (k);
  if (k->p >= k->end || *k->p != '{')
    return peek_skip (k);
  k->p++;
  if (peek_char (k, '}'))
    return TRUE;
  do {
    if (!peek_string (k, &key) || !peek_char (k, ':') || !func (k, &key))
      return FALSE;
  } while (peek_char (k, ','));
  return peek_char (k, '}');
}

/* The broadcast's own payload: the request. */
static gboolean
peek_request_member (Peek *k, const PeekString *key)
{
  if (peek_string_is (key, "request_id"))
    return peek_string_value (k, &k->out->request_id);
  if (peek_string_is (key, "pipeline"))
    return peek_string_value (k, &k->out->pipeline);
  return peek_skip (k);
}

static gboolean
peek_request (Peek *k)
{
  g_clear_pointer (&k->out->request_id, g_free);
  g_clear_pointer (&k->out->pipeline, g_free);
  return peek_object (k, peek_request_member);
}

/* A "broadcast" message's payload: {"type","event","payload"}. */
static gboolean
peek_broadcast_member (Peek *k, const PeekString *key)
{
  if (peek_string_is (key, "event"))
    return peek_string_value (k, &k->out->event);
  if (peek_string_is (key, "payload"))
    return peek_request (k);
  return peek_skip (k);
}

static gboolean
peek_broadcast (Peek *k)
{
  g_clear_pointer (&k->out->event, g_free);
  g_clear_pointer (&k->out->request_id, g_free);
  g_clear_pointer (&k->out->pipeline, g_free);
  return peek_object (k, peek_broadcast_member);
}

/* vsn 1.0.0: {"join_ref"?, "ref", "topic", "event", "payload"}. */
static gboolean
peek_v1_member (Peek *k, const PeekString *key)
{
  if (peek_string_is (key, "topic"))
    return peek_string_value (k, &k->out->topic);
  if (peek_string_is (key, "event"))
    return peek_string_value (k, &k->frame_event);
  if (peek_string_is (key, "join_ref"))
    return peek_string_value (k, &k->out->join_ref);
  if (peek_string_is (key, "payload"))
    return peek_broadcast (k);
  return peek_skip (k);
}

/* vsn 2.0.0: [join_ref, ref, topic, event, payload]. */
static gboolean
peek_v2 (Peek *k)
{
  return peek_char (k, '[') && peek_string_value (k, &k->out->join_ref)
      && peek_char (k, ',') && peek_skip (k) && peek_char (k, ',')
      && peek_string_value (k, &k->out->topic) && peek_char (k, ',')
      && peek_string_value (k, &k->frame_event) && peek_char (k, ',')
      && peek_broadcast (k) && peek_char (k, ']');
}

static gchar *
slice_peek (const Slice *slice)
{
  return peek_string_dup (slice->p, slice->len, TRUE);
}

/* Binary kind 2 (topic, event, the broadcast payload's JSON) or kind 4
 * (topic, the broadcast's event, meta, the payload's encoding and the
 * payload): the strings are in the header. */
static gboolean
peek_binary (Peek *k, const guint8 *data, gsize len)
{
  Slice f[3], rest;

  if (len == 0
      || (data[0] != REALTIME_BINARY_BROADCAST
          && data[0] != REALTIME_BINARY_USER_BROADCAST))
    return FALSE;
  if (data[0] == REALTIME_BINARY_BROADCAST) {
    if (!split_frame (data, len, 2, 0, f, &rest, NULL))
      return FALSE;
    k->out->topic = slice_peek (&f[0]);
    k->frame_event = slice_peek (&f[1]);
    k->p = rest.p;
    k->end = rest.p + rest.len;
    return peek_broadcast (k);
  }
  if (!split_frame (data, len, 3, 1, f, &rest, NULL))
    return FALSE;
  k->out->topic = slice_peek (&f[0]);
  k->out->event = slice_peek (&f[1]);
  k->frame_event = g_strdup ("broadcast");
  /* Encoding 1 is JSON; a raw payload carries no request to read. */
  if (data[4] == 1) {
    k->p = rest.p;
    k->end = rest.p + rest.len;
    return peek_request (k);
  }
  return TRUE;
}

/**
 * realtime_refused_broadcast_free:
 * @refused: (nullable): what was read of a refused broadcast
 *
 * Frees @refused and everything it holds.
 */
void
realtime_refused_broadcast_free (RealtimeRefusedBroadcast *refused)
{
  if (!refused)
    return;
  g_free (refused->join_ref);
  g_free (refused->topic);
  g_free (refused->event);
  g_free (refused->request_id);
  g_free (refused->pipeline);
  g_free (refused->reason);
  g_free (refused);
}

/**
 * realtime_codec_peek_refused:
 * @vsn: the protocol version of the socket
 * @binary: whether the frame is a binary one (else text)
 * @data: the frame
 * @len: its length in bytes
 * @reason: why it is refused (copied into the result)
 *
 * Reads the envelope of a broadcast that is not decoded (refused by a
 * guard, see realtime_codec_error_reason(), or too large to process) in
 * one linear pass without building anything: its topic and join_ref, the
 * broadcast's event, and the "request_id" and "pipeline" members of its
 * payload. Each is taken only when it is a plain string (no escape,
 * printable ASCII, at most %REALTIME_CODEC_PEEK_STRING_MAX bytes), so
 * nothing a guard refused is ever copied. The frame need not be valid
 * JSON past the members read.
 *
 * Returns: (transfer full) (nullable): what was read, or %NULL when the
 *   frame is no broadcast whose topic and event could be read
 */
RealtimeRefusedBroadcast *
realtime_codec_peek_refused (RealtimeVsn vsn, gboolean binary,
    gconstpointer data, gsize len, const gchar *reason)
{
  RealtimeRefusedBroadcast *out;
  Peek k = { data, (const guchar *)data + len, NULL, NULL };

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (reason != NULL, NULL);

  out = g_new0 (RealtimeRefusedBroadcast, 1);
  k.out = out;
  /* Whatever was read before a syntax error counts: the refusal may be the
   * reason the rest does not parse. */
  if (binary)
    peek_binary (&k, data, len);
  else if (vsn == REALTIME_VSN_1_0_0)
    peek_object (&k, peek_v1_member);
  else
    peek_v2 (&k);
  if (!out->topic || !out->event
      || g_strcmp0 (k.frame_event, "broadcast") != 0) {
    g_free (k.frame_event);
    realtime_refused_broadcast_free (out);
    return NULL;
  }
  g_free (k.frame_event);
  out->reason = g_strdup (reason);
  return out;
}

/* Encoders */

/* Checks that no field of a binary frame is too long for its length
 * byte; %NULL fields are empty. */
static gboolean
check_fields (const gchar *const *fields, const gchar *const *names,
    guint n_fields, GError **error)
{
  guint i;

  for (i = 0; i < n_fields; i++) {
    gsize n = fields[i] ? strlen (fields[i]) : 0;

    if (n > MAX_FIELD_LEN) {
      set_error (error, REALTIME_CODEC_ERROR_TOO_LARGE, NULL, 0,
          "%s is %" G_GSIZE_FORMAT " bytes, a binary frame allows at most %d",
          names[i], n, MAX_FIELD_LEN);
      return FALSE;
    }
  }
  return TRUE;
}

/* JSON carried by a binary frame ends up one level below a text frame's
 * payload, hence the depth. */
static gboolean
check_binary_json (const gchar *json, const gchar *name, GError **error)
{
  return check_json (json, strlen (json), MAX_DEPTH - 2, name, NULL, 0, error);
}

/* Lays out a checked binary frame of @kind: the kind byte, a length byte
 * per field, the encoding byte (1: JSON), then the fields (%NULL ones
 * empty) and @payload_json. */
static GBytes *
build_frame (guint8 kind, const gchar *const *fields, guint n_fields,
    const gchar *payload_json)
{
  const guint8 encoding = 1;
  GByteArray *frame;
  gsize size = 2 + n_fields + strlen (payload_json);
  guint i;

  for (i = 0; i < n_fields; i++)
    size += fields[i] ? strlen (fields[i]) : 0;
  frame = g_byte_array_sized_new (size);
  g_byte_array_append (frame, &kind, 1);
  for (i = 0; i < n_fields; i++) {
    guint8 n = fields[i] ? strlen (fields[i]) : 0;

    g_byte_array_append (frame, &n, 1);
  }
  g_byte_array_append (frame, &encoding, 1);
  for (i = 0; i < n_fields; i++)
    if (fields[i])
      g_byte_array_append (frame, (const guint8 *)fields[i],
          strlen (fields[i]));
  g_byte_array_append (frame, (const guint8 *)payload_json,
      strlen (payload_json));
  return g_byte_array_free_to_bytes (frame);
}

/**
 * realtime_codec_encode_user_broadcast_push:
 * @join_ref: (nullable): the channel's join reference
 * @ref: (nullable): the push reference
 * @topic: the topic
 * @user_event: the broadcast event name
 * @payload_json: the payload as JSON text
 * @error: return location for a %REALTIME_CODEC_ERROR
 *
 * Encodes a kind 3 user broadcast push, JSON encoded, without metadata,
 * as realtime-js sends channel.send() in vsn 2.0.0.
 *
 * Returns: (transfer full) (nullable): the frame, or %NULL with @error set
 *   (%REALTIME_CODEC_ERROR_TOO_LARGE for a string over 255 bytes,
 *   %REALTIME_CODEC_ERROR_MALFORMED for a payload that is not JSON).
 */
GBytes *
realtime_codec_encode_user_broadcast_push (const gchar *join_ref,
    const gchar *ref, const gchar *topic, const gchar *user_event,
    const gchar *payload_json, GError **error)
{
  static const gchar *const names[]
      = { "join_ref", "ref", "topic", "event", "meta" };
  const gchar *fields[] = { join_ref, ref, topic, user_event, NULL };

  g_return_val_if_fail (topic != NULL, NULL);
  g_return_val_if_fail (user_event != NULL, NULL);
  g_return_val_if_fail (payload_json != NULL, NULL);

  if (!check_fields (fields, names, G_N_ELEMENTS (fields), error)
      || !check_binary_json (payload_json, "payload", error))
    return NULL;
  return build_frame (REALTIME_BINARY_USER_BROADCAST_PUSH, fields,
      G_N_ELEMENTS (fields), payload_json);
}

/**
 * realtime_codec_encode_user_broadcast:
 * @topic: the topic
 * @user_event: the broadcast event name
 * @meta_json: (nullable): the metadata as JSON text, or %NULL for none
 * @payload_json: the payload as JSON text
 * @error: return location for a %REALTIME_CODEC_ERROR
 *
 * Encodes a kind 4 user broadcast, JSON encoded, as the server sends it
 * to vsn 2.0.0 clients; for the local test server and tests.
 *
 * Returns: (transfer full) (nullable): the frame, or %NULL with @error set.
 */
GBytes *
realtime_codec_encode_user_broadcast (const gchar *topic,
    const gchar *user_event, const gchar *meta_json, const gchar *payload_json,
    GError **error)
{
  static const gchar *const names[] = { "topic", "event", "meta" };
  const gchar *fields[3];

  g_return_val_if_fail (topic != NULL, NULL);
  g_return_val_if_fail (user_event != NULL, NULL);
  g_return_val_if_fail (payload_json != NULL, NULL);

  if (meta_json && !*meta_json)
    meta_json = NULL;
  fields[0] = topic;
  fields[1] = user_event;
  fields[2] = meta_json;
  if (!check_fields (fields, names, G_N_ELEMENTS (fields), error)
      || (meta_json && !check_binary_json (meta_json, "meta", error))
      || !check_binary_json (payload_json, "payload", error))
    return NULL;
  return build_frame (REALTIME_BINARY_USER_BROADCAST, fields,
      G_N_ELEMENTS (fields), payload_json);
}

/* writer_jsonl.c - JSON Lines: one object per record.
 *
 * Keys are the column names; numbers are bare, absent values are null.
 * Strings are UTF-8 JSON strings.  A byte that is not part of valid UTF-8
 * is written as the escape \udcXX (XX its value), the "surrogateescape"
 * convention of PEP 383: the result parses everywhere, and
 * value.encode("utf-8", "surrogateescape") in Python gives back the exact
 * original bytes.  Valid text is never altered.
 */
#include "config.h"

#include "writer.h"

static const char hex[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at @p (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), or 0. */
static size_t
utf8_sequence (const unsigned char *p, const unsigned char *end)
{
  unsigned c = p[0];
  size_t n, i;
  unsigned lo = 0x80, hi = 0xbf;

  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef)
    {
      n = 3;
      if (c == 0xe0)
        lo = 0xa0;
      else if (c == 0xed)
        hi = 0x9f;
    }
  else if (c >= 0xf0 && c <= 0xf4)
    {
      n = 4;
      if (c == 0xf0)
        lo = 0x90;
      else if (c == 0xf4)
        hi = 0x8f;
    }
  else
    return 0;
  if ((size_t) (end - p) < n || p[1] < lo || p[1] > hi)
    return 0;
  for (i = 2; i < n; i++)
    if (p[i] < 0x80 || p[i] > 0xbf)
      return 0;
  return n;
}

/* Writes @s as a JSON string at @o, which has room for
 * JSON_STRING_MAX (s.len) bytes; returns the length written. */
#define JSON_STRING_MAX(len) (6 * (len) + 2)

static size_t
json_string_at (char *o, LnSpan s)
{
  const unsigned char *p = (const unsigned char *) s.p;
  const unsigned char *end = p + s.len;
  const unsigned char *run = p;
  char *start = o;

  *o++ = '"';
  while (p < end)
    {
      unsigned c;
      size_t n;

      /* plain ASCII runs are skipped 16 bytes at a time */
      p = (const unsigned char *) scan_json_special ((const char *) p, (const char *) end);
      if (p == end)
        break;
      c = *p;
      if (c >= 0x80 && (n = utf8_sequence (p, end)) > 0)
        {
          p += n;
          continue;
        }
      copy_bytes (o, (const char *) run, (size_t) (p - run));
      o += p - run;
      if (c == '"' || c == '\\')
        {
          *o++ = '\\';
          *o++ = (char) c;
        }
      else
        {
          o[0] = '\\';
          o[1] = 'u';
          o[2] = c >= 0x80 ? 'd' : '0';
          o[3] = c >= 0x80 ? 'c' : '0';
          o[4] = hex[c >> 4];
          o[5] = hex[c & 15];
          o += 6;
        }
      p++;
      run = p;
    }
  copy_bytes (o, (const char *) run, (size_t) (p - run));
  o += p - run;
  *o++ = '"';
  return (size_t) (o - start);
}

/* json_string_at() for values that are nearly always plain ASCII: those
 * are copied and checked in one pass, and only the others take the loop.
 * @o has room for JSON_STRING_MAX (s.len) + LN_COPY_SLACK bytes. */
static inline char *
json_string_fast_at (char *o, LnSpan s)
{
  o[0] = '"';
  if (!copy_find_json_special (o + 1, s.p, s.len))
    {
      o[1 + s.len] = '"';
      return o + s.len + 2;
    }
  return o + json_string_at (o, s);
}

void
writer_json_string (LnBuf *out, LnSpan s)
{
  buf_reserve (out, JSON_STRING_MAX (s.len));
  out->len += json_string_at (out->data + out->len, s);
}

/* ",\"key\":" of each column in 16 bytes (LN_COPY_SLACK): the longest,
 * ",\"duration_us\":", has 15. */
static const char comma_keys[LN_COL__COUNT][16] = {
  [LN_COL_TIME] = ",\"time\":",
  [LN_COL_CLIENT] = ",\"client\":",
  [LN_COL_COUNTRY] = ",\"country\":",
  [LN_COL_VHOST] = ",\"vhost\":",
  [LN_COL_PORT] = ",\"port\":",
  [LN_COL_USER] = ",\"user\":",
  [LN_COL_METHOD] = ",\"method\":",
  [LN_COL_PATH] = ",\"path\":",
  [LN_COL_QUERY] = ",\"query\":",
  [LN_COL_PROTOCOL] = ",\"protocol\":",
  [LN_COL_REQUEST] = ",\"request\":",
  [LN_COL_STATUS] = ",\"status\":",
  [LN_COL_BYTES] = ",\"bytes\":",
  [LN_COL_REFERER] = ",\"referer\":",
  [LN_COL_USER_AGENT] = ",\"user_agent\":",
  [LN_COL_DURATION_US] = ",\"duration_us\":",
};

static void
jsonl_write_record (LnWriter *writer, const LnRecord *rec, LnBuf *out)
{
  size_t n = writer->ncolumns, start = out->len, i;
  LnRowWalk walk;
  char *o = out->data + out->len, *lim = out->data + out->cap;
  const LnColumn *columns = writer->columns;

  columns_walk_begin (&walk, rec, columns, n, &writer->column_cache);
  for (i = 0; i < n; i++)
    {
      /* columns are checked when the options are read */
      LnColumn c = columns[i];
      LnValue v = columns_walk_value (&walk, i);

      /* the comma and key, the value at worst, and the closing "}\n" */
      o = buf_room_at (out, o, &lim,
                       sizeof comma_keys[c] + JSON_STRING_MAX (v.text.len) + 4 + 2
                       + LN_COPY_SLACK);
      /* one 16-byte move for the comma and the key */
      memcpy (o, comma_keys[c], sizeof comma_keys[c]);
      o += column_json_keys[c].len + 1;
      if (v.kind == LN_VALUE_NUMBER)
        {
          copy_bytes (o, v.text.p, v.text.len);
          o += v.text.len;
        }
      else if (v.kind == LN_VALUE_STRING)
        o = json_string_fast_at (o, v.text);
      else
        {
          memcpy (o, "null", 4);
          o += 4;
        }
    }
  o = buf_room_at (out, o, &lim, 3);
  if (n == 0)
    *o++ = '{';
  else
    out->data[start] = '{';     /* the first comma opens the object */
  o[0] = '}';
  o[1] = '\n';
  out->len = (size_t) (o + 2 - out->data);
}

const LnWriterOps writer_jsonl_ops = {
  .name = "jsonl",
  .begin = NULL,
  .write_record = jsonl_write_record,
  .finish = NULL,
};

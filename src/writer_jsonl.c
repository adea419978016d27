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

void
writer_json_string (LnBuf *out, LnSpan s)
{
  buf_reserve (out, JSON_STRING_MAX (s.len));
  out->len += json_string_at (out->data + out->len, s);
}

static void
jsonl_write_record (LnWriter *writer, const LnRecord *rec, LnBuf *out)
{
  LnValue values[LN_MAX_COLUMNS];
  size_t room, i;
  char *o;

  columns_row (rec, writer->columns, writer->ncolumns, values, &writer->column_cache);
  if (writer->json_fixed == 0)
    {
      /* braces, newline, and per column a comma, the key and "null" */
      writer->json_fixed = 3;
      for (i = 0; i < writer->ncolumns; i++)
        writer->json_fixed += 1 + column_json_key (writer->columns[i]).len + 4;
    }
  /* room for the whole object at once, so the loop below needs no checks */
  room = writer->json_fixed;
  for (i = 0; i < writer->ncolumns; i++)
    room += values[i].kind == LN_VALUE_STRING ? JSON_STRING_MAX (values[i].text.len)
                                              : values[i].text.len;
  buf_reserve (out, room);
  o = out->data + out->len;
  *o++ = '{';
  for (i = 0; i < writer->ncolumns; i++)
    {
      /* columns are checked when the options are read */
      const LnSpan *key = &column_json_keys[writer->columns[i]];
      const LnValue *v = &values[i];

      *o = ',';
      o += i != 0;
      copy_bytes (o, key->p, key->len);
      o += key->len;
      if (v->kind == LN_VALUE_NUMBER)
        {
          copy_bytes (o, v->text.p, v->text.len);
          o += v->text.len;
        }
      else if (v->kind == LN_VALUE_STRING)
        o += json_string_at (o, v->text);
      else
        {
          memcpy (o, "null", 4);
          o += 4;
        }
    }
  *o++ = '}';
  *o++ = '\n';
  out->len = (size_t) (o - out->data);
}

const LnWriterOps writer_jsonl_ops = {
  .name = "jsonl",
  .begin = NULL,
  .write_record = jsonl_write_record,
  .finish = NULL,
};

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

void
writer_json_string (LnBuf *out, LnSpan s)
{
  const unsigned char *p = (const unsigned char *) s.p;
  const unsigned char *end = p + s.len;
  const unsigned char *run = p;

  buf_reserve (out, s.len + 2);
  buf_append_c (out, '"');
  while (p < end)
    {
      unsigned c = *p;
      size_t n;

      if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')
        {
          p++;
          continue;
        }
      if (c >= 0x80 && (n = utf8_sequence (p, end)) > 0)
        {
          p += n;
          continue;
        }
      buf_append (out, run, (size_t) (p - run));
      if (c == '"' || c == '\\')
        {
          buf_append_c (out, '\\');
          buf_append_c (out, (char) c);
        }
      else
        {
          char esc[6] = { '\\', 'u', c >= 0x80 ? 'd' : '0', c >= 0x80 ? 'c' : '0',
                          hex[c >> 4], hex[c & 15] };
          buf_append (out, esc, 6);
        }
      p++;
      run = p;
    }
  buf_append (out, run, (size_t) (p - run));
  buf_append_c (out, '"');
}

static void
jsonl_write_record (LnWriter *writer, const LnRecord *rec, LnBuf *out)
{
  char scratch[LN_COLUMN_SCRATCH];
  size_t i;

  buf_append_c (out, '{');
  for (i = 0; i < writer->ncolumns; i++)
    {
      const char *name = column_name (writer->columns[i]);
      LnValue v = column_value (rec, writer->columns[i], scratch);

      if (i)
        buf_append_c (out, ',');
      buf_append_c (out, '"');
      buf_append (out, name, strlen (name));
      buf_append (out, "\":", 2);
      if (v.kind == LN_VALUE_NUMBER)
        buf_append_span (out, v.text);
      else if (v.kind == LN_VALUE_STRING)
        writer_json_string (out, v.text);
      else
        buf_append (out, "null", 4);
    }
  buf_append (out, "}\n", 2);
}

const LnWriterOps writer_jsonl_ops = {
  .name = "jsonl",
  .begin = NULL,
  .write_record = jsonl_write_record,
  .finish = NULL,
};

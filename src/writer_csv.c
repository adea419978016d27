/* writer_csv.c - RFC 4180 CSV with a header row, through libcsv.
 *
 * Strings are quoted by libcsv's csv_write (every string, with doubled
 * quotes; one without a quote in it, nearly all of them, is put between
 * quotes here, which is what csv_write would write: test_writers.c checks
 * both give the same bytes); numbers are written bare; absent values ("-"
 * in the log) are empty.  Records end in CRLF as RFC 4180 says.  Bytes
 * are passed as they are: the CSV is exactly as UTF-8 as the log was.
 */
#include "config.h"

#ifdef HAVE_CSV_H
#include <csv.h>
#else
#include <libcsv/csv.h>
#endif
#include "writer.h"

static void
csv_begin (LnWriter *writer, LnBuf *out)
{
  size_t i;

  for (i = 0; i < writer->ncolumns; i++)
    {
      const char *name = column_name (writer->columns[i]);

      if (i)
        buf_append_c (out, ',');
      buf_append (out, name, strlen (name));
    }
  buf_append (out, "\r\n", 2);
}

/* Writes @s as csv_write() does (quoted, quotes doubled) at @o, which has
 * room for 2 * s.len + 2 + LN_COPY_SLACK bytes; returns the end.  Nearly
 * no value holds a quote: those are copied and checked in one pass, and
 * only the others go through libcsv. */
static char *
csv_string_at (char *o, LnSpan s)
{
  o[0] = '"';
  if (!copy_find_byte (o + 1, s.p, s.len, '"'))
    {
      o[1 + s.len] = '"';
      return o + s.len + 2;
    }
  return o + csv_write (o, 2 * s.len + 2, s.p, s.len);
}

static void
csv_write_record (LnWriter *writer, const LnRecord *rec, LnBuf *out)
{
  size_t n = writer->ncolumns, i;
  LnRowWalk walk;
  char *o = out->data + out->len, *lim = out->data + out->cap;
  const LnColumn *columns = writer->columns;

  columns_walk_begin (&walk, rec, columns, n, &writer->column_cache);
  for (i = 0; i < n; i++)
    {
      LnValue v = columns_walk_value (&walk, i);

      /* a comma, the value at worst (every byte a doubled quote, and two
       * more), and the row's CRLF */
      o = buf_room_at (out, o, &lim, 2 * v.text.len + 5 + LN_COPY_SLACK);
      *o = ',';
      o += i != 0;
      if (v.kind == LN_VALUE_NUMBER)
        {
          copy_bytes (o, v.text.p, v.text.len);
          o += v.text.len;
        }
      else if (v.kind == LN_VALUE_STRING)
        o = csv_string_at (o, v.text);
    }
  o = buf_room_at (out, o, &lim, 2);
  o[0] = '\r';
  o[1] = '\n';
  out->len = (size_t) (o + 2 - out->data);
}

const LnWriterOps writer_csv_ops = {
  .name = "csv",
  .begin = csv_begin,
  .write_record = csv_write_record,
  .finish = NULL,
};

/* writer_csv.c - RFC 4180 CSV with a header row, through libcsv.
 *
 * Strings are quoted by libcsv's csv_write (every string, with doubled
 * quotes; one without a quote in it, nearly all of them, is put between
 * quotes here, which is what csv_write would write); numbers are written bare; absent values ("-" in the log) are
 * empty.  Records end in CRLF as RFC 4180 says.  Bytes are passed as they
 * are: the CSV is exactly as UTF-8 as the log was.
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

static void
csv_write_record (LnWriter *writer, const LnRecord *rec, LnBuf *out)
{
  LnValue values[LN_MAX_COLUMNS];
  size_t i;

  columns_row (rec, writer->columns, writer->ncolumns, values, &writer->column_cache);
  for (i = 0; i < writer->ncolumns; i++)
    {
      LnValue v = values[i];

      if (i)
        buf_append_c (out, ',');
      if (v.kind == LN_VALUE_NUMBER)
        buf_append_span (out, v.text);
      else if (v.kind == LN_VALUE_STRING
               && scan_byte_padded (v.text.p, v.text.p + v.text.len, '"') == NULL)
        {
          /* what csv_write writes for a value without a quote in it */
          buf_reserve (out, v.text.len + 2);
          out->data[out->len++] = '"';
          copy_bytes (out->data + out->len, v.text.p, v.text.len);
          out->len += v.text.len;
          out->data[out->len++] = '"';
        }
      else if (v.kind == LN_VALUE_STRING)
        {
          size_t room = 2 * v.text.len + 2;

          buf_reserve (out, room);
          out->len += csv_write (out->data + out->len, room, v.text.p, v.text.len);
        }
    }
  buf_append (out, "\r\n", 2);
}

const LnWriterOps writer_csv_ops = {
  .name = "csv",
  .begin = csv_begin,
  .write_record = csv_write_record,
  .finish = NULL,
};

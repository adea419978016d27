/* writer_log.c - the anonymised log in the format it was read in.
 *
 * Re-emits the line byte for byte: the literal text between fields comes
 * from the line itself (the parser checked it against the format) and each
 * field is replaced by its "out" span.  Bytes lognym does not rewrite pass
 * through unchanged, including invalid UTF-8 and NUL.
 */
#include "config.h"

#include "writer.h"

static void
log_write_record (LnWriter *writer, const LnRecord *rec, LnBuf *out)
{
  const char *pos = rec->line.p;
  const char *end = rec->line.p + rec->line.len;
  size_t i;

  (void) writer;
  buf_reserve (out, rec->line.len + 64);
  for (i = 0; i < rec->nfields; i++)
    {
      const LnField *f = &rec->fields[i];

      /* unchanged fields are copied along with the text around them */
      if (f->out.p == f->raw.p && f->out.len == f->raw.len)
        continue;
      buf_append (out, pos, (size_t) (f->raw.p - pos));
      buf_append_span (out, f->out);
      pos = f->raw.p + f->raw.len;
    }
  buf_append (out, pos, (size_t) (end - pos));
  writer_end_line (out, rec->eol);
}

const LnWriterOps writer_log_ops = {
  .name = "log",
  .begin = NULL,
  .write_record = log_write_record,
  .finish = NULL,
};

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
  const LnField *f = rec->fields;
  const LnField *last = rec->fields + rec->nfields;
  /* the terminator: at most eol and a newline (see writer_end_line) */
  size_t tail = rec->eol.len + 1;
  size_t spare;
  char *dst;

  (void) writer;
  /* One check for the whole line: what is copied of the line itself is at
   * most the line, and a field that comes out shorter than it went in
   * needs no room of its own; only a longer one (a pseudonym for a short
   * address) takes from @spare. */
  buf_reserve (out, rec->line.len + tail);
  spare = out->cap - out->len - rec->line.len - tail;
  dst = out->data + out->len;
  for (; f < last; f++)
    {
      /* unchanged fields are copied along with the text around them */
      if (f->out.p == f->raw.p && f->out.len == f->raw.len)
        continue;
      if (G_UNLIKELY (f->out.len > f->raw.len))
        {
          size_t grow = f->out.len - f->raw.len;

          if (grow > spare)
            {
              size_t left = (size_t) (end - pos) + tail;

              out->len = (size_t) (dst - out->data);
              buf_reserve (out, left + grow);
              spare = out->cap - out->len - left;
              dst = out->data + out->len;
            }
          spare -= grow;
        }
      dst = buf_put (dst, pos, (size_t) (f->raw.p - pos));
      dst = buf_put (dst, f->out.p, f->out.len);
      pos = f->raw.p + f->raw.len;
    }
  dst = buf_put (dst, pos, (size_t) (end - pos));
  if (G_LIKELY (rec->eol.len == 1 && rec->eol.p[0] == '\n'))
    *dst++ = '\n';
  else
    {
      /* as writer_end_line: CRLF stays CRLF, every line ends in '\n' */
      dst = buf_put (dst, rec->eol.p, rec->eol.len);
      if (rec->eol.len == 0 || rec->eol.p[rec->eol.len - 1] != '\n')
        *dst++ = '\n';
    }
  out->len = (size_t) (dst - out->data);
}

const LnWriterOps writer_log_ops = {
  .name = "log",
  .begin = NULL,
  .write_record = log_write_record,
  .finish = NULL,
};

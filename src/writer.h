/* writer.h - output formats behind one small interface.
 *
 * A writer turns an anonymised record into bytes appended to a buffer.  It
 * receives a const record and prints only the fields' "out" spans and the
 * literal text between fields, which the parser verified against the
 * format; it has no way to reach a raw client address.
 */
#ifndef LN_WRITER_H
#define LN_WRITER_H

#include <glib.h>
#include "buf.h"
#include "record.h"

typedef struct LnWriter LnWriter;

typedef struct {
  const char *name;
  /* Appends @rec to @out. */
  void (*write_record) (LnWriter *writer, const LnRecord *rec, LnBuf *out);
  /* Appends anything due at the end of the output (may be NULL). */
  void (*finish) (LnWriter *writer, LnBuf *out);
} LnWriterOps;

struct LnWriter {
  const LnWriterOps *ops;
  void *state;
};

/* The writer registered as @name, or NULL. */
const LnWriterOps *writer_lookup (const char *name);

/* Appends @eol, or a newline when @eol does not end in one, so that every
 * output line is terminated while CRLF input stays CRLF. */
void writer_end_line (LnBuf *out, LnSpan eol);

extern const LnWriterOps writer_log_ops;

#endif /* LN_WRITER_H */

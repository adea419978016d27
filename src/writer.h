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
#include "columns.h"
#include "record.h"

typedef struct LnWriter LnWriter;
struct LnConvert;

typedef struct {
  const char *name;
  /* Appends what comes before the first record, e.g. a header (may be NULL). */
  void (*begin) (LnWriter *writer, LnBuf *out);
  /* Appends @rec to @out. */
  void (*write_record) (LnWriter *writer, const LnRecord *rec, LnBuf *out);
  /* Appends anything due at the end of the output (may be NULL). */
  void (*finish) (LnWriter *writer, LnBuf *out);
} LnWriterOps;

#define LN_MAX_COLUMNS 32

struct LnWriter {
  const LnWriterOps *ops;
  LnColumn columns[LN_MAX_COLUMNS];   /* csv and jsonl */
  size_t ncolumns;
  LnColumnCache column_cache;         /* csv and jsonl */
  const struct LnConvert *convert;    /* -O common, -O '<LogFormat>' */
};

/* The writer registered as @name, or NULL. */
const LnWriterOps *writer_lookup (const char *name);

/* Appends @eol, or a newline when @eol does not end in one, so that every
 * output line is terminated while CRLF input stays CRLF. */
void writer_end_line (LnBuf *out, LnSpan eol);

/* Appends @s as a JSON string (see writer_jsonl.c for invalid UTF-8). */
void writer_json_string (LnBuf *out, LnSpan s);

extern const LnWriterOps writer_log_ops;
extern const LnWriterOps writer_csv_ops;
extern const LnWriterOps writer_jsonl_ops;
/* Not looked up by name: -O with a preset or LogFormat (see convert.h). */
extern const LnWriterOps writer_convert_ops;

#endif /* LN_WRITER_H */

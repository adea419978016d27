/* convert.h - anonymised records written in another log format.
 *
 * "-O combined" or "-O '<LogFormat>'" writes each record in a target
 * format instead of the one it was read in.  The target is compiled once;
 * for every input format the parser may match, each target field is bound
 * at start-up to the input field of the same meaning (or to none), so the
 * per-line work is a walk over that table.  Only the fields' "out" spans
 * are written, never raw text.
 */
#ifndef LN_CONVERT_H
#define LN_CONVERT_H

#include <glib.h>
#include "buf.h"
#include "logformat.h"
#include "parse.h"
#include "record.h"

typedef struct LnConvert LnConvert;

/* True when -O @name asks for a conversion (a preset or a LogFormat
 * string) rather than a writer (log, csv, jsonl). */
gboolean convert_is_target (const char *name);

/* Compiles @target (a preset name or an Apache LogFormat string) as an
 * output format: NULL with @error (LN_ERROR_USAGE) when it does not compile
 * or uses a directive lognym cannot write (%{...}t). */
LnLogFormat *convert_compile_target (const char *target, GError **error);

/* Binds @target to every input format of @parser (borrowed; it must
 * outlive the result).  NULL with @error as for convert_compile_target. */
LnConvert *convert_new (const char *target, const LnParser *parser, GError **error);

void convert_free (LnConvert *convert);

/* Appends @rec in the target format, line terminator included. */
void convert_write_record (const LnConvert *convert, const LnRecord *rec, LnBuf *out);

#endif /* LN_CONVERT_H */

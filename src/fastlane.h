/* fastlane.h - the fused line path: parse, truncate and write in one pass.
 *
 * The general path stores every field of a line into an LnRecord, visits
 * each again in the anonymiser and again in the writer; for the common
 * case that costs more than the work itself.  For the Apache CLF family
 * read and written as a log (-O log), with --ip=truncate or a pseudonym
 * mode and the other options at values it knows, this path checks the line
 * exactly as the parser's one-pass shortcut does (parse.c, parse_clf),
 * runs the same privacy code (ipaddr_parse_bare_in, ipaddr_truncate or
 * anon_keyed_client, fields_referer, the residual scanner) and appends the anonymised line straight to the
 * output.  Any line that is not plain (a client that is not one bare
 * address, a residual address, a referer with user information, a quote
 * or a backslash in a quoted value, anything malformed) is declined before
 * a byte is committed, and the general path, which stays the reference,
 * processes it as always.  For CSV and JSON Lines output (-O csv, -O
 * jsonl) the same checks and privacy code fill the LnRecord the parser and
 * anonymiser would have made instead, for the column writer.  The unit
 * test compares both paths on every line, records included.
 */
#ifndef LN_FASTLANE_H
#define LN_FASTLANE_H

#include <glib.h>
#include "anon.h"
#include "buf.h"
#include "parse.h"
#include "record.h"
#include "writer.h"

typedef struct LnFastlane LnFastlane;

/* The fused path for one kind of line: fastlane_line()'s contract. */
typedef gboolean (*LnFastlaneFn) (LnFastlane *fl, LnSpan line, LnSpan eol, LnBuf *out);

struct LnFastlane {
  LnParser *parser;          /* borrowed from the pipeline, as is @anon: */
  LnAnon *anon;              /* fewer arguments for the per-line call */
  gboolean enabled;          /* some candidate format can take the path */
  uint8_t kind[8];           /* per candidate format: its LN_CLF_* bits, 0
                                when this path does not take its lines */
  gboolean avx2;             /* the quote scans 32 bytes wide (x86-64 with
                                AVX2; the unit test turns it off, too) */
  /* per candidate format, without and with AVX2: the copy of the fused
   * path for its kind, or one that declines every line */
  LnFastlaneFn take[2][8];
  guint64 accepted;          /* lines taken (the unit test reads it) */
  /* fastlane_init_records(): the record filled for the writer, the arena
   * holding its client's text, and the writer (all borrowed) */
  LnRecord *record;
  LnBuf *arena;
  LnWriter *writer;
};

/* Decides once, from the compiled formats of @parser and the anonymiser's
 * configuration, which formats' lines the fused path may take.  @log_output:
 * the records go to the log writer and nothing else (no conversion, no
 * aggregate, no file per period, no --strict geo check).  Disabled when the
 * environment has LOGNYM_NO_FASTLANE (any value): a hidden switch for the
 * tests that compare both paths on whole runs. */
void fastlane_init (LnFastlane *fl, LnParser *parser, LnAnon *anon,
                    gboolean log_output);

/* fastlane_init() for a column writer (-O csv, -O jsonl): a line taken is
 * not written as a log line but as the LnRecord parser_parse() and
 * anon_record() would have made of it, in @record with its client's text
 * in @arena, handed to @writer.  @eligible: the records go to @writer and
 * nothing else (no aggregate, no file per period, no --geo-db). */
void fastlane_init_records (LnFastlane *fl, LnParser *parser, LnAnon *anon,
                            gboolean eligible, LnRecord *record, LnBuf *arena,
                            LnWriter *writer);

/* Takes @line (without its terminator @eol), as the candidate format the
 * parser tries first, appends its anonymised text with the terminator to
 * @out (or, after fastlane_init_records(), the writer's row) and counts
 * its client in the anonymiser's statistics, exactly as parser,
 * anonymiser and writer would.  FALSE, with @out and the
 * statistics untouched, for any line it does not take. */
static inline gboolean
fastlane_line (LnFastlane *fl, LnSpan line, LnSpan eol, LnBuf *out)
{
  /* chosen by fastlane_init(): one indirect call, no dispatch */
  return fl->take[fl->avx2 != 0][fl->parser->last_match] (fl, line, eol, out);
}

#endif /* LN_FASTLANE_H */

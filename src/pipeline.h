/* pipeline.h - the loop: reader -> parser -> anonymiser -> writer.
 *
 * Owns the per-run state (parser, anonymiser, record, scratch arena,
 * output) and the malformed-line policy, and counts what happened for
 * --stats.  Nothing here is global: a second pipeline could run beside it.
 */
#ifndef LN_PIPELINE_H
#define LN_PIPELINE_H

#include <glib.h>
#include "agg.h"
#include "anon.h"
#include "cli.h"
#include "convert.h"
#include "fastlane.h"
#include "output.h"
#include "parse.h"
#include "progress.h"
#include "reader.h"
#include "record.h"
#include "writer.h"

typedef struct {
  guint64 files;
  guint64 lines_read;
  guint64 lines_written;
  guint64 malformed;               /* all malformed lines */
  guint64 redacted;                /* malformed lines written redacted */
  guint64 by_reason[LN_PARSE__COUNT];
  guint64 bytes_read;
  gint64 started;                  /* g_get_monotonic_time at init */
  /* --jobs: what the workers' own pseudonym caches counted */
  guint64 cache_hits, cache_misses;
} LnPipelineStats;

typedef struct LnJobs LnJobs;

/* What became of one line (pipeline_line). */
typedef enum {
  LN_LINE_OK,            /* written, aggregated, redacted or dropped */
  LN_LINE_FAIL,          /* malformed under --malformed=fail: stop */
  LN_LINE_KEY_ERASED,    /* its period key was erased: stop */
  LN_LINE_GEO_STRICT,    /* a geo lookup failed under --strict: stop */
  LN_LINE_ERROR,         /* the output could not be switched: @error set */
} LnLineOutcome;

typedef struct LnPipeline LnPipeline;

struct LnPipeline {
  const LnOptions *options;
  LnParser parser;
  LnAnon anon;
  LnRecord record;
  LnBuf arena;
  LnOutput *output;
  LnWriter writer;
  LnConvert *convert;              /* -O with a preset or LogFormat */
  LnKeyring *keyring;              /* keyed modes only */
  LnPseudonymCache *cache;
  LnGeo *geo;                      /* --geo-db */
  LnAgg *agg;                      /* --aggregate and merge */
  LnPipelineStats stats;
  LnFastlane fastlane;             /* the fused path for plain lines */
  guint reported;                  /* malformed lines reported so far */
  LnProgress progress;
  LnJobs *jobs;                    /* --jobs N > 1, or NULL: one thread */
  /* --jobs: called before a malformed line is redacted with no key chosen
   * yet in the chunk, to take the key of the record before the chunk */
  void (*carry_in) (LnPipeline *p, void *data);
  void *carry_data;
};

/* Sets up a pipeline writing to @output (borrowed): compiles the format and,
 * for the keyed modes, loads the key or opens the key directory (erasing
 * expired keys).  FALSE and @error on failure. */
gboolean pipeline_init (LnPipeline *pipeline, const LnOptions *options,
                        LnOutput *output, GError **error);

/* A second pipeline for a --jobs worker, from @main's options: its own
 * parser, keyring, pseudonym cache and geo database handle, @main's
 * visitor key and columns, no output and no aggregate table (the worker
 * gives it one per chunk).  FALSE and @error on failure. */
gboolean pipeline_init_worker (LnPipeline *worker, const LnPipeline *main,
                               GError **error);

/* Processes every line of @reader.  Returns FALSE with @error set when the
 * input cannot be read (LN_ERROR_IO: the caller may go on with the next
 * file), the output cannot be written (LN_ERROR_OUTPUT, LN_ERROR_BROKEN_PIPE)
 * or a malformed line meets --malformed=fail (LN_ERROR_MALFORMED). */
gboolean pipeline_process (LnPipeline *pipeline, LnReader *reader, GError **error);

/* One line through parser, anonymiser and writer (or aggregate table),
 * appended to @out, and counted.  @status and @column say why a line was
 * malformed (LN_PARSE_OK otherwise); the caller reports it.  The caller
 * also turns a stopping outcome into an error (pipeline_stop_error). */
LnLineOutcome pipeline_line (LnPipeline *pipeline, LnSpan line, LnSpan eol, LnBuf *out,
                             LnParseStatus *status, size_t *column, GError **error);

/* Prints the message for a malformed line @line_no of input @name, or
 * nothing once 10 were reported without --verbose. */
void pipeline_report_malformed (LnPipeline *pipeline, const char *name, uint64_t line_no,
                                LnParseStatus status, size_t column);

/* Sets @error for a stopping @outcome at @name:@line_no; @detail is the
 * key error's message for LN_LINE_KEY_ERASED. */
void pipeline_stop_error (LnLineOutcome outcome, const char *name, uint64_t line_no,
                          const char *detail, GError **error);

/* Writes anything the writer holds back and flushes the output. */
gboolean pipeline_finish (LnPipeline *pipeline, GError **error);

/* Prints the --stats summary line to standard error (text or JSON). */
void pipeline_print_stats (const LnPipeline *pipeline, gboolean json);

/* Writes the JSON summary to @path (replaced atomically).  FALSE with
 * @error on failure. */
gboolean pipeline_write_stats_file (const LnPipeline *pipeline, const char *path,
                                    GError **error);

/* Switches the output (--in-place gives each file its own); @output is
 * borrowed and may be NULL between files. */
void pipeline_set_output (LnPipeline *pipeline, LnOutput *output);

void pipeline_clear (LnPipeline *pipeline);

#endif /* LN_PIPELINE_H */

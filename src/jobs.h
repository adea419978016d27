/* jobs.h - --jobs N: chunks of input processed by N threads, written in order.
 *
 * The reading thread (the caller's) cuts the input into blocks of whole
 * lines (about 256 KiB, reader_next_block) and queues them.  A regular file
 * named on the command line is not read in order: it queues chunk
 * numbers, and the worker that takes one reads that range of the file
 * itself with pread(2) (the lines that start in it), so that reading is
 * spread over the workers; what follows
 * the file's last newline is read in order afterwards.  Each worker has a
 * pipeline of its own (parser, anonymiser, keyring, pseudonym cache, geo
 * handle) and turns a chunk into output in the chunk's own buffer, noting
 * malformed lines by their number within the chunk.  The reading thread
 * writes finished chunks strictly in input order, reports their malformed
 * lines with file name and line number, and adds their counts to the main
 * pipeline's, so output, messages and --stats are those of one thread.  At
 * most 2N chunks are in flight, so memory stays bounded.
 *
 * The reading thread is one of the N: where it would wait for the oldest
 * chunk, it takes the next queued one instead (with a pipeline of its
 * own), so N threads share N cores and no finished chunk wakes a thread
 * that preempts a worker.  Not where a worker may wait for the chunks
 * before its own to be written (the key carry below): N workers run
 * besides it then.
 *
 * A chunk's output depends on two things before it: the key of the last
 * record (a malformed line redacted before any record of the chunk uses
 * it: the worker waits for the chunks before to be written, rare) and, with
 * --format auto, the format the last line matched (tried first, so it
 * decides between formats that both fit, and the reason given for a
 * malformed line).  A worker assumes its own parser's last format; when
 * the chunks before end in another one, the reading thread processes the
 * chunk again with the right one before writing it (logs of one format
 * never need that).
 *
 * Differences from one thread: the split of pseudonyms_computed and
 * pseudonyms_cached in --stats (each worker has its own cache; their sum
 * is the same), and with --key-dir a worker ahead of a stopping line may
 * have created the key of a later period.
 */
#ifndef LN_JOBS_H
#define LN_JOBS_H

#include <glib.h>
#include "pipeline.h"
#include "reader.h"

/* Starts the workers of --jobs @n for @main (borrowed; it must outlive the
 * result): @n - 1 threads and the caller's, or @n threads (see above).
 * NULL with @error when a worker's pipeline cannot be set up. */
LnJobs *jobs_new (LnPipeline *main, guint n, GError **error);

/* pipeline_process() with the workers: the same result, output and
 * messages.  On any error the chunks still in flight are dropped. */
gboolean jobs_process (LnJobs *jobs, LnReader *reader, GError **error);

/* Stops and joins the workers and frees everything; wipes chunk buffers. */
void jobs_free (LnJobs *jobs);

#endif /* LN_JOBS_H */

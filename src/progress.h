/* progress.h - a progress line on a terminal for long batch runs.
 *
 * Percent of input bytes, lines per second and time left, redrawn at most
 * four times a second on standard error and erased at the end.  On by
 * default only when standard error is a terminal and the inputs are
 * files (so their size is known); --progress forces it, --no-progress
 * turns it off.
 */
#ifndef LN_PROGRESS_H
#define LN_PROGRESS_H

#include <glib.h>
#include <stdint.h>

typedef struct {
  gboolean enabled;
  uint64_t total_bytes;     /* of all input files */
  uint64_t done_bytes;      /* of the files already finished */
  gint64 started;
  gint64 last_draw;
  gboolean drawn;
} LnProgress;

/* @mode: -1 --no-progress, 0 automatic, 1 --progress. */
void progress_init (LnProgress *progress, char **files, int mode);

/* Redraws if a quarter second has passed.  @file_bytes: bytes read of the
 * current file; @lines: lines so far. */
void progress_update (LnProgress *progress, uint64_t file_bytes, uint64_t lines);

/* A file is finished: its bytes count as done. */
void progress_file_done (LnProgress *progress, uint64_t file_bytes);

/* Erases the line. */
void progress_finish (LnProgress *progress);

#endif /* LN_PROGRESS_H */

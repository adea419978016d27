/* output.h - buffered output to stdout or a file, with honest errors.
 *
 * Output is collected in one large buffer and written with write(2) in big
 * blocks; partial writes and EINTR are handled, a full disk or a file size
 * limit is an error (LN_ERROR_OUTPUT, exit status 2), and a closed pipe
 * (lognym big.log | head) is LN_ERROR_BROKEN_PIPE, which ends the run
 * quietly.
 */
#ifndef LN_OUTPUT_H
#define LN_OUTPUT_H

#include <glib.h>
#include <stdint.h>
#include <zlib.h>
#include "buf.h"

/* Flush when this much is buffered. */
#define LN_OUTPUT_BLOCK (256 * 1024)

typedef struct {
  int fd;
  gboolean close_fd;
  char *name;
  char *path;             /* NULL for standard output */
  gboolean gzip;          /* compress what is written (--in-place on .gz) */
  char *pattern;          /* -o with strftime conversions: file per period */
  int create_mode;        /* for files we create; -1: 0640 less the umask */
  int64_t pattern_minute; /* the minute the current file was chosen for */
  gboolean z_open;
  z_stream zs;
  unsigned char *zbuf;
  LnBuf buf;
  gboolean failed;        /* an error was reported; later writes are no-ops */
} LnOutput;

/* Opens @path for appending (created with mode 0640), or standard output
 * when @path is NULL or "-".  Returns NULL and sets @error on failure. */
LnOutput *output_open (const char *path, GError **error);

/* The same, but a file that does not exist yet (also one a pattern names
 * later, or one SIGHUP reopens) is created with exactly @mode (--mode;
 * the umask does not apply), or 0640 less the umask when @mode is -1.
 * Existing files keep their mode. */
LnOutput *output_open_mode (const char *path, int mode, GError **error);

/* Wraps @fd (closed by output_close/output_free), writing gzip data when
 * @gzip. */
LnOutput *output_new_fd (int fd, const char *name, gboolean gzip);

/* Flushes, finishes the gzip stream if any, and fsyncs the file.  FALSE
 * with @error on failure. */
gboolean output_sync (LnOutput *out, GError **error);

/* Writes out everything buffered.  Returns FALSE with @error set on a write
 * error; the error is sticky. */
gboolean output_flush (LnOutput *out, GError **error);

/* Writes what is buffered, then @len bytes at @data straight from there,
 * not copied into the buffer.  Errors as output_flush(). */
gboolean output_write_direct (LnOutput *out, const char *data, size_t len, GError **error);

static inline gboolean
output_maybe_flush (LnOutput *out, GError **error)
{
  if (out->buf.len >= LN_OUTPUT_BLOCK)
    return output_flush (out, error);
  return TRUE;
}

/* TRUE when @path has strftime conversions ("access.%Y-%m-%d.log"). */
gboolean output_is_pattern (const char *path);

/* With a pattern: makes the output the file for a record at @epoch
 * (seconds, UTC) written with UTC offset @offset, creating directories
 * and switching files (flush, close, open for appending) when the name
 * changes.  A no-op for plain outputs.  FALSE with @error on failure. */
gboolean output_select (LnOutput *out, int64_t epoch, int32_t offset, GError **error);

/* Flushes, closes and opens the -o file again (after logrotate moved it).
 * A no-op for standard output.  FALSE with @error if it cannot. */
gboolean output_reopen (LnOutput *out, GError **error);

/* TRUE when the output is a regular file that already holds data (so a
 * CSV header must not be written again in the middle of it). */
gboolean output_has_data (const LnOutput *out);

/* Device and inode of the output when it is a regular file. */
gboolean output_stat (const LnOutput *out, uint64_t *dev, uint64_t *ino);

/* Flushes and closes; FALSE with @error if either fails. */
gboolean output_close (LnOutput *out, GError **error);

void output_free (LnOutput *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LnOutput, output_free)

#endif /* LN_OUTPUT_H */

/* reader.h - streaming line input from files, stdin and gzip data.
 *
 * Reads large blocks with read(2) and hands out lines as spans (the
 * newlines of a block are found in one pass); a line may be of any length (the buffer grows), may end in CRLF or
 * have no final newline, and may contain NUL bytes.  gzip input is detected
 * by its magic bytes, so "lognym access.log.2.gz" and "zcat | lognym" both
 * work.  Lines that were handed out are wiped from the buffer before it is
 * reused or freed: raw client addresses do not outlive their read block.
 */
#ifndef LN_READER_H
#define LN_READER_H

#include <glib.h>
#include <stdint.h>
#include <sys/types.h>
#include "buf.h"
#include "lines.h"
#include "span.h"

typedef struct LnReader LnReader;

/* Called before a read that may block (pipe or terminal with nothing
 * buffered), so that the caller can flush what it has written so far. */
typedef gboolean (*LnReaderIdleFunc) (void *data, GError **error);

/* Opens @path for reading; "-" is standard input.  The display name used
 * in messages is @path, or "(standard input)".  Returns NULL and sets
 * @error (LN_ERROR_IO) when the file cannot be opened. */
LnReader *reader_open (const char *path, GError **error);

/* Wraps an open descriptor (not closed by reader_free). */
LnReader *reader_new_fd (int fd, const char *name);

void reader_set_idle_func (LnReader *reader, LnReaderIdleFunc func, void *data);

/* The lines a reader has found in its buffer and not handed out yet: the
 * head of every LnReader, so that reader_next() hands them out inline.
 * Nothing else reads or writes it. */
typedef struct {
  char *buf;
  size_t start;           /* first byte not yet handed out */
  uint64_t line_no;
  unsigned next_end;      /* the first of ends not handed out yet */
  unsigned nends;
  size_t ends[LN_LINE_ENDS]; /* offsets of the newlines found */
} LnReaderLines;

/* reader_next() when no line is found ahead: searches on, reads, or ends
 * the input. */
int reader_next_slow (LnReader *reader, LnSpan *line, LnSpan *eol, GError **error);

/* Returns the next line in @line (without terminator) and its terminator in
 * @eol ("\n", "\r\n", or empty for an unterminated last line).  The spans
 * are valid until the next call.  Returns 1 for a line, 0 at end of input,
 * -1 on error (@error set, LN_ERROR_IO, naming the file).  Inline: the
 * common case is a few loads and stores. */
static inline int
reader_next (LnReader *reader, LnSpan *line, LnSpan *eol, GError **error)
{
  LnReaderLines *l = (LnReaderLines *) (void *) reader;

  if (G_LIKELY (l->next_end < l->nends))
    {
      char *nl = l->buf + l->ends[l->next_end++];

      lines_cut (l->buf + l->start, nl, line, eol);
      l->start = (size_t) (nl - l->buf) + 1;
      l->line_no++;
      return 1;
    }
  return reader_next_slow (reader, line, eol, error);
}

/* The bytes buffered after the line reader_next() returned last: the
 * start of the next line, possibly cut short, possibly empty.  Valid until
 * the next call; for looking ahead (anon_look_ahead), never for output. */
LnSpan reader_ahead (const LnReader *reader);
/* Instead of one line: in @block (emptied first), whole lines up to and
 * including the last newline (the unterminated rest at end of input), at
 * least one line, for --jobs.  Reads into @block directly until it holds
 * @want bytes, except that from a pipe or terminal it takes what has
 * arrived rather than wait for more.  An unfinished line stays in the
 * reader for the next call.  Returns 1, 0 at end of input, -1 on error
 * (@error set).  reader_line_number() does not count these lines. */
int reader_next_block (LnReader *reader, size_t want, LnBuf *block, GError **error);

/* For --jobs: TRUE when @reader is a file opened by name that is regular,
 * not gzip data and not read from yet, so that its parts may be read
 * apart, in any order, with reader_pread(); @size is its size now.  FALSE
 * for anything else, to be read with reader_next_block(). */
gboolean reader_positional (LnReader *reader, uint64_t *size);

/* Reads @len bytes at @offset into @dst with pread(2), fewer only at the
 * end of the file.  Changes nothing in @reader, so that several threads
 * may call it at once.  Returns the bytes read, -1 on error (@error set,
 * LN_ERROR_IO, naming the file). */
ssize_t reader_pread (const LnReader *reader, void *dst, size_t len, uint64_t offset,
                      GError **error);

/* After [0, @offset) of a reader_positional() file was read with
 * reader_pread(): the reader goes on from @offset, and reader_bytes()
 * counts what was read before it.  FALSE with @error when the seek fails. */
gboolean reader_seek (LnReader *reader, uint64_t offset, GError **error);

/* Whether lines are found with AVX2 (the default where the processor has
 * it) or with memchr; for tests and benchmarks of both. */
void reader_set_vector_search (LnReader *reader, gboolean enable);

/* TRUE while a thread reads the input ahead (pump.h): an unshared pipe
 * read line by line, unless LOGNYM_NO_READ_AHEAD is set.  For tests. */
gboolean reader_read_ahead (const LnReader *reader);

/* TRUE for a pipe, terminal or socket: a read may wait. */
gboolean reader_may_block (const LnReader *reader);

/* After SIGTERM/SIGINT, a pipe or socket on standard input (one nobody
 * else reads) is read on until its writers close it, for at most
 * @seconds (0: not at all). */
void reader_set_drain_timeout (LnReader *reader, unsigned seconds);

/* TRUE when that time ran out with the input still open. */
gboolean reader_drain_expired (const LnReader *reader);

/* TRUE when reading ended at a stop signal rather than at the end of the
 * input (a regular file: only at a second signal). */
gboolean reader_cut_short (const LnReader *reader);

/* TRUE when input arrives within @timeout_ms (0: is there some now?). */
gboolean reader_input_ready (const LnReader *reader, int timeout_ms);

/* Bytes read from the file so far (compressed bytes for gzip input). */
uint64_t reader_bytes (const LnReader *reader);

/* 1-based number of the line last returned. */
uint64_t reader_line_number (const LnReader *reader);

const char *reader_name (const LnReader *reader);

/* Device and inode of the input, to refuse writing over it. */
gboolean reader_stat (const LnReader *reader, uint64_t *dev, uint64_t *ino);

void reader_free (LnReader *reader);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LnReader, reader_free)

#endif /* LN_READER_H */

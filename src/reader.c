/* reader.c - block reader with gzip support (see reader.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "errors.h"
#include "i18n.h"
#include "lines.h"
#include "pump.h"
#include "reader.h"
#include "signals.h"
#include "wipe.h"

/* 256 KiB: large enough that read(2) and memchr dominate nothing, small
 * enough that the raw lines in memory at any moment are few. */
#define READ_BLOCK (256 * 1024)

struct LnReader {
  LnReaderLines l;        /* first: reader_next() in reader.h reads it */
  int fd;
  gboolean close_fd;
  gboolean may_block;     /* pipe, terminal, socket */
  char *name;
  uint64_t bytes;         /* read(2) so far */

  size_t cap;
  size_t end;             /* end of valid data */
  size_t scan;            /* where the search for '\n' resumes */
  bool avx2;
  size_t dirty;           /* [end, dirty) holds bytes of lines handed out */
  size_t touched;         /* l.buf has held data in [0, touched) only */
  gboolean eof;
  gint64 stop_deadline;   /* after SIGTERM: until when a cut line may end */
  gboolean unshared;      /* a pipe or socket nobody else reads (drained) */
  gint64 drain_us;        /* how long it is read on after SIGTERM */
  gint64 drain_deadline;  /* after SIGTERM: until when it is read on */
  gboolean drain_expired; /* it was still open when that time ran out */
  gboolean cut_short;     /* reading ended at a signal, not at the end */

  gboolean gzip;
  gboolean z_done;        /* the current gzip member has ended */
  gboolean raw_eof;
  z_stream zs;
  unsigned char *zin;

  LnReaderIdleFunc idle;
  void *idle_data;
  struct stat st;

  /* An unshared pipe is read by a pump (pump.h), whose blocks l.buf then
   * is in turn; the reader's own buffer waits in own/own_cap meanwhile,
   * for lines longer than a block's headroom. */
  LnPump *pump;
  gboolean pump_tried;
  gboolean pump_stopped;  /* by a stop signal: its blocks are taken, then
                           * reading goes on without it */
  gboolean in_block;      /* l.buf is the pump's block taken last */
  size_t lo;              /* pumped: l.buf holds input in [lo, end) */
  char *own;
  size_t own_cap;
};

static void
set_io_error (GError **error, const LnReader *r, int err)
{
  g_set_error (error, LN_ERROR, LN_ERROR_IO, _("%s: read error: %s"),
               r->name, g_strerror (err));
}

/* A pipe or socket on standard input belongs to its writer alone: what
 * lognym leaves unread in it, nobody reads.  A named FIFO (also one given
 * as standard input with <fifo) may have a next reader, and keeps it. */
static gboolean
nobody_else_reads (int fd, const struct stat *st)
{
  char proc[40], target[64];
  ssize_t n;

  if (S_ISSOCK (st->st_mode))
    return TRUE;
  if (!S_ISFIFO (st->st_mode))
    return FALSE;
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  n = readlink (proc, target, sizeof target - 1);
  /* no /proc (a chroot): a pipe on standard input mostly is anonymous */
  if (n < 0)
    return TRUE;
  target[n] = '\0';
  return strncmp (target, "pipe:", 5) == 0;
}

static LnReader *
reader_new (int fd, const char *name, gboolean close_fd)
{
  LnReader *r = g_new0 (LnReader, 1);

  r->fd = fd;
  r->close_fd = close_fd;
  r->name = g_strdup (name);
  r->cap = READ_BLOCK;
  r->l.buf = g_malloc (r->cap);
  reader_set_vector_search (r, TRUE);
  if (fstat (fd, &r->st) == 0)
    {
      r->may_block = !S_ISREG (r->st.st_mode) && !S_ISBLK (r->st.st_mode);
      r->unshared = nobody_else_reads (fd, &r->st);
#ifdef F_SETPIPE_SZ
      /* a bigger pipe: a quarter of the reads and wake-ups of the default
       * 64 KiB when the writer is faster than lognym; the kernel's
       * pipe-max-size limit (1 MiB by default) may refuse it, and then
       * nothing changes */
      if (S_ISFIFO (r->st.st_mode))
        (void) fcntl (fd, F_SETPIPE_SZ, READ_BLOCK);
#endif
#ifdef HAVE_POSIX_FADVISE
      if (S_ISREG (r->st.st_mode))
        (void) posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    }
  return r;
}

LnReader *
reader_new_fd (int fd, const char *name)
{
  return reader_new (fd, name, FALSE);
}

LnReader *
reader_open (const char *path, GError **error)
{
  int fd;
  struct stat st;

  if (strcmp (path, "-") == 0)
    return reader_new (STDIN_FILENO, _("(standard input)"), FALSE);
  /* O_NONBLOCK: a FIFO would block here until its writer comes, and a
   * signal just before open(2) would go unseen until then; the wait is
   * in poll(2) instead (raw_read), with the signals' self-pipe.  Linux
   * reports no hangup on a FIFO that has had no writer since it was
   * opened, so that poll waits for the first writer as open(2) did. */
  do
    fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  while (fd < 0 && errno == EINTR && !signals_stop_requested ());
  if (fd < 0)
    {
      int err = errno;
      g_set_error (error, LN_ERROR, LN_ERROR_IO, _("%s: cannot open: %s"),
                   path, g_strerror (err));
      return NULL;
    }
  if (fstat (fd, &st) == 0 && S_ISDIR (st.st_mode))
    {
      g_set_error (error, LN_ERROR, LN_ERROR_IO, _("%s: is a directory"), path);
      close (fd);
      return NULL;
    }
  return reader_new (fd, path, TRUE);
}

void
reader_set_idle_func (LnReader *reader, LnReaderIdleFunc func, void *data)
{
  reader->idle = func;
  reader->idle_data = data;
}

void
reader_set_drain_timeout (LnReader *reader, unsigned seconds)
{
  reader->drain_us = (gint64) seconds * G_USEC_PER_SEC;
}

gboolean
reader_drain_expired (const LnReader *reader)
{
  return reader->drain_expired;
}

gboolean
reader_cut_short (const LnReader *reader)
{
  return reader->cut_short;
}

void
reader_set_vector_search (LnReader *reader, gboolean enable)
{
  reader->avx2 = enable && lines_have_avx2 ();
}

gboolean
reader_read_ahead (const LnReader *reader)
{
  return reader->pump != NULL;
}

gboolean
reader_may_block (const LnReader *reader)
{
  return reader->may_block;
}

uint64_t
reader_bytes (const LnReader *reader)
{
  return reader->bytes;
}

uint64_t
reader_line_number (const LnReader *reader)
{
  return reader->l.line_no;
}

const char *
reader_name (const LnReader *reader)
{
  return reader->name;
}

gboolean
reader_stat (const LnReader *reader, uint64_t *dev, uint64_t *ino)
{
  if (!S_ISREG (reader->st.st_mode))
    return FALSE;
  *dev = (uint64_t) reader->st.st_dev;
  *ino = (uint64_t) reader->st.st_ino;
  return TRUE;
}

/* After SIGTERM/SIGINT: TRUE when reading ends now.  A regular file is read
 * to its end: --in-place must not replace a file by its first part.  A
 * pipe or socket that nobody else reads is read until its writers close it,
 * for at most the drain timeout: Apache stops its old piped loggers with
 * SIGTERM on a graceful restart, and its old children still write the
 * requests they finish afterwards into the old pipe.  A named FIFO or a
 * terminal ends at once; what is left stays for the next reader.  A second
 * signal ends reading at once everywhere. */
static gboolean
stop_now (LnReader *r)
{
  gint64 now;

  if (!signals_stop_requested ())
    return FALSE;
  if (signals_stop_repeated ())
    return TRUE;
  if (!r->may_block)
    return FALSE;
  if (!r->unshared || r->drain_us <= 0)
    return TRUE;
  now = g_get_monotonic_time ();
  if (r->drain_deadline == 0)
    r->drain_deadline = now + r->drain_us;
  if (now < r->drain_deadline)
    return FALSE;
  r->drain_expired = TRUE;
  return TRUE;
}

/* Reading ends at a stop signal: a line cut short is completed first. */
static ssize_t rest_of_line (LnReader *r, void *dst, GError **error);

static ssize_t
end_at_stop (LnReader *r, void *dst, GError **error)
{
  r->cut_short = TRUE;
  return !r->gzip && r->end > r->l.start ? rest_of_line (r, dst, error) : 0;
}

/* Waits until the descriptor of a reader that may block is readable (or at
 * its end), watching the self-pipe of signals.c beside it: a SIGTERM that
 * comes after the flag was checked still ends the wait at once, and a
 * SIGHUP reopens -o at once instead of with the next line.  Calls the idle
 * hook before it blocks.  Returns 1 when ready, 0 when a stop was
 * requested, -1 on error. */
static int
wait_readable (LnReader *r, GError **error)
{
  int wake = signals_wake_fd ();
  int timeout = 0;

  for (;;)
    {
      struct pollfd pfd[2] = {
        { .fd = r->fd, .events = POLLIN },
        { .fd = wake, .events = POLLIN },
      };
      int ready = poll (pfd, wake >= 0 ? 2 : 1, timeout);

      if (ready < 0 && errno != EINTR)
        {
          set_io_error (error, r, errno);
          return -1;
        }
      /* drain before looking at the flags: a signal after the look
       * leaves the pipe readable for the next poll.  Not readable at the
       * poll: nothing to drain (saves a failing read per block) */
      if (ready > 0 && wake >= 0 && pfd[1].revents != 0)
        signals_drain ();
      if (stop_now (r))
        return 0;
      if (ready > 0 && pfd[0].revents != 0)
        return 1;
      /* nothing to read yet (or a signal): the next poll may wait long,
       * so the lines already handed out go now; flush, or reopen after
       * SIGHUP */
      if (r->dirty > r->end)
        {
          wipe_memory (r->l.buf + r->end, r->dirty - r->end);
          r->dirty = r->end;
        }
      if (r->idle && !r->idle (r->idle_data, error))
        return -1;
      wipe_vector_registers ();
      /* draining after a stop signal: only until the deadline */
      timeout = -1;
      if (r->drain_deadline > 0)
        timeout = (int) MAX ((r->drain_deadline - g_get_monotonic_time () + 999) / 1000, 1);
    }
}

/* After SIGTERM/SIGINT, with part of a line read: the writer was in the
 * middle of it, or its rest is still in the pipe.  The rest is read, a
 * byte at a time so that nothing after it is, for up to this long; a line
 * still cut after that is the last line, reported as malformed. */
#define STOP_GRACE_US (G_USEC_PER_SEC)

static ssize_t
rest_of_line (LnReader *r, void *dst, GError **error)
{
  gint64 now = g_get_monotonic_time ();

  if (r->stop_deadline == 0)
    r->stop_deadline = now + STOP_GRACE_US;
  for (;; now = g_get_monotonic_time ())
    {
      struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
      int timeout = (int) ((r->stop_deadline - now + 999) / 1000);
      int ready;
      ssize_t n;

      if (timeout <= 0)
        return 0;
      ready = poll (&pfd, 1, timeout);
      if (ready < 0 && errno == EINTR)
        continue;
      if (ready <= 0)
        return 0;
      n = read (r->fd, dst, 1);
      if (n > 0)
        {
          r->bytes += (uint64_t) n;
          return n;
        }
      if (n == 0)
        return 0;
      if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
        {
          set_io_error (error, r, errno);
          return -1;
        }
    }
}

/* read(2) with EINTR handling and the idle hook.  Returns bytes read,
 * 0 at EOF, -1 on error. */
static ssize_t
raw_read (LnReader *r, void *dst, size_t len, GError **error)
{
  ssize_t n;

  /* SIGTERM/SIGINT: the block already read is finished; what comes after
   * it is read only as stop_now() says, but a line cut short is ended */
  if (stop_now (r))
    return end_at_stop (r, dst, error);
  for (;;)
    {
      if (r->may_block)
        {
          int ready = wait_readable (r, error);

          if (ready == 0)
            return end_at_stop (r, dst, error);
          if (ready < 0)
            return ready;
        }
      n = read (r->fd, dst, len);
      if (n >= 0)
        break;
      /* a FIFO is opened non-blocking (see reader_open): readiness can be
       * spurious, wait again */
      if (r->may_block && (errno == EAGAIN || errno == EWOULDBLOCK))
        continue;
      if (errno != EINTR)
        break;
      /* SIGTERM/SIGINT: end of input, so that what was read is written */
      if (stop_now (r))
        return end_at_stop (r, dst, error);
      if (r->idle && !r->idle (r->idle_data, error))
        return -1;
    }
  if (n < 0)
    set_io_error (error, r, errno);
  else
    r->bytes += (uint64_t) n;
  return n;
}

/* Decompresses into @dst.  Concatenated gzip members are one stream, as
 * with gzip -d.  Returns bytes produced, 0 at the clean end, -1 on error. */
static ssize_t
gzip_read (LnReader *r, void *dst, size_t len, GError **error)
{
  r->zs.next_out = dst;
  r->zs.avail_out = (uInt) MIN (len, (size_t) G_MAXUINT32);
  while (r->zs.avail_out == MIN (len, (size_t) G_MAXUINT32))
    {
      int ret;

      if (r->zs.avail_in == 0)
        {
          ssize_t n;

          if (r->raw_eof)
            {
              /* a stop signal ended the input: not the file's fault */
              if (r->z_done || r->cut_short)
                return 0;
              g_set_error (error, LN_ERROR, LN_ERROR_IO,
                           _("%s: compressed data is truncated"), r->name);
              return -1;
            }
          n = raw_read (r, r->zin, READ_BLOCK, error);
          if (n < 0)
            return -1;
          if (n == 0)
            {
              r->raw_eof = TRUE;
              continue;
            }
          r->zs.next_in = r->zin;
          r->zs.avail_in = (uInt) n;
        }
      if (r->z_done)
        {
          /* another member follows */
          if (r->zs.avail_in >= 1 && r->zs.next_in[0] != 0x1f)
            {
              g_set_error (error, LN_ERROR, LN_ERROR_IO,
                           _("%s: trailing garbage after compressed data"), r->name);
              return -1;
            }
          if (inflateReset (&r->zs) != Z_OK)
            {
              g_set_error (error, LN_ERROR, LN_ERROR_IO,
                           _("%s: corrupt compressed data"), r->name);
              return -1;
            }
          r->z_done = FALSE;
        }
      {
        const unsigned char *before = r->zs.next_in;

        ret = inflate (&r->zs, Z_NO_FLUSH);
        /* deflate keeps literal runs verbatim: compressed input is raw
         * text too once consumed */
        wipe_memory ((void *) before, (size_t) (r->zs.next_in - before));
      }
      if (ret == Z_STREAM_END)
        r->z_done = TRUE;
      else if (ret != Z_OK && ret != Z_BUF_ERROR)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_IO,
                       _("%s: corrupt compressed data"), r->name);
          return -1;
        }
    }
  return (ssize_t) (MIN (len, (size_t) G_MAXUINT32) - r->zs.avail_out);
}

static ssize_t
fill (LnReader *r, GError **error)
{
  char *dst = r->l.buf + r->end;
  size_t space = r->cap - r->end;

  if (r->gzip)
    return gzip_read (r, dst, space, error);
  return raw_read (r, dst, space, error);
}

/* On the first read: if the data starts with the gzip magic, move it to
 * the compressed-input side and switch to decompression. */
static gboolean
sniff (LnReader *r, GError **error)
{
  while (r->end < 2 && !r->eof)
    {
      ssize_t n = raw_read (r, r->l.buf + r->end, r->cap - r->end, error);
      if (n < 0)
        return FALSE;
      if (n == 0)
        r->eof = TRUE;
      r->end += (size_t) n;
      r->touched = MAX (r->touched, r->end);
    }
  if (r->end >= 2 && (unsigned char) r->l.buf[0] == 0x1f
      && (unsigned char) r->l.buf[1] == 0x8b)
    {
      r->zin = g_malloc (READ_BLOCK > r->end ? READ_BLOCK : r->end);
      memcpy (r->zin, r->l.buf, r->end);
      memset (&r->zs, 0, sizeof r->zs);
      if (inflateInit2 (&r->zs, 15 + 16) != Z_OK)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_IO,
                       _("%s: cannot start decompression"), r->name);
          return FALSE;
        }
      r->zs.next_in = r->zin;
      r->zs.avail_in = (uInt) r->end;
      r->raw_eof = r->eof;
      r->eof = FALSE;
      r->gzip = TRUE;
      r->end = 0;
    }
  return TRUE;
}

/* Grows the buffer to hold @need bytes after r->end. */
static void
grow (LnReader *r, size_t need)
{
  size_t cap = r->cap * 2;
  char *bigger;

  while (cap - r->end < need)
    cap *= 2;
  bigger = g_malloc (cap);
  memcpy (bigger, r->l.buf, r->end);
  wipe_memory (r->l.buf, r->cap);
  r->dirty = r->end;
  g_free (r->l.buf);
  r->l.buf = bigger;
  r->cap = cap;
  r->touched = r->end;
}

/* Moves the unconsumed tail to the front, growing the buffer when a single
 * line fills it.  What the move leaves behind is stale line data: the next
 * read overwrites most of it, and wipe_stale() clears the rest, so raw
 * lines do not outlive their block without a second pass over every byte. */
static void
make_room (LnReader *r)
{
  if (r->l.start > 0)
    {
      size_t tail = r->end - r->l.start;

      memmove (r->l.buf, r->l.buf + r->l.start, tail);
      if (r->dirty < r->end)
        r->dirty = r->end;
      /* from a pipe, the lines already handed out are wiped before a read
       * that blocks (wait_readable); one that does not overwrites them */
      r->scan -= r->l.start;
      r->end = tail;
      r->l.start = 0;
    }
  if (r->end == r->cap)
    grow (r, 1);
}

/* fill() into the reader's own buffer, after make_room(): r->end moves on
 * by the bytes read.  Returns those, 0 at the end, -1 on error. */
static ssize_t
fill_own (LnReader *r, GError **error)
{
  ssize_t n;

  make_room (r);
  n = fill (r, error);
  if (n < 0)
    return -1;
  r->end += (size_t) n;
  r->touched = MAX (r->touched, r->end);
  if (r->dirty > r->end)
    {
      wipe_memory (r->l.buf + r->end, r->dirty - r->end);
      r->dirty = r->end;
    }
  return n;
}

/* ------------------------------------------------ pipes read by a pump */

/* A pump reads an unshared pipe (what nobody else reads cannot be read
 * too far ahead) of plain text, on a machine with a second CPU for it.
 * LOGNYM_NO_READ_AHEAD turns it off, for tests of both ways. */
static void
start_pump (LnReader *r)
{
  r->pump_tried = TRUE;
  if (r->gzip || !r->unshared || !S_ISFIFO (r->st.st_mode) || r->eof
      || signals_stop_requested () || g_get_num_processors () < 2
      || g_getenv ("LOGNYM_NO_READ_AHEAD") != NULL)
    return;
  r->pump = pump_start (r->fd, READ_BLOCK);
  r->lo = 0;
}

/* Before the reader waits: the lines it handed out go now, not when the
 * block is read into again (compare wait_readable). */
static void
wipe_handed_out (LnReader *r)
{
  if (r->l.start > r->lo)
    {
      wipe_memory (r->l.buf + r->lo, r->l.start - r->lo);
      r->lo = r->l.start;
    }
}

/* wait_readable() for a pumped reader: waits until the pump may have a
 * block.  The idle hook runs before a wait unless the pipe has data,
 * which the pump is about to read.  Returns 1, 0 when a stop was
 * requested, -1 on error. */
static int
wait_pumped (LnReader *r, GError **error)
{
  int wake = signals_wake_fd ();
  int timeout = 0;

  for (;;)
    {
      struct pollfd pfd[3] = {
        { .fd = pump_ready_fd (r->pump), .events = POLLIN },
        { .fd = timeout == 0 ? r->fd : -1, .events = POLLIN },
        { .fd = wake, .events = POLLIN },
      };
      int ready = poll (pfd, wake >= 0 ? 3 : 2, timeout);

      if (ready < 0 && errno != EINTR)
        {
          set_io_error (error, r, errno);
          return -1;
        }
      if (ready > 0 && wake >= 0 && pfd[2].revents != 0)
        signals_drain ();
      if (signals_stop_requested ())
        return 0;
      if (ready > 0 && pfd[0].revents != 0)
        {
          pump_clear_ready (r->pump);
          return 1;
        }
      if (ready > 0 && pfd[1].revents != 0 && pfd[2].revents == 0)
        {
          timeout = -1;
          continue;
        }
      timeout = -1;
      wipe_handed_out (r);
      if (r->idle && !r->idle (r->idle_data, error))
        return -1;
      wipe_vector_registers ();
    }
}

/* Lets go of l.buf before another buffer takes its place: a block goes
 * back to the pump; the own buffer is wiped and kept for long lines. */
static void
let_go (LnReader *r)
{
  if (r->in_block)
    {
      pump_give_back (r->pump, r->lo, r->end);
      return;
    }
  wipe_memory (r->l.buf, MAX (r->end, r->dirty));
  r->dirty = 0;
  r->own = r->l.buf;
  r->own_cap = r->cap;
}

/* The block taken becomes l.buf, the unfinished line copied before its
 * data (it fits the headroom). */
static void
adopt_block (LnReader *r, char *mem, size_t len)
{
  size_t tail = r->end - r->l.start;
  size_t searched = r->scan - r->l.start;
  size_t start = LN_PUMP_HEADROOM - tail;

  memcpy (mem + start, r->l.buf + r->l.start, tail);
  let_go (r);
  r->l.buf = mem;
  r->cap = LN_PUMP_HEADROOM + READ_BLOCK;
  r->in_block = TRUE;
  r->lo = r->l.start = start;
  r->scan = start + searched;
  r->end = LN_PUMP_HEADROOM + len;
}

/* From a block back to the own buffer, with the unfinished line. */
static void
to_own_buffer (LnReader *r)
{
  size_t tail = r->end - r->l.start;
  size_t searched = r->scan - r->l.start;

  if (tail > r->own_cap)
    {
      /* let_go() wiped it */
      g_free (r->own);
      r->own_cap = MAX (r->own_cap * 2, tail);
      r->own = g_malloc (r->own_cap);
      r->touched = 0;
    }
  memcpy (r->own, r->l.buf + r->l.start, tail);
  pump_give_back (r->pump, r->lo, r->end);
  r->l.buf = r->own;
  r->cap = r->own_cap;
  r->in_block = FALSE;
  r->l.start = r->lo = 0;
  r->scan = searched;
  r->end = tail;
  r->dirty = 0;
  r->touched = MAX (r->touched, tail);
}

/* A line longer than the headroom: the block's data is added to it in
 * the own buffer, and the block goes back at once. */
static void
append_block (LnReader *r, char *mem, size_t len)
{
  if (r->in_block)
    to_own_buffer (r);
  make_room (r);
  r->lo = 0;
  if (r->cap - r->end < len)
    grow (r, len);
  memcpy (r->l.buf + r->end, mem + LN_PUMP_HEADROOM, len);
  pump_give_back (r->pump, LN_PUMP_HEADROOM, LN_PUMP_HEADROOM + len);
  r->end += len;
  r->touched = MAX (r->touched, r->end);
  if (r->dirty > r->end)
    {
      wipe_memory (r->l.buf + r->end, r->dirty - r->end);
      r->dirty = r->end;
    }
}

/* Reading goes on without the pump, in the own buffer. */
static void
leave_pump (LnReader *r)
{
  if (r->in_block)
    to_own_buffer (r);
  pump_free (r->pump);
  r->pump = NULL;
}

/* fill_own() for a pumped reader: the next block. */
static ssize_t
fill_pumped (LnReader *r, GError **error)
{
  for (;;)
    {
      char *mem;
      size_t len;
      int err;

      /* SIGTERM/SIGINT: what the pump read is finished, what it did not
       * is read as stop_now() says, without it */
      if (!r->pump_stopped && signals_stop_requested ())
        {
          pump_stop (r->pump);
          r->pump_stopped = TRUE;
        }
      if (pump_take (r->pump, &mem, &len, &err))
        {
          r->bytes += len;
          if (len == 0)
            {
              pump_give_back (r->pump, 0, 0);
              if (err == 0)
                return 0;
              set_io_error (error, r, err);
              return -1;
            }
          if (r->end - r->l.start <= LN_PUMP_HEADROOM)
            adopt_block (r, mem, len);
          else
            append_block (r, mem, len);
          return (ssize_t) len;
        }
      if (r->pump_stopped)
        {
          leave_pump (r);
          return fill_own (r, error);
        }
      if (wait_pumped (r, error) < 0)
        return -1;
    }
}

/* Records the newlines from r->scan on in r->l.ends and moves r->scan past
 * the last byte searched. */
static void
find_ends (LnReader *r)
{
  r->l.next_end = 0;
  r->l.nends = lines_find_ends (r->avx2, r->l.buf, r->scan, r->end, r->l.ends,
                              LN_LINE_ENDS, &r->scan);
}

/* reader_next() when no newline is recorded: searches on, reads, or ends
 * the input. */
int
reader_next_slow (LnReader *r, LnSpan *line, LnSpan *eol, GError **error)
{
  if (r->l.line_no == 0 && r->end == 0 && !r->gzip && !r->eof)
    if (!sniff (r, error))
      return -1;

  for (;;)
    {
      if (r->l.next_end == r->l.nends && r->scan < r->end)
        find_ends (r);
      if (r->l.next_end < r->l.nends)
        return reader_next (r, line, eol, error);
      if (r->eof)
        {
          if (r->l.start == r->end)
            return 0;
          lines_cut_last (r->l.buf + r->l.start, r->l.buf + r->end, line, eol);
          r->l.start = r->scan = r->end;
          r->l.line_no++;
          return 1;
        }
      if (!r->pump_tried)
        start_pump (r);
      {
        ssize_t n = r->pump ? fill_pumped (r, error) : fill_own (r, error);

        if (n < 0)
          return -1;
        if (n == 0)
          r->eof = TRUE;
      }
    }
}

LnSpan
reader_ahead (const LnReader *r)
{
  if (r->l.start >= r->end)
    return span_make (NULL, 0);
  return span_make (r->l.buf + r->l.start, r->end - r->l.start);
}

gboolean
reader_input_ready (const LnReader *r, int timeout_ms)
{
  struct pollfd pfd = { .fd = r->fd, .events = POLLIN };

  if (r->gzip && r->zs.avail_in > 0)
    return TRUE;
  return poll (&pfd, 1, timeout_ms) > 0;
}

/* TRUE when a read from a pipe or terminal would not block. */
static gboolean
input_ready (const LnReader *r)
{
  return reader_input_ready (r, 0);
}

/* Ends @block after its first @keep bytes; the rest, the start of a line,
 * stays in the reader's buffer for the next block. */
static void
keep_tail (LnReader *r, LnBuf *block, size_t keep)
{
  size_t tail = block->len - keep;

  if (tail > r->cap)
    {
      wipe_memory (r->l.buf, r->cap);
      g_free (r->l.buf);
      r->cap = tail;
      r->l.buf = g_malloc (r->cap);
      r->touched = 0;
    }
  memcpy (r->l.buf, block->data + keep, tail);
  r->touched = MAX (r->touched, tail);
  wipe_memory (block->data + keep, tail);
  r->l.start = r->scan = 0;
  r->l.next_end = r->l.nends = 0;
  r->end = tail;
  block->len = keep;
}

int
reader_next_block (LnReader *r, size_t want, LnBuf *block, GError **error)
{
  size_t scan = 0;     /* where the search for the last '\n' resumes */

  /* blocks are read in order by the caller's own thread */
  g_return_val_if_fail (r->pump == NULL, -1);
  r->pump_tried = TRUE;
  if (r->l.line_no == 0 && r->end == 0 && !r->gzip && !r->eof && r->bytes == 0)
    if (!sniff (r, error))
      return -1;
  buf_reset (block);
  /* what is buffered here goes first: the sniffed bytes, or the start of a
   * line that the last block cut off */
  if (r->end > r->l.start)
    {
      buf_append (block, r->l.buf + r->l.start, r->end - r->l.start);
      wipe_memory (r->l.buf + r->l.start, r->end - r->l.start);
    }
  r->l.start = r->end = r->scan = 0;
  r->l.next_end = r->l.nends = 0;
  if (block->len > want)
    {
      /* the first read (sniffing for gzip) may hold many blocks */
      const char *nl = memrchr (block->data, '\n', want);

      if (nl == NULL)
        nl = memchr (block->data + want, '\n', block->len - want);
      if (nl)
        {
          keep_tail (r, block, (size_t) (nl + 1 - block->data));
          return 1;
        }
      scan = block->len;
    }
  for (;;)
    {
      size_t space;
      ssize_t n;

      if (r->eof)
        return block->len > 0;
      /* a piped logger's lines go out as they come, not when a whole block has */
      if (block->len >= want || (block->len > 0 && r->may_block && !input_ready (r)))
        {
          const char *nl = memrchr (block->data + scan, '\n', block->len - scan);

          if (nl)
            {
              keep_tail (r, block, (size_t) (nl + 1 - block->data));
              return 1;
            }
          /* one line longer than @want: read on until it ends */
          scan = block->len;
        }
      /* read(2) straight into the block: no copy of the input */
      buf_reserve (block, block->len < want ? want - block->len : READ_BLOCK);
      space = block->cap - block->len;
      n = r->gzip ? gzip_read (r, block->data + block->len, space, error)
                  : raw_read (r, block->data + block->len, space, error);
      if (n < 0)
        return -1;
      if (n == 0)
        r->eof = TRUE;
      block->len += (size_t) n;
    }
}

gboolean
reader_positional (LnReader *r, uint64_t *size)
{
  struct stat st;
  unsigned char magic[2];
  gboolean gzip;

  /* standard input may be shared with another reader (its file offset is
   * theirs too): it is read in order */
  if (!r->close_fd || !S_ISREG (r->st.st_mode) || r->bytes > 0 || r->end > 0 || r->eof)
    return FALSE;
  if (fstat (r->fd, &st) != 0)
    return FALSE;
  /* what sniff() looks for; a failing pread is reported by the read in
   * order that comes instead */
  if (st.st_size >= 2)
    {
      if (pread (r->fd, magic, sizeof magic, 0) != (ssize_t) sizeof magic)
        return FALSE;
      gzip = magic[0] == 0x1f && magic[1] == 0x8b;
      wipe_memory (magic, sizeof magic);
      if (gzip)
        return FALSE;
    }
  *size = (uint64_t) st.st_size;
  return TRUE;
}

ssize_t
reader_pread (const LnReader *r, void *dst, size_t len, uint64_t offset, GError **error)
{
  size_t got = 0;

  /* a signal interrupts nothing here: the threads that call this block
   * them, and a regular file is read to its end after the first one */
  while (got < len)
    {
      ssize_t n = pread (r->fd, (char *) dst + got, len - got, (off_t) (offset + got));

      if (n == 0)
        break;
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          set_io_error (error, r, errno);
          return -1;
        }
      got += (size_t) n;
    }
  return (ssize_t) got;
}

gboolean
reader_seek (LnReader *r, uint64_t offset, GError **error)
{
  if (lseek (r->fd, (off_t) offset, SEEK_SET) < 0)
    {
      set_io_error (error, r, errno);
      return FALSE;
    }
  r->bytes = offset;
  return TRUE;
}

void
reader_free (LnReader *reader)
{
  if (reader == NULL)
    return;
  /* a pump's block in l.buf: back to the reader's own buffer */
  if (reader->in_block)
    {
      reader->l.buf = reader->own;
      reader->cap = reader->own_cap;
    }
  /* wipes its blocks, the one that was in l.buf too */
  pump_free (reader->pump);
  /* not the whole buffer: a short input leaves most of its pages
   * untouched, and a wipe would fault them in (1 ms on a VM) */
  wipe_memory (reader->l.buf, MIN (reader->touched, reader->cap));
  g_free (reader->l.buf);
  if (reader->gzip)
    {
      inflateEnd (&reader->zs);
      wipe_memory (reader->zin, READ_BLOCK);
    }
  g_free (reader->zin);
  if (reader->close_fd)
    close (reader->fd);
  g_free (reader->name);
  g_free (reader);
}

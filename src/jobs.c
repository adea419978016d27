/* jobs.c - chunks processed in parallel, written in order (see jobs.h). */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

#include "errors.h"
#include "hugemem.h"
#include "i18n.h"
#include "jobs.h"
#include "lines.h"
#include "output.h"
#include "signals.h"
#include "wipe.h"

/* 256 KiB, about 1100 lines: the queue lock is taken once per chunk, and
 * the 2N chunks of input and output stay within a few MiB.  On a 2-vCPU
 * AMD EPYC (Zen 5) VM, --jobs 2 took 6-8% less time than with 512 KiB
 * (median of 31 runs, 79 vs 86 ms for 1 M lines); 64 KiB and less were
 * slower again (a wake-up per chunk).  LOGNYM_CHUNK_BYTES
 * overrides it so that the tests can cut small inputs into many chunks. */
#define CHUNK_BYTES (256 * 1024)

/* A regular file's chunks are read with this many bytes more, where the
 * last line mostly ends (see read_range); and aligned to a cache line. */
#define READ_AHEAD 4096
#define ALIGN 64

/* A chunk's output of this many bytes or more is written by itself (a
 * chunk of CHUNK_BYTES of log lines makes some 200 KiB). */
#define DIRECT_BYTES (32 * 1024)

/* A chunk keeps the first this many malformed lines to report: the run
 * reports no more than that without --verbose (pipeline.c). */
#define REPORT_KEEP 10

typedef struct {
  guint64 line;                 /* 1-based, within the chunk */
  LnParseStatus status;
  size_t column;
} Report;

/* The key choice that a malformed line redacted before any record of its
 * chunk inherits: that of the last record before it in input order. */
typedef struct {
  gboolean valid;
  gboolean fallback;            /* that record's key was erased: truncate */
  int64_t epoch;
} Carry;

typedef struct {
  guint64 seq;
  gboolean done;                /* under the lock */
  /* a regular file: the worker reads the lines that start in the chunk's
   * range of it (see read_range) */
  gboolean positional;
  guint64 index;                /* the range's number in the file */
  guint64 end_offset;           /* where its last line ends in the file, or 0 */
  GError *read_error;           /* reading the range failed */
  LnBuf in;                     /* raw lines */
  size_t skip;                  /* they start this far into in.data */
  size_t dirty;                 /* in.data holds this many bytes of them */
  LnBuf out;
  guint64 lines;
  GArray *reports;              /* of Report */
  LnLineOutcome stop;           /* LN_LINE_OK, or why the run stops here */
  guint64 stop_line;
  char *stop_detail;
  LnAgg *agg;                   /* --aggregate: this chunk's rows */
  Carry carry;                  /* the key choice after the chunk */
  size_t start_format;          /* --format auto: the format assumed first */
  size_t end_format;            /* and the one the chunk's last line matched */
  /* what the chunk adds to the main pipeline's counts */
  LnPipelineStats stats;
  LnAnonStats anon_stats;
  guint64 cache_hits, cache_misses;
  guint64 geo_errors[LN_GEO_ERROR_KINDS];
} Chunk;

typedef struct {
  LnJobs *jobs;
  LnPipeline pipeline;
  gboolean ready;               /* pipeline set up */
  GThread *thread;
  Chunk *chunk;                 /* the one being processed */
} Worker;

struct LnJobs {
  LnPipeline *main;
  guint n;                      /* worker threads */
  Worker *workers;
  /* Without a key to carry (see carry_in), this thread is one of the
   * --jobs N workers too: it processes the next chunk instead of waiting
   * for the oldest, so N threads run on N cores and no finished chunk's
   * wake-up preempts one of them. */
  gboolean helping;
  Worker helper;
  Chunk *ring;
  guint nslots;
  char *arena;                  /* the slots' buffers (hugemem) */
  size_t arena_bytes;
  size_t chunk_bytes;
  /* pthread's rather than GMutex and GCond, which GLib builds on futexes
   * directly: ThreadSanitizer sees pthread's */
  pthread_mutex_t lock;
  pthread_cond_t work;          /* a chunk was queued, or quit */
  pthread_cond_t done;          /* a chunk was finished or written */
  guint64 submitted;            /* chunks queued (the next seq) */
  guint64 taken;                /* chunks a worker started */
  guint64 emitted;              /* chunks written or dropped */
  gboolean quit;
  gboolean cancel;              /* drop what is in flight */
  Carry carry;                  /* after the last chunk written */
  size_t format;                /* the parser's last format after it */
  /* the current input */
  LnReader *reader;
  guint64 limit;                /* positional: its ranges end here */
  guint64 done_offset;          /* and the lines written so far there */
  const char *name;
  guint64 line_base;            /* its lines in the chunks written */
  gboolean failed;              /* writing a chunk failed or stopped the run */
  gboolean wipe_at_once;        /* it is a pipe: wipe each block when done */
};

/* -------------------------------------------------------------- workers */

static void apply_carry (LnPipeline *p, Carry carry);
static void wipe_stale (Chunk *c);

/* pipeline_line's hook: waits until every chunk before this one is
 * written, then takes the key the last record among them chose. */
static void
carry_in (LnPipeline *p, void *data)
{
  Worker *w = data;
  LnJobs *j = w->jobs;
  Carry carry;

  pthread_mutex_lock (&j->lock);
  while (j->emitted < w->chunk->seq && !j->cancel)
    pthread_cond_wait (&j->done, &j->lock);
  carry = j->carry;
  pthread_mutex_unlock (&j->lock);
  apply_carry (p, carry);
}

/* The same in the reading thread, which processes a chunk again only once
 * the chunks before it are written. */
static void
carry_in_main (LnPipeline *p, void *data)
{
  LnJobs *j = data;

  apply_carry (p, j->carry);
}

static void
apply_carry (LnPipeline *p, Carry carry)
{
  if (!carry.valid)
    return;       /* no record yet: anon_redact takes the present period's */
  if (carry.fallback)
    {
      p->anon.fallback = TRUE;
      return;
    }
  {
    GError *error = NULL;

    /* found before, so found again (keys are erased only at start-up) */
    p->anon.key = keyring_lookup (p->keyring, carry.epoch, &p->anon.period, &error);
    p->anon.key_epoch = carry.epoch;
    g_clear_error (&error);
  }
}

/* Runs @c's lines through @p (a worker's pipeline, or the main one when
 * the chunk is done again), recording output, reports, the stopping line
 * and the counts in @c.  @w is the worker, NULL for the main pipeline. */
static void
process_chunk (LnPipeline *p, Worker *w, Chunk *c)
{
  const LnOptions *o = p->options;
  LnAgg *own_agg = p->agg;
  const LnPipelineStats before = p->stats;
  const LnAnonStats anon_before = p->anon.stats;
  guint64 hits = 0, misses = 0;
  const char *pos = c->in.data + c->skip;
  const char *end = c->in.data + c->in.len;
  const bool avx2 = lines_have_avx2 ();
  const gboolean look_ahead = anon_wants_look_ahead (&p->anon);
  size_t ends[LN_LINE_ENDS];
  size_t searched = c->skip;
  unsigned next_end = 0, nends = 0;
  int i;

  if (p->cache)
    pseudonym_cache_counts (p->cache, &hits, &misses);
  buf_reset (&c->out);
  c->lines = 0;
  g_array_set_size (c->reports, 0);
  c->stop = LN_LINE_OK;
  g_clear_pointer (&c->stop_detail, g_free);
  c->carry.valid = FALSE;
  c->start_format = p->parser.last_match;
  memset (c->geo_errors, 0, sizeof c->geo_errors);
  g_clear_pointer (&c->agg, agg_free);
  if (o->aggregate)
    c->agg = p->agg = agg_new (&o->agg, NULL);
  /* the key state of the previous chunk this worker did is not the one
   * before this chunk: carry_in() finds that when it is needed */
  p->anon.key = NULL;
  p->anon.fallback = FALSE;
  /* a stopped chunk's look-ahead points into a buffer that may be this
   * chunk's now */
  anon_forget_look_ahead (&p->anon);
  if (w)
    w->chunk = c;

  while (pos < end)
    {
      LnSpan line, eol;
      LnParseStatus status;
      size_t column;
      LnLineOutcome outcome;

      /* the same cuts as reader_next() */
      if (next_end == nends && searched < c->in.len)
        {
          next_end = 0;
          nends = lines_find_ends (avx2, c->in.data, searched, c->in.len, ends,
                                   LN_LINE_ENDS, &searched);
        }
      if (next_end < nends)
        {
          const char *nl = c->in.data + ends[next_end++];

          lines_cut (pos, nl, &line, &eol);
          pos = nl + 1;
        }
      else
        {
          lines_cut_last (pos, end, &line, &eol);
          pos = end;
        }
      c->lines++;
      /* as pipeline_process() does: the next line's client slot starts
       * loading now */
      if (look_ahead)
        anon_look_ahead (&p->anon, span_make (pos, (size_t) (end - pos)));
      outcome = pipeline_line (p, line, eol, &c->out, &status, &column, NULL);
      if (status != LN_PARSE_OK && status != LN_PARSE_KEY_ERASED
          && (o->verbose || c->reports->len < REPORT_KEEP))
        {
          Report r = { c->lines, status, column };

          g_array_append_val (c->reports, r);
        }
      if (G_UNLIKELY (outcome != LN_LINE_OK))
        {
          /* no output file to switch: LN_LINE_ERROR cannot happen here */
          c->stop = outcome;
          c->stop_line = c->lines;
          if (outcome == LN_LINE_KEY_ERASED && p->anon.key_error)
            c->stop_detail = g_strdup (p->anon.key_error->message);
          break;
        }
    }

  if (p->anon.key || p->anon.fallback)
    {
      c->carry.valid = TRUE;
      c->carry.fallback = p->anon.fallback;
      c->carry.epoch = p->anon.key_epoch;
    }
  c->end_format = p->parser.last_match;
  p->agg = own_agg;
  c->stats = p->stats;
  c->stats.lines_read -= before.lines_read;
  c->stats.lines_written -= before.lines_written;
  c->stats.malformed -= before.malformed;
  c->stats.redacted -= before.redacted;
  for (i = 0; i < LN_PARSE__COUNT; i++)
    c->stats.by_reason[i] -= before.by_reason[i];
  c->anon_stats = p->anon.stats;
  c->anon_stats.clients_v4 -= anon_before.clients_v4;
  c->anon_stats.clients_v6 -= anon_before.clients_v6;
  c->anon_stats.clients_other -= anon_before.clients_other;
  c->anon_stats.residual_masked -= anon_before.residual_masked;
  c->anon_stats.expired_truncated -= anon_before.expired_truncated;
  /* the counts go to the main pipeline when the chunk is written, not
   * before: a chunk after a stopping line never counts */
  p->stats = before;
  p->anon.stats = anon_before;
  c->cache_hits = c->cache_misses = 0;
  if (p->cache && w)
    {
      guint64 h, m;

      pseudonym_cache_counts (p->cache, &h, &m);
      c->cache_hits = h - hits;
      c->cache_misses = m - misses;
    }
  /* a worker's lookup errors move to the main handle with the chunk; the
   * main pipeline counts its own where they happen */
  if (p->geo && w)
    geo_take_errors (p->geo, c->geo_errors);
  /* the record's spans pointed into the chunk */
  memset (&p->record, 0, sizeof p->record);
}

/* Reads @len bytes at @offset of the input onto the end of @c's lines.
 * Returns the bytes read, fewer at the end of the file; -1 with
 * c->read_error set. */
static ssize_t
read_more (LnJobs *j, Chunk *c, guint64 offset, size_t len)
{
  ssize_t n;

  buf_reserve (&c->in, len);
  n = reader_pread (j->reader, c->in.data + c->in.len, len, offset, &c->read_error);
  if (n > 0)
    c->in.len += (size_t) n;
  return n;
}

/* Positional: reads the lines of chunk @c into c->in.  Chunk k holds the
 * lines that start in [k * size, (k + 1) * size) of the first j->limit
 * bytes of the file, which end with a newline: its first line starts
 * after the first newline at or after byte k * size - 1 (chunk 0 at 0),
 * and its last one ends with the first newline at or after byte
 * (k + 1) * size - 1, read on past the range as far as needed.  So each
 * line is in exactly one chunk, whatever the order the workers read them
 * in, and a line longer than a chunk leaves the chunks that it covers
 * empty.  The bytes read before the first line and after the last stay
 * in c->in (counted in c->dirty, wiped as the lines are). */
static void
read_range (LnJobs *j, Chunk *c)
{
  const guint64 size = j->chunk_bytes;
  const guint64 lo = c->index * size;
  const guint64 hi = MIN (lo + size, j->limit);
  /* from byte lo - 1, rounded down so that the file's bytes and the
   * buffer's have the same alignment: the kernel copies a misaligned
   * range about half as fast again */
  const guint64 from = lo > 0 ? (lo - 1) & ~(guint64) (ALIGN - 1) : 0;
  /* the last line mostly ends within this many bytes past the range:
   * one pread(2) for all, a second only for a long line */
  size_t ahead = CLAMP (j->chunk_bytes, 256, READ_AHEAD);
  size_t want = (size_t) (MIN (hi + ahead, j->limit) - from);
  size_t base, scan;
  ssize_t n;

  buf_reset (&c->in);
  buf_reserve (&c->in, want + ALIGN);
  /* file offset from is at c->in.data + base */
  base = (ALIGN - (size_t) ((guintptr) c->in.data % ALIGN)) % ALIGN;
  c->in.len = base;
  c->skip = base;
  n = read_more (j, c, from, want);
  /* the new bytes overwrote the last block's this far: wipe the rest */
  wipe_stale (c);
  c->dirty = c->in.len;
  c->end_offset = 0;
  if (n < 0)
    return;
  if (lo > 0)
    {
      size_t first = base + (size_t) (lo - 1 - from);
      const char *nl = first < c->in.len
                       ? memchr (c->in.data + first, '\n', c->in.len - first) : NULL;

      if (nl == NULL)
        {
          /* no line starts in the range: a long line goes through it */
          c->skip = c->in.len;
          c->end_offset = 0;
          return;
        }
      c->skip = (size_t) (nl + 1 - c->in.data);
    }
  /* byte hi - 1, the range's last, is the first one that may end the
   * chunk's last line */
  scan = base + (size_t) (hi - 1 - from);
  if (scan >= c->in.len)
    {
      /* the file is shorter than it was (copytruncate): that is all */
      c->end_offset = from + (c->in.len - base);
      return;
    }
  for (;;)
    {
      const char *nl = memchr (c->in.data + scan, '\n', c->in.len - scan);
      guint64 next = from + (c->in.len - base);

      if (nl)
        {
          c->in.len = (size_t) (nl + 1 - c->in.data);
          break;
        }
      /* at the end of the file, which is shorter than it was, as above */
      if ((size_t) n < want || next >= j->limit)
        break;
      scan = c->in.len;
      ahead = ahead < 16 * 1024 * 1024 ? ahead * 2 : ahead;
      want = (size_t) MIN (ahead, j->limit - next);
      n = read_more (j, c, next, want);
      c->dirty = MAX (c->dirty, c->in.len);
      if (n < 0)
        return;
    }
  c->end_offset = from + (c->in.len - base);
}

/* Takes chunk @c, which the caller just counted as taken under the lock,
 * does it, and marks it done; called and returns with the lock held. */
static void
work_on (Worker *w, Chunk *c)
{
  LnJobs *j = w->jobs;
  gboolean cancel = j->cancel;

  pthread_mutex_unlock (&j->lock);
  if (!cancel && c->positional)
    read_range (j, c);
  if (!cancel && c->read_error == NULL)
    process_chunk (&w->pipeline, w, c);
  /* Raw lines do not outlive their block: the next block read into this
   * slot overwrites them, and the reading thread (or the worker reading
   * the next range) wipes what it does not (as reader.c does, without a
   * second pass over every byte), at once for a pipe once the chunk is
   * written. */
  c->dirty = MAX (c->dirty, c->in.len);
  /* and the wait for the next chunk may last: the registers go too */
  wipe_vector_registers ();
  pthread_mutex_lock (&j->lock);
  c->done = TRUE;
  pthread_cond_broadcast (&j->done);
}

/* The reading thread, under the lock, until a chunk is done: it does the
 * next queued one itself where it helps, or else waits. */
static void
help_or_wait (LnJobs *j)
{
  if (j->helping && j->taken < j->submitted)
    work_on (&j->helper, &j->ring[j->taken++ % j->nslots]);
  else
    pthread_cond_wait (&j->done, &j->lock);
}

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;
  LnJobs *j = w->jobs;

  pthread_mutex_lock (&j->lock);
  for (;;)
    {
      while (j->taken == j->submitted && !j->quit)
        pthread_cond_wait (&j->work, &j->lock);
      if (j->quit)
        break;
      work_on (w, &j->ring[j->taken++ % j->nslots]);
    }
  pthread_mutex_unlock (&j->lock);
  return NULL;
}

/* -------------------------------------------------------- the writer side */

static void
add_counts (LnPipeline *p, const Chunk *c)
{
  int i;

  p->stats.lines_read += c->stats.lines_read;
  p->stats.lines_written += c->stats.lines_written;
  p->stats.malformed += c->stats.malformed;
  p->stats.redacted += c->stats.redacted;
  for (i = 0; i < LN_PARSE__COUNT; i++)
    p->stats.by_reason[i] += c->stats.by_reason[i];
  p->anon.stats.clients_v4 += c->anon_stats.clients_v4;
  p->anon.stats.clients_v6 += c->anon_stats.clients_v6;
  p->anon.stats.clients_other += c->anon_stats.clients_other;
  p->anon.stats.residual_masked += c->anon_stats.residual_masked;
  p->anon.stats.expired_truncated += c->anon_stats.expired_truncated;
  p->stats.cache_hits += c->cache_hits;
  p->stats.cache_misses += c->cache_misses;
  if (p->geo)
    geo_add_errors (p->geo, c->geo_errors);
}

/* Writes the oldest chunk in flight, after waiting for it if @wait.
 * Returns 1 when written, 0 when it is not finished (and not @wait), -1
 * with @error when the run stops at it or the output fails. */
static int
emit_next (LnJobs *j, gboolean wait, GError **error)
{
  LnPipeline *p = j->main;
  Chunk *c = &j->ring[j->emitted % j->nslots];
  gboolean write_failed = FALSE;
  guint i;

  pthread_mutex_lock (&j->lock);
  while (wait && !c->done)
    help_or_wait (j);
  if (!c->done)
    {
      pthread_mutex_unlock (&j->lock);
      return 0;
    }
  pthread_mutex_unlock (&j->lock);
  if (G_UNLIKELY (c->read_error != NULL))
    {
      /* as with one thread, the lines before it are written (but those
       * of the same chunk are not) */
      g_propagate_error (error, c->read_error);
      c->read_error = NULL;
      pthread_mutex_lock (&j->lock);
      j->emitted++;
      pthread_cond_broadcast (&j->done);
      pthread_mutex_unlock (&j->lock);
      j->failed = TRUE;
      return -1;
    }
  if (c->start_format != j->format)
    {
      /* the worker guessed the format the chunks before end in wrongly:
       * again, in this thread, from the right one (the chunks before are
       * written, so the key to carry in is known too) */
      p->parser.last_match = j->format;
      process_chunk (p, NULL, c);
    }
  j->format = c->end_format;
  pthread_mutex_lock (&j->lock);
  if (c->carry.valid)
    j->carry = c->carry;
  pthread_mutex_unlock (&j->lock);

  for (i = 0; i < c->reports->len; i++)
    {
      const Report *r = &g_array_index (c->reports, Report, i);

      pipeline_report_malformed (p, j->name, j->line_base + r->line, r->status, r->column);
    }
  /* A chunk's output is written from its own buffer, not copied into
   * the output's: the copy read it once more, from the other core's cache
   * (--jobs 2: 15-20% of the wall time on an AMD EPYC VM).  Not the
   * output of a stopping chunk, which goes the way of all output on an
   * error. */
  if (c->out.len >= DIRECT_BYTES && c->stop == LN_LINE_OK)
    write_failed = !output_write_direct (p->output, c->out.data, c->out.len, error);
  else if (c->out.len)
    buf_append (&p->output->buf, c->out.data, c->out.len);
  add_counts (p, c);
  if (c->agg)
    {
      agg_merge (p->agg, c->agg);
      g_clear_pointer (&c->agg, agg_free);
    }
  if (c->stop != LN_LINE_OK)
    pipeline_stop_error (c->stop, j->name, j->line_base + c->stop_line, c->stop_detail,
                         error);
  g_clear_pointer (&c->stop_detail, g_free);
  j->line_base += c->lines;
  if (j->wipe_at_once)
    {
      buf_wipe (&c->in);
      c->dirty = 0;
    }

  pthread_mutex_lock (&j->lock);
  j->emitted++;
  pthread_cond_broadcast (&j->done);       /* carry_in() waits for this */
  pthread_mutex_unlock (&j->lock);

  if (c->stop != LN_LINE_OK)
    {
      j->failed = TRUE;
      return -1;
    }
  /* between chunks, as one thread does between lines */
  if (write_failed || !output_maybe_flush (p->output, error)
      || (G_UNLIKELY (signals_take_reopen ()) && !output_reopen (p->output, error)))
    {
      j->failed = TRUE;
      return -1;
    }
  if (c->positional)
    j->done_offset = MAX (j->done_offset, c->end_offset);
  if (p->progress.enabled)
    progress_update (&p->progress, c->positional ? j->done_offset : reader_bytes (j->reader),
                     p->stats.lines_read);
  return 1;
}

/* Writes every chunk in flight, in order.  FALSE with @error when the run
 * stops at one of them. */
static gboolean
drain (LnJobs *j, GError **error)
{
  while (j->emitted < j->submitted)
    if (emit_next (j, TRUE, error) < 0)
      return FALSE;
  return TRUE;
}

/* After an error: lets the workers finish (or skip) what they hold, and
 * forgets it. */
static void
drop_in_flight (LnJobs *j)
{
  guint64 seq;

  pthread_mutex_lock (&j->lock);
  j->cancel = TRUE;
  pthread_cond_broadcast (&j->done);
  for (seq = j->emitted; seq < j->submitted; seq++)
    {
      Chunk *c = &j->ring[seq % j->nslots];

      while (!c->done)
        help_or_wait (j);         /* a chunk this thread takes is skipped */
      g_clear_pointer (&c->agg, agg_free);
      g_clear_pointer (&c->stop_detail, g_free);
      g_clear_error (&c->read_error);
    }
  j->emitted = j->submitted;
  j->cancel = FALSE;
  pthread_mutex_unlock (&j->lock);
}

/* Wipes what is left of the raw lines of @c's last block beyond its
 * current contents. */
static void
wipe_stale (Chunk *c)
{
  if (c->dirty > c->in.len)
    wipe_memory (c->in.data + c->in.len, c->dirty - c->in.len);
  c->dirty = 0;
}

/* At the end of an input: no raw line of it stays in a slot. */
static void
wipe_slots (LnJobs *j)
{
  guint i;

  for (i = 0; i < j->nslots; i++)
    {
      buf_wipe (&j->ring[i].in);
      wipe_stale (&j->ring[i]);
    }
}

/* The reader is about to wait for a pipe: what was read so far is written
 * and flushed first, as with one thread.  While the workers are at it,
 * input that arrives meanwhile is read on instead: a fast writer must not
 * make the reader wait for every chunk whenever the pipe is empty for a
 * moment. */
static gboolean
on_idle (void *data, GError **error)
{
  LnJobs *j = data;
  LnOutput *out = j->main->output;

  while (j->emitted < j->submitted)
    {
      int r = emit_next (j, FALSE, error);

      if (r < 0)
        return FALSE;
      if (r == 0 && reader_input_ready (j->reader, 1))
        return TRUE;
    }
  if (signals_take_reopen ())
    return output_reopen (out, error);
  return output_flush (out, error);
}

/* Queues chunk @c (the next slot) for the workers. */
static void
submit (LnJobs *j, Chunk *c)
{
  c->seq = j->submitted;
  pthread_mutex_lock (&j->lock);
  c->done = FALSE;
  j->submitted++;
  pthread_cond_signal (&j->work);
  pthread_mutex_unlock (&j->lock);
}

/* Writes the chunks that are finished already, without waiting. */
static void
emit_finished (LnJobs *j, GError **error)
{
  while (j->emitted < j->submitted && !j->failed)
    if (emit_next (j, FALSE, error) <= 0)
      break;
}

/* The end of the last line of a regular file of @size bytes, 0 when it
 * has none: whole lines are what the workers read apart; the rest, an
 * unterminated line and what is appended meanwhile, is read in order
 * after them.  -1 with @error when reading fails. */
static gint64
last_line_end (LnJobs *j, guint64 size, GError **error)
{
  char tail[4096];
  guint64 end = size;

  while (end > 0)
    {
      size_t len = (size_t) MIN (end, sizeof tail);
      ssize_t n = reader_pread (j->reader, tail, len, end - len, error);
      const char *nl;

      if (n < 0)
        return -1;
      nl = memrchr (tail, '\n', (size_t) n);
      wipe_memory (tail, (size_t) n);
      if (nl)
        return (gint64) (end - len + (guint64) (nl - tail) + 1);
      if ((size_t) n < len)
        return 0;      /* truncated meanwhile: read it in order */
      end -= len;
    }
  return 0;
}

/* A regular file: the workers read it themselves, a range each (see
 * read_range), rather than through this thread, which only writes the
 * chunks in order; then the reader goes on after the ranges in order.
 * The file offset and what reader_bytes() counts are as if this thread
 * had read it.  FALSE with @error when the run stops or fails. */
static gboolean
read_positional (LnJobs *j, guint64 size, GError **error)
{
  gint64 limit = last_line_end (j, size, error);
  guint64 k, chunks;

  if (limit < 0)
    {
      j->failed = TRUE;
      return FALSE;
    }
  j->limit = (guint64) limit;
  j->done_offset = 0;
  chunks = (j->limit + j->chunk_bytes - 1) / j->chunk_bytes;
  for (k = 0; k < chunks; k++)
    {
      Chunk *c;

      /* a second SIGTERM/SIGINT ends reading at once, as in reader.c */
      if (signals_stop_repeated ())
        break;
      if (j->submitted - j->emitted == j->nslots && emit_next (j, TRUE, error) < 0)
        return FALSE;
      c = &j->ring[j->submitted % j->nslots];
      c->positional = TRUE;
      c->index = k;
      submit (j, c);
      emit_finished (j, error);
      if (j->failed)
        return FALSE;
    }
  /* the reader goes on after the last line written */
  if (!drain (j, error))
    return FALSE;
  if (!reader_seek (j->reader, k == chunks ? j->limit : j->done_offset, error))
    {
      j->failed = TRUE;
      return FALSE;
    }
  return TRUE;
}

gboolean
jobs_process (LnJobs *j, LnReader *reader, GError **error)
{
  LnPipeline *p = j->main;
  guint64 size;
  int got = 0;

  j->reader = reader;
  j->name = reader_name (reader);
  j->line_base = 0;
  j->failed = FALSE;
  j->wipe_at_once = reader_may_block (reader);
  reader_set_idle_func (reader, on_idle, j);
  if (reader_positional (reader, &size) && !read_positional (j, size, error))
    j->failed = TRUE;
  while (!j->failed)
    {
      Chunk *c;

      /* a free slot: the oldest chunk is written once all are in flight */
      if (j->submitted - j->emitted == j->nslots && emit_next (j, TRUE, error) < 0)
        break;
      c = &j->ring[j->submitted % j->nslots];
      got = reader_next_block (reader, j->chunk_bytes, &c->in, error);
      wipe_stale (c);
      if (got <= 0)
        break;
      c->positional = FALSE;
      c->skip = 0;
      submit (j, c);
      /* and whatever is finished already, without waiting */
      emit_finished (j, error);
    }
  if (j->failed)
    {
      /* the run stops at a chunk, or the output failed: what follows in
       * input order is not written */
      drop_in_flight (j);
      wipe_slots (j);
      return FALSE;
    }
  if (got < 0)
    {
      /* a read error: the lines before it are written, as with one
       * thread, unless the run stops at one of them first */
      GError *stop = NULL;

      if (!drain (j, &stop))
        {
          drop_in_flight (j);
          wipe_slots (j);
          g_clear_error (error);
          g_propagate_error (error, stop);
          return FALSE;
        }
      wipe_slots (j);
      p->stats.bytes_read += reader_bytes (reader);
      progress_file_done (&p->progress, reader_bytes (reader));
      return FALSE;
    }
  if (!drain (j, error))
    {
      drop_in_flight (j);
      wipe_slots (j);
      return FALSE;
    }
  wipe_slots (j);
  p->stats.bytes_read += reader_bytes (reader);
  progress_file_done (&p->progress, reader_bytes (reader));
  return TRUE;
}

/* ------------------------------------------------------------ lifetime */

LnJobs *
jobs_new (LnPipeline *main, guint n, GError **error)
{
  LnJobs *j = g_new0 (LnJobs, 1);
  const char *env = g_getenv ("LOGNYM_CHUNK_BYTES");
  gboolean carry = LN_IP_MODE_KEYED (main->options->anon.ip_mode)
                   && main->options->malformed == LN_MALFORMED_REDACT
                   && keyring_period (main->keyring) != LN_PERIOD_NONE;
  sigset_t all, old;
  size_t in_cap, out_cap;
  guint i;

  j->main = main;
  /* a worker waiting in carry_in() for the chunks before to be written
   * must not be this thread, which writes them */
  j->helping = !carry;
  j->n = j->helping ? n - 1 : n;
  j->nslots = 2 * n;
  j->chunk_bytes = CHUNK_BYTES;
  if (env && *env)
    {
      guint64 v;

      if (g_ascii_string_to_unsigned (env, 10, 1, 64 * 1024 * 1024, &v, NULL))
        j->chunk_bytes = (size_t) v;
    }
  pthread_mutex_init (&j->lock, NULL);
  pthread_cond_init (&j->work, NULL);
  pthread_cond_init (&j->done, NULL);
  j->ring = g_new0 (Chunk, j->nslots);
  /* Every slot's buffers in one mapping, in huge pages (hugemem.h): they
   * are all written within the first chunks, and as 4 KiB pages that was
   * a page fault each (--jobs 2: some 500, 10-15 us each on a VM).  Input:
   * the size of a range read (read_range), so that it never grows.
   * Output: room for a chunk's output and half as much again (-O jsonl);
   * a buffer that must grow moves out to memory of its own. */
  in_cap = (j->chunk_bytes + READ_AHEAD + 2 * ALIGN + ALIGN - 1) & ~(size_t) (ALIGN - 1);
  out_cap = (j->chunk_bytes + j->chunk_bytes / 2 + ALIGN - 1) & ~(size_t) (ALIGN - 1);
  j->arena_bytes = j->nslots * (in_cap + out_cap);
  j->arena = hugemem_alloc0 (j->arena_bytes);
  for (i = 0; i < j->nslots; i++)
    {
      buf_borrow (&j->ring[i].in, j->arena + i * in_cap, in_cap);
      buf_borrow (&j->ring[i].out, j->arena + j->nslots * in_cap + i * out_cap, out_cap);
      j->ring[i].reports = g_array_new (FALSE, FALSE, sizeof (Report));
      j->ring[i].done = TRUE;
    }
  if (carry)
    {
      main->carry_in = carry_in_main;
      main->carry_data = j;
    }
  j->workers = g_new0 (Worker, MAX (j->n, 1));
  if (j->helping)
    {
      j->helper.jobs = j;
      if (!pipeline_init_worker (&j->helper.pipeline, main, error))
        {
          jobs_free (j);
          return NULL;
        }
      j->helper.ready = TRUE;
    }
  for (i = 0; i < j->n; i++)
    {
      Worker *w = &j->workers[i];

      w->jobs = j;
      if (!pipeline_init_worker (&w->pipeline, main, error))
        {
          jobs_free (j);
          return NULL;
        }
      w->ready = TRUE;
      if (carry)
        {
          w->pipeline.carry_in = carry_in;
          w->pipeline.carry_data = w;
        }
    }
  /* SIGTERM and the others must interrupt the reading thread's read(2),
   * so the workers never take them */
  sigfillset (&all);
  pthread_sigmask (SIG_BLOCK, &all, &old);
  for (i = 0; i < j->n; i++)
    {
      Worker *w = &j->workers[i];

      w->thread = g_thread_try_new ("lognym-job", worker_main, w, error);
      if (w->thread == NULL)
        break;
    }
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (i < j->n)
    {
      jobs_free (j);
      return NULL;
    }
  return j;
}

void
jobs_free (LnJobs *j)
{
  guint i;

  if (j == NULL)
    return;
  pthread_mutex_lock (&j->lock);
  j->quit = TRUE;
  pthread_cond_broadcast (&j->work);
  pthread_mutex_unlock (&j->lock);
  for (i = 0; i < j->n; i++)
    {
      Worker *w = &j->workers[i];

      if (w->thread)
        g_thread_join (w->thread);
      if (w->ready)
        pipeline_clear (&w->pipeline);
    }
  if (j->helper.ready)
    pipeline_clear (&j->helper.pipeline);
  for (i = 0; i < j->nslots; i++)
    {
      Chunk *c = &j->ring[i];

      /* raw bytes were only ever in the first MAX (len, dirty) of a slot
       * (see read_range and process_chunk); a small input leaves most of
       * the ring untouched */
      buf_clear_used (&c->in, MAX (c->in.len, c->dirty));
      buf_release (&c->out);      /* output only */
      g_array_free (c->reports, TRUE);
      agg_free (c->agg);
      g_free (c->stop_detail);
    }
  hugemem_free (j->arena, j->arena_bytes);
  g_free (j->ring);
  g_free (j->workers);
  pthread_mutex_destroy (&j->lock);
  pthread_cond_destroy (&j->work);
  pthread_cond_destroy (&j->done);
  g_free (j);
}

/* pump.c - a pipe read ahead by a thread of its own (see pump.h). */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "pump.h"
#include "wipe.h"

/* Four blocks: the reader holds one (two while it adopts the next), the
 * pump reads into another, and the rest absorb the writer's bursts. */
#define PUMP_BLOCKS 4

typedef struct {
  char *mem;
  size_t len;           /* read into it last (0: end of input or error) */
  int err;
  size_t stale_lo;      /* given back: [stale_lo, stale_hi) holds input */
  size_t stale_hi;
  size_t touched;       /* [0, touched) has held input */
} Block;

struct LnPump {
  int fd;
  size_t block_size;
  int ready[2];         /* a byte wakes the taker's poll: a block was read
                         * after pump_take() found none */
  int wake[2];          /* a byte wakes the pump: stop, or a block was
                         * given back while it waited for input */
  GThread *thread;

  /* pthread's rather than GMutex and GCond: ThreadSanitizer sees them
   * (as in jobs.c) */
  pthread_mutex_t lock;
  pthread_cond_t given_back;    /* or quit */
  /* counts since the start, under the lock: blocks filled by the pump,
   * taken and given back by the reader, in that order around the ring */
  unsigned filled, taken, returned;
  gboolean quit_requested;
  gboolean waiting;             /* for input, in wait_input() */
  gboolean taker_waits;         /* pump_take() found no block */
  Block block[PUMP_BLOCKS];
};

/* Wipes what a block still holds of the input outside [keep_lo, keep_hi). */
static void
wipe_stale (Block *b, size_t keep_lo, size_t keep_hi)
{
  if (b->stale_lo < b->stale_hi)
    {
      if (b->stale_lo < keep_lo)
        wipe_memory (b->mem + b->stale_lo, MIN (b->stale_hi, keep_lo) - b->stale_lo);
      if (b->stale_hi > keep_hi)
        wipe_memory (b->mem + MAX (b->stale_lo, keep_hi),
                     b->stale_hi - MAX (b->stale_lo, keep_hi));
    }
  b->stale_lo = b->stale_hi = 0;
}

/* Before the pump waits for input, which may take hours on a quiet piped
 * logger, and whenever a block is given back while it waits: the blocks
 * given back are wiped now, not at their next read.  Then p->waiting is
 * @waiting.  FALSE when pump_stop() was called. */
static gboolean
wipe_given_back (LnPump *p, gboolean waiting)
{
  unsigned returned, wiped = p->filled - PUMP_BLOCKS;
  gboolean quit;

  pthread_mutex_lock (&p->lock);
  while ((returned = p->returned) != wiped)
    {
      unsigned i;

      pthread_mutex_unlock (&p->lock);
      /* the blocks from filled on are the pump's own until it fills them */
      for (i = p->filled; i != returned + PUMP_BLOCKS; i++)
        wipe_stale (&p->block[i % PUMP_BLOCKS], 0, 0);
      wiped = returned;
      pthread_mutex_lock (&p->lock);
    }
  /* a block given back from now on wakes the pump */
  p->waiting = waiting;
  quit = p->quit_requested;
  pthread_mutex_unlock (&p->lock);
  return !quit;
}

/* Waits until @fd is readable or at its end: TRUE, or FALSE when
 * pump_stop() was called. */
static gboolean
wait_input (LnPump *p)
{
  int timeout = 0;

  for (;;)
    {
      struct pollfd pfd[2] = {
        { .fd = p->fd, .events = POLLIN },
        { .fd = p->wake[0], .events = POLLIN },
      };
      int n = poll (pfd, 2, timeout);

      if (n < 0 && errno != EINTR)
        n = 1;                  /* the read reports it */
      if (n > 0 && pfd[1].revents != 0)
        {
          char drain[16];

          while (read (p->wake[0], drain, sizeof drain) == (ssize_t) sizeof drain)
            ;
        }
      else if (n > 0)
        break;
      /* nothing to read yet, or woken */
      if (!wipe_given_back (p, TRUE))
        return FALSE;
      timeout = -1;
    }
  if (timeout < 0)
    wipe_given_back (p, FALSE);
  return TRUE;
}

static gpointer
pump_main (gpointer data)
{
  LnPump *p = data;

  for (;;)
    {
      Block *b;
      ssize_t n;
      char one = 1;
      gboolean wake;

      pthread_mutex_lock (&p->lock);
      while (p->filled - p->returned == PUMP_BLOCKS && !p->quit_requested)
        pthread_cond_wait (&p->given_back, &p->lock);
      pthread_mutex_unlock (&p->lock);
      /* p->filled is written by this thread alone */
      b = &p->block[p->filled % PUMP_BLOCKS];
      if (!wait_input (p))
        break;
      do
        n = read (p->fd, b->mem + LN_PUMP_HEADROOM, p->block_size);
      while (n < 0 && errno == EINTR);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        continue;
      b->err = n < 0 ? errno : 0;
      b->len = n > 0 ? (size_t) n : 0;
      b->touched = MAX (b->touched, LN_PUMP_HEADROOM + b->len);
      wipe_stale (b, LN_PUMP_HEADROOM, LN_PUMP_HEADROOM + b->len);
      pthread_mutex_lock (&p->lock);
      p->filled++;
      wake = p->taker_waits;
      p->taker_waits = FALSE;
      pthread_mutex_unlock (&p->lock);
      /* full: the taker has a wake-up pending already */
      if (wake && write (p->ready[1], &one, 1) < 0 && errno != EAGAIN)
        g_warn_if_reached ();
      if (n <= 0)
        break;
    }
  wipe_vector_registers ();
  return NULL;
}

static gboolean
open_pipe (int fds[2])
{
  if (!g_unix_open_pipe (fds, FD_CLOEXEC, NULL))
    return FALSE;
  if (!g_unix_set_fd_nonblocking (fds[0], TRUE, NULL)
      || !g_unix_set_fd_nonblocking (fds[1], TRUE, NULL))
    {
      close (fds[0]);
      close (fds[1]);
      return FALSE;
    }
  return TRUE;
}

static void
release (LnPump *p)
{
  unsigned i;

  for (i = 0; i < PUMP_BLOCKS; i++)
    {
      if (p->block[i].mem)
        wipe_memory (p->block[i].mem, p->block[i].touched);
      g_free (p->block[i].mem);
    }
  for (i = 0; i < 2; i++)
    {
      if (p->ready[i] >= 0)
        close (p->ready[i]);
      if (p->wake[i] >= 0)
        close (p->wake[i]);
    }
  pthread_cond_destroy (&p->given_back);
  pthread_mutex_destroy (&p->lock);
  g_free (p);
}

LnPump *
pump_start (int fd, size_t block_size)
{
  LnPump *p = g_new0 (LnPump, 1);
  sigset_t all, old;
  unsigned i;

  p->fd = fd;
  p->block_size = block_size;
  p->ready[0] = p->ready[1] = p->wake[0] = p->wake[1] = -1;
  pthread_mutex_init (&p->lock, NULL);
  pthread_cond_init (&p->given_back, NULL);
  for (i = 0; i < PUMP_BLOCKS; i++)
    p->block[i].mem = g_malloc (LN_PUMP_HEADROOM + block_size);
  if (!open_pipe (p->ready) || !open_pipe (p->wake))
    {
      release (p);
      return NULL;
    }
  /* the signals are the reader's: they must interrupt its wait */
  sigfillset (&all);
  pthread_sigmask (SIG_BLOCK, &all, &old);
  p->thread = g_thread_try_new ("lognym-pump", pump_main, p, NULL);
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (p->thread == NULL)
    {
      release (p);
      return NULL;
    }
  return p;
}

gboolean
pump_waiting (LnPump *p)
{
  gboolean waiting;

  pthread_mutex_lock (&p->lock);
  waiting = p->waiting;
  pthread_mutex_unlock (&p->lock);
  return waiting;
}

int
pump_ready_fd (const LnPump *p)
{
  return p->ready[0];
}

void
pump_clear_ready (LnPump *p)
{
  char drain[PUMP_BLOCKS * 2];

  while (read (p->ready[0], drain, sizeof drain) == (ssize_t) sizeof drain)
    ;
}

gboolean
pump_take (LnPump *p, char **mem, size_t *len, int *err)
{
  Block *b;

  pthread_mutex_lock (&p->lock);
  if (p->taken == p->filled)
    {
      /* the next block read wakes pump_ready_fd() */
      p->taker_waits = TRUE;
      pthread_mutex_unlock (&p->lock);
      return FALSE;
    }
  b = &p->block[p->taken++ % PUMP_BLOCKS];
  pthread_mutex_unlock (&p->lock);
  *mem = b->mem;
  *len = b->len;
  *err = b->err;
  return TRUE;
}

static void
wake_pump (LnPump *p)
{
  char one = 1;

  /* full: a wake-up is pending already */
  if (write (p->wake[1], &one, 1) < 0 && errno != EAGAIN)
    g_warn_if_reached ();
}

void
pump_give_back (LnPump *p, size_t lo, size_t hi)
{
  Block *b;
  gboolean wake;

  pthread_mutex_lock (&p->lock);
  g_assert (p->returned != p->taken);
  b = &p->block[p->returned % PUMP_BLOCKS];
  b->stale_lo = lo;
  b->stale_hi = hi;
  p->returned++;
  pthread_cond_signal (&p->given_back);
  wake = p->waiting;
  p->waiting = FALSE;
  pthread_mutex_unlock (&p->lock);
  if (wake)
    wake_pump (p);
}

void
pump_stop (LnPump *p)
{
  if (p->thread == NULL)
    return;
  pthread_mutex_lock (&p->lock);
  p->quit_requested = TRUE;
  pthread_cond_signal (&p->given_back);
  pthread_mutex_unlock (&p->lock);
  wake_pump (p);
  g_thread_join (p->thread);
  p->thread = NULL;
}

void
pump_free (LnPump *p)
{
  if (p == NULL)
    return;
  pump_stop (p);
  release (p);
}

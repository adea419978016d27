/* signals.c - flag-setting handlers (see signals.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "signals.h"

/* stop signals so far, counted up to 2: the second one means "now" */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;
/* the self-pipe: a handler writes a byte after setting its flag, so a
 * signal that comes after the flags were checked still wakes poll(2) */
static int wake_pipe[2] = { -1, -1 };

static void
wake (void)
{
  int saved = errno;

  if (wake_pipe[1] >= 0)
    (void) !write (wake_pipe[1], "", 1);   /* full pipe: already awake */
  errno = saved;
}

static void
on_stop (int sig)
{
  (void) sig;
  /* SIGTERM and SIGINT block each other while here (install), so the
   * count cannot lose one */
  if (stop_requested < 2)
    stop_requested++;
  wake ();
}

static void
on_reopen (int sig)
{
  (void) sig;
  reopen_requested = 1;
  wake ();
}

static void
install (int sig, void (*handler) (int))
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigemptyset (&sa.sa_mask);
  sigaddset (&sa.sa_mask, SIGTERM);
  sigaddset (&sa.sa_mask, SIGINT);
  sa.sa_flags = 0;            /* no SA_RESTART: interrupt a blocked read */
  sigaction (sig, &sa, NULL);
}

void
signals_install (void)
{
  /* without the pipe a signal can still be missed until more input comes,
   * but the run itself works */
  if (wake_pipe[0] < 0 && pipe2 (wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
    wake_pipe[0] = wake_pipe[1] = -1;
  install (SIGTERM, on_stop);
  install (SIGINT, on_stop);
  install (SIGHUP, on_reopen);
  install (SIGUSR1, on_reopen);
}

gboolean
signals_stop_requested (void)
{
  return stop_requested != 0;
}

gboolean
signals_stop_repeated (void)
{
  return stop_requested > 1;
}

const volatile sig_atomic_t *
signals_reopen_flag (void)
{
  return &reopen_requested;
}

gboolean
signals_take_reopen (void)
{
  if (!reopen_requested)
    return FALSE;
  reopen_requested = 0;
  return TRUE;
}

int
signals_wake_fd (void)
{
  return wake_pipe[0];
}

void
signals_drain (void)
{
  char sink[64];

  if (wake_pipe[0] >= 0)
    while (read (wake_pipe[0], sink, sizeof sink) > 0)
      ;
}

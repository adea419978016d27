/* signals.c - flag-setting handlers (see signals.h). */
#include "config.h"

#include <signal.h>
#include <string.h>
#include "signals.h"

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;

static void
on_stop (int sig)
{
  (void) sig;
  stop_requested = 1;
}

static void
on_reopen (int sig)
{
  (void) sig;
  reopen_requested = 1;
}

static void
install (int sig, void (*handler) (int))
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigemptyset (&sa.sa_mask);
  sa.sa_flags = 0;            /* no SA_RESTART: interrupt a blocked read */
  sigaction (sig, &sa, NULL);
}

void
signals_install (void)
{
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
signals_take_reopen (void)
{
  if (!reopen_requested)
    return FALSE;
  reopen_requested = 0;
  return TRUE;
}

/* signals.h - SIGTERM/SIGINT end the run cleanly, SIGHUP/SIGUSR1 reopen -o.
 *
 * A piped logger is stopped with SIGTERM and its output file is rotated
 * under it; both must lose nothing.  The handlers only set flags (the one
 * other piece of process-wide state, since a handler has no arguments);
 * they are installed without SA_RESTART so that a blocked read(2) returns
 * EINTR and the main loop sees the flag at once.  A signal that arrives
 * after a flag was checked but before a blocking call began would still
 * be missed until more input came; so each handler also writes a byte to
 * a self-pipe, and blocking waits poll it alongside their descriptor.
 */
#ifndef LN_SIGNALS_H
#define LN_SIGNALS_H

#include <glib.h>
#include <signal.h>

void signals_install (void);

/* TRUE once SIGTERM or SIGINT arrived: read no further file, finish the
 * current one as reader.c decides (a regular file to its end, a pipe
 * nobody else reads until it ends, for a while), flush, exit 0. */
gboolean signals_stop_requested (void);

/* TRUE once a second SIGTERM or SIGINT arrived: stop reading at once. */
gboolean signals_stop_repeated (void);

/* TRUE (once per signal) when SIGHUP or SIGUSR1 asked to reopen -o. */
gboolean signals_take_reopen (void);

/* The flag behind signals_take_reopen(), nonzero while a reopen is
 * pending: a loop reads it per line instead of calling. */
const volatile sig_atomic_t *signals_reopen_flag (void);

/* The read end of the self-pipe (non-blocking), readable once a signal
 * came since the last signals_drain(); -1 before signals_install(). */
int signals_wake_fd (void);

/* Empties the self-pipe.  Call it before checking the flags, so that a
 * signal arriving after the check leaves the pipe readable. */
void signals_drain (void);

#endif /* LN_SIGNALS_H */

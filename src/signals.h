/* signals.h - SIGTERM/SIGINT end the run cleanly, SIGHUP/SIGUSR1 reopen -o.
 *
 * A piped logger is stopped with SIGTERM and its output file is rotated
 * under it; both must lose nothing.  The handlers only set flags (the one
 * other piece of process-wide state, since a handler has no arguments);
 * they are installed without SA_RESTART so that a blocked read(2) returns
 * EINTR and the main loop sees the flag at once.
 */
#ifndef LN_SIGNALS_H
#define LN_SIGNALS_H

#include <glib.h>

void signals_install (void);

/* TRUE once SIGTERM or SIGINT arrived: finish the current block, flush,
 * exit 0. */
gboolean signals_stop_requested (void);

/* TRUE (once per signal) when SIGHUP or SIGUSR1 asked to reopen -o. */
gboolean signals_take_reopen (void);

#endif /* LN_SIGNALS_H */

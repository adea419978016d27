/* secmem.h - locked, non-dumpable memory for key material.
 *
 * One region per process, mapped at start-up: mlock(2)ed so it is never
 * swapped, excluded from core dumps with MADV_DONTDUMP, and wiped on exit
 * and on fatal signals.  Keys, HMAC key states and the pseudonym cache
 * live here and nowhere else.
 *
 * This is the one piece of process-wide state in lognym: a signal handler
 * must be able to find the region to wipe it, and a handler has no
 * arguments.
 */
#ifndef LN_SECMEM_H
#define LN_SECMEM_H

#include <glib.h>
#include <stddef.h>

/* Maps the region (@size bytes, rounded up to pages), locks it and
 * installs the wipe-on-exit and wipe-on-signal handlers.  Returns FALSE with
 * @error set if the mapping fails; a failed mlock() (RLIMIT_MEMLOCK) is a
 * warning on stderr, not an error, and secmem_locked() then says FALSE. */
gboolean secmem_init (size_t size, GError **error);

/* Zeroed, 64-byte aligned memory from the region; aborts with a message
 * when the region is exhausted (sizes are fixed at start-up, so that is a
 * programming error). */
void *secmem_alloc (size_t size);

gboolean secmem_locked (void);

/* Wipes and unmaps the region (also run at exit). */
void secmem_wipe_all (void);

/* Makes the process non-dumpable (PR_SET_DUMPABLE 0): no core file, no
 * ptrace by other users. */
void secmem_forbid_core_dumps (void);

#endif /* LN_SECMEM_H */

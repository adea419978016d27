/* pump.h - a pipe read ahead by a thread of its own.
 *
 * From a pipe, a third of lognym's time went to the kernel's side of
 * read(2): the copy, the release of the pipe's pages, the memory cgroup's
 * accounting, the wake-ups; all of it on the CPU that also parses, while
 * the writer (cat, zcat, Apache) left the other CPU partly idle.  A pump
 * does those reads on another thread, into a small ring of blocks that the
 * reader adopts whole (see reader.c): nothing is copied but the line a
 * block cuts.  The blocks are taken and given back in the order they were
 * read.  A block given back is wiped by the pump where its next read does
 * not overwrite it, and wholly before the pump waits for input: raw lines
 * do not outlive their block by more than the pipe's next write.
 */
#ifndef LN_PUMP_H
#define LN_PUMP_H

#include <glib.h>
#include <stddef.h>

typedef struct LnPump LnPump;

/* Room before each block's data for the start of a line that the
 * previous block cut: a block's data begins at its memory +
 * LN_PUMP_HEADROOM, and a block holds LN_PUMP_HEADROOM + @block_size
 * bytes. */
#define LN_PUMP_HEADROOM (16 * 1024)

/* Starts a thread reading @fd (a pipe nobody else reads) in reads of up
 * to @block_size bytes.  NULL when no thread can be started: the caller
 * reads @fd itself. */
LnPump *pump_start (int fd, size_t block_size);

/* A descriptor that polls readable when a block may be ready to take,
 * after pump_take() found none. */
int pump_ready_fd (const LnPump *pump);

/* Clears what pump_ready_fd() polled, before pump_take() is tried again. */
void pump_clear_ready (LnPump *pump);

/* Takes the next block read, without waiting: TRUE with its memory in
 * @mem (the data at @mem + LN_PUMP_HEADROOM), @len bytes long; @len 0 is
 * the end of the input, or a read that failed with @err (else 0).  FALSE
 * when none is ready yet, or none will come after pump_stop(). */
gboolean pump_take (LnPump *pump, char **mem, size_t *len, int *err);

/* Gives the oldest block taken back, to be read into again; [@lo, @hi) of
 * it still holds input, for the pump to wipe. */
void pump_give_back (LnPump *pump, size_t lo, size_t hi);

/* For tests: TRUE when the pump waits for input, every block given back
 * so far wiped. */
gboolean pump_waiting (LnPump *pump);

/* Ends the reading thread; the blocks it read stay to be taken. */
void pump_stop (LnPump *pump);

/* Stops the pump, wipes and frees its blocks (all of them, taken or not). */
void pump_free (LnPump *pump);

#endif

/* wipe.h - memory wiping that the compiler may not elide. */
#ifndef LN_WIPE_H
#define LN_WIPE_H

#include <stddef.h>
#include <string.h>

/* Overwrites @len bytes at @p with zeros; never optimised away. */
void wipe_memory_call (void *p, size_t len);

/* Zeroes the vector registers (x86-64; nothing elsewhere).  Before a wait
 * that may last: they still hold bytes of the last lines scanned, and a
 * core image of the waiting process holds its registers.  The System V
 * ABI saves none of them across a call, so no caller loses a value. */
void wipe_vector_registers (void);

#if defined(__GNUC__)
/* Inline, so that wiping a 17-byte address is two stores instead of a call
 * into explicit_bzero and memset (three per line in the keyed modes, 2% of
 * the run).  The empty asm takes @p and clobbers memory: the compiler must
 * assume the zeros are read, so it cannot drop the memset as a dead store.
 * This is the barrier explicit_bzero itself relies on inside glibc. */
static inline void
wipe_memory (void *p, size_t len)
{
  memset (p, 0, len);
  __asm__ __volatile__ ("" : : "r" (p) : "memory");
}
#else
#define wipe_memory wipe_memory_call
#endif

#endif /* LN_WIPE_H */

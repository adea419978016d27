/* wipe.h - memory wiping that the compiler may not elide. */
#ifndef LN_WIPE_H
#define LN_WIPE_H

#include <stddef.h>
#include <string.h>

/* Overwrites @len bytes at @p with zeros; never optimised away. */
void wipe_memory_call (void *p, size_t len);

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

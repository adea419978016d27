/* wipe.h - memory wiping that the compiler may not elide. */
#ifndef LN_WIPE_H
#define LN_WIPE_H

#include <stddef.h>

/* Overwrites @len bytes at @p with zeros; never optimised away. */
void wipe_memory (void *p, size_t len);

#endif /* LN_WIPE_H */

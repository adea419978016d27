/* wipe.c - explicit_bzero where libc has it, a volatile loop otherwise. */
#include "config.h"

#include <string.h>
#include "wipe.h"

void
wipe_memory_call (void *p, size_t len)
{
#ifdef HAVE_EXPLICIT_BZERO
  explicit_bzero (p, len);
#else
  volatile unsigned char *v = p;
  while (len--)
    *v++ = 0;
#endif
}

/* secmem.c - the locked key region (see secmem.h). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "errors.h"
#include "i18n.h"
#include "secmem.h"
#include "wipe.h"

static struct {
  unsigned char *base;
  size_t size;
  size_t used;
  gboolean locked;
} region;

static void
wipe_region (void)
{
  if (region.base)
    wipe_memory (region.base, region.size);
}

/* Wipe, then die of the same signal with the default action. */
static void
on_fatal_signal (int sig)
{
  wipe_region ();
  signal (sig, SIG_DFL);
  raise (sig);
}

gboolean
secmem_init (size_t size, GError **error)
{
  static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGQUIT };
  long page = sysconf (_SC_PAGESIZE);
  size_t i;
  void *p;

  if (region.base)
    return TRUE;
  if (page <= 0)
    page = 4096;
  size = (size + (size_t) page - 1) / (size_t) page * (size_t) page;
  p = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    {
      int err = errno;
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                   _("cannot map memory for keys: %s"), g_strerror (err));
      return FALSE;
    }
#ifdef MADV_DONTDUMP
  (void) madvise (p, size, MADV_DONTDUMP);
#endif
  region.base = p;
  region.size = size;
  region.used = 0;
  region.locked = mlock (p, size) == 0;
  if (!region.locked)
    g_printerr (_("lognym: warning: cannot lock key memory (%s); keys may be "
                  "swapped to disk\n"), g_strerror (errno));
  atexit (secmem_wipe_all);
  for (i = 0; i < G_N_ELEMENTS (fatal); i++)
    signal (fatal[i], on_fatal_signal);
  return TRUE;
}

void *
secmem_alloc (size_t size)
{
  size_t start = (region.used + 63) & ~(size_t) 63;

  if (region.base == NULL || start + size > region.size)
    g_error ("secure memory exhausted (%zu bytes requested)", size);
  region.used = start + size;
  return region.base + start;
}

gboolean
secmem_locked (void)
{
  return region.locked;
}

void
secmem_wipe_all (void)
{
  if (region.base == NULL)
    return;
  wipe_region ();
  if (region.locked)
    munlock (region.base, region.size);
  munmap (region.base, region.size);
  region.base = NULL;
  region.size = region.used = 0;
}

void
secmem_forbid_core_dumps (void)
{
  (void) prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
}

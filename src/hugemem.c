/* hugemem.c - large zeroed tables in huge pages (see hugemem.h). */
#include "config.h"

#include <stdint.h>
#include <sys/mman.h>
#include <glib.h>

#include "hugemem.h"

#define HUGE_PAGE LN_HUGE_PAGE_BYTES
#define PAGE ((size_t) 4096)

static size_t
mapped_size (size_t size)
{
  return (size + PAGE - 1) & ~(PAGE - 1);
}

void *
hugemem_alloc0 (size_t size)
{
  size_t len = mapped_size (size);
  char *raw, *table;
  size_t head;

  if (len < HUGE_PAGE)
    return g_malloc0 (size);
  /* a huge page more, so that the table can start on a 2 MiB boundary;
   * what is not needed of it is unmapped again */
  raw = mmap (NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
              -1, 0);
  if (raw == MAP_FAILED)
    g_error ("cannot map %" G_GSIZE_FORMAT " bytes", len);
  table = (char *) (((uintptr_t) raw + HUGE_PAGE - 1) & ~(uintptr_t) (HUGE_PAGE - 1));
  head = (size_t) (table - raw);
  if (head > 0)
    munmap (raw, head);
  munmap (table + len, HUGE_PAGE - head);
#ifdef MADV_HUGEPAGE
  /* advice only: without transparent huge pages it is small pages */
  (void) madvise (table, len & ~(HUGE_PAGE - 1), MADV_HUGEPAGE);
#endif
  return table;
}

void
hugemem_free (void *table, size_t size)
{
  size_t len = mapped_size (size);

  if (table == NULL)
    return;
  if (len < HUGE_PAGE)
    g_free (table);
  else
    munmap (table, len);
}

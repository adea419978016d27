/* hugemem.h - large zeroed memory, in transparent huge pages where the
 * kernel has them.
 *
 * For memory that a run touches all of early: the pseudonym cache, probed
 * at random, and the --jobs slots' buffers.  Each first touch of a 4 KiB
 * page is a page fault, 10-15 us on a virtual machine: 7 ms for the
 * cache's 2 MiB.  Mapped 2 MiB-aligned with madvise(MADV_HUGEPAGE), each whole
 * 2 MiB of it is one fault instead of 512.  The mapping is exactly the
 * table's size rounded up to a page, so no memory is added: a tail short
 * of 2 MiB stays in small pages.
 */
#ifndef LN_HUGEMEM_H
#define LN_HUGEMEM_H

#include <stddef.h>

/* The huge page of x86-64 and arm64 (4 KiB base pages): only whole,
 * aligned ones of a table are backed by huge pages. */
#define LN_HUGE_PAGE_BYTES ((size_t) 2 * 1024 * 1024)

/* @size zeroed bytes; never NULL (aborts as g_malloc does when out of
 * memory).  Free with hugemem_free() and the same @size. */
void *hugemem_alloc0 (size_t size);
void hugemem_free (void *table, size_t size);

#endif /* LN_HUGEMEM_H */

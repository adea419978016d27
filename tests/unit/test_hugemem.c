/* test_hugemem.c - large zeroed tables (src/hugemem.c). */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>

#include "hugemem.h"

#define MIB ((size_t) 1024 * 1024)

static void
check_zero_and_writable (unsigned char *t, size_t size)
{
  size_t i;

  for (i = 0; i < size; i++)
    cr_assert_eq (t[i], 0, "byte %zu of %zu is %u, not 0", i, size, t[i]);
  memset (t, 0xa5, size);
  cr_assert_eq (t[size - 1], 0xa5);
}

Test (hugemem, table_of_two_and_a_half_mib_is_zeroed_and_aligned)
{
  /* the pseudonym cache's size: 131072 entries of 20 bytes */
  size_t size = 131072 * 20;
  unsigned char *t = hugemem_alloc0 (size);

  cr_assert_not_null (t);
  cr_assert_eq ((uintptr_t) t % (2 * MIB), 0, "not on a 2 MiB boundary: %p", (void *) t);
  check_zero_and_writable (t, size);
  hugemem_free (t, size);
}

Test (hugemem, sizes_around_the_huge_page)
{
  const size_t sizes[] = { 1, 4095, 4096, 2 * MIB - 1, 2 * MIB, 2 * MIB + 1, 5 * MIB + 123 };
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      unsigned char *t = hugemem_alloc0 (sizes[i]);

      cr_assert_not_null (t);
      check_zero_and_writable (t, sizes[i]);
      hugemem_free (t, sizes[i]);
    }
}

Test (hugemem, a_freed_table_comes_back_zeroed)
{
  size_t size = 3 * MIB;
  int round;

  for (round = 0; round < 3; round++)
    {
      unsigned char *t = hugemem_alloc0 (size);

      check_zero_and_writable (t, size);
      hugemem_free (t, size);
    }
  hugemem_free (NULL, size);
}

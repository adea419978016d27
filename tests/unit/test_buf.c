/* test_buf.c - growable buffers (src/buf.c), the borrowed kind above all:
 * its memory is the caller's, wiped like any buffer's but never freed (a
 * free of the array below would abort, or be reported by ASan). */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>

#include "buf.h"

static bool
all_zero (const char *p, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (p[i] != 0)
      return false;
  return true;
}

Test (buf, borrowed_memory_is_used_in_place)
{
  char mine[64];
  LnBuf b;

  buf_borrow (&b, mine, sizeof mine);
  buf_append (&b, "192.0.2.1 hello", 15);
  cr_assert_eq (b.data, mine);
  cr_assert_eq (b.len, 15);
  cr_assert (memcmp (mine, "192.0.2.1 hello", 15) == 0);
  buf_clear (&b);
  cr_assert_null (b.data);
  cr_assert (all_zero (mine, sizeof mine), "borrowed memory not wiped by buf_clear");
}

Test (buf, a_borrowed_buffer_that_grows_moves_out_and_wipes_what_it_leaves)
{
  char mine[32];
  char big[100];
  LnBuf b;

  memset (big, 'x', sizeof big);
  buf_borrow (&b, mine, sizeof mine);
  buf_append (&b, "198.51.100.7", 12);
  buf_append (&b, big, sizeof big);
  cr_assert_neq (b.data, mine);
  cr_assert (!b.borrowed);
  cr_assert_eq (b.len, 112);
  cr_assert (memcmp (b.data, "198.51.100.7", 12) == 0);
  cr_assert (memcmp (b.data + 12, big, sizeof big) == 0);
  cr_assert (all_zero (mine, sizeof mine), "the borrowed memory left behind holds data");
  buf_clear (&b);               /* frees its own memory */
}

Test (buf, clear_used_and_release_do_not_free_borrowed_memory)
{
  char mine[48];
  LnBuf b;

  buf_borrow (&b, mine, sizeof mine);
  buf_append (&b, "203.0.113.9", 11);
  buf_clear_used (&b, 11);
  cr_assert (all_zero (mine, 11));
  cr_assert_null (b.data);

  buf_borrow (&b, mine, sizeof mine);
  buf_append (&b, "output", 6);
  buf_release (&b);             /* output: not wiped, and not freed */
  cr_assert (memcmp (mine, "output", 6) == 0);
  cr_assert_null (b.data);
  cr_assert (!b.borrowed);
}

Test (buf, an_owned_buffer_grows_keeping_its_bytes)
{
  LnBuf b;
  size_t i;

  buf_init (&b, 1);
  for (i = 0; i < 1000; i++)
    buf_append (&b, "ab", 2);
  cr_assert_eq (b.len, 2000);
  for (i = 0; i < 2000; i += 2)
    cr_assert (b.data[i] == 'a' && b.data[i + 1] == 'b');
  cr_assert (!b.borrowed);
  buf_clear (&b);
}

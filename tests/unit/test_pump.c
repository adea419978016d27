/* test_pump.c - a pipe read ahead by a thread: order, ends, errors, stop,
 * and the wipe of the blocks given back. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "pump.h"

#define BLOCK_SIZE 4096

/* Waits (up to 10 s) for a block and takes it. */
static void
take (LnPump *p, char **mem, size_t *len, int *err)
{
  int i;

  for (i = 0; i < 1000; i++)
    {
      struct pollfd pfd = { .fd = pump_ready_fd (p), .events = POLLIN };

      if (pump_take (p, mem, len, err))
        return;
      cr_assert_geq (poll (&pfd, 1, 10), 0);
      if (pfd.revents)
        pump_clear_ready (p);
    }
  cr_assert_fail ("no block came in 10 s");
}

/* Waits (up to 10 s) until the pump waits for input. */
static void
until_waiting (LnPump *p)
{
  int i;

  for (i = 0; i < 10000 && !pump_waiting (p); i++)
    g_usleep (1000);
  cr_assert (pump_waiting (p), "the pump did not wait for input in 10 s");
}

/* Closes the pipe's write end, takes the end of the input, frees the pump
 * and closes the read end. */
static void
end_input (LnPump *p, int fds[2])
{
  char *mem;
  size_t len;
  int err;

  close (fds[1]);
  take (p, &mem, &len, &err);
  cr_assert_eq (len, 0);
  pump_give_back (p, 0, 0);
  pump_free (p);
  close (fds[0]);
}

static char *
pattern (size_t len)
{
  char *s = g_malloc (len);
  size_t i;

  for (i = 0; i < len; i++)
    s[i] = (char) ('a' + (i * 31 + i / 977) % 26);
  return s;
}

Test (pump, blocks_in_order_then_the_end)
{
  const size_t total = 1000 * 1000;
  char *data = pattern (total);
  GString *got = g_string_new (NULL);
  Feeder f;
  LnPump *p;
  char *mem;
  size_t len, blocks = 0;
  int err;

  feeder_start (&f, data, total, 9000);
  p = pump_start (f.fds[0], BLOCK_SIZE);
  cr_assert_not_null (p);
  for (;;)
    {
      take (p, &mem, &len, &err);
      cr_assert_eq (err, 0);
      cr_assert_leq (len, BLOCK_SIZE);
      /* the headroom is the taker's: the reader copies a cut line there */
      memset (mem, 'h', LN_PUMP_HEADROOM);
      g_string_append_len (got, mem + LN_PUMP_HEADROOM, (gssize) len);
      pump_give_back (p, 0, LN_PUMP_HEADROOM + len);
      if (len == 0)
        break;
      blocks++;
    }
  cr_assert_eq (got->len, total);
  cr_assert (memcmp (got->str, data, total) == 0, "the bytes came in another order");
  cr_assert_geq (blocks, total / BLOCK_SIZE, "%zu blocks", blocks);
  /* nothing after the end */
  cr_assert (!pump_take (p, &mem, &len, &err));
  pump_free (p);
  feeder_join (&f);
  close (f.fds[0]);
  g_string_free (got, TRUE);
  g_free (data);
}

/* The blocks taken are held while the pump reads on: it fills the others,
 * then waits for one to come back. */
Test (pump, waits_for_a_block_to_come_back)
{
  const size_t total = 64 * BLOCK_SIZE;
  char *data = pattern (total);
  GString *got = g_string_new (NULL);
  Feeder f;
  LnPump *p;
  char *mem[2];
  size_t len[2];
  int err;

  feeder_start (&f, data, total, 9000);
  p = pump_start (f.fds[0], BLOCK_SIZE);
  take (p, &mem[0], &len[0], &err);
  for (;;)
    {
      /* two held at once, as the reader holds its block while it copies
       * the cut line into the next */
      take (p, &mem[1], &len[1], &err);
      cr_assert_neq (mem[0], mem[1]);
      g_string_append_len (got, mem[0] + LN_PUMP_HEADROOM, (gssize) len[0]);
      pump_give_back (p, LN_PUMP_HEADROOM, LN_PUMP_HEADROOM + len[0]);
      mem[0] = mem[1];
      len[0] = len[1];
      if (len[1] == 0)
        break;
    }
  pump_give_back (p, 0, 0);
  cr_assert_eq (got->len, total);
  cr_assert (memcmp (got->str, data, total) == 0);
  pump_free (p);
  feeder_join (&f);
  close (f.fds[0]);
  g_string_free (got, TRUE);
  g_free (data);
}

/* A block given back while the pump waits on an empty pipe is wiped then,
 * not when it is read into again, which may be hours later. */
Test (pump, block_given_back_wiped_before_the_next_read)
{
  static const char first[] = "192.0.2.1 - - first line\n";
  static const char second[] = "second\n";
  int fds[2];
  LnPump *p;
  char *mem, *mem2, *copy;
  size_t len, len2, i;
  int err;

  cr_assert_eq (pipe (fds), 0);
  p = pump_start (fds[0], BLOCK_SIZE);
  cr_assert_eq (write (fds[1], first, strlen (first)), (ssize_t) strlen (first));
  take (p, &mem, &len, &err);
  cr_assert_eq (len, strlen (first));
  cr_assert (memcmp (mem + LN_PUMP_HEADROOM, first, len) == 0);
  /* the cut line the reader would have copied before the data */
  memcpy (mem + LN_PUMP_HEADROOM - 3, "abc", 3);
  until_waiting (p);
  pump_give_back (p, LN_PUMP_HEADROOM - 3, LN_PUMP_HEADROOM + len);
  /* the next read comes after the wipe */
  cr_assert_eq (write (fds[1], second, strlen (second)), (ssize_t) strlen (second));
  take (p, &mem2, &len2, &err);
  cr_assert_neq (mem2, mem);
  cr_assert_eq (len2, strlen (second));
  copy = g_malloc (len + 3);
  memcpy (copy, mem + LN_PUMP_HEADROOM - 3, len + 3);
  for (i = 0; i < len + 3; i++)
    cr_assert_eq (copy[i], 0, "byte %zu of the block given back was not wiped", i);
  g_free (copy);
  pump_give_back (p, LN_PUMP_HEADROOM, LN_PUMP_HEADROOM + len2);
  end_input (p, fds);
}

/* The same when the block comes back before the pump waits: it is wiped
 * before the pump waits. */
Test (pump, block_given_back_at_once_wiped_before_the_wait)
{
  static const char first[] = "2001:db8::1 - - first line\n";
  int fds[2];
  LnPump *p;
  char *mem;
  size_t len, i;
  int err, round;

  for (round = 0; round < 50; round++)
    {
      cr_assert_eq (pipe (fds), 0);
      p = pump_start (fds[0], BLOCK_SIZE);
      cr_assert_eq (write (fds[1], first, strlen (first)), (ssize_t) strlen (first));
      take (p, &mem, &len, &err);
      pump_give_back (p, LN_PUMP_HEADROOM, LN_PUMP_HEADROOM + len);
      until_waiting (p);
      for (i = 0; i < len; i++)
        cr_assert_eq (mem[LN_PUMP_HEADROOM + i], 0, "round %d, byte %zu not wiped", round, i);
      end_input (p, fds);
    }
}

/* Read into again while input flows (no wait): what the new read does not
 * overwrite of the old input is wiped before the block is taken. */
Test (pump, block_read_into_again_wiped_past_the_new_data)
{
  const size_t total = 4 * BLOCK_SIZE + 10;
  char *data = pattern (total);
  int fds[2];
  LnPump *p;
  char *mem[4], *again;
  size_t len, i;
  int err, k;

  cr_assert_eq (pipe (fds), 0);
  /* all of it in the pipe first: four full blocks, then ten bytes */
  cr_assert_eq (write (fds[1], data, total), (ssize_t) total);
  p = pump_start (fds[0], BLOCK_SIZE);
  for (k = 0; k < 4; k++)
    {
      take (p, &mem[k], &len, &err);
      cr_assert_eq (len, BLOCK_SIZE);
    }
  pump_give_back (p, LN_PUMP_HEADROOM, LN_PUMP_HEADROOM + BLOCK_SIZE);
  take (p, &again, &len, &err);
  cr_assert_eq (again, mem[0], "the ring goes round");
  cr_assert_eq (len, 10);
  cr_assert (memcmp (again + LN_PUMP_HEADROOM, data + 4 * BLOCK_SIZE, 10) == 0);
  for (i = LN_PUMP_HEADROOM + 10; i < LN_PUMP_HEADROOM + BLOCK_SIZE; i++)
    cr_assert_eq (again[i], 0, "byte %zu of the old input was not wiped", i);
  pump_free (p);
  close (fds[0]);
  close (fds[1]);
  g_free (data);
}

/* A taker that found no block sleeps in poll(2) on pump_ready_fd() until
 * the next one is read. */
Test (pump, ready_fd_wakes_the_taker)
{
  int fds[2], round;
  LnPump *p;

  cr_assert_eq (pipe (fds), 0);
  p = pump_start (fds[0], BLOCK_SIZE);
  for (round = 0; round < 20; round++)
    {
      struct pollfd pfd = { .fd = pump_ready_fd (p), .events = POLLIN };
      char *mem;
      size_t len;
      int err;

      cr_assert (!pump_take (p, &mem, &len, &err), "a block from an empty pipe");
      cr_assert_eq (write (fds[1], "x\n", 2), 2);
      cr_assert_eq (poll (&pfd, 1, 10000), 1, "round %d: no wake-up in 10 s", round);
      pump_clear_ready (p);
      cr_assert (pump_take (p, &mem, &len, &err));
      cr_assert_eq (len, 2);
      pump_give_back (p, LN_PUMP_HEADROOM, LN_PUMP_HEADROOM + len);
      /* nothing more to wake it for */
      cr_assert_eq (poll (&pfd, 1, 0), 0, "round %d: a wake-up left over", round);
    }
  pump_free (p);
  close (fds[0]);
  close (fds[1]);
}

/* A stop ends the thread at once, even while it waits on an open pipe;
 * what it read stays to be taken. */
Test (pump, stop_keeps_what_was_read)
{
  static const char text[] = "a line\n";
  int fds[2];
  LnPump *p;
  char *mem;
  size_t len;
  int err;

  cr_assert_eq (pipe (fds), 0);
  cr_assert_eq (write (fds[1], text, strlen (text)), (ssize_t) strlen (text));
  p = pump_start (fds[0], BLOCK_SIZE);
  /* it read the line, and waits on the pipe, which the writer keeps open,
   * until stopped */
  until_waiting (p);
  pump_stop (p);
  cr_assert (pump_take (p, &mem, &len, &err));
  cr_assert_eq (len, strlen (text));
  cr_assert (memcmp (mem + LN_PUMP_HEADROOM, text, len) == 0);
  cr_assert (!pump_take (p, &mem, &len, &err), "a block after the stop");
  /* what is left in the pipe is the next reader's */
  {
    char rest[16];

    cr_assert_eq (write (fds[1], "x\n", 2), 2);
    cr_assert_eq (read (fds[0], rest, sizeof rest), 2);
  }
  pump_free (p);
  close (fds[0]);
  close (fds[1]);
}

Test (pump, read_error_is_a_block)
{
  int fd = open ("/", O_RDONLY | O_DIRECTORY);
  LnPump *p;
  char *mem;
  size_t len;
  int err;

  cr_assert_geq (fd, 0);
  p = pump_start (fd, BLOCK_SIZE);
  take (p, &mem, &len, &err);
  cr_assert_eq (len, 0);
  cr_assert_eq (err, EISDIR, "err %d (%s)", err, g_strerror (err));
  pump_give_back (p, 0, 0);
  pump_free (p);
  close (fd);
}

/* Freed with blocks taken and not given back (a reader freed after an
 * error): no leak, no wait. */
Test (pump, free_with_blocks_held)
{
  static const char text[] = "held\n";
  int fds[2];
  LnPump *p;
  char *mem;
  size_t len;
  int err;

  cr_assert_eq (pipe (fds), 0);
  p = pump_start (fds[0], BLOCK_SIZE);
  cr_assert_eq (write (fds[1], text, strlen (text)), (ssize_t) strlen (text));
  take (p, &mem, &len, &err);
  cr_assert_eq (write (fds[1], text, strlen (text)), (ssize_t) strlen (text));
  take (p, &mem, &len, &err);
  pump_free (p);
  close (fds[0]);
  close (fds[1]);
}

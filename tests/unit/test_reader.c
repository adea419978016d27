/* test_reader.c - line reader over files, pipes and gzip data. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "errors.h"
#include "helpers.h"
#include "reader.h"

#define BLOCK (256 * 1024)

/* ---------------------------------------------------------- fixture */

static char *tmpdir;

static void
setup (void)
{
  GError *error = NULL;

  tmpdir = g_dir_make_tmp ("lognym-reader-XXXXXX", &error);
  cr_assert_not_null (tmpdir, "%s", error ? error->message : "");
}

static void
teardown (void)
{
  GDir *dir = g_dir_open (tmpdir, 0, NULL);
  const char *name;

  if (dir)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          char *path = g_build_filename (tmpdir, name, NULL);
          g_chmod (path, 0700);
          if (g_remove (path) != 0)
            g_rmdir (path);
          g_free (path);
        }
      g_dir_close (dir);
    }
  g_rmdir (tmpdir);
  g_free (tmpdir);
  tmpdir = NULL;
}

TestSuite (reader, .init = setup, .fini = teardown);

static char *
write_file (const char *name, const void *data, size_t len)
{
  char *path = g_build_filename (tmpdir, name, NULL);
  GError *error = NULL;

  cr_assert (g_file_set_contents (path, data, (gssize) len, &error), "%s",
             error ? error->message : "");
  return path;
}

/* Appends a gzip member holding @data to @path ("wb" starts the file). */
static void
gz_write (const char *path, const char *mode, const void *data, size_t len)
{
  gzFile gz = gzopen (path, mode);

  cr_assert_not_null (gz);
  if (len)
    cr_assert_eq (gzwrite (gz, data, (unsigned) len), (int) len);
  cr_assert_eq (gzclose (gz), Z_OK);
}

static void
append_raw (const char *path, const void *data, size_t len)
{
  FILE *f = fopen (path, "ab");

  cr_assert_not_null (f);
  cr_assert_eq (fwrite (data, 1, len, f), len);
  fclose (f);
}

static LnReader *
open_ok (const char *path)
{
  GError *error = NULL;
  LnReader *r = reader_open (path, &error);

  cr_assert_not_null (r, "reader_open(%s): %s", path, error ? error->message : "");
  cr_assert_null (error);
  return r;
}

/* The next line is exactly @len bytes at @bytes, terminated by @eol. */
static void
expect_line (LnReader *r, const void *bytes, size_t len, const char *eol)
{
  LnSpan line = { NULL, 0 }, e = { NULL, 0 };
  GError *error = NULL;
  int rc = reader_next (r, &line, &e, &error);

  cr_assert_eq (rc, 1, "reader_next returned %d (%s), expected a line of %zu bytes", rc,
                error ? error->message : "no error", len);
  cr_assert_null (error);
  cr_assert_eq (line.len, len, "line of %zu bytes, expected %zu", line.len, len);
  cr_assert (len == 0 || memcmp (line.p, bytes, len) == 0, "line content differs");
  assert_span_str (e, eol);
}

static void
expect_str (LnReader *r, const char *text, const char *eol)
{
  expect_line (r, text, strlen (text), eol);
}

static void
expect_eof (LnReader *r)
{
  LnSpan line, e;
  GError *error = NULL;
  int rc = reader_next (r, &line, &e, &error);

  cr_assert_eq (rc, 0, "expected end of input, got %d (%s)", rc,
                error ? error->message : "no error");
  cr_assert_null (error);
  /* and it stays at the end */
  cr_assert_eq (reader_next (r, &line, &e, &error), 0);
}

/* Reads lines until an error; returns the error (the caller frees it) and
 * the number of lines read before it in *@nlines. */
static GError *
read_until_error (LnReader *r, size_t *nlines)
{
  LnSpan line, e;
  GError *error = NULL;
  int rc;

  *nlines = 0;
  while ((rc = reader_next (r, &line, &e, &error)) == 1)
    ++*nlines;
  cr_assert_eq (rc, -1, "expected an error, got %d after %zu lines", rc, *nlines);
  cr_assert_not_null (error);
  return error;
}

static char *
pattern (size_t len, unsigned seed)
{
  char *s = g_malloc (len + 1);
  size_t i;

  for (i = 0; i < len; i++)
    s[i] = (char) ('a' + (i * 7 + seed) % 26);
  s[len] = '\0';
  return s;
}

/* ---------------------------------------------------- plain files */

Test (reader, simple_lines_and_numbers)
{
  char *path = write_file ("simple.log", "one\ntwo\nthree\n", 14);
  LnReader *r = open_ok (path);

  cr_assert_str_eq (reader_name (r), path);
  cr_assert_eq (reader_line_number (r), 0);
  expect_str (r, "one", "\n");
  cr_assert_eq (reader_line_number (r), 1);
  expect_str (r, "two", "\n");
  cr_assert_eq (reader_line_number (r), 2);
  expect_str (r, "three", "\n");
  cr_assert_eq (reader_line_number (r), 3);
  expect_eof (r);
  cr_assert_eq (reader_line_number (r), 3);
  reader_free (r);
  g_free (path);
}

Test (reader, long_lines)
{
  /* 1 MiB and 3 MiB lines: far beyond the 256 KiB block */
  const size_t one = 1024 * 1024, three = 3 * 1024 * 1024;
  char *a = pattern (one, 1), *b = pattern (three, 2);
  GString *data = g_string_new ("short\n");
  char *path;
  LnReader *r;

  g_string_append_len (data, a, (gssize) one);
  g_string_append_c (data, '\n');
  g_string_append_len (data, b, (gssize) three);
  g_string_append (data, "\r\nafter\ntail");
  path = write_file ("long.log", data->str, data->len);
  r = open_ok (path);
  expect_str (r, "short", "\n");
  expect_line (r, a, one, "\n");
  expect_line (r, b, three, "\r\n");
  expect_str (r, "after", "\n");
  expect_str (r, "tail", "");
  cr_assert_eq (reader_line_number (r), 5);
  expect_eof (r);
  reader_free (r);
  g_string_free (data, TRUE);
  g_free (a);
  g_free (b);
  g_free (path);
}

Test (reader, many_lines_across_blocks)
{
  GString *data = g_string_new (NULL);
  char *path;
  LnReader *r;
  int i;

  for (i = 0; i < 60000; i++)
    g_string_append_printf (data, "line %d %s\n", i, i % 3 ? "x" : "some longer text here");
  cr_assert_gt (data->len, 4 * BLOCK);
  path = write_file ("many.log", data->str, data->len);
  r = open_ok (path);
  for (i = 0; i < 60000; i++)
    {
      char *expected = g_strdup_printf ("line %d %s", i, i % 3 ? "x" : "some longer text here");
      expect_str (r, expected, "\n");
      cr_assert_eq (reader_line_number (r), (uint64_t) i + 1);
      g_free (expected);
    }
  expect_eof (r);
  reader_free (r);
  g_string_free (data, TRUE);
  g_free (path);
}

Test (reader, block_boundaries)
{
  /* a line that ends exactly at the block end, and a CRLF split by it */
  GString *data = g_string_new (NULL);
  char *first = pattern (BLOCK - 1, 3);
  char *second = pattern (BLOCK - 1, 4);
  char *path;
  LnReader *r;

  g_string_append_len (data, first, BLOCK - 1);
  g_string_append_c (data, '\n');              /* byte BLOCK-1 */
  g_string_append_len (data, second, BLOCK - 1);
  g_string_append (data, "\r\n");              /* '\r' ends block 2, '\n' starts block 3 */
  g_string_append (data, "last\r\n");
  path = write_file ("boundary.log", data->str, data->len);
  r = open_ok (path);
  expect_line (r, first, BLOCK - 1, "\n");
  expect_line (r, second, BLOCK - 1, "\r\n");
  expect_str (r, "last", "\r\n");
  expect_eof (r);
  reader_free (r);
  g_string_free (data, TRUE);
  g_free (first);
  g_free (second);
  g_free (path);
}

Test (reader, crlf)
{
  static const char data[] = "a\r\nb\nc\r\n\r\nx\ry\n";
  char *path = write_file ("crlf.log", data, sizeof data - 1);
  LnReader *r = open_ok (path);

  expect_str (r, "a", "\r\n");
  expect_str (r, "b", "\n");
  expect_str (r, "c", "\r\n");
  expect_str (r, "", "\r\n");
  expect_str (r, "x\ry", "\n");     /* a lone CR inside a line is data */
  expect_eof (r);
  reader_free (r);
  g_free (path);
}

Test (reader, missing_final_newline)
{
  char *path = write_file ("nofinal.log", "a\nb", 3);
  LnReader *r = open_ok (path);

  expect_str (r, "a", "\n");
  expect_str (r, "b", "");
  cr_assert_eq (reader_line_number (r), 2);
  expect_eof (r);
  reader_free (r);
  g_free (path);
}

Test (reader, single_byte_file)
{
  /* shorter than the gzip magic */
  char *path = write_file ("one.log", "x", 1);
  LnReader *r = open_ok (path);

  expect_str (r, "x", "");
  expect_eof (r);
  reader_free (r);
  g_free (path);

  path = write_file ("magic1.log", "\x1f", 1);
  r = open_ok (path);
  expect_str (r, "\x1f", "");
  expect_eof (r);
  reader_free (r);
  g_free (path);
}

Test (reader, empty_file)
{
  char *path = write_file ("empty.log", "", 0);
  LnReader *r = open_ok (path);

  expect_eof (r);
  cr_assert_eq (reader_line_number (r), 0);
  reader_free (r);
  g_free (path);
}

Test (reader, only_newlines)
{
  char *path = write_file ("nl.log", "\n", 1);
  LnReader *r = open_ok (path);

  expect_str (r, "", "\n");
  cr_assert_eq (reader_line_number (r), 1);
  expect_eof (r);
  reader_free (r);
  g_free (path);

  path = write_file ("nl3.log", "\n\n\n", 3);
  r = open_ok (path);
  expect_str (r, "", "\n");
  expect_str (r, "", "\n");
  expect_str (r, "", "\n");
  cr_assert_eq (reader_line_number (r), 3);
  expect_eof (r);
  reader_free (r);
  g_free (path);
}

Test (reader, nul_bytes)
{
  static const char data[] = "a\0b\n\0\nc\0\0";
  char *path = write_file ("nul.log", data, sizeof data - 1);
  LnReader *r = open_ok (path);

  expect_line (r, "a\0b", 3, "\n");
  expect_line (r, "\0", 1, "\n");
  expect_line (r, "c\0\0", 3, "");
  expect_eof (r);
  reader_free (r);
  g_free (path);
}

Test (reader, stat_of_a_file)
{
  char *path = write_file ("stat.log", "x\n", 2);
  LnReader *r = open_ok (path);
  struct stat st;
  uint64_t dev = 0, ino = 0;

  cr_assert_eq (stat (path, &st), 0);
  cr_assert (reader_stat (r, &dev, &ino));
  cr_assert_eq (dev, (uint64_t) st.st_dev);
  cr_assert_eq (ino, (uint64_t) st.st_ino);
  reader_free (r);
  g_free (path);
}

/* ---------------------------------------------------------- gzip */

Test (reader, gzip_detected_by_magic)
{
  /* the name does not end in .gz: the magic bytes decide */
  char *path = g_build_filename (tmpdir, "access.log.1", NULL);
  const size_t big = 600 * 1024;
  char *a = pattern (big, 5);
  GString *data = g_string_new ("first line\r\nsecond\n");
  LnReader *r;

  g_string_append_len (data, a, (gssize) big);
  g_string_append (data, "\nlast without newline");
  gz_write (path, "wb", data->str, data->len);
  r = open_ok (path);
  expect_str (r, "first line", "\r\n");
  expect_str (r, "second", "\n");
  expect_line (r, a, big, "\n");
  expect_str (r, "last without newline", "");
  cr_assert_eq (reader_line_number (r), 4);
  expect_eof (r);
  reader_free (r);
  g_string_free (data, TRUE);
  g_free (a);
  g_free (path);
}

Test (reader, gzip_two_members)
{
  char *path = g_build_filename (tmpdir, "two.gz", NULL);
  LnReader *r;

  /* a line split across the members, as with cat a.gz b.gz */
  gz_write (path, "wb", "one\nhel", 7);
  gz_write (path, "ab", "lo\nworld\n", 9);
  r = open_ok (path);
  expect_str (r, "one", "\n");
  expect_str (r, "hello", "\n");
  expect_str (r, "world", "\n");
  expect_eof (r);
  reader_free (r);
  g_free (path);
}

Test (reader, gzip_many_members_and_empty_member)
{
  char *path = g_build_filename (tmpdir, "many.gz", NULL);
  LnReader *r;
  int i;

  gz_write (path, "wb", "", 0);                 /* an empty member first */
  for (i = 0; i < 50; i++)
    {
      char *line = g_strdup_printf ("member %d\n", i);
      gz_write (path, "ab", line, strlen (line));
      g_free (line);
    }
  gz_write (path, "ab", "", 0);                 /* and one last */
  r = open_ok (path);
  for (i = 0; i < 50; i++)
    {
      char *expected = g_strdup_printf ("member %d", i);
      expect_str (r, expected, "\n");
      g_free (expected);
    }
  expect_eof (r);
  reader_free (r);
  g_free (path);
}

static char *
make_gz_bytes (const char *name, size_t nlines, gsize *len)
{
  char *path = g_build_filename (tmpdir, name, NULL);
  GString *data = g_string_new (NULL);
  GRand *rand = g_rand_new_with_seed (9);
  char *bytes;
  size_t i;

  /* poorly compressible, so that a cut lands inside the deflate data */
  for (i = 0; i < nlines; i++)
    g_string_append_printf (data, "%u.%u.%u.%u - - %08x\n", g_rand_int_range (rand, 1, 255),
                            g_rand_int_range (rand, 0, 255), g_rand_int_range (rand, 0, 255),
                            g_rand_int_range (rand, 0, 255), g_rand_int (rand));
  gz_write (path, "wb", data->str, data->len);
  cr_assert (g_file_get_contents (path, &bytes, len, NULL));
  g_remove (path);
  g_free (path);
  g_string_free (data, TRUE);
  g_rand_free (rand);
  return bytes;
}

Test (reader, gzip_truncated)
{
  gsize len;
  char *gz = make_gz_bytes ("src.gz", 20000, &len);
  static const double cuts[] = { 0.5, 0.99 };
  size_t i;

  for (i = 0; i < N_ELEMS (cuts) + 2; i++)
    {
      /* cut in the data, near the end, just the 8-byte trailer, one byte */
      size_t keep = i < N_ELEMS (cuts) ? (size_t) ((double) len * cuts[i])
                    : i == N_ELEMS (cuts) ? len - 8 : len - 1;
      char *name = g_strdup_printf ("cut%zu.gz", i);
      char *path = write_file (name, gz, keep);
      LnReader *r = open_ok (path);
      size_t nlines;
      GError *error = read_until_error (r, &nlines);

      cr_assert_eq (error->domain, LN_ERROR);
      cr_assert_eq (error->code, LN_ERROR_IO);
      cr_assert_not_null (strstr (error->message, "truncated"), "cut at %zu of %zu: \"%s\"",
                          keep, (size_t) len, error->message);
      cr_assert_not_null (strstr (error->message, path), "\"%s\" does not name the file",
                          error->message);
      /* a cut in the data loses lines; a cut trailer loses only the check */
      cr_assert_leq (nlines, 20000);
      if (i == 0)
        cr_assert_lt (nlines, 20000);
      if (i > 0)
        cr_assert_gt (nlines, 0, "lines before the cut are delivered");
      g_error_free (error);
      reader_free (r);
      g_free (path);
      g_free (name);
    }
  g_free (gz);
}

Test (reader, gzip_header_only)
{
  static const unsigned char header[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
  char *path = write_file ("header.gz", header, sizeof header);
  LnReader *r = open_ok (path);
  size_t n;
  GError *error = read_until_error (r, &n);

  cr_assert_eq (n, 0);
  cr_assert_eq (error->code, LN_ERROR_IO);
  cr_assert_not_null (strstr (error->message, "truncated"), "%s", error->message);
  g_error_free (error);
  reader_free (r);
  g_free (path);

  /* the magic alone */
  path = write_file ("magic.gz", header, 2);
  r = open_ok (path);
  error = read_until_error (r, &n);
  cr_assert_eq (error->code, LN_ERROR_IO);
  g_error_free (error);
  reader_free (r);
  g_free (path);
}

Test (reader, gzip_trailing_garbage)
{
  char *path = g_build_filename (tmpdir, "garbage.gz", NULL);
  LnReader *r;
  size_t n;
  GError *error;

  gz_write (path, "wb", "a\nb\n", 4);
  append_raw (path, "garbage\n", 8);
  r = open_ok (path);
  expect_str (r, "a", "\n");
  expect_str (r, "b", "\n");
  error = read_until_error (r, &n);
  cr_assert_eq (n, 0, "the garbage is not passed on as a line");
  cr_assert_eq (error->domain, LN_ERROR);
  cr_assert_eq (error->code, LN_ERROR_IO);
  cr_assert_not_null (strstr (error->message, path), "%s", error->message);
  cr_assert_not_null (strstr (error->message, "garbage"), "%s", error->message);
  g_error_free (error);
  reader_free (r);
  g_free (path);
}

Test (reader, gzip_corrupt)
{
  gsize len;
  char *gz = make_gz_bytes ("src.gz", 2000, &len);
  char *path;
  LnReader *r;
  size_t n, i;
  GError *error;

  for (i = 20; i < 60; i++)
    gz[i] ^= 0x55;
  path = write_file ("corrupt.gz", gz, len);
  r = open_ok (path);
  error = read_until_error (r, &n);
  cr_assert_eq (error->domain, LN_ERROR);
  cr_assert_eq (error->code, LN_ERROR_IO);
  cr_assert_not_null (strstr (error->message, path), "%s", error->message);
  g_error_free (error);
  reader_free (r);
  g_free (path);
  g_free (gz);
}

/* --------------------------------------------------- open errors */

Test (reader, nonexistent_file)
{
  char *path = g_build_filename (tmpdir, "no-such-file.log", NULL);
  GError *error = NULL;
  LnReader *r = reader_open (path, &error);

  cr_assert_null (r);
  cr_assert_not_null (error);
  cr_assert_eq (error->domain, LN_ERROR);
  cr_assert_eq (error->code, LN_ERROR_IO);
  cr_assert_not_null (strstr (error->message, path), "\"%s\"", error->message);
  cr_assert_not_null (strstr (error->message, g_strerror (ENOENT)), "\"%s\"", error->message);
  g_error_free (error);
  g_free (path);
}

Test (reader, directory)
{
  GError *error = NULL;
  LnReader *r = reader_open (tmpdir, &error);

  cr_assert_null (r);
  cr_assert_not_null (error);
  cr_assert_eq (error->domain, LN_ERROR);
  cr_assert_eq (error->code, LN_ERROR_IO);
  cr_assert_not_null (strstr (error->message, tmpdir), "\"%s\"", error->message);
  cr_assert_not_null (strstr (error->message, "directory"), "\"%s\"", error->message);
  g_error_free (error);
}

/* The checks of an unreadable file; 0 when they hold, else the number of
 * the one that failed (plain codes: this may run in a forked child). */
static int
check_unreadable (const char *path)
{
  GError *error = NULL;
  LnReader *r = reader_open (path, &error);
  int rc = 0;

  if (r != NULL)
    rc = 1;
  else if (error == NULL || error->domain != LN_ERROR || error->code != LN_ERROR_IO)
    rc = 2;
  else if (strstr (error->message, path) == NULL)
    rc = 3;
  else if (strstr (error->message, g_strerror (EACCES)) == NULL)
    rc = 4;
  reader_free (r);
  g_clear_error (&error);
  return rc;
}

Test (reader, unreadable_file)
{
  char *path = write_file ("secret.log", "x\n", 2);
  int fd, status = 0;
  pid_t pid;

  cr_assert_eq (g_chmod (path, 0), 0);
  fd = open (path, O_RDONLY);
  if (fd < 0)
    {
      cr_assert_eq (check_unreadable (path), 0);
      g_free (path);
      return;
    }
  close (fd);
  /* Privileged (root): check it as an unprivileged user in a child. */
  cr_assert_eq (g_chmod (tmpdir, 0755), 0);
  pid = fork ();
  cr_assert_geq (pid, 0);
  if (pid == 0)
    {
      if (setgid (65534) != 0 || setuid (65534) != 0)
        _exit (77);
      fd = open (path, O_RDONLY);
      if (fd >= 0)
        _exit (77);                   /* still readable: cannot test here */
      _exit (check_unreadable (path));
    }
  cr_assert_eq (waitpid (pid, &status, 0), pid);
  cr_assert (WIFEXITED (status));
  if (WEXITSTATUS (status) == 77)
    {
      g_free (path);
      cr_skip ("cannot drop privileges to make a mode-000 file unreadable");
    }
  cr_assert_eq (WEXITSTATUS (status), 0, "check %d failed", WEXITSTATUS (status));
  g_free (path);
}

Test (reader, standard_input_name)
{
  GError *error = NULL;
  LnReader *r = reader_open ("-", &error);

  cr_assert_not_null (r);
  cr_assert_str_eq (reader_name (r), "(standard input)");
  reader_free (r);      /* must not close fd 0 */
  cr_assert (fcntl (STDIN_FILENO, F_GETFD) != -1 || errno != EBADF, "stdin was closed");
}

/* ---------------------------------------------------------- pipes */

/* The pipe tests run twice: read ahead by a pump thread (the default on
 * a machine with two CPUs) and read by the reader itself. */
static void
read_ahead (gboolean enable)
{
  if (enable)
    g_unsetenv ("LOGNYM_NO_READ_AHEAD");
  else
    g_setenv ("LOGNYM_NO_READ_AHEAD", "1", TRUE);
}

/* After the first line: whether a pump reads @r as read_ahead() said. */
static void
expect_read_ahead (LnReader *r, gboolean enable)
{
  cr_assert_eq (reader_read_ahead (r), enable && g_get_num_processors () > 1,
                "read ahead: %d, asked for %d", reader_read_ahead (r), enable);
}

Test (reader, pipe_with_long_lines)
{
  const size_t big = 3 * 1024 * 1024;
  char *a = pattern (big, 6);
  GString *data = g_string_new ("p1\r\n");
  int i, ahead;

  g_string_append_len (data, a, (gssize) big);
  g_string_append_c (data, '\n');
  for (i = 0; i < 1000; i++)
    g_string_append_printf (data, "short %d\n", i);
  g_string_append (data, "end");
  for (ahead = 0; ahead <= 1; ahead++)
    {
      Feeder f;
      LnReader *r;
      uint64_t dev, ino;

      read_ahead (ahead);
      feeder_start (&f, data->str, data->len, 100000);
      r = reader_new_fd (f.fds[0], "my pipe");
      cr_assert_str_eq (reader_name (r), "my pipe");
      cr_assert (!reader_stat (r, &dev, &ino), "a pipe is not a regular file");
      expect_str (r, "p1", "\r\n");
      expect_line (r, a, big, "\n");
      expect_read_ahead (r, ahead);
      for (i = 0; i < 1000; i++)
        {
          char *expected = g_strdup_printf ("short %d", i);
          expect_str (r, expected, "\n");
          g_free (expected);
        }
      expect_str (r, "end", "");
      cr_assert_eq (reader_line_number (r), 1003);
      cr_assert_eq (reader_bytes (r), data->len);
      expect_eof (r);
      feeder_join (&f);
      reader_free (r);
      /* reader_new_fd does not close the descriptor */
      cr_assert_eq (close (f.fds[0]), 0);
    }
  read_ahead (TRUE);
  g_string_free (data, TRUE);
  g_free (a);
}

/* A line cut by a block's end is copied before the next block's data when
 * it fits the pump's headroom (16 KiB), and gathered in the reader's own
 * buffer when it does not: lines of every length around that bound, in
 * uneven writes, with and without the pump. */
static size_t
line_length (guint i)
{
  return i < 160 ? 16 * 1024 - 80 + i : 20 * 1024 + (i - 160) * 1024;
}

Test (reader, pipe_lines_around_the_read_ahead_headroom)
{
  GString *data = g_string_new (NULL);
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  guint i;
  int ahead;

  /* then lines of 20 to 80 KiB: most cuts in them leave more than the
   * headroom, some in a pump's block, some in the own buffer */
  for (i = 0; i < 220; i++)
    {
      size_t len = line_length (i);
      char *line = pattern (len, i);

      /* no newline inside: pattern() writes letters only */
      g_string_append_len (data, line, (gssize) len);
      g_string_append (data, i % 2 ? "\r\n" : "\n");
      g_ptr_array_add (lines, line);
      /* short lines between them move the cut to every offset */
      {
        char *blank = g_strnfill (i * 37 % 500, ' ');

        g_string_append (data, blank);
        g_string_append_c (data, '\n');
        g_free (blank);
      }
    }
  for (ahead = 0; ahead <= 1; ahead++)
    {
      Feeder f;
      LnReader *r;

      read_ahead (ahead);
      feeder_start (&f, data->str, data->len, 100000);
      r = reader_new_fd (f.fds[0], "headroom pipe");
      for (i = 0; i < lines->len; i++)
        {
          char *blank = g_strnfill (i * 37 % 500, ' ');

          expect_line (r, g_ptr_array_index (lines, i), line_length (i), i % 2 ? "\r\n" : "\n");
          expect_str (r, blank, "\n");
          g_free (blank);
        }
      expect_read_ahead (r, ahead);
      expect_eof (r);
      cr_assert_eq (reader_bytes (r), data->len);
      feeder_join (&f);
      reader_free (r);
      close (f.fds[0]);
    }
  read_ahead (TRUE);
  g_ptr_array_unref (lines);
  g_string_free (data, TRUE);
}

Test (reader, gzip_through_a_pipe)
{
  gsize len;
  char *gz = make_gz_bytes ("src.gz", 30000, &len);
  Feeder f;
  LnReader *r;
  size_t n = 0;
  LnSpan line, e;
  GError *error = NULL;
  int rc;

  feeder_start (&f, gz, len, 100000);
  r = reader_new_fd (f.fds[0], "(standard input)");
  while ((rc = reader_next (r, &line, &e, &error)) == 1)
    {
      cr_assert (line.len >= 20 && line.len <= 30, "line %zu: %zu bytes", n, line.len);
      assert_span_str (e, "\n");
      n++;
    }
  cr_assert_eq (rc, 0, "%s", error ? error->message : "");
  cr_assert_eq (n, 30000);
  feeder_join (&f);
  reader_free (r);
  close (f.fds[0]);
  g_free (gz);
}

typedef struct {
  int fd;            /* write end, closed after the first call */
  int calls;
  gboolean fail;
} IdleState;

static gboolean
on_idle (void *data, GError **error)
{
  IdleState *s = data;

  s->calls++;
  if (s->fail)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_OUTPUT, "flush failed");
      return FALSE;
    }
  if (s->fd >= 0)
    {
      cr_assert_eq (write (s->fd, "b\n", 2), 2);
      close (s->fd);
      s->fd = -1;
    }
  return TRUE;
}

Test (reader, idle_func_before_blocking)
{
  int fds[2];
  IdleState s = { -1, 0, FALSE };
  LnReader *r;

  cr_assert_eq (pipe (fds), 0);
  cr_assert_eq (write (fds[1], "a\n", 2), 2);
  s.fd = fds[1];
  r = reader_new_fd (fds[0], "pipe");
  reader_set_idle_func (r, on_idle, &s);
  expect_str (r, "a", "\n");
  cr_assert_eq (s.calls, 0, "data was ready: no idle call");
  /* nothing is buffered now: the reader calls back before it blocks, and
   * the callback provides the next line */
  expect_str (r, "b", "\n");
  cr_assert_eq (s.calls, 1);
  expect_eof (r);
  reader_free (r);
  close (fds[0]);
}

Test (reader, idle_func_error_stops_reading)
{
  int fds[2];
  IdleState s = { -1, 0, TRUE };
  LnReader *r;
  LnSpan line, e;
  GError *error = NULL;

  cr_assert_eq (pipe (fds), 0);
  cr_assert_eq (write (fds[1], "a\n", 2), 2);
  r = reader_new_fd (fds[0], "pipe");
  reader_set_idle_func (r, on_idle, &s);
  expect_str (r, "a", "\n");
  cr_assert_eq (reader_next (r, &line, &e, &error), -1);
  cr_assert_not_null (error);
  cr_assert_eq (error->code, LN_ERROR_OUTPUT);
  cr_assert_str_eq (error->message, "flush failed");
  g_error_free (error);
  reader_free (r);
  close (fds[0]);
  close (fds[1]);
}

/* ------------------------------------------------ blocks (for --jobs) */

/* Reads @path in blocks of about @want bytes; checks that every block but
 * the last ends in a newline and that each is at least @want bytes or ends
 * where the next read would have to wait; returns the concatenation. */
static GString *
read_blocks (const char *path, size_t want, size_t *nblocks)
{
  g_autoptr (LnReader) r = open_ok (path);
  GString *all = g_string_new (NULL);
  LnBuf block;
  GError *error = NULL;
  int rc;

  buf_init (&block, 0);
  *nblocks = 0;
  while ((rc = reader_next_block (r, want, &block, &error)) > 0)
    {
      cr_assert_gt (block.len, 0, "an empty block");
      if (block.data[block.len - 1] != '\n')
        {
          /* only the unterminated end of the input */
          LnBuf more;

          buf_init (&more, 0);
          cr_assert_eq (reader_next_block (r, want, &more, &error), 0,
                        "a block not ending in a newline before the end");
          buf_clear (&more);
        }
      g_string_append_len (all, block.data, (gssize) block.len);
      (*nblocks)++;
    }
  cr_assert_eq (rc, 0, "reader_next_block: %s", error ? error->message : "");
  cr_assert_eq (reader_next_block (r, want, &block, &error), 0, "more after the end");
  buf_clear (&block);
  return all;
}

Test (reader, blocks_of_whole_lines)
{
  GString *text = g_string_new (NULL);
  g_autofree char *path = NULL;
  GString *got;
  size_t i, n;

  for (i = 0; i < 20000; i++)
    g_string_append_printf (text, "line %zu %s\n", i, i % 7 ? "" : "with more text");
  path = write_file ("blocks.log", text->str, text->len);
  got = read_blocks (path, 4096, &n);
  cr_assert_eq (got->len, text->len);
  cr_assert (memcmp (got->str, text->str, text->len) == 0, "blocks differ from the file");
  /* the first block is what the gzip sniffing read (up to BLOCK bytes) */
  cr_assert_geq (n, (text->len - BLOCK) / 4200, "%zu blocks of ~4096 bytes for %zu bytes", n,
                 text->len);
  g_string_free (got, TRUE);
  g_string_free (text, TRUE);
}

Test (reader, blocks_long_line_and_no_final_newline)
{
  GString *text = g_string_new ("first\n");
  g_autofree char *long_line = pattern (3 * BLOCK + 17, 5);
  g_autofree char *path = NULL;
  GString *got;
  size_t n;

  g_string_append (text, long_line);
  g_string_append (text, "\r\nsecond\nno final newline\r");
  path = write_file ("long.log", text->str, text->len);
  got = read_blocks (path, 1000, &n);
  cr_assert_eq (got->len, text->len);
  cr_assert (memcmp (got->str, text->str, text->len) == 0);
  g_string_free (got, TRUE);
  g_string_free (text, TRUE);
}

Test (reader, blocks_empty_and_gzip)
{
  g_autofree char *empty = write_file ("empty.log", "", 0);
  g_autofree char *gz = g_build_filename (tmpdir, "b.log.gz", NULL);
  GString *text = g_string_new (NULL);
  GString *got;
  size_t i, n;

  got = read_blocks (empty, 100, &n);
  cr_assert_eq (n, 0);
  cr_assert_eq (got->len, 0);
  g_string_free (got, TRUE);

  for (i = 0; i < 50000; i++)
    g_string_append_printf (text, "192.0.2.%zu - - gz line %zu\n", i % 256, i);
  gz_write (gz, "wb", text->str, text->len / 2);
  gz_write (gz, "ab", text->str + text->len / 2, text->len - text->len / 2);
  got = read_blocks (gz, 65536, &n);
  cr_assert_eq (got->len, text->len);
  cr_assert (memcmp (got->str, text->str, text->len) == 0, "gzip blocks differ");
  cr_assert_gt (n, 10);
  g_string_free (got, TRUE);
  g_string_free (text, TRUE);
}

/* From a pipe, a block is what has arrived, cut at its last newline: a
 * line written in two pieces comes whole in the next block. */
Test (reader, blocks_from_a_pipe)
{
  int fds[2];
  g_autoptr (LnReader) r = NULL;
  LnBuf block;
  GError *error = NULL;

  cr_assert_eq (pipe (fds), 0);
  r = reader_new_fd (fds[0], "pipe");
  buf_init (&block, 0);
  cr_assert_eq (write (fds[1], "one\ntwo\nthr", 11), 11);
  cr_assert_eq (reader_next_block (r, 1 << 20, &block, &error), 1);
  cr_assert_eq (block.len, 8);
  cr_assert (memcmp (block.data, "one\ntwo\n", 8) == 0);
  cr_assert_eq (write (fds[1], "ee\nfour", 7), 7);
  close (fds[1]);
  cr_assert_eq (reader_next_block (r, 1 << 20, &block, &error), 1);
  cr_assert_eq (block.len, 10, "got %zu bytes", block.len);
  cr_assert (memcmp (block.data, "three\nfour", 10) == 0);
  cr_assert_eq (reader_next_block (r, 1 << 20, &block, &error), 0);
  buf_clear (&block);
  close (fds[0]);
}

/* ------------------------------------------------ positional reads */

/* --jobs reads a named regular file by ranges: reader_pread() at any
 * offset, then reader_seek() so that the reader goes on after them. */
Test (reader, positional_file)
{
  const char text[] = "one\ntwo\r\nthree\nno newline";
  g_autofree char *path = write_file ("pos.log", text, sizeof text - 1);
  LnReader *r = open_ok (path);
  GError *error = NULL;
  uint64_t size = 0;
  char got[16];

  cr_assert (reader_positional (r, &size));
  cr_assert_eq (size, sizeof text - 1);
  /* ranges in any order, and past the end only what is there */
  cr_assert_eq (reader_pread (r, got, 5, 4, &error), 5);
  cr_assert (memcmp (got, "two\r\n", 5) == 0);
  cr_assert_eq (reader_pread (r, got, 3, 0, &error), 3);
  cr_assert (memcmp (got, "one", 3) == 0);
  cr_assert_eq (reader_pread (r, got, sizeof got, 15, &error), 10);
  cr_assert (memcmp (got, "no newline", 10) == 0);
  cr_assert_eq (reader_pread (r, got, sizeof got, 100, &error), 0);
  cr_assert_null (error);
  /* nothing of that moved the reader: it goes on where told */
  cr_assert_eq (reader_bytes (r), 0);
  cr_assert (reader_seek (r, 9, &error));
  cr_assert_eq (reader_bytes (r), 9);
  expect_str (r, "three", "\n");
  expect_str (r, "no newline", "");
  expect_eof (r);
  cr_assert_eq (reader_bytes (r), sizeof text - 1);
  reader_free (r);
}

Test (reader, positional_only_before_reading)
{
  g_autofree char *path = write_file ("pos.log", "a\nb\n", 4);
  LnReader *r = open_ok (path);
  uint64_t size;

  expect_str (r, "a", "\n");
  cr_assert_not (reader_positional (r, &size), "read from already");
  reader_free (r);
}

Test (reader, positional_not_for_gzip_or_stdin)
{
  g_autofree char *gz = g_build_filename (tmpdir, "pos.log.1", NULL);
  g_autofree char *plain = write_file ("plain.log", "x\n", 2);
  GError *error = NULL;
  LnReader *r;
  uint64_t size;
  int fd;

  gz_write (gz, "wb", "x\n", 2);
  r = open_ok (gz);
  cr_assert_not (reader_positional (r, &size), "gzip data is read in order");
  expect_str (r, "x", "\n");
  expect_eof (r);
  reader_free (r);
  /* a regular file as standard input: its offset may be shared */
  fd = open (plain, O_RDONLY);
  cr_assert_geq (fd, 0);
  r = reader_new_fd (fd, "(standard input)");
  cr_assert_not (reader_positional (r, &size), "a descriptor is read in order");
  reader_free (r);
  close (fd);
  cr_assert_null (error);
}

/* ------------------------------------------ line ends found per block */

/* Lines of every length from 0 to 300 bytes, so that their ends fall on
 * every offset of a 64-byte search step and of a read block: some end in
 * CRLF, some hold NUL bytes and lone CRs, runs of empty and one-byte lines
 * overflow the line ends one search records, and the last line has no
 * newline but ends in a CR. */
/* Line @len of round @round of every_offset_data(), without its end. */
static char *
every_offset_line (int round, int len)
{
  char *text = pattern ((size_t) len, (unsigned) (round + len));

  if (len > 3 && len % 5 == 0)
    text[len / 2] = '\0';
  if (len > 3 && len % 7 == 0)
    text[1] = '\r';
  return text;
}

static GString *
every_offset_data (void)
{
  GString *data = g_string_new (NULL);
  int round, len, i;

  for (round = 0; round < 24; round++)
    {
      for (len = 0; len <= 300; len++)
        {
          char *text = every_offset_line (round, len);

          g_string_append_len (data, text, len);
          g_string_append (data, (len + round) % 3 == 0 ? "\r\n" : "\n");
          g_free (text);
        }
      for (i = 0; i < 700 + round; i++)
        g_string_append (data, i % 3 == 0 ? "\n" : i % 3 == 1 ? "x\n" : "\r\n");
    }
  g_string_append (data, "tail\r");
  return data;
}

/* Reads @r to its end and checks every line against every_offset_data(). */
static void
expect_every_offset (LnReader *r)
{
  int round, len, i;

  for (round = 0; round < 24; round++)
    {
      for (len = 0; len <= 300; len++)
        {
          char *text = every_offset_line (round, len);

          expect_line (r, text, (size_t) len, (len + round) % 3 == 0 ? "\r\n" : "\n");
          g_free (text);
        }
      for (i = 0; i < 700 + round; i++)
        expect_str (r, i % 3 == 1 ? "x" : "", i % 3 == 2 ? "\r\n" : "\n");
    }
  expect_str (r, "tail", "\r");
  expect_eof (r);
}

Test (reader, line_ends_at_every_offset_of_a_file)
{
  GString *data = every_offset_data ();
  char *path = write_file ("offsets.log", data->str, data->len);
  int vector;

  cr_assert_gt (data->len, 3 * BLOCK);
  for (vector = 0; vector <= 1; vector++)
    {
      LnReader *r = open_ok (path);

      reader_set_vector_search (r, vector);
      expect_every_offset (r);
      reader_free (r);
    }
  g_string_free (data, TRUE);
  g_free (path);
}

Test (reader, line_ends_at_every_offset_of_a_pipe)
{
  GString *data = every_offset_data ();
  int vector;

  for (vector = 0; vector <= 3; vector++)
    {
      Feeder f;
      LnReader *r;

      /* uneven writes: lines and CRLFs split between reads; with and
       * without vectors, with and without the pump */
      read_ahead (vector < 2);
      feeder_start (&f, data->str, data->len, 100000);
      r = reader_new_fd (f.fds[0], "offsets pipe");
      reader_set_vector_search (r, vector % 2);
      expect_every_offset (r);
      feeder_join (&f);
      reader_free (r);
      close (f.fds[0]);
    }
  read_ahead (TRUE);
  g_string_free (data, TRUE);
}

Test (reader, line_ends_of_long_lines_without_vectors)
{
  /* a line longer than the buffer grows it while a search is under way */
  const size_t big = 2 * BLOCK + 37;
  char *a = pattern (big, 9);
  GString *data = g_string_new ("first\n");
  char *path;
  int vector;

  g_string_append_len (data, a, (gssize) big);
  g_string_append (data, "\r\nlast");
  path = write_file ("long2.log", data->str, data->len);
  for (vector = 0; vector <= 1; vector++)
    {
      LnReader *r = open_ok (path);

      reader_set_vector_search (r, vector);
      expect_str (r, "first", "\n");
      expect_line (r, a, big, "\r\n");
      expect_str (r, "last", "");
      expect_eof (r);
      reader_free (r);
    }
  g_string_free (data, TRUE);
  g_free (a);
  g_free (path);
}

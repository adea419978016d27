/* test_shred.c - --shred-original: hold the original, overwrite it only
 * once it has no name, refuse hard links. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "shred.h"

/* ---------------------------------------------------------- fixture */

static char *tmpdir;

static void
setup (void)
{
  GError *error = NULL;

  tmpdir = g_dir_make_tmp ("lognym-shred-XXXXXX", &error);
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
          g_remove (path);
          g_free (path);
        }
      g_dir_close (dir);
    }
  g_rmdir (tmpdir);
  g_free (tmpdir);
  tmpdir = NULL;
}

TestSuite (shred, .init = setup, .fini = teardown);

/* A file of @len bytes of log-like text (no zero byte in it). */
static char *
make_file (const char *name, size_t len)
{
  char *path = g_build_filename (tmpdir, name, NULL);
  char *data = g_malloc (len);
  GError *error = NULL;
  size_t i;

  for (i = 0; i < len; i++)
    data[i] = "192.0.2.1 - - GET /\n"[i % 20];
  cr_assert (g_file_set_contents (path, data, (gssize) len, &error), "%s",
             error ? error->message : "");
  g_free (data);
  return path;
}

/* Reads all of @fd from offset 0; TRUE when it is @len zero bytes. */
static gboolean
all_zero (int fd, size_t len)
{
  char buf[65536];
  size_t total = 0;
  ssize_t n;

  while ((n = pread (fd, buf, sizeof buf, (off_t) total)) > 0)
    {
      ssize_t i;

      for (i = 0; i < n; i++)
        if (buf[i] != 0)
          return FALSE;
      total += (size_t) n;
    }
  return n == 0 && total == len;
}

static gboolean
unchanged (const char *path, size_t len)
{
  char *data = NULL;
  gsize got = 0;
  gboolean ok = g_file_get_contents (path, &data, &got, NULL) && got == len;
  size_t i;

  for (i = 0; ok && i < len; i++)
    ok = data[i] == "192.0.2.1 - - GET /\n"[i % 20];
  g_free (data);
  return ok;
}

/* ---------------------------------------------------------- tests */

Test (shred, overwrites_the_whole_nameless_inode)
{
  /* more than one 1 MiB block, and not a multiple of it */
  size_t len = 3 * 1024 * 1024 + 17;
  char *path = make_file ("a.log", len);
  GError *error = NULL;
  struct stat st;
  int fd, witness;

  cr_assert_eq (stat (path, &st), 0);
  witness = open (path, O_RDONLY);
  cr_assert_geq (witness, 0);
  fd = shred_hold (path, "a.log", &st, &error);
  cr_assert_geq (fd, 0, "%s", error ? error->message : "");
  /* what the rename does to the original */
  cr_assert_eq (unlink (path), 0);
  cr_assert (shred_release (fd, "a.log", &error), "%s", error ? error->message : "");
  cr_assert (all_zero (witness, len), "the old inode still holds data");
  close (witness);
  g_free (path);
}

Test (shred, empty_file)
{
  char *path = g_build_filename (tmpdir, "empty.log", NULL);
  GError *error = NULL;
  struct stat st;
  int fd;

  cr_assert (g_file_set_contents (path, "", 0, NULL));
  cr_assert_eq (stat (path, &st), 0);
  fd = shred_hold (path, "empty.log", &st, &error);
  cr_assert_geq (fd, 0);
  cr_assert_eq (unlink (path), 0);
  cr_assert (shred_release (fd, "empty.log", &error));
  g_free (path);
}

Test (shred, refuses_other_hard_links)
{
  char *path = make_file ("b.log", 1000);
  char *other = g_build_filename (tmpdir, "b.other", NULL);
  GError *error = NULL;
  struct stat st;

  cr_assert_eq (link (path, other), 0);
  cr_assert_eq (stat (path, &st), 0);
  cr_assert_eq (shred_hold (path, "b.log", &st, &error), -1);
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_IO));
  cr_assert_not_null (strstr (error->message, "b.log: "), "%s", error->message);
  cr_assert_not_null (strstr (error->message, "hard links"), "%s", error->message);
  cr_assert (unchanged (path, 1000));
  cr_assert (unchanged (other, 1000));
  g_error_free (error);
  g_free (other);
  g_free (path);
}

Test (shred, refuses_a_file_linked_after_the_first_look)
{
  char *path = make_file ("c.log", 1000);
  char *other = g_build_filename (tmpdir, "c.other", NULL);
  GError *error = NULL;
  struct stat st;

  cr_assert_eq (stat (path, &st), 0);
  cr_assert_eq (link (path, other), 0);
  cr_assert_eq (shred_hold (path, "c.log", &st, &error), -1);
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_IO));
  cr_assert (unchanged (path, 1000));
  g_error_free (error);
  g_free (other);
  g_free (path);
}

Test (shred, refuses_a_name_that_moved_to_another_file)
{
  char *path = make_file ("d.log", 1000);
  char *before = make_file ("d.before", 10);
  GError *error = NULL;
  struct stat st;

  cr_assert_eq (stat (before, &st), 0);
  cr_assert_eq (shred_hold (path, "d.log", &st, &error), -1);
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_IO));
  cr_assert (unchanged (path, 1000));
  g_error_free (error);
  g_free (before);
  g_free (path);
}

Test (shred, leaves_an_inode_that_still_has_a_name)
{
  char *path = make_file ("e.log", 5000);
  char *other = g_build_filename (tmpdir, "e.again", NULL);
  GError *error = NULL;
  struct stat st;
  int fd;

  cr_assert_eq (stat (path, &st), 0);
  fd = shred_hold (path, "e.log", &st, &error);
  cr_assert_geq (fd, 0);
  /* renamed away, but linked again before the overwrite */
  cr_assert_eq (link (path, other), 0);
  cr_assert_eq (unlink (path), 0);
  cr_assert_not (shred_release (fd, "e.log", &error));
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_IO));
  cr_assert (unchanged (other, 5000), "a file with a name was overwritten");
  g_error_free (error);
  g_free (other);
  g_free (path);
}

Test (shred, needs_write_permission_before_anything)
{
  char *path = make_file ("f.log", 100);
  GError *error = NULL;
  struct stat st;

  if (geteuid () == 0)
    cr_skip_test ("root may write to any file");
  cr_assert_eq (chmod (path, 0444), 0);
  cr_assert_eq (stat (path, &st), 0);
  cr_assert_eq (shred_hold (path, "f.log", &st, &error), -1);
  cr_assert_not_null (strstr (error->message, "Permission denied"), "%s", error->message);
  cr_assert (unchanged (path, 100));
  g_error_free (error);
  g_free (path);
}

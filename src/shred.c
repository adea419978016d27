/* shred.c - overwrite the replaced original (see shred.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "i18n.h"
#include "shred.h"

/* 1 MiB: few system calls even for a large log, little memory. */
#define SHRED_BLOCK (1024 * 1024)

int
shred_hold (const char *path, const char *name, const struct stat *st, GError **error)
{
  struct stat now;
  int fd;

  if (st->st_nlink > 1)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_IO,
                   _("%s: not rewritten: --shred-original would destroy the data of "
                     "its other hard links"), name);
      return -1;
    }
  do
    fd = open (path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    {
      int err = errno;
      g_set_error (error, LN_ERROR, LN_ERROR_IO,
                   _("%s: not rewritten: cannot open it to overwrite it later: %s"),
                   name, g_strerror (err));
      return -1;
    }
  /* the name may have moved to another file since the first look */
  if (fstat (fd, &now) != 0 || !S_ISREG (now.st_mode) || now.st_dev != st->st_dev
      || now.st_ino != st->st_ino || now.st_nlink > 1)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_IO,
                   _("%s: not rewritten: it changed while it was being opened"), name);
      close (fd);
      return -1;
    }
  return fd;
}

gboolean
shred_release (int fd, const char *name, GError **error)
{
  g_autofree char *zeros = NULL;
  struct stat st;
  off_t done = 0;
  int err = 0;

  if (fstat (fd, &st) != 0)
    err = errno;
  else if (st.st_nlink != 0)
    {
      /* someone linked it again after our rename: it is data again */
      g_set_error (error, LN_ERROR, LN_ERROR_IO,
                   _("%s: rewritten, but the original was not overwritten: it has "
                     "a name again"), name);
      close (fd);
      return FALSE;
    }
  if (err == 0)
    {
      zeros = g_malloc0 (SHRED_BLOCK);
      while (done < st.st_size)
        {
          size_t len = (size_t) MIN ((off_t) SHRED_BLOCK, st.st_size - done);
          ssize_t n = pwrite (fd, zeros, len, done);

          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            {
              err = n < 0 ? errno : EIO;
              break;
            }
          done += n;
        }
    }
  if (err == 0 && fdatasync (fd) != 0)
    err = errno;
  if (close (fd) != 0 && err == 0 && errno != EINTR)
    err = errno;
  if (err != 0)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_IO,
                   _("%s: rewritten, but the original could not be overwritten: %s"),
                   name, g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

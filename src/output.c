/* output.c - buffered writer (see output.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "errors.h"
#include "i18n.h"
#include "output.h"

/* @mode: see output_open_mode. */
static int
open_append (const char *path, int mode)
{
  mode_t mask = 0;
  int fd;

  /* --mode is the mode the user wants, whatever the umask (systemd's
   * UMask=, a cron job's); the program has one thread, so setting the
   * umask around open(2) affects nothing else */
  if (mode >= 0)
    mask = umask (0);
  do
    fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY,
               mode >= 0 ? (mode_t) mode : 0640);
  while (fd < 0 && errno == EINTR);
  if (mode >= 0)
    umask (mask);
  return fd;
}

gboolean
output_is_pattern (const char *path)
{
  return path && strchr (path, '%') != NULL;
}

LnOutput *
output_open (const char *path, GError **error)
{
  return output_open_mode (path, -1, error);
}

LnOutput *
output_open_mode (const char *path, int mode, GError **error)
{
  LnOutput *out;
  int fd;

  if (output_is_pattern (path))
    {
      /* the file is chosen by the first record */
      out = g_new0 (LnOutput, 1);
      out->fd = -1;
      out->pattern = g_strdup (path);
      out->pattern_minute = G_MININT64;
      out->create_mode = mode;
      out->name = g_strdup (path);
      buf_init (&out->buf, LN_OUTPUT_BLOCK + 64 * 1024);
      return out;
    }

  if (path == NULL || strcmp (path, "-") == 0)
    {
      fd = STDOUT_FILENO;
      path = NULL;
    }
  else
    {
      fd = open_append (path, mode);
      if (fd < 0)
        {
          int err = errno;
          g_set_error (error, LN_ERROR, LN_ERROR_OUTPUT, _("%s: cannot open for writing: %s"),
                       path, g_strerror (err));
          return NULL;
        }
    }
#ifdef F_SETPIPE_SZ
  {
    struct stat st;

    /* into a pipe (lognym | gzip): room for a whole flush, so that one
     * write(2) does not wake the reader four times with the default
     * 64 KiB; the kernel's pipe-max-size may refuse, and then nothing
     * changes.  Not for -o FIFO: that one's reader sized it. */
    if (path == NULL && fstat (fd, &st) == 0 && S_ISFIFO (st.st_mode))
      (void) fcntl (fd, F_SETPIPE_SZ, LN_OUTPUT_BLOCK);
  }
#endif
  out = g_new0 (LnOutput, 1);
  out->fd = fd;
  out->create_mode = mode;
  out->close_fd = path != NULL;
  out->name = g_strdup (path ? path : _("(standard output)"));
  out->path = g_strdup (path);
  buf_init (&out->buf, LN_OUTPUT_BLOCK + 64 * 1024);
  return out;
}

#define ZBUF (256 * 1024)

LnOutput *
output_new_fd (int fd, const char *name, gboolean gzip)
{
  LnOutput *out = g_new0 (LnOutput, 1);

  out->fd = fd;
  out->close_fd = TRUE;
  out->create_mode = -1;
  out->name = g_strdup (name);
  buf_init (&out->buf, LN_OUTPUT_BLOCK + 64 * 1024);
  if (gzip)
    {
      out->gzip = TRUE;
      out->zbuf = g_malloc (ZBUF);
      /* 15 + 16: a gzip header and trailer around the deflate stream */
      out->z_open = deflateInit2 (&out->zs, 6, Z_DEFLATED, 15 + 16, 8,
                                  Z_DEFAULT_STRATEGY) == Z_OK;
    }
  return out;
}

static gboolean
write_all (LnOutput *out, const char *p, size_t left, GError **error)
{
  while (left > 0)
    {
      ssize_t n = write (out->fd, p, left);

      if (n < 0)
        {
          int err = errno;

          if (err == EINTR)
            continue;
          out->failed = TRUE;
          if (err == EPIPE)
            g_set_error (error, LN_ERROR, LN_ERROR_BROKEN_PIPE, _("%s: broken pipe"), out->name);
          else
            g_set_error (error, LN_ERROR, LN_ERROR_OUTPUT, _("%s: write error: %s"),
                         out->name, g_strerror (err));
          return FALSE;
        }
      p += n;
      left -= (size_t) n;
    }
  return TRUE;
}

/* Deflates @len bytes (flush mode @mode) and writes the result. */
static gboolean
write_gzip (LnOutput *out, const char *p, size_t len, int mode, GError **error)
{
  if (!out->z_open)
    {
      out->failed = TRUE;
      g_set_error (error, LN_ERROR, LN_ERROR_OUTPUT, _("%s: cannot compress"), out->name);
      return FALSE;
    }
  out->zs.next_in = (unsigned char *) (void *) p;
  out->zs.avail_in = (uInt) len;
  do
    {
      int ret;

      out->zs.next_out = out->zbuf;
      out->zs.avail_out = ZBUF;
      ret = deflate (&out->zs, mode);
      if (ret == Z_STREAM_ERROR)
        {
          out->failed = TRUE;
          g_set_error (error, LN_ERROR, LN_ERROR_OUTPUT, _("%s: cannot compress"), out->name);
          return FALSE;
        }
      if (!write_all (out, (const char *) out->zbuf, ZBUF - out->zs.avail_out, error))
        return FALSE;
    }
  while (out->zs.avail_out == 0 || (mode == Z_FINISH && out->zs.avail_in > 0));
  return TRUE;
}

gboolean
output_sync (LnOutput *out, GError **error)
{
  if (!output_flush (out, error))
    return FALSE;
  if (out->gzip)
    {
      if (!write_gzip (out, "", 0, Z_FINISH, error))
        return FALSE;
      deflateEnd (&out->zs);
      out->z_open = FALSE;
    }
  if (fsync (out->fd) != 0)
    {
      int err = errno;
      out->failed = TRUE;
      g_set_error (error, LN_ERROR, LN_ERROR_OUTPUT, _("%s: write error: %s"),
                   out->name, g_strerror (err));
      return FALSE;
    }
  return TRUE;
}

gboolean
output_flush (LnOutput *out, GError **error)
{
  const char *p = out->buf.data;
  size_t left = out->buf.len;

  if (out->failed)
    {
      buf_reset (&out->buf);
      g_set_error (error, LN_ERROR, LN_ERROR_OUTPUT, _("%s: earlier write error"), out->name);
      return FALSE;
    }
  if (left == 0)
    return TRUE;
  if (out->gzip ? !write_gzip (out, p, left, Z_NO_FLUSH, error)
                : !write_all (out, p, left, error))
    {
      buf_reset (&out->buf);
      return FALSE;
    }
  buf_reset (&out->buf);
  return TRUE;
}

gboolean
output_write_direct (LnOutput *out, const char *data, size_t len, GError **error)
{
  if (!output_flush (out, error))
    return FALSE;
  if (len == 0)
    return TRUE;
  return out->gzip ? write_gzip (out, data, len, Z_NO_FLUSH, error)
                   : write_all (out, data, len, error);
}

gboolean
output_select (LnOutput *out, int64_t epoch, int32_t offset, GError **error)
{
  int64_t minute = (epoch + offset) / 60;
  char name[4096];
  time_t local;
  struct tm tm;
  int fd;

  if (out->pattern == NULL || (minute == out->pattern_minute && out->fd >= 0))
    return TRUE;
  out->pattern_minute = minute;
  /* the record's own wall-clock time, as the server wrote it */
  local = (time_t) (epoch + offset);
  /* the pattern is the user's -o argument: a format by design */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  if (gmtime_r (&local, &tm) == NULL || strftime (name, sizeof name, out->pattern, &tm) == 0)
#pragma GCC diagnostic pop
    {
      out->failed = TRUE;
      g_set_error (error, LN_ERROR, LN_ERROR_OUTPUT, _("%s: cannot make a file name"),
                   out->pattern);
      return FALSE;
    }
  if (out->path && strcmp (out->path, name) == 0)
    return TRUE;
  if (out->fd >= 0)
    {
      if (!output_flush (out, error))
        return FALSE;
      close (out->fd);
      out->fd = -1;
    }
  {
    g_autofree char *dir = g_path_get_dirname (name);

    if (g_mkdir_with_parents (dir, 0750) != 0)
      {
        int err = errno;
        out->failed = TRUE;
        g_set_error (error, LN_ERROR, LN_ERROR_OUTPUT, _("%s: cannot create directory: %s"),
                     dir, g_strerror (err));
        return FALSE;
      }
  }
  fd = open_append (name, out->create_mode);
  if (fd < 0)
    {
      int err = errno;
      out->failed = TRUE;
      g_set_error (error, LN_ERROR, LN_ERROR_OUTPUT, _("%s: cannot open for writing: %s"),
                   name, g_strerror (err));
      return FALSE;
    }
  out->fd = fd;
  out->close_fd = TRUE;
  g_free (out->path);
  out->path = g_strdup (name);
  g_free (out->name);
  out->name = g_strdup (name);
  return TRUE;
}

gboolean
output_reopen (LnOutput *out, GError **error)
{
  int fd;

  if (out->path == NULL || out->failed)
    return TRUE;
  if (!output_flush (out, error))
    return FALSE;
  fd = open_append (out->path, out->create_mode);
  if (fd < 0)
    {
      int err = errno;
      out->failed = TRUE;
      g_set_error (error, LN_ERROR, LN_ERROR_OUTPUT, _("%s: cannot open for writing: %s"),
                   out->path, g_strerror (err));
      return FALSE;
    }
  close (out->fd);
  out->fd = fd;
  return TRUE;
}

gboolean
output_has_data (const LnOutput *out)
{
  struct stat st;

  return fstat (out->fd, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > 0;
}

gboolean
output_stat (const LnOutput *out, uint64_t *dev, uint64_t *ino)
{
  struct stat st;

  if (fstat (out->fd, &st) != 0 || !S_ISREG (st.st_mode))
    return FALSE;
  *dev = (uint64_t) st.st_dev;
  *ino = (uint64_t) st.st_ino;
  return TRUE;
}

gboolean
output_close (LnOutput *out, GError **error)
{
  if (!output_flush (out, error))
    return FALSE;
  if (out->close_fd)
    {
      int fd = out->fd;

      out->close_fd = FALSE;
      if (close (fd) != 0 && errno != EINTR)
        {
          int err = errno;
          out->failed = TRUE;
          g_set_error (error, LN_ERROR, LN_ERROR_OUTPUT, _("%s: write error: %s"),
                       out->name, g_strerror (err));
          return FALSE;
        }
    }
  return TRUE;
}

void
output_free (LnOutput *out)
{
  if (out == NULL)
    return;
  if (out->close_fd)
    close (out->fd);
  buf_release (&out->buf);        /* output only */
  if (out->z_open)
    deflateEnd (&out->zs);
  g_free (out->zbuf);
  g_free (out->name);
  g_free (out->path);
  g_free (out->pattern);
  g_free (out);
}

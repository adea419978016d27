/* progress.c - the terminal progress line (see progress.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "progress.h"

void
progress_init (LnProgress *p, char **files, int mode)
{
  size_t i;

  memset (p, 0, sizeof *p);
  if (mode < 0 || (mode == 0 && !isatty (STDERR_FILENO)))
    return;
  for (i = 0; files[i]; i++)
    {
      struct stat st;

      if (strcmp (files[i], "-") == 0 || stat (files[i], &st) != 0 || !S_ISREG (st.st_mode))
        {
          if (mode == 0)
            return;           /* unknown size: no percentages to show */
          continue;
        }
      p->total_bytes += (uint64_t) st.st_size;
    }
  p->enabled = TRUE;
  p->started = p->last_draw = g_get_monotonic_time ();
}

static void
human (uint64_t bytes, char *out, size_t size)
{
  g_autofree char *s = g_format_size (bytes);

  g_strlcpy (out, s, size);
}

void
progress_update (LnProgress *p, uint64_t file_bytes, uint64_t lines)
{
  gint64 now;
  double seconds, rate, fraction;
  uint64_t done;
  char have[32], total[32];

  if (!p->enabled)
    return;
  now = g_get_monotonic_time ();
  if (now - p->last_draw < G_USEC_PER_SEC / 4)
    return;
  p->last_draw = now;
  seconds = (double) (now - p->started) / G_USEC_PER_SEC;
  done = p->done_bytes + file_bytes;
  rate = seconds > 0 ? (double) lines / seconds : 0;
  human (done, have, sizeof have);
  if (p->total_bytes > 0)
    {
      int eta;

      fraction = MIN (1.0, (double) done / (double) p->total_bytes);
      eta = fraction > 0 ? (int) (seconds / fraction - seconds) : 0;
      human (p->total_bytes, total, sizeof total);
      /* Translators: percent, bytes done, bytes in all, lines per second,
       * minutes and seconds left */
      fputc ('\r', stderr);
      fprintf (stderr, _("lognym: %3.0f%%  %s of %s  %.0f lines/s  %d:%02d left "),
               fraction * 100, have, total, rate, eta / 60, eta % 60);
    }
  else
    {
      fputc ('\r', stderr);
      fprintf (stderr, _("lognym: %s  %.0f lines/s "), have, rate);
    }
  fprintf (stderr, "\033[K");
  fflush (stderr);
  p->drawn = TRUE;
}

void
progress_file_done (LnProgress *p, uint64_t file_bytes)
{
  p->done_bytes += file_bytes;
}

void
progress_finish (LnProgress *p)
{
  if (p->enabled && p->drawn)
    {
      fprintf (stderr, "\r\033[K");
      fflush (stderr);
    }
  p->drawn = FALSE;
}

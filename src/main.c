/* main.c - lognym entry point: options, the run, the exit status.
 *
 * All logic lives in the library; this file only wires it together and maps
 * the outcome to an exit status (see lognym(1), EXIT STATUS).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "errors.h"
#include "i18n.h"
#include "key.h"
#include "output.h"
#include "pipeline.h"
#include "reader.h"
#include "privdrop.h"
#include "secmem.h"
#include "shred.h"
#include "signals.h"

static void
print_error (const GError *error)
{
  g_printerr ("lognym: %s\n", error->message);
}

/* Refuses to append to a file that is also an input: it would read its own
 * output forever or corrupt the original.  Checked for every input before
 * anything is written. */
static gboolean
check_inputs_not_output (const LnOptions *options, LnOutput *output, GError **error)
{
  uint64_t odev, oino;
  size_t i;

  if (!output_stat (output, &odev, &oino))
    return TRUE;
  for (i = 0; options->files[i]; i++)
    {
      const char *path = options->files[i];
      struct stat st;
      int r = strcmp (path, "-") == 0 ? fstat (STDIN_FILENO, &st) : stat (path, &st);

      if (r == 0 && S_ISREG (st.st_mode) && (uint64_t) st.st_dev == odev
          && (uint64_t) st.st_ino == oino)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_USAGE,
                       _("%s: input file is also the output file"),
                       strcmp (path, "-") == 0 ? _("(standard input)") : path);
          return FALSE;
        }
    }
  return TRUE;
}

/* A closed standard descriptor would be handed to the first file we open,
 * and our output would go into an input.  Occupy it with a descriptor on
 * which our reads and writes fail loudly instead. */
static void
reserve_std_fds (void)
{
  int fd;

  for (fd = 0; fd <= 2; fd++)
    if (fcntl (fd, F_GETFD) < 0 && errno == EBADF)
      {
        /* fd 1 read-only: writes fail with EBADF, never silently succeed */
        int got = open ("/dev/null", fd == 2 ? O_WRONLY : O_RDONLY);
        if (got >= 0 && got != fd)
          close (got);
      }
}

static void
finish_stats (const LnOptions *options, const LnPipeline *pipeline, int *status)
{
  g_autoptr (GError) error = NULL;

  if (options->stats)
    pipeline_print_stats (pipeline, FALSE);
  if (options->stats_file && !pipeline_write_stats_file (pipeline, options->stats_file, &error))
    {
      print_error (error);
      if (*status == LN_EXIT_OK)
        *status = LN_EXIT_FAILURE;
    }
}

/* Is standard input a pipe?  (Apache's piped loggers read one.) */
static gboolean
stdin_is_pipe (void)
{
  struct stat st;

  return fstat (STDIN_FILENO, &st) == 0 && S_ISFIFO (st.st_mode);
}

/* Rewrites one file atomically: a temporary file in the same directory,
 * fsync, owner/mode/mtime copied, rename over the original, directory
 * fsync.  The original is untouched unless everything succeeded.  With
 * @shred the replaced original is then overwritten (shred.h). */
static gboolean
rewrite_in_place (LnPipeline *pipeline, const char *name, gboolean shred, GError **error)
{
  g_autofree char *real = realpath (name, NULL);
  const char *path = real ? real : name;   /* a symlink: rewrite its target */
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp = NULL;
  g_autoptr (LnReader) reader = NULL;
  g_autoptr (LnOutput) out = NULL;
  unsigned char magic[2] = { 0, 0 };
  struct stat st;
  struct timespec times[2];
  gboolean ok;
  int fd, dfd, held = -1;

  /* look before opening: opening a FIFO would wait for a writer */
  if (stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    {
      int err = errno;
      gboolean exists = access (path, F_OK) == 0;

      g_set_error (error, LN_ERROR, LN_ERROR_IO, _("%s: cannot rewrite in place: %s"),
                   name, exists ? _("not a regular file") : g_strerror (err));
      return FALSE;
    }
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    {
      int err = errno;
      g_set_error (error, LN_ERROR, LN_ERROR_IO, _("%s: cannot rewrite in place: %s"),
                   name, g_strerror (err));
      return FALSE;
    }
  if (read (fd, magic, 2) < 0)
    magic[0] = 0;
  close (fd);
  /* before anything is written: a refusal leaves everything as it was */
  if (shred && (held = shred_hold (path, name, &st, error)) < 0)
    return FALSE;

  /* open(2) follows a symlink to the same file; messages keep the name
   * the user gave */
  reader = reader_open (name, error);
  if (reader == NULL)
    {
      if (held >= 0)
        close (held);
      return FALSE;
    }
  tmp = g_strdup_printf ("%s/.%s.lognym-XXXXXX", dir, base);
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int err = errno;
      g_set_error (error, LN_ERROR, LN_ERROR_IO, _("%s: cannot create a temporary file: %s"),
                   dir, g_strerror (err));
      if (held >= 0)
        close (held);
      return FALSE;
    }
  /* messages name the file the user gave, not the temporary one */
  out = output_new_fd (fd, name, magic[0] == 0x1f && magic[1] == 0x8b);
  pipeline_set_output (pipeline, out);
  times[0] = st.st_atim;
  times[1] = st.st_mtim;
  ok = pipeline_process (pipeline, reader, error);
  if (ok && reader_cut_short (reader))
    {
      g_set_error (error, LN_ERROR, LN_ERROR_IO,
                   _("%s: stopped by a second signal before its end; left unchanged"),
                   name);
      ok = FALSE;
    }
  ok = ok && pipeline_finish (pipeline, error) && output_sync (out, error);
  if (ok && ((fchown (out->fd, st.st_uid, st.st_gid) != 0 && geteuid () == 0)
             || fchmod (out->fd, st.st_mode & 07777) != 0
             || futimens (out->fd, times) != 0))
    {
      int err = errno;
      g_set_error (error, LN_ERROR, LN_ERROR_IO, _("%s: cannot keep owner, mode or time: %s"),
                   path, g_strerror (err));
      ok = FALSE;
    }
  if (ok && !output_close (out, error))
    ok = FALSE;
  if (ok && rename (tmp, path) != 0)
    {
      int err = errno;
      g_set_error (error, LN_ERROR, LN_ERROR_IO, _("%s: cannot replace: %s"), path,
                   g_strerror (err));
      ok = FALSE;
    }
  pipeline_set_output (pipeline, NULL);
  if (!ok)
    {
      unlink (tmp);
      if (held >= 0)
        close (held);
      return FALSE;
    }
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    {
      (void) fsync (dfd);
      close (dfd);
    }
  /* the anonymised file is durable under the name: only now may the raw
   * bytes go */
  if (held >= 0)
    return shred_release (held, name, error);
  return TRUE;
}

static int
run_in_place (const LnOptions *options)
{
  g_autoptr (GError) error = NULL;
  LnPipeline pipeline;
  int status = LN_EXIT_OK;
  size_t i;

  if (!pipeline_init (&pipeline, options, NULL, &error))
    {
      print_error (error);
      return ln_error_exit_status (error);
    }
  if (options->run_as && !privdrop_to (options->run_as, &error))
    {
      print_error (error);
      pipeline_clear (&pipeline);
      return LN_EXIT_FAILURE;
    }
  for (i = 0; options->files[i] && !signals_stop_requested (); i++)
    if (!rewrite_in_place (&pipeline, options->files[i], options->shred_original, &error))
      {
        /* this file stays as it was; the others are still done */
        print_error (error);
        if (status == LN_EXIT_OK || ln_error_exit_status (error) > status)
          status = ln_error_exit_status (error) == LN_EXIT_OK ? LN_EXIT_FAILURE
                                                              : ln_error_exit_status (error);
        g_clear_error (&error);
      }
  finish_stats (options, &pipeline, &status);
  pipeline_clear (&pipeline);
  return status;
}

/* After a stop signal: say so when input may have been left unread. */
static void
report_early_stop (const LnReader *reader, unsigned drain_timeout)
{
  if (reader_drain_expired (reader))
    g_printerr (_("lognym: %s: warning: still open %u s after the signal to "
                  "stop; the rest is not read\n"), reader_name (reader), drain_timeout);
  else if (reader_cut_short (reader) && signals_stop_repeated ())
    g_printerr (_("lognym: %s: warning: stopped by a second signal; the rest is "
                  "not read\n"), reader_name (reader));
}

static int
run (const LnOptions *options)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LnOutput) output = NULL;
  LnPipeline pipeline;
  int status = LN_EXIT_OK;
  gboolean stop = FALSE;
  size_t i;

  output = output_open_mode (options->output, options->create_mode, &error);
  if (output == NULL)
    {
      print_error (error);
      return ln_error_exit_status (error);
    }
  if (!check_inputs_not_output (options, output, &error)
      || !pipeline_init (&pipeline, options, output, &error))
    {
      print_error (error);
      return ln_error_exit_status (error);
    }
  if (options->run_as && !privdrop_to (options->run_as, &error))
    {
      print_error (error);
      pipeline_clear (&pipeline);
      return LN_EXIT_FAILURE;
    }
  /* the shape of an Apache piped logger: root, a pipe in, a file out */
  if (options->run_as == NULL && geteuid () == 0 && stdin_is_pipe () && options->output
      && strcmp (options->files[0], "-") == 0 && options->files[1] == NULL)
    g_printerr (_("lognym: warning: running as root; a piped logger should use "
                  "--run-as USER\n"));

  for (i = 0; options->files[i] && !stop && !signals_stop_requested (); i++)
    {
      g_autoptr (LnReader) reader = reader_open (options->files[i], &error);
      gboolean ok;

      if (reader != NULL)
        reader_set_drain_timeout (reader, options->drain_timeout);
      ok = reader != NULL && pipeline_process (&pipeline, reader, &error);
      if (reader != NULL)
        report_early_stop (reader, options->drain_timeout);

      /* --follow: the FIFO's writer closed it (nginx reload): flush what we
       * have and wait for the next writer */
      while (ok && options->follow && !signals_stop_requested ())
        {
          if (!output_flush (output, &error))
            {
              ok = FALSE;
              break;
            }
          g_clear_pointer (&reader, reader_free);
          reader = reader_open (options->files[i], &error);
          if (reader == NULL && signals_stop_requested ())
            {
              g_clear_error (&error);
              break;
            }
          ok = reader != NULL && pipeline_process (&pipeline, reader, &error);
        }
      if (!ok)
        {
          /* an unreadable input is reported and the batch goes on; the
           * output side and --malformed=fail end the run */
          if (!(error->domain == LN_ERROR && error->code == LN_ERROR_IO))
            stop = TRUE;
          if (!g_error_matches (error, LN_ERROR, LN_ERROR_BROKEN_PIPE))
            print_error (error);
          if (status == LN_EXIT_OK || stop)
            status = ln_error_exit_status (error);
          g_clear_error (&error);
        }
    }
  if (!stop && !pipeline_finish (&pipeline, &error))
    {
      if (!g_error_matches (error, LN_ERROR, LN_ERROR_BROKEN_PIPE))
        print_error (error);
      status = ln_error_exit_status (error);
      g_clear_error (&error);
    }
  if (!output->failed && !output_close (output, &error))
    {
      print_error (error);
      status = ln_error_exit_status (error);
      g_clear_error (&error);
    }
  finish_stats (options, &pipeline, &status);
  pipeline_clear (&pipeline);
  return status;
}

/* lognym keygen [FILE] */
static int
keygen (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  const char *path = argc > 2 ? argv[2] : g_getenv ("LOGNYM_KEY_FILE");

  if (argc > 3 || (argc > 2 && argv[2][0] == '-') || path == NULL || *path == '\0')
    {
      if (argc > 2 && (strcmp (argv[2], "--help") == 0 || strcmp (argv[2], "-h") == 0))
        {
          printf (_("Usage: lognym keygen [FILE]\n"
                    "Writes 32 random bytes as a new key to FILE (default: "
                    "$LOGNYM_KEY_FILE), mode 0600.\nRefuses to overwrite an "
                    "existing file.\n"));
          return LN_EXIT_OK;
        }
      g_printerr (_("Usage: lognym keygen [FILE]\n"));
      return LN_EXIT_USAGE;
    }
  if (!key_generate_file (path, &error))
    {
      print_error (error);
      return ln_error_exit_status (error);
    }
  return LN_EXIT_OK;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LnOptions) options = NULL;
  const char *localedir = g_getenv ("LOGNYM_LOCALEDIR");

  reserve_std_fds ();
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* A closed pipe is an error code from write(2), handled quietly; a file
   * size limit is an error, not a silent kill. */
  signal (SIGPIPE, SIG_IGN);
  signal (SIGXFSZ, SIG_IGN);

  if (argc > 1 && strcmp (argv[1], "keygen") == 0)
    {
      secmem_forbid_core_dumps ();
      return keygen (argc, argv);
    }

  if (argc > 1 && strcmp (argv[1], "merge") == 0)
    options = cli_parse_merge (argc - 1, argv + 1, &error);
  else if (argc > 1 && strcmp (argv[1], "audit") == 0)
    options = cli_parse_audit (argc - 1, argv + 1, &error);
  else
    options = cli_parse (argc, argv, &error);
  if (options == NULL)
    {
      print_error (error);
      g_printerr (_("Try '%s --help' for more information.\n"), "lognym");
      return ln_error_exit_status (error);
    }
  if (options->version)
    {
      cli_print_version ();
      return LN_EXIT_OK;
    }
  if (options->in_place)
    {
      signals_install ();
      if (!options->allow_core_dumps)
        secmem_forbid_core_dumps ();
      return run_in_place (options);
    }
  if (options->audit)
    {
      if (!options->allow_core_dumps)
        secmem_forbid_core_dumps ();
      return audit_run (options);
    }
  signals_install ();
  /* raw lines and keys are in this process's memory: no core files */
  if (!options->allow_core_dumps)
    secmem_forbid_core_dumps ();
  return run (options);
}

/* test_cli.c - command-line parsing and the exit-status contract. */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <stdarg.h>
#include <string.h>

#include "cli.h"
#include "errors.h"
#include "helpers.h"

/* cli_parse over "lognym" plus the NULL-terminated arguments.  GOption
 * removes what it parsed from argv, so the strings are owned by a separate
 * array and freed from there. */
static LnOptions *
run_v (GError **error, const char *first, va_list ap)
{
  GPtrArray *owned = g_ptr_array_new_with_free_func (g_free);
  char **argv;
  const char *arg;
  LnOptions *o;
  guint i;

  g_ptr_array_add (owned, g_strdup ("lognym"));
  for (arg = first; arg; arg = va_arg (ap, const char *))
    g_ptr_array_add (owned, g_strdup (arg));
  argv = g_new0 (char *, owned->len + 1);
  for (i = 0; i < owned->len; i++)
    argv[i] = owned->pdata[i];
  o = cli_parse ((int) owned->len, argv, error);
  g_free (argv);
  g_ptr_array_free (owned, TRUE);
  return o;
}

/* Expects success. */
static LnOptions * G_GNUC_NULL_TERMINATED
ok (const char *first, ...)
{
  GError *error = NULL;
  va_list ap;
  LnOptions *o;

  va_start (ap, first);
  o = run_v (&error, first, ap);
  va_end (ap);
  cr_assert_not_null (o, "cli_parse failed: %s", error ? error->message : "?");
  cr_assert_null (error);
  return o;
}

/* Expects failure with @domain/@code; returns the error (caller frees). */
static GError * G_GNUC_NULL_TERMINATED
fails (GQuark domain, int code, const char *first, ...)
{
  GError *error = NULL;
  va_list ap;
  LnOptions *o;

  va_start (ap, first);
  o = run_v (&error, first, ap);
  va_end (ap);
  cr_assert_null (o, "cli_parse accepted %s ...", first);
  cr_assert_not_null (error);
  cr_assert_eq (error->domain, domain, "domain %s, expected %s: %s",
                g_quark_to_string (error->domain), g_quark_to_string (domain), error->message);
  cr_assert_eq (error->code, code, "code %d, expected %d: %s", error->code, code,
                error->message);
  cr_assert_eq (ln_error_exit_status (error), LN_EXIT_USAGE, "%s", error->message);
  return error;
}

static void
init (void)
{
  /* the environment must not choose a key for these tests */
  g_unsetenv ("LOGNYM_KEY_FILE");
}

TestSuite (cli, .init = init);

static void
expect_files (const LnOptions *o, const char *const *expected, size_t n)
{
  size_t i;

  cr_assert_not_null (o->files);
  for (i = 0; i < n; i++)
    {
      cr_assert_not_null (o->files[i], "only %zu files, expected %zu", i, n);
      cr_assert_str_eq (o->files[i], expected[i]);
    }
  cr_assert_null (o->files[n], "more than %zu files", n);
}

/* -------------------------------------------------------- defaults */

Test (cli, defaults)
{
  static const char *const dash[] = { "-" };
  LnOptions *o = ok (NULL, NULL);

  cr_assert_str_eq (o->format, "auto");
  cr_assert_eq (o->anon.ip_mode, LN_IP_TRUNCATE);
  cr_assert_eq (o->anon.v4_bits, 24);
  cr_assert_eq (o->anon.v6_bits, 48);
  cr_assert_eq (o->anon.user_agent, LN_UA_DROP);
  cr_assert_eq (o->anon.user, LN_USER_DASH);
  cr_assert_eq (o->anon.keep_ident, FALSE);
  cr_assert_eq (o->anon.residual, LN_RESIDUAL_MASK);
  cr_assert_eq (o->anon.expired_truncate, FALSE);
  cr_assert_eq (o->malformed, LN_MALFORMED_DROP);
  cr_assert_null (o->output);
  cr_assert_eq (o->stats, FALSE);
  cr_assert_eq (o->verbose, FALSE);
  cr_assert_eq (o->version, FALSE);
  cr_assert_null (o->key_file);
  cr_assert_null (o->key_dir);
  cr_assert_eq (o->derive, LN_PERIOD_NONE);
  cr_assert_eq (o->allow_core_dumps, FALSE);
  expect_files (o, dash, 1);
  cli_options_free (o);
}

/* ---------------------------------------------------- every option */

Test (cli, every_option_long_form)
{
  static const char *const files[] = { "a.log", "b.log.gz" };
  LnOptions *o = ok ("--format", "combined", "--ip", "drop", "--ipv4-prefix", "16",
                     "--ipv6-prefix", "32", "--user-agent", "keep", "--remote-user", "keep",
                     "--ident", "keep", "--malformed", "redact", "--residual", "off",
                     "--output", "out.log", "--stats", "--verbose", "--allow-core-dumps",
                     "a.log", "b.log.gz", NULL);

  cr_assert_str_eq (o->format, "combined");
  cr_assert_eq (o->anon.ip_mode, LN_IP_DROP);
  cr_assert_eq (o->anon.v4_bits, 16);
  cr_assert_eq (o->anon.v6_bits, 32);
  cr_assert_eq (o->anon.user_agent, LN_UA_KEEP);
  cr_assert_eq (o->anon.user, LN_USER_KEEP);
  cr_assert_eq (o->anon.keep_ident, TRUE);
  cr_assert_eq (o->malformed, LN_MALFORMED_REDACT);
  cr_assert_eq (o->anon.residual, LN_RESIDUAL_OFF);
  cr_assert_str_eq (o->output, "out.log");
  cr_assert_eq (o->stats, TRUE);
  cr_assert_eq (o->verbose, TRUE);
  cr_assert_eq (o->version, FALSE);
  cr_assert_eq (o->allow_core_dumps, TRUE);
  expect_files (o, files, 2);
  cli_options_free (o);
}

Test (cli, every_option_equals_and_short_forms)
{
  static const char *const files[] = { "x.log" };
  LnOptions *o = ok ("-f", "%h %l %u %t \"%r\" %>s %b", "--ip=truncate", "-4", "0", "-6", "128",
                     "--user-agent=drop", "--remote-user=dash", "--ident=dash",
                     "--malformed=fail", "--residual=malformed", "-o", "o.log", "-v",
                     "x.log", NULL);

  cr_assert_str_eq (o->format, "%h %l %u %t \"%r\" %>s %b");
  cr_assert_eq (o->anon.ip_mode, LN_IP_TRUNCATE);
  cr_assert_eq (o->anon.v4_bits, 0);
  cr_assert_eq (o->anon.v6_bits, 128);
  cr_assert_eq (o->anon.user_agent, LN_UA_DROP);
  cr_assert_eq (o->anon.user, LN_USER_DASH);
  cr_assert_eq (o->anon.keep_ident, FALSE);
  cr_assert_eq (o->malformed, LN_MALFORMED_FAIL);
  cr_assert_eq (o->anon.residual, LN_RESIDUAL_MALFORMED);
  cr_assert_str_eq (o->output, "o.log");
  cr_assert_eq (o->verbose, TRUE);
  expect_files (o, files, 1);
  cli_options_free (o);

  o = ok ("--format=vhost_combined", "--ipv4-prefix=32", "--ipv6-prefix=0", "--output=-", NULL);
  cr_assert_str_eq (o->format, "vhost_combined");
  cr_assert_eq (o->anon.v4_bits, 32);
  cr_assert_eq (o->anon.v6_bits, 0);
  cr_assert_str_eq (o->output, "-");
  cli_options_free (o);
}

Test (cli, last_occurrence_wins)
{
  LnOptions *o = ok ("-f", "common", "--format", "combined", "-4", "8", "-4", "20",
                     "--ip", "drop", "--ip", "truncate", "-o", "a", "-o", "b", NULL);

  cr_assert_str_eq (o->format, "combined");
  cr_assert_eq (o->anon.v4_bits, 20);
  cr_assert_eq (o->anon.ip_mode, LN_IP_TRUNCATE);
  cr_assert_str_eq (o->output, "b");
  cli_options_free (o);
}

Test (cli, every_choice_value)
{
  static const struct {
    const char *option, *value;
    size_t offset;      /* of an int-sized field in LnOptions */
    int expected;
  } cases[] = {
    { "--ip", "truncate", G_STRUCT_OFFSET (LnOptions, anon.ip_mode), LN_IP_TRUNCATE },
    { "--ip", "drop", G_STRUCT_OFFSET (LnOptions, anon.ip_mode), LN_IP_DROP },
    { "--user-agent", "drop", G_STRUCT_OFFSET (LnOptions, anon.user_agent), LN_UA_DROP },
    { "--user-agent", "keep", G_STRUCT_OFFSET (LnOptions, anon.user_agent), LN_UA_KEEP },
    { "--user-agent", "family", G_STRUCT_OFFSET (LnOptions, anon.user_agent), LN_UA_FAMILY },
    { "--remote-user", "dash", G_STRUCT_OFFSET (LnOptions, anon.user), LN_USER_DASH },
    { "--remote-user", "keep", G_STRUCT_OFFSET (LnOptions, anon.user), LN_USER_KEEP },
    { "--referer", "origin", G_STRUCT_OFFSET (LnOptions, anon.referer), LN_REFERER_ORIGIN },
    { "--referer", "keep", G_STRUCT_OFFSET (LnOptions, anon.referer), LN_REFERER_KEEP },
    { "--referer", "strip-query", G_STRUCT_OFFSET (LnOptions, anon.referer),
      LN_REFERER_STRIP_QUERY },
    { "--referer", "drop", G_STRUCT_OFFSET (LnOptions, anon.referer), LN_REFERER_DROP },
    { "--server-address", "keep", G_STRUCT_OFFSET (LnOptions, anon.server_address_client), 0 },
    { "--server-address", "client", G_STRUCT_OFFSET (LnOptions, anon.server_address_client), 1 },
    { "--ident", "dash", G_STRUCT_OFFSET (LnOptions, anon.keep_ident), FALSE },
    { "--ident", "keep", G_STRUCT_OFFSET (LnOptions, anon.keep_ident), TRUE },
    { "--malformed", "drop", G_STRUCT_OFFSET (LnOptions, malformed), LN_MALFORMED_DROP },
    { "--malformed", "redact", G_STRUCT_OFFSET (LnOptions, malformed), LN_MALFORMED_REDACT },
    { "--malformed", "fail", G_STRUCT_OFFSET (LnOptions, malformed), LN_MALFORMED_FAIL },
    { "--residual", "mask", G_STRUCT_OFFSET (LnOptions, anon.residual), LN_RESIDUAL_MASK },
    { "--residual", "malformed", G_STRUCT_OFFSET (LnOptions, anon.residual),
      LN_RESIDUAL_MALFORMED },
    { "--residual", "off", G_STRUCT_OFFSET (LnOptions, anon.residual), LN_RESIDUAL_OFF },
    { "--expired-key", "error", G_STRUCT_OFFSET (LnOptions, anon.expired_truncate), FALSE },
    { "--expired-key", "truncate", G_STRUCT_OFFSET (LnOptions, anon.expired_truncate), TRUE },
  };
  size_t i;

  G_STATIC_ASSERT (sizeof (LnIpMode) == sizeof (int));
  G_STATIC_ASSERT (sizeof (LnMalformedPolicy) == sizeof (int));
  G_STATIC_ASSERT (sizeof (LnResidualPolicy) == sizeof (int));
  G_STATIC_ASSERT (sizeof (gboolean) == sizeof (int));
  for (i = 0; i < N_ELEMS (cases); i++)
    {
      LnOptions *o = ok (cases[i].option, cases[i].value, NULL);
      int v;

      memcpy (&v, (const char *) o + cases[i].offset, sizeof v);
      cr_assert_eq (v, cases[i].expected, "%s %s", cases[i].option, cases[i].value);
      cli_options_free (o);
    }
}

Test (cli, presets_and_formats_accepted)
{
  static const char *const formats[] = {
    "auto", "common", "combined", "vhost_common", "vhost_combined",
    "%h %l %u %t \\\"%r\\\" %>s %b", "%a %>s", "%400,501{User-agent}i %!200u",
  };
  size_t i;

  for (i = 0; i < N_ELEMS (formats); i++)
    {
      LnOptions *o = ok ("--format", formats[i], NULL);
      cr_assert_str_eq (o->format, formats[i]);
      cli_options_free (o);
    }
}

Test (cli, files)
{
  static const char *const f1[] = { "-" };
  static const char *const f2[] = { "-x.log", "--y" };
  static const char *const f3[] = { "a", "-", "b" };
  LnOptions *o;

  o = ok ("-", NULL);
  expect_files (o, f1, 1);
  cli_options_free (o);
  o = ok ("--", "-x.log", "--y", NULL);
  expect_files (o, f2, 2);
  cli_options_free (o);
  o = ok ("a", "--stats", "-", "b", NULL);
  expect_files (o, f3, 3);
  cr_assert (o->stats);
  cli_options_free (o);
}

Test (cli, version_skips_the_format_check)
{
  LnOptions *o = ok ("--version", "--format", "%Z", NULL);

  cr_assert (o->version);
  cli_options_free (o);
  o = ok ("-V", NULL);
  cr_assert (o->version);
  cli_options_free (o);
}

/* ------------------------------------------------------- bad values */

Test (cli, bad_prefixes)
{
  static const char *const v4[] = { "33", "x", "-1", "", "24x", "1e1", "4294967320",
                                    "99999999999999999999" };
  static const char *const v6[] = { "129", "256", "-1", "", "x" };
  size_t i;

  for (i = 0; i < N_ELEMS (v4); i++)
    {
      char *eq = g_strdup_printf ("--ipv4-prefix=%s", v4[i]);
      GError *e = fails (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, eq, NULL);

      cr_assert_not_null (strstr (e->message, "--ipv4-prefix"), "%s", e->message);
      cr_assert_not_null (strstr (e->message, "0 to 32"), "%s", e->message);
      g_error_free (e);
      e = fails (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--ipv4-prefix", v4[i], NULL);
      g_error_free (e);
      e = fails (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "-4", v4[i], NULL);
      g_error_free (e);
      g_free (eq);
    }
  for (i = 0; i < N_ELEMS (v6); i++)
    {
      char *eq = g_strdup_printf ("--ipv6-prefix=%s", v6[i]);
      GError *e = fails (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, eq, NULL);

      cr_assert_not_null (strstr (e->message, "--ipv6-prefix"), "%s", e->message);
      cr_assert_not_null (strstr (e->message, "0 to 128"), "%s", e->message);
      g_error_free (e);
      e = fails (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--ipv6-prefix", v6[i], NULL);
      g_error_free (e);
      g_free (eq);
    }
}

Test (cli, bad_choices)
{
  static const struct {
    const char *option, *value, *valid;
  } cases[] = {
    { "--ip", "keep", "truncate, drop" },
    { "--ip", "TRUNCATE", "truncate" },
    { "--ip", "", "truncate" },
    { "--user-agent", "dash", "drop, keep" },
    { "--remote-user", "drop", "dash, keep" },
    { "--ident", "drop", "dash, keep" },
    { "--malformed", "ignore", "drop, redact, fail" },
    { "--residual", "on", "mask, malformed, off" },
    { "--rotate", "hourly", "daily, weekly, monthly" },
    { "--derive", "yearly", "daily, weekly, monthly" },
    { "--expired-key", "keep", "error, truncate" },
  };
  size_t i;

  for (i = 0; i < N_ELEMS (cases); i++)
    {
      GError *e = fails (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, cases[i].option,
                         cases[i].value, NULL);
      char *quoted = g_strdup_printf ("'%s'", cases[i].value);

      cr_assert_not_null (strstr (e->message, cases[i].option), "%s", e->message);
      cr_assert_not_null (strstr (e->message, quoted), "%s", e->message);
      cr_assert_not_null (strstr (e->message, cases[i].valid), "%s", e->message);
      g_free (quoted);
      g_error_free (e);
    }
}

Test (cli, bad_format_is_a_usage_error)
{
  GError *e = fails (LN_ERROR, LN_ERROR_USAGE, "--format", "%h %Z", NULL);

  cr_assert_not_null (strstr (e->message, "%Z"), "%s", e->message);
  g_error_free (e);
  e = fails (LN_ERROR, LN_ERROR_USAGE, "--format", "", NULL);
  g_error_free (e);
  e = fails (LN_ERROR, LN_ERROR_USAGE, "-f", "%U%q", NULL);
  g_error_free (e);
  e = fails (LN_ERROR, LN_ERROR_USAGE, "--format=%{Referer", NULL);
  g_error_free (e);
}

Test (cli, unknown_option_and_missing_argument)
{
  GError *e = fails (G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, "--bogus", NULL);

  g_error_free (e);
  e = fails (G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION, "-z", NULL);
  g_error_free (e);
  e = fails (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--format", NULL);
  g_error_free (e);
  e = fails (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "a.log", "--ipv4-prefix", NULL);
  g_error_free (e);
}

/* ------------------------------------------------------ key options */

Test (cli, key_options)
{
  LnOptions *o;
  GError *e;

  o = ok ("--ip", "hmac", "--key-file", "/k", NULL);
  cr_assert_eq (o->anon.ip_mode, LN_IP_HMAC);
  cr_assert_str_eq (o->key_file, "/k");
  cli_options_free (o);
  o = ok ("--ip=hmac-ipv6", "-k", "/k", NULL);
  cr_assert_eq (o->anon.ip_mode, LN_IP_HMAC_IPV6);
  cli_options_free (o);
  o = ok ("--ip=truncate+hmac", "--key-dir", "/d", NULL);
  cr_assert_eq (o->anon.ip_mode, LN_IP_TRUNCATE_HMAC);
  cr_assert_str_eq (o->key_dir, "/d");
  cr_assert_eq (o->rotate, LN_PERIOD_DAILY, "--key-dir rotates daily by default");
  cr_assert_eq (o->retain, 7);
  cli_options_free (o);
  o = ok ("--key-dir", "/d", "--rotate", "weekly", "--retain", "0", NULL);
  cr_assert_eq (o->rotate, LN_PERIOD_WEEKLY);
  cr_assert_eq (o->retain, 0);
  cli_options_free (o);
  o = ok ("--key-dir", "/d", "--rotate=monthly", "--retain=100000", NULL);
  cr_assert_eq (o->rotate, LN_PERIOD_MONTHLY);
  cr_assert_eq (o->retain, 100000);
  cli_options_free (o);
  o = ok ("--key-file", "/k", "--derive", "daily", NULL);
  cr_assert_eq (o->derive, LN_PERIOD_DAILY);
  cli_options_free (o);

  e = fails (LN_ERROR, LN_ERROR_USAGE, "--ip", "hmac", NULL);
  cr_assert_not_null (strstr (e->message, "key"), "%s", e->message);
  g_error_free (e);
  e = fails (LN_ERROR, LN_ERROR_USAGE, "--key-file", "/k", "--key-dir", "/d", NULL);
  g_error_free (e);
  e = fails (LN_ERROR, LN_ERROR_USAGE, "--rotate", "daily", NULL);
  g_error_free (e);
  e = fails (LN_ERROR, LN_ERROR_USAGE, "--retain", "3", NULL);
  g_error_free (e);
  e = fails (LN_ERROR, LN_ERROR_USAGE, "--derive", "weekly", NULL);
  g_error_free (e);
  e = fails (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--key-dir", "/d", "--retain", "100001",
             NULL);
  g_error_free (e);

  /* the key file may come from the environment */
  g_setenv ("LOGNYM_KEY_FILE", "/env/key", TRUE);
  o = ok ("--ip", "hmac", NULL);
  cr_assert_str_eq (o->key_file, "/env/key");
  cli_options_free (o);
  o = ok ("--ip", "hmac", "--key-file", "/cmd/key", NULL);
  cr_assert_str_eq (o->key_file, "/cmd/key", "the option beats the environment");
  cli_options_free (o);
  g_unsetenv ("LOGNYM_KEY_FILE");
}

/* ------------------------------------------------------ exit status */

Test (cli, exit_status_mapping)
{
  static const struct {
    int code;
    int status;
  } cases[] = {
    { LN_ERROR_USAGE, LN_EXIT_USAGE },
    { LN_ERROR_IO, LN_EXIT_FAILURE },
    { LN_ERROR_SETUP, LN_EXIT_FAILURE },
    { LN_ERROR_MALFORMED, LN_EXIT_MALFORMED },
    { LN_ERROR_OUTPUT, LN_EXIT_FAILURE },
    { LN_ERROR_BROKEN_PIPE, LN_EXIT_OK },
    { LN_ERROR_KEY_ERASED, LN_EXIT_FAILURE },
  };
  static const GOptionError option_codes[] = {
    G_OPTION_ERROR_UNKNOWN_OPTION, G_OPTION_ERROR_BAD_VALUE, G_OPTION_ERROR_FAILED,
  };
  size_t i;

  cr_assert_eq (LN_EXIT_OK, 0);
  cr_assert_eq (LN_EXIT_USAGE, 1);
  cr_assert_eq (LN_EXIT_FAILURE, 2);
  cr_assert_eq (LN_EXIT_MALFORMED, 3);
  cr_assert_eq (ln_error_exit_status (NULL), 0);
  for (i = 0; i < N_ELEMS (cases); i++)
    {
      GError *e = g_error_new_literal (LN_ERROR, cases[i].code, "x");
      cr_assert_eq (ln_error_exit_status (e), cases[i].status, "LnError %d", cases[i].code);
      g_error_free (e);
    }
  for (i = 0; i < N_ELEMS (option_codes); i++)
    {
      GError *e = g_error_new_literal (G_OPTION_ERROR, option_codes[i], "x");
      cr_assert_eq (ln_error_exit_status (e), LN_EXIT_USAGE);
      g_error_free (e);
    }
  /* any other domain is a failure */
  {
    GError *e = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_NOENT, "x");
    cr_assert_eq (ln_error_exit_status (e), LN_EXIT_FAILURE);
    g_error_free (e);
    e = g_error_new_literal (G_IO_CHANNEL_ERROR, G_IO_CHANNEL_ERROR_FAILED, "x");
    cr_assert_eq (ln_error_exit_status (e), LN_EXIT_FAILURE);
    g_error_free (e);
  }
  cr_assert_neq (LN_ERROR, 0);
  cr_assert_str_eq (g_quark_to_string (LN_ERROR), "lognym-error-quark");
}

/* ---------------------------------------------- --tz, --flush-every */

Test (cli, tz_and_flush_every)
{
  static const char *const zones[] = { "UTC", "Europe/Berlin", "+01:00", "-0700", NULL };
  LnOptions *o;
  GError *e;
  size_t i;

  for (i = 0; zones[i]; i++)
    {
      o = ok ("-a", "hour", "--tz", zones[i], NULL);
      cr_assert_str_eq (o->tz, zones[i]);
      cr_assert_eq (o->agg.tz, o->tz, "the aggregate config points at the option");
      cli_options_free (o);
    }
  e = fails (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "-a", "day", "--tz", "Mars/Olympus",
             NULL);
  cr_assert_not_null (strstr (e->message, "'Mars/Olympus'"), "%s", e->message);
  g_error_free (e);
  g_error_free (fails (LN_ERROR, LN_ERROR_USAGE, "--tz", "UTC", NULL));

  o = ok ("-a", "minute,path", "--flush-every", "hour", NULL);
  cr_assert (o->agg.flush);
  cr_assert_eq (o->agg.flush_every, LN_AGG_HOUR);
  cli_options_free (o);
  /* bucket: the time key, wherever it is in the list */
  o = ok ("--flush-every", "bucket", "-a", "path,week", NULL);
  cr_assert_eq (o->agg.flush_every, LN_AGG_WEEK);
  cli_options_free (o);
  o = ok ("-a", "day", NULL);
  cr_assert_not (o->agg.flush, "no flushing by default");
  cr_assert_null (o->tz);
  cli_options_free (o);
  g_error_free (fails (LN_ERROR, LN_ERROR_USAGE, "-a", "path", "--flush-every", "day", NULL));
  g_error_free (fails (LN_ERROR, LN_ERROR_USAGE, "-a", "path", "--flush-every", "bucket",
                       NULL));
  g_error_free (fails (LN_ERROR, LN_ERROR_USAGE, "-a", "hour", "--flush-every", "minute",
                       NULL));
  g_error_free (fails (LN_ERROR, LN_ERROR_USAGE, "-a", "week", "--flush-every", "month",
                       NULL));
  g_error_free (fails (LN_ERROR, LN_ERROR_USAGE, "--flush-every", "day", NULL));
  e = fails (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "-a", "day", "--flush-every",
             "fortnight", NULL);
  cr_assert_not_null (strstr (e->message, "minute, hour, day, week, month, bucket"), "%s",
                      e->message);
  g_error_free (e);
}

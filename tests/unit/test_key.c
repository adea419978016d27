/* test_key.c - key files, periods and keyrings (src/key.c).
 *
 * Secure memory is one 64 KiB region per process with a bump allocator and
 * every keyring takes about 4 KiB of it: each Test() runs in its own
 * process (Criterion's default), and none creates more than ten keyrings.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clftime.h"
#include "errors.h"
#include "helpers.h"
#include "key.h"
#include "secmem.h"
#include "sha256.h"

#define NOBODY 65534

/* ------------------------------------------------------------- helpers */

static void
rm_rf (const char *path)
{
  struct stat st;

  if (lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      GDir *d;
      const char *name;

      chmod (path, 0700);
      d = g_dir_open (path, 0, NULL);
      while (d && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          rm_rf (child);
        }
      if (d)
        g_dir_close (d);
      rmdir (path);
    }
  else
    unlink (path);
}

static char *tmp_root;

static void
make_tmp (void)
{
  tmp_root = g_dir_make_tmp ("lognym-test-key-XXXXXX", NULL);
  cr_assert_not_null (tmp_root);
}

static void
remove_tmp (void)
{
  if (tmp_root)
    rm_rf (tmp_root);
  g_free (tmp_root);
  tmp_root = NULL;
}

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_root, name, NULL);
}

/* Writes @len bytes to a new file @path with exactly @mode. */
static void
write_file_mode (const char *path, const void *text, size_t len, mode_t mode)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  cr_assert_geq (fd, 0, "cannot create %s: %s", path, g_strerror (errno));
  cr_assert_eq (write (fd, text, len), (ssize_t) len);
  cr_assert_eq (fchmod (fd, mode), 0);
  close (fd);
}

static void
write_text_mode (const char *path, const char *text, mode_t mode)
{
  write_file_mode (path, text, strlen (text), mode);
}

static char *
read_text (const char *path)
{
  char *text = NULL;

  cr_assert (g_file_get_contents (path, &text, NULL, NULL), "cannot read %s", path);
  return text;
}

static gboolean
exists (const char *path)
{
  struct stat st;

  return lstat (path, &st) == 0;
}

/* "lognym-key-v1 " + hex of @len bytes @bytes + "\n" */
static char *
key_text (const uint8_t *bytes, size_t len)
{
  GString *s = g_string_new ("lognym-key-v1 ");
  size_t i;

  for (i = 0; i < len; i++)
    g_string_append_printf (s, "%02x", bytes[i]);
  g_string_append_c (s, '\n');
  return g_string_free (s, FALSE);
}

/* A MAC under @key of a fixed probe: comparing these compares keys. */
static void
probe_mac (const LnHmacKey *key, uint8_t out[LN_SHA256_LEN])
{
  hmac_sha256 (key, "lognym probe 192.0.2.7", 22, out);
}

static void
probe_mac_raw (const uint8_t *secret, size_t len, uint8_t out[LN_SHA256_LEN])
{
  LnHmacKey k;

  memset (&k, 0, sizeof k);
  hmac_sha256_init (&k, secret, len);
  probe_mac (&k, out);
}

/* The bytes of the key file @path, parsed here independently of key.c. */
static size_t
parse_key_file (const char *path, uint8_t out[64])
{
  g_autofree char *text = read_text (path);
  size_t n = 0;
  const char *p;

  cr_assert (g_str_has_prefix (text, "lognym-key-v1 "), "%s: \"%s\"", path, text);
  for (p = text + 14; g_ascii_isxdigit (p[0]) && g_ascii_isxdigit (p[1]) && n < 64; p += 2)
    out[n++] = (uint8_t) (g_ascii_xdigit_value (p[0]) << 4 | g_ascii_xdigit_value (p[1]));
  cr_assert_str_eq (p, "\n", "%s: unexpected text after the key", path);
  return n;
}

static gboolean
mac_equal (const uint8_t *a, const uint8_t *b)
{
  return memcmp (a, b, LN_SHA256_LEN) == 0;
}

/* Seconds since the epoch of a UTC civil time, computed by libc. */
static int64_t
utc (int y, int mon, int d, int h, int mi, int s)
{
  struct tm tm;

  memset (&tm, 0, sizeof tm);
  tm.tm_year = y - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return (int64_t) timegm (&tm);
}

static int64_t
day_index (int y, int mon, int d)
{
  return utc (y, mon, d, 0, 0, 0) / 86400;
}

static void
period_name_of (LnPeriod period, int64_t epoch, char out[16])
{
  key_period_name (period, key_period_index (period, epoch), out);
}

/* Counts directory entries ending in @suffix, or starting with @prefix. */
static int
count_entries (const char *dir, const char *prefix, const char *suffix)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  int n = 0;

  cr_assert_not_null (d, "cannot list %s", dir);
  while ((name = g_dir_read_name (d)) != NULL)
    if ((prefix && g_str_has_prefix (name, prefix)) || (suffix && g_str_has_suffix (name, suffix)))
      n++;
  g_dir_close (d);
  return n;
}

/* Today in the tests: 2026-11-25 12:00:00 UTC. */
#define NOW_Y 2026
#define NOW_M 11
#define NOW_D 25
static int64_t
now_epoch (void)
{
  return utc (NOW_Y, NOW_M, NOW_D, 12, 0, 0);
}

/* ------------------------------------------------------------ key files */

TestSuite (key_file, .init = make_tmp, .fini = remove_tmp);

Test (key_file, generate_mode_and_format)
{
  g_autofree char *path = tmp_path ("k1");
  g_autofree char *text = NULL;
  struct stat st;
  size_t i;

  umask (0);      /* the mode must not depend on the caller's umask */
  cr_assert (key_generate_file (path, NULL));
  umask (022);
  cr_assert_eq (lstat (path, &st), 0);
  cr_assert (S_ISREG (st.st_mode));
  cr_assert_eq (st.st_mode & 07777, 0600, "mode %04o", (unsigned) (st.st_mode & 07777));
  cr_assert_eq (st.st_uid, geteuid ());
  text = read_text (path);
  cr_assert_eq (strlen (text), 14 + 64 + 1, "\"%s\"", text);
  cr_assert (g_str_has_prefix (text, "lognym-key-v1 "), "\"%s\"", text);
  for (i = 14; i < 14 + 64; i++)
    cr_assert (g_ascii_isxdigit (text[i]) && !g_ascii_isupper (text[i]),
               "not lower-case hex at %zu: \"%s\"", i, text);
  cr_assert_eq (text[78], '\n');
}

Test (key_file, generate_refuses_overwrite)
{
  g_autofree char *path = tmp_path ("existing");
  g_autofree char *link = tmp_path ("dangling");
  g_autofree char *target = tmp_path ("target");
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  write_text_mode (path, "keep me\n", 0600);
  cr_assert_not (key_generate_file (path, &error));
  cr_assert_not_null (error);
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_SETUP));
  cr_assert_not_null (strstr (error->message, path), "\"%s\"", error->message);
  text = read_text (path);
  cr_assert_str_eq (text, "keep me\n", "the existing file was changed");

  /* a symbolic link is not followed: nothing is created at its target */
  g_clear_error (&error);
  cr_assert_eq (symlink (target, link), 0);
  cr_assert_not (key_generate_file (link, &error));
  cr_assert_not (exists (target), "keygen wrote through a symbolic link");
}

Test (key_file, generate_two_keys_differ)
{
  g_autofree char *a = tmp_path ("a.key");
  g_autofree char *b = tmp_path ("b.key");
  uint8_t ka[64], kb[64], la[64];

  cr_assert (key_generate_file (a, NULL));
  cr_assert (key_generate_file (b, NULL));
  cr_assert_eq (parse_key_file (a, ka), 32);
  cr_assert_eq (parse_key_file (b, kb), 32);
  cr_assert (memcmp (ka, kb, 32) != 0, "two generated keys are equal");
  /* and what key_load_file reads is what the file says */
  cr_assert_eq (key_load_file (a, la, NULL), 32);
  cr_assert (memcmp (ka, la, 32) == 0);
}

Test (key_file, load_accepts_format_and_bare_hex)
{
  static const struct {
    const char *text;
    size_t len;
  } ok[] = {
    { "lognym-key-v1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 32 },
    { "lognym-key-v1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", 32 },
    { "lognym-key-v1 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\r\n", 32 },
    { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", 32 },
    { "000102030405060708090a0b0c0d0e0f\n", 16 },                    /* the minimum */
    { "lognym-key-v1 000102030405060708090a0b0c0d0e0f\n", 16 },
    { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
      "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\n", 64 },
  };
  g_autofree char *path = tmp_path ("load.key");
  size_t i, j;

  for (i = 0; i < N_ELEMS (ok); i++)
    {
      uint8_t *out = g_malloc (LN_KEY_MAX_BYTES);   /* exact size: ASan sees overruns */
      g_autoptr (GError) error = NULL;
      size_t n;

      unlink (path);
      write_text_mode (path, ok[i].text, 0600);
      n = key_load_file (path, out, &error);
      cr_assert_eq (n, ok[i].len, "case %zu: length %zu, expected %zu (%s)", i, n,
                    ok[i].len, error ? error->message : "no error");
      cr_assert_null (error);
      for (j = 0; j < n; j++)
        cr_assert_eq (out[j], j, "case %zu: byte %zu is %02x", i, j, out[j]);
      g_free (out);
    }
}

Test (key_file, load_rejects_group_or_world_access)
{
  static const mode_t modes[] = { 0640, 0604, 0644, 0660, 0606, 0620, 0602, 0610, 0601 };
  g_autofree char *path = tmp_path ("open.key");
  size_t i;

  for (i = 0; i < N_ELEMS (modes); i++)
    {
      uint8_t out[LN_KEY_MAX_BYTES];
      g_autoptr (GError) error = NULL;
      char mode_text[8];

      unlink (path);
      write_text_mode (path, "lognym-key-v1 000102030405060708090a0b0c0d0e0f"
                             "101112131415161718191a1b1c1d1e1f\n", modes[i]);
      cr_assert_eq (key_load_file (path, out, &error), 0, "mode %04o accepted",
                    (unsigned) modes[i]);
      cr_assert_not_null (error);
      cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_SETUP));
      g_snprintf (mode_text, sizeof mode_text, "%04o", (unsigned) modes[i]);
      cr_assert_not_null (strstr (error->message, path), "message does not name the file: %s",
                          error->message);
      cr_assert_not_null (strstr (error->message, mode_text),
                          "message does not name mode %s: %s", mode_text, error->message);
    }
}

Test (key_file, load_rejects_other_owner)
{
  g_autofree char *path = tmp_path ("nobody.key");
  uint8_t out[LN_KEY_MAX_BYTES];
  g_autoptr (GError) error = NULL;

  if (geteuid () != 0)
    cr_skip_test ("not root: cannot give a file to another user");
  write_text_mode (path, "lognym-key-v1 000102030405060708090a0b0c0d0e0f"
                         "101112131415161718191a1b1c1d1e1f\n", 0600);
  cr_assert_eq (chown (path, NOBODY, NOBODY), 0, "chown: %s", g_strerror (errno));
  cr_assert_eq (key_load_file (path, out, &error), 0, "a key file of uid %d was accepted",
                NOBODY);
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_SETUP));
  cr_assert_not_null (strstr (error->message, path), "%s", error->message);
  cr_assert_not_null (strstr (error->message, "owned"), "%s", error->message);
}

Test (key_file, load_rejects_bad_content)
{
  static const struct {
    const char *text;
    const char *why;
  } bad[] = {
    { "lognym-key-v1 000102030405060708090a0b0c0d0e\n", "too short" },   /* 15 bytes */
    { "000102030405060708090a0b0c0d0e\n", "too short" },
    { "00\n", "too short" },
    { "", NULL },
    { "lognym-key-v1\n", NULL },
    { "lognym-key-v1 \n", NULL },
    { "lognym-key-v1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1\n",
      NULL },                                                        /* odd digit count */
    { "lognym-key-v1 zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
      NULL },
    { "lognym-key-v2 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
      NULL },
    { "key: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", NULL },
    { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f-\n", NULL },
    /* 65 bytes: more than LN_KEY_MAX_BYTES */
    { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
      "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40\n", NULL },
  };
  g_autofree char *path = tmp_path ("bad.key");
  size_t i, j;

  for (i = 0; i < N_ELEMS (bad); i++)
    {
      uint8_t *out = g_malloc (LN_KEY_MAX_BYTES);
      g_autoptr (GError) error = NULL;

      memset (out, 0xaa, LN_KEY_MAX_BYTES);
      unlink (path);
      write_text_mode (path, bad[i].text, 0600);
      cr_assert_eq (key_load_file (path, out, &error), 0, "case %zu accepted: \"%s\"", i,
                    bad[i].text);
      cr_assert_not_null (error);
      cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_SETUP));
      cr_assert_not_null (strstr (error->message, path), "%s", error->message);
      if (bad[i].why)
        cr_assert_not_null (strstr (error->message, bad[i].why), "case %zu: %s", i,
                            error->message);
      /* no partial key is left behind */
      for (j = 0; j < LN_KEY_MAX_BYTES; j++)
        cr_assert (out[j] == 0 || out[j] == 0xaa,
                   "case %zu: key byte %zu left in the buffer after a refusal", i, j);
      g_free (out);
    }
}

Test (key_file, load_rejects_directory_and_missing)
{
  g_autofree char *dir = tmp_path ("adir");
  g_autofree char *missing = tmp_path ("missing.key");
  uint8_t out[LN_KEY_MAX_BYTES];
  g_autoptr (GError) error = NULL;

  cr_assert_eq (mkdir (dir, 0700), 0);
  cr_assert_eq (key_load_file (dir, out, &error), 0, "a directory was accepted");
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_SETUP));
  cr_assert_not_null (strstr (error->message, dir), "%s", error->message);
  g_clear_error (&error);

  cr_assert_eq (key_load_file (missing, out, &error), 0);
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_SETUP));
  cr_assert_not_null (strstr (error->message, missing), "%s", error->message);
  cr_assert_not_null (strstr (error->message, g_strerror (ENOENT)), "%s", error->message);
}

/* --------------------------------------------------------------- periods */

Test (period, parse_words)
{
  LnPeriod p = LN_PERIOD_NONE;

  cr_assert (key_period_parse ("daily", &p));
  cr_assert_eq (p, LN_PERIOD_DAILY);
  cr_assert (key_period_parse ("weekly", &p));
  cr_assert_eq (p, LN_PERIOD_WEEKLY);
  cr_assert (key_period_parse ("monthly", &p));
  cr_assert_eq (p, LN_PERIOD_MONTHLY);
  cr_assert_not (key_period_parse ("Daily", &p));
  cr_assert_not (key_period_parse ("hourly", &p));
  cr_assert_not (key_period_parse ("", &p));
  cr_assert_not (key_period_parse ("daily ", &p));
}

Test (period, iso_week_edges)
{
  static const struct {
    int y, m, d;
    const char *week;
  } cases[] = {
    { 2020, 12, 31, "2020-W53" },
    { 2021, 1, 1, "2020-W53" },
    { 2021, 1, 3, "2020-W53" },
    { 2021, 1, 4, "2021-W01" },
    { 2024, 12, 29, "2024-W52" },
    { 2024, 12, 30, "2025-W01" },
    { 2025, 1, 1, "2025-W01" },
    { 2026, 11, 25, "2026-W48" },
    { 2026, 12, 31, "2026-W53" },
    { 2027, 1, 3, "2026-W53" },
    { 2027, 1, 4, "2027-W01" },
    { 2015, 12, 31, "2015-W53" },
    { 2016, 1, 4, "2016-W01" },
    { 1970, 1, 1, "1970-W01" },
    { 1969, 12, 29, "1970-W01" },
    { 1969, 12, 28, "1969-W52" },
  };
  size_t i;
  int h;

  for (i = 0; i < N_ELEMS (cases); i++)
    for (h = 0; h < 3; h++)
      {
        /* the first second, noon and the last second of the day */
        static const int secs[] = { 0, 43200, 86399 };
        int64_t e = utc (cases[i].y, cases[i].m, cases[i].d, 0, 0, 0) + secs[h];
        char name[16];

        period_name_of (LN_PERIOD_WEEKLY, e, name);
        cr_assert_str_eq (name, cases[i].week, "%04d-%02d-%02d +%ds: %s, expected %s",
                          cases[i].y, cases[i].m, cases[i].d, secs[h], name, cases[i].week);
      }
}

Test (period, negative_epochs)
{
  char name[16];

  cr_assert_eq (key_period_index (LN_PERIOD_DAILY, -1), -1);
  cr_assert_eq (key_period_index (LN_PERIOD_DAILY, -86400), -1);
  cr_assert_eq (key_period_index (LN_PERIOD_DAILY, -86401), -2);
  cr_assert_eq (key_period_index (LN_PERIOD_DAILY, 0), 0);
  cr_assert_eq (key_period_index (LN_PERIOD_DAILY, 86399), 0);
  period_name_of (LN_PERIOD_DAILY, -1, name);
  cr_assert_str_eq (name, "1969-12-31");
  period_name_of (LN_PERIOD_DAILY, -86401, name);
  cr_assert_str_eq (name, "1969-12-30");
  period_name_of (LN_PERIOD_WEEKLY, -1, name);
  cr_assert_str_eq (name, "1970-W01");
  period_name_of (LN_PERIOD_WEEKLY, -3 * 86400, name);       /* Monday 1969-12-29 */
  cr_assert_str_eq (name, "1970-W01");
  period_name_of (LN_PERIOD_WEEKLY, -3 * 86400 - 1, name);   /* Sunday night */
  cr_assert_str_eq (name, "1969-W52");
  cr_assert_eq (key_period_index (LN_PERIOD_WEEKLY, -3 * 86400 - 1) + 1,
                key_period_index (LN_PERIOD_WEEKLY, -3 * 86400));
  period_name_of (LN_PERIOD_MONTHLY, -1, name);
  cr_assert_str_eq (name, "1969-12");
  cr_assert_eq (key_period_index (LN_PERIOD_MONTHLY, -1), 1969 * 12 + 11);
  cr_assert_eq (key_period_index (LN_PERIOD_MONTHLY, 0), 1970 * 12);
  period_name_of (LN_PERIOD_DAILY, utc (1900, 1, 1, 0, 0, 0), name);
  cr_assert_str_eq (name, "1900-01-01");
  period_name_of (LN_PERIOD_MONTHLY, utc (1900, 2, 28, 23, 59, 59), name);
  cr_assert_str_eq (name, "1900-02");
}

Test (period, month_boundaries)
{
  static const struct {
    int y, m, d;          /* the first day of a month */
    const char *before, *after;
  } cases[] = {
    { 2024, 3, 1, "2024-02", "2024-03" },      /* after a leap day */
    { 2023, 3, 1, "2023-02", "2023-03" },
    { 2027, 1, 1, "2026-12", "2027-01" },
    { 2026, 12, 1, "2026-11", "2026-12" },
    { 2000, 3, 1, "2000-02", "2000-03" },
    { 1970, 1, 1, "1969-12", "1970-01" },
  };
  size_t i;

  for (i = 0; i < N_ELEMS (cases); i++)
    {
      int64_t first = utc (cases[i].y, cases[i].m, cases[i].d, 0, 0, 0);
      char a[16], b[16];

      period_name_of (LN_PERIOD_MONTHLY, first - 1, a);
      period_name_of (LN_PERIOD_MONTHLY, first, b);
      cr_assert_str_eq (a, cases[i].before);
      cr_assert_str_eq (b, cases[i].after);
      cr_assert_eq (key_period_index (LN_PERIOD_MONTHLY, first - 1) + 1,
                    key_period_index (LN_PERIOD_MONTHLY, first));
      period_name_of (LN_PERIOD_DAILY, first - 1, a);
      period_name_of (LN_PERIOD_DAILY, first, b);
      cr_assert_neq (strcmp (a, b), 0);
      cr_assert_eq (key_period_index (LN_PERIOD_DAILY, first - 1) + 1,
                    key_period_index (LN_PERIOD_DAILY, first));
    }
}

/* Every day from 1900 to 2200 at its first second, noon and last second:
 * the names agree with strftime's %Y-%m-%d, %G-W%V and %Y-%m, and the
 * indices advance by one exactly at midnight, on Mondays and on the 1st. */
Test (period, sweep_against_strftime)
{
  int64_t first = utc (1900, 1, 1, 0, 0, 0) / 86400, last = utc (2200, 1, 1, 0, 0, 0) / 86400;
  int64_t day, prev_w = 0, prev_m = 0;

  for (day = first; day < last; day++)
    {
      static const int secs[] = { 0, 43200, 86399 };
      time_t t = (time_t) (day * 86400);
      struct tm tm;
      char want[3][16];
      int s, k;

      cr_assert_not_null (gmtime_r (&t, &tm));
      strftime (want[0], 16, "%Y-%m-%d", &tm);
      strftime (want[1], 16, "%G-W%V", &tm);
      strftime (want[2], 16, "%Y-%m", &tm);
      for (s = 0; s < 3; s++)
        {
          static const LnPeriod kinds[] = { LN_PERIOD_DAILY, LN_PERIOD_WEEKLY,
                                            LN_PERIOD_MONTHLY };
          for (k = 0; k < 3; k++)
            {
              char name[16];

              period_name_of (kinds[k], day * 86400 + secs[s], name);
              if (strcmp (name, want[k]) != 0)
                cr_assert_fail ("day %s +%ds, period %d: \"%s\", expected \"%s\"",
                                want[0], secs[s], k, name, want[k]);
            }
        }
      cr_assert_eq (key_period_index (LN_PERIOD_DAILY, day * 86400), day);
      if (day > first)
        {
          int64_t w = key_period_index (LN_PERIOD_WEEKLY, day * 86400);
          int64_t m = key_period_index (LN_PERIOD_MONTHLY, day * 86400);

          cr_assert_eq (w - prev_w, tm.tm_wday == 1 ? 1 : 0, "week index on %s", want[0]);
          cr_assert_eq (m - prev_m, tm.tm_mday == 1 ? 1 : 0, "month index on %s", want[0]);
        }
      prev_w = key_period_index (LN_PERIOD_WEEKLY, day * 86400 + 86399);
      prev_m = key_period_index (LN_PERIOD_MONTHLY, day * 86400 + 86399);
    }
}

Test (period, static_name)
{
  char name[16];

  key_period_name (LN_PERIOD_NONE, 12345, name);
  cr_assert_str_eq (name, "static");
  cr_assert_eq (key_period_index (LN_PERIOD_NONE, 1790000000), 0);
}

/* A record's period is the UTC day of its own instant: the wall clock
 * minus the record's own offset, as clftime_parse computes it. */
Test (period, rotation_boundaries_with_offsets)
{
  static const struct {
    const char *clf;
    const char *day;       /* the UTC day, worked out by hand */
  } cases[] = {
    { "25/Nov/2026:23:59:59 +0000", "2026-11-25" },
    { "26/Nov/2026:00:00:00 +0000", "2026-11-26" },
    { "25/Nov/2026:23:59:59 -0700", "2026-11-26" },   /* 06:59:59Z next day */
    { "26/Nov/2026:00:00:00 -0700", "2026-11-26" },   /* 07:00:00Z */
    { "25/Nov/2026:16:59:59 -0700", "2026-11-25" },   /* 23:59:59Z */
    { "25/Nov/2026:17:00:00 -0700", "2026-11-26" },   /* 00:00:00Z */
    { "25/Nov/2026:23:59:59 +0530", "2026-11-25" },   /* 18:29:59Z */
    { "26/Nov/2026:00:00:00 +0530", "2026-11-25" },   /* 18:30:00Z */
    { "26/Nov/2026:05:29:59 +0530", "2026-11-25" },   /* 23:59:59Z */
    { "26/Nov/2026:05:30:00 +0530", "2026-11-26" },   /* 00:00:00Z */
    { "25/Nov/2026:23:59:59 +1400", "2026-11-25" },   /* 09:59:59Z */
    { "26/Nov/2026:00:00:00 +1400", "2026-11-25" },   /* 10:00:00Z */
    { "26/Nov/2026:13:59:59 +1400", "2026-11-25" },   /* 23:59:59Z */
    { "26/Nov/2026:14:00:00 +1400", "2026-11-26" },   /* 00:00:00Z */
    { "31/Dec/2026:23:59:59 -0700", "2027-01-01" },
    { "01/Jan/2027:00:00:00 +1400", "2026-12-31" },
    { "01/Mar/2024:00:00:00 +0530", "2024-02-29" },
  };
  size_t i;

  for (i = 0; i < N_ELEMS (cases); i++)
    {
      LnTime t;
      char name[16];

      cr_assert (clftime_parse (span_make (cases[i].clf, strlen (cases[i].clf)), &t));
      period_name_of (LN_PERIOD_DAILY, t.epoch, name);
      cr_assert_str_eq (name, cases[i].day, "[%s] fell in %s, expected %s", cases[i].clf,
                        name, cases[i].day);
    }
}

/* -------------------------------------------------------- static keyring */

TestSuite (keyring, .init = make_tmp, .fini = remove_tmp);

static const uint8_t fixed_key[32] = {
  0x6c, 0x6f, 0x67, 0x6e, 0x79, 0x6d, 0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x6b, 0x65, 0x79,
  0x21, 0x00, 0xff, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0,
  0xd0, 0xe0,
};

static char *
write_fixed_key (const char *name)
{
  char *path = tmp_path (name);
  g_autofree char *text = key_text (fixed_key, sizeof fixed_key);

  write_text_mode (path, text, 0600);
  return path;
}

/* True when @p lies in a mapping of this process whose VmFlags hold
 * @flag ("dd": not dumped, "lo": locked). */
static gboolean
mapping_has_flag (const void *p, const char *flag)
{
  g_autofree char *smaps = NULL;
  gchar **lines;
  gboolean inside = FALSE, found = FALSE;
  size_t i;
  uintptr_t addr = (uintptr_t) p;

  cr_assert (g_file_get_contents ("/proc/self/smaps", &smaps, NULL, NULL));
  lines = g_strsplit (smaps, "\n", -1);
  for (i = 0; lines[i]; i++)
    {
      unsigned long lo, hi;

      /* a mapping's header "lo-hi perms ..."; field lines ("Rss:", also
       * "AnonHugePages:", which starts with a hex digit) do not scan twice */
      if (sscanf (lines[i], "%lx-%lx ", &lo, &hi) == 2)
        {
          inside = addr >= lo && addr < hi;
          continue;
        }
      if (inside && g_str_has_prefix (lines[i], "VmFlags:"))
        {
          g_autofree char *needle = g_strdup_printf (" %s", flag);
          found = strstr (lines[i], needle) != NULL;
          break;
        }
    }
  g_strfreev (lines);
  return found;
}

Test (keyring, static_key)
{
  g_autofree char *path = write_fixed_key ("static.key");
  g_autoptr (GError) error = NULL;
  g_autoptr (LnKeyring) ring = keyring_new_static (path, &error);
  const LnHmacKey *k1, *k2;
  uint8_t want[LN_SHA256_LEN], got[LN_SHA256_LEN];
  int64_t period = -1;

  cr_assert_not_null (ring, "%s", error ? error->message : "");
  cr_assert_eq (keyring_period (ring), LN_PERIOD_NONE);
  k1 = keyring_lookup (ring, now_epoch (), &period, &error);
  cr_assert_not_null (k1);
  cr_assert_eq (period, 0);
  k2 = keyring_lookup (ring, -123456789, &period, &error);
  cr_assert_eq (k1, k2, "a static keyring has one key for every record");
  cr_assert_eq (period, 0);
  /* the anonymiser's shortcut (select_key_at) takes this one */
  cr_assert_eq (keyring_static_key (ring), k1);
  probe_mac_raw (fixed_key, sizeof fixed_key, want);
  probe_mac (k1, got);
  cr_assert (mac_equal (want, got), "the static key is not the key file's key");

  /* the key state lives in non-dumpable (and, if permitted, locked) memory */
  cr_assert (mapping_has_flag (k1, "dd"), "key state is not in a MADV_DONTDUMP mapping");
#ifndef __SANITIZE_ADDRESS__
  /* (AddressSanitizer turns mlock() into a no-op that returns 0) */
  if (secmem_locked ())
    cr_assert (mapping_has_flag (k1, "lo"), "key state is not in a locked mapping");
#endif
}

Test (keyring, static_refuses_bad_key_file)
{
  g_autofree char *path = tmp_path ("open.key");
  g_autofree char *text = key_text (fixed_key, sizeof fixed_key);
  g_autoptr (GError) error = NULL;
  LnKeyring *ring;

  write_text_mode (path, text, 0644);
  ring = keyring_new_static (path, &error);
  cr_assert_null (ring, "a mode 0644 key file was accepted");
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_SETUP));
  g_clear_error (&error);
  ring = keyring_new_derived (path, LN_PERIOD_DAILY, &error);
  cr_assert_null (ring, "a mode 0644 master key was accepted");
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_SETUP));
}

/* ------------------------------------------------------- derived keyring */

static void
expected_derived_mac (const uint8_t *master, size_t len, const char *period_name,
                      uint8_t out[LN_SHA256_LEN])
{
  static const char salt[] = "lognym-derive-v1";
  g_autofree char *info = g_strdup_printf ("lognym period %s", period_name);
  uint8_t derived[32];

  cr_assert_eq (hkdf_sha256 ((const uint8_t *) salt, strlen (salt), master, len,
                             (const uint8_t *) info, strlen (info), derived, sizeof derived),
                0);
  probe_mac_raw (derived, sizeof derived, out);
}

Test (keyring, derived_matches_documented_hkdf)
{
  g_autofree char *path = write_fixed_key ("master.key");
  g_autoptr (GError) error = NULL;
  g_autoptr (LnKeyring) daily = keyring_new_derived (path, LN_PERIOD_DAILY, &error);
  g_autoptr (LnKeyring) weekly = keyring_new_derived (path, LN_PERIOD_WEEKLY, &error);
  g_autoptr (LnKeyring) monthly = keyring_new_derived (path, LN_PERIOD_MONTHLY, &error);
  uint8_t want[LN_SHA256_LEN], got[LN_SHA256_LEN];
  const LnHmacKey *k;
  int64_t period;

  cr_assert_not_null (daily);
  cr_assert_not_null (weekly);
  cr_assert_not_null (monthly);
  cr_assert_eq (keyring_period (daily), LN_PERIOD_DAILY);
  cr_assert_null (keyring_static_key (daily), "a derived keyring has a key per period");

  k = keyring_lookup (daily, now_epoch (), &period, &error);
  cr_assert_not_null (k);
  cr_assert_eq (period, day_index (2026, 11, 25));
  expected_derived_mac (fixed_key, sizeof fixed_key, "2026-11-25", want);
  probe_mac (k, got);
  cr_assert (mac_equal (want, got), "daily key != HKDF(salt \"lognym-derive-v1\", master, "
             "info \"lognym period 2026-11-25\")");

  k = keyring_lookup (weekly, now_epoch (), &period, &error);
  cr_assert_not_null (k);
  expected_derived_mac (fixed_key, sizeof fixed_key, "2026-W48", want);
  probe_mac (k, got);
  cr_assert (mac_equal (want, got), "weekly key != HKDF(... \"lognym period 2026-W48\")");

  k = keyring_lookup (monthly, now_epoch (), &period, &error);
  cr_assert_not_null (k);
  expected_derived_mac (fixed_key, sizeof fixed_key, "2026-11", want);
  probe_mac (k, got);
  cr_assert (mac_equal (want, got), "monthly key != HKDF(... \"lognym period 2026-11\")");
}

Test (keyring, derived_same_master_same_key)
{
  g_autofree char *a = write_fixed_key ("master-a.key");
  g_autofree char *b = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LnKeyring) ra = NULL;
  g_autoptr (LnKeyring) rb = NULL;
  g_autofree char *sub = tmp_path ("other-host");
  uint8_t ma[LN_SHA256_LEN], mb[LN_SHA256_LEN], mc[LN_SHA256_LEN], md[LN_SHA256_LEN];
  int64_t pa, pb;

  /* the same master in another file: another machine of the fleet */
  cr_assert_eq (mkdir (sub, 0700), 0);
  b = g_build_filename (sub, "master.key", NULL);
  {
    g_autofree char *text = key_text (fixed_key, sizeof fixed_key);
    write_text_mode (b, text, 0600);
  }
  ra = keyring_new_derived (a, LN_PERIOD_DAILY, &error);
  rb = keyring_new_derived (b, LN_PERIOD_DAILY, &error);
  cr_assert_not_null (ra);
  cr_assert_not_null (rb);

  probe_mac (keyring_lookup (ra, utc (2026, 11, 25, 0, 0, 0), &pa, &error), ma);
  probe_mac (keyring_lookup (rb, utc (2026, 11, 25, 23, 59, 59), &pb, &error), mb);
  cr_assert_eq (pa, pb);
  cr_assert (mac_equal (ma, mb), "two keyrings of one master disagree for one period");

  probe_mac (keyring_lookup (ra, utc (2026, 11, 26, 0, 0, 0), &pa, &error), mc);
  cr_assert_eq (pa, pb + 1);
  cr_assert_not (mac_equal (ma, mc), "two days share a derived key");
  probe_mac (keyring_lookup (rb, utc (2026, 11, 24, 23, 59, 59), &pb, &error), md);
  cr_assert_not (mac_equal (ma, md), "two days share a derived key");
  cr_assert_not (mac_equal (mc, md), "two days share a derived key");

  /* and back: the first period's key again, from the ring's slots */
  probe_mac (keyring_lookup (ra, utc (2026, 11, 25, 12, 0, 0), &pa, &error), mc);
  cr_assert (mac_equal (ma, mc), "a period's derived key changed within one run");
}

Test (keyring, derived_master_length_counts)
{
  /* a 16-byte master is used as 16 bytes (not padded to 32) */
  g_autofree char *path = tmp_path ("short.key");
  g_autoptr (GError) error = NULL;
  g_autoptr (LnKeyring) ring = NULL;
  uint8_t want[LN_SHA256_LEN], got[LN_SHA256_LEN];
  int64_t period;

  write_text_mode (path, "000102030405060708090a0b0c0d0e0f\n", 0600);
  ring = keyring_new_derived (path, LN_PERIOD_DAILY, &error);
  cr_assert_not_null (ring);
  {
    uint8_t master[16];
    int i;
    for (i = 0; i < 16; i++)
      master[i] = (uint8_t) i;
    expected_derived_mac (master, sizeof master, "2026-11-25", want);
  }
  probe_mac (keyring_lookup (ring, now_epoch (), &period, &error), got);
  cr_assert (mac_equal (want, got));
}

/* Records of the same instant written with different offsets share a
 * period; 23:59:59 -0700 is already the next UTC day. */
Test (keyring, derived_period_of_record_offsets)
{
  g_autofree char *path = write_fixed_key ("m.key");
  g_autoptr (GError) error = NULL;
  g_autoptr (LnKeyring) ring = keyring_new_derived (path, LN_PERIOD_DAILY, &error);
  static const char *const texts[] = { "25/Nov/2026:23:59:59 -0700",
                                       "26/Nov/2026:06:59:59 +0000",
                                       "26/Nov/2026:20:59:59 +1400" };
  uint8_t want[LN_SHA256_LEN], got[LN_SHA256_LEN];
  size_t i;

  cr_assert_not_null (ring);
  expected_derived_mac (fixed_key, sizeof fixed_key, "2026-11-26", want);
  for (i = 0; i < N_ELEMS (texts); i++)
    {
      LnTime t;
      int64_t period;

      cr_assert (clftime_parse (span_make (texts[i], strlen (texts[i])), &t));
      probe_mac (keyring_lookup (ring, t.epoch, &period, &error), got);
      cr_assert (mac_equal (want, got), "[%s] did not get the key of 2026-11-26", texts[i]);
    }
}

/* ------------------------------------------------------ rotating keyring */

Test (keyring, rotating_creates_dir_0700)
{
  g_autofree char *dir = tmp_path ("new/keys");
  g_autoptr (GError) error = NULL;
  g_autoptr (LnKeyring) ring = NULL;
  struct stat st;

  umask (0);
  ring = keyring_new_rotating (dir, LN_PERIOD_DAILY, 7, now_epoch (), &error);
  umask (022);
  cr_assert_not_null (ring, "%s", error ? error->message : "");
  cr_assert_eq (stat (dir, &st), 0, "the key directory was not created");
  cr_assert (S_ISDIR (st.st_mode));
  cr_assert_eq (st.st_mode & 07777, 0700, "mode %04o", (unsigned) (st.st_mode & 07777));
  cr_assert_eq (keyring_period (ring), LN_PERIOD_DAILY);
  cr_assert_null (keyring_static_key (ring), "a rotating keyring has a key per period");
  /* nothing is created before a record needs it */
  cr_assert_eq (count_entries (dir, "", NULL), 0);
}

Test (keyring, rotating_refuses_unsafe_dir)
{
  static const mode_t modes[] = { 0770, 0720, 0702, 0777 };
  g_autofree char *dir = tmp_path ("keys");
  g_autofree char *file = tmp_path ("plain-file");
  size_t i;

  cr_assert_eq (mkdir (dir, 0700), 0);
  for (i = 0; i < N_ELEMS (modes); i++)
    {
      g_autoptr (GError) error = NULL;
      LnKeyring *ring;

      cr_assert_eq (chmod (dir, modes[i]), 0);
      ring = keyring_new_rotating (dir, LN_PERIOD_DAILY, 7, now_epoch (), &error);
      cr_assert_null (ring, "key directory of mode %04o accepted", (unsigned) modes[i]);
      cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_SETUP));
      cr_assert_not_null (strstr (error->message, dir), "%s", error->message);
    }
  {
    g_autoptr (GError) error = NULL;

    write_text_mode (file, "x", 0600);
    cr_assert_null (keyring_new_rotating (file, LN_PERIOD_DAILY, 7, now_epoch (), &error),
                    "a plain file accepted as key directory");
    cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_SETUP));
  }
  if (geteuid () == 0)
    {
      g_autoptr (GError) error = NULL;

      cr_assert_eq (chmod (dir, 0700), 0);
      cr_assert_eq (chown (dir, NOBODY, NOBODY), 0);
      cr_assert_null (keyring_new_rotating (dir, LN_PERIOD_DAILY, 7, now_epoch (), &error),
                      "a key directory owned by uid %d accepted", NOBODY);
      cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_SETUP));
    }
}

Test (keyring, rotating_creates_key_on_first_lookup)
{
  g_autofree char *dir = tmp_path ("keys");
  g_autofree char *key_path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LnKeyring) ring = keyring_new_rotating (dir, LN_PERIOD_DAILY, 7, now_epoch (),
                                                     &error);
  g_autoptr (LnKeyring) again = NULL;
  const LnHmacKey *k1, *k2, *k3;
  uint8_t file_key[64], want[LN_SHA256_LEN], got[LN_SHA256_LEN], other[LN_SHA256_LEN];
  int64_t p1 = -1, p2 = -1, p3 = -1;
  struct stat st;

  cr_assert_not_null (ring);
  k1 = keyring_lookup (ring, utc (2026, 11, 25, 0, 0, 0), &p1, &error);
  cr_assert_not_null (k1, "%s", error ? error->message : "");
  cr_assert_eq (p1, day_index (2026, 11, 25));
  key_path = g_build_filename (dir, "2026-11-25.key", NULL);
  cr_assert_eq (lstat (key_path, &st), 0, "no 2026-11-25.key after the first lookup");
  cr_assert (S_ISREG (st.st_mode));
  cr_assert_eq (st.st_mode & 07777, 0600, "key file mode %04o",
                (unsigned) (st.st_mode & 07777));
  cr_assert_eq (count_entries (dir, "", NULL), 1, "more than the key file was left behind");
  cr_assert_eq (parse_key_file (key_path, file_key), 32);
  probe_mac_raw (file_key, 32, want);
  probe_mac (k1, got);
  cr_assert (mac_equal (want, got), "the key in use is not the key in the file");

  /* same period: the same key object */
  k2 = keyring_lookup (ring, utc (2026, 11, 25, 23, 59, 59), &p2, &error);
  cr_assert_eq (k2, k1, "same period, another key object");
  cr_assert_eq (p2, p1);

  /* the next day: another file, another key; the first one unchanged */
  k3 = keyring_lookup (ring, utc (2026, 11, 26, 0, 0, 0), &p3, &error);
  cr_assert_not_null (k3, "%s", error ? error->message : "");
  cr_assert_eq (p3, p1 + 1);
  {
    g_autofree char *next = g_build_filename (dir, "2026-11-26.key", NULL);
    cr_assert (exists (next));
  }
  probe_mac (k3, other);
  cr_assert_not (mac_equal (other, want), "two periods got the same random key");
  probe_mac (keyring_lookup (ring, utc (2026, 11, 25, 6, 0, 0), &p2, &error), got);
  cr_assert (mac_equal (want, got));

  /* another run on the same directory reads the existing key */
  again = keyring_new_rotating (dir, LN_PERIOD_DAILY, 7, now_epoch (), &error);
  cr_assert_not_null (again);
  probe_mac (keyring_lookup (again, utc (2026, 11, 25, 18, 0, 0), &p2, &error), got);
  cr_assert (mac_equal (want, got), "a second keyring made a new key for an existing period");
  cr_assert_eq (count_entries (dir, NULL, ".key"), 2);
  cr_assert_eq (count_entries (dir, ".new-key", NULL), 0, "temporary key file left behind");
}

Test (keyring, rotating_weekly_and_monthly_file_names)
{
  g_autofree char *wdir = tmp_path ("weekly");
  g_autofree char *mdir = tmp_path ("monthly");
  g_autoptr (GError) error = NULL;
  g_autoptr (LnKeyring) w = keyring_new_rotating (wdir, LN_PERIOD_WEEKLY, 4, now_epoch (),
                                                  &error);
  g_autoptr (LnKeyring) m = keyring_new_rotating (mdir, LN_PERIOD_MONTHLY, 3, now_epoch (),
                                                  &error);
  int64_t p;

  cr_assert_not_null (w);
  cr_assert_not_null (m);
  cr_assert_not_null (keyring_lookup (w, now_epoch (), &p, &error));
  cr_assert_not_null (keyring_lookup (m, now_epoch (), &p, &error));
  {
    g_autofree char *wk = g_build_filename (wdir, "2026-W48.key", NULL);
    g_autofree char *mk = g_build_filename (mdir, "2026-11.key", NULL);
    cr_assert (exists (wk), "no 2026-W48.key");
    cr_assert (exists (mk), "no 2026-11.key");
  }
  cr_assert_eq (count_entries (wdir, "", NULL), 1);
  cr_assert_eq (count_entries (mdir, "", NULL), 1);
}

/* Fills @dir with key files of the days from @from to @to of November 2026,
 * each with the day number in every byte. */
static void
make_daily_keys (const char *dir, int from, int to)
{
  int d;

  for (d = from; d <= to; d++)
    {
      uint8_t bytes[32];
      g_autofree char *name = g_strdup_printf ("2026-11-%02d.key", d);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *text = NULL;

      memset (bytes, d, sizeof bytes);
      text = key_text (bytes, sizeof bytes);
      write_text_mode (path, text, 0600);
    }
}

Test (keyring, rotating_erases_old_keys)
{
  g_autofree char *dir = tmp_path ("keys");
  g_autofree char *outside = tmp_path ("hardlink-of-17");
  g_autoptr (GError) error = NULL;
  g_autoptr (LnKeyring) ring = NULL;
  static const char *const unrelated[] = { "README", "2026-11-01.key.bak", "2026-1-05.key",
                                           "2026-11-02.txt", "2026-W40.key", "2026-10.key" };
  size_t i;
  int d;

  cr_assert_eq (mkdir (dir, 0700), 0);
  make_daily_keys (dir, 10, 24);
  for (i = 0; i < N_ELEMS (unrelated); i++)
    {
      g_autofree char *p = g_build_filename (dir, unrelated[i], NULL);
      write_text_mode (p, "not a key of this keyring\n", 0600);
    }
  /* a second name of one doomed key shows whether its bytes are overwritten
   * in place, not only unlinked */
  {
    g_autofree char *k17 = g_build_filename (dir, "2026-11-17.key", NULL);
    cr_assert_eq (link (k17, outside), 0);
  }

  /* today 2026-11-25, retain 7: 2026-11-18 is the oldest key kept */
  ring = keyring_new_rotating (dir, LN_PERIOD_DAILY, 7, now_epoch (), &error);
  cr_assert_not_null (ring, "%s", error ? error->message : "");
  for (d = 10; d <= 24; d++)
    {
      g_autofree char *key = g_strdup_printf ("%s/2026-11-%02d.key", dir, d);
      g_autofree char *tomb = g_strdup_printf ("%s/2026-11-%02d.erased", dir, d);

      if (d < 18)
        {
          cr_assert_not (exists (key), "2026-11-%02d.key is older than the retention but "
                         "still there", d);
          cr_assert (exists (tomb), "no tombstone 2026-11-%02d.erased", d);
        }
      else
        {
          uint8_t bytes[64];

          cr_assert (exists (key), "2026-11-%02d.key is within the retention but was erased",
                     d);
          cr_assert_not (exists (tomb), "tombstone for a kept key 2026-11-%02d", d);
          cr_assert_eq (parse_key_file (key, bytes), 32);
          cr_assert_eq (bytes[0], d, "kept key 2026-11-%02d was changed", d);
        }
    }
  for (i = 0; i < N_ELEMS (unrelated); i++)
    {
      g_autofree char *p = g_build_filename (dir, unrelated[i], NULL);
      g_autofree char *text = NULL;

      cr_assert (exists (p), "unrelated file %s was removed", unrelated[i]);
      text = read_text (p);
      cr_assert_str_eq (text, "not a key of this keyring\n", "%s was changed", unrelated[i]);
    }
  {
    gchar *text = NULL;
    gsize len = 0, j;

    cr_assert (g_file_get_contents (outside, &text, &len, NULL));
    cr_assert_eq (len, 79, "the erased key's bytes were not overwritten in place");
    for (j = 0; j < len; j++)
      cr_assert_eq (text[j], 0, "erased key byte %zu still %02x", j, (unsigned char) text[j]);
    g_free (text);
  }
}

Test (keyring, rotating_erased_period_is_never_recreated)
{
  g_autofree char *dir = tmp_path ("keys");
  g_autofree char *k17 = NULL, *k01 = NULL, *k22 = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LnKeyring) ring = NULL;
  g_autoptr (LnKeyring) again = NULL;
  const LnHmacKey *k;
  uint8_t want[LN_SHA256_LEN], got[LN_SHA256_LEN];
  int64_t p = -1;

  cr_assert_eq (mkdir (dir, 0700), 0);
  make_daily_keys (dir, 16, 18);
  {
    /* erased by hand within the retention: only a tombstone */
    g_autofree char *tomb = g_build_filename (dir, "2026-11-22.erased", NULL);
    write_text_mode (tomb, "", 0600);
  }
  ring = keyring_new_rotating (dir, LN_PERIOD_DAILY, 7, now_epoch (), &error);
  cr_assert_not_null (ring);
  k17 = g_build_filename (dir, "2026-11-17.key", NULL);
  k01 = g_build_filename (dir, "2026-11-01.key", NULL);
  k22 = g_build_filename (dir, "2026-11-22.key", NULL);

  /* erased now (tombstone) */
  k = keyring_lookup (ring, utc (2026, 11, 17, 12, 0, 0), &p, &error);
  cr_assert_null (k, "a key was handed out for the erased period 2026-11-17");
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_KEY_ERASED),
             "error %s", error ? error->message : "none");
  cr_assert_not_null (strstr (error->message, "2026-11-17"), "%s", error->message);
  cr_assert_not (exists (k17), "2026-11-17.key was recreated");
  g_clear_error (&error);

  /* older than the retention, never had a key */
  k = keyring_lookup (ring, utc (2026, 11, 1, 12, 0, 0), &p, &error);
  cr_assert_null (k, "a key was created for 2026-11-01, older than the retention");
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_KEY_ERASED));
  cr_assert_not (exists (k01), "2026-11-01.key was created");
  g_clear_error (&error);

  /* within the retention but with a tombstone */
  k = keyring_lookup (ring, utc (2026, 11, 22, 12, 0, 0), &p, &error);
  cr_assert_null (k, "a fresh key was made for 2026-11-22 despite its tombstone");
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_KEY_ERASED));
  cr_assert_not (exists (k22), "2026-11-22.key was recreated");
  g_clear_error (&error);

  /* the oldest kept period still works and uses the file's key */
  k = keyring_lookup (ring, utc (2026, 11, 18, 0, 0, 0), &p, &error);
  cr_assert_not_null (k, "%s", error ? error->message : "");
  {
    uint8_t bytes[32];
    memset (bytes, 18, sizeof bytes);
    probe_mac_raw (bytes, sizeof bytes, want);
  }
  probe_mac (k, got);
  cr_assert (mac_equal (want, got), "2026-11-18 does not use its key file");

  /* a later run still refuses */
  again = keyring_new_rotating (dir, LN_PERIOD_DAILY, 7, now_epoch (), &error);
  cr_assert_not_null (again);
  cr_assert_null (keyring_lookup (again, utc (2026, 11, 17, 0, 0, 0), &p, &error));
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_KEY_ERASED));
  cr_assert_not (exists (k17));
  cr_assert_eq (count_entries (dir, ".new-key", NULL), 0);
}

Test (keyring, rotating_future_and_retain_zero)
{
  g_autofree char *dir = tmp_path ("keys");
  g_autoptr (GError) error = NULL;
  g_autoptr (LnKeyring) ring = NULL;
  int64_t p;

  cr_assert_eq (mkdir (dir, 0700), 0);
  make_daily_keys (dir, 24, 24);
  ring = keyring_new_rotating (dir, LN_PERIOD_DAILY, 0, now_epoch (), &error);
  cr_assert_not_null (ring);
  {
    g_autofree char *k24 = g_build_filename (dir, "2026-11-24.key", NULL);
    g_autofree char *t24 = g_build_filename (dir, "2026-11-24.erased", NULL);
    cr_assert_not (exists (k24), "retain 0 keeps yesterday's key");
    cr_assert (exists (t24));
  }
  cr_assert_not_null (keyring_lookup (ring, now_epoch (), &p, &error), "today refused");
  /* tomorrow is allowed (clock skew); the day after is not */
  cr_assert_not_null (keyring_lookup (ring, utc (2026, 11, 26, 23, 59, 59), &p, &error),
                      "%s", error ? error->message : "");
  cr_assert_null (keyring_lookup (ring, utc (2026, 11, 27, 0, 0, 0), &p, &error),
                  "a key was created two periods in the future");
  cr_assert_not_null (error);
  {
    g_autofree char *k27 = g_build_filename (dir, "2026-11-27.key", NULL);
    cr_assert_not (exists (k27));
  }
}

Test (keyring, rotating_weekly_erasure)
{
  g_autofree char *dir = tmp_path ("keys");
  g_autoptr (GError) error = NULL;
  g_autoptr (LnKeyring) ring = NULL;
  static const char *const weeks[] = { "2026-W42", "2026-W43", "2026-W44", "2026-W47" };
  size_t i;

  cr_assert_eq (mkdir (dir, 0700), 0);
  for (i = 0; i < N_ELEMS (weeks); i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s.key", dir, weeks[i]);
      g_autofree char *text = key_text (fixed_key, sizeof fixed_key);
      write_text_mode (path, text, 0600);
    }
  /* now in 2026-W48, retain 4: W44 is the oldest kept */
  ring = keyring_new_rotating (dir, LN_PERIOD_WEEKLY, 4, now_epoch (), &error);
  cr_assert_not_null (ring);
  for (i = 0; i < N_ELEMS (weeks); i++)
    {
      g_autofree char *key = g_strdup_printf ("%s/%s.key", dir, weeks[i]);
      g_autofree char *tomb = g_strdup_printf ("%s/%s.erased", dir, weeks[i]);
      gboolean old = i < 2;

      cr_assert_eq (exists (key), !old, "%s.key %s", weeks[i], old ? "kept" : "erased");
      cr_assert_eq (exists (tomb), old, "%s.erased", weeks[i]);
    }
}

/* An existing key file that became readable by others is refused, not
 * silently replaced by a fresh key. */
Test (keyring, rotating_refuses_exposed_key_file)
{
  g_autofree char *dir = tmp_path ("keys");
  g_autofree char *key = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LnKeyring) ring = NULL;
  int64_t p;

  cr_assert_eq (mkdir (dir, 0700), 0);
  make_daily_keys (dir, 25, 25);
  key = g_build_filename (dir, "2026-11-25.key", NULL);
  cr_assert_eq (chmod (key, 0644), 0);
  ring = keyring_new_rotating (dir, LN_PERIOD_DAILY, 7, now_epoch (), &error);
  cr_assert_not_null (ring);
  cr_assert_null (keyring_lookup (ring, now_epoch (), &p, &error),
                  "a mode 0644 period key was used");
  cr_assert (g_error_matches (error, LN_ERROR, LN_ERROR_SETUP));
  cr_assert_not_null (strstr (error->message, "0644"), "%s", error->message);
  {
    uint8_t bytes[64];
    cr_assert_eq (parse_key_file (key, bytes), 32);
    cr_assert_eq (bytes[0], 25, "the exposed key file was replaced");
  }
}

/* A lookup that fails must not leave the slot it recycled reachable: after
 * 16 periods (the keyring's slot count) the next new period reuses the slot
 * of the most recent lookup. */
Test (keyring, failed_lookup_leaves_no_wiped_key)
{
  g_autofree char *dir = tmp_path ("keys");
  g_autoptr (GError) error = NULL;
  g_autoptr (LnKeyring) ring = NULL;
  uint8_t want[LN_SHA256_LEN], got[LN_SHA256_LEN];
  const LnHmacKey *k;
  int64_t p;
  int d;

  cr_assert_eq (mkdir (dir, 0700), 0);
  make_daily_keys (dir, 1, 24);
  ring = keyring_new_rotating (dir, LN_PERIOD_DAILY, 30, now_epoch (), &error);
  cr_assert_not_null (ring);
  /* 16 distinct periods fill the 16 slots: 2026-11-01 .. 2026-11-16 */
  for (d = 1; d <= 16; d++)
    cr_assert_not_null (keyring_lookup (ring, utc (2026, 11, d, 12, 0, 0), &p, &error));
  /* back to the first: the most recent lookup is now slot 0 */
  k = keyring_lookup (ring, utc (2026, 11, 1, 12, 0, 0), &p, &error);
  cr_assert_not_null (k);
  probe_mac (k, want);
  /* a period that cannot get a key (in the future) recycles slot 0 and fails */
  cr_assert_null (keyring_lookup (ring, utc (2026, 12, 25, 12, 0, 0), &p, &error));
  g_clear_error (&error);
  /* 2026-11-01 again must still give its own key, not a wiped state */
  k = keyring_lookup (ring, utc (2026, 11, 1, 12, 0, 0), &p, &error);
  cr_assert_not_null (k, "%s", error ? error->message : "");
  probe_mac (k, got);
  {
    uint8_t bytes[32];
    uint8_t file_mac[LN_SHA256_LEN];

    memset (bytes, 1, sizeof bytes);
    probe_mac_raw (bytes, sizeof bytes, file_mac);
    cr_assert (mac_equal (want, file_mac));
  }
  cr_assert (mac_equal (want, got), "after a failed lookup, period 2026-11-01 got a "
             "different (wiped, all-zero) key state: keyring_lookup returned the "
             "recycled slot through ring->last without checking that it is valid");
}

/* ----------------------------------------------------------- concurrency */

TestSuite (concurrency, .init = make_tmp, .fini = remove_tmp);

/* @children processes wait at a barrier, then each creates a keyring on
 * @dir and writes the MAC of the probe under today's key to its pipe.  All
 * must agree, and exactly one key file must exist. */
static void
race (const char *dir, int children)
{
  int barrier[2];
  int results[16][2];
  pid_t pids[16];
  uint8_t macs[16][LN_SHA256_LEN];
  int i;

  cr_assert_leq (children, 16);
  cr_assert_eq (pipe (barrier), 0);
  for (i = 0; i < children; i++)
    {
      cr_assert_eq (pipe (results[i]), 0);
      pids[i] = fork ();
      cr_assert_geq (pids[i], 0);
      if (pids[i] == 0)
        {
          char c;
          GError *error = NULL;
          LnKeyring *ring;
          const LnHmacKey *k;
          uint8_t mac[LN_SHA256_LEN];
          int64_t p;

          close (barrier[1]);
          close (results[i][0]);
          if (read (barrier[0], &c, 1) < 0)     /* EOF: everybody go */
            _exit (5);
          ring = keyring_new_rotating (dir, LN_PERIOD_DAILY, 7, now_epoch (), &error);
          if (ring == NULL)
            _exit (2);
          k = keyring_lookup (ring, now_epoch (), &p, &error);
          if (k == NULL)
            _exit (3);
          probe_mac (k, mac);
          if (write (results[i][1], mac, sizeof mac) != (ssize_t) sizeof mac)
            _exit (4);
          _exit (0);
        }
      close (results[i][1]);
    }
  close (barrier[0]);
  usleep (20000);
  close (barrier[1]);
  for (i = 0; i < children; i++)
    {
      int status;
      ssize_t n;

      cr_assert_eq (waitpid (pids[i], &status, 0), pids[i]);
      cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                 "child %d failed (status %d)", i, status);
      n = read (results[i][0], macs[i], LN_SHA256_LEN);
      cr_assert_eq (n, LN_SHA256_LEN);
      close (results[i][0]);
    }
  for (i = 1; i < children; i++)
    cr_assert (mac_equal (macs[0], macs[i]),
               "process %d used another key than process 0 for the same period", i);
  cr_assert_eq (count_entries (dir, NULL, ".key"), 1, "not exactly one key file");
  cr_assert_eq (count_entries (dir, ".new-key", NULL), 0, "temporary key files left");
  {
    g_autofree char *path = g_build_filename (dir, "2026-11-25.key", NULL);
    uint8_t bytes[64], mac[LN_SHA256_LEN];

    cr_assert_eq (parse_key_file (path, bytes), 32);
    probe_mac_raw (bytes, 32, mac);
    cr_assert (mac_equal (mac, macs[0]), "the processes agree on a key not in the file");
  }
}

Test (concurrency, eight_processes_empty_dir, .timeout = 30)
{
  int round;

  for (round = 0; round < 10; round++)
    {
      g_autofree char *name = g_strdup_printf ("keys-%d", round);
      g_autofree char *dir = tmp_path (name);

      cr_assert_eq (mkdir (dir, 0700), 0);
      race (dir, 8);
    }
}

Test (concurrency, eight_processes_missing_dir, .timeout = 30)
{
  int round;

  for (round = 0; round < 10; round++)
    {
      g_autofree char *name = g_strdup_printf ("missing-%d/keys", round);
      g_autofree char *dir = tmp_path (name);

      race (dir, 8);
    }
}


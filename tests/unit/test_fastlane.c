/* test_fastlane.c - the fused line path against the general path.
 *
 * For each option set the fused path supports, two pipelines are built
 * from the same options: one as lognym runs, one with the fused path
 * switched off.  Every line of every log in tests/data, generated lines
 * and mutations of both (cut at every offset, bytes flipped, quotes,
 * spaces, backslashes and addresses inserted, long lines) go through
 * pipeline_line() of both, with each terminator, and must give the same
 * outcome, status, column and output bytes and the same statistics after
 * every line.  A line the fused path takes must be one the general path
 * writes (never a malformed one), and the fused path must take most plain
 * lines: one that takes nothing would pass the comparison.  For CSV and
 * JSON Lines, the record the fused path hands the writer must also be the
 * general path's, field by field, including what no column shows.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "cli.h"
#include "geo.h"
#include "key.h"
#include "pipeline.h"

#define SEED 20261126

typedef struct {
  const char *name;
  const char *args[8];       /* after "lognym", NULL-terminated */
} Config;

/* Option sets the fused path takes (with their formats' lines). */
static const Config fused_configs[] = {
  { "default", { NULL } },
  { "prefixes", { "-4", "16", "-6", "32", NULL } },
  { "short prefixes", { "-4", "8", "-6", "0", NULL } },
  /* whole octets kept or dropped as text (ipaddr_truncate_v4_text_ssse3) */
  { "no IPv4 bits", { "-4", "0", NULL } },
  { "all IPv4 bits", { "-4", "32", "-6", "128", NULL } },
  { "keep ua+referer", { "--user-agent=keep", "--referer=keep", NULL } },
  { "strip-query", { "--referer=strip-query", NULL } },
  { "referer drop", { "--referer=drop", NULL } },
  { "residual off", { "--residual=off", NULL } },
  { "residual malformed", { "--residual=malformed", "--user-agent=keep", NULL } },
  { "redact", { "--malformed=redact", NULL } },
  { "common", { "-f", "common", NULL } },
  { "combined", { "-f", "combined", NULL } },
  { "%a", { "-f", "%a %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"", NULL } },
  { "nginx", { "--nginx-format", "$remote_addr - $remote_user [$time_local] \"$request\" "
               "$status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"", NULL } },
  /* %{User-Agent}i stays a user agent, whatever --keep-header says */
  { "keep header", { "--keep-header=User-Agent", "--user-agent=keep", NULL } },
  /* "(sse2)": the copies without AVX2 of the combined formats, on any CPU */
  { "default (sse2)", { NULL } },
  { "keep ua+referer (sse2)", { "--user-agent=keep", "--referer=keep", NULL } },
  { "nginx (sse2)", { "--nginx-format", "$remote_addr - $remote_user [$time_local] "
                      "\"$request\" $status $body_bytes_sent \"$http_referer\" "
                      "\"$http_user_agent\"", NULL } },
  { "nginx short", { "--nginx-format", "$remote_addr - $remote_user [$time_local] "
                     "\"$request\" $status $bytes_sent", NULL } },
  /* the pseudonym modes ("@KEY@": a key made for the run) */
  { "hmac", { "--ip=hmac", "-k", "@KEY@", NULL } },
  { "hmac-ipv6", { "--ip=hmac-ipv6", "-k", "@KEY@", "--user-agent=keep", NULL } },
  { "truncate+hmac", { "--ip=truncate+hmac", "-k", "@KEY@", "-4", "16", NULL } },
  { "derived daily keys", { "--ip=hmac", "-k", "@KEY@", "--derive", "daily", NULL } },
  /* "@GEO@": tests/data/geo/MaxMind-DB-test-broken-pointers-24.mmdb, an
   * IPv4 database: IPv6 lookups fail and count as errors */
  { "geo", { "--geo-db", "@GEO@", "--geo-path", "country/iso_code", NULL } },
  { "geo hmac", { "--geo-db", "@GEO@", "--geo-path", "country/iso_code",
                  "--ip=truncate+hmac", "-k", "@KEY@", NULL } },
  /* CSV and JSON Lines: the record filled for the writer */
  { "csv", { "-O", "csv", NULL } },
  { "jsonl", { "-O", "jsonl", NULL } },
  { "csv (sse2)", { "-O", "csv", "--user-agent=keep", NULL } },
  { "jsonl keep", { "-O", "jsonl", "--user-agent=keep", "--referer=keep", NULL } },
  { "csv fields", { "-O", "csv", "--fields",
                    "time,client,request,status,bytes,referer,user_agent", NULL } },
  { "jsonl fields", { "-O", "jsonl", "--user-agent=keep", "--fields",
                      "user,method,path,query,protocol,client,vhost,port,duration_us,time",
                      NULL } },
  { "csv strip-query", { "-O", "csv", "--referer=strip-query", "--residual=malformed",
                         NULL } },
  { "jsonl referer drop", { "-O", "jsonl", "--referer=drop", "--residual=off", NULL } },
  { "csv common", { "-O", "csv", "-f", "common", NULL } },
  { "jsonl nginx", { "-O", "jsonl", "--nginx-format", "$remote_addr - $remote_user "
                     "[$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" "
                     "\"$http_user_agent\"", NULL } },
  { "csv nginx short", { "-O", "csv", "--nginx-format", "$remote_addr - $remote_user "
                         "[$time_local] \"$request\" $status $bytes_sent", NULL } },
  { "csv hmac", { "-O", "csv", "--ip=hmac", "-k", "@KEY@", NULL } },
  { "jsonl truncate+hmac", { "-O", "jsonl", "--ip=truncate+hmac", "-k", "@KEY@", "-4", "16",
                             NULL } },
};

/* Option sets it must leave alone: no pipeline of these takes a line. */
static const Config general_configs[] = {
  { "convert", { "-f", "combined", "-O", "common", NULL } },
  { "drop", { "--ip=drop", NULL } },
  { "family", { "--user-agent=family", NULL } },
  { "user keep", { "--remote-user=keep", NULL } },
  { "ident keep", { "--ident=keep", NULL } },
  { "query", { "--query=strip", NULL } },
  { "vhost", { "-f", "vhost_combined", NULL } },
  { "header", { "-f", "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{X-Foo}i\"", NULL } },
  { "csv family", { "-O", "csv", "--user-agent=family", NULL } },
  { "jsonl query", { "-O", "jsonl", "--query=strip", NULL } },
  { "csv aggregate", { "-O", "csv", "--aggregate", "day", NULL } },
  { "jsonl vhost", { "-O", "jsonl", "-f", "vhost_combined", NULL } },
  /* a record would need the country; --strict checks after each line */
  { "csv geo", { "-O", "csv", "--geo-db", "@GEO@", "--geo-path", "country/iso_code", NULL } },
  { "geo strict", { "--geo-db", "@GEO@", "--geo-path", "country/iso_code", "--strict",
                    NULL } },
};

typedef struct {
  const Config *config;
  LnOptions *options;
  LnPipeline fused, general;
  LnBuf out_fused, out_general;
  guint64 lines, accepted, written, malformed;
} Pair;

static Pair pairs[G_N_ELEMENTS (fused_configs)];
static char *key_dir, *key_file;
static GRand *rng;
static GPtrArray *corpus;      /* GByteArray per line, no terminator */

static LnOptions *
parse_options (const Config *c)
{
  GPtrArray *owned = g_ptr_array_new_with_free_func (g_free);
  GError *error = NULL;
  char **argv;
  LnOptions *o;
  guint i;

  g_ptr_array_add (owned, g_strdup ("lognym"));
  g_ptr_array_add (owned, g_strdup ("--no-progress"));
  for (i = 0; c->args[i]; i++)
    if (strcmp (c->args[i], "@KEY@") == 0)
      g_ptr_array_add (owned, g_strdup (key_file));
    else if (strcmp (c->args[i], "@GEO@") == 0)
      g_ptr_array_add (owned, g_build_filename (g_getenv ("TESTS_SRCDIR"), "data", "geo",
                                                "MaxMind-DB-test-broken-pointers-24.mmdb", NULL));
    else
      g_ptr_array_add (owned, g_strdup (c->args[i]));
  argv = g_new0 (char *, owned->len + 1);
  for (i = 0; i < owned->len; i++)
    argv[i] = owned->pdata[i];
  o = cli_parse ((int) owned->len, argv, &error);
  g_free (argv);
  g_ptr_array_free (owned, TRUE);
  cr_assert_not_null (o, "%s: %s", c->name, error ? error->message : "?");
  return o;
}

static void
setup (void)
{
  size_t i;

  GError *error = NULL;

  g_unsetenv ("LOGNYM_NO_FASTLANE");
  key_dir = g_dir_make_tmp ("lognym-fastlane-XXXXXX", NULL);
  cr_assert_not_null (key_dir);
  key_file = g_build_filename (key_dir, "k.key", NULL);
  cr_assert (key_generate_file (key_file, &error), "%s", error ? error->message : "?");
  for (i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      Pair *p = &pairs[i];

      memset (p, 0, sizeof *p);
      p->config = &fused_configs[i];
      p->options = parse_options (p->config);
      cr_assert (pipeline_init (&p->fused, p->options, NULL, &error), "%s: %s",
                 p->config->name, error ? error->message : "?");
      cr_assert (pipeline_init (&p->general, p->options, NULL, &error), "%s: %s",
                 p->config->name, error ? error->message : "?");
      cr_assert (p->fused.fastlane.enabled, "%s: the fused path is off", p->config->name);
      p->general.fastlane.enabled = FALSE;
      if (g_str_has_suffix (p->config->name, "(sse2)"))
        p->fused.fastlane.avx2 = FALSE;
      buf_init (&p->out_fused, 4096);
      buf_init (&p->out_general, 4096);
    }
  rng = g_rand_new_with_seed (SEED);
  corpus = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
}

static void
teardown (void)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      pipeline_clear (&pairs[i].fused);
      pipeline_clear (&pairs[i].general);
      buf_clear (&pairs[i].out_fused);
      buf_clear (&pairs[i].out_general);
      cli_options_free (pairs[i].options);
    }
  g_rand_free (rng);
  g_ptr_array_unref (corpus);
  g_unlink (key_file);
  g_rmdir (key_dir);
  g_free (key_file);
  g_free (key_dir);
}

TestSuite (fastlane, .init = setup, .fini = teardown);

/* Everything --stats and --stats-file print, but the clock. */
static void
expect_same_stats (const Pair *p, LnSpan line)
{
  const LnPipelineStats *a = &p->fused.stats, *b = &p->general.stats;
  int n = (int) MIN (line.len, 300);

  cr_assert (a->lines_read == b->lines_read && a->lines_written == b->lines_written
             && a->malformed == b->malformed && a->redacted == b->redacted
             && memcmp (a->by_reason, b->by_reason, sizeof a->by_reason) == 0,
             "%s: line counts differ after \"%.*s\"", p->config->name, n, line.p);
  cr_assert (memcmp (&p->fused.anon.stats, &p->general.anon.stats,
                     sizeof p->fused.anon.stats) == 0,
             "%s: client or residual counts differ after \"%.*s\"", p->config->name, n,
             line.p);
  if (p->fused.geo != NULL)
    cr_assert_eq (geo_error_count (p->fused.geo), geo_error_count (p->general.geo),
                  "%s: geo error counts differ after \"%.*s\"", p->config->name, n, line.p);
}

/* The records of both pipelines of @p after the fused one took @line for
 * a column writer: what parser_parse() and anon_record() make of it, all
 * of it, not only what the columns of this run show. */
static void
expect_same_record (const Pair *p, LnSpan line)
{
  const LnRecord *a = &p->fused.record, *b = &p->general.record;
  int n = (int) MIN (line.len, 300);
  size_t i;

  cr_assert (a->line.p == b->line.p && a->line.len == b->line.len
             && a->eol.p == b->eol.p && a->eol.len == b->eol.len
             && a->format_index == b->format_index && a->nfields == b->nfields
             && memcmp (a->first, b->first, sizeof a->first) == 0
             && a->has_time == b->has_time && a->time.epoch == b->time.epoch
             && a->time.utc_offset == b->time.utc_offset && a->status == b->status
             && memcmp (a->country, b->country, sizeof a->country) == 0
             && a->has_visitor == b->has_visitor
             && (!a->has_visitor || a->visitor == b->visitor),
             "%s: the records differ for \"%.*s\"", p->config->name, n, line.p);
  for (i = 0; i < a->nfields; i++)
    {
      const LnField *fa = &a->fields[i], *fb = &b->fields[i];

      cr_assert (fa->type == fb->type && fa->raw.p == fb->raw.p && fa->raw.len == fb->raw.len
                 && fa->out.len == fb->out.len
                 && memcmp (fa->out.p, fb->out.p, fa->out.len) == 0
                 && fa->in_arena == fb->in_arena
                 && (!fa->in_arena || fa->arena_off == fb->arena_off),
                 "%s: field %zu differs for \"%.*s\": \"%.*s\" / \"%.*s\"",
                 p->config->name, i, n, line.p, (int) fa->out.len, fa->out.p,
                 (int) fb->out.len, fb->out.p);
      /* the arena's text, or the line's own bytes, or a constant: where
       * the general path has it (a "-" kept or replaced alike) */
      cr_assert (fa->in_arena || (fa->out.p >= line.p && fa->out.p <= line.p + line.len)
                 == (fb->out.p >= line.p && fb->out.p <= line.p + line.len),
                 "%s: field %zu taken from elsewhere for \"%.*s\"", p->config->name, i, n,
                 line.p);
    }
}

/* One line through both pipelines of @p, on an exact-size heap copy so
 * that AddressSanitizer sees a read past the line. */
static void
check_pair (Pair *p, LnSpan line, LnSpan eol)
{
  LnParseStatus sa = LN_PARSE__COUNT, sb = LN_PARSE__COUNT;
  size_t ca = 7, cb = 9;
  GError *ea = NULL, *eb = NULL;
  guint64 before = p->fused.fastlane.accepted;
  LnLineOutcome oa, ob;
  int n = (int) MIN (line.len, 300);

  buf_reset (&p->out_fused);
  buf_reset (&p->out_general);
  oa = pipeline_line (&p->fused, line, eol, &p->out_fused, &sa, &ca, &ea);
  ob = pipeline_line (&p->general, line, eol, &p->out_general, &sb, &cb, &eb);
  cr_assert_eq (p->general.fastlane.accepted, 0);
  cr_assert (oa == ob && sa == sb && ca == cb,
             "%s: outcome %d/%d, status %d/%d, column %zu/%zu for \"%.*s\"",
             p->config->name, (int) oa, (int) ob, (int) sa, (int) sb, ca, cb, n, line.p);
  cr_assert (p->out_fused.len == p->out_general.len
             && memcmp (p->out_fused.data, p->out_general.data, p->out_fused.len) == 0,
             "%s: output differs for \"%.*s\":\n fused   \"%.*s\"\n general \"%.*s\"",
             p->config->name, n, line.p, (int) MIN (p->out_fused.len, 400),
             p->out_fused.data, (int) MIN (p->out_general.len, 400),
             p->out_general.data);
  expect_same_stats (p, line);
  g_clear_error (&ea);
  g_clear_error (&eb);
  p->lines++;
  if (sb == LN_PARSE_OK)
    p->written++;
  else
    p->malformed++;
  if (p->fused.fastlane.accepted != before)
    {
      cr_assert_eq (p->fused.fastlane.accepted, before + 1);
      cr_assert_eq (sb, LN_PARSE_OK, "%s: took the malformed \"%.*s\"", p->config->name,
                    n, line.p);
      if (p->fused.fastlane.writer != NULL)
        expect_same_record (p, line);
      p->accepted++;
    }
}

/* @text with each terminator the reader hands out, through every pair.
 * Returns how many pairs' fused path took it with "\n". */
static unsigned
check_line (const char *text, size_t len, gboolean all_eols)
{
  static const char *const eols[] = { "\n", "\r\n", "" };
  char *copy = g_malloc (len + 2);
  size_t i, e;
  unsigned taken = 0;

  if (len)
    memcpy (copy, text, len);     /* an empty line's text may be NULL */
  memcpy (copy + len, "\r\n", 2);
  for (i = 0; i < G_N_ELEMENTS (pairs); i++)
    for (e = 0; e < (all_eols ? G_N_ELEMENTS (eols) : 1); e++)
      {
        guint64 before = pairs[i].accepted;
        /* the terminator after the line, as in the reader's buffer */
        LnSpan eol = e == 0 ? span_make (copy + len + 1, 1)
                     : e == 1 ? span_make (copy + len, 2) : span_make (copy + len, 0);

        check_pair (&pairs[i], span_make (copy, len), eol);
        if (e == 0 && pairs[i].accepted != before)
          taken++;
      }
  g_free (copy);
  return taken;
}

/* Every line of @path, without "\n" or "\r\n" as the reader hands it out. */
static void
load_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize size;
  const char *p, *end;
  GError *error = NULL;

  cr_assert (g_file_get_contents (path, &data, &size, &error), "%s: %s", path,
             error ? error->message : "?");
  for (p = data, end = data + size; p < end;)
    {
      const char *nl = memchr (p, '\n', (size_t) (end - p));
      const char *e = nl ? nl : end;
      GByteArray *a;

      if (nl && e > p && e[-1] == '\r')
        e--;
      a = g_byte_array_new ();
      g_byte_array_append (a, (const guint8 *) p, (guint) (e - p));
      g_ptr_array_add (corpus, a);
      p = nl ? nl + 1 : end;
    }
}

/* The logs under @dir, and their expected anonymised forms, recursively. */
static void
load_dir (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;

  cr_assert_not_null (d, "cannot open %s", dir);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        load_dir (path);
      else if (g_str_has_suffix (name, ".log") || g_str_has_suffix (name, ".out")
               || g_str_has_suffix (name, ".txt") || g_str_has_suffix (name, ".tsv"))
        load_file (path);
    }
  g_dir_close (d);
}

static void
load_corpus (void)
{
  const char *srcdir = g_getenv ("TESTS_SRCDIR");
  g_autofree char *data = NULL;

  cr_assert_not_null (srcdir, "TESTS_SRCDIR is not set");
  data = g_build_filename (srcdir, "data", NULL);
  load_dir (data);
  cr_assert_gt (corpus->len, 10000, "only %u lines in tests/data", corpus->len);
}

/* Mostly one of the first @good choices (plain values), else any. */
static const char *
pick (const char *const *choices, size_t n, size_t good)
{
  if (g_rand_int_range (rng, 0, 6) != 0)
    n = good;
  return choices[g_rand_int_range (rng, 0, (gint32) n)];
}

#define PICK(a, good) pick ((a), G_N_ELEMENTS (a), (good))

/* A line of the CLF family, mostly plain, with the clients, requests,
 * referers and agents the fused path must decline (or get right) mixed
 * in: every IPv6 notation, ports, lists, addresses in free text. */
static void
generate_line (GString *s)
{
  static const char *const clients[] = {
    "192.0.2.7", "2001:db8::42", "203.0.113.255", "10.1.2.3", "2001:db8:1:2:3:4:5:6",
    "::1", "::", "::ffff:192.0.2.1", "2001:DB8::A", "fe80::1%eth0", "[2001:db8::1]",
    "[2001:db8::1]:443", "192.0.2.7:4711", "10.0.0.2, 192.0.2.9", "host.example.com",
    "-", "unknown", "001.2.3.4", "1.2.3", "256.1.1.1", "2001:0db8:0000:0000:0000:0000:0000:0001",
    "::ffff:0:192.0.2.1", "64:ff9b::192.0.2.33", "1::2::3", "a,", "0.0.0.0",
  };
  static const char *const users[] = { "-", "-", "frank", "192.0.2.8", "a b", "" };
  static const char *const idents[] = { "-", "-", "ident", "" };
  static const char *const requests[] = {
    "GET / HTTP/1.1", "GET /a?b=c&d=e HTTP/2.0", "GET /static/app.3f2a.js HTTP/1.1",
    "POST /api/v1/items/1234 HTTP/1.1", "GET /x?ip=10.1.2.3 HTTP/1.1",
    "GET http://[2001:db8::5]/ HTTP/1.1", "GET /198-51-100-7.example/ HTTP/1.0",
    "GET /7.100.51.198.in-addr.arpa HTTP/1.1", "GET /?a=2001%3Adb8%3A%3A1 HTTP/1.1",
    "GET /10.0.0.0/ HTTP/1.1", "", "-", "\\x16\\x03\\x01", "GET /x\\\"y HTTP/1.0",
  };
  static const char *const statuses[] = { "200", "404", "301", "-", "20", "2000" };
  static const char *const bytes[] = { "0", "1234", "-", "12345678901234567890", "", "1.5" };
  static const char *const referers[] = {
    "-", "https://www.example.org/", "https://t.co/aBcD3fGh1J", "http://example.com:8080/a?b",
    "android-app://com.example/", "HTTPS://EXAMPLE.ORG/X", "", "https://user:pw@host.example/",
    "http://192.0.2.1/x", "https://[2001:db8::1]:8443/", "/relative/path", "https://h/?ip=10.9.8.7",
    "https://198-51-100-7.example/", "x\"y", "a\\",
  };
  static const char *const agents[] = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.6478.30 Safari/537.36",
    "curl/8.5.0", "-", "", "Wget/1.21.3", "bot (+http://192.0.2.50/)", "curl/8.5.073.50.254.197",
    "a\\\\", "a\\\"b",
  };
  static const char *const trailers[] = { "", "", "", "", "", " \"10.0.0.1\"", " 0.123", " " };
  int combined = g_rand_int_range (rng, 0, 4) != 0;

  g_string_truncate (s, 0);
  g_string_append (s, PICK (clients, 5));
  g_string_append_c (s, ' ');
  g_string_append (s, PICK (idents, 2));
  g_string_append_c (s, ' ');
  g_string_append (s, PICK (users, 2));
  g_string_append_printf (s, " [%02d/%s/2026:%02d:%02d:%02d %s] \"",
                          g_rand_int_range (rng, 1, 29),
                          g_rand_boolean (rng) ? "Nov" : "Dec",
                          g_rand_int_range (rng, 0, 24), g_rand_int_range (rng, 0, 60),
                          g_rand_int_range (rng, 0, 60),
                          g_rand_boolean (rng) ? "+0100" : "-0700");
  g_string_append (s, PICK (requests, 4));
  g_string_append (s, "\" ");
  g_string_append (s, PICK (statuses, 3));
  g_string_append_c (s, ' ');
  g_string_append (s, PICK (bytes, 3));
  if (combined)
    {
      g_string_append (s, " \"");
      g_string_append (s, PICK (referers, 5));
      g_string_append (s, "\" \"");
      g_string_append (s, PICK (agents, 4));
      g_string_append_c (s, '"');
      g_string_append (s, PICK (trailers, 5));
    }
}

/* A byte that matters to the parsers or the scanner, or any byte. */
static char
interesting_byte (void)
{
  static const char bytes[] = " \"\\-,:.[]%0123456789abcdef\r\t\x7f\x80\xff";

  if (g_rand_int_range (rng, 0, 4) == 0)
    return (char) g_rand_int_range (rng, 0, 256);
  if (g_rand_int_range (rng, 0, 10) == 0)
    return '\0';
  return bytes[g_rand_int_range (rng, 0, (gint32) sizeof bytes - 1)];
}

/* One to three random edits of @s. */
static void
mutate (GString *s)
{
  static const char *const inserts[] = {
    "192.0.2.1", "2001:db8::1", "::ffff:10.0.0.1", "10-1-2-3", "\"", "\\", " ", "\" \"",
    "1.2.3.4:80", "[::1]", "%3A%3A1", "user@", "https://", "?ip=172.16.0.1",
  };
  int edits = g_rand_int_range (rng, 1, 4);

  while (edits-- > 0)
    {
      gsize pos = s->len ? (gsize) g_rand_int_range (rng, 0, (gint32) s->len + 1) : 0;

      switch (g_rand_int_range (rng, 0, 8))
        {
        case 0: /* flip a byte */
          if (pos < s->len)
            s->str[pos] = interesting_byte ();
          break;
        case 1: /* insert a byte */
          {
            char c = interesting_byte ();

            g_string_insert_len (s, (gssize) pos, &c, 1);
          }
          break;
        case 2: /* delete a byte */
          if (pos < s->len)
            g_string_erase (s, (gssize) pos, 1);
          break;
        case 3: /* an address, a quote, a space ... */
        case 4:
          g_string_insert (s, (gssize) pos, inserts[g_rand_int_range (rng, 0,
                                                     G_N_ELEMENTS (inserts))]);
          break;
        case 5: /* a long run */
          {
            static const char fill[] = "a0 .:\"-";
            gsize n = (gsize) g_rand_int_range (rng, 1, 3000);
            char c = fill[g_rand_int_range (rng, 0, (gint32) sizeof fill - 1)];
            char *run = g_malloc (n);

            memset (run, c, n);
            g_string_insert_len (s, (gssize) pos, run, (gssize) n);
            g_free (run);
          }
          break;
        case 6: /* a digit */
          if (pos < s->len)
            s->str[pos] = (char) ('0' + g_rand_int_range (rng, 0, 10));
          break;
        default: /* cut */
          g_string_truncate (s, pos);
          break;
        }
    }
}

/* Each pair took lines and left lines, and wrote what it took. */
static void
check_counts (guint64 min_accepted)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (pairs); i++)
    {
      const Pair *p = &pairs[i];

      cr_log_info ("%s: %llu lines, %llu written, %llu malformed, %llu by the fused path",
                   p->config->name, (unsigned long long) p->lines,
                   (unsigned long long) p->written, (unsigned long long) p->malformed,
                   (unsigned long long) p->accepted);
      cr_assert_geq (p->accepted, min_accepted, "%s: the fused path took %llu lines",
                     p->config->name, (unsigned long long) p->accepted);
      cr_assert_lt (p->accepted, p->written, "%s: the fused path took every line",
                    p->config->name);
      cr_assert_eq (p->accepted, p->fused.fastlane.accepted);
    }
}

Test (fastlane, off_where_unsupported)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (general_configs); i++)
    {
      LnOptions *o = parse_options (&general_configs[i]);
      GError *error = NULL;
      LnPipeline p;

      cr_assert (pipeline_init (&p, o, NULL, &error), "%s: %s", general_configs[i].name,
                 error ? error->message : "?");
      cr_assert (!p.fastlane.enabled, "%s: the fused path is on", general_configs[i].name);
      pipeline_clear (&p);
      cli_options_free (o);
    }
  /* and the switch the e2e tests use */
  {
    LnOptions *o = parse_options (&fused_configs[0]);
    GError *error = NULL;
    LnPipeline p;

    g_setenv ("LOGNYM_NO_FASTLANE", "1", TRUE);
    cr_assert (pipeline_init (&p, o, NULL, &error));
    g_unsetenv ("LOGNYM_NO_FASTLANE");
    cr_assert (!p.fastlane.enabled);
    pipeline_clear (&p);
    cli_options_free (o);
  }
}

/* Every line of tests/data, with each terminator. */
Test (fastlane, same_as_general_on_test_data, .timeout = 600)
{
  guint i;

  load_corpus ();
  for (i = 0; i < corpus->len; i++)
    {
      GByteArray *a = g_ptr_array_index (corpus, i);

      check_line ((const char *) a->data, a->len, TRUE);
    }
  check_counts (100);
}

/* Generated lines, then the plain ones cut at every offset and all of
 * them mutated. */
Test (fastlane, same_as_general_on_generated_lines, .timeout = 600)
{
  GString *s = g_string_new (NULL);
  GPtrArray *plain = g_ptr_array_new_with_free_func (g_free);
  guint i;
  int k;

  for (i = 0; i < 20000; i++)
    {
      generate_line (s);
      if (check_line (s->str, s->len, (i & 7) == 0) > 0 && plain->len < 200)
        g_ptr_array_add (plain, g_strndup (s->str, s->len));
    }
  check_counts (300);
  cr_assert_geq (plain->len, 200);
  for (i = 0; i < plain->len; i++)
    {
      const char *line = g_ptr_array_index (plain, i);
      size_t len = strlen (line), cut;

      for (cut = 0; cut < len; cut++)
        check_line (line, cut, FALSE);
    }
  for (i = 0; i < 20000; i++)
    {
      generate_line (s);
      for (k = 0; k < 3; k++)
        {
          GString *m = g_string_new_len (s->str, (gssize) s->len);

          mutate (m);
          check_line (m->str, m->len, FALSE);
          g_string_free (m, TRUE);
        }
    }
  g_ptr_array_unref (plain);
  g_string_free (s, TRUE);
}

/* The lines of tests/data mutated. */
Test (fastlane, same_as_general_on_mutated_test_data, .timeout = 600)
{
  GString *s = g_string_new (NULL);
  guint i;
  int k;

  load_corpus ();
  for (i = 0; i < corpus->len; i++)
    {
      GByteArray *a = g_ptr_array_index (corpus, i);

      for (k = 0; k < 2; k++)
        {
          g_string_truncate (s, 0);
          g_string_append_len (s, (const char *) a->data, (gssize) a->len);
          mutate (s);
          check_line (s->str, s->len, FALSE);
        }
    }
  g_string_free (s, TRUE);
}

/* The referer's origin (origin_avx2 in fastlane.c, fields_referer()
 * elsewhere): a host of every length around the 32-byte load, ended by
 * each stop or by the URL's end, with user information, a port, a digit
 * or a ':' at every place in it, and agents short and long, so that the
 * load fits before the line's end or not. */
Test (fastlane, same_as_general_on_referer_origins, .timeout = 600)
{
  static const char *const schemes[] = { "https://", "http://", "HTTPS://", "ftp://", "https:/" };
  static const char *const ends[] = { "", "/", "/a/b?c=1", "?q", "#f", ":8080/x", "@h/" };
  static const char *const agents[] = { "-", "curl/8", "Mozilla/5.0 (X11; Linux x86_64) Gecko" };
  static const char marks[] = "a.-@:7/?#";
  GString *s = g_string_new (NULL);
  unsigned taken = 0;
  size_t sc, len, e, a, at, m;

  for (sc = 0; sc < G_N_ELEMENTS (schemes); sc++)
    for (len = 0; len <= 40; len++)
      for (e = 0; e < G_N_ELEMENTS (ends); e++)
        for (a = 0; a < G_N_ELEMENTS (agents); a++)
          for (at = 0; at <= len; at += len < 8 ? 1 : 5)
            for (m = 0; m < sizeof marks - 1; m += (sc == 0 ? 1 : 4))
              {
                size_t k;

                g_string_assign (s, "192.0.2.7 - - [25/Nov/2026:00:00:00 +0100] "
                                    "\"GET / HTTP/1.1\" 200 512 \"");
                g_string_append (s, schemes[sc]);
                for (k = 0; k < len; k++)
                  g_string_append_c (s, k == at ? marks[m] : "wexample"[k % 8]);
                g_string_append (s, ends[e]);
                g_string_append (s, "\" \"");
                g_string_append (s, agents[a]);
                g_string_append_c (s, '"');
                taken += check_line (s->str, s->len, FALSE) > 0;
              }
  cr_assert_gt (taken, 1000, "the fused path took %u lines", taken);
  g_string_free (s, TRUE);
}

/* The request's residual pre-check (scan_request_avx2 in fastlane.c)
 * looks at the 32-byte blocks of the quote scan, carrying chains of
 * separators from one to the next, find() at 16-byte blocks from the
 * request's start: each notation of an address and each near miss, at
 * every offset against both, and at every length of line before the
 * request (a tail block may reach back into it). */
Test (fastlane, same_as_general_with_text_at_every_offset, .timeout = 600)
{
  static const char *const texts[] = {
    "192.0.2.7", "2001:db8::1", "198-51-100-7", "7.100.51.198.in-addr.arpa",
    "f.e.d.c.b.a.f.e.d.c.b.a.f.e.d.c.b.a.f.e.d.c.b.a.f.e.d.c.b.a.f.e.ip6.arpa",
    "%3A", "2001%3Adb8%3A%3A1", "6.ip6", "x-1", "1.2", ".5", "5.", "a:b", "::", "%",
    "v1.2.3", "10.0.0.0/8", "6.5.1", "ip-198-51-100-7", "198-51-100-7.example",
    "203.113.255.254", "curl/8.5.073.50.254.197", "1.2.3.4.5.6",
    "8.b.d.0.1.0.0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.ip6.arpa",
    "::ffff:192.0.2.1", "192.0.2.7-x", "x-1-2-3", "1.22.333",
  };
  static const char *const protocols[] = { " HTTP/1.1", "", " HTTP/2.0x" };
  /* combined, and common: the request near the end of the line */
  static const char *const endings[] = { "\" 200 512 \"-\" \"curl/8.5.0\"", "\" 200 512" };
  static const char *const users[] = { "-", "frankfurter-feinkost" };
  GString *s = g_string_new (NULL);
  unsigned taken = 0;
  size_t t, u, v, before, after;

  for (t = 0; t < G_N_ELEMENTS (texts); t++)
    for (u = 0; u < G_N_ELEMENTS (users); u++)
      for (v = 0; v < G_N_ELEMENTS (protocols) * G_N_ELEMENTS (endings); v++)
        for (before = 0; before < 70; before++)
          for (after = 0; after < 40; after += 13)
            {
              size_t k;

              g_string_printf (s, "192.0.2.7 - %s [25/Nov/2026:00:00:00 +0100] \"GET /",
                               users[u]);
              for (k = 0; k < before; k++)
                g_string_append_c (s, "abcz/_"[k % 6]);
              g_string_append (s, texts[t]);
              for (k = 0; k < after; k++)
                g_string_append_c (s, "q/_y"[k % 4]);
              g_string_append (s, protocols[v % G_N_ELEMENTS (protocols)]);
              g_string_append (s, endings[v / G_N_ELEMENTS (protocols)]);
              taken += check_line (s->str, s->len, FALSE) > 0;
            }
  /* the same texts in a referer's host name: its origin is what the
   * residual scan (or NONE_POSSIBLE in fastlane.c) looks at */
  for (t = 0; t < G_N_ELEMENTS (texts); t++)
    for (before = 0; before < 40; before++)
      {
        size_t k;

        g_string_assign (s, "192.0.2.7 - - [25/Nov/2026:00:00:00 +0100] \"GET / HTTP/1.1\" "
                            "200 512 \"https://h");
        for (k = 0; k < before; k++)
          g_string_append_c (s, "abcz.-"[k % 6]);
        g_string_append (s, texts[t]);
        g_string_append (s, ".example:/x?y=1\" \"curl/8.5.0\"");
        taken += check_line (s->str, s->len, FALSE) > 0;
      }
  /* the clean ones ("x-1", "a:b" ...) went the fused way */
  cr_assert_gt (taken, 1000, "the fused path took %u lines", taken);
  g_string_free (s, TRUE);
}

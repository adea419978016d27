/* test_columns.c - the named columns of the csv and jsonl writers:
 * columns_parse (--fields), column_name, and column_value of every column
 * on records that went through the parser and the anonymiser, as the
 * pipeline runs them: request splitting, numbers and absent values, ISO
 * 8601 UTC times, durations from %D, %T, %{ms}T and %{us}T, and the
 * country with a geo database.
 *
 * One test fails with the columns.c of commit b5ce579 and is kept on
 * purpose: duration_huge_values (%T and %{ms}T values whose microseconds do
 * not fit 64 bits wrap around instead of being exact or absent).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>

#include "anon.h"
#include "buf.h"
#include "columns.h"
#include "errors.h"
#include "geo.h"
#include "helpers.h"
#include "parse.h"

#define TL "[10/Oct/2000:13:55:36 -0700]"
#define COMMON "%h %l %u %t \"%r\" %>s %b"
#define COMBINED COMMON " \"%{Referer}i\" \"%{User-Agent}i\""

/* ------------------------------------------------------- columns_parse */

static const char *const all_names[LN_COL__COUNT] = {
  "time", "client", "country", "vhost", "port", "user", "method", "path", "query",
  "protocol", "request", "status", "bytes", "referer", "user_agent", "duration_us",
};

Test (columns, names)
{
  int c;

  for (c = 0; c < LN_COL__COUNT; c++)
    cr_assert_str_eq (column_name ((LnColumn) c), all_names[c]);
  cr_assert_str_eq (column_name (LN_COL__COUNT), "?");
}

static size_t
parse_ok (const char *list, LnColumn *out, size_t max)
{
  GError *error = NULL;
  size_t n = columns_parse (list, out, max, &error);

  cr_assert_gt (n, 0, "columns_parse (\"%s\"): %s", list, error ? error->message : "0, no error");
  cr_assert_null (error, "columns_parse (\"%s\") set an error with a result", list);
  return n;
}

/* columns_parse (@list) fails with a usage error; returns the message. */
static char *
parse_fails (const char *list, size_t max)
{
  LnColumn out[64];
  GError *error = NULL;
  size_t n = columns_parse (list, out, max, &error);
  char *msg;

  cr_assert_eq (n, 0, "columns_parse (\"%s\") returned %zu", list, n);
  cr_assert_not_null (error, "columns_parse (\"%s\") failed without an error", list);
  cr_assert (error->domain == LN_ERROR && error->code == LN_ERROR_USAGE,
             "columns_parse (\"%s\"): not a usage error", list);
  msg = g_strdup (error->message);
  g_error_free (error);
  return msg;
}

Test (columns, parse_valid_lists)
{
  LnColumn out[64];
  size_t n;
  int c;

  n = parse_ok ("time", out, 64);
  cr_assert_eq (n, 1);
  cr_assert_eq (out[0], LN_COL_TIME);

  n = parse_ok ("client,country,path", out, 64);
  cr_assert_eq (n, 3);
  cr_assert_eq (out[0], LN_COL_CLIENT);
  cr_assert_eq (out[1], LN_COL_COUNTRY);
  cr_assert_eq (out[2], LN_COL_PATH);

  /* every name, in order, and in reverse */
  {
    g_autoptr (GString) s = g_string_new (NULL);
    g_autoptr (GString) r = g_string_new (NULL);

    for (c = 0; c < LN_COL__COUNT; c++)
      {
        g_string_append_printf (s, "%s%s", c ? "," : "", all_names[c]);
        g_string_append_printf (r, "%s%s", c ? "," : "", all_names[LN_COL__COUNT - 1 - c]);
      }
    n = parse_ok (s->str, out, 64);
    cr_assert_eq (n, LN_COL__COUNT);
    for (c = 0; c < LN_COL__COUNT; c++)
      cr_assert_eq (out[c], (LnColumn) c);
    n = parse_ok (r->str, out, 64);
    cr_assert_eq (n, LN_COL__COUNT);
    for (c = 0; c < LN_COL__COUNT; c++)
      cr_assert_eq (out[c], (LnColumn) (LN_COL__COUNT - 1 - c));
  }

  /* the default list */
  n = parse_ok (LN_COLUMNS_DEFAULT, out, 64);
  cr_assert_eq (n, 13);
  cr_assert_eq (out[0], LN_COL_TIME);
  cr_assert_eq (out[12], LN_COL_DURATION_US);

  /* a column twice is allowed (the user asked for it) */
  n = parse_ok ("status,status", out, 64);
  cr_assert_eq (n, 2);
  cr_assert_eq (out[0], LN_COL_STATUS);
  cr_assert_eq (out[1], LN_COL_STATUS);
}

Test (columns, parse_whitespace)
{
  LnColumn out[8];
  size_t n;

  n = parse_ok (" time , client ", out, 8);
  cr_assert_eq (n, 2);
  cr_assert_eq (out[0], LN_COL_TIME);
  cr_assert_eq (out[1], LN_COL_CLIENT);
  n = parse_ok ("\tstatus,\tbytes\n", out, 8);
  cr_assert_eq (n, 2);
  cr_assert_eq (out[0], LN_COL_STATUS);
  cr_assert_eq (out[1], LN_COL_BYTES);
}

Test (columns, parse_unknown_name)
{
  static const char *const bad[] = {
    "bogus", "time,bogus", "TIME", "user-agent", "time;client", "duration",
  };
  size_t i;
  int c;

  for (i = 0; i < N_ELEMS (bad); i++)
    {
      g_autofree char *msg = parse_fails (bad[i], 64);

      cr_assert (strstr (msg, "--fields") != NULL, "\"%s\": %s", bad[i], msg);
      /* the message names the bad word and lists every valid name */
      for (c = 0; c < LN_COL__COUNT; c++)
        cr_assert (strstr (msg, all_names[c]) != NULL, "\"%s\": %s lacks %s", bad[i], msg,
                   all_names[c]);
    }
  {
    g_autofree char *msg = parse_fails ("time,bogus", 64);

    cr_assert (strstr (msg, "'bogus'") != NULL, "%s", msg);
    cr_assert (strstr (msg, "valid: time, client, country, vhost, port, user, method, path, "
                       "query, protocol, request, status, bytes, referer, user_agent, "
                       "duration_us") != NULL, "%s", msg);
  }
}

Test (columns, parse_empty)
{
  static const char *const bad[] = { "", ",", "time,", ",time", "time,,client", " ", " , " };
  size_t i;

  for (i = 0; i < N_ELEMS (bad); i++)
    g_free (parse_fails (bad[i], 64));
  {
    g_autofree char *msg = parse_fails ("", 64);

    cr_assert (strstr (msg, "--fields") != NULL, "%s", msg);
  }
}

Test (columns, parse_too_many)
{
  LnColumn out[2];
  g_autofree char *msg = parse_fails ("time,client,status", 2);

  cr_assert (strstr (msg, "too many") != NULL, "%s", msg);
  cr_assert_eq (parse_ok ("time,client", out, 2), 2);
}

/* ------------------------------------------------ records to take values of */

typedef struct {
  LnParser parser;
  LnRecord rec;
  LnBuf arena;
  LnAnon anon;
  LnGeo *geo;
  char *line;
} Fx;

static GSList *live;

static void fx_free (Fx *fx);

static void
free_live (void)
{
  while (live)
    fx_free (live->data);
}

TestSuite (column_value, .fini = free_live);

static LnAnonConfig
default_config (void)
{
  LnAnonConfig c;

  memset (&c, 0, sizeof c);
  c.ip_mode = LN_IP_TRUNCATE;
  c.v4_bits = 24;
  c.v6_bits = 48;
  c.referer = LN_REFERER_KEEP;   /* the columns, not the referer policy */
  c.residual = LN_RESIDUAL_MASK;
  return c;
}

static Fx *
fx_new (const char *format, const LnAnonConfig *cfg)
{
  Fx *fx = g_new0 (Fx, 1);
  GError *error = NULL;

  live = g_slist_prepend (live, fx);
  cr_assert (parser_init (&fx->parser, format, &error), "%s: %s", format,
             error ? error->message : "");
  buf_init (&fx->arena, 16);
  anon_init (&fx->anon, cfg, NULL, NULL);
  return fx;
}

static Fx *
fx_default (const char *format)
{
  LnAnonConfig cfg = default_config ();

  return fx_new (format, &cfg);
}

/* Parses and anonymises @line (which must parse); the record is fx->rec. */
static void
fx_run (Fx *fx, const char *line)
{
  size_t len = strlen (line), col;
  LnParseStatus st;

  g_free (fx->line);
  fx->line = g_malloc (len ? len : 1);
  memcpy (fx->line, line, len);
  st = parser_parse (&fx->parser, span_make (fx->line, len), &fx->rec, &col);
  cr_assert_eq (st, LN_PARSE_OK, "test line does not parse: %s at column %zu: %s",
                parse_status_key (st), col, line);
  st = anon_record (&fx->anon, &fx->rec, &fx->arena);
  cr_assert_eq (st, LN_PARSE_OK, "anon_record: %s: %s", parse_status_key (st), line);
}

static void
fx_free (Fx *fx)
{
  live = g_slist_remove (live, fx);
  parser_clear (&fx->parser);
  buf_clear (&fx->arena);
  anon_clear (&fx->anon);
  geo_free (fx->geo);
  g_free (fx->line);
  g_free (fx);
}

static const char *
kind_name (LnValueKind k)
{
  return k == LN_VALUE_NULL ? "null" : k == LN_VALUE_STRING ? "string" : "number";
}

/* Column @col of the current record is @kind with text @text (NULL for
 * LN_VALUE_NULL). */
#define expect(fx, col, kind, text) expect_at (fx, col, kind, text, __LINE__)

static void
expect_at (Fx *fx, LnColumn col, LnValueKind kind, const char *text, int line)
{
  char scratch[LN_COLUMN_SCRATCH];
  LnValue v;

  memset (scratch, 'X', sizeof scratch);
  v = column_value (&fx->rec, col, scratch);
  cr_assert_eq (v.kind, kind, "line %d: %s of \"%s\": expected %s, got %s \"%.*s\"", line,
                column_name (col), fx->line ? fx->line : "", kind_name (kind),
                kind_name (v.kind), (int) v.text.len, v.text.p ? v.text.p : "");
  if (kind != LN_VALUE_NULL)
    cr_assert (span_eq_str (v.text, text),
               "line %d: %s of \"%s\": expected \"%s\", got \"%.*s\"", line,
               column_name (col), fx->line ? fx->line : "", text, (int) v.text.len,
               v.text.p);
}

#define S LN_VALUE_STRING
#define N LN_VALUE_NUMBER
#define NUL LN_VALUE_NULL

/* -------------------------------------------------- every column, combined */

Test (column_value, combined_line_every_column)
{
  Fx *fx = fx_default (COMBINED);

  fx_run (fx, "192.0.2.77 - frank " TL " \"GET /a/b.html?x=1&y=2 HTTP/1.1\" 200 2326 "
              "\"http://www.example.com/start.html\" \"Mozilla/4.08 [en] (Win98)\"");
  expect (fx, LN_COL_TIME, S, "2000-10-10T20:55:36Z");
  expect (fx, LN_COL_CLIENT, S, "192.0.2.0");
  expect (fx, LN_COL_COUNTRY, NUL, NULL);         /* no geo database */
  expect (fx, LN_COL_VHOST, NUL, NULL);           /* not in the format */
  expect (fx, LN_COL_PORT, NUL, NULL);
  expect (fx, LN_COL_USER, NUL, NULL);            /* --remote-user=dash */
  expect (fx, LN_COL_METHOD, S, "GET");
  expect (fx, LN_COL_PATH, S, "/a/b.html");
  expect (fx, LN_COL_QUERY, S, "x=1&y=2");
  expect (fx, LN_COL_PROTOCOL, S, "HTTP/1.1");
  expect (fx, LN_COL_REQUEST, S, "GET /a/b.html?x=1&y=2 HTTP/1.1");
  expect (fx, LN_COL_STATUS, N, "200");
  expect (fx, LN_COL_BYTES, N, "2326");
  expect (fx, LN_COL_REFERER, S, "http://www.example.com/start.html");
  expect (fx, LN_COL_USER_AGENT, NUL, NULL);      /* --user-agent=drop */
  expect (fx, LN_COL_DURATION_US, NUL, NULL);
}

Test (column_value, kept_user_and_user_agent)
{
  LnAnonConfig cfg = default_config ();
  Fx *fx;

  cfg.user = LN_USER_KEEP;
  cfg.user_agent = LN_UA_KEEP;
  fx = fx_new (COMBINED, &cfg);
  fx_run (fx, "192.0.2.77 - frank " TL " \"GET / HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0\"");
  expect (fx, LN_COL_USER, S, "frank");
  expect (fx, LN_COL_USER_AGENT, S, "Mozilla/5.0");
  expect (fx, LN_COL_REFERER, NUL, NULL);         /* "-" */
  /* a kept user agent is scanned for addresses like any free text */
  fx_run (fx, "192.0.2.77 - - " TL " \"GET / HTTP/1.1\" 200 1 \"-\" \"bot from 198.51.100.7\"");
  expect (fx, LN_COL_USER, NUL, NULL);
  expect (fx, LN_COL_USER_AGENT, S, "bot from 198.51.100.0");
  fx_run (fx, "192.0.2.77 - - " TL " \"GET / HTTP/1.1\" 200 1 \"\" \"\"");
  expect (fx, LN_COL_REFERER, NUL, NULL);         /* empty */
  expect (fx, LN_COL_USER_AGENT, NUL, NULL);
}

Test (column_value, client_shapes)
{
  static const struct {
    const char *client;
    LnValueKind kind;
    const char *out;
  } cases[] = {
    { "192.0.2.77", S, "192.0.2.0" },
    { "192.0.2.77:5678", S, "192.0.2.0:5678" },
    { "2001:db8:abcd:12::7", S, "2001:db8:abcd::" },
    { "[2001:db8::1]:443", S, "[2001:db8::]:443" },
    { "::ffff:203.0.113.77", S, "::ffff:203.0.113.0" },
    { "www.example.com", S, LN_PLACEHOLDER },
    { "10.0.0.2, 192.0.2.7", S, "10.0.0.0, 192.0.2.0" },
    { "-", NUL, NULL },
  };
  Fx *fx = fx_default (COMMON);
  size_t i;

  for (i = 0; i < N_ELEMS (cases); i++)
    {
      g_autofree char *line = g_strdup_printf ("%s - - " TL " \"GET / HTTP/1.1\" 200 1",
                                               cases[i].client);

      fx_run (fx, line);
      expect (fx, LN_COL_CLIENT, cases[i].kind, cases[i].out);
      expect (fx, LN_COL_COUNTRY, NUL, NULL);
    }
}

Test (column_value, client_dropped)
{
  LnAnonConfig cfg = default_config ();
  Fx *fx;

  cfg.ip_mode = LN_IP_DROP;
  fx = fx_new (COMMON, &cfg);
  fx_run (fx, "192.0.2.77 - - " TL " \"GET / HTTP/1.1\" 200 1");
  expect (fx, LN_COL_CLIENT, S, LN_PLACEHOLDER);
}

Test (column_value, vhost_and_port)
{
  Fx *fx = fx_default ("%v:%p %h %l %u %t \"%r\" %>s %b");

  fx_run (fx, "www.example.com:443 192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1");
  expect (fx, LN_COL_VHOST, S, "www.example.com");
  expect (fx, LN_COL_PORT, N, "443");
  fx_run (fx, "www.example.com:0443 192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1");
  expect (fx, LN_COL_PORT, S, "0443");            /* a leading zero: a string */
  fx_run (fx, "www.example.com:0 192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1");
  expect (fx, LN_COL_PORT, N, "0");
  /* an address as the virtual host is masked like any free text */
  fx_run (fx, "198.51.100.7:80 192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1");
  expect (fx, LN_COL_VHOST, S, "198.51.100.0");
  expect (fx, LN_COL_PORT, N, "80");
}

Test (column_value, vhost_combined_preset)
{
  Fx *fx = fx_default ("vhost_combined");

  fx_run (fx, "www.example.com:8080 192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"");
  expect (fx, LN_COL_VHOST, S, "www.example.com");
  expect (fx, LN_COL_PORT, N, "8080");
  expect (fx, LN_COL_CLIENT, S, "192.0.2.0");
}

/* ------------------------------------------------------ request splitting */

Test (column_value, request_splitting)
{
  static const struct {
    const char *request;
    const char *method, *path, *query, *protocol, *whole;
  } cases[] = {
    /* NULL: the column is absent (null / empty) */
    { "-", NULL, NULL, NULL, NULL, NULL },
    { "", NULL, NULL, NULL, NULL, NULL },
    { "GET /", "GET", "/", NULL, NULL, "GET /" },
    { "GET /a?b=c HTTP/1.1", "GET", "/a", "b=c", "HTTP/1.1", "GET /a?b=c HTTP/1.1" },
    { "GET / HTTP/1.0", "GET", "/", NULL, "HTTP/1.0", "GET / HTTP/1.0" },
    { "POST /form HTTP/2.0", "POST", "/form", NULL, "HTTP/2.0", "POST /form HTTP/2.0" },
    /* the first '?' splits; later ones belong to the query */
    { "GET /a?b=c?d=e HTTP/1.1", "GET", "/a", "b=c?d=e", "HTTP/1.1", NULL },
    { "GET /?x HTTP/1.1", "GET", "/", "x", "HTTP/1.1", NULL },
    { "GET /a? HTTP/1.1", "GET", "/a", NULL, "HTTP/1.1", NULL },
    { "GET ?q=1 HTTP/1.1", "GET", NULL, "q=1", "HTTP/1.1", NULL },
    /* spaces in the target: method up to the first space, protocol after
     * the last one */
    { "GET /a b c HTTP/1.1", "GET", "/a b c", NULL, "HTTP/1.1", NULL },
    { "GET /a b?c d HTTP/1.1", "GET", "/a b", "c d", "HTTP/1.1", NULL },
    /* no space at all: the whole text is the path */
    { "GARBAGE", NULL, "GARBAGE", NULL, NULL, "GARBAGE" },
    { "\\x16\\x03\\x01", NULL, "\\x16\\x03\\x01", NULL, NULL, "\\x16\\x03\\x01" },
    /* escapes and percent-encoding are kept as written */
    { "GET /a%20b?q=%22x%22 HTTP/1.1", "GET", "/a%20b", "q=%22x%22", "HTTP/1.1", NULL },
    { "GET /search?q=\\\"quoted\\\" HTTP/1.1", "GET", "/search", "q=\\\"quoted\\\"",
      "HTTP/1.1", NULL },
    /* an address in the query is masked before it gets there */
    { "GET /?ip=192.0.2.7 HTTP/1.1", "GET", "/", "ip=192.0.2.0", "HTTP/1.1",
      "GET /?ip=192.0.2.0 HTTP/1.1" },
  };
  Fx *fx = fx_default (COMMON);
  size_t i;

  for (i = 0; i < N_ELEMS (cases); i++)
    {
      g_autofree char *line = g_strdup_printf ("192.0.2.7 - - " TL " \"%s\" 200 1",
                                               cases[i].request);

      fx_run (fx, line);
      expect (fx, LN_COL_METHOD, cases[i].method ? S : NUL, cases[i].method);
      expect (fx, LN_COL_PATH, cases[i].path ? S : NUL, cases[i].path);
      expect (fx, LN_COL_QUERY, cases[i].query ? S : NUL, cases[i].query);
      expect (fx, LN_COL_PROTOCOL, cases[i].protocol ? S : NUL, cases[i].protocol);
      if (cases[i].whole || i < 2)
        expect (fx, LN_COL_REQUEST, cases[i].whole ? S : NUL, cases[i].whole);
    }
}

Test (column_value, request_bytes_kept)
{
  /* NUL and non-UTF-8 bytes pass through as they are (the writers encode) */
  static const char line[] = "192.0.2.7 - - " TL " \"GET /caf\xe9\0x?\xff HTTP/1.1\" 200 1";
  Fx *fx = fx_default (COMMON);
  char scratch[LN_COLUMN_SCRATCH];
  LnValue v;
  size_t col;

  fx->line = g_memdup2 (line, sizeof line - 1);
  cr_assert_eq (parser_parse (&fx->parser, span_make (fx->line, sizeof line - 1), &fx->rec,
                              &col), LN_PARSE_OK);
  cr_assert_eq (anon_record (&fx->anon, &fx->rec, &fx->arena), LN_PARSE_OK);
  v = column_value (&fx->rec, LN_COL_PATH, scratch);
  cr_assert_eq (v.kind, S);
  assert_span_bytes (v.text, "/caf\xe9\0x", 7);
  v = column_value (&fx->rec, LN_COL_QUERY, scratch);
  cr_assert_eq (v.kind, S);
  assert_span_bytes (v.text, "\xff", 1);
}

/* --------------------------------------------------- status and bytes */

Test (column_value, status_and_bytes)
{
  static const struct {
    const char *status, *bytes;
    LnValueKind skind;
    const char *sout;
    LnValueKind bkind;
    const char *bout;
  } cases[] = {
    { "200", "2326", N, "200", N, "2326" },
    { "404", "0", N, "404", N, "0" },
    { "304", "-", N, "304", N, "0" },          /* %b: "-" is zero bytes */
    { "-", "-", NUL, NULL, N, "0" },
    { "200", "007", N, "200", S, "007" },      /* leading zero: a string */
    { "099", "1", S, "099", N, "1" },
    { "200", "18446744073709551616", N, "200", N, "18446744073709551616" },
  };
  Fx *fx = fx_default (COMMON);
  size_t i;

  for (i = 0; i < N_ELEMS (cases); i++)
    {
      g_autofree char *line = g_strdup_printf ("192.0.2.7 - - " TL " \"GET / HTTP/1.1\" %s %s",
                                               cases[i].status, cases[i].bytes);

      fx_run (fx, line);
      expect (fx, LN_COL_STATUS, cases[i].skind, cases[i].sout);
      expect (fx, LN_COL_BYTES, cases[i].bkind, cases[i].bout);
    }
}

Test (column_value, bytes_variants)
{
  /* %B writes 0, not "-"; %O and %I are byte counts too */
  Fx *fx = fx_default ("%h %t \"%r\" %>s %B");

  fx_run (fx, "192.0.2.7 " TL " \"GET / HTTP/1.1\" 200 0");
  expect (fx, LN_COL_BYTES, N, "0");
  fx_run (fx, "192.0.2.7 " TL " \"GET / HTTP/1.1\" 200 512");
  expect (fx, LN_COL_BYTES, N, "512");
  expect (fx, LN_COL_USER, NUL, NULL);
  expect (fx, LN_COL_REFERER, NUL, NULL);
}

/* ----------------------------------------------------------------- time */

Test (column_value, iso_time_utc)
{
  static const struct {
    const char *clf;
    const char *iso;
  } cases[] = {
    { "25/Nov/2026:08:15:02 +0100", "2026-11-25T07:15:02Z" },
    { "25/Nov/2026:08:15:02 +0000", "2026-11-25T08:15:02Z" },
    { "10/Oct/2000:13:55:36 -0700", "2000-10-10T20:55:36Z" },
    { "25/Nov/2026:08:15:02 +0530", "2026-11-25T02:45:02Z" },
    { "25/Nov/2026:08:15:02 -0930", "2026-11-25T17:45:02Z" },
    { "25/Nov/2026:08:15:02 +1400", "2026-11-24T18:15:02Z" },
    { "25/Nov/2026:20:15:02 -1200", "2026-11-26T08:15:02Z" },
    /* across a day, a month, a year, a leap day */
    { "01/Jan/2027:00:30:00 +0100", "2026-12-31T23:30:00Z" },
    { "31/Dec/2026:23:30:00 -0100", "2027-01-01T00:30:00Z" },
    { "01/Mar/2028:00:00:00 +0000", "2028-03-01T00:00:00Z" },
    { "29/Feb/2028:23:59:59 -0100", "2028-03-01T00:59:59Z" },
    { "01/Mar/2028:00:59:59 +0100", "2028-02-29T23:59:59Z" },
    { "01/Jan/1970:00:00:00 +0000", "1970-01-01T00:00:00Z" },
    { "01/Jan/1970:00:00:00 +0100", "1969-12-31T23:00:00Z" },
    { "09/Sep/2001:01:46:40 +0000", "2001-09-09T01:46:40Z" },
    { "31/Dec/9999:23:59:59 +0000", "9999-12-31T23:59:59Z" },
  };
  Fx *fx = fx_default (COMMON);
  size_t i;

  for (i = 0; i < N_ELEMS (cases); i++)
    {
      g_autofree char *line = g_strdup_printf ("192.0.2.7 - - [%s] \"GET / HTTP/1.1\" 200 1",
                                               cases[i].clf);

      fx_run (fx, line);
      expect (fx, LN_COL_TIME, S, cases[i].iso);
    }
}

Test (column_value, time_absent)
{
  Fx *fx = fx_default ("%h \"%r\" %>s %b");

  fx_run (fx, "192.0.2.7 \"GET / HTTP/1.1\" 200 1");
  expect (fx, LN_COL_TIME, NUL, NULL);
  /* a time beyond what four year digits can hold is absent, not garbled */
  fx = fx_default (COMMON);
  fx_run (fx, "192.0.2.7 - - [31/Dec/9999:23:30:00 -0100] \"GET / HTTP/1.1\" 200 1");
  expect (fx, LN_COL_TIME, NUL, NULL);
}

/* ------------------------------------------------------------ durations */

typedef struct {
  const char *text;
  LnValueKind kind;
  const char *us;
} Duration;

static void
check_durations (const char *directive, const Duration *cases, size_t n)
{
  g_autofree char *format = g_strconcat (COMMON " ", directive, NULL);
  Fx *fx = fx_default (format);
  size_t i;

  for (i = 0; i < n; i++)
    {
      g_autofree char *line = g_strdup_printf ("192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1 %s",
                                               cases[i].text);

      fx_run (fx, line);
      expect (fx, LN_COL_DURATION_US, cases[i].kind, cases[i].us);
    }
}

Test (column_value, duration_from_D)
{
  static const Duration cases[] = {
    { "1234", N, "1234" }, { "0", N, "0" }, { "-", NUL, NULL },
    { "0042", S, "0042" },                     /* leading zero: a string */
    { "99999999999999999999", N, "99999999999999999999" },
  };

  check_durations ("%D", cases, N_ELEMS (cases));
}

Test (column_value, duration_from_us_T)
{
  static const Duration cases[] = {
    { "77", N, "77" }, { "0", N, "0" }, { "-", NUL, NULL },
  };

  check_durations ("%{us}T", cases, N_ELEMS (cases));
}

Test (column_value, duration_from_ms_T)
{
  static const Duration cases[] = {
    { "1234", N, "1234000" }, { "0", N, "0" }, { "1.5", N, "1500" },
    { "0.001", N, "1" }, { "0.0009", N, "0" },  /* below a microsecond */
    { "2.123456", N, "2123" }, { "007", N, "7000" }, { "-", NUL, NULL },
  };

  check_durations ("%{ms}T", cases, N_ELEMS (cases));
}

Test (column_value, duration_from_T)
{
  static const Duration cases[] = {
    { "2", N, "2000000" }, { "0", N, "0" }, { "1.5", N, "1500000" },
    { "0.000001", N, "1" }, { "1.0000009", N, "1000000" }, { "3.25", N, "3250000" },
    { "-", NUL, NULL },
  };

  check_durations ("%T", cases, N_ELEMS (cases));
  check_durations ("%{s}T", cases, N_ELEMS (cases));
}

Test (column_value, duration_first_kind_wins)
{
  /* %D and %T both: the exact microseconds of %D */
  Fx *fx = fx_default (COMMON " %T %D");

  fx_run (fx, "192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1 2 2345678");
  expect (fx, LN_COL_DURATION_US, N, "2345678");
}

/* A duration whose microseconds do not fit 64 bits must not wrap around
 * into a small, wrong number: either the exact value or absent. */
Test (column_value, duration_huge_values)
{
  static const struct {
    const char *directive, *text, *exact;
  } cases[] = {
    { "%T", "18446744073709", "18446744073709000000" },      /* fits */
    { "%T", "18446744073710", "18446744073710000000" },      /* does not */
    { "%T", "99999999999999999", "99999999999999999000000" },
    { "%{ms}T", "18446744073709552", "18446744073709552000" },
    { "%D", "18446744073709551615", "18446744073709551615" },
    { "%D", "18446744073709551616", "18446744073709551616" },
    { "%D", "99999999999999999999", "99999999999999999999" },
  };
  size_t i;

  for (i = 0; i < N_ELEMS (cases); i++)
    {
      g_autofree char *format = g_strconcat (COMMON " ", cases[i].directive, NULL);
      g_autofree char *line = g_strdup_printf ("192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1 %s",
                                               cases[i].text);
      Fx *fx = fx_default (format);
      char scratch[LN_COLUMN_SCRATCH];
      LnValue v;

      fx_run (fx, line);
      v = column_value (&fx->rec, LN_COL_DURATION_US, scratch);
      cr_assert (v.kind == LN_VALUE_NULL
                 || (v.kind == LN_VALUE_NUMBER && span_eq_str (v.text, cases[i].exact)),
                 "%s %s: expected %s microseconds or null, got %s \"%.*s\"",
                 cases[i].directive, cases[i].text, cases[i].exact, kind_name (v.kind),
                 (int) v.text.len, v.text.p);
    }
}

/* The one parser of durations, shared with -O LogFormat conversion. */
Test (columns, parse_micros)
{
  static const struct {
    const char *text;
    guint64 scale;
    bool ok;
    guint64 us;
  } cases[] = {
    { "0", 1, true, 0 },
    { "17", 1, true, 17 },
    { "1.25", 1000000, true, 1250000 },
    { "1.2500009", 1000000, true, 1250000 },    /* beyond microseconds: dropped */
    { "0.001", 1000, true, 1 },
    { "3.", 1000, true, 3000 },
    { ".5", 1000000, true, 500000 },
    { "18446744073709551615", 1, true, G_MAXUINT64 },
    { "18446744073709551616", 1, false, 0 },
    { "18446744073709551620", 1, false, 0 },
    { "18446744073709.551615", 1000000, true, G_MAXUINT64 },
    { "18446744073709.551616", 1000000, false, 0 },
    { "18446744073710", 1000000, false, 0 },
    { "", 1, false, 0 },
    { "-", 1, false, 0 },
    { "1.2.3", 1000, false, 0 },
    { "1e3", 1, false, 0 },
    { "+1", 1, false, 0 },
  };
  size_t i;

  for (i = 0; i < N_ELEMS (cases); i++)
    {
      guint64 us = 12345;
      bool ok = columns_parse_micros (span_make (cases[i].text, strlen (cases[i].text)),
                                      cases[i].scale, &us);

      cr_assert_eq (ok, cases[i].ok, "\"%s\" x %" G_GUINT64_FORMAT ": %s", cases[i].text,
                    cases[i].scale, ok ? "accepted" : "refused");
      if (ok)
        cr_assert_eq (us, cases[i].us, "\"%s\": %" G_GUINT64_FORMAT ", expected %"
                      G_GUINT64_FORMAT, cases[i].text, us, cases[i].us);
    }
}

/* ----------------------------------------------------------- country */

static char *
db_path (const char *name)
{
  const char *srcdir = g_getenv ("TESTS_SRCDIR");
  char *path;

  if (srcdir && *srcdir)
    path = g_build_filename (srcdir, "data", "geo", name, NULL);
  else
    {
      g_autofree char *dir = g_path_get_dirname (__FILE__);

      path = g_build_filename (dir, "..", "data", "geo", name, NULL);
    }
  cr_assert (g_file_test (path, G_FILE_TEST_IS_REGULAR),
             "test database %s not found (set TESTS_SRCDIR to the source tests/ "
             "directory)", path);
  return path;
}

static Fx *
fx_geo (const char *format, LnIpMode mode)
{
  LnAnonConfig cfg = default_config ();
  g_autofree char *path = db_path ("tiny-country.mmdb");
  GError *error = NULL;
  Fx *fx;

  cfg.ip_mode = mode;
  fx = fx_new (format, &cfg);
  fx->geo = geo_open (path, NULL, &error);
  cr_assert_not_null (fx->geo, "%s", error ? error->message : "");
  fx->anon.geo = fx->geo;
  return fx;
}

static const struct {
  const char *client;
  const char *country;    /* NULL: absent */
  const char *as_country; /* the client column under --ip=country */
} country_cases[] = {
  { "192.0.2.7", "DE", "DE" },
  { "192.0.2.7:8080", "DE", "DE" },
  { "[2001:db8:1::5]:443", "BE", "BE" },
  { "::ffff:198.51.100.1", "FR", "FR" },
  { "10.1.2.3", "XP", "XP" },
  { "224.0.0.1", "XR", "XR" },
  { "8.8.8.8", "--", "--" },
  /* the first hop is the client; every hop becomes a code */
  { "10.0.0.1, 192.0.2.7", "XP", "XP, DE" },
  { "192.0.2.7, 2001:db8::1", "DE", "DE, NL" },
  /* a host name is a client whose country is unknown */
  { "www.example.com", "--", "--" },
  { "-", NULL, NULL },
};

Test (column_value, country_with_geo_database)
{
  Fx *fx = fx_geo (COMMON, LN_IP_TRUNCATE);
  size_t i;

  for (i = 0; i < N_ELEMS (country_cases); i++)
    {
      g_autofree char *line = g_strdup_printf ("%s - - " TL " \"GET / HTTP/1.1\" 200 1",
                                               country_cases[i].client);

      fx_run (fx, line);
      expect (fx, LN_COL_COUNTRY, country_cases[i].country ? S : NUL, country_cases[i].country);
    }
  /* the client column stays the truncated address */
  fx_run (fx, "192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1");
  expect (fx, LN_COL_CLIENT, S, "192.0.2.0");
}

/* --aggregate does not rewrite the client's text (client_text_unused), and
 * --ip=drop writes none: the country, the visitor digest and the counts
 * must still be those of the full path. */
Test (column_value, country_and_visitor_without_client_text)
{
  static const uint8_t visitor_key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
  LnVisitorKey vkey;
  Fx *full = fx_geo (COMMON, LN_IP_TRUNCATE);
  Fx *unused = fx_geo (COMMON, LN_IP_TRUNCATE);
  Fx *drop = fx_geo (COMMON, LN_IP_DROP);
  Fx *const variants[] = { unused, drop };
  size_t i, k;

  unused->anon.config.client_text_unused = TRUE;
  visitor_key_init (&vkey, visitor_key, TRUE);
  full->anon.visitor_key = unused->anon.visitor_key = drop->anon.visitor_key = &vkey;
  for (i = 0; i < N_ELEMS (country_cases); i++)
    {
      g_autofree char *line = g_strdup_printf ("%s - - " TL " \"GET / HTTP/1.1\" 200 1",
                                               country_cases[i].client);

      fx_run (full, line);
      for (k = 0; k < N_ELEMS (variants); k++)
        {
          Fx *fx = variants[k];

          fx_run (fx, line);
          cr_assert_str_eq (fx->rec.country, full->rec.country, "%s: country \"%s\", not \"%s\"",
                            country_cases[i].client, fx->rec.country, full->rec.country);
          cr_assert_eq (fx->rec.has_visitor, full->rec.has_visitor, "%s",
                        country_cases[i].client);
          if (full->rec.has_visitor)
            cr_assert_eq (fx->rec.visitor, full->rec.visitor, "%s: another visitor digest",
                          country_cases[i].client);
          expect (fx, LN_COL_CLIENT, S, LN_PLACEHOLDER);
        }
    }
  cr_assert_eq (unused->anon.stats.clients_v4, full->anon.stats.clients_v4);
  cr_assert_eq (unused->anon.stats.clients_v6, full->anon.stats.clients_v6);
  cr_assert_eq (unused->anon.stats.clients_other, full->anon.stats.clients_other);
}

Test (column_value, country_as_client)
{
  Fx *fx = fx_geo (COMMON, LN_IP_COUNTRY);
  size_t i;

  for (i = 0; i < N_ELEMS (country_cases); i++)
    {
      g_autofree char *line = g_strdup_printf ("%s - - " TL " \"GET / HTTP/1.1\" 200 1",
                                               country_cases[i].client);

      fx_run (fx, line);
      expect (fx, LN_COL_CLIENT, country_cases[i].as_country ? S : NUL,
              country_cases[i].as_country);
      expect (fx, LN_COL_COUNTRY, country_cases[i].country ? S : NUL, country_cases[i].country);
    }
  /* an address elsewhere in the line becomes the placeholder, never a code */
  fx_run (fx, "192.0.2.7 - - " TL " \"GET /?from=198.51.100.7 HTTP/1.1\" 200 1");
  expect (fx, LN_COL_QUERY, S, "from=" LN_PLACEHOLDER);
}

Test (column_value, country_with_dropped_client)
{
  Fx *fx = fx_geo (COMMON, LN_IP_DROP);

  fx_run (fx, "192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1");
  expect (fx, LN_COL_CLIENT, S, LN_PLACEHOLDER);
  expect (fx, LN_COL_COUNTRY, S, "DE");
  fx_run (fx, "2001:db8:1::5, 10.0.0.1 - - " TL " \"GET / HTTP/1.1\" 200 1");
  expect (fx, LN_COL_COUNTRY, S, "BE");
}

/* The country of one record never leaks into the next. */
Test (column_value, country_reset_per_record)
{
  Fx *fx = fx_geo (COMMON, LN_IP_TRUNCATE);

  fx_run (fx, "192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1");
  expect (fx, LN_COL_COUNTRY, S, "DE");
  fx_run (fx, "- - - " TL " \"GET / HTTP/1.1\" 200 1");
  expect (fx, LN_COL_COUNTRY, NUL, NULL);
  fx_run (fx, "www.example.com - - " TL " \"GET / HTTP/1.1\" 200 1");
  expect (fx, LN_COL_COUNTRY, S, "--");
}

/* ------------------------------------------- columns_row, the writers' path */

/* columns_row gives, for every column and in any order, what column_value
 * gives: the split request and the cached time must not go stale from one
 * record to the next. */
Test (column_value, columns_row_equals_column_value)
{
  static const char *const lines[] = {
    "192.0.2.7 - bob " TL " \"GET /a/b?x=1&y=2 HTTP/1.1\" 200 5120 \"http://r/\" \"UA\" 1234",
    "192.0.2.8 - - " TL " \"-\" 408 - \"-\" \"-\" 0",
    "192.0.2.9 - - [10/Oct/2000:13:55:37 -0700] \"POST /login HTTP/2.0\" 302 17 \"-\" \"-\" -",
    "192.0.2.9 - - [01/Jan/1999:00:00:00 +0000] \"GARBAGE\" 200 0 \"-\" \"-\" 5",
    "192.0.2.9 - - [01/Jan/1999:00:00:00 +0000] \"GET /only?\" 200 0 \"-\" \"-\" 5",
    /* the same UTC day at other clocks, then the next day: the cached
     * date must be kept, then replaced */
    "192.0.2.9 - - [01/Jan/1999:00:00:01 +0000] \"GET /a HTTP/1.0\" 200 0 \"-\" \"-\" 5",
    "192.0.2.9 - - [01/Jan/1999:23:59:59 +0000] \"GET /a b HTTP/1.1\" 200 0 \"-\" \"-\" 5",
    "192.0.2.9 - - [31/Dec/1998:23:00:00 -0100] \"GET /a HTTP/1.1 \" 200 0 \"-\" \"-\" 5",
    "192.0.2.9 - - [31/Dec/1998:23:00:01 -0100] \"GET HTTP/1.1\" 200 0 \"-\" \"-\" 5",
    "192.0.2.9 - - [01/Jan/1999:13:07:09 +0000] \"GET / HTTP/1.1x\" 200 0 \"-\" \"-\" 5",
  };
  Fx *fx = fx_default (COMBINED " %D");
  LnColumn cols[2 * LN_COL__COUNT];
  LnValue values[2 * LN_COL__COUNT];
  LnColumnCache cache;
  size_t i, c, n = 0;

  memset (&cache, 0, sizeof cache);
  /* every column forwards, then backwards: each part of the request and
   * the time asked for twice, in both orders */
  for (c = 0; c < LN_COL__COUNT; c++)
    cols[n++] = (LnColumn) c;
  for (c = LN_COL__COUNT; c-- > 0;)
    cols[n++] = (LnColumn) c;
  for (i = 0; i < N_ELEMS (lines); i++)
    {
      fx_run (fx, lines[i]);
      columns_row (&fx->rec, cols, n, values, &cache);
      for (c = 0; c < n; c++)
        {
          char scratch[LN_COLUMN_SCRATCH];
          LnValue v = column_value (&fx->rec, cols[c], scratch);

          cr_assert_eq (values[c].kind, v.kind, "%s of line %zu: kind %s, expected %s",
                        column_name (cols[c]), i, kind_name (values[c].kind),
                        kind_name (v.kind));
          if (v.kind != LN_VALUE_NULL)
            cr_assert (span_eq (values[c].text, v.text),
                       "%s of line %zu: \"%.*s\", expected \"%.*s\"", column_name (cols[c]),
                       i, (int) values[c].text.len, values[c].text.p, (int) v.text.len,
                       v.text.p);
        }
    }
}

Test (columns, json_keys_are_the_names)
{
  int c;

  for (c = 0; c < LN_COL__COUNT; c++)
    {
      g_autofree char *key = g_strdup_printf ("\"%s\":", all_names[c]);

      assert_span_str (column_json_key ((LnColumn) c), key);
    }
}

/* ------------------------------------------------- the scanners of bytescan.h */

static const char *
naive_json_special (const char *p, const char *end)
{
  for (; p < end; p++)
    {
      unsigned char c = (unsigned char) *p;

      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
        return p;
    }
  return end;
}

/* Every length from 0 to 40 with each kind of byte at each position, in a
 * buffer whose bytes after the end are special: the scanners must neither
 * miss a byte nor look past @end. */
Test (columns, scanners_match_byte_loops)
{
  static const unsigned char specials[] = { '"', '\\', 0x00, 0x1f, 0x80, 0xff, 0x7f, 'a' };
  char buf[64];
  size_t len, pos, k;

  for (len = 0; len <= 40; len++)
    for (pos = 0; pos <= len; pos++)
      for (k = 0; k < N_ELEMS (specials); k++)
        {
          const char *end = buf + len;

          memset (buf, 'x', len);
          memset (buf + len, '"', sizeof buf - len);
          if (pos < len)
            buf[pos] = (char) specials[k];
          cr_assert_eq (scan_json_special (buf, end), naive_json_special (buf, end),
                        "scan_json_special: length %zu, byte 0x%02x at %zu", len,
                        specials[k], pos);
          cr_assert_eq (scan_byte_padded (buf, end, (char) specials[k]),
                        scan_byte (buf, end, (char) specials[k]),
                        "scan_byte_padded: length %zu, byte 0x%02x at %zu", len,
                        specials[k], pos);
        }
}

/* columns_number_kind() tests up to 8 bytes at once, padded in registers:
 * it must agree with number_or_null() (columns_number_kind_slow) for every
 * length with each kind of byte at each place, and read nothing after the
 * value (ASan: each value ends a block of its own). */
Test (columns, number_kind_matches_number_or_null)
{
  static const char bytes[] = { '0', '7', '9', '/', ':', '-', ' ', 'a', '\0' };
  size_t len, pos, k, fill;

  for (len = 0; len <= 10; len++)
    for (fill = 0; fill < 2; fill++)
      for (pos = 0; pos <= len; pos++)
        for (k = 0; k < N_ELEMS (bytes); k++)
          {
            char *text = g_malloc (len ? len : 1);
            LnSpan s = { text, len };

            memset (text, fill ? '5' : '0', len);
            if (pos < len)
              text[pos] = bytes[k];
            cr_assert_eq (columns_number_kind (s), columns_number_kind_slow (s),
                          "length %zu, fill %zu, 0x%02x at %zu", len, fill,
                          (unsigned char) bytes[k], pos);
            g_free (text);
          }
}

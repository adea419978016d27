/* test_parse.c - LogFormat compiler and line parser. */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <string.h>

#include "errors.h"
#include "helpers.h"
#include "logformat.h"
#include "parse.h"

#define TIME_TEXT "10/Oct/2000:13:55:36 -0700"
#define TIME_EPOCH 971211336
#define COMMON_LINE \
  "127.0.0.1 - frank [" TIME_TEXT "] \"GET /apache_pb.gif HTTP/1.0\" 200 2326"
#define COMBINED_LINE \
  COMMON_LINE " \"http://www.example.com/start.html\" \"Mozilla/4.08 [en] (Win98; I ;Nav)\""

typedef struct {
  LnFieldType type;
  const char *raw;
} F;

/* One parse on an exact-size heap copy of the line (no terminator), so
 * that AddressSanitizer sees any read past its end.  The copy stays alive
 * until parsed_free(), because the record points into it. */
typedef struct {
  LnParser parser;
  LnRecord rec;
  char *copy;
  size_t len;
  size_t column;
  LnParseStatus status;
} Parsed;

/* Parsed objects still alive when a test ends (a failed assertion leaves
 * the test early) are freed by the suite's fini, so that a failing test
 * reports its assertion and not a leak under AddressSanitizer. */
static GSList *live;

static void parsed_free (Parsed *p);

static void
free_live (void)
{
  while (live)
    parsed_free (live->data);
}

TestSuite (parse, .fini = free_live);

static Parsed *
parsed_new (const char *format)
{
  Parsed *p = g_new0 (Parsed, 1);
  GError *error = NULL;

  live = g_slist_prepend (live, p);
  cr_assert (parser_init (&p->parser, format, &error), "parser_init(\"%s\"): %s", format,
             error ? error->message : "?");
  cr_assert_null (error);
  return p;
}

static LnParseStatus
parsed_run (Parsed *p, const char *line, size_t len)
{
  g_free (p->copy);
  p->copy = g_malloc (len ? len : 1);
  memcpy (p->copy, line, len);
  p->len = len;
  p->column = 12345;
  memset (&p->rec, 0x5a, sizeof p->rec);
  p->status = parser_parse (&p->parser, span_make (p->copy, len), &p->rec, &p->column);
  return p->status;
}

static LnParseStatus
parsed_run_str (Parsed *p, const char *line)
{
  return parsed_run (p, line, strlen (line));
}

static void
parsed_free (Parsed *p)
{
  live = g_slist_remove (live, p);
  parser_clear (&p->parser);
  g_free (p->copy);
  g_free (p);
}

/* The record has exactly the fields @f, in order, each "out" still equal
 * to "raw" and pointing into the line, and first[] agrees. */
static void
expect_fields (const Parsed *p, const F *f, size_t n)
{
  const LnRecord *rec = &p->rec;
  size_t i;
  int t;

  cr_assert_eq (rec->nfields, n, "expected %zu fields, got %zu", n, rec->nfields);
  cr_assert_eq (rec->line.p, p->copy);
  cr_assert_eq (rec->line.len, p->len);
  for (i = 0; i < n; i++)
    {
      const LnField *fld = &rec->fields[i];

      cr_assert_eq (fld->type, f[i].type, "field %zu: type %d, expected %d", i,
                    (int) fld->type, (int) f[i].type);
      assert_span_str (fld->raw, f[i].raw);
      cr_assert (fld->raw.p >= p->copy && fld->raw.p + fld->raw.len <= p->copy + p->len,
                 "field %zu is not a span of the line", i);
      cr_assert_eq (fld->out.p, fld->raw.p, "field %zu: out != raw", i);
      cr_assert_eq (fld->out.len, fld->raw.len, "field %zu: out != raw", i);
      cr_assert (!fld->in_arena);
    }
  for (t = 0; t < LN_FIELD__COUNT; t++)
    {
      int first = -1;

      for (i = 0; i < n; i++)
        if ((int) f[i].type == t)
          {
            first = (int) i;
            break;
          }
      cr_assert_eq (rec->first[t], first, "first[%d] = %d, expected %d", t,
                    rec->first[t], first);
    }
}

static const F common_fields[] = {
  { LN_FIELD_CLIENT, "127.0.0.1" },
  { LN_FIELD_IDENT, "-" },
  { LN_FIELD_USER, "frank" },
  { LN_FIELD_TIME, TIME_TEXT },
  { LN_FIELD_REQUEST, "GET /apache_pb.gif HTTP/1.0" },
  { LN_FIELD_STATUS, "200" },
  { LN_FIELD_BYTES, "2326" },
};

static const F combined_fields[] = {
  { LN_FIELD_CLIENT, "127.0.0.1" },
  { LN_FIELD_IDENT, "-" },
  { LN_FIELD_USER, "frank" },
  { LN_FIELD_TIME, TIME_TEXT },
  { LN_FIELD_REQUEST, "GET /apache_pb.gif HTTP/1.0" },
  { LN_FIELD_STATUS, "200" },
  { LN_FIELD_BYTES, "2326" },
  { LN_FIELD_REFERER, "http://www.example.com/start.html" },
  { LN_FIELD_USER_AGENT, "Mozilla/4.08 [en] (Win98; I ;Nav)" },
};

static void
expect_time_status (const Parsed *p, int status)
{
  cr_assert (p->rec.has_time);
  cr_assert_eq (p->rec.time.epoch, TIME_EPOCH);
  cr_assert_eq (p->rec.time.utc_offset, -25200);
  cr_assert_eq (p->rec.status, status);
}

/* ----------------------------------------------------------- presets */

Test (parse, auto_combined)
{
  Parsed *p = parsed_new ("auto");

  cr_assert_eq (parsed_run_str (p, COMBINED_LINE), LN_PARSE_OK);
  cr_assert_eq (p->column, 0);
  expect_fields (p, combined_fields, N_ELEMS (combined_fields));
  expect_time_status (p, 200);
  cr_assert_eq (p->rec.format_index, 0);
  parsed_free (p);
}

Test (parse, auto_common_then_combined)
{
  Parsed *p = parsed_new ("auto");

  cr_assert_eq (parsed_run_str (p, COMMON_LINE), LN_PARSE_OK);
  expect_fields (p, common_fields, N_ELEMS (common_fields));
  expect_time_status (p, 200);
  cr_assert_eq (p->rec.format_index, 1);
  /* the winner is tried first next time, but a change of format still
   * finds the right candidate */
  cr_assert_eq (parsed_run_str (p, COMBINED_LINE), LN_PARSE_OK);
  expect_fields (p, combined_fields, N_ELEMS (combined_fields));
  cr_assert_eq (p->rec.format_index, 0);
  cr_assert_eq (parsed_run_str (p, COMMON_LINE), LN_PARSE_OK);
  cr_assert_eq (p->rec.format_index, 1);
  cr_assert_eq (parsed_run_str (p, COMMON_LINE), LN_PARSE_OK);
  cr_assert_eq (p->rec.format_index, 1);
  parsed_free (p);
}

Test (parse, auto_vhost_variants)
{
  static const F vc_port[] = {
    { LN_FIELD_VHOST, "www.example.com" }, { LN_FIELD_PORT, "80" },
    { LN_FIELD_CLIENT, "192.0.2.7" }, { LN_FIELD_IDENT, "-" }, { LN_FIELD_USER, "-" },
    { LN_FIELD_TIME, TIME_TEXT }, { LN_FIELD_REQUEST, "GET / HTTP/1.1" },
    { LN_FIELD_STATUS, "304" }, { LN_FIELD_BYTES, "0" },
    { LN_FIELD_REFERER, "-" }, { LN_FIELD_USER_AGENT, "curl/8.0" },
  };
  static const F vc_noport[] = {
    { LN_FIELD_VHOST, "www.example.com" },
    { LN_FIELD_CLIENT, "192.0.2.7" }, { LN_FIELD_IDENT, "-" }, { LN_FIELD_USER, "-" },
    { LN_FIELD_TIME, TIME_TEXT }, { LN_FIELD_REQUEST, "GET / HTTP/1.1" },
    { LN_FIELD_STATUS, "304" }, { LN_FIELD_BYTES, "0" },
    { LN_FIELD_REFERER, "-" }, { LN_FIELD_USER_AGENT, "curl/8.0" },
  };
  static const F vcommon[] = {
    { LN_FIELD_VHOST, "www.example.com" },
    { LN_FIELD_CLIENT, "192.0.2.7" }, { LN_FIELD_IDENT, "-" }, { LN_FIELD_USER, "-" },
    { LN_FIELD_TIME, TIME_TEXT }, { LN_FIELD_REQUEST, "GET / HTTP/1.1" },
    { LN_FIELD_STATUS, "304" }, { LN_FIELD_BYTES, "-" },
  };
  Parsed *p = parsed_new ("auto");

  cr_assert_eq (parsed_run_str (p, "www.example.com:80 192.0.2.7 - - [" TIME_TEXT
                                   "] \"GET / HTTP/1.1\" 304 0 \"-\" \"curl/8.0\""),
                LN_PARSE_OK);
  expect_fields (p, vc_port, N_ELEMS (vc_port));
  expect_time_status (p, 304);
  cr_assert_eq (p->rec.format_index, 2);

  cr_assert_eq (parsed_run_str (p, "www.example.com 192.0.2.7 - - [" TIME_TEXT
                                   "] \"GET / HTTP/1.1\" 304 0 \"-\" \"curl/8.0\""),
                LN_PARSE_OK);
  expect_fields (p, vc_noport, N_ELEMS (vc_noport));
  cr_assert_eq (p->rec.format_index, 3);

  cr_assert_eq (parsed_run_str (p, "www.example.com 192.0.2.7 - - [" TIME_TEXT
                                   "] \"GET / HTTP/1.1\" 304 -"),
                LN_PARSE_OK);
  expect_fields (p, vcommon, N_ELEMS (vcommon));
  cr_assert_eq (p->rec.format_index, 5);
  parsed_free (p);
}

Test (parse, auto_vhost_common_with_port)
{
  /* "%v:%p %h ..." is a candidate (index 4, tried before vhost_common at 5)
   * and must be found like the vhost_combined pair (indexes 2 and 3): the
   * port is a field of its own, not part of the vhost. */
  static const F vcommon_port[] = {
    { LN_FIELD_VHOST, "www.example.com" }, { LN_FIELD_PORT, "8443" },
    { LN_FIELD_CLIENT, "192.0.2.7" }, { LN_FIELD_IDENT, "-" }, { LN_FIELD_USER, "-" },
    { LN_FIELD_TIME, TIME_TEXT }, { LN_FIELD_REQUEST, "GET / HTTP/1.1" },
    { LN_FIELD_STATUS, "304" }, { LN_FIELD_BYTES, "-" },
  };
  Parsed *p = parsed_new ("auto");

  cr_assert_eq (parsed_run_str (p, "www.example.com:8443 192.0.2.7 - - [" TIME_TEXT
                                   "] \"GET / HTTP/1.1\" 304 -"),
                LN_PARSE_OK);
  cr_expect_eq (p->rec.format_index, 4);
  expect_fields (p, vcommon_port, N_ELEMS (vcommon_port));
  parsed_free (p);
}

Test (parse, each_preset)
{
  static const F vhost_common_f[] = {
    { LN_FIELD_VHOST, "example.org" },
    { LN_FIELD_CLIENT, "127.0.0.1" }, { LN_FIELD_IDENT, "-" }, { LN_FIELD_USER, "frank" },
    { LN_FIELD_TIME, TIME_TEXT }, { LN_FIELD_REQUEST, "GET /apache_pb.gif HTTP/1.0" },
    { LN_FIELD_STATUS, "200" }, { LN_FIELD_BYTES, "2326" },
  };
  static const F vhost_combined_f[] = {
    { LN_FIELD_VHOST, "example.org" }, { LN_FIELD_PORT, "443" },
    { LN_FIELD_CLIENT, "127.0.0.1" }, { LN_FIELD_IDENT, "-" }, { LN_FIELD_USER, "frank" },
    { LN_FIELD_TIME, TIME_TEXT }, { LN_FIELD_REQUEST, "GET /apache_pb.gif HTTP/1.0" },
    { LN_FIELD_STATUS, "200" }, { LN_FIELD_BYTES, "2326" },
    { LN_FIELD_REFERER, "http://www.example.com/start.html" },
    { LN_FIELD_USER_AGENT, "Mozilla/4.08 [en] (Win98; I ;Nav)" },
  };
  Parsed *p;

  p = parsed_new ("common");
  cr_assert_eq (p->parser.nformats, 1);
  cr_assert_eq (parsed_run_str (p, COMMON_LINE), LN_PARSE_OK);
  expect_fields (p, common_fields, N_ELEMS (common_fields));
  expect_time_status (p, 200);
  cr_assert_eq (p->rec.format_index, 0);
  /* a combined line is not common: text after the last field */
  cr_assert_eq (parsed_run_str (p, COMBINED_LINE), LN_PARSE_TRAILING_TEXT);
  cr_assert_eq (p->column, strlen (COMMON_LINE) + 1);
  cr_assert_eq (p->rec.nfields, 0);
  parsed_free (p);

  p = parsed_new ("combined");
  cr_assert_eq (parsed_run_str (p, COMBINED_LINE), LN_PARSE_OK);
  expect_fields (p, combined_fields, N_ELEMS (combined_fields));
  expect_time_status (p, 200);
  /* a common line is not combined */
  cr_assert_eq (parsed_run_str (p, COMMON_LINE), LN_PARSE_EXPECTED_TEXT);
  cr_assert_eq (p->column, strlen (COMMON_LINE) + 1);
  parsed_free (p);

  p = parsed_new ("vhost_common");
  cr_assert_eq (parsed_run_str (p, "example.org " COMMON_LINE), LN_PARSE_OK);
  expect_fields (p, vhost_common_f, N_ELEMS (vhost_common_f));
  expect_time_status (p, 200);
  parsed_free (p);

  p = parsed_new ("vhost_combined");
  cr_assert_eq (parsed_run_str (p, "example.org:443 " COMBINED_LINE), LN_PARSE_OK);
  expect_fields (p, vhost_combined_f, N_ELEMS (vhost_combined_f));
  expect_time_status (p, 200);
  parsed_free (p);
}

Test (parse, preset_lookup)
{
  cr_assert_str_eq (logformat_preset ("common"), "%h %l %u %t \"%r\" %>s %b");
  cr_assert_str_eq (logformat_preset ("combined"),
                    "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"");
  cr_assert_not_null (logformat_preset ("vhost_common"));
  cr_assert_not_null (logformat_preset ("vhost_combined"));
  cr_assert_null (logformat_preset ("auto"));
  cr_assert_null (logformat_preset ("Common"));
  cr_assert_null (logformat_preset (""));
}

Test (parse, compiled_scans)
{
  GError *error = NULL;
  LnLogFormat *lf = logformat_compile ("combined", &error);

  cr_assert_not_null (lf);
  cr_assert_str_eq (lf->name, "combined");
  cr_assert_eq (lf->nops, 9);
  cr_assert_eq (lf->leading.len, 0);
  cr_assert_eq (lf->ops[0].scan, LN_SCAN_LIST);
  cr_assert_eq (lf->ops[1].scan, LN_SCAN_BARE);
  cr_assert_eq (lf->ops[3].type, LN_FIELD_TIME);
  cr_assert_eq (lf->ops[3].scan, LN_SCAN_BARE_SPACES);
  assert_span_str (lf->ops[2].literal, " [");
  assert_span_str (lf->ops[3].literal, "] \"");
  cr_assert_eq (lf->ops[4].scan, LN_SCAN_QUOTED);
  assert_span_str (lf->ops[4].literal, "\" ");
  cr_assert_eq (lf->ops[7].scan, LN_SCAN_QUOTED);
  cr_assert_eq (lf->ops[8].scan, LN_SCAN_QUOTED);
  assert_span_str (lf->ops[8].literal, "\"");
  cr_assert (lf->trailing_fields);
  logformat_free (lf);

  lf = logformat_compile ("common", &error);
  cr_assert_not_null (lf);
  cr_assert (!lf->trailing_fields);
  cr_assert_eq (lf->ops[6].literal.len, 0);
  logformat_free (lf);
  logformat_free (NULL);
}

/* ------------------------------------------------- LogFormat strings */

Test (parse, logformat_httpd_conf_escapes)
{
  /* as copied from httpd.conf: LogFormat "%h %l %u %t \"%r\" %>s %b" common */
  Parsed *p = parsed_new ("%h %l %u %t \\\"%r\\\" %>s %b");

  cr_assert_eq (parsed_run_str (p, COMMON_LINE), LN_PARSE_OK);
  expect_fields (p, common_fields, N_ELEMS (common_fields));
  expect_time_status (p, 200);
  cr_assert_eq (p->parser.formats[0]->ops[4].scan, LN_SCAN_QUOTED);
  /* the escaped request may contain an escaped quote */
  cr_assert_eq (parsed_run_str (p, "127.0.0.1 - frank [" TIME_TEXT "] \"GET /\\\"x HTTP/1.0\" 200 1"),
                LN_PARSE_OK);
  assert_span_str (p->rec.fields[4].raw, "GET /\\\"x HTTP/1.0");
  parsed_free (p);

  /* \t and \\ escapes */
  p = parsed_new ("%h\\t%>s\\t%{X}i\\\\%b");
  cr_assert_eq (parsed_run_str (p, "192.0.2.1\t404\tvalue\\12"), LN_PARSE_OK);
  {
    static const F f[] = {
      { LN_FIELD_CLIENT, "192.0.2.1" }, { LN_FIELD_STATUS, "404" },
      { LN_FIELD_HEADER, "value" }, { LN_FIELD_BYTES, "12" },
    };
    expect_fields (p, f, N_ELEMS (f));
    cr_assert_eq (p->rec.status, 404);
    cr_assert (!p->rec.has_time);
  }
  parsed_free (p);
}

Test (parse, logformat_same_as_preset)
{
  Parsed *a = parsed_new ("combined");
  Parsed *b = parsed_new ("%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"");

  cr_assert_eq (parsed_run_str (a, COMBINED_LINE), LN_PARSE_OK);
  cr_assert_eq (parsed_run_str (b, COMBINED_LINE), LN_PARSE_OK);
  expect_fields (b, combined_fields, N_ELEMS (combined_fields));
  cr_assert_eq (a->parser.formats[0]->nops, b->parser.formats[0]->nops);
  cr_assert_eq (b->parser.formats[0]->trailing_fields, TRUE);
  parsed_free (a);
  parsed_free (b);
}

Test (parse, logformat_other_directives)
{
  Parsed *p;
  static const F f[] = {
    { LN_FIELD_CLIENT, "192.0.2.1" }, { LN_FIELD_CLIENT, "10.0.0.1" },
    { LN_FIELD_VHOST, "example.org" }, { LN_FIELD_PORT, "443" },
    { LN_FIELD_DURATION_US, "1234" }, { LN_FIELD_DURATION_S, "0" },
    { LN_FIELD_TIME, "10/Oct/2000" }, { LN_FIELD_TIME, TIME_TEXT },
    { LN_FIELD_REQUEST, "GET /x?y=1 HTTP/2.0" }, { LN_FIELD_STATUS, "500" },
    { LN_FIELD_BYTES, "-" }, { LN_FIELD_BYTES, "11" }, { LN_FIELD_BYTES, "22" },
    { LN_FIELD_FORWARDED, "203.0.113.9, 10.0.0.1" }, { LN_FIELD_URL_PATH, "/x" },
    { LN_FIELD_QUERY, "?y=1" }, { LN_FIELD_OTHER, "GET" }, { LN_FIELD_OTHER, "HTTP/2.0" },
  };

  /* %U%q adjacent are rejected (see logformat_errors): use a separator */
  p = parsed_new ("%a %{c}a %v %p %D %T %{%d/%b/%Y}t %t \"%r\" %s %B %I %O "
                  "\"%{X-Forwarded-For}i\" %U|%q %m %H");
  cr_assert_eq (parsed_run_str (p, "192.0.2.1 10.0.0.1 example.org 443 1234 0 10/Oct/2000 ["
                                   TIME_TEXT "] \"GET /x?y=1 HTTP/2.0\" 500 - 11 22 "
                                   "\"203.0.113.9, 10.0.0.1\" /x|?y=1 GET HTTP/2.0"),
                LN_PARSE_OK, "column %zu", p->column);
  expect_fields (p, f, N_ELEMS (f));
  cr_assert_eq (p->rec.status, 500);
  /* a date alone is no instant: the %t after it sets the time */
  cr_assert (p->rec.has_time);
  cr_assert_eq (p->rec.time.epoch, TIME_EPOCH);
  parsed_free (p);
}

Test (parse, time_forms)
{
  Parsed *p;
  static const F iso[] = {
    { LN_FIELD_CLIENT, "192.0.2.1" }, { LN_FIELD_TIME, "2024-03-05T10:00:00+0100" },
    { LN_FIELD_REQUEST, "GET / HTTP/1.1" }, { LN_FIELD_STATUS, "200" },
  };
  static const F spaced[] = {
    { LN_FIELD_CLIENT, "192.0.2.1" }, { LN_FIELD_TIME, "05/Mar/2024 10:00:00 -0130" },
    { LN_FIELD_STATUS, "200" },
  };
  static const F numeric[] = {
    { LN_FIELD_TIME, "10:00:00" }, { LN_FIELD_TIME, "1709632800123" },
    { LN_FIELD_NUMBER, "123" }, { LN_FIELD_TIME, "1" }, { LN_FIELD_NUMBER, "000123" },
    { LN_FIELD_TIME, "1709632800123456" }, { LN_FIELD_TIME, TIME_TEXT },
  };

  p = parsed_new ("%h %{%Y-%m-%dT%H:%M:%S%z}t \"%r\" %>s");
  cr_assert_eq (parsed_run_str (p, "192.0.2.1 2024-03-05T10:00:00+0100 \"GET / HTTP/1.1\" 200"),
                LN_PARSE_OK, "column %zu", p->column);
  expect_fields (p, iso, N_ELEMS (iso));
  cr_assert (p->rec.has_time);
  cr_assert_eq (p->rec.time.epoch, 1709629200);
  cr_assert_eq (p->rec.time.utc_offset, 3600);
  parsed_free (p);

  /* a time with spaces, between quotes and before a space literal */
  p = parsed_new ("%h \"%{%d/%b/%Y %T %z}t\" %>s");
  cr_assert_eq (parsed_run_str (p, "192.0.2.1 \"05/Mar/2024 10:00:00 -0130\" 200"),
                LN_PARSE_OK, "column %zu", p->column);
  expect_fields (p, spaced, N_ELEMS (spaced));
  cr_assert_eq (p->rec.time.epoch, 1709632800 + 5400);
  cr_assert_eq (p->rec.time.utc_offset, -5400);
  parsed_free (p);

  /* the first field with an instant sets the time (%T has none); the
   * fractions are numbers; %{begin:}t is %t, brackets and all */
  p = parsed_new ("%{%T}t %{msec}t %{msec_frac}t %{sec}t %{end:usec_frac}t "
                  "%{end:usec}t %{begin:}t");
  cr_assert_eq (parsed_run_str (p, "10:00:00 1709632800123 123 1 000123 1709632800123456 ["
                                   TIME_TEXT "]"),
                LN_PARSE_OK, "column %zu", p->column);
  expect_fields (p, numeric, N_ELEMS (numeric));
  cr_assert (p->rec.has_time);
  cr_assert_eq (p->rec.time.epoch, 1709632800);
  cr_assert_eq (p->rec.time.utc_offset, 0);
  /* the later ones are still checked */
  cr_assert_eq (parsed_run_str (p, "10:00:00 1709632800123 123 1 000123 1709632800123456 "
                                   "[10/Oct/2000:24:55:36 -0700]"),
                LN_PARSE_BAD_TIME);
  cr_assert_eq (parsed_run_str (p, "24:00:00 1709632800123 123 1 000123 1709632800123456 ["
                                   TIME_TEXT "]"),
                LN_PARSE_BAD_TIME);
  cr_assert_eq (p->column, 1);
  parsed_free (p);

  /* two %t: the first sets the time, the second is checked */
  p = parsed_new ("%t %t");
  cr_assert_eq (parsed_run_str (p, "[" TIME_TEXT "] [01/Jan/2001:00:00:00 +0000]"), LN_PARSE_OK);
  cr_assert_eq (p->rec.time.epoch, TIME_EPOCH);
  cr_assert_eq (parsed_run_str (p, "[" TIME_TEXT "] [01/Jan/2001:00:00:61 +0000]"),
                LN_PARSE_BAD_TIME);
  parsed_free (p);
}

/* Parts of a time in fields of their own: Apache's own example has the
 * zone apart ("%{%d/%b/%Y:%T}t.%{msec_frac}t %{%z}t"), and a date and a
 * time of day may be apart too.  1709632800 is 2024-03-05T10:00:00Z. */
Test (parse, time_parts_apart)
{
  Parsed *p;

  p = parsed_new ("%h [%{%d/%b/%Y:%H:%M:%S}t.%{msec_frac}t %{%z}t]");
  cr_assert_eq (parsed_run_str (p, "192.0.2.1 [05/Mar/2024:10:00:00.123 -0130]"), LN_PARSE_OK,
                "column %zu", p->column);
  cr_assert (p->rec.has_time);
  cr_assert_eq (p->rec.time.epoch, 1709632800 + 5400);
  cr_assert_eq (p->rec.time.utc_offset, -5400);
  /* the next line: no zone left over from this one */
  cr_assert_eq (parsed_run_str (p, "192.0.2.1 [05/Mar/2024:10:00:00.123 +0000]"), LN_PARSE_OK);
  cr_assert_eq (p->rec.time.epoch, 1709632800);
  cr_assert_eq (parsed_run_str (p, "192.0.2.1 [05/Mar/2024:10:00:00.123 +2500]"),
                LN_PARSE_BAD_TIME);
  parsed_free (p);

  /* the zone first */
  p = parsed_new ("%{%z}t %{%F %T}t");
  cr_assert_eq (parsed_run_str (p, "+0100 2024-03-05 11:00:00"), LN_PARSE_OK);
  cr_assert_eq (p->rec.time.epoch, 1709632800);
  cr_assert_eq (p->rec.time.utc_offset, 3600);
  parsed_free (p);

  /* an instant with its own zone keeps it; %t too */
  p = parsed_new ("%{%F %T %z}t %{%z}t");
  cr_assert_eq (parsed_run_str (p, "2024-03-05 11:00:00 +0100 -0700"), LN_PARSE_OK);
  cr_assert_eq (p->rec.time.epoch, 1709632800);
  parsed_free (p);
  p = parsed_new ("%t %{%z}t");
  cr_assert_eq (parsed_run_str (p, "[" TIME_TEXT "] +0500"), LN_PARSE_OK);
  cr_assert_eq (p->rec.time.epoch, TIME_EPOCH);
  parsed_free (p);

  /* a date and a time of day apart, with or without a zone */
  p = parsed_new ("[%{%d/%b/%Y}t] [%{%T}t]");
  cr_assert_eq (parsed_run_str (p, "[05/Mar/2024] [10:00:00]"), LN_PARSE_OK);
  cr_assert (p->rec.has_time);
  cr_assert_eq (p->rec.time.epoch, 1709632800);
  parsed_free (p);
  p = parsed_new ("[%{%d/%b/%Y}t] [%{%T %z}t]");
  cr_assert_eq (parsed_run_str (p, "[05/Mar/2024] [11:30:00 +0130]"), LN_PARSE_OK);
  cr_assert_eq (p->rec.time.epoch, 1709632800);
  cr_assert_eq (p->rec.time.utc_offset, 5400);
  parsed_free (p);
  p = parsed_new ("[%{%T}t] [%{%d/%b/%Y}t] %{%z}t");
  cr_assert_eq (parsed_run_str (p, "[08:00:00] [05/Mar/2024] -0200"), LN_PARSE_OK);
  cr_assert_eq (p->rec.time.epoch, 1709632800);
  parsed_free (p);

  /* a date alone, or a time of day alone, is still no instant */
  p = parsed_new ("[%{%d/%b/%Y}t] %{%z}t");
  cr_assert_eq (parsed_run_str (p, "[05/Mar/2024] +0100"), LN_PARSE_OK);
  cr_assert (!p->rec.has_time);
  parsed_free (p);
  p = parsed_new ("[%{%T}t]");
  cr_assert_eq (parsed_run_str (p, "[10:00:00]"), LN_PARSE_OK);
  cr_assert (!p->rec.has_time);
  parsed_free (p);
}

Test (parse, nginx_time_forms)
{
  Parsed *p = g_new0 (Parsed, 1);
  GError *error = NULL;
  static const F f[] = {
    { LN_FIELD_CLIENT, "192.0.2.1" }, { LN_FIELD_TIME, "2024-03-05T10:00:00+01:00" },
    { LN_FIELD_TIME, "1709632800.123" }, { LN_FIELD_TIME, "05/Mar/2024:10:00:00 +0100" },
    { LN_FIELD_REQUEST, "GET / HTTP/1.1" },
  };

  live = g_slist_prepend (live, p);
  cr_assert (parser_init_nginx (&p->parser, "$remote_addr [$time_iso8601] $msec "
                                "[$time_local] \"$request\"", &error));
  cr_assert_eq (parsed_run_str (p, "192.0.2.1 [2024-03-05T10:00:00+01:00] 1709632800.123 "
                                   "[05/Mar/2024:10:00:00 +0100] \"GET / HTTP/1.1\""),
                LN_PARSE_OK, "column %zu", p->column);
  expect_fields (p, f, N_ELEMS (f));
  cr_assert (p->rec.has_time);
  cr_assert_eq (p->rec.time.epoch, 1709629200);
  cr_assert_eq (p->rec.time.utc_offset, 3600);
  cr_assert_eq (parsed_run_str (p, "192.0.2.1 [2024-03-05T10:00:00+01:00] 1709632800 "
                                   "[05/Mar/2024:10:00:00 +0100] \"GET / HTTP/1.1\""),
                LN_PARSE_BAD_TIME);
  cr_assert_eq (parsed_run_str (p, "192.0.2.1 [2024-03-05 10:00:00+01:00] 1709632800.123 "
                                   "[05/Mar/2024:10:00:00 +0100] \"GET / HTTP/1.1\""),
                LN_PARSE_BAD_TIME);
  parsed_free (p);

  /* $msec alone sets the time */
  p = g_new0 (Parsed, 1);
  live = g_slist_prepend (live, p);
  cr_assert (parser_init_nginx (&p->parser, "$msec $remote_addr", &error));
  cr_assert_eq (parsed_run_str (p, "1709632800.999 192.0.2.1"), LN_PARSE_OK);
  cr_assert_eq (p->rec.time.epoch, 1709632800);
  cr_assert_eq (p->rec.time.utc_offset, 0);
  parsed_free (p);
}

Test (parse, logformat_leading_literal_and_percent)
{
  Parsed *p = parsed_new ("<%h> 100%% %>s");

  cr_assert_eq (parsed_run_str (p, "<192.0.2.1> 100% 200"), LN_PARSE_OK);
  {
    static const F f[] = { { LN_FIELD_CLIENT, "192.0.2.1" }, { LN_FIELD_STATUS, "200" } };
    expect_fields (p, f, N_ELEMS (f));
  }
  cr_assert_eq (parsed_run_str (p, "[192.0.2.1] 100% 200"), LN_PARSE_EXPECTED_TEXT);
  cr_assert_eq (p->column, 1);
  cr_assert_eq (parsed_run_str (p, "<192.0.2.1> 100 200"), LN_PARSE_EXPECTED_TEXT);
  cr_assert_eq (p->column, 11);
  parsed_free (p);
}

Test (parse, status_condition_modifiers)
{
  Parsed *p = parsed_new ("%h %l %!200u %t \"%r\" %<s %b \"%{Referer}i\" \"%400,501{User-agent}i\"");
  const LnLogFormat *lf = p->parser.formats[0];

  cr_assert_eq (lf->nops, 9);
  cr_assert_eq (lf->ops[2].type, LN_FIELD_USER);
  cr_assert_eq (lf->ops[5].type, LN_FIELD_STATUS);
  cr_assert_eq (lf->ops[8].type, LN_FIELD_USER_AGENT);
  cr_assert_eq (lf->ops[8].scan, LN_SCAN_QUOTED);
  cr_assert (lf->trailing_fields);
  cr_assert_eq (parsed_run_str (p, COMBINED_LINE), LN_PARSE_OK);
  expect_fields (p, combined_fields, N_ELEMS (combined_fields));
  parsed_free (p);

  p = parsed_new ("%h %>s %{Referer}i %{REFERER}i %{user-agent}i");
  lf = p->parser.formats[0];
  cr_assert_eq (lf->ops[2].type, LN_FIELD_REFERER);
  cr_assert_eq (lf->ops[3].type, LN_FIELD_REFERER);
  cr_assert_eq (lf->ops[4].type, LN_FIELD_USER_AGENT);
  parsed_free (p);
}

/* ------------------------------------------------- quoting and bytes */

Test (parse, escaped_quotes)
{
  Parsed *p = parsed_new ("combined");
  static const char line[] =
    "192.0.2.1 - - [" TIME_TEXT "] \"GET /a\\\"b\\\\ HTTP/1.1\" 200 5 "
    "\"http://x/\\\"q\\\"\" \"Agent \\\"quoted\\\" \\\\\"";

  cr_assert_eq (parsed_run (p, line, sizeof line - 1), LN_PARSE_OK, "column %zu", p->column);
  assert_span_str (p->rec.fields[4].raw, "GET /a\\\"b\\\\ HTTP/1.1");
  assert_span_str (p->rec.fields[7].raw, "http://x/\\\"q\\\"");
  assert_span_str (p->rec.fields[8].raw, "Agent \\\"quoted\\\" \\\\");
  cr_assert_eq (p->rec.nfields, 9);

  /* a request that ends in an escaped backslash */
  cr_assert_eq (parsed_run_str (p, "192.0.2.1 - - [" TIME_TEXT "] \"GET /\\\\\" 200 5 \"-\" \"-\""),
                LN_PARSE_OK);
  assert_span_str (p->rec.fields[4].raw, "GET /\\\\");
  /* three backslashes: the quote is escaped, the field goes on */
  cr_assert_eq (parsed_run_str (p, "192.0.2.1 - - [" TIME_TEXT "] \"a\\\\\\\" b\" 200 5 \"-\" \"-\""),
                LN_PARSE_OK);
  assert_span_str (p->rec.fields[4].raw, "a\\\\\\\" b");
  parsed_free (p);
}

Test (parse, hex_escapes_are_bytes)
{
  Parsed *p = parsed_new ("combined");

  cr_assert_eq (parsed_run_str (p, "192.0.2.1 - - [" TIME_TEXT "] \"\\x16\\x03\\x01\\x00\" 400 226 "
                                   "\"-\" \"\\xff\\xfeagent\""),
                LN_PARSE_OK);
  assert_span_str (p->rec.fields[4].raw, "\\x16\\x03\\x01\\x00");
  assert_span_str (p->rec.fields[8].raw, "\\xff\\xfeagent");
  cr_assert_eq (p->rec.status, 400);
  parsed_free (p);
}

Test (parse, empty_and_dash_fields)
{
  Parsed *p = parsed_new ("combined");

  cr_assert_eq (parsed_run_str (p, "192.0.2.1 - - [" TIME_TEXT "] \"\" 400 0 \"\" \"\""),
                LN_PARSE_OK);
  assert_span_str (p->rec.fields[4].raw, "");
  assert_span_str (p->rec.fields[7].raw, "");
  assert_span_str (p->rec.fields[8].raw, "");
  cr_assert_eq (p->rec.status, 400);

  cr_assert_eq (parsed_run_str (p, "192.0.2.1 - - [" TIME_TEXT "] \"-\" 408 - \"-\" \"-\""),
                LN_PARSE_OK);
  assert_span_str (p->rec.fields[4].raw, "-");
  assert_span_str (p->rec.fields[6].raw, "-");
  cr_assert_eq (p->rec.status, 408);

  /* status "-" (e.g. %>s of an aborted request) */
  cr_assert_eq (parsed_run_str (p, "192.0.2.1 - - [" TIME_TEXT "] \"GET / HTTP/1.1\" - - \"-\" \"-\""),
                LN_PARSE_OK);
  cr_assert_eq (p->rec.status, -1);
  assert_span_str (p->rec.fields[5].raw, "-");

  /* 20-digit byte count is accepted */
  cr_assert_eq (parsed_run_str (p, "192.0.2.1 - - [" TIME_TEXT "] \"GET / HTTP/1.1\" 200 "
                                   "18446744073709551615 \"-\" \"-\""),
                LN_PARSE_OK);
  assert_span_str (p->rec.fields[6].raw, "18446744073709551615");
  parsed_free (p);
}

Test (parse, one_mebibyte_request)
{
  Parsed *p = parsed_new ("auto");
  GString *line = g_string_new ("192.0.2.1 - - [" TIME_TEXT "] \"GET /");
  size_t req_start = line->len - strlen ("GET /"), i;

  for (i = 0; i < 1024 * 1024; i++)
    g_string_append_c (line, (char) ('a' + i % 26));
  g_string_append (line, " HTTP/1.1\" 414 0 \"-\" \"agent\"");
  cr_assert_eq (parsed_run (p, line->str, line->len), LN_PARSE_OK);
  cr_assert_eq (p->rec.nfields, 9);
  cr_assert_eq (p->rec.fields[4].type, LN_FIELD_REQUEST);
  cr_assert_eq (p->rec.fields[4].raw.p, p->copy + req_start);
  cr_assert_eq (p->rec.fields[4].raw.len, 1024 * 1024 + strlen ("GET / HTTP/1.1"));
  cr_assert_eq (memcmp (p->rec.fields[4].raw.p, line->str + req_start,
                        p->rec.fields[4].raw.len), 0);
  assert_span_str (p->rec.fields[8].raw, "agent");
  cr_assert_eq (p->rec.status, 414);
  g_string_free (line, TRUE);
  parsed_free (p);
}

Test (parse, embedded_nul_bytes)
{
  static const char line[] =
    "192.0.2.1 - - [" TIME_TEXT "] \"GET /a\0b HTTP/1.1\" 200 5 \"-\" \"x\0y\"";
  static const char req[] = "GET /a\0b HTTP/1.1";
  Parsed *p = parsed_new ("auto");

  cr_assert_eq (parsed_run (p, line, sizeof line - 1), LN_PARSE_OK);
  assert_span_bytes (p->rec.fields[4].raw, req, sizeof req - 1);
  assert_span_bytes (p->rec.fields[8].raw, "x\0y", 3);
  cr_assert_eq (p->rec.format_index, 0);
  /* a NUL after a complete line is trailing text, not the end of it */
  {
    static const char with_nul[] = COMMON_LINE "\0";
    Parsed *q = parsed_new ("common");

    cr_assert_eq (parsed_run (q, with_nul, sizeof with_nul - 1), LN_PARSE_BAD_BYTES);
    cr_assert_eq (q->column, strlen (COMMON_LINE) - 3);
    parsed_free (q);
  }
  parsed_free (p);
}

Test (parse, non_utf8_bytes)
{
  static const char line[] =
    "192.0.2.1 - \xe9t\xe9 [" TIME_TEXT "] \"GET /\xff\xfe\xc3( HTTP/1.1\" 200 5 \"-\" \"\x80\x81\"";
  Parsed *p = parsed_new ("combined");

  cr_assert_eq (parsed_run (p, line, sizeof line - 1), LN_PARSE_OK);
  assert_span_str (p->rec.fields[2].raw, "\xe9t\xe9");
  assert_span_str (p->rec.fields[4].raw, "GET /\xff\xfe\xc3( HTTP/1.1");
  assert_span_str (p->rec.fields[8].raw, "\x80\x81");
  parsed_free (p);
}

/* -------------------------------------------------- client variants */

Test (parse, forwarded_for_list_as_client)
{
  Parsed *p = parsed_new ("auto");

  cr_assert_eq (parsed_run_str (p, "10.0.0.2, 10.0.0.1, 127.0.0.1 - - [" TIME_TEXT
                                   "] \"GET / HTTP/1.1\" 200 2326"),
                LN_PARSE_OK);
  cr_assert_eq (p->rec.format_index, 1);
  cr_assert_eq (p->rec.nfields, 7);
  cr_assert_eq (p->rec.fields[0].type, LN_FIELD_CLIENT);
  assert_span_str (p->rec.fields[0].raw, "10.0.0.2, 10.0.0.1, 127.0.0.1");
  assert_span_str (p->rec.fields[1].raw, "-");
  assert_span_str (p->rec.fields[2].raw, "-");

  cr_assert_eq (parsed_run_str (p, "2001:db8::1, 10.0.0.1 - - [" TIME_TEXT
                                   "] \"GET / HTTP/1.1\" 200 2326 \"-\" \"ua\""),
                LN_PARSE_OK);
  cr_assert_eq (p->rec.format_index, 0);
  assert_span_str (p->rec.fields[0].raw, "2001:db8::1, 10.0.0.1");
  assert_span_str (p->rec.fields[8].raw, "ua");
  parsed_free (p);
}

Test (parse, nginx_trailing_fields)
{
  Parsed *p = parsed_new ("auto");
  static const F f[] = {
    { LN_FIELD_CLIENT, "127.0.0.1" }, { LN_FIELD_IDENT, "-" }, { LN_FIELD_USER, "frank" },
    { LN_FIELD_TIME, TIME_TEXT }, { LN_FIELD_REQUEST, "GET /apache_pb.gif HTTP/1.0" },
    { LN_FIELD_STATUS, "200" }, { LN_FIELD_BYTES, "2326" },
    { LN_FIELD_REFERER, "http://www.example.com/start.html" },
    { LN_FIELD_USER_AGENT, "Mozilla/4.08 [en] (Win98; I ;Nav)" },
    { LN_FIELD_TRAILING, "203.0.113.9, 10.0.0.1" },
  };
  static const F g[] = {
    { LN_FIELD_CLIENT, "127.0.0.1" }, { LN_FIELD_IDENT, "-" }, { LN_FIELD_USER, "frank" },
    { LN_FIELD_TIME, TIME_TEXT }, { LN_FIELD_REQUEST, "GET /apache_pb.gif HTTP/1.0" },
    { LN_FIELD_STATUS, "200" }, { LN_FIELD_BYTES, "2326" },
    { LN_FIELD_REFERER, "http://www.example.com/start.html" },
    { LN_FIELD_USER_AGENT, "Mozilla/4.08 [en] (Win98; I ;Nav)" },
    { LN_FIELD_TRAILING, "-" }, { LN_FIELD_TRAILING, "0.052" },
    { LN_FIELD_TRAILING, "a \\\"b\\\"" }, { LN_FIELD_TRAILING, "" },
  };

  cr_assert_eq (parsed_run_str (p, COMBINED_LINE " \"203.0.113.9, 10.0.0.1\""), LN_PARSE_OK);
  expect_fields (p, f, N_ELEMS (f));
  cr_assert_eq (p->rec.format_index, 0);
  cr_assert_eq (parsed_run_str (p, COMBINED_LINE " \"-\" 0.052 \"a \\\"b\\\"\" \"\""),
                LN_PARSE_OK);
  expect_fields (p, g, N_ELEMS (g));
  parsed_free (p);

  /* explicit combined: the same; malformed trailers are reported */
  p = parsed_new ("combined");
  cr_assert_eq (parsed_run_str (p, COMBINED_LINE " \"203.0.113.9, 10.0.0.1\""), LN_PARSE_OK);
  expect_fields (p, f, N_ELEMS (f));
  cr_assert_eq (parsed_run_str (p, COMBINED_LINE " \"unterminated"),
                LN_PARSE_UNTERMINATED_QUOTE);
  cr_assert_eq (p->column, strlen (COMBINED_LINE) + 2);
  cr_assert_eq (parsed_run_str (p, COMBINED_LINE " "), LN_PARSE_TRAILING_TEXT);
  cr_assert_eq (p->column, strlen (COMBINED_LINE) + 1);
  cr_assert_eq (parsed_run_str (p, COMBINED_LINE "x"), LN_PARSE_TRAILING_TEXT);
  cr_assert_eq (p->column, strlen (COMBINED_LINE) + 1);
  cr_assert_eq (parsed_run_str (p, COMBINED_LINE "  \"x\""), LN_PARSE_EMPTY_FIELD);
  cr_assert_eq (p->column, strlen (COMBINED_LINE) + 2);
  parsed_free (p);
}

/* "ADDRESS:PORT" in one token: the port is what follows the last colon,
 * so IPv6 addresses split right; not so for a virtual host ("%v:%p"). */
Test (parse, address_then_port)
{
  static const struct {
    const char *line, *addr, *port;
  } cases[] = {
    { "192.0.2.7:51234 [x]", "192.0.2.7", "51234" },
    { "2001:db8::1:51234 [x]", "2001:db8::1", "51234" },
    { "::ffff:192.0.2.7:8080 [x]", "::ffff:192.0.2.7", "8080" },
    { "::1:1 [x]", "::1", "1" },
    { "[2001:db8::1]:443 [x]", "[2001:db8::1]", "443" },
  };
  Parsed *p = parsed_new ("%a:%{remote}p [%{x}i]");
  Parsed *n = g_new0 (Parsed, 1);
  Parsed *v = parsed_new ("%v:%p [%{x}i]");
  GError *error = NULL;
  size_t i;

  live = g_slist_prepend (live, n);
  cr_assert (parser_init_nginx (&n->parser, "$remote_addr:$remote_port [$http_x]", &error));
  for (i = 0; i < N_ELEMS (cases); i++)
    {
      Parsed *both[2] = { p, n };
      size_t k;

      for (k = 0; k < 2; k++)
        {
          cr_assert_eq (parsed_run_str (both[k], cases[i].line), LN_PARSE_OK, "%s: status %d",
                        cases[i].line, both[k]->status);
          assert_span_str (both[k]->rec.fields[0].raw, cases[i].addr);
          assert_span_str (both[k]->rec.fields[1].raw, cases[i].port);
        }
    }
  /* no colon, or no digits after the last one */
  cr_assert_eq (parsed_run_str (p, "192.0.2.7 [x]"), LN_PARSE_EXPECTED_TEXT);
  cr_assert_eq (p->column, 10);
  cr_assert_eq (parsed_run_str (p, "unix:/run/php.sock [x]"), LN_PARSE_EXPECTED_TEXT);
  /* a virtual host ends at its first colon, as before */
  cr_assert_eq (parsed_run_str (v, "www.example.org:80 [x]"), LN_PARSE_OK);
  assert_span_str (v->rec.fields[0].raw, "www.example.org");
  cr_assert_neq (parsed_run_str (v, "2001:db8::1:80 [x]"), LN_PARSE_OK);
}

Test (parse, too_many_trailing_fields)
{
  Parsed *p = parsed_new ("combined");
  GString *line = g_string_new (COMBINED_LINE);
  int i;

  /* 9 fields plus 55 trailers fill LN_MAX_FIELDS exactly */
  for (i = 0; i < LN_MAX_FIELDS - 9; i++)
    g_string_append (line, " x");
  cr_assert_eq (parsed_run (p, line->str, line->len), LN_PARSE_OK);
  cr_assert_eq (p->rec.nfields, LN_MAX_FIELDS);
  cr_assert_eq (p->rec.fields[LN_MAX_FIELDS - 1].type, LN_FIELD_TRAILING);
  g_string_append (line, " y");
  cr_assert_eq (parsed_run (p, line->str, line->len), LN_PARSE_TOO_MANY_FIELDS);
  cr_assert_eq (p->column, line->len);
  g_string_free (line, TRUE);
  parsed_free (p);
}

/* -------------------------------------------------------- malformed */

typedef struct {
  const char *format;
  const char *line;
  LnParseStatus status;
  const char *at;          /* column = last occurrence of @at + 1; "" = end */
} BadCase;

#define TL "[" TIME_TEXT "]"

static const BadCase bad_cases[] = {
  /* missing ident and user */
  { "common", "127.0.0.1 " TL " \"GET / HTTP/1.0\" 200 2326", LN_PARSE_EXPECTED_TEXT,
    " \"GET" },
  { "common", "127.0.0.1", LN_PARSE_EXPECTED_TEXT, "" },
  { "common", "127.0.0.1 - - 10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1",
    LN_PARSE_EXPECTED_TEXT, " 10/Oct" },
  { "common", "127.0.0.1 - - [10/Oct/2000:25:55:36 -0700] \"GET / HTTP/1.0\" 200 1",
    LN_PARSE_BAD_TIME, "10/Oct" },
  { "common", "127.0.0.1 - - [10/Oct/2000:13:55:36] \"GET / HTTP/1.0\" 200 1",
    LN_PARSE_BAD_TIME, "10/Oct" },
  { "common", "127.0.0.1 - - [10/oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1",
    LN_PARSE_BAD_TIME, "10/oct" },
  { "common", "127.0.0.1 - - " TL " \"GET / HTTP/1.0\" 2000 1", LN_PARSE_BAD_STATUS, "2000" },
  { "common", "127.0.0.1 - - " TL " \"GET / HTTP/1.0\" 20 1", LN_PARSE_BAD_STATUS, "20 1" },
  { "common", "127.0.0.1 - - " TL " \"GET / HTTP/1.0\" 2x0 1", LN_PARSE_BAD_STATUS, "2x0" },
  { "common", "127.0.0.1 - - " TL " \"GET / HTTP/1.0\" 200 12a", LN_PARSE_BAD_BYTES, "12a" },
  { "common", "127.0.0.1 - - " TL " \"GET / HTTP/1.0\" 200 -1", LN_PARSE_BAD_BYTES, "-1" },
  { "common", "127.0.0.1 - - " TL " \"GET / HTTP/1.0\" 200 123456789012345678901",
    LN_PARSE_BAD_BYTES, "123456789012345678901" },
  { "common", "127.0.0.1 - - " TL " \"GET / HTTP/1.0 200 2326", LN_PARSE_UNTERMINATED_QUOTE,
    "GET" },
  { "common", "127.0.0.1 - - " TL " \"GET / HTTP/1.0\\\" 200 2326", LN_PARSE_UNTERMINATED_QUOTE,
    "GET" },
  { "common", "127.0.0.1 - - " TL " \"GET / HTTP/1.0\" 200 2326 extra", LN_PARSE_TRAILING_TEXT,
    " extra" },
  { "common", "127.0.0.1 - - " TL " \"GET / HTTP/1.0\" 200 2326 ", LN_PARSE_TRAILING_TEXT,
    " " },
  { "common", "127.0.0.1 - - " TL " \"GET / HTTP/1.0\"  2326", LN_PARSE_EMPTY_FIELD, " 2326" },
  { "common", "127.0.0.1 - - " TL " \"GET / HTTP/1.0\" 200 ", LN_PARSE_EMPTY_FIELD, "" },
  { "common", " - - " TL " \"GET / HTTP/1.0\" 200 1", LN_PARSE_EMPTY_FIELD, " - -" },
  { "common", "127.0.0.1 - - " TL " GET / HTTP/1.0 200 1", LN_PARSE_EXPECTED_TEXT, "] GET" },
  { "combined", COMMON_LINE " \"-\"", LN_PARSE_EXPECTED_TEXT, "\"" },
  { "combined", "127.0.0.1 - - " TL " \"GET / HTTP/1.0\" 200 12a \"-\" \"-\"",
    LN_PARSE_BAD_BYTES, "12a" },
  { "vhost_combined", "www.example.org 127.0.0.1 - - " TL " \"GET /\" 200 1 \"-\" \"-\"",
    LN_PARSE_EXPECTED_TEXT, " 127" },
  /* time forms: the matcher finds the end of the time */
  { "%h %{%F %T}t \"%r\"", "127.0.0.1 2024-02-30 10:00:00 \"GET /\"", LN_PARSE_BAD_TIME,
    "2024" },
  { "%h %{%F %T}t \"%r\"", "127.0.0.1 2024-02-03 10:00 \"GET /\"", LN_PARSE_BAD_TIME,
    "2024" },
  { "%h %{%F %T}t %>s", "127.0.0.1 2024-03-05 10:00:00", LN_PARSE_EXPECTED_TEXT, "" },
  { "%h %{%F %T}t", "127.0.0.1 2024-03-05 10:00:00x", LN_PARSE_TRAILING_TEXT, "x" },
  { "%h [%{sec}t] %>s", "127.0.0.1 [17x] 200", LN_PARSE_EXPECTED_TEXT, "x" },
  { "%h [%{msec}t] %>s", "127.0.0.1 [] 200", LN_PARSE_BAD_TIME, "] 200" },
  { "%h %{msec_frac}t", "127.0.0.1 12a", LN_PARSE_BAD_NUMBER, "12a" },
  /* auto: the candidate that got furthest tells the reason */
  { "auto", "garbage", LN_PARSE_EXPECTED_TEXT, "" },
  { "auto", "127.0.0.1 - - " TL " \"GET / HTTP/1.0\" 2000 1", LN_PARSE_BAD_STATUS, "2000" },
};

Test (parse, malformed_lines)
{
  size_t i;

  for (i = 0; i < N_ELEMS (bad_cases); i++)
    {
      const BadCase *c = &bad_cases[i];
      Parsed *p = parsed_new (c->format);
      size_t expected_col;
      LnParseStatus st;

      if (c->at[0] == '\0')
        expected_col = strlen (c->line) + 1;
      else
        {
          const char *at = g_strrstr (c->line, c->at);
          cr_assert_not_null (at, "table: \"%s\" not in \"%s\"", c->at, c->line);
          expected_col = (size_t) (at - c->line) + 1;
        }
      st = parsed_run_str (p, c->line);
      cr_assert_eq (st, c->status, "[%s] \"%s\": status %d (%s), expected %d (%s)", c->format,
                    c->line, (int) st, parse_status_key (st), (int) c->status,
                    parse_status_key (c->status));
      cr_assert_eq (p->column, expected_col, "[%s] \"%s\": column %zu, expected %zu",
                    c->format, c->line, p->column, expected_col);
      cr_assert_eq (p->rec.nfields, 0, "a failed parse leaves no fields");
      parsed_free (p);
    }
}

Test (parse, empty_line)
{
  static const char *const formats[] = { "auto", "common", "combined", "%h" };
  size_t i;

  for (i = 0; i < N_ELEMS (formats); i++)
    {
      Parsed *p = parsed_new (formats[i]);

      cr_assert_eq (parsed_run (p, "", 0), LN_PARSE_EMPTY, "%s", formats[i]);
      cr_assert_eq (p->column, 1);
      cr_assert_eq (p->rec.nfields, 0);
      parsed_free (p);
    }
}

/* ------------------------------------------------- compile errors */

typedef struct {
  const char *format;
  const char *message;     /* the exact message */
} CompileError;

static const CompileError compile_errors[] = {
  { "%h %Z", "log format, column 4: unknown directive '%Z'" },
  { "%h %l %u %t \"%r\" %>s %b %Z", "log format, column 25: unknown directive '%Z'" },
  { "%h %{Referer i", "log format, column 5: unterminated '{'" },
  { "%h %", "log format, column 4: incomplete directive '%'" },
  { "%", "log format, column 1: incomplete directive '%'" },
  { "%>", "log format, column 1: incomplete directive '%>'" },
  { "%U%q", "log format, column 3: directive '%q' must be separated from the one before it" },
  { "%h%>s", "log format, column 3: directive '%>s' must be separated from the one before it" },
  { "", "empty log format" },
  { "no directives", "log format has no directive" },
  { "%{foo}a", "log format, column 1: unknown directive '%{foo}a'" },
  { "%i", "log format, column 1: unknown directive '%i'" },
  { "%h %{Referer}", "log format, column 4: incomplete directive '%{Referer}'" },
  { "%h %{%Y %Q}t", "log format, column 9: time format '%Y %Q' has the unsupported "
    "conversion '%Q'" },
  { "%h %{begin:%c}t", "log format, column 12: time format '%c' has the unsupported "
    "conversion '%c'" },
  { "%h %!200{end:%F %-d}t", "log format, column 17: time format '%F %-d' has the "
    "unsupported conversion '%-'" },
  { "%h %{sec}t%{msec_frac}t", "log format, column 11: directive '%{msec_frac}t' must be "
    "separated from the one before it" },
};

Test (parse, logformat_errors)
{
  size_t i;

  for (i = 0; i < N_ELEMS (compile_errors); i++)
    {
      const CompileError *c = &compile_errors[i];
      GError *error = NULL;
      LnLogFormat *lf = logformat_compile (c->format, &error);
      LnParser parser;

      cr_assert_null (lf, "\"%s\" compiled", c->format);
      cr_assert_not_null (error, "\"%s\": no error", c->format);
      cr_assert_eq (error->domain, LN_ERROR, "\"%s\"", c->format);
      cr_assert_eq (error->code, LN_ERROR_USAGE, "\"%s\"", c->format);
      cr_assert_str_eq (error->message, c->message, "\"%s\"", c->format);
      g_clear_error (&error);

      /* parser_init reports the same and leaves a clear parser */
      cr_assert (!parser_init (&parser, c->format, &error));
      cr_assert_not_null (error);
      cr_assert_eq (error->code, LN_ERROR_USAGE);
      cr_assert_eq (parser.nformats, 0);
      parser_clear (&parser);
      g_clear_error (&error);
    }
}

static char *
repeat_directive (int n)
{
  GString *s = g_string_new (NULL);
  int i;

  for (i = 0; i < n; i++)
    g_string_append (s, i ? " %h" : "%h");
  return g_string_free (s, FALSE);
}

Test (parse, logformat_field_limit)
{
  GError *error = NULL;
  char *fmt;
  LnLogFormat *lf;

  fmt = repeat_directive (62);
  lf = logformat_compile (fmt, &error);
  cr_assert_not_null (lf, "62 fields: %s", error ? error->message : "");
  cr_assert_eq (lf->nops, 62);
  logformat_free (lf);
  g_free (fmt);

  fmt = repeat_directive (70);
  lf = logformat_compile (fmt, &error);
  cr_assert_null (lf);
  cr_assert_str_eq (error->message, "log format has more than 63 fields");
  g_clear_error (&error);
  g_free (fmt);

  /* the limit stated in the message is the limit applied */
  fmt = repeat_directive (63);
  lf = logformat_compile (fmt, &error);
  cr_expect_not_null (lf, "63 fields were refused although the message allows them");
  logformat_free (lf);
  g_clear_error (&error);
  g_free (fmt);
  fmt = repeat_directive (64);
  lf = logformat_compile (fmt, &error);
  cr_expect_null (lf, "64 fields were accepted although the message says at most 63");
  logformat_free (lf);
  g_clear_error (&error);
  g_free (fmt);
}

Test (parse, bad_format_then_auto)
{
  /* a failing init must not leave anything behind; a good one after it works */
  LnParser parser;
  GError *error = NULL;
  LnRecord rec;
  size_t col;

  cr_assert (!parser_init (&parser, "%Z", &error));
  g_clear_error (&error);
  cr_assert (parser_init (&parser, "auto", &error));
  cr_assert_eq (parser.nformats, 6);
  cr_assert_eq (parser_parse (&parser, LN_SPAN_LIT (COMBINED_LINE), &rec, &col), LN_PARSE_OK);
  parser_clear (&parser);
  cr_assert_eq (parser.nformats, 0);
}

/* -------------------------------------------------- status texts */

Test (parse, status_messages_and_keys)
{
  int s, t;

  for (s = 0; s < LN_PARSE__COUNT; s++)
    {
      const char *msg = parse_status_message ((LnParseStatus) s);
      const char *key = parse_status_key ((LnParseStatus) s);

      cr_assert_not_null (msg, "status %d has no message", s);
      cr_assert_not_null (key, "status %d has no key", s);
      cr_assert_gt (strlen (msg), 0, "status %d", s);
      cr_assert_gt (strlen (key), 0, "status %d", s);
      /* keys are stable identifiers: no spaces, all distinct */
      cr_assert_null (strchr (key, ' '), "key \"%s\"", key);
      for (t = 0; t < s; t++)
        cr_assert_str_neq (key, parse_status_key ((LnParseStatus) t), "duplicate key \"%s\"",
                           key);
    }
  cr_assert_str_eq (parse_status_key (LN_PARSE_OK), "ok");
  cr_assert_str_eq (parse_status_key (LN_PARSE_RESIDUAL), "residual");
  cr_assert_str_eq (parse_status_message (LN_PARSE_EMPTY), "empty line");
  cr_assert_str_eq (parse_status_message (LN_PARSE__COUNT), "?");
  cr_assert_str_eq (parse_status_key (LN_PARSE__COUNT), "?");
}

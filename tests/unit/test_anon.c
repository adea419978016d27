/* test_anon.c - the anonymiser on parsed records, anon_redact and
 * anon_address (address modes truncate and drop). */
#include "config.h"

#include <criterion/criterion.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "anon.h"
#include "buf.h"
#include "helpers.h"
#include "key.h"
#include "parse.h"
#include "pseudonym.h"

#define TL "[10/Oct/2000:13:55:36 -0700]"

static LnAnonConfig
default_config (void)
{
  LnAnonConfig c;

  memset (&c, 0, sizeof c);
  c.ip_mode = LN_IP_TRUNCATE;
  c.v4_bits = 24;
  c.v6_bits = 48;
  c.user_agent = LN_UA_DROP;
  c.user = LN_USER_DASH;
  c.keep_ident = FALSE;
  /* the residual tests look at whole referers; the policies have tests of
   * their own below */
  c.referer = LN_REFERER_KEEP;
  c.residual = LN_RESIDUAL_MASK;
  return c;
}

typedef struct {
  LnParser parser;
  LnRecord rec;
  LnBuf arena;
  LnAnon anon;
  char *line;
} Fx;

/* Fixtures still alive when a test ends early (a failed assertion) are
 * freed by the suite's fini: a failing test reports its assertion, not a
 * leak under AddressSanitizer. */
static GSList *live;

static void fx_free (Fx *fx);

static void
free_live (void)
{
  while (live)
    fx_free (live->data);
}

TestSuite (anon, .fini = free_live);

static Fx *
fx_new (const char *format, const LnAnonConfig *cfg)
{
  Fx *fx = g_new0 (Fx, 1);
  GError *error = NULL;

  live = g_slist_prepend (live, fx);
  cr_assert (parser_init (&fx->parser, format, &error), "%s", error ? error->message : "");
  buf_init (&fx->arena, 16);     /* small: every test makes it grow */
  anon_init (&fx->anon, cfg, NULL, NULL);
  return fx;
}

/* Parses @line (which must parse) from an exact-size copy and runs the
 * anonymiser over it. */
static LnParseStatus
fx_run_len (Fx *fx, const char *line, size_t len)
{
  size_t col;
  LnParseStatus st;

  g_free (fx->line);
  fx->line = g_malloc (len ? len : 1);
  memcpy (fx->line, line, len);
  st = parser_parse (&fx->parser, span_make (fx->line, len), &fx->rec, &col);
  cr_assert_eq (st, LN_PARSE_OK, "test line does not parse: %s at column %zu: %.*s",
                parse_status_key (st), col, (int) len, line);
  return anon_record (&fx->anon, &fx->rec, &fx->arena);
}

static LnParseStatus
fx_run (Fx *fx, const char *line)
{
  return fx_run_len (fx, line, strlen (line));
}

static void
fx_free (Fx *fx)
{
  live = g_slist_remove (live, fx);
  parser_clear (&fx->parser);
  buf_clear (&fx->arena);
  anon_clear (&fx->anon);
  g_free (fx->line);
  g_free (fx);
}

static const LnField *
field (const Fx *fx, LnFieldType type)
{
  int i = fx->rec.first[type];

  cr_assert_geq (i, 0, "no field of type %d", (int) type);
  return &fx->rec.fields[i];
}

static LnSpan
out_of (const Fx *fx, LnFieldType type)
{
  return field (fx, type)->out;
}

/* The field's output is its raw text, not a copy. */
static void
assert_untouched (const Fx *fx, LnFieldType type)
{
  const LnField *f = field (fx, type);

  cr_assert_eq (f->out.p, f->raw.p, "field %d was rewritten: \"%.*s\"", (int) type,
                (int) f->out.len, f->out.p);
  cr_assert_eq (f->out.len, f->raw.len);
}

/* Every "out" that is not raw text or a constant lies inside the arena. */
static void
assert_outs_valid (const Fx *fx)
{
  size_t i;

  for (i = 0; i < fx->rec.nfields; i++)
    {
      const LnField *f = &fx->rec.fields[i];

      if (f->in_arena)
        cr_assert (f->out.p >= fx->arena.data
                   && f->out.p + f->out.len <= fx->arena.data + fx->arena.len,
                   "field %zu: out is outside the arena", i);
    }
}

/* ------------------------------------------------------ client field */

typedef struct {
  const char *client;
  const char *out;
  int family;            /* what the stats count: 4, 6 or 0 (other) */
} ClientCase;

static const ClientCase client_cases[] = {
  { "192.0.2.77", "192.0.2.0", 4 },
  { "192.0.2.0", "192.0.2.0", 4 },
  { "192.0.2.7:5678", "192.0.2.0:5678", 4 },
  { "2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::", 6 },
  { "2001:DB8:85A3:8D3:1319:8A2E:370:7348", "2001:db8:85a3::", 6 },
  { "[2001:db8:1234:5678::1]:443", "[2001:db8:1234::]:443", 6 },
  { "[2001:db8::1]:443", "[2001:db8::]:443", 6 },
  { "[2001:db8::1]", "[2001:db8::]", 6 },
  { "fe80::1%eth0", "fe80::%eth0", 6 },
  { "[fe80::1%eth0]:80", "[fe80::%eth0]:80", 6 },
  { "::ffff:203.0.113.77", "::ffff:203.0.113.0", 6 },
  { "::192.0.2.1", "::", 6 },
  { "64:ff9b::192.0.2.1", "64:ff9b::", 6 },
  { "::1", "::", 6 },
  { "www.example.com", LN_PLACEHOLDER, 0 },
  { "unix:", LN_PLACEHOLDER, 0 },
  { "[1.2.3.4]", LN_PLACEHOLDER, 0 },
  { "01.2.3.4", LN_PLACEHOLDER, 0 },
  { "1.2.3.4:", LN_PLACEHOLDER, 0 },
  { "-", "-", 0 },
  { "unknown", "unknown", 0 },
  /* lists: each entry on its own, separators as written */
  { "203.0.113.9, 10.1.2.3", "203.0.113.0, 10.1.2.0", 4 },
  { "203.0.113.9,10.1.2.3", "203.0.113.0,10.1.2.0", 4 },
  { "203.0.113.9,   10.1.2.3", "203.0.113.0,   10.1.2.0", 4 },
  { "203.0.113.9, ", "203.0.113.0, ", 4 },
  { "2001:db8::9, 10.1.2.3", "2001:db8::, 10.1.2.0", 6 },
  { "unknown, -, 203.0.113.9", "unknown, -, 203.0.113.0", 0 },
  { "-, 203.0.113.9", "-, 203.0.113.0", 0 },
  { "proxy.example, [2001:db8::1]:80, unknown", "0.0.0.0, [2001:db8::]:80, unknown", 0 },
  { "192.0.2.7:5678, fe80::1%eth0", "192.0.2.0:5678, fe80::%eth0", 4 },
};

Test (anon, client_truncate_default)
{
  size_t i;
  guint64 v4 = 0, v6 = 0, other = 0;
  LnAnonConfig cfg = default_config ();
  Fx *fx = fx_new ("\"%h\" %>s", &cfg);

  for (i = 0; i < N_ELEMS (client_cases); i++)
    {
      const ClientCase *c = &client_cases[i];
      char *line = g_strdup_printf ("\"%s\" 200", c->client);

      cr_assert_eq (fx_run (fx, line), LN_PARSE_OK, "%s", c->client);
      assert_span_str (out_of (fx, LN_FIELD_CLIENT), c->out);
      assert_outs_valid (fx);
      v4 += c->family == 4;
      v6 += c->family == 6;
      other += c->family == 0;
      cr_assert_eq (fx->anon.stats.clients_v4, v4, "after \"%s\"", c->client);
      cr_assert_eq (fx->anon.stats.clients_v6, v6, "after \"%s\"", c->client);
      cr_assert_eq (fx->anon.stats.clients_other, other, "after \"%s\"", c->client);
      cr_assert_eq (fx->anon.stats.residual_masked, 0);
      g_free (line);
    }
  fx_free (fx);
}

Test (anon, client_truncate_custom_prefixes)
{
  static const struct {
    unsigned v4, v6;
    const char *client, *out;
  } cases[] = {
    { 16, 32, "192.0.2.77", "192.0.0.0" },
    { 16, 32, "2001:db8:1234::1", "2001:db8::" },
    { 16, 32, "::ffff:203.0.113.77", "::ffff:203.0.0.0" },
    { 16, 32, "[2001:db8:1234::1]:8443", "[2001:db8::]:8443" },
    { 8, 64, "203.0.113.77:80", "203.0.0.0:80" },
    { 8, 64, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::" },
    { 0, 0, "203.0.113.77", "0.0.0.0" },
    { 0, 0, "2001:db8::1", "::" },
    { 32, 128, "203.0.113.77", "203.0.113.77" },
    { 32, 128, "2001:DB8:0:0:0:0:0:1", "2001:db8::1" },
    { 25, 56, "192.0.2.200", "192.0.2.128" },
    { 25, 56, "2001:db8:1234:5678::", "2001:db8:1234:5600::" },
  };
  size_t i;

  for (i = 0; i < N_ELEMS (cases); i++)
    {
      LnAnonConfig cfg = default_config ();
      Fx *fx;
      char *line = g_strdup_printf ("%s - - " TL " \"GET / HTTP/1.1\" 200 1", cases[i].client);

      cfg.v4_bits = cases[i].v4;
      cfg.v6_bits = cases[i].v6;
      fx = fx_new ("common", &cfg);
      cr_assert_eq (fx_run (fx, line), LN_PARSE_OK);
      assert_span_str (out_of (fx, LN_FIELD_CLIENT), cases[i].out);
      g_free (line);
      fx_free (fx);
    }
}

Test (anon, client_drop)
{
  static const char *const clients[] = {
    "192.0.2.77", "2001:db8::1", "[2001:db8::1]:443", "www.example.com", "-", "unknown",
    "203.0.113.9, 10.1.2.3", "::ffff:203.0.113.77",
  };
  LnAnonConfig cfg = default_config ();
  Fx *fx;
  size_t i;

  cfg.ip_mode = LN_IP_DROP;
  fx = fx_new ("\"%h\" %>s", &cfg);
  for (i = 0; i < N_ELEMS (clients); i++)
    {
      char *line = g_strdup_printf ("\"%s\" 200", clients[i]);

      cr_assert_eq (fx_run (fx, line), LN_PARSE_OK);
      assert_span_str (out_of (fx, LN_FIELD_CLIENT), LN_PLACEHOLDER);
      g_free (line);
    }
  /* lognym(1): "other" counts every client under --ip=drop */
  cr_assert_eq (fx->anon.stats.clients_v4, 0);
  cr_assert_eq (fx->anon.stats.clients_v6, 0);
  cr_assert_eq (fx->anon.stats.clients_other, N_ELEMS (clients));
  fx_free (fx);
}

Test (anon, drop_mode_residual_placeholder)
{
  LnAnonConfig cfg = default_config ();
  Fx *fx;

  cfg.ip_mode = LN_IP_DROP;
  fx = fx_new ("combined", &cfg);
  cr_assert_eq (fx_run (fx, "192.0.2.7 - - " TL " \"GET /?ip=203.0.113.8&v6=2001:db8::8 HTTP/1.1\" "
                            "200 1 \"http://198.51.100.1/\" \"-\""),
                LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_CLIENT), LN_PLACEHOLDER);
  assert_span_str (out_of (fx, LN_FIELD_REQUEST), "GET /?ip=0.0.0.0&v6=0.0.0.0 HTTP/1.1");
  assert_span_str (out_of (fx, LN_FIELD_REFERER), "http://0.0.0.0/");
  cr_assert_eq (fx->anon.stats.residual_masked, 3);
  fx_free (fx);
}

/* ---------------------------------------- ident, user, user agent */

#define COMBINED_ID(ident, user, ua) \
  "192.0.2.7 " ident " " user " " TL " \"GET / HTTP/1.1\" 200 1 \"-\" \"" ua "\""

Test (anon, ident_user_agent_default)
{
  LnAnonConfig cfg = default_config ();
  Fx *fx = fx_new ("combined", &cfg);

  cr_assert_eq (fx_run (fx, COMBINED_ID ("ident1", "frank", "Mozilla/5.0 (X11)")), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_IDENT), "-");
  assert_span_str (out_of (fx, LN_FIELD_USER), "-");
  assert_span_str (out_of (fx, LN_FIELD_USER_AGENT), "-");
  assert_untouched (fx, LN_FIELD_REQUEST);
  assert_untouched (fx, LN_FIELD_REFERER);
  assert_untouched (fx, LN_FIELD_TIME);
  assert_untouched (fx, LN_FIELD_STATUS);
  assert_untouched (fx, LN_FIELD_BYTES);

  /* already "-": stays "-" */
  cr_assert_eq (fx_run (fx, COMBINED_ID ("-", "-", "-")), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_IDENT), "-");
  assert_span_str (out_of (fx, LN_FIELD_USER), "-");
  assert_span_str (out_of (fx, LN_FIELD_USER_AGENT), "-");

  /* a dropped user agent is not scanned: no residual count, no malformed */
  cr_assert_eq (fx_run (fx, COMBINED_ID ("-", "-", "bot from 192.0.2.99")), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_USER_AGENT), "-");
  cr_assert_eq (fx->anon.stats.residual_masked, 0);
  fx_free (fx);
}

Test (anon, ident_user_agent_keep)
{
  LnAnonConfig cfg = default_config ();
  Fx *fx;

  cfg.keep_ident = TRUE;
  cfg.user = LN_USER_KEEP;
  cfg.user_agent = LN_UA_KEEP;
  fx = fx_new ("combined", &cfg);
  cr_assert_eq (fx_run (fx, COMBINED_ID ("ident1", "frank", "Mozilla/5.0 (X11) Chrome/120.0.6099.109")),
                LN_PARSE_OK);
  assert_untouched (fx, LN_FIELD_IDENT);
  assert_span_str (out_of (fx, LN_FIELD_IDENT), "ident1");
  assert_untouched (fx, LN_FIELD_USER);
  assert_span_str (out_of (fx, LN_FIELD_USER), "frank");
  assert_untouched (fx, LN_FIELD_USER_AGENT);
  assert_span_str (out_of (fx, LN_FIELD_USER_AGENT), "Mozilla/5.0 (X11) Chrome/120.0.6099.109");
  cr_assert_eq (fx->anon.stats.residual_masked, 0);

  /* a kept user agent is free text: scanned and masked */
  cr_assert_eq (fx_run (fx, COMBINED_ID ("-", "-", "bot from 192.0.2.99")), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_USER_AGENT), "bot from 192.0.2.0");
  cr_assert_eq (fx->anon.stats.residual_masked, 1);

  /* kept ident and user are free text too: scanned and masked (lognym(1)) */
  cr_assert_eq (fx_run (fx, COMBINED_ID ("192.0.2.55", "198.51.100.66", "x")), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_IDENT), "192.0.2.0");
  assert_span_str (out_of (fx, LN_FIELD_USER), "198.51.100.0");
  cr_assert_eq (fx->anon.stats.residual_masked, 3);
  fx_free (fx);
}

Test (anon, keep_one_at_a_time)
{
  LnAnonConfig cfg = default_config ();
  Fx *fx;

  cfg.user = LN_USER_KEEP;
  fx = fx_new ("combined", &cfg);
  cr_assert_eq (fx_run (fx, COMBINED_ID ("ident1", "frank", "UA")), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_IDENT), "-");
  assert_span_str (out_of (fx, LN_FIELD_USER), "frank");
  assert_span_str (out_of (fx, LN_FIELD_USER_AGENT), "-");
  fx_free (fx);

  cfg = default_config ();
  cfg.keep_ident = TRUE;
  fx = fx_new ("combined", &cfg);
  cr_assert_eq (fx_run (fx, COMBINED_ID ("ident1", "frank", "UA")), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_IDENT), "ident1");
  assert_span_str (out_of (fx, LN_FIELD_USER), "-");
  assert_span_str (out_of (fx, LN_FIELD_USER_AGENT), "-");
  fx_free (fx);
}

/* --------------------------------------------------- residual scan */

#define RESIDUAL_LINE \
  "192.0.2.7 - - " TL " \"GET /probe?from=203.0.113.8&b=[2001:db8:1:2::3]:80 HTTP/1.1\" " \
  "200 1 \"http://198.51.100.23:8080/x\" \"UA\" \"203.0.113.9, 10.0.0.1\""

Test (anon, residual_mask)
{
  LnAnonConfig cfg = default_config ();
  Fx *fx = fx_new ("combined", &cfg);
  const LnField *trailing;

  cr_assert_eq (fx_run (fx, RESIDUAL_LINE), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_CLIENT), "192.0.2.0");
  assert_span_str (out_of (fx, LN_FIELD_REQUEST),
                   "GET /probe?from=203.0.113.0&b=[2001:db8:1::]:80 HTTP/1.1");
  assert_span_str (out_of (fx, LN_FIELD_REFERER), "http://198.51.100.0:8080/x");
  trailing = field (fx, LN_FIELD_TRAILING);
  assert_span_str (trailing->out, "203.0.113.0, 10.0.0.0");
  cr_assert_eq (fx->anon.stats.residual_masked, 5);
  cr_assert_eq (fx->anon.stats.clients_v4, 1);
  assert_outs_valid (fx);

  /* counts add up over records */
  cr_assert_eq (fx_run (fx, RESIDUAL_LINE), LN_PARSE_OK);
  cr_assert_eq (fx->anon.stats.residual_masked, 10);
  cr_assert_eq (fx->anon.stats.clients_v4, 2);
  fx_free (fx);
}

Test (anon, residual_ipv6_in_running_text)
{
  /* end to end: an IPv6 address ending a sentence, or after "label:",
   * must not reach the output (see test_residual) */
  LnAnonConfig cfg = default_config ();
  Fx *fx = fx_new ("combined", &cfg);

  cr_assert_eq (fx_run (fx, "192.0.2.7 - - " TL " \"GET /?msg=from:2001:db8:1:2::3 HTTP/1.1\" "
                            "200 1 \"-\" \"-\" \"blocked 2001:db8:1:2::4.\""),
                LN_PARSE_OK);
  cr_expect_null (g_strstr_len (out_of (fx, LN_FIELD_REQUEST).p,
                                (gssize) out_of (fx, LN_FIELD_REQUEST).len, "2::3"),
                  "raw address in the output: %.*s", (int) out_of (fx, LN_FIELD_REQUEST).len,
                  out_of (fx, LN_FIELD_REQUEST).p);
  cr_expect_null (g_strstr_len (field (fx, LN_FIELD_TRAILING)->out.p,
                                (gssize) field (fx, LN_FIELD_TRAILING)->out.len, "2::4"),
                  "raw address in the output: %.*s", (int) field (fx, LN_FIELD_TRAILING)->out.len,
                  field (fx, LN_FIELD_TRAILING)->out.p);
  cr_expect_eq (fx->anon.stats.residual_masked, 2);
  fx_free (fx);
}

Test (anon, residual_in_vhost_and_other_fields)
{
  LnAnonConfig cfg = default_config ();
  Fx *fx = fx_new ("vhost_combined", &cfg);

  cr_assert_eq (fx_run (fx, "203.0.113.5:80 192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1 \"-\" \"-\""),
                LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_VHOST), "203.0.113.0");
  assert_untouched (fx, LN_FIELD_PORT);
  assert_span_str (out_of (fx, LN_FIELD_PORT), "80");
  cr_assert_eq (fx->anon.stats.residual_masked, 1);
  fx_free (fx);

  fx = fx_new ("%h \"%{X-Forwarded-For}i\" %D %>s", &cfg);
  cr_assert_eq (fx_run (fx, "192.0.2.7 \"198.51.100.7, 2001:db8:aa:bb::1\" 1234 200"), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_FORWARDED), "198.51.100.0, 2001:db8:aa::");
  assert_untouched (fx, LN_FIELD_DURATION_US);
  cr_assert_eq (fx->anon.stats.residual_masked, 0);   /* a client list, not residue */
  fx_free (fx);
}

Test (anon, residual_already_truncated_not_counted)
{
  LnAnonConfig cfg = default_config ();
  Fx *fx = fx_new ("combined", &cfg);

  cr_assert_eq (fx_run (fx, "192.0.2.7 - - " TL " \"GET /?a=203.0.113.0 HTTP/1.1\" 200 1 "
                            "\"http://203.0.113.0/x?v6=2001:db8:1::\" \"-\""),
                LN_PARSE_OK);
  assert_untouched (fx, LN_FIELD_REQUEST);
  assert_untouched (fx, LN_FIELD_REFERER);
  cr_assert_eq (fx->anon.stats.residual_masked, 0);

  /* a mix: only the raw one counts */
  cr_assert_eq (fx_run (fx, "192.0.2.7 - - " TL " \"GET /?a=203.0.113.0&b=203.0.113.7 HTTP/1.1\" 200 1 "
                            "\"-\" \"-\""),
                LN_PARSE_OK);
  cr_expect_eq (fx->anon.stats.residual_masked, 1);
  assert_span_str (out_of (fx, LN_FIELD_REQUEST), "GET /?a=203.0.113.0&b=203.0.113.0 HTTP/1.1");
  fx_free (fx);
}

Test (anon, residual_already_truncated_after_a_masked_one)
{
  /* the unchanged address comes second: the text around it must survive */
  LnAnonConfig cfg = default_config ();
  Fx *fx = fx_new ("combined", &cfg);

  cr_assert_eq (fx_run (fx, "192.0.2.7 - - " TL " \"GET /?b=203.0.113.7&a=203.0.113.0&c=1 HTTP/1.1\" "
                            "200 1 \"-\" \"-\""),
                LN_PARSE_OK);
  cr_expect_eq (fx->anon.stats.residual_masked, 1);
  assert_span_str (out_of (fx, LN_FIELD_REQUEST), "GET /?b=203.0.113.0&a=203.0.113.0&c=1 HTTP/1.1");
  fx_free (fx);
}

Test (anon, residual_malformed)
{
  LnAnonConfig cfg = default_config ();
  Fx *fx;

  cfg.residual = LN_RESIDUAL_MALFORMED;
  fx = fx_new ("combined", &cfg);
  cr_assert_eq (fx_run (fx, RESIDUAL_LINE), LN_PARSE_RESIDUAL);
  /* only the referer holds one */
  cr_assert_eq (fx_run (fx, "192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1 "
                            "\"http://198.51.100.23/\" \"-\""),
                LN_PARSE_RESIDUAL);
  /* only a trailing field holds one */
  cr_assert_eq (fx_run (fx, "192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1 \"-\" \"-\" "
                            "\"198.51.100.23\""),
                LN_PARSE_RESIDUAL);
  /* clean lines pass, with the client still truncated */
  cr_assert_eq (fx_run (fx, "192.0.2.7 - - " TL " \"GET /index.html HTTP/1.1\" 200 1 "
                            "\"http://www.example.org/\" \"Chrome/120.0.6099.109\""),
                LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_CLIENT), "192.0.2.0");
  /* an address already as coarse as the rule makes it is not a reason */
  cr_assert_eq (fx_run (fx, "192.0.2.7 - - " TL " \"GET /?a=203.0.113.0 HTTP/1.1\" 200 1 \"-\" \"-\""),
                LN_PARSE_OK);
  cr_assert_eq (fx->anon.stats.residual_masked, 0);
  fx_free (fx);
}

Test (anon, residual_off)
{
  LnAnonConfig cfg = default_config ();
  Fx *fx;

  cfg.residual = LN_RESIDUAL_OFF;
  cfg.user_agent = LN_UA_KEEP;
  fx = fx_new ("combined", &cfg);
  cr_assert_eq (fx_run (fx, RESIDUAL_LINE), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_CLIENT), "192.0.2.0");
  assert_untouched (fx, LN_FIELD_REQUEST);
  assert_untouched (fx, LN_FIELD_REFERER);
  assert_untouched (fx, LN_FIELD_USER_AGENT);
  cr_assert_eq (field (fx, LN_FIELD_TRAILING)->out.p, field (fx, LN_FIELD_TRAILING)->raw.p);
  assert_span_str (field (fx, LN_FIELD_TRAILING)->out, "203.0.113.9, 10.0.0.1");
  cr_assert_eq (fx->anon.stats.residual_masked, 0);
  fx_free (fx);
}

Test (anon, arena_growth_and_reuse)
{
  /* 20000 addresses in one request: the arena grows many times while the
   * record is rewritten; every "out" must still point at the final text */
  LnAnonConfig cfg = default_config ();
  Fx *fx = fx_new ("combined", &cfg);
  GString *line = g_string_new ("2001:db8::7 - - " TL " \"GET /");
  GString *expected = g_string_new ("GET /");
  int i;

  for (i = 0; i < 20000; i++)
    {
      g_string_append_printf (line, "%d.%d.%d.%d/", 10 + i % 200, i % 250, i % 7, 1 + i % 254);
      g_string_append_printf (expected, "%d.%d.%d.0/", 10 + i % 200, i % 250, i % 7);
    }
  g_string_append (line, " HTTP/1.1\" 200 1 \"http://192.0.2.1/\" \"-\"");
  g_string_append (expected, " HTTP/1.1");
  cr_assert_eq (fx_run_len (fx, line->str, line->len), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_CLIENT), "2001:db8::");
  assert_span_bytes (out_of (fx, LN_FIELD_REQUEST), expected->str, expected->len);
  assert_span_str (out_of (fx, LN_FIELD_REFERER), "http://192.0.2.0/");
  cr_assert_eq (fx->anon.stats.residual_masked, 20001);
  cr_assert_gt (fx->arena.cap, 16);
  assert_outs_valid (fx);

  /* the next record starts from an empty arena */
  cr_assert_eq (fx_run (fx, RESIDUAL_LINE), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_CLIENT), "192.0.2.0");
  assert_span_str (out_of (fx, LN_FIELD_REFERER), "http://198.51.100.0:8080/x");
  cr_assert_lt (fx->arena.len, 200);
  assert_outs_valid (fx);
  g_string_free (line, TRUE);
  g_string_free (expected, TRUE);
  fx_free (fx);
}

Test (anon, nul_bytes_in_fields)
{
  static const char line[] =
    "192.0.2.7 - - " TL " \"GET /\0?ip=203.0.113.8\0 HTTP/1.1\" 200 1 \"-\" \"-\"";
  static const char expected[] = "GET /\0?ip=203.0.113.0\0 HTTP/1.1";
  LnAnonConfig cfg = default_config ();
  Fx *fx = fx_new ("combined", &cfg);

  cr_assert_eq (fx_run_len (fx, line, sizeof line - 1), LN_PARSE_OK);
  assert_span_bytes (out_of (fx, LN_FIELD_REQUEST), expected, sizeof expected - 1);
  fx_free (fx);
}

Test (anon, stats_by_first_entry)
{
  static const char *const clients[] = {
    "192.0.2.1", "2001:db8::1", "host.example", "-", "2001:db8::2, 192.0.2.1",
    "[2001:db8::3]:443", "192.0.2.9:80", "unknown, 192.0.2.1",
  };
  LnAnonConfig cfg = default_config ();
  Fx *fx = fx_new ("\"%h\" %>s", &cfg);
  size_t i;

  for (i = 0; i < N_ELEMS (clients); i++)
    {
      char *line = g_strdup_printf ("\"%s\" 200", clients[i]);
      cr_assert_eq (fx_run (fx, line), LN_PARSE_OK);
      g_free (line);
    }
  cr_assert_eq (fx->anon.stats.clients_v4, 2);
  cr_assert_eq (fx->anon.stats.clients_v6, 3);
  cr_assert_eq (fx->anon.stats.clients_other, 3);
  fx_free (fx);
}

/* ------------------------------------------- redact and address */

Test (anon, redact)
{
  LnAnonConfig cfg = default_config ();
  LnAnon anon;
  LnBuf out;
  size_t n;

  anon_init (&anon, &cfg, NULL, NULL);
  buf_init (&out, 4);
  buf_append (&out, "X", 1);
  n = anon_redact (&anon, LN_SPAN_LIT ("garbage 192.0.2.77 and [2001:db8:1:2::3]:80 end"), &out);
  cr_assert_eq (n, 2);
  assert_span_str (span_make (out.data, out.len), "Xgarbage 192.0.2.0 and [2001:db8:1::]:80 end");

  buf_reset (&out);
  n = anon_redact (&anon, LN_SPAN_LIT ("no address: Chrome/120.0.6099.109 13:55:36"), &out);
  cr_assert_eq (n, 0);
  assert_span_str (span_make (out.data, out.len), "no address: Chrome/120.0.6099.109 13:55:36");

  buf_reset (&out);
  n = anon_redact (&anon, LN_SPAN_LIT ("192.0.2.77"), &out);
  cr_assert_eq (n, 1);
  assert_span_str (span_make (out.data, out.len), "192.0.2.0");

  buf_reset (&out);
  n = anon_redact (&anon, span_make ("a\0" "10.1.2.3\0b", 12), &out);
  cr_assert_eq (n, 1);
  assert_span_bytes (span_make (out.data, out.len), "a\0" "10.1.2.0\0b", 12);

  buf_reset (&out);
  n = anon_redact (&anon, span_make ("", 0), &out);
  cr_assert_eq (n, 0);
  cr_assert_eq (out.len, 0);
  /* the redact policy does not touch the record statistics */
  cr_assert_eq (anon.stats.residual_masked, 0);
  cr_assert_eq (anon.stats.clients_v4 + anon.stats.clients_v6 + anon.stats.clients_other, 0);
  buf_clear (&out);
  anon_clear (&anon);

  cfg.ip_mode = LN_IP_DROP;
  anon_init (&anon, &cfg, NULL, NULL);
  buf_init (&out, 0);
  n = anon_redact (&anon, LN_SPAN_LIT ("x 192.0.2.77 y 2001:db8::1"), &out);
  cr_assert_eq (n, 2);
  assert_span_str (span_make (out.data, out.len), "x 0.0.0.0 y 0.0.0.0");
  buf_clear (&out);
  anon_clear (&anon);
}

Test (anon, address)
{
  LnAnonConfig cfg = default_config ();
  LnAnon anon;
  LnAddr a;
  char out[LN_ANON_TEXT_MAX];
  size_t n;

  anon_init (&anon, &cfg, NULL, NULL);
  cr_assert (ipaddr_parse ("192.0.2.77", 10, &a));
  n = anon_address (&anon, &a, out);
  cr_assert_eq (n, 9);
  cr_assert_eq (memcmp (out, "192.0.2.0", 9), 0);
  /* overwritten in place: the host bits are gone */
  cr_assert_eq (a.family, LN_AF_INET);
  cr_assert_eq (a.bytes[3], 0);

  cr_assert (ipaddr_parse ("2001:db8:1234:5678::1", 21, &a));
  n = anon_address (&anon, &a, out);
  assert_span_str (span_make (out, n), "2001:db8:1234::");
  cr_assert_eq (a.bytes[15], 0);
  cr_assert_eq (a.bytes[6], 0);
  anon_clear (&anon);

  cfg.ip_mode = LN_IP_DROP;
  anon_init (&anon, &cfg, NULL, NULL);
  cr_assert (ipaddr_parse ("2001:db8::1", 11, &a));
  n = anon_address (&anon, &a, out);
  assert_span_str (span_make (out, n), LN_PLACEHOLDER);
  {
    static const uint8_t zero[16];
    cr_assert_arr_eq (a.bytes, zero, 16, "the address must be wiped");
  }
  anon_clear (&anon);
}

Test (anon, idempotent_on_its_output)
{
  /* lognym(1): running lognym again over its output with the same options
   * changes nothing; here: every rewritten field anonymises to itself */
  LnAnonConfig cfg = default_config ();
  Fx *fx;
  GString *again = g_string_new (NULL);
  size_t i;

  cfg.user_agent = LN_UA_KEEP;
  fx = fx_new ("combined", &cfg);
  cr_assert_eq (fx_run (fx, "2001:db8:1:2::3, 192.0.2.7, host.example - - " TL
                            " \"GET /?a=203.0.113.8&b=::ffff:198.51.100.9 HTTP/1.1\" 200 1 "
                            "\"http://[2001:db8:5:6::7]:8080/\" \"bot 10.20.30.40\""),
                LN_PARSE_OK);
  /* rebuild the line from the outputs (combined: fixed separators) */
  for (i = 0; i < fx->rec.nfields; i++)
    {
      static const char *const before[] = { "", " ", " ", " [", "] \"", "\" ", " ", " \"", "\" \"" };
      g_string_append (again, before[i]);
      g_string_append_len (again, fx->rec.fields[i].out.p, (gssize) fx->rec.fields[i].out.len);
    }
  g_string_append_c (again, '"');
  cr_assert_eq (fx->anon.stats.residual_masked, 4);
  cr_assert_eq (fx_run_len (fx, again->str, again->len), LN_PARSE_OK);
  cr_assert_eq (fx->anon.stats.residual_masked, 4, "the second pass masked something: %s",
                again->str);
  for (i = 0; i < fx->rec.nfields; i++)
    {
      const LnField *f = &fx->rec.fields[i];
      cr_assert (span_eq (f->out, f->raw), "field %zu changed on the second pass: "
                 "\"%.*s\" -> \"%.*s\"", i, (int) f->raw.len, f->raw.p, (int) f->out.len,
                 f->out.p);
    }
  g_string_free (again, TRUE);
  fx_free (fx);
}

/* ------------------------------------------------------- field policies */

Test (anon, referer_origin_by_default)
{
  LnAnonConfig cfg = default_config ();
  Fx *fx;

  cfg.referer = LN_REFERER_ORIGIN;
  fx = fx_new ("combined", &cfg);
  cr_assert_eq (fx_run (fx, "192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1 "
                            "\"https://www.example.org/search?q=alice\" \"-\""), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_REFERER), "https://www.example.org");
  /* an origin that is an address is masked by the scan after the policy */
  cr_assert_eq (fx_run (fx, "192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1 "
                            "\"https://bob:pw@198.51.100.7:8080/x?y\" \"-\""), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_REFERER), "https://198.51.100.0:8080");
  cr_assert_eq (fx->anon.stats.residual_masked, 1);
  assert_outs_valid (fx);
  /* already an origin, or "-": the line's own bytes */
  cr_assert_eq (fx_run (fx, "192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1 "
                            "\"https://www.example.org\" \"-\""), LN_PARSE_OK);
  assert_untouched (fx, LN_FIELD_REFERER);
  fx_free (fx);
}

Test (anon, referer_strip_query_then_malformed_residual)
{
  LnAnonConfig cfg = default_config ();
  Fx *fx;

  cfg.referer = LN_REFERER_STRIP_QUERY;
  cfg.residual = LN_RESIDUAL_MALFORMED;
  fx = fx_new ("combined", &cfg);
  cr_assert_eq (fx_run (fx, "192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1 "
                            "\"https://u:p@198.51.100.7/x?y\" \"-\""), LN_PARSE_RESIDUAL);
  cr_assert_not_null (fx->anon.residual_at);
  fx_free (fx);
}

Test (anon, query_policies_in_request_query_and_uri)
{
  LnAnonConfig cfg = default_config ();
  static const char *const deny[] = { "email", NULL };
  Fx *fx;

  cfg.query.policy = LN_QUERY_DENY;
  cfg.query.names = deny;
  fx = fx_new ("%h \"%r\" %U %q \"%{Referer}i\"", &cfg);
  cr_assert_eq (fx_run (fx, "192.0.2.7 \"GET /a?email=bob%40example.org&ip=203.0.113.9 "
                            "HTTP/1.1\" /a ?email=x&p=1 \"http://x.example/?email=y\""),
                LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_REQUEST),
                   "GET /a?email=REDACTED&ip=203.0.113.0 HTTP/1.1");
  assert_untouched (fx, LN_FIELD_URL_PATH);
  assert_span_str (out_of (fx, LN_FIELD_QUERY), "?email=REDACTED&p=1");
  /* a kept referer's query follows the same rules */
  assert_span_str (out_of (fx, LN_FIELD_REFERER), "http://x.example/?email=REDACTED");
  assert_outs_valid (fx);
  fx_free (fx);
}

Test (anon, headers_dropped_unless_kept)
{
  LnAnonConfig cfg = default_config ();
  static const char *const keep[] = { "accept-language", "lang", NULL };
  Fx *fx = fx_new ("%h \"%{Cookie}i\" \"%{Accept-Language}i\" %{sid}C %{lang}C "
                   "\"%{Set-Cookie}o\" %{Host}i", &cfg);

  cr_assert_eq (fx_run (fx, "192.0.2.7 \"sid=1234; email=a@b\" \"de-DE\" 1234 de "
                            "\"sid=99\" www.example.org"), LN_PARSE_OK);
  cr_assert_eq (fx->rec.fields[1].type, LN_FIELD_HEADER);
  assert_span_str (fx->rec.fields[1].out, "-");
  assert_span_str (fx->rec.fields[2].out, "-");
  assert_span_str (fx->rec.fields[3].out, "-");
  assert_span_str (fx->rec.fields[4].out, "-");
  assert_span_str (fx->rec.fields[5].out, "-");
  assert_span_str (fx->rec.fields[6].out, "www.example.org");
  fx_free (fx);

  fx = fx_new ("%h \"%{Cookie}i\" \"%{Accept-Language}i\" %{sid}C %{lang}C "
               "\"%{Set-Cookie}o\" %{Host}i", &cfg);
  parser_keep_headers (&fx->parser, keep);
  cr_assert_eq (fx_run (fx, "192.0.2.7 \"sid=1234; ip=198.51.100.7\" \"de-DE\" 1234 de "
                            "\"sid=99\" www.example.org"), LN_PARSE_OK);
  assert_span_str (fx->rec.fields[1].out, "-");
  assert_span_str (fx->rec.fields[2].out, "de-DE");
  assert_span_str (fx->rec.fields[3].out, "-");
  assert_span_str (fx->rec.fields[4].out, "de");
  fx_free (fx);
}

Test (anon, nginx_headers_and_keep_header_prefixes)
{
  LnAnonConfig cfg = default_config ();
  static const char *const keep[] = { "Accept-Language", NULL };
  Fx *fx = g_new0 (Fx, 1);
  GError *error = NULL;

  live = g_slist_prepend (live, fx);
  cr_assert (parser_init_nginx (&fx->parser, "$remote_addr \"$http_accept_language\" "
                                "\"$http_cookie\" \"$cookie_sid\" \"$http_x_forwarded_for\"",
                                &error));
  buf_init (&fx->arena, 16);
  anon_init (&fx->anon, &cfg, NULL, NULL);
  parser_keep_headers (&fx->parser, keep);
  cr_assert_eq (fx_run (fx, "192.0.2.7 \"de\" \"a=1\" \"9\" \"198.51.100.7, unknown\""),
                LN_PARSE_OK);
  assert_span_str (fx->rec.fields[1].out, "de");
  assert_span_str (fx->rec.fields[2].out, "-");
  assert_span_str (fx->rec.fields[3].out, "-");
  assert_span_str (fx->rec.fields[4].out, "198.51.100.0, unknown");
  fx_free (fx);
}

Test (anon, forwarded_for_is_a_client_list)
{
  LnAnonConfig cfg = default_config ();
  Fx *fx;

  cfg.ip_mode = LN_IP_DROP;
  fx = fx_new ("%h \"%{X-Forwarded-For}i\"", &cfg);
  cr_assert_eq (fx_run (fx, "192.0.2.7 \"198.51.100.7, unknown, [2001:db8::1]:443, host.example\""),
                LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_FORWARDED), LN_PLACEHOLDER);
  fx_free (fx);

  cfg.ip_mode = LN_IP_TRUNCATE;
  fx = fx_new ("%h \"%{X-Forwarded-For}i\"", &cfg);
  cr_assert_eq (fx_run (fx, "192.0.2.7 \"198.51.100.7, unknown, [2001:db8:1:2::1]:443, "
                            "host.example\""), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_FORWARDED),
                   "198.51.100.0, unknown, [2001:db8:1::]:443, " LN_PLACEHOLDER);
  /* only the client field counts as a client */
  cr_assert_eq (fx->anon.stats.clients_v4, 1);
  cr_assert_eq (fx->anon.stats.clients_other, 0);
  cr_assert_eq (fx->anon.stats.residual_masked, 0);
  fx_free (fx);
}

Test (anon, server_address_kept_or_treated_as_client)
{
  LnAnonConfig cfg = default_config ();
  Fx *fx = fx_new ("%h %A \"%r\"", &cfg);

  cr_assert_eq (fx_run (fx, "192.0.2.7 198.51.100.1 \"GET / HTTP/1.1\""), LN_PARSE_OK);
  assert_untouched (fx, LN_FIELD_SERVER_ADDR);
  fx_free (fx);

  cfg.server_address_client = TRUE;
  fx = fx_new ("%h %A \"%r\"", &cfg);
  cr_assert_eq (fx_run (fx, "192.0.2.7 198.51.100.1 \"GET / HTTP/1.1\""), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_SERVER_ADDR), "198.51.100.0");
  fx_free (fx);
}

Test (anon, user_agent_family)
{
  LnAnonConfig cfg = default_config ();
  Fx *fx;

  cfg.user_agent = LN_UA_FAMILY;
  fx = fx_new ("combined", &cfg);
  cr_assert_eq (fx_run (fx, "192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1 \"-\" "
                            "\"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 "
                            "Firefox/128.0 (from 198.51.100.7)\""), LN_PARSE_OK);
  assert_span_str (out_of (fx, LN_FIELD_USER_AGENT), "Firefox/128");
  cr_assert_eq (fx_run (fx, "192.0.2.7 - - " TL " \"GET / HTTP/1.1\" 200 1 \"-\" \"-\""),
                LN_PARSE_OK);
  assert_untouched (fx, LN_FIELD_USER_AGENT);
  fx_free (fx);
}

/* ------------------------------------------- fast paths vs the general ones */

/* Runs @line through @fast and @slow (general_only) and requires the same
 * outcome: status, every field's output, the statistics. */
static void
assert_same_as_general (Fx *fast, Fx *slow, const char *line, size_t len)
{
  LnParseStatus a, b;
  size_t i;

  a = fx_run_len (fast, line, len);
  b = fx_run_len (slow, line, len);
  cr_assert_eq (a, b, "status %d, general %d: %.*s", (int) a, (int) b, (int) len, line);
  cr_assert_eq (fast->rec.nfields, slow->rec.nfields);
  if (a == LN_PARSE_OK)
    {
      assert_outs_valid (fast);
      for (i = 0; i < fast->rec.nfields; i++)
        {
          LnSpan x = fast->rec.fields[i].out, y = slow->rec.fields[i].out;

          cr_assert (span_eq (x, y), "field %zu: \"%.*s\", general \"%.*s\": %.*s", i,
                     (int) x.len, x.p, (int) y.len, y.p, (int) len, line);
        }
    }
  cr_assert (memcmp (&fast->anon.stats, &slow->anon.stats, sizeof fast->anon.stats) == 0,
             "statistics differ after %.*s", (int) len, line);
}

static Fx *
fx_general (const char *format, const LnAnonConfig *cfg)
{
  Fx *fx = fx_new (format, cfg);

  fx->anon.general_only = TRUE;
  return fx;
}

/* The configurations the fast paths are compared in. */
static LnAnonConfig
comparison_config (int k)
{
  LnAnonConfig cfg = default_config ();

  switch (k)
    {
    case 0:
      cfg.referer = LN_REFERER_ORIGIN;
      break;
    case 1:
      cfg.v4_bits = 20;
      cfg.v6_bits = 64;
      cfg.referer = LN_REFERER_STRIP_QUERY;
      break;
    case 2:
      cfg.ip_mode = LN_IP_DROP;
      break;
    default:
      cfg.residual = LN_RESIDUAL_MALFORMED;
      cfg.v4_bits = 32;
      cfg.v6_bits = 128;
      break;
    }
  return cfg;
}

#define N_COMPARISON_CONFIGS 4

static void
compare_lines (const char *format, const char *const *lines, size_t n)
{
  int k;

  for (k = 0; k < N_COMPARISON_CONFIGS; k++)
    {
      LnAnonConfig cfg = comparison_config (k);
      Fx *fast = fx_new (format, &cfg);
      Fx *slow = fx_general (format, &cfg);
      size_t i;

      for (i = 0; i < n; i++)
        assert_same_as_general (fast, slow, lines[i], strlen (lines[i]));
      fx_free (fast);
      fx_free (slow);
    }
}

/* Client fields: bare addresses (the fast path) and everything that only
 * looks like one, also mutated at random. */
Test (anon, client_fast_path_as_general)
{
  static const char *const clients[] = {
    "192.0.2.77", "1.2.3.4", "255.255.255.255", "0.0.0.0", "10.20.30.40",
    "2001:db8::1", "2001:db8:85a3::8a2e:370:7334", "::1", "::", "::ffff:192.0.2.7",
    "64:ff9b::192.0.2.7", "2002:c000:0207::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "fe80::1%eth0", "[2001:db8::1]:443", "[2001:db8::1]", "192.0.2.7:5678",
    "192.0.2.7, 198.51.100.1", "192.0.2.07", "192.0.2.256", "192.0.2", "1.2.3.4.5",
    "host.example.com", "unknown", "-", "unix:", "2001:db8::1::2", "2001:db8:::1",
    "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1::2:3:4:5:6:7:8", "a:b:c:d:e:f:1.2.3.4",
    "192.0.2.7:", ":80", "[::1", "ABCD:EF01::2", "1.2.3.4%x", "123.123.123.123",
  };
  const char *const alphabet = "0123456789abcdefABCDEF.:[]%,- x";
  GRand *rng = g_rand_new_with_seed (20261126);
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  size_t i;
  int m;

  for (i = 0; i < N_ELEMS (clients); i++)
    for (m = 0; m < 40; m++)
      {
        char *c = g_strdup (clients[i]);
        size_t len = strlen (c);

        /* the first run unchanged, then one to three bytes replaced */
        if (m > 0)
          {
            int edits = g_rand_int_range (rng, 1, 4), e;

            for (e = 0; e < edits && len > 0; e++)
              c[g_rand_int_range (rng, 0, (gint32) len)]
                = alphabet[g_rand_int_range (rng, 0, (gint32) strlen (alphabet))];
          }
        /* a space would end the field: the format quotes it */
        g_ptr_array_add (lines, g_strdup_printf ("\"%s\" - - " TL " \"GET /a?ip=%s HTTP/1.1\""
                                                 " 200 1 \"http://%s/x\" \"ua\"", c, c, c));
        g_free (c);
      }
  compare_lines ("\"%h\" %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"",
                 (const char *const *) lines->pdata, lines->len);
  g_ptr_array_free (lines, TRUE);
  g_rand_free (rng);
}

/* Every line of the test logs that a preset parses. */
Test (anon, fast_paths_as_general_on_test_logs)
{
  static const char *const formats[] = {
    "combined", "common", "vhost_combined", "\"%h\" %>s",
  };
  static const char *const dirs[] = { "in", "thirdparty", "in-agg", "in-geo", "residual" };
  const char *srcdir = g_getenv ("TESTS_SRCDIR");
  GPtrArray *lines = g_ptr_array_new_with_free_func (g_free);
  size_t f, i, compared = 0;

  cr_assert_not_null (srcdir, "TESTS_SRCDIR is not set");
  for (f = 0; f < N_ELEMS (dirs); f++)
    {
      g_autofree char *dir = g_build_filename (srcdir, "data", dirs[f], NULL);
      GDir *d = g_dir_open (dir, 0, NULL);
      const char *name;

      cr_assert_not_null (d, "cannot open %s", dir);
      while ((name = g_dir_read_name (d)) != NULL)
        if (g_str_has_suffix (name, ".log"))
          {
            g_autofree char *path = g_build_filename (dir, name, NULL);
            g_autofree char *text = NULL;
            char **split;

            cr_assert (g_file_get_contents (path, &text, NULL, NULL), "%s", path);
            split = g_strsplit (text, "\n", -1);
            for (i = 0; split[i]; i++)
              g_ptr_array_add (lines, split[i]);
            g_free (split);      /* the strings now belong to @lines */
          }
      g_dir_close (d);
    }
  for (f = 0; f < N_ELEMS (formats); f++)
    {
      LnParser parser;
      LnRecord rec;
      GError *error = NULL;
      GPtrArray *ok = g_ptr_array_new ();

      cr_assert (parser_init (&parser, formats[f], &error));
      for (i = 0; i < lines->len; i++)
        {
          const char *l = lines->pdata[i];
          size_t col;

          if (parser_parse (&parser, span_make (l, strlen (l)), &rec, &col) == LN_PARSE_OK)
            g_ptr_array_add (ok, lines->pdata[i]);
        }
      parser_clear (&parser);
      compare_lines (formats[f], (const char *const *) ok->pdata, ok->len);
      compared += ok->len;
      g_ptr_array_free (ok, TRUE);
    }
  cr_assert_gt (compared, 1000, "only %zu lines compared", compared);
  g_ptr_array_free (lines, TRUE);
}

/* ------------------------------------------------ keyed look-ahead (anon_look_ahead) */

/* A keyed fixture: daily keys derived from @key_file, its own cache. */
typedef struct {
  Fx *fx;
  LnKeyring *ring;
  LnPseudonymCache *cache;
} KeyedFx;

static void
keyed_new (KeyedFx *k, const char *format, const char *key_file)
{
  LnAnonConfig cfg = default_config ();
  GError *error = NULL;

  cfg.ip_mode = LN_IP_HMAC;
  k->fx = fx_new (format, &cfg);
  k->ring = keyring_new_derived (key_file, LN_PERIOD_DAILY, &error);
  cr_assert_not_null (k->ring, "%s", error ? error->message : "");
  k->cache = pseudonym_cache_new (64, &error);
  cr_assert_not_null (k->cache, "%s", error ? error->message : "");
  anon_clear (&k->fx->anon);
  anon_init (&k->fx->anon, &cfg, k->ring, k->cache);
}

static void
keyed_free (KeyedFx *k)
{
  fx_free (k->fx);
  keyring_free (k->ring);
  pseudonym_cache_free (k->cache);
}

/* Runs the line at @line in place (the look-ahead compares positions) and
 * requires the client output of @plain on a copy, without look-ahead. */
static void
assert_client_as_plain (KeyedFx *ahead, KeyedFx *plain, LnSpan line)
{
  size_t col;
  const LnField *a, *b;

  cr_assert_eq (parser_parse (&ahead->fx->parser, line, &ahead->fx->rec, &col), LN_PARSE_OK,
                "%.*s", (int) line.len, line.p);
  cr_assert_eq (anon_record (&ahead->fx->anon, &ahead->fx->rec, &ahead->fx->arena),
                LN_PARSE_OK);
  cr_assert_eq (fx_run_len (plain->fx, line.p, line.len), LN_PARSE_OK);
  a = field (ahead->fx, LN_FIELD_CLIENT);
  b = field (plain->fx, LN_FIELD_CLIENT);
  cr_assert (span_eq (a->out, b->out), "\"%.*s\", without look-ahead \"%.*s\": %.*s",
             (int) a->out.len, a->out.p, (int) b->out.len, b->out.p,
             (int) line.len, line.p);
}

/* The pipeline's order: the bytes after each line are looked at before
 * the line is anonymised.  The same addresses on both sides of midnight
 * (two lines of each day in turn: a line's look-ahead is made with the
 * period of the line before the one before it, and a slot located for the
 * wrong period would hit the other day's pseudonym), first tokens
 * that are no client (vhost), lists, ports, host names; IPv6 texts that
 * are located as text (hex digits and colons, any case, up to the longest
 * form) and those that are not (a dotted tail, a zone), and texts of hex
 * digits and colons that are no address.  The --stats counts of client
 * families agree too. */
Test (anon, look_ahead_as_without)
{
  static const char *const clients[] = {
    "192.0.2.7", "192.0.2.7", "2001:db8::1", "192.0.2.7", "192.0.2.7:5678",
    "2001:db8::1", "host.example", "198.51.100.1,192.0.2.7", "-", "[2001:db8::1]:443",
    "203.0.113.9", "203.0.113.9", "2001:db8::1", "2001:DB8::1",
    "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
    "::ffff:192.0.2.7", "::ffff:192.0.2.7", "fe80::1%eth0", "2001:db8::1,192.0.2.7",
    "1:2:3:4:5:6:7:8:9", "abc", "::", "::", "2001:db8::1",
  };
  static const char *const formats[] = { "combined", "vhost_combined" };
  g_autofree char *dir = g_dir_make_tmp ("lognym-test-XXXXXX", NULL);
  g_autofree char *key_file = g_build_filename (dir, "k.key", NULL);
  GError *error = NULL;
  size_t f, round, i;

  cr_assert (key_generate_file (key_file, &error), "%s", error ? error->message : "");
  for (f = 0; f < N_ELEMS (formats); f++)
    {
      KeyedFx ahead, plain;
      GString *text = g_string_new (NULL);
      size_t *starts = g_new (size_t, 3 * N_ELEMS (clients) + 1);
      size_t n = 0;

      keyed_new (&ahead, formats[f], key_file);
      keyed_new (&plain, formats[f], key_file);
      for (round = 0; round < 3; round++)
        for (i = 0; i < N_ELEMS (clients); i++)
          {
            starts[n++] = text->len;
            if (f == 1)
              g_string_append_printf (text, "%s:80 ", i % 2 ? "192.0.2.99" : "www.example.org");
            g_string_append_printf (text, "%s - - [%s/Nov/2026:%s +0000] \"GET / HTTP/1.1\" "
                                    "200 1 \"-\" \"ua\"\n", clients[i],
                                    (i + round) / 2 % 2 ? "25" : "26",
                                    (i + round) / 2 % 2 ? "23:59:59" : "00:00:00");
          }
      starts[n] = text->len;
      for (i = 0; i < n; i++)
        {
          LnSpan line = span_make (text->str + starts[i], starts[i + 1] - starts[i] - 1);

          anon_look_ahead (&ahead.fx->anon, span_make (text->str + starts[i + 1],
                                                       text->len - starts[i + 1]));
          assert_client_as_plain (&ahead, &plain, line);
        }
      cr_assert_eq (ahead.fx->anon.stats.clients_v4, plain.fx->anon.stats.clients_v4);
      cr_assert_eq (ahead.fx->anon.stats.clients_v6, plain.fx->anon.stats.clients_v6);
      cr_assert_eq (ahead.fx->anon.stats.clients_other, plain.fx->anon.stats.clients_other);
      keyed_free (&ahead);
      keyed_free (&plain);
      g_free (starts);
      g_string_free (text, TRUE);
    }
  g_unlink (key_file);
  g_rmdir (dir);
}

/* A line that the reader moved (to the start of its buffer, or into a
 * bigger one) starts elsewhere than the bytes looked at; its client field
 * may even start where they did.  The look-ahead must not be taken then. */
Test (anon, look_ahead_not_taken_for_a_moved_line)
{
  g_autofree char *dir = g_dir_make_tmp ("lognym-test-XXXXXX", NULL);
  g_autofree char *key_file = g_build_filename (dir, "k.key", NULL);
  const char *first = "www.example.org:80 192.0.2.1 - - [25/Nov/2026:10:00:00 +0000] "
                      "\"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"\n";
  /* the same length as the first token looked at, "192.0.2.99:80" */
  const char *moved = "x:1 198.51.100.77 - - [25/Nov/2026:10:00:00 +0000] "
                      "\"GET / HTTP/1.1\" 200 1 \"-\" \"ua\"";
  GError *error = NULL;
  KeyedFx ahead, plain;
  char buf[512];
  size_t at = strlen (first);
  LnSpan line;

  cr_assert (key_generate_file (key_file, &error), "%s", error ? error->message : "");
  keyed_new (&ahead, "vhost_combined", key_file);
  keyed_new (&plain, "vhost_combined", key_file);
  /* a record first: there is no key to look ahead with before one */
  cr_assert_eq (fx_run_len (ahead.fx, first, at - 1), LN_PARSE_OK);
  memset (buf, 0, sizeof buf);
  memcpy (buf, first, at);
  memcpy (buf + at, "192.0.2.99:80 10.0.0.1 - - ", 27);
  /* the first line, with its look-ahead at buf + at */
  anon_look_ahead (&ahead.fx->anon, span_make (buf + at, 27));
  assert_client_as_plain (&ahead, &plain, span_make (buf, at - 1));
  /* now a line whose client field starts at buf + at, the line itself four
   * bytes before: its client must not get the pseudonym of 192.0.2.99 */
  memcpy (buf + at - 4, moved, strlen (moved));
  line = span_make (buf + at - 4, strlen (moved));
  /* as the pipeline does: the bytes after it (none) are looked at first */
  anon_look_ahead (&ahead.fx->anon, span_make (NULL, 0));
  assert_client_as_plain (&ahead, &plain, line);
  keyed_free (&ahead);
  keyed_free (&plain);
  g_unlink (key_file);
  g_rmdir (dir);
}

/* fuzz_parse.c - libFuzzer harness for the per-line path.
 *
 * The input is one log line (no terminator, any bytes, explicit length).  It
 * is copied into a malloc'd buffer of exactly that size, so AddressSanitizer
 * reports any read past the end of the line, and run through:
 *
 *   parser_parse ("auto")          -> anon_record (defaults) -> writers
 *   parser_parse (a fixed format)  -> anon_record (other config) -> writers
 *   anon_redact (the malformed-line policy), with both configurations
 *
 * The writers are the log writer and, with every column, CSV and JSON Lines.
 *
 * Invariants (abort() on violation, so libFuzzer keeps the input):
 *
 *   I1  every field's raw span lies inside the line; fields are in order and
 *       do not overlap; the "out" spans are readable.
 *   I2  a writer's output (minus its newline) contains no address
 *       token equal to a raw client address of the record, unless that
 *       address equals its own truncation (then the output may hold it).
 *       Client addresses are collected with ipaddr_parse_host from the hops
 *       of the client field before anonymising; output tokens are every
 *       substring that ipaddr_parse accepts and that does not cut through a
 *       run of hex digits (see out_has_addr below).
 *   I3  the anon_redact output holds no address that residual_find (or
 *       residual_find_lenient, which anon_redact uses) finds and that
 *       differs from its own truncation.
 *
 * Environment (for triage only; the default is the strict check):
 *   LOGNYM_FUZZ_TOLERATE=kept,glued,v6dot,dcolon,word,regroup,v4skip
 *       excuse known findings (I2: see tolerated_token; I3: see regrouped
 *       and check_redacted) so that fuzzing can continue past them and look
 *       for anything else; each word excuses one class.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "anon.h"
#include "buf.h"
#include "ipaddr.h"
#include "parse.h"
#include "record.h"
#include "residual.h"
#include "writer.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A format with every scan kind and field class: vhost:port, %{c}a, quoted
 * fields, numbers and a trailing quoted header. */
#define FIXED_FORMAT \
  "%v:%p %{c}a %l %u %t \"%r\" %>s %B \"%{Referer}i\" \"%{User-Agent}i\" " \
  "%D %{ms}T %k \"%{X-Forwarded-For}i\""

#define MAX_CLIENTS 64

typedef struct {
  const char *name;
  LnParser parser;
  LnAnon anon;
} Setup;

static Setup setups[2];
static LnBuf arena, out, redacted;
/* the CSV and JSON Lines writers, with every column */
static LnWriter column_writer;
static const LnWriterOps *column_ops[2];
static bool tolerate_kept, tolerate_glued, tolerate_v6dot, tolerate_dcolon;
static bool tolerate_word, tolerate_regroup, tolerate_v4skip;

static void
fail (const char *what, const char *detail)
{
  fprintf (stderr, "fuzz_parse: invariant violated: %s%s%s\n", what,
           detail ? ": " : "", detail ? detail : "");
  abort ();
}

static void
init_once (void)
{
  static bool done;
  GError *error = NULL;
  LnAnonConfig a = { 0 }, b = { 0 };
  const char *tol;
  size_t i;

  if (done)
    return;
  done = true;

  /* the command-line defaults */
  a.ip_mode = LN_IP_TRUNCATE;
  a.v4_bits = 24;
  a.v6_bits = 48;
  a.residual = LN_RESIDUAL_MASK;
  /* a kept user agent is scanned like the request; odd prefix lengths */
  b = a;
  b.v4_bits = 17;
  b.v6_bits = 61;
  b.user_agent = LN_UA_KEEP;

  setups[0].name = "auto";
  if (!parser_init (&setups[0].parser, "auto", &error))
    {
      fprintf (stderr, "auto: %s\n", error->message);
      abort ();
    }
  anon_init (&setups[0].anon, &a, NULL, NULL);
  setups[1].name = FIXED_FORMAT;
  if (!parser_init (&setups[1].parser, FIXED_FORMAT, &error))
    {
      fprintf (stderr, "fixed format: %s\n", error->message);
      abort ();
    }
  anon_init (&setups[1].anon, &b, NULL, NULL);

  buf_init (&arena, 256);
  buf_init (&out, 256);
  buf_init (&redacted, 256);

  for (i = 0; i < LN_COL__COUNT && i < LN_MAX_COLUMNS; i++)
    column_writer.columns[i] = (LnColumn) i;
  column_writer.ncolumns = i;
  column_ops[0] = &writer_csv_ops;
  column_ops[1] = &writer_jsonl_ops;
  for (i = 0; i < 2; i++)
    {
      column_writer.ops = column_ops[i];
      if (column_ops[i]->begin)
        column_ops[i]->begin (&column_writer, &out);
    }
  buf_reset (&out);

  tol = getenv ("LOGNYM_FUZZ_TOLERATE");
  tolerate_kept = tol && strstr (tol, "kept");
  tolerate_glued = tol && strstr (tol, "glued");
  tolerate_v6dot = tol && strstr (tol, "v6dot");
  tolerate_dcolon = tol && strstr (tol, "dcolon");
  tolerate_word = tol && strstr (tol, "word");
  tolerate_regroup = tol && strstr (tol, "regroup");
  tolerate_v4skip = tol && strstr (tol, "v4skip");
}

static bool
is_hex (char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool
is_addr_char (char c)
{
  return is_hex (c) || c == '.' || c == ':';
}

static bool
addr_equal (const LnAddr *x, const LnAddr *y)
{
  uint8_t a[16], b[16];

  /* 192.0.2.7 and ::ffff:192.0.2.7 are the same client */
  ipaddr_to_v6_bytes (x, a);
  ipaddr_to_v6_bytes (y, b);
  return memcmp (a, b, 16) == 0;
}

static bool
is_own_truncation (const LnAnon *anon, const LnAddr *addr)
{
  LnAddr t = *addr;

  ipaddr_truncate (&t, anon->config.v4_bits, anon->config.v6_bits);
  return t.family == addr->family && memcmp (t.bytes, addr->bytes, 16) == 0;
}

/* The raw client addresses of @rec that anonymising must change: every hop
 * of every client field ("a, b, c" lists), split at commas and spaces. */
static size_t
collect_clients (const LnAnon *anon, const LnRecord *rec, LnAddr *addrs)
{
  size_t n = 0, i;

  for (i = 0; i < rec->nfields; i++)
    {
      const LnField *f = &rec->fields[i];
      const char *p = f->raw.p, *end = f->raw.p + f->raw.len;

      if (f->type != LN_FIELD_CLIENT)
        continue;
      while (p < end && n < MAX_CLIENTS)
        {
          const char *e = p;
          LnHostToken tok;

          while (e < end && *e != ',' && *e != ' ')
            e++;
          if (e > p && ipaddr_parse_host (span_make (p, (size_t) (e - p)), &tok)
              && !is_own_truncation (anon, &tok.addr))
            addrs[n++] = tok.addr;
          p = e + 1;
        }
    }
  return n;
}

typedef bool (*TolerateFn) (const LnRecord *rec, const char *base,
                            const char *end, const char *s, const char *e);

/* Does [base, end) hold an address token equal to one of @addrs that
 * @tolerated (may be NULL) does not excuse?  A token is a substring of a
 * run of [0-9A-Fa-f.:] that ipaddr_parse accepts, that neither starts nor
 * ends inside a run of hex digits ("cafe10.0.0.1" has no token 10.0.0.1 in
 * the middle of "afe10") and whose leading or trailing colon is not glued to
 * a hex digit or colon ("a::1" has no token "::1").  Substrings after a '.'
 * or ':' count: "1.10.0.0.1" and "Host:2001:db8::1" hold the tokens
 * 10.0.0.1 and 2001:db8::1. */
static const char *
out_has_addr (const LnRecord *rec, const char *base, const char *end,
              const LnAddr *addrs, size_t n, TolerateFn tolerated,
              size_t *toklen)
{
  const char *s;

  if (n == 0)
    return NULL;
  for (s = base; s < end; s++)
    {
      const char *e, *lim;

      if (!is_addr_char (*s) || *s == '.')
        continue;
      if (s > base && is_hex (s[-1]) && is_hex (*s))
        continue;
      if (s > base && *s == ':' && (is_hex (s[-1]) || s[-1] == ':'))
        continue;               /* "a::1" does not hold "::1" */
      lim = s + LN_ADDR_TEXT_MAX < end ? s + LN_ADDR_TEXT_MAX : end;
      for (e = s + 1; e <= lim && is_addr_char (e[-1]); e++)
        {
          LnAddr a;
          size_t k;

          if (e < end && is_hex (e[-1]) && is_hex (*e))
            continue;
          if (e < end && e[-1] == ':' && (is_hex (*e) || *e == ':'))
            continue;
          if (!ipaddr_parse (s, (size_t) (e - s), &a))
            continue;
          for (k = 0; k < n; k++)
            if (addr_equal (&a, &addrs[k])
                && !(tolerated && tolerated (rec, base, end, s, e)))
              {
                *toklen = (size_t) (e - s);
                return s;
              }
        }
    }
  return NULL;
}

static void
check_spans (const LnRecord *rec, const char *line, size_t len)
{
  const char *pos = line;
  size_t i;

  if (rec->nfields > LN_MAX_FIELDS)
    fail ("I1", "nfields > LN_MAX_FIELDS");
  if (rec->line.p != line || rec->line.len != len)
    fail ("I1", "record line is not the input");
  for (i = 0; i < rec->nfields; i++)
    {
      const LnField *f = &rec->fields[i];

      if ((unsigned) f->type >= LN_FIELD__COUNT)
        fail ("I1", "bad field type");
      if (f->raw.p < pos || f->raw.p > line + len
          || f->raw.len > (size_t) (line + len - f->raw.p))
        fail ("I1", "field span outside the line, out of order or overlapping");
      pos = f->raw.p + f->raw.len;
    }
  for (i = 0; i < LN_FIELD__COUNT; i++)
    if (rec->first[i] >= (int) rec->nfields
        || (rec->first[i] >= 0 && rec->fields[rec->first[i]].type != (LnFieldType) i))
      fail ("I1", "first[] index wrong");
}

/* The known-finding classes LOGNYM_FUZZ_TOLERATE can excuse (triage only).
 *
 * "kept": the token overlaps the output of a field that anon_record copies
 * unscanned by design (%p, %D %T ..., status, bytes, time), e.g. the port
 * ",10.0.0.1" or ":9" of "%v:%p" ("x::9").
 * "glued": the token is glued to a neighbouring dotted/colon run, which the
 * residual scanner does not split: preceded by '.' or ':' ("a.1.10.0.0.1",
 * "Host:2001:db8::1"), or followed by '.' or ':' and an address character
 * ("10.0.0.1.1e100.net", "2001:db8:1:2::9::").
 * "v6dot": an IPv6 token followed by '.' ("Host: 2001:db8::9."): unlike
 * IPv4, the scanner does not trim a trailing dot from an IPv6 run.
 * "dcolon": an IPv6 token followed by "::" and more ("2::9::1"), a subset
 * of "glued" still open after the "stray colons" change.
 * "word": an IPv6 token followed, directly or after one ':', by a letter
 * that is not a hex digit, or '_' ("2001:db8::9TTP", "1:2::9:k"): the
 * scanner takes such a run for part of a word (IPv4 in the same place is
 * masked). */
static bool
in_kept_field (const LnRecord *rec, const char *base, const char *s, size_t n)
{
  size_t pos = 0, i;
  const char *lp = rec->line.p;

  for (i = 0; i < rec->nfields; i++)
    {
      const LnField *f = &rec->fields[i];
      size_t start;

      pos += (size_t) (f->raw.p - lp);
      start = pos;
      pos += f->out.len;
      lp = f->raw.p + f->raw.len;
      if ((size_t) (s - base) < pos && (size_t) (s - base) + n > start)
        switch (f->type)
          {
          case LN_FIELD_PORT:
          case LN_FIELD_NUMBER:
          case LN_FIELD_DURATION_US:
          case LN_FIELD_DURATION_MS:
          case LN_FIELD_DURATION_S:
          case LN_FIELD_STATUS:
          case LN_FIELD_BYTES:
          case LN_FIELD_TIME:
            return true;
          default:
            break;
          }
    }
  return false;
}

static bool
tolerated_token (const LnRecord *rec, const char *base, const char *end,
                 const char *s, const char *e)
{
  if (tolerate_kept && in_kept_field (rec, base, s, (size_t) (e - s)))
    return true;
  if (tolerate_v6dot && e < end && *e == '.' && memchr (s, ':', (size_t) (e - s)))
    return true;
  if (tolerate_dcolon && e + 1 < end && e[0] == ':' && e[1] == ':'
      && memchr (s, ':', (size_t) (e - s)))
    return true;
  if (tolerate_word && e < end && memchr (s, ':', (size_t) (e - s)))
    {
      const char *w = *e == ':' && e + 1 < end ? e + 1 : e;

      if (*w == '_' || (g_ascii_isalpha (*w) && !is_hex (*w)))
        return true;
    }
  if (tolerate_glued)
    {
      if (s > base && (s[-1] == '.' || s[-1] == ':'))
        return true;
      if (e + 1 < end && (*e == '.' || *e == ':') && is_addr_char (e[1]))
        return true;
    }
  return false;
}

static void
run_setup (Setup *su, const char *line, size_t len)
{
  static LnRecord rec;
  LnAddr clients[MAX_CLIENTS];
  size_t nclients, column, i, toklen;
  LnParseStatus st;
  const char *hit;

  su->parser.last_match = 0;    /* deterministic: no state between inputs */
  st = parser_parse (&su->parser, span_make (line, len), &rec, &column);
  if (st != LN_PARSE_OK)
    {
      if (st >= LN_PARSE__COUNT || column < 1 || column > len + 1)
        fail ("parse", "bad status or column");
      return;
    }
  check_spans (&rec, line, len);
  rec.eol = LN_SPAN_LIT ("\n");

  nclients = collect_clients (&su->anon, &rec, clients);
  st = anon_record (&su->anon, &rec, &arena);
  if (st != LN_PARSE_OK)
    fail ("anon_record", "not OK under --residual=mask");
  /* the raw spans are untouched; the out spans must be readable */
  check_spans (&rec, line, len);
  for (i = 0; i < rec.nfields; i++)
    if (rec.fields[i].out.len && rec.fields[i].out.p == NULL)
      fail ("I1", "NULL out span");

  buf_reset (&out);
  writer_log_ops.write_record (NULL, &rec, &out);
  if (out.len == 0 || out.data[out.len - 1] != '\n')
    fail ("writer", "output not terminated by a newline");

  hit = out_has_addr (&rec, out.data, out.data + out.len - 1, clients, nclients,
                      tolerate_kept || tolerate_glued || tolerate_v6dot
                      || tolerate_dcolon || tolerate_word ? tolerated_token : NULL,
                      &toklen);
  if (hit)
    {
      fprintf (stderr, "parser %s: output \"%.*s\" holds the raw client address "
               "\"%.*s\" at byte %zu\n", su->name, (int) (out.len - 1), out.data,
               (int) toklen, hit, (size_t) (hit - out.data));
      fail ("I2", "raw client address in the log writer's output");
    }

  /* CSV and JSON Lines: built from the out spans only, so the same holds;
   * their columns are not the line's fields, so "kept" cannot be told
   * apart there and only the strict check is applied when it is off */
  for (i = 0; i < 2; i++)
    {
      column_writer.ops = column_ops[i];
      buf_reset (&out);
      column_ops[i]->write_record (&column_writer, &rec, &out);
      if (out.len == 0 || out.data[out.len - 1] != '\n')
        fail ("writer", "column output not terminated by a newline");
      hit = out_has_addr (&rec, out.data, out.data + out.len - 1, clients, nclients,
                          tolerate_glued || tolerate_v6dot || tolerate_dcolon
                          || tolerate_word ? tolerated_token : NULL,
                          &toklen);
      if (hit && !tolerate_kept)
        {
          fprintf (stderr, "parser %s, writer %s: output \"%.*s\" holds the raw "
                   "client address \"%.*s\"\n", su->name, column_ops[i]->name,
                   (int) (out.len - 1), out.data, (int) toklen, hit);
          fail ("I2", "raw client address in a column writer's output");
        }
    }
}

/* "regroup" (I3 only): @tok, an address the scanner finds in redacted text,
 * is a masked address with kept text glued on in front: leading groups the
 * lenient scanner dropped as the tail of a word, or a "::".  Some suffix of
 * @tok that starts after a ':' is an address equal to its own truncation.
 * "1:d:1:1:b:1:2::8" is redacted to "1:d:1:1::" (re-reads as 1:d:1:1::, the
 * masked part is d:1:1::); "::C:3.1.2.8::a" to "::C:3.1.2.0::" (re-reads as
 * ::c:301:200, the masked part is 3.1.2.0). */
static bool
regrouped (const LnAnon *anon, LnSpan tok)
{
  const char *q, *end = tok.p + tok.len;

  for (q = tok.p; q + 1 < end; q++)
    {
      LnAddr a;

      if (*q != ':' || q[1] == ':')
        continue;
      if (ipaddr_parse (q + 1, (size_t) (end - q - 1), &a) && is_own_truncation (anon, &a))
        return true;
    }
  return false;
}

/* "v4skip" (I3 only): an IPv4 token whose run of address characters goes
 * on to a ':' ("203.0.113.9:2001:db8::1", "203.0.113.901:db7:::"): the
 * scanner takes the IPv6 part of the run and never looks at the dotted
 * quad before it. */
static bool
v4_skipped (const LnResidualMatch *m, const char *end)
{
  const char *q;

  if (m->addr.family != LN_AF_INET)
    return false;
  for (q = m->token.p + m->token.len; q < end && is_addr_char (*q); q++)
    if (*q == ':')
      return true;
  return false;
}

static void
check_redacted (LnAnon *anon, int lenient)
{
  const char *pos = redacted.data, *end = redacted.data + redacted.len;
  LnResidualMatch m;

  while (pos < end
         && (lenient ? residual_find_lenient (redacted.data, pos, end, &m)
                     : residual_find (pos, end, &m)))
    {
      if (m.token.p < pos || m.token.p + m.token.len > end || m.token.len == 0)
        fail ("residual_find", "match outside the scanned span");
      if (!is_own_truncation (anon, &m.addr)
          && !(tolerate_regroup && regrouped (anon, m.token))
          && !(tolerate_v4skip && v4_skipped (&m, end)))
        {
          fprintf (stderr, "redacted \"%.*s\" still holds \"%.*s\" (%s scan)\n",
                   (int) redacted.len, redacted.data,
                   (int) m.token.len, m.token.p, lenient ? "lenient" : "strict");
          fail ("I3", "address left by anon_redact");
        }
      pos = m.token.p + m.token.len;
    }
}

static void
check_redact (LnAnon *anon, const char *line, size_t len)
{
  int lenient;

  buf_reset (&redacted);
  anon_redact (anon, span_make (line, len), &redacted);
  /* both scanners: the strict one of the contract and the lenient one that
   * anon_redact itself uses */
  for (lenient = 0; lenient < 2; lenient++)
    check_redacted (anon, lenient);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *line;

  init_once ();
  /* exactly sized: no NUL, no slack, so over-reads hit the redzone */
  line = malloc (size ? size : 1);
  if (line == NULL)
    return 0;
  if (size)
    memcpy (line, data, size);

  run_setup (&setups[0], line, size);
  run_setup (&setups[1], line, size);
  check_redact (&setups[0].anon, line, size);
  check_redact (&setups[1].anon, line, size);

  free (line);
  return 0;
}

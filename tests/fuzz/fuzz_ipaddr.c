/* fuzz_ipaddr.c - differential libFuzzer harness for ipaddr.c.
 *
 * For inputs of at most 64 bytes:
 *   - ipaddr_parse (on an exactly sized copy, so ASan sees over-reads)
 *     agrees with inet_pton (on a NUL-terminated copy): same verdict, same
 *     family, same bytes.  An input with a NUL byte must be rejected; its
 *     prefix before the NUL is compared instead.
 *   - ipaddr_format agrees with inet_ntop for every parsed address except
 *     the deprecated IPv4-compatible ::/96 range (lognym writes those per
 *     RFC 5952 without a dotted tail, glibc with one); "::" and "::1" are
 *     compared too.
 *   - format -> parse gives the same bytes, always; also after
 *     ipaddr_truncate with several prefix lengths, which must zero exactly
 *     the bits past the prefix.
 *   - ipaddr_parse_host returns spans that tile the token and an address
 *     equal to ipaddr_parse of its text.
 *   - ipaddr_parse_bare_in agrees with ipaddr_parse_host on bare tokens,
 *     and rejects the others, whatever follows the token; so does
 *     ipaddr_parse_host_in on every token (same spans).
 *   - residual_find returns tokens inside the scanned span that parse to
 *     the address it reports.
 * Any violation calls abort().
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipaddr.h"
#include "residual.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
fail (const char *what, const char *in, size_t len)
{
  size_t i;

  fprintf (stderr, "fuzz_ipaddr: %s; input \"", what);
  for (i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) in[i];
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
        fputc (c, stderr);
      else
        fprintf (stderr, "\\x%02x", c);
    }
  fprintf (stderr, "\"\n");
  abort ();
}

static void
check_format (const LnAddr *a, const char *in, size_t len)
{
  static const uint8_t zero12[12];
  char *text = malloc (LN_ADDR_TEXT_MAX);   /* exact: overflows hit the redzone */
  char ntop[INET6_ADDRSTRLEN];
  LnAddr back;
  size_t n;

  if (text == NULL)
    return;
  n = ipaddr_format (a, text);
  if (n == 0 || n > LN_ADDR_TEXT_MAX)
    fail ("ipaddr_format length out of range", in, len);
  if (!ipaddr_parse (text, n, &back) || back.family != a->family
      || memcmp (back.bytes, a->bytes, a->family == LN_AF_INET ? 4 : 16) != 0)
    fail ("format -> parse round trip changed the address", in, len);

  if (a->family == LN_AF_INET)
    {
      if (inet_ntop (AF_INET, a->bytes, ntop, sizeof ntop) == NULL)
        fail ("inet_ntop failed", in, len);
    }
  else
    {
      bool v4_compat = memcmp (a->bytes, zero12, 12) == 0;
      bool any_or_loopback = v4_compat && a->bytes[12] == 0 && a->bytes[13] == 0
                             && a->bytes[14] == 0 && a->bytes[15] <= 1;

      if (v4_compat && !any_or_loopback)
        {
          free (text);
          return;
        }
      if (inet_ntop (AF_INET6, a->bytes, ntop, sizeof ntop) == NULL)
        fail ("inet_ntop failed", in, len);
    }
  if (strlen (ntop) != n || memcmp (ntop, text, n) != 0)
    {
      fprintf (stderr, "ipaddr_format \"%.*s\", inet_ntop \"%s\"\n", (int) n, text, ntop);
      fail ("ipaddr_format differs from inet_ntop", in, len);
    }
  free (text);
}

static void
check_truncate (const LnAddr *a, const char *in, size_t len)
{
  static const unsigned v4[] = { 0, 1, 8, 13, 24, 31, 32, 40 };
  static const unsigned v6[] = { 0, 1, 48, 61, 64, 96, 127, 128, 200 };
  size_t i, j;

  for (i = 0; i < sizeof v4 / sizeof v4[0]; i++)
    for (j = 0; j < sizeof v6 / sizeof v6[0]; j++)
      {
        LnAddr t = *a;
        unsigned bits, off, nbytes, b;

        ipaddr_truncate (&t, v4[i], v6[j]);
        if (t.family != a->family)
          fail ("ipaddr_truncate changed the family", in, len);
        if (a->family == LN_AF_INET)
          off = 0, nbytes = 4, bits = v4[i];
        else if (ipaddr_is_v4_mapped (a))
          off = 12, nbytes = 4, bits = v4[i];
        else
          {
            /* the IPv4 rule also binds the IPv4 bits embedded in 6to4,
             * Teredo, NAT64 and IPv4-compatible addresses (ipaddr.c) */
            static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
            static const uint8_t zero[12] = { 0 };
            const uint8_t *x = a->bytes;

            off = 0, nbytes = 16, bits = v6[j];
            if (x[0] == 0x20 && x[1] == 0x02)
              bits = bits < 16 + v4[i] ? bits : 16 + v4[i];
            else if ((x[0] == 0x20 && x[1] == 0x01 && x[2] == 0 && x[3] == 0)
                     || memcmp (x, nat64, 12) == 0
                     || (memcmp (x, zero, 12) == 0
                         && (x[12] | x[13] | x[14] | (x[15] & 0xfe)) != 0))
              bits = bits < 96 + v4[i] ? bits : 96 + v4[i];
          }
        if (memcmp (t.bytes, a->bytes, off) != 0)
          fail ("ipaddr_truncate touched the mapped prefix", in, len);
        for (b = 0; b < nbytes * 8; b++)
          {
            unsigned byte = off + b / 8, mask = 0x80u >> (b % 8);
            unsigned want = b < bits ? (a->bytes[byte] & mask) : 0;

            if ((t.bytes[byte] & mask) != want)
              fail ("ipaddr_truncate kept or cleared the wrong bits", in, len);
          }
        check_format (&t, in, len);
      }
}

static void
check_host (const char *p, size_t len)
{
  LnHostToken tok;
  LnAddr again;

  if (!ipaddr_parse_host (span_make (p, len), &tok))
    return;
  if (tok.addr.family != LN_AF_INET && tok.addr.family != LN_AF_INET6)
    fail ("ipaddr_parse_host: bad family", p, len);
  if (tok.before.p != p || tok.text.p != p + tok.before.len
      || tok.after.p != tok.text.p + tok.text.len
      || tok.before.len + tok.text.len + tok.after.len != len)
    fail ("ipaddr_parse_host: spans do not tile the token", p, len);
  if (!ipaddr_parse (tok.text.p, tok.text.len, &again) || again.family != tok.addr.family
      || memcmp (again.bytes, tok.addr.bytes, 16) != 0)
    fail ("ipaddr_parse_host: address differs from ipaddr_parse of its text", p, len);
}

/* ipaddr_parse_bare_in takes exactly the tokens that ipaddr_parse_host
 * takes with nothing around the address, with the same address: reading
 * no further than the token, and with the line going on after it (the
 * one-load dotted quad path). */
static void
check_bare_one (const char *p, size_t len, const char *limit, const char *in)
{
  LnHostToken tok, tok_in;
  LnAddr a;
  bool host = ipaddr_parse_host (span_make (p, len), &tok);
  bool want = host && tok.before.len == 0 && tok.after.len == 0;

  if (ipaddr_parse_bare_in (span_make (p, len), limit, &a) != want)
    fail ("ipaddr_parse_bare_in: verdict differs from ipaddr_parse_host", in, len);
  if (want && (a.family != tok.addr.family || memcmp (a.bytes, tok.addr.bytes, 16) != 0))
    fail ("ipaddr_parse_bare_in: address differs from ipaddr_parse_host", in, len);
  /* and ipaddr_parse_host_in is ipaddr_parse_host, spans included */
  if (ipaddr_parse_host_in (span_make (p, len), limit, &tok_in) != host)
    fail ("ipaddr_parse_host_in: verdict differs from ipaddr_parse_host", in, len);
  if (host && (tok_in.addr.family != tok.addr.family
               || memcmp (tok_in.addr.bytes, tok.addr.bytes, 16) != 0
               || tok_in.before.p != tok.before.p || tok_in.before.len != tok.before.len
               || tok_in.text.p != tok.text.p || tok_in.text.len != tok.text.len
               || tok_in.after.p != tok.after.p || tok_in.after.len != tok.after.len))
    fail ("ipaddr_parse_host_in: result differs from ipaddr_parse_host", in, len);
}

static void
check_bare (const char *p, size_t len)
{
  char *line = malloc (len + 16);   /* exact: over-reads hit the redzone */

  check_bare_one (p, len, p + len, p);
  if (line == NULL)
    return;
  memcpy (line, p, len);
  memset (line + len, '.', 16);
  check_bare_one (line, len, line + len + 16, p);
  line[len] = '7';
  check_bare_one (line, len, line + len + 16, p);
  free (line);
}

static void
check_residual (const char *p, size_t len)
{
  const char *pos = p, *end = p + len;
  LnResidualMatch m;

  while (pos < end && residual_find (pos, end, &m))
    {
      LnAddr again;

      if (m.token.len == 0 || m.token.p < pos || m.token.p + m.token.len > end)
        fail ("residual_find: token outside the scanned span", p, len);
      /* the token may be longer than the address text ("1:::2": the
       * scanner masks the whole run): some part of it must spell it.  The
       * other notations (dashed, reversed, percent-escaped) are checked by
       * fuzz_residual (R3). */
      if (m.form == LN_RESIDUAL_PLAIN)
      {
        size_t from, to;
        bool spelled = false;

        for (from = 0; from < m.token.len && !spelled; from++)
          for (to = from + 1; to <= m.token.len && !spelled; to++)
            spelled = ipaddr_parse (m.token.p + from, to - from, &again)
                      && again.family == m.addr.family
                      && memcmp (again.bytes, m.addr.bytes, 16) == 0;
        if (!spelled)
          fail ("residual_find: no part of the token parses to the reported address", p, len);
      }
      pos = m.token.p + m.token.len;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *exact, *cstr;
  const char *nul;
  size_t cmp_len;
  LnAddr a;
  uint8_t want[16];
  bool ok, ok4, ok6 = false;

  if (size > 64)
    return 0;
  exact = malloc (size ? size : 1);
  cstr = malloc (size + 1);
  if (exact == NULL || cstr == NULL)
    {
      free (exact);
      free (cstr);
      return 0;
    }
  if (size)
    memcpy (exact, data, size);
  memcpy (cstr, exact, size);
  cstr[size] = '\0';

  nul = memchr (exact, '\0', size);
  if (nul && ipaddr_parse (exact, size, &a))
    fail ("ipaddr_parse accepted a NUL byte", exact, size);
  cmp_len = nul ? (size_t) (nul - exact) : size;

  ok = ipaddr_parse (exact, cmp_len, &a);
  ok4 = inet_pton (AF_INET, cstr, want) == 1;
  if (ok4)
    memset (want + 4, 0, 12);
  else
    ok6 = inet_pton (AF_INET6, cstr, want) == 1;
  if (!ok4 && !ok6)
    {
      if (ok)
        fail ("ipaddr_parse accepts what inet_pton rejects", exact, cmp_len);
      if (a.family != LN_AF_NONE)
        fail ("ipaddr_parse left a family on failure", exact, cmp_len);
    }
  else
    {
      if (!ok)
        fail ("ipaddr_parse rejects what inet_pton accepts", exact, cmp_len);
      if (a.family != (ok4 ? LN_AF_INET : LN_AF_INET6))
        fail ("ipaddr_parse: family differs from inet_pton", exact, cmp_len);
      if (memcmp (a.bytes, want, 16) != 0)
        fail ("ipaddr_parse: bytes differ from inet_pton", exact, cmp_len);
      check_format (&a, exact, cmp_len);
      check_truncate (&a, exact, cmp_len);
      {
        uint8_t v6[16];
        ipaddr_to_v6_bytes (&a, v6);
        if (a.family == LN_AF_INET
            && (v6[10] != 0xff || v6[11] != 0xff || memcmp (v6 + 12, a.bytes, 4) != 0))
          fail ("ipaddr_to_v6_bytes: not IPv4-mapped", exact, cmp_len);
      }
    }

  check_host (exact, size);
  check_bare (exact, size);
  check_residual (exact, size);

  free (exact);
  free (cstr);
  return 0;
}

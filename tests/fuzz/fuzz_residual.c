/* fuzz_residual.c - libFuzzer harness for the residual scanner.
 *
 * The input is free text (any bytes, explicit length) in an exactly sized
 * malloc'd buffer, so AddressSanitizer reports any read outside it.  It is
 * scanned with residual_find (strict) and residual_find_lenient, and
 * redacted with anon_redact under two truncation setups (/24 /48 and
 * /17 /61).  Invariants (abort() on violation, so libFuzzer keeps the
 * input):
 *
 *   R1  every match lies inside the input, and the matches of one scan are
 *       in order and disjoint;
 *   R2  every strict match overlaps a lenient match: leniency only adds
 *       matches.  (Not "the same match": a lenient IPv4 match cut out of
 *       "0.0.0.01:d8::" moves the start of the IPv6 one after it.)
 *   R3  a PLAIN or PERCENT token, decoded, parses (ipaddr_parse) to the
 *       match's address, or a part of it between ':' or '.' boundaries does
 *       (hex groups glued to an IPv6 address go with it, so that the masked
 *       text does not regroup with them); a DASHED token is four octets and
 *       dashes;
 *   R4  residual_format gives text that, scanned again, is one match of
 *       the same notation and address (for the truncated address);
 *   R5  the anon_redact output, scanned again (lenient), holds only
 *       addresses equal to their own truncation: redaction is idempotent
 *       and no raw address of a match survives in any notation the scanner
 *       knows.  (The harness redacts the text itself too, to know where
 *       the replacements are, and checks that anon_redact agrees.)
 *
 * Environment (for triage only; the default is the strict check):
 *   LOGNYM_FUZZ_TOLERATE=regroup
 *       excuse an R5 address that is not one replacement but kept text
 *       glued to a replacement, or two replacements glued together
 *       ("1:d:1:1:b:1:2::8" -> "1:d:1:1::"): the known open "regroup"
 *       class of fuzz_parse's I3 (see README).  No raw bits are exposed:
 *       every part of it was masked or was never part of an address.
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
#include "residual.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define MAX_MATCHES 4096

static LnAnon setups[2];
static LnBuf out;
static LnResidualMatch strict_m[MAX_MATCHES], lenient_m[MAX_MATCHES];
static size_t repl_at[MAX_MATCHES], repl_len[MAX_MATCHES];
static bool tolerate_regroup;

static void
fail (const char *what, const char *text, size_t len)
{
  size_t i;

  fprintf (stderr, "fuzz_residual: invariant violated: %s; text \"", what);
  for (i = 0; i < len && i < 512; i++)
    {
      unsigned char c = (unsigned char) text[i];

      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
        fputc (c, stderr);
      else
        fprintf (stderr, "\\x%02x", c);
    }
  fprintf (stderr, "\"\n");
  abort ();
}

static void
init_once (void)
{
  static bool done;
  LnAnonConfig a = { 0 };

  if (done)
    return;
  done = true;
  a.ip_mode = LN_IP_TRUNCATE;
  a.v4_bits = 24;
  a.v6_bits = 48;
  a.residual = LN_RESIDUAL_MASK;
  anon_init (&setups[0], &a, NULL, NULL);
  a.v4_bits = 17;
  a.v6_bits = 61;
  anon_init (&setups[1], &a, NULL, NULL);
  buf_init (&out, 256);
  tolerate_regroup = getenv ("LOGNYM_FUZZ_TOLERATE")
                     && strstr (getenv ("LOGNYM_FUZZ_TOLERATE"), "regroup");
}

/* anon_redact's loop, recording where each replacement lands in the
 * output; returns the number of replacements and checks that the text is
 * the one anon_redact wrote to out. */
static size_t
mimic_redact (LnAnon *anon, const char *text, size_t len)
{
  GString *s = g_string_new (NULL);
  const char *pos = text, *end = text + len;
  LnResidualMatch m;
  size_t n = 0;

  while (residual_find_lenient (text, pos, end, &m) && n < MAX_MATCHES)
    {
      char repl[LN_RESIDUAL_TEXT_MAX];
      size_t k = residual_format (m.form, repl, anon_address (anon, &m.addr, repl));

      g_string_append_len (s, pos, (gssize) (m.token.p - pos));
      repl_at[n] = s->len;
      repl_len[n] = k;
      n++;
      g_string_append_len (s, repl, (gssize) k);
      pos = m.token.p + m.token.len;
    }
  g_string_append_len (s, pos, (gssize) (end - pos));
  if (n < MAX_MATCHES && (s->len != out.len || memcmp (s->str, out.data, s->len) != 0))
    fail ("R5 anon_redact output differs from the harness's redaction", text, len);
  g_string_free (s, TRUE);
  return n;
}

static bool
own_truncation (const LnAnon *anon, const LnAddr *addr)
{
  LnAddr t = *addr;

  ipaddr_truncate (&t, anon->config.v4_bits, anon->config.v6_bits);
  return memcmp (t.bytes, addr->bytes, 16) == 0;
}

/* All matches of one scan of [text, text + len); checks R1. */
static size_t
scan_all (const char *text, size_t len, bool lenient, LnResidualMatch *ms)
{
  const char *pos = text, *end = text + len;
  size_t n = 0;

  for (;;)
    {
      LnResidualMatch m;
      bool found;

      memset (&m, 0, sizeof m);
      found = lenient ? residual_find_lenient (text, pos, end, &m)
                      : residual_find_in (text, pos, end, &m);
      if (!found)
        break;
      if (m.token.p < pos || m.token.len == 0 || m.token.p + m.token.len > end)
        fail ("R1 match outside the scanned span or out of order", text, len);
      if (m.addr.family != LN_AF_INET && m.addr.family != LN_AF_INET6)
        fail ("R1 match without an address family", text, len);
      if (m.form >= LN_RESIDUAL_FORM__COUNT)
        fail ("R1 match with an unknown notation", text, len);
      if (n < MAX_MATCHES)
        ms[n++] = m;
      pos = m.token.p + m.token.len;
    }
  return n;
}

/* R3: the token spells the address. */
static void
check_token (const LnResidualMatch *m, const char *text, size_t len)
{
  char dec[4096];         /* a token can be as long as the input */
  size_t n = 0, i;
  LnAddr a;

  switch (m->form)
    {
    case LN_RESIDUAL_PLAIN:
    case LN_RESIDUAL_PERCENT:
      for (i = 0; i < m->token.len && n < sizeof dec; i++)
        if (m->token.p[i] == '%' && i + 2 < m->token.len)
          {
            dec[n++] = ':';
            i += 2;
          }
        else
          dec[n++] = m->token.p[i];
      for (i = 0; i < n; i++)
        {
          size_t j;

          if (i > 0 && dec[i - 1] != ':')
            continue;
          for (j = n; j > i; j--)
            if ((j == n || dec[j] == ':' || dec[j] == '.')
                && ipaddr_parse (dec + i, j - i, &a) && a.family == m->addr.family
                && memcmp (a.bytes, m->addr.bytes, 16) == 0)
              break;
          if (j > i)
            break;
        }
      if (i == n)
        fail ("R3 token does not parse to the match's address", text, len);
      break;
    case LN_RESIDUAL_DASHED:
      for (i = 0; i < m->token.len; i++)
        if (!(g_ascii_isdigit (m->token.p[i]) || m->token.p[i] == '-'))
          fail ("R3 dashed token with other characters", text, len);
      if (m->addr.family != LN_AF_INET)
        fail ("R3 dashed token is not IPv4", text, len);
      break;
    case LN_RESIDUAL_REVERSE4:
      if (m->addr.family != LN_AF_INET || m->token.len < 7)
        fail ("R3 reverse IPv4 token", text, len);
      break;
    case LN_RESIDUAL_REVERSE6:
      if (m->addr.family != LN_AF_INET6 || m->token.len != 63)
        fail ("R3 reverse IPv6 token", text, len);
      break;
    case LN_RESIDUAL_FORM__COUNT:
    default:
      fail ("R3 unknown notation", text, len);
    }
}

/* R4: the masked address written in the match's notation reads back as
 * itself, in the same notation, inside the match's surroundings. */
static void
check_format (const LnAnon *anon, const LnResidualMatch *m, const char *text, size_t len)
{
  char buf[LN_RESIDUAL_TEXT_MAX];
  LnAddr t = m->addr;
  size_t n;
  GString *s;
  LnResidualMatch back;
  const char *start;

  n = anon_address (anon, &t, buf);
  n = residual_format (m->form, buf, n);
  if (n > LN_RESIDUAL_TEXT_MAX)
    fail ("R4 residual_format overflow", text, len);
  s = g_string_new_len (text, (gssize) (m->token.p - text));
  g_string_append_len (s, buf, (gssize) n);
  g_string_append_len (s, m->token.p + m->token.len,
                       (gssize) (text + len - (m->token.p + m->token.len)));
  start = s->str + (m->token.p - text);
  if (!residual_find_lenient (s->str, start, s->str + s->len, &back))
    {
      /* all right when the masked text is no longer an address the
       * scanner reads there: nothing raw is left */
      g_string_free (s, TRUE);
      return;
    }
  if (back.token.p == start && back.form == m->form)
    {
      LnAddr tr = m->addr;

      ipaddr_truncate (&tr, anon->config.v4_bits, anon->config.v6_bits);
      if (memcmp (back.addr.bytes, tr.bytes, 16) != 0 && back.token.len == n)
        fail ("R4 formatted address reads back as another address", text, len);
    }
  g_string_free (s, TRUE);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *text;
  size_t ns, nl, i, j, k;

  if (size > 4096)
    return 0;
  init_once ();
  text = malloc (size ? size : 1);
  memcpy (text, data, size);

  ns = scan_all (text, size, false, strict_m);
  nl = scan_all (text, size, true, lenient_m);
  /* R2 */
  for (i = 0, j = 0; i < ns; i++)
    {
      const char *sp = strict_m[i].token.p, *se = sp + strict_m[i].token.len;

      while (j < nl && lenient_m[j].token.p + lenient_m[j].token.len <= sp)
        j++;
      if (j == nl || lenient_m[j].token.p >= se)
        fail ("R2 a strict match that no lenient match overlaps", text, size);
    }
  for (i = 0; i < nl; i++)
    {
      check_token (&lenient_m[i], text, size);
      for (k = 0; k < 2; k++)
        check_format (&setups[k], &lenient_m[i], text, size);
    }

  /* R5 */
  for (k = 0; k < 2; k++)
    {
      char *red;
      size_t nr, nrepl;

      buf_reset (&out);
      anon_redact (&setups[k], span_make (text, size), &out);
      nrepl = mimic_redact (&setups[k], text, size);
      red = malloc (out.len ? out.len : 1);
      memcpy (red, out.data, out.len);
      nr = scan_all (red, out.len, true, strict_m);
      for (i = 0; i < nr; i++)
        if (!own_truncation (&setups[k], &strict_m[i].addr))
          {
            size_t at = (size_t) (strict_m[i].token.p - red);
            bool one = false;

            for (j = 0; j < nrepl; j++)
              one |= repl_at[j] <= at && at + strict_m[i].token.len <= repl_at[j] + repl_len[j];
            if (!one && tolerate_regroup)
              continue;
            fail (one ? "R5 a replacement reads as a raw address"
                      : "R5 redacted text still holds a raw address (regroup)", text, size);
          }
      free (red);
    }
  free (text);
  return 0;
}

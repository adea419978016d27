/* residual.c - the address scanner (see residual.h). */
#include "config.h"

#include <glib.h>
#include <string.h>
#include "bytescan.h"
#include "residual.h"

enum { HEX = 1, DIGIT = 2, DOT = 4, COLON = 8 };

/* Character classes; HEX covers 0-9a-fA-F. */
static const unsigned char cls[256] = {
  ['0'] = HEX | DIGIT, ['1'] = HEX | DIGIT, ['2'] = HEX | DIGIT, ['3'] = HEX | DIGIT,
  ['4'] = HEX | DIGIT, ['5'] = HEX | DIGIT, ['6'] = HEX | DIGIT, ['7'] = HEX | DIGIT,
  ['8'] = HEX | DIGIT, ['9'] = HEX | DIGIT,
  ['a'] = HEX, ['b'] = HEX, ['c'] = HEX, ['d'] = HEX, ['e'] = HEX, ['f'] = HEX,
  ['A'] = HEX, ['B'] = HEX, ['C'] = HEX, ['D'] = HEX, ['E'] = HEX, ['F'] = HEX,
  ['.'] = DOT, [':'] = COLON,
};

#define IS(c, m) (cls[(unsigned char) (c)] & (m))

/* Longest tail of [p, p+len) of at most 3 digits that is a valid octet
 * (no leading zero), or 0. */
static size_t
octet_suffix (const char *p, size_t len)
{
  size_t n;

  for (n = len < 3 ? len : 3; n > 0; n--)
    {
      const char *s = p + len - n;
      unsigned v = 0;
      size_t i;

      if (n > 1 && s[0] == '0')
        continue;
      for (i = 0; i < n; i++)
        v = v * 10 + (unsigned) (s[i] - '0');
      if (v <= 255)
        return n;
    }
  return 0;
}

/* Longest head of [p, p+len) that is a valid octet, or 0. */
static size_t
octet_prefix (const char *p, size_t len)
{
  size_t n;

  if (len == 0)
    return 0;
  if (p[0] == '0')
    return 1;
  for (n = len < 3 ? len : 3; n > 0; n--)
    {
      unsigned v = 0;
      size_t i;

      for (i = 0; i < n; i++)
        v = v * 10 + (unsigned) (p[i] - '0');
      if (v <= 255)
        return n;
    }
  return 0;
}

/* Dotted quads inside the run [rs, re).  Strictly, a piece of digits and
 * dots is an address when it has exactly four components, each an octet.
 * Leniently (for malformed lines, where two lines may have run together),
 * every window of four components is tried and the outer two may be glued
 * to other digits: "curl/8.5.073.50.254.197" holds 73.50.254.197.  There a
 * masked version number costs little and a missed address leaks. */
static bool
find_v4 (const char *rs, const char *re, bool lenient, LnResidualMatch *m)
{
  const char *q = rs;

  while (q < re)
    {
      const char *start[16];
      size_t len[16];
      int n = 0, i;

      while (q < re && !IS (*q, DIGIT))
        q++;
      /* components of one digit-and-dot piece */
      while (q < re && IS (*q, DIGIT) && n < 16)
        {
          start[n] = q;
          while (q < re && IS (*q, DIGIT))
            q++;
          len[n] = (size_t) (q - start[n]);
          n++;
          if (q + 1 < re && *q == '.' && IS (q[1], DIGIT))
            q++;
          else
            break;
        }
      for (i = 0; i + 3 < n; i++)
        {
          size_t head = octet_suffix (start[i], len[i]);
          size_t tail = octet_prefix (start[i + 3], len[i + 3]);
          const char *s, *e;

          if (!lenient && (n != 4 || head != len[0] || tail != len[3]))
            break;
          if (head == 0 || tail == 0
              || octet_suffix (start[i + 1], len[i + 1]) != len[i + 1]
              || octet_suffix (start[i + 2], len[i + 2]) != len[i + 2])
            continue;
          s = start[i] + len[i] - head;
          e = start[i + 3] + tail;
          if (ipaddr_parse (s, (size_t) (e - s), &m->addr))
            {
              m->token = span_make (s, (size_t) (e - s));
              return true;
            }
        }
      if (n == 16)
        {
          /* a very long piece: go on from its last components */
          q = start[13];
        }
    }
  return false;
}

/* A letter (other than a hex digit) or '_' glued to a candidate means it is
 * part of a word: "Foo::Bar" holds no address. */
static bool
wordish (char c)
{
  return (g_ascii_isalpha (c) && !IS (c, HEX)) || c == '_';
}

/* The longest prefix of [s, e) that ends at a ':' or '.' boundary and
 * parses as an address: "2::9::1", "2::9.1" (an address glued to more
 * hex-and-colon text). */
static bool
longest_prefix (const char *s, const char *e, LnResidualMatch *m)
{
  const char *q;

  for (q = e - 1; q > s + 1; q--)
    if ((*q == ':' || *q == '.') && ipaddr_parse (s, (size_t) (q - s), &m->addr))
      {
        m->token = span_make (s, (size_t) (q - s));
        return true;
      }
  return false;
}

static bool
try_v6 (const char *lo, const char *hi, const char *s, const char *e, LnResidualMatch *m)
{
  int attempt;

  while (e > s && e[-1] == '.')     /* "... from 2001:db8::1." */
    e--;
  for (attempt = 0; attempt < 3 && s < e; attempt++)
    {
      const char *colon;
      const char *q;
      int colons = 0;
      bool word_before, word_after;

      if (s[0] == ':' && s + 1 < e && s[1] != ':')
        s++;                        /* "ip:2001:db8::1" */
      for (q = s; q < e; q++)
        colons += *q == ':';
      /* a letter glued on means a word ("Foo::Bar") unless the candidate
       * is plainly an address (three colons or more): "2001:db8::9T" */
      word_before = s > lo && wordish (s[-1]);
      word_after = e < hi && wordish (*e);
      if (!((word_before || word_after) && colons < 3))
        {
          if (ipaddr_parse (s, (size_t) (e - s), &m->addr))
            {
              m->token = span_make (s, (size_t) (e - s));
              return true;
            }
          /* "peer 2001:db8::1: closed", "2001:db8::9::", a ":port",
           * "2::9.1" */
          if (longest_prefix (s, e, m))
            return true;
        }
      /* drop a leading group that may be the tail of a word:
       * "word:2001:db8::1", "203.0.113.9:2001:db8::1" */
      colon = memchr (s, ':', (size_t) (e - s));
      if (colon == NULL || colon + 1 >= e || colon[1] == ':')
        break;
      s = colon + 1;
    }
  return false;
}

static bool
try_run (const char *lo, const char *hi, const char *rs, const char *re, bool lenient,
         LnResidualMatch *m)
{
  const char *q;
  int colons = 0;

  for (q = rs; q < re; q++)
    colons += *q == ':';
  if (colons >= 2 && try_v6 (lo, hi, rs, re, m))
    {
      LnResidualMatch v4;

      /* an IPv4 address in front of the IPv6 one ("203.0.113.9:2001:db8::1")
       * comes first; the IPv6 one is found by the next call */
      if (m->token.p > rs && find_v4 (rs, m->token.p, lenient, &v4))
        *m = v4;
      return true;
    }
  return find_v4 (rs, re, lenient, m);
}

static bool
find (const char *base, const char *p, const char *end, bool lenient,
      LnResidualMatch *match)
{
  const char *q = p;

  while ((q = scan_byte2_in (base, q, end, '.', ':')) != NULL)
    {
      const char *rs, *re;

      /* Cheap rejects first: most dots and colons in a log line belong to
       * host names, file names and "http:".  An IPv4 dot has digits on both
       * sides; an IPv6 colon has a hex digit or another colon beside it. */
      if (*q == '.')
        {
          if (q == p || q + 1 == end || !IS (q[-1], DIGIT) || !IS (q[1], DIGIT))
            {
              q++;
              continue;
            }
        }
      else if (!((q > p && IS (q[-1], HEX | COLON)) || (q + 1 < end && IS (q[1], HEX | COLON))))
        {
          q++;
          continue;
        }
      rs = q;
      while (rs > p && IS (rs[-1], HEX | DOT | COLON))
        rs--;
      re = q;
      while (re < end && IS (*re, HEX | DOT | COLON))
        re++;
      if (re - rs >= 2 && try_run (p, end, rs, re, lenient, match))
        return true;
      q = re;
    }
  return false;
}

bool
residual_find (const char *p, const char *end, LnResidualMatch *match)
{
  return find (p, p, end, false, match);
}

bool
residual_find_in (const char *base, const char *p, const char *end,
                  LnResidualMatch *match)
{
  return find (base, p, end, false, match);
}

bool
residual_find_lenient (const char *base, const char *p, const char *end,
                       LnResidualMatch *match)
{
  return find (base, p, end, true, match);
}

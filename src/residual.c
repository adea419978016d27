/* residual.c - the address scanner (see residual.h). */
#include "config.h"

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

/* Dotted quads inside the run [rs, re): maximal digit-and-dot pieces with
 * exactly three inner dots. */
static bool
find_v4 (const char *rs, const char *re, LnResidualMatch *m)
{
  const char *q = rs;

  while (q < re)
    {
      const char *s, *e;
      int dots = 0;

      while (q < re && !IS (*q, DIGIT))
        q++;
      s = q;
      while (q < re && IS (*q, DIGIT | DOT))
        {
          dots += *q == '.';
          q++;
        }
      e = q;
      while (e > s && e[-1] == '.')
        e--, dots--;
      if (dots == 3 && ipaddr_parse (s, (size_t) (e - s), &m->addr))
        {
          m->token = span_make (s, (size_t) (e - s));
          return true;
        }
    }
  return false;
}

static bool
try_run (const char *rs, const char *re, LnResidualMatch *m)
{
  const char *q;
  int colons = 0;

  for (q = rs; q < re; q++)
    colons += *q == ':';
  if (colons >= 2)
    {
      const char *s = rs, *e = re;

      /* "::1" is an address, "x::" after a word is not helped by trimming,
       * but "http://" never reaches here (no hex run with two colons). */
      if (ipaddr_parse (s, (size_t) (e - s), &m->addr))
        {
          m->token = span_make (s, (size_t) (e - s));
          return true;
        }
      /* "2001:db8::1:" (end of sentence) or a trailing ":port" after an
       * unbracketed address */
      while (e > s && e[-1] != ':')
        e--;
      if (e > s && ipaddr_parse (s, (size_t) (e - s - 1), &m->addr))
        {
          m->token = span_make (s, (size_t) (e - s - 1));
          return true;
        }
    }
  return find_v4 (rs, re, m);
}

bool
residual_find (const char *p, const char *end, LnResidualMatch *match)
{
  return residual_find_in (p, p, end, match);
}

bool
residual_find_in (const char *base, const char *p, const char *end,
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
      if (re - rs >= 2 && try_run (rs, re, match))
        return true;
      q = re;
    }
  return false;
}

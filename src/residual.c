/* residual.c - the address scanner (see residual.h). */
#include "config.h"

#include <glib.h>
#include <string.h>
#include "bytescan.h"
#include "residual.h"
#include "wipe.h"

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
          /* a very long piece: leniently, go on from its last components;
           * strictly it is no address, however it ends (restarting inside
           * it found "0.0.0.8" in the tail of a reverse IPv6 name) */
          if (lenient)
            q = start[13];
          else
            while (q < re && (IS (*q, DIGIT) || (*q == '.' && q + 1 < re && IS (q[1], DIGIT))))
              q++;
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

/* True when [s, e) is hex digits and colons (and dots when @dots), with
 * at least one digit. */
static bool
hex_groups (const char *s, const char *e, bool dots)
{
  bool digit = false;

  for (; s < e; s++)
    {
      if (!IS (*s, dots ? HEX | COLON | DOT : HEX | COLON))
        return false;
      digit |= IS (*s, HEX) != 0;
    }
  return digit;
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
            {
              const char *t = m->token.p + m->token.len;

              /* "db8::1:db8::1b:d1:db8:b:111": the rest would be the
               * next match, and the two masked texts glued together
               * ("db8::" "0:0:0:18::") read as a new address; "0:::09.1"
               * masked as ":::09.1" reads as ::9.  The rest goes with
               * this match.  A rest without a digit stays ("2001:db8::1:
               * closed"), and so does one after a '.' with an IPv4
               * address, which is the next match ("3a2::.7.6.56.56");
               * after a ':' the IPv4 address would regroup with the
               * masked IPv6 text ("0:::0.0.3.0" -> "::::0.0.3.0") */
              LnResidualMatch v4;

              if (hex_groups (t, e, true) && (*t == ':' || !find_v4 (t, e, true, &v4)))
                m->token = span_make (m->token.p, (size_t) (e - m->token.p));
              return true;
            }
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

static G_NO_INLINE bool
try_run (const char *lo, const char *hi, const char *rs, const char *re, bool lenient,
         LnResidualMatch *m)
{
  const char *q;
  int colons = 0;

  m->form = LN_RESIDUAL_PLAIN;
  for (q = rs; q < re; q++)
    colons += *q == ':';
  if (colons >= 2 && try_v6 (lo, hi, rs, re, m))
    {
      LnResidualMatch v4;

      v4.form = LN_RESIDUAL_PLAIN;

      /* an IPv4 address in front of the IPv6 one ("203.0.113.9:2001:db8::1")
       * comes first; the IPv6 one is found by the next call */
      if (m->token.p > rs && find_v4 (rs, m->token.p, lenient, &v4))
        *m = v4;
      else if (m->token.p > rs)
        {
          const char *t = m->token.p;

          /* "1:d:1:1:b:1:2::8" is no address but "d:1:1:b:1:2::8" is;
           * masked alone it would leave "1:" glued to "d:1:1::", which
           * reads as the address 1:d:1:1:: (not its own truncation): the
           * groups right in front go with the match ("8.51.:4:5:6db8:1::"
           * decoded: ":4:"), but not a ':' that ends a word
           * ("ip:2001:db8::1") */
          while (t > rs && IS (t[-1], HEX | COLON))
            t--;
          while (t < m->token.p && *t == ':')
            t++;
          if (hex_groups (t, m->token.p, false))
            m->token = span_make (t, (size_t) (m->token.p + m->token.len - t));
        }
      return true;
    }
  if (!find_v4 (rs, re, lenient, m))
    return false;
  /* "7.100.51.198.in-addr.arpa" is 198.51.100.7 written backwards:
   * masking it as written would keep the host octet */
  if (hi - (m->token.p + m->token.len) >= 13
      && g_ascii_strncasecmp (m->token.p + m->token.len, ".in-addr.arpa", 13) == 0)
    {
      uint8_t b[4];

      memcpy (b, m->addr.bytes, 4);
      m->addr.bytes[0] = b[3];
      m->addr.bytes[1] = b[2];
      m->addr.bytes[2] = b[1];
      m->addr.bytes[3] = b[0];
      m->form = LN_RESIDUAL_REVERSE4;
      /* the host octet comes first: numbers glued in front of it (a
       * lenient match in "8.6.0737.100.51.198") would regroup with the
       * masked octet ("8.6.070.100.51.198" reads as 198.51.100.70, then
       * "8.6.0.100" as an address); they go with it */
      while (m->token.p > rs && IS (m->token.p[-1], DIGIT | DOT))
        m->token = span_make (m->token.p - 1, m->token.len + 1);
    }
  return true;
}

/* 32 nibbles and dots that end at @x, the '.' in front of "ip6.arpa":
 * "b.a.9.8...1.0.0.2.ip6.arpa" spells 2001:...:89ab.  Fewer nibbles name a
 * network, not an address. */
static G_NO_INLINE bool
reverse6 (const char *lo, const char *x, LnResidualMatch *m)
{
  const char *s = x - 63;
  int i;

  if (x - lo < 63)
    return false;
  if (s > lo && (g_ascii_isalnum (s[-1]) || s[-1] == '.' || s[-1] == '-'))
    return false;
  for (i = 0; i < 32; i++)
    {
      const char *c = x - 1 - 2 * i;     /* from the most significant */
      unsigned v;

      if (!IS (*c, HEX) || (i < 31 && c[-1] != '.'))
        return false;
      v = (unsigned) g_ascii_xdigit_value (*c);
      if (i % 2 == 0)
        m->addr.bytes[i / 2] = (uint8_t) (v << 4);
      else
        m->addr.bytes[i / 2] |= (uint8_t) v;
    }
  m->addr.family = LN_AF_INET6;
  m->token = span_make (s, 63);
  m->form = LN_RESIDUAL_REVERSE6;
  return true;
}

/* True when @m is the version of a product token of a user agent:
 * "Chrome/107.0.0.0" (Chrome's reduced user agent), "Dragon/36.1.1.21".
 * The product name starts the text or follows a space, '"', '(', ';' or
 * ','; the version ends it or is followed by one of those or ')'.  A path
 * ("/ip/203.0.113.9", "http://proxy/203.0.113.9") is not a product token:
 * its name follows a '/'.  @lo is the start of what may be read (the
 * line), not of the search: after a match the search goes on in the middle
 * of a word ("1.1curl/8.3.195.0" is no product token). */
static bool
product_version (const char *lo, const char *hi, const LnResidualMatch *m)
{
  const char *s = m->token.p, *e = m->token.p + m->token.len, *n;
  bool letter = false;

  if (m->form != LN_RESIDUAL_PLAIN || m->addr.family != LN_AF_INET || s - lo < 3
      || s[-1] != '/')
    return false;
  if (e < hi && !(*e == ' ' || *e == ')' || *e == ';' || *e == ','))
    return false;
  for (n = s - 1; n > lo && (g_ascii_isalnum (n[-1]) || n[-1] == '-' || n[-1] == '_'); n--)
    letter |= g_ascii_isalpha (n[-1]);
  if (!letter || s - 1 - n < 2)
    return false;
  return n == lo || n[-1] == ' ' || n[-1] == '"' || n[-1] == '(' || n[-1] == ';'
         || n[-1] == ',';
}

/* True when [s, e) is single hex digits, each followed by a dot. */
static bool
nibbles (const char *s, const char *e)
{
  for (; s + 1 < e; s += 2)
    if (!IS (s[0], HEX) || s[1] != '.')
      return false;
  return s == e;
}

static bool
is_ip6_arpa (const char *p, const char *end)
{
  return end - p >= 8 && g_ascii_strncasecmp (p, "ip6.arpa", 8) == 0;
}

/* One to three digits at @p, as an octet; returns the end or NULL. */
static const char *
dashed_octet (const char *p, const char *end, uint8_t *out)
{
  unsigned v = 0;
  int n = 0;

  while (p < end && IS (*p, DIGIT) && n < 4)
    {
      v = v * 10 + (unsigned) (*p++ - '0');
      n++;
    }
  if (n == 0 || n > 3 || v > 255)
    return NULL;
  *out = (uint8_t) v;
  return p;
}

/* A dashed IPv4 address around the '-' at @q: "198-51-100-7.dialup.example",
 * "ip-10-1-2-3.ec2.internal", "host-198-51-100-7".  Four octets joined by
 * dashes are a date, a phone number or a serial as often as an address, so
 * a host name must show around them: a letter and '-' in front, or '.' and
 * a letter behind.  Nothing with digits may be glued on ("1-2-3-4-5",
 * "1.2-3-4-5.x"). */
static G_NO_INLINE bool
dashed_at (const char *base, const char *lo, const char *hi, const char *q,
           LnResidualMatch *m)
{
  const char *s, *e;
  bool host_before, host_after;
  int i;

  if (q + 1 >= hi || !IS (q[1], DIGIT) || q == base)
    return false;
  if (IS (q[-1], DIGIT))
    {
      for (s = q; s > lo && IS (s[-1], DIGIT); s--)
        if (q - s == 3)
          return false;
    }
  else if (g_ascii_isalpha (q[-1]))
    s = q + 1;
  else
    return false;
  /* the context is read in the line (from @base), not only in the search:
   * after a match the search may go on right before "-198-51-100-7" */
  host_before = false;
  if (s > base)
    {
      char c = s[-1];

      if (c == '-')
        {
          if (s - 1 == base || !g_ascii_isalpha (s[-2]))
            return false;
          host_before = true;
        }
      else if (g_ascii_isalnum (c) || (c == '.' && s - 1 > base && IS (s[-2], DIGIT)))
        return false;
    }
  e = s;
  for (i = 0; i < 4; i++)
    {
      if (i > 0)
        {
          if (e >= hi || *e != '-')
            return false;
          e++;
        }
      e = dashed_octet (e, hi, &m->addr.bytes[i]);
      if (e == NULL)
        return false;
    }
  if (hi - e >= 2 && (*e == '-' || *e == '.') && IS (e[1], DIGIT))
    return false;
  host_after = hi - e >= 2 && *e == '.' && g_ascii_isalpha (e[1]);
  if (!host_before && !host_after)
    return false;
  m->addr.family = LN_AF_INET;
  memset (m->addr.bytes + 4, 0, 12);
  m->token = span_make (s, (size_t) (e - s));
  m->form = LN_RESIDUAL_DASHED;
  return true;
}

static bool
is_escaped_colon (const char *p, const char *end)
{
  return end - p >= 3 && p[0] == '%' && p[1] == '3' && (p[2] | 0x20) == 'a';
}

/* An address with percent-encoded colons around the '%' at @q, as in a
 * query string: "?ip=2001%3Adb8%3A%3A1".  The run of address characters and
 * "%3A" is decoded into a buffer, searched like any run, and the match is
 * mapped back to the encoded text. */
static G_NO_INLINE bool
percent_at (const char *lo, const char *hi, const char *q, bool lenient,
            LnResidualMatch *m)
{
  char dec[160];
  uint8_t from[160];          /* offset of each decoded byte from s */
  const char *s = q, *e = q, *c;
  size_t n = 0, a, b;

  if (!is_escaped_colon (q, hi))
    return false;
  while (q - s < 150)
    {
      if (s > lo && IS (s[-1], HEX | DOT | COLON))
        s--;
      else if (s - lo >= 3 && is_escaped_colon (s - 3, hi))
        s -= 3;
      else
        break;
    }
  if (s - lo >= 1 && s[-1] == '%' && q - s >= 2 && IS (s[0], HEX) && IS (s[1], HEX))
    s += 2;                     /* "%5B2001%3A...": 5B is the bracket */
  while (e - s < 150)
    {
      if (is_escaped_colon (e, hi))
        e += 3;
      else if (e < hi && IS (*e, HEX | DOT | COLON))
        e++;
      else
        break;
    }
  /* dec[0] and dec[n + 1] are the bytes around the run: "a%3A%3Ag" is a
   * word like "a::g", not an address */
  dec[0] = s > lo ? s[-1] : ' ';
  for (c = s; c < e && n + 2 < sizeof dec; n++)
    {
      from[n] = (uint8_t) (c - s);
      if (*c == '%')
        {
          dec[n + 1] = ':';
          c += 3;
        }
      else
        dec[n + 1] = *c++;
    }
  if (c < e || n < 2)
    return false;
  dec[n + 1] = e < hi ? *e : ' ';
  if (!try_run (dec, dec + n + 2, dec + 1, dec + n + 1, lenient, m))
    return false;
  a = (size_t) (m->token.p - (dec + 1));
  b = a + m->token.len - 1;
  {
    const char *ts = s + from[a];
    const char *te = s + from[b] + (s[from[b]] == '%' ? 3 : 1);

    /* a match without an escape is the plain scan's to find or to
     * reject (it judges the run by itself, not by the escapes after it) */
    if (m->form != LN_RESIDUAL_PLAIN || (size_t) (te - ts) == m->token.len)
      return false;
    m->form = LN_RESIDUAL_PERCENT;
    m->token = span_make (ts, (size_t) (te - ts));
  }
  return true;
}

/* Bit i set when byte i of the 16 at @p may start an address notation:
 * a '.' between two digits, a '-' before a digit, any ':' or '%'.  (The
 * dot before "ip6.arpa" is not one: a reverse IPv6 name is found from the
 * digit-dot-digit pairs of its nibbles, which all but a handful of the 2^128
 * names have.)  The first
 * and last byte have a neighbour outside the block: they are kept, and
 * candidate checks every byte again.  Most dots and dashes of a log line
 * are in host names, file names and words; dropping them here, 16 bytes at
 * a time, is cheaper than one look at each.  @n < 16 bytes are read by a
 * plain loop. */
static inline unsigned
triggers (const char *p, size_t n)
{
  unsigned mask = 0;
  size_t i;

#ifdef LN_HAVE_SSE2
  if (n == 16)
    {
      __m128i v = _mm_loadu_si128 ((const __m128i *) (const void *) p);
      /* v + 0x50 maps '0'...'9' to the ten smallest signed bytes */
      unsigned digit = (unsigned) _mm_movemask_epi8 (_mm_cmplt_epi8 (
          _mm_add_epi8 (v, _mm_set1_epi8 (0x50)), _mm_set1_epi8 (-128 + 10)));
      unsigned dot = (unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('.')));
      unsigned dash = (unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('-')));
      unsigned other = (unsigned) _mm_movemask_epi8 (
          _mm_or_si128 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 (':')),
                        _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('%'))));

      return (dot & ((digit << 1) | 1) & ((digit >> 1) | 0x8000))
             | (dash & ((digit >> 1) | 0x8000)) | other;
    }
#endif
  for (i = 0; i < n; i++)
    if (p[i] == '.' || p[i] == ':' || p[i] == '-' || p[i] == '%')
      mask |= 1u << i;
  return mask;
}

static inline bool
dot_near (const char *p, const char *end, const char *q)
{
  int i;

  for (i = 2; i <= 4; i++)
    if ((q - p >= i && q[-i] == '.') || (end - q > i && q[i] == '.'))
      return true;
  return false;
}

/* Looks for an address that starts at or around the trigger byte @q.
 * Cheap rejects first: most dots, colons and dashes in a log line belong to
 * host names, file names, "http:" and words.  An IPv4 dot has digits on
 * both sides; an IPv6 colon has a hex digit or another colon beside it; a
 * dashed address has a digit after a dash.  *@resume is set to where the
 * search goes on when a run was searched without a match. */
static bool run_at (const char *base, const char *p, const char *end, const char *q,
                    bool lenient, const char **resume, LnResidualMatch *match);

static inline bool
candidate (const char *base, const char *p, const char *end, const char *q, bool lenient,
           const char **resume, LnResidualMatch *match)
{
  switch (*q)
    {
    case '.':
      if (q == p || q + 1 == end || !IS (q[-1], DIGIT) || !IS (q[1], DIGIT))
        {
          /* "...a.b.c.ip6.arpa" may have no digit-dot-digit at all */
          if (q > p && q[-1] == '6' && q - p >= 4 && end - q >= 5
              && is_ip6_arpa (q - 3, end) && reverse6 (p, q - 4, match))
            return true;
          return false;
        }
      /* octets have at most three digits: a dot of a dotted quad has
       * another dot at most four bytes away ("HTTP/1.1" has none) */
      if (!dot_near (p, end, q))
        return false;
      break;
    case ':':
      if (!((q > p && IS (q[-1], HEX | COLON)) || (q + 1 < end && IS (q[1], HEX | COLON))))
        return false;
      break;
    case '-':
      return q + 1 < end && IS (q[1], DIGIT) && dashed_at (base, p, end, q, match);
    default:
      return q + 1 < end && q[1] == '3' && percent_at (p, end, q, lenient, match);
    }
  return run_at (base, p, end, q, lenient, resume, match);
}

/* The run of address characters around @q (see candidate). */
static G_NO_INLINE bool
run_at (const char *base, const char *p, const char *end, const char *q, bool lenient,
        const char **resume, LnResidualMatch *match)
{
  const char *rs, *re;
  int dots = 0, colons = 0;

  rs = q;
  while (rs > p && IS (rs[-1], HEX | DOT | COLON))
    {
      rs--;
      dots += *rs == '.';
      colons += *rs == ':';
    }
  re = q;
  while (re < end && IS (*re, HEX | DOT | COLON))
    {
      dots += *re == '.';
      colons += *re == ':';
      re++;
    }
  *resume = re;
  /* an IPv4 address needs three dots, an IPv6 one two colons: this drops
   * "HTTP/1.1", "6.5.1" and "13:55" before any parsing */
  if (dots < 3 && colons < 2)
    return false;
  /* "%5B2001:db8::1%5D", "%20198.51.100.7": the two hex digits after a '%'
   * are the escape, not the address */
  if (rs > p && rs[-1] == '%' && q - rs >= 2 && IS (rs[0], HEX) && IS (rs[1], HEX))
    rs += 2;
  if (re[-1] == '.' && is_ip6_arpa (re, end))
    {
      if (reverse6 (rs, re - 1, match))
        return true;
      if (nibbles (rs, re))
        return false;     /* a zone, "8.b.d.0.1.0.0.2.ip6.arpa": no address */
    }
  if (re - rs < 2 || !try_run (p, end, rs, re, lenient, match))
    return false;
  return !product_version (base, end, match);
}

static bool
find (const char *base, const char *p, const char *end, bool lenient,
      LnResidualMatch *match)
{
  const char *q = p;

  /* the protocol that ends a request line ("HTTP/1.1", "HTTP/2.0") holds
   * no address, but its dot costs a look and often a block of its own */
  if (end - p >= 8 && end[-2] == '.' && memcmp (end - 8, "HTTP/", 5) == 0
      && IS (end[-3], DIGIT) && IS (end[-1], DIGIT))
    end -= 8;
  /* One 16-byte block at a time; the triggers of a block are taken from its
   * mask without searching the block again. */
  while (q < end)
    {
      const char *block = q, *next;
      unsigned mask;

      if (end - q >= 16)
        {
          mask = triggers (q, 16);
          next = q + 16;
        }
      else
        {
          if (end - base >= 16)
            {
              /* the last 16 bytes before end, ignoring those before q */
              block = end - 16;
              mask = triggers (block, 16) & (~0u << (q - block));
            }
          else
            mask = triggers (q, (size_t) (end - q));
          next = end;
        }
      while (mask)
        {
          const char *c = block + __builtin_ctz (mask);
          const char *resume = NULL;

          mask &= mask - 1;
          if (candidate (base, p, end, c, lenient, &resume, match))
            return true;
          if (resume)
            {
              /* a run was searched: go on after it */
              if (resume > next)
                next = resume;
              mask = resume - block >= 16 ? 0 : mask & (~0u << (resume - block));
            }
        }
      q = next;
    }
  return false;
}

/* find(), and without a match @match->addr wiped: a candidate that failed
 * to parse ("192.0.2.7.5", "2001:db8::1::") may have left some of its
 * octets there, in the caller's memory, after the line. */
static inline bool
find_wiped (const char *base, const char *p, const char *end, bool lenient,
            LnResidualMatch *match)
{
  if (find (base, p, end, lenient, match))
    return true;
  wipe_memory (&match->addr, sizeof match->addr);
  return false;
}

bool
residual_find (const char *p, const char *end, LnResidualMatch *match)
{
  return find_wiped (p, p, end, false, match);
}

bool
residual_find_in (const char *base, const char *p, const char *end,
                  LnResidualMatch *match)
{
  return find_wiped (base, p, end, false, match);
}

bool
residual_find_lenient (const char *base, const char *p, const char *end,
                       LnResidualMatch *match)
{
  return find_wiped (base, p, end, true, match);
}

const char *
residual_form_name (LnResidualForm form)
{
  static const char *const names[LN_RESIDUAL_FORM__COUNT] = {
    "plain", "dashed", "reverse4", "reverse6", "percent",
  };

  return form < LN_RESIDUAL_FORM__COUNT ? names[form] : "plain";
}

static size_t
put_octet (char *out, unsigned v)
{
  size_t n = 0;

  if (v >= 100)
    out[n++] = (char) ('0' + v / 100);
  if (v >= 10)
    out[n++] = (char) ('0' + v / 10 % 10);
  out[n++] = (char) ('0' + v % 10);
  return n;
}

size_t
residual_format (LnResidualForm form, char *text, size_t n)
{
  static const char hex[] = "0123456789abcdef";
  char out[LN_RESIDUAL_TEXT_MAX];
  size_t len = 0, i;
  LnAddr a;

  if (form == LN_RESIDUAL_PERCENT)
    {
      /* whatever the text is: a raw ':' would change the query string */
      for (i = 0; i < n && len + 3 <= sizeof out; i++)
        if (text[i] == ':')
          {
            memcpy (out + len, "%3A", 3);
            len += 3;
          }
        else
          out[len++] = text[i];
      memcpy (text, out, len);
      return len;
    }
  if (form == LN_RESIDUAL_PLAIN || !ipaddr_parse (text, n, &a))
    return n;
  if (a.family != (form == LN_RESIDUAL_REVERSE6 ? LN_AF_INET6 : LN_AF_INET))
    {
      wipe_memory (&a, sizeof a);
      return n;
    }
  switch (form)
    {
    case LN_RESIDUAL_DASHED:
      for (i = 0; i < 4; i++)
        {
          if (i)
            out[len++] = '-';
          len += put_octet (out + len, a.bytes[i]);
        }
      break;
    case LN_RESIDUAL_REVERSE4:
      for (i = 4; i-- > 0;)
        {
          len += put_octet (out + len, a.bytes[i]);
          if (i)
            out[len++] = '.';
        }
      break;
    case LN_RESIDUAL_REVERSE6:
      for (i = 16; i-- > 0;)
        {
          out[len++] = hex[a.bytes[i] & 15];
          out[len++] = '.';
          out[len++] = hex[a.bytes[i] >> 4];
          if (i)
            out[len++] = '.';
        }
      break;
    case LN_RESIDUAL_PLAIN:
    case LN_RESIDUAL_PERCENT:
    case LN_RESIDUAL_FORM__COUNT:
    default:
      break;
    }
  wipe_memory (&a, sizeof a);
  memcpy (text, out, len);
  return len;
}

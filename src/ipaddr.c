/* ipaddr.c - hand-written address parser and formatter (see ipaddr.h). */
#include "config.h"

#include <string.h>
#include "bytescan.h"
#include "ipaddr.h"
#include "wipe.h"

static const int8_t hex_value[256] = {
  ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
  ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
  ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
  ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};
/* hex_value[c] - 1 is the digit value; 0 marks "not a hex digit" so the
 * table can stay zero-initialised. */

static bool
parse_v4 (const char *p, const char *end, uint8_t out[4])
{
  int part = 0;

  while (part < 4)
    {
      unsigned value = 0;
      int digits = 0;

      if (p == end || (unsigned) (*p - '0') > 9)
        return false;
      if (*p == '0' && p + 1 < end && (unsigned) (p[1] - '0') <= 9)
        return false;                   /* leading zero: octal ambiguity */
      while (p < end && (unsigned) (*p - '0') <= 9)
        {
          value = value * 10 + (unsigned) (*p - '0');
          if (++digits > 3 || value > 255)
            return false;
          p++;
        }
      out[part++] = (uint8_t) value;
      if (part < 4)
        {
          if (p == end || *p != '.')
            return false;
          p++;
        }
    }
  return p == end;
}

static bool
parse_v6 (const char *p, const char *end, uint8_t out[16])
{
  uint8_t tmp[16];
  int pos = 0;          /* next byte of tmp to fill */
  int gap = -1;         /* byte position of "::" */
  const char *group_start;

  if (end - p < 2)
    return false;
  if (p[0] == ':')
    {
      if (p[1] != ':')
        return false;
      p += 2;
      gap = 0;
      if (p == end)
        goto done;
    }
  for (;;)
    {
      unsigned value = 0;
      int digits = 0;

      group_start = p;
      while (p < end && hex_value[(unsigned char) *p])
        {
          if (++digits > 4)
            return false;
          value = (value << 4) | (unsigned) (hex_value[(unsigned char) *p] - 1);
          p++;
        }
      if (p < end && *p == '.')
        {
          /* embedded IPv4 in the last 32 bits */
          if (pos > 12 || digits == 0)
            return false;
          if (!parse_v4 (group_start, end, tmp + pos))
            return false;
          pos += 4;
          goto done;
        }
      if (digits == 0)
        return false;
      if (pos > 14)
        return false;
      tmp[pos++] = (uint8_t) (value >> 8);
      tmp[pos++] = (uint8_t) value;
      if (p == end)
        goto done;
      if (*p != ':')
        return false;
      p++;
      if (p < end && *p == ':')
        {
          if (gap >= 0)
            return false;
          gap = pos;
          p++;
          if (p == end)
            goto done;
        }
      else if (p == end)
        return false;                   /* trailing single colon */
    }

done:
  if (gap >= 0)
    {
      int tail = pos - gap;

      if (pos == 16)
        return false;                   /* "::" must stand for >= 1 group */
      memset (out, 0, 16);
      memcpy (out, tmp, (size_t) gap);
      memcpy (out + 16 - tail, tmp + gap, (size_t) tail);
    }
  else if (pos != 16)
    return false;
  else
    memcpy (out, tmp, 16);
  /* the only copy of the address should be the caller's */
  wipe_memory (tmp, sizeof tmp);
  return true;
}

bool
ipaddr_parse (const char *p, size_t len, LnAddr *out)
{
  const char *end = p + len;
  size_t i;

  out->family = LN_AF_NONE;
  if (len == 0 || len > LN_ADDR_TEXT_MAX)
    return false;
  /* One pass decides the family: any ':' means IPv6. */
  for (i = 0; i < len; i++)
    if (p[i] == ':')
      {
        if (!parse_v6 (p, end, out->bytes))
          return false;
        out->family = LN_AF_INET6;
        return true;
      }
  if (!parse_v4 (p, end, out->bytes))
    return false;
  memset (out->bytes + 4, 0, 12);
  out->family = LN_AF_INET;
  return true;
}

/* Parses a dotted quad at the start of [p, end); returns where it stopped
 * or NULL.  The common client field is a bare IPv4 address, so this path
 * avoids scanning the token twice. */
static const char *
parse_v4_prefix (const char *p, const char *end, uint8_t out[4])
{
  int part;

  for (part = 0; part < 4; part++)
    {
      unsigned value, d;

      if (part > 0)
        {
          if (p == end || *p != '.')
            return NULL;
          p++;
        }
      if (p == end || (value = (unsigned) (*p - '0')) > 9)
        return NULL;
      p++;
      /* unrolled: an octet has at most three digits and no leading zero */
      if (p < end && (d = (unsigned) (*p - '0')) <= 9)
        {
          if (value == 0)
            return NULL;
          value = value * 10 + d;
          p++;
          if (p < end && (d = (unsigned) (*p - '0')) <= 9)
            {
              value = value * 10 + d;
              p++;
              if (value > 255 || (p < end && (unsigned) (*p - '0') <= 9))
                return NULL;
            }
        }
      out[part] = (uint8_t) value;
    }
  return p;
}

static bool
all_digits (const char *p, const char *end)
{
  if (p == end)
    return false;
  for (; p < end; p++)
    if ((unsigned) (*p - '0') > 9)
      return false;
  return true;
}

#ifdef LN_HAVE_SSE2
/* One octet of @len digits at @s (the digits are checked): no leading zero,
 * at most 255.  Returns -1 when it is not one. */
static inline int
octet_of (const char *s, unsigned len)
{
  unsigned a = (unsigned) (s[0] - '0');
  unsigned v;

  switch (len)
    {
    case 1:
      return (int) a;
    case 2:
      return a ? (int) (a * 10 + (unsigned) (s[1] - '0')) : -1;
    case 3:
      v = a * 100 + (unsigned) (s[1] - '0') * 10 + (unsigned) (s[2] - '0');
      return a && v <= 255 ? (int) v : -1;
    default:
      return -1;
    }
}

/* The whole of the @n < 16 bytes at @p (16 may be read) as a dotted quad,
 * from one load: digits and exactly three dots, then the four octets by
 * length.  Accepts exactly what parse_v4_prefix() accepts when it stops at
 * @p + @n; anything else (a port, a bad octet) is left to it.  Always
 * inlined (SSE2 means GCC or Clang here): the call and its saved registers
 * were a seventh of its cost. */
static inline __attribute__ ((__always_inline__)) bool
whole_v4_sse2 (const char *p, unsigned n, uint8_t out[4])
{
  __m128i v = _mm_loadu_si128 ((const __m128i *) (const void *) p);
  unsigned digit = (unsigned) _mm_movemask_epi8 (_mm_cmplt_epi8 (
      _mm_add_epi8 (v, _mm_set1_epi8 (0x50)), _mm_set1_epi8 (-128 + 10)));
  unsigned dot = (unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('.')));
  unsigned want = (1u << n) - 1;
  unsigned dots = dot & want;
  unsigned d1, d2, d3;
  int o0, o1, o2, o3;

  if (((digit | dot) & want) != want || dots == 0)
    return false;
  d1 = (unsigned) __builtin_ctz (dots);
  dots &= dots - 1;
  if (dots == 0)
    return false;
  d2 = (unsigned) __builtin_ctz (dots);
  dots &= dots - 1;
  if (dots == 0)
    return false;
  d3 = (unsigned) __builtin_ctz (dots);
  if ((dots & (dots - 1)) != 0)
    return false;
  o0 = octet_of (p, d1);
  o1 = octet_of (p + d1 + 1, d2 - d1 - 1);
  o2 = octet_of (p + d2 + 1, d3 - d2 - 1);
  o3 = octet_of (p + d3 + 1, n - d3 - 1);
  if ((o0 | o1 | o2 | o3) < 0)
    return false;
  out[0] = (uint8_t) o0;
  out[1] = (uint8_t) o1;
  out[2] = (uint8_t) o2;
  out[3] = (uint8_t) o3;
  return true;
}
#endif

bool
ipaddr_parse_host_in (LnSpan token, const char *limit, LnHostToken *out)
{
#ifdef LN_HAVE_SSE2
  if (token.len >= 7 && token.len < 16 && limit - token.p >= 16
      && whole_v4_sse2 (token.p, (unsigned) token.len, out->addr.bytes))
    {
      memset (out->addr.bytes + 4, 0, 12);
      out->addr.family = LN_AF_INET;
      out->before = span_make (token.p, 0);
      out->text = token;
      out->after = span_make (token.p + token.len, 0);
      return true;
    }
#else
  (void) limit;
#endif
  return ipaddr_parse_host (token, out);
}

bool
ipaddr_parse_bare_in (LnSpan token, const char *limit, LnAddr *out)
{
#ifdef LN_HAVE_SSE2
  if (token.len >= 7 && token.len < 16 && limit - token.p >= 16
      && whole_v4_sse2 (token.p, (unsigned) token.len, out->bytes))
    {
      memset (out->bytes + 4, 0, 12);
      out->family = LN_AF_INET;
      return true;
    }
#else
  (void) limit;
#endif
  /* ipaddr_parse_host() takes a bare IPv4 address as parse_v4() does, and
   * a token with a ':' that is no IPv4 address with a port (which
   * ipaddr_parse() refuses) as ipaddr_parse() does */
  return ipaddr_parse (token.p, token.len, out);
}

bool
ipaddr_parse_host (LnSpan token, LnHostToken *out)
{
  const char *p = token.p;
  const char *end = token.p + token.len;
  const char *stop;
  const char *zone;

  out->before = span_make (p, 0);
  out->after = span_make (end, 0);
  out->addr.family = LN_AF_NONE;
  if (token.len == 0)
    return false;

  /* IPv4, optionally with ":port" */
  if ((unsigned) (*p - '0') <= 9
      && (stop = parse_v4_prefix (p, end, out->addr.bytes)) != NULL
      && (stop == end || (*stop == ':' && all_digits (stop + 1, end))))
    {
      memset (out->addr.bytes + 4, 0, 12);
      out->addr.family = LN_AF_INET;
      out->text = span_make (p, (size_t) (stop - p));
      out->after = span_make (stop, (size_t) (end - stop));
      return true;
    }

  if (*p == '[')
    {
      const char *close = memchr (p, ']', token.len);

      if (close == NULL)
        return false;
      /* "]" may be followed only by ":port" */
      if (close + 1 < end && (close[1] != ':' || !all_digits (close + 2, end)))
        return false;
      zone = memchr (p + 1, '%', (size_t) (close - p - 1));
      stop = zone ? zone : close;
      out->before = span_make (p, 1);
      out->text = span_make (p + 1, (size_t) (stop - p - 1));
      out->after = span_make (stop, (size_t) (end - stop));
      if (zone && zone + 1 == close)
        return false;
      return ipaddr_parse (out->text.p, out->text.len, &out->addr)
             && out->addr.family == LN_AF_INET6;
    }

  /* bare IPv6, optionally with "%zone" */
  zone = memchr (p, '%', token.len);
  stop = zone ? zone : end;
  if (zone && zone + 1 == end)
    return false;
  out->text = span_make (p, (size_t) (stop - p));
  out->after = span_make (stop, (size_t) (end - stop));
  return ipaddr_parse (out->text.p, out->text.len, &out->addr)
         && out->addr.family == LN_AF_INET6;
}

bool
ipaddr_is_v4_mapped (const LnAddr *addr)
{
  static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  return addr->family == LN_AF_INET6 && memcmp (addr->bytes, prefix, 12) == 0;
}

static void
keep_bits (uint8_t *bytes, unsigned nbytes, unsigned bits)
{
  unsigned full = bits / 8;
  unsigned rest = bits % 8;

  if (full >= nbytes)
    return;
  if (rest)
    {
      bytes[full] &= (uint8_t) (0xff << (8 - rest));
      full++;
    }
  memset (bytes + full, 0, nbytes - full);
}

/* IPv6 prefixes that carry a client's IPv4 address in their bits: there
 * the IPv4 rule applies to those bits too, so that a /48 does not keep a
 * whole IPv4 address.  6to4 (2002::/16, RFC 3056) has it in bits 16-47;
 * Teredo (2001::/32, RFC 4380, inverted), NAT64 (64:ff9b::/96, RFC 6052)
 * and the deprecated IPv4-compatible form (::/96, but :: and ::1) in the
 * last 32 bits. */
static unsigned
embedded_v4_limit (const LnAddr *addr, unsigned v4_bits, unsigned v6_bits)
{
  static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
  static const uint8_t zero[12] = { 0 };
  const uint8_t *b = addr->bytes;

  if (b[0] == 0x20 && b[1] == 0x02)
    return v6_bits < 16 + v4_bits ? v6_bits : 16 + v4_bits;
  if ((b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
      || memcmp (b, nat64, 12) == 0
      || (memcmp (b, zero, 12) == 0 && (b[12] | b[13] | b[14] | (b[15] & 0xfe)) != 0))
    return v6_bits < 96 + v4_bits ? v6_bits : 96 + v4_bits;
  return v6_bits;
}

void
ipaddr_truncate (LnAddr *addr, unsigned v4_bits, unsigned v6_bits)
{
  if (addr->family == LN_AF_INET)
    {
      if (v4_bits == 24)
        addr->bytes[3] = 0;     /* the default, without the general case */
      else
        keep_bits (addr->bytes, 4, v4_bits);
    }
  else if (ipaddr_is_v4_mapped (addr))
    keep_bits (addr->bytes + 12, 4, v4_bits);
  else if (addr->family == LN_AF_INET6)
    keep_bits (addr->bytes, 16, embedded_v4_limit (addr, v4_bits, v6_bits));
}

/* The decimal text of 0..255 followed by '.', and its length without the
 * dot: one load and one store per octet instead of divisions. */
#define OCTET_LEN(v) ((v) < 10 ? 1 : (v) < 100 ? 2 : 3)
#define OCTET_D0(v) ((v) < 10 ? '0' + (v) : (v) < 100 ? '0' + (v) / 10 : '0' + (v) / 100)
#define OCTET_D1(v) ((v) < 10 ? '.' : (v) < 100 ? '0' + (v) % 10 : '0' + (v) / 10 % 10)
#define OCTET_D2(v) ((v) < 10 ? 0 : (v) < 100 ? '.' : '0' + (v) % 10)
#define OCTET_D3(v) ((v) < 100 ? 0 : '.')
#define OCTET(v) { OCTET_D0 (v), OCTET_D1 (v), OCTET_D2 (v), OCTET_D3 (v) }
#define OCTET4(v) OCTET (v), OCTET ((v) + 1), OCTET ((v) + 2), OCTET ((v) + 3)
#define OCTET16(v) OCTET4 (v), OCTET4 ((v) + 4), OCTET4 ((v) + 8), OCTET4 ((v) + 12)
#define OCTET64(v) OCTET16 (v), OCTET16 ((v) + 16), OCTET16 ((v) + 32), OCTET16 ((v) + 48)
#define LEN(v) OCTET_LEN (v)
#define LEN4(v) LEN (v), LEN ((v) + 1), LEN ((v) + 2), LEN ((v) + 3)
#define LEN16(v) LEN4 (v), LEN4 ((v) + 4), LEN4 ((v) + 8), LEN4 ((v) + 12)
#define LEN64(v) LEN16 (v), LEN16 ((v) + 16), LEN16 ((v) + 32), LEN16 ((v) + 48)

static const char octet_dot[256][4] = {
  OCTET64 (0), OCTET64 (64), OCTET64 (128), OCTET64 (192)
};
static const uint8_t octet_len[256] = {
  LEN64 (0), LEN64 (64), LEN64 (128), LEN64 (192)
};

/* The 1 to 3 digits of an octet without branching on their count and
 * without writing past them: first, middle and last digit (the same byte
 * when there is one). */
static inline char *
put_digits (char *o, uint8_t v)
{
  const char *t = octet_dot[v];
  unsigned n = octet_len[v];

  o[0] = t[0];
  o[n >> 1] = t[n >> 1];
  o[n - 1] = t[n - 1];
  return o + n;
}

static size_t
format_v4 (const uint8_t *b, char *out)
{
  char *o = out;

  /* all four bytes of the first two: what follows their dot is
   * overwritten by the next octet */
  memcpy (o, octet_dot[b[0]], 4);
  o += octet_len[b[0]] + 1u;
  memcpy (o, octet_dot[b[1]], 4);
  o += octet_len[b[1]] + 1u;
  o = put_digits (o, b[2]);
  *o++ = '.';
  o = put_digits (o, b[3]);
  return (size_t) (o - out);
}

size_t
ipaddr_format (const LnAddr *addr, char *out)
{
  static const char digits[] = "0123456789abcdef";
  unsigned words[8];
  int best_base = -1, best_len = 0, cur_base = -1, cur_len = 0;
  int ngroups = 8;
  char *o = out;
  int i;

  if (addr->family == LN_AF_INET)
    return format_v4 (addr->bytes, out);
  if (addr->family != LN_AF_INET6)
    return 0;

  if (ipaddr_is_v4_mapped (addr))
    ngroups = 6;
  for (i = 0; i < 8; i++)
    words[i] = (unsigned) addr->bytes[2 * i] << 8 | addr->bytes[2 * i + 1];
  /* RFC 5952 4.2: compress the longest run of two or more zero groups,
   * the first one on a tie. */
  for (i = 0; i < ngroups; i++)
    {
      if (words[i] == 0)
        {
          if (cur_base < 0)
            cur_base = i, cur_len = 0;
          cur_len++;
          if (cur_len > best_len)
            best_base = cur_base, best_len = cur_len;
        }
      else
        cur_base = -1;
    }
  if (best_len < 2)
    best_base = -1;

  for (i = 0; i < ngroups; i++)
    {
      unsigned w = words[i];

      if (i == best_base)
        {
          *o++ = ':';
          if (i == 0)
            *o++ = ':';
          i += best_len - 1;
          continue;
        }
      if (w >= 0x1000)
        *o++ = digits[w >> 12];
      if (w >= 0x100)
        *o++ = digits[(w >> 8) & 0xf];
      if (w >= 0x10)
        *o++ = digits[(w >> 4) & 0xf];
      *o++ = digits[w & 0xf];
      if (i < ngroups - 1)
        *o++ = ':';
    }
  if (ngroups == 6)
    {
      if (best_base < 0 || best_base + best_len < 6)
        *o++ = ':';
      o += format_v4 (addr->bytes + 12, o);
    }
  return (size_t) (o - out);
}

void
ipaddr_to_v6_bytes (const LnAddr *addr, uint8_t out[16])
{
  if (addr->family == LN_AF_INET)
    {
      memset (out, 0, 10);
      out[10] = out[11] = 0xff;
      memcpy (out + 12, addr->bytes, 4);
    }
  else
    memcpy (out, addr->bytes, 16);
}

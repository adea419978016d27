/* ipaddr.c - hand-written address parser and formatter (see ipaddr.h). */
#include "config.h"

#include <string.h>
#include "bytescan.h"
#include "ipaddr.h"

#ifdef LN_HAVE_SSE2
#include <tmmintrin.h>
#endif

/* The value of a hex digit, or X (more than 15) for any other byte: one
 * load and one compare per byte in parse_v6(). */
#define X 0xff
static const uint8_t hex_nibble[256] = {
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, X, X, X, X, X, X,
  X, 10, 11, 12, 13, 14, 15, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, 10, 11, 12, 13, 14, 15, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
};
#undef X

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

/* [p, end) as exactly one dotted quad. */
static inline bool
parse_v4 (const char *p, const char *end, uint8_t out[4])
{
  return parse_v4_prefix (p, end, out) == end;
}

/* Stores 16-bit group @i of an IPv6 address, network order. */
static inline void
put_group (uint8_t *out, unsigned i, unsigned value)
{
  out[2 * i] = (uint8_t) (value >> 8);
  out[2 * i + 1] = (uint8_t) value;
}

/* One pass over the text: each group goes straight to its place in @out
 * as if no "::" came before it; the groups after a "::" are moved to the
 * end once, when their number is known. */
static bool
parse_v6 (const char *p, const char *end, uint8_t out[16])
{
  unsigned n = 0;       /* groups written */
  int gap = -1;         /* group index of "::" */

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
      const char *group_start = p;
      unsigned value, d;

      /* p < end here; at most four digits, unrolled */
      value = hex_nibble[(unsigned char) *p];
      if (value > 15)
        return false;                   /* no digit (a '.' included) */
      p++;
      if (p < end && (d = hex_nibble[(unsigned char) *p]) < 16)
        {
          value = value << 4 | d;
          p++;
          if (p < end && (d = hex_nibble[(unsigned char) *p]) < 16)
            {
              value = value << 4 | d;
              p++;
              if (p < end && (d = hex_nibble[(unsigned char) *p]) < 16)
                {
                  value = value << 4 | d;
                  p++;
                  if (p < end && hex_nibble[(unsigned char) *p] < 16)
                    return false;       /* a fifth digit (even before a '.') */
                }
            }
        }
      if (p < end && *p == '.')
        {
          /* embedded IPv4 in the last 32 bits */
          if (n > 6 || !parse_v4 (group_start, end, out + 2 * n))
            return false;
          n += 2;
          goto done;
        }
      if (n > 7)
        return false;
      put_group (out, n++, value);
      if (p == end)
        goto done;
      if (*p != ':')
        return false;
      p++;
      if (p < end && *p == ':')
        {
          if (gap >= 0)
            return false;
          gap = (int) n;
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
      unsigned shift = 8 - n;
      unsigned i;

      if (n == 8)
        return false;                   /* "::" must stand for >= 1 group */
      for (i = n; i-- > (unsigned) gap;)
        {
          out[2 * (i + shift)] = out[2 * i];
          out[2 * (i + shift) + 1] = out[2 * i + 1];
        }
      for (i = (unsigned) gap; i < (unsigned) gap + shift; i++)
        put_group (out, i, 0);
    }
  else if (n != 8)
    return false;
  return true;
}

bool
ipaddr_parse (const char *p, size_t len, LnAddr *out)
{
  const char *end = p + len;
  size_t i, head;

  out->family = LN_AF_NONE;
  if (len == 0 || len > LN_ADDR_TEXT_MAX)
    return false;
  /* Any ':' means IPv6, and a valid IPv6 address has one among its first
   * five bytes: without one there, parse_v6() would fail anyway. */
  head = len < 5 ? len : 5;
  for (i = 0; i < head; i++)
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
/* A bare dotted quad, the common client field, is parsed from one 16-byte
 * load with SSSE3 (checked at run time: x86-64's baseline is SSE2 only):
 * the positions of its three dots select a pshufb control that moves the
 * digits of each octet to a 32-bit lane, right-aligned, where two
 * multiply-adds make the four values at once.  Without SSSE3 the scalar
 * parser runs. */

/* Byte j (0-2) of the lane of an octet of @len digits ending before
 * @end: its digit, or 0x80 (a zero byte) in front of a short octet. */
#define V4_BYTE(end, len, j) ((j) >= 3 - (len) ? (end) - 3 + (j) : 0x80)
#define V4_LANE(end, len) \
  V4_BYTE (end, len, 0), V4_BYTE (end, len, 1), V4_BYTE (end, len, 2), 0x80
/* the control for octets of a, b, c and d digits */
#define V4_SHUFFLE(a, b, c, d) \
  { V4_LANE (a, a), V4_LANE ((a) + 1 + (b), b), \
    V4_LANE ((a) + (b) + 2 + (c), c), V4_LANE ((a) + (b) + (c) + 3 + (d), d) }
/* P for the 81 octet lengths, in the order of the index */
#define V4_EACH3(P, a, b, c) P (a, b, c, 1), P (a, b, c, 2), P (a, b, c, 3)
#define V4_EACH9(P, a, b) V4_EACH3 (P, a, b, 1), V4_EACH3 (P, a, b, 2), V4_EACH3 (P, a, b, 3)
#define V4_EACH27(P, a) V4_EACH9 (P, a, 1), V4_EACH9 (P, a, 2), V4_EACH9 (P, a, 3)
#define V4_EACH(P) V4_EACH27 (P, 1), V4_EACH27 (P, 2), V4_EACH27 (P, 3)

/* index 27 (a - 1) + 9 (b - 1) + 3 (c - 1) + d - 1 */
static const uint8_t v4_shuffle[81][16] __attribute__ ((__aligned__ (16))) = {
  V4_EACH (V4_SHUFFLE)
};

/* For the same index: the dots and the end of the quad (bit n), which
 * only that pattern has, and the first bytes of its octets of two or
 * three digits, which must not be '0'. */
#define V4_KEY(a, b, c, d) \
  ((1u << (a)) | (1u << ((a) + 1 + (b))) | (1u << ((a) + (b) + 2 + (c))) \
   | (1u << ((a) + (b) + (c) + 3 + (d))))
#define V4_LEAD(a, b, c, d) \
  (((a) > 1 ? 1u : 0) | ((b) > 1 ? 1u << ((a) + 1) : 0) \
   | ((c) > 1 ? 1u << ((a) + (b) + 2) : 0) | ((d) > 1 ? 1u << ((a) + (b) + (c) + 3) : 0))
#define V4_CHECK(a, b, c, d) (V4_KEY (a, b, c, d) | V4_LEAD (a, b, c, d) << 16)
static const uint32_t v4_check[81] = {
  V4_EACH (V4_CHECK)
};

/* The whole of the @n bytes at @p, 7 <= @n < 16 (16 may be read), as a
 * dotted quad: accepts exactly what parse_v4() accepts.  @dots gets the
 * offsets of its three dots. */
__attribute__ ((__target__ ("ssse3"), __always_inline__)) static inline bool
whole_v4_ssse3 (const char *p, unsigned n, uint8_t out[4], unsigned dots[3])
{
  __m128i v = _mm_loadu_si128 ((const __m128i *) (const void *) p);
  __m128i x = _mm_sub_epi8 (v, _mm_set1_epi8 ('0'));
  unsigned end = 1u << n;
  unsigned digit = (unsigned) _mm_movemask_epi8 (
      _mm_cmpeq_epi8 (_mm_min_epu8 (x, _mm_set1_epi8 (9)), x)) & (end - 1);
  unsigned dot = (unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('.'))) & (end - 1);
  unsigned zero = (unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi8 (x, _mm_setzero_si128 ()));
  unsigned second = dot & (dot - 1);
  unsigned third = second & (second - 1);
  unsigned d1, d2, d3, i, octets;
  __m128i val;

  if ((digit | dot) != end - 1)
    return false;
  /* The first three dots (bit 16 when there are fewer) and the length
   * give the index of the pattern; it is the right one when its dots and
   * length are these.  Its octets then have 1 to 3 digits. */
  d1 = (unsigned) __builtin_ctz (dot | 1u << 16);
  d2 = (unsigned) __builtin_ctz (second | 1u << 16);
  d3 = (unsigned) __builtin_ctz (third | 1u << 16);
  i = 18 * d1 + 6 * d2 + 2 * d3 + n - 53;
  if (i >= 81 || (v4_check[i] & 0xffff) != (dot | end) || (v4_check[i] >> 16 & zero) != 0)
    return false;
  dots[0] = d1;
  dots[1] = d2;
  dots[2] = d3;
  val = _mm_shuffle_epi8 (x, _mm_load_si128 ((const __m128i *) (const void *) v4_shuffle[i]));
  /* 100 h + 10 t and u + 0 per 16 bits, then their sum per 32 bits */
  val = _mm_madd_epi16 (_mm_maddubs_epi16 (val, _mm_set1_epi32 (0x00010a64)),
                        _mm_set1_epi16 (1));
  if (_mm_movemask_epi8 (_mm_cmpgt_epi32 (val, _mm_set1_epi32 (255))))
    return false;
  val = _mm_packs_epi32 (val, val);
  octets = (unsigned) _mm_cvtsi128_si32 (_mm_packus_epi16 (val, val));
  memcpy (out, &octets, 4);
  return true;
}

/* A dotted quad of at most 15 bytes at @p with 16 readable, on a CPU with
 * SSSE3: the *_ssse3() entries below may run. */
#define WHOLE_V4_FAST(p, n, limit) \
  ((n) >= 7 && (n) < 16 && (limit) - (p) >= 16 && __builtin_cpu_supports ("ssse3"))

/* ipaddr_parse_host_in() and ipaddr_parse_bare_in() once WHOLE_V4_FAST()
 * holds: whole_v4_ssse3() inlined, the scalar parser a tail call.  The
 * public entries only choose, so that nothing is saved around a call. */
__attribute__ ((__target__ ("ssse3"))) static bool
host_in_ssse3 (LnSpan token, LnHostToken *out)
{
  unsigned dots[3];

  if (!whole_v4_ssse3 (token.p, (unsigned) token.len, out->addr.bytes, dots))
    return ipaddr_parse_host (token, out);
  memset (out->addr.bytes + 4, 0, 12);
  out->addr.family = LN_AF_INET;
  out->before = span_make (token.p, 0);
  out->text = token;
  out->after = span_make (token.p + token.len, 0);
  return true;
}

__attribute__ ((__target__ ("ssse3"))) static bool
bare_in_ssse3 (LnSpan token, LnAddr *out)
{
  /* ipaddr_parse_host() takes a bare IPv4 address as parse_v4() does, and
   * a token with a ':' that is no IPv4 address with a port (which
   * ipaddr_parse() refuses) as ipaddr_parse() does */
  unsigned dots[3];

  if (!whole_v4_ssse3 (token.p, (unsigned) token.len, out->bytes, dots))
    return ipaddr_parse (token.p, token.len, out);
  memset (out->bytes + 4, 0, 12);
  out->family = LN_AF_INET;
  return true;
}

bool
ipaddr_have_ssse3 (void)
{
  return __builtin_cpu_supports ("ssse3");
}

__attribute__ ((__target__ ("ssse3"))) size_t
ipaddr_truncate_v4_text_ssse3 (LnSpan token, const char *limit, unsigned v4_bits,
                               char *out)
{
  /* 16 bytes over the kept octets' text: what lies past the first
   * @v4_bits / 8 octets, the dropped ones included, is overwritten */
  static const char zeros[16] = ".0.0.0.0";
  unsigned keep = v4_bits / 8, dots[3], cut;
  uint8_t octets[4];

  if (token.len < 7 || token.len >= 16 || limit - token.p < 16 || v4_bits % 8 != 0
      || !whole_v4_ssse3 (token.p, (unsigned) token.len, octets, dots))
    return 0;
  if (keep == 4)
    cut = (unsigned) token.len;
  else if (keep == 0)
    {
      memcpy (out, zeros + 1, 16 - 1);
      return 7;
    }
  else
    cut = dots[keep - 1];
  memcpy (out, token.p, 16);
  memcpy (out + cut, zeros, 16);
  return cut + 2 * (4 - keep);
}
#else
bool
ipaddr_have_ssse3 (void)
{
  return false;
}

size_t
ipaddr_truncate_v4_text_ssse3 (LnSpan token, const char *limit, unsigned v4_bits,
                               char *out)
{
  (void) token;
  (void) limit;
  (void) v4_bits;
  (void) out;
  return 0;
}
#endif

bool
ipaddr_parse_host_in (LnSpan token, const char *limit, LnHostToken *out)
{
#ifdef LN_HAVE_SSE2
  if (WHOLE_V4_FAST (token.p, token.len, limit))
    return host_in_ssse3 (token, out);
#else
  (void) limit;
#endif
  return ipaddr_parse_host (token, out);
}

bool
ipaddr_parse_bare_in (LnSpan token, const char *limit, LnAddr *out)
{
#ifdef LN_HAVE_SSE2
  if (WHOLE_V4_FAST (token.p, token.len, limit))
    return bare_in_ssse3 (token, out);
#else
  (void) limit;
#endif
  /* as bare_in_ssse3() */
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

/* keep_bits() of 16 bytes as two 64-bit masks, without the call to
 * memset that a variable length costs. */
static inline void
keep_bits_v6 (uint8_t bytes[16], unsigned bits)
{
  uint64_t hi, lo;
  uint64_t keep_hi = bits >= 64 ? ~UINT64_C (0) : bits ? ~UINT64_C (0) << (64 - bits) : 0;
  uint64_t keep_lo = bits >= 128 ? ~UINT64_C (0) : bits > 64 ? ~UINT64_C (0) << (128 - bits) : 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  /* the masks in the byte order of the address */
  keep_hi = __builtin_bswap64 (keep_hi);
  keep_lo = __builtin_bswap64 (keep_lo);
#elif !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_BIG_ENDIAN__
#error "unknown byte order"
#endif
  memcpy (&hi, bytes, 8);
  memcpy (&lo, bytes + 8, 8);
  hi &= keep_hi;
  lo &= keep_lo;
  memcpy (bytes, &hi, 8);
  memcpy (bytes + 8, &lo, 8);
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

/* Not inlined, so that the dotted quads do not pay for its registers. */
__attribute__ ((__noinline__)) static void
truncate_v6 (LnAddr *addr, unsigned v4_bits, unsigned v6_bits)
{
  if (ipaddr_is_v4_mapped (addr))
    keep_bits (addr->bytes + 12, 4, v4_bits);
  else
    keep_bits_v6 (addr->bytes, embedded_v4_limit (addr, v4_bits, v6_bits));
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
  else if (addr->family == LN_AF_INET6)
    truncate_v6 (addr, v4_bits, v6_bits);
}

/* The decimal text of 0..255 followed by '.', and its length without the
 * dot: one load and one store per octet instead of divisions. */
#define OCTET_LEN(v) ((v) < 10 ? 1 : (v) < 100 ? 2 : 3)
#define OCTET_D0(v) ((v) < 10 ? '0' + (v) : (v) < 100 ? '0' + (v) / 10 : '0' + (v) / 100)
#define OCTET_D1(v) ((v) < 10 ? '.' : (v) < 100 ? '0' + (v) % 10 : '0' + (v) / 10 % 10)
#define OCTET_D2(v) ((v) < 10 ? 0 : (v) < 100 ? '.' : '0' + (v) % 10)
#define OCTET_D3(v) ((v) < 100 ? 0 : '.')
/* (cast: clang checks the conversion of every branch, '0' + 255 too) */
#define OCTET(v) { (char) OCTET_D0 (v), (char) OCTET_D1 (v), (char) OCTET_D2 (v), \
                   (char) OCTET_D3 (v) }
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

/* Copies 1 <= @n <= 48 bytes with overlapping fixed-size moves instead
 * of a call (copy_short() for @n < 16): the text is made in a scratch
 * buffer with stores that run past it, the caller's buffer gets exactly
 * [dst, dst+n). */
static inline void
copy_exact (char *dst, const char *src, size_t n)
{
  if (n >= 16)
    {
      memcpy (dst, src, 16);
      if (n > 32)
        memcpy (dst + 16, src + 16, 16);
      memcpy (dst + n - 16, src + n - 16, 16);
    }
  else
    copy_short (dst, src, n);
}

#if defined(__SIZEOF_INT128__) && defined(__BYTE_ORDER__) \
    && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The text in a 128-bit register, octet by octet (the bytes after an
 * octet's dot are 0 in octet_dot, so or-ing the next one in is enough),
 * and written as two overlapping moves.  Made in memory and read back, as
 * below, the 8-byte loads of copy_short() waited for the 4-byte stores to
 * finish (a failed store-to-load forwarding): more than half of this
 * function's time. */
static size_t
format_v4 (const uint8_t *b, char *out)
{
  unsigned __int128 t;
  uint32_t w;
  size_t n, i;

  memcpy (&w, octet_dot[b[0]], 4);
  t = w;
  n = octet_len[b[0]];
  for (i = 1; i < 4; i++)
    {
      n++;                      /* the dot */
      memcpy (&w, octet_dot[b[i]], 4);
      t |= (unsigned __int128) w << (8 * n);
      n += octet_len[b[i]];
    }
  /* 7 <= n <= 15 */
  if (n >= 8)
    {
      uint64_t lo = (uint64_t) t, hi = (uint64_t) (t >> (8 * (n - 8)));

      memcpy (out, &lo, 8);
      memcpy (out + n - 8, &hi, 8);
    }
  else
    {
      uint32_t lo = (uint32_t) t, hi = (uint32_t) (t >> (8 * (n - 4)));

      memcpy (out, &lo, 4);
      memcpy (out + n - 4, &hi, 4);
    }
  return n;
}
#else
static size_t
format_v4 (const uint8_t *b, char *out)
{
  char text[16];
  size_t n;

  /* each octet's four bytes: what follows its dot is overwritten by the
   * next octet, or not copied */
  memcpy (text, octet_dot[b[0]], 4);
  n = octet_len[b[0]] + 1u;
  memcpy (text + n, octet_dot[b[1]], 4);
  n += octet_len[b[1]] + 1u;
  memcpy (text + n, octet_dot[b[2]], 4);
  n += octet_len[b[2]] + 1u;
  memcpy (text + n, octet_dot[b[3]], 4);
  n += octet_len[b[3]];
  copy_short (out, text, n);
  return n;
}
#endif

/* The 32 lower-case hex digits of @b into @hex, a mask of the '0' digits
 * among them (bit i for hex[i]) and one of the zero groups (bit i for
 * group i) into @zero_groups. */
static inline uint32_t
hex_digits (const uint8_t b[16], char hex[32], unsigned *zero_groups)
{
#ifdef LN_HAVE_SSE2
  const __m128i low = _mm_set1_epi8 (0x0f);
  __m128i v = _mm_loadu_si128 ((const __m128i *) (const void *) b);
  __m128i hi = _mm_and_si128 (_mm_srli_epi16 (v, 4), low);
  __m128i lo = _mm_and_si128 (v, low);
  __m128i n0 = _mm_unpacklo_epi8 (hi, lo);      /* nibbles in text order */
  __m128i n1 = _mm_unpackhi_epi8 (hi, lo);
  __m128i nine = _mm_set1_epi8 (9);
  __m128i zero = _mm_setzero_si128 ();
  /* '0' + n, and 'a' - '0' - 10 more past 9 */
  __m128i c0 = _mm_add_epi8 (_mm_add_epi8 (n0, _mm_set1_epi8 ('0')),
                             _mm_and_si128 (_mm_cmpgt_epi8 (n0, nine), _mm_set1_epi8 ('a' - '0' - 10)));
  __m128i c1 = _mm_add_epi8 (_mm_add_epi8 (n1, _mm_set1_epi8 ('0')),
                             _mm_and_si128 (_mm_cmpgt_epi8 (n1, nine), _mm_set1_epi8 ('a' - '0' - 10)));

  _mm_storeu_si128 ((__m128i *) (void *) hex, c0);
  _mm_storeu_si128 ((__m128i *) (void *) (hex + 16), c1);
  *zero_groups = (unsigned) _mm_movemask_epi8 (
      _mm_packs_epi16 (_mm_cmpeq_epi16 (v, zero), zero));
  return (uint32_t) _mm_movemask_epi8 (_mm_cmpeq_epi8 (n0, zero))
         | (uint32_t) _mm_movemask_epi8 (_mm_cmpeq_epi8 (n1, zero)) << 16;
#else
  static const char digits[] = "0123456789abcdef";
  uint32_t zeros = 0;
  unsigned i;

  *zero_groups = 0;
  for (i = 0; i < 16; i++)
    {
      *zero_groups |= (unsigned) (b[i & ~1u] == 0 && b[i | 1u] == 0) << (i / 2);
      hex[2 * i] = digits[b[i] >> 4];
      hex[2 * i + 1] = digits[b[i] & 0xf];
      zeros |= (uint32_t) ((b[i] >> 4) == 0) << (2 * i);
      zeros |= (uint32_t) ((b[i] & 0xf) == 0) << (2 * i + 1);
    }
  return zeros;
#endif
}

/* RFC 5952 text of an IPv6 address that is not IPv4-mapped.  The groups
 * are written to a scratch buffer four digits and a ':' at a time, then
 * copied: the caller's buffer is written only up to the returned
 * length.  Not inlined: the registers it needs would be saved for the
 * dotted quads too. */
__attribute__ ((__noinline__)) static size_t
format_v6 (const uint8_t *b, char *out)
{
  char hex[36];       /* the last group's load reads 3 bytes past */
  char text[48];
  char *o = text;
  unsigned zero_groups, run, run_len = 0, base = 8;
  uint32_t zeros = hex_digits (b, hex, &zero_groups);
  unsigned i;

  /* RFC 5952 4.2: compress the longest run of two or more zero groups,
   * the first one on a tie.  run has bit i set while groups i to
   * i + run_len - 1 are all zero. */
  run = zero_groups & (zero_groups >> 1);
  if (run)
    {
      run_len = 2;
      while (run & (zero_groups >> run_len))
        run &= zero_groups >> run_len++;
      base = (unsigned) __builtin_ctz (run);
    }
  for (i = 0; i < 8; i++)
    {
      uint32_t chars;
      unsigned lead;

      if (i == base)
        {
          *o++ = ':';
          if (i == 0)
            *o++ = ':';
          i += run_len - 1;
          continue;
        }
      /* leading '0' digits dropped, but the last */
      lead = (unsigned) __builtin_ctz (~(zeros >> (4 * i)) | 8u);
      memcpy (&chars, hex + 4 * i + lead, 4);
      memcpy (o, &chars, 4);
      o += 4 - lead;
      *o++ = ':';
    }
  /* a group last: no ':' after it */
  if (run_len == 0 || base + run_len < 8)
    o--;
  copy_exact (out, text, (size_t) (o - text));
  return (size_t) (o - text);
}

size_t
ipaddr_format (const LnAddr *addr, char *out)
{
  if (addr->family == LN_AF_INET)
    return format_v4 (addr->bytes, out);
  if (addr->family != LN_AF_INET6)
    return 0;
  /* RFC 5952 5: the mapped form keeps its dotted tail; its first five
   * groups are zero, so the text always starts the same */
  if (ipaddr_is_v4_mapped (addr))
    {
      memcpy (out, "::ffff:", 7);
      return 7 + format_v4 (addr->bytes + 12, out + 7);
    }
  return format_v6 (addr->bytes, out);
}

void
ipaddr_to_v6_bytes (const LnAddr *addr, uint8_t out[16])
{
  if (addr->family == LN_AF_INET)
    {
#ifdef LN_HAVE_SSE2
      /* one 16-byte store: the HMAC reads the block with one 16-byte
       * load, which cannot be forwarded from several smaller stores */
      uint32_t v4;

      memcpy (&v4, addr->bytes, 4);
      _mm_storeu_si128 ((__m128i *) (void *) out,
                        _mm_set_epi32 ((int) v4, (int) 0xffff0000u, 0, 0));
#else
      memset (out, 0, 10);
      out[10] = out[11] = 0xff;
      memcpy (out + 12, addr->bytes, 4);
#endif
    }
  else
    memcpy (out, addr->bytes, 16);
}

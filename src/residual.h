/* residual.h - finds address-looking tokens in free text.
 *
 * The last line of defence: request lines, referers, forwarded-for fields
 * and malformed lines can carry client addresses that no field rule knows
 * about.  The scanner finds IPv4 dotted quads and IPv6 addresses (also with
 * ports, brackets, inside URLs and query strings), and the notations that
 * spell one: dashed in a host name ("198-51-100-7.dialup.example",
 * "ip-10-1-2-3"), reverse DNS ("7.100.51.198.in-addr.arpa", 32 nibbles
 * before ".ip6.arpa") and percent-encoded colons ("2001%3Adb8%3A%3A1").
 * Nothing else: version strings such as "Chrome/120.0.6099.109" are not
 * addresses because 6099 is not an octet, and a dashed quad needs a host
 * name around it (dates, phone numbers and UUIDs have none).
 */
#ifndef LN_RESIDUAL_H
#define LN_RESIDUAL_H

#include <stdbool.h>
#include "bytescan.h"
#include "ipaddr.h"
#include "span.h"

/* How a match spells its address; residual_format writes an address back
 * in the same notation, so that a masked host name stays a host name. */
typedef enum {
  LN_RESIDUAL_PLAIN,     /* 198.51.100.7, 2001:db8::1 */
  LN_RESIDUAL_DASHED,    /* 198-51-100-7 (token without the host name) */
  LN_RESIDUAL_REVERSE4,  /* 7.100.51.198 (without .in-addr.arpa) */
  LN_RESIDUAL_REVERSE6,  /* 32 nibbles (without .ip6.arpa) */
  LN_RESIDUAL_PERCENT,   /* 2001%3Adb8%3A%3A1 */
  LN_RESIDUAL_FORM__COUNT
} LnResidualForm;

typedef struct {
  LnSpan token;       /* the address text inside the scanned span */
  LnAddr addr;
  LnResidualForm form;
} LnResidualMatch;

/* Longest text residual_format writes: 32 nibbles and 31 dots. */
#define LN_RESIDUAL_TEXT_MAX 72

/* Finds the first address in [p, end).  Returns false when there is none. */
bool residual_find (const char *p, const char *end, LnResidualMatch *match);

/* As residual_find, where [base, p) may also be read (the rest of the line);
 * that lets the scanner test 16 bytes at a time up to the very end. */
bool residual_find_in (const char *base, const char *p, const char *end,
                       LnResidualMatch *match);

/* As residual_find_in, for malformed lines: also finds dotted quads inside
 * longer runs of digits and dots, as when two lines ran together
 * ("curl/8.5.073.50.254.197" holds 73.50.254.197). */
bool residual_find_lenient (const char *base, const char *p, const char *end,
                            LnResidualMatch *match);

/* True when [p, end) can hold no address in any notation, so that
 * residual_find_in() and residual_find_lenient() would find nothing there:
 * no decimal digit (every notation but plain IPv6 has one: octets, "%3A",
 * "ip6.arpa") and no two colons in one run of address characters (each ':'
 * is followed by a '/', as in "https://host").  Exact but for a ':' at
 * the end of a 16-byte block, which makes it answer false.  [base, p) may
 * be read, as for residual_find_in().  Costs less than a scan that finds
 * nothing, but is a loss where digits are common (request lines): meant
 * for referer origins. */
static inline bool
residual_none_possible (const char *base, const char *p, const char *end)
{
#ifdef LN_HAVE_SSE2
  while (p < end)
    {
      const char *block = p;
      unsigned skip = 0xffff;
      __m128i v;
      unsigned digit, colon, slash;

      if (end - p < 16)
        {
          if (end - base < 16)
            break;              /* a short line: the loop below */
          block = end - 16;
          skip = 0xffffu & (~0u << (p - block));
        }
      v = _mm_loadu_si128 ((const __m128i *) (const void *) block);
      /* v + 0x50 maps '0'...'9' to the ten smallest signed bytes */
      digit = (unsigned) _mm_movemask_epi8 (_mm_cmplt_epi8 (
          _mm_add_epi8 (v, _mm_set1_epi8 (0x50)), _mm_set1_epi8 (-128 + 10)));
      colon = (unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 (':')));
      slash = (unsigned) _mm_movemask_epi8 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('/')));
      if ((digit | (colon & ~(slash >> 1))) & skip)
        return false;
      p = block + 16;
    }
#else
  (void) base;
#endif
  for (; p < end; p++)
    if ((unsigned) (*p - '0') <= 9 || (*p == ':' && (p + 1 == end || p[1] != '/')))
      return false;
  return true;
}

/* Rewrites the @n bytes of @text (an anonymised address as anon_address
 * writes it; LN_RESIDUAL_TEXT_MAX bytes of room) in the notation @form and
 * returns the new length.  Text that is not an address of the family @form
 * spells (a keyed token, an IPv6 pseudonym of a dashed IPv4 address) is
 * left as it is, apart from percent-encoding its colons for
 * LN_RESIDUAL_PERCENT: it then replaces the whole address part of the
 * token ("h-TOKEN.dialup.example"). */
size_t residual_format (LnResidualForm form, char *text, size_t n);

/* A short name of @form for --stats: "plain", "dashed", "reverse4",
 * "reverse6", "percent". */
const char *residual_form_name (LnResidualForm form);

#endif /* LN_RESIDUAL_H */

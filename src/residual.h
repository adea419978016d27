/* residual.h - finds address-looking tokens in free text.
 *
 * The last line of defence: request lines, referers, forwarded-for fields
 * and malformed lines can carry client addresses that no field rule knows
 * about.  The scanner finds IPv4 dotted quads and IPv6 addresses (also with
 * ports, brackets, inside URLs and query strings) and nothing else: version
 * strings such as "Chrome/120.0.6099.109" are not addresses because 6099 is
 * not an octet.
 */
#ifndef LN_RESIDUAL_H
#define LN_RESIDUAL_H

#include <stdbool.h>
#include "ipaddr.h"
#include "span.h"

typedef struct {
  LnSpan token;       /* the address text inside the scanned span */
  LnAddr addr;
} LnResidualMatch;

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

#endif /* LN_RESIDUAL_H */

/* geo.h - country lookups in a MaxMind-format database (libmaxminddb).
 *
 * The database is opened once with MMDB_MODE_MMAP and looked up with
 * MMDB_lookup_sockaddr on the address the parser already holds in binary
 * form: no getaddrinfo(), no second parse.  The lookup runs on the raw
 * address, before anonymisation, and yields only a country code.
 *
 * Two record shapes exist in the wild and both are tried: MaxMind's
 * GeoIP2/GeoLite2 (country/iso_code, then registered_country/iso_code) and
 * the ip-location-db / DB-IP style (country_code).  --geo-path overrides.
 *
 * Codes for addresses the database does not know:
 *   "--"  unknown (no entry, or a lookup error)
 *   "XP"  private use, loopback or link-local
 *   "XR"  other special-purpose ranges (documentation, multicast, ...)
 * (X* codes are user-assigned in ISO 3166-1 and name no country.)
 */
#ifndef LN_GEO_H
#define LN_GEO_H

#include <glib.h>
#include "ipaddr.h"

typedef struct LnGeo LnGeo;

/* Opens @path.  @path_override is NULL or "a/b/c".  FALSE/NULL with @error
 * (LN_ERROR_SETUP) when the file cannot be opened, is not a MaxMind DB, or
 * its type has no country data and no override path is given. */
LnGeo *geo_open (const char *path, const char *path_override, GError **error);

/* Caches countries per network of the first @v4_bits / @v6_bits (at most
 * 24 and 48; 0 turns the cache off), keyed by a keyed digest of the
 * network.  FALSE with @error when no random key can be had. */
gboolean geo_set_cache_prefixes (LnGeo *geo, unsigned v4_bits, unsigned v6_bits,
                                 GError **error);

/* The same; @allow_aes FALSE keeps the SipHash-1-3 digest even where the
 * CPU has AES-NI (the tests run both). */
gboolean geo_set_cache_prefixes_full (LnGeo *geo, unsigned v4_bits, unsigned v6_bits,
                                      gboolean allow_aes, GError **error);

/* TRUE when the cache's digest is AES-NI's. */
gboolean geo_cache_uses_aes (const LnGeo *geo);

/* Writes the two-letter code for @addr to @out (NUL-terminated).  Returns
 * TRUE when the database answered (found or not found), FALSE on a lookup
 * error (counted; code "--"). */
gboolean geo_lookup (LnGeo *geo, const LnAddr *addr, char out[3]);

/* Number of lookup errors so far. */
guint64 geo_error_count (const LnGeo *geo);

/* Lookup errors by kind (libmaxminddb status code), for --jobs: each
 * worker's handle counts a chunk's errors, which move to the main handle
 * when the chunk is written. */
#define LN_GEO_ERROR_KINDS 32

/* Adds @geo's error counts to @counts and sets @geo's to zero. */
void geo_take_errors (LnGeo *geo, guint64 counts[LN_GEO_ERROR_KINDS]);

/* Adds @counts to @geo's error counts. */
void geo_add_errors (LnGeo *geo, const guint64 counts[LN_GEO_ERROR_KINDS]);

/* Prints one line per distinct lookup error with its count to stderr. */
void geo_report_errors (const LnGeo *geo);

/* The code for an address no database knows ("XP", "XR" or "--"). */
const char *geo_special_code (const LnAddr *addr);

void geo_free (LnGeo *geo);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LnGeo, geo_free)

#endif /* LN_GEO_H */

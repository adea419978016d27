/* sha256.h - SHA-256, HMAC-SHA-256 with precomputed key state, HKDF.
 *
 * Why not GLib's GHmac: its keyed state (the key XOR ipad/opad blocks and
 * the hashes of them, equivalent to the key) lives in ordinary heap blocks
 * that a core dump or a swapped page would carry, and it cannot be reset,
 * so every record would cost three allocations.  Here the keyed state is a
 * plain struct the caller places in locked, non-dumpable memory (secmem.h),
 * and computing a pseudonym is two compression-function runs with no
 * allocation.  The implementation follows FIPS 180-4 and RFC 2104/5869 and
 * is tested against GLib's GChecksum/GHmac and the RFC 4231 and RFC 5869
 * vectors.
 */
#ifndef LN_SHA256_H
#define LN_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define LN_SHA256_LEN 32
#define LN_SHA256_BLOCK 64

typedef struct {
  uint32_t h[8];
  uint64_t total;           /* bytes hashed */
  uint8_t block[LN_SHA256_BLOCK];
  size_t fill;
} LnSha256;

void sha256_init (LnSha256 *ctx);
void sha256_update (LnSha256 *ctx, const void *data, size_t len);
/* Writes the digest and wipes @ctx. */
void sha256_final (LnSha256 *ctx, uint8_t out[LN_SHA256_LEN]);

/* HMAC key state: the inner and outer hashes after absorbing the padded
 * key.  Equivalent to the key: keep it in secure memory. */
typedef struct {
  LnSha256 inner;
  LnSha256 outer;
} LnHmacKey;

void hmac_sha256_init (LnHmacKey *key, const uint8_t *secret, size_t len);

/* HMAC-SHA-256 of @data under @key, into @out.  No allocation; the
 * temporary states on the stack are wiped. */
void hmac_sha256 (const LnHmacKey *key, const void *data, size_t len,
                  uint8_t out[LN_SHA256_LEN]);

/* The same for a 16-byte message (an address): the two compressions and
 * nothing else, for the pseudonym cache's misses. */
void hmac_sha256_16 (const LnHmacKey *key, const uint8_t data[16],
                     uint8_t out[LN_SHA256_LEN]);

/* Whether SHA-256 uses the CPU's SHA extensions where it has them, as it
 * does unless told otherwise; 0 makes it use the portable code, for the
 * tests of both.  Returns whether the extensions are in use now.  Not
 * for use while other threads hash. */
int sha256_use_hardware (int enable);

/* HKDF-SHA-256 (RFC 5869): derives @out_len bytes (at most 255 * 32) from
 * @ikm with @salt and @info.  Returns 0, or -1 when @out_len is too big. */
int hkdf_sha256 (const uint8_t *salt, size_t salt_len,
                 const uint8_t *ikm, size_t ikm_len,
                 const uint8_t *info, size_t info_len,
                 uint8_t *out, size_t out_len);

#endif /* LN_SHA256_H */

/* siphash.h - SipHash-2-4 (Aumasson & Bernstein), a keyed 64-bit hash.
 *
 * Used to key the pseudonym cache: the cache must not be indexed by raw
 * addresses, and a keyed digest under a random per-process key is cheap
 * enough to compute for every line.
 */
#ifndef LN_SIPHASH_H
#define LN_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24 (const uint8_t key[16], const void *data, size_t len);

/* SipHash-2-4 with 128-bit output: returns the first 64 bits and stores
 * the second 64 in @second. */
uint64_t siphash24_128 (const uint8_t key[16], const void *data, size_t len,
                        uint64_t *second);

/* SipHash-1-3 with 128-bit output (the variant Rust and CPython use for
 * hash tables): half the rounds, for the pseudonym cache's slot keys. */
uint64_t siphash13 (const uint8_t key[16], const void *data, size_t len);
uint64_t siphash13_128 (const uint8_t key[16], const void *data, size_t len,
                        uint64_t *second);

#endif /* LN_SIPHASH_H */

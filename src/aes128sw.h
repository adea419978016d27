/* aes128sw.h - AES-128 encryption in portable C (FIPS 197).
 *
 * The visitor digest (visitor.h) is one AES-128 block, and partials made
 * on different machines merge only when every machine computes the same
 * digest: where the CPU has no AES-NI, these functions give the same bits
 * as aes128.h's, more slowly.  With a table of 32-bit round columns, so not
 * constant-time (table look-ups by key-dependent index): the only callers
 * are machines without AES-NI, where a block costs some 1,000 instructions
 * against 30.
 */
#ifndef LN_AES128SW_H
#define LN_AES128SW_H

#include <stdint.h>
#include "aes128.h"

/* Expands @key into the 11 round keys @rk, laid out as aes128_expand()
 * lays them out (the FIPS 197 key schedule, round after round). */
void aes128sw_expand (const uint8_t key[16], uint8_t rk[16 * LN_AES128_ROUND_KEYS]);

/* One block: @out = AES-128(@rk, @in).  @in and @out may overlap. */
void aes128sw_encrypt (const uint8_t rk[16 * LN_AES128_ROUND_KEYS], const uint8_t in[16],
                       uint8_t out[16]);

#endif /* LN_AES128SW_H */

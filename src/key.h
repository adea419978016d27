/* key.h - key files, per-period keys, rotation with erasure.
 *
 * A key file holds 32 random bytes as "lognym-key-v1 <64 hex digits>\n",
 * mode 0600.  Three ways to get the HMAC key of a record:
 *   - one static key (--key-file);
 *   - one random key per period in a directory (--key-dir, --rotate,
 *     --retain), created on first need atomically and erased (overwritten,
 *     fsynced, unlinked, a tombstone left) once older than the retention;
 *   - one key per period derived from a master key with HKDF-SHA-256
 *     (--key-file with --derive): consistent across machines, no forward
 *     secrecy while the master exists.
 * Key bytes and HMAC states live only in secure memory (secmem.h).
 */
#ifndef LN_KEY_H
#define LN_KEY_H

#include <glib.h>
#include <stdint.h>
#include "sha256.h"

#define LN_KEY_BYTES 32
#define LN_KEY_MIN_BYTES 16
#define LN_KEY_MAX_BYTES 64

typedef enum {
  LN_PERIOD_NONE,
  LN_PERIOD_DAILY,
  LN_PERIOD_WEEKLY,
  LN_PERIOD_MONTHLY,
} LnPeriod;

typedef struct LnKeyring LnKeyring;

/* @len random bytes from getrandom(2) (or /dev/urandom).  FALSE with
 * @error if the kernel gives none. */
gboolean key_random_bytes (uint8_t *out, size_t len, GError **error);

/* Writes a new random key to @path (O_EXCL, mode 0600); refuses to
 * overwrite.  FALSE with @error (LN_ERROR_SETUP) on failure. */
gboolean key_generate_file (const char *path, GError **error);

/* Reads the key in @path into @out (secure memory of LN_KEY_MAX_BYTES).
 * Refuses files that are group/world-readable or writable, not owned by the
 * effective user, not regular, or whose key is shorter than 16 bytes.
 * Returns the key length, or 0 with @error set (LN_ERROR_SETUP). */
size_t key_load_file (const char *path, uint8_t *out, GError **error);

/* The period a UTC instant falls in: a running number (days, ISO weeks or
 * months since 1970) and its name ("2026-11-25", "2026-W48", "2026-11"). */
int64_t key_period_index (LnPeriod period, int64_t epoch);
void key_period_name (LnPeriod period, int64_t index, char out[16]);

/* "daily" etc.  Returns FALSE for an unknown word. */
gboolean key_period_parse (const char *word, LnPeriod *out);

/* A keyring of one static key. */
LnKeyring *keyring_new_static (const char *key_file, GError **error);
/* Per-period keys derived from the master key in @key_file. */
LnKeyring *keyring_new_derived (const char *key_file, LnPeriod period, GError **error);
/* Per-period random keys in @dir; keys older than @retain periods before
 * @now are erased here and now. */
LnKeyring *keyring_new_rotating (const char *dir, LnPeriod period, unsigned retain,
                                 int64_t now, GError **error);

/* The HMAC key for a record at @epoch (ignored by a static keyring), and in
 * @period_index the period it belongs to (0 for a static key).  NULL with
 * @error set when the period's key was erased or cannot be created. */
const LnHmacKey *keyring_lookup (LnKeyring *ring, int64_t epoch, int64_t *period_index,
                                 GError **error);

LnPeriod keyring_period (const LnKeyring *ring);

/* The one key of a static keyring (--key-file), which keyring_lookup()
 * answers for every record; NULL for the periodic kinds. */
const LnHmacKey *keyring_static_key (const LnKeyring *ring);

void keyring_free (LnKeyring *ring);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LnKeyring, keyring_free)

#endif /* LN_KEY_H */

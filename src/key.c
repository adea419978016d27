/* key.c - key files and keyrings (see key.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_GETRANDOM
#include <sys/random.h>
#endif

#include "clftime.h"
#include "errors.h"
#include "i18n.h"
#include "key.h"
#include "secmem.h"
#include "wipe.h"

#define KEY_TAG "lognym-key-v1"
#define SLOTS 16

typedef enum { RING_STATIC, RING_DERIVED, RING_ROTATING } RingKind;

struct LnKeyring {
  RingKind kind;
  LnPeriod period;
  char *dir;
  unsigned retain;
  int64_t now_index;
  uint8_t *master;          /* secure memory */
  size_t master_len;
  struct {
    gboolean valid;
    int64_t index;
    LnHmacKey *key;         /* secure memory */
  } slots[SLOTS];
  unsigned next_slot;
  int last;                 /* slot of the last lookup, or -1 */
};

/* ------------------------------------------------------------ randomness */

gboolean
key_random_bytes (uint8_t *out, size_t len, GError **error)
{
  size_t done = 0;

#ifdef HAVE_GETRANDOM
  while (done < len)
    {
      ssize_t n = getrandom (out + done, len - done, 0);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      done += (size_t) n;
    }
#endif
  if (done < len)
    {
      int fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);

      while (fd >= 0 && done < len)
        {
          ssize_t n = read (fd, out + done, len - done);
          if (n <= 0 && errno != EINTR)
            break;
          if (n > 0)
            done += (size_t) n;
        }
      if (fd >= 0)
        close (fd);
    }
  if (done < len)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                   _("cannot get random bytes from the kernel"));
      return FALSE;
    }
  return TRUE;
}

/* ------------------------------------------------------------- key files */

static const char hexdigits[] = "0123456789abcdef";

/* Writes the key text for @key to @fd.  The text buffer is wiped. */
static gboolean
write_key (int fd, const uint8_t *key, size_t len, const char *path, GError **error)
{
  char text[sizeof KEY_TAG + 2 * LN_KEY_MAX_BYTES + 2];
  size_t n = 0, i;
  gboolean ok = TRUE;

  memcpy (text, KEY_TAG " ", sizeof KEY_TAG);
  n = sizeof KEY_TAG;
  for (i = 0; i < len; i++)
    {
      text[n++] = hexdigits[key[i] >> 4];
      text[n++] = hexdigits[key[i] & 15];
    }
  text[n++] = '\n';
  for (i = 0; i < n;)
    {
      ssize_t w = write (fd, text + i, n - i);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        {
          int err = errno;
          g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: cannot write key: %s"),
                       path, g_strerror (err));
          ok = FALSE;
          break;
        }
      i += (size_t) w;
    }
  if (ok && fsync (fd) != 0)
    {
      int err = errno;
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: cannot write key: %s"),
                   path, g_strerror (err));
      ok = FALSE;
    }
  wipe_memory (text, sizeof text);
  return ok;
}

gboolean
key_generate_file (const char *path, GError **error)
{
  uint8_t *key;
  gboolean ok;
  int fd;

  if (!secmem_init (64 * 1024, error))
    return FALSE;
  key = secmem_alloc (LN_KEY_BYTES);
  if (!key_random_bytes (key, LN_KEY_BYTES, error))
    return FALSE;
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    {
      int err = errno;
      wipe_memory (key, LN_KEY_BYTES);
      if (err == EEXIST)
        g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                     _("%s: file exists; refusing to overwrite a key"), path);
      else
        g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: cannot create: %s"),
                     path, g_strerror (err));
      return FALSE;
    }
  ok = write_key (fd, key, LN_KEY_BYTES, path, error);
  wipe_memory (key, LN_KEY_BYTES);
  if (close (fd) != 0 && ok)
    {
      int err = errno;
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: cannot write key: %s"),
                   path, g_strerror (err));
      ok = FALSE;
    }
  if (!ok)
    unlink (path);
  return ok;
}

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Checks and reads an open key file.  Returns the key length or 0. */
static size_t
load_fd (int fd, const char *path, uint8_t *out, GError **error)
{
  char text[512];
  size_t len = 0, n = 0, i = 0;
  struct stat st;
  int hi = -1;

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: not a regular file"), path);
      return 0;
    }
  if (st.st_uid != geteuid ())
    {
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                   _("%s: key file is not owned by the user running lognym"), path);
      return 0;
    }
  if (st.st_mode & 077)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                   _("%s: key file is accessible by group or others "
                     "(mode %04o); run: chmod 600 %s"),
                   path, (unsigned) (st.st_mode & 07777), path);
      return 0;
    }
  for (;;)
    {
      ssize_t r = read (fd, text + len, sizeof text - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int err = errno;
          g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: cannot read key: %s"),
                       path, g_strerror (err));
          wipe_memory (text, sizeof text);
          return 0;
        }
      if (r == 0 || (len += (size_t) r) == sizeof text)
        break;
    }
  if (len >= sizeof KEY_TAG - 1 && memcmp (text, KEY_TAG, sizeof KEY_TAG - 1) == 0)
    i = sizeof KEY_TAG - 1;
  for (; i < len; i++)
    {
      int v = hex_value (text[i]);

      if (v < 0)
        {
          if (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r')
            continue;
          n = 0;
          hi = -2;
          break;
        }
      if (hi < 0)
        hi = v;
      else
        {
          if (n == LN_KEY_MAX_BYTES)
            {
              hi = -2;
              break;
            }
          out[n++] = (uint8_t) (hi << 4 | v);
          hi = -1;
        }
    }
  wipe_memory (text, sizeof text);
  if (hi != -1 || n < LN_KEY_MIN_BYTES)
    {
      wipe_memory (out, LN_KEY_MAX_BYTES);
      if (hi == -1 && n > 0)
        g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                     _("%s: key is too short (%zu bytes; at least %d needed)"),
                     path, n, LN_KEY_MIN_BYTES);
      else
        g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                     _("%s: not a lognym key file (expected \"%s\" and hex digits; "
                       "create one with: lognym keygen FILE)"), path, KEY_TAG);
      return 0;
    }
  return n;
}

size_t
key_load_file (const char *path, uint8_t *out, GError **error)
{
  size_t n;
  int fd;

  do
    fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    {
      int err = errno;
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: cannot open key file: %s"),
                   path, g_strerror (err));
      return 0;
    }
  n = load_fd (fd, path, out, error);
  close (fd);
  return n;
}

/* --------------------------------------------------------------- periods */

gboolean
key_period_parse (const char *word, LnPeriod *out)
{
  if (strcmp (word, "daily") == 0)
    *out = LN_PERIOD_DAILY;
  else if (strcmp (word, "weekly") == 0)
    *out = LN_PERIOD_WEEKLY;
  else if (strcmp (word, "monthly") == 0)
    *out = LN_PERIOD_MONTHLY;
  else
    return FALSE;
  return TRUE;
}

int64_t
key_period_index (LnPeriod period, int64_t epoch)
{
  int64_t days = clftime_floor_div (epoch, 86400);
  int64_t y;
  unsigned m, d;

  switch (period)
    {
    case LN_PERIOD_DAILY:
      return days;
    case LN_PERIOD_WEEKLY:
      /* Monday-based weeks; day 0 (1970-01-01) was a Thursday */
      return clftime_floor_div (days + 3, 7);
    case LN_PERIOD_MONTHLY:
      clftime_civil_from_days (days, &y, &m, &d);
      return y * 12 + (int64_t) m - 1;
    case LN_PERIOD_NONE:
    default:
      return 0;
    }
}

void
key_period_name (LnPeriod period, int64_t index, char out[16])
{
  int64_t y;
  unsigned m, d;

  switch (period)
    {
    case LN_PERIOD_DAILY:
      clftime_civil_from_days (index, &y, &m, &d);
      g_snprintf (out, 16, "%04d-%02u-%02u", (int) y, m, d);
      break;
    case LN_PERIOD_WEEKLY:
      {
        /* ISO 8601: the week belongs to the year of its Thursday */
        int64_t thursday = index * 7;
        int64_t jan1;

        clftime_civil_from_days (thursday, &y, &m, &d);
        jan1 = clftime_days_from_civil (y, 1, 1);
        g_snprintf (out, 16, "%04d-W%02d", (int) y, (int) ((thursday - jan1) / 7 + 1));
      }
      break;
    case LN_PERIOD_MONTHLY:
      g_snprintf (out, 16, "%04d-%02d", (int) clftime_floor_div (index, 12),
                  (int) (index - clftime_floor_div (index, 12) * 12 + 1));
      break;
    case LN_PERIOD_NONE:
    default:
      g_strlcpy (out, "static", 16);
      break;
    }
}

/* The period index of a key file name such as "2026-11-25.key", or FALSE
 * when the name is not one of ours for @period. */
static gboolean
period_from_name (LnPeriod period, const char *name, int64_t *index)
{
  char check[16];
  int y = 0, m = 0, d = 0, consumed = 0;

  switch (period)
    {
    case LN_PERIOD_DAILY:
      if (sscanf (name, "%4d-%2d-%2d.key%n", &y, &m, &d, &consumed) != 3)
        return FALSE;
      if (m < 1 || m > 12 || d < 1 || d > 31)
        return FALSE;
      *index = clftime_days_from_civil (y, (unsigned) m, (unsigned) d);
      break;
    case LN_PERIOD_WEEKLY:
      {
        int64_t jan4, monday;

        if (sscanf (name, "%4d-W%2d.key%n", &y, &d, &consumed) != 2 || d < 1 || d > 53)
          return FALSE;
        jan4 = clftime_days_from_civil (y, 1, 4);
        monday = jan4 - ((jan4 + 3) % 7 + 7) % 7 + (int64_t) (d - 1) * 7;
        *index = clftime_floor_div (monday + 3, 7);
      }
      break;
    case LN_PERIOD_MONTHLY:
      if (sscanf (name, "%4d-%2d.key%n", &y, &m, &consumed) != 2 || m < 1 || m > 12)
        return FALSE;
      *index = (int64_t) y * 12 + m - 1;
      break;
    case LN_PERIOD_NONE:
    default:
      return FALSE;
    }
  if (consumed == 0 || name[consumed] != '\0')
    return FALSE;
  /* only canonical names: the round trip must give the same text */
  key_period_name (period, *index, check);
  return strncmp (check, name, strlen (check)) == 0 && name[strlen (check)] == '.';
}

/* -------------------------------------------------------------- keyrings */

static LnKeyring *
ring_new (RingKind kind, LnPeriod period, GError **error)
{
  LnKeyring *ring;
  int i;

  /* room for the master, SLOTS key states and the pseudonym cache key */
  if (!secmem_init (64 * 1024, error))
    return NULL;
  ring = g_new0 (LnKeyring, 1);
  ring->kind = kind;
  ring->period = period;
  ring->last = -1;
  ring->master = secmem_alloc (LN_KEY_MAX_BYTES);
  for (i = 0; i < SLOTS; i++)
    ring->slots[i].key = secmem_alloc (sizeof (LnHmacKey));
  return ring;
}

LnKeyring *
keyring_new_static (const char *key_file, GError **error)
{
  g_autoptr (LnKeyring) ring = ring_new (RING_STATIC, LN_PERIOD_NONE, error);

  if (ring == NULL)
    return NULL;
  ring->master_len = key_load_file (key_file, ring->master, error);
  if (ring->master_len == 0)
    return NULL;
  hmac_sha256_init (ring->slots[0].key, ring->master, ring->master_len);
  ring->slots[0].valid = TRUE;
  ring->slots[0].index = 0;
  wipe_memory (ring->master, LN_KEY_MAX_BYTES);
  return g_steal_pointer (&ring);
}

LnKeyring *
keyring_new_derived (const char *key_file, LnPeriod period, GError **error)
{
  g_autoptr (LnKeyring) ring = ring_new (RING_DERIVED, period, error);

  if (ring == NULL)
    return NULL;
  ring->master_len = key_load_file (key_file, ring->master, error);
  if (ring->master_len == 0)
    return NULL;
  return g_steal_pointer (&ring);
}

static gboolean
fsync_dir (const char *dir)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = fsync (fd) == 0;
  close (fd);
  return ok;
}

/* Overwrites, syncs and unlinks an expired key, leaving a tombstone so that
 * no later run recreates a key for that period. */
static gboolean
erase_key (const char *dir, const char *name, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *stem = g_strndup (name, strlen (name) - 4);
  g_autofree char *tomb_name = g_strconcat (stem, ".erased", NULL);
  g_autofree char *tomb = g_build_filename (dir, tomb_name, NULL);
  static const char zeros[4096];
  struct stat st;
  int fd, tfd;

  fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 || fstat (fd, &st) != 0)
    {
      int err = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: cannot erase key: %s"),
                   path, g_strerror (err));
      return FALSE;
    }
  {
    off_t left = st.st_size;

    while (left > 0)
      {
        ssize_t w = write (fd, zeros, left > (off_t) sizeof zeros ? sizeof zeros : (size_t) left);
        if (w < 0 && errno == EINTR)
          continue;
        if (w <= 0)
          break;
        left -= w;
      }
  }
  if (fsync (fd) != 0)
    {
      int err = errno;
      close (fd);
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: cannot erase key: %s"),
                   path, g_strerror (err));
      return FALSE;
    }
  close (fd);
  tfd = open (tomb, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (tfd >= 0)
    {
      (void) fsync (tfd);
      close (tfd);
    }
  if (unlink (path) != 0 && errno != ENOENT)
    {
      int err = errno;
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: cannot erase key: %s"),
                   path, g_strerror (err));
      return FALSE;
    }
  fsync_dir (dir);
  return TRUE;
}

LnKeyring *
keyring_new_rotating (const char *dir, LnPeriod period, unsigned retain, int64_t now,
                      GError **error)
{
  g_autoptr (LnKeyring) ring = NULL;
  struct stat st;
  DIR *d;
  struct dirent *e;

  if (g_mkdir_with_parents (dir, 0700) != 0 || stat (dir, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      int err = errno;
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: cannot use key directory: %s"),
                   dir, g_strerror (err));
      return NULL;
    }
  if (st.st_uid != geteuid () || (st.st_mode & 022))
    {
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                   _("%s: key directory must be owned by the user running lognym and "
                     "not writable by group or others"), dir);
      return NULL;
    }
  ring = ring_new (RING_ROTATING, period, error);
  if (ring == NULL)
    return NULL;
  ring->dir = g_strdup (dir);
  ring->retain = retain;
  ring->now_index = key_period_index (period, now);

  d = opendir (dir);
  if (d == NULL)
    {
      int err = errno;
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: cannot read key directory: %s"),
                   dir, g_strerror (err));
      return NULL;
    }
  while ((e = readdir (d)) != NULL)
    {
      int64_t index;

      if (period_from_name (period, e->d_name, &index)
          && index < ring->now_index - (int64_t) retain
          && !erase_key (dir, e->d_name, error))
        {
          closedir (d);
          return NULL;
        }
    }
  closedir (d);
  return g_steal_pointer (&ring);
}

/* Loads the key of period @index from the directory, creating it first if
 * nobody has.  Creation goes through a temporary file and link(2), which
 * fails if the name exists: of two racing processes one wins and both then
 * read the winner's key. */
static gboolean
rotating_key (LnKeyring *ring, int64_t index, uint8_t *out, size_t *len, GError **error)
{
  char name[16];
  g_autofree char *file = NULL;
  g_autofree char *path = NULL;
  g_autofree char *tomb = NULL;
  int fd;

  key_period_name (ring->period, index, name);
  file = g_strconcat (name, ".key", NULL);
  path = g_build_filename (ring->dir, file, NULL);
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT)
    {
      g_autofree char *tomb_name = g_strconcat (name, ".erased", NULL);
      g_autofree char *tmp = g_build_filename (ring->dir, ".new-key-XXXXXX", NULL);
      int tfd;

      tomb = g_build_filename (ring->dir, tomb_name, NULL);
      if (index < ring->now_index - (int64_t) ring->retain
          || g_file_test (tomb, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, LN_ERROR, LN_ERROR_KEY_ERASED,
                       _("no key for period %s: it was erased or is older than the "
                         "retention (--retain %u); its records cannot be "
                         "pseudonymised (see --expired-key)"), name, ring->retain);
          return FALSE;
        }
      if (index > ring->now_index + 1)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_KEY_ERASED,
                       _("record in period %s is in the future; refusing to create "
                         "its key"), name);
          return FALSE;
        }
      tfd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
      if (tfd < 0)
        {
          int err = errno;
          g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: cannot create key: %s"),
                       tmp, g_strerror (err));
          return FALSE;
        }
      if (!key_random_bytes (out, LN_KEY_BYTES, error)
          || !write_key (tfd, out, LN_KEY_BYTES, tmp, error))
        {
          wipe_memory (out, LN_KEY_MAX_BYTES);
          close (tfd);
          unlink (tmp);
          return FALSE;
        }
      wipe_memory (out, LN_KEY_MAX_BYTES);
      close (tfd);
      if (link (tmp, path) != 0 && errno != EEXIST)
        {
          int err = errno;
          unlink (tmp);
          g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: cannot create key: %s"),
                       path, g_strerror (err));
          return FALSE;
        }
      unlink (tmp);
      fsync_dir (ring->dir);
      fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
  if (fd < 0)
    {
      int err = errno;
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("%s: cannot open key file: %s"),
                   path, g_strerror (err));
      return FALSE;
    }
  *len = load_fd (fd, path, out, error);
  close (fd);
  return *len > 0;
}

const LnHmacKey *
keyring_lookup (LnKeyring *ring, int64_t epoch, int64_t *period_index, GError **error)
{
  int64_t index;
  int slot;

  if (ring->kind == RING_STATIC)
    {
      *period_index = 0;
      return ring->slots[0].key;
    }
  index = key_period_index (ring->period, epoch);
  *period_index = index;
  if (ring->last >= 0 && ring->slots[ring->last].valid
      && ring->slots[ring->last].index == index)
    return ring->slots[ring->last].key;
  for (slot = 0; slot < SLOTS; slot++)
    if (ring->slots[slot].valid && ring->slots[slot].index == index)
      {
        ring->last = slot;
        return ring->slots[slot].key;
      }

  slot = (int) (ring->next_slot++ % SLOTS);
  ring->slots[slot].valid = FALSE;
  ring->last = -1;
  wipe_memory (ring->slots[slot].key, sizeof (LnHmacKey));
  if (ring->kind == RING_DERIVED)
    {
      char name[16];
      char info[64];
      uint8_t derived[LN_KEY_BYTES];
      static const char salt[] = "lognym-derive-v1";

      key_period_name (ring->period, index, name);
      g_snprintf (info, sizeof info, "lognym period %s", name);
      hkdf_sha256 ((const uint8_t *) salt, sizeof salt - 1, ring->master, ring->master_len,
                   (const uint8_t *) info, strlen (info), derived, sizeof derived);
      hmac_sha256_init (ring->slots[slot].key, derived, sizeof derived);
      wipe_memory (derived, sizeof derived);
    }
  else
    {
      uint8_t *buf = ring->master;    /* scratch in secure memory */
      size_t len = 0;

      if (!rotating_key (ring, index, buf, &len, error))
        return NULL;
      hmac_sha256_init (ring->slots[slot].key, buf, len);
      wipe_memory (buf, LN_KEY_MAX_BYTES);
    }
  ring->slots[slot].valid = TRUE;
  ring->slots[slot].index = index;
  ring->last = slot;
  return ring->slots[slot].key;
}

LnPeriod
keyring_period (const LnKeyring *ring)
{
  return ring->period;
}

const LnHmacKey *
keyring_static_key (const LnKeyring *ring)
{
  return ring->kind == RING_STATIC ? ring->slots[0].key : NULL;
}

void
keyring_free (LnKeyring *ring)
{
  int i;

  if (ring == NULL)
    return;
  for (i = 0; i < SLOTS; i++)
    if (ring->slots[i].key)
      wipe_memory (ring->slots[i].key, sizeof (LnHmacKey));
  if (ring->master)
    wipe_memory (ring->master, LN_KEY_MAX_BYTES);
  g_free (ring->dir);
  g_free (ring);
}

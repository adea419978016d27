/* shred.h - overwrite the replaced original of lognym --in-place.
 *
 * --shred-original: the raw original is not simply unlinked by the rename
 * but its blocks are overwritten with zeros first, a best effort against
 * casual undelete (see lognym(1) for where it does not help).  The order
 * is chosen so that no data can be lost: a descriptor is held on the
 * original inode before anything is written, the anonymised file replaces
 * it by rename, and only then is the old inode, by now nameless, written
 * over through that descriptor.  A file with other hard links is refused:
 * overwriting it would destroy what the other name holds.
 */
#ifndef LN_SHRED_H
#define LN_SHRED_H

#include <glib.h>
#include <sys/stat.h>

/* Opens the original @path for writing and checks that it is still the
 * inode @st describes (a regular file, one link).  @name is for messages.
 * Returns the descriptor, or -1 with @error (LN_ERROR_IO) set; nothing is
 * changed either way. */
int shred_hold (const char *path, const char *name, const struct stat *st, GError **error);

/* After the rename: overwrites the whole of the held inode with zeros in
 * large writes, fdatasync, and closes @fd in every case.  Refuses (FALSE,
 * nothing written) if the inode got a name again meanwhile. */
gboolean shred_release (int fd, const char *name, GError **error);

#endif /* LN_SHRED_H */

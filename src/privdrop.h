/* privdrop.h - --run-as: give up root after opening what needs root.
 *
 * Apache starts piped loggers as root.  lognym opens its output, key and
 * database files first, then becomes USER[:GROUP] for good: supplementary
 * groups cleared, gid then uid set, PR_SET_NO_NEW_PRIVS, and the drop
 * verified (getting root back must fail).  Any failure is fatal: lognym
 * never goes on as root when asked not to.
 */
#ifndef LN_PRIVDROP_H
#define LN_PRIVDROP_H

#include <glib.h>

/* Becomes @spec ("user" or "user:group").  FALSE with @error
 * (LN_ERROR_SETUP) on any failure. */
gboolean privdrop_to (const char *spec, GError **error);

#endif /* LN_PRIVDROP_H */

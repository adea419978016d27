/* audit.h - "lognym audit": does a log still hold raw client addresses?
 *
 * Reads logs (anonymised or not) and reports every line with an address
 * that the truncation rule would still change: in a client field, or
 * anywhere else on the line (the lenient residual scan).  The address
 * itself is printed only with --show.  This is how an operator checks a
 * pipeline after changing its configuration.
 */
#ifndef LN_AUDIT_H
#define LN_AUDIT_H

#include <glib.h>
#include "cli.h"

/* Audits every file of @options; the report goes to standard output.
 * Returns the exit status: 0 nothing found, 1 raw addresses found, 2 a
 * file could not be read. */
int audit_run (const LnOptions *options);

#endif /* LN_AUDIT_H */

/* errors.h - the LN_ERROR domain and the exit-status contract.
 *
 * The exit statuses are documented in lognym(1), EXIT STATUS; keep the two
 * in step.
 */
#ifndef LN_ERRORS_H
#define LN_ERRORS_H

#include <glib.h>

#define LN_ERROR (ln_error_quark ())
GQuark ln_error_quark (void);

typedef enum {
  LN_ERROR_USAGE,      /* bad option or argument, bad format string */
  LN_ERROR_IO,         /* cannot read input / write output */
  LN_ERROR_SETUP,      /* unusable key, key directory or database file */
  LN_ERROR_MALFORMED,  /* malformed input under --malformed=fail */
  LN_ERROR_OUTPUT,     /* cannot write the output: ends the run */
  LN_ERROR_BROKEN_PIPE, /* the reader of our output went away: quiet end */
  LN_ERROR_KEY_ERASED, /* a record's period key was erased (forward secrecy) */
} LnError;

enum {
  LN_EXIT_OK = 0,
  LN_EXIT_USAGE = 1,
  LN_EXIT_FAILURE = 2,
  LN_EXIT_MALFORMED = 3,
};

/* Maps an error of any domain to the process exit status. */
int ln_error_exit_status (const GError *error);

#endif /* LN_ERRORS_H */

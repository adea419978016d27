/* errors.c - error domain and exit status mapping. */
#include "config.h"

#include "errors.h"

G_DEFINE_QUARK (lognym-error-quark, ln_error)

int
ln_error_exit_status (const GError *error)
{
  if (error == NULL)
    return LN_EXIT_OK;
  if (error->domain == G_OPTION_ERROR)
    return LN_EXIT_USAGE;
  if (error->domain != LN_ERROR)
    return LN_EXIT_FAILURE;
  switch ((LnError) error->code)
    {
    case LN_ERROR_USAGE:
      return LN_EXIT_USAGE;
    case LN_ERROR_MALFORMED:
      return LN_EXIT_MALFORMED;
    case LN_ERROR_BROKEN_PIPE:
      return LN_EXIT_OK;
    case LN_ERROR_IO:
    case LN_ERROR_KEY_ERASED:
    case LN_ERROR_OUTPUT:
    case LN_ERROR_SETUP:
    default:
      return LN_EXIT_FAILURE;
    }
}

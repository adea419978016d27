/* errors.c - error domain and exit status mapping. */
#include "config.h"

#include "errors.h"

/* Not G_DEFINE_QUARK: its lazy "if (q == 0) q = ..." is a data race
 * when two --jobs workers raise their first error at once (harmless in
 * practice, but ThreadSanitizer is right to object). */
GQuark
ln_error_quark (void)
{
  static gsize quark;

  if (g_once_init_enter (&quark))
    g_once_init_leave (&quark, g_quark_from_static_string ("lognym-error-quark"));
  return (GQuark) quark;
}

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

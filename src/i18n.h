/* i18n.h - the single place that defines _(), N_() and C_().
 *
 * Every user-facing message goes through _(); machine output (log text,
 * CSV headers, field names) never does, so a translation can never change
 * the data lognym writes.
 */
#ifndef LN_I18N_H
#define LN_I18N_H

#include <glib/gi18n.h>

#endif /* LN_I18N_H */

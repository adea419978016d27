/* privdrop.c - permanent privilege drop (see privdrop.h). */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "errors.h"
#include "i18n.h"
#include "privdrop.h"

gboolean
privdrop_to (const char *spec, GError **error)
{
  g_autofree char *user = g_strdup (spec);
  char *group = strchr (user, ':');
  struct passwd *pw;
  uid_t uid;
  gid_t gid;

  if (group)
    *group++ = '\0';
  pw = getpwnam (user);
  if (pw == NULL)
    {
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("--run-as: no such user '%s'"), user);
      return FALSE;
    }
  uid = pw->pw_uid;
  gid = pw->pw_gid;
  if (group && *group)
    {
      struct group *gr = getgrnam (group);

      if (gr == NULL)
        {
          g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("--run-as: no such group '%s'"),
                       group);
          return FALSE;
        }
      gid = gr->gr_gid;
    }
  if (geteuid () != 0)
    {
      if (geteuid () == uid && getegid () == gid)
        return TRUE;            /* already that user: nothing to drop */
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                   _("--run-as: only root can become another user"));
      return FALSE;
    }
  if (setgroups (1, &gid) != 0 || setgid (gid) != 0 || setuid (uid) != 0)
    {
      int err = errno;
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP, _("--run-as: cannot become %s: %s"),
                   spec, g_strerror (err));
      return FALSE;
    }
  (void) prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  /* verify: the ids stuck, and root cannot be had back */
  if (getuid () != uid || geteuid () != uid || getgid () != gid || getegid () != gid
      || (uid != 0 && setuid (0) == 0))
    {
      g_set_error (error, LN_ERROR, LN_ERROR_SETUP,
                   _("--run-as: the privilege drop to %s did not hold"), spec);
      return FALSE;
    }
  return TRUE;
}

/* view.c — what a process's MAPI sees, and the two fixes from the case that change it.
 *
 * MAPISIM_FIXES=none|sid|global|all (default none):
 *   sid    (bug 1 fix) marks live under "Deleted Profiles XXXXXXXX", XXXXXXXX the CRC-32 of the
 *          account SID in upper-case hex, so processes of different accounts (which never share
 *          an in-use list) never sweep each other's marks;
 *   global (bug 2 fix) the in-use list is named in the Global\ namespace, so processes of one
 *          account share it across login sessions. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "samples/mapi/mapisim.h"

int mapisim__view_init(struct mapisim_view *view)
{
    const char *fixes = getenv("MAPISIM_FIXES");
    int sid_fix = 0, global_fix = 0;

    if (!fixes || !*fixes || !strcmp(fixes, "none")) {
    } else if (!strcmp(fixes, "sid")) {
        sid_fix = 1;
    } else if (!strcmp(fixes, "global")) {
        global_fix = 1;
    } else if (!strcmp(fixes, "all")) {
        sid_fix = global_fix = 1;
    } else {
        return -EINVAL;
    }
    /* The effective account of the calling thread: an impersonating thread is another account. */
    snprintf(view->sid, sizeof(view->sid), "S-1-5-21-%u", (unsigned)geteuid());
    snprintf(view->inuse_name, sizeof(view->inuse_name), "%s\\MAPISIM_InUse_%s",
             global_fix ? "Global" : "Local", view->sid);
    if (sid_fix)
        snprintf(view->marks_key, sizeof(view->marks_key), "%s %08X", MAPISIM_MARKS_KEY,
                 (unsigned)mapisim__crc32(view->sid, strlen(view->sid)));
    else
        snprintf(view->marks_key, sizeof(view->marks_key), "%s", MAPISIM_MARKS_KEY);
    return 0;
}

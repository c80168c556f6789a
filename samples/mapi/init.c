/* init.c — MAPIInitialize / MAPIUninitialize: the first call fixes the process's view (account,
 * fix level), maps its in-use list; every call runs the T3 sweep; the last uninitialize unmaps. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#include "samples/mapi/mapisim.h"

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned init_count;
static struct mapisim_view view;

const struct mapisim_view *mapisim__view(void)
{
    return init_count ? &view : NULL;
}

STDAPI MAPIInitialize(LPVOID lpMapiInit)
{
    HRESULT hr = S_OK;
    int rc;

    if (lpMapiInit && ((LPMAPIINIT_0)lpMapiInit)->ulVersion != MAPI_INIT_VERSION)
        return MAPI_E_VERSION;
    pthread_mutex_lock(&init_lock);
    if (init_count == 0) {
        rc = mapisim__view_init(&view);
        if (rc < 0) {
            fprintf(stderr, "mapisim: MAPISIM_FIXES must be none, sid, global or all\n");
            hr = MAPI_E_INVALID_PARAMETER;
            goto out;
        }
        rc = mapisim__inuse_open(view.inuse_name);
        if (rc < 0) {
            hr = rc == -EACCES ? MAPI_E_NO_ACCESS : MAPI_E_CALL_FAILED;
            goto out;
        }
    }
    init_count++;
    hr = mapisim__sweep(&view);
    if (FAILED(hr) && --init_count == 0)
        mapisim__inuse_close();
out:
    pthread_mutex_unlock(&init_lock);
    return hr;
}

STDAPI_(void) MAPIUninitialize(void)
{
    pthread_mutex_lock(&init_lock);
    if (init_count > 0 && --init_count == 0)
        mapisim__inuse_close();
    pthread_mutex_unlock(&init_lock);
}

/* handle.c — kernel object HANDLEs (file mappings, access tokens) and CloseHandle. */
#include <stdlib.h>
#include <unistd.h>

#include "samples/win32/winsim.h"

struct winsim_object *winsim__object(HANDLE h, enum winsim_object_kind kind)
{
    struct winsim_object *obj = h;

    if (!h || h == INVALID_HANDLE_VALUE || obj->kind != kind) {
        SetLastError(ERROR_INVALID_HANDLE);
        return NULL;
    }
    return obj;
}

WINBASEAPI BOOL WINAPI CloseHandle(HANDLE hObject)
{
    struct winsim_object *obj = hObject;

    if (!hObject || hObject == INVALID_HANDLE_VALUE) {
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    switch (obj->kind) {
    case WINSIM_MAPPING:
        /* The shared-memory object itself stays: POSIX has no "last handle closed" hook. */
        close(((struct winsim_mapping *)obj)->fd);
        break;
    case WINSIM_TOKEN:
        break;
    default:
        SetLastError(ERROR_INVALID_HANDLE);
        return FALSE;
    }
    obj->kind = 0;
    free(obj);
    return TRUE;
}

/* sweep.c — deletion trigger T3: MAPIInitialize deletes every profile marked for deletion that
 * its in-use list does not show, to clean up after processes that crashed or leaked a session.
 * This is the step that purges a live profile when the sweeper's in-use list is not the one its
 * holder registered in (bug 1: another account; bug 2: another login session). */
#include <stdlib.h>
#include <string.h>

#include "samples/mapi/mapisim.h"

/* Reads every subkey name of key. Returns the count, or -1 on failure; names are malloc'd. */
static int subkeys(HKEY key, char ***out)
{
    char **names = NULL, name[MAPISIM_PROFILE_MAX];
    int n = 0;

    for (DWORD i = 0;; i++) {
        DWORD cch = sizeof(name);
        LONG rc = RegEnumKeyExA(key, i, name, &cch, NULL, NULL, NULL, NULL);
        if (rc == ERROR_NO_MORE_ITEMS)
            break;
        if (rc == ERROR_MORE_DATA)
            continue; /* not a name we could ever have written */
        if (rc != ERROR_SUCCESS)
            goto fail;
        char **grown = realloc(names, (size_t)(n + 1) * sizeof(*names));
        if (!grown)
            goto fail;
        names = grown;
        if (!(names[n] = strdup(name)))
            goto fail;
        n++;
    }
    *out = names;
    return n;
fail:
    while (n--)
        free(names[n]);
    free(names);
    return -1;
}

HRESULT mapisim__sweep(const struct mapisim_view *view)
{
    HKEY profiles, marks;
    char **names = NULL;
    HRESULT hr = S_OK;
    int n;

    if (mapisim__open_profiles(&profiles) != ERROR_SUCCESS)
        return MAPI_E_CALL_FAILED;
    if (mapisim__inuse_lock() < 0) {
        RegCloseKey(profiles);
        return MAPI_E_CALL_FAILED;
    }
    if (RegOpenKeyExA(profiles, view->marks_key, 0, KEY_ALL_ACCESS, &marks) != ERROR_SUCCESS)
        goto out; /* nothing was ever marked */
    /* Names first: deleting while enumerating by index would skip entries. */
    n = subkeys(marks, &names);
    RegCloseKey(marks);
    if (n < 0) {
        hr = MAPI_E_CALL_FAILED;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        if (mapisim__inuse_count(names[i]) == 0)
            mapisim__purge(profiles, view->marks_key, names[i]);
        free(names[i]);
    }
    free(names);
out:
    mapisim__inuse_unlock();
    RegCloseKey(profiles);
    return hr;
}

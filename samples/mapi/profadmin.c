/* profadmin.c — MAPIAdminProfiles and IProfAdmin: CreateProfile, GetProfileTable, and
 * DeleteProfile, which deletes a profile nobody uses at once (trigger T1) and otherwise only
 * marks it for deletion, returning S_OK either way (as documented for MAPI). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapiguid.h>

#include "samples/mapi/mapisim.h"

struct profadmin {
    IProfAdmin iface; /* first: the object's address is its IProfAdmin */
    _Atomic ULONG refs;
};

static HRESULT STDMETHODCALLTYPE QueryInterface(IProfAdmin *This, REFIID riid, LPVOID *ppvObj)
{
    if (!ppvObj)
        return MAPI_E_INVALID_PARAMETER;
    if (!memcmp(riid, &IID_IUnknown, sizeof(IID)) || !memcmp(riid, &IID_IProfAdmin, sizeof(IID))) {
        This->lpVtbl->AddRef(This);
        *ppvObj = This;
        return S_OK;
    }
    *ppvObj = NULL;
    return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static ULONG STDMETHODCALLTYPE AddRef(IProfAdmin *This)
{
    return atomic_fetch_add(&((struct profadmin *)This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE Release(IProfAdmin *This)
{
    ULONG left = atomic_fetch_sub(&((struct profadmin *)This)->refs, 1) - 1;
    if (left == 0)
        free(This);
    return left;
}

static HRESULT STDMETHODCALLTYPE CreateProfile(IProfAdmin *This, LPSTR lpszProfileName,
                                               LPSTR lpszPassword, ULONG_PTR ulUIParam,
                                               ULONG ulFlags)
{
    char store[MAPISIM_PROFILE_MAX + 16];
    HKEY profiles, key;
    DWORD disposition;
    HRESULT hr = S_OK;
    LONG rc;

    if (!mapisim__valid_profile_name(lpszProfileName))
        return MAPI_E_INVALID_PARAMETER;
    if (mapisim__open_profiles(&profiles) != ERROR_SUCCESS)
        return MAPI_E_CALL_FAILED;
    rc = RegCreateKeyExA(profiles, lpszProfileName, 0, NULL, REG_OPTION_NON_VOLATILE,
                         KEY_ALL_ACCESS, NULL, &key, &disposition);
    RegCloseKey(profiles);
    if (rc != ERROR_SUCCESS)
        return rc == ERROR_ACCESS_DENIED ? MAPI_E_NO_ACCESS : MAPI_E_CALL_FAILED;
    if (disposition != REG_CREATED_NEW_KEY) {
        RegCloseKey(key);
        return MAPI_E_NO_ACCESS; /* the name is taken */
    }
    /* A message service with its store, reduced to the two values the services here read. */
    snprintf(store, sizeof(store), "Mailbox - %s", lpszProfileName);
    if (RegSetValueExA(key, MAPISIM_VALUE_DISPLAY_NAME, 0, REG_SZ, (const BYTE *)lpszProfileName,
                       (DWORD)strlen(lpszProfileName) + 1) != ERROR_SUCCESS ||
        RegSetValueExA(key, MAPISIM_VALUE_STORE, 0, REG_SZ, (const BYTE *)store,
                       (DWORD)strlen(store) + 1) != ERROR_SUCCESS)
        hr = MAPI_E_CALL_FAILED;
    RegCloseKey(key);
    return hr;
}

static HRESULT STDMETHODCALLTYPE DeleteProfile(IProfAdmin *This, LPSTR lpszProfileName,
                                               ULONG ulFlags)
{
    const struct mapisim_view *view = mapisim__view();
    HKEY profiles, key;
    HRESULT hr = S_OK;

    if (!view)
        return MAPI_E_NOT_INITIALIZED;
    if (!mapisim__valid_profile_name(lpszProfileName))
        return MAPI_E_INVALID_PARAMETER;
    if (mapisim__open_profiles(&profiles) != ERROR_SUCCESS)
        return MAPI_E_CALL_FAILED;
    if (mapisim__inuse_lock() < 0) {
        RegCloseKey(profiles);
        return MAPI_E_CALL_FAILED;
    }
    if (RegOpenKeyExA(profiles, lpszProfileName, 0, KEY_READ, &key) != ERROR_SUCCESS) {
        hr = MAPI_E_NOT_FOUND;
        goto out;
    }
    RegCloseKey(key);
    if (mapisim__inuse_count(lpszProfileName) > 0) {
        if (mapisim__mark(profiles, view->marks_key, lpszProfileName) != ERROR_SUCCESS)
            hr = MAPI_E_CALL_FAILED;
    } else if (mapisim__purge(profiles, view->marks_key, lpszProfileName) != ERROR_SUCCESS) {
        hr = MAPI_E_CALL_FAILED; /* T1 */
    }
out:
    mapisim__inuse_unlock();
    RegCloseKey(profiles);
    return hr;
}

static int add_name(char ***names, ULONG *n, const char *name)
{
    char **grown = realloc(*names, (*n + 1) * sizeof(**names));
    if (!grown)
        return -1;
    *names = grown;
    if (!(grown[*n] = strdup(name)))
        return -1;
    (*n)++;
    return 0;
}

static HRESULT STDMETHODCALLTYPE GetProfileTable(IProfAdmin *This, ULONG ulFlags,
                                                 LPMAPITABLE *lppTable)
{
    const struct mapisim_view *view = mapisim__view();
    char name[MAPISIM_PROFILE_MAX], **names = NULL;
    HRESULT hr = MAPI_E_NOT_ENOUGH_MEMORY;
    ULONG n = 0;
    HKEY profiles;

    if (!lppTable)
        return MAPI_E_INVALID_PARAMETER;
    if (!view)
        return MAPI_E_NOT_INITIALIZED;
    if (mapisim__open_profiles(&profiles) != ERROR_SUCCESS)
        return MAPI_E_CALL_FAILED;
    for (DWORD i = 0;; i++) {
        DWORD cch = sizeof(name);
        LONG rc = RegEnumKeyExA(profiles, i, name, &cch, NULL, NULL, NULL, NULL);
        if (rc == ERROR_NO_MORE_ITEMS)
            break;
        if (rc == ERROR_MORE_DATA)
            continue;
        if (rc != ERROR_SUCCESS) {
            hr = MAPI_E_CALL_FAILED;
            goto fail;
        }
        /* Marked profiles are left out, and so are the marks keys themselves. */
        if (!mapisim__valid_profile_name(name) ||
            mapisim__is_marked(profiles, view->marks_key, name))
            continue;
        if (add_name(&names, &n, name) < 0)
            goto fail;
    }
    RegCloseKey(profiles);
    hr = mapisim__new_table(names, n, lppTable);
    if (SUCCEEDED(hr))
        return hr;
    profiles = NULL;
fail:
    if (profiles)
        RegCloseKey(profiles);
    while (n--)
        free(names[n]);
    free(names);
    return hr;
}

/* The rest of the interface is not simulated. */
static HRESULT STDMETHODCALLTYPE GetLastError_(IProfAdmin *This, HRESULT hResult, ULONG ulFlags,
                                               LPMAPIERROR *lppMAPIError)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE ChangeProfilePassword(IProfAdmin *This, LPSTR lpszProfileName,
                                                       LPSTR lpszOldPassword, LPSTR lpszNewPassword,
                                                       ULONG ulFlags)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE CopyProfile(IProfAdmin *This, LPSTR lpszOldProfileName,
                                             LPSTR lpszOldPassword, LPSTR lpszNewProfileName,
                                             ULONG_PTR ulUIParam, ULONG ulFlags)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE RenameProfile(IProfAdmin *This, LPSTR lpszOldProfileName,
                                               LPSTR lpszOldPassword, LPSTR lpszNewProfileName,
                                               ULONG_PTR ulUIParam, ULONG ulFlags)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE SetDefaultProfile(IProfAdmin *This, LPSTR lpszProfileName,
                                                   ULONG ulFlags)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE AdminServices(IProfAdmin *This, LPSTR lpszProfileName,
                                               LPSTR lpszPassword, ULONG_PTR ulUIParam,
                                               ULONG ulFlags, LPSERVICEADMIN *lppServiceAdmin)
{
    return MAPI_E_NO_SUPPORT;
}

static const struct IProfAdminVtbl profadmin_vtbl = {
    QueryInterface,  AddRef,        Release,           GetLastError_,
    GetProfileTable, CreateProfile, DeleteProfile,     ChangeProfilePassword,
    CopyProfile,     RenameProfile, SetDefaultProfile, AdminServices,
};

STDAPI MAPIAdminProfiles(ULONG ulFlags, LPPROFADMIN *lppProfAdmin)
{
    struct profadmin *pa;

    if (!lppProfAdmin)
        return MAPI_E_INVALID_PARAMETER;
    if (!mapisim__view())
        return MAPI_E_NOT_INITIALIZED;
    pa = calloc(1, sizeof(*pa));
    if (!pa)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    pa->iface.lpVtbl = &profadmin_vtbl;
    atomic_init(&pa->refs, 1);
    *lppProfAdmin = &pa->iface;
    return S_OK;
}

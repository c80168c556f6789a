/* logon.c — MAPILogonEx: opens the profile's key (kept by the session until it logs off), checks
 * the profile is configured, and records the logon in the in-use list. */
#include "samples/mapi/mapisim.h"

STDAPI MAPILogonEx(ULONG_PTR ulUIParam, LPSTR lpszProfileName, LPSTR lpszPassword, FLAGS flFlags,
                   LPMAPISESSION *lppSession)
{
    char store[256];
    DWORD size = sizeof(store);
    HKEY profiles, key;
    HRESULT hr;
    LONG rc;

    if (!lppSession)
        return MAPI_E_INVALID_PARAMETER;
    if (!mapisim__view())
        return MAPI_E_NOT_INITIALIZED;
    if (flFlags & MAPI_UNICODE)
        return MAPI_E_BAD_CHARWIDTH;
    /* No logon dialog and no default profile here: the caller names its profile. */
    if (!mapisim__valid_profile_name(lpszProfileName))
        return MAPI_E_LOGON_FAILED;
    if (mapisim__open_profiles(&profiles) != ERROR_SUCCESS)
        return MAPI_E_CALL_FAILED;
    /* Under the lock, so no sweep can purge the profile between the open and the record. */
    if (mapisim__inuse_lock() < 0) {
        RegCloseKey(profiles);
        return MAPI_E_CALL_FAILED;
    }
    rc = RegOpenKeyExA(profiles, lpszProfileName, 0, KEY_READ, &key);
    if (rc != ERROR_SUCCESS) {
        hr = rc == ERROR_FILE_NOT_FOUND ? MAPI_E_NOT_FOUND : MAPI_E_LOGON_FAILED;
        goto out;
    }
    if (RegQueryValueExA(key, MAPISIM_VALUE_STORE, NULL, NULL, (LPBYTE)store, &size) !=
        ERROR_SUCCESS) {
        RegCloseKey(key);
        hr = MAPI_E_UNCONFIGURED;
        goto out;
    }
    if (mapisim__inuse_add(lpszProfileName) < 0) {
        RegCloseKey(key);
        hr = MAPI_E_SESSION_LIMIT;
        goto out;
    }
    hr = mapisim__new_session(lpszProfileName, key, lppSession);
    if (FAILED(hr)) {
        mapisim__inuse_remove(lpszProfileName);
        RegCloseKey(key);
    }
out:
    mapisim__inuse_unlock();
    RegCloseKey(profiles);
    return hr;
}

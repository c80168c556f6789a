/* session.c — IMAPISession: OpenMsgStore reads the profile through the key handle the session has
 * held since logon; Logoff (or the last Release) closes it, drops the in-use reference and, if
 * that was the last reference to a profile marked for deletion, deletes it (trigger T2). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapiguid.h>

#include "samples/mapi/mapisim.h"

struct session {
    IMAPISession iface; /* first: the object's address is its IMAPISession */
    _Atomic ULONG refs;
    HKEY profile_key; /* open from logon to logoff */
    int logged_off;
    char profile[MAPISIM_PROFILE_MAX];
};

static struct session *from_iface(IMAPISession *This)
{
    return (struct session *)This;
}

static HRESULT logoff(struct session *s)
{
    const struct mapisim_view *view = mapisim__view();
    HKEY profiles;

    if (s->logged_off)
        return S_OK;
    s->logged_off = 1;
    RegCloseKey(s->profile_key);
    s->profile_key = NULL;
    if (!view || mapisim__inuse_lock() < 0)
        return MAPI_E_CALL_FAILED;
    mapisim__inuse_remove(s->profile);
    if (mapisim__inuse_count(s->profile) == 0 &&
        mapisim__open_profiles(&profiles) == ERROR_SUCCESS) {
        if (mapisim__is_marked(profiles, view->marks_key, s->profile))
            mapisim__purge(profiles, view->marks_key, s->profile); /* T2 */
        RegCloseKey(profiles);
    }
    mapisim__inuse_unlock();
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE QueryInterface(IMAPISession *This, REFIID riid, LPVOID *ppvObj)
{
    if (!ppvObj)
        return MAPI_E_INVALID_PARAMETER;
    if (!memcmp(riid, &IID_IUnknown, sizeof(IID)) ||
        !memcmp(riid, &IID_IMAPISession, sizeof(IID))) {
        This->lpVtbl->AddRef(This);
        *ppvObj = This;
        return S_OK;
    }
    *ppvObj = NULL;
    return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static ULONG STDMETHODCALLTYPE AddRef(IMAPISession *This)
{
    return atomic_fetch_add(&from_iface(This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE Release(IMAPISession *This)
{
    struct session *s = from_iface(This);
    ULONG left = atomic_fetch_sub(&s->refs, 1) - 1;

    if (left == 0) {
        logoff(s); /* a leaked Logoff is done for the caller, as MAPI does */
        free(s);
    }
    return left;
}

static HRESULT STDMETHODCALLTYPE OpenMsgStore(IMAPISession *This, ULONG_PTR ulUIParam,
                                              ULONG cbEntryID, LPENTRYID lpEntryID,
                                              LPCIID lpInterface, ULONG ulFlags, LPMDB *lppMDB)
{
    struct session *s = from_iface(This);
    char store[256];
    DWORD size = sizeof(store) - 1;

    if (!lppMDB)
        return MAPI_E_INVALID_PARAMETER;
    if (s->logged_off)
        return MAPI_E_END_OF_SESSION;
    /* Every open re-reads the profile. When another process has purged it, this fails with
     * ERROR_KEY_DELETED and the caller only ever sees MAPI_E_CALL_FAILED — the case's symptom. */
    if (RegQueryValueExA(s->profile_key, MAPISIM_VALUE_STORE, NULL, NULL, (LPBYTE)store, &size) !=
        ERROR_SUCCESS)
        return MAPI_E_CALL_FAILED;
    store[size] = '\0';
    return mapisim__new_msgstore(store, lppMDB);
}

static HRESULT STDMETHODCALLTYPE Logoff(IMAPISession *This, ULONG_PTR ulUIParam, ULONG ulFlags,
                                        ULONG ulReserved)
{
    return logoff(from_iface(This));
}

/* The rest of the interface is not simulated. */
static HRESULT STDMETHODCALLTYPE GetLastError_(IMAPISession *This, HRESULT hResult, ULONG ulFlags,
                                               LPMAPIERROR *lppMAPIError)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE GetMsgStoresTable(IMAPISession *This, ULONG ulFlags,
                                                   LPMAPITABLE *lppTable)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE OpenEntry(IMAPISession *This, ULONG cbEntryID, LPENTRYID lpEntryID,
                                           LPCIID lpInterface, ULONG ulFlags, ULONG *lpulObjType,
                                           LPUNKNOWN *lppUnk)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE CompareEntryIDs(IMAPISession *This, ULONG cbEntryID1,
                                                 LPENTRYID lpEntryID1, ULONG cbEntryID2,
                                                 LPENTRYID lpEntryID2, ULONG ulFlags,
                                                 ULONG *lpulResult)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE Advise(IMAPISession *This, ULONG cbEntryID, LPENTRYID lpEntryID,
                                        ULONG ulEventMask, LPMAPIADVISESINK lpAdviseSink,
                                        ULONG_PTR *lpulConnection)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE Unadvise(IMAPISession *This, ULONG_PTR ulConnection)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE MessageOptions(IMAPISession *This, ULONG_PTR ulUIParam,
                                                ULONG ulFlags, LPSTR lpszAdrType,
                                                LPMESSAGE lpMessage)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE QueryDefaultMessageOpt(IMAPISession *This, LPSTR lpszAdrType,
                                                        ULONG ulFlags, ULONG *lpcValues,
                                                        LPSPropValue *lppOptions)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE EnumAdrTypes(IMAPISession *This, ULONG ulFlags, ULONG *lpcAdrTypes,
                                              LPSTR **lpppszAdrTypes)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE QueryIdentity(IMAPISession *This, ULONG *lpcbEntryID,
                                               LPENTRYID *lppEntryID)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE SetDefaultStore(IMAPISession *This, ULONG ulFlags, ULONG cbEntryID,
                                                 LPENTRYID lpEntryID)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE AdminServices(IMAPISession *This, ULONG ulFlags,
                                               LPSERVICEADMIN *lppServiceAdmin)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE ShowForm(IMAPISession *This, ULONG_PTR ulUIParam, LPMDB lpMsgStore,
                                          LPMAPIFOLDER lpParentFolder, LPCIID lpInterface,
                                          ULONG ulMessageToken, LPMESSAGE lpMessageSent,
                                          ULONG ulFlags, ULONG ulMessageStatus,
                                          ULONG ulMessageFlags, ULONG ulAccess,
                                          LPSTR lpszMessageClass)
{
    return MAPI_E_NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE PrepareForm(IMAPISession *This, LPCIID lpInterface,
                                             LPMESSAGE lpMessage, ULONG *lpulMessageToken)
{
    return MAPI_E_NO_SUPPORT;
}

static const struct IMAPISessionVtbl session_vtbl = {
    QueryInterface,
    AddRef,
    Release,
    GetLastError_,
    GetMsgStoresTable,
    OpenMsgStore,
    OpenEntry,
    CompareEntryIDs,
    Advise,
    Unadvise,
    MessageOptions,
    QueryDefaultMessageOpt,
    EnumAdrTypes,
    QueryIdentity,
    Logoff,
    SetDefaultStore,
    AdminServices,
    ShowForm,
    PrepareForm,
};

HRESULT mapisim__new_session(const char *profile, HKEY profile_key, LPMAPISESSION *out)
{
    struct session *s = calloc(1, sizeof(*s));

    if (!s)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    s->iface.lpVtbl = &session_vtbl;
    atomic_init(&s->refs, 1);
    s->profile_key = profile_key;
    snprintf(s->profile, sizeof(s->profile), "%s", profile);
    *out = &s->iface;
    return S_OK;
}

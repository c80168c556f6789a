/* msgstore.c — IMsgStore: the store a session opened. Only what the services here need is
 * simulated: reference counting, GetProps(PR_DISPLAY_NAME_A), StoreLogoff. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mapiguid.h>

#include "samples/mapi/mapisim.h"

struct msgstore {
    IMsgStore iface; /* first: the object's address is its IMsgStore */
    _Atomic ULONG refs;
    char display_name[256];
};

#define NO_SUPPORT return MAPI_E_NO_SUPPORT

static HRESULT STDMETHODCALLTYPE QueryInterface(IMsgStore *This, REFIID riid, LPVOID *ppvObj)
{
    if (!ppvObj)
        return MAPI_E_INVALID_PARAMETER;
    if (!memcmp(riid, &IID_IUnknown, sizeof(IID)) || !memcmp(riid, &IID_IMAPIProp, sizeof(IID)) ||
        !memcmp(riid, &IID_IMsgStore, sizeof(IID))) {
        This->lpVtbl->AddRef(This);
        *ppvObj = This;
        return S_OK;
    }
    *ppvObj = NULL;
    return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static ULONG STDMETHODCALLTYPE AddRef(IMsgStore *This)
{
    return atomic_fetch_add(&((struct msgstore *)This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE Release(IMsgStore *This)
{
    ULONG left = atomic_fetch_sub(&((struct msgstore *)This)->refs, 1) - 1;
    if (left == 0)
        free(This);
    return left;
}

static HRESULT STDMETHODCALLTYPE GetProps(IMsgStore *This, LPSPropTagArray lpPropTagArray,
                                          ULONG ulFlags, ULONG *lpcValues,
                                          LPSPropValue *lppPropArray)
{
    static const SizedSPropTagArray(1, all) = {1, {PR_DISPLAY_NAME_A}};
    struct msgstore *st = (struct msgstore *)This;
    LPSPropTagArray tags = lpPropTagArray ? lpPropTagArray : (LPSPropTagArray)&all;
    LPSPropValue props;
    HRESULT hr = S_OK;

    if (!lpcValues || !lppPropArray)
        return MAPI_E_INVALID_PARAMETER;
    if (MAPIAllocateBuffer(tags->cValues * sizeof(SPropValue), (LPVOID *)&props) != S_OK)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    for (ULONG i = 0; i < tags->cValues; i++) {
        ULONG tag = tags->aulPropTag[i];
        if (tag == PR_DISPLAY_NAME_A) {
            size_t len = strlen(st->display_name) + 1;
            props[i].ulPropTag = tag;
            if (MAPIAllocateMore((ULONG)len, props, (LPVOID *)&props[i].Value.lpszA) != S_OK) {
                MAPIFreeBuffer(props);
                return MAPI_E_NOT_ENOUGH_MEMORY;
            }
            memcpy(props[i].Value.lpszA, st->display_name, len);
        } else {
            props[i].ulPropTag = PROP_TAG(PT_ERROR, PROP_ID(tag));
            props[i].Value.err = MAPI_E_NOT_FOUND;
            hr = MAPI_W_ERRORS_RETURNED;
        }
    }
    *lpcValues = tags->cValues;
    *lppPropArray = props;
    return hr;
}

static HRESULT STDMETHODCALLTYPE StoreLogoff(IMsgStore *This, ULONG *lpulFlags)
{
    return S_OK;
}

/* The rest of IMAPIProp and IMsgStore is not simulated. */
static HRESULT STDMETHODCALLTYPE GetLastError_(IMsgStore *This, HRESULT hResult, ULONG ulFlags,
                                               LPMAPIERROR *lppMAPIError)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE SaveChanges(IMsgStore *This, ULONG ulFlags)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE GetPropList(IMsgStore *This, ULONG ulFlags,
                                             LPSPropTagArray *lppPropTagArray)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE OpenProperty(IMsgStore *This, ULONG ulPropTag, LPCIID lpiid,
                                              ULONG ulInterfaceOptions, ULONG ulFlags,
                                              LPUNKNOWN *lppUnk)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE SetProps(IMsgStore *This, ULONG cValues, LPSPropValue lpPropArray,
                                          LPSPropProblemArray *lppProblems)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE DeleteProps(IMsgStore *This, LPSPropTagArray lpPropTagArray,
                                             LPSPropProblemArray *lppProblems)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE CopyTo(IMsgStore *This, ULONG ciidExclude, LPCIID rgiidExclude,
                                        LPSPropTagArray lpExcludeProps, ULONG_PTR ulUIParam,
                                        LPMAPIPROGRESS lpProgress, LPCIID lpInterface,
                                        LPVOID lpDestObj, ULONG ulFlags,
                                        LPSPropProblemArray *lppProblems)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE CopyProps(IMsgStore *This, LPSPropTagArray lpIncludeProps,
                                           ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress,
                                           LPCIID lpInterface, LPVOID lpDestObj, ULONG ulFlags,
                                           LPSPropProblemArray *lppProblems)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE GetNamesFromIDs(IMsgStore *This, LPSPropTagArray *lppPropTags,
                                                 LPGUID lpPropSetGuid, ULONG ulFlags,
                                                 ULONG *lpcPropNames, LPMAPINAMEID **lpppPropNames)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE GetIDsFromNames(IMsgStore *This, ULONG cPropNames,
                                                 LPMAPINAMEID *lppPropNames, ULONG ulFlags,
                                                 LPSPropTagArray *lppPropTags)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE Advise(IMsgStore *This, ULONG cbEntryID, LPENTRYID lpEntryID,
                                        ULONG ulEventMask, LPMAPIADVISESINK lpAdviseSink,
                                        ULONG_PTR *lpulConnection)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE Unadvise(IMsgStore *This, ULONG_PTR ulConnection)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE CompareEntryIDs(IMsgStore *This, ULONG cbEntryID1,
                                                 LPENTRYID lpEntryID1, ULONG cbEntryID2,
                                                 LPENTRYID lpEntryID2, ULONG ulFlags,
                                                 ULONG *lpulResult)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE OpenEntry(IMsgStore *This, ULONG cbEntryID, LPENTRYID lpEntryID,
                                           LPCIID lpInterface, ULONG ulFlags, ULONG *lpulObjType,
                                           LPUNKNOWN *lppUnk)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE SetReceiveFolder(IMsgStore *This, LPSTR lpszMessageClass,
                                                  ULONG ulFlags, ULONG cbEntryID,
                                                  LPENTRYID lpEntryID)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE GetReceiveFolder(IMsgStore *This, LPSTR lpszMessageClass,
                                                  ULONG ulFlags, ULONG *lpcbEntryID,
                                                  LPENTRYID *lppEntryID, LPSTR *lppszExplicitClass)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE GetReceiveFolderTable(IMsgStore *This, ULONG ulFlags,
                                                       LPMAPITABLE *lppTable)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE AbortSubmit(IMsgStore *This, ULONG cbEntryID, LPENTRYID lpEntryID,
                                             ULONG ulFlags)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE GetOutgoingQueue(IMsgStore *This, ULONG ulFlags,
                                                  LPMAPITABLE *lppTable)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE SetLockState(IMsgStore *This, LPMESSAGE lpMessage,
                                              ULONG ulLockState)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE FinishedMsg(IMsgStore *This, ULONG ulFlags, ULONG cbEntryID,
                                             LPENTRYID lpEntryID)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE NotifyNewMail(IMsgStore *This, LPNOTIFICATION lpNotification)
{
    NO_SUPPORT;
}

static const struct IMsgStoreVtbl msgstore_vtbl = {
    QueryInterface,   AddRef,           Release,
    GetLastError_,    SaveChanges,      GetProps,
    GetPropList,      OpenProperty,     SetProps,
    DeleteProps,      CopyTo,           CopyProps,
    GetNamesFromIDs,  GetIDsFromNames,  Advise,
    Unadvise,         CompareEntryIDs,  OpenEntry,
    SetReceiveFolder, GetReceiveFolder, GetReceiveFolderTable,
    StoreLogoff,      AbortSubmit,      GetOutgoingQueue,
    SetLockState,     FinishedMsg,      NotifyNewMail,
};

HRESULT mapisim__new_msgstore(const char *display_name, LPMDB *out)
{
    struct msgstore *st = calloc(1, sizeof(*st));

    if (!st)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    st->iface.lpVtbl = &msgstore_vtbl;
    atomic_init(&st->refs, 1);
    snprintf(st->display_name, sizeof(st->display_name), "%s", display_name);
    *out = &st->iface;
    return S_OK;
}

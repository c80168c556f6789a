/* table.c — IMAPITable over a fixed list of profile names (IProfAdmin::GetProfileTable): rows
 * of PR_DISPLAY_NAME_A and PR_DEFAULT_PROFILE, read with GetRowCount / SeekRow / QueryRows. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <mapiguid.h>
#include <mapiutil.h>

#include "samples/mapi/mapisim.h"

struct table {
    IMAPITable iface; /* first: the object's address is its IMAPITable */
    _Atomic ULONG refs;
    char **names;
    ULONG count;
    ULONG pos;
};

#define NO_SUPPORT return MAPI_E_NO_SUPPORT

static struct table *from_iface(IMAPITable *This)
{
    return (struct table *)This;
}

static HRESULT STDMETHODCALLTYPE QueryInterface(IMAPITable *This, REFIID riid, LPVOID *ppvObj)
{
    if (!ppvObj)
        return MAPI_E_INVALID_PARAMETER;
    if (!memcmp(riid, &IID_IUnknown, sizeof(IID)) || !memcmp(riid, &IID_IMAPITable, sizeof(IID))) {
        This->lpVtbl->AddRef(This);
        *ppvObj = This;
        return S_OK;
    }
    *ppvObj = NULL;
    return MAPI_E_INTERFACE_NOT_SUPPORTED;
}

static ULONG STDMETHODCALLTYPE AddRef(IMAPITable *This)
{
    return atomic_fetch_add(&from_iface(This)->refs, 1) + 1;
}

static ULONG STDMETHODCALLTYPE Release(IMAPITable *This)
{
    struct table *t = from_iface(This);
    ULONG left = atomic_fetch_sub(&t->refs, 1) - 1;

    if (left == 0) {
        for (ULONG i = 0; i < t->count; i++)
            free(t->names[i]);
        free(t->names);
        free(t);
    }
    return left;
}

static HRESULT STDMETHODCALLTYPE SetColumns(IMAPITable *This, LPSPropTagArray lpPropTagArray,
                                            ULONG ulFlags)
{
    return S_OK; /* the two columns are always returned */
}

static HRESULT STDMETHODCALLTYPE GetRowCount(IMAPITable *This, ULONG ulFlags, ULONG *lpulCount)
{
    if (!lpulCount)
        return MAPI_E_INVALID_PARAMETER;
    *lpulCount = from_iface(This)->count;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE SeekRow(IMAPITable *This, BOOKMARK bkOrigin, LONG lRowCount,
                                         LONG *lplRowsSought)
{
    struct table *t = from_iface(This);
    long base, target;

    if (bkOrigin == BOOKMARK_BEGINNING)
        base = 0;
    else if (bkOrigin == BOOKMARK_CURRENT)
        base = (long)t->pos;
    else if (bkOrigin == BOOKMARK_END)
        base = (long)t->count;
    else
        return MAPI_E_INVALID_PARAMETER;
    target = base + lRowCount;
    if (target < 0)
        target = 0;
    if (target > (long)t->count)
        target = (long)t->count;
    if (lplRowsSought)
        *lplRowsSought = (LONG)(target - base);
    t->pos = (ULONG)target;
    return S_OK;
}

static HRESULT STDMETHODCALLTYPE QueryRows(IMAPITable *This, LONG lRowCount, ULONG ulFlags,
                                           LPSRowSet *lppRows)
{
    struct table *t = from_iface(This);
    ULONG n = 0;
    LPSRowSet rows;

    if (!lppRows || lRowCount < 0)
        return MAPI_E_INVALID_PARAMETER;
    if ((ULONG)lRowCount > t->count - t->pos)
        lRowCount = (LONG)(t->count - t->pos);
    if (MAPIAllocateBuffer((ULONG)CbNewSRowSet(lRowCount ? lRowCount : 1), (LPVOID *)&rows) != S_OK)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    for (; n < (ULONG)lRowCount; n++) {
        const char *name = t->names[t->pos + n];
        size_t len = strlen(name) + 1;
        LPSPropValue props;
        /* One block per row: the two properties, then the name they point to. */
        if (MAPIAllocateBuffer((ULONG)(2 * sizeof(SPropValue) + len), (LPVOID *)&props) != S_OK) {
            rows->cRows = n;
            FreeProws(rows);
            return MAPI_E_NOT_ENOUGH_MEMORY;
        }
        props[0].ulPropTag = PR_DISPLAY_NAME_A;
        props[0].Value.lpszA = (LPSTR)(props + 2);
        memcpy(props[0].Value.lpszA, name, len);
        props[1].ulPropTag = PR_DEFAULT_PROFILE;
        props[1].Value.b = FALSE;
        rows->aRow[n].cValues = 2;
        rows->aRow[n].lpProps = props;
    }
    rows->cRows = n;
    t->pos += n;
    *lppRows = rows;
    return S_OK;
}

/* The rest of the interface is not simulated. */
static HRESULT STDMETHODCALLTYPE GetLastError_(IMAPITable *This, HRESULT hResult, ULONG ulFlags,
                                               LPMAPIERROR *lppMAPIError)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE Advise(IMAPITable *This, ULONG ulEventMask,
                                        LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE Unadvise(IMAPITable *This, ULONG_PTR ulConnection)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE GetStatus(IMAPITable *This, ULONG *lpulTableStatus,
                                           ULONG *lpulTableType)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE QueryColumns(IMAPITable *This, ULONG ulFlags,
                                              LPSPropTagArray *lpPropTagArray)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE SeekRowApprox(IMAPITable *This, ULONG ulNumerator,
                                               ULONG ulDenominator)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE QueryPosition(IMAPITable *This, ULONG *lpulRow,
                                               ULONG *lpulNumerator, ULONG *lpulDenominator)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE FindRow(IMAPITable *This, LPSRestriction lpRestriction,
                                         BOOKMARK bkOrigin, ULONG ulFlags)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE Restrict(IMAPITable *This, LPSRestriction lpRestriction,
                                          ULONG ulFlags)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE CreateBookmark(IMAPITable *This, BOOKMARK *lpbkPosition)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE FreeBookmark(IMAPITable *This, BOOKMARK bkPosition)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE SortTable(IMAPITable *This, LPSSortOrderSet lpSortCriteria,
                                           ULONG ulFlags)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE QuerySortOrder(IMAPITable *This, LPSSortOrderSet *lppSortCriteria)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE Abort(IMAPITable *This)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE ExpandRow(IMAPITable *This, ULONG cbInstanceKey,
                                           LPBYTE pbInstanceKey, ULONG ulRowCount, ULONG ulFlags,
                                           LPSRowSet *lppRows, ULONG *lpulMoreRows)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE CollapseRow(IMAPITable *This, ULONG cbInstanceKey,
                                             LPBYTE pbInstanceKey, ULONG ulFlags,
                                             ULONG *lpulRowCount)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE WaitForCompletion(IMAPITable *This, ULONG ulFlags, ULONG ulTimeout,
                                                   ULONG *lpulTableStatus)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE GetCollapseState(IMAPITable *This, ULONG ulFlags,
                                                  ULONG cbInstanceKey, LPBYTE lpbInstanceKey,
                                                  ULONG *lpcbCollapseState,
                                                  LPBYTE *lppbCollapseState)
{
    NO_SUPPORT;
}
static HRESULT STDMETHODCALLTYPE SetCollapseState(IMAPITable *This, ULONG ulFlags,
                                                  ULONG cbCollapseState, LPBYTE pbCollapseState,
                                                  BOOKMARK *lpbkLocation)
{
    NO_SUPPORT;
}

static const struct IMAPITableVtbl table_vtbl = {
    QueryInterface,   AddRef,           Release,
    GetLastError_,    Advise,           Unadvise,
    GetStatus,        SetColumns,       QueryColumns,
    GetRowCount,      SeekRow,          SeekRowApprox,
    QueryPosition,    FindRow,          Restrict,
    CreateBookmark,   FreeBookmark,     SortTable,
    QuerySortOrder,   QueryRows,        Abort,
    ExpandRow,        CollapseRow,      WaitForCompletion,
    GetCollapseState, SetCollapseState,
};

HRESULT mapisim__new_table(char **names, ULONG count, LPMAPITABLE *out)
{
    struct table *t = calloc(1, sizeof(*t));

    if (!t)
        return MAPI_E_NOT_ENOUGH_MEMORY;
    t->iface.lpVtbl = &table_vtbl;
    atomic_init(&t->refs, 1);
    t->names = names;
    t->count = count;
    *out = &t->iface;
    return S_OK;
}

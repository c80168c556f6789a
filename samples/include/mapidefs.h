/* mapidefs.h — MAPI base types and the interfaces libmapisim's objects implement: IUnknown,
 * IMAPIProp, IMsgStore, IMAPITable. C binding as in the real headers: every object starts with
 * `lpVtbl`, a pointer to its method table, slots in the real order. */
#ifndef MAPISIM_MAPIDEFS_H
#define MAPISIM_MAPIDEFS_H

#include <windows.h>
#include <mapicode.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Hand-aligned declarations, kept as written. */
/* clang-format off */

#define STDMETHODCALLTYPE
#define STDAPI_(type) __attribute__((visibility("default"))) type
#define STDAPI STDAPI_(HRESULT)
#define MAPI_DIM 1

typedef ULONG FLAGS;
typedef IID *LPGUID;
typedef ULONG_PTR BOOKMARK;
#define BOOKMARK_BEGINNING ((BOOKMARK)0)
#define BOOKMARK_CURRENT ((BOOKMARK)1)
#define BOOKMARK_END ((BOOKMARK)2)

typedef struct {
    BYTE abFlags[4];
    BYTE ab[MAPI_DIM];
} ENTRYID, *LPENTRYID;

typedef struct _MAPIUID {
    BYTE ab[16];
} MAPIUID, *LPMAPIUID;

typedef struct _MAPIERROR {
    ULONG ulVersion;
    LPSTR lpszError;
    LPSTR lpszComponent;
    ULONG ulLowLevelError;
    ULONG ulContext;
} MAPIERROR, *LPMAPIERROR;

/* Property tags: type in the low word, id in the high word. */
#define PROP_TYPE(tag) ((ULONG)(tag)&0xFFFF)
#define PROP_ID(tag) (((ULONG)(tag)) >> 16)
#define PROP_TAG(type, id) ((((ULONG)(id)) << 16) | ((ULONG)(type)))
#define PT_UNSPECIFIED 0x0000
#define PT_NULL 0x0001
#define PT_I2 0x0002
#define PT_LONG 0x0003
#define PT_BOOLEAN 0x000B
#define PT_ERROR 0x000A
#define PT_STRING8 0x001E
#define PT_UNICODE 0x001F
#define PT_BINARY 0x0102

#define PR_DISPLAY_NAME_A PROP_TAG(PT_STRING8, 0x3001)
#define PR_DISPLAY_NAME PR_DISPLAY_NAME_A
#define PR_DEFAULT_PROFILE PROP_TAG(PT_BOOLEAN, 0x3D04)
#define PR_PROVIDER_DISPLAY_A PROP_TAG(PT_STRING8, 0x3006)

typedef struct _SBinary {
    ULONG cb;
    LPBYTE lpb;
} SBinary, *LPSBinary;

typedef union _PV {
    short int i;
    LONG l;
    ULONG ul;
    float flt;
    double dbl;
    unsigned short int b;
    LPSTR lpszA;
    SBinary bin;
    SCODE err;
    LONG x;
} __UPV;

typedef struct _SPropValue {
    ULONG ulPropTag;
    ULONG dwAlignPad;
    union _PV Value;
} SPropValue, *LPSPropValue;

typedef struct _SPropTagArray {
    ULONG cValues;
    ULONG aulPropTag[MAPI_DIM];
} SPropTagArray, *LPSPropTagArray;

#define SizedSPropTagArray(n, name)                                                                \
    struct _SPropTagArray_##name {                                                                 \
        ULONG cValues;                                                                             \
        ULONG aulPropTag[n];                                                                       \
    } name

typedef struct _SPropProblemArray *LPSPropProblemArray;
typedef struct _SRestriction *LPSRestriction;
typedef struct _SSortOrderSet *LPSSortOrderSet;
typedef struct _MAPINAMEID *LPMAPINAMEID;
typedef struct _NOTIFICATION *LPNOTIFICATION;

typedef struct _SRow {
    ULONG ulAdrEntryPad;
    ULONG cValues;
    LPSPropValue lpProps;
} SRow, *LPSRow;

typedef struct _SRowSet {
    ULONG cRows;
    SRow aRow[MAPI_DIM];
} SRowSet, *LPSRowSet;

#define CbNewSRowSet(c) (offsetof(SRowSet, aRow) + (c) * sizeof(SRow))

/* Interfaces whose methods libmapisim never offers: only pointers to them appear here. */
typedef struct IMAPIAdviseSink IMAPIAdviseSink, *LPMAPIADVISESINK;
typedef struct IMAPIProgress IMAPIProgress, *LPMAPIPROGRESS;
typedef struct IMessage IMessage, *LPMESSAGE;
typedef struct IMAPIFolder IMAPIFolder, *LPMAPIFOLDER;
typedef struct IMsgServiceAdmin IMsgServiceAdmin, *LPSERVICEADMIN;

/* IUnknown */
typedef struct IUnknown IUnknown, *LPUNKNOWN;
struct IUnknownVtbl {
    HRESULT(STDMETHODCALLTYPE *QueryInterface)(IUnknown *This, REFIID riid, LPVOID *ppvObj);
    ULONG(STDMETHODCALLTYPE *AddRef)(IUnknown *This);
    ULONG(STDMETHODCALLTYPE *Release)(IUnknown *This);
};
struct IUnknown {
    const struct IUnknownVtbl *lpVtbl;
};

/* The IMAPIProp methods, shared by every property object (here: the message store). */
#define MAPISIM_IMAPIPROP_METHODS(I)                                                               \
    HRESULT(STDMETHODCALLTYPE *GetLastError)(I * This, HRESULT hResult, ULONG ulFlags,             \
                                              LPMAPIERROR * lppMAPIError);                         \
    HRESULT(STDMETHODCALLTYPE *SaveChanges)(I * This, ULONG ulFlags);                              \
    HRESULT(STDMETHODCALLTYPE *GetProps)(I * This, LPSPropTagArray lpPropTagArray, ULONG ulFlags,  \
                                          ULONG * lpcValues, LPSPropValue * lppPropArray);         \
    HRESULT(STDMETHODCALLTYPE *GetPropList)(I * This, ULONG ulFlags,                               \
                                             LPSPropTagArray * lppPropTagArray);                   \
    HRESULT(STDMETHODCALLTYPE *OpenProperty)(I * This, ULONG ulPropTag, LPCIID lpiid,              \
                                              ULONG ulInterfaceOptions, ULONG ulFlags,             \
                                              LPUNKNOWN * lppUnk);                                 \
    HRESULT(STDMETHODCALLTYPE *SetProps)(I * This, ULONG cValues, LPSPropValue lpPropArray,        \
                                          LPSPropProblemArray * lppProblems);                      \
    HRESULT(STDMETHODCALLTYPE *DeleteProps)(I * This, LPSPropTagArray lpPropTagArray,              \
                                             LPSPropProblemArray * lppProblems);                   \
    HRESULT(STDMETHODCALLTYPE *CopyTo)(I * This, ULONG ciidExclude, LPCIID rgiidExclude,           \
                                        LPSPropTagArray lpExcludeProps, ULONG_PTR ulUIParam,       \
                                        LPMAPIPROGRESS lpProgress, LPCIID lpInterface,             \
                                        LPVOID lpDestObj, ULONG ulFlags,                           \
                                        LPSPropProblemArray * lppProblems);                        \
    HRESULT(STDMETHODCALLTYPE *CopyProps)(I * This, LPSPropTagArray lpIncludeProps,                \
                                           ULONG_PTR ulUIParam, LPMAPIPROGRESS lpProgress,         \
                                           LPCIID lpInterface, LPVOID lpDestObj, ULONG ulFlags,    \
                                           LPSPropProblemArray * lppProblems);                     \
    HRESULT(STDMETHODCALLTYPE *GetNamesFromIDs)(I * This, LPSPropTagArray * lppPropTags,           \
                                                 LPGUID lpPropSetGuid, ULONG ulFlags,              \
                                                 ULONG * lpcPropNames,                             \
                                                 LPMAPINAMEID * *lpppPropNames);                   \
    HRESULT(STDMETHODCALLTYPE *GetIDsFromNames)(I * This, ULONG cPropNames,                        \
                                                 LPMAPINAMEID * lppPropNames, ULONG ulFlags,       \
                                                 LPSPropTagArray * lppPropTags);

#define MAPISIM_IUNKNOWN_METHODS(I)                                                                \
    HRESULT(STDMETHODCALLTYPE *QueryInterface)(I * This, REFIID riid, LPVOID * ppvObj);            \
    ULONG(STDMETHODCALLTYPE *AddRef)(I * This);                                                    \
    ULONG(STDMETHODCALLTYPE *Release)(I * This);

typedef struct IMAPITable IMAPITable, *LPMAPITABLE;

/* IMsgStore */
typedef struct IMsgStore IMsgStore, *LPMDB;
struct IMsgStoreVtbl {
    MAPISIM_IUNKNOWN_METHODS(IMsgStore)
    MAPISIM_IMAPIPROP_METHODS(IMsgStore)
    HRESULT(STDMETHODCALLTYPE *Advise)(IMsgStore *This, ULONG cbEntryID, LPENTRYID lpEntryID,
                                        ULONG ulEventMask, LPMAPIADVISESINK lpAdviseSink,
                                        ULONG_PTR *lpulConnection);
    HRESULT(STDMETHODCALLTYPE *Unadvise)(IMsgStore *This, ULONG_PTR ulConnection);
    HRESULT(STDMETHODCALLTYPE *CompareEntryIDs)(IMsgStore *This, ULONG cbEntryID1,
                                                 LPENTRYID lpEntryID1, ULONG cbEntryID2,
                                                 LPENTRYID lpEntryID2, ULONG ulFlags,
                                                 ULONG *lpulResult);
    HRESULT(STDMETHODCALLTYPE *OpenEntry)(IMsgStore *This, ULONG cbEntryID, LPENTRYID lpEntryID,
                                           LPCIID lpInterface, ULONG ulFlags, ULONG *lpulObjType,
                                           LPUNKNOWN *lppUnk);
    HRESULT(STDMETHODCALLTYPE *SetReceiveFolder)(IMsgStore *This, LPSTR lpszMessageClass,
                                                  ULONG ulFlags, ULONG cbEntryID,
                                                  LPENTRYID lpEntryID);
    HRESULT(STDMETHODCALLTYPE *GetReceiveFolder)(IMsgStore *This, LPSTR lpszMessageClass,
                                                  ULONG ulFlags, ULONG *lpcbEntryID,
                                                  LPENTRYID *lppEntryID,
                                                  LPSTR *lppszExplicitClass);
    HRESULT(STDMETHODCALLTYPE *GetReceiveFolderTable)(IMsgStore *This, ULONG ulFlags,
                                                       LPMAPITABLE *lppTable);
    HRESULT(STDMETHODCALLTYPE *StoreLogoff)(IMsgStore *This, ULONG *lpulFlags);
    HRESULT(STDMETHODCALLTYPE *AbortSubmit)(IMsgStore *This, ULONG cbEntryID, LPENTRYID lpEntryID,
                                             ULONG ulFlags);
    HRESULT(STDMETHODCALLTYPE *GetOutgoingQueue)(IMsgStore *This, ULONG ulFlags,
                                                  LPMAPITABLE *lppTable);
    HRESULT(STDMETHODCALLTYPE *SetLockState)(IMsgStore *This, LPMESSAGE lpMessage,
                                              ULONG ulLockState);
    HRESULT(STDMETHODCALLTYPE *FinishedMsg)(IMsgStore *This, ULONG ulFlags, ULONG cbEntryID,
                                             LPENTRYID lpEntryID);
    HRESULT(STDMETHODCALLTYPE *NotifyNewMail)(IMsgStore *This, LPNOTIFICATION lpNotification);
};
struct IMsgStore {
    const struct IMsgStoreVtbl *lpVtbl;
};

/* IMAPITable */
struct IMAPITableVtbl {
    MAPISIM_IUNKNOWN_METHODS(IMAPITable)
    HRESULT(STDMETHODCALLTYPE *GetLastError)(IMAPITable *This, HRESULT hResult, ULONG ulFlags,
                                              LPMAPIERROR *lppMAPIError);
    HRESULT(STDMETHODCALLTYPE *Advise)(IMAPITable *This, ULONG ulEventMask,
                                        LPMAPIADVISESINK lpAdviseSink, ULONG_PTR *lpulConnection);
    HRESULT(STDMETHODCALLTYPE *Unadvise)(IMAPITable *This, ULONG_PTR ulConnection);
    HRESULT(STDMETHODCALLTYPE *GetStatus)(IMAPITable *This, ULONG *lpulTableStatus,
                                           ULONG *lpulTableType);
    HRESULT(STDMETHODCALLTYPE *SetColumns)(IMAPITable *This, LPSPropTagArray lpPropTagArray,
                                            ULONG ulFlags);
    HRESULT(STDMETHODCALLTYPE *QueryColumns)(IMAPITable *This, ULONG ulFlags,
                                              LPSPropTagArray *lpPropTagArray);
    HRESULT(STDMETHODCALLTYPE *GetRowCount)(IMAPITable *This, ULONG ulFlags, ULONG *lpulCount);
    HRESULT(STDMETHODCALLTYPE *SeekRow)(IMAPITable *This, BOOKMARK bkOrigin, LONG lRowCount,
                                         LONG *lplRowsSought);
    HRESULT(STDMETHODCALLTYPE *SeekRowApprox)(IMAPITable *This, ULONG ulNumerator,
                                               ULONG ulDenominator);
    HRESULT(STDMETHODCALLTYPE *QueryPosition)(IMAPITable *This, ULONG *lpulRow,
                                               ULONG *lpulNumerator, ULONG *lpulDenominator);
    HRESULT(STDMETHODCALLTYPE *FindRow)(IMAPITable *This, LPSRestriction lpRestriction,
                                         BOOKMARK bkOrigin, ULONG ulFlags);
    HRESULT(STDMETHODCALLTYPE *Restrict)(IMAPITable *This, LPSRestriction lpRestriction,
                                          ULONG ulFlags);
    HRESULT(STDMETHODCALLTYPE *CreateBookmark)(IMAPITable *This, BOOKMARK *lpbkPosition);
    HRESULT(STDMETHODCALLTYPE *FreeBookmark)(IMAPITable *This, BOOKMARK bkPosition);
    HRESULT(STDMETHODCALLTYPE *SortTable)(IMAPITable *This, LPSSortOrderSet lpSortCriteria,
                                           ULONG ulFlags);
    HRESULT(STDMETHODCALLTYPE *QuerySortOrder)(IMAPITable *This,
                                                LPSSortOrderSet *lppSortCriteria);
    HRESULT(STDMETHODCALLTYPE *QueryRows)(IMAPITable *This, LONG lRowCount, ULONG ulFlags,
                                           LPSRowSet *lppRows);
    HRESULT(STDMETHODCALLTYPE *Abort)(IMAPITable *This);
    HRESULT(STDMETHODCALLTYPE *ExpandRow)(IMAPITable *This, ULONG cbInstanceKey,
                                           LPBYTE pbInstanceKey, ULONG ulRowCount, ULONG ulFlags,
                                           LPSRowSet *lppRows, ULONG *lpulMoreRows);
    HRESULT(STDMETHODCALLTYPE *CollapseRow)(IMAPITable *This, ULONG cbInstanceKey,
                                             LPBYTE pbInstanceKey, ULONG ulFlags,
                                             ULONG *lpulRowCount);
    HRESULT(STDMETHODCALLTYPE *WaitForCompletion)(IMAPITable *This, ULONG ulFlags,
                                                   ULONG ulTimeout, ULONG *lpulTableStatus);
    HRESULT(STDMETHODCALLTYPE *GetCollapseState)(IMAPITable *This, ULONG ulFlags,
                                                  ULONG cbInstanceKey, LPBYTE lpbInstanceKey,
                                                  ULONG *lpcbCollapseState,
                                                  LPBYTE *lppbCollapseState);
    HRESULT(STDMETHODCALLTYPE *SetCollapseState)(IMAPITable *This, ULONG ulFlags,
                                                  ULONG cbCollapseState, LPBYTE pbCollapseState,
                                                  BOOKMARK *lpbkLocation);
};
struct IMAPITable {
    const struct IMAPITableVtbl *lpVtbl;
};

/* C call macros, as COM headers offer them: only with COBJMACROS defined, so that names like
 * IMAPITable_QueryRows stay free for code that defines its own (e.g. generated wrappers).
 * IMAPITable_QueryRows(t, n, f, &rows) -> t->lpVtbl->QueryRows(t, n, f, &rows). */
#ifdef COBJMACROS
#define IMsgStore_Release(This) ((This)->lpVtbl->Release(This))
#define IMsgStore_GetProps(This, a, b, c, d) ((This)->lpVtbl->GetProps(This, a, b, c, d))
#define IMsgStore_StoreLogoff(This, a) ((This)->lpVtbl->StoreLogoff(This, a))
#define IMAPITable_Release(This) ((This)->lpVtbl->Release(This))
#define IMAPITable_GetRowCount(This, a, b) ((This)->lpVtbl->GetRowCount(This, a, b))
#define IMAPITable_SetColumns(This, a, b) ((This)->lpVtbl->SetColumns(This, a, b))
#define IMAPITable_QueryRows(This, a, b, c) ((This)->lpVtbl->QueryRows(This, a, b, c))
#endif

/* Memory that MAPI hands out: freed with MAPIFreeBuffer (with everything MAPIAllocateMore
 * chained to it). */
STDAPI_(SCODE) MAPIAllocateBuffer(ULONG cbSize, LPVOID *lppBuffer);
STDAPI_(SCODE) MAPIAllocateMore(ULONG cbSize, LPVOID lpObject, LPVOID *lppBuffer);
STDAPI_(ULONG) MAPIFreeBuffer(LPVOID lpBuffer);

/* clang-format on */

#ifdef __cplusplus
}
#endif

#endif

/* mapix.h — the Extended MAPI entry points and the session and profile-administration objects
 * libmapisim implements (C binding, vtable slots in the real order). */
#ifndef MAPISIM_MAPIX_H
#define MAPISIM_MAPIX_H

#include <mapidefs.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Hand-aligned declarations, kept as written. */
/* clang-format off */

/* MAPIInitialize */
#define MAPI_INIT_VERSION 0
#define MAPI_MULTITHREAD_NOTIFICATIONS 0x00000001
#define MAPI_NT_SERVICE 0x00010000
typedef struct {
    ULONG ulVersion;
    ULONG ulFlags;
} MAPIINIT_0, *LPMAPIINIT_0;

/* MAPILogonEx */
#define MAPI_LOGON_UI 0x00000001
#define MAPI_NEW_SESSION 0x00000002
#define MAPI_ALLOW_OTHERS 0x00000008
#define MAPI_EXPLICIT_PROFILE 0x00000010
#define MAPI_EXTENDED 0x00000020
#define MAPI_USE_DEFAULT 0x00000040
#define MAPI_NO_MAIL 0x00008000
#define MAPI_UNICODE 0x80000000

/* OpenMsgStore */
#define MDB_NO_DIALOG 0x00000001
#define MDB_WRITE 0x00000004
#define MDB_NO_MAIL 0x00000080
#define MAPI_BEST_ACCESS 0x00000010
#define MAPI_DEFERRED_ERRORS 0x00000008

/* IProfAdmin */
#define MAPI_DEFAULT_SERVICES 0x00000001
#define MAPI_DIALOG 0x00000008

/* IMAPISession */
typedef struct IMAPISession IMAPISession, *LPMAPISESSION;
struct IMAPISessionVtbl {
    MAPISIM_IUNKNOWN_METHODS(IMAPISession)
    HRESULT(STDMETHODCALLTYPE *GetLastError)(IMAPISession *This, HRESULT hResult, ULONG ulFlags,
                                              LPMAPIERROR *lppMAPIError);
    HRESULT(STDMETHODCALLTYPE *GetMsgStoresTable)(IMAPISession *This, ULONG ulFlags,
                                                   LPMAPITABLE *lppTable);
    HRESULT(STDMETHODCALLTYPE *OpenMsgStore)(IMAPISession *This, ULONG_PTR ulUIParam,
                                              ULONG cbEntryID, LPENTRYID lpEntryID,
                                              LPCIID lpInterface, ULONG ulFlags, LPMDB *lppMDB);
    HRESULT(STDMETHODCALLTYPE *OpenEntry)(IMAPISession *This, ULONG cbEntryID,
                                           LPENTRYID lpEntryID, LPCIID lpInterface, ULONG ulFlags,
                                           ULONG *lpulObjType, LPUNKNOWN *lppUnk);
    HRESULT(STDMETHODCALLTYPE *CompareEntryIDs)(IMAPISession *This, ULONG cbEntryID1,
                                                 LPENTRYID lpEntryID1, ULONG cbEntryID2,
                                                 LPENTRYID lpEntryID2, ULONG ulFlags,
                                                 ULONG *lpulResult);
    HRESULT(STDMETHODCALLTYPE *Advise)(IMAPISession *This, ULONG cbEntryID, LPENTRYID lpEntryID,
                                        ULONG ulEventMask, LPMAPIADVISESINK lpAdviseSink,
                                        ULONG_PTR *lpulConnection);
    HRESULT(STDMETHODCALLTYPE *Unadvise)(IMAPISession *This, ULONG_PTR ulConnection);
    HRESULT(STDMETHODCALLTYPE *MessageOptions)(IMAPISession *This, ULONG_PTR ulUIParam,
                                                ULONG ulFlags, LPSTR lpszAdrType,
                                                LPMESSAGE lpMessage);
    HRESULT(STDMETHODCALLTYPE *QueryDefaultMessageOpt)(IMAPISession *This, LPSTR lpszAdrType,
                                                        ULONG ulFlags, ULONG *lpcValues,
                                                        LPSPropValue *lppOptions);
    HRESULT(STDMETHODCALLTYPE *EnumAdrTypes)(IMAPISession *This, ULONG ulFlags,
                                              ULONG *lpcAdrTypes, LPSTR **lpppszAdrTypes);
    HRESULT(STDMETHODCALLTYPE *QueryIdentity)(IMAPISession *This, ULONG *lpcbEntryID,
                                               LPENTRYID *lppEntryID);
    HRESULT(STDMETHODCALLTYPE *Logoff)(IMAPISession *This, ULONG_PTR ulUIParam, ULONG ulFlags,
                                        ULONG ulReserved);
    HRESULT(STDMETHODCALLTYPE *SetDefaultStore)(IMAPISession *This, ULONG ulFlags,
                                                 ULONG cbEntryID, LPENTRYID lpEntryID);
    HRESULT(STDMETHODCALLTYPE *AdminServices)(IMAPISession *This, ULONG ulFlags,
                                               LPSERVICEADMIN *lppServiceAdmin);
    HRESULT(STDMETHODCALLTYPE *ShowForm)(IMAPISession *This, ULONG_PTR ulUIParam,
                                          LPMDB lpMsgStore, LPMAPIFOLDER lpParentFolder,
                                          LPCIID lpInterface, ULONG ulMessageToken,
                                          LPMESSAGE lpMessageSent, ULONG ulFlags,
                                          ULONG ulMessageStatus, ULONG ulMessageFlags,
                                          ULONG ulAccess, LPSTR lpszMessageClass);
    HRESULT(STDMETHODCALLTYPE *PrepareForm)(IMAPISession *This, LPCIID lpInterface,
                                             LPMESSAGE lpMessage, ULONG *lpulMessageToken);
};
struct IMAPISession {
    const struct IMAPISessionVtbl *lpVtbl;
};

/* IProfAdmin */
typedef struct IProfAdmin IProfAdmin, *LPPROFADMIN;
struct IProfAdminVtbl {
    MAPISIM_IUNKNOWN_METHODS(IProfAdmin)
    HRESULT(STDMETHODCALLTYPE *GetLastError)(IProfAdmin *This, HRESULT hResult, ULONG ulFlags,
                                              LPMAPIERROR *lppMAPIError);
    HRESULT(STDMETHODCALLTYPE *GetProfileTable)(IProfAdmin *This, ULONG ulFlags,
                                                 LPMAPITABLE *lppTable);
    HRESULT(STDMETHODCALLTYPE *CreateProfile)(IProfAdmin *This, LPSTR lpszProfileName,
                                               LPSTR lpszPassword, ULONG_PTR ulUIParam,
                                               ULONG ulFlags);
    HRESULT(STDMETHODCALLTYPE *DeleteProfile)(IProfAdmin *This, LPSTR lpszProfileName,
                                               ULONG ulFlags);
    HRESULT(STDMETHODCALLTYPE *ChangeProfilePassword)(IProfAdmin *This, LPSTR lpszProfileName,
                                                       LPSTR lpszOldPassword,
                                                       LPSTR lpszNewPassword, ULONG ulFlags);
    HRESULT(STDMETHODCALLTYPE *CopyProfile)(IProfAdmin *This, LPSTR lpszOldProfileName,
                                             LPSTR lpszOldPassword, LPSTR lpszNewProfileName,
                                             ULONG_PTR ulUIParam, ULONG ulFlags);
    HRESULT(STDMETHODCALLTYPE *RenameProfile)(IProfAdmin *This, LPSTR lpszOldProfileName,
                                               LPSTR lpszOldPassword, LPSTR lpszNewProfileName,
                                               ULONG_PTR ulUIParam, ULONG ulFlags);
    HRESULT(STDMETHODCALLTYPE *SetDefaultProfile)(IProfAdmin *This, LPSTR lpszProfileName,
                                                   ULONG ulFlags);
    HRESULT(STDMETHODCALLTYPE *AdminServices)(IProfAdmin *This, LPSTR lpszProfileName,
                                               LPSTR lpszPassword, ULONG_PTR ulUIParam,
                                               ULONG ulFlags, LPSERVICEADMIN *lppServiceAdmin);
};
struct IProfAdmin {
    const struct IProfAdminVtbl *lpVtbl;
};

/* C call macros (only with COBJMACROS, see mapidefs.h). */
#ifdef COBJMACROS
#define IMAPISession_AddRef(This) ((This)->lpVtbl->AddRef(This))
#define IMAPISession_Release(This) ((This)->lpVtbl->Release(This))
#define IMAPISession_OpenMsgStore(This, a, b, c, d, e, f)                                          \
    ((This)->lpVtbl->OpenMsgStore(This, a, b, c, d, e, f))
#define IMAPISession_Logoff(This, a, b, c) ((This)->lpVtbl->Logoff(This, a, b, c))
#define IProfAdmin_Release(This) ((This)->lpVtbl->Release(This))
#define IProfAdmin_GetProfileTable(This, a, b) ((This)->lpVtbl->GetProfileTable(This, a, b))
#define IProfAdmin_CreateProfile(This, a, b, c, d) ((This)->lpVtbl->CreateProfile(This, a, b, c, d))
#define IProfAdmin_DeleteProfile(This, a, b) ((This)->lpVtbl->DeleteProfile(This, a, b))
#endif

STDAPI MAPIInitialize(LPVOID lpMapiInit);
STDAPI_(void) MAPIUninitialize(void);
STDAPI MAPILogonEx(ULONG_PTR ulUIParam, LPSTR lpszProfileName, LPSTR lpszPassword, FLAGS flFlags,
                   LPMAPISESSION *lppSession);
STDAPI MAPIAdminProfiles(ULONG ulFlags, LPPROFADMIN *lppProfAdmin);

/* clang-format on */

#ifdef __cplusplus
}
#endif

#endif

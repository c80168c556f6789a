/* win32.h — the Win32 / MAPI types the call table's C signatures use, for the shim's wrappers.
 *
 * The shim traces a library it does not ship: it declares the public API types itself (names,
 * sizes and signedness are public API; nothing here knows the library's private structures) and
 * is built without any library's headers. tests/unit/preload_signatures.c proves that these types
 * and the table's signatures agree with the sample library's public headers. MAPI objects are only
 * ever touched as "a pointer whose first member is the method table".
 */
#ifndef PT_PRELOAD_WIN32_H
#define PT_PRELOAD_WIN32_H

#include <stddef.h>
#include <stdint.h>

/* (The test defines PT__WIN32_LIST_ONLY to take PT__WIN32_TYPES only, beside a library's
 * headers.) */
#ifndef PT__WIN32_LIST_ONLY
typedef int BOOL;
typedef unsigned char BYTE;
typedef uint32_t DWORD; /* 32 bits, as on Windows (LLP64) */
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef int32_t HRESULT;
typedef uintptr_t ULONG_PTR;
typedef size_t SIZE_T;
typedef void *LPVOID;
typedef const void *LPCVOID;
typedef char *LPSTR;
typedef const char *LPCSTR;
typedef BYTE *LPBYTE;
typedef DWORD *LPDWORD;
typedef void *HANDLE;
typedef HANDLE *PHANDLE;
typedef struct _FILETIME *PFILETIME;
typedef struct _SECURITY_ATTRIBUTES *LPSECURITY_ATTRIBUTES;
typedef struct _GUID IID;
typedef const IID *LPCIID;
typedef struct HKEY__ *HKEY;
typedef HKEY *PHKEY;
typedef DWORD REGSAM;

typedef ULONG FLAGS;
typedef struct pt__entryid *LPENTRYID;
typedef struct IMsgStore *LPMDB;
typedef struct IMAPISession *LPMAPISESSION;
typedef struct IProfAdmin *LPPROFADMIN;
#endif

/* Every type above, for the test that compares them with a library's own headers. */
#define PT__WIN32_TYPES(T)                                                                         \
    T(BOOL) T(BYTE) T(DWORD) T(LONG) T(ULONG) T(HRESULT) T(ULONG_PTR) T(SIZE_T) T(LPVOID)          \
    T(LPCVOID) T(LPSTR) T(LPCSTR) T(LPBYTE) T(LPDWORD) T(HANDLE) T(PHANDLE) T(PFILETIME)           \
    T(LPSECURITY_ATTRIBUTES) T(LPCIID) T(HKEY) T(PHKEY) T(REGSAM) T(FLAGS) T(LPENTRYID) T(LPMDB)   \
    T(LPMAPISESSION) T(LPPROFADMIN)

#endif

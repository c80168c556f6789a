/* win32.h — the Win32/MAPI types the call table's C signatures use, for the shim's wrappers.
 *
 * The samples component publishes the real public headers (samples/include/windows.h, mapix.h);
 * when they are on the include path they are used, so a signature that disagrees with the
 * library's public API fails to compile. Otherwise the same public typedefs are declared here
 * (names and signatures are public API; nothing here knows the library's private structures).
 * MAPI objects are only ever touched as "a pointer whose first member is the method table".
 */
#ifndef PT_PRELOAD_WIN32_H
#define PT_PRELOAD_WIN32_H

#include <stddef.h>
#include <stdint.h>

#if __has_include(<windows.h>)
#include <windows.h>
#else
typedef int BOOL;
typedef unsigned char BYTE;
typedef uint32_t DWORD;
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
#endif

#if __has_include(<mapix.h>)
/* MAPI's property types (PT_NULL, ...) collide with <elf.h>'s segment types: keep elf's. */
#pragma push_macro("PT_NULL")
#undef PT_NULL
#include <mapix.h>
#undef PT_NULL
#pragma pop_macro("PT_NULL")
#else
typedef ULONG FLAGS;
typedef struct _ENTRYID *LPENTRYID;
typedef struct IMsgStore *LPMDB;
typedef struct IMAPISession *LPMAPISESSION;
typedef struct IProfAdmin *LPPROFADMIN;
#endif

#endif

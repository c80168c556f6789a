/* calls.h — the one table of traced functions: what the shim intercepts, what it records, and
 * what each call means.
 *
 * Each row is CALL(X, name, category, hook, c_ret, c_params, c_args, ret_kind, fields, role):
 *   name      the function (for method-table rows: Interface_Method);
 *   category  PT_CAT_* word, used by PROFTRACE_STACKS and the filters of `proftrace events`;
 *   hook      SYM: interposed by symbol, the shim's wrapper is generated from this row; HAND: interposed
 *             by symbol, but the wrapper needs row-specific control flow (fork, exec, the mmap
 *             filter) and is written in preload/hook_*.c around the same generated recording code;
 *             VTBL: a method reached through a method table that a traced call returned (its first
 *             field is the object, This);
 *             NESTED: recorded only when called inside another traced call;
 *   c_ret, c_params, c_args   the C signature, for the shim's generated wrappers (readers ignore it);
 *   ret_kind  PT_RET_* (event.h): how the result and error are recorded, and what failure is;
 *   fields    F(capture-kind, c-arg-name) sequences: what is recorded (event.h, PT_CAP_*); the
 *             named constants a FLAGS field (or a handle, a descriptor) takes: call_flags.h;
 *   role      what the call does to the objects proftrace follows (below).
 * A capture kind expands to wire fields; an AT_PATH argument `p` reads its directory descriptor from
 * the argument named `p_dirfd`. X is the consumer's macro (see PT_CALLS).
 *
 * Roles. Every consumer that acts on what a call means reads it here: the shim (which calls get a
 * stack under PROFTRACE_STACKS=delete, which are checked by PROFTRACE_BREAK, which feed the holds
 * table), the analyzer's model (holds, deletions, in-use views, marks) and the timeline (deletion
 * marks, hold tracks). A role argument names a field of the row; RET names the call's result.
 * "On success" is judged by ret_kind (pt_ret_failed, event.h).
 *   NONE                         nothing below;
 *   OPEN(kind, result, name)     opens the object `name` names; `result` (a RET_FD capture, or RET)
 *                                is it afterwards. The traced call around an OPEN takes what it
 *                                opened as its own identity (a key's directory, a mapping's
 *                                object);
 *   CREATE(kind, result, name)   the same, for a call that creates the object when it is missing;
 *   CLOSE(kind, handle)          gives up the object `handle` names;
 *   HOLD_BEGIN(kind, handle, what)  on success, with a non-zero handle, begins a hold: `handle` (an
 *                                output field, or RET) is what ends it, `what` is per kind;
 *   HOLD_CREATE(kind, handle, what) the same, for a call that creates the object when missing;
 *   HOLD_END(kind, handle)       on success ends the hold of that kind whose handle is `handle`;
 *   DELETE(kind, what)           on success deletes what `what` names;
 *   EXEC                         on success the process runs a new image: every hold of the old
 *                                one ends (mappings, handles and sessions go; descriptors that
 *                                stay open are not known to the new image's shim, so they are
 *                                no longer followed);
 *   FORK                         on success the result is a child (its pid) that runs the same
 *                                image: it inherits the caller's shared mappings and SysV
 *                                attachments (MAP, SYSV holds) and holds them until it unmaps,
 *                                detaches, execs or exits.
 * Object kinds of OPEN / CREATE / CLOSE:
 *   FILE     a file by path (`result` a RET_FD capture). An OPEN of a FILE (not a CREATE) records
 *            open(2)'s `flags`: when pt_open_holds(flags) (proftrace/open_holds.h) and the file is
 *            a regular one, the descriptor is an open-file hold, until a CLOSE of it (`handle` the
 *            descriptor) or the process's end or exec;
 *   SHM      a POSIX shared-memory object by name (its name is kept with its identity);
 *   MAPPING  a named file mapping object (`result` the handle): the process's candidate in-use
 *            view when a MAPI call opens it; the views of it are the holds.
 * Hold kinds (what):
 *   KEY      a registry key handle (the subkey, relative to the row's hKey); its identity is the
 *            FILE the call opened inside itself;
 *   SESSION  a MAPI session (the profile name); its identity is the profile's KEY opened inside;
 *   VIEW     a mapped view of a file mapping (the MAPPING handle);
 *   MAP      a shared mapping of a descriptor (the FD capture; the row's `flags` must say
 *            MAP_SHARED, `length` is its size); any unmap that overlaps it ends it;
 *   SYSV     an attached SysV segment (the shmid, in the caller's IPC namespace).
 * Delete kinds (what):
 *   FILE     a file or directory (a PATH / AT_PATH capture: its identity before the call);
 *   SHM      a POSIX shared-memory object (a SHM_NAME capture);
 *   RENAME   the target a rename replaced (the new path's capture): a deletion only when the target
 *            existed;
 *   SYSV     a SysV segment (the shmid): a deletion only when the row's `cmd` is IPC_RMID, which
 *            the shim's wrapper says per call;
 *   KEY      a registry key (the subkey, relative to the row's hKey): what it removes is seen in
 *            the calls nested inside it;
 *   PROFILE  a MAPI profile (its name): deleted, or only marked for deletion while it is in use, so
 *            not itself a deletion of anything (the KEY delete inside it is, when there is one).
 * A new function that deletes or holds one of these kinds is one row here; a new kind is code in
 * each consumer that acts on it (preload/holds_hooks.h, analyzer/model_*.c, the timeline).
 *
 * Readers expand only name, category, ret_kind, fields and role, so the C types need not be
 * declared there.
 */
#ifndef PROFTRACE_CALLS_H
#define PROFTRACE_CALLS_H

#include "proftrace/event.h"

#define PT_CATEGORIES(X) X(REG) X(MAP) X(IMP) X(MAPI) X(SHM) X(FILE) X(PROC) X(CRED) X(NS)

/* clang-format off */
#define PT__CALL_TABLE(CALL, X, F)                                                                 \
/* Registry (libwinsim / advapi32): an HKEY resolves to a key path through the open calls. */      \
CALL(X, RegCreateKeyExA, REG, SYM, LONG,                                                           \
     (HKEY hKey, LPCSTR lpSubKey, DWORD Reserved, LPSTR lpClass, DWORD dwOptions,                  \
      REGSAM samDesired, LPSECURITY_ATTRIBUTES lpSecurityAttributes, PHKEY phkResult,              \
      LPDWORD lpdwDisposition),                                                                    \
     (hKey, lpSubKey, Reserved, lpClass, dwOptions, samDesired, lpSecurityAttributes, phkResult,   \
      lpdwDisposition),                                                                            \
     PT_RET_W32, F(HANDLE, hKey) F(STR, lpSubKey) F(FLAGS, dwOptions) F(FLAGS, samDesired)          \
                 F(OUT_HANDLE, phkResult) F(OUT_U32, lpdwDisposition),                              \
     HOLD_CREATE(KEY, phkResult, lpSubKey))                                                        \
CALL(X, RegOpenKeyExA, REG, SYM, LONG,                                                             \
     (HKEY hKey, LPCSTR lpSubKey, DWORD ulOptions, REGSAM samDesired, PHKEY phkResult),            \
     (hKey, lpSubKey, ulOptions, samDesired, phkResult),                                           \
     PT_RET_W32, F(HANDLE, hKey) F(STR, lpSubKey) F(FLAGS, samDesired) F(OUT_HANDLE, phkResult),    \
     HOLD_BEGIN(KEY, phkResult, lpSubKey))                                                         \
CALL(X, RegQueryValueExA, REG, SYM, LONG,                                                          \
     (HKEY hKey, LPCSTR lpValueName, LPDWORD lpReserved, LPDWORD lpType, LPBYTE lpData,            \
      LPDWORD lpcbData),                                                                           \
     (hKey, lpValueName, lpReserved, lpType, lpData, lpcbData),                                    \
     PT_RET_W32, F(HANDLE, hKey) F(STR, lpValueName) F(OUT_U32, lpcbData), NONE)                   \
CALL(X, RegSetValueExA, REG, SYM, LONG,                                                            \
     (HKEY hKey, LPCSTR lpValueName, DWORD Reserved, DWORD dwType, const BYTE *lpData,             \
      DWORD cbData),                                                                               \
     (hKey, lpValueName, Reserved, dwType, lpData, cbData),                                        \
     PT_RET_W32, F(HANDLE, hKey) F(STR, lpValueName) F(U32, dwType) F(U32, cbData), NONE)          \
CALL(X, RegDeleteKeyA, REG, SYM, LONG, (HKEY hKey, LPCSTR lpSubKey), (hKey, lpSubKey),             \
     PT_RET_W32, F(HANDLE, hKey) F(STR, lpSubKey), DELETE(KEY, lpSubKey))                    \
CALL(X, RegDeleteTreeA, REG, SYM, LONG, (HKEY hKey, LPCSTR lpSubKey), (hKey, lpSubKey),            \
     PT_RET_W32, F(HANDLE, hKey) F(STR, lpSubKey), DELETE(KEY, lpSubKey))                    \
CALL(X, RegEnumKeyExA, REG, SYM, LONG,                                                             \
     (HKEY hKey, DWORD dwIndex, LPSTR lpName, LPDWORD lpcchName, LPDWORD lpReserved,               \
      LPSTR lpClass, LPDWORD lpcchClass, PFILETIME lpftLastWriteTime),                             \
     (hKey, dwIndex, lpName, lpcchName, lpReserved, lpClass, lpcchClass, lpftLastWriteTime),       \
     PT_RET_W32, F(HANDLE, hKey) F(U32, dwIndex) F(OUT_STR, lpName), NONE)                         \
CALL(X, RegCloseKey, REG, SYM, LONG, (HKEY hKey), (hKey), PT_RET_W32, F(HANDLE, hKey),             \
     HOLD_END(KEY, hKey))                                                                          \
/* Named file mappings (kernel32). */                                                              \
CALL(X, CreateFileMappingA, MAP, SYM, HANDLE,                                                      \
     (HANDLE hFile, LPSECURITY_ATTRIBUTES lpAttributes, DWORD flProtect,                           \
      DWORD dwMaximumSizeHigh, DWORD dwMaximumSizeLow, LPCSTR lpName),                             \
     (hFile, lpAttributes, flProtect, dwMaximumSizeHigh, dwMaximumSizeLow, lpName),                \
     PT_RET_HANDLE_W32, F(HANDLE, hFile) F(FLAGS, flProtect) F(U32, dwMaximumSizeLow)              \
                        F(STR, lpName), CREATE(MAPPING, RET, lpName))                              \
CALL(X, OpenFileMappingA, MAP, SYM, HANDLE,                                                        \
     (DWORD dwDesiredAccess, BOOL bInheritHandle, LPCSTR lpName),                                  \
     (dwDesiredAccess, bInheritHandle, lpName),                                                    \
     PT_RET_HANDLE_W32, F(FLAGS, dwDesiredAccess) F(STR, lpName), OPEN(MAPPING, RET, lpName))      \
CALL(X, MapViewOfFile, MAP, SYM, LPVOID,                                                           \
     (HANDLE hFileMappingObject, DWORD dwDesiredAccess, DWORD dwFileOffsetHigh,                    \
      DWORD dwFileOffsetLow, SIZE_T dwNumberOfBytesToMap),                                         \
     (hFileMappingObject, dwDesiredAccess, dwFileOffsetHigh, dwFileOffsetLow,                      \
      dwNumberOfBytesToMap),                                                                       \
     PT_RET_HANDLE_W32, F(HANDLE, hFileMappingObject) F(FLAGS, dwDesiredAccess)                    \
                        F(U64, dwNumberOfBytesToMap), HOLD_BEGIN(VIEW, RET, hFileMappingObject))   \
CALL(X, UnmapViewOfFile, MAP, SYM, BOOL, (LPCVOID lpBaseAddress), (lpBaseAddress),                 \
     PT_RET_BOOL_W32, F(HANDLE, lpBaseAddress), HOLD_END(VIEW, lpBaseAddress))                     \
CALL(X, CloseHandle, MAP, SYM, BOOL, (HANDLE hObject), (hObject), PT_RET_BOOL_W32,                 \
     F(HANDLE, hObject), CLOSE(MAPPING, hObject))                                                  \
/* Impersonation (advapi32). */                                                                    \
CALL(X, LogonUserA, IMP, SYM, BOOL,                                                                \
     (LPCSTR lpszUsername, LPCSTR lpszDomain, LPCSTR lpszPassword, DWORD dwLogonType,              \
      DWORD dwLogonProvider, PHANDLE phToken),                                                     \
     (lpszUsername, lpszDomain, lpszPassword, dwLogonType, dwLogonProvider, phToken),              \
     PT_RET_BOOL_W32, F(STR, lpszUsername) F(OUT_HANDLE, phToken), NONE)                           \
CALL(X, ImpersonateLoggedOnUser, IMP, SYM, BOOL, (HANDLE hToken), (hToken), PT_RET_BOOL_W32,       \
     F(HANDLE, hToken), NONE)                                                                      \
CALL(X, RevertToSelf, IMP, SYM, BOOL, (void), (), PT_RET_BOOL_W32, , NONE)                         \
/* The MAPI profile API (mapi32) and the methods of the objects it returns. */                     \
CALL(X, MAPIInitialize, MAPI, SYM, HRESULT, (LPVOID lpMapiInit), (lpMapiInit), PT_RET_HRESULT,     \
     F(HANDLE, lpMapiInit), NONE)                                                                  \
CALL(X, MAPIUninitialize, MAPI, SYM, void, (void), (), PT_RET_VOID, , NONE)                        \
CALL(X, MAPILogonEx, MAPI, SYM, HRESULT,                                                           \
     (ULONG_PTR ulUIParam, LPSTR lpszProfileName, LPSTR lpszPassword, FLAGS flFlags,               \
      LPMAPISESSION *lppSession),                                                                  \
     (ulUIParam, lpszProfileName, lpszPassword, flFlags, lppSession),                              \
     PT_RET_HRESULT, F(STR, lpszProfileName) F(FLAGS, flFlags) F(OUT_OBJECT, lppSession),          \
     HOLD_BEGIN(SESSION, lppSession, lpszProfileName))                                             \
CALL(X, MAPIAdminProfiles, MAPI, SYM, HRESULT, (ULONG ulFlags, LPPROFADMIN *lppProfAdmin),         \
     (ulFlags, lppProfAdmin), PT_RET_HRESULT, F(FLAGS, ulFlags) F(OUT_OBJECT, lppProfAdmin), NONE) \
CALL(X, IProfAdmin_CreateProfile, MAPI, VTBL, HRESULT,                                             \
     (LPPROFADMIN This, LPSTR lpszProfileName, LPSTR lpszPassword, ULONG_PTR ulUIParam,            \
      ULONG ulFlags),                                                                              \
     (This, lpszProfileName, lpszPassword, ulUIParam, ulFlags),                                    \
     PT_RET_HRESULT, F(HANDLE, This) F(STR, lpszProfileName) F(FLAGS, ulFlags), NONE)              \
CALL(X, IProfAdmin_DeleteProfile, MAPI, VTBL, HRESULT,                                             \
     (LPPROFADMIN This, LPSTR lpszProfileName, ULONG ulFlags), (This, lpszProfileName, ulFlags),   \
     PT_RET_HRESULT, F(HANDLE, This) F(STR, lpszProfileName), DELETE(PROFILE, lpszProfileName))    \
CALL(X, IProfAdmin_Release, MAPI, VTBL, ULONG, (LPPROFADMIN This), (This), PT_RET_ULONG,           \
     F(HANDLE, This), NONE)                                                                        \
CALL(X, IMAPISession_OpenMsgStore, MAPI, VTBL, HRESULT,                                            \
     (LPMAPISESSION This, ULONG_PTR ulUIParam, ULONG cbEntryID, LPENTRYID lpEntryID,               \
      LPCIID lpInterface, ULONG ulFlags, LPMDB *lppMDB),                                           \
     (This, ulUIParam, cbEntryID, lpEntryID, lpInterface, ulFlags, lppMDB),                        \
     PT_RET_HRESULT, F(HANDLE, This) F(FLAGS, ulFlags) F(OUT_HANDLE, lppMDB), NONE)                \
CALL(X, IMAPISession_Logoff, MAPI, VTBL, HRESULT,                                                  \
     (LPMAPISESSION This, ULONG_PTR ulUIParam, ULONG ulFlags, ULONG ulReserved),                   \
     (This, ulUIParam, ulFlags, ulReserved), PT_RET_HRESULT, F(HANDLE, This) F(FLAGS, ulFlags),    \
     HOLD_END(SESSION, This))                                                                      \
CALL(X, IMAPISession_Release, MAPI, VTBL, ULONG, (LPMAPISESSION This), (This), PT_RET_ULONG,       \
     F(HANDLE, This), HOLD_END(SESSION, This))                                                     \
/* POSIX and SysV shared memory (libc). */                                                         \
CALL(X, shm_open, SHM, SYM, int, (const char *name, int oflag, mode_t mode), (name, oflag, mode),  \
     PT_RET_FD_ERRNO, F(STR, name) F(FLAGS, oflag) F(RET_FD, fd), OPEN(SHM, fd, name))             \
CALL(X, shm_unlink, SHM, SYM, int, (const char *name), (name), PT_RET_INT_ERRNO,                   \
     F(SHM_NAME, name),                                                                            \
     DELETE(SHM, name))                                                                            \
CALL(X, memfd_create, SHM, SYM, int, (const char *name, unsigned int flags), (name, flags),        \
     PT_RET_FD_ERRNO, F(STR, name) F(FLAGS, flags) F(RET_FD, fd), CREATE(FILE, fd, name))          \
CALL(X, mmap, SHM, HAND, void *,                                                                   \
     (void *addr, size_t length, int prot, int flags, int fd, off_t offset),                       \
     (addr, length, prot, flags, fd, offset),                                                      \
     PT_RET_PTR_ERRNO, F(U64, length) F(FLAGS, prot) F(FLAGS, flags) F(FD, fd),                    \
     HOLD_BEGIN(MAP, RET, fd))                                                                     \
CALL(X, munmap, SHM, HAND, int, (void *addr, size_t length), (addr, length), PT_RET_INT_ERRNO,     \
     F(HANDLE, addr) F(U64, length), HOLD_END(MAP, addr))                                          \
CALL(X, shmget, SHM, SYM, int, (key_t key, size_t size, int shmflg), (key, size, shmflg),          \
     PT_RET_INT_ERRNO, F(I32, key) F(U64, size) F(FLAGS, shmflg), NONE)                            \
CALL(X, shmat, SHM, SYM, void *, (int shmid, const void *shmaddr, int shmflg),                     \
     (shmid, shmaddr, shmflg), PT_RET_PTR_ERRNO, F(I32, shmid) F(FLAGS, shmflg),                   \
     HOLD_BEGIN(SYSV, RET, shmid))                                                                 \
CALL(X, shmdt, SHM, SYM, int, (const void *shmaddr), (shmaddr), PT_RET_INT_ERRNO,                  \
     F(HANDLE, shmaddr), HOLD_END(SYSV, shmaddr))                                                  \
CALL(X, shmctl, SHM, HAND, int, (int shmid, int cmd, struct shmid_ds *buf), (shmid, cmd, buf),     \
     PT_RET_INT_ERRNO, F(I32, shmid) F(I32, cmd), DELETE(SYSV, shmid))                             \
/* Files. An open inside another traced call gives a key or a mapping its identity, and is always   \
 * recorded; an open the program makes itself is recorded when it is an open-file hold             \
 * (pt_open_holds, open_holds.h: a regular file opened for writing or created) or fails so; fopen,  \
 * fopen64, creat and creat64 are recorded as the open they make (flags from the mode). close,      \
 * dup2 and dup3 are recorded only when they end such a hold (fclose as close). Deletions and       \
 * renames always. */                                                                              \
CALL(X, open, FILE, HAND, int, (const char *pathname, int flags, mode_t mode),                     \
     (pathname, flags, mode), PT_RET_FD_ERRNO, F(STR, pathname) F(FLAGS, flags)                    \
     F(RET_FD, fd), OPEN(FILE, fd, pathname))                                                      \
CALL(X, openat, FILE, HAND, int, (int dirfd, const char *pathname, int flags, mode_t mode),        \
     (dirfd, pathname, flags, mode), PT_RET_FD_ERRNO, F(I32, dirfd) F(STR, pathname)               \
                                                      F(FLAGS, flags) F(RET_FD, fd),               \
     OPEN(FILE, fd, pathname))                                                                     \
CALL(X, close, FILE, HAND, int, (int fd), (fd), PT_RET_INT_ERRNO, F(I32, fd), CLOSE(FILE, fd))     \
CALL(X, dup2, FILE, HAND, int, (int oldfd, int newfd), (oldfd, newfd), PT_RET_FD_ERRNO,            \
     F(I32, oldfd) F(I32, newfd), CLOSE(FILE, newfd))                                              \
CALL(X, dup3, FILE, HAND, int, (int oldfd, int newfd, int flags), (oldfd, newfd, flags),           \
     PT_RET_FD_ERRNO, F(I32, oldfd) F(I32, newfd) F(FLAGS, flags), CLOSE(FILE, newfd))             \
CALL(X, unlink, FILE, SYM, int, (const char *pathname), (pathname), PT_RET_INT_ERRNO,              \
     F(PATH, pathname), DELETE(FILE, pathname))                                                    \
CALL(X, unlinkat, FILE, SYM, int, (int pathname_dirfd, const char *pathname, int flags),           \
     (pathname_dirfd, pathname, flags), PT_RET_INT_ERRNO, F(AT_PATH, pathname) F(FLAGS, flags),    \
     DELETE(FILE, pathname))                                                                       \
CALL(X, rmdir, FILE, SYM, int, (const char *pathname), (pathname), PT_RET_INT_ERRNO,               \
     F(PATH, pathname), DELETE(FILE, pathname))                                                    \
CALL(X, remove, FILE, SYM, int, (const char *pathname), (pathname), PT_RET_INT_ERRNO,              \
     F(PATH, pathname), DELETE(FILE, pathname))                                                    \
CALL(X, rename, FILE, SYM, int, (const char *oldpath, const char *newpath), (oldpath, newpath),    \
     PT_RET_INT_ERRNO, F(PATH, oldpath) F(PATH, newpath), DELETE(RENAME, newpath))                 \
CALL(X, renameat, FILE, SYM, int,                                                                  \
     (int oldpath_dirfd, const char *oldpath, int newpath_dirfd, const char *newpath),             \
     (oldpath_dirfd, oldpath, newpath_dirfd, newpath), PT_RET_INT_ERRNO,                           \
     F(AT_PATH, oldpath) F(AT_PATH, newpath), DELETE(RENAME, newpath))                             \
CALL(X, renameat2, FILE, SYM, int,                                                                 \
     (int oldpath_dirfd, const char *oldpath, int newpath_dirfd, const char *newpath,              \
      unsigned int flags),                                                                         \
     (oldpath_dirfd, oldpath, newpath_dirfd, newpath, flags), PT_RET_INT_ERRNO,                    \
     F(AT_PATH, oldpath) F(AT_PATH, newpath) F(FLAGS, flags), DELETE(RENAME, newpath))             \
/* Process life. exec* rows are recorded before the call with ret 0 (it does not return on         \
 * success); if it returns, a second event of the same class carries ret -1 and errno. execv,      \
 * execvp, execvpe, execl, execle and execlp are recorded as execve with the path they were        \
 * given. */                                                                                       \
CALL(X, fork, PROC, HAND, pid_t, (void), (), PT_RET_INT_ERRNO, , FORK)                             \
/* vfork is recorded at entry (ret 0): the child borrows the caller's stack, so no wrapper may     \
 * still be running when it returns twice; an exec* event follows from the child (or a             \
 * process event from the exec'ed image). */                                                       \
CALL(X, vfork, PROC, HAND, pid_t, (void), (), PT_RET_INT_ERRNO, , NONE)                            \
CALL(X, posix_spawn, PROC, HAND, int,                                                              \
     (pid_t *pid, const char *path, const posix_spawn_file_actions_t *file_actions,                \
      const posix_spawnattr_t *attrp, char *const argv[], char *const envp[]),                     \
     (pid, path, file_actions, attrp, argv, envp), PT_RET_ERRNUM, F(OUT_U32, pid) F(STR, path),    \
     NONE)                                                                                         \
CALL(X, execve, PROC, HAND, int, (const char *pathname, char *const argv[], char *const envp[]),   \
     (pathname, argv, envp), PT_RET_INT_ERRNO, F(STR, pathname), EXEC)                             \
/* Credentials and namespaces: each success is followed by a cred / ns event. */                   \
CALL(X, setuid, CRED, SYM, int, (uid_t uid), (uid), PT_RET_INT_ERRNO, F(U32, uid), NONE)           \
CALL(X, seteuid, CRED, SYM, int, (uid_t euid), (euid), PT_RET_INT_ERRNO, F(U32, euid), NONE)       \
CALL(X, setreuid, CRED, SYM, int, (uid_t ruid, uid_t euid), (ruid, euid), PT_RET_INT_ERRNO,        \
     F(U32, ruid) F(U32, euid), NONE)                                                              \
CALL(X, setresuid, CRED, SYM, int, (uid_t ruid, uid_t euid, uid_t suid), (ruid, euid, suid),       \
     PT_RET_INT_ERRNO, F(U32, ruid) F(U32, euid) F(U32, suid), NONE)                               \
CALL(X, setgid, CRED, SYM, int, (gid_t gid), (gid), PT_RET_INT_ERRNO, F(U32, gid), NONE)           \
CALL(X, setegid, CRED, SYM, int, (gid_t egid), (egid), PT_RET_INT_ERRNO, F(U32, egid), NONE)       \
CALL(X, setregid, CRED, SYM, int, (gid_t rgid, gid_t egid), (rgid, egid), PT_RET_INT_ERRNO,        \
     F(U32, rgid) F(U32, egid), NONE)                                                              \
CALL(X, setresgid, CRED, SYM, int, (gid_t rgid, gid_t egid, gid_t sgid), (rgid, egid, sgid),       \
     PT_RET_INT_ERRNO, F(U32, rgid) F(U32, egid) F(U32, sgid), NONE)                               \
CALL(X, unshare, NS, SYM, int, (int flags), (flags), PT_RET_INT_ERRNO, F(FLAGS, flags), NONE)      \
CALL(X, setns, NS, SYM, int, (int fd, int nstype), (fd, nstype), PT_RET_INT_ERRNO, F(I32, fd)      \
     F(FLAGS, nstype), NONE)
/* clang-format on */

/* The table's two views. PT_CALLS(X, F) calls X(name, category, hook, c_ret, c_params, c_args,
 * ret_kind, fields) for each row: the shape of a call, for what records, decodes or shows it.
 * PT_CALLS_ROLE(X, F) calls X with the role as a ninth argument, for what acts on what calls mean.
 * F is applied to each field: F(capture-kind, c-arg-name). */
#define PT_CALLS(X, F) PT__CALL_TABLE(PT__CALL_SHAPE, X, F)
#define PT_CALLS_ROLE(X, F) PT__CALL_TABLE(PT__CALL_WHOLE, X, F)
/* `__VA_ARGS__ ## fields` (__VA_ARGS__ is always empty) keeps the fields unexpanded on the way to
 * X, so an F that expands to commas still reaches X as one argument. */
#define PT__CALL_SHAPE(X, name, cat, hook, cret, cparams, cargs, retk, fields, role, ...)          \
    X(name, cat, hook, cret, cparams, cargs, retk, __VA_ARGS__##fields)
#define PT__CALL_WHOLE(X, name, cat, hook, cret, cparams, cargs, retk, fields, role, ...)          \
    X(name, cat, hook, cret, cparams, cargs, retk, __VA_ARGS__##fields, role)

/* Taking a role apart, for its consumers (all constant expressions):
 *   PT_ROLE_TYPE(role)  enum pt_role (PT_ROLE_NONE, PT_ROLE_OPEN, ...);
 *   PT_ROLE_KIND(role)  enum pt_kind (PT_K_NONE for NONE);
 *   PT_ROLE_A(role)     the argument after the kind: result, handle, or DELETE's what;
 *   PT_ROLE_B(role)     OPEN/CREATE's name, HOLD_BEGIN/HOLD_CREATE's what;
 * an argument a role does not have is pt__count, which names no field (PT_FIELD of it is
 * PT_NFIELDS). PT_ROLE_IS_RET(a) is 1 when a role argument is RET, 0 for a field name; PT_PASTE
 * pastes after expanding. Role and kind words are not macros: never define one. */
enum pt_role {
    PT_ROLE_NONE,
    PT_ROLE_OPEN,
    PT_ROLE_CREATE,
    PT_ROLE_CLOSE,
    PT_ROLE_HOLD_BEGIN,
    PT_ROLE_HOLD_CREATE,
    PT_ROLE_HOLD_END,
    PT_ROLE_DELETE,
    PT_ROLE_EXEC,
    PT_ROLE_FORK,
};
#define PT_KINDS(K)                                                                                \
    K(FILE) K(SHM) K(MAPPING) K(KEY) K(SESSION) K(VIEW) K(MAP) K(SYSV) K(RENAME) K(PROFILE)
enum pt_kind {
    PT_K_NONE,
#define PT__KIND_ENUM(k) PT_K_##k,
    PT_KINDS(PT__KIND_ENUM)
#undef PT__KIND_ENUM
};
#define PT_ROLE_TYPE(role) PT_PASTE(PT__RT_, role)
#define PT__RT_NONE PT_ROLE_NONE
#define PT__RT_OPEN(k, a, b) PT_ROLE_OPEN
#define PT__RT_CREATE(k, a, b) PT_ROLE_CREATE
#define PT__RT_CLOSE(k, a) PT_ROLE_CLOSE
#define PT__RT_HOLD_BEGIN(k, a, b) PT_ROLE_HOLD_BEGIN
#define PT__RT_HOLD_CREATE(k, a, b) PT_ROLE_HOLD_CREATE
#define PT__RT_HOLD_END(k, a) PT_ROLE_HOLD_END
#define PT__RT_DELETE(k, a) PT_ROLE_DELETE
#define PT__RT_EXEC PT_ROLE_EXEC
#define PT__RT_FORK PT_ROLE_FORK
#define PT_ROLE_KIND(role) PT_PASTE(PT__RK_, role)
#define PT__RK_NONE PT_K_NONE
#define PT__RK_OPEN(k, a, b) PT_K_##k
#define PT__RK_CREATE(k, a, b) PT_K_##k
#define PT__RK_CLOSE(k, a) PT_K_##k
#define PT__RK_HOLD_BEGIN(k, a, b) PT_K_##k
#define PT__RK_HOLD_CREATE(k, a, b) PT_K_##k
#define PT__RK_HOLD_END(k, a) PT_K_##k
#define PT__RK_DELETE(k, a) PT_K_##k
#define PT__RK_EXEC PT_K_NONE
#define PT__RK_FORK PT_K_NONE
#define PT_ROLE_A(role) PT_PASTE(PT__RA_, role)
#define PT__RA_NONE pt__count
#define PT__RA_OPEN(k, a, b) a
#define PT__RA_CREATE(k, a, b) a
#define PT__RA_CLOSE(k, a) a
#define PT__RA_HOLD_BEGIN(k, a, b) a
#define PT__RA_HOLD_CREATE(k, a, b) a
#define PT__RA_HOLD_END(k, a) a
#define PT__RA_DELETE(k, a) a
#define PT__RA_EXEC pt__count
#define PT__RA_FORK pt__count
#define PT_ROLE_B(role) PT_PASTE(PT__RB_, role)
#define PT__RB_NONE pt__count
#define PT__RB_OPEN(k, a, b) b
#define PT__RB_CREATE(k, a, b) b
#define PT__RB_CLOSE(k, a) pt__count
#define PT__RB_HOLD_BEGIN(k, a, b) b
#define PT__RB_HOLD_CREATE(k, a, b) b
#define PT__RB_HOLD_END(k, a) pt__count
#define PT__RB_DELETE(k, a) pt__count
#define PT__RB_EXEC pt__count
#define PT__RB_FORK pt__count
#define PT__PROBE_RET ~, 1
#define PT__SECOND(a, b, ...) b
#define PT__SECOND_(...) PT__SECOND(__VA_ARGS__)
#define PT_ROLE_IS_RET(a) PT__SECOND_(PT__PROBE_##a, 0, ~)
#define PT_PASTE(a, b) PT__PASTE(a, b)
#define PT__PASTE(a, b) a##b

enum pt_call {
#define PT_CALL_ENUM(name, cat, hook, cret, cparams, cargs, retk, fields) PT_CALL_##name,
    PT_CALLS(PT_CALL_ENUM, _)
#undef PT_CALL_ENUM
        PT_CALL_COUNT
};

/* The index structs of the call classes (typed field access: see event.h). */
#define PT__FI_CALL_F(kind, n) PT_CAP_##kind(PT__FI_MEMBER, n)
#define PT__FW_CALL_F(kind, n) PT_CAP_##kind(PT__FW_MEMBER, n)
#define PT__FI_CALL(name, cat, hook, cret, cparams, cargs, retk, fields)                           \
    struct pt_fi_##name {                                                                          \
        fields char pt__count;                                                                     \
    };
#define PT__FW_CALL(name, cat, hook, cret, cparams, cargs, retk, fields)                           \
    struct pt_fw_##name {                                                                          \
        fields char pt__count;                                                                     \
    };
PT_CALLS(PT__FI_CALL, PT__FI_CALL_F)
PT_CALLS(PT__FW_CALL, PT__FW_CALL_F)
#undef PT__FI_CALL
#undef PT__FW_CALL

enum pt_category {
#define PT_CAT_ENUM(c) PT_CAT_##c,
    PT_CATEGORIES(PT_CAT_ENUM)
#undef PT_CAT_ENUM
        PT_CAT_COUNT
};

#endif

/* calls.h — the one table of traced functions: what the shim intercepts and what it records.
 *
 * Each row is CALL(name, category, hook, c_ret, c_params, c_args, ret_kind, fields):
 *   name      the function (for method-table rows: Interface_Method);
 *   category  PT_CAT_* word, used by PROFTRACE_STACKS and the filters of `proftrace events`;
 *   hook      SYM: interposed by symbol, the shim's wrapper is generated from this row; HAND: interposed
 *             by symbol, but the wrapper needs row-specific control flow (fork, exec, the mmap
 *             filter) and is written in preload/hook_*.c around the same generated recording code;
 *             VTBL: a method reached through a method table that a traced call returned;
 *             NESTED: recorded only when called inside another traced call;
 *   c_ret, c_params, c_args   the C signature, for the shim's generated wrappers (readers ignore it);
 *   ret_kind  PT_RET_* (event.h): how the result and error are recorded;
 *   fields    F(capture-kind, c-arg-name) sequences: what is recorded (event.h, PT_CAP_*); the
 *             named constants a FLAGS field (or a handle, a descriptor) takes: call_flags.h.
 * A capture kind expands to wire fields; an AT_PATH argument `p` reads its directory descriptor from
 * the argument named `p_dirfd`.
 *
 * Readers expand only name, category, ret_kind and fields, so the C types need not be declared there.
 */
#ifndef PROFTRACE_CALLS_H
#define PROFTRACE_CALLS_H

#define PT_CATEGORIES(X) X(REG) X(MAP) X(IMP) X(MAPI) X(SHM) X(FILE) X(PROC) X(CRED) X(NS)

/* clang-format off */
#define PT_CALLS(CALL, F)                                                                         \
/* Registry (libwinsim / advapi32): an HKEY resolves to a key path through the open calls. */     \
CALL(RegCreateKeyExA, REG, SYM, LONG,                                                             \
     (HKEY hKey, LPCSTR lpSubKey, DWORD Reserved, LPSTR lpClass, DWORD dwOptions,                 \
      REGSAM samDesired, LPSECURITY_ATTRIBUTES lpSecurityAttributes, PHKEY phkResult,             \
      LPDWORD lpdwDisposition),                                                                   \
     (hKey, lpSubKey, Reserved, lpClass, dwOptions, samDesired, lpSecurityAttributes, phkResult,  \
      lpdwDisposition),                                                                           \
     PT_RET_W32, F(HANDLE, hKey) F(STR, lpSubKey) F(FLAGS, dwOptions) F(FLAGS, samDesired)        \
                 F(OUT_HANDLE, phkResult) F(OUT_U32, lpdwDisposition))                            \
CALL(RegOpenKeyExA, REG, SYM, LONG,                                                               \
     (HKEY hKey, LPCSTR lpSubKey, DWORD ulOptions, REGSAM samDesired, PHKEY phkResult),           \
     (hKey, lpSubKey, ulOptions, samDesired, phkResult),                                          \
     PT_RET_W32, F(HANDLE, hKey) F(STR, lpSubKey) F(FLAGS, samDesired) F(OUT_HANDLE, phkResult))  \
CALL(RegQueryValueExA, REG, SYM, LONG,                                                            \
     (HKEY hKey, LPCSTR lpValueName, LPDWORD lpReserved, LPDWORD lpType, LPBYTE lpData,           \
      LPDWORD lpcbData),                                                                          \
     (hKey, lpValueName, lpReserved, lpType, lpData, lpcbData),                                   \
     PT_RET_W32, F(HANDLE, hKey) F(STR, lpValueName) F(OUT_U32, lpcbData))                        \
CALL(RegSetValueExA, REG, SYM, LONG,                                                              \
     (HKEY hKey, LPCSTR lpValueName, DWORD Reserved, DWORD dwType, const BYTE *lpData,            \
      DWORD cbData),                                                                              \
     (hKey, lpValueName, Reserved, dwType, lpData, cbData),                                       \
     PT_RET_W32, F(HANDLE, hKey) F(STR, lpValueName) F(U32, dwType) F(U32, cbData))               \
CALL(RegDeleteKeyA, REG, SYM, LONG, (HKEY hKey, LPCSTR lpSubKey), (hKey, lpSubKey),              \
     PT_RET_W32, F(HANDLE, hKey) F(STR, lpSubKey))                                                \
CALL(RegDeleteTreeA, REG, SYM, LONG, (HKEY hKey, LPCSTR lpSubKey), (hKey, lpSubKey),             \
     PT_RET_W32, F(HANDLE, hKey) F(STR, lpSubKey))                                                \
CALL(RegEnumKeyExA, REG, SYM, LONG,                                                               \
     (HKEY hKey, DWORD dwIndex, LPSTR lpName, LPDWORD lpcchName, LPDWORD lpReserved,              \
      LPSTR lpClass, LPDWORD lpcchClass, PFILETIME lpftLastWriteTime),                            \
     (hKey, dwIndex, lpName, lpcchName, lpReserved, lpClass, lpcchClass, lpftLastWriteTime),      \
     PT_RET_W32, F(HANDLE, hKey) F(U32, dwIndex) F(OUT_STR, lpName))                              \
CALL(RegCloseKey, REG, SYM, LONG, (HKEY hKey), (hKey), PT_RET_W32, F(HANDLE, hKey))              \
/* Named file mappings (kernel32). */                                                            \
CALL(CreateFileMappingA, MAP, SYM, HANDLE,                                                        \
     (HANDLE hFile, LPSECURITY_ATTRIBUTES lpAttributes, DWORD flProtect,                          \
      DWORD dwMaximumSizeHigh, DWORD dwMaximumSizeLow, LPCSTR lpName),                            \
     (hFile, lpAttributes, flProtect, dwMaximumSizeHigh, dwMaximumSizeLow, lpName),               \
     PT_RET_HANDLE_W32, F(HANDLE, hFile) F(FLAGS, flProtect) F(U32, dwMaximumSizeLow)             \
                        F(STR, lpName))                                                           \
CALL(OpenFileMappingA, MAP, SYM, HANDLE,                                                          \
     (DWORD dwDesiredAccess, BOOL bInheritHandle, LPCSTR lpName),                                 \
     (dwDesiredAccess, bInheritHandle, lpName),                                                   \
     PT_RET_HANDLE_W32, F(FLAGS, dwDesiredAccess) F(STR, lpName))                                 \
CALL(MapViewOfFile, MAP, SYM, LPVOID,                                                             \
     (HANDLE hFileMappingObject, DWORD dwDesiredAccess, DWORD dwFileOffsetHigh,                   \
      DWORD dwFileOffsetLow, SIZE_T dwNumberOfBytesToMap),                                        \
     (hFileMappingObject, dwDesiredAccess, dwFileOffsetHigh, dwFileOffsetLow,                     \
      dwNumberOfBytesToMap),                                                                      \
     PT_RET_HANDLE_W32, F(HANDLE, hFileMappingObject) F(FLAGS, dwDesiredAccess)                   \
                        F(U64, dwNumberOfBytesToMap))                                             \
CALL(UnmapViewOfFile, MAP, SYM, BOOL, (LPCVOID lpBaseAddress), (lpBaseAddress),                  \
     PT_RET_BOOL_W32, F(HANDLE, lpBaseAddress))                                                   \
CALL(CloseHandle, MAP, SYM, BOOL, (HANDLE hObject), (hObject), PT_RET_BOOL_W32,                   \
     F(HANDLE, hObject))                                                                          \
/* Impersonation (advapi32). */                                                                  \
CALL(LogonUserA, IMP, SYM, BOOL,                                                                  \
     (LPCSTR lpszUsername, LPCSTR lpszDomain, LPCSTR lpszPassword, DWORD dwLogonType,             \
      DWORD dwLogonProvider, PHANDLE phToken),                                                    \
     (lpszUsername, lpszDomain, lpszPassword, dwLogonType, dwLogonProvider, phToken),             \
     PT_RET_BOOL_W32, F(STR, lpszUsername) F(OUT_HANDLE, phToken))                                \
CALL(ImpersonateLoggedOnUser, IMP, SYM, BOOL, (HANDLE hToken), (hToken), PT_RET_BOOL_W32,         \
     F(HANDLE, hToken))                                                                           \
CALL(RevertToSelf, IMP, SYM, BOOL, (void), (), PT_RET_BOOL_W32, )                                 \
/* The MAPI profile API (mapi32) and the methods of the objects it returns. */                   \
CALL(MAPIInitialize, MAPI, SYM, HRESULT, (LPVOID lpMapiInit), (lpMapiInit), PT_RET_HRESULT,       \
     F(HANDLE, lpMapiInit))                                                                       \
CALL(MAPIUninitialize, MAPI, SYM, void, (void), (), PT_RET_VOID, )                                \
CALL(MAPILogonEx, MAPI, SYM, HRESULT,                                                             \
     (ULONG_PTR ulUIParam, LPSTR lpszProfileName, LPSTR lpszPassword, FLAGS flFlags,              \
      LPMAPISESSION *lppSession),                                                                 \
     (ulUIParam, lpszProfileName, lpszPassword, flFlags, lppSession),                             \
     PT_RET_HRESULT, F(STR, lpszProfileName) F(FLAGS, flFlags) F(OUT_OBJECT, lppSession))         \
CALL(MAPIAdminProfiles, MAPI, SYM, HRESULT, (ULONG ulFlags, LPPROFADMIN *lppProfAdmin),           \
     (ulFlags, lppProfAdmin), PT_RET_HRESULT, F(FLAGS, ulFlags) F(OUT_OBJECT, lppProfAdmin))      \
CALL(IProfAdmin_CreateProfile, MAPI, VTBL, HRESULT,                                               \
     (LPPROFADMIN This, LPSTR lpszProfileName, LPSTR lpszPassword, ULONG_PTR ulUIParam,           \
      ULONG ulFlags),                                                                             \
     (This, lpszProfileName, lpszPassword, ulUIParam, ulFlags),                                   \
     PT_RET_HRESULT, F(HANDLE, This) F(STR, lpszProfileName) F(FLAGS, ulFlags))                   \
CALL(IProfAdmin_DeleteProfile, MAPI, VTBL, HRESULT,                                               \
     (LPPROFADMIN This, LPSTR lpszProfileName, ULONG ulFlags), (This, lpszProfileName, ulFlags),  \
     PT_RET_HRESULT, F(HANDLE, This) F(STR, lpszProfileName))                                     \
CALL(IProfAdmin_Release, MAPI, VTBL, ULONG, (LPPROFADMIN This), (This), PT_RET_ULONG,             \
     F(HANDLE, This))                                                                             \
CALL(IMAPISession_OpenMsgStore, MAPI, VTBL, HRESULT,                                              \
     (LPMAPISESSION This, ULONG_PTR ulUIParam, ULONG cbEntryID, LPENTRYID lpEntryID,              \
      LPCIID lpInterface, ULONG ulFlags, LPMDB *lppMDB),                                          \
     (This, ulUIParam, cbEntryID, lpEntryID, lpInterface, ulFlags, lppMDB),                       \
     PT_RET_HRESULT, F(HANDLE, This) F(FLAGS, ulFlags) F(OUT_HANDLE, lppMDB))                     \
CALL(IMAPISession_Logoff, MAPI, VTBL, HRESULT,                                                    \
     (LPMAPISESSION This, ULONG_PTR ulUIParam, ULONG ulFlags, ULONG ulReserved),                  \
     (This, ulUIParam, ulFlags, ulReserved), PT_RET_HRESULT, F(HANDLE, This) F(FLAGS, ulFlags))  \
CALL(IMAPISession_Release, MAPI, VTBL, ULONG, (LPMAPISESSION This), (This), PT_RET_ULONG,         \
     F(HANDLE, This))                                                                             \
/* POSIX and SysV shared memory (libc). */                                                       \
CALL(shm_open, SHM, SYM, int, (const char *name, int oflag, mode_t mode), (name, oflag, mode),   \
     PT_RET_FD_ERRNO, F(STR, name) F(FLAGS, oflag) F(RET_FD, fd))                                               \
CALL(shm_unlink, SHM, SYM, int, (const char *name), (name), PT_RET_INT_ERRNO, F(SHM_NAME, name)) \
CALL(memfd_create, SHM, SYM, int, (const char *name, unsigned int flags), (name, flags),          \
     PT_RET_FD_ERRNO, F(STR, name) F(FLAGS, flags) F(RET_FD, fd))                                               \
CALL(mmap, SHM, HAND, void *,                                                                      \
     (void *addr, size_t length, int prot, int flags, int fd, off_t offset),                      \
     (addr, length, prot, flags, fd, offset),                                                     \
     PT_RET_PTR_ERRNO, F(U64, length) F(FLAGS, prot) F(FLAGS, flags) F(FD, fd))                   \
CALL(munmap, SHM, HAND, int, (void *addr, size_t length), (addr, length), PT_RET_INT_ERRNO,        \
     F(HANDLE, addr) F(U64, length))                                                              \
CALL(shmget, SHM, SYM, int, (key_t key, size_t size, int shmflg), (key, size, shmflg),            \
     PT_RET_INT_ERRNO, F(I32, key) F(U64, size) F(FLAGS, shmflg))                                 \
CALL(shmat, SHM, SYM, void *, (int shmid, const void *shmaddr, int shmflg),                       \
     (shmid, shmaddr, shmflg), PT_RET_PTR_ERRNO, F(I32, shmid) F(FLAGS, shmflg))                  \
CALL(shmdt, SHM, SYM, int, (const void *shmaddr), (shmaddr), PT_RET_INT_ERRNO,                    \
     F(HANDLE, shmaddr))                                                                          \
CALL(shmctl, SHM, HAND, int, (int shmid, int cmd, struct shmid_ds *buf), (shmid, cmd, buf),        \
     PT_RET_INT_ERRNO, F(I32, shmid) F(I32, cmd))                                                 \
/* Files: opens only inside another traced call (to give keys and mappings their identity),     \
 * deletions and renames always. */                                                              \
CALL(open, FILE, NESTED, int, (const char *pathname, int flags, mode_t mode),                     \
     (pathname, flags, mode), PT_RET_FD_ERRNO, F(STR, pathname) F(FLAGS, flags)   \
     F(RET_FD, fd))                  \
CALL(openat, FILE, NESTED, int, (int dirfd, const char *pathname, int flags, mode_t mode),        \
     (dirfd, pathname, flags, mode), PT_RET_FD_ERRNO, F(I32, dirfd) F(STR, pathname)              \
                                                      F(FLAGS, flags) F(RET_FD, fd))                            \
CALL(unlink, FILE, SYM, int, (const char *pathname), (pathname), PT_RET_INT_ERRNO,                \
     F(PATH, pathname))                                                                           \
CALL(unlinkat, FILE, SYM, int, (int pathname_dirfd, const char *pathname, int flags),             \
     (pathname_dirfd, pathname, flags), PT_RET_INT_ERRNO, F(AT_PATH, pathname) F(FLAGS, flags))  \
CALL(rmdir, FILE, SYM, int, (const char *pathname), (pathname), PT_RET_INT_ERRNO,                 \
     F(PATH, pathname))                                                                           \
CALL(rename, FILE, SYM, int, (const char *oldpath, const char *newpath), (oldpath, newpath),      \
     PT_RET_INT_ERRNO, F(PATH, oldpath) F(PATH, newpath))                                         \
CALL(renameat, FILE, SYM, int,                                                                    \
     (int oldpath_dirfd, const char *oldpath, int newpath_dirfd, const char *newpath),            \
     (oldpath_dirfd, oldpath, newpath_dirfd, newpath), PT_RET_INT_ERRNO,                          \
     F(AT_PATH, oldpath) F(AT_PATH, newpath))                                                     \
CALL(renameat2, FILE, SYM, int,                                                                   \
     (int oldpath_dirfd, const char *oldpath, int newpath_dirfd, const char *newpath,             \
      unsigned int flags),                                                                        \
     (oldpath_dirfd, oldpath, newpath_dirfd, newpath, flags), PT_RET_INT_ERRNO,                   \
     F(AT_PATH, oldpath) F(AT_PATH, newpath) F(FLAGS, flags))                                     \
/* Process life. exec* rows are recorded before the call with ret 0 (it does not return on        \
 * success); if it returns, a second event of the same class carries ret -1 and errno. execv,    \
 * execvp, execvpe, execl, execle and execlp are recorded as execve with the path they were given.*/\
CALL(fork, PROC, HAND, pid_t, (void), (), PT_RET_INT_ERRNO, )                                     \
/* vfork is recorded at entry (ret 0): the child borrows the caller's stack, so no wrapper may   \
 * still be running when it returns twice; an exec* event follows from the child (or a         \
 * process event from the exec'ed image). */                                                     \
CALL(vfork, PROC, HAND, pid_t, (void), (), PT_RET_INT_ERRNO, )                                    \
CALL(posix_spawn, PROC, HAND, int,                                                                 \
     (pid_t *pid, const char *path, const posix_spawn_file_actions_t *file_actions,               \
      const posix_spawnattr_t *attrp, char *const argv[], char *const envp[]),                    \
     (pid, path, file_actions, attrp, argv, envp), PT_RET_ERRNUM, F(OUT_U32, pid) F(STR, path))  \
CALL(execve, PROC, HAND, int, (const char *pathname, char *const argv[], char *const envp[]),      \
     (pathname, argv, envp), PT_RET_INT_ERRNO, F(STR, pathname))                                  \
/* Credentials and namespaces: each success is followed by a cred / ns event. */                 \
CALL(setuid, CRED, SYM, int, (uid_t uid), (uid), PT_RET_INT_ERRNO, F(U32, uid))                   \
CALL(seteuid, CRED, SYM, int, (uid_t euid), (euid), PT_RET_INT_ERRNO, F(U32, euid))               \
CALL(setreuid, CRED, SYM, int, (uid_t ruid, uid_t euid), (ruid, euid), PT_RET_INT_ERRNO,          \
     F(U32, ruid) F(U32, euid))                                                                   \
CALL(setresuid, CRED, SYM, int, (uid_t ruid, uid_t euid, uid_t suid), (ruid, euid, suid),         \
     PT_RET_INT_ERRNO, F(U32, ruid) F(U32, euid) F(U32, suid))                                    \
CALL(setgid, CRED, SYM, int, (gid_t gid), (gid), PT_RET_INT_ERRNO, F(U32, gid))                   \
CALL(setegid, CRED, SYM, int, (gid_t egid), (egid), PT_RET_INT_ERRNO, F(U32, egid))               \
CALL(setregid, CRED, SYM, int, (gid_t rgid, gid_t egid), (rgid, egid), PT_RET_INT_ERRNO,          \
     F(U32, rgid) F(U32, egid))                                                                   \
CALL(setresgid, CRED, SYM, int, (gid_t rgid, gid_t egid, gid_t sgid), (rgid, egid, sgid),         \
     PT_RET_INT_ERRNO, F(U32, rgid) F(U32, egid) F(U32, sgid))                                    \
CALL(unshare, NS, SYM, int, (int flags), (flags), PT_RET_INT_ERRNO, F(FLAGS, flags))              \
CALL(setns, NS, SYM, int, (int fd, int nstype), (fd, nstype), PT_RET_INT_ERRNO, F(I32, fd)        \
     F(FLAGS, nstype))
/* clang-format on */

enum pt_call {
#define PT_CALL_ENUM(name, cat, hook, cret, cparams, cargs, retk, fields) PT_CALL_##name,
    PT_CALLS(PT_CALL_ENUM, _)
#undef PT_CALL_ENUM
        PT_CALL_COUNT
};

enum pt_category {
#define PT_CAT_ENUM(c) PT_CAT_##c,
    PT_CATEGORIES(PT_CAT_ENUM)
#undef PT_CAT_ENUM
        PT_CAT_COUNT
};

#endif

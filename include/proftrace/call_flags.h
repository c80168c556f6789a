/* call_flags.h — which named constants each numeric argument of the call table (calls.h) takes, so
 * that readers show `O_RDWR|O_CREAT|O_EXCL`, `KEY_READ` and `HKEY_CURRENT_USER` where the trace
 * holds 0xc2, 0x20019 and 0xffffffff80000001.
 *
 * One row per field: FIELD(call, field, set), where call is a row of PT_CALLS, field one of the wire
 * fields its captures record (calls.h, event.h: a capture `p` of kind AT_PATH records `p_dirfd`
 * too), and set one of the constant sets of tracer/flag_names.c (named after the constants' common
 * prefix or the API type). Every FLAGS capture of the call table has a row
 * (tests/unit/tracer_flags.c fails otherwise); a HANDLE that can be a predefined key or a descriptor
 * that can be AT_FDCWD has one too. A set is a bit set (names joined by '|', unknown bits in hex) or
 * a list of values (a value it does not name is shown as the plain number).
 *
 * Kept beside the call table rather than in it so that the table's rows stay what the shim expands,
 * and a new argument's constants are one row here.
 */
#ifndef PROFTRACE_CALL_FLAGS_H
#define PROFTRACE_CALL_FLAGS_H

/* clang-format off */
#define PT_CALL_FLAGS(FIELD)                                                                      \
    FIELD(RegCreateKeyExA, hKey, HKEY)                                                            \
    FIELD(RegCreateKeyExA, dwOptions, REG_OPTION)                                                 \
    FIELD(RegCreateKeyExA, samDesired, KEY_ACCESS)                                                \
    FIELD(RegCreateKeyExA, lpdwDisposition, REG_DISPOSITION)                                      \
    FIELD(RegOpenKeyExA, hKey, HKEY)                                                              \
    FIELD(RegOpenKeyExA, samDesired, KEY_ACCESS)                                                  \
    FIELD(RegQueryValueExA, hKey, HKEY)                                                           \
    FIELD(RegSetValueExA, hKey, HKEY)                                                             \
    FIELD(RegSetValueExA, dwType, REG_TYPE)                                                       \
    FIELD(RegDeleteKeyA, hKey, HKEY)                                                              \
    FIELD(RegDeleteTreeA, hKey, HKEY)                                                             \
    FIELD(RegEnumKeyExA, hKey, HKEY)                                                              \
    FIELD(RegCloseKey, hKey, HKEY)                                                                \
    FIELD(CreateFileMappingA, hFile, FILE_HANDLE)                                                 \
    FIELD(CreateFileMappingA, flProtect, PAGE)                                                    \
    FIELD(OpenFileMappingA, dwDesiredAccess, FILE_MAP)                                            \
    FIELD(MapViewOfFile, dwDesiredAccess, FILE_MAP)                                               \
    FIELD(MAPILogonEx, flFlags, MAPI_LOGON)                                                       \
    FIELD(MAPIAdminProfiles, ulFlags, MAPI_ADMIN)                                                 \
    FIELD(IProfAdmin_CreateProfile, ulFlags, MAPI_PROFILE)                                        \
    FIELD(IMAPISession_OpenMsgStore, ulFlags, MDB)                                                \
    FIELD(IMAPISession_Logoff, ulFlags, MAPI_LOGOFF)                                              \
    FIELD(shm_open, oflag, O)                                                                     \
    FIELD(memfd_create, flags, MFD)                                                               \
    FIELD(mmap, prot, PROT)                                                                       \
    FIELD(mmap, flags, MAP)                                                                       \
    FIELD(shmget, key, IPC_KEY)                                                                   \
    FIELD(shmget, shmflg, SHMGET)                                                                 \
    FIELD(shmat, shmflg, SHMAT)                                                                   \
    FIELD(shmctl, cmd, SHMCTL)                                                                    \
    FIELD(open, flags, O)                                                                         \
    FIELD(openat, dirfd, DIRFD)                                                                   \
    FIELD(openat, flags, O)                                                                       \
    FIELD(dup3, flags, O)                                                                         \
    FIELD(unlinkat, pathname_dirfd, DIRFD)                                                        \
    FIELD(unlinkat, flags, AT)                                                                    \
    FIELD(renameat, oldpath_dirfd, DIRFD)                                                         \
    FIELD(renameat, newpath_dirfd, DIRFD)                                                         \
    FIELD(renameat2, oldpath_dirfd, DIRFD)                                                        \
    FIELD(renameat2, newpath_dirfd, DIRFD)                                                        \
    FIELD(renameat2, flags, RENAME)                                                               \
    FIELD(unshare, flags, CLONE)                                                                  \
    FIELD(setns, nstype, CLONE)
/* clang-format on */

#endif

#!/usr/bin/env bash
# events_decode.sh — `proftrace events` shows arguments by the names of their constants, on real
# calls (tests/events/calls.c under `proftrace record`): every family the call table's flags table
# (include/proftrace/call_flags.h) names — predefined HKEYs, KEY_*, REG_*, INVALID_HANDLE_VALUE,
# PAGE_*, FILE_MAP_*, MAPI flags, O_*, PROT_*, MAP_*, MFD_*, IPC_* / SHM_*, AT_*, RENAME_*,
# CLONE_* — each in the line of the call that passed it; and what no constant names stays a
# number (an ordinary key handle, a descriptor).
source "$(dirname "$0")/events_lib.sh"
record_calls
"$PROFTRACE" events "$T/t" >"$T/ev" || fail "events: exit $?"
n=0
# expect CALL-PREFIX TEXT: some line of CALL (at any depth) contains TEXT
expect() {
    grep -E "\] +$1\(" "$T/ev" | grep -qF -- "$2" ||
        fail "no $1 line with '$2': $(grep -E "\] +$1\(" "$T/ev" | head -3)"
    n=$((n + 1))
}
expect RegCreateKeyExA "RegCreateKeyExA(HKEY_CURRENT_USER, \"Software\\\\$TAG-shmget-decoy\", REG_OPTION_VOLATILE, KEY_ALL_ACCESS, 0x"
expect RegCreateKeyExA ", REG_CREATED_NEW_KEY) = 0"
expect RegCreateKeyExA "REG_OPTION_NON_VOLATILE, KEY_READ|KEY_SET_VALUE, 0x"
expect RegCreateKeyExA ", REG_OPENED_EXISTING_KEY) = 0"
expect RegSetValueExA "\"count\", REG_DWORD, 4) = 0"
expect RegOpenKeyExA "RegOpenKeyExA(HKEY_CURRENT_USER, \"Software\\\\$TAG-missing\", KEY_QUERY_VALUE, 0) = ERROR_FILE_NOT_FOUND (2)"
expect RegOpenKeyExA "RegOpenKeyExA(HKEY_LOCAL_MACHINE, \"Software\", KEY_READ,"
expect RegDeleteKeyA "RegDeleteKeyA(HKEY_CURRENT_USER, \"Software\\\\$TAG-shmget-decoy\")"
# an opened key is a handle, not a predefined key: a number
grep -E '\] +RegSetValueExA\(0x[0-9a-f]+, "count"' "$T/ev" >/dev/null || fail "an ordinary HKEY is not shown as a number"
expect CreateFileMappingA "CreateFileMappingA(INVALID_HANDLE_VALUE, PAGE_READWRITE, 4096, \"Local\\\\$TAG-map\")"
expect MapViewOfFile ", FILE_MAP_ALL_ACCESS, 4096)"
expect OpenFileMappingA "OpenFileMappingA(FILE_MAP_READ, \"Local\\\\$TAG-map\")"
expect MAPIAdminProfiles "MAPIAdminProfiles(0, 0x"
expect IProfAdmin_CreateProfile "\"$TAG-profile\", MAPI_DEFAULT_SERVICES) = S_OK"
expect MAPILogonEx "MAPILogonEx(\"$TAG-profile\", MAPI_NEW_SESSION|MAPI_EXPLICIT_PROFILE|MAPI_EXTENDED|MAPI_NO_MAIL, 0x"
expect IMAPISession_OpenMsgStore ", MDB_NO_DIALOG|MDB_WRITE, 0x"
expect shm_open "shm_open(\"/$TAG-posix\", O_RDWR|O_CREAT|O_EXCL @"
expect shm_open "shm_open(\"/$TAG-posix\", O_RDWR|O_CREAT|O_EXCL) = -1 EEXIST"
expect mmap "mmap(4096, PROT_READ|PROT_WRITE, MAP_SHARED, "
expect memfd_create "memfd_create(\"$TAG-memfd\", MFD_CLOEXEC|MFD_ALLOW_SEALING"
expect shmget "shmget(IPC_PRIVATE, 4096, IPC_CREAT|0600) = "
expect shmat ", SHM_RDONLY) = 0x"
expect shmctl ", IPC_RMID) = 0"
expect unlinkat "unlinkat(AT_FDCWD, \"$T/files/$TAG-dir\" @"
expect unlinkat ", AT_REMOVEDIR) = 0"
expect renameat2 "renameat2(AT_FDCWD, \"$T/files/$TAG-a\" @"
expect renameat2 ", AT_FDCWD, \"$T/files/$TAG-b\", RENAME_NOREPLACE) = 0"
expect unshare "unshare(CLONE_NEWUTS|CLONE_NEWIPC) = 0"
expect shm_open "shm_open(\"/$TAG-thread\", O_RDONLY|O_CREAT @"
# the nested opens of the registry (a key is a directory): a descriptor stays a number
grep -E '\] +openat\([0-9]+, "[^"]*", O_RDONLY\|O_DIRECTORY\|O_CLOEXEC' "$T/ev" >/dev/null ||
    fail "nested openat of a key: $(grep -E '\] +openat\(' "$T/ev" | head -2)"
# and no raw flag of these families is left in hex where a name exists
! grep -E '\] +(shm_open|mmap|shmget|shmctl|unshare)\(.*0x[0-9a-f]+ *[,)@]' "$T/ev" | grep -vE '= 0x|, 0x[0-9a-f]+\)$' >"$T/raw" ||
    fail "raw values left: $(cat "$T/raw")"
ok "$n decoded arguments in events of real calls, ordinary handles and descriptors left as numbers"

/* tracer_flags.c — the named constants of call arguments (include/proftrace/call_flags.h,
 * tracer/flag_names.c): every FLAGS capture of the call table has a set and every row of the flags
 * table names a field its call records, so a new flags argument cannot go undecoded; and values
 * read as strace and the Win32 headers spell them: combinations before their bits, a part of a
 * field (O_ACCMODE, MAP_TYPE), the name of 0, a permission mode, unknown bits in hex, a value a
 * list does not name left to the caller. (tests/integration/events_decode.sh checks the same
 * names in `proftrace events` on real calls.) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "proftrace/call_flags.h"
#include "tests/unit/tracer_test.h"
#include "tracer/flag_names.h"
#include "tracer/internal.h"

/* The FLAGS captures of each call, from the call table itself. */
#define CAP_NAME_FLAGS(n) #n,
#define CAP_NAME_OTHER(n)
#define CAP_NAME_U32 CAP_NAME_OTHER
#define CAP_NAME_I32 CAP_NAME_OTHER
#define CAP_NAME_U64 CAP_NAME_OTHER
#define CAP_NAME_HANDLE CAP_NAME_OTHER
#define CAP_NAME_STR CAP_NAME_OTHER
#define CAP_NAME_OUT_HANDLE CAP_NAME_OTHER
#define CAP_NAME_OUT_U32 CAP_NAME_OTHER
#define CAP_NAME_OUT_STR CAP_NAME_OTHER
#define CAP_NAME_PATH CAP_NAME_OTHER
#define CAP_NAME_AT_PATH CAP_NAME_OTHER
#define CAP_NAME_SHM_NAME CAP_NAME_OTHER
#define CAP_NAME_FD CAP_NAME_OTHER
#define CAP_NAME_OUT_OBJECT CAP_NAME_OTHER
#define CAP_NAME_RET_FD CAP_NAME_OTHER
#define F(cap, n) CAP_NAME_##cap(n)
#define CALL(name, cat, hook, cret, cparams, cargs, retk, fields)                                  \
    static const char *const flags_##name[] = {fields NULL};
PT_CALLS(CALL, F)
#undef CALL
static const char *const *const flag_fields[] = {
#define CALL(name, cat, hook, cret, cparams, cargs, retk, fields) flags_##name,
    PT_CALLS(CALL, F)
#undef CALL
};
#undef F

static int field_index(unsigned call, const char *field)
{
    const struct pt__class *cl = &pt__classes[PT_EV_CALL_FIRST + call];
    for (unsigned i = 0; i < cl->nfields; i++)
        if (!strcmp(cl->fields[i].name, field))
            return (int)i;
    return -1;
}

static const struct pt__flagset *set_of(unsigned call, const char *field)
{
    int i = field_index(call, field);
    return i < 0 ? NULL : pt__flagset_of(PT_EV_CALL_FIRST + call, (unsigned)i);
}

static void expect(unsigned call, const char *field, uint64_t v, const char *want)
{
    const struct pt__flagset *s = set_of(call, field);
    CHECK(s, "%s.%s has no set", pt_event_name(PT_EV_CALL_FIRST + call), field);
    if (!s)
        return;
    char buf[256];
    size_t n = pt__flags_text(s, v, buf, sizeof buf);
    if (!want) {
        CHECK(n == 0, "%s.%s %#llx: want no name, got '%s'", pt_event_name(PT_EV_CALL_FIRST + call),
              field, (unsigned long long)v, buf);
        return;
    }
    CHECK(n == strlen(want) && !strcmp(buf, want), "%s.%s %#llx: got '%s', want '%s'",
          pt_event_name(PT_EV_CALL_FIRST + call), field, (unsigned long long)v, buf, want);
    /* cut short like snprintf: the length needed, a terminated prefix */
    char small[6];
    CHECK(pt__flags_text(s, v, small, sizeof small) == n && strlen(small) == (n < 5 ? n : 5),
          "truncation of '%s'", want);
}

int main(void)
{
    /* 1. The two tables agree. */
    unsigned flags = 0;
    for (unsigned c = 0; c < PT_CALL_COUNT; c++)
        for (const char *const *f = flag_fields[c]; *f; f++, flags++)
            CHECK(set_of(c, *f), "%s: FLAGS argument %s has no row in call_flags.h",
                  pt_event_name(PT_EV_CALL_FIRST + c), *f);
    CHECK(flags >= 20, "only %u FLAGS captures found in the call table", flags);
    static const struct {
        unsigned call;
        const char *field;
    } rows[] = {
#define ROW(call, field, set) {PT_CALL_##call, #field},
        PT_CALL_FLAGS(ROW)
#undef ROW
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
        CHECK(field_index(rows[r].call, rows[r].field) >= 0,
              "call_flags.h: %s records no field '%s'",
              pt_event_name(PT_EV_CALL_FIRST + rows[r].call), rows[r].field);
    CHECK(!pt__flagset_of(PT_EV_process, 0), "a non-call event has no sets");
    CHECK(!set_of(PT_CALL_shm_open, "name"), "a string has no set");

    /* 2. Values. */
    expect(PT_CALL_shm_open, "oflag", O_RDWR | O_CREAT | O_EXCL, "O_RDWR|O_CREAT|O_EXCL");
    expect(PT_CALL_open, "flags", O_RDONLY | O_CLOEXEC, "O_RDONLY|O_CLOEXEC");
    expect(PT_CALL_openat, "flags", O_WRONLY | O_SYNC, "O_WRONLY|O_SYNC"); /* not |O_DSYNC too */
    expect(PT_CALL_openat, "flags", O_RDWR | 0x40000000, "O_RDWR|0x40000000");
    expect(PT_CALL_openat, "dirfd", (uint64_t)(int64_t)AT_FDCWD, "AT_FDCWD");
    expect(PT_CALL_openat, "dirfd", 5, NULL);
    expect(PT_CALL_mmap, "prot", PROT_READ | PROT_WRITE, "PROT_READ|PROT_WRITE");
    expect(PT_CALL_mmap, "prot", 0, "PROT_NONE");
    expect(PT_CALL_mmap, "flags", MAP_SHARED, "MAP_SHARED");
    expect(PT_CALL_mmap, "flags", MAP_PRIVATE | MAP_ANONYMOUS, "MAP_PRIVATE|MAP_ANONYMOUS");
    expect(PT_CALL_shmget, "shmflg", IPC_CREAT | 0600, "IPC_CREAT|0600");
    expect(PT_CALL_shmget, "shmflg", 0, "0");
    expect(PT_CALL_shmget, "key", IPC_PRIVATE, "IPC_PRIVATE");
    expect(PT_CALL_shmget, "key", 0x1234, NULL);
    expect(PT_CALL_shmctl, "cmd", IPC_RMID, "IPC_RMID");
    expect(PT_CALL_shmctl, "cmd", 99, NULL);
    expect(PT_CALL_shmat, "shmflg", SHM_RDONLY, "SHM_RDONLY");
    expect(PT_CALL_unlinkat, "flags", AT_REMOVEDIR, "AT_REMOVEDIR");
    expect(PT_CALL_unlinkat, "flags", 0, "0");
    expect(PT_CALL_unshare, "flags", CLONE_NEWIPC | CLONE_NEWNS, "CLONE_NEWNS|CLONE_NEWIPC");
    expect(PT_CALL_RegOpenKeyExA, "hKey", 0xffffffff80000001ull, "HKEY_CURRENT_USER");
    expect(PT_CALL_RegCloseKey, "hKey", 0x55d0c2a0, NULL);
    expect(PT_CALL_RegOpenKeyExA, "samDesired", 0x20019, "KEY_READ");
    expect(PT_CALL_RegCreateKeyExA, "samDesired", 0xf003f | 0x100,
           "KEY_ALL_ACCESS|KEY_WOW64_64KEY");
    expect(PT_CALL_RegCreateKeyExA, "samDesired", 0x20019 | 0x2, "KEY_READ|KEY_SET_VALUE");
    expect(PT_CALL_RegCreateKeyExA, "dwOptions", 0, "REG_OPTION_NON_VOLATILE");
    expect(PT_CALL_RegCreateKeyExA, "dwOptions", 1, "REG_OPTION_VOLATILE");
    expect(PT_CALL_RegCreateKeyExA, "lpdwDisposition", 1, "REG_CREATED_NEW_KEY");
    expect(PT_CALL_RegSetValueExA, "dwType", 4, "REG_DWORD");
    expect(PT_CALL_CreateFileMappingA, "hFile", UINT64_MAX, "INVALID_HANDLE_VALUE");
    expect(PT_CALL_CreateFileMappingA, "flProtect", 0x4 | 0x8000000, "PAGE_READWRITE|SEC_COMMIT");
    expect(PT_CALL_MapViewOfFile, "dwDesiredAccess", 0xf001f, "FILE_MAP_ALL_ACCESS");
    expect(PT_CALL_MapViewOfFile, "dwDesiredAccess", 0x6, "FILE_MAP_WRITE|FILE_MAP_READ");
    expect(PT_CALL_MAPILogonEx, "flFlags", 0x8032,
           "MAPI_NEW_SESSION|MAPI_EXPLICIT_PROFILE|MAPI_EXTENDED|MAPI_NO_MAIL");
    expect(PT_CALL_IMAPISession_OpenMsgStore, "ulFlags", 0x11, "MDB_NO_DIALOG|MAPI_BEST_ACCESS");
    return t_failures ? 1 : 0;
}

/* flag_names.c — the named constants of call arguments, and a value shown with them. Which field
 * takes which set is the table of include/proftrace/call_flags.h.
 *
 * The Linux constants come from the system headers: a trace is read on the kind of machine it was
 * recorded on (the ring header refuses another byte order or word size). The Win32 and MAPI ones
 * are the documented values of those public APIs, written out here: proftrace shares no header
 * with the library it traces. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "proftrace/call_flags.h"
#include "proftrace/calls.h"
#include "tracer/flag_names.h"
#include "tracer/internal.h"

/* One constant: it names `value` when the bits of `mask` in a field equal it. A bit flag is its own
 * mask; a value of a multi-bit part has that part as mask (O_RDWR in O_ACCMODE, MAP_PRIVATE in
 * MAP_TYPE); a whole value (a list of values, or the name of 0 in a bit set) has every bit. A NULL
 * name shows the masked bits in octal (a permission mode). */
struct pt__flag {
    uint64_t value, mask;
    const char *name;
};

struct pt__flagset {
    int is_values; /* a list of values (one name or none), else a bit set */
    unsigned n;
    const struct pt__flag *v;
};

/* clang-format off */
#define ALL UINT64_MAX
#define BIT(c) {(uint64_t)(c), (uint64_t)(c), #c}
#define PART(c, m) {(uint64_t)(c), (uint64_t)(m), #c}
#define VALUE(c) {(uint64_t)(int64_t)(c), ALL, #c}
#define ZERO(c) {0, ALL, #c}
#define WBIT(name, v) {(v), (v), name}         /* a Win32 / MAPI constant by its documented value */
#define WVALUE(name, v) {(v), ALL, name}
#define MODE(m) {0, (m), NULL}

#define SET(name, kind, ...)                                                                      \
    static const struct pt__flag name##_v[] = {__VA_ARGS__};                                      \
    static const struct pt__flagset fs_##name = {kind, sizeof name##_v / sizeof name##_v[0],     \
                                                 name##_v};
enum { BITS, VALUES };

/* ---- Registry (advapi32) -------------------------------------------------------------------- */

/* Predefined keys: (HKEY)(ULONG_PTR)(LONG)0x8000000N, sign-extended in a 64-bit handle. */
SET(HKEY, VALUES, WVALUE("HKEY_CLASSES_ROOT", 0xffffffff80000000),
    WVALUE("HKEY_CURRENT_USER", 0xffffffff80000001),
    WVALUE("HKEY_LOCAL_MACHINE", 0xffffffff80000002), WVALUE("HKEY_USERS", 0xffffffff80000003),
    WVALUE("HKEY_PERFORMANCE_DATA", 0xffffffff80000004),
    WVALUE("HKEY_CURRENT_CONFIG", 0xffffffff80000005), WVALUE("HKEY_DYN_DATA", 0xffffffff80000006),
    WVALUE("HKEY_CURRENT_USER_LOCAL_SETTINGS", 0xffffffff80000007),
    WVALUE("HKEY_PERFORMANCE_TEXT", 0xffffffff80000050),
    WVALUE("HKEY_PERFORMANCE_NLSTEXT", 0xffffffff80000060))
/* REGSAM: the usual combinations first, so that 0x20019 reads KEY_READ, not its five bits. */
SET(KEY_ACCESS, BITS, WBIT("KEY_ALL_ACCESS", 0xf003f), WBIT("KEY_READ", 0x20019),
    WBIT("KEY_WRITE", 0x20006), WBIT("KEY_QUERY_VALUE", 0x1), WBIT("KEY_SET_VALUE", 0x2),
    WBIT("KEY_CREATE_SUB_KEY", 0x4), WBIT("KEY_ENUMERATE_SUB_KEYS", 0x8), WBIT("KEY_NOTIFY", 0x10),
    WBIT("KEY_CREATE_LINK", 0x20), WBIT("KEY_WOW64_64KEY", 0x100), WBIT("KEY_WOW64_32KEY", 0x200),
    WBIT("DELETE", 0x10000), WBIT("READ_CONTROL", 0x20000), WBIT("WRITE_DAC", 0x40000),
    WBIT("WRITE_OWNER", 0x80000), WBIT("MAXIMUM_ALLOWED", 0x2000000),
    WBIT("GENERIC_ALL", 0x10000000), WBIT("GENERIC_EXECUTE", 0x20000000),
    WBIT("GENERIC_WRITE", 0x40000000), WBIT("GENERIC_READ", 0x80000000))
SET(REG_OPTION, BITS, WVALUE("REG_OPTION_NON_VOLATILE", 0), WBIT("REG_OPTION_VOLATILE", 0x1),
    WBIT("REG_OPTION_CREATE_LINK", 0x2), WBIT("REG_OPTION_BACKUP_RESTORE", 0x4),
    WBIT("REG_OPTION_OPEN_LINK", 0x8))
SET(REG_TYPE, VALUES, WVALUE("REG_NONE", 0), WVALUE("REG_SZ", 1), WVALUE("REG_EXPAND_SZ", 2),
    WVALUE("REG_BINARY", 3), WVALUE("REG_DWORD", 4), WVALUE("REG_DWORD_BIG_ENDIAN", 5),
    WVALUE("REG_LINK", 6), WVALUE("REG_MULTI_SZ", 7), WVALUE("REG_RESOURCE_LIST", 8),
    WVALUE("REG_FULL_RESOURCE_DESCRIPTOR", 9), WVALUE("REG_RESOURCE_REQUIREMENTS_LIST", 10),
    WVALUE("REG_QWORD", 11))
SET(REG_DISPOSITION, VALUES, WVALUE("REG_CREATED_NEW_KEY", 1), WVALUE("REG_OPENED_EXISTING_KEY", 2))

/* ---- File mappings (kernel32) --------------------------------------------------------------- */

SET(FILE_HANDLE, VALUES, WVALUE("INVALID_HANDLE_VALUE", 0xffffffffffffffff))
SET(PAGE, BITS, WBIT("PAGE_NOACCESS", 0x1), WBIT("PAGE_READONLY", 0x2), WBIT("PAGE_READWRITE", 0x4),
    WBIT("PAGE_WRITECOPY", 0x8), WBIT("PAGE_EXECUTE", 0x10), WBIT("PAGE_EXECUTE_READ", 0x20),
    WBIT("PAGE_EXECUTE_READWRITE", 0x40), WBIT("PAGE_EXECUTE_WRITECOPY", 0x80),
    WBIT("PAGE_GUARD", 0x100), WBIT("PAGE_NOCACHE", 0x200), WBIT("PAGE_WRITECOMBINE", 0x400),
    WBIT("SEC_IMAGE", 0x1000000), WBIT("SEC_RESERVE", 0x4000000), WBIT("SEC_COMMIT", 0x8000000),
    WBIT("SEC_NOCACHE", 0x10000000), WBIT("SEC_LARGE_PAGES", 0x80000000))
SET(FILE_MAP, BITS, WBIT("FILE_MAP_ALL_ACCESS", 0xf001f), WBIT("FILE_MAP_COPY", 0x1),
    WBIT("FILE_MAP_WRITE", 0x2), WBIT("FILE_MAP_READ", 0x4), WBIT("FILE_MAP_EXECUTE", 0x20),
    WBIT("FILE_MAP_LARGE_PAGES", 0x20000000), WBIT("FILE_MAP_TARGETS_INVALID", 0x40000000),
    WBIT("FILE_MAP_RESERVE", 0x80000000))

/* ---- MAPI (mapi32) ------------------------------------------------------------------------- */

SET(MAPI_LOGON, BITS, WBIT("MAPI_LOGON_UI", 0x1), WBIT("MAPI_NEW_SESSION", 0x2),
    WBIT("MAPI_ALLOW_OTHERS", 0x8), WBIT("MAPI_EXPLICIT_PROFILE", 0x10),
    WBIT("MAPI_EXTENDED", 0x20),
    WBIT("MAPI_USE_DEFAULT", 0x40), WBIT("MAPI_FORCE_DOWNLOAD", 0x1000),
    WBIT("MAPI_SERVICE_UI_ALWAYS", 0x2000), WBIT("MAPI_NO_MAIL", 0x8000),
    WBIT("MAPI_NT_SERVICE", 0x10000), WBIT("MAPI_PASSWORD_UI", 0x20000),
    WBIT("MAPI_TIMEOUT_SHORT", 0x100000), WBIT("MAPI_BG_SESSION", 0x200000),
    WBIT("MAPI_UNICODE", 0x80000000))
SET(MAPI_ADMIN, BITS, WBIT("MAPI_UNICODE", 0x80000000))
SET(MAPI_PROFILE, BITS, WBIT("MAPI_DEFAULT_SERVICES", 0x1), WBIT("MAPI_DIALOG", 0x8),
    WBIT("MAPI_UNICODE", 0x80000000))
SET(MDB, BITS, WBIT("MDB_NO_DIALOG", 0x1), WBIT("MDB_WRITE", 0x4), WBIT("MAPI_DEFERRED_ERRORS", 0x8),
    WBIT("MAPI_BEST_ACCESS", 0x10), WBIT("MDB_TEMPORARY", 0x20), WBIT("MDB_NO_MAIL", 0x80),
    WBIT("MDB_ONLINE", 0x100))
SET(MAPI_LOGOFF, BITS, WBIT("MAPI_LOGOFF_SHARED", 0x1), WBIT("MAPI_LOGOFF_UI", 0x2))

/* ---- Linux ---------------------------------------------------------------------------------- */

/* open(2) flags in strace's order. O_SYNC and O_TMPFILE include another flag's bit, so they come
 * first; O_LARGEFILE is 0 in a 64-bit program's headers but has a bit in the kernel's. */
SET(O, BITS, PART(O_RDONLY, O_ACCMODE), PART(O_WRONLY, O_ACCMODE), PART(O_RDWR, O_ACCMODE),
    BIT(O_CREAT), BIT(O_EXCL), BIT(O_NOCTTY), BIT(O_TRUNC), BIT(O_APPEND), BIT(O_NONBLOCK),
    BIT(O_SYNC), BIT(O_DSYNC), BIT(O_ASYNC), BIT(O_DIRECT), WBIT("O_LARGEFILE", 0100000),
    BIT(O_TMPFILE), BIT(O_DIRECTORY), BIT(O_NOFOLLOW), BIT(O_NOATIME), BIT(O_CLOEXEC), BIT(O_PATH))
SET(PROT, BITS, ZERO(PROT_NONE), BIT(PROT_READ), BIT(PROT_WRITE), BIT(PROT_EXEC),
    BIT(PROT_GROWSDOWN), BIT(PROT_GROWSUP))
SET(MAP, BITS, PART(MAP_SHARED, MAP_TYPE), PART(MAP_PRIVATE, MAP_TYPE),
    PART(MAP_SHARED_VALIDATE, MAP_TYPE), BIT(MAP_FIXED), BIT(MAP_ANONYMOUS),
#ifdef MAP_32BIT
    BIT(MAP_32BIT),
#endif
    BIT(MAP_GROWSDOWN), BIT(MAP_DENYWRITE), BIT(MAP_EXECUTABLE), BIT(MAP_LOCKED),
    BIT(MAP_NORESERVE), BIT(MAP_POPULATE), BIT(MAP_NONBLOCK), BIT(MAP_STACK), BIT(MAP_HUGETLB),
    BIT(MAP_SYNC), BIT(MAP_FIXED_NOREPLACE))
SET(MFD, BITS, BIT(MFD_CLOEXEC), BIT(MFD_ALLOW_SEALING), BIT(MFD_HUGETLB))
SET(IPC_KEY, VALUES, VALUE(IPC_PRIVATE))
SET(SHMGET, BITS, BIT(IPC_CREAT), BIT(IPC_EXCL), BIT(SHM_HUGETLB), BIT(SHM_NORESERVE), MODE(0777))
SET(SHMAT, BITS, BIT(SHM_RDONLY), BIT(SHM_RND), BIT(SHM_REMAP), BIT(SHM_EXEC))
SET(SHMCTL, VALUES, VALUE(IPC_RMID), VALUE(IPC_SET), VALUE(IPC_STAT), VALUE(IPC_INFO),
    VALUE(SHM_LOCK), VALUE(SHM_UNLOCK), VALUE(SHM_STAT), VALUE(SHM_INFO), VALUE(SHM_STAT_ANY))
SET(DIRFD, VALUES, VALUE(AT_FDCWD))
SET(AT, BITS, BIT(AT_REMOVEDIR))
SET(RENAME, BITS, BIT(RENAME_NOREPLACE), BIT(RENAME_EXCHANGE), BIT(RENAME_WHITEOUT))
SET(CLONE, BITS, BIT(CLONE_NEWTIME), BIT(CLONE_FS), BIT(CLONE_FILES), BIT(CLONE_NEWNS),
    BIT(CLONE_SYSVSEM), BIT(CLONE_NEWCGROUP), BIT(CLONE_NEWUTS), BIT(CLONE_NEWIPC),
    BIT(CLONE_NEWUSER), BIT(CLONE_NEWPID), BIT(CLONE_NEWNET))

/* clang-format on */

/* ---- Which field takes which set ------------------------------------------------------------ */

/* By call and field index, resolved once from call_flags.h's field names (a row whose field the
 * call does not record resolves to nothing: tests/unit/tracer_flags.c checks there is none). */
static const struct pt__flagset *by_field[PT_CALL_COUNT][PT_MAX_FIELDS];
static pthread_once_t by_field_once = PTHREAD_ONCE_INIT;

static void resolve(void)
{
    static const struct {
        unsigned call;
        const char *field;
        const struct pt__flagset *set;
    } rows[] = {
#define ROW(call, field, set) {PT_CALL_##call, #field, &fs_##set},
        PT_CALL_FLAGS(ROW)
#undef ROW
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        const struct pt__class *cl = &pt__classes[PT_EV_CALL_FIRST + rows[r].call];
        for (unsigned i = 0; i < cl->nfields && i < PT_MAX_FIELDS; i++)
            if (!strcmp(cl->fields[i].name, rows[r].field))
                by_field[rows[r].call][i] = rows[r].set;
    }
}

const struct pt__flagset *pt__flagset_of(unsigned id, unsigned field)
{
    if (id < PT_EV_CALL_FIRST || id - PT_EV_CALL_FIRST >= PT_CALL_COUNT || field >= PT_MAX_FIELDS)
        return NULL;
    pthread_once(&by_field_once, resolve);
    return by_field[id - PT_EV_CALL_FIRST][field];
}

/* ---- A value as text ------------------------------------------------------------------------ */

struct text {
    char *buf;
    size_t len, pos; /* pos may pass len: the length needed, as snprintf's result */
    unsigned names;
};

/* Appends one name (joined to the previous by '|'), cut at the buffer's end, NUL-terminated. */
static void add(struct text *t, const char *name)
{
    for (const char *p = t->names++ ? "|" : ""; *p; p++, t->pos++)
        if (t->pos + 1 < t->len)
            t->buf[t->pos] = *p;
    for (const char *p = name; *p; p++, t->pos++)
        if (t->pos + 1 < t->len)
            t->buf[t->pos] = *p;
    if (t->len)
        t->buf[t->pos < t->len ? t->pos : t->len - 1] = 0;
}

size_t pt__flags_text(const struct pt__flagset *s, uint64_t v, char *buf, size_t len)
{
    struct text t = {buf, len, 0, 0};
    char num[32];
    uint64_t decided = 0; /* bits a constant has spoken for: no second name covers them */
    if (len)
        buf[0] = 0;
    for (unsigned i = 0; i < s->n; i++) {
        const struct pt__flag *f = &s->v[i];
        if ((f->mask & decided) || (f->name && (v & f->mask) != f->value))
            continue;
        decided |= f->mask;
        if (f->name) {
            add(&t, f->name);
        } else if (v & f->mask) {
            snprintf(num, sizeof num, "%#llo", (unsigned long long)(v & f->mask));
            add(&t, num);
        }
        if (s->is_values)
            break;
    }
    if (s->is_values)
        return t.pos;
    if ((v & ~decided) || !t.names) {
        snprintf(num, sizeof num, "%#llx", (unsigned long long)(v & ~decided));
        add(&t, num);
    }
    return t.pos;
}

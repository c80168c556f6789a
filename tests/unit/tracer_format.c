/* tracer_format.c — the text of events (`proftrace events`, reports): each return kind of the
 * call table, arguments by the names of their constants (call_flags.h), Win32 / HRESULT / errno
 * names, identities, non-call events. Events are built the way the reader builds them: written to
 * a real ring and read back. */
#include <errno.h>
#include <sys/syscall.h>

#include "proftrace/trace.h"
#include "tests/unit/tracer_test.h"

static struct pt_tbuf *buf;

/* a call with fields given as (wire, value) pairs in table order; strings as const char * */
static void call(unsigned id, int64_t ret, int32_t err, int n, ...)
{
    uint64_t t = pt_now();
    va_list ap;
    size_t size = pt_size_call(t - 10, t, ret, 0);
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        int wire = va_arg(ap, int);
        if (wire == PT_WIRE_STR)
            size += pt_size_str(strlen(va_arg(ap, const char *)));
        else
            (void)va_arg(ap, uint64_t), size += pt_size_wire(wire);
    }
    va_end(ap);
    struct pt_enc e;
    CHECK(pt_tbuf_begin(buf, (uint16_t)(PT_EV_CALL_FIRST + id), t, size, &e) == 0, "begin");
    pt_enc_call(&e, t - 10, t, 1, ret, err, NULL, 0);
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        int wire = va_arg(ap, int);
        if (wire == PT_WIRE_STR) {
            const char *s = va_arg(ap, const char *);
            pt_enc_str(&e, s, strlen(s));
        } else {
            uint64_t v = va_arg(ap, uint64_t);
            switch (pt_size_wire(wire)) {
            case 4: pt_enc_u32(&e, (uint32_t)v); break;
            default: pt_enc_u64(&e, v); break;
            }
        }
    }
    va_end(ap);
    CHECK(e.p == e.end, "size of call %u", id);
    pt_tbuf_commit(buf, &e);
}

#define U64(v) PT_WIRE_U64, (uint64_t)(v)
#define X64(v) PT_WIRE_X64, (uint64_t)(v)
#define U32(v) PT_WIRE_U32, (uint64_t)(v)
#define I32(v) PT_WIRE_I32, (uint64_t)(uint32_t)(v)
#define STR(s) PT_WIRE_STR, (const char *)(s)

static const char *const expected[] = {
    "RegQueryValueExA(0x55d0c2a0, \"001e6614\", 0) = ERROR_KEY_DELETED (1018)",
    "RegOpenKeyExA(HKEY_CURRENT_USER, \"Software\\\\Profiles\", KEY_READ, 0x1234) = 0",
    "MAPILogonEx(\"ES-1\", MAPI_EXTENDED, 0) = MAPI_E_CALL_FAILED (0x80004005)",
    "MAPIInitialize(0) = S_OK (0)",
    "CreateFileMappingA(INVALID_HANDLE_VALUE, PAGE_READWRITE, 4096, \"Local\\\\x\") = NULL, GetLastError() = "
    "ERROR_ACCESS_DENIED (5)",
    "ImpersonateLoggedOnUser(0x10) = TRUE",
    "unlink(\"/dev/shm/x\" @0:23/1234) = -1 ENOENT (No such file or directory)",
    "mmap(4096, PROT_READ|PROT_WRITE, MAP_SHARED, 5 @8:1/77) = 0x7f0000001000",
    "posix_spawn(0, \"/bin/x\") = EACCES (Permission denied)",
    "MAPIUninitialize()",
    "IProfAdmin_Release(0x99) = 2",
    "shm_open(\"q\\\"uote\\n\", O_RDWR|O_CREAT @8:1/99) = 3",
};

int main(void)
{
    char *dir = t_mkdtemp("format");
    struct pt_ring_config cfg = {.dir = dir};
    struct pt_ring *r;
    CHECK(pt_ring_create(&cfg, &r) == 0, "ring");
    buf = pt_ring_claim(r, (uint32_t)syscall(SYS_gettid));
    call(PT_CALL_RegQueryValueExA, 1018, 0, 3, X64(0x55d0c2a0), STR("001e6614"), U32(0));
    call(PT_CALL_RegOpenKeyExA, 0, 0, 4, X64(0xffffffff80000001), STR("Software\\Profiles"),
         X64(0x20019), X64(0x1234));
    call(PT_CALL_MAPILogonEx, (int64_t)0x80004005u, 0, 3, STR("ES-1"), X64(0x20), X64(0));
    call(PT_CALL_MAPIInitialize, 0, 0, 1, X64(0));
    call(PT_CALL_CreateFileMappingA, 0, 5, 4, X64(-1), X64(4), U32(4096), STR("Local\\x"));
    call(PT_CALL_ImpersonateLoggedOnUser, 1, 0, 1, X64(0x10));
    call(PT_CALL_unlink, -1, ENOENT, 3, STR("/dev/shm/x"), U64(23), U64(1234));
    call(PT_CALL_mmap, 0x7f0000001000, 0, 6, U64(4096), X64(3), X64(1), I32(5), U64(0x801),
         U64(77));
    call(PT_CALL_posix_spawn, EACCES, 0, 2, U32(0), STR("/bin/x"));
    call(PT_CALL_MAPIUninitialize, 0, 0, 0);
    call(PT_CALL_IProfAdmin_Release, 2, 0, 1, X64(0x99));
    call(PT_CALL_shm_open, 3, 0, 4, STR("q\"uote\n"), X64(0x42), U64(0x801), U64(99));
    int32_t reaped[3] = {9, 0, 0}; /* signo, last_ts (u64, unaligned in the record) */
    CHECK(pt_tbuf_write(buf, PT_EV_reaped, pt_now(), reaped, 12) == 0, "reaped");
    pt_ring_release(r, buf);
    pt_ring_close(r);

    struct pt_trace *t;
    CHECK(pt_trace_open(dir, NULL, NULL, &t) == 0, "open");
    struct pt_event ev;
    char line[1024];
    unsigned k = 0;
    while (pt_trace_next(t, &ev) > 0) {
        if (ev.id == PT_EV_thread)
            continue;
        size_t need = pt_event_format(&ev, line, sizeof line);
        CHECK(need == strlen(line), "length");
        if (k < sizeof expected / sizeof expected[0]) {
            CHECK(!strcmp(line, expected[k]), "\n got  %s\n want %s", line, expected[k]);
            CHECK(ev.depth == 1 && ev.ts - ev.ts_enter == 10, "call head of %s", line);
        } else {
            CHECK(!strcmp(line, "reaped(signo=9, last_ts=0) SIGKILL"), "got %s", line);
        }
        /* truncation behaves like snprintf */
        char small[8];
        CHECK(pt_event_format(&ev, small, sizeof small) == need && strlen(small) == 7, "trunc");
        k++;
    }
    CHECK(k == sizeof expected / sizeof expected[0] + 1, "%u events", k);
    pt_trace_close(t);
    CHECK(!strcmp(pt_win32_error_name(1018), "ERROR_KEY_DELETED"), "win32");
    CHECK(pt_win32_error_name(99999) == NULL, "unknown win32");
    CHECK(!strcmp(pt_hresult_name(0x80004005u), "MAPI_E_CALL_FAILED"), "hresult");
    CHECK(!strcmp(pt_errno_name(ENOENT), "ENOENT"), "errno");
    t_rmrf(dir);
    free(dir);
    return t_failures ? 1 : 0;
}

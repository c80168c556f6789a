/* tracer_strings.c — pt_enc_str copies a string of every length exactly (the short ones with
 * overlapping word moves, the long ones with memcpy), never reads past its end (each source ends
 * at the last byte before an inaccessible page) and never writes past the record: strings of 0 to
 * 300 bytes recorded back to back, each followed by a u32 sentinel, and read back through the
 * trace reader. */
#include <sys/mman.h>
#include <sys/syscall.h>

#include "proftrace/trace.h"
#include "tests/unit/tracer_test.h"

#define LONGEST 300

int main(void)
{
    char *dir = t_mkdtemp("strings");
    struct pt_ring_config cfg = {.dir = dir};
    struct pt_ring *r;
    CHECK(pt_ring_create(&cfg, &r) == 0, "ring");
    struct pt_tbuf *b = pt_ring_claim(r, (uint32_t)syscall(SYS_gettid));
    /* two pages, the second inaccessible: a source string ends where the first one ends */
    long pg = sysconf(_SC_PAGESIZE);
    char *area = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    CHECK(area != MAP_FAILED && mprotect(area + pg, (size_t)pg, PROT_NONE) == 0, "guard page");
    for (size_t len = 0; len <= LONGEST; len++) {
        char *s = area + pg - len - 1; /* its NUL is the page's last byte */
        for (size_t k = 0; k < len; k++)
            s[k] = (char)('A' + (k * 7 + len) % 26);
        s[len] = 0;
        uint64_t t = pt_now();
        size_t size = pt_size_call(t, t, 0, 0) + 8 + pt_size_str(len) + 4;
        struct pt_enc e;
        CHECK(pt_tbuf_begin(b, PT_EV_CALL_FIRST + PT_CALL_RegQueryValueExA, t, size, &e) == 0,
              "begin %zu", len);
        pt_enc_call(&e, t, t, 0, 0, 0, NULL, 0);
        pt_enc_x64(&e, len);
        pt_enc_str(&e, s, len);
        pt_enc_u32(&e, 0xa5a5a5a5u ^ (uint32_t)len);
        CHECK(e.p == e.end, "size of the record with %zu bytes", len);
        pt_tbuf_commit(b, &e);
    }
    pt_ring_release(r, b);
    pt_ring_close(r);

    struct pt_trace *tr;
    CHECK(pt_trace_open(dir, NULL, NULL, &tr) == 0, "open");
    struct pt_event ev;
    size_t n = 0;
    while (pt_trace_next(tr, &ev) > 0) {
        if (ev.id != PT_EV_CALL_FIRST + PT_CALL_RegQueryValueExA)
            continue;
        size_t len = (size_t)pt_ev_u(&ev, 0);
        const char *got = pt_ev_s(&ev, 1);
        char want[LONGEST + 1];
        for (size_t k = 0; k < len && k < LONGEST; k++)
            want[k] = (char)('A' + (k * 7 + len) % 26);
        want[len <= LONGEST ? len : LONGEST] = 0;
        CHECK(len == n, "event %zu says length %zu", n, len);
        CHECK(strlen(got) == len && !strcmp(got, want), "length %zu: got \"%s\"", len, got);
        CHECK(pt_ev_u(&ev, 2) == (0xa5a5a5a5u ^ (uint32_t)len), "sentinel after %zu bytes", len);
        n++;
    }
    CHECK(n == LONGEST + 1, "%zu strings read back of %d", n, LONGEST + 1);
    pt_trace_close(tr);
    munmap(area, 2 * (size_t)pg);
    t_rmrf(dir);
    free(dir);
    return t_failures ? 1 : 0;
}

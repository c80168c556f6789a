/* analyzer_frames.c — which recorded frames a report shows (proftrace's own dropped wherever they
 * are, an inline hook's trampoline with them, JIT code kept), where the deleting call site is, and
 * the demangler (C++, Rust's legacy scheme, what is not mangled). */
#include "analyzer/symbolize.h"
#include "tests/unit/analyzer_scn.h"

#define PROG 0x400000ull       /* the program */
#define LIB 0x7f0000000000ull  /* a library */
#define SHIM 0x7f1000000000ull /* libproftrace.so */
#define ANON 0x7f2000000000ull /* no module: a trampoline, or JIT code */

static void module(struct scn *s, uint64_t base, const char *path)
{
    struct pt_event *e = ev_begin(s, PT_EV_module, 100, 0);
    pt__synth_u(e, "base", base);
    pt__synth_u(e, "size", 0x100000);
    pt__synth_u(e, "bias", base);
    pt__synth_s(e, "path", path);
    ev_end(s);
}

static const struct pt__proc *setup(struct scn *s)
{
    proc(s, 100, WHO(), "/usr/bin/prog");
    module(s, PROG, "/usr/bin/prog");
    module(s, LIB, "/usr/lib/libmapisim.so");
    module(s, SHIM, "/opt/proftrace/lib/libproftrace.so");
    return s->a->procs[0];
}

/* A purge inside MAPIInitialize: the RegDeleteTreeA wrapper sits between the library's frames,
 * the MAPIInitialize wrapper between the library and main. */
static void test_wrappers_dropped(void)
{
    struct scn *s = scn_new();
    const struct pt__proc *p = setup(s);
    const uint64_t fr[] = {LIB + 0x100,  /* delete_key (called unlinkat) */
                           SHIM + 0x200, /* RegDeleteTreeA wrapper */
                           LIB + 0x300,  /* mapisim__purge */
                           LIB + 0x400,  /* MAPIInitialize */
                           SHIM + 0x500, /* MAPIInitialize wrapper */
                           PROG + 0x600 /* main */};
    struct pt__frame f[16];
    unsigned n = pt__stack_frames(NULL, p, fr, 6, f, 16);
    CHECK(n == 4);
    CHECK(f[0].addr == LIB + 0x100 && f[0].raw == 0);
    CHECK(f[1].addr == LIB + 0x300 && f[1].raw == 2);
    CHECK(f[2].addr == LIB + 0x400 && f[2].raw == 3);
    CHECK(f[3].addr == PROG + 0x600 && f[3].raw == 5);
    CHECK_STR(f[3].sym.module, "/usr/bin/prog");
    CHECK(f[3].sym.vaddr == 0x5ff); /* the call: return address - 1, in the module's terms */
    /* the traced API was called by the frame above the first wrapper: mapisim__purge */
    CHECK(pt__stack_call_site(p, fr, 6) == 2);
    finish(s);
    scn_free(s);
}

/* Anonymous code: a trampoline (called by a wrapper) is the shim's; JIT code calling into a
 * wrapper is the program's. */
static void test_trampolines_and_jit(void)
{
    struct scn *s = scn_new();
    const struct pt__proc *p = setup(s);
    const uint64_t fr[] = {LIB + 0x100,  /* the hooked function's body */
                           ANON + 0x10,  /* a call in its relocated prologue: the trampoline */
                           SHIM + 0x200, /* the wrapper that called the trampoline */
                           ANON + 0x900, /* JIT code that called the wrapped function */
                           PROG + 0x600};
    struct pt__frame f[16];
    unsigned n = pt__stack_frames(NULL, p, fr, 5, f, 16);
    CHECK(n == 3);
    CHECK(f[0].raw == 0 && f[1].raw == 3 && f[2].raw == 4);
    CHECK(!f[1].sym.module); /* shown as what it is: in no module */
    CHECK(pt__frame_is_own(p, fr, 5, 1) && !pt__frame_is_own(p, fr, 5, 3));
    CHECK(pt__stack_call_site(p, fr, 5) == 3);
    finish(s);
    scn_free(s);
}

/* Without wrappers in the stack (a plain shm_unlink: the shim cut its own frames at record time),
 * the innermost frame made the call. */
static void test_direct_call_site(void)
{
    struct scn *s = scn_new();
    const struct pt__proc *p = setup(s);
    const uint64_t fr[] = {PROG + 0x100, PROG + 0x600};
    CHECK(pt__stack_call_site(p, fr, 2) == 0);
    struct pt__frame f[4];
    CHECK(pt__stack_frames(NULL, p, fr, 2, f, 4) == 2);
    CHECK(pt__stack_frames(NULL, p, fr, 2, f, 1) == 1); /* never more than asked */
    finish(s);
    scn_free(s);
}

static void test_demangle(void)
{
    if (pt__demangle_unavailable()) {
        CHECK(!pt__demangle("_ZN3svc5Store4dropEPKc"));
        return;
    }
    char *d = pt__demangle("_ZN3svc5Store4dropEPKc");
    CHECK_STR(d, "svc::Store::drop(char const*)");
    free(d);
    /* Rust, legacy mangling: the crate hash is dropped */
    d = pt__demangle("_ZN3std2rt10lang_start17h0123456789abcdefE");
    CHECK_STR(d, "std::rt::lang_start");
    free(d);
    /* a C++ name that merely ends like one keeps everything */
    d = pt__demangle("_ZN3svc4hashEv");
    CHECK_STR(d, "svc::hash()");
    free(d);
    CHECK(!pt__demangle("main"));
    CHECK(!pt__demangle("_Znot_really"));
    CHECK(!pt__demangle(NULL));
}

int main(void)
{
    RUN(test_wrappers_dropped);
    RUN(test_trampolines_and_jit);
    RUN(test_direct_call_site);
    RUN(test_demangle);
    return failures ? 1 : 0;
}

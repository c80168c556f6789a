/* hook_spec.c — PROFTRACE_HOOKS=lib:function[,...]: plain entry/exit events for extra functions.
 *
 * Every function named is hooked at its entry (preload/inline) and sent through the
 * register-preserving stubs of hook_stub.S, static functions included: the stubs change no
 * register, flag or SSE/AVX state, so a caller relying on a private convention (gcc -fipa-ra,
 * .isra clones) sees the function exactly as before. A function that cannot be hooked (not found,
 * ambiguous, refused by the relocation engine, inside the shim) gets one line on stderr and runs
 * unhooked; the program continues either way. The list is inherited by every traced descendant,
 * so a process in which no object matches `lib` (or, `lib` empty, no object has the function)
 * skips that entry silently.
 *
 * The same stubs can serve the shim itself: when the loader's own notice (dl_watch.c) is not
 * available, thunk 0 watches libc's _dl_catch_error, through which every dlopen runs, so a library
 * loaded later is still scanned for functions to hook (hook_inline.c) as soon as the dlopen
 * returns, before the program can call into it; this one needs the engine in every process.
 * (Wrapping dlopen itself would make the shim the caller whose RUNPATH and $ORIGIN the loader uses;
 * this hook leaves the caller's return address alone, it replaces only _dl_catch_error's.)
 *
 * The shadow stack: a per-thread LIFO of (return address, entry rsp). An exit is matched by its
 * rsp, so entries left behind by a longjmp out of a hooked function are dropped at the next exit
 * below them. It holds 16 nested calls; a deeper call runs unhooked (no events). It lives in
 * initial-exec TLS, which a shim loaded later (attach, preload/attach.c) takes from the loader's
 * small static-TLS reserve: 16 entries of 32 bytes keep the shim's whole TLS well inside it. */
#include <cpuid.h>
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload/dl_watch.h"
#include "preload/hook_inline.h"
#include "preload/inline/inline_hook.h"
#include "preload/shim.h"

#define PT__NTHUNK 64
#define PT__SHADOW 16

enum { PT__XH_USER = 1, PT__XH_DLWATCH };

struct pt__xhook {
    char name[160]; /* "lib:function" as given */
    uintptr_t addr;
    void *tramp; /* set by the engine before the entry is patched */
    int kind;
};

struct pt__shadow {
    uint64_t ret, rsp, t0;
    uint8_t idx, depth; /* thunk index (< PT__NTHUNK), traced calls in progress */
    uint8_t recorded;
};

extern char pt__hook_thunks[], pt__hook_exit_stub[];
uint64_t pt__hook_xsize; /* bytes of xsave area + alignment slack (read by hook_stub.S) */
uint8_t pt__hook_xsavec; /* the CPU has xsavec (compacted form, skips unused state) */
static struct pt__xhook pt__xh[PT__NTHUNK];
static unsigned pt__nxh = 1; /* thunk 0: the dlopen watch */
static PT__TLS struct {
    unsigned n;
    struct pt__shadow e[PT__SHADOW];
} pt__sh;

static void pt__say(const char *fmt, const char *a, const char *b)
{
    char line[512];
    int n = snprintf(line, sizeof line, fmt, a, b);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    if (n > 0) {
        ssize_t w = write(2, line, (size_t)n);
        (void)w;
    }
}

/* xsave must exist and be enabled by the kernel; its area size for the enabled features. */
static int pt__xsave_init(void)
{
    unsigned a, b, c, d;
    if (pt__hook_xsize)
        return 0;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) /* OSXSAVE */
        return -1;
    __cpuid_count(0xd, 0, a, b, c, d);
    if (b < 576)
        return -1;
    pt__hook_xsize = ((uint64_t)b + 63) & ~(uint64_t)63;
    __cpuid_count(0xd, 1, a, b, c, d);
    pt__hook_xsavec = (a >> 1) & 1;
    return 0;
}

static void pt__record(const struct pt__xhook *h, const char *phase, uint64_t t0, uint32_t depth,
                       uint64_t ret)
{
    int *ep = pt__errno();
    int saved = *ep;
    uint8_t busy = pt__tls.busy;
    pt__tls.busy = 1;
    struct pt__ev_hook ev = {h->name, phase, h->addr, depth, t0, ret};
    pt__put_hook(NULL, pt__clock(), &ev);
    pt__tls.busy = busy;
    *ep = saved;
}

/* Called by pt__hook_common with slot[0] = thunk index, slot[1] = the caller's return address. */
__attribute__((visibility("hidden"))) void pt__hook_enter(uint64_t *slot)
{
    struct pt__xhook *h = &pt__xh[slot[0]];
    slot[0] = (uint64_t)(uintptr_t)h->tramp;
    if (pt__sh.n >= PT__SHADOW)
        return; /* too deep: runs unhooked, returns straight to its caller */
    struct pt__shadow *e = &pt__sh.e[pt__sh.n];
    e->ret = slot[1];
    e->rsp = (uint64_t)(uintptr_t)&slot[1];
    e->idx = (uint8_t)(h - pt__xh);
    e->depth = pt__tls.depth;
    e->recorded = 0;
    e->t0 = 0;
    pt__sh.n++;
    slot[1] = (uint64_t)(uintptr_t)pt__hook_exit_stub;
    if (h->kind == PT__XH_USER && pt__may_trace()) {
        e->t0 = pt__clock();
        e->recorded = 1;
        pt__record(h, "entry", e->t0, e->depth, 0);
    }
}

/* Called by pt__hook_exit_stub: slot is where the real return address goes (the function's entry
 * rsp), rax what the function left there. */
__attribute__((visibility("hidden"))) void pt__hook_exit(uint64_t *slot, uint64_t rax)
{
    uint64_t rsp = (uint64_t)(uintptr_t)slot;
    unsigned i = pt__sh.n;
    while (i > 0 && pt__sh.e[i - 1].rsp != rsp)
        i--;
    if (i == 0) {
        /* Cannot happen unless the stack was switched under a hooked call (swapcontext): there is
         * no address to return to. */
        pt__say("proftrace: PROFTRACE_HOOKS: %s%sreturn address lost (stack switched?)\n", "", "");
        abort();
    }
    struct pt__shadow e = pt__sh.e[i - 1];
    *slot = e.ret;
    pt__sh.n = i - 1; /* entries above it were left by a longjmp */
    struct pt__xhook *h = &pt__xh[e.idx];
    if (e.recorded && pt__may_trace())
        pt__record(h, "exit", e.t0, e.depth, rax);
    else if (h->kind == PT__XH_DLWATCH && !pt__tls.busy && !pt__tls.vforked &&
             atomic_load_explicit(&pt__state, memory_order_acquire) == PT__ON) {
        int *ep = pt__errno();
        int saved = *ep;
        pt__tls.busy = 1;
        pt__inline_rescan();
        pt__tls.busy = 0;
        *ep = saved;
    }
}

/* Is an object matching `lib` loaded (the rule of pt_inline_find: path, file name, or file name
 * prefix followed by '.'; the executable by its real path)? */
struct pt__libq {
    const char *lib;
    int found;
};
static int pt__lib_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct pt__libq *q = arg;
    char exe[4096];
    const char *path = info->dlpi_name;
    if (!path || !*path) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = 0;
        path = exe;
    }
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(q->lib);
    if (!strcmp(q->lib, path) || !strcmp(q->lib, b) || (!strncmp(q->lib, b, n) && b[n] == '.'))
        q->found = 1;
    return q->found;
}
static int pt__lib_loaded(const char *lib)
{
    struct pt__libq q = {lib, 0};
    if (!lib || !*lib)
        return 1;
    dl_iterate_phdr(pt__lib_cb, &q);
    return q.found;
}

/* Hook one function through thunk `idx`; 0 or a negative errno, with a reason in why. */
static int pt__xhook_one(unsigned idx, const char *lib, const char *func, char *why, size_t wl)
{
    struct pt__xhook *h = &pt__xh[idx];
    void *addr;
    size_t size;
    int rc = pt_inline_find(lib, func, &addr, &size);
    if (rc < 0) {
        snprintf(why, wl, "%s",
                 rc == -ENOENT      ? "no such function in any loaded object"
                 : rc == -ENOTUNIQ ? "two functions of that name in one object"
                                    : strerror(-rc));
        return rc;
    }
    Dl_info di, self;
    if (dladdr(addr, &di) && dladdr((void *)pt__hook_enter, &self) &&
        di.dli_fbase == self.dli_fbase) {
        snprintf(why, wl, "inside proftrace itself");
        return -EINVAL;
    }
    h->addr = (uintptr_t)addr;
    rc = pt__inline_hook(h->name, addr, size, pt__hook_thunks + 16 * idx, &h->tramp, why, wl);
    if (rc < 0 && rc != -EBUSY && rc != -EACCES)
        return rc;
    return rc;
}

/* The dlopen watch on libc's _dl_catch_error, found through the loader (its dynamic symbol gives
 * address and size; much cheaper than reading libc's file at every process start). */
static int pt__dlwatch_hook(char *why, size_t wl)
{
    void *addr = dlsym(RTLD_DEFAULT, "_dl_catch_error");
    Dl_info di;
    const ElfW(Sym) *sym = NULL;
    if (!addr || !dladdr1(addr, &di, (void **)&sym, RTLD_DL_SYMENT) || !sym || !sym->st_size) {
        snprintf(why, wl, "not found");
        return -ENOENT;
    }
    pt__xh[0].addr = (uintptr_t)addr;
    return pt__inline_hook(pt__xh[0].name, addr, sym->st_size, pt__hook_thunks, &pt__xh[0].tramp,
                           why, wl);
}

void pt__hooks_spec_init(const char *spec)
{
    char why[256];
    /* The loader's own notice (dl_watch.c) needs neither the engine nor these stubs. */
    int fallback = pt__inline_auto_wanted() && !pt__dl_watching();
    if ((!spec || !*spec) && !fallback)
        return;
    if (pt__xsave_init() < 0) {
        if (spec && *spec)
            pt__say("proftrace: PROFTRACE_HOOKS=%s: %sthis CPU has no xsave; nothing hooked\n",
                    spec, "");
        return;
    }
    /* The dlopen watch. */
    pt__xh[0].kind = PT__XH_DLWATCH;
    snprintf(pt__xh[0].name, sizeof pt__xh[0].name, "libc:_dl_catch_error");
    /* Every traced process (shells, coreutils...) would set this watch up: say why it failed only
     * when asked (PROFTRACE_INLINE=...,verbose), not once per process of a traced tree. */
    if (fallback && pt__dlwatch_hook(why, sizeof why) < 0 && pt__inline_verbose())
        pt__say("proftrace: %s: %s; libraries loaded later by dlopen are not scanned for "
                "inline hooks\n",
                pt__xh[0].name, why);
    if (!spec || !*spec)
        return;
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *colon = strrchr(item, ':');
        const char *lib = colon ? item : "", *func = colon ? colon + 1 : item;
        if (colon)
            *colon = 0;
        char name[160];
        snprintf(name, sizeof name, "%s%s%s", lib, *lib ? ":" : "", func);
        if (!*func) {
            pt__say("proftrace: PROFTRACE_HOOKS: %s: %sno function named; not hooked\n", name, "");
            continue;
        }
        if (pt__nxh >= PT__NTHUNK) {
            pt__say("proftrace: PROFTRACE_HOOKS: %s: %smore than 63 functions; not hooked\n", name,
                    "");
            continue;
        }
        struct pt__xhook *h = &pt__xh[pt__nxh];
        snprintf(h->name, sizeof h->name, "%s", name);
        h->kind = PT__XH_USER;
        int rc = pt__xhook_one(pt__nxh, lib, func, why, sizeof why);
        /* Every traced descendant reads the same list: a process that has no such object, or
         * (lib empty) no such function anywhere, is not the one meant and says nothing. */
        if (rc == -ENOENT && (!*lib || !pt__lib_loaded(lib)))
            continue;
        if (rc == 0 || rc == -EBUSY || rc == -EACCES) /* tramp valid even then: keep the slot */
            pt__nxh++;
        if (rc < 0) {
            /* the engine's reasons already start with the name */
            if (strncmp(why, name, strlen(name)) == 0)
                pt__say("proftrace: PROFTRACE_HOOKS: %s%s; not hooked, the program continues\n",
                        why, "");
            else
                pt__say("proftrace: PROFTRACE_HOOKS: %s: %s; not hooked, the program continues\n",
                        name, why);
        }
    }
}

/* real.c — finding the real functions behind the interposed ones. */
#include <dlfcn.h>
#include <link.h>
#include <string.h>

#include "preload/dynsym.h"
#include "preload/hook_inline.h"
#include "preload/shim.h"
#include "preload/unwind.h"

static int (*pt__real_dlclose)(void *); /* the shim's own dlclose calls must not forget anything */

struct pt__find {
    const char *name;
    void *self_base;
    void *found;
};

static int pt__find_in(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct pt__find *f = arg;
    if (!info->dlpi_name || !info->dlpi_name[0] || (void *)info->dlpi_addr == f->self_base)
        return 0;
    void *h = dlopen(info->dlpi_name, RTLD_LAZY | RTLD_NOLOAD);
    if (!h)
        return 0;
    void *p = dlsym(h, f->name);
    if (!pt__real_dlclose)
        pt__real_dlclose = (int (*)(void *))dlsym(RTLD_NEXT, "dlclose");
    if (pt__real_dlclose)
        pt__real_dlclose(h); /* only drops the reference RTLD_NOLOAD took */
    Dl_info di;
    /* dlsym on a handle searches its dependencies too; accept only a definition outside the
     * shim (the shim is nobody's dependency, but be sure). */
    if (p && dladdr(p, &di) && di.dli_fbase != f->self_base) {
        f->found = p;
        return 1;
    }
    return 0;
}

void *pt__resolve(const char *name)
{
    /* dlsym may allocate and open files: none of that is the program's, none of it is traced. */
    void *t = pt__inline_real(name); /* hooked inline: its entry would record twice */
    if (t)
        return t;
    uint8_t busy = pt__tls.busy;
    pt__tls.busy = 1;
    void *p = dlsym(RTLD_NEXT, name);
    if (p) {
        pt__tls.busy = busy;
        return p;
    }
    /* A library loaded with RTLD_LOCAL is not in the global scope, yet its callers bind to the
     * shim's copy first: look in every loaded object. */
    Dl_info di;
    struct pt__find f = {name, NULL, NULL};
    if (dladdr((void *)pt__resolve, &di))
        f.self_base = di.dli_fbase;
    dl_iterate_phdr(pt__find_in, &f);
    pt__tls.busy = busy;
    return f.found;
}

/* At start every loaded object is in the global scope, where dlsym(RTLD_NEXT) looks: a row that no
 * loaded object defines (the profile library's, in most processes) is left for its first call, in
 * a library loaded later, rather than asked for in vain (a failed dlsym formats an error message:
 * thousands of instructions, times every such row, in every traced process). */
struct pt__objs {
    unsigned n, unhashed;
    uintptr_t self, bias[128];
    const ElfW(Dyn) *dyn[128];
};

static int pt__objs_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct pt__objs *o = arg;
    if ((uintptr_t)info->dlpi_addr == o->self && info->dlpi_name && info->dlpi_name[0])
        return 0;
    const ElfW(Dyn) *dyn = NULL;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    if (!dyn)
        return 0;
    if (o->n == sizeof o->bias / sizeof o->bias[0] || !pt__dynsym_hashed(dyn)) {
        o->unhashed = 1; /* cannot tell: ask dlsym */
        return 0;
    }
    o->bias[o->n] = info->dlpi_addr;
    o->dyn[o->n++] = dyn;
    return 0;
}

static void *pt__resolve_start(const struct pt__objs *o, const char *name)
{
    unsigned i = 0;
    uint32_t h = pt__dynsym_hash(name);
    while (!o->unhashed && i < o->n && !pt__dynsym_h(o->bias[i], o->dyn[i], name, h))
        i++;
    if (!o->unhashed && i == o->n)
        return NULL;
    uint8_t busy = pt__tls.busy;
    pt__tls.busy = 1;
    void *p = dlsym(RTLD_NEXT, name);
    pt__tls.busy = busy;
    return p;
}

#define PT__RESOLVE_ROW(name, cat, hook, cret, cparams, cargs, retk, fields)                       \
    PT__RESOLVE_##hook(name)
#define PT__RESOLVE_SYM(name)                                                                      \
    if (!pt__real.name)                                                                            \
        pt__real.name = (__typeof__(pt__real.name))pt__resolve_start(&o, #name);
#define PT__RESOLVE_HAND(name) PT__RESOLVE_SYM(name)
#define PT__RESOLVE_NESTED(name) PT__RESOLVE_SYM(name)
#define PT__RESOLVE_VTBL(name)

void pt__resolve_all(void)
{
    static struct pt__objs o;
    Dl_info di;
    o.n = o.unhashed = 0;
    o.self = dladdr((void *)pt__resolve_all, &di) ? (uintptr_t)di.dli_fbase : 0;
    dl_iterate_phdr(pt__objs_cb, &o);
    PT_CALLS(PT__RESOLVE_ROW, )
    PT__RESOLVE_SYM(execv)
    PT__RESOLVE_SYM(execvp)
    PT__RESOLVE_SYM(execvpe)
    PT__RESOLVE_SYM(_exit)
    PT__RESOLVE_SYM(_Exit)
    PT__RESOLVE_SYM(posix_spawnp)
    PT__RESOLVE_SYM(GetLastError)
}

/* dlclose may unmap the profile library; the next call of one of its functions must look the real
 * function up again rather than jump into freed memory. libc's rows never move. Wrapping dlclose
 * (unlike dlopen) changes nothing for the caller: it does not depend on who calls it. */
#define PT__FORGET_ROW(name, cat, hook, cret, cparams, cargs, retk, fields)                        \
    PT__FORGET_##cat(PT__FORGET_H_##hook, name)
#define PT__FORGET_H_SYM(name) pt__real.name = NULL;
#define PT__FORGET_H_HAND(name) pt__real.name = NULL;
#define PT__FORGET_H_NESTED(name) pt__real.name = NULL;
#define PT__FORGET_H_VTBL(name)
#define PT__FORGET_REG(h, name) h(name)
#define PT__FORGET_MAP(h, name) h(name)
#define PT__FORGET_IMP(h, name) h(name)
#define PT__FORGET_MAPI(h, name) h(name)
#define PT__FORGET_SHM(h, name)
#define PT__FORGET_FILE(h, name)
#define PT__FORGET_PROC(h, name)
#define PT__FORGET_CRED(h, name)
#define PT__FORGET_NS(h, name)

PT__EXPORT int dlclose(void *handle)
{
    if (!pt__real_dlclose)
        pt__real_dlclose = (int (*)(void *))pt__resolve("dlclose");
    if (!pt__real_dlclose)
        return -1;
    int rc = pt__real_dlclose(handle);
    if (rc == 0) {
        pt__unwind_forget(); /* its code may be gone: rows kept for it are stale */
        PT_CALLS(PT__FORGET_ROW, )
        pt__real.GetLastError = NULL;
    }
    return rc;
}

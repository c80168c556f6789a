/* real.c — finding the real functions behind the interposed ones. */
#include <dlfcn.h>
#include <link.h>
#include <string.h>

#include "preload/shim.h"

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
    dlclose(h);
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

#define PT__RESOLVE_ROW(name, cat, hook, cret, cparams, cargs, retk, fields)                       \
    PT__RESOLVE_##hook(name)
#define PT__RESOLVE_SYM(name)                                                                      \
    if (!pt__real.name)                                                                            \
        pt__real.name = (__typeof__(pt__real.name))pt__resolve(#name);
#define PT__RESOLVE_HAND(name) PT__RESOLVE_SYM(name)
#define PT__RESOLVE_NESTED(name) PT__RESOLVE_SYM(name)
#define PT__RESOLVE_VTBL(name)

void pt__resolve_all(void)
{
    PT_CALLS(PT__RESOLVE_ROW, )
    PT__RESOLVE_SYM(execv)
    PT__RESOLVE_SYM(execvp)
    PT__RESOLVE_SYM(execvpe)
    PT__RESOLVE_SYM(_exit)
    PT__RESOLVE_SYM(_Exit)
    PT__RESOLVE_SYM(posix_spawnp)
    PT__RESOLVE_SYM(GetLastError)
}

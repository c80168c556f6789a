/* preload_dlopen.c — the profile library loaded at run time with dlopen(RTLD_LOCAL): it is not in
 * the global scope, yet its calls into libwinsim bind to the shim's interposed copies first, so
 * the shim must still find the real functions (behaviour unchanged), record them, and record the
 * newly loaded modules so the stacks stay symbolizable. Also: PROFTRACE_STACKS=REG gives stacks to
 * the registry rows only, and a stack's innermost frame is the caller's, not the shim's. */
#include "tests/unit/preload_test.h"

#include <dlfcn.h>
#include <mapix.h>

static int act(void)
{
    void *h = dlopen("libmapisim.so", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 3;
    }
    HRESULT (*init)(LPVOID) = (HRESULT(*)(LPVOID))dlsym(h, "MAPIInitialize");
    HRESULT(*admin)
    (ULONG, LPPROFADMIN *) = (HRESULT(*)(ULONG, LPPROFADMIN *))dlsym(h, "MAPIAdminProfiles");
    void (*uninit)(void) = (void (*)(void))dlsym(h, "MAPIUninitialize");
    if (!init || !admin || !uninit)
        return 4;
    HRESULT hr = init(NULL);
    t_fact("init", "%d", (int)hr);
    LPPROFADMIN pa = NULL;
    hr = admin(0, &pa);
    t_fact("admin", "%d", (int)hr);
    if (SUCCEEDED(hr)) {
        hr = pa->lpVtbl->CreateProfile(pa, "PtDl", NULL, 0, 0);
        t_fact("create", "%d", (int)hr);
        hr = pa->lpVtbl->DeleteProfile(pa, "PtDl", 0);
        t_fact("delete", "%d", (int)hr);
        pa->lpVtbl->Release(pa);
    }
    uninit();
    /* Unload and load again (the libraries may land elsewhere): the shim must look the real
     * functions up again, not call into the old mapping. */
    dlclose(h);
    h = dlopen("libmapisim.so", RTLD_NOW | RTLD_LOCAL);
    init = h ? (HRESULT(*)(LPVOID))dlsym(h, "MAPIInitialize") : NULL;
    uninit = h ? (void (*)(void))dlsym(h, "MAPIUninitialize") : NULL;
    if (!init || !uninit)
        return 5;
    hr = init(NULL);
    t_fact("init2", "%d", (int)hr);
    uninit();
    dlclose(h);
    unlink("/nonexistent/pt-preload-dlopen"); /* a failure: no stack under PROFTRACE_STACKS=REG */
    Dl_info di;
    dladdr((void *)act, &di);
    t_fact("exe_base", "%llu", (unsigned long long)(uintptr_t)di.dli_fbase);
    return 0;
}

int main(int argc, char **argv)
{
    if (t_acting())
        return act();
    char hive[300], hive_env[400], ns_env[100], lib_env[600];
    snprintf(hive, sizeof hive, "/tmp/pt-preload-dlopen-hive-%d", (int)getpid());
    snprintf(hive_env, sizeof hive_env, "WINSIM_HIVE_ROOT=%s", hive);
    snprintf(ns_env, sizeof ns_env, "WINSIM_NAMESPACE=ptdl-%d", (int)getpid());
    /* libmapisim.so sits next to the shim. */
    snprintf(lib_env, sizeof lib_env, "LD_LIBRARY_PATH=%s", t_shim());
    *strrchr(lib_env, '/') = 0;
    const char *env[] = {hive_env, ns_env, lib_env, "PROFTRACE_STACKS=REG", NULL};
    int st = t_run_self(argv, "dlopen", env);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "act side status %#x", st);
    CHECK(t_read(t_dir) == 0, "reader diagnostics");
    /* Behaviour: everything succeeded, exactly as without the shim. */
    CHECK(t_fact_num("init") == 0 && t_fact_num("admin") == 0 && t_fact_num("create") == 0 &&
              t_fact_num("delete") == 0 && t_fact_num("init2") == 0,
          "MAPI calls through dlsym failed under the shim");
    /* MAPI itself was reached through dlsym (not interposable), its registry calls were not. */
    CHECK(t_count("MAPIInitialize", 0) == 0, "MAPIInitialize via dlsym cannot be seen");
    const struct t_event *e = t_find("RegCreateKeyExA", 0, NULL, NULL, 0);
    CHECK(e && e->ret == 0 && e->depth == 0, "registry calls of a dlopen'ed RTLD_LOCAL library");
    CHECK(e && e->nframes > 0, "PROFTRACE_STACKS=REG: registry rows carry stacks");
    e = t_find("unlink", 0, "pathname", "/nonexistent/pt-preload-dlopen", 0);
    CHECK(e && e->ret == -1 && e->nframes == 0,
          "PROFTRACE_STACKS=REG: no stack for a failed unlink");
    e = t_find("unlinkat", 0, NULL, NULL, 0);
    CHECK(e && e->nframes == 0, "PROFTRACE_STACKS=REG: no stack for a delete");
    /* Modules: libmapisim/libwinsim were loaded after start and show up before their stacks. */
    int mapisim = 0, winsim = 0;
    uint64_t lo = 0, hi = 0;
    const struct t_event *first_stack = t_find("RegCreateKeyExA", 0, NULL, NULL, 0);
    for (unsigned i = 0; i < t_nev; i++) {
        const struct t_event *m = &t_ev[i];
        if (strcmp(pt_event_name(m->id), "module"))
            continue;
        if (strstr(t_s(m, "path"), "libmapisim.so") && !mapisim) {
            /* the first load (loaded again after its dlclose, it is emitted again) */
            mapisim = 1;
            CHECK(first_stack && m <= first_stack, "module event after the stack that needs it");
            lo = t_u(m, "base"), hi = lo + t_u(m, "size");
            CHECK(strlen(t_s(m, "build_id")) >= 16, "build id of libmapisim: '%s'",
                  t_s(m, "build_id"));
        }
        winsim |= strstr(t_s(m, "path"), "libwinsim.so") != NULL;
    }
    CHECK(mapisim && winsim, "module events for the dlopen'ed libraries (%d %d)", mapisim, winsim);
    unsigned loads = 0;
    for (unsigned i = 0; i < t_nev; i++)
        loads += !strcmp(pt_event_name(t_ev[i].id), "module") &&
                 strstr(t_s(&t_ev[i], "path"), "libmapisim.so");
    CHECK(loads == 2, "libmapisim loaded twice (dlopen, dlclose, dlopen): %u module events", loads);
    /* The innermost frame of RegCreateKeyExA's stack is in libmapisim (its caller). */
    CHECK(first_stack && first_stack->frame0 >= lo && first_stack->frame0 < hi,
          "innermost frame %#llx not in libmapisim [%#llx, %#llx)",
          (unsigned long long)(first_stack ? first_stack->frame0 : 0), (unsigned long long)lo,
          (unsigned long long)hi);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'; rm -f /dev/shm/winsim.ptdl-%d.*", hive, (int)getpid());
    if (system(cmd) != 0)
        fprintf(stderr, "warning: cleanup\n");
    return t_done("preload_dlopen");
}

/* inline_find.c — finding functions by name: a static function of the executable itself (the
 * "library linked in statically" case), an exported libc function, libraries by file name or
 * prefix, an ambiguous static name, and a -Bsymbolic library whose internal call the inline hook
 * catches although it never goes through the PLT. */
#define _GNU_SOURCE
#include <errno.h>

#include "tests/unit/inline_test.h"

/* Static, in the executable: only its .symtab names it. */
static volatile int exe_state = 5;
static __attribute__((noinline, used)) int exe_local_fn(int x)
{
    exe_state += x;
    return exe_state * 2;
}
static int (*volatile exe_call)(int) = exe_local_fn;

static int hits;
static int (*t_exe)(int), (*t_helper)(int);
static int h_exe(int x)
{
    hits++;
    return t_exe(x);
}
static int h_helper(int x)
{
    hits++;
    return t_helper(x);
}

int main(int argc, char **argv)
{
    void *addr, *addr2;
    size_t size;
    char why[256] = "";
    if (argc < 3) {
        fprintf(stderr, "usage: %s DUP.so BSYMBOLIC.so\n", argv[0]);
        return 2;
    }

    /* the executable, with no library named and by its own file name */
    CHECK(pt_inline_find(NULL, "exe_local_fn", &addr, &size) == 0 && addr == (void *)exe_local_fn,
          "exe_local_fn at %p, want %p", addr, (void *)exe_local_fn);
    CHECK(size > 0, "size %zu", size);
    CHECK(pt_inline_find("inline_find", "exe_local_fn", &addr2, &size) == 0 && addr2 == addr,
          "by executable name");
    CHECK(pt_inline_hook("exe_local_fn", addr, size, (void *)h_exe, (void **)&t_exe, why,
                         sizeof why) == 0,
          "%s", why);
    CHECK(exe_call(3) == 16 && hits == 1, "hooked exe_local_fn");

    /* libc, through .dynsym, by prefix */
    CHECK(pt_inline_find("libc", "getpid", &addr, &size) == 0 &&
              addr == dlsym(RTLD_DEFAULT, "getpid"),
          "libc getpid %p vs %p", addr, dlsym(RTLD_DEFAULT, "getpid"));
    CHECK(pt_inline_find("libc.so.6", "getpid", &addr2, &size) == 0 && addr2 == addr, "libc.so.6");
    CHECK(pt_inline_find("lib", "getpid", &addr2, &size) == -ENOENT, "'lib' is not a prefix match");

    /* two static functions of one name in one object */
    void *dup = dlopen(argv[1], RTLD_NOW);
    CHECK(dup != NULL, "%s", dlerror());
    const char *dup_name = strrchr(argv[1], '/') + 1;
    CHECK(pt_inline_find(dup_name, "dup_fn", &addr, &size) == -ENOTUNIQ, "ambiguous dup_fn");
    CHECK(pt_inline_hook_symbol(dup_name, "dup_fn", (void *)h_exe, (void **)&t_exe, why,
                                sizeof why) == -ENOTUNIQ &&
              strstr(why, "dup_fn") && strstr(why, "several"),
          "message: %s", why);
    CHECK(pt_inline_find(dup_name, "dup_a", &addr, &size) == 0, "dup_a");

    /* a hooked object stays loaded after dlclose (its code is still referenced) */
    hits = 0;
    CHECK(pt_inline_hook("dup_a", addr, size, (void *)h_exe, (void **)&t_exe, why, sizeof why) == 0,
          "%s", why);
    dlclose(dup);
    CHECK(dlopen(argv[1], RTLD_NOW | RTLD_NOLOAD) != NULL, "hooked object was unloaded");
    CHECK(((int (*)(int))addr)(1) == 2002 && hits == 1, "dup_a after dlclose");

    /* -Bsymbolic: pro_call_first calls pro_helper directly, not through the PLT */
    void *bs = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
    CHECK(bs != NULL, "%s", dlerror());
    int (*call_first)(int) = (int (*)(int))dlsym(bs, "pro_call_first");
    hits = 0;
    int err = pt_inline_hook_symbol(strrchr(argv[2], '/') + 1, "pro_helper", (void *)h_helper,
                                    (void **)&t_helper, why, sizeof why);
    CHECK(err == 0, "%s", why);
    CHECK(call_first(4) == 20 && hits == 1, "internal call of pro_helper seen: hits %d", hits);

    printf("%d failures\n", failures);
    return failures ? 1 : 0;
}

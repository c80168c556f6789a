/* inline_handmade.c — hand-written entries (tests/fixtures/prologues/handmade.S): each unsafe one
 * is refused with the reason, and left untouched; each unusual but safe one (jrcxz, loop, a
 * branch inside the displaced bytes, RIP-relative operands followed by an immediate, rel32 call
 * and jmp first, endbr64 + jcc, a 14-byte absolute patch) still computes the right result. */
#define _GNU_SOURCE
#include <errno.h>

#include "tests/unit/inline_test.h"

static const char *lib;
static void *dl;

static void refused(const char *func, const char *reason, int expect_err)
{
    void *addr;
    size_t size;
    unsigned char before[32], after[32];
    char why[256] = "";
    void *tramp = NULL;
    int err = pt_inline_find(lib, func, &addr, &size);
    CHECK(err == 0, "find %s: %d", func, err);
    if (err)
        return;
    memcpy(before, addr, sizeof before);
    err = pt_inline_hook(func, addr, size, (void *)abort, &tramp, why, sizeof why);
    memcpy(after, addr, sizeof after);
    printf("refused %-16s -> %s\n", func, why);
    CHECK(err == expect_err, "%s: error %d, expected %d (%s)", func, err, expect_err, why);
    CHECK(strncmp(why, func, strlen(func)) == 0 && strstr(why, reason),
          "%s: reason '%s' should name the function and say '%s'", func, why, reason);
    CHECK(memcmp(before, after, sizeof before) == 0, "%s: refused entry was modified", func);
    CHECK(tramp == NULL, "%s: trampoline set on refusal", func);
}

static int hits;
static long (*tramp1)(long), (*tramp2)(long, long, long, long);
static long repl1(long x)
{
    hits++;
    return tramp1(x);
}
static long repl4(long a, long b, long c, long d)
{
    hits++;
    return tramp2(a, b, c, d);
}

/* Hook a one-argument function and check f(x) == want for each pair after hooking. */
static void accepted(const char *func, unsigned flags, const long *xs, const long *want, int n)
{
    void *addr;
    size_t size;
    char why[256] = "";
    struct pt_inline_info info;
    int err = pt_inline_find(lib, func, &addr, &size);
    CHECK(err == 0 && addr == dlsym(dl, func), "find %s: %d", func, err);
    if (err)
        return;
    err = pt_inline_hook_ex(func, addr, size, (void *)repl1, (void **)&tramp1, flags, &info, why,
                            sizeof why);
    CHECK(err == 0, "%s: %s", func, why);
    if (err)
        return;
    printf("hooked  %-16s kept %zu patch %2zu displaced %2zu trampoline %3zu method %d\n", func,
           info.entry_kept, info.patch_len, info.displaced, info.tramp_len, info.method);
    if (flags & PT_INLINE_FORCE_INT3)
        CHECK(info.method == PT_INLINE_INT3, "%s: method %d", func, info.method);
    else
        CHECK(info.method == PT_INLINE_SINGLE, "%s: one thread, method %d", func, info.method);
    long (*f)(long) = (long (*)(long))addr;
    hits = 0;
    for (int i = 0; i < n; i++) {
        long got = f(xs[i]);
        CHECK(got == want[i], "%s(%ld) = %ld, want %ld", func, xs[i], got, want[i]);
    }
    CHECK(hits == n, "%s: replacement ran %d times, want %d", func, hits, n);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    lib = strrchr(argv[1], '/') + 1;
    if (!(dl = dlopen(argv[1], RTLD_NOW))) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }

    refused("ref_short", "too short", -ENOTSUP);
    refused("ref_ret", "ret at +4", -ENOTSUP);
    refused("ref_syscall", "syscall at +2", -ENOTSUP);
    refused("ref_int3", "int3 at +1", -ENOTSUP);
    refused("ref_jmpreg", "indirect jmp at +3", -ENOTSUP);
    refused("ref_backjump", "branch at +6 back into the patched bytes (to +2)", -ENOTSUP);
    refused("ref_loop_entry", "branch at +7 back into the patched bytes (to +0)", -ENOTSUP);
    refused("ref_undecodable", "undecodable byte 0x06 at +0", -ENOTSUP);
    refused("ref_call_mid", "call at +0 would return into the patched bytes", -ENOTSUP);
    refused("ref_nosize", "size unknown", -ENOTSUP);
    refused("ref_cet_short", "too short", -ENOTSUP);

    /* Too far for a RIP-relative operand: the trampoline more than 4 GiB away. */
    {
        void *addr;
        size_t size;
        char why[256] = "";
        void *tramp = NULL;
        unsigned char before[24];
        CHECK(pt_inline_find(lib, "acc_riprel_imm", &addr, &size) == 0, "find");
        memcpy(before, addr, sizeof before);
        int err = pt_inline_hook_ex("acc_riprel_imm", addr, size, (void *)repl1, &tramp,
                                    PT_INLINE_FORCE_FAR, NULL, why, sizeof why);
        printf("refused acc_riprel_imm (far) -> %s\n", why);
        CHECK(err == -ENOTSUP && strstr(why, "RIP-relative operand at +0 cannot reach"), "%s", why);
        CHECK(memcmp(before, addr, sizeof before) == 0 && !tramp, "far refusal modified entry");
    }

    long x_jrcxz[] = {0, 5, -3}, w_jrcxz[] = {-1, 15, 7};
    accepted("acc_jrcxz", 0, x_jrcxz, w_jrcxz, 3);
    long x_spin[] = {1, 1000}, w_spin[] = {5, 5}; /* hits must be 1 per call, not per loop */
    accepted("acc_spin_intra", 0, x_spin, w_spin, 2);
    long x_loop[] = {1, 3, 0}, w_loop[] = {5, 7, 7};
    accepted("acc_loop", 0, x_loop, w_loop, 3);
    long x_intra[] = {0, 4}, w_intra[] = {3, 7};
    accepted("acc_jcc_intra", 0, x_intra, w_intra, 2);
    int *data = dlsym(dl, "acc_data"), *store = dlsym(dl, "acc_store");
    long x_rip[] = {10}, w_rip[] = {11};
    accepted("acc_riprel_imm", 0, x_rip, w_rip, 1);
    CHECK(*store == 0x1234567, "acc_riprel_imm stored %#x", *store);
    *data = 6;
    long w_rip2[] = {10};
    hits = 0;
    CHECK(((long (*)(long))dlsym(dl, "acc_riprel_imm"))(10) == w_rip2[0] && hits == 1,
          "acc_riprel_imm must read acc_data through the relocated operand");
    long x_sse[] = {2}, w_sse[] = {42};
    accepted("acc_sse", PT_INLINE_FORCE_INT3, x_sse, w_sse, 1);
    long x_call[] = {1, 20}, w_call[] = {102, 121};
    accepted("acc_call_first", 0, x_call, w_call, 2);
    long x_jmp[] = {1, 20}, w_jmp[] = {102, 121};
    accepted("acc_jmp_first", 0, x_jmp, w_jmp, 2);
    long x_cet[] = {-5, 0, 9}, w_cet[] = {-1, 1, 10};
    accepted("acc_cet_jcc", 0, x_cet, w_cet, 3);

    /* 14-byte absolute jump (as when nothing within ±2 GiB is free), 4 arguments */
    void *addr;
    size_t size;
    char why[256] = "";
    struct pt_inline_info info;
    CHECK(pt_inline_find(lib, "acc_far", &addr, &size) == 0, "find acc_far");
    int err = pt_inline_hook_ex("acc_far", addr, size, (void *)repl4, (void **)&tramp2,
                                PT_INLINE_FORCE_FAR, &info, why, sizeof why);
    CHECK(err == 0 && info.patch_len == 14 && info.displaced == 17, "acc_far: %d %zu %zu %s", err,
          info.patch_len, info.displaced, why);
    hits = 0;
    long got = ((long (*)(long, long, long, long))addr)(2, 3, 4, 5);
    CHECK(got == (2 + 3) * 4 - 5 + 1 && hits == 1, "acc_far = %ld hits %d", got, hits);

    /* A 14-byte patch on a function only 5 bytes long is refused, and it still works. */
    CHECK(pt_inline_find(lib, "acc_leaf", &addr, &size) == 0, "find acc_leaf");
    err = pt_inline_hook_ex("acc_leaf", addr, size, (void *)repl1, (void **)&tramp1,
                            PT_INLINE_FORCE_FAR, &info, why, sizeof why);
    CHECK(err == -ENOTSUP && strstr(why, "too short"), "acc_leaf far: %d %s", err, why);
    CHECK(((long (*)(long))addr)(1) == 101, "acc_leaf untouched");
    printf("%s: %d failures\n", lib, failures);
    return failures ? 1 : 0;
}

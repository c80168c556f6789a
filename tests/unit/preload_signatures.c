/* preload_signatures.c — the call table's C signatures and the shim's own API types agree with the
 * public headers of the library they describe (samples/include) and with libc's. Mostly a
 * compile-time test: a row whose signature disagrees fails to compile here. At run time it
 * compares the shim's own types (signatures_shim.c, built without these headers) with the
 * headers': size and signedness. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sched.h>
#include <unistd.h>

#define COBJMACROS
#include <mapix.h>
#include <windows.h>

#include "proftrace/calls.h"
#define PT__WIN32_LIST_ONLY
#include "preload/win32.h"

/* Interposed rows: the table's signature is the declared function's. Variadic libc functions
 * (open, openat) are declared `(const char *, int, ...)`: the table records their mode argument. */
#define SAME_FUNCTION(name, cat, hook, cret, cparams, cargs, retk, fields)                         \
    SAME_##hook(name, cret, cparams)
#define SAME_SYM(name, cret, cparams)                                                              \
    _Static_assert(__builtin_types_compatible_p(__typeof__(&name), cret(*) cparams),              \
                   #name ": the call table's signature differs from its declaration");
#define SAME_HAND(name, cret, cparams)                                                             \
    PT_PASTE(SAME_HAND_, PT__SECOND_(VARIADIC_##name, 0, ~))(name, cret, cparams)
#define SAME_HAND_0 SAME_SYM
#define SAME_HAND_1(name, cret, cparams) /* variadic in libc */
#define VARIADIC_open ~, 1
#define VARIADIC_openat ~, 1
#define SAME_NESTED(name, cret, cparams) /* variadic in libc */
#define SAME_VTBL(name, cret, cparams) typedef cret(*pt_sig_##name) cparams;
PT_CALLS(SAME_FUNCTION, _)

/* Method rows: the table's signature is the method table's slot. */
#define SAME_METHOD(iface, method)                                                                 \
    _Static_assert(__builtin_types_compatible_p(__typeof__(((struct iface##Vtbl *)0)->method),    \
                                                pt_sig_##iface##_##method),                       \
                   #iface "_" #method ": the call table's signature differs from the slot");
#define METHODS(M)                                                                                 \
    M(IProfAdmin, CreateProfile) M(IProfAdmin, DeleteProfile) M(IProfAdmin, Release)               \
    M(IMAPISession, OpenMsgStore) M(IMAPISession, Logoff) M(IMAPISession, Release)
METHODS(SAME_METHOD)
#define COUNT_ONE(iface, method) +1
#define COUNT_VTBL(name, cat, hook, cret, cparams, cargs, retk, fields) +IS_VTBL_##hook
#define IS_VTBL_SYM 0
#define IS_VTBL_HAND 0
#define IS_VTBL_NESTED 0
#define IS_VTBL_VTBL 1
_Static_assert(0 METHODS(COUNT_ONE) == 0 PT_CALLS(COUNT_VTBL, _),
               "every method row of calls.h must be listed in METHODS");

/* The shim's own types (signatures_shim.c) against the headers': size, and signedness of the
 * integers. */
struct shim_type {
    const char *name;
    size_t size;
    int is_signed;
};
extern const struct shim_type pt_test_shim_types[];

/* (T)-1 < 0: signed; pointers compare as unsigned (the warnings about it are expected) */
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wextra"
#define HEADER_TYPE(T) {#T, sizeof(T), (T)-1 < (T)0},
static const struct shim_type header_types[] = {PT__WIN32_TYPES(HEADER_TYPE){NULL, 0, 0}};

int main(void)
{
    int failures = 0;
    for (unsigned i = 0; header_types[i].name; i++) {
        const struct shim_type *h = &header_types[i], *s = &pt_test_shim_types[i];
        if (!s->name || strcmp(s->name, h->name) || s->size != h->size ||
            s->is_signed != h->is_signed) {
            fprintf(stderr, "preload_signatures: %s: the shim's type (size %zu%s) differs from the "
                            "header's (size %zu%s)\n",
                    h->name, s->size, s->is_signed ? ", signed" : "", h->size,
                    h->is_signed ? ", signed" : "");
            failures++;
        }
    }
    if (!failures)
        printf("preload_signatures: %u rows, shim types agree with the headers\n", PT_CALL_COUNT);
    return failures ? 1 : 0;
}

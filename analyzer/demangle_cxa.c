/* demangle_cxa.c — C++ and Rust (legacy mangling) names through libstdc++'s __cxa_demangle, the
 * demangler every Itanium-ABI tool uses; Rust's legacy scheme is Itanium-shaped plus a hash.
 *
 * libstdc++ is loaded (dlopen) at the first mangled name, not linked: most reports demangle
 * nothing, and loading it at every start costs about half a millisecond. */
#include <ctype.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/symbolize.h"

#define LIBSTDCXX_SONAME "libstdc++.so.6" /* the C++ runtime's soname since GCC 3.4 */

typedef char *cxa_demangle_fn(const char *mangled, char *buf, size_t *len, int *status);
static cxa_demangle_fn *cxa_demangle;
static char load_failed[192]; /* the sentence for the report when it could not be loaded */
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void)
{
    void *h = dlopen(LIBSTDCXX_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (h)
        *(void **)&cxa_demangle = dlsym(h, "__cxa_demangle");
    if (!cxa_demangle)
        snprintf(load_failed, sizeof load_failed,
                 "C++ and Rust names not demangled: %s could not be loaded (%s)", LIBSTDCXX_SONAME,
                 h ? "no __cxa_demangle in it" : dlerror());
}

/* Rust legacy names end in a path element "h" + 16 hex digits (the crate hash): "17h0123...E". */
static int rust_hash_suffix(const char *mangled)
{
    size_t n = strlen(mangled); /* ... "17h" + 16 hex digits + "E" */
    if (n < 21 || mangled[n - 1] != 'E' || memcmp(mangled + n - 20, "17h", 3))
        return 0;
    for (size_t i = n - 17; i < n - 1; i++)
        if (!isxdigit((unsigned char)mangled[i]))
            return 0;
    return 1;
}

char *pt__demangle(const char *name)
{
    if (!name || strncmp(name, "_Z", 2))
        return NULL;
    pthread_once(&load_once, load);
    if (!cxa_demangle)
        return NULL;
    int status = 0;
    char *d = cxa_demangle(name, NULL, NULL, &status);
    if (!d || status != 0) {
        free(d);
        return NULL;
    }
    size_t n = strlen(d);
    if (rust_hash_suffix(name) && n > 19 && !memcmp(d + n - 19, "::h", 3))
        d[n - 19] = 0;
    return d;
}

const char *pt__demangle_unavailable(void)
{
    return load_failed[0] ? load_failed : NULL; /* known once a name needed it */
}

/* demangle_cxa.c — C++ and Rust (legacy mangling) names through libstdc++'s __cxa_demangle, the
 * demangler every Itanium-ABI tool uses; Rust's legacy scheme is Itanium-shaped plus a hash. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/symbolize.h"

char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

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
    int status = 0;
    char *d = __cxa_demangle(name, NULL, NULL, &status);
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
    return NULL;
}

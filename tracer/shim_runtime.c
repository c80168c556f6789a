/* shim_runtime.c — the sanitizer runtime a sanitized shim needs before it (collector.h), found
 * among the libraries this program has loaded: a sanitized build of proftrace links it, an
 * ordinary one does not. */
#define _GNU_SOURCE
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "tracer/collector.h"

/* Only AddressSanitizer's insists on coming first; UBSan's, also linked with
 * -fsanitize=undefined, does not, and comes in as the shim's own dependency. (A ThreadSanitizer
 * shim cannot be preloaded at all: the runtime's start calls sigaction, which the instrumented
 * shim interposes before the runtime can run instrumented code, and the process dies.) */
static int is_first_runtime(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return !strncmp(base, "libasan.so", 10);
}

static int find(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    if (!info->dlpi_name || !is_first_runtime(info->dlpi_name))
        return 0;
    snprintf(arg, 4096, "%s", info->dlpi_name);
    return 1;
}

const char *pt_shim_runtime(void)
{
    static char path[4096];
    static int looked;
    if (!looked) {
        looked = 1;
        dl_iterate_phdr(find, path);
    }
    return path[0] ? path : NULL;
}

/* mapping_name.c — where a named file mapping lives: "Global\name" in one machine-wide namespace,
 * "Local\name" and bare names in the namespace of the caller's login session.
 *
 *   Global\name  ->  /winsim.<ns>.global.<name>
 *   Local\name   ->  /winsim.<ns>.s<session>.<name>
 *
 * <ns> is $WINSIM_NAMESPACE or "default" (so parallel tests never share objects). Inside <name>,
 * '\' becomes '!' and '/' becomes '%' ('/' cannot appear in a POSIX shm name). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "samples/win32/winsim.h"

DWORD winsim__mapping_shm_name(LPCSTR name, char *out, size_t size)
{
    const char *ns = getenv("WINSIM_NAMESPACE");
    char scope[32];
    size_t n;
    int len;

    if (!name || !*name)
        return ERROR_INVALID_PARAMETER;
    if (!ns || !*ns)
        ns = "default";
    if (!strncmp(name, "Global\\", 7)) {
        name += 7;
        snprintf(scope, sizeof(scope), "global");
    } else {
        if (!strncmp(name, "Local\\", 6))
            name += 6;
        snprintf(scope, sizeof(scope), "s%lu", winsim__session_id());
    }
    if (!*name || strchr(ns, '/'))
        return ERROR_INVALID_PARAMETER;
    len = snprintf(out, size, "/winsim.%s.%s.", ns, scope);
    if (len < 0 || (size_t)len >= size)
        return ERROR_BAD_PATHNAME;
    n = (size_t)len;
    for (const char *p = name; *p; p++) {
        if (n + 1 >= size || n >= 250)
            return ERROR_BAD_PATHNAME;
        out[n++] = *p == '\\' ? '!' : *p == '/' ? '%' : *p;
    }
    out[n] = '\0';
    return ERROR_SUCCESS;
}

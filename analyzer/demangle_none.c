/* demangle_none.c — built without libstdc++'s demangler: names are shown as the symbol tables
 * spell them (the report says so once). */
#include <stddef.h>

#include "analyzer/symbolize.h"

char *pt__demangle(const char *name)
{
    return NULL;
}

const char *pt__demangle_unavailable(void)
{
    return "C++ and Rust names not demangled: built without libstdc++'s __cxa_demangle";
}

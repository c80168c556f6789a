/* signatures_shim.c — the shim's own API types (preload/win32.h), built without any library's
 * headers, for preload_signatures.c to compare with the headers'. */
#include "preload/win32.h"

struct shim_type {
    const char *name;
    size_t size;
    int is_signed;
};

/* (T)-1 < 0: signed; pointers compare as unsigned (the warnings about it are expected) */
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wextra"
#define SHIM_TYPE(T) {#T, sizeof(T), (T)-1 < (T)0},
const struct shim_type pt_test_shim_types[] = {PT__WIN32_TYPES(SHIM_TYPE){NULL, 0, 0}};

/* wrappers.c — the interposed functions of every SYM and NESTED row, generated from calls.h.
 *
 * Deliberately includes no header that declares open() (its libc prototype is variadic; the table
 * gives the three-argument form, which is what the ABI passes).
 */
#include "preload/wrap.h"

PT__GEN_RECORDERS
PT__GEN_WRAPPERS

/* Programs built with _FILE_OFFSET_BITS=64 call the *64 names; on LP64 they are the same
 * functions, so the same wrappers serve them. */
PT__EXPORT int open64(const char *pathname, int flags, mode_t mode) __attribute__((alias("open")));
PT__EXPORT int openat64(int dirfd, const char *pathname, int flags, mode_t mode)
    __attribute__((alias("openat")));

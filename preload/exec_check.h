/* exec_check.h — will the image an exec starts be traced? (exec_check.c) */
#ifndef PT_PRELOAD_EXEC_CHECK_H
#define PT_PRELOAD_EXEC_CHECK_H

#include <stddef.h>

/* Why the program an exec of (dirfd, path, flags as execveat's; AT_EMPTY_PATH with "" is the
 * descriptor dirfd itself) would run untraced, written into why; NULL when it will be traced or
 * that cannot be known (not readable, not ELF). `real` gets the path of the file examined.
 * Raw system calls and the given buffers only (safe in a vfork child); errno is kept. */
const char *pt__exec_untraceable(int dirfd, const char *path, int flags, char *why, size_t wsz,
                                 char *real, size_t rsz);
/* execvp's search of PATH for file (into buf); file itself when it holds a '/'; NULL not found. */
const char *pt__exec_search(const char *file, char *buf, size_t n);

#endif

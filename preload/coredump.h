/* coredump.h — the shim's coredump_filter adjustment (coredump.c). */
#ifndef PT_PRELOAD_COREDUMP_H
#define PT_PRELOAD_COREDUMP_H

/* Set bit 3 of /proc/self/coredump_filter so the ring (a file-backed shared mapping) is in any
 * core of this process. Silent on failure. Makes system calls: call it at start, not from a hook.
 */
void pt__coredump_include_rings(void);

#endif

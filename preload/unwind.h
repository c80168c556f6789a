/* unwind.h — the calling thread's stack from DWARF call-frame information (unwind.c). */
#ifndef PT_PRELOAD_UNWIND_H
#define PT_PRELOAD_UNWIND_H

#include <stdint.h>

/* Once at start: the largest span a stack may have (RLIMIT_STACK). */
void pt__unwind_init(void);
/* Up to `max` program counters of the calling thread, innermost first: the first is inside
 * pt__unwind itself, the others are return addresses. Takes no lock, allocates nothing, opens
 * nothing; async-signal-safe. Returns how many were stored. */
int pt__unwind(uintptr_t *ips, int max);
/* The address of the return-address slot of the innermost frame whose pc lies in one of the n
 * ranges [lo, hi), if it lies on this thread's own stack; NULL when there is none. */
uintptr_t *pt__unwind_ret_slot(const uintptr_t (*ranges)[2], int n);
/* Objects were loaded or unloaded: rows kept for pcs are no longer trusted. Async-signal-safe. */
void pt__unwind_forget(void);
/* Whether a stack off the thread's own (a signal handler's alternate stack, a coroutine's) may be
 * read through process_vm_readv; cleared when a seccomp filter would refuse it (seccomp.c). */
extern int pt__unwind_slow_ok;

#endif

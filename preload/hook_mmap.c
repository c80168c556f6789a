/* hook_mmap.c — mmap, munmap and shmctl: the rows whose wrapper decides per call whether to trace.
 *
 * mmap is called constantly (malloc, the loader, stdio); only shared mappings of a descriptor
 * (MAP_SHARED with fd >= 0) matter to proftrace, everything else goes straight through after two
 * tests. A recorded shared mapping is remembered in a small lock-free table so that its munmap is
 * recorded too; munmap of anything else goes straight through. */
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/wrap.h"

PT__GEN_RECORDERS

#define PT__MAX_REGIONS 256
static struct {
    _Atomic uintptr_t start; /* 0: free slot */
    _Atomic size_t len;
} pt__regions[PT__MAX_REGIONS];
static _Atomic unsigned pt__nregions;

static void pt__region_add(uintptr_t start, size_t len)
{
    for (unsigned i = 0; i < PT__MAX_REGIONS; i++) {
        uintptr_t expect = 0;
        if (atomic_compare_exchange_strong(&pt__regions[i].start, &expect, start)) {
            atomic_store(&pt__regions[i].len, len);
            atomic_fetch_add(&pt__nregions, 1);
            return;
        }
    }
    /* Table full: that region's munmap will not be recorded (the analyzer sees the map only). */
}

/* Index of a recorded region overlapping [start, start+len), or -1. */
static int pt__region_find(uintptr_t start, size_t len)
{
    for (unsigned i = 0; i < PT__MAX_REGIONS; i++) {
        uintptr_t s = atomic_load(&pt__regions[i].start);
        if (s && start < s + atomic_load(&pt__regions[i].len) && s < start + len)
            return (int)i;
    }
    return -1;
}

static void pt__region_drop(int i, uintptr_t start, size_t len)
{
    uintptr_t s = atomic_load(&pt__regions[i].start);
    size_t l = atomic_load(&pt__regions[i].len);
    if (start <= s && start + len >= s + l) { /* all of it unmapped */
        uintptr_t expect = s;
        if (atomic_compare_exchange_strong(&pt__regions[i].start, &expect, 0))
            atomic_fetch_sub(&pt__nregions, 1);
    }
}

void pt__regions_reset(void)
{
    for (unsigned i = 0; i < PT__MAX_REGIONS; i++)
        atomic_store(&pt__regions[i].start, 0);
    atomic_store(&pt__nregions, 0);
}

PT__EXPORT void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
    __typeof__(pt__real.mmap) pt__fn = pt__real.mmap;
    if (PT__UNLIKELY(!pt__fn)) {
        /* dlsym may allocate, and malloc may mmap: while the shim is resolving, use the kernel. */
        if (pt__tls.busy)
            return (void *)syscall(SYS_mmap, addr, length, prot, flags, fd, offset);
        pt__tls.busy = 1;
        pt__fn = (__typeof__(pt__fn))pt__resolve("mmap");
        pt__tls.busy = 0;
        if (!pt__fn)
            return (void *)syscall(SYS_mmap, addr, length, prot, flags, fd, offset);
        pt__real.mmap = pt__fn;
    }
    if (PT__LIKELY(!(flags & MAP_SHARED) || fd < 0) || !pt__may_trace())
        return pt__fn(addr, length, prot, flags, fd, offset);
    PT__TRACED_CALL_NORET(mmap, void *, (addr, length, prot, flags, fd, offset), PT_RET_PTR_ERRNO,
                          0)
    if (pt__r != MAP_FAILED)
        pt__region_add((uintptr_t)pt__r, length);
    return pt__r;
}

PT__EXPORT void *mmap64(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
    __attribute__((alias("mmap")));

PT__EXPORT int munmap(void *addr, size_t length)
{
    __typeof__(pt__real.munmap) pt__fn = pt__real.munmap;
    if (PT__UNLIKELY(!pt__fn)) {
        if (pt__tls.busy)
            return (int)syscall(SYS_munmap, addr, length);
        pt__tls.busy = 1;
        pt__fn = (__typeof__(pt__fn))pt__resolve("munmap");
        pt__tls.busy = 0;
        if (!pt__fn)
            return (int)syscall(SYS_munmap, addr, length);
        pt__real.munmap = pt__fn;
    }
    int i;
    if (PT__LIKELY(atomic_load_explicit(&pt__nregions, memory_order_relaxed) == 0) ||
        (i = pt__region_find((uintptr_t)addr, length)) < 0 || !pt__may_trace())
        return pt__fn(addr, length);
    PT__TRACED_CALL_NORET(munmap, int, (addr, length), PT_RET_INT_ERRNO, 0)
    if (pt__r == 0)
        pt__region_drop(i, (uintptr_t)addr, length);
    return pt__r;
}

PT__EXPORT int shmctl(int shmid, int cmd, struct shmid_ds *buf)
{
    __typeof__(pt__real.shmctl) pt__fn = pt__real.shmctl;
    if (PT__UNLIKELY(!pt__fn)) {
        PT__REAL_OR_MISSING(shmctl, int, PT_RET_INT_ERRNO)
    }
    if (!pt__may_trace())
        return pt__fn(shmid, cmd, buf);
    PT__TRACED_CALL_NORET(shmctl, int, (shmid, cmd, buf), PT_RET_INT_ERRNO, cmd == IPC_RMID)
    return pt__r;
}

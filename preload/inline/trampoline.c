/* trampoline.c — executable memory for trampolines, placed within reach of the hooked code.
 *
 * Slots are carved from 64 KiB slabs and never freed (a thread may still be running one). A slab
 * near a function is found by asking mmap for fixed addresses stepping away from it, below and
 * above, with MAP_FIXED_NOREPLACE so nothing mapped is ever replaced (a kernel that does not know
 * the flag treats it as a hint; an answer out of range is unmapped and the next address tried).
 * A slab is executable for its whole life: to fill a slot it is made read-write-execute and back,
 * never non-executable, so threads running other slots of it are not disturbed. Where the system
 * refuses writable+executable memory, each slot gets its own slab written before it is made
 * executable. */
#define _GNU_SOURCE
#include "preload/inline/inline_internal.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define SLAB_SIZE ((size_t)64 << 10)
#define MAX_SLABS 64

struct slab {
    uintptr_t base;
    size_t used;
    int private_slot; /* written once before being made executable (no RWX) */
};

static struct slab slabs[MAX_SLABS];
static unsigned n_slabs;
static int rwx_refused;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int within(uintptr_t a, size_t len, uintptr_t near)
{
    if (!near)
        return 1;
    intptr_t lo = (intptr_t)(a - near), hi = (intptr_t)(a + len - near);
    return lo > -PT__NEAR_RANGE && hi < PT__NEAR_RANGE;
}

static uintptr_t map_at(uintptr_t hint, size_t len, int prot, int fixed)
{
    void *p = mmap((void *)hint, len, prot,
                   MAP_PRIVATE | MAP_ANONYMOUS | (fixed ? MAP_FIXED_NOREPLACE : 0), -1, 0);
    return p == MAP_FAILED ? 0 : (uintptr_t)p;
}

/* A new slab within reach of `near` (or anywhere when near is 0). */
static uintptr_t map_slab(uintptr_t near, size_t len, int prot)
{
    if (!near)
        return map_at(0, len, prot, 0);
    uintptr_t start = near & ~(uintptr_t)(SLAB_SIZE - 1);
    size_t step = SLAB_SIZE, limit = (size_t)PT__NEAR_RANGE - 2 * SLAB_SIZE;
    for (size_t d = step; d < limit; d += step) {
        for (int side = 0; side < 2; side++) {
            uintptr_t hint = side ? start + d : start - d;
            if (side == 0 && start < d + 0x10000)
                continue; /* below the lowest mappable address */
            uintptr_t got = map_at(hint, len, prot, 1);
            if (!got)
                continue;
            if (within(got, len, near))
                return got;
            munmap((void *)got, len); /* kernel ignored the fixed request */
        }
        if (d >= ((size_t)16 << 20))
            step = (size_t)1 << 20; /* past the neighbourhood, move on faster */
    }
    return 0;
}

int pt__tramp_alloc(uintptr_t near, size_t len, uintptr_t *out)
{
    int err = 0;
    len = (len + 15) & ~(size_t)15;
    if (len > SLAB_SIZE)
        return -ENOMEM;
    pthread_mutex_lock(&lock);
    for (unsigned i = 0; i < n_slabs; i++) {
        struct slab *s = &slabs[i];
        if (!s->private_slot && s->used + len <= SLAB_SIZE &&
            within(s->base + s->used, len, near)) {
            *out = s->base + s->used;
            s->used += len;
            goto out;
        }
    }
    if (n_slabs == MAX_SLABS) {
        err = -ENOMEM;
        goto out;
    }
    uintptr_t base =
        map_slab(near, SLAB_SIZE, rwx_refused ? PROT_READ | PROT_WRITE : PROT_READ | PROT_EXEC);
    if (!base) {
        err = -ENOMEM;
        goto out;
    }
    slabs[n_slabs] = (struct slab){.base = base, .used = len, .private_slot = rwx_refused};
    n_slabs++;
    *out = base;
out:
    pthread_mutex_unlock(&lock);
    return err;
}

int pt__tramp_alloc_away(uintptr_t avoid, size_t len, uintptr_t *out)
{
    const uintptr_t dist = (uintptr_t)8 << 30;
    int err = -ENOMEM;
    pthread_mutex_lock(&lock);
    for (int side = 0; side < 2 && err && n_slabs < MAX_SLABS; side++) {
        uintptr_t hint = side ? avoid + dist : avoid - dist;
        if (side == 0 && avoid < dist + 0x10000)
            continue;
        uintptr_t got =
            map_at(hint & ~(uintptr_t)(SLAB_SIZE - 1), SLAB_SIZE, PROT_READ | PROT_EXEC, 1);
        if (!got)
            continue;
        intptr_t d = (intptr_t)(got - avoid);
        if (d > -((intptr_t)4 << 30) && d < ((intptr_t)4 << 30)) {
            munmap((void *)got, SLAB_SIZE);
            continue;
        }
        slabs[n_slabs++] = (struct slab){.base = got, .used = (len + 15) & ~(size_t)15};
        *out = got;
        err = 0;
    }
    pthread_mutex_unlock(&lock);
    return err;
}

int pt__tramp_write(uintptr_t at, const void *code, size_t len)
{
    long pg = sysconf(_SC_PAGESIZE);
    uintptr_t first = at & ~(uintptr_t)(pg - 1);
    size_t span = ((at + len + pg - 1) & ~(uintptr_t)(pg - 1)) - first;
    struct slab *s = NULL;
    int err = 0;

    pthread_mutex_lock(&lock);
    for (unsigned i = 0; i < n_slabs; i++)
        if (at >= slabs[i].base && at < slabs[i].base + SLAB_SIZE)
            s = &slabs[i];
    if (!s) {
        err = -EINVAL;
        goto out;
    }
    if (s->private_slot) {
        memcpy((void *)at, code, len);
        if (mprotect((void *)s->base, SLAB_SIZE, PROT_READ | PROT_EXEC) < 0)
            err = -errno;
        goto out;
    }
    if (mprotect((void *)first, span, PROT_READ | PROT_WRITE | PROT_EXEC) < 0) {
        err = -errno;
        if (err == -EACCES)
            rwx_refused = 1; /* later slots get private slabs; this one is lost */
        goto out;
    }
    memcpy((void *)at, code, len);
    if (mprotect((void *)first, span, PROT_READ | PROT_EXEC) < 0)
        err = -errno;
out:
    pthread_mutex_unlock(&lock);
    return err;
}

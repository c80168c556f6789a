/* fork_start.c — a fork child's start (its ring, its process event), made when it first records.
 *
 * Why. Most fork children exec at once (a shell running a command, a build tool's job): a start
 * of their own (a ring file taken or created, its header, the process and module events, the
 * identity read from /proc) was half of what tracing added to each command a shell ran, and the
 * exec'd image makes a start of its own right after. So a fork child only notes that it is one
 * (state.c resets what belonged to the parent) and starts when it first records anything, from
 * whichever event that is (pt__tbuf_claim finds no ring): a call, a signal, its exit. The process
 * event still comes first in its ring, and no decisive event is lost. Until then the parent's ring
 * stays mapped in the child, untouched (the start unmaps it; an exec drops it).
 *
 * An exec before anything was recorded makes no start at all when the image it starts will load
 * the shim with this trace directory (hook_proc.c: the environment handed on names the shim and
 * this directory, and exec_check.c finds nothing that keeps the loader from preloading it): that
 * image's own start records the process, with exec=1 in its process event, so that readers know
 * that this process's first traced image is not its parent's (analyzer/model_fork.c). An exec that
 * fails, or that starts an image the shim will not be in, starts the child first and is recorded
 * as before.
 *
 * Started at once, as before, are the fork children of a process that began a hold of any kind
 * (holds.c, pt__holds_begun) or that proftrace attached to: such a child holds its parent's shared
 * mappings and SysV attachments from the fork on, and the analyzer and the collector's witness
 * must know it from then, not from its first event. And a child in another pid namespace than the
 * initial one reads its global pid at the fork (identity.c), before it can mount a /proc of its
 * own, as before.
 *
 * Rules. The deferral itself is async-signal-safe (the atfork child handler) and makes one system
 * call beyond the fork wrapper's getpid: the pid namespace's link. The start runs with the
 * re-entry guard up and errno kept, in whatever thread records first; a signal handler that
 * records while its own thread is making the start (that thread's pt__fs_mine, set before the
 * start is taken and cleared after it ended, so no instruction of the start is outside it) has
 * its event counted lost, once the ring exists; another thread waits for the start (at most
 * 100 ms), never for a lock.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>

#include "preload/attach.h"
#include "preload/holds.h"
#include "preload/shim.h"

enum { PT__FS_NONE = 0, PT__FS_PENDING, PT__FS_STARTING };

static _Atomic int pt__fs_state;
static PT__TLS uint8_t pt__fs_mine;  /* this thread is taking or making the start */
static _Atomic uint64_t pt__fs_lost; /* events its signal handlers could not record meanwhile */
static struct pt_ring *pt__fs_parent;   /* the parent's ring, still mapped here until the start */
int pt__image_forked;

int pt__fork_start_pending(void)
{
    return atomic_load_explicit(&pt__fs_state, memory_order_relaxed) != PT__FS_NONE;
}

/* The start: what a fork child made at once before. */
static void pt__fork_start_now(void)
{
    uint8_t busy = pt__tls.busy;
    int saved = errno;
    pt__tls.busy = 1; /* the ring's own files, renames and mappings are not the program's calls */
    if (pt__fs_parent) {
        pt_ring_forget(pt__fs_parent);
        pt__fs_parent = NULL;
    }
    pt__cfg.host_pid = pt__global_pid();
    pt__cfg.start_time = pt__self_start_time();
    struct pt_ring *r = NULL;
    int rc = pt_ring_create(&pt__cfg, &r);
    if (rc < 0) {
        pt__fail("cannot create a ring in the fork child", rc);
        goto out;
    }
    __atomic_store_n(&pt__ring, r, __ATOMIC_RELEASE);
    pt__holds_claim(); /* its owner slot in the holds table, before its first hold */
    pt__emit_process();
    pt__modules_replay(); /* never the loader here: see identity.c */
    uint64_t lost = atomic_exchange(&pt__fs_lost, 0);
    if (lost)
        pt_ring_lost(r, lost);
out:
    errno = saved;
    pt__tls.busy = busy;
}

void pt__fork_begin(struct pt_ring *parent)
{
    /* A parent that had not started yet itself (a fork child that forked before it recorded) has
     * no ring, and its own parent's still mapped: that one is ours to forget now. Its state and
     * its count of lost events are its, not ours. */
    atomic_store(&pt__fs_state, PT__FS_NONE);
    atomic_store(&pt__fs_lost, 0);
    if (parent)
        pt__fs_parent = parent;
    pt__image_forked = 1;
    pt__holds_after_fork(); /* the parent's holds are not the child's to end */
    if (pt__attached || pt__holds_begun()) {
        pt__fork_start_now(); /* it holds what its parent held: known from the fork on */
        return;
    }
    pt__global_pid_at_fork();
    atomic_store(&pt__fs_state, PT__FS_PENDING);
}

struct pt_ring *pt__fork_start(void)
{
    if (pt__fs_mine) { /* a signal handler inside this thread's start */
        atomic_fetch_add(&pt__fs_lost, 1);
        return NULL;
    }
    pt__fs_mine = 1;
    int expect = PT__FS_PENDING;
    int took = atomic_compare_exchange_strong(&pt__fs_state, &expect, PT__FS_STARTING);
    if (took) {
        pt__fork_start_now();
        atomic_store(&pt__fs_state, PT__FS_NONE);
    }
    pt__fs_mine = 0;
    struct pt_ring *r = __atomic_load_n(&pt__ring, __ATOMIC_ACQUIRE);
    if (took) {
        /* what handlers counted after the start had written its lost marker */
        uint64_t late = atomic_exchange(&pt__fs_lost, 0);
        if (late && r)
            pt_ring_lost(r, late);
    } else if (expect == PT__FS_STARTING) { /* another thread is making it */
        uint64_t until = pt_now() + 100000000ull; /* 100 ms */
        while (atomic_load(&pt__fs_state) == PT__FS_STARTING && pt_now() < until)
            sched_yield();
        r = __atomic_load_n(&pt__ring, __ATOMIC_ACQUIRE);
    }
    return r;
}

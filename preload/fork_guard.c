/* fork_guard.c — the shim never holds the dynamic loader's lock across a fork.
 *
 * dl_iterate_phdr takes the loader's write lock, and glibc's fork does not reset that one in the
 * child: a child forked while another thread of the parent was inside it inherits the lock held by
 * a thread that does not exist there, and hangs at its first dl_iterate_phdr or dlopen. The shim's
 * own uses of the loader (listing modules, scanning for inline hooks, loading the inline engine,
 * looking up a real function in every object) are therefore sections: a section does not start
 * while a fork is under way, and the fork (the atfork prepare handler, run by the forking thread)
 * waits until the sections that started before it have ended. The wait is bounded: a section that
 * itself waits for a lock the forking thread holds must not deadlock the two. */
#include <sched.h>

#include "preload/fork_guard.h"
#include "preload/shim.h"

static _Atomic int pt__loader_users; /* threads inside a section */
static _Atomic int pt__forking;      /* a fork's prepare handler has run, the fork has not ended */
static PT__TLS int pt__in_section;   /* this thread's sections (a signal handler may nest one) */

int pt__loader_begin(void)
{
    atomic_fetch_add(&pt__loader_users, 1);
    if (atomic_load(&pt__forking)) {
        atomic_fetch_sub(&pt__loader_users, 1);
        return -1;
    }
    pt__in_section++;
    return 0;
}

void pt__loader_end(void)
{
    pt__in_section--;
    atomic_fetch_sub(&pt__loader_users, 1);
}

void pt__loader_wait(void)
{
    uint64_t until = 0;
    while (atomic_load(&pt__forking)) {
        uint64_t now = pt_now();
        if (!until)
            until = now + 100000000ull; /* 100 ms */
        else if (now > until)
            return;
        sched_yield();
    }
}

void pt__fork_prepare(void)
{
    if (atomic_load(&pt__state) != PT__ON)
        return;
    atomic_store(&pt__forking, 1);
    /* This thread's own sections cannot end while it forks (a fork from a signal handler that
     * interrupted one): they do not count. */
    int own = pt__in_section;
    uint64_t until = 0;
    while (atomic_load(&pt__loader_users) > own) {
        uint64_t now = pt_now();
        if (!until)
            until = now + 100000000ull; /* 100 ms */
        else if (now > until)
            break;
        sched_yield();
    }
}

void pt__fork_parent(void)
{
    atomic_store(&pt__forking, 0);
}

void pt__fork_child_reset(void)
{
    atomic_store(&pt__loader_users, 0);
    atomic_store(&pt__forking, 0);
    pt__in_section = 0;
}

/* model_fork.c — the mappings a fork child inherits from its parent (design: model.h).
 *
 * A child made by fork runs its parent's image with its parent's mappings: every shared mapping
 * (of a file, of a POSIX shared-memory object) and every SysV attachment the parent had at the
 * fork is the child's too, until it unmaps or detaches it, execs or exits, though the child's own
 * trace never maps or attaches it (PostgreSQL's backends hold the postmaster's SysV segment so).
 * The child gets a copy of each of the parent's MAP and SYSV holds: the same handle, identity and
 * call, begun at the fork, marked as inherited from the parent's pid (pt__hold.from_pid).
 *
 * Open descriptors are inherited too, but their holds (open files) are not copied: a child drops
 * the descriptors it does not need in ways the trace does not follow (close-on-exec set by fcntl,
 * a daemon's own close loop), so copies would outlive the real ones and make findings of files
 * the child no longer had; and a deletion by a process that shares the descriptor is already the
 * holder's own doing (model_holds.c), which is what such files mostly are.
 *
 * The fork is known from the parent's trace (a call of role FORK, its result the child's pid) and
 * the child from its own first `process` event. Streams are merged by time and either may come
 * first: the parent's fork is stamped when it returns there, the child's first event once its shim
 * has made its ring. So the parent's holds are taken at the fork, and given to the child at once
 * when it is known already, else when it appears; a fork waits for its child a while (a child
 * the shim stays inert in never appears), and not across a rotation's checkpoint. A child that
 * exec'd before it recorded anything appears first as its exec'd image (exec=1 in its process
 * event: the shim made no start for the fork child's own, preload/fork_start.c): it inherits
 * nothing, and its fork waits no longer. The shim starts the children of a process that held
 * anything at once, so a child that holds its parent's mappings is known from the fork on.
 */
#include <stdlib.h>
#include <string.h>

#include "analyzer/model.h"

#define MAX_WAITING 64
#define WAIT_NS 10000000000ull /* a child's first event comes within ms; 10 s on a loaded host */

/* Give child c the holds of a fork by parent pid ppid at ts. */
static void inherit(struct pt_analyzer *a, struct pt__proc *c, uint32_t ppid, uint64_t ts,
                    const struct pt__inherit *x, uint32_t n)
{
    c->forked_ts = ts;
    for (uint32_t i = 0; i < n; i++)
        pt__hold_inherit(a, c, &x[i], ts, ppid);
}

/* Is c the process a fork by ppid at ts made, pid `pid` as fork returned it? The child in a new
 * pid namespace knows itself by another pid and its parent as 0. */
static int born_of(const struct pt__proc *c, uint32_t pid, uint32_t ppid, uint64_t ts,
                   uint64_t born)
{
    return !c->witnessed && c->have_identity && !c->forked_ts && born >= ts &&
           (c->pid == pid || c->global_pid == pid) && (c->ppid == ppid || c->ppid == 0);
}

/* Is c that fork's child, still running its parent's image (running exe)? A first image other
 * than the parent's is an exec'd one, which inherits no mapping; so is one whose process event
 * says it was started by an exec, whatever its executable (bash exec'ing bash): the shim records
 * no start of a fork child that execs before it records anything (preload/fork_start.c). */
static int child_of(const struct pt__proc *c, uint32_t pid, uint32_t ppid, const char *exe,
                    uint64_t ts, uint64_t born)
{
    return born_of(c, pid, ppid, ts, born) && !c->born_exec && c->exe && exe &&
           !strcmp(c->exe, exe);
}

static void drop(struct pt_analyzer *a, uint32_t i)
{
    free(a->forks[i].holds);
    a->forks[i] = a->forks[--a->nforks];
}

void pt__on_fork(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev)
{
    if (ev->ret <= 0 || !p->exe)
        return;
    uint32_t pid = (uint32_t)ev->ret;
    uint64_t ts = ev->ts_enter && ev->ts_enter <= ev->ts ? ev->ts_enter : ev->ts;
    struct pt__inherit *x;
    uint32_t n = pt__holds_to_inherit(a, p, ts, &x);
    /* Its child already seen (its stream came first): among the newest processes. */
    for (uint32_t i = a->nprocs, k = 0; i-- > 0 && k < MAX_WAITING; k++) {
        struct pt__proc *c = a->procs[i];
        if (c != p && child_of(c, pid, p->pid, p->exe, ts, c->first_ts)) {
            inherit(a, c, p->pid, ts, x, n);
            free(x);
            return;
        }
    }
    /* Else it waits for its child; the oldest waits no longer than WAIT_NS, nor beyond the room. */
    for (uint32_t i = a->nforks; i-- > 0;)
        if (a->forks[i].ts + WAIT_NS < ts)
            drop(a, i);
    if (a->nforks == MAX_WAITING) {
        uint32_t oldest = 0;
        for (uint32_t i = 1; i < a->nforks; i++)
            if (a->forks[i].ts < a->forks[oldest].ts)
                oldest = i;
        drop(a, oldest);
    }
    if (PT__GROW(a, a->forks, a->nforks, a->capforks)) {
        free(x);
        return;
    }
    a->forks[a->nforks++] = (struct pt__fork){p->pid, pid, ts, pt__intern(a, p->exe), x, n};
}

void pt__fork_child(struct pt_analyzer *a, struct pt__proc *c, uint64_t ts)
{
    for (uint32_t i = 0; i < a->nforks; i++) {
        struct pt__fork *f = &a->forks[i];
        if (child_of(c, f->child, f->parent_pid, f->exe, f->ts, ts)) {
            inherit(a, c, f->parent_pid, f->ts, f->holds, f->nholds);
            drop(a, i);
            return;
        }
        if (c->born_exec && born_of(c, f->child, f->parent_pid, f->ts, ts)) {
            drop(a, i); /* its child exec'd before it recorded anything: nothing to wait for */
            return;
        }
    }
}

/* attach.c — the shim started in a process that is already running, and stopped again.
 *
 * `proftrace record -p` / `collect --attach` (attach/) make the process dlopen this library; its
 * constructor finds no PROFTRACE_DIR and leaves the shim inert. The injector then calls
 * proftrace_attach(req) on one of the process's threads (proftrace/attach.h says what each
 * operation does). What differs from a start under LD_PRELOAD, and why:
 *  - the configuration comes from the request, not the environment, which stays as it was;
 *  - interposition is done by hand (got_rebind.c): the loader bound every reference long ago;
 *  - nothing is left behind that detaching could not take back: no fatal-signal handlers
 *    (signals.c; a killed process gets the collector's `reaped` event instead), no change to
 *    coredump_filter, no holds table (PROFTRACE_BREAK's view of other processes' holds), no
 *    replaced _dl_debug_state (dl_watch.c: libraries loaded later are scanned through the
 *    _dl_catch_error watch of hook_spec.c, modules come from stacks), and programs the process
 *    execs are not traced (their environment is passed on untouched; each exec is an `untraced`
 *    event, hook_proc.c); fork children are, with a ring of their own, and are detached one by
 *    one like their parent;
 *  - detaching turns tracing off (every wrapper then goes straight to the real function), writes
 *    the old GOT slots back and finishes the ring (pt_ring_detach: its range stays mapped, as
 *    anonymous memory, for a thread that was inside a traced call then and records when the call
 *    returns). Inline hooks (hook_inline.c) stay, as a jump to a wrapper that passes straight
 *    through: the engine never unhooks a function;
 *  - attaching again (a second `record -p`) starts a new ring: `pt__epoch` tells every thread that
 *    the buffer it claimed from an earlier ring is stale;
 *  - a seccomp filter the program installs that refuses what the shim needs (seccomp.c) ends
 *    tracing as a detach does, before the filter is in place, and the process is never attached
 *    again: under that filter the shim's calls could kill it.
 * The injector calls on a stack of its own, with signals blocked, the process's other threads
 * stopped for STACKS and HOLDS and running otherwise; every answer goes back in the request.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "preload/attach.h"
#include "preload/fork_guard.h"
#include "preload/hook_inline.h"
#include "preload/seccomp.h"
#include "preload/shim.h"
#include "preload/unwind.h"
#include "proftrace/attach.h"

int pt__attached;
static char pt__attach_dir[PATH_MAX];

static int pt__reply(struct pt_attach_req *q, int rc, const char *fmt, ...)
{
    q->result = rc;
    if (rc < 0 && fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(q->why, sizeof q->why, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* Tracing off: GOT slots back, ring finished. The number of slots given back. */
static size_t pt__attach_off(void)
{
    size_t n = pt__got_restore();
    struct pt_ring *r = pt__ring;
    pt__ring = NULL;
    pt_ring_detach(r);
    return n;
}

void pt__attach_abandon(void)
{
    if (pt__attached)
        pt__attach_off();
}

static int pt__attach_start(struct pt_attach_req *q)
{
    int expect = PT__INERT;
    char moved[sizeof q->why] = "";
    if (pt__seccomp_stopped) /* its filter would refuse the shim's calls, or kill the process */
        return pt__reply(q, -EPERM, "%s", pt__seccomp_stopped);
    if (!atomic_compare_exchange_strong(&pt__state, &expect, PT__INITING)) {
        if (expect != PT__ON)
            return pt__reply(q, -EBUSY, "the shim is starting in this process; try again");
        if (!pt__attached)
            return pt__reply(q, -EALREADY, "already traced (started with the shim preloaded)");
        /* Attached already, by a proftrace that may be gone (killed while it attached, or never
         * detached): the new one takes over, and says from where. */
        if (!atomic_compare_exchange_strong(&pt__state, &expect, PT__INITING))
            return pt__reply(q, -EBUSY, "the shim is starting in this process; try again");
        snprintf(moved, sizeof moved, "it was attached to %.200s, which gets no more of its events",
                 pt__attach_dir);
        pt__attach_off();
    }
    q->dir[sizeof q->dir - 1] = 0;
    q->stacks[sizeof q->stacks - 1] = 0;
    if (q->dir[0] != '/' || strlen(q->dir) >= sizeof pt__attach_dir) {
        atomic_store(&pt__state, PT__INERT);
        return pt__reply(q, -EINVAL, "trace directory \"%s\" is not an absolute path", q->dir);
    }
    strcpy(pt__attach_dir, q->dir);
    static int once;
    if (!once++) {
        pt__clock_init();
        pt__unwind_init();
        pt__process_hooks_once();
    }
    pt__resolve_all();
    pt__cfg.dir = pt__attach_dir;
    pt__cfg.thread_buf_bytes = (size_t)q->buf_bytes;
    pt__cfg.nthreads = q->nthreads;
    pt__cfg.overwrite = q->overwrite != 0;
    pt__cfg.noloss_ms = pt__cfg.overwrite ? 0 : q->noloss_ms;
    pt__cfg.host_pid = q->host_pid;
    struct pt_ring *r;
    int rc = pt_ring_create(&pt__cfg, &r);
    if (rc < 0) {
        atomic_store(&pt__state, PT__INERT);
        return pt__reply(q, rc, "cannot create a ring in %s/rings: %s", pt__attach_dir,
                         strerror(-rc));
    }
    /* Threads that claimed a buffer of an earlier ring (an earlier attach) claim anew. */
    __atomic_add_fetch(&pt__epoch, 1, __ATOMIC_RELEASE);
    pt__ring = r;
    pt__pid = (uint32_t)getpid();
    pt__attached = 1;
    atomic_store(&pt__state, PT__ON);
    pt__modules_forget(); /* a new ring: every module is new to it */
    pt__emit_process();
    if (pt__loader_begin() == 0) {
        pt__modules_list();
        pt__loader_end();
    }
    /* The attach time: holds the scan finds are stamped with it, calls after it are recorded. */
    q->t0 = pt__clock();
    if (pt__got_rebind() < 0) {
        atomic_store(&pt__state, PT__INERT);
        pt__ring = NULL;
        pt_ring_detach(r);
        return pt__reply(q, -ENOENT, "cannot read the shim's own symbol table");
    }
    q->count = (uint32_t)pt__got_count();
    snprintf(q->why, sizeof q->why, "%s", moved); /* a note, with result 0 */
    return pt__reply(q, 0, NULL);
}

/* Stacks: which events carry one (the unwinder itself needs no start: unwind.c takes no lock,
 * descriptor or allocation). Until then no event wants a stack (pt__want is empty in a process
 * never attached), so nothing unwinds. */
static int pt__attach_stacks(struct pt_attach_req *q)
{
    if (atomic_load(&pt__state) != PT__ON || !pt__attached)
        return pt__reply(q, -ENOENT, "not attached");
    q->stacks[sizeof q->stacks - 1] = 0;
    pt__stacks_config(q->stacks[0] ? q->stacks : NULL);
    return pt__reply(q, 0, NULL);
}

/* The string at `off` in the request's string area, or "" when it does not lie inside it. */
static const char *pt__req_str(const struct pt_attach_req *q, uint32_t off)
{
    if (!off || off >= q->strings_len)
        return "";
    const char *s = (const char *)q + q->strings_off + off;
    return memchr(s, 0, q->strings_len - off) ? s : "";
}

static int pt__attach_holds(struct pt_attach_req *q)
{
    static const char *const kinds[PT_PRIOR_COUNT] = {"",
#define PT_PRIOR_NAME(k) #k,
                                                      PT_PRIOR_KINDS(PT_PRIOR_NAME)
#undef PT_PRIOR_NAME
    };
    if (atomic_load(&pt__state) != PT__ON || !pt__attached)
        return pt__reply(q, -ENOENT, "not attached");
    uint64_t end_holds =
        (uint64_t)q->holds_off + (uint64_t)q->nholds * sizeof(struct pt_attach_hold);
    if (q->holds_off % 8 || end_holds > q->size ||
        (uint64_t)q->strings_off + q->strings_len > q->size)
        return pt__reply(q, -EINVAL, "holds outside the request (%u bytes)", q->size);
    const struct pt_attach_hold *h = (const struct pt_attach_hold *)((char *)q + q->holds_off);
    for (uint32_t i = 0; i < q->nholds; i++) {
        if (!h[i].kind || h[i].kind >= PT_PRIOR_COUNT)
            continue;
        struct pt__ev_prior_hold ev = {kinds[h[i].kind],
                                       pt__req_str(q, h[i].name_off),
                                       pt__req_str(q, h[i].path_off),
                                       h[i].dev,
                                       h[i].ino,
                                       h[i].handle,
                                       h[i].size};
        if (pt__put_prior_hold(NULL, q->t0, &ev) == 0)
            q->count++;
    }
    return pt__reply(q, 0, NULL);
}

static int pt__attach_hooks(struct pt_attach_req *q)
{
    static int scanned;
    if (atomic_load(&pt__state) != PT__ON || !pt__attached)
        return pt__reply(q, -ENOENT, "not attached");
    if (!scanned++)
        pt__inline_init();
    else
        pt__inline_rescan(); /* hooks stay across a detach: only objects loaded since */
    return pt__reply(q, 0, NULL);
}

static int pt__attach_stop(struct pt_attach_req *q)
{
    if (!pt__attached)
        return pt__reply(q, -ENOENT, "not attached (traced from its start, or never traced)");
    int expect = PT__ON;
    if (!atomic_compare_exchange_strong(&pt__state, &expect, PT__INERT))
        return pt__reply(q, -ENOENT, "not tracing");
    q->count = (uint32_t)pt__attach_off();
    return pt__reply(q, 0, NULL);
}

PT__EXPORT int proftrace_attach(struct pt_attach_req *q)
{
    if (!q || q->magic != PT_ATTACH_MAGIC || q->size < sizeof *q)
        return -EINVAL;
    if (q->version != PT_ATTACH_VERSION)
        return pt__reply(q, -EPROTO, "request version %u, this shim speaks %u", q->version,
                         PT_ATTACH_VERSION);
    uint8_t ob = pt__own_begin(); /* nothing the shim does here is the program's */
    int saved = errno, rc;
    q->why[0] = 0;
    q->count = 0;
    switch (q->op) {
    case PT_ATTACH_START:
        rc = pt__attach_start(q);
        break;
    case PT_ATTACH_STACKS:
        rc = pt__attach_stacks(q);
        break;
    case PT_ATTACH_HOLDS:
        rc = pt__attach_holds(q);
        break;
    case PT_ATTACH_HOOKS:
        rc = pt__attach_hooks(q);
        break;
    case PT_ATTACH_STOP:
        rc = pt__attach_stop(q);
        break;
    default:
        rc = pt__reply(q, -EINVAL, "unknown operation %u", q->op);
        break;
    }
    errno = saved;
    pt__own_end(ob);
    return rc;
}

/* model_procs.c — processes and threads of the model (design: model.h).
 *
 * A process is found by its stream first (every ring is one process image), else by a live process
 * with the event's pid, else it is new. A `process` event gives it its identity (pid, start time,
 * namespaces, creds, login session); a pid seen again with another start time means the older
 * process is gone (its pid was reused), an exec keeps the record. Threads carry what a call needs
 * from the calls nested inside it and their own creds after a per-thread set*id; they are freed
 * when their process ends, so memory follows the live processes. How a process ended (exit, fatal
 * signal, the collector's `reaped`, pid reuse) and where its events were lost are kept, because
 * the detectors judge whether a holder was still alive and whether a release may be missing; so are
 * the liveness checks a deleter's shim made before a delete (`breakpoint` events). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/model.h"

/* The namespace fields are consecutive in every class that has them, in PT_NAMESPACES order. */
_Static_assert(PT_FIELD(process, ns_time) - PT_FIELD(process, ns_ipc) == PT_NS_COUNT - 1,
               "process: namespace fields out of order");
_Static_assert(PT_FIELD(ns, ns_time) - PT_FIELD(ns, ns_ipc) == PT_NS_COUNT - 1,
               "ns: namespace fields out of order");

static void read_ns(const struct pt_event *ev, unsigned first, uint64_t *ns)
{
    for (unsigned i = 0; i < PT_NS_COUNT; i++)
        ns[i] = pt_ev_u(ev, first + i);
}

/* Module paths and build-ids repeat in every process: keep one copy of each. The interned strings
 * live until pt_analyzer_free. */
const char *pt__intern(struct pt_analyzer *a, const char *s)
{
    uint64_t h = 1469598103934665603ull, len = strlen(s), v;
    for (const char *c = s; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ull;
    for (uint64_t probe = 0;; probe++) { /* (hash, probe) chains distinct strings of one hash */
        if (!pt__map_get(&a->interned, h, probe, &v))
            break;
        const char *old = (const char *)(uintptr_t)v;
        if (strlen(old) == len && !memcmp(old, s, len))
            return old;
    }
    char *copy = pt__strdup(a, s);
    if (!copy)
        return "";
    uint64_t probe = 0;
    while (pt__map_get(&a->interned, h, probe, &v))
        probe++;
    if (pt__map_put(&a->interned, h, probe, (uint64_t)(uintptr_t)copy)) {
        a->nomem++;
        free(copy);
        return "";
    }
    return copy;
}

struct pt__proc *pt__proc_of(struct pt_analyzer *a, uint32_t idx)
{
    return idx < a->nprocs ? a->procs[idx] : NULL;
}

struct pt__proc *pt__proc_alloc(struct pt_analyzer *a, uint32_t pid)
{
    if (PT__GROW(a, a->procs, a->nprocs, a->capprocs))
        return NULL;
    struct pt__proc *p = calloc(1, sizeof *p);
    if (!p) {
        a->nomem++;
        return NULL;
    }
    p->idx = a->nprocs;
    p->pid = pid;
    p->global_pid = pid;
    p->holds_head = p->watch_head = p->thread_head = p->last_thread = PT__NONE;
    a->procs[a->nprocs++] = p;
    return p;
}

/* Streams to processes: every event looks its process up, so a small direct-mapped cache sits in
 * front of the map (consecutive events mostly come from a few streams). */
static void stream_set(struct pt_analyzer *a, uint32_t stream, uint32_t proc)
{
    a->cur_proc = NULL;
    a->cur_thread = NULL;
    pt__map_put(&a->by_stream, stream, 0, proc);
    a->stream_cache[stream % PT__STREAM_CACHE] = (struct pt__stream_slot){stream, proc + 1};
}

int pt__stream_proc(struct pt_analyzer *a, uint32_t stream, uint32_t *proc)
{
    struct pt__stream_slot *c = &a->stream_cache[stream % PT__STREAM_CACHE];
    uint64_t v;
    if (c->proc1 && c->stream == stream) {
        *proc = c->proc1 - 1;
        return 1;
    }
    if (!pt__map_get(&a->by_stream, stream, 0, &v))
        return 0;
    *c = (struct pt__stream_slot){stream, (uint32_t)v + 1};
    *proc = (uint32_t)v;
    return 1;
}

static struct pt__proc *proc_new(struct pt_analyzer *a, uint32_t pid, uint32_t stream)
{
    struct pt__proc *p = pt__proc_alloc(a, pid);
    if (!p)
        return NULL;
    stream_set(a, stream, p->idx);
    pt__map_put(&a->by_pid, pid, 0, p->idx);
    return p;
}

struct pt__proc *pt__proc_lookup(struct pt_analyzer *a, const struct pt_event *ev)
{
    uint32_t idx;
    uint64_t v;
    if (pt__stream_proc(a, ev->stream, &idx))
        return a->procs[idx];
    /* A stream that does not begin with a `process` event (another thread's buffer) is the live
     * process's of its pid, or, read late, that of the last one, which ended after its event. */
    if (pt__map_get(&a->by_pid, ev->pid, 0, &v) &&
        (a->procs[v]->end == PT__ALIVE || ev->ts <= a->procs[v]->end_ts)) {
        stream_set(a, ev->stream, (uint32_t)v);
        return a->procs[v];
    }
    return proc_new(a, ev->pid, ev->stream);
}

struct pt__thread *pt__thread_lookup(struct pt_analyzer *a, struct pt__proc *p, uint32_t tid)
{
    uint64_t v;
    if (pt__map_get(&a->by_tid, p->idx, tid, &v)) {
        p->last_thread = (uint32_t)v;
        return a->threads[v];
    }
    if (PT__GROW(a, a->threads, a->nthreads, a->capthreads))
        return NULL;
    struct pt__thread *t = calloc(1, sizeof *t);
    if (!t) {
        a->nomem++;
        return NULL;
    }
    t->proc = p->idx;
    t->tid = tid;
    t->idx = a->nthreads;
    t->next = p->thread_head;
    p->thread_head = a->nthreads;
    a->threads[a->nthreads] = t;
    pt__map_put(&a->by_tid, p->idx, tid, a->nthreads);
    p->last_thread = a->nthreads++;
    return t;
}

int pt__lost_between(const struct pt__proc *p, uint64_t from, uint64_t to, uint64_t *count)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < p->nlost; i++)
        if (p->lost[i].to >= from && p->lost[i].from <= to)
            n += p->lost[i].count;
    if (count)
        *count = n;
    return n > 0;
}

void pt__thread_settle(struct pt_analyzer *a, struct pt__thread *t)
{
    for (uint32_t j = 0; j < t->npend_del; j++)
        a->dels[t->pend_del[j]].pending = 0;
    t->npend_del = 0;
    for (uint32_t j = 0; j < t->npend_view; j++) {
        struct pt__view *v = &a->procs[t->proc]->views[t->pend_view[j]];
        if (v->in_mapi < 0)
            v->in_mapi = 1; /* opened inside a library call that never returned */
    }
    t->npend_view = 0;
    pt__victims_settle(a, t);
    for (uint32_t j = 0; j < t->nchild; j++)
        free(t->child[j].path);
    t->nchild = 0;
}

void pt__proc_end(struct pt_analyzer *a, struct pt__proc *p, enum pt__end how, uint64_t ts)
{
    if (p->end != PT__ALIVE)
        return;
    p->end = how;
    p->end_ts = ts;
    while (p->holds_head != PT__NONE)
        pt__hold_close(a, p->holds_head, 0);
    /* Its threads are done: free them so memory follows the live processes. A straggling event
     * of the process (another thread's, written late) gets a fresh thread state. */
    for (uint32_t ti = p->thread_head, nx; ti != PT__NONE; ti = nx) {
        struct pt__thread *t = a->threads[ti];
        nx = t->next;
        pt__thread_settle(a, t);
        pt__map_del(&a->by_tid, p->idx, t->tid);
        a->threads[ti] = NULL;
        free(t);
    }
    p->thread_head = PT__NONE;
    a->cur_proc = NULL;
    a->cur_thread = NULL;
}

void pt__on_process(struct pt_analyzer *a, const struct pt_event *ev)
{
    uint32_t gpid = (uint32_t)PT_U(ev, process, global_pid);
    uint64_t st = PT_U(ev, process, start_time);
    struct pt__proc *p = NULL;
    uint64_t v;
    uint32_t idx;
    if (pt__stream_proc(a, ev->stream, &idx)) {
        p = a->procs[idx];
        if (p->have_identity && (p->global_pid != gpid || p->start_time != st))
            p = NULL; /* a new process in a reused stream */
    }
    /* Same pid: after exec (a new ring, so a new stream) it is the same process, even when its
     * newest image ended before the stream of an older one was read; with a later start time the
     * pid was reused and the older process is gone; with an earlier one, this stream is that of
     * an older process, read late, and gone since. Only in one pid namespace: a shim that starts
     * inside a container knows only its pid there (pid 1 of two containers). */
    int older = 0;
    if (pt__map_get(&a->by_pid, ev->pid, 0, &v)) {
        struct pt__proc *q = a->procs[v];
        uint64_t qns = q->who.ns[PT_NS_pid], ns = PT_U(ev, process, ns_pid);
        if (q != p && q->have_identity && q->global_pid == gpid && (!qns || !ns || qns == ns)) {
            if (q->start_time == st && q->end == PT__REAPED && q->reaped_ring &&
                ev->ts > q->reaped_ring) { /* the ring found dead was an image's before an exec */
                q->end = PT__ALIVE;
                q->end_ts = q->reaped_last_ts = q->reaped_ring = 0;
                q->end_signo = 0;
            }
            if (q->start_time == st && !p)
                p = q;
            else if (q->start_time > st)
                older = 1;
            else if (q->start_time != st && q->end == PT__ALIVE)
                pt__proc_end(a, q, PT__REPLACED, q->last_ts);
        }
    }
    if (!p && !(p = older ? pt__proc_alloc(a, ev->pid) : proc_new(a, ev->pid, ev->stream)))
        return;
    int first = !p->have_identity;
    stream_set(a, ev->stream, p->idx);
    if (p->have_identity && ev->ts < p->image_ts)
        return; /* an older image's, read late: the newest image's identity stays */
    if (!older)
        pt__map_put(&a->by_pid, ev->pid, 0, p->idx);
    /* The image an exec started: what its predecessor's other threads began after the exec (a
     * call that returned while the kernel was replacing the image) is over. */
    if (p->exec_ts > p->image_ts && ev->ts > p->exec_ts)
        pt__holds_end_before(a, p, ev->ts, p->exec_ts);
    p->image_ts = ev->ts;
    p->pid = ev->pid;
    p->ppid = (uint32_t)PT_U(ev, process, ppid);
    p->global_pid = gpid;
    p->start_time = st;
    p->who.uid = (uint32_t)PT_U(ev, process, uid);
    p->who.euid = (uint32_t)PT_U(ev, process, euid);
    p->who.gid = (uint32_t)PT_U(ev, process, gid);
    p->who.egid = (uint32_t)PT_U(ev, process, egid);
    p->who.sessionid = (uint32_t)PT_U(ev, process, sessionid);
    p->who.loginuid = (uint32_t)PT_U(ev, process, loginuid);
    read_ns(ev, PT_FIELD(process, ns_ipc), p->who.ns);
    free(p->exe);
    free(p->cmdline);
    p->exe = pt__strdup(a, PT_S(ev, process, exe));
    p->cmdline = pt__strdup(a, PT_S(ev, process, cmdline));
    p->have_identity = 1;
    for (uint32_t ti = p->thread_head; ti != PT__NONE; ti = a->threads[ti]->next)
        a->threads[ti]->have_cred = 0; /* exec resets creds to the process's */
    if (older) /* its pid belongs to a younger process: this one was gone before that began */
        pt__proc_end(a, p, PT__REPLACED, ev->ts);
    else if (first) { /* a fork child has its parent's mappings, unless it exec'd first */
        p->born_exec = PT_U(ev, process, exec) != 0;
        pt__fork_child(a, p, ev->ts);
    }
}

/* An `untraced` event: a process nothing traces from here on, kept for the summary; reason "" is an
 * exec that returned, so the image it named goes on, traced, and the pid's last note is undone. */
static void on_untraced(struct pt_analyzer *a, const struct pt_event *ev)
{
    uint32_t pid = (uint32_t)PT_U(ev, untraced, pid), i = a->nuntraced;
    const char *reason = PT_S(ev, untraced, reason);
    if (!*reason) {
        while (i-- > 0)
            if (a->untraced[i].pid == pid && a->untraced[i].reason) {
                a->untraced[i].reason = NULL;
                break;
            }
        return;
    }
    if (!PT__GROW(a, a->untraced, a->nuntraced, a->capuntraced))
        a->untraced[a->nuntraced++] = (struct pt__untraced){
            pid, pt__intern(a, PT_S(ev, untraced, exe)), pt__intern(a, reason)};
}

int pt__on_proc_event(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev)
{
    switch (ev->id) {
    case PT_EV_module:
        if (!PT__GROW(a, p->mods, p->nmods, p->capmods)) {
            struct pt__module *m = &p->mods[p->nmods++];
            m->base = PT_U(ev, module, base);
            m->size = PT_U(ev, module, size);
            m->bias = PT_U(ev, module, bias);
            m->path = pt__intern(a, PT_S(ev, module, path));
            m->build_id = pt__intern(a, PT_S(ev, module, build_id));
        }
        break;
    case PT_EV_cred: {
        if (ev->ts < p->image_ts)
            break; /* an older image's, read late: nobody's credentials any more */
        struct pt__thread *t = pt__thread_for(a, p, ev->tid);
        struct pt__who w = p->who;
        w.uid = (uint32_t)PT_U(ev, cred, uid);
        w.euid = (uint32_t)PT_U(ev, cred, euid);
        w.gid = (uint32_t)PT_U(ev, cred, gid);
        w.egid = (uint32_t)PT_U(ev, cred, egid);
        if (t) {
            t->who = w;
            t->have_cred = 1;
        }
        p->who.uid = w.uid;
        p->who.euid = w.euid;
        p->who.gid = w.gid;
        p->who.egid = w.egid;
        break;
    }
    case PT_EV_ns:
        if (ev->ts >= p->image_ts) /* not an older image's, read late */
            read_ns(ev, PT_FIELD(ns, ns_ipc), p->who.ns);
        break;
    case PT_EV_exit:
        p->end_status = (int32_t)PT_U(ev, exit, status);
        pt__proc_end(a, p, PT__EXITED, ev->ts);
        break;
    case PT_EV_signal:
        p->end_signo = (int32_t)PT_U(ev, signal, signo);
        pt__proc_end(a, p, PT__SIGNALLED, ev->ts);
        break;
    case PT_EV_reaped: {
        /* A ring left open by an image that exec'd is reaped too: when the process went on
         * writing after that ring's last event, this is not its end. */
        uint64_t last = PT_U(ev, reaped, last_ts);
        if (p->end == PT__ALIVE && last && p->last_ts > last)
            return 1;
        if (p->end == PT__ALIVE) {
            p->end_signo = (int32_t)PT_U(ev, reaped, signo);
            p->reaped_ring = last;
            p->reaped_last_ts = last;
            if (!p->reaped_last_ts || p->reaped_last_ts > p->last_ts)
                p->reaped_last_ts = p->last_ts;
            pt__proc_end(a, p, PT__REAPED, ev->ts);
        }
        return 1; /* not an event of the process itself: last_ts stays its last sign of life */
    }
    case PT_EV_breakpoint: /* the liveness check of a delete: evidence the holder lived */
        if (!strcmp(PT_S(ev, breakpoint, reason), "delete-held") &&
            !PT__GROW(a, a->bps, a->nbps, a->capbps))
            a->bps[a->nbps++] = (struct pt__bp){p->idx,
                                                ev->tid,
                                                ev->ts,
                                                PT_U(ev, breakpoint, dev),
                                                PT_U(ev, breakpoint, ino),
                                                (uint32_t)PT_U(ev, breakpoint, holder_pid),
                                                PT_U(ev, breakpoint, stopped) != 0};
        break;
    case PT_EV_untraced:
        on_untraced(a, ev);
        break;
    case PT_EV_lost: {
        uint64_t n = PT_U(ev, lost, count);
        if (!PT__GROW(a, p->lost, p->nlost, p->caplost))
            p->lost[p->nlost++] = (struct pt__lost){p->last_ts, ev->ts, n};
        p->lost_total += n;
        a->lost_total += n;
        break;
    }
    default:
        break;
    }
    return 0;
}

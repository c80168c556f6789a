/* model.c — builds the cross-process model from the event stream (design: analyzer/model.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyzer/grow.h"
#include "analyzer/model.h"

#define MAP_SHARED_FLAG 0x01
#define IPC_RMID_CMD 0
#define SYSV_DEV(ns) ((ns) | (1ull << 63)) /* keeps SysV identities apart from (dev, ino) pairs */

static char *xstrdup(struct pt_analyzer *a, const char *s)
{
    char *r = strdup(s ? s : "");
    if (!r)
        a->nomem++;
    return r;
}

/* Per-process arrays stay small: they start at 4. */
#define GROW(a, arr, n, cap)                                                                       \
    (pt__grow((void **)&(arr), &(cap), (n) + 1, sizeof *(arr), 4) ? ((a)->nomem++, -ENOMEM) : 0)

void pt__note(struct pt_analyzer *a, const char *fmt, ...)
{
    if (a->nnotes >= 4)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->notes[a->nnotes], sizeof a->notes[0], fmt, ap);
    va_end(ap);
    for (int i = 0; i < a->nnotes; i++)
        if (!strcmp(a->notes[i], a->notes[a->nnotes]))
            return;
    a->nnotes++;
}

/* Module paths and build-ids repeat in every process: keep one copy of each. The interned strings
 * live until pt_analyzer_free. */
static const char *intern(struct pt_analyzer *a, const char *s)
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
    char *copy = xstrdup(a, s);
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

/* ---- processes and threads ---- */

/* A new process record at the end of a->procs, in no index yet; NULL when out of memory. */
static struct pt__proc *proc_alloc(struct pt_analyzer *a, uint32_t pid)
{
    if (GROW(a, a->procs, a->nprocs, a->capprocs))
        return NULL;
    struct pt__proc *p = calloc(1, sizeof *p);
    if (!p) {
        a->nomem++;
        return NULL;
    }
    p->idx = a->nprocs;
    p->pid = pid;
    p->global_pid = pid;
    p->holds_head = p->watch_head = p->thread_head = PT__NONE;
    a->procs[a->nprocs++] = p;
    return p;
}

static struct pt__proc *proc_new(struct pt_analyzer *a, uint32_t pid, uint32_t stream)
{
    struct pt__proc *p = proc_alloc(a, pid);
    if (!p)
        return NULL;
    pt__map_put(&a->by_stream, stream, 0, p->idx);
    pt__map_put(&a->by_pid, pid, 0, p->idx);
    return p;
}

static struct pt__proc *proc_for(struct pt_analyzer *a, const struct pt_event *ev)
{
    uint64_t v;
    if (pt__map_get(&a->by_stream, ev->stream, 0, &v))
        return a->procs[v];
    if (pt__map_get(&a->by_pid, ev->pid, 0, &v) && a->procs[v]->end == PT__ALIVE) {
        pt__map_put(&a->by_stream, ev->stream, 0, v);
        return a->procs[v];
    }
    return proc_new(a, ev->pid, ev->stream);
}

static struct pt__thread *thread_for(struct pt_analyzer *a, struct pt__proc *p, uint32_t tid)
{
    uint64_t v;
    if (pt__map_get(&a->by_tid, p->idx, tid, &v))
        return a->threads[v];
    if (GROW(a, a->threads, a->nthreads, a->capthreads))
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
    a->nthreads++;
    return t;
}

/* The identity of the thread right now: its own creds when it changed them, else the process's. */
static struct pt__who who_now(const struct pt__proc *p, const struct pt__thread *t)
{
    struct pt__who w = p->who;
    if (t && t->have_cred) {
        w.uid = t->who.uid;
        w.euid = t->who.euid;
        w.gid = t->who.gid;
        w.egid = t->who.egid;
    }
    return w;
}

const struct pt__view *pt__view_at(const struct pt__proc *p, uint64_t ts)
{
    const struct pt__view *best = NULL;
    for (uint32_t i = 0; i < p->nviews; i++) {
        const struct pt__view *v = &p->views[i];
        if (v->in_mapi == 0 || v->ts > ts)
            continue;
        best = v;
    }
    return best;
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

/* ---- holds ---- */

static uint32_t hold_new(struct pt_analyzer *a)
{
    uint32_t h;
    if (a->free_hold != PT__NONE && a->free_hold < a->nholds) {
        h = a->free_hold;
        a->free_hold = a->holds[h].pnext;
    } else {
        if (GROW(a, a->holds, a->nholds, a->capholds))
            return PT__NONE;
        h = a->nholds++;
    }
    memset(&a->holds[h], 0, sizeof a->holds[h]);
    a->holds[h].inext = a->holds[h].iprev = a->holds[h].pnext = a->holds[h].pprev = PT__NONE;
    return h;
}

static uint64_t handle_key(uint32_t proc, enum pt__hold_kind k)
{
    return (uint64_t)proc << 8 | k;
}

static void id_unlink(struct pt_analyzer *a, uint32_t h)
{
    struct pt__hold *x = &a->holds[h];
    if (x->iprev == PT__NONE) {
        uint64_t head;
        if (pt__map_get(&a->hold_by_id, x->dev, x->ino, &head) && head == h) {
            if (x->inext == PT__NONE)
                pt__map_del(&a->hold_by_id, x->dev, x->ino);
            else
                pt__map_put(&a->hold_by_id, x->dev, x->ino, x->inext);
        }
    } else {
        a->holds[x->iprev].inext = x->inext;
    }
    if (x->inext != PT__NONE)
        a->holds[x->inext].iprev = x->iprev;
    x->inext = x->iprev = PT__NONE;
}

static void hold_close(struct pt_analyzer *a, uint32_t h)
{
    struct pt__hold *x = &a->holds[h];
    if (!x->live)
        return;
    if (x->kind == PT__H_SESSION && x->len < a->nsess && !a->sess[x->len].end_ts)
        a->sess[x->len].end_ts = a->procs[x->proc]->end != PT__ALIVE ? a->procs[x->proc]->end_ts
                                                                     : a->procs[x->proc]->last_ts;
    if (x->dev || x->ino)
        id_unlink(a, h);
    uint64_t cur;
    if (pt__map_get(&a->hold_by_handle, handle_key(x->proc, x->kind), x->handle, &cur) && cur == h)
        pt__map_del(&a->hold_by_handle, handle_key(x->proc, x->kind), x->handle);
    struct pt__proc *p = a->procs[x->proc];
    if (x->pprev == PT__NONE)
        p->holds_head = x->pnext;
    else
        a->holds[x->pprev].pnext = x->pnext;
    if (x->pnext != PT__NONE)
        a->holds[x->pnext].pprev = x->pprev;
    free(x->name);
    free(x->path);
    x->name = x->path = NULL;
    x->live = 0;
    x->pnext = a->free_hold;
    a->free_hold = h;
}

/* Start a hold; takes ownership of name and path. Returns the hold index or PT__NONE. */
static uint32_t hold_open(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                          const struct pt_event *ev, enum pt__hold_kind kind, uint64_t handle,
                          uint64_t dev, uint64_t ino, char *name, char *path)
{
    uint64_t old;
    if (handle && pt__map_get(&a->hold_by_handle, handle_key(p->idx, kind), handle, &old))
        hold_close(a, (uint32_t)old); /* the handle value was reused: the old one is gone */
    uint32_t h = hold_new(a);
    if (h == PT__NONE) {
        free(name);
        free(path);
        return PT__NONE;
    }
    struct pt__hold *x = &a->holds[h];
    x->kind = kind;
    x->proc = p->idx;
    x->tid = ev->tid;
    x->handle = handle;
    x->dev = dev;
    x->ino = ino;
    x->ts = ev->ts;
    x->name = name;
    x->path = path;
    x->api = pt__ev_name(ev->id);
    x->who = who_now(p, t);
    x->live = 1;
    if (handle)
        pt__map_put(&a->hold_by_handle, handle_key(p->idx, kind), handle, h);
    if (dev || ino) {
        uint64_t head;
        if (pt__map_get(&a->hold_by_id, dev, ino, &head)) {
            x->inext = (uint32_t)head;
            a->holds[head].iprev = h;
        }
        pt__map_put(&a->hold_by_id, dev, ino, h);
    }
    x->pnext = p->holds_head;
    if (p->holds_head != PT__NONE)
        a->holds[p->holds_head].pprev = h;
    p->holds_head = h;
    return h;
}

static struct pt__hold *hold_by_handle(struct pt_analyzer *a, uint32_t proc, enum pt__hold_kind k,
                                       uint64_t handle)
{
    uint64_t v;
    if (!pt__map_get(&a->hold_by_handle, handle_key(proc, k), handle, &v))
        return NULL;
    return &a->holds[v];
}

/* A thread's calls will never complete: what waits on it keeps what it has. */
static void thread_settle(struct pt_analyzer *a, struct pt__thread *t)
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
    for (uint32_t j = 0; j < t->nchild; j++)
        free(t->child[j].path);
    t->nchild = 0;
}

static void proc_end(struct pt_analyzer *a, struct pt__proc *p, enum pt__end how, uint64_t ts)
{
    if (p->end != PT__ALIVE)
        return;
    p->end = how;
    p->end_ts = ts;
    while (p->holds_head != PT__NONE)
        hold_close(a, p->holds_head);
    /* Its threads are done: free them so memory follows the live processes. A straggling event
     * of the process (another thread's, written late) gets a fresh thread state. */
    for (uint32_t ti = p->thread_head, nx; ti != PT__NONE; ti = nx) {
        struct pt__thread *t = a->threads[ti];
        nx = t->next;
        thread_settle(a, t);
        pt__map_del(&a->by_tid, p->idx, t->tid);
        a->threads[ti] = NULL;
        free(t);
    }
    p->thread_head = PT__NONE;
}

/* ---- key paths ---- */

static const char *predefined_key(uint64_t h)
{
    switch (h) {
    case 0x80000000ull:
        return "HKEY_CLASSES_ROOT";
    case 0x80000001ull:
        return "HKEY_CURRENT_USER";
    case 0x80000002ull:
        return "HKEY_LOCAL_MACHINE";
    case 0x80000003ull:
        return "HKEY_USERS";
    default:
        return NULL;
    }
}

/* The path of key handle h in process p ("HKEY_CURRENT_USER\\Software\\..."), into buf. */
static const char *key_path(struct pt_analyzer *a, struct pt__proc *p, uint64_t h, char *buf,
                            size_t len)
{
    /* predefined keys are (HKEY)(ULONG_PTR)(LONG)0x8000000N: sign-extended on 64-bit */
    const char *pre = predefined_key(h & 0xffffffffull);
    if (pre && ((h >> 32) == 0 || (h >> 32) == 0xffffffffull))
        return pre;
    struct pt__hold *k = hold_by_handle(a, p->idx, PT__H_KEY, h);
    if (k && k->path)
        return k->path;
    snprintf(buf, len, "<hkey 0x%llx>", (unsigned long long)h);
    return buf;
}

static const char *last_component(const char *path)
{
    const char *s = strrchr(path, '\\');
    return s ? s + 1 : path;
}

static int is_marks_key(const char *name)
{
    return !strncasecmp(name, "Deleted Profiles", 16);
}

/* ---- identities of returned descriptors ---- */

static void ret_ident(const struct pt_event *ev, uint64_t *dev, uint64_t *ino)
{
    /* calls.h names the identity of a returned descriptor F(RET_FD, fd): fd_dev, fd_ino */
    static const char *const devn[] = {"fd_dev", "ret_dev", "dev"};
    static const char *const inon[] = {"fd_ino", "ret_ino", "ino"};
    static uint8_t cd[3][PT__NIDS], ci[3][PT__NIDS];
    *dev = *ino = 0;
    for (int i = 0; i < 3; i++) {
        const struct pt_value *d = pt__fld(ev, devn[i], cd[i]);
        const struct pt_value *n = pt__fld(ev, inon[i], ci[i]);
        if (d && n) {
            *dev = d->u;
            *ino = n->u;
            return;
        }
    }
}

/* ---- deletions ---- */

static void add_watch(struct pt_analyzer *a, uint32_t c)
{
    struct pt__proc *hp = a->procs[a->cands[c].h.proc];
    a->cands[c].wnext = hp->watch_head;
    hp->watch_head = c;
}

/* A successful delete of identity (dev, ino) by p/t in event ev. Holds of other processes on that
 * identity become candidates; every hold on it leaves the identity index (the inode is gone and
 * may be reused). */
static void on_delete(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                      const struct pt_event *ev, enum pt__del_kind kind, uint64_t dev, uint64_t ino,
                      const char *target)
{
    a->dels_seen++;
    uint64_t m;
    if (pt__map_get(&a->mark_by_id, dev, ino, &m) && !a->marks[m].removed_ts)
        a->marks[m].removed_ts = ev->ts;
    uint64_t head;
    if (!pt__map_get(&a->hold_by_id, dev, ino, &head)) {
        a->dels_unheld++;
        return;
    }
    uint32_t others = 0;
    for (uint32_t h = (uint32_t)head; h != PT__NONE; h = a->holds[h].inext)
        if (a->holds[h].proc != p->idx)
            others++;
    if (!others) {
        a->self_deletes++; /* only the deleter itself held it */
        while (pt__map_get(&a->hold_by_id, dev, ino, &head))
            id_unlink(a, (uint32_t)head);
        return;
    }
    if (GROW(a, a->dels, a->ndels, a->capdels))
        return;
    uint32_t di = a->ndels++;
    struct pt__del *d = &a->dels[di];
    memset(d, 0, sizeof *d);
    d->proc = p->idx;
    d->tid = ev->tid;
    d->ts = ev->ts;
    d->ts_enter = ev->ts_enter;
    d->depth = ev->depth;
    d->kind = kind;
    d->call = pt__ev_name(ev->id);
    d->target = xstrdup(a, target);
    d->dev = dev;
    d->ino = ino;
    d->who = who_now(p, t);
    d->via = d->call;
    d->via_ts_enter = ev->ts_enter;
    d->via_ts = ev->ts;
    d->nframes = ev->nframes > PT_MAX_FRAMES ? PT_MAX_FRAMES : ev->nframes;
    memcpy(d->frames, ev->frame, d->nframes * sizeof d->frames[0]);
    d->cand_first = a->ncands;
    for (uint32_t h = (uint32_t)head; h != PT__NONE; h = a->holds[h].inext) {
        struct pt__hold *x = &a->holds[h];
        if (x->proc == p->idx)
            continue;
        if (GROW(a, a->cands, a->ncands, a->capcands))
            break;
        struct pt__cand *c = &a->cands[a->ncands];
        memset(c, 0, sizeof *c);
        c->h = *x;
        c->h.name = x->name ? xstrdup(a, x->name) : NULL;
        c->h.path = x->path ? xstrdup(a, x->path) : NULL;
        c->del = di;
        add_watch(a, a->ncands);
        a->ncands++;
        d->ncand++;
    }
    while (pt__map_get(&a->hold_by_id, dev, ino, &head))
        id_unlink(a, (uint32_t)head);
    if (ev->depth > 0 && t) {
        d->pending = 1;
        if (t->npend_del == PT__MAXPEND) { /* ancestors never came: stop waiting for the oldest */
            a->dels[t->pend_del[0]].pending = 0;
            memmove(t->pend_del, t->pend_del + 1, (PT__MAXPEND - 1) * sizeof t->pend_del[0]);
            t->npend_del--;
        }
        t->pend_del[t->npend_del++] = di;
    }
}

/* ---- witnessed deletions (tracer/witness*.c: made by a process that may not be traced) ---- */

/* The deleter as the witness read it from /proc after the fact: a process of its own, outside the
 * stream/pid indexes (it wrote nothing; a traced process with the same pid keeps its record). */
static struct pt__proc *witnessed_proc(struct pt_analyzer *a, const struct pt_event *ev)
{
    uint32_t wpid = (uint32_t)PT__U(ev, "pid");
    uint64_t wst = PT__U(ev, "start_time");
    for (uint32_t i = a->nprocs; i-- > 0;) /* one rm -rf deletes many things: one process */
        if (a->procs[i]->witnessed && wpid && a->procs[i]->pid == wpid &&
            a->procs[i]->start_time == wst && a->procs[i]->have_identity)
            return a->procs[i];
    struct pt__proc *p = proc_alloc(a, wpid);
    if (!p)
        return NULL;
    const char *ident = PT__S(ev, "ident");
    p->ppid = (uint32_t)PT__U(ev, "ppid");
    p->start_time = wst;
    p->witnessed = 1;
    snprintf(p->ident, sizeof p->ident, "%s", *ident ? ident : "none");
    p->who.uid = (uint32_t)PT__U(ev, "uid");
    p->who.euid = (uint32_t)PT__U(ev, "euid");
    p->who.sessionid = (uint32_t)PT__U(ev, "sessionid");
    p->who.loginuid = (uint32_t)PT__U(ev, "loginuid");
    static const char *const names[PT__NNS] = {
#define NSN(n) "ns_" #n,
        PT_NAMESPACES(NSN)
#undef NSN
    };
    static uint8_t cache[PT__NNS][PT__NIDS];
    for (int i = 0; i < PT__NNS; i++) {
        const struct pt_value *v = pt__fld(ev, names[i], cache[i]);
        p->who.ns[i] = v ? v->u : 0;
    }
    const char *exe = PT__S(ev, "exe"), *cmd = PT__S(ev, "cmdline");
    p->exe = *exe ? xstrdup(a, exe) : NULL;
    p->cmdline = *cmd ? xstrdup(a, cmd) : NULL;
    p->have_identity = strcmp(p->ident, "live") == 0 || strcmp(p->ident, "exec") == 0;
    p->first_ts = p->last_ts = ev->ts;
    p->end = PT__EXITED; /* nothing more is known of it after the deletion */
    p->end_ts = ev->ts;
    return p;
}

/* A traced deletion of the same identity by the same pid a few ms before: the witness saw what
 * the trace already says. */
static int witnessed_twice(const struct pt_analyzer *a, uint32_t pid, uint64_t dev, uint64_t ino,
                           uint64_t ts)
{
    for (uint32_t i = a->ndels; i-- > 0;) {
        const struct pt__del *d = &a->dels[i];
        if (d->ts + 50000000ull < ts)
            break;
        if (!d->witnessed && d->dev == dev && d->ino == ino && a->procs[d->proc]->pid == pid)
            return 1;
    }
    return 0;
}

/* Is the witnessed deleter a traced process? Then its own trace records its deletions (stamped at
 * the call, with nesting and stack), and the witness, which stamps when it reads, only repeats
 * them — possibly before the traced call has even returned. */
static int witnessed_is_traced(const struct pt_analyzer *a, const struct pt_event *ev)
{
    uint32_t wpid = (uint32_t)PT__U(ev, "pid");
    uint64_t wst = PT__U(ev, "start_time");
    if (!wpid)
        return 0;
    for (uint32_t i = a->nprocs; i-- > 0;) {
        const struct pt__proc *q = a->procs[i];
        if (!q->witnessed && (q->global_pid == wpid || q->pid == wpid) &&
            (!wst || q->start_time == wst))
            return 1;
    }
    return 0;
}

/* A witnessed / witnessed_shm event: a deletion like a traced one, when it removed what a traced
 * process held. Nothing else of the witness's ring is a process of the trace. */
static void on_witnessed(struct pt_analyzer *a, const struct pt_event *ev)
{
    int shm = ev->id == PT_EV_witnessed_shm;
    uint64_t dev, ino;
    char target[64];
    const char *what;
    if (shm) {
        dev = SYSV_DEV(PT__U(ev, "ipc_ns"));
        ino = (uint64_t)(uint32_t)(int32_t)PT__U(ev, "shmid") + 1;
        snprintf(target, sizeof target, "shmid %d", (int32_t)PT__U(ev, "shmid"));
        what = target;
    } else {
        dev = PT__U(ev, "dev");
        ino = PT__U(ev, "ino");
        what = PT__S(ev, "path");
        if (!*what)
            what = PT__S(ev, "name");
        if (!dev && !ino)
            return;
    }
    uint32_t pid = (uint32_t)PT__U(ev, "pid");
    int attributed = shm ? PT__U(ev, "attributed") != 0 : 1;
    uint64_t head;
    if (!pt__map_get(&a->hold_by_id, dev, ino, &head) ||
        (attributed && (witnessed_twice(a, pid, dev, ino, ev->ts) || witnessed_is_traced(a, ev)))) {
        a->dels_seen++;
        a->dels_unheld++;
        return;
    }
    struct pt__proc *p = witnessed_proc(a, ev);
    if (!p)
        return;
    if (!attributed)
        snprintf(p->ident, sizeof p->ident, "none");
    uint32_t before = a->ndels;
    struct pt_event e = *ev;
    e.nframes = 0;
    e.depth = 0;
    e.ts_enter = ev->ts;
    on_delete(a, p, NULL, &e, shm ? PT__D_SYSV : PT__D_FILE, dev, ino, what);
    if (a->ndels > before) {
        struct pt__del *d = &a->dels[before];
        d->witnessed = 1;
        d->unattributed = !attributed;
        d->call = d->via = intern(a, shm ? "IPC_RMID" : *PT__S(ev, "how") ? PT__S(ev, "how")
                                                                           : "unlink");
        memset(&d->who, 0, sizeof d->who);
        d->who = p->who;
    }
}

/* A call at depth ev->depth arrived in thread t: it is an ancestor of every pending deletion and
 * view deeper than it. */
static void resolve_ancestors(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                              const struct pt_event *ev)
{
    int cat = pt__ev_category(ev->id);
    uint32_t keep = 0;
    for (uint32_t i = 0; i < t->npend_del; i++) {
        struct pt__del *d = &a->dels[t->pend_del[i]];
        if (d->depth <= ev->depth) {
            t->pend_del[keep++] = t->pend_del[i];
            continue;
        }
        if (!d->api) {
            char buf[64], args[512];
            d->api = pt__ev_name(ev->id);
            d->api_ts_enter = ev->ts_enter;
            args[0] = 0;
            if (ev->id == PT__ID(RegDeleteTreeA) || ev->id == PT__ID(RegDeleteKeyA))
                snprintf(args, sizeof args, "%s, \"%s\"",
                         key_path(a, p, PT__U(ev, "hKey"), buf, sizeof buf), PT__S(ev, "lpSubKey"));
            else if (ev->id == PT__ID(IProfAdmin_DeleteProfile))
                snprintf(args, sizeof args, "\"%s\"", PT__S(ev, "lpszProfileName"));
            else if (ev->id == PT__ID(UnmapViewOfFile) || ev->id == PT__ID(CloseHandle))
                snprintf(args, sizeof args, "0x%llx", (unsigned long long)ev->field[0].u);
            d->api_args = xstrdup(a, args);
        }
        d->via = pt__ev_name(ev->id);
        d->via_ts_enter = ev->ts_enter;
        d->via_ts = ev->ts;
        if (!d->nframes && ev->nframes) {
            d->nframes = ev->nframes > PT_MAX_FRAMES ? PT_MAX_FRAMES : ev->nframes;
            memcpy(d->frames, ev->frame, d->nframes * sizeof d->frames[0]);
        }
        if (ev->depth > 0)
            t->pend_del[keep++] = t->pend_del[i];
        else
            d->pending = 0;
    }
    t->npend_del = keep;

    keep = 0;
    for (uint32_t i = 0; i < t->npend_view; i++) {
        struct pt__view *v = &p->views[t->pend_view[i]];
        if (cat == PT_CAT_MAPI)
            v->in_mapi = 1;
        if (v->in_mapi == 1)
            continue;
        if (ev->depth == 0)
            v->in_mapi = 0;
        else
            t->pend_view[keep++] = t->pend_view[i];
    }
    t->npend_view = keep;
}

/* ---- victims ---- */

static int hr_failed(int64_t ret)
{
    return ((uint32_t)ret & 0x80000000u) != 0;
}

static void victim_set(struct pt__cand *c, const struct pt_event *ev, int detail)
{
    if (detail) {
        if (c->have_detail)
            return;
        c->have_detail = 1;
        c->detail_call = pt__ev_name(ev->id);
        c->detail_ret = ev->ret;
        c->detail_err = ev->err;
        if (!c->have_victim) { /* provisional: the low-level failure until the API one comes */
            c->victim_ts = ev->ts;
            c->victim_tid = ev->tid;
            c->victim_nframes = ev->nframes > PT_MAX_FRAMES ? PT_MAX_FRAMES : ev->nframes;
            memcpy(c->victim_frames, ev->frame, c->victim_nframes * sizeof c->victim_frames[0]);
        }
        return;
    }
    c->nfailures++;
    if (c->have_victim)
        return;
    c->have_victim = 1;
    c->victim_call = pt__ev_name(ev->id);
    c->victim_ret = ev->ret;
    c->victim_err = ev->err;
    c->victim_ts = ev->ts;
    c->victim_tid = ev->tid;
    if (ev->nframes) {
        c->victim_nframes = ev->nframes > PT_MAX_FRAMES ? PT_MAX_FRAMES : ev->nframes;
        memcpy(c->victim_frames, ev->frame, c->victim_nframes * sizeof c->victim_frames[0]);
    }
}

/* A call of a process that holds something deleted: is it the failure the deletion caused? */
static void check_victim(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev,
                         const struct pt__child *kids, uint32_t nkids)
{
    int cat = pt__ev_category(ev->id);
    if (cat == PT_CAT_REG && ev->ret == PT__ERROR_KEY_DELETED) {
        struct pt__hold *k = hold_by_handle(a, p->idx, PT__H_KEY, PT__U(ev, "hKey"));
        for (uint32_t c = p->watch_head; c != PT__NONE; c = a->cands[c].wnext) {
            struct pt__cand *x = &a->cands[c];
            const struct pt__del *d = &a->dels[x->del];
            if (ev->ts < d->ts || (k && (k->dev != d->dev || k->ino != d->ino) &&
                                   (x->h.kind != PT__H_KEY || x->h.handle != k->handle)))
                continue;
            if (!k && x->h.kind != PT__H_KEY && x->h.kind != PT__H_SESSION)
                continue;
            victim_set(x, ev, ev->depth > 0);
            if (ev->depth == 0)
                x->have_detail = 0;
        }
        return;
    }
    if (cat == PT_CAT_REG && ev->ret == 2 /* ERROR_FILE_NOT_FOUND: opening it by name */ &&
        (ev->id == PT__ID(RegOpenKeyExA) || ev->id == PT__ID(RegQueryValueExA))) {
        char buf[64], path[1024];
        const char *sub = ev->id == PT__ID(RegOpenKeyExA) ? PT__S(ev, "lpSubKey") : "";
        snprintf(path, sizeof path, "%s%s%s", key_path(a, p, PT__U(ev, "hKey"), buf, sizeof buf),
                 *sub ? "\\" : "", sub);
        for (uint32_t c = p->watch_head; c != PT__NONE; c = a->cands[c].wnext) {
            struct pt__cand *x = &a->cands[c];
            if (ev->ts < a->dels[x->del].ts || !x->h.path || strcasecmp(x->h.path, path))
                continue;
            victim_set(x, ev, ev->depth > 0);
        }
        return;
    }
    if (cat == PT_CAT_MAPI && hr_failed(ev->ret)) {
        uint64_t self = PT__U(ev, "This");
        const char *prof = ev->id == PT__ID(MAPILogonEx) ? PT__S(ev, "lpszProfileName") : NULL;
        int deleted_key = 0;
        for (uint32_t i = 0; i < nkids; i++)
            if (pt__ev_category(kids[i].id) == PT_CAT_REG && kids[i].ret == PT__ERROR_KEY_DELETED)
                deleted_key = 1;
        for (uint32_t c = p->watch_head; c != PT__NONE; c = a->cands[c].wnext) {
            struct pt__cand *x = &a->cands[c];
            if (ev->ts < a->dels[x->del].ts || x->h.kind != PT__H_SESSION)
                continue;
            if ((self && self == x->h.handle) ||
                (prof && x->h.name && !strcasecmp(prof, x->h.name)) ||
                (deleted_key && x->have_detail))
                victim_set(x, ev, 0);
        }
        return;
    }
    if (ev->ret == -1 &&
        (ev->id == PT__ID(shm_open) || ev->id == PT__ID(open) || ev->id == PT__ID(openat))) {
        const char *name = ev->id == PT__ID(shm_open) ? PT__S(ev, "name") : PT__S(ev, "pathname");
        for (uint32_t c = p->watch_head; c != PT__NONE; c = a->cands[c].wnext) {
            struct pt__cand *x = &a->cands[c];
            const struct pt__del *d = &a->dels[x->del];
            const char *tn = d->target ? d->target : "";
            size_t ln = strlen(name), lt = strlen(tn);
            if (ev->ts >= d->ts && ev->err == ENOENT && ln && lt >= ln &&
                !strcmp(tn + lt - ln, name))
                victim_set(x, ev, 0);
        }
        return;
    }
    if (ev->ret == -1 && (ev->id == PT__ID(shmat) || ev->id == PT__ID(shmctl))) {
        uint64_t id = (uint64_t)(uint32_t)PT__U(ev, "shmid") + 1;
        for (uint32_t c = p->watch_head; c != PT__NONE; c = a->cands[c].wnext) {
            struct pt__cand *x = &a->cands[c];
            const struct pt__del *d = &a->dels[x->del];
            if (ev->ts >= d->ts && d->kind == PT__D_SYSV && d->ino == id &&
                (ev->err == EIDRM || ev->err == EINVAL))
                victim_set(x, ev, 0);
        }
    }
}

/* ---- marks, views, stores ---- */

static void remember_marks_key(struct pt_analyzer *a, struct pt__proc *p, const char *name)
{
    for (uint32_t i = 0; i < p->nmarks_keys; i++)
        if (!strcasecmp(p->marks_keys[i], name))
            return;
    if (p->nmarks_keys < 4)
        p->marks_keys[p->nmarks_keys++] = xstrdup(a, name);
}

static void add_mark(struct pt_analyzer *a, struct pt__proc *p, const char *parent,
                     const char *profile, uint64_t dev, uint64_t ino, uint64_t ts)
{
    if (GROW(a, a->marks, a->nmarks, a->capmarks))
        return;
    struct pt__mark *m = &a->marks[a->nmarks];
    memset(m, 0, sizeof *m);
    m->profile = xstrdup(a, profile);
    m->marks_key = xstrdup(a, last_component(parent));
    size_t n = strlen(parent) + strlen(profile) + 2;
    m->path = malloc(n);
    if (m->path)
        snprintf(m->path, n, "%s\\%s", parent, profile);
    m->dev = dev;
    m->ino = ino;
    m->store_dev = p->store_dev;
    m->store_ino = p->store_ino;
    m->proc = p->idx;
    m->ts = ts;
    if (dev || ino)
        pt__map_put(&a->mark_by_id, dev, ino, a->nmarks);
    a->nmarks++;
}

static void add_view(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                     const struct pt_event *ev, const struct pt__child *kids, uint32_t nkids)
{
    if (GROW(a, p->views, p->nviews, p->capviews))
        return;
    struct pt__view *v = &p->views[p->nviews];
    memset(v, 0, sizeof *v);
    v->name = xstrdup(a, PT__S(ev, "lpName"));
    for (uint32_t i = nkids; i-- > 0;) {
        if (kids[i].id == PT__ID(shm_open) && kids[i].ret >= 0) {
            v->dev = kids[i].dev;
            v->ino = kids[i].ino;
            v->shm_name = xstrdup(a, kids[i].path ? kids[i].path : "");
            break;
        }
    }
    v->ts = ev->ts;
    v->who = who_now(p, t);
    v->in_mapi = ev->depth == 0 ? 0 : -1;
    if (v->in_mapi < 0 && t->npend_view < 8)
        t->pend_view[t->npend_view++] = p->nviews;
    else if (v->in_mapi < 0)
        v->in_mapi = 1;
    p->nviews++;
}

/* ---- per-call handling ---- */

static void on_reg_open(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                        const struct pt_event *ev, const struct pt__child *kids, uint32_t nkids,
                        struct pt__child *self)
{
    char buf[64];
    const char *parent = key_path(a, p, PT__U(ev, "hKey"), buf, sizeof buf);
    const char *sub = PT__S(ev, "lpSubKey");
    size_t n = strlen(parent) + strlen(sub) + 2;
    char *path = malloc(n);
    if (!path) {
        a->nomem++;
        return;
    }
    if (*sub)
        snprintf(path, n, "%s\\%s", parent, sub);
    else
        snprintf(path, n, "%s", parent);
    const char *last = last_component(path);
    /* the key it names and, for "Deleted Profiles\\P", its parent: which marks key it uses */
    char parent_of_last[512] = "";
    if (last > path) {
        size_t n = (size_t)(last - 1 - path);
        if (n >= sizeof parent_of_last)
            n = sizeof parent_of_last - 1;
        memcpy(parent_of_last, path, n);
        parent_of_last[n] = 0;
    }
    const char *plast = last_component(parent_of_last);
    if (is_marks_key(last))
        remember_marks_key(a, p, last);
    else if (is_marks_key(plast))
        remember_marks_key(a, p, plast);
    uint64_t out = PT__U(ev, "phkResult");
    if (ev->ret != 0 || !out) {
        free(path);
        return;
    }
    uint64_t dev = 0, ino = 0;
    for (uint32_t i = nkids; i-- > 0;) {
        if ((kids[i].id == PT__ID(openat) || kids[i].id == PT__ID(open)) && kids[i].ret >= 0 &&
            (kids[i].dev || kids[i].ino)) {
            dev = kids[i].dev;
            ino = kids[i].ino;
            break;
        }
    }
    if (!strcasecmp(last, "Profiles") && (dev || ino) &&
        (p->store_dev != dev || p->store_ino != ino)) {
        p->store_dev = dev;
        p->store_ino = ino;
        p->store_ts = ev->ts; /* since when it uses this store */
    }
    if (ev->id == PT__ID(RegCreateKeyExA) && *sub && is_marks_key(plast))
        add_mark(a, p, parent_of_last, last, dev, ino, ev->ts);
    self->dev = dev;
    self->ino = ino;
    self->handle = out;
    self->path = xstrdup(a, path);
    hold_open(a, p, t, ev, PT__H_KEY, out, dev, ino, NULL, path);
}

/* A MAPI session on profile `prof` (its key: dev/ino, path), for the rules and the latent-hazard
 * rule's list of sessions. The hold index, or PT__NONE. */
static uint32_t session_open(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                             const struct pt_event *ev, uint64_t session, uint64_t dev,
                             uint64_t ino, const char *prof, const char *path)
{
    uint32_t h = hold_open(a, p, t, ev, PT__H_SESSION, session, dev, ino, xstrdup(a, prof),
                           path ? xstrdup(a, path) : NULL);
    if (h == PT__NONE || GROW(a, a->sess, a->nsess, a->capsess))
        return h;
    a->sess[a->nsess] = (struct pt__sess){p->idx,
                                          xstrdup(a, prof),
                                          dev,
                                          ino,
                                          p->store_dev,
                                          p->store_ino,
                                          ev->ts,
                                          0,
                                          session,
                                          path ? xstrdup(a, path) : NULL};
    a->holds[h].len = a->nsess++;
    return h;
}

static void on_logon(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                     const struct pt_event *ev, const struct pt__child *kids, uint32_t nkids)
{
    uint64_t session = PT__U(ev, "lppSession");
    if (ev->ret != 0 || !session)
        return;
    const char *prof = PT__S(ev, "lpszProfileName");
    const struct pt__child *key = NULL;
    for (uint32_t i = 0; i < nkids; i++) {
        const struct pt__child *k = &kids[i];
        if ((k->id != PT__ID(RegOpenKeyExA) && k->id != PT__ID(RegCreateKeyExA)) || k->ret != 0 ||
            !k->path)
            continue;
        if (!strcasecmp(last_component(k->path), prof))
            key = k; /* the profile's own key: the last one opened wins */
    }
    if (!key)
        a->sessions_unidentified++;
    session_open(a, p, t, ev, session, key ? key->dev : 0, key ? key->ino : 0, prof,
                 key ? key->path : NULL);
}

/* A hold the process already had when proftrace attached to it (prior_hold, preload/attach.c):
 * no API call began it, so it is judged as the hold the call would have begun. The scan names a
 * key by its directory and an in-use object by its shared-memory path, not by the library's
 * names; a session's profile is the key it keeps open under `Profiles`. */
static void on_prior_hold(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev)
{
    static const char since[] = "held since before attach";
    const char *kind = PT__S(ev, "kind"), *path = PT__S(ev, "path");
    uint64_t dev = PT__U(ev, "dev"), ino = PT__U(ev, "ino"), handle = PT__U(ev, "handle");
    struct pt__thread *t = thread_for(a, p, ev->tid);
    uint32_t h = PT__NONE;
    if (!strcmp(kind, "key")) {
        h = hold_open(a, p, t, ev, PT__H_KEY, handle, dev, ino, NULL, xstrdup(a, path));
    } else if (!strcmp(kind, "session")) {
        h = session_open(a, p, t, ev, handle, dev, ino, PT__S(ev, "name"), path);
    } else if (!strcmp(kind, "map") || !strcmp(kind, "shm")) {
        h = hold_open(a, p, t, ev, PT__H_MAP, handle, dev, ino, NULL, NULL);
        if (h != PT__NONE)
            a->holds[h].len = PT__U(ev, "size");
        if (!strcmp(kind, "shm") && !GROW(a, p->views, p->nviews, p->capviews)) {
            struct pt__view *v = &p->views[p->nviews++]; /* an in-use object it maps */
            memset(v, 0, sizeof *v);
            v->name = xstrdup(a, path);
            v->shm_name = xstrdup(a, path);
            v->dev = dev;
            v->ino = ino;
            v->ts = ev->ts;
            v->who = who_now(p, t);
            v->in_mapi = 1;
            v->prior = 1;
        }
    } else if (!strcmp(kind, "sysv")) {
        h = hold_open(a, p, t, ev, PT__H_SYSV, handle, SYSV_DEV(p->who.ns[PT__NS_IPC]), ino + 1,
                      NULL, NULL);
    } /* "file": an open plain file is no hold in a trace from the start either */
    if (h != PT__NONE) {
        a->holds[h].api = since;
        a->holds[h].prior = 1;
    }
}

static void on_call(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                    const struct pt_event *ev)
{
    uint32_t first = t->nchild;
    while (first > 0 && t->child[first - 1].depth > ev->depth)
        first--;
    const struct pt__child *kids = &t->child[first];
    uint32_t nkids = t->nchild - first;
    struct pt__child self = {.id = ev->id,
                             .depth = ev->depth,
                             .ret = ev->ret,
                             .err = ev->err,
                             .ts = ev->ts,
                             .ts_enter = ev->ts_enter};

    if (t->npend_del || t->npend_view)
        resolve_ancestors(a, p, t, ev);

    switch (ev->id) {
    case PT__ID(open):
    case PT__ID(openat):
    case PT__ID(memfd_create):
        if (ev->ret >= 0)
            ret_ident(ev, &self.dev, &self.ino);
        break;
    case PT__ID(shm_open):
        if (ev->ret >= 0)
            ret_ident(ev, &self.dev, &self.ino);
        self.path = xstrdup(a, PT__S(ev, "name"));
        break;
    case PT__ID(RegOpenKeyExA):
    case PT__ID(RegCreateKeyExA):
        on_reg_open(a, p, t, ev, kids, nkids, &self);
        break;
    case PT__ID(RegCloseKey): {
        struct pt__hold *k = hold_by_handle(a, p->idx, PT__H_KEY, PT__U(ev, "hKey"));
        if (k && ev->ret == 0)
            hold_close(a, (uint32_t)(k - a->holds));
        /* A session found by an attach is known by the key it keeps open: that key closed, the
         * session is over (its Logoff/Release, on an object obtained before the attach, is not
         * seen). */
        struct pt__hold *s = hold_by_handle(a, p->idx, PT__H_SESSION, PT__U(ev, "hKey"));
        if (s && ev->ret == 0 && s->prior)
            hold_close(a, (uint32_t)(s - a->holds));
        break;
    }
    case PT__ID(CreateFileMappingA):
    case PT__ID(OpenFileMappingA):
        if (ev->ret != 0)
            add_view(a, p, t, ev, kids, nkids);
        break;
    case PT__ID(MAPILogonEx):
        on_logon(a, p, t, ev, kids, nkids);
        break;
    case PT__ID(IMAPISession_Logoff):
    case PT__ID(IMAPISession_Release): {
        struct pt__hold *s = hold_by_handle(a, p->idx, PT__H_SESSION, PT__U(ev, "This"));
        if (s && (ev->id == PT__ID(IMAPISession_Release) || !hr_failed(ev->ret)))
            hold_close(a, (uint32_t)(s - a->holds));
        break;
    }
    case PT__ID(mmap):
        if ((PT__U(ev, "flags") & MAP_SHARED_FLAG) && ev->ret != -1 &&
            (int32_t)PT__U(ev, "fd") >= 0 && (PT__U(ev, "fd_dev") || PT__U(ev, "fd_ino"))) {
            uint32_t h = hold_open(a, p, t, ev, PT__H_MAP, (uint64_t)ev->ret, PT__U(ev, "fd_dev"),
                                   PT__U(ev, "fd_ino"), NULL, NULL);
            if (h != PT__NONE)
                a->holds[h].len = PT__U(ev, "length");
        }
        break;
    case PT__ID(munmap): {
        uint64_t lo = PT__U(ev, "addr"), hi = lo + PT__U(ev, "length");
        if (ev->ret != 0)
            break;
        for (uint32_t h = p->holds_head, nx; h != PT__NONE; h = nx) {
            nx = a->holds[h].pnext;
            struct pt__hold *m = &a->holds[h];
            if (m->kind == PT__H_MAP && m->handle < hi && m->handle + (m->len ? m->len : 1) > lo)
                hold_close(a, h);
        }
        break;
    }
    case PT__ID(shmat):
        if (ev->ret != -1)
            hold_open(a, p, t, ev, PT__H_SYSV, (uint64_t)ev->ret, SYSV_DEV(p->who.ns[PT__NS_IPC]),
                      (uint64_t)(uint32_t)PT__U(ev, "shmid") + 1, NULL, NULL);
        break;
    case PT__ID(shmdt): {
        struct pt__hold *m = hold_by_handle(a, p->idx, PT__H_SYSV, PT__U(ev, "shmaddr"));
        if (m && ev->ret == 0)
            hold_close(a, (uint32_t)(m - a->holds));
        break;
    }
    case PT__ID(shmctl):
        if (ev->ret == 0 && (int32_t)PT__U(ev, "cmd") == IPC_RMID_CMD) {
            char buf[48];
            snprintf(buf, sizeof buf, "shmid %d", (int32_t)PT__U(ev, "shmid"));
            on_delete(a, p, t, ev, PT__D_SYSV, SYSV_DEV(p->who.ns[PT__NS_IPC]),
                      (uint64_t)(uint32_t)PT__U(ev, "shmid") + 1, buf);
        }
        break;
    case PT__ID(unlink):
    case PT__ID(unlinkat):
    case PT__ID(rmdir):
        if (ev->ret == 0 && (PT__U(ev, "pathname_dev") || PT__U(ev, "pathname_ino")))
            on_delete(a, p, t, ev, PT__D_FILE, PT__U(ev, "pathname_dev"), PT__U(ev, "pathname_ino"),
                      PT__S(ev, "pathname"));
        break;
    case PT__ID(shm_unlink):
        if (ev->ret == 0 && (PT__U(ev, "name_dev") || PT__U(ev, "name_ino")))
            on_delete(a, p, t, ev, PT__D_SHM, PT__U(ev, "name_dev"), PT__U(ev, "name_ino"),
                      PT__S(ev, "name"));
        break;
    case PT__ID(rename):
    case PT__ID(renameat):
    case PT__ID(renameat2):
        if (ev->ret == 0 && (PT__U(ev, "newpath_dev") || PT__U(ev, "newpath_ino")))
            on_delete(a, p, t, ev, PT__D_RENAME, PT__U(ev, "newpath_dev"), PT__U(ev, "newpath_ino"),
                      PT__S(ev, "newpath"));
        break;
    default:
        break;
    }

    if (p->watch_head != PT__NONE)
        check_victim(a, p, ev, kids, nkids);

    for (uint32_t i = first; i < t->nchild; i++)
        free(t->child[i].path);
    t->nchild = first;
    if (ev->depth > 0) {
        if (t->nchild == PT__MAXCHILD) { /* a parent that never came: forget the oldest */
            free(t->child[0].path);
            memmove(t->child, t->child + 1, (PT__MAXCHILD - 1) * sizeof t->child[0]);
            t->nchild--;
        }
        t->child[t->nchild++] = self;
    } else {
        free(self.path);
    }
}

/* ---- non-call events ---- */

static void read_who(const struct pt_event *ev, struct pt__who *w)
{
    w->uid = (uint32_t)PT__U(ev, "uid");
    w->euid = (uint32_t)PT__U(ev, "euid");
    w->gid = (uint32_t)PT__U(ev, "gid");
    w->egid = (uint32_t)PT__U(ev, "egid");
    w->sessionid = (uint32_t)PT__U(ev, "sessionid");
    w->loginuid = (uint32_t)PT__U(ev, "loginuid");
}

static void read_ns(const struct pt_event *ev, uint64_t *ns)
{
    static const char *const names[PT__NNS] = {
#define NSN(n) "ns_" #n,
        PT_NAMESPACES(NSN)
#undef NSN
    };
    static uint8_t cache[PT__NNS][PT__NIDS];
    for (int i = 0; i < PT__NNS; i++) {
        const struct pt_value *v = pt__fld(ev, names[i], cache[i]);
        ns[i] = v ? v->u : 0;
    }
}

static void on_process(struct pt_analyzer *a, const struct pt_event *ev)
{
    uint32_t gpid = (uint32_t)PT__U(ev, "global_pid");
    uint64_t st = PT__U(ev, "start_time");
    struct pt__proc *p = NULL;
    uint64_t v;
    if (pt__map_get(&a->by_stream, ev->stream, 0, &v)) {
        p = a->procs[v];
        if (p->have_identity && (p->global_pid != gpid || p->start_time != st))
            p = NULL; /* a new process in a reused stream */
    }
    /* Same pid: after exec (a new ring, so a new stream) it is the same process; with another
     * start time the pid was reused and the older process is gone. */
    if (pt__map_get(&a->by_pid, ev->pid, 0, &v)) {
        struct pt__proc *q = a->procs[v];
        if (q != p && q->have_identity && q->end == PT__ALIVE && q->global_pid == gpid) {
            if (q->start_time == st && !p)
                p = q;
            else if (q->start_time != st)
                proc_end(a, q, PT__REPLACED, q->last_ts);
        }
    }
    if (!p && !(p = proc_new(a, ev->pid, ev->stream)))
        return;
    pt__map_put(&a->by_stream, ev->stream, 0, p->idx);
    pt__map_put(&a->by_pid, ev->pid, 0, p->idx);
    p->pid = ev->pid;
    p->ppid = (uint32_t)PT__U(ev, "ppid");
    p->global_pid = gpid;
    p->start_time = st;
    read_who(ev, &p->who);
    read_ns(ev, p->who.ns);
    free(p->exe);
    free(p->cmdline);
    p->exe = xstrdup(a, PT__S(ev, "exe"));
    p->cmdline = xstrdup(a, PT__S(ev, "cmdline"));
    p->have_identity = 1;
    for (uint32_t ti = p->thread_head; ti != PT__NONE; ti = a->threads[ti]->next)
        a->threads[ti]->have_cred = 0; /* exec resets creds to the process's */
}

int pt_analyzer_feed(struct pt_analyzer *a, const struct pt_event *ev)
{
    uint64_t nomem = a->nomem;
    if (a->finished)
        return -EINVAL;
    a->nevents++;
    if (!a->ts_first || ev->ts < a->ts_first)
        a->ts_first = ev->ts;
    if (ev->ts > a->ts_last)
        a->ts_last = ev->ts;
    if (ev->id == PT_EV_witnessed || ev->id == PT_EV_witnessed_shm) {
        on_witnessed(a, ev);
        return a->nomem != nomem ? -ENOMEM : 0;
    }
    if (ev->id == PT_EV_process) {
        on_process(a, ev);
    }
    struct pt__proc *p = NULL;
    uint64_t v;
    if (ev->id == PT_EV_reaped && pt__map_get(&a->by_pid, ev->pid, 0, &v))
        p = a->procs[v]; /* the collector writes it in a stream of its own, after the fact */
    else
        p = proc_for(a, ev);
    if (!p)
        return -ENOMEM;
    if (!p->first_ts)
        p->first_ts = ev->ts;
    switch (ev->id) {
    case PT_EV_process:
    case PT_EV_thread:
        break;
    case PT_EV_prior_hold:
        on_prior_hold(a, p, ev);
        break;
    case PT_EV_module:
        if (!GROW(a, p->mods, p->nmods, p->capmods)) {
            struct pt__module *m = &p->mods[p->nmods++];
            m->base = PT__U(ev, "base");
            m->size = PT__U(ev, "size");
            m->bias = PT__U(ev, "bias");
            m->path = intern(a, PT__S(ev, "path"));
            m->build_id = intern(a, PT__S(ev, "build_id"));
        }
        break;
    case PT_EV_cred: {
        struct pt__thread *t = thread_for(a, p, ev->tid);
        struct pt__who w = p->who;
        w.uid = (uint32_t)PT__U(ev, "uid");
        w.euid = (uint32_t)PT__U(ev, "euid");
        w.gid = (uint32_t)PT__U(ev, "gid");
        w.egid = (uint32_t)PT__U(ev, "egid");
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
        read_ns(ev, p->who.ns);
        break;
    case PT_EV_exit:
        p->end_status = (int32_t)PT__U(ev, "status");
        proc_end(a, p, PT__EXITED, ev->ts);
        break;
    case PT_EV_signal:
        p->end_signo = (int32_t)PT__U(ev, "signo");
        proc_end(a, p, PT__SIGNALLED, ev->ts);
        break;
    case PT_EV_reaped:
        /* A ring left open by an image that exec'd is reaped too: when the process went on
         * writing after that ring's last event, this is not its end. */
        if (p->end == PT__ALIVE && PT__U(ev, "last_ts") && p->last_ts > PT__U(ev, "last_ts"))
            return 0;
        if (p->end == PT__ALIVE) {
            p->end_signo = (int32_t)PT__U(ev, "signo");
            p->reaped_last_ts = PT__U(ev, "last_ts");
            if (!p->reaped_last_ts || p->reaped_last_ts > p->last_ts)
                p->reaped_last_ts = p->last_ts;
            proc_end(a, p, PT__REAPED, ev->ts);
        }
        return 0; /* not an event of the process itself: last_ts stays its last sign of life */
    case PT_EV_lost: {
        uint64_t n = PT__U(ev, "count");
        if (!GROW(a, p->lost, p->nlost, p->caplost)) {
            p->lost[p->nlost++] = (struct pt__lost){p->last_ts, ev->ts, n};
        }
        p->lost_total += n;
        a->lost_total += n;
        break;
    }
    default:
        if (ev->id >= PT_EV_CALL_FIRST && ev->id < PT__NIDS) {
            struct pt__thread *t = thread_for(a, p, ev->tid);
            if (t)
                on_call(a, p, t, ev);
        }
        break;
    }
    p->nevents++;
    if (ev->ts > p->last_ts)
        p->last_ts = ev->ts;
    return a->nomem != nomem ? -ENOMEM : 0;
}

struct pt_analyzer *pt_analyzer_new(void)
{
    struct pt_analyzer *a = calloc(1, sizeof *a);
    if (a)
        a->free_hold = PT__NONE;
    return a;
}

void pt_analyzer_finish(struct pt_analyzer *a, const struct pt_analyzer_input *in)
{
    if (a->finished)
        return;
    a->finished = 1;
    if (in)
        a->in = *in;
    /* Deletions whose ancestors never came (the process died inside the call) keep what they have.
     */
    for (uint32_t i = 0; i < a->nthreads; i++)
        if (a->threads[i])
            thread_settle(a, a->threads[i]);
    pt__rule_purge(a);
    pt__rule_deleted_held(a);
    pt__rule_latent(a);
    if (a->nomem)
        pt__note(a, "out of memory %llu times: some events were not modelled",
                 (unsigned long long)a->nomem);
}

void pt_analyzer_free(struct pt_analyzer *a)
{
    if (!a)
        return;
    for (uint32_t i = 0; i < a->nprocs; i++) {
        struct pt__proc *p = a->procs[i];
        free(p->exe);
        free(p->cmdline);
        for (uint32_t j = 0; j < p->nviews; j++) {
            free(p->views[j].name);
            free(p->views[j].shm_name);
        }
        free(p->views);
        free(p->mods);
        free(p->lost);
        for (uint32_t j = 0; j < p->nmarks_keys; j++)
            free(p->marks_keys[j]);
        free(p);
    }
    free(a->procs);
    for (uint32_t i = 0; i < a->nthreads; i++) {
        if (!a->threads[i])
            continue;
        for (uint32_t j = 0; j < a->threads[i]->nchild; j++)
            free(a->threads[i]->child[j].path);
        free(a->threads[i]);
    }
    free(a->threads);
    for (uint32_t i = 0; i < a->nholds; i++)
        if (a->holds[i].live) {
            free(a->holds[i].name);
            free(a->holds[i].path);
        }
    free(a->holds);
    for (uint32_t i = 0; i < a->ndels; i++) {
        free(a->dels[i].target);
        free(a->dels[i].api_args);
    }
    free(a->dels);
    for (uint32_t i = 0; i < a->ncands; i++) {
        free(a->cands[i].h.name);
        free(a->cands[i].h.path);
    }
    free(a->cands);
    for (uint32_t i = 0; i < a->nmarks; i++) {
        free(a->marks[i].profile);
        free(a->marks[i].marks_key);
        free(a->marks[i].path);
    }
    free(a->marks);
    for (uint32_t i = 0; i < a->nsess; i++) {
        free(a->sess[i].profile);
        free(a->sess[i].path);
    }
    free(a->sess);
    for (uint32_t i = 0; i < a->nfindings; i++)
        free(a->findings[i].uncertain_why);
    free(a->findings);
    pt__map_free(&a->by_stream);
    pt__map_free(&a->by_pid);
    pt__map_free(&a->by_tid);
    pt__map_free(&a->hold_by_id);
    pt__map_free(&a->hold_by_handle);
    pt__map_free(&a->mark_by_id);
    for (size_t i = 0; i < a->interned.cap; i++)
        if (a->interned.slot[i].used)
            free((char *)(uintptr_t)a->interned.slot[i].v);
    pt__map_free(&a->interned);
    free(a);
}

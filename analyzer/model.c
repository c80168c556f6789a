/* model.c — the model's dispatch: each event to the part of the model that handles it; creating,
 * finishing and freeing the analyzer (design: model.h).
 *
 * A call event is handled by its role in the call table (pt__rows): an OPEN / CREATE leaves what
 * it opened for the call around it, a HOLD_BEGIN / HOLD_END starts or ends a hold, a DELETE may
 * make a deletion; then, if it failed, whether it is the victim of a deletion. What a
 * completed nested call leaves for its caller is kept on its thread (struct pt__child) until the
 * caller arrives. Other events go to the process part (model_procs.c), holds an attach found to
 * model_prior.c, or, for the collector's witness, to model_witness.c. Nothing here knows a call by
 * name. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/model.h"
#include "proftrace/open_holds.h"

static void on_call(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                    const struct pt_event *ev)
{
    const struct pt__row *r = pt__row_of(ev->id);
    uint32_t first = t->nchild;
    while (first > 0 && t->child[first - 1].depth > ev->depth)
        first--;
    const struct pt__child *kids = &t->child[first];
    uint32_t nkids = t->nchild - first;
    /* What it leaves for the call around it, besides what the event says (written into its
     * child entry field by field at the end, never copied whole) */
    struct pt__child self;
    self.dev = self.ino = self.handle = 0;
    self.path = NULL;

    if (t->npend_del)
        pt__name_deletions(a, p, t, ev);
    if (t->npend_view)
        pt__settle_views(p, t, ev);

    switch (r->role) {
    case PT_ROLE_OPEN:
    case PT_ROLE_CREATE:
        if (r->kind == PT_K_MAPPING) {
            pt__add_view(a, p, t, ev, r, kids, nkids);
        } else if (pt__ok(r, ev->ret)) { /* FILE, SHM: what it opened, for the call around it */
            self.dev = pt__ixu(ev, r->dev);
            self.ino = pt__ixu(ev, r->ino);
            if (r->kind == PT_K_SHM && ev->depth > 0) /* a call around it may want its name */
                self.path = pt__strdup(a, pt__ixs(ev, r->s));
            else if (r->role == PT_ROLE_OPEN && pt_open_holds(pt__ixu(ev, r->flags)))
                pt__on_file_open(a, p, t, ev, r); /* an open file that is a hold */
        }
        break;
    case PT_ROLE_CLOSE:
        if (r->kind == PT_K_FILE)
            pt__on_file_close(a, p, ev, r);
        break;
    case PT_ROLE_EXEC:
        if (pt__ok(r, ev->ret))
            pt__on_exec(a, p, ev->ts);
        break;
    case PT_ROLE_FORK:
        if (pt__ok(r, ev->ret))
            pt__on_fork(a, p, ev);
        break;
    case PT_ROLE_HOLD_BEGIN:
    case PT_ROLE_HOLD_CREATE:
        if (r->kind == PT_K_KEY)
            pt__on_key_open(a, p, t, ev, r, kids, nkids, &self);
        else if (r->kind == PT_K_SESSION)
            pt__on_logon(a, p, t, ev, r, kids, nkids);
        else
            pt__on_hold_begin(a, p, t, ev, r);
        break;
    case PT_ROLE_HOLD_END:
        pt__on_hold_end(a, p, ev, r);
        break;
    case PT_ROLE_DELETE:
        pt__on_delete_call(a, p, t, ev, r);
        break;
    default: /* NONE */
        break;
    }

    if (t->npend_victim || (a->ndels && !pt__ok(r, ev->ret)))
        pt__check_victim(a, p, t, ev);

    for (uint32_t i = first; i < t->nchild; i++)
        if (t->child[i].path) /* mostly none: no call of free */
            free(t->child[i].path);
    t->nchild = first;
    if (ev->depth > 0) {
        if (t->nchild == PT__MAXCHILD) { /* a parent that never came: forget the oldest */
            free(t->child[0].path);
            memmove(t->child, t->child + 1, (PT__MAXCHILD - 1) * sizeof t->child[0]);
            t->nchild--;
        }
        struct pt__child *c = &t->child[t->nchild++];
        c->id = ev->id;
        c->depth = ev->depth;
        c->ret = ev->ret;
        c->err = ev->err;
        c->ts = ev->ts;
        c->ts_enter = ev->ts_enter;
        c->dev = self.dev;
        c->ino = self.ino;
        c->handle = self.handle;
        c->path = self.path;
    } else if (self.path) {
        free(self.path);
    }
}

/* Events of one process may arrive out of their order (a late stream): its first and last events
 * are the extremes of what was fed, not the first and last fed. The first is known before the
 * event is handled (a deleter's birth is asked at its first call), the last after. */
static inline void born_by(struct pt__proc *p, const struct pt_event *ev)
{
    if (!p->first_ts || ev->ts < p->first_ts)
        p->first_ts = ev->ts;
}

/* Event ev was a sign of life of p; a process the collector reaped may learn of a later sign of
 * life from before its reaping. */
static inline void alive_at(struct pt__proc *p, const struct pt_event *ev)
{
    if (ev->ts > p->last_ts)
        p->last_ts = ev->ts;
    if (p->end == PT__REAPED && ev->ts > p->reaped_last_ts && ev->ts <= p->end_ts)
        p->reaped_last_ts = ev->ts;
}

/* An event that is not a call (pt_analyzer_feed's): the witness's, a process's own. */
static __attribute__((noinline)) int feed_other(struct pt_analyzer *a, const struct pt_event *ev,
                                                uint64_t nomem)
{
    if (ev->id == PT_EV_witnessed || ev->id == PT_EV_witnessed_shm) {
        pt__on_witnessed(a, ev);
        return a->nomem != nomem ? -ENOMEM : 0;
    }
    if (ev->id == PT_EV_process)
        pt__on_process(a, ev);
    struct pt__proc *p = NULL;
    uint64_t v;
    /* A buffer's new owner says nothing of a process: a stream that has nothing else (the
     * witness's ring, whose other events are witnessed ones) is no process of the trace, so it
     * is neither counted nor drawn as one. A process's own stream names it in its next event. */
    uint32_t known;
    if (ev->id == PT_EV_thread && !pt__stream_proc(a, ev->stream, &known))
        return 0;
    if (ev->id == PT_EV_reaped && pt__map_get(&a->by_pid, ev->pid, 0, &v)) {
        p = a->procs[v]; /* the collector writes it in a stream of its own, after the fact */
    } else if (a->cur_proc && ev->stream == a->cur_stream) {
        p = a->cur_proc;
    } else {
        if (!(p = pt__proc_for(a, ev)))
            return -ENOMEM;
        a->cur_stream = ev->stream;
        a->cur_proc = p;
        a->cur_thread = NULL;
    }
    born_by(p, ev);
    if (ev->id == PT_EV_prior_hold)
        pt__on_prior_hold(a, p, ev);
    else if (pt__on_proc_event(a, p, ev))
        return 0; /* not an event of the process itself: no sign of its life */
    p->nevents++;
    alive_at(p, ev);
    return a->nomem != nomem ? -ENOMEM : 0;
}

int pt_analyzer_feed(struct pt_analyzer *a, const struct pt_event *ev)
{
    uint64_t nomem = a->nomem;
    if (a->finished)
        return -EINVAL;
    a->nevents++;
    /* Behind an event fed before it: its stream was read late. A buffer's `thread` marker, which
     * nothing depends on, is not counted: an idle buffer's is read when its packet is (the
     * witness's buffer for dated deletions, taken at the start, is drained at its first one). */
    if (ev->ts < a->ts_last && ev->id != PT_EV_thread) {
        a->late++;
        if (a->ts_last - ev->ts > a->late_max)
            a->late_max = a->ts_last - ev->ts;
    }
    if (!a->ts_first || ev->ts < a->ts_first)
        a->ts_first = ev->ts;
    if (ev->ts > a->ts_last)
        a->ts_last = ev->ts;
    if (ev->id < PT_EV_CALL_FIRST || ev->id >= PT__NIDS)
        return feed_other(a, ev, nomem);
    /* A call, most events: the process and thread of the one before, mostly. */
    struct pt__proc *p = a->cur_proc;
    if (!p || ev->stream != a->cur_stream) {
        if (!(p = pt__proc_for(a, ev)))
            return -ENOMEM;
        a->cur_stream = ev->stream;
        a->cur_proc = p;
        a->cur_thread = NULL;
    }
    born_by(p, ev);
    struct pt__thread *t = a->cur_thread;
    if (!t || ev->tid != a->cur_tid) {
        t = pt__thread_for(a, p, ev->tid);
        a->cur_tid = ev->tid;
        a->cur_thread = t;
    }
    if (t)
        on_call(a, p, t, ev);
    p->nevents++;
    alive_at(p, ev);
    return a->nomem != nomem ? -ENOMEM : 0;
}

struct pt_analyzer *pt_analyzer_new(void)
{
    struct pt_analyzer *a = calloc(1, sizeof *a);
    if (a)
        a->free_hold = PT__NONE;
    return a;
}

void pt__keep_holds(struct pt_analyzer *a)
{
    a->keep_holds = 1;
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
            pt__thread_settle(a, a->threads[i]);
    pt__rules_run(a);
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
    free(a->untraced);
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
    free(a->kept);
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
    free(a->victims);
    free(a->bps);
    for (uint32_t i = 0; i < a->nforks; i++)
        free(a->forks[i].holds);
    free(a->forks);
    free(a->sysv_ended);
    free(a->sysv_rm);
    for (uint32_t i = 0; i < a->nfindings; i++) {
        free(a->findings[i].uncertain_why);
        free(a->findings[i].why);
        free(a->findings[i].holders);
        free(a->findings[i].victims);
    }
    free(a->findings);
    pt__map_free(&a->by_stream);
    pt__map_free(&a->by_pid);
    pt__map_free(&a->by_tid);
    pt__map_free(&a->hold_by_id);
    pt__map_free(&a->hold_by_handle);
    pt__map_free(&a->mark_by_id);
    pt__map_free(&a->victim_by);
    pt__map_free(&a->del_by_id);
    pt__map_free(&a->del_by_name);
    for (size_t i = 0; i < a->interned.cap; i++)
        if (a->interned.slot[i].used)
            free((char *)(uintptr_t)a->interned.slot[i].v);
    pt__map_free(&a->interned);
    free(a);
}

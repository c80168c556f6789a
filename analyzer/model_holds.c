/* model_holds.c — holds and deletions of the model (design: model.h).
 *
 * A hold is indexed three ways: by physical identity (every open hold on a (dev, ino), a chained
 * list: what a deletion looks up), by handle per process and kind (what ends it: a RegCloseKey's
 * hKey, a shmdt's address), and per process (closed all at once when the process ends). A closed
 * hold's slot is reused at once; only when an export asked (pt__keep_holds) does a record of it
 * stay, in begin order, with how it ended. A successful delete of an identity turns the open holds
 * of *other* processes on it into candidates of a deletion and takes every hold off that identity
 * (the inode is gone and may be reused); a delete nobody else held is only counted. A nested
 * delete waits on its thread for the calls around it, which name it (RegDeleteTreeA and its
 * arguments, the outermost MAPIInitialize) and may give it the stack it lacked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/model.h"

#define MAP_SHARED_FLAG 0x01
#define IPC_RMID_CMD 0

static uint32_t hold_new(struct pt_analyzer *a)
{
    uint32_t h;
    if (a->free_hold != PT__NONE && a->free_hold < a->nholds) {
        h = a->free_hold;
        a->free_hold = a->holds[h].pnext;
    } else {
        if (PT__GROW(a, a->holds, a->nholds, a->capholds))
            return PT__NONE;
        h = a->nholds++;
    }
    memset(&a->holds[h], 0, sizeof a->holds[h]);
    a->holds[h].inext = a->holds[h].iprev = a->holds[h].pnext = a->holds[h].pprev = PT__NONE;
    return h;
}

static uint64_t handle_key(uint32_t proc, enum pt_kind k)
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

void pt__hold_close(struct pt_analyzer *a, uint32_t h, uint64_t ts)
{
    struct pt__hold *x = &a->holds[h];
    if (!x->live)
        return;
    if (x->kind == PT_K_SESSION && x->len < a->nsess && !a->sess[x->len].end_ts)
        a->sess[x->len].end_ts = a->procs[x->proc]->end != PT__ALIVE ? a->procs[x->proc]->end_ts
                                                                     : a->procs[x->proc]->last_ts;
    if (x->kept && ts) {
        a->kept[x->kept - 1].t1 = ts;
        a->kept[x->kept - 1].by_call = 1;
    }
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

/* The record of a new hold, for an export; its index + 1, or 0 when out of memory. */
static uint32_t keep(struct pt_analyzer *a, const struct pt__proc *p, const struct pt_event *ev,
                     enum pt_kind kind, uint64_t handle)
{
    if (PT__GROW(a, a->kept, a->nkept, a->capkept))
        return 0;
    struct pt__kept_hold *k = &a->kept[a->nkept];
    memset(k, 0, sizeof *k);
    k->proc = p->idx;
    k->tid = ev->tid;
    k->kind = kind;
    k->depth = ev->depth;
    k->handle = handle;
    k->t0 = ev->ts_enter && ev->ts_enter <= ev->ts ? ev->ts_enter : ev->ts;
    k->name = "";
    return ++a->nkept;
}

uint32_t pt__hold_open(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                       const struct pt_event *ev, enum pt_kind kind, uint64_t handle, uint64_t dev,
                       uint64_t ino, char *name, char *path)
{
    uint32_t rec = a->keep_holds ? keep(a, p, ev, kind, handle) : 0;
    uint64_t old;
    if (handle && pt__map_get(&a->hold_by_handle, handle_key(p->idx, kind), handle, &old))
        /* the handle value was reused: the old one is gone */
        pt__hold_close(a, (uint32_t)old, rec ? a->kept[rec - 1].t0 : ev->ts);
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
    x->api = pt_event_name(ev->id);
    x->who = pt__who_now(p, t);
    x->kept = rec;
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

struct pt__hold *pt__hold_by_handle(struct pt_analyzer *a, uint32_t proc, enum pt_kind k,
                                    uint64_t handle)
{
    uint64_t v;
    if (!pt__map_get(&a->hold_by_handle, handle_key(proc, k), handle, &v))
        return NULL;
    return &a->holds[v];
}

void pt__on_hold_begin(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                       const struct pt_event *ev, const struct pt__row *r)
{
    uint64_t handle = pt__ixu(ev, r->h);
    if (!pt__ok(r, ev->ret) || !handle)
        return;
    uint32_t h = PT__NONE;
    switch (r->kind) {
    case PT_K_VIEW: /* identity: none of its own (the mapping inside it is a MAP hold) */
        h = pt__hold_open(a, p, t, ev, PT_K_VIEW, handle, 0, 0, NULL, NULL);
        if (h != PT__NONE && a->holds[h].kept)
            a->kept[a->holds[h].kept - 1].name = pt__view_name(p, pt__ixu(ev, r->n));
        break;
    case PT_K_MAP: /* a shared mapping of a descriptor */
        if (!(pt__ixu(ev, r->flags) & MAP_SHARED_FLAG) || (int32_t)pt__ixu(ev, r->n) < 0)
            return;
        h = pt__hold_open(a, p, t, ev, PT_K_MAP, handle, pt__ixu(ev, r->dev), pt__ixu(ev, r->ino),
                          NULL, NULL);
        if (h == PT__NONE)
            return;
        a->holds[h].len = pt__ixu(ev, r->len);
        if (a->holds[h].kept) {
            struct pt__kept_hold *k = &a->kept[a->holds[h].kept - 1];
            k->num = (int32_t)pt__ixu(ev, r->n);
            k->ino = pt__ixu(ev, r->ino);
            k->len = a->holds[h].len;
        }
        break;
    case PT_K_SYSV: { /* identity: the segment id in the attacher's IPC namespace */
        int32_t shmid = (int32_t)pt__ixu(ev, r->n);
        h = pt__hold_open(a, p, t, ev, PT_K_SYSV, handle, PT__SYSV_DEV(p->who.ns[PT_NS_ipc]),
                          (uint64_t)(uint32_t)shmid + 1, NULL, NULL);
        if (h != PT__NONE && a->holds[h].kept)
            a->kept[a->holds[h].kept - 1].num = shmid;
        break;
    }
    default:
        break;
    }
}

void pt__on_hold_end(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev,
                     const struct pt__row *r)
{
    if (!pt__ok(r, ev->ret))
        return;
    uint64_t handle = pt__ixu(ev, r->h);
    if (r->kind == PT_K_MAP) { /* any unmap that overlaps a mapping ends it */
        uint64_t lo = handle, hi = lo + pt__ixu(ev, r->len);
        for (uint32_t h = p->holds_head, nx; h != PT__NONE; h = nx) {
            nx = a->holds[h].pnext;
            const struct pt__hold *m = &a->holds[h];
            if (m->kind == PT_K_MAP && m->handle < hi && m->handle + (m->len ? m->len : 1) > lo)
                pt__hold_close(a, h, ev->ts);
        }
        return;
    }
    struct pt__hold *x = pt__hold_by_handle(a, p->idx, (enum pt_kind)r->kind, handle);
    if (x)
        pt__hold_close(a, (uint32_t)(x - a->holds), ev->ts);
    /* A session found by an attach is known by the key it keeps open (model_prior.c): that key
     * closed, the session is over (its Logoff or Release, on an object obtained before the
     * attach, is not seen). */
    struct pt__hold *s =
        r->kind == PT_K_KEY ? pt__hold_by_handle(a, p->idx, PT_K_SESSION, handle) : NULL;
    if (s && s->prior)
        pt__hold_close(a, (uint32_t)(s - a->holds), ev->ts);
}

/* ---- deletions ---- */

static void add_watch(struct pt_analyzer *a, uint32_t c)
{
    struct pt__proc *hp = a->procs[a->cands[c].h.proc];
    a->cands[c].wnext = hp->watch_head;
    hp->watch_head = c;
}

void pt__on_delete(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                   const struct pt_event *ev, enum pt_kind kind, uint64_t dev, uint64_t ino,
                   const char *target)
{
    a->dels_seen++;
    pt__mark_removed(a, dev, ino, ev->ts);
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
    if (PT__GROW(a, a->dels, a->ndels, a->capdels))
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
    d->call = pt_event_name(ev->id);
    d->target = pt__strdup(a, target);
    d->dev = dev;
    d->ino = ino;
    d->who = pt__who_now(p, t);
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
        if (PT__GROW(a, a->cands, a->ncands, a->capcands))
            break;
        struct pt__cand *c = &a->cands[a->ncands];
        memset(c, 0, sizeof *c);
        c->h = *x;
        c->h.name = x->name ? pt__strdup(a, x->name) : NULL;
        c->h.path = x->path ? pt__strdup(a, x->path) : NULL;
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

void pt__on_delete_call(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                        const struct pt_event *ev, const struct pt__row *r)
{
    if (!pt__ok(r, ev->ret))
        return;
    switch (r->kind) {
    case PT_K_FILE:
    case PT_K_SHM:
    case PT_K_RENAME: { /* the identity the path had before the call */
        uint64_t dev = pt__ixu(ev, r->dev), ino = pt__ixu(ev, r->ino);
        if (dev || ino)
            pt__on_delete(a, p, t, ev, (enum pt_kind)r->kind, dev, ino, pt__ixs(ev, r->s));
        break;
    }
    case PT_K_SYSV:
        if ((int32_t)pt__ixu(ev, r->flags) == IPC_RMID_CMD) {
            int32_t shmid = (int32_t)pt__ixu(ev, r->n);
            char buf[48];
            snprintf(buf, sizeof buf, "shmid %d", shmid);
            pt__on_delete(a, p, t, ev, PT_K_SYSV, PT__SYSV_DEV(p->who.ns[PT_NS_ipc]),
                          (uint64_t)(uint32_t)shmid + 1, buf);
        }
        break;
    default: /* KEY, PROFILE: what they remove is deleted by the calls nested in them */
        break;
    }
}

/* The arguments of a call that contains a deletion, for people: what a named delete names, the
 * handle a hold's end or a close gives up; "" for any other call. */
static void api_args(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev,
                     char *args, size_t len)
{
    const struct pt__row *r = pt__row_of(ev->id);
    char buf[64];
    args[0] = 0;
    if (r->role == PT_ROLE_DELETE && r->kind == PT_K_KEY)
        snprintf(args, len, "%s, \"%s\"", pt__key_path(a, p, pt__ixu(ev, r->hkey), buf, sizeof buf),
                 pt__ixs(ev, r->s));
    else if (r->role == PT_ROLE_DELETE && r->kind == PT_K_PROFILE)
        snprintf(args, len, "\"%s\"", pt__ixs(ev, r->s));
    else if (r->role == PT_ROLE_HOLD_END || r->role == PT_ROLE_CLOSE)
        snprintf(args, len, "0x%llx", (unsigned long long)pt__ixu(ev, r->h));
}

void pt__name_deletions(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                        const struct pt_event *ev)
{
    uint32_t keep = 0;
    for (uint32_t i = 0; i < t->npend_del; i++) {
        struct pt__del *d = &a->dels[t->pend_del[i]];
        if (d->depth <= ev->depth) {
            t->pend_del[keep++] = t->pend_del[i];
            continue;
        }
        if (!d->api) {
            char args[512];
            d->api = pt_event_name(ev->id);
            d->api_ts_enter = ev->ts_enter;
            api_args(a, p, ev, args, sizeof args);
            d->api_args = pt__strdup(a, args);
        }
        d->via = pt_event_name(ev->id);
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
}

/* model_holds.c — holds and deletions of the model (design: model.h).
 *
 * A hold is indexed three ways: by physical identity (every open hold on a (dev, ino), a chained
 * list: what a deletion looks up), by handle per process and kind (what ends it: a RegCloseKey's
 * hKey, a shmdt's address), and per process (closed all at once when the process ends). A closed
 * hold's slot is reused at once; only when an export asked (pt__keep_holds) does a record of it
 * stay, in begin order, with how it ended. A successful delete of an identity turns the open holds
 * of *other* processes on it into candidates of a deletion and takes every hold off that identity
 * (the inode is gone and may be reused); a delete nobody else held is only counted. An open file
 * (proftrace/open_holds.h) is a hold from its open to its close, dup2 over it, exec or exit; its
 * deletion by a process that shares it (inherited the descriptor, or runs the same program
 * instance) or a move of it takes nothing away. A nested delete waits on its thread for the calls
 * around it, which name it (RegDeleteTreeA and its arguments, the outermost MAPIInitialize) and
 * may give it the stack it lacked. A fork child's copies of its parent's mappings and attachments
 * (model_fork.c) are holds like its own; taken away by the parent or its program instance they
 * are its business. SysV attachments that ended lately, and traced removals of segments, are kept
 * a while for the witness's scans, which notice a removal up to their interval late. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/model.h"
#include "proftrace/open_holds.h"

#define MAP_SHARED_FLAG 0x01
#define IPC_RMID_CMD 0

/* A slot for a new hold (a closed one's, else a new one), its fields for the caller to set. */
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
        uint64_t *head = pt__map_find(&a->hold_by_id, x->dev, x->ino);
        if (head && *head == h) {
            if (x->inext == PT__NONE)
                pt__map_del_at(&a->hold_by_id, head);
            else
                *head = x->inext;
        }
    } else {
        a->holds[x->iprev].inext = x->inext;
    }
    if (x->inext != PT__NONE)
        a->holds[x->inext].iprev = x->iprev;
    x->inext = x->iprev = PT__NONE;
}

/* Is open hold h found by its identity (a deletion of it takes it off: the inode may be reused)? */
static int hold_indexed(struct pt_analyzer *a, uint32_t h)
{
    const struct pt__hold *x = &a->holds[h];
    uint64_t head;
    return (x->dev || x->ino) &&
           (x->iprev != PT__NONE ||
            (pt__map_get(&a->hold_by_id, x->dev, x->ino, &head) && head == h));
}

#define SYSV_ENDED_MAX 256
#define SYSV_RM_MAX 64

/* SysV attachment x (still found by its identity) ended at `end`: kept a while for the witness's
 * scans (pt__on_sysv_removed). */
static void sysv_ended(struct pt_analyzer *a, const struct pt__hold *x, uint64_t end)
{
    if (!a->sysv_ended) {
        a->sysv_ended = calloc(SYSV_ENDED_MAX, sizeof *a->sysv_ended);
        if (!a->sysv_ended) {
            a->nomem++;
            return;
        }
    }
    struct pt__ended_hold *e = &a->sysv_ended[a->sysv_ended_next];
    e->h = *x;
    e->h.name = e->h.path = NULL;
    e->h.kept = 0;
    e->end = end;
    a->sysv_ended_next = (a->sysv_ended_next + 1) % SYSV_ENDED_MAX;
    if (a->nsysv_ended < SYSV_ENDED_MAX)
        a->nsysv_ended++;
}

/* A traced process removed SysV segment (dev, ino) at ts: kept a while, so that the witness's scan
 * that notices it is known to repeat it (pt__on_sysv_removed). */
static void sysv_removed(struct pt_analyzer *a, uint64_t dev, uint64_t ino, uint64_t ts)
{
    if (!a->sysv_rm) {
        a->sysv_rm = calloc(SYSV_RM_MAX, sizeof *a->sysv_rm);
        if (!a->sysv_rm) {
            a->nomem++;
            return;
        }
    }
    a->sysv_rm[a->sysv_rm_next] = (struct pt__sysv_rm){dev, ino, ts};
    a->sysv_rm_next = (a->sysv_rm_next + 1) % SYSV_RM_MAX;
    if (a->nsysv_rm < SYSV_RM_MAX)
        a->nsysv_rm++;
}

/* End hold h at ts (0: its process ended). Its entry in hold_by_handle is `hslot` when the caller
 * found it (NULL: looked up here); with `reused` it stays, for the hold that takes the handle. */
static void hold_end(struct pt_analyzer *a, uint32_t h, uint64_t ts, uint64_t *hslot, int reused)
{
    struct pt__hold *x = &a->holds[h];
    if (!x->live)
        return;
    if (x->kind == PT_K_SYSV && !x->seen && hold_indexed(a, h))
        sysv_ended(a, x, ts ? ts : a->procs[x->proc]->end_ts);
    if (x->kind == PT_K_SESSION && x->len < a->nsess && !a->sess[x->len].end_ts)
        a->sess[x->len].end_ts = a->procs[x->proc]->end != PT__ALIVE ? a->procs[x->proc]->end_ts
                                                                     : a->procs[x->proc]->last_ts;
    if (x->kept && ts) {
        a->kept[x->kept - 1].t1 = ts;
        a->kept[x->kept - 1].by_call = 1;
    }
    if (x->dev || x->ino)
        id_unlink(a, h);
    if (!reused) {
        if (!hslot)
            hslot = pt__map_find(&a->hold_by_handle, handle_key(x->proc, x->kind), x->handle);
        if (hslot && *hslot == h)
            pt__map_del_at(&a->hold_by_handle, hslot);
    }
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

void pt__hold_close(struct pt_analyzer *a, uint32_t h, uint64_t ts)
{
    hold_end(a, h, ts, NULL, 0);
}

/* When and where a hold began: its call's event, or the fork that gave a child its parent's. */
struct began {
    uint64_t ts; /* the event's time (a call's exit) */
    uint64_t t0; /* the entry of the call that began it */
    uint32_t tid;
    uint8_t depth;
};

static struct began began_of(const struct pt_event *ev)
{
    return (struct began){ev->ts, ev->ts_enter && ev->ts_enter <= ev->ts ? ev->ts_enter : ev->ts,
                          ev->tid, ev->depth};
}

/* The record of a new hold, for an export; its index + 1, or 0 when out of memory. */
static uint32_t keep(struct pt_analyzer *a, const struct pt__proc *p, const struct began *b,
                     enum pt_kind kind, uint64_t handle)
{
    if (PT__GROW(a, a->kept, a->nkept, a->capkept))
        return 0;
    struct pt__kept_hold *k = &a->kept[a->nkept];
    memset(k, 0, sizeof *k);
    k->proc = p->idx;
    k->tid = b->tid;
    k->kind = kind;
    k->depth = b->depth;
    k->handle = handle;
    k->t0 = b->t0;
    k->name = "";
    return ++a->nkept;
}

/* A hold that reached the model after what ended it (its stream was read late): it began and
 * ended before the model's present. Its record, for an export, ends at `end` (0: with its
 * process). */
static uint32_t hold_over(struct pt_analyzer *a, const struct pt__proc *p, const struct began *b,
                          enum pt_kind kind, uint64_t handle, uint64_t end, char *name, char *path)
{
    uint32_t rec = a->keep_holds ? keep(a, p, b, kind, handle) : 0;
    if (rec && end) {
        a->kept[rec - 1].t1 = end;
        a->kept[rec - 1].by_call = 1;
    }
    free(name);
    free(path);
    return PT__NONE;
}

/* A new hold of p begun as b says, by call `api`, with identity `who` (as pt__hold_open). */
static uint32_t hold_begin(struct pt_analyzer *a, struct pt__proc *p, const struct pt__who *who,
                           const struct began *b, enum pt_kind kind, uint64_t handle, uint64_t dev,
                           uint64_t ino, char *name, char *path, const char *api)
{
    /* Begun before its process ended, or before an exec replaced its image: over already (what
     * ended it came first, from the stream of a newer image or the collector's). */
    if (p->end != PT__ALIVE)
        return hold_over(a, p, b, kind, handle, 0, name, path);
    if (b->ts < p->exec_ts)
        return hold_over(a, p, b, kind, handle, p->exec_ts, name, path);
    /* Its entry by handle, found or made by one look-up. */
    int added = 1;
    uint64_t *hslot =
        handle ? pt__map_add(&a->hold_by_handle, handle_key(p->idx, kind), handle, PT__NONE, &added)
               : NULL;
    /* The handle value is another hold's: one begun later took it after this one ended (this one
     * was read late); else the older one is gone. */
    if (!added && a->holds[*hslot].ts > b->ts)
        return hold_over(a, p, b, kind, handle, a->holds[*hslot].ts, name, path);
    uint32_t rec = a->keep_holds ? keep(a, p, b, kind, handle) : 0;
    if (!added)
        hold_end(a, (uint32_t)*hslot, rec ? a->kept[rec - 1].t0 : b->ts, hslot, 1);
    uint32_t h = hold_new(a);
    if (h == PT__NONE) {
        if (hslot)
            pt__map_del_at(&a->hold_by_handle, hslot);
        free(name);
        free(path);
        return PT__NONE;
    }
    if (hslot)
        *hslot = h;
    /* every field set here: no memset of the whole record for each hold */
    struct pt__hold *x = &a->holds[h];
    x->kind = kind;
    x->proc = p->idx;
    x->tid = b->tid;
    x->handle = handle;
    x->len = 0;
    x->dev = dev;
    x->ino = ino;
    x->ts = b->ts;
    x->name = name;
    x->path = path;
    x->api = api;
    x->who = *who;
    x->inext = x->iprev = x->pnext = x->pprev = PT__NONE;
    x->kept = rec;
    x->live = 1;
    x->prior = 0;
    x->seen = 0;
    x->from_pid = 0;
    x->oflags = 0;
    if (dev || ino) {
        int added;
        uint64_t *head = pt__map_add(&a->hold_by_id, dev, ino, h, &added);
        if (head && !added) { /* first of those on the same identity */
            x->inext = (uint32_t)*head;
            a->holds[*head].iprev = h;
            *head = h;
        }
    }
    x->pnext = p->holds_head;
    if (p->holds_head != PT__NONE)
        a->holds[p->holds_head].pprev = h;
    p->holds_head = h;
    return h;
}

uint32_t pt__hold_open(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                       const struct pt_event *ev, enum pt_kind kind, uint64_t handle, uint64_t dev,
                       uint64_t ino, char *name, char *path)
{
    struct pt__who who = pt__who_now(p, t);
    struct began b = began_of(ev);
    return hold_begin(a, p, &who, &b, kind, handle, dev, ino, name, path, pt_event_name(ev->id));
}

uint32_t pt__holds_to_inherit(struct pt_analyzer *a, const struct pt__proc *p, uint64_t until,
                              struct pt__inherit **out)
{
    uint32_t n = 0, cap = 0;
    *out = NULL;
    for (uint32_t h = p->holds_head; h != PT__NONE; h = a->holds[h].pnext) {
        const struct pt__hold *x = &a->holds[h];
        if ((x->kind != PT_K_MAP && x->kind != PT_K_SYSV) || x->ts > until)
            continue;
        if (PT__GROW(a, *out, n, cap)) {
            free(*out);
            *out = NULL;
            return 0;
        }
        (*out)[n++] = (struct pt__inherit){x->kind,   (uint8_t)hold_indexed(a, h),
                                           x->handle, x->len,
                                           x->dev,    x->ino,
                                           x->api,    x->kept ? a->kept[x->kept - 1].num : -1};
    }
    return n;
}

uint32_t pt__hold_inherit(struct pt_analyzer *a, struct pt__proc *c, const struct pt__inherit *x,
                          uint64_t ts, uint32_t from_pid)
{
    struct began b = {ts, ts, c->pid, 0};
    uint64_t head;
    int indexed = x->indexed && pt__map_get(&a->hold_by_id, x->dev, x->ino, &head);
    uint32_t k =
        hold_begin(a, c, &c->who, &b, x->kind, x->handle, x->dev, x->ino, NULL, NULL, x->api);
    if (k == PT__NONE)
        return PT__NONE;
    struct pt__hold *y = &a->holds[k];
    y->len = x->len;
    y->from_pid = from_pid;
    if (!indexed && (y->dev || y->ino)) /* deleted already: the inode may be another's now */
        id_unlink(a, k);
    if (y->kept) {
        struct pt__kept_hold *r = &a->kept[y->kept - 1];
        r->num = x->num;
        r->ino = x->kind == PT_K_MAP ? x->ino : 0;
        r->len = x->len;
    }
    return k;
}

uint32_t pt__hold_seen(struct pt_analyzer *a, struct pt__proc *p, uint64_t ts, uint64_t dev,
                       uint64_t ino)
{
    struct began b = {ts, ts, p->pid, 0};
    uint32_t h = hold_begin(a, p, &p->who, &b, PT_K_SYSV, 0, dev, ino, NULL, NULL,
                            pt_event_name(PT_EV_witnessed_shm));
    if (h != PT__NONE)
        a->holds[h].seen = 1;
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
    /* A hold begun after this call was entered is not the one it ends: another thread's, given
     * the value at once, or a newer image's with the same value (this call's stream read late). */
    uint64_t since = ev->ts_enter && ev->ts_enter <= ev->ts ? ev->ts_enter : ev->ts;
    if (r->kind == PT_K_MAP) { /* any unmap that overlaps a mapping ends it */
        uint64_t lo = handle, hi = lo + pt__ixu(ev, r->len);
        for (uint32_t h = p->holds_head, nx; h != PT__NONE; h = nx) {
            nx = a->holds[h].pnext;
            const struct pt__hold *m = &a->holds[h];
            if (m->kind == PT_K_MAP && m->handle < hi && m->handle + (m->len ? m->len : 1) > lo &&
                m->ts <= since)
                pt__hold_close(a, h, ev->ts);
        }
        return;
    }
    uint64_t *hslot =
        pt__map_find(&a->hold_by_handle, handle_key(p->idx, (enum pt_kind)r->kind), handle);
    if (hslot && a->holds[*hslot].ts <= since)
        hold_end(a, (uint32_t)*hslot, ev->ts, hslot, 0);
    /* A session found by an attach is known by the key it keeps open (model_prior.c): that key
     * closed, the session is over (its Logoff or Release, on an object obtained before the
     * attach, is not seen). */
    struct pt__hold *s =
        r->kind == PT_K_KEY ? pt__hold_by_handle(a, p->idx, PT_K_SESSION, handle) : NULL;
    if (s && s->prior && s->ts <= since)
        pt__hold_close(a, (uint32_t)(s - a->holds), ev->ts);
}

/* ---- open files ---- */

/* Open-file holds are keyed by descriptor + 1 (0 is a descriptor, and no handle). */
static uint64_t fd_handle(uint64_t fd)
{
    return (uint64_t)(uint32_t)fd + 1;
}

void pt__on_file_open(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                      const struct pt_event *ev, const struct pt__row *r)
{
    uint64_t flags = pt__ixu(ev, r->flags);
    if (!pt__ok(r, ev->ret) || !pt_open_holds(flags))
        return;
    uint32_t h =
        pt__hold_open(a, p, t, ev, PT_K_FILE, fd_handle((uint64_t)ev->ret), pt__ixu(ev, r->dev),
                      pt__ixu(ev, r->ino), NULL, pt__strdup(a, pt__ixs(ev, r->s)));
    if (h == PT__NONE)
        return;
    a->holds[h].oflags = (uint32_t)flags;
    if (a->holds[h].kept) {
        struct pt__kept_hold *k = &a->kept[a->holds[h].kept - 1];
        k->num = ev->ret;
        k->ino = pt__ixu(ev, r->ino);
        k->name = a->holds[h].path ? pt__intern(a, a->holds[h].path) : "";
    }
}

void pt__on_file_close(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev,
                       const struct pt__row *r)
{
    if (!pt__ok(r, ev->ret))
        return;
    struct pt__hold *x = pt__hold_by_handle(a, p->idx, PT_K_FILE, fd_handle(pt__ixu(ev, r->h)));
    /* A hold that began after this close was called is another thread's open that got the number
     * back at once (the events are ordered by their end). */
    if (x && (!ev->ts_enter || x->ts <= ev->ts_enter))
        pt__hold_close(a, (uint32_t)(x - a->holds), ev->ts);
}

void pt__holds_end_before(struct pt_analyzer *a, struct pt__proc *p, uint64_t until, uint64_t ts)
{
    for (uint32_t h = p->holds_head, nx; h != PT__NONE; h = nx) {
        nx = a->holds[h].pnext;
        if (a->holds[h].ts < until)
            pt__hold_close(a, h, ts);
    }
}

/* The image the exec ends began before it, and ended when the next one began: when that one's
 * `process` event came first (the stream of the image before it was read late), every hold begun
 * before it is of the images it replaced; else what the model has is what began before the exec. */
void pt__on_exec(struct pt_analyzer *a, struct pt__proc *p, uint64_t ts)
{
    pt__holds_end_before(a, p, p->image_ts > ts ? p->image_ts : ts + 1, ts);
    if (ts > p->exec_ts)
        p->exec_ts = ts;
}

/* ---- deletions ---- */

static void add_watch(struct pt_analyzer *a, uint32_t c)
{
    struct pt__proc *hp = a->procs[a->cands[c].h.proc];
    a->cands[c].wnext = hp->watch_head;
    hp->watch_head = c;
}

/* The parent of process c, as far as the trace knows it: the live process with c's parent pid in
 * c's pid namespace that existed before it; NULL when unknown. */
static struct pt__proc *parent_of(struct pt_analyzer *a, const struct pt__proc *c, uint64_t born)
{
    uint64_t v;
    if (!c->ppid || c->ppid == c->pid || !pt__map_get(&a->by_pid, c->ppid, 0, &v))
        return NULL;
    struct pt__proc *q = a->procs[v];
    if (q == c || q->witnessed || q->who.ns[PT_NS_pid] != c->who.ns[PT_NS_pid] ||
        (q->first_ts && q->first_ts > born))
        return NULL;
    return q;
}

/* When process p began: its first event, or for a deleter the witness saw (whose first event is
 * its deletion) its start time, in the trace's clock within a tick. */
static uint64_t born_at(const struct pt__proc *p)
{
    if (p->witnessed && p->start_time)
        return p->start_time * 10000000ull; /* USER_HZ 100: clock ticks to ns */
    return p->first_ts;
}

/* Did p inherit the descriptor of open-file hold x: is it a descendant of x's holder through a
 * process forked after the hold began? Then the file is theirs together (the create-open-unlink
 * temporary file of a program and its children, a shell's redirection and the commands it runs),
 * and its deletion by p is the holder's own doing. */
static int inherited(struct pt_analyzer *a, const struct pt__proc *p, const struct pt__hold *x)
{
    const struct pt__proc *c = p;
    for (int depth = 0; depth < 32; depth++) {
        uint64_t born = born_at(c);
        const struct pt__proc *q = parent_of(a, c, born);
        if (!q)
            return 0;
        if (q->idx == x->proc)
            return born >= x->ts;
        c = q;
    }
    return 0;
}

/* Are p and q processes of one program instance: the same executable, and forked from one
 * another or from a common ancestor running it, with no exec on the way (a service's master and
 * its workers)? Its own files are its business: PostgreSQL's checkpointer removes a dropped
 * table's file while an idle backend still has it open, and its own invalidation protocol makes
 * that safe. */
static int same_program(struct pt_analyzer *a, const struct pt__proc *p, const struct pt__proc *q)
{
    const struct pt__proc *up[32];
    unsigned n = 0;
    if (!p->exe || !q->exe || strcmp(p->exe, q->exe))
        return 0;
    for (const struct pt__proc *c = p; c && n < 32 && c->exe && !strcmp(c->exe, p->exe);
         c = parent_of(a, c, born_at(c)))
        up[n++] = c;
    for (const struct pt__proc *c = q; c && c->exe && !strcmp(c->exe, p->exe);
         c = parent_of(a, c, born_at(c)))
        for (unsigned i = 0; i < n; i++)
            if (up[i] == c)
                return 1;
    return 0;
}

/* Does p share what hold x holds with x's holder: did it inherit it (open files), or is it of the
 * same program instance? */
static int shares(struct pt_analyzer *a, const struct pt__proc *p, const struct pt__hold *x)
{
    return inherited(a, p, x) || same_program(a, p, a->procs[x->proc]);
}

/* Does deleting an identity by p in a call entered at `since` take hold x away from another
 * process? Not its own, not one begun after the call was entered (an inode number freed by the
 * deletion and given at once to a new file: events are ordered by their end), not an open file p
 * shares with its holder or that is its own program's, not an open file that was only moved (its
 * name changed: it still exists, and what its holder writes is kept), and not a mapping or an
 * attachment the holder inherited at fork from p or its program instance (PostgreSQL's postmaster
 * removes its own segments at shutdown while the children it forked still map them). */
static int takes_away(struct pt_analyzer *a, const struct pt__proc *p, const struct pt__hold *x,
                      uint64_t since, int moved)
{
    if (x->proc == p->idx || (since && x->ts > since))
        return 0;
    if (x->kind == PT_K_FILE)
        return !moved && !shares(a, p, x);
    return !x->from_pid || !shares(a, p, x);
}

/* The identity (dev, ino) is gone: its holds with it (the inode may be reused), but for a hold
 * begun after the deleting call was entered at `since` (of the new file that got the number) and,
 * after a move, open files (they are where they were). */
static void holds_gone(struct pt_analyzer *a, uint64_t dev, uint64_t ino, uint64_t since, int moved)
{
    uint64_t head;
    if (!pt__map_get(&a->hold_by_id, dev, ino, &head))
        return;
    for (uint32_t h = (uint32_t)head, nx; h != PT__NONE; h = nx) {
        nx = a->holds[h].inext;
        if (!(moved && a->holds[h].kind == PT_K_FILE) && !(since && a->holds[h].ts > since))
            id_unlink(a, h);
    }
}

/* A successful delete of (dev, ino) (pt__on_delete's contract), and of `extra`: holds that ended
 * after the earliest the deletion can have happened, which are candidates like open ones, with
 * their end. Open holds leave the identity unless begun after `gone_since`. */
static void delete_of(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                      const struct pt_event *ev, enum pt_kind kind, uint64_t dev, uint64_t ino,
                      const char *target, int moved, const struct pt__ended_hold *const *extra,
                      uint32_t nextra, uint64_t gone_since)
{
    a->dels_seen++;
    pt__mark_removed(a, dev, ino, ev->ts);
    uint64_t head;
    int held = pt__map_get(&a->hold_by_id, dev, ino, &head);
    uint32_t first = held ? (uint32_t)head : PT__NONE;
    if (!held && !nextra) {
        a->dels_unheld++;
        pt__victims_unheld(a, kind, dev, ino, target);
        return;
    }
    uint32_t others = 0;
    for (uint32_t h = first; h != PT__NONE; h = a->holds[h].inext)
        others += (uint32_t)takes_away(a, p, &a->holds[h], ev->ts_enter, moved);
    for (uint32_t i = 0; i < nextra; i++)
        others += (uint32_t)takes_away(a, p, &extra[i]->h, ev->ts_enter, moved);
    if (!others) {
        if (held) /* only the deleter itself held it (or shared it, or it only moved) */
            a->self_deletes++;
        else
            a->dels_unheld++;
        holds_gone(a, dev, ino, gone_since, moved);
        pt__victims_unheld(a, kind, dev, ino, target);
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
    d->victim_head = d->victim_tail = d->fnext = PT__NONE;
    d->cand_first = a->ncands;
    /* the open holds on the identity, then the ended ones */
    for (uint32_t h = first, i = 0; h != PT__NONE || i < nextra;) {
        const struct pt__hold *x;
        uint64_t ended = 0;
        if (h != PT__NONE) {
            x = &a->holds[h];
            h = x->inext;
        } else {
            x = &extra[i]->h;
            ended = extra[i++]->end;
        }
        if (!takes_away(a, p, x, ev->ts_enter, moved))
            continue;
        if (PT__GROW(a, a->cands, a->ncands, a->capcands))
            break;
        struct pt__cand *c = &a->cands[a->ncands];
        memset(c, 0, sizeof *c);
        c->h = *x;
        c->h.name = x->name ? pt__strdup(a, x->name) : NULL;
        c->h.path = x->path ? pt__strdup(a, x->path) : NULL;
        c->del = di;
        c->ended = ended;
        add_watch(a, a->ncands);
        a->ncands++;
        d->ncand++;
    }
    holds_gone(a, dev, ino, gone_since, moved);
    pt__victims_index(a, di);
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

void pt__on_delete(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                   const struct pt_event *ev, enum pt_kind kind, uint64_t dev, uint64_t ino,
                   const char *target, int moved)
{
    delete_of(a, p, t, ev, kind, dev, ino, target, moved, NULL, 0, ev->ts_enter);
}

int pt__sysv_held_since(const struct pt_analyzer *a, uint64_t dev, uint64_t ino, uint64_t since)
{
    uint64_t head;
    if (pt__map_get(&a->hold_by_id, dev, ino, &head))
        return 1;
    for (uint32_t i = 0; i < a->nsysv_ended; i++)
        if (a->sysv_ended[i].h.dev == dev && a->sysv_ended[i].h.ino == ino &&
            a->sysv_ended[i].end > since)
            return 1;
    return 0;
}

void pt__on_sysv_removed(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev,
                         uint64_t dev, uint64_t ino, const char *target, uint64_t from)
{
    /* the scan saw a traced process's removal, which that process's trace has already */
    for (uint32_t i = 0; i < a->nsysv_rm; i++)
        if (a->sysv_rm[i].dev == dev && a->sysv_rm[i].ino == ino && a->sysv_rm[i].ts > from &&
            a->sysv_rm[i].ts <= ev->ts) {
            a->dels_seen++;
            a->dels_unheld++;
            return;
        }
    /* Dated the earliest it can have happened: the holds live then are its holders. A segment no
     * scan saw intact was made after the scan before: the earliest known is when it was noticed,
     * its holders those found attached then (a hold begun since that scan was not live at it). */
    struct pt_event e = *ev;
    e.ts = e.ts_enter = from && from + 1 < ev->ts ? from + 1 : ev->ts;
    const struct pt__ended_hold *extra[SYSV_ENDED_MAX];
    uint32_t n = 0;
    for (uint32_t i = 0; i < a->nsysv_ended; i++) {
        const struct pt__ended_hold *x = &a->sysv_ended[i];
        if (x->h.dev == dev && x->h.ino == ino && x->end > e.ts && x->end <= ev->ts &&
            x->h.ts <= e.ts)
            extra[n++] = x;
    }
    delete_of(a, p, NULL, &e, PT_K_SYSV, dev, ino, target, 0, extra, n, ev->ts);
    if (a->ndels && a->dels[a->ndels - 1].ts == e.ts && a->dels[a->ndels - 1].dev == dev &&
        a->dels[a->ndels - 1].ino == ino && a->dels[a->ndels - 1].proc == p->idx)
        a->dels[a->ndels - 1].noticed = ev->ts;
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
            pt__on_delete(a, p, t, ev, (enum pt_kind)r->kind, dev, ino, pt__ixs(ev, r->s), 0);
        break;
    }
    case PT_K_SYSV:
        if ((int32_t)pt__ixu(ev, r->flags) == IPC_RMID_CMD) {
            int32_t shmid = (int32_t)pt__ixu(ev, r->n);
            char buf[48];
            snprintf(buf, sizeof buf, "shmid %d", shmid);
            uint64_t dev = PT__SYSV_DEV(p->who.ns[PT_NS_ipc]), ino = (uint64_t)(uint32_t)shmid + 1;
            sysv_removed(a, dev, ino, ev->ts);
            pt__on_delete(a, p, t, ev, PT_K_SYSV, dev, ino, buf, 0);
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

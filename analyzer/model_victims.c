/* model_victims.c — the failures a deletion causes, in any process (design: model.h).
 *
 * A deletion is found again by what it removed (pt__victims_index): its physical identity (a key
 * directory's device and inode, a SysV segment's id in its IPC namespace) and the names that
 * reached it (a POSIX shared-memory name, an absolute path, the registry key path its holders
 * opened). A later failing call of any process that names the same thing is a victim of the last
 * deletion of it: by identity where the failure has one (a key handle, a SysV id), else by name
 * within the place the name lives (the mount namespace of the deleter or of a holder; for a key
 * under HKEY_CURRENT_USER also the same user). Which failures count are documented API semantics:
 * ERROR_KEY_DELETED or ERROR_FILE_NOT_FOUND on a handle of the deleted key, ERROR_FILE_NOT_FOUND
 * opening it again by name, ENOENT opening a deleted file or shared-memory name, EIDRM / EINVAL on
 * a removed SysV segment; and, for a holder, ENOENT deleting it again (its own clean-up finds it
 * gone), a failed HRESULT of a deleted session's methods, or of its logon to the deleted profile,
 * or a registry failure with no handle known inside its session (what model.h's watch list is
 * for). A delete
 * nobody held hides older deletions of the same identity or name (pt__victims_unheld): what fails
 * after it failed because of it. A failure inside another traced call waits on its thread
 * (struct pt__pend_victim): the outermost call around it that failed is the failure the program
 * saw, the nested one its detail; when every call around it succeeded the library handled it.
 * The same knowledge marks a timeline's calls as deletions and failures (pt__call_mark). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "analyzer/model.h"

/* ---- what names a deletion ---- */

enum name_class { NAME_SHM = 1, NAME_PATH, NAME_KEY };

/* A POSIX shared-memory name without its leading slashes ("seg" for shm_unlink("/seg") or
 * unlink("/dev/shm/seg")); NULL when s names none. */
static const char *shm_name(enum pt_kind kind, const char *s)
{
    if (!s)
        return NULL;
    if (kind == PT_K_FILE) {
        if (strncmp(s, "/dev/shm/", 9))
            return NULL;
        s += 9;
    } else if (kind != PT_K_SHM) {
        return NULL;
    }
    while (*s == '/')
        s++;
    return *s && !strchr(s, '/') ? s : NULL;
}

/* An absolute path a deletion or an open names; NULL for a relative one (its directory is not
 * recorded). */
static const char *abs_path(enum pt_kind kind, const char *s)
{
    return (kind == PT_K_FILE || kind == PT_K_RENAME) && s && s[0] == '/' ? s : NULL;
}

/* Registry key paths compare without case (Win32); a prefix of `len` bytes of s. */
static uint64_t name_hash(enum name_class cls, const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull ^ cls;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        h = (h ^ (cls == NAME_KEY ? (unsigned char)tolower(ch) : ch)) * 1099511628211ull;
    }
    return h;
}

static int key_path_of(const struct pt__cand *c)
{
    return (c->h.kind == PT_K_KEY || c->h.kind == PT_K_SESSION) && c->h.path && *c->h.path;
}

/* Does deletion d remove what name (its first len bytes) names? (a hash is not proof) */
static int names(const struct pt_analyzer *a, const struct pt__del *d, enum name_class cls,
                 const char *name, size_t len)
{
    const char *t;
    switch (cls) {
    case NAME_SHM:
        t = shm_name(d->kind, d->target);
        return t && strlen(t) == len && !memcmp(t, name, len);
    case NAME_PATH:
        t = abs_path(d->kind, d->target);
        return t && strlen(t) == len && !memcmp(t, name, len);
    case NAME_KEY:
        for (uint32_t k = d->cand_first; k < d->cand_first + d->ncand; k++) {
            const struct pt__cand *c = &a->cands[k];
            if (key_path_of(c) && strlen(c->h.path) == len && !strncasecmp(c->h.path, name, len))
                return 1;
        }
        return 0;
    }
    return 0;
}

void pt__victims_index(struct pt_analyzer *a, uint32_t di)
{
    const struct pt__del *d = &a->dels[di];
    const char *n;
    pt__map_put(&a->del_by_id, d->dev, d->ino, di);
    if ((n = shm_name(d->kind, d->target)))
        pt__map_put(&a->del_by_name, name_hash(NAME_SHM, n, strlen(n)), NAME_SHM, di);
    if ((n = abs_path(d->kind, d->target)))
        pt__map_put(&a->del_by_name, name_hash(NAME_PATH, n, strlen(n)), NAME_PATH, di);
    for (uint32_t k = d->cand_first; k < d->cand_first + d->ncand; k++)
        if (key_path_of(&a->cands[k]))
            pt__map_put(&a->del_by_name,
                        name_hash(NAME_KEY, a->cands[k].h.path, strlen(a->cands[k].h.path)),
                        NAME_KEY, di);
}

/* Replace an entry that exists: a later delete nobody held hides the older one. */
static void hide(struct pt__map *m, uint64_t k1, uint64_t k2)
{
    uint64_t v;
    if (pt__map_get(m, k1, k2, &v) && v != PT__NONE)
        pt__map_put(m, k1, k2, PT__NONE);
}

void pt__victims_unheld(struct pt_analyzer *a, enum pt_kind kind, uint64_t dev, uint64_t ino,
                        const char *target)
{
    if (!a->ndels)
        return; /* nothing to hide */
    const char *n;
    hide(&a->del_by_id, dev, ino);
    if ((n = shm_name(kind, target)))
        hide(&a->del_by_name, name_hash(NAME_SHM, n, strlen(n)), NAME_SHM);
    if ((n = abs_path(kind, target)))
        hide(&a->del_by_name, name_hash(NAME_PATH, n, strlen(n)), NAME_PATH);
}

static uint32_t by_id(const struct pt_analyzer *a, uint64_t dev, uint64_t ino)
{
    uint64_t v;
    if ((!dev && !ino) || !pt__map_get(&a->del_by_id, dev, ino, &v))
        return PT__NONE;
    return (uint32_t)v;
}

static uint32_t by_name(const struct pt_analyzer *a, enum name_class cls, const char *name,
                        size_t len)
{
    uint64_t v;
    if (!name || !len || !pt__map_get(&a->del_by_name, name_hash(cls, name, len), cls, &v) ||
        v == PT__NONE || !names(a, &a->dels[v], cls, name, len))
        return PT__NONE;
    return (uint32_t)v;
}

/* Does the name process p used reach what deletion d removed? A name lives in a mount namespace:
 * p shares it with the deleter (which removed the object by that name) or with a holder (which
 * held it). A key under HKEY_CURRENT_USER is also its user's hive: the same real uid. */
static int same_place(const struct pt_analyzer *a, const struct pt__del *d, const struct pt__who *w,
                      int per_user)
{
#define PARTY(x)                                                                                   \
    ((x)->ns[PT_NS_mnt] && (x)->ns[PT_NS_mnt] == w->ns[PT_NS_mnt] &&                               \
     (!per_user || (x)->uid == w->uid))
    if (PARTY(&d->who))
        return 1;
    for (uint32_t k = d->cand_first; k < d->cand_first + d->ncand; k++)
        if (PARTY(&a->cands[k].h.who))
            return 1;
    return 0;
#undef PARTY
}

/* Was process proc one of the holders deletion d removed something from? */
static int held_by(const struct pt_analyzer *a, const struct pt__del *d, uint32_t proc)
{
    for (uint32_t k = d->cand_first; k < d->cand_first + d->ncand; k++)
        if (a->cands[k].h.proc == proc)
            return 1;
    return 0;
}

/* ---- the deletions a failure names ---- */

#define MAXMATCH 8
struct matches {
    uint32_t del[MAXMATCH];
    unsigned n;
};

static void match(struct matches *m, uint32_t di)
{
    if (di == PT__NONE)
        return;
    for (unsigned i = 0; i < m->n; i++)
        if (m->del[i] == di)
            return;
    if (m->n < MAXMATCH)
        m->del[m->n++] = di;
}

/* A deletion of the identity of key handle h of p, made after p opened it. */
static uint32_t key_handle(struct pt_analyzer *a, const struct pt__proc *p, uint64_t h)
{
    const struct pt__hold *k = pt__hold_by_handle(a, p->idx, PT_K_KEY, h);
    uint32_t di = k ? by_id(a, k->dev, k->ino) : PT__NONE;
    return di != PT__NONE && a->dels[di].ts >= k->ts ? di : PT__NONE;
}

/* A key path opened by name: the deleted key, or a key under it (a tree is deleted whole). */
static void key_path(struct pt_analyzer *a, const struct pt__who *w, const char *path,
                     struct matches *m)
{
    int per_user = !strncasecmp(path, "HKEY_CURRENT_USER", 17);
    for (size_t len = strlen(path);; len--) {
        uint32_t di = by_name(a, NAME_KEY, path, len);
        if (di != PT__NONE && same_place(a, &a->dels[di], w, per_user)) {
            match(m, di);
            return;
        }
        while (len > 0 && path[len - 1] != '\\')
            len--;
        if (len <= 1)
            return;
    }
}

/* The holder's own candidates: a deleted session's methods, its logon to the deleted profile, a
 * registry failure on a handle nothing is known of (inside its session). */
static void watched(struct pt_analyzer *a, const struct pt__proc *p, const struct pt_event *ev,
                    const struct pt__row *r, int key_unknown, struct matches *m)
{
    uint64_t self = r->cat == PT_CAT_MAPI && r->vtbl ? pt_ev_u(ev, 0) : 0;
    const char *prof =
        r->cat == PT_CAT_MAPI && r->role == PT_ROLE_HOLD_BEGIN && r->kind == PT_K_SESSION
            ? pt__ixs(ev, r->s)
            : NULL;
    for (uint32_t c = p->watch_head; c != PT__NONE; c = a->cands[c].wnext) {
        const struct pt__cand *x = &a->cands[c];
        if (ev->ts < a->dels[x->del].ts)
            continue;
        if (x->h.kind == PT_K_SESSION && r->cat == PT_CAT_MAPI &&
            ((self && self == x->h.handle) || (prof && x->h.name && !strcasecmp(prof, x->h.name))))
            match(m, x->del);
        else if (key_unknown && (x->h.kind == PT_K_KEY || x->h.kind == PT_K_SESSION))
            match(m, x->del);
    }
}

static void failure_names(struct pt_analyzer *a, struct pt__proc *p, const struct pt__thread *t,
                          const struct pt_event *ev, const struct pt__row *r, struct matches *m)
{
    struct pt__who w = pt__who_now(p, t);
    const char *n;
    if (r->cat == PT_CAT_REG && r->hkey &&
        (ev->ret == PT_ERROR_KEY_DELETED || ev->ret == PT_ERROR_FILE_NOT_FOUND)) {
        uint64_t h = pt__ixu(ev, r->hkey);
        const struct pt__hold *k = pt__hold_by_handle(a, p->idx, PT_K_KEY, h);
        int opens = (r->role == PT_ROLE_HOLD_BEGIN || r->role == PT_ROLE_HOLD_CREATE) &&
                    r->kind == PT_K_KEY;
        char buf[64], path[1024];
        const char *parent = pt__key_path(a, p, h, buf, sizeof buf);
        if (opens && ev->ret == PT_ERROR_FILE_NOT_FOUND) { /* the subkey, by name */
            const char *sub = pt__ixs(ev, r->s);
            snprintf(path, sizeof path, "%s%s%s", parent, *sub ? "\\" : "", sub);
            key_path(a, &w, path, m);
        } else if (k && (k->dev || k->ino)) { /* the key of the handle, by its identity */
            match(m, key_handle(a, p, h));
        } else if (parent != buf) { /* a handle known by its path only */
            key_path(a, &w, parent, m);
        }
        if (p->watch_head != PT__NONE)
            watched(a, p, ev, r, ev->ret == PT_ERROR_KEY_DELETED && !k, m);
        return;
    }
    if (r->cat == PT_CAT_MAPI) {
        if (p->watch_head != PT__NONE)
            watched(a, p, ev, r, 0, m);
        return;
    }
    if (r->kind == PT_K_SYSV && (ev->err == EIDRM || ev->err == EINVAL) &&
        (r->role == PT_ROLE_HOLD_BEGIN || r->role == PT_ROLE_DELETE)) {
        /* the segment id, in the caller's IPC namespace */
        match(m, by_id(a, PT__SYSV_DEV(p->who.ns[PT_NS_ipc]),
                       (uint64_t)(uint32_t)pt__ixu(ev, r->n) + 1));
        return;
    }
    int opens = r->role == PT_ROLE_OPEN && (r->kind == PT_K_FILE || r->kind == PT_K_SHM);
    int deletes = r->role == PT_ROLE_DELETE && (r->kind == PT_K_FILE || r->kind == PT_K_SHM);
    if (ev->err != ENOENT || !(opens || deletes))
        return;
    const char *s = pt__ixs(ev, r->s);
    uint32_t di = PT__NONE;
    if ((n = shm_name((enum pt_kind)r->kind, s)))
        di = by_name(a, NAME_SHM, n, strlen(n));
    if (di == PT__NONE && (n = abs_path((enum pt_kind)r->kind, s)))
        di = by_name(a, NAME_PATH, n, strlen(n));
    /* deleting it again fails a holder's own clean-up; another cleaner's "already gone" (a second
     * rm -f, the deleter's own retry) lost nothing */
    if (di != PT__NONE && same_place(a, &a->dels[di], &w, 0) &&
        (!deletes || held_by(a, &a->dels[di], p->idx)))
        match(m, di);
}

/* ---- recording ---- */

static uint32_t victim_of(struct pt_analyzer *a, uint32_t di, uint32_t proc)
{
    uint64_t v;
    return pt__map_get(&a->victim_by, di, proc, &v) ? (uint32_t)v : PT__NONE;
}

static void set_call(struct pt__victim *v, const struct pt_event *ev)
{
    v->call = pt_event_name(ev->id);
    v->ret = ev->ret;
    v->err = ev->err;
    v->ts = ev->ts;
    v->tid = ev->tid;
    if (ev->nframes || !v->nframes) { /* the outer call's stack is the program's */
        v->nframes = ev->nframes > PT_MAX_FRAMES ? PT_MAX_FRAMES : ev->nframes;
        memcpy(v->frames, ev->frame, v->nframes * sizeof v->frames[0]);
    }
}

/* A new victim entry of deletion di for process p: its failing call, or (nested) its detail. */
static uint32_t victim_new(struct pt_analyzer *a, uint32_t di, const struct pt__proc *p,
                           const struct pt_event *ev, int nested)
{
    if (PT__GROW(a, a->victims, a->nvictims, a->capvictims) ||
        pt__map_put(&a->victim_by, di, p->idx, a->nvictims))
        return PT__NONE;
    uint32_t vi = a->nvictims++;
    struct pt__victim *v = &a->victims[vi];
    memset(v, 0, sizeof *v);
    v->del = di;
    v->proc = p->idx;
    v->next = PT__NONE;
    if (nested) {
        v->detail_call = pt_event_name(ev->id);
        v->detail_ret = ev->ret;
        v->detail_err = ev->err;
        v->ts = ev->ts;
        v->tid = ev->tid;
        v->nframes = ev->nframes > PT_MAX_FRAMES ? PT_MAX_FRAMES : ev->nframes;
        memcpy(v->frames, ev->frame, v->nframes * sizeof v->frames[0]);
    } else {
        set_call(v, ev);
        v->nfailures = 1;
    }
    struct pt__del *d = &a->dels[di];
    if (d->victim_tail == PT__NONE)
        d->victim_head = vi;
    else
        a->victims[d->victim_tail].next = vi;
    d->victim_tail = vi;
    return vi;
}

static struct pt__pend_victim *pending(struct pt__thread *t, uint32_t vi)
{
    for (uint32_t i = 0; i < t->npend_victim; i++)
        if (t->pend_victim[i].victim == vi)
            return &t->pend_victim[i];
    return NULL;
}

/* A waiting failure's calls are done: it failed as the program saw it, or it was handled. */
static void resolve(struct pt_analyzer *a, const struct pt__pend_victim *w)
{
    struct pt__victim *v = &a->victims[w->victim];
    if (w->failed) {
        v->nfailures++;
    } else if (w->fresh) {
        v->dropped = 1;
        pt__map_del(&a->victim_by, v->del, v->proc);
    }
}

static void unpend(struct pt__thread *t, uint32_t i)
{
    memmove(&t->pend_victim[i], &t->pend_victim[i + 1],
            (t->npend_victim - i - 1) * sizeof t->pend_victim[0]);
    t->npend_victim--;
}

void pt__check_victim(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                      const struct pt_event *ev)
{
    const struct pt__row *r = pt__row_of(ev->id);
    int failed = !pt__ok(r, ev->ret);
    uint32_t done[8], ndone = 0;
    /* the calls around waiting failures: the outermost that failed is the program's failure */
    for (uint32_t i = 0; i < t->npend_victim;) {
        struct pt__pend_victim *w = &t->pend_victim[i];
        if (w->depth <= ev->depth) {
            i++;
            continue;
        }
        if (failed) {
            w->failed = 1;
            if (w->fresh)
                set_call(&a->victims[w->victim], ev);
        }
        if (ev->depth > 0) {
            i++;
            continue;
        }
        resolve(a, w);
        if (ndone < 8)
            done[ndone++] = w->victim;
        unpend(t, i);
    }
    if (!failed)
        return;
    struct matches m = {.n = 0};
    failure_names(a, p, t, ev, r, &m);
    for (unsigned i = 0; i < m.n; i++) {
        const struct pt__del *d = &a->dels[m.del[i]];
        if (ev->ts < (d->ts_enter ? d->ts_enter : d->ts))
            continue; /* it failed before the deletion began (its stream was read late) */
        uint32_t vi = victim_of(a, m.del[i], p->idx);
        int seen = 0;
        for (uint32_t k = 0; k < ndone; k++)
            seen |= done[k] == vi;
        if (seen)
            continue; /* counted as the call around its nested failure, just above */
        if (ev->depth == 0) {
            if (vi == PT__NONE)
                victim_new(a, m.del[i], p, ev, 0);
            else
                a->victims[vi].nfailures++;
            continue;
        }
        struct pt__pend_victim *w = vi != PT__NONE ? pending(t, vi) : NULL;
        if (w) {
            if (ev->depth < w->depth)
                w->depth = ev->depth;
            continue;
        }
        int fresh = vi == PT__NONE;
        if (fresh && (vi = victim_new(a, m.del[i], p, ev, 1)) == PT__NONE)
            continue;
        if (t->npend_victim == 8) { /* its calls never came: the oldest keeps what it has */
            a->victims[t->pend_victim[0].victim].nfailures++;
            unpend(t, 0);
        }
        t->pend_victim[t->npend_victim++] = (struct pt__pend_victim){vi, ev->depth, fresh, 0};
    }
}

void pt__victims_settle(struct pt_analyzer *a, struct pt__thread *t)
{
    /* The calls around them never completed (the process died inside): the failure stands. */
    for (uint32_t i = 0; i < t->npend_victim; i++)
        a->victims[t->pend_victim[i].victim].nfailures++;
    t->npend_victim = 0;
}

/* ---- a timeline's marks ---- */

unsigned pt__call_mark(const struct pt_event *ev)
{
    const struct pt__row *r = pt__row_of(ev->id);
    if (!r)
        return 0;
    if (r->role == PT_ROLE_DELETE && pt__ok(r, ev->ret)) {
        switch (r->kind) {
        case PT_K_FILE:
        case PT_K_SHM:
        case PT_K_KEY:
            return PT__MARK_DELETE;
        case PT_K_RENAME: /* replacing an existing target removes it */
            if (pt__ixu(ev, r->ino))
                return PT__MARK_DELETE;
            return 0;
        case PT_K_SYSV:
            if (pt__ixu(ev, r->flags) == 0 /* IPC_RMID */)
                return PT__MARK_DELETE;
            break;
        default: /* PROFILE: may only have marked it */
            break;
        }
    }
    if (r->cat == PT_CAT_REG && ev->ret == PT_ERROR_KEY_DELETED)
        return PT__MARK_FAILURE;
    if (r->retk == PT_RET_HRESULT && pt_hresult_failed(ev->ret))
        return PT__MARK_FAILURE;
    if (ev->ret == -1 && ev->err == EIDRM)
        return PT__MARK_FAILURE;
    /* opening by name fails when the object is gone; nested opens probe, so only the program's */
    if (ev->depth == 0 && r->role == PT_ROLE_OPEN) {
        if ((r->kind == PT_K_FILE || r->kind == PT_K_SHM) && ev->ret == -1 && ev->err == ENOENT)
            return PT__MARK_FAILURE;
        if (r->kind == PT_K_MAPPING && ev->ret == 0 && ev->err == PT_ERROR_FILE_NOT_FOUND)
            return PT__MARK_FAILURE;
    }
    return 0;
}

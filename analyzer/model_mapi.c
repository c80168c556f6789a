/* model_mapi.c — the registry and MAPI side of the model: key paths, KEY and SESSION holds, in-use
 * views, marks and the profile store (design: model.h).
 *
 * Everything here is documented Win32 / MAPI semantics seen from the calls, never the library's
 * internals: a key handle resolves to a path through the opens that returned it (and the
 * predefined HKEY_* values); a key's identity is the file its open opened inside it; a session's
 * is its profile's key, opened inside the logon; a file mapping opened inside a MAPI call is the
 * process's view of the in-use list, its identity the shared-memory object opened inside it; a key
 * created under `Deleted Profiles*` is a mark; the `Profiles` key a process opens is its profile
 * store. Which calls do these things is the role column of calls.h (HOLD_BEGIN / HOLD_CREATE of a
 * KEY or SESSION, OPEN / CREATE of a MAPPING). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyzer/model.h"

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

const char *pt__key_path(struct pt_analyzer *a, struct pt__proc *p, uint64_t h, char *buf,
                         size_t len)
{
    /* predefined keys are (HKEY)(ULONG_PTR)(LONG)0x8000000N: sign-extended on 64-bit */
    const char *pre = predefined_key(h & 0xffffffffull);
    if (pre && ((h >> 32) == 0 || (h >> 32) == 0xffffffffull))
        return pre;
    struct pt__hold *k = pt__hold_by_handle(a, p->idx, PT_K_KEY, h);
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

/* ---- marks ---- */

static void remember_marks_key(struct pt_analyzer *a, struct pt__proc *p, const char *name)
{
    for (uint32_t i = 0; i < p->nmarks_keys; i++)
        if (!strcasecmp(p->marks_keys[i], name))
            return;
    if (p->nmarks_keys < 4)
        p->marks_keys[p->nmarks_keys++] = pt__strdup(a, name);
}

static void add_mark(struct pt_analyzer *a, struct pt__proc *p, const char *parent,
                     const char *profile, uint64_t dev, uint64_t ino, uint64_t ts)
{
    if (PT__GROW(a, a->marks, a->nmarks, a->capmarks))
        return;
    struct pt__mark *m = &a->marks[a->nmarks];
    memset(m, 0, sizeof *m);
    m->profile = pt__strdup(a, profile);
    m->marks_key = pt__strdup(a, last_component(parent));
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

void pt__mark_removed(struct pt_analyzer *a, uint64_t dev, uint64_t ino, uint64_t ts)
{
    uint64_t m;
    if (pt__map_get(&a->mark_by_id, dev, ino, &m) && !a->marks[m].removed_ts)
        a->marks[m].removed_ts = ts;
}

/* ---- keys ---- */

void pt__on_key_open(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                     const struct pt_event *ev, const struct pt__row *r,
                     const struct pt__child *kids, uint32_t nkids, struct pt__child *self)
{
    char buf[64];
    const char *parent = pt__key_path(a, p, pt__ixu(ev, r->hkey), buf, sizeof buf);
    const char *sub = pt__ixs(ev, r->s);
    size_t lp = strlen(parent), ls = strlen(sub);
    char *path = malloc(lp + ls + 2);
    if (!path) {
        a->nomem++;
        return;
    }
    memcpy(path, parent, lp);
    if (ls) {
        path[lp++] = '\\';
        memcpy(path + lp, sub, ls);
        lp += ls;
    }
    path[lp] = 0;
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
    uint64_t out = pt__ixu(ev, r->h);
    if (!pt__ok(r, ev->ret) || !out) {
        free(path);
        return;
    }
    /* its identity: the last file opened inside the call */
    uint64_t dev = 0, ino = 0;
    for (uint32_t i = nkids; i-- > 0;) {
        const struct pt__row *kr = pt__row_of(kids[i].id);
        if (kr->role == PT_ROLE_OPEN && kr->kind == PT_K_FILE && pt__ok(kr, kids[i].ret) &&
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
    if (r->role == PT_ROLE_HOLD_CREATE && *sub && is_marks_key(plast))
        add_mark(a, p, parent_of_last, last, dev, ino, ev->ts);
    self->dev = dev;
    self->ino = ino;
    self->handle = out;
    if (ev->depth > 0) /* for the call around it (a logon finds its profile's key by path) */
        self->path = pt__strdup(a, path);
    pt__hold_open(a, p, t, ev, PT_K_KEY, out, dev, ino, NULL, path);
}

/* ---- sessions ---- */

uint32_t pt__session_open(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                          const struct pt_event *ev, uint64_t session, uint64_t dev, uint64_t ino,
                          const char *prof, const char *path)
{
    uint32_t h = pt__hold_open(a, p, t, ev, PT_K_SESSION, session, dev, ino, pt__strdup(a, prof),
                               path ? pt__strdup(a, path) : NULL);
    if (h == PT__NONE || PT__GROW(a, a->sess, a->nsess, a->capsess))
        return h;
    a->sess[a->nsess] = (struct pt__sess){p->idx,
                                          pt__strdup(a, prof),
                                          dev,
                                          ino,
                                          p->store_dev,
                                          p->store_ino,
                                          ev->ts,
                                          0,
                                          session,
                                          path ? pt__strdup(a, path) : NULL};
    a->holds[h].len = a->nsess++;
    if (a->holds[h].kept)
        a->kept[a->holds[h].kept - 1].name = a->sess[a->holds[h].len].profile;
    return h;
}

void pt__on_logon(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                  const struct pt_event *ev, const struct pt__row *r, const struct pt__child *kids,
                  uint32_t nkids)
{
    uint64_t session = pt__ixu(ev, r->h);
    if (!pt__ok(r, ev->ret) || !session)
        return;
    const char *prof = pt__ixs(ev, r->s);
    const struct pt__child *key = NULL;
    for (uint32_t i = 0; i < nkids; i++) {
        const struct pt__child *k = &kids[i];
        const struct pt__row *kr = pt__row_of(k->id);
        if ((kr->role != PT_ROLE_HOLD_BEGIN && kr->role != PT_ROLE_HOLD_CREATE) ||
            kr->kind != PT_K_KEY || !pt__ok(kr, k->ret) || !k->path)
            continue;
        if (!strcasecmp(last_component(k->path), prof))
            key = k; /* the profile's own key: the last one opened wins */
    }
    if (!key)
        a->sessions_unidentified++;
    pt__session_open(a, p, t, ev, session, key ? key->dev : 0, key ? key->ino : 0, prof,
                     key ? key->path : NULL);
}

/* ---- in-use views ---- */

void pt__add_view(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                  const struct pt_event *ev, const struct pt__row *r, const struct pt__child *kids,
                  uint32_t nkids)
{
    if (!pt__ok(r, ev->ret) || PT__GROW(a, p->views, p->nviews, p->capviews))
        return;
    struct pt__view *v = &p->views[p->nviews];
    memset(v, 0, sizeof *v);
    v->name = pt__strdup(a, pt__ixs(ev, r->s));
    v->handle = pt__ixu(ev, r->h);
    for (uint32_t i = nkids; i-- > 0;) { /* its object: the shared memory opened inside it */
        const struct pt__row *kr = pt__row_of(kids[i].id);
        if (kr->role == PT_ROLE_OPEN && kr->kind == PT_K_SHM && pt__ok(kr, kids[i].ret)) {
            v->dev = kids[i].dev;
            v->ino = kids[i].ino;
            v->shm_name = pt__strdup(a, kids[i].path ? kids[i].path : "");
            break;
        }
    }
    v->ts = ev->ts;
    v->who = pt__who_now(p, t);
    v->in_mapi = ev->depth == 0 ? 0 : -1;
    if (v->in_mapi < 0 && t->npend_view < 8)
        t->pend_view[t->npend_view++] = p->nviews;
    else if (v->in_mapi < 0)
        v->in_mapi = 1;
    p->nviews++;
}

const char *pt__view_name(const struct pt__proc *p, uint64_t h)
{
    for (uint32_t i = p->nviews; i-- > 0;)
        if (p->views[i].handle == h && p->views[i].name && *p->views[i].name)
            return p->views[i].name;
    return "";
}

void pt__settle_views(struct pt__proc *p, struct pt__thread *t, const struct pt_event *ev)
{
    const struct pt__row *r = pt__row_of(ev->id);
    uint32_t keep = 0;
    for (uint32_t i = 0; i < t->npend_view; i++) {
        struct pt__view *v = &p->views[t->pend_view[i]];
        if (r->cat == PT_CAT_MAPI)
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

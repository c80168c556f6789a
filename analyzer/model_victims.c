/* model_victims.c — the failures a deletion causes its holders (design: model.h).
 *
 * After a deletion, each holder process watches its candidates: its next failing call that
 * concerns the deleted object is the victim the finding shows ("OpenMsgStore -> MAPI_E_CALL_FAILED,
 * 0.001 s after the delete"). A failure inside another traced call is kept as the detail of the
 * failure its caller reports (RegQueryValueExA -> ERROR_KEY_DELETED inside OpenMsgStore). Which
 * failures count are documented API semantics: ERROR_KEY_DELETED on a handle of the deleted key,
 * ERROR_FILE_NOT_FOUND opening it again by name, a failed HRESULT of the session's methods or of a
 * logon to the profile, ENOENT reopening a deleted name, EIDRM / EINVAL on a removed SysV segment.
 * The same knowledge marks a timeline's calls as deletions and failures (pt__call_mark). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "analyzer/model.h"

static void victim_set(struct pt__cand *c, const struct pt_event *ev, int detail)
{
    if (detail) {
        if (c->have_detail)
            return;
        c->have_detail = 1;
        c->detail_call = pt_event_name(ev->id);
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
    c->victim_call = pt_event_name(ev->id);
    c->victim_ret = ev->ret;
    c->victim_err = ev->err;
    c->victim_ts = ev->ts;
    c->victim_tid = ev->tid;
    if (ev->nframes) {
        c->victim_nframes = ev->nframes > PT_MAX_FRAMES ? PT_MAX_FRAMES : ev->nframes;
        memcpy(c->victim_frames, ev->frame, c->victim_nframes * sizeof c->victim_frames[0]);
    }
}

/* A registry call failed with ERROR_KEY_DELETED: on a handle of a deleted key, or (no key hold
 * known for the handle) inside a session on a deleted profile. */
static void key_deleted(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev,
                        uint64_t hkey)
{
    struct pt__hold *k = pt__hold_by_handle(a, p->idx, PT_K_KEY, hkey);
    for (uint32_t c = p->watch_head; c != PT__NONE; c = a->cands[c].wnext) {
        struct pt__cand *x = &a->cands[c];
        const struct pt__del *d = &a->dels[x->del];
        if (ev->ts < d->ts || (k && (k->dev != d->dev || k->ino != d->ino) &&
                               (x->h.kind != PT_K_KEY || x->h.handle != k->handle)))
            continue;
        if (!k && x->h.kind != PT_K_KEY && x->h.kind != PT_K_SESSION)
            continue;
        victim_set(x, ev, ev->depth > 0);
        if (ev->depth == 0)
            x->have_detail = 0;
    }
}

/* A key opened again by name, or a value read through a handle of it, is not found: the path is
 * the deleted key's. */
static void key_not_found(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev,
                          uint64_t hkey, const char *sub)
{
    char buf[64], path[1024];
    snprintf(path, sizeof path, "%s%s%s", pt__key_path(a, p, hkey, buf, sizeof buf),
             *sub ? "\\" : "", sub);
    for (uint32_t c = p->watch_head; c != PT__NONE; c = a->cands[c].wnext) {
        struct pt__cand *x = &a->cands[c];
        if (ev->ts < a->dels[x->del].ts || !x->h.path || strcasecmp(x->h.path, path))
            continue;
        victim_set(x, ev, ev->depth > 0);
    }
}

/* A MAPI call failed: a method of the deleted session, a logon to the deleted profile, or any MAPI
 * call that failed because a registry call inside it hit the deleted key. */
static void mapi_failed(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev,
                        const struct pt__row *r, const struct pt__child *kids, uint32_t nkids)
{
    uint64_t self = r->vtbl ? pt_ev_u(ev, 0) : 0;
    const char *prof =
        r->role == PT_ROLE_HOLD_BEGIN && r->kind == PT_K_SESSION ? pt__ixs(ev, r->s) : NULL;
    int deleted_key = 0;
    for (uint32_t i = 0; i < nkids; i++) {
        const struct pt__row *kr = pt__row_of(kids[i].id);
        if (kr && kr->cat == PT_CAT_REG && kids[i].ret == PT_ERROR_KEY_DELETED)
            deleted_key = 1;
    }
    for (uint32_t c = p->watch_head; c != PT__NONE; c = a->cands[c].wnext) {
        struct pt__cand *x = &a->cands[c];
        if (ev->ts < a->dels[x->del].ts || x->h.kind != PT_K_SESSION)
            continue;
        if ((self && self == x->h.handle) || (prof && x->h.name && !strcasecmp(prof, x->h.name)) ||
            (deleted_key && x->have_detail))
            victim_set(x, ev, 0);
    }
}

/* A file or shared-memory object opened again by a name the deletion removed: ENOENT. */
static void reopen_failed(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev,
                          const char *name)
{
    for (uint32_t c = p->watch_head; c != PT__NONE; c = a->cands[c].wnext) {
        struct pt__cand *x = &a->cands[c];
        const struct pt__del *d = &a->dels[x->del];
        const char *tn = d->target ? d->target : "";
        size_t ln = strlen(name), lt = strlen(tn);
        if (ev->ts >= d->ts && ev->err == ENOENT && ln && lt >= ln && !strcmp(tn + lt - ln, name))
            victim_set(x, ev, 0);
    }
}

/* A removed SysV segment used again by its id: EIDRM or EINVAL. */
static void segment_gone(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev,
                         int32_t shmid)
{
    uint64_t id = (uint64_t)(uint32_t)shmid + 1;
    for (uint32_t c = p->watch_head; c != PT__NONE; c = a->cands[c].wnext) {
        struct pt__cand *x = &a->cands[c];
        const struct pt__del *d = &a->dels[x->del];
        if (ev->ts >= d->ts && d->kind == PT_K_SYSV && d->ino == id &&
            (ev->err == EIDRM || ev->err == EINVAL))
            victim_set(x, ev, 0);
    }
}

void pt__check_victim(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev,
                      const struct pt__child *kids, uint32_t nkids)
{
    const struct pt__row *r = pt__row_of(ev->id);
    if (r->cat == PT_CAT_REG && ev->ret == PT_ERROR_KEY_DELETED)
        key_deleted(a, p, ev, pt__ixu(ev, r->hkey));
    else if (r->cat == PT_CAT_REG && ev->ret == PT_ERROR_FILE_NOT_FOUND &&
             ((r->role == PT_ROLE_HOLD_BEGIN && r->kind == PT_K_KEY) ||
              ev->id == PT__ID(RegQueryValueExA)))
        key_not_found(a, p, ev, pt__ixu(ev, r->hkey),
                      r->role == PT_ROLE_HOLD_BEGIN ? pt__ixs(ev, r->s) : "");
    else if (r->cat == PT_CAT_MAPI && pt_hresult_failed(ev->ret))
        mapi_failed(a, p, ev, r, kids, nkids);
    else if (ev->ret == -1 && r->role == PT_ROLE_OPEN &&
             (r->kind == PT_K_FILE || r->kind == PT_K_SHM))
        reopen_failed(a, p, ev, pt__ixs(ev, r->s));
    else if (ev->ret == -1 && r->kind == PT_K_SYSV &&
             (r->role == PT_ROLE_HOLD_BEGIN || r->role == PT_ROLE_DELETE))
        segment_gone(a, p, ev, (int32_t)pt__ixu(ev, r->n));
}

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

/* report_util.c — naming a finding's resource, mark, victim and cause for both report formats. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/sysmacros.h>

#include "analyzer/report.h"

void pt__rep_resource(const struct pt_analyzer *a, const struct pt__finding *f, struct pt__res *r)
{
    memset(r, 0, sizeof *r);
    if (f->rule == PT__R_LATENT) {
        const struct pt__sess *s = &a->sess[f->sess];
        r->kind = "profile";
        r->name = s->profile;
        r->key = s->path;
        r->dev = s->dev;
        r->ino = s->ino;
        return;
    }
    const struct pt__del *d = &a->dels[f->del];
    const struct pt__cand *c = &a->cands[f->cand];
    r->dev = d->dev;
    r->ino = d->ino;
    if (f->rule == PT__R_PURGE) {
        r->kind = "profile";
        r->name = c->h.name;
        r->key = c->h.path;
        return;
    }
    switch (c->h.kind) {
    case PT__H_KEY:
        r->kind = "registry-key";
        r->name = c->h.path;
        break;
    case PT__H_SESSION:
        r->kind = "profile";
        r->name = c->h.name;
        r->key = c->h.path;
        break;
    case PT__H_SYSV:
        r->kind = "sysv-shm";
        r->name = d->target;
        r->sysv = 1;
        r->dev = d->dev & ~(1ull << 63);
        r->ino = d->ino - 1;
        break;
    case PT__H_MAP:
        r->kind = d->kind == PT__D_SHM || (d->target && !strncmp(d->target, "/dev/shm/", 9))
                      ? "posix-shm"
                      : "mapped-file";
        r->name = d->target;
        break;
    }
}

const struct pt__mark *pt__rep_mark(const struct pt_analyzer *a, const char *profile,
                                    uint64_t before)
{
    const struct pt__mark *best = NULL;
    for (uint32_t i = 0; i < a->nmarks; i++)
        if (profile && !strcasecmp(a->marks[i].profile, profile) && a->marks[i].ts <= before)
            best = &a->marks[i];
    return best;
}

const char *pt__rep_error(const char *call, int64_t ret, int32_t err, char *buf, size_t len)
{
    const char *n;
    if (!call)
        call = "";
    if (!strncmp(call, "Reg", 3)) {
        n = pt__win32_error_name(ret);
        snprintf(buf, len, "%lld%s%s", (long long)ret, n ? " " : "", n ? n : "");
    } else if (!strncmp(call, "MAPI", 4) || !strncmp(call, "IMAPI", 5) ||
               !strncmp(call, "IProf", 5)) {
        n = pt__hresult_name((uint32_t)ret);
        snprintf(buf, len, "0x%08x%s%s", (unsigned)(uint32_t)ret, n ? " " : "", n ? n : "");
    } else {
        snprintf(buf, len, "-1 %s",
                 err == ENOENT   ? "ENOENT"
                 : err == EIDRM  ? "EIDRM"
                 : err == EINVAL ? "EINVAL"
                                 : strerror(err));
    }
    return buf;
}

const char *pt__rep_victim(const struct pt__cand *c, char *buf, size_t len)
{
    char e1[64], e2[64];
    buf[0] = 0;
    if (c->have_victim && c->have_detail)
        snprintf(buf, len, "%s -> %s (%s -> %s)", c->victim_call,
                 pt__rep_error(c->victim_call, c->victim_ret, c->victim_err, e1, sizeof e1),
                 c->detail_call,
                 pt__rep_error(c->detail_call, c->detail_ret, c->detail_err, e2, sizeof e2));
    else if (c->have_victim)
        snprintf(buf, len, "%s -> %s", c->victim_call,
                 pt__rep_error(c->victim_call, c->victim_ret, c->victim_err, e1, sizeof e1));
    else if (c->have_detail)
        snprintf(buf, len, "%s -> %s", c->detail_call,
                 pt__rep_error(c->detail_call, c->detail_ret, c->detail_err, e2, sizeof e2));
    return buf;
}

const char *pt__rep_dev(uint64_t dev, char *buf, size_t len)
{
    snprintf(buf, len, "%u:%u", major(dev), minor(dev));
    return buf;
}

/* "login session 3", or "no login session" for the unset audit session id. */
static const char *sess(uint32_t id, char *buf, size_t len)
{
    if (id == UINT32_MAX)
        snprintf(buf, len, "no login session");
    else
        snprintf(buf, len, "login session %u", id);
    return buf;
}

/* deleted-while-held: the two processes' own identities explain the blind spot. */
static const char *held_why(const struct pt_analyzer *a, const struct pt__finding *f, char *buf,
                            size_t len)
{
    const struct pt__who *h = &a->cands[f->cand].h.who, *d = &a->dels[f->del].who;
    char s1[32], s2[32];
    switch (f->cause) {
    case PT__C_KERNEL:
        snprintf(buf, len,
                 "the deleter ran in mount namespace %llu / ipc %llu / pid %llu, the holder in "
                 "%llu / %llu / %llu: from there the holder is invisible, the object is not",
                 (unsigned long long)d->ns[PT__NS_MNT], (unsigned long long)d->ns[PT__NS_IPC],
                 (unsigned long long)d->ns[PT__NS_PID], (unsigned long long)h->ns[PT__NS_MNT],
                 (unsigned long long)h->ns[PT__NS_IPC], (unsigned long long)h->ns[PT__NS_PID]);
        break;
    case PT__C_IDENTITY:
        snprintf(buf, len, "the deleter ran as euid %u, the holder as euid %u", d->euid, h->euid);
        break;
    case PT__C_SESSION:
        snprintf(buf, len, "the deleter ran in %s, the holder in %s",
                 sess(d->sessionid, s1, sizeof s1), sess(h->sessionid, s2, sizeof s2));
        break;
    default:
        snprintf(buf, len,
                 "deleter and holder share namespaces, account and session: the deleter "
                 "did not check for holders at all");
        break;
    }
    return buf;
}

const char *pt__rep_why(const struct pt_analyzer *a, const struct pt__finding *f, char *buf,
                        size_t len)
{
    if (f->rule == PT__R_HELD)
        return held_why(a, f, buf, len);
    const struct pt__view *h = f->have_hview ? &f->hview : NULL;
    const struct pt__view *d = f->have_dview ? &f->dview : NULL;
    const char *what = f->rule == PT__R_LATENT ? "would delete" : "deleted";
    char s1[32], s2[32];
    switch (f->cause) {
    case PT__C_IDENTITY:
        if (h && d)
            snprintf(buf, len,
                     "the deleter %s it looking at in-use object \"%s\" (opened as euid %u), the "
                     "holder is counted in \"%s\" (euid %u): different accounts, different in-use "
                     "lists, one hive",
                     what, d->name, d->who.euid, h->name, h->who.euid);
        else
            snprintf(buf, len, "the deleter runs under another account than the holder");
        break;
    case PT__C_SESSION:
        if (h && d)
            snprintf(buf, len,
                     "the deleter %s it looking at in-use object \"%s\" in %s, the holder is "
                     "counted in \"%s\" in %s: a session-local name gives each session its own "
                     "in-use list",
                     what, d->name, sess(d->who.sessionid, s1, sizeof s1), h->name,
                     sess(h->who.sessionid, s2, sizeof s2));
        else
            snprintf(buf, len, "the deleter runs in another login session than the holder");
        break;
    case PT__C_KERNEL:
        if (h && d)
            snprintf(buf, len,
                     "the deleter %s it looking at \"%s\" in mount namespace %llu / ipc %llu, the "
                     "holder at \"%s\" in mount namespace %llu / ipc %llu: the same name is "
                     "another object there",
                     what, d->name, (unsigned long long)d->who.ns[PT__NS_MNT],
                     (unsigned long long)d->who.ns[PT__NS_IPC], h->name,
                     (unsigned long long)h->who.ns[PT__NS_MNT],
                     (unsigned long long)h->who.ns[PT__NS_IPC]);
        else
            snprintf(buf, len, "the deleter runs in other kernel namespaces than the holder");
        break;
    case PT__C_SAME:
        snprintf(buf, len, "deleter and holder see the same %s, yet it was removed while held",
                 f->rule == PT__R_HELD ? "namespaces and account" : "in-use object");
        break;
    default:
        snprintf(buf, len, "the two in-use views could not be compared");
        break;
    }
    return buf;
}

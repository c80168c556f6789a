/* report_story.c — how a deletion finding is told, in two stories (struct pt__story, rules.h):
 *   views       cross-namespace-purge: a profile whose holder and deleter looked at different
 *               in-use views; the views explain it, the narrative shows the mark, the who table the
 *               in-use objects;
 *   identities  deleted-while-held: any object; the two processes' own namespaces, account and
 *               login session explain it.
 * The narrative itself is each format's (report_text.c, report_json.c, export_html.c). */
#include <stdio.h>
#include <string.h>

#include "analyzer/report.h"

/* ---- the resource ---- */

static void resource_views(const struct pt_analyzer *a, const struct pt__finding *f,
                           struct pt__res *r)
{
    const struct pt__cand *c = &a->cands[f->cand];
    r->dev = a->dels[f->del].dev;
    r->ino = a->dels[f->del].ino;
    r->kind = "profile";
    r->name = c->h.name;
    r->key = c->h.path;
}

static void resource_identities(const struct pt_analyzer *a, const struct pt__finding *f,
                                struct pt__res *r)
{
    const struct pt__del *d = &a->dels[f->del];
    const struct pt__cand *c = &a->cands[f->cand];
    r->dev = d->dev;
    r->ino = d->ino;
    switch (c->h.kind) {
    case PT_K_KEY:
        r->kind = "registry-key";
        r->name = c->h.path;
        break;
    case PT_K_SESSION:
        r->kind = "profile";
        r->name = c->h.name;
        r->key = c->h.path;
        break;
    case PT_K_SYSV:
        r->kind = "sysv-shm";
        r->name = d->target;
        r->sysv = 1;
        r->dev = d->dev & ~(1ull << 63);
        r->ino = d->ino - 1;
        break;
    default: /* MAP */
        r->kind = d->kind == PT_K_SHM || (d->target && !strncmp(d->target, "/dev/shm/", 9))
                      ? "posix-shm"
                      : "mapped-file";
        r->name = d->target;
        break;
    }
}

/* ---- why ---- */

/* "login session 3", or "no login session" for the unset audit session id. */
static const char *sess(uint32_t id, char *buf, size_t len)
{
    if (id == UINT32_MAX)
        snprintf(buf, len, "no login session");
    else
        snprintf(buf, len, "login session %u", id);
    return buf;
}

/* The two processes' own identities explain the blind spot (deleted-while-held). */
static const char *why_identities(const struct pt_analyzer *a, const struct pt__finding *f,
                                  char *buf, size_t len)
{
    const struct pt__who *h = &a->cands[f->cand].h.who, *d = &a->dels[f->del].who;
    char s1[32], s2[32];
    switch (f->cause) {
    case PT__C_KERNEL:
        snprintf(buf, len,
                 "the deleter ran in mount namespace %llu / ipc %llu / pid %llu, the holder in "
                 "%llu / %llu / %llu: from there the holder is invisible, the object is not",
                 (unsigned long long)d->ns[PT_NS_mnt], (unsigned long long)d->ns[PT_NS_ipc],
                 (unsigned long long)d->ns[PT_NS_pid], (unsigned long long)h->ns[PT_NS_mnt],
                 (unsigned long long)h->ns[PT_NS_ipc], (unsigned long long)h->ns[PT_NS_pid]);
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

const char *pt__why_views(const struct pt_analyzer *a, const struct pt__finding *f, char *buf,
                          size_t len)
{
    (void)a;
    const struct pt__view *h = f->have_hview ? &f->hview : NULL;
    const struct pt__view *d = f->have_dview ? &f->dview : NULL;
    const char *what = f->del == PT__NONE ? "would delete" : "deleted";
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
                     what, d->name, (unsigned long long)d->who.ns[PT_NS_mnt],
                     (unsigned long long)d->who.ns[PT_NS_ipc], h->name,
                     (unsigned long long)h->who.ns[PT_NS_mnt],
                     (unsigned long long)h->who.ns[PT_NS_ipc]);
        else
            snprintf(buf, len, "the deleter runs in other kernel namespaces than the holder");
        break;
    case PT__C_SAME:
        snprintf(buf, len,
                 "deleter and holder see the same in-use object, yet it was removed "
                 "while held");
        break;
    default:
        snprintf(buf, len, "the two in-use views could not be compared");
        break;
    }
    return buf;
}

/* ---- when ---- */

static void when_deleted(const struct pt_analyzer *a, const struct pt__finding *f, uint64_t *at,
                         uint32_t *tid, uint64_t *from, uint64_t *to)
{
    const struct pt__del *d = &a->dels[f->del];
    const struct pt__cand *c = &a->cands[f->cand];
    *at = d->ts;
    *tid = d->tid;
    *from = c->h.ts < d->ts ? c->h.ts : d->ts;
    *to = d->ts;
    if ((c->have_victim || c->have_detail) && c->victim_ts > *to)
        *to = c->victim_ts;
}

/* ---- the two stories ---- */

static void text_views(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                       struct pt__symbolizer *sy, const struct pt_report_opts *o)
{
    pt__deletion_text(out, a, f, sy, o, 1);
}

static void text_identities(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                            struct pt__symbolizer *sy, const struct pt_report_opts *o)
{
    pt__deletion_text(out, a, f, sy, o, 0);
}

static void json_views(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                       struct pt__symbolizer *sy)
{
    pt__deletion_json(out, a, f, sy, 1);
}

static void json_identities(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                            struct pt__symbolizer *sy)
{
    pt__deletion_json(out, a, f, sy, 0);
}

const struct pt__story pt__story_views = {resource_views, pt__why_views, pt__view_remedy,
                                          text_views,     json_views,    pt__deletion_html,
                                          when_deleted};
const struct pt__story pt__story_identities = {
    resource_identities, why_identities,    pt__who_remedy, text_identities,
    json_identities,     pt__deletion_html, when_deleted};

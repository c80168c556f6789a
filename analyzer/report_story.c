/* report_story.c — how a deletion finding is told, in two stories (struct pt__story, rules.h):
 *   views       cross-namespace-purge: a profile whose holder and deleter looked at different
 *               in-use views; the views explain it, the narrative shows the mark, the who table the
 *               in-use objects;
 *   identities  deleted-while-held: any object; the two processes' own namespaces, account and
 *               login session explain it.
 * Why and the remedy are told from the finding's verdict (verdict.c keeps them in the finding);
 * the narrative itself is each format's (report_text.c, report_json.c, export_html.c). */
#include <stdio.h>
#include <string.h>

#include "analyzer/open_file.h"
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
    case PT_K_FILE:
        r->kind = "open-file";
        r->name = pt__rep_file_name(a, f);
        r->file = pt__file_class(c->h.oflags, r->name);
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

/* The deleter made no liveness check the trace shows (cause no-liveness-check): said for what it
 * is, a traced clean-up that consulted nothing, or an untraced one whose checks are unknown. */
static size_t why_no_check(const struct pt_analyzer *a, const struct pt__finding *f,
                           const char *what, char *buf, size_t len)
{
    const struct pt__del *d = &a->dels[f->del];
    if (f->consult == PT__CONSULT_UNTRACED)
        return (size_t)snprintf(
            buf, len,
            "the deleter was not traced (the witness saw the deletion): nothing "
            "shows that it checked whether anyone still %s before removing it, "
            "and what it did before is not known",
            what);
    return (size_t)snprintf(buf, len,
                            "the deleter consulted no in-use view before removing it: nothing in "
                            "its trace checks whether anyone still %s, and its deleting call (%s) "
                            "does not consult one",
                            what, d->via ? d->via : d->call);
}

/* The two processes' own identities explain the blind spot (deleted-while-held). */
static const char *why_identities(const struct pt_analyzer *a, const struct pt__finding *f,
                                  char *buf, size_t len)
{
    const struct pt__who *h = &a->cands[f->cand].h.who, *d = &a->dels[f->del].who;
    char s1[32], s2[32];
    switch (f->cause) {
    case PT__C_NO_CHECK: {
        size_t n = why_no_check(a, f, "had it mapped or open", buf, len);
        enum pt__cause split = pt__who_cause(h, d);
        if (n < len && split != PT__C_SAME)
            snprintf(buf + n, len - n, "; it also ran %s than the holder",
                     split == PT__C_KERNEL     ? "in other kernel namespaces (mount, ipc or pid)"
                     : split == PT__C_IDENTITY ? "as another account"
                                               : "in another login session");
        break;
    }
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
                 "deleter and holder share namespaces, account and session: its check did not "
                 "count the holder");
        break;
    }
    return buf;
}

/* "dev 0:27 ino 1037" of a view. */
static const char *view_id(const struct pt__view *v, char *buf, size_t len)
{
    char dv[32];
    snprintf(buf, len, "dev %s ino %llu", pt__rep_dev(v->dev, dv, sizeof dv),
             (unsigned long long)v->ino);
    return buf;
}

/* The views could not be compared: which side's is missing, and why that matters. */
static void why_uncompared(const struct pt_analyzer *a, const struct pt__finding *f, char *buf,
                           size_t len)
{
    const struct pt__del *d = f->del != PT__NONE ? &a->dels[f->del] : NULL;
    if (f->consult == PT__CONSULT_UNSEEN)
        snprintf(
            buf, len,
            "the deleting call (%s) consults an in-use list, but the in-use object the deleter "
            "opened was not recorded: the two in-use views could not be compared",
            d && d->via ? d->via : "?");
    else if (!f->have_hview)
        snprintf(buf, len,
                 "the holder's in-use object was not recorded (no file mapping opened inside a "
                 "MAPI call): the two in-use views could not be compared");
    else
        snprintf(buf, len,
                 "the identity of the %s in-use object \"%s\" was not recorded: the two in-use "
                 "views could not be compared",
                 f->hview.dev || f->hview.ino ? "deleter's" : "holder's",
                 f->hview.dev || f->hview.ino ? f->dview.name : f->hview.name);
}

const char *pt__why_views(const struct pt_analyzer *a, const struct pt__finding *f, char *buf,
                          size_t len)
{
    const struct pt__view *h = &f->hview, *d = &f->dview;
    const char *what = f->del == PT__NONE ? "would delete" : "deleted";
    char s1[48], s2[48];
    if (f->cause == PT__C_NO_CHECK) {
        why_no_check(a, f, "used the profile", buf, len);
        return buf;
    }
    if (f->views != PT__VIEWS_SAME && f->views != PT__VIEWS_DIFFER) {
        why_uncompared(a, f, buf, len);
        return buf;
    }
    switch (f->cause) {
    case PT__C_IDENTITY:
        snprintf(buf, len,
                 "the deleter %s it looking at in-use object \"%s\" (opened as euid %u), the "
                 "holder is counted in \"%s\" (euid %u): different accounts, different in-use "
                 "lists, one hive",
                 what, d->name, d->who.euid, h->name, h->who.euid);
        break;
    case PT__C_SESSION:
        snprintf(buf, len,
                 "the deleter %s it looking at in-use object \"%s\" in %s, the holder is "
                 "counted in \"%s\" in %s: a session-local name gives each session its own "
                 "in-use list",
                 what, d->name, sess(d->who.sessionid, s1, sizeof s1), h->name,
                 sess(h->who.sessionid, s2, sizeof s2));
        break;
    case PT__C_KERNEL:
        snprintf(buf, len,
                 "the deleter %s it looking at \"%s\" in mount namespace %llu / ipc %llu, the "
                 "holder at \"%s\" in mount namespace %llu / ipc %llu: the same name is "
                 "another object there",
                 what, d->name, (unsigned long long)d->who.ns[PT_NS_mnt],
                 (unsigned long long)d->who.ns[PT_NS_ipc], h->name,
                 (unsigned long long)h->who.ns[PT_NS_mnt],
                 (unsigned long long)h->who.ns[PT_NS_ipc]);
        break;
    case PT__C_SAME:
        snprintf(buf, len,
                 "deleter and holder see the same in-use object, yet it was removed "
                 "while held");
        break;
    default: /* two objects, and nothing recorded says why */
        snprintf(buf, len,
                 "the deleter %s it looking at in-use object \"%s\" (%s), the holder is counted "
                 "in \"%s\" (%s): two different objects, although their account, login session "
                 "and kernel namespaces agree; what made the library open another object is not "
                 "in the trace",
                 what, d->name, view_id(d, s1, sizeof s1), h->name, view_id(h, s2, sizeof s2));
        break;
    }
    return buf;
}

/* ---- remedy ---- */

static const char *remedy_no_check(const struct pt_analyzer *a, const struct pt__finding *f)
{
    (void)a, (void)f;
    return "the clean-up removed an object still in use without checking: make it skip objects "
           "still mapped or open (check for holders by the object's identity: its attach count, "
           "/proc/*/maps, open descriptors), or keep it away from them (systemd-logind removes a "
           "user's IPC objects at logout unless RemoveIPC=no or the owner is a system user; "
           "systemd-tmpfiles leaves alone paths excluded with an `x` line)";
}

static const char *remedy_identities(const struct pt_analyzer *a, const struct pt__finding *f)
{
    switch (f->cause) {
    case PT__C_NO_CHECK:
        return remedy_no_check(a, f);
    case PT__C_KERNEL:
        return "the deleter runs in other kernel namespaces and cannot see the holder: run the "
               "clean-up in the holders' namespaces, or check holders by the object's identity "
               "(device and inode, SysV id) instead of by name or pid";
    case PT__C_IDENTITY:
    case PT__C_SESSION:
        return "the deleter's liveness check is scoped to its own account or login session: "
               "check every holder of the object (by identity), or keep the object per account "
               "or per session so one scope cannot remove another's";
    default:
        return "the object was removed while mapped or open elsewhere: make the deleter check "
               "for holders by identity, or reference-count the object itself";
    }
}

const char *pt__remedy_views(const struct pt_analyzer *a, const struct pt__finding *f)
{
    (void)a;
    switch (f->cause) {
    case PT__C_NO_CHECK:
        return "the profile's key was removed by a process that consulted no in-use list: delete "
               "profiles only through the profile API (DeleteProfile, which defers the deletion "
               "of a profile in use), and keep clean-ups and scripts out of the profile store";
    case PT__C_IDENTITY:
        return "the deleter ran MAPI under another account (impersonation) but used the holder's "
               "hive: its in-use list is per account, the marks are not. Fix: key the marks per "
               "account (`Deleted Profiles` + CRC32 of the account SID; MAPISIM_FIXES=sid), or "
               "load the impersonated user's own hive, or do not call MAPIInitialize while "
               "impersonating";
    case PT__C_SESSION:
        return "the in-use object is named in the session-local namespace (`Local\\` or no "
               "prefix), so each login session counts its own holders. Fix: name it in `Global\\` "
               "(MAPISIM_FIXES=global)";
    case PT__C_KERNEL:
        return "the processes agree on the name but not on the object: a private /dev/shm (mount "
               "namespace) or another IPC namespace gives each its own in-use list; neither "
               "library fix covers this. Fix: share /dev/shm and the IPC namespace with the "
               "holders, or give the contained process its own profile store";
    case PT__C_SAME:
        return "both saw the same in-use object, yet the profile was deleted: the reference count "
               "in it was wrong (a leaked or double release, or an update lost); audit the "
               "holder's MAPILogonEx / Logoff / Release pairing";
    default:
        if (f->views == PT__VIEWS_DIFFER)
            return "the deleter counted holders in another in-use object than the holder's (see "
                   "their identities): find why its library opened another object under that "
                   "name (a login session or namespace it was given) and make every process "
                   "count in one object (a `Global\\` name, shared /dev/shm and IPC namespace)";
        return "the in-use views could not be compared (an in-use object, or its identity, was "
               "not recorded for one side): record with the shim loaded from process start";
    }
}

/* ---- when ---- */

static void when_deleted(const struct pt_analyzer *a, const struct pt__finding *f, uint64_t *at,
                         uint32_t *tid, uint64_t *from, uint64_t *to)
{
    const struct pt__del *d = &a->dels[f->del];
    *at = d->ts;
    *tid = d->tid;
    *from = *to = d->ts;
    for (uint32_t i = 0; i < f->nholders; i++)
        if (a->cands[f->holders[i].cand].h.ts < *from)
            *from = a->cands[f->holders[i].cand].h.ts;
    if (f->nvictims && pt__rep_victim_at(a, f, 0)->ts > *to)
        *to = pt__rep_victim_at(a, f, 0)->ts;
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

const struct pt__story pt__story_views = {.by_views = 1,
                                          .resource = resource_views,
                                          .why = pt__why_views,
                                          .remedy = pt__remedy_views,
                                          .text = text_views,
                                          .json = json_views,
                                          .html = pt__deletion_html,
                                          .when = when_deleted};
const struct pt__story pt__story_identities = {.by_views = 0,
                                               .resource = resource_identities,
                                               .why = why_identities,
                                               .remedy = remedy_identities,
                                               .text = text_identities,
                                               .json = json_identities,
                                               .html = pt__deletion_html,
                                               .when = when_deleted};

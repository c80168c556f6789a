/* cause.c — why two processes saw different things (the causes of docs/report-json.md): how their
 * in-use views compare and why they differ, or how their own identities differ; the names of rules
 * and causes (rules.h). Which of these a finding's cause is, from what the deleter consulted, is
 * verdict.c's; how each is told and remedied, report_story.c's. */
#include <string.h>
#include <strings.h>

#include "analyzer/model.h"

/* `Global\` names are machine-wide; `Local\` and unprefixed names live in the caller's login
 * session (documented Win32 kernel-object namespace semantics). */
static int session_local(const char *name)
{
    return name && strncasecmp(name, "Global\\", 7) != 0;
}

static int identified(const struct pt__view *v)
{
    return v->dev || v->ino;
}

enum pt__views pt__views_compare(const struct pt__view *h, const struct pt__view *d)
{
    if (!h || !d)
        return PT__VIEWS_NOT_SEEN;
    if (!identified(h) || !identified(d))
        return PT__VIEWS_UNIDENTIFIED;
    return h->dev == d->dev && h->ino == d->ino ? PT__VIEWS_SAME : PT__VIEWS_DIFFER;
}

enum pt__cause pt__view_cause(const struct pt__view *h, const struct pt__view *d)
{
    switch (pt__views_compare(h, d)) {
    case PT__VIEWS_SAME:
        return PT__C_SAME;
    case PT__VIEWS_DIFFER:
        break;
    default:
        return PT__C_UNKNOWN;
    }
    int same_name = h->name && d->name && !strcasecmp(h->name, d->name);
    if (!same_name && h->who.euid != d->who.euid)
        return PT__C_IDENTITY;
    /* A holder's view found by an attach is known by its object, not by the library's name for
     * it: the deleter's name says which namespace the library looks in. */
    const char *hname = h->prior ? d->name : h->name;
    if (session_local(hname) && session_local(d->name) && h->who.sessionid != d->who.sessionid)
        return PT__C_SESSION;
    if (h->who.ns[PT_NS_mnt] != d->who.ns[PT_NS_mnt] ||
        h->who.ns[PT_NS_ipc] != d->who.ns[PT_NS_ipc])
        return PT__C_KERNEL;
    if (h->who.euid != d->who.euid)
        return PT__C_IDENTITY;
    return PT__C_UNKNOWN; /* two objects, and nothing recorded says why */
}

enum pt__cause pt__who_cause(const struct pt__who *h, const struct pt__who *d)
{
    if (h->ns[PT_NS_mnt] != d->ns[PT_NS_mnt] || h->ns[PT_NS_ipc] != d->ns[PT_NS_ipc] ||
        h->ns[PT_NS_pid] != d->ns[PT_NS_pid])
        return PT__C_KERNEL;
    if (h->euid != d->euid)
        return PT__C_IDENTITY;
    if (h->sessionid != d->sessionid)
        return PT__C_SESSION;
    return PT__C_SAME;
}

const char *pt__cause_name(enum pt__cause c)
{
    static const char *const n[PT__C_COUNT] = {
#define CAUSE_NAME(id, name) name,
        PT_CAUSES(CAUSE_NAME)
#undef CAUSE_NAME
    };
    return (unsigned)c < PT__C_COUNT ? n[c] : "unknown";
}

const char *pt__rule_name(enum pt__rule r)
{
    static const char *const n[PT__R_COUNT] = {
#define RULE_NAME(id, name, run, after, story, severity) name,
        PT_RULES(RULE_NAME)
#undef RULE_NAME
    };
    return (unsigned)r < PT__R_COUNT ? n[r] : "?";
}

const char *pt__rule_severity(enum pt__rule r, int raised)
{
    static const char *const level[] = {"medium", "high", "critical"};
    static const char *const n[PT__R_COUNT] = {
#define RULE_SEVERITY(id, name, run, after, story, severity) severity,
        PT_RULES(RULE_SEVERITY)
#undef RULE_SEVERITY
    };
    unsigned k = 0;
    while (k < 2 && strcmp(level[k], (unsigned)r < PT__R_COUNT ? n[r] : "medium"))
        k++;
    return level[raised && k < 2 ? k + 1 : k];
}

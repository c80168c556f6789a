/* cause.c — why two processes saw different things (the causes of docs/report-json.md): their
 * in-use views, or their own identities; the names of rules and causes (rules.h); the remedy for
 * each cause. */
#include <string.h>
#include <strings.h>

#include "analyzer/model.h"

/* `Global\` names are machine-wide; `Local\` and unprefixed names live in the caller's login
 * session (documented Win32 kernel-object namespace semantics). */
static int session_local(const char *name)
{
    return name && strncasecmp(name, "Global\\", 7) != 0;
}

enum pt__cause pt__view_cause(const struct pt__view *h, const struct pt__view *d)
{
    if (!h || !d || (!h->dev && !h->ino) || (!d->dev && !d->ino))
        return PT__C_UNKNOWN;
    if (h->dev == d->dev && h->ino == d->ino)
        return PT__C_SAME;
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
    return PT__C_UNKNOWN;
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
#define RULE_NAME(id, name, run, after, story) name,
        PT_RULES(RULE_NAME)
#undef RULE_NAME
    };
    return (unsigned)r < PT__R_COUNT ? n[r] : "?";
}

const char *pt__who_remedy(enum pt__cause c)
{
    switch (c) {
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

const char *pt__view_remedy(enum pt__cause c)
{
    switch (c) {
    case PT__C_IDENTITY:
        return "the deleter ran MAPI under another account (impersonation) but used the holder's "
               "hive: its in-use list is per account, the marks are not. Fix: key the marks per "
               "account (`Deleted Profiles` + CRC32 of the account SID; MAPISIM_FIXES=sid), or "
               "load "
               "the impersonated user's own hive, or do not call MAPIInitialize while "
               "impersonating";
    case PT__C_SESSION:
        return "the in-use object is named in the session-local namespace (`Local\\` or no "
               "prefix), "
               "so each login session counts its own holders. Fix: name it in `Global\\` "
               "(MAPISIM_FIXES=global)";
    case PT__C_KERNEL:
        return "the processes agree on the name but not on the object: a private /dev/shm (mount "
               "namespace) or another IPC namespace gives each its own in-use list; neither "
               "library "
               "fix covers this. Fix: share /dev/shm and the IPC namespace with the holders, or "
               "give "
               "the contained process its own profile store";
    case PT__C_SAME:
        return "both saw the same in-use object, yet the profile was deleted: the reference count "
               "in it was wrong (a leaked or double release, or an update lost); audit the "
               "holder's MAPILogonEx / Logoff / Release pairing";
    default:
        return "the in-use views could not be compared (no file mapping was recorded inside a MAPI "
               "call for one side): record with the shim loaded from process start";
    }
}

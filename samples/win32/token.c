/* token.c — LogonUserA, ImpersonateLoggedOnUser, RevertToSelf.
 *
 * A token is an account from the password database (the password is not checked: this is a
 * simulation, not an authentication system). Impersonation changes the effective uid/gid and
 * groups of the CALLING THREAD only, as on Windows: the raw setresgid/setresuid/setgroups system
 * calls act on one thread, where the glibc wrappers would switch every thread of the process.
 * The real and saved ids stay, so RevertToSelf can switch back. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "samples/win32/winsim.h"

#define WINSIM_MAX_GROUPS 64

struct self_creds {
    int saved; /* this thread is impersonating */
    uid_t euid;
    gid_t egid;
    int ngroups;
    gid_t groups[WINSIM_MAX_GROUPS];
};

static __thread struct self_creds self;

WINADVAPI BOOL WINAPI LogonUserA(LPCSTR lpszUsername, LPCSTR lpszDomain, LPCSTR lpszPassword,
                                 DWORD dwLogonType, DWORD dwLogonProvider, PHANDLE phToken)
{
    struct passwd pw, *found = NULL;
    char buf[4096];
    struct winsim_token *t;

    if (!lpszUsername || !phToken) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return FALSE;
    }
    if (getpwnam_r(lpszUsername, &pw, buf, sizeof(buf), &found) != 0 || !found) {
        SetLastError(ERROR_LOGON_FAILURE);
        return FALSE;
    }
    t = calloc(1, sizeof(*t));
    if (!t) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    t->hdr.kind = WINSIM_TOKEN;
    t->uid = found->pw_uid;
    t->gid = found->pw_gid;
    *phToken = t;
    SetLastError(ERROR_SUCCESS);
    return TRUE;
}

static int set_ids(uid_t euid, gid_t egid, int ngroups, const gid_t *groups)
{
    /* Groups and gid first, while the thread still has the privilege to change them. */
    if (syscall(SYS_setgroups, (size_t)ngroups, groups) < 0)
        return -errno;
    if (syscall(SYS_setresgid, (gid_t)-1, egid, (gid_t)-1) < 0)
        return -errno;
    if (syscall(SYS_setresuid, (uid_t)-1, euid, (uid_t)-1) < 0)
        return -errno;
    return 0;
}

static int same_groups(int n, const gid_t *groups)
{
    gid_t now[WINSIM_MAX_GROUPS];
    int count = getgroups(WINSIM_MAX_GROUPS, now);
    return count == n && !memcmp(now, groups, (size_t)n * sizeof(gid_t));
}

/* Switches back to the thread's own ids, touching only what differs (so it also undoes a
 * half-done switch, and needs no privilege for what did not change). */
static int restore_self(void)
{
    /* Uid first: it gives back the privilege needed to restore the gid and groups. */
    if (geteuid() != self.euid && syscall(SYS_setresuid, (uid_t)-1, self.euid, (uid_t)-1) < 0)
        return -errno;
    if (getegid() != self.egid && syscall(SYS_setresgid, (gid_t)-1, self.egid, (gid_t)-1) < 0)
        return -errno;
    if (!same_groups(self.ngroups, self.groups) &&
        syscall(SYS_setgroups, (size_t)self.ngroups, self.groups) < 0)
        return -errno;
    self.saved = 0;
    return 0;
}

WINADVAPI BOOL WINAPI ImpersonateLoggedOnUser(HANDLE hToken)
{
    struct winsim_token *t = (struct winsim_token *)winsim__object(hToken, WINSIM_TOKEN);
    gid_t gid;
    int rc;

    if (!t)
        return FALSE;
    if (self.saved && restore_self() < 0) { /* impersonating already: start from ourselves */
        SetLastError(ERROR_ACCESS_DENIED);
        return FALSE;
    }
    self.euid = geteuid(); /* the thread's own ids (raw syscalls: per thread) */
    if (t->uid == self.euid && t->gid == getegid()) {
        /* Our own account: nothing to switch (and no privilege needed to "do" it). */
        self.saved = 0;
        SetLastError(ERROR_SUCCESS);
        return TRUE;
    }
    self.egid = getegid();
    self.ngroups = getgroups(WINSIM_MAX_GROUPS, self.groups);
    if (self.ngroups < 0) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return FALSE;
    }
    gid = t->gid;
    rc = set_ids(t->uid, t->gid, 1, &gid);
    if (rc < 0) {
        /* Partly switched: undo whatever did change. */
        self.saved = 1;
        restore_self();
        SetLastError(rc == -EPERM ? ERROR_PRIVILEGE_NOT_HELD : winsim__win32_from_errno(-rc));
        return FALSE;
    }
    self.saved = 1;
    SetLastError(ERROR_SUCCESS);
    return TRUE;
}

WINADVAPI BOOL WINAPI RevertToSelf(void)
{
    if (!self.saved)
        return TRUE;
    if (restore_self() < 0) {
        SetLastError(ERROR_ACCESS_DENIED);
        return FALSE;
    }
    return TRUE;
}

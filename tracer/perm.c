/* perm.c — who may read and write a trace: private directories and files, links never followed,
 * rings of other users refused unless allowed (the policy is described in perm.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/perm.h"

/* PROFTRACE_GROUP as a gid, or (gid_t)-1 when unset or unknown. Names are looked up only when the
 * value is not a number (NSS may load modules; a traced program's constructor should not need
 * that, so `record` and `collect` create the directories first). */
static gid_t perm_group(void)
{
    const char *v = getenv("PROFTRACE_GROUP");
    if (!v || !*v)
        return (gid_t)-1;
    char *end;
    unsigned long g = strtoul(v, &end, 10);
    if (!*end)
        return (gid_t)g;
    struct group gr, *res = NULL;
    char buf[4096];
    if (getgrnam_r(v, &gr, buf, sizeof buf, &res) == 0 && res)
        return res->gr_gid;
    return (gid_t)-1;
}

static int perm_allow_others(void)
{
    const char *v = getenv("PROFTRACE_ALLOW_UIDS");
    return v && *v;
}

mode_t pt_perm_file_mode(void)
{
    return perm_group() != (gid_t)-1 ? 0640 : 0600;
}

mode_t pt_perm_shared_mode(void)
{
    return perm_allow_others() ? 0666 : pt_perm_file_mode();
}

int pt_perm_open(const char *path, int flags)
{
    return open(path, flags | O_NOFOLLOW | O_CLOEXEC, pt_perm_file_mode());
}

int pt_perm_mkdir(const char *path, enum pt_perm_kind kind)
{
    gid_t gid = perm_group();
    int others = perm_allow_others();
    mode_t mode = 0700;
    if (gid != (gid_t)-1)
        mode |= 02050;
    if (others)
        mode |= kind == PT_PERM_RINGS_DIR ? 01033 : 0001;
    if (mkdir(path, 0700) == 0) {
        /* Made private first, opened up only as far as asked: no window where it is wider. */
        if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0)
            return -errno;
        if (chmod(path, mode) < 0)
            return -errno;
        return 0;
    }
    if (errno != EEXIST)
        return -errno;
    struct stat st;
    if (lstat(path, &st) < 0)
        return -errno;
    if (S_ISLNK(st.st_mode))
        return -ELOOP;
    if (!S_ISDIR(st.st_mode))
        return -ENOTDIR;
    if (st.st_uid != geteuid() && st.st_uid != 0 && !others)
        return -EPERM;
    return 0;
}

/* Is `uid` in PROFTRACE_ALLOW_UIDS (numbers or user names, separated by commas or spaces)? */
static int perm_uid_allowed(uid_t uid)
{
    const char *v = getenv("PROFTRACE_ALLOW_UIDS");
    if (!v)
        return 0;
    char item[256];
    while (*v) {
        size_t n = strcspn(v, ", ");
        if (n > 0 && n < sizeof item) {
            memcpy(item, v, n);
            item[n] = 0;
            char *end;
            unsigned long u = strtoul(item, &end, 10);
            if (!strcmp(item, "*"))
                return 1;
            if (!*end && (uid_t)u == uid)
                return 1;
            if (*end) {
                struct passwd pw, *res = NULL;
                char buf[4096];
                if (getpwnam_r(item, &pw, buf, sizeof buf, &res) == 0 && res && res->pw_uid == uid)
                    return 1;
            }
        }
        v += n;
        while (*v == ',' || *v == ' ')
            v++;
    }
    return 0;
}

int pt_perm_ring_allowed(const struct stat *st, uid_t trace_owner, char *why, size_t len)
{
    if (!S_ISREG(st->st_mode)) {
        snprintf(why, len, "not a regular file");
        return 0;
    }
    if (st->st_uid == trace_owner || st->st_uid == geteuid() || st->st_uid == 0 ||
        perm_uid_allowed(st->st_uid))
        return 1;
    snprintf(why, len,
             "ring owned by uid %u, not by the trace's owner (uid %u): refused "
             "(PROFTRACE_ALLOW_UIDS lets other users' rings in)",
             (unsigned)st->st_uid, (unsigned)trace_owner);
    return 0;
}

int pt_perm_peer_allowed(int sock, char *why, size_t len)
{
    struct ucred cr;
    socklen_t l = sizeof cr;
    if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cr, &l) < 0 || l != sizeof cr) {
        snprintf(why, len, "peer credentials unavailable: %s", strerror(errno));
        return 0;
    }
    if (cr.uid == geteuid() || cr.uid == 0 || perm_uid_allowed(cr.uid))
        return 1;
    snprintf(why, len, "peer pid %d runs as uid %u, not allowed (PROFTRACE_ALLOW_UIDS)", (int)cr.pid,
             (unsigned)cr.uid);
    return 0;
}

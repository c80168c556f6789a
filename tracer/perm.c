/* perm.c — who may read and write a trace: private directories and files, links never followed,
 * rings of other users refused unless allowed (the policy is described in perm.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
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

int pt_perm_open(const char *path, int flags)
{
    return open(path, flags | O_NOFOLLOW | O_CLOEXEC, pt_perm_file_mode());
}

/* The mode `kind` gets when created, from the environment. */
static mode_t perm_dir_mode(enum pt_perm_kind kind, gid_t gid)
{
    mode_t mode = 0700;
    if (gid != (gid_t)-1)
        mode |= 02050;
    if (perm_allow_others())
        mode |= kind == PT_PERM_RINGS_DIR ? 01033 : 0001;
    return mode;
}

/* Can users other than its owner add, remove or rename entries of a directory of this mode? For
 * rings/ the sticky bit makes creating allowed and renaming others' files not. */
static int perm_dir_open_to_others(enum pt_perm_kind kind, mode_t mode)
{
    return (mode & 022) && !(kind == PT_PERM_RINGS_DIR && (mode & S_ISVTX));
}

int pt_perm_mkdir(const char *path, enum pt_perm_kind kind, nlink_t *nlink)
{
    /* Looked at first: it exists but for the first process of a trace without a collector (one
     * system call at every other start, not a failing mkdir and then this). */
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno != ENOENT)
            return -errno;
        gid_t gid = perm_group();
        mode_t mode = perm_dir_mode(kind, gid);
        if (mkdir(path, 0700) == 0) {
            /* Made private first, opened up only as far as asked: no window where it is wider. */
            if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0)
                return -errno;
            if (chmod(path, mode) < 0)
                return -errno;
            if (nlink)
                *nlink = 2; /* empty */
            return 0;
        }
        if (errno != EEXIST || lstat(path, &st) < 0) /* EEXIST: made meanwhile by another */
            return -errno;
    }
    if (S_ISLNK(st.st_mode))
        return -ELOOP;
    if (!S_ISDIR(st.st_mode))
        return -ENOTDIR;
    /* A writer takes a directory of its own or root's; one of another user only when the trace
     * lets others in, and never as root (the owner could swap rings/ for a link and have root
     * create files where it points). */
    uid_t euid = geteuid();
    if (st.st_uid != euid && st.st_uid != 0 && (!perm_allow_others() || euid == 0))
        return -EPERM;
    if (perm_dir_open_to_others(kind, st.st_mode))
        return -EPERM;
    if (nlink)
        *nlink = st.st_nlink;
    return 0;
}

/* One directory above a trace directory: owned by root or the effective user, and writable by no
 * one else unless sticky (then others cannot rename what they do not own). */
static int perm_ancestor_ok(const char *dir, const char *path, char *why, size_t len)
{
    struct stat st;
    if (lstat(dir, &st) < 0) {
        int e = errno;
        snprintf(why, len, "%s: %s", dir, strerror(e));
        return -e;
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        snprintf(why, len,
                 "%s: refused, it is inside %s, owned by uid %u, who could replace it; use a "
                 "directory only you and root control",
                 path, dir, (unsigned)st.st_uid);
        return -EPERM;
    }
    if ((st.st_mode & 022) && !(st.st_mode & S_ISVTX)) {
        snprintf(why, len,
                 "%s: refused, it is inside %s, which other users may write (mode %04o) and so "
                 "replace it; use a directory only you and root control",
                 path, dir, (unsigned)(st.st_mode & 07777));
        return -EPERM;
    }
    return 0;
}

/* Every directory above `path` must be one nobody but root and the effective user can change: an
 * entry of a directory another user may write (without the sticky bit) or owns can be renamed
 * away and replaced. 0, or -EPERM/-errno with the reason. */
static int perm_check_ancestors(const char *path, char *why, size_t len)
{
    char parent[PATH_MAX], real[PATH_MAX];
    int rc;
    size_t n = strlen(path);
    if (n >= sizeof parent) {
        snprintf(why, len, "%s: path too long", path);
        return -ENAMETOOLONG;
    }
    memcpy(parent, path, n + 1);
    while (n > 1 && parent[n - 1] == '/')
        parent[--n] = 0;
    char *slash = strrchr(parent, '/');
    if (!slash)
        snprintf(parent, sizeof parent, ".");
    else if (slash == parent)
        parent[1] = 0;
    else
        *slash = 0;
    if (!realpath(parent, real)) {
        int e = errno;
        snprintf(why, len, "%s: %s", parent, strerror(e));
        return -e;
    }
    if ((rc = perm_ancestor_ok("/", path, why, len)) < 0)
        return rc;
    for (size_t k = 1; real[k - 1]; k++) {
        if (real[k] != '/' && real[k] != 0)
            continue;
        char c = real[k];
        real[k] = 0;
        rc = perm_ancestor_ok(real, path, why, len);
        real[k] = c;
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Create directory `name` in dirfd (or take the existing one) and open it for the collector:
 * a real directory owned by the effective user that no other user can write (but for rings/'s
 * sticky opening). 0 with *out, or a negative errno with the reason. */
static int perm_own_dir(int dirfd, const char *name, const char *shown, enum pt_perm_kind kind,
                        int *out, char *why, size_t len)
{
    gid_t gid = perm_group();
    int created = mkdirat(dirfd, name, 0700) == 0;
    if (!created && errno != EEXIST) {
        int e = errno;
        snprintf(why, len, "%s: %s", shown, strerror(e));
        return -e;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(why, len, "%s: %s", shown,
                 e == ELOOP || e == ENOTDIR ? "not a directory (a symbolic link?): refused"
                                            : strerror(e));
        return -(e == ENOTDIR ? ELOOP : e);
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        snprintf(why, len, "%s: %s", shown, strerror(errno));
    } else if (st.st_uid != geteuid()) {
        rc = -EPERM;
        snprintf(why, len,
                 "%s: owned by uid %u, not by you (uid %u): refused, its owner could forge or "
                 "delete what is collected there; use a new directory",
                 shown, (unsigned)st.st_uid, (unsigned)geteuid());
    } else if (!created && perm_dir_open_to_others(kind, st.st_mode)) {
        rc = -EPERM;
        snprintf(why, len,
                 "%s: other users may write it (mode %04o): refused, they could forge or delete "
                 "what is collected there",
                 shown, (unsigned)(st.st_mode & 07777));
    } else if (created && ((gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0) ||
                           fchmod(fd, perm_dir_mode(kind, gid)) < 0)) {
        rc = -errno;
        snprintf(why, len, "%s: %s", shown, strerror(errno));
    }
    if (rc) {
        close(fd);
        return rc;
    }
    *out = fd;
    return 0;
}

int pt_perm_trace_open(const char *path, int *dfd, int *rfd, char *why, size_t len)
{
    char shown[PATH_MAX + 8];
    int rc = perm_check_ancestors(path, why, len);
    if (rc < 0)
        return rc;
    if ((rc = perm_own_dir(AT_FDCWD, path, path, PT_PERM_TRACE_DIR, dfd, why, len)) < 0)
        return rc;
    snprintf(shown, sizeof shown, "%s/rings", path);
    if ((rc = perm_own_dir(*dfd, "rings", shown, PT_PERM_RINGS_DIR, rfd, why, len)) < 0) {
        close(*dfd);
        *dfd = -1;
        return rc;
    }
    return 0;
}

int pt_perm_trace_dir(const char *path, char *why, size_t len)
{
    int dfd, rfd;
    int rc = pt_perm_trace_open(path, &dfd, &rfd, why, len);
    if (rc == 0) {
        close(dfd);
        close(rfd);
    }
    return rc;
}

const char *pt_perm_fd_path(int fd, char *buf, size_t len)
{
    snprintf(buf, len, "/proc/self/fd/%d", fd);
    return buf;
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

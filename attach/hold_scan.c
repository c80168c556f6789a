/* hold_scan.c — what a process holds at the moment proftrace attaches, read from /proc from the
 * outside, while its threads are stopped: the holds that began before the trace did.
 *
 *  - /proc/PID/fd: each open directory is a `key` (a registry key handle is one); a directory
 *    whose parent is named `Profiles` is also the `session` of a MAPI profile (the documented
 *    place of profiles in the registry: HKCU\...\Windows Messaging Subsystem\Profiles\<name>;
 *    a MAPI session keeps its profile's key open) — nothing of the library's own memory is read;
 *    each open regular file is a `file`;
 *  - /proc/PID/maps: each shared mapping of a file is a `map`, or `shm` for a POSIX shared-memory
 *    object (an in-use list such as the profile library's is one), `sysv` for a SysV segment
 *    (its inode number is the shmid);
 * Identities come from stat() through /proc/PID/fd/N and /proc/PID/map_files/ (the very object,
 * in any mount namespace), else from the path under /proc/PID/root, else from what maps says.
 * Deleted objects are left out (nothing can delete them any more), and so is everything under the
 * trace directory (the shim's own ring).
 *
 * Doing this from outside, rather than in the shim, takes no descriptor in the process (a number
 * the program would get next) and reads /proc with none of its threads running. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach/internal.h"

static uint32_t add_str(struct pt__holds *h, const char *s)
{
    if (!s || !*s)
        return 0;
    size_t n = strlen(s) + 1;
    if (h->slen + n > h->scap) {
        size_t cap = h->scap ? 2 * h->scap : 4096;
        while (cap < h->slen + n)
            cap *= 2;
        char *p = realloc(h->str, cap);
        if (!p)
            return 0;
        h->str = p;
        h->scap = cap;
    }
    if (!h->slen) /* offset 0 is the empty string */
        h->str[h->slen++] = 0;
    uint32_t off = (uint32_t)h->slen;
    memcpy(h->str + h->slen, s, n);
    h->slen += n;
    return off;
}

static int add(struct pt__holds *h, enum pt_prior_kind kind, const char *name, const char *path,
               uint64_t dev, uint64_t ino, uint64_t handle, uint64_t size)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        struct pt_attach_hold *p = realloc(h->h, cap * sizeof *p);
        if (!p)
            return -ENOMEM;
        h->h = p;
        h->cap = cap;
    }
    struct pt_attach_hold *x = &h->h[h->n++];
    memset(x, 0, sizeof *x);
    x->kind = kind;
    x->name_off = add_str(h, name);
    x->path_off = add_str(h, path);
    x->dev = dev;
    x->ino = ino;
    x->handle = handle;
    x->size = size;
    return 0;
}

void pt__holds_free(struct pt__holds *h)
{
    free(h->h);
    free(h->str);
    memset(h, 0, sizeof *h);
}

static int under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return n && !strncmp(path, dir, n) && (path[n] == '/' || path[n] == 0);
}

/* "…/Profiles/NAME": the profile's name, else NULL. Its marks (`Deleted Profiles…`) are not
 * profiles, and a key whose parent is the marks key is a mark. */
static const char *profile_of(const char *path, char *name, size_t len)
{
    const char *last = strrchr(path, '/');
    if (!last || last == path || !last[1])
        return NULL;
    const char *p = last - 1;
    while (p > path && *p != '/')
        p--;
    size_t plen = (size_t)(last - p - 1);
    if (plen != 8 || strncasecmp(p + 1, "Profiles", 8) ||
        !strncasecmp(last + 1, "Deleted Profiles", 16))
        return NULL;
    snprintf(name, len, "%s", last + 1);
    return name;
}

static void scan_fds(pid_t pid, const char *skip_dir, struct pt__holds *h)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        int fd = atoi(de->d_name);
        char link[96], target[4096], name[256];
        snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (n <= 0 || target[0] != '/')
            continue; /* sockets, pipes, anonymous inodes */
        target[n] = 0;
        if (n > 10 && !strcmp(target + n - 10, " (deleted)"))
            continue;
        if (under(target, skip_dir))
            continue;
        struct stat st;
        if (stat(link, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            add(h, PT_PRIOR_key, NULL, target, st.st_dev, st.st_ino, (uint64_t)fd, 0);
            if (profile_of(target, name, sizeof name))
                add(h, PT_PRIOR_session, name, target, st.st_dev, st.st_ino, (uint64_t)fd, 0);
        } else if (S_ISREG(st.st_mode)) {
            add(h, PT_PRIOR_file, NULL, target, st.st_dev, st.st_ino, (uint64_t)fd, 0);
        }
    }
    closedir(d);
}

static void scan_maps(pid_t pid, const char *skip_dir, struct pt__holds *h)
{
    struct pt__vma *v;
    size_t n;
    if (pt__maps_read(pid, &v, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        struct pt__vma *m = &v[i];
        if (m->perms[3] != 's' || m->path[0] != '/')
            continue; /* private or anonymous memory */
        /* One hold per run of adjacent lines of the same object (a mapping split by mprotect). */
        uint64_t hi = m->hi;
        size_t j = i + 1;
        while (j < n && v[j].lo == hi && v[j].ino == m->ino && v[j].dev == m->dev &&
               v[j].perms[3] == 's' && !strcmp(v[j].path, m->path))
            hi = v[j++].hi;
        char path[600];
        snprintf(path, sizeof path, "%s", m->path);
        size_t pl = strlen(path);
        int deleted = pl > 10 && !strcmp(path + pl - 10, " (deleted)");
        if (deleted)
            path[pl - 10] = 0;
        if (!strncmp(path, "/SYSV", 5)) { /* a SysV segment: shown deleted, its inode its shmid */
            add(h, PT_PRIOR_sysv, NULL, path, 0, m->ino, m->lo, hi - m->lo);
        } else if (!deleted && !under(path, skip_dir)) {
            struct stat st;
            char link[600];
            snprintf(link, sizeof link, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, m->lo,
                     m->hi);
            uint64_t dev = m->dev, ino = m->ino;
            if (stat(link, &st) == 0) {
                dev = st.st_dev, ino = st.st_ino;
            } else {
                snprintf(link, sizeof link, "/proc/%d/root%s", (int)pid, path);
                if (stat(link, &st) == 0 && st.st_ino == m->ino)
                    dev = st.st_dev;
            }
            add(h, !strncmp(path, "/dev/shm/", 9) ? PT_PRIOR_shm : PT_PRIOR_map, NULL, path, dev,
                ino, m->lo, hi - m->lo);
        }
        i = j - 1;
    }
    free(v);
}

int pt__holds_scan(pid_t pid, const char *skip_dir, struct pt__holds *out)
{
    memset(out, 0, sizeof *out);
    scan_fds(pid, skip_dir, out);
    scan_maps(pid, skip_dir, out);
    return 0;
}

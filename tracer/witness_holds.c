/* witness_holds.c — finds what a traced process holds on a filesystem (open files and
 * directories — a registry key handle is an open directory —, shared file mappings — a POSIX
 * shared-memory object is a mapped /dev/shm file) and has them watched: a directory with what is
 * under it, a file alone.
 *
 * Paths are taken as the process sees them and reached through /proc/PID/root, so a private
 * /dev/shm in another mount namespace is watched as the process's, not as the collector's. Pseudo
 * filesystems, the trace directory (every traced process holds its ring there), O_PATH
 * descriptors (anchors, not holds) and private mappings (programs and libraries) are left out.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "proftrace/ring.h"
#include "tracer/witness_internal.h"

static int skipped(const char *p, const char *tracedir)
{
    static const char *const pseudo[] = {"/proc", "/sys", "/dev/pts", "/dev/null", "/dev/tty",
                                         "/dev/zero", "/dev/urandom", "/dev/random", "/dev/ptmx",
                                         "/dev/console"};
    if (p[0] != '/')
        return 1; /* pipe:[..], socket:[..], anon_inode:.. */
    size_t n = strlen(p);
    if (n > 10 && !strcmp(p + n - 10, " (deleted)"))
        return 1; /* already gone: nothing left to see deleted */
    if (!strncmp(p, "/memfd:", 7) || !strncmp(p, "/SYSV", 5))
        return 1; /* no name on a filesystem (SysV is the SysV scan's) */
    for (unsigned i = 0; i < sizeof pseudo / sizeof pseudo[0]; i++) {
        size_t l = strlen(pseudo[i]);
        if (!strncmp(p, pseudo[i], l) && (p[l] == '/' || p[l] == 0))
            return 1;
    }
    size_t t = tracedir ? strlen(tracedir) : 0;
    return t && !strncmp(p, tracedir, t) && (p[t] == '/' || p[t] == 0);
}

/* Watch `path` as process pid sees it. */
static int watch_held(struct pt__wfan *f, pid_t pid, const char *path, int *fs, int *dirs)
{
    char where[PATH_MAX + 64];
    int fm, dm;
    if (snprintf(where, sizeof where, "/proc/%d/root%s", (int)pid, path) >= (int)sizeof where)
        return -ENAMETOOLONG;
    int rc = pt__wfan_watch(f, where, &fm, &dm);
    *fs += fm;
    *dirs += dm;
    return rc;
}

/* Read /proc file `path` whole into *buf (grown as needed, NUL-terminated): its length, or -1.
 * One read per buffer-full, no stdio: a maps file is read for every process the witness watches. */
static ssize_t slurp(const char *path, char **buf, size_t *cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    for (;;) {
        if (*cap - len < 4096) {
            size_t nc = *cap ? 2 * *cap : 16384;
            char *p = realloc(*buf, nc);
            if (!p)
                break;
            *buf = p;
            *cap = nc;
        }
        ssize_t n = read(fd, *buf + len, *cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (!*buf)
        return -1;
    (*buf)[len] = 0;
    return (ssize_t)len;
}

/* Was descriptor fd of pid opened with O_PATH? Such a descriptor holds nothing (the shim's start-up
 * parks hundreds of them on "/" for a moment): it is no reason to watch what it names. */
static int path_only(pid_t pid, const char *fd)
{
    char p[320], buf[512];
    snprintf(p, sizeof p, "/proc/%d/fdinfo/%s", (int)pid, fd);
    int f = open(p, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return 1; /* gone meanwhile */
    ssize_t n = read(f, buf, sizeof buf - 1);
    close(f);
    if (n <= 0)
        return 1;
    buf[n] = 0;
    const char *l = strstr(buf, "flags:");
    return l && (strtoul(l + 6, NULL, 8) & O_PATH);
}

/* One line of /proc/PID/maps, "start-end perms offset maj:min inode   path": the device, inode
 * and path of a shared file mapping (perms "rw-s"), else 0. The line is cut at its end. */
static int shared_mapping(char *line, unsigned *maj, unsigned *min, unsigned long long *ino,
                          char **path)
{
    char *p = strchr(line, ' '); /* the range */
    if (!p || strlen(p) < 5 || p[4] != 's')
        return 0; /* private: programs and libraries, the bulk of every maps file */
    p = strchr(p + 1, ' '); /* perms */
    p = p ? strchr(p + 1, ' ') : NULL; /* offset */
    if (!p)
        return 0;
    char *end;
    *maj = (unsigned)strtoul(p + 1, &end, 16);
    if (*end != ':')
        return 0;
    *min = (unsigned)strtoul(end + 1, &end, 16);
    *ino = strtoull(end, &end, 10);
    while (*end == ' ')
        end++;
    *path = end;
    return 1;
}

/* PROCMAP_QUERY (Linux 6.11; not in older headers, hence spelled here as the kernel's uapi has
 * it): one ioctl on an open maps file returns the next mapping that has the flags asked for,
 * with its device, inode and name. Asked for shared file mappings only, it skips the bulk of a
 * maps file (the program and its libraries, private) without the kernel formatting a line and a
 * path for each: a traced process's maps is some 35 lines, 2 of them shared (its ring and the
 * holds table), and this scan runs for every ring that appears. */
struct pt__procmap_query {
    uint64_t size, query_flags, query_addr;
    uint64_t vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
    uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
    uint64_t vma_name_addr, build_id_addr;
};
#define PT__PROCMAP_QUERY _IOWR('f', 17, struct pt__procmap_query)
#define PT__PROCMAP_SHARED 0x08     /* PROCMAP_QUERY_VMA_SHARED: VM_MAYSHARE, the 's' of maps */
#define PT__PROCMAP_NEXT 0x10       /* PROCMAP_QUERY_COVERING_OR_NEXT_VMA */
#define PT__PROCMAP_FILE 0x20       /* PROCMAP_QUERY_FILE_BACKED_VMA */

/* The shared file mappings of the maps file open as mfd, each noted and watched as the maps lines
 * below are: the number watched, or -1 when this kernel has no PROCMAP_QUERY or a query failed
 * otherwise than at the end (then the file is read, and what was noted already is noted again). */
static int shared_mappings_query(struct pt__wfan *f, pid_t pid, int mfd, const char *tracedir,
                                 int *fs, int *dirs)
{
    char name[PATH_MAX];
    int watched = 0;
    for (uint64_t addr = 0;;) {
        struct pt__procmap_query q = {
            .size = sizeof q,
            .query_flags = PT__PROCMAP_NEXT | PT__PROCMAP_FILE | PT__PROCMAP_SHARED,
            .query_addr = addr,
            .vma_name_size = sizeof name,
            .vma_name_addr = (uint64_t)(uintptr_t)name,
        };
        if (ioctl(mfd, PT__PROCMAP_QUERY, &q) < 0)
            return errno == ENOENT ? watched : -1; /* ENOENT: none past addr */
        addr = q.vma_end;
        name[sizeof name - 1] = 0;
        if (!q.vma_name_size || skipped(name, tracedir))
            continue;
        char mf[96]; /* the mapped object itself, as its descriptor would name it */
        snprintf(mf, sizeof mf, "/proc/%d/map_files/%llx-%llx", (int)pid,
                 (unsigned long long)q.vma_start, (unsigned long long)q.vma_end);
        pt__wfan_note_held(f, makedev(q.dev_major, q.dev_minor), q.inode, pt_now(), 0,
                           PT__WHELD_SCAN, pt__wfan_handle_id(mf));
        if (watch_held(f, pid, name, fs, dirs) == 0)
            watched++;
    }
}

int pt__wholds_scan(struct pt__wfan *f, pid_t pid, const char *tracedir, int *fs, int *dirs)
{
    char dpath[64], link[PATH_MAX];
    int watched = 0;

    /* open files and directories */
    snprintf(dpath, sizeof dpath, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(dpath);
    if (!d)
        return -errno;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        char fdp[320];
        snprintf(fdp, sizeof fdp, "%s/%s", dpath, de->d_name);
        ssize_t n = readlink(fdp, link, sizeof link - 1);
        if (n <= 0)
            continue;
        link[n] = 0;
        struct stat st;
        if (skipped(link, tracedir) || stat(fdp, &st) < 0 ||
            !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) || path_only(pid, de->d_name))
            continue;
        pt__wfan_note_held(f, st.st_dev, st.st_ino, pt_now(), S_ISDIR(st.st_mode),
                           PT__WHELD_SCAN, pt__wfan_handle_id(fdp));
        if (watch_held(f, pid, link, fs, dirs) == 0)
            watched++;
    }
    closedir(d);

    /* shared file mappings (an object may be mapped with its descriptor closed) */
    snprintf(dpath, sizeof dpath, "/proc/%d/maps", (int)pid);
    int mfd = open(dpath, O_RDONLY | O_CLOEXEC);
    if (mfd >= 0) {
        int n = shared_mappings_query(f, pid, mfd, tracedir, fs, dirs);
        close(mfd);
        if (n >= 0)
            return watched + n;
    }
    char *maps = NULL;
    size_t maps_cap = 0;
    if (slurp(dpath, &maps, &maps_cap) < 0) {
        free(maps);
        return watched;
    }
    for (char *line = maps, *next; *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        else
            next = line + strlen(line);
        unsigned maj, min;
        unsigned long long ino;
        char *p, mf[96];
        if (!shared_mapping(line, &maj, &min, &ino, &p) || skipped(p, tracedir))
            continue;
        /* the range ("start-end") names the mapped object in map_files */
        snprintf(mf, sizeof mf, "/proc/%d/map_files/%.*s", (int)pid, (int)strcspn(line, " "), line);
        pt__wfan_note_held(f, makedev(maj, min), ino, pt_now(), 0, PT__WHELD_SCAN,
                           pt__wfan_handle_id(mf));
        if (watch_held(f, pid, p, fs, dirs) == 0)
            watched++;
    }
    free(maps);
    return watched;
}

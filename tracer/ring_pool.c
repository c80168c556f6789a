/* ring_pool.c — ring files the collector prepares ahead, taken by starting processes.
 *
 * Why. Creating a file is the dearest part of a traced process's start on a disk file system: on
 * ext4 without a journal, for one, the inode allocator walks past every inode of the group freed in
 * the last seconds (and a collector used to free one ring per process): from 0.1 to more than 1 ms
 * per create on a busy machine. Sizing the file and backing its first pages cost more system calls.
 * The collector does that ahead, off the processes' path, for a few files kept in rings/.pool, and
 * gives the rings of ended processes back to the pool instead of removing them.
 *
 * Names. rings/.pool/<ring version>-<uid>-<nbufs>-<packet shift>-<packets shift>.<slot>: a
 * process takes only a file made for its own effective uid and for exactly its layout (buffer size
 * and count: what its PROFTRACE_BUFSIZE and PROFTRACE_THREADS give), and tries every slot, from
 * one its pid picks, so that processes starting together try different ones first. The directory is the
 * collector's, mode 0700: no other user can reach it (they create their own rings, as before).
 *
 * A prepared file is a ring file with nothing written yet: sized, its first pages (the header, the
 * claim table, buffer 0's control page and first packets: pt__ring_layout's first_end) backed with
 * zeros, the rest a hole. A new one is made unnamed (O_TMPFILE) and linked into its slot only once
 * complete, so a slot never holds half a file, and a collector killed meanwhile leaves nothing.
 *
 * Taking one. A process renames a slot's file to a name of its own in .pool,
 * ".<pid>-<instance>.tmp": the rename is atomic, so one process gets each file and the others find
 * the slot empty and try the next. It writes the header there and renames the file to its final
 * .ring name in rings/, as it does with a file it created itself: readers and the collector never
 * see a ring before its header is complete, and never look into .pool. Nothing watches .pool: the
 * collector is woken by the new ring only, once per process.
 *
 * Where. .pool is made so that the file system places it apart from the trace directory
 * (inode_home.c): the inodes of the files made there come from a group where nothing was freed
 * lately. The collector makes its stream files there too (unnamed, then linked into the trace),
 * and a process that finds no file to take creates its own there, under its taker's name.
 *
 * Giving back. A ring the collector has drained whole, whose writer is gone, goes back into a free
 * slot (pt__pool_recycle) once the kernel says nothing else has it open or mapped: moved out of
 * rings/, emptied, prepared again. So a steady stream of short processes neither creates nor frees
 * a file each. Which slots are free is looked at again after a new ring appeared (it may have
 * come from one). When the pool is less than half full (a burst of starts) and the collector has
 * nothing else to do, it makes new files. Leftovers are removed when the collection ends
 * (pt_collector_close); a collector that starts on a directory keeps the files still right for it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/inode_home.h"
#include "tracer/perm.h"
#include "tracer/ring_pool.h"

/* A starting process tries every slot (PT__POOL_SLOTS) before creating its own file. A failed try
 * is one rename that finds no name (a microsecond or two); a process that creates its own file pays
 * for the creation, and the collector, finding the pool full when that ring ends, removes it: every
 * inode freed so makes each later creation in its group on that disk slower for a minute (ext4
 * without a journal skips recently freed inodes one by one). A shell's fork child and its exec
 * start from the same slot; with 3 tries, 1 start in 10 to 45 of a shell loop created its own file.
 */
#define RETRY_NS 1000000000ull /* after a failure to make a file */
#define RECYCLING "recycling"  /* a ring being made a prepared file: not a slot's name */

/* The prefix of the files of layout L for user `uid`: "<version>-<uid>-<nbufs>-<s>-<n>." */
static void pool_prefix(char *buf, size_t len, const struct pt__ring_layout *L, unsigned uid)
{
    snprintf(buf, len, "%u-%u-%u-%u-%u.", PT__RING_VERSION, uid, L->nbufs, L->sub_shift,
             L->nsub_shift);
}

int pt__pool_claim(const char *rings, const struct pt__ring_layout *L, uint32_t pid,
                   uint64_t instance, char *tmp, size_t len, struct stat *st)
{
    char prefix[96], src[PATH_MAX];
    uid_t euid = geteuid();
    pool_prefix(prefix, sizeof prefix, L, (unsigned)euid);
    if (snprintf(tmp, len, "%s/" PT__POOL_DIR "/.%u-%016llx.tmp", rings, (unsigned)pid,
                 (unsigned long long)instance) >= (int)len)
        return -1;
    unsigned k0 = pid % PT__POOL_SLOTS, i;
    for (i = 0; i < PT__POOL_SLOTS; i++) {
        if (snprintf(src, sizeof src, "%s/" PT__POOL_DIR "/%s%u", rings, prefix,
                     (k0 + i) % PT__POOL_SLOTS) >= (int)sizeof src)
            return -1;
        if (rename(src, tmp) == 0)
            break;
        if (errno != ENOENT)
            return -1; /* not ours to take (EACCES), or no such place: create one */
    }
    if (i == PT__POOL_SLOTS)
        return -1;
    /* O_NOATIME: the byte read that wakes the collector must not dirty the inode. */
    int fd = pt_perm_open(tmp, O_RDWR | O_NOATIME);
    if (fd >= 0 && fstat(fd, st) == 0 && S_ISREG(st->st_mode) && st->st_uid == euid &&
        (uint64_t)st->st_size == L->file_size && st->st_nlink == 1)
        return fd;
    if (fd >= 0)
        close(fd);
    unlink(tmp); /* taken out of the pool: ours to remove */
    return -1;
}

/* ---- The collector's side ------------------------------------------------------------------ */

/* A prepared file of the pool's layout in slot k, as fstatat shows it. */
static int pool_file_ok(const struct pt__pool *p, const struct stat *st)
{
    return S_ISREG(st->st_mode) && st->st_uid == geteuid() && st->st_nlink == 1 &&
           (uint64_t)st->st_size == p->L.file_size;
}

/* Which slot of the pool's layout `name` is, or -1 for a name of another layout or user. */
static int pool_slot(const struct pt__pool *p, const char *name)
{
    char prefix[96], *end;
    pool_prefix(prefix, sizeof prefix, &p->L, (unsigned)geteuid());
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) || name[n] < '0' || name[n] > '9')
        return -1;
    unsigned long k = strtoul(name + n, &end, 10);
    return *end || k >= PT__POOL_SLOTS ? -1 : (int)k;
}

/* The name of slot k of the pool's layout. */
static void pool_name(const struct pt__pool *p, unsigned k, char *buf, size_t len)
{
    char prefix[96];
    pool_prefix(prefix, sizeof prefix, &p->L, (unsigned)geteuid());
    snprintf(buf, len, "%s%u", prefix, k);
}

/* Whether `name` is a slot's name, of any layout or user. */
static int pool_slot_name(const char *name)
{
    unsigned v, u, n, a, b, k;
    int end = 0;
    return sscanf(name, "%u-%u-%u-%u-%u.%u%n", &v, &u, &n, &a, &b, &k, &end) == 6 && !name[end];
}

/* Whether `name` is a taker's own name (".<pid>-<instance>.tmp") whose process is gone: a process
 * killed between taking a file and publishing its ring. One still running keeps it. */
static int pool_dead_taker(const char *name)
{
    unsigned pid;
    unsigned long long inst;
    int end = 0;
    if (sscanf(name, ".%u-%16llx.tmp%n", &pid, &inst, &end) != 2 || name[end] || !pid)
        return 0;
    return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* Remove what is not a prepared file of the pool's layout (all: every slot's file) — never the
 * file a running process is taking —, and note which slots hold one. */
static void pool_sweep(struct pt__pool *p, int all)
{
    int fd = openat(p->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* fdopendir owns it */
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    p->full = 0;
    for (struct dirent *de; (de = readdir(d));) {
        const char *n = de->d_name;
        if (pool_slot_name(n)) {
            int k = all ? -1 : pool_slot(p, n);
            struct stat st;
            if (k >= 0 && fstatat(p->fd, n, &st, AT_SYMLINK_NOFOLLOW) == 0 && pool_file_ok(p, &st))
                p->full |= 1u << k;
            else
                unlinkat(p->fd, n, 0);
        } else if (!strcmp(n, RECYCLING) || pool_dead_taker(n)) {
            unlinkat(p->fd, n, 0);
        }
    }
    closedir(d);
    p->stale = 0;
}

/* Which slots hold a file now (processes take them without telling). */
static void pool_count(struct pt__pool *p)
{
    char name[128];
    struct stat st;
    p->full = 0;
    for (unsigned k = 0; k < PT__POOL_SLOTS; k++) {
        pool_name(p, k, name, sizeof name);
        if (fstatat(p->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            p->full |= 1u << k;
    }
    p->stale = 0;
}

int pt__pool_open(struct pt__pool *p, int rfd, size_t buf_bytes, unsigned nbufs)
{
    memset(p, 0, sizeof *p);
    p->fd = -1;
    int rc = pt__ring_layout(buf_bytes, nbufs, &p->L);
    if (rc < 0)
        return rc;
    /* Placed apart (inode_home.c): the collector's stream files take their inodes there too. */
    if (pt__mkdir_spread(rfd, PT__POOL_DIR, 0700) < 0 && errno != EEXIST)
        return -errno;
    int fd = openat(rfd, PT__POOL_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    /* Ours and private: a starting process of this user takes what is in it for a ring. */
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 077)) {
        close(fd);
        return -EPERM;
    }
    p->fd = fd;
    pool_sweep(p, 0);
    return 0;
}

void pt__pool_layout(struct pt__pool *p, size_t buf_bytes, unsigned nbufs)
{
    struct pt__ring_layout L;
    if (p->fd < 0 || pt__ring_layout(buf_bytes, nbufs, &L) < 0)
        return;
    p->L = L;
    pool_sweep(p, 0);
}

void pt__pool_taken(struct pt__pool *p)
{
    p->stale = 1;
}

/* Size the unnamed or not-yet-published file fd as a prepared file: [0, first_end) backed with
 * zeros, as the writer would (ring.c: the blocks are allocated or the disk refuses now, and the
 * pages sit in the page cache for its prefault), the rest a hole. 0 or a negative errno. */
static int pool_prepare(const struct pt__pool *p, int fd)
{
    if (ftruncate(fd, (off_t)p->L.file_size) < 0)
        return -errno;
    return pt__write_zeros(fd, 0, p->L.first_end);
}

/* Make the prepared file of slot k: 0, or a negative errno. */
static int pool_make(struct pt__pool *p, unsigned k)
{
    char name[128], link[64];
    pool_name(p, k, name, sizeof name);
    struct stat st;
    if (fstatat(p->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (pool_file_ok(p, &st))
            return 0; /* there already (an overflow made us forget) */
        unlinkat(p->fd, name, 0);
    }
    /* Unnamed until complete: a slot never holds half a file, nor does a collector killed
     * meanwhile leave one. */
    int fd = openat(p->fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, pt_perm_file_mode());
    if (fd < 0)
        return -errno;
    int rc = pool_prepare(p, fd);
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    if (rc == 0 && linkat(AT_FDCWD, link, p->fd, name, AT_SYMLINK_FOLLOW) < 0)
        rc = -errno;
    close(fd); /* unlinked unless linked: nothing is left behind */
    return rc;
}

int pt__pool_recycle(struct pt__pool *p, int rfd, const char *name, int fd)
{
    const uint32_t all = (1u << PT__POOL_SLOTS) - 1;
    struct stat st;
    if (p->fd >= 0 && p->stale)
        pool_count(p);
    if (p->fd < 0 || p->full == all || fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        st.st_uid != geteuid() || st.st_nlink != 1)
        return 0;
    /* Out of rings/ first: from here no reader can open it by name. Then a write lease, which the
     * kernel grants only when no other open file and no mapping of it exists anywhere (a reader
     * that opened it before, a child the writer forked without the shim knowing): only then is it
     * ours alone to rewrite. */
    if (renameat(rfd, name, p->fd, RECYCLING) < 0)
        return 0;
    if (fcntl(fd, F_SETLEASE, F_WRLCK) < 0)
        goto drop;
    (void)fcntl(fd, F_SETLEASE, F_UNLCK);
    /* Emptied, then prepared as new: nothing of the old process is left. Its blocks past the
     * prepared range are freed by punching a hole, not by truncating to 0 (ext4 then writes a
     * rewritten file back at close, as it does for a file replaced in place); those in the range
     * are overwritten with zeros. */
    if ((st.st_size > (off_t)p->L.first_end &&
         fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)p->L.first_end,
                   st.st_size - (off_t)p->L.first_end) < 0) ||
        pool_prepare(p, fd) < 0 ||
        ((st.st_mode & 07777) != pt_perm_file_mode() && fchmod(fd, pt_perm_file_mode()) < 0))
        goto drop;
    for (unsigned k = 0; k < PT__POOL_SLOTS; k++) {
        if (p->full & (1u << k))
            continue;
        char slot[128];
        pool_name(p, k, slot, sizeof slot);
        if (renameat2(p->fd, RECYCLING, p->fd, slot, RENAME_NOREPLACE) == 0) {
            p->full |= 1u << k;
            return 1;
        }
        if (errno != EEXIST)
            break;
        p->full |= 1u << k; /* taken and given back meanwhile */
    }
drop:
    unlinkat(p->fd, RECYCLING, 0);
    return 1;
}

void pt__pool_fill(struct pt__pool *p)
{
    if (p->fd < 0 || pt_now() < p->retry_at)
        return;
    if (p->stale)
        pool_count(p);
    /* Only below half full: the rings of processes that end refill it without a file made (the
     * processes running now took the rest); a burst of starts empties it, and files are made. */
    if (__builtin_popcount(p->full) >= (int)PT__POOL_SLOTS / 2)
        return;
    for (unsigned k = 0; k < PT__POOL_SLOTS; k++) {
        if (p->full & (1u << k))
            continue;
        if (pool_make(p, k) < 0) {
            p->retry_at = pt_now() + RETRY_NS; /* a full disk, no O_TMPFILE here...: later */
            return;
        }
        p->full |= 1u << k;
    }
}

void pt__pool_close(struct pt__pool *p, int rfd)
{
    if (p->fd < 0)
        return;
    pool_sweep(p, 1);
    close(p->fd);
    p->fd = -1;
    /* Left when a process is taking a file now: it publishes its ring, then .pool stays empty. */
    unlinkat(rfd, PT__POOL_DIR, AT_REMOVEDIR);
}

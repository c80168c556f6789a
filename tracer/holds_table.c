/* holds_table.c — opening, checking and updating a holds table (format and protocol in
 * holds_table.h). Used by the shim, which must never block or allocate here, and the collector. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/holds_table.h"
#include "tracer/perm.h"

static uint32_t hash2(uint64_t a, uint64_t b)
{
    uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull) * 0xc2b2ae3d27d4eb4full;
    h ^= h >> 29;
    return (uint32_t)h;
}

void pt__htab_want(struct pt__holds_hdr *h, uint32_t uid)
{
    memset(h, 0, sizeof *h);
    memcpy(h->magic, PT__HOLDS_MAGIC, 8);
    h->version = PT__HOLDS_VERSION;
    h->endian = 0x01020304u;
    h->header_size = sizeof *h;
    h->nowners = PT__HOLDS_NOWNERS;
    h->owner_size = sizeof(struct pt__holds_owner);
    h->nentries = PT__HOLDS_NENTRIES;
    h->entry_size = sizeof(struct pt__holds_entry);
    h->window = PT__HOLDS_WINDOW;
    h->owners_off = PT__HOLDS_OWNERS_OFF;
    h->entries_off = PT__HOLDS_ENTRIES_OFF;
    h->lock_off = PT__HOLDS_LOCK_OFF;
    h->file_size = PT__HOLDS_FILE_SIZE;
    h->uid = uid;
    h->bell_off = PT__HOLDS_BELL_OFF;
    h->pagegen_off = PT__HOLDS_PAGEGEN_OFF;
    h->npages = PT__HOLDS_PAGES;
    h->covered_off = PT__HOLDS_COVERED_OFF;
    h->ncovered = PT__HOLDS_NCOVERED;
}

int pt__htab_check_hdr(const struct pt__holds_hdr *h, uint32_t uid, char *why, size_t len)
{
    struct pt__holds_hdr want;
    pt__htab_want(&want, uid);
    if (!memcmp(h, &want, PT__HOLDS_HDR_CONST))
        return 0;
    if (memcmp(h->magic, want.magic, 8))
        snprintf(why, len, "not a holds table (bad magic at byte 0)");
    else if (h->version != want.version)
        snprintf(why, len, "holds table version %u, this build reads version %u", h->version,
                 want.version);
    else if (h->uid != uid)
        snprintf(why, len, "header says uid %u, the table is uid %u's", h->uid, uid);
    else
        snprintf(why, len, "header does not describe this build's layout");
    return -EPROTO;
}

int pt__htab_name_uid(const char *name, uint32_t *uid)
{
    size_t p = sizeof PT__HOLDS_PREFIX - 1;
    if (strncmp(name, PT__HOLDS_PREFIX, p) || !name[p] || strlen(name + p) > 10)
        return 0;
    unsigned long long v = 0;
    for (const char *c = name + p; *c; c++) {
        if (*c < '0' || *c > '9')
            return 0;
        v = v * 10 + (unsigned)(*c - '0');
    }
    if (v >= 0xffffffffull || (name[p] == '0' && name[p + 1]))
        return 0;
    *uid = (uint32_t)v;
    return 1;
}

int pt__htab_open(int rings_fd, uint32_t uid, int flags, char *why, size_t len)
{
    char name[32];
    struct stat st;
    snprintf(name, sizeof name, PT__HOLDS_PREFIX "%u", uid);
    for (int attempt = 0;; attempt++) {
        const int oflags = O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
        int fd = openat(rings_fd, name, oflags);
        if (fd < 0 && errno == ENOENT && (flags & PT__HT_CREATE)) {
            fd = openat(rings_fd, name, oflags | O_CREAT | O_EXCL, pt_perm_file_mode());
            if (fd < 0 && errno == EEXIST && attempt < 3)
                continue; /* another process created it meanwhile: take theirs */
        }
        if (fd < 0) {
            int e = errno;
            snprintf(why, len, "%s: %s", name,
                     e == ELOOP ? "a symbolic link: refused" : strerror(e));
            return -e;
        }
        int rc = 0;
        if (fstat(fd, &st) < 0) {
            rc = -errno;
            snprintf(why, len, "%s: %s", name, strerror(errno));
        } else if (!S_ISREG(st.st_mode)) {
            rc = -EINVAL;
            snprintf(why, len, "%s: not a regular file: refused", name);
        } else if (st.st_uid != uid) {
            close(fd);
            /* Planted by another user where this user's table belongs; whoever owns rings/ may
             * remove it (sticky directory) and make the real one. */
            if ((flags & PT__HT_REPLACE) && attempt < 3 && unlinkat(rings_fd, name, 0) == 0)
                continue;
            snprintf(why, len, "%s: owned by uid %u, not by uid %u: refused (planted?)", name,
                     (unsigned)st.st_uid, (unsigned)uid);
            return -EPERM;
        } else if (st.st_nlink != 1) {
            rc = -EPERM;
            snprintf(why, len, "%s: has %lu links: refused", name, (unsigned long)st.st_nlink);
        } else if (st.st_mode & 022) {
            /* One of this user's, made wider (an old version made them 0666): narrow it. A wider
             * table of someone else is refused: another user could have written it. */
            if (uid != (uint32_t)geteuid() || fchmod(fd, pt_perm_file_mode()) < 0) {
                rc = -EPERM;
                snprintf(why, len, "%s: writable by other users (mode %04o): refused", name,
                         (unsigned)(st.st_mode & 07777));
            }
        }
        if (!rc && (uint64_t)st.st_size != PT__HOLDS_FILE_SIZE) {
            /* Sized by its creator; a racing opener finds 0 and sizes it the same. Backed on disk
             * at once: a page the writers fill later would raise SIGBUS in a traced program once
             * the trace's disk is full (a table that does not fit is refused instead). */
            if (st.st_size == 0 && uid == (uint32_t)geteuid()) {
                int e = fallocate(fd, 0, 0, (off_t)PT__HOLDS_FILE_SIZE) < 0 ? errno : 0;
                if (e == EOPNOTSUPP) /* a filesystem that cannot: sparse, as before */
                    e = ftruncate(fd, (off_t)PT__HOLDS_FILE_SIZE) < 0 ? errno : 0;
                if (e) {
                    if (e == ENOSPC && ftruncate(fd, 0) < 0)
                        e = errno;
                    rc = -e;
                    snprintf(why, len, "%s: %s", name, strerror(e));
                }
            } else {
                rc = -EPROTO;
                snprintf(why, len, "%s: %lld bytes, this build's tables are %llu: refused", name,
                         (long long)st.st_size, (unsigned long long)PT__HOLDS_FILE_SIZE);
            }
        }
        if (rc) {
            close(fd);
            return rc;
        }
        return fd;
    }
}

int pt__htab_map(struct pt__htab *t, int fd, uint32_t uid)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    void *m = mmap(NULL, PT__HOLDS_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        return -errno;
    struct pt__holds_hdr *h = m, want;
    pt__htab_want(&want, uid);
    /* Every opener writes the same constant header: racing initialisers agree byte for byte. The
     * magic goes last, so that a reader who sees it sees the rest. */
    if (!__atomic_load_n((uint64_t *)(void *)h->magic, __ATOMIC_ACQUIRE)) {
        uint64_t magic;
        memcpy((char *)h + 8, (char *)&want + 8, PT__HOLDS_HDR_CONST - 8);
        memcpy(&magic, want.magic, 8);
        __atomic_store_n((uint64_t *)(void *)h->magic, magic, __ATOMIC_RELEASE);
    } else if (memcmp(h, &want, PT__HOLDS_HDR_CONST)) {
        munmap(m, PT__HOLDS_FILE_SIZE);
        return -EPROTO; /* another version's table: leave it alone */
    }
    memset(t, 0, sizeof *t);
    t->fd = fd;
    t->fd_dev = (uint64_t)st.st_dev;
    t->fd_ino = (uint64_t)st.st_ino;
    t->map = m;
    t->hdr = h;
    t->owners = (struct pt__holds_owner *)((char *)m + PT__HOLDS_OWNERS_OFF);
    t->entries = (struct pt__holds_entry *)((char *)m + PT__HOLDS_ENTRIES_OFF);
    t->pagegen = (uint32_t *)((char *)m + PT__HOLDS_PAGEGEN_OFF);
    t->covered = (uint64_t *)((char *)m + PT__HOLDS_COVERED_OFF);
    t->uid = uid;
    return 0;
}

void pt__htab_close(struct pt__htab *t)
{
    if (t->map)
        munmap(t->map, PT__HOLDS_FILE_SIZE);
    if (t->fd >= 0)
        close(t->fd);
    memset(t, 0, sizeof *t);
    t->fd = -1;
}

static int lock_byte(int fd, int cmd, uint32_t idx, pid_t *holder)
{
    struct flock fl = {.l_type = F_WRLCK,
                       .l_whence = SEEK_SET,
                       .l_start = (off_t)(PT__HOLDS_LOCK_OFF + idx),
                       .l_len = 1};
    if (fcntl(fd, cmd, &fl) < 0)
        return -errno;
    if (holder)
        *holder = fl.l_type == F_UNLCK ? 0 : fl.l_pid > 0 ? fl.l_pid : 0;
    return cmd == F_GETLK ? (fl.l_type != F_UNLCK) : 0;
}

int pt__htab_claim(struct pt__htab *t, uint32_t pid, uint64_t start_time)
{
    /* From a slot of its own, not from 0: with n owners alive a claim from 0 tries n locks first
     * (a system call each, at every traced start); from a scattered one, about one. */
    uint32_t first = hash2(pid, start_time) % PT__HOLDS_NOWNERS;
    for (uint32_t k = 0; k < PT__HOLDS_NOWNERS; k++) {
        uint32_t i = (first + k) % PT__HOLDS_NOWNERS;
        if (lock_byte(t->fd, F_SETLK, i, NULL) < 0)
            continue;
        struct pt__holds_owner *o = &t->owners[i];
        t->gen = __atomic_add_fetch(&o->gen, 1, __ATOMIC_ACQ_REL);
        o->pid = pid;
        o->start_time = start_time;
        t->owner = i + 1;
        return 0;
    }
    t->owner = 0;
    return -ENOSPC;
}

int pt__htab_lock_alive(int fd, uint32_t owner, pid_t *pid)
{
    if (!owner || owner > PT__HOLDS_NOWNERS)
        return 0;
    return lock_byte(fd, F_GETLK, owner - 1, pid) == 1;
}

int pt__htab_alive(const struct pt__htab *t, uint32_t owner, uint32_t gen, pid_t *pid)
{
    if (pid)
        *pid = 0;
    if (!owner || owner > PT__HOLDS_NOWNERS)
        return 0;
    if (__atomic_load_n(&t->owners[owner - 1].gen, __ATOMIC_ACQUIRE) != gen)
        return 0;
    if (owner == t->owner)
        return 1; /* our own lock does not show in F_GETLK */
    return pt__htab_lock_alive(t->fd, owner, pid);
}

int pt__htab_add(struct pt__htab *t, const struct pt__hold *h)
{
    uint32_t home = hash2(h->dev, h->ino) % PT__HOLDS_NENTRIES, slot = UINT32_MAX;
    for (int pass = 0; pass < 2 && slot == UINT32_MAX; pass++)
        for (uint32_t k = 0; k < PT__HOLDS_WINDOW; k++) {
            uint32_t i = (home + k) % PT__HOLDS_NENTRIES;
            struct pt__holds_entry *e = &t->entries[i];
            uint32_t st = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
            /* Second pass: reclaim entries of dead owners (system calls; the window was full). */
            if (st == PT__HE_READY && pass == 1 && !pt__htab_alive(t, e->owner, e->gen, NULL)) {
                if (__atomic_compare_exchange_n(&e->state, &st, PT__HE_BUSY, 0, __ATOMIC_ACQ_REL,
                                                __ATOMIC_RELAXED)) {
                    slot = i;
                    break;
                }
                continue;
            }
            uint32_t free_ = PT__HE_FREE;
            if (st == PT__HE_FREE &&
                __atomic_compare_exchange_n(&e->state, &free_, PT__HE_BUSY, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED)) {
                slot = i;
                break;
            }
        }
    if (slot == UINT32_MAX)
        return -1;
    struct pt__holds_entry *e = &t->entries[slot];
    e->dev = h->dev;
    e->ino = h->ino;
    e->owner = t->owner;
    e->gen = t->gen;
    e->kind = h->kind;
    e->pid = h->pid;
    e->uid = h->uid;
    e->t_begin = h->t_begin;
    memset(e->name, 0, sizeof e->name);
    if (h->name) {
        size_t n = strlen(h->name);
        const char *tail = n >= sizeof e->name ? h->name + n - (sizeof e->name - 1) : h->name;
        memcpy(e->name, tail, strlen(tail));
    }
    __atomic_store_n(&e->state, PT__HE_READY, __ATOMIC_RELEASE);
    __atomic_add_fetch(&t->pagegen[slot / PT__HOLDS_PER_PAGE], 1, __ATOMIC_RELEASE);
    return (int)slot;
}

void pt__htab_remove(struct pt__htab *t, uint32_t slot)
{
    if (slot >= PT__HOLDS_NENTRIES)
        return;
    struct pt__holds_entry *e = &t->entries[slot];
    if (__atomic_load_n(&e->owner, __ATOMIC_RELAXED) != t->owner ||
        __atomic_load_n(&e->gen, __ATOMIC_RELAXED) != t->gen)
        return;
    __atomic_store_n(&e->state, PT__HE_FREE, __ATOMIC_RELEASE);
    __atomic_add_fetch(&t->pagegen[slot / PT__HOLDS_PER_PAGE], 1, __ATOMIC_RELEASE);
    __atomic_add_fetch(&t->hdr->ends, 1, __ATOMIC_RELEASE);
}

void pt__htab_ring(struct pt__htab *t, uint64_t dev)
{
    __atomic_add_fetch(&t->hdr->seq, 1, __ATOMIC_SEQ_CST);
    for (uint32_t k = 0; k < PT__HOLDS_NCOVERED; k++)
        if (dev && __atomic_load_n(&t->covered[k], __ATOMIC_RELAXED) == dev)
            return; /* watched already: the witness reads us before it judges a deletion there */
    if (__atomic_load_n(&t->hdr->waiting, __ATOMIC_RELAXED) != 1 ||
        __atomic_exchange_n(&t->hdr->waiting, 0, __ATOMIC_SEQ_CST) != 1)
        return; /* the witness is busy (it reads seq again before it waits), absent, or rung */
    int saved = errno;
    struct stat st;
    /* The program may have closed our descriptor and got its number back for a file of its own:
     * then the bell would write into that file. Ring only our table. */
    if (fstat(t->fd, &st) == 0 && (uint64_t)st.st_dev == t->fd_dev &&
        (uint64_t)st.st_ino == t->fd_ino) {
        static const char zero;
        ssize_t n = pwrite(t->fd, &zero, 1, PT__HOLDS_BELL_OFF);
        (void)n;
    }
    errno = saved;
}

int pt__htab_find_other(const struct pt__htab *t, uint64_t dev, uint64_t ino,
                        struct pt__holds_entry *out)
{
    uint32_t home = hash2(dev, ino) % PT__HOLDS_NENTRIES;
    for (uint32_t k = 0; k < PT__HOLDS_WINDOW; k++) {
        const struct pt__holds_entry *e = &t->entries[(home + k) % PT__HOLDS_NENTRIES];
        if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) != PT__HE_READY)
            continue;
        memcpy(out, e, sizeof *out); /* checked from here on: the table may change under us */
        out->name[sizeof out->name - 1] = 0;
        if (out->dev != dev || out->ino != ino || out->owner == t->owner)
            continue;
        if (pt__htab_alive(t, out->owner, out->gen, NULL))
            return 1;
    }
    return 0;
}

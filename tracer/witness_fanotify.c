/* witness_fanotify.c — sees deletions on the watched filesystems with fanotify and says who made
 * them.
 *
 * Design
 * ------
 * One fanotify group reporting directory-entry events by file handle and name
 * (FAN_REPORT_DFID_NAME, plus the deleted object's own handle with FAN_REPORT_TARGET_FID and a
 * pidfd of the deleter with FAN_REPORT_PIDFD where the kernel has them). A watched path marks its
 * whole filesystem (FAN_MARK_FILESYSTEM: every directory, present and future, so a registry hive
 * of nested key directories is covered), or, where the filesystem cannot be marked whole, that
 * directory alone. Only deletions under a watched directory are recorded: a filesystem like / sees
 * many deletions nobody holds anything in.
 *
 * Draining a batch: (1) read every pending report, and set aside those surely of nothing held or
 * watched (by the object's and its directory's identity, else by the directory's path when it can
 * still be named): a marked filesystem reports every deletion of every process on it, and a busy
 * machine makes thousands a second; (2) at once, read each remaining deleter's identity while its
 * pidfd says it still runs — this is the race the witness must win; for a deleter already gone,
 * take its identity from the exec cache; (3) name each directory: open its handle and read the
 * path back from /proc/self/fd. A directory that was itself removed in the same `rm -r` can no
 * longer be opened, so a cache maps handles to paths: the batch is resolved from its last report
 * to its first, and the removal of a directory (which comes after those of its entries) teaches
 * the cache its path before the entries need it; (4) record in the kernel's order.
 *
 * Held by its number only. A report is read after the deletion, and meanwhile the freed inode
 * number may have gone to a new file a traced process just began to hold: that deletion was of
 * nobody's file. The kernel says which, in its own order, with FAN_DELETE_SELF: an object's inode
 * goes when its last reference does. A file nobody holds dies inside the unlink, so its
 * DELETE_SELF comes just BEFORE its DELETE; a file some process still has open or mapped outlives
 * its name, and its DELETE_SELF comes later, when that process lets go (closes, unmaps, exits) —
 * maybe before the witness got to read either report, which is why nothing looked at when the
 * report is judged (the object's handle, the holds tables) can tell the two apart. So:
 *   - an object that died first was nobody's: set aside (`reused`);
 *   - one whose DELETE_SELF comes later in the batch outlived its name, held by whoever let go
 *     last (the DELETE_SELF's pid): when that is a traced process, it was held — else (another
 *     process, the witness itself naming a directory) its number may have gone, since, to the new
 *     file of a traced hold: set aside;
 *   - one whose DELETE_SELF is not in a batch that emptied the queue was alive when the batch
 *     was read: a number held since before then was its own; so is one still there now.
 * A held number whose object the kernel says died is forgotten once the batch is judged: the next
 * object to get it is nobody's until a hold of it is read (a hold already over when first read
 * does not keep it) — and so is a deletion or rename of that number, or of an entry of a directory
 * with it, that the batch has after the death (even a batch with an overflow: what was queued is in
 * order). The deletion of an entry of a held directory is judged so by
 * the directory: its number too may be a new directory's, created and held after the entry's
 * directory was removed (another process's `rm -rf`, read late); a directory some process held dies
 * when that process lets go, one nobody held dies at its removal, and its DELETE_SELF names who let
 * go. The holds tables are read again once a batch is read, before any of it is judged: every hold
 * published before a deletion in the batch (so before the batch was read) is known then, however
 * long the witness's thread waited between its reads. A number a scan of /proc found held carries
 * the handle of what the scan found (handle_id: the inode's generation with its number): the
 * scan may have run before the death of that very object, read later (kept()), and a later object
 * with the number, another handle, is not the one held (may_be_held()).
 * In a batch that stopped before the queue was empty (it is as large as the buffers allow) the
 * deleted handle says whether the object is still alive (then the held number is its own); when
 * it is gone, its DELETE_SELF is queued by now, in a later batch: what the batch read from that
 * deletion on waits for the next batch, read at once (`carried`: identity and directory known, its
 * event kept at the head of the buffer, judged and recorded in the kernel's order). Only for a
 * batch whose reports the kernel could not all queue (an overflow) is the handle alone believed,
 * which cannot tell a holder that let go since from a reused number; after MAX_WAITS batches
 * without its DELETE_SELF a deletion is set aside.
 *
 * When. A report carries no time, and the witness reads it late — on a busy machine after the
 * holder has let go or exited, which its own trace records. Stamped when read, such a deletion
 * would come after the end of the very hold it removed, and its victim (the holder's next call
 * on the object) before it. So a deletion of something held is dated by what is known of it: not
 * before the last read that found the queue empty (`since`: the report was queued after it), not
 * before its hold was known to be live (the hold's publication, or the scan that found it), not
 * before its deleter was born — the latest of these, never after the deletion itself. The exact
 * moment lies between that date and the read; the deletion is never dated after a hold that was
 * live when it happened ended. A deleter the witness knows to be traced is the exception: its own
 * trace has the deletion at the call, and the witness's copy, stamped when read, must come after
 * the deleter's first event so that the analyzer merges it away (witness_core.c).
 *
 * Physical identity: the device is the watched filesystem's st_dev; the inode number is read out of
 * the file handle with a layout learned per filesystem type and checked, when the filesystem is
 * first watched, against the handle and inode of the watched directory (ino 0 when unknown).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "proftrace/ring.h"
#include "tracer/ring_pool.h"
#include "tracer/witness_internal.h"

#ifndef FAN_REPORT_TARGET_FID
#define FAN_REPORT_TARGET_FID 0x00001000
#endif
#ifndef FAN_REPORT_PIDFD
#define FAN_REPORT_PIDFD 0x00000080
#endif
#ifndef FAN_RENAME
#define FAN_RENAME 0x10000000
#endif
#ifndef FAN_EVENT_INFO_TYPE_PIDFD
#define FAN_EVENT_INFO_TYPE_PIDFD 4
#endif
#ifndef FAN_EVENT_INFO_TYPE_OLD_DFID_NAME
#define FAN_EVENT_INFO_TYPE_OLD_DFID_NAME 10
#define FAN_EVENT_INFO_TYPE_NEW_DFID_NAME 12
#endif
#ifndef FAN_MARK_IGNORE
#define FAN_MARK_IGNORE 0x00000400
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

#define MAX_FS 64
#define SEEN_SLOTS 4096u
#define HELD_MIN 1024u /* first size of the held set (a power of two) */
#define MAX_DIRS 4096
#define CACHE_SLOTS 4096u
#define ASIDE_SLOTS 4096u /* directories whose deletions are set aside */
#define KEY_MAX 136 /* fsid + handle_bytes + handle_type + up to 120 handle bytes */
#define BATCH_BYTES (256 * 1024)
#define MAX_REPS 1024
#define READ_BYTES 16384
#define MEMO 8 /* deleters and directories remembered within a batch */
#define MAX_WAITS 64   /* batches a deletion may wait for its object's DELETE_SELF (the kernel
                        * queue, 16384 reports by default, is 20 or so) */
#define NAMED_PROBES 16 /* slots looked at for a DELETE of a held number in `named` */
#define MAX_BATCHES 16 /* batches one drain reads while they fill the buffers */
#define MAX_FREED 64   /* held numbers freed in one batch that later reports are checked against */
#define GONE_SLOTS                                                                                 \
    1024u /* objects whose DELETE_SELF (or DELETE) was read in this batch or the                   \
           * last */

/* Where the inode number sits in a file handle of one filesystem: 32-bit words lo and hi (-1: the
 * number has 32 bits) of handles of type htype. */
struct layout {
    int htype, lo, hi;
};

struct fs {
    int32_t fsid[2];
    uint64_t dev;
    int mount_fd; /* descriptor of a directory on it, for open_by_handle_at */
    int whole;    /* marked with FAN_MARK_FILESYSTEM */
    struct layout lay;
};

/* A watched directory (its subtree) or file (that entry only: holding a file in a directory is no
 * reason to watch its siblings). */
struct dir {
    int fs;
    int exact;    /* a file: only this path */
    char *prefix; /* as /proc/self/fd names it */
    size_t len;
    uint64_t ino;
};

struct cslot {
    uint32_t klen;
    unsigned char key[KEY_MAX];
    char *path;
};

struct held {
    uint64_t dev, ino; /* ino 0: free */
    uint64_t seen;     /* the latest time it was known to be held (pt_now()), 0 unknown */
    uint64_t first;    /* the earliest */
    uint64_t live;     /* the latest publication of a table's hold that still was when read */
    uint64_t scan;     /* the latest time a scan of /proc found it held (0: none did) */
    uint64_t hid;      /* the handle (handle_id) of the object that scan found, 0 unknown: the
                        * number may have gone to another object since, which its handle (the
                        * inode's generation) tells apart */
    int dir;           /* a directory: deletions of its entries count (a number a file had
                        * may be a directory's now, and the reverse) */
};

/* An object the kernel said died (FAN_DELETE_SELF) or lost a name (FAN_DELETE: rep says which
 * report of the batch), in batch `batch`. */
struct gone {
    uint32_t klen, batch, rep;
    int32_t pid; /* a DELETE_SELF's: the process that let go of the object last */
    unsigned char key[KEY_MAX];
};

/* A directory none of whose entries is held or watched, as of generation gen. */
struct aside {
    uint32_t klen, gen;
    int tracedir; /* the trace directory or one of its own (counted: pt_witness_stats) */
    unsigned char key[KEY_MAX];
};

struct pt__wfan {
    int fd;
    char ignore[PATH_MAX]; /* the trace directory: traced processes create and rename rings there */
    size_t ignore_len;
    struct held *held; /* objects traced processes hold, and watched directories: an open-
                        * addressing set of nheld in cap slots (a power of two), grown at half */
    size_t nheld, cap;
    char *seen[SEEN_SLOTS]; /* paths already watched, so rescans of held objects are cheap */
    unsigned init_flags;
    uint64_t mask;
    struct fs fs[MAX_FS];
    unsigned nfs;
    struct dir dir[MAX_DIRS];
    unsigned ndirs;
    struct cslot *cache; /* CACHE_SLOTS */
    struct aside *aside; /* ASIDE_SLOTS; valid while their gen is aside_gen */
    uint32_t aside_gen;  /* bumped when what is watched changes, or a directory moves */
    struct gone *gone;   /* GONE_SLOTS: DELETE_SELF reports */
    struct gone *named;  /* GONE_SLOTS: DELETE reports of this batch */
    uint32_t batch;      /* batches read (the first is 1) */
    int selves;          /* FAN_DELETE_SELF is in the marks' mask: the kernel orders deaths */
    uint64_t since;      /* pt_now() before the last read that found no report */
    unsigned ncarry;     /* reports carried to the next batch: at the head of rep and buf */
    size_t carry_bytes;  /* ... their events' bytes */
    unsigned char *buf;  /* BATCH_BYTES */
    struct rep *rep;     /* MAX_REPS */
};

/* One report of a batch, pointing into the read buffer. */
struct rep {
    const unsigned char *ev;                  /* its event in the buffer (maybe misaligned) */
    uint32_t ev_len;                          /* ... and its length */
    unsigned carried;                         /* batches it waited (identity, directory known) */
    uint64_t mask;
    int32_t pid;
    int pidfd;
    const struct fanotify_event_info_fid *dfid, *fid, *newdfid; /* dir, object, rename target dir */
    const char *name, *newname;
    int skip;                  /* surely of nothing held or watched: no identity, not recorded */
    int self;                  /* a FAN_DELETE_SELF: only says when its object died */
    int died;                  /* its object's DELETE_SELF came first: it died with its name */
    int stale;                 /* its handle named nothing any more when it was judged */
    int frees;                 /* a DELETE_SELF of a held number's object (order_deaths) */
    int reborn;                /* its object's number was freed earlier in the batch: a new one */
    int dir_reborn;            /* ... its directory's */
    int released;              /* ... came later in the batch: it outlived its name, until */
    int32_t releaser;          /* ... this process let go of it */
    char dirpath[PATH_MAX];    /* resolved, or "" */
    char newdirpath[PATH_MAX]; /* for renames */
    struct pt__wident who;
};

/* ---- file handles ------------------------------------------------------------------------------ */

static struct file_handle *fid_handle(const struct fanotify_event_info_fid *f)
{
    return (struct file_handle *)f->handle;
}

static const char *fid_name(const struct fanotify_event_info_fid *f)
{
    struct file_handle *h = fid_handle(f);
    return (const char *)h->f_handle + h->handle_bytes;
}

static uint32_t make_key(const int32_t fsid[2], const struct file_handle *h, unsigned char *key)
{
    uint32_t n = h->handle_bytes > KEY_MAX - 16 ? KEY_MAX - 16 : h->handle_bytes;
    memcpy(key, fsid, 8);
    memcpy(key + 8, &h->handle_bytes, 4);
    memcpy(key + 12, &h->handle_type, 4);
    memcpy(key + 16, h->f_handle, n);
    return 16 + n;
}

static uint32_t key_hash(const unsigned char *k, uint32_t n)
{
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ k[i]) * 16777619u;
    return h;
}

/* A file handle with room for any filesystem's. */
union any_handle {
    struct file_handle h;
    char raw[sizeof(struct file_handle) + MAX_HANDLE_SZ];
};

/* The handle of `path` (from dirfd, with name_to_handle_at's flags) into *u: 0, or -1. */
static int read_handle(int dirfd, const char *path, int flags, union any_handle *u)
{
    int mnt;
    u->h.handle_bytes = MAX_HANDLE_SZ;
    return name_to_handle_at(dirfd, path, &u->h, &mnt, flags);
}

/* The identity of the object of handle h on its filesystem (the inode number and its
 * generation, which a reused number does not share): never 0. */
static uint64_t handle_id(const struct file_handle *h)
{
    uint64_t x = 14695981039346656037ull;
    const unsigned char *p = h->f_handle;
    uint32_t n = h->handle_bytes > MAX_HANDLE_SZ ? MAX_HANDLE_SZ : h->handle_bytes;
    x = (x ^ (uint32_t)h->handle_type) * 1099511628211ull;
    for (uint32_t i = 0; i < n; i++)
        x = (x ^ p[i]) * 1099511628211ull;
    return x ? x : 1;
}

uint64_t pt__wfan_handle_id(const char *path)
{
    union any_handle u;
    if (read_handle(AT_FDCWD, path, AT_SYMLINK_FOLLOW, &u) < 0)
        return 0;
    return handle_id(&u.h);
}

static void cache_put(struct pt__wfan *f, const int32_t fsid[2], const struct file_handle *h,
                      const char *path)
{
    unsigned char key[KEY_MAX];
    uint32_t n = make_key(fsid, h, key);
    struct cslot *s = &f->cache[key_hash(key, n) % CACHE_SLOTS];
    if (s->path && s->klen == n && !memcmp(s->key, key, n) && !strcmp(s->path, path))
        return;
    char *p = strdup(path);
    if (!p)
        return;
    free(s->path);
    s->path = p;
    s->klen = n;
    memcpy(s->key, key, n);
}

static const char *cache_get(struct pt__wfan *f, const int32_t fsid[2], const struct file_handle *h)
{
    unsigned char key[KEY_MAX];
    uint32_t n = make_key(fsid, h, key);
    struct cslot *s = &f->cache[key_hash(key, n) % CACHE_SLOTS];
    return s->path && s->klen == n && !memcmp(s->key, key, n) ? s->path : NULL;
}

static uint64_t handle_ino(const struct fs *fs, const struct file_handle *h)
{
    const struct layout *l = &fs->lay;
    uint32_t words = h->handle_bytes / 4, w[32];
    if (l->htype < 0 || h->handle_type != l->htype || (unsigned)l->lo >= words ||
        (l->hi >= 0 && (unsigned)l->hi >= words))
        return 0;
    memcpy(w, h->f_handle, (words > 32 ? 32 : words) * 4);
    return (uint64_t)w[l->lo] | (l->hi >= 0 ? (uint64_t)w[l->hi] << 32 : 0);
}

/* Learn where the inode number sits in this filesystem's handles from the handle and inode of one
 * directory; the known layouts are tried first, the learned one must reproduce the inode. */
static void learn_layout(struct fs *fs, long ftype, int dfd, uint64_t ino)
{
    union any_handle u;
    fs->lay.htype = -1;
    if (read_handle(dfd, "", AT_EMPTY_PATH, &u) < 0)
        return;
    struct layout tries[3] = {
        ftype == TMPFS_MAGIC ? (struct layout){u.h.handle_type, 1, 2}
                             : (struct layout){u.h.handle_type, 0, -1}, /* FILEID_INO32_GEN */
        {u.h.handle_type, 0, 1},                                           /* 64-bit first */
        {u.h.handle_type, 1, -1},
    };
    for (unsigned i = 0; i < 3; i++) {
        fs->lay = tries[i];
        if (handle_ino(fs, &u.h) == ino)
            return;
    }
    fs->lay.htype = -1; /* unknown: inode numbers are reported as 0 */
}

/* ---- what watched processes hold ---------------------------------------------------------------- */

static size_t held_home(uint64_t dev, uint64_t ino, size_t cap)
{
    uint64_t h = (dev * 0x9e3779b97f4a7c15ull) ^ (ino * 0xc2b2ae3d27d4eb4full);
    return (size_t)(h >> 17) & (cap - 1);
}

static void held_put(struct held *set, size_t cap, const struct held *h)
{
    for (size_t i = held_home(h->dev, h->ino, cap);; i = (i + 1) & (cap - 1))
        if (!set[i].ino || (set[i].dev == h->dev && set[i].ino == h->ino)) {
            set[i].dev = h->dev;
            set[i].ino = h->ino;
            if (h->seen > set[i].seen)
                set[i].seen = h->seen;
            if (h->first && (!set[i].first || h->first < set[i].first))
                set[i].first = h->first;
            if (h->live > set[i].live)
                set[i].live = h->live; /* a new hold's, or one moved as the set grows */
            if (h->scan >= set[i].scan && h->hid)
                set[i].hid = h->hid; /* the object the latest scan found */
            if (h->scan > set[i].scan)
                set[i].scan = h->scan;
            set[i].dir |= h->dir;
            return;
        }
}

static struct held *find_held(struct pt__wfan *f, uint64_t dev, uint64_t ino)
{
    if (!ino || !f->cap)
        return NULL;
    for (size_t i = held_home(dev, ino, f->cap);; i = (i + 1) & (f->cap - 1)) {
        if (!f->held[i].ino)
            return NULL;
        if (f->held[i].dev == dev && f->held[i].ino == ino)
            return &f->held[i];
    }
}

static int is_held(struct pt__wfan *f, uint64_t dev, uint64_t ino)
{
    return find_held(f, dev, ino) != NULL;
}

static int is_held_dir(struct pt__wfan *f, uint64_t dev, uint64_t ino)
{
    const struct held *h = find_held(f, dev, ino);
    return h && h->dir;
}

/* Does the deleted object of handle `fid` exist no more (its inode freed, its number perhaps
 * another file's already)? The handle carries the inode's generation, which a reused number does
 * not have: ESTALE. A deleted file some process still has open or mapped resolves — but one whose
 * holder let go of it since the deletion does not either: only for a batch that may lack the
 * DELETE_SELF reports (see the essay). */
static int generation_gone(const struct fs *fs, const struct fanotify_event_info_fid *fid)
{
    if (fs->mount_fd < 0)
        return 0;
    int fd = open_by_handle_at(fs->mount_fd, fid_handle(fid), O_PATH | O_CLOEXEC);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    return errno == ESTALE;
}

void pt__wfan_note_held(struct pt__wfan *f, uint64_t dev, uint64_t ino, uint64_t seen, int dir,
                        int how, uint64_t hid)
{
    struct held add = {.dev = dev,
                       .ino = ino,
                       .seen = seen,
                       .first = seen,
                       .live = how == PT__WHELD_TABLE ? seen : 0,
                       .scan = how == PT__WHELD_SCAN ? seen : 0,
                       .hid = how == PT__WHELD_SCAN ? hid : 0,
                       .dir = dir != 0};
    struct held *h = find_held(f, dev, ino);
    if (h) {
        if (seen > h->seen)
            h->seen = seen;
        if (add.live > h->live)
            h->live = add.live;
        if (add.scan >= h->scan && add.hid)
            h->hid = add.hid;
        if (add.scan > h->scan)
            h->scan = add.scan;
        if (seen && (!h->first || seen < h->first))
            h->first = seen;
        h->dir |= add.dir;
        return;
    }
    if (!ino)
        return;
    if (2 * (f->nheld + 1) > f->cap) {
        size_t cap = f->cap ? 2 * f->cap : HELD_MIN;
        struct held *set = calloc(cap, sizeof *set);
        if (!set)
            return; /* not remembered: its deletion counts only inside a watched directory */
        for (size_t i = 0; i < f->cap; i++)
            if (f->held[i].ino)
                held_put(set, cap, &f->held[i]);
        free(f->held);
        f->held = set;
        f->cap = cap;
    }
    held_put(f->held, f->cap, &add);
    f->nheld++;
}

/* Its name is gone: once its last holder lets go, its inode number may be given to a new object,
 * which must not be taken for held. (Backward-shift deletion keeps every probe chain whole.) */
static void forget_held(struct pt__wfan *f, uint64_t dev, uint64_t ino)
{
    if (!ino || !f->cap)
        return;
    size_t i = held_home(dev, ino, f->cap);
    while (f->held[i].ino && !(f->held[i].dev == dev && f->held[i].ino == ino))
        i = (i + 1) & (f->cap - 1);
    if (!f->held[i].ino)
        return;
    for (size_t j = (i + 1) & (f->cap - 1); f->held[j].ino; j = (j + 1) & (f->cap - 1)) {
        size_t home = held_home(f->held[j].dev, f->held[j].ino, f->cap);
        /* j may move into the hole at i when its home is not in (i, j] (cyclically) */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            f->held[i] = f->held[j];
            i = j;
        }
    }
    f->held[i].ino = 0;
    f->held[i].dev = 0;
    f->held[i].seen = f->held[i].first = f->held[i].live = f->held[i].scan = f->held[i].hid = 0;
    f->held[i].dir = 0;
    f->nheld--;
}

unsigned pt__wfan_covered(const struct pt__wfan *f, uint64_t *devs, unsigned max)
{
    unsigned n = 0;
    if (!(f->init_flags & FAN_REPORT_TARGET_FID))
        return 0;
    for (unsigned k = 0; k < f->nfs && n < max; k++)
        if (f->fs[k].whole && f->fs[k].dev)
            devs[n++] = f->fs[k].dev;
    return n;
}

int pt__wfan_covers(const struct pt__wfan *f, uint64_t dev)
{
    if (!(f->init_flags & FAN_REPORT_TARGET_FID))
        return 0; /* without the deleted object's own handle, only watched paths count */
    for (unsigned k = 0; k < f->nfs; k++)
        if (f->fs[k].dev == dev && f->fs[k].whole)
            return 1;
    return 0;
}

/* ---- setup -------------------------------------------------------------------------------------- */

/* fanotify names the deleter only to a listener with CAP_SYS_ADMIN in the initial user namespace
 * (an unprivileged group is told pid 0 for other processes' events): check that first, so the
 * reason given is the real one. 0, or -EPERM with the reason. */
static int check_privilege(char *why, size_t whylen)
{
    char buf[4096];
    unsigned long long a = 1, b = 1, c = 0, cap = 0;
    FILE *fp = fopen("/proc/self/uid_map", "re");
    if (fp) {
        int n = fscanf(fp, "%llu %llu %llu", &a, &b, &c);
        fclose(fp);
        if (n != 3 || a != 0 || b != 0 || c != 4294967295ull) {
            snprintf(why, whylen,
                     "the collector runs in a user namespace: fanotify reports who deletes only "
                     "with CAP_SYS_ADMIN in the initial user namespace");
            return -EPERM;
        }
    }
    fp = fopen("/proc/self/status", "re");
    if (fp) {
        while (fgets(buf, sizeof buf, fp))
            if (sscanf(buf, "CapEff: %llx", &cap) == 1)
                break;
        fclose(fp);
        if (!(cap & (1ull << 21))) {
            snprintf(why, whylen,
                     "fanotify reports who deletes only with CAP_SYS_ADMIN, which the collector "
                     "lacks: run it as root");
            return -EPERM;
        }
    }
    return 0;
}

int pt__wfan_open(struct pt__wfan **out, char *why, size_t whylen)
{
    static const unsigned tries[] = {
        FAN_REPORT_DFID_NAME | FAN_REPORT_FID | FAN_REPORT_TARGET_FID | FAN_REPORT_PIDFD,
        FAN_REPORT_DFID_NAME | FAN_REPORT_FID | FAN_REPORT_TARGET_FID,
        FAN_REPORT_DFID_NAME | FAN_REPORT_PIDFD,
        FAN_REPORT_DFID_NAME,
    };
    int fd = -1, err = 0;
    unsigned flags = 0;
    if (check_privilege(why, whylen) < 0)
        return -EPERM;
    for (unsigned i = 0; i < sizeof tries / sizeof tries[0]; i++) {
        flags = tries[i];
        fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | flags,
                           O_RDONLY | O_LARGEFILE | O_CLOEXEC);
        if (fd >= 0)
            break;
        err = errno;
        if (err == EPERM) {
            snprintf(why, whylen,
                     "fanotify needs CAP_SYS_ADMIN in the initial user namespace to report who "
                     "deletes: run the collector as root");
            return -EPERM;
        }
        if (err == ENOSYS) {
            snprintf(why, whylen, "this kernel has no fanotify (CONFIG_FANOTIFY)");
            return -ENOSYS;
        }
    }
    if (fd < 0) {
        snprintf(why, whylen, "fanotify cannot report deletions by name on this kernel: %s",
                 strerror(err));
        return -err;
    }
    struct pt__wfan *f = calloc(1, sizeof *f);
    if (f) {
        f->cache = calloc(CACHE_SLOTS, sizeof *f->cache);
        f->aside = calloc(ASIDE_SLOTS, sizeof *f->aside);
        f->gone = calloc(GONE_SLOTS, sizeof *f->gone);
        f->named = calloc(GONE_SLOTS, sizeof *f->named);
        f->buf = malloc(BATCH_BYTES);
        f->rep = malloc(MAX_REPS * sizeof *f->rep);
    }
    if (!f || !f->cache || !f->aside || !f->gone || !f->named || !f->buf || !f->rep) {
        if (f) {
            free(f->cache);
            free(f->aside);
            free(f->gone);
            free(f->named);
            free(f->buf);
            free(f->rep);
            free(f);
        }
        close(fd);
        snprintf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    f->fd = fd;
    f->init_flags = flags;
    f->aside_gen = 1;
    f->since = pt_now(); /* no report of this group can be older */
    f->mask = FAN_DELETE | FAN_ONDIR;
    f->mask |= FAN_RENAME; /* tried at the first mark, FAN_MOVED_FROM where the kernel lacks it */
    /* FAN_DELETE_SELF is no deletion report (it comes when the object's last reference goes, and
     * names whoever let go): it only says whether a deleted object outlived its name (the essay).
     * It needs the object's own handle; without one no deletion is judged by number anyway. */
    if (flags & FAN_REPORT_TARGET_FID) {
        f->mask |= FAN_DELETE_SELF;
        f->selves = 1;
    }
    *out = f;
    return 0;
}

/* An ignore mark on directory `path`: the kernel drops the reports of names removed or renamed
 * in it (not those in its subdirectories) before they are queued. 0, or -1 when this kernel
 * cannot (then they come, and are set aside by their path). */
static int ignore_dir(struct pt__wfan *f, const char *path)
{
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    /* FAN_ONDIR: a directory's ignore mark must say whether it covers its subdirectories' own
     * events too (EISDIR otherwise); here it may */
    uint64_t mask = FAN_DELETE | FAN_MOVED_FROM | FAN_RENAME | FAN_ONDIR;
    /* SURV_MODIFY: the mark stays when a file in it is written (required for the new kind) */
    unsigned keep = FAN_MARK_IGNORED_SURV_MODIFY;
    int rc = fanotify_mark(f->fd, FAN_MARK_ADD | FAN_MARK_IGNORE | keep, mask, dfd, NULL);
    if (rc < 0 && errno == EINVAL) /* before 6.0: the older kind of ignore mark, or no FAN_RENAME */
        rc = fanotify_mark(f->fd, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK | keep, mask, dfd, NULL);
    if (rc < 0 && errno == EINVAL)
        rc = fanotify_mark(f->fd, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK | keep, mask & ~FAN_RENAME,
                           dfd, NULL);
    close(dfd);
    return rc < 0 ? -1 : 0;
}

void pt__wfan_ignore(struct pt__wfan *f, const char *dir)
{
    snprintf(f->ignore, sizeof f->ignore, "%s", dir);
    f->ignore_len = strlen(f->ignore);
    /* Every traced process renames a ring file twice there as it starts (rings/.pool, then rings/)
     * and the collector twice more when it ends: reports of nothing anyone holds, each costing a
     * read, a pidfd and a look at its directory, on a filesystem the witness may have marked
     * whole. The kernel is told to drop them. */
    static const char *const sub[] = {"", "/rings", "/rings/" PT__POOL_DIR};
    char path[PATH_MAX + 32];
    for (unsigned i = 0; i < sizeof sub / sizeof sub[0]; i++) {
        snprintf(path, sizeof path, "%s%s", dir, sub[i]);
        (void)ignore_dir(f, path);
    }
}

int pt__wfan_fd(const struct pt__wfan *f)
{
    return f ? f->fd : -1;
}

/* readlink of /proc/self/fd/fd, without a " (deleted)" suffix: 0, or -1 when it was deleted. */
static int fd_path(int fd, char *out, size_t size)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, out, size - 1);
    if (n <= 0)
        return -1;
    out[n] = 0;
    if (n > 10 && !strcmp(out + n - 10, " (deleted)"))
        return -1;
    return out[0] == '/' ? 0 : -1;
}

/* Mark the object of descriptor dfd (a path of another mount namespace, reached through
 * /proc/PID/root, names nothing here: marks and handles go by descriptor). */
static int mark(struct pt__wfan *f, unsigned how, int dfd)
{
    if (fanotify_mark(f->fd, FAN_MARK_ADD | how, f->mask, dfd, NULL) == 0)
        return 0;
    if (errno == EINVAL && (f->mask & FAN_RENAME)) { /* before 5.17 */
        f->mask = (f->mask & ~(uint64_t)FAN_RENAME) | FAN_MOVED_FROM;
        if (fanotify_mark(f->fd, FAN_MARK_ADD | how, f->mask, dfd, NULL) == 0)
            return 0;
    }
    if (errno == EINVAL && (f->mask & FAN_DELETE_SELF)) { /* refused: handles decide (essay) */
        f->mask &= ~(uint64_t)FAN_DELETE_SELF;
        f->selves = 0;
        if (fanotify_mark(f->fd, FAN_MARK_ADD | how, f->mask, dfd, NULL) == 0)
            return 0;
    }
    return -errno;
}

/* Remember the directories under `root` (a bounded walk) so entries of a subtree removed at once
 * can still be named; `root` is reached here as `walk` (e.g. through /proc/PID/root). */
static void learn_tree(struct pt__wfan *f, const struct fs *fs, const char *walk, const char *root,
                       int depth, unsigned *budget)
{
    union any_handle u;
    if (!*budget || read_handle(AT_FDCWD, walk, 0, &u) < 0)
        return;
    (*budget)--;
    cache_put(f, fs->fsid, &u.h, root);
    if (depth <= 0)
        return;
    int dfd = open(walk, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return;
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    struct dirent *de;
    char *sub = malloc(2 * PATH_MAX), *subw = sub + PATH_MAX;
    while (sub && *budget && (de = readdir(d))) {
        if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (snprintf(sub, PATH_MAX, "%s%s%s", root, strcmp(root, "/") ? "/" : "", de->d_name) >=
                PATH_MAX ||
            snprintf(subw, PATH_MAX, "%s/%s", walk, de->d_name) >= PATH_MAX)
            continue;
        learn_tree(f, fs, subw, sub, depth - 1, budget);
    }
    free(sub);
    closedir(d);
}

int pt__wfan_watch(struct pt__wfan *f, const char *path, int *fs_marked, int *dir_marked)
{
    struct stat st;
    struct statfs sfs;
    char dirpath[PATH_MAX], canon[PATH_MAX];
    int dfd = -1, rc;

    *fs_marked = *dir_marked = 0;
    char **seen = &f->seen[key_hash((const unsigned char *)path, (uint32_t)strlen(path)) % SEEN_SLOTS];
    if (*seen && !strcmp(*seen, path))
        return 0;
    if (stat(path, &st) < 0)
        return -errno;
    struct stat ost = st; /* the object itself */
    int isfile = !S_ISDIR(st.st_mode);
    if (!isfile) {
        snprintf(dirpath, sizeof dirpath, "%s", path);
    } else {
        snprintf(dirpath, sizeof dirpath, "%s", path);
        char *slash = strrchr(dirpath, '/');
        if (!slash)
            snprintf(dirpath, sizeof dirpath, ".");
        else if (slash == dirpath)
            dirpath[1] = 0;
        else
            *slash = 0;
    }
    /* not O_PATH: it becomes the mount descriptor of open_by_handle_at, which refuses those */
    dfd = open(dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    if (fstat(dfd, &st) < 0 || fstatfs(dfd, &sfs) < 0 || fd_path(dfd, canon, sizeof canon) < 0) {
        rc = -errno ? -errno : -ENOENT;
        goto fail;
    }
    if (isfile) {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        size_t cl = strlen(canon);
        if (snprintf(canon + cl, sizeof canon - cl, "%s%s", cl > 1 ? "/" : "", base) >=
            (int)(sizeof canon - cl)) {
            rc = -ENAMETOOLONG;
            goto fail;
        }
    }
    /* Known? */
    for (unsigned i = 0; i < f->ndirs; i++) {
        const struct dir *d = &f->dir[i];
        if (f->fs[d->fs].dev != (uint64_t)st.st_dev || d->exact != isfile)
            continue;
        /* a directory by its path and number both: another directory that got a removed
         * one's number is not watched yet */
        if (!strcmp(d->prefix, canon) && (isfile || d->ino == st.st_ino)) {
            close(dfd);
            pt__wfan_note_held(f, ost.st_dev, ost.st_ino, pt_now(), S_ISDIR(ost.st_mode),
                               PT__WHELD_SCAN, pt__wfan_handle_id(path));
            free(*seen);
            *seen = strdup(path);
            return 0;
        }
    }
    if (f->ndirs == MAX_DIRS) {
        rc = -ENOSPC;
        goto fail;
    }
    int32_t fsid[2];
    memcpy(fsid, &sfs.f_fsid, sizeof fsid);
    unsigned k;
    for (k = 0; k < f->nfs; k++)
        if (f->fs[k].dev == (uint64_t)st.st_dev && !memcmp(f->fs[k].fsid, fsid, sizeof fsid))
            break;
    int new_fs = k == f->nfs;
    if (new_fs) {
        if (f->nfs == MAX_FS) {
            rc = -ENOSPC;
            goto fail;
        }
        struct fs *fs = &f->fs[k];
        memset(fs, 0, sizeof *fs);
        memcpy(fs->fsid, fsid, sizeof fsid);
        fs->dev = st.st_dev;
        fs->mount_fd = -1;
        learn_layout(fs, (long)sfs.f_type, dfd, st.st_ino);
    }
    struct fs *fs = &f->fs[k];
    if (!fs->whole) {
        rc = mark(f, FAN_MARK_FILESYSTEM, dfd);
        if (rc == 0) {
            fs->whole = 1;
            *fs_marked = 1;
        } else {
            /* A btrfs subvolume, a filesystem mounted in a user namespace...: this directory. */
            rc = mark(f, 0, dfd);
            if (rc < 0)
                goto fail;
            *dir_marked = 1;
        }
    }
    if (new_fs) {
        fs->mount_fd = dfd;
        dfd = -1;
        f->nfs++;
    }
    struct dir *d = &f->dir[f->ndirs];
    d->prefix = strdup(canon);
    if (!d->prefix) {
        rc = -ENOMEM;
        goto fail;
    }
    d->len = strlen(canon);
    if (d->len == 1) /* "/" */
        d->len = 0;
    d->fs = (int)k;
    d->exact = isfile;
    d->ino = ost.st_ino;
    f->ndirs++;
    f->aside_gen++; /* a directory set aside may be under this one */
    pt__wfan_note_held(f, ost.st_dev, ost.st_ino, pt_now(), S_ISDIR(ost.st_mode), PT__WHELD_SCAN,
                       pt__wfan_handle_id(path));
    unsigned budget = 4096;
    if (isfile) { /* back to the directory, to remember its handle */
        char *slash = strrchr(canon, '/');
        if (slash == canon)
            canon[1] = 0;
        else if (slash)
            *slash = 0;
    }
    learn_tree(f, fs, dirpath, canon, isfile ? 0 : 8, &budget);
    if (dfd >= 0)
        close(dfd);
    free(*seen);
    *seen = strdup(path);
    return 0;
fail:
    if (dfd >= 0)
        close(dfd);
    return rc;
}

int pt__wfan_mark_fs(struct pt__wfan *f, const char *path, int *fs_marked)
{
    struct stat st;
    struct statfs sfs;
    *fs_marked = 0;
    /* Called for every process watched (its /dev/shm, its working directory), nearly always on a
     * filesystem marked already: one stat says so. */
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        for (unsigned k = 0; k < f->nfs; k++)
            if (f->fs[k].whole && f->fs[k].dev == (uint64_t)st.st_dev)
                return 0;
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    if (fstat(dfd, &st) < 0 || fstatfs(dfd, &sfs) < 0) {
        int e = errno;
        close(dfd);
        return -e;
    }
    int32_t fsid[2];
    memcpy(fsid, &sfs.f_fsid, sizeof fsid);
    unsigned k;
    for (k = 0; k < f->nfs; k++)
        if (f->fs[k].dev == (uint64_t)st.st_dev && !memcmp(f->fs[k].fsid, fsid, sizeof fsid))
            break;
    if (k < f->nfs && f->fs[k].whole) {
        close(dfd);
        return 0;
    }
    if (k == f->nfs && f->nfs == MAX_FS) {
        close(dfd);
        return -ENOSPC;
    }
    struct fs *fs = &f->fs[k];
    if (k == f->nfs) {
        memset(fs, 0, sizeof *fs);
        memcpy(fs->fsid, fsid, sizeof fsid);
        fs->dev = st.st_dev;
        fs->mount_fd = -1;
        learn_layout(fs, (long)sfs.f_type, dfd, st.st_ino);
    }
    int rc = mark(f, FAN_MARK_FILESYSTEM, dfd);
    if (rc < 0) {
        close(dfd);
        return rc; /* only a whole filesystem is worth it here */
    }
    fs->whole = 1;
    *fs_marked = 1;
    if (k == f->nfs) {
        fs->mount_fd = dfd;
        f->nfs++;
    } else {
        close(dfd);
    }
    return 0;
}

void pt__wfan_close(struct pt__wfan *f)
{
    if (!f)
        return;
    close(f->fd);
    for (unsigned i = 0; i < f->nfs; i++)
        if (f->fs[i].mount_fd >= 0)
            close(f->fs[i].mount_fd);
    for (unsigned i = 0; i < f->ndirs; i++)
        free(f->dir[i].prefix);
    for (unsigned i = 0; i < CACHE_SLOTS; i++)
        free(f->cache[i].path);
    for (unsigned i = 0; i < SEEN_SLOTS; i++)
        free(f->seen[i]);
    free(f->held);
    free(f->aside);
    free(f->gone);
    free(f->named);
    free(f->cache);
    free(f->buf);
    free(f->rep);
    free(f);
}

/* ---- draining --------------------------------------------------------------------------------- */

static struct fs *find_fs(struct pt__wfan *f, const struct fanotify_event_info_fid *fid)
{
    int32_t fsid[2];
    memcpy(fsid, &fid->fsid, sizeof fsid);
    for (unsigned k = 0; k < f->nfs; k++)
        if (!memcmp(f->fs[k].fsid, fsid, sizeof fsid))
            return &f->fs[k];
    return NULL;
}

/* Name the directory of handle `dfid`: open it, else the cache. "" when neither knows it. */
static void resolve_dir(struct pt__wfan *f, const struct fanotify_event_info_fid *dfid, char *out,
                        size_t size)
{
    out[0] = 0;
    struct fs *fs = dfid ? find_fs(f, dfid) : NULL;
    if (!fs)
        return;
    int32_t fsid[2];
    memcpy(fsid, &dfid->fsid, sizeof fsid);
    int fd = open_by_handle_at(fs->mount_fd, fid_handle(dfid), O_PATH | O_CLOEXEC);
    if (fd >= 0) {
        int ok = fd_path(fd, out, size);
        close(fd);
        if (ok == 0) {
            cache_put(f, fsid, fid_handle(dfid), out);
            return;
        }
    }
    const char *c = cache_get(f, fsid, fid_handle(dfid));
    snprintf(out, size, "%s", c ? c : "");
}

static void join(char *out, size_t size, const char *dir, const char *name)
{
    if (!dir[0] || snprintf(out, size, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", name) >= (int)size)
        out[0] = 0;
}

/* 1 when some watched file or directory lies inside directory `dir` (on filesystem fs). */
static int watched_inside(struct pt__wfan *f, const struct fs *fs, const char *dir)
{
    int k = (int)(fs - f->fs);
    size_t n = strlen(dir);
    for (unsigned i = 0; i < f->ndirs; i++) {
        const struct dir *d = &f->dir[i];
        if (d->fs == k && (n <= 1 || (!strncmp(d->prefix, dir, n) && d->prefix[n] == '/')))
            return 1;
    }
    return 0;
}

/* 1 when `path` (on filesystem fs) is under a watched directory. */
static int watched(struct pt__wfan *f, const struct fs *fs, const char *path)
{
    int k = (int)(fs - f->fs);
    for (unsigned i = 0; i < f->ndirs; i++) {
        const struct dir *d = &f->dir[i];
        if (d->fs != k)
            continue;
        if (d->exact ? !strcmp(path, d->prefix)
                     : !strncmp(path, d->prefix, d->len) && (path[d->len] == '/' || path[d->len] == 0))
            return 1;
    }
    return 0;
}

/* Step (1) of a drain: r->skip when the report is surely of nothing held or watched. Cheap first
 * (identities of the object and its directory), then the directory's path when it has one still;
 * a directory that cannot be named now is kept for step (3), which may name it from the cache. */
static void set_aside(struct pt__wfan *f, struct rep *r, pid_t self, struct pt_witness_stats *st)
{
    if (r->pid == self || !(r->mask & (FAN_DELETE | FAN_MOVED_FROM | FAN_RENAME)) || !r->dfid ||
        !r->name)
        return;
    struct fs *fs = find_fs(f, r->dfid);
    if (!fs) {
        r->skip = 1;
        return;
    }
    uint64_t dino = handle_ino(fs, fid_handle((void *)r->dfid));
    uint64_t ino = r->fid ? handle_ino(fs, fid_handle((void *)r->fid)) : 0;
    if ((r->mask & (FAN_RENAME | FAN_MOVED_FROM)) && (r->mask & FAN_ONDIR))
        f->aside_gen++; /* a directory moved: it may have gone into or out of a watched one */
    if (is_held(f, fs->dev, ino) || is_held_dir(f, fs->dev, dino))
        return;
    unsigned char key[KEY_MAX];
    int32_t fsid[2];
    memcpy(fsid, &r->dfid->fsid, sizeof fsid);
    uint32_t klen = make_key(fsid, fid_handle((void *)r->dfid), key);
    struct aside *a = &f->aside[key_hash(key, klen) % ASIDE_SLOTS];
    if (a->gen == f->aside_gen && a->klen == klen && !memcmp(a->key, key, klen)) {
        r->skip = 1; /* the directory was found of no interest already */
        st->tracedir += a->tracedir;
        return;
    }
    resolve_dir(f, r->dfid, r->dirpath, sizeof r->dirpath);
    if (!r->dirpath[0])
        return;
    /* An entry's path is its directory's plus its name: a watched file inside is the only reason
     * the name matters, and then the directory is not set aside for later entries. */
    char path[PATH_MAX];
    join(path, sizeof path, r->dirpath, r->name);
    int ignored = f->ignore_len && !strncmp(r->dirpath, f->ignore, f->ignore_len) &&
                  (r->dirpath[f->ignore_len] == '/' || r->dirpath[f->ignore_len] == 0);
    if (!ignored && path[0] && watched(f, fs, path))
        return;
    r->skip = 1;
    st->tracedir += ignored;
    if (ignored || !watched_inside(f, fs, r->dirpath)) {
        a->gen = f->aside_gen;
        a->tracedir = ignored;
        a->klen = klen;
        memcpy(a->key, key, klen);
    }
}

static int same_key(const struct gone *g, const unsigned char *key, uint32_t klen)
{
    return g->klen == klen && !memcmp(g->key, key, klen);
}

/* Where the DELETE of key is, or may go, in `named` for this batch (probing past other keys). */
static struct gone *named_slot(struct pt__wfan *f, const unsigned char *key, uint32_t klen)
{
    uint32_t slot = key_hash(key, klen) % GONE_SLOTS;
    for (unsigned k = 0; k < NAMED_PROBES; k++) {
        struct gone *d = &f->named[(slot + k) % GONE_SLOTS];
        if (d->batch != f->batch || same_key(d, key, klen))
            return d;
    }
    return NULL;
}

/* Does held number h, whose object (handle identity `died`) died after `since`, stay held? Only
 * for a hold of a new object that got the number, which began after that death — so after `since`
 * — and, as the object that died is no one's, still is: a table's hold whose entry says so now
 * (the tables were read again since the death was queued), or one a scan found after `since` of
 * another object than the one that died (the scan may have run before the death, whose report
 * came later: then what it found was the dying object itself; one whose handle could not be read
 * does not keep it either: the next scan looks again). A hold
 * of the object that died, over before the batch was read, does not keep it, even when it began
 * after `since` (a flood of reports keeps the queue from being found empty): the number's next
 * owner would be taken for held, and every entry renamed or deleted in it (another process's
 * scratch directory in /tmp) one of a held directory (tests/unit/witness_renamed.c). */
static int kept(struct pt_witness *w, const struct held *h, uint64_t since, uint64_t died)
{
    return (h->scan >= since && h->hid && h->hid != died) ||
           (h->live >= since && pt__witness_holds_live(w, h->dev, h->ino, since));
}

/* Held number h, and the object of handle `fid` that has the number now: may that object be the
 * one held? Not when the last scan that found the number held found another object (another
 * generation of the inode) — unless a table says a hold of the number is live now: a table's
 * hold carries no handle, and the new object may be what it holds. (A number known only from the
 * tables is judged by the kernel's order of deaths, the essay.) */
static int may_be_held(struct pt_witness *w, const struct held *h,
                       const struct fanotify_event_info_fid *fid)
{
    if (!h || !fid)
        return h != NULL;
    if (!h->hid || h->hid == handle_id(fid_handle((void *)fid)))
        return 1;
    return h->live && pt__witness_holds_live(w, h->dev, h->ino, 0);
}

/* The batch's deaths, in the kernel's order (the essay): a DELETE_SELF is remembered (for the rest
 * of this batch and the next, as its DELETE may be the next read's first report) and ends the
 * life of the last DELETE of its object in this batch (r->released, r->releaser) — only a DELETE
 * of a held number is looked for so, the few that matter among the many; a DELETE whose object
 * was remembered so died with its name (r->died). A held number whose object dies is no one's
 * any more (r->frees: forgotten once the batch is judged) — unless a hold of a new object that got
 * the number keeps it (kept()). A hold already over when first read does not keep it: kept for
 * the deletions made while it was, it would make of the number's next owner (another process's
 * directory in /tmp) a held object, and of every entry deleted in it one of its values
 * (tests/unit/witness_ended.c). A deletion after the freeing death in the batch, of the number or
 * in a directory of that number, is of its next owner (r->reborn, r->dir_reborn;
 * tests/unit/witness_stale.c). */
static void order_deaths(struct pt__wfan *f, struct pt_witness *w, struct rep *rep, unsigned n,
                         uint64_t since)
{
    struct {
        uint64_t dev, ino;
    } freed[MAX_FREED];
    unsigned nfreed = 0;
    f->batch++;
    for (unsigned i = 0; i < n; i++) {
        struct rep *r = &rep[i];
        /* after a freeing death, the number (of the object, or of its directory) is a new
         * object's: the hold that ended with the death is not its (forgotten after the judging) */
        const struct fs *fs = r->fid ? find_fs(f, r->fid) : NULL;
        uint64_t ino = fs ? handle_ino(fs, fid_handle((void *)r->fid)) : 0;
        uint64_t dino = fs && r->dfid ? handle_ino(fs, fid_handle((void *)r->dfid)) : 0;
        for (unsigned k = 0; k < nfreed && !(r->mask & FAN_DELETE_SELF); k++)
            if (fs && freed[k].dev == fs->dev) {
                r->reborn |= ino && freed[k].ino == ino;
                r->dir_reborn |= dino && freed[k].ino == dino;
            }
        if (!r->fid || !(r->mask & (FAN_DELETE | FAN_DELETE_SELF)))
            continue;
        unsigned char key[KEY_MAX];
        int32_t fsid[2];
        memcpy(fsid, &r->fid->fsid, sizeof fsid);
        uint32_t klen = make_key(fsid, fid_handle((void *)r->fid), key);
        struct gone *g = &f->gone[key_hash(key, klen) % GONE_SLOTS], *d;
        if (r->mask & FAN_DELETE_SELF) {
            r->self = 1;
            *g = (struct gone){.klen = klen, .batch = f->batch, .pid = r->pid};
            memcpy(g->key, key, klen);
            const struct fs *sfs = find_fs(f, r->fid);
            struct held *h =
                sfs ? find_held(f, sfs->dev, handle_ino(sfs, fid_handle((void *)r->fid))) : NULL;
            uint64_t died = handle_id(fid_handle((void *)r->fid));
            r->frees = h && !kept(w, h, since, died);
            if (h && !r->frees && h->hid == died)
                h->hid = 0; /* kept for a new object, which no scan has read yet */
            if (r->frees && nfreed < MAX_FREED) {
                freed[nfreed].dev = h->dev;
                freed[nfreed++].ino = h->ino;
            }
            if ((d = named_slot(f, key, klen)) && d->batch == f->batch && !rep[d->rep].died) {
                rep[d->rep].released = 1;
                rep[d->rep].releaser = r->pid;
            }
            continue;
        }
        /* a carried one was judged so in its batch, whose later DELETE_SELFs are in g too */
        if (!r->carried && g->batch + 1 >= f->batch && same_key(g, key, klen))
            r->died = 1;
        if (!r->died && fs && is_held(f, fs->dev, ino) &&
            (d = named_slot(f, key, klen))) {
            *d = (struct gone){.klen = klen, .batch = f->batch, .rep = i};
            memcpy(d->key, key, klen);
        }
    }
}

/* Split one read buffer into reports. Returns how many were added. */
static unsigned parse(struct pt__wfan *f, const unsigned char *buf, ssize_t len, unsigned nrep,
                      struct pt_witness_stats *st)
{
    /* The kernel pads reports with info records to 4 bytes, not to the 8 the metadata's 64-bit
     * mask needs: each is copied out rather than read in place. */
    struct fanotify_event_metadata mc, *m = &mc;
    for (ssize_t off = 0; len - off >= (ssize_t)sizeof mc; off += mc.event_len) {
        memcpy(&mc, buf + off, sizeof mc);
        if (mc.event_len < sizeof mc || mc.event_len > (size_t)(len - off) ||
            m->vers != FANOTIFY_METADATA_VERSION)
            break;
        st->reports++;
        if (m->mask & FAN_Q_OVERFLOW) {
            st->overflows++;
            continue;
        }
        if (nrep == MAX_REPS)
            continue; /* cannot happen: the batch buffer holds fewer reports */
        struct rep *r = &f->rep[nrep];
        memset(r, 0, offsetof(struct rep, dirpath));
        r->dirpath[0] = r->newdirpath[0] = 0;
        r->ev = buf + off; /* not m: the copy is gone with the next report */
        r->ev_len = m->event_len;
        r->mask = m->mask;
        r->pid = m->pid;
        r->pidfd = -1;
        pt__wident_unknown(&r->who, m->pid, PT__WID_GONE);
        const unsigned char *p = buf + off + m->metadata_len;
        const unsigned char *end = buf + off + m->event_len;
        while (p + sizeof(struct fanotify_event_info_header) <= end) {
            const struct fanotify_event_info_header *h = (const void *)p;
            if (h->len < sizeof *h || p + h->len > end)
                break;
            switch (h->info_type) {
            case FAN_EVENT_INFO_TYPE_DFID_NAME:
            case FAN_EVENT_INFO_TYPE_OLD_DFID_NAME:
                r->dfid = (const void *)p;
                r->name = fid_name(r->dfid);
                break;
            case FAN_EVENT_INFO_TYPE_NEW_DFID_NAME:
                r->newdfid = (const void *)p;
                r->newname = fid_name(r->newdfid);
                break;
            case FAN_EVENT_INFO_TYPE_DFID:
                r->dfid = (const void *)p;
                break;
            case FAN_EVENT_INFO_TYPE_FID:
                r->fid = (const void *)p;
                break;
            case FAN_EVENT_INFO_TYPE_PIDFD:
                r->pidfd = ((const struct fanotify_event_info_pidfd *)p)->pidfd;
                break;
            }
            p += h->len;
        }
        if ((r->mask & FAN_DELETE_SELF) && !r->fid) {
            /* a directory's own handle comes as its directory record: it is the object here */
            r->fid = r->dfid;
            r->dfid = NULL;
            r->name = NULL;
        }
        nrep++;
    }
    return nrep;
}

/* Was the deleted object of report r, held by its number only, the one a traced process held,
 * not another that had the number before (the essay)? 1 or 0, -1 when a later batch may tell.
 * emptied: when the batch ended on an empty queue, the time of that read (else 0). */
static int held_when_deleted(struct pt__wfan *f, struct pt_witness *w, struct rep *r,
                             const struct fs *fs, int by_order, uint64_t emptied)
{
    if (r->reborn)
        return 0; /* the order of what the kernel did queue holds even after an overflow */
    if (!by_order)
        return !generation_gone(fs, r->fid);
    if (r->died)
        return 0;
    if (r->released) {
        /* the witness itself, naming a directory by its handle, can be the last to let go: then
         * who held it at the deletion is not known */
        struct pt__wident releaser;
        pt__wident_unknown(&releaser, r->releaser, PT__WID_GONE);
        return r->releaser != getpid() && pt__witness_traced(w, &releaser);
    }
    if (!r->stale) {
        /* alive when the queue was found empty: a number held since before was its own */
        const struct held *h = find_held(f, fs->dev, handle_ino(fs, fid_handle((void *)r->fid)));
        if (emptied && h && h->first && h->first < emptied)
            return 1;
        /* ... or alive still, when the tables were read since: the held number is its own */
        if (!generation_gone(fs, r->fid))
            return 1;
        r->stale = 1;
    }
    /* gone since it was read: its DELETE_SELF, queued by now, says who let go */
    return r->carried < MAX_WAITS ? -1 : 0;
}

/* Was the directory of report r, a held directory's number, the one a traced process held when
 * the entry was deleted? 1 or 0, -1 when a later batch may tell. Its number too may have had
 * another owner: the deletion may be read after that directory was removed and a traced process
 * began to hold a new one that got the number (another process's `rm -rf` in /tmp is read after
 * a key was created and opened). The kernel's order says which, as for a deleted object (the
 * essay): a directory removed after its entries dies — its DELETE_SELF comes — when the last
 * process lets go of it; that process is a traced holder, or the directory was nobody's. One not
 * seen dying is the number's owner now, when its handle still opens. */
static int dir_held_when_deleted(struct pt__wfan *f, struct pt_witness *w, const struct rep *r,
                                 const struct fs *fs, int by_order)
{
    if (r->dir_reborn)
        return 0; /* the held directory died earlier in the batch: this one got its number */
    if (!by_order)
        return !generation_gone(fs, r->dfid);
    unsigned char key[KEY_MAX];
    int32_t fsid[2];
    memcpy(fsid, &r->dfid->fsid, sizeof fsid);
    uint32_t klen = make_key(fsid, fid_handle((void *)r->dfid), key);
    const struct gone *g = &f->gone[key_hash(key, klen) % GONE_SLOTS];
    if (g->batch + 1 >= f->batch && same_key(g, key, klen)) {
        struct pt__wident releaser;
        pt__wident_unknown(&releaser, g->pid, PT__WID_GONE);
        return g->pid != getpid() && pt__witness_traced(w, &releaser);
    }
    if (!generation_gone(fs, r->dfid))
        return 1;
    /* gone since it was read: its DELETE_SELF, queued by now, says who let go */
    return r->carried < MAX_WAITS ? -1 : 0;
}

/* Keep reports from..n-1 that `keep` marks for the next batch: at the head of rep, their events
 * at the head of buf (every pointer into an event moves with it). */
static void carry(struct pt__wfan *f, unsigned from, unsigned n, const unsigned char *keep)
{
    size_t at = 0;
    unsigned k = 0;
    for (unsigned i = from; i < n; i++) {
        if (!keep[i - from])
            continue;
        struct rep r = f->rep[i];
        const unsigned char *old = r.ev;
        unsigned char *dst = f->buf + at;
        ptrdiff_t delta = dst - old;
        memmove(dst, old, r.ev_len);
        at += r.ev_len;
#define MOVE(p) ((p) ? (__typeof__(p))((const unsigned char *)(p) + delta) : NULL)
        r.ev = MOVE(r.ev);
        r.dfid = MOVE(r.dfid);
        r.fid = MOVE(r.fid);
        r.newdfid = MOVE(r.newdfid);
        r.name = MOVE(r.name);
        r.newname = MOVE(r.newname);
#undef MOVE
        r.carried++;
        r.pidfd = -1; /* closed with the batch: the identity is read */
        f->rep[k++] = r;
    }
    f->ncarry = k;
    f->carry_bytes = at;
}

/* Hold publications are stamped a little after the traced call that began the hold (whose
 * timestamps come from the TSC, a fraction of a microsecond apart from pt_now()): a date right at
 * `seen` would put the deletion before the hold began. */
#define SEEN_MARGIN_NS 5000u

/* The earliest a deletion can have happened, of something known held at `seen`, reported after
 * `since`, by deleter who (born before it, when that was read from the running process). */
static uint64_t date(uint64_t since, uint64_t seen, const struct pt__wident *who)
{
    uint64_t t = since, born = pt__wident_born(who);
    if (seen + SEEN_MARGIN_NS > t)
        t = seen + SEEN_MARGIN_NS;
    if (born > t)
        t = born;
    return t;
}

static void memo_add(unsigned *memo, unsigned *n, unsigned *cur, unsigned i)
{
    memo[(*cur)++ % MEMO] = i;
    if (*n < MEMO)
        (*n)++;
}

static int same_fid(const struct fanotify_event_info_fid *a, const struct fanotify_event_info_fid *b)
{
    const struct file_handle *ha = fid_handle(a), *hb = fid_handle(b);
    return !memcmp(&a->fsid, &b->fsid, sizeof a->fsid) && ha->handle_type == hb->handle_type &&
           ha->handle_bytes == hb->handle_bytes &&
           !memcmp(ha->f_handle, hb->f_handle, ha->handle_bytes);
}

/* Read and judge one batch; *more when it did not empty the queue. Returns deletions recorded. */
static int drain_batch(struct pt__wfan *f, struct pt_witness *w, struct pt__wexecs *execs,
                       struct pt_witness_stats *st, int *more)
{
    size_t used = f->carry_bytes;
    unsigned n = f->ncarry;
    int recorded = 0;
    pid_t self = getpid();
    uint64_t overflows = st->overflows;
    unsigned char keep[MAX_REPS];

    /* (1) every pending report */
    /* a read of READ_BYTES holds fewer than 400 reports (each has at least a name record) */
    uint64_t since = f->since; /* this batch was queued after it (the essay: when) */
    int drained = 0;           /* it ended on an empty queue */
    while (BATCH_BYTES - used >= READ_BYTES && n + 400 <= MAX_REPS) {
        uint64_t before = pt_now();
        ssize_t len = read(f->fd, f->buf + used, READ_BYTES);
        if (len < 0 && errno == EINTR)
            continue;
        if (len < 0 && errno == EAGAIN) {
            f->since = before; /* empty then: what comes next was queued after */
            drained = 1;
        }
        if (len <= 0)
            break;
        n = parse(f, f->buf + used, len, n, st);
        used += (size_t)len;
    }
    f->ncarry = 0;
    f->carry_bytes = 0;
    *more = !drained;
    if (!n)
        return 0;
    /* Holds published before any of these deletions are in their tables by now (the essay) */
    pt__witness_poll_tables(w);
    /* With every report queued and read, the kernel's order of deaths decides what was held */
    int by_order = f->selves && st->overflows == overflows;
    order_deaths(f, w, f->rep, n, since);
    for (unsigned i = 0; i < n; i++)
        if (!f->rep[i].self && !f->rep[i].carried)
            set_aside(f, &f->rep[i], self, st);

    /* (2) identities, first of all: deleters that still run, checked by their pidfd; once per
     * deleter and batch (a batch is mostly one deleter's: remember the last few) */
    unsigned memo[MEMO], nmemo = 0, cur = 0;
    for (unsigned i = 0; i < n; i++) {
        struct rep *r = &f->rep[i];
        if (r->pid == self || r->skip || r->self || r->carried)
            continue;
        int done = 0;
        for (unsigned k = 0; k < nmemo && !done; k++)
            if (f->rep[memo[k]].pid == r->pid) {
                r->who = f->rep[memo[k]].who;
                done = 1;
            }
        if (!done && r->pidfd >= 0)
            pt__wident_read(r->pid, r->pidfd, &r->who);
        else if (!done && !(f->init_flags & FAN_REPORT_PIDFD))
            pt__wident_read(r->pid, -1, &r->who);
        /* else: exited before the report was read (FAN_NOPIDFD), r->who says gone */
        if (!done && r->who.state == PT__WID_LIVE)
            memo_add(memo, &nmemo, &cur, i);
    }
    /* ... deleters already gone: their identity at exec, if the cache caught it */
    if (execs) {
        pt__wexecs_drain(execs);
        for (unsigned i = 0; i < n; i++) {
            struct rep *r = &f->rep[i];
            if (r->pid != self && !r->skip && !r->self && !r->carried &&
                r->who.state == PT__WID_GONE)
                pt__wexecs_lookup(execs, (uint32_t)r->pid, &r->who);
        }
    }

    /* (3) name directories, last report first (see the essay) */
    nmemo = cur = 0; /* now: the last few directories named in this batch */
    for (unsigned i = n; i-- > 0;) {
        struct rep *r = &f->rep[i];
        if (r->pid == self || r->skip || r->self || r->carried || !r->dfid || !r->name)
            continue;
        int done = r->dirpath[0] != 0; /* named when it was set aside or not */
        for (unsigned k = 0; k < nmemo && !done; k++)
            if (same_fid(f->rep[memo[k]].dfid, r->dfid)) {
                memcpy(r->dirpath, f->rep[memo[k]].dirpath, sizeof r->dirpath);
                done = 1;
            }
        if (!done) {
            resolve_dir(f, r->dfid, r->dirpath, sizeof r->dirpath);
            if (r->dirpath[0])
                memo_add(memo, &nmemo, &cur, i);
        }
        if (r->newdfid)
            resolve_dir(f, r->newdfid, r->newdirpath, sizeof r->newdirpath);
        /* a removed directory: its path for the reports of its entries, read before this one */
        if ((r->mask & FAN_ONDIR) && r->fid && r->dirpath[0]) {
            char sub[PATH_MAX];
            int32_t fsid[2];
            join(sub, sizeof sub, r->dirpath, r->name);
            memcpy(fsid, &r->fid->fsid, sizeof fsid);
            cache_put(f, fsid, fid_handle((void *)r->fid), sub);
        }
    }

    /* (4) record, in the kernel's order: up to the first that a later batch must judge, from
     * which on what would be recorded is carried there */
    unsigned wait = n;
    for (unsigned i = 0; i < n; i++) {
        struct rep *r = &f->rep[i];
        if (i >= wait)
            keep[i - wait] = 0;
        if (r->self)
            continue; /* a death, not a deletion: it served order_deaths */
        if (r->pid == self) {
            st->self++;
            continue;
        }
        if (r->skip) {
            st->outside++;
            continue;
        }
        if (!(r->mask & (FAN_DELETE | FAN_MOVED_FROM | FAN_RENAME)) || !r->dfid || !r->name)
            continue;
        struct fs *fs = find_fs(f, r->dfid);
        if (!fs)
            continue;
        struct pt__wdel d;
        memset(&d, 0, offsetof(struct pt__wdel, who));
        d.via = "fanotify";
        d.how = (r->mask & (FAN_RENAME | FAN_MOVED_FROM)) ? "rename"
                : (r->mask & FAN_ONDIR)                   ? "rmdir"
                                                          : "unlink";
        snprintf(d.name, sizeof d.name, "%s", r->name);
        join(d.path, sizeof d.path, r->dirpath, r->name);
        if (r->newdfid && r->newname)
            join(d.new_path, sizeof d.new_path, r->newdirpath, r->newname);
        if (d.path[0] && f->ignore_len && !strncmp(d.path, f->ignore, f->ignore_len) &&
            (d.path[f->ignore_len] == '/' || d.path[f->ignore_len] == 0)) {
            st->outside++; /* the trace directory: rings come and go */
            continue;
        }
        d.dir_dev = d.dev = fs->dev;
        d.dir_ino = handle_ino(fs, fid_handle((void *)r->dfid));
        if (r->fid)
            d.ino = handle_ino(fs, fid_handle((void *)r->fid));
        /* Recorded: what a traced process holds (by identity, whatever name it went by), an entry
         * of a directory it holds (a key's values and subkeys), or anything under a watched
         * directory. Not the many other deletions of a busy filesystem, and not a directory gone
         * before it could be named in a tree nobody held. */
        int by_path = d.path[0] && watched(f, fs, d.path);
        /* by number, where the number's object may be the one held (its handle, when a scan
         * read the held one's) */
        const struct held *hd = find_held(f, fs->dev, d.dir_ino);
        int by_dir = hd && hd->dir && may_be_held(w, hd, r->dfid);
        int by_ino = r->fid && may_be_held(w, find_held(f, fs->dev, d.ino), r->fid);
        if (!by_path && !by_dir && !by_ino) {
            if ((hd && hd->dir) || is_held(f, fs->dev, d.ino))
                st->reused++; /* the held number is another object's now */
            else if (d.path[0])
                st->outside++;
            else
                st->unresolved++;
            continue;
        }
        /* Held by its number only: a file's inode number is given again as soon as it is freed,
         * and this report is read after the deletion, maybe after a traced process began to hold
         * a NEW file that got the number. Then what was deleted died with its name, while a
         * deleted file some process held outlived it: only the latter is a deletion of something
         * held (the essay). */
        int held = by_path;
        if (r->mask & (FAN_RENAME | FAN_MOVED_FROM)) /* no death: only a number freed before */
            held |= (by_ino && !r->reborn) || (by_dir && !r->dir_reborn);
        if (!held && by_dir) /* an entry of a held directory: by the directory's number */
            held = dir_held_when_deleted(f, w, r, fs, by_order);
        if (held <= 0 && by_ino) { /* the object's own number */
            int own = held_when_deleted(f, w, r, fs, by_order, drained ? f->since : 0);
            held = own > 0 || held == 0 ? own : held;
        }
        if (held < 0 && wait == n)
            wait = i; /* and keep[0] is set below */
        if (i >= wait) {
            keep[i - wait] = held != 0;
            continue;
        }
        if (!held) {
            st->reused++;
            continue;
        }
        d.who = r->who;
        /* When (the essay): what the record rests on was known to be held at `seen` */
        const struct held *h = find_held(f, fs->dev, d.ino);
        if (!h)
            h = find_held(f, fs->dev, d.dir_ino);
        if (h && h->seen && !pt__witness_traced(w, &d.who))
            d.ts = date(since, h->seen, &d.who);
        switch (d.who.state) {
        case PT__WID_LIVE: st->ident_live++; break;
        case PT__WID_EXEC: st->ident_exec++; break;
        default: st->ident_gone++; break;
        }
        if (pt__witness_record_del(w, &d) == 0)
            recorded++;
        if (!(r->mask & (FAN_RENAME | FAN_MOVED_FROM)))
            forget_held(f, fs->dev, d.ino);
    }
    for (unsigned i = 0; i < n; i++)
        if (f->rep[i].pidfd >= 0)
            close(f->rep[i].pidfd);
    /* held numbers whose objects died are free now (after the judging: a deletion of this batch
     * read before the death was of that object; one that waits for the next batch still needs its
     * number held) */
    for (unsigned i = 0; i < wait; i++) {
        const struct rep *r = &f->rep[i];
        const struct fs *sfs = r->frees ? find_fs(f, r->fid) : NULL;
        if (sfs)
            forget_held(f, sfs->dev, handle_ino(sfs, fid_handle((void *)r->fid)));
    }
    if (wait < n)
        carry(f, wait, n, keep);
    *more = !drained;
    return recorded;
}

int pt__wfan_drain(struct pt__wfan *f, struct pt_witness *w, struct pt__wexecs *execs,
                   struct pt_witness_stats *st)
{
    int recorded = 0, more = 1;
    /* a batch as large as the buffers allow leaves reports in the queue: read on (what still
     * waits for a later batch after the last is judged by the next drain) */
    for (int b = 0; b < MAX_BATCHES && more; b++)
        recorded += drain_batch(f, w, execs, st, &more);
    return recorded;
}

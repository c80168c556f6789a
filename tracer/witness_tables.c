/* witness_tables.c — the witness reads the shim's holds tables (tracer/holds_table.h): it learns
 * of each hold as it begins, and mirrors other users' holds into its own user's table.
 *
 * Design
 * ------
 * Waking. Every drain first compares each table's `seq` with the last one read (one small read
 * per table): a deletion is reported by fanotify only after it happened, so a hold begun before it
 * is in its table by then — the witness knows it before it judges the deletion, however late its
 * thread got a CPU. That is enough for a hold on a filesystem already marked whole: those devices
 * are listed in the own table's `covered`, and the shim does not ring for them. A hold elsewhere
 * needs its filesystem marked before anything is deleted there: after each read the witness says
 * it waits (`waiting` = 1) and reads `seq` again; the shim that takes the flag rings the doorbell
 * (a one-byte pwrite), which inotify on rings/ (IN_MODIFY) turns into a readable descriptor in the
 * witness's epoll set. The names of new rings (pt__wtab_traced) come from a second inotify
 * descriptor that is in no epoll set: read with the doorbells, before any deletion is judged, they
 * never wake the witness's thread themselves — every traced process publishes a ring as it
 * starts (a fork child and its exec, two), and each such wake-up, at nice -10 on the publishing
 * process's CPU, preempted it.
 *
 * Reading. A table is opened once (pt__htab_open: this user's file, not a link, one link, the exact
 * size) and copied into private memory before anything in it is used, and checked there: the
 * header against the constants, each entry's owner slot range and kind. Another user's table is
 * read with pread — never mapped, so that a process of that user that truncates it cannot fault
 * the collector. The collector's own user's table, which the witness maps anyway (mirrors, the
 * waiting flag), is copied from that mapping: a pread of a file in rings/ is an IN_ACCESS there,
 * which wakes the collector (it sleeps on them: the rings' wake-ups, ring.c) for nothing, and the
 * witness reads that table at every drain. Only the pages of entries whose generation moved since
 * the last read are read again (the whole table once). Owner liveness is F_GETLK on the owner's
 * lock byte (which also gives the holder's pid in the collector's namespace) plus the owner slot's
 * generation, both memoised per read.
 *
 * Mirroring. For each live hold of another user's table, one entry in the collector's user's table
 * (mapped: it is this user's own file) under the witness's owner slot; it is withdrawn when the
 * hold is, when its holder dies (checked at each tick), and with the collector (its lock goes).
 * A table named for one user but owned by another was planted: the witness, owner of rings/,
 * removes it (sticky directory) so that the user's next process can create the real one; such a
 * name never takes one of the places kept for users' tables.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proftrace/ring.h"
#include "tracer/holds_table.h"
#include "tracer/internal.h"
#include "tracer/witness_internal.h"

#define MAX_TABLES 64
#define RING_SLOTS 4096u /* rings seen, by pid */
#define PAGE_BYTES ((size_t)PT__HOLDS_PER_PAGE * sizeof(struct pt__holds_entry))

struct wtable {
    uint32_t uid;
    int fd;                       /* -1: not open (refused, or not sized yet) */
    int refused;                  /* said once; not retried */
    int dirty;                    /* inotify said it changed */
    int read_once;                /* every page read at least once */
    uint64_t seq, ends;           /* counters of the last read */
    uint32_t pagegen[PT__HOLDS_PAGES]; /* page generations of the last read */
    struct pt__holds_entry *copy;      /* the last full read, checked (entries neither READY nor
                                        * withdrawn zeroed) */
    uint32_t *mirror;             /* per entry: slot + 1 of its mirror in the own table, 0 none */
    unsigned nmirrored;
};

/* A ring seen in rings/: its writer is traced (pid in its own pid namespace). */
struct ringseen {
    uint32_t pid;
    uint64_t start;
};

struct pt__wtab {
    int rfd, ifd, nfd; /* rings/; its doorbells and new tables (epoll); ring names (no epoll) */
    struct ringseen *rings; /* RING_SLOTS, by pid: the newest ring of that pid wins */
    uint32_t self;       /* the collector's user */
    struct pt__htab own; /* its table, mapped, with the witness's owner slot (mirrors) */
    int own_ok;
    struct wtable t[MAX_TABLES];
    unsigned n;
    struct pt__holds_entry scratch[PT__HOLDS_PER_PAGE];
    uint32_t stamp, *memo_stamp; /* owner liveness, valid while memo_stamp[i] == stamp */
    int8_t *memo_alive;
    pid_t *memo_pid;
    uint32_t *memo_gen;
    void (*on_hold)(void *arg, const struct pt__wtab_hold *h);
    void (*covered)(void *arg, uint64_t *devs, unsigned max);
    void *arg;
    uint64_t started; /* pt_now() at open: older entries are no holds of this trace */
    struct pt__wtab_stats st;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "proftrace: witness: %s\n", line);
}

/* ---- opening tables --------------------------------------------------------------------------- */

/* A table named for one user but owned by another was planted: removed (we own rings/), so that
 * the user's next process can make the real one. 1 when it was such a file. */
static int planted(struct pt__wtab *w, uint32_t uid)
{
    char name[32];
    struct stat st;
    snprintf(name, sizeof name, PT__HOLDS_PREFIX "%u", uid);
    if (fstatat(w->rfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
        st.st_uid == uid)
        return 0;
    if (unlinkat(w->rfd, name, 0) == 0)
        say("rings/%s: owned by uid %u, not by the user it names: removed (planted?)", name,
            (unsigned)st.st_uid);
    w->st.refused++;
    return 1;
}

/* The table of uid; with add, a new one when its file is that user's (a planted name takes no
 * place among the MAX_TABLES). */
static struct wtable *table_of(struct pt__wtab *w, uint32_t uid, int add)
{
    for (unsigned i = 0; i < w->n; i++)
        if (w->t[i].uid == uid)
            return &w->t[i];
    if (!add || planted(w, uid))
        return NULL;
    if (w->n == MAX_TABLES) {
        if (!w->st.too_many++)
            say("more than %d users' holds tables: the rest are not read", MAX_TABLES);
        return NULL;
    }
    struct wtable *t = &w->t[w->n];
    memset(t, 0, sizeof *t);
    t->uid = uid;
    t->fd = -1;
    t->copy = calloc(PT__HOLDS_NENTRIES, sizeof *t->copy);
    t->mirror = calloc(PT__HOLDS_NENTRIES, sizeof *t->mirror);
    if (!t->copy || !t->mirror) {
        free(t->copy);
        free(t->mirror);
        return NULL;
    }
    w->n++;
    return t;
}

/* Open table t if it is not yet: 0, or -1 (refused for good, or to be tried again later). */
static int open_table(struct pt__wtab *w, struct wtable *t)
{
    char name[32], why[256];
    struct stat st = {0};
    if (t->fd >= 0)
        return 0;
    if (t->refused)
        return -1;
    if (t->uid == w->self) {
        if (!w->own_ok)
            return -1;
        t->fd = w->own.fd; /* one descriptor per file: closing another would drop our lock */
        return 0;
    }
    snprintf(name, sizeof name, PT__HOLDS_PREFIX "%u", t->uid);
    if (planted(w, t->uid) || fstatat(w->rfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -1; /* removed, or not there (yet) */
    int fd = pt__htab_open(w->rfd, t->uid, 0, why, sizeof why);
    if (fd == -EPROTO && st.st_size == 0)
        return -1; /* being created: its creator sizes it, and that wakes us again */
    if (fd < 0) {
        if (fd != -ENOENT) {
            t->refused = 1;
            w->st.refused++;
            say("rings/%s; not read", why);
        }
        return -1;
    }
    t->fd = fd;
    return 0;
}

/* ---- reading ---------------------------------------------------------------------------------- */

/* n bytes of table t at off into buf (see Reading): 0 or -1. */
static int table_read(const struct pt__wtab *w, const struct wtable *t, void *buf, size_t n,
                      uint64_t off)
{
    if (off > PT__HOLDS_FILE_SIZE || n > PT__HOLDS_FILE_SIZE - off)
        return -1;
    if (w->own_ok && t->fd == w->own.fd) {
        memcpy(buf, (const char *)w->own.map + off, n);
        return 0;
    }
    return pread(t->fd, buf, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

/* Is owner slot `owner` (checked 1..NOWNERS) of generation gen alive? Its slot record and lock
 * are read once per read of the table (stamp). */
static int alive(struct pt__wtab *w, struct wtable *t, uint32_t owner, uint32_t gen, pid_t *pid)
{
    uint32_t i = owner - 1;
    *pid = 0;
    if (t->uid == w->self && w->own_ok && owner == w->own.owner)
        return 1;
    if (w->memo_stamp[i] != w->stamp) {
        struct pt__holds_owner o;
        w->memo_stamp[i] = w->stamp;
        w->memo_alive[i] = 0;
        if (table_read(w, t, &o, sizeof o, PT__HOLDS_OWNERS_OFF + (uint64_t)i * sizeof o) == 0) {
            w->memo_gen[i] = o.gen;
            w->memo_alive[i] = (int8_t)pt__htab_lock_alive(t->fd, owner, &w->memo_pid[i]);
        }
    }
    *pid = w->memo_pid[i];
    return w->memo_alive[i] && w->memo_gen[i] == gen;
}

/* The same hold (published once), whatever its state now. */
static int same_hold(const struct pt__holds_entry *a, const struct pt__holds_entry *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->owner == b->owner && a->gen == b->gen &&
           a->kind == b->kind && a->t_begin == b->t_begin;
}

static void unmirror(struct pt__wtab *w, struct wtable *t, uint32_t i)
{
    if (!t->mirror[i])
        return;
    pt__htab_remove(&w->own, t->mirror[i] - 1);
    t->mirror[i] = 0;
    t->nmirrored--;
}

static void mirror(struct pt__wtab *w, struct wtable *t, uint32_t i, const struct pt__holds_entry *e)
{
    if (t->mirror[i] || !w->own_ok || !w->own.owner)
        return;
    struct pt__hold h = {.dev = e->dev,
                         .ino = e->ino,
                         .kind = e->kind,
                         .pid = e->pid,
                         .uid = t->uid, /* the file's owner, not what the entry claims */
                         .t_begin = e->t_begin,
                         .name = e->name};
    int slot = pt__htab_add(&w->own, &h);
    if (slot < 0)
        return; /* window full: tried again at the next read */
    t->mirror[i] = (uint32_t)slot + 1;
    t->nmirrored++;
    w->st.mirrored++;
}

/* Compare page p, freshly read into w->scratch, with t's last read of it: new holds are
 * reported, mirrors follow. Returns the new live holds.
 *
 * A hold can begin and end between two reads (the witness's thread waited for a CPU, or nothing
 * woke it: a hold on a filesystem it watches whole rings no bell), and a deletion of it made
 * meanwhile is judged after this read. So a hold seen for the first time is reported even when it
 * is over: its owner died holding it (its entry stays READY), or it was withdrawn (FREE: the entry
 * keeps what it said until the slot is taken again, holds_table.h). Such a hold is reported as
 * ended (nothing of it is watched any more, the deletion that matters may be in the batch about to
 * be judged) and only when it began after the witness started: an old entry left in a table says
 * nothing of this trace. */
static int compare_page(struct pt__wtab *w, struct wtable *t, uint32_t p)
{
    int news = 0, foreign = t->uid != w->self;
    for (uint32_t k = 0; k < PT__HOLDS_PER_PAGE; k++) {
        uint32_t i = p * PT__HOLDS_PER_PAGE + k;
        struct pt__holds_entry *e = &w->scratch[k];
        e->name[sizeof e->name - 1] = 0;
        int sane = e->owner >= 1 && e->owner <= PT__HOLDS_NOWNERS && e->kind >= 1 &&
                   e->kind <= PT__HK_LAST && (e->dev || e->ino);
        if (sane && !foreign && w->own_ok && e->owner == w->own.owner)
            sane = 0; /* our own mirrors: already read where they come from */
        int valid = sane && e->state == PT__HE_READY, withdrawn = sane && e->state == PT__HE_FREE;
        if (!valid && !withdrawn)
            memset(e, 0, sizeof *e);
        int known = (valid || withdrawn) && same_hold(e, &t->copy[i]);
        int kept = valid && known && t->copy[i].state == PT__HE_READY;
        pid_t pid = 0;
        int live = valid && alive(w, t, e->owner, e->gen, &pid);
        if ((valid || withdrawn) && !known && (live || e->t_begin >= w->started)) {
            struct pt__wtab_hold h = {.dev = e->dev,
                                      .ino = e->ino,
                                      .kind = e->kind,
                                      .uid = t->uid,
                                      .pid = live ? pid : 0,
                                      .ended = !live,
                                      .t_begin = e->t_begin,
                                      .name = e->name};
            if (live) {
                w->st.holds++;
                news++;
            } else {
                w->st.ended++;
            }
            w->on_hold(w->arg, &h);
        }
        if (foreign) {
            if (t->mirror[i] && (!kept || !live))
                unmirror(w, t, i);
            if (live)
                mirror(w, t, i, e);
        }
        t->copy[i] = *e;
    }
    return news;
}

/* After a read of t: we wait for its doorbell from now on (then seq is read again). In our own
 * table, through the mapping (no write a doorbell would report), with the devices we watch whole;
 * in another user's, with a pwrite (never a store into a mapping it could truncate). */
static void say_waiting(struct pt__wtab *w, struct wtable *t, uint64_t was)
{
    if (t->uid == w->self && w->own_ok) {
        uint64_t devs[PT__HOLDS_NCOVERED] = {0};
        w->covered(w->arg, devs, PT__HOLDS_NCOVERED);
        for (uint32_t k = 0; k < PT__HOLDS_NCOVERED; k++)
            if (__atomic_load_n(&w->own.covered[k], __ATOMIC_RELAXED) != devs[k])
                __atomic_store_n(&w->own.covered[k], devs[k], __ATOMIC_RELAXED);
        __atomic_store_n(&w->own.hdr->waiting, 1, __ATOMIC_SEQ_CST);
        return;
    }
    uint64_t one = 1;
    if (was != 1 && pwrite(t->fd, &one, sizeof one, (off_t)offsetof(struct pt__holds_hdr, waiting)) < 0) {
        /* read-only to us: its shims never ring; the per-drain comparison of seq still finds
         * their holds */
    }
}

/* Read what changed in table t, until its seq stays put across the read. Returns the new holds
 * seen. */
static int read_table(struct pt__wtab *w, struct wtable *t)
{
    int news = 0;
    t->dirty = 0;
    if (open_table(w, t) < 0)
        return 0;
    for (int round = 0; round < 8; round++) {
        union {
            struct pt__holds_hdr h;
            unsigned char page[PT__HOLDS_OWNERS_OFF];
        } u;
        uint32_t gen[PT__HOLDS_PAGES];
        char why[160];
        if (table_read(w, t, &u, sizeof u, 0) < 0)
            return news;
        if (!u.h.magic[0])
            return news; /* sized, its header not written yet: its first hold moves seq */
        if (pt__htab_check_hdr(&u.h, t->uid, why, sizeof why) < 0) {
            char name[32];
            snprintf(name, sizeof name, PT__HOLDS_PREFIX "%u", t->uid);
            say("rings/%s: %s; not read", name, why);
            t->refused = 1;
            w->st.refused++;
            if (t->fd != w->own.fd)
                close(t->fd);
            t->fd = -1;
            return news;
        }
        memcpy(gen, u.page + PT__HOLDS_PAGEGEN_OFF, sizeof gen);
        uint64_t seq = u.h.seq;
        w->stamp++;
        for (uint32_t p = 0; p < PT__HOLDS_PAGES; p++) {
            if (t->read_once && gen[p] == t->pagegen[p])
                continue;
            if (table_read(w, t, w->scratch, PAGE_BYTES,
                           PT__HOLDS_ENTRIES_OFF + (uint64_t)p * PAGE_BYTES) < 0)
                return news;
            news += compare_page(w, t, p);
            t->pagegen[p] = gen[p];
            w->st.pages++;
        }
        t->read_once = 1;
        w->st.reads++;
        t->seq = seq;
        t->ends = u.h.ends;
        say_waiting(w, t, u.h.waiting);
        uint64_t again;
        if (table_read(w, t, &again, sizeof again, offsetof(struct pt__holds_hdr, seq)) < 0 ||
            again == seq)
            break;
    }
    return news;
}

/* Has t's seq or ends moved since the last read? */
static int moved(struct pt__wtab *w, struct wtable *t)
{
    uint64_t c[2];
    if (open_table(w, t) < 0)
        return 0;
    if (table_read(w, t, c, sizeof c, offsetof(struct pt__holds_hdr, seq)) < 0)
        return 0;
    return c[0] != t->seq || c[1] != t->ends;
}

/* A name in rings/: a ring is remembered as its writer's (pt__wtab_traced). */
static void saw_name(struct pt__wtab *w, const char *name)
{
    uint32_t pid;
    uint64_t start, instance;
    if (w->rings && pt__parse_ring_name(name, &pid, &start, &instance) == 0 && pid)
        w->rings[pid % RING_SLOTS] = (struct ringseen){pid, start};
}

/* Every table in rings/ (at start, and after an inotify overflow), and every ring. */
static void discover(struct pt__wtab *w)
{
    int fd = openat(w->rfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    for (struct dirent *de; (de = readdir(d));) {
        uint32_t uid;
        struct wtable *t;
        if (pt__htab_name_uid(de->d_name, &uid) && (t = table_of(w, uid, 1)))
            t->dirty = 1;
        else
            saw_name(w, de->d_name);
    }
    closedir(d);
}

/* ---- API -------------------------------------------------------------------------------------- */

int pt__wtab_open(struct pt__wtab **out, const char *tracedir,
                  void (*on_hold)(void *arg, const struct pt__wtab_hold *h),
                  void (*covered)(void *arg, uint64_t *devs, unsigned max), void *arg)
{
    char path[PATH_MAX + 16], why[256];
    struct pt__wtab *w = calloc(1, sizeof *w);
    if (!w)
        return -ENOMEM;
    w->rfd = w->ifd = w->nfd = -1;
    w->own.fd = -1;
    w->on_hold = on_hold;
    w->covered = covered;
    w->arg = arg;
    w->self = (uint32_t)geteuid();
    w->started = pt_now();
    w->memo_stamp = calloc(PT__HOLDS_NOWNERS, sizeof *w->memo_stamp);
    w->memo_alive = calloc(PT__HOLDS_NOWNERS, sizeof *w->memo_alive);
    w->memo_pid = calloc(PT__HOLDS_NOWNERS, sizeof *w->memo_pid);
    w->memo_gen = calloc(PT__HOLDS_NOWNERS, sizeof *w->memo_gen);
    w->rings = calloc(RING_SLOTS, sizeof *w->rings);
    int rc = -ENOMEM;
    if (!w->memo_stamp || !w->memo_alive || !w->memo_pid || !w->memo_gen || !w->rings)
        goto fail;
    snprintf(path, sizeof path, "%s/rings", tracedir);
    w->rfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (w->rfd < 0) {
        rc = -errno;
        goto fail;
    }
    /* The doorbell: writes into files of rings/ (the tables among them) */
    w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    snprintf(path, sizeof path, "/proc/self/fd/%d", w->rfd);
    if (w->ifd < 0 || inotify_add_watch(w->ifd, path, IN_MODIFY | IN_CREATE) < 0) {
        rc = -errno;
        goto fail;
    }
    /* Ring names apart (see the top): without that descriptor, the doorbell one reports them. */
    w->nfd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->nfd < 0 || inotify_add_watch(w->nfd, path, IN_MOVED_TO) < 0) {
        if (w->nfd >= 0)
            close(w->nfd);
        w->nfd = -1;
        if (inotify_add_watch(w->ifd, path, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
            rc = -errno;
            goto fail;
        }
    }
    /* This user's table: where other users' holds are mirrored, under a slot of our own */
    int fd = pt__htab_open(w->rfd, w->self, PT__HT_CREATE | PT__HT_REPLACE, why, sizeof why);
    if (fd >= 0 && pt__htab_map(&w->own, fd, w->self) == 0) {
        w->own_ok = 1;
        if (pt__htab_claim(&w->own, (uint32_t)getpid(), 0) < 0)
            w->own.owner = 0; /* read it all the same; mirror nothing */
    } else {
        if (fd >= 0)
            close(fd);
        say("rings/%s; other users' holds are not mirrored", why);
        w->own.fd = -1;
    }
    table_of(w, w->self, 1);
    discover(w);
    *out = w;
    return 0;
fail:
    pt__wtab_close(w);
    return rc;
}

int pt__wtab_fd(const struct pt__wtab *w)
{
    return w ? w->ifd : -1;
}

/* Read one inotify descriptor of rings/: doorbells (the tables they name are to be read), new
 * tables, names of new rings. */
static void take_fd(struct pt__wtab *w, int fd)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t len;
    while ((len = read(fd, buf, sizeof buf)) > 0) {
        for (char *p = buf; p < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            uint32_t uid;
            struct wtable *t;
            if (ev->mask & IN_Q_OVERFLOW)
                discover(w);
            else if (ev->len && pt__htab_name_uid(ev->name, &uid) && (t = table_of(w, uid, 1))) {
                t->dirty = 1;
                w->st.bells++;
            } else if (ev->len && (ev->mask & (IN_CREATE | IN_MOVED_TO))) {
                saw_name(w, ev->name);
            }
            p += sizeof *ev + ev->len;
        }
    }
}

/* Read the doorbells and the names of new rings. */
static void take_bells(struct pt__wtab *w)
{
    take_fd(w, w->ifd);
    if (w->nfd >= 0)
        take_fd(w, w->nfd);
}

int pt__wtab_poll(struct pt__wtab *w)
{
    int news = 0;
    take_bells(w);
    for (int round = 0; round < 4; round++) {
        int read_any = 0;
        for (unsigned i = 0; i < w->n; i++) {
            struct wtable *t = &w->t[i];
            if (t->dirty || moved(w, t)) {
                news += read_table(w, t);
                read_any = 1;
            }
        }
        if (!read_any)
            break;
        /* Saying we wait rang the bells of other users' tables just read: take those now,
         * keeping only tables that really moved since, or each would wake the witness again. */
        take_bells(w);
        for (unsigned i = 0; i < w->n; i++)
            if (w->t[i].dirty && !moved(w, &w->t[i]))
                w->t[i].dirty = 0;
    }
    return news;
}

int pt__wtab_live(struct pt__wtab *w, uint64_t dev, uint64_t ino, uint64_t since)
{
    w->stamp++; /* owners' liveness read afresh */
    for (unsigned k = 0; k < w->n; k++) {
        struct wtable *t = &w->t[k];
        if (t->fd < 0 || !t->copy)
            continue;
        for (uint32_t i = 0; i < PT__HOLDS_NENTRIES; i++) {
            const struct pt__holds_entry *e = &t->copy[i];
            pid_t pid;
            if (e->state == PT__HE_READY && e->dev == dev && e->ino == ino && e->t_begin >= since &&
                alive(w, t, e->owner, e->gen, &pid))
                return 1;
        }
    }
    return 0;
}

int pt__wtab_traced(struct pt__wtab *w, pid_t pid, uint64_t start)
{
    /* a ring is in place before its writer deletes anything: its name was queued before the
     * report of that deletion, which was read before this call */
    take_bells(w);
    const struct ringseen *r = w->rings ? &w->rings[(uint32_t)pid % RING_SLOTS] : NULL;
    return r && r->pid == (uint32_t)pid && (!start || r->start == start);
}

void pt__wtab_tick(struct pt__wtab *w)
{
    for (unsigned i = 0; i < w->n; i++) {
        struct wtable *t = &w->t[i];
        if (t->fd < 0 || t->uid == w->self || !t->nmirrored)
            continue;
        /* a holder that died holding: its entries stay in its table, its mirrors must go */
        w->stamp++;
        for (uint32_t k = 0; k < PT__HOLDS_NENTRIES && t->nmirrored; k++) {
            uint32_t o = t->copy[k].owner;
            pid_t pid;
            if (!t->mirror[k] || o < 1 || o > PT__HOLDS_NOWNERS)
                continue;
            if (!alive(w, t, o, t->copy[k].gen, &pid)) {
                unmirror(w, t, k);
                memset(&t->copy[k], 0, sizeof t->copy[k]);
            }
        }
    }
}

void pt__wtab_stats(const struct pt__wtab *w, struct pt__wtab_stats *out)
{
    *out = w->st;
    out->tables = 0;
    for (unsigned i = 0; i < w->n; i++)
        out->tables += w->t[i].fd >= 0;
}

void pt__wtab_close(struct pt__wtab *w)
{
    if (!w)
        return;
    for (unsigned i = 0; i < w->n; i++) {
        struct wtable *t = &w->t[i];
        for (uint32_t k = 0; k < PT__HOLDS_NENTRIES && t->nmirrored; k++)
            unmirror(w, t, k);
        if (t->fd >= 0 && t->fd != w->own.fd)
            close(t->fd);
        free(t->copy);
        free(t->mirror);
    }
    if (w->own_ok) {
        /* gone: no shim rings, nor skips a device as watched, until a witness waits again */
        memset(w->own.covered, 0, PT__HOLDS_NCOVERED * sizeof *w->own.covered);
        __atomic_store_n(&w->own.hdr->waiting, 0, __ATOMIC_SEQ_CST);
        pt__htab_close(&w->own); /* drops our owner slot's lock */
    }
    if (w->ifd >= 0)
        close(w->ifd);
    if (w->nfd >= 0)
        close(w->nfd);
    if (w->rfd >= 0)
        close(w->rfd);
    free(w->memo_gen);
    free(w->rings);
    free(w->memo_stamp);
    free(w->memo_alive);
    free(w->memo_pid);
    free(w);
}

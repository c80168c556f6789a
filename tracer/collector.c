/* collector.c — drains rings into CTF stream files while writers run and finishes them when the
 * writers are gone (normal exit, crash, SIGKILL, exec).
 *
 * Output: one stream file per used thread buffer, <ring>_<buffer>, because a CTF stream must be
 * monotonic in time and the threads of one process interleave; plus <ring>_p, the collector's own
 * stream for that process (`lost` for events that found no buffer, `reaped` for a process that
 * died without closing its ring). Only whole packets are appended; a torn tail left by a collector
 * killed mid-write is cut off when the next collector starts, which resumes at the packet after
 * the last one in each stream file, so a restart never duplicates or skips.
 *
 * Moving packets. A complete packet's context says how many events it holds (ring.c), so draining
 * is per packet, never per event: check the context, patch its sizes and events_discarded, and
 * append a buffer's complete packets with one pwritev. A complete packet keeps its padding up to a
 * page boundary (a full one: its whole size), so that every write starts page-aligned and the page
 * cache takes it in large folios; the pages of a buffer's first lap are faulted into our mapping
 * in one madvise, not one by one inside the copy. Only the open packet of a writer that is
 * gone is walked record by record, for its committed prefix. Flight recorder: a packet is copied
 * out first and believed only if its slot was not reopened meanwhile (a seqlock on wpos), and
 * nothing of it, not even its header, is looked at before that check. Events a packet's context
 * says the writer made but the stream does not hold (overwritten by the flight recorder, or in a
 * damaged packet) are counted exactly and added to events_discarded, so every reader sees them as
 * lost: written + lost == made, per buffer.
 *
 * Waking. The collector sleeps in epoll on an inotify watch of rings/ (new rings, by name, and the
 * byte read a writer makes to wake it: IN_ACCESS) and on a pidfd per writer (its death). Before it
 * sleeps it sets `sleeping` in every ring and looks once more (ring.c has the writer's half of that
 * handshake); while it finds work it drains pass after pass without sleeping. Writers waiting for
 * room (no-loss mode) are woken with a futex as soon as `consumed` moves. It asks the scheduler for
 * short slices (and nice -10 when allowed), so that on a busy machine a wake-up runs it soon, not
 * after the writer's slice. Soon, but not in the writer's place: the ring that woke it (inotify
 * names it) says on which CPU its writer ran, and a collector woken on that very CPU while another
 * idles moves off it (tracer/placement.c).
 *
 * Trace disk full. Packets that cannot be written stay in the ring (`consumed` does not move, so
 * the writer loses new events, counted); the buffer is tried again once a second; a finished ring
 * that could not be written whole is never removed: every proftrace reader reads it beside the
 * streams, and the statistics say how many events are left there and why.
 *
 * Liveness: the writer holds a POSIX lock on its ring; F_GETLK tells us its pid in our pid
 * namespace, and a pidfd on that pid wakes us the moment it dies. A ring whose lock is gone while
 * its process (pid + start time) still lives was left by exec, unless the process still maps it.
 *
 * Bookkeeping stays O(1) per ring and event whatever lands in rings/: rings by name in a hash
 * table, deaths from epoll, new rings from inotify names; users other than the trace's owner may
 * have RING_QUOTA rings each (attached or refused), and get one warning each.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proftrace/follow.h"
#include "proftrace/ring.h"
#include "proftrace/trace.h"
#include "tracer/collector.h"
#include "tracer/ctf.h"
#include "tracer/holds_table.h"
#include "tracer/internal.h"
#include "tracer/inode_home.h"
#include "tracer/perm.h"
#include "tracer/placement.h"
#include "tracer/ring_pool.h"
#include "tracer/rotate.h"
#include "tracer/source.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define PERIODIC_NS 200000000ull   /* lock checks (rings without a pidfd) at most this often */
#define SAFETY_SCAN_NS 5000000000ull /* with inotify: a full readdir when rings/ changed, at most */
#define RETRY_NS 1000000000ull     /* a stream that could not be written is tried again after */
#define MAX_EXIT_NOTES 4096        /* exit statuses kept (the oldest go first) */
#define BATCH 64                   /* packets per write */
#define STAGE_BYTES (8u << 20)     /* flight recorder: packets copied out per write, at most */
#define RING_QUOTA 1024u       /* rings per user other than the trace's owner */

struct cbuf {
    int sfd; /* stream file: -1 not looked at yet, -2 known but not created yet */
    int failed;         /* the last write failed: what is left stays in the ring */
    uint64_t retry_at;  /* pt_now() from which a failed stream is tried again */
    uint64_t next_seq;  /* next packet to drain */
    uint64_t file_end;  /* bytes of whole packets in the stream file */
    uint64_t written;   /* events in the stream file */
    uint64_t missing;   /* events the writer made that the stream does not hold (cumulative) */
    uint64_t ring_disc; /* the writer's events_discarded in the last packet written */
    uint64_t mapped;    /* bytes of the buffer's circle prefaulted in our mapping (first lap) */
    int rebase;         /* a restarted collector's stream that began in an older chunk: `written`
                           begins at its next packet's events_begin (chunks before hold the rest) */
};

struct cring {
    struct cring *next;
    char name[256];
    char base[256];
    int fd;
    uint8_t *map;
    size_t size;
    struct pt__ring_hdr h;
    pid_t lpid; /* writer's pid in our namespace, 0 when unknown */
    int pidfd;
    int died;   /* its pidfd said the writer is gone */
    int writable;
    int inherited; /* there when the collector started: an earlier one may have drained it in
                      part, into chunks before the one we go on in */
    struct cbuf *bufs;
};

/* A name in rings/ the collector knows: attached (ring) or done with (NULL: refused, or left). */
struct cname {
    struct cname *next;
    uint64_t hash;
    struct cring *ring;
    uid_t uid;
    char name[];
};

struct cuser {
    uid_t uid;
    unsigned rings;    /* attached or refused, counted against RING_QUOTA */
    uint64_t hidden;   /* problems not shown after the first warning */
};

struct exit_note {
    pid_t pid;
    uint64_t start_time;
    int signo;
};

struct batch {
    unsigned n;
    struct pt__pkt_hdr hdr[BATCH];
    struct iovec iov[2 * BATCH];
    size_t bytes;
    uint64_t events, written, missing, ring_disc; /* the buffer's state once it is written */
    int rebase;                                   /* cbuf's, until its first packet */
};

struct pt_collector {
    char *dir;        /* for messages: files are opened relative to dfd and rfd */
    char rings[4096]; /* for messages */
    int dfd, rfd;     /* the trace directory and its rings/, checked once (pt_perm_trace_open) */
    uid_t owner;      /* the trace's owner: the collector's user */
    char dir_at[64];  /* "/proc/self/fd/<dfd>", for interfaces that take a path */
    int sdfd;         /* where stream files go: dfd, or the chunk being written (rotation) */
    const char *sdir; /* the same, for messages */
    struct pt__rotate *rot; /* rotation (--max-size, --max-age), NULL without */
    pt_trace_diag_fn diag;
    void *diag_arg;
    int ifd, epfd;
    struct pt__pool pool; /* ring files prepared for starting processes (ring_pool.c) */
    int home_off;         /* stream files are created in place (no pool, no O_TMPFILE...) */
    int ending;           /* pt_collector_finish: no ring is recycled into the pool */
    int busy;  /* the last pass drained something: look again without sleeping */
    int armed; /* `sleeping` is set in the rings */
    int starting; /* the first scan: the rings it finds are inherited */
    /* the rings attached, oldest first: a pass drains (and finishes) them in that order, so that
     * the backlog of a process that ended goes into the chunks before what later processes wrote
     * (rotation drops the chunks written first) */
    struct cring *list, **tail;
    struct cname **names;
    size_t nnames, cap_names;
    struct cuser *users;
    size_t nusers;
    struct exit_note *exits;
    size_t nexits, cap_exits;
    uint64_t *procs; /* open-addressing set of (pid, start) of finished rings, 0 = empty */
    size_t cap_procs;
    uint64_t last_periodic, last_safety;
    struct timespec dir_mtime;
    int write_errno;
    struct pt_collector_stats st;
    struct pt_event scratch;
    uint8_t *pkt;
    size_t pkt_cap;
    uint8_t *stage;
    size_t stage_cap;
    void (*on_attach)(void *arg, pid_t pid);
    void *on_attach_arg;
};

static void cdiag(struct pt_collector *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cdiag(struct pt_collector *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pt_trace_diag_vsay(c->diag, c->diag_arg, fmt, ap);
    va_end(ap);
}

/* ---- Tables: names in rings/, users, finished processes ------------------------------------- */

static uint64_t name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

static struct cname *name_find(struct pt_collector *c, const char *name)
{
    if (!c->cap_names)
        return NULL;
    uint64_t h = name_hash(name);
    for (struct cname *n = c->names[h & (c->cap_names - 1)]; n; n = n->next)
        if (n->hash == h && !strcmp(n->name, name))
            return n;
    return NULL;
}

static struct cname *name_add(struct pt_collector *c, const char *name, uid_t uid)
{
    if (c->nnames >= c->cap_names) {
        size_t nc = c->cap_names ? 2 * c->cap_names : 256;
        struct cname **t = calloc(nc, sizeof *t);
        if (!t)
            return NULL;
        for (size_t i = 0; i < c->cap_names; i++)
            for (struct cname *n = c->names[i], *next; n; n = next) {
                next = n->next;
                n->next = t[n->hash & (nc - 1)];
                t[n->hash & (nc - 1)] = n;
            }
        free(c->names);
        c->names = t;
        c->cap_names = nc;
    }
    size_t len = strlen(name) + 1;
    struct cname *n = malloc(sizeof *n + len);
    if (!n)
        return NULL;
    memcpy(n->name, name, len);
    n->hash = name_hash(name);
    n->ring = NULL;
    n->uid = uid;
    n->next = c->names[n->hash & (c->cap_names - 1)];
    c->names[n->hash & (c->cap_names - 1)] = n;
    c->nnames++;
    return n;
}

static struct cuser *user_of(struct pt_collector *c, uid_t uid)
{
    for (size_t i = 0; i < c->nusers; i++) /* as many entries as users writing rings: a few */
        if (c->users[i].uid == uid)
            return &c->users[i];
    struct cuser *u = realloc(c->users, (c->nusers + 1) * sizeof *u);
    if (!u)
        return NULL;
    c->users = u;
    u = &c->users[c->nusers++];
    *u = (struct cuser){.uid = uid};
    return u;
}

static void name_del(struct pt_collector *c, const char *name)
{
    if (!c->cap_names)
        return;
    uint64_t h = name_hash(name);
    for (struct cname **pp = &c->names[h & (c->cap_names - 1)]; *pp; pp = &(*pp)->next) {
        struct cname *n = *pp;
        if (n->hash == h && !strcmp(n->name, name)) {
            struct cuser *u = n->uid == c->owner ? NULL : user_of(c, n->uid);
            if (u && u->rings)
                u->rings--;
            *pp = n->next;
            free(n);
            c->nnames--;
            return;
        }
    }
}

/* A problem with a ring of user `uid`: every one is shown for the trace's owner, only the first
 * for any other user (20,000 planted files must not make 20,000 lines). */
static void user_diag(struct pt_collector *c, uid_t uid, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void user_diag(struct pt_collector *c, uid_t uid, const char *fmt, ...)
{
    char msg[4400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct cuser *u = uid == c->owner ? NULL : user_of(c, uid);
    if (!u) {
        cdiag(c, "%s", msg);
    } else if (u->hidden++ == 0) {
        cdiag(c, "%s (uid %u; further problems with rings of uid %u are counted, not shown)", msg,
              (unsigned)uid, (unsigned)uid);
        c->st.warned_users++;
    }
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Whether r is this process's own ring (the witness's): by its writer's pid and start time, since
 * the lock's holder is unknown for a lock of our own (F_GETLK does not report it) or once the
 * witness has closed its ring before the last drain. */
static int own_ring(const struct cring *r)
{
    pid_t me = getpid();
    if (r->lpid == me)
        return 1;
    return (r->h.pid == (uint32_t)me || r->h.host_pid == (uint32_t)me) &&
           r->h.start_time == pt__proc_start_time(0);
}

/* Count a finished process once: (pid, start time) in an open-addressing set. */
static void count_process(struct pt_collector *c, const struct cring *r)
{
    uint64_t key = (((uint64_t)r->h.pid << 40) ^ r->h.start_time) | 1; /* never 0 (empty) */
    if (c->st.processes * 2 >= c->cap_procs) {
        size_t nc = c->cap_procs ? 2 * c->cap_procs : 256;
        uint64_t *t = calloc(nc, sizeof *t);
        if (!t)
            return;
        for (size_t i = 0; i < c->cap_procs; i++)
            for (uint64_t k = mix64(c->procs[i]); c->procs[i]; k++)
                if (!t[k & (nc - 1)]) {
                    t[k & (nc - 1)] = c->procs[i];
                    break;
                }
        free(c->procs);
        c->procs = t;
        c->cap_procs = nc;
    }
    for (uint64_t k = mix64(key);; k++) {
        uint64_t *slot = &c->procs[k & (c->cap_procs - 1)];
        if (*slot == key)
            return;
        if (!*slot) {
            *slot = key;
            c->st.processes++;
            return;
        }
    }
}

/* ---- Rings ----------------------------------------------------------------------------------- */

static const struct pt__tbuf_ctl *ctl_of(const struct cring *r, unsigned i)
{
    return (const struct pt__tbuf_ctl *)(r->map + r->h.bufs_off + r->h.tbuf_stride * i);
}

/* Is buffer i used? Only then are its pages backed: never look at them before. */
static int claimed(const struct cring *r, unsigned i)
{
    return __atomic_load_n(&pt__ring_claim_at(r->map, i)->claims, __ATOMIC_ACQUIRE) != 0;
}

static void *grow(uint8_t **buf, size_t *cap, size_t n)
{
    if (n <= *cap)
        return *buf;
    uint8_t *p = realloc(*buf, n);
    if (!p)
        return NULL;
    *buf = p;
    *cap = n;
    return p;
}

/* Walk the records of a packet body: count them, the last timestamp, where valid data ends. */
static uint64_t walk(struct pt_collector *c, const uint8_t *pkt, size_t len, uint64_t *ts,
                     size_t *valid_end, const char **why)
{
    size_t pos = PT__PKT_HDR_SIZE;
    uint64_t n = 0;
    *why = NULL;
    while (pos < len) {
        int rc = pt__decode_record(pkt + pos, len - pos, ts, &c->scratch, why);
        if (rc <= 0)
            break;
        pos += (size_t)rc;
        n++;
    }
    *valid_end = pos;
    return n;
}

static pid_t lock_holder(int fd)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
        return -1; /* not locked */
    return fl.l_pid > 0 ? fl.l_pid : 0; /* 0: locked by a pid we cannot see */
}

static void watch_pid(struct pt_collector *c, struct cring *r, pid_t pid)
{
    if (r->pidfd >= 0 || pid <= 0)
        return;
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pfd < 0)
        return;
    /* The pid may have been reused between F_GETLK and pidfd_open: the lock says who it is. */
    if (lock_holder(r->fd) != pid) {
        close(pfd);
        return;
    }
    r->lpid = pid;
    r->pidfd = pfd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = r};
    if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, pfd, &ev) < 0) {
        /* without it the periodic lock check finds the death */
    }
}

/* The ring's writer in our pid namespace, for the witness: the lock's holder, else the pid it was
 * created by while that is still the same process (pid and start time); 0 when unknown — never
 * a process that merely got its number since. */
static pid_t writer_pid(const struct cring *r)
{
    if (r->lpid > 0)
        return r->lpid;
    pid_t p = (pid_t)r->h.host_pid;
    return p > 0 && pt__proc_start_time(p) == r->h.start_time ? p : 0;
}

/* Take the ring *pp points at out of the list. */
static void list_remove(struct pt_collector *c, struct cring **pp)
{
    struct cring *r = *pp;
    *pp = r->next;
    if (c->tail == &r->next)
        c->tail = pp;
}

static void attach(struct pt_collector *c, const char *name)
{
    char path[4400], why[256];
    struct stat st;
    size_t len = strlen(name);
    if (name[0] == '.' || len < 6 || len >= sizeof ((struct cring *)0)->name ||
        strcmp(name + len - 5, ".ring") || name_find(c, name))
        return;
    snprintf(path, sizeof path, "%s/%s", c->rings, name);
    if (fstatat(c->rfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno != ENOENT)
            cdiag(c, "%s: %s", path, strerror(errno));
        return;
    }
    struct cuser *u = st.st_uid == c->owner ? NULL : user_of(c, st.st_uid);
    struct cname *nm = name_add(c, name, st.st_uid);
    if (!nm)
        return;
    if (u) {
        /* Another user's: at most RING_QUOTA of them, attached or refused, at a time. */
        if (u->rings >= RING_QUOTA) {
            c->st.refused++;
            user_diag(c, st.st_uid,
                      "%s: uid %u already has %u rings in %s; rings of that user beyond the quota "
                      "are ignored",
                      path, (unsigned)st.st_uid, RING_QUOTA, c->rings);
            return;
        }
        u->rings++;
    }
    struct cring *r = calloc(1, sizeof *r);
    if (!r)
        return;
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->base, sizeof r->base, "%.*s", (int)(len - 5), name);
    r->pidfd = -1;
    r->writable = 1;
    r->fd = openat(c->rfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (r->fd < 0 && errno == EACCES) {
        r->writable = 0;
        r->fd = openat(c->rfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    }
    if (r->fd < 0 || fstat(r->fd, &st) < 0) {
        if (errno == ENOENT) { /* gone meanwhile: forget the name */
            free(r);
            name_del(c, name);
            return;
        }
        user_diag(c, st.st_uid, "%s: %s", path, strerror(errno)); /* ELOOP: a planted link */
        goto refuse;
    }
    if (!pt_perm_ring_allowed(&st, c->owner, why, sizeof why)) {
        user_diag(c, st.st_uid, "%s: %s", path, why);
        goto refuse;
    }
    r->size = (size_t)st.st_size;
    if (r->size < sizeof r->h) {
        user_diag(c, st.st_uid, "%s: truncated at byte %zu (ring header needs %zu), left as it is",
                  path, r->size, sizeof r->h);
        goto refuse;
    }
    r->map = mmap(NULL, r->size, r->writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED,
                  r->fd, 0);
    if (r->map == MAP_FAILED) {
        r->map = NULL;
        user_diag(c, st.st_uid, "%s: %s", path, strerror(errno));
        goto refuse;
    }
    memcpy(&r->h, r->map, sizeof r->h);
    if (pt__ring_check(&r->h, r->h.file_size, why, sizeof why) < 0 || r->size < r->h.file_size) {
        if (r->size < r->h.file_size && why[0] == 0)
            snprintf(why, sizeof why, "truncated at byte %zu (ring is %" PRIu64 " bytes)",
                     r->size, r->h.file_size);
        user_diag(c, st.st_uid, "%s: %s; left for `proftrace events` to read what is valid", path,
                  why);
        goto refuse;
    }
    if (!r->writable)
        cdiag(c, "%s: read-only to the collector, its writer cannot reuse drained space", path);
    r->bufs = calloc(r->h.nbufs, sizeof *r->bufs);
    if (!r->bufs)
        goto refuse;
    for (unsigned i = 0; i < r->h.nbufs; i++)
        r->bufs[i].sfd = -1;
    pid_t holder = lock_holder(r->fd);
    if (holder > 0)
        watch_pid(c, r, holder);
    r->inherited = c->starting;
    nm->ring = r;
    *c->tail = r;
    c->tail = &r->next;
    c->st.rings++;
    pt__pool_taken(&c->pool); /* its file may have come from the pool */
    pid_t wp = writer_pid(r);
    if (c->on_attach && wp > 0)
        c->on_attach(c->on_attach_arg, wp);
    return;
refuse:
    c->st.refused++;
    if (r->map)
        munmap(r->map, r->size);
    if (r->fd >= 0)
        close(r->fd);
    free(r);
}

/* Every name in rings/: at start, after an inotify overflow, and as a safety net. */
static void scan(struct pt_collector *c)
{
    struct stat st;
    if (fstat(c->rfd, &st) == 0)
        c->dir_mtime = st.st_mtim;
    int fd = openat(c->rfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* fdopendir owns it */
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    for (struct dirent *de; (de = readdir(d));)
        attach(c, de->d_name);
    closedir(d);
}

/* Has rings/ changed since the last scan (its mtime)? */
static int rings_changed(struct pt_collector *c)
{
    struct stat st;
    return fstat(c->rfd, &st) == 0 && (st.st_mtim.tv_sec != c->dir_mtime.tv_sec ||
                                         st.st_mtim.tv_nsec != c->dir_mtime.tv_nsec);
}

/* The ring `name` woke us (IN_ACCESS: ring.c's wake-up) or was published: keep off the CPU its
 * writer said it ran on (tracer/placement.c). */
static void woken_by(struct pt_collector *c, const char *name)
{
    struct cname *nm = name_find(c, name);
    if (!nm || !nm->ring || !nm->ring->map)
        return;
    uint32_t cpu = __atomic_load_n(&pt__ring_hints_at(nm->ring->map)->wake_cpu, __ATOMIC_RELAXED);
    if (cpu && cpu <= CPU_SETSIZE)
        pt_place_woken((int)cpu - 1);
}

/* Read the inotify queue: new rings by name; the rest (a writer's wake-up) only woke us. Returns 1
 * when the queue overflowed (names were missed: scan). */
static int read_inotify(struct pt_collector *c)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    int overflow = 0;
    ssize_t n;
    while ((n = read(c->ifd, buf, sizeof buf)) > 0) {
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (ev->mask & IN_Q_OVERFLOW)
                overflow = 1;
            else if ((ev->mask & (IN_CREATE | IN_MOVED_TO)) && ev->len)
                attach(c, ev->name);
            if (ev->len && (ev->mask & (IN_ACCESS | IN_MOVED_TO)))
                woken_by(c, ev->name);
            p += sizeof *ev + ev->len;
        }
    }
    return overflow;
}

/* ---- Stream files ------------------------------------------------------------------------- */

/* The whole packets of an existing stream file: where they end, the last one's sequence number,
 * the events they hold, the events their writer had made up to the end of the last one, and its
 * events_discarded as the writer counted it. 0 when there is none. `chunk`: the file is a chunk's,
 * which holds the stream from where that chunk began; the events made before its first packet are
 * in the chunks before, and what the stream missed of them (overwritten by the flight recorder) is
 * in the last packet's events_discarded, beside the writer's own count, which has grown to
 * `writer_lost` by now: what is more is what the stream misses. */
static int stream_tail(int fd, struct cbuf *cb, uint64_t *last_seq, int chunk, uint64_t writer_lost)
{
    struct stat st;
    struct pt__pkt_hdr ph;
    uint64_t off = 0, made = 0, disc = 0;
    int found = 0;
    if (fstat(fd, &st) < 0)
        return 0;
    cb->written = cb->missing = cb->ring_disc = 0;
    while ((uint64_t)st.st_size - off >= PT__PKT_HDR_SIZE &&
           pread(fd, &ph, sizeof ph, (off_t)off) == (ssize_t)sizeof ph) {
        uint64_t psize = ph.packet_size / 8;
        if (ph.magic != PT__CTF_MAGIC || ph.packet_size % 8 || psize < PT__PKT_HDR_SIZE ||
            psize > (64u << 20) || off + psize > (uint64_t)st.st_size ||
            ph.content_size > ph.packet_size)
            break;
        off += psize;
        *last_seq = ph.packet_seq_num;
        if (!found && chunk)
            cb->written = ph.events_begin;
        cb->written += ph.event_count;
        made = ph.events_begin + ph.event_count;
        disc = ph.events_discarded;
        found = 1;
    }
    /* events_discarded = the writer's count + what the stream misses (see drain) */
    cb->missing = made > cb->written ? made - cb->written : 0;
    if (chunk && disc > writer_lost && disc - writer_lost > cb->missing)
        cb->missing = disc - writer_lost; /* missed in the chunks before */
    if (cb->missing > made)
        cb->missing = made; /* a damaged count: what the stream holds stays believed */
    cb->written = made - cb->missing;
    cb->ring_disc = disc > cb->missing ? disc - cb->missing : 0;
    cb->file_end = off;
    return found;
}

/* File `name` of the newest chunk before the one being written that has it, opened read-only (a
 * regular file, never through a link): a descriptor, or -1. What an earlier collector wrote of an
 * inherited ring before it switched chunks and died. */
static int older_chunk_file(struct pt_collector *c, const char *name)
{
    uint32_t *nums = NULL;
    int n = pt_chunks_list(c->dir_at, &nums), fd = -1;
    for (int k = n - 1; k >= 0 && fd < 0; k--) {
        char path[400];
        struct stat st;
        if (nums[k] >= pt__rotate_chunk(c->rot))
            continue;
        snprintf(path, sizeof path, "chunks/%06" PRIu32 "/%s", nums[k], name);
        fd = openat(c->dfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
            close(fd);
            fd = -1;
        }
    }
    free(nums);
    return fd;
}

/* Stream file i of ring r, opened read-write in the trace directory (never by a name resolved
 * again, never through a link), only when it is a regular file of ours with one link: the
 * collector appends to it and may cut it. Returns the descriptor, or -1 with errno set. */
static int open_stream_file(struct pt_collector *c, const struct cring *r, unsigned i, int create)
{
    char name[300];
    struct stat st;
    if (snprintf(name, sizeof name, PT__STREAM_FMT, r->base, i) >= (int)sizeof name) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = -1;
    if (create && !c->home_off) {
        /* Its inode from where the pool is (inode_home.c): a create next to the trace directory
         * may walk thousands of inodes freed nearby. A name already there (a stream this
         * collector goes on with) is opened below, as is any file where this cannot work. */
        fd = pt__create_in_home(c->pool.fd, c->sdfd, name, pt_perm_file_mode());
        if (fd < 0 && (errno == EBADF || errno == EOPNOTSUPP || errno == EISDIR ||
                       errno == EINVAL || errno == EXDEV || errno == ENOENT || errno == EPERM))
            c->home_off = 1; /* cannot work here (no pool, file system, /proc): not tried again */
    }
    if (fd < 0)
        fd = openat(c->sdfd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | create,
                    pt_perm_file_mode());
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        st.st_nlink != 1) {
        close(fd);
        errno = EPERM;
        return -1;
    }
    return fd;
}

static const char *stream_error(int e)
{
    return e == EPERM ? "not a regular file of the collector's user with one link: refused"
                      : strerror(e);
}

static int open_stream(struct pt_collector *c, struct cring *r, unsigned i)
{
    struct cbuf *cb = &r->bufs[i];
    const struct pt__tbuf_ctl *ctl = ctl_of(r, i);
    char path[4400];
    snprintf(path, sizeof path, "%s/" PT__STREAM_FMT, c->sdir, r->base, i);
    uint64_t cons = __atomic_load_n(&ctl->consumed, __ATOMIC_ACQUIRE) / r->h.sub_size;
    /* Created with the first packet (no empty streams), but an existing one is where we resume. */
    cb->sfd = open_stream_file(c, r, i, 0);
    uint64_t lost = __atomic_load_n(&ctl->lost, __ATOMIC_ACQUIRE);
    if (cb->sfd < 0 && errno == ENOENT) {
        cb->next_seq = cons;
        cb->sfd = -2;
        /* Nothing drained yet: the stream begins with its first packet we drain, and what its
         * writer made before (overwritten by the flight recorder) is missing. Drained by an
         * earlier collector into chunks dropped since: the stream here counts from its next
         * packet (`rebase`), the chunks dropped had the rest. */
        cb->rebase = c->rot && cons > 0;
        /* An earlier collector that died after a chunk switch may have written more than
         * `consumed` says (a dead writer's open packet, the packet with its last lost count): go
         * on after the last packet of the stream's file in the chunks before, as it counted. */
        char name[300];
        snprintf(name, sizeof name, PT__STREAM_FMT, r->base, i);
        int fd = r->inherited && c->rot ? older_chunk_file(c, name) : -1;
        uint64_t lseq = 0;
        if (fd >= 0 && stream_tail(fd, cb, &lseq, 1, lost)) {
            cb->rebase = 0;
            if (lseq + 1 > cb->next_seq)
                cb->next_seq = lseq + 1;
        }
        if (fd >= 0)
            close(fd);
        cb->file_end = 0; /* its file in this chunk is made with its next packet */
        return 0;
    }
    if (cb->sfd < 0) {
        int e = errno;
        cdiag(c, "%s: %s", path, stream_error(e));
        return -e;
    }
    uint64_t lseq = 0;
    int any = stream_tail(cb->sfd, cb, &lseq, c->rot != NULL, lost);
    cb->rebase = c->rot && !any;
    struct stat st;
    if (fstat(cb->sfd, &st) == 0 && (uint64_t)st.st_size != cb->file_end) {
        cdiag(c, "%s: cutting a torn packet at byte %" PRIu64 " (left by a collector that died)",
              path, cb->file_end);
        if (ftruncate(cb->sfd, (off_t)cb->file_end) < 0)
            cdiag(c, "%s: %s", path, strerror(errno));
    }
    cb->next_seq = any ? lseq + 1 : 0;
    if (cons > cb->next_seq)
        cb->next_seq = cons;
    return 0;
}

/* Tell the writer that packets up to `seq` are drained, and wake it if it waits for room. Never
 * past the packet the writer is in: the open packet of a writer that is gone is drained too, but
 * a reader must not see `consumed` beyond `wpos` (it would take that for damage); it skips that
 * packet because the stream file holds it. The packet the writer is in is the one it is in now,
 * not when the drain began: a packet it finished meanwhile was drained whole, and a collector that
 * goes on from `consumed` (restarted, in a chunk without this stream's file) must not take it
 * again. */
static void set_consumed(struct cring *r, unsigned i, uint64_t seq)
{
    if (!r->writable)
        return;
    struct pt__tbuf_ctl *ctl = (struct pt__tbuf_ctl *)ctl_of(r, i);
    uint64_t wpos = __atomic_load_n(&ctl->wpos, __ATOMIC_ACQUIRE);
    uint64_t cur = wpos ? (wpos - 1) / r->h.sub_size : 0;
    uint64_t v = (seq < cur ? seq : cur) * r->h.sub_size;
    if (__atomic_load_n(&ctl->consumed, __ATOMIC_RELAXED) < v)
        __atomic_store_n(&ctl->consumed, v, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* Dekker with the writer's waiting, consumed */
    if (__atomic_load_n(&ctl->waiting, __ATOMIC_RELAXED)) {
        __atomic_store_n(&ctl->waiting, 0, __ATOMIC_RELAXED);
        syscall(SYS_futex, &ctl->waiting, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
    }
}

/* Add a packet to the batch (not full): a patched copy of its context `ph`, the body at `src`,
 * `len` bytes of content and `size` in all (the padding after the content is copied too, so that
 * the stream file stays in whole pages: the page cache then takes the writes in large folios, and
 * the page cache is the bulk of the collector's cost), holding `count` events. */
static void batch_add(struct batch *bt, const struct pt__pkt_hdr *ph, const uint8_t *src,
                      size_t len, size_t size, uint64_t count)
{
    struct pt__pkt_hdr *h = &bt->hdr[bt->n];
    uint64_t made = ph->events_begin + count;
    if (bt->rebase) {
        bt->written = ph->events_begin;
        bt->rebase = 0;
    }
    bt->written += count;
    bt->events += count;
    /* What the writer made that the stream does not hold: overwritten, or in a damaged packet.
     * Never less than before (a damaged context cannot take lost events back). */
    if (made > bt->written && made - bt->written > bt->missing)
        bt->missing = made - bt->written;
    bt->ring_disc = ph->events_discarded;
    *h = *ph;
    h->content_size = (uint64_t)len * 8;
    h->packet_size = (uint64_t)size * 8;
    h->event_count = count;
    h->events_discarded = ph->events_discarded + bt->missing;
    bt->iov[2 * bt->n] = (struct iovec){h, PT__PKT_HDR_SIZE};
    bt->iov[2 * bt->n + 1] =
        (struct iovec){(void *)(src + PT__PKT_HDR_SIZE), size - PT__PKT_HDR_SIZE};
    bt->bytes += size;
    bt->n++;
}

/* Append the batch to buffer i's stream file in one write. 0, or -1 (nothing appended: the
 * packets stay in the ring). */
static int batch_write(struct pt_collector *c, struct cring *r, unsigned i, struct batch *bt)
{
    struct cbuf *cb = &r->bufs[i];
    char path[4400];
    if (!bt->n)
        return 0;
    snprintf(path, sizeof path, "%s/" PT__STREAM_FMT, c->sdir, r->base, i);
    if (cb->sfd == -2) {
        cb->sfd = open_stream_file(c, r, i, O_CREAT);
        if (cb->sfd < 0) {
            cb->sfd = -2;
            goto fail;
        }
    }
    struct iovec *iov = bt->iov;
    int cnt = 2 * (int)bt->n;
    uint64_t off = cb->file_end;
    size_t left = bt->bytes;
    while (left) { /* a short write is retried; a failing one ends the batch */
        ssize_t n = pwritev(cb->sfd, iov, cnt, (off_t)off);
        if (n <= 0) {
            if (n == 0)
                errno = ENOSPC;
            int e = errno;
            if (ftruncate(cb->sfd, (off_t)cb->file_end) < 0) {
                /* the next start cuts the torn packet */
            }
            errno = e;
            goto fail;
        }
        off += (uint64_t)n;
        left -= (size_t)n;
        while (cnt && (size_t)n >= iov->iov_len) {
            n -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt) {
            iov->iov_base = (uint8_t *)iov->iov_base + n;
            iov->iov_len -= (size_t)n;
        }
    }
    cb->file_end = off;
    if (cb->failed)
        cdiag(c, "%s: writing again", path);
    cb->failed = 0;
    cb->rebase = 0;
    cb->written = bt->written;
    c->st.events += bt->events;
    if (c->rot)
        pt__rotate_wrote(c->rot, bt->bytes, bt->events, bt->hdr[0].timestamp_begin,
                         bt->hdr[bt->n - 1].timestamp_end);
    if (r->h.overwrite)
        c->st.overwritten += bt->missing - cb->missing;
    else
        c->st.lost += bt->missing - cb->missing; /* damaged packets */
    cb->missing = bt->missing;
    cb->ring_disc = bt->ring_disc;
    return 0;
fail:
    if (!cb->failed)
        cdiag(c, "%s: write failed: %s; its events stay in %s/%s until they can be written", path,
              stream_error(errno), c->rings, r->name);
    if (!c->write_errno)
        c->write_errno = errno;
    cb->failed = 1;
    cb->retry_at = pt_now() + RETRY_NS;
    return -1;
}

/* Buffer i's packet `seq` is complete: into the batch, unless the flight recorder reopened its
 * slot while we copied it (it is skipped: its events come out as missing from the next one) or
 * its context is damaged (skipped, said). */
static void take_complete(struct pt_collector *c, struct cring *r, unsigned i, uint64_t seq,
                          const uint8_t *p, struct batch *bt)
{
    const struct pt__tbuf_ctl *ctl = ctl_of(r, i);
    const uint64_t S = r->h.sub_size;
    const uint8_t *src = p;
    if (r->h.overwrite) {
        /* Copy first, check the seqlock, and only then look at the copy. */
        uint8_t *dst = c->stage + (size_t)bt->n * S;
        memcpy(dst, p, S);
#ifndef __SANITIZE_THREAD__ /* TSan does not model fences; the acquire load below is the same */
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
#endif
        if (__atomic_load_n(&ctl->wpos, __ATOMIC_ACQUIRE) > (seq + r->h.nsub) * S)
            return;
        src = dst;
    }
    struct pt__pkt_hdr ph;
    memcpy(&ph, src, sizeof ph);
    size_t len = (size_t)(ph.content_size / 8);
    if (ph.magic != PT__CTF_MAGIC || ph.packet_seq_num != seq || ph.content_size % 8 ||
        len > S || len < PT__PKT_HDR_SIZE || ph.event_count > (len - PT__PKT_HDR_SIZE) / 5) {
        cdiag(c, "%s/%s: buffer %u packet %" PRIu64 ": bad header at byte %" PRIu64 ", skipped",
              c->rings, r->name, i, seq,
              r->h.bufs_off + r->h.tbuf_stride * i + r->h.ctl_size + (seq % r->h.nsub) * S);
        return;
    }
    /* Padded to a whole page (a full packet: to its size), so that the file stays page-aligned:
     * a packet closed early after a loss wastes a page at most. */
    size_t size = (len + 4095) & ~(size_t)4095;
    batch_add(bt, &ph, src, len, size < S ? size : S, ph.event_count);
}

/* Buffer i's writer is gone: its open packet `seq` holds `committed` bytes of whole records
 * (ring.c), walked to find them; the events it had reserved but not committed are missing. */
static int take_open(struct pt_collector *c, struct cring *r, unsigned i, uint64_t seq,
                     const uint8_t *p, size_t committed, struct batch *bt)
{
    const struct pt__tbuf_ctl *ctl = ctl_of(r, i);
    if (!grow(&c->pkt, &c->pkt_cap, committed))
        return -1;
    memcpy(c->pkt, p, committed);
    struct pt__pkt_hdr ph;
    memcpy(&ph, c->pkt, sizeof ph);
    if (ph.magic != PT__CTF_MAGIC || ph.packet_seq_num != seq) {
        cdiag(c, "%s/%s: buffer %u packet %" PRIu64 ": bad header at byte %" PRIu64, c->rings,
              r->name, i, seq,
              r->h.bufs_off + r->h.tbuf_stride * i + r->h.ctl_size +
                  (seq % r->h.nsub) * r->h.sub_size);
        return 0;
    }
    uint64_t ts = ph.timestamp_begin;
    size_t vend;
    const char *why;
    uint64_t n = walk(c, c->pkt, committed, &ts, &vend, &why);
    if (why)
        cdiag(c, "%s/%s: buffer %u packet %" PRIu64 ": %s at byte %" PRIu64
                 ", rest of packet dropped",
              c->rings, r->name, i, seq, why,
              r->h.bufs_off + r->h.tbuf_stride * i + r->h.ctl_size +
                  (seq % r->h.nsub) * r->h.sub_size + vend);
    ph.timestamp_end = ts > ph.timestamp_begin ? ts : ph.timestamp_begin;
    ph.events_discarded = __atomic_load_n(&ctl->lost, __ATOMIC_ACQUIRE);
    /* made up to here: every event the writer reserved */
    uint64_t all = __atomic_load_n(&ctl->events, __ATOMIC_ACQUIRE);
    if (all >= ph.events_begin + n)
        ph.events_begin = all - n;
    batch_add(bt, &ph, c->pkt, vend, vend, n);
    return 0;
}

/* Drain buffer i: its complete packets, in batches of one write each; with `final` (the writer
 * is gone) also the open packet's committed records, and what the writer lost after its last
 * packet. Returns the packets written, or -1 when the stream could not be written (they stay in
 * the ring and are tried again later). */
static void rotate_if_due(struct pt_collector *c);

static int drain_buf(struct pt_collector *c, struct cring *r, unsigned i, int final)
{
    if (!claimed(r, i))
        return 0;
    const struct pt__tbuf_ctl *ctl = ctl_of(r, i);
    struct cbuf *cb = &r->bufs[i];
    const uint64_t S = r->h.sub_size, nsub = r->h.nsub;
    uint64_t wpos = __atomic_load_n(&ctl->wpos, __ATOMIC_ACQUIRE);
    if (!wpos)
        return 0;
    if (cb->sfd == -1 && open_stream(c, r, i) < 0)
        return -1;
    if (cb->failed && pt_now() < cb->retry_at)
        return -1;
    uint64_t cur = (wpos - 1) / S;
    if (cur >= nsub && cb->next_seq + nsub <= cur) {
        /* Only the last nsub packets are in the ring: older ones were overwritten (flight
         * recorder: their events come out as missing), or wpos is damaged (a writer cannot pass
         * unconsumed packets otherwise). */
        if (!r->h.overwrite)
            cdiag(c, "%s/%s: buffer %u: write position %" PRIu64 " is past packets never drained "
                     "(damaged ring?), reading the last %" PRIu64 " packets",
                  c->rings, r->name, i, wpos, nsub);
        cb->next_seq = cur - nsub + 1;
    }
    unsigned per_batch = r->h.overwrite && (size_t)BATCH * S > STAGE_BYTES
                             ? (unsigned)(STAGE_BYTES / S)
                             : BATCH;
    if (r->h.overwrite && !grow(&c->stage, &c->stage_cap, (size_t)per_batch * S))
        return -1;
    uint64_t base = r->h.bufs_off + r->h.tbuf_stride * i + r->h.ctl_size;
    /* First lap: the packets about to be read are faulted into our mapping in one call, not a
     * page at a time by the copy inside each write. */
    uint64_t used = (cur + 1 < nsub ? cur + 1 : nsub) * S;
    if (cb->mapped < used) {
        (void)madvise(r->map + base + cb->mapped, used - cb->mapped, MADV_POPULATE_READ);
        cb->mapped = used;
    }
    int total = 0;
    for (;;) {
        struct batch bt = {.written = cb->written, .missing = cb->missing,
                           .ring_disc = cb->ring_disc, .rebase = cb->rebase};
        uint64_t seq = cb->next_seq;
        int more = 0;
        /* rotation: a batch ends where the chunk is full, the next goes into the next chunk */
        uint64_t room = c->rot ? pt__rotate_room(c->rot) : UINT64_MAX;
        for (; seq <= cur; seq++) {
            if (bt.n >= per_batch || (bt.n && bt.bytes >= room)) {
                more = 1;
                break;
            }
            uint64_t slot = seq & (nsub - 1), lap = seq / nsub;
            const uint8_t *p = r->map + base + slot * S;
            uint64_t commit = __atomic_load_n(&ctl->commit[slot], __ATOMIC_ACQUIRE);
            if (commit == (lap + 1) * S)
                take_complete(c, r, i, seq, p, &bt);
            else if (commit > (lap + 1) * S)
                continue; /* reopened by the flight recorder since we read wpos */
            else if (final && commit >= lap * S + PT__PKT_HDR_SIZE)
                take_open(c, r, i, seq, p, (size_t)(commit - lap * S), &bt);
            else if (!final)
                break; /* still being written */
            /* final and nothing committed in it: never opened, nothing readable */
        }
        if (final && !more) {
            /* Lost after the last packet written (a stalled buffer whose next packet never
             * opened), or reserved but never committed (the writer died inside a record): an
             * empty packet carries the count, so readers see it. */
            uint64_t lost = __atomic_load_n(&ctl->lost, __ATOMIC_ACQUIRE);
            uint64_t all = __atomic_load_n(&ctl->events, __ATOMIC_ACQUIRE);
            if (lost > bt.ring_disc || all > bt.written + bt.missing) {
                struct pt__pkt_hdr ph = {.magic = PT__CTF_MAGIC,
                                         .stream_instance_id =
                                             pt__stream_instance(r->h.instance, i),
                                         .timestamp_begin = ctl->last_ts,
                                         .timestamp_end = ctl->last_ts,
                                         .packet_seq_num = seq,
                                         .events_discarded = lost,
                                         .pid = r->h.pid,
                                         .tid = pt__ring_claim_at(r->map, i)->owner,
                                         .events_begin = all};
                uint8_t empty[PT__PKT_HDR_SIZE];
                memcpy(empty, &ph, sizeof ph);
                batch_add(&bt, &ph, empty, PT__PKT_HDR_SIZE, PT__PKT_HDR_SIZE, 0);
                seq++;
            }
        }
        if (seq == cb->next_seq)
            break;
        if (batch_write(c, r, i, &bt) < 0)
            return -1;
        total += (int)bt.n;
        cb->next_seq = seq;
        set_consumed(r, i, seq);
        if (!more)
            break;
        rotate_if_due(c); /* the chunk may be full: the rest of this buffer goes into the next */
    }
    return total;
}

/* ---- Finishing a ring ------------------------------------------------------------------- */

static int lookup_exit(struct pt_collector *c, pid_t pid, uint64_t start)
{
    for (size_t k = 0; k < c->nexits; k++)
        if (c->exits[k].pid == pid && (!c->exits[k].start_time || !start ||
                                       c->exits[k].start_time == start))
            return c->exits[k].signo;
    return -1;
}

/* The process stream: `lost` (no buffer) and `reaped` records, once per ring. 0, or -1 when it
 * could not be written (the ring then stays: its header still holds the count). */
static int write_proc_stream(struct pt_collector *c, struct cring *r, int reaped, int signo)
{
    const struct pt__ring_hdr *live = (const struct pt__ring_hdr *)r->map;
    uint64_t nobuf = __atomic_load_n(&live->lost_nobuf, __ATOMIC_ACQUIRE);
    if (!nobuf && !reaped)
        return 0;
    char path[4400], name[300];
    snprintf(path, sizeof path, "%s/" PT__PROC_STREAM_FMT, c->sdir, r->base);
    snprintf(name, sizeof name, PT__PROC_STREAM_FMT, r->base);
    int fd = r->inherited && c->rot ? older_chunk_file(c, name) : -1;
    if (fd >= 0) {
        close(fd);
        return 0; /* an earlier collector wrote it, then switched chunks */
    }
    fd = openat(c->sdfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                pt_perm_file_mode());
    if (fd < 0) {
        if (errno == EEXIST)
            return 0; /* an earlier collector wrote it */
        cdiag(c, "%s: %s", path, strerror(errno));
        if (!c->write_errno)
            c->write_errno = errno;
        return -1;
    }
    uint64_t last_ts = r->h.created_ts;
    for (unsigned i = 0; i < r->h.nbufs; i++) {
        if (!claimed(r, i))
            continue;
        uint64_t t = __atomic_load_n(&ctl_of(r, i)->last_ts, __ATOMIC_RELAXED);
        if (t > last_ts)
            last_ts = t;
    }
    uint64_t now = pt_now();
    if (now < last_ts)
        now = last_ts;
    uint8_t buf[PT__PKT_HDR_SIZE + 2 * 32];
    size_t pos = PT__PKT_HDR_SIZE;
    uint64_t nev = 0;
#define PUT(v, n)                                                                                  \
    do {                                                                                           \
        memcpy(buf + pos, &(v), n);                                                                \
        pos += n;                                                                                  \
    } while (0)
    if (nobuf) {
        uint8_t m = PT__ID_EXT;
        uint16_t id = PT_EV_lost + 1;
        PUT(m, 1);
        PUT(id, 2);
        PUT(last_ts, 8);
        PUT(nobuf, 8);
        nev++;
    }
    if (reaped) {
        uint8_t m = PT__ID_EXT;
        uint16_t id = PT_EV_reaped + 1;
        int32_t s = signo;
        PUT(m, 1);
        PUT(id, 2);
        PUT(now, 8);
        PUT(s, 4);
        PUT(last_ts, 8);
        nev++;
    }
#undef PUT
    struct pt__pkt_hdr ph = {
        .magic = PT__CTF_MAGIC,
        .stream_instance_id = pt__stream_instance(r->h.instance, 0xfff),
        .timestamp_begin = nobuf ? last_ts : now,
        .timestamp_end = now,
        .content_size = pos * 8,
        .packet_size = pos * 8,
        .packet_seq_num = 0,
        .events_discarded = 0,
        .pid = r->h.pid,
        .tid = 0,
        .events_begin = 0,
        .event_count = nev,
    };
    memcpy(buf, &ph, sizeof ph);
    int rc = 0;
    if (write(fd, buf, pos) != (ssize_t)pos) {
        if (!c->write_errno)
            c->write_errno = errno ? errno : ENOSPC;
        cdiag(c, "%s: write failed: %s", path, strerror(c->write_errno));
        /* gone, so that a later collector writes it again (O_EXCL) */
        unlinkat(c->sdfd, name, 0);
        rc = -1;
    } else {
        c->st.events += nev;
        if (c->rot)
            pt__rotate_wrote(c->rot, pos, nev, ph.timestamp_begin, ph.timestamp_end);
    }
    close(fd);
    return rc;
}

/* A ring drained whole, its writer gone: made a file ready for the next process to start
 * (ring_pool.c) instead of being removed, when the pool has room for it. Our mapping goes first:
 * the file is emptied, and nothing but our descriptor may hold it then. 1 when its name is gone
 * from rings/. */
static int retire(struct pt_collector *c, struct cring *r)
{
    if (c->ending)
        return 0; /* the pool goes with the collection */
    if (r->map) {
        munmap(r->map, r->size);
        r->map = NULL;
    }
    return pt__pool_recycle(&c->pool, c->rfd, r->name, r->fd);
}

/* Drain everything and remove the ring. dead: the process died without closing it. A ring that
 * could not be written whole stays in rings/ (counted in `unwritten`), never removed. */
static void finish(struct pt_collector *c, struct cring *r, int dead, int signo)
{
    int whole = 1;
    for (unsigned i = 0; i < r->h.nbufs; i++) {
        if (!claimed(r, i))
            continue;
        r->bufs[i].retry_at = 0; /* a last try, whatever happened before */
        if (drain_buf(c, r, i, 1) < 0)
            whole = 0;
    }
    const struct pt__ring_hdr *live = (const struct pt__ring_hdr *)r->map;
    uint64_t left = 0;
    for (unsigned i = 0; i < r->h.nbufs; i++) {
        if (!claimed(r, i))
            continue;
        const struct pt__tbuf_ctl *ctl = ctl_of(r, i);
        const struct cbuf *cb = &r->bufs[i];
        uint64_t all = __atomic_load_n(&ctl->events, __ATOMIC_RELAXED);
        c->st.lost += __atomic_load_n(&ctl->lost, __ATOMIC_RELAXED);
        if (all > cb->written + cb->missing)
            left += all - cb->written - cb->missing;
    }
    c->st.lost += __atomic_load_n(&live->lost_nobuf, __ATOMIC_RELAXED);
    if (dead)
        c->st.reaped++;
    if (write_proc_stream(c, r, dead, signo) < 0)
        whole = 0;
    if (!own_ring(r)) /* our own ring (the witness's) is no traced process */
        count_process(c, r);
    /* Its exit note stays (bounded, the oldest go first): the process's other rings (the shim's
     * beside a program's own, or one per exec'd image) may be finished later and need it too. */
    struct cname *nm = name_find(c, r->name);
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", c->rings, r->name);
    if (!whole) {
        c->st.unwritten += left;
        c->st.kept++;
        cdiag(c, "%s: %" PRIu64 " events could not be written to the trace; the ring stays, read "
                 "by every proftrace reader",
              path, left);
        if (nm)
            nm->ring = NULL; /* done with, not to be attached again by this collector */
    } else if (retire(c, r) || unlinkat(c->rfd, r->name, 0) == 0 || errno == ENOENT) {
        name_del(c, r->name);
    } else if (nm) {
        nm->ring = NULL;
    }
}

static void free_ring(struct pt_collector *c, struct cring *r)
{
    for (unsigned i = 0; r->bufs && i < r->h.nbufs; i++)
        if (r->bufs[i].sfd >= 0)
            close(r->bufs[i].sfd);
    free(r->bufs);
    if (r->pidfd >= 0)
        close(r->pidfd); /* leaves the epoll set with it */
    if (r->map)
        munmap(r->map, r->size);
    if (r->fd >= 0)
        close(r->fd);
    free(r);
    c->st.rings--;
}

/* Whether process pid (our namespace) still maps the ring file (it exec'd or closed its fds). */
static int maps_ring(pid_t pid, const struct cring *r)
{
    struct stat st;
    char path[64], line[1024];
    if (fstat(r->fd, &st) < 0)
        return 0;
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long long ino;
        unsigned maj, min;
        if (sscanf(line, "%*s %*s %*s %x:%x %llu", &maj, &min, &ino) == 3 &&
            ino == (unsigned long long)st.st_ino && makedev(maj, min) == st.st_dev)
            found = 1;
    }
    fclose(f);
    return found;
}

/* The fatal signal of a zombie that is not our child, from /proc/PID/stat (exit_code, field 52),
 * while its parent has not reaped it yet; -1 when unknown. */
static int zombie_signal(pid_t pid, uint64_t start)
{
    char path[64], buf[2048];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || p[2] != 'Z')
        return -1;
    unsigned long long v = 0, st = 0;
    for (int field = 3; p && field <= 52; field++) {
        p = strchr(p + 1, ' ');
        if (p && field == 22)
            st = strtoull(p + 1, NULL, 10);
        if (p && field == 52)
            v = strtoull(p + 1, NULL, 10);
    }
    if (!p || (start && st != start))
        return -1;
    int status = (int)v;
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

/* Is the writer gone? Returns 0 alive, 1 gone normally (closed or exec), 2 dead. A death is known
 * from the pidfd (epoll set r->died), else from the lock when check_lock. */
static int writer_state(struct pt_collector *c, struct cring *r, int *signo, int check_lock)
{
    const struct pt__ring_hdr *live = (const struct pt__ring_hdr *)r->map;
    *signo = 0;
    uint32_t end = __atomic_load_n(&live->closed, __ATOMIC_ACQUIRE);
    if (end == PT_RING_DETACHED) /* attach mode (pt_ring_detach, `record -p`) */
        return 1; /* proftrace detached: the process runs on untraced, its ring is complete */
    if (end == PT_RING_EXITED) {
        /* Marked by exit(), but the process's other threads may still write until it is really
         * gone: draining its open packets before then would read records being written. */
        if (r->pidfd >= 0)
            return r->died ? 1 : 0;
        return lock_holder(r->fd) >= 0 ? 0 : 1; /* still locked (0: by a pid we cannot see) */
    }
    /* An exec was under way (PT_RING_EXECING): once the writer is gone its image ended by exec, even
     * when the new image has exited too before we looked (sh -c 'exec true'); an exec that
     * failed would have reset it to PT_RING_OPEN. */
    int execing = end == PT_RING_EXECING;
    if (r->pidfd >= 0) {
        if (r->died) {
            siginfo_t si = {0};
            if (waitid((idtype_t)P_PIDFD, (id_t)r->pidfd, &si, WEXITED | WNOHANG | WNOWAIT) ==
                    0 &&
                si.si_pid && (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) && !execing)
                *signo = si.si_status;
            else if (execing)
                return 1;
            else {
                int s = lookup_exit(c, r->lpid, r->h.start_time);
                if (s < 0)
                    s = zombie_signal(r->lpid, r->h.start_time);
                *signo = s > 0 ? s : 0;
            }
            return 2;
        }
        if (!check_lock)
            return 0;
    } else if (!check_lock) {
        return 0;
    }
    pid_t holder = lock_holder(r->fd);
    if (holder >= 0) {
        if (holder > 0 && r->pidfd < 0)
            watch_pid(c, r, holder);
        return 0;
    }
    /* Unlocked and not closed: exec, closed descriptors, or death. */
    pid_t cand[3] = {r->lpid, (pid_t)r->h.host_pid, (pid_t)r->h.pid};
    for (int k = 0; k < 3; k++) {
        if (cand[k] <= 0 || pt__proc_start_time(cand[k]) != r->h.start_time)
            continue;
        char st_path[64], state = 0;
        snprintf(st_path, sizeof st_path, "/proc/%d/stat", (int)cand[k]);
        FILE *f = fopen(st_path, "re");
        if (f) {
            char buf[512];
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            buf[n] = 0;
            char *p = strrchr(buf, ')');
            if (p && p[1] == ' ')
                state = p[2];
            fclose(f);
        }
        if (state == 'Z' || state == 'X') {
            if (execing)
                return 1;
            int s = lookup_exit(c, cand[k], r->h.start_time);
            if (s < 0)
                s = zombie_signal(cand[k], r->h.start_time); /* dead, not yet reaped */
            *signo = s > 0 ? s : 0;
            return 2;
        }
        if (maps_ring(cand[k], r))
            return 0; /* alive, just closed its descriptors */
        return 1;     /* alive, exec'd: the ring is finished */
    }
    if (execing)
        return 1;
    int s = -1;
    for (int k = 0; k < 3 && s < 0; k++)
        if (cand[k] > 0)
            s = lookup_exit(c, cand[k], r->h.start_time);
    *signo = s > 0 ? s : 0;
    return 2;
}

/* ---- Sleeping and waking ------------------------------------------------------------------ */

/* Set (1) or clear (0) `sleeping` in every ring we may write. */
static void arm(struct pt_collector *c, int on)
{
    for (struct cring *r = c->list; r; r = r->next)
        if (r->writable)
            __atomic_store_n(&((struct pt__ring_hdr *)r->map)->sleeping, (uint32_t)on,
                             __ATOMIC_SEQ_CST);
    c->armed = on;
}

/* After arming: does a buffer already have as much waiting as would wake us? Not one whose stream
 * could not be written (trace disk full) before it is tried again: its packets stay in the ring
 * meanwhile, and taking them for work kept the collector from ever sleeping, a CPU spinning on a
 * full disk beside the traced programs. */
static int work_waiting(struct pt_collector *c)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint64_t now = pt_now();
    for (struct cring *r = c->list; r; r = r->next) {
        uint64_t S = r->h.sub_size;
        for (unsigned i = 0; i < r->h.nbufs; i++) {
            if (!claimed(r, i) || (r->bufs[i].failed && now < r->bufs[i].retry_at))
                continue;
            const struct pt__tbuf_ctl *ctl = ctl_of(r, i);
            uint64_t wpos = __atomic_load_n(&ctl->wpos, __ATOMIC_ACQUIRE);
            uint64_t cons = __atomic_load_n(&ctl->consumed, __ATOMIC_ACQUIRE);
            if (wpos > cons && (wpos - cons) / S >= r->h.wake_pkts)
                return 1;
            if (__atomic_load_n(&ctl->waiting, __ATOMIC_RELAXED))
                return 1;
        }
    }
    return 0;
}

/* ---- Public API --------------------------------------------------------------------------- */

/* Refuse a directory written with another layout or other event tables: its streams and ours
 * would not decode alike. Its metadata is read as every reader reads it (a regular file, never
 * through a link, never a FIFO that would block); one that cannot be read is left to the readers
 * to report. */
static int check_metadata(struct pt_collector *c)
{
    char *text;
    uint64_t have = 0;
    int64_t off;
    int has_off, format = -1;
    if (pt__ctf_metadata_read(c->sdfd, "metadata", &text) < 0)
        return 0;
    const char *f = strstr(text, "event_format = ");
    if (f)
        sscanf(f, "event_format = %d;", &format);
    int hashed = pt__ctf_metadata_parse(text, &have, &off, &has_off);
    free(text);
    if (format >= 0 && format != PT_FORMAT_VERSION) {
        cdiag(c, "%s/metadata: written by proftrace event format %d, this collector writes "
                 "format %d; use a new directory",
              c->sdir, format, PT_FORMAT_VERSION);
        return -EPROTO;
    }
    if (hashed == 1 && have != pt__table_hash()) {
        cdiag(c, "%s/metadata: written by a different event table: table hash %016" PRIx64
                 ", this collector's is %016" PRIx64 "; use a new directory",
              c->sdir, have, pt__table_hash());
        return -EPROTO;
    }
    return 0;
}

/* Ask the scheduler to run the collector soon after a writer wakes it: short slices (EEVDF's
 * sched_attr.sched_runtime, Linux 6.12; any user may, older kernels ignore it) and, when allowed
 * (CAP_SYS_NICE), nice -10 like the witness's thread. Otherwise, on a busy machine, a writer
 * flooding its buffer keeps the CPU for its whole slice and fills the buffer, losing events. Reset
 * on fork, so that a program `record` starts is scheduled as it would be anyway: hence only from
 * nice 0 or above (a reset would take a negative nice away from the program). */
static void prompt_scheduling(void)
{
    struct {
        uint32_t size, policy;
        uint64_t flags;
        int32_t nice;
        uint32_t priority;
        uint64_t runtime, deadline, period;
    } a = {.size = sizeof a, .policy = 0 /* SCHED_OTHER */, .flags = 1 /* RESET_ON_FORK */,
           .runtime = 100000 /* ns, the shortest allowed */};
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, 0);
    if (errno || nice < 0)
        return;
    a.nice = nice == 0 ? -10 : nice; /* the reset gives a child nice 0 back, nothing else */
    if (syscall(SYS_sched_setattr, 0, &a, 0) < 0 && a.nice != nice) {
        a.nice = nice;
        (void)syscall(SYS_sched_setattr, 0, &a, 0);
    }
}

/* ---- Rotation (tracer/rotate.c) ------------------------------------------------------------- */

/* The directory of the chunk being written, opened relative to the trace directory (never through
 * a link): a descriptor, or -1 with errno set. */
static int open_chunk(struct pt_collector *c)
{
    return openat(c->dfd, pt__rotate_name(c->rot), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Where stream files go: a rotated trace's chunk, else the trace directory. NULL opts: rotated
 * only when the directory already is (then without caps: it goes on in its newest chunk). */
static int open_layout(struct pt_collector *c, const struct pt__rotate_opts *opts)
{
    struct pt__rotate_opts none = {0};
    struct stat st;
    c->sdfd = c->dfd;
    c->sdir = c->dir;
    if (!opts && (fstatat(c->dfd, "chunks", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode)))
        return 0;
    int rc = pt__rotate_open(c->dir_at, c->dir, opts ? opts : &none, c->diag, c->diag_arg, &c->rot);
    if (rc < 0)
        return rc;
    c->sdir = pt__rotate_path(c->rot);
    c->sdfd = open_chunk(c);
    if (c->sdfd < 0) {
        rc = -errno;
        cdiag(c, "%s: %s", c->sdir, strerror(errno));
    }
    return rc;
}

/* Between batches: a chunk full or old is closed, its stream files with it, and the next begun.
 * A stream the collector knows goes on in the next chunk from its own position (next_seq), in a
 * file made with its next packet: never from the ring's `consumed`, which only says what the
 * writer may reuse. */
static void rotate_if_due(struct pt_collector *c)
{
    if (!c->rot || !pt__rotate_due(c->rot, pt_now()))
        return;
    if (pt__rotate_next(c->rot) < 0)
        return; /* said; the stream files go on in the chunk we are in */
    int fd = open_chunk(c);
    if (fd < 0) {
        cdiag(c, "%s: %s", pt__rotate_path(c->rot), strerror(errno));
        return; /* the same */
    }
    close(c->sdfd);
    c->sdfd = fd;
    c->sdir = pt__rotate_path(c->rot);
    for (struct cring *r = c->list; r; r = r->next)
        for (unsigned i = 0; r->bufs && i < r->h.nbufs; i++) {
            struct cbuf *cb = &r->bufs[i];
            if (cb->sfd == -1)
                continue; /* not looked at yet: open_stream finds where it stands */
            if (cb->sfd >= 0)
                close(cb->sfd);
            cb->sfd = -2;
            cb->file_end = 0;
        }
}

int pt_collector_open(const char *dir, pt_trace_diag_fn diag, void *diag_arg,
                      struct pt_collector **out)
{
    return pt_collector_open_rotated(dir, NULL, diag, diag_arg, out);
}

int pt_collector_open_rotated(const char *dir, const struct pt__rotate_opts *opts,
                              pt_trace_diag_fn diag, void *diag_arg, struct pt_collector **out)
{
    struct pt_collector *c = calloc(1, sizeof *c);
    char why[PATH_MAX + 256];
    int rc;
    if (!c)
        return -ENOMEM;
    c->diag = diag;
    c->diag_arg = diag_arg;
    c->ifd = c->epfd = c->dfd = c->rfd = c->sdfd = -1;
    c->pool.fd = -1;
    c->tail = &c->list;
    c->dir = strdup(dir);
    if (!c->dir) {
        rc = -ENOMEM;
        goto fail;
    }
    /* Made by us, or ours and closed to others; opened once, and everything from here on is
     * opened relative to these descriptors: renaming or replacing a directory on the way cannot
     * send the collector's writes elsewhere. */
    if ((rc = pt_perm_trace_open(dir, &c->dfd, &c->rfd, why, sizeof why)) < 0) {
        cdiag(c, "%s", why);
        goto fail;
    }
    c->owner = geteuid();
    snprintf(c->rings, sizeof c->rings, "%s/rings", dir);
    pt_perm_fd_path(c->dfd, c->dir_at, sizeof c->dir_at);
    /* This user's holds table exists before any other user could plant one under its name. */
    int hfd = pt__htab_open(c->rfd, (uint32_t)c->owner, PT__HT_CREATE | PT__HT_REPLACE, why,
                            sizeof why);
    if (hfd >= 0)
        close(hfd);
    else
        cdiag(c, "%s/%s; holds are not shared", c->rings, why);
    if ((rc = open_layout(c, opts)) < 0)
        goto fail;
    if ((rc = check_metadata(c)) < 0)
        goto fail;
    if (!c->rot && (rc = pt__ctf_write_metadata(c->dir_at, pt__realtime_offset())) < 0) {
        cdiag(c, "%s/metadata: %s", dir, strerror(-rc)); /* a chunk has its own, made with it */
        goto fail;
    }
    c->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (c->epfd < 0) {
        rc = -errno;
        cdiag(c, "epoll: %s", strerror(errno));
        goto fail;
    }
    c->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    char rings_at[128];
    snprintf(rings_at, sizeof rings_at, "%s/rings", c->dir_at);
    if (c->ifd >= 0 &&
        inotify_add_watch(c->ifd, rings_at, IN_MOVED_TO | IN_CREATE | IN_ACCESS) < 0) {
        close(c->ifd);
        c->ifd = -1;
    }
    if (c->ifd >= 0) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->ifd, &ev) < 0) {
            close(c->ifd);
            c->ifd = -1;
        }
    }
    /* Ring files ready for starting processes (without, they create their own). */
    (void)pt__pool_open(&c->pool, c->rfd, 0, 0);
    c->starting = 1;
    scan(c);
    c->starting = 0;
    prompt_scheduling();
    pt_place_begin(); /* this thread drains: its CPUs now are the user's choice */
    c->last_periodic = c->last_safety = pt_now();
    *out = c;
    return 0;
fail:
    pt_collector_close(c);
    return rc;
}

int pt_collector_run_once(struct pt_collector *c, int timeout_ms)
{
    int timeout = c->busy ? 0 : timeout_ms;
    /* Going to sleep: say so in every ring, then look once more (ring.c: the writer's half). */
    if (timeout > 0 && c->ifd >= 0) {
        arm(c, 1);
        if (work_waiting(c))
            timeout = 0;
    }
    struct epoll_event evs[64];
    int n = epoll_wait(c->epfd, evs, 64, timeout);
    int err = n < 0 ? errno : 0;
    if (c->armed)
        arm(c, 0); /* awake: writers need not wake us */
    if (n < 0 && err != EINTR)
        return -err;
    int rescan = c->ifd < 0;
    for (int k = 0; k < n; k++) {
        struct cring *r = evs[k].data.ptr;
        if (!r) {
            rescan |= read_inotify(c);
        } else {
            r->died = 1; /* its pidfd: the writer is gone */
            epoll_ctl(c->epfd, EPOLL_CTL_DEL, r->pidfd, NULL);
        }
    }
    if (c->ifd >= 0)
        rescan |= read_inotify(c); /* what arrived while we drained last time */
    uint64_t now = pt_now();
    int periodic = now - c->last_periodic >= PERIODIC_NS;
    if (periodic)
        c->last_periodic = now;
    if (!rescan && now - c->last_safety >= SAFETY_SCAN_NS) {
        c->last_safety = now;
        rescan = rings_changed(c);
    }
    if (rescan)
        scan(c);
    int drained = 0;
    for (struct cring **pp = &c->list; *pp;) {
        struct cring *r = *pp;
        int signo;
        int state = writer_state(c, r, &signo, periodic || r->pidfd < 0);
        if (state) {
            finish(c, r, state == 2, signo);
            list_remove(c, pp);
            free_ring(c, r);
            continue;
        }
        for (unsigned i = 0; i < r->h.nbufs; i++)
            if (drain_buf(c, r, i, 0) > 0)
                drained = 1;
        pp = &r->next;
    }
    c->busy = drained;
    rotate_if_due(c);
    if (n == 0 && !drained)
        pt__pool_fill(&c->pool); /* nothing to do: a start's wake-up never waits for this */
    return 0;
}

void pt_collector_ring_size(struct pt_collector *c, size_t buf_bytes, unsigned nbufs)
{
    pt__pool_layout(&c->pool, buf_bytes, nbufs);
}

void pt_collector_note_exit(struct pt_collector *c, pid_t pid, uint64_t start_time, int signo)
{
    if (c->nexits == c->cap_exits) {
        size_t nc = c->cap_exits ? 2 * c->cap_exits : 64;
        struct exit_note *e = realloc(c->exits, nc * sizeof *e);
        if (!e)
            return;
        c->exits = e;
        c->cap_exits = nc;
    }
    /* one note per pid: a newer process with a reused pid replaces the older note */
    for (size_t k = 0; k < c->nexits; k++)
        if (c->exits[k].pid == pid) {
            c->exits[k] = (struct exit_note){pid, start_time, signo};
            return;
        }
    if (c->nexits == MAX_EXIT_NOTES) { /* bounded: forget the oldest (of untraced processes) */
        memmove(c->exits, c->exits + 1, (c->nexits - 1) * sizeof *c->exits);
        c->nexits--;
    }
    c->exits[c->nexits++] = (struct exit_note){pid, start_time, signo};
}

int pt_collector_finish(struct pt_collector *c)
{
    c->ending = 1;
    scan(c);
    while (c->list) {
        struct cring *r = c->list;
        int signo;
        int state = writer_state(c, r, &signo, 1);
        if (!state)
            cdiag(c, "%s/%s: writer %u still running, drained what it committed", c->rings,
                  r->name, r->h.pid);
        finish(c, r, state == 2, signo);
        list_remove(c, &c->list);
        free_ring(c, r);
    }
    return 0;
}

void pt_collector_on_attach(struct pt_collector *c, void (*fn)(void *arg, pid_t pid), void *arg)
{
    c->on_attach = fn;
    c->on_attach_arg = arg;
    for (struct cring *r = c->list; r && fn; r = r->next)
        if (writer_pid(r) > 0)
            fn(arg, writer_pid(r));
}

void pt_collector_stats(const struct pt_collector *c, struct pt_collector_stats *out)
{
    *out = c->st;
    out->write_error = c->write_errno;
}

void pt_collector_close(struct pt_collector *c)
{
    if (!c)
        return;
    pt_place_end(); /* the thread goes on with the CPUs it started with */
    while (c->list) {
        struct cring *r = c->list;
        list_remove(c, &c->list);
        free_ring(c, r);
    }
    for (size_t i = 0; i < c->cap_names; i++)
        for (struct cname *n = c->names[i], *next; n; n = next) {
            next = n->next;
            free(n);
        }
    free(c->names);
    free(c->users);
    free(c->exits);
    free(c->procs);
    free(c->pkt);
    free(c->stage);
    if (c->rfd >= 0)
        pt__pool_close(&c->pool, c->rfd); /* the collection ends: nobody takes them now */
    if (c->ifd >= 0)
        close(c->ifd);
    if (c->epfd >= 0)
        close(c->epfd);
    if (c->rfd >= 0)
        close(c->rfd);
    if (c->sdfd >= 0 && c->sdfd != c->dfd)
        close(c->sdfd);
    pt__rotate_close(c->rot);
    if (c->dfd >= 0)
        close(c->dfd);
    free(c->dir);
    free(c);
}

const char *pt_collector_dir_at(const struct pt_collector *c)
{
    return c->dir_at;
}

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
 * Liveness: the writer holds a POSIX lock on its ring; F_GETLK tells us its pid in our pid
 * namespace, and a pidfd on that pid wakes us the moment it dies. A ring whose lock is gone while
 * its process (pid + start time) still lives was left by exec, unless the process still maps it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proftrace/ring.h"
#include "tracer/collector.h"
#include "tracer/ctf.h"
#include "tracer/internal.h"
#include "tracer/perm.h"
#include "tracer/rotate.h"
#include "tracer/source.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define RESCAN_NS 200000000ull
#define MAX_EXIT_NOTES 4096 /* exit statuses kept for rings not yet finished */ /* readdir and lock checks at most this often without inotify */

struct cbuf {
    int sfd; /* stream file, -1 until the buffer is first drained */
    uint64_t next_seq;
    uint64_t file_end;
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
    int writable;
    struct cbuf *bufs;
};

struct exit_note {
    pid_t pid;
    uint64_t start_time;
    int signo;
};

struct pt_collector {
    char *dir;
    const char *sdir;       /* where stream files go: dir, or the chunk being written (rotation) */
    struct pt__rotate *rot; /* rotation (--max-size, --max-age), NULL without */
    char rings[4096];
    pt_trace_diag_fn diag;
    void *diag_arg;
    int ifd;
    struct cring *list;
    char **done; /* rings finished but not removable: never attach again */
    size_t ndone;
    struct exit_note *exits;
    size_t nexits, cap_exits;
    uint64_t *procs; /* (pid << 32 ^ start) of finished rings, for the process count */
    size_t nprocs, cap_procs;
    uint64_t last_scan;
    struct pt_collector_stats st;
    struct pt_event scratch;
    uint8_t *pkt;
    size_t pkt_cap;
    void (*on_attach)(void *arg, pid_t pid);
    void *on_attach_arg;
};

static void cdiag(struct pt_collector *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cdiag(struct pt_collector *c, const char *fmt, ...)
{
    char msg[4608];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->diag)
        c->diag(c->diag_arg, msg);
    else
        fprintf(stderr, "proftrace: %s\n", msg);
}

static const struct pt__tbuf_ctl *ctl_of(const struct cring *r, unsigned i)
{
    return (const struct pt__tbuf_ctl *)(r->map + r->h.bufs_off + r->h.tbuf_stride * i);
}

static int grow_pkt(struct pt_collector *c, size_t n)
{
    if (n <= c->pkt_cap)
        return 0;
    uint8_t *p = realloc(c->pkt, n);
    if (!p)
        return -ENOMEM;
    c->pkt = p;
    c->pkt_cap = n;
    return 0;
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

/* ---- Attaching rings ---------------------------------------------------------------------- */

static pid_t lock_holder(int fd)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
        return -1; /* not locked */
    return fl.l_pid > 0 ? fl.l_pid : 0; /* 0: locked by a pid we cannot see */
}

static void watch_pid(struct cring *r, pid_t pid)
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
}

static int is_done(struct pt_collector *c, const char *name)
{
    for (size_t i = 0; i < c->ndone; i++)
        if (!strcmp(c->done[i], name))
            return 1;
    return 0;
}

static void mark_done(struct pt_collector *c, const char *name)
{
    char **n = realloc(c->done, (c->ndone + 1) * sizeof *n);
    if (!n)
        return;
    c->done = n;
    c->done[c->ndone] = strdup(name);
    if (c->done[c->ndone])
        c->ndone++;
}

static void attach(struct pt_collector *c, const char *name)
{
    char path[4400], why[256];
    struct stat st;
    struct cring *r = calloc(1, sizeof *r);
    if (!r)
        return;
    snprintf(r->name, sizeof r->name, "%s", name);
    snprintf(r->base, sizeof r->base, "%.*s", (int)(strlen(name) - 5), name);
    r->pidfd = -1;
    snprintf(path, sizeof path, "%s/%s", c->rings, name);
    r->writable = 1;
    r->fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (r->fd < 0 && errno == EACCES) {
        r->writable = 0;
        r->fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    }
    if (r->fd < 0 || fstat(r->fd, &st) < 0) {
        if (errno != ENOENT)
            cdiag(c, "%s: %s", path, strerror(errno));
        if (errno == ELOOP) /* a symbolic link planted in rings/: never followed */
            mark_done(c, name);
        goto fail;
    }
    struct stat dst;
    if (!pt_perm_ring_allowed(&st, stat(c->dir, &dst) == 0 ? dst.st_uid : geteuid(), why,
                              sizeof why)) {
        cdiag(c, "%s: %s", path, why);
        mark_done(c, name);
        goto fail;
    }
    r->size = (size_t)st.st_size;
    if (r->size < sizeof r->h) {
        cdiag(c, "%s: truncated at byte %zu (ring header needs %zu), left as it is", path,
              r->size, sizeof r->h);
        mark_done(c, name);
        goto fail;
    }
    r->map = mmap(NULL, r->size, r->writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED,
                  r->fd, 0);
    if (r->map == MAP_FAILED) {
        r->map = NULL;
        cdiag(c, "%s: %s", path, strerror(errno));
        goto fail;
    }
    memcpy(&r->h, r->map, sizeof r->h);
    if (pt__ring_check(&r->h, r->h.file_size, why, sizeof why) < 0 || r->size < r->h.file_size) {
        if (r->size < r->h.file_size && why[0] == 0)
            snprintf(why, sizeof why, "truncated at byte %zu (ring is %" PRIu64 " bytes)",
                     r->size, r->h.file_size);
        cdiag(c, "%s: %s; left for `proftrace events` to read what is valid", path, why);
        mark_done(c, name);
        goto fail;
    }
    if (!r->writable)
        cdiag(c, "%s: read-only to the collector, its writer cannot reuse drained space", path);
    r->bufs = calloc(r->h.nbufs, sizeof *r->bufs);
    if (!r->bufs)
        goto fail;
    for (unsigned i = 0; i < r->h.nbufs; i++)
        r->bufs[i].sfd = -1;
    pid_t holder = lock_holder(r->fd);
    if (holder > 0)
        watch_pid(r, holder);
    r->next = c->list;
    c->list = r;
    c->st.rings++;
    if (c->on_attach)
        c->on_attach(c->on_attach_arg, r->lpid > 0 ? r->lpid : (pid_t)r->h.host_pid);
    return;
fail:
    if (r->map)
        munmap(r->map, r->size);
    if (r->fd >= 0)
        close(r->fd);
    free(r);
}

static void scan(struct pt_collector *c)
{
    DIR *d = opendir(c->rings);
    if (!d)
        return;
    for (struct dirent *de; (de = readdir(d));) {
        size_t n = strlen(de->d_name);
        if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".ring"))
            continue;
        struct cring *r;
        for (r = c->list; r && strcmp(r->name, de->d_name); r = r->next)
            ;
        if (!r && !is_done(c, de->d_name))
            attach(c, de->d_name);
    }
    closedir(d);
}

/* ---- Stream files ------------------------------------------------------------------------- */

static int open_stream(struct pt_collector *c, struct cring *r, unsigned i)
{
    struct cbuf *cb = &r->bufs[i];
    char path[4400];
    snprintf(path, sizeof path, "%s/" PT__STREAM_FMT, c->sdir, r->base, i);
    /* Created with the first packet (no empty streams), but an existing one is where we resume. */
    cb->sfd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (cb->sfd < 0 && errno == ENOENT) {
        const struct pt__tbuf_ctl *ctl = ctl_of(r, i);
        cb->file_end = 0;
        cb->next_seq = __atomic_load_n(&ctl->consumed, __ATOMIC_ACQUIRE) / r->h.sub_size;
        cb->sfd = -2; /* known, not created yet */
        return 0;
    }
    if (cb->sfd < 0) {
        cdiag(c, "%s: %s", path, strerror(errno));
        return -errno;
    }
    uint64_t vend = 0, lseq = 0, ldisc = 0, np = 0;
    pt__stream_scan(cb->sfd, &vend, &lseq, &ldisc, &np);
    struct stat st;
    if (fstat(cb->sfd, &st) == 0 && (uint64_t)st.st_size != vend) {
        cdiag(c, "%s: cutting a torn packet at byte %" PRIu64 " (left by a collector that died)",
              path, vend);
        if (ftruncate(cb->sfd, (off_t)vend) < 0)
            cdiag(c, "%s: %s", path, strerror(errno));
    }
    cb->file_end = vend;
    const struct pt__tbuf_ctl *ctl = ctl_of(r, i);
    uint64_t cons = __atomic_load_n(&ctl->consumed, __ATOMIC_ACQUIRE) / r->h.sub_size;
    cb->next_seq = np ? lseq + 1 : 0;
    if (cons > cb->next_seq)
        cb->next_seq = cons;
    return 0;
}

static void set_consumed(struct cring *r, unsigned i, uint64_t seq)
{
    if (!r->writable)
        return;
    struct pt__tbuf_ctl *ctl = (struct pt__tbuf_ctl *)ctl_of(r, i);
    uint64_t v = seq * r->h.sub_size;
    if (__atomic_load_n(&ctl->consumed, __ATOMIC_RELAXED) < v)
        __atomic_store_n(&ctl->consumed, v, __ATOMIC_RELEASE);
}

static int append(struct pt_collector *c, struct cring *r, unsigned i, const void *hdr,
                  const void *body, size_t body_len)
{
    struct cbuf *cb = &r->bufs[i];
    if (cb->sfd == -2) {
        char path[4400];
        snprintf(path, sizeof path, "%s/" PT__STREAM_FMT, c->sdir, r->base, i);
        cb->sfd = pt_perm_open(path, O_RDWR | O_CREAT);
        if (cb->sfd < 0) {
            cdiag(c, "%s: %s", path, strerror(errno));
            cb->sfd = -2;
            return -EIO;
        }
    }
    struct iovec iov[2] = {{(void *)hdr, PT__PKT_HDR_SIZE}, {(void *)body, body_len}};
    size_t want = PT__PKT_HDR_SIZE + body_len;
    ssize_t n = pwritev(cb->sfd, iov, body_len ? 2 : 1, (off_t)cb->file_end);
    if (n != (ssize_t)want) {
        cdiag(c, "%s/" PT__STREAM_FMT ": write failed: %s", c->sdir, r->base, i,
              n < 0 ? strerror(errno) : "short write");
        if (ftruncate(cb->sfd, (off_t)cb->file_end) < 0) {
            /* leave it: the next start cuts the torn packet */
        }
        return -EIO;
    }
    cb->file_end += want;
    if (c->rot)
        pt__rotate_wrote(c->rot, want, 0, 0, 0);
    return 0;
}

/* Drain buffer i: complete packets; with `final`, also the open packet's committed records. */
static void drain_buf(struct pt_collector *c, struct cring *r, unsigned i, int final)
{
    const struct pt__tbuf_ctl *ctl = ctl_of(r, i);
    struct cbuf *cb = &r->bufs[i];
    const uint64_t S = r->h.sub_size, nsub = r->h.nsub;
    uint64_t wpos = __atomic_load_n(&ctl->wpos, __ATOMIC_ACQUIRE);
    if (!wpos || !__atomic_load_n(&ctl->claims, __ATOMIC_RELAXED))
        return;
    if (cb->sfd == -1 && open_stream(c, r, i) < 0)
        return;
    uint64_t cur = (wpos - 1) / S;
    if (cur >= nsub && cb->next_seq + nsub <= cur) {
        /* Only the last nsub packets are in the ring: older ones were overwritten (flight
         * recorder), or wpos is damaged (a writer cannot pass unconsumed packets otherwise). */
        if (!r->h.overwrite)
            cdiag(c, "%s/%s: buffer %u: write position %" PRIu64 " is past packets never drained "
                  "(damaged ring?), reading the last %" PRIu64 " packets",
                  c->rings, r->name, i, wpos, nsub);
        cb->next_seq = cur - nsub + 1;
    }
    uint64_t base = r->h.bufs_off + r->h.tbuf_stride * i + r->h.ctl_size;
    while (cb->next_seq <= cur) {
        uint64_t seq = cb->next_seq, slot = seq & (nsub - 1), lap = seq / nsub;
        const uint8_t *p = r->map + base + slot * S;
        uint64_t commit = __atomic_load_n(&ctl->commit[slot], __ATOMIC_ACQUIRE);
        struct pt__pkt_hdr ph;
        if (commit == (lap + 1) * S) {
            memcpy(&ph, p, sizeof ph);
            if (ph.magic != PT__CTF_MAGIC || ph.packet_seq_num != seq ||
                ph.content_size > S * 8 || ph.content_size < 8ull * PT__PKT_HDR_SIZE ||
                ph.content_size % 8) {
                cdiag(c, "%s/%s: buffer %u packet %" PRIu64 ": bad header at byte %" PRIu64
                      ", skipped",
                      c->rings, r->name, i, seq, base + slot * S);
            } else {
                size_t len = ph.content_size / 8;
                uint64_t ts = ph.timestamp_begin;
                size_t vend;
                const char *why;
                uint64_t n = walk(c, p, len, &ts, &vend, &why);
                if (why)
                    cdiag(c, "%s/%s: buffer %u packet %" PRIu64 ": %s at byte %" PRIu64
                          ", rest of packet dropped",
                          c->rings, r->name, i, seq, why, base + slot * S + vend);
                ph.content_size = ph.packet_size = (uint64_t)vend * 8;
                uint64_t before = cb->file_end;
                if (append(c, r, i, &ph, p + PT__PKT_HDR_SIZE, vend - PT__PKT_HDR_SIZE) < 0)
                    return;
                /* Flight recorder: the writer may have reused the slot while we copied. */
                if (r->h.overwrite &&
                    __atomic_load_n(&ctl->wpos, __ATOMIC_ACQUIRE) > (seq + nsub) * S) {
                    if (ftruncate(cb->sfd, (off_t)before) == 0)
                        cb->file_end = before;
                    n = 0;
                }
                c->st.events += n;
                if (c->rot)
                    pt__rotate_wrote(c->rot, 0, n, ph.timestamp_begin, ph.timestamp_end);
            }
        } else if (final && commit >= lap * S + PT__PKT_HDR_SIZE && commit < (lap + 1) * S) {
            /* The open packet of a writer that is gone: its committed prefix of whole records. */
            size_t committed = (size_t)(commit - lap * S);
            if (grow_pkt(c, committed) < 0)
                return;
            memcpy(c->pkt, p, committed);
            memcpy(&ph, c->pkt, sizeof ph);
            if (ph.magic != PT__CTF_MAGIC || ph.packet_seq_num != seq) {
                cdiag(c, "%s/%s: buffer %u packet %" PRIu64 ": bad header at byte %" PRIu64,
                      c->rings, r->name, i, seq, base + slot * S);
            } else {
                uint64_t ts = ph.timestamp_begin;
                size_t vend;
                const char *why;
                uint64_t n = walk(c, c->pkt, committed, &ts, &vend, &why);
                if (why)
                    cdiag(c, "%s/%s: buffer %u packet %" PRIu64 ": %s at byte %" PRIu64
                          ", rest of packet dropped",
                          c->rings, r->name, i, seq, why, base + slot * S + vend);
                ph.content_size = ph.packet_size = (uint64_t)vend * 8;
                ph.timestamp_end = ts > ph.timestamp_begin ? ts : ph.timestamp_begin;
                ph.events_discarded = __atomic_load_n(&ctl->lost, __ATOMIC_ACQUIRE);
                if (append(c, r, i, &ph, c->pkt + PT__PKT_HDR_SIZE, vend - PT__PKT_HDR_SIZE) < 0)
                    return;
                c->st.events += n;
                if (c->rot)
                    pt__rotate_wrote(c->rot, 0, n, ph.timestamp_begin, ph.timestamp_end);
            }
        } else if (final && commit < lap * S + PT__PKT_HDR_SIZE) {
            /* never opened, or its header never committed: nothing readable */
        } else {
            break; /* still being written */
        }
        cb->next_seq = seq + 1;
        set_consumed(r, i, cb->next_seq);
    }
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

/* The process stream: `lost` (no buffer) and `reaped` records, once per ring. */
static void write_proc_stream(struct pt_collector *c, struct cring *r, int reaped, int signo)
{
    uint64_t nobuf = __atomic_load_n(&r->h.lost_nobuf, __ATOMIC_RELAXED);
    const struct pt__ring_hdr *live = (const struct pt__ring_hdr *)r->map;
    nobuf = __atomic_load_n(&live->lost_nobuf, __ATOMIC_ACQUIRE);
    if (!nobuf && !reaped)
        return;
    char path[4400];
    snprintf(path, sizeof path, "%s/" PT__PROC_STREAM_FMT, c->sdir, r->base);
    int fd = pt_perm_open(path, O_WRONLY | O_CREAT | O_EXCL);
    if (fd < 0) {
        if (errno != EEXIST)
            cdiag(c, "%s: %s", path, strerror(errno));
        return; /* EEXIST: an earlier collector wrote it */
    }
    uint64_t last_ts = r->h.created_ts;
    for (unsigned i = 0; i < r->h.nbufs; i++) {
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
    };
    memcpy(buf, &ph, sizeof ph);
    if (write(fd, buf, pos) != (ssize_t)pos) {
        cdiag(c, "%s: write failed", path);
        if (ftruncate(fd, 0) < 0) {
            /* a reader reports the torn packet */
        }
    } else {
        c->st.events += nev;
        if (c->rot)
            pt__rotate_wrote(c->rot, pos, nev, ph.timestamp_begin, ph.timestamp_end);
    }
    close(fd);
}

static void count_process(struct pt_collector *c, const struct cring *r)
{
    uint64_t key = ((uint64_t)r->h.pid << 40) ^ r->h.start_time;
    for (size_t k = 0; k < c->nprocs; k++)
        if (c->procs[k] == key)
            return;
    if (c->nprocs == c->cap_procs) {
        size_t nc = c->cap_procs ? 2 * c->cap_procs : 64;
        uint64_t *n = realloc(c->procs, nc * sizeof *n);
        if (!n)
            return;
        c->procs = n;
        c->cap_procs = nc;
    }
    c->procs[c->nprocs++] = key;
    c->st.processes = c->nprocs;
}

/* Drain everything and remove the ring. dead: the process died without closing it. */
static void finish(struct pt_collector *c, struct cring *r, int dead, int signo)
{
    for (unsigned i = 0; i < r->h.nbufs; i++)
        drain_buf(c, r, i, 1);
    const struct pt__ring_hdr *live = (const struct pt__ring_hdr *)r->map;
    for (unsigned i = 0; i < r->h.nbufs; i++)
        c->st.lost += __atomic_load_n(&ctl_of(r, i)->lost, __ATOMIC_RELAXED);
    c->st.lost += __atomic_load_n(&live->lost_nobuf, __ATOMIC_RELAXED);
    if (dead)
        c->st.reaped++;
    write_proc_stream(c, r, dead, signo);
    count_process(c, r);
    for (size_t k = 0; k < c->nexits; k++) /* its exit note served its purpose */
        if (c->exits[k].start_time == r->h.start_time &&
            (c->exits[k].pid == r->lpid || c->exits[k].pid == (pid_t)r->h.pid ||
             c->exits[k].pid == (pid_t)r->h.host_pid)) {
            c->exits[k] = c->exits[--c->nexits];
            break;
        }
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", c->rings, r->name);
    if (unlink(path) < 0 && errno != ENOENT)
        mark_done(c, r->name);
}

static void free_ring(struct pt_collector *c, struct cring *r)
{
    for (unsigned i = 0; r->bufs && i < r->h.nbufs; i++)
        if (r->bufs[i].sfd >= 0)
            close(r->bufs[i].sfd);
    free(r->bufs);
    if (r->pidfd >= 0)
        close(r->pidfd);
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

/* Is the writer gone? Returns 0 alive, 1 gone normally (closed or exec), 2 dead. */
static int writer_state(struct pt_collector *c, struct cring *r, int *signo, int check_lock)
{
    const struct pt__ring_hdr *live = (const struct pt__ring_hdr *)r->map;
    *signo = 0;
    uint32_t end = __atomic_load_n(&live->closed, __ATOMIC_ACQUIRE);
    if (end == PT_RING_EXITED) {
        /* Marked by exit(), but the process's other threads may still write until it is really
         * gone: draining its open packets before then would read records being written. */
        if (r->pidfd >= 0) {
            struct pollfd pfd = {.fd = r->pidfd, .events = POLLIN};
            return poll(&pfd, 1, 0) == 1 ? 1 : 0;
        }
        return lock_holder(r->fd) >= 0 ? 0 : 1; /* still locked (0: by a pid we cannot see) */
    }
    /* An exec was under way (PT_RING_EXECING): once the writer is gone its image ended by exec, even
     * when the new image has exited too before we looked (sh -c 'exec true'); an exec that
     * failed would have reset it to PT_RING_OPEN. */
    int execing = end == PT_RING_EXECING;
    if (r->pidfd >= 0) {
        struct pollfd pfd = {.fd = r->pidfd, .events = POLLIN};
        if (poll(&pfd, 1, 0) == 1) {
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
            watch_pid(r, holder);
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
            break; /* dead, not yet reaped */
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

/* ---- Public API --------------------------------------------------------------------------- */

int pt_collector_open(const char *dir, pt_trace_diag_fn diag, void *diag_arg,
                      struct pt_collector **out)
{
    return pt_collector_open_rotated(dir, NULL, diag, diag_arg, out);
}

/* ---- Rotation (tracer/rotate.c) ------------------------------------------------------------- */

/* Where stream files go: a rotated trace's chunk, else the trace directory. NULL opts: rotated
 * only when the directory already is (then without caps: it goes on in its newest chunk). */
static int open_layout(struct pt_collector *c, const struct pt__rotate_opts *opts)
{
    struct pt__rotate_opts none = {0};
    char chunks[4200];
    struct stat st;
    snprintf(chunks, sizeof chunks, "%s/chunks", c->dir);
    c->sdir = c->dir;
    if (!opts && (lstat(chunks, &st) < 0 || !S_ISDIR(st.st_mode)))
        return 0;
    int rc = pt__rotate_open(c->dir, opts ? opts : &none, c->diag, c->diag_arg, &c->rot);
    if (rc == 0)
        c->sdir = pt__rotate_path(c->rot);
    return rc;
}

/* Between passes: a chunk full or old is closed, its stream files with it, and the next begun. */
static void rotate_if_due(struct pt_collector *c)
{
    if (!c->rot || !pt__rotate_due(c->rot, pt_now()))
        return;
    for (struct cring *r = c->list; r; r = r->next)
        for (unsigned i = 0; i < r->h.nbufs; i++)
            if (r->bufs[i].sfd != -1) {
                if (r->bufs[i].sfd >= 0)
                    close(r->bufs[i].sfd);
                r->bufs[i].sfd = -1; /* opened in the next chunk; next_seq goes on */
            }
    pt__rotate_next(c->rot);
    c->sdir = pt__rotate_path(c->rot);
}

int pt_collector_open_rotated(const char *dir, const struct pt__rotate_opts *opts,
                              pt_trace_diag_fn diag, void *diag_arg, struct pt_collector **out)
{
    struct pt_collector *c = calloc(1, sizeof *c);
    int rc;
    if (!c)
        return -ENOMEM;
    c->diag = diag;
    c->diag_arg = diag_arg;
    c->ifd = -1;
    c->dir = strdup(dir);
    if (!c->dir) {
        rc = -ENOMEM;
        goto fail;
    }
    if ((rc = pt_perm_mkdir(dir, PT_PERM_TRACE_DIR)) < 0) {
        cdiag(c, "%s: %s", dir, strerror(-rc));
        goto fail;
    }
    snprintf(c->rings, sizeof c->rings, "%s/rings", dir);
    if ((rc = pt_perm_mkdir(c->rings, PT_PERM_RINGS_DIR)) < 0) {
        cdiag(c, "%s: %s", c->rings, strerror(-rc));
        goto fail;
    }
    if ((rc = open_layout(c, opts)) < 0)
        goto fail;
    if ((rc = pt__ctf_write_metadata(c->sdir, pt__realtime_offset())) < 0) {
        cdiag(c, "%s/metadata: %s", c->sdir, strerror(-rc));
        goto fail;
    }
    {
        /* A directory written by another build: its streams and ours would not decode alike. */
        char mpath[4400];
        uint64_t have = 0;
        snprintf(mpath, sizeof mpath, "%s/metadata", c->sdir);
        if (pt__ctf_metadata_hash(mpath, &have) == 1 && have != pt__table_hash()) {
            cdiag(c, "%s: written by a different event table: table hash %016" PRIx64
                     ", this collector's is %016" PRIx64 "; use a new directory",
                  mpath, have, pt__table_hash());
            rc = -EPROTO;
            goto fail;
        }
    }
    c->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (c->ifd >= 0 && inotify_add_watch(c->ifd, c->rings, IN_MOVED_TO | IN_CREATE) < 0) {
        close(c->ifd);
        c->ifd = -1;
    }
    scan(c);
    c->last_scan = pt_now();
    *out = c;
    return 0;
fail:
    pt_collector_close(c);
    return rc;
}

int pt_collector_run_once(struct pt_collector *c, int timeout_ms)
{
    struct pollfd pfds[64];
    nfds_t n = 0;
    if (c->ifd >= 0)
        pfds[n++] = (struct pollfd){.fd = c->ifd, .events = POLLIN};
    for (struct cring *r = c->list; r && n < 64; r = r->next)
        if (r->pidfd >= 0)
            pfds[n++] = (struct pollfd){.fd = r->pidfd, .events = POLLIN};
    if (timeout_ms > 0 && poll(pfds, n, timeout_ms) < 0 && errno != EINTR)
        return -errno;
    int rescan = 0;
    if (c->ifd >= 0) {
        char buf[4096];
        while (read(c->ifd, buf, sizeof buf) > 0)
            rescan = 1;
    }
    uint64_t now = pt_now();
    int periodic = now - c->last_scan >= RESCAN_NS;
    if (rescan || periodic || c->ifd < 0) {
        scan(c);
        c->last_scan = now;
    }
    for (struct cring **pp = &c->list; *pp;) {
        struct cring *r = *pp;
        int signo;
        int state = writer_state(c, r, &signo, periodic || r->pidfd < 0);
        if (state) {
            finish(c, r, state == 2, signo);
            *pp = r->next;
            free_ring(c, r);
            continue;
        }
        for (unsigned i = 0; i < r->h.nbufs; i++)
            drain_buf(c, r, i, 0);
        pp = &r->next;
    }
    rotate_if_due(c);
    return 0;
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
    scan(c);
    while (c->list) {
        struct cring *r = c->list;
        int signo;
        int state = writer_state(c, r, &signo, 1);
        if (!state)
            cdiag(c, "%s/%s: writer %u still running, drained what it committed", c->rings,
                  r->name, r->h.pid);
        finish(c, r, state == 2, signo);
        c->list = r->next;
        free_ring(c, r);
    }
    return 0;
}

void pt_collector_on_attach(struct pt_collector *c, void (*fn)(void *arg, pid_t pid), void *arg)
{
    c->on_attach = fn;
    c->on_attach_arg = arg;
    for (struct cring *r = c->list; r && fn; r = r->next)
        fn(arg, r->lpid > 0 ? r->lpid : (pid_t)r->h.host_pid);
}

void pt_collector_stats(const struct pt_collector *c, struct pt_collector_stats *out)
{
    *out = c->st;
}

void pt_collector_close(struct pt_collector *c)
{
    if (!c)
        return;
    while (c->list) {
        struct cring *r = c->list;
        c->list = r->next;
        free_ring(c, r);
    }
    for (size_t i = 0; i < c->ndone; i++)
        free(c->done[i]);
    free(c->done);
    free(c->exits);
    free(c->procs);
    free(c->pkt);
    if (c->ifd >= 0)
        close(c->ifd);
    pt__rotate_close(c->rot);
    free(c->dir);
    free(c);
}

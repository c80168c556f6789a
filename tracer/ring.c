/* ring.c — the per-process ring: a file-backed shared mapping carved into per-thread buffers.
 *
 * Design
 * ------
 * Layout. A traced process creates one file, <dir>/rings/<pid>-<starttime>-<random>.ring, maps it
 * MAP_SHARED and never re-opens anything afterwards (no names to lose after unshare/setns/setuid).
 * The file is a header page (struct pt__ring_hdr: magic, version, endianness, word size, header
 * size, every layout offset, pid, start time, the CLOCK_REALTIME offset, the `closed` flag), then
 * `nbufs` thread buffers. A thread buffer is a control page (struct pt__tbuf_ctl) and a circle of
 * `nsub` packets of `sub_size` bytes. Each packet starts with a CTF 1.8 packet header + context and
 * holds CTF event records (ctf_meta.c describes them), so the collector drains a packet by copying
 * it into a stream file and patching two size fields.
 *
 * Who writes what. A thread claims a free buffer with a CAS on `owner` (0 -> tid) on its first event
 * and writes a `thread` event first, so a reused buffer says whose events follow; it releases the
 * buffer at exit by storing 0. Only the owning thread, and signal handlers that interrupt it, ever
 * write `wpos`, `lost`, `last_ts`, `stalled`, `commit[]` and the packets. Only the collector writes
 * `consumed`. `closed` (enum pt_ring_end) by pt_ring_finish / pt_ring_close: 1 at a normal exit,
 * 2 around an exec (back to 0 if the exec returns); `lost_nobuf` by any thread (atomic add).
 *
 * Reservation. `wpos` is a virtual offset: bytes reserved since creation; wpos % (nsub*sub_size) is
 * the place in the circle and wpos / sub_size the packet's sequence number. A writer reads wpos,
 * computes where its record goes (the current packet, or — when it does not fit — the start of the
 * next packet after that packet's header) and installs the new wpos with a compare-and-swap. The
 * only concurrency on wpos is a signal handler of the same thread, so the CAS is a non-locked
 * `cmpxchg` on x86-64 (atomic against interruption, like the kernel's local_t), a full CAS
 * elsewhere and under TSan. A handler that runs between the read and the CAS makes the CAS fail and
 * the outer writer retries; a handler that runs after the CAS reserves after the outer record.
 * Nothing on this path makes a system call or takes a lock.
 *
 * Switching packets. The writer whose reservation crosses a packet end closes the old packet
 * (writes content_size, timestamp_end, events_discarded into its context and commits the padding up
 * to the packet end) and opens the new one (writes its header and commits it). A record never ends
 * exactly at a packet end, so a packet always needs an explicit close.
 *
 * Commit. commit[slot] counts the bytes committed in that slot over all laps. A writer commits its
 * record by storing its first byte (the event id + 1, never 0: the per-record commit mark) with
 * release order and then adding the record size to commit[slot]. Packet P (sequence number) in slot
 * P % nsub, lap P / nsub, is complete when commit[slot] == (lap + 1) * sub_size: header, every
 * record and the padding are then written, whatever order nested writers committed in.
 *
 * How a reader resolves a torn write. The collector drains only complete packets while a writer is
 * alive, so it never sees a partial record. After the writer is gone (closed, killed, crashed) the
 * open packet is read up to the bytes committed in it (commit[slot] - lap * sub_size): records are
 * reserved in order and committed before the next is reserved, so the committed count covers a
 * prefix of whole records, and a record whose commit mark is 0 ends the walk (a SIGKILL between
 * reserve and commit). The one torn case this cannot see — a writer killed inside a record while a
 * signal handler had committed a later one in the same packet — costs that packet's tail, which the
 * decoder bounds-checks and reports. A packet whose header was never committed is skipped.
 *
 * Full buffers. Discard mode: a new packet may be opened only if the collector consumed the slot
 * (start - consumed < nsub*sub_size); otherwise the event is counted in `lost` and the buffer is
 * `stalled`: later events are lost too until a packet opens, so the lost ones sit, in time, exactly
 * between two packets, and the cumulative count lands in the next closed packet's
 * events_discarded. Readers turn a difference of events_discarded into a `lost` event. Overwrite
 * (flight recorder) mode: the writer reopens the oldest slot without waiting for the collector (it
 * only requires the slot's previous lap to be complete), the collector validates each copy against
 * wpos afterwards (a seqlock) and readers keep the newest packets.
 *
 * Time. Events are stamped with CLOCK_MONOTONIC ns. A compact record carries the low 32 bits of its
 * timestamp, relative (for CTF readers) to the previous event of the packet; a record more than 2^31
 * ns after the previous one, or with a large id, carries the full 64 bits (extended header). To keep
 * each packet monotonic when a signal handler's event lands between the outer writer's clock read
 * and its reservation, a record's timestamp is raised to `last_ts` when it is older.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proftrace/ring.h"
#include "tracer/format.h"
#include "tracer/internal.h"
#include "tracer/perm.h"

struct pt_tbuf {
    struct pt__tbuf_ctl *ctl;
    uint8_t *data;
    struct pt_ring *ring;
    uint64_t ring_mask; /* nsub * sub_size - 1 */
    uint64_t instance;
    uint32_t sub_size, sub_shift, nsub_shift, idx, overwrite, pid;
    uint8_t backing; /* 0: packets not reserved yet, 1: reserved, 2: the file system was full */
};

struct pt_ring {
    struct pt__ring_hdr *hdr;
    size_t map_size;
    size_t self_size; /* bytes of this struct's own mapping */
    int fd;                /* high-numbered (pt__fd_high), holds the liveness lock */
    uint64_t fd_dev, fd_ino; /* what fd is, so a fork child never closes a number reused */
    int reserve; /* the file system supports fallocate: pages are reserved before use */
    unsigned nbufs;
    char path[PATH_MAX];
    struct pt_tbuf tb[];
};

/* ---- Signal-atomic primitives (see the essay: only the owner thread and its handlers) -------- */

#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
static inline int local_cas(uint64_t *p, uint64_t *expected, uint64_t desired)
{
    uint64_t prev = *expected;
    unsigned char ok;
    __asm__ __volatile__("cmpxchgq %3, %1\n\tsete %0"
                         : "=q"(ok), "+m"(*p), "+a"(prev)
                         : "r"(desired)
                         : "memory", "cc");
    *expected = prev;
    return ok;
}
static inline void local_add(uint64_t *p, uint64_t v)
{
    __asm__ __volatile__("addq %1, %0" : "+m"(*p) : "r"(v) : "memory", "cc");
}
#else
static inline int local_cas(uint64_t *p, uint64_t *expected, uint64_t desired)
{
    return __atomic_compare_exchange_n(p, expected, desired, 0, __ATOMIC_SEQ_CST,
                                       __ATOMIC_RELAXED);
}
static inline void local_add(uint64_t *p, uint64_t v)
{
    __atomic_fetch_add(p, v, __ATOMIC_RELEASE);
}
#endif

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* ---- Writer hot path ------------------------------------------------------------------------ */

static void close_packet(struct pt_tbuf *b, uint64_t old, uint64_t t)
{
    uint64_t pstart = old & ~(uint64_t)(b->sub_size - 1);
    struct pt__pkt_hdr *ph = (struct pt__pkt_hdr *)(b->data + (pstart & b->ring_mask));
    uint64_t used = old - pstart;
    ph->content_size = used * 8;
    ph->packet_size = (uint64_t)b->sub_size * 8;
    ph->timestamp_end = t;
    ph->events_discarded = LOAD(&b->ctl->lost);
    local_add(&b->ctl->commit[(pstart >> b->sub_shift) & ((1u << b->nsub_shift) - 1)],
              b->sub_size - used);
}

static void open_packet(struct pt_tbuf *b, uint64_t pstart, uint64_t t)
{
    struct pt__pkt_hdr *ph = (struct pt__pkt_hdr *)(b->data + (pstart & b->ring_mask));
    ph->magic = PT__CTF_MAGIC;
    ph->stream_instance_id = pt__stream_instance(b->instance, b->idx);
    ph->timestamp_begin = t;
    ph->timestamp_end = t;
    ph->content_size = 0;
    ph->packet_size = (uint64_t)b->sub_size * 8;
    ph->packet_seq_num = pstart >> b->sub_shift;
    ph->events_discarded = LOAD(&b->ctl->lost);
    ph->pid = b->pid;
    ph->tid = LOAD(&b->ctl->owner);
    STORE(&b->ctl->stalled, 0);
    local_add(&b->ctl->commit[(pstart >> b->sub_shift) & ((1u << b->nsub_shift) - 1)],
              PT__PKT_HDR_SIZE);
}

int pt_tbuf_begin(struct pt_tbuf *b, uint16_t id, uint64_t ts, size_t size, struct pt_enc *e)
{
    struct pt__tbuf_ctl *c = b->ctl;
    const uint64_t S = b->sub_size;
    const unsigned mark = (unsigned)id + 1u;
    uint64_t old = LOAD(&c->wpos), begin, t, nw;
    uint32_t hsz, total;
    int sw_old, sw_new;

    if (size > S - PT__PKT_HDR_SIZE - PT__HDR_EXT - 1)
        goto lost;
    do {
        uint64_t last = LOAD(&c->last_ts);
        uint64_t off = old & (S - 1);
        t = ts > last ? ts : last;
        hsz = (mark >= PT__ID_EXT || t - last >= PT__TS_COMPACT_MAX) ? PT__HDR_EXT
                                                                      : PT__HDR_COMPACT;
        total = hsz + (uint32_t)size;
        sw_old = sw_new = 0;
        if (old == 0) {
            sw_new = 1;
            begin = PT__PKT_HDR_SIZE;
        } else if (off + total >= S || LOAD(&c->stalled)) {
            sw_old = off != 0;
            sw_new = 1;
            begin = ((old - 1) | (S - 1)) + 1 + PT__PKT_HDR_SIZE;
        } else {
            begin = old;
        }
        if (sw_new) {
            uint64_t pstart = begin - PT__PKT_HDR_SIZE;
            uint64_t lap = pstart >> (b->sub_shift + b->nsub_shift);
            unsigned slot = (unsigned)(pstart >> b->sub_shift) & ((1u << b->nsub_shift) - 1);
            if (!b->overwrite) {
                /* the slot's previous packet must be drained: consumed >= pstart - size + S */
                if (pstart + S - __atomic_load_n(&c->consumed, __ATOMIC_ACQUIRE) > b->ring_mask + 1)
                    goto lost;
            } else if (__atomic_load_n(&c->commit[slot], __ATOMIC_ACQUIRE) != lap * S) {
                goto lost; /* the slot's previous lap is still being written (nested writer) */
            }
        }
        nw = begin + total;
    } while (!local_cas(&c->wpos, &old, nw));
    STORE(&c->last_ts, t);
    if (sw_old)
        close_packet(b, old, t);
    if (sw_new)
        open_packet(b, begin - PT__PKT_HDR_SIZE, t);

    uint8_t *rec = b->data + (begin & b->ring_mask);
    if (hsz == PT__HDR_EXT) {
        uint16_t id16 = (uint16_t)mark;
        __builtin_memcpy(rec + 1, &id16, 2);
        __builtin_memcpy(rec + 3, &t, 8);
        e->mark = PT__ID_EXT;
    } else {
        uint32_t lo = (uint32_t)t;
        __builtin_memcpy(rec + 1, &lo, 4);
        e->mark = (uint8_t)mark;
    }
    e->p = rec + hsz;
    e->end = rec + total;
    e->priv = b;
    e->rec = rec;
    e->commit = &c->commit[(begin >> b->sub_shift) & ((1u << b->nsub_shift) - 1)];
    e->total = total;
    return 0;
lost:
    local_add(&c->lost, 1);
    STORE(&c->stalled, 1);
    return -ENOSPC;
}

void pt_tbuf_commit(struct pt_tbuf *b, struct pt_enc *e)
{
    (void)b;
    __atomic_store_n(e->rec, e->mark, __ATOMIC_RELEASE);
    local_add(e->commit, e->total);
}

int pt_tbuf_write(struct pt_tbuf *b, uint16_t id, uint64_t ts, const void *fields, size_t size)
{
    struct pt_enc e;
    int rc = pt_tbuf_begin(b, id, ts, size, &e);
    if (rc)
        return rc;
    if (size)
        __builtin_memcpy(e.p, fields, size);
    e.p += size;
    pt_tbuf_commit(b, &e);
    return 0;
}

/* ---- Buffers: claim and release ------------------------------------------------------------ */

/* Reserve file blocks for [off, off+len) of the ring file. A store into a page of a shared file
 * mapping that the file system cannot back (disk or tmpfs full) raises SIGBUS in the writer, which
 * would kill the traced program: so every page is reserved before its first store, the header and
 * control pages at creation, a thread buffer's packets when a thread first claims it. 0, or a
 * negative errno; file systems without fallocate keep the sparse file (0, r->reserve cleared). */
static int ring_reserve(struct pt_ring *r, int fd, uint64_t off, uint64_t len)
{
    if (!r->reserve)
        return 0;
    if (fallocate(fd, 0, (off_t)off, (off_t)len) == 0)
        return 0;
    if (errno == EOPNOTSUPP || errno == ENOSYS) {
        r->reserve = 0;
        return 0;
    }
    return -errno;
}

/* Does r->fd still name the ring file? The traced program may have closed every descriptor and
 * opened its own files at that number (closefrom, daemons): then the shim must not touch it. */
static int ring_fd_ours(const struct pt_ring *r)
{
    return pt__fd_is(r->fd, r->fd_dev, r->fd_ino);
}

/* Is buffer b's packet area backed by the file system? Reserves it on first use (system calls
 * once per buffer for the life of the ring: a claim, not an event). Signal-safe. When the program
 * closed our descriptor, the pages are populated through the mapping instead (the kernel reports
 * a failure there rather than raising SIGBUS); kernels without MADV_POPULATE_WRITE keep the old
 * sparse behaviour. */
static int ring_back(struct pt_ring *r, struct pt_tbuf *b)
{
    if (b->backing == 0) {
        uint64_t off = (uint64_t)((uint8_t *)b->data - (uint8_t *)r->hdr);
        int saved = errno, rc;
        if (!r->reserve)
            rc = 0;
        else if (ring_fd_ours(r))
            rc = ring_reserve(r, r->fd, off, b->ring_mask + 1);
        else if (madvise(b->data, b->ring_mask + 1, MADV_POPULATE_WRITE) == 0 || errno == EINVAL)
            rc = 0;
        else
            rc = -errno;
        b->backing = rc == 0 ? 1 : 2;
        errno = saved;
    }
    return b->backing == 1;
}

struct pt_tbuf *pt_ring_claim(struct pt_ring *r, uint32_t tid)
{
    if (!r || !tid)
        return NULL;
    unsigned n = r->nbufs, start = tid % n;
    /* First pass: a buffer never used (no other thread's events to follow); second: any free. */
    for (unsigned i = 0; i < 2 * n; i++) {
        struct pt_tbuf *b = &r->tb[(start + i) % n];
        uint32_t expected = 0;
        if (__atomic_load_n(&b->ctl->owner, __ATOMIC_RELAXED) != 0)
            continue;
        if (i < n && __atomic_load_n(&b->ctl->claims, __ATOMIC_RELAXED) != 0)
            continue;
        if (!__atomic_compare_exchange_n(&b->ctl->owner, &expected, tid, 0, __ATOMIC_ACQ_REL,
                                         __ATOMIC_RELAXED))
            continue;
        if (!ring_back(r, b)) { /* trace disk full: this buffer cannot be written, ever */
            __atomic_store_n(&b->ctl->owner, 0, __ATOMIC_RELEASE);
            continue;
        }
        __atomic_fetch_add(&b->ctl->claims, 1, __ATOMIC_RELAXED);
        /* The buffer may hold another thread's events: say whose come next. If this event is
         * lost the buffer is stalled and the next packet's context names the new owner. */
        pt_tbuf_write(b, PT_EV_thread, pt_now(), &tid, sizeof tid);
        return b;
    }
    return NULL;
}

void pt_ring_release(struct pt_ring *r, struct pt_tbuf *b)
{
    (void)r;
    if (b)
        __atomic_store_n(&b->ctl->owner, 0, __ATOMIC_RELEASE);
}

void pt_ring_lost(struct pt_ring *r, uint64_t n)
{
    if (r)
        __atomic_fetch_add(&r->hdr->lost_nobuf, n, __ATOMIC_RELAXED);
}

/* ---- Creation and teardown (system calls allowed) -------------------------------------------- */

uint64_t pt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

size_t pt_size_wire(int wire)
{
    switch (wire) {
    case PT_WIRE_U8: return 1;
    case PT_WIRE_U16: return 2;
    case PT_WIRE_U32:
    case PT_WIRE_I32: return 4;
    case PT_WIRE_U64:
    case PT_WIRE_I64:
    case PT_WIRE_X64: return 8;
    default: return 0;
    }
}

static unsigned log2u(uint64_t v)
{
    unsigned s = 0;
    while ((1ull << s) < v)
        s++;
    return s;
}

/* pid in the initial pid namespace as this process's /proc shows it (first NSpid entry). */
static uint32_t read_host_pid(void)
{
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *p = strstr(buf, "\nNSpid:");
    return p ? (uint32_t)strtoul(p + 7, NULL, 10) : 0;
}

int pt_ring_create(const struct pt_ring_config *cfg, struct pt_ring **out)
{
    size_t buf_bytes = cfg->thread_buf_bytes ? cfg->thread_buf_bytes : PT__DEFAULT_TBUF_BYTES;
    unsigned nbufs = cfg->nthreads ? cfg->nthreads : PT__DEFAULT_NBUFS;
    struct pt_ring *r = MAP_FAILED;
    char rings[PATH_MAX], tmp[PATH_MAX];
    void *map = MAP_FAILED;
    int fd = -1, rc;

    if (!cfg->dir || !*cfg->dir)
        return -EINVAL;
    if (buf_bytes < 4 * 4096)
        buf_bytes = 4 * 4096;
    if (buf_bytes > (1ull << 30) || nbufs > 4096)
        return -EINVAL;
    /* Packets of 32 KiB (larger only past 256 packets), at least 4 of them so that some fill
     * while others drain. */
    unsigned sub_shift = log2u(buf_bytes / 4);
    if (sub_shift > 15)
        sub_shift = 15;
    while (sub_shift < 20 && log2u(buf_bytes >> sub_shift) > 8)
        sub_shift++;
    unsigned nsub_shift = log2u(buf_bytes >> sub_shift);
    if (nsub_shift > 8)
        nsub_shift = 8;
    uint64_t data_bytes = 1ull << (sub_shift + nsub_shift);
    uint64_t stride = PT__TBUF_CTL_BYTES + data_bytes;
    uint64_t file_size = PT__RING_HDR_BYTES + stride * nbufs;

    if (snprintf(rings, sizeof rings, "%s/rings", cfg->dir) >= (int)sizeof rings)
        return -ENAMETOOLONG;
    /* Private to this user unless the trace allows others (tracer/perm.h). */
    if ((rc = pt_perm_mkdir(cfg->dir, PT_PERM_TRACE_DIR)) < 0 ||
        (rc = pt_perm_mkdir(rings, PT_PERM_RINGS_DIR)) < 0)
        return rc;

    uint64_t instance = 0;
    if (getrandom(&instance, sizeof instance, GRND_NONBLOCK) != sizeof instance)
        instance = pt_now() ^ ((uint64_t)getpid() << 32);
    instance &= ~0xfffull; /* low bits carry the buffer index in stream instance ids */
    uint64_t start_time = pt__proc_start_time(0);
    pid_t pid = getpid();

    size_t self_size = sizeof *r + nbufs * sizeof(struct pt_tbuf);
    r = mmap(NULL, self_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED)
        return -errno;
    r->self_size = self_size;
    if (snprintf(r->path, sizeof r->path, "%s/%d-%llu-%016llx.ring", rings, (int)pid,
                 (unsigned long long)start_time, (unsigned long long)instance) >=
            (int)sizeof r->path ||
        snprintf(tmp, sizeof tmp, "%s/.%d-%016llx.tmp", rings, (int)pid,
                 (unsigned long long)instance) >= (int)sizeof tmp) {
        rc = -ENAMETOOLONG;
        goto fail;
    }
    fd = pt_perm_open(tmp, O_RDWR | O_CREAT | O_EXCL);
    if (fd < 0) {
        rc = -errno;
        goto fail;
    }
    /* Kept open for the life of the process: out of the way of the program's own numbers. */
    fd = pt__fd_high(fd);
    struct stat fst;
    if (fstat(fd, &fst) < 0) {
        rc = -errno;
        goto fail_unlink;
    }
    if (ftruncate(fd, (off_t)file_size) < 0) {
        rc = -errno;
        goto fail_unlink;
    }
    r->reserve = 1;
    if ((rc = ring_reserve(r, fd, 0, PT__RING_HDR_BYTES)) < 0)
        goto fail_unlink;
    for (unsigned i = 0; i < nbufs; i++)
        if ((rc = ring_reserve(r, fd, PT__RING_HDR_BYTES + stride * i, PT__TBUF_CTL_BYTES)) < 0)
            goto fail_unlink;
    map = mmap(NULL, file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        rc = -errno;
        goto fail_unlink;
    }
    struct pt__ring_hdr *h = map;
    memcpy(h->magic, PT__RING_MAGIC, 8);
    h->version = PT__RING_VERSION;
    h->endian = PT__ENDIAN_MARK;
    h->word_size = sizeof(void *);
    h->header_size = sizeof *h;
    h->event_version = PT_FORMAT_VERSION;
    h->table_hash = pt__table_hash();
    h->nbufs = nbufs;
    h->sub_size = 1u << sub_shift;
    h->nsub = 1u << nsub_shift;
    h->overwrite = cfg->overwrite ? 1 : 0;
    h->pkt_hdr_size = PT__PKT_HDR_SIZE;
    h->bufs_off = PT__RING_HDR_BYTES;
    h->tbuf_stride = stride;
    h->ctl_size = PT__TBUF_CTL_BYTES;
    h->file_size = file_size;
    h->pid = (uint32_t)pid;
    h->host_pid = cfg->host_pid ? cfg->host_pid : read_host_pid();
    h->start_time = start_time;
    h->instance = instance;
    h->created_ts = pt_now();
    h->realtime_offset = pt__realtime_offset();
    h->off_commit = (uint32_t)offsetof(struct pt__tbuf_ctl, commit);

    /* A POSIX lock held for the life of the process: the collector learns our pid in its own pid
     * namespace with F_GETLK, and the kernel drops the lock when we die, however we die. */
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    (void)fcntl(fd, F_SETLK, &fl);

    r->hdr = h;
    r->map_size = file_size;
    r->fd = fd;
    r->fd_dev = (uint64_t)fst.st_dev;
    r->fd_ino = (uint64_t)fst.st_ino;
    r->nbufs = nbufs;
    for (unsigned i = 0; i < nbufs; i++) {
        struct pt_tbuf *b = &r->tb[i];
        uint8_t *base = (uint8_t *)map + PT__RING_HDR_BYTES + stride * i;
        b->ctl = (struct pt__tbuf_ctl *)base;
        b->data = base + PT__TBUF_CTL_BYTES;
        b->ring = r;
        b->ring_mask = data_bytes - 1;
        b->instance = instance;
        b->sub_size = 1u << sub_shift;
        b->sub_shift = sub_shift;
        b->nsub_shift = nsub_shift;
        b->idx = i;
        b->overwrite = h->overwrite;
        b->pid = (uint32_t)pid;
    }
    /* Publish complete: the collector watches for the final name only. */
    if (rename(tmp, r->path) < 0) {
        rc = -errno;
        goto fail_unmap;
    }
    *out = r;
    return 0;

fail_unmap:
    munmap(map, file_size);
fail_unlink:
    unlink(tmp);
fail:
    if (fd >= 0)
        close(fd);
    munmap(r, self_size);
    return rc;
}

void pt_ring_forget(struct pt_ring *r)
{
    if (!r)
        return;
    munmap(r->hdr, r->map_size);
    /* The program may have closed our descriptor (close_range, a daemon closing everything) and
     * got the number back for a file of its own: close it only while it still is the ring. */
    if (ring_fd_ours(r))
        close(r->fd);
    munmap(r, r->self_size);
}

void pt_ring_finish(struct pt_ring *r, enum pt_ring_end how)
{
    if (r)
        __atomic_store_n(&r->hdr->closed, (uint32_t)how, __ATOMIC_RELEASE);
}

/* Attach mode only (preload/attach.c, `record -p` / `collect --attach`; ring.h says why). */
void pt_ring_detach(struct pt_ring *r)
{
    if (!r)
        return;
    pt_ring_finish(r, PT_RING_DETACHED);
    if (ring_fd_ours(r))
        close(r->fd);
    r->fd = -1;
    /* The range stays valid for a late writer, but no longer holds the file: the collector's
     * unlink then frees its blocks. */
    mmap(r->hdr, r->map_size, PROT_READ | PROT_WRITE,
         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

void pt_ring_close(struct pt_ring *r)
{
    if (!r)
        return;
    pt_ring_finish(r, PT_RING_EXITED);
    pt_ring_forget(r);
}

const char *pt_ring_path(const struct pt_ring *r)
{
    return r ? r->path : NULL;
}

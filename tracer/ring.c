/* ring.c — the per-process ring: a file-backed shared mapping carved into per-thread buffers.
 *
 * Design
 * ------
 * Layout. A traced process creates one file, <dir>/rings/<pid>-<starttime>-<random>.ring, maps it
 * MAP_SHARED and never re-opens anything afterwards (no names to lose after unshare/setns/setuid).
 * The file is a header (struct pt__ring_hdr: magic, version, endianness, word size, header size,
 * every layout offset, pid, start time, the CLOCK_REALTIME offset, the `closed` flag) followed in
 * the same pages by the claim table (who owns which buffer), then `nbufs` thread buffers. A thread
 * buffer is a control page (struct pt__tbuf_ctl) and a circle of `nsub` packets of `sub_size`
 * bytes. Each packet starts with a CTF 1.8 packet header + context and holds CTF event records
 * (ctf_meta.c describes them), so the collector drains a packet by copying it into a stream file
 * and patching two size fields; the context counts the packet's events, so it never walks them.
 *
 * Backing. The file is sparse. Only the header pages and buffer 0, which the creating thread
 * claims, are backed at creation, as one range (a disk without room for one buffer refuses the
 * ring); the collector may have done that already: a process takes a file it prepared when there
 * is one (ring_pool.c), which spares it the file's creation, sizing and backing. Another buffer's
 * control page and first packets when a thread first claims it; the following packets ahead of
 * the writer during the buffer's first lap, in steps that grow with what is backed. Backing
 * writes zeros through the descriptor (the file system allocates, or refuses with ENOSPC: a store
 * into a page it cannot back would raise SIGBUS in the traced program) and then prefaults the
 * pages writable, so the writer never takes a page fault into the file system's block allocation
 * in the middle of a call. A process that records from one thread pays for one buffer, not
 * `nbufs`.
 *
 * Who writes what. A thread claims a free buffer with a CAS on its claim entry's `owner`
 * (0 -> tid) on its first event and writes a `thread` event first, so a reused buffer says whose
 * events follow; it releases the buffer at exit by storing 0. Only the owning thread, and signal
 * handlers that interrupt it, ever write the first line of the control block, `commit[]` and the
 * packets. Only the collector writes `consumed`; `waiting` is the no-loss futex both touch.
 * `closed` (enum pt_ring_end) by pt_ring_finish / pt_ring_close: 1 at a normal exit, 2 around an
 * exec (back to 0 if the exec returns); `lost_nobuf` by any thread (atomic add); `sleeping` by the
 * collector (1) and the writer that wakes it (0).
 *
 * Reservation. `wpos` is a virtual offset: bytes reserved since creation; wpos % (nsub*sub_size) is
 * the place in the circle and wpos / sub_size the packet's sequence number. A writer reads wpos,
 * computes where its record goes (the open packet, or — when it does not fit — the start of the
 * next packet after that packet's header) and installs the new wpos with a compare-and-swap. The
 * only concurrency on wpos is a signal handler of the same thread, so the CAS is a non-locked
 * `cmpxchg` on x86-64 (atomic against interruption, like the kernel's local_t), a full CAS
 * elsewhere and under TSan. A handler that runs between the read and the CAS makes the CAS fail and
 * the outer writer retries; a handler that runs after the CAS reserves after the outer record. The
 * common case (the record fits the open packet) and the commit are inline (tracer/ring_fast.h), so
 * that a traced call encodes its event without a function call; the rest is pt__tbuf_begin_slow.
 *
 * Switching packets. The writer whose reservation crosses a packet end closes the old packet
 * (writes content_size, timestamp_end, events_discarded and event_count into its context and
 * commits the padding up to the packet end) and opens the new one (writes its header and commits
 * it). A record never ends exactly at a packet end, so a packet always needs an explicit close;
 * wpos sits on a packet boundary only before the first packet.
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
 * Counting. `events` counts the records reserved in the buffer. A packet's context says how many
 * came before it (events_begin, taken with wpos before the CAS that opened it, so a handler that
 * reserved in between makes the CAS fail) and, once closed, how many it holds (event_count). The
 * collector moves packets without looking inside them, and the gap between two packets it read is
 * exactly the number of events it missed (overwritten, or in a packet it could not trust).
 *
 * Full buffers. Discard mode: a new packet may be opened only if the collector consumed its slot.
 * A bulk event (enum pt_keep) may open one only while an eighth of the buffer (a packet at least)
 * stays free: that is the reserve of decisive events, and a packet opened from it takes decisive
 * events only, so they never lose to a flood while the collector drains between two reserves. An
 * event that finds no room is counted in `lost` and the buffer is `stalled`: the next event opens
 * a new packet, so the lost events sit, in time, exactly between two packets and the cumulative
 * count lands in the next closed packet's events_discarded (readers turn a difference of
 * events_discarded into a `lost` event). A bulk loss while a reserve packet is open does not
 * stall: decisive events keep that packet, and those bulk losses count at its end.
 * No-loss mode: instead of losing, the writer waits for the collector (a futex on `waiting`, woken
 * when `consumed` moves away from the value that found no room), at most `noloss_ms` without
 * progress; then it gives up and the buffer behaves as in discard mode until the collector moves
 * again, so a dead or stuck collector never hangs the program. A packet that cannot be backed
 * (first lap) is waited for alike: tried again every 10 ms for up to `noloss_ms`, then lost
 * without further waits until a backing succeeds. Overwrite (flight recorder) mode: the writer
 * reopens the oldest slot without waiting for the collector (it only requires the slot's previous
 * lap to be complete); readers copy a packet, then check wpos (a seqlock) before they trust any of
 * it.
 *
 * Waking the collector. A collector with nothing to do sets `sleeping` and waits for inotify
 * events on rings/ (perf's watermark wake-ups, LTTng's wake-up on sub-buffer switch). A writer
 * that switches packets while `wake_pkts` packets wait to be drained (or that finds no room) and
 * sees `sleeping` clears it and reads one byte of its ring file: the read is the inotify event
 * (IN_ACCESS) that wakes the collector. So a busy collector costs the writer nothing, a sleeping
 * one one system call per wake-up, and the collector needs no descriptor from each writer.
 * Before that read, and before publishing its ring's name, the writer says in the ring's hints
 * (format.h) which CPU it runs on, so that the woken collector can keep off it (placement.c).
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
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "proftrace/ring.h"
#include "tracer/format.h"
#include "tracer/internal.h"
#include "tracer/perm.h"
#include "tracer/ring_fast.h"
#include "tracer/ring_pool.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define PREP_RETRY_NS 10000000ull /* a backing that failed is not tried again for 10 ms */
#define PREP_STEP_MAX (256u << 10) /* the longest step a first lap is backed by (tbuf_prepare) */

struct pt_ring {
    struct pt__ring_hdr *hdr;
    struct pt__claim *claims;
    size_t map_size;
    size_t self_size;        /* bytes of this struct's own mapping */
    int fd;                  /* high-numbered (pt__fd_high), holds the liveness lock */
    uint64_t fd_dev, fd_ino; /* what fd is, so a fork child never closes a number reused */
    unsigned nbufs;
    uint32_t pid; /* the creating process: its first thread starts at buffer 0 (backed) */
    uint32_t claim_gave_up; /* no-loss: a claim's wait for backing ran out; none again until a
                               buffer is backed (atomic: any thread) */
    char *path; /* PATH_MAX bytes after tb[]: inline before it, its 4 KiB put tb[] on pages of
                 * their own, one more page faulted in at every ring made */
    struct pt_tbuf tb[];
};

struct pt__ring_test_hooks pt__ring_test;

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* ---- Rare paths of the writer: backing, waking the collector, waiting for room -------------- */

/* Does r->fd still name the ring file? The traced program may have closed every descriptor and
 * opened its own files at that number (closefrom, daemons): then the shim must not touch it. */
static int ring_fd_ours(const struct pt_ring *r)
{
    return pt__fd_is(r->fd, r->fd_dev, r->fd_ino);
}

/* Back [off, off + len) of the ring file and prefault it writable in our mapping; 0 or a negative
 * errno (ENOSPC: the file system is full). Writing zeros makes the file system allocate (or
 * reserve) the blocks and the page cache hold the pages, so the prefault is cheap; it is used only
 * on pages no one has written yet. `fd_ours`: r->fd is still the ring (ring_fd_ours, or known:
 * just opened). When the descriptor is no longer ours, or a file size limit
 * (RLIMIT_FSIZE, whose excess raises SIGXFSZ on a write) is below the ring's end, the prefault
 * alone backs the pages (slower on a disk file system, but the kernel reports a failure instead of
 * raising SIGBUS later). Signal-safe; errno is preserved. */
static int ring_back_as(struct pt_ring *r, uint64_t off, uint64_t len, int fd_ours)
{
    int saved = errno, rc = 0;
    struct rlimit lim;
    int by_write = fd_ours && getrlimit(RLIMIT_FSIZE, &lim) == 0 &&
                   (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= r->map_size);
    if (by_write && (rc = pt__write_zeros(r->fd, off, len)) < 0)
        goto out;
    if (madvise((uint8_t *)r->hdr + off, len, MADV_POPULATE_WRITE) < 0 && errno != EINVAL)
        rc = -errno; /* EINVAL: a kernel without MADV_POPULATE_WRITE; the write backed them */
out:
    errno = saved;
    return rc;
}

static int ring_back(struct pt_ring *r, uint64_t off, uint64_t len)
{
    return ring_back_as(r, off, len, ring_fd_ours(r));
}

/* Back the packets of buffer b so that the packet at `pstart` is backed (required) and the one
 * after it too (ahead: the next switch then makes no system call). First lap only: later laps
 * reuse backed pages. Each backing goes as far ahead as is backed already, up to PREP_STEP_MAX:
 * a buffer that fills is backed in a few steps (17 for 4 MiB, where one per 32 KiB packet took
 * ~0.7 ms more of the writer's time and 500 system calls instead of 80), while one that records
 * little still backs little of the disk. When that step cannot be backed (a disk nearly full),
 * the two packets that are needed are tried alone. 0; -ENOSPC when the packet at `pstart` cannot
 * be backed (file system full: then no new attempt for 10 ms, a full disk must not cost a failing
 * system call per event);
 * -EBUSY when it is not backed yet and we are a signal handler that interrupted the owner's
 * backing. Backing writes zeros, so it must never run over records: the owner looks at `prepared`
 * only once it has said it is backing (a handler that backed and wrote before is seen), and a
 * signal handler that interrupts the owner's backing does not back (its event is lost, counted, if
 * it needed the packets being backed; it needs them only if it filled a whole packet meanwhile). */
static int tbuf_prepare(struct pt_tbuf *b, uint64_t pstart)
{
    struct pt__tbuf_ctl *c = b->ctl;
    const uint64_t S = b->sub_size, size = b->ring_mask + 1;
    uint64_t need = pstart + S, next = pstart + 2 * S < size ? pstart + 2 * S : size;
    if (next <= LOAD(&c->prepared))
        return 0;
    if (b->preparing)
        return need <= LOAD(&c->prepared) ? 0 : -EBUSY;
    uint64_t now = pt_now();
    if (now < b->prep_retry)
        return need <= LOAD(&c->prepared) ? 0 : -ENOSPC;
    b->preparing = 1;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    int rc = 0;
    uint64_t have = LOAD(&c->prepared);
    if (have < next) {
        uint64_t off = (uint64_t)(b->data - (uint8_t *)b->ring->hdr);
        uint64_t step = have < PREP_STEP_MAX ? have : PREP_STEP_MAX;
        uint64_t want = have + step > next ? have + step : next;
        if (want > size)
            want = size;
        int (*hook)(struct pt_tbuf *) = pt__ring_test.back;
        int ok = (hook ? hook(b) : 0) == 0 && ring_back(b->ring, off + have, want - have) == 0;
        if (!ok && want > next) {
            want = next;
            ok = (hook ? hook(b) : 0) == 0 && ring_back(b->ring, off + have, want - have) == 0;
        }
        if (ok) {
            STORE(&c->prepared, want);
            b->prep_gave_up = 0;
        } else {
            b->prep_retry = now + PREP_RETRY_NS;
            if (need > have)
                rc = -ENOSPC;
        }
    }
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    b->preparing = 0;
    return rc;
}

/* Sleep for *ts inside a traced call: the system call itself, not libc's nanosleep, which is a
 * cancellation point (a cancel pending in the traced thread must not act inside the shim, with
 * a buffer half written). */
static void pause_ns(const struct timespec *ts)
{
    syscall(SYS_nanosleep, ts, NULL);
}

/* No-loss mode, the packet at `pstart` cannot be backed (tbuf_prepare said -ENOSPC: the file
 * system refused, now or in the last 10 ms): instead of losing, try again every 10 ms for up to
 * noloss_ms. Returns 0 once it is backed, or -ENOSPC when it still is not at the end of the bound:
 * the buffer then loses (counted) without waiting again until a backing succeeds
 * (`prep_gave_up`), so a disk that stays full costs one wait, not one per event (a collector that
 * stops draining is treated alike: tbuf_wait_room). Signal-safe; errno is preserved. */
static int tbuf_wait_backing(struct pt_tbuf *b, uint64_t pstart)
{
    if (b->prep_gave_up)
        return -ENOSPC;
    int saved = errno, rc;
    uint64_t deadline = pt_now() + (uint64_t)b->noloss_ms * 1000000ull;
    for (;;) {
        uint64_t now = pt_now();
        if (now >= deadline) {
            b->prep_gave_up = 1;
            rc = -ENOSPC;
            break;
        }
        uint64_t pause = b->prep_retry > now ? b->prep_retry - now : 0;
        if (pause > deadline - now)
            pause = deadline - now;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)pause};
        pause_ns(&ts); /* interrupted by a signal: we only look again sooner */
        if ((rc = tbuf_prepare(b, pstart)) != -ENOSPC)
            break;
    }
    errno = saved;
    return rc;
}

/* Say in the hints which CPU we run on (1 + its number, 0 when unknown), for the collector's
 * placement (tracer/placement.c): glibc reads it from rseq or the vDSO, no system call.
 * Signal-safe; errno is preserved. */
static void ring_tell_cpu(struct pt_ring *r)
{
    int saved = errno;
    int cpu = sched_getcpu();
    __atomic_store_n(&pt__ring_hints_at((uint8_t *)r->hdr)->wake_cpu,
                     cpu >= 0 ? (uint32_t)cpu + 1 : 0, __ATOMIC_RELAXED);
    errno = saved;
}

/* Wake the collector if it sleeps: clear `sleeping`, say which CPU we run on, and read a byte of
 * the ring file, which inotify reports to the collector as IN_ACCESS on rings/ (the read orders
 * the hint before the event). Signal-safe; errno is preserved. */
static void ring_wake(struct pt_ring *r)
{
    if (!__atomic_exchange_n(&r->hdr->sleeping, 0, __ATOMIC_ACQ_REL))
        return;
    ring_tell_cpu(r);
    int saved = errno;
    uint8_t byte;
    if (ring_fd_ours(r) && pread(r->fd, &byte, 1, 0) < 0) {
        /* the collector's periodic pass will find the packets */
    }
    errno = saved;
}

/* After a packet switch to `pstart` (or when no room was found: force): wake a sleeping collector
 * when enough is waiting to be drained. The fence orders our packet stores before the load of
 * `sleeping` against the collector's store of `sleeping` before its last look at our packets
 * (Dekker): either we see it sleep, or it sees the packets. */
static void tbuf_maybe_wake(struct pt_tbuf *b, uint64_t pstart, int force)
{
    struct pt_ring *r = b->ring;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!LOAD(&r->hdr->sleeping))
        return;
    if (!force && pstart - __atomic_load_n(&b->ctl->consumed, __ATOMIC_ACQUIRE) < b->wake_bytes)
        return;
    ring_wake(r);
}

static long futex(uint32_t *addr, int op, uint32_t val, const struct timespec *timeout)
{
    return syscall(SYS_futex, addr, op, val, timeout, NULL, 0);
}

/* No-loss mode, no room for the packet at `pstart` while the collector had drained up to `cons`
 * (what the room was computed from): wait for the collector to drain more, without holding
 * anything. Returns -EAGAIN when `consumed` is no longer `cons`, room may have been made (the
 * caller looks again), or -ENOSPC when the collector made no progress for noloss_ms: the buffer
 * then loses (counted) like in discard mode until the collector drains again (`gave_up`). The
 * wait is for a change from `cons`, never from a value read here: the collector may have drained
 * everything it could since `cons` was read (all but the packet we are in), and then it has
 * nothing more to drain until we write, so a wait for its next move would last the whole bound
 * and lose. Signal-safe; errno is preserved. */
static int tbuf_wait_room(struct pt_tbuf *b, uint64_t cons)
{
    struct pt__tbuf_ctl *c = b->ctl;
    if (LOAD(&c->gave_up) == cons + 1)
        return -ENOSPC; /* gave up already and the collector has not moved since */
    int saved = errno;
    uint64_t deadline = pt_now() + (uint64_t)b->noloss_ms * 1000000ull;
    int rc = -ENOSPC;
    tbuf_maybe_wake(b, 0, 1);
    for (;;) {
        __atomic_store_n(&c->waiting, 1, __ATOMIC_SEQ_CST);
        __atomic_thread_fence(__ATOMIC_SEQ_CST); /* Dekker with the collector's consumed, waiting */
        if (__atomic_load_n(&c->consumed, __ATOMIC_ACQUIRE) != cons) {
            rc = -EAGAIN;
            break;
        }
        uint64_t now = pt_now();
        if (now >= deadline) {
            STORE(&c->gave_up, cons + 1);
            break;
        }
        /* Wake the collector again on each round: its inotify queue may have overflowed. */
        tbuf_maybe_wake(b, 0, 1);
        uint64_t left = deadline - now, slice = 100000000ull;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(left < slice ? left : slice)};
        futex(&c->waiting, FUTEX_WAIT, 1, &ts);
    }
    /* Not waiting any more: a `waiting` left set would keep the collector from sleeping until it
     * next drains this buffer (never, while the trace disk is full). */
    __atomic_store_n(&c->waiting, 0, __ATOMIC_RELAXED);
    errno = saved;
    return rc;
}

/* Room to open the packet at `pstart`? 0 yes, 1 yes but from the reserve (decisive events only),
 * -EAGAIN after a no-loss wait (look again), -ENOSPC no. */
static int tbuf_room(struct pt_tbuf *b, uint64_t pstart, enum pt_keep keep)
{
    struct pt__tbuf_ctl *c = b->ctl;
    const uint64_t S = b->sub_size, size = b->ring_mask + 1;
    if (pstart < size) {
        int rc = tbuf_prepare(b, pstart);
        if (rc == -ENOSPC && b->noloss_ms)
            rc = tbuf_wait_backing(b, pstart);
        if (rc < 0)
            return -ENOSPC;
    }
    if (b->overwrite) {
        uint64_t lap = pstart >> (b->sub_shift + b->nsub_shift);
        unsigned slot = (unsigned)(pstart >> b->sub_shift) & ((1u << b->nsub_shift) - 1);
        /* the slot's previous lap must be complete (not still being written by a nested writer) */
        return __atomic_load_n(&c->commit[slot], __ATOMIC_ACQUIRE) == lap * S ? 0 : -ENOSPC;
    }
    /* Bytes in use once this packet is open: the slot is free when that fits the circle. */
    uint64_t cons = __atomic_load_n(&c->consumed, __ATOMIC_ACQUIRE), used = pstart + S - cons;
    if (used <= size - b->reserve)
        return 0;
    if (used <= size && keep == PT_KEEP_DECISIVE)
        return 1;
    if (b->noloss_ms) {
        if (pt__ring_test.no_room)
            pt__ring_test.no_room(b);
        return tbuf_wait_room(b, cons);
    }
    tbuf_maybe_wake(b, 0, 1);
    return -ENOSPC;
}

/* ---- Writer hot path ------------------------------------------------------------------------ */

/* Close the packet that ends at `old`; `events` were reserved in the buffer before `old`. */
static void close_packet(struct pt_tbuf *b, uint64_t old, uint64_t t, uint64_t events)
{
    uint64_t pstart = old & ~(uint64_t)(b->sub_size - 1);
    struct pt__pkt_hdr *ph = (struct pt__pkt_hdr *)(b->data + (pstart & b->ring_mask));
    uint64_t used = old - pstart;
    ph->content_size = used * 8;
    ph->packet_size = (uint64_t)b->sub_size * 8;
    ph->timestamp_end = t;
    ph->events_discarded = LOAD(&b->ctl->lost);
    ph->event_count = events - ph->events_begin;
    pt__local_add(&b->ctl->commit[(pstart >> b->sub_shift) & ((1u << b->nsub_shift) - 1)],
                  b->sub_size - used);
}

/* Open the packet at `pstart`; `events` were reserved in the buffer before it. */
static void open_packet(struct pt_tbuf *b, uint64_t pstart, uint64_t t, uint64_t events,
                        uint32_t from_reserve)
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
    ph->tid = LOAD(&b->claim->owner);
    ph->events_begin = events;
    ph->event_count = 0;
    STORE(&b->ctl->reserve, from_reserve);
    STORE(&b->ctl->stalled, 0);
    pt__local_add(&b->ctl->commit[(pstart >> b->sub_shift) & ((1u << b->nsub_shift) - 1)],
                  PT__PKT_HDR_SIZE);
}

/* Everything but a record that fits the open packet: switching packets, the first packet, full
 * buffers, no-loss waits, a nested writer that moved wpos. Out of line, so that the common case
 * stays short. */
int pt__tbuf_begin_slow(struct pt_tbuf *b, uint16_t id, uint64_t ts, size_t size,
                        enum pt_keep keep, struct pt_enc *e)
{
    struct pt__tbuf_ctl *c = b->ctl;
    const uint64_t S = b->sub_size;
    const unsigned mark = (unsigned)id + 1u;
    const int bulk = keep == PT_KEEP_BULK;
    uint64_t old = LOAD(&c->wpos), begin, t, off, pstart = 0, ev0;
    uint32_t hsz, total;
    int sw, room = 0;

    if (size > S - PT__PKT_HDR_SIZE - PT__HDR_EXT - 1)
        goto full;
    for (;;) {
        /* Events reserved before ours: a handler that reserves after this load moves wpos, so
         * our CAS fails and we load again. */
        ev0 = LOAD(&c->events);
        uint64_t last = LOAD(&c->last_ts);
        off = old & (S - 1);
        t = ts > last ? ts : last;
        hsz = (mark >= PT__ID_EXT || t - last >= PT__TS_COMPACT_MAX) ? PT__HDR_EXT
                                                                      : PT__HDR_COMPACT;
        total = hsz + (uint32_t)size;
        if (off != 0 && off + total < S && !LOAD(&c->stalled) && !(bulk && LOAD(&c->reserve))) {
            sw = 0;
            begin = old;
        } else {
            /* a new packet: after the open one, or the first */
            sw = 1;
            pstart = off ? (old | (S - 1)) + 1 : old;
            room = tbuf_room(b, pstart, keep);
            if (room == -EAGAIN) {
                old = LOAD(&c->wpos);
                continue;
            }
            if (room < 0)
                goto full;
            begin = pstart + PT__PKT_HDR_SIZE;
        }
        if (pt__local_cas(&c->wpos, &old, begin + total))
            break;
    }
    STORE(&c->last_ts, t);
    if (sw) {
        /* Flight recorder: a reader that copied the slot's previous packet checks wpos after its
         * copy; our stores into the slot must not be seen before the new wpos. */
        __atomic_thread_fence(__ATOMIC_RELEASE);
        if (off)
            close_packet(b, old, t, ev0);
        open_packet(b, pstart, t, ev0, (uint32_t)room);
    }
    pt__local_add(&c->events, 1);
    pt__start_record(b, e, begin, t, hsz, total, mark);
    if (sw)
        tbuf_maybe_wake(b, pstart, 0);
    return 0;
full:
    /* After a loss the buffer is stalled: the next event opens a new packet, so that the lost
     * events sit between two packets. Except a bulk loss while a packet from the reserve is open:
     * that packet is all the room decisive events have (bulk losses then count at its end). */
    pt__local_add(&c->lost, 1);
    if (!(bulk && LOAD(&c->reserve)))
        STORE(&c->stalled, 1);
    return -ENOSPC;
}

int pt_tbuf_begin_keep(struct pt_tbuf *b, uint16_t id, uint64_t ts, size_t size,
                       enum pt_keep keep, struct pt_enc *e)
{
    return pt__tbuf_begin(b, id, ts, size, keep, e);
}

void pt_tbuf_commit(struct pt_tbuf *b, struct pt_enc *e)
{
    (void)b;
    pt__tbuf_commit(e);
}

void pt_enc_copy(uint8_t *dst, const char *src, size_t len)
{
    memcpy(dst, src, len);
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

/* Back a never-used buffer's control page and first packets, in one go: 0 or a negative errno
 * (ENOSPC: the trace disk is full). */
static int tbuf_back_first(struct pt_ring *r, struct pt_tbuf *b)
{
    uint64_t first = 2ull * b->sub_size < b->ring_mask ? 2ull * b->sub_size : b->ring_mask + 1;
    int (*hook)(struct pt_tbuf *) = pt__ring_test.back;
    int rc = hook ? hook(b) : 0;
    if (rc == 0)
        rc = ring_back(r, (uint64_t)((uint8_t *)b->ctl - (uint8_t *)r->hdr),
                       PT__TBUF_CTL_BYTES + first);
    if (rc == 0) {
        STORE(&b->ctl->prepared, first);
        STORE(&r->claim_gave_up, 0);
    }
    return rc;
}

/* One pass of pt__ring_claim_stamped over the buffers: the one claimed (its `thread` event not
 * written yet), or NULL; `*unbacked` is set when a free buffer was passed over because the file
 * system could not back it. */
static struct pt_tbuf *claim_pass(struct pt_ring *r, uint32_t tid, int *unbacked)
{
    /* The creating thread (the process's first, or a fork child's only one) starts at buffer 0,
     * backed with the ring; the others where their tid falls. */
    unsigned n = r->nbufs, start = tid == r->pid ? 0 : tid % n;
    /* First pass: a buffer never used (no other thread's events to follow); second: any free. */
    for (unsigned i = 0; i < 2 * n; i++) {
        struct pt_tbuf *b = &r->tb[(start + i) % n];
        uint32_t expected = 0;
        if (__atomic_load_n(&b->claim->owner, __ATOMIC_RELAXED) != 0)
            continue;
        if (i < n && __atomic_load_n(&b->claim->claims, __ATOMIC_RELAXED) != 0)
            continue;
        if (!__atomic_compare_exchange_n(&b->claim->owner, &expected, tid, 0, __ATOMIC_ACQ_REL,
                                         __ATOMIC_RELAXED))
            continue;
        /* Never used: its control page and first packets are a hole until backed, in one go
         * (unless done at creation). Readers look at a buffer only once `claims` says it is used,
         * so that comes last. */
        if (__atomic_load_n(&b->claim->claims, __ATOMIC_ACQUIRE) == 0 && !b->backed &&
            tbuf_back_first(r, b) < 0) {
            __atomic_store_n(&b->claim->owner, 0, __ATOMIC_RELEASE); /* trace disk full */
            *unbacked = 1;
            continue;
        }
        STORE(&b->ctl->claims, LOAD(&b->claim->claims) + 1);
        __atomic_fetch_add(&b->claim->claims, 1, __ATOMIC_RELEASE);
        return b;
    }
    return NULL;
}

struct pt_tbuf *pt_ring_claim(struct pt_ring *r, uint32_t tid)
{
    return pt__ring_claim_stamped(r, tid, 0);
}

struct pt_tbuf *pt__ring_claim_stamped(struct pt_ring *r, uint32_t tid, uint64_t ts)
{
    if (!r || !tid)
        return NULL;
    int unbacked = 0;
    struct pt_tbuf *b = claim_pass(r, tid, &unbacked);
    /* No-loss mode (pt_ring_detach turns it off in every buffer): a free buffer the file system
     * could not back is waited for like a packet (tbuf_wait_backing): tried again every 10 ms for
     * up to noloss_ms, then no wait again until a buffer is backed. */
    const unsigned noloss_ms = r->tb[0].noloss_ms;
    if (!b && unbacked && noloss_ms && !LOAD(&r->claim_gave_up)) {
        int saved = errno;
        uint64_t deadline = pt_now() + (uint64_t)noloss_ms * 1000000ull;
        while (!b && unbacked) {
            uint64_t now = pt_now();
            if (now >= deadline) {
                STORE(&r->claim_gave_up, 1);
                break;
            }
            uint64_t pause = deadline - now < PREP_RETRY_NS ? deadline - now : PREP_RETRY_NS;
            struct timespec pts = {.tv_sec = 0, .tv_nsec = (long)pause};
            pause_ns(&pts);
            unbacked = 0;
            b = claim_pass(r, tid, &unbacked);
        }
        errno = saved;
    }
    /* The buffer may hold another thread's events: say whose come next. If this event is lost,
     * the next packet's context names the new owner. */
    if (b)
        pt_tbuf_write(b, PT_EV_thread, ts ? ts : pt_now(), &tid, sizeof tid);
    return b;
}

void pt_ring_release(struct pt_ring *r, struct pt_tbuf *b)
{
    (void)r;
    if (b)
        __atomic_store_n(&b->claim->owner, 0, __ATOMIC_RELEASE);
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

int pt__ring_layout(size_t buf_bytes, unsigned nbufs, struct pt__ring_layout *L)
{
    if (!buf_bytes)
        buf_bytes = PT__DEFAULT_TBUF_BYTES;
    if (!nbufs)
        nbufs = PT__DEFAULT_NBUFS;
    if (buf_bytes < 4 * 4096)
        buf_bytes = 4 * 4096;
    if (buf_bytes > (1ull << 30) || nbufs > PT__MAX_BUFS)
        return -EINVAL;
    /* Packets of 32 KiB (larger only past 256 packets), at least 4 of them so that some fill
     * while others drain and one stays in reserve. */
    unsigned sub_shift = log2u(buf_bytes / 4);
    if (sub_shift > 15)
        sub_shift = 15;
    while (sub_shift < 20 && log2u(buf_bytes >> sub_shift) > 8)
        sub_shift++;
    unsigned nsub_shift = log2u(buf_bytes >> sub_shift);
    if (nsub_shift > 8)
        nsub_shift = 8;
    L->nbufs = nbufs;
    L->sub_shift = sub_shift;
    L->nsub_shift = nsub_shift;
    L->data_bytes = 1ull << (sub_shift + nsub_shift);
    L->stride = PT__TBUF_CTL_BYTES + L->data_bytes;
    L->bufs_off = pt__ring_bufs_off(nbufs);
    L->file_size = L->bufs_off + L->stride * nbufs;
    /* The first two packets (the next switch then backs nothing: tbuf_prepare stays ahead). */
    uint64_t first = 2ull << sub_shift < L->data_bytes ? 2ull << sub_shift : L->data_bytes;
    L->first_end = L->bufs_off + PT__TBUF_CTL_BYTES + first;
    return 0;
}

int pt_ring_create(const struct pt_ring_config *cfg, struct pt_ring **out)
{
    struct pt__ring_layout L;
    struct pt_ring *r = MAP_FAILED;
    char rings[PATH_MAX], tmp[PATH_MAX];
    void *map = MAP_FAILED;
    int fd = -1, rc;

    if (!cfg->dir || !*cfg->dir)
        return -EINVAL;
    if ((cfg->overwrite && cfg->noloss_ms) ||
        pt__ring_layout(cfg->thread_buf_bytes, cfg->nthreads, &L) < 0)
        return -EINVAL;
    const unsigned nbufs = L.nbufs, sub_shift = L.sub_shift, nsub_shift = L.nsub_shift;
    const uint64_t bufs_off = L.bufs_off, stride = L.stride, file_size = L.file_size;

    if (snprintf(rings, sizeof rings, "%s/rings", cfg->dir) >= (int)sizeof rings)
        return -ENAMETOOLONG;
    /* Private to this user unless the trace allows others (tracer/perm.h). */
    nlink_t rings_links = 0;
    if ((rc = pt_perm_mkdir(cfg->dir, PT_PERM_TRACE_DIR, NULL)) < 0 ||
        (rc = pt_perm_mkdir(rings, PT_PERM_RINGS_DIR, &rings_links)) < 0)
        return rc;

    uint64_t instance = 0;
    if (getrandom(&instance, sizeof instance, GRND_NONBLOCK) != sizeof instance)
        instance = pt_now() ^ ((uint64_t)getpid() << 32);
    instance &= ~0xfffull; /* low bits carry the buffer index in stream instance ids */
    uint64_t start_time = cfg->start_time ? cfg->start_time : pt__proc_start_time(0);
    pid_t pid = getpid();

    size_t self_size = sizeof *r + nbufs * sizeof(struct pt_tbuf) + PATH_MAX;
    r = mmap(NULL, self_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED)
        return -errno;
    r->self_size = self_size;
    r->path = (char *)&r->tb[nbufs];
    if (snprintf(r->path, PATH_MAX, "%s/%d-%llu-%016llx.ring", rings, (int)pid,
                 (unsigned long long)start_time, (unsigned long long)instance) >= PATH_MAX ||
        snprintf(tmp, sizeof tmp, "%s/.%d-%016llx.tmp", rings, (int)pid,
                 (unsigned long long)instance) >= (int)sizeof tmp) {
        rc = -ENAMETOOLONG;
        goto fail;
    }
    /* A file the collector prepared (ring_pool.c): sized, and [0, first_end) backed. Otherwise
     * our own. O_NOATIME: the byte read that wakes the collector must not dirty the inode. */
    struct stat fst;
    /* rings/ has a subdirectory (.pool) when its link count is not 2 (or where file systems do
     * not count them: btrfs says 1); without one, no name is tried. */
    fd = rings_links != 2 ? pt__pool_claim(rings, &L, (uint32_t)pid, instance, tmp, sizeof tmp,
                                           &fst)
                          : -1;
    const int prepared = fd >= 0;
    char pooled[PATH_MAX + 32];
    if (!prepared && rings_links != 2 &&
        snprintf(pooled, sizeof pooled, "%s/" PT__POOL_DIR "/.%d-%016llx.tmp", rings, (int)pid,
                 (unsigned long long)instance) < (int)sizeof tmp) {
        memcpy(tmp, pooled, strlen(pooled) + 1);
        /* None to take: made in rings/.pool all the same, where the collector placed it for
         * cheap inodes (inode_home.c: a create next to the trace directory may walk every inode
         * freed nearby), under a taker's name it sweeps if we die. Not ours (another user's
         * collector): in rings/. */
        fd = pt_perm_open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOATIME);
    }
    if (!prepared && fd < 0) {
        if (snprintf(tmp, sizeof tmp, "%s/.%d-%016llx.tmp", rings, (int)pid,
                     (unsigned long long)instance) >= (int)sizeof tmp) {
            rc = -ENAMETOOLONG; /* fitted above */
            goto fail;
        }
        fd = pt_perm_open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOATIME);
        if (fd < 0) {
            rc = -errno;
            goto fail;
        }
    }
    /* Kept open for the life of the process: out of the way of the program's own numbers. */
    fd = pt__fd_high(fd);
    if (!prepared) {
        if (fstat(fd, &fst) < 0) {
            rc = -errno;
            goto fail_unlink;
        }
        if (ftruncate(fd, (off_t)file_size) < 0) {
            rc = -errno;
            goto fail_unlink;
        }
    }
    map = mmap(NULL, file_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        rc = -errno;
        goto fail_unlink;
    }
    r->hdr = map;
    r->map_size = file_size;
    r->fd = fd;
    r->fd_dev = (uint64_t)fst.st_dev;
    r->fd_ino = (uint64_t)fst.st_ino;
    r->pid = (uint32_t)pid;
    /* The header, the claim table and the creating thread's buffer (pt_ring_claim gives it buffer
     * 0), in one go: a file system without room for even one buffer refuses the ring (ENOSPC,
     * which the shim says once) instead of taking a process all of whose events would be lost. A
     * prepared file has them backed: only our mapping is faulted in. */
    if (prepared)
        rc = madvise(map, L.first_end, MADV_POPULATE_WRITE) < 0 && errno != EINVAL ? -errno : 0;
    else
        rc = ring_back_as(r, 0, L.first_end, 1); /* the descriptor just opened */
    if (rc < 0)
        goto fail_unmap;
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
    h->bufs_off = bufs_off;
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
    h->claims_off = PT__CLAIMS_OFF;
    h->noloss_ms = cfg->noloss_ms;
    /* Wake a sleeping collector when an eighth of a buffer (512 KiB at most) waits: it has the
     * rest to catch up (it asks for short scheduler slices, so it runs soon after), a busy one is
     * never woken, and a flood costs the program a wake-up every 512 KiB, not every packet. */
    h->wake_pkts = h->nsub >= 8 ? h->nsub / 8 : 1;
    if (h->wake_pkts > 1 && (uint64_t)h->wake_pkts << sub_shift > (512u << 10))
        h->wake_pkts = (512u << 10) >> sub_shift > 0 ? (512u << 10) >> sub_shift : 1;

    /* A POSIX lock held for the life of the process: the collector learns our pid in its own pid
     * namespace with F_GETLK, and the kernel drops the lock when we die, however we die. */
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    (void)fcntl(fd, F_SETLK, &fl);

    r->claims = (struct pt__claim *)((uint8_t *)map + PT__CLAIMS_OFF);
    r->nbufs = nbufs;
    for (unsigned i = 0; i < nbufs; i++) {
        struct pt_tbuf *b = &r->tb[i];
        uint8_t *base = (uint8_t *)map + bufs_off + stride * i;
        b->ctl = (struct pt__tbuf_ctl *)base;
        b->claim = &r->claims[i];
        b->data = base + PT__TBUF_CTL_BYTES;
        b->ring = r;
        b->ring_mask = L.data_bytes - 1;
        b->wake_bytes = (uint64_t)h->wake_pkts << sub_shift;
        /* The reserve of decisive events: an eighth of the buffer, one packet at least. */
        b->reserve = (uint64_t)(h->nsub >= 8 ? h->nsub / 8 : 1) << sub_shift;
        b->instance = instance;
        b->sub_size = 1u << sub_shift;
        b->sub_shift = sub_shift;
        b->nsub_shift = nsub_shift;
        b->idx = i;
        b->overwrite = h->overwrite;
        b->noloss_ms = h->noloss_ms;
        b->pid = (uint32_t)pid;
    }
    STORE(&r->tb[0].ctl->prepared, L.first_end - bufs_off - PT__TBUF_CTL_BYTES);
    r->tb[0].backed = 1;
    ring_tell_cpu(r); /* the collector woken by our name keeps off our CPU (placement.c) */
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
    if (!r)
        return;
    __atomic_store_n(&r->hdr->closed, (uint32_t)how, __ATOMIC_RELEASE);
    if (how == PT_RING_EXITED || how == PT_RING_DETACHED)
        ring_wake(r); /* the collector finishes the ring as soon as we are gone */
}

/* Attach mode only (preload/attach.c, `record -p` / `collect --attach`; ring.h says why). */
void pt_ring_detach(struct pt_ring *r)
{
    if (!r)
        return;
    /* A late writer finds a full buffer lost, never waits: no collector drains this ring now. */
    for (unsigned i = 0; i < r->nbufs; i++)
        r->tb[i].noloss_ms = 0;
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

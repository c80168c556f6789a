/* source.c — event streams for the reader: CTF stream files and the buffers of undrained rings.
 * Every offset is checked against the real file size, damage is reported (file, offset, reason)
 * and reading goes on with what is still valid. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracer/internal.h"
#include "tracer/source.h"

enum { SRC_FILE = 1, SRC_RING };

#define MAX_PACKET (16u << 20)

struct pt__ringmap {
    int refs;
    uint8_t *map;
    size_t size; /* bytes mapped = real file size */
    struct pt__ring_hdr h;
};

static void sdiag(struct pt__src *s, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void sdiag(struct pt__src *s, uint64_t off, const char *fmt, ...)
{
    char why[512], msg[4800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s: %s at byte %" PRIu64, s->path, why, off);
    s->diag(s->darg, msg);
}

static int grow(struct pt__src *s, size_t n)
{
    if (n <= s->cap)
        return 0;
    uint8_t *p = realloc(s->pkt, n);
    if (!p)
        return -ENOMEM;
    s->pkt = p;
    s->cap = n;
    return 0;
}

static int plausible(const struct pt__pkt_hdr *ph, uint64_t avail_max)
{
    return ph->magic == PT__CTF_MAGIC && ph->content_size % 8 == 0 && ph->packet_size % 8 == 0 &&
           ph->content_size >= 8ull * PT__PKT_HDR_SIZE && ph->content_size <= ph->packet_size &&
           ph->packet_size / 8 <= avail_max && ph->timestamp_begin <= ph->timestamp_end;
}

/* ---- Stream files ------------------------------------------------------------------------ */

int pt__stream_scan(int fd, uint64_t *valid_end, uint64_t *last_seq, uint64_t *last_disc,
                    uint64_t *npackets)
{
    return pt__stream_scan_limit(fd, UINT64_MAX, valid_end, last_seq, last_disc, npackets);
}

int pt__stream_scan_limit(int fd, uint64_t limit, uint64_t *valid_end, uint64_t *last_seq,
                          uint64_t *last_disc, uint64_t *npackets)
{
    struct stat st;
    uint64_t off = 0;
    *valid_end = 0;
    *npackets = 0;
    if (fstat(fd, &st) < 0)
        return -errno;
    if ((uint64_t)st.st_size < limit)
        limit = (uint64_t)st.st_size;
    st.st_size = (off_t)limit;
    while ((uint64_t)st.st_size - off >= PT__PKT_HDR_SIZE) {
        struct pt__pkt_hdr ph;
        if (pread(fd, &ph, sizeof ph, (off_t)off) != (ssize_t)sizeof ph)
            break;
        if (!plausible(&ph, MAX_PACKET) || off + ph.packet_size / 8 > (uint64_t)st.st_size)
            break;
        off += ph.packet_size / 8;
        *valid_end = off;
        *last_seq = ph.packet_seq_num;
        *last_disc = ph.events_discarded;
        ++*npackets;
    }
    return 0;
}

int pt__src_open_file(const char *path, const char *name, pt__diag_fn diag, void *darg,
                      struct pt__src **out)
{
    struct pt__src *s = calloc(1, sizeof *s);
    struct stat st;
    if (!s)
        return -ENOMEM;
    s->kind = SRC_FILE;
    s->diag = diag;
    s->darg = darg;
    s->fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    s->path = strdup(path);
    if (s->fd >= 0 && fstat(s->fd, &st) == 0 && !S_ISREG(st.st_mode)) {
        close(s->fd); /* a FIFO, device or directory named like a stream: never read */
        s->fd = -1;
        errno = EINVAL;
    }
    if (s->fd < 0 || !s->path || fstat(s->fd, &st) < 0) {
        int rc = s->path ? -errno : -ENOMEM;
        char msg[4352];
        snprintf(msg, sizeof msg, "%s: %s", path, strerror(-rc));
        diag(darg, msg);
        pt__src_free(s);
        return rc;
    }
    (void)name;
    s->fsize = (uint64_t)st.st_size;
    *out = s;
    return 0;
}

/* Search for the next plausible packet header after a damaged one. */
static int resync(struct pt__src *s)
{
    uint8_t chunk[65536];
    const uint8_t magic[4] = {0xc1, 0x1f, 0xfc, 0xc1};
    uint64_t off = s->foff + 1;
    while (off + PT__PKT_HDR_SIZE <= s->fsize) {
        ssize_t n = pread(s->fd, chunk, sizeof chunk, (off_t)off);
        if (n < 4)
            return 0;
        for (ssize_t i = 0; i + 4 <= n; i++) {
            if (memcmp(chunk + i, magic, 4))
                continue;
            struct pt__pkt_hdr ph;
            uint64_t at = off + (uint64_t)i;
            if (pread(s->fd, &ph, sizeof ph, (off_t)at) != (ssize_t)sizeof ph)
                return 0;
            if (plausible(&ph, MAX_PACKET) && (!s->pid || ph.pid == s->pid)) {
                s->foff = at;
                return 1;
            }
        }
        off += (uint64_t)n - 3;
    }
    return 0;
}

static int file_next_packet(struct pt__src *s)
{
    while (s->foff < s->fsize) {
        struct pt__pkt_hdr ph;
        uint64_t avail = s->fsize - s->foff;
        memset(&ph, 0, sizeof ph);
        if (pread(s->fd, &ph, avail < sizeof ph ? avail : sizeof ph, (off_t)s->foff) < 0) {
            sdiag(s, s->foff, "read error: %s", strerror(errno));
            return 0;
        }
        if (avail < PT__PKT_HDR_SIZE && (avail < 4 || ph.magic == PT__CTF_MAGIC)) {
            sdiag(s, s->fsize, "truncated: packet header at byte %" PRIu64 " is cut short",
                  s->foff);
            return 0;
        }
        if (!plausible(&ph, MAX_PACKET)) {
            sdiag(s, s->foff, "%s",
                  ph.magic != PT__CTF_MAGIC ? "bad packet magic" : "inconsistent packet header");
            if (!resync(s))
                return 0;
            continue;
        }
        uint64_t psize = ph.packet_size / 8, csize = ph.content_size / 8;
        if (s->foff + csize > s->fsize) {
            sdiag(s, s->fsize,
                  "truncated: packet at byte %" PRIu64 " needs %" PRIu64 " bytes, reading what is "
                  "there",
                  s->foff, csize);
            csize = s->fsize - s->foff;
            psize = csize;
            s->partial = 1;
        } else {
            s->partial = 0;
        }
        if (grow(s, csize) < 0)
            return 0;
        if (pread(s->fd, s->pkt, csize, (off_t)s->foff) != (ssize_t)csize) {
            sdiag(s, s->foff, "read error: %s", strerror(errno));
            return 0;
        }
        if (!s->pid)
            s->pid = ph.pid;
        s->pkt_off = s->foff;
        s->foff += psize;
        s->len = csize;
        s->pos = PT__PKT_HDR_SIZE;
        s->clock = ph.timestamp_begin;
        s->ts_end = ph.timestamp_end;
        s->tid = ph.tid;
        s->seq_cur = ph.packet_seq_num;
        if (!s->disc_known) {
            s->disc_prev = 0;
            s->disc_known = 1;
        }
        s->disc_cur = ph.events_discarded;
        return 1;
    }
    return 0;
}

/* ---- Rings ------------------------------------------------------------------------------- */

static void ringmap_put(struct pt__ringmap *rm)
{
    if (rm && --rm->refs == 0) {
        munmap(rm->map, rm->size);
        free(rm);
    }
}

static const struct pt__tbuf_ctl *ring_ctl(const struct pt__ringmap *rm, unsigned buf)
{
    return (const struct pt__tbuf_ctl *)(rm->map + rm->h.bufs_off + rm->h.tbuf_stride * buf);
}

static int ring_next_packet(struct pt__src *s)
{
    struct pt__ringmap *rm = s->rm;
    const struct pt__ring_hdr *h = &rm->h;
    const struct pt__tbuf_ctl *c = ring_ctl(rm, s->buf);
    const uint64_t S = h->sub_size;
    uint64_t base = h->bufs_off + h->tbuf_stride * s->buf + h->ctl_size;

    while (s->seq < s->seq_end) {
        uint64_t seq = s->seq++;
        uint64_t slot = seq & (h->nsub - 1), lap = seq / h->nsub;
        uint64_t poff = base + slot * S;
        if (poff + S > rm->size) {
            sdiag(s, rm->size, "truncated: packet %" PRIu64 " of buffer %u lies past the end",
                  seq, s->buf);
            s->seq = s->seq_end;
            return 0;
        }
        uint64_t commit = __atomic_load_n(&c->commit[slot], __ATOMIC_ACQUIRE);
        if (commit < lap * S || commit - lap * S > S)
            continue; /* slot holds an older or newer lap: never written, or overwritten */
        uint64_t committed = commit - lap * S;
        int complete = committed == S, current = seq + 1 == s->seq_end;
        if (committed < PT__PKT_HDR_SIZE) {
            if (committed)
                sdiag(s, poff, "packet %" PRIu64 " of buffer %u has no committed header", seq,
                      s->buf);
            continue;
        }
        const struct pt__pkt_hdr *ph = (const struct pt__pkt_hdr *)(rm->map + poff);
        uint64_t len = complete ? ph->content_size / 8 : committed;
        if (len > S || len < PT__PKT_HDR_SIZE) {
            sdiag(s, poff, "packet %" PRIu64 " of buffer %u: bad content size", seq, s->buf);
            continue;
        }
        if (grow(s, len) < 0)
            return 0;
        memcpy(s->pkt, rm->map + poff, len);
#ifndef __SANITIZE_THREAD__ /* TSan does not model fences; the seqlock check below is the same */
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
#endif
        /* Flight-recorder mode: a writer may have reopened the slot while we copied. */
        if (h->overwrite &&
            __atomic_load_n(&c->wpos, __ATOMIC_ACQUIRE) > (seq + h->nsub) * S)
            continue;
        struct pt__pkt_hdr cp;
        memcpy(&cp, s->pkt, sizeof cp);
        if (cp.magic != PT__CTF_MAGIC || cp.packet_seq_num != seq) {
            sdiag(s, poff, "packet %" PRIu64 " of buffer %u: bad header (magic %08x, seq %" PRIu64
                  ")",
                  seq, s->buf, cp.magic, cp.packet_seq_num);
            continue;
        }
        if (!complete && !current)
            sdiag(s, poff + committed,
                  "packet %" PRIu64 " of buffer %u was never finished (writer died in it?)", seq,
                  s->buf);
        s->partial = !complete;
        s->pkt_off = poff;
        s->len = len;
        s->pos = PT__PKT_HDR_SIZE;
        s->clock = cp.timestamp_begin;
        s->ts_end = complete ? cp.timestamp_end : cp.timestamp_begin;
        s->tid = cp.tid;
        s->seq_cur = seq;
        uint64_t disc = complete ? cp.events_discarded : __atomic_load_n(&c->lost, __ATOMIC_ACQUIRE);
        if (!s->disc_known) {
            s->disc_prev = seq == 0 ? 0 : cp.events_discarded;
            s->disc_known = 1;
        }
        s->disc_cur = disc < s->disc_prev ? s->disc_prev : disc;
        return 1;
    }
    return 0;
}

int pt__src_open_ring(const char *path, const char *dir, pt__diag_fn diag, void *darg,
                      pt__limit_fn limit_of, void *limit_arg, struct pt__src ***out,
                      unsigned *n)
{
    char msg[4600], why[256];
    struct stat st;
    struct pt__ringmap *rm = NULL;
    struct pt__src **arr = NULL;
    unsigned cnt = 0;
    int rc = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    *out = NULL;
    *n = 0;
    if (fd >= 0 && fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
        close(fd); /* not a ring: never map or read a device or FIFO */
        fd = -1;
        errno = EINVAL;
    }
    if (fd < 0 || fstat(fd, &st) < 0) {
        rc = -errno;
        snprintf(msg, sizeof msg, "%s: %s", path, strerror(errno));
        diag(darg, msg);
        goto done;
    }
    rm = calloc(1, sizeof *rm);
    if (!rm) {
        rc = -ENOMEM;
        goto done;
    }
    rm->refs = 1;
    rm->size = (size_t)st.st_size;
    if (rm->size < sizeof rm->h) {
        snprintf(msg, sizeof msg, "%s: truncated at byte %zu (ring header needs %zu)", path,
                 rm->size, sizeof rm->h);
        diag(darg, msg);
        rc = -EINVAL;
        goto done;
    }
    rm->map = mmap(NULL, rm->size, PROT_READ, MAP_SHARED, fd, 0);
    if (rm->map == MAP_FAILED) {
        rm->map = NULL;
        rc = -errno;
        snprintf(msg, sizeof msg, "%s: %s", path, strerror(errno));
        diag(darg, msg);
        goto done;
    }
    memcpy(&rm->h, rm->map, sizeof rm->h);
    if (pt__ring_check(&rm->h, rm->h.file_size, why, sizeof why) < 0) {
        snprintf(msg, sizeof msg, "%s: %s", path, why);
        diag(darg, msg);
        rc = -EINVAL;
        goto done;
    }
    if (rm->size < rm->h.file_size) {
        snprintf(msg, sizeof msg,
                 "%s: truncated at byte %zu (ring is %" PRIu64 " bytes), reading what is there",
                 path, rm->size, rm->h.file_size);
        diag(darg, msg);
    }
    const char *slash = strrchr(path, '/');
    char base[512];
    snprintf(base, sizeof base, "%s", slash ? slash + 1 : path);
    char *dot = strstr(base, ".ring");
    if (dot)
        *dot = 0;
    arr = calloc(rm->h.nbufs, sizeof *arr);
    if (!arr) {
        rc = -ENOMEM;
        goto done;
    }
    for (unsigned i = 0; i < rm->h.nbufs; i++) {
        uint64_t coff = rm->h.bufs_off + rm->h.tbuf_stride * i;
        if (coff + rm->h.ctl_size > rm->size)
            break; /* reported above as truncated */
        if (!__atomic_load_n(&pt__ring_claim_at(rm->map, i)->claims, __ATOMIC_ACQUIRE))
            continue; /* never used: its pages may be a hole, never read */
        const struct pt__tbuf_ctl *c = ring_ctl(rm, i);
        uint64_t wpos = __atomic_load_n(&c->wpos, __ATOMIC_ACQUIRE);
        if (!wpos)
            continue;
        const uint64_t S = rm->h.sub_size;
        uint64_t seq_end = (wpos - 1) / S + 1, seq = 0;
        uint64_t cons = __atomic_load_n(&c->consumed, __ATOMIC_ACQUIRE);
        if (cons > wpos || (!rm->h.overwrite && seq_end > cons / S + rm->h.nsub)) {
            /* A writer never passes undrained packets: wpos (or consumed) is damaged. Trust the
             * packet headers instead: the newest sequence number found in its own slot. */
            uint64_t best = 0;
            int found = 0;
            uint64_t data = coff + rm->h.ctl_size;
            for (uint64_t k = 0; k < rm->h.nsub && data + (k + 1) * S <= rm->size; k++) {
                const struct pt__pkt_hdr *ph = (const struct pt__pkt_hdr *)(rm->map + data + k * S);
                if (ph->magic == PT__CTF_MAGIC && ph->packet_seq_num % rm->h.nsub == k &&
                    (!found || ph->packet_seq_num > best)) {
                    best = ph->packet_seq_num;
                    found = 1;
                }
            }
            snprintf(msg, sizeof msg,
                     "%s: buffer %u: write position %" PRIu64 " and drained position %" PRIu64
                     " disagree (damaged control block at byte %" PRIu64 "), using packet headers",
                     path, i, wpos, cons, coff);
            diag(darg, msg);
            if (!found)
                continue;
            seq_end = best + 1;
        }
        /* Only the last nsub packets can still be in the ring, whatever the mode (and whatever a
         * damaged wpos claims). */
        if (seq_end > rm->h.nsub)
            seq = seq_end - rm->h.nsub;
        if (cons <= wpos && cons / S > seq)
            seq = cons / S < seq_end ? cons / S : seq_end;
        struct pt__src *s = calloc(1, sizeof *s);
        if (!s) {
            rc = -ENOMEM;
            goto done;
        }
        s->kind = SRC_RING;
        s->diag = diag;
        s->darg = darg;
        s->fd = -1;
        s->path = strdup(path);
        s->rm = rm;
        rm->refs++;
        s->buf = i;
        s->pid = rm->h.pid;
        s->rt_offset = rm->h.realtime_offset;
        /* What the collector already wrote to the stream file is read from there. */
        char spath[4700];
        snprintf(spath, sizeof spath, "%s/" PT__STREAM_FMT, dir, base, i);
        int sfd = open(spath, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (sfd >= 0) {
            uint64_t vend, lseq = 0, ldisc = 0, np = 0;
            uint64_t limit = limit_of ? limit_of(limit_arg, spath) : UINT64_MAX;
            if (pt__stream_scan_limit(sfd, limit, &vend, &lseq, &ldisc, &np) == 0 && np) {
                if (lseq + 1 > seq)
                    seq = lseq + 1;
                s->disc_prev = ldisc;
                s->disc_known = 1;
            }
            close(sfd);
        }
        s->seq = seq;
        s->seq_end = seq_end;
        arr[cnt++] = s;
    }
done:
    if (fd >= 0)
        close(fd);
    if (rc < 0) {
        for (unsigned i = 0; i < cnt; i++)
            pt__src_free(arr[i]);
        free(arr);
        cnt = 0;
        arr = NULL;
    }
    if (rm)
        ringmap_put(rm);
    *out = arr;
    *n = cnt;
    return rc;
}

/* ---- Events ------------------------------------------------------------------------------- */

static int emit_lost(struct pt__src *s, uint64_t count, uint64_t ts)
{
    struct pt_event *ev = &s->head;
    ev->id = PT_EV_lost;
    ev->ts = ev->ts_enter = ts;
    ev->pid = s->pid;
    ev->tid = s->tid;
    ev->stream = s->index;
    ev->depth = 0;
    ev->ret = 0;
    ev->err = 0;
    ev->nframes = 0;
    ev->nfields = 1;
    ev->field[0].wire = PT_WIRE_U64;
    ev->field[0].name = pt__classes[PT_EV_lost].fields[0].name;
    ev->field[0].u = count;
    return 1;
}

int pt__src_next(struct pt__src *s)
{
    for (;;) {
        if (s->done)
            return 0;
        if (s->in_pkt) {
            if (s->pos < s->len) {
                const char *why = NULL;
                uint64_t clock = s->clock;
                int rc = pt__decode_record(s->pkt + s->pos, s->len - s->pos, &clock, &s->head,
                                           &why);
                if (rc > 0) {
                    s->pos += (size_t)rc;
                    s->clock = clock;
                    if (s->head.id == PT_EV_thread && s->head.nfields)
                        s->tid = (uint32_t)s->head.field[0].u;
                    s->head.pid = s->pid;
                    s->head.tid = s->tid;
                    s->head.stream = s->index;
                    return 1;
                }
                if (rc == 0 && !s->partial)
                    sdiag(s, s->pkt_off + s->pos, "uncommitted record inside a finished packet");
                else if (rc < 0)
                    sdiag(s, s->pkt_off + s->pos, "%s (packet %" PRIu64 ")", why, s->seq_cur);
            }
            s->in_pkt = 0;
            if (s->disc_cur > s->disc_prev) {
                uint64_t n = s->disc_cur - s->disc_prev;
                s->disc_prev = s->disc_cur;
                return emit_lost(s, n, s->ts_end > s->clock ? s->ts_end : s->clock);
            }
        }
        int got = s->kind == SRC_FILE ? file_next_packet(s) : ring_next_packet(s);
        if (got <= 0) {
            s->done = 1;
            return 0;
        }
        if (s->clock > s->ts_end)
            s->ts_end = s->clock;
        s->in_pkt = 1;
    }
}

void pt__src_free(struct pt__src *s)
{
    if (!s)
        return;
    if (s->fd >= 0 && s->kind == SRC_FILE)
        close(s->fd);
    ringmap_put(s->rm);
    free(s->pkt);
    free(s->path);
    free(s);
}

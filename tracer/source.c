/* source.c — event streams for the reader: the packets of one thread buffer, from its CTF stream
 * file and its undrained ring, or a stream file alone.
 *
 * Reading beside a live writer and collector. The collector appends a ring's complete packets to
 * the buffer's stream file, then raises `consumed`; only then may the writer reuse the slot. So a
 * source reads the stream file first, then asks the ring for the next sequence number; when the
 * ring no longer has it (the slot holds a newer lap, or was reopened while being copied, or the
 * ring file is gone because the collector finished it), the packet is in the stream file by now,
 * and the source reads on there. A packet the collector is appending at that moment is cut short
 * at the end of the file: that is a packet in flight, not damage, as long as the ring is there to
 * read it from. Each thread's events thus come out once each, as a prefix of what it wrote.
 *
 * Hostile input. Every offset and size is checked against the real file at each use; a ring is
 * read with pread, never mapped, so a ring that shrinks (or is rewritten) while being read gives
 * a short read and a message, never SIGBUS; a control block whose write and drained positions
 * disagree is read again until its drained position holds still, and only then called damaged.
 * Damage is reported (file, offset, reason) and reading goes on with what is still valid. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proftrace/trace.h"
#include "tracer/decode.h"
#include "tracer/internal.h"
#include "tracer/perm.h"
#include "tracer/source.h"

#define MAX_PACKET (16u << 20)
#define CTL_TRIES 1000 /* reads of a control block whose drained position keeps moving */

struct pt__ring {
    int refs;
    struct pt__file *f;
    char *path; /* for messages */
    char *base; /* file name without ".ring" */
    struct pt__ring_hdr h;
    uint64_t size; /* bytes when opened */
    int gone;      /* removed (finished by the collector) or replaced: read the streams */
    int shrank;    /* said once */
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

static void say(pt__diag_fn diag, void *darg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(pt__diag_fn diag, void *darg, const char *fmt, ...)
{
    char msg[4800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    diag(darg, msg);
}

/* "dir/name", malloc'ed; NULL when out of memory. */
static char *join(const char *dir, const char *name)
{
    char *p;
    return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static int grow(struct pt__src *s, size_t n)
{
    if (n <= s->cap)
        return 0;
    uint8_t *p = realloc(s->data, n);
    if (!p)
        return -ENOMEM;
    s->data = p;
    s->cap = n;
    return 0;
}

static int plausible(const struct pt__pkt_hdr *ph, uint64_t avail_max)
{
    return ph->magic == PT__CTF_MAGIC && ph->content_size % 8 == 0 && ph->packet_size % 8 == 0 &&
           ph->content_size >= 8ull * PT__PKT_HDR_SIZE && ph->content_size <= ph->packet_size &&
           ph->packet_size / 8 <= avail_max && ph->timestamp_begin <= ph->timestamp_end;
}

/* Read n bytes at off: 0, or -1 when the file ended first or could not be read. */
static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
    return pread(fd, buf, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

int pt__stream_scan(int fd, uint64_t *valid_end, uint64_t *last_seq, uint64_t *last_disc,
                    uint64_t *npackets)
{
    struct stat st;
    uint64_t off = 0;
    *valid_end = 0;
    *npackets = 0;
    if (fstat(fd, &st) < 0)
        return -errno;
    while ((uint64_t)st.st_size - off >= PT__PKT_HDR_SIZE) {
        struct pt__pkt_hdr ph;
        if (read_at(fd, &ph, sizeof ph, off) < 0)
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

/* ---- Stream files ------------------------------------------------------------------------ */

/* Is the ring this stream file belongs to still there (its collector may be appending)? */
static int ring_alive(struct pt__src *s)
{
    if (s->ring)
        return !s->ring->gone;
    const char *name = pt__file_name(s->sf);
    const char *slash = strrchr(name, '/'); /* a chunk's file: "chunks/000042/<base>_3" */
    if (slash)
        name = slash + 1;
    const char *us = strrchr(name, '_');
    char ring[512];
    struct stat st;
    if (!us ||
        snprintf(ring, sizeof ring, "rings/%.*s.ring", (int)(us - name), name) >= (int)sizeof ring)
        return 0;
    return fstatat(pt__file_dirfd(s->sf), ring, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Search for the next plausible packet header after a damaged one at s->foff, below end. */
static int resync(struct pt__src *s, int fd, uint64_t end)
{
    uint8_t chunk[65536];
    const uint8_t magic[4] = {0xc1, 0x1f, 0xfc, 0xc1};
    uint64_t off = s->foff + 1;
    while (off + PT__PKT_HDR_SIZE <= end) {
        uint64_t want = end - off < sizeof chunk ? end - off : sizeof chunk;
        ssize_t n = pread(fd, chunk, (size_t)want, (off_t)off);
        if (n < 4)
            return 0;
        for (ssize_t i = 0; i + 4 <= n; i++) {
            if (memcmp(chunk + i, magic, 4))
                continue;
            struct pt__pkt_hdr ph;
            uint64_t at = off + (uint64_t)i;
            if (at + PT__PKT_HDR_SIZE > end || read_at(fd, &ph, sizeof ph, at) < 0)
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

enum { FP_GOT, FP_END };

enum { FB_GOT, FB_SHORT, FB_ERROR };

/* Bytes [off, off + n) of the stream file into *p, from the window when it holds them, else read
 * from the file: n bytes, or with read-ahead as many as s->ahead up to `end` (the bytes after off
 * are then the next packets). FB_SHORT when the file ends before off + n now (shortened since
 * `end` was known, or being appended), FB_ERROR after a diag. */
static int file_bytes(struct pt__src *s, int fd, uint64_t off, size_t n, uint64_t end,
                      const uint8_t **p)
{
    if (off >= s->win_off && off - s->win_off <= s->win_len &&
        n <= s->win_len - (off - s->win_off)) {
        *p = s->data + (off - s->win_off);
        return FB_GOT;
    }
    size_t want = n;
    if (s->ahead > want && end > off)
        want = end - off < s->ahead ? (size_t)(end - off) : s->ahead;
    if (want < n)
        want = n;
    s->win_len = 0;
    if (grow(s, want) < 0) {
        sdiag(s, off, "out of memory reading %zu bytes", want);
        return FB_ERROR;
    }
    ssize_t got = pread(fd, s->data, want, (off_t)off);
    if (got < 0) {
        sdiag(s, off, "read error: %s", strerror(errno));
        return FB_ERROR;
    }
    s->win_off = off;
    s->win_len = (size_t)got;
    *p = s->data;
    return (size_t)got >= n ? FB_GOT : FB_SHORT;
}

/* The stream file alone ends before the size it had when listed: say so once, and read on up to
 * where it ends now. */
static void file_shortened(struct pt__src *s, int fd)
{
    struct stat st;
    uint64_t now =
        fstat(fd, &st) == 0 && (uint64_t)st.st_size < s->fend ? (uint64_t)st.st_size : s->foff;
    sdiag(s, now, "shortened to %" PRIu64 " bytes while being read", now);
    s->fend = now;
    if (s->win_off + s->win_len > now) /* what was read past the end now is not the file's */
        s->win_len = now > s->win_off ? (size_t)(now - s->win_off) : 0;
}

/* The next packet of the stream file into s->pkt. A packet cut short at the end of the file while
 * its ring is still there is one the collector is writing (or was, when it died): that ends the
 * file for now, quietly, and the ring has the packet. Anywhere else it is damage. A stream file
 * alone is read up to the size it had when listed, with read-ahead: a file that grows meanwhile
 * is read as it was, one cut short as far as it still goes. */
static int file_packet(struct pt__src *s)
{
    if (!s->sf)
        return FP_END;
    int fd = pt__file_fd(s->sf);
    if (fd < 0) {
        if (fd != -ENOENT && !s->said_gone) { /* ENOENT: no stream file (yet) */
            s->said_gone = 1;
            say(s->diag, s->darg, "%s: %s", s->path, pt_trace_file_error(fd));
        }
        return FP_END;
    }
    uint64_t end = s->fend;
    if (s->ring) { /* the collector appends (and may cut a torn packet): its size now */
        struct stat st;
        if (fstat(fd, &st) < 0)
            return FP_END;
        end = (uint64_t)st.st_size;
        s->win_len = 0;
    }
    while (s->foff < end) {
        struct pt__pkt_hdr ph;
        const uint8_t *b;
        uint64_t avail = end - s->foff;
        size_t hn = avail < sizeof ph ? (size_t)avail : sizeof ph;
        int rc = file_bytes(s, fd, s->foff, hn, end, &b);
        if (rc == FB_ERROR)
            return FP_END;
        if (rc == FB_SHORT) {
            if (s->ring)
                return FP_END; /* cut while we read: the ring or the next look has it */
            file_shortened(s, fd);
            end = s->fend;
            continue;
        }
        memset(&ph, 0, sizeof ph);
        memcpy(&ph, b, hn);
        int cut =
            avail < PT__PKT_HDR_SIZE || (plausible(&ph, MAX_PACKET) && ph.content_size / 8 > avail);
        if (cut && ring_alive(s))
            return FP_END; /* in flight: the collector is appending it */
        if (avail < PT__PKT_HDR_SIZE && (avail < 4 || ph.magic == PT__CTF_MAGIC)) {
            sdiag(s, end, "truncated: packet header at byte %" PRIu64 " is cut short", s->foff);
            s->foff = end;
            return FP_END;
        }
        if (!plausible(&ph, MAX_PACKET)) {
            uint64_t bad = s->foff;
            int more = resync(s, fd, end);
            if (!more && ring_alive(s)) {
                s->foff = bad;
                return FP_END; /* the tail being written */
            }
            sdiag(s, bad, "%s",
                  ph.magic != PT__CTF_MAGIC ? "bad packet magic" : "inconsistent packet header");
            if (!more) {
                s->foff = end;
                return FP_END;
            }
            continue;
        }
        uint64_t psize = ph.packet_size / 8, csize = ph.content_size / 8;
        if (s->ring && ph.packet_seq_num < s->seq) { /* read from the ring already */
            s->foff += psize;
            continue;
        }
        if (s->ring && ph.packet_seq_num >= s->seq_end)
            return FP_END; /* written after the trace was opened */
        if (s->foff + csize > end) {
            sdiag(s, end,
                  "truncated: packet at byte %" PRIu64 " needs %" PRIu64 " bytes, reading what is "
                  "there",
                  s->foff, csize);
            csize = end - s->foff;
            psize = csize;
            s->partial = 1;
        } else {
            s->partial = 0;
        }
        rc = file_bytes(s, fd, s->foff, (size_t)csize, end, &b);
        if (rc == FB_ERROR)
            return FP_END;
        if (rc == FB_SHORT) {
            if (s->ring)
                return FP_END;
            file_shortened(s, fd);
            end = s->fend;
            continue;
        }
        if (!s->pid)
            s->pid = ph.pid;
        s->pkt = b;
        s->pkt_off = s->foff;
        s->foff += psize;
        s->len = csize;
        s->pos = PT__PKT_HDR_SIZE;
        s->clock = ph.timestamp_begin;
        s->ts_end = ph.timestamp_end;
        s->tid = ph.tid;
        s->seq_cur = ph.packet_seq_num;
        s->pkt_from_ring = 0;
        s->in_flight = 0;
        if (s->ring)
            s->seq = ph.packet_seq_num + 1;
        if (!s->disc_known) {
            s->disc_prev = 0;
            s->disc_known = 1;
        }
        s->disc_cur = ph.events_discarded;
        return FP_GOT;
    }
    return FP_END;
}

/* ---- Rings ------------------------------------------------------------------------------- */

static void ring_put(struct pt__ring *r)
{
    if (r && --r->refs == 0) {
        pt__file_put(r->f);
        free(r->path);
        free(r->base);
        free(r);
    }
}

/* Read n bytes of the ring at off: 0, or -1 when it is gone (the collector finished it) or
 * shrank (said once). */
static int ring_read(struct pt__src *s, void *buf, size_t n, uint64_t off)
{
    struct pt__ring *r = s->ring;
    if (r->gone)
        return -1;
    int fd = pt__file_fd(r->f);
    if (fd < 0) {
        r->gone = 1; /* removed after draining, or replaced: its streams have the rest */
        return -1;
    }
    if (read_at(fd, buf, n, off) == 0)
        return 0;
    r->gone = 1;
    if (!r->shrank) {
        r->shrank = 1;
        sdiag(s, off, "ring shrank while being read (%s)", errno ? strerror(errno) : "short read");
    }
    return -1;
}

static uint64_t ctl_off(const struct pt__ring *r, unsigned buf)
{
    return r->h.bufs_off + r->h.tbuf_stride * buf;
}

static int ctl_word(struct pt__src *s, size_t field, uint64_t *v)
{
    return ring_read(s, v, sizeof *v, ctl_off(s->ring, s->buf) + field);
}

enum { RP_GOT, RP_NONE, RP_MOVED };

/* Packet seq of the ring into s->pkt: RP_GOT; RP_NONE when the ring holds nothing readable for
 * it; RP_MOVED when it is no longer there (drained and the slot reused, overwritten, or the ring
 * removed): then it is in the stream file, or lost to the flight recorder. */
static int ring_packet(struct pt__src *s, uint64_t seq)
{
    const struct pt__ring_hdr *h = &s->ring->h;
    const uint64_t S = h->sub_size;
    uint64_t slot = seq & (h->nsub - 1), lap = seq / h->nsub;
    uint64_t poff = ctl_off(s->ring, s->buf) + h->ctl_size + slot * S;
    uint64_t commit, wpos;
    if (poff + S > s->ring->size) {
        sdiag(s, s->ring->size, "truncated: packet %" PRIu64 " of buffer %u lies past the end", seq,
              s->buf);
        s->seq = s->seq_end;
        return RP_NONE;
    }
    if (ctl_word(s, h->off_commit + 8 * slot, &commit) < 0)
        return RP_MOVED;
    if (commit < lap * S)
        return RP_NONE; /* never written */
    if (commit - lap * S > S)
        return RP_MOVED;
    uint64_t committed = commit - lap * S;
    int complete = committed == S, current = seq + 1 == s->seq_end;
    if (committed < PT__PKT_HDR_SIZE) {
        if (committed)
            sdiag(s, poff, "packet %" PRIu64 " of buffer %u has no committed header", seq, s->buf);
        return RP_NONE;
    }
    struct pt__pkt_hdr cp;
    if (ring_read(s, &cp, sizeof cp, poff) < 0)
        return RP_MOVED;
    uint64_t len = complete ? cp.content_size / 8 : committed;
    int len_ok = len <= S && len >= PT__PKT_HDR_SIZE;
    s->win_len = 0; /* data holds this packet now, no longer a window of the stream file */
    if (len_ok && (grow(s, len) < 0 || ring_read(s, s->data, len, poff) < 0))
        return RP_MOVED;
    /* The writer reserves in the slot's next lap before it rewrites the header: a write position
     * past that start means what was copied may be torn. */
    if (ctl_word(s, offsetof(struct pt__tbuf_ctl, wpos), &wpos) < 0 || wpos > (seq + h->nsub) * S)
        return RP_MOVED;
    if (!len_ok) {
        sdiag(s, poff, "packet %" PRIu64 " of buffer %u: bad content size", seq, s->buf);
        return RP_NONE;
    }
    memcpy(&cp, s->data, sizeof cp);
    if (cp.magic != PT__CTF_MAGIC || cp.packet_seq_num != seq) {
        sdiag(s, poff, "packet %" PRIu64 " of buffer %u: bad header (magic %08x, seq %" PRIu64 ")",
              seq, s->buf, cp.magic, cp.packet_seq_num);
        return RP_NONE;
    }
    if (!complete && !current)
        sdiag(s, poff + committed,
              "packet %" PRIu64 " of buffer %u was never finished (writer died in it?)", seq,
              s->buf);
    s->partial = !complete;
    s->pkt = s->data;
    /* the writer reserved more than it committed: a record is being written (follow.c waits) */
    s->in_flight = !complete && wpos > seq * S + committed;
    s->pkt_off = poff;
    s->len = len;
    s->pos = PT__PKT_HDR_SIZE;
    s->clock = cp.timestamp_begin;
    s->ts_end = complete ? cp.timestamp_end : cp.timestamp_begin;
    s->tid = cp.tid;
    s->seq_cur = seq;
    s->pkt_from_ring = 1;
    uint64_t disc = cp.events_discarded;
    if (!complete && ctl_word(s, offsetof(struct pt__tbuf_ctl, lost), &disc) < 0)
        disc = cp.events_discarded;
    if (!s->disc_known) {
        s->disc_prev = seq == 0 ? 0 : cp.events_discarded;
        s->disc_known = 1;
    }
    s->disc_cur = disc < s->disc_prev ? s->disc_prev : disc;
    return RP_GOT;
}

/* The stream file read so far has no further packet: does the stream go on in a newer one (the
 * next chunk of a rotated trace)? */
static int chain_next(struct pt__src *s)
{
    return s->chain && s->chain(s->chain_arg, s);
}

static int next_packet(struct pt__src *s)
{
    if (!s->ring) {
        while (file_packet(s) != FP_GOT)
            if (!chain_next(s))
                return 0;
        return 1;
    }
    while (s->seq < s->seq_end) {
        if (!s->from_ring) {
            if (file_packet(s) == FP_GOT)
                return 1;
            if (chain_next(s))
                continue;
            s->from_ring = 1;
            if (s->seq < s->seq_start)
                s->seq = s->seq_start; /* older ones were overwritten (flight recorder) */
            continue;
        }
        int rc = ring_packet(s, s->seq);
        if (rc == RP_GOT) {
            s->seq++;
            return 1;
        }
        if (rc == RP_MOVED) { /* the collector drained it meanwhile: on in the stream file */
            s->from_ring = 0;
            if (file_packet(s) == FP_GOT)
                return 1;
            if (chain_next(s))
                continue;
            if (s->ring->gone)
                return 0; /* finished: the stream file had everything */
        }
        s->seq++; /* in neither: overwritten by the flight recorder, or never written */
    }
    return 0;
}

/* Consistent write and drained positions of a control block: the drained position is read before
 * and after the write position until it held still (both only grow), so the pair is one moment's.
 * Returns 1 when they are consistent, 0 when the collector kept draining (nothing to check). */
static int ctl_positions(struct pt__src *s, struct pt__tbuf_ctl *c)
{
    size_t head = offsetof(struct pt__tbuf_ctl, commit);
    for (int i = 0; i < CTL_TRIES; i++) {
        uint64_t before, after;
        if (ctl_word(s, offsetof(struct pt__tbuf_ctl, consumed), &before) < 0 ||
            ring_read(s, c, head, ctl_off(s->ring, s->buf)) < 0 ||
            ctl_word(s, offsetof(struct pt__tbuf_ctl, consumed), &after) < 0)
            return -1;
        if (before == after) {
            c->consumed = before;
            return 1;
        }
    }
    return 0;
}

/* Where buffer s->buf's packets end (seq_end) and start; 0 to read it, -1 when it holds nothing. */
static int buffer_window(struct pt__src *s)
{
    struct pt__ring *r = s->ring;
    const uint64_t S = r->h.sub_size, nsub = r->h.nsub;
    struct pt__tbuf_ctl c;
    int consistent = ctl_positions(s, &c);
    if (consistent < 0 || !c.claims || !c.wpos)
        return -1;
    uint64_t seq_end = (c.wpos - 1) / S + 1, cons = c.consumed;
    /* After a final drain the open packet counts as consumed: consumed may reach past wpos up to
     * the end of that packet, never further; and a writer never passes undrained packets. */
    if (consistent &&
        (cons % S || cons / S > seq_end || (!r->h.overwrite && seq_end > cons / S + nsub))) {
        uint64_t best = 0, data = ctl_off(r, s->buf) + r->h.ctl_size;
        int found = 0;
        for (uint64_t k = 0; k < nsub && data + (k + 1) * S <= r->size; k++) {
            struct pt__pkt_hdr ph;
            if (ring_read(s, &ph, sizeof ph, data + k * S) < 0)
                break;
            if (ph.magic == PT__CTF_MAGIC && ph.packet_seq_num % nsub == k &&
                (!found || ph.packet_seq_num > best)) {
                best = ph.packet_seq_num;
                found = 1;
            }
        }
        say(s->diag, s->darg,
            "%s: buffer %u: write position %" PRIu64 " and drained position %" PRIu64
            " disagree (damaged control block at byte %" PRIu64 "), using packet headers",
            s->path, s->buf, c.wpos, cons, ctl_off(r, s->buf));
        if (!found)
            return -1;
        seq_end = best + 1;
    }
    s->seq_end = seq_end;
    s->seq_start = seq_end > nsub ? seq_end - nsub : 0;
    return 0;
}

int pt__src_open_ring(struct pt__files *fs, const char *dir, const char *name, uid_t dir_owner,
                      int streams, pt__diag_fn diag, void *darg, struct pt__src ***out, unsigned *n)
{
    char why[256];
    struct stat st;
    struct pt__src **arr = NULL;
    unsigned cnt = 0;
    int rc = 0;
    struct pt__ring *r = calloc(1, sizeof *r);

    *out = NULL;
    *n = 0;
    if (!r)
        return -ENOMEM;
    r->refs = 1;
    if (!(r->path = join(dir, name)) || !(r->f = pt__file_new(fs, name))) {
        rc = -ENOMEM;
        goto done;
    }
    int fd = pt__file_fd(r->f);
    if (fd < 0) {
        rc = fd;
        if (rc != -ENOENT) /* ENOENT: drained and removed since listed, not damage */
            say(diag, darg, "%s: %s", r->path, pt_trace_file_error(rc));
        goto done;
    }
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        goto done;
    }
    if (!pt_perm_ring_allowed(&st, dir_owner, why, sizeof why)) {
        say(diag, darg, "%s: %s", r->path, why);
        rc = -EPERM;
        goto done;
    }
    r->size = (uint64_t)st.st_size;
    if (r->size < sizeof r->h) {
        say(diag, darg, "%s: truncated at byte %" PRIu64 " (ring header needs %zu)", r->path,
            r->size, sizeof r->h);
        rc = -EINVAL;
        goto done;
    }
    if (read_at(fd, &r->h, sizeof r->h, 0) < 0) {
        rc = -ENOENT; /* shrank between fstat and read: being removed */
        goto done;
    }
    if (pt__ring_check(&r->h, r->h.file_size, why, sizeof why) < 0) {
        say(diag, darg, "%s: %s", r->path, why);
        rc = -EINVAL;
        goto done;
    }
    if (r->size < r->h.file_size)
        say(diag, darg,
            "%s: truncated at byte %" PRIu64 " (ring is %" PRIu64 " bytes), reading what is there",
            r->path, r->size, r->h.file_size);
    const char *slash = strrchr(name, '/');
    r->base = strndup(slash ? slash + 1 : name, strlen(slash ? slash + 1 : name) - 5);
    arr = calloc(r->h.nbufs, sizeof *arr);
    if (!r->base || !arr) {
        rc = -ENOMEM;
        goto done;
    }
    for (unsigned i = 0; i < r->h.nbufs && !r->gone; i++) {
        if (ctl_off(r, i) + r->h.ctl_size > r->size)
            break; /* reported above as truncated */
        struct pt__src *s = calloc(1, sizeof *s);
        char sname[600];
        snprintf(sname, sizeof sname, PT__STREAM_FMT, r->base, i);
        if (!s || !(s->path = strdup(r->path)) || (streams && !(s->sf = pt__file_new(fs, sname)))) {
            pt__src_free(s);
            rc = -ENOMEM;
            goto done;
        }
        s->diag = diag;
        s->darg = darg;
        s->ring = r;
        r->refs++;
        s->buf = i;
        s->pid = r->h.pid;
        s->rt_offset = r->h.realtime_offset;
        if (buffer_window(s) < 0) {
            pt__src_free(s);
            continue;
        }
        if (!streams) { /* the stream files are not read: begin where the collector stopped */
            struct pt__tbuf_ctl c;
            if (ctl_positions(s, &c) >= 0 && c.consumed / r->h.sub_size > s->seq_start)
                s->seq_start = c.consumed / r->h.sub_size < s->seq_end ? c.consumed / r->h.sub_size
                                                                       : s->seq_end;
            s->from_ring = 1;
            s->seq = s->seq_start;
        }
        arr[cnt++] = s;
    }
    if (r->gone && !cnt)
        rc = -ENOENT; /* removed while being opened */
done:
    if (rc < 0) {
        for (unsigned i = 0; i < cnt; i++)
            pt__src_free(arr[i]);
        free(arr);
        cnt = 0;
        arr = NULL;
    }
    ring_put(r);
    *out = arr;
    *n = cnt;
    return rc;
}

int pt__src_open_file(struct pt__files *fs, const char *dir, const char *name, pt__diag_fn diag,
                      void *darg, struct pt__src **out)
{
    struct pt__src *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s || !(s->path = join(dir, name)) || !(s->sf = pt__file_new(fs, name))) {
        pt__src_free(s);
        return -ENOMEM;
    }
    s->diag = diag;
    s->darg = darg;
    int64_t size = pt__file_size(s->sf);
    if (size < 0) {
        if (size != -ENOENT)
            say(diag, darg, "%s: %s", s->path, pt_trace_file_error((int)size));
        pt__src_free(s);
        return (int)size;
    }
    s->fend = (uint64_t)size;
    *out = s;
    return 0;
}

const char *pt__src_stream_name(const struct pt__src *s)
{
    return s->ring && s->sf ? pt__file_name(s->sf) : NULL;
}

/* ---- Events ------------------------------------------------------------------------------- */

/* A packet was just loaded while seeking (pt__src_seek): 1 to skip it whole, it lies before the
 * position; 0 to read it, from the position when it is the position's packet. */
static int seek_packet(struct pt__src *s)
{
    if (s->seq_cur < s->seek.seq) {
        s->pos = s->len; /* none of its records */
        return 1;
    }
    if (s->seq_cur == s->seek.seq) {
        if (s->seek.pos > s->pos)
            s->pos = s->seek.pos < s->len ? (size_t)s->seek.pos : s->len;
        s->clock = s->seek.clock;
        s->tid = s->seek.tid;
        /* The source now stands where the reader before it stopped: that is what it tells until
         * it returns an event, so that a ring packet still open, read again when its writer adds
         * to it (pt__src_resume), goes on from there, not from its start again (a collector
         * restarted from a checkpoint fed that packet's events twice). */
        s->have_pos = 1;
    }
    s->disc_prev = s->seek.disc; /* reported already, by whoever read up to the position */
    s->disc_known = 1;
    s->seeking = 0;
    return 0;
}

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
    ev->field[0].u = count;
    s->have_pos = 1;
    return 1;
}

int pt__src_step(struct pt__src *s)
{
    for (;;) {
        if (s->pos < s->len) { /* in a packet: its next record */
            const char *why = NULL;
            uint64_t clock = s->clock;
            int rc = pt__decode(s->pkt + s->pos, s->len - s->pos, &clock, &s->head, &why);
            if (rc > 0) {
                s->pos += (size_t)rc;
                s->clock = clock;
                if (s->head.id == PT_EV_thread && s->head.nfields)
                    s->head.tid = s->tid = (uint32_t)s->head.field[0].u;
                s->have_pos = 1;
                return 1;
            }
            if (rc == 0 && !s->partial)
                sdiag(s, s->pkt_off + s->pos, "uncommitted record inside a finished packet");
            else if (rc < 0)
                sdiag(s, s->pkt_off + s->pos, "%s (packet %" PRIu64 ")", why, s->seq_cur);
            s->pos = s->len;
        }
        if (s->in_pkt) {
            s->in_pkt = 0;
            if (s->disc_cur > s->disc_prev) {
                uint64_t n = s->disc_cur - s->disc_prev;
                s->disc_prev = s->disc_cur;
                return emit_lost(s, n, s->ts_end > s->clock ? s->ts_end : s->clock);
            }
        }
        if (s->done || !next_packet(s)) {
            s->done = 1;
            free(s->data); /* the last event was returned before: nothing points here any more */
            s->data = NULL;
            s->pkt = NULL;
            s->cap = s->win_len = 0;
            s->len = s->pos; /* nothing left to decode; pos stays where pt__src_tell says */
            return 0;
        }
        s->have_pkt = 1;
        if (s->seeking && seek_packet(s))
            continue;
        if (s->clock > s->ts_end)
            s->ts_end = s->clock;
        s->in_pkt = 1;
        /* the decoder leaves these alone: they hold for the packet (a thread event aside) */
        s->head.pid = s->pid;
        s->head.tid = s->tid;
        s->head.stream = s->index;
    }
}

void pt__src_read_ahead(struct pt__src *s, size_t bytes)
{
    if (!s->ring)
        s->ahead = bytes;
}

void pt__src_free(struct pt__src *s)
{
    if (!s)
        return;
    pt__file_put(s->sf);
    ring_put(s->ring);
    free(s->data);
    free(s->path);
    free(s);
}

/* ---- Following ----------------------------------------------------------------------------- */

int pt__src_ring_used(struct pt__files *fs, const char *name, uint8_t *used, unsigned n)
{
    struct pt__ring_hdr h;
    struct pt__claim claims[256];
    char why[256];
    struct pt__file *f = pt__file_new(fs, name);
    if (!f)
        return -ENOMEM;
    int fd = pt__file_fd(f), rc = 0;
    int64_t size = pt__file_size(f);
    if (fd < 0 || size < (int64_t)sizeof h || read_at(fd, &h, sizeof h, 0) < 0 ||
        pt__ring_check(&h, h.file_size, why, sizeof why) < 0) {
        pt__file_put(f);
        return fd < 0 ? fd : -EINVAL;
    }
    /* the claim table, in the header page: a read per 256 buffers */
    for (unsigned i = 0; i < h.nbufs && i < n; i += 256) {
        unsigned k = h.nbufs - i < 256 ? h.nbufs - i : 256;
        uint64_t off = PT__CLAIMS_OFF + (uint64_t)i * sizeof *claims;
        if (off + k * sizeof *claims > (uint64_t)size ||
            read_at(fd, claims, k * sizeof *claims, off))
            break;
        for (unsigned j = 0; j < k && i + j < n; j++)
            used[i + j] = claims[j].claims != 0;
        rc = (int)(i + k < n ? i + k : n);
    }
    pt__file_put(f);
    return rc;
}

int pt__src_set_file(struct pt__src *s, struct pt__files *fs, const char *name)
{
    struct pt__file *f = pt__file_new(fs, name);
    if (!f)
        return -ENOMEM;
    pt__file_put(s->sf);
    s->sf = f;
    s->foff = 0;
    s->win_len = 0; /* the window read ahead was the old file's */
    s->said_gone = 0;
    int64_t size = s->ring ? 0 : pt__file_size(f);
    s->fend = size > 0 ? (uint64_t)size : 0;
    return 0;
}

void pt__src_chain(struct pt__src *s, int (*chain)(void *arg, struct pt__src *s), void *arg)
{
    s->chain = chain;
    s->chain_arg = arg;
}

int pt__src_tell(const struct pt__src *s, struct pt__src_pos *pos)
{
    if (!s->have_pos)
        return -ENOENT;
    *pos = (struct pt__src_pos){s->seq_cur, s->pos, s->clock, s->disc_prev, s->tid};
    return 0;
}

void pt__src_seek(struct pt__src *s, const struct pt__src_pos *pos)
{
    s->seek = *pos;
    s->seeking = 1;
}

void pt__src_resume(struct pt__src *s)
{
    if (!s->done)
        return;
    struct pt__src_pos at;
    int told = pt__src_tell(s, &at) == 0;
    s->done = 0;
    s->in_pkt = 0;
    s->pos = s->len = 0;
    if (!s->ring) { /* a stream file alone: up to its size now */
        int64_t size = s->sf ? pt__file_size(s->sf) : -1;
        if (size > 0 && (uint64_t)size > s->fend)
            s->fend = (uint64_t)size;
        return;
    }
    uint64_t end = s->seq_end;
    if (s->ring->gone || buffer_window(s) < 0)
        s->seq_end = s->ring->gone ? UINT64_MAX : end; /* gone: its stream files hold the rest */
    /* Packets skipped as not written yet (a header not committed) are looked at again, and a ring
     * packet read while still open is read again past what it gave. */
    if (s->have_pkt)
        s->seq = s->pkt_from_ring && s->partial ? s->seq_cur : s->seq_cur + 1;
    else
        s->seq = 0;
    if (told && s->have_pkt && s->pkt_from_ring && s->partial)
        pt__src_seek(s, &at);
}

int pt__src_finished(const struct pt__src *s)
{
    return s->done && (s->ring ? s->ring->gone : !s->sf || !ring_alive((struct pt__src *)s));
}

/* fuzz_ring_race.c — libFuzzer target: an undrained ring file read while an attacker changes it.
 *
 * The ring is a shared file: its writer, or with PROFTRACE_ALLOW_UIDS another user, can change
 * it while the reader and the collector read it. The input is the ring file followed by 4 bytes
 * seeding the attacker: a second thread that, for as long as the reader reads, keeps rewriting
 * the fields a reader trusts — the ring header's layout fields, each control block's write,
 * drained and lost counters and commit counters, packet headers — each with a value and back, and
 * (for the reader only: the collector maps the ring and is not this target's subject) cuts the
 * file short and restores it. The reader must neither crash, nor read out of bounds, nor hang;
 * the collector must survive the same rewriting of bytes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_util.h"
#include "tracer/collector.h"
#include "tracer/format.h"

/* Its pid is out of range for any running process, so the collector treats the writer as gone. */
#define RING "rings/4194300-100-00000000c0ffe000.ring"
#define NOPS 32

struct op {
    uint64_t off;   /* where */
    uint64_t value; /* what (8 bytes, little-endian), or a new size when cut */
    uint8_t len;    /* 1, 4 or 8 */
    uint8_t cut;    /* ftruncate to value, then put the file back */
};

struct attacker {
    int fd;
    const uint8_t *orig; /* the file as written, to put back */
    size_t size;
    struct op ops[NOPS];
    unsigned nops;
    int allow_cut;
    volatile int stop;
    volatile uint64_t applied; /* rewrites made so far */
};

static uint64_t rnd(uint64_t *s) /* xorshift64* */
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* Values that cross the checks a reader makes: 0, 1, around packet and file sizes, huge. */
static uint64_t nasty(uint64_t *s, uint64_t near)
{
    static const uint64_t fixed[] = {
        0, 1, 7, 8, 4096, 1ull << 31, 1ull << 32, UINT64_MAX, UINT64_MAX - 7, 1ull << 63};
    uint64_t r = rnd(s);
    switch (r % 4) {
    case 0:
        return fixed[(r >> 8) % (sizeof fixed / sizeof fixed[0])];
    case 1:
        return near + (r >> 8) % 64 - 32;
    case 2:
        return near * ((r >> 8) % 4 + 1);
    default:
        return r >> 3;
    }
}

/* The attack: NOPS rewrites aimed at the fields of the ring the input describes. */
static void plan(struct attacker *a, uint64_t seed)
{
    struct pt__ring_hdr h;
    uint64_t s = seed | 1;
    memset(&h, 0, sizeof h);
    memcpy(&h, a->orig, a->size < sizeof h ? a->size : sizeof h);
    uint64_t nbufs = h.nbufs ? h.nbufs : 1, nsub = h.nsub ? h.nsub : 1;
    for (unsigned i = 0; i < NOPS; i++) {
        struct op *o = &a->ops[a->nops];
        uint64_t r = rnd(&s), buf = (r >> 8) % nbufs, ctl = h.bufs_off + h.tbuf_stride * buf;
        uint64_t slot = (r >> 20) % nsub, pkt = ctl + h.ctl_size + slot * h.sub_size;
        o->len = 8;
        o->cut = 0;
        switch (r % 10) {
        case 0: /* a layout field of the ring header */
            o->off = offsetof(struct pt__ring_hdr, nbufs) + 4 * ((r >> 8) % 6);
            o->len = 4;
            o->value = nasty(&s, h.sub_size);
            break;
        case 1:
            o->off = offsetof(struct pt__ring_hdr, bufs_off) + 8 * ((r >> 8) % 4);
            o->value = nasty(&s, h.file_size);
            break;
        case 2:
            o->off = ctl + offsetof(struct pt__tbuf_ctl, wpos);
            o->value = nasty(&s, h.sub_size * nsub);
            break;
        case 3:
            o->off = ctl + offsetof(struct pt__tbuf_ctl, consumed);
            o->value = nasty(&s, h.sub_size * nsub);
            break;
        case 4:
            o->off = ctl + offsetof(struct pt__tbuf_ctl, lost);
            o->value = nasty(&s, 100);
            break;
        case 5:
        case 6:
            o->off = ctl + h.off_commit + 8 * slot;
            o->value = nasty(&s, h.sub_size);
            break;
        case 7: /* a packet header: content size, packet size, sequence number */
            o->off = pkt + 28 + 8 * ((r >> 32) % 4);
            o->value = nasty(&s, h.sub_size * 8);
            break;
        case 8: /* a record inside a packet */
            o->off = pkt + PT__PKT_HDR_SIZE + (r >> 32) % (h.sub_size ? h.sub_size : 64);
            o->len = 1;
            o->value = r >> 56;
            break;
        default: /* cut the file short, then put it back */
            if (!a->allow_cut)
                continue;
            o->cut = 1;
            o->off = 0;
            o->value = a->size ? (r >> 8) % a->size : 0;
            break;
        }
        /* offsets come from the input's header: off + len may wrap past 2^64 */
        if (!o->cut && (o->off > a->size || o->len > a->size - o->off))
            continue;
        a->nops++;
    }
}

/* A rewrite of the attacker's own file failed: say how before stopping the run, since the reader
 * under attack is not at fault. */
static void attack_failed(const char *what, const struct op *o)
{
    fprintf(stderr, "fuzz_ring_race: attacker's %s at offset %llu (%u bytes) failed: %m\n", what,
            (unsigned long long)o->off, (unsigned)o->len);
    abort();
}

static void *attack(void *arg)
{
    struct attacker *a = arg;
    while (!a->stop && a->nops) {
        for (unsigned i = 0; i < a->nops && !a->stop; i++) {
            const struct op *o = &a->ops[i];
            if (o->cut) {
                if (ftruncate(a->fd, (off_t)o->value) == 0 &&
                    pwrite(a->fd, a->orig, a->size, 0) != (ssize_t)a->size)
                    attack_failed("restore after a cut", o);
                a->applied++;
                continue;
            }
            /* the value, then the original bytes: the reader may see either, or a mix */
            if (pwrite(a->fd, &o->value, o->len, (off_t)o->off) != o->len ||
                pwrite(a->fd, a->orig + o->off, o->len, (off_t)o->off) != o->len)
                attack_failed("rewrite", o);
            a->applied++;
        }
    }
    return NULL;
}

static void quiet(void *arg, const char *what)
{
    (void)arg;
    (void)what;
}

/* Run `read` while the attacker rewrites the ring: again until the attack went round twice (the
 * thread may start late), at most 50 times. */
static void under_attack(struct attacker *a, void (*read)(void))
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", fz_dir(), RING);
    a->fd = open(path, O_RDWR | O_CLOEXEC);
    if (a->fd < 0)
        abort();
    a->stop = 0;
    pthread_t th;
    if (pthread_create(&th, NULL, attack, a) != 0)
        abort();
    for (int i = 0; i < 50 && (i == 0 || a->applied < 2ull * a->nops); i++)
        read();
    a->stop = 1;
    pthread_join(th, NULL);
    close(a->fd);
    if (getenv("PT_FUZZ_VERBOSE")) /* how often the attack ran during the read */
        fprintf(stderr, "fuzz_ring_race: %u rewrites planned, %llu made during the reads\n",
                a->nops, (unsigned long long)a->applied);
}

static void read_twice(void)
{
    fz_read_trace(fz_dir(), 1);
    fz_read_trace(fz_dir(), 0);
}

static void collect(void)
{
    struct pt_collector *c;
    if (pt_collector_open(fz_dir(), quiet, NULL, &c) == 0) {
        pt_collector_run_once(c, 0);
        pt_collector_finish(c);
        pt_collector_close(c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 + sizeof(struct pt__ring_hdr))
        return 0;
    struct attacker a = {.orig = data, .size = size - 4};
    uint32_t seed;
    memcpy(&seed, data + size - 4, 4);
    fz_clean();
    fz_write(RING, data, a.size);
    a.allow_cut = 1;
    plan(&a, seed);
    under_attack(&a, read_twice);

    /* The collector maps the ring (a shorter file would raise SIGBUS there: not this target's
     * subject); it gets the same rewriting of bytes, then the reader reads what it drained. */
    fz_clean();
    fz_write(RING, data, a.size);
    a.allow_cut = 0;
    a.nops = 0;
    plan(&a, seed);
    under_attack(&a, collect);
    fz_read_trace(fz_dir(), 1);
    return 0;
}

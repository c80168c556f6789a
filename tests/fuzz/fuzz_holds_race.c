/* fuzz_holds_race.c — libFuzzer target: the holds tables read while an attacker changes them.
 *
 * A holds table (tracer/holds_table.h) is a shared file: every traced process of its user maps it
 * MAP_SHARED and writes it, and another user's table is read by the collector while its user's
 * processes write it. The input is 4 bytes seeding the attacker, then entries (2 bytes: a slot,
 * then 128 bytes: a struct pt__holds_entry) placed into two tables: the fuzzing user's own and a
 * foreign user's (a uid no one has). Owner slots 1..4 of both are held live (OFD locks, which the
 * readers' F_GETLK sees), their generations taken from the first entry naming them, so entries
 * reach the paths of live holds. A second thread then keeps rewriting, each to a crafted value and
 * back, what a reader trusts: the header's layout fields and the magic (zeroed, written late), seq,
 * ends, waiting, page generations, covered devices, owner slots, each entry's fields, its name
 * without a terminator, whole entries torn; in the foreign table it also cuts the file short and
 * restores it. Meanwhile the readers read: the shim's side (pt__htab_open, map, claim,
 * find_other, add, ring, remove through the mapping) and the collector's witness (open, poll,
 * tick: reads own and foreign tables, mirrors the foreign holds). They must neither crash, nor
 * read or write out of bounds, nor hang. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_util.h"
#include "tracer/holds_table.h"
#include "tracer/witness_internal.h"

#define FOREIGN 4194301u /* no one's uid */
#define NOPS 48
#define NLIVE 4 /* owner slots held live */
#define REC (2 + sizeof(struct pt__holds_entry))

struct op {
    uint8_t foreign; /* which table */
    uint8_t cut;     /* (foreign) ftruncate to off, then put the file back */
    uint16_t len;    /* 1..128 bytes */
    uint64_t off;
    uint8_t value[sizeof(struct pt__holds_entry)];
};

struct attacker {
    int fd[2];         /* own, foreign */
    uint8_t *map;      /* the own table, as its user's processes store into it */
    const uint8_t *orig[2]; /* the tables as written, to put back */
    struct op ops[NOPS];
    unsigned nops;
    volatile int stop;
    volatile uint64_t applied;
};

static uint8_t table[PT__HOLDS_FILE_SIZE], foreign[PT__HOLDS_FILE_SIZE];

static uint64_t rnd(uint64_t *s) /* xorshift64* */
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static uint64_t nasty(uint64_t *s, uint64_t near)
{
    static const uint64_t fixed[] = {0, 1, 2, 3, PT__HOLDS_NOWNERS, PT__HOLDS_NOWNERS + 1,
                                     PT__HOLDS_NENTRIES, UINT32_MAX, UINT64_MAX, 1ull << 63};
    uint64_t r = rnd(s);
    switch (r % 3) {
    case 0:
        return fixed[(r >> 8) % (sizeof fixed / sizeof fixed[0])];
    case 1:
        return near + (r >> 8) % 16 - 8;
    default:
        return r >> 3;
    }
}

/* A little-endian value of len (<= 8) bytes at a field. */
static void field(struct op *o, uint64_t off, uint16_t len, uint64_t v)
{
    o->off = off;
    o->len = len;
    memcpy(o->value, &v, len);
}

/* NOPS rewrites aimed at the fields of a table and at the entries the input placed. */
static void plan(struct attacker *a, uint64_t seed, const uint32_t *slots, unsigned nslots)
{
    uint64_t s = seed | 1;
    const uint64_t E = PT__HOLDS_ENTRIES_OFF, esz = sizeof(struct pt__holds_entry);
    for (unsigned i = 0; i < NOPS; i++) {
        struct op *o = &a->ops[a->nops];
        uint64_t r = rnd(&s);
        uint64_t slot = nslots && r & 1 ? slots[(r >> 40) % nslots] : (r >> 40) % PT__HOLDS_NENTRIES;
        uint64_t ent = E + slot * esz;
        memset(o, 0, sizeof *o);
        o->foreign = (r >> 1) & 1;
        switch ((r >> 2) % 14) {
        case 0: /* the magic, zeroed: a table whose header is written late */
            field(o, 0, 8, 0);
            break;
        case 1: /* a 4-byte field from version to ncovered, or half of seq or ends */
            field(o, 8 + 4 * ((r >> 8) % 26), 4, nasty(&s, PT__HOLDS_NENTRIES));
            break;
        case 2: /* seq, ends, waiting */
            field(o, offsetof(struct pt__holds_hdr, seq) + 8 * ((r >> 8) % 3), 8, nasty(&s, 1));
            break;
        case 3: /* a page generation: the page of a placed entry, or any */
            field(o, PT__HOLDS_PAGEGEN_OFF + 4 * ((r >> 8) & 1 ? slot / PT__HOLDS_PER_PAGE
                                                              : (r >> 9) % PT__HOLDS_PAGES),
                  4, nasty(&s, 1));
            break;
        case 4: /* a covered device */
            field(o, PT__HOLDS_COVERED_OFF + 8 * ((r >> 8) % PT__HOLDS_NCOVERED), 8, nasty(&s, 0));
            break;
        case 5: /* an owner slot's generation or pid */
            field(o, PT__HOLDS_OWNERS_OFF + 16 * ((r >> 8) % (NLIVE + 1)) + 4 * ((r >> 12) & 1),
                  4, nasty(&s, 1));
            break;
        case 6: /* an entry's state */
            field(o, ent + offsetof(struct pt__holds_entry, state), 4, nasty(&s, PT__HE_READY));
            break;
        case 7: /* its owner */
            field(o, ent + offsetof(struct pt__holds_entry, owner), 4, nasty(&s, NLIVE));
            break;
        case 8: /* its generation */
            field(o, ent + offsetof(struct pt__holds_entry, gen), 4, nasty(&s, 1));
            break;
        case 9: /* its kind */
            field(o, ent + offsetof(struct pt__holds_entry, kind), 4, nasty(&s, PT__HK_LAST));
            break;
        case 10: /* its device or inode */
            field(o, ent + 8 * ((r >> 8) & 1), 8, nasty(&s, 0));
            break;
        case 11: /* its name, with no terminator */
            o->off = ent + offsetof(struct pt__holds_entry, name);
            o->len = PT__HOLDS_NAME_MAX;
            memset(o->value, 'A' + (int)(r >> 8) % 26, o->len);
            break;
        case 12: /* the entry torn: a prefix of it rewritten with garbage */
            o->off = ent;
            o->len = (uint16_t)(1 + (r >> 8) % esz);
            for (unsigned k = 0; k < o->len; k++)
                o->value[k] = (uint8_t)rnd(&s);
            break;
        default: /* the foreign table cut short, then put back */
            o->foreign = 1;
            o->cut = 1;
            o->off = (r >> 8) % PT__HOLDS_FILE_SIZE;
            break;
        }
        a->nops++;
    }
}

static void *attack(void *arg)
{
    struct attacker *a = arg;
    while (!a->stop) {
        for (unsigned i = 0; i < a->nops && !a->stop; i++) {
            const struct op *o = &a->ops[i];
            if (o->cut) {
                if (ftruncate(a->fd[1], (off_t)o->off) != 0 ||
                    pwrite(a->fd[1], a->orig[1], PT__HOLDS_FILE_SIZE, 0) != PT__HOLDS_FILE_SIZE)
                    abort();
            } else if (o->foreign) { /* another user's process: writes its own file */
                if (pwrite(a->fd[1], o->value, o->len, (off_t)o->off) != o->len ||
                    pwrite(a->fd[1], a->orig[1] + o->off, o->len, (off_t)o->off) != o->len)
                    abort();
            } else { /* a process of our user: stores into the mapping, byte by byte (torn) */
                volatile uint8_t *p = a->map + o->off;
                for (unsigned k = 0; k < o->len; k++)
                    p[k] = o->value[k];
                for (unsigned k = 0; k < o->len; k++)
                    p[k] = a->orig[0][o->off + k];
            }
            a->applied++;
        }
    }
    return NULL;
}

/* ---- the readers ------------------------------------------------------------------------------ */

static uint64_t (*placed)[2]; /* the input's (dev, ino), asked by the shim's delete path */
static unsigned nplaced;

static void on_hold(void *arg, const struct pt__wtab_hold *h)
{
    (void)arg;
    if (h->kind < 1 || h->kind > PT__HK_LAST || strlen(h->name) >= PT__HOLDS_NAME_MAX)
        abort(); /* the witness announced what it should have refused */
}

static void covered(void *arg, uint64_t *devs, unsigned max)
{
    (void)arg;
    for (unsigned k = 0; k < max && k < nplaced; k++)
        devs[k] = placed[k][0];
}

/* The shim: opens its user's table, maps it, claims a slot, asks and publishes through it. */
static void shim_side(void)
{
    char path[4096], why[256];
    snprintf(path, sizeof path, "%s/rings", fz_dir());
    int rfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rfd < 0)
        abort();
    uint32_t self = (uint32_t)geteuid();
    int fd = pt__htab_open(rfd, self, 0, why, sizeof why);
    close(rfd);
    struct pt__htab t = {.fd = -1};
    if (fd < 0)
        abort(); /* our own table, untouched in size and owner: it must open */
    if (pt__htab_map(&t, fd, self) < 0) {
        close(fd); /* the magic was zeroed and a field was off: refused, as it should be */
        return;
    }
    if (pt__htab_claim(&t, (uint32_t)getpid(), 0) == 0) {
        struct pt__holds_entry e;
        for (unsigned i = 0; i < nplaced; i++)
            if (pt__htab_find_other(&t, placed[i][0], placed[i][1], &e) &&
                strlen(e.name) >= PT__HOLDS_NAME_MAX)
                abort();
        struct pt__hold h = {.dev = 1, .ino = 2, .kind = PT__HK_FILE, .name = "fuzz"};
        int slot = pt__htab_add(&t, &h);
        pt__htab_ring(&t, h.dev);
        if (slot >= 0)
            pt__htab_remove(&t, (uint32_t)slot);
    }
    pt__htab_close(&t);
}

static struct pt__wtab_stats seen; /* what the witness did, for PT_FUZZ_VERBOSE */

static void witness_side(void)
{
    struct pt__wtab *w;
    if (pt__wtab_open(&w, fz_dir(), on_hold, covered, NULL) < 0)
        abort();
    pt__wtab_poll(w);
    pt__wtab_tick(w);
    pt__wtab_poll(w);
    struct pt__wtab_stats st;
    pt__wtab_stats(w, &st);
    seen.holds += st.holds;
    seen.mirrored += st.mirrored;
    seen.refused += st.refused;
    pt__wtab_close(w);
}

static void read_all(void)
{
    shim_side();
    witness_side();
}

/* ---- one input -------------------------------------------------------------------------------- */

static int open_table(uint32_t uid)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/rings/" PT__HOLDS_PREFIX "%u", fz_dir(), uid);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        abort();
    return fd;
}

/* Owner slots 1..NLIVE live: an OFD lock is another owner to the readers' F_GETLK. */
static int hold_owners(uint32_t uid)
{
    int fd = open_table(uid);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = (off_t)PT__HOLDS_LOCK_OFF,
                       .l_len = NLIVE};
    if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
        abort();
    return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint32_t slots[PT__HOLDS_NENTRIES];
    static uint64_t ids[PT__HOLDS_NENTRIES][2];
    if (size < 4)
        return 0;
    uint32_t seed, self = (uint32_t)geteuid();
    memcpy(&seed, data, 4);
    memset(table, 0, sizeof table);
    pt__htab_want((struct pt__holds_hdr *)(void *)table, self);
    unsigned n = 0;
    uint32_t *gens = (uint32_t *)(void *)(table + PT__HOLDS_OWNERS_OFF); /* gen of slot i: [4i] */
    for (size_t at = 4; at + REC <= size && n < PT__HOLDS_NENTRIES; at += REC) {
        struct pt__holds_entry e;
        uint16_t slot;
        memcpy(&slot, data + at, 2);
        memcpy(&e, data + at + 2, sizeof e);
        slot %= PT__HOLDS_NENTRIES;
        memcpy(table + PT__HOLDS_ENTRIES_OFF + (uint64_t)slot * sizeof e, &e, sizeof e);
        if (e.owner >= 1 && e.owner <= NLIVE && !gens[4 * (e.owner - 1)])
            gens[4 * (e.owner - 1)] = e.gen;
        slots[n] = slot;
        ids[n][0] = e.dev;
        ids[n][1] = e.ino;
        n++;
    }
    placed = ids;
    nplaced = n;

    /* Both tables alike; the foreign one's header names its own user. */
    fz_clean();
    char rel[64], path[4096];
    snprintf(rel, sizeof rel, "rings/" PT__HOLDS_PREFIX "%u", self);
    fz_write(rel, table, sizeof table);
    snprintf(rel, sizeof rel, "rings/" PT__HOLDS_PREFIX "%u", FOREIGN);
    memcpy(foreign, table, sizeof table);
    ((struct pt__holds_hdr *)(void *)foreign)->uid = FOREIGN;
    fz_write(rel, foreign, sizeof foreign);
    snprintf(path, sizeof path, "%s/%s", fz_dir(), rel);
    if (chown(path, FOREIGN, FOREIGN) < 0 || chmod(path, 0600) < 0)
        abort();
    snprintf(path, sizeof path, "%s/rings/" PT__HOLDS_PREFIX "%u", fz_dir(), self);
    if (chmod(path, 0600) < 0)
        abort();

    int live[2] = {hold_owners(self), hold_owners(FOREIGN)};
    struct attacker a = {.fd = {open_table(self), open_table(FOREIGN)}, .orig = {table, foreign}};
    a.map = mmap(NULL, PT__HOLDS_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, a.fd[0], 0);
    if (a.map == MAP_FAILED)
        abort();
    plan(&a, seed, slots, n);
    pthread_t th;
    if (pthread_create(&th, NULL, attack, &a) != 0)
        abort();
    /* again until the attack went round twice (the thread may start late), at most 20 times */
    for (int i = 0; i < 20 && (i == 0 || a.applied < 2ull * a.nops); i++)
        read_all();
    a.stop = 1;
    pthread_join(th, NULL);
    if (getenv("PT_FUZZ_VERBOSE"))
        fprintf(stderr,
                "fuzz_holds_race: %u entries, %u rewrites planned, %llu made; the witness "
                "announced %llu holds, mirrored %llu, refused %llu tables\n",
                n, a.nops, (unsigned long long)a.applied, (unsigned long long)seen.holds,
                (unsigned long long)seen.mirrored, (unsigned long long)seen.refused);
    memset(&seen, 0, sizeof seen);
    munmap(a.map, PT__HOLDS_FILE_SIZE);
    for (int k = 0; k < 2; k++) {
        close(a.fd[k]);
        close(live[k]);
    }
    return 0;
}

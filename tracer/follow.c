/* follow.c — reads a trace directory while it is written, and a rotated one as one trace
 * (design: include/proftrace/follow.h).
 *
 * Streams by name. A thread buffer's stream has the same file name in every chunk
 * ("<ring base>_<buffer>"); that name is the stream's key, and one reader source (tracer/source.c)
 * reads it from its oldest file on, chained to the next chunk's file when one ends, then from the
 * ring while the ring is there. The top-level stream files of a trace that is not rotated are
 * chunk 0, so both layouts are read the same way. A stream is looked for in a ring first: a ring
 * listed is read with its stream files; a stream file whose ring is there but was not listed yet
 * waits for the next poll, so no stream is ever read twice.
 *
 * Reading only what is new. A source that had nothing more stays parked until the next poll,
 * which resumes it where it stopped (a ring packet still being filled is read again past what it
 * gave). Closed chunks are listed once more after they close (and again while a stream file in
 * one waits for its ring), then never again: every stream in them is read from then on
 * (pt_follow_chunk_read). Only the newest chunk and rings/ are listed on each poll, and each
 * ring's claim counts are read to find the buffers threads took since (a stream that is not read
 * would let the horizon pass its events).
 *
 * Order. Events come out merged by time up to the caller's horizon. A stream that runs dry while
 * they do is read again at once (its writer may have committed more since its packet was read:
 * anything older than the horizon is committed by now, unless its writer is in the middle of a
 * record, which the ring shows: such a stream holds the horizon at its last event for a while).
 * An event that still comes out behind a newer one was written that long after its time; the
 * longest such delay is kept (pt_follow_late) for the caller to move its horizon back.
 *
 * Memory: a packet per stream that has one to give, a name per stream whose files are still in
 * the directory (a finished stream keeps only its name, until its chunks are dropped). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proftrace/escape.h"
#include "proftrace/follow.h"
#include "proftrace/ring.h"
#include "tracer/chunks.h"
#include "tracer/ctf.h"
#include "tracer/internal.h"
#include "tracer/source.h"

#define PT__MAX_RING_BUFS 4096     /* a ring's thread buffers at most (pt__ring_check) */
#define IN_FLIGHT_NS 1000000000ull /* a record being written holds the horizon so long at most */

struct fchunk {
    uint32_t num;  /* 0: the top-level files of a trace that is not rotated */
    uint64_t seen; /* pt_now() when first seen */
    int final;     /* listed after it was closed: nothing new can come */
    int refused;   /* its metadata is another event table's: its streams are not read */
    int gone;      /* dropped by rotation */
};

struct fring {
    char *name; /* "x.ring" */
    char *base; /* "x" */
    uint8_t *adopted;
    unsigned nbufs;
    int want_adopt, listed, refused;
};

struct fstream {
    struct pt_follow *f;
    char *key;
    uint32_t index;    /* what its events carry in ev->stream */
    struct pt__src *s; /* NULL: not found yet, or finished */
    uint32_t chunk;    /* the chunk of the stream file it reads */
    int in_heap, parked, finished;
    int have_fed, have_start;
    struct pt__src_pos fed, start;
};

struct pt_follow {
    char *dir;
    int dirfd;
    uid_t owner;
    struct pt__files *files;
    pt_trace_diag_fn diag;
    void *diag_arg;
    struct fchunk *chunks; /* oldest first */
    size_t nchunks;
    int rotated;
    int settled; /* the last poll found every stream there was (pt_follow_settled) */
    struct fring **rings;
    size_t nrings;
    struct fstream **byidx; /* by stream index */
    uint32_t nstreams, capstreams;
    struct fstream **map; /* by key: open addressing, power-of-two size */
    size_t mapcap, maplen;
    struct fstream **heap;
    size_t nheap;
    struct fstream *advance;
    struct pt_trace_stats st;
    uint64_t hold;   /* the horizon stops here: a writer was in the middle of a record after it */
    uint64_t polled; /* pt_now() of the last poll */
    uint64_t late;   /* the longest an event came after the horizon had passed it (ns) */
    uint64_t given;  /* the newest time given so far */
    int64_t rt_offset;
    int rt_known;
    uint32_t *pids; /* distinct pids of process events: open addressing, 0 is empty */
    size_t pidcap;
};

/* ---- diagnostics ---------------------------------------------------------------------------- */

static void fdiag(void *arg, const char *raw)
{
    struct pt_follow *f = arg;
    const char *msg = pt_esc(raw);
    f->st.damaged++;
    if (f->diag)
        f->diag(f->diag_arg, msg);
    else
        fprintf(stderr, "proftrace: %s\n", msg);
}

/* ---- streams by key -------------------------------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int map_put(struct pt_follow *f, struct fstream *e)
{
    if (2 * (f->maplen + 1) > f->mapcap) {
        size_t nc = f->mapcap ? 2 * f->mapcap : 256;
        struct fstream **n = calloc(nc, sizeof *n);
        if (!n)
            return -ENOMEM;
        for (size_t i = 0; i < f->mapcap; i++)
            if (f->map[i])
                for (size_t j = hash_str(f->map[i]->key) & (nc - 1);; j = (j + 1) & (nc - 1))
                    if (!n[j]) {
                        n[j] = f->map[i];
                        break;
                    }
        free(f->map);
        f->map = n;
        f->mapcap = nc;
    }
    for (size_t j = hash_str(e->key) & (f->mapcap - 1);; j = (j + 1) & (f->mapcap - 1))
        if (!f->map[j]) {
            f->map[j] = e;
            f->maplen++;
            return 0;
        }
}

static struct fstream *map_get(const struct pt_follow *f, const char *key)
{
    if (!f->mapcap)
        return NULL;
    for (size_t j = hash_str(key) & (f->mapcap - 1);; j = (j + 1) & (f->mapcap - 1)) {
        if (!f->map[j])
            return NULL;
        if (!strcmp(f->map[j]->key, key))
            return f->map[j];
    }
}

/* The stream of `key`, made (without a source) when new; NULL when out of memory. */
static struct fstream *stream_of(struct pt_follow *f, const char *key)
{
    struct fstream *e = map_get(f, key);
    if (e)
        return e;
    if (f->nstreams == f->capstreams) { /* the heap holds each stream once at most */
        uint32_t nc = f->capstreams ? 2 * f->capstreams : 64;
        struct fstream **n = realloc(f->byidx, nc * sizeof *n), **h;
        if (!n)
            return NULL;
        f->byidx = n;
        if (!(h = realloc(f->heap, nc * sizeof *h)))
            return NULL;
        f->heap = h;
        f->capstreams = nc;
    }
    e = calloc(1, sizeof *e);
    if (!e || !(e->key = strdup(key)) || map_put(f, e) < 0) {
        if (e)
            free(e->key);
        free(e);
        return NULL;
    }
    e->f = f;
    e->index = f->nstreams;
    f->byidx[f->nstreams++] = e;
    return e;
}

/* ---- the merge ------------------------------------------------------------------------------- */

static int less(const struct fstream *a, const struct fstream *b)
{
    if (a->s->head.ts != b->s->head.ts)
        return a->s->head.ts < b->s->head.ts;
    return a->index < b->index;
}

static void heap_swap(struct pt_follow *f, size_t i, size_t j)
{
    struct fstream *x = f->heap[i];
    f->heap[i] = f->heap[j];
    f->heap[j] = x;
}

static void heap_push(struct pt_follow *f, struct fstream *e)
{
    size_t i = f->nheap++;
    f->heap[i] = e;
    e->in_heap = 1;
    while (i > 0 && less(f->heap[i], f->heap[(i - 1) / 2])) {
        heap_swap(f, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static struct fstream *heap_pop(struct pt_follow *f)
{
    struct fstream *top = f->heap[0];
    f->heap[0] = f->heap[--f->nheap];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < f->nheap && less(f->heap[l], f->heap[m]))
            m = l;
        if (r < f->nheap && less(f->heap[r], f->heap[m]))
            m = r;
        if (m == i)
            break;
        heap_swap(f, i, m);
        i = m;
    }
    top->in_heap = 0;
    return top;
}

/* ---- chunks ---------------------------------------------------------------------------------- */

/* "chunks/000042/" (num 0: ""), the prefix of a chunk's files relative to the trace directory. */
static void chunk_prefix(uint32_t num, char *buf, size_t len)
{
    if (num)
        snprintf(buf, len, "chunks/%06" PRIu32 "/", num);
    else
        buf[0] = 0;
}

static struct fchunk *chunk_find(struct pt_follow *f, uint32_t num)
{
    for (size_t i = 0; i < f->nchunks; i++)
        if (f->chunks[i].num == num)
            return &f->chunks[i];
    return NULL;
}

/* A chunk's metadata: its event table (streams of another table are not read) and clock offset. */
static void chunk_metadata(struct pt_follow *f, struct fchunk *c)
{
    char name[64], msg[4400], *text;
    uint64_t hash = 0;
    int64_t off = 0;
    int have = 0;
    chunk_prefix(c->num, name, sizeof name);
    strcat(name, "metadata");
    int rc = pt__ctf_metadata_read(f->dirfd, name, &text);
    if (rc == -ENOENT)
        return;
    if (rc < 0) {
        snprintf(msg, sizeof msg, "%s/%s: %s", f->dir, name,
                 rc == -EFBIG ? "larger than 1 MiB: not proftrace's metadata, not read"
                              : pt_trace_file_error(rc));
        fdiag(f, msg);
        return;
    }
    int found = pt__ctf_metadata_parse(text, &hash, &off, &have);
    free(text);
    if (found == 1 && hash != pt__table_hash()) {
        snprintf(msg, sizeof msg,
                 "%s/%s: written by a different event table: table hash %016" PRIx64
                 ", this reader's is %016" PRIx64 "; its stream files are not read",
                 f->dir, name, hash, pt__table_hash());
        fdiag(f, msg);
        c->refused = 1;
    }
    if (have && !f->rt_known) {
        f->rt_offset = off;
        f->rt_known = 1;
    }
}

/* The chunks there now: new ones are added (seen now), dropped ones marked gone. */
static int refresh_chunks(struct pt_follow *f, uint64_t now)
{
    uint32_t *nums = NULL;
    int n = pt_chunks_list(f->dir, &nums);
    if (n < 0)
        return n;
    struct stat st;
    int rotated = fstatat(f->dirfd, "chunks", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    if (!f->nchunks || (rotated && !f->rotated)) {
        /* the top-level files first: a trace that is not rotated, or written before it was */
        if (!f->nchunks) {
            f->chunks = calloc(1, sizeof *f->chunks);
            if (!f->chunks) {
                free(nums);
                return -ENOMEM;
            }
            f->chunks[0] = (struct fchunk){.num = 0, .seen = now};
            f->nchunks = 1;
            chunk_metadata(f, &f->chunks[0]);
        }
    }
    f->rotated = rotated;
    for (size_t i = 0; i < f->nchunks; i++) {
        if (!f->chunks[i].num || f->chunks[i].gone)
            continue;
        int there = 0;
        for (int k = 0; k < n && !there; k++)
            there = nums[k] == f->chunks[i].num;
        f->chunks[i].gone = !there;
    }
    for (int k = 0; k < n; k++) {
        if (chunk_find(f, nums[k]))
            continue;
        if (f->nchunks && nums[k] < f->chunks[f->nchunks - 1].num)
            continue; /* older than one already read: not ours to read now */
        struct fchunk *g = realloc(f->chunks, (f->nchunks + 1) * sizeof *g);
        if (!g) {
            free(nums);
            return -ENOMEM;
        }
        f->chunks = g;
        f->chunks[f->nchunks] = (struct fchunk){.num = nums[k], .seen = now};
        chunk_metadata(f, &f->chunks[f->nchunks]);
        f->nchunks++;
    }
    free(nums);
    return 0;
}

/* Is there a chunk newer than those refresh_chunks listed? The collector may have begun it, and
 * finished a ring into it, after the listing and before rings/ was read: that ring's stream is
 * then in neither. */
static int chunk_came(struct pt_follow *f)
{
    uint32_t *nums = NULL;
    int n = f->rotated ? pt_chunks_list(f->dir, &nums) : 0;
    int came = n > 0 && (!f->nchunks || nums[n - 1] > f->chunks[f->nchunks - 1].num);
    free(nums);
    return came;
}

/* Does chunk c hold stream file `key`? Its name relative to the trace directory into name. */
static int chunk_has(struct pt_follow *f, const struct fchunk *c, const char *key, char *name,
                     size_t len)
{
    struct stat st;
    chunk_prefix(c->num, name, len);
    size_t used = strlen(name);
    if (snprintf(name + used, len - used, "%s", key) >= (int)(len - used))
        return 0;
    return !c->gone && !c->refused && fstatat(f->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISREG(st.st_mode);
}

/* The source of e read its stream file to the end: does the stream go on in a newer chunk? */
static int chain(void *arg, struct pt__src *s)
{
    struct fstream *e = arg;
    struct pt_follow *f = e->f;
    char name[512];
    for (size_t i = 0; i < f->nchunks; i++) {
        const struct fchunk *c = &f->chunks[i];
        if (c->num <= e->chunk || !chunk_has(f, c, e->key, name, sizeof name))
            continue;
        if (pt__src_set_file(s, f->files, name) < 0)
            return 0;
        e->chunk = c->num;
        return 1;
    }
    return 0;
}

/* ---- sources --------------------------------------------------------------------------------- */

/* Source s reads stream e from now on: where it starts, how it goes on, and its first event. */
static int adopt(struct pt_follow *f, struct fstream *e, struct pt__src *s, uint32_t chunk)
{
    e->s = s;
    e->chunk = chunk;
    s->index = e->index;

    pt__src_chain(s, chain, e);
    if (e->have_start)
        pt__src_seek(s, &e->start);
    f->st.streams++;
    if (!f->rt_known && s->rt_offset) {
        f->rt_offset = s->rt_offset;
        f->rt_known = 1;
    }
    if (pt__src_next(s) > 0)
        heap_push(f, e);
    else
        e->parked = 1;
    return 0;
}

/* A ring's buffers not read yet become sources: each reads its stream's oldest file, then the
 * ring. */
static void adopt_ring(struct pt_follow *f, struct fring *r, uint64_t now)
{
    char name[600];
    struct pt__src **ss = NULL;
    unsigned nss = 0;
    snprintf(name, sizeof name, "rings/%s", r->name);
    r->want_adopt = 0;
    (void)now;
    int rc = pt__src_open_ring(f->files, f->dir, name, f->owner, 1, fdiag, f, &ss, &nss);
    if (rc < 0) {
        if (rc != -ENOENT && rc != -ENOMEM)
            r->refused = 1; /* said why: not looked at again */
        return;
    }
    for (unsigned i = 0; i < nss; i++) {
        struct pt__src *s = ss[i];
        if (s->buf >= r->nbufs) {
            uint8_t *a = realloc(r->adopted, s->buf + 1);
            if (!a) {
                pt__src_free(s);
                continue;
            }
            memset(a + r->nbufs, 0, s->buf + 1 - r->nbufs);
            r->adopted = a;
            r->nbufs = s->buf + 1;
        }
        char key[300];
        snprintf(key, sizeof key, PT__STREAM_FMT, r->base, s->buf);
        struct fstream *e = r->adopted[s->buf] ? NULL : stream_of(f, key);
        if (!e || e->s || e->finished) {
            pt__src_free(s);
            continue;
        }
        r->adopted[s->buf] = 1;
        /* its oldest stream file, else where the collector will write the next one */
        uint32_t chunk = f->chunks[f->nchunks - 1].num;
        for (size_t k = 0; k < f->nchunks; k++)
            if (chunk_has(f, &f->chunks[k], key, name, sizeof name)) {
                chunk = f->chunks[k].num;
                break;
            }
        chunk_prefix(chunk, name, sizeof name);
        strncat(name, key, sizeof name - strlen(name) - 1);
        if (pt__src_set_file(s, f->files, name) < 0) {
            pt__src_free(s);
            continue;
        }
        adopt(f, e, s, chunk);
    }
    free(ss);
}

static struct fring *ring_find(struct pt_follow *f, const char *base, size_t len)
{
    for (size_t i = 0; i < f->nrings; i++)
        if (strlen(f->rings[i]->base) == len && !strncmp(f->rings[i]->base, base, len))
            return f->rings[i];
    return NULL;
}

static void ring_free(struct fring *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->base);
    free(r->adopted);
    free(r);
}

/* rings/: new rings are noted, rings that are gone forgotten (their sources read on in the stream
 * files). */
static void scan_rings(struct pt_follow *f)
{
    int fd = openat(f->dirfd, "rings", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        for (size_t i = 0; i < f->nrings; i++)
            ring_free(f->rings[i]);
        f->nrings = 0;
        return;
    }
    for (size_t i = 0; i < f->nrings; i++)
        f->rings[i]->listed = 0;
    for (struct dirent *de; (de = readdir(d));) {
        size_t n = strlen(de->d_name);
        if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".ring"))
            continue;
        struct fring *r = ring_find(f, de->d_name, n - 5);
        if (r) {
            r->listed = 1;
            continue;
        }
        struct fring **g = realloc(f->rings, (f->nrings + 1) * sizeof *g);
        if (!g)
            break;
        f->rings = g;
        r = calloc(1, sizeof *r);
        if (!r || !(r->name = strdup(de->d_name)) || !(r->base = strndup(de->d_name, n - 5))) {
            ring_free(r);
            break;
        }
        r->listed = 1;
        r->want_adopt = 1;
        f->rings[f->nrings++] = r;
    }
    closedir(d);
    for (size_t i = 0; i < f->nrings;) {
        struct fring *r = f->rings[i];
        if (!r->listed) {
            ring_free(r);
            f->rings[i] = f->rings[--f->nrings];
            continue;
        }
        i++;
    }
}

/* Has a thread claimed a buffer of ring r that no source reads yet? A buffer must be read from
 * the moment it is used: the horizon passes only what every stream has been read up to. */
static int ring_grew(struct pt_follow *f, struct fring *r)
{
    char name[600];
    uint8_t used[PT__MAX_RING_BUFS];
    snprintf(name, sizeof name, "rings/%s", r->name);
    int n = pt__src_ring_used(f->files, name, used, PT__MAX_RING_BUFS);
    for (int i = 0; i < n; i++)
        if (used[i] && ((unsigned)i >= r->nbufs || !r->adopted[i]))
            return 1;
    return 0;
}

/* Rings new or with buffers used since they were read: all of them (`wanted_only` 0), or those
 * whose stream files showed such a buffer. */
static void adopt_rings(struct pt_follow *f, uint64_t now, int wanted_only)
{
    for (size_t i = 0; i < f->nrings; i++) {
        struct fring *r = f->rings[i];
        if (!r->refused && (r->want_adopt || (!wanted_only && ring_grew(f, r))))
            adopt_ring(f, r, now);
    }
}

static int is_stream_name(const char *name)
{
    return name[0] != '.' && strcmp(name, "metadata") && strcmp(name, "rings") &&
           strcmp(name, "chunks");
}

/* A chunk's stream files that no stream reads yet: those of a ring being read make the ring look
 * at its unused buffers; those of a ring there but not listed wait for the next poll; the others
 * (their process finished, their ring gone) are read alone, and so is the collector's stream of
 * a process (`<ring>_p`, written whole once: read on as it grows while the ring is there). Returns
 * how many were left for a later poll: the chunk is not read whole until none is (its ring may be
 * gone by then: the file is then read alone). */
static int scan_chunk(struct pt_follow *f, struct fchunk *c)
{
    int left = 0;
    char prefix[64], name[600];
    chunk_prefix(c->num, prefix, sizeof prefix);
    int fd =
        openat(f->dirfd, c->num ? prefix : ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    for (struct dirent *de; (de = readdir(d));) {
        const char *key = de->d_name;
        struct stat st;
        const struct fstream *known = map_get(f, key);
        if (!is_stream_name(key) || (known && (known->s || known->finished)))
            continue;
        snprintf(name, sizeof name, "%s%s", prefix, key);
        if (fstatat(f->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
            continue;
        const char *us = strrchr(key, '_');
        if (us && us[1] >= '0' && us[1] <= '9') { /* a thread buffer's (the process's is alone) */
            struct fring *r = ring_find(f, key, (size_t)(us - key));
            char ring[600];
            snprintf(ring, sizeof ring, "rings/%.*s.ring", (int)(us - key), key);
            int there = fstatat(f->dirfd, ring, &st, AT_SYMLINK_NOFOLLOW) == 0;
            if (r && (r->refused || there)) {
                r->want_adopt = 1;
                left += !r->refused; /* read with its ring */
                continue;
            }
            if (there) {
                left++; /* its ring appeared after rings/ was listed: read with it next time */
                continue;
            }
            /* its ring was listed, and finished since: the file has everything, read alone */
        }
        struct fstream *e = stream_of(f, key);
        struct pt__src *s = NULL;
        if (!e || pt__src_open_file(f->files, f->dir, name, fdiag, f, &s) < 0)
            continue;
        adopt(f, e, s, c->num);
    }
    closedir(d);
    return left;
}

/* Streams whose files are all in dropped chunks are forgotten; so are their names. */
static void forget_dropped(struct pt_follow *f)
{
    uint32_t oldest = UINT32_MAX;
    size_t keep = 0;
    for (size_t i = 0; i < f->nchunks; i++)
        if (!f->chunks[i].gone && f->chunks[i].num && f->chunks[i].num < oldest)
            oldest = f->chunks[i].num;
    for (size_t i = 0; i < f->nchunks; i++)
        if (!f->chunks[i].gone)
            f->chunks[keep++] = f->chunks[i];
    if (keep == f->nchunks)
        return;
    f->nchunks = keep;
    for (uint32_t i = 0; i < f->nstreams; i++) {
        struct fstream *e = f->byidx[i];
        if (e && e->finished && !e->s && e->chunk && e->chunk < oldest) {
            free(e->key);
            free(e);
            f->byidx[i] = NULL;
        }
    }
    free(f->map); /* made again from those left (no tombstones in an open-addressing table) */
    f->map = NULL;
    f->mapcap = f->maplen = 0;
    for (uint32_t i = 0; i < f->nstreams; i++)
        if (f->byidx[i] && map_put(f, f->byidx[i]) < 0)
            break; /* out of memory: a name not found again is read as a new stream */
}

/* ---- public ---------------------------------------------------------------------------------- */

int pt_follow_open(const char *dir, pt_trace_diag_fn diag, void *diag_arg, struct pt_follow **out)
{
    char msg[4400];
    struct stat st;
    struct pt_follow *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
    f->diag = diag;
    f->diag_arg = diag_arg;
    f->dirfd = -1;
    f->hold = UINT64_MAX;
    if (!(f->dir = strdup(dir))) {
        free(f);
        return -ENOMEM;
    }
    f->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (f->dirfd < 0) {
        int rc = -errno;
        snprintf(msg, sizeof msg, "%s: %s", dir,
                 rc == -ENOTDIR ? "not a directory" : strerror(-rc));
        fdiag(f, msg);
        pt_follow_close(f);
        return rc;
    }
    f->owner = fstat(f->dirfd, &st) == 0 ? st.st_uid : geteuid();
    int fd = dup(f->dirfd);
    if (fd < 0 || !(f->files = pt__files_new(fd))) {
        pt_follow_close(f);
        return -ENOMEM;
    }
    *out = f;
    return 0;
}

int pt_follow_poll(struct pt_follow *f)
{
    uint64_t now = f->polled = pt_now();
    int rc = refresh_chunks(f, now);
    if (rc < 0)
        return rc;
    scan_rings(f);
    adopt_rings(f, now, 0);
    int left = 0;
    for (size_t i = 0; i < f->nchunks; i++) {
        struct fchunk *c = &f->chunks[i];
        if (c->final || c->gone || c->refused)
            continue;
        int newest = i + 1 == f->nchunks && (c->num || !f->rotated);
        int n = scan_chunk(f, c);
        c->final = !newest && !n;
        left += n;
    }
    adopt_rings(f, now, 1); /* rings whose stream files showed buffers not read yet */
    f->settled = !left && !chunk_came(f);
    for (uint32_t i = 0; i < f->nstreams; i++) {
        struct fstream *e = f->byidx[i];
        if (!e || !e->s || !e->parked || e == f->advance)
            continue;
        pt__src_resume(e->s);
        if (pt__src_next(e->s) > 0) {
            e->parked = 0;
            heap_push(f, e);
        } else if (pt__src_finished(e->s) && !chain(e, e->s)) {
            pt__src_free(e->s); /* its ring is gone and its last file read: nothing can come */
            e->s = NULL;
            e->parked = 0;
            e->finished = 1;
        }
    }
    forget_dropped(f);
    /* A stream whose writer was writing a record when it was read holds the horizon at its last
     * event (the record will be as late or later), unless it has been writing it for too long (a
     * writer killed in the middle of a record never finishes it). */
    f->hold = UINT64_MAX;
    for (uint32_t i = 0; i < f->nstreams; i++) {
        const struct fstream *e = f->byidx[i];
        if (e && e->s && e->parked && e->s->in_flight && e->s->clock + IN_FLIGHT_NS > now &&
            e->s->clock < f->hold)
            f->hold = e->s->clock;
    }
    return 0;
}

static void note_pid(struct pt_follow *f, uint32_t pid)
{
    if (!pid)
        return;
    if (2 * (f->st.processes + 1) > f->pidcap) {
        size_t nc = f->pidcap ? 2 * f->pidcap : 256;
        uint32_t *n = calloc(nc, sizeof *n);
        if (!n)
            return;
        for (size_t i = 0; i < f->pidcap; i++)
            if (f->pids[i])
                for (size_t j = f->pids[i] * 2654435761u & (nc - 1);; j = (j + 1) & (nc - 1))
                    if (!n[j]) {
                        n[j] = f->pids[i];
                        break;
                    }
        free(f->pids);
        f->pids = n;
        f->pidcap = nc;
    }
    for (size_t j = pid * 2654435761u & (f->pidcap - 1);; j = (j + 1) & (f->pidcap - 1)) {
        if (f->pids[j] == pid)
            return;
        if (!f->pids[j]) {
            f->pids[j] = pid;
            f->st.processes++;
            return;
        }
    }
}

static const struct pt_event *next_upto(struct pt_follow *f, uint64_t horizon, int hold);

const struct pt_event *pt_follow_next(struct pt_follow *f, uint64_t horizon)
{
    return next_upto(f, horizon, 1);
}

const struct pt_event *pt_follow_next_through(struct pt_follow *f, uint64_t ts)
{
    return next_upto(f, ts, 0);
}

static const struct pt_event *next_upto(struct pt_follow *f, uint64_t horizon, int hold)
{
    if (f->advance) {
        struct fstream *e = f->advance;
        f->advance = NULL;
        /* A stream that ran dry is looked at again at once: what its writer committed since its
         * packet was read may be older than the horizon. Only what is written after this can be
         * newer (the horizon is behind the poll). */
        if (pt__src_next(e->s) > 0) {
            heap_push(f, e);
        } else {
            pt__src_resume(e->s);
            if (pt__src_next(e->s) > 0) {
                heap_push(f, e);
            } else {
                e->parked = 1;
                if (e->s->in_flight && e->s->clock < f->hold &&
                    e->s->clock + IN_FLIGHT_NS > f->polled)
                    f->hold = e->s->clock;
            }
        }
    }
    if (hold && horizon != UINT64_MAX && horizon > f->hold)
        horizon = f->hold;
    if (!f->nheap || f->heap[0]->s->head.ts > horizon)
        return NULL;
    struct fstream *e = heap_pop(f);
    const struct pt_event *ev = &e->s->head;
    f->advance = e;
    if (ev->ts < f->given && f->polled > ev->ts && f->polled - ev->ts > f->late)
        f->late = f->polled - ev->ts; /* written that long after its time: see pt_follow_late */
    if (ev->ts > f->given)
        f->given = ev->ts;
    e->have_fed = pt__src_tell(e->s, &e->fed) == 0;
    if (!f->st.events || ev->ts < f->st.ts_first)
        f->st.ts_first = ev->ts;
    if (ev->ts > f->st.ts_last)
        f->st.ts_last = ev->ts;
    f->st.events++;
    if (ev->id == PT_EV_lost && ev->nfields)
        f->st.lost += ev->field[0].u;
    if (ev->id == PT_EV_process)
        note_pid(f, ev->pid);
    return ev;
}

const char *pt_follow_stream_key(const struct pt_follow *f, uint32_t stream)
{
    return stream < f->nstreams && f->byidx[stream] ? f->byidx[stream]->key : NULL;
}

int pt_follow_positions(const struct pt_follow *f,
                        int (*fn)(void *arg, uint32_t stream, const char *key,
                                  const struct pt_stream_pos *pos),
                        void *arg)
{
    for (uint32_t i = 0; i < f->nstreams; i++) {
        const struct fstream *e = f->byidx[i];
        const struct pt__src_pos *p = e && e->have_fed     ? &e->fed
                                      : e && e->have_start ? &e->start
                                                           : NULL;
        if (!p)
            continue;
        struct pt_stream_pos pos = {p->seq, p->pos, p->clock, p->disc, p->tid};
        int rc = fn(arg, i, e->key, &pos);
        if (rc)
            return rc;
    }
    return 0;
}

int pt_follow_start_at(struct pt_follow *f, const char *key, const struct pt_stream_pos *pos)
{
    struct fstream *e = stream_of(f, key);
    if (!e)
        return -ENOMEM;
    e->start = (struct pt__src_pos){pos->seq, pos->pos, pos->clock, pos->disc, pos->tid};
    e->have_start = 1;
    if (e->s)
        pt__src_seek(e->s, &e->start);
    return 0;
}

uint32_t pt_follow_stream_index(struct pt_follow *f, const char *key)
{
    struct fstream *e = stream_of(f, key);
    return e ? e->index : UINT32_MAX;
}

void pt_follow_stats(const struct pt_follow *f, struct pt_trace_stats *out)
{
    *out = f->st;
}

int64_t pt_follow_realtime_offset(const struct pt_follow *f)
{
    return f->rt_offset;
}

void pt_follow_rotation(const struct pt_follow *f, struct pt_rotation *out)
{
    pt_rotation_read(f->dir, out);
}

uint64_t pt_follow_late(const struct pt_follow *f)
{
    return f->late;
}

int pt_follow_settled(const struct pt_follow *f)
{
    return f->settled;
}

int pt_follow_chunk_read(const struct pt_follow *f, uint32_t chunk)
{
    const struct fchunk *c = chunk_find((struct pt_follow *)f, chunk);
    return c && (c->final || c->refused);
}

uint64_t pt_follow_chunk_seen(const struct pt_follow *f, uint32_t chunk)
{
    for (size_t i = 0; i < f->nchunks; i++)
        if (f->chunks[i].num == chunk)
            return f->chunks[i].seen;
    return 0;
}

void pt_follow_close(struct pt_follow *f)
{
    if (!f)
        return;
    for (uint32_t i = 0; i < f->nstreams; i++)
        if (f->byidx[i]) {
            pt__src_free(f->byidx[i]->s);
            free(f->byidx[i]->key);
            free(f->byidx[i]);
        }
    for (size_t i = 0; i < f->nrings; i++)
        ring_free(f->rings[i]);
    free(f->rings);
    free(f->byidx);
    free(f->map);
    free(f->heap);
    free(f->chunks);
    free(f->pids);
    pt__files_free(f->files);
    if (f->dirfd >= 0)
        close(f->dirfd);
    free(f->dir);
    free(f);
}

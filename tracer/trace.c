/* trace.c — the reader: every event of a trace directory (CTF stream files and undrained rings),
 * merged by time across streams with a heap, one packet of memory per stream and a bounded number
 * of files open (tracer/files.c), whatever the number of streams. */
#define _GNU_SOURCE
#include <dirent.h>
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

#include "proftrace/escape.h"
#include "proftrace/follow.h"
#include "proftrace/trace.h"
#include "tracer/ctf.h"
#include "tracer/internal.h"
#include "tracer/source.h"

/* Stream files of finished processes are read many packets at a time, up to READ_AHEAD_MAX bytes
 * (a window that stays in the CPU's cache while it is decoded), with READ_AHEAD_TOTAL bytes for all
 * of them: a trace of many streams reads a packet at a time, as the memory of one packet each. */
#define READ_AHEAD_MAX (256u << 10)
#define READ_AHEAD_MIN (64u << 10)
#define READ_AHEAD_TOTAL (64u << 20)

struct pt_trace {
    char *dir;
    struct pt__files *files; /* every file of the trace, a bounded number open at once */
    pt_trace_diag_fn diag;
    void *diag_arg;
    struct pt__src **src; /* all sources */
    unsigned nsrc;
    struct pt__src **heap; /* sources with a head event, min-heap by (ts, index) */
    unsigned nheap;
    int advance;            /* the head on top of the heap was returned: advance it first */
    struct pt__src *second; /* the least of the top's children, NULL when it has none */
    struct pt_trace_stats st;
    int64_t rt_offset;
    int rt_known;
    uint32_t *pids; /* distinct (pid) of process events, for stats */
    size_t npids, cap_pids;
    struct pt_follow *follow; /* a rotated trace: its chunks are read as one (follow.c) */
};

/* A problem of the input. Its file names come from the directory, whoever wrote it: escaped. */
static void tdiag(void *arg, const char *raw)
{
    struct pt_trace *t = arg;
    const char *msg = pt_esc(raw);
    t->st.damaged++;
    if (t->diag)
        t->diag(t->diag_arg, msg);
    else
        fprintf(stderr, "proftrace: %s\n", msg);
}

static int src_less(const struct pt__src *a, const struct pt__src *b)
{
    if (a->head.ts != b->head.ts)
        return a->head.ts < b->head.ts;
    return a->index < b->index;
}

/* Move the source at heap index i down to its place. */
static void heap_down(struct pt_trace *t, unsigned i)
{
    struct pt__src *x = t->heap[i];
    for (;;) {
        unsigned l = 2 * i + 1, m = l;
        if (l >= t->nheap)
            break;
        if (l + 1 < t->nheap && src_less(t->heap[l + 1], t->heap[l]))
            m = l + 1;
        if (!src_less(t->heap[m], x))
            break;
        t->heap[i] = t->heap[m];
        i = m;
    }
    t->heap[i] = x;
}

static void heap_push(struct pt_trace *t, struct pt__src *s)
{
    unsigned i = t->nheap++;
    while (i > 0) {
        unsigned p = (i - 1) / 2;
        if (!src_less(s, t->heap[p]))
            break;
        t->heap[i] = t->heap[p];
        i = p;
    }
    t->heap[i] = s;
}

/* The top of the heap advanced (or ended, alive 0): its place, and the runner-up's. */
static __attribute__((noinline)) void heap_top_moved(struct pt_trace *t, int alive)
{
    if (!alive)
        t->heap[0] = t->heap[--t->nheap];
    if (t->nheap > 1)
        heap_down(t, 0);
    t->second = NULL;
    if (t->nheap > 1)
        t->second = t->nheap > 2 && src_less(t->heap[2], t->heap[1]) ? t->heap[2] : t->heap[1];
}

static int add_src(struct pt_trace *t, struct pt__src *s)
{
    struct pt__src **n = realloc(t->src, (t->nsrc + 1) * sizeof *n);
    if (!n)
        return -ENOMEM;
    t->src = n;
    s->index = t->nsrc;
    t->src[t->nsrc++] = s;
    return 0;
}

static int is_stream_name(const char *name)
{
    return name[0] != '.' && strcmp(name, "metadata") && strcmp(name, "rings");
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The metadata's table hash (stream files of another build's tables are refused as a whole; the
 * rings carry their own hash and are checked one by one) and clock offset. Returns 1 when the
 * stream files can be read. */
static int read_metadata(struct pt_trace *t, int dirfd, int *has_metadata)
{
    char *text, msg[4352];
    uint64_t hash = 0;
    int rc = pt__ctf_metadata_read(dirfd, "metadata", &text);
    *has_metadata = rc != -ENOENT;
    if (rc == -ENOENT)
        return 1;
    if (rc < 0) {
        snprintf(msg, sizeof msg, "%s/metadata: %s", t->dir,
                 rc == -EFBIG ? "larger than 1 MiB: not proftrace's metadata, not read"
                              : pt_trace_file_error(rc));
        tdiag(t, msg);
        return 1;
    }
    int found = pt__ctf_metadata_parse(text, &hash, &t->rt_offset, &t->rt_known);
    free(text);
    if (found == 1 && hash != pt__table_hash()) {
        snprintf(msg, sizeof msg,
                 "%s/metadata: written by a different event table: table hash %016" PRIx64
                 ", this reader's is %016" PRIx64 "; its stream files are not read",
                 t->dir, hash, pt__table_hash());
        tdiag(t, msg);
        return 0;
    }
    return 1;
}

/* Every undrained ring: each used buffer becomes a source that reads its stream file, then the
 * ring. Their stream file names go to *names (sorted) so the listing of stream files skips them.
 * Returns 1 when rings/ exists, or a negative errno. */
static int open_rings(struct pt_trace *t, int dirfd, int streams, char ***names, size_t *nnames)
{
    struct stat dst;
    uid_t owner = fstat(dirfd, &dst) == 0 ? dst.st_uid : geteuid();
    int rfd = openat(dirfd, "rings", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = rfd >= 0 ? fdopendir(rfd) : NULL;
    size_t cap = 0;
    int rc = 1;
    if (!d) {
        if (rfd >= 0)
            close(rfd);
        return 0;
    }
    for (struct dirent *de; (de = readdir(d));) {
        size_t n = strlen(de->d_name);
        if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".ring"))
            continue;
        char name[300];
        struct pt__src **ss = NULL;
        unsigned nss = 0;
        snprintf(name, sizeof name, "rings/%s", de->d_name);
        if (pt__src_open_ring(t->files, t->dir, name, owner, streams, tdiag, t, &ss, &nss) < 0)
            continue; /* said why; or gone since listed: its stream files hold everything */
        for (unsigned i = 0; i < nss && rc > 0; i++) {
            const char *sn = pt__src_stream_name(ss[i]);
            if (sn && *nnames == cap) {
                cap = cap ? 2 * cap : 64;
                char **g = realloc(*names, cap * sizeof *g);
                if (!g)
                    rc = -ENOMEM;
                else
                    *names = g;
            }
            if (rc > 0 && sn)
                (*names)[(*nnames)++] = (char *)sn;
            if (rc > 0 && (rc = add_src(t, ss[i])) == 0)
                rc = 1;
            if (rc < 0)
                for (unsigned j = i; j < nss; j++)
                    pt__src_free(ss[j]);
        }
        free(ss);
        if (rc < 0)
            break;
    }
    closedir(d);
    if (*nnames)
        qsort(*names, *nnames, sizeof **names, by_name);
    return rc;
}

/* The stream files no ring source reads: those of finished processes. Returns whether the
 * directory holds any stream file, or a negative errno. */
static int open_streams(struct pt_trace *t, int dirfd, int streams, char **names, size_t nnames)
{
    char msg[4352];
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    int found = 0, rc = 0;
    if (!d) {
        rc = -errno;
        if (fd >= 0)
            close(fd);
        snprintf(msg, sizeof msg, "%s: %s", t->dir, strerror(-rc));
        tdiag(t, msg);
        return rc;
    }
    for (struct dirent *de; (de = readdir(d));) {
        const char *name = de->d_name;
        struct stat st;
        if (!is_stream_name(name))
            continue;
        found = 1;
        if (!streams)
            continue;
        if (nnames && bsearch(&name, names, nnames, sizeof *names, by_name))
            continue; /* read by its ring's source */
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
            continue; /* not a stream: a directory a user put there */
        struct pt__src *s = NULL;
        if (pt__src_open_file(t->files, t->dir, name, tdiag, t, &s) == 0 &&
            (rc = add_src(t, s)) < 0) {
            pt__src_free(s);
            break;
        }
    }
    closedir(d);
    return rc < 0 ? rc : found;
}

int64_t pt_trace_realtime_offset(const struct pt_trace *t)
{
    if (t->follow)
        return pt_follow_realtime_offset(t->follow);
    return t->rt_offset;
}

/* A rotated trace (DIR/chunks/): the follower reads its chunks and rings as one trace, once. */
static int open_rotated(struct pt_trace *t)
{
    int rc = pt_follow_open(t->dir, t->diag, t->diag_arg, &t->follow);
    if (rc == 0)
        rc = pt_follow_poll(t->follow);
    return rc;
}

int pt_trace_open(const char *dir, pt_trace_diag_fn diag, void *diag_arg, struct pt_trace **out)
{
    struct pt_trace *t = calloc(1, sizeof *t);
    char msg[4352];
    char **names = NULL;
    size_t nnames = 0;
    int rc = 0, has_metadata = 0;

    if (!t)
        return -ENOMEM;
    t->diag = diag;
    t->diag_arg = diag_arg;
    t->dir = strdup(dir);
    if (!t->dir) {
        rc = -ENOMEM;
        goto fail;
    }
    /* Every file is opened relative to this descriptor: the directory cannot be swapped under us.
     */
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        rc = -errno;
        snprintf(msg, sizeof msg, "%s: %s", dir,
                 rc == -ENOTDIR ? "not a directory" : strerror(-rc));
        tdiag(t, msg);
        goto fail;
    }
    struct stat cst;
    if (fstatat(dirfd, "chunks", &cst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(cst.st_mode)) {
        close(dirfd);
        if ((rc = open_rotated(t)) < 0)
            goto fail;
        *out = t;
        return 0;
    }
    if (!(t->files = pt__files_new(dirfd))) {
        rc = -ENOMEM;
        goto fail;
    }
    int streams = read_metadata(t, dirfd, &has_metadata);
    /* Rings first: a ring listed is read with its stream files; a ring gone by then was finished,
     * so the stream files listed afterwards are whole. */
    int have_rings = open_rings(t, dirfd, streams, &names, &nnames);
    if (have_rings < 0) {
        rc = have_rings;
        goto fail;
    }
    int have_streams = open_streams(t, dirfd, streams, names, nnames);
    if (have_streams < 0) {
        rc = have_streams;
        goto fail;
    }
    free(names);
    names = NULL;
    for (unsigned i = 0; i < t->nsrc && !t->rt_known; i++)
        if (t->src[i]->rt_offset) {
            t->rt_offset = t->src[i]->rt_offset;
            t->rt_known = 1;
        }
    if (!have_streams && !have_rings && !has_metadata) {
        snprintf(msg, sizeof msg, "%s: not a proftrace trace directory (no metadata, no streams, "
                                  "no rings/)",
                 dir);
        tdiag(t, msg);
        rc = -ENOENT;
        goto fail;
    }
    t->heap = calloc(t->nsrc + 1, sizeof *t->heap);
    if (!t->heap) {
        rc = -ENOMEM;
        goto fail;
    }
    t->st.streams = t->nsrc;
    size_t ahead = READ_AHEAD_TOTAL / (t->nsrc ? t->nsrc : 1);
    for (unsigned i = 0; i < t->nsrc; i++) {
        if (ahead >= READ_AHEAD_MIN)
            pt__src_read_ahead(t->src[i], ahead < READ_AHEAD_MAX ? ahead : READ_AHEAD_MAX);
        if (pt__src_next(t->src[i]) > 0)
            heap_push(t, t->src[i]);
    }
    heap_top_moved(t, 1); /* finds the runner-up */
    *out = t;
    return 0;
fail:
    free(names);
    pt_trace_close(t);
    return rc;
}

static void note_pid(struct pt_trace *t, uint32_t pid)
{
    for (size_t i = 0; i < t->npids; i++)
        if (t->pids[i] == pid)
            return;
    if (t->npids == t->cap_pids) {
        size_t nc = t->cap_pids ? 2 * t->cap_pids : 64;
        uint32_t *n = realloc(t->pids, nc * sizeof *n);
        if (!n)
            return;
        t->pids = n;
        t->cap_pids = nc;
    }
    t->pids[t->npids++] = pid;
    t->st.processes = t->npids;
}

const struct pt_event *pt_trace_next_ref(struct pt_trace *t)
{
    if (t->follow)
        return pt_follow_next(t->follow, UINT64_MAX);
    /* The source whose head was returned last is still on top: advanced, it mostly stays there
     * (a thread's events come in runs), which one comparison with the runner-up tells. */
    if (t->advance) {
        struct pt__src *top = t->heap[0];
        t->advance = 0;
        int alive = pt__src_next(top) > 0;
        if (!alive || (t->second && !src_less(top, t->second)))
            heap_top_moved(t, alive);
    }
    if (!t->nheap)
        return NULL;
    const struct pt_event *ev = &t->heap[0]->head;
    t->advance = 1;
    if (!t->st.events || ev->ts < t->st.ts_first)
        t->st.ts_first = ev->ts;
    if (ev->ts > t->st.ts_last)
        t->st.ts_last = ev->ts;
    t->st.events++;
    if (ev->id < PT_EV_CALL_FIRST) { /* calls, most events, need no more */
        if (ev->id == PT_EV_lost && ev->nfields)
            t->st.lost += ev->field[0].u;
        if (ev->id == PT_EV_process)
            note_pid(t, ev->pid);
    }
    return ev;
}

int pt_trace_next(struct pt_trace *t, struct pt_event *ev)
{
    const struct pt_event *e = pt_trace_next_ref(t);
    if (!e)
        return 0;
    pt_event_copy(ev, e);
    return 1;
}

void pt_trace_stats(const struct pt_trace *t, struct pt_trace_stats *out)
{
    if (t->follow) {
        pt_follow_stats(t->follow, out);
        return;
    }
    *out = t->st;
}

void pt_trace_close(struct pt_trace *t)
{
    if (!t)
        return;
    pt_follow_close(t->follow);
    for (unsigned i = 0; i < t->nsrc; i++)
        pt__src_free(t->src[i]);
    free(t->src);
    free(t->heap);
    free(t->pids);
    pt__files_free(t->files);
    free(t->dir);
    free(t);
}

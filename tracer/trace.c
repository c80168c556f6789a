/* trace.c — the reader: every event of a trace directory (CTF stream files and undrained rings),
 * merged by time across streams with a heap, one packet of memory per stream. */
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

#include "proftrace/trace.h"
#include "tracer/ctf.h"
#include "tracer/internal.h"
#include "tracer/perm.h"
#include "tracer/source.h"

struct pt_trace {
    char *dir;
    pt_trace_diag_fn diag;
    void *diag_arg;
    struct pt__src **src; /* all sources */
    unsigned nsrc;
    struct pt__src **heap; /* sources with a head event, min-heap by (ts, index) */
    unsigned nheap;
    struct pt__src *advance; /* source whose head was returned last: advance it first */
    struct pt_trace_stats st;
    int64_t rt_offset;
    int rt_known;
    uint32_t *pids; /* distinct (pid) of process events, for stats */
    size_t npids, cap_pids;
};

static void tdiag(void *arg, const char *msg)
{
    struct pt_trace *t = arg;
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

static void heap_push(struct pt_trace *t, struct pt__src *s)
{
    unsigned i = t->nheap++;
    t->heap[i] = s;
    while (i > 0) {
        unsigned p = (i - 1) / 2;
        if (!src_less(t->heap[i], t->heap[p]))
            break;
        struct pt__src *x = t->heap[i];
        t->heap[i] = t->heap[p];
        t->heap[p] = x;
        i = p;
    }
}

static struct pt__src *heap_pop(struct pt_trace *t)
{
    struct pt__src *top = t->heap[0];
    t->heap[0] = t->heap[--t->nheap];
    unsigned i = 0;
    for (;;) {
        unsigned l = 2 * i + 1, r = l + 1, m = i;
        if (l < t->nheap && src_less(t->heap[l], t->heap[m]))
            m = l;
        if (r < t->nheap && src_less(t->heap[r], t->heap[m]))
            m = r;
        if (m == i)
            break;
        struct pt__src *x = t->heap[i];
        t->heap[i] = t->heap[m];
        t->heap[m] = x;
        i = m;
    }
    return top;
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

static uint64_t file_limit(void *arg, const char *path)
{
    struct pt_trace *t = arg;
    for (unsigned i = 0; i < t->nsrc; i++)
        if (t->src[i]->fd >= 0 && t->src[i]->path && !strcmp(t->src[i]->path, path))
            return t->src[i]->fsize;
    return UINT64_MAX;
}

static int is_stream_name(const char *name)
{
    return name[0] != '.' && strcmp(name, "metadata") && strcmp(name, "rings");
}

/* The clock offset of the CTF metadata: offset_s and offset of the monotonic clock. */
static void read_clock_offset(struct pt_trace *t, const char *path)
{
    char buf[2048];
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    long long s = 0, ns = 0;
    int got = 0, in_clock = 0;
    while (fgets(buf, sizeof buf, f)) {
        if (!strncmp(buf, "clock {", 7))
            in_clock = 1;
        else if (in_clock && buf[0] == '}')
            break;
        else if (in_clock && sscanf(buf, " offset_s = %lld;", &s) == 1)
            got |= 1;
        else if (in_clock && sscanf(buf, " offset = %lld;", &ns) == 1)
            got |= 2;
    }
    fclose(f);
    if (got) {
        t->rt_offset = s * 1000000000ll + ns;
        t->rt_known = 1;
    }
}

int64_t pt_trace_realtime_offset(const struct pt_trace *t)
{
    return t->rt_offset;
}

int pt_trace_open(const char *dir, pt_trace_diag_fn diag, void *diag_arg, struct pt_trace **out)
{
    struct pt_trace *t = calloc(1, sizeof *t);
    char path[4096], msg[4352];
    struct stat st;
    int rc = 0, found = 0;
    DIR *d = NULL;

    if (!t)
        return -ENOMEM;
    t->diag = diag;
    t->diag_arg = diag_arg;
    t->dir = strdup(dir);
    if (!t->dir) {
        rc = -ENOMEM;
        goto fail;
    }
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        rc = stat(dir, &st) < 0 ? -errno : -ENOTDIR;
        snprintf(msg, sizeof msg, "%s: %s", dir,
                 rc == -ENOTDIR ? "not a directory" : strerror(-rc));
        tdiag(t, msg);
        goto fail;
    }
    /* Stream files decode only with the event tables their metadata names: another build's are
     * refused as a whole (the rings beside them carry their own hash and are checked one by one). */
    int foreign_streams = 0;
    uint64_t mhash = 0;
    snprintf(path, sizeof path, "%s/metadata", dir);
    if (pt__ctf_metadata_hash(path, &mhash) == 1 && mhash != pt__table_hash()) {
        foreign_streams = 1;
        snprintf(msg, sizeof msg,
                 "%s: written by a different event table: table hash %016" PRIx64
                 ", this reader's is %016" PRIx64 "; its stream files are not read",
                 path, mhash, pt__table_hash());
        tdiag(t, msg);
    }
    /* CTF stream files first: rings consult them to skip what was already drained. */
    d = opendir(dir);
    if (!d) {
        rc = -errno;
        snprintf(msg, sizeof msg, "%s: %s", dir, strerror(errno));
        tdiag(t, msg);
        goto fail;
    }
    int has_metadata = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (!strcmp(de->d_name, "metadata"))
            has_metadata = 1;
        if (!is_stream_name(de->d_name))
            continue;
        if (foreign_streams) {
            found = 1;
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        struct pt__src *s = NULL;
        if (pt__src_open_file(path, de->d_name, tdiag, t, &s) == 0 && s) {
            if ((rc = add_src(t, s)) < 0)
                goto fail;
            found = 1;
        }
    }
    closedir(d);
    d = NULL;
    snprintf(path, sizeof path, "%s/rings", dir);
    d = opendir(path);
    if (d) {
        found |= 2;
        for (struct dirent *de; (de = readdir(d));) {
            size_t n = strlen(de->d_name);
            if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".ring"))
                continue;
            struct pt__src **ss = NULL;
            unsigned nss = 0;
            snprintf(path, sizeof path, "%s/rings/%s", dir, de->d_name);
            struct stat rst, dst;
            char why[200];
            if (lstat(path, &rst) == 0 &&
                !pt_perm_ring_allowed(&rst, stat(dir, &dst) == 0 ? dst.st_uid : geteuid(), why,
                                      sizeof why)) {
                snprintf(msg, sizeof msg, "%.4000s: %s", path, why);
                tdiag(t, msg);
                continue;
            }
            if (pt__src_open_ring(path, dir, tdiag, t, file_limit, t, &ss, &nss) == 0) {
                for (unsigned i = 0; i < nss; i++)
                    if ((rc = add_src(t, ss[i])) < 0) {
                        for (unsigned j = i; j < nss; j++)
                            pt__src_free(ss[j]);
                        free(ss);
                        goto fail;
                    }
                free(ss);
            }
        }
        closedir(d);
        d = NULL;
    }
    if (has_metadata) {
        snprintf(path, sizeof path, "%s/metadata", dir);
        read_clock_offset(t, path);
    }
    for (unsigned i = 0; i < t->nsrc && !t->rt_known; i++)
        if (t->src[i]->rt_offset) {
            t->rt_offset = t->src[i]->rt_offset;
            t->rt_known = 1;
        }
    if (!found && !has_metadata) {
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
    for (unsigned i = 0; i < t->nsrc; i++)
        if (pt__src_next(t->src[i]) > 0)
            heap_push(t, t->src[i]);
    *out = t;
    return 0;
fail:
    if (d)
        closedir(d);
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
    if (t->advance) {
        if (pt__src_next(t->advance) > 0)
            heap_push(t, t->advance);
        t->advance = NULL;
    }
    if (!t->nheap)
        return NULL;
    struct pt__src *s = heap_pop(t);
    const struct pt_event *ev = &s->head;
    t->advance = s;
    if (!t->st.events || ev->ts < t->st.ts_first)
        t->st.ts_first = ev->ts;
    if (ev->ts > t->st.ts_last)
        t->st.ts_last = ev->ts;
    t->st.events++;
    if (ev->id == PT_EV_lost && ev->nfields)
        t->st.lost += ev->field[0].u;
    if (ev->id == PT_EV_process)
        note_pid(t, ev->pid);
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
    *out = t->st;
}

void pt_trace_close(struct pt_trace *t)
{
    if (!t)
        return;
    for (unsigned i = 0; i < t->nsrc; i++)
        pt__src_free(t->src[i]);
    free(t->src);
    free(t->heap);
    free(t->pids);
    free(t->dir);
    free(t);
}

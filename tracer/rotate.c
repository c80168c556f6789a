/* rotate.c — the collector's side of rotation: the chunk stream files go into, the switch to the
 * next, the oldest dropped under the caps with what they held counted (design: rotate.h, layout:
 * docs/rotation.md). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proftrace/follow.h"
#include "proftrace/ring.h"
#include "proftrace/trace.h"
#include "tracer/chunks.h"
#include "tracer/ctf.h"
#include "tracer/internal.h"
#include "tracer/perm.h"
#include "tracer/rotate.h"

struct pt__rotate {
    char *dir;     /* the path files are reached by */
    char *shown;   /* the path messages name */
    char name[32]; /* "chunks/000042" */
    char shown_path[4300];
    struct pt__rotate_opts o;
    pt_trace_diag_fn diag;
    void *diag_arg;
    uint32_t cur;
    char path[4300];
    uint64_t chunk_size, chunk_age;
    uint64_t bytes, events, first_ts, last_ts; /* of the chunk being written */
    uint64_t opened;                           /* pt_now() when it was started (or resumed) */
    uint32_t waiting;                          /* the chunk whose checkpoint the cap waits for */
    int said_waiting;
};

static void rdiag(struct pt__rotate *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rdiag(struct pt__rotate *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pt_trace_diag_vsay(r->diag, r->diag_arg, fmt, ap);
    va_end(ap);
}

uint64_t pt__rotate_chunk_size(uint64_t max_size)
{
    uint64_t s = max_size / 8;
    return s < (256u << 10) ? 256u << 10 : s;
}

/* Bytes of the files of chunk `num` (its streams, metadata, summary and checkpoint). */
static uint64_t chunk_bytes(struct pt__rotate *r, uint32_t num)
{
    char path[4300];
    uint64_t total = 0;
    pt_chunk_path(path, sizeof path, r->dir, num, NULL);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    for (struct dirent *de; (de = readdir(d));) {
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_size;
    }
    closedir(d);
    return total;
}

static void quiet(void *arg, const char *what)
{
    (void)arg, (void)what;
}

/* The events a chunk holds, read back (a chunk resumed after a crash has no summary). */
static void count_chunk(struct pt__rotate *r)
{
    struct pt_trace *t;
    const struct pt_event *ev;
    if (pt_trace_open(r->path, quiet, NULL, &t) < 0)
        return;
    while ((ev = pt_trace_next_ref(t))) {
        if (!r->events++ || ev->ts < r->first_ts)
            r->first_ts = ev->ts;
        if (ev->ts > r->last_ts)
            r->last_ts = ev->ts;
    }
    pt_trace_close(t);
}

/* Make chunk `num` a trace: its directory and metadata. */
static int make_chunk(struct pt__rotate *r, uint32_t num)
{
    char chunks[4300];
    snprintf(chunks, sizeof chunks, "%s/chunks", r->dir);
    pt_chunk_path(r->path, sizeof r->path, r->dir, num, NULL);
    int rc = pt_perm_mkdir(chunks, PT_PERM_TRACE_DIR, NULL);
    if (rc == 0)
        rc = pt_perm_mkdir(r->path, PT_PERM_TRACE_DIR, NULL);
    if (rc == 0)
        rc = pt__ctf_write_metadata(r->path, pt__realtime_offset());
    if (rc < 0) {
        rdiag(r, "%s/chunks/%06" PRIu32 ": %s", r->shown, num, strerror(-rc));
        return rc;
    }
    r->cur = num;
    snprintf(r->name, sizeof r->name, "chunks/%06" PRIu32, num);
    pt_chunk_path(r->shown_path, sizeof r->shown_path, r->shown, num, NULL);
    r->bytes = chunk_bytes(r, num);
    r->events = r->first_ts = r->last_ts = 0;
    r->opened = pt_now();
    return 0;
}

/* Stream files at the top of the directory: a trace written without rotation. */
static int flat_trace(const char *dir)
{
    DIR *d = opendir(dir);
    int found = 0;
    if (!d)
        return 0;
    for (struct dirent *de; (de = readdir(d)) && !found;) {
        struct stat st;
        found = de->d_name[0] != '.' && strcmp(de->d_name, "metadata") &&
                fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISREG(st.st_mode) && strchr(de->d_name, '_');
    }
    closedir(d);
    return found;
}

int pt__rotate_open(const char *dir, const char *shown, const struct pt__rotate_opts *o,
                    pt_trace_diag_fn diag, void *diag_arg, struct pt__rotate **out)
{
    struct pt__rotate *r = calloc(1, sizeof *r);
    uint32_t *nums = NULL;
    if (!r || !(r->dir = strdup(dir)) || !(r->shown = strdup(shown))) {
        if (r)
            free(r->dir);
        free(r);
        return -ENOMEM;
    }
    r->o = *o;
    r->diag = diag;
    r->diag_arg = diag_arg;
    r->chunk_size = o->max_size ? pt__rotate_chunk_size(o->max_size) : UINT64_MAX;
    r->chunk_age = o->max_age_ns ? o->max_age_ns / 8 : UINT64_MAX;
    int n = pt_chunks_list(dir, &nums), rc = 0;
    if (n < 0) {
        rdiag(r, "%s/chunks: %s", shown, strerror(-n));
        rc = n;
    } else if (n == 0 && flat_trace(dir)) {
        rdiag(r,
              "%s holds a trace written without --max-size/--max-age: a rotated trace needs a "
              "new directory",
              shown);
        rc = -EEXIST;
    } else if (n == 0) {
        rc = make_chunk(r, 1);
    } else { /* go on in the newest chunk, counting what it holds already */
        struct pt__chunk_summary s;
        rc = make_chunk(r, nums[n - 1]);
        char path[4400];
        pt_chunk_path(path, sizeof path, dir, r->cur, PT_CHUNK_SUMMARY_FILE);
        if (rc == 0 && pt__chunk_summary_read(path, &s) == 0) {
            r->events = s.events;
            r->first_ts = s.first_ts;
            r->last_ts = s.last_ts;
        } else if (rc == 0) {
            count_chunk(r);
        }
    }
    free(nums);
    if (rc < 0) {
        free(r->dir);
        free(r->shown);
        free(r);
        return rc;
    }
    *out = r;
    return 0;
}

const char *pt__rotate_path(const struct pt__rotate *r)
{
    return r->shown_path;
}

const char *pt__rotate_name(const struct pt__rotate *r)
{
    return r->name;
}

uint32_t pt__rotate_chunk(const struct pt__rotate *r)
{
    return r->cur;
}

void pt__rotate_wrote(struct pt__rotate *r, uint64_t bytes, uint64_t events, uint64_t ts_begin,
                      uint64_t ts_end)
{
    r->bytes += bytes;
    if (!events)
        return;
    if (!r->events || ts_begin < r->first_ts)
        r->first_ts = ts_begin;
    if (ts_end > r->last_ts)
        r->last_ts = ts_end;
    r->events += events;
}

uint64_t pt__rotate_room(const struct pt__rotate *r)
{
    return r->bytes < r->chunk_size ? r->chunk_size - r->bytes : 0;
}

int pt__rotate_due(struct pt__rotate *r, uint64_t now)
{
    if (r->waiting) { /* the cap waits for a checkpoint: has it come? */
        char cp[4400];
        struct stat st;
        pt_chunk_path(cp, sizeof cp, r->dir, r->waiting, PT_CHECKPOINT_FILE);
        if (lstat(cp, &st) == 0) {
            r->waiting = 0;
            pt__rotate_trim(r);
        }
    }
    return r->bytes >= r->chunk_size || (r->events && now - r->opened >= r->chunk_age);
}

static void write_summary(struct pt__rotate *r)
{
    char path[4400];
    struct pt__chunk_summary s = {r->events, r->first_ts, r->last_ts};
    pt_chunk_path(path, sizeof path, r->dir, r->cur, PT_CHUNK_SUMMARY_FILE);
    int rc = pt__chunk_summary_write(path, &s);
    if (rc < 0)
        rdiag(r, "%s/" PT_CHUNK_SUMMARY_FILE ": %s", r->shown_path, strerror(-rc));
}

/* Remove chunk `num` and add what it held to the dropped totals. */
static int drop(struct pt__rotate *r, uint32_t num)
{
    char path[4400], ledger[4400];
    struct pt__chunk_summary s;
    struct pt__dropped d;
    pt_chunk_path(path, sizeof path, r->dir, num, PT_CHUNK_SUMMARY_FILE);
    if (pt__chunk_summary_read(path, &s) < 0)
        s = (struct pt__chunk_summary){0};
    snprintf(ledger, sizeof ledger, "%s/chunks/" PT_DROPPED_FILE, r->dir);
    if (pt__dropped_read(ledger, &d) < 0)
        d = (struct pt__dropped){0};
    d.chunks++;
    d.events += s.events;
    if (s.first_ts && (!d.first_ts || s.first_ts < d.first_ts))
        d.first_ts = s.first_ts;
    int rc = pt__dropped_write(ledger, &d);
    if (rc < 0) {
        rdiag(r, "%s/chunks/" PT_DROPPED_FILE ": %s; chunk %06" PRIu32 " kept", r->shown,
              strerror(-rc), num);
        return rc;
    }
    pt_chunk_path(path, sizeof path, r->dir, num, NULL);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *dd = fd >= 0 ? fdopendir(fd) : NULL;
    if (!dd) {
        if (fd >= 0)
            close(fd);
        return -errno;
    }
    for (struct dirent *de; (de = readdir(dd));)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            unlinkat(dirfd(dd), de->d_name, 0);
    closedir(dd);
    if (rmdir(path) < 0) {
        rdiag(r, "%s/chunks/%06" PRIu32 ": %s (something not of proftrace's in it?)", r->shown, num,
              strerror(errno));
        return -errno;
    }
    return 0;
}

/* When the newest data of closed chunk `num` was written (CLOCK_REALTIME ns): its summary's. */
static int64_t chunk_closed_at(struct pt__rotate *r, uint32_t num)
{
    char path[4400];
    struct stat st;
    pt_chunk_path(path, sizeof path, r->dir, num, PT_CHUNK_SUMMARY_FILE);
    if (lstat(path, &st) < 0) {
        pt_chunk_path(path, sizeof path, r->dir, num, NULL);
        if (lstat(path, &st) < 0)
            return 0;
    }
    return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

void pt__rotate_trim(struct pt__rotate *r)
{
    uint32_t *nums = NULL;
    int n = pt_chunks_list(r->dir, &nums);
    uint64_t total = 0, *sizes = n > 0 ? calloc((size_t)n, sizeof *sizes) : NULL;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t real = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    for (int k = 0; sizes && k < n; k++)
        total += sizes[k] = nums[k] == r->cur ? r->bytes : chunk_bytes(r, nums[k]);
    /* room for the chunk being written to grow to a whole chunk */
    uint64_t room = r->o.max_size > r->chunk_size ? r->o.max_size - r->chunk_size : 0;
    r->waiting = 0;
    for (int k = 0; sizes && k + 1 < n && nums[k] != r->cur; k++) {
        int over = r->o.max_size && total - r->bytes > room;
        int old = r->o.max_age_ns && real - chunk_closed_at(r, nums[k]) > (int64_t)r->o.max_age_ns;
        if (!over && !old)
            break;
        char cp[4400];
        struct stat st;
        pt_chunk_path(cp, sizeof cp, r->dir, nums[k + 1], PT_CHECKPOINT_FILE);
        if (lstat(cp, &st) < 0) {
            if (!r->said_waiting)
                rdiag(r,
                      "%s: chunk %06" PRIu32 " kept past the cap until the analyzer has "
                      "written the checkpoint of chunk %06" PRIu32 " (what it holds must not "
                      "be lost; said once)",
                      r->shown, nums[k], nums[k + 1]);
            r->said_waiting = 1;
            r->waiting = nums[k + 1];
            break;
        }
        if (drop(r, nums[k]) < 0)
            break;
        total -= sizes[k];
    }
    free(sizes);
    free(nums);
}

int pt__rotate_next(struct pt__rotate *r)
{
    write_summary(r);
    int rc = make_chunk(r, r->cur + 1);
    if (rc == 0)
        pt__rotate_trim(r);
    return rc;
}

void pt__rotate_close(struct pt__rotate *r)
{
    if (!r)
        return;
    write_summary(r);
    pt__rotate_trim(r); /* the checkpoints the analyzer wrote at the end */
    free(r->dir);
    free(r->shown);
    free(r);
}

/* chunks.c — the rotated layout of a trace directory: DIR/chunks/NNNNNN/, one CTF trace each,
 * oldest first by number; a summary file in each chunk the collector closed; the totals of what
 * rotation dropped (docs/rotation.md). The small files are "key value" lines under a first line
 * that names their kind and version, read with every size and number checked. */
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

#include "proftrace/follow.h"
#include "tracer/chunks.h"
#include "tracer/files.h"
#include "tracer/perm.h"

#define SMALL_MAX 4096 /* a summary or the dropped totals: larger is not ours */

int pt_chunk_path(char *buf, size_t len, const char *dir, uint32_t chunk, const char *file)
{
    return snprintf(buf, len, "%s/chunks/%06" PRIu32 "%s%s", dir, chunk, file ? "/" : "",
                    file ? file : "");
}

int pt__chunk_name_parse(const char *name, uint32_t *num)
{
    uint64_t v = 0;
    if (!*name || strlen(name) > 9)
        return 0;
    for (const char *c = name; *c; c++) {
        if (*c < '0' || *c > '9')
            return 0;
        v = v * 10 + (uint64_t)(*c - '0');
    }
    if (!v || v > UINT32_MAX)
        return 0;
    *num = (uint32_t)v;
    return 1;
}

static int by_num(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int pt_chunks_list(const char *dir, uint32_t **out)
{
    char path[4200];
    *out = NULL;
    snprintf(path, sizeof path, "%s/chunks", dir);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    uint32_t *v = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    for (struct dirent *de; (de = readdir(d));) {
        uint32_t num;
        if (!pt__chunk_name_parse(de->d_name, &num))
            continue;
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 16;
            uint32_t *g = realloc(v, nc * sizeof *g);
            if (!g) {
                rc = -ENOMEM;
                break;
            }
            v = g;
            cap = nc;
        }
        v[n++] = num;
    }
    closedir(d);
    if (rc < 0) {
        free(v);
        return rc;
    }
    qsort(v, n, sizeof *v, by_num);
    *out = v;
    return (int)n;
}

/* ---- "key value" files --------------------------------------------------------------------- */

static int small_write(const char *path, const char *text)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    unlink(tmp);
    int fd = pt_perm_open(tmp, O_WRONLY | O_CREAT | O_EXCL);
    if (fd < 0)
        return -errno;
    size_t len = strlen(text);
    int rc = write(fd, text, len) == (ssize_t)len ? 0 : -EIO;
    if (close(fd) < 0 && !rc)
        rc = -errno;
    if (!rc && rename(tmp, path) < 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}

/* The value of `key` in text ("key value" lines), into *v: 1 found, 0 not, -EINVAL malformed. */
static int small_get(const char *text, const char *key, uint64_t *v)
{
    size_t kl = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        if (strncmp(l, key, kl) || l[kl] != ' ')
            continue;
        char *end;
        errno = 0;
        unsigned long long x = strtoull(l + kl + 1, &end, 10);
        if (errno || end == l + kl + 1 || (*end && *end != '\n'))
            return -EINVAL;
        *v = x;
        return 1;
    }
    return 0;
}

/* The file's text (NUL-terminated, in buf) when its first line is "<kind> 1". 0, or a negative
 * errno: -EPROTO not such a file, -EFBIG larger than ours are. */
static int small_read(const char *path, const char *kind, char *buf, size_t len)
{
    struct stat st;
    int fd = pt__open_regular(AT_FDCWD, path, &st);
    if (fd < 0)
        return fd;
    if ((uint64_t)st.st_size >= len) {
        close(fd);
        return -EFBIG;
    }
    ssize_t n = pread(fd, buf, len - 1, 0);
    close(fd);
    if (n < 0)
        return -errno;
    buf[n] = 0;
    size_t kl = strlen(kind);
    if (strncmp(buf, kind, kl) || strncmp(buf + kl, " 1\n", 3) || memchr(buf, 0, (size_t)n))
        return -EPROTO;
    return 0;
}

int pt__chunk_summary_write(const char *path, const struct pt__chunk_summary *s)
{
    char text[256];
    snprintf(text, sizeof text,
             "proftrace-chunk 1\nevents %" PRIu64 "\nfirst_ts %" PRIu64 "\nlast_ts %" PRIu64 "\n",
             s->events, s->first_ts, s->last_ts);
    return small_write(path, text);
}

int pt__chunk_summary_read(const char *path, struct pt__chunk_summary *s)
{
    char buf[SMALL_MAX];
    int rc = small_read(path, "proftrace-chunk", buf, sizeof buf);
    *s = (struct pt__chunk_summary){0};
    if (rc < 0)
        return rc;
    if (small_get(buf, "events", &s->events) != 1 || small_get(buf, "first_ts", &s->first_ts) < 0 ||
        small_get(buf, "last_ts", &s->last_ts) < 0)
        return -EPROTO;
    return 0;
}

int pt__dropped_write(const char *path, const struct pt__dropped *d)
{
    char text[256];
    snprintf(text, sizeof text,
             "proftrace-dropped 1\nchunks %" PRIu64 "\nevents %" PRIu64 "\nfirst_ts %" PRIu64 "\n",
             d->chunks, d->events, d->first_ts);
    return small_write(path, text);
}

int pt__dropped_read(const char *path, struct pt__dropped *d)
{
    char buf[SMALL_MAX];
    int rc = small_read(path, "proftrace-dropped", buf, sizeof buf);
    *d = (struct pt__dropped){0};
    if (rc < 0)
        return rc;
    if (small_get(buf, "chunks", &d->chunks) != 1 || small_get(buf, "events", &d->events) < 0 ||
        small_get(buf, "first_ts", &d->first_ts) < 0)
        return -EPROTO;
    return 0;
}

int pt_chunk_newest(const char *dir, uint32_t chunk, uint64_t *last_ts)
{
    char path[4400];
    struct pt__chunk_summary s;
    pt_chunk_path(path, sizeof path, dir, chunk, PT_CHUNK_SUMMARY_FILE);
    int rc = pt__chunk_summary_read(path, &s);
    if (rc == 0)
        *last_ts = s.last_ts;
    return rc;
}

void pt_rotation_read(const char *dir, struct pt_rotation *r)
{
    uint32_t *nums = NULL;
    char path[4300];
    struct stat st;
    *r = (struct pt_rotation){0};
    snprintf(path, sizeof path, "%s/chunks", dir);
    if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return;
    r->rotated = 1;
    int n = pt_chunks_list(dir, &nums);
    if (n > 0) {
        r->first_chunk = nums[0];
        r->last_chunk = nums[n - 1];
    }
    free(nums);
    struct pt__dropped d;
    snprintf(path, sizeof path, "%s/chunks/" PT_DROPPED_FILE, dir);
    if (pt__dropped_read(path, &d) == 0) {
        r->dropped_chunks = d.chunks;
        r->dropped_events = d.events;
        r->first_ts = d.first_ts;
    }
    /* Chunks are numbered from 1 and dropped oldest first: what is missing below the oldest was
     * dropped, recorded or not. */
    if (r->first_chunk > 1 && r->dropped_chunks < r->first_chunk - 1u)
        r->dropped_chunks = r->first_chunk - 1u;
}

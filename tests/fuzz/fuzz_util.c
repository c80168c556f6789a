/* fuzz_util.c — scratch trace directories and a full read of them, shared by the fuzz targets. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/analyzer.h"
#include "proftrace/trace.h"
#include "tests/fuzz/fuzz_util.h"

static char fz_path[PATH_MAX];

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)type;
    if (f->level > 0)
        remove(p);
    return 0;
}

void fz_clean(void)
{
    if (fz_path[0])
        nftw(fz_path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void fz_cleanup_at_exit(void)
{
    fz_clean();
    rmdir(fz_path);
}

const char *fz_dir(void)
{
    if (!fz_path[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(fz_path, sizeof fz_path, "%s/ptfuzz.XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(fz_path)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(fz_cleanup_at_exit);
    }
    return fz_path;
}

void fz_write(const char *rel, const uint8_t *data, size_t n)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", fz_dir(), rel);
    for (char *s = path + strlen(fz_path) + 1; (s = strchr(s, '/')); s++) {
        *s = 0;
        if (mkdir(path, 0700) < 0 && errno != EEXIST) {
            perror(path);
            abort();
        }
        *s = '/';
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror(path);
        abort();
    }
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, data + off, n - off);
        if (w <= 0) {
            perror(path);
            abort();
        }
        off += (size_t)w;
    }
    close(fd);
}

static void quiet(void *arg, const char *what)
{
    (void)arg;
    (void)what;
}

uint64_t fz_read_trace(const char *dir, int analyze)
{
    struct pt_trace *t;
    struct pt_event ev;
    char line[8192];
    uint64_t n = 0;
    if (pt_trace_open(dir, quiet, NULL, &t) < 0)
        return 0;
    struct pt_analyzer *a = analyze ? pt_analyzer_new() : NULL;
    while (pt_trace_next(t, &ev) == 1) {
        n++;
        /* Every field must be readable and every string terminated within its length. */
        for (unsigned i = 0; i < ev.nfields && i < PT_MAX_FIELDS; i++)
            if (pt_event_field_wire(&ev, i) == PT_WIRE_STR && ev.field[i].str.s &&
                strlen(ev.field[i].str.s) != ev.field[i].str.len)
                abort();
        pt_event_format(&ev, line, sizeof line);
        if (a)
            pt_analyzer_feed(a, &ev);
    }
    struct pt_trace_stats st;
    pt_trace_stats(t, &st);
    pt_trace_close(t);
    if (a) {
        struct pt_analyzer_input in = {.streams = st.streams, .damaged = st.damaged,
                                       .lost = 0, .dir = dir};
        pt_analyzer_finish(a, &in);
        FILE *null = fopen("/dev/null", "we");
        if (null) {
            struct pt_report_opts o = {.symbolize = 0, .disassemble = 0};
            pt_report_text(null, a, &o);
            pt_report_json(null, a, &o);
            fclose(null);
        }
        pt_analyzer_free(a);
    }
    return n;
}

/* trace_dir.c — trace directories as the commands meet them: told apart from other directories
 * before anything is read or written (perf's habits: a reader says once that a directory holds no
 * trace; record keeps the previous trace as DIR.old and never mixes a trace into other files). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds/trace_dir.h"
#include "tracer/collector.h"

int pt__trace_dir_state(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) < 0)
        return errno == ENOENT ? PT__DIR_ABSENT : -errno;
    if (!S_ISDIR(st.st_mode))
        return PT__DIR_NOT_DIR;
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    int entries = 0, trace = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        entries++;
        if (!strcmp(de->d_name, "metadata") || !strcmp(de->d_name, "rings") ||
            !strcmp(de->d_name, "chunks")) /* a rotated trace */
            trace = 1;
    }
    closedir(d);
    return trace ? PT__DIR_TRACE : entries ? PT__DIR_OTHER : PT__DIR_EMPTY;
}

int pt__trace_dir_check(const char *cmd, const char *dir)
{
    int s = pt__trace_dir_state(dir);
    if (s == PT__DIR_TRACE)
        return 0;
    if (s < 0 || s == PT__DIR_ABSENT)
        fprintf(stderr, "proftrace %s: %s: %s\n", cmd, dir, strerror(s < 0 ? -s : ENOENT));
    else if (s == PT__DIR_NOT_DIR)
        fprintf(stderr, "proftrace %s: %s: not a trace directory (not a directory)\n", cmd, dir);
    else
        fprintf(stderr,
                "proftrace %s: %s: not a proftrace trace directory (neither metadata nor "
                "rings/ in it)\n",
                cmd, dir);
    return 2;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path) < 0 ? -1 : 0;
}

int pt__trace_dir_rotate(const char *cmd, const char *dir)
{
    int s = pt__trace_dir_state(dir);
    if (s < 0) {
        fprintf(stderr, "proftrace %s: %s: %s\n", cmd, dir, strerror(-s));
        return 2;
    }
    if (s == PT__DIR_NOT_DIR || s == PT__DIR_OTHER) {
        fprintf(stderr,
                "proftrace %s: %s %s; a trace would be mixed into it: give -o a new or empty "
                "directory\n",
                cmd, dir,
                s == PT__DIR_NOT_DIR ? "is not a directory" : "is not empty and holds no trace");
        return 2;
    }
    if (s != PT__DIR_TRACE)
        return 0;
    char old[PATH_MAX];
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--; /* "proftrace.data/" keeps its old trace as proftrace.data.old */
    if (snprintf(old, sizeof old, "%.*s.old", (int)n, dir) >= (int)sizeof old) {
        fprintf(stderr, "proftrace %s: %s: %s\n", cmd, dir, strerror(ENAMETOOLONG));
        return 2;
    }
    int os = pt__trace_dir_state(old);
    if (os == PT__DIR_NOT_DIR || os == PT__DIR_OTHER || os < 0) {
        fprintf(stderr,
                "proftrace %s: cannot keep the trace in %s as %s: that exists and holds no trace\n",
                cmd, dir, old);
        return 2;
    }
    /* An older trace goes, as perf's perf.data.old does: one previous trace is kept. */
    if (os != PT__DIR_ABSENT && nftw(old, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0) {
        fprintf(stderr, "proftrace %s: removing the older trace %s: %s\n", cmd, old,
                strerror(errno));
        return 2;
    }
    if (rename(dir, old) < 0) {
        fprintf(stderr, "proftrace %s: keeping the previous trace as %s: %s\n", cmd, old,
                strerror(errno));
        return 2;
    }
    return 0;
}

int pt__trace_dir_usable(const char *cmd, const char *dir)
{
    int s = pt__trace_dir_state(dir);
    if (s < 0) {
        fprintf(stderr, "proftrace %s: %s: %s\n", cmd, dir, strerror(-s));
        return 2;
    }
    if (s == PT__DIR_NOT_DIR || s == PT__DIR_OTHER) {
        fprintf(stderr,
                "proftrace %s: %s %s; a trace would be mixed into it: give -o a new or empty "
                "directory, or a trace to resume\n",
                cmd, dir,
                s == PT__DIR_NOT_DIR ? "is not a directory" : "is not empty and holds no trace");
        return 2;
    }
    return 0;
}

static uint64_t pt__du_total;

static int add_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path, (void)flag, (void)ftw;
    pt__du_total += (uint64_t)st->st_blocks * 512;
    return 0;
}

uint64_t pt__trace_dir_bytes(const char *dir)
{
    pt__du_total = 0;
    if (nftw(dir, add_one, 16, FTW_PHYS) < 0)
        return 0;
    return pt__du_total;
}

void pt__human_bytes(uint64_t n, char *buf, size_t len)
{
    static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    unsigned u = 0;
    while (v >= 1024 && u < 4)
        v /= 1024, u++;
    if (u == 0)
        snprintf(buf, len, "%llu bytes", (unsigned long long)n);
    else
        snprintf(buf, len, v < 10 ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

int pt__trace_incomplete(const char *dir, const struct pt_collector_stats *st, const char *ended,
                         int status)
{
    if (!st->write_error && !st->unwritten)
        return status;
    char how[PATH_MAX + 32] = "";
    if (ended)
        snprintf(how, sizeof how, "; %s exited %d", ended, status);
    fprintf(stderr,
            "proftrace: trace incomplete: writing %s failed (%s); %" PRIu64 " events stay in "
            "%s/rings, where proftrace events and report read them%s\n",
            dir, strerror(st->write_error ? st->write_error : EIO), st->unwritten, dir, how);
    return 125;
}

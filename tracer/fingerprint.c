/* fingerprint.c — a cheap summary of everything written to a trace directory so far, for readers
 * that follow a trace while it grows (`proftrace live`): it changes whenever anything is
 * written. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proftrace/trace.h"
#include "tracer/format.h"

#define FNV_PRIME 1099511628211ull

uint64_t pt_trace_streams_fingerprint(const char *dir)
{
    uint64_t fp = 1469598103934665603ull;
    char path[PATH_MAX];
    struct stat st;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            fp = (fp ^ (uint64_t)st.st_size ^ (uint64_t)st.st_ino) * FNV_PRIME;
    }
    closedir(d);
    return fp;
}

uint64_t pt_trace_fingerprint(const char *dir)
{
    uint64_t fp = pt_trace_streams_fingerprint(dir);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/rings", dir);
    DIR *d = opendir(path);
    if (!d)
        return fp;
    for (struct dirent *de; (de = readdir(d));) {
        size_t n = strlen(de->d_name);
        if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".ring"))
            continue;
        snprintf(path, sizeof path, "%s/rings/%s", dir, de->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;
        struct pt__ring_hdr h;
        /* the header and write positions are only hashed, never trusted: a bad one changes the
         * fingerprint, nothing else */
        if (pread(fd, &h, sizeof h, 0) == (ssize_t)sizeof h &&
            !memcmp(h.magic, PT__RING_MAGIC, 8) && h.nbufs <= 4096) {
            fp = (fp ^ h.instance ^ h.closed) * FNV_PRIME;
            for (uint32_t i = 0; i < h.nbufs; i++) {
                uint64_t wpos = 0;
                off_t off =
                    (off_t)(h.bufs_off + h.tbuf_stride * i + offsetof(struct pt__tbuf_ctl, wpos));
                if (pread(fd, &wpos, sizeof wpos, off) == (ssize_t)sizeof wpos && wpos)
                    fp = (fp ^ wpos ^ i) * FNV_PRIME;
            }
        }
        close(fd);
    }
    closedir(d);
    return fp;
}

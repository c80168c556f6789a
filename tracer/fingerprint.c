/* fingerprint.c — a cheap summary of everything written to a trace directory so far, for readers
 * that follow a trace while it grows (`proftrace live`): it changes whenever anything is
 * written. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proftrace/trace.h"
#include "tracer/format.h"

#define FNV_PRIME 1099511628211ull

/* The directory's entries, read through a copy of dirfd (closed with the DIR). */
static DIR *entries(int dirfd)
{
    int fd = dup(dirfd);
    if (fd < 0)
        return NULL;
    DIR *d = fdopendir(fd);
    if (!d)
        close(fd);
    return d;
}

/* Stream files are looked at where they are (never through a symbolic link), as the readers open
 * them (pt_trace_file_open). */
static uint64_t streams(int dirfd)
{
    uint64_t fp = 1469598103934665603ull;
    struct stat st;
    DIR *d = entries(dirfd);
    if (!d)
        return 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
            fp = (fp ^ (uint64_t)st.st_size ^ (uint64_t)st.st_ino) * FNV_PRIME;
    }
    closedir(d);
    return fp;
}

uint64_t pt_trace_streams_fingerprint(const char *dir)
{
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return 0;
    uint64_t fp = streams(dirfd);
    close(dirfd);
    return fp;
}

/* Every thread buffer's write position in the rings of rings/, each ring opened the way readers
 * open it (pt_trace_file_open: no symbolic link, nothing but a regular file, never blocking). */
static uint64_t rings(int dirfd, uint64_t fp)
{
    int rfd = openat(dirfd, "rings", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (rfd < 0)
        return fp;
    DIR *d = entries(rfd);
    if (!d) {
        close(rfd);
        return fp;
    }
    for (struct dirent *de; (de = readdir(d));) {
        size_t n = strlen(de->d_name);
        if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".ring"))
            continue;
        int fd = pt_trace_file_open(rfd, de->d_name);
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
    close(rfd);
    return fp;
}

uint64_t pt_trace_fingerprint(const char *dir)
{
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return 0;
    uint64_t fp = rings(dirfd, streams(dirfd));
    close(dirfd);
    return fp;
}

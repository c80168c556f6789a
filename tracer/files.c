/* files.c — the files a reader reads: opened relative to the trace directory's descriptor with
 * O_NOFOLLOW | O_NONBLOCK and only when they are regular files (a FIFO, a device or a symbolic
 * link planted in a trace can neither hang a reader nor lead it elsewhere), and kept open only a
 * bounded number at a time: the least recently used is closed and reopened when read again, and a
 * reopened file must still be the one first opened. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "proftrace/trace.h"
#include "tracer/files.h"

struct pt__file {
    struct pt__files *set;
    char *name;
    int refs;
    int fd;    /* -1 while closed */
    int known; /* dev/ino were seen */
    dev_t dev;
    ino_t ino;
    struct pt__file *newer, *older; /* among the open ones, most recently used first */
};

struct pt__files {
    int dirfd;
    unsigned nopen, max;
    struct pt__file *newest, *oldest;
};

int pt__open_regular(int dirfd, const char *name, struct stat *st)
{
    struct stat own;
    if (!st)
        st = &own;
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, st) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return -EINVAL;
    }
    return fd;
}

int pt_trace_file_open(int dirfd, const char *name)
{
    return pt__open_regular(dirfd, name, NULL);
}

const char *pt_trace_file_error(int err)
{
    if (err < 0)
        err = -err;
    switch (err) {
    case ELOOP:
        return "a symbolic link, not followed";
    case EINVAL:
        return "not a regular file (a FIFO, device or directory), not read";
    case ESTALE:
        return "replaced by another file while being read";
    default:
        return strerror(err);
    }
}

struct pt__files *pt__files_new(int dirfd)
{
    struct pt__files *fs = calloc(1, sizeof *fs);
    if (!fs) {
        close(dirfd);
        return NULL;
    }
    struct rlimit rl;
    rlim_t cur = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    fs->max = cur / 4 > 256 ? 256 : cur / 4 < 4 ? 4 : (unsigned)(cur / 4);
    fs->dirfd = dirfd;
    return fs;
}

int pt__files_dirfd(const struct pt__files *fs)
{
    return fs->dirfd;
}

void pt__files_free(struct pt__files *fs)
{
    if (!fs)
        return;
    close(fs->dirfd);
    free(fs);
}

static void unlink_lru(struct pt__file *f)
{
    struct pt__files *fs = f->set;
    if (f->newer)
        f->newer->older = f->older;
    else
        fs->newest = f->older;
    if (f->older)
        f->older->newer = f->newer;
    else
        fs->oldest = f->newer;
    f->newer = f->older = NULL;
}

static void push_newest(struct pt__file *f)
{
    struct pt__files *fs = f->set;
    f->older = fs->newest;
    f->newer = NULL;
    if (fs->newest)
        fs->newest->newer = f;
    fs->newest = f;
    if (!fs->oldest)
        fs->oldest = f;
}

static void close_file(struct pt__file *f)
{
    if (f->fd < 0)
        return;
    unlink_lru(f);
    close(f->fd);
    f->fd = -1;
    f->set->nopen--;
}

struct pt__file *pt__file_new(struct pt__files *fs, const char *name)
{
    struct pt__file *f = calloc(1, sizeof *f);
    if (!f || !(f->name = strdup(name))) {
        free(f);
        return NULL;
    }
    f->set = fs;
    f->refs = 1;
    f->fd = -1;
    return f;
}

struct pt__file *pt__file_ref(struct pt__file *f)
{
    f->refs++;
    return f;
}

void pt__file_put(struct pt__file *f)
{
    if (!f || --f->refs > 0)
        return;
    close_file(f);
    free(f->name);
    free(f);
}

const char *pt__file_name(const struct pt__file *f)
{
    return f->name;
}

int pt__file_dirfd(const struct pt__file *f)
{
    return f->set->dirfd;
}

int pt__file_fd(struct pt__file *f)
{
    struct pt__files *fs = f->set;
    if (f->fd >= 0) {
        if (fs->newest != f) {
            unlink_lru(f);
            push_newest(f);
        }
        return f->fd;
    }
    while (fs->nopen >= fs->max && fs->oldest)
        close_file(fs->oldest);
    struct stat st;
    int fd = pt__open_regular(fs->dirfd, f->name, &st);
    if (fd == -EMFILE || fd == -ENFILE) { /* someone else holds descriptors: make room, retry */
        while (fs->oldest && fd < 0 && (fd == -EMFILE || fd == -ENFILE)) {
            close_file(fs->oldest);
            fd = pt__open_regular(fs->dirfd, f->name, &st);
        }
    }
    if (fd < 0)
        return fd;
    if (f->known && (st.st_dev != f->dev || st.st_ino != f->ino)) {
        close(fd);
        return -ESTALE;
    }
    f->known = 1;
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->fd = fd;
    fs->nopen++;
    push_newest(f);
    return fd;
}

int64_t pt__file_size(struct pt__file *f)
{
    int fd = pt__file_fd(f);
    struct stat st;
    if (fd < 0)
        return fd;
    if (fstat(fd, &st) < 0)
        return -errno;
    return (int64_t)st.st_size;
}

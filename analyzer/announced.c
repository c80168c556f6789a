/* announced.c — the keys of the findings a collection announced, kept in the trace directory
 * (design: announced.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/announced.h"
#include "tracer/perm.h"

#define HEADER "proftrace-announced 1\n"
#define MAX_BYTES (16u << 20) /* a file larger than this is not ours */

static int path_of(const char *dir, char *buf, size_t len)
{
    return snprintf(buf, len, "%s/" PT__ANNOUNCED_FILE, dir) >= (int)len ? -ENAMETOOLONG : 0;
}

int pt__announced_read(const char *dir, int (*fn)(void *arg, const char *key), void *arg)
{
    char path[4200];
    struct stat st;
    int rc = path_of(dir, path, sizeof path);
    if (rc < 0)
        return rc;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_BYTES) {
        close(fd);
        return -EPROTO;
    }
    char *text = malloc((size_t)st.st_size + 1);
    ssize_t n = text ? pread(fd, text, (size_t)st.st_size, 0) : 0;
    rc = !text ? -ENOMEM : n < 0 ? -errno : 0;
    close(fd);
    size_t hlen = strlen(HEADER);
    if (!rc && (size_t)n < hlen)
        rc = strncmp(text, HEADER, (size_t)n) ? -EPROTO : 1; /* made, its header cut short */
    else if (!rc && strncmp(text, HEADER, hlen))
        rc = -EPROTO;
    if (rc) {
        free(text);
        return rc < 0 ? rc : 0;
    }
    text[n] = 0;
    /* each whole line is a key; what follows the last newline was cut short */
    for (char *line = text + hlen, *nl; !rc && (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = 0;
        if (*line)
            rc = fn(arg, line);
    }
    free(text);
    return rc;
}

/* Where the whole lines of the file end: a line cut short (a collector killed while it wrote it)
 * is cut off before the next key is added, so that it never becomes a key with the next one. */
static off_t whole_lines(int fd, off_t size)
{
    char buf[4096];
    for (off_t end = size; end > 0;) {
        size_t n = end < (off_t)sizeof buf ? (size_t)end : sizeof buf;
        if (pread(fd, buf, n, end - (off_t)n) != (ssize_t)n)
            return size; /* not readable: appended to as it is */
        for (size_t i = n; i > 0; i--)
            if (buf[i - 1] == '\n')
                return end - (off_t)n + (off_t)i;
        end -= (off_t)n;
    }
    return 0;
}

int pt__announced_add(const char *dir, const char *key)
{
    char path[4200];
    int rc = path_of(dir, path, sizeof path);
    if (rc < 0)
        return rc;
    if (strchr(key, '\n'))
        return -EINVAL;
    int fd = pt_perm_open(path, O_RDWR | O_APPEND | O_CREAT);
    struct stat st;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > MAX_BYTES) {
        close(fd);
        return -EPROTO;
    }
    char head[sizeof HEADER - 1];
    size_t hn = st.st_size < (off_t)sizeof head ? (size_t)st.st_size : sizeof head;
    if (pread(fd, head, hn, 0) != (ssize_t)hn || memcmp(head, HEADER, hn)) {
        close(fd);
        return -EPROTO; /* not ours: left as it is */
    }
    off_t size = whole_lines(fd, st.st_size);
    if (size < st.st_size && ftruncate(fd, size) < 0)
        size = st.st_size;
    /* the header with the first key: a file is never without it */
    char *line = NULL;
    int len = asprintf(&line, "%s%s\n", size ? "" : HEADER, key);
    if (len < 0) {
        close(fd);
        return -ENOMEM;
    }
    ssize_t w = write(fd, line, (size_t)len);
    rc = w == len ? 0 : w < 0 ? -errno : -ENOSPC;
    free(line);
    close(fd);
    return rc;
}

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
    ssize_t n = text ? pread(fd, text, (size_t)st.st_size, 0) : -1;
    close(fd);
    if (n < 0) {
        free(text);
        return text ? -errno : -ENOMEM;
    }
    text[n] = 0;
    if (strncmp(text, HEADER, strlen(HEADER))) {
        free(text);
        return -EPROTO;
    }
    /* each whole line is a key; what follows the last newline was cut short */
    for (char *line = text + strlen(HEADER), *nl; !rc && (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = 0;
        if (*line)
            rc = fn(arg, line);
    }
    free(text);
    return rc;
}

int pt__announced_add(const char *dir, const char *key)
{
    char path[4200];
    int rc = path_of(dir, path, sizeof path);
    if (rc < 0)
        return rc;
    if (strchr(key, '\n'))
        return -EINVAL;
    int fd = pt_perm_open(path, O_WRONLY | O_APPEND | O_CREAT);
    struct stat st;
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -EPROTO;
    }
    /* the header with the first key: a file is never without it; after a line cut short, a new
     * line (the cut one is no key) */
    char last = '\n';
    if (st.st_size && pread(fd, &last, 1, st.st_size - 1) != 1)
        last = '\n';
    char *line = NULL;
    int len = asprintf(&line, "%s%s%s\n", st.st_size ? "" : HEADER, last == '\n' ? "" : "\n", key);
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

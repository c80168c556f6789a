/* capture.c — physical identity (device, inode) of what a path, a shm name or a descriptor names.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "preload/shim.h"

void pt__ident_at(struct pt__ident *id, int dirfd, const char *path)
{
    struct stat st;
    id->dev = id->ino = 0;
    id->regular = 0;
    /* The link itself: unlink and rename act on it, not on what it points to. */
    if (path && fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        id->regular = S_ISREG(st.st_mode);
    }
}

void pt__ident_shm(struct pt__ident *id, const char *name)
{
    /* glibc keeps POSIX shared memory as files of /dev/shm, leading slashes stripped. */
    char path[PT__STR_MAX + 16];
    id->dev = id->ino = 0;
    id->regular = 0;
    if (!name)
        return;
    while (*name == '/')
        name++;
    size_t n = strnlen(name, PT__STR_MAX);
    if (n == 0 || n >= PT__STR_MAX)
        return;
    memcpy(path, "/dev/shm/", 9);
    memcpy(path + 9, name, n + 1);
    pt__ident_at(id, AT_FDCWD, path);
}

void pt__ident_fd(struct pt__ident *id, int fd)
{
    struct stat st;
    id->dev = id->ino = 0;
    id->regular = 0;
    if (fd >= 0 && fstat(fd, &st) == 0) {
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        id->regular = S_ISREG(st.st_mode);
    }
}

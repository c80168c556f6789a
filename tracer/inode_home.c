/* inode_home.c — where the collector's new files take their inodes: a directory the file system
 * placed away from the trace directory's neighbourhood.
 *
 * Why. ext4 without a journal gives a new file an inode of its directory's block group, and skips
 * one by one every inode of that group freed in the last seconds (minutes while the inode table
 * block is dirty). After a large deletion near the trace directory (the previous trace removed, a
 * build cleaned) every create there walks those thousands: 0.2 ms and more per create, against
 * some 16 µs in a quiet group. The collector creates a stream file for every process it drains,
 * so on a machine that starts many short processes that walk was the largest part of its work.
 *
 * How. A directory made under a parent flagged FS_TOPDIR_FL is placed by ext4's allocator (Orlov)
 * as a top-level directory is: in a group of its choosing among the emptier ones, not next to its
 * parent. The flag is set on the parent only for that mkdir, then put back; the directory is made
 * under a random name and renamed (see pt__mkdir_spread). A file made unnamed
 * (O_TMPFILE) in such a directory takes its inode from that group, and keeps it when linkat gives
 * it its name in the trace directory: the trace looks exactly as before. Where the flag, O_TMPFILE
 * or the link is refused (another file system, an old kernel), the caller creates the file in
 * place as before. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proftrace/ring.h"
#include "tracer/inode_home.h"

int pt__mkdir_spread(int parent, const char *name, mode_t mode)
{
    int flags = 0;
    /* A file system without these flags (tmpfs, for one) answers ENOTTY: a plain mkdir. */
    if (ioctl(parent, FS_IOC_GETFLAGS, &flags) < 0 || (flags & FS_TOPDIR_FL))
        return mkdirat(parent, name, mode);
    int spread = flags | FS_TOPDIR_FL;
    if (ioctl(parent, FS_IOC_SETFLAGS, &spread) < 0)
        return mkdirat(parent, name, mode);
    /* The allocator starts its search at a hash of the name and takes the first of the groups
     * with the fewest directories: under a fixed name every collection would land in the same
     * group, where the last one's files were just freed. So a random name first, then the right
     * one (the directory keeps its inode, hence its group). */
    char tmp[NAME_MAX + 1];
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = pt_now() ^ ((uint64_t)getpid() << 32);
    int n = snprintf(tmp, sizeof tmp, "%s.%016llx.new", name, (unsigned long long)r);
    int made = n > 0 && n < (int)sizeof tmp && mkdirat(parent, tmp, mode) == 0;
    (void)ioctl(parent, FS_IOC_SETFLAGS, &flags); /* the parent as it was */
    if (!made)
        return mkdirat(parent, name, mode);
    if (renameat2(parent, tmp, parent, name, RENAME_NOREPLACE) == 0)
        return 0;
    int e = errno;
    unlinkat(parent, tmp, AT_REMOVEDIR);
    if (e == EEXIST) {
        errno = e;
        return -1;
    }
    return mkdirat(parent, name, mode); /* no RENAME_NOREPLACE here: in place */
}

int pt__create_in_home(int home, int dfd, const char *name, mode_t mode)
{
    if (home < 0) {
        errno = EBADF;
        return -1;
    }
    int fd = openat(home, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    /* The name appears only now, complete (an empty regular file of ours). Through /proc: linkat
     * with AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH. */
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    if (linkat(AT_FDCWD, link, dfd, name, AT_SYMLINK_FOLLOW) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* tracer_inode_home.c — the collector's files made where inodes are cheap (inode_home.c): the
 * directory is made under its own name, with nothing left beside it and the parent's flags as they
 * were, and away from its parent on a large ext4; a file made there appears in the target
 * directory under its name, complete, with one link, and a taken name is refused with nothing
 * made. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "tests/unit/tracer_test.h"
#include "tracer/inode_home.h"

#define EXT4_MAGIC 0xEF53
#define FLEX_INODES 131072 /* inodes of a flex group of 16 groups of 8192, the common layout */

/* Names in directory fd, but "." and "..". */
static int count_names(int fd)
{
    int d = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = d >= 0 ? fdopendir(d) : NULL;
    int n = 0;
    if (!dir)
        return -1;
    for (struct dirent *e; (e = readdir(dir));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(dir);
    return n;
}

int main(void)
{
    char *top = t_mkdtemp("inode-home");
    int dfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(dfd >= 0, "open %s: %s", top, strerror(errno));
    int flags_before = 0, has_flags = ioctl(dfd, FS_IOC_GETFLAGS, &flags_before) == 0;

    /* The directory: made under its name, only it left, the parent's flags untouched. */
    CHECK(pt__mkdir_spread(dfd, "home", 0700) == 0, "mkdir_spread: %s", strerror(errno));
    struct stat st, pst;
    CHECK(fstatat(dfd, "home", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
              (st.st_mode & 0777) == 0700,
          "home is not a private directory");
    CHECK(count_names(dfd) == 1, "%d names beside home", count_names(dfd) - 1);
    int flags_after = 0;
    if (has_flags)
        CHECK(ioctl(dfd, FS_IOC_GETFLAGS, &flags_after) == 0 && flags_after == flags_before,
              "the parent's flags were %#x, now %#x", flags_before, flags_after);
    errno = 0;
    CHECK(pt__mkdir_spread(dfd, "home", 0700) < 0 && errno == EEXIST,
          "a second mkdir_spread of the name: %s", strerror(errno));
    CHECK(count_names(dfd) == 1, "%d names after a refused mkdir_spread", count_names(dfd));

    /* Placement: on a large ext4 that honours the flag, spread directories do not all stay in
     * their parent's flex group, where plain subdirectories go (the point: away from where the
     * parent's neighbours were freed). */
    struct statfs fs;
    if (has_flags && fstatfs(dfd, &fs) == 0 && fs.f_type == EXT4_MAGIC && fs.f_files >= (1u << 22) &&
        fstat(dfd, &pst) == 0) {
        int away = 0;
        for (int i = 0; i < 4; i++) {
            char n[16];
            snprintf(n, sizeof n, "s%d", i);
            CHECK(pt__mkdir_spread(dfd, n, 0700) == 0, "mkdir_spread %s: %s", n, strerror(errno));
            if (fstatat(dfd, n, &st, 0) == 0 &&
                st.st_ino / FLEX_INODES != pst.st_ino / FLEX_INODES)
                away++;
            unlinkat(dfd, n, AT_REMOVEDIR);
        }
        CHECK(away > 0, "4 spread directories all in their parent's flex group (inode %llu)",
              (unsigned long long)pst.st_ino);
    } else {
        printf("note: not a large ext4 here: placement not checked\n");
    }

    /* A file made in home, named in the parent. */
    int home = openat(dfd, "home", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(home >= 0, "open home: %s", strerror(errno));
    int fd = pt__create_in_home(home, dfd, "stream_0", 0600);
    CHECK(fd >= 0, "create_in_home: %s", strerror(errno));
    if (fd >= 0) {
        struct stat fst;
        CHECK(fstat(fd, &fst) == 0 && fstatat(dfd, "stream_0", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                  fst.st_ino == st.st_ino && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
                  st.st_size == 0 && (st.st_mode & 077) == 0 && st.st_uid == geteuid(),
              "stream_0 is not the empty private file of one link made");
        CHECK(pwrite(fd, "abc", 3, 0) == 3, "write: %s", strerror(errno));
        CHECK(fstatat(dfd, "stream_0", &st, 0) == 0 && st.st_size == 3,
              "what was written is not in the named file");
        CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC, "the descriptor is not close-on-exec");
        CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "the descriptor is not read-write");
        close(fd);
    }
    CHECK(count_names(home) == 0, "home holds %d names", count_names(home));

    /* A taken name: refused, nothing made, the file there untouched. */
    errno = 0;
    CHECK(pt__create_in_home(home, dfd, "stream_0", 0600) < 0 && errno == EEXIST,
          "a taken name: %s", strerror(errno));
    CHECK(fstatat(dfd, "stream_0", &st, 0) == 0 && st.st_size == 3, "the file there changed");
    CHECK(count_names(dfd) == 2 && count_names(home) == 0, "names made by a refused create");

    /* No home: refused, nothing made. */
    errno = 0;
    CHECK(pt__create_in_home(-1, dfd, "stream_1", 0600) < 0 && errno == EBADF,
          "no home: %s", strerror(errno));
    CHECK(fstatat(dfd, "stream_1", &st, 0) < 0 && errno == ENOENT, "stream_1 made without home");

    close(home);
    close(dfd);
    t_rmrf(top);
    free(top);
    if (t_failures)
        return 1;
    printf("ok: the directory made apart under its own name, files made there named here\n");
    return 0;
}

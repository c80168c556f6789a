/* hive.c — HKEY_CURRENT_USER: the hive directory of the process's REAL user, opened once.
 *
 * Windows loads HKCU for the process's own account and caches it; a thread that impersonates
 * another account keeps using it (loading the other user's hive takes a separate call). So the
 * hive is chosen from getuid(), never geteuid(), and kept from its first successful use.
 * Layout: $WINSIM_HIVE_ROOT/S-1-5-21-<uid>/ (default root /var/lib/winsim/hives). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "samples/win32/winsim.h"

#define WINSIM_DEFAULT_HIVE_ROOT "/var/lib/winsim/hives"

static pthread_mutex_t hkcu_lock = PTHREAD_MUTEX_INITIALIZER;
static int hkcu_fd = -ENOENT; /* a failure is retried on the next use, a success kept */

static int mkdir_p(const char *path)
{
    char buf[4096];
    int n = snprintf(buf, sizeof(buf), "%s", path);
    if (n < 0 || (size_t)n >= sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0777) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static void open_hkcu(void)
{
    const char *root = getenv("WINSIM_HIVE_ROOT");
    char path[4096];
    int rc;

    if (!root || !*root)
        root = WINSIM_DEFAULT_HIVE_ROOT;
    rc = snprintf(path, sizeof(path), "%s/S-1-5-21-%u", root, (unsigned)getuid());
    if (rc < 0 || (size_t)rc >= sizeof(path)) {
        hkcu_fd = -ENAMETOOLONG;
        return;
    }
    rc = mkdir_p(path);
    if (rc < 0) {
        hkcu_fd = rc;
        return;
    }
    hkcu_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (hkcu_fd < 0)
        hkcu_fd = -errno;
}

int winsim__hkcu_fd(void)
{
    int fd;

    pthread_mutex_lock(&hkcu_lock);
    if (hkcu_fd < 0)
        open_hkcu();
    fd = hkcu_fd;
    pthread_mutex_unlock(&hkcu_lock);
    return fd;
}

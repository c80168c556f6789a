/* reg_value.c — RegQueryValueExA and RegSetValueExA: a value is a file in its key's directory
 * holding a 4-byte type followed by the data. The default value ("" or NULL) is the file "@". */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "samples/win32/winsim.h"

#define WINSIM_VALUE_MODE 0666 /* narrowed by the umask */

static LONG value_file(LPCSTR name, const char **file)
{
    if (!name || !*name) {
        *file = "@";
        return ERROR_SUCCESS;
    }
    if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
        return ERROR_INVALID_PARAMETER;
    *file = name;
    return ERROR_SUCCESS;
}

static int read_full(int fd, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, (char *)buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        done += (size_t)n;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, (const char *)buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        done += (size_t)n;
    }
    return 0;
}

WINADVAPI LONG WINAPI RegQueryValueExA(HKEY hKey, LPCSTR lpValueName, LPDWORD lpReserved,
                                       LPDWORD lpType, LPBYTE lpData, LPDWORD lpcbData)
{
    const char *file;
    struct stat st;
    DWORD type, size;
    int dirfd, fd, err;
    LONG rc;

    if (lpData && !lpcbData)
        return ERROR_INVALID_PARAMETER;
    rc = winsim__key_fd(hKey, &dirfd);
    if (rc != ERROR_SUCCESS)
        return rc;
    rc = value_file(lpValueName, &file);
    if (rc != ERROR_SUCCESS)
        return rc;
    fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return (LONG)winsim__win32_from_errno(errno);
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(type)) {
        rc = ERROR_FILE_NOT_FOUND; /* a subkey, or a value torn by a crashed writer */
        goto out;
    }
    size = (DWORD)(st.st_size - (off_t)sizeof(type));
    err = read_full(fd, &type, sizeof(type));
    if (err < 0) {
        rc = (LONG)winsim__win32_from_errno(-err);
        goto out;
    }
    if (lpType)
        *lpType = type;
    if (lpData) {
        if (*lpcbData < size) {
            rc = ERROR_MORE_DATA;
        } else {
            err = read_full(fd, lpData, size);
            if (err < 0)
                rc = (LONG)winsim__win32_from_errno(-err);
        }
    }
    if (lpcbData)
        *lpcbData = size;
out:
    close(fd);
    return rc;
}

WINADVAPI LONG WINAPI RegSetValueExA(HKEY hKey, LPCSTR lpValueName, DWORD Reserved, DWORD dwType,
                                     const BYTE *lpData, DWORD cbData)
{
    const char *file;
    int dirfd, fd, err;
    LONG rc;

    if (cbData && !lpData)
        return ERROR_INVALID_PARAMETER;
    rc = winsim__key_fd(hKey, &dirfd);
    if (rc != ERROR_SUCCESS)
        return rc;
    rc = value_file(lpValueName, &file);
    if (rc != ERROR_SUCCESS)
        return rc;
    /* Rewritten in place, not replaced by rename: a rename would delete the old value's inode
     * and look like a deletion to anyone tracing the hive. */
    fd = openat(dirfd, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                WINSIM_VALUE_MODE);
    if (fd < 0)
        return (LONG)winsim__win32_from_errno(errno);
    err = write_full(fd, &dwType, sizeof(dwType));
    if (!err && cbData)
        err = write_full(fd, lpData, cbData);
    close(fd);
    return err ? (LONG)winsim__win32_from_errno(-err) : ERROR_SUCCESS;
}

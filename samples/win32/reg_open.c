/* reg_open.c — RegOpenKeyExA and RegCreateKeyExA: a key handle is one openat() of the key's
 * directory (O_DIRECTORY), relative to the parent key's descriptor, kept open until RegCloseKey. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "samples/win32/winsim.h"

#define WINSIM_KEY_MODE 0777 /* narrowed by the umask, as any mkdir */

/* Opens path below dirfd as a key handle. One openat, so a tracer sees the key's identity. */
static LONG open_key(int dirfd, const char *path, PHKEY out)
{
    int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return (LONG)winsim__win32_from_errno(errno);
    if (fd == 0) { /* stdin was closed: fd 0 would read as a NULL HKEY */
        int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        close(fd);
        if (moved < 0)
            return (LONG)winsim__win32_from_errno(errno);
        fd = moved;
    }
    *out = (HKEY)(uintptr_t)fd;
    return ERROR_SUCCESS;
}

WINADVAPI LONG WINAPI RegOpenKeyExA(HKEY hKey, LPCSTR lpSubKey, DWORD ulOptions, REGSAM samDesired,
                                    PHKEY phkResult)
{
    char path[4096];
    int dirfd;
    LONG rc;

    if (!phkResult)
        return ERROR_INVALID_PARAMETER;
    rc = winsim__key_fd(hKey, &dirfd);
    if (rc != ERROR_SUCCESS)
        return rc;
    rc = winsim__key_path(lpSubKey, path, sizeof(path));
    if (rc != ERROR_SUCCESS)
        return rc;
    return open_key(dirfd, path, phkResult);
}

WINADVAPI LONG WINAPI RegCreateKeyExA(HKEY hKey, LPCSTR lpSubKey, DWORD Reserved, LPSTR lpClass,
                                      DWORD dwOptions, REGSAM samDesired,
                                      LPSECURITY_ATTRIBUTES lpSecurityAttributes, PHKEY phkResult,
                                      LPDWORD lpdwDisposition)
{
    char path[4096];
    DWORD disposition = REG_OPENED_EXISTING_KEY;
    int dirfd;
    LONG rc;

    if (!phkResult)
        return ERROR_INVALID_PARAMETER;
    rc = winsim__key_fd(hKey, &dirfd);
    if (rc != ERROR_SUCCESS)
        return rc;
    rc = winsim__key_path(lpSubKey, path, sizeof(path));
    if (rc != ERROR_SUCCESS)
        return rc;
    /* Create every missing key along the path, parent first, as Windows does. */
    for (char *p = path;; p++) {
        char c = *p;
        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (strcmp(path, ".") != 0) {
            if (mkdirat(dirfd, path, WINSIM_KEY_MODE) == 0)
                disposition = REG_CREATED_NEW_KEY;
            else if (errno != EEXIST)
                return (LONG)winsim__win32_from_errno(errno);
            else
                disposition = REG_OPENED_EXISTING_KEY;
        }
        *p = c;
        if (!c)
            break;
    }
    rc = open_key(dirfd, path, phkResult);
    if (rc == ERROR_SUCCESS && lpdwDisposition)
        *lpdwDisposition = disposition;
    return rc;
}

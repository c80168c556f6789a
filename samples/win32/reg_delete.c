/* reg_delete.c — RegDeleteKeyA and RegDeleteTreeA: values are unlinkat(dirfd, name, 0), keys
 * unlinkat(parent, name, AT_REMOVEDIR). A process still holding a handle to a deleted key keeps
 * the directory's inode and gets ERROR_KEY_DELETED from then on (reg_handle.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "samples/win32/winsim.h"

static int is_dir(int dirfd, struct dirent *de)
{
    struct stat st;
    if (de->d_type != DT_UNKNOWN)
        return de->d_type == DT_DIR;
    return fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Empties the key at path below dirfd: its values always, its subkeys (recursively) only when
 * recurse is set. Returns 0, -ENOTEMPTY when subkeys remain and !recurse, or a negative errno. */
static int empty_key(int dirfd, const char *path, int recurse)
{
    DIR *dir;
    struct dirent *de;
    int fd, rc = 0;

    fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    dir = fdopendir(fd);
    if (!dir) {
        rc = -errno;
        close(fd);
        return rc;
    }
    /* RegDeleteKey on a key with subkeys fails before touching anything. */
    while (!recurse && (de = readdir(dir)) != NULL) {
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && is_dir(fd, de)) {
            closedir(dir);
            return -ENOTEMPTY;
        }
    }
    rewinddir(dir);
    while ((de = readdir(dir)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (!is_dir(fd, de)) {
            if (unlinkat(fd, de->d_name, 0) < 0 && errno != ENOENT) {
                rc = -errno;
                break;
            }
            continue;
        }
        if (!recurse) {
            rc = -ENOTEMPTY; /* a subkey appeared since the check */
            break;
        }
        rc = empty_key(fd, de->d_name, 1);
        if (rc == 0 && unlinkat(fd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
            rc = -errno;
        if (rc < 0)
            break;
    }
    closedir(dir);
    return rc;
}

static LONG delete_key(HKEY hKey, LPCSTR lpSubKey, int recurse)
{
    char path[4096];
    int dirfd, rc;
    LONG wrc;

    wrc = winsim__key_fd(hKey, &dirfd);
    if (wrc != ERROR_SUCCESS)
        return wrc;
    wrc = winsim__key_path(lpSubKey, path, sizeof(path));
    if (wrc != ERROR_SUCCESS)
        return wrc;
    rc = empty_key(dirfd, path, recurse);
    if (rc == -ENOTEMPTY)
        return ERROR_ACCESS_DENIED; /* RegDeleteKey refuses a key that has subkeys */
    if (rc < 0)
        return (LONG)winsim__win32_from_errno(-rc);
    if (!strcmp(path, "."))
        return ERROR_SUCCESS; /* RegDeleteTree(h, NULL) keeps the key itself */
    if (unlinkat(dirfd, path, AT_REMOVEDIR) < 0)
        return (LONG)winsim__win32_from_errno(errno);
    return ERROR_SUCCESS;
}

WINADVAPI LONG WINAPI RegDeleteKeyA(HKEY hKey, LPCSTR lpSubKey)
{
    if (!lpSubKey || !*lpSubKey)
        return ERROR_INVALID_PARAMETER;
    return delete_key(hKey, lpSubKey, 0);
}

WINADVAPI LONG WINAPI RegDeleteTreeA(HKEY hKey, LPCSTR lpSubKey)
{
    return delete_key(hKey, lpSubKey, 1);
}

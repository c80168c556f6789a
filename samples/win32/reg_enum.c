/* reg_enum.c — RegEnumKeyExA: the subkeys of a key (its subdirectories) in sorted order, so an
 * index is stable while the key is not modified. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "samples/win32/winsim.h"

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* Lists the subdirectories of dirfd, sorted. Returns 0 or a negative errno. */
static int list_subkeys(int dirfd, char ***out, size_t *count)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    DIR *dir;
    int fd, rc = 0;

    fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* own offset for readdir */
    if (fd < 0)
        return -errno;
    dir = fdopendir(fd);
    if (!dir) {
        rc = -errno;
        close(fd);
        return rc;
    }
    while ((de = readdir(dir)) != NULL) {
        struct stat st;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (de->d_type == DT_UNKNOWN) {
            if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                continue;
        } else if (de->d_type != DT_DIR) {
            continue;
        }
        if (n == cap) {
            char **grown = realloc(names, (cap ? cap * 2 : 16) * sizeof(*names));
            if (!grown) {
                rc = -ENOMEM;
                break;
            }
            names = grown;
            cap = cap ? cap * 2 : 16;
        }
        names[n] = strdup(de->d_name);
        if (!names[n]) {
            rc = -ENOMEM;
            break;
        }
        n++;
    }
    closedir(dir);
    if (rc < 0) {
        free_names(names, n);
        return rc;
    }
    qsort(names, n, sizeof(*names), cmp_names);
    *out = names;
    *count = n;
    return 0;
}

WINADVAPI LONG WINAPI RegEnumKeyExA(HKEY hKey, DWORD dwIndex, LPSTR lpName, LPDWORD lpcchName,
                                    LPDWORD lpReserved, LPSTR lpClass, LPDWORD lpcchClass,
                                    PFILETIME lpftLastWriteTime)
{
    char **names = NULL;
    size_t count = 0, len;
    int dirfd, rc;
    LONG wrc;

    if (!lpName || !lpcchName)
        return ERROR_INVALID_PARAMETER;
    wrc = winsim__key_fd(hKey, &dirfd);
    if (wrc != ERROR_SUCCESS)
        return wrc;
    rc = list_subkeys(dirfd, &names, &count);
    if (rc < 0)
        return (LONG)winsim__win32_from_errno(-rc);
    if (dwIndex >= count) {
        wrc = ERROR_NO_MORE_ITEMS;
        goto out;
    }
    len = strlen(names[dwIndex]);
    if (len + 1 > *lpcchName) {
        wrc = ERROR_MORE_DATA;
        goto out;
    }
    memcpy(lpName, names[dwIndex], len + 1);
    *lpcchName = (DWORD)len;
    if (lpClass && lpcchClass && *lpcchClass) {
        lpClass[0] = '\0';
        *lpcchClass = 0;
    }
    if (lpftLastWriteTime) {
        struct stat st;
        /* FILETIME counts 100 ns ticks since 1601-01-01. */
        unsigned long long t = 0;
        if (fstatat(dirfd, names[dwIndex], &st, AT_SYMLINK_NOFOLLOW) == 0)
            t = ((unsigned long long)st.st_mtim.tv_sec + 11644473600ULL) * 10000000ULL +
                (unsigned long long)st.st_mtim.tv_nsec / 100;
        lpftLastWriteTime->dwLowDateTime = (DWORD)t;
        lpftLastWriteTime->dwHighDateTime = (DWORD)(t >> 32);
    }
    wrc = ERROR_SUCCESS;
out:
    free_names(names, count);
    return wrc;
}

/* reg_handle.c — what an HKEY is: the open directory descriptor of its key (the value of the
 * HKEY is the fd), plus the predefined HKEY_CURRENT_USER. Also RegCloseKey and path syntax. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "samples/win32/winsim.h"

LONG winsim__key_fd(HKEY key, int *fd)
{
    struct stat st;
    int kfd;

    if (key == HKEY_CURRENT_USER) {
        kfd = winsim__hkcu_fd();
        if (kfd < 0)
            return (LONG)winsim__win32_from_errno(-kfd);
    } else {
        uintptr_t v = (uintptr_t)key;
        if (v == 0 || v > 0x7fffffff)
            return ERROR_INVALID_HANDLE;
        kfd = (int)v;
    }
    if (fstat(kfd, &st) < 0 || !S_ISDIR(st.st_mode))
        return ERROR_INVALID_HANDLE;
    /* A removed directory keeps its inode while we hold it open, with no links left: that is
     * exactly Windows' "the key was deleted while you held a handle to it". */
    if (st.st_nlink == 0)
        return ERROR_KEY_DELETED;
    *fd = kfd;
    return ERROR_SUCCESS;
}

LONG winsim__key_path(LPCSTR sub, char *out, size_t size)
{
    size_t n = 0, start = 0;

    if (!sub || !*sub)
        sub = ".";
    else if (!strcmp(sub, ".") || !strcmp(sub, ".."))
        return ERROR_BAD_PATHNAME;
    for (const char *p = sub;; p++) {
        char c = *p;
        /* '/' would silently split a key name into two keys; Windows allows it, we refuse it. */
        if (c == '/')
            return ERROR_BAD_PATHNAME;
        if (c == '\\' || c == '\0') {
            size_t len = n - start;
            /* Empty, "." and ".." components would name another key than the caller meant. */
            if (sub[0] != '.' || sub[1] != '\0') {
                if (len == 0 || (len == 1 && out[start] == '.') ||
                    (len == 2 && out[start] == '.' && out[start + 1] == '.'))
                    return ERROR_BAD_PATHNAME;
            }
            c = c ? '/' : '\0';
            start = n + 1;
        }
        if (n >= size)
            return ERROR_BAD_PATHNAME;
        out[n++] = c;
        if (!c)
            return ERROR_SUCCESS;
    }
}

WINADVAPI LONG WINAPI RegCloseKey(HKEY hKey)
{
    int fd;

    if (hKey == HKEY_CURRENT_USER)
        return ERROR_SUCCESS; /* predefined: never closed */
    {
        uintptr_t v = (uintptr_t)hKey;
        if (v == 0 || v > 0x7fffffff)
            return ERROR_INVALID_HANDLE;
        fd = (int)v;
    }
    /* Closing a handle to a deleted key succeeds, as on Windows. */
    if (close(fd) < 0)
        return ERROR_INVALID_HANDLE;
    return ERROR_SUCCESS;
}

/* reg_handle.c — what an HKEY is: the open directory descriptor of its key (the value of the
 * HKEY is the fd), plus the predefined HKEY_CURRENT_USER. Also RegCloseKey and path syntax. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "samples/win32/winsim.h"

/* The fd an opened (not predefined) HKEY stands for, or -1. */
static int opened_fd(HKEY key)
{
    uintptr_t v = (uintptr_t)key;
    return v == 0 || v > 0x7fffffff ? -1 : (int)v;
}

LONG winsim__key_fd(HKEY key, int *fd)
{
    struct stat st;
    int kfd;

    if (key == HKEY_CURRENT_USER) {
        kfd = winsim__hkcu_fd();
        if (kfd < 0)
            return (LONG)winsim__win32_from_errno(-kfd);
    } else {
        kfd = opened_fd(key);
    }
    if (kfd < 0 || fstat(kfd, &st) < 0 || !S_ISDIR(st.st_mode))
        return ERROR_INVALID_HANDLE;
    /* A removed directory keeps its inode while we hold it open, with no links left: that is
     * exactly Windows' "the key was deleted while you held a handle to it". */
    if (st.st_nlink == 0)
        return ERROR_KEY_DELETED;
    *fd = kfd;
    return ERROR_SUCCESS;
}

/* Is the component [p, p+len) one that would name another key than the caller meant? */
static int bad_component(const char *p, size_t len)
{
    return len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.');
}

LONG winsim__key_path(LPCSTR sub, char *out, size_t size)
{
    size_t n = 0, start = 0;

    if (!sub || !*sub) { /* the key itself */
        if (size < 2)
            return ERROR_BAD_PATHNAME;
        strcpy(out, ".");
        return ERROR_SUCCESS;
    }
    for (const char *p = sub;; p++) {
        /* '/' would silently split a key name in two; Windows allows it in names, we refuse it. */
        if (*p == '/' || n >= size)
            return ERROR_BAD_PATHNAME;
        if (*p == '\\' || *p == '\0') {
            if (bad_component(out + start, n - start))
                return ERROR_BAD_PATHNAME;
            start = n + 1;
        }
        out[n++] = *p == '\\' ? '/' : *p;
        if (!*p)
            return ERROR_SUCCESS;
    }
}

WINADVAPI LONG WINAPI RegCloseKey(HKEY hKey)
{
    if (hKey == HKEY_CURRENT_USER)
        return ERROR_SUCCESS; /* predefined: never closed */
    /* Closing a handle to a deleted key succeeds, as on Windows. */
    if (opened_fd(hKey) < 0 || close(opened_fd(hKey)) < 0)
        return ERROR_INVALID_HANDLE;
    return ERROR_SUCCESS;
}

/* mapping.c — CreateFileMappingA / OpenFileMappingA for named, pagefile-backed sections: one
 * POSIX shared-memory object (shm_open) per name, see mapping_name.c for the namespaces. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "samples/win32/winsim.h"

#define WINSIM_SECTION_MODE 0666 /* narrowed by the umask */

static HANDLE new_mapping(int fd, unsigned long long size)
{
    struct winsim_mapping *m = calloc(1, sizeof(*m));
    if (!m) {
        close(fd);
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    m->hdr.kind = WINSIM_MAPPING;
    m->fd = fd;
    m->size = size;
    return m;
}

WINBASEAPI HANDLE WINAPI CreateFileMappingA(HANDLE hFile, LPSECURITY_ATTRIBUTES lpAttributes,
                                            DWORD flProtect, DWORD dwMaximumSizeHigh,
                                            DWORD dwMaximumSizeLow, LPCSTR lpName)
{
    unsigned long long size = ((unsigned long long)dwMaximumSizeHigh << 32) | dwMaximumSizeLow;
    char shm_name[256];
    struct stat st;
    DWORD err;
    int fd, existed = 0;

    if (hFile != INVALID_HANDLE_VALUE || !lpName) {
        /* Only named sections backed by the paging file are simulated. */
        SetLastError(ERROR_NOT_SUPPORTED);
        return NULL;
    }
    if (size == 0 || (flProtect & (PAGE_READWRITE | PAGE_READONLY)) == 0) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    err = winsim__mapping_shm_name(lpName, shm_name, sizeof(shm_name));
    if (err != ERROR_SUCCESS) {
        SetLastError(err);
        return NULL;
    }
    fd = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, WINSIM_SECTION_MODE);
    if (fd < 0 && errno == EEXIST) {
        existed = 1;
        fd = shm_open(shm_name, O_RDWR, 0);
    }
    if (fd < 0) {
        SetLastError(winsim__win32_from_errno(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0) {
        SetLastError(winsim__win32_from_errno(errno));
        close(fd);
        return NULL;
    }
    /* A new object is sized here; an existing one keeps its size, except that a creator still
     * between shm_open and ftruncate is helped along (Windows creates a section atomically). */
    if ((unsigned long long)st.st_size < size) {
        if (ftruncate(fd, (off_t)size) < 0) {
            SetLastError(winsim__win32_from_errno(errno));
            close(fd);
            return NULL;
        }
        st.st_size = (off_t)size;
    }
    HANDLE h = new_mapping(fd, (unsigned long long)st.st_size);
    if (h)
        SetLastError(existed ? ERROR_ALREADY_EXISTS : ERROR_SUCCESS);
    return h;
}

WINBASEAPI HANDLE WINAPI OpenFileMappingA(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCSTR lpName)
{
    char shm_name[256];
    struct stat st;
    DWORD err;
    int fd, writable = dwDesiredAccess == FILE_MAP_ALL_ACCESS || (dwDesiredAccess & FILE_MAP_WRITE);

    err = winsim__mapping_shm_name(lpName, shm_name, sizeof(shm_name));
    if (err != ERROR_SUCCESS) {
        SetLastError(err);
        return NULL;
    }
    fd = shm_open(shm_name, writable ? O_RDWR : O_RDONLY, 0);
    if (fd < 0) {
        SetLastError(winsim__win32_from_errno(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0) {
        SetLastError(winsim__win32_from_errno(errno));
        close(fd);
        return NULL;
    }
    HANDLE h = new_mapping(fd, (unsigned long long)st.st_size);
    if (h)
        SetLastError(ERROR_SUCCESS);
    return h;
}

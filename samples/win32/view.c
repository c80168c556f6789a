/* view.c — MapViewOfFile / UnmapViewOfFile: a view is a MAP_SHARED mmap of the section's fd.
 * UnmapViewOfFile takes only the address, so the views of the process are remembered here. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "samples/win32/winsim.h"

struct view {
    struct view *next;
    void *addr;
    size_t len;
};

static pthread_mutex_t views_lock = PTHREAD_MUTEX_INITIALIZER;
static struct view *views;

WINBASEAPI LPVOID WINAPI MapViewOfFile(HANDLE hFileMappingObject, DWORD dwDesiredAccess,
                                       DWORD dwFileOffsetHigh, DWORD dwFileOffsetLow,
                                       SIZE_T dwNumberOfBytesToMap)
{
    struct winsim_mapping *m =
        (struct winsim_mapping *)winsim__object(hFileMappingObject, WINSIM_MAPPING);
    unsigned long long offset = ((unsigned long long)dwFileOffsetHigh << 32) | dwFileOffsetLow;
    int writable = dwDesiredAccess == FILE_MAP_ALL_ACCESS || (dwDesiredAccess & FILE_MAP_WRITE);
    struct view *v;
    size_t len;
    void *addr;

    if (!m)
        return NULL;
    if (offset > m->size || (offset & 0xffff)) { /* views start at the allocation granularity */
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    len = dwNumberOfBytesToMap ? dwNumberOfBytesToMap : (size_t)(m->size - offset);
    if (len == 0 || offset + len > m->size) {
        SetLastError(ERROR_INVALID_PARAMETER);
        return NULL;
    }
    v = malloc(sizeof(*v));
    if (!v) {
        SetLastError(ERROR_NOT_ENOUGH_MEMORY);
        return NULL;
    }
    addr =
        mmap(NULL, len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, m->fd, (off_t)offset);
    if (addr == MAP_FAILED) {
        SetLastError(winsim__win32_from_errno(errno));
        free(v);
        return NULL;
    }
    v->addr = addr;
    v->len = len;
    pthread_mutex_lock(&views_lock);
    v->next = views;
    views = v;
    pthread_mutex_unlock(&views_lock);
    SetLastError(ERROR_SUCCESS);
    return addr;
}

WINBASEAPI BOOL WINAPI UnmapViewOfFile(LPCVOID lpBaseAddress)
{
    struct view **pp, *v = NULL;

    pthread_mutex_lock(&views_lock);
    for (pp = &views; *pp; pp = &(*pp)->next) {
        if ((*pp)->addr == lpBaseAddress) {
            v = *pp;
            *pp = v->next;
            break;
        }
    }
    pthread_mutex_unlock(&views_lock);
    if (!v) {
        SetLastError(ERROR_INVALID_ADDRESS);
        return FALSE;
    }
    munmap(v->addr, v->len);
    free(v);
    return TRUE;
}

/* winsim.h — internals shared by the files of libwinsim (not part of its public API). */
#ifndef WINSIM_INTERNAL_H
#define WINSIM_INTERNAL_H

#include <windows.h>

/* errno value -> the Win32 error code a Windows API would report for the same condition. */
DWORD winsim__win32_from_errno(int err);

/* The directory descriptor of the current user's hive (HKCU), opened on first use from the REAL
 * uid and kept for the life of the process. Returns the fd or a negative errno. */
int winsim__hkcu_fd(void);

/* Resolves an HKEY (predefined or opened) to its directory fd and checks that the key still
 * exists. Returns ERROR_SUCCESS, ERROR_INVALID_HANDLE or ERROR_KEY_DELETED. */
LONG winsim__key_fd(HKEY key, int *fd);

/* Translates a registry path ("A\\B\\C") into a relative file-system path ("A/B/C") in out.
 * NULL or "" becomes ".". Returns ERROR_SUCCESS or ERROR_BAD_PATHNAME. */
LONG winsim__key_path(LPCSTR sub, char *out, size_t size);

/* The login (audit) session of this process, resolved when the library loads. */
unsigned long winsim__session_id(void);

/* Translates a file-mapping name into the POSIX shared-memory name that backs it.
 * Returns ERROR_SUCCESS or ERROR_BAD_PATHNAME / ERROR_INVALID_PARAMETER. */
DWORD winsim__mapping_shm_name(LPCSTR name, char *out, size_t size);

/* Kernel objects behind a HANDLE: every HANDLE libwinsim returns points to one of these. */
enum winsim_object_kind { WINSIM_MAPPING = 0x4d415050, WINSIM_TOKEN = 0x544f4b4e };

struct winsim_object {
    enum winsim_object_kind kind;
};

struct winsim_mapping {
    struct winsim_object hdr;
    int fd;                  /* the shared-memory object, open until CloseHandle */
    unsigned long long size; /* maximum size: what a view of length 0 maps */
};

struct winsim_token {
    struct winsim_object hdr;
    unsigned uid;
    unsigned gid;
};

/* Returns the object behind h if it is of the given kind, else NULL (and sets the last error
 * to ERROR_INVALID_HANDLE). */
struct winsim_object *winsim__object(HANDLE h, enum winsim_object_kind kind);

#endif

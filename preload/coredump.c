/* coredump.c — makes the ring part of this process's core dump (coredump_filter bit 3).
 *
 * The ring is a file-backed MAP_SHARED mapping, and the kernel's default coredump_filter (0x33)
 * leaves those out of a core, so a crashed service's last events would be missing from its dump.
 * Setting bit 3 ("dump file-backed shared mappings") at start puts them in, for a kernel-written
 * core and for gdb's gcore alike (gdb honours the same filter). The filter is inherited across fork
 * and kept across exec, and setting it only adds our rings plus other file-backed shared mappings
 * of the host. Failure (no /proc, read-only /proc) is not an error: the trace on disk is still
 * there.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "preload/coredump.h"

#define PT__FILTER_FILE_SHARED 0x8u

void pt__coredump_include_rings(void)
{
    char buf[32];
    int fd = open("/proc/self/coredump_filter", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = 0;
        unsigned long v = strtoul(buf, NULL, 16);
        if (!(v & PT__FILTER_FILE_SHARED)) {
            int len = snprintf(buf, sizeof buf, "0x%lx", v | PT__FILTER_FILE_SHARED);
            (void)pwrite(fd, buf, (size_t)len, 0);
        }
    }
    close(fd);
}

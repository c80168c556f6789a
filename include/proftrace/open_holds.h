/* open_holds.h — which opens of a file are holds: the one rule the shim (what it records and
 * publishes) and the analyzer (what it models) share.
 *
 * A descriptor is an open-file hold when the program opened a regular file for writing, or created
 * it: what it writes next goes to that inode, so a deletion by another process loses it (a
 * database's journal, a daemon's log, a lock file whose lock protects nothing once the name is
 * gone). A read-only open is not a hold: its reader loses nothing it wrote, and builds make
 * thousands of them (headers, libraries), which therefore cost one flag test and no event. Not
 * holds either: O_PATH (no I/O), O_TMPFILE (no name to delete), directories, devices, pipes and
 * sockets (the shim checks the file type after the open).
 *
 * The constants are Linux's generic open(2) flags (x86-64, arm64, riscv, ...), spelled here so
 * that this header can sit beside a wrapper of open() that must not see <fcntl.h>'s variadic
 * prototype (preload/hook_open.c); tests/unit/analyzer_open_holds.c checks them against
 * <fcntl.h>.
 */
#ifndef PROFTRACE_OPEN_HOLDS_H
#define PROFTRACE_OPEN_HOLDS_H

#include <stdint.h>

#define PT_O_ACCMODE 03u
#define PT_O_RDONLY 00u
#define PT_O_WRONLY 01u
#define PT_O_RDWR 02u
#define PT_O_CREAT 0100u
#define PT_O_EXCL 0200u
#define PT_O_TRUNC 01000u
#define PT_O_APPEND 02000u
#define PT_O_DIRECTORY 0200000u
#define PT_O_CLOEXEC 02000000u
#define PT_O_PATH 010000000u
#define PT_O_TMPFILE_BIT 020000000u /* O_TMPFILE is this bit with O_DIRECTORY */

/* Bits whose absence makes an open surely no hold: the wrappers' first and only test on the path
 * of a read-only open. */
#define PT_O_MAY_HOLD (PT_O_ACCMODE | PT_O_CREAT)

/* Is an open with these flags a hold (of a regular file: the caller checks the type)? */
static inline int pt_open_holds(uint64_t flags)
{
    if (!(flags & PT_O_MAY_HOLD) || (flags & (PT_O_PATH | PT_O_TMPFILE_BIT | PT_O_DIRECTORY)))
        return 0;
    return (flags & PT_O_ACCMODE) != PT_O_RDONLY || (flags & PT_O_CREAT);
}

#endif

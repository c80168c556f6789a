/* holds.h — the shim's side of the holds table: who holds which physical object right now.
 *
 * PROFTRACE_BREAK=delete-held must decide, inside the deleting process and at once, whether another
 * live process holds what is being deleted, and the collector's witness must learn as a hold
 * begins what to watch. Both read the holds tables, files in $PROFTRACE_DIR/rings/ keyed by
 * physical identity, one per user; their format, their trust rules and the doorbell that tells
 * the collector of a new hold are in tracer/holds_table.h. This process maps its user's table when
 * it starts (nothing is re-opened after unshare/setns/setuid), claims an owner slot in it (a lock
 * the kernel drops when the process dies), publishes what the traced calls begin to hold and
 * withdraws what they end.
 */
#ifndef PT_PRELOAD_HOLDS_H
#define PT_PRELOAD_HOLDS_H

#include <stdint.h>

#include "tracer/holds_table.h"

/* Map this user's table $dir/rings/.holds.<euid> (creating it; the ring, created first, made
 * rings/) and claim an owner slot. 0 or a negative errno; the shim goes on without the table (holds
 * are then neither published nor consulted), saying so once when the table was refused (planted by
 * another user). Call at start, and pt__holds_after_fork in a fork child (POSIX locks are not
 * inherited). */
int pt__holds_init(const char *dir);
/* In a fork child: the parent's holds forgotten and no owner slot (no system call); the slot is
 * claimed by pt__holds_claim when the child starts (preload/fork_start.c). */
void pt__holds_after_fork(void);
void pt__holds_claim(void);
/* Whether a hold of any kind (KEY, SESSION, MAP, VIEW, SYSV, FILE) began in this image, published
 * or not; pt__holds_begin_seen says one did (the hooks below, and holds_hooks.h for VIEW and SYSV,
 * which the table does not keep). */
int pt__holds_begun(void);
void pt__holds_begin_seen(void);

/* Publish / withdraw a hold. `handle` is the holder-local value that ends it (key handle, session
 * pointer, mapping address); `name` may be NULL. Never blocks; a full window drops the hold. A
 * publish rings the collector's doorbell when it waits (one pwrite; none while it is busy). */
void pt__holds_add(enum pt__hold_kind kind, uint64_t handle, uint64_t dev, uint64_t ino,
                   const char *name);
void pt__holds_remove(enum pt__hold_kind kind, uint64_t handle);

/* Another live process holds (dev, ino)? Returns 1 and fills *pid (its pid as the holder saw it),
 * *kind and name[PT__HOLDS_NAME_MAX], else 0. Sees this user's processes, and, in the trace owner's
 * processes, other users' holds as the collector mirrors them. A few system calls (F_GETLK) per
 * candidate: for the delete path. */
int pt__holds_other(uint64_t dev, uint64_t ino, uint32_t *pid, uint32_t *kind, char *name);

/* Per-row hooks the generated recorders call after a successful traced call (see holds_hooks.h):
 * key opens remember the nested open's identity, sessions and mappings are published. */
void pt__hold_nested_open(uint64_t t_exit, uint64_t dev, uint64_t ino);
void pt__hold_key_open(uint64_t t_enter, int failed, uint64_t hkey, const char *subkey);
void pt__hold_key_close(int failed, uint64_t hkey);
void pt__hold_logon(uint64_t t_enter, int failed, const char *profile, uint64_t session);
void pt__hold_session_end(uint64_t session, int release, int64_t refs);
void pt__hold_mmap(int failed, uint64_t addr, uint64_t flags, uint64_t dev, uint64_t ino);
void pt__hold_munmap(int failed, uint64_t addr);
/* A traced open of a FILE (nested or the program's own): the identity, for the call around it;
 * and when the open is a hold (PT_OPEN_HOLDS of its flags, a regular file: `regular`), the
 * descriptor is marked held and the hold published. */
void pt__hold_file_open(uint64_t t_exit, int failed, int64_t fd, uint64_t flags, uint64_t dev,
                        uint64_t ino, int regular, const char *path);
/* Withdraw the hold of descriptor fd (its mark taken already: pt__fd_unhold), before the call
 * that closes it: the number another thread gets back at once is then its own hold's. */
void pt__hold_file_close(int64_t fd);

/* The descriptors this process holds as open-file holds, so that close, dup2 and dup3 of any other
 * descriptor go straight through after one bit test. Descriptors from PT__HELD_FDS up are never
 * marked (such an open is recorded, its hold not followed). Cleared in a fork child: the
 * parent's holds are not the child's to end. */
#define PT__HELD_FDS 65536
extern uint64_t pt__held_fds[PT__HELD_FDS / 64];
static inline int pt__fd_held(int fd)
{
    if ((unsigned)fd >= PT__HELD_FDS)
        return 0;
    uint64_t word = __atomic_load_n(&pt__held_fds[(unsigned)fd / 64], __ATOMIC_RELAXED);
    return (int)(word >> ((unsigned)fd % 64) & 1);
}
/* Take fd's mark (1 when it was held): before the call that closes it, so that a descriptor
 * number another thread gets back at once is marked for its own open, not unmarked by this. */
static inline int pt__fd_unhold(int fd)
{
    if (!pt__fd_held(fd))
        return 0;
    uint64_t bit = 1ull << ((unsigned)fd % 64);
    uint64_t was = __atomic_fetch_and(&pt__held_fds[(unsigned)fd / 64], ~bit, __ATOMIC_ACQ_REL);
    return (was & bit) != 0;
}

#endif

/* holds.h — the shared table of current holds (who holds which physical object right now).
 *
 * PROFTRACE_BREAK must decide, inside the deleting process and at once, whether another live
 * process holds what is being deleted. That view must not fall into the trap proftrace diagnoses:
 * no shared-memory name (a private /dev/shm or IPC namespace would split it), no pid (pid
 * namespaces), no user-keyed path. So the table is a FILE, $PROFTRACE_DIR/rings/.holds, opened and
 * mapped MAP_SHARED when the shim starts (like the ring: nothing is re-opened after
 * unshare/setns/setuid), keyed by physical identity (device, inode), and liveness of an owner is a
 * POSIX record lock that owner holds on one byte of that same file: the kernel drops it when the
 * owner dies however it dies, F_GETLK answers in any namespace, and a recycled pid cannot
 * impersonate a dead owner.
 *
 * Layout (all little-endian, the header self-describes every size and offset; gdb/proftrace.py
 * reads it):
 *   header  struct pt__holds_hdr at offset 0 (PT__HOLDS_MAGIC, version, endianness mark, sizes)
 *   owners  nowners x struct pt__holds_owner at owners_off: one per live traced process; the owner
 *           keeps a write lock on byte (lock_off + owner index) for its life;
 *   entries nentries x struct pt__holds_entry at entries_off: one per hold instance; an entry is
 *           placed in the window of PT__HOLDS_WINDOW slots starting at hash(dev, ino), so a lookup
 *           reads one window.
 * An entry is published by storing state = READY (release) after its fields; it is valid while its
 * owner's generation is unchanged and the owner's lock is held. Writers: the owning process only
 * (claim by CAS on state), except that a slot whose owner is dead may be reclaimed by anyone.
 */
#ifndef PT_PRELOAD_HOLDS_H
#define PT_PRELOAD_HOLDS_H

#include <stdint.h>

#define PT__HOLDS_MAGIC "PTHOLDS\x01"
#define PT__HOLDS_VERSION 1u
#define PT__HOLDS_WINDOW 32u

enum pt__hold_kind {
    PT__HK_KEY = 1, /* an open registry key handle (identity: the key's directory) */
    PT__HK_SESSION, /* a MAPI session on a profile (identity: the profile's key) */
    PT__HK_MAP,     /* a shared mapping of a file or POSIX shm object */
};

enum { PT__HE_FREE = 0, PT__HE_BUSY = 1, PT__HE_READY = 2 };

struct pt__holds_hdr {
    char magic[8];
    uint32_t version, endian, header_size, nowners;
    uint32_t owner_size, nentries, entry_size, window;
    uint64_t owners_off, entries_off, lock_off, file_size;
};

struct pt__holds_owner {
    uint32_t gen;        /* bumped each time a process claims this owner slot */
    uint32_t pid;        /* getpid() of the owner, in its own pid namespace (display only) */
    uint64_t start_time; /* its start time, clock ticks since boot (display only) */
};

struct pt__holds_entry {
    uint64_t dev, ino;
    uint32_t state; /* PT__HE_* */
    uint32_t owner; /* owner index + 1 */
    uint32_t gen;   /* owner generation when placed */
    uint32_t kind;  /* enum pt__hold_kind */
    uint32_t pid;   /* holder's pid (display) */
    char name[92];  /* the tail of the name the holder used (display, NUL-terminated) */
};

/* Map $dir/rings/.holds (creating it; the ring, created first, made rings/) and claim an owner
 * slot. 0 or a negative errno; the shim goes on without the table (holds are then neither published
 * nor consulted). Call at start and in a fork child (POSIX locks are not inherited). */
int pt__holds_init(const char *dir);
void pt__holds_after_fork(void);

/* Publish / withdraw a hold. `handle` is the holder-local value that ends it (key handle, session
 * pointer, mapping address); `name` may be NULL. Never blocks; a full window drops the hold. */
void pt__holds_add(enum pt__hold_kind kind, uint64_t handle, uint64_t dev, uint64_t ino,
                   const char *name);
void pt__holds_remove(enum pt__hold_kind kind, uint64_t handle);

/* Another live process holds (dev, ino)? Returns 1 and fills *pid (its pid as the holder saw it),
 * *kind and name[92], else 0. A few system calls (F_GETLK) per candidate: for the delete path. */
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

#endif

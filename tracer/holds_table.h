/* holds_table.h — the holds tables: which traced process holds which physical object right now.
 * Written by the shim (preload/holds.c), read by the shim (PROFTRACE_BREAK=delete-held), by the
 * collector's witness (tracer/witness_tables.c) and by gdb (gdb/proftrace.py).
 *
 * Why a file. The deleting process must decide at once whether another live process holds what it
 * deletes, and the witness must learn as a hold begins what to watch; neither may fall into the
 * trap proftrace diagnoses. So no shared-memory name (a private /dev/shm or IPC namespace would
 * split it) and no pid: a table is a FILE in the trace directory's rings/, opened when the shim
 * starts and mapped MAP_SHARED (nothing is re-opened after unshare/setns/setuid), keyed by
 * physical identity (device, inode). An owner's liveness is a POSIX lock it keeps on one byte of
 * the same file: the kernel drops it however the owner dies, F_GETLK answers in any namespace, and
 * a recycled pid cannot impersonate a dead owner.
 *
 * Trust. One table per user, rings/.holds.<uid>, created and written only by that user's processes:
 * owned by that uid, mode 0600 (0640 with PROFTRACE_GROUP), never writable by another user.
 * Opening checks it (pt__htab_open): a regular file, not a link, one link, owned by the user,
 * exactly the size of this layout; anything else is refused. Every count, size and offset is a
 * constant of this header: the header in the file is compared with them, never used to compute an
 * address, and every index taken from an entry (its owner) is range-checked where it is used. A
 * table damaged by its own user's processes (which could as well ptrace each other) can give wrong
 * answers, never an access out of bounds. Readers of another user's table (the collector) copy it
 * into private memory first and check each entry there.
 *
 * Other users. Their processes write their own tables; the trace owner's processes never map
 * them. The collector, when it may read them (as root), mirrors each live hold into the owner's
 * table under an owner slot of its own (so mirrored holds die with the collector): the owner's
 * processes see other users' holds through the collector, within its scan interval. Another
 * user's processes see their own user's holds only: the owner's holds are not theirs to read.
 *
 * Doorbell. After publishing a hold the shim bumps `seq`. The collector's witness judges every
 * deletion only after reading again each table whose `seq` moved, so a hold on a filesystem it
 * already watches whole needs no wake-up: it lists those devices in `covered`, and the shim makes
 * no system call for them. For a hold elsewhere (a filesystem to be marked first) the witness must
 * wake: when it says it is waiting (`waiting` = 1, which it sets after a read and then reads `seq`
 * again), the first shim to take that flag (exchange to 0) rings: a one-byte pwrite at
 * PT__HOLDS_BELL_OFF, which inotify reports to the collector (a store through the mapping would not
 * be). While the witness is busy or absent no shim makes a system call. Withdrawals bump `ends` and
 * never ring; a withdrawn entry (FREE) keeps what it said until the slot is taken again, so that a
 * reader that comes late still learns of a hold that began and ended since its last read (the
 * witness judges deletions made meanwhile). Every change to an entry bumps the generation of its
 * page of entries (pagegen, before seq or ends), so a reader re-reads only the pages that changed:
 * a few KiB, not the whole table. The witness lists covered devices only in its own user's table:
 * other users' holds are mirrored from their tables when it wakes, so those always ring.
 *
 * Layout (little-endian, at fixed offsets):
 *   header  struct pt__holds_hdr at 0; PT__HOLDS_NCOVERED uint64_t covered devices at
 *           PT__HOLDS_COVERED_OFF (0: none); the doorbell byte at PT__HOLDS_BELL_OFF;
 *           PT__HOLDS_PAGES uint32_t page generations at PT__HOLDS_PAGEGEN_OFF (one per 4 KiB of
 *           entries);
 *   owners  PT__HOLDS_NOWNERS x struct pt__holds_owner at PT__HOLDS_OWNERS_OFF: one per live
 *           traced process (or collector); the owner of slot i keeps a write lock on byte
 *           PT__HOLDS_LOCK_OFF + i (past the end of the file: the bytes guard, they hold no data);
 *   entries PT__HOLDS_NENTRIES x struct pt__holds_entry at PT__HOLDS_ENTRIES_OFF: one per hold;
 *           placed in the PT__HOLDS_WINDOW slots from hash(dev, ino), so a lookup reads one window.
 * An entry is claimed by CAS on `state` (FREE -> BUSY), filled, and published by storing READY
 * (release); it is valid while its owner slot's generation is unchanged and its lock is held. A
 * slot whose owner is dead may be reclaimed by any writer of the table.
 */
#ifndef PT_TRACER_HOLDS_TABLE_H
#define PT_TRACER_HOLDS_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PT__HOLDS_MAGIC "PTHOLDS\x01"
#define PT__HOLDS_VERSION 2u
#define PT__HOLDS_PREFIX ".holds." /* rings/.holds.<uid> */
#define PT__HOLDS_NOWNERS 4096u
#define PT__HOLDS_NENTRIES 8192u
#define PT__HOLDS_WINDOW 32u
#define PT__HOLDS_COVERED_OFF 1024u
#define PT__HOLDS_NCOVERED 16u
#define PT__HOLDS_BELL_OFF 2048u
#define PT__HOLDS_PAGEGEN_OFF 3072u
#define PT__HOLDS_PER_PAGE 32u /* entries in 4 KiB */
#define PT__HOLDS_PAGES (PT__HOLDS_NENTRIES / PT__HOLDS_PER_PAGE)
#define PT__HOLDS_OWNERS_OFF 4096u
#define PT__HOLDS_ENTRIES_OFF (PT__HOLDS_OWNERS_OFF + PT__HOLDS_NOWNERS * 16u)
#define PT__HOLDS_FILE_SIZE ((uint64_t)PT__HOLDS_ENTRIES_OFF + PT__HOLDS_NENTRIES * 128ull)
#define PT__HOLDS_LOCK_OFF (1ull << 40)
#define PT__HOLDS_NAME_MAX 80u

enum pt__hold_kind {
    PT__HK_KEY = 1, /* an open registry key handle (identity: the key's directory) */
    PT__HK_SESSION, /* a MAPI session on a profile (identity: the profile's key) */
    PT__HK_MAP,     /* a shared mapping of a file or POSIX shm object */
    PT__HK_FILE,    /* a descriptor open on a regular file for writing (proftrace/open_holds.h) */
    PT__HK_LAST = PT__HK_FILE,
};

enum { PT__HE_FREE = 0, PT__HE_BUSY = 1, PT__HE_READY = 2 };

struct pt__holds_hdr {
    char magic[8];
    uint32_t version, endian, header_size, nowners;
    uint32_t owner_size, nentries, entry_size, window;
    uint64_t owners_off, entries_off, lock_off, file_size;
    uint32_t uid;         /* whose table: the file's owner */
    uint32_t bell_off;    /* where the shim rings */
    uint32_t pagegen_off; /* the page generations */
    uint32_t npages;
    uint32_t covered_off; /* devices the witness watches whole */
    uint32_t ncovered;
    /* the only fields that change (everything above is compared with the constants) */
    uint64_t seq;     /* holds published, bumped by the shim after each */
    uint64_t ends;    /* holds withdrawn, bumped by the shim after each */
    uint64_t waiting; /* 1: the witness waits for the doorbell (it sets it, a shim takes it) */
};
#define PT__HOLDS_HDR_CONST ((size_t)offsetof(struct pt__holds_hdr, seq))

struct pt__holds_owner {
    uint32_t gen;        /* bumped each time a process claims this slot */
    uint32_t pid;        /* getpid() of the owner, in its own pid namespace (display only) */
    uint64_t start_time; /* its start time, clock ticks since boot (display only) */
};

struct pt__holds_entry {
    uint64_t dev, ino;
    uint32_t state; /* PT__HE_* */
    uint32_t owner; /* owner slot + 1 */
    uint32_t gen;   /* the owner slot's generation when placed */
    uint32_t kind;  /* enum pt__hold_kind */
    uint32_t pid;   /* the holder's pid as it saw it (display) */
    uint32_t uid;   /* the holder's user (a mirrored entry keeps its holder's) */
    uint64_t t_begin;              /* pt_now() when published: how fast the witness watched it */
    char name[PT__HOLDS_NAME_MAX]; /* the tail of the name the holder used (display) */
};

_Static_assert(sizeof(struct pt__holds_owner) == 16, "owner slot layout");
_Static_assert(sizeof(struct pt__holds_entry) == 128, "entry layout");
_Static_assert(sizeof(struct pt__holds_hdr) <= PT__HOLDS_COVERED_OFF, "header layout");
_Static_assert(PT__HOLDS_COVERED_OFF + PT__HOLDS_NCOVERED * 8 <= PT__HOLDS_BELL_OFF, "covered");
_Static_assert(PT__HOLDS_PAGEGEN_OFF + PT__HOLDS_PAGES * 4 <= PT__HOLDS_OWNERS_OFF, "page gens");

/* One table as a process maps it. */
struct pt__htab {
    int fd;
    uint64_t fd_dev, fd_ino; /* what fd is: a number the program reused is not the table */
    void *map;
    struct pt__holds_hdr *hdr;
    struct pt__holds_owner *owners;
    struct pt__holds_entry *entries;
    uint32_t *pagegen;
    uint64_t *covered;
    uint32_t uid;
    uint32_t owner, gen; /* the owner slot this process claimed (slot + 1), 0: none */
};

/* What a hold says, to publish it. */
struct pt__hold {
    uint64_t dev, ino;
    uint32_t kind, pid, uid;
    uint64_t t_begin;
    const char *name; /* may be NULL; its tail is kept */
};

enum {
    PT__HT_CREATE = 1,  /* create the table when it is missing */
    PT__HT_REPLACE = 2, /* remove one not owned by its user first (the owner of rings/ may) */
};

/* The header this layout has, for `uid`. */
void pt__htab_want(struct pt__holds_hdr *h, uint32_t uid);

/* Open rings/.holds.<uid> in directory rings_fd, read-write, close-on-exec, never through a link.
 * Returns the descriptor after checking that it is a regular file with one link, owned by uid, not
 * writable by group or others, and PT__HOLDS_FILE_SIZE bytes long (a new one is sized here; one
 * of this user that is wider is narrowed to pt_perm_file_mode()). Else a negative errno (-EPERM:
 * owned by another user; -EPROTO: another size) with the reason in why[len]. */
int pt__htab_open(int rings_fd, uint32_t uid, int flags, char *why, size_t len);

/* Map the table of descriptor fd (from pt__htab_open) read-write into *t and write its header if
 * it is new. 0, or -EPROTO when its header is not this layout for uid (left alone), or mmap's
 * error. On success *t owns fd; pt__htab_close unmaps and closes. */
int pt__htab_map(struct pt__htab *t, int fd, uint32_t uid);
void pt__htab_close(struct pt__htab *t);

/* Claim an owner slot whose lock can be taken (its previous owner, if any, is dead) for the
 * calling process, the first such from a slot that pid and start_time pick (any slot is as good;
 * starts spread this way rarely try a live owner's), which must keep t->fd open to keep it (POSIX locks go with the first close of
 * any descriptor of the file in the process). 0 or -ENOSPC. */
int pt__htab_claim(struct pt__htab *t, uint32_t pid, uint64_t start_time);

/* Publish h under t's owner slot. Returns the entry's slot, or -1 when its window is full of live
 * holds (then it goes unpublished). Never blocks; reclaims dead owners' entries when it must. */
int pt__htab_add(struct pt__htab *t, const struct pt__hold *h);

/* Withdraw the entry at `slot` if still the calling owner's (its fields stay: see Doorbell). */
void pt__htab_remove(struct pt__htab *t, uint32_t slot);

/* After pt__htab_add of a hold on device dev: bump seq, and ring when the witness waits and does
 * not watch dev already. Keeps errno. */
void pt__htab_ring(struct pt__htab *t, uint64_t dev);

/* Is owner slot `owner` (slot + 1, from an entry: range-checked here) of generation gen alive?
 * 1 with *pid (its pid in the caller's pid namespace, 0 when unknown) or 0. */
int pt__htab_alive(const struct pt__htab *t, uint32_t owner, uint32_t gen, pid_t *pid);

/* A live hold of (dev, ino) by an owner other than the caller's: 1 and *out (a private copy), or
 * 0. A few system calls (F_GETLK) per candidate: for the delete path. */
int pt__htab_find_other(const struct pt__htab *t, uint64_t dev, uint64_t ino,
                        struct pt__holds_entry *out);

/* Owner liveness through any descriptor of a table (the collector's copy): as pt__htab_alive. */
int pt__htab_lock_alive(int fd, uint32_t owner, pid_t *pid);

/* Check a header read out of a table of uid (a private copy): 0, or -EPROTO with why. */
int pt__htab_check_hdr(const struct pt__holds_hdr *h, uint32_t uid, char *why, size_t len);

/* Is `name` a table's name (".holds." and a uid)? 1 and *uid, else 0. */
int pt__htab_name_uid(const char *name, uint32_t *uid);

#endif

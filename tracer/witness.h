/* witness.h — the collector's witness: deletions made by processes that are not traced.
 *
 * The holder of a resource is traced; the process that deletes it often is not (a logout clean-up,
 * a /tmp cleaner, an administrator's rm, a static or setuid tool LD_PRELOAD cannot enter). The
 * witness watches, from the collector, the filesystems of the resources traced processes hold with
 * fanotify (directory-entry events reported by file handle and name, with the deleter's pid), and the
 * SysV shared-memory tables of their IPC namespaces, and records each deletion it sees as a
 * `witnessed` / `witnessed_shm` event (event.h) into a ring of its own under the trace directory, so
 * every reader merges it with the traced events for free.
 *
 * What is witnessed is not traced: there is no stack, the time is when the witness read the report
 * or, for a deletion of something held, the earliest the deletion can have happened (it is read
 * late, maybe after its holder let go: witness_fanotify.c), and the deleter's identity (exe,
 * uid/euid, login session, namespaces) is read from /proc after the fact. A short-lived deleter (rm) may have exited by then; the witness also listens to the
 * kernel's process connector and reads the identity of every process when it execs, so that such a
 * deleter is still named ("exec" identity). IPC_RMID is invisible to fanotify: SysV removals are
 * found by comparing scans and said to be unattributed.
 *
 * Scope: what traced processes hold, and nothing else. A hold published in the shim's holds table
 * (a shared mapping, a registry key handle, a MAPI session's profile key) is watched as it begins:
 * a deletion is judged only after the tables were read again, and a hold on a filesystem not marked
 * yet rings a doorbell so that it is marked at once (witness_tables.c). What the table does not carry (other open files and directories) is found in
 * /proc when a process is first watched and by a rescan every second. SysV removals are recorded
 * for segments a watched process had attached; PT_WITNESS_ALL records every removal in their IPC
 * namespaces and every deletion in their /dev/shm (collect --witness-all).
 *
 * Threads: by default pt_witness_start runs a thread of its own that reads the kernel reports as
 * soon as they arrive (the identity race is won or lost in microseconds). With
 * PT_WITNESS_NO_THREAD the caller polls pt_witness_fd and calls pt_witness_drain instead. Every
 * function may be called from any thread; they serialise on an internal lock.
 */
#ifndef PT_TRACER_WITNESS_H
#define PT_TRACER_WITNESS_H

#include <stdint.h>
#include <sys/types.h>

struct pt_witness;

enum {
    PT_WITNESS_NO_THREAD = 1, /* the caller drives pt_witness_drain */
    PT_WITNESS_NO_EXECS = 2,  /* do not listen for execs (identity only while the deleter lives) */
    PT_WITNESS_ALL = 4,       /* also what no traced process holds: every SysV removal in their
                               * IPC namespaces, every deletion in their /dev/shm */
};

struct pt_witness_stats {
    uint64_t reports;     /* fanotify reports read */
    uint64_t recorded;    /* witnessed + witnessed_shm events written */
    uint64_t lost;        /* events the ring refused (full) */
    uint64_t self;        /* deletions made by the collector itself, not recorded */
    uint64_t outside;     /* deletions outside every watched directory, not recorded */
    uint64_t tracedir;    /* reports read of names removed or renamed in the trace directory,
                           * rings/ or rings/.pool by another process (a traced one taking a ring
                           * file): set aside. The kernel is told to drop them (0 where it can) */
    uint64_t ident_live;  /* deleter identity read while it ran */
    uint64_t ident_exec;  /* ... taken from the exec cache */
    uint64_t ident_gone;  /* ... not known (exited too early) */
    uint64_t unresolved;  /* deletions in directories gone before they could be named, of
                           * nothing a watched process held: not recorded */
    uint64_t reused;      /* deletions of a file gone for good whose inode number a held file
                           * has now (reused): not recorded */
    uint64_t overflows;   /* fanotify queue overflows (reports the kernel dropped) */
    uint64_t execs;       /* exec notifications read */
    uint64_t execs_missed; /* ... whose process had exited before it could be read */
    uint64_t shm_scans;   /* SysV table scans */
    uint64_t shm_removed; /* SysV removals recorded */
    uint64_t shm_unheld;  /* SysV removals of segments no watched process held, not recorded */
    uint64_t holds;       /* holds announced by the holds tables */
    uint64_t holds_ended; /* ... first read when over already (ended or holder dead): noted */
    uint64_t holds_timed; /* ... of them published after the witness started: */
    uint64_t hold_lat_max_ns, hold_lat_sum_ns; /* from a hold's publication to its being watched */
    uint64_t holds_mirrored; /* other users' holds mirrored into the collector's user's table */
    uint64_t bells;       /* doorbells the holds tables rang (writes inotify reported) */
    unsigned tables;      /* holds tables read */
    unsigned filesystems; /* filesystems marked whole */
    unsigned dirs;        /* directories marked alone (filesystem could not be marked) */
    unsigned ipc_ns;      /* IPC namespaces scanned */
};

/* Start witnessing into a ring of its own in `tracedir` (the directory the collector drains; give
 * pt_collector_dir_at), created when there is a first thing to record, reading the holds tables of
 * tracedir/rings. Returns 0
 * and *out, or a negative errno with a one-line reason in why[whylen] (e.g. -EPERM: "fanotify
 * needs CAP_SYS_ADMIN in the initial user namespace"): the collector then says once that deleters
 * that are not traced will not be seen, and goes on without. Nothing is watched until
 * pt_witness_watch_path / pt_witness_watch_pid. */
int pt_witness_start(const char *tracedir, unsigned flags, struct pt_witness **out, char *why,
                     size_t whylen);

/* Watch deletions of `path`: a directory and everything under it, or a file (that entry only,
 * removed or renamed away). Its whole filesystem is marked once (or, where it cannot be marked
 * whole, the directory alone); only deletions of what is watched are recorded. Cheap to call
 * again.
 * Returns 0, or a negative errno (the path does not exist, the filesystem refuses marks). */
int pt_witness_watch_path(struct pt_witness *w, const char *path);

/* Watch a traced process (pid in the collector's pid namespace): what it holds on filesystems —
 * its open directories (registry key handles) with what is under them, its open files and its
 * shared file mappings (POSIX shared memory), as it sees them (through /proc/PID/root, so a
 * private /dev/shm is its own; that /dev/shm's filesystem is marked at once), rescanned every
 * second while it lives, and what it publishes in the holds table as it begins — and the SysV
 * shared memory of its IPC namespace; a segment it has attached is named as held by it. The trace
 * directory is never watched, nor the collector itself (its own ring is attached like any other).
 * Returns 0 or a negative errno (the process is gone). */
int pt_witness_watch_pid(struct pt_witness *w, pid_t pid);

/* pt_witness_watch_pid as a callback (arg: the witness), for a collector's "ring attached" hook. */
void pt_witness_on_attach(void *witness, pid_t pid);

/* Seconds between two scans of the SysV tables (default 0.1). */
void pt_witness_set_scan_interval(struct pt_witness *w, double seconds);

/* A descriptor that becomes readable when pt_witness_drain has work (PT_WITNESS_NO_THREAD). */
int pt_witness_fd(const struct pt_witness *w);

/* Read every pending report, record what it says, scan SysV tables when due. Never blocks.
 * Returns the number of events recorded, or a negative errno. */
int pt_witness_drain(struct pt_witness *w);

/* Scan the SysV tables now (tests, and before the collector stops). Returns events recorded. */
int pt_witness_scan_now(struct pt_witness *w);

void pt_witness_stats(struct pt_witness *w, struct pt_witness_stats *out);

/* The path of the witness's ring (valid until pt_witness_stop), NULL while nothing was witnessed:
 * the ring is created with the first event, so a witness that saw nothing leaves no trace. */
const char *pt_witness_ring_path(const struct pt_witness *w);

/* Stop: drain what is pending, stop the thread, close the ring (normal close). NULL is a no-op. */
void pt_witness_stop(struct pt_witness *w);

#endif

/* witness_internal.h — declarations shared between the witness's files (pt__w names). */
#ifndef PT_TRACER_WITNESS_INTERNAL_H
#define PT_TRACER_WITNESS_INTERNAL_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "tracer/witness.h"

/* ---- A deleter's identity (witness_identity.c) ----------------------------------------------- */

enum pt__wident_state {
    PT__WID_NONE = 0, /* no deleter known */
    PT__WID_LIVE,     /* read while it ran: every field, all of them from the running process */
    PT__WID_EXEC,     /* read so, whole, when it exec'd */
    PT__WID_GONE,     /* it exited before all of it could be read: nothing but the pid */
};

#define PT__WNS 8 /* PT_NAMESPACES, in that order */

struct pt__wident {
    int state;
    uint32_t pid, ppid, uid, euid, sessionid, loginuid;
    uint64_t start_time; /* clock ticks since boot */
    uint64_t ns[PT__WNS];
    char exe[PATH_MAX];
    char cmdline[512];
};

const char *pt__wident_state_name(int state);

/* Read process `pid`'s identity from /proc, all of it or nothing. With pidfd >= 0 (a pidfd of that
 * process) the result is checked to belong to it: the read counts only if the process is still
 * alive after /proc/<pid> was opened. Returns 0 with id->state = PT__WID_LIVE when every field was
 * read and the process still ran (no zombie) after the last of them, or -ESRCH when it is gone or
 * went during the read (then id->state = PT__WID_GONE and only id->pid is set). */
int pt__wident_read(pid_t pid, int pidfd, struct pt__wident *id);
/* The same, calling between(arg, step) before each of its reads (step 0, 1, ...): for tests, which
 * make the process exit at each point of the read in turn. */
int pt__wident_read_stepwise(pid_t pid, int pidfd, struct pt__wident *id,
                             void (*between)(void *arg, unsigned step), void *arg);
/* Nothing known but the pid: ids -1, the rest 0. */
void pt__wident_unknown(struct pt__wident *id, pid_t pid, int state);
/* When the process of a PT__WID_LIVE identity was born, as a pt_now() time rounded down to its
 * clock tick (it deleted nothing before); 0 for any other identity, whose process may not be the
 * one that deleted. */
uint64_t pt__wident_born(const struct pt__wident *id);

/* ---- Exec cache: identity read at exec time, from the process connector (witness_execs.c) ---- */

struct pt__wexecs;

/* Subscribe to the kernel's process events. 0, or a negative errno (no CAP_NET_ADMIN, no
 * CONFIG_PROC_EVENTS). */
int pt__wexecs_open(struct pt__wexecs **out);
int pt__wexecs_fd(const struct pt__wexecs *x);
/* Read pending process events; reads the identity of every process that exec'd. Returns the
 * number of execs seen. */
int pt__wexecs_drain(struct pt__wexecs *x);
uint64_t pt__wexecs_missed(const struct pt__wexecs *x);
/* The identity of `pid` as read at its last exec (state PT__WID_EXEC), 0; -ENOENT if unknown. */
int pt__wexecs_lookup(struct pt__wexecs *x, uint32_t pid, struct pt__wident *out);
/* Call fn for every cached exec read at or after `since` (pt_now() time). */
void pt__wexecs_each_since(struct pt__wexecs *x, uint64_t since,
                           void (*fn)(void *arg, const struct pt__wident *id, uint64_t exec_ts),
                           void *arg);
void pt__wexecs_close(struct pt__wexecs *x);

/* ---- What a deletion looks like before it is recorded (witness_record.c) -------------------- */

struct pt__wdel {
    const char *how; /* "unlink", "rmdir", "rename" */
    const char *via; /* "fanotify" */
    char path[PATH_MAX];
    char name[NAME_MAX + 1];
    char new_path[PATH_MAX];
    uint64_t dir_dev, dir_ino, dev, ino;
    uint64_t ts; /* the earliest it can have happened (witness_fanotify.c); 0: when read */
    struct pt__wident who;
};

struct pt__wshm {
    const char *via; /* "sysv-scan" */
    int32_t shmid;
    uint64_t key, ipc_ns, size, seen_ts;
    uint32_t nattch, cpid, lpid, owner_uid, holder;
    struct pt__wident who; /* state NONE: unattributed */
};

/* Read the holds tables again (what changed), before a batch of reports is judged. Caller holds
 * the witness lock. */
void pt__witness_poll_tables(struct pt_witness *w);

/* Do the holds tables, as last read, have a hold of object (dev, ino) that began at or after
 * `since` and whose holder still holds it (entry published, owner alive now)? 1 or 0. Caller holds
 * the witness lock. */
int pt__witness_holds_live(struct pt_witness *w, uint64_t dev, uint64_t ino, uint64_t since);

/* Is the deleter of identity `who` a process the witness knows to be traced (its ring attached or
 * seen in rings/)? Its trace has its deletions at the call. Caller holds the witness lock. */
int pt__witness_traced(struct pt_witness *w, const struct pt__wident *who);

/* Record into the witness's ring (the caller holds the witness lock): a deletion with d->ts set
 * into a buffer of its own, kept in time order, dated no earlier than the last one there. 0 or
 * -ENOSPC (counted). */
int pt__witness_record_del(struct pt_witness *w, const struct pt__wdel *d);
int pt__witness_record_shm(struct pt_witness *w, const struct pt__wshm *s);

/* Encoders, separate from the ring so the benchmark and tests can size events. */
struct pt_tbuf;
int pt__wrec_del(struct pt_tbuf *b, uint64_t ts, const struct pt__wdel *d);
int pt__wrec_shm(struct pt_tbuf *b, uint64_t ts, const struct pt__wshm *s);

/* ---- fanotify (witness_fanotify.c) ------------------------------------------------------------ */

struct pt__wfan;

/* Open the fanotify group. 0, or a negative errno with a reason in why. */
int pt__wfan_open(struct pt__wfan **out, char *why, size_t whylen);
int pt__wfan_fd(const struct pt__wfan *f);
/* Never record deletions under dir (the trace directory). */
void pt__wfan_ignore(struct pt__wfan *f, const char *dir);
/* Mark the filesystem of `path` (or the directory) and remember the directory as watched. Sets
 * *fs_marked / *dir_marked when a new mark was added. */
int pt__wfan_watch(struct pt__wfan *f, const char *path, int *fs_marked, int *dir_marked);
/* Read every pending report and hand each deletion to the witness. Returns deletions recorded. */
int pt__wfan_drain(struct pt__wfan *f, struct pt_witness *w, struct pt__wexecs *execs,
                   struct pt_witness_stats *st);
/* How a hold noted with pt__wfan_note_held was known. */
enum pt__wheld {
    PT__WHELD_ENDED, /* a table's hold, over when first read: only for a deletion made meanwhile */
    PT__WHELD_TABLE, /* a table's hold, live when read; `seen` is its publication */
    PT__WHELD_SCAN,  /* found held in /proc (or watched) at `seen` */
};
/* Remember that a traced process holds object (dev, ino), as known at `seen` (pt_now(): when it
 * was published or found; the latest is kept): its deletion, and, when it is a directory (dir),
 * the deletion of an entry of it, is recorded wherever it is on a marked filesystem, even when its
 * directory can no longer be named, and dated no earlier than `seen`. how: enum pt__wheld. hid:
 * for a scan, the object's pt__wfan_handle_id (0 unknown), which tells it from a later object
 * that gets its inode number. */
void pt__wfan_note_held(struct pt__wfan *f, uint64_t dev, uint64_t ino, uint64_t seen, int dir,
                        int how, uint64_t hid);
/* The identity of the object `path` names, symbolic links followed (/proc/PID/fd/N: the open
 * object): a hash of its file handle — inode number and generation —, as fanotify reports it; 0
 * when it has none. */
uint64_t pt__wfan_handle_id(const char *path);
/* Does a noted hold on device dev need nothing more to be seen deleted (its filesystem is marked
 * whole and reports name the deleted object)? 1 or 0. */
int pt__wfan_covers(const struct pt__wfan *f, uint64_t dev);
/* The devices pt__wfan_covers says so of, at most max of them into devs. Returns how many. */
unsigned pt__wfan_covered(const struct pt__wfan *f, uint64_t *devs, unsigned max);
/* Mark the whole filesystem of directory `path` (no directory is watched by it): deletions of
 * held objects on it are seen from their first instant. Sets *fs_marked when newly marked. 0 or a
 * negative errno (the filesystem cannot be marked whole). */
int pt__wfan_mark_fs(struct pt__wfan *f, const char *path, int *fs_marked);
void pt__wfan_close(struct pt__wfan *f);

/* ---- What a traced process holds (witness_holds.c) ------------------------------------------- */

/* Watch the directories of the files and directories process pid has open and the files it maps
 * shared (not under tracedir). Adds the marks made to *fs / *dirs. Returns how many held objects
 * are watched, or a negative errno (the process is gone). */
int pt__wholds_scan(struct pt__wfan *f, pid_t pid, const char *tracedir, int *fs, int *dirs);

/* ---- The shim's holds tables (witness_tables.c) ----------------------------------------------- */

struct pt__wtab;

/* A hold the tables announced. */
struct pt__wtab_hold {
    uint64_t dev, ino;
    uint32_t kind, uid; /* enum pt__hold_kind; the user whose table it is in */
    pid_t pid;          /* the holder in our pid namespace (from its lock), 0 when unknown */
    int ended;          /* over already (withdrawn, or its holder died) when it was first read */
    uint64_t t_begin;   /* pt_now() when the shim published it */
    const char *name;
};

struct pt__wtab_stats {
    uint64_t holds;    /* live holds announced */
    uint64_t ended;    /* holds first read when they were over already, announced as ended */
    uint64_t bells;    /* writes into tables inotify reported (doorbells, mostly) */
    uint64_t reads;    /* tables read (what changed in them) */
    uint64_t pages;    /* pages of entries read */
    uint64_t mirrored; /* holds of other users mirrored into ours */
    uint64_t refused;  /* tables refused (planted, wrong layout) */
    uint64_t too_many; /* tables beyond the limit, not read */
    unsigned tables;   /* tables being read */
};

/* Read the holds tables of tracedir/rings from now on: on_hold(arg, h) for each live hold as it
 * appears (those already there included, at the first poll), and for each hold that began after
 * the open and was over when first read (h->ended); covered(arg, devs, max) fills the
 * devices whose deletions are seen without a wake-up (0 for none), told to the shims. 0 or a
 * negative errno. */
int pt__wtab_open(struct pt__wtab **out, const char *tracedir,
                  void (*on_hold)(void *arg, const struct pt__wtab_hold *h),
                  void (*covered)(void *arg, uint64_t *devs, unsigned max), void *arg);
/* Readable when a table's doorbell rang (inotify). */
int pt__wtab_fd(const struct pt__wtab *w);
/* Take the doorbells and read every table that changed. Returns the new holds announced. */
int pt__wtab_poll(struct pt__wtab *w);
/* Has a table, as last read, a hold of (dev, ino) begun at or after `since` whose entry is
 * published and whose owner is alive now? 1 or 0 (a scan of the copies: for the rare death of a
 * held number's object). */
int pt__wtab_live(struct pt__wtab *w, uint64_t dev, uint64_t ino, uint64_t since);
/* Was a ring of process pid (in our pid namespace; also of start time `start` unless 0) seen in
 * rings/, up to now? Reads what inotify queued first. 1 or 0. */
int pt__wtab_traced(struct pt__wtab *w, pid_t pid, uint64_t start);
/* Each scan interval: mirrors of holders that died go. */
void pt__wtab_tick(struct pt__wtab *w);
void pt__wtab_stats(const struct pt__wtab *w, struct pt__wtab_stats *out);
void pt__wtab_close(struct pt__wtab *w);

/* ---- SysV shared memory (witness_sysv.c) ---------------------------------------------------- */

struct pt__wsysv;

/* all: record every removal in the watched namespaces; else only of segments a watched process
 * had attached (PT_WITNESS_ALL). */
int pt__wsysv_open(struct pt__wsysv **out, int all);
/* Add the IPC namespace of `pid` and remember pid as a holder; *new_ns set when it was new. */
int pt__wsysv_watch_pid(struct pt__wsysv *s, pid_t pid, int *new_ns);
/* pid is gone: never read its maps again (another process may get its number). */
void pt__wsysv_forget_pid(struct pt__wsysv *s, pid_t pid);
/* Scan every watched namespace, record removals. Returns removals recorded. */
int pt__wsysv_scan(struct pt__wsysv *s, struct pt_witness *w, struct pt__wexecs *execs,
                   struct pt_witness_stats *st);
unsigned pt__wsysv_count(const struct pt__wsysv *s);
void pt__wsysv_close(struct pt__wsysv *s);

#endif

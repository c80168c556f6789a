/* model.h — the analyzer's cross-process model (internal to analyzer/).
 *
 * Design
 * ------
 * One pass over the time-ordered events builds:
 *   processes   by stream and pid, with identity (pid + start time + namespace inodes), creds,
 *               login session and how they ended (exit, fatal signal, reaped, pid reused);
 *   holds       who holds what by physical identity: a MAPI session on a profile key, an open key
 *               handle, a shared mapping, a SysV attachment, a mapped view, a file open for
 *               writing (a fork child holds copies of its parent's shared mappings and SysV
 *               attachments, as the kernel gives them). Open holds are indexed by identity; a
 *               closed hold is freed at once, so memory follows live state, not trace length
 *               (an export asks to keep a record of every hold: pt__keep_holds);
 *   views       per process, the physical in-use object its profile library opened inside MAPI
 *               calls, with the account, login session and namespaces at that moment;
 *   marks       `Deleted Profiles` entries;
 *   deletions   a successful delete that removed the identity of a hold of *another* process
 *               becomes a candidate (struct pt__del). Only candidates are kept;
 *   victims     the later failures of any process on what a deletion removed (struct pt__victim),
 *               found by the identity or the name they name.
 * What a call does comes from the role column of the call table (calls.h), read through pt__rows:
 * the model acts on roles and kinds (a KEY hold begins, a FILE is deleted), never on call names.
 * A nested call is written before the call containing it, so a deletion is first seen without
 * knowing the API call it belongs to; it waits on its thread until its ancestors arrive, which
 * names it "MAPIInitialize > RegDeleteTreeA > unlinkat". Facts that arrive later still (the
 * holder's `reaped` event, its failing OpenMsgStore, the deleter's in-use view) are why the
 * detectors (rules.h) run once, at the end of the input, over the candidates, and why each
 * finding's verdict is decided after them, once (verdict.c).
 *
 * The model's files, one concern each: model.c (dispatch: each event to the part that handles
 * it; create, finish, free), model_procs.c (processes and threads), model_holds.c (holds and
 * deletions), model_victims.c (the failures deletions cause), model_witness.c (deleters seen by
 * the collector's witness), model_prior.c (holds found when proftrace attached to a running
 * process), model_fork.c (the mappings a fork child inherits), model_mapi.c (registry key paths,
 * MAPI sessions, in-use views, marks, the profile store), rows.c (the call table as the model
 * reads it).
 */
#ifndef PT_ANALYZER_MODEL_H
#define PT_ANALYZER_MODEL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/analyzer.h"
#include "analyzer/grow.h"
#include "analyzer/map.h"
#include "analyzer/rules.h"
#include "proftrace/calls.h"
#include "proftrace/event.h"

#define PT__NIDS (PT_EV_CALL_FIRST + PT_CALL_COUNT)
#define PT__ID(call) (PT_EV_CALL_FIRST + PT_CALL_##call)
#define PT__NONE UINT32_MAX

/* SysV identities are (IPC namespace, shmid + 1), kept apart from (dev, ino) pairs by this bit. */
#define PT__SYSV_DEV(ns) ((ns) | (1ull << 63))

/* ---- the call table as the model reads it (rows.c) ---- */

/* A field index of a row, plus one: 0 is "no such field", PT__IX_RET the call's result. */
#define PT__IX_RET 0xffu

struct pt__row {
    uint8_t cat;  /* enum pt_category */
    uint8_t retk; /* enum pt_ret_kind */
    uint8_t vtbl; /* a method: field 0 is the object (This) */
    uint8_t role; /* enum pt_role */
    uint8_t kind; /* enum pt_kind */
    uint8_t h;    /* the handle or result the role names (HOLD_*, CLOSE, OPEN/CREATE MAPPING) */
    uint8_t s;    /* the string it names: a path, a name, a subkey, a profile */
    uint8_t n;    /* the number it names: a descriptor (MAP), a shmid (SYSV), a mapping (VIEW) */
    uint8_t dev, ino; /* the identity recorded with it (PATH-like and descriptor captures) */
    uint8_t len;      /* MAP: the length */
    uint8_t flags;    /* MAP: mmap's flags; SYSV delete: shmctl's cmd; OPEN FILE: open's flags */
    uint8_t hkey;     /* REG rows: the key handle the call works on (hKey) */
};
extern const struct pt__row pt__rows[PT_CALL_COUNT];

/* The row of a call event (NULL for other events). */
static inline const struct pt__row *pt__row_of(unsigned id)
{
    return id >= PT_EV_CALL_FIRST && id < PT__NIDS ? &pt__rows[id - PT_EV_CALL_FIRST] : NULL;
}

/* The category of an event class (PT_CAT_*), -1 for an event that is not a call. */
static inline int pt__ev_category(unsigned id)
{
    return id >= PT_EV_CALL_FIRST && id < PT__NIDS ? pt__rows[id - PT_EV_CALL_FIRST].cat : -1;
}

/* Values of an event by row index: 0 / "" when the row has no such field. */
static inline uint64_t pt__ixu(const struct pt_event *ev, uint8_t ix)
{
    if (ix == PT__IX_RET)
        return (uint64_t)ev->ret;
    return ix && ix <= ev->nfields ? ev->field[ix - 1].u : 0;
}

static inline const char *pt__ixs(const struct pt_event *ev, uint8_t ix)
{
    return ix && ix <= ev->nfields && ev->field[ix - 1].str.s ? ev->field[ix - 1].str.s : "";
}

/* Did the call succeed (its ret kind's judgement, the shim's own)? */
static inline int pt__ok(const struct pt__row *r, int64_t ret)
{
    return !pt_ret_failed((enum pt_ret_kind)r->retk, ret);
}

/* ---- records ---- */

enum pt__end { PT__ALIVE, PT__EXITED, PT__SIGNALLED, PT__REAPED, PT__REPLACED };

/* Identity of a process at one moment (what a finding shows side by side). */
struct pt__who {
    uint32_t uid, euid, gid, egid, sessionid, loginuid;
    uint64_t ns[PT_NS_COUNT];
};

/* A process's in-use view candidate: a file mapping its profile library opened (a MAPPING). */
struct pt__view {
    char *name;        /* mapping name as the library asked for it ("Local\\MAPISIM_InUse_...") */
    char *shm_name;    /* the shm_open name it became, when seen */
    uint64_t dev, ino; /* physical identity; 0/0 when not seen */
    uint64_t handle;   /* the mapping handle the call returned */
    uint64_t ts;
    struct pt__who who; /* creds/session/namespaces of the opening thread */
    int8_t in_mapi;     /* 1 inside a MAPI call, 0 not, -1 not yet known */
    uint8_t prior;      /* found by an attach (prior_hold): name is the object's path, the name
                         * the library gave it is not known */
};

struct pt__module {
    uint64_t base, size, bias;
    const char *path, *build_id; /* interned (model_procs.c) */
};

struct pt__lost {
    uint64_t from, to; /* events were lost between these times */
    uint64_t count;
};

struct pt__proc {
    uint32_t idx;
    uint32_t pid, ppid, global_pid;
    uint64_t start_time;
    struct pt__who who; /* current, process-wide */
    char *exe, *cmdline;
    int have_identity; /* a `process` event was seen */
    uint8_t witnessed; /* not traced: known only as the deleter of a `witnessed*` event */
    char ident[8];     /* witnessed: how its identity was read ("live", "exec", "gone", "none") */
    uint64_t first_ts, last_ts, nevents;
    /* Its images: every exec gives the process a new ring, so a new stream, and the follower may
     * read an older image's stream after a newer one's (docs/rotation.md). What ends an image's
     * holds ends only what began before it, by these times, whatever the order of arrival. */
    uint64_t image_ts; /* the `process` event of the newest image seen (0: none) */
    uint64_t exec_ts;  /* the latest successful exec seen (0: none) */
    enum pt__end end;
    uint64_t end_ts, reaped_last_ts;
    uint64_t reaped_ring; /* REAPED: the last event of the ring the collector found dead */
    int32_t end_status, end_signo;
    struct pt__view *views;
    uint32_t nviews, capviews;
    struct pt__module *mods;
    uint32_t nmods, capmods;
    struct pt__lost *lost;
    uint32_t nlost, caplost;
    uint64_t lost_total;
    uint64_t store_dev, store_ino; /* the Profiles key this process opened (its profile store) */
    uint64_t store_ts;
    char *marks_keys[4]; /* names of `Deleted Profiles*` keys it opened or tried */
    uint32_t nmarks_keys;
    uint32_t holds_head;  /* open holds of this process (list through pt__hold.pnext) */
    uint32_t watch_head;  /* candidates where this process is the holder (victims) */
    uint32_t thread_head; /* its threads (freed when it ends) */
    uint32_t last_thread; /* the thread of its last call (a cache: PT__NONE or an index) */
    uint64_t forked_ts;   /* born by a fork on record (the fork's entry): it got the parent's
                           * mappings then (model_fork.c); 0: not known to be a fork child */
    uint8_t born_exec;    /* its first traced image was started by an exec (its process event's
                           * exec=1: a fork child that exec'd before it recorded anything), not its
                           * parent's image: it inherits no mapping */
};

struct pt__hold {
    enum pt_kind kind; /* KEY, SESSION, VIEW, MAP, SYSV, FILE (an open file) */
    uint32_t proc;
    uint32_t tid;
    uint64_t handle;       /* session handle, HKEY, view or mapping address, shmat address,
                            * descriptor + 1 */
    uint64_t len;          /* mapping length; for a session: index of its pt__sess */
    uint64_t dev, ino;     /* physical identity (SysV: PT__SYSV_DEV(ipc ns), shmid + 1) */
    uint64_t ts;           /* when it began */
    char *name;            /* profile name (owned) */
    char *path;            /* key path, or a profile's key path (owned) */
    const char *api;       /* the call that began it */
    struct pt__who who;    /* holder identity then */
    uint32_t inext, iprev; /* list of open holds with the same identity */
    uint32_t pnext, pprev; /* list of open holds of the same process */
    uint32_t kept;         /* its record in a->kept + 1 (0: none kept) */
    uint8_t live;
    uint8_t prior;     /* held since before proftrace attached (prior_hold) */
    uint8_t seen;      /* SYSV: not begun by a call on record; the collector's witness found it
                        * attached when it noticed the segment's removal (model_witness.c) */
    uint32_t from_pid; /* MAP, SYSV: inherited at fork (ts) from this process (its pid), whose hold
                        * began by `api`; 0: its own (model_fork.c) */
    uint32_t oflags;   /* FILE: the open flags */
};

/* The record of a hold from its beginning to its end, kept for an export (pt__keep_holds). */
struct pt__kept_hold {
    uint32_t proc, tid;
    enum pt_kind kind;
    uint8_t depth;   /* of the call that began it */
    uint8_t by_call; /* ended by a call (or a reused handle) at t1; 0: still held, or until its
                      * process ended (see the process's end) */
    uint64_t handle;
    uint64_t t0, t1;   /* entry of the call that began it; the end when by_call */
    uint64_t ino, len; /* MAP: identity and length */
    int64_t num;       /* MAP: the descriptor; SYSV: the shmid */
    const char *name;  /* SESSION: the profile; VIEW: the mapping's name ("" unnamed); borrowed
                        * from records that live as long as the analyzer */
};

/* A deletion that removed what another process held: the candidate the detectors judge. */
struct pt__cand {
    struct pt__hold h; /* copy of the hold as it was (strings owned by the candidate) */
    uint32_t wnext;    /* next candidate watched by the same holder process */
    uint32_t del;      /* owning deletion */
    uint8_t used;      /* already part of a finding */
    uint64_t ended;    /* the hold had ended when the deletion was noticed, at this time, after
                        * the earliest the deletion can have happened (a witnessed SysV removal) */
};

/* A failure a deletion caused (model_victims.c): the first failing call of one process, any
 * process, on what the deletion removed, with how many more failed. A failure inside another
 * traced call waits for the calls around it: the outermost of them that failed is the failure the
 * program saw, and the nested one its detail ("OpenMsgStore -> MAPI_E_CALL_FAILED (RegQueryValueExA
 * -> ERROR_KEY_DELETED)"); when none of them failed, the library handled it and it is dropped. */
struct pt__victim {
    uint32_t del, proc, tid;
    uint32_t next;    /* next victim of the same deletion, in the order they were found */
    uint64_t ts;      /* when it failed (the exit of `call`, or of the detail while it waits) */
    const char *call; /* the failing call the program saw; NULL while only the detail is known */
    int64_t ret;
    int32_t err;
    const char *detail_call; /* the nested failure inside `call`, when there is one */
    int64_t detail_ret;
    int32_t detail_err;
    uint8_t dropped; /* the calls around its detail succeeded: not a failure the program saw */
    uint8_t nframes;
    uint32_t nfailures; /* failing calls of this process on it (the first included) */
    uint64_t frames[PT_MAX_FRAMES];
};

struct pt__del {
    uint32_t proc, tid;
    uint64_t ts, ts_enter;
    uint8_t depth;
    enum pt_kind kind; /* FILE, SHM, RENAME, SYSV */
    const char *call;  /* the deleting system call (unlinkat, shm_unlink, shmctl ...) */
    char *target;      /* its path / name / "shmid N" (owned) */
    uint64_t dev, ino;
    const char *api; /* direct parent call when nested (RegDeleteTreeA) */
    char *api_args;  /* its arguments, resolved (owned) */
    uint64_t api_ts_enter;
    const char *via; /* outermost enclosing call (MAPIInitialize, IProfAdmin_DeleteProfile ...) */
    uint64_t via_ts_enter, via_ts;
    int pending;        /* still waiting for ancestors */
    struct pt__who who; /* deleter identity at the delete */
    uint8_t nframes;
    uint64_t frames[PT_MAX_FRAMES];
    uint32_t cand_first, ncand;
    uint32_t victim_head, victim_tail; /* the failures it caused (struct pt__victim) */
    uint32_t finding1; /* the finding that tells it, + 1 (0: none) */
    uint32_t fnext;    /* the next deletion that finding tells (one operation, several objects) */
    uint8_t witnessed;    /* seen by the collector's witness, not traced: no stack */
    uint8_t unattributed; /* witnessed, deleter unknown (SysV removal noticed by a scan) */
    uint64_t noticed;     /* witnessed SysV removal: the scan that noticed it; it happened in
                           * (ts, noticed], ts being the scan before, which saw it intact */
};

/* A MAPI session, kept after it ends (sessions are few) for the latent-hazard rule. */
struct pt__sess {
    uint32_t proc;
    char *profile;
    uint64_t dev, ino;
    uint64_t store_dev, store_ino;
    uint64_t ts, end_ts; /* end_ts 0 while open */
    uint64_t handle;
    char *path; /* the profile's key path, when seen */
};

/* A `Deleted Profiles` entry. */
struct pt__mark {
    char *profile, *marks_key, *path;
    uint64_t dev, ino; /* identity of the mark's key */
    uint64_t store_dev, store_ino;
    uint32_t proc;
    uint64_t ts, removed_ts; /* removed_ts 0 while present */
    const char *via;
};

/* What a completed nested call leaves for the calls around it. */
struct pt__child {
    uint16_t id;
    uint8_t depth;
    int64_t ret;
    int32_t err;
    uint64_t ts, ts_enter;
    uint64_t dev, ino; /* identity of what it opened (a descriptor, a key) */
    uint64_t handle;   /* a returned key handle */
    char *path;        /* key path or shm name (owned) */
};

/* A failure inside a traced call, waiting on its thread for the calls around it
 * (model_victims.c). */
struct pt__pend_victim {
    uint32_t victim; /* its victim entry */
    uint8_t depth;   /* the shallowest matching failure so far */
    uint8_t fresh;   /* the entry was made by this failure (else it counts one more failure) */
    uint8_t failed;  /* a call around it failed too */
};

#define PT__MAXCHILD 64
#define PT__MAXPEND 64

struct pt__thread {
    uint32_t proc, tid;
    uint32_t idx, next; /* index in pt_analyzer.threads; next thread of the same process */
    int have_cred;
    struct pt__who who;
    struct pt__child child[PT__MAXCHILD];
    uint32_t nchild;
    uint32_t pend_del[PT__MAXPEND]; /* deletions waiting for their ancestors */
    uint32_t npend_del;
    uint32_t pend_view[8]; /* views waiting to learn whether they are inside MAPI */
    uint32_t npend_view;
    struct pt__pend_victim pend_victim[8]; /* failures waiting for the calls around them */
    uint32_t npend_victim;
};

/* A liveness check the deleter's shim made just before a delete (PROFTRACE_BREAK=delete-held): the
 * holds table, whose owners' liveness is a lock the kernel drops when they die, found a live
 * holder of (dev, ino). Evidence that the holder was alive at the delete. */
struct pt__bp {
    uint32_t proc, tid;
    uint64_t ts;
    uint64_t dev, ino;
    uint32_t holder_pid; /* in the holder's own pid namespace */
    uint8_t stopped;     /* a debugger was attached and the deleter stopped there */
};

/* How the analyzer knows whether a holder was alive when its object was deleted (judge.c). */
enum pt__live {
    PT__LIVE_CHECKED, /* the deleter's liveness check found its hold live just before (pt__bp) */
    PT__LIVE_LATER,   /* it wrote events after the delete (or its end came after it) */
    PT__LIVE_SILENT,  /* no sign of life after its last event before the delete, no end recorded */
    PT__LIVE_REAPED,  /* the same, and later found dead by the collector (`reaped`) */
};

struct pt__liveness {
    uint8_t how;     /* enum pt__live */
    uint8_t stopped; /* CHECKED: the deleter stopped there in a debugger */
    uint64_t at;     /* CHECKED: the check; LATER: its last event or end; REAPED: found dead */
    uint64_t last;   /* SILENT, REAPED: its last sign of life before the delete */
    uint64_t lost;   /* its events lost between the start of its hold and the delete */
};

/* What the deleter consulted before the delete: the evidence of its liveness check. */
enum pt__consult {
    PT__CONSULT_VIEW,     /* an in-use view: a file mapping its profile library opened in MAPI */
    PT__CONSULT_UNSEEN,   /* the deleting call consults one by its documented semantics (a MAPI
                           * call), but none was recorded */
    PT__CONSULT_NONE,     /* traced, and nothing in its trace consults an in-use view */
    PT__CONSULT_UNTRACED, /* witnessed, not traced: what it did before is not known */
};

/* How the in-use views of holder and deleter compare. */
enum pt__views {
    PT__VIEWS_NOT_SEEN,     /* one side (or both) has none recorded */
    PT__VIEWS_UNIDENTIFIED, /* both have one, but an object's identity was not recorded */
    PT__VIEWS_SAME,         /* one object */
    PT__VIEWS_DIFFER,       /* two objects */
};

/* One live holder of what a finding's deletion removed. */
struct pt__fholder {
    uint32_t proc;
    uint32_t cand;    /* its first hold removed by the operation */
    uint32_t nmerged; /* its further holds removed by the same operation */
    struct pt__liveness live;
    int have_view;        /* findings told by their in-use views only (struct pt__story) */
    struct pt__view view; /* its in-use view at the delete (shallow copy) */
};

/* A finding, as the detectors produce it and the reports print it. The rules decide what it is
 * about (deletion, holders, mark); the verdict (verdict.c) is then computed once into it, facts
 * and conclusions, and every output only renders these fields. */
struct pt__finding {
    enum pt__rule rule;
    /* the verdict: conclusions */
    enum pt__cause cause;
    const char *severity;
    int uncertain;
    char *uncertain_why; /* owned */
    char *why;           /* the cause in one sentence (owned) */
    const char *remedy;
    /* the verdict: facts (besides each holder's liveness) */
    uint8_t consult; /* enum pt__consult: what the deleter looked at */
    uint8_t views;   /* enum pt__views: how the two in-use views compare */
    uint32_t *victims;  /* failures it caused, first first (indexes of a->victims; owned) */
    uint32_t nvictims;
    /* what it is about */
    uint32_t del;      /* the (first) deletion; PT__NONE for a finding that is not one (latent) */
    uint32_t del_last; /* the last deletion of its operation (the chain through pt__del.fnext) */
    struct pt__fholder *holders; /* every live holder, the most telling first (owned) */
    uint32_t nholders, capholders;
    uint32_t cand;            /* the first holder's candidate */
    uint32_t mark;            /* PT__NONE when none */
    uint32_t deleter, holder; /* process indexes (holder: the first holder's) */
    int have_dview, have_hview;
    struct pt__view dview, hview; /* shallow copies (strings owned by the processes) */
    uint64_t latent_ts;           /* latent: when the hazard arose */
    uint32_t sess;                /* latent: the session at risk */
};

#define PT__STREAM_CACHE 64
struct pt__stream_slot {
    uint32_t stream, proc1; /* proc1: process index + 1, 0 when empty */
};

struct pt_analyzer {
    struct pt__proc **procs;
    uint32_t nprocs, capprocs;
    struct pt__map by_stream; /* (stream, 0) -> proc */
    struct pt__stream_slot stream_cache[PT__STREAM_CACHE]; /* in front of by_stream */
    struct pt__map by_pid;    /* (pid, 0) -> latest proc with that pid */

    struct pt__thread **threads;
    uint32_t nthreads, capthreads;
    struct pt__map by_tid; /* (proc, tid) -> thread */
    /* The stream and thread of the last event, and their process and thread: most events come in
     * runs of one thread. Forgotten when a stream changes process or threads are freed. */
    uint32_t cur_stream, cur_tid;
    struct pt__proc *cur_proc;     /* NULL: nothing cached */
    struct pt__thread *cur_thread; /* NULL: the thread is not cached */

    struct pt__hold *holds;
    uint32_t nholds, capholds, free_hold;
    struct pt__map hold_by_id;     /* (dev, ino) -> first open hold with that identity */
    struct pt__map hold_by_handle; /* (proc << 8 | kind, handle) -> hold */
    int keep_holds;                /* keep a record of every hold (an export asked) */
    struct pt__kept_hold *kept;    /* in the order the holds began */
    uint32_t nkept, capkept;

    struct pt__del *dels;
    uint32_t ndels, capdels;
    struct pt__cand *cands;
    uint32_t ncands, capcands;

    struct pt__mark *marks;
    uint32_t nmarks, capmarks;
    struct pt__sess *sess;
    uint32_t nsess, capsess;
    uint64_t sessions_unidentified; /* logons whose profile key identity was not seen */
    struct pt__map mark_by_id;      /* (dev, ino) -> mark */
    struct pt__map interned;        /* (hash, probe) -> interned string */

    struct pt__victim *victims;
    uint32_t nvictims, capvictims;
    struct pt__map victim_by;  /* (deletion, process) -> its victim entry */
    struct pt__map del_by_id;  /* (dev, ino) -> the last deletion of it (PT__NONE: not held) */
    struct pt__map del_by_name; /* (hash, class) -> the last deletion of that name (same) */
    struct pt__bp *bps;
    uint32_t nbps, capbps;
    /* SysV attachments ended lately, and removals of SysV segments by traced processes: what the
     * scans of the witness, which notice a removal up to their interval late, are judged against
     * (model_holds.c). Rings of the newest. */
    struct pt__ended_hold {
        struct pt__hold h; /* a copy (no strings: a SYSV hold has none) */
        uint64_t end;
    } *sysv_ended;
    uint32_t nsysv_ended, sysv_ended_next;
    struct pt__sysv_rm {
        uint64_t dev, ino, ts;
    } *sysv_rm;
    uint32_t nsysv_rm, sysv_rm_next;
    struct pt__fork { /* forks whose child has not yet been seen (model_fork.c) */
        uint32_t parent_pid; /* as the parent sees it (the child's ppid) */
        uint32_t child;      /* the child's pid, as fork returned it */
        uint64_t ts;         /* the fork's entry */
        const char *exe;     /* the image both run (interned) */
        struct pt__inherit *holds; /* what the child inherits (owned) */
        uint32_t nholds;
    } *forks;
    uint32_t nforks, capforks;

    struct pt__finding *findings;
    uint32_t nfindings, capfindings;

    /* trace-wide facts */
    uint64_t nevents, ts_first, ts_last, lost_total, nomem;
    uint64_t dels_seen;    /* successful deletions of any identity */
    uint64_t dels_unheld;  /* ... that no other live process held */
    uint64_t gone_holders; /* candidates dropped: holder silent, then found dead */
    uint64_t self_deletes; /* candidates dropped: the holder deleted it itself */
    uint64_t procs_left;   /* processes that had ended when a checkpoint was written and that it
                            * left out (checkpoint.h): counted, no longer modelled */
    uint64_t late;         /* events fed after a newer one (a stream read late: follower.h) */
    uint64_t late_max;     /* ... the most one of them was behind the newest event then (ns) */
    struct pt_analyzer_input in;
    struct pt__carried { /* a rotated trace (follower.c): what rotation dropped before the */
        int rotated;     /* oldest chunk, and the checkpoint the state was carried by */
        uint64_t dropped_chunks, dropped_events;
        int carried;      /* 0: nothing was dropped, or no checkpoint could carry it */
        uint32_t chunk;   /* the chunk whose checkpoint it was */
        uint64_t at;      /* the checkpoint's time (pt_now() of the collection) */
        int64_t realtime; /* CLOCK_REALTIME - CLOCK_MONOTONIC then */
    } carried;
    int finished;
    char notes[4][160];
    int nnotes;
    struct pt__untraced { /* `untraced` events: who nothing traced, and why (reason NULL: undone) */
        uint32_t pid;
        const char *exe, *reason;
    } *untraced;
    uint32_t nuntraced, capuntraced;
};

/* Growing the model's arrays: per-process ones start at 4. Counts a->nomem on failure. */
#define PT__GROW(a, arr, n, cap)                                                                   \
    (pt__grow((void **)&(arr), &(cap), (n) + 1, sizeof *(arr), 4) ? ((a)->nomem++, -ENOMEM) : 0)

/* strdup that counts a->nomem (NULL s is ""); NULL when out of memory. */
static inline char *pt__strdup(struct pt_analyzer *a, const char *s)
{
    char *r = strdup(s ? s : "");
    if (!r)
        a->nomem++;
    return r;
}

/* ---- model_procs.c: processes and threads ---- */
struct pt__proc *pt__proc_of(struct pt_analyzer *a, uint32_t idx);
struct pt__proc *pt__proc_alloc(struct pt_analyzer *a, uint32_t pid);
/* The process of a stream into *proc: 1, or 0 when the stream has none yet. */
int pt__stream_proc(struct pt_analyzer *a, uint32_t stream, uint32_t *proc);
/* The process an event belongs to (by stream, else a live process of that pid, else a new one).
 * Every event asks: the answer of the stream cache is inline, the rest in pt__proc_lookup. */
struct pt__proc *pt__proc_lookup(struct pt_analyzer *a, const struct pt_event *ev);
static inline struct pt__proc *pt__proc_for(struct pt_analyzer *a, const struct pt_event *ev)
{
    const struct pt__stream_slot *c = &a->stream_cache[ev->stream % PT__STREAM_CACHE];
    if (c->proc1 && c->stream == ev->stream)
        return a->procs[c->proc1 - 1];
    return pt__proc_lookup(a, ev);
}
/* The thread tid of p, new if need be (NULL when out of memory); mostly the thread of p's
 * previous call, inline, else pt__thread_lookup. */
struct pt__thread *pt__thread_lookup(struct pt_analyzer *a, struct pt__proc *p, uint32_t tid);
static inline struct pt__thread *pt__thread_for(struct pt_analyzer *a, struct pt__proc *p,
                                                uint32_t tid)
{
    struct pt__thread *last = p->last_thread < a->nthreads ? a->threads[p->last_thread] : NULL;
    if (last && last->tid == tid && last->proc == p->idx)
        return last;
    return pt__thread_lookup(a, p, tid);
}
/* The identity of the thread right now: its own creds when it changed them, else the process's.
 * Every hold and deletion takes one: inline, copied straight into place. */
static inline struct pt__who pt__who_now(const struct pt__proc *p, const struct pt__thread *t)
{
    struct pt__who w = p->who;
    if (t && t->have_cred) {
        w.uid = t->who.uid;
        w.euid = t->who.euid;
        w.gid = t->who.gid;
        w.egid = t->who.egid;
    }
    return w;
}
void pt__proc_end(struct pt_analyzer *a, struct pt__proc *p, enum pt__end how, uint64_t ts);
/* A thread's calls will never complete: what waits on it keeps what it has. */
void pt__thread_settle(struct pt_analyzer *a, struct pt__thread *t);
/* A `process` event: the identity of a process, new or after exec (or of a reused pid). */
void pt__on_process(struct pt_analyzer *a, const struct pt_event *ev);
/* The other non-call events of process p: module, cred, ns, exit, signal, reaped, untraced, lost.
 * Returns 0, or 1 when the event is no sign of life of the process (the collector's `reaped`). */
int pt__on_proc_event(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev);
const char *pt__intern(struct pt_analyzer *a, const char *s);
int pt__lost_between(const struct pt__proc *p, uint64_t from, uint64_t to, uint64_t *count);

/* ---- model_holds.c: holds and deletions ---- */
/* Start a hold of p (event ev, thread t may be NULL); takes ownership of name and path. Returns
 * the hold index or PT__NONE. */
uint32_t pt__hold_open(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                       const struct pt_event *ev, enum pt_kind kind, uint64_t handle, uint64_t dev,
                       uint64_t ino, char *name, char *path);
/* End hold h: at ts by a call (or a reused handle), or, ts 0, because its process ended. */
void pt__hold_close(struct pt_analyzer *a, uint32_t h, uint64_t ts);
struct pt__hold *pt__hold_by_handle(struct pt_analyzer *a, uint32_t proc, enum pt_kind k,
                                    uint64_t handle);
/* A call whose role begins or ends a hold of kind VIEW, MAP or SYSV (KEY and SESSION holds begin
 * in model_mapi.c, which knows their identities). */
void pt__on_hold_begin(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                       const struct pt_event *ev, const struct pt__row *r);
void pt__on_hold_end(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev,
                     const struct pt__row *r);
/* A SysV removal the witness noticed at ev->ts (`noticed`), which happened after `from` (the
 * scan before, which saw the segment intact) by p: a deletion dated `from`, of the holds live
 * then — those still open, and those that ended since (the removal may have come before their
 * end; the candidates made of them say when they ended) — unless a traced process removed that
 * segment in the window (the scan saw that removal). from 0: no scan saw the segment intact (made
 * and removed since the one before): dated when noticed, of the holds live then, unless a traced
 * process removed it before. Takes every open hold off the identity. */
void pt__on_sysv_removed(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev,
                         uint64_t dev, uint64_t ino, const char *target, uint64_t from);
/* A call whose role is DELETE of FILE, SHM, RENAME or SYSV. */
void pt__on_delete_call(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                        const struct pt_event *ev, const struct pt__row *r);
/* A successful delete of identity (dev, ino) by p/t in event ev: holds of other processes on that
 * identity become candidates of a new deletion (open files only when p did not inherit them, and
 * not when `moved`: a rename the witness saw, which leaves the file in place under a new name). */
void pt__on_delete(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                   const struct pt_event *ev, enum pt_kind kind, uint64_t dev, uint64_t ino,
                   const char *target, int moved);
/* An OPEN of a FILE that is an open-file hold (proftrace/open_holds.h) begins one; a CLOSE of its
 * descriptor ends it. */
void pt__on_file_open(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                      const struct pt_event *ev, const struct pt__row *r);
void pt__on_file_close(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev,
                       const struct pt__row *r);
/* An exec at ts replaced p's image: the holds of the images before it end at ts, whatever the
 * order the streams of its images were read in (those begun after it, of a newer image read
 * first, go on). */
void pt__on_exec(struct pt_analyzer *a, struct pt__proc *p, uint64_t ts);
/* The holds of p begun before `until` end at ts. */
void pt__holds_end_before(struct pt_analyzer *a, struct pt__proc *p, uint64_t until, uint64_t ts);
/* A call at depth ev->depth arrived in thread t: it is an ancestor of the pending deletions deeper
 * than it (which it names). */
void pt__name_deletions(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                        const struct pt_event *ev);

/* A hold of a parent as a fork child inherits it (pt__holds_to_inherit, pt__hold_inherit). */
struct pt__inherit {
    enum pt_kind kind; /* MAP or SYSV */
    uint8_t indexed;   /* found by its identity then (not yet taken off it by a deletion) */
    uint64_t handle, len, dev, ino;
    const char *api; /* the call that began the parent's hold (static or interned) */
    int64_t num;     /* its export record's descriptor or shmid (-1: none) */
};
/* The open MAP and SYSV holds of p begun at or before `until`, into *out (malloc'ed, NULL when
 * none); their number, or 0 (also when out of memory, counted). */
uint32_t pt__holds_to_inherit(struct pt_analyzer *a, const struct pt__proc *p, uint64_t until,
                              struct pt__inherit **out);
/* Give fork child c a copy of its parent's hold x, inherited from pid from_pid by the fork at ts:
 * the same handle (its own unmap or detach ends it), identity and call; found by identity only
 * when x was and the identity still has holds (no deletion took it since). The new hold's index, or
 * PT__NONE (c ended or exec'd before ts, out of memory). */
uint32_t pt__hold_inherit(struct pt_analyzer *a, struct pt__proc *c, const struct pt__inherit *x,
                          uint64_t ts, uint32_t from_pid);

/* A SysV attachment of p to (dev, ino) since ts that no call on record began, found by the
 * witness when it noticed the segment's removal (pt__hold.seen; no handle). Its index, or
 * PT__NONE. */
uint32_t pt__hold_seen(struct pt_analyzer *a, struct pt__proc *p, uint64_t ts, uint64_t dev,
                       uint64_t ino);
/* Is SysV segment (dev, ino) held now, or was it by a hold that ended after `since`? */
int pt__sysv_held_since(const struct pt_analyzer *a, uint64_t dev, uint64_t ino, uint64_t since);

/* ---- model_fork.c: what a fork child inherits ---- */
/* A successful call of role FORK by p (its result the child's pid). */
void pt__on_fork(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev);
/* Process c got its first identity (a `process` event at ts): a fork on record that made it gives
 * it its parent's mappings. */
void pt__fork_child(struct pt_analyzer *a, struct pt__proc *c, uint64_t ts);

/* ---- model_victims.c: the failures deletions cause ---- */
/* A call of p completed in thread t: a failure on something a deletion removed (by any process), or
 * a call around such a failure still waiting for them. Call it for every call while t has pending
 * victims, else for failed calls. */
void pt__check_victim(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                      const struct pt_event *ev);
/* Deletion di was made: later failures find it by the identity and the names it removed. */
void pt__victims_index(struct pt_analyzer *a, uint32_t di);
/* A delete of (dev, ino) / `target` that no other process held: failures on it after this are not
 * the victims of an older deletion of the same identity or name. */
void pt__victims_unheld(struct pt_analyzer *a, enum pt_kind kind, uint64_t dev, uint64_t ino,
                        const char *target);
/* Thread t's calls will never complete: its waiting failures keep what they have. */
void pt__victims_settle(struct pt_analyzer *a, struct pt__thread *t);
/* What the analyzer knows a call to be, for a timeline: PT__MARK_DELETE (a successful deletion),
 * PT__MARK_FAILURE (a failure of the kinds deletions cause), or 0. */
#define PT__MARK_DELETE 1u
#define PT__MARK_FAILURE 2u
unsigned pt__call_mark(const struct pt_event *ev);

/* ---- model_witness.c: deletions seen by the collector's witness ---- */
void pt__on_witnessed(struct pt_analyzer *a, const struct pt_event *ev);

/* ---- model_prior.c: holds a process had before proftrace attached to it ---- */
void pt__on_prior_hold(struct pt_analyzer *a, struct pt__proc *p, const struct pt_event *ev);

/* ---- model_mapi.c: registry keys, MAPI sessions, in-use views, marks, the profile store ---- */
/* The path of key handle h in process p ("HKEY_CURRENT_USER\\Software\\..."), into buf. */
const char *pt__key_path(struct pt_analyzer *a, struct pt__proc *p, uint64_t h, char *buf,
                         size_t len);
/* HOLD_BEGIN / HOLD_CREATE of KEY (a key opened or created) and of SESSION (a logon). */
void pt__on_key_open(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                     const struct pt_event *ev, const struct pt__row *r,
                     const struct pt__child *kids, uint32_t nkids, struct pt__child *self);
void pt__on_logon(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                  const struct pt_event *ev, const struct pt__row *r, const struct pt__child *kids,
                  uint32_t nkids);
/* A MAPI session of p on profile `prof` (its key: dev/ino and path, 0/0 and NULL when unknown),
 * also listed in a->sess for the latent-hazard rule. The hold index, or PT__NONE. */
uint32_t pt__session_open(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                          const struct pt_event *ev, uint64_t session, uint64_t dev, uint64_t ino,
                          const char *prof, const char *path);
/* OPEN / CREATE of a MAPPING: a candidate in-use view. */
void pt__add_view(struct pt_analyzer *a, struct pt__proc *p, struct pt__thread *t,
                  const struct pt_event *ev, const struct pt__row *r, const struct pt__child *kids,
                  uint32_t nkids);
/* The newest named mapping of p with handle h ("" when none). */
const char *pt__view_name(const struct pt__proc *p, uint64_t h);
/* A call arrived in t: views waiting to learn whether they were opened inside MAPI learn it. */
void pt__settle_views(struct pt__proc *p, struct pt__thread *t, const struct pt_event *ev);
/* A deletion removed (dev, ino): a mark on it is gone. */
void pt__mark_removed(struct pt_analyzer *a, uint64_t dev, uint64_t ino, uint64_t ts);
/* The in-use view p looked at, at time ts: the last mapping it opened inside MAPI, or NULL. */
const struct pt__view *pt__view_at(const struct pt__proc *p, uint64_t ts);

/* ---- model.c ---- */
/* Keep a record of every hold from now on (call before the first event). */
void pt__keep_holds(struct pt_analyzer *a);

/* ---- cause.c ---- */
/* Why two in-use views differ (they are compared: both seen, both identified): IDENTITY,
 * SESSION, KERNEL, SAME, or UNKNOWN when nothing recorded explains it. */
enum pt__cause pt__view_cause(const struct pt__view *holder, const struct pt__view *deleter);
/* How the two processes' own identities differ: KERNEL, IDENTITY, SESSION or SAME. */
enum pt__cause pt__who_cause(const struct pt__who *holder, const struct pt__who *deleter);
/* How two views compare (enum pt__views); NULL for one not seen. */
enum pt__views pt__views_compare(const struct pt__view *holder, const struct pt__view *deleter);
const char *pt__cause_name(enum pt__cause c);
const char *pt__rule_name(enum pt__rule r);
/* The severity of a finding of rule r (rules.h); `raised`: a step graver (it caused a failure). */
const char *pt__rule_severity(enum pt__rule r, int raised);

/* ---- findings.c ---- */
struct pt__finding *pt__finding_add(struct pt_analyzer *a, enum pt__rule rule);
void pt__finding_uncertain(struct pt__finding *f, const char *fmt, ...);
void pt__note(struct pt_analyzer *a, const char *fmt, ...);
/* Run every rule of rules.h, in order. */
void pt__rules_run(struct pt_analyzer *a);

/* ---- judge.c: what the deletion rules share ---- */
/* Was the holder of candidate c alive at deletion d, and how is it known? Returns 0 when it was
 * gone before the delete (its end only reached the trace late), else 1 with *out filled. */
int pt__holder_liveness(const struct pt_analyzer *a, const struct pt__del *d,
                        const struct pt__cand *c, struct pt__liveness *out);
/* Should this candidate be told at all? 0 = no (the deleter is the holder, the holder was gone, or,
 * `same_view`, it gave no sign of life and the deleter's check agrees with its view: the clean-up
 * after a dead holder the library is meant to do), 1 = yes. */
int pt__cand_admit(struct pt_analyzer *a, const struct pt__del *d, const struct pt__cand *c,
                   int same_view);
/* Same deleting operation (one RegDeleteTreeA, one shm_unlink ...)? */
int pt__del_same_op(const struct pt__del *x, const struct pt__del *y);
/* The finding of `rule` that already tells deletion di (another holder of it), or another deletion
 * of the same operation from process `holder` (another of its holds), or NULL. */
struct pt__finding *pt__op_finding(struct pt_analyzer *a, uint32_t di, uint32_t holder,
                                   enum pt__rule rule);
/* A new finding of `rule` telling deletion di; NULL when out of memory. */
struct pt__finding *pt__deletion_finding(struct pt_analyzer *a, enum pt__rule rule, uint32_t di);
/* Candidate k of deletion di joins finding f: a new holder, or another hold of a holder it has. */
void pt__finding_add_hold(struct pt_analyzer *a, struct pt__finding *f, uint32_t di, uint32_t k);

/* ---- verdict.c ---- */
/* Each finding's verdict, once, from the facts of the trace: the holders in order, the victims,
 * what the deleter consulted, how the views compare, the cause, severity, certainty, why and
 * remedy. Runs after the rules. */
void pt__verdicts(struct pt_analyzer *a);

#endif

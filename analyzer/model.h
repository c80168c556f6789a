/* model.h — the analyzer's cross-process model (internal to analyzer/).
 *
 * Design
 * ------
 * One pass over the time-ordered events builds:
 *   processes   by stream and pid, with identity (pid + start time + namespace inodes), creds,
 *               login session and how they ended (exit, fatal signal, reaped, pid reused);
 *   holds       who holds what by physical identity: a MAPI session on a profile key, an open key
 *               handle, a shared mapping, a SysV attachment. Open holds are indexed by identity;
 *               a closed hold is freed at once, so memory follows live state, not trace length;
 *   views       per process, the physical in-use object its profile library opened inside MAPI
 *               calls, with the account, login session and namespaces at that moment;
 *   marks       `Deleted Profiles` entries;
 *   deletions   a successful delete that removed the identity of a hold of *another* process
 *               becomes a candidate (struct pt__del). Only candidates are kept.
 * A nested call is written before the call containing it, so a deletion is first seen without
 * knowing the API call it belongs to; it waits on its thread until its ancestors arrive, which
 * names it "MAPIInitialize > RegDeleteTreeA > unlinkat". Facts that arrive later still (the
 * holder's `reaped` event, its failing OpenMsgStore, the deleter's in-use view) are why the
 * detectors run once, at the end of the input, over the candidates.
 */
#ifndef PT_ANALYZER_MODEL_H
#define PT_ANALYZER_MODEL_H

#include <stdint.h>

#include "analyzer/analyzer.h"
#include "analyzer/map.h"
#include "proftrace/calls.h"
#include "proftrace/event.h"

#define PT__NNS 8 /* PT_NAMESPACES order: ipc mnt pid user uts net cgroup time */
enum {
    PT__NS_IPC,
    PT__NS_MNT,
    PT__NS_PID,
    PT__NS_USER,
    PT__NS_UTS,
    PT__NS_NET,
    PT__NS_CGROUP,
    PT__NS_TIME
};

#define PT__NIDS (PT_EV_CALL_FIRST + PT_CALL_COUNT)
#define PT__ID(call) (PT_EV_CALL_FIRST + PT_CALL_##call)

/* Win32 / MAPI values the analyzer recognises (documented API semantics, not library internals). */
#define PT__HKEY_CURRENT_USER 0x80000001ull
#define PT__ERROR_KEY_DELETED 1018
#define PT__MAPI_E_CALL_FAILED 0x80004005u

enum pt__end { PT__ALIVE, PT__EXITED, PT__SIGNALLED, PT__REAPED, PT__REPLACED };

/* Identity of a process at one moment (what a finding shows side by side). */
struct pt__who {
    uint32_t uid, euid, gid, egid, sessionid, loginuid;
    uint64_t ns[PT__NNS];
};

/* A process's in-use view: the physical in-use object its library opened. */
struct pt__view {
    char *name;        /* mapping name as the library asked for it ("Local\\MAPISIM_InUse_...") */
    char *shm_name;    /* the shm_open name it became, when seen */
    uint64_t dev, ino; /* physical identity; 0/0 when not seen */
    uint64_t ts;
    struct pt__who who; /* creds/session/namespaces of the opening thread */
    int8_t in_mapi;     /* 1 inside a MAPI call, 0 not, -1 not yet known */
    uint8_t prior;      /* found by an attach (prior_hold): name is the object's path, the name
                         * the library gave it is not known */
};

struct pt__module {
    uint64_t base, size, bias;
    const char *path, *build_id; /* interned (model.c) */
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
    uint8_t witnessed;  /* not traced: known only as the deleter of a `witnessed*` event */
    char ident[8];      /* witnessed: how its identity was read ("live", "exec", "gone", "none") */
    uint64_t first_ts, last_ts, nevents;
    enum pt__end end;
    uint64_t end_ts, reaped_last_ts;
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
};

enum pt__hold_kind { PT__H_SESSION, PT__H_KEY, PT__H_MAP, PT__H_SYSV };

#define PT__NONE UINT32_MAX

struct pt__hold {
    enum pt__hold_kind kind;
    uint32_t proc;
    uint32_t tid;
    uint64_t handle;       /* session handle, HKEY, mapping address, shmat address */
    uint64_t len;          /* mapping length; for a session: index of its pt__sess */
    uint64_t dev, ino;     /* physical identity (SysV: dev = ipc ns, ino = shmid + 1) */
    uint64_t ts;           /* when it began */
    char *name;            /* profile name, key path, ... (owned) */
    char *path;            /* profile: its key path (owned) */
    const char *api;       /* the call that began it */
    struct pt__who who;    /* holder identity then */
    uint32_t inext, iprev; /* list of open holds with the same identity */
    uint32_t pnext, pprev; /* list of open holds of the same process */
    uint8_t live;
    uint8_t prior; /* held since before proftrace attached (prior_hold) */
};

/* A deletion that removed what another process held: the candidate the detectors judge. */
struct pt__cand {
    struct pt__hold h; /* copy of the hold as it was (strings owned by the candidate) */
    /* victim (the holder's later failure tied to this deletion) */
    int have_victim, have_detail;
    uint64_t victim_ts;
    const char *victim_call, *detail_call;
    int64_t victim_ret, detail_ret;
    int32_t victim_err, detail_err;
    uint32_t victim_tid;
    uint8_t victim_nframes;
    uint64_t victim_frames[PT_MAX_FRAMES];
    uint32_t nfailures;
    uint32_t wnext; /* next candidate watched by the same holder process */
    uint32_t del;   /* owning deletion */
    uint8_t used;   /* already part of a finding */
};

enum pt__del_kind { PT__D_FILE, PT__D_SHM, PT__D_SYSV, PT__D_RENAME };

struct pt__del {
    uint32_t proc, tid;
    uint64_t ts, ts_enter;
    uint8_t depth;
    enum pt__del_kind kind;
    const char *call; /* the deleting system call (unlinkat, shm_unlink, shmctl ...) */
    char *target;     /* its path / name / "shmid N" (owned) */
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
    uint8_t witnessed;    /* seen by the collector's witness, not traced: no stack */
    uint8_t unattributed; /* witnessed, deleter unknown (SysV removal noticed by a scan) */
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
    uint64_t dev, ino; /* identity of a returned descriptor / opened key */
    uint64_t handle;   /* a returned key handle */
    char *path;        /* key path or shm name (owned) */
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
};

/* A finding, as the detectors produce it and the reports print it. */
enum pt__rule { PT__R_PURGE, PT__R_HELD, PT__R_LATENT };
enum pt__cause { PT__C_IDENTITY, PT__C_SESSION, PT__C_KERNEL, PT__C_SAME, PT__C_UNKNOWN };

struct pt__finding {
    enum pt__rule rule;
    enum pt__cause cause;
    const char *severity;
    int uncertain;
    char *uncertain_why;      /* owned */
    uint32_t del;             /* PT__NONE for latent */
    uint32_t cand;            /* the candidate (first, when several holds of one holder merged) */
    uint32_t mark;            /* PT__NONE when none */
    uint32_t deleter, holder; /* process indexes */
    int have_dview, have_hview;
    struct pt__view dview, hview; /* shallow copies (strings owned by the processes) */
    uint64_t latent_ts;           /* latent: when the hazard arose */
    uint32_t sess;                /* latent: the session at risk */
    uint32_t nmerged;             /* further holds of the same holder on this deletion */
};

struct pt_analyzer {
    struct pt__proc **procs;
    uint32_t nprocs, capprocs;
    struct pt__map by_stream; /* (stream, 0) -> proc */
    struct pt__map by_pid;    /* (pid, 0) -> latest proc with that pid */

    struct pt__thread **threads;
    uint32_t nthreads, capthreads;
    struct pt__map by_tid; /* (proc, tid) -> thread */

    struct pt__hold *holds;
    uint32_t nholds, capholds, free_hold;
    struct pt__map hold_by_id;     /* (dev, ino) -> first open hold with that identity */
    struct pt__map hold_by_handle; /* (proc << 8 | kind, handle) -> hold */

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

    struct pt__finding *findings;
    uint32_t nfindings, capfindings;

    /* trace-wide facts */
    uint64_t nevents, ts_first, ts_last, lost_total, nomem;
    uint64_t dels_seen;    /* successful deletions of any identity */
    uint64_t dels_unheld;  /* ... that no other live process held */
    uint64_t gone_holders; /* candidates dropped: holder silent, then found dead */
    uint64_t self_deletes; /* candidates dropped: the holder deleted it itself */
    struct pt_analyzer_input in;
    int finished;
    char notes[4][160];
    int nnotes;
};

/* model.c */
struct pt__proc *pt__proc_of(struct pt_analyzer *a, uint32_t idx);
const struct pt__view *pt__view_at(const struct pt__proc *p, uint64_t ts);
int pt__lost_between(const struct pt__proc *p, uint64_t from, uint64_t to, uint64_t *count);
void pt__note(struct pt_analyzer *a, const char *fmt, ...);

/* cause.c */
enum pt__cause pt__view_cause(const struct pt__view *holder, const struct pt__view *deleter);
enum pt__cause pt__who_cause(const struct pt__who *holder, const struct pt__who *deleter);
const char *pt__cause_name(enum pt__cause c);
const char *pt__rule_name(enum pt__rule r);
const char *pt__cause_remedy(enum pt__rule r, enum pt__cause c);

/* findings.c */
struct pt__finding *pt__finding_add(struct pt_analyzer *a, enum pt__rule rule);
void pt__finding_uncertain(struct pt__finding *f, const char *fmt, ...);

/* rule_*.c: each appends its findings. */
void pt__rule_purge(struct pt_analyzer *a);
void pt__rule_deleted_held(struct pt_analyzer *a);
void pt__rule_latent(struct pt_analyzer *a);
/* shared by the deletion rules (rule_purge.c): should this candidate be judged at all? 0 = no
 * finding (holder gone / deleter is holder), 1 = yes; *why gets an uncertainty note. */
int pt__cand_judge(struct pt_analyzer *a, const struct pt__del *d, const struct pt__cand *c,
                   int same_view, char *why, size_t whylen);
/* Same deleting operation (one RegDeleteTreeA, one shm_unlink ...)? */
int pt__del_same_op(const struct pt__del *x, const struct pt__del *y);

/* fields.c: field access by name with a per-class cache. */
const struct pt_value *pt__fld(const struct pt_event *ev, const char *name, uint8_t *cache);
#define PT__FLD(ev, name)                                                                          \
    ({                                                                                             \
        static uint8_t pt__cache_[PT__NIDS];                                                       \
        pt__fld((ev), (name), pt__cache_);                                                         \
    })
uint64_t pt__fu(const struct pt_event *ev, const char *name, uint8_t *cache);    /* 0 if absent */
const char *pt__fs(const struct pt_event *ev, const char *name, uint8_t *cache); /* "" if absent */
#define PT__U(ev, name)                                                                            \
    ({                                                                                             \
        static uint8_t pt__cache_[PT__NIDS];                                                       \
        pt__fu((ev), (name), pt__cache_);                                                          \
    })
#define PT__S(ev, name)                                                                            \
    ({                                                                                             \
        static uint8_t pt__cache_[PT__NIDS];                                                       \
        pt__fs((ev), (name), pt__cache_);                                                          \
    })

/* names.c: event class names and categories from the one table (calls.h). */
const char *pt__ev_name(unsigned id);
int pt__ev_category(unsigned id); /* PT_CAT_*, or -1 for non-call events */
const char *pt__win32_error_name(int64_t code);
const char *pt__hresult_name(uint32_t hr);

#endif

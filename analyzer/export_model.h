/* export_model.h — the timeline the exporters draw (internal to analyzer/export_*.c).
 *
 * Design
 * ------
 * The analyzer's model keeps live state only; a timeline needs every call. So while the events
 * go into the analyzer they are also kept here, each attributed to the analyzer's own process
 * record (looked up by stream right after the analyzer took the event), so that findings, which
 * name processes by that index, point straight at lanes:
 *   slices   every call, entry to exit, with its arguments already formatted, marked as a
 *            deletion or a failure as the model knows them (pt__call_mark);
 *   holds    the model's own (it keeps them for the timeline: pt__keep_holds): a MAPI session
 *            (logon to logoff/release), a mapped view or the program's own shared mapping, a SysV
 *            attachment: from the call that began it to the one that ended it or the process end;
 *   flows    from the deleting call of each finding to the failure it caused in the holder;
 *   groups   processes that share a login session and mount / IPC / PID namespaces.
 * Processes get a display pid (cpid) that no other process of the trace has, so that pids of
 * different PID namespaces, or a reused pid, never merge two lanes.
 */
#ifndef PT_ANALYZER_EXPORT_MODEL_H
#define PT_ANALYZER_EXPORT_MODEL_H

#include <stdint.h>
#include <stdio.h>

#include "analyzer/export.h"
#include "analyzer/model.h"

/* slice marks: a successful deletion, a failure the analyzer knows (model_victims.c) */
#define PT__TL_DELETE PT__MARK_DELETE
#define PT__TL_FAILURE PT__MARK_FAILURE

struct pt__tl_slice {
    uint32_t proc, tid; /* analyzer process index, thread id in its namespace */
    uint16_t id;
    uint8_t depth, mark;
    uint64_t t0, t1; /* entry, exit */
    int64_t ret;
    int32_t err;
    char *args;     /* "name": value, ... (a JSON object's inside; owned) */
    char *text;     /* name=value, ... for people (owned) */
    uint32_t next1; /* 1 + index of the process's next slice; 0 at the end */
};

enum pt__tl_hold_kind { PT__TL_SESSION, PT__TL_VIEW, PT__TL_SHMAP, PT__TL_SYSV };

struct pt__tl_hold {
    uint32_t proc, tid;
    enum pt__tl_hold_kind kind;
    uint64_t handle, t0, t1; /* t1 0 while open */
    char *label;             /* owned */
    uint8_t open;
    uint32_t next1; /* 1 + index of the process's next hold; 0 at the end */
};

struct pt__tl_thread {
    uint32_t proc, tid, ctid;
};

struct pt__tl_flow {
    uint32_t from, to; /* slice indexes: the deleting call, the victim */
    uint32_t finding;
};

struct pt__tl_group {
    uint32_t sessionid;
    uint64_t mnt, ipc, pidns;
};

struct pt__tl_proc {
    uint32_t cpid;                /* display pid, unique in the trace */
    uint32_t group, order;        /* namespace group and place in the sort */
    uint64_t t0, t1;              /* first and last sign of life */
    uint32_t slice1, last_slice1; /* its slices and holds, in time order (index + 1; 0: none) */
    uint32_t hold1, last_hold1;
    uint8_t shown; /* it wrote events of its own: a track (a process the analyzer only
                    * heard of through the collector's `reaped` event gets none) */
};

struct pt_timeline {
    struct pt_analyzer *a;
    const char *dir;
    uint64_t damaged;
    uint64_t t0, t1;           /* trace start (earliest entry or event) and end */
    struct pt__tl_proc *procs; /* parallel to a->procs */
    uint32_t nprocs;
    struct pt__tl_slice *slices;
    uint32_t nslices, capslices;
    struct pt__tl_hold *holds;
    uint32_t nholds, capholds;
    struct pt__tl_thread *threads;
    uint32_t nthreads, capthreads;
    struct pt__tl_flow *flows;
    uint32_t nflows, capflows;
    struct pt__tl_group *groups;
    uint32_t ngroups;
    struct pt__map thread_by_tid; /* (proc, tid) -> thread */
    uint64_t nomem;
};

/* export_timeline.c */
/* The slice of process `proc`, thread `tid`, call `call` that ended at `ts`; PT__NONE if none. */
uint32_t pt__tl_find_slice(const struct pt_timeline *tl, uint32_t proc, uint32_t tid,
                           const char *call, uint64_t ts);
/* A time inside slice i that no nested call of it covers, where a flow arrow can bind to it. */
uint64_t pt__tl_anchor(const struct pt_timeline *tl, uint32_t i);
/* "eventsvc" from "/x/y/eventsvc"; "?" for NULL. */
const char *pt__tl_base(const char *path);
/* A process's namespace identity for people: "login session 242 · mnt 4026531832 · ipc ...". */
void pt__tl_group_label(const struct pt__tl_group *g, char *buf, size_t len);
/* Display order: shown processes by group then first appearance into out (room for nprocs);
 * returns how many. */
uint32_t pt__tl_order(const struct pt_timeline *tl, uint32_t *out);

/* export_util.c: escaping for the two output languages. Invalid UTF-8 bytes are written as the
 * Latin-1 character of that byte, so the output is always valid UTF-8. */
void pt__x_json_str(FILE *out, const char *s); /* with the quotes; null for NULL */
void pt__x_json_raw(FILE *out, const char *s); /* without the quotes */
void pt__x_html(FILE *out, const char *s);     /* text or attribute value */
/* ns since the trace start as microseconds with 3 decimals ("1234.567") */
void pt__x_us(FILE *out, uint64_t ts, uint64_t t0);

#endif

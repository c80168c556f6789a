/* follower.h — the analyzer following a trace directory: one model kept between changes and fed
 * only what is new, findings announced as they happen, a checkpoint into each chunk of a rotated
 * trace (used by `live`, by `collect` and `record`, and by every reader of a rotated trace).
 *
 * Use:
 *     struct pt_follower *fl;
 *     pt_follower_open(&opts, &fl);
 *     while (running) { wait for a change or a tick; pt_follower_step(fl, 0); }
 *     pt_follower_step(fl, 1);                  // the rest, whatever its time
 *     struct pt_analyzer *a = pt_follower_finish(fl);   // then report it
 *     pt_follower_close(fl);
 * A step reads what is new (include/proftrace/follow.h), feeds the model the events older than
 * the horizon (now less `lag_ns`: an event another thread is still writing cannot come out
 * behind a newer one), writes the checkpoint of every chunk whose predecessors it has read
 * whole, and, when the model may have changed its findings, finishes a copy of it
 * (checkpoint.h's clone) to announce what is new.
 */
#ifndef PT_ANALYZER_FOLLOWER_H
#define PT_ANALYZER_FOLLOWER_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/analyzer.h"
#include "analyzer/on_finding.h"
#include "proftrace/follow.h"

struct pt_follower;

enum pt_follower_restore {
    PT_RESTORE_OLDEST, /* readers: the oldest chunk's checkpoint, and every event after it */
    PT_RESTORE_NEWEST, /* a collector restarted: the newest checkpoint, the least to read again */
};

struct pt_follower_opts {
    const char *dir;
    enum pt_follower_restore restore;
    int checkpoints;             /* write each chunk's checkpoint (the collector's follower) */
    uint64_t lag_ns;             /* the horizon's distance behind now */
    pt_on_finding_fn on_finding; /* NULL: findings are not looked at while following */
    void *on_finding_arg;
    /* the collection's own follower: the key of each finding it announces is kept in the trace
     * directory (announced.h), and those kept there are not announced again */
    int remember;
    /* a new finding is announced once the events up to this long after it are in the model
     * (its victim's failure, its holder's signs of life), or at the end; 0: at once */
    uint64_t settle_ns;
    /* every event, in the order the model gets them (NULL: none) */
    void (*on_event)(void *arg, const struct pt_event *ev);
    void *on_event_arg;
    /* on_event feeds the model itself (a timeline that records each event as well): the follower
     * does not, and keeps the model it restored where pt_follower_model put it */
    int caller_feeds;
    pt_trace_diag_fn diag; /* problems of the input (NULL: stderr) */
    void *diag_arg;
};

/* Open: nothing is read before the first step. The checkpoint to start from is read here; a
 * damaged one is said (file, line, what) and counted as damage, and the next chunk's is tried.
 * 0, or a negative errno when the directory cannot be read at all (diag said why). */
int pt_follower_open(const struct pt_follower_opts *o, struct pt_follower **out);

/* Read what is new and feed it. final: every event read, whatever its time (the collection has
 * ended). Returns the number of events fed, or a negative errno. */
int64_t pt_follower_step(struct pt_follower *fl, int final);

/* The model as fed so far, finished (detectors run; call once, after the last step). The follower
 * keeps it: valid until pt_follower_close. `in` may be NULL. */
struct pt_analyzer *pt_follower_finish(struct pt_follower *fl);

/* The model, restored from the checkpoint (or new), before the first step: the caller that feeds
 * it (caller_feeds) takes it over and frees it after pt_follower_close. */
struct pt_analyzer *pt_follower_take_model(struct pt_follower *fl);

/* What the reading met: damage (checkpoints included) and the trace's statistics. */
void pt_follower_stats(const struct pt_follower *fl, struct pt_trace_stats *out);
int64_t pt_follower_realtime_offset(const struct pt_follower *fl);

/* Events that reached the model behind newer ones (their stream was read later than the lag:
 * docs/rotation.md): the sentence that says how many, into buf, when it is news — the first time
 * there are any, and at the end (end != 0) when more came since it was last given; else NULL. */
const char *pt_follower_late_news(struct pt_follower *fl, int end, char *buf, size_t len);

/* CPU time spent writing checkpoints (ns, this thread's clock), and how many were written. */
void pt_follower_checkpoint_cost(const struct pt_follower *fl, uint64_t *ns, uint64_t *count);

void pt_follower_close(struct pt_follower *fl);

/* Read a whole trace directory, rotated or not, through a follower into a finished analyzer:
 * what `report` and `export` do. As pt_analyze_dir. */
int pt__follow_dir(const char *dir, pt_trace_diag_fn diag, void *diag_arg, struct pt_analyzer **out,
                   uint64_t *damaged);

#endif

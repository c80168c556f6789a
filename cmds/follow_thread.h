/* follow_thread.h — the analyzer following the trace beside the collector, on a thread of its own
 * (`collect` and `record` with --max-size / --max-age, or with findings to announce): it writes
 * each chunk's checkpoint, which the collector waits for before it drops the chunk before, and
 * announces findings as they happen (analyzer/on_finding.h). */
#ifndef PT_CMDS_FOLLOW_THREAD_H
#define PT_CMDS_FOLLOW_THREAD_H

#include <stdint.h>

#include "analyzer/on_finding.h"

struct pt__follow_thread;

/* Start following trace directory `dir` (as the collector writes it): restored from its newest
 * checkpoint when it has one (a collector restarted after a crash goes on from it). on_finding may
 * be NULL. 0, or a negative errno after a message on stderr naming `cmd`. */
int pt__follow_thread_start(const char *cmd, const char *dir, pt_on_finding_fn on_finding,
                            void *arg, struct pt__follow_thread **out);

/* What following cost: the thread's CPU time, and the part of it writing checkpoints. */
struct pt__follow_cost {
    uint64_t cpu_ns, checkpoint_ns, checkpoints;
};

/* After the collector's last drain: read the rest, whatever its time, write the checkpoints still
 * owed, and end the thread; its cost into *cost when not NULL. NULL t is accepted. */
void pt__follow_thread_stop(struct pt__follow_thread *t, struct pt__follow_cost *cost);

#endif

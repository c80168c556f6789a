/* analyzer.h — the analyzer's interface to `proftrace` subcommands: feed events, get findings,
 * write reports. (Used by cmds/ only; the model and detectors behind it are in analyzer/model.h.)
 *
 * Use:
 *     struct pt_analyzer *a = pt_analyzer_new();
 *     while (pt_trace_next(t, &ev) == 1) pt_analyzer_feed(a, &ev);
 *     pt_analyzer_finish(a, &stats);   // runs the detectors; findings are then fixed
 *     pt_report_text(stdout, a, &opts);
 *     pt_analyzer_free(a);
 * Events must come in time order across processes (what every pt_trace reader returns); inside a
 * thread a nested call comes before the call that contains it (calls are stamped at exit).
 */
#ifndef PT_ANALYZER_ANALYZER_H
#define PT_ANALYZER_ANALYZER_H

#include <stdint.h>
#include <stdio.h>

#include "proftrace/event.h"

struct pt_analyzer;

/* Trace-level facts the reader knows and the events do not (counts of damage, streams). */
struct pt_analyzer_input {
    uint64_t streams;
    uint64_t damaged; /* problems the reader reported */
    uint64_t lost;    /* lost events the reader counted outside `lost` markers (0 if none) */
    const char *dir;  /* trace directory, for messages */
};

/* A new, empty analyzer; NULL when out of memory. */
struct pt_analyzer *pt_analyzer_new(void);

/* Feed one event. The analyzer copies what it keeps; `ev` may be reused at once. Returns 0, or
 * -ENOMEM (the analyzer then stays consistent but may miss this event's effect, and says so). */
int pt_analyzer_feed(struct pt_analyzer *a, const struct pt_event *ev);

/* End of input: closes what is still open and runs every detector. Call once. */
void pt_analyzer_finish(struct pt_analyzer *a, const struct pt_analyzer_input *in);

/* Number of events fed. */
uint64_t pt_analyzer_nevents(const struct pt_analyzer *a);

/* Number of findings (valid after finish). */
unsigned pt_analyzer_nfindings(const struct pt_analyzer *a);

/* The name of rule i of the analyzer's rules, in the order they run; NULL past the last. */
const char *pt_analyzer_rule_name(unsigned i);

/* Rule, cause and severity of finding i, for tests and exit codes. NULL when out of range. */
const char *pt_analyzer_finding_rule(const struct pt_analyzer *a, unsigned i);
const char *pt_analyzer_finding_cause(const struct pt_analyzer *a, unsigned i);
const char *pt_analyzer_finding_severity(const struct pt_analyzer *a, unsigned i);
int pt_analyzer_finding_uncertain(const struct pt_analyzer *a, unsigned i);
int pt_analyzer_finding_has_victim(const struct pt_analyzer *a, unsigned i);
/* Pids of the deleter and holder of finding i (0 when out of range); the holder is the first of
 * its holders. */
uint32_t pt_analyzer_finding_deleter_pid(const struct pt_analyzer *a, unsigned i);
uint32_t pt_analyzer_finding_holder_pid(const struct pt_analyzer *a, unsigned i);
/* How many live processes held what finding i is about, and the pid of holder k (0 past them). */
unsigned pt_analyzer_finding_nholders(const struct pt_analyzer *a, unsigned i);
uint32_t pt_analyzer_finding_holder_pid_at(const struct pt_analyzer *a, unsigned i, unsigned k);
/* What finding i is about, the same however much more of a growing trace was read: its rule and
 * deletion (the deleter and the time of the delete: which holder comes first may change as the
 * holders give signs of life), or for a hazard its rule, would-be deleter and holder's session.
 * Into buf; "" when out of range. */
const char *pt_analyzer_finding_key(const struct pt_analyzer *a, unsigned i, char *buf,
                                    size_t len);

/* Reports. Both return 0 or a negative errno from writing. */
struct pt_report_opts {
    int symbolize;   /* resolve stack addresses through module and debug files (libdw), 1 by default */
    int disassemble; /* a few instructions around the deleting call site (capstone) */
};
int pt_report_text(FILE *out, struct pt_analyzer *a, const struct pt_report_opts *o);
int pt_report_json(FILE *out, struct pt_analyzer *a, const struct pt_report_opts *o);

void pt_analyzer_free(struct pt_analyzer *a);

/* Read trace directory `dir` through the tracer's reader into a new analyzer and finish it.
 * Problems in the input are written to `diag` (one line each, naming file and offset) and counted
 * in *damaged. Returns 0 with *out set, or a negative errno when `dir` is not a readable trace at
 * all (the reason is on `diag`). */
int pt_analyze_dir(const char *dir, FILE *diag, struct pt_analyzer **out, uint64_t *damaged);

#endif

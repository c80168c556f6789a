/* export.h — timelines people can look at: the trace as Chrome/Perfetto JSON or as one
 * self-contained HTML report. (Used by cmds/cmd_export.c; the timeline behind it is in
 * analyzer/export_model.h.)
 *
 * Use:
 *     struct pt_timeline *tl;
 *     if (pt_timeline_read(dir, stderr, &tl, &damaged) == 0) {
 *         pt_export_chrome(out, tl);            // or pt_export_html(out, tl, &opts)
 *         pt_timeline_free(tl);
 *     }
 * Unlike `report`, which keeps only live state, a timeline keeps every call of the trace: its
 * memory grows with the trace.
 */
#ifndef PT_ANALYZER_EXPORT_H
#define PT_ANALYZER_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "analyzer/analyzer.h"

struct pt_timeline;

/* Read trace directory `dir` (every call, hold, deletion and failure) and run the analyzer over
 * the same events for the findings. Problems in the input are written to `diag` and counted in
 * *damaged. Returns 0 with *out set, or a negative errno when `dir` is not a readable trace (the
 * reason is on `diag`; -ENOMEM). */
int pt_timeline_read(const char *dir, FILE *diag, struct pt_timeline **out, uint64_t *damaged);

/* The same, fed by hand (tests, live use): a new, empty timeline (NULL when out of memory); feed
 * events in the reader's order (the timeline feeds its own analyzer); finish once, which runs the
 * detectors and links each finding's delete to its victim. `in` may be NULL. */
struct pt_timeline *pt_timeline_new(void);
int pt_timeline_feed(struct pt_timeline *tl, const struct pt_event *ev);
void pt_timeline_finish(struct pt_timeline *tl, const struct pt_analyzer_input *in);

/* Events read, findings found. */
uint64_t pt_timeline_nevents(const struct pt_timeline *tl);
unsigned pt_timeline_nfindings(const struct pt_timeline *tl);

/* Chrome Trace Event Format, array form (a file cut short still loads in Perfetto and
 * chrome://tracing). Returns 0 or a negative errno from writing. */
int pt_export_chrome(FILE *out, const struct pt_timeline *tl);

/* One self-contained HTML file: findings (the text report's narratives and stacks) and an SVG
 * timeline. Returns 0 or a negative errno from writing. */
int pt_export_html(FILE *out, struct pt_timeline *tl, const struct pt_report_opts *o);

void pt_timeline_free(struct pt_timeline *tl);

#endif

/* rotation.h — what `record` and `collect` share for a trace kept for days: the --max-size and
 * --max-age options (the same rows, the same meaning in both), and the analyzer that follows the
 * collection beside the collector to checkpoint each chunk and announce findings
 * (follow_thread.h). */
#ifndef PT_CMDS_ROTATION_H
#define PT_CMDS_ROTATION_H

#include "analyzer/on_finding.h"
#include "cmds/cli.h"
#include "cmds/follow_thread.h"
#include "tracer/rotate.h"

enum {
    PT__ROPT_MAX_SIZE = PT__CLI_LONG + 140, /* apart from collect_alert.h's keys */
    PT__ROPT_MAX_AGE,
};
/* clang-format off */
#define PT__ROTATE_OPT_MAX_SIZE                                                                   \
    {PT__ROPT_MAX_SIZE, "max-size", "SIZE",                                                       \
     "keep the trace under SIZE (k, m and g suffixes; 2m at least): it is written in chunks of "  \
     "an eighth of SIZE, the oldest dropped, with the analyzer's state carried in a checkpoint "  \
     "so that nothing they held is lost (docs/rotation.md)"}
#define PT__ROTATE_OPT_MAX_AGE                                                                    \
    {PT__ROPT_MAX_AGE, "max-age", "DURATION",                                                     \
     "drop the chunks whose events are older than DURATION (seconds, or s, m, h, d, w: 7d; 8s "   \
     "at least), the analyzer's state carried as with --max-size"}
/* clang-format on */

/* Takes the option pt__cli_next returned when it is one of the rows above: 1 taken, 0 not one of
 * them, -1 a refused value (said; the command returns cli->status). */
int pt__rotate_option(struct pt__rotate_opts *o, struct pt__cli *cli, int key);

/* Whether o asks for rotation. */
static inline int pt__rotating(const struct pt__rotate_opts *o)
{
    return o->max_size || o->max_age_ns;
}

/* The line a collection prints on stderr for each finding while it runs:
 * "proftrace CMD: finding: RULE (CAUSE): KIND "NAME" deleted by pid N (EXE) while pid M (EXE)
 * held it". arg: the command's name. */
void pt__finding_line(void *arg, const struct pt_finding_note *n);

/* After the collection: what the analyzer beside it cost, one line on stderr (rotated only). */
void pt__rotation_summary(const char *cmd, const char *dir, const struct pt__follow_cost *cost);

#endif

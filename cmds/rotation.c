/* rotation.c — the --max-size and --max-age options of record and collect, the line each
 * finding gets while they run, and what following cost (design: rotation.h). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmds/rotation.h"
#include "proftrace/escape.h"
#include "proftrace/follow.h"

int pt__rotate_option(struct pt__rotate_opts *o, struct pt__cli *cli, int key)
{
    switch (key) {
    case PT__ROPT_MAX_SIZE:
        return pt__cli_size(cli, 2u << 20, 1ull << 50, &o->max_size) < 0 ? -1 : 1;
    case PT__ROPT_MAX_AGE:
        return pt__cli_duration(cli, 8, 3650 * 86400ull, &o->max_age_ns) < 0 ? -1 : 1;
    default:
        return 0;
    }
}

void pt__finding_line(void *arg, const struct pt_finding_note *n)
{
    const char *cmd = arg;
    char res[512];
    snprintf(res, sizeof res, "%s", pt_esc(n->resource_name));
    fprintf(stderr,
            "proftrace %s: finding%s: %s (%s): %s \"%s\" deleted by pid %" PRIu32 " (%s) while pid "
            "%" PRIu32 " (%s) held it\n",
            cmd, n->updated ? " updated" : "", n->rule, n->cause, n->resource_kind, res,
            n->deleter_pid, *n->deleter_exe ? pt_esc(n->deleter_exe) : "?", n->holder_pid,
            *n->holder_exe ? pt_esc(n->holder_exe) : "?");
}

void pt__rotation_summary(const char *cmd, const char *dir, const struct pt__follow_cost *cost)
{
    struct pt_rotation r;
    pt_rotation_read(dir, &r);
    fprintf(stderr,
            "proftrace %s: rotation: chunks %06" PRIu32 " to %06" PRIu32 " kept, %" PRIu64
            " dropped (%" PRIu64 " events); analyzer %.3f s CPU, %" PRIu64
            " checkpoints in %.3f s CPU\n",
            cmd, r.first_chunk, r.last_chunk, r.dropped_chunks, r.dropped_events,
            (double)cost->cpu_ns / 1e9, cost->checkpoints, (double)cost->checkpoint_ns / 1e9);
}

/* alert_finding.c — a finding of the analyzer as alerts carry it (alert.h): its main fields as a
 * flat record, with the names and values `report --json` gives them, and its JSON document. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/alert.h"
#include "analyzer/report.h"
#include "proftrace/escape.h"

int pt_finding_get(struct pt_analyzer *a, unsigned i, struct pt_finding *out)
{
    if (i >= a->nfindings)
        return -ERANGE;
    const struct pt__finding *f = &a->findings[i];
    const struct pt__proc *dp = a->procs[f->deleter], *hp = a->procs[f->holder];
    struct pt__res r;
    pt__rep_resource(a, f, &r);
    memset(out, 0, sizeof *out);
    out->rule = pt__rule_name(f->rule);
    out->cause = pt__cause_name(f->cause);
    out->severity = f->severity;
    out->uncertain = f->uncertain;
    out->resource_kind = r.kind;
    out->resource = r.name ? r.name : "";
    if (r.sysv)
        snprintf(out->identity, sizeof out->identity, "ipc_ns=%" PRIu64 " shmid=%" PRIu64, r.dev,
                 r.ino);
    else
        snprintf(out->identity, sizeof out->identity, "dev=%" PRIu64 " ino=%" PRIu64, r.dev, r.ino);
    out->deleter_pid = dp->pid;
    out->holder_pid = hp->pid;
    out->deleter_exe = dp->exe ? dp->exe : "";
    out->holder_exe = hp->exe ? hp->exe : "";
    if (f->del == PT__NONE) { /* a hazard: the deleter is the process whose next call would */
        out->hazard = 1;
        out->deleter_call = "MAPIInitialize";
        out->time = f->latent_ts;
        return 0;
    }
    const struct pt__del *d = &a->dels[f->del];
    out->deleter_call = d->via ? d->via : d->call;
    out->time = d->ts;
    /* the first (JSON lists them all); none yet when it is sent before the holder failed */
    const struct pt__victim *v = f->nvictims ? pt__rep_victim_at(a, f, 0) : NULL;
    if (v)
        pt__rep_victim(v, out->victim, sizeof out->victim);
    return 0;
}

char *pt_finding_json(struct pt_analyzer *a, unsigned i, const char *trace_dir, const char *update)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return NULL;
    /* schema: docs/service.md; the finding is report --json's (docs/report-json.md) */
    fprintf(m, "{\"schema\":%d,\"trace_dir\":", PT_REPORT_JSON_SCHEMA);
    pt_esc_json(m, trace_dir);
    if (update) {
        fputs(",\"update\":", m);
        pt_esc_json(m, update);
    }
    fputs(",\"finding\":", m);
    struct pt_report_opts ro = {.symbolize = 1, .disassemble = 0};
    int rc = pt_report_json_finding(m, a, i, &ro);
    fputs("}\n", m);
    if (fclose(m) != 0 || rc < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

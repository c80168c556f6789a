/* findings.c — the findings list the detectors append to and the reports read. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/model.h"

struct pt__finding *pt__finding_add(struct pt_analyzer *a, enum pt__rule rule)
{
    if (a->nfindings == a->capfindings) {
        uint32_t n = a->capfindings ? a->capfindings * 2 : 8;
        void *p = realloc(a->findings, n * sizeof *a->findings);
        if (!p) {
            a->nomem++;
            return NULL;
        }
        a->findings = p;
        a->capfindings = n;
    }
    struct pt__finding *f = &a->findings[a->nfindings++];
    memset(f, 0, sizeof *f);
    f->rule = rule;
    f->del = f->cand = f->mark = PT__NONE;
    f->cause = PT__C_UNKNOWN;
    return f;
}

void pt__finding_uncertain(struct pt__finding *f, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    f->uncertain = 1;
    if (!f->uncertain_why) {
        f->uncertain_why = strdup(buf);
        return;
    }
    size_t n = strlen(f->uncertain_why) + strlen(buf) + 3;
    char *m = malloc(n);
    if (!m)
        return;
    snprintf(m, n, "%s; %s", f->uncertain_why, buf);
    free(f->uncertain_why);
    f->uncertain_why = m;
}

uint64_t pt_analyzer_nevents(const struct pt_analyzer *a)
{
    return a->nevents;
}

unsigned pt_analyzer_nfindings(const struct pt_analyzer *a)
{
    return a->nfindings;
}

const char *pt_analyzer_finding_rule(const struct pt_analyzer *a, unsigned i)
{
    return i < a->nfindings ? pt__rule_name(a->findings[i].rule) : NULL;
}

const char *pt_analyzer_finding_cause(const struct pt_analyzer *a, unsigned i)
{
    return i < a->nfindings ? pt__cause_name(a->findings[i].cause) : NULL;
}

const char *pt_analyzer_finding_severity(const struct pt_analyzer *a, unsigned i)
{
    return i < a->nfindings ? a->findings[i].severity : NULL;
}

int pt_analyzer_finding_uncertain(const struct pt_analyzer *a, unsigned i)
{
    return i < a->nfindings ? a->findings[i].uncertain : 0;
}

int pt_analyzer_finding_has_victim(const struct pt_analyzer *a, unsigned i)
{
    if (i >= a->nfindings || a->findings[i].cand == PT__NONE)
        return 0;
    const struct pt__cand *c = &a->cands[a->findings[i].cand];
    return c->have_victim || c->have_detail;
}

uint32_t pt_analyzer_finding_deleter_pid(const struct pt_analyzer *a, unsigned i)
{
    return i < a->nfindings && a->findings[i].deleter != PT__NONE
               ? a->procs[a->findings[i].deleter]->pid
               : 0;
}

uint32_t pt_analyzer_finding_holder_pid(const struct pt_analyzer *a, unsigned i)
{
    return i < a->nfindings && a->findings[i].holder != PT__NONE
               ? a->procs[a->findings[i].holder]->pid
               : 0;
}

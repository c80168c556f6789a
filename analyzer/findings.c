/* findings.c — the findings list: the rules of rules.h run in their order and append to it, each
 * finding's verdict is then computed once (verdict.c), the reports read it; and the notes a report
 * adds to its summary. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/model.h"

/* Each rule reads only the findings of the rules before it (its `after`). */
#define RULE_ORDER(id, name, run, after, story, severity)                                          \
    _Static_assert(PT__R_##after < PT__R_##id, #id " must come after " #after " in PT_RULES");
PT_RULES(RULE_ORDER)

void pt__rules_run(struct pt_analyzer *a)
{
#define RULE_RUN(id, name, run, after, story, severity) run(a);
    PT_RULES(RULE_RUN)
    pt__verdicts(a);
}

void pt__note(struct pt_analyzer *a, const char *fmt, ...)
{
    if (a->nnotes >= 4)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->notes[a->nnotes], sizeof a->notes[0], fmt, ap);
    va_end(ap);
    for (int i = 0; i < a->nnotes; i++)
        if (!strcmp(a->notes[i], a->notes[a->nnotes]))
            return;
    a->nnotes++;
}

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
    f->del = f->del_last = f->cand = f->mark = PT__NONE;
    f->deleter = f->holder = PT__NONE;
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

const char *pt_analyzer_rule_name(unsigned i)
{
    return i < PT__R_COUNT ? pt__rule_name((enum pt__rule)i) : NULL;
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
    return i < a->nfindings && a->findings[i].nvictims > 0;
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

unsigned pt_analyzer_finding_nholders(const struct pt_analyzer *a, unsigned i)
{
    if (i >= a->nfindings)
        return 0;
    const struct pt__finding *f = &a->findings[i];
    return f->del != PT__NONE ? f->nholders : f->holder != PT__NONE; /* a hazard: its one */
}

uint32_t pt_analyzer_finding_holder_pid_at(const struct pt_analyzer *a, unsigned i, unsigned k)
{
    if (k >= pt_analyzer_finding_nholders(a, i))
        return 0;
    const struct pt__finding *f = &a->findings[i];
    return a->procs[f->del != PT__NONE ? f->holders[k].proc : f->holder]->pid;
}

const char *pt_analyzer_finding_key(const struct pt_analyzer *a, unsigned i, char *buf, size_t len)
{
    if (!len)
        return buf;
    buf[0] = 0;
    if (i >= a->nfindings)
        return buf;
    const struct pt__finding *f = &a->findings[i];
    if (f->del != PT__NONE)
        snprintf(buf, len, "%s|%u|%llu", pt__rule_name(f->rule), a->procs[f->deleter]->pid,
                 (unsigned long long)a->dels[f->del].ts);
    else
        snprintf(buf, len, "%s|%u|%u|%llx", pt__rule_name(f->rule), a->procs[f->deleter]->pid,
                 pt_analyzer_finding_holder_pid(a, i), (unsigned long long)a->sess[f->sess].handle);
    return buf;
}

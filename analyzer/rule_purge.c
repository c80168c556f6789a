/* rule_purge.c — cross-namespace-purge: a profile deleted by a process whose in-use view differs
 * from that of a live holder of a MAPI session on it. */

#include "analyzer/model.h"

static const char *severity(const struct pt__cand *c, const char *base, const char *raised)
{
    return c->have_victim || c->have_detail ? raised : base;
}

void pt__rule_purge(struct pt_analyzer *a)
{
    char why[512];
    for (uint32_t di = 0; di < a->ndels; di++) {
        const struct pt__del *d = &a->dels[di];
        for (uint32_t k = d->cand_first; k < d->cand_first + d->ncand; k++) {
            struct pt__cand *c = &a->cands[k];
            if (c->h.kind != PT_K_SESSION || c->used)
                continue;
            const struct pt__proc *hp = a->procs[c->h.proc], *dp = a->procs[d->proc];
            const struct pt__view *hv = pt__view_at(hp, d->ts), *dv = pt__view_at(dp, d->ts);
            enum pt__cause cause = pt__view_cause(hv, dv);
            c->used = 1;
            if (!pt__cand_judge(a, d, c, cause == PT__C_SAME, why, sizeof why))
                continue;
            struct pt__finding *f = pt__finding_add(a, PT__R_PURGE);
            if (!f)
                return;
            f->del = di;
            f->cand = k;
            f->deleter = d->proc;
            f->holder = c->h.proc;
            f->cause = cause;
            if (hv) {
                f->hview = *hv;
                f->have_hview = 1;
            }
            if (dv) {
                f->dview = *dv;
                f->have_dview = 1;
            }
            f->severity = severity(c, "high", "critical");
            if (why[0])
                pt__finding_uncertain(f, "%s", why);
        }
    }
}

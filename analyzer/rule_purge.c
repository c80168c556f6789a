/* rule_purge.c — cross-namespace-purge: a profile deleted by a process whose in-use view differs
 * from that of a live holder of a MAPI session on it. One finding per deletion, listing every live
 * holder (judge.c); its verdict is verdict.c's. */

#include "analyzer/model.h"

void pt__rule_purge(struct pt_analyzer *a)
{
    for (uint32_t di = 0; di < a->ndels; di++) {
        const struct pt__del *d = &a->dels[di];
        for (uint32_t k = d->cand_first; k < d->cand_first + d->ncand; k++) {
            struct pt__cand *c = &a->cands[k];
            if (c->h.kind != PT_K_SESSION || c->used)
                continue;
            const struct pt__proc *hp = a->procs[c->h.proc], *dp = a->procs[d->proc];
            const struct pt__view *hv = pt__view_at(hp, d->ts), *dv = pt__view_at(dp, d->ts);
            c->used = 1;
            if (!pt__cand_admit(a, d, c, pt__view_cause(hv, dv) == PT__C_SAME))
                continue;
            struct pt__finding *f = pt__op_finding(a, di, c->h.proc, PT__R_PURGE);
            if (!f && !(f = pt__deletion_finding(a, PT__R_PURGE, di)))
                return;
            pt__finding_add_hold(a, f, di, k);
        }
    }
}

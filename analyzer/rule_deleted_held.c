/* rule_deleted_held.c — deleted-while-held: any named resource (registry key, POSIX or SysV
 * shared memory, mapped file) removed while another live process holds it. One finding per
 * deletion, listing every live holder; a hold a cross-namespace-purge finding already tells (the
 * profile's key handle, or another hold of its holder the same sweep removed) joins that finding
 * instead of being reported twice. */
#include "analyzer/model.h"

void pt__rule_deleted_held(struct pt_analyzer *a)
{
    for (uint32_t di = 0; di < a->ndels; di++) {
        const struct pt__del *d = &a->dels[di];
        for (uint32_t k = d->cand_first; k < d->cand_first + d->ncand; k++) {
            struct pt__cand *c = &a->cands[k];
            if (c->used)
                continue;
            c->used = 1;
            struct pt__finding *f = pt__op_finding(a, di, c->h.proc, PT__R_PURGE);
            int same_view;
            if (f) { /* judged as the purge judges its holders: by their in-use views */
                const struct pt__view *hv = pt__view_at(a->procs[c->h.proc], d->ts);
                const struct pt__view *dv = pt__view_at(a->procs[d->proc], d->ts);
                same_view = pt__view_cause(hv, dv) == PT__C_SAME;
            } else {
                same_view = pt__who_cause(&c->h.who, &d->who) == PT__C_SAME;
            }
            int holder_told = 0;
            for (uint32_t i = 0; f && i < f->nholders; i++)
                holder_told |= f->holders[i].proc == c->h.proc;
            if (!holder_told && !pt__cand_admit(a, d, c, same_view))
                continue;
            if (!f)
                f = pt__op_finding(a, di, c->h.proc, PT__R_HELD);
            if (!f && !(f = pt__deletion_finding(a, PT__R_HELD, di)))
                return;
            pt__finding_add_hold(a, f, di, k);
        }
    }
}

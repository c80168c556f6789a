/* rule_deleted_held.c — deleted-while-held: any named resource (registry key, POSIX or SysV
 * shared memory, mapped file) removed while another live process holds it. A hold already told
 * as part of a cross-namespace-purge finding (the profile's key handle, a mark the same sweep
 * removed) is merged into that finding instead of being reported twice. */
#include "analyzer/model.h"

void pt__rule_deleted_held(struct pt_analyzer *a)
{
    char why[512];
    for (uint32_t di = 0; di < a->ndels; di++) {
        const struct pt__del *d = &a->dels[di];
        for (uint32_t k = d->cand_first; k < d->cand_first + d->ncand; k++) {
            struct pt__cand *c = &a->cands[k];
            if (c->used)
                continue;
            c->used = 1;
            struct pt__finding *f = pt__same_story(a, d, c, PT__R_PURGE);
            if (f) {
                pt__merge_cand(a, f, c, "critical");
                continue;
            }
            enum pt__cause cause = pt__who_cause(&c->h.who, &d->who);
            if (!pt__cand_judge(a, d, c, cause == PT__C_SAME, why, sizeof why))
                continue;
            if ((f = pt__same_story(a, d, c, PT__R_HELD))) {
                pt__merge_cand(a, f, c, "high");
                continue;
            }
            f = pt__finding_add(a, PT__R_HELD);
            if (!f)
                return;
            f->del = di;
            f->cand = k;
            f->deleter = d->proc;
            f->holder = c->h.proc;
            f->cause = cause;
            f->severity = c->have_victim || c->have_detail ? "high" : "medium";
            if (why[0])
                pt__finding_uncertain(f, "%s", why);
        }
    }
}

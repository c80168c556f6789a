/* rule_deleted_held.c — deleted-while-held: any named resource (registry key, POSIX or SysV
 * shared memory, mapped file) removed while another live process holds it. A hold already told
 * as part of a cross-namespace-purge finding (the profile's key handle, a mark the same sweep
 * removed) is merged into that finding instead of being reported twice. */
#include <string.h>

#include "analyzer/model.h"

static struct pt__finding *same_story(struct pt_analyzer *a, const struct pt__del *d,
                                      const struct pt__cand *c, int rule)
{
    for (uint32_t i = 0; i < a->nfindings; i++) {
        struct pt__finding *f = &a->findings[i];
        if ((int)f->rule != rule || f->holder != c->h.proc || f->del == PT__NONE)
            continue;
        if (pt__del_same_op(&a->dels[f->del], d))
            return f;
    }
    return NULL;
}

/* Carry a merged candidate's victim over to the finding's own candidate when it has none. */
static void merge_victim(struct pt_analyzer *a, struct pt__finding *f, const struct pt__cand *c)
{
    struct pt__cand *fc = &a->cands[f->cand];
    f->nmerged++;
    if (!fc->have_victim && !fc->have_detail && (c->have_victim || c->have_detail)) {
        uint32_t keep_w = fc->wnext, keep_d = fc->del;
        struct pt__hold h = fc->h;
        *fc = *c;
        fc->h = h;
        fc->wnext = keep_w;
        fc->del = keep_d;
        if (f->rule == PT__R_PURGE)
            f->severity = "critical";
        else
            f->severity = "high";
    }
}

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
            struct pt__finding *f = same_story(a, d, c, PT__R_PURGE);
            if (f) {
                merge_victim(a, f, c);
                continue;
            }
            enum pt__cause cause = pt__who_cause(&c->h.who, &d->who);
            if (!pt__cand_judge(a, d, c, cause == PT__C_SAME, why, sizeof why))
                continue;
            if ((f = same_story(a, d, c, PT__R_HELD))) {
                merge_victim(a, f, c);
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

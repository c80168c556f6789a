/* rule_latent.c — latent-purge-hazard: a profile marked for deletion is held by A while another
 * process B with a different in-use view shares the profile store and looks at the same marks key:
 * the bug has not struck in this trace, but B's next MAPIInitialize will delete A's profile.
 * The finding is not a deletion: report_latent.c tells it (its story, rules.h). */
#include <string.h>
#include <strings.h>

#include "analyzer/model.h"

static uint64_t max3(uint64_t x, uint64_t y, uint64_t z)
{
    uint64_t m = x > y ? x : y;
    return m > z ? m : z;
}

static uint64_t end_or_inf(uint64_t t)
{
    return t ? t : UINT64_MAX;
}

/* Does B look at marks key `name`? When B never touched a marks key, it is assumed to (the
 * library's default key); when it did, only a key of the same name counts. */
static int same_marks_key(const struct pt__proc *b, const char *name)
{
    if (!b->nmarks_keys)
        return 1;
    for (uint32_t i = 0; i < b->nmarks_keys; i++)
        if (!strcasecmp(b->marks_keys[i], name))
            return 1;
    return 0;
}

/* Was this session already struck (a purge finding names it)? */
static int struck(const struct pt_analyzer *a, const struct pt__sess *s)
{
    for (uint32_t i = 0; i < a->nfindings; i++) {
        const struct pt__finding *f = &a->findings[i];
        for (uint32_t k = 0; f->rule == PT__R_PURGE && k < f->nholders; k++) {
            const struct pt__cand *c = &a->cands[f->holders[k].cand];
            if (c->h.proc == s->proc && c->h.handle == s->handle && c->h.ts == s->ts)
                return 1;
        }
    }
    return 0;
}

void pt__rule_latent(struct pt_analyzer *a)
{
    for (uint32_t si = 0; si < a->nsess; si++) {
        const struct pt__sess *s = &a->sess[si];
        const struct pt__proc *hp = a->procs[s->proc];
        if (struck(a, s))
            continue;
        for (uint32_t mi = 0; mi < a->nmarks; mi++) {
            const struct pt__mark *m = &a->marks[mi];
            if (strcasecmp(m->profile, s->profile))
                continue;
            if ((m->store_dev || m->store_ino) && (s->store_dev || s->store_ino) &&
                (m->store_dev != s->store_dev || m->store_ino != s->store_ino))
                continue;
            uint64_t mend = end_or_inf(m->removed_ts), send = end_or_inf(s->end_ts);
            for (uint32_t bi = 0; bi < a->nprocs; bi++) {
                const struct pt__proc *b = a->procs[bi];
                if (bi == s->proc || (!b->store_dev && !b->store_ino) ||
                    b->store_dev != s->store_dev || b->store_ino != s->store_ino ||
                    !same_marks_key(b, m->marks_key))
                    continue;
                const struct pt__view *bv = NULL;
                for (uint32_t v = 0; v < b->nviews; v++)
                    if (b->views[v].in_mapi != 0)
                        bv = &b->views[v];
                if (!bv)
                    continue;
                uint64_t bstart = bv->ts > b->store_ts ? bv->ts : b->store_ts;
                uint64_t from = max3(m->ts, s->ts, bstart);
                uint64_t bend = b->end == PT__ALIVE ? UINT64_MAX : b->end_ts;
                uint64_t to = mend < send ? mend : send;
                if (bend < to)
                    to = bend;
                if (from > to)
                    continue;
                const struct pt__view *hv = pt__view_at(hp, from);
                enum pt__cause cause = pt__view_cause(hv, bv);
                if (cause == PT__C_SAME || !hv)
                    continue;
                struct pt__finding *f = pt__finding_add(a, PT__R_LATENT);
                if (!f)
                    return;
                f->deleter = bi;
                f->holder = s->proc;
                f->mark = mi;
                f->cause = cause;
                f->hview = *hv;
                f->have_hview = 1;
                f->dview = *bv;
                f->have_dview = 1;
                f->latent_ts = from;
                f->cand = PT__NONE;
                f->sess = si;
                f->severity = pt__rule_severity(PT__R_LATENT, 0);
                break; /* one finding per (session, mark): the first process that can strike */
            }
        }
    }
}

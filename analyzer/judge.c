/* judge.c — what the deletion rules share: whether a holder was alive at the delete and how that
 * is known, whether a candidate deserves a finding at all (the deleter someone else, the holder not
 * gone), and how a deletion becomes one finding listing every live holder (with the other objects
 * the same operation removed from one of them: the profile's key handle beside its session). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/model.h"

/* The deleter's liveness check of the holds table just before the delete found p holding it. */
static const struct pt__bp *checked(const struct pt_analyzer *a, const struct pt__del *d,
                                    const struct pt__proc *hp)
{
    uint64_t from = d->ts_enter;
    if (d->api_ts_enter && d->api_ts_enter < from)
        from = d->api_ts_enter;
    if (d->via_ts_enter && d->via_ts_enter < from)
        from = d->via_ts_enter;
    for (uint32_t i = a->nbps; i-- > 0;) {
        const struct pt__bp *b = &a->bps[i];
        if (b->ts > d->ts)
            continue;
        if (b->ts < from)
            break;
        if (b->proc == d->proc && b->dev == d->dev && b->ino == d->ino &&
            (b->holder_pid == hp->pid || b->holder_pid == hp->global_pid))
            return b;
    }
    return NULL;
}

int pt__holder_liveness(const struct pt_analyzer *a, const struct pt__del *d,
                        const struct pt__cand *c, struct pt__liveness *out)
{
    const struct pt__proc *hp = a->procs[c->h.proc];
    memset(out, 0, sizeof *out);
    if (hp->end != PT__ALIVE && hp->end != PT__REAPED && hp->end_ts < d->ts)
        return 0; /* it was gone; its end only reached us late */
    pt__lost_between(hp, c->h.ts, d->ts, &out->lost);
    const struct pt__bp *b = checked(a, d, hp);
    /* Its last sign of life: the collector's `reaped` is no event of its own. */
    uint64_t last = hp->end == PT__REAPED ? hp->reaped_last_ts : hp->last_ts;
    if (b) {
        out->how = PT__LIVE_CHECKED;
        out->at = b->ts;
        out->stopped = b->stopped;
    } else if (last > d->ts) {
        out->how = PT__LIVE_LATER;
        out->at = last;
    } else if (hp->end == PT__REAPED) {
        out->how = PT__LIVE_REAPED;
        out->at = hp->end_ts;
        out->last = last;
    } else if (hp->end == PT__ALIVE || hp->end == PT__REPLACED) {
        out->how = PT__LIVE_SILENT;
        out->last = last;
    } else { /* exited or signalled, its last event being its end, after the delete */
        out->how = PT__LIVE_LATER;
        out->at = hp->end_ts;
    }
    return 1;
}

int pt__cand_admit(struct pt_analyzer *a, const struct pt__del *d, const struct pt__cand *c,
                   int same_view)
{
    struct pt__liveness live;
    if (c->h.proc == d->proc) {
        a->self_deletes++;
        return 0;
    }
    if (!pt__holder_liveness(a, d, c, &live))
        return 0;
    /* A holder that gave no sign of life after its last event before the delete may have died
     * (SIGKILL) before it: the collector's `reaped` comes late, and without a collector nothing
     * says it died at all. With the same view the library saw it gone: that is the clean-up T3
     * is for. */
    if (same_view && (live.how == PT__LIVE_SILENT || live.how == PT__LIVE_REAPED)) {
        a->gone_holders++;
        return 0;
    }
    return 1;
}

int pt__del_same_op(const struct pt__del *x, const struct pt__del *y)
{
    if (x == y)
        return 1;
    return x->proc == y->proc && x->tid == y->tid && x->via && y->via && x->via == y->via &&
           x->via_ts_enter == y->via_ts_enter && x->via_ts == y->via_ts;
}

struct pt__finding *pt__op_finding(struct pt_analyzer *a, uint32_t di, uint32_t holder,
                                   enum pt__rule rule)
{
    const struct pt__del *d = &a->dels[di];
    for (uint32_t i = a->nfindings; i-- > 0;) {
        struct pt__finding *f = &a->findings[i];
        if (f->rule != rule || f->del == PT__NONE || !pt__del_same_op(&a->dels[f->del], d))
            continue;
        if (d->finding1 == i + 1)
            return f; /* the same deletion: another holder of it */
        for (uint32_t k = 0; k < f->nholders; k++)
            if (f->holders[k].proc == holder)
                return f; /* another object of the same holder, the same operation */
    }
    return NULL;
}

struct pt__finding *pt__deletion_finding(struct pt_analyzer *a, enum pt__rule rule, uint32_t di)
{
    struct pt__finding *f = pt__finding_add(a, rule);
    if (!f)
        return NULL;
    f->del = f->del_last = di;
    f->deleter = a->dels[di].proc;
    a->dels[di].finding1 = a->nfindings;
    a->dels[di].fnext = PT__NONE;
    return f;
}

void pt__finding_add_hold(struct pt_analyzer *a, struct pt__finding *f, uint32_t di, uint32_t k)
{
    struct pt__del *d = &a->dels[di];
    uint32_t fi = (uint32_t)(f - a->findings);
    if (d->finding1 != fi + 1) { /* another deletion of the same operation */
        d->finding1 = fi + 1;
        d->fnext = PT__NONE;
        a->dels[f->del_last].fnext = di;
        f->del_last = di;
    }
    uint32_t proc = a->cands[k].h.proc;
    for (uint32_t i = 0; i < f->nholders; i++)
        if (f->holders[i].proc == proc) {
            f->holders[i].nmerged++;
            return;
        }
    if (PT__GROW(a, f->holders, f->nholders, f->capholders))
        return;
    struct pt__fholder *h = &f->holders[f->nholders++];
    memset(h, 0, sizeof *h);
    h->proc = proc;
    h->cand = k;
    if (f->nholders == 1) {
        f->holder = proc;
        f->cand = k;
    }
}

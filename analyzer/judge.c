/* judge.c — what the deletion rules share: whether a candidate deserves a finding at all (the
 * holder really alive, the deleter someone else, no events lost that could hide a release), and
 * how another hold of the same holder, removed by the same operation, joins a finding instead of
 * making one of its own. */
#include <stdio.h>
#include <string.h>

#include "analyzer/model.h"

static void append(char *buf, size_t len, const char *fmt, unsigned long long n, double x)
{
    size_t used = strlen(buf);
    if (used && used + 2 < len) {
        strcat(buf, "; ");
        used += 2;
    }
    if (used < len)
        snprintf(buf + used, len - used, fmt, n, x);
}

int pt__cand_judge(struct pt_analyzer *a, const struct pt__del *d, const struct pt__cand *c,
                   int same_view, char *why, size_t whylen)
{
    const struct pt__proc *hp = a->procs[c->h.proc];
    const struct pt__proc *dp = a->procs[d->proc];
    why[0] = 0;
    if (c->h.proc == d->proc) {
        a->self_deletes++;
        return 0;
    }
    if (hp->end != PT__ALIVE && hp->end != PT__REAPED && hp->end_ts < d->ts)
        return 0; /* it was gone; its end only reached us late */
    /* A holder that never exited normally and gave no sign of life after its last event before
     * the delete may have died (SIGKILL) before it: the collector's `reaped` comes late, and
     * without a collector nothing says it died at all. With the same view the library saw it
     * gone: that is the clean-up T3 is for. */
    uint64_t last = hp->end == PT__REAPED ? hp->reaped_last_ts : hp->last_ts;
    int quiet_end = hp->end == PT__REAPED || hp->end == PT__ALIVE || hp->end == PT__REPLACED;
    if (quiet_end && last <= d->ts) {
        if (same_view) {
            a->gone_holders++;
            return 0;
        }
        append(why, whylen,
               hp->end == PT__REAPED
                   ? "the holder (pid %llu) was found dead after the delete and gave no sign of "
                     "life in the %.3f s before it: it may already have been dead"
                   : "the holder (pid %llu) never exited normally and gave no sign of life in the "
                     "%.3f s before the delete or after it: it may already have been dead",
               hp->pid, (double)(d->ts - last) / 1e9);
    }
    uint64_t n;
    if (pt__lost_between(hp, c->h.ts, d->ts, &n))
        append(why, whylen,
               "%llu events of the holder were lost between the start of its hold and the delete "
               "(a release may be among them)%.0f",
               (unsigned long long)n, 0.0);
    uint64_t from =
        d->via_ts_enter && d->via_ts_enter < d->ts_enter ? d->via_ts_enter : d->ts_enter;
    if (pt__lost_between(dp, from, d->ts, &n))
        append(why, whylen, "%llu events of the deleter were lost around the delete%.0f",
               (unsigned long long)n, 0.0);
    (void)dp;
    return 1;
}

int pt__del_same_op(const struct pt__del *x, const struct pt__del *y)
{
    if (x == y)
        return 1;
    return x->proc == y->proc && x->tid == y->tid && x->via && y->via && x->via == y->via &&
           x->via_ts_enter == y->via_ts_enter && x->via_ts == y->via_ts;
}

struct pt__finding *pt__same_story(struct pt_analyzer *a, const struct pt__del *d,
                                   const struct pt__cand *c, enum pt__rule rule)
{
    for (uint32_t i = 0; i < a->nfindings; i++) {
        struct pt__finding *f = &a->findings[i];
        if (f->rule != rule || f->holder != c->h.proc || f->del == PT__NONE)
            continue;
        if (pt__del_same_op(&a->dels[f->del], d))
            return f;
    }
    return NULL;
}

void pt__merge_cand(struct pt_analyzer *a, struct pt__finding *f, const struct pt__cand *c,
                    const char *raised)
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
        f->severity = raised;
    }
}

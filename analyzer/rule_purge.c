/* rule_purge.c — cross-namespace-purge: a profile deleted by a process whose in-use view differs
 * from that of a live holder of a MAPI session on it; plus the judgement every deletion rule
 * shares (is the holder really alive, is the deleter someone else, were events lost). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

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
            if (c->h.kind != PT__H_SESSION || c->used)
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

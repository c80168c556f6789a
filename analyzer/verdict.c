/* verdict.c — each finding's verdict, computed once, after the rules, from the facts of the trace;
 * every output (text, JSON, HTML, Chrome, live) only renders what this puts in the finding:
 *   holders     each with how it is known to have been alive at the delete (judge.c), the most
 *               telling first: its session (a profile's purge), evidence of life, nothing lost;
 *   victims     the failures the operation's deletions caused, in any process, first first;
 *   facts       what the deleter consulted before the delete (an in-use view, one its deleting call
 *               consults but the trace lacks, nothing, or unknown: not traced), and how the two
 *               in-use views compare;
 *   conclusions the cause (from those facts, never from one alone), the severity (an open file's by
 *               its class, open_file.c; a victim raises it), the certainty (the first holder's
 * liveness, events lost around the delete), the one sentence of why and the remedy (the story's,
 * report_story.c). A finding that is not a deletion (latent) keeps the cause its rule found from
 * the two views. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/open_file.h"
#include "analyzer/report.h"

/* The category of a call known by its name (the deletion keeps names). */
static int category_of(const char *call)
{
    if (!call)
        return -1;
    for (unsigned id = PT_EV_CALL_FIRST; id < PT__NIDS; id++)
        if (!strcmp(pt_event_name(id), call))
            return pt__ev_category(id);
    return -1;
}

static int has_victim(const struct pt_analyzer *a, const struct pt__finding *f, uint32_t proc)
{
    for (uint32_t i = 0; i < f->nvictims; i++)
        if (a->victims[f->victims[i]].proc == proc)
            return 1;
    return 0;
}

/* Holder x before holder y? Its session (the purge's subject), evidence it lived, nothing lost,
 * its own failure, the earlier hold. */
static int before(const struct pt_analyzer *a, const struct pt__finding *f,
                  const struct pt__fholder *x, const struct pt__fholder *y)
{
    const struct pt__cand *cx = &a->cands[x->cand], *cy = &a->cands[y->cand];
    int sx = cx->h.kind == PT_K_SESSION, sy = cy->h.kind == PT_K_SESSION;
    if (sx != sy)
        return sx;
    int lx = x->live.how <= PT__LIVE_LATER, ly = y->live.how <= PT__LIVE_LATER;
    if (lx != ly)
        return lx;
    if (x->live.how != y->live.how)
        return x->live.how < y->live.how;
    if (!x->live.lost != !y->live.lost)
        return !x->live.lost;
    int vx = has_victim(a, f, x->proc), vy = has_victim(a, f, y->proc);
    if (vx != vy)
        return vx;
    if (cx->h.ts != cy->h.ts)
        return cx->h.ts < cy->h.ts;
    return x->proc < y->proc;
}

/* The failures of every deletion of f's operation: one per process (its first), in time order. */
static void collect_victims(struct pt_analyzer *a, struct pt__finding *f)
{
    uint32_t n = 0;
    for (uint32_t di = f->del; di != PT__NONE; di = a->dels[di].fnext)
        for (uint32_t v = a->dels[di].victim_head; v != PT__NONE; v = a->victims[v].next)
            n += !a->victims[v].dropped;
    if (!n || !(f->victims = malloc(n * sizeof *f->victims))) {
        a->nomem += n > 0;
        return;
    }
    for (uint32_t di = f->del; di != PT__NONE; di = a->dels[di].fnext)
        for (uint32_t vi = a->dels[di].victim_head; vi != PT__NONE; vi = a->victims[vi].next) {
            const struct pt__victim *v = &a->victims[vi];
            uint32_t k = 0;
            if (v->dropped)
                continue;
            while (k < f->nvictims && a->victims[f->victims[k]].proc != v->proc)
                k++;
            if (k < f->nvictims) { /* the same process failed on two of the operation's objects */
                if (v->ts >= a->victims[f->victims[k]].ts)
                    continue;
                memmove(&f->victims[k], &f->victims[k + 1],
                        (--f->nvictims - k) * sizeof f->victims[0]);
            }
            k = f->nvictims++;
            while (k > 0 && a->victims[f->victims[k - 1]].ts > v->ts) {
                f->victims[k] = f->victims[k - 1];
                k--;
            }
            f->victims[k] = vi;
        }
}

/* What the deleter looked at before deleting. */
static enum pt__consult consulted(const struct pt_analyzer *a, const struct pt__del *d,
                                  const struct pt__view *dv)
{
    if (d->witnessed)
        return PT__CONSULT_UNTRACED;
    if (dv)
        return PT__CONSULT_VIEW;
    /* MAPI's calls that delete profiles consult the in-use list by their documented semantics */
    if (category_of(d->via) == PT_CAT_MAPI || category_of(d->api) == PT_CAT_MAPI)
        return PT__CONSULT_UNSEEN;
    (void)a;
    return PT__CONSULT_NONE;
}

static void doubt(struct pt_analyzer *a, struct pt__finding *f)
{
    const struct pt__fholder *h = &f->holders[0];
    const struct pt__proc *hp = a->procs[h->proc], *dp = a->procs[f->deleter];
    const struct pt__del *d = &a->dels[a->cands[h->cand].del];
    if (h->live.how == PT__LIVE_SILENT)
        pt__finding_uncertain(f,
                              "the holder (pid %u) never exited normally and gave no sign of life "
                              "in the %.3f s before the delete or after it: it may already have "
                              "been dead",
                              hp->pid, (double)(d->ts - h->live.last) / 1e9);
    else if (h->live.how == PT__LIVE_REAPED)
        pt__finding_uncertain(f,
                              "the holder (pid %u) was found dead after the delete and gave no "
                              "sign of life in the %.3f s before it: it may already have been dead",
                              hp->pid, (double)(d->ts - h->live.last) / 1e9);
    if (h->live.lost)
        pt__finding_uncertain(f,
                              "%llu events of the holder were lost between the start of its hold "
                              "and the delete (a release may be among them)",
                              (unsigned long long)h->live.lost);
    /* A SysV removal noticed by a scan happened somewhere since the scan before: when every
     * holder let go in between, each may have done so before it. */
    uint64_t last = 0;
    for (uint32_t i = 0; d->noticed && i < f->nholders; i++) {
        const struct pt__cand *c = &a->cands[f->holders[i].cand];
        if (!c->ended) {
            last = 0;
            break;
        }
        if (c->ended > last)
            last = c->ended;
    }
    if (last)
        pt__finding_uncertain(f,
                              "the removal happened between two scans of the segment table "
                              "(%.3f s apart), and every holder let go of the segment in between "
                              "(the last %.3f s after the first scan): it may have been removed "
                              "after they let go",
                              (double)(d->noticed - d->ts) / 1e9, (double)(last - d->ts) / 1e9);
    uint64_t from =
        d->via_ts_enter && d->via_ts_enter < d->ts_enter ? d->via_ts_enter : d->ts_enter;
    uint64_t n;
    if (pt__lost_between(dp, from, d->ts, &n))
        pt__finding_uncertain(f, "%llu events of the deleter were lost around the delete",
                              (unsigned long long)n);
}

static void deletion_verdict(struct pt_analyzer *a, struct pt__finding *f)
{
    const struct pt__story *st = pt__story_of(f);
    const struct pt__del *d = &a->dels[f->del];
    const struct pt__proc *dp = a->procs[d->proc];
    for (uint32_t i = 0; i < f->nholders; i++) {
        struct pt__fholder *h = &f->holders[i];
        const struct pt__cand *c = &a->cands[h->cand];
        /* in-use views only where they explain the finding: what is not compared is not shown */
        const struct pt__view *v =
            st->by_views ? pt__view_at(a->procs[h->proc], a->dels[c->del].ts) : NULL;
        pt__holder_liveness(a, &a->dels[c->del], c, &h->live);
        h->have_view = v != NULL;
        if (v)
            h->view = *v;
    }
    collect_victims(a, f);
    for (uint32_t i = 1; i < f->nholders; i++) { /* a few holders: insertion sort, stable */
        struct pt__fholder x = f->holders[i];
        uint32_t k = i;
        for (; k > 0 && before(a, f, &x, &f->holders[k - 1]); k--)
            f->holders[k] = f->holders[k - 1];
        f->holders[k] = x;
    }
    const struct pt__fholder *h = &f->holders[0];
    const struct pt__cand *c = &a->cands[h->cand];
    const struct pt__view *dv = pt__view_at(dp, d->ts);
    f->holder = h->proc;
    f->cand = h->cand;
    f->consult = (uint8_t)consulted(a, d, dv);
    if (st->by_views) {
        f->have_hview = h->have_view;
        f->hview = h->view;
        f->have_dview = dv != NULL;
        if (dv)
            f->dview = *dv;
        f->views = (uint8_t)pt__views_compare(f->have_hview ? &f->hview : NULL,
                                              f->have_dview ? &f->dview : NULL);
    } else {
        f->views = PT__VIEWS_NOT_SEEN;
    }
    switch (f->consult) {
    case PT__CONSULT_NONE:
    case PT__CONSULT_UNTRACED:
        f->cause = PT__C_NO_CHECK; /* no liveness check to be blind: none was made */
        break;
    default:
        if (st->by_views)
            f->cause = f->consult == PT__CONSULT_VIEW && f->have_hview
                           ? pt__view_cause(&f->hview, &f->dview)
                           : PT__C_UNKNOWN;
        else
            f->cause = pt__who_cause(&c->h.who, &d->who);
        break;
    }
    if (f->rule == PT__R_HELD && c->h.kind == PT_K_FILE) /* by what it is to its holder */
        f->severity = pt__file_severity(pt__file_class(c->h.oflags, pt__rep_file_name(a, f)),
                                        d->kind == PT_K_RENAME, f->nvictims > 0);
    else
        f->severity = pt__rule_severity(f->rule, f->nvictims > 0);
    doubt(a, f);
}

void pt__verdicts(struct pt_analyzer *a)
{
    char why[1024];
    uint32_t keep = 0; /* a deletion with no holder is no finding (its holder was lost: memory) */
    for (uint32_t i = 0; i < a->nfindings; i++)
        if (a->findings[i].del == PT__NONE || a->findings[i].nholders)
            a->findings[keep++] = a->findings[i];
    a->nfindings = keep;
    for (uint32_t i = 0; i < a->nfindings; i++) {
        struct pt__finding *f = &a->findings[i];
        const struct pt__story *st = pt__story_of(f);
        if (f->del != PT__NONE) {
            deletion_verdict(a, f);
        } else { /* a hazard: the rule compared the two views */
            f->consult = PT__CONSULT_VIEW;
            f->views = (uint8_t)pt__views_compare(f->have_hview ? &f->hview : NULL,
                                                  f->have_dview ? &f->dview : NULL);
        }
        if (!(f->why = strdup(st->why(a, f, why, sizeof why))))
            a->nomem++;
        f->remedy = st->remedy(a, f);
    }
}

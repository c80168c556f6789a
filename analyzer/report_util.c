/* report_util.c — naming a finding's parts for every report format: its story (rules.h), resource,
 * verdict (why, remedy, the holders' liveness, the facts in words), mark, victims, errors, devices,
 * times. */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <string.h>
#include <strings.h>
#include <sys/sysmacros.h>

#include "analyzer/report.h"
#include "proftrace/trace.h"
#include "tracer/flag_names.h"

const struct pt__story *pt__story_of(const struct pt__finding *f)
{
    static const struct pt__story *const story[PT__R_COUNT] = {
#define RULE_STORY(id, name, run, after, story, severity) &story,
        PT_RULES(RULE_STORY)
#undef RULE_STORY
    };
    return story[(unsigned)f->rule < PT__R_COUNT ? f->rule : 0];
}

void pt__rep_resource(const struct pt_analyzer *a, const struct pt__finding *f, struct pt__res *r)
{
    memset(r, 0, sizeof *r);
    pt__story_of(f)->resource(a, f, r);
}

const char *pt__rep_file_name(const struct pt_analyzer *a, const struct pt__finding *f)
{
    const struct pt__del *d = &a->dels[f->del];
    const struct pt__cand *c = &a->cands[f->cand];
    return d->target && *d->target ? d->target : c->h.path ? c->h.path : "";
}

const char *pt__rep_hold_what(const struct pt__cand *c, char *buf, size_t len)
{
    switch (c->h.kind) {
    case PT_K_SESSION:
        return "holds the profile";
    case PT_K_KEY:
        return "has the key open";
    case PT_K_SYSV:
        if (c->h.seen)
            return "had it attached when it was removed: the witness found it in its maps, no "
                   "call on record attached it";
        if (!c->h.from_pid)
            return "has it attached";
        snprintf(buf, len, "has it attached, inherited from pid %u at fork", c->h.from_pid);
        return buf;
    case PT_K_FILE: {
        char fl[128];
        const struct pt__flagset *s = pt__flagset_of(PT__ID(open), PT_FIELD(open, flags));
        if (!s || !pt__flags_text(s, c->h.oflags, fl, sizeof fl))
            snprintf(fl, sizeof fl, "0x%x", c->h.oflags);
        snprintf(buf, len, "has it open for writing (%s), fd %llu", fl,
                 (unsigned long long)c->h.handle - 1);
        return buf;
    }
    default:
        if (c->h.kind != PT_K_MAP || !c->h.from_pid)
            return "has it mapped";
        snprintf(buf, len, "has it mapped, inherited from pid %u at fork", c->h.from_pid);
        return buf;
    }
}

const char *pt__rep_why(const struct pt__finding *f)
{
    return f->why ? f->why : "";
}

const char *pt__rep_remedy(const struct pt__finding *f)
{
    return f->remedy ? f->remedy : "";
}

const char *pt__rep_liveness(const struct pt_analyzer *a, const struct pt__fholder *h, char *buf,
                             size_t len)
{
    const struct pt__proc *hp = a->procs[h->proc];
    const struct pt__del *d = &a->dels[a->cands[h->cand].del];
    switch (h->live.how) {
    case PT__LIVE_CHECKED:
        snprintf(buf, len,
                 "alive at the delete: the deleter's liveness check (PROFTRACE_BREAK) found its "
                 "hold live just before it%s",
                 h->live.stopped ? ", and stopped there in the debugger" : "");
        break;
    case PT__LIVE_LATER:
        if (hp->end == PT__EXITED && h->live.at == hp->end_ts)
            snprintf(buf, len, "alive at the delete: it exited at %+.6fs, after it",
                     pt__rep_rel(a, h->live.at));
        else if (hp->end == PT__SIGNALLED && h->live.at == hp->end_ts)
            snprintf(buf, len, "alive at the delete: it was ended by signal %d at %+.6fs, after it",
                     hp->end_signo, pt__rep_rel(a, h->live.at));
        else
            snprintf(buf, len,
                     "alive at the delete: it was active after it (its last event at "
                     "%+.6fs)",
                     pt__rep_rel(a, h->live.at));
        break;
    case PT__LIVE_REAPED:
        snprintf(buf, len,
                 "not known to be alive at the delete: found dead at %+.6fs (reaped by the "
                 "collector), no sign of life in the %.3f s before the delete",
                 pt__rep_rel(a, h->live.at), (double)(d->ts - h->live.last) / 1e9);
        break;
    default:
        snprintf(buf, len,
                 "not known to be alive at the delete: no sign of life in the %.3f s before it or "
                 "after it, and no end of it recorded (it may have run on, or died unseen)",
                 (double)(d->ts - h->live.last) / 1e9);
        break;
    }
    return buf;
}

const char *pt__rep_live_evidence(const struct pt__fholder *h)
{
    static const char *const words[] = {"liveness-check", "later-event", "silent", "reaped"};
    return h->live.how < 4 ? words[h->live.how] : "silent";
}

const char *pt__rep_consult(const struct pt__finding *f)
{
    static const char *const words[] = {"in-use-view", "unrecorded-view", "none", "untraced"};
    return f->consult < 4 ? words[f->consult] : "none";
}

const char *pt__rep_views(const struct pt__finding *f)
{
    static const char *const words[] = {"not-seen", "unidentified", "same", "differ"};
    return f->views < 4 ? words[f->views] : "not-seen";
}

const struct pt__victim *pt__rep_victim_at(const struct pt_analyzer *a, const struct pt__finding *f,
                                           uint32_t i)
{
    return &a->victims[f->victims[i]];
}

double pt__rep_rel(const struct pt_analyzer *a, uint64_t ts)
{
    return ts >= a->ts_first ? (double)(ts - a->ts_first) / 1e9 : -(double)(a->ts_first - ts) / 1e9;
}

const char *pt__rep_base(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path ? path : "?";
}

const struct pt__mark *pt__rep_mark(const struct pt_analyzer *a, const char *profile,
                                    uint64_t before)
{
    const struct pt__mark *best = NULL;
    for (uint32_t i = 0; i < a->nmarks; i++)
        if (profile && !strcasecmp(a->marks[i].profile, profile) && a->marks[i].ts <= before)
            best = &a->marks[i];
    return best;
}

const char *pt__rep_error(const char *call, int64_t ret, int32_t err, char *buf, size_t len)
{
    const char *n;
    unsigned id = 0;
    while (id < PT__NIDS && (!call || strcmp(pt_event_name(id), call)))
        id++;
    const struct pt__row *r = pt__row_of(id);
    if (r && r->retk == PT_RET_W32) {
        n = pt_win32_error_name((uint32_t)ret);
        snprintf(buf, len, "%lld%s%s", (long long)ret, n ? " " : "", n ? n : "");
    } else if (r && (r->retk == PT_RET_BOOL_W32 || r->retk == PT_RET_HANDLE_W32)) {
        n = pt_win32_error_name((uint32_t)err); /* failed: the error is GetLastError()'s */
        snprintf(buf, len, "%d%s%s", err, n ? " " : "", n ? n : "");
    } else if (r && r->retk == PT_RET_HRESULT) {
        n = pt_hresult_name((uint32_t)ret);
        snprintf(buf, len, "0x%08x%s%s", (unsigned)(uint32_t)ret, n ? " " : "", n ? n : "");
    } else {
        n = pt_errno_name(err);
        snprintf(buf, len, "-1 %s", n ? n : strerror(err));
    }
    return buf;
}

const char *pt__rep_victim(const struct pt__victim *v, char *buf, size_t len)
{
    char e1[64], e2[64];
    buf[0] = 0;
    if (v->call && v->detail_call)
        snprintf(buf, len, "%s -> %s (%s -> %s)", v->call,
                 pt__rep_error(v->call, v->ret, v->err, e1, sizeof e1), v->detail_call,
                 pt__rep_error(v->detail_call, v->detail_ret, v->detail_err, e2, sizeof e2));
    else if (v->call)
        snprintf(buf, len, "%s -> %s", v->call,
                 pt__rep_error(v->call, v->ret, v->err, e1, sizeof e1));
    else if (v->detail_call)
        snprintf(buf, len, "%s -> %s", v->detail_call,
                 pt__rep_error(v->detail_call, v->detail_ret, v->detail_err, e2, sizeof e2));
    return buf;
}

const char *pt__rep_dev(uint64_t dev, char *buf, size_t len)
{
    snprintf(buf, len, "%u:%u", major(dev), minor(dev));
    return buf;
}

const char *pt__rep_rotation(const struct pt_analyzer *a, char *buf, size_t len)
{
    const struct pt__carried *c = &a->carried;
    char when[64] = "";
    if (!c->rotated || !c->dropped_chunks)
        return NULL;
    int n = snprintf(buf, len, "%llu events in %llu chunks dropped by rotation",
                     (unsigned long long)c->dropped_events, (unsigned long long)c->dropped_chunks);
    if (n < 0 || (size_t)n >= len)
        return buf;
    if (!c->carried) {
        snprintf(buf + n, len - (size_t)n,
                 "; their state was not carried (no readable checkpoint)");
        return buf;
    }
    time_t t = (time_t)(((int64_t)c->at + c->realtime) / 1000000000);
    struct tm tm;
    if (c->realtime && localtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S ", &tm);
    snprintf(buf + n, len - (size_t)n, "; state carried from %s(+%.6fs, chunk %u's checkpoint)",
             when, pt__rep_rel(a, c->at), c->chunk);
    return buf;
}

const char *pt__rep_late(const struct pt_analyzer *a, char *buf, size_t len)
{
    if (!a->late)
        return NULL;
    snprintf(buf, len,
             "%llu event%s arrived later than the follow lag (up to %.3f s behind newer ones): "
             "findings near them may be incomplete",
             (unsigned long long)a->late, a->late == 1 ? "" : "s", (double)a->late_max / 1e9);
    return buf;
}

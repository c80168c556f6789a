/* report_util.c — naming a finding's parts for every report format: its story (rules.h), resource,
 * mark, victim, errors, devices, times. */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <string.h>
#include <strings.h>
#include <sys/sysmacros.h>

#include "analyzer/report.h"
#include "proftrace/trace.h"

const struct pt__story *pt__story_of(const struct pt__finding *f)
{
    static const struct pt__story *const story[PT__R_COUNT] = {
#define RULE_STORY(id, name, run, after, story) &story,
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

const char *pt__rep_why(const struct pt_analyzer *a, const struct pt__finding *f, char *buf,
                        size_t len)
{
    return pt__story_of(f)->why(a, f, buf, len);
}

const char *pt__rep_remedy(const struct pt__finding *f)
{
    return pt__story_of(f)->remedy(f->cause);
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
    } else if (r && r->retk == PT_RET_HRESULT) {
        n = pt_hresult_name((uint32_t)ret);
        snprintf(buf, len, "0x%08x%s%s", (unsigned)(uint32_t)ret, n ? " " : "", n ? n : "");
    } else {
        n = pt_errno_name(err);
        snprintf(buf, len, "-1 %s", n ? n : strerror(err));
    }
    return buf;
}

const char *pt__rep_victim(const struct pt__cand *c, char *buf, size_t len)
{
    char e1[64], e2[64];
    buf[0] = 0;
    if (c->have_victim && c->have_detail)
        snprintf(buf, len, "%s -> %s (%s -> %s)", c->victim_call,
                 pt__rep_error(c->victim_call, c->victim_ret, c->victim_err, e1, sizeof e1),
                 c->detail_call,
                 pt__rep_error(c->detail_call, c->detail_ret, c->detail_err, e2, sizeof e2));
    else if (c->have_victim)
        snprintf(buf, len, "%s -> %s", c->victim_call,
                 pt__rep_error(c->victim_call, c->victim_ret, c->victim_err, e1, sizeof e1));
    else if (c->have_detail)
        snprintf(buf, len, "%s -> %s", c->detail_call,
                 pt__rep_error(c->detail_call, c->detail_ret, c->detail_err, e2, sizeof e2));
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

/* export_chrome.c — the timeline as Chrome Trace Event Format JSON, for Perfetto and
 * chrome://tracing.
 *
 * The array form is written one event per line with no closing bracket needed to load it (both
 * viewers accept an unterminated array), so a file cut short by a full disk or a killed export
 * still opens. Per process: a track named with exe, pid and namespace identity, sorted so that
 * processes of one login session and mount / IPC / PID namespace sit together; calls as complete
 * (`X`) slices with their arguments; deletions and failures as thread instants; holds as async
 * spans (`b`/`e`); one flow (`s`/`f`) from each finding's delete to the failure it caused, bound to
 * the two calls; findings as global instants. Times are microseconds since the trace start, with
 * three decimals (nanoseconds). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "analyzer/export_model.h"
#include "analyzer/report.h"

static const char *const cat_names[PT_CAT_COUNT] = {
#define CATN(c) #c,
    PT_CATEGORIES(CATN)
#undef CATN
};

struct out {
    FILE *f;
    const struct pt_timeline *tl;
    unsigned n; /* events written */
};

/* Start an event: the separator, then {"ph":..,"pid":..,"tid":..,"ts":.. */
static void ev_begin(struct out *o, const char *ph, uint32_t pid, uint32_t tid, uint64_t ts)
{
    fprintf(o->f, "%s{\"ph\":\"%s\",\"pid\":%u,\"tid\":%u,\"ts\":", o->n++ ? ",\n" : "", ph, pid,
            tid);
    pt__x_us(o->f, ts, o->tl->t0);
}

static uint32_t ctid_of(const struct pt_timeline *tl, uint32_t proc, uint32_t tid)
{
    uint64_t v;
    if (pt__map_get(&tl->thread_by_tid, proc, tid, &v))
        return tl->threads[v].ctid;
    return tl->procs[proc].cpid;
}

static void metadata(struct out *o)
{
    const struct pt_timeline *tl = o->tl;
    const struct pt_analyzer *a = tl->a;
    char g[256];
    for (uint32_t i = 0; i < tl->nprocs; i++) {
        const struct pt__proc *p = a->procs[i];
        const struct pt__tl_proc *tp = &tl->procs[i];
        uint32_t cpid = tp->cpid;
        if (!tp->shown)
            continue;
        if (tl->ngroups > tp->group)
            pt__tl_group_label(&tl->groups[tp->group], g, sizeof g);
        else
            g[0] = 0;
        ev_begin(o, "M", cpid, cpid, 0);
        fprintf(o->f, ",\"name\":\"process_name\",\"args\":{\"name\":\"");
        pt__x_json_raw(o->f, pt__tl_base(p->exe));
        fprintf(o->f, " (pid %u", p->pid);
        if (p->global_pid && p->global_pid != p->pid)
            fprintf(o->f, ", %u in the initial pid namespace", p->global_pid);
        fputs(") [", o->f);
        pt__x_json_raw(o->f, g);
        fputs("]\"}}", o->f);
        ev_begin(o, "M", cpid, cpid, 0);
        fputs(",\"name\":\"process_labels\",\"args\":{\"labels\":\"", o->f);
        pt__x_json_raw(o->f, g);
        fprintf(o->f, ", uid %u euid %u\"}}", p->who.uid, p->who.euid);
        ev_begin(o, "M", cpid, cpid, 0);
        fprintf(o->f, ",\"name\":\"process_sort_index\",\"args\":{\"sort_index\":%u}}", tp->order);
    }
    for (uint32_t i = 0; i < tl->nthreads; i++) {
        const struct pt__tl_thread *t = &tl->threads[i];
        const struct pt__proc *p = a->procs[t->proc];
        ev_begin(o, "M", tl->procs[t->proc].cpid, t->ctid, 0);
        fputs(",\"name\":\"thread_name\",\"args\":{\"name\":\"", o->f);
        pt__x_json_raw(o->f, pt__tl_base(p->exe));
        fprintf(o->f, " tid %u\"}}", t->tid);
        ev_begin(o, "M", tl->procs[t->proc].cpid, t->ctid, 0);
        fprintf(o->f, ",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%u}}",
                t->tid == p->pid ? 0 : 1 + i);
    }
}

static void slices(struct out *o)
{
    const struct pt_timeline *tl = o->tl;
    for (uint32_t i = 0; i < tl->nslices; i++) {
        const struct pt__tl_slice *s = &tl->slices[i];
        uint32_t pid = tl->procs[s->proc].cpid, tid = ctid_of(tl, s->proc, s->tid);
        int cat = pt__ev_category(s->id);
        ev_begin(o, "X", pid, tid, s->t0);
        fputs(",\"dur\":", o->f);
        pt__x_us(o->f, s->t1, s->t0);
        fprintf(o->f, ",\"name\":\"%s\",\"cat\":\"%s\",\"args\":{%s}}", pt_event_name(s->id),
                cat >= 0 ? cat_names[cat] : "call", s->args ? s->args : "");
        if (!s->mark)
            continue;
        ev_begin(o, "i", pid, tid, s->t1);
        fprintf(o->f, ",\"s\":\"t\",\"cat\":\"%s\",\"name\":\"%s %s\",\"args\":{%s}}",
                s->mark & PT__TL_DELETE ? "deletion" : "failure",
                s->mark & PT__TL_DELETE ? "deleted by" : "failed:", pt_event_name(s->id),
                s->args ? s->args : "");
    }
}

static const char *const hold_kinds[] = {"mapi-session", "mapped-view", "shared-mapping",
                                         "sysv-attach"};

static void holds(struct out *o)
{
    const struct pt_timeline *tl = o->tl;
    for (uint32_t i = 0; i < tl->nholds; i++) {
        const struct pt__tl_hold *h = &tl->holds[i];
        uint32_t pid = tl->procs[h->proc].cpid, tid = ctid_of(tl, h->proc, h->tid);
        for (int end = 0; end < 2; end++) {
            ev_begin(o, end ? "e" : "b", pid, tid, end ? h->t1 : h->t0);
            fprintf(o->f, ",\"cat\":\"hold\",\"id\":\"0x%x\",\"name\":", i + 1);
            pt__x_json_str(o->f, h->label ? h->label : hold_kinds[h->kind]);
            fprintf(o->f, ",\"args\":{\"kind\":\"%s\",\"handle\":\"0x%llx\"%s}}",
                    hold_kinds[h->kind], (unsigned long long)h->handle,
                    end && h->open ? ",\"still_held_at_trace_end\":true" : "");
        }
    }
}

static void flows(struct out *o)
{
    const struct pt_timeline *tl = o->tl;
    for (uint32_t i = 0; i < tl->nflows; i++) {
        const struct pt__tl_flow *fl = &tl->flows[i];
        for (int end = 0; end < 2; end++) {
            uint32_t si = end ? fl->to : fl->from;
            const struct pt__tl_slice *s = &tl->slices[si];
            ev_begin(o, end ? "f" : "s", tl->procs[s->proc].cpid, ctid_of(tl, s->proc, s->tid),
                     pt__tl_anchor(tl, si));
            fprintf(o->f,
                    ",\"cat\":\"finding\",\"id\":%u,\"name\":\"finding %u: deleted what another "
                    "process held\"%s}",
                    i + 1, fl->finding + 1, end ? ",\"bp\":\"e\"" : "");
        }
    }
}

static void findings(struct out *o)
{
    const struct pt_timeline *tl = o->tl;
    struct pt_analyzer *a = tl->a;
    char b[1024];
    for (uint32_t i = 0; i < a->nfindings; i++) {
        const struct pt__finding *f = &a->findings[i];
        const struct pt__proc *hp = a->procs[f->holder], *dp = a->procs[f->deleter];
        struct pt__res r;
        pt__rep_resource(a, f, &r);
        uint64_t ts, from, to;
        uint32_t t;
        pt__story_of(f)->when(a, f, &ts, &t, &from, &to);
        uint32_t tid = t ? ctid_of(tl, f->deleter, t) : tl->procs[f->deleter].cpid;
        ev_begin(o, "i", tl->procs[f->deleter].cpid, tid, ts);
        fprintf(o->f, ",\"s\":\"g\",\"cat\":\"finding\",\"name\":\"finding %u: %s (%s)\"", i + 1,
                pt__rule_name(f->rule), pt__cause_name(f->cause));
        fprintf(o->f,
                ",\"args\":{\"rule\":\"%s\",\"cause\":\"%s\",\"severity\":", pt__rule_name(f->rule),
                pt__cause_name(f->cause));
        pt__x_json_str(o->f, f->severity);
        fprintf(o->f, ",\"uncertain\":%s,\"resource_kind\":", f->uncertain ? "true" : "false");
        pt__x_json_str(o->f, r.kind);
        fputs(",\"resource\":", o->f);
        pt__x_json_str(o->f, r.name);
        fputs(",\"deleter\":\"", o->f);
        pt__x_json_raw(o->f, pt__tl_base(dp->exe));
        fprintf(o->f, " pid %u\",\"holder\":\"", dp->pid);
        pt__x_json_raw(o->f, pt__tl_base(hp->exe));
        fprintf(o->f, " pid %u\"", hp->pid);
        if (f->del != PT__NONE && a->cands[f->cand].have_victim + a->cands[f->cand].have_detail) {
            fputs(",\"victim\":", o->f);
            pt__x_json_str(o->f, pt__rep_victim(&a->cands[f->cand], b, sizeof b));
        }
        fputs(",\"why\":", o->f);
        pt__x_json_str(o->f, pt__rep_why(a, f, b, sizeof b));
        fputs(",\"remedy\":", o->f);
        pt__x_json_str(o->f, pt__rep_remedy(f));
        fputs("}}", o->f);
    }
}

int pt_export_chrome(FILE *f, const struct pt_timeline *tl)
{
    struct out o = {f, tl, 1}; /* the first event, the schema's (docs/export-chrome.md): */
    fputs("[\n{\"ph\":\"M\",\"pid\":0,\"tid\":0,\"ts\":0.000,\"name\":\"proftrace\","
          "\"args\":{\"schema\":1}}",
          f);
    metadata(&o);
    findings(&o);
    holds(&o);
    slices(&o);
    flows(&o);
    fputs("\n]\n", f);
    return ferror(f) ? -EIO : 0;
}

/* report_json.c — `proftrace report --json`: {"schema": 2, "findings": [...], "summary": {...}},
 * the fields of docs/report-json.md. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "analyzer/report.h"
#include "proftrace/escape.h"

void pt__json_str(FILE *out, const char *s)
{
    pt_esc_json(out, s);
}

static double rel(const struct pt_analyzer *a, uint64_t ts)
{
    return ts >= a->ts_first ? (double)(ts - a->ts_first) / 1e9 : 0.0;
}

/* The shown frames (see report_text.c's pt__text_stack): an inlined call is its own frame,
 * "inlined":true, at the same address as its caller's. */
void pt__json_stack(FILE *out, struct pt__symbolizer *sy, const struct pt__proc *p,
                    const uint64_t *fr, unsigned n)
{
    struct pt__frame f[PT__SHOWN_MAX];
    unsigned k = pt__stack_frames(sy, p, fr, n, f, PT__SHOWN_MAX);
    fputc('[', out);
    for (unsigned i = 0; i < k; i++) {
        const struct pt__sym *s = &f[i].sym;
        fprintf(out, "%s{\"addr\":\"0x%" PRIx64 "\"", i ? "," : "", f[i].addr);
        if (s->module) {
            fputs(",\"module\":", out);
            pt__json_str(out, s->module);
        }
        if (s->func) {
            fputs(",\"symbol\":", out);
            pt__json_str(out, s->func);
            if (s->inlined)
                fputs(",\"inlined\":true", out);
            else
                fprintf(out, ",\"offset\":%" PRIu64, s->off + 1);
        }
        if (s->file) {
            fputs(",\"file\":", out);
            pt__json_str(out, s->file);
            fprintf(out, ",\"line\":%u", s->line);
        }
        fputc('}', out);
    }
    fputc(']', out);
}

static void jview(FILE *out, const struct pt__view *v, int have)
{
    if (!have) {
        fputs("null", out);
        return;
    }
    fputs("{\"name\":", out);
    pt__json_str(out, v->name);
    fputs(",\"shm_name\":", out);
    pt__json_str(out, v->shm_name);
    fprintf(out, ",\"dev\":%" PRIu64 ",\"ino\":%" PRIu64 ",\"euid\":%u,\"session\":%u}", v->dev,
            v->ino, v->who.euid, v->who.sessionid);
}

void pt__json_party(FILE *out, const struct pt_analyzer *a, const struct pt__proc *p,
                    const struct pt__who *w, const char *call, const char *api, const char *args,
                    uint64_t ts, const struct pt__view *v, int have_v)
{
    fprintf(out, "{\"pid\":%u,\"global_pid\":%u,\"start_time\":%" PRIu64 ",\"exe\":", p->pid,
            p->global_pid, p->start_time);
    pt__json_str(out, p->exe);
    fprintf(out,
            ",\"uid\":%u,\"euid\":%u,\"gid\":%u,\"egid\":%u,\"session\":%u,\"loginuid\":%d,"
            "\"namespaces\":{",
            w->uid, w->euid, w->gid, w->egid, w->sessionid, (int)w->loginuid);
    for (unsigned i = 0; i < PT_NS_COUNT; i++)
        fprintf(out, "%s\"%s\":%" PRIu64, i ? "," : "", pt_ns_name(i), w->ns[i]);
    fputs("},\"call\":", out);
    pt__json_str(out, call);
    if (api) {
        fputs(",\"api\":", out);
        pt__json_str(out, api);
    }
    if (args) {
        fputs(",\"args\":", out);
        pt__json_str(out, args);
    }
    fprintf(out, ",\"time\":%" PRIu64 ",\"time_rel\":%.6f,\"ended\":\"%s\",\"in_use\":", ts,
            rel(a, ts),
            p->end == PT__ALIVE       ? "running"
            : p->end == PT__EXITED    ? "exited"
            : p->end == PT__SIGNALLED ? "signalled"
            : p->end == PT__REAPED    ? "killed"
                                      : "pid-reused");
    jview(out, v, have_v);
}

static void one(FILE *out, struct pt_analyzer *a, const struct pt__finding *f,
                struct pt__symbolizer *sy)
{
    struct pt__res r;
    pt__rep_resource(a, f, &r);
    fputs("{\"rule\":", out);
    pt__json_str(out, pt__rule_name(f->rule));
    fputs(",\"severity\":", out);
    pt__json_str(out, f->severity);
    fputs(",\"cause\":", out);
    pt__json_str(out, pt__cause_name(f->cause));
    fprintf(out, ",\"uncertain\":%s,\"uncertain_reason\":", f->uncertain ? "true" : "false");
    pt__json_str(out, f->uncertain_why);
    fputs(",\"why\":", out);
    pt__json_str(out, pt__rep_why(f));
    fputs(",\"remedy\":", out);
    pt__json_str(out, pt__rep_remedy(f));
    fprintf(out, ",\"deleter_check\":\"%s\",\"in_use_views\":\"%s\"", pt__rep_consult(f),
            pt__rep_views(f));
    fputs(",\"resource\":{\"kind\":", out);
    pt__json_str(out, r.kind);
    fputs(",\"name\":", out);
    pt__json_str(out, r.name);
    if (r.key) {
        fputs(",\"key\":", out);
        pt__json_str(out, r.key);
    }
    if (r.file)
        fprintf(out, ",\"class\":\"%s\"", r.file->name);
    if (r.sysv)
        fprintf(out, ",\"identity\":{\"ipc_ns\":%" PRIu64 ",\"shmid\":%" PRIu64 "}}", r.dev, r.ino);
    else
        fprintf(out, ",\"identity\":{\"dev\":%" PRIu64 ",\"ino\":%" PRIu64 "}}", r.dev, r.ino);
    pt__story_of(f)->json(out, a, f, sy);
}

/* A holder of a deletion: its party, the handle it held it by, its holds folded into it, and how
 * it is known to have been alive at the delete (the text report's sentence as "says"). */
static void json_holder(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                        const struct pt__fholder *h)
{
    const struct pt__cand *c = &a->cands[h->cand];
    const struct pt__del *d = &a->dels[c->del];
    char b[512];
    pt__json_party(out, a, a->procs[h->proc], &c->h.who, c->h.seen ? NULL : c->h.api, NULL, NULL,
                   c->h.ts, &h->view, h->have_view);
    /* how it came to hold it without a call of its own: inherited at fork, seen by the witness */
    if (c->h.from_pid)
        fprintf(out, ",\"inherited_from\":%u", c->h.from_pid);
    else
        fputs(",\"inherited_from\":null", out);
    fprintf(out, ",\"seen_by_witness\":%s", c->h.seen ? "true" : "false");
    if (c->h.kind == PT_K_FILE) { /* an open file: its descriptor and how it was opened */
        fprintf(out, ",\"fd\":%" PRIu64 ",\"how\":", c->h.handle - 1);
        pt__json_str(out, pt__rep_hold_what(c, b, sizeof b));
    }
    fprintf(out, ",\"handle\":\"0x%" PRIx64 "\",\"merged_holds\":%u,\"liveness\":{\"alive\":%s",
            c->h.handle, h->nmerged, h->live.how <= PT__LIVE_LATER ? "true" : "null");
    fprintf(out, ",\"evidence\":\"%s\",\"time\":", pt__rep_live_evidence(h));
    if (h->live.how == PT__LIVE_SILENT)
        fputs("null", out);
    else
        fprintf(out, "%" PRIu64, h->live.at);
    if (h->live.how >= PT__LIVE_SILENT)
        fprintf(out, ",\"silent_s\":%.6f", (double)(d->ts - h->live.last) / 1e9);
    if (h->live.how == PT__LIVE_CHECKED)
        fprintf(out, ",\"stopped\":%s", h->live.stopped ? "true" : "false");
    fprintf(out, ",\"lost_events\":%" PRIu64 ",\"says\":", h->live.lost);
    pt__json_str(out, pt__rep_liveness(a, h, b, sizeof b));
    fputs("}}", out);
}

/* A failure the deletion caused: who, what, when after the delete, how often, the nested failure
 * that explains it, where. */
static void json_victim(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                        const struct pt__victim *v, struct pt__symbolizer *sy)
{
    const struct pt__proc *vp = a->procs[v->proc];
    const struct pt__del *d = &a->dels[f->del];
    char e[64];
    const char *call = v->call ? v->call : v->detail_call;
    int64_t ret = v->call ? v->ret : v->detail_ret;
    int32_t err = v->call ? v->err : v->detail_err;
    int holder = 0;
    for (uint32_t i = 0; i < f->nholders; i++)
        holder |= f->holders[i].proc == v->proc;
    fprintf(out, "{\"pid\":%u,\"exe\":", vp->pid);
    pt__json_str(out, vp->exe);
    fputs(",\"call\":", out);
    pt__json_str(out, call);
    fputs(",\"error\":", out);
    pt__json_str(out, pt__rep_error(call, ret, err, e, sizeof e));
    fprintf(out, ",\"time\":%" PRIu64 ",\"after_delete_s\":%.6f,\"failures\":%u,\"holder\":%s",
            v->ts, v->ts >= d->ts ? (double)(v->ts - d->ts) / 1e9 : 0.0,
            v->nfailures ? v->nfailures : 1, holder ? "true" : "false");
    if (v->call && v->detail_call) {
        fputs(",\"detail\":{\"call\":", out);
        pt__json_str(out, v->detail_call);
        fputs(",\"error\":", out);
        pt__json_str(out, pt__rep_error(v->detail_call, v->detail_ret, v->detail_err, e, sizeof e));
        fputs("}", out);
    }
    fputs(",\"stack\":", out);
    pt__json_stack(out, sy, vp, v->frames, v->nframes);
    fputs("}", out);
}

/* A deletion's members: the deleter (its call, the syscall, target, stack, witnessed or not), the
 * first holder and every holder, the mark (when views are compared: a profile), the first victim
 * and every victim. */
void pt__deletion_json(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                       struct pt__symbolizer *sy, int views)
{
    const struct pt__proc *dp = a->procs[f->deleter];
    const struct pt__del *d = &a->dels[f->del];
    const struct pt__cand *c = &a->cands[f->cand];
    fputs(",\"deleter\":", out);
    pt__json_party(out, a, dp, &d->who, d->via ? d->via : d->call, d->api, d->api_args, d->ts,
                   &f->dview, f->have_dview);
    fputs(",\"syscall\":", out);
    pt__json_str(out, d->call);
    fputs(",\"target\":", out);
    pt__json_str(out, d->target);
    fputs(",\"stack\":", out);
    pt__json_stack(out, sy, dp, d->frames, d->nframes);
    if (d->witnessed) {
        fprintf(out, ",\"witnessed\":true,\"attributed\":%s,\"identity_read\":",
                d->unattributed ? "false" : "true");
        pt__json_str(out, dp->ident);
        if (d->noticed) /* a SysV removal a scan noticed: `time` is the scan before */
            fprintf(out, ",\"noticed\":%" PRIu64, d->noticed);
    } else {
        fputs(",\"witnessed\":false", out);
    }
    fputs("},\"holder\":", out);
    json_holder(out, a, f, &f->holders[0]);
    fputs(",\"holders\":[", out);
    for (uint32_t i = 0; i < f->nholders; i++) {
        if (i)
            fputc(',', out);
        json_holder(out, a, f, &f->holders[i]);
    }
    fputc(']', out);
    if (views) {
        const struct pt__mark *m = pt__rep_mark(a, c->h.name, d->ts);
        if (m) {
            fputs(",\"mark\":{\"marks_key\":", out);
            pt__json_str(out, m->marks_key);
            fprintf(out, ",\"pid\":%u,\"time\":%" PRIu64 "}", a->procs[m->proc]->pid, m->ts);
        }
    }
    fputs(",\"victim\":", out);
    if (f->nvictims)
        json_victim(out, a, f, pt__rep_victim_at(a, f, 0), sy);
    else
        fputs("null", out);
    fputs(",\"victims\":[", out);
    for (uint32_t i = 0; i < f->nvictims; i++) {
        if (i)
            fputc(',', out);
        json_victim(out, a, f, pt__rep_victim_at(a, f, i), sy);
    }
    fputs("]}", out);
}

int pt_report_json_finding(FILE *out, struct pt_analyzer *a, unsigned i,
                           const struct pt_report_opts *o)
{
    if (i >= a->nfindings)
        return -ERANGE;
    struct pt__symbolizer *sy = !o || o->symbolize ? pt__sym_new() : NULL;
    one(out, a, &a->findings[i], sy);
    pt__sym_free(sy);
    return ferror(out) ? -EIO : 0;
}

void pt__json_finding(FILE *out, struct pt_analyzer *a, unsigned i, struct pt__symbolizer *sy)
{
    if (i < a->nfindings)
        one(out, a, &a->findings[i], sy);
}

/* A rotated trace: what was dropped, and the checkpoint that carried the state (docs/rotation.md).
 */
static void json_rotation(FILE *out, const struct pt_analyzer *a)
{
    const struct pt__carried *c = &a->carried;
    if (!c->rotated) {
        fputs(",\"rotation\":null", out);
        return;
    }
    fprintf(out,
            ",\"rotation\":{\"dropped_chunks\":%" PRIu64 ",\"dropped_events\":%" PRIu64
            ",\"state_carried\":%s",
            c->dropped_chunks, c->dropped_events, c->carried ? "true" : "false");
    if (c->carried)
        fprintf(out,
                ",\"checkpoint_chunk\":%" PRIu32 ",\"carried_from\":%" PRIu64
                ",\"carried_from_realtime\":%" PRId64,
                c->chunk, c->at, c->realtime ? (int64_t)c->at + c->realtime : 0);
    fputc('}', out);
}

int pt_report_json(FILE *out, struct pt_analyzer *a, const struct pt_report_opts *o)
{
    struct pt__symbolizer *sy = !o || o->symbolize ? pt__sym_new() : NULL;
    fprintf(out, "{\"schema\":%d,\"findings\":[", PT_REPORT_JSON_SCHEMA); /* schema: docs/report-json.md */
    for (unsigned i = 0; i < a->nfindings; i++) {
        if (i)
            fputc(',', out);
        one(out, a, &a->findings[i], sy);
    }
    fprintf(out,
            "],\"summary\":{\"processes\":%u,\"events\":%" PRIu64 ",\"lost\":%" PRIu64
            ",\"damaged\":%" PRIu64 ",\"first_ts\":%" PRIu64 ",\"last_ts\":%" PRIu64
            ",\"time_span_s\":%.6f,\"findings\":%u,\"deletions\":%" PRIu64
            ",\"deletions_unheld\":%" PRIu64 ",\"deletions_by_holder\":%" PRIu64
            ",\"deletions_after_silent_death\":%" PRIu64 ",\"late_events\":%" PRIu64
            ",\"late_max_s\":%.6f",
            (unsigned)(a->nprocs + a->procs_left), a->nevents, a->lost_total + a->in.lost,
            a->in.damaged, a->ts_first, a->ts_last,
            a->nevents ? (double)(a->ts_last - a->ts_first) / 1e9 : 0.0, a->nfindings, a->dels_seen,
            a->dels_unheld, a->self_deletes, a->gone_holders, a->late, (double)a->late_max / 1e9);
    json_rotation(out, a);
    fputs(",\"notes\":[", out);
    int first = 1;
    const char *extra[6] = {pt__sym_unavailable(), pt__disasm_unavailable()};
    pt__sym_notes(sy, extra + 2, 4);
    for (int i = 0; i < 6; i++)
        if (extra[i]) {
            if (!first)
                fputc(',', out);
            pt__json_str(out, extra[i]);
            first = 0;
        }
    for (int i = 0; i < a->nnotes; i++) {
        if (!first)
            fputc(',', out);
        pt__json_str(out, a->notes[i]);
        first = 0;
    }
    fputs("],\"untraced\":[", out);
    for (uint32_t i = 0, n = 0; i < a->nuntraced; i++)
        if (a->untraced[i].reason) {
            fputs(n++ ? ",{\"pid\":" : "{\"pid\":", out);
            if (a->untraced[i].pid)
                fprintf(out, "%u", a->untraced[i].pid);
            else
                fputs("null", out); /* unknown */
            fputs(",\"exe\":", out);
            pt__json_str(out, a->untraced[i].exe);
            fputs(",\"reason\":", out);
            pt__json_str(out, a->untraced[i].reason);
            fputc('}', out);
        }
    fputs("]}}\n", out);
    pt__sym_free(sy);
    return ferror(out) ? -EIO : 0;
}

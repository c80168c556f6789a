/* export_timeline.c — builds the timeline the exporters draw: every call of a trace, the holds,
 * deletions and failures among them, and the arrows from each finding's delete to its victims.
 * What is a hold, a deletion or a failure is the analyzer's model's knowledge (it keeps a record of
 * every hold for the timeline, and marks calls with pt__call_mark): the timeline only draws it. */
#define _GNU_SOURCE /* asprintf, open_memstream */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyzer/export_model.h"
#include "analyzer/follower.h"
#include "analyzer/grow.h"
#include "analyzer/read_trace.h"
#include "analyzer/report.h"
#include "proftrace/trace.h"

#define CPID_SPARE 4194304u /* above PID_MAX_LIMIT: display pids no real pid can take */
#define CTID_SPARE 8388608u

#define GROW(tl, arr, n, cap)                                                                      \
    (pt__grow((void **)&(arr), &(cap), (n) + 1, sizeof *(arr), 64) ? ((tl)->nomem++, -ENOMEM) : 0)

const char *pt__tl_base(const char *path)
{
    const char *s = path ? strrchr(path, '/') : NULL;
    return s ? s + 1 : path && *path ? path : "?";
}

/* ---- formatting a call's arguments and result ---- */

struct sbuf {
    char *p;
    size_t len;
    FILE *f;
};

static const char *errno_name(int e)
{
    const char *n = pt_errno_name(e);
    return n ? n : "?";
}

/* The result as people read it: "1018 ERROR_KEY_DELETED", "0x80004005 MAPI_E_CALL_FAILED",
 * "-1 ENOENT", "3", "0x7f00..." */
static void result_text(const struct pt_event *ev, char *buf, size_t len)
{
    unsigned retk = pt__row_of(ev->id)->retk;
    const char *n;
    switch (retk) {
    case PT_RET_VOID:
        snprintf(buf, len, "void");
        break;
    case PT_RET_W32:
        n = pt_win32_error_name((uint32_t)ev->ret);
        snprintf(buf, len, "%lld%s%s", (long long)ev->ret, n ? " " : "", n ? n : "");
        break;
    case PT_RET_HRESULT:
        n = pt_hresult_name((uint32_t)ev->ret);
        snprintf(buf, len, "0x%08x%s%s", (unsigned)(uint32_t)ev->ret, n ? " " : "", n ? n : "");
        break;
    case PT_RET_BOOL_W32:
    case PT_RET_HANDLE_W32:
        if (ev->ret == 0) {
            n = pt_win32_error_name((uint32_t)ev->err);
            snprintf(buf, len, "0 (last error %d%s%s)", ev->err, n ? " " : "", n ? n : "");
        } else if (retk == PT_RET_HANDLE_W32) {
            snprintf(buf, len, "0x%llx", (unsigned long long)ev->ret);
        } else {
            snprintf(buf, len, "%lld", (long long)ev->ret);
        }
        break;
    case PT_RET_INT_ERRNO:
    case PT_RET_FD_ERRNO:
        if (ev->ret == -1)
            snprintf(buf, len, "-1 %s", errno_name(ev->err));
        else
            snprintf(buf, len, "%lld", (long long)ev->ret);
        break;
    case PT_RET_PTR_ERRNO:
        if (ev->ret == -1 || ev->ret == 0)
            snprintf(buf, len, "%lld %s", (long long)ev->ret, errno_name(ev->err));
        else
            snprintf(buf, len, "0x%llx", (unsigned long long)ev->ret);
        break;
    case PT_RET_ERRNUM:
        snprintf(buf, len, "%lld%s%s", (long long)ev->ret, ev->ret ? " " : "",
                 ev->ret ? errno_name((int)ev->ret) : "");
        break;
    default:
        snprintf(buf, len, "%lld", (long long)ev->ret);
        break;
    }
}

/* args: the JSON object's inside; text: "name=value, ..." */
static int format_args(const struct pt_event *ev, char **args, char **text)
{
    struct sbuf j = {0}, t = {0};
    char res[96];
    j.f = open_memstream(&j.p, &j.len);
    t.f = open_memstream(&t.p, &t.len);
    if (!j.f || !t.f)
        goto fail;
    for (unsigned i = 0; i < ev->nfields; i++) {
        const struct pt_value *v = &ev->field[i];
        fprintf(j.f, "%s\"", i ? "," : "");
        pt__x_json_raw(j.f, v->name);
        fputs("\":", j.f);
        fprintf(t.f, "%s%s=", i ? ", " : "", v->name);
        switch (v->wire) {
        case PT_WIRE_STR:
            pt__x_json_str(j.f, v->str.s ? v->str.s : "");
            fprintf(t.f, "\"%s\"", v->str.s ? v->str.s : "");
            break;
        case PT_WIRE_X64:
            fprintf(j.f, "\"0x%llx\"", (unsigned long long)v->u);
            fprintf(t.f, "0x%llx", (unsigned long long)v->u);
            break;
        case PT_WIRE_I32:
        case PT_WIRE_I64:
            fprintf(j.f, "%lld", (long long)v->i);
            fprintf(t.f, "%lld", (long long)v->i);
            break;
        default:
            fprintf(j.f, "%llu", (unsigned long long)v->u);
            fprintf(t.f, "%llu", (unsigned long long)v->u);
            break;
        }
    }
    result_text(ev, res, sizeof res);
    fprintf(j.f, "%s\"result\":", ev->nfields ? "," : "");
    pt__x_json_str(j.f, res);
    fprintf(j.f, ",\"ret\":%lld,\"err\":%d,\"depth\":%u", (long long)ev->ret, ev->err, ev->depth);
    fprintf(t.f, "%s-> %s", ev->nfields ? " " : "", res);
    if (fclose(j.f) | fclose(t.f)) {
        j.f = t.f = NULL;
        goto fail;
    }
    *args = j.p;
    *text = t.p;
    return 0;
fail:
    if (j.f)
        fclose(j.f);
    if (t.f)
        fclose(t.f);
    free(j.p);
    free(t.p);
    return -ENOMEM;
}

/* ---- one event ---- */

static void take(struct pt_timeline *tl, const struct pt_event *ev)
{
    struct pt_analyzer *a = tl->a;
    uint64_t v;
    uint32_t proc;
    if (!pt__stream_proc(a, ev->stream, &proc))
        return; /* the analyzer could not take it (out of memory) */
    if (proc >= tl->nprocs) {
        uint32_t cap = tl->nprocs;
        if (pt__grow((void **)&tl->procs, &cap, proc + 1, sizeof *tl->procs, 64)) {
            tl->nomem++;
            return;
        }
        memset(tl->procs + tl->nprocs, 0, (proc + 1 - tl->nprocs) * sizeof *tl->procs);
        tl->nprocs = proc + 1;
    }
    struct pt__tl_proc *tp = &tl->procs[proc];
    int call = ev->id >= PT_EV_CALL_FIRST && ev->id < PT__NIDS;
    uint64_t t0 = call && ev->ts_enter && ev->ts_enter <= ev->ts ? ev->ts_enter : ev->ts;
    if (ev->id != PT_EV_reaped) { /* written by the collector, later: not a sign of life */
        tp->shown = 1;
        if (!tp->t0 || t0 < tp->t0)
            tp->t0 = t0;
        if (ev->ts > tp->t1)
            tp->t1 = ev->ts;
        if (!tl->t0 || t0 < tl->t0)
            tl->t0 = t0;
        if (ev->ts > tl->t1)
            tl->t1 = ev->ts;
    }
    if (ev->id == PT_EV_process || ev->id == PT_EV_lost || ev->id == PT_EV_reaped)
        return;
    if (!pt__map_get(&tl->thread_by_tid, proc, ev->tid, &v) &&
        !GROW(tl, tl->threads, tl->nthreads, tl->capthreads)) {
        if (pt__map_put(&tl->thread_by_tid, proc, ev->tid, tl->nthreads))
            tl->nomem++;
        else
            tl->threads[tl->nthreads++] = (struct pt__tl_thread){proc, ev->tid, 0};
    }
    if (!call)
        return;
    if (GROW(tl, tl->slices, tl->nslices, tl->capslices))
        return;
    struct pt__tl_slice *s = &tl->slices[tl->nslices];
    *s = (struct pt__tl_slice){.proc = proc,
                               .tid = ev->tid,
                               .id = ev->id,
                               .depth = ev->depth,
                               .mark = (uint8_t)pt__call_mark(ev),
                               .t0 = t0,
                               .t1 = ev->ts,
                               .ret = ev->ret,
                               .err = ev->err};
    if (format_args(ev, &s->args, &s->text)) {
        tl->nomem++;
        return;
    }
    if (tp->last_slice1)
        tl->slices[tp->last_slice1 - 1].next1 = tl->nslices + 1;
    else
        tp->slice1 = tl->nslices + 1;
    tp->last_slice1 = ++tl->nslices;
}

/* ---- after the last event ---- */

uint32_t pt__tl_find_slice(const struct pt_timeline *tl, uint32_t proc, uint32_t tid,
                           const char *call, uint64_t ts)
{
    for (uint32_t i1 = call && proc < tl->nprocs ? tl->procs[proc].slice1 : 0; i1;
         i1 = tl->slices[i1 - 1].next1) {
        const struct pt__tl_slice *s = &tl->slices[i1 - 1];
        if (s->t1 == ts && s->tid == tid && !strcmp(pt_event_name(s->id), call))
            return i1 - 1;
    }
    return PT__NONE;
}

uint64_t pt__tl_anchor(const struct pt_timeline *tl, uint32_t i)
{
    const struct pt__tl_slice *s = &tl->slices[i];
    uint64_t end = s->t1; /* the first nested call's entry, or the exit */
    for (uint32_t k1 = tl->procs[s->proc].slice1; k1; k1 = tl->slices[k1 - 1].next1) {
        const struct pt__tl_slice *c = &tl->slices[k1 - 1];
        if (c->tid == s->tid && c->depth > s->depth && c->t0 >= s->t0 && c->t1 <= s->t1 &&
            c->t0 < end)
            end = c->t0;
    }
    return s->t0 + (end - s->t0) / 2;
}

static void add_flow(struct pt_timeline *tl, uint32_t from, uint32_t to, uint32_t finding)
{
    if (from == PT__NONE || to == PT__NONE)
        return;
    const struct pt__tl_slice *t = &tl->slices[to];
    for (uint32_t i = 0; i < tl->nflows; i++) {
        struct pt__tl_flow *fl = &tl->flows[i];
        const struct pt__tl_slice *o = &tl->slices[fl->to];
        if (fl->from != from || o->proc != t->proc || o->tid != t->tid)
            continue;
        /* one failure seen at two levels (RegQueryValueExA inside OpenMsgStore): one arrow, to
         * the outer call, which is the failure the program saw */
        if (o->t0 <= t->t0 && t->t1 <= o->t1)
            return;
        if (t->t0 <= o->t0 && o->t1 <= t->t1) {
            fl->to = to;
            return;
        }
    }
    if (!GROW(tl, tl->flows, tl->nflows, tl->capflows))
        tl->flows[tl->nflows++] = (struct pt__tl_flow){from, to, finding};
}

static void link_findings(struct pt_timeline *tl)
{
    const struct pt_analyzer *a = tl->a;
    for (uint32_t i = 0; i < a->nfindings; i++) {
        const struct pt__finding *f = &a->findings[i];
        if (f->del == PT__NONE)
            continue;
        const struct pt__del *d = &a->dels[f->del];
        uint32_t from = pt__tl_find_slice(tl, d->proc, d->tid, d->call, d->ts);
        for (uint32_t k = 0; k < f->nvictims; k++) { /* one arrow to each process it harmed */
            const struct pt__victim *v = &a->victims[f->victims[k]];
            const char *vc = v->call ? v->call : v->detail_call;
            uint32_t to = pt__tl_find_slice(tl, v->proc, v->tid, vc, v->ts);
            /* a victim is a failure on the timeline too, whatever its kind (a SysV EINVAL, an
             * "already gone" unlink: errors pt__call_mark cannot call failures by themselves) */
            if (to != PT__NONE && !tl->slices[to].mark)
                tl->slices[to].mark = PT__TL_FAILURE;
            add_flow(tl, from, to, i);
        }
    }
}

/* The analyzer's holds the timeline draws: MAPI sessions, mapped views, the program's own shared
 * mappings (a nested one belongs to a view), SysV attachments, the program's own open files. One
 * still held when its process ended lasts until then; one still held at the end of the trace is
 * marked open. */
static void add_holds(struct pt_timeline *tl)
{
    const struct pt_analyzer *a = tl->a;
    for (uint32_t i = 0; i < a->nkept; i++) {
        const struct pt__kept_hold *k = &a->kept[i];
        enum pt__tl_hold_kind kind;
        char *label = NULL;
        int n;
        switch (k->kind) {
        case PT_K_SESSION:
            kind = PT__TL_SESSION;
            n = asprintf(&label, "MAPI session on profile \"%s\"", k->name);
            break;
        case PT_K_VIEW:
            kind = PT__TL_VIEW;
            n = asprintf(&label, "view of file mapping \"%s\"", *k->name ? k->name : "(unnamed)");
            break;
        case PT_K_MAP:
            if (k->depth)
                continue;
            kind = PT__TL_SHMAP;
            if (k->num < 0) /* found by an attach (model_prior.c): its descriptor is not known */
                n = asprintf(&label,
                             "shared mapping (ino %llu), %llu bytes, held since before attach",
                             (unsigned long long)k->ino, (unsigned long long)k->len);
            else
                n = asprintf(&label, "shared mapping of fd %lld (ino %llu), %llu bytes",
                             (long long)k->num, (unsigned long long)k->ino,
                             (unsigned long long)k->len);
            break;
        case PT_K_SYSV:
            kind = PT__TL_SYSV;
            n = asprintf(&label, "SysV segment %lld attached", (long long)k->num);
            break;
        case PT_K_FILE:
            if (k->depth)
                continue; /* a registry value written inside a call: not the program's own */
            kind = PT__TL_FILE;
            n = asprintf(&label, "\"%s\" open for writing, fd %lld", k->name, (long long)k->num);
            break;
        default:
            continue;
        }
        if (n < 0) {
            label = NULL;
            tl->nomem++;
        }
        if (k->proc >= tl->nprocs || GROW(tl, tl->holds, tl->nholds, tl->capholds)) {
            free(label);
            continue;
        }
        struct pt__tl_hold *h = &tl->holds[tl->nholds];
        *h = (struct pt__tl_hold){.proc = k->proc,
                                  .tid = k->tid,
                                  .kind = kind,
                                  .handle = k->handle,
                                  .t0 = k->t0,
                                  .t1 = k->t1,
                                  .label = label,
                                  .open = !k->by_call};
        struct pt__tl_proc *tp = &tl->procs[k->proc];
        if (tp->last_hold1)
            tl->holds[tp->last_hold1 - 1].next1 = tl->nholds + 1;
        else
            tp->hold1 = tl->nholds + 1;
        tp->last_hold1 = ++tl->nholds;
        if (!h->open)
            continue;
        const struct pt__proc *p = a->procs[h->proc];
        if (p->end == PT__REAPED)
            h->t1 = p->reaped_last_ts ? p->reaped_last_ts : tp->t1;
        else if (p->end != PT__ALIVE)
            h->t1 = p->end_ts ? p->end_ts : tp->t1;
        else
            h->t1 = tl->t1; /* still held at the end of the trace: h->open stays 1 */
        if (p->end != PT__ALIVE)
            h->open = 0;
        if (h->t1 < h->t0)
            h->t1 = h->t0;
    }
}

static void assign_ids(struct pt_timeline *tl)
{
    const struct pt_analyzer *a = tl->a;
    struct pt__map seen = {0};
    for (uint32_t i = 0; i < tl->nprocs; i++) {
        uint64_t n = 0;
        if (!tl->procs[i].shown)
            continue;
        pt__map_get(&seen, a->procs[i]->global_pid, 0, &n);
        pt__map_put(&seen, a->procs[i]->global_pid, 0, n + 1);
    }
    /* the pid in the initial namespace when no other process of the trace had it; else a spare */
    for (uint32_t i = 0; i < tl->nprocs; i++) {
        uint64_t n = 0;
        uint32_t g = a->procs[i]->global_pid;
        pt__map_get(&seen, g, 0, &n);
        tl->procs[i].cpid = g && n == 1 && g < CPID_SPARE ? g : CPID_SPARE + i;
    }
    pt__map_free(&seen);
    for (uint32_t i = 0; i < tl->nthreads; i++) {
        struct pt__tl_thread *t = &tl->threads[i];
        t->ctid = t->tid == a->procs[t->proc]->pid ? tl->procs[t->proc].cpid : CTID_SPARE + i;
    }
    free(tl->groups);
    tl->groups = calloc(tl->nprocs ? tl->nprocs : 1, sizeof *tl->groups);
    tl->ngroups = 0;
    if (!tl->groups) {
        tl->nomem++;
        return;
    }
    for (uint32_t i = 0; i < tl->nprocs; i++) {
        const struct pt__who *w = &a->procs[i]->who;
        if (!tl->procs[i].shown)
            continue;
        struct pt__tl_group g = {w->sessionid, w->ns[PT_NS_mnt], w->ns[PT_NS_ipc],
                                 w->ns[PT_NS_pid]};
        uint32_t k = 0;
        while (k < tl->ngroups && memcmp(&tl->groups[k], &g, sizeof g))
            k++;
        if (k == tl->ngroups)
            tl->groups[tl->ngroups++] = g;
        tl->procs[i].group = k;
    }
    uint32_t *ord = malloc((tl->nprocs ? tl->nprocs : 1) * sizeof *ord);
    if (!ord) {
        tl->nomem++;
        return;
    }
    uint32_t n = pt__tl_order(tl, ord);
    for (uint32_t i = 0; i < n; i++)
        tl->procs[ord[i]].order = i;
    free(ord);
}

uint32_t pt__tl_order(const struct pt_timeline *tl, uint32_t *out)
{
    uint32_t n = 0;
    if (!tl->ngroups) { /* groups not made (out of memory) */
        for (uint32_t i = 0; i < tl->nprocs; i++)
            if (tl->procs[i].shown)
                out[n++] = i;
        return n;
    }
    for (uint32_t g = 0; g < tl->ngroups; g++)
        for (uint32_t i = 0; i < tl->nprocs; i++)
            if (tl->procs[i].shown && tl->procs[i].group == g)
                out[n++] = i;
    return n;
}

void pt__tl_group_label(const struct pt__tl_group *g, char *buf, size_t len)
{
    char s[48];
    if (g->sessionid == UINT32_MAX)
        snprintf(s, sizeof s, "no login session");
    else
        snprintf(s, sizeof s, "login session %u", g->sessionid);
    snprintf(buf, len, "%s \xc2\xb7 mnt ns %llu \xc2\xb7 ipc ns %llu \xc2\xb7 pid ns %llu", s,
             (unsigned long long)g->mnt, (unsigned long long)g->ipc, (unsigned long long)g->pidns);
}

struct pt_timeline *pt_timeline_new(void)
{
    struct pt_timeline *tl = calloc(1, sizeof *tl);
    if (tl && !(tl->a = pt_analyzer_new())) {
        free(tl);
        return NULL;
    }
    if (tl)
        pt__keep_holds(tl->a);
    return tl;
}

int pt_timeline_feed(struct pt_timeline *tl, const struct pt_event *ev)
{
    uint64_t nomem = tl->nomem;
    int rc = pt_analyzer_feed(tl->a, ev);
    take(tl, ev);
    return rc ? rc : tl->nomem != nomem ? -ENOMEM : 0;
}

void pt_timeline_finish(struct pt_timeline *tl, const struct pt_analyzer_input *in)
{
    struct pt_analyzer_input none = {0};
    if (!in)
        in = &none;
    pt_analyzer_finish(tl->a, in);
    tl->dir = in->dir ? in->dir : "(events)";
    tl->damaged = in->damaged;
    /* processes the analyzer knows but no event of which reached take() (out of memory) */
    if (tl->nprocs < tl->a->nprocs) {
        uint32_t cap = tl->nprocs;
        if (!pt__grow((void **)&tl->procs, &cap, tl->a->nprocs, sizeof *tl->procs, 64)) {
            memset(tl->procs + tl->nprocs, 0, (tl->a->nprocs - tl->nprocs) * sizeof *tl->procs);
            tl->nprocs = tl->a->nprocs;
        } else {
            tl->nomem++;
        }
    }
    add_holds(tl);
    link_findings(tl);
    assign_ids(tl);
}

uint64_t pt_timeline_nevents(const struct pt_timeline *tl)
{
    return pt_analyzer_nevents(tl->a);
}

unsigned pt_timeline_nfindings(const struct pt_timeline *tl)
{
    return pt_analyzer_nfindings(tl->a);
}

void pt_timeline_free(struct pt_timeline *tl)
{
    if (!tl)
        return;
    for (uint32_t i = 0; i < tl->nslices; i++) {
        free(tl->slices[i].args);
        free(tl->slices[i].text);
    }
    for (uint32_t i = 0; i < tl->nholds; i++)
        free(tl->holds[i].label);
    free(tl->slices);
    free(tl->holds);
    free(tl->threads);
    free(tl->flows);
    free(tl->groups);
    free(tl->procs);
    pt__map_free(&tl->thread_by_tid);
    pt_analyzer_free(tl->a);
    free(tl);
}

static int feed(void *tl, const struct pt_event *ev)
{
    return pt_timeline_feed(tl, ev);
}

static void follow_diag(void *arg, const char *what)
{
    if (arg)
        fprintf(arg, "proftrace: %s\n", what);
}

static void follow_feed(void *tl, const struct pt_event *ev)
{
    pt_timeline_feed(tl, ev);
}

/* A rotated trace: the chunks left, from the state the oldest one's checkpoint carries (the holds
 * begun in dropped chunks make their findings; the timeline draws what the chunks hold). */
static int read_rotated(const char *dir, FILE *diag, struct pt_timeline *tl,
                        struct pt_analyzer_input *in)
{
    struct pt_follower *fl;
    struct pt_follower_opts o = {.dir = dir,
                                 .restore = PT_RESTORE_OLDEST,
                                 .on_event = follow_feed,
                                 .on_event_arg = tl,
                                 .caller_feeds = 1,
                                 .diag = follow_diag,
                                 .diag_arg = diag};
    int rc = pt_follower_open(&o, &fl);
    if (rc < 0)
        return rc;
    pt_analyzer_free(tl->a);
    tl->a = pt_follower_take_model(fl);
    pt__keep_holds(tl->a);
    int64_t n = pt_follower_step(fl, 1);
    struct pt_trace_stats st;
    pt_follower_stats(fl, &st);
    *in = (struct pt_analyzer_input){.streams = st.streams, .damaged = st.damaged, .dir = dir};
    pt_follower_close(fl);
    return n < 0 ? (int)n : 0;
}

int pt_timeline_read(const char *dir, FILE *diag, struct pt_timeline **out, uint64_t *damaged)
{
    struct pt_timeline *tl = pt_timeline_new();
    struct pt_analyzer_input in;
    char chunks[4200];
    struct stat st;
    snprintf(chunks, sizeof chunks, "%s/chunks", dir);
    int rotated = lstat(chunks, &st) == 0 && S_ISDIR(st.st_mode);
    int rc = !tl       ? -ENOMEM
             : rotated ? read_rotated(dir, diag, tl, &in)
                       : pt__read_trace(dir, diag, feed, tl, &in);
    if (rc < 0)
        goto out;
    pt_timeline_finish(tl, &in);
    if (tl->nomem && diag)
        fprintf(diag, "proftrace: %s: out of memory: the timeline misses %llu item(s)\n", dir,
                (unsigned long long)tl->nomem);
    *damaged = in.damaged;
    *out = tl;
    tl = NULL;
out:
    pt_timeline_free(tl);
    return rc;
}

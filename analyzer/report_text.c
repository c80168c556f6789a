/* report_text.c — `proftrace report`: each finding as a short narrative with times, the two
 * identities side by side, stacks, the code at the delete and the remedy; then a summary. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "analyzer/report.h"
#include "proftrace/escape.h"

/* The shown frames of a recorded stack, numbered as shown: proftrace's own dropped, each inlined
 * call its own frame (perf and gdb style). */
void pt__text_stack(FILE *out, struct pt__symbolizer *sy, const struct pt__proc *p,
                    const uint64_t *fr, unsigned n, int symbolize)
{
    if (!n) {
        fprintf(out, "      (no stack recorded: see PROFTRACE_STACKS)\n");
        return;
    }
    struct pt__frame f[PT__SHOWN_MAX];
    unsigned k = pt__stack_frames(symbolize ? sy : NULL, p, fr, n, f, PT__SHOWN_MAX);
    for (unsigned i = 0; i < k; i++) {
        const struct pt__sym *s = &f[i].sym;
        fprintf(out, "      #%-2u 0x%016" PRIx64 " ", i, f[i].addr);
        if (s->func && s->inlined)
            fprintf(out, "%s (inlined) (%s)", pt_esc(s->func), pt_esc(pt__rep_base(s->module)));
        else if (s->func)
            fprintf(out, "%s+0x%" PRIx64 " (%s)", pt_esc(s->func), s->off + 1,
                    pt_esc(pt__rep_base(s->module)));
        else if (s->module)
            fprintf(out, "%s+0x%" PRIx64, pt_esc(pt__rep_base(s->module)), s->vaddr + 1);
        if (s->file)
            fprintf(out, " %s:%u", pt_esc(s->file), s->line);
        if (s->problem && symbolize && sy)
            fprintf(out, "%s(%s)", s->module ? " " : "", pt_esc(s->problem));
        fputc('\n', out);
    }
}

static void row(FILE *out, const char *label, const char *h, const char *d)
{
    fprintf(out, "    %-16s %-36s %s\n", label, pt_esc(h), pt_esc(d));
}

void pt__text_who(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                  const struct pt__who *hw, const struct pt__who *dw, const char *dlabel, int views)
{
    const struct pt__proc *hp = a->procs[f->holder], *dp = a->procs[f->deleter];
    char h[128], d[128];
    row(out, "", "holder", dlabel);
    snprintf(h, sizeof h, "%u", hp->pid);
    snprintf(d, sizeof d, "%u", dp->pid);
    row(out, "pid", h, d);
    row(out, "exe", hp->exe ? hp->exe : "?", dp->exe ? dp->exe : "?");
    snprintf(h, sizeof h, "%u/%u", hw->uid, hw->euid);
    snprintf(d, sizeof d, "%u/%u", dw->uid, dw->euid);
    row(out, "uid/euid", h, d);
    if (hw->sessionid == UINT32_MAX)
        snprintf(h, sizeof h, "none (loginuid unset)");
    else
        snprintf(h, sizeof h, "%u (loginuid %d)", hw->sessionid, (int)hw->loginuid);
    if (dw->sessionid == UINT32_MAX)
        snprintf(d, sizeof d, "none (loginuid unset)");
    else
        snprintf(d, sizeof d, "%u (loginuid %d)", dw->sessionid, (int)dw->loginuid);
    row(out, "login session", h, d);
    for (unsigned i = 0; i <= PT_NS_user; i++) { /* ipc mnt pid user */
        char label[16];
        snprintf(label, sizeof label, "ns %s", pt_ns_name(i));
        snprintf(h, sizeof h, "%llu", (unsigned long long)hw->ns[i]);
        snprintf(d, sizeof d, "%llu%s", (unsigned long long)dw->ns[i],
                 hw->ns[i] != dw->ns[i] ? "   <- differs" : "");
        row(out, label, h, d);
    }
    if (!views)
        return;
    char b1[32], b2[32];
    row(out, "in-use object", f->have_hview ? f->hview.name : "(none seen)",
        f->have_dview ? f->dview.name : "(none seen)");
    if (f->have_hview)
        snprintf(h, sizeof h, "dev %s ino %llu", pt__rep_dev(f->hview.dev, b1, sizeof b1),
                 (unsigned long long)f->hview.ino);
    if (f->have_dview) /* the verdict's comparison, the one its cause and why come from */
        snprintf(d, sizeof d, "dev %s ino %llu%s", pt__rep_dev(f->dview.dev, b2, sizeof b2),
                 (unsigned long long)f->dview.ino,
                 f->views == PT__VIEWS_DIFFER ? "   <- differs" : "");
    row(out, "  identity", f->have_hview ? h : "", f->have_dview ? d : "");
}

void pt__text_finding(FILE *out, struct pt_analyzer *a, unsigned i, struct pt__symbolizer *sy,
                      const struct pt_report_opts *o)
{
    const struct pt__finding *f = &a->findings[i];
    struct pt__res r;
    char dv[32];
    pt__rep_resource(a, f, &r);
    fprintf(out, "finding %u: %s  severity %s  cause %s%s\n", i + 1, pt__rule_name(f->rule),
            f->severity, pt__cause_name(f->cause), f->uncertain ? "  UNCERTAIN" : "");
    if (r.sysv)
        fprintf(out, "  %s \"%s\" (SysV id %llu in ipc namespace %llu)\n", r.kind, pt_esc(r.name),
                (unsigned long long)r.ino, (unsigned long long)r.dev);
    else
        fprintf(out, "  %s \"%s\"%s%s%s%s%s, dev %s ino %llu\n", r.kind,
                pt_esc(r.name ? r.name : "?"), r.key ? ": key " : "", pt_esc(r.key ? r.key : ""),
                r.file ? " (" : "", r.file ? r.file->what : "", r.file ? ")" : "",
                pt__rep_dev(r.dev, dv, sizeof dv), (unsigned long long)r.ino);
    pt__story_of(f)->text(out, a, f, sy, o);
}

/* How many holds from the i-th of `order` on are inherited at fork from one parent, by the same
 * call, handle and program (1: it alone, or it is not inherited). */
static uint32_t inherited_run(const struct pt_analyzer *a, const struct pt__finding *f,
                              const uint32_t *order, uint32_t i, uint32_t n)
{
    const struct pt__hold *x = &a->cands[f->holders[order[i]].cand].h;
    uint32_t k = i + 1;
    for (; x->from_pid && k < n; k++) {
        const struct pt__hold *y = &a->cands[f->holders[order[k]].cand].h;
        const char *xe = a->procs[x->proc]->exe, *ye = a->procs[y->proc]->exe;
        if (y->from_pid != x->from_pid || y->kind != x->kind || y->handle != x->handle ||
            y->api != x->api || !xe || !ye || strcmp(xe, ye))
            break;
    }
    return k - i;
}

/* The narrative of a deletion: every holder's hold, the mark (when views are compared: a
 * profile), the delete and what it was inside, every failure it caused, the holders' liveness,
 * the verdict, the two identities (the first holder's and the deleter's), the stacks, the
 * remedy. */
void pt__deletion_text(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                       struct pt__symbolizer *sy, const struct pt_report_opts *o, int views)
{
    const struct pt__proc *dp = a->procs[f->deleter];
    char b[1024];
    const struct pt__del *d = &a->dels[f->del];
    const struct pt__cand *c = &a->cands[f->cand];
    uint32_t order[64], n = 0; /* the holds, in the order they began */
    for (uint32_t i = 0; i < f->nholders && n < 64; i++) {
        uint32_t k = n++;
        for (; k > 0 && a->cands[f->holders[order[k - 1]].cand].h.ts >
                            a->cands[f->holders[i].cand].h.ts;
             k--)
            order[k] = order[k - 1];
        order[k] = i;
    }
    for (uint32_t i = 0; i < n; i++) {
        const struct pt__cand *hc = &a->cands[f->holders[order[i]].cand];
        const struct pt__proc *p = a->procs[hc->h.proc];
        uint32_t run = inherited_run(a, f, order, i, n);
        if (run > 1) { /* the children of one fork parent: one line */
            char pids[160];
            size_t at = 0;
            uint32_t shown = 0;
            for (; shown < run && at < sizeof pids - 24; shown++)
                at += (size_t)snprintf(
                    pids + at, sizeof pids - at, "%s%u", shown ? ", " : "",
                    a->procs[a->cands[f->holders[order[i + shown]].cand].h.proc]->pid);
            if (shown < run)
                snprintf(pids + at, sizeof pids - at, " ... (%u)", run);
            fprintf(out,
                    "  %+11.6fs  pids %s (%s) %s -> 0x%llx: have it %s, inherited from pid %u at "
                    "fork\n",
                    pt__rep_rel(a, hc->h.ts), pids, pt_esc(pt__rep_base(p->exe)), hc->h.api,
                    (unsigned long long)hc->h.handle,
                    hc->h.kind == PT_K_SYSV ? "attached" : "mapped", hc->h.from_pid);
            i += run - 1;
        } else if (hc->h.seen)
            fprintf(out, "  %+11.6fs  pid %u (%s) %s\n", pt__rep_rel(a, hc->h.ts), p->pid,
                    pt_esc(pt__rep_base(p->exe)), pt__rep_hold_what(hc, b, sizeof b));
        else if (hc->h.kind == PT_K_SESSION)
            fprintf(out, "  %+11.6fs  pid %u (%s) %s(\"%s\") -> session 0x%llx: %s\n",
                    pt__rep_rel(a, hc->h.ts), p->pid, pt_esc(pt__rep_base(p->exe)), hc->h.api,
                    pt_esc(hc->h.name), (unsigned long long)hc->h.handle,
                    pt__rep_hold_what(hc, b, sizeof b));
        else if (hc->h.kind == PT_K_FILE)
            fprintf(out, "  %+11.6fs  pid %u (%s) %s(\"%s\"): %s\n", pt__rep_rel(a, hc->h.ts),
                    p->pid, pt_esc(pt__rep_base(p->exe)), hc->h.api,
                    pt_esc(hc->h.path ? hc->h.path : ""), pt__rep_hold_what(hc, b, sizeof b));
        else
            fprintf(out, "  %+11.6fs  pid %u (%s) %s -> 0x%llx: %s\n", pt__rep_rel(a, hc->h.ts),
                    p->pid, pt_esc(pt__rep_base(p->exe)), hc->h.api,
                    (unsigned long long)hc->h.handle, pt__rep_hold_what(hc, b, sizeof b));
    }
    if (f->nholders > n)
        fprintf(out, "               (%u more holders)\n", f->nholders - n);
    if (views) {
        const struct pt__mark *m = pt__rep_mark(a, c->h.name, d->ts);
        if (m)
            fprintf(out, "  %+11.6fs  pid %u (%s) marked it for deletion under \"%s\"\n",
                    pt__rep_rel(a, m->ts), a->procs[m->proc]->pid,
                    pt_esc(pt__rep_base(a->procs[m->proc]->exe)), pt_esc(m->marks_key));
    }
    fprintf(out, "  %+11.6fs  pid %u (%s) ", pt__rep_rel(a, d->ts), dp->pid,
            pt_esc(pt__rep_base(dp->exe)));
    if (d->via && d->via != d->api && d->via != d->call)
        fprintf(out, "%s > ", pt_esc(d->via));
    if (d->api)
        fprintf(out, "%s(%s) > ", pt_esc(d->api), pt_esc(d->api_args ? d->api_args : ""));
    fprintf(out, "%s(\"%s\"): deleted it\n", pt_esc(d->call), pt_esc(d->target ? d->target : ""));
    if (d->noticed)
        fprintf(out,
                "               removed at the earliest here: the scan of the segment table before "
                "saw it intact, the next at %+.6fs noticed it\n",
                pt__rep_rel(a, d->noticed));
    if (d->witnessed)
        fprintf(out, "               %s\n",
                d->unattributed ? "witnessed (not traced): deleter unattributed (SysV removal noticed "
                                  "by a scan of the segment table)"
                : strcmp(dp->ident, "gone") == 0
                    ? "witnessed (not traced): no stack; the deleter exited before its identity "
                      "could be read (gone)"
                : strcmp(dp->ident, "exec") == 0
                    ? "witnessed (not traced): no stack; identity read from /proc when it exec'd "
                      "(it had exited before the deletion was read)"
                    : "witnessed (not traced): no stack; identity read from /proc after the fact");
    for (uint32_t i = 0; i < f->nvictims; i++) {
        const struct pt__victim *v = pt__rep_victim_at(a, f, i);
        const struct pt__proc *vp = a->procs[v->proc];
        fprintf(out, "  %+11.6fs  pid %u (%s) %s, %.3f s after the delete%s\n",
                pt__rep_rel(a, v->ts), vp->pid, pt_esc(pt__rep_base(vp->exe)),
                pt_esc(pt__rep_victim(v, b, sizeof b)), (double)(v->ts - d->ts) / 1e9,
                v->nfailures > 1 ? " (and later failures)" : "");
    }
    if (!f->nvictims)
        fprintf(out, "  (no failure was seen after the delete)\n");
    for (uint32_t i = 0; i < f->nholders; i++) {
        const struct pt__fholder *h = &f->holders[i];
        if (!h->nmerged)
            continue;
        if (f->nholders == 1)
            fprintf(out,
                    "  (%u more hold(s) of the holder on what this call deleted are part of this "
                    "finding)\n",
                    h->nmerged);
        else
            fprintf(out,
                    "  (%u more hold(s) of pid %u on what this call deleted are part of this "
                    "finding)\n",
                    h->nmerged, a->procs[h->proc]->pid);
    }
    for (uint32_t i = 0; i < f->nholders; i++)
        fprintf(out, "  holder pid %u: %s\n", a->procs[f->holders[i].proc]->pid,
                pt_esc(pt__rep_liveness(a, &f->holders[i], b, sizeof b)));
    if (f->uncertain)
        fprintf(out, "  uncertain: %s\n", pt_esc(f->uncertain_why));
    fprintf(out, "  why: %s\n", pt_esc(pt__rep_why(f)));
    pt__text_who(out, a, f, &c->h.who, &d->who, "deleter", views);
    if (d->witnessed)
        fprintf(out, "  stack of the delete: none (witnessed, identity \"%s\")\n",
                pt_esc(dp->ident));
    else
        fprintf(out, "  stack of the delete (pid %u, %s):\n", dp->pid,
                pt_esc(d->api ? d->api : d->call));
    if (!d->witnessed)
        pt__text_stack(out, sy, dp, d->frames, d->nframes, o->symbolize);
    if (o->disassemble && d->nframes) {
        /* The deleting call site is where the program called the traced API: numbered as the
         * stack above shows it. */
        char code[2048];
        unsigned raw = pt__stack_call_site(dp, d->frames, d->nframes), shown = 0;
        struct pt__frame fs[PT__SHOWN_MAX];
        unsigned k = pt__stack_frames(o->symbolize ? sy : NULL, dp, d->frames, d->nframes, fs,
                                      PT__SHOWN_MAX);
        while (shown < k && fs[shown].raw != raw)
            shown++;
        pt__disasm_around(sy, dp, d->frames[raw], "      ", code, sizeof code);
        fprintf(out, "  code at the deleting call site (frame #%u):\n%s", shown, code);
    }
    if (f->nvictims) {
        const struct pt__victim *v = pt__rep_victim_at(a, f, 0);
        const struct pt__proc *vp = a->procs[v->proc];
        fprintf(out, "  stack of the failure (pid %u):\n", vp->pid);
        pt__text_stack(out, sy, vp, v->frames, v->nframes, o->symbolize);
    }
    fprintf(out, "  remedy: %s\n\n", pt__rep_remedy(f));
}

void pt__text_summary(FILE *out, struct pt_analyzer *a, struct pt__symbolizer *sy,
                      const struct pt_report_opts *o)
{
    uint64_t lost = a->lost_total + a->in.lost;
    fprintf(out, "summary: %u processes, %llu events, %llu lost, %.6f s, %u finding%s\n",
            (unsigned)(a->nprocs + a->procs_left), (unsigned long long)a->nevents,
            (unsigned long long)lost, a->nevents ? (double)(a->ts_last - a->ts_first) / 1e9 : 0.0,
            a->nfindings, a->nfindings == 1 ? "" : "s");
    fprintf(out,
            "  deletions: %llu seen, %llu of something no other live process held, %llu by the "
            "holder itself, %llu of what a silently dead holder held (clean-up)\n",
            (unsigned long long)a->dels_seen, (unsigned long long)a->dels_unheld,
            (unsigned long long)a->self_deletes, (unsigned long long)a->gone_holders);
    char rot[256], buf[256];
    if (pt__rep_rotation(a, rot, sizeof rot))
        fprintf(out, "  rotation: %s\n", rot);
    if (a->in.damaged)
        fprintf(out, "  input: %llu damaged place(s) in the trace were skipped (see above)\n",
                (unsigned long long)a->in.damaged);
    if (lost)
        fprintf(out, "  %llu events were lost: findings near them are marked uncertain\n",
                (unsigned long long)lost);
    if (a->late)
        fprintf(out, "  %s\n", pt__rep_late(a, buf, sizeof buf));
    if (a->sessions_unidentified)
        fprintf(out,
                "  %llu MAPI logon(s) had no profile key identity (no nested open recorded): "
                "they cannot be matched to deletions\n",
                (unsigned long long)a->sessions_unidentified);
    if (o->symbolize && pt__sym_unavailable())
        fprintf(out, "  %s\n", pt__sym_unavailable());
    const char *notes[4];
    for (unsigned i = 0, n = pt__sym_notes(sy, notes, 4); i < n; i++)
        fprintf(out, "  %s\n", notes[i]);
    if (o->disassemble && pt__disasm_unavailable())
        fprintf(out, "  %s\n", pt__disasm_unavailable());
    for (int i = 0; i < a->nnotes; i++)
        fprintf(out, "  %s\n", pt_esc(a->notes[i]));
    for (uint32_t i = 0; i < a->nuntraced; i++)
        if (a->untraced[i].reason) {
            char pid[16] = "?"; /* a shell system() started: its pid never reached the program */
            if (a->untraced[i].pid)
                snprintf(pid, sizeof pid, "%u", a->untraced[i].pid);
            fprintf(out, "  not traced: pid %s (%s): %s\n", pid, pt_esc(a->untraced[i].exe),
                    pt_esc(a->untraced[i].reason));
        }
}

int pt_report_text(FILE *out, struct pt_analyzer *a, const struct pt_report_opts *o)
{
    struct pt_report_opts def = {1, 1};
    if (!o)
        o = &def;
    struct pt__symbolizer *sy = o->symbolize ? pt__sym_new() : NULL;
    for (unsigned i = 0; i < a->nfindings; i++)
        pt__text_finding(out, a, i, sy, o);
    if (!a->nfindings)
        fprintf(out, "no findings: no resource was deleted while another live process held it\n\n");
    pt__text_summary(out, a, sy, o);
    pt__sym_free(sy);
    return ferror(out) ? -EIO : 0;
}

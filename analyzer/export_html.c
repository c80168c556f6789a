/* export_html.c — the self-contained HTML report: each finding with its narrative, stacks and a
 * close-up timeline of the two processes, then an SVG timeline of the whole trace (a lane per
 * process, grouped by namespace; holds as bars, deletions and failures as marks, an arrow from each
 * delete to its victim; <title> hover details). No network: no external script, style or font.
 *
 * The narratives and stacks are the text report's own (each finding's block, escaped), so the two
 * formats never tell different stories. A small inline script, run at load, records on each
 * timeline how many lanes and arrows the browser actually laid out (data-drawn-*), which is what
 * the rendering test reads back, and opens the evidence (closed on screen) when printing. */
#define _GNU_SOURCE /* asprintf, open_memstream */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/export_model.h"
#include "analyzer/report.h"
#include "proftrace/escape.h"

#define W 1160.0    /* drawing width (the SVG scales to the page) */
#define LABEL 250.0 /* label column */
#define RIGHT 24.0
#define AXIS 38.0      /* time axis band at the top: tick labels, then finding tags */
#define LANE 34.0      /* one process */
#define GROUP 20.0     /* a namespace group's header */
#define MAX_CALLS 6000 /* call ticks per drawing */
/* deletion and failure marks per drawing, besides a finding's; holds and arrows are always drawn */
#define MAX_MARKS 20000

static const char *const css =
    ":root{--fg:#1d2330;--mut:#5b6577;--bg:#fff;--line:#d7dce5;--del:#c62828;--fail:#e65100;"
    "--hold:#2e7d32;--view:#1565c0;--arrow:#b71c1c}"
    "*{box-sizing:border-box}"
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "color:var(--fg);background:var(--bg);margin:0 auto;max-width:1240px;padding:16px 24px}"
    "h1{font-size:22px;margin:4px 0}h2{font-size:18px;border-bottom:2px solid var(--line);"
    "padding-bottom:4px;margin-top:28px}h3{font-size:16px;margin:0 0 6px}"
    ".meta{color:var(--mut);margin:0}"
    ".finding{border:1px solid var(--line);border-left:6px solid var(--del);border-radius:6px;"
    "padding:12px 16px;margin:14px 0}"
    ".finding.sev-warning,.finding.sev-medium{border-left-color:var(--fail)}"
    ".badge{display:inline-block;font-size:12px;font-weight:600;padding:1px 8px;border-radius:10px;"
    "background:#ffebee;color:var(--del);margin-left:6px;vertical-align:middle}"
    ".badge.cause{background:#e3f2fd;color:#0d47a1}.badge.unc{background:#fff3e0;color:#e65100}"
    ".story{font-size:15px;margin:6px 0 10px}"
    ".remedy{background:#f1f8e9;border-radius:4px;padding:6px 10px}"
    "pre{font:12px/1.4 'DejaVu Sans Mono',Menlo,Consolas,monospace;background:#f6f8fa;"
    "border:1px solid var(--line);border-radius:4px;padding:10px;overflow-x:auto;"
    "white-space:pre-wrap;overflow-wrap:anywhere}"
    "details summary{cursor:pointer;color:var(--mut);margin:6px 0}"
    "svg.timeline{width:100%;height:auto;display:block;margin:8px 0;font-size:12px}"
    "svg .axis line{stroke:var(--line)}svg .axis text{fill:var(--mut);font-size:11px}"
    "svg .group-label{fill:var(--mut);font-size:11px;font-style:italic}"
    "svg .lane-bg{fill:#fafbfc}svg .lane.alt .lane-bg{fill:#f2f4f7}"
    "svg .lane-label{fill:var(--fg);font-size:12px}svg .lane-sub{fill:var(--mut);font-size:10px}"
    "svg .life{stroke:#9aa5b5;stroke-width:1.5}"
    "svg .call{fill:#90a4ae}svg .call.MAPI{fill:#7e57c2}svg .call.REG{fill:#78909c}"
    "svg .hold{fill:var(--hold);opacity:.55}svg .hold.view,svg .hold.shmap,svg .hold.sysv,svg .hold.file"
    "{fill:var(--view)}svg .hold.open{opacity:.35}"
    "svg .mark.delete{fill:var(--del);stroke:#fff;stroke-width:.8}"
    "svg .mark.failure{stroke:var(--fail);stroke-width:2.6;fill:none}"
    "svg .arrow{stroke:var(--arrow);stroke-width:2.2;fill:none}"
    "svg .arrowhead{fill:var(--arrow)}"
    "svg .finding-line{stroke:var(--del);stroke-dasharray:4 3;stroke-width:1}"
    "svg .finding-tag{fill:var(--del);font-size:11px;font-weight:600;stroke:#fff;stroke-width:3px;"
    "paint-order:stroke}"
    ".legend{color:var(--mut);font-size:12px}.legend span{margin-right:14px;white-space:nowrap}"
    ".sw{display:inline-block;width:14px;height:10px;border-radius:2px;vertical-align:middle;"
    "margin-right:4px}"
    "@media print{body{max-width:none;padding:0;font-size:10pt}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "svg.timeline,.story,.remedy,h3{break-inside:avoid;page-break-inside:avoid}"
    ".finding{border-left-width:3px}"
    "pre{white-space:pre-wrap;font-size:8pt}"
    "h2{break-after:avoid}}";

/* Runs once at load: mark what the browser actually laid out, for tests and for the curious. */
static const char *const script =
    "(function(){document.querySelectorAll('svg.timeline').forEach(function(svg){"
    "var lanes=0,arrows=0;svg.querySelectorAll('g.lane').forEach(function(g){"
    "var b=g.getBBox();if(b.width>0&&b.height>0){lanes++;g.setAttribute('data-drawn','1');}});"
    "svg.querySelectorAll('path.arrow').forEach(function(p){"
    "if(p.getTotalLength()>0){arrows++;p.setAttribute('data-drawn','1');}});"
    "svg.setAttribute('data-drawn-lanes',lanes);svg.setAttribute('data-drawn-arrows',arrows);});"
    "document.body.setAttribute('data-rendered','1');"
    "window.addEventListener('beforeprint',function(){"
    "document.querySelectorAll('details').forEach(function(d){d.open=true;});});})();";

struct view {
    FILE *f;
    const struct pt_timeline *tl;
    const char *id;
    uint64_t from, to;
    uint32_t *procs; /* lanes, in order */
    uint32_t nprocs;
    double *lane_y; /* per process index (tl->nprocs), -1 when not drawn */
    int finding;    /* close-up of this finding, or -1 for the whole trace */
};

static double xpos(const struct view *v, uint64_t t)
{
    if (t < v->from)
        t = v->from;
    if (t > v->to)
        t = v->to;
    double span = v->to > v->from ? (double)(v->to - v->from) : 1.0;
    return LABEL + (double)(t - v->from) * (W - LABEL - RIGHT) / span;
}

static void time_text(char *buf, size_t len, double sec, double step)
{
    if (step >= 1.0)
        snprintf(buf, len, "%.0f s", sec);
    else if (step >= 1e-3)
        snprintf(buf, len, "%.*f ms", step >= 1e-2 ? 0 : 1, sec * 1e3);
    else
        snprintf(buf, len, "%.*f \xc2\xb5s", step >= 1e-5 ? 0 : 1, sec * 1e6);
}

static void axis(const struct view *v, double height)
{
    FILE *f = v->f;
    double span = (double)(v->to - v->from) / 1e9;
    if (span <= 0)
        span = 1e-6;
    double raw = span / 8, mag = pow(10, floor(log10(raw))), step = mag;
    if (raw / mag > 5)
        step = 10 * mag;
    else if (raw / mag > 2)
        step = 5 * mag;
    else if (raw / mag > 1)
        step = 2 * mag;
    double start = (double)(v->from - v->tl->t0) / 1e9;
    fputs("<g class=\"axis\">", f);
    for (double s = ceil(start / step) * step; s <= start + span + step * 1e-6; s += step) {
        uint64_t t = v->tl->t0 + (uint64_t)llround(s * 1e9);
        double x = xpos(v, t);
        char b[32];
        time_text(b, sizeof b, s, step);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, AXIS - 18, x,
                height);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>", x, AXIS - 22, b);
    }
    fputs("</g>\n", f);
}

static const char *hold_class[] = {"session", "view", "shmap", "sysv", "file"};

/* Tooltip text of a process: everything that identifies it. */
static void proc_title(FILE *f, const struct pt_timeline *tl, uint32_t i)
{
    const struct pt__proc *p = tl->a->procs[i];
    fputs("<title>", f);
    pt__x_html(f, p->exe ? p->exe : "?");
    fprintf(f, "\npid %u (initial pid namespace: %u), ppid %u\nuid %u euid %u\n", p->pid,
            p->global_pid, p->ppid, p->who.uid, p->who.euid);
    if (p->who.sessionid == UINT32_MAX)
        fputs("login session: none (loginuid unset)\n", f);
    else
        fprintf(f, "login session %u (loginuid %u)\n", p->who.sessionid, p->who.loginuid);
    fprintf(f, "namespaces: ipc %llu, mnt %llu, pid %llu, user %llu",
            (unsigned long long)p->who.ns[PT_NS_ipc], (unsigned long long)p->who.ns[PT_NS_mnt],
            (unsigned long long)p->who.ns[PT_NS_pid], (unsigned long long)p->who.ns[PT_NS_user]);
    if (p->cmdline && *p->cmdline) {
        fputs("\ncommand: ", f);
        pt__x_html(f, p->cmdline);
    }
    fputs("</title>", f);
}

static void slice_title(FILE *f, const struct pt_timeline *tl, const struct pt__tl_slice *s)
{
    fputs("<title>", f);
    fprintf(f, "%s(", pt_event_name(s->id));
    pt__x_html(f, s->text);
    fprintf(f, ")\nat +%.6f s, %.3f \xc2\xb5s, depth %u, tid %u", (double)(s->t0 - tl->t0) / 1e9,
            (double)(s->t1 - s->t0) / 1e3, s->depth, s->tid);
    fputs("</title>", f);
}

/* Is slice k an end of a finding's arrow? (those marks are drawn whatever the cap) */
static int in_finding(const struct pt_timeline *tl, uint32_t k)
{
    for (uint32_t i = 0; i < tl->nflows; i++)
        if (tl->flows[i].from == k || tl->flows[i].to == k)
            return 1;
    return 0;
}

struct drawn {
    unsigned calls, marks, skipped; /* skipped: calls or marks left out by the caps */
};

static void lane(struct view *v, uint32_t i, double y, int alt, struct drawn *n)
{
    FILE *f = v->f;
    const struct pt_timeline *tl = v->tl;
    const struct pt__proc *p = tl->a->procs[i];
    const struct pt__tl_proc *tp = &tl->procs[i];
    double mid = y + LANE / 2;
    fprintf(f, "<g class=\"lane%s\" data-pid=\"%u\" data-display-pid=\"%u\" data-exe=\"",
            alt ? " alt" : "", p->pid, tp->cpid);
    pt__x_html(f, pt__tl_base(p->exe));
    fprintf(f, "\">\n<rect class=\"lane-bg\" x=\"0\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">", y,
            W, LANE);
    proc_title(f, tl, i);
    fputs("</rect>", f);
    fprintf(f, "<text class=\"lane-label\" x=\"8\" y=\"%.1f\">", y + 14);
    pt__x_html(f, pt__tl_base(p->exe));
    fprintf(f, " (pid %u)", p->pid);
    proc_title(f, tl, i);
    fputs("</text>", f);
    fprintf(f, "<text class=\"lane-sub\" x=\"8\" y=\"%.1f\">", y + 27);
    if (p->who.sessionid == UINT32_MAX)
        fputs("no session", f);
    else
        fprintf(f, "session %u", p->who.sessionid);
    fprintf(f, " \xc2\xb7 uid %u/%u%s</text>\n", p->who.uid, p->who.euid,
            p->end == PT__SIGNALLED || p->end == PT__REAPED ? " \xc2\xb7 killed" : "");
    if (tp->t1 >= v->from && tp->t0 <= v->to)
        fprintf(f, "<line class=\"life\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                xpos(v, tp->t0), mid, xpos(v, tp->t1), mid);
    /* holds: bars in the upper half, in three sub-rows so overlapping holds stay visible */
    unsigned nh = 0;
    for (uint32_t k1 = tp->hold1; k1; k1 = tl->holds[k1 - 1].next1) {
        const struct pt__tl_hold *h = &tl->holds[k1 - 1];
        unsigned row = nh++ % 3;
        if (h->t1 < v->from || h->t0 > v->to)
            continue;
        double x0 = xpos(v, h->t0), x1 = xpos(v, h->t1);
        fprintf(f,
                "<rect class=\"hold %s%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"4\" "
                "rx=\"1\"><title>",
                hold_class[h->kind], h->open ? " open" : "", x0, y + 3 + row * 4.5,
                x1 - x0 < 2 ? 2 : x1 - x0);
        pt__x_html(f, h->label);
        fprintf(f, "\nfrom +%.6f s to +%.6f s%s</title></rect>\n", (double)(h->t0 - tl->t0) / 1e9,
                (double)(h->t1 - tl->t0) / 1e9,
                h->open ? " (still held at the end of the trace)" : "");
    }
    /* the program's calls: ticks on the lifeline */
    for (uint32_t k1 = tp->slice1; k1; k1 = tl->slices[k1 - 1].next1) {
        const struct pt__tl_slice *s = &tl->slices[k1 - 1];
        if (s->depth || s->t1 < v->from || s->t0 > v->to)
            continue;
        if (n->calls >= MAX_CALLS) {
            n->skipped++;
            break;
        }
        double x0 = xpos(v, s->t0), x1 = xpos(v, s->t1);
        int cat = pt__ev_category(s->id);
        fprintf(f, "<rect class=\"call%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"8\">",
                cat == PT_CAT_MAPI  ? " MAPI"
                : cat == PT_CAT_REG ? " REG"
                                    : "",
                x0, mid - 4, x1 - x0 < 1.2 ? 1.2 : x1 - x0);
        slice_title(f, tl, s);
        fputs("</rect>", f);
        n->calls++;
    }
    fputc('\n', f);
    /* deletions (triangles) and failures (crosses), at any depth */
    for (uint32_t k1 = tp->slice1; k1; k1 = tl->slices[k1 - 1].next1) {
        const struct pt__tl_slice *s = &tl->slices[k1 - 1];
        if (!s->mark || s->t1 < v->from || s->t1 > v->to)
            continue;
        if (n->marks >= MAX_MARKS && !in_finding(tl, k1 - 1)) {
            n->skipped++;
            continue;
        }
        n->marks++;
        double x = xpos(v, s->t1);
        if (s->mark & PT__TL_DELETE)
            fprintf(f, "<path class=\"mark delete\" d=\"M%.1f %.1fl6 10h-12z\">", x, mid + 2);
        else
            fprintf(f, "<path class=\"mark failure\" d=\"M%.1f %.1fl9 9m0 -9l-9 9\">", x - 4.5,
                    mid + 3);
        slice_title(f, tl, s);
        fputs("</path>\n", f);
    }
    fputs("</g>\n", f);
}

static void arrows(struct view *v)
{
    FILE *f = v->f;
    const struct pt_timeline *tl = v->tl;
    for (uint32_t k = 0; k < tl->nflows; k++) {
        const struct pt__tl_flow *fl = &tl->flows[k];
        if (v->finding >= 0 && fl->finding != (uint32_t)v->finding)
            continue;
        const struct pt__tl_slice *a = &tl->slices[fl->from], *b = &tl->slices[fl->to];
        if (v->lane_y[a->proc] < 0 || v->lane_y[b->proc] < 0)
            continue;
        double x1 = xpos(v, a->t1), x2 = xpos(v, b->t1);
        double y1 = v->lane_y[a->proc] + LANE / 2 + 7, y2 = v->lane_y[b->proc] + LANE / 2;
        y2 += y2 > y1 ? -9 : 9; /* stop at the cross, not on it */
        double bend =
            fabs(x2 - x1) < 40 ? 50 : 0; /* near-vertical: bow it so it reads as an arrow */
        const struct pt__proc *dp = tl->a->procs[a->proc], *hp = tl->a->procs[b->proc];
        fprintf(f,
                "<path class=\"arrow\" data-finding=\"%u\" data-from-pid=\"%u\" data-to-pid=\"%u\" "
                "d=\"M%.1f %.1fC%.1f %.1f %.1f %.1f %.1f %.1f\" marker-end=\"url(#%s-head)\">"
                "<title>finding %u: %s(pid %u) deleted what pid %u held; %s failed %.3f ms later"
                "</title></path>\n",
                fl->finding + 1, dp->pid, hp->pid, x1, y1, x1 + bend, (y1 + y2) / 2, x2 + bend,
                (y1 + y2) / 2, x2, y2, v->id, fl->finding + 1, pt_event_name(a->id), dp->pid,
                hp->pid, pt_event_name(b->id), (double)(b->t1 - a->t1) / 1e6);
    }
}

static void finding_lines(struct view *v, double top, double bottom)
{
    const struct pt_analyzer *a = v->tl->a;
    for (uint32_t i = 0; i < a->nfindings; i++) {
        if (v->finding >= 0 && i != (uint32_t)v->finding)
            continue;
        uint64_t ts, from, to;
        uint32_t tid;
        pt__story_of(&a->findings[i])->when(a, &a->findings[i], &ts, &tid, &from, &to);
        if (ts < v->from || ts > v->to)
            continue;
        double x = xpos(v, ts);
        fprintf(
            v->f,
            "<line class=\"finding-line\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
            "<text class=\"finding-tag\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">F%u</text>\n",
            x, top - 14, x, bottom, x, top - 4, i + 1);
    }
}

static void draw(struct view *v)
{
    FILE *f = v->f;
    const struct pt_timeline *tl = v->tl;
    double h = AXIS;
    uint32_t last_group = UINT32_MAX;
    for (uint32_t k = 0; k < v->nprocs; k++) {
        if (tl->procs[v->procs[k]].group != last_group) {
            last_group = tl->procs[v->procs[k]].group;
            h += GROUP;
        }
        h += LANE;
    }
    h += 8;
    fprintf(f,
            "<svg class=\"timeline\" id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" "
            "viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\">\n"
            "<defs><marker id=\"%s-head\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
            "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">"
            "<path class=\"arrowhead\" d=\"M0 0L10 5L0 10z\"/></marker></defs>\n",
            v->id, W, h, W, h, v->id);
    axis(v, h - 8);
    double y = AXIS;
    last_group = UINT32_MAX;
    struct drawn n = {0, 0, 0};
    for (uint32_t i = 0; i < tl->nprocs; i++)
        v->lane_y[i] = -1;
    for (uint32_t k = 0; k < v->nprocs; k++) {
        uint32_t i = v->procs[k];
        if (tl->procs[i].group != last_group) {
            last_group = tl->procs[i].group;
            char g[256] = "";
            if (last_group < tl->ngroups)
                pt__tl_group_label(&tl->groups[last_group], g, sizeof g);
            fprintf(f, "<text class=\"group-label\" x=\"4\" y=\"%.1f\">", y + 14);
            pt__x_html(f, g);
            fputs("</text>\n", f);
            y += GROUP;
        }
        v->lane_y[i] = y;
        lane(v, i, y, k & 1, &n);
        y += LANE;
    }
    finding_lines(v, AXIS, h - 8);
    arrows(v);
    fputs("</svg>\n", f);
    if (n.skipped)
        fprintf(f,
                "<p class=\"legend\">(drawn: the first %u calls and %u deletion/failure marks, "
                "with every mark of a finding, every hold and every arrow; `proftrace export "
                "--format chrome` has them all)</p>\n",
                n.calls, n.marks);
}

static void legend(FILE *f)
{
    fputs("<p class=\"legend\"><span><i class=\"sw\" style=\"background:#2e7d32;opacity:.55\">"
          "</i>MAPI session held</span><span><i class=\"sw\" style=\"background:#1565c0;"
          "opacity:.55\"></i>shared mapping held</span><span><i class=\"sw\" "
          "style=\"background:#7e57c2\"></i>MAPI call</span><span><i class=\"sw\" "
          "style=\"background:#78909c\"></i>other call</span><span style=\"color:#c62828\">"
          "\xe2\x96\xb2 deletion</span><span style=\"color:#e65100\">\xe2\x9c\x95 failure</span>"
          "<span style=\"color:#b71c1c\">\xe2\x9f\xb6 delete \xe2\x86\x92 the failure it caused"
          "</span><span>hover anything for details</span></p>\n",
          f);
}

/* The text report's block of finding i (without its blank line), or its summary (i == nfindings),
 * as one string (owned by the caller); NULL when out of memory. */
static char *text_of(struct pt_analyzer *a, unsigned i, struct pt__symbolizer *sy,
                     const struct pt_report_opts *o)
{
    char *p = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&p, &len);
    if (!m)
        return NULL;
    if (i < a->nfindings)
        pt__text_finding(m, a, i, sy, o);
    else
        pt__text_summary(m, a, sy, o);
    if (fclose(m)) {
        free(p);
        return NULL;
    }
    if (i < a->nfindings && len && p[len - 1] == '\n')
        p[len - 1] = 0;
    return p;
}

/* "pid 4711 (eventsvc)" */
static void html_proc(FILE *f, const struct pt__proc *p)
{
    fprintf(f, "pid %u (", p->pid);
    pt__x_html(f, pt__tl_base(p->exe));
    fputc(')', f);
}

/* A deletion's story: what was deleted, held by whom, by whom in which call, and the failures it
 * caused. */
void pt__deletion_html(FILE *f, const struct pt_analyzer *a, const struct pt__finding *fd,
                       uint64_t t0)
{
    const struct pt__proc *dp = a->procs[fd->deleter];
    struct pt__res r;
    char b[1024];
    pt__rep_resource(a, fd, &r);
    fputs("<p class=\"story\">", f);
    const struct pt__del *d = &a->dels[fd->del];
    fprintf(f, "The %s <b>", r.kind ? r.kind : "resource");
    pt__x_html(f, r.name ? r.name : "?");
    fputs("</b>, held by ", f);
    for (uint32_t i = 0; i < fd->nholders; i++) {
        fputs(i == 0 ? "" : i + 1 == fd->nholders ? " and " : ", ", f);
        html_proc(f, a->procs[fd->holders[i].proc]);
    }
    fprintf(f, ", was deleted at +%.6f s by ", (double)(d->ts - t0) / 1e9);
    html_proc(f, dp);
    fputs(" in ", f);
    pt__x_html(f, d->via ? d->via : d->api ? d->api : d->call);
    fputs(".", f);
    for (uint32_t i = 0; i < fd->nvictims; i++) {
        const struct pt__victim *v = pt__rep_victim_at(a, fd, i);
        int holder = 0;
        for (uint32_t k = 0; k < fd->nholders; k++)
            holder |= fd->holders[k].proc == v->proc;
        fputs(i ? " Then " : " ", f);
        fputs(holder ? "The holder " : "", f);
        html_proc(f, a->procs[v->proc]);
        fprintf(f, " failed %.3f ms after the delete: <b>", (double)(v->ts - d->ts) / 1e6);
        pt__x_html(f, pt__rep_victim(v, b, sizeof b));
        fputs("</b>.", f);
    }
    fputs("</p>\n<p>Why: ", f);
    pt__x_html(f, pt__rep_why(fd));
    fputs("</p>\n", f);
}

/* The close-up of one finding: its processes (holders, deleter, the processes that failed), from
 * the first hold's start to just after the first failure. */
#define CLOSE_UP_MAX 8
static void close_up(FILE *f, const struct pt_timeline *tl, uint32_t fi, double *lane_y)
{
    const struct pt_analyzer *a = tl->a;
    const struct pt__finding *fd = &a->findings[fi];
    uint32_t procs[CLOSE_UP_MAX];
    uint32_t n = 0;
    uint64_t lo, hi;
    uint32_t want[CLOSE_UP_MAX * 3], nwant = 0;
    for (uint32_t i = 0; i < fd->nholders && nwant < CLOSE_UP_MAX; i++)
        want[nwant++] = fd->holders[i].proc;
    if (fd->nholders == 0 && fd->holder != PT__NONE)
        want[nwant++] = fd->holder;
    want[nwant++] = fd->deleter;
    for (uint32_t i = 0; i < fd->nvictims && nwant < CLOSE_UP_MAX * 3; i++)
        want[nwant++] = a->victims[fd->victims[i]].proc;
    for (uint32_t i = 0; i < nwant && n < CLOSE_UP_MAX; i++) {
        uint32_t k = 0;
        while (k < n && procs[k] != want[i])
            k++;
        if (k == n && want[i] < tl->nprocs)
            procs[n++] = want[i];
    }
    uint64_t at;
    uint32_t tid;
    pt__story_of(fd)->when(a, fd, &at, &tid, &lo, &hi);
    if (hi <= lo)
        hi = lo + 1000;
    uint64_t pad = (hi - lo) / 12 + 1000;
    /* in the display order, as the timeline below has them */
    for (uint32_t i = 1; i < n; i++) {
        uint32_t x = procs[i], k = i;
        for (; k > 0 && tl->procs[procs[k - 1]].order > tl->procs[x].order; k--)
            procs[k] = procs[k - 1];
        procs[k] = x;
    }
    char id[32];
    snprintf(id, sizeof id, "finding-%u-timeline", fi + 1);
    struct view v = {f, tl,     id,     lo > tl->t0 + pad ? lo - pad : tl->t0, hi + pad, procs,
                     n, lane_y, (int)fi};
    draw(&v);
}

int pt_export_html(FILE *f, struct pt_timeline *tl, const struct pt_report_opts *o)
{
    struct pt_analyzer *a = tl->a;
    struct pt_report_opts def = {1, 1};
    if (!o)
        o = &def;
    struct pt__symbolizer *sy = o->symbolize ? pt__sym_new() : NULL;
    char *text = NULL;
    uint32_t *ord = malloc((tl->nprocs ? tl->nprocs : 1) * sizeof *ord);
    double *lane_y = malloc((tl->nprocs ? tl->nprocs : 1) * sizeof *lane_y);
    int rc = -ENOMEM;
    if (!ord || !lane_y)
        goto out;
    uint64_t lost = a->lost_total + a->in.lost;
    uint32_t nshown = pt__tl_order(tl, ord);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
          "<title>proftrace report: ",
          f);
    pt__x_html(f, tl->dir);
    fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<header><h1>proftrace report</h1>\n",
            css);
    fputs("<p class=\"meta\">trace <code>", f);
    pt__x_html(f, tl->dir);
    fprintf(f,
            "</code> \xc2\xb7 %u processes \xc2\xb7 %llu events \xc2\xb7 %llu lost \xc2\xb7 "
            "%.6f s \xc2\xb7 <b>%u finding%s</b></p></header>\n",
            nshown, (unsigned long long)a->nevents, (unsigned long long)lost,
            (double)(tl->t1 - tl->t0) / 1e9, a->nfindings, a->nfindings == 1 ? "" : "s");

    fputs("<section id=\"findings\"><h2>Findings</h2>\n", f);
    if (!a->nfindings)
        fputs("<p>No findings: no resource was deleted while another live process held it.</p>\n",
              f);
    for (uint32_t i = 0; i < a->nfindings; i++) {
        const struct pt__finding *fd = &a->findings[i];
        fprintf(f, "<article class=\"finding sev-%s\" id=\"finding-%u\">\n<h3>Finding %u: %s",
                fd->severity, i + 1, i + 1, pt__rule_name(fd->rule));
        fprintf(f, "<span class=\"badge\">%s</span><span class=\"badge cause\">%s</span>%s</h3>\n",
                fd->severity, pt__cause_name(fd->cause),
                fd->uncertain ? "<span class=\"badge unc\">uncertain</span>" : "");
        pt__story_of(fd)->html(f, a, fd, tl->t0);
        close_up(f, tl, i, lane_y);
        fputs("<p class=\"remedy\"><b>Remedy:</b> ", f);
        pt__x_html(f, pt__rep_remedy(fd));
        fputs(
            "</p>\n<details><summary>evidence: identities side by side, stacks, code at the delete"
            "</summary><pre>",
            f);
        if (!(text = text_of(a, i, sy, o)))
            goto out;
        pt_esc_html_lines(f, text); /* a text report block: escaped as text already */
        free(text);
        text = NULL;
        fputs("</pre></details>\n</article>\n", f);
    }
    fputs("</section>\n", f);

    fputs("<section id=\"timeline-section\"><h2>Timeline</h2>\n", f);
    legend(f);
    struct view v = {f,   tl,     "timeline", tl->t0, tl->t1 > tl->t0 ? tl->t1 : tl->t0 + 1000,
                     ord, nshown, lane_y,     -1};
    draw(&v);
    fputs("</section>\n", f);

    fputs("<section id=\"summary\"><h2>Summary</h2><pre>", f);
    if (!(text = text_of(a, a->nfindings, sy, o)))
        goto out;
    pt_esc_html_lines(f, text); /* a text report block: escaped as text already */
    fputs("</pre></section>\n", f);
    fprintf(f, "<script>%s</script>\n</body></html>\n", script);
    rc = ferror(f) ? -EIO : 0;
out:
    free(text);
    pt__sym_free(sy);
    free(ord);
    free(lane_y);
    return rc;
}

/* report_latent.c — how a latent-purge-hazard is told (its story, rules.h): the profile at risk,
 * its session, its mark and the process that would delete it, in every report format. Apart from
 * rule_latent.c, so that what only detects links none of the reports. */
#include <inttypes.h>
#include <stdio.h>

#include "analyzer/report.h"
#include "proftrace/escape.h"

static void resource(const struct pt_analyzer *a, const struct pt__finding *f, struct pt__res *r)
{
    const struct pt__sess *s = &a->sess[f->sess];
    r->kind = "profile";
    r->name = s->profile;
    r->key = s->path;
    r->dev = s->dev;
    r->ino = s->ino;
}

static void text(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                 struct pt__symbolizer *sy, const struct pt_report_opts *o)
{
    const struct pt__proc *hp = a->procs[f->holder], *dp = a->procs[f->deleter];
    (void)sy, (void)o;
    const struct pt__sess *s = &a->sess[f->sess];
    const struct pt__mark *m = &a->marks[f->mark];
    fprintf(out,
            "  %+11.6fs  pid %u (%s) MAPILogonEx(\"%s\") -> session 0x%llx: holds the profile\n",
            pt__rep_rel(a, s->ts), hp->pid, pt_esc(pt__rep_base(hp->exe)), pt_esc(s->profile),
            (unsigned long long)s->handle);
    fprintf(out, "  %+11.6fs  pid %u (%s) marked it for deletion under \"%s\"\n",
            pt__rep_rel(a, m->ts), a->procs[m->proc]->pid,
            pt_esc(pt__rep_base(a->procs[m->proc]->exe)), pt_esc(m->marks_key));
    fprintf(out,
            "  %+11.6fs  pid %u (%s) shares the profile store and the marks key, with another "
            "in-use view: its next MAPIInitialize will delete the profile\n",
            pt__rep_rel(a, f->latent_ts), dp->pid, pt_esc(pt__rep_base(dp->exe)));
    fprintf(out, "  why: %s\n", pt_esc(pt__rep_why(f)));
    pt__text_who(out, a, f, &f->hview.who, &f->dview.who, "would-be deleter", 1);
    fprintf(out, "  remedy: %s\n\n", pt__rep_remedy(f));
}

static void json(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                 struct pt__symbolizer *sy)
{
    const struct pt__proc *hp = a->procs[f->holder], *dp = a->procs[f->deleter];
    (void)sy;
    const struct pt__sess *s = &a->sess[f->sess];
    const struct pt__mark *m = &a->marks[f->mark];
    fputs(",\"deleter\":", out);
    pt__json_party(out, a, dp, &f->dview.who, "MAPIInitialize", NULL, NULL, f->latent_ts, &f->dview,
                   1);
    fputs(",\"would_be\":true}", out);
    for (int i = 0; i < 2; i++) { /* the holder, and the list of holders it is the one of */
        fputs(i ? ",\"holders\":[" : ",\"holder\":", out);
        pt__json_party(out, a, hp, &f->hview.who, "MAPILogonEx", NULL, NULL, s->ts, &f->hview, 1);
        fprintf(out, ",\"session_handle\":\"0x%" PRIx64 "\"}%s", s->handle, i ? "]" : "");
    }
    fputs(",\"mark\":{\"marks_key\":", out);
    pt__json_str(out, m->marks_key);
    fprintf(out, ",\"pid\":%u,\"time\":%" PRIu64 "},\"victim\":null,\"victims\":[]}",
            a->procs[m->proc]->pid, m->ts);
}

static void html(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f, uint64_t t0)
{
    const struct pt__proc *hp = a->procs[f->holder], *dp = a->procs[f->deleter];
    (void)t0;
    fputs("<p class=\"story\">Profile <b>", out);
    pt__x_html(out, a->sess[f->sess].profile);
    fprintf(out, "</b> is held by pid %u (", hp->pid);
    pt__x_html(out, pt__rep_base(hp->exe));
    fprintf(out, ") and marked for deletion; pid %u (", dp->pid);
    pt__x_html(out, pt__rep_base(dp->exe));
    fputs(") shares the profile store with another in-use view: its next MAPIInitialize "
          "will delete it.</p>\n",
          out);
}

static void when(const struct pt_analyzer *a, const struct pt__finding *f, uint64_t *at,
                 uint32_t *tid, uint64_t *from, uint64_t *to)
{
    *at = f->latent_ts;
    *tid = 0;
    *from = a->sess[f->sess].ts;
    *to = f->latent_ts;
}

const struct pt__story pt__story_latent = {.by_views = 1,
                                           .resource = resource,
                                           .why = pt__why_views,
                                           .remedy = pt__remedy_views,
                                           .text = text,
                                           .json = json,
                                           .html = html,
                                           .when = when};

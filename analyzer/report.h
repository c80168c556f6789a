/* report.h — what the reports share: how a finding's parts are named, and how each rule's findings
 * are told (its story, rules.h). */
#ifndef PT_ANALYZER_REPORT_H
#define PT_ANALYZER_REPORT_H

#include <stdio.h>

#include "analyzer/model.h"
#include "analyzer/open_file.h"
#include "analyzer/symbolize.h"

struct pt__res {
    const char *kind; /* profile, registry-key, posix-shm, sysv-shm, mapped-file, open-file, file */
    const char *name;
    const char *key; /* a profile's key path, else NULL */
    uint64_t dev, ino;
    int sysv;                          /* identity is (ipc ns, shmid) */
    const struct pt__file_class *file; /* open-file: what it is to its holder (open_file.h) */
};

/* How the findings of a rule are told: every report calls these, whatever the rule. A deletion is
 * told by report_story.c's two stories (compared by in-use views, or by the two processes'
 * identities); a finding that is not a deletion by its rule's own functions. */
struct pt_timeline;
struct pt__story {
    /* 1: the in-use views explain it (its cause compares them); 0: the two processes' identities */
    int by_views;
    /* the resource of finding f */
    void (*resource)(const struct pt_analyzer *a, const struct pt__finding *f, struct pt__res *r);
    /* one sentence: why the deleter could not see the holder, from the finding's verdict (called
     * once, by verdict.c; every output prints f->why) */
    const char *(*why)(const struct pt_analyzer *a, const struct pt__finding *f, char *buf,
                       size_t len);
    /* what to change, for the finding's verdict (verdict.c keeps it in f->remedy) */
    const char *(*remedy)(const struct pt_analyzer *a, const struct pt__finding *f);
    /* `proftrace report`: the lines after the resource line, up to the remedy and a blank line */
    void (*text)(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                 struct pt__symbolizer *sy, const struct pt_report_opts *o);
    /* `report --json`: the members after "resource" (each with its leading comma), and the
     * finding object's closing brace */
    void (*json)(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                 struct pt__symbolizer *sy);
    /* the HTML report: the story paragraph(s) */
    void (*html)(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f, uint64_t t0);
    /* when: its mark on a timeline (time, and thread of the deleter; 0: its main thread), and the
     * span a close-up shows */
    void (*when)(const struct pt_analyzer *a, const struct pt__finding *f, uint64_t *at,
                 uint32_t *tid, uint64_t *from, uint64_t *to);
};

/* The story of finding f (rules.h). */
const struct pt__story *pt__story_of(const struct pt__finding *f);

/* The resource of finding f. */
void pt__rep_resource(const struct pt_analyzer *a, const struct pt__finding *f, struct pt__res *r);
/* The name an open-file finding's file went by: the deleted path, else the one its holder opened. */
const char *pt__rep_file_name(const struct pt_analyzer *a, const struct pt__finding *f);
/* How holder candidate c held it, for people: "has it open for writing (O_RDWR|O_CREAT), fd 5". */
const char *pt__rep_hold_what(const struct pt__cand *c, char *buf, size_t len);
/* Why the deleter could not see the holder, and the remedy: the finding's verdict (verdict.c). */
const char *pt__rep_why(const struct pt__finding *f);
const char *pt__rep_remedy(const struct pt__finding *f);
/* Holder h of finding f at the delete, as every output says it ("alive at the delete: ..."), and
 * the words of its evidence (JSON: "liveness-check", "later-event", "silent", "reaped"). */
const char *pt__rep_liveness(const struct pt_analyzer *a, const struct pt__fholder *h, char *buf,
                             size_t len);
const char *pt__rep_live_evidence(const struct pt__fholder *h);
/* The verdict's facts in words (JSON): what the deleter consulted, how the in-use views compare. */
const char *pt__rep_consult(const struct pt__finding *f);
const char *pt__rep_views(const struct pt__finding *f);
/* The victim entry of finding f's i-th victim; its process. */
const struct pt__victim *pt__rep_victim_at(const struct pt_analyzer *a, const struct pt__finding *f,
                                           uint32_t i);

/* The mark under which the finding's profile was marked before `before`, or NULL. */
const struct pt__mark *pt__rep_mark(const struct pt_analyzer *a, const char *profile,
                                    uint64_t before);

/* The failure text of a victim into buf ("IMAPISession_OpenMsgStore -> 0x80004005
 * MAPI_E_CALL_FAILED (RegQueryValueExA -> 1018 ERROR_KEY_DELETED)"). */
const char *pt__rep_victim(const struct pt__victim *v, char *buf, size_t len);
/* The error of one result: "0x80004005 MAPI_E_CALL_FAILED", "1018 ERROR_KEY_DELETED", "ENOENT". */
const char *pt__rep_error(const char *call, int64_t ret, int32_t err, char *buf, size_t len);

/* "3:1" style device text. */
const char *pt__rep_dev(uint64_t dev, char *buf, size_t len);
/* Seconds since the trace's first event; the last part of a path ("?" for NULL). */
double pt__rep_rel(const struct pt_analyzer *a, uint64_t ts);
const char *pt__rep_base(const char *path);

/* report_text.c: one finding as `proftrace report` prints it (its block, blank line included), the
 * summary after the findings, and the parts of a block the stories share. */
void pt__text_finding(FILE *out, struct pt_analyzer *a, unsigned i, struct pt__symbolizer *sy,
                      const struct pt_report_opts *o);
void pt__text_summary(FILE *out, struct pt_analyzer *a, struct pt__symbolizer *sy,
                      const struct pt_report_opts *o);
/* Finding i as one JSON object, as `report --json` writes it in its findings array. */
void pt__json_finding(FILE *out, struct pt_analyzer *a, unsigned i, struct pt__symbolizer *sy);
/* What rotation dropped and where the state was carried from, one sentence into buf (NULL when
 * the trace is not rotated or nothing was dropped). */
const char *pt__rep_rotation(const struct pt_analyzer *a, char *buf, size_t len);
/* The events that reached the model behind newer ones (a stream read later than the follow lag:
 * docs/rotation.md), one sentence into buf (NULL when there were none). */
const char *pt__rep_late(const struct pt_analyzer *a, char *buf, size_t len);
/* holder and deleter side by side; `views`: with their in-use objects */
void pt__text_who(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                  const struct pt__who *hw, const struct pt__who *dw, const char *dlabel,
                  int views);
void pt__text_stack(FILE *out, struct pt__symbolizer *sy, const struct pt__proc *p,
                    const uint64_t *fr, unsigned n, int symbolize);

/* report_json.c: the parts of a finding object the stories share. */
void pt__json_str(FILE *out, const char *s);
void pt__json_party(FILE *out, const struct pt_analyzer *a, const struct pt__proc *p,
                    const struct pt__who *w, const char *call, const char *api, const char *args,
                    uint64_t ts, const struct pt__view *v, int have_v);
void pt__json_stack(FILE *out, struct pt__symbolizer *sy, const struct pt__proc *p,
                    const uint64_t *fr, unsigned n);

/* Why and the remedy, by in-use views (report_story.c): "deleted" for a deletion, "would delete"
 * for a hazard. */
const char *pt__why_views(const struct pt_analyzer *a, const struct pt__finding *f, char *buf,
                          size_t len);
const char *pt__remedy_views(const struct pt_analyzer *a, const struct pt__finding *f);

/* A deletion's narrative in each format (report_text.c, report_json.c, export_html.c); `views`:
 * told by the in-use views (with the mark and the in-use objects). */
void pt__deletion_text(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                       struct pt__symbolizer *sy, const struct pt_report_opts *o, int views);
void pt__deletion_json(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                       struct pt__symbolizer *sy, int views);
void pt__deletion_html(FILE *out, const struct pt_analyzer *a, const struct pt__finding *f,
                       uint64_t t0);

/* export_util.c: HTML text (escaped). */
void pt__x_html(FILE *out, const char *s);

#endif

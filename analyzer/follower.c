/* follower.c — the analyzer following a trace directory (design: follower.h).
 *
 * Where the state starts. A rotated trace's reader restores the checkpoint of its oldest chunk
 * (what the dropped chunks held) and reads every event after it; a collector restarted after a
 * crash restores the newest, which needs the least reading again. A checkpoint that cannot be
 * read is damage: said, counted, and the next chunk's is used (it carries everything before it,
 * the damaged one's state included). Every stream then starts just after the position the
 * checkpoint saved for it, and its events go to the process the checkpoint says they belong to.
 *
 * Checkpoints. Chunk c's checkpoint may be written once every event of the chunks before it is in
 * the model. Their files are whole once c exists, and the summary the collector wrote when it
 * closed the chunk before c names their newest event: the model is fed up to it (past the
 * horizon if need be) and the checkpoint written at once, so the collector, which drops a chunk
 * only when the chunk after it has its checkpoint, is held up for a step at most. Without a
 * summary (a collector killed), every event of those chunks is older than the moment c was first
 * seen: the checkpoint waits for the horizon to pass it. It holds the model and how far every
 * stream was read, which may reach into c and into the rings; a reader of c goes on from there.
 *
 * Findings while following. The detectors run once, over a finished model; so a copy of the model
 * (restored from its own checkpoint text) is finished and its findings compared with those
 * already announced: at once when a deletion, candidate, session or mark appeared, else at most
 * every EVAL_NS while events come in. A follower that alerts (settle_ns) holds a new finding back
 * until the events of settle_ns after it are in the model: the holder's failing call and its signs
 * of life right after the delete are then part of what is announced, which is announced once.
 * The same copy, kept instead of the model now and then, leaves out the processes that ended: the
 * follower's memory follows the live state. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "analyzer/announced.h"
#include "analyzer/checkpoint.h"
#include "analyzer/follower.h"
#include "analyzer/report.h"
#include "analyzer/symbolize.h"
#include "proftrace/ring.h"
#include "proftrace/trace.h"

#define EVAL_NS 200000000ull /* findings looked at again at most this often, while events come */
#define MAX_LAG_NS 10000000000ull /* the horizon is never further back than this */

struct announced {
    char *key;
    char *text; /* NULL: known from a checkpoint, not seen yet by this follower */
};

struct pt_follower {
    struct pt_follower_opts o;
    uint64_t late_said; /* events read late, as pt_follower_late_news last said */
    char *dir;
    struct pt_follow *f;
    struct pt_analyzer *a;
    struct announced *ann;
    size_t nann;
    struct pt__symbolizer *sy;
    uint64_t last_eval;
    uint32_t seen_dels, seen_cands, seen_sess, seen_marks;
    int dirty;         /* events fed since the findings were looked at */
    uint64_t fed_to;   /* every event up to this time is in the model */
    uint64_t due;      /* a new finding waits to settle until the model has this time (0: none) */
    uint32_t cp_done;  /* chunks up to this one have their checkpoint */
    uint32_t prune_at; /* the model is replaced by its copy when it has this many processes */
    uint64_t damaged;  /* checkpoints that could not be read */
    uint64_t cp_ns, cp_count; /* what writing checkpoints cost */
    int finished;
    int lent;          /* the caller took the model over (pt_follower_take_model) */
    int said_announce; /* a key could not be kept (said once) */
};

static void say(struct pt_follower *fl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct pt_follower *fl, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pt_trace_diag_vsay(fl->o.diag, fl->o.diag_arg, fmt, ap);
    va_end(ap);
}

static int64_t realtime_now(void)
{
    struct timespec rt, mono;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    return ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000 + (rt.tv_nsec - mono.tv_nsec);
}

/* ---- announced findings ---------------------------------------------------------------------- */

static struct announced *ann_find(struct pt_follower *fl, const char *key)
{
    for (size_t i = 0; i < fl->nann; i++)
        if (!strcmp(fl->ann[i].key, key))
            return &fl->ann[i];
    return NULL;
}

static struct announced *ann_add(struct pt_follower *fl, const char *key)
{
    struct announced *n = realloc(fl->ann, (fl->nann + 1) * sizeof *n);
    if (!n)
        return NULL;
    fl->ann = n;
    n[fl->nann] = (struct announced){strdup(key), NULL};
    if (!n[fl->nann].key)
        return NULL;
    return &n[fl->nann++];
}

/* ---- where the state starts ------------------------------------------------------------------ */

/* Restore checkpoint `cp` (with its model b) as the state to go on from. */
static int adopt_checkpoint(struct pt_follower *fl, struct pt_analyzer *b,
                            struct pt__checkpoint *cp)
{
    for (size_t i = 0; i < cp->nstreams; i++) {
        const struct pt__cp_stream *s = &cp->streams[i];
        uint32_t idx = pt_follow_stream_index(fl->f, s->key);
        if (idx == UINT32_MAX || pt_follow_start_at(fl->f, s->key, &s->pos) < 0 ||
            (s->proc != PT__NONE && pt__map_put(&b->by_stream, idx, 0, s->proc) < 0))
            return -ENOMEM;
    }
    for (size_t i = 0; i < cp->nalerted; i++)
        if (!ann_find(fl, cp->alerted[i]) && !ann_add(fl, cp->alerted[i]))
            return -ENOMEM;
    b->carried.carried = 1;
    b->carried.chunk = cp->chunk;
    b->carried.at = cp->at;
    b->carried.realtime = cp->realtime;
    fl->a = b;
    return 0;
}

/* The checkpoint to start from. A reader (OLDEST) of a trace nothing was dropped from starts from
 * nothing and reads every chunk; otherwise it needs the oldest chunk's checkpoint, and one missing
 * or damaged there is said, and the next chunk's used (it carries the same state, and more). A
 * collector started again (NEWEST) takes the newest it can read. */
static int restore(struct pt_follower *fl)
{
    uint32_t *chunks = NULL;
    struct pt_rotation rot;
    pt_rotation_read(fl->dir, &rot);
    int n = pt_chunks_list(fl->dir, &chunks);
    int rc = 0, newest = fl->o.restore == PT_RESTORE_NEWEST;
    if (!newest && n > 0 && chunks[0] == 1)
        n = 0; /* nothing dropped: every event is there */
    for (int k = 0; k < n && !fl->a; k++) {
        uint32_t c = chunks[newest ? n - 1 - k : k];
        char path[4400], why[512];
        struct pt_analyzer *b = NULL;
        struct pt__checkpoint cp;
        pt_chunk_path(path, sizeof path, fl->dir, c, PT_CHECKPOINT_FILE);
        int r = pt__checkpoint_read(path, &b, &cp, why, sizeof why);
        if (r == 0) {
            rc = adopt_checkpoint(fl, b, &cp);
            if (rc < 0)
                pt_analyzer_free(b);
            else
                fl->a = b;
            pt__checkpoint_clear(&cp);
            if (rc < 0)
                break;
            continue;
        }
        if (r == -ENOENT && (newest || c == 1))
            continue; /* a chunk just made has none yet; the first chunk never has one */
        fl->damaged++;
        say(fl, "%s: %s; %s", path, r == -ENOENT ? "missing" : why,
            k + 1 < n ? "the state is carried by the next chunk's checkpoint"
                      : "the state before this chunk is not carried");
    }
    free(chunks);
    if (rc < 0)
        return rc;
    if (!fl->a && !(fl->a = pt_analyzer_new()))
        return -ENOMEM;
    if (!fl->a->carried.carried && rot.dropped_chunks) {
        fl->damaged++;
        say(fl,
            "%s: %" PRIu64 " chunks were dropped by rotation and no checkpoint carries their "
            "state: findings that began in them are missing",
            fl->dir, rot.dropped_chunks);
    }
    fl->a->carried.rotated = rot.rotated;
    fl->a->carried.dropped_chunks = rot.dropped_chunks;
    fl->a->carried.dropped_events = rot.dropped_events;
    return 0;
}

static int known_key(void *arg, const char *key)
{
    struct pt_follower *fl = arg;
    return ann_find(fl, key) || ann_add(fl, key) ? 0 : -ENOMEM;
}

int pt_follower_open(const struct pt_follower_opts *o, struct pt_follower **out)
{
    struct pt_follower *fl = calloc(1, sizeof *fl);
    if (!fl)
        return -ENOMEM;
    fl->o = *o;
    fl->prune_at = 256;
    int rc = -ENOMEM;
    if (!(fl->dir = strdup(o->dir)))
        goto fail;
    fl->o.dir = fl->dir;
    if ((rc = pt_follow_open(fl->dir, o->diag, o->diag_arg, &fl->f)) < 0)
        goto fail;
    if ((rc = restore(fl)) < 0)
        goto fail;
    /* what was announced after the newest checkpoint, or in a trace without checkpoints */
    if (o->remember && (rc = pt__announced_read(fl->dir, known_key, fl)) < 0) {
        if (rc == -ENOMEM)
            goto fail;
        say(fl, "%s/" PT__ANNOUNCED_FILE ": %s; findings announced before may be announced again",
            fl->dir, rc == -EPROTO ? "not a file of proftrace's" : strerror(-rc));
        rc = 0;
    }
    fl->cp_done = fl->a->carried.carried ? fl->a->carried.chunk : 0;
    *out = fl;
    return 0;
fail:
    pt_follower_close(fl);
    return rc;
}

/* ---- checkpoints ----------------------------------------------------------------------------- */

static int add_stream(void *arg, uint32_t stream, const char *key, const struct pt_stream_pos *pos)
{
    struct pt__checkpoint *cp = arg;
    struct pt__cp_stream *n = realloc(cp->streams, (cp->nstreams + 1) * sizeof *n);
    if (!n)
        return -ENOMEM;
    cp->streams = n;
    n[cp->nstreams++] = (struct pt__cp_stream){(char *)key, stream, PT__NONE, *pos};
    return 0;
}

static int write_checkpoint(struct pt_follower *fl, uint32_t chunk, uint64_t at)
{
    char path[4400];
    struct pt__checkpoint cp = {.chunk = chunk, .at = at, .realtime = realtime_now()};
    int rc = pt_follow_positions(fl->f, add_stream, &cp);
    char **keys = calloc(fl->nann + 1, sizeof *keys);
    if (!keys)
        rc = -ENOMEM;
    for (size_t i = 0; keys && i < fl->nann; i++)
        keys[i] = fl->ann[i].key;
    cp.alerted = keys;
    cp.nalerted = fl->nann;
    pt_chunk_path(path, sizeof path, fl->dir, chunk, PT_CHECKPOINT_FILE);
    struct timespec t0, t1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    if (rc == 0)
        rc = pt__checkpoint_write(path, fl->a, &cp);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    fl->cp_ns += (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
    fl->cp_count += rc == 0;
    if (rc < 0)
        say(fl, "%s: cannot write the checkpoint: %s", path, strerror(-rc));
    free(cp.streams); /* the keys are the follower's */
    free(keys);
    return rc;
}

static int64_t feed_through(struct pt_follower *fl, uint64_t ts, int hold)
{
    const struct pt_event *ev;
    int64_t n = 0;
    while ((ev = hold ? pt_follow_next(fl->f, ts) : pt_follow_next_through(fl->f, ts))) {
        if (fl->o.on_event)
            fl->o.on_event(fl->o.on_event_arg, ev);
        if (!fl->o.caller_feeds)
            pt_analyzer_feed(fl->a, ev);
        n++;
    }
    if (n)
        fl->dirty = 1;
    if (hold && ts > fl->fed_to)
        fl->fed_to = ts;
    return n;
}

/* Every chunk whose predecessors the model has read whole gets its checkpoint. The chunk before c
 * must have been looked at since it closed (pt_follow_chunk_read): the list of chunks here is newer
 * than the follower's last look, and a stream file the collector made in it after that look is
 * known to its summary, not to the follower. A closed chunk's summary says its newest event: once
 * the model has every event up to the newest of the chunks before c (their files are whole and
 * read), c's checkpoint is written, without waiting for the horizon, so that the collector can
 * drop the chunk before c at once. Those events are taken past the horizon, in time order with
 * what every other stream holds up to that time (in the rings, in c): only after a look that found
 * every stream (pt_follow_settled), or an older event of a stream found later would come after
 * them (a process's image before its exec, after the image it exec'd: its holds would end). A
 * chunk closed by a crash has no summary: then c waits until the horizon has passed the moment c
 * was first seen. */
static void checkpoints(struct pt_follower *fl, uint64_t horizon)
{
    uint32_t *chunks = NULL;
    int n = pt_chunks_list(fl->dir, &chunks);
    uint64_t newest = 0;
    int known = 1;
    for (int k = 0; k < n; k++) {
        uint32_t c = chunks[k];
        char path[4400];
        struct stat st;
        if (k > 0) { /* the chunk before c: its newest event */
            uint64_t last;
            if (pt_chunk_newest(fl->dir, chunks[k - 1], &last) == 0) {
                if (last > newest)
                    newest = last;
            } else {
                known = 0;
            }
        }
        if (c <= fl->cp_done || k == 0)
            continue; /* the oldest chunk's checkpoint carries chunks this follower never saw */
        if (!pt_follow_chunk_read(fl->f, chunks[k - 1]))
            break; /* closed since the follower last looked: a stream new in it is not read yet */
        if (known && !pt_follow_settled(fl->f))
            break; /* a stream may be unknown yet: what it holds would come after newer events */
        if (known) {
            feed_through(fl, newest, 0);
        } else {
            uint64_t seen = pt_follow_chunk_seen(fl->f, c);
            if (!seen || seen > horizon)
                break; /* its predecessors may still hold events the model has not had */
        }
        pt_chunk_path(path, sizeof path, fl->dir, c, PT_CHECKPOINT_FILE);
        if (lstat(path, &st) == 0 ||
            write_checkpoint(fl, c, horizon > newest ? horizon : newest) == 0)
            fl->cp_done = c;
    }
    free(chunks);
}

/* ---- findings
 * ------------------------------------------------------------------------------------ */

static void announce(struct pt_follower *fl, struct pt_analyzer *c, unsigned i, const char *key,
                     const char *text, int updated, int victim_update)
{
    char *json = NULL;
    size_t jlen = 0;
    FILE *m = open_memstream(&json, &jlen);
    if (!m)
        return;
    pt__json_finding(m, c, i, fl->sy);
    fclose(m);
    const struct pt__finding *f = &c->findings[i];
    struct pt__res r;
    pt__rep_resource(c, f, &r);
    const struct pt__proc *dp = f->deleter != PT__NONE ? c->procs[f->deleter] : NULL;
    const struct pt__proc *hp = f->holder != PT__NONE ? c->procs[f->holder] : NULL;
    struct pt_finding_note note = {
        .json = json ? json : "{}",
        .text = text,
        .key = key,
        .updated = updated,
        .victim_update = victim_update,
        .rule = pt__rule_name(f->rule),
        .cause = pt__cause_name(f->cause),
        .severity = f->severity ? f->severity : "",
        .uncertain = f->uncertain,
        .resource_kind = r.kind ? r.kind : "",
        .resource_name = r.name ? r.name : "",
        .deleter_pid = dp ? dp->pid : 0,
        .holder_pid = hp ? hp->pid : 0,
        .deleter_exe = dp && dp->exe ? dp->exe : "",
        .holder_exe = hp && hp->exe ? hp->exe : "",
        .ts = f->del != PT__NONE ? c->dels[f->del].ts : f->latent_ts,
        .realtime = pt_follow_realtime_offset(fl->f),
        .dir = fl->dir,
        .analyzer = c,
        .index = i,
    };
    fl->o.on_finding(fl->o.on_finding_arg, &note);
    free(json);
}

/* Key announced (it is in fl->ann): kept in the trace directory too when the follower remembers. */
static void remember(struct pt_follower *fl, const char *key)
{
    if (!ann_find(fl, key) && !ann_add(fl, key))
        return;
    int rc = fl->o.remember ? pt__announced_add(fl->dir, key) : 0;
    if (rc < 0 && !fl->said_announce++)
        say(fl,
            "%s/" PT__ANNOUNCED_FILE ": %s: a collection started again on the directory may "
            "announce again the findings announced from now on (not those a later checkpoint "
            "carries); said once",
            fl->dir, rc == -EPROTO ? "not a file of proftrace's" : strerror(-rc));
}

/* The time of finding f's first victim (UINT64_MAX: none). */
static uint64_t first_victim(const struct pt_analyzer *c, const struct pt__finding *f)
{
    uint64_t t = UINT64_MAX;
    for (uint32_t k = 0; k < f->nvictims; k++)
        if (f->victims[k] < c->nvictims && c->victims[f->victims[k]].ts < t)
            t = c->victims[f->victims[k]].ts;
    return t;
}

/* The findings of the model as it stands (a finished copy): announce the new and the grown. */
static void look_at_findings(struct pt_follower *fl)
{
    char why[512];
    fl->due = 0;
    struct pt_analyzer *c = pt__checkpoint_clone(fl->a, why, sizeof why);
    if (!c) {
        say(fl, "%s: the model could not be copied to look at its findings: %s", fl->dir, why);
        return;
    }
    struct pt_trace_stats st;
    pt_follow_stats(fl->f, &st);
    struct pt_analyzer_input in = {.streams = st.streams, .damaged = st.damaged, .dir = fl->dir};
    pt_analyzer_finish(c, &in);
    struct pt_report_opts ro = {.symbolize = 1, .disassemble = 0};
    for (unsigned i = 0; i < c->nfindings; i++) {
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        if (!m)
            break;
        pt__text_finding(m, c, i, fl->sy, &ro);
        fclose(m);
        if (!text)
            break;
        /* its text without "finding N: "; its key: its deletion, whichever holder comes first */
        const char *body = strstr(text, ": ") ? strstr(text, ": ") + 2 : text;
        char key[256];
        pt_analyzer_finding_key(c, i, key, sizeof key);
        struct announced *an = ann_find(fl, key);
        int updated = an != NULL;
        const struct pt__finding *f = &c->findings[i];
        uint64_t ripe = (f->del != PT__NONE ? c->dels[f->del].ts : f->latent_ts) + fl->o.settle_ns;
        if (!an && ripe > fl->fed_to) { /* new, and what follows it is not all in yet */
            if (!fl->due || ripe < fl->due)
                fl->due = ripe;
            free(text);
            continue;
        }
        /* its first victim, when it came after the finding was announced: announced too, once
         * (the key of the finding with "|victim" says it was) */
        char vkey[300];
        snprintf(vkey, sizeof vkey, "%s|victim", key);
        int victim = f->del != PT__NONE && f->nvictims > 0;
        int victim_update = victim && updated && !ann_find(fl, vkey);
        /* Announced before a restart without its `|victim` key (by a collector that kept none, or
         * one killed between the two keys): a victim within the time a new finding waits for was
         * in what was announced then. */
        if (victim_update && !an->text && fl->o.settle_ns &&
            first_victim(c, f) <= c->dels[f->del].ts + fl->o.settle_ns)
            victim_update = 0;
        if (!an)
            an = ann_add(fl, key);
        if (an && an->text && !strcmp(an->text, body) && !victim_update) {
            free(text);
            continue;
        }
        int known = an && !an->text && updated; /* announced before a restart: just remember */
        if (an) {
            free(an->text);
            an->text = strdup(body);
        }
        if (!known || victim_update)
            announce(fl, c, i, key, body, updated, victim_update);
        if (!updated)
            remember(fl, key);
        if (victim && !ann_find(fl, vkey))
            remember(fl, vkey);
        free(text);
    }
    pt_analyzer_free(c);
}

static void maybe_look(struct pt_follower *fl, int final)
{
    struct pt_analyzer *a = fl->a;
    uint64_t now = pt_now();
    int changed = a->ndels != fl->seen_dels || a->ncands != fl->seen_cands ||
                  a->nsess != fl->seen_sess || a->nmarks != fl->seen_marks;
    int ripe = fl->due && fl->fed_to >= fl->due; /* a new finding waited long enough */
    if (!ripe && (!fl->dirty || (!changed && !final && now - fl->last_eval < EVAL_NS)))
        return;
    fl->seen_dels = a->ndels;
    fl->seen_cands = a->ncands;
    fl->seen_sess = a->nsess;
    fl->seen_marks = a->nmarks;
    fl->dirty = 0;
    fl->last_eval = now;
    look_at_findings(fl);
}

/* Processes that ended and that nothing names any more are let go: the model becomes its copy. */
static void prune(struct pt_follower *fl)
{
    char why[512];
    struct pt_analyzer *c = pt__checkpoint_clone(fl->a, why, sizeof why);
    if (c) {
        c->carried = fl->a->carried;
        pt_analyzer_free(fl->a);
        fl->a = c;
    }
    fl->prune_at = 2 * fl->a->nprocs > 256 ? 2 * fl->a->nprocs : 256;
}

/* ---- public ---------------------------------------------------------------------------------- */

int64_t pt_follower_step(struct pt_follower *fl, int final)
{
    if (fl->finished)
        return -EINVAL;
    uint64_t now = pt_now();
    int rc = pt_follow_poll(fl->f);
    if (rc < 0)
        return rc;
    /* writers that stamp events long before they write them push the horizon further back */
    uint64_t lag = fl->o.lag_ns, late = 2 * pt_follow_late(fl->f);
    if (late > lag)
        lag = late < MAX_LAG_NS ? late : MAX_LAG_NS;
    uint64_t horizon = final ? UINT64_MAX : now > lag ? now - lag : 0;
    int64_t n = feed_through(fl, horizon, 1);
    if (fl->o.checkpoints)
        checkpoints(fl, final ? now : horizon);
    if (fl->o.on_finding) {
        if (!fl->sy)
            fl->sy = pt__sym_new();
        maybe_look(fl, final);
    }
    if (fl->a->nprocs >= fl->prune_at && !fl->o.caller_feeds)
        prune(fl);
    return n;
}

struct pt_analyzer *pt_follower_finish(struct pt_follower *fl)
{
    if (!fl->finished) {
        struct pt_trace_stats st;
        pt_follower_stats(fl, &st);
        struct pt_analyzer_input in = {
            .streams = st.streams, .damaged = st.damaged, .dir = fl->dir};
        pt_analyzer_finish(fl->a, &in);
        fl->finished = 1;
    }
    return fl->a;
}

struct pt_analyzer *pt_follower_take_model(struct pt_follower *fl)
{
    fl->lent = 1; /* still read here (its streams' processes), freed by the caller */
    return fl->a;
}

void pt_follower_stats(const struct pt_follower *fl, struct pt_trace_stats *out)
{
    pt_follow_stats(fl->f, out);
    out->damaged += fl->damaged;
}

int64_t pt_follower_realtime_offset(const struct pt_follower *fl)
{
    return pt_follow_realtime_offset(fl->f);
}

const char *pt_follower_late_news(struct pt_follower *fl, int end, char *buf, size_t len)
{
    uint64_t n = fl->a ? fl->a->late : 0;
    if (!n || n <= fl->late_said || (fl->late_said && !end))
        return NULL;
    const char *what = pt__rep_late(fl->a, buf, len);
    if (what)
        fl->late_said = n;
    return what;
}

void pt_follower_checkpoint_cost(const struct pt_follower *fl, uint64_t *ns, uint64_t *count)
{
    *ns = fl->cp_ns;
    *count = fl->cp_count;
}

void pt_follower_close(struct pt_follower *fl)
{
    if (!fl)
        return;
    pt_follow_close(fl->f);
    if (!fl->lent)
        pt_analyzer_free(fl->a);
    for (size_t i = 0; i < fl->nann; i++) {
        free(fl->ann[i].key);
        free(fl->ann[i].text);
    }
    free(fl->ann);
    pt__sym_free(fl->sy);
    free(fl->dir);
    free(fl);
}

/* ---- reading a whole trace ------------------------------------------------------------------- */

int pt__follow_dir(const char *dir, pt_trace_diag_fn diag, void *diag_arg, struct pt_analyzer **out,
                   uint64_t *damaged)
{
    struct pt_follower *fl;
    struct pt_follower_opts o = {
        .dir = dir, .restore = PT_RESTORE_OLDEST, .diag = diag, .diag_arg = diag_arg};
    int rc = pt_follower_open(&o, &fl);
    if (rc < 0)
        return rc;
    int64_t n = pt_follower_step(fl, 1);
    if (n < 0) {
        pt_follower_close(fl);
        return (int)n;
    }
    struct pt_trace_stats st;
    pt_follower_stats(fl, &st);
    *out = pt_follower_finish(fl);
    *damaged = st.damaged;
    fl->a = NULL; /* the caller's now */
    pt_follower_close(fl);
    return 0;
}

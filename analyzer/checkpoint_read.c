/* checkpoint_read.c — a checkpoint read back into an analyzer (design: checkpoint.h, format:
 * docs/rotation.md).
 *
 * A checkpoint is input like a trace: it may be truncated by a crash, altered, or not ours. It is
 * checked whole before anything of it is believed: the last line's line count and checksum, then
 * each record (its type, every value, every index within the counts the file declared), then the
 * structure (each list of holds and candidates followed from its head reaches every member once,
 * and nothing else). A file that fails any check is refused with the line and the reason; the
 * caller reads the trace without it. The indexes the model keeps beside its records (processes by
 * pid, threads, holds by identity and by handle, marks) are rebuilt from the records. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/checkpoint.h"

#define MAX_TOKS 64
#define MAX_FILE (256u << 20)

static const char *const kind_names[] = {"NONE",
#define KIND_NAME(k) #k,
                                         PT_KINDS(KIND_NAME)
#undef KIND_NAME
};
static const char *const end_names[] = {"alive", "exited", "signalled", "reaped", "replaced"};

struct tok {
    const char *key;
    size_t klen;
    const char *val; /* NUL-terminated (strings decoded into the line's scratch) */
    int none;        /* the value was `-` */
};

struct rd {
    char *why;
    size_t whylen;
    unsigned line;
    const char *type;
    struct tok t[MAX_TOKS];
    unsigned nt;
    char *scratch; /* the line's values, decoded */
    size_t scap;
    struct pt_analyzer *a;
    struct pt__checkpoint *cp;
    int have_counts;
    uint32_t np, nt_, nh;                    /* declared counts */
    uint32_t sp, st, sh, sd, sc, ss, sm, sv; /* records seen */
    uint8_t *unindexed; /* per hold: a deletion took it off its identity (hold indexed=0) */
};

uint64_t pt__checkpoint_sum(const char *text, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 1099511628211ull;
    return h;
}

static int fail(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct rd *r, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->line)
        snprintf(r->why, r->whylen, "line %u: %s%s%s", r->line, r->type ? r->type : "",
                 r->type ? ": " : "", msg);
    else
        snprintf(r->why, r->whylen, "%s", msg);
    return -EINVAL;
}

int pt__event_id(const char *name)
{
    for (unsigned i = 0; i < PT__NIDS; i++) {
        const char *n = pt_event_name(i);
        if (n && !strcmp(n, name))
            return (int)i;
    }
    return -1;
}

/* ---- one line into tokens -------------------------------------------------------------------- */

static int tokenize(struct rd *r, const char *p, const char *end)
{
    size_t need = (size_t)(end - p) + 1;
    if (need > r->scap) {
        char *n = realloc(r->scratch, need);
        if (!n)
            return -ENOMEM;
        r->scratch = n;
        r->scap = need;
    }
    char *o = r->scratch;
    const char *ts = p;
    while (p < end && *p != ' ')
        p++;
    memcpy(o, ts, (size_t)(p - ts));
    o[p - ts] = 0;
    r->type = o;
    o += p - ts + 1;
    r->nt = 0;
    while (p < end) {
        if (*p++ != ' ')
            return fail(r, "malformed");
        const char *k = p;
        while (p < end && *p != '=' && *p != ' ')
            p++;
        if (p == end || *p != '=' || p == k)
            return fail(r, "a value without a key");
        if (r->nt == MAX_TOKS)
            return fail(r, "too many values");
        struct tok *t = &r->t[r->nt++];
        t->key = k;
        t->klen = (size_t)(p - k);
        t->none = 0;
        t->val = o;
        p++;
        if (p < end && *p == '"') {
            for (p++;; p++) {
                if (p == end)
                    return fail(r, "unterminated string");
                if (*p == '"')
                    break;
                if (*p != '\\') {
                    *o++ = *p;
                    continue;
                }
                if (++p == end)
                    return fail(r, "unterminated string");
                if (*p == 'x') {
                    unsigned v;
                    if (end - p < 3 || sscanf(p + 1, "%2x", &v) != 1 || !v)
                        return fail(r, "bad \\x escape");
                    *o++ = (char)v;
                    p += 2;
                } else if (*p == '"' || *p == '\\') {
                    *o++ = *p;
                } else {
                    return fail(r, "bad escape \\%c", *p);
                }
            }
            p++;
            if (p < end && *p != ' ')
                return fail(r, "text after a string");
        } else {
            const char *v = p;
            while (p < end && *p != ' ')
                p++;
            if (p - v == 1 && *v == '-')
                t->none = 1;
            memcpy(o, v, (size_t)(p - v));
            o += p - v;
        }
        *o++ = 0;
    }
    return 0;
}

static const struct tok *tok(struct rd *r, const char *key)
{
    size_t kl = strlen(key);
    for (unsigned i = 0; i < r->nt; i++)
        if (r->t[i].klen == kl && !memcmp(r->t[i].key, key, kl))
            return &r->t[i];
    return NULL;
}

static int need(struct rd *r, const char *key, const struct tok **t)
{
    if (!(*t = tok(r, key)))
        return fail(r, "no %s", key);
    return 0;
}

static int get_u(struct rd *r, const char *key, uint64_t *v)
{
    const struct tok *t;
    char *e;
    if (need(r, key, &t))
        return -EINVAL;
    errno = 0;
    unsigned long long x = strtoull(t->val, &e, 10);
    if (t->none || errno || e == t->val || *e || t->val[0] == '-')
        return fail(r, "%s: not a number", key);
    *v = x;
    return 0;
}

static int get_u32(struct rd *r, const char *key, uint32_t *v)
{
    uint64_t x;
    if (get_u(r, key, &x))
        return -EINVAL;
    if (x > UINT32_MAX)
        return fail(r, "%s: out of range", key);
    *v = (uint32_t)x;
    return 0;
}

static int get_i(struct rd *r, const char *key, int64_t *v)
{
    const struct tok *t;
    char *e;
    if (need(r, key, &t))
        return -EINVAL;
    errno = 0;
    long long x = strtoll(t->val, &e, 10);
    if (t->none || errno || e == t->val || *e)
        return fail(r, "%s: not a number", key);
    *v = x;
    return 0;
}

/* An index below `limit`, or PT__NONE for `-`. */
static int get_idx(struct rd *r, const char *key, uint32_t limit, uint32_t *v)
{
    const struct tok *t;
    if (need(r, key, &t))
        return -EINVAL;
    if (t->none) {
        *v = PT__NONE;
        return 0;
    }
    if (get_u32(r, key, v))
        return -EINVAL;
    if (*v >= limit)
        return fail(r, "%s %" PRIu32 " out of range (%" PRIu32 ")", key, *v, limit);
    return 0;
}

/* A string (malloc'ed, *s NULL for `-`). */
static int get_s(struct rd *r, const char *key, char **s)
{
    const struct tok *t;
    *s = NULL;
    if (need(r, key, &t))
        return -EINVAL;
    if (t->none)
        return 0;
    if (!(*s = strdup(t->val))) {
        r->a->nomem++;
        return -ENOMEM;
    }
    return 0;
}

/* A name the model keeps as a pointer to a shared string: an event class's own name, else one
 * interned copy. */
static int get_name(struct rd *r, const char *key, const char **s)
{
    const struct tok *t;
    *s = NULL;
    if (need(r, key, &t))
        return -EINVAL;
    if (t->none)
        return 0;
    int id = pt__event_id(t->val);
    *s = id >= 0 ? pt_event_name((unsigned)id) : pt__intern(r->a, t->val);
    return 0;
}

static int get_who(struct rd *r, const char *key, struct pt__who *w)
{
    const struct tok *t;
    uint64_t v[6 + PT_NS_COUNT];
    if (need(r, key, &t))
        return -EINVAL;
    const char *p = t->val;
    for (unsigned i = 0; i < 6 + PT_NS_COUNT; i++) {
        char *e;
        errno = 0;
        v[i] = strtoull(p, &e, 10);
        if (errno || e == p || *p == '-' || (i < 6 && v[i] > UINT32_MAX) ||
            *e != (i + 1 < 6 + PT_NS_COUNT ? ',' : 0))
            return fail(r, "%s: not %u numbers", key, 6 + PT_NS_COUNT);
        p = e + 1;
    }
    memset(w, 0, sizeof *w);
    w->uid = (uint32_t)v[0];
    w->euid = (uint32_t)v[1];
    w->gid = (uint32_t)v[2];
    w->egid = (uint32_t)v[3];
    w->sessionid = (uint32_t)v[4];
    w->loginuid = (uint32_t)v[5];
    for (unsigned i = 0; i < PT_NS_COUNT; i++)
        w->ns[i] = v[6 + i];
    return 0;
}

static int get_frames(struct rd *r, uint64_t *fr, uint8_t *n)
{
    const struct tok *t;
    if (need(r, "frames", &t))
        return -EINVAL;
    *n = 0;
    for (const char *p = t->val; *p;) {
        char *e;
        errno = 0;
        if (*n == PT_MAX_FRAMES)
            return fail(r, "more than %d frames", PT_MAX_FRAMES);
        fr[*n] = strtoull(p, &e, 16);
        if (errno || e == p || *p == '-' || (*e && *e != ','))
            return fail(r, "frames: not a list of addresses");
        ++*n;
        p = *e ? e + 1 : e;
    }
    return 0;
}

static int get_enum(struct rd *r, const char *key, const char *const *names, unsigned n,
                    unsigned *v)
{
    const struct tok *t;
    if (need(r, key, &t))
        return -EINVAL;
    for (unsigned i = 0; i < n; i++)
        if (!strcmp(t->val, names[i])) {
            *v = i;
            return 0;
        }
    return fail(r, "%s: unknown value \"%s\"", key, t->val);
}

#define U(key, dst)                                                                                \
    do {                                                                                           \
        uint64_t u_;                                                                               \
        if (get_u(r, key, &u_))                                                                    \
            return -EINVAL;                                                                        \
        (dst) = u_;                                                                                \
    } while (0)
#define I(key, dst)                                                                                \
    do {                                                                                           \
        int64_t i_;                                                                                \
        if (get_i(r, key, &i_))                                                                    \
            return -EINVAL;                                                                        \
        (dst) = i_;                                                                                \
    } while (0)

/* A number a checkpoint written before it was kept may lack: 0 then. */
#define U_OPT(key, dst)                                                                            \
    do {                                                                                           \
        (dst) = 0;                                                                                 \
        if (tok(r, key))                                                                           \
            U(key, dst);                                                                           \
    } while (0)

/* ---- records --------------------------------------------------------------------------------- */

static int rec_counts(struct rd *r)
{
    struct pt_analyzer *a = r->a;
    uint32_t nd = 0, nc = 0, ns = 0, nm = 0, nv = 0;
    if (r->have_counts)
        return fail(r, "twice");
    if (get_u32(r, "procs", &r->np) || get_u32(r, "threads", &r->nt_) ||
        get_u32(r, "holds", &r->nh) || get_u32(r, "dels", &nd) || get_u32(r, "cands", &nc) ||
        get_u32(r, "sessions", &ns) || get_u32(r, "marks", &nm) || get_u32(r, "victims", &nv))
        return -EINVAL;
    /* every record is a line of at least a few bytes: counts past that are not this file's */
    r->have_counts = 1;
    a->procs = calloc(r->np + 1, sizeof *a->procs);
    a->threads = calloc(r->nt_ + 1, sizeof *a->threads);
    a->holds = calloc(r->nh + 1, sizeof *a->holds);
    a->dels = calloc(nd + 1, sizeof *a->dels);
    a->cands = calloc(nc + 1, sizeof *a->cands);
    a->sess = calloc(ns + 1, sizeof *a->sess);
    a->marks = calloc(nm + 1, sizeof *a->marks);
    a->victims = calloc(nv + 1, sizeof *a->victims);
    if (!a->procs || !a->threads || !a->holds || !a->dels || !a->cands || !a->sess || !a->marks ||
        !a->victims)
        return -ENOMEM;
    a->capprocs = r->np + 1;
    a->capthreads = r->nt_ + 1;
    a->capholds = r->nh + 1;
    if (!(r->unindexed = calloc(r->nh + 1, 1)))
        return -ENOMEM;
    a->capdels = nd + 1;
    a->capcands = nc + 1;
    a->capsess = ns + 1;
    a->capmarks = nm + 1;
    a->ndels = nd;
    a->ncands = nc;
    a->nsess = ns;
    a->nmarks = nm;
    a->capvictims = nv + 1;
    a->nvictims = nv;
    for (uint32_t i = 0; i < r->np; i++) {
        if (!(a->procs[i] = calloc(1, sizeof *a->procs[i])))
            return -ENOMEM;
        struct pt__proc *p = a->procs[i];
        p->idx = i;
        p->holds_head = p->watch_head = p->thread_head = p->last_thread = PT__NONE;
    }
    a->nprocs = r->np;
    for (uint32_t i = 0; i < r->nt_; i++) {
        if (!(a->threads[i] = calloc(1, sizeof *a->threads[i])))
            return -ENOMEM;
        a->threads[i]->idx = i;
        a->threads[i]->proc = PT__NONE;
        a->threads[i]->next = PT__NONE;
    }
    a->nthreads = r->nt_;
    for (uint32_t i = 0; i < r->nh; i++) {
        a->holds[i].live = 1;
        a->holds[i].proc = PT__NONE;
    }
    a->nholds = r->nh;
    for (uint32_t i = 0; i < nd; i++)
        a->dels[i].proc = PT__NONE;
    for (uint32_t i = 0; i < nc; i++)
        a->cands[i].h.proc = PT__NONE;
    for (uint32_t i = 0; i < ns; i++)
        a->sess[i].proc = PT__NONE;
    for (uint32_t i = 0; i < nm; i++)
        a->marks[i].proc = PT__NONE;
    for (uint32_t i = 0; i < nv; i++)
        a->victims[i].proc = PT__NONE;
    return 0;
}

/* The record's own index: the next one of its kind. */
static int own_index(struct rd *r, uint32_t *seen, uint32_t count)
{
    uint32_t i = 0;
    if (!r->have_counts)
        return fail(r, "before the counts");
    if (get_u32(r, "i", &i))
        return -EINVAL;
    if (i != *seen || i >= count)
        return fail(r, "index %" PRIu32 " out of order (expected %" PRIu32 " of %" PRIu32 ")", i,
                    *seen, count);
    ++*seen;
    return 0;
}

static int rec_proc(struct rd *r)
{
    struct pt_analyzer *a = r->a;
    uint32_t i;
    unsigned end = 0;
    char *ident = NULL;
    uint32_t at = r->sp;
    if (own_index(r, &r->sp, r->np))
        return -EINVAL;
    i = at;
    struct pt__proc *p = a->procs[i];
    U("pid", p->pid);
    U("ppid", p->ppid);
    U("gpid", p->global_pid);
    U("start", p->start_time);
    if (get_who(r, "who", &p->who) || get_s(r, "exe", &p->exe) || get_s(r, "cmdline", &p->cmdline))
        return -EINVAL;
    U("identified", p->have_identity);
    U("witnessed", p->witnessed);
    if (get_s(r, "ident", &ident))
        return -EINVAL;
    if (ident && strlen(ident) >= sizeof p->ident) {
        free(ident);
        return fail(r, "ident: too long");
    }
    snprintf(p->ident, sizeof p->ident, "%s", ident ? ident : "");
    free(ident);
    U("first", p->first_ts);
    U("last", p->last_ts);
    U("events", p->nevents);
    U_OPT("image", p->image_ts);
    U_OPT("exec", p->exec_ts);
    U_OPT("born_exec", p->born_exec);
    if (get_enum(r, "end", end_names, 5, &end))
        return -EINVAL;
    p->end = (enum pt__end)end;
    U("end_ts", p->end_ts);
    U("reaped_last", p->reaped_last_ts);
    U_OPT("reaped_ring", p->reaped_ring);
    I("status", p->end_status);
    I("signo", p->end_signo);
    U("lost", p->lost_total);
    U("store_dev", p->store_dev);
    U("store_ino", p->store_ino);
    U("store_ts", p->store_ts);
    if (get_idx(r, "holds", r->nh, &p->holds_head) ||
        get_idx(r, "watch", a->ncands, &p->watch_head))
        return -EINVAL;
    return 0;
}

/* A process a record names: one already read. */
static int get_proc(struct rd *r, struct pt__proc **p)
{
    uint32_t i;
    if (get_idx(r, "proc", r->sp, &i))
        return -EINVAL;
    if (i == PT__NONE)
        return fail(r, "no process");
    *p = r->a->procs[i];
    return 0;
}

static int rec_view(struct rd *r)
{
    struct pt__proc *p;
    int64_t in;
    if (get_proc(r, &p))
        return -EINVAL;
    if (PT__GROW(r->a, p->views, p->nviews, p->capviews))
        return -ENOMEM;
    struct pt__view *v = &p->views[p->nviews++];
    memset(v, 0, sizeof *v);
    if (get_s(r, "name", &v->name) || get_s(r, "shm", &v->shm_name))
        return -EINVAL;
    U("dev", v->dev);
    U("ino", v->ino);
    U("handle", v->handle);
    U("ts", v->ts);
    if (get_who(r, "who", &v->who) || get_i(r, "in_mapi", &in))
        return -EINVAL;
    if (in < -1 || in > 1)
        return fail(r, "in_mapi: not -1, 0 or 1");
    v->in_mapi = (int8_t)in;
    U("prior", v->prior);
    return 0;
}

static int rec_module(struct rd *r)
{
    struct pt__proc *p;
    const struct tok *path, *bid;
    if (get_proc(r, &p) || need(r, "path", &path) || need(r, "build_id", &bid))
        return -EINVAL;
    if (PT__GROW(r->a, p->mods, p->nmods, p->capmods))
        return -ENOMEM;
    struct pt__module *m = &p->mods[p->nmods++];
    U("base", m->base);
    U("size", m->size);
    U("bias", m->bias);
    m->path = pt__intern(r->a, path->none ? "" : path->val);
    m->build_id = pt__intern(r->a, bid->none ? "" : bid->val);
    return 0;
}

static int rec_lost(struct rd *r)
{
    struct pt__proc *p;
    if (get_proc(r, &p))
        return -EINVAL;
    if (PT__GROW(r->a, p->lost, p->nlost, p->caplost))
        return -ENOMEM;
    struct pt__lost *l = &p->lost[p->nlost++];
    U("from", l->from);
    U("to", l->to);
    U("count", l->count);
    return 0;
}

static int rec_marks_key(struct rd *r)
{
    struct pt__proc *p;
    if (get_proc(r, &p))
        return -EINVAL;
    if (p->nmarks_keys == 4)
        return fail(r, "more than 4");
    if (get_s(r, "name", &p->marks_keys[p->nmarks_keys]))
        return -EINVAL;
    if (!p->marks_keys[p->nmarks_keys])
        return fail(r, "no name");
    p->nmarks_keys++;
    return 0;
}

static int rec_thread(struct rd *r)
{
    uint32_t i = r->st;
    struct pt__proc *p;
    if (own_index(r, &r->st, r->nt_) || get_proc(r, &p))
        return -EINVAL;
    struct pt__thread *t = r->a->threads[i];
    t->proc = p->idx;
    U("tid", t->tid);
    U("have_cred", t->have_cred);
    if (get_who(r, "who", &t->who))
        return -EINVAL;
    t->next = p->thread_head;
    p->thread_head = i;
    return 0;
}

/* A thread a record names: one already read. */
static int get_thread(struct rd *r, struct pt__thread **t)
{
    uint32_t i;
    if (get_idx(r, "thread", r->st, &i))
        return -EINVAL;
    if (i == PT__NONE)
        return fail(r, "no thread");
    *t = r->a->threads[i];
    return 0;
}

static int rec_child(struct rd *r)
{
    struct pt__thread *t;
    const struct tok *call;
    if (get_thread(r, &t) || need(r, "call", &call))
        return -EINVAL;
    int id = call->none ? -1 : pt__event_id(call->val);
    if (id < (int)PT_EV_CALL_FIRST)
        return fail(r, "call: not a call this reader knows");
    if (t->nchild == PT__MAXCHILD)
        return fail(r, "more than %d", PT__MAXCHILD);
    struct pt__child *c = &t->child[t->nchild++];
    memset(c, 0, sizeof *c);
    c->id = (uint16_t)id;
    U("depth", c->depth);
    I("ret", c->ret);
    I("err", c->err);
    U("ts", c->ts);
    U("enter", c->ts_enter);
    U("dev", c->dev);
    U("ino", c->ino);
    U("handle", c->handle);
    return get_s(r, "path", &c->path);
}

static int rec_pending_delete(struct rd *r)
{
    struct pt__thread *t;
    uint32_t d;
    if (get_thread(r, &t) || get_idx(r, "del", r->a->ndels, &d))
        return -EINVAL;
    if (d == PT__NONE || t->npend_del == PT__MAXPEND)
        return fail(r, "no deletion, or more than %d", PT__MAXPEND);
    t->pend_del[t->npend_del++] = d;
    return 0;
}

static int rec_pending_view(struct rd *r)
{
    struct pt__thread *t;
    uint32_t v = 0;
    if (get_thread(r, &t) || get_u32(r, "view", &v))
        return -EINVAL;
    if (t->npend_view == 8 || v >= r->a->procs[t->proc]->nviews)
        return fail(r, "view %" PRIu32 " out of range, or more than 8", v);
    t->pend_view[t->npend_view++] = v;
    return 0;
}

static int rec_pending_victim(struct rd *r)
{
    struct pt__thread *t;
    uint32_t v;
    if (get_thread(r, &t) || get_idx(r, "victim", r->a->nvictims, &v))
        return -EINVAL;
    if (v == PT__NONE || t->npend_victim == 8)
        return fail(r, "no victim, or more than 8");
    struct pt__pend_victim *w = &t->pend_victim[t->npend_victim++];
    w->victim = v;
    U("depth", w->depth);
    U("fresh", w->fresh);
    U("failed", w->failed);
    return 0;
}

/* The fields of a hold (open, or a candidate's copy). */
static int get_hold(struct rd *r, struct pt__hold *h)
{
    unsigned kind = 0;
    if (get_enum(r, "kind", kind_names, sizeof kind_names / sizeof *kind_names, &kind) ||
        get_idx(r, "proc", r->np, &h->proc))
        return -EINVAL;
    if (h->proc == PT__NONE)
        return fail(r, "no process");
    h->kind = (enum pt_kind)kind;
    U("tid", h->tid);
    U("handle", h->handle);
    U("len", h->len);
    U("dev", h->dev);
    U("ino", h->ino);
    U("ts", h->ts);
    if (get_s(r, "name", &h->name) || get_s(r, "path", &h->path) || get_name(r, "api", &h->api) ||
        get_who(r, "who", &h->who))
        return -EINVAL;
    U("prior", h->prior);
    U("oflags", h->oflags);
    uint64_t from = 0, seen = 0;
    U_OPT("from_pid", from);
    U_OPT("seen", seen);
    if (from > UINT32_MAX || seen > 1)
        return fail(r, "from_pid or seen out of range");
    h->from_pid = (uint32_t)from;
    h->seen = (uint8_t)seen;
    return 0;
}

static int rec_hold(struct rd *r)
{
    uint32_t i = r->sh;
    if (own_index(r, &r->sh, r->nh))
        return -EINVAL;
    struct pt__hold *h = &r->a->holds[i];
    if (get_hold(r, h) || get_idx(r, "inext", r->nh, &h->inext) ||
        get_idx(r, "iprev", r->nh, &h->iprev) || get_idx(r, "pnext", r->nh, &h->pnext) ||
        get_idx(r, "pprev", r->nh, &h->pprev))
        return -EINVAL;
    if (h->kind == PT_K_SESSION && h->len >= r->a->nsess)
        return fail(r, "session %" PRIu64 " out of range", h->len);
    uint64_t indexed;
    if (get_u(r, "indexed", &indexed))
        return -EINVAL;
    if (!indexed && (h->inext != PT__NONE || h->iprev != PT__NONE))
        return fail(r, "a hold not found by identity in an identity's list");
    r->unindexed[i] = !indexed;
    return 0;
}

static int rec_del(struct rd *r)
{
    struct pt_analyzer *a = r->a;
    uint32_t i = r->sd;
    unsigned kind = 0;
    if (own_index(r, &r->sd, a->ndels))
        return -EINVAL;
    struct pt__del *d = &a->dels[i];
    if (get_idx(r, "proc", r->np, &d->proc))
        return -EINVAL;
    if (d->proc == PT__NONE)
        return fail(r, "no process");
    U("tid", d->tid);
    U("ts", d->ts);
    U("enter", d->ts_enter);
    U("depth", d->depth);
    if (get_enum(r, "kind", kind_names, sizeof kind_names / sizeof *kind_names, &kind))
        return -EINVAL;
    d->kind = (enum pt_kind)kind;
    if (get_name(r, "call", &d->call) || get_s(r, "target", &d->target))
        return -EINVAL;
    U("dev", d->dev);
    U("ino", d->ino);
    if (get_name(r, "api", &d->api) || get_s(r, "api_args", &d->api_args))
        return -EINVAL;
    U("api_enter", d->api_ts_enter);
    if (get_name(r, "via", &d->via))
        return -EINVAL;
    U("via_enter", d->via_ts_enter);
    U("via_ts", d->via_ts);
    U("pending", d->pending);
    if (get_who(r, "who", &d->who) || get_frames(r, d->frames, &d->nframes))
        return -EINVAL;
    U("cand_first", d->cand_first);
    U("ncand", d->ncand);
    if ((uint64_t)d->cand_first + d->ncand > a->ncands)
        return fail(r, "candidates %" PRIu32 "+%" PRIu32 " out of range", d->cand_first, d->ncand);
    U("witnessed", d->witnessed);
    U("unattributed", d->unattributed);
    U_OPT("noticed", d->noticed);
    if (get_idx(r, "victims", a->nvictims, &d->victim_head) ||
        get_idx(r, "victims_last", a->nvictims, &d->victim_tail))
        return -EINVAL;
    if ((d->victim_head == PT__NONE) != (d->victim_tail == PT__NONE))
        return fail(r, "a list of victims with one end only");
    d->fnext = PT__NONE; /* findings are made by finishing the model, never checkpointed */
    return 0;
}

static int rec_cand(struct rd *r)
{
    struct pt_analyzer *a = r->a;
    uint32_t i = r->sc;
    if (own_index(r, &r->sc, a->ncands))
        return -EINVAL;
    struct pt__cand *c = &a->cands[i];
    if (get_idx(r, "del", a->ndels, &c->del) || get_hold(r, &c->h) ||
        get_idx(r, "wnext", a->ncands, &c->wnext))
        return -EINVAL;
    if (c->del == PT__NONE)
        return fail(r, "no deletion");
    c->h.inext = c->h.iprev = c->h.pnext = c->h.pprev = PT__NONE;
    U("used", c->used);
    U_OPT("ended", c->ended);
    return 0;
}

static int rec_victim(struct rd *r)
{
    struct pt_analyzer *a = r->a;
    uint32_t i = r->sv;
    if (own_index(r, &r->sv, a->nvictims))
        return -EINVAL;
    struct pt__victim *v = &a->victims[i];
    if (get_idx(r, "del", a->ndels, &v->del) || get_idx(r, "proc", r->np, &v->proc) ||
        get_idx(r, "next", a->nvictims, &v->next))
        return -EINVAL;
    if (v->del == PT__NONE || v->proc == PT__NONE)
        return fail(r, "no deletion or no process");
    U("tid", v->tid);
    U("ts", v->ts);
    if (get_name(r, "call", &v->call))
        return -EINVAL;
    I("ret", v->ret);
    I("err", v->err);
    if (get_name(r, "detail_call", &v->detail_call))
        return -EINVAL;
    I("detail_ret", v->detail_ret);
    I("detail_err", v->detail_err);
    U("dropped", v->dropped);
    U("failures", v->nfailures);
    if (!v->call && !v->detail_call)
        return fail(r, "neither a call nor its detail");
    return get_frames(r, v->frames, &v->nframes);
}

static int rec_breakpoint(struct rd *r)
{
    struct pt_analyzer *a = r->a;
    struct pt__proc *p;
    if (get_proc(r, &p))
        return -EINVAL;
    if (PT__GROW(a, a->bps, a->nbps, a->capbps))
        return -ENOMEM;
    struct pt__bp *b = &a->bps[a->nbps++];
    memset(b, 0, sizeof *b);
    b->proc = p->idx;
    U("tid", b->tid);
    U("ts", b->ts);
    U("dev", b->dev);
    U("ino", b->ino);
    U("holder_pid", b->holder_pid);
    U("stopped", b->stopped);
    return 0;
}

/* An entry of the maps of the last deletion of each identity and name (model_victims.c). */
static int rec_deleted(struct rd *r)
{
    static const char *const maps[] = {"id", "name"};
    struct pt_analyzer *a = r->a;
    unsigned which = 0;
    uint64_t k1 = 0, k2 = 0;
    uint32_t d;
    if (!r->have_counts)
        return fail(r, "before the counts");
    if (get_enum(r, "map", maps, 2, &which) || get_u(r, "a", &k1) || get_u(r, "b", &k2) ||
        get_idx(r, "del", a->ndels, &d))
        return -EINVAL;
    struct pt__map *m = which ? &a->del_by_name : &a->del_by_id;
    uint64_t old;
    if (pt__map_get(m, k1, k2, &old))
        return fail(r, "twice");
    return pt__map_put(m, k1, k2, d) < 0 ? -ENOMEM : 0;
}

static int rec_session(struct rd *r)
{
    struct pt_analyzer *a = r->a;
    uint32_t i = r->ss;
    if (own_index(r, &r->ss, a->nsess))
        return -EINVAL;
    struct pt__sess *s = &a->sess[i];
    if (get_idx(r, "proc", r->np, &s->proc) || get_s(r, "profile", &s->profile))
        return -EINVAL;
    if (s->proc == PT__NONE || !s->profile)
        return fail(r, "no process or no profile");
    U("dev", s->dev);
    U("ino", s->ino);
    U("store_dev", s->store_dev);
    U("store_ino", s->store_ino);
    U("ts", s->ts);
    U("end_ts", s->end_ts);
    U("handle", s->handle);
    return get_s(r, "path", &s->path);
}

static int rec_mark(struct rd *r)
{
    struct pt_analyzer *a = r->a;
    uint32_t i = r->sm;
    if (own_index(r, &r->sm, a->nmarks))
        return -EINVAL;
    struct pt__mark *m = &a->marks[i];
    if (get_idx(r, "proc", r->np, &m->proc) || get_s(r, "profile", &m->profile) ||
        get_s(r, "marks_key", &m->marks_key) || get_s(r, "path", &m->path))
        return -EINVAL;
    if (m->proc == PT__NONE || !m->profile || !m->marks_key)
        return fail(r, "no process, profile or marks key");
    U("dev", m->dev);
    U("ino", m->ino);
    U("store_dev", m->store_dev);
    U("store_ino", m->store_ino);
    U("ts", m->ts);
    U("removed_ts", m->removed_ts);
    return get_name(r, "via", &m->via);
}

static int rec_untraced(struct rd *r)
{
    struct pt_analyzer *a = r->a;
    const struct tok *exe, *reason;
    uint32_t pid = 0;
    if (get_u32(r, "pid", &pid) || need(r, "exe", &exe) || need(r, "reason", &reason))
        return -EINVAL;
    if (PT__GROW(a, a->untraced, a->nuntraced, a->capuntraced))
        return -ENOMEM;
    a->untraced[a->nuntraced++] =
        (struct pt__untraced){pid, pt__intern(a, exe->none ? "" : exe->val),
                              reason->none ? NULL : pt__intern(a, reason->val)};
    return 0;
}

static int rec_stream(struct rd *r)
{
    struct pt__checkpoint *cp = r->cp;
    struct pt__cp_stream s = {0};
    if (!r->have_counts)
        return fail(r, "before the counts");
    if (get_s(r, "key", &s.key) || get_idx(r, "proc", r->np, &s.proc) ||
        get_u(r, "seq", &s.pos.seq) || get_u(r, "pos", &s.pos.pos) ||
        get_u(r, "clock", &s.pos.clock) || get_u(r, "disc", &s.pos.disc) ||
        get_u32(r, "tid", &s.pos.tid) || !s.key) {
        free(s.key);
        return s.key ? -EINVAL : fail(r, "no key");
    }
    if (strchr(s.key, '/')) {
        free(s.key);
        return fail(r, "key: not a stream file name");
    }
    struct pt__cp_stream *n = realloc(cp->streams, (cp->nstreams + 1) * sizeof *n);
    if (!n) {
        free(s.key);
        return -ENOMEM;
    }
    cp->streams = n;
    cp->streams[cp->nstreams++] = s;
    return 0;
}

static int rec_alerted(struct rd *r)
{
    struct pt__checkpoint *cp = r->cp;
    char *key;
    if (get_s(r, "key", &key))
        return -EINVAL;
    if (!key)
        return fail(r, "no key");
    char **n = realloc(cp->alerted, (cp->nalerted + 1) * sizeof *n);
    if (!n) {
        free(key);
        return -ENOMEM;
    }
    cp->alerted = n;
    cp->alerted[cp->nalerted++] = key;
    return 0;
}

static int rec_chunk(struct rd *r)
{
    struct pt__checkpoint *cp = r->cp;
    if (get_u32(r, "n", &cp->chunk) || get_u(r, "at", &cp->at) ||
        get_i(r, "realtime", &cp->realtime))
        return -EINVAL;
    return 0;
}

static int rec_totals(struct rd *r)
{
    struct pt_analyzer *a = r->a;
    U("events", a->nevents);
    U("first", a->ts_first);
    U("last", a->ts_last);
    U("lost", a->lost_total);
    U("nomem", a->nomem);
    U("deletions", a->dels_seen);
    U("unheld", a->dels_unheld);
    U("gone_holders", a->gone_holders);
    U("self_deletes", a->self_deletes);
    U("sessions_unidentified", a->sessions_unidentified);
    U("procs_left", a->procs_left);
    U_OPT("late", a->late);
    U_OPT("late_max", a->late_max);
    return 0;
}

static const struct {
    const char *type;
    int (*fn)(struct rd *r);
} records[] = {
    {"chunk", rec_chunk},
    {"counts", rec_counts},
    {"totals", rec_totals},
    {"proc", rec_proc},
    {"view", rec_view},
    {"module", rec_module},
    {"lost", rec_lost},
    {"marks_key", rec_marks_key},
    {"thread", rec_thread},
    {"child", rec_child},
    {"pending_delete", rec_pending_delete},
    {"pending_view", rec_pending_view},
    {"pending_victim", rec_pending_victim},
    {"hold", rec_hold},
    {"del", rec_del},
    {"cand", rec_cand},
    {"victim", rec_victim},
    {"deleted", rec_deleted},
    {"breakpoint", rec_breakpoint},
    {"session", rec_session},
    {"mark", rec_mark},
    {"stream", rec_stream},
    {"untraced", rec_untraced},
    {"alerted", rec_alerted},
};

/* ---- the whole ------------------------------------------------------------------------------- */

/* Every list followed from its head reaches each of its members once, and nothing else. */
static int check_structure(struct rd *r)
{
    struct pt_analyzer *a = r->a;
    r->line = 0;
    r->type = NULL;
    if (r->sp != r->np || r->st != r->nt_ || r->sh != r->nh || r->sd != a->ndels ||
        r->sc != a->ncands || r->ss != a->nsess || r->sm != a->nmarks || r->sv != a->nvictims)
        return fail(r, "fewer records than its counts say");
    uint32_t reached = 0;
    for (uint32_t i = 0; i < a->nprocs; i++) {
        uint32_t prev = PT__NONE, n = 0;
        for (uint32_t h = a->procs[i]->holds_head; h != PT__NONE; h = a->holds[h].pnext) {
            if (++n > a->nholds || a->holds[h].proc != i || a->holds[h].pprev != prev)
                return fail(r, "the holds of process %" PRIu32 " are not a list of its own", i);
            prev = h;
        }
        reached += n;
        prev = PT__NONE;
        n = 0;
        for (uint32_t c = a->procs[i]->watch_head; c != PT__NONE; c = a->cands[c].wnext)
            if (++n > a->ncands || a->cands[c].h.proc != i)
                return fail(r, "the candidates of process %" PRIu32 " are not a list of its own",
                            i);
    }
    if (reached != a->nholds)
        return fail(r, "holds outside their processes' lists");
    reached = 0;
    for (uint32_t i = 0; i < a->nholds; i++) {
        if (a->holds[i].iprev != PT__NONE || r->unindexed[i])
            continue;
        uint32_t prev = PT__NONE, n = 0;
        for (uint32_t h = i; h != PT__NONE; h = a->holds[h].inext) {
            if (++n > a->nholds || a->holds[h].iprev != prev ||
                a->holds[h].dev != a->holds[i].dev || a->holds[h].ino != a->holds[i].ino)
                return fail(r, "hold %" PRIu32 ": its identity's list is broken", h);
            prev = h;
        }
        reached += n;
    }
    for (uint32_t i = 0; i < a->nholds; i++)
        reached += r->unindexed[i]; /* in no identity's list */
    if (reached != a->nholds)
        return fail(r, "holds outside their identity's list");
    for (uint32_t i = 0; i < a->ncands; i++)
        if (a->cands[i].del >= a->ndels)
            return fail(r, "candidate %" PRIu32 ": no deletion", i);
    reached = 0;
    for (uint32_t i = 0; i < a->ndels; i++) {
        uint32_t last = PT__NONE, n = 0;
        for (uint32_t v = a->dels[i].victim_head; v != PT__NONE; v = a->victims[v].next) {
            if (++n > a->nvictims || a->victims[v].del != i)
                return fail(r, "the victims of deletion %" PRIu32 " are not a list of its own", i);
            last = v;
        }
        if (last != a->dels[i].victim_tail)
            return fail(r, "deletion %" PRIu32 ": its last victim is not its list's", i);
        reached += n;
    }
    if (reached != a->nvictims)
        return fail(r, "victims outside their deletions' lists");
    for (uint32_t i = 0; i < a->nthreads; i++) {
        const struct pt__thread *t = a->threads[i];
        for (uint32_t k = 0; k < t->npend_victim; k++)
            if (a->victims[t->pend_victim[k].victim].proc != t->proc)
                return fail(r, "thread %" PRIu32 ": a pending victim of another process", i);
    }
    return 0;
}

/* The indexes the model keeps beside its records. */
static int rebuild(struct pt_analyzer *a, const uint8_t *unindexed)
{
    int rc = 0;
    a->free_hold = PT__NONE;
    for (uint32_t i = 0; i < a->nprocs; i++)
        if (!a->procs[i]->witnessed)
            rc |= pt__map_put(&a->by_pid, a->procs[i]->pid, 0, i);
    for (uint32_t i = 0; i < a->nthreads; i++)
        rc |= pt__map_put(&a->by_tid, a->threads[i]->proc, a->threads[i]->tid, i);
    for (uint32_t i = 0; i < a->nholds; i++) {
        const struct pt__hold *h = &a->holds[i];
        if (!unindexed[i] && (h->dev || h->ino) && h->iprev == PT__NONE)
            rc |= pt__map_put(&a->hold_by_id, h->dev, h->ino, i);
        if (h->handle)
            rc |= pt__map_put(&a->hold_by_handle, (uint64_t)h->proc << 8 | h->kind, h->handle, i);
    }
    for (uint32_t i = 0; i < a->nmarks; i++)
        if (a->marks[i].dev || a->marks[i].ino)
            rc |= pt__map_put(&a->mark_by_id, a->marks[i].dev, a->marks[i].ino, i);
    /* (deletion, process) -> its victim: every victim the calls around it did not drop */
    for (uint32_t i = 0; i < a->nvictims; i++)
        if (!a->victims[i].dropped)
            rc |= pt__map_put(&a->victim_by, a->victims[i].del, a->victims[i].proc, i);
    /* the per-event caches (model.c, model_procs.c) start empty: they name nothing yet */
    a->cur_proc = NULL;
    a->cur_thread = NULL;
    memset(a->stream_cache, 0, sizeof a->stream_cache);
    return rc ? -ENOMEM : 0;
}

int pt__checkpoint_load(const char *text, size_t len, struct pt_analyzer **out,
                        struct pt__checkpoint *cp, char *why, size_t whylen)
{
    struct rd r = {.why = why, .whylen = whylen, .cp = cp};
    int rc = 0;
    *out = NULL;
    memset(cp, 0, sizeof *cp);
    /* the last line first: is the file whole and unaltered? */
    const char *last = len && text[len - 1] == '\n' ? text + len - 1 : NULL;
    while (last && last > text && last[-1] != '\n')
        last--;
    uint64_t lines = 0, sum = 0, want_lines;
    char tail[80];
    if (!last || text + len - last >= (long)sizeof tail)
        return fail(&r, "truncated: no end line");
    memcpy(tail, last, (size_t)(text + len - last));
    tail[text + len - last] = 0;
    if (sscanf(tail, "end lines=%" SCNu64 " sum=%" SCNx64, &want_lines, &sum) != 2)
        return fail(&r, "truncated: no end line");
    for (const char *p = text; p < last; p++)
        lines += *p == '\n';
    if (lines != want_lines)
        return fail(&r, "has %" PRIu64 " lines, its end line says %" PRIu64, lines, want_lines);
    if (pt__checkpoint_sum(text, (size_t)(last - text)) != sum)
        return fail(&r, "checksum mismatch: altered since it was written");
    if (memchr(text, 0, len))
        return fail(&r, "a NUL byte in the text");
    r.a = pt_analyzer_new();
    if (!r.a)
        return -ENOMEM;
    const char *p = text;
    for (r.line = 1; p < last; r.line++) {
        const char *nl = memchr(p, '\n', (size_t)(last - p));
        r.type = NULL;
        if (r.line == 1) {
            char head[64];
            snprintf(head, sizeof head, "proftrace-checkpoint %d", PT__CHECKPOINT_VERSION);
            if ((size_t)(nl - p) != strlen(head) || memcmp(p, head, strlen(head))) {
                rc = fail(&r, "not a proftrace checkpoint of version %d", PT__CHECKPOINT_VERSION);
                break;
            }
            p = nl + 1;
            continue;
        }
        if ((rc = tokenize(&r, p, nl)) < 0)
            break;
        size_t k;
        for (k = 0; k < sizeof records / sizeof *records; k++)
            if (!strcmp(records[k].type, r.type))
                break;
        if (k == sizeof records / sizeof *records) {
            rc = fail(&r, "unknown record");
            break;
        }
        if ((rc = records[k].fn(&r)) < 0)
            break;
        p = nl + 1;
    }
    if (!rc && !r.have_counts)
        rc = fail(&r, "no counts");
    if (!rc)
        rc = check_structure(&r);
    if (!rc)
        rc = rebuild(r.a, r.unindexed);
    free(r.scratch);
    free(r.unindexed);
    if (rc == -ENOMEM)
        snprintf(why, whylen, "out of memory");
    if (rc) {
        pt_analyzer_free(r.a);
        pt__checkpoint_clear(cp);
        return rc;
    }
    *out = r.a;
    return 0;
}

int pt__checkpoint_read(const char *path, struct pt_analyzer **out, struct pt__checkpoint *cp,
                        char *why, size_t whylen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    *out = NULL;
    memset(cp, 0, sizeof *cp);
    if (fd < 0) {
        int rc = -errno;
        snprintf(why, whylen, "%s", rc == -ELOOP ? "a symbolic link, not followed" : strerror(-rc));
        return rc;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_FILE) {
        close(fd);
        snprintf(why, whylen, "%s", !S_ISREG(st.st_mode) ? "not a regular file" : "too large");
        return -EINVAL;
    }
    size_t len = (size_t)st.st_size;
    char *text = malloc(len + 1);
    ssize_t got = text ? pread(fd, text, len, 0) : -1;
    close(fd);
    if (got != (ssize_t)len) {
        free(text);
        snprintf(why, whylen, "%s", text ? "short read" : "out of memory");
        return text ? -EIO : -ENOMEM;
    }
    int rc = pt__checkpoint_load(text, len, out, cp, why, whylen);
    free(text);
    return rc;
}

void pt__checkpoint_clear(struct pt__checkpoint *cp)
{
    for (size_t i = 0; i < cp->nstreams; i++)
        free(cp->streams[i].key);
    for (size_t i = 0; i < cp->nalerted; i++)
        free(cp->alerted[i]);
    free(cp->streams);
    free(cp->alerted);
    memset(cp, 0, sizeof *cp);
}

struct pt_analyzer *pt__checkpoint_clone(struct pt_analyzer *a, char *why, size_t whylen)
{
    char *text = NULL;
    size_t len = 0;
    struct pt_analyzer *copy = NULL;
    struct pt__checkpoint cp = {0}, back = {0};
    int rc = 0;
    /* the streams the model knows, named by their index: the copy knows them as well */
    for (size_t i = 0; i < a->by_stream.cap && rc == 0; i++) {
        const struct pt__map_slot *sl = &a->by_stream.slot[i];
        if (!sl->used)
            continue;
        struct pt__cp_stream *n = realloc(cp.streams, (cp.nstreams + 1) * sizeof *n);
        if (!n || asprintf(&n[cp.nstreams].key, "%" PRIu64, sl->a) < 0) {
            if (n)
                cp.streams = n;
            rc = -ENOMEM;
            break;
        }
        cp.streams = n;
        n[cp.nstreams].index = (uint32_t)sl->a;
        n[cp.nstreams].pos = (struct pt_stream_pos){0};
        cp.nstreams++;
    }
    snprintf(why, whylen, "out of memory");
    FILE *m = rc == 0 ? open_memstream(&text, &len) : NULL;
    if (m) {
        rc = pt__checkpoint_save(m, a, &cp);
        if (fclose(m) == 0 && rc == 0 && text)
            rc = pt__checkpoint_load(text, len, &copy, &back, why, whylen);
    }
    for (size_t i = 0; copy && i < back.nstreams; i++)
        if (back.streams[i].proc != PT__NONE &&
            pt__map_put(&copy->by_stream, strtoull(back.streams[i].key, NULL, 10), 0,
                        back.streams[i].proc) < 0) {
            pt_analyzer_free(copy);
            copy = NULL;
        }
    free(text);
    pt__checkpoint_clear(&cp);
    pt__checkpoint_clear(&back);
    return copy;
}

/* checkpoint_write.c — the analyzer's live state written as a checkpoint (design: checkpoint.h,
 * format: docs/rotation.md).
 *
 * One record per line, `type key=value ...`; numbers in decimal, strings quoted with C escapes
 * (`-` for none), identities as one comma-separated list. Records carry their own index and name
 * the records they point at by index, so the reader rebuilds every list and index exactly as they
 * were. Processes that ended and that no deletion, candidate, victim, breakpoint, session or mark
 * names (and that are not a profile-store user the latent rule may still compare) are left out and
 * renumbered around; closed holds are never in the model at all. The last line counts the lines
 * and checksums the text before it, so a truncated or altered file is told from a good one. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/checkpoint.h"
#include "tracer/perm.h"

static const char *const kind_names[] = {"NONE",
#define KIND_NAME(k) #k,
                                         PT_KINDS(KIND_NAME)
#undef KIND_NAME
};
static const char *const end_names[] = {"alive", "exited", "signalled", "reaped", "replaced"};

struct w {
    FILE *o;
    struct pt_analyzer *a;
    uint32_t *pmap, *hmap, *tmap; /* old index -> new, PT__NONE when left out */
    uint32_t np, nh, nt;
};

static void put_str(FILE *o, const char *key, const char *s)
{
    fprintf(o, " %s=", key);
    if (!s) {
        fputc('-', o);
        return;
    }
    fputc('"', o);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(o, "\\%c", *c);
        else if (*c < 0x20 || *c == 0x7f)
            fprintf(o, "\\x%02x", *c);
        else
            fputc(*c, o);
    }
    fputc('"', o);
}

static void put_u(FILE *o, const char *key, uint64_t v)
{
    fprintf(o, " %s=%" PRIu64, key, v);
}

static void put_i(FILE *o, const char *key, int64_t v)
{
    fprintf(o, " %s=%" PRId64, key, v);
}

static void put_idx(FILE *o, const char *key, uint32_t v, const uint32_t *map)
{
    uint32_t n = v == PT__NONE ? PT__NONE : map ? map[v] : v;
    if (n == PT__NONE)
        fprintf(o, " %s=-", key);
    else
        fprintf(o, " %s=%" PRIu32, key, n);
}

static void put_who(FILE *o, const char *key, const struct pt__who *w)
{
    fprintf(o, " %s=%u,%u,%u,%u,%u,%u", key, w->uid, w->euid, w->gid, w->egid, w->sessionid,
            w->loginuid);
    for (unsigned i = 0; i < PT_NS_COUNT; i++)
        fprintf(o, ",%" PRIu64, w->ns[i]);
}

static void put_frames(FILE *o, const uint64_t *fr, unsigned n)
{
    fputs(" frames=", o);
    for (unsigned i = 0; i < n; i++)
        fprintf(o, "%s%" PRIx64, i ? "," : "", fr[i]);
}

/* ---- which processes are kept ---------------------------------------------------------------- */

static void mark_proc(struct w *w, uint32_t p)
{
    if (p < w->a->nprocs)
        w->pmap[p] = 0;
}

static int number(struct w *w)
{
    struct pt_analyzer *a = w->a;
    w->pmap = malloc((a->nprocs + 1) * sizeof *w->pmap);
    w->hmap = malloc((a->nholds + 1) * sizeof *w->hmap);
    w->tmap = malloc((a->nthreads + 1) * sizeof *w->tmap);
    if (!w->pmap || !w->hmap || !w->tmap)
        return -ENOMEM;
    for (uint32_t i = 0; i < a->nprocs; i++) {
        const struct pt__proc *p = a->procs[i];
        /* alive, or a profile-store user with an in-use view (the latent rule compares them) */
        w->pmap[i] =
            p->end == PT__ALIVE || ((p->store_dev || p->store_ino) && p->nviews) ? 0 : PT__NONE;
    }
    for (uint32_t i = 0; i < a->ndels; i++)
        mark_proc(w, a->dels[i].proc);
    for (uint32_t i = 0; i < a->ncands; i++)
        mark_proc(w, a->cands[i].h.proc);
    for (uint32_t i = 0; i < a->nsess; i++)
        mark_proc(w, a->sess[i].proc);
    for (uint32_t i = 0; i < a->nmarks; i++)
        mark_proc(w, a->marks[i].proc);
    for (uint32_t i = 0; i < a->nholds; i++)
        if (a->holds[i].live)
            mark_proc(w, a->holds[i].proc);
    for (uint32_t i = 0; i < a->nvictims; i++)
        mark_proc(w, a->victims[i].proc);
    for (uint32_t i = 0; i < a->nbps; i++)
        mark_proc(w, a->bps[i].proc);
    for (uint32_t i = 0; i < a->nprocs; i++)
        if (w->pmap[i] != PT__NONE)
            w->pmap[i] = w->np++;
    for (uint32_t i = 0; i < a->nholds; i++)
        w->hmap[i] = a->holds[i].live ? w->nh++ : PT__NONE;
    for (uint32_t i = 0; i < a->nthreads; i++)
        w->tmap[i] = a->threads[i] && w->pmap[a->threads[i]->proc] != PT__NONE ? w->nt++ : PT__NONE;
    return 0;
}

/* ---- records --------------------------------------------------------------------------------- */

static void write_proc(struct w *w, uint32_t old)
{
    FILE *o = w->o;
    const struct pt__proc *p = w->a->procs[old];
    uint32_t i = w->pmap[old];
    fprintf(o, "proc i=%" PRIu32, i);
    put_u(o, "pid", p->pid);
    put_u(o, "ppid", p->ppid);
    put_u(o, "gpid", p->global_pid);
    put_u(o, "start", p->start_time);
    put_who(o, "who", &p->who);
    put_str(o, "exe", p->exe);
    put_str(o, "cmdline", p->cmdline);
    put_u(o, "identified", (uint64_t)p->have_identity);
    put_u(o, "witnessed", p->witnessed);
    put_str(o, "ident", p->ident);
    put_u(o, "first", p->first_ts);
    put_u(o, "last", p->last_ts);
    put_u(o, "events", p->nevents);
    put_u(o, "image", p->image_ts);
    put_u(o, "exec", p->exec_ts);
    put_u(o, "born_exec", p->born_exec);
    fprintf(o, " end=%s", end_names[p->end <= PT__REPLACED ? p->end : 0]);
    put_u(o, "end_ts", p->end_ts);
    put_u(o, "reaped_last", p->reaped_last_ts);
    put_u(o, "reaped_ring", p->reaped_ring);
    put_i(o, "status", p->end_status);
    put_i(o, "signo", p->end_signo);
    put_u(o, "lost", p->lost_total);
    put_u(o, "store_dev", p->store_dev);
    put_u(o, "store_ino", p->store_ino);
    put_u(o, "store_ts", p->store_ts);
    put_idx(o, "holds", p->holds_head, w->hmap);
    put_idx(o, "watch", p->watch_head, NULL);
    fputc('\n', o);
    for (uint32_t k = 0; k < p->nviews; k++) {
        const struct pt__view *v = &p->views[k];
        fprintf(o, "view proc=%" PRIu32, i);
        put_str(o, "name", v->name);
        put_str(o, "shm", v->shm_name);
        put_u(o, "dev", v->dev);
        put_u(o, "ino", v->ino);
        put_u(o, "handle", v->handle);
        put_u(o, "ts", v->ts);
        put_who(o, "who", &v->who);
        put_i(o, "in_mapi", v->in_mapi);
        put_u(o, "prior", v->prior);
        fputc('\n', o);
    }
    for (uint32_t k = 0; k < p->nmods; k++) {
        const struct pt__module *m = &p->mods[k];
        fprintf(o, "module proc=%" PRIu32, i);
        put_u(o, "base", m->base);
        put_u(o, "size", m->size);
        put_u(o, "bias", m->bias);
        put_str(o, "path", m->path);
        put_str(o, "build_id", m->build_id);
        fputc('\n', o);
    }
    for (uint32_t k = 0; k < p->nlost; k++)
        fprintf(o, "lost proc=%" PRIu32 " from=%" PRIu64 " to=%" PRIu64 " count=%" PRIu64 "\n", i,
                p->lost[k].from, p->lost[k].to, p->lost[k].count);
    for (uint32_t k = 0; k < p->nmarks_keys; k++) {
        fprintf(o, "marks_key proc=%" PRIu32, i);
        put_str(o, "name", p->marks_keys[k]);
        fputc('\n', o);
    }
}

static void write_thread(struct w *w, uint32_t old)
{
    FILE *o = w->o;
    const struct pt__thread *t = w->a->threads[old];
    uint32_t i = w->tmap[old];
    fprintf(o, "thread i=%" PRIu32 " proc=%" PRIu32, i, w->pmap[t->proc]);
    put_u(o, "tid", t->tid);
    put_u(o, "have_cred", (uint64_t)t->have_cred);
    put_who(o, "who", &t->who);
    fputc('\n', o);
    for (uint32_t k = 0; k < t->nchild; k++) {
        const struct pt__child *c = &t->child[k];
        fprintf(o, "child thread=%" PRIu32, i);
        put_str(o, "call", pt_event_name(c->id));
        put_u(o, "depth", c->depth);
        put_i(o, "ret", c->ret);
        put_i(o, "err", c->err);
        put_u(o, "ts", c->ts);
        put_u(o, "enter", c->ts_enter);
        put_u(o, "dev", c->dev);
        put_u(o, "ino", c->ino);
        put_u(o, "handle", c->handle);
        put_str(o, "path", c->path);
        fputc('\n', o);
    }
    for (uint32_t k = 0; k < t->npend_del; k++)
        fprintf(o, "pending_delete thread=%" PRIu32 " del=%" PRIu32 "\n", i, t->pend_del[k]);
    for (uint32_t k = 0; k < t->npend_view; k++)
        fprintf(o, "pending_view thread=%" PRIu32 " view=%" PRIu32 "\n", i, t->pend_view[k]);
    for (uint32_t k = 0; k < t->npend_victim; k++) {
        const struct pt__pend_victim *v = &t->pend_victim[k];
        fprintf(o,
                "pending_victim thread=%" PRIu32 " victim=%" PRIu32 " depth=%u fresh=%u "
                "failed=%u\n",
                i, v->victim, v->depth, v->fresh, v->failed);
    }
}

/* The fields of a hold, shared by open holds and the copies candidates keep. */
static void put_hold(struct w *w, const struct pt__hold *h)
{
    FILE *o = w->o;
    fprintf(o, " kind=%s",
            kind_names[h->kind < sizeof kind_names / sizeof *kind_names ? h->kind : 0]);
    put_idx(o, "proc", h->proc, w->pmap);
    put_u(o, "tid", h->tid);
    put_u(o, "handle", h->handle);
    put_u(o, "len", h->len);
    put_u(o, "dev", h->dev);
    put_u(o, "ino", h->ino);
    put_u(o, "ts", h->ts);
    put_str(o, "name", h->name);
    put_str(o, "path", h->path);
    put_str(o, "api", h->api);
    put_who(o, "who", &h->who);
    put_u(o, "prior", h->prior);
    put_u(o, "oflags", h->oflags);
    put_u(o, "from_pid", h->from_pid);
    put_u(o, "seen", h->seen);
}

static void write_hold(struct w *w, uint32_t old)
{
    FILE *o = w->o;
    const struct pt__hold *h = &w->a->holds[old];
    fprintf(o, "hold i=%" PRIu32, w->hmap[old]);
    put_hold(w, h);
    /* a deletion takes every hold off the identity it removed (the inode may be reused): such a
     * hold lives on, but is no longer found by identity */
    uint64_t head;
    int indexed = (h->dev || h->ino) &&
                  (h->iprev != PT__NONE ||
                   (pt__map_get(&w->a->hold_by_id, h->dev, h->ino, &head) && head == old));
    put_u(o, "indexed", (uint64_t)indexed);
    put_idx(o, "inext", h->inext, w->hmap);
    put_idx(o, "iprev", h->iprev, w->hmap);
    put_idx(o, "pnext", h->pnext, w->hmap);
    put_idx(o, "pprev", h->pprev, w->hmap);
    fputc('\n', o);
}

static void write_del(struct w *w, uint32_t i)
{
    FILE *o = w->o;
    const struct pt__del *d = &w->a->dels[i];
    fprintf(o, "del i=%" PRIu32, i);
    put_idx(o, "proc", d->proc, w->pmap);
    put_u(o, "tid", d->tid);
    put_u(o, "ts", d->ts);
    put_u(o, "enter", d->ts_enter);
    put_u(o, "depth", d->depth);
    fprintf(o, " kind=%s",
            kind_names[d->kind < sizeof kind_names / sizeof *kind_names ? d->kind : 0]);
    put_str(o, "call", d->call);
    put_str(o, "target", d->target);
    put_u(o, "dev", d->dev);
    put_u(o, "ino", d->ino);
    put_str(o, "api", d->api);
    put_str(o, "api_args", d->api_args);
    put_u(o, "api_enter", d->api_ts_enter);
    put_str(o, "via", d->via);
    put_u(o, "via_enter", d->via_ts_enter);
    put_u(o, "via_ts", d->via_ts);
    put_u(o, "pending", (uint64_t)d->pending);
    put_who(o, "who", &d->who);
    put_frames(o, d->frames, d->nframes);
    put_u(o, "cand_first", d->cand_first);
    put_u(o, "ncand", d->ncand);
    put_u(o, "witnessed", d->witnessed);
    put_u(o, "unattributed", d->unattributed);
    put_u(o, "noticed", d->noticed);
    put_idx(o, "victims", d->victim_head, NULL);
    put_idx(o, "victims_last", d->victim_tail, NULL);
    fputc('\n', o);
}

static void write_cand(struct w *w, uint32_t i)
{
    FILE *o = w->o;
    const struct pt__cand *c = &w->a->cands[i];
    fprintf(o, "cand i=%" PRIu32 " del=%" PRIu32, i, c->del);
    put_hold(w, &c->h);
    put_idx(o, "wnext", c->wnext, NULL);
    put_u(o, "used", c->used);
    put_u(o, "ended", c->ended);
    fputc('\n', o);
}

static void write_victim(struct w *w, uint32_t i)
{
    FILE *o = w->o;
    const struct pt__victim *v = &w->a->victims[i];
    fprintf(o, "victim i=%" PRIu32 " del=%" PRIu32, i, v->del);
    put_idx(o, "proc", v->proc, w->pmap);
    put_u(o, "tid", v->tid);
    put_idx(o, "next", v->next, NULL);
    put_u(o, "ts", v->ts);
    put_str(o, "call", v->call);
    put_i(o, "ret", v->ret);
    put_i(o, "err", v->err);
    put_str(o, "detail_call", v->detail_call);
    put_i(o, "detail_ret", v->detail_ret);
    put_i(o, "detail_err", v->detail_err);
    put_u(o, "dropped", v->dropped);
    put_u(o, "failures", v->nfailures);
    put_frames(o, v->frames, v->nframes);
    fputc('\n', o);
}

static void write_bp(struct w *w, uint32_t i)
{
    const struct pt__bp *b = &w->a->bps[i];
    fprintf(w->o, "breakpoint");
    put_idx(w->o, "proc", b->proc, w->pmap);
    fprintf(w->o,
            " tid=%" PRIu32 " ts=%" PRIu64 " dev=%" PRIu64 " ino=%" PRIu64 " holder_pid=%" PRIu32
            " stopped=%u\n",
            b->tid, b->ts, b->dev, b->ino, b->holder_pid, b->stopped);
}

/* The last deletion of each identity and name (model_victims.c), PT__NONE where a later delete
 * nobody held hid it: raw, since those later deletes are not in the model. */
static void write_del_map(struct w *w, const char *name, const struct pt__map *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        const struct pt__map_slot *sl = &m->slot[i];
        if (!sl->used)
            continue;
        fprintf(w->o, "deleted map=%s a=%" PRIu64 " b=%" PRIu64, name, sl->a, sl->b);
        put_idx(w->o, "del", (uint32_t)sl->v, NULL);
        fputc('\n', w->o);
    }
}

static void write_sess(struct w *w, uint32_t i)
{
    FILE *o = w->o;
    const struct pt__sess *s = &w->a->sess[i];
    fprintf(o, "session i=%" PRIu32, i);
    put_idx(o, "proc", s->proc, w->pmap);
    put_str(o, "profile", s->profile);
    put_u(o, "dev", s->dev);
    put_u(o, "ino", s->ino);
    put_u(o, "store_dev", s->store_dev);
    put_u(o, "store_ino", s->store_ino);
    put_u(o, "ts", s->ts);
    put_u(o, "end_ts", s->end_ts);
    put_u(o, "handle", s->handle);
    put_str(o, "path", s->path);
    fputc('\n', o);
}

static void write_mark(struct w *w, uint32_t i)
{
    FILE *o = w->o;
    const struct pt__mark *m = &w->a->marks[i];
    fprintf(o, "mark i=%" PRIu32, i);
    put_idx(o, "proc", m->proc, w->pmap);
    put_str(o, "profile", m->profile);
    put_str(o, "marks_key", m->marks_key);
    put_str(o, "path", m->path);
    put_u(o, "dev", m->dev);
    put_u(o, "ino", m->ino);
    put_u(o, "store_dev", m->store_dev);
    put_u(o, "store_ino", m->store_ino);
    put_u(o, "ts", m->ts);
    put_u(o, "removed_ts", m->removed_ts);
    put_str(o, "via", m->via);
    fputc('\n', o);
}

/* ---- the file -------------------------------------------------------------------------------- */

static void write_body(struct w *w, const struct pt__checkpoint *cp)
{
    struct pt_analyzer *a = w->a;
    FILE *o = w->o;
    fprintf(o, "proftrace-checkpoint %d\n", PT__CHECKPOINT_VERSION);
    fprintf(o, "chunk n=%" PRIu32 " at=%" PRIu64 " realtime=%" PRId64 "\n", cp->chunk, cp->at,
            cp->realtime);
    fprintf(o,
            "counts procs=%" PRIu32 " threads=%" PRIu32 " holds=%" PRIu32 " dels=%" PRIu32
            " cands=%" PRIu32 " sessions=%" PRIu32 " marks=%" PRIu32 " victims=%" PRIu32 "\n",
            w->np, w->nt, w->nh, a->ndels, a->ncands, a->nsess, a->nmarks, a->nvictims);
    fprintf(o,
            "totals events=%" PRIu64 " first=%" PRIu64 " last=%" PRIu64 " lost=%" PRIu64
            " nomem=%" PRIu64 " deletions=%" PRIu64 " unheld=%" PRIu64 " gone_holders=%" PRIu64
            " self_deletes=%" PRIu64 " sessions_unidentified=%" PRIu64 " procs_left=%" PRIu64
            " late=%" PRIu64 " late_max=%" PRIu64 "\n",
            a->nevents, a->ts_first, a->ts_last, a->lost_total, a->nomem, a->dels_seen,
            a->dels_unheld, a->gone_holders, a->self_deletes, a->sessions_unidentified,
            a->procs_left + (a->nprocs - w->np), a->late, a->late_max);
    for (uint32_t i = 0; i < a->nprocs; i++)
        if (w->pmap[i] != PT__NONE)
            write_proc(w, i);
    for (uint32_t i = 0; i < a->nthreads; i++)
        if (w->tmap[i] != PT__NONE)
            write_thread(w, i);
    for (uint32_t i = 0; i < a->nholds; i++)
        if (w->hmap[i] != PT__NONE)
            write_hold(w, i);
    for (uint32_t i = 0; i < a->ndels; i++)
        write_del(w, i);
    for (uint32_t i = 0; i < a->ncands; i++)
        write_cand(w, i);
    for (uint32_t i = 0; i < a->nvictims; i++)
        write_victim(w, i);
    write_del_map(w, "id", &a->del_by_id);
    write_del_map(w, "name", &a->del_by_name);
    for (uint32_t i = 0; i < a->nbps; i++)
        write_bp(w, i);
    for (uint32_t i = 0; i < a->nsess; i++)
        write_sess(w, i);
    for (uint32_t i = 0; i < a->nmarks; i++)
        write_mark(w, i);
    for (uint32_t i = 0; i < a->nuntraced; i++) {
        fprintf(o, "untraced pid=%" PRIu32, a->untraced[i].pid);
        put_str(o, "exe", a->untraced[i].exe);
        put_str(o, "reason", a->untraced[i].reason);
        fputc('\n', o);
    }
    for (size_t i = 0; i < cp->nstreams; i++) {
        const struct pt__cp_stream *s = &cp->streams[i];
        uint32_t proc;
        fputs("stream", o);
        put_str(o, "key", s->key);
        if (pt__stream_proc(a, s->index, &proc) && w->pmap[proc] != PT__NONE)
            fprintf(o, " proc=%" PRIu32, w->pmap[proc]);
        else
            fputs(" proc=-", o);
        fprintf(o,
                " seq=%" PRIu64 " pos=%" PRIu64 " clock=%" PRIu64 " disc=%" PRIu64 " tid=%" PRIu32
                "\n",
                s->pos.seq, s->pos.pos, s->pos.clock, s->pos.disc, s->pos.tid);
    }
    for (size_t i = 0; i < cp->nalerted; i++) {
        fputs("alerted", o);
        put_str(o, "key", cp->alerted[i]);
        fputc('\n', o);
    }
}

uint64_t pt__checkpoint_sum(const char *text, size_t len);

int pt__checkpoint_save(FILE *out, struct pt_analyzer *a, const struct pt__checkpoint *cp)
{
    struct w w = {.a = a};
    char *text = NULL;
    size_t len = 0;
    int rc = number(&w);
    if (rc == 0 && !(w.o = open_memstream(&text, &len)))
        rc = -ENOMEM;
    if (rc == 0) {
        write_body(&w, cp);
        if (fclose(w.o) != 0 || !text)
            rc = -ENOMEM;
    }
    if (rc == 0) {
        uint64_t lines = 0;
        for (size_t i = 0; i < len; i++)
            lines += text[i] == '\n';
        if (fwrite(text, 1, len, out) != len ||
            fprintf(out, "end lines=%" PRIu64 " sum=%016" PRIx64 "\n", lines,
                    pt__checkpoint_sum(text, len)) < 0)
            rc = -EIO;
    }
    free(text);
    free(w.pmap);
    free(w.hmap);
    free(w.tmap);
    return rc;
}

int pt__checkpoint_write(const char *path, struct pt_analyzer *a, const struct pt__checkpoint *cp)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -ENAMETOOLONG;
    int fd = pt_perm_open(tmp, O_WRONLY | O_CREAT | O_EXCL);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0) /* left by a writer that died */
        fd = pt_perm_open(tmp, O_WRONLY | O_CREAT | O_EXCL);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        int rc = -errno;
        if (fd >= 0)
            close(fd);
        return rc;
    }
    /* not synced: a collector killed leaves what it wrote in the page cache, and the chunks the
     * checkpoint goes with are not synced either; the rename makes it whole or absent */
    int rc = pt__checkpoint_save(f, a, cp);
    if (fflush(f) != 0)
        rc = rc ? rc : -errno;
    if (fclose(f) != 0 && !rc)
        rc = -errno;
    if (!rc && rename(tmp, path) < 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}

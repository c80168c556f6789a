/* event_stack.c — `proftrace events --stack`: the recorded stack under an event, symbolized as
 * `proftrace report` shows stacks.
 *
 * The same code decides what is shown: the analyzer's frames (pt__stack_frames drops proftrace's
 * own frames and expands inlined calls), its symbolizer and report's own frame lines
 * (pt__text_stack), on a process record that holds only what they read, the modules. events streams the trace, so a process's modules are those its
 * `module` events announced so far; the shim writes them before the first stack that needs them
 * (a forked child and an exec'd image announce their own). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "analyzer/report.h"
#include "analyzer/symbolize.h"
#include "cmds/event_stack.h"

struct pt__stacks {
    struct pt__symbolizer *sy;
    struct pt__proc **procs; /* by pid, the latest process with it */
    size_t n, cap;
};

struct pt__stacks *pt__stacks_new(void)
{
    struct pt__stacks *st = calloc(1, sizeof *st);
    if (st && !(st->sy = pt__sym_new())) {
        free(st);
        return NULL;
    }
    return st;
}

static void forget_modules(struct pt__proc *p)
{
    for (uint32_t i = 0; i < p->nmods; i++) {
        free((char *)p->mods[i].path);
        free((char *)p->mods[i].build_id);
    }
    free(p->mods);
    p->mods = NULL;
    p->nmods = p->capmods = 0;
}

static struct pt__proc *proc_of(struct pt__stacks *st, uint32_t pid, int create)
{
    for (size_t i = 0; i < st->n; i++)
        if (st->procs[i]->pid == pid)
            return st->procs[i];
    if (!create)
        return NULL;
    if (st->n == st->cap) {
        size_t nc = st->cap ? 2 * st->cap : 32;
        struct pt__proc **v = realloc(st->procs, nc * sizeof *v);
        if (!v)
            return NULL;
        st->procs = v;
        st->cap = nc;
    }
    struct pt__proc *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->pid = pid;
    st->procs[st->n++] = p;
    return p;
}

/* A string field as the module table keeps it: a copy, NULL when empty. */
static char *dup_str(const char *v)
{
    return v[0] ? strdup(v) : NULL;
}

void pt__stacks_note(struct pt__stacks *st, const struct pt_event *ev)
{
    if (ev->id != PT_EV_process && ev->id != PT_EV_module)
        return;
    struct pt__proc *p = proc_of(st, ev->pid, 1);
    if (!p)
        return;
    if (ev->id == PT_EV_process) {
        /* the same pid with another start time is another process (the analyzer's rule too); an
         * exec keeps the process, and its new image's modules, announced next, win by address */
        uint64_t start = PT_U(ev, process, start_time);
        if (p->start_time != start)
            forget_modules(p);
        p->start_time = start;
        return;
    }
    if (p->nmods == p->capmods) {
        uint32_t nc = p->capmods ? 2 * p->capmods : 16;
        struct pt__module *m = realloc(p->mods, nc * sizeof *m);
        if (!m)
            return;
        p->mods = m;
        p->capmods = nc;
    }
    struct pt__module *m = &p->mods[p->nmods];
    *m = (struct pt__module){.base = PT_U(ev, module, base),
                             .size = PT_U(ev, module, size),
                             .bias = PT_U(ev, module, bias),
                             .path = dup_str(PT_S(ev, module, path)),
                             .build_id = dup_str(PT_S(ev, module, build_id))};
    if (m->path)
        p->nmods++;
    else
        free((char *)m->build_id);
}

void pt__stacks_print(struct pt__stacks *st, FILE *out, const struct pt_event *ev)
{
    if (!ev->nframes)
        return;
    static const struct pt__proc nothing_known; /* a pid whose modules were never announced */
    const struct pt__proc *p = proc_of(st, ev->pid, 0);
    pt__text_stack(out, st->sy, p ? p : &nothing_known, ev->frame, ev->nframes, 1);
}

void pt__stacks_notes(struct pt__stacks *st, FILE *out, const char *prefix)
{
    const char *notes[4];
    if (pt__sym_unavailable())
        fprintf(out, "%s%s\n", prefix, pt__sym_unavailable());
    for (unsigned i = 0, n = pt__sym_notes(st->sy, notes, 4); i < n; i++)
        fprintf(out, "%s%s\n", prefix, notes[i]);
}

void pt__stacks_free(struct pt__stacks *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->n; i++) {
        forget_modules(st->procs[i]);
        free(st->procs[i]);
    }
    free(st->procs);
    pt__sym_free(st->sy);
    free(st);
}

/* frames.c — which frames of a recorded stack a report shows. A stack is taken inside the shim, and
 * every traced call that another traced call makes goes through a shim wrapper too, so a recorded
 * stack can hold proftrace's own frames anywhere (a second `MAPIInitialize` that is the wrapper of
 * the first). They say nothing about the program and are dropped here, by module, so stacks start
 * at the caller's frame whether or not the build can symbolize. */
#include <string.h>

#include "analyzer/symbolize.h"

const struct pt__module *pt__module_at(const struct pt__proc *p, uint64_t addr)
{
    for (uint32_t i = p->nmods; i-- > 0;) /* the latest mapping at that address wins */
        if (addr >= p->mods[i].base && addr - p->mods[i].base < p->mods[i].size)
            return &p->mods[i];
    return NULL;
}

/* The shim's own file: libproftrace.so, by whatever path it was preloaded from. */
static int is_shim(const struct pt__module *m)
{
    if (!m || !m->path)
        return 0;
    const char *b = strrchr(m->path, '/');
    b = b ? b + 1 : m->path;
    return !strncmp(b, "libproftrace.", 13);
}

int pt__frame_is_own(const struct pt__proc *p, const uint64_t *fr, unsigned n, unsigned i)
{
    const struct pt__module *m = pt__module_at(p, fr[i]);
    if (m)
        return is_shim(m);
    /* An inline hook's trampoline is anonymous memory the wrapper calls: a frame there returns
     * into no module, and the frame that called it is the wrapper's. A frame in no module whose
     * caller is the program (JIT code) is kept. */
    return i + 1 < n && is_shim(pt__module_at(p, fr[i + 1]));
}

unsigned pt__stack_frames(struct pt__symbolizer *s, const struct pt__proc *p, const uint64_t *fr,
                          unsigned n, struct pt__frame *out, unsigned cap)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n && k < cap; i++) {
        if (pt__frame_is_own(p, fr, n, i))
            continue;
        struct pt__sym sym[PT__FRAMES_PER_ADDR];
        unsigned m;
        if (s) {
            /* a return address: the call is the instruction before it */
            m = pt__sym_resolve(s, p, fr[i] ? fr[i] - 1 : 0, sym, PT__FRAMES_PER_ADDR);
        } else {
            const struct pt__module *mod = pt__module_at(p, fr[i]);
            memset(sym, 0, sizeof sym[0]);
            sym[0].module = mod ? mod->path : NULL;
            sym[0].vaddr = mod ? fr[i] - 1 - mod->bias : 0; /* as pt__sym_resolve's */
            m = 1;
        }
        for (unsigned j = 0; j < m && k < cap; j++) {
            out[k].addr = fr[i];
            out[k].raw = i;
            out[k].sym = sym[j];
            k++;
        }
    }
    return k;
}

unsigned pt__stack_call_site(const struct pt__proc *p, const uint64_t *fr, unsigned n)
{
    unsigned i = 0;
    while (i < n && !pt__frame_is_own(p, fr, n, i))
        i++;
    if (i == n)
        return 0; /* no wrapper in the stack: the innermost frame made the traced call */
    while (i < n && pt__frame_is_own(p, fr, n, i))
        i++;
    return i < n ? i : 0;
}

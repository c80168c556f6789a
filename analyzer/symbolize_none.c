/* symbolize_none.c — built without elfutils' libdw: stacks show module+offset, which
 * `eu-addr2line -e MODULE` or `gdb` can still resolve by hand; the report says so once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/symbolize.h"

struct pt__symbolizer {
    int unused;
};

struct pt__symbolizer *pt__sym_new(void)
{
    return calloc(1, sizeof(struct pt__symbolizer));
}

void pt__sym_free(struct pt__symbolizer *s)
{
    free(s);
}

const char *pt__sym_unavailable(void)
{
    return "stacks unsymbolized: built without elfutils' libdw";
}

unsigned pt__sym_notes(struct pt__symbolizer *s, const char **out, unsigned cap)
{
    return 0;
}

unsigned pt__sym_resolve(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr,
                         struct pt__sym *out, unsigned cap)
{
    const struct pt__module *m = pt__module_at(p, addr);
    memset(out, 0, sizeof *out);
    out->module = m ? m->path : NULL;
    out->vaddr = m ? addr - m->bias : 0;
    /* the report says once that this build cannot symbolize (pt__sym_unavailable) */
    out->problem = m ? NULL : "no module recorded at this address";
    return 1;
}

int pt__sym_target(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr, char *buf,
                   size_t len)
{
    return -ENOENT;
}

int pt__sym_slot(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr, char *buf,
                 size_t len)
{
    return -ENOENT;
}

long pt__sym_code(struct pt__symbolizer *s, const struct pt__proc *p, uint64_t addr, uint8_t *buf,
                  size_t len, uint64_t *start, int *machine)
{
    return -ENOTSUP;
}

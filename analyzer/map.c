/* map.c — linear-probing hash map with backward-shift deletion (no tombstones, so memory and probe
 * length stay bounded by the live entries however many come and go over a long trace). */
#include "analyzer/map.h"

#include <errno.h>
#include <stdlib.h>

static int grow(struct pt__map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    struct pt__map_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -ENOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        struct pt__map_slot *s = &m->slot[i];
        if (!s->used)
            continue;
        size_t j = pt__map_hash(s->a, s->b) & (ncap - 1);
        while (ns[j].used)
            j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    free(m->slot);
    m->slot = ns;
    m->cap = ncap;
    return 0;
}

int pt__map_reserve(struct pt__map *m)
{
    return (m->len + 1) * 4 > m->cap * 3 ? grow(m) : 0;
}

void pt__map_del_at(struct pt__map *m, uint64_t *v)
{
    size_t mask = m->cap - 1;
    size_t hole =
        (size_t)((struct pt__map_slot *)((char *)v - offsetof(struct pt__map_slot, v)) - m->slot);
    /* Backward shift: move later entries of the cluster into the hole when their home allows. */
    for (size_t k = (hole + 1) & mask; m->slot[k].used; k = (k + 1) & mask) {
        size_t home = pt__map_hash(m->slot[k].a, m->slot[k].b) & mask;
        int movable = hole <= k ? (home <= hole || home > k) : (home <= hole && home > k);
        if (movable) {
            m->slot[hole] = m->slot[k];
            hole = k;
        }
    }
    m->slot[hole].used = 0;
    m->len--;
}

int pt__map_del(struct pt__map *m, uint64_t a, uint64_t b)
{
    uint64_t *v = pt__map_find(m, a, b);
    if (!v)
        return 0;
    pt__map_del_at(m, v);
    return 1;
}

void pt__map_free(struct pt__map *m)
{
    free(m->slot);
    *m = (struct pt__map){0};
}

/* map.c — linear-probing hash map with backward-shift deletion (no tombstones, so memory and probe
 * length stay bounded by the live entries however many come and go over a long trace). */
#include "analyzer/map.h"

#include <errno.h>
#include <stdlib.h>

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

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
        size_t j = mix(s->a, s->b) & (ncap - 1);
        while (ns[j].used)
            j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    free(m->slot);
    m->slot = ns;
    m->cap = ncap;
    return 0;
}

int pt__map_put(struct pt__map *m, uint64_t a, uint64_t b, uint64_t v)
{
    if ((m->len + 1) * 4 > m->cap * 3) {
        int rc = grow(m);
        if (rc)
            return rc;
    }
    size_t j = mix(a, b) & (m->cap - 1);
    while (m->slot[j].used) {
        if (m->slot[j].a == a && m->slot[j].b == b) {
            m->slot[j].v = v;
            return 0;
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->slot[j] = (struct pt__map_slot){a, b, v, 1};
    m->len++;
    return 0;
}

int pt__map_get(const struct pt__map *m, uint64_t a, uint64_t b, uint64_t *v)
{
    if (!m->cap)
        return 0;
    size_t j = mix(a, b) & (m->cap - 1);
    while (m->slot[j].used) {
        if (m->slot[j].a == a && m->slot[j].b == b) {
            *v = m->slot[j].v;
            return 1;
        }
        j = (j + 1) & (m->cap - 1);
    }
    return 0;
}

int pt__map_del(struct pt__map *m, uint64_t a, uint64_t b)
{
    if (!m->cap)
        return 0;
    size_t mask = m->cap - 1, j = mix(a, b) & mask;
    while (m->slot[j].used && !(m->slot[j].a == a && m->slot[j].b == b))
        j = (j + 1) & mask;
    if (!m->slot[j].used)
        return 0;
    /* Backward shift: move later entries of the cluster into the hole when their home allows. */
    size_t hole = j;
    for (size_t k = (j + 1) & mask; m->slot[k].used; k = (k + 1) & mask) {
        size_t home = mix(m->slot[k].a, m->slot[k].b) & mask;
        int movable = hole <= k ? (home <= hole || home > k) : (home <= hole && home > k);
        if (movable) {
            m->slot[hole] = m->slot[k];
            hole = k;
        }
    }
    m->slot[hole].used = 0;
    m->len--;
    return 1;
}

void pt__map_free(struct pt__map *m)
{
    free(m->slot);
    *m = (struct pt__map){0};
}

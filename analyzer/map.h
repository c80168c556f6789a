/* map.h — an open-addressing hash map from a pair of u64 keys to a u64, for the analyzer's indexes.
 * Look-ups are inline: the model makes several for every event. */
#ifndef PT_ANALYZER_MAP_H
#define PT_ANALYZER_MAP_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

struct pt__map_slot {
    uint64_t a, b, v;
    uint8_t used;
};

/* A map; zero-initialised is an empty map. Keys are (a, b) pairs; values are u64. */
struct pt__map {
    struct pt__map_slot *slot;
    size_t cap; /* power of two, or 0 */
    size_t len;
};

/* Two odd multipliers and a fold of the high half into the low one, which the mask keeps: every
 * bit of both keys reaches the slot index (sequential inode numbers, pointer-like handles), in a
 * few instructions, as the model hashes several keys for every hold. */
static inline uint64_t pt__map_hash(uint64_t a, uint64_t b)
{
    uint64_t h = (a * 0x9E3779B97F4A7C15ull + b) * 0xff51afd7ed558ccdull;
    return h ^ (h >> 32);
}

/* The value of (a, b) in place, or NULL when absent. The pointer is valid until the map changes
 * (a put, a delete), and may be written to change the value. */
static inline uint64_t *pt__map_find(const struct pt__map *m, uint64_t a, uint64_t b)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t j = pt__map_hash(a, b) & mask; m->slot[j].used; j = (j + 1) & mask)
        if (m->slot[j].a == a && m->slot[j].b == b)
            return &m->slot[j].v;
    return NULL;
}

/* The value of (a, b) into *v; returns 1 when found, 0 otherwise (*v untouched). */
static inline int pt__map_get(const struct pt__map *m, uint64_t a, uint64_t b, uint64_t *v)
{
    const uint64_t *p = pt__map_find(m, a, b);
    if (p)
        *v = *p;
    return p != NULL;
}

/* Make room for one more entry (the map grows at three quarters full): 0 or -ENOMEM. */
int pt__map_reserve(struct pt__map *m);

/* The value of (a, b) in place, the entry added with value `v` when absent (*added says so); as
 * pt__map_find's. NULL when out of memory (map unchanged). */
static inline uint64_t *pt__map_add(struct pt__map *m, uint64_t a, uint64_t b, uint64_t v,
                                    int *added)
{
    if ((m->len + 1) * 4 > m->cap * 3 && pt__map_reserve(m))
        return NULL;
    size_t mask = m->cap - 1, j = pt__map_hash(a, b) & mask;
    for (; m->slot[j].used; j = (j + 1) & mask)
        if (m->slot[j].a == a && m->slot[j].b == b) {
            *added = 0;
            return &m->slot[j].v;
        }
    m->slot[j] = (struct pt__map_slot){a, b, v, 1};
    m->len++;
    *added = 1;
    return &m->slot[j].v;
}

/* Set (a, b) -> v, replacing any old value. Returns 0 or -ENOMEM (map unchanged). */
static inline int pt__map_put(struct pt__map *m, uint64_t a, uint64_t b, uint64_t v)
{
    int added;
    uint64_t *p = pt__map_add(m, a, b, v, &added);
    if (!p)
        return -ENOMEM;
    *p = v;
    return 0;
}

/* Remove (a, b); returns 1 when it was there. */
int pt__map_del(struct pt__map *m, uint64_t a, uint64_t b);

/* Remove the entry whose value `v` points at (from pt__map_find or pt__map_add, the map unchanged
 * since). */
void pt__map_del_at(struct pt__map *m, uint64_t *v);

void pt__map_free(struct pt__map *m);

#endif

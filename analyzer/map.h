/* map.h — an open-addressing hash map from a pair of u64 keys to a u64, for the analyzer's indexes.
 */
#ifndef PT_ANALYZER_MAP_H
#define PT_ANALYZER_MAP_H

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

/* Set (a, b) -> v, replacing any old value. Returns 0 or -ENOMEM (map unchanged). */
int pt__map_put(struct pt__map *m, uint64_t a, uint64_t b, uint64_t v);

/* The value of (a, b) into *v; returns 1 when found, 0 otherwise (*v untouched). */
int pt__map_get(const struct pt__map *m, uint64_t a, uint64_t b, uint64_t *v);

/* Remove (a, b); returns 1 when it was there. */
int pt__map_del(struct pt__map *m, uint64_t a, uint64_t b);

void pt__map_free(struct pt__map *m);

#endif

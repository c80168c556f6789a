/* fields.c — field access by name for decoded events, with a per-class index cache so the hot
 * path is one string compare instead of a scan. */
#include <string.h>

#include "analyzer/model.h"

const struct pt_value *pt__fld(const struct pt_event *ev, const char *name, uint8_t *cache)
{
    unsigned id = ev->id < PT__NIDS ? ev->id : 0;
    unsigned c = cache[id];
    if (c && c <= ev->nfields && ev->field[c - 1].name && !strcmp(ev->field[c - 1].name, name))
        return &ev->field[c - 1];
    for (unsigned i = 0; i < ev->nfields && i < PT_MAX_FIELDS; i++) {
        if (ev->field[i].name && !strcmp(ev->field[i].name, name)) {
            if (ev->id < PT__NIDS)
                cache[id] = (uint8_t)(i + 1);
            return &ev->field[i];
        }
    }
    return NULL;
}

uint64_t pt__fu(const struct pt_event *ev, const char *name, uint8_t *cache)
{
    const struct pt_value *v = pt__fld(ev, name, cache);
    if (!v || v->wire == PT_WIRE_STR)
        return 0;
    return v->u;
}

const char *pt__fs(const struct pt_event *ev, const char *name, uint8_t *cache)
{
    const struct pt_value *v = pt__fld(ev, name, cache);
    if (!v || v->wire != PT_WIRE_STR || !v->str.s)
        return "";
    return v->str.s;
}

/* decode.c — one event record (CTF layout of ctf_meta.c) into a struct pt_event, bounds-checked. */
#include <string.h>

#include "tracer/internal.h"

static inline __attribute__((always_inline)) uint64_t get(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    memcpy(&v, p, n); /* little-endian hosts only: the ring header records the byte order */
    return v;
}

int pt__decode_record(const uint8_t *p, size_t avail, uint64_t *ts, struct pt_event *ev,
                      const char **why)
{
    const uint8_t *q = p, *end = p + avail;
    unsigned id;

#define NEED(n)                                                                                    \
    do {                                                                                           \
        if ((size_t)(end - q) < (size_t)(n)) {                                                     \
            *why = "record runs past the end of the packet";                                       \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

    NEED(1);
    if (q[0] == 0)
        return 0;
    if (q[0] == PT__ID_EXT) {
        NEED(PT__HDR_EXT);
        id = (unsigned)get(q + 1, 2);
        uint64_t t = get(q + 3, 8);
        if (t < *ts) {
            *why = "timestamp goes backwards";
            return -1;
        }
        *ts = t;
        q += PT__HDR_EXT;
    } else {
        NEED(PT__HDR_COMPACT);
        id = q[0];
        uint64_t lo = get(q + 1, 4);
        uint64_t t = (*ts & ~0xffffffffull) | lo;
        if (t < *ts)
            t += 1ull << 32;
        *ts = t;
        q += PT__HDR_COMPACT;
    }
    if (id == 0 || id - 1 >= pt__nclasses) {
        *why = "unknown event class id";
        return -1;
    }
    id -= 1;
    const struct pt__class *cl = &pt__classes[id];
    ev->id = (uint16_t)id;
    ev->ts = *ts;
    ev->ts_enter = *ts;
    ev->depth = 0;
    ev->ret = 0;
    ev->err = 0;
    ev->nframes = 0;
    ev->nfields = 0;
    if (cl->is_call) {
        NEED(1);
        uint8_t f = *q++;
        uint64_t dur;
        ev->depth = f & PT__CF_DEPTH_MASK;
        if (f & PT__CF_WIDE_DUR) {
            NEED(8);
            dur = get(q, 8);
            q += 8;
        } else {
            NEED(4);
            dur = get(q, 4);
            q += 4;
        }
        if (dur > ev->ts) {
            *why = "call duration longer than the clock";
            return -1;
        }
        ev->ts_enter = ev->ts - dur;
        if (f & PT__CF_WIDE_RET) {
            NEED(8);
            ev->ret = (int64_t)get(q, 8);
            q += 8;
        } else {
            NEED(4);
            ev->ret = (int32_t)(uint32_t)get(q, 4);
            q += 4;
        }
        NEED(4);
        ev->err = (int32_t)(uint32_t)get(q, 4);
        q += 4;
        if (f & PT__CF_STACK) {
            NEED(1);
            unsigned n = *q++;
            NEED(8 * (size_t)n);
            for (unsigned i = 0; i < n; i++)
                if (i < PT_MAX_FRAMES)
                    ev->frame[i] = get(q + 8 * i, 8);
            ev->nframes = (uint8_t)(n < PT_MAX_FRAMES ? n : PT_MAX_FRAMES);
            q += 8 * (size_t)n;
        }
    }
    for (unsigned i = 0; i < cl->nfields && i < PT_MAX_FIELDS; i++) {
        struct pt_value *v = &ev->field[i];
        v->wire = cl->fields[i].wire;
        v->name = cl->fields[i].name;
        /* fixed-size loads per wire type: a load of a known size is one instruction */
        switch (v->wire) {
        case PT_WIRE_STR: {
            const uint8_t *z = memchr(q, 0, (size_t)(end - q));
            if (!z) {
                *why = "unterminated string";
                return -1;
            }
            v->str.s = (const char *)q;
            v->str.len = (uint32_t)(z - q);
            q = z + 1;
            break;
        }
        case PT_WIRE_U8:
            NEED(1);
            v->u = *q++;
            break;
        case PT_WIRE_U16:
            NEED(2);
            v->u = get(q, 2);
            q += 2;
            break;
        case PT_WIRE_U32:
            NEED(4);
            v->u = get(q, 4);
            q += 4;
            break;
        case PT_WIRE_I32:
            NEED(4);
            v->i = (int32_t)(uint32_t)get(q, 4);
            q += 4;
            break;
        default:
            NEED(8);
            v->u = get(q, 8);
            q += 8;
            break;
        }
    }
    ev->nfields = cl->nfields < PT_MAX_FIELDS ? cl->nfields : PT_MAX_FIELDS;
    return (int)(q - p);
#undef NEED
}

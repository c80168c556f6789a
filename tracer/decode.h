/* decode.h — one event record (CTF layout of ctf_meta.c) into a struct pt_event, bounds-checked
 * (internal to the tracer). pt__decode_record (internal.h) is this decoder out of line; the reader
 * (source.c) has it inline, in the loop that runs once per event of a trace.
 *
 * Each class's fields are decoded by code generated from its field list, the lists classes.c and
 * ctf_meta.c expand too: a switch on the class id, then for each field a load of its wire size and
 * one bounds check, in straight-line code whose field indices are constants. A reader decodes every
 * field of millions of records, so no field pays for a look-up of its wire type at run time. */
#ifndef PT_TRACER_DECODE_H
#define PT_TRACER_DECODE_H

#include <stdint.h>
#include <string.h>

#include "proftrace/calls.h"
#include "tracer/internal.h"

static inline __attribute__((always_inline)) uint64_t pt__get(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    memcpy(&v, p, n); /* little-endian hosts only: the ring header records the byte order */
    return v;
}

/* A call's head (after the record header): depth, duration, result, error, stack. The position
 * after it, or NULL with *why set. */
static inline __attribute__((always_inline)) const uint8_t *
pt__call_head(const uint8_t *q, const uint8_t *end, struct pt_event *ev, const char **why)
{
    enum { NARROW = 1 + 4 + 4 + 4, WIDE = 1 + 8 + 8 + 4 }; /* flags, duration, ret, err */
    size_t left = (size_t)(end - q);
    if (left < NARROW)
        goto past;
    uint8_t f = *q++;
    uint64_t dur;
    if (left < WIDE &&
        left < NARROW + (f & PT__CF_WIDE_DUR ? 4u : 0u) + (f & PT__CF_WIDE_RET ? 4u : 0u))
        goto past;
    ev->depth = f & PT__CF_DEPTH_MASK;
    if (f & PT__CF_WIDE_DUR) {
        dur = pt__get(q, 8);
        q += 8;
    } else {
        dur = pt__get(q, 4);
        q += 4;
    }
    if (dur > ev->ts) {
        *why = "call duration longer than the clock";
        return NULL;
    }
    ev->ts_enter = ev->ts - dur;
    if (f & PT__CF_WIDE_RET) {
        ev->ret = (int64_t)pt__get(q, 8);
        q += 8;
    } else {
        ev->ret = (int32_t)(uint32_t)pt__get(q, 4);
        q += 4;
    }
    ev->err = (int32_t)(uint32_t)pt__get(q, 4);
    q += 4;
    ev->nframes = 0;
    if (f & PT__CF_STACK) {
        if (q == end)
            goto past;
        unsigned n = *q++;
        if ((size_t)(end - q) < 8 * (size_t)n)
            goto past;
        unsigned keep = n < PT_MAX_FRAMES ? n : PT_MAX_FRAMES;
        memcpy(ev->frame, q, 8 * (size_t)keep);
        ev->nframes = (uint8_t)keep;
        q += 8 * (size_t)n;
    }
    return q;
past:
    *why = "record runs past the end of the packet";
    return NULL;
}

/* Field k of the class being decoded, of each wire type: its value, wire type and name. A field
 * past PT_MAX_FIELDS is read over but not kept (k is a constant: the test costs nothing). */
#define NEED(n)                                                                                    \
    if ((size_t)(end - q) < (size_t)(n))                                                           \
        goto past;
#define KEEP(wire_, val_field, val)                                                                \
    if (k < PT_MAX_FIELDS) {                                                                       \
        ev->field[k].wire = wire_;                                                                 \
        ev->field[k].name = fd[k].name;                                                            \
        ev->field[k].val_field = val;                                                              \
    }
#define FIXED(wire_, n, val_field, val)                                                            \
    NEED(n)                                                                                        \
    KEEP(wire_, val_field, val)                                                                    \
    q += n;                                                                                        \
    k++;
#define FIELD_U8 FIXED(PT_WIRE_U8, 1, u, *q)
#define FIELD_U16 FIXED(PT_WIRE_U16, 2, u, pt__get(q, 2))
#define FIELD_U32 FIXED(PT_WIRE_U32, 4, u, pt__get(q, 4))
#define FIELD_I32 FIXED(PT_WIRE_I32, 4, i, (int32_t)(uint32_t)pt__get(q, 4))
#define FIELD_U64 FIXED(PT_WIRE_U64, 8, u, pt__get(q, 8))
#define FIELD_I64 FIXED(PT_WIRE_I64, 8, u, pt__get(q, 8))
#define FIELD_X64 FIXED(PT_WIRE_X64, 8, u, pt__get(q, 8))
#define FIELD_STR                                                                                  \
    {                                                                                              \
        const uint8_t *z = memchr(q, 0, (size_t)(end - q));                                        \
        if (!z)                                                                                    \
            goto unterminated;                                                                     \
        if (k < PT_MAX_FIELDS) {                                                                   \
            ev->field[k].wire = PT_WIRE_STR;                                                       \
            ev->field[k].name = fd[k].name;                                                        \
            ev->field[k].str.s = (const char *)q;                                                  \
            ev->field[k].str.len = (uint32_t)(z - q);                                              \
        }                                                                                          \
        q = z + 1;                                                                                 \
        k++;                                                                                       \
    }
#define W(wire, n) FIELD_##wire
#define CAP(cap, n) PT_CAP_##cap(W, n)
#define EV_CASE(name, fields)                                                                      \
    case PT_EV_##name: {                                                                           \
        unsigned k = 0;                                                                            \
        ev->ts_enter = ev->ts;                                                                     \
        ev->depth = 0;                                                                             \
        ev->ret = 0;                                                                               \
        ev->err = 0;                                                                               \
        ev->nframes = 0;                                                                           \
        fields ev->nfields = (uint16_t)(k < PT_MAX_FIELDS ? k : PT_MAX_FIELDS);                    \
        break;                                                                                     \
    }
#define CALL_CASE(name, cat, hook, cret, cparams, cargs, retk, fields)                             \
    case PT_EV_CALL_FIRST + PT_CALL_##name: {                                                      \
        unsigned k = 0;                                                                            \
        if (!(q = pt__call_head(q, end, ev, why)))                                                 \
            return -1;                                                                             \
        fields ev->nfields = (uint16_t)(k < PT_MAX_FIELDS ? k : PT_MAX_FIELDS);                    \
        break;                                                                                     \
    }

/* Decode the record at p (at most avail bytes) into *ev, as pt__decode_record (internal.h) says. */
static inline __attribute__((always_inline)) int
pt__decode(const uint8_t *p, size_t avail, uint64_t *ts, struct pt_event *ev, const char **why)
{
    const uint8_t *q = p, *end = p + avail;
    unsigned id;

    if (avail == 0)
        goto past;
    if (q[0] == 0)
        return 0;
    if (q[0] == PT__ID_EXT) {
        NEED(PT__HDR_EXT);
        id = (unsigned)pt__get(q + 1, 2);
        uint64_t t = pt__get(q + 3, 8);
        if (t < *ts) {
            *why = "timestamp goes backwards";
            return -1;
        }
        *ts = t;
        q += PT__HDR_EXT;
    } else {
        NEED(PT__HDR_COMPACT);
        id = q[0];
        uint64_t lo = pt__get(q + 1, 4);
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
    const struct pt__field_desc *fd = pt__classes[id].fields;
    ev->id = (uint16_t)id;
    ev->ts = *ts;
    ev->nfields = 0; /* until the record is whole */
    switch (id) {
        PT_EVENTS(EV_CASE, W)
        PT_CALLS(CALL_CASE, CAP)
    default: /* not reached: the id was checked against the table */
        *why = "unknown event class id";
        return -1;
    }
    return (int)(q - p);
past:
    *why = "record runs past the end of the packet";
    return -1;
unterminated:
    *why = "unterminated string";
    return -1;
}

#undef NEED
#undef KEEP
#undef FIXED
#undef FIELD_U8
#undef FIELD_U16
#undef FIELD_U32
#undef FIELD_I32
#undef FIELD_U64
#undef FIELD_I64
#undef FIELD_X64
#undef FIELD_STR
#undef W
#undef CAP
#undef EV_CASE
#undef CALL_CASE

#endif

/* decode.h — one event record (CTF layout of ctf_meta.c) into a struct pt_event, bounds-checked
 * (internal to the tracer). pt__decode_record (internal.h) is this decoder out of line; the reader
 * (source.c) has it inline, in the loop that runs once per event of a trace.
 *
 * The record header is decoded here; the rest by the decoder of its class (decode.c), a function
 * generated from the class's field list (the lists classes.c and ctf_meta.c expand too): for each
 * field a load of its wire size and one bounds check, in straight-line code whose field indices
 * are constants. A reader decodes every field of millions of records, so no field pays for a
 * look-up of its wire type at run time; one function per class keeps each one small, for the
 * compiler as for the instruction cache. */
#ifndef PT_TRACER_DECODE_H
#define PT_TRACER_DECODE_H

#include <stdint.h>
#include <string.h>

#include "tracer/internal.h"

static inline __attribute__((always_inline)) uint64_t pt__get(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    memcpy(&v, p, n); /* little-endian hosts only: the ring header records the byte order */
    return v;
}

/* The decoder of one class: the record's body from q (below end) into *ev (call head, fields,
 * nfields; ev->ts is set). Returns the position after the record, or NULL when the body is not
 * valid (pt__body_fault says why). */
typedef const uint8_t *pt__body_decoder(const uint8_t *q, const uint8_t *end, struct pt_event *ev);
extern pt__body_decoder *const pt__body_decoders[]; /* by class id, pt__nclasses of them */

/* What is wrong with the body at q (below end) of a record of class id stamped ts, which its
 * decoder refused. */
const char *pt__body_fault(const uint8_t *q, const uint8_t *end, unsigned id, uint64_t ts);

/* Decode the record at p (at most avail bytes) into *ev, as pt__decode_record (internal.h) says. */
static inline __attribute__((always_inline)) int
pt__decode(const uint8_t *p, size_t avail, uint64_t *ts, struct pt_event *ev, const char **why)
{
    const uint8_t *q = p;
    unsigned id;

    if (avail == 0)
        goto past;
    if (q[0] == 0)
        return 0;
    if (q[0] == PT__ID_EXT) {
        if (avail < PT__HDR_EXT)
            goto past;
        id = (unsigned)pt__get(q + 1, 2);
        uint64_t t = pt__get(q + 3, 8);
        if (t < *ts) {
            *why = "timestamp goes backwards";
            return -1;
        }
        *ts = t;
        q += PT__HDR_EXT;
    } else {
        if (avail < PT__HDR_COMPACT)
            goto past;
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
    ev->id = (uint16_t)id;
    ev->ts = *ts;
    ev->nfields = 0; /* until the record is whole */
    const uint8_t *body = q;
    if (!(q = pt__body_decoders[id](body, p + avail, ev))) {
        *why = pt__body_fault(body, p + avail, id, ev->ts);
        return -1;
    }
    return (int)(q - p);
past:
    *why = "record runs past the end of the packet";
    return -1;
}

#endif

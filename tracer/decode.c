/* decode.c — the decoder of each event class's record body, generated from its field list, and
 * the record decoder of decode.h out of line, for readers of single records (the collector's walk
 * over a packet it drains). */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "proftrace/calls.h"
#include "tracer/decode.h"

/* The NUL ending the string at q, or NULL when there is none before end. Strings are short and
 * there is one or more in most records: they are scanned 16 bytes at a time in line, never
 * reading at or past end; the last bytes of a packet go to memchr. */
static inline __attribute__((always_inline)) const uint8_t *str_end(const uint8_t *q,
                                                                    const uint8_t *end)
{
#ifdef __SSE2__
    const __m128i zero = _mm_setzero_si128();
    for (; end - q >= 16; q += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)q), zero));
        if (m)
            return q + __builtin_ctz(m);
    }
#endif
    return memchr(q, 0, (size_t)(end - q));
}

/* A call's head (after the record header): depth, duration, result, error, stack. The position
 * after it, or NULL with *why set. Checked in the order of its fields, each as it is reached. (The
 * decoders below ignore why: pt__body_fault asks again when one refuses a record.) */
static inline __attribute__((always_inline)) const uint8_t *
call_head(const uint8_t *q, const uint8_t *end, struct pt_event *ev, const char **why)
{
    if (end - q < 1 + 4) /* flags, a narrow duration */
        goto past;
    uint8_t f = *q++;
    uint64_t dur;
    ev->depth = f & PT__CF_DEPTH_MASK;
    if (f & PT__CF_WIDE_DUR) {
        if (end - q < 8)
            goto past;
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
    if (end - q < (f & PT__CF_WIDE_RET ? 8 : 4) + 4) /* result, error */
        goto past;
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

/* What is wrong with the fields of a body that failed a check of its decoder below: walked in
 * order, each checked as it is reached, the first one that does not fit named. */
static const char *fields_fault(const uint8_t *q, const uint8_t *end, unsigned id)
{
    static const uint8_t size[] = {[PT_WIRE_U8] = 1, [PT_WIRE_U16] = 2, [PT_WIRE_U32] = 4,
                                   [PT_WIRE_U64] = 8, [PT_WIRE_I32] = 4, [PT_WIRE_I64] = 8,
                                   [PT_WIRE_X64] = 8};
    const struct pt__class *cl = &pt__classes[id];
    for (unsigned k = 0; k < cl->nfields; k++) {
        if (cl->fields[k].wire == PT_WIRE_STR) {
            const uint8_t *z = memchr(q, 0, (size_t)(end - q));
            if (!z)
                return "unterminated string";
            q = z + 1;
        } else {
            if ((size_t)(end - q) < size[cl->fields[k].wire])
                return "record runs past the end of the packet";
            q += size[cl->fields[k].wire];
        }
    }
    return "record runs past the end of the packet"; /* not reached: a check failed */
}

/* Bytes of each class's fixed-size fields together (strings count 0): fixed_ev_<name>,
 * fixed_call_<name>. */
#define SIZE_U8 1
#define SIZE_U16 2
#define SIZE_U32 4
#define SIZE_I32 4
#define SIZE_U64 8
#define SIZE_I64 8
#define SIZE_X64 8
#define SIZE_STR 0
#define W(wire, n) +SIZE_##wire /* PT_NS_FIELD and PT_WITNESS_IDENT write their fields with W */
#define CAP(cap, n) PT_CAP_##cap(W, n)
#define EV_FIXED(name, field_list) fixed_ev_##name = 0 field_list,
#define CALL_FIXED(name, cat, hook, cret, cparams, cargs, retk, field_list)                        \
    fixed_call_##name = 0 field_list,
enum { PT_EVENTS(EV_FIXED, W) PT_CALLS(CALL_FIXED, CAP) };
#undef W
#undef CAP

/* Field k of the class being decoded, of each wire type: its value (the name and wire type are
 * the class's). The fixed-size fields are not checked one by one: the body must hold every fixed
 * field still to come (`left` bytes, a constant at each point), which is checked where the body
 * begins and again after each string. A valid record always passes (each string takes a byte at
 * least); one that does not is walked again by pt__body_fault, which names what is wrong exactly
 * as a check of each field would. The decoders say nothing: their caller asks it, so they keep
 * fewer registers. A field past PT_MAX_FIELDS is read over but not kept (k is a
 * constant: the test costs nothing). */
#define ROOM                                                                                       \
    if ((size_t)(end - q) < left)                                                                  \
        goto bad;
#define FIXED(n, val_field, val)                                                                   \
    if (k < PT_MAX_FIELDS)                                                                         \
        ev->field[k].val_field = val;                                                              \
    q += n;                                                                                        \
    left -= n;                                                                                     \
    k++;
#define FIELD_U8 FIXED(1, u, *q)
#define FIELD_U16 FIXED(2, u, pt__get(q, 2))
#define FIELD_U32 FIXED(4, u, pt__get(q, 4))
#define FIELD_I32 FIXED(4, i, (int32_t)(uint32_t)pt__get(q, 4))
#define FIELD_U64 FIXED(8, u, pt__get(q, 8))
#define FIELD_I64 FIXED(8, u, pt__get(q, 8))
#define FIELD_X64 FIXED(8, u, pt__get(q, 8))
#define FIELD_STR                                                                                  \
    {                                                                                              \
        const uint8_t *z = str_end(q, end);                                                        \
        if (!z)                                                                                    \
            goto bad;                                                                              \
        if (k < PT_MAX_FIELDS) {                                                                   \
            ev->field[k].str.s = (const char *)q;                                                  \
            ev->field[k].str.len = (uint32_t)(z - q);                                              \
        }                                                                                          \
        q = z + 1;                                                                                 \
        k++;                                                                                       \
        ROOM                                                                                       \
    }
#define W(wire, n) FIELD_##wire
#define CAP(cap, n) PT_CAP_##cap(W, n)
#define BODY(fixed, field_list)                                                                    \
    size_t left = fixed;                                                                           \
    unsigned k = 0;                                                                                \
    ROOM field_list;                                                                               \
    ev->nfields = (uint16_t)(k < PT_MAX_FIELDS ? k : PT_MAX_FIELDS);                               \
    return q;                                                                                      \
    bad:                                                                                           \
    return NULL;
#define EV_BODY(name, field_list)                                                                  \
    static const uint8_t *body_ev_##name(const uint8_t *q, const uint8_t *end,                     \
                                         struct pt_event *ev)                                      \
    {                                                                                              \
        ev->ts_enter = ev->ts;                                                                     \
        ev->depth = 0;                                                                             \
        ev->ret = 0;                                                                               \
        ev->err = 0;                                                                               \
        ev->nframes = 0;                                                                           \
        BODY(fixed_ev_##name, field_list)                                                          \
    }
#define CALL_BODY(name, cat, hook, cret, cparams, cargs, retk, field_list)                         \
    static const uint8_t *body_call_##name(const uint8_t *q, const uint8_t *end,                   \
                                           struct pt_event *ev)                                    \
    {                                                                                              \
        const char *why;                                                                           \
        if (!(q = call_head(q, end, ev, &why)))                                                    \
            return NULL;                                                                           \
        BODY(fixed_call_##name, field_list)                                                        \
    }
PT_EVENTS(EV_BODY, W)
PT_CALLS(CALL_BODY, CAP)

pt__body_decoder *const pt__body_decoders[] = {
#define EV_ROW(name, fields) body_ev_##name,
    PT_EVENTS(EV_ROW, _)
#undef EV_ROW
#define CALL_ROW(name, cat, hook, cret, cparams, cargs, retk, fields) body_call_##name,
        PT_CALLS(CALL_ROW, _)
#undef CALL_ROW
};
_Static_assert(sizeof pt__body_decoders / sizeof pt__body_decoders[0] ==
                   PT_EV_CALL_FIRST + PT_CALL_COUNT,
               "a decoder for every class");

const char *pt__body_fault(const uint8_t *q, const uint8_t *end, unsigned id, uint64_t ts)
{
    const char *why = NULL;
    if (id >= PT_EV_CALL_FIRST) {
        struct pt_event scratch;
        scratch.ts = ts;
        if (!(q = call_head(q, end, &scratch, &why)))
            return why;
    }
    return fields_fault(q, end, id);
}

int pt__decode_record(const uint8_t *p, size_t avail, uint64_t *ts, struct pt_event *ev,
                      const char **why)
{
    return pt__decode(p, avail, ts, ev, why);
}

/* decode.c — the decoder of each event class's record body, generated from its field list, and
 * the record decoder of decode.h out of line, for readers of single records (the collector's walk
 * over a packet it drains). */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "proftrace/calls.h"
#include "tracer/decode.h"

/* The bodies are generated: one without a string has no use for `unterminated`, one without a
 * fixed-size field none for `past`. */
#pragma GCC diagnostic ignored "-Wunused-label"

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
 * after it, or NULL with *why set. Checked in the order of its fields, each as it is reached. */
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
        const uint8_t *z = str_end(q, end);                                                        \
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
#define BODY_END                                                                                   \
    ev->nfields = (uint16_t)(k < PT_MAX_FIELDS ? k : PT_MAX_FIELDS);                               \
    return q;                                                                                      \
    past:                                                                                          \
    *why = "record runs past the end of the packet";                                               \
    return NULL;                                                                                   \
    unterminated:                                                                                  \
    *why = "unterminated string";                                                                  \
    return NULL;
#define EV_BODY(name, field_list)                                                                  \
    static const uint8_t *body_ev_##name(const uint8_t *q, const uint8_t *end,                     \
                                         struct pt_event *ev, const char **why)                    \
    {                                                                                              \
        const struct pt__field_desc *fd = pt__classes[PT_EV_##name].fields;                        \
        unsigned k = 0;                                                                            \
        (void)fd;                                                                                  \
        ev->ts_enter = ev->ts;                                                                     \
        ev->depth = 0;                                                                             \
        ev->ret = 0;                                                                               \
        ev->err = 0;                                                                               \
        ev->nframes = 0;                                                                           \
        field_list BODY_END                                                                        \
    }
#define CALL_BODY(name, cat, hook, cret, cparams, cargs, retk, field_list)                         \
    static const uint8_t *body_call_##name(const uint8_t *q, const uint8_t *end,                   \
                                           struct pt_event *ev, const char **why)                  \
    {                                                                                              \
        const struct pt__field_desc *fd = pt__classes[PT_EV_CALL_FIRST + PT_CALL_##name].fields;   \
        unsigned k = 0;                                                                            \
        (void)fd;                                                                                  \
        if (!(q = call_head(q, end, ev, why)))                                                     \
            return NULL;                                                                           \
        field_list BODY_END                                                                        \
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

int pt__decode_record(const uint8_t *p, size_t avail, uint64_t *ts, struct pt_event *ev,
                      const char **why)
{
    return pt__decode(p, avail, ts, ev, why);
}

/* events.c — encoders of the non-call event classes, generated from PT_EVENTS (event.h). */
#include <string.h>

#include "preload/shim.h"

#define PT__ESZ_U8(x) 1
#define PT__ESZ_U16(x) 2
#define PT__ESZ_U32(x) 4
#define PT__ESZ_I32(x) 4
#define PT__ESZ_U64(x) 8
#define PT__ESZ_I64(x) 8
#define PT__ESZ_X64(x) 8
#define PT__ESZ_STR(x) pt_size_str(strnlen((x) ? (x) : "", PT__STR_MAX))
#define PT__EENC_U8(x) pt_enc_u8(&e, (x));
#define PT__EENC_U16(x) pt_enc_u16(&e, (x));
#define PT__EENC_U32(x) pt_enc_u32(&e, (x));
#define PT__EENC_I32(x) pt_enc_i32(&e, (x));
#define PT__EENC_U64(x) pt_enc_u64(&e, (x));
#define PT__EENC_I64(x) pt_enc_i64(&e, (x));
#define PT__EENC_X64(x) pt_enc_x64(&e, (x));
#define PT__EENC_STR(x) pt_enc_str(&e, (x) ? (x) : "", strnlen((x) ? (x) : "", PT__STR_MAX));

static int pt__put_begin(struct pt_tbuf **b, uint16_t id, uint64_t ts, size_t size,
                         struct pt_enc *e)
{
    if (!*b)
        *b = pt__tbuf();
    if (!*b) {
        if (pt__ring)
            pt_ring_lost(pt__ring, 1);
        return -ENOBUFS;
    }
    return pt_tbuf_begin_keep(*b, id, ts, size, pt__event_keep(id, NULL), e);
}

/* Sizes first, in one expansion of the field list... */
#define W(wire, n) +PT__ESZ_##wire(v->n)
#define PT__EV_SIZE(name, fields)                                                                  \
    static size_t pt__size_##name(const struct pt__ev_##name *v)                                   \
    {                                                                                              \
        return 0 fields;                                                                           \
    }
PT_EVENTS(PT__EV_SIZE, W)
#undef W

/* ...then the encoders, in another. */
#define W(wire, n) PT__EENC_##wire(v->n)
#define PT__EV_PUT_DEF(name, fields)                                                               \
    int pt__put_##name(struct pt_tbuf *b, uint64_t ts, const struct pt__ev_##name *v)              \
    {                                                                                              \
        struct pt_enc e;                                                                           \
        int rc = pt__put_begin(&b, PT_EV_##name, ts ? ts : pt__clock(), pt__size_##name(v), &e);   \
        if (rc < 0)                                                                                \
            return rc;                                                                             \
        fields pt_tbuf_commit(b, &e);                                                              \
        return 0;                                                                                  \
    }
PT_EVENTS(PT__EV_PUT_DEF, W)
#undef W

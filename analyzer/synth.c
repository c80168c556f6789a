/* synth.c — hand-built decoded events, laid out from the one table (see synth.h). */
#include <errno.h>
#include <string.h>

#include "analyzer/model.h"
#include "analyzer/synth.h"

const char *pt__synth_ret_dev_name = "fd_dev", *pt__synth_ret_ino_name = "fd_ino";

struct fdesc {
    uint8_t wire;
    const char *name;
};

#define W(wire, name) {PT_WIRE_##wire, #name},
#define EV_FIELDS(name, fields) static const struct fdesc ev_##name[] = {fields{0, NULL}};
PT_EVENTS(EV_FIELDS, W)
#undef EV_FIELDS
#define F(kind, n) PT_CAP_##kind(W, n)
#define CALL_FIELDS(name, cat, hook, cret, cparams, cargs, retk, fields)                           \
    static const struct fdesc call_##name[] = {fields{0, NULL}};
PT_CALLS(CALL_FIELDS, F)
#undef CALL_FIELDS
#undef F
#undef W

static const struct fdesc *const table[PT__NIDS] = {
#define EV_ROW(name, fields) ev_##name,
    PT_EVENTS(EV_ROW, _)
#undef EV_ROW
#define CALL_ROW(name, cat, hook, cret, cparams, cargs, retk, fields) call_##name,
        PT_CALLS(CALL_ROW, _)
#undef CALL_ROW
};

static const int ret_kind[PT_CALL_COUNT] = {
#define CALL_RK(name, cat, hook, cret, cparams, cargs, retk, fields) retk,
    PT_CALLS(CALL_RK, _)
#undef CALL_RK
};

/* The descriptor identity pt__synth gives an FD-returning call whose class does not list it. */
static const struct fdesc ret_fd[] = {{PT_WIRE_U64, "fd_dev"}, {PT_WIRE_U64, "fd_ino"}, {0, NULL}};

static unsigned class_fields(unsigned id)
{
    unsigned n = 0;
    while (table[id][n].name)
        n++;
    return n;
}

/* The name and wire type of field i of a built event: its class's, or one pt__synth added after
 * them (NULL past those). */
static const struct fdesc *field_desc(const struct pt_event *ev, unsigned i)
{
    if (ev->id >= PT__NIDS || i >= ev->nfields)
        return NULL;
    unsigned n = class_fields(ev->id);
    return i < n ? &table[ev->id][i] : i - n < 2 ? &ret_fd[i - n] : NULL;
}

void pt__synth(struct pt_event *ev, unsigned id, uint32_t pid, uint32_t tid, uint64_t ts)
{
    ev->id = (uint16_t)id;
    ev->pid = pid;
    ev->tid = tid;
    ev->stream = pid;
    ev->ts = ev->ts_enter = ts;
    ev->depth = 0;
    ev->ret = 0;
    ev->err = 0;
    ev->nframes = 0;
    ev->nfields = 0;
    if (id >= PT__NIDS)
        return;
    int has = 0;
    for (const struct fdesc *f = table[id]; f->name && ev->nfields < PT_MAX_FIELDS; f++) {
        struct pt_value *v = &ev->field[ev->nfields++];
        if (f->wire == PT_WIRE_STR) {
            v->str.s = "";
            v->str.len = 0;
        } else {
            v->u = 0;
        }
        has |= !strcmp(f->name, pt__synth_ret_dev_name);
    }
    if (!has && id >= PT_EV_CALL_FIRST && ret_kind[id - PT_EV_CALL_FIRST] == PT_RET_FD_ERRNO &&
        ev->nfields + 2 <= PT_MAX_FIELDS) {
        ev->field[ev->nfields++].u = 0;
        ev->field[ev->nfields++].u = 0;
    }
}

int pt__synth_u(struct pt_event *ev, const char *name, uint64_t v)
{
    const struct fdesc *f;
    for (unsigned i = 0; (f = field_desc(ev, i)); i++)
        if (!strcmp(f->name, name) && f->wire != PT_WIRE_STR) {
            ev->field[i].u = v;
            return 0;
        }
    return -ENOENT;
}

int pt__synth_s(struct pt_event *ev, const char *name, const char *s)
{
    const struct fdesc *f;
    for (unsigned i = 0; (f = field_desc(ev, i)); i++)
        if (!strcmp(f->name, name) && f->wire == PT_WIRE_STR) {
            ev->field[i].str.s = s;
            ev->field[i].str.len = (uint32_t)strlen(s);
            return 0;
        }
    return -ENOENT;
}

#include "proftrace/ring.h"

int pt__synth_write(struct pt_tbuf *b, const struct pt_event *ev)
{
    int call = ev->id >= PT_EV_CALL_FIRST;
    size_t size = call ? pt_size_call(ev->ts_enter, ev->ts, ev->ret, ev->nframes) : 0;
    /* only the table's fields go on the wire (pt__synth may have added the descriptor identity
     * of a call table that does not list it yet) */
    unsigned nf = ev->id < PT__NIDS ? class_fields(ev->id) : 0;
    if (nf > ev->nfields)
        nf = ev->nfields;
    for (unsigned i = 0; i < nf; i++)
        size += table[ev->id][i].wire == PT_WIRE_STR ? pt_size_str(ev->field[i].str.len)
                                                     : pt_size_wire(table[ev->id][i].wire);
    struct pt_enc e;
    int rc = pt_tbuf_begin(b, ev->id, ev->ts, size, &e);
    if (rc)
        return rc;
    if (call)
        pt_enc_call(&e, ev->ts_enter, ev->ts, ev->depth, ev->ret, ev->err, ev->frame, ev->nframes);
    for (unsigned i = 0; i < nf; i++) {
        const struct pt_value *v = &ev->field[i];
        switch (table[ev->id][i].wire) {
        case PT_WIRE_U8:
            pt_enc_u8(&e, (uint8_t)v->u);
            break;
        case PT_WIRE_U16:
            pt_enc_u16(&e, (uint16_t)v->u);
            break;
        case PT_WIRE_U32:
            pt_enc_u32(&e, (uint32_t)v->u);
            break;
        case PT_WIRE_I32:
            pt_enc_i32(&e, (int32_t)v->i);
            break;
        case PT_WIRE_I64:
            pt_enc_i64(&e, v->i);
            break;
        case PT_WIRE_STR:
            pt_enc_str(&e, v->str.s, v->str.len);
            break;
        default:
            pt_enc_u64(&e, v->u);
            break;
        }
    }
    pt_tbuf_commit(b, &e);
    return 0;
}

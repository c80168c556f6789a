/* witness_record.c — encodes witnessed deletions as `witnessed` / `witnessed_shm` events (event.h)
 * into the witness's ring, fields in the order PT_EVENTS lists them. */
#include <errno.h>
#include <string.h>

#include "proftrace/event.h"
#include "proftrace/ring.h"
#include "tracer/witness_internal.h"

static size_t ident_size(const struct pt__wident *id)
{
    return 4 + pt_size_str(strlen(pt__wident_state_name(id->state))) + 4 + 8 + 4 * 4 +
           8 * PT__WNS + pt_size_str(strlen(id->exe)) + pt_size_str(strlen(id->cmdline));
}

static void ident_put(struct pt_enc *e, const struct pt__wident *id)
{
    const char *st = pt__wident_state_name(id->state);
    pt_enc_u32(e, id->pid);
    pt_enc_str(e, st, strlen(st));
    pt_enc_u32(e, id->ppid);
    pt_enc_u64(e, id->start_time);
    pt_enc_u32(e, id->uid);
    pt_enc_u32(e, id->euid);
    pt_enc_u32(e, id->sessionid);
    pt_enc_u32(e, id->loginuid);
    for (unsigned i = 0; i < PT__WNS; i++)
        pt_enc_u64(e, id->ns[i]);
    pt_enc_str(e, id->exe, strlen(id->exe));
    pt_enc_str(e, id->cmdline, strlen(id->cmdline));
}

/* The wire layout above must be the one event.h declares: 8 fixed fields + 8 namespaces + 2. */
#define W(wire, n) +1
_Static_assert(0 PT_WITNESS_IDENT(W) == 18, "PT_WITNESS_IDENT changed: update ident_put");
#undef W

int pt__wrec_del(struct pt_tbuf *b, uint64_t ts, const struct pt__wdel *d)
{
    struct pt_enc e;
    size_t lhow = strlen(d->how), lvia = strlen(d->via), lpath = strlen(d->path),
           lname = strlen(d->name), lnew = strlen(d->new_path);
    size_t size = pt_size_str(lhow) + pt_size_str(lvia) + pt_size_str(lpath) + pt_size_str(lname) +
                  pt_size_str(lnew) + 4 * 8 + ident_size(&d->who);
    int rc = pt_tbuf_begin(b, PT_EV_witnessed, ts, size, &e);
    if (rc)
        return rc;
    pt_enc_str(&e, d->how, lhow);
    pt_enc_str(&e, d->via, lvia);
    pt_enc_str(&e, d->path, lpath);
    pt_enc_str(&e, d->name, lname);
    pt_enc_str(&e, d->new_path, lnew);
    pt_enc_u64(&e, d->dir_dev);
    pt_enc_u64(&e, d->dir_ino);
    pt_enc_u64(&e, d->dev);
    pt_enc_u64(&e, d->ino);
    ident_put(&e, &d->who);
    pt_tbuf_commit(b, &e);
    return 0;
}

int pt__wrec_shm(struct pt_tbuf *b, uint64_t ts, const struct pt__wshm *s)
{
    struct pt_enc e;
    size_t lvia = strlen(s->via);
    size_t size = pt_size_str(lvia) + 4 + 8 + 8 + 8 + 4 * 5 + 8 + 1 + ident_size(&s->who);
    int rc = pt_tbuf_begin(b, PT_EV_witnessed_shm, ts, size, &e);
    if (rc)
        return rc;
    pt_enc_str(&e, s->via, lvia);
    pt_enc_i32(&e, s->shmid);
    pt_enc_x64(&e, s->key);
    pt_enc_u64(&e, s->ipc_ns);
    pt_enc_u64(&e, s->size);
    pt_enc_u32(&e, s->nattch);
    pt_enc_u32(&e, s->cpid);
    pt_enc_u32(&e, s->lpid);
    pt_enc_u32(&e, s->owner_uid);
    pt_enc_u32(&e, s->holder);
    pt_enc_u64(&e, s->seen_ts);
    pt_enc_u8(&e, (uint8_t)(s->who.state != PT__WID_NONE));
    ident_put(&e, &s->who);
    pt_tbuf_commit(b, &e);
    return 0;
}

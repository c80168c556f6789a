/* tracer_test.h — helpers shared by the tracer's unit tests: temp dirs, checks, event patterns. */
#ifndef PT_TESTS_TRACER_TEST_H
#define PT_TESTS_TRACER_TEST_H

#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proftrace/calls.h"
#include "proftrace/event.h"
#include "proftrace/ring.h"
#include "proftrace/trace.h"

static int t_failures __attribute__((unused));
static int t_quiet __attribute__((unused)); /* t_verify says nothing (probing foreign events) */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond);              \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            if (++t_failures > 20)                                                                 \
                exit(1);                                                                           \
        }                                                                                          \
    } while (0)

static inline char *t_mkdtemp(const char *tag)
{
    char *p = malloc(256);
    snprintf(p, 256, "/tmp/pt-%s-%d-XXXXXX", tag, (int)getpid());
    if (!mkdtemp(p)) {
        perror("mkdtemp");
        exit(1);
    }
    return p;
}

static inline void t_rmrf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", dir);
}

/* The pattern event number i of writer w: what test writers record and readers check. Kinds
 * rotate through a registry call (narrow), mmap (wide ret, stack), cred (non-call), and a call
 * with a long duration. */
enum { T_REG, T_MMAP, T_CRED, T_LONG, T_NKINDS };

static inline unsigned t_kind(uint64_t i)
{
    return (unsigned)(i % T_NKINDS);
}

static inline void t_name(char *buf, uint32_t w, uint64_t i)
{
    /* 0..40 characters, content depends on (w, i) */
    size_t len = (size_t)(i * 7 % 41);
    for (size_t k = 0; k < len; k++)
        buf[k] = (char)('a' + (w * 31 + i + k) % 26);
    buf[len] = 0;
}

/* Write event i of writer w into b at time ts. Returns 0 or -ENOSPC (lost). */
static inline int t_write(struct pt_tbuf *b, uint32_t w, uint64_t i, uint64_t ts)
{
    struct pt_enc e;
    char name[64];
    uint64_t frames[8];
    int rc;
    switch (t_kind(i)) {
    case T_REG: {
        t_name(name, w, i);
        size_t len = strlen(name);
        int64_t ret = i % 3 ? 0 : 1018;
        size_t size = pt_size_call(ts - 100, ts, ret, 0) + pt_size_wire(PT_WIRE_X64) +
                      pt_size_str(len) + pt_size_wire(PT_WIRE_U32);
        rc = pt_tbuf_begin(b, PT_EV_CALL_FIRST + PT_CALL_RegQueryValueExA, ts, size, &e);
        if (rc)
            return rc;
        pt_enc_call(&e, ts - 100, ts, (uint8_t)(i % 3), ret, (int32_t)(i & 0xff), NULL, 0);
        pt_enc_x64(&e, ((uint64_t)w << 32) | (i & 0xffffffff));
        pt_enc_str(&e, name, len);
        pt_enc_u32(&e, (uint32_t)(i * 7));
        break;
    }
    case T_MMAP: {
        uint8_t nf = (uint8_t)(i % 5 + 1);
        for (unsigned k = 0; k < nf; k++)
            frames[k] = 0x400000 + i * 16 + k;
        int64_t ret = (int64_t)(0x7f0000000000ull + i * 4096);
        size_t size = pt_size_call(ts - 1000, ts, ret, nf) + 8 + 8 + 8 + 4 + 8 + 8;
        rc = pt_tbuf_begin(b, PT_EV_CALL_FIRST + PT_CALL_mmap, ts, size, &e);
        if (rc)
            return rc;
        pt_enc_call(&e, ts - 1000, ts, 0, ret, 0, frames, nf);
        pt_enc_u64(&e, i * 4096);            /* length */
        pt_enc_x64(&e, 3);                   /* prot */
        pt_enc_x64(&e, 1);                   /* flags */
        pt_enc_i32(&e, (int32_t)(i % 1000)); /* fd */
        pt_enc_u64(&e, w);                   /* fd_dev */
        pt_enc_u64(&e, i);                   /* fd_ino */
        break;
    }
    case T_CRED: {
        rc = pt_tbuf_begin(b, PT_EV_cred, ts, 24, &e);
        if (rc)
            return rc;
        for (unsigned k = 0; k < 6; k++)
            pt_enc_u32(&e, (uint32_t)(w * 1000 + k + i));
        break;
    }
    default: { /* a call of 6 s: wide duration, negative narrow ret */
        size_t size = pt_size_call(ts - 6000000000ull, ts, -1, 0) + 8;
        rc = pt_tbuf_begin(b, PT_EV_CALL_FIRST + PT_CALL_munmap, ts, size + 8, &e);
        if (rc)
            return rc;
        pt_enc_call(&e, ts - 6000000000ull, ts, 31, -1, 22, NULL, 0);
        pt_enc_x64(&e, 0xdead0000 + i);
        pt_enc_u64(&e, ((uint64_t)w << 40) | i);
        break;
    }
    }
    pt_tbuf_commit(b, &e);
    return 0;
}

/* Check that ev is event i of writer w as t_write wrote it; returns 0 when it matches, and from a
 * pattern decodes (w, i) of a registry/munmap event where possible. */
static inline int t_verify(const struct pt_event *ev, uint32_t w, uint64_t i)
{
    char name[64];
    const struct pt_value *v;
    int bad = 0;
#define T_EXPECT(c)                                                                                \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            if (!t_quiet)                                                                          \
                fprintf(stderr, "event w=%u i=%llu: %s\n", w, (unsigned long long)i, #c);        \
            bad = 1;                                                                               \
        }                                                                                          \
    } while (0)
    switch (t_kind(i)) {
    case T_REG:
        t_name(name, w, i);
        T_EXPECT(ev->id == PT_EV_CALL_FIRST + PT_CALL_RegQueryValueExA);
        T_EXPECT(ev->ts - ev->ts_enter == 100);
        T_EXPECT(ev->ret == (i % 3 ? 0 : 1018));
        T_EXPECT(ev->err == (int32_t)(i & 0xff));
        T_EXPECT(ev->depth == i % 3);
        T_EXPECT(ev->nframes == 0);
        v = pt_event_field(ev, "hKey");
        T_EXPECT(v && v->u == (((uint64_t)w << 32) | (i & 0xffffffff)));
        v = pt_event_field(ev, "lpValueName");
        T_EXPECT(v && pt_event_field_wire(ev, (unsigned)(v - ev->field)) == PT_WIRE_STR &&
                 v->str.len == strlen(name) &&
                 !memcmp(v->str.s, name, v->str.len));
        v = pt_event_field(ev, "lpcbData");
        T_EXPECT(v && v->u == (uint32_t)(i * 7));
        break;
    case T_MMAP:
        T_EXPECT(ev->id == PT_EV_CALL_FIRST + PT_CALL_mmap);
        T_EXPECT(ev->ret == (int64_t)(0x7f0000000000ull + i * 4096));
        T_EXPECT(ev->ts - ev->ts_enter == 1000);
        T_EXPECT(ev->nframes == i % 5 + 1);
        for (unsigned k = 0; k < ev->nframes; k++)
            T_EXPECT(ev->frame[k] == 0x400000 + i * 16 + k);
        v = pt_event_field(ev, "length");
        T_EXPECT(v && v->u == i * 4096);
        v = pt_event_field(ev, "fd");
        T_EXPECT(v && v->i == (int64_t)(i % 1000));
        v = pt_event_field(ev, "fd_ino");
        T_EXPECT(v && v->u == i);
        v = pt_event_field(ev, "fd_dev");
        T_EXPECT(v && v->u == w);
        break;
    case T_CRED:
        T_EXPECT(ev->id == PT_EV_cred);
        T_EXPECT(ev->nfields == 6);
        for (unsigned k = 0; k < 6 && k < ev->nfields; k++)
            T_EXPECT(ev->field[k].u == w * 1000 + k + i);
        break;
    default:
        T_EXPECT(ev->id == PT_EV_CALL_FIRST + PT_CALL_munmap);
        T_EXPECT(ev->ts - ev->ts_enter == 6000000000ull);
        T_EXPECT(ev->ret == -1 && ev->err == 22 && ev->depth == 31);
        v = pt_event_field(ev, "addr");
        T_EXPECT(v && v->u == 0xdead0000 + i);
        v = pt_event_field(ev, "length");
        T_EXPECT(v && v->u == (((uint64_t)w << 40) | i));
        break;
    }
#undef T_EXPECT
    return bad;
}

/* A bulk event (a registry query, 39 bytes, number i as its key): what a flood is made of, the
 * kind a full buffer may lose. 0, or -1 when it was lost. */
static inline int t_put_bulk(struct pt_tbuf *b, uint64_t i)
{
    struct pt_enc e;
    uint64_t t = pt_now();
    size_t size = pt_size_call(t - 10, t, 0, 0) + 8 + pt_size_str(8) + 4;
    if (pt_tbuf_begin_keep(b, PT_EV_CALL_FIRST + PT_CALL_RegQueryValueExA, t, size, PT_KEEP_BULK,
                           &e))
        return -1;
    pt_enc_call(&e, t - 10, t, 0, 0, 0, NULL, 0);
    pt_enc_x64(&e, i);
    pt_enc_str(&e, "001e6614", 8);
    pt_enc_u32(&e, 2);
    pt_tbuf_commit(b, &e);
    return 0;
}

/* A diagnostic callback that counts (into the int at arg) and prints what the reader says. */
static inline void t_diag(void *arg, const char *msg)
{
    ++*(int *)arg;
    fprintf(stderr, "diag: %s\n", msg);
}

/* Read the trace in dir: its bulk events (t_put_bulk's) and what its lost markers count; the
 * trace must read without a diagnostic. */
static inline void t_read_bulk(const char *dir, uint64_t *bulk, uint64_t *lost)
{
    struct pt_trace *tr;
    struct pt_event ev;
    int diags = 0;
    *bulk = *lost = 0;
    CHECK(pt_trace_open(dir, t_diag, &diags, &tr) == 0, "open %s", dir);
    while (pt_trace_next(tr, &ev) > 0) {
        if (ev.id == PT_EV_lost)
            *lost += ev.field[0].u;
        else if (ev.id == PT_EV_CALL_FIRST + PT_CALL_RegQueryValueExA)
            (*bulk)++;
    }
    pt_trace_close(tr);
    CHECK(diags == 0, "%s: %d diagnostics", dir, diags);
}

/* Identify (w, i) of a pattern event when it carries them (not cred events). */
static inline int t_ident(const struct pt_event *ev, uint32_t *w, uint64_t *i)
{
    const struct pt_value *v;
    if (ev->id == PT_EV_CALL_FIRST + PT_CALL_RegQueryValueExA && (v = pt_event_field(ev, "hKey"))) {
        *w = (uint32_t)(v->u >> 32);
        *i = v->u & 0xffffffff;
        return 1;
    }
    if (ev->id == PT_EV_CALL_FIRST + PT_CALL_mmap && (v = pt_event_field(ev, "fd_ino"))) {
        *i = v->u;
        *w = (uint32_t)pt_event_field(ev, "fd_dev")->u;
        return 1;
    }
    if (ev->id == PT_EV_CALL_FIRST + PT_CALL_munmap && (v = pt_event_field(ev, "length"))) {
        *w = (uint32_t)(v->u >> 40);
        *i = v->u & ((1ull << 40) - 1);
        return 1;
    }
    return 0;
}

#endif

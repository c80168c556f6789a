/* show.c — events as text: strace-like call lines, arguments by the names of their constants
 * (flag_names.c), Win32 / HRESULT / errno names (trace.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proftrace/escape.h"
#include "proftrace/trace.h"
#include "tracer/flag_names.h"
#include "tracer/internal.h"

static const struct {
    uint32_t code;
    const char *name;
} win32_errors[] = {
    {0, "ERROR_SUCCESS"},
    {1, "ERROR_INVALID_FUNCTION"},
    {2, "ERROR_FILE_NOT_FOUND"},
    {3, "ERROR_PATH_NOT_FOUND"},
    {5, "ERROR_ACCESS_DENIED"},
    {6, "ERROR_INVALID_HANDLE"},
    {8, "ERROR_NOT_ENOUGH_MEMORY"},
    {13, "ERROR_INVALID_DATA"},
    {14, "ERROR_OUTOFMEMORY"},
    {32, "ERROR_SHARING_VIOLATION"},
    {50, "ERROR_NOT_SUPPORTED"},
    {80, "ERROR_FILE_EXISTS"},
    {87, "ERROR_INVALID_PARAMETER"},
    {122, "ERROR_INSUFFICIENT_BUFFER"},
    {123, "ERROR_INVALID_NAME"},
    {170, "ERROR_BUSY"},
    {183, "ERROR_ALREADY_EXISTS"},
    {234, "ERROR_MORE_DATA"},
    {259, "ERROR_NO_MORE_ITEMS"},
    {487, "ERROR_INVALID_ADDRESS"},
    {1008, "ERROR_NO_TOKEN"},
    {1009, "ERROR_BADDB"},
    {1010, "ERROR_BADKEY"},
    {1011, "ERROR_CANTOPEN"},
    {1012, "ERROR_CANTREAD"},
    {1013, "ERROR_CANTWRITE"},
    {1015, "ERROR_REGISTRY_CORRUPT"},
    {1018, "ERROR_KEY_DELETED"},
    {1020, "ERROR_KEY_HAS_CHILDREN"},
    {1314, "ERROR_PRIVILEGE_NOT_HELD"},
    {1326, "ERROR_LOGON_FAILURE"},
    {1332, "ERROR_NONE_MAPPED"},
    {1349, "ERROR_BAD_TOKEN_TYPE"},
    {1368, "ERROR_CANNOT_IMPERSONATE"},
};

static const struct {
    uint32_t hr;
    const char *name;
} hresults[] = {
    {0x00000000, "S_OK"},
    {0x00000001, "S_FALSE"},
    {0x80004001, "E_NOTIMPL"},
    {0x80004002, "E_NOINTERFACE"},
    {0x80004005, "MAPI_E_CALL_FAILED"}, /* = E_FAIL */
    {0x80040102, "MAPI_E_NO_SUPPORT"},
    {0x80040106, "MAPI_E_UNKNOWN_FLAGS"},
    {0x8004010F, "MAPI_E_NOT_FOUND"},
    {0x80040111, "MAPI_E_LOGON_FAILED"},
    {0x80040113, "MAPI_E_USER_CANCEL"},
    {0x80040605, "MAPI_E_NOT_INITIALIZED"},
    {0x80070005, "E_ACCESSDENIED"},
    {0x8007000E, "E_OUTOFMEMORY"},
    {0x80070057, "E_INVALIDARG"},
};

const char *pt_win32_error_name(uint32_t code)
{
    for (size_t i = 0; i < sizeof win32_errors / sizeof win32_errors[0]; i++)
        if (win32_errors[i].code == code)
            return win32_errors[i].name;
    return NULL;
}

const char *pt_hresult_name(uint32_t hr)
{
    for (size_t i = 0; i < sizeof hresults / sizeof hresults[0]; i++)
        if (hresults[i].hr == hr)
            return hresults[i].name;
    return NULL;
}

const char *pt_errno_name(int err)
{
    return err > 0 ? strerrorname_np(err) : NULL;
}

struct out {
    char *buf;
    size_t len, pos;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->pos < o->len ? o->len - o->pos : 0;
    int n = vsnprintf(room ? o->buf + o->pos : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->pos += (size_t)n;
}

static void put_str(struct out *o, const char *s, uint32_t len)
{
    uint32_t shown = len > 200 ? 200 : len;
    for (int k = 0; k < 3 && shown < len && shown > 0 && ((unsigned char)s[shown] & 0xc0) == 0x80;
         k++)
        shown--; /* never inside a character: the cut shows as "...", not as a stray byte */
    put(o, "\"");
    size_t room = o->pos < o->len ? o->len - o->pos : 0;
    o->pos += pt_esc_text(room ? o->buf + o->pos : NULL, room, s, shown, PT_ESC_QUOTE);
    put(o, "\"%s", shown < len ? "..." : "");
}

static void put_value(struct out *o, const struct pt_value *v, enum pt_wire wire)
{
    switch (wire) {
    case PT_WIRE_STR: put_str(o, v->str.s, v->str.len); break;
    case PT_WIRE_I32:
    case PT_WIRE_I64: put(o, "%" PRId64, v->i); break;
    case PT_WIRE_X64: put(o, "%#" PRIx64, v->u); break;
    default: put(o, "%" PRIu64, v->u); break;
    }
}

/* A call argument by the names of its constants (call_flags.h); 0 when they do not name it. */
static int put_flags(struct out *o, const struct pt__flagset *fs, const struct pt_value *v)
{
    size_t room = o->pos < o->len ? o->len - o->pos : 0;
    size_t n = pt__flags_text(fs, v->u, room ? o->buf + o->pos : NULL, room);
    o->pos += n;
    return n > 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static void put_w32(struct out *o, uint32_t code)
{
    const char *n = pt_win32_error_name(code);
    if (n)
        put(o, "%s (%u)", n, code);
    else
        put(o, "%u", code);
}

static void put_errno(struct out *o, int err)
{
    const char *n = pt_errno_name(err);
    put(o, "%s (%s)", n ? n : "E?", strerror(err));
}

static void put_result(struct out *o, const struct pt_event *ev, unsigned ret_kind)
{
    int64_t r = ev->ret;
    switch (ret_kind) {
    case PT_RET_VOID: return;
    case PT_RET_W32:
        put(o, " = ");
        if (r == 0)
            put(o, "0");
        else
            put_w32(o, (uint32_t)r);
        return;
    case PT_RET_HRESULT: {
        uint32_t hr = (uint32_t)r;
        const char *n = pt_hresult_name(hr);
        if (n)
            put(o, " = %s (%#x)", n, hr);
        else if ((hr & 0xffff0000u) == 0x80070000u && pt_win32_error_name(hr & 0xffff))
            put(o, " = HRESULT_FROM_WIN32(%s) (%#x)", pt_win32_error_name(hr & 0xffff), hr);
        else
            put(o, " = %#x", hr);
        return;
    }
    case PT_RET_BOOL_W32:
        if (r) {
            put(o, " = TRUE");
        } else {
            put(o, " = FALSE, GetLastError() = ");
            put_w32(o, (uint32_t)ev->err);
        }
        return;
    case PT_RET_HANDLE_W32:
        if (r) {
            put(o, " = %#" PRIx64, (uint64_t)r);
        } else {
            put(o, " = NULL, GetLastError() = ");
            put_w32(o, (uint32_t)ev->err);
        }
        return;
    case PT_RET_INT_ERRNO:
    case PT_RET_FD_ERRNO:
        put(o, " = %" PRId64, r);
        if (r == -1) {
            put(o, " ");
            put_errno(o, ev->err);
        }
        return;
    case PT_RET_PTR_ERRNO:
        if (r == -1 || r == 0) {
            put(o, " = %s ", r ? "-1" : "NULL");
            put_errno(o, ev->err);
        } else {
            put(o, " = %#" PRIx64, (uint64_t)r);
        }
        return;
    case PT_RET_ULONG: put(o, " = %" PRIu64, (uint64_t)r); return;
    case PT_RET_ERRNUM:
        if (r)
            put(o, " = "), put_errno(o, (int)r);
        else
            put(o, " = 0");
        return;
    default: put(o, " = %" PRId64, r); return;
    }
}

size_t pt_event_format(const struct pt_event *ev, char *buf, size_t len)
{
    struct out o = {buf, len, 0};
    const char *name = pt_event_name(ev->id);
    if (len)
        buf[0] = 0;
    if (!name) {
        put(&o, "event#%u()", ev->id);
        return o.pos;
    }
    const struct pt__class *cl = &pt__classes[ev->id];
    put(&o, "%s(", name);
    for (unsigned i = 0; i < ev->nfields; i++) {
        const struct pt_value *v = &ev->field[i];
        if (i >= cl->nfields)
            break; /* an event built by hand with more fields than its class */
        const char *fname = cl->fields[i].name;
        enum pt_wire wire = (enum pt_wire)cl->fields[i].wire;
        /* an identity pair X_dev, X_ino reads as @maj:min/ino after X */
        if (ends_with(fname, "_dev") && i + 1 < ev->nfields && i + 1 < cl->nfields &&
            ends_with(cl->fields[i + 1].name, "_ino")) {
            if (v->u || ev->field[i + 1].u)
                put(&o, " @%u:%u/%" PRIu64, (unsigned)(v->u >> 8) & 0xfff,
                    (unsigned)((v->u & 0xff) | ((v->u >> 12) & 0xfff00)), ev->field[i + 1].u);
            i++;
            continue;
        }
        if (i)
            put(&o, ", ");
        if (!cl->is_call)
            put(&o, "%s=", fname);
        const struct pt__flagset *fs = cl->is_call ? pt__flagset_of(ev->id, i) : NULL;
        if (!fs || wire == PT_WIRE_STR || !put_flags(&o, fs, v))
            put_value(&o, v, wire);
    }
    put(&o, ")");
    if (cl->is_call)
        put_result(&o, ev, cl->ret_kind);
    if (ev->id == PT_EV_reaped && ev->nfields && ev->field[0].i > 0) {
        const char *sn = sigabbrev_np((int)ev->field[0].i);
        put(&o, " SIG%s", sn ? sn : "?");
    }
    return o.pos;
}

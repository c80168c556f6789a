/* event.h — the proftrace event format, defined once for the shim, the collector and readers.
 *
 * Design
 * ------
 * An event is a class id, a timestamp and a flat list of typed fields. The classes and their fields
 * are not written out by hand anywhere: the non-call classes come from PT_EVENTS below, the call
 * classes from the interposition table in calls.h. The shim's recording code, the binary decoder,
 * the CTF metadata (TSDL) and `proftrace events` all expand those same lists, so adding a field
 * or a function changes every consumer at once.
 *
 * Wire types are the only encodings a field can have (PT_WIRE_*); a call's "capture kind"
 * (PT_CAP_*: what the shim records about an argument) expands to one or more wire fields, e.g.
 * a PATH is its string plus the device and inode it named before the call ran.
 *
 * Time: every timestamp is CLOCK_MONOTONIC in nanoseconds, which every namespace on the machine
 * shares (time namespaces aside, which proftrace records as a namespace inode). A call event is
 * stamped with its exit time and carries its duration, so that a nested call, which finishes
 * first, is also written first and a buffer stays time-ordered.
 */
#ifndef PROFTRACE_EVENT_H
#define PROFTRACE_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PT_FORMAT_VERSION 2 /* records and packets; 2: packet contexts count their events */

/* Wire types. Integers are little-endian; STR is NUL-terminated (CTF `string`). */
enum pt_wire {
    PT_WIRE_U8 = 1,
    PT_WIRE_U16,
    PT_WIRE_U32,
    PT_WIRE_U64,
    PT_WIRE_I32,
    PT_WIRE_I64,
    PT_WIRE_X64, /* u64 shown in hex: handles, addresses, flags */
    PT_WIRE_STR,
};

/* Namespace inodes recorded for a process, in this order everywhere. */
#define PT_NAMESPACES(X) X(ipc) X(mnt) X(pid) X(user) X(uts) X(net) X(cgroup) X(time)

/* Indexes of the namespaces in that order (PT_NS_ipc ... PT_NS_time), and their count. */
enum pt_ns {
#define PT__NS_ENUM(ns) PT_NS_##ns,
    PT_NAMESPACES(PT__NS_ENUM)
#undef PT__NS_ENUM
        PT_NS_COUNT
};

/* Who deleted, as the witness read it from /proc. ident says how far to trust it: "live" (read
 * after the deletion while the deleter still ran, checked against its pidfd), "exec" (read when it
 * exec'd, it had exited before the deletion was read), "gone" (exited before all of it could be
 * read: only pid is known, the other fields are 0, ids -1), "none" (no deleter known). "live" and
 * "exec" are whole: every field was read, from the running process. pid is in the collector's pid
 * namespace. */
#define PT_WITNESS_IDENT(W)                                                                       \
    W(U32, pid) W(STR, ident) W(U32, ppid) W(U64, start_time) W(U32, uid) W(U32, euid)            \
        W(U32, sessionid) W(U32, loginuid) PT_NAMESPACES(PT_NS_FIELD) W(STR, exe) W(STR, cmdline)

/* Non-call event classes: EV(name, fields) with fields written as W(wire, name) sequences. */
#define PT_NS_FIELD(ns) W(U64, ns_##ns)
#define PT_EVENTS(EV, W)                                                                          \
    /* Process identity, first event of every process (and again after exec). exec: 1 when the   \
     * image was started by an exec (the shim's start in a new image, or an attach), 0 in a fork   \
     * child running its parent's image (preload/fork_start.c). A fork child that execs before it  \
     * records anything has no event of its own: its first is its exec'd image's, with exec=1. */ \
    EV(process, W(U32, pid) W(U32, ppid) W(U32, global_pid) W(U64, start_time) W(U32, uid)        \
                    W(U32, euid) W(U32, gid) W(U32, egid) W(U32, sessionid) W(U32, loginuid)      \
                        PT_NAMESPACES(PT_NS_FIELD) W(U8, exec) W(STR, exe) W(STR, cmdline))       \
    /* A thread took a buffer; later events in that buffer are this thread's. */                 \
    EV(thread, W(U32, tid))                                                                       \
    /* A loaded object, for offline symbolization of stacks. */                                   \
    EV(module, W(X64, base) W(X64, size) W(X64, bias) W(STR, path) W(STR, build_id))              \
    /* Credentials after a set*id / impersonation call. */                                       \
    EV(cred, W(U32, uid) W(U32, euid) W(U32, suid) W(U32, gid) W(U32, egid) W(U32, sgid))         \
    /* Namespaces after unshare / setns / clone into new ones. */                                 \
    EV(ns, PT_NAMESPACES(PT_NS_FIELD))                                                            \
    /* Normal end of the process. */                                                              \
    EV(exit, W(I32, status))                                                                      \
    /* A fatal signal reached the process (recorded before the default action). */              \
    EV(signal, W(I32, signo) W(I32, code) W(X64, addr))                                           \
    /* Written by the collector: the process ended without closing its ring (killed, crashed).   \
     * ts is when the collector learned it; signo is the fatal signal when known, else 0. */    \
    EV(reaped, W(I32, signo) W(U64, last_ts))                                                     \
    /* Written by the collector's witness (tracer/witness_*.c) into its own ring: a deletion made \
     * by a process that may not be traced, seen by fanotify. Nothing here was recorded by the     \
     * deleter: ts is when the witness read the kernel's report (the deletion happened before) or, \
     * for a deletion of something a traced process held by a deleter not known to be traced, the \
     * earliest the deletion can have happened (not after it: never after its holder let go),      \
     * there is no stack, and the deleter's identity was read from /proc afterwards. `how`:        \
     * "unlink", "rmdir", "rename" (new_path says where to). path is "" when the directory could   \
     * not be named (then dir_dev/dir_ino still say which it was); ino 0 means unknown. Identity  \
     * fields: see PT_WITNESS_IDENT. */                                                           \
    EV(witnessed, W(STR, how) W(STR, via) W(STR, path) W(STR, name) W(STR, new_path)              \
                      W(U64, dir_dev) W(U64, dir_ino) W(U64, dev) W(U64, ino)                     \
                          PT_WITNESS_IDENT(W))                                                    \
    /* Written by the witness: a SysV shared-memory segment removed (IPC_RMID) while attached, or   \
     * gone between two scans of its IPC namespace's segment table (via "sysv-scan"). seen_ts is   \
     * the last scan that saw it intact: the removal happened in (seen_ts, ts]. cpid/lpid are the  \
     * creator and the last attacher, NOT the deleter; holder is a watched process that had it     \
     * mapped when the removal was noticed (0: none known). attributed is 0 when the deleter is   \
     * unknown: then the identity fields are zero. */                                             \
    EV(witnessed_shm, W(STR, via) W(I32, shmid) W(X64, key) W(U64, ipc_ns) W(U64, size)           \
                          W(U32, nattch) W(U32, cpid) W(U32, lpid) W(U32, owner_uid)              \
                              W(U32, holder) W(U64, seen_ts) W(U8, attributed)                    \
                                  PT_WITNESS_IDENT(W))                                            \
    /* PROFTRACE_HOOKS: a named function (lib:function, static ones included) entered or left,   \
     * through an inline hook (preload/hook_spec.c). phase "entry" or "exit"; entry_ts is the     \
     * entry's time in both; ret is rax at exit (0 at entry: a static function's result may be    \
     * elsewhere); depth is the number of traced calls in progress on the thread. */              \
    EV(hook, W(STR, function) W(STR, phase) W(X64, address) W(U32, depth) W(U64, entry_ts)        \
                 W(X64, ret))                                                                     \
    /* Events that did not fit in this buffer since the previous marker. */                       \
    EV(lost, W(U64, count))                                                                       \
    /* PROFTRACE_BREAK matched the call that follows (reason "delete-held" or "key-deleted"):    \
     * stopped is 1 when SIGTRAP was raised (a debugger was attached), 0 when it would have been. \
     * dev/ino: what was about to be deleted; holder_pid/holder: who held it (pid in its own pid  \
     * namespace, and the tail of the name it used). */                                          \
    EV(breakpoint, W(STR, reason) W(STR, call) W(U32, stopped) W(U64, dev) W(U64, ino)            \
                       W(U32, holder_pid) W(STR, holder))                                         \
    /* A process that will not be traced (from here on): pid (0 when unknown) runs exe, which     \
     * nothing traces because of reason ("statically linked", "set-user-ID ...", "seccomp ...").  \
     * Written before an exec (the same pid, a new image), after a spawn (the child), or by a     \
     * process whose tracing stops. An exec that returns writes it again with reason "": the     \
     * image goes on, traced. */                                                                  \
    EV(untraced, W(U32, pid) W(STR, exe) W(STR, reason))                                          \
    /* A hold the process already had when proftrace attached to it (preload/attach.c), found in  \
     * /proc: held since before the attach, stamped with the attach time. kind: key, session,     \
     * file, map, shm, sysv (proftrace/attach.h); name: the profile of a session; path: what the  \
     * process has open or mapped; dev/ino its identity (sysv: ino is the shmid); handle: the     \
     * descriptor, or the mapping's address; size: the mapping's length. */                       \
    EV(prior_hold, W(STR, kind) W(STR, name) W(STR, path) W(U64, dev) W(U64, ino)                 \
                       W(X64, handle) W(U64, size))

/* Event class ids: the non-call classes, then one per row of the call table (calls.h). */
enum pt_event_id {
#define PT_EV_ENUM(name, fields) PT_EV_##name,
    PT_EVENTS(PT_EV_ENUM, _)
#undef PT_EV_ENUM
        PT_EV_CALL_FIRST,
};

/* Capture kinds of call arguments (see calls.h) and the wire fields each one records.
 * CAP(W, name) expands to W(wire, field-name) sequences. */
#define PT_CAP_U32(W, n) W(U32, n)
#define PT_CAP_I32(W, n) W(I32, n)
#define PT_CAP_U64(W, n) W(U64, n)
#define PT_CAP_FLAGS(W, n) W(X64, n)
#define PT_CAP_HANDLE(W, n) W(X64, n)        /* an opaque handle or pointer value */
#define PT_CAP_STR(W, n) W(STR, n)           /* a C string ("" when NULL) */
#define PT_CAP_OUT_HANDLE(W, n) W(X64, n)    /* *n after the call (0 when it failed) */
#define PT_CAP_OUT_U32(W, n) W(U32, n)       /* *n after the call (0 when NULL or failed) */
#define PT_CAP_OUT_STR(W, n) W(STR, n)       /* the string the call wrote ("" when it failed) */
#define PT_CAP_PATH(W, n) W(STR, n) W(U64, n##_dev) W(U64, n##_ino) /* identity before the call */
#define PT_CAP_AT_PATH(W, n) W(I32, n##_dirfd) PT_CAP_PATH(W, n)       /* *at() path */
#define PT_CAP_SHM_NAME(W, n) PT_CAP_PATH(W, n) /* POSIX shm name, identity of its /dev/shm file */
#define PT_CAP_FD(W, n) W(I32, n) W(U64, n##_dev) W(U64, n##_ino)    /* fstat identity */
#define PT_CAP_OUT_OBJECT(W, n) W(X64, n) /* *n after the call (0 when it failed): a COM-style object
                                           * whose method table the shim wraps (VTBL rows) */
#define PT_CAP_RET_FD(W, n) W(U64, n##_dev) W(U64, n##_ino) /* fstat identity of the descriptor the
                                           * call returned (0 when it failed); n only names fields */

/* Return kinds: how a call's result and error are recorded (ret is always a wire I64; err is the
 * errno or Win32 last-error value captured at exit, meaningful where the kind has one). */
enum pt_ret_kind {
    PT_RET_VOID,     /* nothing */
    PT_RET_W32,      /* LONG Win32 error code is the result (Reg* functions) */
    PT_RET_HRESULT,  /* HRESULT */
    PT_RET_BOOL_W32, /* BOOL, GetLastError() on failure */
    PT_RET_HANDLE_W32, /* HANDLE / pointer, GetLastError() */
    PT_RET_INT_ERRNO,  /* int, errno when -1 */
    PT_RET_FD_ERRNO,   /* file descriptor, errno when -1; the fd's identity is recorded too */
    PT_RET_PTR_ERRNO,  /* pointer, errno when MAP_FAILED / (void *)-1 / NULL */
    PT_RET_ULONG,      /* reference count and similar */
    PT_RET_ERRNUM,     /* int that is itself 0 or an errno value (posix_spawn) */
};

/* Did a call fail? The judgement the shim makes when it records one (preload/wrap.h), from the
 * result alone: for every reader of a recorded call. */
static inline int pt_hresult_failed(int64_t hr)
{
    return ((uint32_t)hr & 0x80000000u) != 0; /* FAILED(): the severity bit */
}

static inline int pt_ret_failed(enum pt_ret_kind kind, int64_t ret)
{
    switch (kind) {
    case PT_RET_W32:
    case PT_RET_ERRNUM:
        return ret != 0;
    case PT_RET_HRESULT:
        return pt_hresult_failed(ret);
    case PT_RET_BOOL_W32:
    case PT_RET_HANDLE_W32:
        return ret == 0;
    case PT_RET_INT_ERRNO:
    case PT_RET_PTR_ERRNO:
        return ret == -1;
    case PT_RET_FD_ERRNO:
        return ret < 0;
    default: /* VOID, ULONG: no failure */
        return 0;
    }
}

/* Win32 error codes proftrace itself acts on (documented API semantics). */
#define PT_ERROR_FILE_NOT_FOUND 2
#define PT_ERROR_KEY_DELETED 1018 /* a registry call on a key that was deleted */

/* A decoded field value: the value alone. Its name and wire type are those of the same field of
 * its event's class (pt_event_field_name, pt_event_field_wire), the same for every event of the
 * class, so a reader decoding millions of events writes neither. Strings point into the reader's
 * buffer and live until the next event. */
struct pt_value {
    union {
        uint64_t u;
        int64_t i;
        struct {
            const char *s;
            uint32_t len;
        } str;
    };
};

#define PT_MAX_FIELDS 32
#define PT_MAX_FRAMES 32

/* One decoded event, as every reader returns it. */
struct pt_event {
    uint16_t id;       /* enum pt_event_id, or PT_EV_CALL_FIRST + enum pt_call */
    uint32_t pid;      /* of the process whose stream this is (its pid in its own namespace) */
    uint32_t tid;      /* the thread that wrote it */
    uint32_t stream;   /* index of the stream in the trace, stable for one reading */
    uint64_t ts;       /* ns, CLOCK_MONOTONIC; for calls, the exit time */
    /* Calls only: */
    uint64_t ts_enter; /* entry time */
    uint8_t depth;     /* 0 for a call made by the program, >0 when made inside a traced call */
    int64_t ret;
    int32_t err;
    uint16_t nfields;
    struct pt_value field[PT_MAX_FIELDS];
    uint8_t nframes; /* return addresses, innermost first */
    uint64_t frame[PT_MAX_FRAMES];
};

/* Typed field access: every reader returns an event's fields in the order of its class's field list
 * (the decoder and the CTF metadata expand the same lists, and a reader refuses a trace written
 * from other tables), so where a field sits is known at compile time. For each class `c` (a
 * PT_EVENTS name here, a call of calls.h there) two index structs are generated: in
 * struct pt_fi_<c> each field is a one-byte member, so offsetof gives its index; in
 * struct pt_fw_<c> a string field is two bytes, so sizeof tells strings from numbers.
 *     PT_FIELD(c, f)     index of field f in ev->field[] (a name c does not have fails to compile)
 *     PT_NFIELDS(c)      number of fields of class c
 *     PT_U(ev, c, f)     value of numeric field f (0 if the event is short of it)
 *     PT_I(ev, c, f)     the same, signed
 *     PT_S(ev, c, f)     string field f ("" if absent)
 * PT_U on a string field, or PT_S on a number, fails to compile. No name is compared at run
 * time. */
#define PT__FI_MEMBER(wire, n) char n;
#define PT__FW_MEMBER(wire, n) char n[1 + (PT_WIRE_##wire == PT_WIRE_STR)];
#define PT__FI_EV(name, fields)                                                                    \
    struct pt_fi_##name {                                                                          \
        fields char pt__count;                                                                     \
    };
#define PT__FW_EV(name, fields)                                                                    \
    struct pt_fw_##name {                                                                          \
        fields char pt__count;                                                                     \
    };
/* PT_NS_FIELD and PT_WITNESS_IDENT write their fields with a macro named W. */
#pragma push_macro("W")
#undef W
#define W PT__FI_MEMBER
PT_EVENTS(PT__FI_EV, W)
#undef W
#define W PT__FW_MEMBER
PT_EVENTS(PT__FW_EV, W)
#undef W
#pragma pop_macro("W")

#define PT_FIELD(c, f) ((unsigned)offsetof(struct pt_fi_##c, f))
#define PT_NFIELDS(c) PT_FIELD(c, pt__count)
#define PT__IS_STR(c, f) (sizeof(((struct pt_fw_##c *)0)->f) == 2)
#define PT__WANT(cond) ((void)sizeof(char[(cond) ? 1 : -1]))

static inline uint64_t pt_ev_u(const struct pt_event *ev, unsigned i)
{
    return i < ev->nfields ? ev->field[i].u : 0;
}

static inline const char *pt_ev_s(const struct pt_event *ev, unsigned i)
{
    return i < ev->nfields && ev->field[i].str.s ? ev->field[i].str.s : "";
}

#define PT_U(ev, c, f) (PT__WANT(!PT__IS_STR(c, f)), pt_ev_u((ev), PT_FIELD(c, f)))
#define PT_I(ev, c, f) ((int64_t)PT_U(ev, c, f))
#define PT_S(ev, c, f) (PT__WANT(PT__IS_STR(c, f)), pt_ev_s((ev), PT_FIELD(c, f)))

/* Copy event src into dst: what it holds (its fields and frames), not the whole arrays, which are
 * most of the struct's size. */
static inline void pt_event_copy(struct pt_event *dst, const struct pt_event *src)
{
    unsigned nf = src->nfields < PT_MAX_FIELDS ? src->nfields : PT_MAX_FIELDS;
    unsigned nfr = src->nframes < PT_MAX_FRAMES ? src->nframes : PT_MAX_FRAMES;
    memcpy(dst, src, offsetof(struct pt_event, field));
    memcpy(dst->field, src->field, nf * sizeof src->field[0]);
    dst->nframes = (uint8_t)nfr;
    memcpy(dst->frame, src->frame, nfr * sizeof src->frame[0]);
}

/* Name of an event class ("process", "RegOpenKeyExA", ...), or NULL for an unknown id. */
const char *pt_event_name(unsigned id);

/* Name of namespace i of PT_NAMESPACES ("ipc", "mnt", ...), or NULL past the end. */
const char *pt_ns_name(unsigned i);

/* Field lookup by name, NULL if the event has no such field. */
const struct pt_value *pt_event_field(const struct pt_event *ev, const char *name);

/* Name and wire type of field i of event ev (its class's field i): NULL and 0 past the fields of
 * its class or for an unknown class. */
const char *pt_event_field_name(const struct pt_event *ev, unsigned i);
enum pt_wire pt_event_field_wire(const struct pt_event *ev, unsigned i);

#endif

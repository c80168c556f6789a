/* analyzer_scn.h — hand-built event sequences for the analyzer's unit tests: each helper emits the
 * events a traced process would produce for one API call (nested calls first, as the shim writes
 * them), straight into the analyzer. */
#ifndef PT_TESTS_ANALYZER_SCN_H
#define PT_TESTS_ANALYZER_SCN_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/analyzer.h"
#include "analyzer/model.h"
#include "analyzer/synth.h"

/* Not every test file uses every helper. */
#pragma GCC diagnostic ignored "-Wunused-function"

#define PROFILES                                                                                   \
    "Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows Messaging Subsystem\\Profiles"
#define HKCU 0x80000001ull
#define DEV 0x803ull   /* the "disk" of the hive */
#define SHMDEV 0x16ull /* /dev/shm */

static int failures;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: %s: CHECK failed: %s\n", __FILE__, __LINE__, __func__, #cond); \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)
#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *x_ = (a), *y_ = (b);                                                           \
        if (!x_ || !y_ || strcmp(x_, y_)) {                                                        \
            fprintf(stderr, "%s:%d: %s: expected %s = \"%s\", got \"%s\"\n", __FILE__, __LINE__,   \
                    __func__, #a, y_ ? y_ : "(null)", x_ ? x_ : "(null)");                         \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

struct scn {
    struct pt_analyzer *a;
    uint64_t ts;
    uint64_t next_handle;
    struct pt_event ev;
    /* where events go: NULL = straight into the analyzer */
    void (*sink)(struct scn *s, const struct pt_event *ev);
    void *sink_arg;
};

static struct scn *scn_new(void)
{
    struct scn *s = calloc(1, sizeof *s);
    s->a = pt_analyzer_new();
    s->ts = 1000000000ull;
    s->next_handle = 0x5000;
    return s;
}

static void scn_free(struct scn *s)
{
    pt_analyzer_free(s->a);
    free(s);
}

static uint64_t tick(struct scn *s)
{
    return s->ts += 1000000; /* 1 ms between events */
}

static struct pt_event *ev_begin(struct scn *s, unsigned id, uint32_t pid, uint8_t depth)
{
    pt__synth(&s->ev, id, pid, pid, tick(s));
    s->ev.ts_enter = s->ev.ts - 500000;
    s->ev.depth = depth;
    return &s->ev;
}

static void ev_end(struct scn *s)
{
    if (s->sink)
        s->sink(s, &s->ev);
    else
        CHECK(pt_analyzer_feed(s->a, &s->ev) == 0);
}

struct who {
    uint32_t uid, euid, session;
    uint64_t ipc, mnt, pid;
    uint64_t start;
};
#define WHO(...)                                                                                   \
    ((struct who){.uid = 1000,                                                                     \
                  .euid = 1000,                                                                    \
                  .session = 3,                                                                    \
                  .ipc = 4026531839ull,                                                            \
                  .mnt = 4026531841ull,                                                            \
                  .pid = 4026531836ull,                                                            \
                  .start = 1,                                                                      \
                  __VA_ARGS__})

/* A process of parent ppid, identity w, whose first event is now. */
static void proc_child(struct scn *s, uint32_t pid, uint32_t ppid, struct who w, const char *exe)
{
    struct pt_event *e = ev_begin(s, PT_EV_process, pid, 0);
    pt__synth_u(e, "pid", pid);
    pt__synth_u(e, "ppid", ppid);
    pt__synth_u(e, "global_pid", pid);
    pt__synth_u(e, "start_time", w.start);
    pt__synth_u(e, "uid", w.uid);
    pt__synth_u(e, "euid", w.euid);
    pt__synth_u(e, "gid", w.uid);
    pt__synth_u(e, "egid", w.uid);
    pt__synth_u(e, "sessionid", w.session);
    pt__synth_u(e, "loginuid", w.uid);
    pt__synth_u(e, "ns_ipc", w.ipc);
    pt__synth_u(e, "ns_mnt", w.mnt);
    pt__synth_u(e, "ns_pid", w.pid);
    pt__synth_s(e, "exe", exe);
    pt__synth_s(e, "cmdline", exe);
    ev_end(s);
}

static void proc(struct scn *s, uint32_t pid, struct who w, const char *exe)
{
    proc_child(s, pid, 1, w, exe);
}

static void cred(struct scn *s, uint32_t pid, uint32_t uid, uint32_t euid)
{
    struct pt_event *e = ev_begin(s, PT_EV_cred, pid, 0);
    pt__synth_u(e, "uid", uid);
    pt__synth_u(e, "euid", euid);
    pt__synth_u(e, "suid", uid);
    pt__synth_u(e, "gid", uid);
    pt__synth_u(e, "egid", euid);
    ev_end(s);
}

static void simple(struct scn *s, unsigned id, uint32_t pid, const char *f, uint64_t v)
{
    struct pt_event *e = ev_begin(s, id, pid, 0);
    if (f)
        pt__synth_u(e, f, v);
    ev_end(s);
}
#define EXIT(s, pid) simple(s, PT_EV_exit, pid, NULL, 0)
#define LOST(s, pid, n) simple(s, PT_EV_lost, pid, "count", n)

static void reaped(struct scn *s, uint32_t pid, uint64_t last_ts)
{
    struct pt_event *e = ev_begin(s, PT_EV_reaped, pid, 0);
    pt__synth_u(e, "signo", 9);
    pt__synth_u(e, "last_ts", last_ts);
    ev_end(s);
}

/* munmap of the page at addr. */
static void munmap_ev(struct scn *s, uint32_t pid, uint64_t addr)
{
    struct pt_event *e = ev_begin(s, PT__ID(munmap), pid, 0);
    pt__synth_u(e, "addr", addr);
    pt__synth_u(e, "length", 4096);
    ev_end(s);
}

/* A nested openat returning a descriptor on (dev, ino). */
static void n_openat(struct scn *s, uint32_t pid, uint8_t depth, const char *path, uint64_t dev,
                     uint64_t ino)
{
    struct pt_event *e = ev_begin(s, PT__ID(openat), pid, depth);
    pt__synth_s(e, "pathname", path);
    e->ret = ino ? 7 : -1;
    e->err = ino ? 0 : ENOENT;
    pt__synth_u(e, pt__synth_ret_dev_name, ino ? dev : 0);
    pt__synth_u(e, pt__synth_ret_ino_name, ino);
    ev_end(s);
}

/* RegOpenKeyExA / RegCreateKeyExA at depth, its openat nested; returns the new handle (0 when
 * ino == 0: the key does not exist). */
static uint64_t reg_open(struct scn *s, uint32_t pid, uint8_t depth, int create, uint64_t parent,
                         const char *sub, uint64_t ino)
{
    n_openat(s, pid, depth + 1, sub, DEV, ino);
    struct pt_event *e =
        ev_begin(s, create ? PT__ID(RegCreateKeyExA) : PT__ID(RegOpenKeyExA), pid, depth);
    uint64_t h = ino ? s->next_handle++ : 0;
    pt__synth_u(e, "hKey", parent);
    pt__synth_s(e, "lpSubKey", sub);
    pt__synth_u(e, "phkResult", h);
    e->ret = ino ? 0 : 2;
    ev_end(s);
    return h;
}

static void reg_close(struct scn *s, uint32_t pid, uint8_t depth, uint64_t h)
{
    struct pt_event *e = ev_begin(s, PT__ID(RegCloseKey), pid, depth);
    pt__synth_u(e, "hKey", h);
    ev_end(s);
}

/* RegDeleteTreeA(parent, sub) at depth, removing the key directory (dev, ino). */
static void reg_delete_tree(struct scn *s, uint32_t pid, uint8_t depth, uint64_t parent,
                            const char *sub, uint64_t ino)
{
    struct pt_event *e = ev_begin(s, PT__ID(unlinkat), pid, depth + 1);
    pt__synth_u(e, "pathname_dirfd", 5);
    pt__synth_s(e, "pathname", sub);
    pt__synth_u(e, "pathname_dev", DEV);
    pt__synth_u(e, "pathname_ino", ino);
    pt__synth_u(e, "flags", 0x200);
    e->nframes = 2;
    e->frame[0] = 0x7f0000001234ull;
    e->frame[1] = 0x555500001000ull;
    ev_end(s);
    e = ev_begin(s, PT__ID(RegDeleteTreeA), pid, depth);
    pt__synth_u(e, "hKey", parent);
    pt__synth_s(e, "lpSubKey", sub);
    ev_end(s);
}

/* CreateFileMappingA(name) at depth with its shm_open nested (physical object ino). */
static void file_mapping(struct scn *s, uint32_t pid, uint8_t depth, const char *name,
                         const char *shm, uint64_t ino)
{
    struct pt_event *e = ev_begin(s, PT__ID(shm_open), pid, depth + 1);
    pt__synth_s(e, "name", shm);
    e->ret = 8;
    pt__synth_u(e, pt__synth_ret_dev_name, SHMDEV);
    pt__synth_u(e, pt__synth_ret_ino_name, ino);
    ev_end(s);
    e = ev_begin(s, PT__ID(CreateFileMappingA), pid, depth);
    pt__synth_s(e, "lpName", name);
    e->ret = 0x1234;
    ev_end(s);
}

/* A process's profile library state, as the test scripts it. */
struct lib {
    uint32_t pid;
    uint64_t profiles; /* handle of the Profiles key */
    uint64_t marks;    /* handle of the marks key */
};

#define PROFILES_INO 100
#define MARKS_INO 101

/* MAPIInitialize: opens the Profiles key, the in-use mapping, and sweeps the profiles named in
 * `sweep` (ino of each key; 0-terminated). */
static struct lib mapi_init(struct scn *s, uint32_t pid, const char *inuse, uint64_t inuse_ino,
                            const char *marks_key, const uint64_t *sweep, const char *const *names)
{
    struct lib l = {pid, 0, 0};
    uint64_t enter = s->ts + 1;
    l.profiles = reg_open(s, pid, 1, 1, HKCU, PROFILES, PROFILES_INO);
    file_mapping(s, pid, 1, inuse, "/mapisim", inuse_ino);
    l.marks =
        reg_open(s, pid, 1, 0, l.profiles, marks_key ? marks_key : "Deleted Profiles", MARKS_INO);
    for (int i = 0; sweep && sweep[i]; i++) {
        reg_delete_tree(s, pid, 1, l.profiles, names[i], sweep[i]);
        struct pt_event *e = ev_begin(s, PT__ID(RegDeleteKeyA), pid, 1);
        pt__synth_u(e, "hKey", l.marks);
        pt__synth_s(e, "lpSubKey", names[i]);
        ev_end(s);
    }
    struct pt_event *e = ev_begin(s, PT__ID(MAPIInitialize), pid, 0);
    e->ts_enter = enter;
    e->nframes = 1;
    e->frame[0] = 0x555500002000ull;
    ev_end(s);
    return l;
}

/* MAPILogonEx(profile): opens the profile's key (ino); returns the session handle. */
static uint64_t logon(struct scn *s, struct lib *l, const char *profile, uint64_t ino)
{
    uint64_t enter = s->ts + 1;
    reg_open(s, l->pid, 1, 0, l->profiles, profile, ino);
    struct pt_event *e = ev_begin(s, PT__ID(MAPILogonEx), l->pid, 0);
    e->ts_enter = enter;
    uint64_t session = 0xabc000 + l->pid;
    pt__synth_s(e, "lpszProfileName", profile);
    pt__synth_u(e, "lppSession", session);
    ev_end(s);
    return session;
}

/* IProfAdmin_DeleteProfile on a profile in use: marks it under the marks key. */
static void mark(struct scn *s, struct lib *l, const char *profile, uint64_t mark_ino)
{
    uint64_t enter = s->ts + 1;
    uint64_t h = reg_open(s, l->pid, 1, 1, l->marks, profile, mark_ino);
    reg_close(s, l->pid, 1, h);
    struct pt_event *e = ev_begin(s, PT__ID(IProfAdmin_DeleteProfile), l->pid, 0);
    e->ts_enter = enter;
    pt__synth_s(e, "lpszProfileName", profile);
    ev_end(s);
}

/* IMAPISession_OpenMsgStore failing with MAPI_E_CALL_FAILED over a RegQueryValueExA on key handle
 * `hkey` that returned ERROR_KEY_DELETED. */
static void open_msg_store_fails(struct scn *s, uint32_t pid, uint64_t session, uint64_t hkey)
{
    uint64_t enter = s->ts + 1;
    struct pt_event *e = ev_begin(s, PT__ID(RegQueryValueExA), pid, 1);
    pt__synth_u(e, "hKey", hkey);
    pt__synth_s(e, "lpValueName", "PR_PROFILE_NAME");
    e->ret = 1018;
    ev_end(s);
    e = ev_begin(s, PT__ID(IMAPISession_OpenMsgStore), pid, 0);
    e->ts_enter = enter;
    pt__synth_u(e, "This", session);
    e->ret = (int32_t)0x80004005u;
    e->nframes = 1;
    e->frame[0] = 0x555500003000ull;
    ev_end(s);
}

/* IMAPISession_Release, optionally deleting the profile (T2) inside. */
static void release(struct scn *s, struct lib *l, uint64_t session, const char *profile,
                    uint64_t delete_ino)
{
    uint64_t enter = s->ts + 1;
    if (delete_ino)
        reg_delete_tree(s, l->pid, 1, l->profiles, profile, delete_ino);
    struct pt_event *e = ev_begin(s, PT__ID(IMAPISession_Release), l->pid, 0);
    e->ts_enter = enter;
    pt__synth_u(e, "This", session);
    ev_end(s);
}

/* A shared mmap (MAP_SHARED) of length bytes of the open file fd, (dev, ino), at addr. */
static void file_map(struct scn *s, uint32_t pid, uint64_t length, int fd, uint64_t dev,
                     uint64_t ino, uint64_t addr)
{
    struct pt_event *e = ev_begin(s, PT__ID(mmap), pid, 0);
    pt__synth_u(e, "length", length);
    pt__synth_u(e, "flags", 1);
    pt__synth_u(e, "fd", (uint64_t)fd);
    pt__synth_u(e, "fd_dev", dev);
    pt__synth_u(e, "fd_ino", ino);
    e->ret = (int64_t)addr;
    ev_end(s);
}

/* shm_open(name) of (SHMDEV, ino) and a shared mmap of it at addr. */
static void shm_map(struct scn *s, uint32_t pid, const char *name, uint64_t ino, uint64_t addr)
{
    struct pt_event *e = ev_begin(s, PT__ID(shm_open), pid, 0);
    pt__synth_s(e, "name", name);
    e->ret = 9;
    pt__synth_u(e, pt__synth_ret_dev_name, SHMDEV);
    pt__synth_u(e, pt__synth_ret_ino_name, ino);
    ev_end(s);
    e = ev_begin(s, PT__ID(mmap), pid, 0);
    pt__synth_u(e, "length", 4096);
    pt__synth_u(e, "prot", 3);
    pt__synth_u(e, "flags", 1); /* MAP_SHARED */
    pt__synth_u(e, "fd", 9);
    pt__synth_u(e, "fd_dev", SHMDEV);
    pt__synth_u(e, "fd_ino", ino);
    e->ret = (int64_t)addr;
    ev_end(s);
}

/* shm_unlink(name), which removed (SHMDEV, ino). */
static void shm_unlink_ev(struct scn *s, uint32_t pid, const char *name, uint64_t ino)
{
    struct pt_event *e = ev_begin(s, PT__ID(shm_unlink), pid, 0);
    pt__synth_s(e, "name", name);
    pt__synth_u(e, "name_dev", SHMDEV);
    pt__synth_u(e, "name_ino", ino);
    ev_end(s);
}

/* shm_open(name) failing with ENOENT. */
static void shm_open_fails(struct scn *s, uint32_t pid, const char *name)
{
    struct pt_event *e = ev_begin(s, PT__ID(shm_open), pid, 0);
    pt__synth_s(e, "name", name);
    e->ret = -1;
    e->err = ENOENT;
    ev_end(s);
}

/* The liveness check PROFTRACE_BREAK=delete-held makes in the deleter just before a delete of
 * (dev, ino): a holds-table owner holder_pid was alive. */
static void breakpoint_check(struct scn *s, uint32_t pid, uint64_t dev, uint64_t ino,
                             uint32_t holder_pid, int stopped)
{
    struct pt_event *e = ev_begin(s, PT_EV_breakpoint, pid, 0);
    pt__synth_s(e, "reason", "delete-held");
    pt__synth_s(e, "call", "unlinkat");
    pt__synth_u(e, "stopped", (uint64_t)stopped);
    pt__synth_u(e, "dev", dev);
    pt__synth_u(e, "ino", ino);
    pt__synth_u(e, "holder_pid", holder_pid);
    pt__synth_s(e, "holder", "?");
    ev_end(s);
}

/* The collector's witness saw untraced process wpid (identity w) unlink path, which was
 * (dev, ino). */
static void witnessed_unlink(struct scn *s, uint32_t wpid, struct who w, const char *exe,
                             const char *path, uint64_t dev, uint64_t ino)
{
    struct pt_event *e = ev_begin(s, PT_EV_witnessed, 1, 0); /* the witness's own ring */
    pt__synth_s(e, "how", "unlink");
    pt__synth_s(e, "via", "fanotify");
    pt__synth_s(e, "path", path);
    pt__synth_u(e, "dev", dev);
    pt__synth_u(e, "ino", ino);
    pt__synth_u(e, "pid", wpid);
    pt__synth_s(e, "ident", "live");
    pt__synth_u(e, "start_time", w.start);
    pt__synth_u(e, "uid", w.uid);
    pt__synth_u(e, "euid", w.euid);
    pt__synth_u(e, "sessionid", w.session);
    pt__synth_u(e, "loginuid", w.uid);
    pt__synth_u(e, "ns_ipc", w.ipc);
    pt__synth_u(e, "ns_mnt", w.mnt);
    pt__synth_u(e, "ns_pid", w.pid);
    pt__synth_s(e, "exe", exe);
    pt__synth_s(e, "cmdline", exe);
    ev_end(s);
}

/* The text (json 0) or JSON report of the finished analyzer, as one string (the caller frees). */
static char *scn_render(struct scn *s, int json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct pt_report_opts o = {0, 0}; /* no symbols, no disassembly: nothing to resolve */
    if (!f)
        return NULL;
    CHECK((json ? pt_report_json(f, s->a, &o) : pt_report_text(f, s->a, &o)) == 0);
    fclose(f);
    return buf;
}

static void finish(struct scn *s)
{
    pt_analyzer_finish(s->a, NULL);
}

__attribute__((unused)) static int find(struct scn *s, const char *rule)
{
    for (unsigned i = 0; i < pt_analyzer_nfindings(s->a); i++)
        if (!strcmp(pt_analyzer_finding_rule(s->a, i), rule))
            return (int)i;
    return -1;
}

#define RUN(t)                                                                                     \
    do {                                                                                           \
        int before_ = failures;                                                                    \
        t();                                                                                       \
        printf("%s %s\n", failures == before_ ? "ok  " : "FAIL", #t);                              \
    } while (0)

#endif

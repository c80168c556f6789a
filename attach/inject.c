/* inject.c — attaching to a running process and detaching from it, step by step.
 *
 * Attach. Every thread is seized and one is chosen and stopped (world.c); the calls run on it
 * (remote_call.c) while the others run, except where they must not:
 *   1. libc's mmap makes a scratch area: a page for the return stub (made executable with
 *      mprotect), the request the shim reads, a stack for the long calls;
 *   2. __errno_location: the thread's errno, read now and written back at the end (dlopen sets it);
 *   3. dlopen(libproftrace.so, RTLD_NOW) — RTLD_LOCAL: the process's own symbol lookups are not
 *      changed — and dlsym(proftrace_attach); dlerror() says why when it fails;
 *   4. proftrace_attach(START): the ring, the process and module events, the GOT rebound; from here
 *      the process's calls are recorded; proftrace_attach(STACKS): which events carry a stack;
 *   5. the other threads stopped — the pause — for the holds the process has, read from /proc
 *      (hold_scan.c) while nothing moves and given to proftrace_attach(HOLDS), stamped with the
 *      attach time START answered; then they run again;
 *   6. proftrace_attach(HOOKS) inline-hooks what interposition cannot reach (the engine's patching
 *      protocols need the other threads running);
 *   7. errno written back, the scratch area unmapped, every thread detached.
 * A failure after step 4 turns tracing off again (STOP); any failure unmaps the scratch area and
 * detaches. While the others are stopped, a call about to wait for a lock one of them may hold
 * lets them go at once (remote_call.c).
 * Detach is the same with STOP as the only operation, the other threads running. dlopen
 * (RTLD_NOLOAD) finds the shim already there; it is never unloaded (threads may be inside its
 * wrappers).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attach/attach.h"
#include "attach/internal.h"

/* The scratch area: [stub page][result, request (REQ_MAX)][stack (STACK_BYTES)] */
#define STUB_BYTES 4096ull
#define REQ_OFF 64ull
#define REQ_MAX (1ull << 20)
#define STACK_BYTES (1ull << 20)
#define SCRATCH_BYTES (STUB_BYTES + REQ_OFF + REQ_MAX + STACK_BYTES)

struct session {
    pid_t pid;
    struct pt__vma *v;
    size_t nv;
    struct pt__libc lc;
    struct pt__world w;
    struct pt__rcall rc;
    uint64_t scratch; /* 0: not mapped */
    uint64_t data;    /* result slot; the request at data + REQ_OFF */
    uint64_t entry;   /* proftrace_attach in the process */
    int have_errno;
    int world; /* the threads are seized */
    uint64_t t_detour;
};

static int call_own(struct session *s, long sysnr, uint64_t fn, int nargs, const uint64_t *args,
                    int64_t *ret, char *why, size_t len)
{
    return pt__rcall(&s->rc, PT__ON_OWN_STACK, sysnr, fn, nargs, args, ret, why, len);
}

static int call_scratch(struct session *s, uint64_t fn, int nargs, const uint64_t *args,
                        int64_t *ret, char *why, size_t len)
{
    return pt__rcall(&s->rc, PT__ON_SCRATCH, -1, fn, nargs, args, ret, why, len);
}

static int scratch_map(struct session *s, char *why, size_t len)
{
    int64_t ret = 0;
    uint64_t a[6] = {0,
                     SCRATCH_BYTES,
                     PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                     (uint64_t)-1,
                     0};
    int rc = call_own(s, SYS_mmap, s->lc.mmap, 6, a, &ret, why, len);
    if (rc < 0)
        return rc;
    if (ret < 0 && ret > -4096) {
        snprintf(why, len, "mmap of a scratch area in the process: %s", strerror((int)-ret));
        return (int)ret;
    }
    s->scratch = (uint64_t)ret;
    s->data = s->scratch + STUB_BYTES;
    /* The return stub: movabs %rax, result; mov $15, %eax; syscall (rt_sigreturn). */
    uint8_t stub[17] = {0x48, 0xa3};
    memcpy(stub + 2, &s->data, 8);
    memcpy(stub + 10, (const uint8_t[]){0xb8, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05}, 7);
    if ((rc = pt__mem_write(s->pid, s->scratch, stub, sizeof stub)) < 0) {
        snprintf(why, len, "writing the scratch area: %s", strerror(-rc));
        return rc;
    }
    uint64_t p[3] = {s->scratch, STUB_BYTES, PROT_READ | PROT_EXEC};
    if ((rc = call_own(s, SYS_mprotect, s->lc.mprotect, 3, p, &ret, why, len)) < 0)
        return rc;
    if (ret != 0) {
        snprintf(why, len, "mprotect of the scratch stub: %s", strerror((int)-ret));
        return -EACCES;
    }
    s->rc.stub = s->scratch;
    s->rc.stub_end = s->scratch + sizeof stub;
    s->rc.result = s->data;
    s->rc.scratch_stack = s->scratch + SCRATCH_BYTES - 64;
    return 0;
}

static void scratch_unmap(struct session *s)
{
    char why[256];
    int64_t ret;
    if (s->have_errno)
        pt__mem_write(s->pid, s->rc.errno_addr, &s->rc.errno_saved, sizeof s->rc.errno_saved);
    if (!s->scratch)
        return;
    uint64_t a[2] = {s->scratch, SCRATCH_BYTES};
    call_own(s, SYS_munmap, s->lc.munmap, 2, a, &ret, why, sizeof why);
    s->scratch = 0;
}

/* A C string out of the process (dlerror's message). */
static void read_cstr(pid_t pid, uint64_t addr, char *out, size_t len)
{
    out[0] = 0;
    if (!addr || len < 2)
        return;
    if (pt__mem_read(pid, addr, out, len - 1) < 0) {
        for (size_t i = 0; i + 1 < len; i++) /* it may end just before an unmapped page */
            if (pt__mem_read(pid, addr + i, out + i, 1) < 0 || !out[i])
                break;
    }
    out[len - 1] = 0;
}

/* Steps 1-3: the scratch area, errno, the shim loaded and its entry point found. */
static int load_shim(struct session *s, const char *shim, int noload, char *why, size_t len)
{
    int rc = scratch_map(s, why, len);
    if (rc < 0)
        return rc;
    int64_t ret = 0;
    if ((rc = call_scratch(s, s->lc.errno_location, 0, NULL, &ret, why, len)) < 0)
        return rc;
    s->rc.errno_addr = (uint64_t)ret;
    if (pt__mem_read(s->pid, s->rc.errno_addr, &s->rc.errno_saved, sizeof s->rc.errno_saved) == 0)
        s->have_errno = 1;
    uint64_t str = s->data + REQ_OFF;
    if ((rc = pt__mem_write(s->pid, str, shim, strlen(shim) + 1)) < 0) {
        snprintf(why, len, "writing into the scratch area: %s", strerror(-rc));
        return rc;
    }
    uint64_t a[2] = {str, RTLD_NOW | (noload ? RTLD_NOLOAD : 0)};
    if ((rc = call_scratch(s, s->lc.dlopen, 2, a, &ret, why, len)) < 0)
        return rc;
    if (!ret) {
        char msg[512] = "";
        int64_t m = 0;
        if (noload) {
            snprintf(why, len, "proftrace's shim is not loaded in it");
            return -ENOENT;
        }
        if (s->lc.dlerror && call_scratch(s, s->lc.dlerror, 0, NULL, &m, why, len) == 0)
            read_cstr(s->pid, (uint64_t)m, msg, sizeof msg);
        snprintf(why, len, "its dlopen of %s failed: %s", shim, msg[0] ? msg : "(no message)");
        return -ENOEXEC;
    }
    uint64_t handle = (uint64_t)ret;
    if ((rc = pt__mem_write(s->pid, str, PT_ATTACH_ENTRY, sizeof PT_ATTACH_ENTRY)) < 0)
        return rc;
    uint64_t b[2] = {handle, str};
    if ((rc = call_scratch(s, s->lc.dlsym, 2, b, &ret, why, len)) < 0)
        return rc;
    if (!ret) {
        snprintf(why, len, "%s has no %s (another version of proftrace?)", shim, PT_ATTACH_ENTRY);
        return -ENOEXEC;
    }
    s->entry = (uint64_t)ret;
    return 0;
}

/* One operation of the shim's entry point; q is updated with its answer. */
static int shim_op(struct session *s, struct pt_attach_req *q, const void *extra, size_t nextra,
                   char *why, size_t len)
{
    uint64_t at = s->data + REQ_OFF;
    int rc = pt__mem_write(s->pid, at, q, sizeof *q);
    if (rc == 0 && nextra)
        rc = pt__mem_write(s->pid, at + sizeof *q, extra, nextra);
    if (rc < 0) {
        snprintf(why, len, "writing the request: %s", strerror(-rc));
        return rc;
    }
    int64_t ret = 0;
    uint64_t a[1] = {at};
    if ((rc = call_scratch(s, s->entry, 1, a, &ret, why, len)) < 0)
        return rc;
    if ((rc = pt__mem_read(s->pid, at, q, sizeof *q)) < 0) {
        snprintf(why, len, "reading the shim's answer: %s", strerror(-rc));
        return rc;
    }
    if ((int)ret < 0 || q->result < 0) {
        q->why[sizeof q->why - 1] = 0;
        snprintf(why, len, "%s", q->why[0] ? q->why : strerror(-(int)ret));
        return q->result < 0 ? q->result : (int)ret;
    }
    return 0;
}

static void req_init(struct pt_attach_req *q, uint32_t op)
{
    memset(q, 0, sizeof *q);
    q->magic = PT_ATTACH_MAGIC;
    q->version = PT_ATTACH_VERSION;
    q->size = sizeof *q;
    q->op = op;
}

/* The holds, laid out after the request: the array, then the strings; cut to what fits. */
static void *holds_blob(const struct pt__holds *h, struct pt_attach_req *q, size_t *n)
{
    size_t harr = h->n * sizeof h->h[0];
    size_t base = (sizeof *q + 7) & ~(size_t)7;
    if (base + harr + h->slen > REQ_MAX)
        return NULL;
    *n = base - sizeof *q + harr + h->slen;
    uint8_t *b = calloc(1, *n ? *n : 1);
    if (!b)
        return NULL;
    memcpy(b + (base - sizeof *q), h->h, harr);
    memcpy(b + (base - sizeof *q) + harr, h->str, h->slen);
    q->nholds = (uint32_t)h->n;
    q->holds_off = (uint32_t)base;
    q->strings_off = (uint32_t)(base + harr);
    q->strings_len = (uint32_t)h->slen;
    q->size = (uint32_t)(sizeof *q + *n);
    return b;
}

static int session_open(struct session *s, pid_t pid, char *why, size_t len)
{
    memset(s, 0, sizeof *s);
    s->pid = pid;
    int rc = pt__maps_read(pid, &s->v, &s->nv);
    if (rc < 0) {
        snprintf(why, len, "reading /proc/%d/maps: %s", (int)pid, strerror(-rc));
        return rc;
    }
    if ((rc = pt__libc_find(pid, s->v, s->nv, &s->lc, why, len)) < 0)
        return rc;
    if ((rc = pt__world_seize(&s->w, pid, s->v, s->nv, why, len)) < 0)
        return rc;
    s->world = 1;
    const char *ts = getenv("PROFTRACE_ATTACH_TEST_STOP"); /* for tests: killed right here */
    if (ts && !strcmp(ts, "seized")) {
        fprintf(stderr, "proftrace: test stop with every thread seized\n");
        kill(getpid(), SIGSTOP);
    }
    if ((rc = pt__rcall_init(&s->rc, &s->w, why, len)) < 0)
        return rc;
    const struct pt__vma *stk = pt__maps_find(s->v, s->nv, s->rc.resume.rsp);
    s->rc.own_lo = stk ? stk->lo : s->rc.resume.rsp;
    s->rc.restore_rt = s->lc.restore_rt;
    s->t_detour = pt__now_ns();
    return 0;
}

/* Give the process back: scratch area unmapped and errno restored (unless the call was abandoned
 * or the process is gone), every thread detached. */
static void session_close(struct session *s, int rc, struct pt_attach_info *info)
{
    if (s->world && rc != -ECANCELED && rc != -ESRCH)
        scratch_unmap(s);
    if (info) {
        info->threads = (unsigned)s->w.n;
        info->detour_ms = s->t_detour ? (double)(pt__now_ns() - s->t_detour) / 1e6 : 0;
    }
    if (s->world)
        pt__world_detach(&s->w);
    if (info)
        info->pause_ms = (double)s->w.pause_ns / 1e6;
    pt__rcall_fini(&s->rc);
    free(s->v);
}

static void exe_of(pid_t pid, char *out, size_t len)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(link, out, len - 1);
    out[n > 0 ? n : 0] = 0;
}

int pt_attach(pid_t pid, const struct pt_attach_opts *o, struct pt_attach_info *info, char *why,
              size_t len)
{
    struct pt_attach_info dummy;
    if (!info)
        info = &dummy;
    memset(info, 0, sizeof *info);
    int rc = pt_attach_check(pid, o, why, len);
    if (rc < 0)
        return rc;
    exe_of(pid, info->exe, sizeof info->exe);
    struct session s;
    struct pt_attach_req q;
    int started = 0;
    if ((rc = session_open(&s, pid, why, len)) < 0 ||
        (rc = load_shim(&s, o->shim, 0, why, len)) < 0)
        goto out;
    req_init(&q, PT_ATTACH_START);
    snprintf(q.dir, sizeof q.dir, "%s", o->dir);
    q.buf_bytes = o->buf_bytes;
    q.nthreads = o->nthreads;
    q.overwrite = (uint32_t)o->overwrite;
    q.noloss_ms = o->overwrite ? 0 : (uint32_t)o->noloss_ms;
    q.host_pid = (uint32_t)pid;
    if ((rc = shim_op(&s, &q, NULL, 0, why, len)) < 0)
        goto out;
    started = 1;
    info->slots = q.count;
    snprintf(info->note, sizeof info->note, "%s", q.why);
    uint64_t t0 = q.t0;

    req_init(&q, PT_ATTACH_STACKS);
    if ((rc = shim_op(&s, &q, NULL, 0, why, len)) < 0)
        goto out;

    pt__world_stop(&s.w);
    struct pt__holds h;
    pt__holds_scan(pid, o->dir, &h);
    req_init(&q, PT_ATTACH_HOLDS);
    q.t0 = t0;
    size_t nextra = 0;
    void *blob = holds_blob(&h, &q, &nextra);
    if (!blob && h.n) {
        snprintf(why, len, "%zu holds found: more than the request can carry", h.n);
        rc = -E2BIG;
    } else {
        rc = shim_op(&s, &q, blob, nextra, why, len);
        info->holds = q.count;
    }
    free(blob);
    pt__holds_free(&h);
    if (rc < 0)
        goto out;

    pt__world_resume_others(&s.w);
    req_init(&q, PT_ATTACH_HOOKS);
    rc = shim_op(&s, &q, NULL, 0, why, len);
out:
    if (rc < 0 && started && rc != -ECANCELED && rc != -ESRCH) {
        char ignore[256];
        req_init(&q, PT_ATTACH_STOP);
        shim_op(&s, &q, NULL, 0, ignore, sizeof ignore);
    }
    session_close(&s, rc, info);
    return rc;
}

int pt_detach(pid_t pid, const char *shim, struct pt_attach_info *info, char *why, size_t len)
{
    struct pt_attach_info dummy;
    if (!info)
        info = &dummy;
    memset(info, 0, sizeof *info);
    exe_of(pid, info->exe, sizeof info->exe);
    if (!pt_attach_is_attached(pid, shim)) {
        snprintf(why, len, "not attached");
        return -ENOENT;
    }
    struct session s;
    struct pt_attach_req q;
    int rc;
    if ((rc = session_open(&s, pid, why, len)) < 0 || (rc = load_shim(&s, shim, 1, why, len)) < 0)
        goto out;
    req_init(&q, PT_ATTACH_STOP);
    rc = shim_op(&s, &q, NULL, 0, why, len);
    info->slots = q.count;
out:
    session_close(&s, rc, info);
    return rc;
}

void pt_attach_cancel(void)
{
    pt__attach_cancel = 1;
}

/* identity.c — the non-call events that say who a process is: process, module, cred, ns, thread,
 * exit, signal. Everything is read from /proc with raw system calls (no stdio, no allocation),
 * for the calling thread where the kernel keeps it per thread (credentials, namespaces). */
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload/shim.h"

/* Read a small /proc file into buf (NUL-terminated); bytes read, or -1. */
static ssize_t pt__slurp(const char *path, char *buf, size_t size)
{
    int fd =
        (int)syscall(SYS_openat, PT__AT_FDCWD, path, 0 /* O_RDONLY */ | 02000000 /* CLOEXEC */);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got < size - 1) {
        ssize_t n = syscall(SYS_read, fd, buf + got, size - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    syscall(SYS_close, fd);
    buf[got] = 0;
    return (ssize_t)got;
}

static uint32_t pt__slurp_u32(const char *path, uint32_t def)
{
    char buf[32];
    if (pt__slurp(path, buf, sizeof buf) <= 0)
        return def;
    return (uint32_t)strtoul(buf, NULL, 10);
}

static uint64_t pt__ns_ino(const char *name)
{
    char path[64] = "/proc/thread-self/ns/";
    struct stat st;
    strcat(path, name);
    return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

#define PT__NS_FILL(ns) v->ns_##ns = pt__ns_ino(#ns);
#define PT__FILL_NS(v) PT_NAMESPACES(PT__NS_FILL)

/* Start time of this process, clock ticks since boot (/proc/self/stat field 22); 0 unknown. */
static uint64_t pt__self_start_time(void)
{
    static char stat_[1024];
    if (pt__slurp("/proc/self/stat", stat_, sizeof stat_) <= 0)
        return 0;
    /* Field 22, counted after the command name, which may itself hold spaces or ')'. */
    char *p = strrchr(stat_, ')');
    int field = 2;
    while (p && *p && field < 22) {
        if (*p == ' ')
            field++;
        p++;
    }
    return p && field == 22 ? strtoull(p, NULL, 10) : 0;
}

/* The global pid.
 * NSpid in /proc/self/status lists our pid from the pid namespace of that /proc mount inwards, so
 * it is only as global as the /proc we see: after `unshare --pid --fork --mount-proc` the child
 * mounts a /proc of the new namespace and then execs, and the new image would read NSpid "1".
 * A process keeps its pid (in every namespace) across exec, so the view before the exec is as
 * true afterwards: the shim hands it on in PROFTRACE_GPID=gpid:pid:start_time:depth (env.c) and
 * the new image takes it when pid and start time are its own (a fork child or an unrelated
 * process that inherited the variable has another pid or start time) and it spans more namespace
 * levels than its own /proc shows. A fork child reads NSpid in the child, before it can mount
 * anything, so the fork child of unshare still sees the outer /proc; what cannot be known is a
 * process forked after the inner /proc was mounted (then the pid of the outermost /proc seen).
 * Read from the environment the process started with, so a program's setenv cannot forge it. */
static uint32_t pt__gpid, pt__gpid_for;
uint32_t pt__global_pid(void)
{
    static char status[8192];
    uint32_t pid = (uint32_t)getpid();
    if (pt__gpid_for == pid)
        return pt__gpid;
    uint32_t gpid = pid;
    unsigned depth = 1;
    if (pt__slurp("/proc/self/status", status, sizeof status) > 0) {
        const char *p = strstr(status, "\nNSpid:");
        if (p) {
            char *end;
            gpid = (uint32_t)strtoul(p + 7, &end, 10);
            for (depth = 1; *end == '\t' || *end == ' '; depth++)
                (void)strtoul(end, &end, 10);
        }
    }
    uint64_t start = pt__self_start_time();
    const char *v = getenv("PROFTRACE_GPID");
    unsigned g, ip, d;
    unsigned long long st;
    if (v && sscanf(v, "%u:%u:%llu:%u", &g, &ip, &st, &d) == 4 && ip == pid && st == start &&
        start && d > depth) {
        gpid = g;
        depth = d;
    }
    pt__env_set_gpid(gpid, pid, start, depth);
    pt__gpid = gpid;
    pt__gpid_for = pid;
    return gpid;
}

void pt__emit_process(void)
{
    struct pt__ev_process ev, *v = &ev;
    static char exe[4096], cmd[4096];
    memset(&ev, 0, sizeof ev);
    ev.pid = (uint32_t)getpid();
    ev.ppid = (uint32_t)getppid();
    ev.global_pid = pt__global_pid();
    ev.start_time = pt__self_start_time();
    uid_t r, e, s;
    gid_t gr, ge, gs;
    syscall(SYS_getresuid, &r, &e, &s);
    syscall(SYS_getresgid, &gr, &ge, &gs);
    ev.uid = r, ev.euid = e, ev.gid = gr, ev.egid = ge;
    ev.sessionid = pt__slurp_u32("/proc/self/sessionid", 0xffffffffu);
    ev.loginuid = pt__slurp_u32("/proc/self/loginuid", 0xffffffffu);
    PT__FILL_NS(v);
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    n = pt__slurp("/proc/self/cmdline", cmd, sizeof cmd);
    if (n > 0)
        n = (ssize_t)pt__redact_cmdline(cmd, (size_t)n, sizeof cmd); /* PROFTRACE_REDACT */
    for (ssize_t i = 0; i + 1 < n; i++)
        if (cmd[i] == 0)
            cmd[i] = ' ';
    ev.exe = exe;
    ev.cmdline = cmd;
    pt__put_process(NULL, 0, &ev);
}

void pt__emit_cred(void)
{
    struct pt__ev_cred ev;
    uid_t r, e, s;
    gid_t gr, ge, gs;
    syscall(SYS_getresuid, &r, &e, &s);
    syscall(SYS_getresgid, &gr, &ge, &gs);
    ev.uid = r, ev.euid = e, ev.suid = s, ev.gid = gr, ev.egid = ge, ev.sgid = gs;
    pt__put_cred(NULL, 0, &ev);
}

void pt__emit_ns(void)
{
    struct pt__ev_ns ev, *v = &ev;
    PT__FILL_NS(v);
    pt__put_ns(NULL, 0, &ev);
}

void pt__emit_exit(int status)
{
    struct pt__ev_exit ev = {.status = status};
    pt__put_exit(NULL, 0, &ev);
}

void pt__emit_signal(int signo, int code, uint64_t addr)
{
    struct pt__ev_signal ev = {.signo = signo, .code = code, .addr = addr};
    pt__put_signal(NULL, 0, &ev);
}

void pt__emit_thread(struct pt_tbuf *b, uint32_t tid)
{
    struct pt__ev_thread ev = {.tid = tid};
    pt__put_thread(b, 0, &ev);
}

/* ---- Modules ------------------------------------------------------------------------------------
 * Every loaded object once: at start, after fork (the child's own stream), and whenever the loader
 * reports more loads than last time (checked before events that carry a stack, which are the ones
 * that need symbolizing). The seen-set is touched only inside dl_iterate_phdr callbacks, which the
 * loader serializes. */
#define PT__MAX_SEEN 1024
static uint64_t pt__seen[PT__MAX_SEEN];
static unsigned pt__nseen;
static unsigned long long pt__adds_seen;
static char pt__exe_path[4096];

void pt__modules_forget(void)
{
    pt__nseen = 0;
    pt__adds_seen = 0;
}

static void pt__build_id(struct dl_phdr_info *info, char *out, size_t outsz)
{
    out[0] = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const uint8_t *name = p + sizeof *nh;
            const uint8_t *desc = name + ((nh->n_namesz + 3) & ~3u);
            if (desc + nh->n_descsz > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(name, "GNU", 4)) {
                static const char hex[] = "0123456789abcdef";
                size_t k = 0;
                for (uint32_t j = 0; j < nh->n_descsz && k + 2 < outsz; j++) {
                    out[k++] = hex[desc[j] >> 4];
                    out[k++] = hex[desc[j] & 15];
                }
                out[k] = 0;
                return;
            }
            p = desc + ((nh->n_descsz + 3) & ~3u);
        }
    }
}

static int pt__module_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    int only_new = *(int *)arg;
    if (size >= offsetof(struct dl_phdr_info, dlpi_subs)) {
        if (only_new == 2) { /* just asking whether anything was loaded since last time */
            *(int *)arg = info->dlpi_adds != pt__adds_seen;
            return 1;
        }
        pt__adds_seen = info->dlpi_adds;
    }
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uint64_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
        if (a < lo)
            lo = a;
        if (b > hi)
            hi = b;
    }
    if (hi == 0)
        return 0;
    lo &= ~(uint64_t)4095;
    for (unsigned i = 0; i < pt__nseen; i++)
        if (pt__seen[i] == lo)
            return 0;
    if (pt__nseen < PT__MAX_SEEN)
        pt__seen[pt__nseen++] = lo;
    struct pt__ev_module ev;
    char bid[129];
    pt__build_id(info, bid, sizeof bid);
    ev.base = lo;
    ev.size = hi - lo;
    ev.bias = info->dlpi_addr;
    ev.path = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : pt__exe_path;
    ev.build_id = bid;
    pt__put_module(NULL, 0, &ev);
    return 0;
}

void pt__emit_modules(int only_new)
{
    if (only_new) {
        int ask = 2;
        dl_iterate_phdr(pt__module_cb, &ask);
        if (!ask)
            return;
    }
    if (!pt__exe_path[0]) {
        ssize_t n = readlink("/proc/self/exe", pt__exe_path, sizeof pt__exe_path - 1);
        pt__exe_path[n > 0 ? n : 0] = 0;
    }
    int mode = 1;
    dl_iterate_phdr(pt__module_cb, &mode);
}

/* refuse.c — whether a process can be attached, decided before anything in it is touched, and
 * said in one line: the reason and what to do about it. */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach/attach.h"
#include "attach/internal.h"
#include "tracer/collector.h"

struct status {
    char name[64], state;
    pid_t ppid, tracer;
    unsigned uid[4], gid[4];
    unsigned long long cap_eff;
    int seccomp;      /* 0 none, 1 strict, 2 filter */
    unsigned filters; /* seccomp filters in force */
};

static int read_status(pid_t pid, struct status *s)
{
    char path[64], line[512];
    memset(s, 0, sizeof *s);
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    else
        snprintf(path, sizeof path, "/proc/self/status");
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "Name:", 5))
            sscanf(line + 5, " %63[^\n]", s->name);
        else if (!strncmp(line, "State:", 6))
            sscanf(line + 6, " %c", &s->state);
        else if (!strncmp(line, "PPid:", 5))
            s->ppid = (pid_t)atoi(line + 5);
        else if (!strncmp(line, "TracerPid:", 10))
            s->tracer = (pid_t)atoi(line + 10);
        else if (!strncmp(line, "Uid:", 4))
            sscanf(line + 4, "%u %u %u %u", &s->uid[0], &s->uid[1], &s->uid[2], &s->uid[3]);
        else if (!strncmp(line, "Gid:", 4))
            sscanf(line + 4, "%u %u %u %u", &s->gid[0], &s->gid[1], &s->gid[2], &s->gid[3]);
        else if (!strncmp(line, "CapEff:", 7))
            s->cap_eff = strtoull(line + 7, NULL, 16);
        else if (!strncmp(line, "Seccomp:", 8))
            s->seccomp = atoi(line + 8);
        else if (!strncmp(line, "Seccomp_filters:", 16))
            s->filters = (unsigned)atoi(line + 16);
    }
    fclose(f);
    return 0;
}

static int is_descendant(pid_t pid)
{
    pid_t self = getpid();
    for (int depth = 0; pid > 1 && depth < 4096; depth++) {
        struct status s;
        if (read_status(pid, &s) < 0)
            return 0;
        if (s.ppid == self)
            return 1;
        pid = s.ppid;
    }
    return 0;
}

int pt_attach_yama(int scope, int cap, int descendant, char *why, size_t len)
{
    switch (scope) {
    case -1:
    case 0:
        return 0;
    case 1:
        if (cap || descendant)
            return 0;
        snprintf(why, len,
                 "kernel.yama.ptrace_scope is 1: a process may be traced only by its ancestors; "
                 "run proftrace as root (CAP_SYS_PTRACE), or allow it with "
                 "`sysctl kernel.yama.ptrace_scope=0`");
        return -EPERM;
    case 2:
        if (cap)
            return 0;
        snprintf(why, len,
                 "kernel.yama.ptrace_scope is 2: only root (CAP_SYS_PTRACE) may attach; run "
                 "proftrace as root");
        return -EPERM;
    default:
        snprintf(why, len,
                 "kernel.yama.ptrace_scope is %d: attaching with ptrace is disabled until the next "
                 "reboot; start the program under `proftrace record -- CMD` instead",
                 scope);
        return -EPERM;
    }
}

static int yama_scope(void)
{
    FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
    int v = -1;
    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

static const char *user_name(unsigned uid, char *buf, size_t len)
{
    struct passwd *pw = getpwuid(uid);
    snprintf(buf, len, "%s", pw ? pw->pw_name : "?");
    return buf;
}

/* Is `path` the same file for the process as for us (not another mount namespace's)? */
static int same_file(pid_t pid, const char *path)
{
    char there[4200];
    struct stat a, b;
    snprintf(there, sizeof there, "/proc/%d/root%s", (int)pid, path);
    return stat(path, &a) == 0 && stat(there, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

int pt_attach_check(pid_t pid, const struct pt_attach_opts *o, char *why, size_t len)
{
    struct status t, me;
    char exe[512] = "", link[64], ubuf[2][64];
    if (pid <= 0) {
        snprintf(why, len, "%d is not a process id", (int)pid);
        return -EINVAL;
    }
    if (pid == getpid()) {
        snprintf(why, len, "proftrace cannot attach to itself");
        return -EINVAL;
    }
    if (read_status(pid, &t) < 0) {
        snprintf(why, len, "no process %d", (int)pid);
        return -ESRCH;
    }
    read_status(0, &me);
    snprintf(link, sizeof link, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(link, exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    const char *what = exe[0] ? exe : t.name;
    if (t.state == 'Z' || t.state == 'X') {
        snprintf(why, len, "process %d (%s) has exited", (int)pid, what);
        return -ESRCH;
    }
    if (t.tracer) {
        struct status tr;
        int known = read_status(t.tracer, &tr) == 0;
        snprintf(why, len,
                 "process %d (%s) is already traced by process %d (%s): a process has one tracer "
                 "at a time; detach that debugger (or strace) first",
                 (int)pid, what, (int)t.tracer, known ? tr.name : "?");
        return -EBUSY;
    }
    if (t.state == 'T') {
        snprintf(why, len, "process %d (%s) is stopped: resume it first (kill -CONT %d)", (int)pid,
                 what, (int)pid);
        return -EBUSY;
    }
    /* A filter the process installed (more than the one proftrace runs under too, a container's)
     * was never shown to a shim: the calls the attach and the shim make could be refused, or
     * kill the process. Under `record -- CMD` the shim checks a filter before it is installed. */
    if (t.seccomp == 1 || (t.seccomp == 2 && t.filters > me.filters)) {
        snprintf(why, len,
                 "process %d (%s) runs under a seccomp filter of its own: a system call of the "
                 "attach or of the shim could be refused or kill it; start it under `proftrace "
                 "record -- CMD` instead, whose shim checks a filter before it is installed",
                 (int)pid, what);
        return -EPERM;
    }
    int cap = (me.cap_eff >> 19) & 1; /* CAP_SYS_PTRACE */
    if (!cap) {
        unsigned ruid = (unsigned)getuid(), rgid = (unsigned)getgid();
        int same = 1;
        for (int i = 0; i < 3; i++)
            same &= t.uid[i] == ruid && t.gid[i] == rgid;
        if (!same) {
            snprintf(
                why, len,
                "process %d (%s) runs as uid %u (%s), proftrace as uid %u (%s): attaching "
                "needs the same user or CAP_SYS_PTRACE; run proftrace as root, or as that user",
                (int)pid, what, t.uid[1], user_name(t.uid[1], ubuf[0], sizeof ubuf[0]), ruid,
                user_name(ruid, ubuf[1], sizeof ubuf[1]));
            return -EPERM;
        }
    }
    int rc = pt_attach_yama(yama_scope(), cap, is_descendant(pid), why, len);
    if (rc < 0)
        return rc;
    struct pt__vma *v;
    size_t nv;
    if ((rc = pt__maps_read(pid, &v, &nv)) < 0) {
        snprintf(why, len, "cannot read /proc/%d/maps: %s", (int)pid, strerror(-rc));
        return rc;
    }
    int dynamic = pt__maps_dynamic(v, nv);
    free(v);
    if (!dynamic) {
        snprintf(why, len,
                 "process %d (%s) is statically linked: it has no dynamic loader and no dlopen to "
                 "load proftrace's shim with; only dynamically linked programs can be attached",
                 (int)pid, what);
        return -ENOTSUP;
    }
    if (o && o->shim && pt__shim_mapped(pid, o->shim) && pt__started_traced(pid, o->shim)) {
        snprintf(why, len,
                 "process %d (%s) is traced from its start already (LD_PRELOAD names proftrace's "
                 "shim): its events go to the PROFTRACE_DIR it was started with",
                 (int)pid, what);
        return -EALREADY;
    }
    if (o && o->shim && !same_file(pid, o->shim)) {
        snprintf(why, len,
                 "process %d (%s) runs in another mount namespace where %s is not the same file "
                 "(or is missing): its dlopen cannot load proftrace's shim",
                 (int)pid, what, o->shim);
        return -ENOTSUP;
    }
    if (o && o->dir && !same_file(pid, o->dir)) {
        snprintf(why, len,
                 "process %d (%s) runs in another mount namespace where %s is not the same "
                 "directory (or is missing): its ring would not reach the collector; use a trace "
                 "directory both see",
                 (int)pid, what, o->dir);
        return -ENOTSUP;
    }
    if (o && o->dir && t.uid[1] != (unsigned)geteuid() && t.uid[1] != 0) {
        char rings[4200];
        struct stat st;
        snprintf(rings, sizeof rings, "%s/rings", o->dir);
        if (stat(rings, &st) == 0 && (st.st_mode & 03) != 03) {
            snprintf(why, len,
                     "process %d (%s) runs as uid %u, which may not write its ring into %s: let it "
                     "in with PROFTRACE_ALLOW_UIDS=%u (see proftrace --help)",
                     (int)pid, what, t.uid[1], rings, t.uid[1]);
            return -EPERM;
        }
    }
    const char *runtime = pt_shim_runtime();
    /* ASan's start-up check would end the process; said last, after the reasons of any build */
    if (runtime && !pt__shim_mapped(pid, runtime)) {
        snprintf(why, len,
                 "process %d (%s) was started without %s, which this sanitizer build of "
                 "proftrace's shim needs loaded first: use an ordinary build to attach",
                 (int)pid, what, runtime);
        return -ENOTSUP;
    }
    return 0;
}

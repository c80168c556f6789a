/* attached.c — the processes `record -p` and `collect --attach` attach to: checked before
 * anything is created, attached with a line each, watched with pidfds, detached at the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cmds/attached.h"

int pt_attached_parse(struct pt_attached *a, const char *spec, const char *cmd, const char *opt)
{
    const char *p = spec;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v <= 0 || v > 0x7fffffff || (*end && *end != ',')) {
            fprintf(stderr, "proftrace %s: %s wants PID[,PID...], not '%s'\n", cmd, opt, spec);
            return -1;
        }
        if (a->n == PT_ATTACHED_MAX) {
            fprintf(stderr, "proftrace %s: at most %d processes\n", cmd, PT_ATTACHED_MAX);
            return -1;
        }
        int dup = 0;
        for (int i = 0; i < a->n; i++)
            dup |= a->pid[i] == (pid_t)v;
        if (!dup) {
            a->pid[a->n] = (pid_t)v;
            a->pidfd[a->n++] = -1;
        }
        p = *end ? end + 1 : end;
    }
    return 0;
}

static unsigned euid_of(pid_t pid)
{
    char path[64], line[256];
    unsigned r = 0, e = (unsigned)-1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return (unsigned)-1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "Uid:", 4) && sscanf(line + 4, "%u %u", &r, &e) == 2)
            break;
    fclose(f);
    return e;
}

int pt_attached_prepare(struct pt_attached *a, const char *shim, const char *cmd)
{
    struct pt_attach_opts o = {.shim = shim};
    char why[1024], uids[2048] = "";
    for (int i = 0; i < a->n; i++) {
        if (pt_attach_check(a->pid[i], &o, why, sizeof why) < 0) {
            fprintf(stderr, "proftrace %s: cannot attach to %d: %s\n", cmd, (int)a->pid[i], why);
            return -1;
        }
        unsigned u = euid_of(a->pid[i]);
        if (u != (unsigned)-1 && u != (unsigned)geteuid() && u != 0) {
            size_t l = strlen(uids);
            snprintf(uids + l, sizeof uids - l, "%s%u", l ? "," : "", u);
        }
    }
    const char *have = getenv("PROFTRACE_ALLOW_UIDS");
    if (uids[0] && (!have || !*have))
        setenv("PROFTRACE_ALLOW_UIDS", uids, 1); /* read where the trace directory is made */
    return 0;
}

int pt_attached_attach(struct pt_attached *a, const struct pt_attach_opts *o, const char *cmd)
{
    char why[1024];
    for (int i = 0; i < a->n; i++) {
        struct pt_attach_info info;
        int rc = pt_attach(a->pid[i], o, &info, why, sizeof why);
        if (rc < 0) {
            fprintf(stderr, "proftrace %s: cannot attach to %d: %s\n", cmd, (int)a->pid[i], why);
            a->n = i; /* those before it are detached by the caller */
            return -1;
        }
        a->pidfd[i] = (int)syscall(SYS_pidfd_open, a->pid[i], 0);
        fprintf(stderr, "proftrace: attached to %d (%s)\n", (int)a->pid[i], info.exe);
        if (info.note[0])
            fprintf(stderr, "proftrace: note: %d: %s\n", (int)a->pid[i], info.note);
        if (getenv("PROFTRACE_ATTACH_VERBOSE"))
            fprintf(stderr,
                    "proftrace: %d: %u threads stopped %.3f ms, calls %.3f ms, %u GOT slots, "
                    "%u holds\n",
                    (int)a->pid[i], info.threads, info.pause_ms, info.detour_ms, info.slots,
                    info.holds);
    }
    return 0;
}

int pt_attached_all_exited(struct pt_attached *a)
{
    int left = 0;
    for (int i = 0; i < a->n; i++) {
        if (a->pidfd[i] < 0)
            continue;
        struct pollfd p = {.fd = a->pidfd[i], .events = POLLIN};
        if (poll(&p, 1, 0) == 1) {
            close(a->pidfd[i]);
            a->pidfd[i] = -1;
        } else {
            left++;
        }
    }
    return left == 0;
}

void pt_attached_detach_all(struct pt_attached *a, const char *dir, const char *shim,
                            const char *cmd)
{
    pid_t done[4096];
    int ndone = 0;
    for (int round = 0; round < 64; round++) {
        pid_t w[4096];
        int n = pt_attach_writers(dir, w, 4096), fresh = 0;
        for (int i = 0; i < n; i++) {
            int seen = 0;
            for (int k = 0; k < ndone; k++)
                seen |= done[k] == w[i];
            if (seen || ndone == 4096)
                continue;
            done[ndone++] = w[i];
            fresh++;
            if (!pt_attach_is_attached(w[i], shim))
                continue; /* started with the shim: its tracing is not ours to end */
            struct pt_attach_info info;
            char why[1024];
            int rc = pt_detach(w[i], shim, &info, why, sizeof why);
            if (rc == 0)
                fprintf(stderr, "proftrace: detached from %d (%s)\n", (int)w[i], info.exe);
            else if (rc != -ENOENT && rc != -ESRCH)
                fprintf(stderr, "proftrace %s: cannot detach from %d: %s\n", cmd, (int)w[i], why);
        }
        if (!fresh)
            break; /* a fork child made meanwhile shows up in the next round */
    }
    for (int i = 0; i < a->n; i++)
        if (a->pidfd[i] >= 0) {
            close(a->pidfd[i]);
            a->pidfd[i] = -1;
        }
}

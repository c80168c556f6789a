/* bench_main.c — `pt_analyzer_bench N`: analyser throughput and memory on a synthetic trace of N
 * events fed to the model directly (decoded events, as the reader returns them, laid out from the
 * call table by synth.c). Prints: events, CPU seconds spent in pt_analyzer_feed/finish, events/s,
 * peak RSS (KiB), processes, findings.
 *
 * Workload: 16 long-lived services hold a MAPI session each and keep calling OpenMsgStore; short
 * clients (about 2000 events each) start, run MAPIInitialize, log on, read keys, map and unmap
 * shared memory, delete temp files, log off and exit. About once per million events a client in
 * another login session sweeps a profile a service still holds (a finding), so the detectors do
 * real work; everything else is the ordinary traffic a long trace is made of. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "analyzer/analyzer.h"
#include "analyzer/model.h"
#include "analyzer/synth.h"

#define BATCH 1024
#define NSVC 16
#define PROFILES                                                                                   \
    "Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows Messaging Subsystem\\Profiles"

static struct pt_event *batch;
static unsigned nb;
static uint64_t ts = 1000000000ull, total, target;
static struct pt_analyzer *an;
static double cpu;
static char names[NSVC][32];

static double now_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void flush(void)
{
    double t0 = now_cpu();
    for (unsigned i = 0; i < nb; i++)
        pt_analyzer_feed(an, &batch[i]);
    cpu += now_cpu() - t0;
    nb = 0;
}

static struct pt_event *ev(unsigned id, uint32_t pid, uint8_t depth)
{
    if (nb == BATCH)
        flush();
    struct pt_event *e = &batch[nb++];
    pt__synth(e, id, pid, pid, ts += 137);
    e->ts_enter = e->ts - 100;
    e->depth = depth;
    total++;
    return e;
}

static void openat_ev(uint32_t pid, uint8_t depth, uint64_t ino)
{
    struct pt_event *e = ev(PT__ID(openat), pid, depth);
    e->ret = 7;
    pt__synth_s(e, "pathname", "key");
    pt__synth_u(e, pt__synth_ret_dev_name, 0x803);
    pt__synth_u(e, pt__synth_ret_ino_name, ino);
}

static uint64_t reg_open(uint32_t pid, uint8_t depth, uint64_t parent, const char *sub,
                         uint64_t ino, uint64_t h)
{
    openat_ev(pid, depth + 1, ino);
    struct pt_event *e = ev(PT__ID(RegOpenKeyExA), pid, depth);
    pt__synth_u(e, "hKey", parent);
    pt__synth_s(e, "lpSubKey", sub);
    pt__synth_u(e, "phkResult", h);
    return h;
}

static void reg_close(uint32_t pid, uint8_t depth, uint64_t h)
{
    pt__synth_u(ev(PT__ID(RegCloseKey), pid, depth), "hKey", h);
}

static void proc_start(uint32_t pid, uint64_t start, uint32_t session, const char *exe)
{
    struct pt_event *e = ev(PT_EV_process, pid, 0);
    pt__synth_u(e, "pid", pid);
    pt__synth_u(e, "global_pid", pid);
    pt__synth_u(e, "start_time", start);
    pt__synth_u(e, "sessionid", session);
    pt__synth_u(e, "ns_mnt", 4026531840ull);
    pt__synth_u(e, "ns_ipc", 4026531839ull);
    pt__synth_s(e, "exe", exe);
    for (int m = 0; m < 5; m++) {
        e = ev(PT_EV_module, pid, 0);
        pt__synth_u(e, "base", 0x7f0000000000ull + m * 0x100000);
        pt__synth_u(e, "size", 0x100000);
        pt__synth_s(e, "path", "/usr/lib/x86_64-linux-gnu/libsomething.so");
        pt__synth_s(e, "build_id", "0123456789abcdef0123456789abcdef01234567");
    }
}

/* MAPIInitialize: Profiles key, in-use mapping, marks key; sweeps `victim` when given. */
static void mapi_init(uint32_t pid, uint64_t inuse_ino, const char *victim, uint64_t victim_ino)
{
    uint64_t prof = reg_open(pid, 1, 0x80000001ull, PROFILES, 100, 0x1000);
    struct pt_event *e = ev(PT__ID(shm_open), pid, 2);
    e->ret = 8;
    pt__synth_s(e, "name", "/winsim.s3.MAPISIM_InUse");
    pt__synth_u(e, pt__synth_ret_dev_name, 0x16);
    pt__synth_u(e, pt__synth_ret_ino_name, inuse_ino);
    e = ev(PT__ID(CreateFileMappingA), pid, 1);
    e->ret = 0x55;
    pt__synth_s(e, "lpName", "Local\\MAPISIM_InUse_S-1-5-21-1000");
    uint64_t marks = reg_open(pid, 1, prof, "Deleted Profiles", 101, 0x1001);
    if (victim) {
        e = ev(PT__ID(unlinkat), pid, 2);
        pt__synth_s(e, "pathname", victim);
        pt__synth_u(e, "pathname_dev", 0x803);
        pt__synth_u(e, "pathname_ino", victim_ino);
        e = ev(PT__ID(RegDeleteTreeA), pid, 1);
        pt__synth_u(e, "hKey", prof);
        pt__synth_s(e, "lpSubKey", victim);
    }
    reg_close(pid, 1, marks);
    reg_close(pid, 1, prof);
    ev(PT__ID(MAPIInitialize), pid, 0);
}

static uint64_t logon(uint32_t pid, const char *profile, uint64_t ino)
{
    uint64_t prof = reg_open(pid, 1, 0x80000001ull, PROFILES, 100, 0x1000);
    reg_open(pid, 1, prof, profile, ino, 0x2000);
    reg_close(pid, 1, prof);
    struct pt_event *e = ev(PT__ID(MAPILogonEx), pid, 0);
    pt__synth_s(e, "lpszProfileName", profile);
    pt__synth_u(e, "lppSession", 0xabc000 + pid);
    return 0xabc000 + pid;
}

static void open_msg_store(uint32_t pid, uint64_t session)
{
    openat_ev(pid, 2, 555);
    struct pt_event *e = ev(PT__ID(RegQueryValueExA), pid, 1);
    pt__synth_u(e, "hKey", 0x2000);
    pt__synth_s(e, "lpValueName", "001e6614");
    e = ev(PT__ID(IMAPISession_OpenMsgStore), pid, 0);
    pt__synth_u(e, "This", session);
}

static void client(uint32_t pid, uint64_t n, int sweep)
{
    static uint64_t next_ino = 1000000;
    proc_start(pid, total, sweep ? 9 : 3, "/usr/bin/mapiclient");
    unsigned v = (unsigned)(pid % NSVC);
    mapi_init(pid, sweep ? 600 + pid : 500, sweep ? names[v] : NULL, 700 + v);
    uint64_t own = next_ino++;
    uint64_t session = logon(pid, "Client", own);
    uint64_t end = total + n;
    while (total < end) {
        open_msg_store(pid, session);
        uint64_t h = reg_open(pid, 0, 0x80000001ull, "Software\\App\\Settings", 900, 0x3000);
        reg_close(pid, 0, h);
        struct pt_event *e = ev(PT__ID(shm_open), pid, 0);
        uint64_t seg = next_ino++;
        e->ret = 9;
        pt__synth_s(e, "name", "/seg");
        pt__synth_u(e, pt__synth_ret_dev_name, 0x16);
        pt__synth_u(e, pt__synth_ret_ino_name, seg);
        e = ev(PT__ID(mmap), pid, 0);
        e->ret = 0x7f0000000000ll;
        pt__synth_u(e, "flags", 1);
        pt__synth_u(e, "fd", 9);
        pt__synth_u(e, "length", 4096);
        pt__synth_u(e, "fd_dev", 0x16);
        pt__synth_u(e, "fd_ino", seg);
        e = ev(PT__ID(munmap), pid, 0);
        pt__synth_u(e, "addr", 0x7f0000000000ull);
        pt__synth_u(e, "length", 4096);
        e = ev(PT__ID(unlink), pid, 0);
        pt__synth_s(e, "pathname", "/tmp/x");
        pt__synth_u(e, "pathname_dev", 0x803);
        pt__synth_u(e, "pathname_ino", next_ino++);
    }
    pt__synth_u(ev(PT__ID(IMAPISession_Release), pid, 0), "This", session);
    ev(PT_EV_exit, pid, 0);
}

int main(int argc, char **argv)
{
    target = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000ull;
    batch = calloc(BATCH, sizeof *batch);
    an = pt_analyzer_new();
    if (!batch || !an)
        return 2;
    uint64_t svc_session[NSVC];
    for (uint32_t i = 0; i < NSVC; i++) {
        snprintf(names[i], sizeof names[i], "Service-%u", i);
        proc_start(100 + i, i, 3, "/usr/lib/eventsvc");
        mapi_init(100 + i, 500, NULL, 0);
        svc_session[i] = logon(100 + i, names[i], 700 + i);
    }
    uint64_t client_events = argc > 2 ? strtoull(argv[2], NULL, 10) : 2000;
    uint32_t pid = 10000;
    uint64_t next_sweep = 1000000;
    unsigned planted = 0;
    while (total < target) {
        for (uint32_t i = 0; i < NSVC && total < target; i++)
            open_msg_store(100 + i, svc_session[i]);
        int sweep = total >= next_sweep;
        if (sweep) {
            next_sweep += 1000000;
            planted++;
        }
        client(pid++, client_events, sweep);
        if (pid > 4000000)
            pid = 10000;
    }
    for (uint32_t i = 0; i < NSVC; i++)
        ev(PT_EV_exit, 100 + i, 0);
    flush();
    double t0 = now_cpu();
    pt_analyzer_finish(an, NULL);
    cpu += now_cpu() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("events %llu cpu_s %.3f events_per_s %.0f peak_rss_kib %ld processes %u findings %u\n",
           (unsigned long long)total, cpu, total / cpu, ru.ru_maxrss, an->nprocs,
           pt_analyzer_nfindings(an));
    /* the work must have been real: every planted sweep found, with its cause */
    int bad = 0;
    for (unsigned i = 0; i < pt_analyzer_nfindings(an); i++)
        bad |= strcmp(pt_analyzer_finding_rule(an, i), "cross-namespace-purge") ||
               strcmp(pt_analyzer_finding_cause(an, i), "session-namespace-split");
    if (bad || pt_analyzer_nfindings(an) != planted)
        fprintf(stderr, "pt_analyzer_bench: unexpected findings\n");
    pt_analyzer_free(an);
    free(batch);
    return bad ? 1 : 0;
}

/* witness_sysv.c — SysV shared memory removed by processes that are not traced: `ipcrm -m` of a
 * segment a live process has attached (attributed to ipcrm when the exec cache names it, never to
 * anyone else), shmctl(IPC_RMID) by a process that is not ipcrm (unattributed), and a removal in
 * another IPC namespace (seen through a thread that joins it). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sched.h>
#include <sys/ipc.h>
#include <sys/random.h>
#include <sys/shm.h>

#include "tests/unit/witness_test.h"

struct holder {
    pid_t pid;
    int shmid[2];
    key_t key[2];
    int ready[2], go[2];
};

/* A holder creates and attaches two segments (in a new IPC namespace when newns). */
static void start_holder(struct holder *h, int newns, unsigned rnd)
{
    int idp[2];
    CHECK(pipe(h->ready) == 0 && pipe(h->go) == 0 && pipe(idp) == 0, "pipe");
    h->pid = fork();
    if (h->pid == 0) {
        if (newns && unshare(CLONE_NEWIPC) < 0)
            _exit(2);
        char *p[2];
        int id[2];
        for (int i = 0; i < 2; i++) {
            key_t k = (key_t)((rnd & 0x7fff0000u) | ((unsigned)getpid() & 0xfff) << 4 | (unsigned)i | 0x10000000);
            id[i] = shmget(k, 8192, IPC_CREAT | IPC_EXCL | 0600);
            if (id[i] < 0)
                _exit(3);
            p[i] = shmat(id[i], NULL, 0);
            if (p[i] == (void *)-1)
                _exit(4);
            strcpy(p[i], "attached");
            if (write(idp[1], &id[i], sizeof id[i]) != sizeof id[i] ||
                write(idp[1], &k, sizeof k) != sizeof k)
                _exit(5);
        }
        char c;
        if (read(h->go[0], &c, 1) != 1)
            _exit(6);
        int bad = strcmp(p[0], "attached") || strcmp(p[1], "attached");
        for (int i = 0; i < 2; i++) {
            shmdt(p[i]);
            shmctl(id[i], IPC_RMID, NULL); /* whichever is left */
        }
        _exit(bad ? 7 : 0);
    }
    for (int i = 0; i < 2; i++) {
        CHECK(read(idp[0], &h->shmid[i], sizeof h->shmid[i]) == sizeof h->shmid[i] &&
                  read(idp[0], &h->key[i], sizeof h->key[i]) == sizeof h->key[i],
              "holder %d did not start", (int)h->pid);
    }
    close(idp[0]);
    close(idp[1]);
}

static void stop_holder(struct holder *h)
{
    char c = 1;
    CHECK(write(h->go[1], &c, 1) == 1, "go");
    CHECK(w_wait(h->pid) == 0, "holder %d lost its segments", (int)h->pid);
}

static const struct w_ev *find(const struct w_ev *ev, unsigned n, uint64_t ns, int shmid)
{
    const struct w_ev *hit = NULL;
    for (unsigned i = 0; i < n; i++)
        if (ev[i].id == PT_EV_witnessed_shm && ev[i].ipc_ns == ns && ev[i].shmid == shmid) {
            CHECK(!hit, "segment %d recorded twice", shmid);
            hit = &ev[i];
        }
    return hit;
}

/* The common checks of a removal of holder h's segment i. */
static void check_removed(const struct w_ev *e, const struct holder *h, int i, uint64_t ns)
{
    CHECK(e != NULL, "removal of segment %d (ns %llu) not recorded", h->shmid[i],
          (unsigned long long)ns);
    if (!e)
        return;
    CHECK(!strcmp(e->via, "sysv-scan"), "via %s", e->via);
    CHECK(e->key == (uint32_t)h->key[i], "key %llx, expected %x", (unsigned long long)e->key,
          (unsigned)h->key[i]);
    CHECK(e->size == 8192, "size %llu", (unsigned long long)e->size);
    CHECK(e->nattch == 1, "nattch %u", e->nattch);
    CHECK(e->cpid == (uint32_t)h->pid, "cpid %u", e->cpid);
    CHECK(e->holder == (uint32_t)h->pid, "holder %u, expected %d", e->holder, (int)h->pid);
    CHECK(e->owner_uid == getuid(), "owner %u", e->owner_uid);
    CHECK(e->seen_ts != 0, "seen_ts");
}

int main(void)
{
    char *base = t_mkdtemp("witness-sysv");
    char trace[512];
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = (unsigned)time(NULL);
    snprintf(trace, sizeof trace, "%s/trace", base);

    struct holder here, there;
    start_holder(&here, 0, rnd);
    start_holder(&there, 1, rnd ^ 0x5a5a0000u);
    char pidstr[16];
    snprintf(pidstr, sizeof pidstr, "%d", (int)there.pid);
    uint64_t ns_here = w_ns("self", "ipc"), ns_there = w_ns(pidstr, "ipc");
    CHECK(ns_here && ns_there && ns_here != ns_there, "namespaces %llu %llu",
          (unsigned long long)ns_here, (unsigned long long)ns_there);

    struct pt_witness *w;
    char why[256];
    int rc = pt_witness_start(trace, 0, &w, why, sizeof why);
    CHECK(rc == 0, "pt_witness_start: %d %s", rc, why);
    if (rc)
        return 1;
    pt_witness_set_scan_interval(w, 0.02);
    CHECK(pt_witness_watch_pid(w, here.pid) == 0, "watch %d", (int)here.pid);
    CHECK(pt_witness_watch_pid(w, there.pid) == 0, "watch %d", (int)there.pid);

    /* 1: ipcrm -m, untraced */
    char id0[16];
    snprintf(id0, sizeof id0, "%d", here.shmid[0]);
    char *ipcrm[] = {"/usr/bin/ipcrm", "-m", id0, NULL};
    pid_t p_ipcrm = w_spawn(ipcrm);
    CHECK(w_wait(p_ipcrm) == 0, "ipcrm failed");
    /* 2: shmctl(IPC_RMID) from a process that is neither traced nor ipcrm */
    pid_t p_raw = fork();
    if (p_raw == 0)
        _exit(shmctl(here.shmid[1], IPC_RMID, NULL) == 0 ? 0 : 1);
    CHECK(w_wait(p_raw) == 0, "shmctl(IPC_RMID) failed");
    /* 3: ipcrm inside the other IPC namespace */
    char ns_arg[64], id2[16];
    snprintf(ns_arg, sizeof ns_arg, "--ipc=/proc/%d/ns/ipc", (int)there.pid);
    snprintf(id2, sizeof id2, "%d", there.shmid[0]);
    char *nsenter[] = {"/usr/bin/nsenter", ns_arg, "/usr/bin/ipcrm", "-m", id2, NULL};
    pid_t p_ns = w_spawn(nsenter);
    CHECK(w_wait(p_ns) == 0, "nsenter ipcrm failed");

    CHECK(w_wait_recorded(w, 3), "witness recorded fewer than 3 removals");
    struct pt_witness_stats st;
    pt_witness_stats(w, &st);
    CHECK(st.ipc_ns == 2, "%u IPC namespaces scanned", st.ipc_ns);
    fprintf(stderr, "stats: scans %llu removed %llu execs %llu missed %llu\n", (unsigned long long)st.shm_scans,
            (unsigned long long)st.shm_removed, (unsigned long long)st.execs, (unsigned long long)st.execs_missed);
    stop_holder(&here);
    stop_holder(&there);
    pt_witness_stop(w);

    unsigned n;
    struct w_ev *ev = w_read(trace, &n);
    w_dump(ev, n);
    const struct w_ev *e1 = find(ev, n, ns_here, here.shmid[0]);
    const struct w_ev *e2 = find(ev, n, ns_here, here.shmid[1]);
    const struct w_ev *e3 = find(ev, n, ns_there, there.shmid[0]);
    check_removed(e1, &here, 0, ns_here);
    check_removed(e2, &here, 1, ns_here);
    check_removed(e3, &there, 0, ns_there);
    /* ipcrm: named when the exec cache caught it, and then only as itself */
    if (e1 && e1->attributed) {
        CHECK(e1->pid == (uint32_t)p_ipcrm, "attributed to %u, ipcrm was %d", e1->pid, (int)p_ipcrm);
        CHECK(!strcmp(e1->exe, "/usr/bin/ipcrm") && !strcmp(e1->ident, "exec"), "exe %s ident %s",
              e1->exe, e1->ident);
        CHECK(e1->ns[0] == ns_here, "ipcrm's ipc ns");
    } else if (e1) {
        CHECK(e1->pid == 0 && !strcmp(e1->ident, "none"), "unattributed but pid %u", e1->pid);
        fprintf(stderr, "note: ipcrm's removal stayed unattributed (it exited before it was read)\n");
    }
    /* shmctl by a process that is not ipcrm: never attributed */
    if (e2)
        CHECK(!e2->attributed && e2->pid == 0 && !strcmp(e2->ident, "none") && !e2->exe[0],
              "raw IPC_RMID attributed to %u %s", e2->pid, e2->exe);
    if (e3 && e3->attributed) {
        CHECK(e3->pid == (uint32_t)p_ns && e3->ns[0] == ns_there, "attributed to %u (ns %llu)",
              e3->pid, (unsigned long long)e3->ns[0]);
    }
    /* nothing else of these holders was recorded as removed before they detached */
    for (unsigned i = 0; i < n; i++)
        if (ev[i].id == PT_EV_witnessed_shm && ev[i].ipc_ns == ns_there)
            CHECK(ev[i].shmid == there.shmid[0] || ev[i].shmid == there.shmid[1],
                  "unexpected removal %d in the holder's namespace", ev[i].shmid);
    free(ev);
    t_rmrf(base);
    free(base);
    return t_failures ? 1 : 0;
}

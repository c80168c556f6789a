/* witness_all.c — what the witness records of what no traced process holds: a SysV
 * segment and a /dev/shm file nobody watched holds, removed by an untraced process in the IPC and
 * mount namespace of a watched process. By default (record, collect) neither is recorded; with
 * PT_WITNESS_ALL (collect --witness-all) both are, with no holder named (and whatever else the
 * machine deletes in /dev/shm meanwhile). */
#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/random.h>
#include <sys/shm.h>

#include "tests/unit/witness_test.h"

/* One run: a watched process that holds nothing, an unheld segment and file removed meanwhile.
 * Returns how many of the two removals were recorded. */
static int run(unsigned flags)
{
    char *base = t_mkdtemp("witness-all");
    char trace[512], shm[128], id[16];
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = (unsigned)getpid();
    snprintf(trace, sizeof trace, "%s/trace", base);
    snprintf(shm, sizeof shm, "/dev/shm/pt-wall-%d-%08x", (int)getpid(), rnd);
    int shmid = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    int fd = open(shm, O_CREAT | O_WRONLY, 0600);
    CHECK(shmid >= 0 && fd >= 0, "segment %d, file %d", shmid, fd);
    close(fd);
    int go[2];
    CHECK(pipe(go) == 0, "pipe");
    pid_t idle = fork();
    if (idle == 0) {
        char c;
        _exit(read(go[0], &c, 1) == 1 ? 0 : 1);
    }
    struct pt_witness *w;
    char why[256];
    int rc = pt_witness_start(trace, flags, &w, why, sizeof why);
    CHECK(rc == 0, "pt_witness_start: %d %s", rc, why);
    if (rc)
        return -1;
    pt_witness_set_scan_interval(w, 0.02);
    CHECK(pt_witness_watch_pid(w, idle) == 0, "watch");
    snprintf(id, sizeof id, "%d", shmid);
    char *ipcrm[] = {"/usr/bin/ipcrm", "-m", id, NULL};
    CHECK(w_wait(w_spawn(ipcrm)) == 0, "ipcrm");
    char *rm[] = {"/usr/bin/rm", shm, NULL};
    CHECK(w_wait(w_spawn(rm)) == 0, "rm");
    /* the removal is in the table scanned next, the deletion in the fanotify queue now */
    pt_witness_scan_now(w);
    pt_witness_drain(w);
    pt_witness_scan_now(w);
    struct pt_witness_stats st;
    pt_witness_stats(w, &st);
    char c = 1;
    CHECK(write(go[1], &c, 1) == 1 && w_wait(idle) == 0, "idle");
    int any = pt_witness_ring_path(w) != NULL; /* its ring is made with its first event */
    pt_witness_stop(w);
    unsigned n = 0;
    struct w_ev *ev = any ? w_read(trace, &n) : NULL;
    int seen = 0;
    for (unsigned i = 0; i < n; i++) {
        if (ev[i].id == PT_EV_witnessed_shm && ev[i].shmid == shmid) {
            seen++;
            CHECK(ev[i].holder == 0, "a holder named: %u", ev[i].holder);
        }
        if (ev[i].id == PT_EV_witnessed && !strcmp(ev[i].path, shm))
            seen++;
    }
    if (!(flags & PT_WITNESS_ALL))
        w_dump(ev, n); /* with it, the machine's other /dev/shm traffic is in there too */
    if (!(flags & PT_WITNESS_ALL))
        CHECK(st.shm_unheld >= 1, "the unheld removal was not even seen (%llu scans)",
              (unsigned long long)st.shm_scans);
    free(ev);
    t_rmrf(base);
    free(base);
    return seen;
}

int main(void)
{
    int scoped = run(0);
    CHECK(scoped == 0, "%d removals of what no traced process held recorded by default", scoped);
    int all = run(PT_WITNESS_ALL);
    CHECK(all == 2, "PT_WITNESS_ALL recorded %d of the 2 removals", all);
    return t_failures ? 1 : 0;
}

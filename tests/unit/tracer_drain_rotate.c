/* tracer_drain_rotate.c — a packet that completes while the collector drains it is written once,
 * across a chunk switch and across a collector restarted in the next chunk.
 *
 * The interleaving. The collector reads a buffer's write position, then walks its packets up to
 * the one the writer is in. When the writer finishes that packet meanwhile, the collector takes
 * it too, since it is complete. The collector must then go on after it, whether it goes on into
 * the next chunk (a rotation between two drains) or a new collector goes on from the ring's
 * drained position (`consumed`) after the old one died. Before the fix, both re-derived where to
 * go on from `consumed`, which stopped one packet short, and the packet was written into two
 * chunks (seen as 742 events twice in rotate_collect_kill under load).
 *
 * Forcing it, every run. The writer is a child process; the collector runs here. The collector's
 * mapping of the ring (on tmpfs) is registered with userfaultfd in minor-fault mode and its page
 * table entries dropped, so its first read of a packet, after it read the write position, stops
 * in a fault; the fault handler makes the child finish its open packet, and only then lets the
 * collector read on.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proftrace/ring.h"
#include "proftrace/trace.h"
#include "tests/unit/tracer_test.h"
#include "tests/unit/test_watchdog.h"
#include "tracer/collector.h"
#include "tracer/format.h"
#include "tracer/rotate.h"

#define SKIP 77
#define BUF_BYTES (256u << 10) /* 8 packets of 32 KiB */

static void diag(void *arg, const char *what)
{
    (void)arg;
    fprintf(stderr, "  diag: %s\n", what);
}

/* ---- The writer: a child process with a ring of one buffer, driven over a pipe -------------- */

struct writer {
    pid_t pid;
    int cmd, ack;    /* our ends: commands to it, its answers */
    uint64_t events; /* events it wrote, as it answered */
};

static uint64_t child_wpos(int fd)
{
    struct pt__ring_hdr h;
    uint64_t wpos = 0;
    if (pread(fd, &h, sizeof h, 0) != sizeof h ||
        pread(fd, &wpos, sizeof wpos, (off_t)(h.bufs_off + offsetof(struct pt__tbuf_ctl, wpos))) !=
            sizeof wpos)
        _exit(3);
    return wpos;
}

/* Commands: 'p' write into the open packet (about a third of it); 'f' write until the open
 * packet is finished (the next one opened); 'x' close the ring and exit. Each is answered with
 * the events written so far. */
static void child(const char *dir, int overwrite, int cmd, int ack)
{
    struct pt_ring_config cfg = {
        .dir = dir, .thread_buf_bytes = BUF_BYTES, .nthreads = 1, .overwrite = overwrite};
    struct pt_ring *r;
    if (pt_ring_create(&cfg, &r) < 0)
        _exit(2);
    struct pt_tbuf *b = pt_ring_claim(r, 4242);
    int fd = open(pt_ring_path(r), O_RDONLY | O_CLOEXEC);
    if (!b || fd < 0)
        _exit(2);
    uint64_t n = 0;
    char c;
    while (read(cmd, &c, 1) == 1) {
        uint64_t S = 32768, start = child_wpos(fd) / S;
        if (c == 'x')
            break;
        for (unsigned k = 0; c == 'p' ? k < 300 : child_wpos(fd) / S == start; k++) {
            int32_t st = (int32_t)n;
            if (pt_tbuf_write(b, PT_EV_exit, pt_now(), &st, sizeof st) < 0)
                _exit(4); /* lost: the test gives the collector room before it writes */
            n++;
        }
        if (write(ack, &n, sizeof n) != sizeof n)
            _exit(5);
    }
    pt_ring_close(r);
    if (write(ack, &n, sizeof n) != sizeof n)
        _exit(5);
    _exit(0);
}

/* overwrite: a flight recorder's ring (the oldest packets overwritten when the collector lags) */
static void writer_start(struct writer *w, const char *dir, int overwrite)
{
    int to[2], from[2];
    if (pipe2(to, O_CLOEXEC) < 0 || pipe2(from, O_CLOEXEC) < 0)
        exit(1);
    w->pid = fork();
    if (w->pid == 0) {
        close(to[1]);
        close(from[0]);
        child(dir, overwrite, to[0], from[1]);
    }
    close(to[0]);
    close(from[1]);
    w->cmd = to[1];
    w->ack = from[0];
}

static void writer_do(struct writer *w, char c)
{
    if (write(w->cmd, &c, 1) != 1 ||
        read(w->ack, &w->events, sizeof w->events) != sizeof w->events) {
        fprintf(stderr, "the writer did not answer '%c'\n", c);
        exit(1);
    }
}

static void writer_end(struct writer *w)
{
    int st;
    writer_do(w, 'x');
    waitpid(w->pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer ended with status %#x", st);
    close(w->cmd);
    close(w->ack);
}

/* ---- The interleaving: the collector's first packet read waits for the writer --------------- */

struct stall {
    int uffd, stop[2];
    uint64_t start, len; /* the registered range: the buffer's packets in the collector's map */
    struct writer *w;
    int faults;
    pthread_t thread;
};

static void *stall_run(void *arg)
{
    struct stall *s = arg;
    for (;;) {
        struct pollfd p[2] = {{s->uffd, POLLIN, 0}, {s->stop[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0 || (p[1].revents & POLLIN))
            return NULL;
        struct uffd_msg m;
        if (read(s->uffd, &m, sizeof m) != sizeof m || m.event != UFFD_EVENT_PAGEFAULT)
            continue;
        if (s->faults++ == 0)
            writer_do(s->w, 'f'); /* the collector read wpos already: the open packet ends now */
        struct uffdio_continue cont = {
            .range = {.start = m.arg.pagefault.address & ~4095ull, .len = 4096}};
        if (ioctl(s->uffd, UFFDIO_CONTINUE, &cont) < 0 && errno != EEXIST)
            fprintf(stderr, "UFFDIO_CONTINUE: %s\n", strerror(errno));
    }
}

/* The collector's mapping of the one ring in dir/rings: its address, from /proc/self/maps. */
static uint64_t collector_map(const char *dir, const struct pt__ring_hdr *h)
{
    char rings[4200], path[4400], line[8192];
    snprintf(rings, sizeof rings, "%s/rings", dir);
    DIR *d = opendir(rings);
    struct dirent *de;
    struct stat st = {0};
    while (d && (de = readdir(d)))
        if (strstr(de->d_name, ".ring")) {
            snprintf(path, sizeof path, "%.4000s/%.255s", rings, de->d_name);
            stat(path, &st);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0 || pread(fd, (void *)h, sizeof *h, 0) != sizeof *h)
                exit(1);
            close(fd);
        }
    if (d)
        closedir(d);
    FILE *f = fopen("/proc/self/maps", "re");
    uint64_t addr = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long long lo, ino;
        if (sscanf(line, "%llx-%*x %*s %*s %*s %llu", &lo, &ino) == 2 && ino == st.st_ino &&
            st.st_ino)
            addr = lo;
    }
    if (f)
        fclose(f);
    return addr;
}

/* Register the buffer's packets of the collector's mapping; 0, or SKIP when userfaultfd cannot
 * do it here (said). */
static int stall_arm(struct stall *s, const char *dir, struct writer *w)
{
    struct pt__ring_hdr h;
    uint64_t map = collector_map(dir, &h);
    CHECK(map, "the collector has not mapped the ring");
    if (!map)
        return -1;
    *s = (struct stall){.w = w};
    s->start = map + h.bufs_off + h.ctl_size;
    s->len = (uint64_t)h.nsub * h.sub_size;
    s->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_MINOR_SHMEM};
    if (s->uffd < 0 || ioctl(s->uffd, UFFDIO_API, &api) < 0) {
        fprintf(stderr,
                "SKIP: userfaultfd with minor faults on shmem is not available here (%s): "
                "the interleaving cannot be forced\n",
                strerror(errno));
        return SKIP;
    }
    struct uffdio_register reg = {.range = {.start = s->start, .len = s->len},
                                  .mode = UFFDIO_REGISTER_MODE_MINOR};
    if (ioctl(s->uffd, UFFDIO_REGISTER, &reg) < 0) {
        fprintf(stderr, "SKIP: UFFDIO_REGISTER (minor, shmem): %s\n", strerror(errno));
        return SKIP;
    }
    /* Whatever the collector touched already faults again: the page cache keeps the data. */
    if (madvise((void *)s->start, s->len, MADV_DONTNEED) < 0 || pipe2(s->stop, O_CLOEXEC) < 0)
        return -1;
    pthread_create(&s->thread, NULL, stall_run, s);
    return 0;
}

static void stall_disarm(struct stall *s)
{
    struct uffdio_range range = {.start = s->start, .len = s->len};
    if (write(s->stop[1], "x", 1) != 1)
        exit(1);
    pthread_join(s->thread, NULL);
    ioctl(s->uffd, UFFDIO_UNREGISTER, &range);
    close(s->uffd);
    close(s->stop[0]);
    close(s->stop[1]);
}

/* ---- What the chunks hold ------------------------------------------------------------------- */

/* The packet sequence numbers of the stream files "*_0" of every chunk, in chunk order, into
 * seqs (chunk number in chunk[]). Returns how many. */
static unsigned chunk_packets(const char *dir, uint64_t *seqs, unsigned *chunk, unsigned max)
{
    unsigned n = 0;
    for (unsigned num = 1; num < 100; num++) {
        char cdir[4300];
        snprintf(cdir, sizeof cdir, "%s/chunks/%06u", dir, num);
        DIR *d = opendir(cdir);
        if (!d)
            continue;
        struct dirent *de;
        while ((de = readdir(d))) {
            size_t len = strlen(de->d_name);
            if (de->d_name[0] == '.' || len < 2 || strcmp(de->d_name + len - 2, "_0"))
                continue;
            char path[4600];
            snprintf(path, sizeof path, "%s/%s", cdir, de->d_name);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            struct pt__pkt_hdr ph;
            for (off_t off = 0; fd >= 0 && pread(fd, &ph, sizeof ph, off) == sizeof ph;
                 off += (off_t)(ph.packet_size / 8)) {
                if (ph.magic != PT__CTF_MAGIC || ph.packet_size < 8 * sizeof ph || n == max)
                    break;
                chunk[n] = num;
                seqs[n++] = ph.packet_seq_num;
            }
            if (fd >= 0)
                close(fd);
        }
        closedir(d);
    }
    return n;
}

/* Every packet is in the trace once, in sequence from 0: `want` of them at least, in `across`
 * chunks at least. */
static void check_once(const char *what, const char *dir, unsigned want, unsigned across)
{
    uint64_t seqs[256];
    unsigned chunk[256];
    unsigned n = chunk_packets(dir, seqs, chunk, 256), chunks = 0;
    CHECK(n >= want, "%s: %u packets in the chunks, want %u at least", what, n, want);
    for (unsigned k = 0; k < n; k++) {
        chunks += k == 0 || chunk[k] != chunk[k - 1];
        CHECK(seqs[k] == k, "%s: packet %u in chunk %06u is packet %" PRIu64 " (%s)", what, k,
              chunk[k], seqs[k],
              k && seqs[k] == seqs[k - 1] ? "the one before again: in the trace twice" : "a gap");
    }
    CHECK(chunks >= across, "%s: the packets are in %u chunk(s), the test needs a chunk switch",
          what, chunks);
}

/* The writer's events the reader reads, the events it says were lost (the writer lost none), and
 * the `reaped` records of the collector's process stream. */
static uint64_t count_events(const char *dir, uint64_t *lost, uint64_t *reaped)
{
    struct pt_trace *t;
    struct pt_event ev;
    uint64_t n = 0;
    *lost = *reaped = 0;
    if (pt_trace_open(dir, diag, NULL, &t) < 0)
        return 0;
    while (pt_trace_next(t, &ev) == 1) {
        n += ev.id == PT_EV_exit;
        *lost += ev.id == PT_EV_lost ? ev.field[0].u : 0;
        *reaped += ev.id == PT_EV_reaped;
    }
    pt_trace_close(t);
    return n;
}

/* ---- The cases ------------------------------------------------------------------------------ */

/* A chunk is due as soon as it holds an event: every pass ends with a switch. */
static const struct pt__rotate_opts every_pass = {.max_age_ns = 8};

static struct pt_collector *open_collector(const char *dir)
{
    struct pt_collector *c;
    int rc = pt_collector_open_rotated(dir, &every_pass, diag, NULL, &c);
    if (rc < 0) {
        fprintf(stderr, "pt_collector_open_rotated %s: %s\n", dir, strerror(-rc));
        exit(1);
    }
    return c;
}

/* A new trace directory in `dir` (a mkdtemp template) with its first chunk; 0, or -1 said. */
static int new_trace(char *dir)
{
    if (!mkdtemp(dir))
        return perror("mkdtemp"), -1;
    pt_collector_close(open_collector(dir));
    return 0;
}

/* restart 0: the same collector goes on in the next chunk; 1: it dies after the switch (it is
 * closed without a last drain) and a new one goes on. */
static int run_case(int restart)
{
    char dir[] = "/dev/shm/pt-drain-rotate-XXXXXX";
    const char *what = restart ? "restarted collector" : "one collector";
    if (new_trace(dir) < 0)
        return 1;

    struct writer w;
    writer_start(&w, dir, 0);
    writer_do(&w, 'f');                           /* packet 0 finished */
    writer_do(&w, 'p');                           /* packet 1 open */
    struct pt_collector *c = open_collector(dir); /* maps the ring, drains nothing yet */
    struct stall s;
    int rc = stall_arm(&s, dir, &w);
    if (rc) {
        writer_end(&w);
        pt_collector_close(c);
        t_rmrf(dir);
        return rc;
    }
    pt_collector_run_once(c, 0); /* packets 0 and 1; packet 1 ends while it is drained */
    stall_disarm(&s);
    CHECK(s.faults > 0, "%s: the collector read no packet: the interleaving was not forced", what);
    if (restart) {
        pt_collector_close(c);
        c = open_collector(dir);
    }
    writer_do(&w, 'f'); /* packet 2 finished */
    pt_collector_run_once(c, 0);
    writer_end(&w);
    pt_collector_finish(c);
    pt_collector_close(c);

    check_once(what, dir, 4, 2);
    uint64_t lost, reaped, n = count_events(dir, &lost, &reaped);
    CHECK(n == w.events, "%s: the reader read %" PRIu64 " events, the writer wrote %" PRIu64, what,
          n, w.events);
    CHECK(lost == 0, "%s: the reader says %" PRIu64 " events were lost, the writer lost none", what,
          lost);
    t_rmrf(dir);
    return 0;
}

/* The name of the one ring in dir/rings into name. */
static void ring_name(const char *dir, char *name, size_t len)
{
    char rings[4200];
    snprintf(rings, sizeof rings, "%s/rings", dir);
    DIR *d = opendir(rings);
    name[0] = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        if (strstr(de->d_name, ".ring"))
            snprintf(name, len, "%s", de->d_name);
    if (d)
        closedir(d);
}

/* A collector killed in its last drain of a dead writer, after it wrote the writer's open packet
 * and its process stream, after a chunk switch, before it removed the ring: the next one drains
 * the ring again, from the chunk after, and must write none of that twice. The kill is a hard
 * link: the ring the first collector removes is put back as it left it (its drained position
 * included), which is what a collector killed just before the removal leaves. */
static int run_finish_case(void)
{
    char dir[] = "/dev/shm/pt-drain-rotate-XXXXXX";
    const char *what = "collector killed in its last drain";
    char name[256], ring[4400], kept[4400];
    if (new_trace(dir) < 0)
        return 1;
    struct writer w;
    writer_start(&w, dir, 0);
    writer_do(&w, 'f'); /* packet 0 finished */
    writer_do(&w, 'p'); /* packet 1 open */
    kill(w.pid, SIGKILL);
    waitpid(w.pid, NULL, 0); /* dead in its open packet: the collector drains its committed part */
    ring_name(dir, name, sizeof name);
    snprintf(ring, sizeof ring, "%s/rings/%s", dir, name);
    snprintf(kept, sizeof kept, "%s/kept-ring", dir);
    CHECK(name[0] && link(ring, kept) == 0, "%s: no ring to keep (%s)", what, strerror(errno));

    struct pt_collector *c = open_collector(dir);
    pt_collector_run_once(c, 0); /* finishes the ring; the pass ends with a chunk switch */
    pt_collector_close(c);       /* killed: the ring was removed, put it back */
    CHECK(access(ring, F_OK) != 0 && rename(kept, ring) == 0, "%s: the ring was not finished",
          what);
    c = open_collector(dir);
    pt_collector_run_once(c, 0);
    pt_collector_close(c);

    check_once(what, dir, 2, 1);
    uint64_t lost, reaped, n = count_events(dir, &lost, &reaped);
    CHECK(n == w.events, "%s: the reader read %" PRIu64 " events, the writer wrote %" PRIu64, what,
          n, w.events);
    CHECK(reaped == 1, "%s: the writer's death is in the trace %" PRIu64 " times", what, reaped);
    CHECK(lost == 0, "%s: the reader says %" PRIu64 " events were lost, the writer lost none", what,
          lost);
    close(w.cmd);
    close(w.ack);
    t_rmrf(dir);
    return 0;
}

/* A flight recorder's stream whose oldest packets were overwritten before the collector came,
 * drained into a chunk, then into the next; the collector is killed, the ring laps again, and a
 * collector started again drains it: every event the writer made is read or counted as lost, the
 * overwritten ones included. The first collector must count what was overwritten before its
 * first packet; the restarted one goes on from what the stream files say, and they must tell it
 * what the stream misses since its start, not only since the chunk it goes on from. */
static int run_flight_case(void)
{
    char dir[] = "/dev/shm/pt-drain-rotate-XXXXXX";
    const char *what = "flight recorder, collector restarted";
    if (new_trace(dir) < 0)
        return 1;
    struct writer w;
    writer_start(&w, dir, 1);
    for (int k = 0; k < 12; k++) /* 12 packets: the 5 oldest are overwritten (8 in the ring) */
        writer_do(&w, 'f');
    struct pt_collector *c = open_collector(dir);
    pt_collector_run_once(c, 0); /* 7 packets into chunk 1 (the 8th is open); chunk 2 begins */
    writer_do(&w, 'f');
    writer_do(&w, 'f');
    pt_collector_run_once(c, 0); /* 2 more into chunk 2; chunk 3 begins */
    pt_collector_close(c);       /* killed */
    for (int k = 0; k < 10; k++) /* 10 more: the 2 oldest are overwritten */
        writer_do(&w, 'f');
    c = open_collector(dir);
    pt_collector_run_once(c, 0);
    writer_end(&w);
    pt_collector_finish(c);
    pt_collector_close(c);

    /* the writer's events and the `thread` event its buffer began with (in the first packet,
     * overwritten) */
    uint64_t lost, reaped, n = count_events(dir, &lost, &reaped);
    CHECK(n + lost == w.events + 1,
          "%s: the reader read %" PRIu64 " events and counts %" PRIu64 " lost: %" PRIu64
          ", the writer made %" PRIu64,
          what, n, lost, n + lost, w.events + 1);
    CHECK(lost > 0, "%s: nothing was overwritten: the test did not lap the ring", what);
    t_rmrf(dir);
    return 0;
}

int main(void)
{
    t_watchdog("tracer_drain_rotate:", 120);
    run_finish_case(); /* these two need no userfaultfd */
    run_flight_case();
    int rc = run_case(0);
    if (rc == SKIP)
        return SKIP;
    if (rc == 0)
        run_case(1);
    if (t_failures)
        fprintf(stderr, "tracer_drain_rotate: %d failure(s)\n", t_failures);
    return t_failures ? 1 : 0;
}

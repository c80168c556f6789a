/* rotate_unread_chunk.c — a chunk the analyzer beside the collector has not read whole gets no
 * checkpoint after it, so the collector cannot drop it: what it held is carried.
 *
 * The interleaving. The follower looks at the trace directory (rings/ and the newest chunk's
 * stream files), then feeds its model, then writes the checkpoints it owes. If meanwhile the
 * collector writes a new stream into the newest chunk and closes it, the chunk's summary and the
 * next chunk are there when the follower comes to its checkpoints; a checkpoint of the next chunk
 * written then leaves the new stream out, and the collector drops the chunk that held it. A
 * deletion in that stream was lost (rotate_open_file's unlink, now and then under load, when the
 * last drain rotated through several chunks at once).
 *
 * Forcing it, every run. The collector runs here, in the same thread as the follower, and closes
 * a chunk after every pass that wrote something (an age cap of 8 ns): it drops a chunk as soon as
 * the next one has its checkpoint. The holder maps a shared-memory object and waits, alive. The
 * follower's first event (the holder's, read from its ring) calls back here, between its look and
 * its checkpoints: the deleter is written then, drained into the newest chunk, and that chunk
 * closed. The holder then fails to open the object again and exits; later chunks follow. The
 * report of what is left must still hold the finding. */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>

#include "analyzer/follower.h"
#include "tests/unit/analyzer_scn_rings.h"
#include "tracer/collector.h"
#include "tracer/rotate.h"

#define HOLDER 100
#define DELETER 200
#define LATER 300
#define SHM_NAME "/pt-unread-chunk"
#define SHM_INO 4242

static char dir[] = "/tmp/pt-unread-chunk-XXXXXX";
static struct pt_collector *col;
static int called;

static void on_alarm(int sig)
{
    (void)sig;
    static const char m[] = "rotate_unread_chunk: still running after 120 s (hang)\n";
    ssize_t w = write(2, m, sizeof m - 1);
    (void)w;
    _exit(1);
}

static void diag(void *arg, const char *what)
{
    (void)arg;
    fprintf(stderr, "  diag: %s\n", what);
}

/* The rings in rings/. */
static int rings(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/rings", dir);
    DIR *d = opendir(path);
    int n = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        n += strstr(de->d_name, ".ring") != NULL;
    if (d)
        closedir(d);
    return n;
}

/* Run the collector until a ring it finished is gone (drained into the chunk and removed; the
 * pass then closes the chunk, the age cap being over), leaving `left`. */
static void drain_to(int left)
{
    for (int i = 0; i < 1200 && rings() > left; i++) /* 60 s at most: waits for the ring itself */
        pt_collector_run_once(col, 50);
    CHECK(rings() == left);
}

/* The follower's first event: it has looked at the directory already. */
static void on_event(void *arg, const struct pt_event *ev)
{
    (void)arg, (void)ev;
    if (called++)
        return;
    CHECK(scn_write_proc(dir, DELETER) == 0);
    drain_to(1); /* the holder's is left */
}

static int chunk_exists(uint32_t num)
{
    char path[256];
    pt_chunk_path(path, sizeof path, dir, num, NULL);
    return access(path, F_OK) == 0;
}

int main(void)
{
    signal(SIGALRM, on_alarm);
    alarm(120);
    if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;

    struct scn *s = scn_new();
    s->sink = scn_keep;
    s->ts = pt_now() + 10000000000ull; /* after the writers' own events */
    proc(s, HOLDER, WHO(), "/usr/bin/holder");
    shm_map(s, HOLDER, SHM_NAME, SHM_INO, 0x7f0000000000ull);
    uint64_t held = s->ts;
    proc(s, DELETER, WHO(.start = 2), "/usr/bin/deleter");
    shm_unlink_ev(s, DELETER, SHM_NAME, SHM_INO);
    EXIT(s, DELETER);
    shm_open_fails(s, HOLDER, SHM_NAME);
    EXIT(s, HOLDER);
    proc(s, LATER, WHO(.start = 3), "/usr/bin/later");
    EXIT(s, LATER);

    const struct pt__rotate_opts every_pass = {.max_age_ns = 8};
    int rc = pt_collector_open_rotated(dir, &every_pass, diag, NULL, &col);
    if (rc < 0)
        return fprintf(stderr, "pt_collector_open_rotated: %s\n", strerror(-rc)), 1;
    struct scn_writer holder;
    CHECK(scn_writer_start(dir, HOLDER, held, &holder) == 0); /* holds, alive */

    struct pt_follower *fl;
    struct pt_follower_opts o = {.dir = dir,
                                 .restore = PT_RESTORE_NEWEST,
                                 .checkpoints = 1,
                                 .on_event = on_event,
                                 .diag = diag};
    CHECK(pt_follower_open(&o, &fl) == 0);
    pt_follower_step(fl, 1); /* the deleter goes into chunk 1 and chunk 2 begins meanwhile */
    CHECK(called && chunk_exists(2));
    CHECK(scn_writer_end(&holder) == 0);
    drain_to(0); /* chunk 2 holds the holder's failure; chunk 3 begins */
    pt_follower_step(fl, 1);
    CHECK(scn_write_proc(dir, LATER) == 0);
    drain_to(0); /* chunk 3; chunk 4 begins */
    pt_follower_step(fl, 1);
    pt_follower_close(fl);
    pt_collector_close(col); /* a last trim, for the checkpoints written since */

    struct pt_analyzer *a = NULL;
    uint64_t damaged = 0;
    CHECK(pt__follow_dir(dir, diag, NULL, &a, &damaged) == 0);
    CHECK(!chunk_exists(1) && !chunk_exists(2)); /* dropped: their state must be carried */
    int found = 0;
    for (unsigned i = 0; a && i < a->nfindings; i++) {
        const struct pt__finding *f = &a->findings[i];
        found |= !strcmp(pt__rule_name(f->rule), "deleted-while-held") && f->deleter != PT__NONE &&
                 !strcmp(a->procs[f->deleter]->exe, "/usr/bin/deleter");
    }
    if (!found)
        fprintf(stderr,
                "rotate_unread_chunk: %u findings, none deleted-while-held by the deleter: its "
                "chunk was dropped before the analyzer read it\n",
                a ? a->nfindings : 0);
    CHECK(found);
    CHECK(damaged == 0);
    pt_analyzer_free(a);
    scn_free(s);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", dir);
    return failures ? 1 : 0;
}

/* rotate_unread_chunk.c — the analyzer beside the collector checkpoints a chunk only once the model
 * holds every event of the chunks before it, in time order: a stream it has not found yet is
 * neither dropped with its chunk nor overtaken by newer events of streams it knows.
 *
 * The interleavings. The follower looks at the trace directory (the chunks, rings/, each chunk's
 * stream files), feeds its model, then writes the checkpoints it owes; to let the collector drop a
 * chunk at once, it feeds the events up to the newest of the chunks before the one it checkpoints
 * past its horizon. Both cases were seen in rotate_open_file under load:
 *  - unread: the collector wrote a new stream into the newest chunk and closed it after the
 *    follower's look. The chunk's summary and the next chunk were there when the follower came to
 *    its checkpoints, and it checkpointed the next chunk without the stream; the collector dropped
 *    the chunk that held it, and the deletion in it.
 *  - overtaken: the collector began a chunk between the follower's listing of the chunks and its
 *    listing of rings/, and finished into it the ring of a process's image before its exec. That
 *    stream was in neither listing; the follower fed the image after the exec (known by its ring)
 *    past the events of the one before, which came next time: their exec ended the holds the new
 *    image had taken, and the holder's finding was gone.
 *
 * Forcing them, every run. The collector runs here, in the same thread as the follower, and closes
 * a chunk after every pass that wrote something (an age cap of 8 ns): it drops a chunk as soon as
 * the next one has its checkpoint. The follower calls back here in the middle of its step: at its
 * first event (between its look and its checkpoints), or when it opens rings/ (fdopendir,
 * interposed below: between its listing of the chunks and that of the rings). In each case the
 * report of what is left must hold the holder's finding. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <signal.h>

#include "analyzer/follower.h"
#include "tests/unit/analyzer_scn_rings.h"
#include "tests/unit/test_watchdog.h"
#include "tracer/collector.h"
#include "tracer/rotate.h"

#define HOLDER 100
#define DELETER 200
#define OTHER 300
#define FILLER 400
#define LATER 500
#define SHM_NAME "/pt-unread-chunk"
#define SHM_INO 4242

static char dir[64];
static struct pt_collector *col;
static struct scn_writer holder;
static uint64_t held; /* the holder's last event before it waits */
static void (*on_event_do)(void);
static void (*on_rings_do)(void);

static void diag(void *arg, const char *what)
{
    (void)arg;
    if (!strstr(what, "kept past the cap")) /* the collector waits for checkpoints: expected */
        fprintf(stderr, "  diag: %s\n", what);
}

/* The follower opens rings/ in its look: the moment on_rings_do is to run, once. */
DIR *fdopendir(int fd)
{
    static DIR *(*real)(int);
    if (!real)
        real = (DIR * (*)(int)) dlsym(RTLD_NEXT, "fdopendir");
    char link[64], path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = on_rings_do ? readlink(link, path, sizeof path) : -1;
    if (n > 6 && !memcmp(path + n - 6, "/rings", 6)) {
        void (*run)(void) = on_rings_do;
        on_rings_do = NULL;
        run();
    }
    return real(fd);
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

/* Run the collector until the rings it finished are gone (drained into the chunk and removed; the
 * pass then closes the chunk, the age cap being over), leaving `left`. */
static void drain_to(int left)
{
    for (int i = 0; i < 1200 && rings() > left; i++) /* 60 s at most: waits for the rings */
        pt_collector_run_once(col, 50);
    CHECK(rings() == left);
}

/* Synthetic process pid written whole, and drained into the newest chunk, which then closes. */
static void write_and_drain(uint32_t pid, int left)
{
    CHECK(scn_write_proc(dir, pid) == 0);
    drain_to(left);
}

static void on_event(void *arg, const struct pt_event *ev)
{
    (void)arg, (void)ev;
    void (*run)(void) = on_event_do;
    on_event_do = NULL;
    if (run)
        run();
}

static int chunk_exists(uint32_t num)
{
    char path[256];
    pt_chunk_path(path, sizeof path, dir, num, NULL);
    return access(path, F_OK) == 0;
}

/* The holder's finding in the report of what the trace directory holds, its state carried (the
 * chunks the case names were dropped). Then the directory is removed. */
static void check_report(const char *what, uint32_t dropped_upto)
{
    struct pt_analyzer *a = NULL;
    uint64_t damaged = 0;
    CHECK(pt__follow_dir(dir, diag, NULL, &a, &damaged) == 0);
    for (uint32_t c = 1; c <= dropped_upto; c++)
        CHECK(!chunk_exists(c)); /* dropped: their state must be carried */
    int found = 0;
    for (unsigned i = 0; a && i < a->nfindings; i++) {
        const struct pt__finding *f = &a->findings[i];
        found |= !strcmp(pt__rule_name(f->rule), "deleted-while-held") && f->deleter != PT__NONE &&
                 !strcmp(a->procs[f->deleter]->exe, "/usr/bin/deleter") && f->holder != PT__NONE &&
                 !strcmp(a->procs[f->holder]->exe, "/usr/bin/holder");
    }
    if (!found)
        fprintf(stderr, "%s: %u findings, none deleted-while-held of the holder by the deleter\n",
                what, a ? a->nfindings : 0);
    CHECK(found);
    CHECK(damaged == 0);
    pt_analyzer_free(a);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", dir);
}

/* A new trace directory and its collector. */
static void start(void)
{
    snprintf(dir, sizeof dir, "/tmp/pt-unread-chunk-XXXXXX");
    if (!mkdtemp(dir))
        exit(1);
    const struct pt__rotate_opts every_pass = {.max_age_ns = 8};
    int rc = pt_collector_open_rotated(dir, &every_pass, diag, NULL, &col);
    if (rc < 0) {
        fprintf(stderr, "pt_collector_open_rotated: %s\n", strerror(-rc));
        exit(1);
    }
}

/* The analyzer beside the collector, as `collect` runs it (no horizon: the events are stamped
 * ahead of the clock, and each step says how far it reads). */
static struct pt_follower *follow(void)
{
    struct pt_follower *fl = NULL;
    struct pt_follower_opts o = {.dir = dir,
                                 .restore = PT_RESTORE_NEWEST,
                                 .checkpoints = 1,
                                 .on_event = on_event,
                                 .diag = diag};
    CHECK(pt_follower_open(&o, &fl) == 0);
    return fl;
}

/* What both cases end with: the deleter removes the object, the holder's reopen fails (the
 * finding's victim), and a later process starts and ends. */
static void the_deletion(struct scn *s)
{
    proc(s, DELETER, WHO(.start = 2), "/usr/bin/deleter");
    shm_unlink_ev(s, DELETER, SHM_NAME, SHM_INO);
    EXIT(s, DELETER);
    shm_open_fails(s, HOLDER, SHM_NAME);
    EXIT(s, HOLDER);
    proc(s, LATER, WHO(.start = 3), "/usr/bin/later");
    EXIT(s, LATER);
}

/* ---- unread: a stream written into the newest chunk, closed, after the follower's look ---- */

static void deleter_now(void)
{
    write_and_drain(DELETER, 1); /* the holder's ring is left */
}

static void unread(void)
{
    struct scn *s = scn_new();
    s->sink = scn_keep;
    s->ts = pt_now() + 10000000000ull; /* after the writers' own events */
    proc(s, HOLDER, WHO(), "/usr/bin/holder");
    shm_map(s, HOLDER, SHM_NAME, SHM_INO, 0x7f0000000000ull);
    held = s->ts;
    the_deletion(s);

    start();
    CHECK(scn_writer_start(dir, HOLDER, held, &holder) == 0); /* holds, alive */
    struct pt_follower *fl = follow();
    on_event_do = deleter_now; /* the holder's first event, read from its ring */
    pt_follower_step(fl, 1);   /* the deleter goes into chunk 1 and chunk 2 begins meanwhile */
    CHECK(!on_event_do && chunk_exists(2));
    CHECK(scn_writer_end(&holder) == 0);
    drain_to(0); /* chunk 2 holds the holder's failure; chunk 3 begins */
    pt_follower_step(fl, 1);
    write_and_drain(LATER, 0); /* chunk 3; chunk 4 begins */
    pt_follower_step(fl, 1);
    pt_follower_close(fl);
    pt_collector_close(col); /* a last trim, for the checkpoints written since */
    check_report("unread", 2);
    scn_free(s);
    scn_nkept = 0; /* the next case keeps its own */
}

/* ---- overtaken: a process's image before its exec finished into a chunk begun meanwhile ---- */

static void exec_now(void)
{
    write_and_drain(FILLER, 0); /* into chunk 2, which closes: chunk 3 begins */
    /* the holder's image before its exec: its ring ends (the process runs on: finished by the
     * collector at once, into chunk 3), the image after it holds the object, alive */
    CHECK(scn_writer_start(dir, HOLDER, held, &holder) == 0);
    drain_to(1);
}

static void overtaken(void)
{
    struct scn *s = scn_new();
    s->sink = scn_keep;
    s->ts = pt_now() + 10000000000ull;
    proc(s, HOLDER, WHO(), "/bin/sh");
    struct pt_event *e = ev_begin(s, PT__ID(execve), HOLDER, 0);
    pt__synth_s(e, "pathname", "/usr/bin/holder");
    ev_end(s);
    proc(s, HOLDER, WHO(), "/usr/bin/holder");
    shm_map(s, HOLDER, SHM_NAME, SHM_INO, 0x7f0000000000ull);
    held = s->ts;
    proc(s, OTHER, WHO(.start = 4), "/usr/bin/other"); /* chunk 1: newer than the hold */
    EXIT(s, OTHER);
    proc(s, FILLER, WHO(.start = 5), "/usr/bin/filler");
    EXIT(s, FILLER);
    the_deletion(s);

    start();
    write_and_drain(OTHER, 0); /* chunk 1; chunk 2 begins */
    struct pt_follower *fl = follow();
    on_rings_do = exec_now; /* after the follower listed chunks 1 and 2 */
    pt_follower_step(fl, 0);
    CHECK(!on_rings_do && chunk_exists(4));
    pt_follower_step(fl, 0); /* the image before the exec is found, in chunk 3 */
    write_and_drain(DELETER, 1);
    CHECK(scn_writer_end(&holder) == 0);
    drain_to(0);
    pt_follower_step(fl, 0);
    write_and_drain(LATER, 0);
    pt_follower_step(fl, 0);
    pt_follower_step(fl, 1);
    pt_follower_close(fl);
    pt_collector_close(col);
    check_report("overtaken", 3);
    scn_free(s);
}

int main(void)
{
    t_watchdog("rotate_unread_chunk:", 120);
    unread();
    overtaken();
    return failures ? 1 : 0;
}

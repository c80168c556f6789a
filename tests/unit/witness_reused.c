/* witness_reused.c — an inode number reused is not a deletion of the hold: an untraced `rm`
 * deletes file X; right after, a watched process creates file Y in the same directory and holds it
 * open — ext4 gives Y the number X had — and only then does the witness read the report of X's
 * deletion. It must not record it as a deletion of what the process holds (the report's file
 * handle names X's generation, which is gone), and it must record the real deletion of Y that
 * follows (a deleted file still open resolves). Caller-driven witness: the order is the test's. */
#include <fcntl.h>

#include "tests/unit/witness_test.h"

/* One command to the holder ('o': create and hold NAME; 'q': quit) and its answer (Y's inode). */
static unsigned long long ask(int to, int from, char cmd, const char *name)
{
    char buf[600];
    unsigned long long ino = 0;
    int n = snprintf(buf, sizeof buf, "%c%s\n", cmd, name);
    if (write(to, buf, (size_t)n) != n || read(from, &ino, sizeof ino) != (ssize_t)sizeof ino)
        return 0;
    return ino;
}

static void holder(const char *dir, int in, int out)
{
    char line[600];
    FILE *f = fdopen(in, "r");
    if (chdir(dir) < 0 || !f)
        _exit(2);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        unsigned long long ino = 0;
        if (line[0] == 'o') {
            struct stat st;
            int fd = open(line + 1, O_RDWR | O_CREAT, 0600); /* kept open */
            if (fd >= 0 && fstat(fd, &st) == 0)
                ino = st.st_ino;
        }
        if (write(out, &ino, sizeof ino) != (ssize_t)sizeof ino || line[0] == 'q')
            _exit(0);
    }
    _exit(0);
}

static void drain_until(struct pt_witness *w, struct pt_witness_stats *st,
                        int (*done)(const struct pt_witness_stats *))
{
    for (int i = 0; i < 500; i++) {
        pt_witness_drain(w);
        pt_witness_stats(w, st);
        if (done(st))
            return;
        w_sleep_ms(10);
    }
}

static int one_reused(const struct pt_witness_stats *st)
{
    return st->reused >= 1 || st->recorded >= 1;
}

static int one_recorded(const struct pt_witness_stats *st)
{
    return st->recorded >= 1;
}

int main(void)
{
    char *base = t_mkdtemp("witness-reused");
    char trace[512], dir[512], x[600], y[600];
    snprintf(trace, sizeof trace, "%s/trace", base);
    snprintf(dir, sizeof dir, "%s/files", base);
    CHECK(mkdir(dir, 0700) == 0, "mkdir");
    int to[2], from[2];
    CHECK(pipe(to) == 0 && pipe(from) == 0, "pipe");
    pid_t h = fork();
    if (h == 0) {
        close(to[1]);
        close(from[0]);
        holder(dir, to[0], from[1]);
    }
    close(to[0]);
    close(from[1]);

    struct pt_witness *w;
    char why[256];
    int rc = pt_witness_start(trace, PT_WITNESS_NO_THREAD, &w, why, sizeof why);
    CHECK(rc == 0, "pt_witness_start: %d %s", rc, why);
    if (rc)
        return 1;
    CHECK(pt_witness_watch_pid(w, h) == 0, "watch the holder (its working directory's filesystem)");

    struct pt_witness_stats st;
    unsigned long long xino = 0, yino = 0;
    int tries = 0;
    do { /* until Y gets X's number (ext4 reuses a freed number at once, almost always) */
        snprintf(x, sizeof x, "%s/x%d", dir, tries);
        snprintf(y, sizeof y, "y%d", tries);
        int fd = open(x, O_CREAT | O_WRONLY, 0600);
        struct stat s;
        CHECK(fd >= 0 && fstat(fd, &s) == 0, "create %s", x);
        xino = s.st_ino;
        close(fd);
        char *rm[] = {"/usr/bin/rm", x, NULL};
        CHECK(w_wait(w_spawn(rm)) == 0, "rm %s", x); /* reported; not read yet */
        yino = ask(to[1], from[0], 'o', y);
        CHECK(yino != 0, "the holder did not hold %s", y);
        CHECK(pt_witness_watch_pid(w, h) == 0, "rescan the holder"); /* Y is held now */
        drain_until(w, &st, one_reused);
    } while (yino != xino && st.recorded == 0 && ++tries < 10);
    CHECK(yino == xino, "no inode number was reused in 10 tries");
    CHECK(st.recorded == 0, "the deletion of x (inode %llu) recorded as one of the held y", xino);
    CHECK(st.reused >= 1, "the report was not set aside as of a reused number");

    /* The real thing: y deleted while the holder still has it open. */
    char ypath[700];
    snprintf(ypath, sizeof ypath, "%s/%s", dir, y);
    char *rm[] = {"/usr/bin/rm", ypath, NULL};
    pid_t p_rm = w_spawn(rm);
    CHECK(w_wait(p_rm) == 0, "rm %s", ypath);
    drain_until(w, &st, one_recorded);
    CHECK(st.recorded == 1, "the deletion of the held y not recorded (%llu)",
          (unsigned long long)st.recorded);
    ask(to[1], from[0], 'q', "");
    CHECK(w_wait(h) == 0, "holder");
    pt_witness_stop(w);
    unsigned n;
    struct w_ev *ev = w_read(trace, &n);
    CHECK(n == 1 && ev[0].ino == yino && ev[0].pid == (uint32_t)p_rm &&
              !strcmp(ev[0].how, "unlink"),
          "%u events; the first of inode %llu by pid %u", n, n ? (unsigned long long)ev[0].ino : 0,
          n ? ev[0].pid : 0);
    free(ev);
    t_rmrf(base);
    free(base);
    return t_failures ? 1 : 0;
}

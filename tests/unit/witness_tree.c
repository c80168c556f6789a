/* witness_tree.c — a registry subtree created after the watch began and removed at once by an
 * untraced `rm -r` is recorded entry by entry with full paths (the directories are gone when the
 * reports are read: the witness names them from the removal of each directory), and an untraced
 * `mv` of a key is recorded as a rename with its new path. */
#include <fcntl.h>

#include "tests/unit/witness_test.h"

#define DEPTH 4

int main(void)
{
    char *base = t_mkdtemp("witness-tree");
    char trace[512], hive[512], dirs[DEPTH][600], vals[DEPTH][700], from[600], to[600], cmd[2048];
    snprintf(trace, sizeof trace, "%s/trace", base);
    snprintf(hive, sizeof hive, "%s/hive", base);
    CHECK(mkdir(hive, 0700) == 0, "mkdir");

    struct pt_witness *w;
    char why[256];
    int rc = pt_witness_start(trace, PT_WITNESS_NO_THREAD, &w, why, sizeof why);
    CHECK(rc == 0, "pt_witness_start: %d %s", rc, why);
    if (rc)
        return 1;
    CHECK(pt_witness_watch_path(w, hive) == 0, "watch");
    CHECK(pt_witness_watch_path(w, hive) == 0, "watch again");

    /* created after the watch: the witness has never seen these directories */
    struct stat dst[DEPTH], vst[DEPTH];
    for (int i = 0; i < DEPTH; i++) {
        snprintf(dirs[i], sizeof dirs[i], "%s/%s", i ? dirs[i - 1] : hive, i ? "Sub" : "ES-2");
        CHECK(mkdir(dirs[i], 0700) == 0, "mkdir %s", dirs[i]);
        snprintf(vals[i], sizeof vals[i], "%s/value%d", dirs[i], i);
        int fd = open(vals[i], O_CREAT | O_WRONLY, 0600);
        CHECK(fd >= 0, "create");
        close(fd);
        CHECK(stat(dirs[i], &dst[i]) == 0 && stat(vals[i], &vst[i]) == 0, "stat");
    }
    snprintf(from, sizeof from, "%s/ES-3", hive);
    snprintf(to, sizeof to, "%s/ES-3-renamed", hive);
    CHECK(mkdir(from, 0700) == 0, "mkdir");
    struct stat fst;
    CHECK(stat(from, &fst) == 0, "stat");
    pt_witness_drain(w); /* the creations report nothing */

    char *rm[] = {"/usr/bin/rm", "-r", dirs[0], NULL};
    pid_t p_rm = w_spawn(rm);
    CHECK(w_wait(p_rm) == 0, "rm -r");
    char *mv[] = {"/usr/bin/mv", from, to, NULL};
    pid_t p_mv = w_spawn(mv);
    CHECK(w_wait(p_mv) == 0, "mv");
    /* caller-driven: wait on the descriptor, then drain */
    struct pt_witness_stats st;
    for (int i = 0; i < 500; i++) {
        pt_witness_drain(w);
        pt_witness_stats(w, &st);
        if (st.recorded >= 2 * DEPTH + 1)
            break;
        w_sleep_ms(10);
    }
    pt_witness_stop(w);

    unsigned n;
    struct w_ev *ev = w_read(trace, &n);
    w_dump(ev, n);
    CHECK(n == 2 * DEPTH + 1, "%u events, expected %d", n, 2 * DEPTH + 1);
    int seen_d[DEPTH] = {0}, seen_v[DEPTH] = {0}, seen_mv = 0;
    for (unsigned i = 0; i < n; i++) {
        struct w_ev *e = &ev[i];
        CHECK(e->path[0], "unresolved: name %s", e->name);
        for (int k = 0; k < DEPTH; k++) {
            if (!strcmp(e->path, dirs[k])) {
                seen_d[k]++;
                CHECK(!strcmp(e->how, "rmdir") && e->ino == (uint64_t)dst[k].st_ino, "%s", e->path);
            }
            if (!strcmp(e->path, vals[k])) {
                seen_v[k]++;
                CHECK(!strcmp(e->how, "unlink") && e->ino == (uint64_t)vst[k].st_ino &&
                          e->dir_ino == (uint64_t)dst[k].st_ino,
                      "%s", e->path);
            }
        }
        if (!strcmp(e->path, from)) {
            seen_mv++;
            CHECK(!strcmp(e->how, "rename") && !strcmp(e->new_path, to), "rename %s -> %s (%s)",
                  e->path, e->new_path, e->how);
            CHECK(e->ino == (uint64_t)fst.st_ino && e->pid == (uint32_t)p_mv, "mv ino/pid");
        } else {
            CHECK(e->pid == (uint32_t)p_rm, "%s: pid %u", e->path, e->pid);
        }
    }
    for (int k = 0; k < DEPTH; k++)
        CHECK(seen_d[k] == 1 && seen_v[k] == 1, "%s: %d, %s: %d", dirs[k], seen_d[k], vals[k],
              seen_v[k]);
    CHECK(seen_mv == 1, "rename seen %d times", seen_mv);
    (void)cmd;
    free(ev);
    t_rmrf(base);
    free(base);
    return t_failures ? 1 : 0;
}

/* witness_rm.c — an untraced `rm` deletes a shared-memory object a live process maps and a registry
 * key (a directory tree) it holds open: the witness records both, naming rm's pid, exe and identity
 * and the device and inode of every object deleted; a deletion outside the watched directories and
 * the collector's own are not recorded. Read back end to end through the ring and the trace reader. */
#include <fcntl.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "tests/unit/witness_test.h"

struct obj {
    char path[512];
    const char *how;
    struct stat st, dir;
    int found;
};

static void stat_obj(struct obj *o, const char *how)
{
    char parent[512];
    o->how = how;
    CHECK(lstat(o->path, &o->st) == 0, "stat %s", o->path);
    snprintf(parent, sizeof parent, "%s", o->path);
    *strrchr(parent, '/') = 0;
    CHECK(stat(parent, &o->dir) == 0, "stat %s", parent);
}

static void mkfile(const char *path)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    CHECK(fd >= 0, "create %s", path);
    CHECK(write(fd, "value\n", 6) == 6, "write");
    close(fd);
}

static void attempt(void)
{
    char *base = t_mkdtemp("witness-rm");
    char trace[512], hive[512], key[512], sub[512], val[512], outside[512], ofile[512], shm[256];
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
        rnd = (unsigned)time(NULL);
    snprintf(trace, sizeof trace, "%s/trace", base);
    snprintf(hive, sizeof hive, "%s/hive", base);
    snprintf(key, sizeof key, "%s/hive/Software/Profiles/ES-1", base);
    snprintf(sub, sizeof sub, "%s/Sub", key);
    snprintf(val, sizeof val, "%s/001e6614", key);
    snprintf(outside, sizeof outside, "%s/outside", base);
    snprintf(ofile, sizeof ofile, "%s/outside/f", base);
    snprintf(shm, sizeof shm, "/dev/shm/pt-witness-rm-%d-%08x", (int)getpid(), rnd);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s'", sub, outside);
    CHECK(system(cmd) == 0, "%s", cmd);
    mkfile(val);
    mkfile(ofile);

    /* The holder: maps the shared-memory object, holds the key's directory open. */
    int ready[2], go[2];
    CHECK(pipe(ready) == 0 && pipe(go) == 0, "pipe");
    pid_t holder = fork();
    if (holder == 0) {
        int fd = open(shm, O_CREAT | O_RDWR, 0600);
        if (fd < 0 || ftruncate(fd, 4096) < 0)
            _exit(2);
        char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            _exit(3);
        strcpy(p, "in use");
        DIR *d = opendir(key);
        if (!d)
            _exit(4);
        char c = 1;
        if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(5);
        /* still mapped, still readable after the delete */
        _exit(strcmp(p, "in use") == 0 ? 0 : 6);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1, "holder did not start");

    struct obj objs[4];
    snprintf(objs[0].path, sizeof objs[0].path, "%s", shm);
    snprintf(objs[1].path, sizeof objs[1].path, "%s", val);
    snprintf(objs[2].path, sizeof objs[2].path, "%s", sub);
    snprintf(objs[3].path, sizeof objs[3].path, "%s", key);
    stat_obj(&objs[0], "unlink");
    stat_obj(&objs[1], "unlink");
    stat_obj(&objs[2], "rmdir");
    stat_obj(&objs[3], "rmdir");
    for (int i = 0; i < 4; i++)
        objs[i].found = 0;

    struct pt_witness *w;
    char why[256];
    int rc = pt_witness_start(trace, 0, &w, why, sizeof why);
    CHECK(rc == 0, "pt_witness_start: %d %s", rc, why);
    if (rc)
        return;
    CHECK(pt_witness_watch_path(w, "/dev/shm") == 0, "watch /dev/shm");
    CHECK(pt_witness_watch_path(w, hive) == 0, "watch %s", hive);
    CHECK(pt_witness_watch_path(w, "/nonexistent-pt-witness") == -ENOENT, "watch of nothing");

    /* The collector's own deletion on a watched directory is not a witness's business. */
    char own[600];
    snprintf(own, sizeof own, "%s/own", hive);
    mkfile(own);
    CHECK(unlink(own) == 0, "unlink own");

    char *rm_shm[] = {"/usr/bin/rm", "-f", shm, NULL};
    char *rm_key[] = {"/usr/bin/rm", "-rf", key, NULL};
    char *rm_out[] = {"/usr/bin/rm", "-f", ofile, NULL};
    pid_t p_shm = w_spawn(rm_shm);
    CHECK(w_wait(p_shm) == 0, "rm shm");
    pid_t p_key = w_spawn(rm_key);
    CHECK(w_wait(p_key) == 0, "rm key");
    pid_t p_out = w_spawn(rm_out);
    CHECK(w_wait(p_out) == 0, "rm outside");
    CHECK(w_wait_recorded(w, 4), "witness recorded fewer than 4 deletions");
    struct pt_witness_stats st;
    for (int i = 0; i < 200; i++) {
        pt_witness_stats(w, &st);
        if (st.outside >= 1 && st.self >= 1)
            break;
        w_sleep_ms(10);
    }
    c = 1;
    CHECK(write(go[1], &c, 1) == 1, "go");
    CHECK(w_wait(holder) == 0, "the holder lost its mapping");
    pt_witness_stop(w);
    fprintf(stderr, "stats: reports %llu recorded %llu self %llu outside %llu live %llu exec %llu "
            "gone %llu unresolved %llu fs %u dirs %u execs %llu missed %llu\n",
            (unsigned long long)st.reports, (unsigned long long)st.recorded,
            (unsigned long long)st.self, (unsigned long long)st.outside,
            (unsigned long long)st.ident_live, (unsigned long long)st.ident_exec,
            (unsigned long long)st.ident_gone, (unsigned long long)st.unresolved, st.filesystems,
            st.dirs, (unsigned long long)st.execs, (unsigned long long)st.execs_missed);
    CHECK(st.filesystems == 2, "filesystems marked: %u (/dev/shm tmpfs and the hive's)", st.filesystems);
    CHECK(st.self >= 1, "own deletion not seen as own");
    CHECK(st.outside >= 1, "outside deletion not seen as outside");

    unsigned n;
    struct w_ev *ev = w_read(trace, &n);
    w_dump(ev, n);
    unsigned mine = 0; /* other tests may delete in /dev/shm meanwhile: count ours */
    for (unsigned i = 0; i < n; i++)
        mine += !strncmp(ev[i].path, base, strlen(base)) || !strcmp(ev[i].path, shm);
    CHECK(mine == 4, "%u witnessed events of this run, expected 4", mine);
    uint32_t ses = w_read_u32("/proc/self/sessionid"), login = w_read_u32("/proc/self/loginuid");
    static const char *const nsn[8] = {"ipc", "mnt", "pid", "user", "uts", "net", "cgroup", "time"};
    for (unsigned i = 0; i < n; i++) {
        struct w_ev *e = &ev[i];
        CHECK(e->id == PT_EV_witnessed, "class");
        CHECK(strstr(e->path, "/outside/") == NULL && strstr(e->path, "/own") == NULL,
              "recorded %s", e->path);
        int k;
        for (k = 0; k < 4; k++)
            if (!strcmp(e->path, objs[k].path))
                break;
        CHECK(k < 4 || strncmp(e->path, base, strlen(base)), "unexpected deletion %s", e->path);
        if (k == 4)
            continue;
        struct obj *o = &objs[k];
        o->found++;
        pid_t want = k == 0 ? p_shm : p_key;
        CHECK(!strcmp(e->how, o->how), "%s: how %s", e->path, e->how);
        CHECK(!strcmp(e->via, "fanotify"), "via %s", e->via);
        CHECK(e->dev == (uint64_t)o->st.st_dev && e->ino == (uint64_t)o->st.st_ino,
              "%s: dev/ino %llx/%llu, expected %llx/%llu", e->path, (unsigned long long)e->dev,
              (unsigned long long)e->ino, (unsigned long long)o->st.st_dev,
              (unsigned long long)o->st.st_ino);
        CHECK(e->dir_dev == (uint64_t)o->dir.st_dev && e->dir_ino == (uint64_t)o->dir.st_ino,
              "%s: dir ino %llu, expected %llu", e->path, (unsigned long long)e->dir_ino,
              (unsigned long long)o->dir.st_ino);
        CHECK(e->pid == (uint32_t)want, "%s: pid %u, rm was %d", e->path, e->pid, (int)want);
        CHECK(e->stream_pid == (uint32_t)getpid(), "stream pid %u", e->stream_pid);
        if (w_gone(e))
            continue;
        CHECK(!strcmp(e->ident, "live") || !strcmp(e->ident, "exec"), "%s: identity %s",
              e->path, e->ident);
        CHECK(!strcmp(e->exe, "/usr/bin/rm"), "%s: exe '%s'", e->path, e->exe);
        CHECK(!strncmp(e->cmdline, "/usr/bin/rm -", 13), "cmdline '%s'", e->cmdline);
        CHECK(e->ppid == (uint32_t)getpid(), "ppid %u", e->ppid);
        CHECK(e->uid == getuid() && e->euid == geteuid(), "uid %u euid %u", e->uid, e->euid);
        CHECK(e->sessionid == ses && e->loginuid == login, "session %u login %u", e->sessionid,
              e->loginuid);
        CHECK(e->start_time != 0, "start time");
        for (unsigned j = 0; j < 8; j++)
            CHECK(e->ns[j] == w_ns("self", nsn[j]), "ns %s", nsn[j]);
    }
    for (int k = 0; k < 4; k++)
        CHECK(objs[k].found == 1, "%s witnessed %d times", objs[k].path, objs[k].found);
    free(ev);
    unlink(shm);
    t_rmrf(base);
    free(base);
}

int main(void)
{
    return w_attempts(attempt);
}

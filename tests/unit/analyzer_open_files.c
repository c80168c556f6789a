/* analyzer_open_files.c — open descriptors as holds (proftrace/open_holds.h, analyzer/open_file.c):
 * which opens are holds, what ends them (close, dup2 over them, exec, a close whose number another
 * thread got back), who may delete them without a finding (the holder, a descendant that inherited
 * the descriptor, a witnessed move), and the class and severity of the finding (journal, data,
 * lock, log, output; a rename-over; a victim raising it). Hand-built event sequences, as the shim
 * writes them. */
#define _GNU_SOURCE
#include <fcntl.h>

#include "analyzer/open_file.h"
#include "proftrace/open_holds.h"
#include "tests/unit/analyzer_scn.h"

#define FDEV 0x801ull /* the disk of the files */

_Static_assert(PT_O_WRONLY == O_WRONLY && PT_O_RDWR == O_RDWR && PT_O_ACCMODE == O_ACCMODE &&
                   PT_O_CREAT == O_CREAT && PT_O_EXCL == O_EXCL && PT_O_TRUNC == O_TRUNC &&
                   PT_O_APPEND == O_APPEND && PT_O_DIRECTORY == O_DIRECTORY &&
                   PT_O_CLOEXEC == O_CLOEXEC && PT_O_PATH == O_PATH &&
                   (PT_O_TMPFILE_BIT | PT_O_DIRECTORY) == O_TMPFILE,
               "open_holds.h: the open(2) flags differ from <fcntl.h>");

/* A process with a parent (ppid) whose first event is now. */
static void proc_of(struct scn *s, uint32_t pid, uint32_t ppid, const char *exe)
{
    proc_child(s, pid, ppid, WHO(), exe);
}

/* open(path, flags) at top level returning fd on (FDEV, ino). */
static void f_open(struct scn *s, uint32_t pid, const char *path, unsigned flags, int fd,
                   uint64_t ino)
{
    struct pt_event *e = ev_begin(s, PT__ID(open), pid, 0);
    pt__synth_s(e, "pathname", path);
    pt__synth_u(e, "flags", flags);
    e->ret = fd;
    pt__synth_u(e, pt__synth_ret_dev_name, FDEV);
    pt__synth_u(e, pt__synth_ret_ino_name, ino);
    ev_end(s);
}

static void f_close(struct scn *s, uint32_t pid, int fd)
{
    struct pt_event *e = ev_begin(s, PT__ID(close), pid, 0);
    pt__synth_u(e, "fd", (uint64_t)fd);
    ev_end(s);
}

static void f_unlink(struct scn *s, uint32_t pid, const char *path, uint64_t ino)
{
    struct pt_event *e = ev_begin(s, PT__ID(unlink), pid, 0);
    pt__synth_s(e, "pathname", path);
    pt__synth_u(e, "pathname_dev", FDEV);
    pt__synth_u(e, "pathname_ino", ino);
    ev_end(s);
}

/* rename(from, to) replacing `to`, which was (FDEV, ino). */
static void f_rename_over(struct scn *s, uint32_t pid, const char *from, const char *to,
                          uint64_t from_ino, uint64_t ino)
{
    struct pt_event *e = ev_begin(s, PT__ID(rename), pid, 0);
    pt__synth_s(e, "oldpath", from);
    pt__synth_u(e, "oldpath_dev", FDEV);
    pt__synth_u(e, "oldpath_ino", from_ino);
    pt__synth_s(e, "newpath", to);
    pt__synth_u(e, "newpath_dev", FDEV);
    pt__synth_u(e, "newpath_ino", ino);
    ev_end(s);
}

static void witnessed_how(struct scn *s, const char *how, uint32_t wpid, uint32_t ppid,
                          const char *path, uint64_t ino)
{
    struct who w = WHO();
    struct pt_event *e = ev_begin(s, PT_EV_witnessed, 1, 0);
    pt__synth_s(e, "how", how);
    pt__synth_s(e, "via", "fanotify");
    pt__synth_s(e, "path", path);
    pt__synth_u(e, "dev", FDEV);
    pt__synth_u(e, "ino", ino);
    pt__synth_u(e, "pid", wpid);
    pt__synth_u(e, "ppid", ppid);
    pt__synth_s(e, "ident", "live");
    pt__synth_u(e, "start_time", 0);
    pt__synth_u(e, "uid", w.uid);
    pt__synth_u(e, "euid", w.euid);
    pt__synth_u(e, "sessionid", w.session);
    pt__synth_u(e, "loginuid", w.uid);
    pt__synth_u(e, "ns_ipc", w.ipc);
    pt__synth_u(e, "ns_mnt", w.mnt);
    pt__synth_u(e, "ns_pid", w.pid);
    pt__synth_s(e, "exe", "/usr/bin/rm");
    pt__synth_s(e, "cmdline", "rm");
    ev_end(s);
}

static const char *only_severity(struct scn *s)
{
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    if (pt_analyzer_nfindings(s->a) != 1)
        return "";
    CHECK_STR(pt_analyzer_finding_rule(s->a, 0), "deleted-while-held");
    return pt_analyzer_finding_severity(s->a, 0);
}

/* A database's write-ahead log open read-write by one process, unlinked by another: a finding,
 * high (a journal), named as an open file of class journal, with the descriptor. */
static void journal_deleted(void)
{
    struct scn *s = scn_new();
    proc_of(s, 100, 1, "/usr/bin/sqlite3");
    proc_of(s, 200, 1, "/usr/bin/cleaner");
    f_open(s, 100, "/srv/db.sqlite-wal", O_RDWR | O_CREAT | O_CLOEXEC, 4, 50);
    f_unlink(s, 200, "/srv/db.sqlite-wal", 50);
    EXIT(s, 100); /* alive at the delete */
    finish(s);
    CHECK_STR(only_severity(s), "high");
    char *j = scn_render(s, 1);
    CHECK(j && strstr(j, "\"kind\":\"open-file\""));
    CHECK(j && strstr(j, "\"class\":\"journal\""));
    CHECK(j && strstr(j, "\"fd\":4"));
    free(j);
    char *t = scn_render(s, 0);
    CHECK(t && strstr(t, "(a database journal)"));
    CHECK(t && strstr(t, "has it open for writing (O_RDWR|O_CREAT|O_CLOEXEC), fd 4"));
    free(t);
    scn_free(s);
}

/* Severity by what the file is: a log low, a file written out medium, a data file high; a
 * rename-over low; a victim one level up. */
static void severity_by_class(void)
{
    static const struct {
        const char *path;
        unsigned flags;
        int rename_over, victim;
        const char *severity;
    } cases[] = {
        {"/var/log/svc.log", O_WRONLY | O_CREAT | O_APPEND, 0, 0, "low"},
        {"/var/log/svc.out", O_WRONLY | O_APPEND, 0, 0, "low"},
        {"/var/log/svc.log.1", O_WRONLY, 0, 0, "low"},
        {"/srv/out.bin", O_WRONLY | O_CREAT | O_TRUNC, 0, 0, "medium"},
        {"/srv/data.idx", O_RDWR, 0, 0, "high"},
        {"/run/svc.lock", O_RDWR | O_CREAT, 0, 0, "medium"},
        {"/run/flock-me", O_RDONLY | O_CREAT, 0, 0, "medium"},
        {"/srv/data.idx", O_RDWR, 1, 0, "low"},
        {"/srv/data.idx", O_RDWR, 0, 1, "critical"},
        {"/var/log/svc.log", O_WRONLY | O_APPEND, 0, 1, "medium"},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct scn *s = scn_new();
        proc_of(s, 100, 1, "/usr/sbin/svc");
        proc_of(s, 200, 1, "/usr/bin/cleaner");
        f_open(s, 100, cases[i].path, cases[i].flags, 5, 60);
        if (cases[i].rename_over)
            f_rename_over(s, 200, "/srv/.data.idx.new", cases[i].path, 61, 60);
        else
            f_unlink(s, 200, cases[i].path, 60);
        if (cases[i].victim) { /* the holder opens it again by name: gone */
            struct pt_event *e = ev_begin(s, PT__ID(open), 100, 0);
            pt__synth_s(e, "pathname", cases[i].path);
            pt__synth_u(e, "flags", O_RDWR);
            e->ret = -1;
            e->err = ENOENT;
            ev_end(s);
        }
        EXIT(s, 100);
        finish(s);
        const char *sev = only_severity(s);
        if (strcmp(sev, cases[i].severity)) {
            fprintf(stderr, "case %u (%s): severity %s, expected %s\n", i, cases[i].path, sev,
                    cases[i].severity);
            failures++;
        }
        scn_free(s);
    }
}

/* No finding: read-only opens; a file closed before its deletion; the holder deleting its own
 * temporary file; a child forked after the open (it inherited the descriptor) deleting it; another
 * worker of the holder's own program deleting it. */
static void not_held(void)
{
    struct scn *s = scn_new();
    proc_of(s, 100, 1, "/usr/bin/cc");
    proc_of(s, 200, 1, "/usr/bin/rm");
    f_open(s, 100, "/tmp/a.h", O_RDONLY, 3, 70); /* a read: no hold */
    f_open(s, 100, "/tmp/b.o", O_WRONLY | O_CREAT | O_TRUNC, 4, 71);
    f_close(s, 100, 4); /* closed before it is deleted */
    f_open(s, 100, "/tmp/tmpXYZ", O_RDWR | O_CREAT | O_EXCL, 5, 72);
    f_unlink(s, 100, "/tmp/tmpXYZ", 72); /* create-open-unlink: its own temporary file */
    f_unlink(s, 200, "/tmp/a.h", 70);
    f_unlink(s, 200, "/tmp/b.o", 71);
    f_open(s, 100, "/tmp/shared", O_RDWR | O_CREAT | O_EXCL, 6, 73);
    proc_of(s, 300, 100, "/bin/sh"); /* forked after the open: shares the descriptor */
    proc_of(s, 301, 300, "/usr/bin/rm");
    f_unlink(s, 301, "/tmp/shared", 73);
    EXIT(s, 100);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);

    /* One program's workers (forked from the same master, no exec): its own files. */
    s = scn_new();
    proc_of(s, 400, 1, "/usr/lib/postgresql/15/bin/postgres");
    proc_of(s, 401, 400, "/usr/lib/postgresql/15/bin/postgres"); /* a backend */
    proc_of(s, 402, 400, "/usr/lib/postgresql/15/bin/postgres"); /* the checkpointer */
    f_open(s, 401, "base/5/16384", O_RDWR, 9, 74);
    f_unlink(s, 402, "base/5/16384", 74);
    EXIT(s, 401);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);

    /* A directory, O_PATH and O_TMPFILE opens are no holds either. */
    CHECK(!pt_open_holds(O_RDONLY | O_DIRECTORY) && !pt_open_holds(O_PATH | O_RDWR) &&
          !pt_open_holds(O_TMPFILE | O_RDWR) && !pt_open_holds(O_RDONLY));
    CHECK(pt_open_holds(O_WRONLY) && pt_open_holds(O_RDONLY | O_CREAT) &&
          pt_open_holds(O_RDWR | O_CLOEXEC));
}

/* A descendant forked before the open did not inherit it: its deletion is a finding. So is the
 * deletion after the holder dup2'd another descriptor over a different number (the hold stays),
 * not after it dup2'd over the held one, nor after it exec'd. */
static void what_ends_a_hold(void)
{
    struct scn *s = scn_new();
    proc_of(s, 100, 1, "/usr/sbin/svc");
    proc_of(s, 300, 100, "/usr/sbin/svc-cleaner"); /* forked first */
    f_open(s, 100, "/srv/state.db", O_RDWR, 7, 80);
    f_unlink(s, 300, "/srv/state.db", 80);
    EXIT(s, 100);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    scn_free(s);

    s = scn_new();
    proc_of(s, 100, 1, "/usr/sbin/svc");
    proc_of(s, 200, 1, "/usr/bin/rm");
    f_open(s, 100, "/srv/a.db", O_RDWR, 7, 81);
    f_open(s, 100, "/srv/b.db", O_RDWR, 8, 82);
    f_open(s, 100, "/srv/c.db", O_RDWR, 9, 83);
    struct pt_event *e = ev_begin(s, PT__ID(dup2), 100, 0); /* over a.db's descriptor */
    pt__synth_u(e, "oldfd", 2);
    pt__synth_u(e, "newfd", 7);
    e->ret = 7;
    ev_end(s);
    /* another thread closed 8 while this one's open got 8 back (the open ended first) */
    uint64_t close_enter = s->ts + 1;
    f_open(s, 100, "/srv/b2.db", O_RDWR, 8, 84);
    e = ev_begin(s, PT__ID(close), 100, 0);
    e->ts_enter = close_enter;
    pt__synth_u(e, "fd", 8);
    ev_end(s);
    f_unlink(s, 200, "/srv/a.db", 81);  /* no longer held */
    f_unlink(s, 200, "/srv/b2.db", 84); /* held: the close was of b.db's descriptor */
    e = ev_begin(s, PT__ID(execve), 100, 0);
    pt__synth_s(e, "pathname", "/usr/sbin/svc2");
    ev_end(s);
    f_unlink(s, 200, "/srv/c.db", 83); /* the exec ended it */
    EXIT(s, 100);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 1);
    char *t = scn_render(s, 0);
    CHECK(t && strstr(t, "open-file \"/srv/b2.db\""));
    free(t);
    scn_free(s);
}

/* The witness: an untraced unlink of an open file is a finding; an untraced rename of it (a log
 * rotated) is not, nor is an unlink by an untraced child of the holder. */
static void witnessed(void)
{
    struct scn *s = scn_new();
    proc_of(s, 100, 1, "/usr/sbin/svc");
    f_open(s, 100, "/var/log/svc.log", O_WRONLY | O_CREAT | O_APPEND, 3, 90);
    f_open(s, 100, "/srv/svc.db", O_RDWR, 4, 91);
    witnessed_how(s, "rename", 500, 1, "/var/log/svc.log", 90);
    witnessed_how(s, "unlink", 501, 100, "/srv/svc.db", 91); /* its own child: start 0 */
    EXIT(s, 100);
    finish(s);
    CHECK(pt_analyzer_nfindings(s->a) == 0);
    scn_free(s);

    s = scn_new();
    proc_of(s, 100, 1, "/usr/sbin/svc");
    f_open(s, 100, "/srv/svc.db", O_RDWR, 4, 91);
    witnessed_how(s, "unlink", 502, 1, "/srv/svc.db", 91);
    EXIT(s, 100);
    finish(s);
    CHECK_STR(only_severity(s), "high");
    CHECK_STR(pt_analyzer_finding_cause(s->a, 0), "no-liveness-check");
    scn_free(s);
}

/* The class rules on their own. */
static void classes(void)
{
    CHECK_STR(pt__file_class(O_RDWR, "/x/db-journal")->name, "journal");
    CHECK_STR(pt__file_class(O_RDWR, "db.sqlite-shm")->name, "journal");
    CHECK_STR(pt__file_class(O_WRONLY | O_APPEND, "/x/y.lock")->name, "lock");
    CHECK_STR(pt__file_class(O_WRONLY, "/x/y.log.12")->name, "log");
    CHECK_STR(pt__file_class(O_WRONLY, "/x/y.log.1a")->name, "output");
    CHECK_STR(pt__file_class(O_RDWR, "/x/y.catalog")->name, "data");
    CHECK_STR(pt__file_severity(pt__file_class(O_RDWR, "a"), 0, 1), "critical");
    CHECK_STR(pt__file_severity(pt__file_class(O_RDWR, "a"), 1, 1), "medium");
}

int main(void)
{
    RUN(journal_deleted);
    RUN(severity_by_class);
    RUN(not_held);
    RUN(what_ends_a_hold);
    RUN(witnessed);
    RUN(classes);
    return failures != 0;
}

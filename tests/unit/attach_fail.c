/* attach_fail.c — an attach that fails half-way leaves the process as it was: pt_attach given a
 * library that is not the shim (libz: loads, has no entry point) and a file that is no library
 * at all (dlopen refuses it) fails with dlopen's or dlsym's reason; each time the busy program
 * attached to (attach_tool_busy, 2 threads in traced calls) runs on, keeps no scratch area, its
 * errno untouched (it checks errno after every failing call), and in the end exits 0 with errors
 * 0. A real process, forked and exec'd here. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach/attach.h"

static int failures;
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* Mappings of pid of exactly `size` bytes (the injector's scratch area would be one). */
static int maps_of_size(pid_t pid, unsigned long size)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "re");
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && hi - lo == size)
            n++;
    }
    if (f)
        fclose(f);
    return n;
}

int main(void)
{
    char self[PATH_MAX], tool[PATH_MAX + 32], dir[] = "/tmp/pt-attach-fail-XXXXXX";
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || !mkdtemp(dir))
        return 2;
    self[n] = 0;
    *strrchr(self, '/') = 0;
    snprintf(tool, sizeof tool, "%s/attach_tool_busy", self);
    char counter[sizeof dir + 16], name[64], junk[sizeof dir + 16];
    snprintf(counter, sizeof counter, "%s/c", dir);
    snprintf(junk, sizeof junk, "%s/junk.so", dir);
    snprintf(name, sizeof name, "attfail%d", (int)getpid());
    FILE *j = fopen(junk, "w");
    if (!j)
        return 2;
    fputs("not an ELF file\n", j);
    fclose(j);

    int in[2], out[2];
    if (pipe(in) || pipe(out))
        return 2;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        execl(tool, tool, "2", "50", counter, name, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    FILE *from = fdopen(out[0], "r");
    char line[256];
    CHECK(fgets(line, sizeof line, from) && !strcmp(line, "ready\n"), "the program did not start");
    int scratch_before = maps_of_size(pid, 0x202000);

    struct {
        const char *shim, *want;
    } cases[] = {
        {"/lib/x86_64-linux-gnu/libz.so.1", "has no proftrace_attach"},
        {junk, "dlopen of"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pt_attach_opts o = {.dir = dir, .shim = cases[i].shim};
        struct pt_attach_info info;
        char why[1024] = "";
        int rc = pt_attach(pid, &o, &info, why, sizeof why);
        CHECK(rc < 0, "attaching with %s worked", cases[i].shim);
        CHECK(strstr(why, cases[i].want) != NULL, "%s: reason '%s' lacks '%s'", cases[i].shim, why,
              cases[i].want);
        CHECK(kill(pid, 0) == 0, "%s: the program is gone", cases[i].shim);
        CHECK(maps_of_size(pid, 0x202000) == scratch_before, "%s: the scratch area was left",
              cases[i].shim);
        char st[64], buf[2048];
        snprintf(st, sizeof st, "/proc/%d/status", (int)pid);
        FILE *f = fopen(st, "re");
        size_t got = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[got] = 0;
        CHECK(strstr(buf, "TracerPid:\t0\n") != NULL, "%s: still traced", cases[i].shim);
    }
    CHECK(write(in[1], "go\n", 3) == 3, "go");
    CHECK(fgets(line, sizeof line, from) && !strcmp(line, "phase B done\n"), "no phase B");
    close(in[1]);
    while (fgets(line, sizeof line, from))
        CHECK(!strstr(line, "errors") || strstr(line, "errors 0\n"), "the program saw: %s", line);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "the program failed (status %#x)", status);
    unlink(junk);
    unlink(counter);
    rmdir(dir);
    if (failures)
        return 1;
    printf("ok: two attaches failing half-way (no entry point; not a library) left the program "
           "as it was\n");
    return 0;
}

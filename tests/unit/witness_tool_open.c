/* witness_tool_open.c — a traced holder of open files whose holds begin while it runs, for
 * witness_e2e_open.sh and tests/integration/real_tmpfiles.sh. Reads commands on stdin:
 *   open PATH   open PATH read-write (created when missing), write a line, keep it open, print
 *               "held PATH";
 *   map PATH    create PATH, map a page of it shared and close it (the mapping holds it), print
 *               "mapped PATH";
 *   close PATH  close what "open PATH" opened (the hold ends; the process goes on), print
 *               "closed PATH";
 *   end         write to every file still open again and reopen each file by name as a victim
 *               would (fails once it was removed), print what happened ("reopen PATH: failed
 *               (2)"), exit 0.
 * Not a test by itself. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void)
{
    static char path[256][512];
    int fd[256], n = 0;
    char line[600];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        if (!strncmp(line, "open ", 5) && n < 256) {
            snprintf(path[n], sizeof path[n], "%s", line + 5);
            fd[n] = open(path[n], O_RDWR | O_CREAT | O_CLOEXEC, 0600);
            if (fd[n] < 0 || write(fd[n], "begun\n", 6) != 6) {
                fprintf(stderr, "witness_tool_open: %s: %s\n", path[n], strerror(errno));
                return 1;
            }
            printf("held %s\n", path[n++]);
            fflush(stdout);
        } else if (!strncmp(line, "map ", 4) && n < 256) {
            snprintf(path[n], sizeof path[n], "%s", line + 4);
            int mfd = open(path[n], O_RDWR | O_CREAT | O_CLOEXEC, 0600);
            char *p = mfd >= 0 && ftruncate(mfd, 4096) == 0
                          ? mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0)
                          : MAP_FAILED;
            if (p == MAP_FAILED) {
                fprintf(stderr, "witness_tool_open: %s: %s\n", path[n], strerror(errno));
                return 1;
            }
            close(mfd);
            p[0] = 1;
            fd[n] = -1; /* held by the mapping alone */
            printf("mapped %s\n", path[n++]);
            fflush(stdout);
        } else if (!strncmp(line, "close ", 6)) {
            for (int i = 0; i < n; i++)
                if (fd[i] >= 0 && !strcmp(path[i], line + 6)) {
                    close(fd[i]);
                    fd[i] = -1;
                }
            printf("closed %s\n", line + 6);
            fflush(stdout);
        } else if (!strcmp(line, "end")) {
            break;
        }
    }
    for (int i = 0; i < n; i++) {
        if (fd[i] >= 0 && write(fd[i], "more\n", 5) != 5)
            return 1;
        int again = open(path[i], O_RDWR | O_CLOEXEC);
        printf("reopen %s: %s (%d)\n", path[i], again >= 0 ? "ok" : "failed",
               again >= 0 ? 0 : errno);
        if (again >= 0)
            close(again);
        if (fd[i] >= 0)
            close(fd[i]);
    }
    fflush(stdout);
    return 0;
}

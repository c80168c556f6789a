/* attach_tool_tracer.c — another debugger, for the attach tests: seizes PID with ptrace (it then
 * shows in TracerPid), prints "tracing", and lets go at end of input.
 *   attach_tool_tracer PID */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    pid_t pid = (pid_t)atoi(argv[1]);
    if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0) {
        perror("attach_tool_tracer: PTRACE_SEIZE");
        return 1;
    }
    printf("tracing\n");
    fflush(stdout);
    char buf[64];
    while (fgets(buf, sizeof buf, stdin))
        ;
    return 0; /* exiting detaches */
}

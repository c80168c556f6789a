/* c_deleter.c — a C deleter for the symbolization tests (built by the test itself, then stripped,
 * its debug information put where only a debug directory or a debuginfod server has it):
 *     c_deleter NAME   removes the POSIX shared-memory object NAME
 * drop() makes a direct call to a local function just before the deleting call, so the
 * disassembly at the call site shows both kinds of target: `call check_name` (the symbol table
 * of the module) and `call shm_unlink@plt` (a PLT slot). The "line:" comments mark the lines the
 * test expects. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static volatile unsigned dropped;

static __attribute__((noipa)) int check_name(const char *name)
{
    return name[0] == '/' ? 0 : -1;
}

static __attribute__((noipa)) int drop(const char *name)
{
    if (check_name(name))
        return -1;
    int rc = shm_unlink(name); /* line:unlink */
    if (rc == 0)
        dropped++; /* work after the call: the call stays a call, not a jump */
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    if (drop(argv[1]) != 0) { /* line:drop-call */
        fprintf(stderr, "c_deleter: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    printf("dropped %u\n", dropped);
    return 0;
}

/* attach_tool_static.c — a statically linked program for the attach tests (linked with -static:
 * no dynamic loader, no dlopen to load the shim with): prints "ready", then waits for end of
 * input. */
#include <stdio.h>

int main(void)
{
    char buf[64];
    printf("ready\n");
    fflush(stdout);
    while (fgets(buf, sizeof buf, stdin))
        ;
    return 0;
}

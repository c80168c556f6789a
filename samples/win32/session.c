/* session.c — the login session of this process, which names its Local\ object namespace.
 *
 * Windows gives each Terminal Services session its own namespace for named objects. Here the
 * session is the audit session of /proc/self/sessionid (4294967295, "unset", is session 0, the
 * console), or $WINSIM_SESSION when set (for tests without the right to start audit sessions).
 * A process's session never changes, so it is read once when the library loads. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "samples/win32/winsim.h"

static unsigned long session_id;

static unsigned long read_session(void)
{
    const char *env = getenv("WINSIM_SESSION");
    char buf[32];
    ssize_t n;
    int fd;

    if (env && *env)
        return strtoul(env, NULL, 10);
    fd = open("/proc/self/sessionid", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    unsigned long id = strtoul(buf, NULL, 10);
    return id == 4294967295UL ? 0 : id;
}

__attribute__((constructor)) static void winsim_session_init(void)
{
    session_id = read_session();
}

unsigned long winsim__session_id(void)
{
    return session_id;
}

/* sd_notify.c — the readiness message of sd_notify(3): one datagram of NAME=value lines to the
 * AF_UNIX socket in $NOTIFY_SOCKET. `proftrace collect` sends READY=1 once the trace directory is
 * made and the environment printed, so that a unit ordered after proftrace-collect.service
 * (Type=notify) starts its traced processes only then. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cmds/sd_notify.h"

int pt__sd_notify(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path)
        return 0;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || n >= sizeof sa.sun_path)
        return -EINVAL;
    memcpy(sa.sun_path, path, n);
    if (path[0] == '@')
        sa.sun_path[0] = 0; /* the abstract namespace: no terminating NUL counted */
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int rc = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0
                 ? -errno
                 : 1;
    close(fd);
    return rc;
}

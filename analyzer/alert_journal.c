/* alert_journal.c — one journal entry sent to journald in its native protocol, without libsystemd.
 *
 * The protocol (systemd's "Native Journal Protocol"): one datagram to the AF_UNIX socket
 * /run/systemd/journal/socket, holding the fields one after the other. A field is
 *     NAME=value\n                      when the value holds no newline, else
 *     NAME\n<length, 64-bit little-endian><value bytes>\n
 * (the second form carries any bytes). An entry too large for one datagram (EMSGSIZE, ENOBUFS) is
 * written into a sealed memfd instead, and the descriptor alone is sent (SCM_RIGHTS, empty
 * datagram): journald reads the entry from it. Names are upper-case letters, digits and '_', not
 * starting with '_' (journald sets those itself: _PID, _EXE, ...).
 *
 * Why not libsystemd's sd_journal_sendv: it does the same in as many lines, and linking libsystemd
 * would make the package depend on it for a machine that may not run systemd at all. Why
 * MSG_DONTWAIT: a stalled journald must never stall the collector; an entry it cannot take now
 * is reported (-EAGAIN) and not retried.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "analyzer/alert_int.h"

int pt__journal_socket(void)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    return fd < 0 ? -errno : fd;
}

static int address(const char *path, struct sockaddr_un *sa, socklen_t *len)
{
    size_t n = strlen(path);
    if (n >= sizeof sa->sun_path)
        return -ENAMETOOLONG;
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    memcpy(sa->sun_path, path, n);
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    return 0;
}

int pt_alert_journal_present(const char *path)
{
    struct stat st;
    return stat(path ? path : PT_ALERT_JOURNAL_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* The whole entry into a sealed memfd, its descriptor sent alone. */
static int send_memfd(int fd, const struct sockaddr_un *sa, socklen_t salen, struct iovec *iov,
                      int niov)
{
    int mfd = memfd_create("proftrace-journal-entry", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mfd < 0)
        return -errno;
    int rc = 0;
    for (int i = 0; i < niov && !rc; i++) {
        const char *p = iov[i].iov_base;
        size_t left = iov[i].iov_len;
        while (left) {
            ssize_t w = write(mfd, p, left);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                rc = w < 0 ? -errno : -EIO;
                break;
            }
            p += w;
            left -= (size_t)w;
        }
    }
    /* journald takes a memfd only sealed: the entry cannot change while it reads it */
    if (!rc &&
        fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
        rc = -errno;
    if (!rc) {
        union {
            struct cmsghdr h;
            char buf[CMSG_SPACE(sizeof(int))];
        } ctl;
        memset(&ctl, 0, sizeof ctl);
        struct msghdr m = {.msg_name = (void *)sa,
                           .msg_namelen = salen,
                           .msg_control = ctl.buf,
                           .msg_controllen = sizeof ctl.buf};
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &mfd, sizeof(int));
        if (sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
            rc = -errno;
    }
    close(mfd);
    return rc;
}

int pt__journal_send(int fd, const char *path, const struct pt__alert_field *f, unsigned n)
{
    struct sockaddr_un sa;
    socklen_t salen;
    int rc = address(path, &sa, &salen);
    if (rc < 0)
        return rc;
    if (n > PT__ALERT_MAX_FIELDS)
        return -E2BIG;
    struct iovec iov[PT__ALERT_MAX_FIELDS * 5]; /* name, "\n", length, value, "\n" */
    uint64_t lens[PT__ALERT_MAX_FIELDS];
    int k = 0;
    for (unsigned i = 0; i < n; i++) {
        iov[k++] = (struct iovec){(void *)f[i].name, strlen(f[i].name)};
        if (memchr(f[i].value, '\n', f[i].len)) {
            lens[i] = htole64((uint64_t)f[i].len);
            iov[k++] = (struct iovec){"\n", 1};
            iov[k++] = (struct iovec){&lens[i], sizeof lens[i]};
        } else {
            iov[k++] = (struct iovec){"=", 1};
        }
        iov[k++] = (struct iovec){(void *)f[i].value, f[i].len};
        iov[k++] = (struct iovec){"\n", 1};
    }
    struct msghdr m = {.msg_name = &sa, .msg_namelen = salen, .msg_iov = iov, .msg_iovlen = k};
    if (sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
        return 0;
    if (errno == EMSGSIZE || errno == ENOBUFS)
        return send_memfd(fd, &sa, salen, iov, k);
    return -errno;
}

/* witness_execs.c — the exec cache: every process's identity read when it execs, for deleters that
 * are gone before their deletion is read.
 *
 * A plain `rm` lives for a millisecond; fanotify tells the witness its pid, but by the time the report
 * is read the process may have exited and /proc no longer knows it. The kernel's process connector
 * (netlink, CONFIG_PROC_EVENTS) announces every exec as it happens, before the new program has run
 * its first instruction, so the witness reads the identity then (whole, or not at all: a process
 * that exits during the read counts as missed) and keeps it in a small
 * direct-mapped table by pid (the newest exec of a pid wins). uid changes after exec are applied
 * from the connector's uid events. The table is bounded: an entry lives until another exec lands in
 * its slot, which is hundreds of execs later for sequentially allocated pids.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proftrace/ring.h"
#include "tracer/witness_internal.h"

#define SLOTS 1024u

struct slot {
    uint32_t pid;
    uint64_t exec_ts; /* pt_now() when the exec was read */
    struct pt__wident id;
};

struct pt__wexecs {
    int sock;
    uint64_t missed;   /* execs whose process was gone before it could be read */
    struct slot *slot; /* SLOTS entries */
};

/* One message to the process connector: netlink header, connector header, then `len` bytes of
 * data (cn_msg ends in a flexible array, so the message is laid out by hand). */
static int send_cn(int sock, const void *data, uint16_t len)
{
    char msg[NLMSG_SPACE(sizeof(struct cn_msg) + 8)] __attribute__((aligned(NLMSG_ALIGNTO)));
    struct nlmsghdr *nl = (struct nlmsghdr *)msg;
    struct cn_msg *cn = NLMSG_DATA(nl);
    if (len > 8)
        return -EINVAL;
    memset(msg, 0, sizeof msg);
    nl->nlmsg_len = NLMSG_LENGTH(sizeof *cn + len);
    nl->nlmsg_type = NLMSG_DONE;
    cn->id.idx = CN_IDX_PROC;
    cn->id.val = CN_VAL_PROC;
    cn->len = len;
    memcpy(cn->data, data, len);
    return send(sock, msg, nl->nlmsg_len, 0) == (ssize_t)nl->nlmsg_len ? 0 : -errno;
}

static int send_op(int sock, enum proc_cn_mcast_op op)
{
    return send_cn(sock, &op, sizeof op);
}

/* Since Linux 6.6 a listener may name the events it wants (struct proc_input: the operation, then
 * a mask of enum what), and the kernel drops the others before they are queued. Without that,
 * every fork, exit and comm change on the machine wakes the witness's thread, at nice -10, on
 * the CPU of the process that made it: in a shell loop, three wake-ups for each exec it reads, each
 * a preemption of the traced program. Sent after the plain LISTEN, which every kernel takes: an
 * older one ignores a message of this size (no reply, nothing changed) and keeps sending all. */
static int send_filter(int sock, uint32_t events)
{
    struct {
        uint32_t op, events;
    } in = {PROC_CN_MCAST_LISTEN, events};
    return send_cn(sock, &in, sizeof in);
}

int pt__wexecs_open(struct pt__wexecs **out)
{
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC, .nl_pid = 0};
    int rc, sock = socket(PF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (sock < 0)
        return -errno;
    int rcvbuf = 4 << 20;
    (void)setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
    if (bind(sock, (struct sockaddr *)&sa, sizeof sa) < 0)
        rc = -errno;
    else
        rc = send_op(sock, PROC_CN_MCAST_LISTEN);
    if (rc == 0)
        (void)send_filter(sock, PROC_EVENT_EXEC | PROC_EVENT_UID); /* the two drained below */
    if (rc) {
        close(sock);
        return rc;
    }
    struct pt__wexecs *x = calloc(1, sizeof *x);
    if (x)
        x->slot = calloc(SLOTS, sizeof *x->slot);
    if (!x || !x->slot) {
        free(x);
        close(sock);
        return -ENOMEM;
    }
    x->sock = sock;
    *out = x;
    return 0;
}

int pt__wexecs_fd(const struct pt__wexecs *x)
{
    return x ? x->sock : -1;
}

int pt__wexecs_drain(struct pt__wexecs *x)
{
    char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
    int execs = 0;
    if (!x)
        return 0;
    for (;;) {
        ssize_t n = recv(x->sock, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ENOBUFS) /* the kernel dropped events: some execs are not cached */
                continue;
            break;
        }
        for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
             nh = NLMSG_NEXT(nh, n)) {
            if (nh->nlmsg_type == NLMSG_ERROR || nh->nlmsg_type == NLMSG_NOOP)
                continue;
            struct cn_msg *cn = NLMSG_DATA(nh);
            if (NLMSG_PAYLOAD(nh, 0) < sizeof *cn || cn->id.idx != CN_IDX_PROC ||
                cn->len < offsetof(struct proc_event, event_data))
                continue;
            /* after the 20-byte cn_msg the event is 4-aligned, its 64-bit fields want 8: copied */
            size_t have = NLMSG_PAYLOAD(nh, 0) - sizeof *cn;
            if (have > cn->len)
                have = cn->len;
            struct proc_event evc = {0}, *ev = &evc;
            memcpy(&evc, cn->data, have < sizeof evc ? have : sizeof evc);
            if (ev->what == PROC_EVENT_EXEC) {
                uint32_t pid = (uint32_t)ev->event_data.exec.process_tgid;
                if ((uint32_t)ev->event_data.exec.process_pid != pid)
                    continue;
                struct slot *s = &x->slot[pid % SLOTS];
                if (pt__wident_read((pid_t)pid, -1, &s->id) == 0) {
                    s->pid = pid;
                    s->exec_ts = pt_now();
                    s->id.state = PT__WID_EXEC;
                } else {
                    s->pid = 0;
                    x->missed++;
                }
                execs++;
            } else if (ev->what == PROC_EVENT_UID) {
                uint32_t pid = (uint32_t)ev->event_data.id.process_tgid;
                struct slot *s = &x->slot[pid % SLOTS];
                if (s->pid == pid) {
                    s->id.uid = ev->event_data.id.r.ruid;
                    s->id.euid = ev->event_data.id.e.euid;
                }
            }
        }
    }
    return execs;
}

uint64_t pt__wexecs_missed(const struct pt__wexecs *x)
{
    return x ? x->missed : 0;
}

int pt__wexecs_lookup(struct pt__wexecs *x, uint32_t pid, struct pt__wident *out)
{
    if (!x || !pid)
        return -ENOENT;
    struct slot *s = &x->slot[pid % SLOTS];
    if (s->pid != pid)
        return -ENOENT;
    *out = s->id;
    out->state = PT__WID_EXEC;
    return 0;
}

void pt__wexecs_each_since(struct pt__wexecs *x, uint64_t since,
                           void (*fn)(void *arg, const struct pt__wident *id, uint64_t exec_ts),
                           void *arg)
{
    if (!x)
        return;
    for (unsigned i = 0; i < SLOTS; i++)
        if (x->slot[i].pid && x->slot[i].exec_ts >= since)
            fn(arg, &x->slot[i].id, x->slot[i].exec_ts);
}

void pt__wexecs_close(struct pt__wexecs *x)
{
    if (!x)
        return;
    (void)send_op(x->sock, PROC_CN_MCAST_IGNORE);
    close(x->sock);
    free(x->slot);
    free(x);
}

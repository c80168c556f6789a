/* alert_journal_proto.c — the journal delivery, checked byte by byte on a datagram socket the test
 * binds where journald's would be: every field in journald's native protocol (NAME=value, or the
 * length form for a value holding a newline), MESSAGE one line, PRIORITY from the severity; an
 * entry too big for a datagram sent as a sealed memfd; a full queue (journald stalled) and a
 * missing socket reported at once, never waited on. */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/unit/alert_test.h"

struct field {
    char name[64];
    const char *value;
    size_t len;
    int length_form; /* sent as NAME\n<le64><value>\n */
};

/* Parse one entry of the native protocol; returns the number of fields, fails the test on any
 * byte out of place. */
static unsigned parse(const char *b, size_t n, struct field *out, unsigned cap)
{
    unsigned k = 0;
    size_t i = 0;
    while (i < n) {
        CHECK(k < cap, "more than %u fields", cap);
        size_t j = i;
        while (j < n && b[j] != '=' && b[j] != '\n')
            j++;
        CHECK(j < n && j > i && j - i < sizeof out[k].name, "field name at byte %zu", i);
        struct field *f = &out[k++];
        memcpy(f->name, b + i, j - i);
        f->name[j - i] = 0;
        for (const char *c = f->name; *c; c++)
            CHECK((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_',
                  "field name '%s' is not journald's", f->name);
        if (b[j] == '=') {
            const char *nl = memchr(b + j + 1, '\n', n - j - 1);
            CHECK(nl, "field %s not ended by a newline", f->name);
            f->value = b + j + 1;
            f->len = (size_t)(nl - f->value);
            f->length_form = 0;
            i = (size_t)(nl - b) + 1;
        } else {
            uint64_t le;
            CHECK(j + 1 + 8 <= n, "field %s: no length", f->name);
            memcpy(&le, b + j + 1, 8);
            f->len = (size_t)le64toh(le);
            f->value = b + j + 9;
            CHECK(j + 9 + f->len + 1 <= n && b[j + 9 + f->len] == '\n',
                  "field %s: %zu bytes and a newline do not fit", f->name, f->len);
            f->length_form = 1;
            i = j + 9 + f->len + 1;
        }
    }
    return k;
}

static const struct field *get(const struct field *f, unsigned n, const char *name)
{
    for (unsigned i = 0; i < n; i++)
        if (!strcmp(f[i].name, name))
            return &f[i];
    return NULL;
}

static void expect(const struct field *f, unsigned n, const char *name, const char *value)
{
    const struct field *x = get(f, n, name);
    CHECK(x, "no field %s", name);
    CHECK(x->len == strlen(value) && !memcmp(x->value, value, x->len), "%s is '%.*s', want '%s'",
          name, (int)x->len, x->value, value);
}

/* The next entry on socket s: a datagram, or (an empty one) the memfd it carries. *memfd tells. */
static char *receive(int s, size_t *len, int *memfd)
{
    static char buf[1 << 20];
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = {buf, sizeof buf};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
    ssize_t r = recvmsg(s, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    CHECK(r >= 0, "nothing received: %s", strerror(errno));
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    *memfd = 0;
    if (!c) {
        *len = (size_t)r;
        char *copy = malloc(*len + 1);
        memcpy(copy, buf, *len);
        return copy;
    }
    CHECK(r == 0, "a descriptor came with %zd bytes of datagram", r);
    CHECK(c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS, "not SCM_RIGHTS");
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    int seals = fcntl(fd, F_GET_SEALS);
    int want = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
    CHECK(seals >= 0 && (seals & want) == want, "the memfd is not sealed (seals %#x)", seals);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode), "not a regular file");
    char *data = malloc((size_t)st.st_size + 1);
    CHECK(pread(fd, data, (size_t)st.st_size, 0) == st.st_size, "memfd short");
    close(fd);
    *len = (size_t)st.st_size;
    *memfd = 1;
    return data;
}

static char dir[] = "/tmp/pt-alert-journal-XXXXXX", path[64];

static void cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    char missing[160];
    CHECK(mkdtemp(dir), "mkdtemp");
    alert_test_on_fail = cleanup;
    snprintf(path, sizeof path, "%s/socket", dir);
    snprintf(missing, sizeof missing, "%s/no-journald-here", dir);
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    CHECK(bind(s, (struct sockaddr *)&sa, sizeof sa) == 0, "bind %s: %s", path, strerror(errno));
    CHECK(pt_alert_journal_present(path) == 1, "the socket is not seen");
    CHECK(pt_alert_journal_present(missing) == 0, "a missing socket is seen");
    CHECK(pt_alert_journal_present("/etc/passwd") == 0, "a file is taken for a socket");

    struct alert_test_log log = {0};
    struct pt_alert_opts o = {.journal = 1,
                              .journal_socket = path,
                              .trace_dir = "/var/lib/pt",
                              .log = alert_test_log_line,
                              .log_arg = &log};
    struct pt_alert *al;
    CHECK(pt_alert_open(&o, &al) == 0, "open");

    /* 1. A finding whose resource holds a newline: the length form for that field only. */
    const char *json = "{\"schema\":1,\"finding\":{\"rule\":\"cross-namespace-purge\"}}";
    struct pt_finding f = alert_test_finding(4711, "Event\nScript");
    CHECK(pt_alert_send(al, &f, json) == 0, "send");
    size_t len;
    int memfd;
    char *e = receive(s, &len, &memfd);
    CHECK(!memfd, "a small entry came as a memfd");
    struct field fl[64];
    unsigned n = parse(e, len, fl, 64);
    expect(fl, n, "PRIORITY", "2");
    expect(fl, n, "SYSLOG_IDENTIFIER", "proftrace");
    expect(fl, n, "MESSAGE_ID", "903e2acd45144c0fbea479fff6341eb3");
    expect(fl, n, "PROFTRACE_RULE", "cross-namespace-purge");
    expect(fl, n, "PROFTRACE_CAUSE", "session-namespace-split");
    expect(fl, n, "PROFTRACE_SEVERITY", "critical");
    expect(fl, n, "PROFTRACE_UNCERTAIN", "0");
    expect(fl, n, "PROFTRACE_RESOURCE_KIND", "profile");
    expect(fl, n, "PROFTRACE_RESOURCE", "Event\nScript");
    expect(fl, n, "PROFTRACE_RESOURCE_IDENTITY", "dev=65024 ino=4242");
    expect(fl, n, "PROFTRACE_DELETER_PID", "4711");
    expect(fl, n, "PROFTRACE_DELETER_EXE", "/usr/bin/mapiclient");
    expect(fl, n, "PROFTRACE_DELETER_CALL", "MAPIInitialize");
    expect(fl, n, "PROFTRACE_HOLDER_PID", "7");
    expect(fl, n, "PROFTRACE_HOLDER_EXE", "/usr/sbin/eventsvc");
    expect(fl, n, "PROFTRACE_VICTIM", "IMAPISession_OpenMsgStore -> 0x80004005 MAPI_E_CALL_FAILED");
    expect(fl, n, "PROFTRACE_TRACE_DIR", "/var/lib/pt");
    expect(fl, n, "PROFTRACE_FINDING", json);
    CHECK(get(fl, n, "PROFTRACE_RESOURCE")->length_form, "a value with a newline sent as NAME=");
    CHECK(!get(fl, n, "PROFTRACE_RULE")->length_form, "a plain value sent in the length form");
    static const char want_raw[] = "PROFTRACE_RESOURCE\n\x0c\0\0\0\0\0\0\0Event\nScript\n";
    CHECK(memmem(e, len, want_raw, sizeof want_raw - 1),
          "the length form's bytes are not NAME\\n<le64 12>...\\n");
    expect(fl, n, "MESSAGE",
           "cross-namespace-purge (session-namespace-split, critical): profile \"Event\\nScript\" "
           "deleted by pid 4711 (mapiclient, MAPIInitialize) while pid 7 (eventsvc) held it; "
           "then IMAPISession_OpenMsgStore -> 0x80004005 MAPI_E_CALL_FAILED; trace /var/lib/pt");
    free(e);

    /* 2. A hazard: told as what will happen, with the severity's priority. */
    struct pt_finding h = alert_test_finding(99, "Weekly");
    h.rule = "latent-purge-hazard";
    h.severity = "high";
    h.hazard = 1;
    h.victim[0] = 0;
    CHECK(pt_alert_send(al, &h, "{}") == 0, "send a hazard");
    e = receive(s, &len, &memfd);
    n = parse(e, len, fl, 64);
    expect(fl, n, "PRIORITY", "3");
    expect(fl, n, "MESSAGE",
           "latent-purge-hazard (session-namespace-split, high): profile \"Weekly\" held by pid 7 "
           "(eventsvc) will be deleted by the next MAPIInitialize of pid 99 (mapiclient); trace "
           "/var/lib/pt");
    CHECK(!get(fl, n, "PROFTRACE_VICTIM"), "a hazard with a victim field");
    free(e);

    /* 3. An entry larger than any datagram: a sealed memfd, the same protocol inside. */
    size_t big = 3u << 20;
    char *bj = malloc(big + 1);
    memset(bj, 'x', big);
    bj[0] = '{', bj[big - 1] = '}', bj[big] = 0;
    CHECK(pt_alert_send(al, &f, bj) == 0, "send 3 MiB");
    e = receive(s, &len, &memfd);
    CHECK(memfd, "a 3 MiB entry did not come as a memfd");
    n = parse(e, len, fl, 64);
    expect(fl, n, "PROFTRACE_FINDING", bj);
    expect(fl, n, "PROFTRACE_RESOURCE", "Event\nScript");
    free(e);
    free(bj);

    /* 4. journald stalled (nobody reads the socket): the queue fills, and a send then returns
     * -EAGAIN at once and says so; it never waits. */
    int rc = 0;
    unsigned sent = 0;
    while (sent < 100000 && (rc = pt_alert_send(al, &f, json)) == 0)
        sent++;
    CHECK(rc == -EAGAIN, "after %u entries unread, send returned %d, want -EAGAIN", sent, rc);
    CHECK(alert_test_logged(&log, "journald is not taking entries now"), "the full queue not said");
    struct pt_alert_stats st;
    pt_alert_stats(al, &st);
    CHECK(st.journal_failed == 1 && st.journal_sent == 3 + sent, "stats: %llu sent, %llu failed",
          (unsigned long long)st.journal_sent, (unsigned long long)st.journal_failed);
    pt_alert_close(al);

    /* 5. No journald at all: -ENOENT, said with the path. */
    o.journal_socket = missing;
    log.n = 0;
    CHECK(pt_alert_open(&o, &al) == 0, "open");
    CHECK(pt_alert_send(al, &f, json) == -ENOENT, "send to no socket");
    CHECK(alert_test_logged(&log, "no-journald-here: No such file or directory"), "not said");
    pt_alert_close(al);

    close(s);
    cleanup();
    printf("ok: native protocol, length form, memfd for %zu bytes, full queue after %u entries "
           "and a missing socket never waited on\n",
           big, sent);
    return 0;
}

/* alert_tool_send.c — sends one finding made by hand to the journal at the default socket, as
 * collect would: `alert_tool_send BYTES RESOURCE` with a JSON document of BYTES bytes (an entry
 * larger than a datagram takes the memfd way). Exit 0 when journald took it. */
#include <errno.h>
#include <unistd.h>

#include "tests/unit/alert_test.h"

int main(int argc, char **argv)
{
    CHECK(argc == 3, "usage: alert_tool_send BYTES RESOURCE");
    size_t n = strtoul(argv[1], NULL, 10);
    CHECK(n >= 16, "BYTES at least 16");
    char *json = malloc(n + 1);
    memset(json, 'z', n);
    memcpy(json, "{\"big\":\"", 8);
    memcpy(json + n - 2, "\"}", 2);
    json[n] = 0;
    struct alert_test_log log = {0};
    struct pt_alert_opts o = {.journal = 1,
                              .trace_dir = "/var/lib/proftrace/trace",
                              .log = alert_test_log_line,
                              .log_arg = &log};
    struct pt_alert *al;
    CHECK(pt_alert_open(&o, &al) == 0, "open");
    struct pt_finding f = alert_test_finding((unsigned)getpid(), argv[2]);
    int rc = pt_alert_send(al, &f, json);
    CHECK(rc == 0, "send: %s", strerror(-rc));
    pt_alert_close(al);
    free(json);
    return 0;
}

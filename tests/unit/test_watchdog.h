/* test_watchdog.h — a unit test that hangs ends itself, saying so: t_watchdog(what, seconds) arms
 * an alarm whose handler writes "<what> still running after <seconds> s (hang)" and exits 1. The
 * message is made when armed, so that the handler only writes (async-signal-safe). */
#ifndef PT_TESTS_TEST_WATCHDOG_H
#define PT_TESTS_TEST_WATCHDOG_H

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static char t_watchdog_msg[256];
static int t_watchdog_len;

static void t_watchdog_fire(int sig)
{
    (void)sig;
    ssize_t w = write(2, t_watchdog_msg, (size_t)t_watchdog_len);
    (void)w;
    _exit(1);
}

static inline void t_watchdog(const char *what, unsigned seconds)
{
    t_watchdog_len = snprintf(t_watchdog_msg, sizeof t_watchdog_msg,
                              "%s still running after %u s (hang)\n", what, seconds);
    if (t_watchdog_len >= (int)sizeof t_watchdog_msg)
        t_watchdog_len = (int)sizeof t_watchdog_msg - 1;
    signal(SIGALRM, t_watchdog_fire);
    alarm(seconds);
}

#endif

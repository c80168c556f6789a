/* analyzer_announced.c — the keys of the findings a collection announced, kept in the trace
 * directory (analyzer/announced.h): read back in order; a file not there is none; a line cut short
 * (a collector killed while it wrote it) is no key, and is cut off before the next key, never
 * joined to it; a file whose header was cut short is empty; a file that is not one of ours is
 * refused by both, and left as it is. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/announced.h"

static int failures;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static char dir[] = "/tmp/pt-announced-XXXXXX";
static char path[256];
static char got[1024]; /* the keys read, each followed by ';' */

static int collect(void *arg, const char *key)
{
    (void)arg;
    strncat(got, key, sizeof got - strlen(got) - 2);
    strcat(got, ";");
    return 0;
}

/* Read the file: its result, and the keys into got. */
static int read_keys(void)
{
    got[0] = 0;
    return pt__announced_read(dir, collect, NULL);
}

/* Replace the file with these bytes. */
static void put(const char *bytes)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(fd >= 0 && write(fd, bytes, strlen(bytes)) == (ssize_t)strlen(bytes));
    if (fd >= 0)
        close(fd);
}

/* The file's bytes. */
static const char *contents(void)
{
    static char buf[1024];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    buf[n > 0 ? n : 0] = 0;
    if (fd >= 0)
        close(fd);
    return buf;
}

int main(void)
{
    if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;
    snprintf(path, sizeof path, "%s/" PT__ANNOUNCED_FILE, dir);

    CHECK(read_keys() == 0 && !strcmp(got, "")); /* none yet */
    CHECK(pt__announced_add(dir, "deleted-while-held|42|1000") == 0);
    CHECK(pt__announced_add(dir, "deleted-while-held|42|1000|victim") == 0);
    CHECK(read_keys() == 0 &&
          !strcmp(got, "deleted-while-held|42|1000;deleted-while-held|42|1000|victim;"));
    CHECK(!strcmp(contents(), "proftrace-announced 1\ndeleted-while-held|42|1000\n"
                              "deleted-while-held|42|1000|victim\n"));

    /* killed while it wrote a key */
    put("proftrace-announced 1\nfirst\ncut-sh");
    CHECK(read_keys() == 0 && !strcmp(got, "first;"));
    CHECK(pt__announced_add(dir, "next") == 0);
    CHECK(read_keys() == 0 && !strcmp(got, "first;next;"));
    put("proftrace-annou"); /* while it wrote the header */
    CHECK(read_keys() == 0 && !strcmp(got, ""));
    CHECK(pt__announced_add(dir, "k") == 0);
    CHECK(read_keys() == 0 && !strcmp(got, "k;"));
    put(""); /* made, nothing written */
    CHECK(read_keys() == 0 && !strcmp(got, ""));

    /* not ours */
    put("something else\nk\n");
    CHECK(read_keys() == -EPROTO && !strcmp(got, ""));
    CHECK(pt__announced_add(dir, "k2") == -EPROTO);
    CHECK(!strcmp(contents(), "something else\nk\n"));
    put("x");
    CHECK(pt__announced_add(dir, "k2") == -EPROTO && !strcmp(contents(), "x"));
    CHECK(pt__announced_add(dir, "two\nlines") == -EINVAL);

    unlink(path);
    rmdir(dir);
    return failures ? 1 : 0;
}

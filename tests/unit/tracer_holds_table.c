/* tracer_holds_table.c — the holds table's own rules (tracer/holds_table.c), on real files:
 * (1) opening refuses a link, a FIFO, a hard link, another size, another user's file, and another
 *     user's table writable by others; narrows this user's own wider table;
 * (2) a header and entries damaged through a second mapping (what another process of the user
 *     could do) never move an access out of the layout: adds, lookups and withdrawals go on with
 *     the built-in sizes, a forged owner index is ignored, a name without its NUL is cut;
 * (3) the doorbell: rung once when the witness waits, taken by one shim only, never for a device
 *     the witness watches already, never when it does not wait;
 * (4) table names: ".holds.<uid>" and nothing else. */
#include "tests/unit/tracer_test.h" /* first: _GNU_SOURCE */

#include <errno.h>
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tracer/holds_table.h"

static char *dir;
static int dfd;

static int open_as(uint32_t uid, int flags, char *why)
{
    return pt__htab_open(dfd, uid, flags, why, 256);
}

static void file(const char *name, mode_t mode, off_t size, uid_t owner)
{
    int fd = openat(dfd, name, O_CREAT | O_WRONLY | O_TRUNC, mode);
    CHECK(fd >= 0 && ftruncate(fd, size) == 0 && fchown(fd, owner, (gid_t)-1) == 0 &&
              fchmod(fd, mode) == 0,
          "make %s", name);
    close(fd);
}

static void test_open(void)
{
    char why[256];
    uint32_t me = (uint32_t)geteuid();
    char name[32];
    snprintf(name, sizeof name, PT__HOLDS_PREFIX "%u", me);

    CHECK(symlinkat("/etc/passwd", dfd, name) == 0, "symlink");
    int rc = open_as(me, PT__HT_CREATE, why);
    CHECK(rc == -ELOOP, "a link: %d (%s)", rc, why);
    unlinkat(dfd, name, 0);

    CHECK(mkfifoat(dfd, name, 0600) == 0, "fifo");
    rc = open_as(me, PT__HT_CREATE, why);
    CHECK(rc == -EINVAL && strstr(why, "not a regular file"), "a FIFO: %d (%s)", rc, why);
    unlinkat(dfd, name, 0);

    file("other", 0600, (off_t)PT__HOLDS_FILE_SIZE, me);
    CHECK(linkat(dfd, "other", dfd, name, 0) == 0, "hard link");
    rc = open_as(me, PT__HT_CREATE, why);
    CHECK(rc == -EPERM && strstr(why, "links"), "a hard link: %d (%s)", rc, why);
    unlinkat(dfd, name, 0);
    unlinkat(dfd, "other", 0);

    file(name, 0600, 4096, me);
    rc = open_as(me, PT__HT_CREATE, why);
    CHECK(rc == -EPROTO && strstr(why, "bytes"), "another size: %d (%s)", rc, why);
    unlinkat(dfd, name, 0);

    file(name, 0666, (off_t)PT__HOLDS_FILE_SIZE, 65534);
    rc = open_as(me, PT__HT_CREATE, why);
    CHECK(rc == -EPERM && strstr(why, "owned by uid 65534"), "planted: %d (%s)", rc, why);
    rc = open_as(me, PT__HT_CREATE | PT__HT_REPLACE, why); /* the owner of the directory may */
    CHECK(rc >= 0, "planted, replaced: %d (%s)", rc, why);
    struct stat st;
    CHECK(rc >= 0 && fstat(rc, &st) == 0 && st.st_uid == me && (st.st_mode & 077) == 0 &&
              (uint64_t)st.st_size == PT__HOLDS_FILE_SIZE,
          "the new table: uid %u mode %o size %lld", (unsigned)st.st_uid,
          (unsigned)(st.st_mode & 07777), (long long)st.st_size);
    if (rc >= 0)
        close(rc);

    char other[32];
    snprintf(other, sizeof other, PT__HOLDS_PREFIX "65534");
    file(other, 0666, (off_t)PT__HOLDS_FILE_SIZE, 65534);
    rc = open_as(65534, 0, why);
    CHECK(rc == -EPERM && strstr(why, "writable by other users"), "another's wide table: %d (%s)",
          rc, why);
    fchmodat(dfd, other, 0600, 0);
    rc = open_as(65534, 0, why);
    CHECK(rc >= 0, "another's table, closed: %d (%s)", rc, why);
    if (rc >= 0)
        close(rc);

    fchmodat(dfd, name, 0666, 0);
    rc = open_as(me, 0, why);
    CHECK(rc >= 0 && fstat(rc, &st) == 0 && (st.st_mode & 022) == 0,
          "own wide table narrowed: %d mode %o", rc, (unsigned)(st.st_mode & 07777));
    if (rc >= 0)
        close(rc);
}

static void test_damage(void)
{
    char why[256];
    uint32_t me = (uint32_t)geteuid();
    struct pt__htab a, b;
    int fd = open_as(me, PT__HT_CREATE, why);
    CHECK(fd >= 0 && pt__htab_map(&a, fd, me) == 0, "map: %s", why);
    int fd2 = open_as(me, 0, why);
    CHECK(fd2 >= 0 && pt__htab_map(&b, fd2, me) == 0, "second map");
    CHECK(pt__htab_claim(&a, (uint32_t)getpid(), 0) == 0, "claim");
    /* a second owner: a child process keeps a slot (POSIX locks are per process) */
    int go[2], ready[2];
    CHECK(pipe(go) == 0 && pipe(ready) == 0, "pipe");
    pid_t child = fork();
    if (child == 0) {
        struct pt__hold h = {.dev = 7, .ino = 42, .kind = PT__HK_MAP, .pid = 1, .name = "x"};
        if (pt__htab_claim(&b, (uint32_t)getpid(), 0) < 0 || pt__htab_add(&b, &h) < 0)
            _exit(1);
        char c = 1;
        if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
            _exit(2);
        _exit(0);
    }
    char c;
    CHECK(read(ready[0], &c, 1) == 1, "child holds");
    /* damage every size of the header, and the entries, through the other mapping */
    b.hdr->nentries = 0;
    b.hdr->window = 0x40000000u;
    b.hdr->nowners = 0;
    b.hdr->entries_off = ~0ull;
    b.hdr->lock_off = 0;
    struct pt__holds_entry e;
    CHECK(pt__htab_find_other(&a, 7, 42, &e) == 1 && e.pid == 1, "the child's hold, damaged header");
    for (uint32_t i = 0; i < PT__HOLDS_NENTRIES; i++)
        if (b.entries[i].state == PT__HE_READY)
            memset(b.entries[i].name, 'A', sizeof b.entries[i].name); /* no NUL */
    CHECK(pt__htab_find_other(&a, 7, 42, &e) == 1 && strlen(e.name) == PT__HOLDS_NAME_MAX - 1,
          "name cut at %u", (unsigned)strlen(e.name));
    for (uint32_t i = 0; i < PT__HOLDS_NENTRIES; i++)
        if (b.entries[i].state == PT__HE_READY)
            b.entries[i].owner = 0xffffffffu; /* an owner index far out of the table */
    CHECK(pt__htab_find_other(&a, 7, 42, &e) == 0, "forged owner taken for alive");
    /* our own adds and withdrawals go on, whatever the header says */
    int slots[200];
    for (int i = 0; i < 200; i++) {
        struct pt__hold h = {.dev = 9, .ino = 1000u + (uint64_t)i, .kind = PT__HK_KEY, .pid = 2};
        slots[i] = pt__htab_add(&a, &h);
        CHECK(slots[i] >= 0 && slots[i] < (int)PT__HOLDS_NENTRIES, "add %d: %d", i, slots[i]);
        pt__htab_ring(&a, 9);
    }
    for (int i = 0; i < 200; i++)
        if (slots[i] >= 0)
            pt__htab_remove(&a, (uint32_t)slots[i]);
    pt__htab_remove(&a, 0xffffffffu); /* out of range: ignored */
    for (int i = 0; i < 200; i++)
        CHECK(slots[i] < 0 || a.entries[slots[i]].state == PT__HE_FREE, "withdrawn %d", i);
    c = 1;
    CHECK(write(go[1], &c, 1) == 1, "go");
    int st;
    CHECK(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %x", st);
    /* a header that is not this layout is never mapped again */
    char w2[256];
    CHECK(pt__htab_check_hdr(a.hdr, me, w2, sizeof w2) == -EPROTO, "damaged header accepted");
    int fd3 = open_as(me, 0, why);
    struct pt__htab d;
    CHECK(fd3 >= 0 && pt__htab_map(&d, fd3, me) == -EPROTO, "remapped a damaged table");
    if (fd3 >= 0)
        close(fd3);
    pt__htab_close(&a);
    pt__htab_close(&b);
}

static int bells(int ifd)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    int n = 0;
    ssize_t len;
    while ((len = read(ifd, buf, sizeof buf)) > 0)
        for (char *p = buf; p < buf + len; p += sizeof(struct inotify_event) +
                                                  ((struct inotify_event *)p)->len)
            n += (((struct inotify_event *)p)->mask & IN_MODIFY) != 0;
    return n;
}

static void test_doorbell(void)
{
    char why[256], name[32];
    uint32_t me = (uint32_t)geteuid();
    snprintf(name, sizeof name, PT__HOLDS_PREFIX "%u", me);
    unlinkat(dfd, name, 0);
    struct pt__htab a;
    int fd = open_as(me, PT__HT_CREATE, why);
    CHECK(fd >= 0 && pt__htab_map(&a, fd, me) == 0 && pt__htab_claim(&a, 1, 0) == 0, "table");
    int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    CHECK(ifd >= 0 && inotify_add_watch(ifd, dir, IN_MODIFY) >= 0, "inotify");
    struct pt__hold h = {.dev = 5, .ino = 1, .kind = PT__HK_MAP};
    pt__htab_add(&a, &h);
    pt__htab_ring(&a, 5);
    CHECK(bells(ifd) == 0 && a.hdr->seq == 1, "rang with no witness waiting");
    a.hdr->waiting = 1;
    a.covered[3] = 5;
    h.ino = 2;
    pt__htab_add(&a, &h);
    pt__htab_ring(&a, 5);
    CHECK(bells(ifd) == 0 && a.hdr->waiting == 1, "rang for a device watched already");
    h.dev = 6;
    pt__htab_add(&a, &h);
    pt__htab_ring(&a, 6);
    CHECK(bells(ifd) == 1 && a.hdr->waiting == 0, "did not ring for a new device");
    h.ino = 3;
    pt__htab_add(&a, &h);
    pt__htab_ring(&a, 6);
    CHECK(bells(ifd) == 0 && a.hdr->seq == 4, "rang twice before the witness waited again");
    close(ifd);
    pt__htab_close(&a);
}

static void test_names(void)
{
    uint32_t u = 7;
    CHECK(pt__htab_name_uid(".holds.0", &u) && u == 0, ".holds.0");
    CHECK(pt__htab_name_uid(".holds.65534", &u) && u == 65534, ".holds.65534");
    const char *bad[] = {".holds", ".holds.", ".holds.00", ".holds.1a", ".holds.-1",
                         ".holds.4294967295", ".holds.99999999999", "holds.0", ".holds.0.ring"};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(!pt__htab_name_uid(bad[i], &u), "%s taken for a table", bad[i]);
}

int main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "tracer_holds_table: needs root (files of another user)\n");
        return 1;
    }
    dir = t_mkdtemp("holds-table");
    dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHECK(dfd >= 0, "open %s", dir);
    test_open();
    test_damage();
    test_doorbell();
    test_names();
    close(dfd);
    t_rmrf(dir);
    free(dir);
    return t_failures ? 1 : 0;
}

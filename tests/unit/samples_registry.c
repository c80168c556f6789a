/* samples_registry.c — libwinsim registry: keys, values, enumeration, deletion, and
 * ERROR_KEY_DELETED on a handle held here after ANOTHER process deleted the key. */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <windows.h>

#include "tests/unit/samples_test.h"

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_) {                                                                            \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a,    \
                    a_, #b, b_);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static void test_keys_and_values(void)
{
    HKEY a, again, missing;
    DWORD disp = 0, type = 0, size;
    char buf[64];

    CHECK_EQ(RegCreateKeyExA(HKEY_CURRENT_USER, "Software\\Test\\A", 0, NULL, 0, KEY_ALL_ACCESS,
                             NULL, &a, &disp),
             ERROR_SUCCESS);
    CHECK_EQ(disp, REG_CREATED_NEW_KEY);
    CHECK_EQ(RegCreateKeyExA(HKEY_CURRENT_USER, "Software\\Test\\A", 0, NULL, 0, KEY_ALL_ACCESS,
                             NULL, &again, &disp),
             ERROR_SUCCESS);
    CHECK_EQ(disp, REG_OPENED_EXISTING_KEY);
    CHECK_EQ(RegCloseKey(again), ERROR_SUCCESS);

    CHECK_EQ(RegSetValueExA(a, "001e6614", 0, REG_SZ, (const BYTE *)"Mailbox - A", 12),
             ERROR_SUCCESS);
    size = 0;
    CHECK_EQ(RegQueryValueExA(a, "001e6614", NULL, &type, NULL, &size), ERROR_SUCCESS);
    CHECK_EQ(size, 12);
    CHECK_EQ(type, REG_SZ);
    size = 4;
    CHECK_EQ(RegQueryValueExA(a, "001e6614", NULL, NULL, (LPBYTE)buf, &size), ERROR_MORE_DATA);
    CHECK_EQ(size, 12);
    size = sizeof(buf);
    CHECK_EQ(RegQueryValueExA(a, "001e6614", NULL, &type, (LPBYTE)buf, &size), ERROR_SUCCESS);
    CHECK(strcmp(buf, "Mailbox - A") == 0);
    size = sizeof(buf);
    CHECK_EQ(RegQueryValueExA(a, "nope", NULL, NULL, (LPBYTE)buf, &size), ERROR_FILE_NOT_FOUND);

    CHECK_EQ(RegOpenKeyExA(HKEY_CURRENT_USER, "Software\\Test\\Missing", 0, KEY_READ, &missing),
             ERROR_FILE_NOT_FOUND);
    CHECK_EQ(RegOpenKeyExA(HKEY_CURRENT_USER, "Software\\\\Test", 0, KEY_READ, &missing),
             ERROR_BAD_PATHNAME);
    CHECK_EQ(RegOpenKeyExA(HKEY_CURRENT_USER, "Software\\..\\..", 0, KEY_READ, &missing),
             ERROR_BAD_PATHNAME);
    CHECK_EQ(RegCloseKey(a), ERROR_SUCCESS);
}

static void test_enum_and_delete(void)
{
    HKEY test, k;
    char name[16];
    DWORD cch;

    CHECK_EQ(RegCreateKeyExA(HKEY_CURRENT_USER, "Software\\Test", 0, NULL, 0, KEY_ALL_ACCESS, NULL,
                             &test, NULL),
             ERROR_SUCCESS);
    /* Created out of order, enumerated sorted. */
    CHECK_EQ(RegCreateKeyExA(test, "C", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL), ERROR_SUCCESS);
    RegCloseKey(k);
    CHECK_EQ(RegCreateKeyExA(test, "B\\Deep", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL),
             ERROR_SUCCESS);
    CHECK_EQ(RegSetValueExA(k, "v", 0, REG_DWORD, (const BYTE *)&cch, sizeof(cch)), ERROR_SUCCESS);
    RegCloseKey(k);
    CHECK_EQ(RegSetValueExA(test, "value", 0, REG_SZ, (const BYTE *)"x", 2), ERROR_SUCCESS);

    const char *expect[] = {"A", "B", "C"};
    for (DWORD i = 0; i < 3; i++) {
        cch = sizeof(name);
        CHECK_EQ(RegEnumKeyExA(test, i, name, &cch, NULL, NULL, NULL, NULL), ERROR_SUCCESS);
        CHECK(strcmp(name, expect[i]) == 0);
        CHECK_EQ(cch, 1);
    }
    cch = sizeof(name);
    CHECK_EQ(RegEnumKeyExA(test, 3, name, &cch, NULL, NULL, NULL, NULL), ERROR_NO_MORE_ITEMS);
    cch = 1;
    CHECK_EQ(RegEnumKeyExA(test, 0, name, &cch, NULL, NULL, NULL, NULL), ERROR_MORE_DATA);

    /* RegDeleteKey refuses a key with subkeys and leaves it whole. */
    CHECK_EQ(RegDeleteKeyA(test, "B"), ERROR_ACCESS_DENIED);
    CHECK_EQ(RegOpenKeyExA(test, "B\\Deep", 0, KEY_READ, &k), ERROR_SUCCESS);
    RegCloseKey(k);
    CHECK_EQ(RegDeleteKeyA(test, "C"), ERROR_SUCCESS);
    CHECK_EQ(RegOpenKeyExA(test, "C", 0, KEY_READ, &k), ERROR_FILE_NOT_FOUND);
    CHECK_EQ(RegDeleteTreeA(test, "B"), ERROR_SUCCESS);
    CHECK_EQ(RegOpenKeyExA(test, "B", 0, KEY_READ, &k), ERROR_FILE_NOT_FOUND);
    CHECK_EQ(RegDeleteKeyA(test, "B"), ERROR_FILE_NOT_FOUND);
    CHECK_EQ(RegCloseKey(test), ERROR_SUCCESS);
}

/* The seed's failure: a handle kept open here, the key deleted by another process. */
static void test_key_deleted_by_other_process(void)
{
    HKEY held, sub;
    DWORD size;
    char buf[32];
    int status;
    pid_t pid;

    CHECK_EQ(RegOpenKeyExA(HKEY_CURRENT_USER, "Software\\Test\\A", 0, KEY_READ, &held),
             ERROR_SUCCESS);
    size = sizeof(buf);
    CHECK_EQ(RegQueryValueExA(held, "001e6614", NULL, NULL, (LPBYTE)buf, &size), ERROR_SUCCESS);

    pid = fork();
    if (pid == 0) {
        HKEY test;
        LONG rc = RegOpenKeyExA(HKEY_CURRENT_USER, "Software\\Test", 0, KEY_ALL_ACCESS, &test);
        if (rc == ERROR_SUCCESS)
            rc = RegDeleteTreeA(test, "A");
        _exit(rc == ERROR_SUCCESS ? 0 : 1);
    }
    CHECK(pid > 0);
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);

    size = sizeof(buf);
    CHECK_EQ(RegQueryValueExA(held, "001e6614", NULL, NULL, (LPBYTE)buf, &size), ERROR_KEY_DELETED);
    CHECK_EQ(RegSetValueExA(held, "x", 0, REG_SZ, (const BYTE *)"x", 2), ERROR_KEY_DELETED);
    CHECK_EQ(RegCreateKeyExA(held, "sub", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &sub, NULL),
             ERROR_KEY_DELETED);
    CHECK_EQ(RegOpenKeyExA(held, NULL, 0, KEY_READ, &sub), ERROR_KEY_DELETED);
    size = sizeof(buf);
    CHECK_EQ(RegEnumKeyExA(held, 0, buf, &size, NULL, NULL, NULL, NULL), ERROR_KEY_DELETED);
    CHECK_EQ(RegDeleteTreeA(held, NULL), ERROR_KEY_DELETED);
    CHECK_EQ(RegCloseKey(held), ERROR_SUCCESS);
    /* A recreated key of the same name is a different key: the old handle stays deleted. */
    CHECK_EQ(RegOpenKeyExA(HKEY_CURRENT_USER, "Software\\Test\\A", 0, KEY_READ, &sub),
             ERROR_FILE_NOT_FOUND);
}

static void test_hive_location(const char *root)
{
    char path[4200];
    struct stat st;

    snprintf(path, sizeof(path), "%s/S-1-5-21-%u/Software/Test", root, (unsigned)getuid());
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK_EQ(RegCloseKey(HKEY_CURRENT_USER), ERROR_SUCCESS);
    CHECK_EQ(RegCloseKey((HKEY)(uintptr_t)987654), ERROR_INVALID_HANDLE);
}

int main(void)
{
    char root[] = "/tmp/samples_registry.XXXXXX";

    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    setenv("WINSIM_HIVE_ROOT", root, 1);
    test_keys_and_values();
    test_enum_and_delete();
    test_key_deleted_by_other_process();
    test_hive_location(root);
    nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    if (failures)
        fprintf(stderr, "samples_registry: %d check(s) failed\n", failures);
    return failures ? 1 : 0;
}

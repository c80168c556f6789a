/* profiles.c — profiles in the registry: the Profiles key, marks for deletion, and the purge
 * itself (RegDeleteTreeA of the profile, then RegDeleteKeyA of its mark). */
#include <string.h>

#include "samples/mapi/mapisim.h"

LONG mapisim__open_profiles(HKEY *profiles)
{
    return RegCreateKeyExA(HKEY_CURRENT_USER, MAPISIM_PROFILES_PATH, 0, NULL,
                           REG_OPTION_NON_VOLATILE, KEY_ALL_ACCESS, NULL, profiles, NULL);
}

int mapisim__valid_profile_name(const char *name)
{
    size_t len = name ? strlen(name) : 0;

    return len > 0 && len < MAPISIM_PROFILE_MAX && !strchr(name, '\\') && !strchr(name, '/') &&
           strncmp(name, MAPISIM_MARKS_KEY, strlen(MAPISIM_MARKS_KEY)) != 0 && strcmp(name, ".") &&
           strcmp(name, "..");
}

static LONG mark_path(const char *marks_key, const char *name, char *out, size_t size)
{
    size_t need = strlen(marks_key) + 1 + strlen(name) + 1;

    if (need > size)
        return ERROR_BAD_PATHNAME;
    strcpy(out, marks_key);
    strcat(out, "\\");
    strcat(out, name);
    return ERROR_SUCCESS;
}

int mapisim__is_marked(HKEY profiles, const char *marks_key, const char *name)
{
    char path[256];
    HKEY mark;

    if (mark_path(marks_key, name, path, sizeof(path)) != ERROR_SUCCESS)
        return 0;
    if (RegOpenKeyExA(profiles, path, 0, KEY_READ, &mark) != ERROR_SUCCESS)
        return 0;
    RegCloseKey(mark);
    return 1;
}

LONG mapisim__mark(HKEY profiles, const char *marks_key, const char *name)
{
    char path[256];
    HKEY mark;
    LONG rc = mark_path(marks_key, name, path, sizeof(path));

    if (rc == ERROR_SUCCESS)
        rc = RegCreateKeyExA(profiles, path, 0, NULL, REG_OPTION_NON_VOLATILE, KEY_ALL_ACCESS, NULL,
                             &mark, NULL);
    if (rc == ERROR_SUCCESS)
        RegCloseKey(mark);
    return rc;
}

LONG mapisim__purge(HKEY profiles, const char *marks_key, const char *name)
{
    HKEY marks;
    LONG rc;

    rc = RegDeleteTreeA(profiles, name);
    if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
        return rc;
    if (RegOpenKeyExA(profiles, marks_key, 0, KEY_ALL_ACCESS, &marks) != ERROR_SUCCESS)
        return ERROR_SUCCESS; /* never marked */
    rc = RegDeleteKeyA(marks, name);
    RegCloseKey(marks);
    return rc == ERROR_FILE_NOT_FOUND ? ERROR_SUCCESS : rc;
}

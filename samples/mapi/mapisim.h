/* mapisim.h — internals shared by the files of libmapisim (not part of its public API). */
#ifndef MAPISIM_INTERNAL_H
#define MAPISIM_INTERNAL_H

#include <stdint.h>
#include <sys/types.h>
#include <mapix.h>

#define MAPISIM_PROFILES_PATH                                                                      \
    "Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows Messaging Subsystem\\Profiles"
#define MAPISIM_MARKS_KEY "Deleted Profiles"
#define MAPISIM_VALUE_DISPLAY_NAME "001e3001" /* PR_DISPLAY_NAME_A of the profile */
#define MAPISIM_VALUE_STORE "001e6614"        /* display name of the profile's message store */
#define MAPISIM_PROFILE_MAX 128               /* longest profile name, with its NUL */

/* How this process sees the profile subsystem, fixed by its first MAPIInitialize: the account
 * (SID of the effective user then), the in-use mapping it shares with processes of the same view,
 * and the key under Profiles where it marks profiles for deletion. */
struct mapisim_view {
    char sid[32];        /* S-1-5-21-<euid> */
    char inuse_name[96]; /* Local\MAPISIM_InUse_<SID>, or Global\... with MAPISIM_FIXES=global */
    char marks_key[40];  /* "Deleted Profiles", or + " XXXXXXXX" (CRC-32 of SID) with fixes=sid */
};

/* view.c: computes the view of the calling thread from MAPISIM_FIXES and geteuid().
 * Returns 0, or -EINVAL for an unknown MAPISIM_FIXES. */
int mapisim__view_init(struct mapisim_view *view);
uint32_t mapisim__crc32(const void *data, size_t len);

/* init.c: the view of this process, or NULL before MAPIInitialize / after MAPIUninitialize. */
const struct mapisim_view *mapisim__view(void);

/* proc.c: the start time (clock ticks after boot) of a live process; -ESRCH if it does not
 * exist or has exited (a zombie has exited, even before its parent reaps it). */
int mapisim__proc_start(pid_t pid, unsigned long long *start);

/* inuse.c: the in-use list, a table of (profile, pid, start time, references) in a named file
 * mapping guarded by a process-shared robust mutex. open/close at the first MAPIInitialize and
 * the last MAPIUninitialize; every other call needs the lock, which also drops the entries of
 * processes that have exited. Return 0 or a negative errno. */
int mapisim__inuse_open(const char *mapping_name);
void mapisim__inuse_close(void);
int mapisim__inuse_lock(void);
void mapisim__inuse_unlock(void);
int mapisim__inuse_add(const char *profile);
int mapisim__inuse_remove(const char *profile);     /* one reference of this process */
unsigned mapisim__inuse_count(const char *profile); /* references of live processes */

/* profiles.c: the profile keys in the registry. */
LONG mapisim__open_profiles(HKEY *profiles);
int mapisim__is_marked(HKEY profiles, const char *marks_key, const char *name);
LONG mapisim__mark(HKEY profiles, const char *marks_key, const char *name);
LONG mapisim__purge(HKEY profiles, const char *marks_key, const char *name);
int mapisim__valid_profile_name(const char *name);

/* sweep.c: T3, deletes every marked profile the in-use list does not show. */
HRESULT mapisim__sweep(const struct mapisim_view *view);

/* session.c: a session on a logged-on profile; takes ownership of the profile key handle. */
HRESULT mapisim__new_session(const char *profile, HKEY profile_key, LPMAPISESSION *out);

/* msgstore.c, table.c: objects handed out by sessions and profile administration. */
HRESULT mapisim__new_msgstore(const char *display_name, LPMDB *out);
/* Takes ownership of names (malloc'd array of malloc'd strings) on success only. */
HRESULT mapisim__new_table(char **names, ULONG count, LPMAPITABLE *out);

#endif

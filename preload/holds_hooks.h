/* holds_hooks.h — which traced calls feed the holds table, as one hook per row that needs one.
 *
 * PT__HOLD_HOOK(name) is expanded by the generated recorder of every row (wrap.h), where the
 * recorded values are locals named pt__v_<field> and `c` is the call. Rows that feed the table
 * define PT__HOLD_<name> as "~, code"; for every other row PT__HOLD_<name> is an unknown token and
 * the hook expands to nothing, so they pay nothing, not even a test. The table is not signal-safe,
 * so a hook runs with the re-entry guard up (PT__OWNED, wrap.h).
 */
#ifndef PT_PRELOAD_HOLDS_HOOKS_H
#define PT_PRELOAD_HOLDS_HOOKS_H

#include "preload/holds.h"

#define PT__HSECOND_(a, b, ...) b
#define PT__HSECOND(...) PT__HSECOND_(__VA_ARGS__)
#define PT__HOLD_HOOK(name) PT__HSECOND(PT__HOLD_##name, , )

#define PT__HOLD_open ~, PT__OWNED(pt__hold_nested_open(c->t1, pt__v_fd_dev, pt__v_fd_ino);)
#define PT__HOLD_openat ~, PT__OWNED(pt__hold_nested_open(c->t1, pt__v_fd_dev, pt__v_fd_ino);)
#define PT__HOLD_RegOpenKeyExA ~, PT__OWNED(pt__hold_key_open(c->t0, c->failed, pt__v_phkResult, pt__v_lpSubKey);)
#define PT__HOLD_RegCreateKeyExA ~, PT__OWNED(pt__hold_key_open(c->t0, c->failed, pt__v_phkResult, pt__v_lpSubKey);)
#define PT__HOLD_RegCloseKey ~, PT__OWNED(pt__hold_key_close(c->failed, pt__v_hKey);)
#define PT__HOLD_MAPILogonEx ~, PT__OWNED(pt__hold_logon(c->t0, c->failed, pt__v_lpszProfileName, pt__v_lppSession);)
#define PT__HOLD_IMAPISession_Logoff ~, PT__OWNED(pt__hold_session_end(pt__v_This, 0, 0);)
#define PT__HOLD_IMAPISession_Release ~, PT__OWNED(pt__hold_session_end(pt__v_This, 1, c->ret);)
#define PT__HOLD_mmap ~, PT__OWNED(pt__hold_mmap(c->failed, (uint64_t)c->ret, pt__v_flags, pt__v_fd_dev, pt__v_fd_ino);)
#define PT__HOLD_munmap ~, PT__OWNED(pt__hold_munmap(c->failed, pt__v_addr);)

#endif

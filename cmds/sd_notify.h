/* sd_notify.h — telling systemd a service is ready (Type=notify), without libsystemd. */
#ifndef PT_CMDS_SD_NOTIFY_H
#define PT_CMDS_SD_NOTIFY_H

/* Send `state` ("READY=1\nSTATUS=...") to the socket $NOTIFY_SOCKET names (a path, or "@name" in
 * the abstract namespace), as sd_notify(3) does. Returns 1 sent, 0 when NOTIFY_SOCKET is unset
 * (not run by systemd), or a negative errno. */
int pt__sd_notify(const char *state);

#endif

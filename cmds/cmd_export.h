/* cmd_export.h — what `proftrace report --html` borrows from `proftrace export`. */
#ifndef PT_CMDS_CMD_EXPORT_H
#define PT_CMDS_CMD_EXPORT_H

#include "analyzer/analyzer.h"

/* Read trace `dir` and write it to `outpath` ("-": standard output) as `format` ("chrome" or
 * "html"); messages start with "proftrace CMD: ". Returns the exit status (0 written, 2 usage or
 * input error); *nfindings (may be NULL) gets the number of findings. */
int pt__cmd_export_run(const char *cmd, const char *format, const char *outpath, const char *dir,
                       const struct pt_report_opts *o, unsigned *nfindings);

#endif

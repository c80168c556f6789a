/* cmd_version.c — `proftrace version` and `proftrace --version`: the version from one source. */
#include <stdio.h>

#include "cmds/commands.h"
#include "cmds/version.h"
#include "pt_version.h" /* generated at build time by cmake/version.cmake */

const char *pt__version(void)
{
    return PT_VERSION_GIT[0] ? PT_VERSION_PROJECT " (git " PT_VERSION_GIT ")" : PT_VERSION_PROJECT;
}

static const struct pt__cli_opt version_opts[] = {{0}};

static const struct pt__cli_section version_sections[] = {
    {"Exit status", "0."},
    {0},
};

const struct pt__cli_doc pt_cmd_version_doc = {
    .name = "version",
    .summary = "print the version",
    .usage = "",
    .description = "Prints the version of proftrace: its release, then, when it was built from a "
                   "git checkout, the commit as git describe names it. proftrace --version is "
                   "the same.",
    .opts = version_opts,
    .sections = version_sections,
};

int pt_cmd_version(int argc, char **argv)
{
    struct pt__cli cli;
    int c;
    pt__cli_start(&cli, &pt_cmd_version_doc, argc, argv);
    while ((c = pt__cli_next(&cli)) > 0)
        ;
    if (c < 0)
        return cli.status;
    if (cli.noperands)
        return pt__cli_usage_error(&cli, "unexpected argument '%s'", cli.operands[0]);
    printf("proftrace %s\n", pt__version());
    return fflush(stdout) ? 2 : 0;
}

/* cmd_config: `swish config`, the effective configuration, documented. */
#include <stdio.h>

#include "cli.h"
#include "cmds.h"
#include "runcfg.h"

static const cli_opt opts[] = {RUNCFG_OPTS, {"--db", "DB", "SQLite file or postgresql:// URL (overrides paths.db)", 0}};

int cmd_config(int argc, char **argv)
{
    cli_args a = {.usage = "swish config",
                  .summary = "Print the effective configuration (defaults, then the file, then SWISH_<SECTION>_<KEY>\n"
                             "environment variables, then options) in the configuration file's format, every key\n"
                             "documented; numbers are printed as the shortest text that reads back to the same\n"
                             "value.  An unknown key, in the file or as a SWISH_ environment variable, is an error.\n"
                             "Save it as a starting point: swish config > swish.conf",
                  .opts = opts,
                  .n_opts = sizeof opts / sizeof opts[0]};
    int rc = cli_parse(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    sw_config cfg;
    if ((rc = runcfg_load_unresolved(&a, &cfg))) return rc;
    sw_config_write(&cfg, stdout);
    return 0;
}

/* version: swish's release and the commit it was built from, recorded with
 * every run and model so results can be traced to the code that made them. */
#ifndef SW_VERSION_H
#define SW_VERSION_H

#define SW_VERSION "0.6.0"

/* "0.6.0+<commit>" ("0.6.0" when built outside a git checkout). */
const char *sw_version(void);

#endif

/* version: the commit comes from the Makefile (SW_COMMIT) at build time. */
#include "version.h"

#ifndef SW_COMMIT
#define SW_COMMIT ""
#endif

const char *sw_version(void) { return SW_COMMIT[0] ? SW_VERSION "+" SW_COMMIT : SW_VERSION; }

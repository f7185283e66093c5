/* fileio: whole-file reads and crash-safe writes.
 *
 * sw_write_file_atomic writes to a temporary file in the same directory,
 * fsyncs it, renames it over the target and fsyncs the directory, so a reader
 * sees either the old file or the new one, never a half-written file.
 * Ownership: sw_read_file's buffer is the caller's (sw_free).
 */
#ifndef SW_FILEIO_H
#define SW_FILEIO_H

#include <stddef.h>

#include "status.h"

/* Read a whole file; refuse files larger than max_bytes (0 = 2 GiB).  The buffer
 * gets a NUL after the data. */
int sw_read_file(const char *path, long long max_bytes, unsigned char **data, size_t *len,
                 sw_error *err);
/* Write and fsync a file in place (for files inside a directory that is
 * itself renamed into place; otherwise use sw_write_file_atomic). */
int sw_write_file(const char *path, const void *data, size_t len, sw_error *err);
int sw_write_file_atomic(const char *path, const void *data, size_t len, sw_error *err);
int sw_file_exists(const char *path);
/* mkdir -p */
int sw_mkdirs(const char *path, sw_error *err);

#endif

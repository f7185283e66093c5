/* fileio: read whole files with a size cap; write files atomically. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"

int sw_read_file(const char *path, long long max_bytes, unsigned char **data, size_t *len,
                 sw_error *err)
{
    *data = NULL;
    *len = 0;
    if (max_bytes <= 0) max_bytes = 2LL << 30;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return sw_error_set(err, SW_IO, path, 0, 0, -1, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return sw_error_set(err, SW_IO, path, 0, 0, -1, "not a regular file");
    }
    if (st.st_size > max_bytes) {
        close(fd);
        return sw_error_set(err, SW_RANGE, path, 0, 0, -1, "file is %lld bytes, more than %lld",
                            (long long)st.st_size, max_bytes);
    }
    size_t n = (size_t)st.st_size;
    unsigned char *buf = sw_malloc(n + 1);
    if (!buf) {
        close(fd);
        return sw_error_set(err, SW_NOMEM, path, 0, 0, -1, "out of memory for %zu bytes", n);
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            int e = errno;
            close(fd);
            sw_free(buf);
            return sw_error_set(err, SW_IO, path, 0, 0, (long long)got, "read failed: %s",
                                r == 0 ? "file shrank while reading" : strerror(e));
        }
        got += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    *data = buf;
    *len = n;
    return SW_OK;
}

int sw_write_file(const char *path, const void *data, size_t len, sw_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return sw_error_set(err, SW_IO, path, 0, 0, -1, "cannot create: %s", strerror(errno));
    const unsigned char *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = errno;
            close(fd);
            return sw_error_set(err, SW_IO, path, 0, 0, -1, "write failed: %s", strerror(e));
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        return sw_error_set(err, SW_IO, path, 0, 0, -1, "sync failed: %s", strerror(e));
    }
    if (close(fd) != 0) return sw_error_set(err, SW_IO, path, 0, 0, -1, "close failed: %s", strerror(errno));
    return SW_OK;
}

int sw_write_file_atomic(const char *path, const void *data, size_t len, sw_error *err)
{
    size_t pl = strlen(path);
    char *tmp = sw_malloc(pl + 32);
    char *dircopy = sw_strdup(path);
    if (!tmp || !dircopy) {
        sw_free(tmp);
        sw_free(dircopy);
        return sw_fail(err, SW_NOMEM, "out of memory");
    }
    snprintf(tmp, pl + 32, "%s.tmp.%ld", path, (long)getpid());
    int rc = sw_write_file(tmp, data, len, err);
    if (rc) {
        unlink(tmp);
        if (err) snprintf(err->file, sizeof err->file, "%s", path);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        rc = sw_error_set(err, SW_IO, path, 0, 0, -1, "rename failed: %s", strerror(errno));
        unlink(tmp);
        goto out;
    }
    int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
out:
    sw_free(tmp);
    sw_free(dircopy);
    return rc;
}

int sw_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int sw_mkdirs(const char *path, sw_error *err)
{
    char *p = sw_strdup(path);
    if (!p) return sw_fail(err, SW_NOMEM, "out of memory");
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            sw_error_set(err, SW_IO, p, 0, 0, -1, "cannot create directory: %s", strerror(e));
            sw_free(p);
            return SW_IO;
        }
        *s = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        int e = errno;
        sw_error_set(err, SW_IO, p, 0, 0, -1, "cannot create directory: %s", strerror(e));
        sw_free(p);
        return SW_IO;
    }
    sw_free(p);
    return SW_OK;
}

/* test_modelstore: the model registry on a directory and on object stores
 * (stages, rollout, history, conflicts, copies, the cache, offline serving). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/date.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "pipeline/models.h"
#include "pipeline/registry.h"
#include "testutil.h"

static int add_version(const char *store, const char *system, const char *version, const char *content, int promote)
{
    sw_manifest m;
    sw_manifest_init(&m, system);
    snprintf(m.version, sizeof m.version, "%s", version);
    snprintf(m.train_from, sizeof m.train_from, "2024-10-01");
    snprintf(m.train_to, sizeof m.train_to, "2025-01-31");
    sw_reg_blob b = {"mean", "mean.json", (const unsigned char *)content, strlen(content)};
    sw_error err;
    sw_error_clear(&err);
    int rc = sw_registry_add(store, &m, &b, 1, promote, &err);
    if (rc) fprintf(stderr, "add %s %s: %s\n", system, version, err.msg);
    return rc;
}

static sw_stage stage_of(const char *store, const char *system, const char *version, int *share)
{
    sw_reg_state st;
    sw_error err;
    ck_assert_int_eq(sw_registry_state(store, system, &st, &err), SW_OK);
    sw_stage s = sw_reg_stage_of(&st, version, share);
    sw_registry_state_free(&st);
    return s;
}

/* candidate -> shadow -> 10 -> 50 -> champion; only forward; one rollout at a
 * time; rollback ends a rollout, then restores the previous champion; every
 * change is one event with its stages. */
START_TEST(rollout_stages)
{
    sw_registry_configure(NULL, NULL, "swish models rollout (test)");
    char store[512];
    snprintf(store, sizeof store, "%s/models", tu_tmpdir());
    ck_assert_int_eq(add_version(store, "gbdt", "v1", "{\"a\":1}", 0), SW_OK);
    ck_assert_int_eq(add_version(store, "gbdt", "v2", "{\"a\":2}", 0), SW_OK);
    ck_assert_int_eq(add_version(store, "gbdt", "v3", "{\"a\":3}", 0), SW_OK);
    int share;
    ck_assert_int_eq(stage_of(store, "gbdt", "v1", &share), SW_STAGE_CHAMPION); /* the first version */
    ck_assert_int_eq(stage_of(store, "gbdt", "v2", &share), SW_STAGE_CANDIDATE);
    sw_error err;
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "v2", SW_STAGE_SHADOW, 0, "n1", &err), SW_OK);
    ck_assert_int_eq(stage_of(store, "gbdt", "v2", &share), SW_STAGE_SHADOW);
    /* another version while v2 is in rollout, a step back, a share not rising, a bad share */
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "v3", SW_STAGE_SHADOW, 0, "", &err), SW_ARG);
    ck_assert_ptr_nonnull(strstr(err.msg, "v2 is in rollout"));
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "v2", SW_STAGE_CANARY, 10, "n2", &err), SW_OK);
    ck_assert_int_eq(stage_of(store, "gbdt", "v2", &share), SW_STAGE_CANARY);
    ck_assert_int_eq(share, 10);
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "v2", SW_STAGE_SHADOW, 0, "", &err), SW_ARG);
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "v2", SW_STAGE_CANARY, 10, "", &err), SW_ARG);
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "v2", SW_STAGE_CANARY, 0, "", &err), SW_ARG);
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "v2", SW_STAGE_CANARY, 50, "n3", &err), SW_OK);
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "v2", SW_STAGE_CHAMPION, 100, "n4", &err), SW_OK);
    ck_assert_int_eq(stage_of(store, "gbdt", "v2", &share), SW_STAGE_CHAMPION);
    ck_assert_int_eq(stage_of(store, "gbdt", "v1", &share), SW_STAGE_CANDIDATE);
    /* a rollout of v3 ended by rollback: v3 rolled back, champion unchanged */
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "v3", SW_STAGE_CANARY, 10, "forced", &err), SW_OK);
    char champ[64], ended[64];
    ck_assert_int_eq(sw_registry_rollback_note(store, "gbdt", "loss", champ, ended, &err), SW_OK);
    ck_assert_str_eq(champ, "v2");
    ck_assert_str_eq(ended, "v3");
    ck_assert_int_eq(stage_of(store, "gbdt", "v3", &share), SW_STAGE_ROLLED_BACK);
    /* without a rollout: back to the previous champion in one step */
    ck_assert_int_eq(sw_registry_rollback_note(store, "gbdt", "by hand", champ, ended, &err), SW_OK);
    ck_assert_str_eq(champ, "v1");
    ck_assert_str_eq(ended, "v2");
    ck_assert_int_eq(stage_of(store, "gbdt", "v2", &share), SW_STAGE_ROLLED_BACK);
    ck_assert_int_eq(sw_registry_rollback_note(store, "gbdt", "again", champ, ended, &err), SW_NOT_FOUND);
    /* archive: not the champion; an archived version cannot enter a rollout */
    ck_assert_int_eq(sw_registry_archive(store, "gbdt", "v1", &err), SW_ARG);
    ck_assert_int_eq(sw_registry_archive(store, "gbdt", "v3", &err), SW_OK);
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "v3", SW_STAGE_SHADOW, 0, "", &err), SW_ARG);

    /* the history: one event per change, in order, with stages, notes and the command */
    sw_reg_state st;
    ck_assert_int_eq(sw_registry_state(store, "gbdt", &st, &err), SW_OK);
    static const char *const want[][4] = {
        {"promote", "v1", "candidate", "champion"},   {"rollout", "v2", "candidate", "shadow"},
        {"rollout", "v2", "shadow", "canary 10%"},    {"rollout", "v2", "canary 10%", "canary 50%"},
        {"rollout", "v2", "canary 50%", "champion"},  {"rollout", "v3", "candidate", "canary 10%"},
        {"rollback", "v3", "canary 10%", "rolled_back"}, {"rollback", "v2", "champion", "rolled_back"},
        {"archive", "v3", "rolled_back", "archived"}};
    ck_assert_int_eq(st.n_events, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < st.n_events; i++) {
        ck_assert_str_eq(st.events[i].action, want[i][0]);
        ck_assert_str_eq(st.events[i].version, want[i][1]);
        ck_assert_str_eq(st.events[i].from, want[i][2]);
        ck_assert_str_eq(st.events[i].to, want[i][3]);
        ck_assert_str_eq(st.events[i].command, "swish models rollout (test)");
        ck_assert_int_eq((int)strlen(st.events[i].at), 20);
    }
    ck_assert_str_eq(st.events[1].note, "n1");
    ck_assert_str_eq(st.events[6].note, "loss");
    sw_registry_state_free(&st);
}
END_TEST

/* A rolled back or archived version never serves, not even a past date for
 * which it would be the newest eligible one; a version in rollout is loaded
 * as the candidate beside the champion. */
START_TEST(rolled_back_never_picked)
{
    sw_registry_configure(NULL, NULL, "test");
    char store[512];
    snprintf(store, sizeof store, "%s/models", tu_tmpdir());
    ck_assert_int_eq(add_version(store, "gbdt", "old", "{\"x\":1}", 0), SW_OK);
    /* the champion trained later than the date; "old" qualifies */
    sw_manifest m;
    sw_manifest_init(&m, "gbdt");
    snprintf(m.version, sizeof m.version, "new");
    snprintf(m.train_to, sizeof m.train_to, "2025-12-31");
    sw_reg_blob b = {"mean", "mean.json", (const unsigned char *)"{\"x\":2}", 7};
    sw_error err;
    ck_assert_int_eq(sw_registry_add(store, &m, &b, 1, 1, &err), SW_OK);
    int day;
    ck_assert_int_eq(sw_date_parse("2025-03-01", 10, &day), 0);
    char v[64], t[11], why[384];
    int champ;
    ck_assert_int_eq(sw_models_pick(store, "gbdt", day, v, t, &champ, why, sizeof why, &err), SW_OK);
    ck_assert_str_eq(v, "old");
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "old", SW_STAGE_SHADOW, 0, "", &err), SW_OK);
    char c2[64], ended[64];
    ck_assert_int_eq(sw_registry_rollback_note(store, "gbdt", "", c2, ended, &err), SW_OK);
    ck_assert_str_eq(ended, "old");
    ck_assert_int_eq(sw_models_pick(store, "gbdt", day, v, t, &champ, why, sizeof why, &err), SW_NOT_FOUND);
}
END_TEST

/* Two processes changing one pointer at once: every change either lands (an
 * event) or is refused with SW_CONFLICT; none is lost. */
START_TEST(concurrent_writers_lose_nothing)
{
    sw_registry_configure(NULL, NULL, "test");
    char store[512];
    snprintf(store, sizeof store, "%s/models", tu_tmpdir());
    ck_assert_int_eq(add_version(store, "gbdt", "a", "{\"a\":1}", 0), SW_OK);
    ck_assert_int_eq(add_version(store, "gbdt", "b", "{\"b\":1}", 0), SW_OK);
    ck_assert_int_eq(add_version(store, "gbdt", "c", "{\"c\":1}", 0), SW_OK);
    enum { ROUNDS = 40 };
    int fds[2][2];
    pid_t pid[2];
    for (int p = 0; p < 2; p++) {
        ck_assert_int_eq(pipe(fds[p]), 0);
        pid[p] = fork();
        ck_assert_int_ge(pid[p], 0);
        if (pid[p] == 0) {
            int ok = 0, conflict = 0, other = 0;
            const char *mine = p ? "b" : "c";
            for (int i = 0; i < ROUNDS; i++) {
                sw_error e;
                int rc = sw_registry_promote(store, "gbdt", i % 2 ? "a" : mine, &e);
                if (rc == SW_OK) ok++;
                else if (rc == SW_CONFLICT) conflict++;
                else if (rc != SW_ARG) other++; /* SW_ARG: already champion, nothing to change */
            }
            char line[64];
            int n = snprintf(line, sizeof line, "%d %d %d", ok, conflict, other);
            if (write(fds[p][1], line, (size_t)n) != n) _exit(2);
            _exit(0);
        }
        close(fds[p][1]);
    }
    int ok_total = 0, conflicts = 0;
    for (int p = 0; p < 2; p++) {
        char line[64] = "";
        ssize_t n = read(fds[p][0], line, sizeof line - 1);
        ck_assert_int_gt(n, 0);
        line[n] = 0;
        int ok, conflict, other;
        ck_assert_int_eq(sscanf(line, "%d %d %d", &ok, &conflict, &other), 3);
        ck_assert_int_eq(other, 0);
        ok_total += ok;
        conflicts += conflict;
        int status;
        waitpid(pid[p], &status, 0);
        ck_assert_int_eq(WEXITSTATUS(status), 0);
    }
    sw_reg_state st;
    sw_error err;
    ck_assert_int_eq(sw_registry_state(store, "gbdt", &st, &err), SW_OK);
    ck_assert_int_eq(st.n_events, 1 + ok_total); /* the first champion, then every change that landed */
    fprintf(stderr, "concurrent writers: %d changes landed, %d refused as conflicts\n", ok_total, conflicts);
    sw_registry_state_free(&st);
}
END_TEST

/* Files without their manifest (an upload cut short) are never a version. */
START_TEST(half_upload_invisible)
{
    sw_registry_configure(NULL, NULL, "test");
    char store[512], path[700];
    snprintf(store, sizeof store, "%s/models", tu_tmpdir());
    ck_assert_int_eq(add_version(store, "gbdt", "whole", "{\"w\":1}", 0), SW_OK);
    snprintf(path, sizeof path, "%s/gbdt/half", store);
    sw_error err;
    ck_assert_int_eq(sw_mkdirs(path, &err), SW_OK);
    snprintf(path, sizeof path, "%s/gbdt/half/mean.json", store);
    ck_assert_int_eq(sw_write_file(path, "{}", 2, &err), SW_OK);
    sw_manifest *ms = NULL;
    int n = 0, bad = 0;
    ck_assert_int_eq(sw_registry_versions(store, "gbdt", &ms, &n, &bad, &err), SW_OK);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(bad, 0);
    ck_assert_str_eq(ms[0].version, "whole");
    sw_free(ms);
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "half", SW_STAGE_SHADOW, 0, "", &err), SW_NOT_FOUND);
}
END_TEST

/* sync between directories: versions, files and pointers equal after; a
 * version already there with other files is a conflict; a corrupt source
 * file stops the copy of its version, which stays invisible. */
START_TEST(sync_directories)
{
    sw_registry_configure(NULL, NULL, "test");
    char a[512], b[512], c[512];
    snprintf(a, sizeof a, "%s/a", tu_tmpdir());
    snprintf(b, sizeof b, "file://%s/b", tu_tmpdir());
    snprintf(c, sizeof c, "%s/c", tu_tmpdir());
    ck_assert_int_eq(add_version(a, "gbdt", "v1", "{\"v\":1}", 0), SW_OK);
    ck_assert_int_eq(add_version(a, "gbdt", "v2", "{\"v\":2}", 1), SW_OK);
    ck_assert_int_eq(add_version(a, "stack", "s1", "{\"s\":1}", 0), SW_OK);
    sw_sync_stats ss;
    sw_error err;
    ck_assert_int_eq(sw_registry_sync(a, b, NULL, &ss, &err), SW_OK);
    ck_assert_int_eq(ss.versions_copied, 3);
    ck_assert_int_eq(ss.files_copied, 3);
    ck_assert_int_eq(ss.pointers_copied, 2);
    char champ[64];
    ck_assert_int_eq(sw_registry_champion(b, "gbdt", champ, &err), SW_OK);
    ck_assert_str_eq(champ, "v2");
    sw_manifest m;
    ck_assert_int_eq(sw_registry_manifest(b, "gbdt", "v1", &m, &err), SW_OK);
    unsigned char *data;
    size_t len;
    ck_assert_int_eq(sw_registry_read(b, &m, "mean", &data, &len, &err), SW_OK);
    ck_assert_int_eq((int)len, 7);
    ck_assert_int_eq(memcmp(data, "{\"v\":1}", 7), 0);
    sw_free(data);
    /* again: nothing to copy */
    ck_assert_int_eq(sw_registry_sync(a, b, NULL, &ss, &err), SW_OK);
    ck_assert_int_eq(ss.versions_copied, 0);
    ck_assert_int_eq(ss.versions_skipped, 3);
    ck_assert_int_eq(ss.pointers_copied, 0);
    /* the same version name with other files in the destination */
    ck_assert_int_eq(add_version(c, "gbdt", "v1", "{\"other\":1}", 0), SW_OK);
    ck_assert_int_eq(sw_registry_sync(a, c, NULL, &ss, &err), SW_CONFLICT);
    /* a corrupted source file: refused, and its version is not visible in the copy */
    char d[512], path[700];
    snprintf(d, sizeof d, "%s/d", tu_tmpdir());
    snprintf(path, sizeof path, "%s/gbdt/v1/mean.json", a);
    ck_assert_int_eq(sw_write_file(path, "{\"v\":9}", 7, &err), SW_OK);
    ck_assert_int_eq(sw_registry_sync(a, d, NULL, &ss, &err), SW_CORRUPT);
    ck_assert_int_eq(sw_registry_manifest(d, "gbdt", "v1", &m, &err), SW_NOT_FOUND);
}
END_TEST

/* ---- object stores ---- */

#define KEY "SWISHTESTKEY"
#define SECRET "swish-test-secret-0123456789"

static void configure_s3(const tu_server *srv, const char *cache, int retries)
{
    sw_objstore_opts o = {.endpoint = srv->endpoint, .region = "us-east-1", .access_key = KEY, .secret_key = SECRET,
                          .timeout_s = 3, .connect_timeout_s = 1, .retries = retries, .backoff_s = 0.01};
    sw_registry_configure(&o, cache, "test");
}

/* The registry on the real s3rver: versions, stages and files round-trip;
 * a read caches the verified file; with the server gone, reads come from the
 * cached copies (offline), and writes fail with SW_NET. */
START_TEST(s3rver_registry_offline)
{
    char dir[512], cache[512];
    snprintf(dir, sizeof dir, "%s/s3", tu_tmpdir());
    snprintf(cache, sizeof cache, "%s/cache", tu_tmpdir());
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    tu_server srv;
    tu_s3_start("s3rver", dir, "models", KEY, SECRET, &srv);
    configure_s3(&srv, cache, 1);
    const char *store = "s3://models/prod";
    ck_assert_int_eq(add_version(store, "gbdt", "v1", "{\"v\":1}", 0), SW_OK);
    ck_assert_int_eq(add_version(store, "gbdt", "v2", "{\"v\":2}", 0), SW_OK);
    sw_error err;
    ck_assert_int_eq(sw_registry_exists(store, &err), SW_OK);
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "v2", SW_STAGE_CANARY, 10, "", &err), SW_OK);
    sw_manifest *ms = NULL;
    int n = 0, bad = 0;
    ck_assert_int_eq(sw_registry_versions(store, "gbdt", &ms, &n, &bad, &err), SW_OK);
    ck_assert_int_eq(n, 2);
    unsigned char *data;
    size_t len;
    ck_assert_int_eq(sw_registry_read(store, &ms[1], "mean", &data, &len, &err), SW_OK);
    ck_assert_int_eq(memcmp(data, "{\"v\":2}", 7), 0);
    sw_free(data);
    char path[900];
    snprintf(path, sizeof path, "%s/objects/%s", cache, ms[1].files[0].sha256);
    ck_assert(sw_file_exists(path));
    ck_assert_int_eq(sw_registry_offline(NULL, 0), 0);
    /* the server goes away (and the pointers this process remembers expire: 1 s) */
    tu_s3_stop(&srv);
    usleep(1100000);
    int share;
    ck_assert_int_eq(stage_of(store, "gbdt", "v2", &share), SW_STAGE_CANARY);
    ck_assert_int_eq(share, 10);
    char why[512];
    ck_assert_int_eq(sw_registry_offline(why, sizeof why), 1);
    ck_assert_ptr_nonnull(strstr(why, "s3://models/prod"));
    ck_assert_ptr_null(strstr(why, SECRET));
    ck_assert_int_eq(sw_registry_exists(store, &err), SW_OK);
    ck_assert_int_eq(sw_registry_read(store, &ms[1], "mean", &data, &len, &err), SW_OK); /* the cache, verified */
    sw_free(data);
    ck_assert_int_eq(sw_registry_read(store, &ms[0], "mean", &data, &len, &err), SW_NET); /* never fetched */
    ck_assert_int_eq(sw_registry_rollout(store, "gbdt", "v2", SW_STAGE_CANARY, 50, "", &err), SW_NET);
    ck_assert_ptr_null(strstr(err.msg, SECRET));
    /* a damaged cache entry is not used */
    ck_assert_int_eq(sw_write_file(path, "{\"v\":3}", 7, &err), SW_OK);
    ck_assert_int_eq(sw_registry_read(store, &ms[1], "mean", &data, &len, &err), SW_NET);
    sw_free(ms);
}
END_TEST

/* Against the strict fake: a corrupt download is refused and not cached; 503s
 * are retried; a wrong secret is the server's 403 code, not retried; two
 * processes promoting at once lose no update (If-Match). */
START_TEST(fake_registry_faults)
{
    char cache[512];
    snprintf(cache, sizeof cache, "%s/cache", tu_tmpdir());
    tu_server srv;
    tu_s3_start("fake", NULL, "models", KEY, SECRET, &srv);
    configure_s3(&srv, cache, 3);
    const char *store = "s3://models/p";
    ck_assert_int_eq(add_version(store, "gbdt", "a", "{\"a\":1}", 0), SW_OK);
    ck_assert_int_eq(add_version(store, "gbdt", "b", "{\"b\":1}", 0), SW_OK);
    ck_assert_int_eq(add_version(store, "gbdt", "c", "{\"c\":1}", 0), SW_OK);
    sw_manifest m;
    sw_error err;
    ck_assert_int_eq(sw_registry_manifest(store, "gbdt", "b", &m, &err), SW_OK);
    unsigned char *data = NULL;
    size_t len;
    /* a body that does not match its hash is fetched again (each retry) and then refused */
    tu_s3_log_clear(&srv);
    tu_s3_fault(&srv, "{\"corrupt\":true,\"method\":\"GET\"}");
    ck_assert_int_eq(sw_registry_read(store, &m, "mean", &data, &len, &err), SW_OK);
    sw_free(data);
    ck_assert_int_eq(tu_s3_log_count(&srv, "GET"), 2);
    char path0[900];
    snprintf(path0, sizeof path0, "%s/objects/%s", cache, m.files[0].sha256);
    unlink(path0);
    tu_s3_fault(&srv, "{\"corrupt\":true,\"method\":\"GET\",\"count\":4}");
    ck_assert_int_eq(sw_registry_read(store, &m, "mean", &data, &len, &err), SW_CORRUPT);
    ck_assert_ptr_null(data);
    char path[900];
    snprintf(path, sizeof path, "%s/objects/%s", cache, m.files[0].sha256);
    ck_assert(!sw_file_exists(path));
    /* promote refuses a version whose download does not verify: the champion stays */
    tu_s3_fault(&srv, "{\"corrupt\":true,\"method\":\"GET\",\"count\":4}");
    ck_assert_int_eq(sw_registry_promote(store, "gbdt", "b", &err), SW_CORRUPT);
    char champ[64];
    ck_assert_int_eq(sw_registry_champion(store, "gbdt", champ, &err), SW_OK);
    ck_assert_str_eq(champ, "a");
    tu_s3_log_clear(&srv);
    tu_s3_fault(&srv, "{\"status\":503,\"count\":2}");
    ck_assert_int_eq(sw_registry_read(store, &m, "mean", &data, &len, &err), SW_OK);
    sw_free(data);
    ck_assert_int_ge(tu_s3_log_count(&srv, "GET"), 3);
    /* two processes at once, If-Match on the pointer */
    pid_t pid[2];
    int fds[2][2];
    for (int p = 0; p < 2; p++) {
        ck_assert_int_eq(pipe(fds[p]), 0);
        pid[p] = fork();
        if (pid[p] == 0) {
            configure_s3(&srv, cache, 3); /* a handle of its own */
            int ok = 0, conflict = 0, other = 0;
            for (int i = 0; i < 12; i++) {
                sw_error e;
                int rc = sw_registry_promote(store, "gbdt", i % 2 ? "a" : p ? "b" : "c", &e);
                if (rc == SW_OK) ok++;
                else if (rc == SW_CONFLICT) conflict++;
                else if (rc != SW_ARG) other++;
            }
            char line[64];
            int k = snprintf(line, sizeof line, "%d %d %d", ok, conflict, other);
            if (write(fds[p][1], line, (size_t)k) != k) _exit(2);
            _exit(0);
        }
        close(fds[p][1]);
    }
    int landed = 0;
    for (int p = 0; p < 2; p++) {
        char line[64] = "";
        ssize_t k = read(fds[p][0], line, sizeof line - 1);
        ck_assert_int_gt(k, 0);
        line[k] = 0;
        int ok, conflict, other;
        ck_assert_int_eq(sscanf(line, "%d %d %d", &ok, &conflict, &other), 3);
        ck_assert_int_eq(other, 0);
        landed += ok;
        waitpid(pid[p], NULL, 0);
    }
    sw_reg_state st;
    ck_assert_int_eq(sw_registry_state(store, "gbdt", &st, &err), SW_OK);
    ck_assert_int_eq(st.n_events, 1 + landed);
    sw_registry_state_free(&st);
    /* an upload cut short (files, no manifest) is not a version */
    sw_objstore *os = NULL;
    sw_objstore_opts o = {.endpoint = srv.endpoint, .region = "us-east-1", .access_key = KEY, .secret_key = SECRET};
    ck_assert_int_eq(sw_objstore_open(store, &o, &os, &err), SW_OK);
    ck_assert_int_eq(sw_objstore_put(os, "gbdt/half/mean.json", "{}", 2, NULL, NULL, &err), SW_OK);
    sw_objstore_close(os);
    sw_manifest *ms = NULL;
    int nv = 0, nbad = 0;
    ck_assert_int_eq(sw_registry_versions(store, "gbdt", &ms, &nv, &nbad, &err), SW_OK);
    ck_assert_int_eq(nv, 3);
    ck_assert_int_eq(nbad, 0);
    sw_free(ms);
    ck_assert_int_eq(sw_registry_promote(store, "gbdt", "half", &err), SW_NOT_FOUND);
    /* manifests that never arrive intact: the system is refused (a warning, degraded), not
     * taken for one with nothing registered */
    char cache2[600];
    snprintf(cache2, sizeof cache2, "%s/cache2", tu_tmpdir());
    configure_s3(&srv, cache2, 1);
    tu_s3_fault(&srv, "{\"corrupt\":true,\"method\":\"GET\",\"path\":\"manifest\",\"count\":6}");
    char v[64], tt[11], why[384];
    int is_champ, day;
    ck_assert_int_eq(sw_date_parse("2025-03-01", 10, &day), 0);
    ck_assert_int_eq(sw_models_pick(store, "gbdt", day, v, tt, &is_champ, why, sizeof why, &err), SW_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(why, "cannot be read"));
    configure_s3(&srv, cache, 3);
    /* a wrong secret: the server's code, no retry, no secret in the message */
    sw_objstore_opts bad = {.endpoint = srv.endpoint, .region = "us-east-1", .access_key = KEY,
                            .secret_key = "not-the-secret", .timeout_s = 3, .retries = 3, .backoff_s = 0.01};
    sw_registry_configure(&bad, cache, "test");
    tu_s3_log_clear(&srv);
    ck_assert_int_eq(sw_registry_promote(store, "gbdt", "b", &err), SW_NET);
    ck_assert_ptr_nonnull(strstr(err.msg, "SignatureDoesNotMatch"));
    ck_assert_ptr_null(strstr(err.msg, "not-the-secret"));
    /* refused once each, never retried: the pointer read for the write (the cached copy
     * after the refusal; the manifest is the immutable cached copy) and the write */
    ck_assert_int_eq(tu_s3_log_count(&srv, NULL), 2);
    ck_assert_int_eq(tu_s3_log_count(&srv, "PUT"), 1);
    tu_s3_stop(&srv);
}
END_TEST


/* The CLI end to end: a store synced to S3 scores the same slate as the
 * directory; with the server gone, the cached copies score it again (exit 16,
 * a warning); with neither server nor cache, nothing is scored. */
START_TEST(cli_slate_from_s3)
{
    const char *bin = tu_swish_bin(), *t = tu_tmpdir();
    char conf[600];
    snprintf(conf, sizeof conf, "%s/c.conf", t);
    FILE *fp = fopen(conf, "w");
    ck_assert_ptr_nonnull(fp);
    fprintf(fp, "[paths]\ndata = %s/data\nmodels = %s/models\ndb = %s/swish.db\n[retrain]\nrounds = 30\nfolds = 3\n", t,
            t, t);
    fclose(fp);
    ck_assert_int_eq(tu_sh(NULL, "%s simulate --seed 11 --seasons 1 --first-season 2024 --out %s/data", bin, t), 0);
    ck_assert_int_eq(tu_sh(NULL, "%s retrain --config %s --until 2025-03-01", bin, conf), 0);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/s3", t);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    tu_server srv;
    tu_s3_start("s3rver", dir, "bkt", KEY, SECRET, &srv);
    setenv("AWS_ACCESS_KEY_ID", KEY, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    setenv("AWS_ENDPOINT_URL", srv.endpoint, 1);
    setenv("AWS_REGION", "us-east-1", 1);
    char *out = NULL;
    ck_assert_int_eq(tu_sh(&out, "%s models sync %s/models s3://bkt/m", bin, t), 0);
    ck_assert_ptr_nonnull(strstr(out, "verified"));
    free(out);
    char *a = NULL, *b = NULL, *c = NULL;
    ck_assert_int_eq(tu_sh(&a, "%s slate --config %s --date 2025-03-01 --no-store --json 2>/dev/null", bin, conf), 0);
    ck_assert_int_eq(tu_sh(&b,
                         "SWISH_STORAGE_CACHE=%s/cache %s slate --config %s --models s3://bkt/m --date 2025-03-01 "
                         "--no-store --json 2>/dev/null",
                         t, bin, conf),
                     0);
    ck_assert_ptr_nonnull(strstr(a, "\"rows\":[{"));
    ck_assert_str_eq(strstr(a, "\"rows\":"), strstr(b, "\"rows\":")); /* all but the timings */
    ck_assert_int_eq(tu_sh(&out, "%s models list --models s3://bkt/m --config %s", bin, conf), 0);
    ck_assert_ptr_nonnull(strstr(out, "champion"));
    free(out);
    /* retrain straight into a bucket: catboost_v8 registered there is one of the stack's inputs */
    char v8[600];
    tu_shared_path(v8, sizeof v8, "models/catboost_v8_33features_20260108_211817.cbm");
    ck_assert_int_eq(tu_sh(&out, "SWISH_STORAGE_CACHE=%s/cache %s models add --system catboost_v8 --version v8 "
                                 "--train-from 2021-11-01 --train-to 2024-05-31 %s --models s3://bkt/r",
                           t, bin, v8),
                     0);
    free(out);
    ck_assert_int_eq(tu_sh(&out, "SWISH_STORAGE_CACHE=%s/cache %s retrain --config %s --models s3://bkt/r --until "
                                 "2025-03-01",
                           t, bin, conf),
                     0);
    free(out);
    ck_assert_int_eq(tu_sh(&out, "SWISH_STORAGE_CACHE=%s/cache %s models list --json --models s3://bkt/r", t, bin), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"system\":\"stack\""));
    ck_assert_ptr_nonnull(strstr(out, "oof_mae_catboost_v8"));
    free(out);
    /* s3 -> gs (GCS's XML API, GOOG4 signatures, generations) on the strict fake; the same slate */
    tu_server gsrv;
    tu_s3_start("fake", NULL, "gbk", "GOOGKEY", "goog-secret-0123", &gsrv);
    setenv("GS_ACCESS_KEY_ID", "GOOGKEY", 1);
    setenv("GS_SECRET_ACCESS_KEY", "goog-secret-0123", 1);
    setenv("GS_ENDPOINT_URL", gsrv.endpoint, 1);
    ck_assert_int_eq(tu_sh(&out, "SWISH_STORAGE_CACHE=%s/cache %s models sync s3://bkt/m gs://gbk/m", t, bin), 0);
    free(out);
    char *g = NULL;
    ck_assert_int_eq(tu_sh(&g,
                           "SWISH_STORAGE_CACHE=%s/gcache %s slate --config %s --models gs://gbk/m --date 2025-03-01 "
                           "--no-store --json 2>/dev/null",
                           t, bin, conf),
                     0);
    ck_assert_str_eq(strstr(a, "\"rows\":"), strstr(g, "\"rows\":"));
    free(g);
    ck_assert_int_gt(tu_s3_log_count(&gsrv, "PUT"), 0);
    /* writes on GCS: a new version (x-goog-if-generation-match: 0 on its manifest), then the
     * pointer replaced on its generation (a staged rollout), visible to a fresh reader */
    /* (the test's own cache: the user's would keep another run's manifests of the same location) */
    int rc_add = tu_sh(&out,
                       "SWISH_STORAGE_CACHE=%s/gcache %s models add --system stack --version s2 $(ls "
                       "%s/models/stack/*/stack.json | head -1) --train-from 2024-10-01 --train-to 2025-02-28 "
                       "--models gs://gbk/m 2>&1",
                       t, bin, t);
    ck_assert_msg(rc_add == 0, "exit %d: %s", rc_add, out);
    free(out);
    ck_assert_int_eq(tu_sh(&out, "SWISH_STORAGE_CACHE=%s/gcache %s models rollout stack s2 --to shadow --models gs://gbk/m",
                           t, bin),
                     0);
    free(out);
    ck_assert_int_eq(tu_sh(&out, "SWISH_STORAGE_CACHE=%s/g2 %s models status stack --models gs://gbk/m --json", t, bin),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "\"rollout\":\"s2\""));
    ck_assert_ptr_nonnull(strstr(out, "\"stage\":\"shadow\""));
    free(out);
    tu_s3_stop(&gsrv);
    tu_s3_stop(&srv);
    ck_assert_int_eq(tu_sh(&c,
                         "SWISH_STORAGE_CACHE=%s/cache SWISH_STORAGE_RETRIES=1 %s slate --config %s --models s3://bkt/m "
                         "--date 2025-03-01 --no-store --json 2>%s/offline.err",
                         t, bin, conf, t),
                     16);
    ck_assert_str_eq(strstr(a, "\"rows\":"), strstr(c, "\"rows\":"));
    char errf[700];
    snprintf(errf, sizeof errf, "%s/offline.err", t);
    char *err_text = tu_slurp(errf, NULL);
    ck_assert_ptr_nonnull(err_text);
    ck_assert_ptr_nonnull(strstr(err_text, "could not be reached"));
    ck_assert_ptr_null(strstr(err_text, SECRET));
    free(err_text);
    ck_assert_int_eq(tu_sh(&out,
                         "SWISH_STORAGE_CACHE=%s/empty SWISH_STORAGE_RETRIES=1 %s slate --config %s --models "
                         "s3://bkt/m --date 2025-03-01 --no-store",
                         t, bin, conf),
                     14);
    ck_assert_ptr_nonnull(strstr(out, "127.0.0.1"));
    free(out);
    free(a);
    free(b);
    free(c);
}
END_TEST

/* `swish config` never prints a secret, and its output reads back. */
START_TEST(config_hides_secrets)
{
    char *out = NULL;
    const char *t = tu_tmpdir();
    ck_assert_int_eq(tu_sh(&out, "SWISH_STORAGE_SECRET_ACCESS_KEY=sup3r-s3cret SWISH_STORAGE_ENDPOINT=http://h:1 %s config "
                                 "> %s/c.conf && cat %s/c.conf",
                           tu_swish_bin(), t, t),
                     0);
    ck_assert_ptr_null(strstr(out, "sup3r-s3cret"));
    ck_assert_ptr_nonnull(strstr(out, "# secret_access_key = (set, not shown)"));
    ck_assert_ptr_nonnull(strstr(out, "\nendpoint = http://h:1\n"));
    free(out);
    ck_assert_int_eq(tu_sh(&out, "%s config --config %s/c.conf", tu_swish_bin(), t), 0);
    ck_assert_ptr_nonnull(strstr(out, "\nendpoint = http://h:1\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nregion = \n"));
    free(out);
}
END_TEST

Suite *modelstore_suite(void)
{
    Suite *s = suite_create("modelstore");
    TCase *tc = tcase_create("local");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rollout_stages);
    tcase_add_test(tc, rolled_back_never_picked);
    tcase_add_test(tc, concurrent_writers_lose_nothing);
    tcase_add_test(tc, half_upload_invisible);
    tcase_add_test(tc, sync_directories);
    tcase_add_test(tc, config_hides_secrets);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("remote");
    tcase_set_timeout(tr, 180);
    tcase_add_test(tr, s3rver_registry_offline);
    tcase_add_test(tr, fake_registry_faults);
    tcase_add_test(tr, cli_slate_from_s3);
    suite_add_tcase(s, tr);
    return s;
}

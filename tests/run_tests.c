/* run_tests: the Check runner collecting one suite per module.
 * Tests run in forked children (Check's default), so OpenMP never starts in
 * the runner process itself.  SW_SUITE=name runs one suite. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

Suite *prom_suite(void);
Suite *jwt_suite(void);
Suite *serve_suite(void);
Suite *nightly_suite(void);
Suite *monitor_suite(void);
Suite *alert_suite(void);
Suite *market_suite(void);
Suite *store_suite(void);

/* SW_SUITE is a comma-separated list of suite names. */
static int listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

int main(void)
{
    static const struct {
        const char *name;
        Suite *(*make)(void);
    } suites[] = {{"core", core_suite}, {"gbdt", gbdt_suite}, {"io", io_suite}, {"score", score_suite}, {"train", train_suite}, {"explain", explain_suite}, {"features", features_suite}, {"simulate", simulate_suite}, {"pipeline", pipeline_suite}, {"evaluate", evaluate_suite}, {"objstore", objstore_suite}, {"cli", cli_suite}, {"modelstore", modelstore_suite}, {"rollout", rollout_suite}, {"jwt", jwt_suite}, {"prom", prom_suite}, {"serve", serve_suite}, {"nightly", nightly_suite}, {"monitor", monitor_suite}, {"alert", alert_suite}, {"market", market_suite}, {"store", store_suite}};
    const char *only = getenv("SW_SUITE");
    SRunner *sr = NULL;
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        if (only && *only && !listed(only, suites[i].name)) continue;
        Suite *s = suites[i].make();
        if (!sr) {
            sr = srunner_create(s);
        } else {
            srunner_add_suite(sr, s);
        }
    }
    if (!sr) return 1;
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

/* threads: the one thread-count rule (see threads.h). */
#include "threads.h"

#include <limits.h>
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* CPUs allowed by a cgroup quota, or 0 when there is none (or none readable). */
static long quota_cpus(void)
{
    char path[600], line[400];
    long long quota = -1, period = 0;
    /* cgroup v2: the process's own group (/proc/self/cgroup "0::/path"), then the root
     * of the namespace (a container sees its own group there) */
    char group[400] = "";
    FILE *fp = fopen("/proc/self/cgroup", "r");
    while (fp && fgets(line, sizeof line, fp))
        if (!strncmp(line, "0::", 3)) {
            snprintf(group, sizeof group, "%.390s", line + 3);
            group[strcspn(group, "\n")] = 0;
        }
    if (fp) fclose(fp);
    const char *v2[2] = {group, ""};
    for (int i = 0; i < 2 && quota < 0; i++) {
        if (i == 0 && (!group[0] || !strcmp(group, "/"))) continue;
        snprintf(path, sizeof path, "/sys/fs/cgroup%s/cpu.max", v2[i]);
        fp = fopen(path, "r");
        if (!fp) continue;
        char q[32];
        long long p;
        if (fscanf(fp, "%31s %lld", q, &p) == 2 && strcmp(q, "max") != 0) {
            quota = atoll(q);
            period = p;
        }
        fclose(fp);
        if (quota < 0) break; /* "max": no limit */
    }
    /* cgroup v1 */
    if (quota < 0) {
        static const char *const dirs[] = {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"};
        for (int i = 0; i < 2 && quota < 0; i++) {
            long long q = -1, p = 0;
            snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", dirs[i]);
            if ((fp = fopen(path, "r"))) {
                if (fscanf(fp, "%lld", &q) != 1) q = -1;
                fclose(fp);
            }
            snprintf(path, sizeof path, "%s/cpu.cfs_period_us", dirs[i]);
            if (q > 0 && (fp = fopen(path, "r"))) {
                if (fscanf(fp, "%lld", &p) == 1 && p > 0) {
                    quota = q;
                    period = p;
                }
                fclose(fp);
            }
        }
    }
    if (quota <= 0 || period <= 0) return 0;
    long long n = (quota + period - 1) / period; /* a quota of 1.5 CPUs: 2 threads */
    return n < 1 ? 1 : n > LONG_MAX ? LONG_MAX : (long)n;
}

int sw_cpu_count(void)
{
    long n = 0;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
    if (n <= 0) n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n <= 0) n = 1;
    long q = quota_cpus();
    if (q > 0 && q < n) n = q;
    return n > SW_THREADS_MAX ? SW_THREADS_MAX : (int)n;
}

int sw_threads_resolve(long requested)
{
    if (requested > 0) return requested > SW_THREADS_MAX ? SW_THREADS_MAX : (int)requested;
    const char *omp = getenv("OMP_NUM_THREADS");
    if (omp && *omp) {
        char *end;
        long v = strtol(omp, &end, 10); /* "4" or the first level of "4,2" */
        if (end != omp && (*end == 0 || *end == ',') && v > 0) return v > SW_THREADS_MAX ? SW_THREADS_MAX : (int)v;
    }
    return sw_cpu_count();
}

void sw_threads_set_default(int n)
{
    omp_set_num_threads(n > 0 ? n : 1);
}

/* threads: how many threads a command runs, one rule for all of swish.
 *
 * A thread count N > 0 is used as given (at most SW_THREADS_MAX).  0, which is
 * also the default of every --threads option and of slate.threads, means what
 * it means to XGBoost (nthread) and LightGBM (num_threads): OpenMP's default,
 * that is OMP_NUM_THREADS when it is set to a positive integer (its first
 * entry), otherwise every CPU this process may run on: the CPUs of its
 * affinity mask (sched_getaffinity), lowered to a cgroup CPU quota (cpu.max,
 * or cpu.cfs_quota_us / cpu.cfs_period_us), so a container limited to 2 CPUs
 * on a 64-core host runs 2 threads, not 64.
 *
 * Thread-safety: reentrant (reads the environment and /proc, /sys).
 */
#ifndef SW_THREADS_H
#define SW_THREADS_H

#define SW_THREADS_MAX 1024

/* How the rule reads in help texts, the same everywhere. */
#define SW_THREADS_RULE "0 = $OMP_NUM_THREADS if set, else every CPU this process may use"

/* CPUs this process may use (affinity mask and cgroup quota); at least 1. */
int sw_cpu_count(void);
/* The thread count for a requested value (see above): always 1..SW_THREADS_MAX. */
int sw_threads_resolve(long requested);
/* The team size of the calling thread's parallel regions that name none
 * (reading CSVs, filling matrices): a command sets its resolved --threads, so
 * that a count given holds for all of its work, not only for training. */
void sw_threads_set_default(int n);

#endif

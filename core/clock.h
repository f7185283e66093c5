/* clock: the one monotonic clock swish times work with (phase timings, retry
 * deadlines, cache ages).  Wall-clock dates live in core/date. */
#ifndef SW_CLOCK_H
#define SW_CLOCK_H

/* Seconds on CLOCK_MONOTONIC (arbitrary origin, never jumps): for durations. */
double sw_clock_now(void);

#endif

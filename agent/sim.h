/* sim.h: simulated execution, for benchmarks and tests (agent.simulate).
 *
 * A simulated job runs no process, creates no cgroup and no job directory:
 * it is held for its run time and then ends. Its run time is that of a
 * leading `sleep N` of its command (N seconds, a decimal; "sleep 2.5 &&
 * ..." counts too; `sleep inf` never ends), and 0 for any other command,
 * an argument that is no duration (NaN, negative) or a script: such a job
 * ends at once. The wall-time limit still applies: a job whose run time
 * exceeds it ends TIMEOUT at the limit, like a real one; so does one past
 * SIM_RUN_TIME_MAX, the limit of a job that has none or a longer one, so
 * that every end is a time a timer can be armed at. The others end
 * COMPLETED (exited 0). A kill ends it CANCELLED at once. This is the pure
 * part: no I/O, the time is an argument (monotonic seconds for deadlines,
 * wall-clock seconds for the reports' times).
 */
#ifndef CPHUB_AGENT_SIM_H
#define CPHUB_AGENT_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "cphub/jobspec.h"
#include "cphub/msg.h"

typedef struct sim sim_t;

/* The longest a simulated job runs, in seconds (ten years): well inside
 * any time_t, also a 32-bit one, added to the monotonic clock. */
#define SIM_RUN_TIME_MAX (10.0 * 365 * 86400)

/* NULL/ENOMEM. */
sim_t *sim_create (void);
void sim_destroy (sim_t *s);

/* The run time a simulated job of spec takes, in seconds: >= 0, and
 * +inf for a sleep without end (`sleep inf`, or past a double's range). */
double sim_run_time (const jobspec_t *spec);

/* Hold job id from mono (monotonic) and wall (wall-clock) on; it ends at
 * mono + min (run time, walltime, SIM_RUN_TIME_MAX). -1/EEXIST when held,
 * EINVAL when mono or wall is not a finite time >= 0, ENOMEM. */
int sim_start (sim_t *s, uint64_t id, const jobspec_t *spec, double mono, double wall);
/* End a held job at once, CANCELLED. -1/ENOENT when not held. */
int sim_kill (sim_t *s, uint64_t id, double mono);
/* The earliest monotonic time a job ends; -1 when none is held. */
double sim_next (const sim_t *s);
/* One job due by mono: 1 with its report in *e (and no longer held), 0
 * when none is due. */
int sim_take_due (sim_t *s, double mono, double wall, msg_job_exit_t *e);
/* Jobs held. */
uint32_t sim_count (const sim_t *s);

#endif

/* sim_trace.h: the trace side of cphub-sim (bench/sim.c). It reads a
 * Standard Workload Format trace (the Parallel Workloads Archive's format,
 * gzip or plain) into jobs, orders them by submit time with equal submits in
 * trace order (so that a replay is the same on every run and every libc), and
 * fits them to the simulated cluster, skipping and counting the records and
 * jobs it cannot replay. It knows nothing of the scheduling core, so that
 * tests/unit/test_sim.c checks it alone.
 */
#ifndef CPHUB_SIM_TRACE_H
#define CPHUB_SIM_TRACE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sim_job {
    double submit;
    double run;       /* actual, capped by the wall time */
    int64_t walltime; /* requested time */
    uint32_t procs;
    uint32_t user;
    uint32_t record; /* its data record's position in the trace, from 0 */
    double start;    /* -1 until started */
    double end;
} sim_job_t;

typedef struct sim_trace {
    sim_job_t *jobs;
    uint32_t njobs, cap;
    uint32_t max_procs; /* header MaxProcs (else MaxNodes), 0 if absent */
    uint32_t records;
    uint32_t unknown;   /* skipped: a needed value is -1 or invalid */
    uint32_t too_large; /* skipped: more processors than the cluster */
    uint32_t too_wide;  /* skipped: more nodes than a job may span */
    uint32_t capped;    /* run time longer than the requested time */
} sim_trace_t;

/* Take one line of a trace: a header (';') or a data record; a record with
 * an unknown value is counted in unknown. 0, or -1/ENOMEM. */
int sim_trace_line (sim_trace_t *t, const char *line);

/* Read the trace at path into t (zeroed by the caller) and order it (see
 * sim_trace_order). 0, or -1 with the reason printed on stderr. */
int sim_trace_load (const char *path, sim_trace_t *t);

/* Order the jobs by submit time; equal submit times keep trace order. */
void sim_trace_order (sim_trace_t *t);

/* Keep the jobs a cluster of nodes x cores can run, at most limit of them (0:
 * all): a job larger than the cluster is counted in too_large, one spanning
 * more than JOBSPEC_NODES_MAX nodes in too_wide (on one node, the pool, no
 * job spans nodes: larger than the pool is too large). */
void sim_trace_fit (sim_trace_t *t, uint32_t nodes, uint32_t cores, uint32_t limit);

/* Free the jobs; t is empty afterwards. */
void sim_trace_clear (sim_trace_t *t);

#endif

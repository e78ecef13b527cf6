/* exec.c: the process side of cphub-agent: prepare, start, time and kill
 * the jobs of this node (exec_end.c has how they end and adoption).
 *
 * exec_start() prepares everything the job needs in the agent (the run's
 * records directory and its own fresh working directory, script, output
 * files, environment, hwloc cpuset and nodeset)
 * and hands it to a new shepherd (shepherd.c), which starts the job's
 * process and tells the agent its pid once the command has been executed,
 * or the errno and stage at which the start failed. The shepherd applies the
 * binding (real topologies only), which the job's process inherits; the
 * job's process, a vfork child of the shepherd, only sets its environment
 * and executes. Jobs live in uthash tables (exec_int.h); a SIGCHLD signalfd
 * and the pidfds of adopted shepherds, in one epoll set, tell the loop when
 * a shepherd has ended. Wall-time limits and kill grace periods are
 * monotonic deadlines checked by exec_tick().
 */
#include "agent/exec.h"
#include "cphub/clock.h"
#include "cphub/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <hwloc.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

#include "agent/exec_int.h"
#include "agent/jobdir.h"
#include "agent/shepherd.h"
#include "cphub/idset.h"
#include "cphub/jobspec.h"
#include "cphub/parse.h"

extern char **environ;

#define EXEC_ENV_MAX 24

static const char *const stage_text[SHEPHERD_STAGE_COUNT] = {
    [SHEPHERD_STAGE_FORK] = "fork",
    [SHEPHERD_STAGE_SESSION] = "start a new session",
    [SHEPHERD_STAGE_STDIO] = "redirect the job's input and output",
    [SHEPHERD_STAGE_CHDIR] = "enter the job directory",
    [SHEPHERD_STAGE_CPUBIND] = "bind to cpus",
    [SHEPHERD_STAGE_MEMBIND] = "bind memory to NUMA domains",
    [SHEPHERD_STAGE_EXEC] = "execute",
    [SHEPHERD_STAGE_LOST] = "start the job (its shepherd ended without a word)",
    [SHEPHERD_STAGE_CGROUP] = "join the job's cgroups",
    [SHEPHERD_STAGE_USER] = "switch to the tenant's user",
    [SHEPHERD_STAGE_LIMIT] = "set the job's output limit",
};

/* Everything the job's process needs, prepared by the agent. */
typedef struct launch {
    const exec_t *x;
    char dir[PATH_MAX - 32];     /* room left for "/stdout", "/script" */
    char records[PATH_MAX - 32]; /* room left for "/status.tmp" */
    char run[JOBDIR_RUN_NAME_MAX];
    uint32_t run_number;   /* the scheduler's, echoed in the run's reports */
    char script[PATH_MAX]; /* "" when the job is a command */
    uint64_t max_output;   /* RLIMIT_FSIZE of the job; 0: none */
    char *const *argv;
    char *script_argv[2];
    char *env[EXEC_ENV_MAX + 1];
    int nenv;
    hwloc_bitmap_t cpuset;  /* NULL: do not bind cpus */
    hwloc_bitmap_t nodeset; /* NULL: do not bind memory */
    int fd_in, fd_out, fd_err;
    /* isolation: the tenant's Unix user and the job's cgroups */
    bool become; /* switch to ident before exec */
    privsep_ident_t ident;
    cgroup_job_t cgroup; /* ndirs 0: none */
} launch_t;

/* Jobs run as tenants' users enter their directories through
 * jobs_dir: it and every directory above it must let others search it
 * (jobs_dir itself is made 0711: searchable, not listable). */
static int jobs_dir_reachable (const char *jobs_dir, cphub_error_t *err)
{
    char path[PATH_MAX];
    struct stat st;

    if (chmod (jobs_dir, 0711) < 0)
        return cphub_fail (err, errno, "cannot make '%s' mode 0711: %s", jobs_dir,
                           strerror (errno));
    snprintf (path, sizeof (path), "%s", jobs_dir);
    for (;;) {
        char *slash;

        if (stat (path, &st) < 0)
            return cphub_fail (err, errno, "cannot check '%s': %s", path,
                               strerror (errno));
        if (!(st.st_mode & S_IXOTH))
            return cphub_fail (err, EACCES,
                               "jobs run as tenants' users cannot reach %s: %s is mode "
                               "%04o (chmod o+x it)",
                               jobs_dir, path, (unsigned)(st.st_mode & 07777));
        if (!(slash = strrchr (path, '/')) || strcmp (path, "/") == 0)
            return 0;
        slash[slash == path ? 1 : 0] = '\0'; /* the parent; "/" last */
    }
}

/* The agent's records, <state_dir>/runs (mode 0700), and runs/done, where
 * the runs whose exits are acknowledged wait for their directories to go. */
static int runs_dir_make (exec_t *x, const char *state_dir, cphub_error_t *err)
{
    char path[PATH_MAX];
    struct stat st;

    if (snprintf (path, sizeof (path), "%s/runs", state_dir) >= (int)sizeof (path))
        return cphub_fail (err, ENAMETOOLONG, "state_dir '%s' is too long", state_dir);
    if (fs_mkdir_p (path, 0700) < 0 || !(x->runs_dir = realpath (path, NULL)))
        return cphub_fail (err, errno, "cannot create the records directory '%s': %s",
                           path, strerror (errno));
    errno = EPERM;
    if (lstat (x->runs_dir, &st) < 0 || !S_ISDIR (st.st_mode) ||
        st.st_uid != geteuid () || chmod (x->runs_dir, 0700) < 0)
        return cphub_fail (err, errno,
                           "the records directory '%s' must be a directory of the "
                           "agent's user, mode 0700",
                           x->runs_dir);
    if (snprintf (path, sizeof (path), "%s/" EXEC_DONE_DIR, x->runs_dir) >=
            (int)sizeof (path) ||
        fs_mkdir_p (path, 0700) < 0 || !(x->done_dir = strdup (path)))
        return cphub_fail (err, errno, "cannot create '%s': %s", path,
                           strerror (errno));
    return 0;
}

/* Make sure descriptors 0-2 are open, so that files the agent opens never
 * take those numbers (the shepherd's dup2 onto 0-2 relies on it). */
static void stdio_guard (void)
{
    int fd;
    while ((fd = open ("/dev/null", O_RDWR)) >= 0 && fd <= 2)
        ;
    if (fd > 2)
        close (fd);
}

exec_t *exec_create (const exec_config_t *cfg,
                     const topo_t *topo,
                     exec_exit_f cb,
                     void *arg,
                     cphub_error_t *err)
{
    exec_t *x = NULL;
    char path[PATH_MAX];
    char *abs = NULL;
    struct passwd *pw;
    sigset_t chld;
    int saved;

    stdio_guard ();
    if (!(x = calloc (1, sizeof (*x)))) {
        cphub_fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    x->sigfd = -1;
    x->epfd = -1;
    x->topo = topo;
    x->cb = cb;
    x->arg = arg;
    x->kill_grace = cfg->kill_grace;
    x->group_alive = cfg->group_alive;
    x->probe_arg = cfg->probe_arg;
    x->users = cfg->users;
    x->switch_user = cfg->switch_user && privsep_map_configured (cfg->users);
    x->cgroups = cfg->cgroups;
    x->pids_max = cfg->pids_max;
    x->gpu_devices = cfg->gpu_devices;
    x->ngpu_devices = cfg->ngpu_devices;
    x->keep_job_dirs = cfg->keep_job_dirs;
    x->max_output = cfg->max_output;
    if (snprintf (path, sizeof (path), "%s/jobs", cfg->state_dir) >=
        (int)sizeof (path)) {
        cphub_fail (err, ENAMETOOLONG, "state_dir '%s' is too long", cfg->state_dir);
        goto error;
    }
    if (fs_mkdir_p (path, x->switch_user ? 0711 : 0700) < 0 ||
        !(abs = realpath (path, NULL))) {
        cphub_fail (err, errno, "cannot create the job directory '%s': %s", path,
                    strerror (errno));
        goto error;
    }
    x->jobs_dir = abs;
    abs = NULL;
    if (x->switch_user && jobs_dir_reachable (x->jobs_dir, err) < 0)
        goto error;
    if (runs_dir_make (x, cfg->state_dir, err) < 0)
        goto error;
    pw = getpwuid (getuid ());
    x->home = strdup (pw && pw->pw_dir ? pw->pw_dir : "/");
    x->user = pw && pw->pw_name ? strdup (pw->pw_name) : NULL;
    if (!x->user && asprintf (&x->user, "%u", (unsigned)getuid ()) < 0)
        x->user = NULL;
    x->node = strdup (cfg->node ? cfg->node : "");
    if (!x->home || !x->user || !x->node) {
        cphub_fail (err, ENOMEM, "out of memory");
        goto error;
    }
    sigemptyset (&chld);
    sigaddset (&chld, SIGCHLD);
    if (sigprocmask (SIG_BLOCK, &chld, NULL) < 0 ||
        (x->sigfd = signalfd (-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        cphub_fail (err, errno, "cannot watch for ended jobs (signalfd): %s",
                    strerror (errno));
        goto error;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if ((x->epfd = epoll_create1 (EPOLL_CLOEXEC)) < 0 ||
        epoll_ctl (x->epfd, EPOLL_CTL_ADD, x->sigfd, &ev) < 0) {
        cphub_fail (err, errno, "cannot watch for ended jobs (epoll): %s",
                    strerror (errno));
        goto error;
    }
    return x;
error:
    saved = errno;
    free (abs);
    exec_destroy (x);
    errno = saved;
    return NULL;
}

void exec_destroy (exec_t *x)
{
    exec_job_t *job, *tmp;

    if (!x)
        return;
    HASH_ITER (hh, x->by_id, job, tmp)
    {
        exec_job_forget (x, job);
    }
    if (x->epfd >= 0)
        close (x->epfd);
    if (x->sigfd >= 0)
        close (x->sigfd);
    exec_sweep_stop (x);
    free (x->jobs_dir);
    free (x->runs_dir);
    free (x->done_dir);
    free (x->node);
    free (x->home);
    free (x->user);
    free (x);
}

const char *exec_jobs_dir (const exec_t *x)
{
    return x->jobs_dir;
}

int exec_fd (const exec_t *x)
{
    return x->epfd;
}

exec_job_t *exec_job_find (const exec_t *x, uint64_t id)
{
    exec_job_t *job = NULL;
    HASH_FIND (hh, x->by_id, &id, sizeof (id), job);
    return job;
}

/* --- preparing a launch (parent) ----------------------------------------- */

static int env_add (launch_t *l, const char *name, const char *value)
{
    if (l->nenv >= EXEC_ENV_MAX) {
        errno = E2BIG;
        return -1;
    }
    if (asprintf (&l->env[l->nenv], "%s=%s", name, value) < 0) {
        l->env[l->nenv] = NULL;
        errno = ENOMEM;
        return -1;
    }
    l->nenv++;
    return 0;
}

/* What a multi-node job or an array element needs to find its part:
 * CPHUB_NODELIST, CPHUB_NNODES, CPHUB_CPUS_PER_NODE (cores on each node),
 * and CPHUB_ARRAY_JOB_ID, CPHUB_ARRAY_INDEX. */
static int launch_env_placement (const msg_job_run_t *run, launch_t *l)
{
    char nnodes[16], array_id[24], index[16];
    size_t n = 1;

    if (run->nodelist && run->nodelist[0]) {
        for (const char *c = run->nodelist; *c; c++)
            n += *c == ',';
        snprintf (nnodes, sizeof (nnodes), "%zu", n);
        if (env_add (l, "CPHUB_NODELIST", run->nodelist) < 0 ||
            env_add (l, "CPHUB_NNODES", nnodes) < 0 ||
            env_add (l, "CPHUB_CPUS_PER_NODE",
                     run->cpus_per_node ? run->cpus_per_node : "") < 0)
            return -1;
    }
    if (run->array_id != 0) {
        snprintf (array_id, sizeof (array_id), "%" PRIu64, run->array_id);
        snprintf (index, sizeof (index), "%" PRIu32, run->array_index);
        if (env_add (l, "CPHUB_ARRAY_JOB_ID", array_id) < 0 ||
            env_add (l, "CPHUB_ARRAY_INDEX", index) < 0)
            return -1;
    }
    return 0;
}

static int launch_env (const exec_t *x,
                       const msg_job_run_t *run,
                       launch_t *l,
                       cphub_error_t *err)
{
    char id[24], ntasks[16], cpt[16], name[JOBSPEC_NAME_MAX + 1];

    snprintf (id, sizeof (id), "%" PRIu64, run->id);
    snprintf (ntasks, sizeof (ntasks), "%" PRIu32, run->spec.ntasks);
    snprintf (cpt, sizeof (cpt), "%" PRIu32, run->spec.cpus_per_task);
    if (run->spec.name[0])
        snprintf (name, sizeof (name), "%s", run->spec.name);
    else
        jobspec_command_summary (&run->spec, name, sizeof (name));
    /* A job run as its tenant's user has its directory for a home. */
    const char *home = l->become ? l->dir : x->home;
    const char *user = l->become ? l->ident.user : x->user;

    if (env_add (l, "PATH", "/usr/local/bin:/usr/bin:/bin") < 0 ||
        env_add (l, "HOME", home) < 0 || env_add (l, "USER", user) < 0 ||
        env_add (l, "LOGNAME", user) < 0 || env_add (l, "LANG", "C.UTF-8") < 0 ||
        env_add (l, "CPHUB_JOB_ID", id) < 0 ||
        env_add (l, "CPHUB_JOB_NAME", name) < 0 ||
        env_add (l, "CPHUB_NODE", x->node) < 0 ||
        env_add (l, "CPHUB_CPUS", run->cpus) < 0 ||
        env_add (l, "CPHUB_NTASKS", ntasks) < 0 ||
        env_add (l, "CPHUB_CPUS_PER_TASK", cpt) < 0 ||
        env_add (l, "CPHUB_TENANT", run->tenant) < 0 ||
        (run->gpus[0] && env_add (l, "CUDA_VISIBLE_DEVICES", run->gpus) < 0) ||
        launch_env_placement (run, l) < 0)
        return cphub_fail (err, errno, "cannot build the job environment: %s",
                           strerror (errno));
    l->env[l->nenv] = NULL;
    return 0;
}

/* Create path afresh for the job: what an earlier run left there (a
 * symbolic link its user planted, say) is removed, never followed; a job
 * run as its tenant's user owns the file. */
static int create_file (const launch_t *l, const char *path, mode_t mode)
{
    int fd, saved;

    if (unlink (path) < 0 && errno != ENOENT)
        return -1;
    fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0 && l->become && fchown (fd, l->ident.uid, l->ident.gid) < 0) {
        saved = errno;
        close (fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static int open_output (const launch_t *l, const char *name, cphub_error_t *err)
{
    char path[PATH_MAX];
    int fd;

    snprintf (path, sizeof (path), "%s/%s", l->dir, name);
    fd = create_file (l, path, 0600);
    if (fd < 0)
        cphub_fail (err, errno, "cannot create '%s': %s", path, strerror (errno));
    return fd;
}

static int write_script (launch_t *l, const char *text, cphub_error_t *err)
{
    size_t len = strlen (text), done = 0;
    int fd;

    snprintf (l->script, sizeof (l->script), "%s/script", l->dir);
    fd = create_file (l, l->script, 0700);
    if (fd < 0)
        return cphub_fail (err, errno, "cannot write the job script '%s': %s",
                           l->script, strerror (errno));
    while (done < len) {
        ssize_t n = write (fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close (fd);
            return cphub_fail (err, saved, "cannot write the job script '%s': %s",
                               l->script, strerror (saved));
        }
        done += (size_t)n;
    }
    if (fchmod (fd, 0700) < 0 || close (fd) < 0)
        return cphub_fail (err, errno, "cannot write the job script '%s': %s",
                           l->script, strerror (errno));
    l->script_argv[0] = l->script;
    l->script_argv[1] = NULL;
    l->argv = l->script_argv;
    return 0;
}

static void launch_clear (launch_t *l)
{
    for (int i = 0; i < l->nenv; i++)
        free (l->env[i]);
    hwloc_bitmap_free (l->cpuset);
    hwloc_bitmap_free (l->nodeset);
    int *fds[] = {&l->fd_in, &l->fd_out, &l->fd_err};
    for (size_t i = 0; i < sizeof (fds) / sizeof (fds[0]); i++) {
        if (*fds[i] >= 0)
            close (*fds[i]);
        *fds[i] = -1;
    }
}

/* Who the job runs as (privsep_job_user): its tenant's user, refused
 * when it has none and the map names others or the job would run as
 * root; a root agent resolves the user to switch to it before exec. */
static int launch_user (const exec_t *x,
                        const msg_job_run_t *run,
                        launch_t *l,
                        cphub_error_t *err)
{
    cphub_error_t why = {""};
    const char *user, *group;

    if (privsep_job_user (x->users, run->tenant, geteuid () == 0, &user, &group, &why) <
        0)
        return cphub_fail (err, errno, "%s on %s", why.text, x->node);
    if (!user || !x->switch_user)
        return 0; /* the job runs as the agent */
    if (privsep_resolve (user, group, &l->ident, &why) < 0)
        return cphub_fail (err, errno, "%s on %s", why.text, x->node);
    l->become = true;
    return 0;
}

/* The job's cgroups, so that it can use only what it was given: cpuset =
 * its cpus on a real topology, its NUMA nodes, its memory, the pids limit,
 * and no GPU it was not given. */
static int launch_cgroup (const exec_t *x,
                          const msg_job_run_t *run,
                          launch_t *l,
                          cphub_error_t *err)
{
    cgroup_device_t deny[NODE_GPUS_MAX];
    cgroup_limits_t lim = {.id = run->id, .mem = run->mem, .pids_max = x->pids_max};
    char mems[256] = "";
    idset_t *given = NULL;
    int rc;

    if (!x->cgroups || !cgroup_layout_any (x->cgroups))
        return 0;
    if (topo_binding (x->topo) && run->cpus[0])
        lim.cpus = run->cpus;
    if (l->nodeset &&
        hwloc_bitmap_list_snprintf (mems, sizeof (mems), l->nodeset) > 0 &&
        strlen (mems) < sizeof (mems) - 1)
        lim.mems = mems;
    if (x->ngpu_devices > 0 && !(given = idset_decode (run->gpus, err)))
        return -1;
    for (size_t i = 0; i < x->ngpu_devices && i < NODE_GPUS_MAX; i++)
        if (x->gpu_devices[i].type && !idset_test (given, (int)i))
            deny[lim.ndeny++] = x->gpu_devices[i];
    lim.deny = deny;
    rc = cgroup_job_create (x->cgroups, &lim, &l->cgroup, err);
    idset_destroy (given);
    return rc;
}

/* A fresh run name "<id>.<16 hex digits>" (64 random bits). */
static void run_name (uint64_t id, char *buf, size_t len)
{
    uint64_t token = 0;

    if (getrandom (&token, sizeof (token), GRND_NONBLOCK) != (ssize_t)sizeof (token)) {
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        token ^= (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
                 (uint64_t)ts.tv_sec << 20 ^ (uint64_t)getpid ();
    }
    snprintf (buf, len, "%" PRIu64 ".%016" PRIx64, id, token);
}

/* The run's records directory: the agent's, fresh records, room set aside,
 * the run's name written. An earlier run of the id is done with. */
static int records_prepare (const exec_t *x,
                            uint64_t id,
                            launch_t *l,
                            cphub_error_t *err)
{
    jobdir_run_t old = {.name = ""};
    struct stat st;

    if (exec_records_dir (x, id, l->records, sizeof (l->records)) < 0)
        return cphub_fail (err, ENAMETOOLONG, "records directory path is too long");
    if (mkdir (l->records, 0700) < 0 && errno != EEXIST)
        return cphub_fail (err, errno, "cannot create the records directory '%s': %s",
                           l->records, strerror (errno));
    if (lstat (l->records, &st) < 0 || !S_ISDIR (st.st_mode) || st.st_uid != geteuid ())
        return cphub_fail (err, EPERM, "'%s' is not a records directory of the agent",
                           l->records);
    if (jobdir_run_read (l->records, &old) < 0)
        old.name[0] = '\0';
    if (jobdir_remove (l->records, JOBDIR_PID) < 0 ||
        jobdir_remove (l->records, JOBDIR_STATUS) < 0 ||
        jobdir_remove (l->records, JOBDIR_EXIT) < 0 ||
        jobdir_run_write (l->records, l->run, l->run_number) < 0 ||
        jobdir_reserve (l->records) < 0)
        return cphub_fail (err, errno,
                           "cannot prepare the records of job %" PRIu64 " in '%s': %s",
                           id, l->records, strerror (errno));
    /* After the new run is recorded, so that the records stay. */
    if (old.name[0])
        exec_run_done (x, old.name);
    return 0;
}

static int launch_prepare (const exec_t *x,
                           const msg_job_run_t *run,
                           launch_t *l,
                           cphub_error_t *err)
{
    run_name (run->id, l->run, sizeof (l->run));
    l->run_number = run->run;
    if (snprintf (l->dir, sizeof (l->dir), "%s/%s", x->jobs_dir, l->run) >=
        (int)sizeof (l->dir))
        return cphub_fail (err, ENAMETOOLONG, "job directory path is too long");
    if (launch_user (x, run, l, err) < 0)
        return -1;
    if (records_prepare (x, run->id, l, err) < 0)
        return -1;
    /* Every run gets a directory of its own, made here or not at all. */
    if (mkdir (l->dir, 0700) < 0)
        return cphub_fail (err, errno, "cannot create the job directory '%s': %s",
                           l->dir, strerror (errno));
    /* jobs_dir is the agent's: l->dir is not a link a job could have made */
    if (l->become && chown (l->dir, l->ident.uid, l->ident.gid) < 0)
        return cphub_fail (err, errno, "cannot give the job directory '%s' to %s: %s",
                           l->dir, l->ident.user, strerror (errno));
    l->max_output = x->max_output;
    if (run->spec.script) {
        if (write_script (l, run->spec.script, err) < 0)
            return -1;
    } else if (run->spec.argc > 0 && run->spec.argv && run->spec.argv[0]) {
        l->argv = run->spec.argv;
    } else {
        return cphub_fail (err, EINVAL,
                           "job %" PRIu64 " has neither command nor script", run->id);
    }
    if (launch_env (x, run, l, err) < 0 ||
        topo_binding_sets (x->topo, run->cpus, run->mems, &l->cpuset, &l->nodeset,
                           err) < 0)
        return -1;
    if (launch_cgroup (x, run, l, err) < 0)
        return -1;
    if ((l->fd_in = open ("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
        return cphub_fail (err, errno, "cannot open /dev/null: %s", strerror (errno));
    if ((l->fd_out = open_output (l, "stdout", err)) < 0 ||
        (l->fd_err = open_output (l, "stderr", err)) < 0)
        return -1;
    l->x = x;
    return 0;
}

/* --- the job's process ---------------------------------------------------- */

/* In the shepherd, before the job's process exists: bind (the job inherits
 * its CPU set and memory policy). */
static void job_bind (void *arg)
{
    const launch_t *l = arg;
    hwloc_topology_t hw = topo_hwloc (l->x->topo);

    if (l->cpuset && hwloc_set_cpubind (hw, l->cpuset, HWLOC_CPUBIND_PROCESS) < 0)
        shepherd_fail (SHEPHERD_STAGE_CPUBIND);
    if (l->nodeset && hwloc_set_membind (hw, l->nodeset, HWLOC_MEMBIND_BIND,
                                         HWLOC_MEMBIND_BYNODESET) < 0)
        shepherd_fail (SHEPHERD_STAGE_MEMBIND);
}

/* In the job's process, a vfork child of its shepherd: join the job's
 * cgroups, become the tenant's user (while still root: the cgroup files are
 * root's), take umask 077, execute. */
static void job_exec (void *arg)
{
    const launch_t *l = arg;

    if (l->cgroup.ndirs > 0 && cgroup_job_join (&l->cgroup) < 0)
        shepherd_fail (SHEPHERD_STAGE_CGROUP);
    if (l->max_output > 0) {
        struct rlimit lim = {.rlim_cur = (rlim_t)l->max_output,
                             .rlim_max = (rlim_t)l->max_output};
        if (setrlimit (RLIMIT_FSIZE, &lim) < 0)
            shepherd_fail (SHEPHERD_STAGE_LIMIT);
    }
    if (l->become && privsep_become (&l->ident) < 0)
        shepherd_fail (SHEPHERD_STAGE_USER);
    /* what the job makes outside its directory (/tmp) is its tenant's
     * alone unless the job says otherwise */
    umask (077);
    environ = (char **)l->env;
    if (l->script[0])
        execve (l->script, l->argv, (char *const *)l->env);
    else
        execvp (l->argv[0], l->argv);
    shepherd_fail (SHEPHERD_STAGE_EXEC);
}

/* --- starting ------------------------------------------------------------- */

static void start_failed_text (const launch_t *l,
                               const msg_job_run_t *run,
                               shepherd_stage_t stage,
                               int errnum,
                               cphub_error_t *err)
{
    const char *why = strerror (errnum);

    if (stage == SHEPHERD_STAGE_EXEC && l->script[0])
        cphub_error_set (err, "cannot execute the job script: %s%s", why,
                         errnum == ENOEXEC ? " (it must start with #!)" : "");
    else if (stage == SHEPHERD_STAGE_EXEC)
        cphub_error_set (err, "cannot execute '%s': %s", l->argv[0], why);
    else if (stage == SHEPHERD_STAGE_CPUBIND)
        cphub_error_set (err, "cannot bind to cpus %s: %s", run->cpus, why);
    else if (stage == SHEPHERD_STAGE_MEMBIND)
        cphub_error_set (err, "cannot bind memory to NUMA domains %s: %s", run->mems,
                         why);
    else
        cphub_error_set (err, "cannot %s: %s", stage_text[stage], why);
}

int exec_start (exec_t *x,
                const msg_job_run_t *run,
                int64_t *pid,
                double *start_time,
                cphub_error_t *err)
{
    launch_t l = {.fd_in = -1, .fd_out = -1, .fd_err = -1};
    shepherd_launch_t sl;
    shepherd_started_t started;
    shepherd_stage_t stage;
    exec_job_t *job = NULL;
    int saved;

    if (exec_job_find (x, run->id)) {
        cphub_fail (err, EEXIST, "job %" PRIu64 " is already running on %s", run->id,
                    x->node);
        return -1;
    }
    if (!(job = calloc (1, sizeof (*job)))) {
        cphub_fail (err, ENOMEM, "out of memory");
        goto error;
    }
    if (launch_prepare (x, run, &l, err) < 0)
        goto error;
    sl =
        (shepherd_launch_t){.dir = l.dir,
                            .records = l.records,
                            .kill_grace = x->kill_grace,
                            .max_output = x->max_output,
                            .pid_ns = geteuid () == 0,
                            .fd_in = l.fd_in,
                            .fd_out = l.fd_out,
                            .fd_err = l.fd_err,
                            .walltime = run->spec.walltime > 0 ? run->spec.walltime : 0,
                            .bind = job_bind,
                            .exec = job_exec,
                            .arg = &l,
                            .cgroup = l.cgroup.ndirs > 0 ? &l.cgroup : NULL};
    if (shepherd_spawn (&sl, &started, &stage) < 0) {
        saved = errno;
        start_failed_text (&l, run, stage, saved, err);
        errno = saved;
        goto error;
    }
    l.cgroup.ndirs = 0; /* the shepherd removes them */
    job->id = run->id;
    job->run = run->run;
    job->pid = started.pid;
    job->shepherd = started.shepherd;
    job->pidfd = -1;
    job->child = true;
    job->start_time = started.start_time;
    job->walltime = sl.walltime;
    job->walltime_at = job->walltime ? cphub_monotonic () + (double)job->walltime : 0;
    HASH_ADD (hh, x->by_id, id, sizeof (job->id), job);
    HASH_ADD (hh_shepherd, x->by_shepherd, shepherd, sizeof (job->shepherd), job);
    *pid = job->pid;
    *start_time = job->start_time;
    launch_clear (&l);
    return 0;
error:
    saved = errno;
    if (l.cgroup.ndirs > 0) {
        cgroup_job_kill (&l.cgroup);
        cgroup_job_remove (&l.cgroup);
    }
    launch_clear (&l);
    free (job);
    errno = saved;
    return -1;
}

/* --- killing and time limits ---------------------------------------------- */

void exec_job_signal (const exec_job_t *job, int sig)
{
    if (kill (-job->pid, sig) < 0 && errno == ESRCH)
        kill (job->pid, sig);
}

void exec_job_terminate (const exec_t *x, exec_job_t *job, double now)
{
    exec_job_signal (job, SIGTERM);
    if (job->kill_at == 0 || job->kill_at > now + (double)x->kill_grace)
        job->kill_at = now + (double)x->kill_grace;
    if (x->kill_grace <= 0) {
        exec_job_signal (job, SIGKILL);
        job->kill_at = 0;
        if (job->killed_at == 0)
            job->killed_at = now;
    }
}

/* Note in the pid file how the job is to end, for an agent restart. */
static void job_mark_kill (const exec_t *x, const exec_job_t *job, jobdir_kill_t kind)
{
    char dir[PATH_MAX];

    if (exec_records_dir (x, job->id, dir, sizeof (dir)) == 0)
        jobdir_pid_kill (dir, kind);
}

int exec_kill (exec_t *x, uint64_t id, int signal, cphub_error_t *err)
{
    exec_job_t *job = exec_job_find (x, id);
    double now = cphub_monotonic ();

    if (!job)
        return cphub_fail (err, ENOENT, "job %" PRIu64 " is not running on %s", id,
                           x->node);
    if (signal != 0 && signal != SIGTERM && signal != SIGKILL) {
        if (signal < 0 || signal >= NSIG)
            return cphub_fail (err, EINVAL, "signal %d is not a signal number", signal);
        exec_job_signal (job, signal);
        return 0;
    }
    if (!job->cancelled && !job->timed_out) {
        job->cancelled = true;
        job_mark_kill (x, job, JOBDIR_KILL_CANCELLED);
    }
    if (signal == SIGKILL) {
        exec_job_signal (job, SIGKILL);
        job->kill_at = 0;
        if (job->killed_at == 0)
            job->killed_at = now;
    } else {
        exec_job_terminate (x, job, now);
    }
    return 0;
}

/* Called from exec_tick() when a job reaches its wall-time limit. */
void exec_job_timeout (exec_t *x, exec_job_t *job, double now)
{
    job->walltime_at = 0;
    if (job->cancelled)
        return;
    job->timed_out = true;
    job_mark_kill (x, job, JOBDIR_KILL_TIMEOUT);
    exec_job_terminate (x, job, now);
}

/* --- queries -------------------------------------------------------------- */

uint32_t exec_count (const exec_t *x)
{
    return (uint32_t)HASH_CNT (hh, x->by_id);
}

bool exec_running (const exec_t *x, uint64_t id)
{
    return exec_job_find (x, id) != NULL;
}

int exec_job_info (
    const exec_t *x, uint64_t id, int64_t *pid, double *start_time, uint32_t *run)
{
    const exec_job_t *job = exec_job_find (x, id);

    if (!job) {
        errno = ENOENT;
        return -1;
    }
    *pid = job->pid;
    *start_time = job->start_time;
    *run = job->run;
    return 0;
}

uint64_t *exec_job_ids (const exec_t *x, uint32_t *count)
{
    uint32_t n = exec_count (x), i = 0;
    const exec_job_t *job, *tmp;
    uint64_t *ids;

    *count = 0;
    if (n == 0 || !(ids = malloc (n * sizeof (*ids))))
        return NULL;
    HASH_ITER (hh, x->by_id, job, tmp)
    {
        ids[i++] = job->id;
    }
    *count = i;
    return ids;
}

int exec_records_dir (const exec_t *x, uint64_t id, char *buf, size_t len)
{
    int n = snprintf (buf, len, "%s/%" PRIu64, x->runs_dir, id);
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int exec_output_path (
    const exec_t *x, uint64_t id, log_stream_t stream, char *buf, size_t len)
{
    char records[PATH_MAX];
    jobdir_run_t run;
    int n;

    if (exec_records_dir (x, id, records, sizeof (records)) < 0)
        return -1;
    if (jobdir_run_read (records, &run) < 0) {
        errno = ENOENT;
        return -1;
    }
    n = snprintf (buf, len, "%s/%s/%s", x->jobs_dir, run.name,
                  stream == LOG_STREAM_STDERR ? "stderr" : "stdout");
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

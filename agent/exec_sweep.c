/* exec_sweep.c: the end of a run's directories (exec_int.h). A run is done
 * when the scheduler has acknowledged its exit or a new run of its id
 * starts; its working directory <state_dir>/jobs/<id>.<token> is kept for
 * keep_job_dirs seconds after that (so that `cphub logs` still finds its
 * output), then removed, with the run's records if no newer run of the id
 * has them.
 *
 * A done run is a marker file runs/done/<id>.<token>, whose modification
 * time (set by the agent, in a directory only the agent can write) is when
 * it was done. exec_tick() sweeps the markers a bounded batch at a time,
 * once per EXEC_SWEEP_INTERVAL at most, so that no tick scans a large
 * directory or waits for a tree to be removed: a job's tree, which may hold
 * anything the job made, is removed by a child process (rm -rf, which never
 * follows symbolic links), reaped like any other child of the agent. A pass
 * that finds the jobs' file system nearly full removes every done run's
 * directory, however young: the space a job took goes back as soon as the
 * job is done, not keep_job_dirs later.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "agent/exec_int.h"
#include "cphub/log.h"

/* The records a run leaves in runs/<id>, removed with its directory. */
static const char *const record_names[] = {
    JOBDIR_RUN,           JOBDIR_STATUS,      JOBDIR_PID ".tmp",
    JOBDIR_STATUS ".tmp", JOBDIR_EXIT ".tmp", JOBDIR_RUN ".tmp",
};

/* Remove dir (a tree a job made) in a child process: rm never follows a
 * symbolic link and stays on the directory's file system. */
static void tree_remove (const char *dir)
{
    pid_t pid = fork ();

    if (pid != 0)
        return; /* the agent reaps it (exec_reap) or it could not fork */
#ifdef SYS_close_range
    syscall (SYS_close_range, 3U, ~0U, 0U);
#endif
    execl ("/bin/rm", "rm", "-rf", "--one-file-system", "--", dir, (char *)NULL);
    _exit (127);
}

/* The run's records go with it unless the id has run again since. */
static void records_remove (const exec_t *x, const char *name)
{
    char records[PATH_MAX];
    jobdir_run_t run;
    uint64_t id = strtoull (name, NULL, 10);

    if (exec_job_find (x, id) ||
        exec_records_dir (x, id, records, sizeof (records)) < 0)
        return;
    if (jobdir_run_read (records, &run) < 0 || strcmp (run.name, name) != 0 ||
        jobdir_has (records, JOBDIR_PID) || jobdir_has (records, JOBDIR_EXIT))
        return;
    for (size_t i = 0; i < sizeof (record_names) / sizeof (record_names[0]); i++)
        jobdir_remove (records, record_names[i]);
    rmdir (records);
}

void exec_run_remove (const exec_t *x, const char *name)
{
    char dir[PATH_MAX];
    struct stat st;

    if (!jobdir_run_name_valid (name))
        return;
    if (snprintf (dir, sizeof (dir), "%s/%s", x->jobs_dir, name) < (int)sizeof (dir) &&
        lstat (dir, &st) == 0)
        tree_remove (dir);
    records_remove (x, name);
}

void exec_run_done (const exec_t *x, const char *name)
{
    char marker[PATH_MAX];
    int fd;

    if (!jobdir_run_name_valid (name))
        return;
    if (x->keep_job_dirs == 0 || snprintf (marker, sizeof (marker), "%s/%s",
                                           x->done_dir, name) >= (int)sizeof (marker)) {
        exec_run_remove (x, name);
        return;
    }
    /* Done once: a second acknowledgement does not make it last longer. */
    fd = open (marker, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno != EEXIST)
            exec_run_remove (x, name); /* no marker (a full disk): not kept */
        return;
    }
    close (fd);
}

void exec_sweep_stop (exec_t *x)
{
    if (x->sweep) {
        closedir (x->sweep);
        x->sweep = NULL;
    }
}

double exec_sweep_next (const exec_t *x)
{
    return x->keep_job_dirs > 0 ? x->sweep_at : 0;
}

/* Is the file system of dir nearly full (blocks or inodes)? */
static bool space_low (const char *dir)
{
    struct statvfs fs;

    if (statvfs (dir, &fs) < 0)
        return false;
    return (fs.f_blocks > 0 && fs.f_bavail < fs.f_blocks / EXEC_SWEEP_LOW_SPACE) ||
           (fs.f_files > 0 && fs.f_favail < fs.f_files / EXEC_SWEEP_LOW_SPACE);
}

void exec_sweep (exec_t *x, double now)
{
    struct dirent *de;
    time_t wall = time (NULL);
    int removed = 0;

    if (x->keep_job_dirs <= 0 || now < x->sweep_at)
        return;
    if (!x->sweep) {
        if (!(x->sweep = opendir (x->done_dir))) {
            x->sweep_at = now + EXEC_SWEEP_INTERVAL;
            return;
        }
        bool low = space_low (x->jobs_dir);
        if (low && !x->sweep_low)
            log_warn (
                "the file system of %s is nearly full: directories of done "
                "jobs are removed now, not after keep_job_dirs",
                x->jobs_dir);
        x->sweep_low = low;
    }
    for (int n = 0; n < EXEC_SWEEP_BATCH && removed < EXEC_SWEEP_REMOVE_MAX; n++) {
        struct stat st;
        char name[JOBDIR_RUN_NAME_MAX];

        if (!(de = readdir (x->sweep))) {
            exec_sweep_stop (x); /* the next pass starts over */
            x->sweep_at = now + EXEC_SWEEP_INTERVAL;
            return;
        }
        if (!jobdir_run_name_valid (de->d_name) ||
            fstatat (dirfd (x->sweep), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            (!x->sweep_low && (int64_t)(wall - st.st_mtime) < x->keep_job_dirs))
            continue;
        snprintf (name, sizeof (name), "%s", de->d_name);
        if (unlinkat (dirfd (x->sweep), name, 0) == 0) {
            exec_run_remove (x, name);
            removed++;
        }
    }
    /* more to look at: the next tick goes on, after a pause if it removed */
    x->sweep_at = removed > 0 ? now + EXEC_SWEEP_PAUSE : now;
}

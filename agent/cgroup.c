/* cgroup.c: per-job control groups (cgroup.h), the part that touches
 * /sys/fs/cgroup (cgroup_layout.c has the pure part: parsing, choosing,
 * formatting).
 *
 * The agent part (cgroup_layout_probe, cgroup_job_create) makes groups and
 * writes limits with ordinary file calls and reports failures as text. The
 * last part runs in the job's process and its shepherd, children of a
 * threaded agent: it builds paths with memcpy and numbers by hand and makes
 * only system calls.
 */
#include "agent/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define PROC_TEXT_MAX (1 << 20) /* /proc/self/mountinfo read at most */
#define PROCS_BUF 8192          /* cgroup.procs read per round */
#define REMOVE_TRIES 100        /* x 10 ms */

/* ---- system-call-only helpers ---------------------------------------------- */

/* dir + "/" + name into buf; -1/ENAMETOOLONG. */
static int path_join (char *buf, size_t len, const char *dir, const char *name)
{
    size_t d = strlen (dir), n = strlen (name);

    if (d + 1 + n + 1 > len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy (buf, dir, d);
    buf[d] = '/';
    memcpy (buf + d + 1, name, n + 1);
    return 0;
}

/* Read up to len - 1 bytes of path, NUL-terminated: the length, -1/errno. */
static ssize_t read_text (const char *path, char *buf, size_t len)
{
    size_t got = 0;
    ssize_t n;
    int fd;

    if ((fd = open (path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    while (got < len - 1) {
        n = read (fd, buf + got, len - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close (fd);
    buf[got] = '\0';
    return (ssize_t)got;
}

/* One write of value to dir/name (controller files take one write). */
static int write_value (const char *dir, const char *name, const char *value)
{
    char path[CGROUP_PATH_MAX + 64];
    size_t len = strlen (value);
    ssize_t n;
    int fd, saved;

    if (path_join (path, sizeof (path), dir, name) < 0)
        return -1;
    if ((fd = open (path, O_WRONLY | O_CLOEXEC)) < 0)
        return -1;
    do
        n = write (fd, value, len);
    while (n < 0 && errno == EINTR);
    saved = errno;
    close (fd);
    if (n != (ssize_t)len) {
        errno = n < 0 ? saved : EIO;
        return -1;
    }
    return 0;
}

static void nap_10ms (void)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
    nanosleep (&ts, NULL);
}

/* ---- the agent ----------------------------------------------------------------- */

/* The whole text of a /proc file, malloc'd; NULL/errno. */
static char *slurp (const char *path)
{
    size_t cap = 16384, got = 0;
    char *buf = malloc (cap), *grown;
    ssize_t n;
    int fd;

    if (!buf)
        return NULL;
    if ((fd = open (path, O_RDONLY | O_CLOEXEC)) < 0) {
        free (buf);
        return NULL;
    }
    for (;;) {
        if (got + 1 >= cap) {
            if (cap >= PROC_TEXT_MAX || !(grown = realloc (buf, cap * 2)))
                break;
            buf = grown;
            cap *= 2;
        }
        n = read (fd, buf + got, cap - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close (fd);
    buf[got] = '\0';
    return buf;
}

/* Stop using controller c, noting why: "cpuset,memory: what (error)". */
static void drop (cgroup_layout_t *l, cgroup_ctl_t c, const char *what, int errnum)
{
    char why[96], head[sizeof (l->note)];
    size_t used = strlen (l->note), wlen;

    l->version[c] = 0;
    snprintf (why, sizeof (why), ": %s (%s)", what, strerror (errnum));
    wlen = strlen (why);
    if (used >= wlen && strcmp (l->note + used - wlen, why) == 0) {
        /* the same reason as the controller before: name both */
        snprintf (head, sizeof (head), "%.*s", (int)(used - wlen), l->note);
        if (snprintf (l->note, sizeof (l->note), "%s,%s%s", head,
                      cgroup_ctl_name ((cgroup_ctl_t)c), why) >= (int)sizeof (l->note))
            l->note[sizeof (l->note) - 1] = '\0'; /* cut short */
        return;
    }
    snprintf (l->note + used, sizeof (l->note) - used, "%s%s%s", used ? "; " : "",
              cgroup_ctl_name ((cgroup_ctl_t)c), why);
}

static int mkdir_ok (const char *dir)
{
    return mkdir (dir, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* v1 cpuset: a new group has no CPUs and no memory nodes: take the
 * parent's. */
static int cpuset_inherit (const char *parent, const char *dir)
{
    static const char *const files[][2] = {
        {"cpuset.effective_cpus", "cpuset.cpus"},
        {"cpuset.effective_mems", "cpuset.mems"},
    };
    char path[CGROUP_PATH_MAX + 64], value[4096];

    for (size_t i = 0; i < 2; i++) {
        if (path_join (path, sizeof (path), dir, files[i][1]) < 0 ||
            read_text (path, value, sizeof (value)) < 0)
            return -1;
        if (value[0] && value[0] != '\n')
            continue; /* set before */
        if ((path_join (path, sizeof (path), parent, files[i][0]) < 0 ||
             read_text (path, value, sizeof (value)) <= 0) &&
            (path_join (path, sizeof (path), parent, files[i][1]) < 0 ||
             read_text (path, value, sizeof (value)) < 0))
            return -1;
        value[strcspn (value, "\n")] = '\0';
        if (write_value (dir, files[i][1], value) < 0)
            return -1;
    }
    return 0;
}

/* The parent of base (the agent's own group). */
static void parent_of (const char *base, char *buf, size_t len)
{
    snprintf (buf, len, "%s", base);
    char *slash = strrchr (buf, '/');
    if (slash && slash != buf)
        *slash = '\0';
}

/* v2: let children of base use the layout's v2 controllers. */
static int v2_subtree (const cgroup_layout_t *l, const char *base)
{
    for (int c = 0; c < CGROUP_CTL_COUNT; c++) {
        char word[16];
        if (l->version[c] != 2)
            continue;
        snprintf (word, sizeof (word), "+%s", cgroup_ctl_name ((cgroup_ctl_t)c));
        if (write_value (base, "cgroup.subtree_control", word) < 0)
            return -1;
    }
    return 0;
}

/* The agent's group of controller c exists and is set up: made again if
 * it went (a shepherd removes it when its job leaves it empty). */
static int base_ensure (const cgroup_layout_t *l, int c)
{
    char parent[CGROUP_PATH_MAX];
    bool made = mkdir (l->base[c], 0755) == 0;

    if (!made && errno != EEXIST)
        return -1;
    /* jobs together never take every pid of the node, so that its agent
     * can still start shepherds and other tenants' jobs can still fork */
    if (c == CGROUP_PIDS && l->pids_all > 0) {
        char value[24];
        snprintf (value, sizeof (value), "%" PRId64, l->pids_all);
        if (write_value (l->base[c], "pids.max", value) < 0)
            return -1;
    }
    parent_of (l->base[c], parent, sizeof (parent));
    if (l->version[c] == 1 && c == CGROUP_CPUSET)
        return cpuset_inherit (parent, l->base[c]); /* reads only, once set */
    if (l->version[c] == 2 && made)
        return v2_subtree (l, l->base[c]);
    return 0;
}

/* Remove the empty groups other agents left beside base ("cphub-*"): a
 * group of an agent that is alive is made again when it needs it. */
static void sweep (const char *base)
{
    char parent[CGROUP_PATH_MAX], path[CGROUP_PATH_MAX + 256];
    const char *mine = strrchr (base, '/');
    struct dirent *de;
    DIR *d;

    parent_of (base, parent, sizeof (parent));
    if (!mine || !(d = opendir (parent)))
        return;
    while ((de = readdir (d))) {
        if (strncmp (de->d_name, "cphub-", 6) != 0 ||
            strcmp (de->d_name, mine + 1) == 0 ||
            strcmp (de->d_name, CGROUP_V2_AGENT_LEAF) == 0)
            continue;
        snprintf (path, sizeof (path), "%s/%s", parent, de->d_name);
        rmdir (path); /* fails unless empty */
    }
    closedir (d);
}

/* v2: let children of dir use the chosen controllers; the agent moves into
 * a leaf of its own when its group holds processes. */
static void v2_enable (cgroup_layout_t *l, const char *dir, bool may_move)
{
    for (int c = 0; c < CGROUP_CTL_COUNT; c++) {
        char word[16];

        if (l->version[c] != 2)
            continue;
        snprintf (word, sizeof (word), "+%s", cgroup_ctl_name ((cgroup_ctl_t)c));
        if (write_value (dir, "cgroup.subtree_control", word) == 0)
            continue;
        if (errno == EBUSY && may_move) {
            char leaf[CGROUP_PATH_MAX + 16];
            snprintf (leaf, sizeof (leaf), "%s/%s", dir, CGROUP_V2_AGENT_LEAF);
            if (mkdir_ok (leaf) == 0 && write_value (leaf, "cgroup.procs", "0") == 0 &&
                write_value (dir, "cgroup.subtree_control", word) == 0)
                continue;
        }
        drop (l, (cgroup_ctl_t)c, "cannot enable it for job groups", errno);
    }
}

int cgroup_layout_probe (const char *node,
                         const char *tag,
                         cgroup_layout_t *out,
                         cphub_error_t *err)
{
    char *mountinfo = slurp ("/proc/self/mountinfo");
    char *self = slurp ("/proc/self/cgroup");
    char ctls[512] = "", path[CGROUP_PATH_MAX + 64], own[CGROUP_PATH_MAX];
    cgroup_mounts_t m;
    bool v2 = false;
    int rc = -1;

    memset (out, 0, sizeof (*out));
    if (!mountinfo || !self) {
        snprintf (out->note, sizeof (out->note), "cannot read /proc/self: %s",
                  strerror (errno));
        rc = 0;
        goto done;
    }
    if (cgroup_mounts_parse (mountinfo, self, &m) < 0) {
        cphub_fail (err, errno, "cannot make sense of /proc/self/mountinfo: %s",
                    strerror (errno));
        goto done;
    }
    if (m.v2.version &&
        path_join (path, sizeof (path), m.v2.dir, "cgroup.controllers") == 0)
        read_text (path, ctls, sizeof (ctls));
    if (cgroup_layout_choose (&m, m.v2.version ? ctls : NULL, node, tag, out) < 0) {
        cphub_fail (err, errno, "cgroup paths are too long");
        goto done;
    }
    for (int c = 0; c < CGROUP_CTL_COUNT; c++) {
        if (out->version[c] != 2 || v2)
            continue;
        /* the agent's own v2 group, where base goes */
        v2 = true;
        parent_of (out->base[c], own, sizeof (own));
        v2_enable (out, own, strcmp (own, m.v2.dir) == 0);
    }
    for (int c = 0; c < CGROUP_CTL_COUNT; c++) {
        if (!out->version[c])
            continue;
        sweep (out->base[c]);
        parent_of (out->base[c], own, sizeof (own));
        if (mkdir_ok (out->base[c]) < 0)
            drop (out, (cgroup_ctl_t)c, "cannot make the agent's group", errno);
        else if (out->version[c] == 1 && c == CGROUP_CPUSET &&
                 cpuset_inherit (own, out->base[c]) < 0)
            drop (out, (cgroup_ctl_t)c, "cannot set up the agent's cpuset", errno);
    }
    for (int c = 0; c < CGROUP_CTL_COUNT; c++)
        if (out->version[c] == 2) {
            v2_enable (out, out->base[c], false);
            break;
        }
    rc = 0;
done:
    free (mountinfo);
    free (self);
    return rc;
}

void cgroup_layout_release (const cgroup_layout_t *l)
{
    for (int c = 0; c < CGROUP_CTL_COUNT; c++)
        if (l->version[c])
            rmdir (l->base[c]); /* fails while groups of running jobs remain */
}

/* Write and say what failed. */
static int job_write (const char *dir,
                      const char *file,
                      const char *value,
                      cphub_error_t *err)
{
    if (write_value (dir, file, value) == 0)
        return 0;
    return cphub_fail (err, errno, "cannot write '%s' to %s/%s: %s", value, dir, file,
                       strerror (errno));
}

/* Make dir afresh: what an earlier run left is emptied and removed. */
static int job_mkdir (const char *dir, cphub_error_t *err)
{
    cgroup_job_t old = {.ndirs = 1, .mem_dir = -1};

    if (mkdir (dir, 0755) == 0)
        return 0;
    if (errno == EEXIST) {
        snprintf (old.dirs[0], sizeof (old.dirs[0]), "%s", dir);
        cgroup_job_kill (&old);
        if (cgroup_job_remove (&old) == 0 && mkdir (dir, 0755) == 0)
            return 0;
    }
    return cphub_fail (err, errno, "cannot make the job's cgroup %s: %s", dir,
                       strerror (errno));
}

static int job_cpuset (const cgroup_layout_t *l,
                       const char *dir,
                       const cgroup_limits_t *lim,
                       cphub_error_t *err)
{
    const char *want[2] = {lim->cpus, lim->mems};
    const char *files[2] = {"cpuset.cpus", "cpuset.mems"};
    char path[CGROUP_PATH_MAX + 64], value[4096];

    for (int i = 0; i < 2; i++) {
        if (want[i] && want[i][0]) {
            if (job_write (dir, files[i], want[i], err) < 0)
                return -1;
            continue;
        }
        if (l->version[CGROUP_CPUSET] == 2)
            continue; /* empty: the parent's */
        if (path_join (path, sizeof (path), l->base[CGROUP_CPUSET], files[i]) < 0 ||
            read_text (path, value, sizeof (value)) < 0)
            return cphub_fail (err, errno, "cannot read %s/%s: %s",
                               l->base[CGROUP_CPUSET], files[i], strerror (errno));
        value[strcspn (value, "\n")] = '\0';
        if (job_write (dir, files[i], value, err) < 0)
            return -1;
    }
    return 0;
}

static int job_memory (int version,
                       const char *dir,
                       const cgroup_limits_t *lim,
                       cphub_error_t *err)
{
    char value[32];

    cgroup_format_mem (version, lim->mem, value, sizeof (value));
    if (version == 2) {
        if (job_write (dir, "memory.max", value, err) < 0)
            return -1;
        /* no swap on top of the limit, where swap is accounted */
        if (lim->mem && write_value (dir, "memory.swap.max", "0") < 0 &&
            errno != ENOENT)
            return cphub_fail (err, errno, "cannot write '0' to %s/memory.swap.max: %s",
                               dir, strerror (errno));
        return 0;
    }
    /* memsw >= limit at every step: lift it, set the limit, then memsw */
    write_value (dir, "memory.memsw.limit_in_bytes", "-1");
    if (job_write (dir, "memory.limit_in_bytes", value, err) < 0)
        return -1;
    if (lim->mem && write_value (dir, "memory.memsw.limit_in_bytes", value) < 0 &&
        errno != ENOENT)
        return cphub_fail (err, errno,
                           "cannot write '%s' to %s/memory.memsw.limit_in_bytes: %s",
                           value, dir, strerror (errno));
    return 0;
}

/* Index of dir in job->dirs, adding it (made, empty) if new; -1 on error. */
static int job_dir (cgroup_job_t *job, const char *dir, cphub_error_t *err)
{
    for (int i = 0; i < job->ndirs; i++)
        if (strcmp (job->dirs[i], dir) == 0)
            return i;
    if (job_mkdir (dir, err) < 0)
        return -1;
    snprintf (job->dirs[job->ndirs], sizeof (job->dirs[0]), "%s", dir);
    return job->ndirs++;
}

int cgroup_job_create (const cgroup_layout_t *l,
                       const cgroup_limits_t *lim,
                       cgroup_job_t *job,
                       cphub_error_t *err)
{
    char dir[CGROUP_PATH_MAX], value[64];
    int saved;

    memset (job, 0, sizeof (*job));
    job->mem_dir = -1;
    for (int c = 0; c < CGROUP_CTL_COUNT; c++) {
        int i, rc = 0;

        if (!l->version[c])
            continue;
        if (cgroup_job_path (l, (cgroup_ctl_t)c, lim->id, dir, sizeof (dir)) < 0) {
            cphub_fail (err, errno, "the job's cgroup path is too long");
            goto error;
        }
        /* a shepherd may remove the agent's group as this job comes */
        for (int tries = 0;; tries++) {
            if (base_ensure (l, c) < 0) {
                if (errno == ENOENT && tries < 2)
                    continue;
                cphub_fail (err, errno, "cannot make the agent's cgroup %s: %s",
                            l->base[c], strerror (errno));
                goto error;
            }
            if ((i = job_dir (job, dir, err)) >= 0 || errno != ENOENT || tries == 2)
                break;
        }
        if (i < 0)
            goto error;
        switch ((cgroup_ctl_t)c) {
        case CGROUP_CPUSET:
            rc = job_cpuset (l, dir, lim, err);
            break;
        case CGROUP_MEMORY:
            job->mem_dir = i;
            job->mem_version = l->version[c];
            rc = job_memory (l->version[c], dir, lim, err);
            break;
        case CGROUP_PIDS:
            if (lim->pids_max > 0)
                snprintf (value, sizeof (value), "%" PRId64, lim->pids_max);
            else
                snprintf (value, sizeof (value), "max");
            rc = job_write (dir, "pids.max", value, err);
            break;
        case CGROUP_DEVICES:
            for (size_t d = 0; d < lim->ndeny && rc == 0; d++) {
                if (!lim->deny[d].type)
                    continue;
                cgroup_device_rule (&lim->deny[d], value, sizeof (value));
                rc = job_write (dir, "devices.deny", value, err);
            }
            break;
        case CGROUP_CTL_COUNT:
            break;
        }
        if (rc < 0)
            goto error;
    }
    return 0;
error:
    saved = errno;
    cgroup_job_remove (job);
    memset (job, 0, sizeof (*job));
    job->mem_dir = -1;
    errno = saved;
    return -1;
}

/* ---- the job's process and its shepherd ---------------------------------------- */

int cgroup_job_join (const cgroup_job_t *job)
{
    for (int i = 0; i < job->ndirs; i++)
        if (write_value (job->dirs[i], "cgroup.procs", "0") < 0)
            return -1;
    return 0;
}

int cgroup_job_kill (const cgroup_job_t *job)
{
    char path[CGROUP_PATH_MAX + 64], buf[PROCS_BUF];
    int count = 0;

    for (int i = 0; i < job->ndirs; i++) {
        ssize_t n;

        if (path_join (path, sizeof (path), job->dirs[i], "cgroup.procs") < 0)
            return -1;
        if ((n = read_text (path, buf, sizeof (buf))) < 0) {
            if (errno == ENOENT)
                continue;
            return -1;
        }
        /* a number cut off at the end of a full buffer waits for the next
         * round */
        if ((size_t)n == sizeof (buf) - 1)
            while (n > 0 && buf[n - 1] != '\n')
                buf[--n] = '\0';
        for (const char *p = buf; *p;) {
            int64_t pid = 0;
            while (*p >= '0' && *p <= '9')
                pid = pid * 10 + (*p++ - '0');
            if (pid > 1 && kill ((pid_t)pid, SIGKILL) == 0)
                count++;
            while (*p && (*p < '0' || *p > '9'))
                p++;
        }
    }
    return count;
}

uint64_t cgroup_job_oom_kills (const cgroup_job_t *job)
{
    char path[CGROUP_PATH_MAX + 64], buf[1024];

    if (job->mem_dir < 0 || job->mem_dir >= job->ndirs ||
        path_join (path, sizeof (path), job->dirs[job->mem_dir],
                   job->mem_version == 2 ? "memory.events" : "memory.oom_control") <
            0 ||
        read_text (path, buf, sizeof (buf)) < 0)
        return 0;
    return cgroup_parse_oom_kill (buf);
}

void cgroup_job_release_bases (const cgroup_job_t *job)
{
    for (int i = 0; i < job->ndirs; i++) {
        char parent[CGROUP_PATH_MAX];
        size_t n = strlen (job->dirs[i]);

        while (n > 1 && job->dirs[i][n - 1] != '/')
            n--;
        if (n <= 1)
            continue;
        memcpy (parent, job->dirs[i], n - 1);
        parent[n - 1] = '\0';
        rmdir (parent); /* fails while the agent's other jobs have groups */
    }
}

int cgroup_job_remove (const cgroup_job_t *job)
{
    int rc = 0, saved = 0;

    for (int i = job->ndirs - 1; i >= 0; i--) {
        int tries = 0;
        while (rmdir (job->dirs[i]) < 0) {
            if (errno == ENOENT)
                break;
            if (errno != EBUSY || ++tries >= REMOVE_TRIES) {
                saved = errno;
                rc = -1;
                break;
            }
            nap_10ms ();
        }
    }
    if (rc < 0)
        errno = saved;
    return rc;
}

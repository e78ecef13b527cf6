/* jobdir.c: the run, pid, status and exit records of a job (in the agent's
 * records directory), and the few facts about processes the agent reads from
 * /proc (jobdir.h).
 *
 * Writers build the whole record in a buffer with the hand-made formatters
 * below (no stdio, no malloc: the shepherd calls them in a forked child),
 * write it to NAME.tmp and rename it over NAME. Readers (the agent only) read
 * the file whole and walk a table of fields per record, so that a record is
 * data: key, type, where it goes, whether it must be there.
 */
#include "agent/jobdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h> /* rename */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RECORD_MAX 8192

/* ---- formatting without libc's stdio ------------------------------------- */

typedef struct out {
    char buf[RECORD_MAX];
    size_t len;
    bool overflow;
} out_t;

static void out_mem (out_t *o, const char *s, size_t n)
{
    if (o->len + n >= sizeof (o->buf)) {
        o->overflow = true;
        return;
    }
    memcpy (o->buf + o->len, s, n);
    o->len += n;
}

static void out_str (out_t *o, const char *s)
{
    out_mem (o, s, strlen (s));
}

static void out_u64 (out_t *o, uint64_t v)
{
    char digits[24];
    size_t n = sizeof (digits);

    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out_mem (o, digits + n, sizeof (digits) - n);
}

static void out_i64 (out_t *o, int64_t v)
{
    if (v < 0) {
        out_str (o, "-");
        out_u64 (o, (uint64_t)0 - (uint64_t)v);
    } else {
        out_u64 (o, (uint64_t)v);
    }
}

/* A non-negative number of seconds with six decimals. */
static void out_seconds (out_t *o, double v)
{
    uint64_t us = v > 0 ? (uint64_t)(v * 1e6 + 0.5) : 0;
    char frac[7];

    out_u64 (o, us / 1000000);
    us %= 1000000;
    for (int i = 5; i >= 0; i--) {
        frac[i] = (char)('0' + us % 10);
        us /= 10;
    }
    frac[6] = '\0';
    out_str (o, ".");
    out_str (o, frac);
}

/* "key value\n" helpers. */
static void line_u64 (out_t *o, const char *key, uint64_t v)
{
    out_str (o, key);
    out_str (o, " ");
    out_u64 (o, v);
    out_str (o, "\n");
}

static void line_i64 (out_t *o, const char *key, int64_t v)
{
    out_str (o, key);
    out_str (o, " ");
    out_i64 (o, v);
    out_str (o, "\n");
}

static void line_seconds (out_t *o, const char *key, double v)
{
    out_str (o, key);
    out_str (o, " ");
    out_seconds (o, v);
    out_str (o, "\n");
}

/* dir + "/" + name + suffix into buf; -1/ENAMETOOLONG. */
static int path_of (
    char *buf, size_t len, const char *dir, const char *name, const char *suffix)
{
    size_t d = strlen (dir), n = strlen (name), s = strlen (suffix);

    if (d + 1 + n + s + 1 > len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy (buf, dir, d);
    buf[d] = '/';
    memcpy (buf + d + 1, name, n);
    memcpy (buf + d + 1 + n, suffix, s + 1);
    return 0;
}

static int write_all (int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write (fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A record is a regular file of this process's user with one link: not
 * something the job's user put in its directory in its place: jobs of
 * tenants run as other users and may write where their records are read. */
static bool record_trusted (int fd)
{
    struct stat st;

    return fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && st.st_uid == geteuid () &&
           st.st_nlink == 1;
}

/* Write o to dir/name.tmp and rename it over dir/name. A NAME.tmp that is
 * there already is space jobdir_reserve() set aside: it is written over in
 * place and cut to size, so that a record can be saved on a disk a job has
 * filled. The records directory is the agent's alone: nothing in it is a
 * job's. */
static int record_write (const char *dir, const char *name, const out_t *o)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    int fd, saved;

    if (o->overflow) {
        errno = E2BIG;
        return -1;
    }
    if (path_of (path, sizeof (path), dir, name, "") < 0 ||
        path_of (tmp, sizeof (tmp), dir, name, ".tmp") < 0)
        return -1;
    fd = open (tmp, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 && !record_trusted (fd)) {
        close (fd);
        fd = -1;
        if (unlink (tmp) < 0)
            return -1;
        errno = ENOENT;
    }
    if (fd < 0 && errno == ENOENT)
        fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (write_all (fd, o->buf, o->len) < 0 || ftruncate (fd, (off_t)o->len) < 0) {
        saved = errno;
        close (fd);
        unlink (tmp);
        errno = saved;
        return -1;
    }
    if (close (fd) < 0 || rename (tmp, path) < 0) {
        saved = errno;
        unlink (tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

int jobdir_reserve (const char *dir)
{
    static const char *const names[] = {JOBDIR_PID, JOBDIR_STATUS, JOBDIR_EXIT};
    char path[PATH_MAX], fill[JOBDIR_RESERVE];
    int fd, saved;

    memset (fill, '\n', sizeof (fill));
    for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++) {
        if (path_of (path, sizeof (path), dir, names[i], ".tmp") < 0)
            return -1;
        if (unlink (path) < 0 && errno != ENOENT)
            return -1;
        fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            return -1;
        if (write_all (fd, fill, sizeof (fill)) < 0) {
            saved = errno;
            close (fd);
            unlink (path);
            errno = saved;
            return -1;
        }
        if (close (fd) < 0)
            return -1;
    }
    return 0;
}

/* ---- names ------------------------------------------------------------- */

static const char *const kill_names[JOBDIR_KILL_COUNT] = {
    [JOBDIR_KILL_NONE] = "none",
    [JOBDIR_KILL_CANCELLED] = "cancelled",
    [JOBDIR_KILL_TIMEOUT] = "timeout",
};

static const char *const kind_names[] = {
    [EXIT_EXITED] = "exited",
    [EXIT_SIGNALED] = "signaled",
    [EXIT_TIMEOUT] = "timeout",
    [EXIT_CANCELLED] = "cancelled",
    [EXIT_START_FAILED] = "start_failed",
    [EXIT_LOST] = "lost",
    [EXIT_OOM] = "oom",
    [EXIT_OUTPUT] = "output",
};
#define KIND_COUNT (sizeof (kind_names) / sizeof (kind_names[0]))

/* ---- writers ------------------------------------------------------------- */

int jobdir_pid_write (const char *dir, const jobdir_pid_t *p)
{
    out_t o;

    o.len = 0;
    o.overflow = false;
    line_i64 (&o, "pid", p->pid);
    line_u64 (&o, "proc_start", p->proc_start);
    line_seconds (&o, "start_time", p->start_time);
    line_i64 (&o, "walltime", p->walltime);
    out_str (&o, "dir ");
    out_str (&o, dir);
    out_str (&o, "\n");
    line_i64 (&o, "shepherd", p->shepherd);
    line_u64 (&o, "shepherd_start", p->shepherd_start);
    if (p->kill > JOBDIR_KILL_NONE && p->kill < JOBDIR_KILL_COUNT) {
        out_str (&o, "kill ");
        out_str (&o, kill_names[p->kill]);
        out_str (&o, "\n");
    }
    return record_write (dir, JOBDIR_PID, &o);
}

int jobdir_pid_kill (const char *dir, jobdir_kill_t kind)
{
    char path[PATH_MAX];
    out_t o;
    int fd, rc, saved;

    if (kind <= JOBDIR_KILL_NONE || kind >= JOBDIR_KILL_COUNT) {
        errno = EINVAL;
        return -1;
    }
    o.len = 0;
    o.overflow = false;
    out_str (&o, "kill ");
    out_str (&o, kill_names[kind]);
    out_str (&o, "\n");
    if (path_of (path, sizeof (path), dir, JOBDIR_PID, "") < 0)
        return -1;
    if ((fd = open (path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return -1;
    if (!record_trusted (fd)) {
        close (fd);
        errno = EPROTO;
        return -1;
    }
    rc = write_all (fd, o.buf, o.len);
    saved = errno;
    close (fd);
    errno = saved;
    return rc;
}

int jobdir_status_write (const char *dir, const jobdir_status_t *s)
{
    out_t o;

    o.len = 0;
    o.overflow = false;
    line_i64 (&o, "status", s->status);
    line_seconds (&o, "end_time", s->end_time);
    line_seconds (&o, "cpu_time", s->cpu_time);
    line_u64 (&o, "max_rss", s->max_rss);
    line_u64 (&o, "oom_kills", s->oom_kills);
    line_u64 (&o, "timed_out", s->timed_out ? 1 : 0);
    line_u64 (&o, "output_over", s->output_over ? 1 : 0);
    return record_write (dir, JOBDIR_STATUS, &o);
}

int jobdir_exit_write (const char *dir, const msg_job_exit_t *e)
{
    char text[sizeof (e->text)];
    out_t o;

    o.len = 0;
    o.overflow = false;
    memcpy (text, e->text, sizeof (text));
    text[sizeof (text) - 1] = '\0';
    for (char *c = text; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    line_u64 (&o, "id", e->id);
    out_str (&o, "kind ");
    out_str (&o, (unsigned)e->kind < KIND_COUNT ? kind_names[e->kind] : "lost");
    out_str (&o, "\n");
    line_i64 (&o, "exit_code", e->exit_code);
    line_i64 (&o, "signal", e->signal);
    line_seconds (&o, "start_time", e->start_time);
    line_seconds (&o, "end_time", e->end_time);
    line_seconds (&o, "cpu_time", e->cpu_time);
    line_u64 (&o, "max_rss", e->max_rss);
    line_u64 (&o, "survived_kill", e->survived_kill ? 1 : 0);
    if (e->run > 0)
        line_u64 (&o, "run", e->run);
    out_str (&o, "text ");
    out_str (&o, text);
    out_str (&o, "\n");
    return record_write (dir, JOBDIR_EXIT, &o);
}

/* ---- readers ------------------------------------------------------------- */

typedef enum {
    KV_I64,
    KV_U64,
    KV_U32,
    KV_INT,
    KV_DOUBLE,
    KV_BOOL,
    KV_TEXT, /* char[size], the rest of the line */
    KV_KILL, /* jobdir_kill_t by name */
    KV_KIND, /* exit_kind_t by name */
    KV_SKIP, /* known, not stored */
} kv_type_t;

typedef struct kv_field {
    const char *key;
    kv_type_t type;
    size_t offset;
    size_t size;
    bool required;
} kv_field_t;

#define KV(T, f, ty, req)                                 \
    {                                                     \
        .key = #f, .type = ty, .offset = offsetof (T, f), \
        .size = sizeof (((T *)0)->f), .required = req     \
    }

static const kv_field_t pid_fields[] = {
    KV (jobdir_pid_t, pid, KV_I64, true),
    KV (jobdir_pid_t, proc_start, KV_U64, true),
    KV (jobdir_pid_t, start_time, KV_DOUBLE, true),
    KV (jobdir_pid_t, walltime, KV_I64, false),
    {.key = "dir", .type = KV_SKIP},
    KV (jobdir_pid_t, shepherd, KV_I64, true),
    KV (jobdir_pid_t, shepherd_start, KV_U64, true),
    KV (jobdir_pid_t, kill, KV_KILL, false),
    {.key = NULL},
};

static const kv_field_t status_fields[] = {
    KV (jobdir_status_t, status, KV_INT, true),
    KV (jobdir_status_t, end_time, KV_DOUBLE, true),
    KV (jobdir_status_t, cpu_time, KV_DOUBLE, false),
    KV (jobdir_status_t, max_rss, KV_U64, false),
    KV (jobdir_status_t, oom_kills, KV_U64, false),
    KV (jobdir_status_t, timed_out, KV_BOOL, false),
    KV (jobdir_status_t, output_over, KV_BOOL, false),
    {.key = NULL},
};

static const kv_field_t exit_fields[] = {
    KV (msg_job_exit_t, id, KV_U64, true),
    KV (msg_job_exit_t, kind, KV_KIND, true),
    KV (msg_job_exit_t, exit_code, KV_INT, false),
    KV (msg_job_exit_t, signal, KV_INT, false),
    KV (msg_job_exit_t, start_time, KV_DOUBLE, false),
    KV (msg_job_exit_t, end_time, KV_DOUBLE, false),
    KV (msg_job_exit_t, cpu_time, KV_DOUBLE, false),
    KV (msg_job_exit_t, max_rss, KV_U64, false),
    KV (msg_job_exit_t, survived_kill, KV_BOOL, false),
    KV (msg_job_exit_t, text, KV_TEXT, false),
    KV (msg_job_exit_t, run, KV_U32, false),
    {.key = NULL},
};

static const kv_field_t run_fields[] = {
    KV (jobdir_run_t, name, KV_TEXT, true),
    KV (jobdir_run_t, run, KV_U32, false),
    {.key = NULL},
};

static int name_index (const char *const *names, size_t count, const char *v)
{
    for (size_t i = 0; i < count; i++)
        if (names[i] && strcmp (names[i], v) == 0)
            return (int)i;
    return -1;
}

/* Store the text value v into the field; -1 when it is not valid. */
static int kv_store (const kv_field_t *f, const char *v, void *base)
{
    char *at = (char *)base + f->offset;
    char *end = NULL;
    int i;

    errno = 0;
    switch (f->type) {
    case KV_I64:
        *(int64_t *)at = strtoll (v, &end, 10);
        break;
    case KV_U64:
        if (*v == '-')
            return -1;
        *(uint64_t *)at = strtoull (v, &end, 10);
        break;
    case KV_U32: {
        unsigned long long n = *v == '-' ? ULLONG_MAX : strtoull (v, &end, 10);
        if (n > UINT32_MAX)
            return -1;
        *(uint32_t *)at = (uint32_t)n;
        break;
    }
    case KV_INT: {
        long n = strtol (v, &end, 10);
        if (n < INT_MIN || n > INT_MAX)
            return -1;
        *(int *)at = (int)n;
        break;
    }
    case KV_DOUBLE:
        *(double *)at = strtod (v, &end);
        break;
    case KV_BOOL:
        if (strcmp (v, "0") != 0 && strcmp (v, "1") != 0)
            return -1;
        *(bool *)at = v[0] == '1';
        return 0;
    case KV_TEXT:
        if (strlen (v) >= f->size)
            return -1;
        memcpy (at, v, strlen (v) + 1);
        return 0;
    case KV_KILL:
        if ((i = name_index (kill_names, JOBDIR_KILL_COUNT, v)) < 0)
            return -1;
        *(jobdir_kill_t *)at = (jobdir_kill_t)i;
        return 0;
    case KV_KIND:
        if ((i = name_index (kind_names, KIND_COUNT, v)) < 0)
            return -1;
        *(exit_kind_t *)at = (exit_kind_t)i;
        return 0;
    case KV_SKIP:
        return 0;
    }
    return errno || !end || end == v || *end ? -1 : 0;
}

/* Read dir/name and fill base from its "key value" lines. */
static int record_read (const char *dir,
                        const char *name,
                        const kv_field_t *fields,
                        void *base)
{
    char path[PATH_MAX], buf[RECORD_MAX];
    uint32_t seen = 0;
    size_t len = 0;
    ssize_t n;
    int fd;

    if (path_of (path, sizeof (path), dir, name, "") < 0)
        return -1;
    if ((fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        if (errno == ELOOP)
            errno = EPROTO; /* a symbolic link is no record */
        return -1;
    }
    if (!record_trusted (fd)) {
        close (fd);
        errno = EPROTO;
        return -1;
    }
    while (len < sizeof (buf) - 1 &&
           ((n = read (fd, buf + len, sizeof (buf) - 1 - len)) > 0 ||
            (n < 0 && errno == EINTR)))
        len += n > 0 ? (size_t)n : 0;
    close (fd);
    buf[len] = '\0';
    for (char *line = buf, *next; line && *line; line = next) {
        char *sp, *nl = strchr (line, '\n');
        const kv_field_t *f;
        uint32_t bit = 1;

        if (!nl)
            goto bad; /* a record always ends with a newline */
        *nl = '\0';
        next = nl + 1;
        if (!(sp = strchr (line, ' ')))
            goto bad;
        *sp = '\0';
        for (f = fields; f->key && strcmp (f->key, line) != 0; f++)
            bit <<= 1;
        if (!f->key || kv_store (f, sp + 1, base) < 0)
            goto bad;
        seen |= bit;
    }
    for (uint32_t bit = 1; fields->key; fields++, bit <<= 1)
        if (fields->required && !(seen & bit))
            goto bad;
    return 0;
bad:
    errno = EPROTO;
    return -1;
}

int jobdir_pid_read (const char *dir, jobdir_pid_t *p)
{
    memset (p, 0, sizeof (*p));
    return record_read (dir, JOBDIR_PID, pid_fields, p);
}

int jobdir_status_read (const char *dir, jobdir_status_t *s)
{
    memset (s, 0, sizeof (*s));
    return record_read (dir, JOBDIR_STATUS, status_fields, s);
}

int jobdir_exit_read (const char *dir, msg_job_exit_t *e)
{
    memset (e, 0, sizeof (*e));
    return record_read (dir, JOBDIR_EXIT, exit_fields, e);
}

int jobdir_run_write (const char *dir, const char *name, uint32_t run)
{
    out_t o;

    if (!jobdir_run_name_valid (name)) {
        errno = EINVAL;
        return -1;
    }
    o.len = 0;
    o.overflow = false;
    out_str (&o, "name ");
    out_str (&o, name);
    out_str (&o, "\n");
    if (run > 0)
        line_u64 (&o, "run", run);
    return record_write (dir, JOBDIR_RUN, &o);
}

int jobdir_run_read (const char *dir, jobdir_run_t *r)
{
    memset (r, 0, sizeof (*r));
    if (record_read (dir, JOBDIR_RUN, run_fields, r) < 0)
        return -1;
    if (!jobdir_run_name_valid (r->name)) {
        errno = EPROTO;
        return -1;
    }
    return 0;
}

bool jobdir_run_name_valid (const char *name)
{
    const char *dot = strchr (name, '.');
    size_t n = 0;

    if (!dot || dot == name || name[0] == '0')
        return false;
    for (const char *c = name; c < dot; c++)
        if (*c < '0' || *c > '9')
            return false;
    for (const char *c = dot + 1; *c; c++, n++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
            return false;
    return n == JOBDIR_TOKEN_LEN && strlen (name) < JOBDIR_RUN_NAME_MAX;
}

int jobdir_remove (const char *dir, const char *name)
{
    char path[PATH_MAX];

    if (path_of (path, sizeof (path), dir, name, "") < 0)
        return -1;
    if (unlink (path) < 0 && errno != ENOENT)
        return -1;
    return 0;
}

bool jobdir_has (const char *dir, const char *name)
{
    char path[PATH_MAX];

    return path_of (path, sizeof (path), dir, name, "") == 0 &&
           access (path, F_OK) == 0;
}

/* ---- /proc --------------------------------------------------------------- */

/* The decimal number at *p (advancing it); negative numbers allowed. */
static int64_t scan_num (const char **p)
{
    int64_t v = 0, sign = 1;

    if (**p == '-') {
        sign = -1;
        (*p)++;
    }
    while (**p >= '0' && **p <= '9')
        v = v * 10 + (**p - '0'), (*p)++;
    return v * sign;
}

int jobdir_proc_stat (pid_t pid, jobdir_proc_t *out)
{
    char path[40] = "/proc/", buf[1024];
    const char *p = NULL;
    out_t o;
    ssize_t n;
    int fd;

    o.len = 0;
    o.overflow = false;
    out_i64 (&o, pid);
    o.buf[o.len] = '\0';
    memcpy (path + 6, o.buf, o.len);
    memcpy (path + 6 + o.len, "/stat", 6);
    if ((fd = open (path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    do
        n = read (fd, buf, sizeof (buf) - 1);
    while (n < 0 && errno == EINTR);
    close (fd);
    if (n <= 0) {
        errno = ENOENT;
        return -1;
    }
    buf[n] = '\0';
    /* "pid (comm) S ppid pgrp ...": the command may hold spaces and ')' */
    for (ssize_t i = n - 1; i >= 0 && !p; i--)
        if (buf[i] == ')')
            p = buf + i;
    if (!p || p[1] != ' ' || !p[2]) {
        errno = EPROTO;
        return -1;
    }
    p += 2;
    out->state = *p;
    /* fields 4 (ppid) .. 22 (starttime) */
    for (int field = 3; field < 22 && *p; field++) {
        while (*p && *p != ' ')
            p++;
        while (*p == ' ')
            p++;
        if (field + 1 == 5)
            out->pgrp = scan_num (&p);
        else if (field + 1 == 22)
            out->start = (uint64_t)scan_num (&p);
    }
    return 0;
}

bool jobdir_proc_is (pid_t pid, uint64_t start)
{
    jobdir_proc_t st;

    return pid > 0 && jobdir_proc_stat (pid, &st) == 0 && st.start == start &&
           st.state != 'Z' && st.state != 'X';
}

bool jobdir_group_alive (pid_t pgid)
{
    struct dirent *de;
    bool alive = false;
    DIR *d;

    if (pgid <= 0 || (kill (-pgid, 0) < 0 && errno == ESRCH))
        return false;
    /* Something answers: is it more than zombies nobody has reaped yet? */
    if (!(d = opendir ("/proc")))
        return true;
    while (!alive && (de = readdir (d))) {
        jobdir_proc_t st;
        char *end;
        long pid = strtol (de->d_name, &end, 10);

        if (pid <= 0 || *end)
            continue;
        alive = jobdir_proc_stat ((pid_t)pid, &st) == 0 && st.pgrp == pgid &&
                st.state != 'Z' && st.state != 'X';
    }
    closedir (d);
    return alive;
}

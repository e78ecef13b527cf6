/* cgroup.c: per-job control groups (cgroup.h).
 *
 * Three parts. The pure part parses /proc/self/mountinfo and
 * /proc/self/cgroup, chooses a hierarchy per controller and formats what
 * the controller files take. The agent part (cgroup_layout_probe,
 * cgroup_job_create) makes groups and writes limits with ordinary file
 * calls and reports failures as text. The last part runs in the job's
 * process and its shepherd, children of a threaded agent: it builds paths
 * with memcpy and numbers by hand and makes only system calls.
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
#define V2_AGENT_LEAF "cphub-agent"
#define MOUNT_TOKENS 64 /* words of one mountinfo line looked at */

static const char *const ctl_names[CGROUP_CTL_COUNT] = {
    [CGROUP_CPUSET] = "cpuset",
    [CGROUP_MEMORY] = "memory",
    [CGROUP_PIDS] = "pids",
    [CGROUP_DEVICES] = "devices",
};

const char *cgroup_ctl_name (cgroup_ctl_t c)
{
    return (unsigned)c < CGROUP_CTL_COUNT ? ctl_names[c] : "?";
}

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

/* ---- pure: parsing ------------------------------------------------------------ */

/* Copy the n bytes at s into buf, decoding mountinfo's "\040" escapes. */
static int unescape (char *buf, size_t len, const char *s, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
            s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
            c = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        }
        if (o + 1 >= len) {
            errno = ENAMETOOLONG;
            return -1;
        }
        buf[o++] = c;
    }
    buf[o] = '\0';
    return 0;
}

/* Whether the comma-separated list (n bytes) holds word. */
static bool list_has (const char *list, size_t n, const char *word)
{
    size_t w = strlen (word);

    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && list[j] != ',')
            j++;
        if (j - i == w && memcmp (list + i, word, w) == 0)
            return true;
        i = j + 1;
    }
    return false;
}

/* Whether the whitespace-separated text holds word. */
static bool words_have (const char *text, const char *word)
{
    size_t w = strlen (word);

    for (const char *p = text; *p;) {
        while (*p == ' ' || *p == '\n' || *p == '\t')
            p++;
        const char *e = p;
        while (*e && *e != ' ' && *e != '\n' && *e != '\t')
            e++;
        if ((size_t)(e - p) == w && memcmp (p, word, w) == 0)
            return true;
        p = e;
    }
    return false;
}

/* The agent's path in hierarchy (v1: the line naming ctl; v2: "0::"). */
static const char *self_path (const char *self, const char *ctl, size_t *len)
{
    for (const char *line = self; line && *line;) {
        const char *nl = strchr (line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen (line);
        const char *c1 = memchr (line, ':', n);
        const char *c2 = c1 ? memchr (c1 + 1, ':', n - (size_t)(c1 + 1 - line)) : NULL;

        if (c2) {
            size_t clen = (size_t)(c2 - c1 - 1);
            bool v2 = clen == 0 && c1 - line == 1 && line[0] == '0';
            if ((ctl == NULL && v2) || (ctl && clen && list_has (c1 + 1, clen, ctl))) {
                *len = n - (size_t)(c2 + 1 - line);
                return c2 + 1;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    return NULL;
}

/* The hierarchy's dir for the agent: mount point + own path less root. */
static int hier_dir (cgroup_hier_t *h,
                     int version,
                     const char *mnt,
                     const char *root,
                     const char *own,
                     size_t own_len)
{
    char path[CGROUP_PATH_MAX];
    size_t r = strlen (root), m = strlen (mnt);

    if (own_len >= sizeof (path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy (path, own, own_len);
    path[own_len] = '\0';
    if (strcmp (root, "/") != 0) {
        /* the mount shows only root's subtree: own must lie within it */
        if (strncmp (path, root, r) != 0 || (path[r] != '/' && path[r] != '\0'))
            return 0;
        memmove (path, path + r, own_len - r + 1);
    }
    while (strlen (path) > 0 && path[strlen (path) - 1] == '/')
        path[strlen (path) - 1] = '\0';
    if (m + strlen (path) + 1 > sizeof (h->dir)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy (h->dir, mnt, m + 1);
    memcpy (h->dir + m, path, strlen (path) + 1);
    h->version = version;
    return 1;
}

int cgroup_mounts_parse (const char *mountinfo, const char *self, cgroup_mounts_t *out)
{
    memset (out, 0, sizeof (*out));
    for (const char *line = mountinfo; line && *line;) {
        const char *nl = strchr (line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen (line);
        const char *tok[MOUNT_TOKENS];
        size_t len[MOUNT_TOKENS];
        int ntok = 0, sep = -1;

        /* "id parent maj:min root mount opts [optional...] - type source super" */
        for (size_t i = 0; i < n && ntok < MOUNT_TOKENS;) {
            size_t j = i;
            while (j < n && line[j] != ' ')
                j++;
            if (j > i) {
                if (sep < 0 && j - i == 1 && line[i] == '-' && ntok >= 6)
                    sep = ntok;
                tok[ntok] = line + i;
                len[ntok++] = j - i;
            }
            i = j + 1;
        }
        line = nl ? nl + 1 : NULL;
        if (sep < 0 || ntok < sep + 4)
            continue;
        char root[CGROUP_PATH_MAX], mnt[CGROUP_PATH_MAX];
        const char *type = tok[sep + 1], *super = tok[sep + 3], *own;
        size_t tlen = len[sep + 1], slen = len[sep + 3], own_len;
        if (unescape (root, sizeof (root), tok[3], len[3]) < 0 ||
            unescape (mnt, sizeof (mnt), tok[4], len[4]) < 0)
            return -1;
        if (tlen == 7 && memcmp (type, "cgroup2", 7) == 0) {
            if (out->v2.version || !(own = self_path (self, NULL, &own_len)))
                continue;
            if (hier_dir (&out->v2, 2, mnt, root, own, own_len) < 0)
                return -1;
        } else if (tlen == 6 && memcmp (type, "cgroup", 6) == 0) {
            for (int c = 0; c < CGROUP_CTL_COUNT; c++) {
                if (out->v1[c].version || !list_has (super, slen, ctl_names[c]) ||
                    !(own = self_path (self, ctl_names[c], &own_len)))
                    continue;
                if (hier_dir (&out->v1[c], 1, mnt, root, own, own_len) < 0)
                    return -1;
            }
        }
    }
    return 0;
}

/* ---- pure: choosing and naming ------------------------------------------------ */

/* own minus a trailing "/cphub-agent" (the leaf a v2 agent moved into). */
static void v2_own (const char *dir, char *buf, size_t len)
{
    size_t n = strlen (dir), leaf = strlen ("/" V2_AGENT_LEAF);

    snprintf (buf, len, "%s", dir);
    if (n > leaf && strcmp (dir + n - leaf, "/" V2_AGENT_LEAF) == 0 && n - leaf < len)
        buf[n - leaf] = '\0';
}

int cgroup_layout_choose (const cgroup_mounts_t *m,
                          const char *v2_controllers,
                          const char *node,
                          const char *tag,
                          cgroup_layout_t *out)
{
    char missing[40] = "";

    memset (out, 0, sizeof (*out));
    for (int c = 0; c < CGROUP_CTL_COUNT; c++) {
        char own[CGROUP_PATH_MAX];
        int n;

        if (m->v2.version && v2_controllers && c != CGROUP_DEVICES &&
            words_have (v2_controllers, ctl_names[c])) {
            v2_own (m->v2.dir, own, sizeof (own));
            out->version[c] = 2;
        } else if (m->v1[c].version) {
            snprintf (own, sizeof (own), "%s", m->v1[c].dir);
            out->version[c] = 1;
        } else {
            size_t used = strlen (missing);
            snprintf (missing + used, sizeof (missing) - used, "%s%s", used ? "," : "",
                      ctl_names[c]);
            continue;
        }
        n = snprintf (out->base[c], sizeof (out->base[c]), "%s/cphub-%s-%s", own, node,
                      tag);
        if (n < 0 || (size_t)n >= sizeof (out->base[c])) {
            errno = ENAMETOOLONG;
            return -1;
        }
    }
    if (missing[0])
        snprintf (out->note, sizeof (out->note), "no %.32s controller%s", missing,
                  m->v2.version && !m->v1[CGROUP_DEVICES].version
                      ? " (device filtering on cgroup v2 needs BPF: not done)"
                      : "");
    return 0;
}

bool cgroup_layout_any (const cgroup_layout_t *l)
{
    for (int c = 0; c < CGROUP_CTL_COUNT; c++)
        if (l->version[c])
            return true;
    return false;
}

void cgroup_describe (const cgroup_layout_t *l, char *buf, size_t len)
{
    char part[2][64] = {"", ""}, missing[64] = "";

    for (int c = 0; c < CGROUP_CTL_COUNT; c++) {
        char *dst = l->version[c] == 2   ? part[0]
                    : l->version[c] == 1 ? part[1]
                                         : missing;
        size_t used = strlen (dst);
        snprintf (dst + used, sizeof (part[0]) - used, "%s%s", used ? "," : "",
                  ctl_names[c]);
    }
    if (!part[0][0] && !part[1][0]) {
        snprintf (buf, len, "none: cgroups unavailable");
        return;
    }
    snprintf (buf, len, "cgroup %s%s%s%s%s%s%s%s", part[0][0] ? "v2: " : "", part[0],
              part[0][0] && part[1][0] ? "; " : "", part[1][0] ? "v1: " : "", part[1],
              missing[0] ? " (no " : "", missing, missing[0] ? ")" : "");
}

void cgroup_tag (const char *text, char *buf, size_t len)
{
    uint32_t h = 2166136261u; /* FNV-1a */

    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ *p) * 16777619u;
    snprintf (buf, len, "%08" PRIx32, h);
}

int cgroup_job_path (
    const cgroup_layout_t *l, cgroup_ctl_t c, uint64_t id, char *buf, size_t len)
{
    int n;

    if ((unsigned)c >= CGROUP_CTL_COUNT || !l->version[c]) {
        errno = ENOENT;
        return -1;
    }
    n = snprintf (buf, len, "%s/job-%" PRIu64, l->base[c], id);
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

void cgroup_format_mem (int version, uint64_t bytes, char *buf, size_t len)
{
    if (bytes == 0)
        snprintf (buf, len, "%s", version == 2 ? "max" : "-1");
    else
        snprintf (buf, len, "%" PRIu64, bytes);
}

void cgroup_device_rule (const cgroup_device_t *d, char *buf, size_t len)
{
    snprintf (buf, len, "%c %" PRIu32 ":%" PRIu32 " rwm", d->type == 'b' ? 'b' : 'c',
              d->major, d->minor);
}

uint64_t cgroup_parse_oom_kill (const char *text)
{
    static const char key[] = "oom_kill ";

    for (const char *line = text; line && *line;) {
        const char *nl = strchr (line, '\n');
        if (strncmp (line, key, sizeof (key) - 1) == 0) {
            uint64_t v = 0;
            for (const char *p = line + sizeof (key) - 1; *p >= '0' && *p <= '9'; p++)
                v = v * 10 + (uint64_t)(*p - '0');
            return v;
        }
        line = nl ? nl + 1 : NULL;
    }
    return 0;
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
        if (snprintf (l->note, sizeof (l->note), "%s,%s%s", head, ctl_names[c], why) >=
            (int)sizeof (l->note))
            l->note[sizeof (l->note) - 1] = '\0'; /* cut short */
        return;
    }
    snprintf (l->note + used, sizeof (l->note) - used, "%s%s%s", used ? "; " : "",
              ctl_names[c], why);
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
        snprintf (word, sizeof (word), "+%s", ctl_names[c]);
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

    if (mkdir (l->base[c], 0755) < 0)
        return errno == EEXIST ? 0 : -1;
    parent_of (l->base[c], parent, sizeof (parent));
    if (l->version[c] == 1 && c == CGROUP_CPUSET)
        return cpuset_inherit (parent, l->base[c]);
    if (l->version[c] == 2)
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
            strcmp (de->d_name, V2_AGENT_LEAF) == 0)
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
        snprintf (word, sizeof (word), "+%s", ctl_names[c]);
        if (write_value (dir, "cgroup.subtree_control", word) == 0)
            continue;
        if (errno == EBUSY && may_move) {
            char leaf[CGROUP_PATH_MAX + 16];
            snprintf (leaf, sizeof (leaf), "%s/%s", dir, V2_AGENT_LEAF);
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
    for (int c = 0; c < CGROUP_CTL_COUNT; c++)
        v2 = v2 || out->version[c] == 2;
    if (v2) {
        v2_own (m.v2.dir, own, sizeof (own));
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

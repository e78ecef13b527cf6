/* cgroup_layout.c: the pure part of per-job control groups (cgroup.h):
 * reading the text of /proc/self/mountinfo and /proc/self/cgroup, choosing
 * a hierarchy per controller, naming the agent's and the jobs' groups, and
 * formatting what controller files take. No file is opened here (cgroup.c
 * reads and writes them); cgroup_parse_oom_kill allocates nothing, for the
 * shepherd.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agent/cgroup.h"

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
    size_t n = strlen (dir), leaf = strlen ("/" CGROUP_V2_AGENT_LEAF);

    snprintf (buf, len, "%s", dir);
    if (n > leaf && strcmp (dir + n - leaf, "/" CGROUP_V2_AGENT_LEAF) == 0 &&
        n - leaf < len)
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

int64_t cgroup_pids_all (int64_t pid_max, int64_t threads_max)
{
    int64_t limit = pid_max > 0 ? pid_max : threads_max, reserve;

    if (threads_max > 0 && threads_max < limit)
        limit = threads_max;
    if (limit <= 0)
        return 0;
    reserve =
        limit / 4 > CGROUP_PIDS_NODE_RESERVE ? limit / 4 : CGROUP_PIDS_NODE_RESERVE;
    /* a node too small for the reserve: half for the jobs */
    return limit > 2 * reserve ? limit - reserve : limit / 2;
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

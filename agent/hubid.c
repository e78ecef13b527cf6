/* hubid.c: the node's hub, saved in <state_dir>/hub_id (see hubid.h). The
 * file is opened (made empty, mode 0600, if missing) before the agent drops
 * its privileges, and written in place through that descriptor; its content
 * is checked to be a hub id (hex digits) before it is believed.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/hubid.h"
#include "cphub/fsutil.h"
#include "cphub/msg.h"

struct hubid {
    char path[PATH_MAX];
    int fd;                         /* the file, open for the life of the agent */
    char saved[MSG_HUB_ID_MAX + 1]; /* "" until the first hub is heard */
    bool join_new;
    bool refused;
};

static bool hub_id_valid (const char *id)
{
    size_t n = strlen (id);

    if (n == 0 || n > MSG_HUB_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit ((unsigned char)id[i]))
            return false;
    return true;
}

static int read_saved (hubid_t *h, cphub_error_t *err)
{
    char buf[MSG_HUB_ID_MAX + 2];
    ssize_t n = pread (h->fd, buf, sizeof (buf) - 1, 0);

    if (n < 0)
        return cphub_fail (err, errno, "cannot read %s: %s", h->path, strerror (errno));
    buf[n] = '\0';
    buf[strcspn (buf, "\n")] = '\0';
    if (buf[0] == '\0')
        return 0; /* no hub heard yet */
    if (!hub_id_valid (buf))
        return cphub_fail (err, EINVAL,
                           "%s does not hold a hub id; delete it to join the "
                           "scheduler's hub",
                           h->path);
    snprintf (h->saved, sizeof (h->saved), "%s", buf);
    return 0;
}

hubid_t *hubid_create (const char *state_dir, bool join_new, cphub_error_t *err)
{
    hubid_t *h = calloc (1, sizeof (*h));
    struct stat st;

    if (!h) {
        cphub_fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    h->fd = -1;
    if (snprintf (h->path, sizeof (h->path), "%s/%s", state_dir, HUBID_FILE) >=
        (int)sizeof (h->path)) {
        cphub_fail (err, ENAMETOOLONG, "state_dir '%s' is too long", state_dir);
        goto error;
    }
    h->join_new = join_new;
    /* 0711: tenants' users pass through to their job directories, and list
     * nothing. */
    if (fs_mkdir_p (state_dir, 0711) < 0) {
        cphub_fail (err, errno, "cannot create the state directory '%s': %s", state_dir,
                    strerror (errno));
        goto error;
    }
    if ((h->fd = open (h->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
        cphub_fail (err, errno, "cannot open %s: %s", h->path, strerror (errno));
        goto error;
    }
    if (fstat (h->fd, &st) < 0 || !S_ISREG (st.st_mode)) {
        cphub_fail (err, EINVAL, "%s is not a regular file", h->path);
        goto error;
    }
    if (read_saved (h, err) < 0)
        goto error;
    return h;
error:;
    int saved = errno;
    hubid_destroy (h);
    errno = saved;
    return NULL;
}

void hubid_destroy (hubid_t *h)
{
    if (!h)
        return;
    if (h->fd >= 0)
        close (h->fd);
    free (h);
}

/* Saved in place: the id is a few dozen bytes, read back whole and checked,
 * so a torn write is refused at the next start rather than believed. */
static int save (hubid_t *h, const char *hub_id, cphub_error_t *err)
{
    char line[MSG_HUB_ID_MAX + 2];
    int len = snprintf (line, sizeof (line), "%s\n", hub_id);

    if (ftruncate (h->fd, 0) < 0 || pwrite (h->fd, line, (size_t)len, 0) != len ||
        fsync (h->fd) < 0) {
        int saved = errno ? errno : EIO;
        return cphub_fail (err, saved, "cannot save the hub id in %s: %s", h->path,
                           strerror (saved));
    }
    snprintf (h->saved, sizeof (h->saved), "%s", hub_id);
    return 0;
}

int hubid_check (hubid_t *h, const char *hub_id, cphub_error_t *err)
{
    h->refused = false;
    if (!hub_id || hub_id[0] == '\0')
        return 0; /* a scheduler that does not say: nothing to hold it to */
    if (!hub_id_valid (hub_id)) {
        h->refused = true;
        return cphub_fail (err, EPERM, "the scheduler's hub id is not one; refused");
    }
    if (h->saved[0] && strcmp (h->saved, hub_id) == 0)
        return 0;
    if (h->saved[0] && !h->join_new) {
        h->refused = true;
        return cphub_fail (err, EPERM,
                           "the scheduler belongs to hub %s, but this node joined hub "
                           "%s (%s); following none of its orders. If the hub was "
                           "created anew on purpose, start the agent once with "
                           "--join-new-hub or delete %s",
                           hub_id, h->saved, h->path, h->path);
    }
    if (save (h, hub_id, err) < 0)
        return -1;
    h->join_new = false; /* joined: from now on this hub only */
    return 0;
}

bool hubid_refused (const hubid_t *h)
{
    return h && h->refused;
}

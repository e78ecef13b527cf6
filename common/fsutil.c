/* fsutil.c: small file-system helpers shared by the programs (fsutil.h). */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "cphub/fsutil.h"

int fs_mkdir_p (const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    size_t len = strlen (path);

    if (len == 0 || len >= sizeof (buf)) {
        errno = len ? ENAMETOOLONG : ENOENT;
        return -1;
    }
    memcpy (buf, path, len + 1);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir (buf, mode) < 0 && errno != EEXIST)
            return -1;
        if (c == '\0')
            return 0;
        *p = c;
    }
}

int fs_mkdir_parents (const char *file, mode_t mode)
{
    char dir[PATH_MAX];
    const char *slash = strrchr (file, '/');
    size_t len;

    if (!slash || slash == file)
        return 0;
    if ((len = (size_t)(slash - file)) >= sizeof (dir)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy (dir, file, len);
    dir[len] = '\0';
    return fs_mkdir_p (dir, mode);
}

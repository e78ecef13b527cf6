/* fsutil.h: small file-system helpers that more than one program needs.
 *
 * fs_mkdir_p() makes a directory and every missing parent, like `mkdir -p`,
 * giving the new ones mode (as masked by the umask); directories that exist
 * are left as they are. It returns 0, or -1 with errno set (ENAMETOOLONG for
 * a path of PATH_MAX or more, or the error of the mkdir that failed).
 *
 * fs_mkdir_parents() does the same for the directory that holds file (what
 * precedes its last '/'), so that the file can then be created; a file name
 * without a directory, or directly under "/", needs nothing and returns 0.
 */
#ifndef CPHUB_FSUTIL_H
#define CPHUB_FSUTIL_H

#include <sys/types.h>

int fs_mkdir_p (const char *path, mode_t mode);
int fs_mkdir_parents (const char *file, mode_t mode);

#endif /* CPHUB_FSUTIL_H */

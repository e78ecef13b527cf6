/* keygen.c: `cphub keygen NAME [--dir DIR] [--force]`, the CURVE key pairs
 * that make every cphub connection authenticated and encrypted.
 *
 * Writes DIR/NAME.key (public and secret halves, mode 0600) and DIR/NAME.pub
 * (public half, to hand to the hub's operator, who names it in
 * scheduler.conf), through transport_keypair() and keys_write(). It needs no
 * config and no scheduler, so it is the first command a new tenant runs. A
 * missing DIR is created (mode 0700); existing key files are kept unless
 * --force. The two paths are printed, one per line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cphub/fsutil.h"
#include "cphub/keys.h"

int cli_keygen (cli_t *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"dir", required_argument, NULL, 'd'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cphub_error_t err = {{0}};
    cphub_keypair_t kp;
    const char *dir = ".";
    const char *name;
    struct stat st;
    bool force = false;
    int status = 2;
    int opt;
    int rc;

    while ((opt = cli_option_next (cli, argc, argv, ":d:fh", options, &status)) > 0) {
        if (opt == 'd')
            dir = optarg;
        else if (opt == 'f')
            force = true;
    }
    if (opt < 0)
        return status;
    status = 1;
    if (argc - optind != 1) {
        cli_fail (
            "give one name for the key pair, e.g. cphub keygen tenant-a "
            "--dir keys");
        return 2;
    }
    name = argv[optind];
    if (dir[0] == '\0') {
        cli_fail ("--dir: empty; give a directory, e.g. --dir keys");
        return 2;
    }
    if (stat (dir, &st) == 0 && !S_ISDIR (st.st_mode)) {
        cli_fail ("--dir: %s is not a directory", dir);
        return 2;
    }
    memset (&kp, 0, sizeof (kp));
    if (transport_keypair (&kp, &err) < 0) {
        cli_fail ("%s", err.text);
        goto done;
    }
    rc = keys_write (dir, name, &kp, force ? 1 : 0, &err);
    if (rc < 0 && errno == ENOENT && stat (dir, &st) < 0) {
        /* A new directory for keys: make it, private, and try again. */
        if (fs_mkdir_p (dir, 0700) < 0) {
            cli_fail ("cannot create the directory %s: %s", dir, strerror (errno));
            goto done;
        }
        rc = keys_write (dir, name, &kp, force ? 1 : 0, &err);
    }
    if (rc < 0) {
        cli_fail ("%s", err.text);
        goto done;
    }
    printf ("%s/%s.key\n%s/%s.pub\n", dir, name, dir, name);
    status = 0;
done:
    explicit_bzero (&kp, sizeof (kp));
    return status;
}

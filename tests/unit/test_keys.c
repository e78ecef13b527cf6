/* test_keys.c: unit tests for the private-mode rule of common/keys.c: a
 * file that holds a secret key is read only when neither its group nor
 * others may use it, and the refusal says "chmod 600 PATH"; public key
 * files may be readable by all. (Reading and writing key files is tested
 * with the config loader in test_conf.c.)
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cphub/keys.h"

#define PUB "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
#define SEC "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"

static char tmpdir[64];

static void make_tmpdir (void)
{
    strcpy (tmpdir, "/tmp/cphub-test-keys-XXXXXX");
    cr_assert_not_null (mkdtemp (tmpdir));
}

static void remove_tmpdir (void)
{
    char cmd[128];

    if (tmpdir[0] == '\0')
        return;
    snprintf (cmd, sizeof (cmd), "rm -rf '%s'", tmpdir);
    cr_assert_eq (system (cmd), 0);
}

/* The pair written by keys_write, as DIR/NAME.key and DIR/NAME.pub. */
static void write_pair (const char *name, char *key, char *pub, size_t len)
{
    cphub_keypair_t kp = {.public_z85 = PUB, .secret_z85 = SEC};
    cphub_error_t err = {""};

    cr_assert_eq (keys_write (tmpdir, name, &kp, 0, &err), 0, "%s", err.text);
    snprintf (key, len, "%s/%s.key", tmpdir, name);
    snprintf (pub, len, "%s/%s.pub", tmpdir, name);
}

Test (keys_mode,
      written_private_whatever_the_umask,
      .init = make_tmpdir,
      .fini = remove_tmpdir)
{
    char key[128], pub[128];
    mode_t old = umask (0);
    struct stat st;

    write_pair ("loose-umask", key, pub, sizeof (key));
    umask (old);
    cr_assert_eq (stat (key, &st), 0);
    cr_assert_eq (st.st_mode & 0777, 0600, "the key pair file is %o",
                  st.st_mode & 0777);
    cr_assert_eq (stat (pub, &st), 0);
    cr_assert_eq (st.st_mode & 0777, 0644);
}

Test (keys_mode,
      secret_with_group_or_other_access_refused,
      .init = make_tmpdir,
      .fini = remove_tmpdir)
{
    static const mode_t refused[] = {0644, 0640, 0604, 0660, 0620, 0602, 0601, 0610};
    char key[128], pub[128], want[200];
    cphub_keypair_t back;
    cphub_error_t err = {""};

    write_pair ("tenant-a", key, pub, sizeof (key));
    snprintf (want, sizeof (want), "chmod 600 %s", key);
    for (size_t i = 0; i < sizeof (refused) / sizeof (refused[0]); i++) {
        cr_assert_eq (chmod (key, refused[i]), 0);
        memset (&back, 0, sizeof (back));
        errno = 0;
        cr_assert_eq (keys_read_pair (key, &back, &err), -1, "mode %o was accepted",
                      refused[i]);
        cr_assert_eq (errno, EPERM);
        cr_assert (strstr (err.text, want), "mode %o: '%s' does not say '%s'",
                   refused[i], err.text, want);
        cr_assert_str_eq (back.secret_z85, "", "nothing is read from a refused file");
    }
    /* the owner alone: read (0400 too) */
    cr_assert_eq (chmod (key, 0600), 0);
    cr_assert_eq (keys_read_pair (key, &back, &err), 0, "%s", err.text);
    cr_assert_str_eq (back.secret_z85, SEC);
    cr_assert_eq (chmod (key, 0400), 0);
    cr_assert_eq (keys_read_pair (key, &back, &err), 0, "%s", err.text);
}

Test (keys_mode, public_key_may_be_readable, .init = make_tmpdir, .fini = remove_tmpdir)
{
    char key[128], pub[128], z85[KEY_Z85_LEN + 1];
    cphub_error_t err = {""};

    write_pair ("node1", key, pub, sizeof (key));
    cr_assert_eq (chmod (pub, 0644), 0);
    cr_assert_eq (keys_read_public (pub, z85, &err), 0, "%s", err.text);
    cr_assert_str_eq (z85, PUB);
    /* a private .key named where a public key is wanted: fine */
    cr_assert_eq (keys_read_public (key, z85, &err), 0, "%s", err.text);
    /* but a readable one still leaks its secret: refused there too */
    cr_assert_eq (chmod (key, 0644), 0);
    errno = 0;
    cr_assert_eq (keys_read_public (key, z85, &err), -1);
    cr_assert_eq (errno, EPERM);
    cr_assert (strstr (err.text, "chmod 600"), "%s", err.text);
}

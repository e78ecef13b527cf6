/* keys.c: the files that hold CURVE key pairs.
 *
 * NAME.key holds both halves (mode 0600), NAME.pub only the public one; both
 * are libconfig text read through conf.h with a two-entry settings table, so
 * a damaged key file gets the same "file:line: 'setting': ..." messages as
 * any config file. Files are written to a temporary name and then linked or
 * renamed into place, so a reader never sees half a key and an existing key
 * is never clobbered unless asked. Key generation itself needs libzmq and
 * lives in the transport.
 *
 * A file that holds a secret half is read only when no one but its owner
 * may read or write it (no group or other bits): anyone who can read a
 * secret key can act as its owner, and anyone who can write it can replace
 * it. Such a file is refused with the command that fixes it, "chmod 600
 * PATH", like ssh does with private keys. Public keys may be readable.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cphub/conf.h"
#include "cphub/keys.h"
#include "cphub/parse.h"

static const char keys_z85_alphabet[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/"
    "*?&<>()[]{}@%$#";

/* Mode bits a file holding a secret key must not have: any group or other
 * access. */
#define KEYS_PRIVATE_FORBIDDEN 0077

static const conf_setting_t keys_settings[] = {
    {.path = "public", .type = CONF_STRING, .help = "Z85 public key, 40 characters"},
    {.path = "secret", .type = CONF_STRING, .help = "Z85 secret key (.key files only)"},
    {.path = NULL},
};

int keys_valid_z85 (const char *z85)
{
    if (!z85 || strlen (z85) != KEY_Z85_LEN)
        return 0;
    for (int g = 0; g < KEY_Z85_LEN; g += 5) {
        uint64_t v = 0;
        for (int i = g; i < g + 5; i++) {
            const char *p = strchr (keys_z85_alphabet, z85[i]);
            if (!p || z85[i] == '\0')
                return 0;
            v = v * 85 + (uint64_t)(p - keys_z85_alphabet);
        }
        if (v > UINT32_MAX) /* 5 characters encode 4 bytes */
            return 0;
    }
    return 1;
}

/* Write text to a new temporary file next to final (mode), return its path
 * (caller frees) or NULL with err. */
static char *keys_write_temp (const char *final,
                              const char *text,
                              mode_t mode,
                              cphub_error_t *err)
{
    char *tmp = NULL;
    size_t len = strlen (text);
    size_t done = 0;
    int fd = -1;
    int e;

    if (asprintf (&tmp, "%s.tmpXXXXXX", final) < 0) {
        cphub_fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    if ((fd = mkstemp (tmp)) < 0) {
        e = errno;
        cphub_fail (err, e, "cannot create %s: %s", tmp, strerror (e));
        free (tmp);
        return NULL;
    }
    if (fchmod (fd, mode) < 0)
        goto error;
    while (done < len) {
        ssize_t n = write (fd, text + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto error;
        done += (size_t)n;
    }
    if (fsync (fd) < 0)
        goto error;
    if (close (fd) < 0) {
        fd = -1;
        goto error;
    }
    return tmp;
error:
    e = errno;
    cphub_fail (err, e, "cannot write %s: %s", final, strerror (e));
    if (fd >= 0)
        close (fd);
    unlink (tmp);
    free (tmp);
    errno = e;
    return NULL;
}

/* Move tmp to final: rename when force, else link (fails if final exists). */
static int keys_install (const char *tmp,
                         const char *final,
                         int force,
                         cphub_error_t *err)
{
    int rc = force ? rename (tmp, final) : link (tmp, final);
    int e = errno;

    if (!force)
        unlink (tmp);
    if (rc < 0) {
        if (force)
            unlink (tmp);
        if (e == EEXIST)
            return cphub_fail (err, EEXIST, "%s exists; use --force to replace it",
                               final);
        return cphub_fail (err, e, "cannot write %s: %s", final, strerror (e));
    }
    return 0;
}

int keys_write (const char *dir,
                const char *name,
                const cphub_keypair_t *kp,
                int force,
                cphub_error_t *err)
{
    char *key_path = NULL, *pub_path = NULL;
    char *key_tmp = NULL, *pub_tmp = NULL;
    char *key_text = NULL, *pub_text = NULL;
    bool key_installed = false;
    struct stat st;

    if (!dir || !*dir)
        dir = ".";
    if (!name || !parse_name_valid (name, 0))
        return cphub_fail (
            err, EINVAL,
            "'%.40s' is not a key name; use letters, digits, '.', '_', '-'",
            name ? name : "");
    if (!kp || !keys_valid_z85 (kp->public_z85) || !keys_valid_z85 (kp->secret_z85))
        return cphub_fail (err, EINVAL, "key pair for %s is not two valid Z85 keys",
                           name);
    if (asprintf (&key_path, "%s/%s.key", dir, name) < 0) {
        key_path = NULL;
        goto nomem;
    }
    if (asprintf (&pub_path, "%s/%s.pub", dir, name) < 0) {
        pub_path = NULL;
        goto nomem;
    }
    if (!force) {
        const char *exists = stat (key_path, &st) == 0   ? key_path
                             : stat (pub_path, &st) == 0 ? pub_path
                                                         : NULL;
        if (exists) {
            cphub_fail (err, EEXIST, "%s exists; use --force to replace it", exists);
            goto error;
        }
    }
    if (asprintf (&key_text,
                  "# cphub CURVE key pair '%s'. Keep this file secret (mode 0600).\n"
                  "public = \"%s\";\nsecret = \"%s\";\n",
                  name, kp->public_z85, kp->secret_z85) < 0) {
        key_text = NULL;
        goto nomem;
    }
    if (asprintf (&pub_text, "# cphub CURVE public key '%s'.\npublic = \"%s\";\n", name,
                  kp->public_z85) < 0) {
        pub_text = NULL;
        goto nomem;
    }
    if (!(key_tmp = keys_write_temp (key_path, key_text, 0600, err)) ||
        !(pub_tmp = keys_write_temp (pub_path, pub_text, 0644, err)))
        goto error;
    if (keys_install (key_tmp, key_path, force, err) < 0)
        goto error;
    key_installed = true;
    if (keys_install (pub_tmp, pub_path, force, err) < 0)
        goto error;
    free (key_tmp);
    free (pub_tmp);
    free (key_text);
    free (pub_text);
    free (key_path);
    free (pub_path);
    return 0;
nomem:
    cphub_fail (err, ENOMEM, "out of memory");
error : {
    int e = errno;
    if (key_installed && !force)
        unlink (key_path);
    if (key_tmp && !key_installed)
        unlink (key_tmp);
    if (pub_tmp)
        unlink (pub_tmp);
    free (key_tmp);
    free (pub_tmp);
    free (key_text);
    free (pub_text);
    free (key_path);
    free (pub_path);
    errno = e;
    return -1;
}
}

/* A file that holds a secret: refused when its group or others have any
 * access. 0, or -1/EPERM with err saying how to fix it. */
static int keys_check_private (const char *path, cphub_error_t *err)
{
    struct stat st;

    if (stat (path, &st) < 0)
        return cphub_fail (err, errno, "cannot check %s: %s", path, strerror (errno));
    if ((st.st_mode & KEYS_PRIVATE_FORBIDDEN) == 0)
        return 0;
    /* The command first: it names the file, and survives a cut message. */
    return cphub_fail (err, EPERM,
                       "chmod 600 %s: a secret key must be private (it is mode %04o)",
                       path, (unsigned)(st.st_mode & 07777));
}

/* Read one half from a loaded key file: 0, or -1 with err. */
static int keys_get (conf_t *c,
                     const char *which,
                     char out[KEY_Z85_LEN + 1],
                     cphub_error_t *err)
{
    const char *v;
    int rc = conf_get_string (c, which, NULL, &v, err);

    if (rc < 0)
        return -1;
    if (rc == 1)
        return conf_fail (c, which, err,
                          "missing; a key file says %s = \"<40 Z85 chars>\";", which);
    if (!keys_valid_z85 (v))
        return conf_fail (c, which, err,
                          "not a Z85 key (%d characters from the Z85 "
                          "alphabet)",
                          KEY_Z85_LEN);
    memcpy (out, v, KEY_Z85_LEN + 1);
    return 0;
}

int keys_read_public (const char *path,
                      char public_z85[KEY_Z85_LEN + 1],
                      cphub_error_t *err)
{
    conf_t *c = conf_load (path, keys_settings, err);
    const char *secret;
    int rc;

    if (!c)
        return -1;
    rc = keys_get (c, "public", public_z85, err);
    /* A key pair file named where a public key is wanted still holds a
     * secret: it must be as private as anywhere else. */
    if (rc == 0 && conf_get_string (c, "secret", NULL, &secret, err) == 0 &&
        keys_check_private (path, err) < 0)
        rc = -1;
    conf_destroy (c);
    return rc;
}

int keys_read_pair (const char *path, cphub_keypair_t *kp, cphub_error_t *err)
{
    cphub_keypair_t tmp;
    conf_t *c = conf_load (path, keys_settings, err);

    if (!c)
        return -1;
    if (keys_get (c, "public", tmp.public_z85, err) < 0 ||
        keys_get (c, "secret", tmp.secret_z85, err) < 0 ||
        keys_check_private (path, err) < 0)
        goto error;
    conf_destroy (c);
    *kp = tmp;
    explicit_bzero (&tmp, sizeof (tmp));
    return 0;
error:
    explicit_bzero (&tmp, sizeof (tmp));
    conf_destroy (c);
    return -1;
}

/* keys.h: CURVE key pairs and the files they live in.
 *
 * `cphub keygen NAME` writes NAME.key (mode 0600: public and secret) and
 * NAME.pub (public only). Both are libconfig text:
 *     public = "Z85...40 chars";
 *     secret = "Z85...40 chars";      (NAME.key only)
 * Config files name these files; a .key file also serves where a public key is
 * wanted. A file that holds a secret is read only when it is private (no
 * group or other access). Generation itself is in the transport (it needs
 * libzmq).
 */
#ifndef CPHUB_KEYS_H
#define CPHUB_KEYS_H

#include "cphub/error.h"

#define KEY_Z85_LEN 40

typedef struct cphub_keypair {
    char public_z85[KEY_Z85_LEN + 1];
    char secret_z85[KEY_Z85_LEN + 1]; /* "" when only the public half is known */
} cphub_keypair_t;

/* Write DIR/NAME.key (0600) and DIR/NAME.pub (0644). Refuses to overwrite an
 * existing file unless force (-1/EEXIST). NAME: [A-Za-z0-9._-]+. */
int keys_write (const char *dir,
                const char *name,
                const cphub_keypair_t *kp,
                int force,
                cphub_error_t *err);
/* Read the public key from a .pub or .key file. A .key file (it holds a
 * secret) is refused as keys_read_pair() refuses it. */
int keys_read_public (const char *path,
                      char public_z85[KEY_Z85_LEN + 1],
                      cphub_error_t *err);
/* Read both halves from a .key file (-1/EINVAL if the secret is missing).
 * A file that its group or others may read, write or run is refused,
 * -1/EPERM, "chmod 600 PATH: a secret key must be private (it is mode
 * 0644)": whoever reads a secret key can act as its owner. */
int keys_read_pair (const char *path, cphub_keypair_t *kp, cphub_error_t *err);
/* A syntactically valid Z85 key: 40 chars from the Z85 alphabet. */
int keys_valid_z85 (const char *z85);

#endif

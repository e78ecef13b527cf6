/* msg_schema.h: private to the codec (msg.c, msg_schema.c, msg_text.c); no other file
 * includes it. It describes what every message holds as data: a field table
 * per payload struct (JSON name = C field name, kind, offset, limits, and for
 * arrays and nested objects the table of their elements) and one row per
 * message type (its name, its field table, hooks that set defaults and run
 * the owners' validators). msg.c walks these tables to encode, decode and
 * free; doc/protocol.md is their description for people.
 */
#ifndef CPHUB_MSG_SCHEMA_H
#define CPHUB_MSG_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "cphub/error.h"
#include "cphub/msg.h"

typedef enum {
    FK_U32 = 0, /* uint32_t */
    FK_U64,     /* uint64_t, 0..INT64_MAX on the wire */
    FK_INT,     /* int */
    FK_I64,     /* int64_t */
    FK_DOUBLE,  /* double, finite */
    FK_BOOL,    /* bool */
    FK_STR,     /* char[size], NUL-terminated */
    FK_ENUM,    /* an int-sized enum, as its name */
    FK_OBJECT,  /* a nested struct described by sub */
    FK_ARRAY,   /* T *ptr + uint32_t count; objects (sub) or uint64_t values */
    FK_ARGV,    /* char **argv (NULL-terminated, NULL when empty) + int argc */
    FK_TEXT,    /* char *, NULL = JSON null or absent */
    FK_BYTES,   /* char * + size_t len, base64 on the wire */
    FK_FORM,    /* void *, a parsed form (form) that is text on the wire */
} field_kind_t;

#define FF_OPTIONAL 0x1 /* may be absent */
#define FF_IDSET 0x2    /* FK_STR holding an id list ("0-3,8") */
#define FF_EMPTY 0x4    /* FK_FORM: no form is "" on the wire, not null */

/* A typed value whose wire form is text: decoding parses the text once
 * (and so validates it), encoding renders it back, freeing destroys it.
 * "" or null on the wire is no form (NULL). */
typedef struct text_form {
    /* A new form from text: NULL with errno (EINVAL, ENOMEM) and err. */
    void *(*parse) (const char *text, cphub_error_t *err);
    /* snprintf's contract. */
    int (*format) (const void *form, char *buf, size_t len);
    void (*destroy) (void *form);
} text_form_t;

/* Names of an enum's values 0..count-1. */
typedef struct enum_desc {
    int count;
    const char *(*name) (int value);
} enum_desc_t;

typedef struct field {
    const char *name; /* NULL ends a table */
    field_kind_t kind;
    size_t off;
    size_t size;                /* FK_STR: array size; FK_ARRAY: element size */
    size_t count_off;           /* FK_ARRAY, FK_ARGV, FK_BYTES */
    int64_t min, max;           /* integers; entries of arrays; bytes of text/data */
    int64_t elem_min, elem_max; /* values of a uint64_t array; bytes of a word */
    double dmin, dmax;          /* FK_DOUBLE */
    const struct field *sub;    /* FK_OBJECT, FK_ARRAY of objects */
    const enum_desc_t *names;   /* FK_ENUM */
    const text_form_t *form;    /* FK_FORM; max is the bytes of its text */
    unsigned flags;
} field_t;

typedef struct msg_kind {
    const char *name;        /* the type frame: "submit" */
    const field_t *fields;   /* the payload, relative to &msg->u */
    void (*init) (msg_t *m); /* defaults after zeroing, or NULL */
    /* After a successful decode, or NULL: -1/EINVAL with err (no type
     * prefix; the caller adds it). */
    int (*check) (const msg_t *m, cphub_error_t *err);
} msg_kind_t;

/* The row of type t; NULL when t is out of range. */
const msg_kind_t *msg_schema_kind (msg_type_t t);

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid: no
 * overlong forms, surrogates or code points above U+10FFFF (as jansson). */
size_t msg_utf8_seq_len (const unsigned char *s, size_t n);
/* base64 of len bytes: malloc'd, NUL-terminated, *out_len its length;
 * NULL/ENOMEM. */
char *msg_base64_encode (const unsigned char *in, size_t len, size_t *out_len);
/* Decode n chars of strict base64 (padding required) into out, which has
 * room for n / 4 * 3 bytes; -1/EINVAL on a bad character, length or padding. */
int msg_base64_decode (const char *in, size_t n, unsigned char *out, size_t *out_len);

#endif

/* constraint.c: the feature expression of `--constraint` (constraint.h). A
 * recursive-descent parser (or := and ('|' and)*; and := not ('&' not)*;
 * not := '!' not | '(' or ')' | NAME) compiles the text into a postfix
 * program over a table of the names it mentions; matching a node looks each
 * name up once in the node's comma-separated feature list and runs the
 * program on a small stack of booleans. Every limit is checked while
 * parsing, so evaluation cannot overflow. The expression never changes after
 * parse, so a copy is the same object with one more holder (every element of
 * an array holds its spec's constraint). No state outside the object; not
 * for use from several threads at once.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cphub/constraint.h"

/* Every operation consumes at least one byte of text. */
#define CONSTRAINT_OPS_MAX CONSTRAINT_TEXT_MAX

enum { OP_NAME = 0, OP_AND, OP_OR, OP_NOT };

typedef struct constraint_op {
    uint8_t kind;
    uint8_t name; /* OP_NAME: index into names */
} constraint_op_t;

typedef struct constraint_name {
    uint8_t off; /* into text */
    uint8_t len;
} constraint_name_t;

struct constraint {
    uint32_t refs; /* holders of this copy (constraint_copy shares it) */
    uint16_t nops;
    uint8_t nnames;
    constraint_op_t ops[CONSTRAINT_OPS_MAX];
    constraint_name_t names[CONSTRAINT_NAMES_MAX];
    char text[CONSTRAINT_TEXT_MAX + 1];
};

typedef struct parser {
    const char *text;
    size_t pos;
    int depth;
    constraint_t *c;
    cphub_error_t *err;
} parser_t;

static bool constraint_name_char (char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
}

/* "'x'" or "byte 0x01" for a character in an error text. */
static const char *constraint_show (char ch, char *buf, size_t len)
{
    unsigned char u = (unsigned char)ch;

    if (u >= 0x20 && u < 0x7f)
        snprintf (buf, len, "'%c'", ch);
    else
        snprintf (buf, len, "byte 0x%02x", u);
    return buf;
}

static void constraint_skip (parser_t *p)
{
    while (p->text[p->pos] == ' ' || p->text[p->pos] == '\t')
        p->pos++;
}

static int constraint_emit (parser_t *p, int kind, int name)
{
    if (p->c->nops >= CONSTRAINT_OPS_MAX)
        return cphub_fail (p->err, EINVAL, "the expression has more than %d operations",
                           CONSTRAINT_OPS_MAX);
    p->c->ops[p->c->nops].kind = (uint8_t)kind;
    p->c->ops[p->c->nops].name = (uint8_t)name;
    p->c->nops++;
    return 0;
}

/* A name at p->pos: into the table (once per distinct name) and the program. */
static int constraint_name (parser_t *p)
{
    constraint_t *c = p->c;
    size_t start = p->pos;
    size_t len;

    while (constraint_name_char (p->text[p->pos]))
        p->pos++;
    len = p->pos - start;
    if (len > CONSTRAINT_NAME_MAX)
        return cphub_fail (
            p->err, EINVAL,
            "the feature name at column %zu is %zu bytes; the most is %d", start + 1,
            len, CONSTRAINT_NAME_MAX);
    for (uint8_t i = 0; i < c->nnames; i++) {
        if (c->names[i].len == len &&
            memcmp (c->text + c->names[i].off, c->text + start, len) == 0)
            return constraint_emit (p, OP_NAME, i);
    }
    if (c->nnames >= CONSTRAINT_NAMES_MAX)
        return cphub_fail (p->err, EINVAL,
                           "more than %d different feature names (at column %zu)",
                           CONSTRAINT_NAMES_MAX, start + 1);
    c->names[c->nnames].off = (uint8_t)start;
    c->names[c->nnames].len = (uint8_t)len;
    c->nnames++;
    return constraint_emit (p, OP_NAME, c->nnames - 1);
}

static int constraint_or (parser_t *p, size_t after);

/* A character that is no part of an expression: "'$' at column 2 may not...". */
static int constraint_bad_char (parser_t *p)
{
    char what[16];

    return cphub_fail (p->err, EINVAL,
                       "%s at column %zu may not be in a feature name; use letters, "
                       "digits, '.', '_', '-' and & | ! ( )",
                       constraint_show (p->text[p->pos], what, sizeof (what)),
                       p->pos + 1);
}

static bool constraint_token_char (char ch)
{
    return ch != '\0' && (constraint_name_char (ch) || strchr ("&|!() \t", ch) != NULL);
}

static int constraint_deeper (parser_t *p)
{
    if (++p->depth > CONSTRAINT_DEPTH_MAX)
        return cphub_fail (p->err, EINVAL, "nested deeper than %d levels at column %zu",
                           CONSTRAINT_DEPTH_MAX, p->pos + 1);
    return 0;
}

/* not := '!' not | '(' or ')' | NAME. after is the position of the operator
 * before it, or SIZE_MAX at the start, for the error texts. */
static int constraint_not (parser_t *p, size_t after)
{
    char ch, what[16];
    size_t open;

    constraint_skip (p);
    ch = p->text[p->pos];
    if (ch == '!') {
        size_t bang = p->pos;
        if (constraint_deeper (p) < 0)
            return -1;
        p->pos++;
        if (constraint_not (p, bang) < 0 || constraint_emit (p, OP_NOT, 0) < 0)
            return -1;
        p->depth--;
        return 0;
    }
    if (ch == '(') {
        open = p->pos;
        if (constraint_deeper (p) < 0)
            return -1;
        p->pos++;
        if (constraint_or (p, open) < 0)
            return -1;
        constraint_skip (p);
        ch = p->text[p->pos];
        if (ch == '\0')
            return cphub_fail (p->err, EINVAL, "'(' at column %zu is never closed",
                               open + 1);
        if (!constraint_token_char (ch))
            return constraint_bad_char (p);
        if (ch != ')')
            return cphub_fail (p->err, EINVAL,
                               "expected '&', '|' or ')' at column %zu, found %s",
                               p->pos + 1, constraint_show (ch, what, sizeof (what)));
        p->pos++;
        p->depth--;
        return 0;
    }
    if (constraint_name_char (ch))
        return constraint_name (p);
    if (ch == '\0' && after == SIZE_MAX)
        return cphub_fail (p->err, EINVAL,
                           "the expression is empty; give features like "
                           "avx512&(a100|h100)");
    if (ch == '\0')
        return cphub_fail (p->err, EINVAL,
                           "expected a feature name after '%c' at column %zu, found "
                           "the end",
                           p->text[after], after + 1);
    if (ch == ')' || ch == '&' || ch == '|')
        return cphub_fail (p->err, EINVAL, "unexpected '%c' at column %zu", ch,
                           p->pos + 1);
    return constraint_bad_char (p);
}

typedef int (*constraint_level_f) (parser_t *p, size_t after);

/* One level of a binary operator: operand (op operand)*, emitted in postfix. */
static int constraint_binary (
    parser_t *p, size_t after, char op, int kind, constraint_level_f operand)
{
    if (operand (p, after) < 0)
        return -1;
    for (;;) {
        constraint_skip (p);
        if (p->text[p->pos] != op)
            return 0;
        size_t at = p->pos++;
        if (operand (p, at) < 0 || constraint_emit (p, kind, 0) < 0)
            return -1;
    }
}

/* and := not ('&' not)* */
static int constraint_and (parser_t *p, size_t after)
{
    return constraint_binary (p, after, '&', OP_AND, constraint_not);
}

/* or := and ('|' and)* */
static int constraint_or (parser_t *p, size_t after)
{
    return constraint_binary (p, after, '|', OP_OR, constraint_and);
}

constraint_t *constraint_parse (const char *text, cphub_error_t *err)
{
    constraint_t *c = NULL;
    parser_t p = {.text = text, .err = err};
    size_t len = text ? strlen (text) : 0;
    char what[16];

    if (!text) {
        cphub_fail (err, EINVAL, "no expression given");
        return NULL;
    }
    if (len > CONSTRAINT_TEXT_MAX) {
        cphub_fail (err, EINVAL, "the expression is %zu bytes; the most is %d", len,
                    CONSTRAINT_TEXT_MAX);
        return NULL;
    }
    if (!(c = calloc (1, sizeof (*c)))) {
        cphub_fail (err, ENOMEM, "out of memory");
        return NULL;
    }
    c->refs = 1;
    memcpy (c->text, text, len + 1);
    p.text = c->text;
    p.c = c;
    if (constraint_or (&p, SIZE_MAX) < 0)
        goto error;
    constraint_skip (&p);
    if (c->text[p.pos] == ')') {
        cphub_fail (err, EINVAL, "unexpected ')' at column %zu", p.pos + 1);
        goto error;
    }
    if (c->text[p.pos] != '\0' && !constraint_token_char (c->text[p.pos])) {
        constraint_bad_char (&p);
        goto error;
    }
    if (c->text[p.pos] != '\0') {
        cphub_fail (err, EINVAL, "expected '&' or '|' at column %zu, found %s",
                    p.pos + 1, constraint_show (c->text[p.pos], what, sizeof (what)));
        goto error;
    }
    return c;
error:
    constraint_destroy (c);
    errno = EINVAL;
    return NULL;
}

void constraint_destroy (constraint_t *c)
{
    if (c && --c->refs == 0)
        free (c);
}

constraint_t *constraint_copy (const constraint_t *c)
{
    constraint_t *shared = (constraint_t *)c; /* only its count changes */

    if (shared)
        shared->refs++;
    return shared;
}

const char *constraint_text (const constraint_t *c)
{
    return c ? c->text : "";
}

const char *constraint_text_short (const constraint_t *c, char *buf, size_t len)
{
    const char *text = constraint_text (c);

    if (len == 0)
        return "";
    if ((size_t)snprintf (buf, len, "%s", text) >= len && len >= 4)
        memcpy (buf + len - 4, "...", 4);
    return buf;
}

int constraint_check (const char *text, cphub_error_t *err)
{
    constraint_t *c = constraint_parse (text, err);

    if (!c)
        return -1;
    constraint_destroy (c);
    return 0;
}

/* Is the name (len bytes at name) one of the comma-separated features? */
static bool constraint_has (const char *features, const char *name, size_t len)
{
    const char *f = features;

    while (f && *f) {
        const char *end = strchr (f, ',');
        size_t n = end ? (size_t)(end - f) : strlen (f);
        if (n == len && memcmp (f, name, len) == 0)
            return true;
        f = end ? end + 1 : NULL;
    }
    return false;
}

bool constraint_match (const constraint_t *c, const char *features)
{
    bool have[CONSTRAINT_NAMES_MAX];
    bool stack[2 * CONSTRAINT_DEPTH_MAX + 4];
    int top = 0;

    if (!c)
        return true;
    for (uint8_t i = 0; i < c->nnames; i++)
        have[i] = constraint_has (features, c->text + c->names[i].off, c->names[i].len);
    /* The parser emits a well-formed postfix program in which each level of
     * nesting holds at most two pending operands (one of '|', one of '&'),
     * so the stack never holds more than 2 * (depth + 1) + 1 values. */
    for (uint16_t k = 0; k < c->nops; k++) {
        const constraint_op_t *op = &c->ops[k];
        switch (op->kind) {
        case OP_NAME:
            stack[top++] = have[op->name];
            break;
        case OP_NOT:
            stack[top - 1] = !stack[top - 1];
            break;
        case OP_AND:
            top--;
            stack[top - 1] = stack[top - 1] && stack[top];
            break;
        case OP_OR:
        default:
            top--;
            stack[top - 1] = stack[top - 1] || stack[top];
            break;
        }
    }
    return top == 1 && stack[0];
}

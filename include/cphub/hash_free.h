/* hash_free.h: emptying a uthash table whose items are single malloc()ed
 * blocks, the way every owner of such a table is destroyed.
 */
#ifndef CPHUB_HASH_FREE_H
#define CPHUB_HASH_FREE_H

#include <stdlib.h>
#include <uthash.h>

/* Remove every item of the table head (linked by the handle field hh) and
 * free() it; head is NULL afterwards. */
#define HASH_FREE_ALL(hh, head)                               \
    do {                                                      \
        __typeof__ (head) hash_free_item_, hash_free_tmp_;    \
        HASH_ITER (hh, head, hash_free_item_, hash_free_tmp_) \
        {                                                     \
            HASH_DEL (head, hash_free_item_);                 \
            free (hash_free_item_);                           \
        }                                                     \
    } while (0)

#endif

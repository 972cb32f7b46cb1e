/*
 * Memory handed to DISM callers.
 *
 * Every top-level pointer a DISM function returns is one malloc'd block
 * (structs, nested arrays and strings packed inside it), recorded in a
 * registry of live blocks so DismDelete can refuse pointers it never gave
 * out instead of crashing on them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "lab.h"

typedef struct live_block {
    void *ptr;
    struct live_block *next;
} live_block;

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static live_block *live_head;

int arena_init(lab_arena *a, size_t cap)
{
    a->used = 0;
    a->cap = cap ? cap : 1;
    a->base = calloc(1, a->cap);
    return a->base ? 0 : -1;
}

void *arena_take(lab_arena *a, size_t n)
{
    size_t start = (a->used + 1) & ~(size_t)1;   /* WCHAR alignment */
    if (start + n > a->cap)
        return NULL;                              /* a sizing bug; callers check */
    a->used = start + n;
    return a->base + start;
}

size_t arena_wstr_bound(const char *utf8)
{
    /* Each UTF-8 byte yields at most one UTF-16 unit; +1 NUL, +1 alignment. */
    return utf8 ? (strlen(utf8) + 2) * sizeof(WCHAR) : 0;
}

WCHAR *arena_wstr(lab_arena *a, const char *utf8)
{
    if (!utf8)
        return NULL;
    WCHAR *dst = arena_take(a, utf8_to_u16(utf8, NULL) * sizeof(WCHAR));
    if (dst)
        utf8_to_u16(utf8, dst);
    return dst;
}

void *arena_publish(lab_arena *a)
{
    live_block *b = malloc(sizeof(*b));
    if (!b) {
        arena_discard(a);
        return NULL;
    }
    b->ptr = a->base;
    pthread_mutex_lock(&live_lock);
    b->next = live_head;
    live_head = b;
    pthread_mutex_unlock(&live_lock);
    a->base = NULL;
    return b->ptr;
}

void arena_discard(lab_arena *a)
{
    free(a->base);
    a->base = NULL;
}

HRESULT lab_mem_release(void *p)
{
    if (!p)
        return LAB_S_OK;
    pthread_mutex_lock(&live_lock);
    live_block **link = &live_head;
    while (*link && (*link)->ptr != p)
        link = &(*link)->next;
    live_block *found = *link;
    if (found)
        *link = found->next;
    pthread_mutex_unlock(&live_lock);
    if (!found)
        return LAB_E_INVALIDARG;
    free(found->ptr);
    free(found);
    return LAB_S_OK;
}

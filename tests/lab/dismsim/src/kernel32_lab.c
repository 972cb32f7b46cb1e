/*
 * libLabKernel32.so: Win32 events for the lab.
 *
 * The C# helper P/Invokes kernel32.dll for its cancel event (Mono maps it
 * here) and libDismApi.so polls the same event with WaitForSingleObject(h, 0).
 *
 * Handles are not pointers: they encode a slot and a generation, so a
 * garbage, stale or closed handle is looked up, found wanting and rejected
 * (ERROR_INVALID_HANDLE) instead of being dereferenced.  Named events are
 * shared within the process only.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kernel32_lab.h"

#define EVENT_MAGIC 0x4C414245u   /* "EBAL" */
#define MAX_EVENTS  1024

typedef struct lab_event {
    uint32_t magic;
    uint32_t generation;
    int refs;                 /* handles sharing this event (named events) */
    int manual_reset;
    int signaled;
    WCHAR *name;
    pthread_cond_t cond;
} lab_event;

typedef struct slot {
    lab_event *event;
    uint32_t generation;
} slot;

static pthread_mutex_t k32_lock = PTHREAD_MUTEX_INITIALIZER;
static slot slots[MAX_EVENTS];
static __thread DWORD t_last_error;

DWORD WINAPI GetLastError(void)
{
    return t_last_error;
}

void k32_set_last_error(DWORD code)
{
    t_last_error = code;
}

static HANDLE encode(size_t index, uint32_t gen)
{
    return (HANDLE)(uintptr_t)(((uint64_t)(gen & 0xFFFF) << 20) | ((index + 1) << 2));
}

/* Caller holds k32_lock.  NULL (and last error set) for a bad handle. */
static slot *lookup(HANDLE h)
{
    uint64_t v = (uint64_t)(uintptr_t)h;
    uint64_t index = ((v >> 2) & 0x3FFFF) - 1;
    if ((v & 3) || index >= MAX_EVENTS || (v >> 36) != 0 ||
        !slots[index].event || slots[index].event->magic != EVENT_MAGIC ||
        (slots[index].generation & 0xFFFF) != ((v >> 20) & 0xFFFF)) {
        t_last_error = ERROR_INVALID_HANDLE;
        return NULL;
    }
    return &slots[index];
}

static int name_eq(const WCHAR *a, const WCHAR *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static lab_event *find_named(const WCHAR *name)
{
    for (size_t i = 0; name && i < MAX_EVENTS; i++)
        if (slots[i].event && slots[i].event->name && name_eq(slots[i].event->name, name))
            return slots[i].event;
    return NULL;
}

static lab_event *new_event(BOOL manual, BOOL initial, const WCHAR *name)
{
    lab_event *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    if (name) {
        size_t n = 0;
        while (name[n])
            n++;
        e->name = malloc((n + 1) * sizeof(WCHAR));
        if (!e->name) {
            free(e);
            return NULL;
        }
        memcpy(e->name, name, (n + 1) * sizeof(WCHAR));
    }
    e->magic = EVENT_MAGIC;
    e->manual_reset = manual != 0;
    e->signaled = initial != 0;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&e->cond, &attr);
    pthread_condattr_destroy(&attr);
    return e;
}

HANDLE WINAPI CreateEventW(LPSECURITY_ATTRIBUTES attrs, BOOL manual_reset,
                           BOOL initial_state, const WCHAR *name)
{
    (void)attrs;
    HANDLE h = NULL;
    pthread_mutex_lock(&k32_lock);
    size_t i = 0;
    while (i < MAX_EVENTS && slots[i].event)
        i++;
    lab_event *e = i < MAX_EVENTS ? find_named(name) : NULL;
    if (i < MAX_EVENTS && !e)
        e = new_event(manual_reset, initial_state, name);
    if (e) {
        e->refs++;
        slots[i].event = e;
        slots[i].generation++;
        h = encode(i, slots[i].generation);
        t_last_error = 0;
    } else {
        t_last_error = 8; /* ERROR_NOT_ENOUGH_MEMORY */
    }
    pthread_mutex_unlock(&k32_lock);
    return h;
}

static BOOL set_state(HANDLE h, int signaled)
{
    pthread_mutex_lock(&k32_lock);
    slot *s = lookup(h);
    if (s) {
        s->event->signaled = signaled;
        if (signaled)
            pthread_cond_broadcast(&s->event->cond);
    }
    pthread_mutex_unlock(&k32_lock);
    return s != NULL;
}

BOOL WINAPI SetEvent(HANDLE h)
{
    return set_state(h, 1);
}

BOOL WINAPI ResetEvent(HANDLE h)
{
    return set_state(h, 0);
}

static struct timespec deadline_after(DWORD ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

DWORD WINAPI WaitForSingleObject(HANDLE h, DWORD ms)
{
    struct timespec deadline = deadline_after(ms);
    DWORD result = WAIT_TIMEOUT;
    pthread_mutex_lock(&k32_lock);
    slot *s = lookup(h);
    lab_event *e = s ? s->event : NULL;
    if (!e)
        result = WAIT_FAILED;
    if (e)
        e->refs++;   /* keep it alive if another thread closes the handle */
    while (e && !e->signaled && ms != 0) {
        int rc = ms == INFINITE ? pthread_cond_wait(&e->cond, &k32_lock)
                                : pthread_cond_timedwait(&e->cond, &k32_lock, &deadline);
        if (rc == ETIMEDOUT)
            break;
    }
    if (e && e->signaled) {
        result = WAIT_OBJECT_0;
        if (!e->manual_reset)
            e->signaled = 0;
    }
    if (e && --e->refs == 0) {
        pthread_cond_destroy(&e->cond);
        free(e->name);
        free(e);
    }
    pthread_mutex_unlock(&k32_lock);
    return result;
}

BOOL WINAPI CloseHandle(HANDLE h)
{
    pthread_mutex_lock(&k32_lock);
    slot *s = lookup(h);
    lab_event *e = s ? s->event : NULL;
    if (s)
        s->event = NULL;
    if (e && --e->refs == 0) {
        e->magic = 0;
        pthread_cond_destroy(&e->cond);
        free(e->name);
        free(e);
    }
    pthread_mutex_unlock(&k32_lock);
    return s != NULL;
}

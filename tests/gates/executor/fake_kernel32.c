/* The three kernel32 calls the helper makes, for tests/gates/test_executor.py. */
#include <stdint.h>
#include <stdlib.h>

void *CreateEventW(void *attributes, int manual_reset, int initial_state, const uint16_t *name)
{
    (void)attributes; (void)manual_reset; (void)name;
    int *state = malloc(sizeof *state);
    if (state)
        *state = initial_state;
    return state;
}

int SetEvent(void *event) { *(int *)event = 1; return 1; }
int CloseHandle(void *handle) { free(handle); return 1; }

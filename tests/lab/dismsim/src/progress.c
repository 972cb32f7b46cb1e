/*
 * Progress and cancellation for every long DISM operation.
 *
 * Before each report the helper pauses for $DISM_LAB_PROGRESS_DELAY_MS
 * (default 0) so tests can cancel or time out an operation in flight, then
 * polls the CancelEvent with WaitForSingleObject(h, 0), then calls the
 * callback.  Reports never exceed Total; a run ends with Current == Total.
 */
#include <stdlib.h>
#include <time.h>
#include "lab.h"
#include "kernel32_lab.h"

void progress_init(lab_progress *p, HANDLE cancel, DISM_PROGRESS_CALLBACK cb,
                   PVOID user, UINT total)
{
    p->cancel = cancel;
    p->callback = cb;
    p->user_data = user;
    p->total = total ? total : 1;
    p->calls = 0;
}

static void pause_for_tests(void)
{
    const char *v = getenv("DISM_LAB_PROGRESS_DELAY_MS");
    long ms = v ? strtol(v, NULL, 10) : 0;
    if (ms <= 0)
        return;
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&t, NULL);
}

HRESULT progress_cancelled(lab_progress *p)
{
    if (!p->cancel)
        return LAB_S_OK;
    DWORD w = WaitForSingleObject(p->cancel, 0);
    if (w == WAIT_OBJECT_0)
        return lab_fail(LAB_E_CANCELLED, NULL);
    if (w == WAIT_FAILED)
        return lab_fail(LAB_E_INVALID_HANDLE, "(CancelEvent)");
    return LAB_S_OK;
}

HRESULT progress_report(lab_progress *p, UINT current)
{
    pause_for_tests();
    HRESULT hr = progress_cancelled(p);
    if (hr != LAB_S_OK)
        return hr;
    if (current > p->total)
        current = p->total;
    if (p->callback)
        p->callback(current, p->total, p->user_data);
    p->calls++;
    return LAB_S_OK;
}

HRESULT progress_run(lab_progress *p, UINT steps)
{
    if (steps == 0)
        steps = 1;
    for (UINT i = 1; i <= steps; i++) {
        UINT current = (UINT)((uint64_t)p->total * i / steps);
        HRESULT hr = progress_report(p, current);
        if (hr != LAB_S_OK)
            return hr;
    }
    return LAB_S_OK;
}

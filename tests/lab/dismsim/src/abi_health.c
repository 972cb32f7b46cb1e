/* Export: DismCheckImageHealth. */
#include "lab.h"

HRESULT WINAPI DismCheckImageHealth(DismSession Session, WINBOOL ScanImage, HANDLE CancelEvent,
                                    DISM_PROGRESS_CALLBACK Progress, PVOID UserData,
                                    DismImageHealthState *ImageHealth)
{
    lab_call c;
    lab_session *s = NULL;
    HRESULT hr = call_enter(&c, __func__, LAB_CALL_DEFAULT);
    if (hr == LAB_S_OK)
        hr = session_acquire(Session, &s);
    if (hr == LAB_S_OK && !ImageHealth)
        hr = lab_fail(LAB_E_INVALIDARG, "ImageHealth is required.");
    if (hr == LAB_S_OK) {
        lab_progress p;
        int state = DismImageHealthy;
        progress_init(&p, CancelEvent, Progress, UserData, 0);
        hr = health_check(s, ScanImage != FALSE, &p, &state);
        if (hr == LAB_S_OK)
            *ImageHealth = (DismImageHealthState)state;
    }
    session_release(s);
    return call_leave(&c, hr);
}

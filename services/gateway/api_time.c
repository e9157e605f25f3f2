#include "api_time.h"

#include "ow_clock.h"

json_t *api_time_json(int64_t time_us)
{
    char buf[64];
    if (time_us == 0)
        return json_null();
    return json_string(ow_clock_format_local(time_us, buf, sizeof buf));
}

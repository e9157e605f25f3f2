/* withheld_events — see withheld_events.h. */
#include "withheld_events.h"

#include <stddef.h>
#include <string.h>

const char *const withheld_events[] = {"rating.push_requested", "rating.pushes_requested", NULL};

bool withheld_event(const char *type)
{
    for (size_t i = 0; withheld_events[i]; i++)
        if (strcmp(type, withheld_events[i]) == 0)
            return true;
    return false;
}

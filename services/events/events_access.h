// Who may call which EventsService method.
#pragma once

#include "services/common/auth.h"

namespace newsdesk::events {

// Reads (Get, List, Export, Watch) are public — anonymous callers see events
// that are not deleted; every other method writes and needs an editor.
AccessPolicy EventsAccessPolicy();

}  // namespace newsdesk::events

// Who may call which ContentService method.
#pragma once

#include "services/common/auth.h"

namespace newsdesk::content {

// Reads are public (anonymous callers see published articles only, enforced
// by the handlers); revisions expose unpublished text, so they need a token;
// everything else writes and needs an editor.
AccessPolicy ContentAccessPolicy();

}  // namespace newsdesk::content

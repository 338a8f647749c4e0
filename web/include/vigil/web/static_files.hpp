#pragma once
// Serves the portal's files (HTML, JS, CSS, fonts, the charting library installed from npm) from
// a directory on the box: never from a CDN. Paths are confined to the root (no `..`, no
// symlinks out, no hidden files); every file carries an ETag and is revalidated on use (a 304
// without body when unchanged), so an upgrade never leaves a page with stale modules.

#include <string>

#include "vigil/web/http.hpp"

namespace vigil::web {

/// Adds `GET /` (index.html) and `GET /assets/{*path}` serving files below `root`.
void addStaticRoutes(Router& router, const std::string& root);

/// Content type by file extension (exposed for tests).
std::string contentTypeFor(const std::string& path);

}  // namespace vigil::web

#pragma once
// Serves the portal's files (HTML, JS, CSS, fonts, the charting library installed from npm) from
// a directory on the box: never from a CDN. Paths are confined to the root (no `..`, no
// symlinks out, no hidden files); HTML is revalidated on every load, versioned assets are cached.

#include <string>

#include "vigil/web/http.hpp"

namespace vigil::web {

/// Adds `GET /` (index.html) and `GET /assets/{*path}` serving files below `root`.
void addStaticRoutes(Router& router, const std::string& root);

/// Content type by file extension (exposed for tests).
std::string contentTypeFor(const std::string& path);

}  // namespace vigil::web

#pragma once
// The PKI directory's file helpers are core's (vigil/core/files.hpp); these names keep the CA
// code reading as before.

#include "vigil/core/files.hpp"

namespace vigil::pki::detail {

using files::appendFile;
using files::DirLock;
using files::fileMode;
using files::makeDir;
using files::readFile;
using files::writeFileAtomic;

}  // namespace vigil::pki::detail

# Install-time: /etc/vigil/vigild.conf from the sample (image/vigild.conf, which is exactly
# `vigild config sample` and so leaves web.assets_dir empty) with web.assets_dir pointing at the
# installed portal, under the prefix this install uses (/usr for the package; `cmake --install
# --prefix P` gives P/share/vigil/portal). VIGIL_CONF_SAMPLE is set by image/CMakeLists.txt.
file(READ "${VIGIL_CONF_SAMPLE}" _conf)
set(_key "\nweb.assets_dir = \n")
string(FIND "${_conf}" "${_key}" _at)
if(_at EQUAL -1)
  message(FATAL_ERROR "${VIGIL_CONF_SAMPLE}: no empty web.assets_dir line to fill in")
endif()
string(REPLACE "${_key}" "\nweb.assets_dir = ${CMAKE_INSTALL_PREFIX}/share/vigil/portal\n" _conf "${_conf}")
set(_dest "$ENV{DESTDIR}/etc/vigil")
file(MAKE_DIRECTORY "${_dest}")
file(WRITE "${_dest}/vigild.conf" "${_conf}")
message(STATUS "Installing: ${_dest}/vigild.conf (web.assets_dir = ${CMAKE_INSTALL_PREFIX}/share/vigil/portal)")
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${_dest}/vigild.conf")

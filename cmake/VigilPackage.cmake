# The Debian package: `cpack -G DEB` (or `scripts/package.sh`) makes vigil_<version>_amd64.deb from
# this project's install rules (binaries, portal, systemd units, sysusers, Mosquitto templates,
# firewall) plus the documentation. Dependencies are Debian 12 packages: the shared libraries'
# from dpkg-shlibdeps, and what vigild loads or runs without linking it (below).
# Maintainer scripts: image/debian/ (docs/operations.md, "Install", "Upgrade", "Uninstall").

install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION share/doc/vigil)
file(GLOB _vigil_docs ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${_vigil_docs} DESTINATION share/doc/vigil)

# cpack packs what is built and builds nothing: scripts/package.sh builds first, and the install
# test packs the tree ctest runs in without rebuilding its tests.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vigil)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION}) # `cpack -R VERSION` overrides it
set(CPACK_PACKAGE_VENDOR "Vigil")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION
    "vigild (remote patient monitoring, alerts, video visits, portal and API), vigil-devtool and\n"
    "vigil-provision, the portal, the systemd units, the Mosquitto configuration templates and\n"
    "the nftables firewall of a Vigil appliance. Set the box up after installing it:\n"
    "/usr/share/doc/vigil/operations.md.")
string(JOIN "" CPACK_PACKAGE_DESCRIPTION ${CPACK_PACKAGE_DESCRIPTION})
set(CPACK_PACKAGE_CONTACT "Vigil maintainers <vigil@localhost>")
# Absolute destinations (/etc/vigil) go into the package, not onto the build machine.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # vigil_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Not linked, needed at run time: systemd-sysusers (postinst) and the units; the IANA zones;
# the broker the units run; GStreamer's plugins webrtcbin, nice, rtp, vpx are loaded by name.
set(_vigil_depends systemd tzdata mosquitto)
if(VIGIL_WITH_VIDEO)
  list(APPEND _vigil_depends gstreamer1.0-plugins-base gstreamer1.0-plugins-good
       gstreamer1.0-plugins-bad gstreamer1.0-nice)
endif()
list(JOIN _vigil_depends ", " CPACK_DEBIAN_PACKAGE_DEPENDS)
# The firewall (nftables), the openssl tool the docs use, the encrypted data volume (cryptsetup),
# and BlueZ for BLE devices: a box works without them, so Recommends.
set(_vigil_recommends openssl nftables cryptsetup)
if(VIGIL_WITH_BLE)
  list(APPEND _vigil_recommends bluez)
endif()
list(JOIN _vigil_recommends ", " CPACK_DEBIAN_PACKAGE_RECOMMENDS)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/image/debian/postinst ${PROJECT_SOURCE_DIR}/image/debian/prerm
    ${PROJECT_SOURCE_DIR}/image/debian/postrm ${PROJECT_SOURCE_DIR}/image/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS ember ember_native EXPORT emberTargets)
install(DIRECTORY include/ember DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(EMBER_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ember)
install(EXPORT emberTargets NAMESPACE ember:: DESTINATION ${EMBER_CMAKE_DIR})

configure_package_config_file(cmake/emberConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/emberConfig.cmake
  INSTALL_DESTINATION ${EMBER_CMAKE_DIR})
# A header-only library is the same on every architecture.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/emberConfigVersion.cmake
  COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/emberConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/emberConfigVersion.cmake
              ${CMAKE_CURRENT_SOURCE_DIR}/cmake/EmberFindDependencies.cmake
        DESTINATION ${EMBER_CMAKE_DIR})

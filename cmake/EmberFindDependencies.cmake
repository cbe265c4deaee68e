# Finds ember's two dependencies. Used by ember's own build and by the installed emberConfig.cmake.
#
# Debian's xsimd 8.1 package exports a target that links a bare "xtl" (its optional companion library)
# without finding it, so the link line gets "-lxtl", which does not exist. xtl is header-only and ember
# does not use it: when no xtl target is around we provide an empty one so the name resolves to nothing.
include(CMakeFindDependencyMacro)
if(NOT TARGET xtl)
  find_package(xtl QUIET)
  if(NOT TARGET xtl)
    add_library(xtl INTERFACE IMPORTED)
  endif()
endif()

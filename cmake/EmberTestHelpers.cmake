# Helpers shared by tests/CMakeLists.txt and tests/mpi/CMakeLists.txt.
include_guard(GLOBAL)

# ember_header_reaches(<header> <out>): every header that <header> (a path under include/, "ember/...") reaches
# through its own #include lines, ember's and third-party ones, transitively. Text only, memoised per header.
function(ember_header_reaches header out)
  string(MAKE_C_IDENTIFIER ${header} id)
  get_property(known GLOBAL PROPERTY ember_reaches_${id} SET)
  if(known)
    get_property(reached GLOBAL PROPERTY ember_reaches_${id})
    set(${out} ${reached} PARENT_SCOPE)
    return()
  endif()
  file(STRINGS ${PROJECT_SOURCE_DIR}/include/${header} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
  set(reached)
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"].*$" "\\1" included "${line}")
    list(APPEND reached ${included})
    if(included MATCHES "^ember/" AND EXISTS ${PROJECT_SOURCE_DIR}/include/${included})
      ember_header_reaches(${included} below)
      list(APPEND reached ${below})
    endif()
  endforeach()
  list(REMOVE_DUPLICATES reached)
  set_property(GLOBAL PROPERTY ember_reaches_${id} ${reached})
  set(${out} ${reached} PARENT_SCOPE)
endfunction()

# ember_add_standalone_header_check(<target> HEADERS <header>... LIBRARIES <lib>...): every header compiles on
# its own (STYLE habit 3), included twice (its include guard works): one -fsyntax-only translation unit per
# header, so no header can lean on what another brought in.
# Parsing Eigen and xsimd is most of each file's cost (docs/performance.md, "Test build time"), so a header that
# reaches them through its own includes is checked with them precompiled: the precompiled header holds only
# third-party headers the checked header would include anyway, so it makes nothing visible that it did not ask for.
function(ember_add_standalone_header_check target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "HEADERS;LIBRARIES")
  set(groups plain eigen xsimd eigen_xsimd)
  set(pch_eigen <Eigen/Core>)
  set(pch_xsimd <xsimd/xsimd.hpp>)
  set(pch_eigen_xsimd <Eigen/Core> <xsimd/xsimd.hpp>)
  foreach(group ${groups})
    set(sources_${group})
  endforeach()
  foreach(header ${arg_HEADERS})
    ember_header_reaches(${header} reached)
    set(group plain)
    list(FILTER reached INCLUDE REGEX "^(Eigen|xsimd)/")
    if(reached MATCHES "Eigen/" AND reached MATCHES "xsimd/")
      set(group eigen_xsimd)
    elseif(reached MATCHES "Eigen/")
      set(group eigen)
    elseif(reached MATCHES "xsimd/")
      set(group xsimd)
    endif()
    string(MAKE_C_IDENTIFIER ${header} id)
    set(src ${CMAKE_CURRENT_BINARY_DIR}/standalone/${id}.cpp)
    file(GENERATE OUTPUT ${src} CONTENT "#include <${header}>\n#include <${header}>\n")
    list(APPEND sources_${group} ${src})
  endforeach()
  foreach(group ${groups})
    if(NOT sources_${group})
      continue()
    endif()
    set(check ${target}_${group})
    add_library(${check} OBJECT ${sources_${group}})
    target_link_libraries(${check} PRIVATE ${arg_LIBRARIES})
    target_compile_options(${check} PRIVATE -Werror -fsyntax-only)
    list(LENGTH sources_${group} count)
    if(NOT group STREQUAL "plain" AND count GREATER_EQUAL 8)
      # A precompiled header pays for its own build from about 8 headers on. Its own target builds it:
      # -fsyntax-only writes no .gch.
      add_library(${check}_pch OBJECT ${PROJECT_SOURCE_DIR}/tests/support/pch_anchor.cpp)
      target_link_libraries(${check}_pch PRIVATE ${arg_LIBRARIES})
      target_precompile_headers(${check}_pch PRIVATE ${pch_${group}})
      target_precompile_headers(${check} REUSE_FROM ${check}_pch)
    endif()
    list(APPEND checks ${check})
  endforeach()
  add_custom_target(${target} DEPENDS ${checks})
endfunction()

# ember_add_umbrella_test(<test name> UMBRELLA <header> DIRECTORY <folder under include/> [EXCLUDE <regex>]):
# the umbrella header includes every header under the folder but those matching the regex
# (tests/umbrella.cmake).
function(ember_add_umbrella_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "UMBRELLA;DIRECTORY;EXCLUDE" "")
  add_test(NAME "${name}"
    COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DUMBRELLA=${arg_UMBRELLA}
            -DDIRECTORY=${arg_DIRECTORY} "-DEXCLUDE=${arg_EXCLUDE}"
            -P ${PROJECT_SOURCE_DIR}/tests/umbrella.cmake)
endfunction()

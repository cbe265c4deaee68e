# Helpers shared by tests/CMakeLists.txt and tests/mpi/CMakeLists.txt.
include_guard(GLOBAL)

# ember_add_standalone_header_check(<target> HEADERS <header>... LIBRARIES <lib>...): every header compiles on
# its own (STYLE habit 3), included twice (its include guard works): one -fsyntax-only translation unit per
# header, so no header can lean on what another brought in.
function(ember_add_standalone_header_check target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "HEADERS;LIBRARIES")
  set(sources)
  foreach(header ${arg_HEADERS})
    string(MAKE_C_IDENTIFIER ${header} id)
    set(src ${CMAKE_CURRENT_BINARY_DIR}/standalone/${id}.cpp)
    file(GENERATE OUTPUT ${src} CONTENT "#include <${header}>\n#include <${header}>\n")
    list(APPEND sources ${src})
  endforeach()
  add_library(${target} OBJECT ${sources})
  target_link_libraries(${target} PRIVATE ${arg_LIBRARIES})
  target_compile_options(${target} PRIVATE -Werror -fsyntax-only)
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

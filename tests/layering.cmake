# No header includes a higher layer than its own (issue 19). Run as
#   cmake -DSOURCE_DIR=<ember> -P layering.cmake
#
# A header's layer is its folder under include/ember/ (detail/ folders belong to their parent). The order is the
# README's table: a header may include its own layer and any lower one, never a higher one. Folders on the same
# layer may include each other. A folder missing from the table fails the test, so that a new one gets a layer.
cmake_policy(SET CMP0057 NEW)  # if(IN_LIST)
set(layers
    "core"                     # 0: data layout, concepts, errors, thread pool, the scalar Philox (core/philox.hpp)
    "simd"                     # 1: xsimd kernels, the Philox generator's vectorised draws
    "energy|schedule|train"    # 2
    "mcmc|data"                # 3
    "divergence|metrics|io"    # 4
    "cuda|mpi")                # 5: the optional backends
# Exceptions, each "<header> -> <included>" (none: the last one, the forward ember/core/random.hpp, is gone).
set(allowed "")

set(rank 0)
foreach(group ${layers})
  string(REPLACE "|" ";" folders "${group}")
  foreach(folder ${folders})
    set(layer_of_${folder} ${rank})
  endforeach()
  math(EXPR rank "${rank} + 1")
endforeach()

file(GLOB_RECURSE headers RELATIVE ${SOURCE_DIR}/include
     ${SOURCE_DIR}/include/ember/*.hpp ${SOURCE_DIR}/include/ember/*.cuh ${SOURCE_DIR}/include/ember/*.h)
list(SORT headers)
set(problems "")
set(checked 0)
foreach(header ${headers})
  if(NOT header MATCHES "^ember/([^/]+)/")
    continue()  # ember/ember.hpp, the umbrella, includes every layer by design
  endif()
  set(own ${CMAKE_MATCH_1})
  if(NOT DEFINED layer_of_${own})
    string(APPEND problems "  include/${header}: folder '${own}' has no layer in tests/layering.cmake (and the README's table)\n")
    continue()
  endif()
  math(EXPR checked "${checked} + 1")
  file(STRINGS ${SOURCE_DIR}/include/${header} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]ember/")
  foreach(line ${lines})
    if(NOT line MATCHES "#[ \t]*include[ \t]*[<\"](ember/[^>\"]+)[>\"]")
      continue()
    endif()
    set(included ${CMAKE_MATCH_1})
    if(NOT included MATCHES "^ember/([^/]+)/")
      string(APPEND problems "  include/${header}: includes ${included}, the umbrella (include what you use)\n")
      continue()
    endif()
    set(theirs ${CMAKE_MATCH_1})
    if(NOT DEFINED layer_of_${theirs})
      string(APPEND problems "  include/${header}: includes ${included} from folder '${theirs}', which has no layer\n")
    elseif(layer_of_${theirs} GREATER layer_of_${own} AND NOT "${header} -> ${included}" IN_LIST allowed)
      string(APPEND problems "  include/${header}: includes ${included}: ${theirs}/ (layer ${layer_of_${theirs}}) "
                             "is above ${own}/ (layer ${layer_of_${own}})\n")
    endif()
  endforeach()
endforeach()

# One instruction-set seam (issue 19): x86 intrinsics only in the files that hold them, simd/detail/*avx512*.hpp and
# simd/detail/philox_x16.hpp; every other header is written against xsimd::batch. The one exception is not
# arithmetic: core/detail/fp_control_x86.hpp reads and writes the thread's floating-point control register (MXCSR),
# which core's thread pool hands to its workers (core/subnormals.hpp).
foreach(header ${headers})
  if(header MATCHES "^ember/simd/detail/([^/]*avx512[^/]*|philox_x16)\\.hpp$" OR
     header STREQUAL "ember/core/detail/fp_control_x86.hpp")
    continue()
  endif()
  file(STRINGS ${SOURCE_DIR}/include/${header} intrinsics REGEX "(_mm(256|512)?_[a-z]|immintrin\\.h|_pdep_u|_pext_u)")
  foreach(line ${intrinsics})
    string(STRIP "${line}" line)
    string(APPEND problems "  include/${header}: x86 intrinsics outside simd/detail/*avx512*.hpp: ${line}\n")
  endforeach()
endforeach()

if(checked EQUAL 0)
  message(FATAL_ERROR "no headers found under ${SOURCE_DIR}/include/ember")
endif()
if(problems)
  message(FATAL_ERROR "includes that run from a lower layer to a higher one "
                      "(core < simd < energy, schedule, train < mcmc, data < divergence, metrics, io < cuda, mpi), "
                      "or intrinsics outside the instruction-set seam:\n${problems}")
endif()
message(STATUS "layering: ${checked} headers, no include runs up a layer, intrinsics only in the seam")

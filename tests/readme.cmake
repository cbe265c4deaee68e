# The README's test command and the one .ci/run runs must be the same line.
file(STRINGS ${SOURCE_DIR}/README.md readme REGEX "^cmake -S \\. -B build .*ctest")
file(STRINGS ${SOURCE_DIR}/.ci/run ci REGEX "^cmake -S \\. -B build .*ctest")
if(NOT readme OR NOT readme STREQUAL ci)
  message(FATAL_ERROR "README test command '${readme}' differs from .ci/run's '${ci}'")
endif()

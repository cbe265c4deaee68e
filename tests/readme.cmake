# The README's test command must be, verbatim, a line of .ci/run (CI runs what the README tells users to run),
# and so must the sanitizer command that docs/reliability.md documents.
function(require_line_of_ci document regex)
  file(STRINGS ${SOURCE_DIR}/${document} wanted REGEX "${regex}")
  file(STRINGS ${SOURCE_DIR}/.ci/run ci)
  list(LENGTH wanted count)
  if(NOT count EQUAL 1)
    message(FATAL_ERROR "${document} must hold exactly one command matching '${regex}'; found ${count}")
  endif()
  list(FIND ci "${wanted}" found)
  if(found EQUAL -1)
    message(FATAL_ERROR "${document}'s command '${wanted}' is not a line of .ci/run")
  endif()
endfunction()

require_line_of_ci(README.md "^cmake -S \\. -B build .*ctest")
require_line_of_ci(docs/reliability.md "^cmake -S \\. -B build-asan .*ctest")

# Numbers for the examples' e2e scripts, which run in CMake's script mode (integer math only).

# lcg_draws(STATE COUNT LOW HIGH OUT): COUNT integers uniform in [LOW, HIGH] from a linear congruential generator
# whose state lives in the caller's variable named STATE (seed it there); the list in OUT.
function(lcg_draws state_var count low high out)
  set(s ${${state_var}})
  set(draws "")
  math(EXPR last "${count} - 1")
  foreach(k RANGE ${last})
    math(EXPR s "(${s} * 1103515245 + 12345) % 2147483648")
    math(EXPR draw "(${s} / 65536) % (${high} - ${low} + 1) + ${low}")
    list(APPEND draws ${draw})
  endforeach()
  set(${state_var} ${s} PARENT_SCOPE)
  set(${out} ${draws} PARENT_SCOPE)
endfunction()

# fixed_point(VALUE DIGITS OUT): a plain decimal string (e.g. a JSON number, "-0.0016", "10.18") as an integer in
# units of 10^-DIGITS, truncated; exponent notation is refused.
function(fixed_point value digits out)
  if(NOT value MATCHES "^(-?)([0-9]+)\\.?([0-9]*)$")
    message(FATAL_ERROR "fixed_point: '${value}' is not a plain decimal number")
  endif()
  set(sign "${CMAKE_MATCH_1}")
  set(whole "${CMAKE_MATCH_2}")
  string(REPEAT "0" ${digits} zeros)
  string(SUBSTRING "${CMAKE_MATCH_3}${zeros}" 0 ${digits} fraction)
  string(REGEX REPLACE "^0+([0-9])" "\\1" fraction "${fraction}")
  math(EXPR result "${sign}(${whole} * 1${zeros} + ${fraction})")
  set(${out} ${result} PARENT_SCOPE)
endfunction()

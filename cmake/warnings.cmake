# SPDX-License-Identifier: MIT
# The warning set of STYLE.md 15.1 #17 (Lua's and GSL's lists), errors unless
# INITLAB_WERROR is off.
function(initlab_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wdouble-promotion
    -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition -Wvla
    -Wundef -Wwrite-strings)
  if(INITLAB_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

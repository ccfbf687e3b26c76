# FindCAF: locate the C++ Actor Framework 0.17 (Debian's libcaf-dev ships no
# CMake package or pkg-config file) and wrap it in imported targets named as
# upstream CAF 1.x names them: CAF::core, CAF::io, CAF::openssl.
#
#   find_package(CAF 0.17 REQUIRED COMPONENTS core io)
#
# Hints: CAF_ROOT_DIR. Sets CAF_FOUND, CAF_VERSION, CAF_INCLUDE_DIRS.

find_path(CAF_INCLUDE_DIR NAMES caf/all.hpp caf/config.hpp
          HINTS ${CAF_ROOT_DIR} PATH_SUFFIXES include)

if(CAF_INCLUDE_DIR AND EXISTS "${CAF_INCLUDE_DIR}/caf/config.hpp")
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" caf_version_line
       REGEX "^#define CAF_VERSION [0-9]+")
  string(REGEX REPLACE "^#define CAF_VERSION ([0-9]+).*" "\\1" caf_version_num
         "${caf_version_line}")
  math(EXPR caf_major "${caf_version_num} / 10000")
  math(EXPR caf_minor "(${caf_version_num} / 100) % 100")
  math(EXPR caf_patch "${caf_version_num} % 100")
  set(CAF_VERSION "${caf_major}.${caf_minor}.${caf_patch}")
endif()

if(NOT CAF_FIND_COMPONENTS)
  set(CAF_FIND_COMPONENTS core)
endif()

find_package(Threads QUIET)
set(caf_required_vars CAF_INCLUDE_DIR)
foreach(comp IN LISTS CAF_FIND_COMPONENTS)
  find_library(CAF_${comp}_LIBRARY NAMES caf_${comp}
               HINTS ${CAF_ROOT_DIR} PATH_SUFFIXES lib lib64)
  if(CAF_${comp}_LIBRARY)
    set(CAF_${comp}_FOUND TRUE)
  endif()
  if(CAF_FIND_REQUIRED_${comp})
    list(APPEND caf_required_vars CAF_${comp}_LIBRARY)
  endif()
endforeach()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF
  REQUIRED_VARS ${caf_required_vars}
  VERSION_VAR CAF_VERSION
  HANDLE_COMPONENTS)

if(CAF_FOUND)
  set(CAF_INCLUDE_DIRS "${CAF_INCLUDE_DIR}")
  foreach(comp IN LISTS CAF_FIND_COMPONENTS)
    if(CAF_${comp}_LIBRARY AND NOT TARGET CAF::${comp})
      add_library(CAF::${comp} UNKNOWN IMPORTED)
      set_target_properties(CAF::${comp} PROPERTIES
        IMPORTED_LOCATION "${CAF_${comp}_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}")
      target_link_libraries(CAF::${comp} INTERFACE Threads::Threads)
    endif()
  endforeach()
  if(TARGET CAF::io AND TARGET CAF::core)
    target_link_libraries(CAF::io INTERFACE CAF::core)
  endif()
  if(TARGET CAF::openssl AND TARGET CAF::io)
    find_package(OpenSSL QUIET)
    target_link_libraries(CAF::openssl INTERFACE CAF::io)
    if(TARGET OpenSSL::SSL)
      target_link_libraries(CAF::openssl INTERFACE OpenSSL::SSL)
    endif()
  endif()
endif()

mark_as_advanced(CAF_INCLUDE_DIR CAF_core_LIBRARY CAF_io_LIBRARY CAF_openssl_LIBRARY)

# Emscripten (Debian's 3.1.6) toolchain settings; see ../shared/BUILD-NOTES.md.
#
# emcc's link step at -O2+ needs Debian's node-acorn on NODE_PATH.
set_property(GLOBAL PROPERTY RULE_LAUNCH_LINK "env NODE_PATH=/usr/share/nodejs")
# node 20 loads emcc's output only without its experimental fetch.
set(CMAKE_CROSSCOMPILING_EMULATOR "node;--no-experimental-fetch" CACHE STRING "" FORCE)

# Header-only dependencies, reached through a folder of symlinks: putting /usr/include itself on
# emcc's path would drag in glibc headers.
set(ATTNSCOPE_SYSINC "${CMAKE_BINARY_DIR}/sysinc")
file(MAKE_DIRECTORY "${ATTNSCOPE_SYSINC}")
foreach(dir xtensor xtl doctest stb hwy nlohmann)
  if(NOT EXISTS "/usr/include/${dir}")
    message(FATAL_ERROR "/usr/include/${dir} is missing: run ./setup.sh")
  endif()
  file(CREATE_LINK "/usr/include/${dir}" "${ATTNSCOPE_SYSINC}/${dir}" SYMBOLIC)
endforeach()

add_library(attnscope_thirdparty_headers INTERFACE)
target_include_directories(attnscope_thirdparty_headers SYSTEM INTERFACE "${ATTNSCOPE_SYSINC}")
# Exceptions stay on: parse errors in nlohmann/json and doctest's CHECK_THROWS use them.
target_compile_options(attnscope_thirdparty_headers INTERFACE -fexceptions -msimd128)
target_link_options(attnscope_thirdparty_headers INTERFACE -fexceptions)

# The explorer also comes as a threaded build (a second build folder, see setup.sh): every object
# compiled with -pthread, long work on a worker thread. Pages that are not cross-origin isolated
# cannot use it (no SharedArrayBuffer) and load the single-threaded build, which splits work
# across frames.
option(ATTNSCOPE_WASM_THREADS "Build the WASM explorer with threads (pthreads)" OFF)
if(ATTNSCOPE_WASM_THREADS)
  add_compile_options(-pthread)
  # Two workers: the quick-job and the background-job runners (ui/app/jobs.h).
  add_link_options(-pthread -sPTHREAD_POOL_SIZE=2)
endif()

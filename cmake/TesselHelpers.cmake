# TesselHelpers.cmake - small helpers shared by the Tessel CMake files.

# tessel_add_library(name SOURCES... [SHARED] [MLIR_FREE] [DEPENDS targets...]
#                    [LINK libs...])
# A library (static unless SHARED) linked against libMLIR.so/libLLVM.so
# unless MLIR_FREE, installed and exported as Tessel::name.
function(tessel_add_library name)
  cmake_parse_arguments(ARG "MLIR_FREE;SHARED" "" "DEPENDS;LINK" ${ARGN})
  if(ARG_SHARED)
    add_library(${name} SHARED ${ARG_UNPARSED_ARGUMENTS})
  else()
    add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  endif()
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  if(ARG_MLIR_FREE)
    target_link_libraries(${name} PUBLIC ${ARG_LINK})
  else()
    target_link_libraries(${name} PUBLIC ${ARG_LINK} ${TESSEL_MLIR_LIBS})
    # The packaged MLIR/LLVM targets carry no include directories; users of
    # an installed Tessel get them from here.
    target_include_directories(${name} SYSTEM PUBLIC
      ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
  endif()
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${TESSEL_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${TESSEL_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:include>)
  install(TARGETS ${name} EXPORT TesselTargets
          LIBRARY DESTINATION lib ARCHIVE DESTINATION lib RUNTIME DESTINATION bin)
endfunction()

# tessel_add_tool(name SOURCES... LINK libs...)
function(tessel_add_tool name)
  cmake_parse_arguments(ARG "" "" "LINK" ${ARGN})
  add_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE ${ARG_LINK})
  set_target_properties(${name} PROPERTIES INSTALL_RPATH "$ORIGIN/../lib")
  install(TARGETS ${name} EXPORT TesselTargets RUNTIME DESTINATION bin)
  set_property(GLOBAL APPEND PROPERTY TESSEL_TOOLS ${name})
endfunction()

# tessel_export_ukernels(target): an executable that links the runtime
# statically and runs compiled CPU models must carry every micro-kernel and
# export it, for the models to resolve against.
function(tessel_export_ukernels target)
  add_dependencies(${target} TesselUKernels)
  target_link_options(${target} PRIVATE
    "LINKER:--whole-archive" "$<TARGET_FILE:TesselUKernels>"
    "LINKER:--no-whole-archive")
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    set_target_properties(${target} PROPERTIES ENABLE_EXPORTS ON)
  endif()
endfunction()

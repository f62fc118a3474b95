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

// The one source of the targets that only build a precompiled header: ember_test_pch (the test programs' shared
// one, tests/CMakeLists.txt) and the standalone-header check's (cmake/EmberTestHelpers.cmake); it compiles to nothing.

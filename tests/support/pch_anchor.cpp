// The one source of ember_test_pch, the target that builds the test programs' shared precompiled header
// (tests/CMakeLists.txt); it compiles to nothing.

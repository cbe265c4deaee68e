#pragma once
// The entry to Catch2's session for the test runners' main() functions: Catch2 declares Catch::Session only where
// its implementation is compiled (tests/support/catch_session.cpp, once for every runner).

namespace ember::test {

/// Runs Catch2's session on the command line; returns the number of failed tests (the program's exit status).
int run_catch_session(int argc, char* argv[]);

}  // namespace ember::test

// The main() of the plain test programs; Catch2's implementation is in catch_session.cpp.
#include "support/catch_session.hpp"

int main(int argc, char* argv[]) { return ember::test::run_catch_session(argc, argv); }

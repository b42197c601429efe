#include "cli/app.h"

int main(int argc, char** argv) { return biodev::cli::run(argc, argv); }

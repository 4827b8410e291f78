#include "daemon/cli.h"

int main(int argc, char** argv) { return station::StationdMain(argc, argv); }

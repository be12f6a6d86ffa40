/* The library's implementation, compiled on its own for the benchmark. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"

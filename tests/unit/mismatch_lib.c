/* The library built with the default sizes. */
#define LLMRES_IMPLEMENTATION
#include "../../llmres.h"

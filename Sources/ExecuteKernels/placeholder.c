#include "ExecuteKernels.h"

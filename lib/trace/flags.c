#include "trace/flags.h"

_Atomic unsigned trace_flags;

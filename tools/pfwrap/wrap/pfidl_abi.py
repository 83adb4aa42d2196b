"""pfidl's System V classification and type objects, shared rather than
copied: pfwrap lays out a call exactly as pfidl does.

pfidl's package sits beside pfwrap's (tools/pfidl/idl in the source tree);
an install that moves the two keeps them side by side too.
"""

import os
import sys

_here = os.path.dirname(os.path.abspath(__file__))
_pfidl = os.path.join(os.path.dirname(os.path.dirname(_here)), "pfidl")
if _pfidl not in sys.path:
    sys.path.insert(0, _pfidl)

from idl.abi import classify, lay_out_call, returns_in_memory  # noqa: E402,F401
from idl.types import (SCALARS, VOID, Array, Field, Pointer, Scalar,  # noqa: E402,F401
                       Struct)

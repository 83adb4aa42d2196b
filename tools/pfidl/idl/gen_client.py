"""The client header: typed gates for every function of an interface, the
call that imports them, and a plain C function per call."""

from .cnames import comment, declarator, wrap
from .gen_types import banner, types_block
from .types import VOID


def client_header(iface, filename):
    n = iface.name
    guard = f"PFIDL_{n.upper()}_CLIENT_H"
    out = [banner(iface, filename, f"calls to the \"{n}\" interface through "
                  "pfipc."),
           f"#ifndef {guard}\n#define {guard}\n\n", types_block(iface), "\n"]
    out.append(comment(f"One gate per function of \"{n}\": calling a gate is "
                       "a call to the process that exports the function. "
                       f"Filled by {n}_client_import."))
    out.append(f"struct {n}_client {{\n")
    for fn in iface.functions:
        out.append(declarator(fn, f"(*{fn.name})", "\t") + ";\n")
    if not iface.functions:
        out.append("\tchar unused;\n")
    out.append("};\n\n")
    out.append(comment(f"The gates the {n}_* calls below go through, filled "
                       f"by {n}_client_init. Weak, so that every file "
                       "including this header shares one."))
    out.append(f"__attribute__((weak)) struct {n}_client {n}_client;\n\n")
    out.append(_import_function(iface))
    out.append(comment(f"{n}_client_init - {n}_client_import into the shared "
                       f"{n}_client, so that the {n}_* calls below work. "
                       "Returns 0 or a negative errno value."))
    out.append(f"static inline int {n}_client_init(void)\n{{\n"
               f"\treturn {n}_client_import(&{n}_client, 0);\n}}\n")
    if iface.functions:
        out.append("\n")
        out.append(comment("The calls. Each sets pf_errno(): 0, or the "
                           "negative errno value it failed with, and then "
                           "its result is 0."))
    for fn in iface.functions:
        out.append(_call_function(iface, fn))
    out.append(f"\n#endif /* {guard} */\n")
    return "".join(out)


def _import_function(iface):
    n = iface.name
    out = [comment(f"{n}_client_import - import every function of \"{n}\" "
                   "into the calling thread's process and store the gates in "
                   "C. FLAGS (PF_IMPORT_*) go to each pf_import_create. "
                   "Returns 0, or the negative errno value of the first "
                   "pf_import_create that failed."),
           f"static inline int {n}_client_import(struct {n}_client *c, "
           "unsigned flags)\n{\n"]
    if iface.functions:
        out.append("\tpf_import *imp;\n\tint err;\n\n")
    else:
        out.append("\t(void)c;\n\t(void)flags;\n")
    for fn in iface.functions:
        out.append(f"\terr = pf_import_create(&imp, \"{n}.{fn.name}\", "
                   "flags);\n\tif (err < 0)\n\t\treturn err;\n"
                   f"\tc->{fn.name} = (__typeof__(c->{fn.name}))"
                   "pf_import_gate(imp);\n")
    out.append("\treturn 0;\n}\n\n")
    return "".join(out)


def _call_function(iface, fn):
    n = iface.name
    lead = "" if fn.ret is VOID else "return "
    call = wrap(f"{lead}{n}_client.{fn.name}(", [p.name for p in fn.params],
                ");", "\t")
    return (f"\n{declarator(fn, f'{n}_{fn.name}', prefix='static inline ')}\n"
            f"{{\n{call}\n}}\n")

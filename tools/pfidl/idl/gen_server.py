"""The server header (the implementations a server writes) and the server
source (one pf_export per function, with its stack bytes and buffers)."""

from .abi import lay_out_function
from .cnames import arg_place, comment, declarator, describe_layout, wrap
from .gen_types import banner, types_block
from .model import ATTRIBUTES, DIRECTIONS


def server_header(iface, filename):
    n = iface.name
    guard = f"PFIDL_{n.upper()}_SERVER_H"
    out = [banner(iface, filename, f"what a server of the \"{n}\" interface "
                  "implements."),
           f"#ifndef {guard}\n#define {guard}\n\n", types_block(iface), "\n"]
    out.append(comment(f"The server defines one {n}_FUNCTION_impl per "
                       "function. A buffer parameter points to a copy the "
                       "server owns until it returns; an out buffer's bytes "
                       "are copied back to the caller then."))
    for fn in iface.functions:
        out.append(f"{declarator(fn, f'{n}_{fn.name}_impl')};\n")
    out.append("\n")
    out.append(comment(f"{n}_server_register - export every function of "
                       f"\"{n}\" from the calling thread's process. Returns "
                       "0, or the negative errno value of the first export "
                       "that failed."))
    out.append(f"int {n}_server_register(void);\n\n")
    out.append(comment(f"{n}_server_init - {n}_server_register as a "
                       "pf_init_fn, to pass to pf_process_create."))
    out.append(f"int {n}_server_init(void *arg);\n")
    out.append(f"\n#endif /* {guard} */\n")
    return "".join(out)


def server_source(iface, filename, header_name):
    n = iface.name
    out = [banner(iface, filename, f"exports the \"{n}\" interface."),
           f"#include \"{header_name}\"\n"]
    layouts = {fn.name: lay_out_function(fn) for fn in iface.functions}
    for fn in iface.functions:
        if fn.buffers:
            out.append(_buffer_table(iface, fn, layouts[fn.name]))
    out.append(f"\nint {n}_server_register(void)\n{{\n")
    if iface.functions:
        out.append("\tint err;\n")
    for fn in iface.functions:
        out.append(_export_call(iface, fn, layouts[fn.name]))
    out.append("\treturn 0;\n}\n")
    out.append(f"\nint {n}_server_init(void *arg)\n{{\n\t(void)arg;\n"
               f"\treturn {n}_server_register();\n}}\n")
    return "".join(out)


def _buffer_table(iface, fn, layout):
    loc = dict(zip((p.name for p in fn.params), layout.args))
    size = {p.name: p.type.size for p in fn.params}
    out = [f"\nstatic const pf_buffer_param {iface.name}_{fn.name}_buffers[] "
           "= {\n"]
    for p in fn.buffers:
        b = p.buffer
        out.append(f"\t/* {p.name}[{b.length}] */\n"
                   f"\t{{ .ptr_arg = {arg_place(loc[p.name])}, "
                   f".len_arg = {arg_place(loc[b.length])},\n"
                   f"\t  .dir = {DIRECTIONS[b.direction]}, "
                   f".len_size = {size[b.length]}, "
                   f".max_len = {b.max_len} }},\n")
    out.append("};\n")
    return "".join(out)


def _export_call(iface, fn, layout):
    n = iface.name
    flags = " | ".join(ATTRIBUTES[a] for a in fn.attrs) or "0"
    args = [f"\"{n}.{fn.name}\"", f"(void *){n}_{fn.name}_impl",
            str(layout.stack_bytes), flags]
    if fn.buffers:
        args += [f"{n}_{fn.name}_buffers", str(len(fn.buffers))]
    call = "pf_export_buffers" if fn.buffers else "pf_export"
    return ("\n" + comment(describe_layout(iface, fn, layout), "\t") +
            wrap(f"err = {call}(", args, ");", "\t") + "\n" +
            "\tif (err < 0)\n\t\treturn err;\n")

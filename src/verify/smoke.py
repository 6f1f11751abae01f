"""rocm-doctor verify: one conv2d smoke case on the GPU, checked against the CPU.

Run as `python3 -c <this script> <case>`, e.g. `seed-fp32-fwd` or `conv3x3-224-fp16-bwd`.
Prints one line `ROCM_DOCTOR_RESULT {json}` on stdout and exits with
0 (pass), 3 (torch cannot be imported), 4 (torch sees no GPU), 5 (wrong result) or
6 (unknown case name). Crashes, runtime errors and hangs are read by rocm-doctor from the
process itself (signal, stderr, timeout), so this script does not try to catch them.
"""

import faulthandler
import json
import math
import sys

EXIT_PASS = 0
EXIT_NO_TORCH = 3
EXIT_NO_GPU = 4
EXIT_WRONG_RESULT = 5
EXIT_BAD_CASE = 6

# Largest error allowed, relative to the largest reference value of the compared tensor.
# The reference is computed in fp32 from the same rounded inputs, so only accumulation and
# output rounding differ; broken kernels are off by far more (zeros, NaN, garbage).
TOLERANCE = {"fp32": 1e-3, "fp16": 1e-2}


def report(case, status, code, **fields):
    fields.update(case=case, status=status, ok=(status == "pass"))
    line = json.dumps(fields, sort_keys=True, allow_nan=False)
    sys.stdout.write("ROCM_DOCTOR_RESULT " + line + "\n")
    sys.stdout.flush()
    sys.exit(code)


def parse_case(name):
    """Returns the case's shapes, or None when the name is not one of the matrix."""
    parts = name.split("-")
    if len(parts) == 3 and parts[0] == "seed":
        spec = {"input": (16, 1, 64, 256), "cin": 1, "cout": 32,
                "kernel": (64, 1), "padding": 0}
    elif len(parts) == 4 and parts[0] == "conv3x3" and parts[1].isdigit():
        size = int(parts[1])
        spec = {"input": (4, 16, size, size), "cin": 16, "cout": 32,
                "kernel": (3, 3), "padding": 1}
    else:
        return None
    if parts[-2] not in TOLERANCE or parts[-1] not in ("fwd", "bwd"):
        return None
    spec["dtype"] = parts[-2]
    spec["backward"] = parts[-1] == "bwd"
    return spec


def compare(got, ref):
    """Max abs error and error relative to the reference's magnitude (None if non-finite)."""
    got = got.float().cpu()
    if not bool(got.isfinite().all()):
        return None, None
    err = float((got - ref).abs().max())
    scale = float(ref.abs().max())
    return err, err / max(scale, 1e-12)


def run(case, spec):
    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:  # ImportError, or a broken install raising something else
        report(case, "no-torch", EXIT_NO_TORCH,
               detail="import torch failed: %s: %s" % (type(e).__name__, e),
               python=sys.version.split()[0], executable=sys.executable)

    versions = {"torch": torch.__version__, "hip": getattr(torch.version, "hip", None)}
    if not torch.cuda.is_available():
        if versions["hip"] is None:
            why = "torch %s is not a ROCm build (torch.version.hip is None)" % torch.__version__
        else:
            why = "torch.cuda.is_available() is False (ROCm build, HIP %s)" % versions["hip"]
        report(case, "no-gpu", EXIT_NO_GPU, detail=why, **versions)

    props = torch.cuda.get_device_properties(0)
    versions["device"] = props.name
    versions["arch"] = getattr(props, "gcnArchName", None)

    dtype = torch.float32 if spec["dtype"] == "fp32" else torch.float16
    torch.manual_seed(0)

    def rounded(t):
        # The CPU reference sees exactly the values the GPU sees.
        return t.to(dtype).float()

    x = rounded(torch.randn(spec["input"]))
    w = rounded(torch.randn(spec["cout"], spec["cin"], *spec["kernel"]) * 0.1)
    b = rounded(torch.randn(spec["cout"]) * 0.1)
    pad = spec["padding"]
    bwd = spec["backward"]

    # CPU reference in fp32.
    xr = x.clone().requires_grad_(bwd)
    wr = w.clone().requires_grad_(bwd)
    yr = F.conv2d(xr, wr, b, padding=pad)
    g = rounded(torch.randn(yr.shape))
    if bwd:
        yr.backward(g)

    # The same on the GPU, in the case's dtype.
    xg = x.to("cuda", dtype).requires_grad_(bwd)
    wg = w.to("cuda", dtype).requires_grad_(bwd)
    yg = F.conv2d(xg, wg, b.to("cuda", dtype), padding=pad)
    if bwd:
        yg.backward(g.to("cuda", dtype))
    torch.cuda.synchronize()

    if bwd:
        pairs = [("grad_input", xg.grad, xr.grad), ("grad_weight", wg.grad, wr.grad)]
    else:
        pairs = [("output", yg.detach(), yr.detach())]
    tol = TOLERANCE[spec["dtype"]]
    errors = {}
    worst = 0.0
    for label, got, ref in pairs:
        err, rel = compare(got, ref)
        errors[label] = {"max_abs_err": err, "rel_err": rel}
        worst = math.inf if rel is None else max(worst, rel)
    ok = worst <= tol
    if ok:
        detail = "max relative error %.2e within %.0e" % (worst, tol)
    elif math.isinf(worst):
        detail = "the GPU result has NaN or Inf"
    else:
        detail = "max relative error %.2e exceeds %.0e" % (worst, tol)
    max_abs = [e["max_abs_err"] for e in errors.values() if e["max_abs_err"] is not None]
    report(case, "pass" if ok else "wrong-result", EXIT_PASS if ok else EXIT_WRONG_RESULT,
           detail=detail, tolerance=tol, errors=errors,
           max_abs_err=max(max_abs) if len(max_abs) == len(errors) else None,
           **versions)


def main():
    faulthandler.enable()  # a Python stack on stderr if the runtime crashes the process
    case = sys.argv[1] if len(sys.argv) > 1 else ""
    spec = parse_case(case)
    if spec is None:
        report(case, "bad-case", EXIT_BAD_CASE, detail="unknown case %r" % case)
    run(case, spec)


main()

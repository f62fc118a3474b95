#!/usr/bin/env python3
"""Write the ONNX backend node tests that ship (as generators) in the onnx wheel.

The onnx wheel no longer carries the node test data files, only the Python
test-case generators (onnx/backend/test/case/node). This script runs them and
writes each case in the standard layout: <out>/<name>/model.onnx and
<out>/<name>/test_data_set_N/{input,output}_K.pb. Output is deterministic for
a given onnx version (the generators seed numpy themselves).
"""
import argparse
import os
import sys
import warnings

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-o", "--out", required=True)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    import onnx.backend.test.case.node as node_cases

    cases = node_cases.collect_testcases(None)
    os.makedirs(args.out, exist_ok=True)
    written = 0
    for case in cases:
        if case.model is None or not case.data_sets:
            continue
        d = os.path.join(args.out, case.name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        for i, (inputs, outputs) in enumerate(case.data_sets):
            ds = os.path.join(d, f"test_data_set_{i}")
            os.makedirs(ds, exist_ok=True)
            ok = True
            for kind, values, infos in (
                ("input", inputs, case.model.graph.input),
                ("output", outputs, case.model.graph.output),
            ):
                for j, value in enumerate(values):
                    if j >= len(infos) or not infos[j].type.HasField("tensor_type"):
                        ok = False
                        break
                    if isinstance(value, TensorProto):
                        t = value
                    else:
                        try:
                            t = numpy_helper.from_array(np.asarray(value), infos[j].name)
                        except Exception:  # noqa: BLE001 - exotic dtypes
                            ok = False
                            break
                    with open(os.path.join(ds, f"{kind}_{j}.pb"), "wb") as f:
                        f.write(t.SerializeToString())
            if not ok:
                # Sequences, maps, optionals: leave the model so import is
                # still exercised, without data.
                pass
        written += 1
    print(f"gen_node_tests: wrote {written} node tests for onnx {onnx.__version__} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

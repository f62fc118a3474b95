#!/usr/bin/env python3
"""Input and expected-output files for tessel-run tests of the conv demo:
TensorProto .pb files (raw_data and int32_data encodings) and a .npy file
with one wrong element."""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

outdir = sys.argv[1]
x = np.load(f"{outdir}/x.npy")
y = np.load(f"{outdir}/y.npy")
# raw_data encoding.
open(f"{outdir}/x.pb", "wb").write(
    numpy_helper.from_array(x, name="x").SerializeToString())
# int32_data encoding (what older ONNX tools write for int8).
t = helper.make_tensor("y", TensorProto.INT8, y.shape, y.flatten().tolist())
open(f"{outdir}/y.pb", "wb").write(t.SerializeToString())
wrong = y.copy()
wrong[0, 3, 4, 5] += 1
wrong[0, 20, 1, 2] -= 2
np.save(f"{outdir}/y_wrong.npy", wrong)

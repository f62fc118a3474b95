#!/usr/bin/env python3
"""Prints whether two .npy files hold the same array."""
import sys

import numpy as np

a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
same = a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
print(f"{a.dtype} {a.shape} {'equal' if same else 'DIFFERENT'}")

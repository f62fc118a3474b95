#!/usr/bin/env python3
"""Checks a Chrome trace-event file the simulator wrote: it must be valid
JSON (as Perfetto and chrome://tracing read it) and show DMA transfers that
start while a conv runs."""
import json
import sys

trace = json.load(open(sys.argv[1]))
names = {e["tid"]: e["args"]["name"] for e in trace["traceEvents"]
         if e["ph"] == "M" and e["name"] == "thread_name"}
slices = [e for e in trace["traceEvents"] if e["ph"] == "X"]
tracks = sorted({names[e["tid"]] for e in slices})
print(f"valid JSON with {len(slices)} slices on tracks {', '.join(tracks)}")
dma = [e for e in slices if e["cat"] == "DMA"]
conv = [e for e in slices if e["name"] == "conv"]
overlapping = sum(1 for d in dma for c in conv
                  if c["ts"] < d["ts"] < c["ts"] + c["dur"])
print(f"DMA slices that start while a conv runs: {overlapping}")

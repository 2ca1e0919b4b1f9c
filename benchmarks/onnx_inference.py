"""ONNX serving: onnxruntime versus the estimator, on the same fitted network.

Fits the demo's fusion net (3 epochs), exports it with
``skmm.export.export_onnx`` and times ``predict_proba`` for 1 row and for
``--rows`` rows (AV-Digits rows repeated): the network alone (preprocessed
arrays) and from the raw frame (the preprocessor decodes the media in Python
in both cases). Prints the largest probability difference too.

    python benchmarks/onnx_inference.py [--rows 10000]
"""

import argparse
import os
import tempfile

import numpy as np
import onnxruntime
import torch
from inference import best_of, fit_demo  # benchmarks/inference.py: the same demo net

from skmm.export import OnnxModel, export_onnx


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    clf, one, many = fit_demo(args.rows)
    path = export_onnx(clf, os.path.join(tempfile.mkdtemp(), "demo.onnx"))
    # The same number of threads as torch, for a like-for-like comparison.
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = torch.get_num_threads()
    model = OnnxModel(path, clf.preprocessor_, session_options=options)
    arrays_model = OnnxModel(path, session_options=options)  # takes the preprocessed arrays
    arrays_one, arrays_many = clf._input(one), clf._input(many)
    diff = np.abs(model.predict_proba(many) - clf.predict_proba(many)).max()

    print(f"torch {torch.__version__} CPU and onnxruntime {onnxruntime.__version__}, "
          f"{torch.get_num_threads()} thread(s) each; best of {args.repeats}; "
          f"ONNX file {os.path.getsize(path) / 1e6:.2f} MB; max |proba difference| {diff:.1e}\n")
    print("| what | rows | skmm (s) | onnxruntime (s) | skmm / onnxruntime |")
    print("|---|---:|---:|---:|---:|")
    for label, ours, theirs, rows in [
        ("network only (preprocessed arrays)", lambda: clf._proba(arrays_one),
         lambda: arrays_model.predict_proba(arrays_one), 1),
        ("network only (preprocessed arrays)", lambda: clf._proba(arrays_many),
         lambda: arrays_model.predict_proba(arrays_many), args.rows),
        ("predict_proba on the frame", lambda: clf.predict_proba(one), lambda: model.predict_proba(one), 1),
        ("predict_proba on the frame", lambda: clf.predict_proba(many), lambda: model.predict_proba(many), args.rows),
    ]:
        repeats = args.repeats if rows == 1 else 1
        a, b = best_of(ours, repeats), best_of(theirs, repeats)
        print(f"| {label} | {rows:,} | {a:.4f} | {b:.4f} | {a / b:.2f} |", flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Train the default diagnostic model and export it to ONNX.

Trains StandardScaler + LogisticRegression on scikit-learn's bundled Wisconsin
breast-cancer diagnostic dataset (no download), on a stratified split with a
fixed seed, then writes, next to this file:

  breast-cancer-diagnostic.onnx  the model: float32 input "input" [N, 30] ->
                                 int64 "label" [N] and float32 "probabilities" [N, 2]
  model.json                     name, version, sha256 of the .onnx, features,
                                 held-out metrics, seed and library versions
  heldout-samples.json           a few held-out rows with the label and
                                 probabilities onnxruntime computes for them

and prints the sha256, accuracy and ROC AUC.

Usage: python model/train.py [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import scipy
import skl2onnx
import sklearn
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

MODEL_NAME = "breast-cancer-diagnostic"
MODEL_VERSION = "1"
SPLIT_SEED = 20240601
TEST_SIZE = 0.25
HELDOUT_SAMPLE_COUNT = 8
# Pin the ONNX opset so a newer skl2onnx does not silently change the graph.
TARGET_OPSET = 17
INPUT_NAME = "input"
N_FEATURES = 30


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)

    data = load_breast_cancer()
    features = data.data.astype(np.float32)
    target = data.target.astype(np.int64)
    # In this dataset 0 = malignant, 1 = benign.
    class_names = [str(name) for name in data.target_names]
    assert features.shape[1] == N_FEATURES, features.shape

    x_train, x_test, y_train, y_test = train_test_split(
        features, target, test_size=TEST_SIZE, stratify=target, random_state=SPLIT_SEED
    )

    pipeline = Pipeline(
        [
            ("scaler", StandardScaler()),
            ("classifier", LogisticRegression(C=1.0, max_iter=5000, random_state=SPLIT_SEED)),
        ]
    )
    pipeline.fit(x_train, y_train)

    onnx_model = to_onnx(
        pipeline,
        initial_types=[(INPUT_NAME, FloatTensorType([None, N_FEATURES]))],
        target_opset=TARGET_OPSET,
        # A plain [N, 2] float tensor rather than a ZipMap sequence of maps, so an
        # OIP v2 server can return it as an FP32 tensor.
        options={id(pipeline.steps[-1][1]): {"zipmap": False}},
        final_types=None,
    )
    # Fixed metadata so the bytes depend only on the graph and weights.
    onnx_model.producer_name = "model-ledger/model/train.py"
    onnx_model.producer_version = MODEL_VERSION
    onnx_model.doc_string = "Wisconsin breast-cancer diagnostic: 0 = malignant, 1 = benign"
    onnx_model.graph.name = MODEL_NAME
    # skl2onnx names the outputs after the converter; give them stable names.
    rename = {onnx_model.graph.output[0].name: "label", onnx_model.graph.output[1].name: "probabilities"}
    for node in onnx_model.graph.node:
        node.output[:] = [rename.get(name, name) for name in node.output]
    for output in onnx_model.graph.output:
        output.name = rename.get(output.name, output.name)
    # skl2onnx can list the default domain twice; keep one entry per domain.
    opsets = {}
    for entry in onnx_model.opset_import:
        opsets[entry.domain] = max(opsets.get(entry.domain, 0), entry.version)
    del onnx_model.opset_import[:]
    for domain in sorted(opsets):
        onnx_model.opset_import.add(domain=domain, version=opsets[domain])
    onnx.checker.check_model(onnx_model)

    onnx_path = out_dir / f"{MODEL_NAME}.onnx"
    onnx_path.write_bytes(onnx_model.SerializeToString(deterministic=True))
    artifact_sha256 = sha256_of(onnx_path)

    # Metrics come from the exported ONNX model, run by onnxruntime: what ships is what is measured.
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    output_names = [output.name for output in session.get_outputs()]
    assert output_names == ["label", "probabilities"], output_names
    labels, probabilities = session.run(output_names, {INPUT_NAME: x_test})
    accuracy = float(accuracy_score(y_test, labels))
    roc_auc = float(roc_auc_score(y_test, probabilities[:, 1]))

    # The sklearn pipeline and the ONNX export must agree on the held-out set.
    sklearn_labels = pipeline.predict(x_test)
    disagreements = int(np.sum(sklearn_labels != labels))
    max_prob_diff = float(np.max(np.abs(pipeline.predict_proba(x_test) - probabilities)))
    if disagreements or max_prob_diff > 1e-4:
        print(f"ONNX export disagrees with sklearn: {disagreements} labels, max prob diff {max_prob_diff}", file=sys.stderr)
        return 1

    # A fixed, class-balanced pick of held-out rows: the first malignant and benign
    # rows in held-out order, alternating.
    malignant = [i for i in range(len(y_test)) if y_test[i] == 0][: HELDOUT_SAMPLE_COUNT // 2]
    benign = [i for i in range(len(y_test)) if y_test[i] == 1][: HELDOUT_SAMPLE_COUNT // 2]
    picked = [i for pair in zip(malignant, benign) for i in pair]
    samples = [
        {
            "index": int(i),
            # float32 values written as the shortest decimal that round-trips to the
            # same float32, so a client sending them as FP32 sends the exact bytes.
            "input": [float(np.format_float_positional(v, unique=True)) for v in x_test[i]],
            "trueLabel": int(y_test[i]),
            "expectedLabel": int(labels[i]),
            "expectedProbabilities": [float(p) for p in probabilities[i]],
        }
        for i in picked
    ]

    feature_names = [str(name) for name in data.feature_names]
    metadata = {
        "name": MODEL_NAME,
        "version": MODEL_VERSION,
        "artifact": onnx_path.name,
        "sha256": artifact_sha256,
        "framework": "onnx",
        "opset": TARGET_OPSET,
        "task": "binary classification of fine-needle aspirate features",
        "dataset": "sklearn.datasets.load_breast_cancer (Wisconsin Diagnostic Breast Cancer, UCI)",
        "classes": class_names,
        "inputs": [{"name": INPUT_NAME, "datatype": "FP32", "shape": [-1, N_FEATURES]}],
        "outputs": [
            {"name": "label", "datatype": "INT64", "shape": [-1]},
            {"name": "probabilities", "datatype": "FP32", "shape": [-1, len(class_names)]},
        ],
        "featureNames": feature_names,
        "pipeline": "StandardScaler + LogisticRegression(C=1.0, lbfgs)",
        "split": {
            "seed": SPLIT_SEED,
            "testSize": TEST_SIZE,
            "stratified": True,
            "trainRows": int(len(y_train)),
            "heldoutRows": int(len(y_test)),
        },
        "metrics": {"heldoutAccuracy": round(accuracy, 6), "heldoutRocAuc": round(roc_auc, 6)},
        "training": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "scikit-learn": sklearn.__version__,
            "skl2onnx": skl2onnx.__version__,
            "onnx": onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
        },
    }
    write_json(out_dir / "model.json", metadata)
    write_json(
        out_dir / "heldout-samples.json",
        {
            "model": MODEL_NAME,
            "version": MODEL_VERSION,
            "sha256": artifact_sha256,
            "input": INPUT_NAME,
            "computedWith": f"onnxruntime {onnxruntime.__version__} (Python)",
            "samples": samples,
        },
    )

    print(f"model     {MODEL_NAME} v{MODEL_VERSION} -> {onnx_path}")
    print(f"sha256    {artifact_sha256}")
    print(f"accuracy  {accuracy:.4f} (held-out, {len(y_test)} rows, seed {SPLIT_SEED})")
    print(f"roc_auc   {roc_auc:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

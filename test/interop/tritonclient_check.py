#!/usr/bin/env python3
"""Drive model-server with Triton's own HTTP client, unchanged.

Usage: tritonclient_check.py HOST:PORT MODEL_JSON HELDOUT_SAMPLES_JSON

Uses only tritonclient's public API (InferenceServerClient, InferInput,
InferRequestedOutput). Prints one JSON object with what the client saw, for
model-server/test/model-server-interop.test.ts to assert on; exits non-zero with the
reason on the first thing the client cannot do.
"""

import json
import sys
from importlib.metadata import version

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException


def main() -> int:
    url, model_json, samples_json = sys.argv[1:4]
    with open(model_json, encoding="utf-8") as handle:
        card = json.load(handle)
    with open(samples_json, encoding="utf-8") as handle:
        samples = json.load(handle)["samples"]
    name = card["name"]
    report = {"client": f"tritonclient {version('tritonclient')} (http)"}

    client = httpclient.InferenceServerClient(url=url, verbose=False)
    report["is_server_live"] = client.is_server_live()
    report["is_server_ready"] = client.is_server_ready()
    report["is_model_ready"] = client.is_model_ready(name)
    report["server_metadata"] = client.get_server_metadata()
    report["model_metadata"] = client.get_model_metadata(name)

    # One held-out row, FP32 [1, 30], JSON tensors both ways.
    first = samples[0]
    tensor = httpclient.InferInput("input", [1, 30], "FP32")
    tensor.set_data_from_numpy(np.asarray([first["input"]], dtype=np.float32), binary_data=False)
    outputs = [
        httpclient.InferRequestedOutput("label", binary_data=False),
        httpclient.InferRequestedOutput("probabilities", binary_data=False),
    ]
    result = client.infer(name, inputs=[tensor], outputs=outputs, request_id="interop-1")
    response = result.get_response()
    report["single"] = {
        "id": response.get("id"),
        "model_name": response.get("model_name"),
        "model_version": response.get("model_version"),
        "label": result.as_numpy("label").tolist(),
        "label_dtype": str(result.as_numpy("label").dtype),
        "probabilities": result.as_numpy("probabilities").tolist(),
        "probabilities_dtype": str(result.as_numpy("probabilities").dtype),
    }

    # Every held-out row in one batch, asking for no particular outputs (the client
    # then asks for binary outputs; the server answers JSON, which the client reads).
    batch = np.asarray([sample["input"] for sample in samples], dtype=np.float32)
    tensor = httpclient.InferInput("input", list(batch.shape), "FP32")
    tensor.set_data_from_numpy(batch, binary_data=False)
    result = client.infer(name, inputs=[tensor])
    report["batch"] = {
        "label": result.as_numpy("label").tolist(),
        "probabilities": result.as_numpy("probabilities").tolist(),
    }

    # A wrong shape comes back as the client's own exception, with the server's message.
    tensor = httpclient.InferInput("input", [1, 29], "FP32")
    tensor.set_data_from_numpy(np.zeros((1, 29), dtype=np.float32), binary_data=False)
    try:
        client.infer(name, inputs=[tensor])
        report["wrong_shape"] = {"raised": False}
    except InferenceServerException as err:
        report["wrong_shape"] = {"raised": True, "status": err.status(), "message": err.message()}

    report["statistics"] = client.get_inference_statistics(name)
    client.close()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

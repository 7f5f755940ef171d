#!/usr/bin/env python3
"""Send an inference through the gateway API in the shapes Triton's client makes.

Usage: tritonclient_gateway.py API_URL API_KEY MODEL_ID LICENSE_ID PURPOSE HELDOUT_SAMPLES_JSON

tritonclient builds the OIP v2 request body (InferenceServerClient.
generate_request_body, with the licence and purpose as request parameters)
and reads the answer (InferenceServerClient.parse_response_body), unchanged;
only the POST goes to the gateway's route, with the caller's API key. Prints
one JSON object for test/integration/25-api-inference.test.ts to assert on.
"""

import json
import sys
import urllib.error
import urllib.request
from importlib.metadata import version

import numpy as np
import tritonclient.http as httpclient


def main() -> int:
    api_url, api_key, model_id, license_id, purpose, samples_json = sys.argv[1:7]
    with open(samples_json, encoding="utf-8") as handle:
        sample = json.load(handle)["samples"][1]

    tensor = httpclient.InferInput("input", [1, 30], "FP32")
    tensor.set_data_from_numpy(np.asarray([sample["input"]], dtype=np.float32), binary_data=False)
    outputs = [
        httpclient.InferRequestedOutput("label", binary_data=False),
        httpclient.InferRequestedOutput("probabilities", binary_data=False),
    ]
    body, json_size = httpclient.InferenceServerClient.generate_request_body(
        [tensor],
        outputs=outputs,
        request_id="triton-through-gateway",
        parameters={"licenseId": license_id, "purpose": purpose},
    )
    request = urllib.request.Request(
        f"{api_url}/v1/models/{model_id}/infer",
        data=body if isinstance(body, bytes) else body.encode("utf-8"),
        headers={"Content-Type": "application/json", "X-API-Key": api_key},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as err:
        print(json.dumps({"status": err.code, "body": err.read().decode("utf-8")}))
        return 0
    result = httpclient.InferenceServerClient.parse_response_body(raw)
    answer = result.get_response()
    print(
        json.dumps(
            {
                "client": f"tritonclient {version('tritonclient')} (http)",
                "status": status,
                "json_size": json_size,
                "id": answer.get("id"),
                "model_name": answer.get("model_name"),
                "label": result.as_numpy("label").tolist(),
                "probabilities": result.as_numpy("probabilities").tolist(),
                "expected_label": sample["expectedLabel"],
                "expected_probabilities": sample["expectedProbabilities"],
                "receipt": answer.get("receipt"),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

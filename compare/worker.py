"""One framework's run, in its own process: `python -m compare.worker REQUEST.json RESPONSE.json`.

The runner starts one worker per framework, so that each import, backend choice and thread pool stays apart.
The request names the implementation, the problem and the initial-weights file; the response is JSON.
"""
import importlib
import importlib.metadata
import json
import sys

from compare import timing
from compare.problem import dataset, load_weights


def versions(distributions):
    """'3.15.1 (tensorflow 2.21.0)': the framework's own version, then those it runs on."""
    found = [importlib.metadata.version(name) for name in distributions]
    extra = ", ".join(f"{name} {version}" for name, version in zip(distributions[1:], found[1:]))
    return found[0] + (f" ({extra})" if extra else "")


def serve(request):
    """Train as the request says and return the response: curves, final weights, predictions and timings."""
    timings = {}
    with timing.phase(timings, "import_s"):
        impl = importlib.import_module(request["module"])
    x, y = dataset(request["dataset"])
    weights = load_weights(request["weights_file"])
    with timing.phase(timings, "build_s"):
        net = impl.Network(weights, request["learning_rate"], request["dtype"])
    with timing.phase(timings, "train_s"):
        history = net.fit(x, y, request["epochs"])
    return {
        "status": "ok",
        "version": versions(request["versions"]),
        "network": repr(net),
        "loss": history["loss"].tolist(),
        "mean_abs_error": history["mean_abs_error"].tolist(),
        "final_weights": [w.tolist() for w in net.get_weights()],
        "predictions": net.predict(x).tolist(),
        "timing": timings,
    }


def main(argv):
    request_path, response_path = argv
    with open(request_path) as f:
        request = json.load(f)
    response = serve(request)
    with open(response_path, "w") as f:
        json.dump(response, f)  # floats as repr: float64 values round-trip exactly


if __name__ == "__main__":
    main(sys.argv[1:])

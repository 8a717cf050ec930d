"""The inference web application of the scikit-learn bring-your-own seller:
Flask behind gunicorn behind nginx (see `serve`).

GET /ping answers 200 once the model in /opt/ml/model loads (404 if it
cannot). POST /invocations takes text/csv (features only, no header, no
label) and answers one predicted label per line, in order.
"""

import io
import os
import pickle

import flask
import pandas as pd

MODEL_FILE = os.path.join("/opt/ml/model", "decision-tree-model.pkl")


class ScoringService:
    model = None  # loaded once per worker process

    @classmethod
    def get_model(cls):
        if cls.model is None:
            with open(MODEL_FILE, "rb") as f:
                cls.model = pickle.load(f)
        return cls.model

    @classmethod
    def predict(cls, features):
        return cls.get_model().predict(features)


app = flask.Flask(__name__)


@app.route("/ping", methods=["GET"])
def ping():
    try:
        healthy = ScoringService.get_model() is not None
    except Exception as e:  # noqa: BLE001
        print(f"the model cannot be loaded: {e}", flush=True)
        healthy = False
    return flask.Response(response="\n", status=200 if healthy else 404, mimetype="application/json")


@app.route("/invocations", methods=["POST"])
def invocations():
    if flask.request.mimetype != "text/csv":
        return flask.Response(response="This predictor only supports CSV data", status=415,
                              mimetype="text/plain")
    text = flask.request.get_data().decode("utf-8")
    if not text.strip():
        return flask.Response(response="no records", status=400, mimetype="text/plain")
    features = pd.read_csv(io.StringIO(text), header=None)
    print(f"Invoked with {features.shape[0]} records", flush=True)
    predictions = ScoringService.predict(features.values)
    out = io.StringIO()
    pd.DataFrame({"results": predictions}).to_csv(out, header=False, index=False)
    return flask.Response(response=out.getvalue(), status=200, mimetype="text/csv")

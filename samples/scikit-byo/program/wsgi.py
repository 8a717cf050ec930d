"""gunicorn's entry point: `gunicorn wsgi:app`."""

import predictor

app = predictor.app

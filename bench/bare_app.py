"""The reference point of ``make bench``: a bare Flask endpoint answering fixed TwiML.

Served by gunicorn with the same settings as Kanava and fed the same kind of signed
``POST /twilio/sms`` requests, it shows what the machine, gunicorn and Flask cost before
any work: the SMS path is measured as a fraction of it, in the same run.
"""

from flask import Flask, Response

app = Flask(__name__)

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    "<Response><Message>Pysäköinti alkoi: ABC-123, alue 301, 18.00 asti.</Message></Response>"
)


@app.post("/twilio/sms")
def sms() -> Response:
    return Response(TWIML, mimetype="text/xml")


@app.get("/healthz")
def healthz() -> Response:
    return Response('{"status": "ok"}', mimetype="application/json")

"""The deployed app plus a bare USSD endpoint, the baseline the USSD benchmark compares against.

`POST /bench/bare` answers `END ok` like a USSD endpoint, and `POST /bench/bare-xml` a voice step's XML,
but neither touches Redis or the database, so their throughput is what this server, worker count and
client can do at all.
"""

from flask import Response

from service import create_app

app = create_app()


@app.post("/bench/bare")
def bare_ussd() -> Response:
    return Response("END ok", mimetype="text/plain")


BARE_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><Response><GetDigits timeout="15" numDigits="1" '
    b'callbackUrl="http://127.0.0.1/at/voice?step=keys"><Play url="http://127.0.0.1/voice/recordings/x" />'
    b"</GetDigits><Redirect>http://127.0.0.1/at/voice?step=silence</Redirect></Response>"
)


@app.post("/bench/bare-xml")
def bare_voice_step() -> Response:
    return Response(BARE_XML, mimetype="application/xml")

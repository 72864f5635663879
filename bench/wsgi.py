"""The deployed app plus a bare USSD endpoint, the baseline the USSD benchmark compares against.

`POST /bench/bare` answers `END ok` like a USSD endpoint, and `POST /bench/bare-xml` a voice step's XML,
but neither touches Redis or the database, so their throughput is what this server, worker count and
client can do at all. `POST /bench/bare-redis` answers `END ok` after the two Redis round trips a USSD
step makes (read the session's fields, then write them back in one pipeline): the design's own ceiling.
"""

from flask import Response, request

from service import create_app
from service.redis_conn import get_redis

app = create_app()


@app.post("/bench/bare")
def bare_ussd() -> Response:
    return Response("END ok", mimetype="text/plain")


@app.post("/bench/bare-redis")
def bare_redis() -> Response:
    form = request.form
    key = f"jigi:bench:session:{form['phoneNumber']}:{form['sessionId']}"
    client = get_redis()
    parent = form["text"].rpartition("*")[0]
    client.hmget(key, [form["text"], parent])
    with client.pipeline(transaction=False) as pipe:
        pipe.hset(key, form["text"], '{"state": {}, "text": "ok", "end": true}')
        pipe.expire(key, 60)
        pipe.set(f"jigi:bench:resume:{form['phoneNumber']}", "{}", ex=60)
        pipe.execute()
    return Response("END ok", mimetype="text/plain")


BARE_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><Response><GetDigits timeout="15" numDigits="1" '
    b'callbackUrl="http://127.0.0.1/at/voice?step=keys"><Play url="http://127.0.0.1/voice/recordings/x" />'
    b"</GetDigits><Redirect>http://127.0.0.1/at/voice?step=silence</Redirect></Response>"
)


@app.post("/bench/bare-xml")
def bare_voice_step() -> Response:
    return Response(BARE_XML, mimetype="application/xml")

"""The deployed app plus a bare USSD endpoint, the baseline the USSD benchmark compares against.

`POST /bench/bare` answers `END ok` like a USSD endpoint but touches neither Redis nor the database,
so its throughput is what this server, worker count and client can do at all.
"""

from flask import Response

from service import create_app

app = create_app()


@app.post("/bench/bare")
def bare_ussd() -> Response:
    return Response("END ok", mimetype="text/plain")

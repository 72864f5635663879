"""Partner API tokens: the CLI, the stored hash, and what each kind of token may do."""

from __future__ import annotations

from sqlalchemy import select

from service.api.tokens import create_token, hash_token
from service.models import ApiToken, AuditEntry, Patient


def _token(db, name: str, scope: str) -> str:
    with db.session() as session:
        return create_token(session, name, scope, "test")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_create_command_prints_a_token_that_is_stored_only_as_its_hash(runner, db):
    result = runner.invoke(args=["tokens", "create", "dhis2-tombouctou", "--scope", "read", "--by", "admin"])

    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    with db.session() as session:
        token = session.scalar(select(ApiToken))
    assert token.name == "dhis2-tombouctou" and token.scope == "read" and token.created_by == "admin"
    assert token.token_hash == hash_token(secret)
    assert secret not in token.token_hash and len(secret) >= 40
    with db.session() as session:
        entry = session.scalar(select(AuditEntry))
    assert (entry.actor, entry.action) == ("admin", "api.token.create") and secret not in entry.detail


def test_list_command_never_shows_tokens(runner, db):
    secret = _token(db, "dhis2", "write")

    result = runner.invoke(args=["tokens", "list"])

    assert result.exit_code == 0
    assert "dhis2\twrite" in result.output and "never" in result.output
    assert secret not in result.output and hash_token(secret) not in result.output


def test_create_command_refuses_a_name_already_used(runner, db):
    _token(db, "dhis2", "read")

    result = runner.invoke(args=["tokens", "create", "dhis2", "--scope", "write"])

    assert result.exit_code == 1
    assert "already exists" in result.output


def test_create_command_refuses_an_unknown_scope(runner):
    result = runner.invoke(args=["tokens", "create", "dhis2", "--scope", "admin"])

    assert result.exit_code == 2
    assert "read" in result.output and "write" in result.output


def test_revoked_token_is_refused_with_403(runner, client, db):
    secret = _token(db, "dhis2", "write")

    result = runner.invoke(args=["tokens", "revoke", "dhis2"])
    response = client.get("/api/v1/patients", headers=_bearer(secret))

    assert result.exit_code == 0
    assert response.status_code == 403
    assert response.json["error"]["code"] == "token_revoked"
    assert "revoked" in runner.invoke(args=["tokens", "list"]).output


def test_revoke_command_names_an_unknown_token(runner):
    result = runner.invoke(args=["tokens", "revoke", "nobody"])

    assert result.exit_code == 1
    assert "No token is named nobody." in result.output


def test_missing_token_gets_401_with_bearer_challenge(client):
    response = client.get("/api/v1/patients")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json == {
        "error": {"code": "unauthorized", "message": "send the API token as 'Authorization: Bearer TOKEN'"}
    }


def test_unknown_token_gets_401(client, db):
    _token(db, "dhis2", "write")

    response = client.get("/api/v1/patients", headers=_bearer("jigi_not-a-real-token"))

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_other_authorization_scheme_gets_401(client, db):
    secret = _token(db, "dhis2", "write")

    response = client.get("/api/v1/patients", headers={"Authorization": f"Basic {secret}"})

    assert response.status_code == 401


def test_read_token_reads_but_cannot_write(client, db):
    secret = _token(db, "dhis2", "read")

    read = client.get("/api/v1/patients", headers=_bearer(secret))
    write = client.post("/api/v1/patients", json={"phone": "+22376123456"}, headers=_bearer(secret))

    assert read.status_code == 200
    assert write.status_code == 403
    assert write.json["error"]["code"] == "insufficient_scope"
    with db.session() as session:
        assert session.scalar(select(Patient)) is None


def test_write_token_also_reads(client, db):
    secret = _token(db, "dhis2", "write")

    assert client.get("/api/v1/referrals", headers=_bearer(secret)).status_code == 200


def test_use_of_a_token_is_recorded(client, db):
    secret = _token(db, "dhis2", "read")

    client.get("/api/v1/patients", headers=_bearer(secret))

    with db.session() as session:
        assert session.scalar(select(ApiToken.last_used_at)) is not None


def test_no_api_route_answers_without_a_token(app, client):
    """Walks every route of the blueprint, so a route added later cannot forget authentication."""
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")]
    assert len(rules) >= 12
    for rule in rules:
        if rule.endpoint == "api.openapi":
            continue
        path = rule.rule.replace("<reference>", "P7K2")
        for argument in rule.arguments - {"reference"}:
            path = path.replace(f"<int:{argument}>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, json={})
            assert response.status_code == 401, (method, path)
            assert response.json["error"]["code"] == "unauthorized"


def test_openapi_document_is_public(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.json["openapi"].startswith("3.")

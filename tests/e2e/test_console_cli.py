"""`appeals users create` stores an argon2 hash; that person can then sign in to the console."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from app.models.users import ConsoleUser
from tests.api.test_console import sign_in
from tests.support.servers import ROOT, app_env

APPEALS = str(Path(sys.executable).parent / "appeals")


def appeals(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [APPEALS, *args], input=stdin, env=app_env(database_url), cwd=ROOT,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


async def test_users_create_then_sign_in(db, database_url, client):
    r = appeals(
        database_url, "users", "create", "--login", "Ivanova", "--department", "zhkh",
        "--role", "operator", "--name", "Иванова И. И.", "--password-stdin",
        stdin="a long enough password\n",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "created user ivanova" in r.stdout
    async with db.sessionmaker() as session:
        user = (await session.exec(select(ConsoleUser))).one()
    assert user.login == "ivanova" and user.department_code == "zhkh"
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough password" not in user.password_hash
    r = await sign_in(client, "ivanova", "a long enough password")
    assert r.status_code == 303

    listed = appeals(database_url, "users", "list")
    assert "ivanova\toperator\tzhkh\tactive" in listed.stdout
    assert appeals(database_url, "users", "disable", "--login", "ivanova").returncode == 0
    assert (await client.get("/console")).status_code == 303  # the session stops working


async def test_users_create_refuses_short_passwords_and_unknown_departments(db, database_url):
    r = appeals(
        database_url, "users", "create", "--login", "petrov", "--role", "operator",
        "--department", "zhkh", "--password-stdin", stdin="short\n",
    )  # fmt: skip
    assert r.returncode != 0
    r = appeals(
        database_url, "users", "create", "--login", "petrov", "--role", "operator",
        "--department", "nowhere", "--password-stdin", stdin="long enough password\n",
    )  # fmt: skip
    assert r.returncode != 0
    async with db.sessionmaker() as session:
        assert (await session.exec(select(ConsoleUser))).all() == []


async def test_users_set_password_ends_the_sessions_of_that_person(db, database_url, client):
    r = appeals(
        database_url, "users", "create", "--login", "orlov", "--department", "roads",
        "--role", "operator", "--password-stdin", stdin="the first passphrase\n",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert (await sign_in(client, "orlov", "the first passphrase")).status_code == 303
    assert (await client.get("/console")).status_code == 200
    r = appeals(
        database_url, "users", "set-password", "--login", "orlov", "--password-stdin",
        stdin="the second passphrase\n",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert (await client.get("/console")).status_code == 303  # the old session has ended
    assert (await sign_in(client, "orlov", "the first passphrase")).status_code == 401
    assert (await sign_in(client, "orlov", "the second passphrase")).status_code == 303
    r = appeals(
        database_url, "users", "set-password", "--login", "nobody", "--password-stdin",
        stdin="the third passphrase\n",
    )  # fmt: skip
    assert r.returncode == 1 and "does not exist" in r.stderr

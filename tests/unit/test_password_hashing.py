"""Console passwords are hashed with argon2id at the library's recommended cost (RFC 9106)."""

from __future__ import annotations

from argon2 import PasswordHasher, Type

from app.access import users


def test_console_passwords_use_argon2id_at_the_default_cost() -> None:
    defaults = PasswordHasher()
    assert users._hasher.type is Type.ID
    assert (users._hasher.time_cost, users._hasher.memory_cost, users._hasher.parallelism) == (
        defaults.time_cost,
        defaults.memory_cost,
        defaults.parallelism,
    )
    assert users._hasher.memory_cost >= 19 * 1024  # OWASP's floor for argon2id, in KiB
    assert users._DUMMY_HASH.startswith(f"$argon2id$v=19$m={defaults.memory_cost},")

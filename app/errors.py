"""Domain errors. Services raise these; one handler renders them as RFC 9457 problems."""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Base of every error a client can cause or meet."""

    status: int = 400
    title: str = "Bad request"
    type_slug: str = "bad-request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra
        self.headers: dict[str, str] = {}


class NotFound(AppError):
    status, title, type_slug = 404, "Not found", "not-found"


class Unauthorized(AppError):
    status, title, type_slug = 401, "Unauthorized", "unauthorized"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers["WWW-Authenticate"] = 'Bearer realm="appeals"'


class SignatureInvalid(AppError):
    status, title, type_slug = 401, "Invalid webhook signature", "invalid-signature"


class Forbidden(AppError):
    status, title, type_slug = 403, "Forbidden", "forbidden"


class Conflict(AppError):
    status, title, type_slug = 409, "Conflict", "conflict"


class IllegalTransition(Conflict):
    title, type_slug = "Illegal status transition", "illegal-transition"


class PreconditionRequired(AppError):
    status, title, type_slug = 428, "Precondition required", "precondition-required"


class PreconditionFailed(AppError):
    status, title, type_slug = 412, "Precondition failed", "precondition-failed"


class ValidationFailed(AppError):
    status, title, type_slug = 422, "Validation failed", "validation-failed"


class RateLimited(AppError):
    status, title, type_slug = 429, "Too many requests", "rate-limited"


class ServiceUnavailable(AppError):
    status, title, type_slug = 503, "Service unavailable", "service-unavailable"

    def __init__(self, detail: str, retry_after: int = 5, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers["Retry-After"] = str(retry_after)

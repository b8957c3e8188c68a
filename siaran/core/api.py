"""The error every API operation answers, declared in its OpenAPI document."""

from ninja import Schema


class Error(Schema):
    """A sentence in the request's language, and a code programs rely on."""

    detail: str
    code: str


# The errors an operation that needs a token may answer, by status.
ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 413: Error, 422: Error, 429: Error}

"""The one small base class every platform's connector extends.

A connector has one job: put one post on its platform, through the platform's official
API, and say what became of it. It raises `PublishError` (permanent or not) when the
platform refuses, and `OutcomeUnknown` when a request that creates something was sent
and its answer was lost. The job runner owns retries, backoff, quotas and bookkeeping.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from django.conf import settings
from django.utils import timezone

from ..media import MediaFile
from ..rules import Rules

# Every request to a platform carries it, so that the platform's logs name the caller.
USER_AGENT = "Siaran/0.1 (+https://github.com/siaran)"


class PublishError(Exception):
    """The platform refused, or cannot be reached now.

    `code` names the kind of trouble (errors.EXPLANATIONS says it to the operator in
    their language); `detail` is the platform's own message. A permanent error stops the
    job at once; any other is retried with backoff, not before `retry_after` seconds.
    """

    def __init__(
        self,
        code: str,
        detail: str = "",
        *,
        permanent: bool,
        retry_after: float | None = None,
        response: Any = None,
        values: dict | None = None,
    ) -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.permanent = permanent
        self.retry_after = retry_after
        self.response = response
        self.values = values or {}  # for the explanation: {"problems": [...]}
        self.status: int | None = None  # the HTTP status the platform answered with


class OutcomeUnknown(Exception):
    """A request that creates something was sent and no answer came back.

    The platform may have acted on it. The job is never retried blindly: the platform
    is asked first (`Connector.reconcile`).
    """


@dataclass
class Post:
    """A post that exists on the platform."""

    platform_id: str
    permalink: str = ""
    response: Any = field(default_factory=dict)


@dataclass
class Publication:
    """What one job posts, and its memory across attempts.

    `remember` saves a value the platform handed back (a container id, an upload
    session) in its own transaction the moment it arrives; `posted` does the same for
    the post's id. Both are refused if the job was taken over by another worker.
    """

    job_id: int
    title: str
    text: str
    media: Sequence[MediaFile]
    stage: dict
    since: dt.datetime  # when this job first sent anything: posts older are not ours
    save_stage: Callable[[dict], None] = lambda stage: None
    save_post: Callable[[str, Any], None] = lambda platform_id, response: None

    def remember(self, **values) -> None:
        self.stage.update(values)
        self.save_stage(dict(self.stage))

    def forget(self, *keys: str) -> None:
        for key in keys:
            self.stage.pop(key, None)
        self.save_stage(dict(self.stage))

    def posted(self, platform_id: str, response: Any = None) -> None:
        self.stage["platform_id"] = str(platform_id)
        self.save_post(str(platform_id), response if response is not None else {})


@dataclass(frozen=True)
class CredentialField:
    key: str
    label: str
    secret: bool = True


class Connector:
    name: ClassVar[str]  # the registry's key, kept on each job
    channel: ClassVar[str]  # the case channel it serves: instagram, website, ...
    base_url: ClassVar[str] = ""  # the platform's own API address
    rules: ClassVar[Rules]
    credential_fields: ClassVar[tuple[CredentialField, ...]] = ()
    needs_account_id: ClassVar[bool] = False
    # A quota the runner keeps for the account: (spends, window); see runner.quota_wait.
    quota: ClassVar[tuple[int, dt.timedelta] | None] = None
    quota_units: ClassVar[int] = 1  # spent per post

    def __init__(self, account, *, timeout: float | None = None) -> None:
        self.account = account
        self.credentials = account.credentials if account is not None else {}
        self.base = ((account.base_url if account else "") or self.base_url).rstrip("/")
        read = timeout if timeout is not None else settings.SIARAN_PUBLISH_TIMEOUT
        self.client = httpx.Client(
            timeout=httpx.Timeout(read, connect=min(read, 10.0)),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )
        # Rate-limit headers seen in this run, per limit: {"remaining": n, "reset": epoch}.
        self.limits: dict[str, dict] = {}

    def close(self) -> None:
        self.client.close()

    # -- what a platform implements (every connector module defines both) ---------------

    def publish(self, publication: Publication) -> Post:
        """Send the publication; the post as the platform recorded it."""
        raise NotImplementedError  # abstract: each platform's connector implements it

    def reconcile(self, publication: Publication) -> Post | None:
        """After an unknown outcome: the post if the platform has it, None if it has not.

        Raises PublishError when the platform cannot tell now; the job stays unknown.
        """
        raise NotImplementedError  # abstract: each platform's connector implements it

    @classmethod
    def select_media(cls, media: Sequence[MediaFile]) -> list[MediaFile]:
        """The content's media this channel takes, in order.

        A platform that cannot put images and a video in one post (Facebook, X) gets the
        video: a poster beside a video is the usual pair, and the video carries more. An
        image the platform refuses (a PNG for Instagram) goes as its rendition that fits,
        if it has one (siaran.cases.media).
        """
        chosen = [m for m in media if m.kind in cls.rules.kinds]
        if not cls.rules.mixed and {m.kind for m in chosen} == {"image", "video"}:
            chosen = [m for m in chosen if m.kind == "video"]
        return [m.fitting(cls.rules) if isinstance(m, MediaFile) else m for m in chosen]

    @classmethod
    def compose(cls, *, caption: str, narrative: str, hashtags: str) -> str:
        """The post's text: the channel's caption (or the narrative) and the hashtags."""
        text = (caption or narrative or "").strip()
        tags = (hashtags or "").strip()
        if tags and tags not in text:
            text = f"{text}\n\n{tags}" if text else tags
        return text

    def wait_before_publish(self, now: dt.datetime) -> dt.datetime | None:
        """When the account may post again if the platform says it may not now."""
        return None

    def quota_window_start(self, now: dt.datetime) -> dt.datetime | None:
        """The start of the quota's fixed window (a calendar day), or None for rolling."""
        return None

    # -- talking to the platform ----------------------------------------------------------

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base}{path}"

    def request(
        self,
        method: str,
        path: str,
        *,
        creates: bool = False,
        expect: tuple[int, ...] = (200, 201),
        **kwargs,
    ) -> httpx.Response:
        """One call to the platform; a refusal becomes a PublishError.

        `creates`: the call makes something that others see (a post). Its answer lost,
        or a server error, leaves its outcome unknown; any other call is simply retried.
        """
        try:
            response = self.client.request(method, self.url(path), **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            # The request never reached the platform: retrying is safe.
            detail = str(error) or type(error).__name__
            raise PublishError("network", detail, permanent=False) from error
        except httpx.TransportError as error:
            detail = str(error) or type(error).__name__
            if creates:
                raise OutcomeUnknown(detail) from error
            raise PublishError("network", detail, permanent=False) from error
        self.note_limits(response)
        if response.status_code in expect:
            return response
        if creates and response.status_code >= 500:
            raise OutcomeUnknown(f"HTTP {response.status_code}: {response.text[:500]}")
        error = self.error_from(response)
        error.status = response.status_code
        raise error

    def error_from(self, response: httpx.Response) -> PublishError:
        """A refusal in plain terms; platforms refine it from their error bodies."""
        status = response.status_code
        detail = _detail(response)
        body = _json(response)
        if status == 429 or status >= 500:
            code = "rate_limited" if status == 429 else "server"
            return PublishError(
                code,
                detail,
                permanent=False,
                retry_after=retry_after(response),
                response=body,
            )
        if status == 401:
            return PublishError("token_rejected", detail, permanent=True, response=body)
        if status == 403:
            return PublishError("permission", detail, permanent=True, response=body)
        return PublishError("rejected", detail, permanent=True, response=body)

    def note_limits(self, response: httpx.Response) -> None:
        """Keep the platform's rate-limit headers, for the runner to respect."""


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date), if any."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {"body": response.text[:2000]}


def _detail(response: httpx.Response) -> str:
    body = _json(response)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        for key in ("message", "detail", "title"):
            if body.get(key):
                return str(body[key])
    return f"HTTP {response.status_code}"


json_of = _json
detail_of = _detail

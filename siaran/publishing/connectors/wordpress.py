"""The institution's website on WordPress, through its REST API (`/wp-json/wp/v2/`).

Authentication is an application password (Users -> Profile -> Application Passwords)
sent as HTTP Basic. The featured image is uploaded to the media library first, then the
post is created with it. Each post carries a slug that names its job, so that a post
whose answer was lost is found again by that slug and never made twice.
"""

from __future__ import annotations

import mimetypes

from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from ..rules import MB, Rules
from .base import Connector, CredentialField, Post, PublishError, json_of


class WordPress(Connector):
    name = "wordpress"
    channel = "website"
    base_url = ""  # the site's own address, set on the account
    rules = Rules(
        caption_max=100_000,
        media_max=1,
        kinds=("image",),
        image_types=("image/jpeg", "image/png", "image/webp"),
        image_max_bytes=20 * MB,
    )
    credential_fields = (
        CredentialField("username", _("username"), secret=False),
        CredentialField("application_password", _("application password")),
    )

    def __init__(self, account, **kwargs) -> None:
        super().__init__(account, **kwargs)
        self.client.auth = (
            self.credentials.get("username", ""),
            self.credentials.get("application_password", ""),
        )

    @classmethod
    def compose(cls, *, caption: str, narrative: str, hashtags: str) -> str:
        # The website carries the article: the narrative, or the caption when there is none.
        return (narrative or caption or "").strip()

    @classmethod
    def select_media(cls, media):
        images = [m for m in media if m.kind == "image"]
        return images[:1]  # the featured image

    def api(self, path: str) -> str:
        return f"{self.base}/wp-json/wp/v2{path}"

    def publish(self, publication) -> Post:
        featured = publication.stage.get("media_id")
        if publication.media and not featured:
            image = publication.media[0]
            response = self.request(
                "POST",
                self.api("/media"),
                content=image.pieces(),
                headers={
                    "Content-Type": image.content_type,
                    "Content-Length": str(image.size),
                    "Content-Disposition": f'attachment; filename="{_ascii(image, publication)}"',
                },
                expect=(201,),
            )
            featured = response.json()["id"]
            publication.remember(media_id=featured)
        slug = publication.stage.get("slug")
        if not slug:
            slug = f"{slugify(publication.title)[:60].strip('-') or 'siaran'}-s{publication.job_id}"
            publication.remember(slug=slug)
        body = {
            "title": publication.title,
            "content": publication.text,
            "status": "publish",
            "slug": slug,
        }
        if featured:
            body["featured_media"] = featured
        response = self.request("POST", self.api("/posts"), json=body, creates=True, expect=(201,))
        post = response.json()
        publication.posted(post["id"], post)
        return Post(platform_id=str(post["id"]), permalink=post.get("link", ""), response=post)

    def reconcile(self, publication) -> Post | None:
        slug = publication.stage.get("slug")
        if not slug:
            return None  # the post was never asked for
        response = self.request(
            "GET",
            self.api("/posts"),
            params={"slug": slug, "status": "publish,future,draft,pending,private"},
        )
        found = [p for p in response.json() if p.get("slug") == slug]
        if not found:
            return None
        post = found[0]
        return Post(platform_id=str(post["id"]), permalink=post.get("link", ""), response=post)

    def verify(self) -> str:
        """The name the site knows these credentials by."""
        return self.request("GET", self.api("/users/me")).json().get("name", "")

    def error_from(self, response) -> PublishError:
        error = super().error_from(response)
        body = json_of(response)
        code = body.get("code", "") if isinstance(body, dict) else ""
        if code in ("incorrect_password", "invalid_username", "rest_not_logged_in"):
            error.code, error.permanent = "token_rejected", True
        elif code.startswith("rest_upload") or response.status_code in (413, 415):
            error.code, error.permanent = "bad_media", True
        return error


def _ascii(image, publication) -> str:
    """A plain file name for the media library: the header cannot carry any character."""
    extension = mimetypes.guess_extension(image.content_type) or ""
    stem = slugify(image.name.rsplit(".", 1)[0])[:60] or f"siaran-{publication.job_id}"
    return f"{stem}{extension}"

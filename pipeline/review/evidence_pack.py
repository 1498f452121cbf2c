"""Evidence packs for takedown requests: one zip per hit with everything a platform asks for.

The zip holds the post as collected, the author's profile, the post's images, the annotated
evidence image, a summary with timestamps and the platform's reporting link, and a SHA-256
manifest of every file so the pack can be shown to be unaltered.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

from pipeline.core.models import Hit, Post, utcnow
from pipeline.store.base import Store, UnknownHit

# Where each platform takes reports. Impersonation and trademark reports have their own forms.
REPORT_LINKS: dict[str, dict[str, str]] = {
    "x": {
        "impersonation": "https://help.x.com/forms/impersonation",
        "logo_misuse": "https://help.x.com/forms/ipi/trademark",
        "copyright": "https://help.x.com/forms/ipi/dmca",
        "default": "https://help.x.com/forms/safety-and-sensitive-content",
    },
    "reddit": {
        "logo_misuse": "https://www.reddit.com/report?reason=trademark",
        "copyright": "https://www.reddit.com/report?reason=copyright",
        "default": "https://www.reddit.com/report",
    },
    "bluesky": {"default": "https://bsky.social/about/support"},
}


def report_link(hit: Hit) -> str:
    if hit.platform == "mastodon":
        # Each Mastodon server moderates its own users: report to the author's server.
        host = urlparse(hit.post_url or "").netloc
        return f"https://{host}/about" if host else "the author's Mastodon server (/about)"
    links = REPORT_LINKS.get(hit.platform, {})
    return links.get(hit.category.value, links.get("default", "(no known reporting form)"))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_evidence_pack(store: Store, hit_id: str, out_dir: Path) -> Path:
    """Write `<out_dir>/evidence-<hit_id>.zip` and return its path."""
    hit = store.get_hit(hit_id)
    if hit is None:
        raise UnknownHit(hit_id)
    post = store.get_post(hit.post_id)
    files: dict[str, bytes] = {}
    missing: list[str] = []

    post_doc: dict[str, Any] = post.model_dump(mode="json") if post else {
        "platform": hit.platform, "id": hit.post_id.partition(":")[2], "url": hit.post_url,
        "text": hit.post_text, "created_at": hit.post_created_at.isoformat(),
    }
    files["post.json"] = _json(post_doc)
    files["author.json"] = _json(
        post.author.model_dump(mode="json") if post else
        {"id": hit.author_id, "handle": hit.author_handle, "display_name": hit.author_display_name}
    )
    files["hit.json"] = _json(hit.model_dump(mode="json"))
    files["audit.json"] = _json([e.model_dump(mode="json") for e in store.audit_trail(hit_id)])
    if post:
        _add_images(post, files, missing)
    evidence_image = hit.evidence.get("image_path")
    if evidence_image:
        _add_file(Path(evidence_image), f"evidence/{Path(evidence_image).name}", files, missing)

    summary = {
        "hit_id": hit.id,
        "category": hit.category.value,
        "risk": hit.risk,
        "explanation": hit.explanation,
        "post_url": hit.post_url,
        "author": f"@{hit.author_handle}",
        "post_created_at": hit.post_created_at.isoformat(),
        "first_seen": hit.first_seen.isoformat(),
        "last_seen": hit.last_seen.isoformat(),
        "pack_created_at": utcnow().isoformat(),
        "report_at": report_link(hit),
        "missing_files": missing,
    }
    files["summary.json"] = _json(summary)
    manifest = "".join(f"{_sha256(data)}  {name}\n" for name, data in sorted(files.items()))

    from pipeline.core.files import atomic_write

    target = out_dir / f"evidence-{hit.id}.zip"

    def write(handle: IO[bytes]) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in sorted(files.items()):
                archive.writestr(name, data)
            archive.writestr("SHA256SUMS", manifest)

    # Written aside and renamed, readable by the owner only: a failure never leaves a half pack
    # under the final name, and the pack holds a person's post and profile.
    atomic_write(target, write)
    return target


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str).encode()


def _add_images(post: Post, files: dict[str, bytes], missing: list[str]) -> None:
    for number, media in enumerate(post.media, 1):
        if media.path:
            _add_file(Path(media.path), f"media/{number:02d}-{Path(media.path).name}", files,
                      missing)
        else:
            missing.append(f"media {number}: not fetched ({media.error or 'no local copy'})")


def _add_file(path: Path, name: str, files: dict[str, bytes], missing: list[str]) -> None:
    try:
        files[name] = path.read_bytes()
    except OSError as exc:
        missing.append(f"{name}: {exc.strerror}")




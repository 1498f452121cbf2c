"""Index templates with explicit mappings for posts, hits, the audit trail, checkpoints, the
whitelist and the history detectors read (accounts, official posts, works).

Kibana dashboards and alert rules read these field names; tests check that every field they use
exists here. Free text is `text` with a `keyword` sub-field where people filter or aggregate.
"""

from __future__ import annotations

from typing import Any

_KEYWORD = {"type": "keyword"}
_DATE = {"type": "date"}
_TEXT_KW = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}

_AUTHOR = {
    "properties": {
        "id": _KEYWORD,
        "handle": _KEYWORD,
        "display_name": _TEXT_KW,
        "description": {"type": "text"},
        "avatar_url": {"type": "keyword", "index": False},
        "created_at": _DATE,
        "verified": {"type": "boolean"},
        "followers": {"type": "long"},
    }
}

POSTS_MAPPING: dict[str, Any] = {
    # Posts keep unknown platform fields in _source but do not index them: a platform adding a
    # field must not grow the mapping (or fail a write on a type clash).
    "dynamic": False,
    "properties": {
        "platform": _KEYWORD,
        "id": _KEYWORD,
        "url": {"type": "keyword", "index": False},
        "created_at": _DATE,
        "text": {"type": "text"},
        "lang": _KEYWORD,
        "author": _AUTHOR,
        "media": {
            "properties": {
                "url": {"type": "keyword", "index": False},
                "type": _KEYWORD,
                "path": {"type": "keyword", "index": False},
                "sha256": _KEYWORD,
                "error": {"type": "text"},
            }
        },
        "in_reply_to": _KEYWORD,
        "quoted": _KEYWORD,
    },
}

HITS_MAPPING: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "id": _KEYWORD,
        "detector": _KEYWORD,
        "category": _KEYWORD,
        "severity": _KEYWORD,
        "risk": _KEYWORD,
        "score": {"type": "float"},
        "explanation": {"type": "text"},
        # Evidence differs per detector; it is kept whole for reviewers, and the few fields
        # dashboards need are mapped explicitly.
        "evidence": {
            "type": "object",
            "dynamic": False,
            "properties": {
                "image_url": {"type": "keyword", "index": False},
                "image_path": {"type": "keyword", "index": False},
                "matched_account": _KEYWORD,
                "reference": _KEYWORD,
                "authorised": {"type": "boolean"},
                "labels": _KEYWORD,
                "terms": _KEYWORD,
            },
        },
        # The policy's decision: why the hit was admitted and why this severity.
        "decision": {
            "properties": {"reasons": {"type": "text"}, "signals": _KEYWORD},
        },
        "subject": _KEYWORD,
        "platform": _KEYWORD,
        "post_id": _KEYWORD,
        "post_url": {"type": "keyword"},
        "post_text": {"type": "text"},
        "post_created_at": _DATE,
        "author_id": _KEYWORD,
        "author_handle": _KEYWORD,
        "author_display_name": _TEXT_KW,
        "detected_at": _DATE,
        "first_seen": _DATE,
        "last_seen": _DATE,
        "first_action_at": _DATE,
        "review_minutes": {"type": "float"},
        "status": _KEYWORD,
        "assignee": _KEYWORD,
        "tags": _KEYWORD,
        "notes": {"type": "object", "enabled": False},
    },
}

AUDIT_MAPPING: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "hit_id": _KEYWORD,
        "at": _DATE,
        "actor": _KEYWORD,
        "action": _KEYWORD,
        "changes": {"type": "object", "enabled": False},
    },
}

CHECKPOINTS_MAPPING: dict[str, Any] = {
    "dynamic": False,
    "properties": {"source": _KEYWORD, "value": _KEYWORD, "updated_at": _DATE},
}

WHITELIST_MAPPING: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "kind": _KEYWORD, "value": _KEYWORD, "actor": _KEYWORD, "reason": {"type": "text"},
        "added_at": _DATE,
    },
}

# The account history detectors read (pipeline/core/history.py): one document per account post
# (id subject|post id) and per official post fingerprint.
ACCOUNTS_MAPPING: dict[str, Any] = {
    "dynamic": False,
    "properties": {"subject": _KEYWORD, "post_id": _KEYWORD, "posted_at": _DATE},
}

OFFICIAL_MAPPING: dict[str, Any] = {
    "dynamic": False,
    "properties": {"fingerprint": _KEYWORD, "post_id": _KEYWORD, "account": _KEYWORD,
                   "posted_at": _DATE},
}

# The work history (pipeline/core/works.py): one document per work, id its post id. Shingle
# hashes are kept as keyword terms (their decimal text), matched term by term: a term looked up
# in a keyword field's term dictionary costs a third of the same lookup in a long field's point
# tree, and a post's search is one lookup per shingle. `shingles` is where works recorded
# before held them, as longs; setup moves them over (ElasticsearchStore.setup). Image features
# are the arrays' bytes, kept for the detector and never searched.
_UNSEARCHED = {"type": "keyword", "index": False, "doc_values": False}
WORKS_MAPPING: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "post_id": _KEYWORD,
        "author": _KEYWORD,
        "handle": _UNSEARCHED,
        "display_name": _UNSEARCHED,
        "platform": _KEYWORD,
        "posted_at": _DATE,
        "url": _UNSEARCHED,
        "shingle_count": {"type": "integer", "index": False},
        "shingle_terms": {"type": "keyword", "doc_values": False},
        "shingles": {"type": "long", "doc_values": False},  # before shingle_terms
        "images": {
            "properties": {
                "media_index": {"type": "integer"},
                "width": {"type": "integer", "index": False},
                "height": {"type": "integer", "index": False},
                "points": {"type": "binary"},
                "descriptors": {"type": "binary"},
            }
        },
    },
}

MAPPINGS = {
    "posts": POSTS_MAPPING,
    "accounts": ACCOUNTS_MAPPING,
    "official": OFFICIAL_MAPPING,
    "works": WORKS_MAPPING,
    "hits": HITS_MAPPING,
    "audit": AUDIT_MAPPING,
    "checkpoints": CHECKPOINTS_MAPPING,
    "whitelist": WHITELIST_MAPPING,
}


# How often Elasticsearch makes new writes searchable, where the default (every second while the
# index is searched) is more than anyone needs. Every refresh writes a segment that later costs a
# merge: in a 5,000-post backfill the posts and checkpoints indices took 59 refreshes and about
# 2 s of the node's CPU with their merges (13 refreshes, 0.25 s with these intervals).
# Checkpoints are only read by id, which sees a write at once; posts are read by id, by Kibana
# (where seconds do not matter) and by retention, which refreshes first. Hits keep the default:
# a reviewer's change waits for the next refresh.
REFRESH_INTERVALS = {"posts": "5s", "checkpoints": "30s"}


def index_templates(prefix: str, *, replicas: int = 0) -> dict[str, dict[str, Any]]:
    """Composable index templates by name, one per kind of document."""
    return {
        f"{prefix}-{kind}": {
            "index_patterns": [f"{prefix}-{kind}*"],
            "priority": 200,
            "template": {
                "settings": {"number_of_shards": 1, "number_of_replicas": replicas,
                             **({"refresh_interval": REFRESH_INTERVALS[kind]}
                                if kind in REFRESH_INTERVALS else {})},
                "mappings": mapping,
            },
            "_meta": {"managed_by": "crestwatch"},
        }
        for kind, mapping in MAPPINGS.items()
    }

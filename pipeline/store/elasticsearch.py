"""The production store: Elasticsearch 9, written through `streaming_bulk`.

Every document's outcome is counted: written, or listed in `WriteResult.failed` with the reason
Elasticsearch gave. 429s are retried with backoff by the bulk helper; nothing is dropped silently.
Hits are written as updates with an upsert, so a rerun refreshes detection fields and keeps the
review state (the node needs no scripting for that).
"""

from __future__ import annotations

import base64
import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from elasticsearch import (
    BadRequestError,
    ConflictError,
    Elasticsearch,
    NotFoundError,
    TransportError,
    helpers,
)

from pipeline.core.history import (
    EVIDENCE_POSTS,
    OFFICIAL_POSTS_KEPT,
    AccountSeen,
    HistoryUpdate,
    account_subjects,
    utc,
)
from pipeline.core.models import AuditEntry, Hit, Post, utcnow
from pipeline.core.works import (
    SHARED_WORKS,
    RememberedWork,
    ShingleQuery,
    Work,
    WorkImage,
    work_author,
)
from pipeline.store.base import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    HitQuery,
    Purged,
    Store,
    StoreError,
    UnknownHit,
    WriteResult,
    apply_review_changes,
    check_whitelist_kind,
    record_files,
)
from pipeline.store.es_templates import REFRESH_INTERVALS, WORKS_MAPPING, index_templates

log = logging.getLogger(__name__)


def _from_millis(value: float) -> datetime:
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def client_from_env(url: str | None = None, **options: Any) -> Elasticsearch:
    """A client for `url` (or CRESTWATCH_ES_URL) with credentials from the environment.

    `url` may list several nodes of one cluster, comma-separated: the client spreads requests
    over them and retries a request on another node when one is down.
    CRESTWATCH_ES_API_KEY, or CRESTWATCH_ES_USER with CRESTWATCH_ES_PASSWORD; CRESTWATCH_ES_CA
    for a private CA. Credentials never appear in logs or error messages.
    """
    url = url or os.environ.get("CRESTWATCH_ES_URL") or "http://127.0.0.1:9200"
    hosts = usable_hosts(url)
    kwargs: dict[str, Any] = {"request_timeout": 30, **options}
    if api_key := os.environ.get("CRESTWATCH_ES_API_KEY"):
        kwargs["api_key"] = api_key
    elif user := os.environ.get("CRESTWATCH_ES_USER"):
        kwargs["basic_auth"] = (user, os.environ.get("CRESTWATCH_ES_PASSWORD", ""))
    if ca := os.environ.get("CRESTWATCH_ES_CA"):
        kwargs["ca_certs"] = ca
    if len(hosts) > 1:
        kwargs.setdefault("retry_on_timeout", True)
    return Elasticsearch(hosts, **kwargs)


_CHUNK = 10_000  # ids per query when a purge names many documents


def without_credentials(url: str) -> str:
    """`url` as it may be printed or logged: everything up to the last "@" after the scheme
    (user:password@, whatever the password holds, even "/" or a missing "://") is left out."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if "@" in rest:
        rest = rest.rsplit("@", 1)[1]
    return f"{scheme}{sep}{rest}"


def _unusable(url: str) -> str | None:
    """Why the client could not use `url`, in words that never quote it; None when it can."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "the port is not a number from 1 to 65535"
    if parts.scheme not in ("http", "https"):
        return "it must start with http:// or https://"
    if not parts.hostname:
        return "it names no host"
    if port is None:
        return "it names no port, e.g. https://elasticsearch:9200"
    return None


def usable_hosts(url: str) -> list[str]:
    """The nodes `url` lists (comma-separated), or StoreError naming the first the client could
    not use. The client's own error for such a URL quotes it whole, and a URL may hold a
    password (user:password@host); this one names only what it may print."""
    hosts = [part.strip() for part in url.split(",") if part.strip()]
    for host in hosts:
        problem = _unusable(host)
        if problem:
            raise StoreError(f"not a usable Elasticsearch URL: {without_credentials(host)} "
                             f"({problem})")
    return hosts


def unreachable(es: Elasticsearch, exc: TransportError, doing: str) -> StoreError:
    """One line for a cluster that is down or went away: which nodes, doing what, and the
    operating system's reason, instead of the transport's nested traceback."""
    nodes = ", ".join(str(n.base_url) for n in es.transport.node_pool.all()) or "Elasticsearch"
    errno = re.search(r"\[Errno -?\d+\] [^)\]]*", str(exc))
    reason = errno.group(0) if errno else f"{type(exc).__name__}: {str(exc)[:200]}"
    return StoreError(f"Elasticsearch at {nodes} unreachable while {doing}: {reason}")


# The indices a store holds, one per kind of document.
_KINDS = ("posts", "hits", "audit", "checkpoints", "whitelist", "accounts", "official", "works")


class ElasticsearchStore(Store):
    def __init__(
        self,
        client: Elasticsearch,
        *,
        prefix: str = "crestwatch",
        chunk_size: int = 500,
        max_retries: int = 5,
        refresh_on_write: bool = False,
        replicas: int | None = None,
    ) -> None:
        self.es = client
        self.prefix = prefix
        self.chunk_size = chunk_size
        self.max_retries = max_retries
        # Tests and the CLI's small runs want reads to see writes at once; bulk ingest does not.
        # Such a write refreshes itself rather than waiting for the next refresh, which for
        # posts comes only every few seconds (es_templates.REFRESH_INTERVALS).
        self.refresh_on_write = refresh_on_write
        # Replicas per shard in the index templates; None: one where the cluster has a second
        # data node to hold it (a node can die without losing a write), none on a single node
        # (where a replica could never be assigned and the indices would stay yellow).
        self.replicas = replicas

    def index(self, kind: str) -> str:
        return f"{self.prefix}-{kind}"

    def replica_count(self) -> int:
        if self.replicas is not None:
            return self.replicas
        data_nodes = int(self.es.cluster.health()["number_of_data_nodes"])
        return 1 if data_nodes > 1 else 0

    @contextmanager
    def _reaching(self, doing: str) -> Iterator[None]:
        try:
            yield
        except TransportError as exc:
            raise unreachable(self.es, exc, doing) from None

    def setup(self) -> None:
        with self._reaching("setting up the indices"):
            for name, body in index_templates(self.prefix,
                                              replicas=self.replica_count()).items():
                self.es.indices.put_index_template(name=name, **body)
            missing = [self.index(kind) for kind in _KINDS
                       if not self.es.indices.exists(index=self.index(kind))]
            if missing:
                # Each creation waits for the master to publish it (most of a second on a
                # single node); asked for together they are published together.
                with ThreadPoolExecutor(len(missing)) as pool:
                    list(pool.map(self._create_index, missing))
            # A template shapes only indices created after it: indices from before a change of
            # refresh interval get it here.
            for kind, interval in REFRESH_INTERVALS.items():
                if self.index(kind) not in missing:
                    self.es.indices.put_settings(index=self.index(kind),
                                                 settings={"refresh_interval": interval})
            if self.index("works") not in missing:
                self._upgrade_works()

    def _upgrade_works(self) -> None:
        """A work history recorded before shingle hashes were keyword terms gets the field and
        its works' hashes moved into it, once: unmoved, those works would never be found as
        originals until they aged out of the memory period."""
        index = self.index("works")
        self.es.indices.put_mapping(
            index=index, properties={"shingle_terms": WORKS_MAPPING["properties"]["shingle_terms"]})
        unmoved = {"bool": {"filter": [{"exists": {"field": "shingles"}}],
                            "must_not": [{"exists": {"field": "shingle_terms"}}]}}
        if not self.es.count(index=index, query=unmoved)["count"]:
            return
        # Scan and rewrite, as _delete_by does (no reindex module needed). A work recorded
        # again meanwhile is already in the new form: its version conflict is left alone.
        result = self._bulk(
            {"_op_type": "index", "_index": index, "_id": hit["_id"],
             "if_seq_no": hit["_seq_no"], "if_primary_term": hit["_primary_term"],
             "_source": _moved_shingles(hit["_source"])}
            for hit in helpers.scan(self.es, index=index, query={"query": unmoved},
                                    seq_no_primary_term=True))
        failed = [f for f in result.failed if "version_conflict" not in str(f[1])]
        if failed:
            raise StoreError(f"moving the work history's shingles: {failed[0][0]}: {failed[0][1]}")
        self.es.indices.refresh(index=index)
        log.info("work history: moved %d works' shingles to keyword terms", result.written)

    def _create_index(self, name: str) -> None:
        try:
            self.es.indices.create(index=name)
        except BadRequestError as exc:
            # Mapped ingest tasks start together on several workers and each sets the store
            # up: another one may create the index between our check and our create. The
            # index exists, made from the same template, which is all setup wants.
            if exc.error != "resource_already_exists_exception":
                raise

    def close(self) -> None:
        self.es.close()

    def refresh(self) -> None:
        with self._reaching("refreshing the indices"):
            self.es.indices.refresh(index=f"{self.prefix}-*")

    # -- writes -----------------------------------------------------------------------------

    def _bulk(self, actions: Iterable[dict[str, Any]]) -> WriteResult:
        with self._reaching("writing a bulk request"):
            return self._bulk_results(actions)

    def _bulk_results(self, actions: Iterable[dict[str, Any]]) -> WriteResult:
        # streaming_bulk turns refused documents into results but lets connection failures
        # through; _bulk makes those one StoreError, so the source stops with its checkpoint.
        result = WriteResult()
        for ok, item in helpers.streaming_bulk(
            self.es,
            actions,
            chunk_size=self.chunk_size,
            max_retries=self.max_retries,
            initial_backoff=1,
            max_backoff=30,
            raise_on_error=False,
            raise_on_exception=False,
            refresh=self.refresh_on_write,
        ):
            if ok:
                result.written += 1
                _, detail = next(iter(item.items()))
                result.created += detail.get("result") == "created"
            else:
                op, detail = next(iter(item.items()))
                reason = detail.get("error", detail.get("exception", "unknown error"))
                if isinstance(reason, dict):
                    reason = f"{reason.get('type')}: {reason.get('reason')}"
                result.failed.append((str(detail.get("_id")), str(reason)))
                log.error("%s of %s failed: %s", op, detail.get("_id"), reason)
        return result

    def upsert_posts(self, posts: Iterable[Post]) -> WriteResult:
        return self._bulk(
            {
                "_op_type": "index",
                "_index": self.index("posts"),
                "_id": post.doc_id,
                "_source": post.model_dump(mode="json"),
            }
            for post in posts
        )

    def upsert_hits(self, hits: Iterable[Hit]) -> WriteResult:
        return self._bulk(
            {
                "_op_type": "update",
                "_index": self.index("hits"),
                "_id": hit.id,
                # A reviewer's edit between the node's read and write is a version conflict:
                # the node reads again and applies the detection fields on top of it.
                "retry_on_conflict": 5,
                "doc": hit.detection_doc(),
                "upsert": hit.model_dump(mode="json"),
            }
            for hit in hits
        )

    def update_hit(self, hit_id: str, changes: dict[str, Any], *, actor: str, action: str) -> Hit:
        try:
            response = self.es.get(index=self.index("hits"), id=hit_id)
        except NotFoundError:
            raise UnknownHit(hit_id) from None
        current = Hit.model_validate(response["_source"])
        updated = apply_review_changes(current, changes)
        doc = {k: v for k, v in updated.model_dump(mode="json").items() if k in changes}
        # The audit entry goes first: a crash between the two writes leaves a record of an
        # attempted change, never a change without a record. Optimistic concurrency on the hit
        # makes two reviewers' simultaneous edits fail loudly instead of overwriting.
        entry = AuditEntry(actor=actor, action=action, changes=changes)
        self.es.index(
            index=self.index("audit"),
            document={"hit_id": hit_id, **entry.model_dump(mode="json")},
            refresh="wait_for",
        )
        for attempt in range(5):
            try:
                self.es.update(
                    index=self.index("hits"),
                    id=hit_id,
                    doc=doc,
                    if_seq_no=response["_seq_no"],
                    if_primary_term=response["_primary_term"],
                    refresh="wait_for",
                )
                break
            except ConflictError:
                # A pass refreshed the hit's detection fields since it was read: read it again
                # and check the change against the new version (review fields are the
                # reviewer's alone, so the change itself still holds).
                if attempt == 4:
                    raise
                response = self.es.get(index=self.index("hits"), id=hit_id)
                updated = apply_review_changes(Hit.model_validate(response["_source"]), changes)
        return updated

    def set_checkpoint(self, source: str, value: str) -> None:
        # No refresh="wait_for": the only reader is get_checkpoint, a real-time GET by id that
        # sees an acknowledged write at once, and the acknowledgement itself is what makes it
        # survive a crash (the translog is synced before the node answers). Waiting for the
        # next refresh cost up to a second per page, capping one source near 100 posts/s.
        with self._reaching("saving a checkpoint"):
            self.es.index(
                index=self.index("checkpoints"),
                id=source,
                document={"source": source, "value": value, "updated_at": utcnow().isoformat()},
            )

    def add_to_whitelist(self, kind: str, value: str, *, actor: str, reason: str = "") -> None:
        check_whitelist_kind(kind)
        self.es.index(
            index=self.index("whitelist"),
            id=f"{kind}:{value}",
            document={"kind": kind, "value": value, "actor": actor, "reason": reason,
                      "added_at": utcnow().isoformat()},
            refresh="wait_for",
        )

    def whitelist(self) -> set[tuple[str, str]]:
        return {
            (doc["_source"]["kind"], doc["_source"]["value"])
            for doc in helpers.scan(self.es, index=self.index("whitelist"),
                                    query={"query": {"match_all": {}}})
        }

    def _delete_by(self, query: dict[str, Any], kinds: tuple[str, ...]) -> int:
        # Scan-and-delete rather than _delete_by_query: it needs no reindex module on the node
        # (the minimal distributions lack it) and reports each document's outcome the same way
        # every other write here does.
        deleted = 0
        for kind in kinds:
            index = self.index(kind)
            result = self._bulk(
                {"_op_type": "delete", "_index": index, "_id": doc["_id"]}
                for doc in helpers.scan(self.es, index=index, query={"query": query}, _source=False)
            )
            if result.failed:
                raise StoreError(f"could not delete {len(result.failed)} documents from {index}")
            deleted += result.written
        self.es.indices.refresh(index=[self.index(k) for k in kinds])
        return deleted

    def erase_author(self, platform: str, author_id: str) -> int:
        # The scans below see only what a refresh made searchable: posts refresh every few
        # seconds (es_templates.REFRESH_INTERVALS), and an erasure must not miss the newest.
        self.es.indices.refresh(index=[self.index(k) for k in _KINDS])
        hit_ids = [
            h["_id"]
            for h in helpers.scan(
                self.es,
                index=self.index("hits"),
                query={"query": self._author_query(platform, author_id, "author_id")},
                _source=False,
            )
        ]
        if hit_ids:
            self._delete_by({"terms": {"hit_id": hit_ids}}, ("audit",))
        subject = {"terms": {"subject": account_subjects(platform, author_id)}}
        return (
            self._delete_by(self._author_query(platform, author_id, "author_id"), ("hits",))
            + self._delete_by(self._author_query(platform, author_id, "author.id"), ("posts",))
            + self._delete_by(subject, ("accounts",))
            + self._delete_by({"term": {"author": work_author(platform, author_id)}}, ("works",))
        )

    @staticmethod
    def _author_query(platform: str, author_id: str, field: str) -> dict[str, Any]:
        filters = [{"term": {"platform": platform}}, {"term": {field: author_id}}]
        return {"bool": {"filter": filters}}

    def purge_expired(self, posts_before: datetime, closed_hits_before: datetime) -> Purged:
        posts_cut = {"lt": utc(posts_before).isoformat()}
        expired_hits = {"bool": {"should": [
            {"bool": {"filter": [{"terms": {"status": list(CLOSED_STATUSES)}},
                                 {"range": {"post_created_at": {
                                     "lt": utc(closed_hits_before).isoformat()}}}]}},
            {"bool": {"filter": [{"terms": {"status": list(OPEN_STATUSES)}},
                                 {"range": {"post_created_at": posts_cut}}]}},
        ], "minimum_should_match": 1}}
        old_posts = {"range": {"created_at": posts_cut}}
        with self._reaching("applying retention"):
            self.es.indices.refresh(index=[self.index("hits"), self.index("posts")])
            hits = [Hit.model_validate(doc["_source"]) for doc in helpers.scan(
                self.es, index=self.index("hits"), query={"query": expired_hits})]
            posts = [Post.model_validate(doc["_source"]) for doc in helpers.scan(
                self.es, index=self.index("posts"), query={"query": old_posts})]
            hit_ids = [h.id for h in hits]
            # In chunks: a terms query takes at most index.max_terms_count (65,536) values.
            for start in range(0, len(hit_ids), _CHUNK):
                self._delete_by({"terms": {"hit_id": hit_ids[start:start + _CHUNK]}}, ("audit",))
            count = (
                self._delete_by(expired_hits, ("hits",))
                + self._delete_by(old_posts, ("posts",))
                + self._delete_by({"range": {"posted_at": posts_cut}},
                                  ("accounts", "official", "works"))
            )
            # Hits that outlive their post (held, or closed ones kept longer) keep their
            # evidence images, and posts that outlive their hits keep their media.
            kept_hits = [Hit.model_validate(doc["_source"]) for doc in helpers.scan(
                self.es, index=self.index("hits"),
                query={"query": {"range": {"post_created_at": posts_cut}}})]
            post_ids = sorted({h.post_id for h in hits})
            kept_posts = [
                Post.model_validate(doc["_source"])
                for start in range(0, len(post_ids), _CHUNK)
                for doc in helpers.scan(self.es, index=self.index("posts"), query={
                    "query": {"ids": {"values": post_ids[start:start + _CHUNK]}}})
            ]
        files = record_files(posts, hits) - record_files(kept_posts, kept_hits)
        return Purged(documents=count, files=files)

    # -- history (pipeline/core/history.py) --------------------------------------------------

    def record_history(self, update: HistoryUpdate) -> None:
        actions: list[dict[str, Any]] = [
            {"_op_type": "index", "_index": self.index("accounts"),
             "_id": f"{p.subject}|{p.post_id}",
             "_source": {"subject": p.subject, "post_id": p.post_id,
                         "posted_at": utc(p.posted_at).isoformat()}}
            for p in update.account_posts
        ] + [
            {"_op_type": "index", "_index": self.index("official"), "_id": o.fingerprint,
             "_source": {"fingerprint": o.fingerprint, "post_id": o.post_id,
                         "account": o.account, "posted_at": utc(o.posted_at).isoformat()}}
            for o in update.official_posts
        ] + [
            {"_op_type": "index", "_index": self.index("works"), "_id": r.work.post_id,
             "_source": self._work_doc(r)}
            for r in update.works
        ]
        if not actions:
            return
        # Ids derive from the post, so recording a page twice overwrites, never adds.
        result = self._bulk(actions)
        if result.failed:
            doc_id, reason = result.failed[0]
            raise StoreError(f"account history not recorded: {doc_id}: {reason}")
        if update.official_posts:
            self._trim_official()
        if update.works:
            # The next page's searches (maybe on another worker, within the second) must find
            # this page's works; reads by id see them at once anyway.
            self.es.indices.refresh(index=self.index("works"))

    @staticmethod
    def _work_doc(record: RememberedWork) -> dict[str, Any]:
        work = record.work
        return {
            "post_id": work.post_id, "author": work.author, "handle": work.handle,
            "display_name": work.display_name, "platform": work.platform,
            "posted_at": utc(work.posted_at).isoformat(), "url": work.url,
            "shingle_count": work.shingles, "shingle_terms": [str(h) for h in record.shingles],
            "images": [
                {"media_index": i.media_index, "width": i.width, "height": i.height,
                 "points": base64.b64encode(i.points).decode("ascii"),
                 "descriptors": base64.b64encode(i.descriptors).decode("ascii")}
                for i in record.images
            ],
        }

    def _trim_official(self) -> None:
        count = self.es.count(index=self.index("official"))["count"]
        if count <= OFFICIAL_POSTS_KEPT:
            return
        self.es.indices.refresh(index=self.index("official"))
        newest = self.es.search(
            index=self.index("official"), size=1, from_=OFFICIAL_POSTS_KEPT - 1,
            sort=[{"posted_at": "desc"}], source_includes=["posted_at"],
        )["hits"]["hits"]
        if newest:
            cutoff = newest[0]["_source"]["posted_at"]
            self._delete_by({"range": {"posted_at": {"lt": cutoff}}}, ("official",))

    def accounts_seen(self, subjects: Iterable[str]) -> dict[str, AccountSeen]:
        wanted = list(dict.fromkeys(subjects))
        if not wanted:
            return {}
        self.es.indices.refresh(index=self.index("accounts"))
        response = self.es.search(
            index=self.index("accounts"), size=0,
            query={"terms": {"subject": wanted}},
            aggs={"by_subject": {
                "terms": {"field": "subject", "size": len(wanted)},
                "aggs": {
                    "first": {"min": {"field": "posted_at"}},
                    "last": {"max": {"field": "posted_at"}},
                    "recent": {"top_hits": {
                        "size": EVIDENCE_POSTS, "_source": ["post_id"],
                        "sort": [{"posted_at": "desc"}, {"post_id": "desc"}],
                    }},
                },
            }},
        )
        seen = {}
        for bucket in response["aggregations"]["by_subject"]["buckets"]:
            recent = [h["_source"]["post_id"] for h in bucket["recent"]["hits"]["hits"]]
            seen[bucket["key"]] = AccountSeen(
                _from_millis(bucket["first"]["value"]), _from_millis(bucket["last"]["value"]),
                int(bucket["doc_count"]), recent,
            )
        return seen

    def recorded_posts(self, subject: str, post_ids: Iterable[str]) -> set[str]:
        ids = [f"{subject}|{p}" for p in dict.fromkeys(post_ids)]
        if not ids:
            return set()
        docs = self.es.mget(index=self.index("accounts"), ids=ids, source=False)["docs"]
        return {d["_id"].partition("|")[2] for d in docs if d.get("found")}

    def official_copies(self, fingerprints: Iterable[str]) -> dict[str, tuple[str, str]]:
        ids = list(dict.fromkeys(fingerprints))
        if not ids:
            return {}
        docs = self.es.mget(index=self.index("official"), ids=ids)["docs"]
        return {d["_id"]: (d["_source"]["post_id"], d["_source"]["account"])
                for d in docs if d.get("found")}

    # -- work history (pipeline/core/works.py) ------------------------------------------------

    def works(self, post_ids: Iterable[str]) -> dict[str, Work]:
        ids = list(dict.fromkeys(post_ids))
        if not ids:
            return {}
        docs = self.es.mget(index=self.index("works"), ids=ids,
                            source_excludes=["shingle_terms", "shingles", "images"])["docs"]
        found = {}
        for doc in docs:
            if doc.get("found"):
                w = doc["_source"]
                found[doc["_id"]] = Work(
                    w["post_id"], w["author"], w["handle"], w["display_name"], w["platform"],
                    datetime.fromisoformat(w["posted_at"]), w["url"], int(w["shingle_count"]),
                )
        return found

    def shared_shingles_each(
        self, queries: Sequence[ShingleQuery], *, limit: int = SHARED_WORKS
    ) -> list[dict[str, int]]:
        # One multi-search for a page's posts: a search per post cost a round trip each, about
        # a third of the detector's time in a backfill.
        searches: list[dict[str, Any]] = []
        asked: list[int] = []  # which queries have hashes (and so a search)
        for n, query in enumerate(queries):
            wanted = list(dict.fromkeys(query.hashes))
            if wanted:
                asked.append(n)
                searches += [{"index": self.index("works")},
                             _shared_search(wanted, query.since, query.at_least, limit)]
        found: list[dict[str, int]] = [{} for _ in queries]
        if not searches:
            return found
        responses = self.es.msearch(searches=searches)["responses"]
        for n, response in zip(asked, responses, strict=True):
            if "error" in response:
                raise StoreError(f"searching the work history: {response['error']}")
            found[n] = {
                h["_id"]: shared for h in response["hits"]["hits"]
                if queries[n].admits(shared := round(h["sort"][0]),
                                     int(h["fields"]["shingle_count"][0]))
            }
        return found

    def work_images(
        self, *, since: datetime, post_ids: Iterable[str] | None = None
    ) -> list[WorkImage]:
        filters: list[dict[str, Any]] = [
            {"range": {"posted_at": {"gte": utc(since).isoformat()}}},
            {"exists": {"field": "images.media_index"}},
        ]
        if post_ids is not None:
            wanted = list(set(post_ids))
            if not wanted:
                return []
            filters.append({"ids": {"values": wanted}})
        query = {"bool": {"filter": filters}}
        found: list[WorkImage] = []
        after: list[Any] | None = None
        while True:  # search_after: any number of images, memory per page only
            page = self.es.search(
                index=self.index("works"), query=query, size=200, search_after=after,
                sort=[{"posted_at": "asc"}, {"post_id": "asc"}],
                source_includes=["post_id", "images"],
            )["hits"]["hits"]
            if not page:
                return found
            for hit in page:
                images = sorted(hit["_source"]["images"], key=lambda i: i["media_index"])
                found.extend(
                    WorkImage(hit["_source"]["post_id"], int(i["media_index"]), int(i["width"]),
                              int(i["height"]), base64.b64decode(i["points"]),
                              base64.b64decode(i["descriptors"]))
                    for i in images
                )
            after = page[-1]["sort"]

    # -- reads ------------------------------------------------------------------------------

    def get_hit(self, hit_id: str) -> Hit | None:
        try:
            return Hit.model_validate(self.es.get(index=self.index("hits"), id=hit_id)["_source"])
        except NotFoundError:
            return None

    def get_post(self, doc_id: str) -> Post | None:
        try:
            return Post.model_validate(
                self.es.get(index=self.index("posts"), id=doc_id)["_source"]
            )
        except NotFoundError:
            return None

    @staticmethod
    def _query(query: HitQuery) -> dict[str, Any]:
        filters: list[dict[str, Any]] = []
        for field in ("status", "category", "platform", "detector", "risk"):
            values = getattr(query, field)
            if values:
                filters.append({"terms": {field: values}})
        if query.author_id:
            filters.append({"term": {"author_id": query.author_id}})
        if query.subject:
            filters.append({"term": {"subject": query.subject}})
        bounds = {}
        if query.since:
            bounds["gte"] = query.since.isoformat()
        if query.until:
            bounds["lt"] = query.until.isoformat()
        if bounds:
            filters.append({"range": {"last_seen": bounds}})
        return {"bool": {"filter": filters}}

    def search_hits(self, query: HitQuery | None = None) -> list[Hit]:
        query = query or HitQuery()
        response = self.es.search(
            index=self.index("hits"),
            query=self._query(query),
            sort=[{"last_seen": "desc"}, {"id": "asc"}],
            size=query.limit,
            from_=query.offset,
        )
        return [Hit.model_validate(h["_source"]) for h in response["hits"]["hits"]]

    def count_hits(self, query: HitQuery | None = None) -> int:
        with self._reaching("counting hits"):
            response = self.es.count(index=self.index("hits"),
                                     query=self._query(query or HitQuery()))
        return int(response["count"])

    def audit_trail(self, hit_id: str) -> list[AuditEntry]:
        response = self.es.search(
            index=self.index("audit"),
            query={"term": {"hit_id": hit_id}},
            sort=[{"at": "asc"}],
            size=10_000,
        )
        return [AuditEntry.model_validate(h["_source"]) for h in response["hits"]["hits"]]

    def _iter_sorted(self, kind: str, time_field: str, since: datetime | None,
                     until: datetime | None) -> Iterator[dict[str, Any]]:
        bounds: dict[str, str] = {}
        if since:
            bounds["gte"] = since.isoformat()
        if until:
            bounds["lt"] = until.isoformat()
        query = {"range": {time_field: bounds}} if bounds else {"match_all": {}}
        # search_after keeps memory flat and the order stable on any number of documents.
        after: list[Any] | None = None
        while True:
            response = self.es.search(
                index=self.index(kind),
                query=query,
                # Ties broken on keyword fields: sorting on _id is disabled in Elasticsearch 9.
                sort=[{time_field: "asc"}, {"platform": "asc"}, {"id": "asc"}],
                size=1000,
                search_after=after,
            )
            page = response["hits"]["hits"]
            if not page:
                return
            for h in page:
                yield h["_source"]
            after = page[-1]["sort"]

    def iter_hits(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[Hit]:
        for source in self._iter_sorted("hits", "detected_at", since, until):
            yield Hit.model_validate(source)

    def iter_posts(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[Post]:
        for source in self._iter_sorted("posts", "created_at", since, until):
            yield Post.model_validate(source)

    def get_checkpoint(self, source: str) -> str | None:
        try:
            with self._reaching("reading a checkpoint"):
                doc = self.es.get(index=self.index("checkpoints"), id=source)
            return str(doc["_source"]["value"])
        except NotFoundError:
            return None


def _moved_shingles(source: dict[str, Any]) -> dict[str, Any]:
    """A work recorded with its hashes as longs, with them as the keyword terms written now."""
    moved = {k: v for k, v in source.items() if k != "shingles"}
    moved["shingle_terms"] = [str(int(h)) for h in source.get("shingles") or []]
    return moved


def _shared_search(wanted: list[int], since: datetime, at_least: int,
                   limit: int) -> dict[str, Any]:
    """The search body for the works sharing the most of `wanted` (at least `at_least`) since
    `since`, with each work's own text shingle count (a doc value: no source is read)."""
    # One constant-score clause per hash: a work's score is exactly how many of the hashes it
    # has, so the works sharing the most come first in one request. (A terms aggregation per
    # work would list every shared hash as a bucket: a text copied a hundred times would pass
    # the cluster's bucket limit.) With a minimum above one, Lucene skips the works sharing a
    # phrase or two instead of scoring them: most of the history, for a long post.
    return {
        "size": limit, "_source": False, "track_total_hits": False,
        "docvalue_fields": ["shingle_count"],
        "query": {"bool": {
            "filter": [{"range": {"posted_at": {"gte": utc(since).isoformat()}}}],
            "should": [{"constant_score": {"filter": {"term": {"shingle_terms": str(h)}}}}
                       for h in wanted],
            "minimum_should_match": max(1, at_least),
        }},
        "sort": [{"_score": "desc"}, {"post_id": "asc"}],
    }

"""End-to-end backfill: N posts through `crestwatch run` into Elasticsearch, every stage timed.

A JSONL backfill (10% of posts with an image of their own, with text for OCR; a length mix of
half short posts, a third medium and the rest long; English words with Zipf frequencies, see
`Vocabulary`; a few percent that detectors flag) goes
through `crestwatch run` with the example config's detectors, in a process of its own started
for the measurement, into the Elasticsearch at --es-url (its own index prefix, deleted after).
It reports:

- posts/s end to end (from the first post read to the end, and over the whole wall time),
  the start-up to the first post (from the process's start), and the peak RSS of the run;
- the time each stage took inside that run: collect (reading the source), media, OCR, each
  detector, policy, evidence, store (posts, hits, account history), the checkpoint saved after
  each page, and what is left (masking, hit building, the CLI);
- each stage again on its own, in the same process right after the run, over the same posts
  (--standalone posts, all of them by default up to 5,000), its standalone posts/s, and the
  ratio of the end-to-end posts/s to the slowest stage's standalone posts/s.

    scripts/elasticsearch.sh start   # or any node or cluster
    .venv/bin/python bench/bench_end_to_end.py --es-url http://127.0.0.1:9200 [--posts 5000]
    # text posts only (the issue's 150 posts/s target with every detector on):
    .venv/bin/python bench/bench_end_to_end.py --es-url ... --image-every 0
    # the full size of the issue's target (hours on a 2-core machine, OCR bound):
    .venv/bin/python bench/bench_end_to_end.py --es-url ... --posts 100000 --standalone 5000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MARKER = "strictly confidential"
CAMPUS = ("lecture library campus exam deadline seminar timetable society union research "
          "accommodation graduation module tutor essay lab canteen bus queue open day").split()


class Vocabulary:
    """The words posts are made of. `english` (the default): Faker's list of 971 common English
    words and the campus words above, drawn with Zipf frequencies (the word of rank r one time
    in about r * 7.6, ranks shuffled once by the seed), so a few words are very common and most
    three-word runs are rare, as in real posts. `campus`: the 20 campus words drawn evenly, the
    bench's first vocabulary; any three of them make one of only 8,000 runs, so random posts
    share runs far more often than real ones do, which is what the reposts detector searches
    for."""

    def __init__(self, kind: str, rng: random.Random) -> None:
        if kind == "campus":
            self.words, self.weights = list(CAMPUS), None
            return
        from faker.providers.lorem.en_US import Provider

        words = sorted(set(Provider.word_list) | set(CAMPUS))
        random.Random(rng.random()).shuffle(words)
        self.words = words
        self.weights = [1 / rank for rank in range(1, len(words) + 1)]

    def draw(self, rng: random.Random, n: int) -> list[str]:
        if self.weights is None:
            return [rng.choice(self.words) for _ in range(n)]
        return rng.choices(self.words, weights=self.weights, k=n)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_seconds() -> float:
    """CPU time this process has used, every thread's (ONNX Runtime's pool included), and its
    finished children's: Tesseract runs as a child process per image."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def elasticsearch_cpu_seconds(es: Any) -> float:
    """CPU time the cluster's node processes have used since they started, all nodes summed."""
    nodes = es.nodes.stats(metric="process")["nodes"]
    return sum(n["process"]["cpu"]["total_in_millis"] for n in nodes.values()) / 1000


def process_started_at() -> float:
    """This process's start, as time.time(): field 22 of /proc/self/stat (clock ticks since
    boot) plus the boot time."""
    ticks = int(Path("/proc/self/stat").read_text().rpartition(")")[2].split()[19])
    boot = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                if line.startswith("btime "))
    return boot + ticks / os.sysconf("SC_CLK_TCK")


# -- the backfill -------------------------------------------------------------------------------


def sentence(rng: random.Random, vocabulary: Vocabulary, words: int) -> str:
    return " ".join(vocabulary.draw(rng, words)).capitalize() + "."


def post_text(rng: random.Random, vocabulary: Vocabulary, n: int) -> str:
    roll = rng.random()
    if roll < 0.5:
        text = sentence(rng, vocabulary, rng.randint(4, 14))  # a short post
    elif roll < 0.85:
        text = " ".join(sentence(rng, vocabulary, rng.randint(8, 16))
                        for _ in range(rng.randint(2, 3)))
    else:
        text = " ".join(sentence(rng, vocabulary, rng.randint(10, 20))
                        for _ in range(rng.randint(4, 16)))
    flag = n % 50
    if flag == 1:
        text = f"{MARKER.capitalize()}: board minutes, do not share. " + text
    elif flag == 2:
        text += f" Call me on 07700 900{n % 1000:03d} or write to student{n}@gmail.com"
    elif flag == 3:
        text = "You are a worthless idiot and everyone at Queen Mary hates you. " + text
    return text


def write_image(path: Path, n: int, rng: random.Random, vocabulary: Vocabulary) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 270), (rng.randint(200, 255), 255, rng.randint(200, 255)))
    draw = ImageDraw.Draw(image)
    for row in range(4):
        draw.text((20, 30 + 50 * row), f"{sentence(rng, vocabulary, 5)} #{n}", fill=(0, 0, 0),
                  font_size=22)
    image.save(path, optimize=False)


def write_backfill(folder: Path, posts: int, *, image_every: int = 10, words: str = "english",
                   seed: int = 7) -> tuple[Path, int]:
    """The JSONL (written as it goes: nothing of it stays in memory) and its images, one post in
    `image_every` with one (0: none), its text from the `words` vocabulary."""
    rng = random.Random(seed)
    vocabulary = Vocabulary(words, rng)
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)
    source = folder / "backfill.jsonl"
    with_images = 0
    with source.open("w", encoding="utf-8") as out:
        for n in range(1, posts + 1):
            author = n % 997
            record: dict[str, Any] = {
                "platform": "x", "id": str(10_000_000 + n),
                "url": f"https://x.com/user{author}/status/{10_000_000 + n}",
                "created_at": f"2026-{1 + n % 11:02d}-{1 + n % 28:02d}T{n % 24:02d}:00:00+00:00",
                "text": post_text(rng, vocabulary, n),
                "author": {"id": str(5_000_000 + author), "handle": f"user{author}",
                           "display_name": f"Student {author}"},
            }
            if image_every and n % image_every == 0:
                name = f"{n}.png"
                write_image(images / name, n, rng, vocabulary)
                record["media"] = [{"type": "image", "url": f"https://pbs.example/{name}",
                                    "path": f"images/{name}"}]
                with_images += 1
            out.write(json.dumps(record) + "\n")
    return source, with_images


def write_config(folder: Path, source: Path, es_url: str, prefix: str) -> Path:
    import yaml

    from pipeline.core.config import load_config
    from tests.factories import portable_config_data

    data = portable_config_data(load_config())
    data["sources"] = [{"name": "backfill", "platform": "jsonl", "path": str(source)}]
    data["store"] = {"backend": "elasticsearch", "index_prefix": prefix,
                     "elasticsearch_url": es_url}
    data["data_dir"] = str(folder / "data")
    path = folder / "crestwatch.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# -- the measured run (a process of its own) ----------------------------------------------------


class Stages:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def timed(self, stage: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start
        return wrapper


def measured_run(config_path: Path, es_url: str, standalone: int) -> dict[str, Any]:
    from pipeline.cli.app import app
    from pipeline.enrich.ocr import OcrEnricher
    from pipeline.policy.engine import Policy
    from pipeline.run import assemble, runner
    from pipeline.sources.jsonl import JsonlSource
    from pipeline.store.elasticsearch import ElasticsearchStore, client_from_env

    stages = Stages()
    marks: dict[str, float] = {}
    summaries: list[Any] = []
    # CPU used from the first post to the end, here and in Elasticsearch: on a machine whose
    # cores the two share, their sum over the cores is the shortest wall the run could take.
    cpu: dict[str, float] = {}
    es = client_from_env(es_url)

    real_pages = JsonlSource.pages

    def pages(self: JsonlSource, checkpoint: str | None) -> Iterator[Any]:
        pages_left = real_pages(self, checkpoint)
        while True:
            start = time.perf_counter()
            try:
                page = next(pages_left)
            except StopIteration:
                return
            finally:
                stages.seconds["collect"] = (stages.seconds.get("collect", 0.0)
                                             + time.perf_counter() - start)
            if "first_post" not in marks:
                marks["first_post"] = time.time()
                cpu["run_start"], cpu["es_start"] = cpu_seconds(), elasticsearch_cpu_seconds(es)
            yield page

    real_build_pass = assemble.build_pass

    def build_pass(*args: Any, **kwargs: Any) -> Any:
        work = real_build_pass(*args, **kwargs)
        for detector in work.detectors:
            detector.detect = stages.timed(f"detector {detector.name}",  # type: ignore[method-assign]
                                           detector.detect)
        work.enrichers = [e if isinstance(e, OcrEnricher) else stages.timed("media", e)
                          for e in work.enrichers]
        return work

    real_run_pass = runner.run_pass

    def run_pass(*args: Any, **kwargs: Any) -> Any:
        summaries.append(real_run_pass(*args, **kwargs))
        marks["end"] = time.time()
        cpu["run_end"], cpu["es_end"] = cpu_seconds(), elasticsearch_cpu_seconds(es)
        return summaries[-1]

    JsonlSource.pages = pages  # type: ignore[method-assign]
    assemble.build_pass = build_pass
    runner.run_pass = run_pass
    runner.render_evidence = stages.timed("evidence", runner.render_evidence)
    OcrEnricher.__call__ = stages.timed("ocr", OcrEnricher.__call__)  # type: ignore[method-assign]
    Policy.screen = stages.timed("policy", Policy.screen)  # type: ignore[method-assign]
    # Saving the checkpoint is timed on its own: it is one small write per page, so what it
    # costs is waiting, not work.
    for method, stage in (("upsert_posts", "store"), ("upsert_hits", "store"),
                          ("record_history", "store"), ("set_checkpoint", "store checkpoint")):
        setattr(ElasticsearchStore, method,
                stages.timed(stage, getattr(ElasticsearchStore, method)))
    # Inside the reposts detector's time (so kept out of the stage table): its reads of the
    # work history, which grows with the backfill.
    inside = Stages()
    for method, stage in (("shared_shingles_each", "search of the work history"),
                          ("works", "works fetched by id"), ("work_images", "work images")):
        setattr(ElasticsearchStore, method,
                inside.timed(stage, getattr(ElasticsearchStore, method)))

    marks["cli"] = time.time()
    code = app(["run", "-c", str(config_path), "--store", "elasticsearch", "--es-url", es_url],
               standalone_mode=False)
    marks["cli_end"] = time.time()
    rss_run = peak_rss_mb()
    [summary] = summaries
    in_run = dict(stages.seconds)
    inside_run = dict(inside.seconds)  # the standalone pass below reads a history too
    alone = standalone_stages(config_path, es_url, standalone)
    es.close()
    return {
        "cpu": {"run_s": cpu["run_end"] - cpu["run_start"],
                "elasticsearch_s": cpu["es_end"] - cpu["es_start"],
                "cores": len(os.sched_getaffinity(0))},
        "exit_code": code, "summary": summary.as_dict(), "marks": marks,
        "process_started": process_started_at(), "peak_rss_mb": rss_run,
        "peak_rss_mb_with_standalone": peak_rss_mb(), "stages_in_run": in_run,
        "standalone": alone, "inside_reposts": inside_run,
    }


def standalone_stages(config_path: Path, es_url: str, limit: int) -> dict[str, Any]:
    """Each stage alone over the first `limit` posts of the backfill, in stage order, each
    stage's input made by the stages before it (untimed where it is not that stage's turn)."""
    from detectors.base import UsesHistory
    from pipeline.core.config import load_config
    from pipeline.core.masking import redact_post
    from pipeline.core.models import Finding, Hit, Post
    from pipeline.policy.engine import Policy
    from pipeline.run.assemble import build_pass
    from pipeline.sources.base import Page
    from pipeline.sources.jsonl import JsonlSource
    from pipeline.store.elasticsearch import ElasticsearchStore, client_from_env

    config = load_config(config_path)
    work = build_pass(config)
    work.load()
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}  # this process's CPU only: Elasticsearch's is not counted

    @contextmanager
    def clock(stage: str) -> Iterator[None]:
        start, start_cpu = time.perf_counter(), cpu_seconds()
        yield
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start
        cpu[stage] = cpu.get(stage, 0.0) + cpu_seconds() - start_cpu

    source = JsonlSource(config.resolve(Path(str(config.sources[0].path))))
    pages: list[Page] = []
    posts = 0
    with clock("collect"):
        for page in source.pages(None):
            pages.append(page)
            posts += len(page.posts)
            if posts >= limit:
                break
    media, ocr = work.enrichers
    for page in pages:
        with clock("media"):
            media(page.posts)
    for page in pages:
        with clock("ocr"):
            ocr(page.posts)
    prefix = f"{config.store.index_prefix}-alone"
    store = ElasticsearchStore(client_from_env(es_url), prefix=prefix)
    store.setup()
    try:
        for detector in work.detectors:
            if isinstance(detector, UsesHistory):
                detector.use_history(store)
        found_by_page: list[list[Finding]] = []
        for page in pages:
            found: list[Finding] = []
            for detector in work.detectors:
                with clock(f"detector {detector.name}"):
                    found += detector.detect(page.posts)
            found_by_page.append(found)
        policy = Policy.for_store(config, store)
        writes: list[tuple[list[Post], list[Hit], str]] = []
        for page, found in zip(pages, found_by_page, strict=True):
            by_id = {p.doc_id: p for p in page.posts}
            with clock("policy"):
                screened = policy.screen(found, by_id)
            stored = {i: redact_post(p, found) for i, p in by_id.items()}
            hits = [Hit.from_finding(f, stored[f.post_id], d) for f, d in screened.admitted]
            writes.append((list(stored.values()), hits, page.checkpoint or ""))
        for stored_posts, hits, checkpoint in writes:
            with clock("store"):
                store.upsert_posts(stored_posts)
                store.upsert_hits(hits)
            with clock("store checkpoint"):
                store.set_checkpoint("alone", checkpoint)
    finally:
        store.es.indices.delete(index=f"{prefix}-*", ignore_unavailable=True,
                                allow_no_indices=True)
        for template in store.es.indices.get_index_template(
                name=f"{prefix}-*").get("index_templates", []):
            store.es.indices.delete_index_template(name=template["name"])
        store.close()
    return {"posts": posts, "seconds": dict(seconds), "cpu_s": dict(cpu)}


# -- the report ---------------------------------------------------------------------------------


def report(result: dict[str, Any], posts: int, with_images: int, launched: float) -> None:
    marks, summary = result["marks"], result["summary"]
    first, end = marks["first_post"], marks["end"]
    rate = posts / (end - first)
    print(f"end-to-end backfill: {posts:,} posts ({with_images:,} with an image) through "
          f"`crestwatch run` into Elasticsearch; exit code {result['exit_code'] or 0}")
    print(f"  stored {summary['posts_stored']:,} posts, {summary['hits_written']:,} hits; "
          f"errors {len(summary['errors'])}, skipped {summary['skipped']}, "
          f"quarantined {summary['quarantined']}, off: {summary['off'] or 'nothing'}")
    print(f"  start-up to the first post: {first - result['process_started']:.2f} s from the "
          f"process's start ({first - launched:.2f} s from the bench launching it; the CLI "
          f"itself {first - marks['cli']:.2f} s)")
    print(f"  posts/s from the first post to the end: {rate:,.1f}; over the whole wall time: "
          f"{posts / (marks['cli_end'] - result['process_started']):,.1f}")
    print(f"  peak RSS of the run: {result['peak_rss_mb']:,.0f} MB "
          f"(with the standalone pass after it: {result['peak_rss_mb_with_standalone']:,.0f} MB)")
    alone = result["standalone"]
    in_run = result["stages_in_run"]
    total = end - first
    print(f"\n  {'stage':<24} {'s in run':>9} {'share':>6} {'posts/s in run':>15} "
          f"{'posts/s alone':>14}  (alone: {alone['posts']:,} posts)")
    rates = {}  # standalone posts/s of the stages run alone (evidence is not: it needs hits)
    for stage in sorted(set(in_run) | set(alone["seconds"]),
                        key=lambda s: -in_run.get(s, 0.0)):
        seconds = in_run.get(stage, 0.0)
        alone_s = alone["seconds"].get(stage)
        if alone_s:
            rates[stage] = alone["posts"] / alone_s
        shown = f"{rates[stage]:>14,.0f}" if alone_s else f"{'-':>14}"
        print(f"  {stage:<24} {seconds:>9.1f} {seconds / total:>6.0%} "
              f"{posts / seconds if seconds else float('inf'):>15,.0f} {shown}")
    rest = total - sum(in_run.values())
    print(f"  {'the rest':<24} {rest:>9.1f} {rest / total:>6.0%}")
    reposts = in_run.get("detector reposts", 0.0)
    for stage, seconds in sorted(result.get("inside_reposts", {}).items(), key=lambda i: -i[1]):
        print(f"  of which, inside detector reposts: {stage}, {seconds:.1f} s "
              f"({seconds / reposts if reposts else 0:.0%} of the detector's time)")
    slowest = min(rates, key=lambda s: rates[s])
    print(f"\n  slowest stage alone: {slowest}, {rates[slowest]:,.1f} posts/s; end-to-end / "
          f"slowest = {rate / rates[slowest]:.2f}")
    cpu = result["cpu"]
    used = cpu["run_s"] + cpu["elasticsearch_s"]
    floor = used / cpu["cores"]
    print(f"  CPU from the first post to the end: crestwatch {cpu['run_s']:.1f} s, "
          f"Elasticsearch {cpu['elasticsearch_s']:.1f} s; on {cpu['cores']} cores no run "
          f"doing that work is shorter than {floor:.1f} s (the run took {total:.1f} s: "
          f"cores {floor / total:.0%} busy)")
    # With every stage as costly as it was here, the ratio cannot pass this, however the
    # stages are overlapped: the slowest stage's time alone over the shortest possible wall.
    slowest_s = alone["seconds"][slowest] * posts / alone["posts"]
    slowest_cpu = alone["cpu_s"][slowest] * posts / alone["posts"]
    print(f"  {slowest} alone: {slowest_s:.1f} s wall, {slowest_cpu:.1f} s CPU for {posts:,} "
          f"posts; the highest ratio this run's CPU allows: "
          f"{min(1.0, slowest_s / max(floor, slowest_s)):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--es-url", default=os.environ.get("CRESTWATCH_ES_URL",
                                                           "http://127.0.0.1:9200"))
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--standalone", type=int, default=5000,
                        help="posts each stage runs on alone, after the run")
    parser.add_argument("--image-every", type=int, default=10,
                        help="one post in this many has an image (0: text posts only)")
    parser.add_argument("--words", choices=("english", "campus"), default="english",
                        help="the posts' vocabulary (see Vocabulary)")
    parser.add_argument("--warm-caches", action="store_true",
                        help="load the detectors once before the measured run, so its start-up "
                             "finds their caches in the data folder, as every run after a "
                             "deployment's first does")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the measured process
    args = parser.parse_args()
    if args.measure:
        task = json.loads((args.measure / "task.json").read_text())
        result = measured_run(Path(task["config"]), task["es_url"], task["standalone"])
        (args.measure / "result.json").write_text(json.dumps(result))
        return
    with tempfile.TemporaryDirectory(prefix="crestwatch-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        source, with_images = write_backfill(folder, args.posts, image_every=args.image_every,
                                             words=args.words)
        print(f"wrote {args.posts:,} posts in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        config = write_config(folder, source, args.es_url, prefix)
        (folder / "task.json").write_text(json.dumps({
            "config": str(config), "es_url": args.es_url,
            "standalone": min(args.standalone, args.posts)}))
        if args.warm_caches:
            subprocess.run([sys.executable, "-c", (
                "import sys; from pipeline.core.config import load_config; "
                "from pipeline.run.assemble import build_pass; "
                "build_pass(load_config(sys.argv[1])).load()"), str(config)],
                env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
        launched = time.time()
        try:
            # The CLI's own output goes to a file, shown when the run fails.
            with (folder / "run.log").open("w") as log:
                measured = subprocess.run([sys.executable, __file__, "--measure", str(folder)],
                                          env={**os.environ, "PYTHONPATH": str(ROOT)},
                                          stdout=log, stderr=subprocess.STDOUT)
            if measured.returncode != 0:
                sys.exit(f"the measured run failed:\n{(folder / 'run.log').read_text()[-5000:]}")
        finally:
            from elasticsearch import Elasticsearch

            client = Elasticsearch(args.es_url.split(","), request_timeout=60)
            client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True,
                                  allow_no_indices=True)
            # A run that failed before setup left no template: a 404 here would hide its error.
            for template in client.options(ignore_status=404).indices.get_index_template(
                    name=f"{prefix}-*").get("index_templates", []):
                client.indices.delete_index_template(name=template["name"])
            client.close()
        result = json.loads((folder / "result.json").read_text())
    report(result, args.posts, with_images, launched)


if __name__ == "__main__":
    main()

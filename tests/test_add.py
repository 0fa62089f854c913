"""`python -m index.add`: notes from a URL (served from 127.0.0.1), a saved page, Markdown
files and folders, and an official schedule; bad inputs get one line and write nothing."""

from __future__ import annotations

import hashlib
import http.server
import shutil
import threading
import time
from pathlib import Path

import pytest

from index import add
from index.catalog.attach import catalog_talk
from index.catalog.entries import load_catalog

DATA = Path(__file__).parent / "data" / "html"
FEISKYER = (DATA / "feiskyer-kubecon-2016.html").read_bytes()
NO_ARTICLE = b"<html><head><title>Home</title></head><body><nav><a href='/'>Home</a></nav></body></html>"


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _send(self, code: int, ctype: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        try:
            self._route()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _route(self) -> None:
        if self.path == "/posts/kubecon-2016/":
            self._send(200, "text/html; charset=utf-8", FEISKYER)
        elif self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/posts/kubecon-2016/")
            self.end_headers()
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
        elif self.path == "/slides.pdf":
            self._send(200, "application/pdf", b"%PDF-1.4 ...")
        elif self.path == "/photo.png":
            self._send(200, "image/png", b"\x89PNG....")
        elif self.path == "/huge":   # 50 MB, streamed without a length, never held in memory
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            block = b"<p>" + b"x" * 65_530 + b"</p>\n"
            for _ in range(50 * 1024 * 1024 // len(block)):
                self.wfile.write(block)
        elif self.path == "/slow":
            time.sleep(2.0)
            self._send(200, "text/html", FEISKYER)
        elif self.path == "/empty":
            self._send(200, "text/html", NO_ARTICLE)
        else:
            self._send(404, "text/html", b"<h1>Not Found</h1>")


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def corpus(tmp_path: Path, corpus_dir: Path) -> Path:
    root = tmp_path / "corpus"
    shutil.copytree(corpus_dir, root, ignore=shutil.ignore_patterns("source"))
    return root


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("path, says", [
    ("/missing", "404"), ("/slides.pdf", "application/pdf"), ("/photo.png", "image/png"),
    ("/huge", "MB limit"), ("/slow", "too slow"), ("/empty", "no article text"),
    ("/loop", "redirects")])
def test_a_bad_source_is_one_line_and_writes_nothing(server, corpus, capsys, path, says):
    before = snapshot(corpus)
    code = add.main([server + path, "--corpus", str(corpus), "--timeout", "0.5"])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("error: ") and says in err, err
    assert out == ""
    assert snapshot(corpus) == before


def test_a_url_becomes_a_note_with_its_talks(server, corpus, capsys):
    code = add.main([server + "/moved", "--corpus", str(corpus), "--author", "Pengfei Ni"])
    out = capsys.readouterr().out
    assert code == 0, out
    path = corpus / "kubecon-na-2016-pengfei-ni.md"
    text = path.read_text("utf-8")
    assert text.startswith("---\ntitle: KubeCon/CloudNativeCon 2016见闻\nauthor: Pengfei Ni\n")
    for line in ("event: kubecon-na-2016", "city: Seattle", "year: 2016", "date: '2016-11-14'",
                 "language: zh", "url: https://feisky.xyz/posts/"):
        assert line in text
    assert "talks found: 5" in out and "Compiling to Containers" in out
    assert "event: kubecon-na-2016  (guessed from the year 2016" in out
    # The same page again: says where it already is, changes nothing.
    before = snapshot(corpus)
    assert add.main([server + "/posts/kubecon-2016/", "--corpus", str(corpus)]) == 1
    assert "already imported: " in capsys.readouterr().err
    assert snapshot(corpus) == before


def test_dry_run_writes_nothing_and_event_overrides_the_guess(corpus, capsys):
    before = snapshot(corpus)
    code = add.main([str(DATA / "feiskyer-kubecon-2016.html"), "--corpus", str(corpus),
                     "--dry-run", "--event", "kubecon-eu-2017", "--language", "en"])
    out = capsys.readouterr().out
    assert code == 0
    assert "event: kubecon-eu-2017  (--event)" in out and "language: en  (--language)" in out
    assert "dry run: would write" in out and snapshot(corpus) == before


def test_a_markdown_file_keeps_its_text_and_its_own_keys(tmp_path, corpus, capsys):
    src = tmp_path / "notes.md"
    body = "# My KubeCon Barcelona 2019\n\n## Talk 1: Cortex at scale\n\nSome notes.\n"
    src.write_text("---\ntitle: My KubeCon\ntags: [k8s]\n---\n" + body, "utf-8")
    code = add.main([str(src), "--corpus", str(corpus), "--author", "Ada",
                     "--url", "https://example.org/kubecon/"])
    assert code == 0, capsys.readouterr()
    text = (corpus / "kubecon-eu-2019-ada.md").read_text("utf-8")
    assert text.endswith("---\n\n" + body) and "tags:\n- k8s\n" in text
    assert "event: kubecon-eu-2019\n" in text
    assert add.main([str(src), "--corpus", str(corpus), "--author", "Ada",
                     "--url", "https://example.org/other/"]) == 1
    assert "already exists; pass --force" in capsys.readouterr().err


def test_a_folder_is_copied_unchanged_with_notes_yaml(tmp_path, corpus, capsys):
    src = tmp_path / "kubecon-eu-2018"
    (src / "day1").mkdir(parents=True)
    files = {"README.md": "# KubeCon Copenhagen 2018\n\nMy notes.\n",
             "day1/istio.md": "# Introduction to Istio Configuration - Joy Zhang, Google\n\nMesh.\n"}
    for name, text in files.items():
        (src / name).write_text(text, "utf-8")
    code = add.main([str(src), "--corpus", str(corpus), "--author", "Bo",
                     "--url", "https://github.com/bo/kubecon"])
    out = capsys.readouterr().out
    assert code == 0, out
    folder = corpus / "kubecon-eu-2018-bo"
    assert {n: (folder / n).read_text("utf-8") for n in files} == files
    assert "event: kubecon-eu-2018" in (folder / "notes.yaml").read_text("utf-8")
    assert "Introduction to Istio Configuration" in out


def test_a_schedule_enriches_the_catalog_instead_of_repeating_it(corpus, capsys):
    before = load_catalog(corpus / "catalog")
    code = add.main([str(DATA / "schedule.ics"), "--event", "kubecon-na-2017",
                     "--corpus", str(corpus)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "sessions with a description: 2 (1 enrich catalog entries, 1 new)" in out
    after = load_catalog(corpus / "catalog")
    assert len(after) == len(before) + 1
    marsh = [e for e in after if e.title.startswith("Cloud Native CD: Spinnaker")]
    assert len(marsh) == 1 and "freedom and responsibility" in marsh[0].abstract
    assert marsh[0].room == "Ballroom D" and marsh[0].time == "2017-12-06T17:00:00Z"
    new = next(e for e in after if e.title.startswith("Quokka"))
    assert new.speakers == ("Ada Lovelace", "Grace Hopper") and new.event == "kubecon-na-2017"
    assert "quokka-shaped" in catalog_talk(new, "x").body
    assert add.main([str(DATA / "schedule.ics"), "--event", "kubecon-na-2017",
                     "--corpus", str(corpus)]) == 1
    assert "--force" in capsys.readouterr().err


def test_a_schedule_needs_its_event(corpus, capsys):
    assert add.main([str(DATA / "schedule.ics"), "--corpus", str(corpus)]) == 1
    assert "--event ID" in capsys.readouterr().err


def test_a_paragraph_that_is_only_a_link_to_a_recording_survives_extraction():
    """trafilatura drops a paragraph whose text is all link; such a paragraph names a talk
    with its recording, so it is rewritten as the emphasised title and a short link first."""
    from index.sources.html import extract_article
    filler = "<p>" + "The conference was large and the talks were good. " * 6 + "</p>"
    page = ("<html lang='en'><head><title>Notes</title></head><body><article><h1>Notes</h1>"
            + filler + "<p>🌳 <a href='https://youtu.be/2fCNqKxAtYo'>How We Migrated Over "
            "1000 Services to Backstage - Shahar Shmaram, AppsFlyer</a></p>" + filler
            + "<p>See <a href='https://example.org/'>my blog</a> for more.</p></article>"
            "</body></html>")
    markdown = extract_article(page).markdown
    assert ("*How We Migrated Over 1000 Services to Backstage - Shahar Shmaram, AppsFlyer* "
            "([recording](https://youtu.be/2fCNqKxAtYo))") in markdown
    assert "[my blog](https://example.org/)" in markdown         # other links stay as they are


def test_a_paragraph_in_an_asciidoctor_wrapper_keeps_its_short_links():
    """Asciidoctor wraps each paragraph in `<div class="paragraph">`; trafilatura counts the
    last such block of a section, with two short links, as a link list and drops it (George
    Goh's 2018 notes lost James Strachan's talk so). The wrapper is unwrapped first."""
    from index.sources.html import extract_article
    filler = ("<div class='paragraph'><p>" + "The conference was large and the talks were "
              "good. " * 6 + "</p></div>")
    page = ("<html lang='en'><head><title>Notes</title></head><body><article><h1>Notes</h1>"
            "<div class='sect1'><h2>Code Quality</h2><div class='sectionbody'>" + filler
            + "<div class='paragraph'><p>James Strachan from CloudBees also <a href='https://"
            "kccnceu18.sched.com/event/Dquk/jenkins-x'>presented</a> on <a href='https://"
            "jenkins-x.io/'>Jenkins X</a>, a new project that offers automated CI and CD "
            "pipelines, previews, and GitOps style environment promotions.</p></div>"
            "</div></div></article></body></html>")
    markdown = extract_article(page).markdown
    assert "James Strachan from CloudBees also [presented](https://kccnceu18.sched.com/" \
           "event/Dquk/jenkins-x)" in " ".join(markdown.split())

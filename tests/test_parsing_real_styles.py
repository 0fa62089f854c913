"""Synthetic notes in the styles of real notes (issue 13), each written by hand here: what the
parser must find (talks, titles, people) and what it must keep as the note's own text.

Every expected value is written by hand; nothing is computed by the code under test."""

from __future__ import annotations

from pathlib import Path

from index.notes.corpus import read_corpus
from index.notes.parsing import parse_file
from notes_styles import FRONT_MATTER, NOTES_URL


def note_of(tmp_path: Path, body: str, name: str = "notes.md"):
    path = tmp_path / name
    path.write_text(FRONT_MATTER.format(title="My notes", url=NOTES_URL, language="en") + body,
                    encoding="utf-8")
    note, problems = parse_file(path)
    assert note is not None and problems == [], problems
    return note


def titles(note) -> list[str]:
    return [t.title for t in note.talks]


def test_sub_headings_inside_a_talk_stay_in_it_and_travel_is_note_text(tmp_path):
    note = note_of(tmp_path, """
# My KubeCon notes

Intro about the trip.

## Travel

The flight was long.

## Scaling Prometheus - Jane Doe, Acme

Jane showed sharding.

### Key Takeaways

Shard by tenant.

### Demo

A live demo of Thanos.

## Securing the supply chain - Bob Roe, Initech

Sigstore everywhere.

## Summary

Great week overall.
""")
    assert titles(note) == ["Scaling Prometheus", "Securing the supply chain"]
    first = note.talks[0]
    assert first.speakers == ("Jane Doe",) and first.companies == ("Acme",)
    assert "Shard by tenant." in first.body and "A live demo of Thanos." in first.body
    own = " ".join(t.body for t in note.texts)
    assert "Intro about the trip." in own and "The flight was long." in own
    assert "Great week overall." in own
    assert all(not t.is_talk for t in note.texts)
    assert note.lines["dropped"] == 0


def test_setext_headings_reference_links_and_html(tmp_path):
    note = note_of(tmp_path, """
Talks I saw
===========

[Service Mesh Patterns][1] - Ana Silva, Buoyant
-----------------------------------------------

<div class="note">Sidecars everywhere.</div>

Linkerd is small.

[Cilium Deep Dive](https://www.youtube.com/watch?v=abcdefghijk)
---------------------------------------------------------------

eBPF replaces iptables.

[1]: https://www.youtube.com/watch?v=zyxwvutsrqp
""")
    assert titles(note) == ["Service Mesh Patterns", "Cilium Deep Dive"]
    mesh, cilium = note.talks
    assert mesh.speakers == ("Ana Silva",) and mesh.track == "Talks I saw"
    assert mesh.link("video") == "https://www.youtube.com/watch?v=zyxwvutsrqp"
    assert "Sidecars everywhere." in mesh.body
    assert cilium.link("video") == "https://www.youtube.com/watch?v=abcdefghijk"
    assert note.lines["dropped"] == 0


def test_talk_prefixes_and_speaker_first_headings(tmp_path):
    note = note_of(tmp_path, """
## Day 1

### Talk 1: Dan Kohn - Stitching things together

Glue.

### Talk 2: Vijay Pandey - Head of Platform, Acme Corp

Platforms.

### Session 3: Observability at scale

Metrics.
""")
    assert titles(note) == ["Stitching things together", "Vijay Pandey - Head of Platform, Acme Corp",
                            "Observability at scale"]
    assert note.talks[0].speakers == ("Dan Kohn",)
    assert note.talks[1].speakers == ("Vijay Pandey",) and note.talks[1].companies == ("Acme Corp",)
    assert all(t.day == "Day 1" for t in note.talks)


def test_a_list_whose_items_are_talks(tmp_path):
    note = note_of(tmp_path, """
# KubeCon EU 2025 - London

- [Helm 4 You - Matt Farina, SUSE](https://youtu.be/rdTPbm9f_fc)
  - Charts v3
  - Better status checking
- [Kubeflow Ecosystem](https://youtu.be/gGP9QdlNr9Y)
  - Notebooks 2.0
""")
    assert titles(note) == ["Helm 4 You", "Kubeflow Ecosystem"]
    helm = note.talks[0]
    assert helm.speakers == ("Matt Farina",) and helm.companies == ("SUSE",)
    assert helm.link("video") == "https://youtu.be/rdTPbm9f_fc"
    assert "Charts v3" in helm.body and "Notebooks 2.0" not in helm.body


def test_talks_named_in_prose_with_their_recordings(tmp_path):
    note = note_of(tmp_path, """
## Autoscaling

Une des conférences : *"Autoscaling Kubernetes Deployments"* ([vidéo](https://www.youtube.com/watch?v=n8t_hbchQcc)) présentait les HPA.

Les métriques comptent.

La conférence donnée par AWS ([vidéo](https://www.youtube.com/watch?v=UBb8wbfSc34)) portait sur Karpenter.

## Récapitulatif

Pas d'outil magique.
""")
    assert titles(note) == ["Autoscaling Kubernetes Deployments", "La conférence donnée par AWS"]
    first, aws = note.talks
    assert "Les métriques comptent." in first.body and "Karpenter" in aws.body
    assert aws.link("video") == "https://www.youtube.com/watch?v=UBb8wbfSc34"
    assert any("Pas d'outil magique." in t.body for t in note.texts)


def test_a_keynote_block_of_people_bullets(tmp_path):
    note = note_of(tmp_path, """
# Day 2 Keynote

* Kelsey Hightower - Staff Developer Advocate, Google
  * Boring is the goal
* "Kubectl is the new SSH" - Kelsey Hightower
* Chen Goldberg - Engineering Director, Google
  * Contributors matter
""")
    assert titles(note) == ["Kelsey Hightower - Staff Developer Advocate, Google",
                            "Chen Goldberg - Engineering Director, Google"]
    assert note.talks[0].speakers == ("Kelsey Hightower",)
    assert "Kubectl is the new SSH" in note.talks[0].body      # a quote is not a talk


def test_a_folder_of_one_file_per_talk_shares_its_front_matter(tmp_path):
    folder = tmp_path / "corpus" / "conf-notes"
    folder.mkdir(parents=True)
    (folder / "notes.yaml").write_text(
        "title: Conference notes\nauthor: Ada\nurl: https://example.org/notes/\n"
        "conference: DockerCon 2017\nevent: dockercon-us-2017\nyear: 2017\nlanguage: en\n",
        encoding="utf-8")
    (folder / "vault-on-k8s.md").write_text("* Secrets\n  * leases\n", encoding="utf-8")
    (folder / "istio.md").write_text("# Istio\n\n* What is a mesh?\n\n## Demo\n\nBookinfo.\n",
                                     encoding="utf-8")
    (folder / "README.md").write_text("Notes from DockerCon, see my blog.\n", encoding="utf-8")
    corpus = read_corpus(tmp_path / "corpus")
    assert not corpus.errors, corpus.errors
    found = sorted(t.title for n in corpus.notes for t in n.talks)
    assert found == ["Istio", "vault on k8s"]
    assert all(n.meta.event == "dockercon-us-2017" for n in corpus.notes)
    readme = next(n for n in corpus.notes if n.meta.path.endswith("README.md"))
    assert readme.talks == () and "see my blog" in readme.texts[0].body


def test_deep_links_only_when_the_url_is_the_post(tmp_path):
    path = tmp_path / "home.md"
    path.write_text(FRONT_MATTER.format(title="t", url="https://www.example.dk/", language="da")
                    + "\n## Dag 1\n\n### En god snak\n\nTekst.\n", encoding="utf-8")
    note, _ = parse_file(path)
    assert note is not None
    talk = note.talks[0]
    assert talk.anchor == "en-god-snak" and talk.url == "https://www.example.dk/"
    post = note_of(tmp_path, "\n## Day 1\n\n### A good talk\n\nText.\n").talks[0]
    assert post.url == f"{NOTES_URL}#a-good-talk"


def test_talks_named_in_prose_by_their_schedule_pages(tmp_path):
    """George Goh's 2018 notes name talks with a verb linked to the talk's schedule page; the
    title is read from the page's address up to the speaker the sentence names. A user-stories
    heading groups the stories below it, each one talk."""
    note = note_of(tmp_path, """
## Code Quality

Dan Kohn [talked](https://kccnceu18.sched.com/event/DurL/keynote-how-good-is-our-code-dan-kohn-executive-director-cloud-native-computing-foundation)
about software code quality and fuzzing.

Elsewhere in the conference, [skaffold](https://github.com/GoogleContainerTools/skaffold) was a hot topic.

James Strachan from CloudBees also
[presented](https://kccnceu18.sched.com/event/Dquk/jenkins-x-easy-cicd-for-kubernetes-james-strachan-cloudbees-intermediate-skill-level)
on [Jenkins X](https://jenkins-x.io/), a new project.

## User Stories

### Adidas

Daniel Eichten (adidas) and Oliver Thylmann (Giant Swarm) shared the move to Kubernetes.
""")
    assert titles(note) == ["Keynote how good is our code", "Jenkins x easy cicd for kubernetes",
                            "Adidas"]
    kohn, strachan, adidas = note.talks
    assert "skaffold" in kohn.body and "Jenkins X" in strachan.body
    assert strachan.link("schedule").endswith("intermediate-skill-level")
    assert "Giant Swarm" in adidas.body

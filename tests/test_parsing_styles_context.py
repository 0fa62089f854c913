"""Synthetic notes in the styles people write (issue 2), parsed field by field: day and track context, kinds, a French note.

Every expected value below is written by hand; nothing is computed by the code under test.
Anchors follow the GitHub/Hugo rule the parser documents: lowercase, punctuation dropped
(letters, digits, '-' and '_' kept), each space becomes '-', repeats get '-1', '-2', ...
"""

from __future__ import annotations

from notes_styles import assert_talks, parse, talk


# (6) Day and track headings are context, not talks; their text is each talk's day/track.

def test_day_and_track_headings_are_context(tmp_path):
    talks = parse(tmp_path, """
# KubeCon Paris

## Day 1

Arrived early, got the badge.

### Observability

#### Scaling Prometheus - Jane Doe, Acme

#### [Tracing Without Tears](https://www.youtube.com/watch?v=trace42)

### Security

#### Supply Chain Security - Sam Lee, Initech

## Dag 2: Tirsdag

### Observability

#### Scaling Prometheus - Jane Doe, Acme

Repeated on day 2: same heading, its own anchor.

#### Keynote sessions

Three short keynotes.
""")
    assert_talks(talks, [
        talk("Scaling Prometheus", ["Jane Doe"], ["Acme"], day="Day 1", track="Observability",
             anchor="scaling-prometheus---jane-doe-acme"),
        talk("Tracing Without Tears", day="Day 1", track="Observability",
             anchor="tracing-without-tears",
             links=[("video", "https://www.youtube.com/watch?v=trace42")]),
        talk("Supply Chain Security", ["Sam Lee"], ["Initech"], day="Day 1", track="Security",
             anchor="supply-chain-security---sam-lee-initech"),
        talk("Scaling Prometheus", ["Jane Doe"], ["Acme"], day="Dag 2: Tirsdag",
             track="Observability", anchor="scaling-prometheus---jane-doe-acme-1"),
        talk("Keynote sessions", kind="keynote_block", day="Dag 2: Tirsdag",
             track="Observability", anchor="keynote-sessions"),
    ])
    titles = {t.title for t in talks}
    assert not titles & {"KubeCon Paris", "Day 1", "Observability", "Security", "Dag 2: Tirsdag"}


def test_track_heading_without_days(tmp_path):
    talks = parse(tmp_path, """
## Observability

### [Evolving Prometheus](https://www.youtube.com/watch?v=prom1)

### [OpenMetrics](https://www.youtube.com/watch?v=om2)

## Misc Tech

### [Edge Computing using K3s](https://www.youtube.com/watch?v=k3s3)
""")
    assert_talks(talks, [
        talk("Evolving Prometheus", track="Observability", anchor="evolving-prometheus",
             links=[("video", "https://www.youtube.com/watch?v=prom1")]),
        talk("OpenMetrics", track="Observability", anchor="openmetrics",
             links=[("video", "https://www.youtube.com/watch?v=om2")]),
        talk("Edge Computing using K3s", track="Misc Tech", anchor="edge-computing-using-k3s",
             links=[("video", "https://www.youtube.com/watch?v=k3s3")]),
    ])


# (7) Panel, workshop, tutorial and lightning-talk prefixes set the kind and leave the title.

def test_panel_workshop_and_other_kinds(tmp_path):
    talks = parse(tmp_path, """
## Day 3

### Panel: The Future of Service Mesh - Jane Doe, Acme & John Roe, Staff Engineer, Initech

### Workshop: Hands-on eBPF - Liz Rice, Isovalent

### Tutorial: Writing Your First Operator – Max Mustermann, Red Hat

### Lightning Talk: Helm in Five Minutes - Ana Lima, Weaveworks

### Panel Discussion: Rust in the Cloud

### Migrating to Cilium - Tom Berg, Initech

Kind: workshop
""")
    assert_talks(talks, [
        talk("The Future of Service Mesh", ["Jane Doe", "John Roe"], ["Acme", "Initech"],
             kind="panel", day="Day 3",
             anchor="panel-the-future-of-service-mesh---jane-doe-acme--john-roe-staff-engineer-initech"),
        talk("Hands-on eBPF", ["Liz Rice"], ["Isovalent"], kind="workshop", day="Day 3",
             anchor="workshop-hands-on-ebpf---liz-rice-isovalent"),
        talk("Writing Your First Operator", ["Max Mustermann"], ["Red Hat"], kind="tutorial",
             day="Day 3", anchor="tutorial-writing-your-first-operator--max-mustermann-red-hat"),
        talk("Helm in Five Minutes", ["Ana Lima"], ["Weaveworks"], kind="lightning_talk",
             day="Day 3", anchor="lightning-talk-helm-in-five-minutes---ana-lima-weaveworks"),
        talk("Panel Discussion: Rust in the Cloud", kind="panel", day="Day 3",
             anchor="panel-discussion-rust-in-the-cloud"),
        talk("Migrating to Cilium", ["Tom Berg"], ["Initech"], kind="workshop", day="Day 3",
             anchor="migrating-to-cilium---tom-berg-initech"),
    ])
    assert talks[5].body == ""


# (8) A French note: French day heading, French label headings, French metadata keys.

def test_french_label_headings(tmp_path):
    talks = parse(tmp_path, """
# Récap du deuxième jour

## Deuxième jour de Kubecon

Comme la veille, la journée a commencé par des keynotes.

### REX de la Société Générale

[_Keynote : Migrer 200 microservices vers Kubernetes – Marie Dupont, Directrice technique, Société Générale_](https://schd.ws/hosted_files/kccnceu18/ab/slides.pdf)

Un REX très agréable.

### L’avenir du service mesh

Intervenants : Cédric Lamoriniere, Élodie Martin
Company : Amadeus

Très intéressant.

## Et pour finir la journée ?

Une soirée au Tivoli.
""", language="fr", title="Récap du deuxième jour")
    assert_talks(talks, [
        talk("Migrer 200 microservices vers Kubernetes", ["Marie Dupont"], ["Société Générale"],
             kind="keynote", day="Deuxième jour de Kubecon", label="REX de la Société Générale",
             anchor="rex-de-la-société-générale",
             links=[("slides", "https://schd.ws/hosted_files/kccnceu18/ab/slides.pdf")]),
        talk("L’avenir du service mesh", ["Cédric Lamoriniere", "Élodie Martin"], ["Amadeus"],
             day="Deuxième jour de Kubecon", anchor="lavenir-du-service-mesh"),
    ])
    assert talks[0].body == "Un REX très agréable."
    assert talks[1].body == "Très intéressant."

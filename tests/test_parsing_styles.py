"""Synthetic notes in the styles people write (issue 2), parsed field by field: bylines, prefixes, dashes, labels and metadata lines.

Every expected value below is written by hand; nothing is computed by the code under test.
Anchors follow the GitHub/Hugo rule the parser documents: lowercase, punctuation dropped
(letters, digits, '-' and '_' kept), each space becomes '-', repeats get '-1', '-2', ...
"""

from __future__ import annotations

from notes_styles import assert_talks, parse, talk


# (1) A heading per talk; the byline `Title - Speaker, Role, Company` in the heading or on
#     the line right under a plain title heading.

BYLINE_NOTE = """
# My KubeCon notes

Intro prose about the trip.

## Day 1

### Scaling Prometheus at Acme - Jane Doe, Staff Engineer, Acme Corp

Jane explained how they shard Prometheus.

### Service Mesh in Practice

Service Mesh in Practice - Ana Lima & Li Wei, Weaveworks

Two speakers from one company.

### GitOps for Everyone [I] - Tom Berg, Senior Developer Advocate, Initech

The level marker is not part of the title.

### Chaos Engineering 101

A packed room - Kelsey Hightower, as always, was great.

## Party

Free drinks, no talks here.
"""


def test_byline_in_heading_and_on_the_line_under_it(tmp_path):
    talks = parse(tmp_path, BYLINE_NOTE)
    assert_talks(talks, [
        talk("Scaling Prometheus at Acme", ["Jane Doe"], ["Acme Corp"], day="Day 1",
             anchor="scaling-prometheus-at-acme---jane-doe-staff-engineer-acme-corp"),
        talk("Service Mesh in Practice", ["Ana Lima", "Li Wei"], ["Weaveworks"], day="Day 1",
             anchor="service-mesh-in-practice"),
        talk("GitOps for Everyone", ["Tom Berg"], ["Initech"], day="Day 1",
             anchor="gitops-for-everyone-i---tom-berg-senior-developer-advocate-initech"),
        # a prose sentence is not a byline, though it has a dash and a name after it
        talk("Chaos Engineering 101", day="Day 1", anchor="chaos-engineering-101"),
    ])
    assert talks[2].level == "I"
    assert talks[0].body == "Jane explained how they shard Prometheus."
    assert talks[1].body == "Two speakers from one company."          # byline line consumed
    assert talks[3].body == "A packed room - Kelsey Hightower, as always, was great."


# (2) `Keynote: Title – Speaker, Company` in a heading, with an en dash.

def test_keynote_prefix_with_en_dash_in_heading(tmp_path):
    talks = parse(tmp_path, """
## Day 2

### Keynote: Kubernetes at Scale – Jane Doe, Acme

Big numbers.

### Keynote: What's Next for Cloud Native? – Sam Lee, VP of Engineering, Initech

Predictions.
""")
    assert_talks(talks, [
        talk("Kubernetes at Scale", ["Jane Doe"], ["Acme"], kind="keynote", day="Day 2",
             anchor="keynote-kubernetes-at-scale--jane-doe-acme"),
        talk("What's Next for Cloud Native?", ["Sam Lee"], ["Initech"], kind="keynote",
             day="Day 2",
             anchor="keynote-whats-next-for-cloud-native--sam-lee-vp-of-engineering-initech"),
    ])


# (3) Titles that contain " - " themselves. Documented behaviour: the byline splits at the LAST
#     dash whose right-hand side reads as people (`Name[ & Name], Role, Company`); earlier dashes
#     stay in the title. When nothing after the last dash reads as people, the whole heading is
#     the title. Two capitalised words after a dash ("Beyond Logs") cannot be told from a name by
#     the heading alone; a `Speakers:` line under the heading settles it.

def test_titles_containing_dashes(tmp_path):
    talks = parse(tmp_path, """
## Day 1

### Kubernetes - The Hard Parts - Jane Doe, Acme

### Keynote: GitOps - Lessons Learned – Priya Patel, Google

### Operators - Past, Present and Future - Max Mustermann

### Kubernetes - The Hard Parts

Same title again, no speaker.

### Tracing - Beyond Logs

Speakers: Jane Doe

Traces, not logs.
""")
    assert_talks(talks, [
        talk("Kubernetes - The Hard Parts", ["Jane Doe"], ["Acme"], day="Day 1",
             anchor="kubernetes---the-hard-parts---jane-doe-acme"),
        talk("GitOps - Lessons Learned", ["Priya Patel"], ["Google"], kind="keynote", day="Day 1",
             anchor="keynote-gitops---lessons-learned--priya-patel-google"),
        talk("Operators - Past, Present and Future", ["Max Mustermann"], day="Day 1",
             anchor="operators---past-present-and-future---max-mustermann"),
        talk("Kubernetes - The Hard Parts", day="Day 1", anchor="kubernetes---the-hard-parts"),
        talk("Tracing - Beyond Logs", ["Jane Doe"], day="Day 1", anchor="tracing---beyond-logs"),
    ])
    assert talks[4].body == "Traces, not logs."


# (4) A short label heading whose real title is in the byline under it (italic, plain, or an
#     italic byline wrapped in a link to the slides or the schedule).

def test_label_heading_with_byline_under_it(tmp_path):
    talks = parse(tmp_path, """
## Day 1

### Spinnaker

_Cloud Native CD: Spinnaker and the Culture Behind the Tech - Dianne Marsh, Director of Engineering, Netflix_

Dianne talked about culture.

### Linkerd

Linkerd 2.0: Service Mesh Made Easy - William Morgan, CEO, Buoyant

A plain byline line works too.

### Kubevisor

[_Pod Anomaly Detection and Eviction using Prometheus Metrics – David Benque & Cedric Lamoriniere, Amadeus_](https://schd.ws/hosted_files/kccnceu18/e8/Kubervisor.pdf)

Circuit breaking in Kubernetes.

### Etcd

[*Understanding Distributed Consensus in etcd – Laura Frank, Codeship*](https://kccnceu18.sched.com/event/Dqus/understanding-distributed-consensus)

Raft, explained.
""")
    assert_talks(talks, [
        talk("Cloud Native CD: Spinnaker and the Culture Behind the Tech", ["Dianne Marsh"],
             ["Netflix"], day="Day 1", label="Spinnaker", anchor="spinnaker"),
        talk("Linkerd 2.0: Service Mesh Made Easy", ["William Morgan"], ["Buoyant"], day="Day 1",
             label="Linkerd", anchor="linkerd"),
        talk("Pod Anomaly Detection and Eviction using Prometheus Metrics",
             ["David Benque", "Cedric Lamoriniere"], ["Amadeus"], day="Day 1", label="Kubevisor",
             anchor="kubevisor",
             links=[("slides", "https://schd.ws/hosted_files/kccnceu18/e8/Kubervisor.pdf")]),
        talk("Understanding Distributed Consensus in etcd", ["Laura Frank"], ["Codeship"],
             day="Day 1", label="Etcd", anchor="etcd",
             links=[("schedule",
                     "https://kccnceu18.sched.com/event/Dqus/understanding-distributed-consensus")]),
    ])
    assert talks[0].body == "Dianne talked about culture."
    assert talks[1].body == "A plain byline line works too."
    assert talks[2].body == "Circuit breaking in Kubernetes."


# (5) `Speakers:`, `Company:`, `Video:`, `Slides:`, `Schedule:` lines under a heading: they fill
#     the talk's fields and never leak into its text.

def test_metadata_lines_fill_fields_and_stay_out_of_the_body(tmp_path):
    talks = parse(tmp_path, """
## Observability

### Kubevisor

Speakers: David Benque, Cedric Lamoriniere
Company: Amadeus
Video: https://www.youtube.com/watch?v=abc123XYZ
Slides: https://speakerdeck.com/amadeus/kubevisor
Schedule: https://kccnceu18.sched.com/event/Dqus/kubevisor

The author's text about Kubevisor.

Second paragraph.

### Profiling Go Services

**Speakers:** Ana Lima and Li Wei
**Company:** Grafana Labs, Polar Signals
**Video:** [recording](https://youtu.be/Zz9-8yY)

Flame graphs everywhere.
""")
    assert_talks(talks, [
        talk("Kubevisor", ["David Benque", "Cedric Lamoriniere"], ["Amadeus"],
             track="Observability", anchor="kubevisor",
             links=[("video", "https://www.youtube.com/watch?v=abc123XYZ"),
                    ("slides", "https://speakerdeck.com/amadeus/kubevisor"),
                    ("schedule", "https://kccnceu18.sched.com/event/Dqus/kubevisor")]),
        talk("Profiling Go Services", ["Ana Lima", "Li Wei"], ["Grafana Labs", "Polar Signals"],
             track="Observability", anchor="profiling-go-services",
             links=[("video", "https://youtu.be/Zz9-8yY")]),
    ])
    assert talks[0].body == "The author's text about Kubevisor.\n\nSecond paragraph."
    assert talks[1].body == "Flame graphs everywhere."
    for t in talks:
        for word in ("Speakers", "Company", "Video", "Slides", "Schedule", "http"):
            assert word not in t.body, (t.title, word)

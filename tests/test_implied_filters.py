"""Filters read from a question's words narrow the talks without changing how the rest score,
and count a talk whose title names the person or company (notes often name them only there)."""

from __future__ import annotations

import numpy as np

from index.models import Filters, Understood


def test_a_filter_read_from_the_words_keeps_the_scores_of_the_talks_it_keeps(fake_retriever):
    r = fake_retriever
    question = "what did they say about service meshes and observability"
    qvec = r.encoder.embed_query(question)
    everything, _, _ = r.rank(question, Filters(), qvec=qvec, group="notes")
    implied = r.implied_mask(Understood(year=2017))
    kept, _, _ = r.rank(question, Filters(), qvec=qvec, group="notes", implied=implied)
    assert kept and len(kept) < len(everything)
    assert all(r.talks[x.talk].year == 2017 for x in kept)
    before = {x.talk: x.score for x in everything}
    both = [x for x in kept if x.talk in before]      # the rest were below the unfiltered cut
    assert len(both) >= 3
    for x in both:
        assert abs(x.score - before[x.talk]) < 1e-6, r.talks[x.talk].title


def test_a_typed_filter_still_scales_within_its_own_scope(fake_retriever):
    """The asker's own `year:` sets the scope: the best talk in it is the best answer."""
    r = fake_retriever
    question = "service meshes and observability"
    qvec = r.encoder.embed_query(question)
    typed, _, _ = r.rank(question, Filters(year=2018), qvec=qvec, group="notes")
    assert typed and all(r.talks[x.talk].year == 2018 for x in typed)
    implied, _, _ = r.rank(question, Filters(), qvec=qvec, group="notes",
                           implied=r.implied_mask(Understood(year=2018)))
    assert {x.talk for x in typed} == {x.talk for x in implied}
    assert typed[0].score > implied[0].score       # scaled within 2018, not within all years


def test_a_title_naming_the_person_or_company_counts(fake_retriever):
    r = fake_retriever
    github = [t.title for t, hit in zip(r.talks, r._titled("GitHub")) if hit]
    assert github == ["Kubernetes at GitHub"]
    assert list(r._titled("Gitub")) == list(r._titled("GitHub"))    # one letter off
    assert not r._titled("Git").any()                              # short names: exactly
    mask = r.implied_mask(Understood(company="GitHub"))
    assert mask is not None and mask[[t.title for t in r.talks].index("Kubernetes at GitHub")]
    assert np.count_nonzero(mask) < len(r.talks)

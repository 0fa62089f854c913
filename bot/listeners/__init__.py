"""Slack listeners, one module per kind, as in Slack's Bolt templates:

- `commands`: the slash command;
- `events`: mentions, direct messages, follow-ups in threads, auto-answer channels (with
  `conversations`, which reads a thread back and answers in it);
- `home`: the App Home tab and its "Ask again" buttons;
- `actions`: the answer's buttons ("Share in channel", "More results", the feedback votes);
- `middleware`: what runs around them all (dropping Slack's redeliveries, logging and
  counting errors).

They only translate Slack's requests: answering is `bot.answering`, and `senders` says where
a message goes. The button ids and values are in `bot.buttons`."""

from __future__ import annotations

from collections.abc import Collection

from slack_bolt.async_app import AsyncApp

from bot.answering import Answerer
from bot.feedback import FeedbackStore
from bot.listeners import actions, commands, events, home, middleware
from bot.listeners.home import HomeFacts
from bot.retries import EventStore


def register_listeners(app: AsyncApp, answerer: Answerer, feedback: FeedbackStore,
                       seen: EventStore, facts: HomeFacts,
                       auto_channels: Collection[str] = ()) -> None:
    """Attach the middleware and every listener to the app."""
    middleware.register(app, seen, answerer.metrics)
    commands.register(app, answerer)
    events.register(app, answerer, auto_channels)
    home.register(app, answerer, facts)
    actions.register(app, answerer, feedback)
